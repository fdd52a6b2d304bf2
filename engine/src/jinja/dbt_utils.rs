//! The dbt_utils macros that real projects lean on, rendered exactly as dbt_utils renders
//! them for Redshift. Their tests (`expression_is_true`, ...) live in `builtin_tests.sql`.

use minijinja::value::{Kwargs, Value, from_args};
use minijinja::{Error, ErrorKind, State};

use super::context::Phase;
use super::functions::{as_sql, columns_of, ctx};
use crate::relation::RelationValue;

/// Handles `dbt_utils.<method>(...)` when it is one of ours; `None` lets the caller look
/// further.
pub(crate) fn call(state: &State, method: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    match method {
        "generate_surrogate_key" | "surrogate_key" => Some(generate_surrogate_key(state, args)),
        "star" => Some(star(state, args)),
        "union_relations" => Some(union_relations(state, args)),
        _ => None,
    }
}

fn generate_surrogate_key(state: &State, args: &[Value]) -> Result<Value, Error> {
    let (fields, _kwargs): (Value, Kwargs) = from_args(args)?;
    let ctx = ctx(state)?;
    let empty = ctx
        .vars
        .get("surrogate_key_treat_nulls_as_empty_strings")
        .is_some_and(|v| v.as_bool().unwrap_or(false));
    let null_value = if empty {
        ""
    } else {
        "_dbt_utils_surrogate_key_null_"
    };
    let fields: Vec<String> = match fields.try_iter() {
        Ok(iter) if fields.as_str().is_none() => iter.map(|v| as_sql(&v)).collect(),
        _ => vec![as_sql(&fields)],
    };
    let parts: Vec<String> = fields
        .iter()
        .map(|f| format!("coalesce(cast({f} as TEXT), '{null_value}')"))
        .collect();
    Ok(Value::from_safe_string(format!(
        "md5(cast({} as TEXT))",
        parts.join(" || '-' || ")
    )))
}

fn star(state: &State, args: &[Value]) -> Result<Value, Error> {
    let (positional, kwargs): (&[Value], Kwargs) = from_args(args)?;
    let from = match positional.first() {
        Some(v) => v.clone(),
        None => kwargs.get::<Value>("from")?,
    };
    let relation_alias: Option<String> = kwargs.get("relation_alias")?;
    let except: Option<Vec<String>> = kwargs.get("except")?;
    let prefix: Option<String> = kwargs.get("prefix")?;
    let suffix: Option<String> = kwargs.get("suffix")?;
    let quote: Option<bool> = kwargs.get("quote_identifiers")?;
    kwargs.assert_all_used()?;
    if ctx(state)?.phase == Phase::Parse {
        return Ok(Value::from("*"));
    }
    let except: Vec<String> = except
        .unwrap_or_default()
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    let (prefix, suffix) = (prefix.unwrap_or_default(), suffix.unwrap_or_default());
    let quote = quote.unwrap_or(true);
    let q = |s: &str| {
        if quote {
            format!("\"{s}\"")
        } else {
            s.to_string()
        }
    };
    let cols: Vec<String> = columns_of(state, &from)?
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| !except.contains(&name.to_lowercase()))
        .map(|name| {
            let mut out = String::new();
            if let Some(alias) = relation_alias.as_deref().filter(|a| !a.is_empty()) {
                out.push_str(alias);
                out.push('.');
            }
            out.push_str(&q(&name));
            if !prefix.is_empty() || !suffix.is_empty() {
                out.push_str(" as ");
                out.push_str(&q(&format!("{prefix}{name}{suffix}")));
            }
            out
        })
        .collect();
    if cols.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("dbt_utils.star found no columns in {from}"),
        ));
    }
    Ok(Value::from_safe_string(cols.join(",\n  ")))
}

fn union_relations(state: &State, args: &[Value]) -> Result<Value, Error> {
    let (positional, kwargs): (&[Value], Kwargs) = from_args(args)?;
    let relations = match positional.first() {
        Some(v) => v.clone(),
        None => kwargs.get::<Value>("relations")?,
    };
    let include: Option<Vec<String>> = kwargs.get("include")?;
    let exclude: Option<Vec<String>> = kwargs.get("exclude")?;
    let source_column: Option<String> = kwargs.get("source_column_name")?;
    let where_clause: Option<String> = kwargs.get("where")?;
    let _column_override: Option<Value> = kwargs.get("column_override")?;
    kwargs.assert_all_used()?;
    let lower = |v: Option<Vec<String>>| -> Vec<String> {
        v.unwrap_or_default()
            .iter()
            .map(|s| s.to_lowercase())
            .collect()
    };
    let (include, exclude) = (lower(include), lower(exclude));
    let source_column = source_column.unwrap_or_else(|| "_dbt_source_relation".into());
    if ctx(state)?.phase == Phase::Parse {
        return Ok(Value::from(""));
    }
    let mut per_relation: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut all: Vec<(String, String)> = Vec::new();
    for rel in relations.try_iter()? {
        let Some(rv) = rel.downcast_object_ref::<RelationValue>() else {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "union_relations takes a list of relations from ref() or source()",
            ));
        };
        let cols: Vec<(String, String)> = columns_of(state, &rel)?
            .into_iter()
            .filter(|(n, _)| {
                let n = n.to_lowercase();
                (include.is_empty() || include.contains(&n)) && !exclude.contains(&n)
            })
            .collect();
        for (name, ty) in &cols {
            if !all.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                all.push((name.clone(), ty.clone()));
            }
        }
        per_relation.push((rv.rendered.clone(), cols));
    }
    let selects: Vec<String> = per_relation
        .iter()
        .map(|(rendered, cols)| {
            let mut lines = vec![format!(
                "cast('{}' as varchar) as {source_column}",
                rendered.replace('\'', "''")
            )];
            for (name, ty) in &all {
                let expr = if cols.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    format!("\"{name}\"")
                } else {
                    "null".to_string()
                };
                lines.push(format!("cast({expr} as {ty}) as \"{name}\""));
            }
            let filter = where_clause
                .as_deref()
                .map(|w| format!("\n\n    where {w}"))
                .unwrap_or_default();
            format!(
                "(\n    select\n        {}\n    from {rendered}{filter}\n)",
                lines.join(",\n        ")
            )
        })
        .collect();
    Ok(Value::from_safe_string(selects.join("\n\nunion all\n\n")))
}
