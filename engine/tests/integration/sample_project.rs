//! The built-in project, built end to end: every node succeeds, and the values that come out
//! are the ones worked out here independently of the engine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::{NodeKind, Status};

fn sample() -> modelplay_engine::Engine {
    engine(read_dir(&repo_path("sample-data/brightwheel"))).unwrap_or_else(|d| panic!("{d:#?}"))
}

/// The rows of the latest load of a source file, parsed independently with the csv crate's
/// quoting rules (the engine's own reader is not used here).
fn latest_rows(table: &str) -> Vec<Vec<String>> {
    let dir = repo_path(&format!(
        "sample-data/brightwheel/data/brightwheel_exercise/{table}"
    ));
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let bytes = std::fs::read(files.last().unwrap()).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let mut out = Vec::new();
    let mut field = String::new();
    let mut row = Vec::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    out.remove(0);
    out
}

#[test]
fn builds_every_node_with_only_the_planted_warning() {
    let mut e = sample();
    let results = build(&mut e);
    let failed: Vec<String> = results
        .results
        .iter()
        .filter(|r| !matches!(r.status, Status::Success | Status::Pass))
        .map(|r| {
            format!(
                "{} {:?} {}",
                r.name,
                r.status,
                r.message.clone().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        failed,
        vec!["not_null_stg_source3_providers_capacity Warn "]
    );
    let s = results.summary();
    assert_eq!((s.error, s.skip, s.warn), (0, 0, 1));
    let count = |k: NodeKind| results.results.iter().filter(|r| r.kind == k).count();
    assert_eq!(
        count(NodeKind::Model),
        14,
        "every model but the ephemeral one"
    );
    assert_eq!(count(NodeKind::Snapshot), 4);
    assert_eq!(count(NodeKind::Seed), 2);
    assert!(count(NodeKind::Test) >= 40);
    let warned = results
        .results
        .iter()
        .find(|r| r.status == Status::Warn)
        .unwrap();
    assert_eq!(warned.failures, Some(1));
    assert_eq!(
        warned
            .failing_rows
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>(),
        1
    );
}

#[test]
fn staging_keeps_every_row_of_the_latest_load() {
    let mut e = sample();
    build(&mut e);
    for (table, model) in [
        ("source1_file", "stg_source1_providers"),
        ("source2_file", "stg_source2_providers"),
        ("source3_file", "stg_source3_providers"),
    ] {
        let expected = latest_rows(table).len();
        let got = scalar(
            &mut e,
            &format!("select count(*) from \"dev\".\"analytics_staging\".\"{model}\""),
        );
        assert_eq!(got, expected.to_string(), "{model}");
    }
    let deleted = latest_rows("salesforce_leads")
        .iter()
        .filter(|r| r[1] == "TRUE")
        .count();
    let got = scalar(
        &mut e,
        "select count(*) from analytics_staging.stg_salesforce_leads",
    );
    assert_eq!(
        got,
        (latest_rows("salesforce_leads").len() - deleted).to_string()
    );
}

#[test]
fn nevada_addresses_are_split_and_keys_match_an_independent_md5() {
    let mut e = sample();
    build(&mut e);
    let raw = latest_rows("source1_file");
    let first = &raw[0];
    // Address: "3876 E OAK LN LAS VEGAS, NV 89136" (street, optional suite, city, state, zip).
    let address = &first[7];
    let (street_and_city, zip) = address.rsplit_once(", NV ").unwrap();
    let phone_digits: String = first[10].chars().filter(char::is_ascii_digit).collect();
    let got = rows(
        &mut e,
        &format!(
            "select address1, city, zip, phone_digits, address_key, lead_key \
             from analytics_staging.stg_source1_providers where provider_id = '{}'",
            first[2]
        ),
    );
    let row = &got[0];
    assert!(
        street_and_city.starts_with(&row[0]),
        "{street_and_city} / {}",
        row[0]
    );
    assert!(
        street_and_city.ends_with(&row[1]),
        "{street_and_city} / {}",
        row[1]
    );
    assert_eq!(row[2], zip);
    assert_eq!(row[3], phone_digits);
    let address_key = row[0].replacen(" E ", " ", 1);
    assert_eq!(row[4], address_key);
    assert_eq!(row[5], md5_hex(&format!("{phone_digits}-{address_key}")));
}

#[test]
fn texas_two_digit_years_follow_the_century_rule() {
    let mut e = sample();
    build(&mut e);
    for raw in latest_rows("source3_file").iter().take(20) {
        let (m, rest) = raw[11].split_once('/').unwrap();
        let (d, yy) = rest.split_once('/').unwrap();
        let yy: i32 = yy.parse().unwrap();
        let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
        let expected = format!(
            "{year}-{:02}-{:02}",
            m.parse::<u32>().unwrap(),
            d.parse::<u32>().unwrap()
        );
        let got = scalar(
            &mut e,
            &format!(
                "select license_issued from analytics_staging.stg_source3_providers where provider_id = '{}'",
                raw[0]
            ),
        );
        assert_eq!(got, expected, "{:?}", raw);
    }
}

#[test]
fn snapshot_meta_columns_hash_as_dbt_does_on_redshift() {
    let mut e = sample();
    build(&mut e);
    let got = rows(
        &mut e,
        "select lead_id, last_modified_at, dbt_scd_id, dbt_valid_from, dbt_updated_at, dbt_valid_to \
         from snapshots.snap_salesforce_leads order by lead_id limit 3",
    );
    for row in got {
        // md5(coalesce(cast(id as varchar), '') || '|' || coalesce(cast(updated_at as varchar), ''))
        assert_eq!(row[2], md5_hex(&format!("{}|{}", row[0], row[1])));
        assert_eq!(row[3], row[1]);
        assert_eq!(row[4], row[1]);
        assert_eq!(row[5], "");
    }
    // The check strategy stamps rows with the snapshot time.
    let valid_from = rows(
        &mut e,
        "select distinct dbt_valid_from from snapshots.snap_source2_file",
    );
    assert_eq!(valid_from, vec![vec!["2024-05-16 12:00:00"]]);
}

#[test]
fn outreach_leads_are_not_in_salesforce_and_are_unique() {
    let mut e = sample();
    build(&mut e);
    let salesforce_phones: std::collections::HashSet<String> = latest_rows("salesforce_leads")
        .iter()
        .map(|r| r[11].clone())
        .collect();
    let outreach = rows(
        &mut e,
        "select phone, external_lead_key_c from analytics_business_questions.leads_for_outreach",
    );
    assert!(!outreach.is_empty());
    for row in &outreach {
        assert!(
            !salesforce_phones.contains(&row[0]),
            "{} is already a lead",
            row[0]
        );
    }
    let keys: std::collections::HashSet<&String> = outreach.iter().map(|r| &r[1]).collect();
    assert_eq!(keys.len(), outreach.len());
}

#[test]
fn selection_builds_only_what_was_asked_and_its_tests() {
    let mut e = sample();
    let mut request = modelplay_engine::RunRequest::new(modelplay_engine::Verb::Build);
    request.select = vec!["stg_source2_providers+1".into()];
    request.exclude = vec!["int_providers_unioned".into()];
    let results = block_on(e.run(&request, &mut |_| {})).unwrap();
    let names: Vec<&str> = results.results.iter().map(|r| r.name.as_str()).collect();
    assert!(names.contains(&"stg_source2_providers"));
    assert!(!names.contains(&"int_providers_unioned"));
    assert!(names.contains(&"not_null_stg_source2_providers_provider_id"));
    assert!(names.iter().all(|n| !n.starts_with("stg_source1")));
}
