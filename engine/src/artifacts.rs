//! dbt's artifacts, `manifest.json` (v12) and `run_results.json` (v6), in dbt's own shape,
//! so that tools which read dbt artifacts read ours.

use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};

use crate::project::unit_tests::{Fixture, FixtureRows};
use crate::project::{Materialized, Node, NodeKind, Project, SourceTable};
use crate::run::{Engine, RunResults, Status};

const DBT_VERSION: &str = "1.9.0";
const INVOCATION_ID: &str = "00000000-0000-0000-0000-000000000000";

fn metadata(project: &Project, generated_at: &str, schema: &str) -> Json {
    json!({
        "dbt_schema_version": schema,
        "dbt_version": DBT_VERSION,
        "generated_at": generated_at,
        "invocation_id": INVOCATION_ID,
        "env": {},
        "project_name": project.name,
        "adapter_type": "redshift",
        "modelplay_version": env!("CARGO_PKG_VERSION"),
    })
}

/// Hex SHA-256, dbt's checksum of a node's file.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A constraint as dbt's manifest records it.
fn constraint_json(c: &crate::project::constraints::Constraint) -> Json {
    json!({
        "type": c.kind.as_str(),
        "name": c.name,
        "expression": c.expression,
        "warn_unenforced": c.warn_unenforced,
        "warn_unsupported": c.warn_unsupported,
        "to": c.to,
        "to_columns": c.to_columns,
        "columns": c.columns,
    })
}

fn node_json(
    project: &Project,
    test_macros: &TestMacros,
    node: &Node,
    compiled: Option<&str>,
) -> Json {
    let columns: Map<String, Json> = node
        .columns
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                json!({"name": c.name, "description": c.description, "data_type": c.data_type,
                       "meta": {}, "tags": [],
                       "constraints": c.constraints.iter().map(constraint_json).collect::<Vec<_>>(),
                       "quote": c.quote.then_some(true)}),
            )
        })
        .collect();
    let mut refs = Vec::new();
    let mut sources = Vec::new();
    let mut nodes = Vec::new();
    for dep in &node.depends_on {
        if let Some(s) = project.sources.get(dep) {
            sources.push(json!([s.source_name, s.name]));
        } else if let Some(n) = project.nodes.get(dep) {
            // dbt records the package only where the call named one; the name is what counts.
            refs.push(json!({"name": n.name, "package": null, "version": n.version.as_ref().map(|v| v.v.clone())}));
        }
        nodes.push(json!(dep));
    }
    let config = Json::Object(node_config(node));
    let mut out = json!({
        "database": node.relation.database,
        "schema": node.relation.schema,
        "name": node.name,
        "resource_type": node.kind.as_str(),
        "package_name": node.package_name,
        "path": node.resource_path(),
        "original_file_path": node.original_file_path,
        "unique_id": node.unique_id,
        "fqn": node.fqn,
        "alias": node.relation.identifier,
        "checksum": {"name": "sha256", "checksum": node.checksum(project)},
        "config": config,
        "tags": node.config.tags(),
        "description": node.description,
        "columns": columns,
        "meta": {},
        "docs": {"show": true, "node_color": null},
        "depends_on": {"macros": test_macros.of(node), "nodes": nodes},
        "refs": refs,
        "sources": sources,
        "raw_code": node.raw_sql,
        "language": "sql",
        "relation_name": (!node.kind.is_test() && !node.materialization.is_ephemeral())
            .then(|| node.relation.to_string()),
        "compiled": compiled.is_some(),
        "compiled_code": compiled,
        "extra_ctes_injected": compiled.is_some(),
        "extra_ctes": [],
    });
    // Fields dbt's v12 schema has on every node; modelplay has nothing more to say in them.
    let defaults = json!({
        "build_path": null,
        "created_at": 0.0,
        "unrendered_config": {},
        "patch_path": null,
        "group": null,
        "access": "protected",
        "contract": {"enforced": node.materialization.contract_enforced(), "alias_types": true, "checksum": null},
        "constraints": node.constraints.iter().map(constraint_json).collect::<Vec<_>>(),
        "version": node.version.as_ref().map(|v| v.v.clone()),
        "latest_version": node.version.as_ref().map(|_| {
            project
                .nodes
                .values()
                .find(|n| n.name == node.name && n.version.as_ref().is_some_and(|v| v.latest))
                .and_then(|n| n.version.as_ref())
                .map(|v| v.v.clone())
        }),
        "deprecation_date": null,
        "metrics": [],
        "functions": [],
        "doc_blocks": [],
        "primary_key": [],
    });
    if let (Json::Object(map), Json::Object(extra)) = (&mut out, defaults) {
        map.extend(extra);
    }
    if let (NodeKind::Model, Json::Object(map)) = (node.kind, &mut out) {
        // dbt's models say whether they are MetricFlow's time spine; modelplay reads no
        // semantic layer, so none is.
        map.insert("time_spine".into(), Json::Null);
    }
    if let (Some(test), Json::Object(map)) = (&node.generic_test, &mut out) {
        map.insert(
            "test_metadata".into(),
            json!({"name": test.test_name, "kwargs": test.kwargs, "namespace": test.namespace}),
        );
        map.insert("column_name".into(), json!(test.column_name));
        map.insert("attached_node".into(), json!(test.attached_to));
    }
    out
}

