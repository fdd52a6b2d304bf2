//! What the page shows of unit tests and of compare changes: a failed unit test's diff, a
//! unit test's fixtures for the grid editor (and how an edit of them is written back into
//! the YAML), and the comparison of two builds.

use serde::{Deserialize, Serialize};

use crate::Status;

word_enum! {
    /// What became of a row between the expected (or earlier) rows and the actual (or later)
    /// ones.
    RowChange {
        Same => "same",
        Added => "added",
        Removed => "removed",
        Changed => "changed",
    }
}

/// A value as Redshift prints it; `None` is NULL.
pub type Cell = Option<String>;

/// A unit test's rows against its expectation (dbt's diff), over the columns it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitDiff {
    pub columns: Vec<String>,
    pub rows: Vec<UnitDiffRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitDiffRow {
    pub change: RowChange,
    pub expected: Vec<Cell>,
    pub actual: Vec<Cell>,
}

/// A unit test as the tests panel shows it: its model and its fixtures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitTestInfo {
    pub unique_id: String,
    pub model: String,
    /// The properties file it is written in.
    pub file: String,
    pub given: Vec<FixtureInfo>,
    pub expect: FixtureInfo,
}

/// One fixture: its rows as written, each value as YAML gives it (`None`: not given, NULL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureInfo {
    /// The input as written (`ref('stg_orders')`), or `expect`.
    pub label: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// The 1-based line of its `rows:` key, when the rows are a list written in the
    /// properties file (the grid can edit those); 0 for `csv` or `sql` rows and files.
    pub rows_line: usize,
}

/// A value typed in the grid as YAML writes it: numbers and booleans bare, other text
/// quoted.
fn yaml_value(text: &str) -> String {
    let t = text.trim();
    let bare = t.parse::<f64>().is_ok_and(f64::is_finite) && !t.starts_with('+')
        || matches!(t, "true" | "false");
    if bare {
        t.to_string()
    } else {
        serde_json::to_string(text).unwrap_or_default()
    }
}

fn yaml_key(key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        key.to_string()
    } else {
        serde_json::to_string(key).unwrap_or_default()
    }
}

/// `text` (a properties file) with the `rows:` list whose key is on line `rows_line`
/// replaced by `rows` over `columns`, one flow mapping per row; an empty cell is left out
/// (NULL, as dbt fills a column a row does not give). The rest of the file is untouched.
pub fn replace_rows(
    text: &str,
    rows_line: usize,
    columns: &[String],
    rows: &[Vec<Cell>],
) -> Result<String, String> {
    let lines: Vec<&str> = text.lines().collect();
    let at = rows_line
        .checked_sub(1)
        .filter(|i| *i < lines.len())
        .ok_or("the rows are no longer where they were; edit them in the YAML")?;
    let key_line = lines[at];
    let after_key = key_line.trim_start();
    let after_key = after_key
        .strip_prefix("- ")
        .unwrap_or(after_key)
        .trim_start();
    if !after_key.starts_with("rows:") {
        return Err("the rows are no longer where they were; edit them in the YAML".into());
    }
    let key_column = key_line.len() - after_key.len();
    let depth_of = |l: &str| l.len() - l.trim_start().len();
    let content = |l: &str| {
        let t = l.trim_start();
        !t.is_empty() && !t.starts_with('#')
    };
    // A list may sit at the key's own depth (`rows:` then `- {...}` under its `r`).
    let indentless = lines[at + 1..]
        .iter()
        .find(|l| content(l))
        .is_some_and(|l| depth_of(l) == key_column && l.trim_start().starts_with("- "));
    // The list ends at the first line indented no deeper than the key (bar its own items).
    let mut end = at + 1;
    while end < lines.len() {
        let l = lines[end];
        let depth = depth_of(l);
        let item = indentless && depth == key_column && l.trim_start().starts_with("- ");
        if content(l) && depth <= key_column && !item {
            break;
        }
        end += 1;
    }

    let pad = " ".repeat(key_column);
    let mut block = vec![format!(
        "{}rows:{}",
        &key_line[..key_column],
        if rows.is_empty() { " []" } else { "" }
    )];
    for row in rows {
        let items: Vec<String> = columns
            .iter()
            .zip(row)
            .filter_map(|(c, v)| {
                let v = v.as_ref().filter(|v| !v.is_empty())?;
                Some(format!("{}: {}", yaml_key(c), yaml_value(v)))
            })
            .collect();
        block.push(format!("{pad}  - {{{}}}", items.join(", ")));
    }
    let mut out: Vec<String> = lines[..at].iter().map(|l| l.to_string()).collect();
    out.extend(block);
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    Ok(joined)
}

