//! `modelplay advise` on the sample project (a reviewed snapshot of its text) and on a
//! fixture whose join column is skewed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::advisor::{advise, render};

#[test]
fn sample_project_advice_follows_its_joins() {
    let mut e = engine(read_dir(&repo_path("sample-data/brightwheel"))).unwrap();
    let advice = block_on(advise(&mut e, &[], &[])).unwrap();
    let dedup = advice
        .iter()
        .find(|a| a.model == "int_leads_deduplicated")
        .unwrap();
    assert_eq!(dedup.dist, "lead_key");
    assert!(
        dedup
            .reasons
            .iter()
            .any(|r| r.contains("joined most often on `lead_key`"))
    );
    assert!(
        dedup
            .evidence
            .iter()
            .any(|e| e.contains("int_state_leads_matched_to_salesforce joins it"))
    );
    assert_eq!(
        dedup.config_line,
        "{{ config(dist='lead_key', sort='lead_key') }}"
    );
    // Small tables that nothing joins go to every node.
    let share = advice
        .iter()
        .find(|a| a.model == "leads_worked_share")
        .unwrap();
    assert_eq!(share.dist, "all");
    insta::assert_snapshot!("sample_advice", render(&advice));
}

#[test]
fn a_skewed_join_column_is_not_a_distkey() {
    let mut rows = String::from("id,country,amount\n");
    for i in 0..200 {
        let country = if i % 10 == 0 {
            ["CA", "MX"][i % 20 / 10]
        } else {
            "US"
        };
        rows.push_str(&format!("{i},{country},{}\n", i % 7));
    }
    let mut e = engine(inline(&[
        (
            "dbt_project.yml",
            "name: skew\nvars:\n  modelplay_expected_rows:\n    app.events: 500000000\n",
        ),
        (
            "models/sources.yml",
            "version: 2\nsources:\n  - name: app\n    tables:\n      - name: events\n",
        ),
        ("data/app/events/2024-01-01.csv", rows.as_str()),
        ("seeds/countries.csv", "code,name\nUS,United States\nCA,Canada\nMX,Mexico\n"),
        (
            "models/events.sql",
            "{{ config(materialized='table') }}\nselect id::int as id, country, amount::int as amount from {{ source('app', 'events') }}",
        ),
        (
            "models/revenue_by_country.sql",
            "{{ config(materialized='table') }}\nselect c.name, sum(e.amount) as amount\nfrom {{ ref('events') }} e\njoin {{ ref('countries') }} c on c.code = e.country\ngroup by c.name",
        ),
    ]))
    .unwrap();
    let advice = block_on(advise(&mut e, &[], &[])).unwrap();
    let events = advice.iter().find(|a| a.model == "events").unwrap();
    // Large, and its only join column is skewed: AUTO, not a key.
    assert_eq!(events.dist, "auto", "{events:#?}");
    assert!(
        events
            .warnings
            .iter()
            .any(|w| w.starts_with("skew: `country`") && w.contains("'US' holds 90% of rows")),
        "{:#?}",
        events.warnings
    );
    assert_eq!(events.expected_rows, 500_000_000);
}

#[test]
fn without_a_production_size_auto_is_offered_and_a_group_by_does_not_grow_like_its_source() {
    let mut rows = String::from("id,state,amount\n");
    for i in 0..300 {
        rows.push_str(&format!("{i},{},{}\n", ["NV", "TX", "OK"][i % 3], i % 11));
    }
    let files = |vars: &str| {
        inline(&[
            ("dbt_project.yml", vars),
            (
                "models/sources.yml",
                "version: 2\nsources:\n  - name: app\n    tables:\n      - name: orders\n",
            ),
            ("data/app/orders/2024-01-01.csv", rows.as_str()),
            (
                "models/orders.sql",
                "{{ config(materialized='table') }}\nselect id::int as id, state, amount::int as amount from {{ source('app', 'orders') }}",
            ),
            (
                "models/by_state.sql",
                "{{ config(materialized='table') }}\nselect state, sum(amount) as amount from {{ ref('orders') }} group by state",
            ),
            (
                "models/order_totals.sql",
                "{{ config(materialized='table') }}\nselect o.id, s.amount from {{ ref('orders') }} o join {{ ref('by_state') }} s on s.state = o.state",
            ),
        ])
    };
    // No size given: the sample is all there is, and AUTO is the advice.
    let mut e = engine(files("name: sizes\n")).unwrap();
    let advice = block_on(advise(&mut e, &[], &[])).unwrap();
    let orders = advice.iter().find(|a| a.model == "orders").unwrap();
    assert_eq!(orders.dist, "auto", "{orders:#?}");
    assert!(
        orders
            .reasons
            .iter()
            .any(|r| r.contains("production size is unknown")),
        "{orders:#?}"
    );
    assert!(
        orders
            .notes
            .iter()
            .any(|n| n.contains("automatic table optimization")),
        "{orders:#?}"
    );
    // With the source's size, the orders grow with it and the three states do not.
    let mut e = engine(files(
        "name: sizes\nvars:\n  modelplay_expected_rows:\n    app.orders: 30000000\n",
    ))
    .unwrap();
    let advice = block_on(advise(&mut e, &[], &[])).unwrap();
    let orders = advice.iter().find(|a| a.model == "orders").unwrap();
    assert_eq!(orders.expected_rows, 30_000_000);
    let by_state = advice.iter().find(|a| a.model == "by_state").unwrap();
    assert!(by_state.expected_rows < 10, "{by_state:#?}");
    assert_eq!(by_state.dist, "all");
    assert!(
        by_state
            .notes
            .iter()
            .any(|n| n.contains("out of Redshift's automatic table optimization")),
        "{by_state:#?}"
    );
}
