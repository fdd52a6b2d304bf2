//! Node selection as dbt spells it: `stg_leads`, `+model`, `model+`, `2+model+1`, `@model`,
//! `tag:nightly`, `path:models/staging`, `source:crm+`, `resource_type:snapshot`,
//! `config.materialized:table`, globs (`stg_*`), unions (spaces) and intersections (commas);
//! with a previous manifest, `state:new`, `state:modified` and its `.body` and `.configs`.

use std::collections::HashSet;
use std::sync::LazyLock;

use indexmap::IndexSet;
use regex::Regex;

use crate::dag::Dag;
use crate::project::{NodeKind, Project};

static SPEC: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new(r"^(@)?(?:(\d*)\+)?([^+@]+?)(?:\+(\d*))?$"));

/// What a previous manifest says changed, for the `state:` method.
#[derive(Debug, Clone, Default)]
pub struct StateSets {
    /// Nodes the manifest does not have.
    pub new: HashSet<String>,
    /// Nodes whose SQL changed.
    pub body: HashSet<String>,
    /// Nodes whose config changed.
    pub configs: HashSet<String>,
}

/// Resolves `--select` and `--exclude` to unique ids. An empty selection means everything.
pub fn select(
    project: &Project,
    dag: &Dag,
    select: &[String],
    exclude: &[String],
) -> Result<IndexSet<String>, String> {
    select_in_state(project, dag, select, exclude, None)
}

/// `select`, with the `state:` method answered from a previous manifest.
pub fn select_in_state(
    project: &Project,
    dag: &Dag,
    select: &[String],
    exclude: &[String],
    state: Option<&StateSets>,
) -> Result<IndexSet<String>, String> {
    let ctx = Ctx {
        project,
        dag,
        state,
    };
    let mut chosen: IndexSet<String> = if select.iter().all(|s| s.trim().is_empty()) {
        project
            .sources
            .keys()
            .chain(project.nodes.keys())
            .cloned()
            .collect()
    } else {
        union_of(&ctx, select, false)?
    };
    if !exclude.is_empty() {
        // Leaving out what is not there is no mistake: `--exclude resource_type:test` on a
        // project without tests excludes nothing, as in dbt.
        let dropped = union_of(&ctx, exclude, true)?;
        chosen.retain(|id| !dropped.contains(id));
    }
    Ok(chosen)
}

/// What a selector is resolved against.
struct Ctx<'a> {
    project: &'a Project,
    dag: &'a Dag,
    state: Option<&'a StateSets>,
}

fn union_of(ctx: &Ctx, args: &[String], nothing_is_fine: bool) -> Result<IndexSet<String>, String> {
    let mut out = IndexSet::new();
    for arg in args {
        for term in arg.split_whitespace() {
            let mut acc: Option<IndexSet<String>> = None;
            for spec in term.split(',') {
                let set = one(ctx, spec)?;
                // A change deploy where nothing changed selects nothing, and says so elsewhere.
                let stateful = spec.trim_start_matches(['@', '+']).starts_with("state:");
                if set.is_empty() && !nothing_is_fine && !stateful {
                    return Err(format!(
                        "the selector `{spec}` matches nothing in this project"
                    ));
                }
                acc = Some(match acc {
                    None => set,
                    Some(prev) => prev.intersection(&set).cloned().collect(),
                });
            }
            out.extend(acc.unwrap_or_default());
        }
    }
    Ok(out)
}

fn one(ctx: &Ctx, spec: &str) -> Result<IndexSet<String>, String> {
    let dag = ctx.dag;
    let Ok(re) = &*SPEC else {
        return Err("selector syntax is unavailable".into());
    };
    let caps = re
        .captures(spec)
        .ok_or_else(|| format!("`{spec}` is not a selector dbt understands"))?;
    let at = caps.get(1).is_some();
    let parents = caps.get(2).map(|m| m.as_str().parse::<usize>().ok());
    let body = caps.get(3).map_or("", |m| m.as_str());
    let children = caps.get(4).map(|m| m.as_str().parse::<usize>().ok());
    let base = matches(ctx, body)?;
    let mut out: IndexSet<String> = base.iter().cloned().collect();
    for id in &base {
        if let Some(depth) = parents {
            out.extend(dag.ancestors(id, depth));
        }
        if let Some(depth) = children {
            out.extend(dag.descendants(id, depth));
        }
        if at {
            let down = dag.descendants(id, None);
            for d in &down {
                out.extend(dag.ancestors(d, None));
            }
            out.extend(down);
        }
    }
    Ok(out)
}

fn glob(pattern: &str, value: &str) -> bool {
    if !pattern.contains('*') && !pattern.contains('?') {
        return pattern == value;
    }
    let re = format!(
        "^{}$",
        regex::escape(pattern)
            .replace(r"\*", ".*")
            .replace(r"\?", ".")
    );
    Regex::new(&re).is_ok_and(|r| r.is_match(value))
}

