//! Incremental models: after replaying every load, each strategy's table equals a full
//! refresh over the same data (a property checked over several generated data sets), and
//! `on_schema_change` behaves as dbt-redshift's does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::{Engine, RunRequest, Status, Verb};

/// A tiny deterministic generator for this test's data sets.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Loads of an `orders` extract (every order, each time) and an append-only `events` log.
fn data_set(seed: u64) -> Vec<(String, String)> {
    let mut rng = Lcg(seed);
    let loads = 3 + rng.below(3) as usize;
    let mut orders: Vec<(u64, &str, u64, String)> = Vec::new();
    let mut events: Vec<(u64, u64, String)> = Vec::new();
    let mut files = Vec::new();
    for load in 0..loads {
        let day = format!("2024-02-{:02}", load + 1);
        for o in orders.iter_mut() {
            if rng.below(3) == 0 {
                o.1 = ["placed", "shipped", "returned"][rng.below(3) as usize];
                o.2 += 1 + rng.below(50);
                o.3 = format!("{day} {:02}:00:00", 1 + rng.below(5));
                events.push((events.len() as u64 + 1, o.0, o.3.clone()));
            }
        }
        for _ in 0..(2 + rng.below(6)) {
            let id = orders.len() as u64 + 1;
            let at = format!("{day} {:02}:30:00", rng.below(5));
            orders.push((id, "placed", 10 + rng.below(90), at.clone()));
            events.push((events.len() as u64 + 1, id, at));
        }
        let mut csv = String::from("id,status,amount,updated_at\n");
        for (id, status, amount, at) in &orders {
            csv.push_str(&format!("{id},{status},{amount},{at}\n"));
        }
        files.push((format!("data/shop/orders/{day}T06-00-00.csv"), csv));
        let mut log = String::from("event_id,order_id,at\n");
        for (e, id, at) in &events {
            log.push_str(&format!("{e},{id},{at}\n"));
        }
        files.push((format!("data/shop/events/{day}T06-00-00.csv"), log));
    }
    files
}

fn model(config: &str, table: &str, columns: &str, time: &str) -> String {
    format!(
        "{{{{ config(materialized='incremental'{config}) }}}}\n\
         select {columns} from {{{{ source('shop', '{table}') }}}}\n\
         {{% if is_incremental() %}}\n\
         where {time} > (select max({time}) from {{{{ this }}}})\n\
         {{% endif %}}\n"
    )
}

fn project(seed: u64) -> Vec<(String, String)> {
    let orders = "id, status, amount::int as amount, updated_at::timestamp as updated_at";
    let mut files = vec![
        ("dbt_project.yml".into(), "name: shop\n".into()),
        (
            "models/sources.yml".into(),
            "version: 2\nsources:\n  - name: shop\n    tables:\n      - name: orders\n      - name: events\n".into(),
        ),
        (
            "models/orders_merge.sql".into(),
            model(", unique_key='id', incremental_strategy='merge'", "orders", orders, "updated_at"),
        ),
        (
            "models/orders_delete_insert.sql".into(),
            model(", unique_key='id', incremental_strategy='delete+insert'", "orders", orders, "updated_at"),
        ),
        (
            "models/orders_default.sql".into(),
            model(", unique_key=['id']", "orders", orders, "updated_at"),
        ),
        (
            // No is_incremental() filter: appending every load duplicates rows, which shows
            // the comparison below can fail.
            "models/events_naive_append.sql".into(),
            "{{ config(materialized='incremental') }}\nselect event_id from {{ source('shop', 'events') }}\n".into(),
        ),
        (
            "models/events_append.sql".into(),
            model(", incremental_strategy='append'", "events", "event_id::int as event_id, order_id, at::timestamp as at", "at"),
        ),
    ];
    files.extend(data_set(seed));
    files
}

fn open(files: &[(String, String)]) -> Engine {
    let f: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    engine(inline(&f)).unwrap_or_else(|d| panic!("{d:#?}"))
}

