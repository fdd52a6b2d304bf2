//! dbt's Jinja context: `ref`, `source`, `config`, `var`, `env_var`, `is_incremental`, `log`,
//! `return`, `exceptions`, `adapter` and the `dbt_utils` namespace.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Enumerator, Kwargs, Object, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};
use serde_json::Value as Json;

use super::CTX;
use super::context::{Phase, RefCall, RenderCtx};
use super::dbt_utils;
use super::macros::MacroFn;
use crate::relation::RelationValue;

/// The detail of the error that `return(...)` raises to leave a macro with a value.
pub(crate) const RETURN_MARKER: &str = "__modelplay_macro_return__";

pub(crate) fn ctx(state: &State) -> Result<Arc<RenderCtx>, Error> {
    state
        .lookup(CTX)
        .and_then(|v| v.downcast_object::<RenderCtx>())
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "no dbt context in this render"))
}

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("ref", ref_fn);
    env.add_function("source", source_fn);
    env.add_global("config", Value::from_object(ConfigFn));
    env.add_function("var", var_fn);
    env.add_function("env_var", env_var_fn);
    env.add_function("is_incremental", |state: &State| -> Result<bool, Error> {
        Ok(ctx(state)?.is_incremental)
    });
    env.add_function("run_query", run_query_fn);
    env.add_global("statement", Value::from_object(StatementFn));
    env.add_function("load_result", load_result_fn);
    env.add_function(
        "should_store_failures",
        |state: &State| -> Result<bool, Error> {
            let ctx = ctx(state)?;
            Ok(ctx.config.store_failures())
        },
    );
    env.add_function("log", log_fn);
    env.add_function("print", log_fn);
    env.add_function("return", return_fn);
    env.add_function("fromjson", |s: String| -> Result<Value, Error> {
        serde_json::from_str::<Json>(&s)
            .map(|j| crate::jinja::to_value(&j))
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("fromjson: {e}")))
    });
    env.add_function("tojson", |value: Value| -> Result<String, Error> {
        serde_json::to_string(&value)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("tojson: {e}")))
    });
    env.add_function("fromyaml", |s: String| -> Result<Value, Error> {
        serde_saphyr::from_str::<Json>(&s)
            .map(|j| crate::jinja::to_value(&j))
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("fromyaml: {e}")))
    });
    env.add_function("local_md5", |s: String| -> String {
        crate::project::load::hex_md5(&s)
    });
    // Python's `set(...)` and `zip(...)`, which dbt puts in the context (with `_strict`
    // forms that raise where the plain ones would give none; both raise here).
    env.add_function("set", python_set);
    env.add_function("set_strict", python_set);
    env.add_function("zip", python_zip);
    env.add_function("zip_strict", python_zip);
    // modelplay never keeps tables between invocations the way a warehouse does: every
    // build is a first build, so a full refresh changes nothing.
    env.add_function(
        "should_full_refresh",
        |state: &State| -> Result<bool, Error> {
            let ctx = ctx(state)?;
            Ok(ctx.config.full_refresh())
        },
    );
    env.add_function(super::mutable::MUTABLE_FN, super::mutable::mutable);
    env.add_global("api", Value::from_object(Api));
    env.add_global("exceptions", Value::from_object(Exceptions));
    env.add_global("adapter", Value::from_object(Adapter));
    env.add_global("dbt_utils", Value::from_object(Namespace::DbtUtils));
    env.add_global("dbt", Value::from_object(Namespace::Dbt));
    env.add_global("modules", Value::from_object(super::modules::Modules));
}

