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

/// One problem found in a project, located in the user's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: Location,
    pub message: String,
    /// How to fix it, when we know.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The offending source line, quoted for the reader.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
}

impl Diagnostic {
    pub fn error(location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            location,
            message: message.into(),
            hint: None,
            source_line: None,
        }
    }

    pub fn warning(location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(location, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Quotes the located line from `source` (the full text of the located file).
    pub fn with_source(mut self, source: &str) -> Self {
        if self.location.line > 0 {
            self.source_line = source
                .lines()
                .nth(self.location.line - 1)
                .map(|l| l.trim_end_matches('\r').to_string());
        }
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {label}: {}", self.location, self.message)?;
        if f.alternate() {
            if let Some(line) = &self.source_line {
                let number = self.location.line.to_string();
                let pad = " ".repeat(number.len());
                write!(f, "\n{pad} |\n{number} | {line}")?;
                if self.location.column > 0 {
                    let indent: String = line
                        .chars()
                        .take(self.location.column - 1)
                        .map(|c| if c == '\t' { '\t' } else { ' ' })
                        .collect();
                    write!(f, "\n{pad} | {indent}^")?;
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
        let d = Diagnostic::error(Location::new("models/a.sql", 2, 6), "unknown column `nmae`")
            .with_hint("did you mean `name`?")
            .with_source("select\n  x, nmae\n");
        assert_eq!(
            format!("{d:#}"),
            "models/a.sql:2:6: error: unknown column `nmae`\n  |\n2 |   x, nmae\n  |      ^\n  = help: did you mean `name`?"
        );
    }
}
