//! What the editor offers to complete, from what the page knows of the project: the nodes
//! `ref` can name, the sources and their tables, the columns of the models in scope (from the
//! last check's lineage) and the macros the project's files define.

use std::collections::BTreeMap;

use serde::Serialize;

use modelplay_protocol::{ColumnLineage, Files, NodeInfo, NodeKind};

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
}

/// The names to offer while `open` (a node's unique id, if the open file defines one) is
/// edited: its own columns and those of what it is built from; with no node open, every
/// model's.
pub fn names(
    nodes: &[NodeInfo],
    lineage: &ColumnLineage,
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
        for column in lineage
            .get(&node.unique_id)
            .into_iter()
            .flat_map(|c| c.keys())
        {
            names.columns.push(Column {
                name: column.clone(),
                of: format!("column of {}", node.name),
            });
        }
    }
    names.macros = files
        .iter()
        .filter(|(path, _)| path.ends_with(".sql"))
        .filter_map(|(_, body)| body.text())
        .flat_map(macro_names)
        .collect();
    names.macros.sort();
    names.macros.dedup();
    names
}

/// The names of the macros a file defines (`{% macro name(` and `{%- macro name(`).
fn macro_names(text: &str) -> Vec<String> {
    text.match_indices("{%")
        .filter_map(|(at, _)| {
            let rest = text.get(at + 2..)?.trim_start_matches('-').trim_start();
            let rest = rest.strip_prefix("macro")?;
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty() && rest.starts_with(char::is_whitespace)).then_some(name)
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
        let mut lineage = ColumnLineage::new();
        for (id, col) in [
            ("source.p.crm.leads", "lead_id"),
            ("model.p.stg_leads", "lead_key"),
            ("model.p.other", "unrelated"),
        ] {
            lineage
                .entry(id.into())
                .or_default()
                .insert(col.into(), Vec::new());
        }
        let mut files = Files::new();
        files.insert(
            "macros/cents.sql".into(),
            Body::Text("{%- macro to_cents(x) -%}{{ x }} * 100{% endmacro %}\n{% macros %}".into()),
        );
        let names = names(&nodes, &lineage, &files, nodes.get(1));
        let models: Vec<&str> = names.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(models, ["stg_leads", "other"]);
        assert_eq!(names.sources["crm"], ["leads"]);
        let columns: Vec<(&str, &str)> = names
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.of.as_str()))
            .collect();
        assert_eq!(
            columns,
            [
                ("lead_id", "column of leads"),
                ("lead_key", "column of stg_leads")
            ]
        );
        assert_eq!(names.macros, ["to_cents"]);
    }
}