/// Python's `set(items)`: the distinct items, in the order first seen.
fn python_set(items: Value) -> Result<Value, Error> {
    let mut seen: Vec<Value> = Vec::new();
    for item in items.try_iter()? {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    Ok(Value::from(seen))
}

/// Python's `zip(*lists)`: tuples of the n-th items, as long as the shortest list.
fn python_zip(lists: Rest<Value>) -> Result<Value, Error> {
    let columns: Vec<Vec<Value>> = lists
        .iter()
        .map(|l| l.try_iter().map(Iterator::collect))
        .collect::<Result<_, _>>()?;
    let len = columns.iter().map(Vec::len).min().unwrap_or(0);
    Ok(Value::from(
        (0..len)
            .map(|i| Value::from(columns.iter().map(|c| c[i].clone()).collect::<Vec<_>>()))
            .collect::<Vec<_>>(),
    ))
}

fn ref_fn(state: &State, args: Rest<String>, kwargs: Kwargs) -> Result<Value, Error> {
    let version = match kwargs.get::<Option<Value>>("v")? {
        Some(v) => Some(v),
        None => kwargs.get::<Option<Value>>("version")?,
    }
    .filter(|v| !v.is_none() && !v.is_undefined())
    .map(|v| v.to_string());
    let (package, name) = match args.0.as_slice() {
        [name] => (None, name.clone()),
        [package, name] => (Some(package.clone()), name.clone()),
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "ref() takes a model name, or a package name and a model name",
            ));
        }
    };
    // A version is found by its own name, `name.v<version>`.
    let name = match version {
        Some(v) => format!("{name}.v{v}"),
        None => name,
    };
    let ctx = ctx(state)?;
    let resolved = ctx
        .resolver
        .resolve_ref(&ctx.package, package.as_deref(), &name)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e))?;
    let mut rec = ctx.record();
    let call = RefCall { package, name };
    if !rec.refs.contains(&call) {
        rec.refs.push(call);
    }
    if resolved.rendered.starts_with("__dbt__cte__") {
        rec.ephemerals.push(resolved.relation.identifier.clone());
    }
    rec.relations.push(resolved.relation.clone());
    Ok(resolved.into_value())
}

fn source_fn(state: &State, source: String, table: String) -> Result<Value, Error> {
    let ctx = ctx(state)?;
    let resolved = ctx
        .resolver
        .resolve_source(&ctx.package, &source, &table)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e))?;
    let mut rec = ctx.record();
    let pair = (source, table);
    if !rec.sources.contains(&pair) {
        rec.sources.push(pair);
    }
    rec.relations.push(resolved.relation.clone());
    Ok(resolved.into_value())
}

fn var_fn(state: &State, name: String, default: Option<Value>) -> Result<Value, Error> {
    let ctx = ctx(state)?;
    match (ctx.vars.get(&name), default) {
        // dbt renders a var's text when it is read: `"{{ 5 if target.type == 'x' else 4 }}"`.
        (Some(Json::String(text)), _) if text.contains("{{") || text.contains("{%") => state
            .env()
            .render_str(text, crate::jinja::base_context(&ctx))
            .map(Value::from),
        (Some(v), _) => Ok(crate::jinja::to_value(v)),
        (None, Some(d)) => Ok(d),
        (None, None) if ctx.phase == Phase::Parse => Ok(Value::from(())),
        (None, None) => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "Required var '{name}' not found in config; set it under `vars:` in dbt_project.yml or pass --vars '{{{name}: ...}}'"
            ),
        )),
    }
}

fn env_var_fn(state: &State, name: String, default: Option<String>) -> Result<String, Error> {
    let ctx = ctx(state)?;
    match (ctx.env_vars.get(&name), default) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(d)) => Ok(d),
        (None, None) => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("Env var required but not provided: '{name}'"),
        )),
    }
}

/// dbt's `run_query`: the query runs on the engine, which is the warehouse here, over the
/// tables built so far. At parse time dbt runs nothing (`execute` is false) and returns none.
fn run_query_fn(state: &State, sql: Value) -> Result<Value, Error> {
    let ctx = ctx(state)?;
    if ctx.phase == Phase::Parse {
        return Ok(Value::from(()));
    }
    ctx.record().queried = true;
    ctx.resolver
        .run_query(&sql.to_string())
        .map(|t| Value::from_object(Table(t)))
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("run_query(): {e}")))
}

