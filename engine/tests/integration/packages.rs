//! Packages in `dbt_packages/` bring models, seeds, sources, tests and vars of their own, as
//! `dbt deps` leaves them: their nodes carry the package's name, take the package's own
//! configs with the root project's on top, and see the package's vars.

use modelplay_engine::{artifacts, selector};

use crate::common::*;

/// A package with a folder-configured model over its own seed, a source and vars, and a
/// root project that overrides one of its configs and one of its vars. One var is Jinja,
/// which dbt renders when it is read.
fn shop_with_events_package(extra: &[(&str, &str)]) -> modelplay_engine::ProjectFiles {
    let mut files = vec![
        (
            "dbt_project.yml",
            "name: shop\n\
             vars:\n  shop_events:\n    events_label: from-root\n\
             models:\n  shop_events:\n    staging:\n      +materialized: view\n",
        ),
        (
            "models/events.sql",
            "select code, label, tag, '{{ var('events_label', 'unset') }}' as root_label\n\
             from {{ ref('shop_events', 'stg_events') }}",
        ),
        (
            "models/event_count.sql",
            "select count(*) as n from {{ ref('stg_events') }}",
        ),
        (
            "dbt_packages/shop_events/dbt_project.yml",
            "name: shop_events\nversion: '1.0.0'\n\
             vars:\n  events_min_code: \"{{ 1 if target.name == 'prod' else 2 }}\"\n  shop_events:\n    events_label: from-package\n\
             models:\n  shop_events:\n    +materialized: table\n    staging:\n      +schema: events\n",
        ),
        (
            "dbt_packages/shop_events/seeds/event_types.csv",
            "code,label\n1,click\n2,buy\n3,refund\n",
        ),
        (
            "dbt_packages/shop_events/models/staging/stg_events.sql",
            "select code, label, '{{ var('events_label') }}' as tag\n\
             from {{ ref('event_types') }}\n\
             where code >= {{ var('events_min_code') }}",
        ),
        (
            "dbt_packages/shop_events/models/raw_clicks.sql",
            "select * from {{ source('events_raw', 'clicks') }}",
        ),
        (
            "dbt_packages/shop_events/models/schema.yml",
            "version: 2\n\
             sources:\n  - name: events_raw\n    tables:\n      - name: clicks\n\
             models:\n  - name: stg_events\n    columns:\n      - name: code\n        tests: [unique]\n",
        ),
        (
            "data/events_raw/clicks/2024-05-01.csv",
            "id,page\n1,home\n2,cart\n",
        ),
    ];
    files.extend_from_slice(extra);
    inline(&files)
}

#[test]
fn package_models_seeds_and_sources_are_the_packages_own() {
    let e = engine(shop_with_events_package(&[])).unwrap_or_else(|d| panic!("{d:#?}"));
    let project = e.project();
    let node = &project.nodes["model.shop_events.stg_events"];
    assert_eq!(node.package_name, "shop_events");
    assert_eq!(node.original_file_path, "models/staging/stg_events.sql");
    assert_eq!(node.fqn, ["shop_events", "staging", "stg_events"]);
    assert_eq!(node.depends_on, ["seed.shop_events.event_types"]);
    // The package makes its models tables; the root project makes its staging views.
    assert_eq!(node.materialized().as_str(), "view");
    assert_eq!(
        node.relation.to_string(),
        r#""dev"."analytics_events"."stg_events""#
    );
    assert_eq!(
        project.nodes["model.shop_events.raw_clicks"]
            .materialized()
            .as_str(),
        "table"
    );
    assert!(
        project
            .sources
            .contains_key("source.shop_events.events_raw.clicks")
    );
    assert_eq!(
        project.sources["source.shop_events.events_raw.clicks"]
            .loads
            .len(),
        1
    );
    assert!(
        project
            .nodes
            .keys()
            .any(|id| id.starts_with("test.shop_events.unique_stg_events_code.")),
        "{:?}",
        project.nodes.keys().collect::<Vec<_>>()
    );
    // An unqualified ref from the root project finds the package's model.
    assert_eq!(
        project.nodes["model.shop.event_count"].depends_on,
        ["model.shop_events.stg_events"]
    );
    assert!(
        project.unused_files.is_empty(),
        "{:?}",
        project.unused_files
    );
}

#[test]
fn package_nodes_see_the_packages_vars_and_the_root_projects_override() {
    let mut e = engine(shop_with_events_package(&[])).unwrap_or_else(|d| panic!("{d:#?}"));
    let compiled = e
        .compile_sql("model.shop_events.stg_events", false)
        .unwrap();
    assert!(compiled.contains("'from-root' as tag"), "{compiled}");
    assert!(compiled.contains("where code >= 2"), "{compiled}");
    let results = build(&mut e);
    assert!(results.success(), "{:#?}", results.results);
    // The root project's own nodes do not see vars scoped to the package.
    assert_eq!(
        rows(
            &mut e,
            "select code, label, tag, root_label from events order by code"
        ),
        vec![
            vec!["2", "buy", "from-root", "unset"],
            vec!["3", "refund", "from-root", "unset"],
        ]
    );
    assert_eq!(scalar(&mut e, "select n from event_count"), "2");
    assert_eq!(
        scalar(&mut e, "select count(*) from analytics_events.stg_events"),
        "2"
    );
}

