//! How many rows each table will hold in production, from its own plan: a source grows as
//! `modelplay_expected_rows` says; a model that filters, joins or projects grows like the
//! fastest-growing input it reads; a `group by` grows only as far as its groups do (fifty
//! states stay fifty however large the source: the input's growth raised to the share of
//! groups among its rows); a global aggregate or a `limit` does not grow; a `union` grows as
//! its branches do, weighted by their rows.

use std::collections::HashMap;

use datafusion::logical_expr::LogicalPlan;

use crate::project::{Node, NodeKind};
use crate::run::Engine;

/// A table's expected rows and how they were found.
#[derive(Debug, Clone)]
pub struct Estimate {
    /// Rows in the sample build.
    pub sample: u64,
    /// How much larger than the sample production is.
    pub growth: f64,
    /// Whether a production size was given for anything upstream; without one, the sample
    /// is all there is to go on.
    pub known: bool,
    /// The plan's shape that decided the growth.
    pub how: String,
}

impl Estimate {
    pub fn rows(&self) -> u64 {
        (self.sample as f64 * self.growth).round() as u64
    }
}

/// The operator that decides how a model's rows grow, under projections, sorts, aliases,
/// windows and filters (which keep the proportion of their input).
fn shape(plan: &LogicalPlan) -> &LogicalPlan {
    match plan {
        LogicalPlan::Projection(p) => shape(&p.input),
        LogicalPlan::Sort(s) => shape(&s.input),
        LogicalPlan::SubqueryAlias(a) => shape(&a.input),
        LogicalPlan::Filter(f) => shape(&f.input),
        LogicalPlan::Window(w) => shape(&w.input),
        other => other,
    }
}

async fn count(engine: &mut Engine, relation: &str) -> u64 {
    engine
        .query(&format!("select count(*) from {relation}"))
        .await
        .ok()
        .and_then(|b| {
            b.first()
                .map(|b| crate::run::tables::display_value(b.column(0), 0))
        })
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
}

/// Every node's estimate, parents before children.
pub async fn estimates(engine: &mut Engine) -> HashMap<String, Estimate> {
    let expected = engine
        .project()
        .vars
        .get("modelplay_expected_rows")
        .and_then(|v| v.as_object())
        .cloned()
        .unwrap_or_default();
    let mut out: HashMap<String, Estimate> = HashMap::new();
    let sources: Vec<_> = engine.project().sources.values().cloned().collect();
    for s in sources {
        let sample = count(engine, &s.relation.to_string()).await;
        let key = format!("{}.{}", s.source_name, s.name);
        let given = expected.get(&key).and_then(|v| v.as_u64());
        let growth = given.map_or(1.0, |rows| rows as f64 / sample.max(1) as f64);
        out.insert(
            s.unique_id.clone(),
            Estimate {
                sample,
                growth,
                known: given.is_some(),
                how: format!("the source {key}"),
            },
        );
    }
    let order: Vec<Node> = engine
        .dag()
        .order(engine.project())
        .iter()
        .filter_map(|id| engine.project().nodes.get(id).cloned())
        .filter(|n| !n.kind.is_test())
        .collect();
    for node in order {
        let parents: Vec<Estimate> = engine
            .dag()
            .parents(&node.unique_id)
            .iter()
            .filter_map(|p| out.get(p).cloned())
            .collect();
        let sample = if node.materialization.is_ephemeral() {
            0
        } else {
            count(engine, &node.relation.to_string()).await
        };
        let known = parents.iter().any(|p| p.known);
        let fastest = parents.iter().map(|p| p.growth).fold(1.0, f64::max);
        let input = parents.iter().map(|p| p.sample).max().unwrap_or(0);
        let (growth, how) = if node.kind == NodeKind::Seed {
            (1.0, "a seed, loaded as it is".to_string())
        } else if node.kind == NodeKind::Snapshot {
            (fastest, "a snapshot of what it reads".to_string())
        } else {
            match engine.node_plan(&node.unique_id).await {
                Err(_) => (fastest, "what it reads".to_string()),
                Ok(plan) => match shape(&plan) {
                    LogicalPlan::Aggregate(a) if a.group_expr.is_empty() => {
                        (1.0, "an aggregate without groups: one row".to_string())
                    }
                    LogicalPlan::Limit(_) => (1.0, "a limit".to_string()),
                    LogicalPlan::Aggregate(_) | LogicalPlan::Distinct(_) => {
                        // Groups nearly as many as the rows grow with them; a few groups,
                        // each seen many times, are most of the groups there are and grow
                        // little: the growth is the input's raised to the groups' share.
                        let spread = if input == 0 {
                            1.0
                        } else {
                            (sample as f64 / input as f64).min(1.0)
                        };
                        (
                            fastest.powf(spread),
                            format!("a group by: {sample} groups from {input} rows in the sample"),
                        )
                    }
                    LogicalPlan::Union(_) => {
                        let total: u64 = parents.iter().map(|p| p.sample).sum();
                        let weighted = if total == 0 {
                            fastest
                        } else {
                            parents
                                .iter()
                                .map(|p| p.growth * p.sample as f64)
                                .sum::<f64>()
                                / total as f64
                        };
                        (weighted, "a union of what it reads".to_string())
                    }
                    _ => (fastest, "what it reads".to_string()),
                },
            }
        };
        out.insert(
            node.unique_id.clone(),
            Estimate {
                sample,
                growth,
                known,
                how,
            },
        );
    }
    out
}
