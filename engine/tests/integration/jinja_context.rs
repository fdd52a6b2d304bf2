//! dbt's Jinja context as models use it: `var`, `env_var`, `target`, `this`, `config.get`,
//! `log`, two-argument `ref`, macros with `return`, `dbt_utils.union_relations` and `star`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::{Engine, LoadOptions, load_project};

fn project(files: &[(&str, &str)]) -> Engine {
    let mut options = LoadOptions::default();
    options
        .env
        .insert("MODELPLAY_TEST_REGION".into(), "emea".into());
    options
        .vars
        .insert("min_amount".into(), serde_json::json!(5));
    let loaded = load_project(inline(files), &options).unwrap_or_else(|d| panic!("{d:#?}"));
    Engine::new(loaded, run_time()).unwrap()
}

#[test]
fn context_functions_render_as_dbt_renders_them() {
    let mut e = project(&[
        (
            "dbt_project.yml",
            "name: ctx\nvars:\n  min_amount: 1\n  label: orders\n",
        ),
        ("seeds/a.csv", "id,amount,region\n1,10,emea\n2,3,amer\n"),
        ("seeds/b.csv", "id,note\n3,hello\n"),
        (
            "macros/helpers.sql",
            "{% macro amount_floor() %}{{ return(var('min_amount') * 2) }}{% endmacro %}\n\
             {% macro quoted(x) %}'{{ x }}'{% endmacro %}",
        ),
        (
            "models/context.sql",
            "{{ config(materialized='table', tags=['nightly']) }}\n\
             {% do log('building ' ~ this.identifier, info=true) %}\n\
             select\n\
               {{ quoted(var('label')) }} as label,\n\
               '{{ env_var('MODELPLAY_TEST_REGION') }}' as region,\n\
               '{{ env_var('MODELPLAY_NOT_SET', 'fallback') }}' as fallback,\n\
               '{{ target.type }}/{{ target.schema }}' as target,\n\
               '{{ this }}' as this_relation,\n\
               '{{ config.get('materialized') }}' as materialized,\n\
               {{ amount_floor() }} as floor_amount,\n\
               count(*) as big_orders\n\
             from {{ ref('ctx', 'a') }}\n\
             where amount >= {{ amount_floor() }}",
        ),
        (
            "models/unioned.sql",
            "{{ dbt_utils.union_relations(relations=[ref('a'), ref('b')]) }}",
        ),
        (
            "models/starred.sql",
            "select {{ dbt_utils.star(from=ref('a'), except=['region'], relation_alias='t', prefix='a_') }} from {{ ref('a') }} t",
        ),
    ]);
    let r = build(&mut e);
    assert!(r.success(), "{:#?}", r.results);
    assert_eq!(
        rows(&mut e, "select * from context"),
        vec![vec![
            "orders",
            "emea",
            "fallback",
            "redshift/analytics",
            "\"dev\".\"analytics\".\"context\"",
            "table",
            "10",
            "1"
        ]]
    );
    // --vars wins over dbt_project.yml: min_amount is 5, so the floor is 10.
    assert_eq!(
        rows(
            &mut e,
            "select _dbt_source_relation, id, amount, note from unioned order by id"
        ),
        vec![
            vec!["\"dev\".\"analytics\".\"a\"", "1", "10", ""],
            vec!["\"dev\".\"analytics\".\"a\"", "2", "3", ""],
            vec!["\"dev\".\"analytics\".\"b\"", "3", "", "hello"],
        ]
    );
    let starred = block_on(e.query("select * from starred")).unwrap();
    let names: Vec<String> = starred[0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, vec!["a_id", "a_amount"]);
    let compiled = e.compiled_sql("model.ctx.starred").unwrap();
    assert!(compiled.contains("t.\"id\" as \"a_id\""), "{compiled}");
}

#[test]
fn selectors_follow_dbt() {
    let e = project(&[
        (
            "dbt_project.yml",
            "name: sel\nmodels:\n  sel:\n    marts:\n      +tags: ['nightly']\n",
        ),
        (
            "models/sources.yml",
            "version: 2\nsources:\n  - name: crm\n    tables:\n      - name: leads\n",
        ),
        (
            "models/staging/stg_leads.sql",
            "select * from {{ source('crm', 'leads') }}",
        ),
        ("models/staging/stg_other.sql", "select 1 as x"),
        (
            "models/marts/leads.sql",
            "select * from {{ ref('stg_leads') }}",
        ),
        (
            "models/marts/leads_summary.sql",
            "select count(*) as n from {{ ref('leads') }}",
        ),
    ]);
    let names = |select: &[&str], exclude: &[&str]| -> Vec<String> {
        let s: Vec<String> = select.iter().map(|x| x.to_string()).collect();
        let x: Vec<String> = exclude.iter().map(|x| x.to_string()).collect();
        let mut out: Vec<String> = modelplay_engine::selector::select(e.project(), e.dag(), &s, &x)
            .unwrap()
            .iter()
            .map(|id| id.rsplit('.').next().unwrap().to_string())
            .collect();
        out.sort();
        out
    };
    assert_eq!(names(&["tag:nightly"], &[]), vec!["leads", "leads_summary"]);
    assert_eq!(
        names(&["path:models/staging"], &[]),
        vec!["stg_leads", "stg_other"]
    );
    assert_eq!(
        names(&["source:crm+"], &[]),
        vec!["leads", "leads", "leads_summary", "stg_leads"]
    );
    assert_eq!(names(&["+leads"], &[]), vec!["leads", "leads", "stg_leads"]);
    assert_eq!(
        names(&["1+leads_summary"], &[]),
        vec!["leads", "leads_summary"]
    );
    assert_eq!(names(&["stg_leads+1"], &[]), vec!["leads", "stg_leads"]);
    assert_eq!(
        names(&["@stg_leads"], &[]),
        vec!["leads", "leads", "leads_summary", "stg_leads"]
    );
    assert_eq!(names(&["stg_*"], &["stg_other"]), vec!["stg_leads"]);
    assert_eq!(
        names(&["tag:nightly,leads_summary"], &[]),
        vec!["leads_summary"]
    );
    assert_eq!(
        names(&["stg_leads leads_summary"], &[]),
        vec!["leads_summary", "stg_leads"]
    );
    assert_eq!(names(&["marts.leads"], &[]), vec!["leads"]);
    assert!(
        modelplay_engine::selector::select(e.project(), e.dag(), &["nope".into()], &[]).is_err()
    );
}

