//! `modelplay advise`: distribution and sort keys for every table, from how the models use
//! its columns and what the sample data says about them, following the AWS rules in
//! Redshift's developer guide. Each recommendation comes with its reasons, its evidence and
//! the config line to paste into the model.

pub mod estimate;
pub mod usage;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::project::resolved::Dist;
use crate::project::{Node, NodeKind};
use crate::run::Engine;
use crate::run::tables::display_value;
use usage::{Usage, Use};

/// What the sample data says about one column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnStats {
    pub column: String,
    pub distinct_ratio: f64,
    pub null_share: f64,
    pub top_value: String,
    pub top_value_share: f64,
}

/// The advice for one table.
#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    pub model: String,
    pub relation: String,
    pub sample_rows: u64,
    pub expected_rows: u64,
    /// `all`, `even` or a column (a distkey).
    pub dist: String,
    pub sort: Vec<String>,
    pub reasons: Vec<String>,
    pub evidence: Vec<String>,
    pub warnings: Vec<String>,
    /// What the recommendation means for Redshift's automatic table optimization.
    pub notes: Vec<String>,
    pub config_line: String,
    pub current: String,
}

async fn stats(engine: &mut Engine, relation: &str, column: &str) -> Option<ColumnStats> {
    let sql = format!(
        "select count(*) as n, count(distinct \"{column}\") as d, \
         sum(case when \"{column}\" is null then 1 else 0 end) as nulls from {relation}"
    );
    let b = engine.query(&sql).await.ok()?;
    let b = b.first()?;
    let num = |i: usize| display_value(b.column(i), 0).parse::<f64>().unwrap_or(0.0);
    let (n, d, nulls) = (num(0), num(1), num(2));
    if n == 0.0 {
        return None;
    }
    let top = engine
        .query(&format!(
            "select cast(\"{column}\" as varchar) as v, count(*) as c from {relation} \
             group by 1 order by 2 desc, 1 limit 1"
        ))
        .await
        .ok()?;
    let (top_value, top_count) = top
        .first()
        .filter(|b| b.num_rows() > 0)
        .map(|b| {
            (
                display_value(b.column(0), 0),
                display_value(b.column(1), 0).parse::<f64>().unwrap_or(0.0),
            )
        })
        .unwrap_or_default();
    Some(ColumnStats {
        column: column.to_string(),
        distinct_ratio: d / n,
        null_share: nulls / n,
        top_value,
        top_value_share: top_count / n,
    })
}

