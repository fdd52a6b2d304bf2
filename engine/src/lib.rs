//! modelplay's engine: loads a dbt project for Amazon Redshift from an in-memory file map,
//! renders its Jinja as dbt does, and builds it on Apache DataFusion with Redshift's
//! semantics, natively or in WebAssembly.
//!
//! ```no_run
//! use modelplay_engine::{Engine, LoadOptions, ProjectFiles, RunRequest, Verb, load_project};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mut files = ProjectFiles::new();
//! files.insert("dbt_project.yml", "name: shop\n");
//! files.insert("models/one.sql", "select 1 as id");
//! let loaded = load_project(files, &LoadOptions::default()).map_err(|d| format!("{d:?}"))?;
//! let run_time = chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap().and_hms_opt(6, 0, 0).unwrap();
//! let mut engine = Engine::new(loaded, run_time).map_err(|d| format!("{d:?}"))?;
//! let results = engine
//!     .run(&RunRequest::new(Verb::Build), &mut |_| {})
//!     .await
//!     .map_err(|d| format!("{d:?}"))?;
//! assert!(results.success());
//! # Ok(()) }
//! ```

pub mod advisor;
pub mod artifacts;
pub mod changes;
pub mod dag;
pub mod data;
pub mod diagnostic;
pub mod export;
pub mod files;
pub mod jinja;
pub mod lineage;
pub mod lineage_graph;
pub mod project;
pub mod redshift;
pub mod relation;
pub mod run;
pub mod sample;
pub mod selector;
pub mod share;

pub use diagnostic::{Code, Diagnostic, Location, Severity};
pub use files::ProjectFiles;
pub use project::{LoadOptions, LoadedProject, Node, NodeKind, Project, Target, load_project};
pub use relation::Relation;
pub use run::{Clock, Engine, Event, NodeResult, RunRequest, RunResults, Status, Summary, Verb};