/// `{% call statement('name', fetch_result=True) %}SQL{% endcall %}`: runs the body on the
/// engine and keeps its result for `load_result('name')`.
#[derive(Debug)]
struct StatementFn;

impl Object for StatementFn {
    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (positional, kwargs): (&[Value], Kwargs) = minijinja::value::from_args(args)?;
        let name = match positional.first() {
            Some(v) => Some(v.to_string()),
            None => kwargs.get::<Option<String>>("name")?,
        };
        let fetch = kwargs.get::<Option<bool>>("fetch_result")?.unwrap_or(false);
        let _ = kwargs.get::<Option<Value>>("auto_begin");
        let _ = kwargs.get::<Option<Value>>("language");
        let caller: Value = kwargs.get("caller")?;
        kwargs.assert_all_used()?;
        let sql = caller.call(state, &[])?.to_string();
        let ctx = ctx(state)?;
        if ctx.phase == Phase::Parse {
            return Ok(Value::from(""));
        }
        ctx.record().queried = true;
        let table = ctx
            .resolver
            .run_query(&sql)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("statement(): {e}")))?;
        if let (Some(name), true) = (name, fetch) {
            let mut rec = ctx.record();
            rec.statements.retain(|(n, _)| *n != name);
            rec.statements.push((name, table));
        }
        Ok(Value::from(""))
    }
}

/// `load_result('name')`: `{data, table, response}` of the named statement, or none.
fn load_result_fn(state: &State, name: String) -> Result<Value, Error> {
    let ctx = ctx(state)?;
    let found = ctx
        .record()
        .statements
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t.clone());
    Ok(match found {
        Some(t) => {
            let data = crate::jinja::to_value(&t.rows);
            let rows = t.rows.len();
            minijinja::context! {
                data => data,
                table => Value::from_object(Table(t)),
                response => minijinja::context! { code => "SELECT", rows_affected => rows },
            }
        }
        None => Value::from(()),
    })
}

/// A query's result as dbt's agate table: `rows`, `columns[i].values()`, `column_names`.
#[derive(Debug)]
struct Table(crate::jinja::QueryTable);

impl Object for Table {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if let Some(i) = key.as_usize() {
            return self.0.rows.get(i).map(crate::jinja::to_value);
        }
        match key.as_str()? {
            "rows" => Some(crate::jinja::to_value(&self.0.rows)),
            "column_names" => Some(crate::jinja::to_value(&self.0.column_names)),
            "columns" => Some(Value::from(
                (0..self.0.column_names.len())
                    .map(|c| {
                        Value::from_object(TableColumn {
                            name: self.0.column_names[c].clone(),
                            values: self.0.rows.iter().map(|r| r[c].clone()).collect(),
                        })
                    })
                    .collect::<Vec<_>>(),
            )),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Values(
            self.0.rows.iter().map(crate::jinja::to_value).collect(),
        )
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "print_table" => Ok(Value::from("")),
            _ => Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("a query result has no method {method}"),
            )),
        }
    }
}

#[derive(Debug)]
struct TableColumn {
    name: String,
    values: Vec<Json>,
}

impl Object for TableColumn {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "name" => Some(Value::from(self.name.clone())),
            _ => None,
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "values" => Ok(crate::jinja::to_value(&self.values)),
            _ => Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("a query column has no method {method}"),
            )),
        }
    }
}

fn log_fn(state: &State, message: Value, kwargs: Kwargs) -> Result<String, Error> {
    let _ = kwargs.get::<Option<bool>>("info");
    ctx(state)?.record().logs.push(message.to_string());
    Ok(String::new())
}

fn return_fn(state: &State, value: Value) -> Result<Value, Error> {
    *ctx(state)?.returned() = Some(value);
    Err(Error::new(ErrorKind::InvalidOperation, RETURN_MARKER))
}

/// `config(...)` records the file's config; `config.get(key, default)` reads it back.
#[derive(Debug)]
struct ConfigFn;

