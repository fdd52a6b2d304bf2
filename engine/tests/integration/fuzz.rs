//! No input makes the engine panic (in the browser a panic kills the engine): generated
//! inputs for each place a user's bytes enter. Each property runs `PROPTEST_CASES` cases
//! (64 here by default, so that the suite stays quick); `scripts/fuzz` runs many more. A
//! failure is shrunk by proptest to a small input and printed.
//!
//! The generators build inputs from the tokens of each language (YAML, Jinja, Redshift SQL,
//! CSV), so that most cases get past the first byte and reach the deeper stages, mixed with
//! arbitrary text and bytes.

use modelplay_engine::{LoadOptions, ProjectFiles, load_project};
use proptest::prelude::*;
use proptest::test_runner::Config as RunnerConfig;

use crate::common::*;

fn runner() -> RunnerConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(64);
    RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    }
}

/// Text made of `tokens` and, now and then, arbitrary characters.
fn text_of(tokens: &'static [&'static str], len: usize) -> impl Strategy<Value = String> {
    let token = prop_oneof![
        8 => proptest::sample::select(tokens).prop_map(str::to_string),
        1 => any::<String>(),
        1 => "[ \n\t]{1,3}",
    ];
    proptest::collection::vec(token, 0..len).prop_map(|parts| parts.concat())
}

const YAML: &[&str] = &[
    "version: 2\n",
    "models:\n",
    "sources:\n",
    "seeds:\n",
    "snapshots:\n",
    "  - name: ",
    "orders",
    "m",
    "\n",
    "  ",
    "    ",
    "- ",
    "config:\n",
    "      materialized: ",
    "table",
    "view",
    "incremental",
    "+materialized: ",
    "+schema: ",
    "+tags: [a, b]",
    "+enabled: false",
    "tests:\n",
    "data_tests:\n",
    "unique",
    "not_null",
    "accepted_values:\n",
    "values: [1, 2]",
    "columns:\n",
    "tables:\n",
    "loaded_at_field: ",
    "{",
    "}",
    "[",
    "]",
    ": ",
    "'",
    "\"",
    "&a ",
    "*a",
    "!!str ",
    "~",
    "null",
    "1.5e3",
    "-1",
    "yes",
    "dist: ",
    "sort: [",
    "unique_key: ",
    "severity: warn",
    "warn_if: '>1'",
    "strategy: check",
    "check_cols: all",
    "|\n",
    ">-\n",
    "# c\n",
    "---\n",
    "...\n",
    "name: shop\n",
    "vars:\n",
    "{{ var('x') }}",
];

const JINJA: &[&str] = &[
    "{{ ",
    " }}",
    "{% ",
    " %}",
    "{%- ",
    " -%}",
    "{# ",
    " #}",
    "if ",
    "elif ",
    "else",
    "endif",
    "for x in ",
    "endfor",
    "set x = ",
    "macro m(a) ",
    "endmacro",
    "do ",
    "call m() ",
    "endcall",
    "config(",
    "materialized='table'",
    "materialized='tabel'",
    "{'schema': 's'}",
    ")",
    "(",
    "ref('a')",
    "ref('missing')",
    "source('s', 't')",
    "var('x')",
    "var('x', 1)",
    "env_var('HOME', 'h')",
    "this",
    "is_incremental()",
    "| upper",
    "| join(',')",
    "~",
    "+",
    "[1, 2]",
    "{'k': 1}",
    ".items()",
    "loop.index",
    "x",
    "'s'",
    "1",
    "none",
    "true",
    "adapter.dispatch('m')",
    "dbt_utils.star(ref('a'))",
    "return(1)",
    "log('x')",
    "select ",
    " from ",
    "\n",
    ",",
    "exceptions.raise_compiler_error('no')",
    "caller()",
    "namespace(n=1)",
];

