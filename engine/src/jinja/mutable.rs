//! Python's mutable lists and dicts, which dbt's macros rely on (`{% do cols.append(c) %}`,
//! `{% do d.update(...) %}`). minijinja's literals are immutable, so a `{% set x = [...] %}`
//! or `{% set x = {...} %}` is read as a list or dict of ours (see `mutable_literals`), and
//! these methods change it in place.

use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};
use regex::Regex;

/// The function a set literal is wrapped in.
pub(crate) const MUTABLE_FN: &str = "__modelplay_mutable";

/// `value` as a list or dict that can be changed in place (other values as they are), and
/// so the lists and dicts inside it.
pub(crate) fn mutable(value: Value) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::Seq => Ok(Value::from_object(List(Mutex::new(
            value.try_iter()?.map(stored).collect::<Result<_, _>>()?,
        )))),
        ValueKind::Map => {
            let mut entries = Vec::new();
            for key in value.try_iter()? {
                let v = value.get_item(&key)?;
                entries.push((key, stored(v)?));
            }
            Ok(Value::from_object(Dict(Mutex::new(entries))))
        }
        _ => Ok(value),
    }
}

/// A value as a list or dict holds it: a literal list or dict (`{% do d.update({k: []}) %}`)
/// becomes a mutable one, as every Python list is, so that `d[k].append(x)` works later.
/// Lists and dicts that are already ours, and objects such as relations, stay as they are.
fn stored(value: Value) -> Result<Value, Error> {
    let literal = value.downcast_object_ref::<Vec<Value>>().is_some()
        || value
            .downcast_object_ref::<indexmap::IndexMap<Value, Value>>()
            .is_some();
    if literal { mutable(value) } else { Ok(value) }
}

static SET_LITERAL: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new(r"\{%-?\s*set\s+[A-Za-z_][A-Za-z0-9_]*\s*=\s*[\[{]"));

/// Wraps the list or dict literal of each `{% set name = [...] %}` / `{% set name = {...} %}`
/// in the function that makes it mutable. Only characters are added, on the same line, so
/// error lines stay right.
pub(crate) fn mutable_literals(source: &str) -> String {
    let Ok(re) = &*SET_LITERAL else {
        return source.to_string();
    };
    let mut out = String::with_capacity(source.len());
    let mut at = 0;
    for m in re.find_iter(source) {
        if m.start() < at {
            continue;
        }
        let literal = m.end() - 1;
        let Some(close) = source[literal..].find("%}").map(|i| literal + i) else {
            continue;
        };
        let end = if source[..close].ends_with('-') {
            close - 1
        } else {
            close
        };
        let expr = source[literal..end].trim_end();
        out.push_str(&source[at..literal]);
        out.push_str(MUTABLE_FN);
        out.push('(');
        out.push_str(expr);
        out.push(')');
        out.push_str(&source[literal + expr.len()..end]);
        at = end;
    }
    out.push_str(&source[at..]);
    out
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn no_method(kind: &str, method: &str) -> Error {
    Error::new(
        ErrorKind::UnknownMethod,
        format!("{kind} has no method named {method}"),
    )
}

#[derive(Debug)]
struct List(Mutex<Vec<Value>>);

impl Object for List {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let items = lock(&self.0);
        let i = key.as_i64()?;
        let i = if i < 0 { items.len() as i64 + i } else { i };
        items.get(usize::try_from(i).ok()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(lock(&self.0).clone())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let mut items = lock(&self.0);
        match method {
            "append" => {
                let (v,): (Value,) = minijinja::value::from_args(args)?;
                items.push(stored(v)?);
                Ok(Value::from(()))
            }
            "extend" => {
                let (more,): (Value,) = minijinja::value::from_args(args)?;
                for v in more.try_iter()? {
                    items.push(stored(v)?);
                }
                Ok(Value::from(()))
            }
            "insert" => {
                let (i, v): (i64, Value) = minijinja::value::from_args(args)?;
                let i = if i < 0 { items.len() as i64 + i } else { i };
                let i = usize::try_from(i.max(0)).unwrap_or(0).min(items.len());
                items.insert(i, stored(v)?);
                Ok(Value::from(()))
            }
            "pop" => {
                let (i,): (Option<i64>,) = minijinja::value::from_args(args)?;
                let len = items.len() as i64;
                let i = i.map_or(len - 1, |i| if i < 0 { len + i } else { i });
                match usize::try_from(i).ok().filter(|i| *i < items.len()) {
                    Some(i) => Ok(items.remove(i)),
                    None => Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "pop index out of range",
                    )),
                }
            }
            "remove" => {
                let (v,): (Value,) = minijinja::value::from_args(args)?;
                match items.iter().position(|x| *x == v) {
                    Some(i) => {
                        items.remove(i);
                        Ok(Value::from(()))
                    }
                    None => Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "list.remove(x): x not in list",
                    )),
                }
            }
            "index" => {
                let (v,): (Value,) = minijinja::value::from_args(args)?;
                items
                    .iter()
                    .position(|x| *x == v)
                    .map(Value::from)
                    .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "x not in list"))
            }
            "count" => {
                let (v,): (Value,) = minijinja::value::from_args(args)?;
                Ok(Value::from(items.iter().filter(|x| **x == v).count()))
            }
            "copy" => Ok(Value::from_object(List(Mutex::new(items.clone())))),
            "reverse" => {
                items.reverse();
                Ok(Value::from(()))
            }
            _ => Err(no_method("list", method)),
        }
    }
}

