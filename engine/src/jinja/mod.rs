//! Jinja as dbt runs it, on minijinja: two phases (parse, compile), dbt's context functions,
//! the project's macros, and a source map from rendered SQL back to the user's file.

pub(crate) mod config_calls;
mod context;
mod dbt_utils;
mod functions;
mod macros;
mod modules;
mod mutable;
mod source_map;

use std::sync::Arc;

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, UndefinedBehavior, context};

pub use context::{ParseResolver, Phase, QueryTable, Recorded, RefCall, RenderCtx, Resolve};
pub use macros::{macro_names, preprocess};

/// A model's source as it is rendered: `{% set x = [] %}` literals made mutable, as Python's
/// are, on the same lines (see `mutable::mutable_literals`).
pub fn mutable_source(source: &str) -> String {
    mutable::mutable_literals(source)
}
pub use source_map::{Origin, SourceMap};

use crate::diagnostic::{Code, Diagnostic, Location, line_col};

/// The context variable that carries the [`RenderCtx`] into every function.
pub(crate) const CTX: &str = "__modelplay";

/// Any serialisable value as a template value.
pub(crate) fn to_value<T: serde::Serialize>(v: &T) -> Value {
    Value::from(minijinja::value::Serde(v))
}

/// The variables every render starts with.
pub(crate) fn base_context(ctx: &Arc<RenderCtx>) -> Value {
    let model = context! {
        name => ctx.node_name.clone(),
        config => crate::jinja::to_value(&ctx.config),
    };
    let mut extra = ctx.extra.clone().unwrap_or_else(|| context! {});
    // A unit test's overridden macros shadow the real ones: a variable of the context
    // comes before a global of the same name.
    let overridden: std::collections::BTreeMap<String, Value> = ctx
        .macro_overrides
        .iter()
        .filter(|(name, _)| !name.contains('.'))
        .map(|(name, value)| (name.clone(), functions::returning(value.clone())))
        .collect();
    if !overridden.is_empty() {
        extra = minijinja::value::merge_maps([Value::from(overridden), extra]);
    }
    context! {
        __modelplay => Value::from_dyn_object(ctx.clone()),
        this => ctx.this.clone().map(|r| r.into_value()),
        target => crate::jinja::to_value(&*ctx.target),
        execute => ctx.phase == Phase::Compile,
        model => model,
        run_started_at => ctx.run_started_at.clone(),
        graph => ctx.graph.clone(),
        // Shared, not copied: every render of a large selection sees the same list.
        selected_resources => Value::from_dyn_object(ctx.resolver.selected_resources()),
        invocation_id => "00000000-0000-0000-0000-000000000000",
        flags => context! { FULL_REFRESH => false, WHICH => "build" },
        ..extra
    }
}

/// The output of a render and where each part of it came from.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub sql: String,
    pub map: SourceMap,
}

