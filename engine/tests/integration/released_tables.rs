//! A run that lets go of what it has read (the CLI's): each sample file once parsed, each
//! built table once its last reader has run. It must answer exactly as a run that keeps
//! everything, and keep what a later run reads.

use modelplay_engine::project::Materialized;
use modelplay_engine::{Engine, NodeKind, RunResults};

use crate::common::{build, engine, inline, read_dir, repo_path, rows};

fn outcome(results: &RunResults) -> Vec<String> {
    results
        .results
        .iter()
        .map(|r| format!("{} {:?} {:?} {:?}", r.name, r.status, r.rows, r.failures))
        .collect()
}

fn releasing(e: Engine) -> Engine {
    e.release_sample_files_once_read()
        .release_tables_once_read()
}

#[test]
fn the_sample_builds_the_same_and_keeps_only_what_a_later_run_reads() {
    let files = read_dir(&repo_path("sample-data/brightwheel"));
    let mut kept = engine(files.clone()).unwrap();
    let mut released = releasing(engine(files).unwrap());
    let (all, some) = (build(&mut kept), build(&mut released));
    assert!(all.success(), "{:#?}", all.results);
    assert_eq!(outcome(&some), outcome(&all));

    let project = released.project().clone();
    let mut let_go = 0;
    for node in project.nodes.values() {
        let still_there = released.table_schema(&node.relation).is_some();
        match (node.kind, node.materialized()) {
            (NodeKind::Snapshot, _) | (_, Materialized::Incremental) => {
                assert!(still_there, "{} is read by its next run", node.name)
            }
            (NodeKind::Model | NodeKind::Seed, Materialized::Table | Materialized::View) => {
                assert!(!still_there, "{} was kept", node.name);
                let_go += 1;
            }
            _ => {}
        }
    }
    assert!(let_go > 10, "{let_go} tables let go");
    for source in project.sources.values() {
        assert!(released.table_schema(&source.relation).is_some());
    }
    // A second run builds what it let go again, and answers the same.
    assert_eq!(outcome(&build(&mut released)), outcome(&build(&mut kept)));
}

const READER_THROUGH_AN_EPHEMERAL: &[(&str, &str)] = &[
    ("dbt_project.yml", "name: chain\n"),
    ("seeds/people.csv", "id,name\n1,ann\n2,bob\n"),
    (
        "models/staged.sql",
        "select id, upper(name) as name from {{ ref('people') }}",
    ),
    (
        "models/named.sql",
        "{{ config(materialized='ephemeral') }}\nselect id, name from {{ ref('staged') }}",
    ),
    (
        "models/final.sql",
        "select count(*) as people from {{ ref('named') }}",
    ),
    (
        "models/schema.yml",
        "version: 2\nmodels:\n  - name: final\n    columns:\n      - name: people\n        data_tests: [not_null]\n",
    ),
];

#[test]
fn a_table_read_through_an_ephemeral_model_stays_until_its_reader_ran() {
    let mut e = releasing(engine(inline(READER_THROUGH_AN_EPHEMERAL)).unwrap());
    let results = build(&mut e);
    assert!(results.success(), "{:#?}", results.results);
    assert_eq!(results.results.len(), 4, "{:#?}", results.results);
    assert!(
        e.table_schema(&e.project().nodes["model.chain.final"].relation)
            .is_none()
    );
}

#[test]
fn on_run_end_hooks_keep_every_table() {
    let mut files = READER_THROUGH_AN_EPHEMERAL.to_vec();
    files[0] = (
        "dbt_project.yml",
        "name: chain\non-run-end:\n  - \"select count(*) from {{ target.schema }}.staged\"\n",
    );
    let mut e = releasing(engine(inline(&files)).unwrap());
    let results = build(&mut e);
    assert!(results.success(), "{:#?}", results.results);
    assert!(results.hook_errors.is_empty(), "{:#?}", results.hook_errors);
    assert_eq!(rows(&mut e, "select count(*) from staged"), vec![vec!["2"]]);
    assert_eq!(rows(&mut e, "select people from final"), vec![vec!["2"]]);
}
