//! dbt's unit tests: fixtures for a model's inputs (`dict`, `csv` and `sql` rows, inline or
//! from `tests/fixtures/`; refs, sources, ephemeral models and `this`), the expected rows
//! (a subset of the columns, compared as a multiset), overrides of macros, vars and
//! environment variables, configs, selection, dbt build's order, and the diff dbt prints
//! when one fails. The fixture project is `fixtures/unit_tests`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::run::RowChange;
use modelplay_engine::{Engine, NodeKind, RunRequest, RunResults, Status, Verb};

fn cafe() -> Engine {
    engine(read_dir(&repo_path("engine/tests/fixtures/unit_tests"))).unwrap_or_else(|d| {
        panic!(
            "{}",
            d.iter()
                .map(|d| format!("{d:#}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn run(e: &mut Engine, verb: Verb, select: &[&str]) -> RunResults {
    let mut request = RunRequest::new(verb);
    request.select = select.iter().map(|s| s.to_string()).collect();
    block_on(e.run(&request, &mut |_| {})).unwrap_or_else(|d| panic!("{d:#?}"))
}

fn explain(results: &RunResults) -> String {
    results
        .results
        .iter()
        .filter(|r| !matches!(r.status, Status::Pass | Status::Success))
        .map(|r| {
            format!(
                "{} {}: {}",
                r.status.as_str(),
                r.name,
                r.diagnostic
                    .as_ref()
                    .map(|d| format!("{d:#}"))
                    .or_else(|| r.message.clone())
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_unit_test_of_the_project_passes_as_in_dbt() {
    let mut e = cafe();
    let results = run(&mut e, Verb::Test, &["test_type:unit"]);
    let names: Vec<&str> = results.results.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names.len(),
        5,
        "a disabled unit test is left out: {names:?}"
    );
    assert!(!names.contains(&"orders_left_for_later"), "{names:?}");
    assert!(results.success(), "{}", explain(&results));
    assert!(
        results
            .results
            .iter()
            .all(|r| r.kind == NodeKind::UnitTest && r.failures == Some(0))
    );
    // No table was built for them: unit tests read fixtures only.
    assert!(results.deferred.is_empty(), "{:?}", results.deferred);
}

#[test]
fn the_whole_project_builds_with_its_unit_tests_before_their_models() {
    let mut e = cafe();
    let results = build(&mut e);
    assert!(results.success(), "{}", explain(&results));
    let position = |name: &str| {
        results
            .results
            .iter()
            .position(|r| r.name == name)
            .unwrap_or_else(|| panic!("{name} did not run"))
    };
    assert!(position("orders_flag_food_and_count_per_customer") < position("orders"));
    assert!(position("order_items_add_up_supply_costs") < position("order_items"));
    assert!(position("stores_open_on_the_day") < position("stg_stores"));
    assert!(position("order_events_appends_only_new_orders") < position("order_events"));
    // The unit test comes after what the model reads: dbt build's order.
    assert!(position("stg_orders") < position("orders_flag_food_and_count_per_customer"));
}

#[test]
fn unit_tests_are_selected_as_dbt_selects_them() {
    let e = cafe();
    let plan = |verb: Verb, select: &[&str]| -> Vec<String> {
        let mut request = RunRequest::new(verb);
        request.select = select.iter().map(|s| s.to_string()).collect();
        e.plan(&request)
            .unwrap()
            .into_iter()
            .map(|id| e.project().nodes[&id].name.clone())
            .collect()
    };
    assert_eq!(
        plan(Verb::Test, &["unit_test:order_items_add_up_supply_costs"]),
        vec!["order_items_add_up_supply_costs"]
    );
    assert_eq!(
        plan(Verb::Test, &["tag:smoke"]),
        vec!["order_items_add_up_supply_costs"]
    );
    // `dbt_project.yml`'s `unit_tests:` configs reach them by folder.
    let marts = plan(Verb::Test, &["tag:marts"]);
    assert_eq!(marts.len(), 4, "{marts:?}");
    let data = plan(Verb::Test, &["test_type:data"]);
    assert_eq!(data.len(), 3, "{data:?}");
    // Testing a model runs its data tests and its unit tests.
    assert_eq!(
        plan(Verb::Test, &["stg_stores"]),
        vec![
            "unique_stg_stores_store_id",
            "not_null_stg_stores_store_id",
            "stores_open_on_the_day"
        ]
    );
    // dbt run runs no tests; dbt build runs a model's unit tests right before it.
    assert_eq!(plan(Verb::Run, &["orders"]), vec!["orders"]);
    assert_eq!(
        plan(Verb::Build, &["orders"]),
        vec![
            "orders_flag_food_and_count_per_customer",
            "orders",
            "unique_orders_order_id"
        ]
    );
}

#[test]
fn overrides_and_inputs_reach_the_models_sql() {
    let mut e = cafe();
    let results = run(
        &mut e,
        Verb::Test,
        &["unit_test:order_events_appends_only_new_orders"],
    );
    assert!(results.success(), "{}", explain(&results));
    let sql = results.results[0].compiled_sql.clone().unwrap();
    // `this` is the fixture, and the overridden macro's value stands where it was called.
    assert!(sql.contains("from __dbt__cte__order_events"), "{sql}");
    assert!(
        sql.contains("'2024-06-03 00:00:00'::timestamp as loaded_at"),
        "{sql}"
    );
    assert!(sql.contains("__dbt__cte__stg_orders as ("), "{sql}");
    let diff = results.results[0].unit_diff.as_ref().unwrap();
    assert_eq!(diff.columns, vec!["order_id", "loaded_at"]);
    assert_eq!(diff.rows.len(), 2);
}

const FAILING: &[(&str, &str)] = &[
    ("dbt_project.yml", "name: cafe\n"),
    (
        "models/orders.sql",
        "select order_id, count(*) as items, sum(price) as total\nfrom {{ ref('items') }}\ngroup by 1",
    ),
    (
        "models/big_orders.sql",
        "select * from {{ ref('orders') }} where total > 10",
    ),
    (
        "seeds/items.csv",
        "order_id,price\n1,3.50\n1,4.00\n2,12.00\n",
    ),
    (
        "models/unit_tests.yml",
        "unit_tests:
  - name: orders_add_up
    model: orders
    given:
      - input: ref('items')
        rows:
          - {order_id: 1, price: 3.50}
          - {order_id: 1, price: 4.00}
          - {order_id: 2, price: 12.00}
          - {order_id: 4, price: 1.00}
    expect:
      rows:
        - {order_id: 1, items: 2, total: 7.50}
        - {order_id: 2, items: 1, total: 11.00}
        - {order_id: 3, items: 1, total: 1.00}
",
    ),
];

#[test]
fn a_failing_unit_test_prints_dbts_diff_and_stops_its_model() {
    let mut e = engine(inline(FAILING)).unwrap();
    let results = build(&mut e);
    let by_name = |n: &str| results.results.iter().find(|r| r.name == n).unwrap();
    let unit = by_name("orders_add_up");
    assert_eq!(unit.status, Status::Fail);
    assert_eq!(unit.failures, Some(1));
    insta::assert_snapshot!(unit.message.clone().unwrap());
    let diff = unit.unit_diff.as_ref().unwrap();
    let changes: Vec<RowChange> = diff.rows.iter().map(|r| r.change).collect();
    assert_eq!(
        changes,
        vec![
            RowChange::Same,
            RowChange::Changed,
            RowChange::Removed,
            RowChange::Added
        ]
    );
    // dbt build: the model is not built, and neither is what reads it.
    assert_eq!(by_name("orders").status, Status::Skipped);
    assert_eq!(by_name("big_orders").status, Status::Skipped);
    assert_eq!(by_name("items").status, Status::Success);
    // dbt test: the unit test fails on its own; the model's data is not involved.
    let mut e = engine(inline(FAILING)).unwrap();
    let tested = run(&mut e, Verb::Test, &["test_type:unit"]);
    assert_eq!(tested.results.len(), 1);
    assert_eq!(tested.results[0].status, Status::Fail);
}

#[test]
fn artifacts_record_unit_tests_as_dbt_does() {
    let mut e = engine(inline(FAILING)).unwrap();
    let results = build(&mut e);
    let manifest = modelplay_engine::artifacts::manifest(&e, "2024-05-16T12:00:00Z");
    let unit = &manifest["unit_tests"]["unit_test.cafe.orders.orders_add_up"];
    assert_eq!(unit["model"], "orders");
    assert_eq!(unit["resource_type"], "unit_test");
    assert_eq!(unit["given"][0]["input"], "ref('items')");
    assert_eq!(unit["expect"]["rows"][2]["order_id"], 3);
    assert_eq!(unit["depends_on"]["nodes"][0], "model.cafe.orders");
    assert!(
        manifest["nodes"]
            .get("unit_test.cafe.orders.orders_add_up")
            .is_none()
    );
    let run_results = modelplay_engine::artifacts::run_results(
        &e,
        &results,
        "2024-05-16T12:00:00Z",
        serde_json::json!({}),
    );
    let row = run_results["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unique_id"] == "unit_test.cafe.orders.orders_add_up")
        .unwrap();
    assert_eq!(row["status"], "fail");
    assert_eq!(row["failures"], 1);
    assert!(
        row["message"]
            .as_str()
            .unwrap()
            .starts_with("actual differs from expected:")
    );
}

#[test]
fn a_unit_test_written_from_a_build_keeps_only_the_rows_that_matter_and_passes() {
    let mut e = cafe();
    let results = build(&mut e);
    assert!(results.success(), "{}", explain(&results));
    let written = block_on(e.write_unit_test("orders", 2)).unwrap_or_else(|d| panic!("{d:#}"));
    assert_eq!(written.path, "models/marts/orders_unit_tests.yml");
    assert_eq!(written.expected_rows, 2);
    // Three orders were built; the two expected come from two of them, with their items.
    let inputs: Vec<(&str, usize)> = written
        .inputs
        .iter()
        .map(|(i, n)| (i.as_str(), *n))
        .collect();
    assert_eq!(
        inputs,
        vec![("ref('stg_orders')", 2), ("ref('order_items')", 3)]
    );
    insta::assert_snapshot!(written.yaml);
    // Added to the project, it loads and passes as any unit test does.
    let mut files = read_dir(&repo_path("engine/tests/fixtures/unit_tests"));
    files.insert(written.path.clone(), written.yaml.clone());
    let mut e = engine(files).unwrap_or_else(|d| panic!("{d:#?}"));
    let tested = run(
        &mut e,
        Verb::Test,
        &[&format!("unit_test:{}", written.name)],
    );
    assert_eq!(tested.results.len(), 1);
    assert!(tested.success(), "{}", explain(&tested));
}

#[test]
fn compare_changes_shows_what_an_edit_did_downstream() {
    use modelplay_engine::changes::{Compared, KeySource, SchemaChange, compare};
    let mut before = cafe();
    let base_results = build(&mut before);
    let ids: Vec<String> = before.project().nodes.keys().cloned().collect();
    let base = block_on(before.built_tables(&ids, Some(&base_results)));
    // The edit: croissants cost more, and order_items gains a column.
    let mut files = read_dir(&repo_path("engine/tests/fixtures/unit_tests"));
    let stg = files.text("models/staging/stg_products.sql").unwrap();
    files.insert(
        "models/staging/stg_products.sql".to_string(),
        stg.replace(
            "{{ cents_to_dollars('price_cents') }} as price",
            "{{ cents_to_dollars(\"case when product_name = 'croissant' then price_cents + 50 else price_cents end\") }} as price",
        ),
    );
    let items = files.text("models/marts/order_items.sql").unwrap();
    files.insert(
        "models/marts/order_items.sql".to_string(),
        items.replace(
            "    products.is_food,",
            "    products.is_food,\n    products.product_name,",
        ),
    );
    let mut after = engine(files).unwrap();
    let results = build(&mut after);
    let current = block_on(after.built_tables(&ids, Some(&results)));
    let product = after.project().nodes["model.cafe.stg_products"]
        .unique_id
        .clone();
    let found = compare(
        after.project(),
        after.dag(),
        &[product],
        None,
        &base,
        &current,
    );
    let by_name = |n: &str| found.models.iter().find(|m| m.name == n).unwrap();
    let products = by_name("stg_products");
    assert_eq!(products.compared, Compared::Both);
    assert_eq!(products.key_source, KeySource::WholeRow);
    assert_eq!(
        (products.added, products.removed, products.changed),
        (1, 1, 0)
    );
    let items = by_name("order_items");
    assert_eq!(items.key_source, KeySource::WholeRow);
    assert_eq!(
        items.schema,
        vec![SchemaChange::Added {
            column: "product_name".into(),
            data_type: "varchar".into()
        }]
    );
    let orders = by_name("orders");
    assert_eq!(orders.key, vec!["order_id"]);
    assert_eq!(orders.key_source, KeySource::UniqueTest);
    assert_eq!((orders.added, orders.removed, orders.changed), (0, 0, 1));
    let counted: Vec<(&str, usize)> = orders
        .changed_by_column
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| (c.as_str(), *n))
        .collect();
    assert_eq!(counted, vec![("subtotal", 1), ("tax", 1)]);
    let row = &orders.rows[0];
    let at = |c: &str| orders.columns.iter().position(|x| x == c).unwrap();
    assert_eq!(row.base[at("subtotal")].as_deref(), Some("7.50"));
    assert_eq!(row.current[at("subtotal")].as_deref(), Some("8.00"));
    assert!(row.changed[at("tax")] && !row.changed[at("order_id")]);
    // What was not built from the edit is not compared.
    assert!(found.models.iter().all(|m| m.name != "stg_orders"));
}

const VERSIONED: &[(&str, &str)] = &[
    ("dbt_project.yml", "name: cafe\n"),
    (
        "models/dim_customers_v1.sql",
        "select 1 as customer_id, 'Ada Lovelace' as full_name",
    ),
    (
        "models/dim_customers_v2.sql",
        "select 1 as customer_id, 'Ada' as first_name, 'Lovelace' as last_name",
    ),
    (
        "models/legacy_names.sql",
        "select full_name from {{ ref('dim_customers', v=1) }}",
    ),
    (
        "models/first_names.sql",
        "select first_name from {{ ref('dim_customers') }}",
    ),
    (
        "models/customers.yml",
        "models:
  - name: dim_customers
    latest_version: 2
    columns:
      - name: customer_id
        data_tests: [unique]
    versions:
      - v: 1
      - v: 2
unit_tests:
  - name: every_version_keeps_its_id
    model: dim_customers
    given: []
    expect:
      rows:
        - {customer_id: 1}
  - name: v2_splits_the_name
    model: dim_customers
    versions:
      include: [2]
    given: []
    expect:
      rows:
        - {first_name: Ada}
",
    ),
];

#[test]
fn versioned_models_build_each_version_and_unit_tests_pick_theirs() {
    let mut e = engine(inline(VERSIONED)).unwrap_or_else(|d| panic!("{d:#?}"));
    let p = e.project();
    let v1 = &p.nodes["model.cafe.dim_customers.v1"];
    let v2 = &p.nodes["model.cafe.dim_customers.v2"];
    assert_eq!(
        (v1.name.as_str(), v2.name.as_str()),
        ("dim_customers", "dim_customers")
    );
    assert_eq!(v1.relation.identifier, "dim_customers_v1");
    assert_eq!(v2.relation.identifier, "dim_customers_v2");
    assert_eq!(v2.fqn, vec!["cafe", "dim_customers", "v2"]);
    // `ref` without a version is the latest; `v=` picks one.
    assert_eq!(
        p.nodes["model.cafe.first_names"].depends_on,
        vec!["model.cafe.dim_customers.v2"]
    );
    assert_eq!(
        p.nodes["model.cafe.legacy_names"].depends_on,
        vec!["model.cafe.dim_customers.v1"]
    );
    let units: Vec<&str> = p
        .nodes
        .keys()
        .filter(|k| k.starts_with("unit_test."))
        .map(String::as_str)
        .collect();
    assert_eq!(
        units,
        vec![
            "unit_test.cafe.dim_customers.every_version_keeps_its_id.v1",
            "unit_test.cafe.dim_customers.every_version_keeps_its_id.v2",
            "unit_test.cafe.dim_customers.v2_splits_the_name.v2",
        ]
    );
    // Each version has its own test of the model-level column.
    let tests = p
        .nodes
        .values()
        .filter(|n| n.name.starts_with("unique_dim_customers"))
        .count();
    assert_eq!(tests, 2);
    let results = build(&mut e);
    assert!(results.success(), "{}", explain(&results));
    assert_eq!(
        rows(&mut e, "select full_name from legacy_names"),
        vec![vec!["Ada Lovelace"]]
    );
    // Selecting the model selects every version.
    let mut request = RunRequest::new(Verb::Run);
    request.select = vec!["dim_customers".into()];
    assert_eq!(e.plan(&request).unwrap().len(), 2);
    let manifest = modelplay_engine::artifacts::manifest(&e, "2024-05-16T12:00:00Z");
    assert_eq!(
        manifest["nodes"]["model.cafe.dim_customers.v1"]["version"],
        "1"
    );
    assert_eq!(
        manifest["nodes"]["model.cafe.dim_customers.v1"]["latest_version"],
        "2"
    );
}
