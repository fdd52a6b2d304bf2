//! Maps a position in rendered SQL back to the template text it came from, so that an error
//! found in compiled SQL points at the user's own file.

use minijinja::{OutputSpan, OutputSpanKind};

/// The spans of one render, as returned by `render_with_spans`.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    spans: Vec<OutputSpan>,
}

/// Where an output byte came from: the template's name and a byte offset in its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub template: String,
    pub offset: usize,
}

impl SourceMap {
    pub fn new(spans: Vec<OutputSpan>) -> Self {
        SourceMap { spans }
    }

    /// The origin of the output byte at `offset`. Text written verbatim maps one to one;
    /// anything produced by an expression maps to the expression.
    pub fn origin(&self, offset: usize) -> Option<Origin> {
        let span = self
            .spans
            .iter()
            .filter(|s| s.output_range().contains(&offset))
            .min_by_key(|s| s.output_range().len())
            .or_else(|| {
                self.spans
                    .iter()
                    .rev()
                    .find(|s| s.output_range().end == offset)
            })?;
        let delta = offset.saturating_sub(span.output_range().start);
        let source = span.source_range();
        let offset = match span.kind() {
            OutputSpanKind::Raw => (source.start + delta).min(source.end),
            _ => source.start,
        };
        Some(Origin {
            template: span.name().to_string(),
            offset,
        })
    }

    /// Where, in `template`'s own source, the output byte at `offset` was asked for: for a
    /// byte a macro wrote, the start of the call in `template` that led to it.
    pub fn call_site(&self, offset: usize, template: &str) -> Option<usize> {
        self.spans
            .iter()
            .filter(|s| s.name() == template && s.output_range().contains(&offset))
            .min_by_key(|s| s.output_range().len())
            .map(|s| s.source_range().start)
    }
}
