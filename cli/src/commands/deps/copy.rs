//! Putting a package's files in place: from a folder, or from a git checkout.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const PACKAGES_FOLDER: &str = "dbt_packages";

/// The name a package's own `dbt_project.yml` gives it: what its macros are called by.
pub fn package_name(dir: &Path) -> Result<String, String> {
    let path = dir.join("dbt_project.yml");
    let text = fs::read_to_string(&path)
        .map_err(|e| format!("{} has no dbt_project.yml: {e}", dir.display()))?;
    let yml: serde_json::Value = serde_saphyr::from_str(&text)
        .map_err(|e| format!("{} is not valid YAML: {e}", path.display()))?;
    yml.get("name")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("{} has no name:", path.display()))
}

/// Clones `url` into `checkout` at `revision` (a branch, tag or commit), as dbt does.
pub fn git_checkout(url: &str, revision: Option<&str>, checkout: &Path) -> Result<(), String> {
    let _ = fs::remove_dir_all(checkout);
    git(
        &["clone", "--quiet", url, &checkout.to_string_lossy()],
        None,
    )?;
    if let Some(revision) = revision {
        git(&["checkout", "--quiet", revision], Some(checkout))?;
    }
    Ok(())
}

fn git(args: &[&str], dir: Option<&Path>) -> Result<(), String> {
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let out = command
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A folder name for a URL or a Hub package.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Copies a package folder, leaving out git's own folder and what dbt would not read.
pub fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    let _ = fs::remove_dir_all(to);
    let mut stack: Vec<(PathBuf, PathBuf)> = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((src, dst)) = stack.pop() {
        fs::create_dir_all(&dst).map_err(|e| format!("cannot create {}: {e}", dst.display()))?;
        let entries =
            fs::read_dir(&src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", src.display()))?;
            let name = entry.file_name();
            let path = entry.path();
            if path.is_dir() {
                if name != ".git" && name != "target" && name != PACKAGES_FOLDER {
                    stack.push((path, dst.join(&name)));
                }
            } else {
                fs::copy(&path, dst.join(&name))
                    .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
            }
        }
    }
    Ok(())
}
