//! `modelplay unit-test` and `modelplay diff` as a user runs them.

use super::*;

const AT: &str = "2024-05-16 12:00:00";

#[test]
fn unit_test_write_adds_a_passing_test_beside_the_model() {
    let dir = copy_project("engine/tests/fixtures/unit_tests");
    let d = dir.to_string_lossy();
    let (code, out, err) = modelplay(&[
        "unit-test",
        "--project-dir",
        &d,
        "--select",
        "orders",
        "--rows",
        "2",
        "--write",
        "--run-time",
        AT,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.starts_with("wrote unit test `orders_as_built` to models/marts/orders_unit_tests.yml: 2 expected rows from ref('stg_orders') (2 rows), ref('order_items') (3 rows)"),
        "{out}"
    );
    // A second one goes to the same file, under another name.
    let (code, out, err) = modelplay(&[
        "unit-test",
        "--project-dir",
        &d,
        "--select",
        "orders",
        "--rows",
        "1",
        "--write",
        "--run-time",
        AT,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("`orders_as_built_2`"), "{out}");
    let (code, out, err) = modelplay(&[
        "test",
        "--project-dir",
        &d,
        "--select",
        "unit_test:orders_as_built*",
        "--run-time",
        AT,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2"),
        "{out}"
    );
    // Break the model: the test written from it catches it, with dbt's diff.
    let orders = dir.join("models/marts/orders.sql");
    let sql = std::fs::read_to_string(&orders).unwrap();
    std::fs::write(
        &orders,
        sql.replace("summary.food_items > 0", "summary.food_items > 1"),
    )
    .unwrap();
    let (code, out, _) = modelplay(&[
        "test",
        "--project-dir",
        &d,
        "--select",
        "unit_test:orders_as_built",
        "--run-time",
        AT,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Failure in unit_test orders_as_built"),
        "{out}"
    );
    assert!(out.contains("true→false"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn diff_compares_a_model_and_what_is_built_from_it_with_another_version() {
    let base = copy_project("engine/tests/fixtures/unit_tests");
    let dir = copy_project("engine/tests/fixtures/unit_tests");
    let items = dir.join("models/marts/order_items.sql");
    let sql = std::fs::read_to_string(&items).unwrap();
    std::fs::write(
        &items,
        sql.replace("left join products", "left join products on false and")
            .replace("on false and on", "on false and"),
    )
    .unwrap();
    let (code, out, err) = modelplay(&[
        "diff",
        "--project-dir",
        &dir.to_string_lossy(),
        "--select",
        "order_items",
        "--base",
        &base.to_string_lossy(),
        "--run-time",
        AT,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("order_items: 4 rows before, 4 after: 4 added, 4 removed, 0 changed, matched by whole rows"), "{out}");
    assert!(
        out.contains("orders: 3 rows before, 3 after: 0 added, 0 removed, 3 changed, keyed by order_id (its unique test)"),
        "{out}"
    );
    assert!(
        out.contains("values changed: subtotal 3, tax 3, has_food 2"),
        "{out}"
    );
    // The unit test the edit breaks is among the tests whose status changed; the model
    // was still built, to be compared.
    assert!(
        out.contains("  order_items_add_up_supply_costs: pass -> fail\n"),
        "{out}"
    );
    assert!(
        out.contains("| changed | 1        | 10          | 2          | 7.50 -> NULL"),
        "{out}"
    );
    // With nothing to compare against, it says what to give.
    let (code, _, err) = modelplay(&[
        "diff",
        "--project-dir",
        &base.to_string_lossy(),
        "--select",
        "orders",
        "--base",
        "/no/such/thing",
        "--run-time",
        AT,
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("is not a folder, a .zip or a share link"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(base);
    let _ = std::fs::remove_dir_all(dir);
}
