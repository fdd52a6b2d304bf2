//! dbt's unit tests (`unit_tests:` in properties YAML, dbt 1.8+): fixed rows for a model's
//! inputs and the rows the model must give back. This module reads them into typed,
//! located values: each input and its fixture (`dict` rows, `csv` text, `sql`, inline or
//! from a file in the test paths' `fixtures/` folders), the expected rows, and the
//! overrides (`macros`, `vars`, `env_vars`). Which model and which nodes the inputs name is
//! settled by the loader once every node is known.

use std::fmt;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_json::Value as Json;
use serde_saphyr::Spanned;

use super::yaml::location_of;
use super::yaml_tree::YamlTree;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::files::ProjectFiles;

/// One entry of `unit_tests:`.
#[derive(Debug, Deserialize)]
pub struct UnitTestYaml {
    pub name: Spanned<String>,
    pub model: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub given: Vec<GivenYaml>,
    pub expect: Spanned<ExpectYaml>,
    #[serde(default)]
    pub overrides: Option<Spanned<OverridesYaml>>,
    #[serde(default)]
    pub config: YamlTree,
    /// Which versions of a versioned model the test runs on (`include:`/`exclude:`).
    #[serde(default)]
    pub versions: Option<Spanned<Json>>,
}

/// One entry of `given:`.
#[derive(Debug, Deserialize)]
pub struct GivenYaml {
    pub input: Spanned<String>,
    #[serde(default)]
    pub rows: Option<Spanned<RowsYaml>>,
    #[serde(default)]
    pub format: Option<Spanned<String>>,
    #[serde(default)]
    pub fixture: Option<Spanned<String>>,
}

/// `expect:`.
#[derive(Debug, Deserialize)]
pub struct ExpectYaml {
    #[serde(default)]
    pub rows: Option<Spanned<RowsYaml>>,
    #[serde(default)]
    pub format: Option<Spanned<String>>,
    #[serde(default)]
    pub fixture: Option<Spanned<String>>,
}

/// `overrides:`.
#[derive(Debug, Default, Deserialize)]
pub struct OverridesYaml {
    #[serde(default)]
    pub macros: IndexMap<String, Json>,
    #[serde(default)]
    pub vars: IndexMap<String, Json>,
    #[serde(default)]
    pub env_vars: IndexMap<String, Json>,
}

/// `rows:` as written: a list of mappings (`dict`), or text (`csv`, `sql`).
#[derive(Debug)]
pub enum RowsYaml {
    List(Vec<Spanned<YamlTree>>),
    Text(String),
}

impl<'de> Deserialize<'de> for RowsYaml {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RowsVisitor)
    }
}

struct RowsVisitor;

