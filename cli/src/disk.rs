//! The CLI's side of the file system: a project folder read into memory, artifacts written.

use std::fs;
use std::path::{Path, PathBuf};

use modelplay_engine::ProjectFiles;
use modelplay_protocol::paths::kept_in_project;

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
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let rel = rel.join("/");
            if path.is_dir() {
                // A folder is walked when a file directly inside it would be kept.
                if !name.starts_with('.') && kept_in_project(&format!("{rel}/_")) {
                    stack.push(path);
                }
            } else if kept_in_project(&rel) {
                let bytes =
                    fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                files.insert(rel, bytes);
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
