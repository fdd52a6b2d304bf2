//! How a unit test's actual rows differ from its expected rows, compared as dbt compares
//! them: as multisets (order does not count), rows sorted, and printed as the table dbt
//! prints (daff's: `@@` above the columns, `+++` for a row only in the actual output, `---`
//! for a row only expected, `→` for a row whose cells changed, `expected→actual` in them).

use std::cmp::Ordering;

use datafusion::arrow::record_batch::RecordBatch;
use serde::Serialize;

use super::tables::display_value;

/// One cell: `None` is NULL.
pub type Cell = Option<String>;

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowChange {
    /// Expected and given back.
    Same,
    /// Given back but not expected.
    Added,
    /// Expected but not given back.
    Removed,
    /// Expected, and given back with other values in some cells.
    Changed,
}

/// One row of the comparison: for `Same` both sides are equal, `Added` has only `actual`,
/// `Removed` only `expected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffRow {
    pub change: RowChange,
    pub expected: Vec<Cell>,
    pub actual: Vec<Cell>,
}

/// The comparison of a unit test's rows, over the columns its expectation names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitDiff {
    pub columns: Vec<String>,
    pub rows: Vec<DiffRow>,
}

impl UnitDiff {
    /// Compares `actual` with `expected`, two row sets over the same columns.
    pub fn compare(columns: Vec<String>, expected: Vec<Vec<Cell>>, actual: Vec<Vec<Cell>>) -> Self {
        let mut expected = expected;
        let mut actual = actual;
        expected.sort_by(|a, b| compare_rows(a, b));
        actual.sort_by(|a, b| compare_rows(a, b));
        let mut taken = vec![false; actual.len()];
        let mut rows = Vec::new();
        let mut unmatched = Vec::new();
        for e in expected {
            match (0..actual.len()).find(|&i| !taken[i] && actual[i] == e) {
                Some(i) => {
                    taken[i] = true;
                    rows.push(DiffRow {
                        change: RowChange::Same,
                        actual: e.clone(),
                        expected: e,
                    });
                }
                None => unmatched.push(e),
            }
        }
        // A row expected and one given back with the same first value are the same row with
        // other cells (daff pairs rows the same way, by their leading key).
        for e in unmatched {
            let pair = (0..actual.len()).find(|&i| {
                !taken[i]
                    && e.first()
                        .is_some_and(|k| k.is_some() && actual[i].first() == Some(k))
            });
            match pair {
                Some(i) => {
                    taken[i] = true;
                    rows.push(DiffRow {
                        change: RowChange::Changed,
                        expected: e,
                        actual: actual[i].clone(),
                    });
                }
                None => rows.push(DiffRow {
                    change: RowChange::Removed,
                    expected: e,
                    actual: Vec::new(),
                }),
            }
        }
        for (i, a) in actual.into_iter().enumerate() {
            if !taken[i] {
                rows.push(DiffRow {
                    change: RowChange::Added,
                    expected: Vec::new(),
                    actual: a,
                });
            }
        }
        rows.sort_by(|a, b| compare_rows(a.key(), b.key()));
        UnitDiff { columns, rows }
    }

    /// Whether the actual rows differ from the expected ones.
    pub fn has_difference(&self) -> bool {
        self.rows.iter().any(|r| r.change != RowChange::Same)
    }

    /// The table dbt prints under "actual differs from expected:".
    pub fn render(&self) -> String {
        let mut table: Vec<Vec<String>> = Vec::new();
        let mut header = vec!["@@".to_string()];
        header.extend(self.columns.iter().cloned());
        table.push(header);
        for row in &self.rows {
            let (marker, cells): (&str, Vec<String>) = match row.change {
                RowChange::Same => ("", row.expected.iter().map(printed).collect()),
                RowChange::Added => ("+++", row.actual.iter().map(printed).collect()),
                RowChange::Removed => ("---", row.expected.iter().map(printed).collect()),
                RowChange::Changed => (
                    "→",
                    row.expected
                        .iter()
                        .zip(&row.actual)
                        .map(|(e, a)| {
                            if e == a {
                                printed(e)
                            } else {
                                format!("{}→{}", printed(e), printed(a))
                            }
                        })
                        .collect(),
                ),
            };
            let mut line = vec![marker.to_string()];
            line.extend(cells);
            table.push(line);
        }
        // The marker column is as wide as `+++`, whichever markers the table has, as dbt's.
        let widths: Vec<usize> = (0..=self.columns.len())
            .map(|c| {
                table
                    .iter()
                    .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                    .max()
                    .unwrap_or(0)
                    .max(if c == 0 { 3 } else { 0 })
            })
            .collect();
        let mut out = String::new();
        for r in &table {
            let last = r.len().saturating_sub(1);
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    if i == last {
                        s.clone()
                    } else {
                        let pad = widths[i].saturating_sub(s.chars().count());
                        format!("{s}{}", " ".repeat(pad))
                    }
                })
                .collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

impl DiffRow {
    fn key(&self) -> &[Cell] {
        if self.expected.is_empty() {
            &self.actual
        } else {
            &self.expected
        }
    }
}

fn printed(cell: &Cell) -> String {
    cell.clone().unwrap_or_else(|| "NULL".to_string())
}

/// Rows in the order dbt sorts them before comparing: NULL first, numbers by value, the
/// rest as text.
fn compare_rows(a: &[Cell], b: &[Cell]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(p), Ok(q)) => p.partial_cmp(&q).unwrap_or(Ordering::Equal),
                _ => x.cmp(y),
            },
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// The rows of `batches`, columns in `columns` order (by index into the batch), as Redshift
/// prints each value.
pub fn cells(batches: &[RecordBatch], columns: &[usize]) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            rows.push(
                columns
                    .iter()
                    .map(|&c| {
                        let array = b.column(c);
                        (!array.is_null(r)).then(|| display_value(array, r))
                    })
                    .collect(),
            );
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<Cell> {
        cells
            .iter()
            .map(|c| (*c != "NULL").then(|| c.to_string()))
            .collect()
    }

    #[test]
    fn equal_multisets_in_any_order_do_not_differ() {
        let d = UnitDiff::compare(
            vec!["id".into(), "n".into()],
            vec![row(&["2", "b"]), row(&["1", "a"]), row(&["1", "a"])],
            vec![row(&["1", "a"]), row(&["2", "b"]), row(&["1", "a"])],
        );
        assert!(!d.has_difference());
        assert_eq!(d.rows.len(), 3);
    }

    #[test]
    fn a_duplicate_counts() {
        let d = UnitDiff::compare(
            vec!["id".into()],
            vec![row(&["1"])],
            vec![row(&["1"]), row(&["1"])],
        );
        assert!(d.has_difference());
        assert_eq!(d.rows[1].change, RowChange::Added);
    }

    #[test]
    fn rows_are_paired_by_their_first_value_and_printed_as_dbt_prints_them() {
        let d = UnitDiff::compare(
            vec![
                "order_id".into(),
                "count_drink_items".into(),
                "is_drink_order".into(),
            ],
            vec![
                row(&["1", "1", "true"]),
                row(&["2", "1", "true"]),
                row(&["10", "0", "false"]),
            ],
            vec![
                row(&["1", "1", "true"]),
                row(&["2", "0", "false"]),
                row(&["3", "NULL", "false"]),
            ],
        );
        let expected = "\
@@ ,order_id,count_drink_items,is_drink_order
   ,1       ,1                ,true
→  ,2       ,1→0              ,true→false
+++,3       ,NULL             ,false
---,10      ,0                ,false
";
        assert_eq!(d.render(), expected);
    }
}