impl<'de> Visitor<'de> for RowsVisitor {
    type Value = RowsYaml;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of rows, or the rows as csv or sql text")
    }

    fn visit_unit<E: de::Error>(self) -> Result<RowsYaml, E> {
        Ok(RowsYaml::List(Vec::new()))
    }

    fn visit_none<E: de::Error>(self) -> Result<RowsYaml, E> {
        Ok(RowsYaml::List(Vec::new()))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RowsYaml, D::Error> {
        RowsYaml::deserialize(d)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RowsYaml, E> {
        Ok(RowsYaml::Text(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<RowsYaml, E> {
        Ok(RowsYaml::Text(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RowsYaml, A::Error> {
        let mut rows = Vec::new();
        while let Some(row) = seq.next_element::<Spanned<YamlTree>>()? {
            rows.push(row);
        }
        Ok(RowsYaml::List(rows))
    }
}

/// A unit test, typed: what it tests, with what, and what it expects.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitTest {
    /// The tested model's unique id.
    pub model: String,
    pub given: Vec<Given>,
    pub expect: Fixture,
    pub overrides: Overrides,
    /// The properties file the test is written in.
    pub file: String,
}

impl UnitTest {
    /// The input that stands for `unique_id` (`this` stands for the tested model).
    pub fn input_for(&self, unique_id: &str) -> Option<&Given> {
        self.given.iter().find(|g| g.unique_id == unique_id)
    }
}

/// One input of a unit test and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    pub input: Input,
    /// The input as written: `ref('stg_orders')`.
    pub written: String,
    /// The unique id of the node or source it names; for `this`, the tested model.
    pub unique_id: String,
    pub fixture: Fixture,
    /// Where `input:` is written.
    pub at: Location,
}

/// What a `given:` entry stands in for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Ref {
        package: Option<String>,
        name: String,
    },
    Source {
        source: String,
        table: String,
    },
    /// The tested model's own table, for an incremental model's `{{ this }}`.
    This,
}

/// Rows a unit test gives or expects.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixture {
    pub rows: FixtureRows,
    /// Where the rows are written: `rows:` in the YAML, or the fixture file.
    pub at: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FixtureRows {
    /// `dict` and `csv` fixtures: each row's values by column, as written.
    Rows(Vec<FixtureRow>),
    /// A `sql` fixture: a query that returns every column of the input.
    Sql(String),
}

/// One fixture row. A `csv` fixture's values are text (an empty field is NULL, as in dbt).
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureRow {
    pub at: Location,
    pub values: Vec<FixtureValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FixtureValue {
    /// The column, lower-cased as dbt compares it.
    pub column: String,
    pub value: Json,
    pub at: Location,
}

impl FixtureRow {
    pub fn get(&self, column: &str) -> Option<&FixtureValue> {
        self.values.iter().find(|v| v.column == column)
    }
}

/// `overrides:`: macros that return a fixed value, and vars and environment variables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// By the name as written: `is_incremental`, `dbt_utils.current_timestamp`.
    pub macros: IndexMap<String, Json>,
    pub vars: IndexMap<String, Json>,
    pub env_vars: IndexMap<String, String>,
    pub at: Option<Location>,
}

impl Overrides {
    /// What the test says `is_incremental()` returns, if it says.
    pub fn is_incremental(&self) -> Option<bool> {
        self.macros.get("is_incremental").map(|v| match v {
            Json::Bool(b) => *b,
            Json::String(s) => s.trim().eq_ignore_ascii_case("true"),
            Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
            _ => false,
        })
    }
}

/// A fixture's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Dict,
    Csv,
    Sql,
}

impl Format {
    fn parse(value: Option<&Spanned<String>>, file: &str) -> Result<Format, Diagnostic> {
        let Some(v) = value else {
            return Ok(Format::Dict);
        };
        match v.value.trim().to_ascii_lowercase().as_str() {
            "dict" => Ok(Format::Dict),
            "csv" => Ok(Format::Csv),
            "sql" => Ok(Format::Sql),
            other => Err(Diagnostic::error(
                Code::UnitTest,
                location_of(file, v),
                format!("`format` must be dict, csv or sql, found '{other}'"),
            )),
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv => ".csv",
            Format::Sql => ".sql",
            Format::Dict => "",
        }
    }
}

/// Where fixture files are looked up: the `fixtures/` folder of each test path, at any
/// depth, as dbt finds them.
#[derive(Debug)]
pub struct FixtureFiles<'a> {
    pub files: &'a ProjectFiles,
    pub test_paths: &'a [String],
}

impl FixtureFiles<'_> {
    /// The path of the fixture file `name` with `extension`.
    fn find(&self, name: &str, extension: &str) -> Option<String> {
        let file = format!("{name}{extension}");
        self.files
            .paths()
            .filter(|p| {
                self.test_paths
                    .iter()
                    .any(|root| p.starts_with(&format!("{root}/")))
            })
            .find(|p| {
                p.rsplit('/').next() == Some(file.as_str())
                    && p.split('/').any(|folder| folder == "fixtures")
            })
            .map(str::to_string)
    }
}