word_enum! {
    /// Which sides of a comparison built a model.
    Compared {
        Both => "both",
        OnlyBase => "only_base",
        OnlyCurrent => "only_current",
        Neither => "neither",
    }
}

/// A column that is new, gone or of another type: `change` is `added`, `removed` or
/// `retyped`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaChange {
    pub change: String,
    pub column: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One differing row, side by side over the model's columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedRow {
    pub change: RowChange,
    pub base: Vec<Cell>,
    pub current: Vec<Cell>,
    pub changed: Vec<bool>,
}

/// What changed in one model's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelChanges {
    pub unique_id: String,
    pub name: String,
    pub compared: Compared,
    pub key: Vec<String>,
    /// `unique_test`, `unique_key`, `chosen` or `whole_row`.
    pub key_source: String,
    pub key_note: Option<String>,
    pub base_rows: usize,
    pub current_rows: usize,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub columns: Vec<String>,
    pub changed_by_column: Vec<(String, usize)>,
    pub schema: Vec<SchemaChange>,
    /// The first differing rows; `rows_total` says how many there are in all.
    pub rows: Vec<ChangedRow>,
    pub rows_total: usize,
}

/// A test whose status is not what it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestChange {
    pub unique_id: String,
    pub name: String,
    pub base: Option<Status>,
    pub current: Option<Status>,
}

/// A comparison: what it was against, each model's changes, the tests that changed status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesReport {
    pub against: String,
    pub models: Vec<ModelChanges>,
    pub tests: Vec<TestChange>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn cells(row: &[&str]) -> Vec<Cell> {
        row.iter().map(|c| Some(c.to_string())).collect()
    }

    #[test]
    fn rows_are_written_back_in_place_of_the_old_ones() {
        let text = "unit_tests:\n  - name: t\n    model: m\n    given:\n      - input: ref('a')\n        rows:\n          - {id: 1, name: x}\n          - id: 2\n            name: y\n      - input: ref('b')\n        rows: []\n    expect:\n      rows:\n        - {id: 1}\n";
        let columns = vec!["id".to_string(), "name".to_string()];
        let rows = vec![cells(&["1", "x y"]), vec![Some("3".into()), None]];
        let out = replace_rows(text, 6, &columns, &rows).unwrap();
        assert_eq!(
            out,
            "unit_tests:\n  - name: t\n    model: m\n    given:\n      - input: ref('a')\n        rows:\n          - {id: 1, name: \"x y\"}\n          - {id: 3}\n      - input: ref('b')\n        rows: []\n    expect:\n      rows:\n        - {id: 1}\n"
        );
        let emptied = replace_rows(text, 11, &columns, &[cells(&["5", "true"])]).unwrap();
        assert!(
            emptied.contains("        rows:\n          - {id: 5, name: true}\n    expect:"),
            "{emptied}"
        );
        assert!(replace_rows(text, 2, &columns, &rows).is_err());
        let indentless = "given:\n  - input: ref('a')\n    rows:\n    - {id: 1}\n    - {id: 2}\n  - input: ref('b')\n";
        assert_eq!(
            replace_rows(indentless, 3, &columns, &[cells(&["7", "z"])]).unwrap(),
            "given:\n  - input: ref('a')\n    rows:\n      - {id: 7, name: \"z\"}\n  - input: ref('b')\n"
        );
    }
}
