//! Config mistakes that would break a deploy, found before any SQL is written, each at the
//! place the config was set: the model's `config()` call, its YAML entry or `dbt_project.yml`.

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::project::resolved::{Dist, SortType, TableKeys};
use crate::project::{Node, Project};

/// Checks `dist`, `sort` and `sort_type` against the columns the model outputs.
/// `monotonic` says whether a column only ever grows (dates, identity-like ids).
pub fn check_keys(
    project: &Project,
    node: &Node,
    keys: &TableKeys,
    columns: &[String],
    monotonic: &dyn Fn(&str) -> bool,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let error = |key: &str, message: String| {
        let at = match key {
            "dist" => keys.dist_at.clone(),
            _ => keys.sort_at.clone(),
        };
        let location = at.unwrap_or_else(|| Location::file(&node.path));
        let text = project.files.text(&location.file).unwrap_or_default();
        Diagnostic::error(Code::Config, location, message).with_source(&text)
    };
    let unknown = |key: &str, what: &str, col: &str| {
        let mut d = error(
            key,
            format!(
                "{what} column `{col}` is not a column of {} `{}`",
                node.kind.as_str(),
                node.name
            ),
        );
        if let Some(best) = crate::project::load::suggest(col, columns.iter()) {
            d = d.with_hint(format!("did you mean `{best}`?"));
        } else {
            d = d.with_hint(format!("its columns are: {}", columns.join(", ")));
        }
        d
    };
    if let Some(Dist::Key(d)) = &keys.dist
        && !columns.contains(d)
    {
        out.push(unknown("dist", "the distkey", d));
    }
    let sort = &keys.sort;
    for col in sort {
        if !columns.contains(col) {
            out.push(unknown("sort", "the sortkey", col));
        }
    }
    if keys.sort_type == SortType::Interleaved {
        if sort.len() > 8 {
            out.push(
                error(
                    "sort",
                    format!(
                        "an interleaved sort key takes at most 8 columns, found {}",
                        sort.len()
                    ),
                )
                .with_hint("use a compound sort key, or keep the 8 columns queries filter on most"),
            );
        }
        for col in sort.iter().filter(|c| columns.contains(c) && monotonic(c)) {
            out.push(
                error(
                    "sort",
                    format!("`{col}` only ever increases; Redshift advises never to interleave on such a column"),
                )
                .with_hint("use sort_type='compound' with this column first"),
            );
        }
    }
    out
}