/// Reads one `given:` or `expect:` entry's rows. `whole` is where the entry itself is
/// written, for an entry with neither `rows` nor `fixture`.
pub fn read_fixture(
    file: &str,
    rows: Option<&Spanned<RowsYaml>>,
    format: Option<&Spanned<String>>,
    fixture: Option<&Spanned<String>>,
    whole: &Location,
    fixtures: &FixtureFiles<'_>,
) -> Result<Fixture, Diagnostic> {
    let format = Format::parse(format, file)?;
    match (rows, fixture) {
        (Some(_), Some(f)) => Err(Diagnostic::error(
            Code::UnitTest,
            location_of(file, f),
            "give either `rows` or `fixture`, not both",
        )),
        (Some(rows), None) => {
            let at = location_of(file, rows);
            match (&rows.value, format) {
                (RowsYaml::List(list), Format::Dict) => Ok(Fixture {
                    rows: FixtureRows::Rows(dict_rows(file, list)?),
                    at,
                }),
                // A block of text (`rows: |`) is placed at its first line.
                (RowsYaml::Text(text), Format::Csv) => Ok(Fixture {
                    rows: FixtureRows::Rows(csv_rows(file, text, at.line)?),
                    at,
                }),
                (RowsYaml::Text(text), Format::Sql) => Ok(Fixture {
                    rows: FixtureRows::Sql(text.clone()),
                    at,
                }),
                (RowsYaml::List(_), f) => Err(Diagnostic::error(
                    Code::UnitTest,
                    at,
                    format!(
                        "`format: {}` takes its rows as text, but these rows are a list",
                        if f == Format::Csv { "csv" } else { "sql" }
                    ),
                )
                .with_hint("write the rows as a block of text (`rows: |`), or use format: dict")),
                (RowsYaml::Text(_), Format::Dict) => Err(Diagnostic::error(
                    Code::UnitTest,
                    at,
                    "`format: dict` (the default) takes its rows as a list of mappings",
                )
                .with_hint(
                    "write `- {column: value}` rows, or say `format: csv` or `format: sql`",
                )),
            }
        }
        (None, Some(name)) => {
            let at = location_of(file, name);
            if format == Format::Dict {
                return Err(Diagnostic::error(
                    Code::UnitTest,
                    at,
                    "a fixture file needs `format: csv` or `format: sql`",
                ));
            }
            let Some(path) = fixtures.find(name.value.trim(), format.extension()) else {
                return Err(Diagnostic::error(
                    Code::UnitTest,
                    at,
                    format!(
                        "no fixture file `{}{}` in a `fixtures/` folder of the test paths",
                        name.value.trim(),
                        format.extension()
                    ),
                )
                .with_hint(format!(
                    "put it in tests/fixtures/{}{}",
                    name.value.trim(),
                    format.extension()
                )));
            };
            let text = fixtures.files.text(&path).unwrap_or_default();
            let rows = match format {
                Format::Sql => FixtureRows::Sql(text),
                _ => FixtureRows::Rows(csv_rows(&path, &text, 1)?),
            };
            Ok(Fixture {
                rows,
                at: Location::new(&path, 1, 1),
            })
        }
        (None, None) => Err(Diagnostic::error(
            Code::UnitTest,
            whole.clone(),
            "this entry has neither `rows` nor `fixture`",
        )
        .with_hint("give its rows, e.g. `rows: [{id: 1}]`, or `rows: []` for none")),
    }
}

fn dict_rows(file: &str, list: &[Spanned<YamlTree>]) -> Result<Vec<FixtureRow>, Diagnostic> {
    list.iter()
        .map(|row| {
            let at = location_of(file, row);
            match &row.value {
                YamlTree::Map(entries) => Ok(FixtureRow {
                    at: at.clone(),
                    values: entries
                        .iter()
                        .map(|e| FixtureValue {
                            column: e.key.trim().to_lowercase(),
                            value: e.value.to_json(),
                            at: Location::new(file, e.key_at.0, e.key_at.1),
                        })
                        .collect(),
                }),
                YamlTree::Null => Ok(FixtureRow {
                    at,
                    values: Vec::new(),
                }),
                YamlTree::Value(v) => Err(Diagnostic::error(
                    Code::UnitTest,
                    at,
                    format!("a row must be a mapping of column to value, found {v}"),
                )
                .with_hint("write each row as `- {column: value, other: value}`")),
            }
        })
        .collect()
}

/// Rows of `csv` text that starts at `first_line` of `file`: the header names the columns,
/// and an empty field is NULL (dbt 1.8's rule, the same as a seed's).
fn csv_rows(file: &str, text: &str, first_line: usize) -> Result<Vec<FixtureRow>, Diagnostic> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_lowercase()).collect(),
        Err(e) => {
            return Err(Diagnostic::error(
                Code::UnitTest,
                Location::new(file, first_line, 0),
                format!("the csv rows cannot be read: {e}"),
            ));
        }
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            Diagnostic::error(
                Code::UnitTest,
                Location::new(file, first_line, 0),
                format!("the csv rows cannot be read: {e}"),
            )
        })?;
        let line = first_line + record.position().map_or(0, |p| p.line() as usize - 1);
        let at = Location::new(file, line, 0);
        if record.len() > header.len() {
            return Err(Diagnostic::error(
                Code::UnitTest,
                at,
                format!(
                    "this csv row has {} fields, but the header names {} columns",
                    record.len(),
                    header.len()
                ),
            ));
        }
        let values = header
            .iter()
            .enumerate()
            .map(|(i, column)| FixtureValue {
                column: column.clone(),
                value: match record.get(i) {
                    Some(v) if !v.is_empty() => Json::String(v.to_string()),
                    _ => Json::Null,
                },
                at: at.clone(),
            })
            .collect();
        rows.push(FixtureRow { at, values });
    }
    Ok(rows)
}

