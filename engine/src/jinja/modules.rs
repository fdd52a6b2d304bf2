//! dbt's `modules`: the parts of Python's `re` and `datetime` that macros use
//! (`modules.re.sub`, `modules.re.match(..., modules.re.IGNORECASE)`,
//! `modules.re.compile(p).sub(...)`, `modules.datetime.datetime.now().strftime(...)`).
//! Patterns run on `fancy-regex`, which has Python's look-around and back-references.
//! `now()` is the run's time, as `getdate()` is.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use fancy_regex::{Regex, RegexBuilder};
use minijinja::value::{Kwargs, Object, Value, from_args};
use minijinja::{Error, ErrorKind, State};

use super::functions::ctx;

/// Python's flag values, so that `IGNORECASE + DOTALL` adds up as it does there.
const IGNORECASE: i64 = 2;
const MULTILINE: i64 = 8;
const DOTALL: i64 = 16;
const VERBOSE: i64 = 64;

#[derive(Debug)]
pub struct Modules;

impl Object for Modules {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "re" => Some(Value::from_object(Re)),
            "datetime" => Some(Value::from_object(DatetimeModule)),
            _ => None,
        }
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// Argument `i` of `call` as text, as Python's `str()` of it would read.
fn text_arg(args: &[Value], i: usize, call: &str) -> Result<String, Error> {
    args.get(i)
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .ok_or_else(|| invalid(format!("{call} is missing an argument")))
}

#[derive(Debug)]
struct Re;

impl Object for Re {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let flag = match key.as_str()? {
            "IGNORECASE" | "I" => IGNORECASE,
            "MULTILINE" | "M" => MULTILINE,
            "DOTALL" | "S" => DOTALL,
            "VERBOSE" | "X" => VERBOSE,
            "ASCII" | "A" | "UNICODE" | "U" => 0,
            _ => return None,
        };
        Some(Value::from(flag))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (positional, kwargs): (&[Value], Kwargs) = from_args(args)?;
        let text = |i: usize| text_arg(positional, i, &format!("re.{method}()"));
        let flag_at = match method {
            "compile" => 1,
            "sub" | "subn" => 4,
            "split" => 3,
            _ => 2,
        };
        let flags = match kwargs.get::<Option<i64>>("flags")? {
            Some(f) => f,
            None => positional
                .get(flag_at)
                .and_then(|v| i64::try_from(v.clone()).ok())
                .unwrap_or(0),
        };
        if method == "escape" {
            return Ok(Value::from(fancy_regex::escape(&text(0)?).into_owned()));
        }
        let pattern = Pattern::new(&text(0)?, flags)?;
        if method == "compile" {
            kwargs.assert_all_used()?;
            return Ok(Value::from_object(pattern));
        }
        // `sub(pattern, repl, string, count)` and `split(pattern, string, maxsplit)` may give
        // their limit by position, just before the flags.
        let positional_limit = match method {
            "sub" | "subn" | "split" => positional
                .get(flag_at - 1)
                .and_then(|v| usize::try_from(v.clone()).ok()),
            _ => None,
        };
        let rest: Vec<Value> = positional
            .iter()
            .skip(1)
            .take(flag_at - 1)
            .cloned()
            .collect();
        let count = kwargs.get::<Option<usize>>("count")?;
        let maxsplit = kwargs.get::<Option<usize>>("maxsplit")?;
        kwargs.assert_all_used()?;
        pattern.apply(method, &rest, count.or(maxsplit).or(positional_limit))
    }
}

/// A compiled pattern, as `re.compile` returns it.
#[derive(Debug)]
struct Pattern {
    source: String,
    flags: i64,
    regex: Regex,
}

impl Pattern {
    fn new(source: &str, flags: i64) -> Result<Pattern, Error> {
        let regex = RegexBuilder::new(source)
            .case_insensitive(flags & IGNORECASE != 0)
            .multi_line(flags & MULTILINE != 0)
            .dot_matches_new_line(flags & DOTALL != 0)
            .ignore_whitespace(flags & VERBOSE != 0)
            .build()
            .map_err(|e| {
                invalid(format!(
                    "`{source}` is not a regular expression modelplay reads: {e}"
                ))
            })?;
        Ok(Pattern {
            source: source.to_string(),
            flags,
            regex,
        })
    }

