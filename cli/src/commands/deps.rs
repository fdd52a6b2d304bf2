//! `modelplay deps`: installs the packages `packages.yml` (or `dependencies.yml`) lists into
//! `dbt_packages/`, as `dbt deps` does, for `local:` and `git:` packages. Packages from the
//! dbt Hub are reported, not installed: that needs the Hub's index.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

use crate::ProjectArgs;

const PACKAGES_FOLDER: &str = "dbt_packages";

pub fn deps(args: &ProjectArgs) -> u8 {
    let root = &args.project_dir;
    let Some((file, listed)) = ["packages.yml", "dependencies.yml"]
        .iter()
        .find_map(|f| fs::read_to_string(root.join(f)).ok().map(|t| (*f, t)))
    else {
        println!("No packages.yml or dependencies.yml: nothing to install");
        return 0;
    };
    let listed: Json = match serde_saphyr::from_str(&listed) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {file} is not valid YAML: {e}");
            return 2;
        }
    };
    let entries = listed
        .get("packages")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let mut failed = 0;
    for entry in &entries {
        match install(root, entry) {
            Ok((name, from)) => println!("Installed {name} from {from}"),
            Err(e) => {
                eprintln!("error: {file}: {e}");
                failed += 1;
            }
        }
    }
    println!(
        "Installed {} of {} package(s) into {PACKAGES_FOLDER}/",
        entries.len() - failed,
        entries.len()
    );
    if failed > 0 { 1 } else { 0 }
}

/// Installs one entry; gives the package's name and where it came from.
fn install(root: &Path, entry: &Json) -> Result<(String, String), String> {
    let text = |key: &str| entry.get(key).and_then(Json::as_str).map(str::to_string);
    let (source, from) = if let Some(local) = text("local") {
        (root.join(&local), local)
    } else if let Some(url) = text("git") {
        let checkout = root.join("target").join("deps").join(sanitize(&url));
        let _ = fs::remove_dir_all(&checkout);
        git(
            &["clone", "--quiet", &url, &checkout.to_string_lossy()],
            None,
        )?;
        if let Some(revision) = text("revision") {
            git(&["checkout", "--quiet", &revision], Some(&checkout))?;
        }
        let source = match text("subdirectory") {
            Some(sub) => checkout.join(sub),
            None => checkout,
        };
        (source, url)
    } else if let Some(hub) = text("package") {
        return Err(format!(
            "`{hub}` comes from the dbt Hub, which modelplay does not install from yet: run `dbt deps`"
        ));
    } else {
        return Err(format!(
            "an entry with no local:, git: or package: ({entry})"
        ));
    };
    let name = package_name(&source)?;
    let dest = root.join(PACKAGES_FOLDER).join(&name);
    let _ = fs::remove_dir_all(&dest);
    copy_dir(&source, &dest)?;
    Ok((name, from))
}

/// The name a package's own `dbt_project.yml` gives it: what its macros are called by.
fn package_name(dir: &Path) -> Result<String, String> {
    let path = dir.join("dbt_project.yml");
    let text = fs::read_to_string(&path)
        .map_err(|e| format!("{} has no dbt_project.yml: {e}", dir.display()))?;
    let yml: Json = serde_saphyr::from_str(&text)
        .map_err(|e| format!("{} is not valid YAML: {e}", path.display()))?;
    yml.get("name")
        .and_then(Json::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("{} has no name:", path.display()))
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

fn sanitize(url: &str) -> String {
    url.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Copies a package folder, leaving out git's own folder and what dbt would not read.
fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
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
