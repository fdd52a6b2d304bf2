//! dbt's hooks run on the engine: `on-run-start`, the project's and the model's own
//! `post-hook` in dbt's order, `on-run-end` with `results` and `schemas`; statements that
//! only mean something in a warehouse are named, not run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;

const PROJECT: &str = "name: shop
on-run-start:
  - \"create table if not exists {{ target.schema }}.audit_log (event varchar(32), n bigint)\"
on-run-end:
  - \"{% for s in schemas %}grant usage on schema {{ s }} to group reporter;{% endfor %}\"
  - \"insert into {{ target.schema }}.audit_log select 'end: ' || '{{ results | length }} nodes', {{ results | selectattr('status', 'equalto', 'success') | list | length }}\"
models:
  shop:
    +post-hook: \"insert into {{ target.schema }}.audit_log select '{{ this.name }}', count(*) from {{ this }}\"
";

#[test]
fn hooks_run_in_dbt_order_and_warehouse_statements_are_named() {
    let mut e = engine(inline(&[
        ("dbt_project.yml", PROJECT),
        (
            "models/orders.sql",
            "{{ config(materialized='table', post_hook=[\"delete from {{ this }} where amount < 0\", \"grant select on {{ this }} to group reporter\"]) }}\n\
             select 1 as id, 10 as amount union all select 2, -5 union all select 3, 7",
        ),
        ("models/big_orders.sql", "select id from {{ ref('orders') }} where amount > 8"),
    ]))
    .unwrap_or_else(|d| panic!("{d:#?}"));
    let results = build(&mut e);
    assert!(results.success(), "{:#?}", results.results);
    // The model's own hook deleted the negative row after the project's hook counted three.
    assert_eq!(
        rows(&mut e, "select id from orders order by id"),
        vec![vec!["1"], vec!["3"]]
    );
    assert_eq!(
        rows(&mut e, "select event, n from audit_log order by event"),
        vec![
            vec!["big_orders", "1"],
            vec!["end: 2 nodes", "2"],
            vec!["orders", "3"],
        ]
    );
    let warnings: Vec<String> = e.warnings().iter().map(|w| format!("{w}")).collect();
    assert!(
        warnings.iter().any(|w| w.contains(
            "the post-hook of `orders`: `GRANT SELECT ON \"dev\".\"analytics\".\"orders\" TO GROUP reporter` is not run: the playground has no users, groups or privileges"
        )),
        "{warnings:#?}"
    );
    assert!(
        warnings.iter().any(|w| w.starts_with("dbt_project.yml:5:3")
            && w.contains(
                "`on-run-end`: `GRANT USAGE ON SCHEMA analytics TO GROUP reporter` is not run"
            )),
        "{warnings:#?}"
    );
}

#[test]
fn a_failing_hook_fails_its_node_at_the_hooks_line() {
    let mut e = engine(inline(&[
        (
            "dbt_project.yml",
            "name: shop\nmodels:\n  shop:\n    +pre-hook: \"delete from {{ target.schema }}.missing_table\"\n",
        ),
        ("models/a.sql", "select 1 as id"),
        ("models/b.sql", "select id from {{ ref('a') }}"),
    ]))
    .unwrap_or_else(|d| panic!("{d:#?}"));
    let results = build(&mut e);
    let a = &results.results[0];
    assert_eq!(a.status.as_str(), "error");
    let d = a.diagnostic.as_ref().unwrap();
    assert_eq!(format!("{}", d.location), "dbt_project.yml:4:5", "{d:#}");
    assert_eq!(
        d.message,
        "the pre-hook of `a` failed: relation \"dev.analytics.missing_table\" does not exist"
    );
    assert_eq!(results.results[1].status.as_str(), "skipped");
}
