//! Redshift's documented answers, case by case: `engine/tests/redshift/*.txt` hold examples
//! from the AWS Redshift Database Developer Guide with the result the guide prints, and each
//! must come out of the engine as printed there, or be refused with an error.
//!
//! A file is a list of lines:
//! - `@ page` names the guide's page the following cases come from (`r_MOD` is
//!   <https://docs.aws.amazon.com/redshift/latest/dg/r_MOD.html>);
//! - `run_time: 2008-12-04 16:10:43` sets what `getdate()` returns for the following cases;
//! - `with: name(cols) as (...)` puts a common table expression in front of the following
//!   cases: a table the guide creates and fills, written out;
//! - `sql => expected` is a case: rows separated by ` ;; `, cells by ` | `, `NULL` for NULL,
//!   `''` for the empty string;
//! - `sql =: name | name` is a case on the names Redshift gives the result's columns;
//! - `sql => ERROR` is a case Redshift documents as an error: the engine must fail too;
//! - `sql => expected !! why` is a case modelplay refuses: it must fail with an error, and
//!   `why` is what the README says of it;
//! - `#` starts a comment.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use modelplay_engine::run::tables::display_value;

use crate::common::*;

const GUIDE: &str = "https://docs.aws.amazon.com/redshift/latest/dg/";

#[derive(Debug, Clone)]
pub struct Case {
    pub file: String,
    pub line: usize,
    pub page: String,
    pub run_time: chrono::NaiveDateTime,
    pub sql: String,
    /// The SQL as the file writes it, without the file's common table expression.
    pub written: String,
    pub expected: Vec<Vec<String>>,
    /// The case is about the columns' names, not the values.
    pub names: bool,
    pub refused: Option<String>,
}

impl Case {
    pub fn url(&self) -> String {
        format!("{GUIDE}{}.html", self.page)
    }
}

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/redshift")
}

pub fn corpus() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut page = String::new();
        let mut time = run_time();
        let mut with: Option<String> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(p) = line.strip_prefix("@ ") {
                page = p.trim().to_string();
                continue;
            }
            if let Some(w) = line.strip_prefix("with:") {
                with = Some(w.trim().to_string()).filter(|w| w != "none");
                continue;
            }
            if let Some(t) = line.strip_prefix("run_time:") {
                time = chrono::NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M:%S%.f")
                    .unwrap_or_else(|e| panic!("{name}:{}: run_time {t:?}: {e}", i + 1));
                continue;
            }
            let (sql, rest, names) = match line.rsplit_once(" =: ") {
                Some((sql, rest)) => (sql, rest, true),
                None => {
                    let (sql, rest) = line
                        .rsplit_once(" => ")
                        .unwrap_or_else(|| panic!("{name}:{}: a case is `sql => expected`", i + 1));
                    (sql, rest, false)
                }
            };
            assert!(!page.is_empty(), "{name}:{}: no `@ page` above", i + 1);
            let (expected, refused) = match rest.split_once(" !! ") {
                Some((e, why)) => (e, Some(why.trim().to_string())),
                None => (rest, None),
            };
            cases.push(Case {
                file: name.clone(),
                line: i + 1,
                page: page.clone(),
                run_time: time,
                sql: with_prelude(with.as_deref(), sql.trim().trim_end_matches(';').trim()),
                written: sql.trim().trim_end_matches(';').trim().to_string(),
                expected: expected
                    .split(" ;; ")
                    .map(|row| {
                        row.split(" | ")
                            .map(|c| match c.trim() {
                                "''" => String::new(),
                                c => c.to_string(),
                            })
                            .collect()
                    })
                    .collect(),
                names,
                refused,
            });
        }
    }
    cases
}

/// `sql` with the file's common table expression in front of it, merged into its own WITH.
fn with_prelude(with: Option<&str>, sql: &str) -> String {
    let Some(cte) = with else {
        return sql.to_string();
    };
    match sql.get(..5) {
        Some(w) if w.eq_ignore_ascii_case("with ") => format!("with {cte}, {}", &sql[5..]),
        _ => format!("with {cte} {sql}"),
    }
}

/// What the engine answers: the rows as text, `NULL` for NULL, and whether each column is
/// a floating-point one (printed to as many digits as the client asks, so compared by value).
/// The rows as text, whether each column is floating-point, and the columns' names.
type Answer = (Vec<Vec<String>>, Vec<bool>, Vec<String>);