#[derive(Debug)]
struct Dict(Mutex<Vec<(Value, Value)>>);

impl Dict {
    fn set(entries: &mut Vec<(Value, Value)>, key: Value, value: Value) {
        match entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => entries.push((key, value)),
        }
    }
}

impl Object for Dict {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        lock(&self.0)
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(lock(&self.0).iter().map(|(k, _)| k.clone()).collect())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let mut entries = lock(&self.0);
        match method {
            "update" => {
                let (other,): (Value,) = minijinja::value::from_args(args)?;
                for key in other.try_iter()? {
                    let v = stored(other.get_item(&key)?)?;
                    Dict::set(&mut entries, key, v);
                }
                Ok(Value::from(()))
            }
            "pop" => {
                let (key, default): (Value, Option<Value>) = minijinja::value::from_args(args)?;
                match entries.iter().position(|(k, _)| *k == key) {
                    Some(i) => Ok(entries.remove(i).1),
                    None => default.ok_or_else(|| {
                        Error::new(ErrorKind::InvalidOperation, format!("key {key} not found"))
                    }),
                }
            }
            "setdefault" => {
                let (key, default): (Value, Option<Value>) = minijinja::value::from_args(args)?;
                if let Some((_, v)) = entries.iter().find(|(k, _)| *k == key) {
                    return Ok(v.clone());
                }
                let v = stored(default.unwrap_or(Value::from(())))?;
                entries.push((key, v.clone()));
                Ok(v)
            }
            "get" => {
                let (key, default): (Value, Option<Value>) = minijinja::value::from_args(args)?;
                Ok(entries
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| default.unwrap_or(Value::from(()))))
            }
            "keys" => Ok(Value::from(
                entries.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
            )),
            "values" => Ok(Value::from(
                entries.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
            )),
            "items" => Ok(Value::from(
                entries
                    .iter()
                    .map(|(k, v)| Value::from(vec![k.clone(), v.clone()]))
                    .collect::<Vec<_>>(),
            )),
            "copy" => Ok(Value::from_object(Dict(Mutex::new(entries.clone())))),
            _ => Err(no_method("dict", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_literals_are_wrapped_on_their_own_line() {
        assert_eq!(
            mutable_literals("{% set cols = [] %}\n{%- set d = {'a': 1} -%}x{% set n = 1 %}"),
            "{% set cols = __modelplay_mutable([]) %}\n{%- set d = __modelplay_mutable({'a': 1}) -%}x{% set n = 1 %}"
        );
        assert_eq!(
            mutable_literals("{% set x = [1,\n 2] %}").lines().count(),
            2
        );
    }
}
