//! Progress lines and summaries in dbt's words and layout.

use modelplay_engine::project::Materialized;
use modelplay_engine::{NodeKind, NodeResult, Status, Summary};

const WIDTH: usize = 80;

fn stamp() -> String {
    chrono::Local::now().format("%H:%M:%S").to_string()
}

pub fn line(text: &str) {
    println!("{}  {text}", stamp());
}

/// `1 of 9 START sql view model analytics.stg_x ........ [RUN]`, dotted out to dbt's width.
fn dotted(left: &str, right: &str) -> String {
    let dots = WIDTH.saturating_sub(left.chars().count() + 1).max(3);
    format!("{left} {} {right}", ".".repeat(dots))
}

fn description(kind: NodeKind, materialized: Materialized, relation: &str, name: &str) -> String {
    match kind {
        NodeKind::Model => format!("sql {materialized} model {relation}"),
        NodeKind::Seed => format!("seed file {relation}"),
        NodeKind::Snapshot => format!("snapshot {relation}"),
        NodeKind::Test => format!("test {name}"),
        NodeKind::UnitTest => format!("unit_test {}", unit_test_name(relation, name)),
        NodeKind::Source => format!("source {relation}"),
    }
}

/// dbt's name for a unit test in its log: `model::test`. A unit test's relation is its
/// model's.
fn unit_test_name(relation: &str, name: &str) -> String {
    let model = relation.rsplit('.').next().unwrap_or(relation);
    format!("{model}::{name}")
}

/// What the log calls a test: a unit test by `model::test`.
fn test_name(r: &NodeResult) -> String {
    if r.kind == NodeKind::UnitTest {
        unit_test_name(&r.relation, &r.name)
    } else {
        r.name.clone()
    }
}

pub fn started(
    index: usize,
    total: usize,
    kind: NodeKind,
    materialized: Materialized,
    relation: &str,
    name: &str,
) {
    line(&dotted(
        &format!(
            "{index} of {total} START {}",
            description(kind, materialized, relation, name)
        ),
        "[RUN]",
    ));
}

pub fn finished(index: usize, total: usize, r: &NodeResult) {
    let t = format!("{:.2}s", r.execution_time);
    let what = description(r.kind, r.materialized, &r.relation, &r.name);
    let (left, right) = match (r.status, r.kind) {
        (Status::Success, NodeKind::Seed) => (
            format!("{index} of {total} OK loaded {what}"),
            format!("[INSERT {} in {t}]", r.rows.unwrap_or(0)),
        ),
        (Status::Success, NodeKind::Snapshot) => (
            format!("{index} of {total} OK snapshotted {}", r.relation),
            format!("[SELECT {} in {t}]", r.rows.unwrap_or(0)),
        ),
        (Status::Success, _) if r.materialized == Materialized::View => (
            format!("{index} of {total} OK created {what}"),
            format!("[CREATE VIEW in {t}]"),
        ),
        (Status::Success, _) => (
            format!("{index} of {total} OK created {what}"),
            match r.rows {
                Some(n) => format!("[SELECT {n} in {t}]"),
                None => format!("[OK in {t}]"),
            },
        ),
        (Status::Pass, _) => (
            format!("{index} of {total} PASS {}", test_name(r)),
            format!("[PASS in {t}]"),
        ),
        (Status::Warn, _) => (
            format!(
                "{index} of {total} WARN {} {}",
                r.failures.unwrap_or(0),
                r.name
            ),
            format!("[WARN {} in {t}]", r.failures.unwrap_or(0)),
        ),
        (Status::Fail, _) => (
            format!(
                "{index} of {total} FAIL {} {}",
                r.failures.unwrap_or(0),
                test_name(r)
            ),
            format!("[FAIL {} in {t}]", r.failures.unwrap_or(0)),
        ),
        (Status::Error, NodeKind::Test | NodeKind::UnitTest) => (
            format!("{index} of {total} ERROR {}", test_name(r)),
            format!("[ERROR in {t}]"),
        ),
        (Status::Error, _) => (
            format!("{index} of {total} ERROR creating {what}"),
            format!("[ERROR in {t}]"),
        ),
        (Status::Skipped, _) => (
            format!("{index} of {total} SKIP relation {}", r.relation),
            "[SKIP]".to_string(),
        ),
    };
    line(&dotted(&left, &right));
}

