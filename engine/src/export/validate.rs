//! Config mistakes that would break a deploy, found before any SQL is written, each at the
//! place the config was set: the model's `config()` call, its YAML entry or `dbt_project.yml`.

use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Location, line_col};
use crate::project::{Node, Project};

/// Where `key` is configured for `node`.
pub fn config_location(project: &Project, node: &Node, key: &str) -> (Location, String) {
    let in_file = regex::Regex::new(&format!(r"\b{}\s*=", regex::escape(key))).ok();
    if let (Some(re), Some(text)) = (&in_file, project.files.text(&node.path))
        && let Some(m) = re.find(&text)
    {
        let (l, c) = line_col(&text, m.start());
        return (Location::new(&node.path, l, c), text);
    }
    let key_line = regex::Regex::new(&format!(r"^\s*\+?{}\s*:", regex::escape(key))).ok();
    let name_line = regex::Regex::new(&format!(
        r"^(\s*)-?\s*name:\s*['\x22]?{}['\x22]?\s*$",
        regex::escape(&node.name)
    ))
    .ok();
    for path in project
        .files
        .paths()
        .filter(|p| p.ends_with(".yml") || p.ends_with(".yaml"))
    {
        if path == "dbt_project.yml" {
            continue;
        }
        let Some(text) = project.files.text(path) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let Some(start) = lines
            .iter()
            .position(|l| name_line.as_ref().is_some_and(|re| re.is_match(l)))
        else {
            continue;
        };
        let indent = lines[start].len() - lines[start].trim_start().len();
        for (i, line) in lines.iter().enumerate().skip(start + 1) {
            let this_indent = line.len() - line.trim_start().len();
            if line.trim_start().starts_with("- name:") && this_indent <= indent {
                break;
            }
            if key_line.as_ref().is_some_and(|re| re.is_match(line)) {
                return (Location::new(path, i + 1, this_indent + 1), text.clone());
            }
        }
    }
    if let Some(text) = project.files.text("dbt_project.yml") {
        for (i, line) in text.lines().enumerate() {
            if key_line.as_ref().is_some_and(|re| re.is_match(line)) {
                let col = line.len() - line.trim_start().len() + 1;
                return (Location::new("dbt_project.yml", i + 1, col), text.clone());
            }
        }
    }
    (Location::file(&node.path), String::new())
}

/// Checks `dist`, `sort` and `sort_type` against the columns the model outputs.
/// `monotonic` says whether a column only ever grows (dates, identity-like ids).
pub fn check_keys(
    project: &Project,
    node: &Node,
    columns: &[String],
    monotonic: &dyn Fn(&str) -> bool,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let error = |key: &str, message: String| {
        let (location, text) = config_location(project, node, key);
        Diagnostic::error(location, message).with_source(&text)
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
    match node.config.get("dist") {
        None => {}
        Some(Json::String(d)) => {
            let d = d.trim().to_lowercase();
            if !matches!(d.as_str(), "all" | "even" | "auto") && !columns.contains(&d) {
                out.push(unknown("dist", "the distkey", &d));
            }
        }
        Some(other) => out.push(
            error("dist", format!("`dist` must be a string, found {other}"))
                .with_hint("use a column name, 'all', 'even' or 'auto'"),
        ),
    }
    let sort_type = match node.config.get("sort_type") {
        None => "compound".to_string(),
        Some(Json::String(s)) if s == "compound" || s == "interleaved" => s.clone(),
        Some(other) => {
            out.push(error(
                "sort_type",
                format!("`sort_type` must be 'compound' or 'interleaved', found {other}"),
            ));
            "compound".to_string()
        }
    };
    let sort: Vec<String> = match node.config.get("sort") {
        None => Vec::new(),
        Some(Json::String(s)) => vec![s.to_lowercase()],
        Some(Json::Array(items)) if items.iter().all(Json::is_string) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_lowercase))
            .collect(),
        Some(other) => {
            out.push(error(
                "sort",
                format!("`sort` must be a column name or a list of them, found {other}"),
            ));
            Vec::new()
        }
    };
    for col in &sort {
        if !columns.contains(col) {
            out.push(unknown("sort", "the sortkey", col));
        }
    }
    if sort_type == "interleaved" {
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