/// The unique ids a single method:value selects.
fn matches(ctx: &Ctx, body: &str) -> Result<Vec<String>, String> {
    let project = ctx.project;
    let (method, value) = match body.split_once(':') {
        Some((m, v)) => (m, v),
        None if body.contains('/') || body.ends_with(".sql") => ("path", body),
        None => ("fqn", body),
    };
    let nodes = project.nodes.values();
    let out: Vec<String> = match method {
        "fqn" => {
            let parts: Vec<&str> = value.split('.').collect();
            nodes
                .filter(|n| {
                    let fqn = &n.fqn;
                    glob(value, &n.name)
                        // A project's or package's name selects all of it, as in dbt.
                        || (parts.len() == 1 && fqn.first().is_some_and(|p| p == value))
                        || (parts.len() > 1
                            && fqn.len() >= parts.len()
                            && (0..=fqn.len() - parts.len()).any(|s| {
                                parts.iter().enumerate().all(|(i, p)| glob(p, &fqn[s + i]))
                            }))
                })
                .map(|n| n.unique_id.clone())
                .collect()
        }
        "package" => nodes
            .filter(|n| glob(value, &n.package_name))
            .map(|n| n.unique_id.clone())
            .chain(
                project
                    .sources
                    .values()
                    .filter(|s| glob(value, &s.package_name))
                    .map(|s| s.unique_id.clone()),
            )
            .collect(),
        "tag" => nodes
            .filter(|n| n.config.tags().iter().any(|t| glob(value, t)))
            .map(|n| n.unique_id.clone())
            .collect(),
        "path" | "file" => {
            let v = value.trim_end_matches('/');
            nodes
                .filter(|n| {
                    n.path == v
                        || n.path.starts_with(&format!("{v}/"))
                        || glob(v, &n.path)
                        || (method == "file" && n.path.rsplit('/').next() == Some(v))
                })
                .map(|n| n.unique_id.clone())
                .collect()
        }
        "source" => {
            let (src, table) = value.split_once('.').unwrap_or((value, "*"));
            project
                .sources
                .values()
                .filter(|s| glob(src, &s.source_name) && glob(table, &s.name))
                .map(|s| s.unique_id.clone())
                .collect()
        }
        "resource_type" => {
            if value == "source" {
                project.sources.keys().cloned().collect()
            } else {
                nodes
                    .filter(|n| n.kind.as_str() == value)
                    .map(|n| n.unique_id.clone())
                    .collect()
            }
        }
        // `data` is every data test, generic or singular, as in dbt 1.8; `unit` the unit tests.
        "test_type" => nodes
            .filter(|n| match value {
                "unit" => n.kind == NodeKind::UnitTest,
                "data" => n.kind == NodeKind::Test,
                "generic" => n.kind == NodeKind::Test && n.generic_test.is_some(),
                "singular" => n.kind == NodeKind::Test && n.generic_test.is_none(),
                _ => false,
            })
            .map(|n| n.unique_id.clone())
            .collect(),
        "unit_test" => nodes
            .filter(|n| {
                n.kind == NodeKind::UnitTest
                    && (glob(value, &n.name) || glob(value, &n.fqn.join(".")))
            })
            .map(|n| n.unique_id.clone())
            .collect(),
        "test_name" => nodes
            .filter(|n| {
                n.generic_test
                    .as_ref()
                    .is_some_and(|g| glob(value, &g.test_name))
            })
            .map(|n| n.unique_id.clone())
            .collect(),
        "state" => {
            let Some(state) = ctx.state else {
                return Err(format!(
                    "`state:{value}` needs a previous manifest: pass --state path/to/manifest.json"
                ));
            };
            let sets: Vec<&HashSet<String>> = match value {
                "new" => vec![&state.new],
                "modified" => vec![&state.new, &state.body, &state.configs],
                "modified.body" => vec![&state.body],
                "modified.configs" => vec![&state.configs],
                other => {
                    return Err(format!(
                        "`state:{other}` is not a state modelplay knows (new, modified, modified.body, modified.configs)"
                    ));
                }
            };
            nodes
                .filter(|n| sets.iter().any(|s| s.contains(&n.unique_id)))
                .map(|n| n.unique_id.clone())
                .collect()
        }
        m if m.starts_with("config.") => {
            let key = &m["config.".len()..];
            nodes
                .filter(|n| {
                    let is_match = |s: &str| glob(value, s);
                    // `materialized` as dbt resolves it: a model without one is a view.
                    if key == "materialized" {
                        is_match(n.materialized().as_str())
                    } else {
                        n.config.selected_by(key, &is_match)
                    }
                })
                .map(|n| n.unique_id.clone())
                .collect()
        }
        other => {
            return Err(format!(
                "`{other}` is not a selector method modelplay knows (try tag:, path:, package:, source:, resource_type:, test_type:, unit_test:, state:, config.*:)"
            ));
        }
    };
    Ok(out)
}

/// Tests whose every tested node is selected (dbt's "eager" indirect selection picks a test
/// when any parent is selected; we follow that).
pub fn with_attached_tests(project: &Project, dag: &Dag, chosen: &mut IndexSet<String>) {
    let selected: HashSet<String> = chosen.iter().cloned().collect();
    for node in project.nodes.values() {
        if node.kind.is_test()
            && dag
                .parents(&node.unique_id)
                .iter()
                .any(|p| selected.contains(p))
        {
            chosen.insert(node.unique_id.clone());
        }
    }
}
