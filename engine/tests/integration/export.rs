//! `modelplay export`: the export of the sample project and of a fixture using every Redshift
//! config option, each node's statements a reviewed snapshot of its own; every exported file
//! parsed by sqlparser's Redshift dialect (where it supports the syntax) and by sqlglot's, an
//! independent parser; what does not compile reported at its line and left out with what is
//! built from it, the rest exported.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use modelplay_engine::export::{Export, ExportOptions, ExportedFile, export};

fn export_all(e: &modelplay_engine::Engine) -> Export {
    block_on(export(e, &ExportOptions::default())).unwrap_or_else(|d| panic!("{d:#?}"))
}

/// A whole export that must leave nothing out.
fn exported(files: modelplay_engine::ProjectFiles) -> Vec<ExportedFile> {
    let e = engine(files).unwrap_or_else(|d| panic!("{d:#?}"));
    let export = export_all(&e);
    assert!(
        export.complete(),
        "{}",
        export
            .problems
            .iter()
            .map(|d| format!("{d:#}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    export.files
}

fn joined(files: &[ExportedFile]) -> String {
    files
        .iter()
        .map(|f| format!("=== {} ===\n{}", f.path, f.contents))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every file but `deploy.sql` (which strings them together) as a snapshot of its own,
/// named after the case and the file.
fn snapshot_each(case: &str, files: &[ExportedFile]) {
    for f in files.iter().filter(|f| f.path != "deploy.sql") {
        let name = format!(
            "{case}__{}",
            f.path.trim_end_matches(".sql").replace('/', "__")
        );
        insta::assert_snapshot!(name, &f.contents);
    }
}

fn sample() -> Vec<ExportedFile> {
    exported(read_dir(&repo_path("sample-data/brightwheel")))
}

fn configs() -> Vec<ExportedFile> {
    exported(read_dir(&repo_path(
        "engine/tests/fixtures/redshift_configs",
    )))
}

#[test]
fn sample_project_export() {
    snapshot_each("sample", &sample());
}

#[test]
fn every_config_option_export() {
    let files = configs();
    let all = joined(&files);
    // The adapter's keywords, in the adapter's order, for each case in the fixture.
    for expected in [
        "create table \"dev\".\"analytics\".\"order_facts__dbt_tmp\"\n  backup no\n  diststyle key distkey (customer_id)\n  compound sortkey(ordered_at,order_id)\nas (",
        "alter table \"dev\".\"analytics\".\"order_facts__dbt_tmp\" rename to order_facts;",
        "create table \"dev\".\"analytics\".\"customers_all__dbt_tmp\"\n  diststyle all\n  compound sortkey(customer_id)\nas (",
        "create table \"dev\".\"analytics\".\"status_even__dbt_tmp\"\n  diststyle even\n  interleaved sortkey(status,order_id)\nas (",
        "create table \"dev\".\"analytics\".\"auto_dist__dbt_tmp\"\nas (",
        ") with no schema binding;",
        "create materialized view \"dev\".\"analytics\".\"orders_by_customer\"\n    backup no\n    diststyle key\n    distkey (customer_id)\n    sortkey (customer_id)\n    auto refresh yes\nas (",
        "merge into \"dev\".\"analytics\".\"orders_merge\"\n    using \"orders_merge__dbt_tmp\" as DBT_INTERNAL_SOURCE\n    on (DBT_INTERNAL_SOURCE.order_id = \"dev\".\"analytics\".\"orders_merge\".order_id)",
        "delete from \"dev\".\"analytics\".\"orders_delete_insert\"\nwhere (order_id, status) in (\n    select distinct order_id, status\n    from \"orders_delete_insert__dbt_tmp\" as DBT_INTERNAL_SOURCE\n);",
        "insert into \"dev\".\"analytics\".\"orders_append\" (\"order_id\", \"ordered_at\")",
        "create table \"dev\".\"analytics\".\"contracted__dbt_tmp\" (\n    order_id bigint not null,\n    customer_id bigint,\n    amount integer,\n    constraint contracted_pk primary key (order_id),\n    foreign key (customer_id) references \"dev\".\"analytics\".\"customers_all\" (customer_id)\n)\n  diststyle key distkey (order_id);",
        "when matched then update set\n    status = DBT_INTERNAL_SOURCE.status\nwhen not matched",
        "on (\"dev\".\"analytics\".\"orders_merge_update\".ordered_at > dateadd(day, -7, getdate())) and (DBT_INTERNAL_SOURCE.order_id = \"dev\".\"analytics\".\"orders_merge_update\".order_id)",
        "set query_group to 'etl';\nbegin;\n",
        "grant select on \"dev\".\"analytics\".\"order_facts\" to reporter, GROUP analysts;",
        "comment on column \"dev\".\"analytics\".\"order_facts\".customer_id is $dbt_comment_literal_block$Who placed it.$dbt_comment_literal_block$;",
        "create view \"dev\".\"analytics\".\"orders_view__dbt_tmp\" as (\n    select order_id, status from \"dev\".\"analytics\".\"stg_orders\"\n);",
        "coalesce(nullif(getdate(), getdate()), '9999-12-31'::timestamp) as valid_to,\n        'False' as is_deleted",
        "-- on-run-start\ncreate table if not exists analytics.deploy_log",
        "select order_id, status, amount, ordered_at from (select * from \"dev\".\"analytics\".\"stg_orders\" where ordered_at >= '2024-05-01 00:00:00+00:00' and ordered_at < '2024-06-01 00:00:00+00:00') _dbt_et_filter_subq_stg_orders",
        "delete from \"dev\".\"analytics\".\"orders_microbatch\"\nwhere (\n    ordered_at >= TIMESTAMP '2024-05-01 00:00:00+00:00'\n    and ordered_at < TIMESTAMP '2024-06-01 00:00:00+00:00'\n);",
        "copy \"raw_shop\".\"orders\" (\"id\", \"customer_id\", \"status\", \"amount\", \"ordered_at\")\nfrom 's3://example-raw-bucket/shop/orders/'\niam_role 'arn:aws:iam::123456789012:role/example-copy'\nformat as csv",
        "\"_loaded_at\" timestamp default getdate()",
    ] {
        assert!(all.contains(expected), "missing:\n{expected}");
    }
    // Ephemeral models are inlined into what reads them, never created.
    assert!(!files.iter().any(|f| f.path.contains("order_ids")));
    assert!(all.contains("with __dbt__cte__order_ids as ("));
    snapshot_each("configs", &files);
}

#[test]
fn deploy_runs_in_dependency_order_a_transaction_a_node() {
    let files = sample();
    let deploy = &files
        .iter()
        .find(|f| f.path == "deploy.sql")
        .unwrap()
        .contents;
    // Every node's statements are one transaction, as dbt runs them.
    assert_eq!(
        deploy.matches("\nbegin;\n").count(),
        deploy.matches("\ncommit;").count()
    );
    assert!(deploy.matches("\nbegin;\n").count() > 15);
    let at = |needle: &str| {
        deploy
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} missing"))
    };
    assert!(
        at("create table if not exists \"brightwheel_exercise\".\"source1_file\"")
            < at("create view \"dev\".\"analytics_staging\".\"stg_source1_providers__dbt_tmp\"")
    );
    assert!(
        at("create view \"dev\".\"analytics_staging\".\"stg_source1_providers__dbt_tmp\"")
            < at(
                "create table \"dev\".\"analytics_intermediate\".\"int_providers_unioned__dbt_tmp\""
            )
    );
    assert!(
        at("create table \"dev\".\"snapshots\".\"snap_source1_file\"")
            < at(
                "create table \"dev\".\"analytics_business_questions\".\"leads_for_outreach__dbt_tmp\""
            )
    );
    // The data tests come as queries, for a deploy job to run after the build.
    let tests = &files
        .iter()
        .find(|f| f.path == "tests.sql")
        .unwrap()
        .contents;
    assert_eq!(
        tests.matches("\n-- test ").count() + usize::from(tests.starts_with("-- test ")),
        46
    );
}

/// Splits a file into statements with sqlparser's tokenizer, so that `;` inside strings and
/// comments is not a boundary.
fn statements(sql: &str) -> Vec<String> {
    use datafusion::sql::sqlparser::dialect::RedshiftSqlDialect;
    use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&RedshiftSqlDialect {}, sql)
        .tokenize()
        .unwrap();
    let mut out = Vec::new();
    let mut current = String::new();
    for t in tokens {
        if t == Token::SemiColon {
            if !current.trim().is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push_str(&t.to_string());
        }
    }
    if !current.trim().is_empty() && !current.trim().starts_with("--") {
        out.push(current);
    }
    out
}

/// Redshift syntax sqlparser does not model (yet); statements using it are skipped.
const SQLPARSER_UNSUPPORTED: &[&str] = &[
    "diststyle",
    "sortkey",
    "backup no",
    "iam_role",
    "auto refresh",
    "no schema binding",
    // Its Redshift dialect does not read `comment on` (its PostgreSQL dialect does).
    "comment on",
];

#[test]
fn exported_statements_parse_with_sqlparser_where_it_supports_the_syntax() {
    use datafusion::sql::sqlparser::dialect::RedshiftSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;
    let mut parsed = 0;
    let mut skipped = 0;
    let mut failures = Vec::new();
    for f in sample().iter().chain(configs().iter()) {
        for s in statements(&f.contents) {
            let lower = s.to_lowercase();
            if SQLPARSER_UNSUPPORTED.iter().any(|k| lower.contains(k)) {
                skipped += 1;
                continue;
            }
            match Parser::parse_sql(&RedshiftSqlDialect {}, &s) {
                Ok(_) => parsed += 1,
                Err(e) => failures.push(format!("{}: {e}\n{s}", f.path)),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(parsed > 100, "{parsed} parsed, {skipped} skipped");
}

#[test]
fn exported_files_parse_with_sqlglot() {
    let root = std::env::temp_dir().join(format!("modelplay-export-{}", std::process::id()));
    for (dir, files) in [("sample", sample()), ("configs", configs())] {
        for f in files {
            let path = root.join(dir).join(&f.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, f.contents).unwrap();
        }
    }
    let script = repo_path("scripts/check_redshift_sql.py");
    for dir in ["sample", "configs"] {
        let out = std::process::Command::new("python3")
            .arg(&script)
            .arg(root.join(dir))
            .output()
            .expect("python3 is needed to run the independent Redshift parser (scripts/setup installs it)");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "sqlglot rejected the {dir} export (is sqlglot installed? run scripts/setup):\n{text}"
        );
        assert!(text.contains(", 0 failures"), "{text}");
    }
    let _ = std::fs::remove_dir_all(root);
}

fn export_errors(files: &[(&str, &str)]) -> String {
    let e = engine(inline(files)).unwrap_or_else(|d| panic!("{d:#?}"));
    let export = export_all(&e);
    assert!(
        !export.complete(),
        "the export should have left something out"
    );
    export
        .problems
        .iter()
        .map(|d| format!("{d:#}"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[test]
fn the_export_builds_nothing_and_ignores_what_the_sample_data_does() {
    // Every sample row divides by zero, which fails the build; the cluster's data is another
    // matter, so the export goes ahead, and it runs nothing to find the columns.
    let files = inline(&[
        (
            "dbt_project.yml",
            "name: deploy\nmodels:\n  deploy:\n    +materialized: table\n",
        ),
        ("seeds/amounts.csv", "id,amount\n1,0\n2,0\n"),
        (
            "models/shares.sql",
            "select id, 100 / amount as share from {{ ref('amounts') }}",
        ),
    ]);
    let mut built = engine(files.clone()).unwrap();
    let results = build(&mut built);
    let shares = results.results.iter().find(|r| r.name == "shares").unwrap();
    assert_eq!(
        shares.status,
        modelplay_engine::Status::Error,
        "{shares:#?}"
    );

    let e = engine(files).unwrap();
    let exported = export_all(&e).files;
    let model = exported
        .iter()
        .find(|f| f.path == "models/analytics/shares.sql")
        .unwrap_or_else(|| {
            panic!(
                "{:#?}",
                exported.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        });
    assert!(
        model.contents.contains("100 / amount"),
        "{}",
        model.contents
    );
    let seed = exported
        .iter()
        .find(|f| f.path.ends_with("/amounts.sql"))
        .unwrap();
    assert!(seed.contents.contains("('1', '0')"), "{}", seed.contents);
    for id in ["model.deploy.shares", "seed.deploy.amounts"] {
        assert!(!e.is_built(id), "{id} was built");
    }
}

#[test]
fn config_mistakes_are_errors_at_their_location() {
    let project = "name: keys\nmodels:\n  keys:\n    +materialized: table\n";
    let text = export_errors(&[
        ("dbt_project.yml", project),
        (
            "models/missing_distkey.sql",
            "{{ config(dist='customer') }}\nselect 1 as customer_id, 2 as amount",
        ),
        (
            "models/missing_sortkey.sql",
            "{{ config(sort=['day', 'amount']) }}\nselect 1 as amount",
        ),
        (
            "models/too_many_interleaved.sql",
            "{{ config(sort_type='interleaved', sort=['a','b','c','d','e','f','g','h','i']) }}\nselect 1 as a, 1 as b, 1 as c, 1 as d, 1 as e, 1 as f, 1 as g, 1 as h, 1 as i",
        ),
        (
            "models/interleaved_on_time.sql",
            "{{ config(sort_type='interleaved', sort=['loaded_at', 'id']) }}\nselect 1 as id, getdate() as loaded_at",
        ),
        (
            "models/bad_sort_type.sql",
            "{{ config(sort_type='ascending', sort='id') }}\nselect 1 as id",
        ),
        ("models/dist_not_a_string.sql", "select 1 as id"),
        (
            "models/schema.yml",
            "version: 2\nmodels:\n  - name: dist_not_a_string\n    config:\n      dist: 42\n",
        ),
    ]);
    insta::assert_snapshot!("export_config_errors", text);
}

/// The run and the export read one resolved config: a snapshot's renamed meta columns,
/// `dbt_valid_to_current` and `hard_deletes='new_record'`, and an incremental model's merge,
/// are what the local build produced and what the export deploys.
#[test]
fn the_run_and_the_export_agree_on_snapshot_and_incremental_configs() {
    let files = inline(&[
        ("dbt_project.yml", "name: agree\n"),
        (
            "seeds/raw.csv",
            "id,name,updated_at\n1,a,2024-05-01\n2,b,2024-05-02\n",
        ),
        (
            "snapshots/people.sql",
            "{% snapshot people %}\n{{ config(target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='new_record', dbt_valid_to_current=\"'9999-12-31'::timestamp\", snapshot_meta_column_names={'dbt_valid_from': 'valid_from', 'dbt_valid_to': 'valid_to', 'dbt_scd_id': 'version_id', 'dbt_updated_at': 'changed_at', 'dbt_is_deleted': 'is_gone'}) }}\nselect * from {{ ref('raw') }}\n{% endsnapshot %}",
        ),
        (
            "models/latest.sql",
            "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id') }}\nselect id, name from {{ ref('raw') }}",
        ),
    ]);
    let mut e = engine(files.clone()).unwrap();
    let results = build(&mut e);
    assert!(results.results.iter().all(|r| r.diagnostic.is_none()));
    let built = rows(&mut e, "select * from snapshots.people order by id");
    let names = rows(
        &mut e,
        "select valid_from, valid_to, version_id, changed_at, is_gone from snapshots.people order by id",
    );
    assert_eq!(built.len(), 2);
    assert_eq!(names[0][1], "9999-12-31 00:00:00");
    assert_eq!(names[0][4], "False");

    let exported = exported(files);
    let snapshot = exported
        .iter()
        .find(|f| f.path.ends_with("/people.sql"))
        .unwrap();
    for column in [
        "valid_from",
        "valid_to",
        "version_id",
        "changed_at",
        "is_gone",
    ] {
        assert!(
            snapshot.contents.contains(&format!(" as {column}")),
            "{column} in\n{}",
            snapshot.contents
        );
    }
    assert!(snapshot.contents.contains("'False' as is_gone"));
    assert!(snapshot.contents.contains("deletion_records as ("));
    assert!(
        snapshot
            .contents
            .contains("valid_to = '9999-12-31'::timestamp or valid_to is null")
    );
    let latest = exported
        .iter()
        .find(|f| f.path.ends_with("/latest.sql"))
        .unwrap();
    assert!(
        latest.contents.contains("merge into"),
        "{}",
        latest.contents
    );
}

#[test]
fn an_enforced_contract_is_checked_before_the_build() {
    let schema = "version: 2\nmodels:\n  - name: orders\n    config:\n      contract: {enforced: true}\n    columns:\n      - name: id\n        data_type: integer\n      - name: amount\n        data_type: varchar(10)\n      - name: placed_at\n        data_type: timestamp\n";
    let mut e = engine(inline(&[
        (
            "dbt_project.yml",
            "name: contracts\nmodels:\n  contracts:\n    +materialized: table\n",
        ),
        (
            "models/orders.sql",
            "select 1 as id, 2.5 as amount, 'x' as note",
        ),
        ("models/schema.yml", schema),
    ]))
    .unwrap();
    let report = block_on(e.check());
    let said: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        said.iter().any(|d| d.starts_with("models/schema.yml:9:")
            && d.contains(
                "declares `amount` as varchar(10), and the model outputs double precision"
            )),
        "{said:#?}"
    );
    assert!(
        said.iter().any(|d| d.starts_with("models/schema.yml:11:")
            && d.contains("declares column `placed_at`, which the model does not output")),
        "{said:#?}"
    );
    assert!(
        said.iter()
            .any(|d| d.contains("outputs column `note` (varchar)")),
        "{said:#?}"
    );
    let results = build(&mut e);
    let orders = results.results.iter().find(|r| r.name == "orders").unwrap();
    assert_eq!(orders.status, modelplay_engine::Status::Error);
}

#[test]
fn a_views_contract_is_checked_too() {
    let schema = "version: 2\nmodels:\n  - name: v\n    config:\n      contract: {enforced: true}\n    columns:\n      - name: id\n        data_type: integer\n      - name: name\n        data_type: varchar\n";
    let e = engine(inline(&[
        ("dbt_project.yml", "name: contracts\n"),
        ("models/v.sql", "select 1 as id"),
        ("models/schema.yml", schema),
    ]))
    .unwrap();
    let report = block_on(e.check());
    let said: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        said.iter().any(|d| d.starts_with("models/schema.yml:9:")
            && d.contains("declares column `name`, which the model does not output")),
        "{said:#?}"
    );
}

#[test]
fn a_contract_sees_the_type_a_case_runs_with_not_its_first_branchs() {
    // `then 0` is an integer, the `else` a double: the column is a double, as the build makes it.
    let schema = "version: 2\nmodels:\n  - name: rates\n    config:\n      contract: {enforced: true}\n    columns:\n      - name: rate\n        data_type: float8\n";
    let mut e = engine(inline(&[
        (
            "dbt_project.yml",
            "name: contracts\nmodels:\n  contracts:\n    +materialized: table\n",
        ),
        ("seeds/sales.csv", "paid,commission\n436.5,65.4\n0,0\n"),
        (
            "models/rates.sql",
            "select case when paid = 0 then 0 else commission / paid end as rate from {{ ref('sales') }}",
        ),
        ("models/schema.yml", schema),
    ]))
    .unwrap();
    let report = block_on(e.check());
    assert!(report.failed.is_empty(), "{:#?}", report.diagnostics);
    assert!(build(&mut e).success());
}

#[test]
fn a_model_whose_template_runs_a_query_exports_as_the_check_compiled_it() {
    let e = engine(inline(&[
        ("dbt_project.yml", "name: queried\n"),
        ("seeds/codes.csv", "code\nNV\nCA\n"),
        (
            "models/code_flags.sql",
            "{% set r = run_query('select code from ' ~ ref('codes') ~ ' order by code') %}\n\
             {% set codes = r.columns[0].values() if execute else [] %}\n\
             select {% for c in codes %}'{{ c }}' as {{ c | lower }}{% if not loop.last %}, {% endif %}{% endfor %}",
        ),
    ]))
    .unwrap();
    let exported = export_all(&e).files;
    let model = exported
        .iter()
        .find(|f| f.path.ends_with("/code_flags.sql"))
        .unwrap();
    assert!(
        model.contents.contains("'CA' as ca, 'NV' as nv"),
        "{}",
        model.contents
    );
}

#[test]
fn a_contracted_table_stores_numbers_at_its_declared_scale_and_a_bare_numeric_is_warned_about() {
    let schema = "models:\n  - name: rates\n    columns:\n      - name: id\n        data_type: integer\n      - name: commission_rate\n        data_type: numeric\n      - name: exact_rate\n        data_type: numeric(12,4)\n";
    let mut e = engine(inline(&[
        (
            "dbt_project.yml",
            "name: contracts\nmodels:\n  contracts:\n    +materialized: table\n",
        ),
        (
            "models/rates.sql",
            "{{ config(contract={'enforced': true}) }}\nselect 1 as id, 48.04::decimal(8,2) / 320.25::decimal(8,2) as commission_rate, 48.04::decimal(8,2) / 320.25::decimal(8,2) as exact_rate",
        ),
        ("models/rates.yml", schema),
    ]))
    .unwrap();
    let report = block_on(e.check());
    assert!(report.failed.is_empty(), "{:#?}", report.diagnostics);
    let said: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        said.iter().any(|d| d.starts_with("models/rates.yml:6:")
            && d.contains("declared numeric without precision and scale")),
        "{said:#?}"
    );
    assert!(build(&mut e).success());
    // Inserted into the declared columns, as dbt-redshift builds a contracted table.
    assert_eq!(
        rows(&mut e, "select commission_rate, exact_rate from rates"),
        vec![vec!["0", "0.1500"]]
    );
}

#[test]
fn a_model_on_redshifts_system_tables_exports_unchecked_with_what_reads_it() {
    let e = engine(inline(&[
        (
            "dbt_project.yml",
            "name: admin\nmodels:\n  admin:\n    +materialized: table\n",
        ),
        (
            "models/blocks.sql",
            "select tbl, count(*) as blocks from stv_blocklist group by tbl",
        ),
        (
            "models/blocks_report.sql",
            "select * from {{ ref('blocks') }}",
        ),
        ("models/ok.sql", "select 1 as id"),
    ]))
    .unwrap();
    let report = block_on(e.check());
    let said: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        said.iter().any(|d| d.starts_with("models/blocks.sql:1:37:")
            && d.contains("`stv_blocklist` is one of Redshift's system tables and views")),
        "{said:#?}"
    );
    let export = export_all(&e);
    assert!(export.complete(), "{:#?}", export.problems);
    let paths: Vec<&str> = export.files.iter().map(|f| f.path.as_str()).collect();
    for expected in [
        "models/analytics/blocks.sql",
        "models/analytics/blocks_report.sql",
        "models/analytics/ok.sql",
    ] {
        assert!(paths.contains(&expected), "{paths:#?}");
    }
    let warned: Vec<String> = export.warnings.iter().map(|d| d.to_string()).collect();
    assert_eq!(warned.len(), 2, "{warned:#?}");
    assert!(warned[0].contains("exported from its compiled SQL, unchecked"));
}

#[test]
fn statements_a_hook_runs_while_it_renders_are_exported_in_its_place() {
    // A package's pattern (dbt_project_evaluator fills its tables this way): the post-hook's
    // macro inserts rows through `statement` calls and renders to nothing.
    let e = engine(inline(&[
        (
            "dbt_project.yml",
            "name: hooks\nmodels:\n  hooks:\n    +materialized: table\n",
        ),
        (
            "macros/fill.sql",
            "{% macro fill(relation) %}{% if execute %}{% for i in range(2) %}{% call statement('fill') %}insert into {{ relation }} values ({{ i }}){% endcall %}{% endfor %}{% endif %}{% endmacro %}",
        ),
        (
            "models/numbers.sql",
            "{{ config(post_hook=\"{{ fill(this) }}\") }}\nselect cast(null as integer) as n where false",
        ),
    ]))
    .unwrap();
    let export = export_all(&e);
    let model = export
        .files
        .iter()
        .find(|f| f.path == "models/analytics/numbers.sql")
        .unwrap();
    let inserts: Vec<&str> = model
        .contents
        .lines()
        .filter(|l| l.starts_with("insert into"))
        .collect();
    assert_eq!(
        inserts,
        vec![
            "insert into \"dev\".\"analytics\".\"numbers\" values (0);",
            "insert into \"dev\".\"analytics\".\"numbers\" values (1);",
        ],
        "{}",
        model.contents
    );
}

#[test]
fn a_test_that_cannot_plan_is_reported_and_left_out_of_the_tests_file() {
    let e = engine(inline(&[
        ("dbt_project.yml", "name: broken_tests\n"),
        ("models/users.sql", "select 1 as id"),
        (
            "models/schema.yml",
            "version: 2\nmodels:\n  - name: users\n    columns:\n      - name: id\n        tests: [unique]\n      - name: subscriber_id\n        tests: [not_null]\n",
        ),
    ]))
    .unwrap();
    let export = export_all(&e);
    let problems: Vec<String> = export.problems.iter().map(|d| d.to_string()).collect();
    assert!(
        problems.len() == 1
            && problems[0].starts_with("models/schema.yml:8:")
            && problems[0].contains("subscriber_id"),
        "{problems:#?}"
    );
    let tests = &export
        .files
        .iter()
        .find(|f| f.path == "tests.sql")
        .unwrap()
        .contents;
    assert!(tests.contains("-- test unique_users_id"), "{tests}");
    assert!(!tests.contains("subscriber_id"), "{tests}");
    assert!(export.files.iter().any(|f| f.path.ends_with("/users.sql")));
}
