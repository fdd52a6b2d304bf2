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
    assert_eq!(events.dist, "even", "{events:#?}");
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
