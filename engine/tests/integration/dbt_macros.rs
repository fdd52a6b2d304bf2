//! dbt's cross-database macros (`dbt.dateadd`, `type_string`, ...) and `adapter.dispatch`:
//! each case of `engine/tests/jinja/dbt_macros.txt` compiles to the SQL dbt-redshift renders,
//! builds, and gives Redshift's value.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;

struct Case {
    line: usize,
    expression: String,
    sql: String,
    value: Option<String>,
}

fn cases(file: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(repo_path(file)).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| {
            let parts: Vec<&str> = l.split(" => ").collect();
            assert!(
                (2..=3).contains(&parts.len()),
                "line {}: `expression => sql [=> value]`",
                i + 1
            );
            Case {
                line: i + 1,
                expression: parts[0].to_string(),
                sql: parts[1].to_string(),
                value: parts.get(2).map(|v| v.to_string()),
            }
        })
        .collect()
}

#[test]
fn cross_database_macros_render_and_run_as_on_redshift() {
    check_cases("engine/tests/jinja/dbt_macros.txt");
}

#[test]
fn pythons_re_and_datetime_work_as_dbts_modules() {
    check_cases("engine/tests/jinja/modules.txt");
}

/// Compiles, builds and reads back every case of a case file.
fn check_cases(file: &str) {
    let cases = cases(file);
    let mut files = vec![("dbt_project.yml".to_string(), "name: macros\n".to_string())];
    for c in &cases {
        files.push((
            format!("models/case_{}.sql", c.line),
            format!("select {} as v", c.expression),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, s)| (p.as_str(), s.as_str()))
        .collect();
    let mut e = engine(inline(&refs)).unwrap_or_else(|d| panic!("{d:#?}"));
    let mut wrong = Vec::new();
    for c in &cases {
        let compiled = e
            .compile_sql(&format!("model.macros.case_{}", c.line), false)
            .unwrap_or_else(|d| panic!("{file}:{}: {d:#}", c.line));
        let expected = format!("select {} as v", c.sql);
        if compiled.trim() != expected {
            wrong.push(format!(
                "{file}:{}: {compiled:?}\n   expected {expected:?}",
                c.line
            ));
        }
    }
    let results = build(&mut e);
    for r in results.results.iter().filter(|r| r.diagnostic.is_some()) {
        wrong.push(format!(
            "{}: {}",
            r.name,
            r.message.clone().unwrap_or_default()
        ));
    }
    for c in cases.iter().filter(|c| c.value.is_some()) {
        let got = rows(&mut e, &format!("select v from case_{}", c.line));
        let want = c.value.clone().unwrap();
        if got != vec![vec![want.clone()]] {
            wrong.push(format!(
                "{file}:{}: {got:?}, Redshift gives {want:?}",
                c.line
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

const OVERRIDES: &str = "{% macro redshift__dateadd(datepart, interval, from_date_or_timestamp) %}\
     dateadd({{ datepart }}, {{ interval }} * 2, {{ from_date_or_timestamp }})\
     {% endmacro %}\n\
     {% macro greeting() %}{{ return(adapter.dispatch('greeting', 'disp')()) }}{% endmacro %}\n\
     {% macro default__greeting() %}'hello'{% endmacro %}\n\
     {% macro postgres__greeting() %}'hi from postgres'{% endmacro %}\n\
     {% macro redshift__length(expression) %}octet_length({{ expression }}){% endmacro %}";

const SHIFTED: &str = "select {{ dbt.dateadd('day', 1, \"'2024-05-01'::date\") }} as d, {{ greeting() }} as g, {{ dbt.length(\"'abc'\") }} as n";

#[test]
fn dispatch_follows_dbts_search_order() {
    // Without a `dispatch:` config, dbt's own namespace is searched alone: the project's
    // `redshift__dateadd` does not replace dbt's.
    let e = engine(inline(&[
        ("dbt_project.yml", "name: disp\n"),
        ("macros/overrides.sql", OVERRIDES),
        ("models/shifted.sql", SHIFTED),
    ]))
    .unwrap();
    let compiled = e.compile_sql("model.disp.shifted", false).unwrap();
    assert!(
        compiled.contains("dateadd(day, 1, '2024-05-01'::date) as d"),
        "{compiled}"
    );
    assert!(compiled.contains("len('abc') as n"), "{compiled}");
    // Within its own namespace the most specific adapter prefix wins.
    assert!(compiled.contains("'hi from postgres' as g"), "{compiled}");

    // With `search_order: [disp, dbt]` the project's implementations come first.
    let e = engine(inline(&[
        (
            "dbt_project.yml",
            "name: disp\ndispatch:\n  - macro_namespace: dbt\n    search_order: ['disp', 'dbt']\n",
        ),
        ("macros/overrides.sql", OVERRIDES),
        ("models/shifted.sql", SHIFTED),
    ]))
    .unwrap();
    let compiled = e.compile_sql("model.disp.shifted", false).unwrap();
    assert!(
        compiled.contains("dateadd(day, 1 * 2, '2024-05-01'::date)"),
        "{compiled}"
    );
    assert!(compiled.contains("octet_length('abc') as n"), "{compiled}");

    // The node that calls it fails, where it calls it; the project still loads.
    let e = engine(inline(&[
        ("dbt_project.yml", "name: disp\n"),
        (
            "models/missing.sql",
            "select {{ adapter.dispatch('nothing_here', 'disp')() }} as x",
        ),
        ("models/fine.sql", "select 1 as x"),
    ]))
    .unwrap();
    let report = block_on(e.check());
    assert_eq!(report.errors(), 1, "{:#?}", report.diagnostics);
    let missing = report.diagnostics[0].clone();
    assert_eq!(
        (
            missing.location.file.as_str(),
            missing.location.line,
            missing.location.column
        ),
        ("models/missing.sql", 1, 18)
    );
    assert!(
        missing.message.contains(
            "none of redshift__nothing_here, postgres__nothing_here or default__nothing_here"
        ),
        "{missing:#}"
    );
}

#[test]
fn a_projects_own_naming_macros_name_what_builds_and_what_deploys() {
    let files = inline(&[
        (
            "dbt_project.yml",
            "name: names\nmodels:\n  names:\n    marts:\n      +schema: marts\n",
        ),
        (
            "macros/naming.sql",
            "{% macro generate_schema_name(custom_schema_name, node) -%}\n\
             {%- if custom_schema_name is none -%}{{ target.schema }}\n\
             {%- else -%}{{ custom_schema_name | trim }}{%- endif -%}\n\
             {%- endmacro %}\n\
             {% macro generate_alias_name(custom_alias_name=none, node=none) -%}\n\
             {%- if node.fqn[1] == 'marts' -%}{{ 'fct_' ~ node.name }}\n\
             {%- else -%}{{ dbt.generate_alias_name(custom_alias_name, node) }}{%- endif -%}\n\
             {%- endmacro %}",
        ),
        ("models/staging/stg_orders.sql", "select 1 as id"),
        (
            "models/marts/orders.sql",
            "select id from {{ ref('stg_orders') }}",
        ),
    ]);
    let mut e = engine(files.clone()).unwrap_or_else(|d| panic!("{d:#?}"));
    let relation =
        |e: &modelplay_engine::Engine, id: &str| e.project().nodes[id].relation.to_string();
    // Without the override the schema would be `analytics_marts`.
    assert_eq!(
        relation(&e, "model.names.orders"),
        "\"dev\".\"marts\".\"fct_orders\""
    );
    assert_eq!(
        relation(&e, "model.names.stg_orders"),
        "\"dev\".\"analytics\".\"stg_orders\""
    );
    let results = build(&mut e);
    assert!(results.success(), "{:#?}", results.results);
    assert_eq!(
        rows(&mut e, "select id from marts.fct_orders"),
        vec![vec!["1"]]
    );
    let exported = block_on(modelplay_engine::export::export(&e, &Default::default()))
        .unwrap()
        .files;
    let deploy = &exported
        .iter()
        .find(|f| f.path == "deploy.sql")
        .unwrap()
        .contents;
    assert!(
        deploy.contains("create schema if not exists \"marts\";"),
        "{deploy}"
    );
    assert!(
        deploy.contains("create view \"dev\".\"marts\".\"fct_orders__dbt_tmp\" as"),
        "{deploy}"
    );
    assert!(
        deploy.contains(
            "alter table \"dev\".\"marts\".\"fct_orders__dbt_tmp\" rename to fct_orders;"
        ),
        "{deploy}"
    );
}

#[test]
fn jinja_in_dbt_project_yml_configs_is_rendered_before_it_applies() {
    let e = engine(inline(&[
        (
            "dbt_project.yml",
            "name: rendered\nmodels:\n  rendered:\n    prod_only:\n      +enabled: \"{{ target.name == 'prod' }}\"\n    marts:\n      +schema: \"{{ 'mart' ~ 's' }}\"\n      +tags: [\"{{ target.name }}\", fixed]\n",
        ),
        ("models/prod_only/heavy.sql", "select 1 as id"),
        ("models/marts/orders.sql", "select 1 as id"),
    ]))
    .unwrap_or_else(|d| panic!("{d:#?}"));
    let nodes = &e.project().nodes;
    assert!(
        !nodes.contains_key("model.rendered.heavy"),
        "disabled outside prod"
    );
    let orders = &nodes["model.rendered.orders"];
    assert_eq!(orders.relation.schema, "analytics_marts");
    assert_eq!(
        orders.config.get("tags"),
        Some(&serde_json::json!(["dev", "fixed"]))
    );

    let broken = engine(inline(&[
        (
            "dbt_project.yml",
            "name: broken\nmodels:\n  broken:\n    +schema: \"{{ nope( }}\"\n",
        ),
        ("models/a.sql", "select 1 as id"),
    ]))
    .unwrap_err();
    assert_eq!(
        (broken[0].location.file.as_str(), broken[0].location.line),
        ("dbt_project.yml", 4),
        "{broken:#?}"
    );
}

/// A package as `dbt deps` leaves it in `dbt_packages/`: its own `dbt_project.yml` and macros,
/// one of them dispatched, one a generic test, one a helper its macros call unqualified.
fn with_package(extra: &[(&str, &str)]) -> modelplay_engine::ProjectFiles {
    let mut files = vec![
        (
            "dbt_packages/shop_utils/dbt_project.yml",
            "name: shop_utils\nversion: '1.0.0'\n",
        ),
        (
            "dbt_packages/shop_utils/macros/money.sql",
            "{% macro money(column) %}{{ return(adapter.dispatch('money', 'shop_utils')(column)) }}{% endmacro %}\n\
             {% macro default__money(column) %}round({{ _cents(column) }}, 2){% endmacro %}\n\
             {% macro _cents(column) %}{{ column }} / 100.0{% endmacro %}",
        ),
        (
            "dbt_packages/shop_utils/macros/tests.sql",
            "{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} <= 0{% endtest %}",
        ),
        ("dbt_packages/shop_utils/README.md", "not a project file"),
        ("seeds/payments.csv", "id,amount_cents\n1,250\n2,-5\n"),
        (
            "models/payments.sql",
            "select id, {{ shop_utils.money('amount_cents') }} as amount from {{ ref('payments') }}",
        ),
        (
            "models/schema.yml",
            "version: 2\nmodels:\n  - name: payments\n    columns:\n      - name: amount\n        tests:\n          - shop_utils.positive\n",
        ),
    ];
    files.extend_from_slice(extra);
    inline(&files)
}

#[test]
fn installed_packages_are_namespaced_and_dispatch_to_the_project_first() {
    let mut files = with_package(&[]);
    files.insert("dbt_project.yml", "name: shop\n");
    let mut e = engine(files.clone()).unwrap_or_else(|d| panic!("{d:#?}"));
    let compiled = e.compile_sql("model.shop.payments", false).unwrap();
    assert!(
        compiled.contains("round(amount_cents / 100.0, 2) as amount"),
        "{compiled}"
    );
    assert!(
        e.project().unused_files.is_empty(),
        "{:?}",
        e.project().unused_files
    );
    let results = build(&mut e);
    let test = results
        .results
        .iter()
        .find(|r| r.name.starts_with("shop_utils_positive"))
        .unwrap_or_else(|| panic!("{:#?}", results.results));
    assert_eq!(test.failures, Some(1), "{test:#?}");

    // For an installed package's namespace dbt looks in the root project first.
    files.insert(
        "macros/money.sql",
        "{% macro redshift__money(column) %}({{ column }})::decimal(12,2) / 100{% endmacro %}",
    );
    let e = engine(files).unwrap();
    let compiled = e.compile_sql("model.shop.payments", false).unwrap();
    assert!(
        compiled.contains("(amount_cents)::decimal(12,2) / 100 as amount"),
        "{compiled}"
    );
}

#[test]
fn templates_run_queries_on_the_engine_and_change_lists_and_dicts_in_place() {
    let mut e = engine(inline(&[
        ("dbt_project.yml", "name: pivot\n"),
        ("seeds/orders.csv", "id,status\n1,placed\n2,shipped\n3,placed\n"),
        (
            "macros/pivot.sql",
            "{% macro status_counts() %}\n\
               {% set statuses %}select distinct status from {{ ref('orders') }} order by status{% endset %}\n\
               {% set results = run_query(statuses) %}\n\
               {% set cols = [] %}\n\
               {% if execute %}{% for s in results.columns[0].values() %}\n\
                 {% do cols.append(\"count(case when status = '\" ~ s ~ \"' then 1 end) as \" ~ s) %}\n\
               {% endfor %}{% endif %}\n\
               {{ return(cols | join(', ')) }}\n\
             {% endmacro %}\n\
             {% macro first_id() %}\n\
               {% call statement('first', fetch_result=True) %}select min(id) from {{ ref('orders') }}{% endcall %}\n\
               {% set r = load_result('first') %}\n\
               {{ return(r['data'][0][0] if r else -1) }}\n\
             {% endmacro %}\n\
             {% macro labels() %}\n\
               {% set d = {} %}{% do d.update({'a': 'x'}) %}{% do d.setdefault('b', 'y') %}\n\
               {% set l = ['p'] %}{% do l.extend(['q', 'r']) %}{% do l.insert(0, 'o') %}{% do l.remove('q') %}\n\
               {% set by = {} %}{% do by.update({'k': []}) %}{% do by['k'].append('z') %}\n\
               {% set nested = {'n': [1]} %}{% do nested['n'].append(2) %}\n\
               {{ return(d['a'] ~ d['b'] ~ (l | join('')) ~ (by['k'] | join('')) ~ (nested['n'] | join(''))) }}\n\
             {% endmacro %}",
        ),
        (
            "models/order_status.sql",
            "select {{ status_counts() }}, {{ first_id() }} as first_id, '{{ labels() }}' as labels from {{ ref('orders') }}",
        ),
    ]))
    .unwrap_or_else(|d| panic!("{d:#?}"));
    let results = build(&mut e);
    assert!(results.success(), "{:#?}", results.results);
    assert_eq!(
        rows(
            &mut e,
            "select placed, shipped, first_id, labels from order_status"
        ),
        vec![vec!["2", "1", "1", "xyoprz12"]]
    );
}

#[test]
fn sql_made_from_a_query_over_a_model_waits_for_the_build() {
    // Before the build `statuses` is empty, so the pivot's select list is too: the check
    // says so as a warning, and the build, with `statuses` built, runs it.
    let mut e = engine(inline(&[
        ("dbt_project.yml", "name: late\n"),
        ("models/statuses.sql", "select 'placed' as s union all select 'shipped' as s"),
        (
            "models/pivot.sql",
            "{% set r = run_query('select s from ' ~ ref('statuses') ~ ' order by s') %}\n\
             {% set names = r.columns[0].values() if execute else [] %}\n\
             select {% for s in names %}'{{ s }}' as {{ s }}{% if not loop.last %}, {% endif %}{% endfor %}",
        ),
    ]))
    .unwrap();
    let report = block_on(e.check());
    assert_eq!(report.errors(), 0, "{:#?}", report.diagnostics);
    assert!(
        report.diagnostics.iter().any(|d| d
            .message
            .contains("the tables its template queries are still empty")),
        "{:#?}",
        report.diagnostics
    );
    let results = build(&mut e);
    assert!(results.success(), "{:#?}", results.results);
    assert_eq!(
        rows(&mut e, "select placed, shipped from pivot"),
        vec![vec!["placed", "shipped"]]
    );
}

#[test]
fn packages_listed_but_not_installed_are_named() {
    let e = engine(inline(&[
        ("dbt_project.yml", "name: deps\n"),
        (
            "packages.yml",
            "packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n",
        ),
        ("models/a.sql", "select 1 as id"),
    ]))
    .unwrap();
    let said: Vec<String> = e.warnings().iter().map(|d| format!("{d}")).collect();
    assert!(
        said.iter().any(|w| w
            .starts_with("packages.yml: warning[unsupported]: packages.yml lists 1 package(s)")),
        "{said:#?}"
    );
    // Installed, they are not mentioned.
    let mut files = with_package(&[]);
    files.insert("dbt_project.yml", "name: shop\n");
    files.insert("packages.yml", "packages:\n  - local: ../shop_utils\n");
    let e = engine(files).unwrap();
    assert!(
        !e.warnings()
            .iter()
            .any(|d| d.location.file == "packages.yml")
    );
}
