//! Diagnostics that point into the user's own files.
//!
//! Every mistake a user can make is reported as a [`Diagnostic`]: the file, the 1-based line
//! and column, what is wrong and, where we know, how to fix it. `{}` prints one line;
//! `{:#}` adds the offending line with a caret under the fault, the way compilers do.

use std::fmt;

use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// What kind of problem a diagnostic is: a stable word, printed beside the severity, that a
/// user can search for and a tool can match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// The project's shape: a missing `dbt_project.yml`, two nodes of one name, properties
    /// for a node that does not exist, a snapshot file without its block.
    Project,
    /// A YAML file that does not parse.
    Yaml,
    /// A config key or value dbt would reject, or one that names what does not exist.
    Config,
    /// A Jinja template that does not parse or render, or calls a macro that does not exist.
    Jinja,
    /// A `ref` or `source` naming a node that does not exist.
    Ref,
    /// Nodes that depend on each other in a circle.
    Cycle,
    /// SQL that does not parse.
    Syntax,
    /// SQL that parses but cannot be planned: unknown columns and tables, wrong types.
    Plan,
    /// An error while a query runs: a division by zero, a value that does not cast.
    Runtime,
    /// A seed or a sample data file that cannot be read as declared.
    Data,
    /// A data test that cannot be built for the model it tests.
    Test,
    /// A unit test whose inputs or expectation do not fit the model it tests.
    UnitTest,
    /// A node not checked because one it depends on has errors.
    Upstream,
    /// A `--select` or `--exclude` expression that picks nothing or does not parse.
    Selector,
    /// Something dbt or Redshift does that modelplay does not.
    Unsupported,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Project => "project",
            Code::Yaml => "yaml",
            Code::Config => "config",
            Code::Jinja => "jinja",
            Code::Ref => "ref",
            Code::Cycle => "cycle",
            Code::Syntax => "syntax",
            Code::Plan => "plan",
            Code::Runtime => "runtime",
            Code::Data => "data",
            Code::Test => "test",
            Code::UnitTest => "unit-test",
            Code::Upstream => "upstream",
            Code::Selector => "selector",
            Code::Unsupported => "unsupported",
        }
    }
}

/// A position in a user's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    /// 1-based; 0 when only the file is known.
    pub line: usize,
    /// 1-based, in characters; 0 when only the line is known.
    pub column: usize,
}

impl Location {
    pub fn new(file: impl Into<String>, line: usize, column: usize) -> Self {
        Location {
            file: file.into(),
            line,
            column,
        }
    }

    pub fn file(file: impl Into<String>) -> Self {
        Location::new(file, 0, 0)
    }

    /// A command-line option's value, for what the user typed there rather than in a file.
    pub fn option(name: &str) -> Self {
        Location::file(name)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}", self.file),
            (l, 0) => write!(f, "{}:{l}", self.file),
            (l, c) => write!(f, "{}:{l}:{c}", self.file),
        }
    }
}

/// A second place a diagnostic is about, such as the call of the macro the error is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub location: Location,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
}

/// One problem found in a project, located in the user's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub location: Location,
    pub message: String,
    /// How to fix it, when we know.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The offending source line, quoted for the reader.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
    /// Other places the problem involves, each with what it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
}

impl Diagnostic {
    pub fn error(code: Code, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            location,
            message: message.into(),
            hint: None,
            source_line: None,
            labels: Vec::new(),
        }
    }

    pub fn warning(code: Code, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, location, message)
        }
    }

    /// Adds a second place, quoting its line from `source` (the full text of its file).
    pub fn with_label(
        mut self,
        location: Location,
        message: impl Into<String>,
        source: &str,
    ) -> Self {
        let source_line = quote_line(source, location.line);
        self.labels.push(Label {
            location,
            message: message.into(),
            source_line,
        });
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Quotes the located line from `source` (the full text of the located file).
    pub fn with_source(mut self, source: &str) -> Self {
        self.source_line = quote_line(source, self.location.line);
        self
    }
}

fn quote_line(source: &str, line: usize) -> Option<String> {
    let index = line.checked_sub(1)?;
    source
        .lines()
        .nth(index)
        .map(|l| l.trim_end_matches('\r').to_string())
}

/// The quoted line with a caret under `column`, compiler style.
fn write_quote(f: &mut fmt::Formatter<'_>, location: &Location, line: &str) -> fmt::Result {
    let number = location.line.to_string();
    let pad = " ".repeat(number.len());
    write!(f, "\n{pad} |\n{number} | {line}")?;
    if location.column > 0 {
        let indent: String = line
            .chars()
            .take(location.column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "\n{pad} | {indent}^")?;
    }
    Ok(())
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}: {label}[{}]: {}",
            self.location,
            self.code.as_str(),
            self.message
        )?;
        if f.alternate() {
            if let Some(line) = &self.source_line {
                write_quote(f, &self.location, line)?;
            }
            for l in &self.labels {
                write!(f, "\n  = note: {}: {}", l.location, l.message)?;
                if let Some(line) = &l.source_line {
                    write_quote(f, &l.location, line)?;
                }
            }
            if let Some(hint) = &self.hint {
                write!(f, "\n  = help: {hint}")?;
            }
        } else if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// Converts a byte offset in `text` into a 1-based line and character column.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut line = 1;
    let mut line_start = 0;
    for (i, b) in text.bytes().enumerate().take(offset) {
        if b == b'\n' {
            line += 1;
            line_start = i + 1;
        }
    }
    let column = text
        .get(line_start..offset)
        .map_or(1, |s| s.chars().count() + 1);
    (line, column)
}

/// Converts a 1-based line and character column into a byte offset in `text`.
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_text = &text[start..];
    let col_bytes = line_text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    start + col_bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_round_trips() {
        let text = "select 1\nfrom é x\n";
        let off = text.find('x').unwrap();
        assert_eq!(line_col(text, off), (2, 8));
        assert_eq!(offset_of(text, 2, 8), off);
    }

    #[test]
    fn renders_caret_under_fault() {
        let d = Diagnostic::error(
            Code::Plan,
            Location::new("models/a.sql", 2, 6),
            "unknown column `nmae`",
        )
        .with_hint("did you mean `name`?")
        .with_source("select\n  x, nmae\n");
        assert_eq!(
            format!("{d:#}"),
            "models/a.sql:2:6: error[plan]: unknown column `nmae`\n  |\n2 |   x, nmae\n  |      ^\n  = help: did you mean `name`?"
        );
    }

    #[test]
    fn renders_each_label_with_its_line() {
        let d = Diagnostic::error(
            Code::Plan,
            Location::new("macros/m.sql", 1, 8),
            "division by zero",
        )
        .with_source("select a / 0")
        .with_label(
            Location::new("models/a.sql", 2, 3),
            "in the macro called here",
            "select\n  {{ m() }}\n",
        );
        assert_eq!(
            format!("{d:#}"),
            "macros/m.sql:1:8: error[plan]: division by zero\n  |\n1 | select a / 0\n  |        ^\n  = note: models/a.sql:2:3: in the macro called here\n  |\n2 |   {{ m() }}\n  |   ^"
        );
        assert_eq!(
            format!("{d}"),
            "macros/m.sql:1:8: error[plan]: division by zero"
        );
    }
}
