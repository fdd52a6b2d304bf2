//! Node configuration, merged the way dbt merges it: `dbt_project.yml` folder levels first,
//! then the YAML `config:` block, then the file's own `{{ config(...) }}` call. Tags add up;
//! every other key is overridden by the more specific level.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value as Json;

/// Config keys that may appear without a `+` prefix in `dbt_project.yml`; anything else
/// without a `+` is a sub-folder.
const KNOWN_KEYS: &[&str] = &[
    "materialized",
    "schema",
    "database",
    "alias",
    "tags",
    "enabled",
    "dist",
    "sort",
    "sort_type",
    "bind",
    "backup",
    "unique_key",
    "strategy",
    "updated_at",
    "check_cols",
    "target_schema",
    "target_database",
    "severity",
    "warn_if",
    "error_if",
    "store_failures",
    "where",
    "limit",
    "full_refresh",
    "on_schema_change",
    "incremental_strategy",
    "meta",
    "docs",
    "persist_docs",
    "pre-hook",
    "post-hook",
    "quote_columns",
    "column_types",
    "delimiter",
    "hard_deletes",
    "invalidate_hard_deletes",
    "dbt_valid_to_current",
    "snapshot_meta_column_names",
    "auto_refresh",
    "contract",
    "grants",
    "group",
    "access",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Config(pub IndexMap<String, Json>);

impl Config {
    /// Overlays `other` on `self`: later levels win, tags accumulate.
    pub fn merge(&mut self, other: &Config) {
        for (key, value) in &other.0 {
            if key == "tags" {
                let mut tags = self.tags();
                for t in tags_of(value) {
                    if !tags.contains(&t) {
                        tags.push(t);
                    }
                }
                self.0.insert(
                    "tags".into(),
                    Json::Array(tags.into_iter().map(Json::String).collect()),
                );
            } else {
                self.0.insert(key.clone(), value.clone());
            }
        }
    }

    pub fn set(&mut self, key: &str, value: Json) {
        let mut one = Config::default();
        one.0.insert(normalize_key(key), value);
        self.merge(&one);
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str)
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Json::Bool(b) => Some(*b),
            Json::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn tags(&self) -> Vec<String> {
        self.get("tags").map(tags_of).unwrap_or_default()
    }

    pub fn enabled(&self) -> bool {
        self.bool("enabled").unwrap_or(true)
    }

    /// A string-or-list config such as `sort` or `unique_key`, as a list.
    pub fn list(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn tags_of(value: &Json) -> Vec<String> {
    match value {
        Json::String(s) => vec![s.clone()],
        Json::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// dbt accepts `pre_hook` and `pre-hook` alike.
fn normalize_key(key: &str) -> String {
    match key {
        "pre_hook" => "pre-hook".into(),
        "post_hook" => "post-hook".into(),
        other => other.into(),
    }
}

/// Converts a YAML `config:` mapping into a [`Config`].
pub fn config_from_json(value: &Json) -> Config {
    let mut config = Config::default();
    if let Json::Object(map) = value {
        for (k, v) in map {
            config.set(k.trim_start_matches('+'), v.clone());
        }
    }
    config
}

/// The folder-level configs of `dbt_project.yml` (`models:`, `seeds:`, ...) that apply to a
/// node of `project` whose file sits in `folders` (relative to its resource path) with file
/// stem `name`.
pub fn folder_config(tree: &Json, project: &str, folders: &[&str], name: &str) -> Config {
    let mut config = Config::default();
    let Some(mut level) = tree.get(project) else {
        return config;
    };
    apply_level(&mut config, level);
    for part in folders.iter().copied().chain(std::iter::once(name)) {
        match level.get(part) {
            Some(next) if next.is_object() => {
                level = next;
                apply_level(&mut config, level);
            }
            _ => break,
        }
    }
    config
}

fn apply_level(config: &mut Config, level: &Json) {
    if let Json::Object(map) = level {
        for (key, value) in map {
            if let Some(plain) = key.strip_prefix('+') {
                config.set(plain, value.clone());
            } else if KNOWN_KEYS.contains(&key.as_str()) && !value.is_object() {
                config.set(key, value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn folder_levels_override_and_tags_accumulate() {
        let tree = json!({"shop": {
            "+materialized": "view", "+tags": ["nightly"],
            "staging": {"+schema": "staging", "+tags": "raw", "materialized": "table"}
        }});
        let c = folder_config(&tree, "shop", &["staging"], "stg_orders");
        assert_eq!(c.str("materialized"), Some("table"));
        assert_eq!(c.str("schema"), Some("staging"));
        assert_eq!(c.tags(), vec!["nightly", "raw"]);
        let other = folder_config(&tree, "shop", &["marts"], "m");
        assert_eq!(other.str("materialized"), Some("view"));
        assert_eq!(other.str("schema"), None);
    }
}
