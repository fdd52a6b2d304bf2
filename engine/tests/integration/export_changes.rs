//! A change deploy: given the manifest of the last deploy, the export holds what changed
//! and what is built from it, against the relations already there; a table whose keys
//! alone changed is altered in place; a relation that is kept has its grants changed, not
//! given again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::export::{Export, ExportOptions, State, export};

fn configs() -> modelplay_engine::ProjectFiles {
    read_dir(&repo_path("engine/tests/fixtures/redshift_configs"))
}

/// The manifest a deploy of `files` leaves, as the state of the next one.
fn state_of(files: modelplay_engine::ProjectFiles) -> State {
    let e = engine(files).unwrap_or_else(|d| panic!("{d:#?}"));
    let manifest = modelplay_engine::artifacts::manifest(&e, "2024-05-16T12:00:00Z");
    State::from_manifest("target/manifest.json", &manifest.to_string()).unwrap()
}

fn export_against(files: modelplay_engine::ProjectFiles, state: &State) -> Export {
    let e = engine(files).unwrap_or_else(|d| panic!("{d:#?}"));
    let options = ExportOptions {
        state: Some(state),
        ..Default::default()
    };
    let export = block_on(export(&e, &options)).unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(export.complete(), "{:#?}", export.problems);
    export
}

fn model_files(export: &Export) -> Vec<&str> {
    let mut paths: Vec<&str> = export
        .files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.starts_with("models/"))
        .collect();
    paths.sort();
    paths
}

fn file<'a>(export: &'a Export, path: &str) -> &'a str {
    &export
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path} in {:#?}", model_files(export)))
        .contents
}

fn edited(edits: &[(&str, &str, &str)]) -> modelplay_engine::ProjectFiles {
    let mut files = configs();
    for (path, from, to) in edits {
        let text = files.text(path).unwrap();
        assert!(text.contains(from), "{from} not in {path}");
        files.insert(*path, text.replace(from, to));
    }
    files
}

#[test]
fn nothing_changed_nothing_deploys() {
    let state = state_of(configs());
    let export = export_against(configs(), &state);
    assert!(
        model_files(&export).is_empty(),
        "{:#?}",
        model_files(&export)
    );
    let deploy = file(&export, "deploy.sql");
    assert!(
        deploy.contains("-- A change deploy against target/manifest.json"),
        "{deploy}"
    );
    // The sources are there already: no create, no copy.
    assert!(!deploy.contains("copy "), "{deploy}");
}

#[test]
fn an_edited_model_and_what_reads_it_rebuild_beside_the_tables_there() {
    let state = state_of(configs());
    let export = export_against(
        edited(&[(
            "models/stg_orders.sql",
            "status,",
            "lower(status) as status,",
        )]),
        &state,
    );
    let paths = model_files(&export);
    // stg_orders and every node built from it; the ephemeral order_ids is inlined.
    for expected in [
        "models/analytics/stg_orders.sql",
        "models/analytics/order_facts.sql",
        "models/analytics/orders_merge.sql",
        "models/analytics/orders_by_customer.sql",
        "models/snapshots/orders_snapshot.sql",
    ] {
        assert!(paths.contains(&expected), "{expected} not in {paths:#?}");
    }
    let view = file(&export, "models/analytics/stg_orders.sql");
    assert!(
        view.contains(
            "alter table \"dev\".\"analytics\".\"stg_orders\" rename to stg_orders__dbt_backup;"
        ),
        "{view}"
    );
    assert!(
        view.contains(
            "drop view if exists \"dev\".\"analytics\".\"stg_orders__dbt_backup\" cascade;"
        ),
        "{view}"
    );
    // The incremental table is there: this run merges into it, as `dbt run` would.
    let merge = file(&export, "models/analytics/orders_merge.sql");
    assert!(merge.contains("merge into \"dev\".\"analytics\".\"orders_merge\""));
    assert!(!merge.contains("create table"), "{merge}");
    assert!(!merge.contains("Later runs"), "{merge}");
    // The snapshot is merged into, never created again.
    let snapshot = file(&export, "models/snapshots/orders_snapshot.sql");
    assert!(snapshot.contains("update \"dev\".\"snapshots\".\"orders_snapshot\""));
    assert!(!snapshot.contains("create table \"dev\""), "{snapshot}");
    // A materialized view is dropped and created again.
    let mv = file(&export, "models/analytics/orders_by_customer.sql");
    assert!(mv.contains("drop materialized view if exists"), "{mv}");
    // The seed did not change and nothing it reads did.
    assert!(!paths.iter().any(|p| p.contains("countries")), "{paths:#?}");
}

