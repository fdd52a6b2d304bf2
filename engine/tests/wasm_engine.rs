//! The engine itself, compiled to WebAssembly and run in headless Chromium: loading a project
//! from memory, Jinja, DataFusion with the Redshift layer, tests, snapshots and replay.
//! Run with `scripts/test` (it sets up chromedriver and wasm-bindgen-test-runner).

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use modelplay_engine::{Engine, LoadOptions, ProjectFiles, RunRequest, Status, Verb, load_project};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn project() -> ProjectFiles {
    [
        ("dbt_project.yml", "name: web\nmodels:\n  web:\n    +materialized: table\n"),
        ("models/sources.yml", "version: 2\nsources:\n  - name: crm\n    tables:\n      - name: leads\n"),
        ("data/crm/leads/2024-05-01.csv", "Id,Phone#,LastModifiedDate\n1,(702) 555-0134,2024-05-01 7:04:11\n2,405-555-0199,2024-05-01 9:00:00\n"),
        ("data/crm/leads/2024-05-02.csv", "Id,Phone#,LastModifiedDate\n1,(702) 555-0134,2024-05-02 8:00:00\n3,512-555-0100,2024-05-02 8:30:00\n"),
        ("seeds/codes.csv", "code,name\nNV,Nevada\n"),
        (
            "models/stg_leads.sql",
            "select id::int as lead_id, regexp_replace(phone, '[^0-9]', '') as phone_digits, \
             last_modified_date::timestamp as modified_at, \
             {{ dbt_utils.generate_surrogate_key(['id', 'phone']) }} as lead_key \
             from {{ source('crm', 'leads') }}",
        ),
        (
            "models/schema.yml",
            "version: 2\nmodels:\n  - name: stg_leads\n    columns:\n      - name: lead_id\n        tests: [unique, not_null]\n",
        ),
        (
            "snapshots/leads.sql",
            "{% snapshot leads_snapshot %}\n{{ config(target_schema='snapshots', unique_key='lead_id', strategy='timestamp', updated_at='modified_at', invalidate_hard_deletes=true) }}\nselect * from {{ ref('stg_leads') }}\n{% endsnapshot %}\n",
        ),
    ]
    .into_iter()
    .collect()
}

fn run_time() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2024, 5, 2)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

#[wasm_bindgen_test]
async fn builds_tests_and_replays_in_the_browser() {
    let loaded = load_project(project(), &LoadOptions::default()).unwrap();
    let mut engine = Engine::new(loaded, run_time()).unwrap();
    for t in engine.load_times() {
        engine.step_to(&t).unwrap();
        let r = engine
            .run(&RunRequest::new(Verb::Build), &mut |_| {})
            .await
            .unwrap();
        assert!(
            r.results
                .iter()
                .all(|x| matches!(x.status, Status::Success | Status::Pass)),
            "{:#?}",
            r.results
        );
    }
    let batches = engine
        .query("select lead_id, dbt_valid_to is null as current from snapshots.leads_snapshot order by lead_id, dbt_valid_from")
        .await
        .unwrap();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    // Lead 1 changed (two versions), lead 2 was deleted (closed), lead 3 is new.
    assert_eq!(rows, 4);
}

#[wasm_bindgen_test]
async fn diagnostics_point_into_the_users_file() {
    let mut files = project();
    files.insert(
        "models/broken.sql",
        "select\n    lead_idd\nfrom {{ ref('stg_leads') }}",
    );
    let loaded = load_project(files, &LoadOptions::default()).unwrap();
    let mut engine = Engine::new(loaded, run_time()).unwrap();
    let r = engine
        .run(&RunRequest::new(Verb::Build), &mut |_| {})
        .await
        .unwrap();
    let broken = r.results.iter().find(|x| x.name == "broken").unwrap();
    let d = broken.diagnostic.as_ref().unwrap();
    assert_eq!(
        (d.location.file.as_str(), d.location.line, d.location.column),
        ("models/broken.sql", 2, 5)
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `lead_id`?"));
}

/// A union of several inputs reads as several partitions, which DataFusion merges with
/// spawned tasks: in the browser that needs the same single-threaded tokio runtime the
/// page's worker and the CLI run the engine in.
/// Builds `files` inside a current-thread tokio runtime, as the page's worker does, and
/// counts the rows `sql` returns.
fn build_and_count(files: ProjectFiles, sql: &str) -> usize {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let loaded = load_project(files, &LoadOptions::default()).unwrap();
    let mut engine = Engine::new(loaded, run_time()).unwrap();
    let r = runtime
        .block_on(engine.run(&RunRequest::new(Verb::Build), &mut |_| {}))
        .unwrap();
    assert!(r.success(), "{:#?}", r.results);
    let batches = runtime.block_on(engine.query(sql)).unwrap();
    batches[0].num_rows()
}

#[wasm_bindgen_test]
fn unions_run_inside_a_current_thread_runtime() {
    let mut files = project();
    files.insert(
        "models/all_leads.sql",
        "select lead_id from {{ ref('stg_leads') }}\nunion all\nselect lead_id + 100 from {{ ref('stg_leads') }}\nunion all\nselect lead_id + 200 from {{ ref('stg_leads') }}",
    );
    files.insert(
        "models/lead_count.sql",
        "select count(*) as n, max(lead_id) as top from {{ ref('all_leads') }}",
    );
    assert_eq!(build_and_count(files, "select n from lead_count"), 1);
}

#[wasm_bindgen_test]
fn templates_run_queries_inside_the_workers_runtime() {
    let mut files = project();
    files.insert(
        "models/code_columns.sql",
        "{% set codes = run_query(\"select code from \" ~ ref('codes')) %}\n\
         {% set cols = [] %}\n\
         {% if execute %}{% for c in codes.columns[0].values() %}{% do cols.append(\"'\" ~ c ~ \"' as code_\" ~ loop.index) %}{% endfor %}{% endif %}\n\
         select {{ cols | join(', ') }}",
    );
    assert_eq!(build_and_count(files, "select code_1 from code_columns"), 1);
}

#[wasm_bindgen_test]
async fn reads_a_parquet_source_in_the_browser() {
    let mut files = project();
    // Written by DuckDB, zstd-compressed: the same fixture the native tests build.
    files.insert(
        "data/shop/refunds/2024-05-02.parquet",
        include_bytes!("fixtures/tiny_shop/data/shop/refunds/2024-05-02.parquet").to_vec(),
    );
    files.insert(
        "models/shop.yml",
        b"version: 2\nsources:\n  - name: shop\n    tables:\n      - name: refunds\n".to_vec(),
    );
    files.insert(
        "models/refund_total.sql",
        b"select sum(refund_amount) as total, max(reason) as last_reason from {{ source('shop', 'refunds') }}"
            .to_vec(),
    );
    let loaded = load_project(files, &LoadOptions::default()).unwrap();
    let mut engine = Engine::new(loaded, run_time()).unwrap();
    let results = engine
        .run(&RunRequest::new(Verb::Build), &mut |_| {})
        .await
        .unwrap();
    let summary = results.summary();
    assert_eq!((summary.error, summary.skip), (0, 0));
    let rel = engine
        .project()
        .nodes
        .get("model.web.refund_total")
        .unwrap()
        .relation
        .clone();
    let batches = engine.preview(&rel, 10).await.unwrap();
    let total = modelplay_engine::run::tables::display_value(batches[0].column(0), 0);
    let reason = modelplay_engine::run::tables::display_value(batches[0].column(1), 0);
    assert_eq!((total.as_str(), reason.as_str()), ("5.50", "Late"));
}