/// Advice for every selected table (tables, incremental models, snapshots, materialized views).
pub async fn advise(
    engine: &mut Engine,
    select: &[String],
    exclude: &[String],
) -> Result<Vec<Advice>, Vec<Diagnostic>> {
    engine.build_for_inspection().await?;
    let nodes: Vec<Node> = engine.project().nodes.values().cloned().collect();
    let mut uses: Vec<Usage> = Vec::new();
    for n in nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::Model | NodeKind::Snapshot))
    {
        if let Ok(sql) = engine.compile_sql(&n.unique_id, false) {
            uses.extend(usage::usages(&n.name, &sql));
        }
    }
    let all_max: u64 = engine
        .project()
        .vars
        .get("modelplay_diststyle_all_max_rows")
        .and_then(|v| v.as_u64())
        .unwrap_or(1_000_000);
    let chosen = crate::selector::select(engine.project(), engine.dag(), select, exclude)
        .map_err(|m| vec![crate::run::selector_error(m)])?;
    let estimates = estimate::estimates(engine).await;
    let mut out = Vec::new();
    for node in nodes.iter().filter(|n| chosen.contains(&n.unique_id)) {
        let Some(keys) = node
            .materialization
            .table_keys()
            .filter(|_| node.kind != NodeKind::Seed)
        else {
            continue;
        };
        let key = node.relation.short();
        let mine: Vec<&Usage> = uses.iter().filter(|u| u.table == key).collect();
        let Some(est) = estimates.get(&node.unique_id).cloned() else {
            continue;
        };
        let rows = est.sample;
        let expected = est.rows();
        let mut joins: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut filters: BTreeMap<String, (usize, bool, bool)> = BTreeMap::new();
        for u in &mine {
            match &u.how {
                Use::Join { with } => joins
                    .entry(u.column.clone())
                    .or_default()
                    .push(format!("{} joins it to {with}", u.by_model)),
                Use::Filter { range, wrapped } => {
                    let e = filters.entry(u.column.clone()).or_insert((0, false, false));
                    e.0 += 1;
                    e.1 |= *range;
                    e.2 |= *wrapped;
                }
                _ => {}
            }
        }
        let schema = engine.relation_schema(&node.relation);
        let temporal = |c: &str| {
            schema.as_ref().is_some_and(|s| {
                s.fields().iter().any(|f| {
                    f.name() == c
                        && matches!(
                            f.data_type(),
                            datafusion::arrow::datatypes::DataType::Date32
                                | datafusion::arrow::datatypes::DataType::Timestamp(..)
                        )
                })
            })
        };
        let mut reasons = Vec::new();
        let mut evidence = Vec::new();
        let mut warnings = Vec::new();
        let rel = node.relation.to_string();
        // Join columns, most joined first; each must have high cardinality and little skew.
        let mut candidates: Vec<(&String, &Vec<String>)> = joins.iter().collect();
        candidates.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        let mut distkey = None;
        for (col, how) in &candidates {
            evidence.extend(how.iter().cloned());
            if filters.get(*col).is_some_and(|f| f.1) && temporal(col) {
                warnings.push(format!(
                    "`{col}` is range-filtered; as a distkey it would put the work on few slices"
                ));
                continue;
            }
            let Some(s) = stats(engine, &rel, col).await else {
                continue;
            };
            evidence.push(format!(
                "`{col}`: {:.0}% distinct, {:.0}% null, most common value '{}' in {:.0}% of rows",
                s.distinct_ratio * 100.0,
                s.null_share * 100.0,
                s.top_value,
                s.top_value_share * 100.0
            ));
            if s.top_value_share > 0.2 || s.null_share > 0.2 {
                warnings.push(format!(
                    "skew: `{col}` is the join column, but '{}' holds {:.0}% of rows (nulls {:.0}%); as a distkey one slice would hold them all",
                    if s.top_value.is_empty() { "NULL" } else { s.top_value.as_str() },
                    s.top_value_share * 100.0,
                    s.null_share * 100.0
                ));
                continue;
            }
            if s.distinct_ratio < 0.01 {
                warnings.push(format!(
                    "`{col}` has too few distinct values to spread rows evenly"
                ));
                continue;
            }
            distkey = Some((*col).clone());
            break;
        }
        evidence.push(format!(
            "{expected} rows expected: {rows} in the sample, grown ×{:.1} as {}",
            est.growth, est.how
        ));
        let small = expected <= all_max;
        let dist = match (est.known && rows > 0, small, &distkey) {
            (false, _, _) if rows == 0 => {
                reasons.push(
                    "the sample build has no rows for it: nothing to judge its size or its values by, so AUTO leaves the choice to Redshift".to_string(),
                );
                "auto".to_string()
            }
            (false, _, key) => {
                reasons.push(
                    "its production size is unknown (no `modelplay_expected_rows` for the sources it reads): AUTO lets Redshift keep it on every node while it is small and spread it as it grows".to_string(),
                );
                if let Some(col) = key {
                    reasons.push(format!(
                        "should it grow large, `{col}` is the join column to distribute it on"
                    ));
                }
                "auto".to_string()
            }
            (true, true, _) if !joins.is_empty() => {
                reasons.push(format!(
                    "small ({expected} rows expected, at most {all_max} for ALL) and joined: a copy on every node avoids redistribution"
                ));
                "all".to_string()
            }
            (true, true, _) => {
                reasons.push(format!(
                    "small ({expected} rows expected) and not joined: ALL costs little and serves any filter"
                ));
                "all".to_string()
            }
            (true, false, Some(col)) => {
                reasons.push(format!(
                    "large ({expected} rows expected) and joined most often on `{col}`: distributing on it co-locates the join"
                ));
                col.clone()
            }
            (true, false, None) => {
                reasons.push(format!(
                    "large ({expected} rows expected) with no join column fit to be a distkey: AUTO spreads the rows evenly and lets Redshift choose a key from the queries it sees"
                ));
                "auto".to_string()
            }
        };
        // Sort: the timestamp recent-data queries filter on, else the most used filter, else
        // the join column (a merge join when it is also the distkey).
        let mut ranked: Vec<(&String, &(usize, bool, bool))> = filters.iter().collect();
        ranked.sort_by(|a, b| {
            let score = |c: &str, f: &(usize, bool, bool)| (f.1 && temporal(c), f.0);
            score(b.0, b.1).cmp(&score(a.0, a.1)).then(a.0.cmp(b.0))
        });
        let mut sort = Vec::new();
        if let Some((col, f)) = ranked.first() {
            sort.push((*col).clone());
            reasons.push(if f.1 && temporal(col) {
                format!("queries range-filter on the timestamp `{col}`: sorting on it lets Redshift skip blocks")
            } else {
                format!("`{col}` is the most frequent filter ({} filters)", f.0)
            });
            evidence.push(format!("{} filter(s) on `{col}`", f.0));
            if f.2 {
                warnings.push(format!("a function wraps `{col}` in a filter; that defeats zone-map pruning on the sort key"));
            }
        } else if let Some(col) = candidates.first().map(|c| c.0) {
            sort.push(col.clone());
            reasons.push(format!(
                "no filters: sorting on the join column `{col}` allows merge joins"
            ));
        }
        let mut notes = Vec::new();
        if dist == "auto" && sort.is_empty() {
            notes.push(format!(
                "AUTO keeps `{}` under Redshift's automatic table optimization, which changes its keys as the queries change",
                node.name
            ));
        } else {
            notes.push(format!(
                "explicit keys take `{}` out of Redshift's automatic table optimization: Redshift no longer changes its {} as the queries change",
                node.name,
                match (dist == "auto", sort.is_empty()) {
                    (true, _) => "sort key",
                    (false, true) => "distribution",
                    (false, false) => "distribution or sort key",
                }
            ));
        }
        let sort_part = match sort.as_slice() {
            [] => String::new(),
            [one] => format!(", sort='{one}'"),
            many => format!(
                ", sort=[{}]",
                many.iter()
                    .map(|c| format!("'{c}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let current_dist = match &keys.dist {
            None => "(none)".to_string(),
            Some(Dist::All) => "all".into(),
            Some(Dist::Even) => "even".into(),
            Some(Dist::Auto) => "auto".into(),
            Some(Dist::Key(col)) => col.clone(),
        };
        let current_sort = if keys.sort.is_empty() {
            "(none)".to_string()
        } else {
            keys.sort.join(",")
        };
        let current = format!("dist={current_dist} sort={current_sort}");
        evidence.dedup();
        out.push(Advice {
            model: node.name.clone(),
            relation: node.relation.short(),
            sample_rows: rows,
            expected_rows: expected,
            config_line: format!("{{{{ config(dist='{dist}'{sort_part}) }}}}"),
            dist,
            sort,
            reasons,
            evidence,
            warnings,
            notes,
            current,
        });
    }
    Ok(out)
}

/// The advice as text for a terminal.
pub fn render(advice: &[Advice]) -> String {
    let mut s = String::new();
    for a in advice {
        s.push_str(&format!(
            "{} ({}): {} sample rows, {} expected\n  recommend: {}\n  currently: {}\n",
            a.model, a.relation, a.sample_rows, a.expected_rows, a.config_line, a.current
        ));
        for r in &a.reasons {
            s.push_str(&format!("  because:   {r}\n"));
        }
        for e in &a.evidence {
            s.push_str(&format!("  evidence:  {e}\n"));
        }
        for w in &a.warnings {
            s.push_str(&format!("  warning:   {w}\n"));
        }
        for n in &a.notes {
            s.push_str(&format!("  note:      {n}\n"));
        }
        s.push('\n');
    }
    s
}
