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