/// With `names`, the one row is the columns' names.
fn answer(sql: &str, time: chrono::NaiveDateTime, names: bool) -> Result<Answer, String> {
    let files = inline(&[("dbt_project.yml", "name: corpus\n")]);
    let loaded =
        modelplay_engine::load_project(files, &Default::default()).map_err(|d| format!("{d:?}"))?;
    let mut engine = modelplay_engine::Engine::new(loaded, time).map_err(|d| format!("{d:?}"))?;
    let batches = block_on(engine.query(sql)).map_err(|d| d.message.clone())?;
    let mut rows = Vec::new();
    let mut floats = Vec::new();
    if names {
        let schema = batches.first().map(|b| b.schema()).ok_or("no result")?;
        let row: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        return Ok((vec![row.clone()], vec![false; row.len()], row));
    }
    let names = batches
        .first()
        .map(|b| {
            b.schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect()
        })
        .unwrap_or_default();
    for b in &batches {
        floats = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().is_floating())
            .collect();
        for i in 0..b.num_rows() {
            rows.push(
                (0..b.num_columns())
                    .map(|c| {
                        // The guide's tables do not show a value's leading or trailing blanks.
                        if b.column(c).is_null(i) {
                            "NULL".to_string()
                        } else {
                            display_value(b.column(c), i).trim().to_string()
                        }
                    })
                    .collect(),
            );
        }
    }
    Ok((rows, floats, names))
}

/// Which output columns the query's ORDER BY sorts on, by position or name; `None` when it
/// sorts on something else (then the order must match exactly). Without an ORDER BY, Redshift
/// returns rows in no particular order: every column is free.
fn sort_columns(sql: &str, names: &[String]) -> Option<Vec<usize>> {
    use datafusion::sql::sqlparser::ast::{Expr, OrderByKind, Statement, Value};
    use datafusion::sql::sqlparser::parser::Parser;
    use modelplay_engine::redshift::dialect::RedshiftDialect;
    let statements = Parser::parse_sql(&RedshiftDialect, sql).ok()?;
    let Some(Statement::Query(query)) = statements.first() else {
        return None;
    };
    let Some(order_by) = &query.order_by else {
        return Some(Vec::new());
    };
    let OrderByKind::Expressions(exprs) = &order_by.kind else {
        return None;
    };
    exprs
        .iter()
        .map(|o| match &o.expr {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => n.parse::<usize>().ok().and_then(|n| n.checked_sub(1)),
                _ => None,
            },
            Expr::Identifier(id) => names.iter().position(|n| n.eq_ignore_ascii_case(&id.value)),
            _ => None,
        })
        .collect()
}

/// Rows equal as Redshift promises them: in order, except that rows the ORDER BY does not
/// tell apart may come in any order among themselves.
fn same_rows(
    got: &[Vec<String>],
    expected: &[Vec<String>],
    keys: Option<&[usize]>,
    same: &dyn Fn(&[String], &[String]) -> bool,
) -> bool {
    if got.len() != expected.len() {
        return false;
    }
    let Some(keys) = keys else {
        return got.iter().zip(expected).all(|(g, e)| same(g, e));
    };
    let key = |r: &[String]| keys.iter().map(|k| r.get(*k).cloned()).collect::<Vec<_>>();
    let mut start = 0;
    while start < expected.len() {
        let k = key(&expected[start]);
        let mut end = start + 1;
        while end < expected.len() && (keys.is_empty() || key(&expected[end]) == k) {
            end += 1;
        }
        // Match each expected row of this run to a distinct row of the same run.
        let mut used = vec![false; end - start];
        for e in &expected[start..end] {
            let found = (start..end).find(|i| !used[i - start] && same(&got[*i], e));
            match found {
                Some(i) => used[i - start] = true,
                None => return false,
            }
        }
        start = end;
    }
    true
}

fn same_cell(expected: &str, got: &str, float: bool) -> bool {
    if expected == got {
        return true;
    }
    let truth = |s: &str| match s.to_ascii_lowercase().as_str() {
        "t" | "true" => Some(true),
        "f" | "false" => Some(false),
        _ => None,
    };
    if let (Some(a), Some(b)) = (truth(expected), truth(got)) {
        return a == b;
    }
    if float && let (Ok(a), Ok(b)) = (expected.parse::<f64>(), got.parse::<f64>()) {
        let scale = a.abs().max(b.abs()).max(1e-300);
        return (a - b).abs() / scale < 1e-12 || (a - b).abs() < 1e-15;
    }
    false
}

pub enum Outcome {
    Documented,
    Refused,
    Wrong(String),
}

pub fn outcome(case: &Case) -> Outcome {
    let documented_error = case.expected == [vec!["ERROR".to_string()]];
    match (answer(&case.sql, case.run_time, case.names), &case.refused) {
        (Err(_), None) if documented_error => Outcome::Documented,
        (Err(_), Some(_)) => Outcome::Refused,
        (Err(e), None) => Outcome::Wrong(format!("error: {e}")),
        (Ok((rows, floats, names)), refused) => {
            let same_row = |got: &[String], exp: &[String]| {
                got.len() == exp.len()
                    && got
                        .iter()
                        .zip(exp)
                        .enumerate()
                        .all(|(c, (g, e))| same_cell(e, g, floats.get(c) == Some(&true)))
            };
            let keys = if case.names {
                None
            } else {
                sort_columns(&case.sql, &names)
            };
            let same = same_rows(&rows, &case.expected, keys.as_deref(), &same_row);
            let shown = rows
                .iter()
                .map(|r| r.join(" | "))
                .collect::<Vec<_>>()
                .join(" ;; ");
            match (same, refused) {
                (true, None) => Outcome::Documented,
                (true, Some(_)) => Outcome::Wrong(format!(
                    "marked as refused, but gives the documented value {shown}: remove the `!!`"
                )),
                (false, Some(_)) => Outcome::Wrong(format!(
                    "marked as refused, but gives a different value with no error: {shown}"
                )),
                (false, None) => Outcome::Wrong(format!("got {shown}")),
            }
        }
    }
}

