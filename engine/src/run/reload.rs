//! Swapping in an edited project while keeping what was already built, so that re-running
//! one model and its descendants does not rebuild everything upstream of it.

use super::*;
use crate::files::ProjectFiles;

impl Engine {
    /// Replaces the project with `loaded`, an edit of it. Tables built from nodes whose files
    /// did not change (nor any of their ancestors') stay built; everything else is dropped.
    /// An edit outside model and snapshot SQL (YAML, macros, data, `dbt_project.yml`) can
    /// change any node, so it starts from a fresh session. Returns how many built nodes
    /// were kept.
    pub fn reload(&mut self, loaded: LoadedProject) -> Result<usize, Vec<Diagnostic>> {
        let old = &self.loaded.project;
        let new = &loaded.project;
        let changed: Vec<&str> = changed_paths(&old.files, &new.files);
        let sql_paths: HashSet<&str> = old
            .nodes
            .values()
            .chain(new.nodes.values())
            .filter(|n| matches!(n.kind, NodeKind::Model | NodeKind::Snapshot))
            .map(|n| n.path.as_str())
            .collect();
        let only_sql = changed.iter().all(|p| sql_paths.contains(p));
        let dag = Dag::build(new)?;
        if !only_sql || old.target.schema != new.target.schema {
            let run_time = self.run_time;
            let check_before_run = self.check_before_run;
            let clock = self.clock.clone();
            let memory = self.memory.take();
            *self = Engine::new(loaded, run_time)?.with_clock(clock);
            if let Some(runtime) = memory {
                self.use_runtime(runtime);
            }
            self.check_before_run = check_before_run;
            return Ok(0);
        }
        let mut stale: HashSet<String> = new
            .nodes
            .values()
            .filter(|n| changed.contains(&n.path.as_str()))
            .map(|n| n.unique_id.clone())
            .collect();
        // A node the edit removed or renamed leaves nothing behind that others may read, and
        // what read it is stale with it.
        let removed: Vec<String> = old
            .nodes
            .keys()
            .filter(|id| !new.nodes.contains_key(*id))
            .cloned()
            .collect();
        for id in &removed {
            stale.extend(self.dag.descendants(id, None));
        }
        self.check_cache.edited(stale.iter().cloned());
        stale.extend(removed);
        for id in stale.clone() {
            if new.nodes.contains_key(&id) {
                stale.extend(dag.descendants(&id, None));
            }
        }
        self.built.retain(|id| !stale.contains(id));
        self.compiled.retain(|id, _| !stale.contains(id));
        self.warnings = new.warnings.clone();
        self.loaded = loaded;
        self.dag = dag;
        self.last_check = None;
        Ok(self.built.len())
    }

    /// Whether `unique_id` holds a table from an earlier run that the next run may reuse.
    pub fn is_built(&self, unique_id: &str) -> bool {
        self.built.contains(unique_id)
    }
}

fn changed_paths<'a>(old: &'a ProjectFiles, new: &'a ProjectFiles) -> Vec<&'a str> {
    let mut changed: Vec<&str> = new
        .iter()
        .filter(|(p, bytes)| old.get(p) != Some(*bytes))
        .map(|(p, _)| p)
        .collect();
    changed.extend(old.paths().filter(|p| new.get(p).is_none()));
    changed
}