impl Object for ConfigFn {
    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (positional, kwargs): (&[Value], Kwargs) = minijinja::value::from_args(args)?;
        let ctx = ctx(state)?;
        let mut rec = ctx.record();
        let to_json = |value: &Value| {
            serde_json::to_value(value)
                .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
        };
        // Recorded at the template being rendered; the loader finds each key's place in it.
        let here = crate::diagnostic::Location::file(state.name());
        // dbt also takes the config as one dict: `config({'materialized': 'table'})`.
        match positional {
            [] => {}
            [dict] if dict.kind() == minijinja::value::ValueKind::Map => {
                if let serde_json::Value::Object(map) = to_json(dict)? {
                    for (key, value) in map {
                        rec.config.set(&key, value, here.clone());
                    }
                }
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    "config() takes keyword arguments (materialized='table') or one dict",
                ));
            }
        }
        for key in kwargs.args() {
            let value: Value = kwargs.get(key)?;
            rec.config.set(key, to_json(&value)?, here.clone());
        }
        Ok(Value::from(""))
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (key, default): (String, Option<Value>) = minijinja::value::from_args(args)?;
        let ctx = ctx(state)?;
        let recorded = ctx.record().config.get(&key).cloned();
        let found = recorded.or_else(|| ctx.config.get(&key).cloned());
        match (method, found) {
            ("get" | "require", Some(v)) => Ok(crate::jinja::to_value(&v)),
            ("get", None) => Ok(default.unwrap_or(Value::from(()))),
            ("require", None) => Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("config '{key}' is required"),
            )),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// `api.Relation.create(...)` and `api.Column.translate_type(...)`.
#[derive(Debug)]
struct Api;

impl Object for Api {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "Relation" => Some(Value::from_object(ApiRelation)),
            "Column" => Some(Value::from_object(ApiColumn)),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct ApiRelation;

impl Object for ApiRelation {
    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        if method != "create" {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("api.Relation.{method} is not supported by modelplay"),
            ));
        }
        let (_, kwargs): (&[Value], Kwargs) = minijinja::value::from_args(args)?;
        let target = ctx(state)?.target.clone();
        let part = |key: &str, default: &str| -> Result<String, Error> {
            Ok(kwargs
                .get::<Option<String>>(key)?
                .unwrap_or_else(|| default.to_string()))
        };
        let database = part("database", &target.database)?;
        let schema = part("schema", &target.schema)?;
        let identifier = part("identifier", "")?;
        let _ = kwargs.get::<Option<Value>>("type");
        kwargs.assert_all_used()?;
        Ok(RelationValue::plain(crate::relation::Relation::new(
            &database,
            &schema,
            &identifier,
        ))
        .into_value())
    }
}

#[derive(Debug)]
struct ApiColumn;

impl Object for ApiColumn {
    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            // dbt's base Column: only `string` has a label of its own on Redshift.
            "translate_type" => {
                let (dtype,): (String,) = minijinja::value::from_args(args)?;
                Ok(Value::from(if dtype.eq_ignore_ascii_case("string") {
                    "TEXT".to_string()
                } else {
                    dtype
                }))
            }
            // dbt's base Column, which dbt-redshift keeps.
            "string_type" => {
                let (size,): (i64,) = minijinja::value::from_args(args)?;
                Ok(Value::from(format!("character varying({size})")))
            }
            "numeric_type" => {
                let (dtype, precision, scale): (String, Option<Value>, Option<Value>) =
                    minijinja::value::from_args(args)?;
                Ok(Value::from(match (precision, scale) {
                    (Some(p), Some(s)) if !p.is_none() && !s.is_none() => {
                        format!("{dtype}({p},{s})")
                    }
                    _ => dtype,
                }))
            }
            _ => Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("api.Column.{method} is not supported by modelplay"),
            )),
        }
    }
}

#[derive(Debug)]
struct Exceptions;

