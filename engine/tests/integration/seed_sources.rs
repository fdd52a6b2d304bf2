//! dbt's "seed, then build": a source with no sample files of its own that names the table a
//! seed builds reads that seed, as it would in the warehouse after `dbt seed`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;

#[test]
fn a_source_pointing_at_a_seeds_table_reads_the_seed() {
    let mut e = engine(inline(&[
        (
            "dbt_project.yml",
            "name: shop\nseeds:\n  shop:\n    +schema: raw\n",
        ),
        (
            "macros/generate_schema_name.sql",
            "{% macro generate_schema_name(custom_schema_name, node) -%}\n\
             {%- if node.resource_type == 'seed' -%}{{ custom_schema_name | trim }}\n\
             {%- else -%}{{ target.schema }}{%- endif -%}\n\
             {%- endmacro %}",
        ),
        ("seeds/raw_customers.csv", "id,name\n1,Ada\n2,Grace\n"),
        (
            "models/sources.yml",
            "version: 2\nsources:\n  - name: ecom\n    schema: raw\n    tables:\n      - name: raw_customers\n",
        ),
        (
            "models/stg_customers.sql",
            "select id, upper(name) as name from {{ source('ecom', 'raw_customers') }}",
        ),
    ]))
    .unwrap_or_else(|d| panic!("{d:#?}"));
    let results = build(&mut e);
    assert!(results.success(), "{:#?}", results.results);
    assert!(
        !e.warnings()
            .iter()
            .any(|w| w.message.contains("no sample data")),
        "{:#?}",
        e.warnings()
    );
    assert_eq!(
        rows(&mut e, "select id, name from stg_customers order by id"),
        vec![vec!["1", "ADA"], vec!["2", "GRACE"]]
    );
}

#[test]
fn jinja_in_a_sources_schema_is_rendered() {
    let mut options = modelplay_engine::LoadOptions::default();
    options.env.insert("RAW_SCHEMA".into(), "landing".into());
    let loaded = modelplay_engine::load_project(
        inline(&[
            ("dbt_project.yml", "name: raw\n"),
            (
                "models/sources.yml",
                "version: 2\nsources:\n  - name: raw\n    schema: \"{{ env_var('RAW_SCHEMA', 'raw') }}\"\n    tables:\n      - name: fares\n        identifier: \"{{ 'fares_' ~ target.name }}\"\n",
            ),
            ("models/a.sql", "select * from {{ source('raw', 'fares') }}"),
        ]),
        &options,
    )
    .unwrap_or_else(|d| panic!("{d:#?}"));
    let source = &loaded.project.sources["source.raw.raw.fares"];
    assert_eq!(source.relation.schema, "landing");
    assert_eq!(source.relation.identifier, "fares_dev");
}

#[test]
fn seed_types_are_inferred_as_dbts_agate_infers_them() {
    let mut e = engine(inline(&[
        (
            "dbt_project.yml",
            "name: shop\nseeds:\n  shop:\n    kept:\n      +column_types: {code: varchar(3)}\n",
        ),
        // `001` is the number 1 to agate; only a declared type keeps the zeros.
        (
            "seeds/users.csv",
            "id,ratio,active,joined\n001,0.5,true,2023-02-02\n002,1,false,2023-02-03\n",
        ),
        ("seeds/kept.csv", "code\n001\n"),
    ]))
    .unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(build(&mut e).success());
    assert_eq!(
        rows(
            &mut e,
            "select id + 1, cast(ratio * 4 as int), not active, dateadd(day, 1, joined) from users order by id"
        ),
        vec![
            vec!["2", "2", "false", "2023-02-03 00:00:00"],
            vec!["3", "4", "true", "2023-02-04 00:00:00"],
        ]
    );
    assert_eq!(rows(&mut e, "select code from kept"), vec![vec!["001"]]);
}

#[test]
fn a_numeric_column_type_is_exact() {
    let mut e = engine(inline(&[
        (
            "dbt_project.yml",
            "name: shop\nseeds:\n  shop:\n    prices:\n      +column_types:\n        price: numeric(10,2)\n        weight: real\n",
        ),
        ("seeds/prices.csv", "price,weight\n0.10,19999.99\n0.20,1.5\n"),
    ]))
    .unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(build(&mut e).success());
    // As DECIMAL(10,2) the sum is exact, and its scale is the column's; a REAL keeps six
    // significant digits, as Redshift's does.
    assert_eq!(
        rows(&mut e, "select sum(price), max(weight) from prices"),
        vec![vec!["0.30", "20000"]]
    );
}
