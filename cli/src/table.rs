//! Rows printed as `dbt show` prints them: a Markdown-style table.

use modelplay_engine::run::tables::{RecordBatch, display_value};

pub fn render(batches: &[RecordBatch]) -> String {
    let Some(first) = batches.first() else {
        return "(no rows)\n".to_string();
    };
    let headers: Vec<String> = first
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for b in batches {
        for i in 0..b.num_rows() {
            rows.push(
                (0..b.num_columns())
                    .map(|c| display_value(b.column(c), i))
                    .collect(),
            );
        }
    }
    render_text(&headers, &rows)
}

/// Rows of text under their headers, in the same layout.
pub fn render_text(headers: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..headers.len())
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .chain(std::iter::once(headers[c].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let fmt_row = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = fmt_row(headers);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&format!("| {} |\n", rule.join(" | ")));
    for r in rows {
        out.push_str(&fmt_row(r));
    }
    out
}