    /// A match that could not finish (too much backtracking), said of this pattern.
    fn failed(&self, e: &fancy_regex::Error) -> Error {
        invalid(format!(
            "the pattern `{}` could not be matched: {e}",
            self.source
        ))
    }

    /// `match`, `search`, `fullmatch`, `findall`, `sub` and `split` on `args` (the string, and
    /// for `sub` the replacement first).
    fn apply(&self, method: &str, args: &[Value], limit: Option<usize>) -> Result<Value, Error> {
        let arg = |i: usize| text_arg(args, i, &format!("{method}()"));
        let limit = limit.filter(|n| *n > 0);
        match method {
            "match" | "search" | "fullmatch" => {
                let text = arg(0)?;
                // Python's `match` holds only at the start, `fullmatch` only over the whole.
                let anchored = match method {
                    "match" => Some(format!(r"\A(?:{})", self.source)),
                    "fullmatch" => Some(format!(r"\A(?:{})\z", self.source)),
                    _ => None,
                };
                let anchored = anchored.map(|p| Pattern::new(&p, self.flags)).transpose()?;
                let regex = anchored.as_ref().map_or(&self.regex, |p| &p.regex);
                Ok(regex
                    .captures(&text)
                    .map_err(|e| self.failed(&e))?
                    .map_or(Value::from(()), |c| {
                        Value::from_object(Match::of(&c, regex))
                    }))
            }
            "findall" => {
                let text = arg(0)?;
                let groups = self.regex.captures_len() - 1;
                let found = self
                    .regex
                    .captures_iter(&text)
                    .map(|c| {
                        let c = c.map_err(|e| self.failed(&e))?;
                        Ok(match groups {
                            0 => Value::from(c.get(0).map_or("", |m| m.as_str())),
                            1 => Value::from(c.get(1).map_or("", |m| m.as_str())),
                            _ => Value::from(
                                (1..=groups)
                                    .map(|g| Value::from(c.get(g).map_or("", |m| m.as_str())))
                                    .collect::<Vec<_>>(),
                            ),
                        })
                    })
                    .collect::<Result<Vec<Value>, Error>>()?;
                Ok(Value::from(found))
            }
            "sub" => {
                let replacement = python_replacement(&arg(0)?);
                let text = arg(1)?;
                let out = self
                    .regex
                    .try_replacen(&text, limit.unwrap_or(0), replacement.as_str())
                    .map_err(|e| self.failed(&e))?;
                Ok(Value::from(out.into_owned()))
            }
            "split" => {
                let text = arg(0)?;
                let parts: Result<Vec<&str>, fancy_regex::Error> = match limit {
                    Some(n) => self.regex.splitn(&text, n + 1).collect(),
                    None => self.regex.split(&text).collect(),
                };
                let parts = parts.map_err(|e| self.failed(&e))?;
                Ok(Value::from(
                    parts.into_iter().map(Value::from).collect::<Vec<_>>(),
                ))
            }
            _ => Err(invalid(format!(
                "modelplay's re has match, search, fullmatch, findall, sub, split, compile and escape, not {method}"
            ))),
        }
    }
}

impl Object for Pattern {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        (key.as_str()? == "pattern").then(|| Value::from(self.source.clone()))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (positional, kwargs): (&[Value], Kwargs) = from_args(args)?;
        let limit = kwargs
            .get::<Option<usize>>("count")?
            .or(kwargs.get::<Option<usize>>("maxsplit")?);
        kwargs.assert_all_used()?;
        self.apply(method, positional, limit)
    }
}