const SQL: &[&str] = &[
    "select ",
    " from ",
    " where ",
    " group by ",
    " order by ",
    " having ",
    " limit 3",
    "*",
    ", ",
    "1",
    "0",
    "1.5",
    "'a'",
    "''",
    "a",
    "b",
    "id",
    "t",
    "s.t",
    "(",
    ")",
    " + ",
    " - ",
    " / ",
    " * ",
    " % ",
    "::",
    "date",
    "varchar(3)",
    "numeric(8,2)",
    "timestamp",
    "boolean",
    "nvl(",
    "nvl2(",
    "decode(",
    "dateadd(day, 1, ",
    "datediff(month, ",
    "date_trunc('week', ",
    "getdate()",
    "sysdate",
    "convert_timezone('UTC', 'PST', ",
    "to_char(",
    "to_date(",
    "'YYYY-MM-DD'",
    "split_part(",
    "regexp_substr(",
    "listagg(",
    ") within group (order by a)",
    "case when ",
    " then ",
    " else ",
    " end",
    " union all ",
    " union ",
    " join ",
    " left join ",
    " on ",
    " = ",
    " <> ",
    " is not true",
    " is null",
    " ilike ",
    " similar to ",
    " || ",
    "interval '1 day'",
    "row_number() over (partition by a order by b)",
    " qualify ",
    "count(distinct ",
    "sum(",
    "avg(",
    "median(",
    "ratio_to_report(",
    "json_extract_path_text(",
    "with x as (",
    " as ",
    "len(",
    "charindex(",
    "trunc(",
    "top 5 ",
    "distinct ",
    " between ",
    " and ",
    " or ",
    " not ",
    " in (",
    " exists (",
    "cast(",
    " as varchar)",
    "\n",
    ";",
];

const CSV: &[&str] = &[
    "id",
    "name",
    "a,b",
    ",",
    "\n",
    "\r\n",
    "\"",
    "\"\"",
    "\"a,b\"",
    "1",
    "2024-05-01",
    "2024-05-01 7:04:11",
    "-1.5",
    "true",
    "",
    " ",
    "\u{feff}",
    "é",
    "\t",
    "NULL",
    "x\"y",
];

fn project_with(extra: &[(&str, Vec<u8>)]) -> ProjectFiles {
    let mut files = inline(&[
        (
            "dbt_project.yml",
            "name: fz\nmodels:\n  fz:\n    +materialized: table\n",
        ),
        (
            "models/sources.yml",
            "version: 2\nsources:\n  - name: s\n    tables:\n      - name: t\n",
        ),
        ("data/s/t/2024-05-01.csv", "id,name\n1,a\n2,b\n"),
        ("models/a.sql", "select 1 as id"),
    ]);
    for (path, bytes) in extra {
        files.insert(*path, bytes.clone());
    }
    files
}

/// Loads, checks and builds a project; only a panic fails.
fn survives(files: ProjectFiles) {
    let Ok(loaded) = load_project(files, &LoadOptions::default()) else {
        return;
    };
    let Ok(mut e) = modelplay_engine::Engine::new(loaded, run_time()) else {
        return;
    };
    let _ = block_on(e.check());
    let _ = block_on(e.run(
        &modelplay_engine::RunRequest::new(modelplay_engine::Verb::Build),
        &mut |_| {},
    ));
}

#[test]
fn yaml_files_never_panic_the_loader() {
    proptest!(runner(), |(props in text_of(YAML, 40), project in text_of(YAML, 20))| {
        let _ = load_project(
            project_with(&[("models/schema.yml", props.clone().into_bytes())]),
            &LoadOptions::default(),
        );
        let mut files = project_with(&[("models/schema.yml", props.into_bytes())]);
        files.insert("dbt_project.yml", format!("name: fz\n{project}").into_bytes());
        let _ = load_project(files, &LoadOptions::default());
    });
}

#[test]
fn jinja_never_panics_rendering() {
    proptest!(runner(), |(model in text_of(JINJA, 30), mac in text_of(JINJA, 20))| {
        let files = project_with(&[
            ("models/b.sql", model.into_bytes()),
            ("macros/m.sql", mac.into_bytes()),
        ]);
        if let Ok(loaded) = load_project(files, &LoadOptions::default())
            && let Ok(e) = modelplay_engine::Engine::new(loaded, run_time())
        {
            let _ = e.compile_sql("model.fz.b", false);
        }
    });
}

#[test]
fn redshift_sql_never_panics_the_rewrite_layer() {
    use datafusion::sql::sqlparser::dialect::RedshiftSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;
    proptest!(runner(), |(sql in text_of(SQL, 40))| {
        if let Ok(mut statements) = Parser::parse_sql(&RedshiftSqlDialect {}, &sql) {
            for s in &mut statements {
                modelplay_engine::redshift::rewrite::rewrite(s);
                let _ = s.to_string();
            }
        }
    });
}

