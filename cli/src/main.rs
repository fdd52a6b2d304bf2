//! `modelplay`: build, run, test and inspect a dbt project for Redshift on your machine.

mod commands;
mod disk;
mod machine;
mod output;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "modelplay",
    version,
    about = "Run dbt projects for Amazon Redshift locally, on sample data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options every project command takes, spelt as dbt spells them.
#[derive(Args, Clone, Debug)]
pub struct ProjectArgs {
    /// The folder holding dbt_project.yml.
    #[arg(long, default_value = ".", global = true)]
    pub project_dir: PathBuf,
    /// Nodes to include (dbt selection syntax).
    #[arg(short = 's', long = "select", alias = "models", short_alias = 'm', num_args = 1.., global = true)]
    pub select: Vec<String>,
    /// Nodes to leave out.
    #[arg(long, num_args = 1.., global = true)]
    pub exclude: Vec<String>,
    /// Project variables as YAML, e.g. '{start_date: 2024-01-01}'.
    #[arg(long, global = true)]
    pub vars: Option<String>,
    /// What getdate() returns, e.g. '2024-05-16 12:00:00' (default: now, UTC).
    #[arg(long, global = true)]
    pub run_time: Option<String>,
    /// Where artifacts are written, relative to the project.
    #[arg(long, default_value = "target", global = true)]
    pub target_path: PathBuf,
    /// Rebuild incremental models from scratch.
    #[arg(long, global = true)]
    pub full_refresh: bool,
    /// Run once per source load, oldest first, with each load's timestamp as the run time:
    /// snapshots build their history, incremental models merge each load.
    #[arg(long, global = true)]
    pub replay: bool,
    /// Replay up to and including one load: its number (1 = oldest) or its timestamp.
    #[arg(long, global = true, value_name = "K|TIMESTAMP")]
    pub load: Option<String>,
    /// Working memory queries may take before they spill to temporary files, e.g. 4G
    /// (default: three quarters of the memory free at start; `none` for no limit).
    #[arg(long, global = true, value_name = "SIZE")]
    pub memory_limit: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Seed, run, snapshot and test, in DAG order.
    Build(ProjectArgs),
    /// Build the models.
    Run(ProjectArgs),
    /// Run the tests.
    Test(ProjectArgs),
    /// Load the seed CSV files.
    Seed(ProjectArgs),
    /// Take the snapshots.
    Snapshot(ProjectArgs),
    /// Render every node's SQL into target/compiled.
    Compile(ProjectArgs),
    /// List the project's resources.
    #[command(alias = "list")]
    Ls {
        #[command(flatten)]
        args: ProjectArgs,
        /// `name`, `path`, `json` or `selector` (the default).
        #[arg(long, default_value = "selector")]
        output: String,
        #[arg(long)]
        resource_type: Option<String>,
    },
    /// Build a node and print its rows.
    Show {
        #[command(flatten)]
        args: ProjectArgs,
        /// How many rows to print.
        #[arg(long, default_value_t = 5)]
        limit: usize,
    },
    /// Write deployable Redshift SQL: per-node files and one deploy.sql, in dependency order.
    Export {
        #[command(flatten)]
        args: ProjectArgs,
        /// The warehouse to deploy to.
        #[arg(long, default_value = "redshift", value_parser = ["redshift"])]
        target: String,
        /// The folder to write into (default: <target-path>/export in the project).
        #[arg(long)]
        out: Option<PathBuf>,
        /// A previous deploy's manifest.json (dbt's or modelplay's): the relations already
        /// there. Without --select, deploys what changed since and what is built from it
        /// (state:modified+, a table whose keys alone changed altered in place); with it, the
        /// selection (state:new, state:modified, ... select against the manifest).
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Recommend distribution and sort keys from the models' SQL and the sample data.
    Advise {
        #[command(flatten)]
        args: ProjectArgs,
        /// Print the recommendations as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Plan every model against its inputs' schemas without running anything.
    Check(ProjectArgs),
    /// Write a unit test for a model from what its build gives: its first output rows, and
    /// the rows of its inputs they come from.
    UnitTest {
        #[command(flatten)]
        args: ProjectArgs,
        /// How many of the model's output rows the test expects.
        #[arg(long, default_value_t = 3)]
        rows: usize,
        /// Add it to `<model>_unit_tests.yml` beside the model instead of printing it.
        #[arg(long)]
        write: bool,
    },
    /// What an edit changed: a model's rows and columns, and everything built from it,
    /// against another version of the project.
    Diff {
        #[command(flatten)]
        args: ProjectArgs,
        /// What to compare against: a folder, a .zip, a share link, or git:<revision>
        /// (default git:HEAD, the last commit).
        #[arg(long)]
        base: Option<String>,
        /// The column rows are matched on (default: the model's unique test or unique_key).
        #[arg(long)]
        key: Option<String>,
        /// How many differing rows to print per model.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Install the packages packages.yml lists (local:, git: and the dbt Hub) into dbt_packages/.
    Deps(ProjectArgs),
    /// Where a column comes from and what reads it: `modelplay lineage model.column`.
    Lineage {
        #[command(flatten)]
        args: ProjectArgs,
        /// `model.column`
        column: String,
        /// Only what the column is computed from.
        #[arg(long, conflicts_with = "downstream")]
        upstream: bool,
        /// Only what is computed from the column.
        #[arg(long)]
        downstream: bool,
    },
    /// The downstream columns and tests an edit to a model can affect.
    Impact {
        #[command(flatten)]
        args: ProjectArgs,
        /// The edited model.
        model: String,
    },
    /// Print a link that opens this project in the playground (the project rides in the URL).
    Share {
        #[command(flatten)]
        args: ProjectArgs,
        /// The playground's address.
        #[arg(long, default_value = "http://127.0.0.1:8080/")]
        base_url: String,
    },
    /// Write the project a share link (or a .zip) carries into a folder.
    Open {
        /// A link made by `modelplay share` or the playground, or a .zip file.
        link: String,
        /// The folder to write the project into; it must be empty or new.
        #[arg(long)]
        out: PathBuf,
    },
    /// Save the project as a .zip that dbt (and `modelplay build`) can use.
    Zip {
        #[command(flatten)]
        args: ProjectArgs,
        #[arg(long)]
        out: PathBuf,
    },
    /// Source commands: `modelplay source freshness`.
    Source {
        #[command(subcommand)]
        command: SourceCommand,
    },
    /// Write generated sample data for the built-in project.
    Sample {
        /// The folder to write `data/` into (a project folder).
        #[arg(long, default_value = "sample-data/brightwheel")]
        out: PathBuf,
        /// Rows per state file.
        #[arg(long, default_value_t = 60)]
        rows: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum SourceCommand {
    /// How old each source's newest row is, against its warn_after and error_after.
    Freshness(ProjectArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    use modelplay_engine::Verb;
    let code = runtime.block_on(async {
        match cli.command {
            Command::Build(a) => commands::run(Verb::Build, a).await,
            Command::Run(a) => commands::run(Verb::Run, a).await,
            Command::Test(a) => commands::run(Verb::Test, a).await,
            Command::Seed(a) => commands::run(Verb::Seed, a).await,
            Command::Snapshot(a) => commands::run(Verb::Snapshot, a).await,
            Command::Compile(a) => commands::run(Verb::Compile, a).await,
            Command::Ls {
                args,
                output,
                resource_type,
            } => commands::ls(args, &output, resource_type.as_deref()),
            Command::Show { args, limit } => commands::show(args, limit).await,
            Command::Export {
                args, out, state, ..
            } => commands::export(args, out, state).await,
            Command::Advise { args, json } => commands::advise(args, json).await,
            Command::Check(args) => commands::check(args).await,
            Command::UnitTest { args, rows, write } => commands::unit_test(args, rows, write).await,
            Command::Diff {
                args,
                base,
                key,
                limit,
            } => commands::diff(args, base, key, limit).await,
            Command::Deps(args) => commands::deps(&args),
            Command::Lineage {
                args,
                column,
                upstream,
                downstream,
            } => commands::lineage(args, &column, upstream, downstream).await,
            Command::Impact { args, model } => commands::impact(args, &model).await,
            Command::Share { args, base_url } => commands::share(&args, &base_url),
            Command::Open { link, out } => commands::open_link(&link, &out),
            Command::Zip { args, out } => commands::zip(&args, &out),
            Command::Source {
                command: SourceCommand::Freshness(args),
            } => commands::freshness(args).await,
            Command::Sample { out, rows, seed } => commands::sample(&out, rows, seed),
        }
    });
    ExitCode::from(code)
}
