//! dbt's `graph` context variable: every node and source of the project, as macros that
//! walk the project read it (`graph.nodes.values() | selectattr('resource_type', ...)`).

use serde_json::{Map, Value as Json, json};

use super::{NodeKind, Project};

/// The project as dbt's `graph` shows it: `nodes` (models, seeds, snapshots, tests) and
/// `sources`, each by unique id, with the fields macros commonly read.
pub fn graph(project: &Project) -> Json {
    let columns = |cols: &[super::ColumnDoc]| -> Json {
        Json::Object(
            cols.iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        json!({"name": c.name, "description": c.description, "data_type": c.data_type}),
                    )
                })
                .collect(),
        )
    };
    let nodes: Map<String, Json> = project
        .nodes
        .values()
        .map(|n| {
            let config = serde_json::to_value(&n.config).unwrap_or(Json::Null);
            let node = json!({
                "unique_id": n.unique_id,
                "name": n.name,
                "resource_type": n.kind.as_str(),
                "package_name": project.name,
                "original_file_path": n.path,
                "database": n.relation.database,
                "schema": n.relation.schema,
                "alias": n.relation.identifier,
                "config": config,
                "tags": n.config.tags(),
                "description": n.description,
                "columns": columns(&n.columns),
                "depends_on": {"nodes": n.depends_on},
                "raw_code": if n.kind == NodeKind::Test { "" } else { n.raw_sql.as_str() },
            });
            (n.unique_id.clone(), node)
        })
        .collect();
    let sources: Map<String, Json> = project
        .sources
        .values()
        .map(|s| {
            let source = json!({
                "unique_id": s.unique_id,
                "name": s.name,
                "source_name": s.source_name,
                "resource_type": "source",
                "package_name": project.name,
                "database": s.relation.database,
                "schema": s.relation.schema,
                "identifier": s.relation.identifier,
                "loaded_at_field": s.loaded_at_field,
                "description": s.description,
                "columns": columns(&s.columns),
            });
            (s.unique_id.clone(), source)
        })
        .collect();
    json!({"nodes": nodes, "sources": sources})
}
