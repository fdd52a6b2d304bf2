//! Column lineage of the sample project's `leads_for_outreach`, as a reviewed snapshot a
//! reader can check against the SQL: `phone` comes through the union of the three state
//! files, `first_licensed_seen_at_c` through the snapshots.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::lineage::EdgeKind;
use modelplay_engine::lineage_graph::LineageGraph;

#[test]
fn leads_for_outreach_lineage() {
    let e = engine(read_dir(&repo_path("sample-data/brightwheel"))).unwrap();
    let report = block_on(e.check());
    assert_eq!(report.errors(), 0, "{:#?}", report.diagnostics);
    let graph = LineageGraph::new(e.project(), &report);
    let mut text = String::new();
    let columns = report.lineage["model.brightwheel.leads_for_outreach"]
        .keys()
        .cloned()
        .collect::<Vec<_>>();
    for column in &columns {
        let start = graph.find("leads_for_outreach", column).unwrap();
        text.push_str(&format!("{column}\n{}", graph.render_upstream(&start)));
    }
    insta::assert_snapshot!("leads_for_outreach_lineage", text);

    // Through the union of three sources, to each file's own phone column.
    let phone = graph.find("leads_for_outreach", "phone").unwrap();
    let up = graph.upstream(&phone);
    for n in 1..=3 {
        assert!(up.contains(&(
            format!("source.brightwheel.brightwheel_exercise.source{n}_file"),
            "phone".to_string()
        )));
    }
    // Through the snapshots.
    let seen = &report.lineage["model.brightwheel.leads_for_outreach"]["first_licensed_seen_at_c"];
    assert!(seen.iter().all(|e| e.kind == EdgeKind::Transformation));
    assert_eq!(
        seen.iter().map(|e| e.node.as_str()).collect::<Vec<_>>(),
        vec![
            "model.brightwheel.snap_source1_file",
            "model.brightwheel.snap_source2_file",
            "model.brightwheel.snap_source3_file"
        ]
        .into_iter()
        .map(|s| s.replace("model.", "snapshot."))
        .collect::<Vec<_>>()
    );
    // A rename is a rename, a copy a copy.
    let lineage = &report.lineage["model.brightwheel.leads_for_outreach"];
    assert_eq!(lineage["phone"][0].kind, EdgeKind::Rename);
    assert_eq!(lineage["phone"][0].column, "phone_digits");
    assert_eq!(lineage["city"][0].kind, EdgeKind::Copy);
}

#[test]
fn downstream_of_a_raw_column_reaches_the_outreach_list() {
    let e = engine(read_dir(&repo_path("sample-data/brightwheel"))).unwrap();
    let report = block_on(e.check());
    let graph = LineageGraph::new(e.project(), &report);
    let raw = graph.find("source3_file", "phone").unwrap();
    let down = graph.downstream(&raw);
    assert!(down.contains(&(
        "model.brightwheel.leads_for_outreach".to_string(),
        "phone".to_string()
    )));
    let impact = graph
        .impact(e.project(), e.dag(), "stg_source3_providers")
        .unwrap();
    assert!(impact.contains("leads_for_outreach:"), "{impact}");
    assert!(
        impact.contains("not_null_leads_for_outreach_phone"),
        "{impact}"
    );
    assert!(
        !impact.contains("unique_stg_source2_providers_provider_id"),
        "{impact}"
    );
}

#[test]
fn star_and_window_functions_are_traced() {
    let e = engine(inline(&[
        ("dbt_project.yml", "name: lin\n"),
        ("seeds/people.csv", "id,name,team\n1,ann,a\n2,bob,b\n"),
        (
            "models/ranked.sql",
            "select {{ dbt_utils.star(ref('people'), except=['team']) }},\n  row_number() over (partition by team order by id) as rank_in_team\nfrom {{ ref('people') }}",
        ),
    ]))
    .unwrap();
    build(&mut engine(inline(&[("dbt_project.yml", "name: x\n")])).unwrap());
    let report = block_on(e.check());
    assert_eq!(report.errors(), 0, "{:#?}", report.diagnostics);
    let l = &report.lineage["model.lin.ranked"];
    assert_eq!(
        l.keys().cloned().collect::<Vec<_>>(),
        vec!["id", "name", "rank_in_team"]
    );
    assert_eq!(l["name"][0].kind, EdgeKind::Copy);
    let rank: Vec<(&str, EdgeKind)> = l["rank_in_team"]
        .iter()
        .map(|e| (e.column.as_str(), e.kind))
        .collect();
    assert_eq!(
        rank,
        vec![
            ("id", EdgeKind::Transformation),
            ("team", EdgeKind::Transformation)
        ]
    );
}

#[test]
fn a_distinct_count_reads_as_the_sql_wrote_it() {
    let e = engine(inline(&[
        ("dbt_project.yml", "name: lin\n"),
        ("seeds/people.csv", "id,name,team\n1,ann,a\n2,bob,b\n3,ann,b\n"),
        (
            "models/teams.sql",
            "select team, count(distinct name) as names, count(*) as people\nfrom {{ ref('people') }}\ngroup by team",
        ),
    ]))
    .unwrap();
    let report = block_on(e.check());
    assert_eq!(report.errors(), 0, "{:#?}", report.diagnostics);
    let names = &report.lineage["model.lin.teams"]["names"];
    assert_eq!(names[0].column, "name");
    assert!(
        names[0]
            .expressions
            .iter()
            .any(|x| x.starts_with("count(DISTINCT ")),
        "{:?}",
        names[0].expressions
    );
}
