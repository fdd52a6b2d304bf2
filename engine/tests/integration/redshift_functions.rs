//! Each Redshift function and rule, evaluated by the engine, against the value the AWS
//! documentation gives (examples from the Redshift Database Developer Guide where it has
//! one, and the documented rule otherwise).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;

fn engine() -> modelplay_engine::Engine {
    crate::common::engine(inline(&[("dbt_project.yml", "name: fns\n")])).unwrap()
}

fn check(cases: &[(&str, &str)]) {
    let mut e = engine();
    let mut wrong = Vec::new();
    for (expr, expected) in cases {
        let got = scalar(&mut e, &format!("select {expr} as v"));
        if got != *expected {
            wrong.push(format!("{expr}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn null_handling_functions() {
    check(&[
        ("nvl(null, null, 'c')", "c"),
        ("nvl('a', 'b')", "a"),
        ("nvl2('x', 'set', 'unset')", "set"),
        ("nvl2(null, 'set', 'unset')", "unset"),
        ("decode(2, 1, 'one', 2, 'two', 'other')", "two"),
        ("decode(5, 1, 'one', 'other')", "other"),
        // DECODE matches NULL to NULL, unlike `=`.
        (
            "decode(null, null, 'null matched', 'no match')",
            "null matched",
        ),
        (
            "nvl('a' || null, 'concatenation is null')",
            "concatenation is null",
        ),
        ("nvl(concat('a', null), 'concat is null')", "concat is null"),
        ("concat('Red', 'shift')", "Redshift"),
        ("greatest(1, null, 3)", "3"),
    ]);
}

#[test]
fn integer_arithmetic_truncates() {
    check(&[("7 / 2", "3"), ("-7 / 2", "-3"), ("7.0 / 2", "3.5")]);
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
fn date_functions() {
    check(&[
        ("dateadd(month, 1, '2008-02-28')", "2008-03-28 00:00:00"),
        ("dateadd(month, 1, '2008-01-31')", "2008-02-29 00:00:00"),
        (
            "dateadd(day, -7, '2024-05-16 07:04:11'::timestamp)",
            "2024-05-09 07:04:11",
        ),
        ("dateadd('hour', 30, '2024-05-16')", "2024-05-17 06:00:00"),
        ("datediff(week, '2009-01-01', '2009-12-31')", "52"),
        (
            "datediff(day, '2024-05-16 23:59:59', '2024-05-17 00:00:01')",
            "1",
        ),
        ("datediff(year, '2023-12-31', '2024-01-01')", "1"),
        ("datediff(month, '2024-01-31', '2024-02-01')", "1"),
        ("datediff(qtr, '1998-07-01', '2002-10-01')", "17"),
        ("add_months('2008-03-31', 1)", "2008-04-30 00:00:00"),
        ("last_day('2004-02-10')", "2004-02-29"),
        (
            "trunc('2011-07-21 10:32:38.248109'::timestamp)",
            "2011-07-21",
        ),
        ("trunc(3.14159, 2)", "3.14"),
        (
            "date_trunc('week', '2024-05-16 07:04:11'::timestamp)",
            "2024-05-13 00:00:00",
        ),
        (
            "convert_timezone('US/Pacific', '2008-08-21 07:23:51')",
            "2008-08-21 00:23:51",
        ),
        (
            "convert_timezone('UTC', 'America/New_York', '2024-01-01 12:00:00')",
            "2024-01-01 07:00:00",
        ),
        ("getdate()", "2024-05-16 12:00:00"),
        ("sysdate", "2024-05-16 12:00:00"),
        ("current_date", "2024-05-16"),
        (
            "to_char('2009-04-06 00:00:00'::timestamp, 'MON-DD-YYYY')",
            "APR-06-2009",
        ),
        (
            "to_char('2024-05-16 19:04:11'::timestamp, 'YYYY-MM-DD HH12:MI:SS AM')",
            "2024-05-16 07:04:11 PM",
        ),
    ]);
}

#[test]
fn text_to_date_and_timestamp() {
    check(&[
        // Salesforce prints hours without zero padding.
        ("'2024-05-16 7:04:11'::timestamp", "2024-05-16 07:04:11"),
        ("cast('2024-05-16' as timestamp)", "2024-05-16 00:00:00"),
        ("'2024-05-16 07:04:11'::date", "2024-05-16"),
        (
            "'2024-05-16 07:04:11.500'::timestamp",
            "2024-05-16 07:04:11.5",
        ),
        (
            "'2024-05-16 07:04:11'::timestamp::varchar",
            "2024-05-16 07:04:11",
        ),
        ("true::varchar", "true"),
        ("'abcdef'::varchar(3)", "abc"),
        // Two-digit years: below 70 is this century, 70 and above the last one.
        ("to_date('5/16/94', 'MM/DD/YY')", "1994-05-16"),
        ("to_date('02/29/24', 'MM/DD/YY')", "2024-02-29"),
        ("to_date('1/2/69', 'MM/DD/YY')", "2069-01-02"),
        ("to_date('1/2/70', 'MM/DD/YY')", "1970-01-02"),
        ("to_date('16 May 2024', 'DD Mon YYYY')", "2024-05-16"),
        (
            "to_timestamp('2024-05-16 19:04', 'YYYY-MM-DD HH24:MI')",
            "2024-05-16 19:04:00+00",
        ),
    ]);
}

#[test]
fn string_functions() {
    check(&[
        ("len('français')", "8"),
        ("charindex('dog', 'fish')", "0"),
        ("charindex('fish', 'dogfish')", "4"),
        ("split_part('abc$def$ghi', '$', 2)", "def"),
        ("split_part('a,b', ',', 5)", ""),
        ("initcap('the quick brown fox')", "The Quick Brown Fox"),
        ("btrim('xxabcxx', 'x')", "abc"),
        ("left('Redshift', 3)", "Red"),
        ("right('Redshift', 5)", "shift"),
        ("lpad('7', 3, '0')", "007"),
        ("strpos('dogfish', 'fish')", "4"),
        ("md5('Amazon Redshift')", "f7415e33f972c03abd4f3fed36748f7a"),
    ]);
}

#[test]
fn regex_functions() {
    check(&[
        // No match gives an empty string, not NULL.
        ("nvl(regexp_substr('Hello world', 'xyz'), 'was null')", ""),
        (
            "regexp_substr('Hello Mr. Rogers', '[A-Z][a-z]+', 1, 2)",
            "Mr",
        ),
        (
            "regexp_substr('phone: 702-555-0134', '([0-9]{3})-([0-9]{3})', 1, 1, 'e')",
            "702",
        ),
        ("regexp_substr('ABC', 'b', 1, 1, 'i')", "B"),
        (
            "regexp_count('abcdefghijklmnopqrstuvwxyz', '[a-z]{3}')",
            "8",
        ),
        ("regexp_instr('The Cow jumped', 'Cow')", "5"),
        ("regexp_instr('The Cow jumped', 'Cow', 1, 1, 1)", "8"),
        (
            "regexp_replace('DonecFri@example.com', '@.*\\\\.(org|gov|com)$')",
            "DonecFri",
        ),
        // Redshift replaces every match, not just the first.
        ("regexp_replace('a-b-c', '-', '+')", "a+b+c"),
        (
            "regexp_replace('2024-05-16', '([0-9]+)-([0-9]+)-([0-9]+)', '\\\\3/\\\\2/\\\\1')",
            "16/05/2024",
        ),
    ]);
}

#[test]
fn json_functions() {
    check(&[
        (
            r#"json_extract_path_text('{"f2":{"f3":1},"f4":{"f5":99,"f6":"star"}}', 'f4', 'f6')"#,
            "star",
        ),
        (r#"json_extract_path_text('{"f2":{"f3":1}}', 'f4')"#, ""),
        (r#"json_extract_path_text('{"a":[1,2]}', 'a')"#, "[1,2]"),
        (r#"is_valid_json('{"a":2}')"#, "true"),
        ("is_valid_json('{a')", "false"),
        (
            "nvl(json_extract_path_text('{a', 'a', true), 'invalid')",
            "invalid",
        ),
    ]);
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
