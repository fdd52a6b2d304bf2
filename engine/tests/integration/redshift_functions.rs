//! Redshift rules that need more than one query or more than a value to show: AVG's type,
//! aggregates over rows, lateral column aliases, identifier folding, errors. Single values
//! are cases in the corpus (`engine/tests/redshift/*.txt`, run by `redshift_corpus.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;

fn engine() -> modelplay_engine::Engine {
    crate::common::engine(inline(&[("dbt_project.yml", "name: fns\n")])).unwrap()
}

#[test]
fn avg_of_integers_is_an_integer() {
    let mut e = engine();
    let avg = scalar(
        &mut e,
        "select avg(x) as v from (select 1 as x union all select 2)",
    );
    assert_eq!(avg, "1", "AVG of an integer column is an integer");
    let avg_float = scalar(
        &mut e,
        "select avg(x) as v from (select 1.0 as x union all select 2.0)",
    );
    assert_eq!(avg_float, "1.5");
}

#[test]
fn aggregates_and_windows() {
    let mut e = engine();
    let data = "(select 'b' as x, 2 as n union all select 'a', 1 union all select 'c', 3)";
    assert_eq!(
        scalar(
            &mut e,
            &format!("select listagg(x, ',') within group (order by n) as v from {data}")
        ),
        "a,b,c"
    );
    assert_eq!(
        scalar(&mut e, &format!("select median(n) as v from {data}")),
        "2.0",
        "MEDIAN of integers is a DECIMAL"
    );
    let ratios = rows(
        &mut e,
        &format!("select x, ratio_to_report(n) over () as r from {data} order by x"),
    );
    assert_eq!(ratios[0], vec!["a", "0.166666666666667"]);
    assert_eq!(ratios[2], vec!["c", "0.5"]);
}

#[test]
fn lateral_column_aliases() {
    let mut e = engine();
    assert_eq!(
        rows(&mut e, "select 2 as a, a * 3 as b, b + a as c"),
        vec![vec!["2", "6", "8"]]
    );
    // A real column of the same name takes precedence over the alias.
    assert_eq!(
        rows(
            &mut e,
            "select x + 1 as y, y as z from (select 1 as x, 10 as y)"
        ),
        vec![vec!["2", "10"]]
    );
    assert_eq!(
        rows(
            &mut e,
            "select n * 2 as doubled from (select 1 as n union all select 5) where doubled > 4"
        ),
        vec![vec!["10"]]
    );
}

#[test]
fn identifiers_fold_to_lower_case() {
    let mut e = engine();
    let batches = block_on(e.query("select 1 as \"MixedCase\", 2 as Plain")).unwrap();
    let names: Vec<String> = batches[0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, vec!["mixedcase", "plain"]);
}

#[test]
fn split_part_rejects_negative_parts() {
    let mut e = engine();
    let err = block_on(e.query("select split_part('a,b', ',', -1) as v")).unwrap_err();
    assert!(err.message.contains("split_part"), "{}", err.message);
    assert_eq!(err.location.line, 1);
}