/// Python's `\1`, `\g<1>` and `\g<name>` as the regex crate's `${1}` and `${name}`; a `$` of
/// the user's own is literal.
fn python_replacement(repl: &str) -> String {
    let mut out = String::new();
    let mut chars = repl.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    let mut group = String::new();
                    while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                        group.push(d);
                        chars.next();
                    }
                    out.push_str(&format!("${{{group}}}"));
                }
                Some('g') => {
                    chars.next();
                    if chars.peek() == Some(&'<') {
                        chars.next();
                        let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
                        out.push_str(&format!("${{{name}}}"));
                    } else {
                        out.push_str("\\g");
                    }
                }
                Some('n') => {
                    chars.next();
                    out.push('\n');
                }
                Some('t') => {
                    chars.next();
                    out.push('\t');
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            other => out.push(other),
        }
    }
    out
}

/// A match, as `re.match` and `re.search` return it: true in an `if`, with its groups.
#[derive(Debug)]
struct Match {
    groups: Vec<Option<(String, usize, usize)>>,
    names: Vec<(String, usize)>,
}

impl Match {
    fn of(captures: &fancy_regex::Captures<'_>, regex: &Regex) -> Match {
        Match {
            groups: (0..captures.len())
                .map(|i| {
                    captures
                        .get(i)
                        .map(|m| (m.as_str().to_string(), m.start(), m.end()))
                })
                .collect(),
            names: regex
                .capture_names()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (n.to_string(), i)))
                .collect(),
        }
    }

    fn index(&self, key: &Value) -> Result<usize, Error> {
        if let Some(name) = key.as_str() {
            return self
                .names
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, i)| *i)
                .ok_or_else(|| invalid(format!("the pattern has no group named `{name}`")));
        }
        key.as_usize()
            .filter(|i| *i < self.groups.len())
            .ok_or_else(|| invalid(format!("the pattern has no group {key}")))
    }

    fn group(&self, i: usize) -> Value {
        match self.groups.get(i) {
            Some(Some((text, _, _))) => Value::from(text.clone()),
            _ => Value::from(()),
        }
    }
}

impl Object for Match {
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let at = |which: fn(&(String, usize, usize)) -> usize| -> Result<Value, Error> {
            let i = match args.first() {
                Some(k) => self.index(k)?,
                None => 0,
            };
            Ok(match self.groups.get(i) {
                Some(Some(g)) => Value::from(which(g) as i64),
                _ => Value::from(-1),
            })
        };
        match method {
            "group" => match args {
                [] => Ok(self.group(0)),
                [one] => Ok(self.group(self.index(one)?)),
                many => Ok(Value::from(
                    many.iter()
                        .map(|k| self.index(k).map(|i| self.group(i)))
                        .collect::<Result<Vec<_>, _>>()?,
                )),
            },
            "groups" => Ok(Value::from(
                (1..self.groups.len())
                    .map(|i| self.group(i))
                    .collect::<Vec<_>>(),
            )),
            "groupdict" => Ok(Value::from_iter(
                self.names.iter().map(|(n, i)| (n.clone(), self.group(*i))),
            )),
            "start" => at(|g| g.1),
            "end" => at(|g| g.2),
            _ => Err(invalid(format!(
                "a match has group, groups, groupdict, start and end, not {method}"
            ))),
        }
    }
}

#[derive(Debug)]
struct DatetimeModule;

impl Object for DatetimeModule {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "datetime" => Some(Value::from_object(DatetimeClass { date_only: false })),
            "date" => Some(Value::from_object(DatetimeClass { date_only: true })),
            // Jinja here has no operators for dates, so `now() - timedelta(...)` cannot work.
            "timedelta" => Some(Value::from_object(Timedelta)),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct Timedelta;

impl Object for Timedelta {
    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, _args: &[Value]) -> Result<Value, Error> {
        Err(invalid(
            "modelplay's modules.datetime has no timedelta: do date arithmetic in the SQL, with dateadd",
        ))
    }
}

/// `datetime.datetime` and `datetime.date`: the constructors and `now`, `today`, `strptime`.
#[derive(Debug)]
struct DatetimeClass {
    date_only: bool,
}

