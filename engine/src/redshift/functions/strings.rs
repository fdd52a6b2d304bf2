//! Redshift's string functions whose semantics differ from DataFusion's: the regex family
//! (`regexp_substr` returns '' on no match, `regexp_replace` replaces every match),
//! `split_part` (negative parts are an error), and the JSON text functions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::ScalarUDF;
use regex::Regex;

use super::{RowUdf, int, text};

/// Compiled patterns, keyed by pattern and flags: the same pattern is used on every row.
#[derive(Default)]
struct Patterns(Mutex<HashMap<(String, bool), Arc<Regex>>>);

impl Patterns {
    fn get(&self, pattern: &str, params: Option<&str>) -> Result<Arc<Regex>> {
        let insensitive = params.is_some_and(|p| p.contains('i'));
        let key = (pattern.to_string(), insensitive);
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(re) = cache.get(&key) {
            return Ok(re.clone());
        }
        let source = if insensitive {
            format!("(?i){pattern}")
        } else {
            pattern.to_string()
        };
        match Regex::new(&source) {
            Ok(re) => {
                let re = Arc::new(re);
                cache.insert(key, re.clone());
                Ok(re)
            }
            Err(e) => exec_err!("invalid regular expression \"{pattern}\": {e}"),
        }
    }
}

/// The part of `s` from 1-based `position` on, as byte offset.
fn from_position(s: &str, position: Option<i64>) -> Result<usize> {
    match position {
        None => Ok(0),
        Some(p) if p < 1 => exec_err!("the position argument must be 1 or more, got {p}"),
        Some(p) => Ok(s
            .char_indices()
            .nth(usize::try_from(p - 1).unwrap_or(usize::MAX))
            .map_or(s.len(), |(i, _)| i)),
    }
}

fn opt_int(args: &[ScalarValue], i: usize) -> Result<Option<i64>> {
    args.get(i).map(int).transpose().map(Option::flatten)
}

fn regexp_substr(p: &Patterns, a: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(s), Some(pat)) = (text(&a[0]), text(&a[1])) else {
        return Ok(ScalarValue::Utf8(None));
    };
    let start = from_position(&s, opt_int(a, 2)?)?;
    let occurrence = opt_int(a, 3)?.unwrap_or(1).max(1);
    let params = a.get(4).and_then(text);
    let re = p.get(&pat, params.as_deref())?;
    let subexpr = params.as_deref().is_some_and(|p| p.contains('e'));
    let hit = re
        .captures_iter(&s[start..])
        .nth(usize::try_from(occurrence - 1).unwrap_or(usize::MAX));
    let found = hit.and_then(|c| {
        if subexpr && c.len() > 1 {
            c.get(1)
        } else {
            c.get(0)
        }
    });
    Ok(ScalarValue::Utf8(Some(
        found.map_or(String::new(), |m| m.as_str().to_string()),
    )))
}

fn regexp_count(p: &Patterns, a: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(s), Some(pat)) = (text(&a[0]), text(&a[1])) else {
        return Ok(ScalarValue::Int64(None));
    };
    let start = from_position(&s, opt_int(a, 2)?)?;
    let re = p.get(&pat, a.get(3).and_then(text).as_deref())?;
    Ok(ScalarValue::Int64(Some(
        re.find_iter(&s[start..]).count() as i64
    )))
}

fn regexp_instr(p: &Patterns, a: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(s), Some(pat)) = (text(&a[0]), text(&a[1])) else {
        return Ok(ScalarValue::Int64(None));
    };
    let start = from_position(&s, opt_int(a, 2)?)?;
    let occurrence = opt_int(a, 3)?.unwrap_or(1).max(1);
    let after = opt_int(a, 4)?.unwrap_or(0) == 1;
    let params = a.get(5).and_then(text);
    let re = p.get(&pat, params.as_deref())?;
    let subexpr = params.as_deref().is_some_and(|p| p.contains('e'));
    let hit = re
        .captures_iter(&s[start..])
        .nth(usize::try_from(occurrence - 1).unwrap_or(usize::MAX))
        .and_then(|c| {
            if subexpr && c.len() > 1 {
                c.get(1)
            } else {
                c.get(0)
            }
        });
    let position = hit.map_or(0, |m| {
        let byte = start + if after { m.end() } else { m.start() };
        s[..byte].chars().count() as i64 + 1
    });
    Ok(ScalarValue::Int64(Some(position)))
}