#[test]
fn models_never_panic_check_or_build() {
    // Planning and running are slower: a quarter of the cases.
    let mut config = runner();
    config.cases = (config.cases / 4).max(8);
    proptest!(config, |(sql in text_of(SQL, 30))| {
        survives(project_with(&[(
            "models/b.sql",
            format!("select * from ({sql}) x").into_bytes(),
        )]));
        survives(project_with(&[("models/c.sql", sql.into_bytes())]));
    });
}

fn project_files() -> impl Strategy<Value = ProjectFiles> {
    let path = "[a-z_é]{1,8}(/[a-z0-9_]{1,8}){0,3}\\.(sql|csv|yml|parquet)";
    proptest::collection::btree_map(path, proptest::collection::vec(any::<u8>(), 0..200), 0..8)
        .prop_map(|m| {
            let mut files = ProjectFiles::new();
            for (p, bytes) in m {
                files.insert(p, bytes);
            }
            files
        })
}

#[test]
fn share_links_round_trip_and_never_panic() {
    use modelplay_engine::share::{decode_link, encode_link};
    proptest!(runner(), |(files in project_files(), junk in any::<String>(), cut in any::<usize>())| {
        if let Ok(link) = encode_link(&files) {
            prop_assert_eq!(decode_link(&link).ok(), Some(files));
            // A link cut short or with a wrong character is refused, never a panic.
            let at = cut % (link.len() + 1);
            let _ = decode_link(&link[..link.floor_char_boundary(at)]);
            let _ = decode_link(&format!("{}{junk}", &link[..link.floor_char_boundary(at)]));
        }
        let _ = decode_link(&junk);
        let _ = decode_link(&format!("mp1.{junk}"));
    });
}

#[test]
fn zip_archives_round_trip_and_never_panic() {
    use modelplay_engine::share::{from_zip, to_zip};
    proptest!(runner(), |(mut files in project_files(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6), junk in proptest::collection::vec(any::<u8>(), 0..300))| {
        // An archive of a project opens as that project (its folder is the project root).
        files.insert("dbt_project.yml", "name: fz\n");
        if let Ok(zip) = to_zip(&files, "project") {
            prop_assert_eq!(from_zip(&zip).ok(), Some(files));
            let mut damaged = zip.clone();
            for (at, byte) in flips {
                let i = at % damaged.len().max(1);
                if let Some(b) = damaged.get_mut(i) {
                    *b ^= byte;
                }
            }
            let _ = from_zip(&damaged);
            let _ = from_zip(&zip[..zip.len() / 2]);
        }
        let _ = from_zip(&junk);
    });
}

#[test]
fn csv_files_never_panic_the_readers() {
    use modelplay_engine::data::intake::{Keep, take_csv};
    let bytes = prop_oneof![
        text_of(CSV, 60).prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..300),
    ];
    proptest!(runner(), |(csv in bytes, n in 0usize..5, seed in any::<u64>())| {
        let _ = modelplay_engine::data::csv::parse_csv("seeds/x.csv", &csv, b',');
        let _ = modelplay_engine::data::csv::headers(&csv, b',');
        for keep in [Keep::All, Keep::First(n), Keep::Random { rows: n, seed }] {
            let _ = take_csv(csv.as_slice(), keep, &mut |_| {});
        }
        survives(project_with(&[
            ("seeds/x.csv", csv.clone()),
            ("data/s/t/2024-05-02.csv", csv),
        ]));
    });
}

/// A small valid Parquet file, for damaging.
fn parquet_file() -> Vec<u8> {
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])),
            Arc::new(StringArray::from(vec![Some("a"), Some("b"), None])),
        ],
    )
    .unwrap();
    let mut out = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut out, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    out
}

#[test]
fn parquet_files_never_panic_the_readers() {
    use modelplay_engine::data::intake::{Keep, take_parquet};
    let good = parquet_file();
    let len = good.len();
    proptest!(runner(), |(flips in proptest::collection::vec((0..len, any::<u8>()), 0..4), cut in 0..=len, n in 0usize..4, seed in any::<u64>())| {
        let mut bytes = good.clone();
        for (at, byte) in flips {
            bytes[at] ^= byte;
        }
        bytes.truncate(cut.max(len / 2));
        let _ = modelplay_engine::data::parquet::schema("data/s/t/x.parquet", &bytes);
        let _ = modelplay_engine::data::parquet::read("data/s/t/x.parquet", &bytes, &|_| None, None);
        for keep in [Keep::All, Keep::First(n), Keep::Random { rows: n, seed }] {
            let _ = take_parquet(bytes::Bytes::from(bytes.clone()), keep, &mut |_| {});
        }
    });
}