/// A node's config as the manifest records it: as set, with what dbt always fills in.
pub(crate) fn node_config(node: &Node) -> Map<String, Json> {
    let mut map = match serde_json::to_value(&node.config) {
        Ok(Json::Object(map)) => map,
        _ => Map::new(),
    };
    map.entry("materialized")
        .or_insert(json!(node.materialized()));
    map.entry("enabled").or_insert(json!(true));
    map.entry("tags").or_insert(json!([]));
    map
}

/// Which package defines each test macro (`test_unique` → `dbt`), found once for all nodes:
/// the root project's own, else the first package's, else dbt's.
struct TestMacros {
    owners: std::collections::HashMap<String, String>,
}

impl TestMacros {
    fn of_project(project: &Project) -> Self {
        let mut owners = std::collections::HashMap::new();
        let layers = project
            .packages
            .iter()
            .rev()
            .map(|p| (&p.name, &p.macro_files))
            .chain(std::iter::once((&project.name, &project.macro_files)));
        // Later layers win: the first package over later ones, the root project over all.
        for (package, files) in layers {
            for (_, src) in files {
                for name in crate::jinja::macro_names(src) {
                    if name.starts_with("test_") {
                        owners.insert(name, package.clone());
                    }
                }
            }
        }
        TestMacros { owners }
    }

    /// The macros a node's manifest entry names as its dependencies: for a test from YAML,
    /// its test macro (`macro.dbt.test_unique`), as tools that read the graph expect;
    /// modelplay does not trace the macros other nodes call.
    fn of(&self, node: &Node) -> Vec<String> {
        let Some(test) = &node.generic_test else {
            return Vec::new();
        };
        let name = format!("test_{}", test.test_name);
        let package = match &test.namespace {
            Some(ns) => ns.as_str(),
            None => self.owners.get(&name).map_or("dbt", String::as_str),
        };
        vec![format!("macro.{package}.{name}")]
    }
}

/// A fixture's rows as the manifest records them: a list of mappings, or the text of a
/// `sql` fixture.
fn fixture_json(fixture: &Fixture) -> Json {
    match &fixture.rows {
        FixtureRows::Rows(rows) => Json::Array(
            rows.iter()
                .map(|r| {
                    Json::Object(
                        r.values
                            .iter()
                            .map(|v| (v.column.clone(), v.value.clone()))
                            .collect(),
                    )
                })
                .collect(),
        ),
        FixtureRows::Sql(sql) => Json::String(sql.clone()),
    }
}

