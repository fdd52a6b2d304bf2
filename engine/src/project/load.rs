//! Reads a project from its file map: `dbt_project.yml`, properties YAML, models, seeds,
//! snapshots, macros, singular tests and sample data, for the root project and each package
//! installed in `dbt_packages/`; renders every file once in dbt's parse phase to learn its
//! refs, sources and config.

use std::sync::{Arc, LazyLock};

use indexmap::IndexMap;
use md5::{Digest, Md5};
use regex::Regex;
use serde_json::Value as Json;
use serde_saphyr::Spanned;

use super::config::{self, config_from_json, config_from_yaml, folder_config};
use super::constraints::{Constraint, ConstraintYaml};
use super::lookup::{ByPackage, source_key};
use super::resolved::{self, Materialization};
use super::yaml::{self, ColumnYaml, DbtProjectYaml, NodeYaml, PropertiesYaml};
use super::yaml_tree::YamlTree;
use super::{
    ColumnDoc, Config, GenericTest, NamedDep, Node, NodeKind, Package, Project, ProjectHook,
    SourceLoad, SourceTable, Target,
};
use crate::data::loads::parse_load_path;
use crate::diagnostic::{Code, Diagnostic, Location, line_col};
use crate::files::ProjectFiles;
use crate::jinja::{self, ParseResolver, Phase, RenderCtx, Templates};
use crate::relation::Relation;

mod unit_tests;

/// What the caller decides about a load: where it builds, and the outside world's values.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub target: Target,
    /// `--vars`, overriding the project's.
    pub vars: IndexMap<String, Json>,
    /// The environment `env_var()` reads.
    pub env: IndexMap<String, String>,
}

/// A project with its Jinja environment, ready to compile.
#[derive(Debug, Clone)]
pub struct LoadedProject {
    pub project: Project,
    pub templates: Arc<Templates>,
    /// dbt's `graph` variable, built once for every render.
    pub graph: minijinja::Value,
}

static SNAPSHOT_BLOCK: LazyLock<Result<Regex, regex::Error>> = LazyLock::new(|| {
    Regex::new(
        r"(?s)\{%-?\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}(.*?)\{%-?\s*endsnapshot\s*-?%\}",
    )
});

/// Loads and parses a project. Every problem found is returned, not just the first.
pub fn load_project(
    files: ProjectFiles,
    options: &LoadOptions,
) -> Result<LoadedProject, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let Some(text) = files.text("dbt_project.yml") else {
        return Err(vec![
            Diagnostic::error(
                Code::Project,
                Location::file("dbt_project.yml"),
                "no dbt_project.yml at the root of the project",
            )
            .with_hint("point --project-dir at the folder that holds dbt_project.yml"),
        ]);
    };
    let mut dbt: DbtProjectYaml = yaml::parse("dbt_project.yml", &text).map_err(|d| vec![d])?;
    let name = dbt.name.value.clone();
    let paths = Paths::of(&dbt, "");

    let (packages, package_ymls): (Vec<Package>, Vec<DbtProjectYaml>) =
        installed_packages(&files)?.into_iter().unzip();
    let projects: Vec<String> = std::iter::once(name.clone())
        .chain(packages.iter().map(|p| p.name.clone()))
        .collect();
    let mut vars = vars_from(&dbt.vars, &name, &projects);
    vars.extend(options.vars.clone());
    let package_vars: IndexMap<String, IndexMap<String, Json>> = packages
        .iter()
        .zip(&package_ymls)
        .map(|(package, own)| {
            let mut v = vars_from(&own.vars, &package.name, &projects);
            v.extend(vars_from(&dbt.vars, &package.name, &projects));
            v.extend(options.vars.clone());
            (package.name.clone(), v)
        })
        .collect();

    let macro_files = collect_macros(&files, &paths);
    if let Some(d) = missing_packages(&files, &packages) {
        diags.push(d);
    }
    let dispatch: Vec<(String, Vec<String>)> = dbt
        .dispatch
        .iter()
        .map(|d| (d.macro_namespace.clone(), d.search_order.clone()))
        .collect();
    let package_macros: Vec<(String, Vec<(String, String)>)> = packages
        .iter()
        .map(|p| (p.name.clone(), p.macro_files.clone()))
        .collect();
    let templates = match Templates::new(&name, &macro_files, &package_macros, &dispatch) {
        Ok(t) => Arc::new(t),
        Err(errors) => return Err(errors),
    };
    // dbt runs the packages' hooks first, by package name, and the root project's last.
    let mut by_package: Vec<(&String, &DbtProjectYaml, String)> = packages
        .iter()
        .zip(&package_ymls)
        .map(|(p, own)| (&p.name, own, format!("{}/dbt_project.yml", p.folder)))
        .collect();
    by_package.sort_by(|a, b| a.0.cmp(b.0));
    by_package.push((&name, &dbt, "dbt_project.yml".to_string()));
    let (mut on_run_start, mut on_run_end) = (Vec::new(), Vec::new());
    for (package, yml, file) in &by_package {
        on_run_start.extend(project_hooks(package, file, &yml.on_run_start));
        on_run_end.extend(project_hooks(package, file, &yml.on_run_end));
    }
    diags.extend(render_project_configs(
        &mut dbt,
        "dbt_project.yml",
        &templates,
        &text,
        project_ctx(&options.target, &vars, &options.env),
    ));
    let mut scopes = vec![Scope {
        package: name.clone(),
        folder: String::new(),
        paths,
        own: None,
    }];
    for (package, mut own) in packages.iter().zip(package_ymls) {
        let file = format!("{}/dbt_project.yml", package.folder);
        let own_text = files.text(&file).unwrap_or_default();
        let own_vars = package_vars.get(&package.name).unwrap_or(&vars);
        diags.extend(render_project_configs(
            &mut own,
            &file,
            &templates,
            &own_text,
            project_ctx(&options.target, own_vars, &options.env),
        ));
        scopes.push(Scope {
            package: package.name.clone(),
            paths: Paths::of(&own, &package.folder),
            folder: package.folder.clone(),
            own: Some((file, own)),
        });
    }

    let mut project = Project {
        name: name.clone(),
        // A second handle on the same contents, so that the loader can locate configs while it
        // still reads the map.
        files: files.clone(),
        target: options.target.clone(),
        vars,
        package_vars,
        env: options.env.clone(),
        nodes: IndexMap::new(),
        sources: IndexMap::new(),
        macro_files,
        packages,
        warnings: Vec::new(),
        unused_files: Vec::new(),
        on_run_start,
        on_run_end,
    };
    let mut loader = Loader {
        files: &files,
        dbt: &dbt,
        scope: Scope::default(),
        templates: &templates,
        project: &mut project,
        diags: &mut diags,
        properties: Vec::new(),
        applied: 0,
        unit_tests: Vec::new(),
    };
    for scope in scopes {
        loader.scope = scope;
        loader.read_properties();
        loader.read_models();
        loader.read_seeds();
        loader.read_snapshots();
        loader.read_singular_tests();
        loader.apply_properties();
    }
    loader.read_sources();
    loader.name_relations();
    loader.type_configs();
    loader.resolve_dependencies();
    loader.add_unit_tests();
    loader.note_unused_files();
    if diags
        .iter()
        .any(|d| d.severity == crate::diagnostic::Severity::Error)
    {
        return Err(diags);
    }
    project.warnings.extend(diags);
    let graph = jinja::to_value(&crate::artifacts::graph(&project));
    Ok(LoadedProject {
        project,
        templates,
        graph,
    })
}