#[test]
fn keys_alone_changed_are_altered_in_place() {
    let state = state_of(configs());
    let export = export_against(
        edited(&[(
            "models/customers_all.sql",
            "dist='all', sort='customer_id'",
            "dist='customer_id'",
        )]),
        &state,
    );
    assert_eq!(
        model_files(&export),
        vec!["models/analytics/customers_all.sql"]
    );
    insta::assert_snapshot!(file(&export, "models/analytics/customers_all.sql"), @r#"
    -- table customers_all (models/customers_all.sql)
    alter table "dev"."analytics"."customers_all" alter diststyle key distkey customer_id;
    alter table "dev"."analytics"."customers_all" alter sortkey none;
    "#);
}

#[test]
fn a_kept_table_has_its_grants_changed_and_a_rebuilt_one_gets_them_all() {
    let with_grants = |to: &str| {
        edited(&[(
            "models/orders_merge.sql",
            "merge_exclude_columns=['ordered_at']",
            &format!("merge_exclude_columns=['ordered_at'], grants={{'select': [{to}]}}"),
        )])
    };
    let state = state_of(with_grants("'reporter', 'group:analysts'"));
    let export = export_against(with_grants("'group:analysts', 'role:finance'"), &state);
    let merge = file(&export, "models/analytics/orders_merge.sql");
    assert!(
        merge.contains("revoke select on \"dev\".\"analytics\".\"orders_merge\" from reporter;"),
        "{merge}"
    );
    assert!(
        merge.contains("grant select on \"dev\".\"analytics\".\"orders_merge\" to ROLE finance;"),
        "{merge}"
    );
    assert!(!merge.contains("GROUP analysts"), "{merge}");
}

#[test]
fn a_selection_with_state_chooses_by_state_or_reruns_everything_in_place() {
    let state = state_of(configs());
    let files = edited(&[(
        "models/stg_orders.sql",
        "status,",
        "lower(status) as status,",
    )]);
    let e = engine(files.clone()).unwrap();
    let select = ["state:modified".to_string()];
    let options = ExportOptions {
        select: &select,
        state: Some(&state),
        ..Default::default()
    };
    let only = block_on(export(&e, &options)).unwrap();
    assert_eq!(model_files(&only), vec!["models/analytics/stg_orders.sql"]);

    // Everything, as a `dbt run` on the deployed warehouse: tables built beside and
    // swapped, incremental models merged, snapshots merged, seeds reloaded.
    let select = ["*".to_string()];
    let options = ExportOptions {
        select: &select,
        state: Some(&state),
        ..Default::default()
    };
    let all = block_on(export(&e, &options)).unwrap();
    assert!(all.complete(), "{:#?}", all.problems);
    let table = file(&all, "models/analytics/order_facts.sql");
    assert!(
        table.contains("rename to order_facts__dbt_backup;"),
        "{table}"
    );
    let seed = file(&all, "models/analytics/countries.sql");
    assert!(
        seed.contains("truncate table \"dev\".\"analytics\".\"countries\";"),
        "{seed}"
    );
    let append = file(&all, "models/analytics/orders_append.sql");
    assert!(
        append.contains("insert into \"dev\".\"analytics\".\"orders_append\""),
        "{append}"
    );
    assert!(!append.contains("Later runs"), "{append}");

    let e = engine(configs()).unwrap();
    let select = ["state:modified+".to_string()];
    let options = ExportOptions {
        select: &select,
        ..Default::default()
    };
    let err = block_on(export(&e, &options)).unwrap_err();
    assert!(
        format!("{:#?}", err).contains("needs a previous manifest"),
        "{err:#?}"
    );
}

#[test]
fn a_manifest_dbt_wrote_for_another_target_is_no_change() {
    // dbt records every default and the relation in its own target's database; neither
    // is a change of what deploys.
    let e = engine(configs()).unwrap();
    let mut manifest = modelplay_engine::artifacts::manifest(&e, "2024-05-16T12:00:00Z");
    for node in manifest["nodes"].as_object_mut().unwrap().values_mut() {
        let config = node["config"].as_object_mut().unwrap();
        config
            .entry("on_schema_change")
            .or_insert(serde_json::json!("ignore"));
        let enforced = config
            .get("contract")
            .and_then(|c| c.get("enforced"))
            .cloned()
            .unwrap_or(serde_json::json!(false));
        config.insert(
            "contract".into(),
            serde_json::json!({"enforced": enforced, "alias_types": true}),
        );
        for key in ["pre-hook", "post-hook"] {
            let hooks: Vec<serde_json::Value> = match config.get(key) {
                Some(serde_json::Value::Array(items)) => items
                    .iter()
                    .map(|h| match h {
                        serde_json::Value::String(sql) => {
                            serde_json::json!({"sql": sql, "transaction": true, "index": null})
                        }
                        other => other.clone(),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            config.insert(key.into(), serde_json::json!(hooks));
        }
        if let Some(relation) = node["relation_name"].as_str() {
            node["relation_name"] = serde_json::json!(relation.replace("\"dev\"", "\"prod\""));
        }
    }
    let state = State::from_manifest("prod/manifest.json", &manifest.to_string()).unwrap();
    let export = export_against(configs(), &state);
    assert!(
        model_files(&export).is_empty(),
        "{:#?}",
        model_files(&export)
    );
}

#[test]
fn a_changed_incremental_model_with_on_schema_change_says_what_the_export_cannot_see() {
    let with = |select: &str| {
        inline(&[
            ("dbt_project.yml", "name: schema_change\n"),
            ("seeds/orders.csv", "id,status\n1,placed\n"),
            (
                "models/events.sql",
                &format!(
                    "{{{{ config(materialized='incremental', unique_key='id', on_schema_change='append_new_columns') }}}}\n{select} from {{{{ ref('orders') }}}}"
                ),
            ),
        ])
    };
    let state = state_of(with("select id"));
    let e = engine(with("select id, status")).unwrap();
    let options = ExportOptions {
        state: Some(&state),
        ..Default::default()
    };
    let export = block_on(export(&e, &options)).unwrap();
    assert!(export.complete(), "{:#?}", export.problems);
    let said: Vec<String> = export.warnings.iter().map(|d| d.to_string()).collect();
    assert!(
        said.iter().any(|d| d.starts_with("models/events.sql:1:")
            && d.contains("on_schema_change: append_new_columns")),
        "{said:#?}"
    );
}