impl Object for DatetimeClass {
    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let moment = match method {
            "now" | "utcnow" | "today" => {
                let ctx = ctx(state)?;
                // The run's time, as `getdate()` gives it; while the project is parsed there is
                // no run yet, and dbt's answer then is never what the run sees either.
                NaiveDateTime::parse_from_str(&ctx.run_started_at, "%Y-%m-%d %H:%M:%S%.f")
                    .or_else(|_| {
                        NaiveDateTime::parse_from_str(&ctx.run_started_at, "%Y-%m-%d %H:%M:%S")
                    })
                    .unwrap_or_default()
            }
            "strptime" => {
                let (text, format): (String, String) = from_args(args)?;
                let format = format.replace("%f", "%6f");
                NaiveDateTime::parse_from_str(&text, &format)
                    .or_else(|_| {
                        NaiveDate::parse_from_str(&text, &format)
                            .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
                    })
                    .map_err(|e| invalid(format!("`{text}` does not match `{format}`: {e}")))?
            }
            _ => {
                return Err(invalid(format!(
                    "modelplay's datetime has now, utcnow, today and strptime, not {method}"
                )));
            }
        };
        Ok(Value::from_object(Moment {
            at: moment,
            date_only: self.date_only,
        }))
    }
}

/// A `datetime` or a `date`: its parts, `strftime` and `isoformat`.
#[derive(Debug)]
struct Moment {
    at: NaiveDateTime,
    date_only: bool,
}

impl Object for Moment {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let at = &self.at;
        Some(Value::from(match key.as_str()? {
            "year" => at.year() as i64,
            "month" => at.month() as i64,
            "day" => at.day() as i64,
            "hour" if !self.date_only => at.hour() as i64,
            "minute" if !self.date_only => at.minute() as i64,
            "second" if !self.date_only => at.second() as i64,
            "microsecond" if !self.date_only => (at.nanosecond() / 1000) as i64,
            _ => return None,
        }))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "strftime" => {
                let (format,): (String,) = from_args(args)?;
                let format = format.replace("%f", "%6f");
                let mut out = String::new();
                use std::fmt::Write;
                write!(out, "{}", self.at.format(&format))
                    .map_err(|_| invalid(format!("`{format}` is not a strftime format")))?;
                Ok(Value::from(out))
            }
            "isoformat" => Ok(Value::from(self.text('T'))),
            "date" => Ok(Value::from_object(Moment {
                at: self.at.date().and_hms_opt(0, 0, 0).unwrap_or_default(),
                date_only: true,
            })),
            "weekday" => Ok(Value::from(self.at.weekday().num_days_from_monday() as i64)),
            "isoweekday" => Ok(Value::from(self.at.weekday().number_from_monday() as i64)),
            _ => Err(invalid(format!(
                "modelplay's datetime values have strftime, isoformat, date, weekday and isoweekday, not {method}; date arithmetic belongs in the SQL (dateadd)"
            ))),
        }
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result
    where
        Self: Sized + 'static,
    {
        f.write_str(&self.text(' '))
    }
}

impl Moment {
    /// As Python prints it: `isoformat()` puts `T` between date and time, `str()` a space;
    /// microseconds only when there are any.
    fn text(&self, between: char) -> String {
        let format = if self.date_only {
            "%Y-%m-%d".to_string()
        } else if self.at.nanosecond() == 0 {
            format!("%Y-%m-%d{between}%H:%M:%S")
        } else {
            format!("%Y-%m-%d{between}%H:%M:%S%.6f")
        };
        self.at.format(&format).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pythons_replacement_syntax_becomes_the_regex_crates() {
        assert_eq!(python_replacement(r"\2 at \1"), "${2} at ${1}");
        assert_eq!(python_replacement(r"\g<name>-\g<1>"), "${name}-${1}");
        assert_eq!(python_replacement("cost: $5"), "cost: $$5");
    }

    #[test]
    fn a_pattern_that_is_not_a_regular_expression_says_so() {
        let err = Pattern::new("a(b", 0).unwrap_err().to_string();
        assert!(err.contains("`a(b` is not a regular expression"), "{err}");
    }
}