/// A Jinja environment holding the project's macros.
pub struct Templates {
    env: Environment<'static>,
    /// The same templates for dbt's parse phase, where a lookup through an undefined value
    /// gives another undefined value instead of an error, as dbt's parse-time undefined does.
    parse_env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    /// Builds the environment. `macro_files` are the root project's (path, preprocessed
    /// source) pairs; `packages` each installed package's, by package name; `dispatch` the
    /// project's `dispatch:` search orders, by macro namespace.
    pub fn new(
        project: &str,
        macro_files: &[(String, String)],
        packages: &[(String, Vec<(String, String)>)],
        dispatch: &[(String, Vec<String>)],
    ) -> Result<Self, Vec<Diagnostic>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Lenient);
        // dbt never escapes what it renders; minijinja would escape by file name (JSON for a
        // `.yml` such as dbt_project.yml's own configs).
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        functions::register(&mut env);
        let mut errors = Vec::new();
        let builtins: Vec<(String, String)> = macros::BUILTINS
            .iter()
            .map(|(p, s)| (p.to_string(), s.to_string()))
            .collect();
        // Unqualified names resolve to the root project's macros, then dbt's, then the
        // packages' (which a package's own macros call unqualified): the last one added wins.
        let mut layers: Vec<(&str, &[(String, String)])> = packages
            .iter()
            .rev()
            .map(|(name, files)| (name.as_str(), files.as_slice()))
            .collect();
        layers.push((macros::INTERNAL_PACKAGE, &builtins));
        layers.push((project, macro_files));
        let mut registry = macros::Registry::new(project, dispatch);
        for (package, files) in layers {
            for (path, source) in files {
                for name in macro_names(source) {
                    let callable = Value::from_object(macros::MacroFn::new(path, &name));
                    registry.add(package, &name, callable.clone());
                    env.add_global(name.clone(), callable);
                }
                if let Err(e) = env.add_template_owned(path.clone(), source.clone()) {
                    errors.push(jinja_diagnostic(&e, path, source));
                }
            }
        }
        for (package, _) in packages {
            env.add_global(
                package.clone(),
                Value::from_object(functions::Namespace::Package(package.clone())),
            );
        }
        env.add_global(macros::REGISTRY, Value::from_object(registry));
        // A clone shares the compiled templates.
        let mut parse_env = env.clone();
        parse_env.set_undefined_behavior(UndefinedBehavior::Chainable);
        if errors.is_empty() {
            Ok(Templates { env, parse_env })
        } else {
            Err(errors)
        }
    }

    /// Renders `source` (the text of `file`) with `ctx`.
    pub fn render(
        &self,
        file: &str,
        source: &str,
        ctx: &Arc<RenderCtx>,
    ) -> Result<Rendered, Diagnostic> {
        let template = self
            .env
            .template_from_named_str(file, source)
            .map_err(|e| jinja_diagnostic(&e, file, source))?;
        let (sql, spans) = template
            .render_with_spans(base_context(ctx))
            .map_err(|e| self.located(&e, file, source))?;
        Ok(Rendered {
            sql,
            map: SourceMap::new(spans),
        })
    }

    /// Renders `source` in dbt's parse phase, which forgives what only exists once `execute`
    /// is true: a lookup through a missing value (`graph.nodes[id].config`, empty while the
    /// project is parsed) gives an undefined value, and a call on one ends the render without
    /// failing the node, as dbt's parse-time undefined does. What was recorded (refs, config)
    /// stands, and the compile phase renders the file again with real values. Any other
    /// failure fails the node.
    pub fn render_parse(
        &self,
        file: &str,
        source: &str,
        ctx: &Arc<RenderCtx>,
    ) -> Result<(), Diagnostic> {
        let template = self
            .parse_env
            .template_from_named_str(file, source)
            .map_err(|e| jinja_diagnostic(&e, file, source))?;
        match template.render(base_context(ctx)) {
            Ok(_) => Ok(()),
            Err(e) if forgiven_at_parse(&e) => Ok(()),
            Err(e) => Err(self.located(&e, file, source)),
        }
    }

    /// Evaluates a Jinja expression such as `ref('x')` from a YAML test argument.
    pub fn eval(&self, expr: &str, ctx: &Arc<RenderCtx>) -> Result<Value, String> {
        let compiled = self
            .env
            .compile_expression(expr)
            .map_err(|e| e.to_string())?;
        compiled.eval(base_context(ctx)).map_err(|e| describe(&e))
    }

    /// Calls the macro `name` (a global) with keyword arguments, as a test node does.
    pub fn call_macro(
        &self,
        name: &str,
        kwargs: Vec<(String, Value)>,
        ctx: &Arc<RenderCtx>,
    ) -> Result<Rendered, String> {
        self.call_macro_with(name, vec![Value::from(Kwargs::from_iter(kwargs))], ctx)
    }

    /// Calls the macro `name` with keyword arguments, taken from `package` when it is an
    /// installed package that defines it (a YAML test named `dbt_utils.expression_is_true`),
    /// else the global of that name.
    pub fn call_package_macro(
        &self,
        package: Option<&str>,
        name: &str,
        kwargs: Vec<(String, Value)>,
        ctx: &Arc<RenderCtx>,
    ) -> Result<Rendered, String> {
        self.call_macro_of(
            package,
            name,
            vec![Value::from(Kwargs::from_iter(kwargs))],
            ctx,
        )
    }

    /// Calls the macro `name` with these arguments: `package`'s own when that package
    /// defines it, else the global of that name.
    pub fn call_macro_of(
        &self,
        package: Option<&str>,
        name: &str,
        args: Vec<Value>,
        ctx: &Arc<RenderCtx>,
    ) -> Result<Rendered, String> {
        let from_package = package.and_then(|p| {
            let registry = self
                .env
                .globals()
                .find(|(n, _)| *n == macros::REGISTRY)
                .and_then(|(_, v)| v.downcast_object::<macros::Registry>())?;
            registry.get(p, name)
        });
        match from_package {
            Some(callable) => self.call_value(callable, args, ctx),
            None => self.call_macro_with(name, args, ctx),
        }
    }

    /// Calls the macro `name` (a global) with these arguments.
    pub fn call_macro_with(
        &self,
        name: &str,
        args: Vec<Value>,
        ctx: &Arc<RenderCtx>,
    ) -> Result<Rendered, String> {
        let Some(callable) = self.env.globals().find(|(n, _)| *n == name).map(|(_, v)| v) else {
            return Err(format!("no macro named `{name}` is defined"));
        };
        self.call_value(callable, args, ctx)
    }

    fn call_value(
        &self,
        callable: Value,
        args: Vec<Value>,
        ctx: &Arc<RenderCtx>,
    ) -> Result<Rendered, String> {
        let template = self.env.template_from_str("").map_err(|e| e.to_string())?;
        let mut captured = template
            .render_captured(base_context(ctx))
            .map_err(|e| describe(&e))?;
        let value = captured
            .with_state_mut(|st| callable.call(st, &args))
            .map_err(|e| describe(&e))?;
        Ok(Rendered {
            sql: value.to_string(),
            map: SourceMap::default(),
        })
    }

    /// Where the project's macro `name` is defined: its file and the 1-based line and column
    /// of `{% macro`. dbt's own macros, which the user cannot open, are not reported.
    pub fn macro_definition(&self, name: &str) -> Option<(String, usize, usize)> {
        self.env.templates().find_map(|(file, template)| {
            if file.starts_with("__modelplay__/") {
                return None;
            }
            let at = macros::definition_offset(template.source(), name)?;
            let (line, column) = line_col(template.source(), at);
            Some((file.to_string(), line, column))
        })
    }

    /// The source of a macro file, for locating errors inside it.
    pub fn macro_source(&self, name: &str) -> Option<String> {
        self.env
            .get_template(name)
            .ok()
            .map(|t| t.source().to_string())
    }

    fn located(&self, e: &minijinja::Error, file: &str, source: &str) -> Diagnostic {
        let d = self.located_at(e, file, source);
        if e.kind() != minijinja::ErrorKind::UnknownFunction {
            return d;
        }
        // The name as called, and the macro the user likely meant.
        let called = e
            .range()
            .and_then(|r| source.get(r))
            .map(|t| t.split('(').next().unwrap_or(t).trim().to_string())
            .filter(|n| !n.is_empty() && !n.contains('.'));
        let Some(called) = called else {
            return d;
        };
        let names: Vec<String> = self.env.globals().map(|(n, _)| n.to_string()).collect();
        let mut d = Diagnostic {
            message: format!("no macro or function named `{called}`"),
            ..d
        };
        if let Some(best) = crate::project::load::suggest(&called, names.iter()) {
            d = d.with_hint(format!("did you mean `{best}`?"));
        }
        d
    }

    fn located_at(&self, e: &minijinja::Error, file: &str, source: &str) -> Diagnostic {
        match e.name() {
            Some(name) if name != file => match self.macro_source(name) {
                Some(macro_source) => jinja_diagnostic(e, name, &macro_source),
                None => jinja_diagnostic(e, file, source),
            },
            _ => jinja_diagnostic(e, file, source),
        }
    }
}

