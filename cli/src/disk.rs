//! The CLI's side of the file system: a project folder read into memory, artifacts written.

use std::fs;
use std::path::{Path, PathBuf};

use modelplay_engine::ProjectFiles;

/// Folders that hold build output or tooling, never project sources.
const SKIPPED: &[&str] = &["target", "dbt_packages", "logs", ".git", "node_modules"];

pub fn read_project(root: &Path) -> Result<ProjectFiles, String> {
    let mut files = ProjectFiles::new();
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !SKIPPED.contains(&name.as_str()) && !name.starts_with('.') {
                    stack.push(path);
                }
            } else if let Ok(rel) = path.strip_prefix(root) {
                let bytes =
                    fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                files.insert(rel.join("/"), bytes);
            }
        }
    }
    Ok(files)
}

pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::write(path, contents.as_ref()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