impl Object for Exceptions {
    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (message,): (String,) = minijinja::value::from_args(args)?;
        match method {
            "raise_compiler_error" => Err(Error::new(ErrorKind::InvalidOperation, message)),
            "warn" => {
                ctx(state)?
                    .record()
                    .logs
                    .push(format!("warning: {message}"));
                Ok(Value::from(""))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// A column as `adapter.get_columns_in_relation` returns it: dbt's `Column`, with its
/// fields and the type questions macros ask of it (`col.is_string()`, ...).
#[derive(Debug)]
struct ColumnValue {
    name: String,
    data_type: String,
}

impl ColumnValue {
    /// The type without its size: `numeric(10,2)` → `numeric`.
    fn dtype(&self) -> String {
        let t = self.data_type.split('(').next().unwrap_or(&self.data_type);
        t.trim().to_ascii_lowercase()
    }

    fn is_one_of(&self, names: &[&str]) -> bool {
        names.contains(&self.dtype().as_str())
    }

    fn is_string(&self) -> bool {
        self.is_one_of(&["text", "character varying", "character", "varchar", "char"])
    }

    fn is_integer(&self) -> bool {
        self.is_one_of(&[
            "smallint", "integer", "bigint", "int", "int2", "int4", "int8",
        ])
    }

    fn is_float(&self) -> bool {
        self.is_one_of(&[
            "real",
            "float4",
            "float",
            "double precision",
            "float8",
            "double",
        ])
    }

    fn is_numeric(&self) -> bool {
        self.is_one_of(&["numeric", "decimal"])
    }
}

impl Object for ColumnValue {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "name" | "column" => Value::from(self.name.clone()),
            "quoted" => Value::from(format!("\"{}\"", self.name)),
            "data_type" => Value::from(self.data_type.clone()),
            "dtype" => Value::from(self.dtype()),
            "char_size" | "numeric_precision" | "numeric_scale" => Value::from(()),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["name", "column", "quoted", "data_type", "dtype"])
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        Ok(Value::from(match method {
            "is_string" => self.is_string(),
            "is_integer" => self.is_integer(),
            "is_float" => self.is_float(),
            "is_numeric" => self.is_numeric(),
            "is_number" => self.is_integer() || self.is_float() || self.is_numeric(),
            // Redshift's default varchar, which a sample's text columns have.
            "string_size" if self.is_string() => return Ok(Value::from(256)),
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("a column has no method {method} in modelplay"),
                ));
            }
        }))
    }
}

pub(crate) fn columns_of(state: &State, relation: &Value) -> Result<Vec<(String, String)>, Error> {
    let ctx = ctx(state)?;
    let Some(rel) = relation.downcast_object_ref::<RelationValue>() else {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "expected a relation from ref() or source(), got {}",
                relation.kind()
            ),
        ));
    };
    match ctx.resolver.columns(&rel.relation) {
        Some(cols) => Ok(cols),
        None if ctx.phase == Phase::Parse => Ok(Vec::new()),
        None => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "the columns of {} are not known: it has not been built yet",
                rel.relation
            ),
        )),
    }
}

#[derive(Debug)]
struct Adapter;

impl Object for Adapter {
    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "get_columns_in_relation" => {
                let (relation,): (Value,) = minijinja::value::from_args(args)?;
                let cols: Vec<Value> = columns_of(state, &relation)?
                    .into_iter()
                    .map(|(name, data_type)| Value::from_object(ColumnValue { name, data_type }))
                    .collect();
                Ok(Value::from(cols))
            }
            "quote" => {
                let (s,): (String,) = minijinja::value::from_args(args)?;
                Ok(Value::from(format!("\"{s}\"")))
            }
            "type" => Ok(Value::from("redshift")),
            "dispatch" => dispatch(state, args),
            _ => Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("adapter.{method} is not supported by modelplay"),
            )),
        }
    }
}

/// The adapters whose implementations dbt-redshift picks, most specific first.
const DISPATCH_PREFIXES: [&str; 3] = ["redshift__", "postgres__", "default__"];

