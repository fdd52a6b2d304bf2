//! What the page saves in browser storage: only how the workspace differs from the built-in
//! sample (the sample itself comes from the engine), so that edits survive a reload or a
//! crash without filling the storage quota.

use serde::{Deserialize, Serialize};

use modelplay_protocol::Files;

/// The difference between a workspace and the sample it started from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// Format version, so that a later page can read what an earlier one saved.
    pub version: u32,
    /// Files added or changed.
    pub changed: Files,
    /// Sample files the user deleted.
    pub deleted: Vec<String>,
    /// The file that was open.
    pub open: Option<String>,
}

pub const SAVED_VERSION: u32 = 1;

/// How `files` differs from `sample`.
pub fn diff(sample: &Files, files: &Files, open: Option<String>) -> Saved {
    Saved {
        version: SAVED_VERSION,
        changed: files
            .iter()
            .filter(|(p, t)| sample.get(*p) != Some(*t))
            .map(|(p, t)| (p.clone(), t.clone()))
            .collect(),
        deleted: sample
            .keys()
            .filter(|p| !files.contains_key(*p))
            .cloned()
            .collect(),
        open,
    }
}

/// The workspace `saved` describes, on top of `sample`.
pub fn restore(sample: &Files, saved: &Saved) -> Files {
    let mut files = sample.clone();
    for p in &saved.deleted {
        files.remove(p);
    }
    files.extend(saved.changed.iter().map(|(p, t)| (p.clone(), t.clone())));
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelplay_protocol::Body;

    fn files(entries: &[(&str, &str)]) -> Files {
        entries
            .iter()
            .map(|(p, t)| (p.to_string(), Body::from(*t)))
            .collect()
    }

    #[test]
    fn saves_only_the_difference_and_restores_the_workspace() {
        let sample = files(&[("a.sql", "select 1"), ("b.sql", "select 2"), ("c.yml", "x")]);
        let edited = files(&[("a.sql", "select 10"), ("c.yml", "x"), ("d.sql", "new")]);
        let saved = diff(&sample, &edited, Some("a.sql".into()));
        assert_eq!(
            saved.changed,
            files(&[("a.sql", "select 10"), ("d.sql", "new")])
        );
        assert_eq!(saved.deleted, vec!["b.sql".to_string()]);
        assert_eq!(restore(&sample, &saved), edited);
    }
}
