//! Editing one model and re-running it with its descendants reuses what is already built
//! upstream, as the playground does on Ctrl+Enter.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::{LoadOptions, RunRequest, Status, Verb, load_project};

fn sample_files() -> modelplay_engine::ProjectFiles {
    read_dir(&repo_path("sample-data/brightwheel"))
}

#[test]
fn an_edited_model_reruns_with_its_descendants_only() {
    let mut files = sample_files();
    let mut e = engine(files.clone()).unwrap();
    assert!(build(&mut e).success());

    let path = "models/staging/stg_source2_providers.sql";
    let sql = files.text(path).unwrap();
    let edited = sql.replace(
        "\nfrom source",
        ",\n    1 as playground_marker\nfrom source",
    );
    assert_ne!(sql, edited, "the model ends with `from source`");
    files.insert(path, edited);
    let kept = e
        .reload(load_project(files, &LoadOptions::default()).unwrap())
        .unwrap();
    assert!(kept > 0, "upstream tables are kept");
    assert!(e.is_built("model.brightwheel.stg_source1_providers"));
    assert!(!e.is_built("model.brightwheel.stg_source2_providers"));
    assert!(!e.is_built("model.brightwheel.int_providers_unioned"));

    let mut request = RunRequest::new(Verb::Build);
    request.select = vec!["stg_source2_providers+".into()];
    let results = block_on(e.run(&request, &mut |_| {})).unwrap();
    assert!(results.deferred.is_empty(), "{:?}", results.deferred);
    let names: Vec<&str> = results.results.iter().map(|r| r.name.as_str()).collect();
    assert!(names.contains(&"stg_source2_providers"));
    assert!(names.contains(&"int_providers_unioned"));
    assert!(!names.contains(&"stg_source1_providers"), "{names:?}");
    assert!(
        results
            .results
            .iter()
            .all(|r| r.status != Status::Error && r.status != Status::Skipped),
        "{:#?}",
        results.results
    );
    let relation = e.project().nodes["model.brightwheel.stg_source2_providers"]
        .relation
        .clone();
    let sql = format!("select playground_marker from {relation} limit 1");
    let batches = block_on(e.query(&sql)).unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
}

#[test]
fn an_edit_to_yaml_starts_from_a_fresh_session() {
    let mut files = sample_files();
    let mut e = engine(files.clone()).unwrap();
    assert!(build(&mut e).success());
    let path = "models/staging/schema.yml";
    let yaml = files.text(path).unwrap();
    files.insert(path, format!("{yaml}\n"));
    let kept = e
        .reload(load_project(files, &LoadOptions::default()).unwrap())
        .unwrap();
    assert_eq!(kept, 0);
    assert!(!e.is_built("model.brightwheel.stg_source1_providers"));
}

/// What a check reports, as text to compare (its problems, columns, lineage and the nodes
/// it could not check), and how many nodes it planned rather than replayed.
fn checked(e: &modelplay_engine::Engine) -> (String, usize, usize) {
    let report = block_on(e.check());
    let json = serde_json::to_string_pretty(&report).unwrap();
    (json, report.planned, report.not_checked.len())
}

#[test]
fn a_check_after_an_edit_plans_again_only_what_the_edit_can_change() {
    let mut files = sample_files();
    let mut e = engine(files.clone()).unwrap();
    let (first, all, _) = checked(&e);
    assert!(all > 50, "a first check plans every node: {all}");

    // Each edit in turn, with how many nodes the check after it plans: a comment (the model
    // alone: its columns are as they were), a new column (its descendants too), a column that
    // does not exist (the model alone: its descendants are not checked), the fix (the model
    // and what was not checked). After each, the check must report exactly what a fresh
    // engine's check does.
    let path = "models/staging/stg_source2_providers.sql";
    let sql = files.text(path).unwrap();
    let comment = format!("{sql}\n-- a note");
    let added = sql.replace(
        "\nfrom source",
        ",\n    1 as playground_marker\nfrom source",
    );
    let broken = sql.replace("\nfrom source", ",\n    no_such_column\nfrom source");
    assert!(
        added != sql && broken != sql,
        "the model ends with `from source`"
    );
    let mut unchecked = 0;
    for (text, what) in [
        (comment, "a comment"),
        (added, "a new column"),
        (broken, "a broken column"),
        (sql, "the fix"),
    ] {
        files.insert(path, text);
        e.reload(load_project(files.clone(), &LoadOptions::default()).unwrap())
            .unwrap();
        let (report, planned, not_checked) = checked(&e);
        let fresh = engine(files.clone()).unwrap();
        assert_eq!(report, checked(&fresh).0, "after {what}");
        match what {
            "a comment" => assert_eq!(planned, 1, "after {what}"),
            "a new column" => {
                assert!(
                    planned > 1 && planned < all,
                    "after {what}: {planned} of {all}"
                )
            }
            "a broken column" => {
                assert_eq!(planned, 1, "after {what}");
                assert!(not_checked > 0);
                unchecked = not_checked;
            }
            _ => assert_eq!(planned, 1 + unchecked, "after {what}"),
        }
    }
    assert_eq!(checked(&e).0, first, "back where it started");
}

#[test]
fn a_run_of_a_selection_replays_the_check_made_without_one() {
    let e = &mut engine(sample_files()).unwrap();
    checked(e);
    let mut request = RunRequest::new(Verb::Build);
    request.select = vec!["stg_source2_providers".into()];
    assert!(block_on(e.run(&request, &mut |_| {})).unwrap().success());
    // No template of the sample reads `selected_resources`: nothing compiles differently.
    assert_eq!(e.last_check().unwrap().planned, 0);

    // Where one does, every node is planned again under the new selection.
    let mut files = sample_files();
    let path = "models/staging/stg_source2_providers.sql";
    let sql = files.text(path).unwrap();
    files.insert(
        path,
        format!("{sql}\n-- {{{{ selected_resources | length }}}}"),
    );
    let e = &mut engine(files).unwrap();
    let (_, all, _) = checked(e);
    assert!(block_on(e.run(&request, &mut |_| {})).unwrap().success());
    assert_eq!(e.last_check().unwrap().planned, all);
}

#[test]
fn a_check_after_a_yaml_edit_plans_everything_again() {
    let mut files = sample_files();
    let mut e = engine(files.clone()).unwrap();
    let (_, all, _) = checked(&e);
    let path = "models/staging/schema.yml";
    let yaml = files.text(path).unwrap();
    files.insert(path, format!("{yaml}\n"));
    e.reload(load_project(files, &LoadOptions::default()).unwrap())
        .unwrap();
    assert_eq!(checked(&e).1, all);
}