fn registry(state: &State) -> Result<Arc<super::macros::Registry>, Error> {
    state
        .lookup(super::macros::REGISTRY)
        .and_then(|v| v.downcast_object::<super::macros::Registry>())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                "no macro registry in this render",
            )
        })
}

/// `adapter.dispatch(name, macro_namespace)`: for each package of dbt's search order (see
/// `Registry::search_order`), the first of `redshift__name`, `postgres__name`,
/// `default__name` it defines, as a macro to call.
fn dispatch(state: &State, args: &[Value]) -> Result<Value, Error> {
    let (positional, kwargs): (&[Value], Kwargs) = minijinja::value::from_args(args)?;
    let name = match positional.first() {
        Some(v) => v.as_str().map(str::to_string),
        None => kwargs.get::<Option<String>>("macro_name")?,
    }
    .ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            "adapter.dispatch needs the name of the macro to dispatch",
        )
    })?;
    let namespace = match positional.get(1) {
        Some(v) => v.as_str().map(str::to_string),
        None => kwargs.get::<Option<String>>("macro_namespace")?,
    };
    kwargs.assert_all_used()?;
    let registry = registry(state)?;
    let order = registry.search_order(namespace.as_deref());
    for package in &order {
        for prefix in DISPATCH_PREFIXES {
            if let Some(found) = registry.get(package, &format!("{prefix}{name}")) {
                return Ok(found);
            }
        }
    }
    let qualified = match &namespace {
        Some(ns) => format!("{ns}.{name}"),
        None => name.clone(),
    };
    Err(Error::new(
        ErrorKind::UnknownFunction,
        format!(
            "adapter.dispatch found no implementation of `{qualified}`: none of redshift__{name}, postgres__{name} or default__{name} is defined in {}",
            order.join(", ")
        ),
    ))
}

/// `dbt_utils.x(...)`, `dbt.x(...)` and `package.x(...)`: the macros of that package. Without
/// an installed dbt_utils, modelplay's own renderings of its common macros stand in.
#[derive(Debug)]
pub(crate) enum Namespace {
    DbtUtils,
    Dbt,
    Package(String),
}

impl Namespace {
    fn name(&self) -> &str {
        match self {
            Namespace::DbtUtils => "dbt_utils",
            Namespace::Dbt => super::macros::INTERNAL_PACKAGE,
            Namespace::Package(name) => name,
        }
    }
}

impl Object for Namespace {
    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        if let Some(value) = ctx(state)?
            .macro_overrides
            .get(&format!("{}.{method}", self.name()))
        {
            return Ok(value.clone());
        }
        if let Some(found) = registry(state)?.get(self.name(), method) {
            // minijinja takes an unknown method inside the macro for this method being
            // unknown, and reports it under this method's name; say what was really missing.
            return found.call(state, args).map_err(|e| {
                if e.kind() == ErrorKind::UnknownMethod {
                    Error::new(ErrorKind::InvalidOperation, super::describe(&e))
                } else {
                    e
                }
            });
        }
        if self.name() == "dbt_utils" {
            if let Some(result) = dbt_utils::call(state, method, args) {
                return result;
            }
            let found = MacroFn::new(super::macros::DBT_UTILS_FILE, method);
            if found.exists(state) {
                return Arc::new(found).call(state, args);
            }
        }
        Err(Error::new(
            ErrorKind::UnknownFunction,
            format!("{self}.{method} is not a macro modelplay knows"),
        ))
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A macro a unit test overrides: called with any arguments, it returns `value`.
pub(crate) fn returning(value: Value) -> Value {
    Value::from_function(move |_args: Rest<Value>| -> Result<Value, Error> { Ok(value.clone()) })
}

/// Turns a value from YAML or a template into the SQL text it stands for.
pub(crate) fn as_sql(value: &Value) -> String {
    match value.kind() {
        ValueKind::None | ValueKind::Undefined => "null".into(),
        _ => value.to_string(),
    }
}
