//! The workspaces kept in browser storage: a list of named projects, one of them open. Each
//! workspace's files are saved under its own key (see `workspace`); this is the list.

use serde::{Deserialize, Serialize};

/// The list of workspaces and which one is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shelf {
    pub version: u32,
    pub current: u32,
    pub list: Vec<Entry>,
    /// The id the next workspace gets; ids are never reused, so a deleted workspace's
    /// storage can never be mistaken for a new one's.
    pub next_id: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: u32,
    pub name: String,
}

pub const SHELF_VERSION: u32 = 1;
pub const FIRST_NAME: &str = "My workspace";

impl Default for Shelf {
    fn default() -> Self {
        Shelf {
            version: SHELF_VERSION,
            current: 1,
            list: vec![Entry {
                id: 1,
                name: FIRST_NAME.into(),
            }],
            next_id: 2,
        }
    }
}

impl Shelf {
    /// A name no workspace has yet: `wanted`, else `wanted (2)`, `wanted (3)`…
    pub fn free_name(&self, wanted: &str) -> String {
        let wanted = wanted.trim();
        let wanted = if wanted.is_empty() {
            "Workspace"
        } else {
            wanted
        };
        let taken = |n: &str| self.list.iter().any(|e| e.name == n);
        if !taken(wanted) {
            return wanted.to_string();
        }
        (2..)
            .map(|i| format!("{wanted} ({i})"))
            .find(|n| !taken(n))
            .unwrap_or_default()
    }

    /// Adds a workspace and opens it; returns its id.
    pub fn add(&mut self, name: &str) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        let name = self.free_name(name);
        self.list.push(Entry { id, name });
        self.current = id;
        id
    }

    pub fn rename(&mut self, id: u32, name: &str) -> Result<(), String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("a workspace needs a name".into());
        }
        if self.list.iter().any(|e| e.name == name && e.id != id) {
            return Err(format!("a workspace is already called `{name}`"));
        }
        match self.list.iter_mut().find(|e| e.id == id) {
            Some(e) => {
                e.name = name.to_string();
                Ok(())
            }
            None => Err("no such workspace".into()),
        }
    }

    /// Removes a workspace. When it was the open one, the one before it opens (or a fresh
    /// first workspace, when it was the last).
    pub fn remove(&mut self, id: u32) {
        let Some(at) = self.list.iter().position(|e| e.id == id) else {
            return;
        };
        self.list.remove(at);
        if self.list.is_empty() {
            self.add(FIRST_NAME);
        } else if self.current == id {
            self.current = self.list[at.saturating_sub(1).min(self.list.len() - 1)].id;
        }
    }

    pub fn name_of(&self, id: u32) -> Option<&str> {
        self.list
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_renames_and_removes_workspaces() {
        let mut shelf = Shelf::default();
        let shared = shelf.add("Shared link");
        assert_eq!(shelf.current, shared);
        let again = shelf.add("Shared link");
        assert_eq!(shelf.name_of(again), Some("Shared link (2)"));
        assert!(shelf.rename(again, "Shared link").is_err());
        assert!(shelf.rename(again, "  ").is_err());
        shelf.rename(again, "Leads work").ok();
        assert_eq!(shelf.name_of(again), Some("Leads work"));
        shelf.remove(again);
        assert_eq!(shelf.current, shared);
        shelf.remove(1);
        shelf.remove(shared);
        // The last one gone, a fresh one takes its place, with an id never used before.
        assert_eq!(shelf.list.len(), 1);
        assert_eq!(shelf.list[0].name, FIRST_NAME);
        assert!(shelf.current > again);
    }
}