#[test]
fn a_test_runs_after_every_node_its_arguments_name() {
    let e = project(&[
        ("dbt_project.yml", "name: order\n"),
        ("models/orders.sql", "select 1 as id, 1 as customer_id"),
        ("models/customers.sql", "select 1 as id"),
        (
            "models/schema.yml",
            "version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: customer_id\n        tests:\n          - relationships:\n              to: ref('customers')\n              field: id\n",
        ),
    ]);
    let test = e
        .project()
        .nodes
        .values()
        .find(|n| n.name.starts_with("relationships"))
        .unwrap();
    assert!(
        test.depends_on
            .contains(&"model.order.customers".to_string()),
        "{:?}",
        test.depends_on
    );
}

#[test]
fn a_loaded_at_field_the_data_already_has_is_not_added_again() {
    let mut e = project(&[
        ("dbt_project.yml", "name: loads\n"),
        (
            "models/sources.yml",
            "version: 2\nsources:\n  - name: shop\n    tables:\n      - name: orders\n        loaded_at_field: _loaded_at\n",
        ),
        (
            "data/shop/orders/2024-05-01.csv",
            "id,_loaded_at\n1,2024-04-30 23:00:00\n",
        ),
        (
            "models/latest.sql",
            "select * from {{ source('shop', 'orders') }}",
        ),
    ]);
    let r = build(&mut e);
    assert!(r.success(), "{:#?}", r.results);
    assert_eq!(
        rows(&mut e, "select * from latest"),
        vec![vec!["1", "2024-04-30 23:00:00"]]
    );
}

#[test]
fn a_unit_test_of_a_model_that_reads_nothing_needs_no_inputs() {
    let mut e = project(&[
        ("dbt_project.yml", "name: units\n"),
        ("models/a.sql", "select 1 as id"),
        (
            "models/unit.yml",
            "unit_tests:\n  - name: a_is_one\n    model: a\n    given: []\n    expect:\n      rows:\n        - {id: 1}\n",
        ),
    ]);
    assert!(e.warnings().is_empty(), "{:#?}", e.warnings());
    let r = build(&mut e);
    assert!(r.success(), "{:#?}", r.results);
    let unit = r.results.iter().find(|r| r.name == "a_is_one").unwrap();
    assert_eq!(unit.status.as_str(), "pass");
}

#[test]
fn selected_resources_lists_what_the_run_selected() {
    let mut e = engine(inline(&[
        ("dbt_project.yml", "name: sel\n"),
        (
            "models/a.sql",
            "select {{ selected_resources | length }} as n, {{ 1 if 'model.sel.a' in selected_resources else 0 }} as me",
        ),
        ("models/b.sql", "select 1 as id"),
    ]))
    .unwrap();
    let mut request = modelplay_engine::RunRequest::new(modelplay_engine::Verb::Run);
    request.select = vec!["a".into()];
    let results = block_on(e.run(&request, &mut |_| {})).unwrap();
    assert!(results.success(), "{:#?}", results.results);
    assert_eq!(rows(&mut e, "select n, me from a"), vec![vec!["1", "1"]]);
    // `b` was not selected, so it was not built.
    assert!(block_on(e.query("select * from b")).is_err());
}

#[test]
fn lookups_that_need_execute_are_forgiven_while_the_project_is_parsed() {
    // `graph` is empty while dbt parses, and dbt's parse-time undefined absorbs the lookup;
    // the compile phase renders it with the real graph.
    let mut e = project(&[
        ("dbt_project.yml", "name: lenient\n"),
        ("models/m1.sql", "select 1 as a"),
        (
            "models/m2.sql",
            "select '{{ graph.nodes['model.lenient.m1'].config.materialized }}' as m1_is,\n\
             a from {{ ref('m1') }}",
        ),
        (
            "models/m3.sql",
            "select '{{ graph.nodes['model.lenient.nope'].config.materialized }}' as x",
        ),
    ]);
    assert_eq!(
        e.project().nodes["model.lenient.m2"].depends_on,
        ["model.lenient.m1"]
    );
    let results = build(&mut e);
    let m2 = results.results.iter().find(|r| r.name == "m2").unwrap();
    assert!(m2.diagnostic.is_none(), "{m2:#?}");
    assert_eq!(scalar(&mut e, "select m1_is from m2"), "view");
    // At compile time the same lookup of a node that is not there fails that node, at it.
    let m3 = results.results.iter().find(|r| r.name == "m3").unwrap();
    let d = m3.diagnostic.as_ref().unwrap_or_else(|| panic!("{m3:#?}"));
    assert_eq!(
        (d.location.file.as_str(), d.location.line),
        ("models/m3.sql", 1),
        "{d:#?}"
    );
}