#[test]
fn every_case_gives_the_documented_value_or_is_refused() {
    let cases = corpus();
    let mut report = String::new();
    let mut documented = 0;
    let mut refused = 0;
    for case in &cases {
        match outcome(case) {
            Outcome::Documented => documented += 1,
            Outcome::Refused => refused += 1,
            Outcome::Wrong(why) => {
                let expected = case
                    .expected
                    .iter()
                    .map(|r| r.join(" | "))
                    .collect::<Vec<_>>()
                    .join(" ;; ");
                let _ = writeln!(
                    report,
                    "{}:{} ({})\n  {}\n  expected {expected}\n  {why}",
                    case.file,
                    case.line,
                    case.url(),
                    case.sql
                );
            }
        }
    }
    let wrong = cases.len() - documented - refused;
    eprintln!(
        "{} cases: {documented} give the documented value, {refused} are refused, {wrong} differ",
        cases.len()
    );
    assert!(report.is_empty(), "\n{report}");
    assert!(
        cases.len() >= 400,
        "the corpus has {} cases, fewer than 400",
        cases.len()
    );
    let share = documented as f64 / cases.len() as f64;
    assert!(
        share >= 0.97,
        "{documented} of {} cases ({:.1}%) give the documented value, under 97%",
        cases.len(),
        share * 100.0
    );
}

const README_START: &str = "<!-- redshift-corpus:start -->";
const README_END: &str = "<!-- redshift-corpus:end -->";

/// A guide page's name as a reader knows it: `r_DATEADD_function` is DATEADD.
fn page_title(page: &str) -> String {
    let t = page.strip_prefix("r_").unwrap_or(page);
    let t = t.strip_suffix("_function").unwrap_or(t);
    let t = t.strip_suffix("-function").unwrap_or(t);
    t.replace('_', " ")
}

/// The README's account of Redshift's behaviours, written from the corpus alone.
fn readme_section(cases: &[Case]) -> String {
    let refused: Vec<&Case> = cases.iter().filter(|c| c.refused.is_some()).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Generated from `engine/tests/redshift/*.txt` by `engine/tests/integration/redshift_corpus.rs`\n\
         (`MODELPLAY_UPDATE_README=1 cargo test --test integration redshift_corpus` rewrites it).\n\n\
         {} examples from the AWS Redshift Database Developer Guide, each with the result the guide\n\
         prints: {} give that result and {} are refused with an error at the query's line.\n",
        cases.len(),
        cases.len() - refused.len(),
        refused.len()
    );
    let _ = writeln!(out, "| Examples | Area | Guide pages |\n|---:|---|---|");
    let mut files: Vec<&str> = cases.iter().map(|c| c.file.as_str()).collect();
    files.dedup();
    for file in files {
        let of_file: Vec<&Case> = cases.iter().filter(|c| c.file == file).collect();
        let mut pages: Vec<String> = Vec::new();
        for c in &of_file {
            let title = page_title(&c.page);
            if !pages.contains(&title) {
                pages.push(title);
            }
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            of_file.len(),
            file.trim_end_matches(".txt"),
            pages.join(", ")
        );
    }
    if !refused.is_empty() {
        let _ = writeln!(
            out,
            "\nRefused, each with an error that names the construct:\n"
        );
        for c in refused {
            let _ = writeln!(
                out,
                "- {} ([{}]({})): `{}`",
                c.refused.as_deref().unwrap_or_default(),
                page_title(&c.page),
                c.url(),
                c.written.chars().take(90).collect::<String>()
            );
        }
    }
    out
}

#[test]
fn the_readme_lists_what_the_corpus_shows() {
    let readme_path = repo_path("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let (Some(start), Some(end)) = (readme.find(README_START), readme.find(README_END)) else {
        panic!("README.md has no {README_START} ... {README_END} section");
    };
    let current = &readme[start + README_START.len()..end];
    let generated = format!("\n{}", readme_section(&corpus()));
    if std::env::var_os("MODELPLAY_UPDATE_README").is_some() {
        let updated = format!(
            "{}{README_START}{generated}{}",
            &readme[..start],
            &readme[end..]
        );
        std::fs::write(&readme_path, updated).unwrap();
        return;
    }
    assert!(
        current == generated,
        "README.md's Redshift section is not what the corpus shows; run \
         MODELPLAY_UPDATE_README=1 cargo test --test integration redshift_corpus"
    );
}
