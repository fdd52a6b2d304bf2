//! The classic dbt example project shape: CSV seeds, staging views, `{% set %}` lists and
//! `{% for %}` loops, the four generic tests. The expected values are worked out by hand
//! from the seed files in `fixtures/jaffle_shop`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::{NodeKind, Status};

#[test]
fn builds_like_dbt() {
    let mut e = engine(read_dir(&repo_path("engine/tests/fixtures/jaffle_shop"))).unwrap();
    let results = build(&mut e);
    assert!(
        results.success(),
        "{:#?}",
        results
            .results
            .iter()
            .filter(|r| r.status != Status::Success && r.status != Status::Pass)
            .collect::<Vec<_>>()
    );
    let of = |k: NodeKind| results.results.iter().filter(|r| r.kind == k).count();
    assert_eq!(
        (of(NodeKind::Seed), of(NodeKind::Model), of(NodeKind::Test)),
        (3, 5, 16)
    );
    let views: Vec<&str> = results
        .results
        .iter()
        .filter(|r| r.materialized == modelplay_engine::project::Materialized::View)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(views, vec!["stg_customers", "stg_orders", "stg_payments"]);

    assert_eq!(
        rows(&mut e, "select * from customers order by customer_id"),
        vec![
            vec!["1", "Michael", "P.", "2018-01-01", "2018-01-04", "2", "17"],
            vec!["2", "Shawn", "M.", "2018-01-05", "2018-01-09", "2", "46"],
            vec!["3", "Kathleen", "P.", "2018-01-02", "2018-01-11", "3", "60"],
            vec!["4", "Jimmy", "C.", "2018-01-07", "2018-01-07", "1", "6"],
            vec!["5", "Katherine", "R.", "", "", "0", ""],
        ]
    );
    assert_eq!(
        rows(
            &mut e,
            "select * from orders where order_id in (3, 4) order by order_id"
        ),
        vec![
            vec!["3", "1", "2018-01-04", "completed", "0", "1", "0", "6", "7"],
            vec![
                "4",
                "2",
                "2018-01-05",
                "completed",
                "5",
                "25",
                "0",
                "0",
                "30"
            ],
        ]
    );
    let columns: Vec<String> = block_on(e.query("select * from orders where order_id = 1"))
        .unwrap()[0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        columns,
        vec![
            "order_id",
            "customer_id",
            "order_date",
            "status",
            "credit_card_amount",
            "coupon_amount",
            "bank_transfer_amount",
            "gift_card_amount",
            "amount"
        ]
    );
}

#[test]
fn a_failing_generic_test_keeps_its_rows_and_skips_nothing_it_does_not_feed() {
    let mut files = read_dir(&repo_path("engine/tests/fixtures/jaffle_shop"));
    files.insert(
        "seeds/raw_orders.csv",
        "id,user_id,order_date,status\n1,1,2018-01-01,returned\n2,9,2018-01-02,lost\n"
            .as_bytes()
            .to_vec(),
    );
    let mut e = engine(files).unwrap();
    let results = build(&mut e);
    let status = |name: &str| {
        results
            .results
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.status)
    };
    let accepted = results
        .results
        .iter()
        .find(|r| r.name.starts_with("accepted_values_stg_orders_"))
        .unwrap();
    assert_eq!(accepted.status, Status::Fail);
    assert_eq!(accepted.failures, Some(1));
    let failing = cells(&accepted.failing_rows);
    assert_eq!(failing, vec![vec!["lost", "1"]]);
    // dbt build skips the models downstream of a node whose test failed.
    assert_eq!(status("orders"), Some(Status::Skipped));
    assert_eq!(status("customers"), Some(Status::Skipped));
    assert_eq!(status("stg_payments"), Some(Status::Success));
}
