//! The project as an in-memory map of path to contents.
//!
//! The engine never touches a file system: the CLI reads a directory into a [`ProjectFiles`],
//! the browser builds one from its storage, and tests write one inline.

use std::collections::BTreeMap;

use bytes::Bytes;

/// Paths are relative to the project root and use `/` separators. Contents are shared, not
/// copied, when the map is cloned: a project's sample files can be most of its size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectFiles {
    files: BTreeMap<String, Bytes>,
}

impl ProjectFiles {
    pub fn new() -> Self {
        ProjectFiles::default()
    }

    pub fn insert(&mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) {
        let path: String = path.into();
        self.files.insert(
            path.trim_start_matches("./").replace('\\', "/"),
            Bytes::from(contents.into()),
        );
    }

    /// Takes a file out of the map, handing back its contents.
    pub fn remove(&mut self, path: &str) -> Option<Bytes> {
        self.files.remove(path)
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Bytes::as_ref)
    }

    /// The file as text; invalid UTF-8 is replaced rather than refused, since a user's SQL or
    /// YAML with one stray byte should still load.
    pub fn text(&self, path: &str) -> Option<String> {
        self.get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(k, v)| (k.as_str(), v.as_ref()))
    }

    /// Files directly or indirectly below `dir`, in path order.
    pub fn under<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.iter().filter(move |(p, _)| p.starts_with(&prefix))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl<P: Into<String>, C: Into<Vec<u8>>> FromIterator<(P, C)> for ProjectFiles {
    fn from_iter<T: IntoIterator<Item = (P, C)>>(iter: T) -> Self {
        let mut files = ProjectFiles::new();
        for (p, c) in iter {
            files.insert(p, c);
        }
        files
    }
}
