//! What a check found of each node, kept so that the next check plans only what an edit can
//! have changed: the edited nodes (see `Engine::reload`), and their descendants only where
//! an edited node's columns or failure changed (or it is ephemeral, inlined into them). A
//! check after a keystroke in one model then plans that model, not the project.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;

use super::check::{CheckReport, LineageEdge};
use super::compile::Schemas;
use crate::dag::FailureWalk;
use crate::diagnostic::Diagnostic;
use crate::project::Node;

/// One node as a check left it: everything the check added to its report for the node, and
/// the relation it registered for its descendants to plan against.
#[derive(Debug, Clone)]
pub(super) struct NodeCheck {
    pub diagnostics: Vec<Diagnostic>,
    /// The schema it planned to (none when it failed, or for tests).
    pub planned: Option<SchemaRef>,
    /// A seed's rows, which the check registers whole.
    pub seed_rows: Option<RecordBatch>,
    pub columns: Option<Vec<(String, String)>>,
    pub lineage: Option<BTreeMap<String, Vec<LineageEdge>>>,
    pub failed: Option<Diagnostic>,
    /// Whether its descendants were left unchecked because of it.
    pub stops_descendants: bool,
}

/// Makes a node that planned to `schema` readable by the nodes planned after it: an
/// ephemeral model as a schema to inline, a seed with its rows (a template's query over a
/// seed, `run_query` or `dbt_utils.get_column_values`, sees them), anything else as an empty
/// table.
pub(super) fn register_planned(
    node: &Node,
    schema: &SchemaRef,
    seed_rows: Option<&RecordBatch>,
    ctx: &SessionContext,
    schemas: &Schemas,
) {
    if node.materialization.is_ephemeral() {
        schemas
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(node.relation.clone(), schema.clone());
        return;
    }
    let rows = match seed_rows {
        Some(batch) => vec![batch.clone()],
        None => vec![RecordBatch::new_empty(schema.clone())],
    };
    let _ = super::register_table(ctx, schemas, &node.relation, schema.clone(), rows);
}

impl NodeCheck {
    /// Adds to `report` what the check that made this found, and registers the node's
    /// relation in `ctx` as that check did.
    pub fn replay(
        &self,
        node: &Node,
        ctx: &SessionContext,
        schemas: &Schemas,
        report: &mut CheckReport,
        walk: &mut FailureWalk,
    ) {
        report.diagnostics.extend(self.diagnostics.iter().cloned());
        if let Some(schema) = &self.planned {
            register_planned(node, schema, self.seed_rows.as_ref(), ctx, schemas);
        }
        let id = &node.unique_id;
        if let Some(columns) = &self.columns {
            report.columns.insert(id.clone(), columns.clone());
        }
        if let Some(lineage) = &self.lineage {
            report.lineage.insert(id.clone(), lineage.clone());
        }
        if let Some(failed) = &self.failed {
            report.failed.insert(id.clone(), failed.clone());
        }
        if self.stops_descendants {
            walk.fail(id);
        }
    }
}

impl NodeCheck {
    /// Whether what the node's descendants are planned against is as it was: the same
    /// columns and types, failing or not as before. An edit that changes neither (a comment,
    /// a reordered `where`) does not make them plan again.
    pub fn same_for_descendants(&self, other: &NodeCheck) -> bool {
        self.planned == other.planned
            && self.failed.is_some() == other.failed.is_some()
            && self.stops_descendants == other.stops_descendants
    }
}

/// What the last check found of each node, for the selection it compiled with (in a project
/// whose templates read `selected_resources`, another selection starts afresh), and the nodes edited
/// since, which the next check plans again whatever their parents did.
#[derive(Debug, Default)]
pub(super) struct CheckCache(Mutex<Kept>);

#[derive(Debug, Default)]
pub(super) struct Kept {
    pub selected: Arc<Vec<String>>,
    pub nodes: HashMap<String, NodeCheck>,
    pub edited: HashSet<String>,
}

impl CheckCache {
    /// Takes what is kept out for a check compiling with `selected`; what was found under
    /// another selection is kept only if no template can read it.
    pub fn take(
        &self,
        selected: &Arc<Vec<String>>,
        reads_selection: impl FnOnce() -> bool,
    ) -> Kept {
        let kept = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        if kept.selected == *selected || !reads_selection() {
            Kept {
                selected: selected.clone(),
                ..kept
            }
        } else {
            Kept {
                selected: selected.clone(),
                ..Kept::default()
            }
        }
    }

    /// Keeps what a check found of its nodes; every edit so far has been planned.
    pub fn keep(&self, mut kept: Kept) {
        kept.edited.clear();
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = kept;
    }

    /// Marks `ids` as edited: the next check plans them again.
    pub fn edited(&self, ids: impl IntoIterator<Item = String>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .edited
            .extend(ids);
    }
}