/// The vars a `dbt_project.yml` gives the nodes of `package`: its top-level vars, then those
/// it scopes to `package` (`vars: {package: {...}}`). A map under the name of another
/// project or package is that one's, not a var.
fn vars_from(vars: &Json, package: &str, projects: &[String]) -> IndexMap<String, Json> {
    let mut out = IndexMap::new();
    let Json::Object(map) = vars else {
        return out;
    };
    for (k, v) in map {
        if !(v.is_object() && projects.contains(k)) {
            out.insert(k.clone(), v.clone());
        }
    }
    if let Some(Json::Object(scoped)) = map.get(package) {
        out.extend(scoped.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    out
}

/// The statements of an `on-run-start` or `on-run-end` in `file`, declared by `package`.
fn project_hooks(package: &str, file: &str, hooks: &Option<Spanned<Json>>) -> Vec<ProjectHook> {
    let Some(hooks) = hooks else {
        return Vec::new();
    };
    let at = yaml::location_of(file, hooks);
    config::hooks_of(&hooks.value)
        .into_iter()
        .map(|sql| ProjectHook {
            sql,
            at: at.clone(),
            package: package.to_string(),
        })
        .collect()
}

/// dbt's node as macros such as `generate_schema_name` see it.
#[derive(serde::Serialize)]
struct NodeForMacros {
    name: String,
    resource_type: String,
    unique_id: String,
    package_name: String,
    path: String,
    original_file_path: String,
    fqn: Vec<String>,
    tags: Vec<String>,
    config: Config,
    version: Option<String>,
}

/// The `node` a naming macro receives: the fields of dbt's node that such macros read.
fn node_for_macros(node: &Node) -> NodeForMacros {
    NodeForMacros {
        name: node.name.clone(),
        resource_type: node.kind.as_str().to_string(),
        unique_id: node.unique_id.clone(),
        package_name: node.package_name.clone(),
        path: node.resource_path(),
        original_file_path: node.original_file_path.clone(),
        fqn: node.fqn.clone(),
        tags: node.config.tags(),
        config: node.config.clone(),
        version: node.version.as_ref().map(|v| v.v.clone()),
    }
}

/// Where a naming macro (`generate_schema_name`, ...) is defined: in the root project (or
/// dispatched from it), and in packages that define their own.
struct NamingMacros {
    root: Option<String>,
    packages: Vec<(String, String)>,
}

impl NamingMacros {
    /// The macro that names a node of `package`: the package's own, else the root
    /// project's; with the package to call it from (none for the root's global).
    fn for_package(&self, package: &str) -> Option<(Option<&str>, &str)> {
        match self.packages.iter().find(|(p, _)| p == package) {
            Some((p, file)) => Some((Some(p.as_str()), file.as_str())),
            None => self.root.as_deref().map(|file| (None, file)),
        }
    }
}

/// The render context of `dbt_project.yml`'s own Jinja: `target`, `var`, `env_var`.
fn project_ctx(
    target: &Target,
    vars: &IndexMap<String, Json>,
    env: &IndexMap<String, String>,
) -> Arc<RenderCtx> {
    let mut ctx = RenderCtx::new(
        Phase::Parse,
        "dbt_project",
        Arc::new(ParseResolver {
            target: target.clone(),
        }),
    );
    ctx.vars = Arc::new(vars.clone());
    ctx.env_vars = Arc::new(env.clone());
    ctx.target = Arc::new(target.clone());
    Arc::new(ctx)
}

/// dbt renders the Jinja in `dbt_project.yml`'s configs (`+enabled: "{{ target.name ==
/// 'prod' }}"`, `+schema: "{{ env_var('SCHEMA') }}"`) before it applies them.
fn render_project_configs(
    dbt: &mut DbtProjectYaml,
    file: &str,
    templates: &Templates,
    text: &str,
    ctx: Arc<RenderCtx>,
) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for tree in [
        &mut dbt.models,
        &mut dbt.seeds,
        &mut dbt.snapshots,
        &mut dbt.tests,
    ] {
        errors.extend(render_config_tree(tree, file, templates, text, &ctx));
    }
    errors
}

/// Renders the Jinja in a tree of configs (`dbt_project.yml`'s, or a properties file's
/// `config:`); a rendered `true` or `false` is a boolean, as dbt's native rendering makes
/// it. Hooks are left to be rendered when they run.
fn render_config_tree(
    tree: &mut YamlTree,
    file: &str,
    templates: &Templates,
    text: &str,
    ctx: &Arc<RenderCtx>,
) -> Vec<Diagnostic> {
    let mut render = |value: &str, (line, column): (usize, usize)| -> Result<Json, Diagnostic> {
        let at = Location::new(file, line, column);
        let rendered = templates
            .render(file, value, ctx)
            .map_err(|d| Diagnostic::error(Code::Jinja, at.clone(), d.message).with_source(text))?;
        let out = rendered.sql.trim();
        Ok(match out.to_ascii_lowercase().as_str() {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => Json::String(out.to_string()),
        })
    };
    tree.render_jinja(&mut render)
}

/// Where a project keeps each kind of resource, relative to the root project.
#[derive(Debug, Default)]
struct Paths {
    models: Vec<String>,
    seeds: Vec<String>,
    tests: Vec<String>,
    macros: Vec<String>,
    snapshots: Vec<String>,
}

impl Paths {
    /// The paths `dbt` (a `dbt_project.yml` in `folder`, "" for the root project) names.
    fn of(dbt: &DbtProjectYaml, folder: &str) -> Self {
        let or = |v: &Option<Vec<String>>, d: &str| {
            v.clone()
                .unwrap_or_else(|| vec![d.to_string()])
                .into_iter()
                .map(|p| {
                    let p = p.trim_matches('/');
                    if folder.is_empty() {
                        p.to_string()
                    } else {
                        format!("{folder}/{p}")
                    }
                })
                .collect()
        };
        Paths {
            models: or(&dbt.model_paths, "models"),
            seeds: or(&dbt.seed_paths, "seeds"),
            tests: or(&dbt.test_paths, "tests"),
            macros: or(&dbt.macro_paths, "macros"),
            snapshots: or(&dbt.snapshot_paths, "snapshots"),
        }
    }
}

/// The root project or one installed package, as the loader reads its resources.
#[derive(Debug, Default)]
struct Scope {
    /// Its name: its nodes' `package_name`.
    package: String,
    /// Its folder (`dbt_packages/x`), or "" for the root project.
    folder: String,
    paths: Paths,
    /// A package's own `dbt_project.yml` and its path: its configs come first, and the root
    /// project's override them.
    own: Option<(String, DbtProjectYaml)>,
}

fn files_with<'a>(
    files: &'a ProjectFiles,
    roots: &'a [String],
    exts: &'a [&'a str],
) -> impl Iterator<Item = (&'a str, &'a str, &'a [u8])> + 'a {
    roots.iter().flat_map(move |root| {
        files
            .under(root)
            .filter(move |(p, _)| exts.iter().any(|e| p.ends_with(e)))
            .map(move |(p, c)| (root.as_str(), p, c))
    })
}

/// The folder `dbt deps` installs packages into.
const PACKAGES_FOLDER: &str = "dbt_packages";

/// A `packages.yml` (or `dependencies.yml`) that lists packages none of which is installed:
/// their macros would be missing, so this is said once, at the file.
fn missing_packages(files: &ProjectFiles, installed: &[Package]) -> Option<Diagnostic> {
    if !installed.is_empty() {
        return None;
    }
    ["packages.yml", "dependencies.yml"].iter().find_map(|file| {
        let text = files.text(file)?;
        let listed: Json = serde_saphyr::from_str(&text).ok()?;
        let count = listed.get("packages")?.as_array()?.len();
        (count > 0).then(|| {
            Diagnostic::warning(
                Code::Unsupported,
                Location::file(*file),
                format!(
                    "{file} lists {count} package(s), and none is installed in {PACKAGES_FOLDER}/: their macros, models and tests are missing"
                ),
            )
            .with_hint(format!(
                "run `modelplay deps` (or `dbt deps`), then open the project with its {PACKAGES_FOLDER}/ folder"
            ))
        })
    })
}

/// The packages in `dbt_packages/`, each named by its own `dbt_project.yml`, with that file.
fn installed_packages(
    files: &ProjectFiles,
) -> Result<Vec<(Package, DbtProjectYaml)>, Vec<Diagnostic>> {
    let mut folders: Vec<String> = files
        .under(PACKAGES_FOLDER)
        .filter_map(|(p, _)| {
            let rest = p.strip_prefix(PACKAGES_FOLDER)?.trim_start_matches('/');
            let (folder, file) = rest.split_once('/')?;
            (file == "dbt_project.yml").then(|| format!("{PACKAGES_FOLDER}/{folder}"))
        })
        .collect();
    folders.sort();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for folder in folders {
        let path = format!("{folder}/dbt_project.yml");
        let text = files.text(&path).unwrap_or_default();
        let yml: DbtProjectYaml = match yaml::parse(&path, &text) {
            Ok(y) => y,
            Err(d) => {
                errors.push(d);
                continue;
            }
        };
        let macro_files = collect_macros(files, &Paths::of(&yml, &folder));
        out.push((
            Package {
                name: yml.name.value.clone(),
                folder,
                macro_files,
            },
            yml,
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn collect_macros(files: &ProjectFiles, paths: &Paths) -> Vec<(String, String)> {
    let generic: Vec<String> = paths.tests.iter().map(|t| format!("{t}/generic")).collect();
    files_with(files, &paths.macros, &[".sql"])
        .chain(files_with(files, &generic, &[".sql"]))
        .map(|(_, p, c)| {
            (
                p.to_string(),
                jinja::preprocess(&String::from_utf8_lossy(c)),
            )
        })
        .collect()
}

fn stem(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.rsplit_once('.').map_or(file, |(s, _)| s)
}

/// The folders between a resource root and the file: `models/staging/x.sql` → `["staging"]`.
fn folders<'a>(root: &str, path: &'a str) -> Vec<&'a str> {
    let rest = path
        .strip_prefix(root)
        .unwrap_or(path)
        .trim_start_matches('/');
    let mut parts: Vec<&str> = rest.split('/').collect();
    parts.pop();
    parts
}

struct PropertyEntry {
    file: String,
    kind: NodeKind,
    entry: NodeYaml,
}

struct Loader<'a> {
    files: &'a ProjectFiles,
    /// The root project's `dbt_project.yml`, whose configs apply to every package's nodes.
    dbt: &'a DbtProjectYaml,
    /// The project or package being read.
    scope: Scope,
    templates: &'a Arc<Templates>,
    project: &'a mut Project,
    diags: &'a mut Vec<Diagnostic>,
    properties: Vec<PropertyEntry>,
    /// How many of `properties` earlier scopes have applied.
    applied: usize,
    /// Unit tests as read, until every model they could test is known.
    unit_tests: Vec<unit_tests::UnitTestEntry>,
}

impl Loader<'_> {
    fn uid(&self, kind: NodeKind, name: &str) -> String {
        format!("{}.{}.{}", kind.as_str(), self.scope.package, name)
    }

    /// The config `dbt_project.yml` gives a node of the scope: a package's own configs,
    /// then the root project's, which override them.
    fn base_config(&self, kind: NodeKind, folders: &[&str], name: &str) -> Config {
        fn tree(dbt: &DbtProjectYaml, kind: NodeKind) -> &YamlTree {
            match kind {
                NodeKind::Model => &dbt.models,
                NodeKind::Seed => &dbt.seeds,
                NodeKind::Snapshot => &dbt.snapshots,
                NodeKind::Test | NodeKind::Source => &dbt.tests,
                NodeKind::UnitTest => &dbt.unit_tests,
            }
        }
        let package = &self.scope.package;
        let mut config = match &self.scope.own {
            Some((file, own)) => folder_config(tree(own, kind), file, package, folders, name),
            None => Config::default(),
        };
        config.merge(&folder_config(
            tree(self.dbt, kind),
            "dbt_project.yml",
            package,
            folders,
            name,
        ));
        config
    }

    /// The parse phase's context for a render in `package`, with the vars its nodes see.
    fn parse_ctx(&self, node_name: &str, package: &str) -> Arc<RenderCtx> {
        let mut ctx = RenderCtx::new(
            Phase::Parse,
            node_name,
            Arc::new(ParseResolver {
                target: self.project.target.clone(),
            }),
        );
        ctx.package = package.to_string();
        ctx.vars = Arc::new(self.project.vars_of(package).clone());
        ctx.env_vars = Arc::new(self.project.env.clone());
        ctx.target = Arc::new(self.project.target.clone());
        Arc::new(ctx)
    }

    /// A properties value with Jinja in it (`schema: "{{ env_var('RAW_SCHEMA', 'raw') }}"`),
    /// rendered as dbt renders it; a failure is reported at `at` and leaves the text as it is.
    fn render_property(&mut self, value: &str, file: &str, at: &Location) -> String {
        if !value.contains("{{") && !value.contains("{%") {
            return value.to_string();
        }
        let ctx = self.parse_ctx(file, &self.scope.package);
        match self.templates.render(file, value, &ctx) {
            Ok(r) => r.sql.trim().to_string(),
            Err(d) => {
                let d = Diagnostic::error(Code::Jinja, at.clone(), d.message)
                    .with_source(&self.text(file));
                self.diags.push(d);
                value.to_string()
            }
        }
    }

    fn read_properties(&mut self) {
        // dbt reads properties from every source path, the test paths included.
        let paths = &self.scope.paths;
        let roots: Vec<String> = paths
            .models
            .iter()
            .chain(&paths.seeds)
            .chain(&paths.snapshots)
            .chain(&paths.macros)
            .chain(&paths.tests)
            .cloned()
            .collect();
        let mut seen = std::collections::HashSet::new();
        let found: Vec<(String, String)> = files_with(self.files, &roots, &[".yml", ".yaml"])
            .filter(|(_, p, _)| seen.insert(p.to_string()))
            .map(|(_, p, c)| (p.to_string(), String::from_utf8_lossy(c).into_owned()))
            .collect();
        for (path, text) in found {
            match yaml::parse::<Option<PropertiesYaml>>(&path, &text) {
                Ok(Some(props)) => self.take_properties(&path, props),
                Ok(None) => {}
                Err(d) => self.diags.push(d),
            }
        }
    }

    fn take_properties(&mut self, file: &str, props: PropertiesYaml) {
        for yaml in props.unit_tests {
            self.unit_tests.push(self.unit_test_entry(file, yaml));
        }
        for (kind, entries) in [
            (NodeKind::Model, props.models),
            (NodeKind::Seed, props.seeds),
            (NodeKind::Snapshot, props.snapshots),
        ] {
            for entry in entries {
                self.properties.push(PropertyEntry {
                    file: file.to_string(),
                    kind,
                    entry,
                });
            }
        }
        for source in props.sources {
            let source_name = source.name.value.clone();
            let location = yaml::location_of(file, &source.name);
            let schema = match &source.schema {
                Some(s) => self.render_property(s, file, &location),
                None => source_name.clone(),
            };
            let database = match &source.database {
                Some(d) => self.render_property(d, file, &location),
                None => self.project.target.database.clone(),
            };
            for table in source.tables {
                let table_name = table.name.value.clone();
                let unique_id = format!(
                    "source.{}.{}.{}",
                    self.scope.package, source_name, table_name
                );
                let location = yaml::location_of(file, &table.name);
                let identifier = match &table.identifier {
                    Some(i) => self.render_property(i, file, &location),
                    None => table_name.clone(),
                };
                let mut freshness = source.freshness.clone();
                if !table.freshness.is_null() {
                    freshness = table.freshness.clone();
                }
                let st = SourceTable {
                    unique_id: unique_id.clone(),
                    package_name: self.scope.package.clone(),
                    source_name: source_name.clone(),
                    name: table_name.clone(),
                    relation: Relation::new(&database, &schema, &identifier),
                    loaded_at_field: table
                        .loaded_at_field
                        .clone()
                        .or_else(|| source.loaded_at_field.clone()),
                    freshness,
                    description: table.description.clone().unwrap_or_default(),
                    source_description: source.description.clone().unwrap_or_default(),
                    columns: column_docs(file, &table.columns),
                    loads: Vec::new(),
                    location,
                };
                if self.project.sources.contains_key(&unique_id) {
                    self.diags.push(
                        Diagnostic::error(
                            Code::Project,
                            yaml::location_of(file, &table.name),
                            format!("source {source_name}.{table_name} is defined twice"),
                        )
                        .with_source(&self.text(file)),
                    );
                    continue;
                }
                self.project.sources.insert(unique_id.clone(), st);
                let tests = table.tests.iter().chain(&table.data_tests);
                for t in tests {
                    self.add_generic_test(file, &unique_id, &table_name, None, t, true);
                }
                for col in &table.columns {
                    for t in col.tests.iter().chain(&col.data_tests) {
                        self.add_generic_test(
                            file,
                            &unique_id,
                            &table_name,
                            Some(&col.name.value),
                            t,
                            true,
                        );
                    }
                }
            }
        }
    }

    fn text(&self, path: &str) -> String {
        self.files.text(path).unwrap_or_default()
    }

    fn read_sources(&mut self) {
        let mut loads: Vec<(String, String, String, String)> = Vec::new();
        for (path, _) in self.files.under("data") {
            match parse_load_path(path) {
                Some(Ok(load)) => loads.push(load),
                Some(Err(d)) => self.diags.push(d),
                None => {}
            }
        }
        // Sample data belongs to the root project's source of that name, else a package's.
        let by_name = ByPackage::sources(self.project, |s| s.unique_id.clone());
        for (source, table, path, loaded_at) in loads {
            let id = by_name
                .find_source(&self.project.name, &source, &table)
                .cloned()
                .unwrap_or_default();
            match self.project.sources.get_mut(&id) {
                Some(st) => st.loads.push(SourceLoad { path, loaded_at }),
                None => self.diags.push(
                    Diagnostic::warning(
                        Code::Data,
                        Location::file(&path),
                        format!("sample data for {source}.{table}, which no sources YAML declares"),
                    )
                    .with_hint(format!(
                        "add table `{table}` under source `{source}` in a sources YAML file"
                    )),
                ),
            }
        }
        for st in self.project.sources.values_mut() {
            st.loads.sort_by(|a, b| a.loaded_at.cmp(&b.loaded_at));
        }
    }

    fn add_node(&mut self, mut node: Node) {
        let dup = self
            .project
            .nodes
            .values()
            .find(|n| {
                n.name == node.name
                    && n.kind == node.kind
                    && n.package_name == node.package_name
                    && !node.kind.is_test()
            })
            .map(|n| n.path.clone());
        if let Some(other) = dup {
            self.diags.push(
                Diagnostic::error(
                    Code::Project,
                    Location::file(&node.path),
                    format!(
                        "two {}s are named `{}`: {} and {}",
                        node.kind.as_str(),
                        node.name,
                        other,
                        node.path
                    ),
                )
                .with_hint("dbt needs node names to be unique; rename one of the files"),
            );
            return;
        }
        if node.unique_id.is_empty() {
            node.unique_id = self.uid(node.kind, &node.name);
        }
        self.project.nodes.insert(node.unique_id.clone(), node);
    }

    /// A node of the scope from `path`, which lies in `folders` below its resource path.
    fn new_node(
        &self,
        kind: NodeKind,
        name: &str,
        path: &str,
        folders: &[&str],
        raw: String,
    ) -> Node {
        let original_file_path = path
            .strip_prefix(&format!("{}/", self.scope.folder))
            .filter(|_| !self.scope.folder.is_empty())
            .unwrap_or(path)
            .to_string();
        let fqn = std::iter::once(self.scope.package.as_str())
            .chain(folders.iter().copied())
            .chain(std::iter::once(name))
            .map(str::to_string)
            .collect();
        Node {
            unique_id: self.uid(kind, name),
            name: name.to_string(),
            kind,
            package_name: self.scope.package.clone(),
            path: path.to_string(),
            original_file_path,
            fqn,
            raw_sql: raw,
            raw_start: (1, 1),
            config: Config::default(),
            materialization: Materialization::Invalid(Vec::new()),
            description: String::new(),
            columns: Vec::new(),
            constraints: Vec::new(),
            depends_on: Vec::new(),
            named_deps: Vec::new(),
            parse_error: None,
            generic_test: None,
            unit_test: None,
            version: None,
            deploy: Default::default(),
            location: Location::file(path),
            relation: Relation::new("", "", name),
        }
    }

    /// Renders a file in the parse phase; records its refs, sources and config.
    fn parse_render(&mut self, node: &mut Node, base_config: Config) {
        let ctx = self.parse_ctx(&node.name, &node.package_name);
        let padded = pad_to(&node.raw_sql, node.raw_start);
        match self
            .templates
            .render_parse(&node.path, &jinja::mutable_source(&padded), &ctx)
        {
            Ok(()) => {}
            // The node fails with it; the rest of the project still loads, checks and builds.
            Err(d) => {
                let d = if d.location.file == node.path {
                    d.with_source(&self.text(&node.path))
                } else {
                    d
                };
                node.parse_error = Some(d);
            }
        }
        let rec = ctx.take_recorded();
        let mut config = base_config;
        let mut from_call = rec.config;
        // The call recorded each key at the template it ran in; find the key the user wrote.
        let keys = crate::jinja::config_calls::config_keys(&padded);
        let full_text = self.text(&node.path);
        from_call.relocate(|key| {
            // `post_hook=` in a call is the config `post-hook`.
            let found = keys
                .iter()
                .rev()
                .find(|(k, _)| k == key || k.replace('_', "-") == key);
            Some(match found {
                Some((_, offset)) => {
                    let (line, column) = line_col(&full_text, *offset);
                    Location::new(&node.path, line, column)
                }
                None => Location::file(&node.path),
            })
        });
        config.merge(&from_call);
        node.config = config;
        node.named_deps = rec
            .refs
            .iter()
            .map(|r| NamedDep::Ref {
                package: r.package.clone(),
                name: r.name.clone(),
            })
            .chain(rec.sources.iter().map(|(s, t)| NamedDep::Source {
                source: s.clone(),
                table: t.clone(),
            }))
            .collect();
    }

    fn read_models(&mut self) {
        let found: Vec<(String, String, String)> =
            files_with(self.files, &self.scope.paths.models, &[".sql"])
                .map(|(root, p, c)| {
                    (
                        root.to_string(),
                        p.to_string(),
                        String::from_utf8_lossy(c).into_owned(),
                    )
                })
                .collect();
        for (root, path, raw) in found {
            let name = stem(&path).to_string();
            let dirs = folders(&root, &path);
            let mut node = self.new_node(NodeKind::Model, &name, &path, &dirs, raw);
            let base = self.base_config(NodeKind::Model, &dirs, &name);
            self.parse_render(&mut node, base);
            if node.config.enabled() {
                self.add_node(node);
            }
        }
    }

    fn read_seeds(&mut self) {
        let found: Vec<(String, String)> =
            files_with(self.files, &self.scope.paths.seeds, &[".csv"])
                .map(|(root, p, _)| (root.to_string(), p.to_string()))
                .collect();
        for (root, path) in found {
            let name = stem(&path).to_string();
            let dirs = folders(&root, &path);
            let mut node = self.new_node(NodeKind::Seed, &name, &path, &dirs, String::new());
            node.config = self.base_config(NodeKind::Seed, &dirs, &name);
            if node.config.enabled() {
                self.add_node(node);
            }
        }
    }

    fn read_snapshots(&mut self) {
        let Ok(block) = &*SNAPSHOT_BLOCK else {
            return;
        };
        let found: Vec<(String, String, String)> =
            files_with(self.files, &self.scope.paths.snapshots, &[".sql"])
                .map(|(root, p, c)| {
                    (
                        root.to_string(),
                        p.to_string(),
                        String::from_utf8_lossy(c).into_owned(),
                    )
                })
                .collect();
        for (root, path, text) in found {
            let dirs = folders(&root, &path);
            let mut any = false;
            for caps in block.captures_iter(&text) {
                let (Some(name), Some(body)) = (caps.get(1), caps.get(2)) else {
                    continue;
                };
                any = true;
                let mut node = self.new_node(
                    NodeKind::Snapshot,
                    name.as_str(),
                    &path,
                    &dirs,
                    body.as_str().to_string(),
                );
                node.raw_start = line_col(&text, body.start());
                let base = self.base_config(NodeKind::Snapshot, &dirs, name.as_str());
                self.parse_render(&mut node, base);
                if node.config.enabled() {
                    self.add_node(node);
                }
            }
            if !any {
                self.diags.push(
                    Diagnostic::error(Code::Project,
                        Location::new(&path, 1, 1),
                        "a snapshot file must hold a `{% snapshot name %} ... {% endsnapshot %}` block",
                    )
                    .with_source(&text),
                );
            }
        }
    }

    fn read_singular_tests(&mut self) {
        let found: Vec<(String, String, String)> =
            files_with(self.files, &self.scope.paths.tests, &[".sql"])
                // Generic tests and unit test fixtures live in the test paths too.
                .filter(|(root, p, _)| {
                    !p.starts_with(&format!("{root}/generic/"))
                        && !p.starts_with(&format!("{root}/fixtures/"))
                })
                .map(|(root, p, c)| {
                    (
                        root.to_string(),
                        p.to_string(),
                        String::from_utf8_lossy(c).into_owned(),
                    )
                })
                .collect();
        for (root, path, raw) in found {
            let name = stem(&path).to_string();
            let dirs = folders(&root, &path);
            let mut node = self.new_node(NodeKind::Test, &name, &path, &dirs, raw);
            let base = self.base_config(NodeKind::Test, &[], &name);
            self.parse_render(&mut node, base);
            if node.config.enabled() {
                self.add_node(node);
            }
        }
    }

    /// Applies the scope's YAML properties (descriptions, columns, config, tests) to its
    /// nodes.
    fn apply_properties(&mut self) {
        let entries = std::mem::take(&mut self.properties);
        for PropertyEntry { file, kind, entry } in &entries[self.applied..] {
            if *kind == NodeKind::Model && !entry.versions.is_empty() {
                self.apply_versions(file, entry);
                continue;
            }
            let uid = self.uid(*kind, &entry.name.value);
            if !self.project.nodes.contains_key(&uid) {
                self.diags.push(
                    Diagnostic::warning(
                        Code::Project,
                        yaml::location_of(file, &entry.name),
                        format!(
                            "properties for {} `{}`, but no such {} exists (or it is disabled)",
                            kind.as_str(),
                            entry.name.value,
                            kind.as_str()
                        ),
                    )
                    .with_source(&self.text(file)),
                );
                continue;
            }
            let columns: Vec<&ColumnYaml> = entry.columns.iter().collect();
            let tests: Vec<&Spanned<Json>> = entry.tests.iter().chain(&entry.data_tests).collect();
            let constraints: Vec<&ConstraintYaml> = entry.constraints.iter().collect();
            let properties = Properties {
                description: entry.description.clone(),
                configs: &[&entry.config],
                columns: &columns,
                constraints: &constraints,
                tests: &tests,
            };
            self.apply_entry(file, &uid, &entry.name.value, properties);
        }
        self.applied = entries.len();
        self.properties = entries;
    }

    /// A node's YAML properties: description, columns and constraints, the config blocks
    /// (the later over the earlier) and the tests, named after `target` as dbt names them.
    fn apply_entry(&mut self, file: &str, uid: &str, target: &str, properties: Properties) {
        let Properties {
            description,
            configs,
            columns,
            constraints,
            tests,
        } = properties;
        // dbt renders a properties file's configs as it parses the file.
        let ctx = self.parse_ctx(target, &self.scope.package);
        let text = self.text(file);
        let mut yaml_config = Config::default();
        for config in configs {
            let mut tree = (*config).clone();
            let problems = render_config_tree(&mut tree, file, self.templates, &text, &ctx);
            self.diags.extend(problems);
            yaml_config.merge(&config_from_yaml(&tree, file));
        }
        let mut typed = |entries: &[&ConstraintYaml]| -> Vec<Constraint> {
            entries
                .iter()
                .filter_map(|c| {
                    Constraint::from_yaml(file, c)
                        .map_err(|d| self.diags.push(d.with_source(&text)))
                        .ok()
                })
                .collect()
        };
        let column_docs: Vec<ColumnDoc> = columns
            .iter()
            .map(|c| ColumnDoc {
                name: c.name.value.clone(),
                description: c.description.clone().unwrap_or_default(),
                data_type: c.data_type.clone(),
                constraints: typed(&c.constraints.iter().collect::<Vec<_>>()),
                quote: c.quote.unwrap_or(false),
                at: yaml::location_of(file, &c.name),
            })
            .collect();
        let model_constraints = typed(constraints);
        let Some(node) = self.project.nodes.get_mut(uid) else {
            return;
        };
        node.description = description.unwrap_or_default();
        node.columns = column_docs;
        node.constraints = model_constraints;
        // YAML config sits between the folder level and the file's own config() call.
        let file_config = node.config.clone();
        yaml_config.retain(|k| !file_config.contains(k) || k == "tags");
        node.config.merge(&yaml_config);
        for t in tests {
            self.add_generic_test(file, uid, target, None, t, false);
        }
        for col in columns {
            for t in col.tests.iter().chain(&col.data_tests) {
                self.add_generic_test(file, uid, target, Some(&col.name.value), t, false);
            }
        }
    }

    /// A versioned model's properties: each version is the model built from its own file
    /// (`<name>_v<v>.sql`, or `defined_in`), named `<name>` with its version, its table
    /// `<name>_v<v>`; `ref('<name>')` finds the latest (`latest_version`, else the greatest).
    fn apply_versions(&mut self, file: &str, entry: &NodeYaml) {
        let name = entry.name.value.clone();
        let versions: Vec<String> = entry
            .versions
            .iter()
            .map(|v| yaml::version_text(&v.v.value))
            .collect();
        let latest = entry
            .latest_version
            .as_ref()
            .map(|l| yaml::version_text(&l.value))
            .or_else(|| {
                versions
                    .iter()
                    .max_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
                        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
                        _ => a.cmp(b),
                    })
                    .cloned()
            });
        let text = self.text(file);
        for (v, version) in entry.versions.iter().zip(&versions) {
            let stem = v
                .defined_in
                .clone()
                .unwrap_or_else(|| format!("{name}_v{version}"));
            let Some(mut node) = self
                .project
                .nodes
                .shift_remove(&self.uid(NodeKind::Model, &stem))
            else {
                self.diags.push(
                    Diagnostic::error(
                        Code::Project,
                        yaml::location_of(file, &v.v),
                        format!("version {version} of model `{name}` has no file `{stem}.sql`"),
                    )
                    .with_source(&text)
                    .with_hint(format!(
                        "add {stem}.sql beside the model's other versions, or name its file with `defined_in`"
                    )),
                );
                continue;
            };
            let uid = format!("model.{}.{name}.v{version}", self.scope.package);
            node.name = name.clone();
            node.unique_id = uid.clone();
            node.version = Some(super::ModelVersion {
                v: version.clone(),
                latest: latest.as_deref() == Some(version.as_str()),
            });
            if let Some(last) = node.fqn.last_mut() {
                last.clone_from(&name);
            }
            node.fqn.push(format!("v{version}"));
            self.project.nodes.insert(uid.clone(), node);
            let columns = self.version_columns(file, entry, v);
            let tests: Vec<&Spanned<Json>> = entry
                .tests
                .iter()
                .chain(&entry.data_tests)
                .chain(&v.tests)
                .chain(&v.data_tests)
                .collect();
            // A version's own constraints replace the model's, as its columns do.
            let constraints: Vec<&ConstraintYaml> = if v.constraints.is_empty() {
                entry.constraints.iter().collect()
            } else {
                v.constraints.iter().collect()
            };
            let properties = Properties {
                description: v.description.clone().or_else(|| entry.description.clone()),
                configs: &[&entry.config, &v.config],
                columns: &columns,
                constraints: &constraints,
                tests: &tests,
            };
            self.apply_entry(file, &uid, &format!("{name}_v{version}"), properties);
        }
    }

    /// A version's columns: the model's, or those its `include`/`exclude` entry keeps. A
    /// column a version declares itself is documented by dbt but not tested here: said so.
    fn version_columns<'e>(
        &mut self,
        file: &str,
        entry: &'e NodeYaml,
        v: &yaml::VersionYaml,
    ) -> Vec<&'e ColumnYaml> {
        if v.columns.is_empty() {
            return entry.columns.iter().collect();
        }
        let mut keep: Vec<&ColumnYaml> = Vec::new();
        for c in &v.columns {
            let Some(map) = c.as_object() else { continue };
            if map.contains_key("include") || map.contains_key("exclude") {
                let names = |key: &str| -> Option<Vec<String>> {
                    match map.get(key)? {
                        Json::String(s) if s == "all" || s == "*" => None,
                        Json::Array(items) => Some(
                            items
                                .iter()
                                .filter_map(|i| i.as_str().map(str::to_lowercase))
                                .collect(),
                        ),
                        Json::String(s) => Some(vec![s.to_lowercase()]),
                        _ => None,
                    }
                };
                let include = names("include");
                let exclude = names("exclude").unwrap_or_default();
                keep.extend(entry.columns.iter().filter(|col| {
                    let n = col.name.value.to_lowercase();
                    include.as_ref().is_none_or(|i| i.contains(&n)) && !exclude.contains(&n)
                }));
            } else if map.contains_key("tests") || map.contains_key("data_tests") {
                let col = map.get("name").and_then(Json::as_str).unwrap_or_default();
                self.diags.push(
                    Diagnostic::warning(
                        Code::Unsupported,
                        yaml::location_of(file, &v.v),
                        format!(
                            "the tests of column `{col}`, declared under one version of `{}`, are not run: modelplay runs a versioned model's tests from its model-level columns",
                            entry.name.value
                        ),
                    )
                    .with_source(&self.text(file)),
                );
            }
        }
        keep
    }

    /// Every config, typed once; a bad value fails its node, not the project.
    fn type_configs(&mut self) {
        let files = self.files;
        for node in self.project.nodes.values_mut() {
            (node.materialization, node.deploy) = resolved::resolve(node, &|path| files.text(path));
        }
    }

    /// Each node's relation, as dbt names it: the schema through `generate_schema_name`,
    /// the identifier through `generate_alias_name`, the database through
    /// `generate_database_name`. A project that defines its own (or a dispatched
    /// `default__`/`redshift__` one) has that macro called, with the node, as dbt does.
    /// A package's own `generate_schema_name` (or alias, or database) names that package's
    /// nodes, before the root project's, as in dbt.
    fn name_relations(&mut self) {
        let target = self.project.target.clone();
        let defines = |files: &[(String, String)], names: &[String]| {
            files
                .iter()
                .find(|(_, src)| jinja::macro_names(src).iter().any(|n| names.contains(n)))
                .map(|(path, _)| path.clone())
        };
        let owned = |name: &str| -> NamingMacros {
            let names = [
                name.to_string(),
                format!("default__{name}"),
                format!("redshift__{name}"),
                format!("postgres__{name}"),
            ];
            NamingMacros {
                root: defines(&self.project.macro_files, &names),
                packages: self
                    .project
                    .packages
                    .iter()
                    .filter_map(|p| {
                        let file = defines(&p.macro_files, &names[..1])?;
                        Some((p.name.clone(), file))
                    })
                    .collect(),
            }
        };
        let schema_macro = owned("generate_schema_name");
        let alias_macro = owned("generate_alias_name");
        let database_macro = owned("generate_database_name");
        let mut named = Vec::new();
        let mut problems = Vec::new();
        for node in self.project.nodes.values() {
            // A snapshot's `target_schema` is the schema itself (dbt's older snapshot configs).
            let target_schema = (node.kind == NodeKind::Snapshot)
                .then(|| node.config.str("target_schema"))
                .flatten();
            let custom_schema = node.config.str("schema");
            let mut call =
                |macros: &NamingMacros, name: &str, custom: Option<&str>, default: String| {
                    match macros.for_package(&node.package_name) {
                        Some((package, file)) => self
                            .naming_macro(file, package, name, custom, node)
                            .unwrap_or_else(|d| {
                                problems.push(d);
                                default
                            }),
                        None => default,
                    }
                };
            let schema = match target_schema {
                Some(s) => s.to_string(),
                None => call(
                    &schema_macro,
                    "generate_schema_name",
                    custom_schema,
                    match custom_schema {
                        Some(custom) => format!("{}_{}", target.schema, custom.trim()),
                        None => target.schema.clone(),
                    },
                ),
            };
            let custom_database = node.config.str("database");
            let database = call(
                &database_macro,
                "generate_database_name",
                custom_database,
                custom_database.map_or(target.database.clone(), |d| d.trim().to_string()),
            );
            let custom_alias = node.config.str("alias");
            // A version's table is `<name>_v<version>` unless an alias says otherwise.
            let default_alias = match &node.version {
                Some(v) => format!("{}_v{}", node.name, v.v.replace('.', "_")),
                None => node.name.clone(),
            };
            let identifier = call(
                &alias_macro,
                "generate_alias_name",
                custom_alias,
                custom_alias.map_or(default_alias, |a| a.trim().to_string()),
            );
            named.push((
                node.unique_id.clone(),
                Relation::new(&database, &schema, &identifier),
            ));
        }
        self.diags.extend(problems);
        for (id, relation) in named {
            if let Some(node) = self.project.nodes.get_mut(&id) {
                node.relation = relation;
            }
        }
    }

    /// Calls the project's naming macro `name` as dbt does: with the custom value (or none)
    /// and the node; the rendered text, trimmed, is the name.
    fn naming_macro(
        &self,
        file: &str,
        package: Option<&str>,
        name: &str,
        custom: Option<&str>,
        node: &Node,
    ) -> Result<String, Diagnostic> {
        let ctx = self.parse_ctx(&node.name, &node.package_name);
        let custom = custom.map_or(minijinja::Value::from(()), minijinja::Value::from);
        let args = vec![custom, jinja::to_value(&node_for_macros(node))];
        let named = self
            .templates
            .call_macro_of(package, name, args, &ctx)
            .map_err(|message| {
                Diagnostic::error(
                    Code::Jinja,
                    Location::file(file),
                    format!(
                        "{name} failed for {} `{}`: {message}",
                        node.kind.as_str(),
                        node.name
                    ),
                )
            })?;
        let text = named.sql.trim().to_string();
        if text.is_empty() {
            return Err(Diagnostic::error(
                Code::Jinja,
                Location::file(file),
                format!(
                    "{name} gave an empty name for {} `{}`",
                    node.kind.as_str(),
                    node.name
                ),
            ));
        }
        Ok(text)
    }

    /// The nodes a generic test's argument names (`to: ref('customers', v=2)`), found by
    /// evaluating it as dbt does, so that the test runs after every one of them.
    fn refs_in_argument(&self, value: &str) -> Vec<NamedDep> {
        if !value.contains("ref(") && !value.contains("source(") {
            return Vec::new();
        }
        let ctx = self.parse_ctx("test", &self.scope.package);
        // A failure is the test's own to report when it compiles; here only names count.
        if value.contains("{{") {
            let _ = self.templates.render("test argument", value, &ctx);
        } else {
            let _ = self.templates.eval(value, &ctx);
        }
        let rec = ctx.take_recorded();
        rec.refs
            .into_iter()
            .map(|r| NamedDep::Ref {
                package: r.package,
                name: r.name,
            })
            .chain(
                rec.sources
                    .into_iter()
                    .map(|(source, table)| NamedDep::Source { source, table }),
            )
            .collect()
    }

    fn add_generic_test(
        &mut self,
        file: &str,
        attached_to: &str,
        target_name: &str,
        column: Option<&str>,
        spec: &Spanned<Json>,
        on_source: bool,
    ) {
        let location = yaml::location_of(file, spec);
        let parsed = match parse_test_spec(&spec.value, &location) {
            Ok(p) => p,
            Err(message) => {
                self.diags.push(
                    Diagnostic::error(Code::Test, location, message).with_source(&self.text(file)),
                );
                return;
            }
        };
        let (namespace, test_name, mut kwargs, config) = parsed;
        // dbt names a source's test `source_<test>_<source>_<table>_...`.
        let (test_type, display_target) = if on_source {
            let st = self.project.sources.get(attached_to);
            (
                format!("source_{test_name}"),
                format!(
                    "{}_{}",
                    st.map_or("", |s| s.source_name.as_str()),
                    target_name
                ),
            )
        } else {
            (test_name.clone(), target_name.to_string())
        };
        let name = match config.str("name") {
            Some(custom) => custom.to_string(),
            None => test_node_name(
                namespace.as_deref(),
                &test_type,
                &display_target,
                column,
                &kwargs,
            ),
        };
        if let Some(col) = column {
            kwargs.shift_insert(0, "column_name".into(), Json::String(col.into()));
        }
        let hash = hex_md5(&format!("{name}{kwargs:?}"));
        // A test from YAML is named in its fqn without the YAML file's folders.
        let mut node = self.new_node(NodeKind::Test, &name, file, &[], String::new());
        node.unique_id = format!("test.{}.{}.{}", self.scope.package, name, &hash[..10]);
        node.location = location.clone();
        // dbt_project.yml, then the test definition's own config(), then the YAML's.
        let mut merged = self.base_config(NodeKind::Test, &[], &name);
        merged.merge(&self.definition_config(namespace.as_deref(), &test_name, &kwargs, &location));
        merged.merge(&config);
        node.config = merged;
        node.named_deps = vec![NamedDep::Node(attached_to.to_string())];
        for value in kwargs.values() {
            if let Some(s) = value.as_str() {
                node.named_deps.extend(self.refs_in_argument(s));
            }
        }
        node.generic_test = Some(GenericTest {
            test_name,
            namespace,
            attached_to: attached_to.to_string(),
            column_name: column.map(str::to_string),
            kwargs,
        });
        if node.config.enabled() {
            self.add_node(node);
        }
    }

    /// What a generic test's definition sets with `config()` (`{{ config(severity='warn') }}`
    /// inside `{% test %}`), found by calling it once in the parse phase, as dbt does. A
    /// definition that does not render here fails when the test compiles, not now.
    fn definition_config(
        &self,
        namespace: Option<&str>,
        test_name: &str,
        kwargs: &IndexMap<String, Json>,
        at: &Location,
    ) -> Config {
        let ctx = self.parse_ctx("test", &self.scope.package);
        let model = crate::relation::RelationValue::plain(Relation::new("", "", "model"));
        let mut args = vec![("model".to_string(), model.into_value())];
        args.extend(kwargs.iter().map(|(k, v)| (k.clone(), jinja::to_value(v))));
        let macro_name = format!("test_{test_name}");
        let _ = self
            .templates
            .call_package_macro(namespace, &macro_name, args, &ctx);
        let mut config = ctx.take_recorded().config;
        config.relocate(|_| Some(at.clone()));
        config
    }

    /// Turns the dependencies files name into unique ids.
    fn resolve_dependencies(&mut self) {
        let by_name = ByPackage::refs(self.project, |n| n.unique_id.clone());
        let sources = ByPackage::sources(self.project, |s| s.unique_id.clone());
        let mut diags = Vec::new();
        for node in self.project.nodes.values_mut() {
            let text = self.files.text(&node.path).unwrap_or_default();
            let mut resolved = Vec::new();
            for dep in std::mem::take(&mut node.named_deps) {
                let found = match &dep {
                    NamedDep::Ref { package, name } => by_name
                        .find(&node.package_name, package.as_deref(), name)
                        .cloned()
                        .ok_or_else(|| {
                            let hint = suggest(name, by_name.names());
                            // `ref('m', v=2)` looks for `m.v2`.
                            let named = match name.rsplit_once(".v") {
                                Some((model, v)) => {
                                    format!("version {v} of a model named `{model}`")
                                }
                                None => format!("a node named `{name}`"),
                            };
                            let named = match package {
                                Some(p) => format!("{named} in package `{p}`"),
                                None => named,
                            };
                            let d = Diagnostic::error(
                                Code::Ref,
                                locate_call(&node.location.file, &text, "ref", name, node),
                                format!(
                                    "{} `{}` depends on {named} which was not found",
                                    node.kind.as_str(),
                                    node.name
                                ),
                            );
                            match hint {
                                Some(h) => d.with_hint(match h.rsplit_once(".v") {
                                    Some((m, v)) => format!("did you mean `ref('{m}', v={v})`?"),
                                    None => format!("did you mean `{h}`?"),
                                }),
                                None => d,
                            }
                        }),
                    NamedDep::Source {
                        source: s,
                        table: t,
                    } => {
                        let name = source_key(s, t);
                        sources.find_source(&node.package_name, s, t).cloned().ok_or_else(|| {
                        let d = Diagnostic::error(Code::Ref,
                            locate_call(&node.location.file, &text, "source", s, node),
                            format!(
                                "{} `{}` depends on a source named `{s}.{t}` which was not found",
                                node.kind.as_str(),
                                node.name
                            ),
                        );
                        match suggest(&name, sources.names()) {
                            Some(h) => d.with_hint(format!("did you mean `{h}`?")),
                            None => d.with_hint("declare it under `sources:` in a YAML file"),
                        }
                    })
                    }
                    NamedDep::Node(id) => Ok(id.clone()),
                };
                match found {
                    Ok(id) => {
                        if !resolved.contains(&id) {
                            resolved.push(id);
                        }
                    }
                    Err(d) => diags.push(d.with_source(&text)),
                }
            }
            node.depends_on = resolved;
        }
        self.diags.extend(diags);
    }

    fn note_unused_files(&mut self) {
        let used: std::collections::HashSet<&str> = self
            .project
            .nodes
            .values()
            .map(|n| n.path.as_str())
            .chain(self.project.macro_files.iter().map(|(p, _)| p.as_str()))
            .chain(
                self.project
                    .packages
                    .iter()
                    .flat_map(|p| p.macro_files.iter().map(|(f, _)| f.as_str())),
            )
            .chain(
                self.project
                    .sources
                    .values()
                    .flat_map(|s| s.loads.iter().map(|l| l.path.as_str())),
            )
            .chain(self.properties.iter().map(|p| p.file.as_str()))
            .chain(
                self.project
                    .nodes
                    .values()
                    .filter_map(|n| n.unit_test.as_deref())
                    .flat_map(|t| {
                        t.given
                            .iter()
                            .map(|g| &g.fixture)
                            .chain(std::iter::once(&t.expect))
                    })
                    .map(|f| f.at.file.as_str()),
            )
            .collect();
        self.project.unused_files = self
            .files
            .paths()
            .filter(|p| {
                !used.contains(p)
                    && !p.starts_with(&format!("{PACKAGES_FOLDER}/"))
                    && *p != "dbt_project.yml"
                    && !p.ends_with(".yml")
                    && !p.ends_with(".yaml")
                    && !p.ends_with(".md")
            })
            .map(str::to_string)
            .collect();
    }
}

