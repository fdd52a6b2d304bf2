//! `modelplay export --target redshift`: the SQL that deploys the project on a Redshift
//! cluster, per node and as one `deploy.sql` in dependency order, plus the `create table` and
//! `copy` template of every source.

pub mod ddl;
pub mod validate;

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::{Materialization, Node};
use crate::redshift::types::redshift_type;
use crate::run::tables::display_value;
use crate::run::{CheckReport, Engine};

/// One written file: a path below the export folder and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    pub path: String,
    pub contents: String,
}

fn var(engine: &Engine, name: &str) -> Option<String> {
    engine
        .project()
        .vars
        .get(name)
        .and_then(|v| v.as_str().map(str::to_string))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Checks the project (every model's columns, planned, and its key configs) without building
/// it, then renders every selected node: what a run does on the sample data has no bearing on
/// what deploys.
pub async fn export(
    engine: &Engine,
    select: &[String],
    exclude: &[String],
) -> Result<Vec<ExportedFile>, Vec<Diagnostic>> {
    let report = engine.check().await;
    if report.errors() > 0 {
        let errors = report
            .diagnostics
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        return Err(errors);
    }
    let chosen = crate::selector::select(engine.project(), engine.dag(), select, exclude)
        .map_err(|m| vec![crate::run::selector_error(m)])?;
    let order: Vec<Node> = engine
        .dag()
        .order(engine.project())
        .iter()
        .filter(|id| chosen.contains(*id))
        .filter_map(|id| engine.project().nodes.get(id).cloned())
        .filter(|n| !n.kind.is_test())
        .collect();

    let mut files = Vec::new();
    let mut deploy: Vec<String> = Vec::new();
    let mut schemas: Vec<String> = Vec::new();
    let sources: Vec<_> = engine
        .project()
        .sources
        .values()
        .filter(|s| chosen.contains(&s.unique_id))
        .cloned()
        .collect();
    for source in &sources {
        let schema = format!("\"{}\"", source.relation.schema);
        if !schemas.contains(&schema) {
            schemas.push(schema);
        }
    }
    for node in &order {
        if !node.materialization.is_ephemeral() {
            let schema = format!("\"{}\"", node.relation.schema);
            if !schemas.contains(&schema) {
                schemas.push(schema);
            }
        }
    }
    deploy.push(
        schemas
            .iter()
            .map(|s| format!("create schema if not exists {s};"))
            .collect::<Vec<_>>()
            .join("\n"),
    );

    let bucket = var(engine, "s3_bucket");
    let role = var(engine, "iam_role");
    for source in &sources {
        let sql = source_sql(engine, source, bucket.as_deref(), role.as_deref());
        files.push(ExportedFile {
            path: format!("sources/{}__{}.sql", source.source_name, source.name),
            contents: format!("{sql}\n"),
        });
        deploy.push(sql);
    }

    for node in &order {
        let Some((first, later)) = node_sql(engine, &report, node).map_err(|d| vec![d])? else {
            continue;
        };
        let mut body = format!(
            "-- {} {} ({})\n{first}\n",
            node.materialized(),
            node.name,
            node.path
        );
        if let Some(later) = &later {
            body.push_str(&format!(
                "\n-- Later runs: what dbt executes once the table exists.\n{later}\n"
            ));
        }
        files.push(ExportedFile {
            path: format!("models/{}/{}.sql", node.relation.schema, node.name),
            contents: body,
        });
        deploy.push(format!("-- {} {}\n{first}", node.materialized(), node.name));
    }
    let header = format!(
        "-- Deploys project `{}` to Amazon Redshift, in dependency order.\n\
         -- One transaction: if any statement fails, nothing is applied.\n\
         -- Run with: psql -v ON_ERROR_STOP=1 -f deploy.sql\n",
        engine.project().name
    );
    files.insert(
        0,
        ExportedFile {
            path: "deploy.sql".into(),
            contents: format!("{header}\nbegin;\n\n{}\n\ncommit;\n", deploy.join("\n\n")),
        },
    );
    Ok(files)
}

/// The node's columns with Redshift types, as the check planned them.
fn columns_of(report: &CheckReport, node: &Node) -> Vec<(String, String)> {
    report
        .columns
        .get(&node.unique_id)
        .cloned()
        .unwrap_or_default()
}

/// The first-deploy statements of a node, and for incremental models and snapshots the
/// statements later runs execute.
fn node_sql(
    engine: &Engine,
    report: &CheckReport,
    node: &Node,
) -> Result<Option<(String, Option<String>)>, Diagnostic> {
    let compile =
        |is_incremental| engine.compile_sql_checked(&node.unique_id, is_incremental, report);
    let relation = node.relation.to_string();
    let columns = columns_of(report, node);
    let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    let temp = format!("\"{}__dbt_tmp\"", node.relation.identifier);
    Ok(Some(match &node.materialization {
        Materialization::Seed { .. } => (seed_sql(engine, node, &columns)?, None),
        Materialization::Snapshot { snapshot, .. } => {
            let sql = compile(false)?;
            let meta = snapshot.names.columns(snapshot.hard_deletes);
            let data: Vec<String> = names
                .iter()
                .filter(|n| !meta.contains(&n.as_str()))
                .cloned()
                .collect();
            let snap = ddl::SnapshotSql::new(snapshot, &data);
            let mut later = vec![format!(
                "create temporary table {temp} as (\n{}\n);",
                snap.staging(&relation, &sql)
            )];
            later.extend(snap.merge(&relation, &temp, &names));
            (snap.create(&relation, &sql), Some(later.join("\n\n")))
        }
        Materialization::Ephemeral
        | Materialization::Test(_)
        | Materialization::Unit
        | Materialization::Invalid(_) => {
            return Ok(None);
        }
        Materialization::View { bind, .. } => {
            let sql = compile(false)?;
            (
                format!(
                    "drop view if exists {relation} cascade;\n{}",
                    ddl::create_view_as(&relation, *bind, &sql)
                ),
                None,
            )
        }
        Materialization::MaterializedView { keys, auto_refresh } => {
            let sql = compile(false)?;
            (
                format!(
                    "drop materialized view if exists {relation} cascade;\n{}",
                    ddl::create_materialized_view(&relation, keys, *auto_refresh, &sql)
                ),
                None,
            )
        }
        Materialization::Table(keys) | Materialization::Incremental { keys, .. } => {
            let sql = compile(false)?;
            let create = if keys.contract_enforced {
                // dbt creates a contracted table with the types its contract declares.
                let declared: Vec<(String, String)> = node
                    .columns
                    .iter()
                    .filter_map(|c| Some((c.name.clone(), c.data_type.clone()?)))
                    .collect();
                ddl::create_table_with_columns(&relation, keys, &declared, &sql)
            } else {
                ddl::create_table_as(&relation, keys, &sql, false)
            };
            let later = match node.materialization.incremental() {
                Some(incremental) => {
                    let s = compile(true)?;
                    Some(
                        ddl::incremental_statements(&relation, &temp, incremental, &s, &names)
                            .join("\n\n"),
                    )
                }
                None => None,
            };
            (
                format!("drop table if exists {relation} cascade;\n{create}"),
                later,
            )
        }
    }))
}

/// A seed as a table with the types dbt inferred, and its rows.
fn seed_sql(
    engine: &Engine,
    node: &Node,
    columns: &[(String, String)],
) -> Result<String, Diagnostic> {
    let relation = node.relation.to_string();
    let batches = [engine.seed_rows(node)?];
    let cols: Vec<String> = columns
        .iter()
        .map(|(n, t)| format!("    \"{n}\" {t}"))
        .collect();
    let mut values = Vec::new();
    for b in &batches {
        for i in 0..b.num_rows() {
            let row: Vec<String> = (0..b.num_columns())
                .map(|c| {
                    if b.column(c).is_null(i) {
                        "null".to_string()
                    } else {
                        quote_literal(&display_value(b.column(c), i))
                    }
                })
                .collect();
            values.push(format!("    ({})", row.join(", ")));
        }
    }
    let names: Vec<String> = columns.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    let mut sql = format!(
        "drop table if exists {relation} cascade;\ncreate table {relation} (\n{}\n);",
        cols.join(",\n")
    );
    if !values.is_empty() {
        sql.push_str(&format!(
            "\ninsert into {relation} ({})\nvalues\n{};",
            names.join(", "),
            values.join(",\n")
        ));
    }
    Ok(sql)
}

/// The raw table a loader fills, and the `copy` that loads one file of it from S3.
fn source_sql(
    engine: &Engine,
    source: &crate::project::SourceTable,
    bucket: Option<&str>,
    role: Option<&str>,
) -> String {
    let relation = format!(
        "\"{}\".\"{}\"",
        source.relation.schema, source.relation.identifier
    );
    let loaded_at = source
        .loaded_at_field
        .clone()
        .unwrap_or_else(|| "_fivetran_synced".into());
    // The columns and types the loader gives the latest sample file: read, not built.
    let schema = engine
        .read_source(source, None)
        .map(|(batch, _)| batch.schema())
        .ok()
        .or_else(|| Some(engine.source_schema(source)));
    let declared = |name: &str| {
        source
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .and_then(|c| c.data_type.clone())
    };
    let columns: Vec<(String, String)> = schema
        .map(|s| {
            s.fields()
                .iter()
                .map(|f| {
                    let t = declared(f.name()).unwrap_or_else(|| match f.data_type() {
                        datafusion::arrow::datatypes::DataType::Utf8 => "varchar(65535)".into(),
                        other => redshift_type(other),
                    });
                    (f.name().clone(), t)
                })
                .collect()
        })
        .unwrap_or_default();
    let defs: Vec<String> = columns
        .iter()
        .map(|(n, t)| {
            if *n == loaded_at {
                format!("    \"{n}\" timestamp default getdate()")
            } else {
                format!("    \"{n}\" {t}")
            }
        })
        .collect();
    let file_columns: Vec<String> = columns
        .iter()
        .filter(|(n, _)| *n != loaded_at)
        .map(|(n, _)| format!("\"{n}\""))
        .collect();
    let bucket = bucket.unwrap_or("<s3_bucket var>");
    let role = role.unwrap_or("<iam_role var>");
    let create = format!(
        "-- source {}.{}\ncreate table if not exists {relation} (\n{}\n);\n\
         -- Load one file; set the s3_bucket and iam_role vars in dbt_project.yml.\n",
        source.source_name,
        source.name,
        defs.join(",\n"),
    );
    let from = format!(
        "from 's3://{bucket}/{}/{}/'\niam_role '{role}'",
        source.source_name, source.name
    );
    let parquet = source
        .loads
        .last()
        .is_some_and(|l| crate::data::parquet::is_parquet(&l.path));
    if !parquet {
        return format!(
            "{create}copy {relation} ({})\n{from}\nformat as csv\nignoreheader 1\ntimeformat 'auto';",
            file_columns.join(", "),
        );
    }
    // COPY from Parquet maps columns by position and needs as many table columns as the
    // file has, so the load-time column is filled by an insert from a staging table.
    let stage = format!("\"{}_load\"", source.relation.identifier);
    let stage_defs: Vec<&String> = columns
        .iter()
        .zip(&defs)
        .filter(|((n, _), _)| *n != loaded_at)
        .map(|(_, d)| d)
        .collect();
    format!(
        "{create}create temp table {stage} (\n{}\n);\ncopy {stage}\n{from}\nformat as parquet;\n\
         insert into {relation} ({cols})\nselect {cols} from {stage};\ndrop table {stage};",
        stage_defs
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>()
            .join(",\n"),
        cols = file_columns.join(", "),
    )
}