pub fn counts(results: &[NodeResult]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut add = |n: usize, one: &str, many: &str| {
        if n > 0 {
            parts.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    };
    let of = |k: NodeKind, m: Option<Materialized>| {
        results
            .iter()
            .filter(|r| r.kind == k && m.is_none_or(|m| r.materialized == m))
            .count()
    };
    add(of(NodeKind::Seed, None), "seed", "seeds");
    add(
        of(NodeKind::Model, Some(Materialized::View)),
        "view model",
        "view models",
    );
    add(
        of(NodeKind::Model, Some(Materialized::Table)),
        "table model",
        "table models",
    );
    add(
        of(NodeKind::Model, Some(Materialized::Incremental)),
        "incremental model",
        "incremental models",
    );
    add(
        of(NodeKind::Model, Some(Materialized::MaterializedView)),
        "materialized view model",
        "materialized view models",
    );
    add(of(NodeKind::Snapshot, None), "snapshot", "snapshots");
    add(of(NodeKind::Test, None), "data test", "data tests");
    add(of(NodeKind::UnitTest, None), "unit test", "unit tests");
    parts.join(", ")
}

/// dbt's closing block: completion line, each failure in full, the summary counts.
pub fn summary(results: &[NodeResult], summary: Summary, elapsed: f64) {
    line("");
    line(&format!(
        "Finished running {} in {:.2}s.",
        if results.is_empty() {
            "0 nodes".to_string()
        } else {
            counts(results)
        },
        elapsed
    ));
    line("");
    let problems: Vec<&NodeResult> = results
        .iter()
        .filter(|r| matches!(r.status, Status::Error | Status::Fail | Status::Warn))
        .collect();
    let errors = results
        .iter()
        .filter(|r| matches!(r.status, Status::Error | Status::Fail))
        .count();
    if errors == 0 && summary.warn == 0 {
        line("Completed successfully");
    } else if errors == 0 {
        line(&format!(
            "Completed with {} warning{}:",
            summary.warn,
            if summary.warn == 1 { "" } else { "s" }
        ));
    } else {
        line(&format!(
            "Completed with {errors} error{} and {} warning{}:",
            if errors == 1 { "" } else { "s" },
            summary.warn,
            if summary.warn == 1 { "" } else { "s" }
        ));
    }
    for r in problems {
        line("");
        match r.status {
            Status::Error => {
                line(&format!("Error in {} {}", r.kind.as_str(), r.name));
                for l in r.message.as_deref().unwrap_or("").lines() {
                    line(&format!("  {l}"));
                }
            }
            Status::Fail if r.kind == NodeKind::UnitTest => {
                line(&format!("Failure in unit_test {}", r.name));
                line("");
                for l in r.message.as_deref().unwrap_or("").lines() {
                    line(l);
                }
            }
            _ => {
                let verb = if r.status == Status::Fail {
                    "Failure"
                } else {
                    "Warning"
                };
                line(&format!("{verb} in test {}", r.name));
                let f = r.failures.unwrap_or(0);
                line(&format!(
                    "  Got {f} result{}, configured to {} if != 0",
                    if f == 1 { "" } else { "s" },
                    if r.status == Status::Fail {
                        "fail"
                    } else {
                        "warn"
                    }
                ));
            }
        }
    }
    line("");
    line(&format!(
        "Done. PASS={} WARN={} ERROR={} SKIP={} TOTAL={}",
        summary.pass, summary.warn, summary.error, summary.skip, summary.total
    ));
}

pub fn freshness_line(
    index: usize,
    total: usize,
    r: &modelplay_engine::run::freshness::FreshnessResult,
) {
    use modelplay_engine::run::freshness::FreshnessStatus;
    line(&dotted(
        &format!("{index} of {total} START freshness of {}", r.name),
        "[RUN]",
    ));
    let (word, tag) = match r.status {
        FreshnessStatus::Pass => ("PASS", "PASS"),
        FreshnessStatus::Warn => ("WARN", "WARN"),
        FreshnessStatus::Error => ("ERROR STALE", "ERROR STALE"),
        FreshnessStatus::RuntimeError => ("ERROR", "ERROR"),
    };
    line(&dotted(
        &format!("{index} of {total} {word} freshness of {}", r.name),
        &format!("[{tag}]"),
    ));
    if let Some(m) = &r.message {
        line(&format!("  {m}"));
    }
}
