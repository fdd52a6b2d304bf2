//! Parquet sample loads: a project whose sources land as CSV and as Parquet (written by
//! another engine, DuckDB) builds, reads the file's types, and exports a Parquet COPY.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::export::export;

fn tiny_shop() -> modelplay_engine::ProjectFiles {
    read_dir(&repo_path("engine/tests/fixtures/tiny_shop"))
}

#[test]
fn a_parquet_source_builds_with_the_files_types() {
    let mut e = engine(tiny_shop()).unwrap_or_else(|d| panic!("{d:#?}"));
    let results = build(&mut e);
    let summary = results.summary();
    assert_eq!((summary.error, summary.skip), (0, 0), "{results:#?}");
    assert_eq!(
        rows(
            &mut e,
            "select order_id, refund_amount, refunded_at, reason from shop.refunds order by 1"
        ),
        vec![
            vec!["1", "2.50", "2024-05-02 09:15:00", "Dañado"],
            vec!["3", "3.00", "2024-05-02 10:00:00", "Late"],
        ]
    );
    assert_eq!(
        rows(
            &mut e,
            "select region_name, net_revenue from net_revenue_by_region order by 1"
        ),
        vec![vec!["East", "7.25"], vec!["West", "8.00"]]
    );
}

#[test]
fn a_parquet_source_exports_a_parquet_copy_through_a_staging_table() {
    let e = engine(tiny_shop()).unwrap_or_else(|d| panic!("{d:#?}"));
    let files = block_on(export(&e, &Default::default()))
        .unwrap_or_else(|d| panic!("{d:#?}"))
        .files;
    let refunds = files
        .iter()
        .find(|f| f.contents.contains("-- source shop.refunds"))
        .unwrap();
    insta::assert_snapshot!("tiny_shop_refunds_source", refunds.contents);
    let orders = files
        .iter()
        .find(|f| f.contents.contains("-- source shop.orders"))
        .unwrap();
    assert!(
        orders.contents.contains("format as csv"),
        "{}",
        orders.contents
    );
}