/// Reads `overrides:`; an environment variable's value is text, as the shell gives it.
pub fn read_overrides(file: &str, overrides: Option<&Spanned<OverridesYaml>>) -> Overrides {
    let Some(o) = overrides else {
        return Overrides::default();
    };
    Overrides {
        macros: o.value.macros.clone(),
        vars: o.value.vars.clone(),
        env_vars: o
            .value
            .env_vars
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Json::String(s) => s.clone(),
                    Json::Null => String::new(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect(),
        at: Some(location_of(file, o)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(text: &str) -> UnitTestYaml {
        serde_saphyr::from_str(text).unwrap()
    }

    fn no_fixture_files() -> ProjectFiles {
        ProjectFiles::new()
    }

    #[test]
    fn dict_rows_keep_the_place_of_every_value() {
        let y = parse(
            "name: t\nmodel: m\ngiven:\n  - input: ref('a')\n    rows:\n      - {id: 1, Name: x}\n      - id: 2\nexpect:\n  rows: []\n",
        );
        let files = no_fixture_files();
        let fixtures = FixtureFiles {
            files: &files,
            test_paths: &[],
        };
        let g = &y.given[0];
        let whole = location_of("p.yml", &g.input);
        let f = read_fixture("p.yml", g.rows.as_ref(), None, None, &whole, &fixtures).unwrap();
        let FixtureRows::Rows(rows) = f.rows else {
            panic!("dict rows")
        };
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].at.line, 6);
        assert_eq!(rows[0].values[1].column, "name");
        assert_eq!(rows[0].values[1].value, Json::from("x"));
        assert_eq!(rows[1].values[0].at.line, 7);
    }

    #[test]
    fn csv_rows_make_empty_fields_null_and_count_lines() {
        let y = parse(
            "name: t\nmodel: m\ngiven:\n  - input: ref('a')\n    format: csv\n    rows: |\n      id,name\n      1,\n      2,b\nexpect:\n  rows: []\n",
        );
        let files = no_fixture_files();
        let fixtures = FixtureFiles {
            files: &files,
            test_paths: &[],
        };
        let g = &y.given[0];
        let whole = location_of("p.yml", &g.input);
        let f = read_fixture(
            "p.yml",
            g.rows.as_ref(),
            g.format.as_ref(),
            None,
            &whole,
            &fixtures,
        )
        .unwrap();
        let FixtureRows::Rows(rows) = f.rows else {
            panic!("csv rows")
        };
        assert_eq!(rows[0].get("name").unwrap().value, Json::Null);
        assert_eq!(rows[1].get("name").unwrap().value, Json::from("b"));
        assert_eq!(rows[1].get("id").unwrap().value, Json::from("2"));
        assert_eq!(rows[1].at.line, 9);
    }

    #[test]
    fn fixture_files_are_found_in_a_fixtures_folder() {
        let mut files = ProjectFiles::new();
        files.insert("tests/fixtures/orders.csv", "id\n1\n");
        files.insert("tests/fixtures/q.sql", "select 1 as id");
        let paths = vec!["tests".to_string()];
        let fixtures = FixtureFiles {
            files: &files,
            test_paths: &paths,
        };
        let y = parse(
            "name: t\nmodel: m\ngiven:\n  - input: ref('a')\n    format: csv\n    fixture: orders\n  - input: ref('b')\n    format: sql\n    fixture: q\n  - input: ref('c')\n    format: csv\n    fixture: missing\nexpect:\n  rows: []\n",
        );
        let read = |g: &GivenYaml| {
            read_fixture(
                "p.yml",
                g.rows.as_ref(),
                g.format.as_ref(),
                g.fixture.as_ref(),
                &location_of("p.yml", &g.input),
                &fixtures,
            )
        };
        let csv = read(&y.given[0]).unwrap();
        assert_eq!(csv.at.file, "tests/fixtures/orders.csv");
        assert!(
            matches!(read(&y.given[1]).unwrap().rows, FixtureRows::Sql(s) if s.contains("select 1"))
        );
        let missing = read(&y.given[2]).unwrap_err();
        assert_eq!(missing.location.line, 12);
        assert!(
            missing.message.contains("missing.csv"),
            "{}",
            missing.message
        );
    }

    #[test]
    fn a_wrong_format_is_located() {
        let y = parse(
            "name: t\nmodel: m\ngiven:\n  - input: ref('a')\n    format: json\n    rows: []\nexpect:\n  rows: []\n",
        );
        let files = no_fixture_files();
        let fixtures = FixtureFiles {
            files: &files,
            test_paths: &[],
        };
        let g = &y.given[0];
        let e = read_fixture(
            "p.yml",
            g.rows.as_ref(),
            g.format.as_ref(),
            None,
            &location_of("p.yml", &g.input),
            &fixtures,
        )
        .unwrap_err();
        assert_eq!((e.location.line, e.location.column), (5, 13));
    }
}
