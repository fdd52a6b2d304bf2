//! What the editor knows of the project, from what the page knows: the nodes `ref` can name,
//! the sources and their tables, the columns of the models in scope with their types (from
//! the last check or build) and the macros the project's files define, for completion and
//! hover; and where a ref's model or a macro is defined, for going to it.

use std::collections::BTreeMap;

use serde::Serialize;

use modelplay_protocol::{ColumnTypes, Files, NodeInfo, NodeKind};

#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Names {
    pub models: Vec<Named>,
    /// Source name to its tables.
    pub sources: BTreeMap<String, Vec<String>>,
    pub columns: Vec<Column>,
    pub macros: Vec<String>,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Named {
    pub name: String,
    pub kind: &'static str,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    /// The node it is a column of, for the completion's detail.
    pub of: String,
    /// Its Redshift type, as the check planned it.
    pub data_type: String,
}

/// The names to offer while `open` (a node's unique id, if the open file defines one) is
/// edited: its own columns and those of what it is built from; with no node open, every
/// model's.
pub fn names(
    nodes: &[NodeInfo],
    column_types: &ColumnTypes,
    files: &Files,
    open: Option<&NodeInfo>,
) -> Names {
    let mut names = Names::default();
    for node in nodes {
        match node.kind {
            NodeKind::Model | NodeKind::Seed | NodeKind::Snapshot => names.models.push(Named {
                name: node.name.clone(),
                kind: node.kind.as_str(),
            }),
            NodeKind::Source => {
                // `source.<package>.<source>.<table>`
                let mut parts = node.unique_id.splitn(4, '.').skip(2);
                if let (Some(source), Some(table)) = (parts.next(), parts.next()) {
                    names
                        .sources
                        .entry(source.to_string())
                        .or_default()
                        .push(table.to_string());
                }
            }
            _ => {}
        }
    }
    let in_scope: Vec<&NodeInfo> = match open {
        Some(open) => nodes
            .iter()
            .filter(|n| n.unique_id == open.unique_id || open.depends_on.contains(&n.unique_id))
            .collect(),
        None => nodes.iter().filter(|n| !n.kind.is_test()).collect(),
    };
    for node in in_scope {
        for column in column_types.get(&node.unique_id).into_iter().flatten() {
            names.columns.push(Column {
                name: column.name.clone(),
                of: format!("column of {}", node.name),
                data_type: column.data_type.clone(),
            });
        }
    }
    names.macros = macro_definitions(files).map(|(name, _, _)| name).collect();
    names.macros.sort();
    names.macros.dedup();
    names
}

/// Where `name` is defined, as a file and a 1-based line: a model, seed or snapshot `ref`
/// can name (at its file's start), or else a macro of the project (at its `{% macro`).
pub fn definition(name: &str, nodes: &[NodeInfo], files: &Files) -> Option<(String, usize)> {
    let node = nodes.iter().find(|n| {
        n.name == name
            && matches!(
                n.kind,
                NodeKind::Model | NodeKind::Seed | NodeKind::Snapshot
            )
            && files.contains_key(&n.path)
    });
    if let Some(node) = node {
        return Some((node.path.clone(), 1));
    }
    macro_definitions(files)
        .find(|(macro_name, _, _)| macro_name == name)
        .map(|(_, path, line)| (path.to_string(), line))
}

/// Every macro the project's `.sql` files define: its name, file and 1-based line.
fn macro_definitions(files: &Files) -> impl Iterator<Item = (String, &str, usize)> {
    files
        .iter()
        .filter(|(path, _)| path.ends_with(".sql"))
        .filter_map(|(path, body)| Some((path.as_str(), body.text()?)))
        .flat_map(|(path, text)| {
            macro_names(text)
                .into_iter()
                .map(move |(name, at)| (name, path, text[..at].matches('\n').count() + 1))
        })
}

/// The names of the macros a file defines (`{% macro name(` and `{%- macro name(`), with
/// the byte offset of each definition.
fn macro_names(text: &str) -> Vec<(String, usize)> {
    text.match_indices("{%")
        .filter_map(|(at, _)| {
            let rest = text.get(at + 2..)?.trim_start_matches('-').trim_start();
            let rest = rest.strip_prefix("macro")?;
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty() && rest.starts_with(char::is_whitespace)).then_some((name, at))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelplay_protocol::Body;

    fn node(id: &str, kind: NodeKind, deps: &[&str]) -> NodeInfo {
        NodeInfo {
            unique_id: id.into(),
            name: id.rsplit('.').next().unwrap_or_default().into(),
            kind,
            materialized: String::new(),
            path: String::new(),
            relation: String::new(),
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn offers_refs_sources_columns_in_scope_and_macros() {
        let nodes = vec![
            node("source.p.crm.leads", NodeKind::Source, &[]),
            node(
                "model.p.stg_leads",
                NodeKind::Model,
                &["source.p.crm.leads"],
            ),
            node("model.p.other", NodeKind::Model, &[]),
            node("test.p.not_null_x", NodeKind::Test, &["model.p.stg_leads"]),
        ];
        let mut types = ColumnTypes::new();
        for (id, col, data_type) in [
            ("source.p.crm.leads", "lead_id", "integer"),
            ("model.p.stg_leads", "lead_key", "varchar(32)"),
            ("model.p.other", "unrelated", "date"),
        ] {
            types
                .entry(id.into())
                .or_default()
                .push(modelplay_protocol::Column {
                    name: col.into(),
                    data_type: data_type.into(),
                });
        }
        let mut files = Files::new();
        files.insert(
            "macros/cents.sql".into(),
            Body::Text("{%- macro to_cents(x) -%}{{ x }} * 100{% endmacro %}\n{% macros %}".into()),
        );
        let names = names(&nodes, &types, &files, nodes.get(1));
        let models: Vec<&str> = names.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(models, ["stg_leads", "other"]);
        assert_eq!(names.sources["crm"], ["leads"]);
        let columns: Vec<(&str, &str, &str)> = names
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.of.as_str(), c.data_type.as_str()))
            .collect();
        assert_eq!(
            columns,
            [
                ("lead_id", "column of leads", "integer"),
                ("lead_key", "column of stg_leads", "varchar(32)")
            ]
        );
        assert_eq!(names.macros, ["to_cents"]);
    }

    #[test]
    fn finds_where_a_ref_or_a_macro_is_defined() {
        let mut model = node("model.p.stg_leads", NodeKind::Model, &[]);
        model.path = "models/stg_leads.sql".into();
        let mut files = Files::new();
        files.insert("models/stg_leads.sql".into(), Body::Text("select 1".into()));
        files.insert(
            "macros/money.sql".into(),
            Body::Text("-- money\n\n{% macro to_cents(x) %}{{ x }} * 100{% endmacro %}".into()),
        );
        let nodes = [model];
        assert_eq!(
            definition("stg_leads", &nodes, &files),
            Some(("models/stg_leads.sql".into(), 1))
        );
        assert_eq!(
            definition("to_cents", &nodes, &files),
            Some(("macros/money.sql".into(), 3))
        );
        assert_eq!(definition("nothing", &nodes, &files), None);
    }
}