fn run(e: &mut Engine, full_refresh: bool) {
    let mut request = RunRequest::new(Verb::Run);
    request.full_refresh = full_refresh;
    let r = block_on(e.run(&request, &mut |_| {})).unwrap();
    assert!(r.success(), "{:#?}", r.results);
}

fn table(e: &mut Engine, name: &str) -> Vec<Vec<String>> {
    rows(e, &format!("select * from {name} order by 1"))
}

#[test]
fn incremental_replay_equals_a_full_refresh() {
    for seed in 1..=6 {
        let files = project(seed);
        let mut incremental = open(&files);
        let times = incremental.load_times();
        for t in &times {
            incremental.step_to(t).unwrap();
            run(&mut incremental, false);
        }
        let mut full = open(&files);
        full.step_to(times.last().unwrap()).unwrap();
        run(&mut full, true);
        for name in [
            "orders_merge",
            "orders_delete_insert",
            "orders_default",
            "events_append",
        ] {
            let (a, b) = (table(&mut incremental, name), table(&mut full, name));
            assert!(!a.is_empty());
            assert_eq!(a, b, "seed {seed}, model {name}");
        }
        let compiled = incremental.compiled_sql("model.shop.orders_merge").unwrap();
        assert!(compiled.contains("where updated_at > (select max(updated_at) from \"dev\".\"analytics\".\"orders_merge\")"), "{compiled}");
        let naive = table(&mut incremental, "events_naive_append").len();
        assert!(
            naive > table(&mut full, "events_naive_append").len(),
            "seed {seed}"
        );
        // --full-refresh on the replayed session rebuilds from scratch, to the same rows.
        run(&mut incremental, true);
        assert_eq!(
            table(&mut incremental, "orders_merge"),
            table(&mut full, "orders_merge")
        );
    }
}

fn schema_change_project(on_schema_change: &str) -> Engine {
    open(&[
        ("dbt_project.yml".into(), "name: shop\n".into()),
        (
            "models/sources.yml".into(),
            "version: 2\nsources:\n  - name: shop\n    tables:\n      - name: orders\n".into(),
        ),
        (
            "models/orders.sql".into(),
            format!(
                "{{{{ config(materialized='incremental', unique_key='id', on_schema_change='{on_schema_change}') }}}}\n\
                 select * from {{{{ source('shop', 'orders') }}}}\n\
                 {{% if is_incremental() %}} where id > (select max(id) from {{{{ this }}}}) {{% endif %}}\n"
            ),
        ),
        (
            "data/shop/orders/2024-01-01.csv".into(),
            "id,status\n1,placed\n".into(),
        ),
        (
            "data/shop/orders/2024-01-02.csv".into(),
            "id,amount\n1,5\n2,7\n".into(),
        ),
    ])
}

fn replay_schema_change(on_schema_change: &str) -> (Engine, Vec<Status>, Option<String>) {
    let mut e = schema_change_project(on_schema_change);
    let mut statuses = Vec::new();
    let mut message = None;
    for t in e.load_times() {
        e.step_to(&t).unwrap();
        let r = block_on(e.run(&RunRequest::new(Verb::Run), &mut |_| {})).unwrap();
        statuses.push(r.results[0].status);
        message = r.results[0].message.clone();
    }
    (e, statuses, message)
}