/// Whether a parse-time failure is one dbt's parse forgives: a lookup or a call through an
/// undefined value, which dbt's parse-time undefined absorbs.
fn forgiven_at_parse(e: &minijinja::Error) -> bool {
    match e.kind() {
        minijinja::ErrorKind::UndefinedError => true,
        minijinja::ErrorKind::UnknownMethod | minijinja::ErrorKind::InvalidOperation => e
            .detail()
            .is_some_and(|d| d.starts_with("undefined ") || d.contains("undefined value")),
        _ => false,
    }
}

/// One line saying what went wrong in a render, without minijinja's own location suffix.
pub fn describe(e: &minijinja::Error) -> String {
    let kind = e.kind().to_string();
    match e.detail() {
        Some(detail) if kind == "invalid operation" => detail.to_string(),
        Some(detail) => format!("{kind}: {detail}"),
        None => kind,
    }
}

fn jinja_diagnostic(e: &minijinja::Error, file: &str, source: &str) -> Diagnostic {
    let (line, column) = match e.range() {
        Some(range) => line_col(source, range.start),
        None => (e.line().unwrap_or(0), 0),
    };
    let mut message = describe(e);
    if e.kind() == minijinja::ErrorKind::SyntaxError {
        message = format!("Jinja {message}");
    }
    Diagnostic::error(Code::Jinja, Location::new(file, line, column), message).with_source(source)
}