/// The project's unit tests as `manifest.json` (and `graph.unit_tests`) show them.
fn unit_tests_json(project: &Project) -> Json {
    let tests = project.nodes.values().filter_map(|n| {
        let t = n.unit_test.as_deref()?;
        let model = project.nodes.get(&t.model)?;
        let format = |f: &Fixture| match f.rows {
            FixtureRows::Rows(_) => "dict",
            FixtureRows::Sql(_) => "sql",
        };
        let given: Vec<Json> = t
            .given
            .iter()
            .map(|g| json!({"input": g.written, "rows": fixture_json(&g.fixture), "format": format(&g.fixture), "fixture": null}))
            .collect();
        let mut config = serde_json::to_value(&n.config).unwrap_or_else(|_| json!({}));
        if let Json::Object(map) = &mut config {
            map.entry("enabled").or_insert(json!(true));
            map.entry("tags").or_insert(json!([]));
            map.entry("meta").or_insert(json!({}));
        }
        let overrides = (!t.overrides.macros.is_empty()
            || !t.overrides.vars.is_empty()
            || !t.overrides.env_vars.is_empty())
        .then(|| json!({"macros": t.overrides.macros, "vars": t.overrides.vars, "env_vars": t.overrides.env_vars}));
        Some((
            n.unique_id.clone(),
            json!({
                "model": model.name,
                "given": given,
                "expect": {"rows": fixture_json(&t.expect), "format": format(&t.expect), "fixture": null},
                "name": n.name,
                "resource_type": "unit_test",
                "package_name": n.package_name,
                "path": n.resource_path(),
                "original_file_path": n.original_file_path,
                "unique_id": n.unique_id,
                "fqn": n.fqn,
                "description": n.description,
                "overrides": overrides,
                "depends_on": {"macros": [], "nodes": [t.model]},
                "config": config,
                "checksum": null,
                "schema": n.relation.schema,
                "created_at": 0.0,
                "versions": null,
                "version": null,
            }),
        ))
    });
    Json::Object(tests.collect())
}

/// A source as `manifest.json` (and dbt's `graph`) show it.
pub(crate) fn source_json(s: &SourceTable) -> Json {
    let columns: Map<String, Json> = s
        .columns
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                json!({"name": c.name, "description": c.description, "data_type": c.data_type, "meta": {}, "tags": []}),
            )
        })
        .collect();
    json!({
        "database": s.relation.database,
        "schema": s.relation.schema,
        "name": s.name,
        "resource_type": "source",
        "package_name": s.package_name,
        "path": s.location.file,
        "original_file_path": s.location.file,
        "unique_id": s.unique_id,
        "fqn": [s.package_name, s.source_name, s.name],
        "source_name": s.source_name,
        "source_description": s.source_description,
        "loader": "",
        "identifier": s.relation.identifier,
        "loaded_at_field": s.loaded_at_field,
        "freshness": s.freshness,
        "description": s.description,
        "columns": columns,
        "meta": {}, "source_meta": {}, "tags": [],
        "config": {"enabled": true, "freshness": s.freshness, "loaded_at_field": s.loaded_at_field},
        "relation_name": s.relation.to_string(),
    })
}

/// dbt's `graph` context variable: the manifest's nodes and sources, as macros that walk the
/// project read them (`graph.nodes.values() | selectattr('resource_type', ...)`).
pub(crate) fn graph(project: &Project) -> Json {
    let test_macros = TestMacros::of_project(project);
    let nodes: Map<String, Json> = project
        .nodes
        .values()
        .filter(|n| n.kind != NodeKind::UnitTest)
        .map(|n| {
            (
                n.unique_id.clone(),
                node_json(project, &test_macros, n, None),
            )
        })
        .collect();
    let sources: Map<String, Json> = project
        .sources
        .values()
        .map(|s| (s.unique_id.clone(), source_json(s)))
        .collect();
    // What modelplay does not read yet (exposures, metrics, semantic models) is empty, so
    // that macros walking them find nothing rather than fail.
    json!({"nodes": nodes, "sources": sources, "exposures": {}, "metrics": {}, "groups": {},
           "semantic_models": {}, "saved_queries": {}, "unit_tests": unit_tests_json(project)})
}