#[test]
fn on_schema_change_follows_dbt() {
    let columns = |e: &mut Engine| -> Vec<String> {
        block_on(e.query("select * from orders")).unwrap()[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    };
    let (mut e, _, _) = replay_schema_change("ignore");
    assert_eq!(columns(&mut e), vec!["id", "status", "_fivetran_synced"]);
    assert_eq!(
        table(&mut e, "orders")
            .iter()
            .map(|r| r[1].clone())
            .collect::<Vec<_>>(),
        vec!["placed", ""]
    );

    let (mut e, _, _) = replay_schema_change("append_new_columns");
    assert_eq!(
        columns(&mut e),
        vec!["id", "status", "_fivetran_synced", "amount"]
    );
    assert_eq!(
        table(&mut e, "orders")
            .iter()
            .map(|r| (r[1].clone(), r[3].clone()))
            .collect::<Vec<_>>(),
        vec![("placed".into(), "".into()), ("".into(), "7".into())]
    );

    let (mut e, _, _) = replay_schema_change("sync_all_columns");
    assert_eq!(columns(&mut e), vec!["id", "amount", "_fivetran_synced"]);

    let (_, statuses, message) = replay_schema_change("fail");
    assert_eq!(statuses, vec![Status::Success, Status::Error]);
    let message = message.unwrap();
    assert!(message.contains("out of sync"), "{message}");
    assert!(
        message.contains("New columns: [amount]; missing columns: [status]"),
        "{message}"
    );
}

#[test]
fn microbatch_replaces_each_batchs_window_and_keeps_the_rest() {
    let mut e = engine(inline(&[
        ("dbt_project.yml", "name: batches\n"),
        (
            "models/sources.yml",
            "version: 2\nsources:\n  - name: app\n    tables:\n      - name: events\n",
        ),
        (
            "data/app/events/2024-01-02T12-00-00.csv",
            "id,amount,at\na,1,2024-01-01 10:00:00\nb,1,2024-01-02 09:00:00\n",
        ),
        (
            "data/app/events/2024-01-03T12-00-00.csv",
            "id,amount,at\na,2,2024-01-01 10:00:00\nb,2,2024-01-02 09:00:00\nc,2,2024-01-03 08:00:00\n",
        ),
        (
            "models/stg_events.sql",
            "{{ config(materialized='table', event_time='at') }}\nselect id, amount::int as amount, at::timestamp as at from {{ source('app', 'events') }}",
        ),
        (
            "models/daily.sql",
            "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='at', begin='2024-01-01', batch_size='day', lookback=1) }}\nselect id, amount, at from {{ ref('stg_events') }}",
        ),
    ]))
    .unwrap();
    let report = block_on(e.check());
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    let loads = e.load_times();
    // First run, at noon on the 2nd: the batches of the 1st and the 2nd.
    e.step_to(&loads[0]).unwrap();
    assert!(build(&mut e).success());
    assert_eq!(
        rows(&mut e, "select id, amount from daily order by id"),
        vec![vec!["a", "1"], vec!["b", "1"]]
    );
    let sql = e.compiled_sql("model.batches.daily").unwrap();
    assert!(
        sql.contains("where at >= '2024-01-02 00:00:00+00:00' and at < '2024-01-03 00:00:00+00:00') _dbt_et_filter_subq_stg_events"),
        "{sql}"
    );
    // At noon on the 3rd, with a lookback of one: the 2nd and the 3rd are built again; the
    // 1st keeps what its batch wrote, though the source has changed it since.
    e.step_to(&loads[1]).unwrap();
    assert!(build(&mut e).success());
    assert_eq!(
        rows(&mut e, "select id, amount from daily order by id"),
        vec![vec!["a", "1"], vec!["b", "2"], vec!["c", "2"]]
    );
}

#[test]
fn a_microbatch_model_on_a_source_is_warned_about() {
    let e = engine(inline(&[
        ("dbt_project.yml", "name: batches\n"),
        (
            "models/sources.yml",
            "version: 2\nsources:\n  - name: app\n    tables:\n      - name: events\n",
        ),
        ("data/app/events/2024-01-02.csv", "id,at\na,2024-01-01 10:00:00\n"),
        (
            "models/daily.sql",
            "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='at', begin='2024-01-01', batch_size='day') }}\nselect id, at::timestamp as at from {{ source('app', 'events') }}",
        ),
    ]))
    .unwrap();
    let report = block_on(e.check());
    let said: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        said.iter()
            .any(|d| d.starts_with("models/daily.sql:1:39: warning")
                && d.contains("reads a source whole in every batch")),
        "{said:#?}"
    );
}
