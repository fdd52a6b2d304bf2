//! The engine's integration tests, in one test binary: each module links the whole engine
//! and DataFusion, so one binary is linked once instead of once per file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod advisor;
mod classic_project;
mod dbt_macros;
mod diagnostics;
mod export;
mod export_changes;
mod export_equivalence;
mod fuzz;
mod hooks;
mod incremental;
mod jinja_context;
mod lineage;
mod memory_limit;
mod packages;
mod parquet_sources;
mod redshift_corpus;
mod redshift_functions;
mod released_tables;
mod reload;
mod sample_project;
mod seed_sources;
mod share;
mod snapshots;
mod test_names;
mod unit_tests;
