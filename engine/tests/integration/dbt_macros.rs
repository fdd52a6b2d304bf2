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

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(repo_path("engine/tests/jinja/dbt_macros.txt")).unwrap();
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
    let cases = cases();
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
            .unwrap_or_else(|d| panic!("line {}: {d:#}", c.line));
        let expected = format!("select {} as v", c.sql);
        if compiled.trim() != expected {
            wrong.push(format!(
                "line {}: {compiled:?}\n   expected {expected:?}",
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
            wrong.push(format!("line {}: {got:?}, Redshift gives {want:?}", c.line));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn dispatch_prefers_the_projects_own_implementation() {
    let e = engine(inline(&[
        ("dbt_project.yml", "name: disp\n"),
        (
            "macros/overrides.sql",
            "{% macro redshift__dateadd(datepart, interval, from_date_or_timestamp) %}\
             dateadd({{ datepart }}, {{ interval }} * 2, {{ from_date_or_timestamp }})\
             {% endmacro %}\n\
             {% macro greeting() %}{{ return(adapter.dispatch('greeting', 'disp')()) }}{% endmacro %}\n\
             {% macro default__greeting() %}'hello'{% endmacro %}\n\
             {% macro postgres__greeting() %}'hi from postgres'{% endmacro %}\n\
             {% macro redshift__length(expression) %}octet_length({{ expression }}){% endmacro %}",
        ),
        (
            "models/shifted.sql",
            "select {{ dbt.dateadd('day', 1, \"'2024-05-01'::date\") }} as d, {{ greeting() }} as g, {{ dbt.length(\"'abc'\") }} as n",
        ),
    ]))
    .unwrap();
    let compiled = e.compile_sql("model.disp.shifted", false).unwrap();
    assert!(
        compiled.contains("dateadd(day, 1 * 2, '2024-05-01'::date)"),
        "{compiled}"
    );
    assert!(compiled.contains("'hi from postgres' as g"), "{compiled}");
    // dbt-redshift's own `redshift__length` gives way to the project's.
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
    let exported = block_on(modelplay_engine::export::export(&e, &[], &[])).unwrap();
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
        deploy.contains("\"dev\".\"marts\".\"fct_orders\""),
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