/// A node's YAML properties, from its entry (and, for a version, the version's entry).
struct Properties<'a> {
    description: Option<String>,
    /// Config blocks, the later over the earlier.
    configs: &'a [&'a YamlTree],
    columns: &'a [&'a ColumnYaml],
    constraints: &'a [&'a ConstraintYaml],
    tests: &'a [&'a Spanned<Json>],
}

fn column_docs(file: &str, cols: &[ColumnYaml]) -> Vec<ColumnDoc> {
    cols.iter()
        .map(|c| ColumnDoc {
            name: c.name.value.clone(),
            description: c.description.clone().unwrap_or_default(),
            data_type: c.data_type.clone(),
            constraints: Vec::new(),
            quote: c.quote.unwrap_or(false),
            at: yaml::location_of(file, &c.name),
        })
        .collect()
}

/// Text placed so that it starts at `start` (line, column) of its file.
pub(crate) fn pad_to(text: &str, start: (usize, usize)) -> String {
    let (line, col) = start;
    if (line, col) == (1, 1) {
        return text.to_string();
    }
    let mut s = "\n".repeat(line.saturating_sub(1));
    s.push_str(&" ".repeat(col.saturating_sub(1)));
    s.push_str(text);
    s
}

type TestSpec = (Option<String>, String, IndexMap<String, Json>, Config);

