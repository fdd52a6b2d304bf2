//! Generic tests are named as dbt names them: users select them by these names, and dbt's own
//! output prints them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;

const PROPERTIES: &str = "version: 2
sources:
  - name: raw
    tables:
      - name: orders
        columns:
          - name: id
            tests: [not_null]
models:
  - name: customers
    columns:
      - name: id
        tests: [unique]
  - name: orders
    columns:
      - name: customer_id
        tests:
          - relationships:
              arguments:
                to: ref('customers')
                field: id
      - name: status
        tests:
          - accepted_values:
              values: ['placed', 'shipped', 'completed', 'returned']
          - accepted_values:
              values: [1, 2]
              quote: false
";

#[test]
fn generic_tests_have_dbts_names() {
    let e = engine(inline(&[
        ("dbt_project.yml", "name: shop\n"),
        ("models/customers.sql", "select 1 as id"),
        (
            "models/orders.sql",
            "select 1 as customer_id, 'placed' as status",
        ),
        ("models/properties.yml", PROPERTIES),
    ]))
    .unwrap_or_else(|d| panic!("{d:#?}"));
    let mut names: Vec<&str> = e
        .project()
        .nodes
        .values()
        .filter(|n| n.kind == modelplay_engine::NodeKind::Test)
        .map(|n| n.name.as_str())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            // Arguments go in sorted by name, so `quote` comes after `column_name`, and a run
            // of other characters is one `_`.
            "accepted_values_orders_status__False__1__2",
            // Longer than 63 characters, and still the full name.
            "accepted_values_orders_status__placed__shipped__completed__returned",
            "relationships_orders_customer_id__id__ref_customers_",
            "source_not_null_raw_orders_id",
            "unique_customers_id",
        ]
    );
}
