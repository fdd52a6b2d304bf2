//! The loader's part in unit tests: each is read with its file and scope as its properties
//! file is, and becomes a node once every model, seed, snapshot and source it could name is
//! known.

use std::sync::Arc;

use super::*;
use crate::project::unit_tests::{
    FixtureFiles, Given, Input, UnitTest, UnitTestYaml, read_fixture, read_overrides,
};

/// Which versions a unit test's `versions: {include: [...], exclude: [...]}` picks.
fn versions_picked(versions: Option<&serde_json::Value>) -> impl Fn(&str) -> bool {
    let list = |key: &str| -> Option<Vec<String>> {
        let v = versions?.get(key)?;
        Some(match v {
            serde_json::Value::Array(items) => items
                .iter()
                .map(crate::project::yaml::version_text)
                .collect(),
            other => vec![crate::project::yaml::version_text(other)],
        })
    };
    let include = list("include");
    let exclude = list("exclude").unwrap_or_default();
    move |v: &str| {
        include.as_ref().is_none_or(|i| i.iter().any(|x| x == v)) && !exclude.iter().any(|x| x == v)
    }
}

/// A unit test as read, with what its scope says about it.
pub(super) struct UnitTestEntry {
    file: String,
    package: String,
    folder: String,
    /// The folders between the resource path and the properties file, for its fqn and the
    /// `unit_tests:` configs of `dbt_project.yml`.
    folders: Vec<String>,
    test_paths: Vec<String>,
    /// What `dbt_project.yml` configures for it (`unit_tests:`), read in its own scope.
    base_config: Config,
    yaml: UnitTestYaml,
}