const TEST_CONFIG_KEYS: &[&str] = &[
    "severity",
    "where",
    "warn_if",
    "error_if",
    "store_failures",
    "limit",
    "tags",
    "enabled",
    "name",
    "fail_calc",
    "meta",
];

/// Reads one entry of a `tests:` list: `unique`, or `{accepted_values: {values: [...]}}`.
fn parse_test_spec(spec: &Json, at: &Location) -> Result<TestSpec, String> {
    let (full_name, args) = match spec {
        Json::String(s) => (s.clone(), Json::Null),
        Json::Object(map) if map.len() == 1 => match map.iter().next() {
            Some((k, v)) => (k.clone(), v.clone()),
            None => return Err("an empty test entry".into()),
        },
        Json::Object(map) => {
            return Err(format!(
                "a test entry must have exactly one key (the test's name), found: {}",
                map.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        _ => return Err("a test entry must be a test name or a mapping".into()),
    };
    let (namespace, test_name) = match full_name.split_once('.') {
        Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
        None => (None, full_name.clone()),
    };
    let mut kwargs = IndexMap::new();
    let mut config = Config::default();
    match args {
        Json::Null => {}
        Json::Object(map) => {
            for (k, v) in map {
                match k.as_str() {
                    "config" => config.merge(&config_from_json(&v, at)),
                    "arguments" => {
                        if let Json::Object(inner) = v {
                            kwargs.extend(inner);
                        }
                    }
                    key if TEST_CONFIG_KEYS.contains(&key) => config.set(key, v, at.clone()),
                    _ => {
                        kwargs.insert(k, v);
                    }
                }
            }
        }
        other => {
            return Err(format!(
                "the arguments of test `{full_name}` must be a mapping, found {other}"
            ));
        }
    }
    Ok((namespace, test_name, kwargs, config))
}

/// dbt's generated test name: `not_null_orders_id`, `accepted_values_orders_status__a__b`,
/// `relationships_orders_customer_id__id__ref_customers_`. The arguments (the column among
/// them) go in by name, sorted, each run of other characters becoming one `_`. The full name
/// is the test's name however long; dbt's shortened form names only its compiled file.
fn test_node_name(
    namespace: Option<&str>,
    test: &str,
    target: &str,
    column: Option<&str>,
    kwargs: &IndexMap<String, Json>,
) -> String {
    let test_type = match namespace {
        Some(ns) => format!("{ns}_{test}"),
        None => test.to_string(),
    };
    let mut args: Vec<(&str, Json)> = kwargs
        .iter()
        .filter(|(k, _)| k.as_str() != "model")
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    if let Some(c) = column {
        args.push(("column_name", Json::String(c.to_string())));
    }
    args.sort_by(|a, b| a.0.cmp(b.0));
    let mut flat: Vec<String> = Vec::new();
    for (_, value) in &args {
        match value {
            Json::Array(items) => flat.extend(items.iter().map(python_str)),
            Json::Object(map) => flat.extend(map.values().map(python_str)),
            other => flat.push(python_str(other)),
        }
    }
    let clean: Vec<String> = flat
        .iter()
        .map(|arg| {
            NON_WORD_RUN
                .as_ref()
                .map_or_else(|_| arg.clone(), |re| re.replace_all(arg, "_").into_owned())
        })
        .collect();
    format!("{test_type}_{target}_{}", clean.join("__"))
}

static NON_WORD_RUN: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new("[^0-9a-zA-Z_]+"));

/// A value as Python's `str()` prints it, which is what dbt puts in a test's name.
fn python_str(value: &Json) -> String {
    fn repr(value: &Json) -> String {
        match value {
            Json::String(s) => format!("'{s}'"),
            other => python_str(other),
        }
    }
    match value {
        Json::String(s) => s.clone(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Null => "None".into(),
        Json::Number(n) => n.to_string(),
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(repr).collect::<Vec<_>>().join(", ")
        ),
        Json::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("'{k}': {}", repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub(crate) fn hex_md5(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

/// Where in `text` the `ref('name')` or `source('name', ...)` call is.
fn locate_call(file: &str, text: &str, func: &str, name: &str, node: &Node) -> Location {
    if node.generic_test.is_some() {
        return node.location.clone();
    }
    // `ref('model')`, or `ref('package', 'model')`; a version's name is `model.v<v>`, and
    // the call names the model.
    let model = name.rsplit_once(".v").map_or(name, |(m, _)| m);
    let pattern = format!(
        r#"{func}\s*\(\s*(['"][^'"]*['"]\s*,\s*)?['"]{}['"]"#,
        regex::escape(model)
    );
    match Regex::new(&pattern).ok().and_then(|re| re.find(text)) {
        Some(m) => {
            let (line, col) = line_col(text, m.start());
            Location::new(file, line, col)
        }
        None => Location::file(file),
    }
}

/// The closest name, for "did you mean".
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a String>,
) -> Option<String> {
    // Among names as far off as each other, one the name starts with (a key pressed twice,
    // `nvll` for `nvl`) or that starts with the name (`coalesc`) is the likelier slip; then
    // the one most alike from the start (Jaro-Winkler), then the first alphabetically.
    candidates
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(2))
        .min_by(|(da, a), (db, b)| {
            let prefix = |c: &str| !(name.starts_with(c) || c.starts_with(name));
            da.cmp(db)
                .then(prefix(a).cmp(&prefix(b)))
                .then(strsim::jaro_winkler(name, b).total_cmp(&strsim::jaro_winkler(name, a)))
                .then(a.cmp(b))
        })
        .map(|(_, c)| c.clone())
}

#[cfg(test)]
mod suggest_tests {
    use super::suggest;

    #[test]
    fn a_doubled_key_suggests_the_name_it_was_typed_for() {
        let names = ["nvl2", "nvl", "coalesce"].map(String::from);
        assert_eq!(suggest("nvll", names.iter()).as_deref(), Some("nvl"));
        assert_eq!(
            suggest("coalesc", names.iter()).as_deref(),
            Some("coalesce")
        );
        assert_eq!(suggest("zzzz", names.iter()), None);
    }
}
