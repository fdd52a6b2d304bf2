//! Snapshot options, each on a small fixture project whose loads are written inline, with
//! the expected history worked out by hand and `dbt_scd_id` computed here with an md5 of
//! the text Redshift would hash.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::{Engine, RunRequest, Verb};

/// A project with one source `app.users` whose loads are `loads` (file stamp, CSV text),
/// and one snapshot whose config and select are given.
fn project(config: &str, select: &str, loads: &[(&str, &str)]) -> Engine {
    let mut files = vec![
        ("dbt_project.yml".to_string(), "name: snaps\n".to_string()),
        (
            "models/sources.yml".to_string(),
            "version: 2\nsources:\n  - name: app\n    tables:\n      - name: users\n".to_string(),
        ),
        (
            "snapshots/users_snapshot.sql".to_string(),
            format!(
                "{{% snapshot users_snapshot %}}\n{{{{ config(target_schema='snapshots', {config}) }}}}\n{select}\n{{% endsnapshot %}}\n"
            ),
        ),
    ];
    for (stamp, csv) in loads {
        files.push((format!("data/app/users/{stamp}.csv"), csv.to_string()));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    engine(inline(&files)).unwrap_or_else(|d| panic!("{d:#?}"))
}

/// Replays every load and returns the snapshot, ordered.
fn replay(e: &mut Engine, columns: &str, order: &str) -> Vec<Vec<String>> {
    for t in e.load_times() {
        e.step_to(&t).unwrap();
        let r = block_on(e.run(&RunRequest::new(Verb::Snapshot), &mut |_| {})).unwrap();
        assert!(r.success(), "{:#?}", r.results);
    }
    rows(
        e,
        &format!("select {columns} from snapshots.users_snapshot order by {order}"),
    )
}

const SELECT: &str = "select id, name, cast(updated_at as timestamp) as updated_at from {{ source('app', 'users') }}";

/// Three loads of `app.users`: ann is renamed, and bob leaves and comes back changed.
const KEY_DISAPPEARS_AND_COMES_BACK: [(&str, &str); 3] = [
    (
        "2024-01-01",
        "id,name,updated_at\n1,ann,2024-01-01 08:00:00\n2,bob,2024-01-01 08:00:00\n",
    ),
    (
        "2024-01-02",
        "id,name,updated_at\n1,anna,2024-01-02 09:30:00\n",
    ),
    (
        "2024-01-03",
        "id,name,updated_at\n1,anna,2024-01-02 09:30:00\n2,bob,2024-01-03 10:00:00\n",
    ),
];

#[test]
fn timestamp_strategy_with_a_key_that_disappears_and_comes_back() {
    let loads = KEY_DISAPPEARS_AND_COMES_BACK;
    for (mode, expected) in [
        (
            "hard_deletes='ignore'",
            vec![
                vec!["1", "ann", "2024-01-01 08:00:00", "2024-01-02 09:30:00"],
                vec!["1", "anna", "2024-01-02 09:30:00", ""],
                vec!["2", "bob", "2024-01-01 08:00:00", "2024-01-03 10:00:00"],
                vec!["2", "bob", "2024-01-03 10:00:00", ""],
            ],
        ),
        (
            "hard_deletes='invalidate'",
            vec![
                vec!["1", "ann", "2024-01-01 08:00:00", "2024-01-02 09:30:00"],
                vec!["1", "anna", "2024-01-02 09:30:00", ""],
                vec!["2", "bob", "2024-01-01 08:00:00", "2024-01-02 00:00:00"],
                vec!["2", "bob", "2024-01-03 10:00:00", ""],
            ],
        ),
        (
            "invalidate_hard_deletes=true",
            vec![
                vec!["1", "ann", "2024-01-01 08:00:00", "2024-01-02 09:30:00"],
                vec!["1", "anna", "2024-01-02 09:30:00", ""],
                // Closed at the snapshot that no longer saw it; back as a new version.
                vec!["2", "bob", "2024-01-01 08:00:00", "2024-01-02 00:00:00"],
                vec!["2", "bob", "2024-01-03 10:00:00", ""],
            ],
        ),
    ] {
        let mut e = project(
            &format!("unique_key='id', strategy='timestamp', updated_at='updated_at', {mode}"),
            SELECT,
            &loads,
        );
        let got = replay(
            &mut e,
            "id, name, dbt_valid_from, dbt_valid_to",
            "id, dbt_valid_from",
        );
        assert_eq!(got, expected, "{mode}");
        let ids = rows(
            &mut e,
            "select id, dbt_updated_at, dbt_scd_id from snapshots.users_snapshot order by id, dbt_valid_from",
        );
        for row in ids {
            assert_eq!(row[2], md5_hex(&format!("{}|{}", row[0], row[1])));
        }
    }
}

#[test]
fn hard_deletes_new_record_marks_the_deletion() {
    let mut e = project(
        "unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='new_record'",
        SELECT,
        &[
            (
                "2024-01-01",
                "id,name,updated_at\n1,ann,2024-01-01 08:00:00\n2,bob,2024-01-01 08:00:00\n",
            ),
            (
                "2024-01-02",
                "id,name,updated_at\n1,ann,2024-01-01 08:00:00\n",
            ),
            (
                "2024-01-03",
                "id,name,updated_at\n1,ann,2024-01-01 08:00:00\n2,bob,2024-01-03 10:00:00\n",
            ),
        ],
    );
    let got = replay(
        &mut e,
        "id, name, dbt_valid_from, dbt_valid_to, dbt_is_deleted, dbt_scd_id",
        "id, dbt_valid_from",
    );
    // dbt hashes the deleted version's scd id with the time of the deletion.
    let bob_scd = md5_hex("2|2024-01-01 08:00:00");
    let deleted_scd = md5_hex(&format!("{bob_scd}|2024-01-02 00:00:00"));
    assert_eq!(
        got,
        vec![
            vec![
                "1",
                "ann",
                "2024-01-01 08:00:00",
                "",
                "False",
                &md5_hex("1|2024-01-01 08:00:00")
            ],
            vec![
                "2",
                "bob",
                "2024-01-01 08:00:00",
                "2024-01-02 00:00:00",
                "False",
                &md5_hex("2|2024-01-01 08:00:00")
            ],
            vec![
                "2",
                "bob",
                "2024-01-02 00:00:00",
                "2024-01-03 10:00:00",
                "True",
                &deleted_scd
            ],
            vec![
                "2",
                "bob",
                "2024-01-03 10:00:00",
                "",
                "False",
                &md5_hex("2|2024-01-03 10:00:00")
            ],
        ]
    );
}

#[test]
fn check_strategy_counts_a_null_on_one_side_as_a_change() {
    let mut e = project(
        "unique_key='id', strategy='check', check_cols=['name']",
        "select id, name, city from {{ source('app', 'users') }}",
        &[
            (
                "2024-01-01",
                "id,name,city\n1,ann,Reno\n2,,Reno\n3,cy,Reno\n",
            ),
            // 1: name becomes NULL; 2: NULL stays NULL; 3: only an unchecked column changes.
            (
                "2024-01-02",
                "id,name,city\n1,,Reno\n2,,Reno\n3,cy,Austin\n",
            ),
            (
                "2024-01-03",
                "id,name,city\n1,ann,Reno\n2,bo,Reno\n3,cy,Austin\n",
            ),
        ],
    );
    let got = replay(
        &mut e,
        "id, name, city, dbt_valid_from, dbt_valid_to",
        "id, dbt_valid_from",
    );
    assert_eq!(
        got,
        vec![
            vec![
                "1",
                "ann",
                "Reno",
                "2024-01-01 00:00:00",
                "2024-01-02 00:00:00"
            ],
            vec![
                "1",
                "",
                "Reno",
                "2024-01-02 00:00:00",
                "2024-01-03 00:00:00"
            ],
            vec!["1", "ann", "Reno", "2024-01-03 00:00:00", ""],
            vec![
                "2",
                "",
                "Reno",
                "2024-01-01 00:00:00",
                "2024-01-03 00:00:00"
            ],
            vec!["2", "bo", "Reno", "2024-01-03 00:00:00", ""],
            vec!["3", "cy", "Reno", "2024-01-01 00:00:00", ""],
        ]
    );
}

#[test]
fn check_all_with_a_schema_change_between_loads() {
    let mut e = project(
        "unique_key='id', strategy='check', check_cols='all'",
        "select * from {{ source('app', 'users') }}",
        &[
            ("2024-01-01", "id,name\n1,ann\n"),
            (
                "2024-01-02",
                "id,name,email\n1,ann,ann@example.com\n2,bob,\n",
            ),
        ],
    );
    let got = replay(
        &mut e,
        "id, name, email, dbt_valid_from, dbt_valid_to",
        "id, dbt_valid_from",
    );
    assert_eq!(
        got,
        vec![
            // The new column is added; the old version has no value for it.
            vec!["1", "ann", "", "2024-01-01 00:00:00", "2024-01-02 00:00:00"],
            vec!["1", "ann", "ann@example.com", "2024-01-02 00:00:00", ""],
            vec!["2", "bob", "", "2024-01-02 00:00:00", ""],
        ]
    );
}

#[test]
fn composite_and_expression_keys_valid_to_current_and_renamed_meta_columns() {
    let config = "unique_key=['id', 'region'], strategy='check', check_cols=['name'], \
        dbt_valid_to_current=\"'9999-12-31'\", \
        snapshot_meta_column_names={'dbt_valid_from': 'valid_from', 'dbt_valid_to': 'valid_to', 'dbt_scd_id': 'scd_id'}";
    let mut e = project(
        config,
        "select id, region, name from {{ source('app', 'users') }}",
        &[
            ("2024-01-01", "id,region,name\n1,eu,ann\n1,us,ann\n"),
            ("2024-01-02", "id,region,name\n1,eu,ann\n1,us,annie\n"),
        ],
    );
    let got = replay(
        &mut e,
        "id, region, name, valid_from, valid_to, scd_id",
        "region, valid_from",
    );
    assert_eq!(
        got,
        vec![
            vec![
                "1",
                "eu",
                "ann",
                "2024-01-01 00:00:00",
                "9999-12-31 00:00:00",
                &md5_hex("1|eu|2024-01-01 00:00:00")
            ],
            vec![
                "1",
                "us",
                "ann",
                "2024-01-01 00:00:00",
                "2024-01-02 00:00:00",
                &md5_hex("1|us|2024-01-01 00:00:00")
            ],
            vec![
                "1",
                "us",
                "annie",
                "2024-01-02 00:00:00",
                "9999-12-31 00:00:00",
                &md5_hex("1|us|2024-01-02 00:00:00")
            ],
        ]
    );

    let mut e = project(
        "unique_key=\"id || '-' || region\", strategy='check', check_cols='all'",
        "select id, region, name from {{ source('app', 'users') }}",
        &[
            ("2024-01-01", "id,region,name\n1,eu,ann\n"),
            ("2024-01-02", "id,region,name\n1,eu,anna\n"),
        ],
    );
    let got = replay(&mut e, "name, dbt_scd_id", "dbt_valid_from");
    assert_eq!(
        got,
        vec![
            vec!["ann", &md5_hex("1-eu|2024-01-01 00:00:00")],
            vec!["anna", &md5_hex("1-eu|2024-01-02 00:00:00")],
        ]
    );
}

#[test]
fn a_replay_that_lets_read_files_go_builds_the_same_history() {
    let loads = KEY_DISAPPEARS_AND_COMES_BACK;
    let config =
        "unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='invalidate'";
    let (columns, order) = (
        "id, name, dbt_valid_from, dbt_valid_to",
        "id, dbt_valid_from",
    );
    let kept = replay(&mut project(config, SELECT, &loads), columns, order);
    assert_eq!(kept.len(), 4);
    let mut released = project(config, SELECT, &loads).release_sample_files_once_read();
    assert_eq!(replay(&mut released, columns, order), kept);
    // A step back to a load already let go is refused at the source, never read as empty.
    let errors = released.step_to("2024-01-01 00:00:00").unwrap_err();
    assert_eq!(errors[0].location.file, "models/sources.yml");
    assert!(
        errors[0]
            .message
            .contains("data/app/users/2024-01-01.csv was already read"),
        "{errors:#?}"
    );
}

#[test]
fn sample_replay_builds_history_the_generator_planted() {
    let mut e = engine(read_dir(&repo_path("sample-data/brightwheel"))).unwrap();
    let times = e.load_times();
    assert_eq!(times.len(), 7);
    for t in &times {
        e.step_to(t).unwrap();
        let r = block_on(e.run(&RunRequest::new(Verb::Build), &mut |_| {})).unwrap();
        let bad: Vec<_> = r
            .results
            .iter()
            .filter(|x| {
                matches!(
                    x.status,
                    modelplay_engine::Status::Error | modelplay_engine::Status::Fail
                )
            })
            .map(|x| format!("{}: {:?}", x.name, x.message))
            .collect();
        assert!(bad.is_empty(), "at {t}: {bad:#?}");
    }
    // An Oklahoma provider whose capacity the files change between March and April or May:
    // find it from the raw files, independently of the engine.
    let dir = repo_path("sample-data/brightwheel/data/brightwheel_exercise/source2_file");
    let read = |stamp: &str| -> std::collections::HashMap<String, String> {
        let bytes = std::fs::read(dir.join(format!("{stamp}T06-00-00.csv"))).unwrap();
        let (table, _) = modelplay_engine::data::csv::parse_csv("x", &bytes, b',').unwrap();
        let key = table
            .headers
            .iter()
            .position(|h| h == "Type License")
            .unwrap();
        let cap = table.headers.iter().position(|h| h == "Total Cap").unwrap();
        table
            .rows
            .iter()
            .map(|r| (r[key].clone().unwrap(), r[cap].clone().unwrap_or_default()))
            .collect()
    };
    let (april, may) = (read("2024-04-01"), read("2024-05-01"));
    let (key, before, after) = may
        .iter()
        .find_map(|(k, c)| {
            april
                .get(k)
                .filter(|b| *b != c)
                .map(|b| (k.clone(), b.clone(), c.clone()))
        })
        .expect("the generator plants at least one capacity change in May");
    let history = rows(
        &mut e,
        &format!(
            "select total_cap, dbt_valid_from, dbt_valid_to, dbt_scd_id from snapshots.snap_source2_file \
             where type_license = '{key}' order by dbt_valid_from"
        ),
    );
    let last = &history[history.len() - 1];
    let previous = &history[history.len() - 2];
    assert_eq!(previous[0], before);
    assert_eq!(previous[2], "2024-05-01 06:00:00");
    assert_eq!(last[0], after);
    assert_eq!(last[1], "2024-05-01 06:00:00");
    assert_eq!(last[2], "");
    assert_eq!(last[3], md5_hex(&format!("{key}|2024-05-01 06:00:00")));
    let delta = rows(
        &mut e,
        &format!(
            "select changed_fields from analytics_business_questions.delta_leads where provider_key = '{key}' and changed_at = '2024-05-01 06:00:00'::timestamp"
        ),
    );
    assert_eq!(delta, vec![vec!["capacity"]]);
}
