//! How dbt finds what `ref` and `source` name when several packages could hold it.

use indexmap::IndexMap;

use super::{Node, Project, SourceTable};

/// Values by package and name, found as dbt's `ref('name')` and `source(...)` find them:
/// in the package the call names, else in the root project, then in the calling node's own
/// package, then in any package.
#[derive(Debug, Clone)]
pub struct ByPackage<T> {
    root: String,
    entries: IndexMap<(String, String), T>,
}

impl<T> ByPackage<T> {
    pub fn new(root: &str) -> Self {
        ByPackage {
            root: root.to_string(),
            entries: IndexMap::new(),
        }
    }

    pub fn insert(&mut self, package: &str, name: &str, value: T) {
        self.entries
            .insert((package.to_string(), name.to_string()), value);
    }

    /// What `name` means to a node of package `from`, or in `package` when the call names one.
    pub fn find(&self, from: &str, package: Option<&str>, name: &str) -> Option<&T> {
        let get = |p: &str| self.entries.get(&(p.to_string(), name.to_string()));
        match package {
            Some(p) => get(p),
            None => get(&self.root).or_else(|| get(from)).or_else(|| {
                self.entries
                    .iter()
                    .find(|((_, n), _)| n == name)
                    .map(|(_, v)| v)
            }),
        }
    }

    /// What `ref` can name in `project` (its models, seeds and snapshots), as `value` gives
    /// each.
    pub fn refs(project: &Project, value: impl Fn(&Node) -> T) -> Self {
        let mut out = ByPackage::new(&project.name);
        for n in project.nodes.values().filter(|n| !n.kind.is_test()) {
            // A versioned model is found as `name.v<version>`, and its latest also as `name`.
            if n.version.as_ref().is_none_or(|v| v.latest) {
                out.insert(&n.package_name, &n.name, value(n));
            }
            if n.version.is_some() {
                out.insert(&n.package_name, &n.ref_name(), value(n));
            }
        }
        out
    }

    /// What `source` can name in `project`, by `source.table`, as `value` gives each.
    pub fn sources(project: &Project, value: impl Fn(&SourceTable) -> T) -> Self {
        let mut out = ByPackage::new(&project.name);
        for s in project.sources.values() {
            out.insert(
                &s.package_name,
                &source_key(&s.source_name, &s.name),
                value(s),
            );
        }
        out
    }

    /// What `source(source, table)` means to a node of package `from`.
    pub fn find_source(&self, from: &str, source: &str, table: &str) -> Option<&T> {
        self.find(from, None, &source_key(source, table))
    }

    /// Every name held, for "did you mean" hints.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.entries.keys().map(|(_, n)| n)
    }
}

/// How a source table is named among sources: `source.table`.
pub fn source_key(source: &str, table: &str) -> String {
    format!("{source}.{table}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_root_project_comes_first_then_the_callers_package_then_any() {
        let mut ids = ByPackage::new("shop");
        ids.insert("shop", "orders", 1);
        ids.insert("stripe", "orders", 2);
        ids.insert("stripe", "charges", 3);
        ids.insert("ads", "charges", 4);
        ids.insert("ads", "clicks", 5);
        assert_eq!(ids.find("stripe", None, "orders"), Some(&1));
        assert_eq!(ids.find("stripe", Some("stripe"), "orders"), Some(&2));
        assert_eq!(ids.find("ads", None, "charges"), Some(&4));
        assert_eq!(ids.find("shop", None, "charges"), Some(&3));
        assert_eq!(ids.find("shop", None, "clicks"), Some(&5));
        assert_eq!(ids.find("shop", Some("shop"), "clicks"), None);
    }
}