/// `manifest.json`.
pub fn manifest(engine: &Engine, generated_at: &str) -> Json {
    let project = engine.project();
    let lineage = engine.last_check().map(|c| &c.lineage);
    let test_macros = TestMacros::of_project(project);
    let nodes: Map<String, Json> = project
        .nodes
        .values()
        .filter(|n| !matches!(n.kind, NodeKind::Source | NodeKind::UnitTest))
        .map(|n| {
            let mut node = node_json(project, &test_macros, n, engine.compiled_sql(&n.unique_id));
            // Column lineage rides in `meta`, which dbt leaves free-form.
            if let (Some(l), Json::Object(map)) =
                (lineage.and_then(|l| l.get(&n.unique_id)), &mut node)
            {
                map.insert("meta".into(), json!({"modelplay_column_lineage": l}));
            }
            (n.unique_id.clone(), node)
        })
        .collect();
    let sources: Map<String, Json> = project
        .sources
        .values()
        .map(|s| (s.unique_id.clone(), source_json(s)))
        .collect();
    let mut parent_map = Map::new();
    let mut child_map = Map::new();
    for id in project.sources.keys().chain(project.nodes.keys()) {
        let parents: Vec<Json> = engine
            .dag()
            .parents(id)
            .into_iter()
            .map(Json::String)
            .collect();
        let children: Vec<Json> = engine
            .dag()
            .descendants(id, Some(1))
            .into_iter()
            .map(Json::String)
            .collect();
        parent_map.insert(id.clone(), Json::Array(parents));
        child_map.insert(id.clone(), Json::Array(children));
    }
    json!({
        "metadata": metadata(project, generated_at, "https://schemas.getdbt.com/dbt/manifest/v12.json"),
        "nodes": nodes,
        "sources": sources,
        "macros": {},
        "docs": {},
        "exposures": {},
        "metrics": {},
        "groups": {},
        "selectors": {},
        "disabled": {},
        "parent_map": parent_map,
        "child_map": child_map,
        "group_map": {},
        "saved_queries": {},
        "semantic_models": {},
        "unit_tests": unit_tests_json(project),
    })
}

/// `run_results.json`.
pub fn run_results(engine: &Engine, results: &RunResults, generated_at: &str, args: Json) -> Json {
    let project = engine.project();
    let rows: Vec<Json> = results
        .results
        .iter()
        .map(|r| {
            let node = project.nodes.get(&r.unique_id);
            let message = match r.status {
                Status::Success => match (r.kind, r.rows) {
                    (NodeKind::Seed, Some(n)) => Some(format!("INSERT {n}")),
                    (_, Some(_)) if r.materialized == Materialized::View => Some("CREATE VIEW".into()),
                    (_, Some(n)) => Some(format!("SELECT {n}")),
                    _ => None,
                },
                Status::Fail if r.kind == NodeKind::UnitTest => r.message.clone(),
                Status::Fail | Status::Warn => r.failures.map(|f| {
                    format!("Got {f} result{}, configured to {} if != 0", if f == 1 { "" } else { "s" },
                        if r.status == Status::Fail { "fail" } else { "warn" })
                }),
                _ => r.message.clone(),
            };
            json!({
                "status": r.status.as_str(),
                "timing": [],
                "thread_id": "Thread-1",
                "execution_time": r.execution_time,
                "adapter_response": match r.rows { Some(n) => json!({"_message": message, "rows_affected": n}), None => json!({}) },
                "message": message,
                "failures": r.failures,
                "unique_id": r.unique_id,
                "compiled": r.compiled_sql.is_some(),
                "compiled_code": r.compiled_sql,
                "relation_name": node.filter(|n| !n.kind.is_test()).map(|n| n.relation.to_string()),
                "batch_results": null,
            })
        })
        .collect();
    json!({
        "metadata": metadata(project, generated_at, "https://schemas.getdbt.com/dbt/run-results/v6.json"),
        "results": rows,
        "elapsed_time": results.elapsed_time,
        "args": args,
    })
}