#[test]
fn packages_are_selected_by_name_and_shown_in_the_manifest() {
    let e = engine(shop_with_events_package(&[])).unwrap_or_else(|d| panic!("{d:#?}"));
    let project = e.project();
    for spec in ["package:shop_events", "shop_events"] {
        let chosen = selector::select(project, e.dag(), &[spec.to_string()], &[]).unwrap();
        let mut models: Vec<&str> = chosen
            .iter()
            .filter(|id| id.starts_with("model."))
            .map(String::as_str)
            .collect();
        models.sort();
        assert_eq!(
            models,
            [
                "model.shop_events.raw_clicks",
                "model.shop_events.stg_events"
            ],
            "{spec}"
        );
        assert!(!chosen.iter().any(|id| id.contains(".shop.")), "{spec}");
    }
    let manifest = artifacts::manifest(&e, "2024-05-16T12:00:00Z");
    let node = &manifest["nodes"]["model.shop_events.stg_events"];
    assert_eq!(node["package_name"], "shop_events");
    assert_eq!(node["path"], "staging/stg_events.sql");
    assert_eq!(node["original_file_path"], "models/staging/stg_events.sql");
    assert_eq!(
        manifest["sources"]["source.shop_events.events_raw.clicks"]["package_name"],
        "shop_events"
    );
}

#[test]
fn a_packages_own_generate_schema_name_names_only_its_nodes() {
    let e = engine(shop_with_events_package(&[(
        "dbt_packages/shop_events/macros/naming.sql",
        "{% macro generate_schema_name(custom_schema_name, node) -%}\n\
           pkg_{{ custom_schema_name or 'core' }}\n\
         {%- endmacro %}",
    )]))
    .unwrap_or_else(|d| panic!("{d:#?}"));
    let project = e.project();
    assert_eq!(
        project.nodes["model.shop_events.stg_events"]
            .relation
            .to_string(),
        r#""dev"."pkg_events"."stg_events""#
    );
    assert_eq!(
        project.nodes["seed.shop_events.event_types"]
            .relation
            .to_string(),
        r#""dev"."pkg_core"."event_types""#
    );
    assert_eq!(
        project.nodes["model.shop.events"].relation.to_string(),
        r#""dev"."analytics"."events""#
    );
}

#[test]
fn a_ref_to_a_package_that_lacks_the_model_is_located() {
    let err = engine(shop_with_events_package(&[(
        "models/wrong.sql",
        "select 1 as x from {{ ref('shop_events', 'events') }}",
    )]))
    .expect_err("the ref names a model the package does not have");
    let d = err
        .iter()
        .find(|d| d.location.file == "models/wrong.sql")
        .unwrap_or_else(|| panic!("{err:#?}"));
    assert_eq!((d.location.line, d.location.column), (1, 23), "{d:#?}");
    assert!(
        d.message
            .contains("a node named `events` in package `shop_events`"),
        "{}",
        d.message
    );
}

#[test]
fn a_packages_generic_test_sets_its_own_severity_and_failure_count() {
    let mut e = engine(shop_with_events_package(&[
        (
            "dbt_packages/shop_events/tests/generic/test_has_no_rows.sql",
            "{% test has_no_rows(model) %}\n\
               {{ config(severity='warn', fail_calc='n_records') }}\n\
               select count(*) as n_records from {{ model }}\n\
             {% endtest %}",
        ),
        (
            "models/schema.yml",
            "version: 2\nmodels:\n  - name: events\n    tests: [has_no_rows]\n\
             \x20 - name: event_count\n    tests:\n      - has_no_rows:\n          config:\n            severity: error\n",
        ),
    ]))
    .unwrap_or_else(|d| panic!("{d:#?}"));
    let results = build(&mut e);
    let result = |prefix: &str| {
        results
            .results
            .iter()
            .find(|r| r.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix}: {:#?}", results.results))
    };
    // The definition's config() makes it a warning, and its count (2 events), not its one
    // row, is the number of failures, as in dbt.
    let events = result("has_no_rows_events");
    assert_eq!(events.failures, Some(2), "{events:#?}");
    assert_eq!(events.status, modelplay_engine::Status::Warn, "{events:#?}");
    // The YAML's own config wins over the definition's.
    let count = result("has_no_rows_event_count");
    assert_eq!(count.failures, Some(1), "{count:#?}");
    assert_eq!(count.status, modelplay_engine::Status::Fail, "{count:#?}");
    let manifest = artifacts::manifest(&e, "2024-05-16T12:00:00Z");
    assert_eq!(
        manifest["nodes"][&events.unique_id]["depends_on"]["macros"],
        serde_json::json!(["macro.shop_events.test_has_no_rows"])
    );
}

#[test]
fn relations_and_columns_answer_what_package_macros_ask_of_them() {
    let mut e = engine(shop_with_events_package(&[(
        "models/introspect.sql",
        "{% set rel = ref('shop_events', 'stg_events') %}\n\
         {% set is_relation = rel is mapping and rel.get('metadata', {}).get('type', '').endswith('Relation') %}\n\
         {% set cols = adapter.get_columns_in_relation(rel) if execute else [] %}\n\
         select '{{ is_relation }}' as is_relation,\n\
           '{{ cols | selectattr('name', 'equalto', 'label') | map(attribute='dtype') | join }}' as label_type,\n\
           '{{ cols | map(attribute='quoted') | join(',') }}' as quoted,\n\
           '{{ (cols | selectattr('name', 'equalto', 'label') | first).is_string() if execute else '' }}' as label_is_string,\n\
           '{{ rel.include(database=false) }}' as without_database,\n\
           '{{ graph.exposures | length }}' as exposures",
    )]))
    .unwrap_or_else(|d| panic!("{d:#?}"));
    let results = build(&mut e);
    assert!(results.success(), "{:#?}", results.results);
    assert_eq!(
        rows(
            &mut e,
            "select is_relation, label_type, quoted, label_is_string, without_database, exposures from introspect"
        ),
        vec![vec![
            "True",
            "varchar",
            r#""code","label","tag""#,
            "True",
            r#""analytics_events"."stg_events""#,
            "0"
        ]]
    );
}
