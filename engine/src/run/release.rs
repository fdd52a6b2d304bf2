//! Built tables let go once the last node of a run that reads them has run, for a host that
//! runs once and exits (the CLI): otherwise every table a build makes stays in memory to its
//! end, since the page can open any of them.

use indexmap::IndexMap;

use super::*;

impl Engine {
    /// Lets go of each table a run builds once the run's last reader of it (a model, a
    /// snapshot or a test, directly or through ephemeral models) has run. Snapshots and
    /// incremental models keep theirs, which their next run reads; sources keep theirs, read
    /// again only when their load changes; and a project with `on-run-end` hooks keeps every
    /// table, since the hooks may query any of them.
    pub fn release_tables_once_read(mut self) -> Self {
        self.releases_tables = true;
        self
    }

    /// For each position in `planned`, the tables to let go once the node there has run.
    pub(super) fn releases_after(&self, planned: &[String]) -> Vec<Vec<String>> {
        let mut after = vec![Vec::new(); planned.len()];
        if !self.releases_tables || !self.loaded.project.on_run_end.is_empty() {
            return after;
        }
        let mut last: IndexMap<&str, usize> = IndexMap::new();
        for (i, id) in planned.iter().enumerate() {
            last.insert(id.as_str(), i);
            for table in self.tables_read_by(id) {
                if let Some(read) = self.loaded.project.nodes.get(&table) {
                    last.insert(read.unique_id.as_str(), i);
                }
            }
        }
        for (id, i) in last {
            let releasable = self.loaded.project.nodes.get(id).is_some_and(|n| {
                matches!(n.kind, NodeKind::Model | NodeKind::Seed)
                    && !n.materialization.is_ephemeral()
                    && n.materialization.incremental().is_none()
            });
            if releasable && let Some(slot) = after.get_mut(i) {
                slot.push(id.to_string());
            }
        }
        after
    }

    /// The nodes whose tables `id` reads: its parents, and through an ephemeral parent (a CTE
    /// in the reader's SQL) that parent's own.
    fn tables_read_by(&self, id: &str) -> Vec<String> {
        let mut tables = Vec::new();
        let mut todo = self.dag.parents(id);
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(parent) = todo.pop() {
            if !seen.insert(parent.clone()) {
                continue;
            }
            match self.loaded.project.nodes.get(&parent) {
                Some(n) if n.materialization.is_ephemeral() => {
                    todo.extend(self.dag.parents(&parent));
                }
                _ => tables.push(parent),
            }
        }
        tables
    }

    /// Drops a built table from the session; a later run builds it again.
    pub(super) fn release_table(&mut self, id: &str) {
        let Some(node) = self.loaded.project.nodes.get(id) else {
            return;
        };
        let _ = self
            .ctx
            .deregister_table(session::table_reference(&node.relation));
        self.schemas
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&node.relation);
        self.built.remove(id);
    }
}