impl Loader<'_> {
    pub(super) fn unit_test_entry(&self, file: &str, yaml: UnitTestYaml) -> UnitTestEntry {
        let paths = &self.scope.paths;
        let root = paths
            .models
            .iter()
            .chain(&paths.seeds)
            .chain(&paths.snapshots)
            .chain(&paths.tests)
            .chain(&paths.macros)
            .find(|r| file.starts_with(&format!("{r}/")))
            .cloned()
            .unwrap_or_default();
        let dirs = folders(&root, file);
        let in_fqn: Vec<&str> = dirs
            .iter()
            .copied()
            .chain(std::iter::once(yaml.model.value.trim()))
            .collect();
        UnitTestEntry {
            file: file.to_string(),
            package: self.scope.package.clone(),
            folder: self.scope.folder.clone(),
            folders: dirs.iter().map(|d| d.to_string()).collect(),
            test_paths: paths.tests.clone(),
            base_config: self.base_config(NodeKind::UnitTest, &in_fqn, yaml.name.value.trim()),
            yaml,
        }
    }

    /// Turns every unit test read into a node, now that the nodes it names are known.
    pub(super) fn add_unit_tests(&mut self) {
        let refs = ByPackage::refs(self.project, |n| n.unique_id.clone());
        let sources = ByPackage::sources(self.project, |s| s.unique_id.clone());
        for entry in std::mem::take(&mut self.unit_tests) {
            match self.unit_test_node(&entry, &refs, &sources) {
                Ok(nodes) => {
                    for node in nodes {
                        if self.project.nodes.contains_key(&node.unique_id) {
                            self.diags.push(
                                Diagnostic::error(
                                    Code::UnitTest,
                                    node.location.clone(),
                                    format!(
                                        "two unit tests of model `{}` are named `{}`",
                                        entry.yaml.model.value, node.name
                                    ),
                                )
                                .with_source(&self.text(&entry.file))
                                .with_hint("a unit test's name must be unique among its model's"),
                            );
                        } else {
                            self.project.nodes.insert(node.unique_id.clone(), node);
                        }
                    }
                }
                Err(d) => {
                    let text = self.text(&d.location.file);
                    self.diags.push(d.with_source(&text));
                }
            }
        }
    }

    fn unit_test_node(
        &self,
        entry: &UnitTestEntry,
        refs: &ByPackage<String>,
        sources: &ByPackage<String>,
    ) -> Result<Vec<Node>, Diagnostic> {
        let y = &entry.yaml;
        let file = entry.file.as_str();
        let name = y.name.value.trim().to_string();
        let model_name = y.model.value.trim();
        let models: Vec<&Node> = self
            .project
            .nodes
            .values()
            .filter(|n| {
                n.kind == NodeKind::Model && n.name == model_name && n.package_name == entry.package
            })
            .collect();
        let model = models
            .iter()
            .find(|n| n.version.as_ref().is_none_or(|v| v.latest))
            .or(models.first())
            .copied()
            .ok_or_else(|| {
                let names: Vec<String> = self
                    .project
                    .nodes
                    .values()
                    .filter(|n| n.kind == NodeKind::Model && n.package_name == entry.package)
                    .map(|n| n.name.clone())
                    .collect();
                let d = Diagnostic::error(
                    Code::UnitTest,
                    yaml::location_of(file, &y.model),
                    format!("unit test `{name}` tests model `{model_name}`, which does not exist (or is disabled)"),
                );
                match suggest(model_name, names.iter()) {
                    Some(best) => d.with_hint(format!("did you mean `{best}`?")),
                    None => d,
                }
            })?;
        let fqn: Vec<String> = std::iter::once(entry.package.clone())
            .chain(entry.folders.iter().cloned())
            .chain([model.name.clone(), name.clone()])
            .collect();
        let mut config = entry.base_config.clone();
        let mut tree = y.config.clone();
        let ctx = self.parse_ctx(&name, &entry.package);
        let text = self.text(file);
        let problems = render_config_tree(&mut tree, file, self.templates, &text, &ctx);
        if let Some(first) = problems.into_iter().next() {
            return Err(first);
        }
        config.merge(&config_from_yaml(&tree, file));
        if !config.enabled() {
            return Ok(Vec::new());
        }
        let fixtures = FixtureFiles {
            files: self.files,
            test_paths: &entry.test_paths,
        };
        let mut given = Vec::new();
        for g in &y.given {
            let at = yaml::location_of(file, &g.input);
            let written = g.input.value.trim().to_string();
            let (input, unique_id) = if written == "this" {
                (Input::This, model.unique_id.clone())
            } else {
                self.unit_test_input(&written, &at, &entry.package, refs, sources)?
            };
            let fixture = read_fixture(
                file,
                g.rows.as_ref(),
                g.format.as_ref(),
                g.fixture.as_ref(),
                &at,
                &fixtures,
            )?;
            given.push(Given {
                input,
                written,
                unique_id,
                fixture,
                at,
            });
        }
        let expect = read_fixture(
            file,
            y.expect.value.rows.as_ref(),
            y.expect.value.format.as_ref(),
            y.expect.value.fixture.as_ref(),
            &yaml::location_of(file, &y.expect),
            &fixtures,
        )?;
        let overrides = read_overrides(file, y.overrides.as_ref());
        let original_file_path = file
            .strip_prefix(&format!("{}/", entry.folder))
            .filter(|_| !entry.folder.is_empty())
            .unwrap_or(file)
            .to_string();
        let base_id = format!("unit_test.{}.{}.{}", entry.package, model.name, name);
        // A versioned model has a unit test per version `versions:` picks (all by default),
        // as in dbt; `this` stands for each version in its own.
        let tested: Vec<&Node> = if model.version.is_some() {
            let picked = versions_picked(y.versions.as_ref().map(|v| &v.value));
            models
                .iter()
                .copied()
                .filter(|m| m.version.as_ref().is_some_and(|v| picked(&v.v)))
                .collect()
        } else {
            vec![model]
        };
        Ok(tested
            .into_iter()
            .map(|m| {
                let mut given = given.clone();
                for g in &mut given {
                    if g.input == Input::This {
                        g.unique_id.clone_from(&m.unique_id);
                    }
                }
                let unit = UnitTest {
                    model: m.unique_id.clone(),
                    given,
                    expect: expect.clone(),
                    overrides: overrides.clone(),
                    file: file.to_string(),
                };
                Node {
                    unique_id: match &m.version {
                        Some(v) => format!("{base_id}.v{}", v.v),
                        None => base_id.clone(),
                    },
                    name: name.clone(),
                    kind: NodeKind::UnitTest,
                    package_name: entry.package.clone(),
                    path: file.to_string(),
                    original_file_path: original_file_path.clone(),
                    fqn: fqn.clone(),
                    raw_sql: String::new(),
                    raw_start: (1, 1),
                    config: config.clone(),
                    materialization: Materialization::Unit,
                    description: y.description.clone().unwrap_or_default(),
                    columns: Vec::new(),
                    constraints: Vec::new(),
                    depends_on: vec![m.unique_id.clone()],
                    named_deps: Vec::new(),
                    parse_error: None,
                    generic_test: None,
                    unit_test: Some(Arc::new(unit)),
                    version: None,
                    deploy: Default::default(),
                    location: yaml::location_of(file, &y.name),
                    relation: m.relation.clone(),
                }
            })
            .collect())
    }

    /// What a `given:` entry's `input` names: `ref(...)` or `source(...)`, evaluated as dbt
    /// evaluates it, so that every spelling (`ref('pkg', 'm')`, double quotes) works.
    fn unit_test_input(
        &self,
        written: &str,
        at: &Location,
        package: &str,
        refs: &ByPackage<String>,
        sources: &ByPackage<String>,
    ) -> Result<(Input, String), Diagnostic> {
        let invalid = || {
            Diagnostic::error(
                Code::UnitTest,
                at.clone(),
                format!("`{written}` is not an input a unit test can give rows for"),
            )
            .with_hint("an input is ref('model'), source('source', 'table') or this")
        };
        if !(written.starts_with("ref(") || written.starts_with("source(")) {
            return Err(invalid());
        }
        let ctx = self.parse_ctx("unit test", package);
        self.templates.eval(written, &ctx).map_err(|e| {
            Diagnostic::error(Code::UnitTest, at.clone(), format!("`{written}`: {e}"))
        })?;
        let rec = ctx.take_recorded();
        match (rec.refs.as_slice(), rec.sources.as_slice()) {
            ([r], []) => {
                let id = refs
                    .find(package, r.package.as_deref(), &r.name)
                    .ok_or_else(|| {
                        let d = Diagnostic::error(
                            Code::UnitTest,
                            at.clone(),
                            format!("{written} names no model, seed or snapshot"),
                        );
                        match suggest(&r.name, refs.names()) {
                            Some(best) => d.with_hint(format!("did you mean `{best}`?")),
                            None => d,
                        }
                    })?;
                Ok((
                    Input::Ref {
                        package: r.package.clone(),
                        name: r.name.clone(),
                    },
                    id.clone(),
                ))
            }
            ([], [(source, table)]) => {
                let id = sources.find_source(package, source, table).ok_or_else(|| {
                    Diagnostic::error(
                        Code::UnitTest,
                        at.clone(),
                        format!("{written} is not declared"),
                    )
                    .with_hint("declare it under `sources:` in a YAML file")
                })?;
                Ok((
                    Input::Source {
                        source: source.clone(),
                        table: table.clone(),
                    },
                    id.clone(),
                ))
            }
            _ => Err(invalid()),
        }
    }
}
