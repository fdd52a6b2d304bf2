//! A build bounded in working memory: past the limit, sorts and aggregations spill to disk
//! and give the same rows; without spilling, the model fails with an error that says so.

use modelplay_engine::run::MemoryLimit;
use modelplay_engine::{Engine, ProjectFiles, Status};

use crate::common::{build, engine, rows};

fn project() -> ProjectFiles {
    let mut csv = String::from("id,name\n");
    for i in 0..60_000 {
        csv.push_str(&format!("{i},customer number {}\n", i * 7919 % 60_000));
    }
    let mut files = crate::common::inline(&[
        ("dbt_project.yml", "name: spill\nprofile: spill\n"),
        (
            "models/by_name.sql",
            "select name, count(*) as n, sum(id) as total, listagg(id, ',') within group (order by id) as ids\n\
             from {{ ref('customers') }}\ngroup by name\norder by name desc",
        ),
    ]);
    files.insert("seeds/customers.csv", csv);
    files
}

fn built(mut engine: Engine) -> (Engine, Status) {
    let results = build(&mut engine);
    let status = results
        .results
        .iter()
        .find(|r| r.name == "by_name")
        .map(|r| r.status)
        .unwrap();
    (engine, status)
}

const QUERY: &str = "select name, n, total, ids from by_name order by name";

#[test]
fn a_bounded_build_spills_and_answers_the_same() {
    let (mut free, status) = built(engine(project()).unwrap());
    assert_eq!(status, Status::Success);
    let expected = rows(&mut free, QUERY);
    assert_eq!(expected.len(), 60_000);

    let limit = MemoryLimit {
        bytes: 4 << 20,
        spill: true,
    };
    let bounded = engine(project()).unwrap().with_memory_limit(limit).unwrap();
    let (mut bounded, status) = built(bounded);
    assert_eq!(status, Status::Success);
    assert_eq!(rows(&mut bounded, QUERY), expected);
}

#[test]
fn without_spilling_the_model_says_it_ran_out_of_memory() {
    let limit = MemoryLimit {
        bytes: 256 << 10,
        spill: false,
    };
    let bounded = engine(project()).unwrap().with_memory_limit(limit).unwrap();
    let (mut bounded, status) = built(bounded);
    assert_eq!(status, Status::Error);
    let results = build(&mut bounded);
    let failed = results
        .results
        .iter()
        .find(|r| r.name == "by_name")
        .unwrap();
    let d = failed.diagnostic.as_ref().unwrap();
    assert_eq!(d.location.file, "models/by_name.sql");
    assert!(
        d.message
            .contains("needs more working memory than the build may use"),
        "{}",
        d.message
    );
    assert!(!d.message.contains("Resources exhausted"), "{}", d.message);
}