/// POSIX `\1` back-references in a replacement become the regex crate's `${1}`.
fn replacement(r: &str) -> String {
    let mut out = String::new();
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(d)) if d.is_ascii_digit() => {
                out.push_str(&format!("${{{d}}}"));
                chars.next();
            }
            ('\\', Some('\\')) => {
                out.push('\\');
                chars.next();
            }
            ('$', _) => out.push_str("$$"),
            _ => out.push(c),
        }
    }
    out
}

fn regexp_replace(p: &Patterns, a: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(s), Some(pat)) = (text(&a[0]), text(&a[1])) else {
        return Ok(ScalarValue::Utf8(None));
    };
    let repl = match a.get(2) {
        Some(r) => match text(r) {
            Some(r) => r,
            None => return Ok(ScalarValue::Utf8(None)),
        },
        None => String::new(),
    };
    let start = from_position(&s, opt_int(a, 3)?)?;
    let re = p.get(&pat, a.get(4).and_then(text).as_deref())?;
    let replaced = re.replace_all(&s[start..], replacement(&repl).as_str());
    Ok(ScalarValue::Utf8(Some(format!(
        "{}{replaced}",
        &s[..start]
    ))))
}

fn split_part(a: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(s), Some(delim), Some(n)) = (text(&a[0]), text(&a[1]), int(&a[2])?) else {
        return Ok(ScalarValue::Utf8(None));
    };
    if n < 1 {
        return exec_err!("split_part: the part number must be greater than 0, got {n}");
    }
    let index = usize::try_from(n - 1).unwrap_or(usize::MAX);
    let part = if delim.is_empty() {
        (index == 0).then(|| s.clone())
    } else {
        s.split(delim.as_str()).nth(index).map(str::to_string)
    };
    Ok(ScalarValue::Utf8(Some(part.unwrap_or_default())))
}

fn json_extract_path_text(a: &[ScalarValue]) -> Result<ScalarValue> {
    let Some(doc) = text(&a[0]) else {
        return Ok(ScalarValue::Utf8(None));
    };
    let mut keys: Vec<String> = Vec::new();
    let mut null_if_invalid = false;
    for (i, v) in a.iter().enumerate().skip(1) {
        match v {
            ScalarValue::Boolean(b) if i == a.len() - 1 => null_if_invalid = b.unwrap_or(false),
            v => match text(v) {
                Some(k) => keys.push(k),
                None => return Ok(ScalarValue::Utf8(None)),
            },
        }
    }
    let value: serde_json::Value = match serde_json::from_str(&doc) {
        Ok(v) => v,
        Err(_) if null_if_invalid => return Ok(ScalarValue::Utf8(None)),
        Err(e) => return exec_err!("JSON parsing error: {e}"),
    };
    let mut cur = &value;
    for k in &keys {
        let next = match cur {
            serde_json::Value::Object(m) => m.get(k),
            serde_json::Value::Array(items) => k.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return Ok(ScalarValue::Utf8(Some(String::new()))),
        }
    }
    Ok(ScalarValue::Utf8(match cur {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }))
}

pub(super) fn udfs() -> Vec<ScalarUDF> {
    let p = Arc::new(Patterns::default());
    let (p1, p2, p3, p4) = (p.clone(), p.clone(), p.clone(), p);
    vec![
        RowUdf::udf(
            "regexp_substr",
            2..=5,
            |_| Ok(DataType::Utf8),
            move |a| regexp_substr(&p1, a),
        ),
        RowUdf::udf(
            "regexp_count",
            2..=4,
            |_| Ok(DataType::Int64),
            move |a| regexp_count(&p2, a),
        ),
        RowUdf::udf(
            "regexp_instr",
            2..=6,
            |_| Ok(DataType::Int64),
            move |a| regexp_instr(&p3, a),
        ),
        RowUdf::udf(
            "regexp_replace",
            2..=5,
            |_| Ok(DataType::Utf8),
            move |a| regexp_replace(&p4, a),
        ),
        RowUdf::udf("split_part", 3..=3, |_| Ok(DataType::Utf8), split_part),
        RowUdf::udf(
            "json_extract_path_text",
            2..=64,
            |_| Ok(DataType::Utf8),
            json_extract_path_text,
        ),
        RowUdf::udf(
            "is_valid_json",
            1..=1,
            |_| Ok(DataType::Boolean),
            |a| {
                Ok(ScalarValue::Boolean(text(&a[0]).map(|s| {
                    serde_json::from_str::<serde_json::Value>(&s).is_ok()
                })))
            },
        ),
    ]
}
