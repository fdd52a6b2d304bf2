//! Redshift's string functions whose semantics differ from DataFusion's: the regex family
//! (`regexp_substr` returns '' on no match, `regexp_replace` replaces every match),
//! and `split_part` (negative parts are an error).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::ScalarUDF;
use regex::Regex;

use super::{RowUdf, int, text};

/// A compiled pattern: POSIX (Redshift's default, the regex crate) or, with the `p` flag,
/// PCRE (lookaround and the like, fancy-regex).
enum Re {
    Posix(Regex),
    Pcre(fancy_regex::Regex),
}

/// The spans of one match: the whole match, then each group (`None` when it took no part).
type Spans = Vec<Option<(usize, usize)>>;

impl Re {
    /// Every match in `s`, with its groups' spans.
    fn matches(&self, s: &str) -> Result<Vec<Spans>> {
        let spans = |n: usize, get: &dyn Fn(usize) -> Option<(usize, usize)>| {
            (0..n).map(get).collect::<Spans>()
        };
        match self {
            Re::Posix(re) => Ok(re
                .captures_iter(s)
                .map(|c| spans(c.len(), &|i| c.get(i).map(|m| (m.start(), m.end()))))
                .collect()),
            Re::Pcre(re) => {
                let mut out = Vec::new();
                for c in re.captures_iter(s) {
                    let c = match c {
                        Ok(c) => c,
                        Err(e) => return exec_err!("regular expression failed: {e}"),
                    };
                    out.push(spans(c.len(), &|i| c.get(i).map(|m| (m.start(), m.end()))));
                }
                Ok(out)
            }
        }
    }

    fn replace_all(&self, s: &str, with: &str) -> Result<String> {
        match self {
            Re::Posix(re) => Ok(re.replace_all(s, with).into_owned()),
            Re::Pcre(re) => match re.try_replacen(s, 0, with) {
                Ok(r) => Ok(r.into_owned()),
                Err(e) => exec_err!("regular expression failed: {e}"),
            },
        }
    }
}

/// Compiled patterns, keyed by pattern and flags: the same pattern is used on every row.
#[derive(Default)]
struct Patterns(Mutex<HashMap<(String, bool, bool), Arc<Re>>>);

impl Patterns {
    fn get(&self, pattern: &str, params: Option<&str>) -> Result<Arc<Re>> {
        let insensitive = params.is_some_and(|p| p.contains('i'));
        let pcre = params.is_some_and(|p| p.contains('p'));
        let key = (pattern.to_string(), insensitive, pcre);
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(re) = cache.get(&key) {
            return Ok(re.clone());
        }
        let source = if insensitive {
            format!("(?i){pattern}")
        } else {
            pattern.to_string()
        };
        let compiled = if pcre {
            fancy_regex::Regex::new(&source)
                .map(Re::Pcre)
                .map_err(|e| e.to_string())
        } else {
            Regex::new(&source)
                .map(Re::Posix)
                .map_err(|e| e.to_string())
        };
        match compiled {
            Ok(re) => {
                let re = Arc::new(re);
                cache.insert(key, re.clone());
                Ok(re)
            }
            Err(e) => exec_err!("invalid regular expression \"{pattern}\": {e}"),
        }
    }
}

/// The span a regexp function reports: the whole match, or with `e` its first group.
fn reported(m: &Spans, subexpr: bool) -> Option<(usize, usize)> {
    if subexpr && m.len() > 1 {
        m[1]
    } else {
        m.first().copied().flatten()
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
    let rest = &s[start..];
    let found = re
        .matches(rest)?
        .get(usize::try_from(occurrence - 1).unwrap_or(usize::MAX))
        .and_then(|m| reported(m, subexpr));
    Ok(ScalarValue::Utf8(Some(
        found.map_or(String::new(), |(a, b)| rest[a..b].to_string()),
    )))
}

fn regexp_count(p: &Patterns, a: &[ScalarValue]) -> Result<ScalarValue> {
    let (Some(s), Some(pat)) = (text(&a[0]), text(&a[1])) else {
        return Ok(ScalarValue::Int64(None));
    };
    let start = from_position(&s, opt_int(a, 2)?)?;
    let re = p.get(&pat, a.get(3).and_then(text).as_deref())?;
    Ok(ScalarValue::Int64(Some(
        re.matches(&s[start..])?.len() as i64
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
        .matches(&s[start..])?
        .get(usize::try_from(occurrence - 1).unwrap_or(usize::MAX))
        .and_then(|m| reported(m, subexpr));
    let position = hit.map_or(0, |(a, b)| {
        let byte = start + if after { b } else { a };
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
    let replaced = re.replace_all(&s[start..], replacement(&repl).as_str())?;
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
    ]
}
