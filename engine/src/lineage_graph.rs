//! Column lineage across the whole project: what a column is computed from, upstream to the
//! raw files, and what is computed from it, downstream to the final tables and their tests.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::dag::Dag;
use crate::lineage::EdgeKind;
use crate::project::Project;
use crate::run::{CheckReport, LineageEdge};

/// A column of a node: (unique id, column name).
pub type ColumnId = (String, String);

#[derive(Debug, Clone, Default)]
pub struct LineageGraph {
    names: BTreeMap<String, String>,
    up: BTreeMap<ColumnId, Vec<LineageEdge>>,
    down: BTreeMap<ColumnId, Vec<(ColumnId, EdgeKind)>>,
}

impl LineageGraph {
    pub fn new(project: &Project, report: &CheckReport) -> Self {
        let mut g = LineageGraph::default();
        for n in project.nodes.values() {
            g.names.insert(n.unique_id.clone(), n.name.clone());
        }
        for s in project.sources.values() {
            g.names
                .insert(s.unique_id.clone(), format!("{}.{}", s.source_name, s.name));
        }
        for (node, columns) in &report.lineage {
            for (column, edges) in columns {
                let id = (node.clone(), column.clone());
                for e in edges {
                    g.down
                        .entry((e.node.clone(), e.column.clone()))
                        .or_default()
                        .push((id.clone(), e.kind));
                }
                g.up.insert(id, edges.clone());
            }
        }
        g
    }

    fn name(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// The column `column` of the node (or source table, `source.table`) named `node`.
    pub fn find(&self, node: &str, column: &str) -> Option<ColumnId> {
        let column = column.to_lowercase();
        let id = self
            .names
            .iter()
            .find(|(_, n)| n.as_str() == node || n.rsplit('.').next() == Some(node))
            .map(|(id, _)| id.clone())?;
        let known = self.up.contains_key(&(id.clone(), column.clone()))
            || self.down.contains_key(&(id.clone(), column.clone()));
        known.then_some((id, column))
    }

    /// Every column upstream of `start`, each once.
    pub fn upstream(&self, start: &ColumnId) -> BTreeSet<ColumnId> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(c) = stack.pop() {
            for e in self.up.get(&c).into_iter().flatten() {
                let next = (e.node.clone(), e.column.clone());
                if seen.insert(next.clone()) {
                    stack.push(next);
                }
            }
        }
        seen
    }

    /// Every column downstream of `start`, each once.
    pub fn downstream(&self, start: &ColumnId) -> BTreeSet<ColumnId> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(c) = stack.pop() {
            for (next, _) in self.down.get(&c).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    }

    /// The upstream tree of a column, indented by depth, with each edge's kind and expression.
    pub fn render_upstream(&self, start: &ColumnId) -> String {
        let mut out = String::new();
        let mut path = vec![start.clone()];
        self.walk_up(start, 1, &mut path, &mut out);
        out
    }

    fn walk_up(&self, at: &ColumnId, depth: usize, path: &mut Vec<ColumnId>, out: &mut String) {
        for e in self.up.get(at).into_iter().flatten() {
            let next = (e.node.clone(), e.column.clone());
            let how = match e.kind {
                EdgeKind::Copy => "copy".to_string(),
                EdgeKind::Rename => "rename".to_string(),
                EdgeKind::Transformation => {
                    format!("transformation: {}", e.expressions.join(" <- "))
                }
            };
            let _ = writeln!(
                out,
                "{}{}.{}  ({how})",
                "  ".repeat(depth),
                self.name(&e.node),
                e.column
            );
            if !path.contains(&next) {
                path.push(next.clone());
                self.walk_up(&next, depth + 1, path, out);
                path.pop();
            }
        }
    }

    /// The downstream tree of a column.
    pub fn render_downstream(&self, start: &ColumnId) -> String {
        let mut out = String::new();
        let mut path = vec![start.clone()];
        self.walk_down(start, 1, &mut path, &mut out);
        out
    }

    fn walk_down(&self, at: &ColumnId, depth: usize, path: &mut Vec<ColumnId>, out: &mut String) {
        let mut next: Vec<&(ColumnId, EdgeKind)> =
            self.down.get(at).into_iter().flatten().collect();
        next.sort();
        next.dedup();
        for (c, kind) in next {
            let _ = writeln!(
                out,
                "{}{}.{}  ({})",
                "  ".repeat(depth),
                self.name(&c.0),
                c.1,
                match kind {
                    EdgeKind::Copy => "copy",
                    EdgeKind::Rename => "rename",
                    EdgeKind::Transformation => "transformation",
                }
            );
            if !path.contains(c) {
                path.push(c.clone());
                self.walk_down(c, depth + 1, path, out);
                path.pop();
            }
        }
    }

    /// What an edit to `model` can affect: every downstream column computed from one of its
    /// columns, and the tests on those columns and on the models that read it.
    pub fn impact(&self, project: &Project, dag: &Dag, model: &str) -> Option<String> {
        let node = project
            .nodes
            .values()
            .find(|n| n.name == model && !n.kind.is_test())?;
        let own: Vec<ColumnId> = self
            .up
            .keys()
            .chain(self.down.keys())
            .filter(|(id, _)| *id == node.unique_id)
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut columns: BTreeSet<ColumnId> = BTreeSet::new();
        for c in &own {
            columns.extend(self.downstream(c));
        }
        let mut out = format!("Editing `{}` can affect:\n", node.name);
        let mut by_node: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (id, col) in &columns {
            by_node.entry(self.name(id)).or_default().push(col.clone());
        }
        if by_node.is_empty() {
            out.push_str("  no downstream columns\n");
        }
        for (name, cols) in &by_node {
            let _ = writeln!(out, "  {name}: {}", cols.join(", "));
        }
        let affected_nodes: BTreeSet<String> = columns
            .iter()
            .map(|(id, _)| id.clone())
            .chain(std::iter::once(node.unique_id.clone()))
            .collect();
        let mut tests: Vec<String> = dag
            .descendants(&node.unique_id, None)
            .into_iter()
            .chain(dag.descendants(&node.unique_id, Some(1)))
            .filter_map(|id| project.nodes.get(&id))
            .filter(|t| t.kind.is_test())
            .filter(|t| match &t.generic_test {
                Some(g) => {
                    affected_nodes.contains(&g.attached_to)
                        && g.column_name.as_ref().is_none_or(|c| {
                            g.attached_to == node.unique_id
                                || columns.contains(&(g.attached_to.clone(), c.to_lowercase()))
                        })
                }
                None => true,
            })
            .map(|t| t.name.clone())
            .collect();
        tests.sort();
        tests.dedup();
        let _ = writeln!(out, "Tests to rerun ({}):", tests.len());
        for t in tests {
            let _ = writeln!(out, "  {t}");
        }
        Some(out)
    }
}
