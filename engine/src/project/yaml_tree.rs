//! A YAML mapping whose every key and value keeps the place it was written, for the parts of
//! dbt's YAML whose shape is open (`config:` blocks, the folder tree of `dbt_project.yml`):
//! a config resolved from them can then say exactly where it was set.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;
use serde_saphyr::Spanned;

/// A YAML value with the location of every key and value inside it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum YamlTree {
    #[default]
    Null,
    /// A scalar or a list: its parts' places are not needed by anything that reads config.
    Value(Json),
    Map(Vec<YamlEntry>),
}

/// One `key: value` of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlEntry {
    pub key: String,
    /// 1-based line and column of the key.
    pub key_at: (usize, usize),
    /// 1-based line and column of the value.
    pub value_at: (usize, usize),
    pub value: YamlTree,
}

/// Renders a value's Jinja: its text and the 1-based line and column of the value.
pub type Render<'a, E> = dyn FnMut(&str, (usize, usize)) -> Result<Json, E> + 'a;

fn is_jinja(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

fn render_json<E>(
    value: &mut Json,
    at: (usize, usize),
    render: &mut Render<'_, E>,
    errors: &mut Vec<E>,
) {
    match value {
        Json::String(text) if is_jinja(text) => match render(text, at) {
            Ok(v) => *value = v,
            Err(e) => errors.push(e),
        },
        Json::Array(items) => {
            for item in items {
                render_json(item, at, render, errors);
            }
        }
        _ => {}
    }
}

impl YamlTree {
    pub fn entries(&self) -> &[YamlEntry] {
        match self {
            YamlTree::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn get(&self, key: &str) -> Option<&YamlEntry> {
        self.entries().iter().find(|e| e.key == key)
    }

    pub fn is_map(&self) -> bool {
        matches!(self, YamlTree::Map(_))
    }

    /// Replaces every string value holding Jinja (`{{ ... }}`, `{% ... %}`), in maps and
    /// lists alike, with what `render` makes of it; `render` gets the text and the 1-based
    /// line and column of the value.
    pub fn render_jinja<E>(&mut self, render: &mut Render<'_, E>) -> Vec<E> {
        let mut errors = Vec::new();
        if let YamlTree::Map(entries) = self {
            for e in entries.iter_mut() {
                // Hooks are rendered when they run, in their node's context (`this`), as dbt does.
                let key = e.key.trim_start_matches('+');
                if matches!(key, "pre-hook" | "post-hook" | "pre_hook" | "post_hook") {
                    continue;
                }
                match &mut e.value {
                    YamlTree::Value(v) => render_json(v, e.value_at, render, &mut errors),
                    nested => errors.extend(nested.render_jinja(render)),
                }
            }
        }
        errors
    }

    /// The value without its places.
    pub fn to_json(&self) -> Json {
        match self {
            YamlTree::Null => Json::Null,
            YamlTree::Value(v) => v.clone(),
            YamlTree::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

fn at<T>(spanned: &Spanned<T>) -> (usize, usize) {
    (
        spanned.referenced.line() as usize,
        spanned.referenced.column() as usize,
    )
}

impl<'de> Deserialize<'de> for YamlTree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = YamlTree;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<YamlTree, E> {
        Ok(YamlTree::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<YamlTree, E> {
        Ok(YamlTree::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<YamlTree, D::Error> {
        YamlTree::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<YamlTree, E> {
        Ok(YamlTree::Value(Json::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<YamlTree, E> {
        Ok(YamlTree::Value(Json::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<YamlTree, E> {
        Ok(YamlTree::Value(Json::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<YamlTree, E> {
        Ok(YamlTree::Value(Json::from(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<YamlTree, E> {
        Ok(YamlTree::Value(Json::String(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<YamlTree, E> {
        Ok(YamlTree::Value(Json::String(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<YamlTree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Json>()? {
            items.push(item);
        }
        Ok(YamlTree::Value(Json::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YamlTree, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
            let value = map.next_value::<Spanned<YamlTree>>()?;
            entries.push(YamlEntry {
                key_at: at(&key),
                key: key.value.0,
                value_at: at(&value),
                value: value.value,
            });
        }
        Ok(YamlTree::Map(entries))
    }
}

/// A mapping key as text: YAML allows `true:` or `1:` as keys, and dbt reads them as names.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Json::deserialize(deserializer)? {
            Json::String(s) => Ok(KeyText(s)),
            Json::Null => Ok(KeyText(String::new())),
            other => Ok(KeyText(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_and_values_keep_their_places() {
        let text = "name: shop\nmodels:\n  shop:\n    +materialized: view\n    staging:\n      +tags: [a, b]\n      enabled: true\n";
        let tree: YamlTree = serde_saphyr::from_str(text).unwrap();
        let models = tree.get("models").unwrap();
        let shop = models.value.get("shop").unwrap();
        let mat = shop.value.get("+materialized").unwrap();
        assert_eq!(mat.key_at, (4, 5));
        assert_eq!(mat.value_at, (4, 20));
        assert_eq!(mat.value, YamlTree::Value(Json::from("view")));
        let staging = shop.value.get("staging").unwrap();
        let tags = staging.value.get("+tags").unwrap();
        assert_eq!(tags.key_at, (6, 7));
        assert_eq!(tags.value.to_json(), serde_json::json!(["a", "b"]));
        assert_eq!(
            staging.value.get("enabled").unwrap().value,
            YamlTree::Value(Json::Bool(true))
        );
    }

    #[test]
    fn empty_and_scalar_documents() {
        let tree: YamlTree = serde_saphyr::from_str("x:\n").unwrap();
        assert_eq!(tree.get("x").unwrap().value, YamlTree::Null);
        let tree: YamlTree = serde_saphyr::from_str("3").unwrap();
        assert_eq!(tree.to_json(), Json::from(3));
    }
}
