//! `modelplay deps`: installs the packages `packages.yml` (or `dependencies.yml`) lists into
//! `dbt_packages/`, as `dbt deps` does: `local:` folders, `git:` repositories and `package:`
//! releases from the dbt Hub, with the packages those need in turn.

mod copy;
mod hub;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::ProjectArgs;
use copy::{PACKAGES_FOLDER, copy_dir, git_checkout, package_name, sanitize};

const PACKAGE_FILES: [&str; 2] = ["packages.yml", "dependencies.yml"];

pub fn deps(args: &ProjectArgs) -> u8 {
    let root = &args.project_dir;
    let (file, entries) = match listed_packages(root) {
        Ok(Some(found)) => found,
        Ok(None) => {
            println!("No packages.yml or dependencies.yml: nothing to install");
            return 0;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let mut install = Install::new(root);
    install
        .queue
        .extend(entries.into_iter().map(|e| (e, file.to_string())));
    install.run();
    println!(
        "Installed {} package(s) into {PACKAGES_FOLDER}/{}",
        install.installed.len(),
        if install.failed > 0 {
            format!("; {} could not be installed", install.failed)
        } else {
            String::new()
        }
    );
    if install.failed > 0 { 1 } else { 0 }
}

/// The `packages:` a folder's `packages.yml` or `dependencies.yml` lists, and which file.
fn listed_packages(dir: &Path) -> Result<Option<(&'static str, Vec<Json>)>, String> {
    let Some((file, text)) = PACKAGE_FILES
        .iter()
        .find_map(|f| fs::read_to_string(dir.join(f)).ok().map(|t| (*f, t)))
    else {
        return Ok(None);
    };
    let listed: Json = serde_saphyr::from_str(&text)
        .map_err(|e| format!("{} is not valid YAML: {e}", dir.join(file).display()))?;
    let entries = listed
        .get("packages")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(Some((file, entries)))
}

/// What a Hub package is wanted at: every range asked for, and by whom.
#[derive(Default)]
struct Wanted {
    ranges: Vec<String>,
    asked_by: Vec<String>,
    prerelease: bool,
    /// How many ranges the last resolution saw: a new range means resolving again.
    resolved_with: Option<usize>,
    release: Option<hub::Release>,
}

/// Where an installed package's own needs are read from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Its `packages.yml`: a `local:` folder or a `git:` checkout.
    FromItsFile,
    /// The Hub's index, which lists each release's packages and was resolved against.
    FromIndex,
}

struct Install<'a> {
    root: &'a Path,
    /// Entries still to look at, each with the file or package that listed it.
    queue: VecDeque<(Json, String)>,
    hub: Option<hub::Hub>,
    wanted: BTreeMap<String, Wanted>,
    /// The names of the packages installed so far.
    installed: BTreeSet<String>,
    failed: usize,
}

impl<'a> Install<'a> {
    fn new(root: &'a Path) -> Self {
        Install {
            root,
            queue: VecDeque::new(),
            hub: None,
            wanted: BTreeMap::new(),
            installed: BTreeSet::new(),
            failed: 0,
        }
    }

    fn fail(&mut self, message: String) {
        eprintln!("error: {message}");
        self.failed += 1;
    }

    /// Folders and git packages go in as they are met; Hub packages are gathered first, so that
    /// each is resolved once against every range asked for, and then go in.
    fn run(&mut self) {
        loop {
            while let Some((entry, listed_in)) = self.queue.pop_front() {
                self.take(&entry, &listed_in);
            }
            self.resolve_hub();
            if self.queue.is_empty() {
                break;
            }
        }
        let releases: Vec<(String, hub::Release)> = std::mem::take(&mut self.wanted)
            .into_iter()
            .filter_map(|(package, w)| Some((package, w.release?)))
            .collect();
        for (package, release) in releases {
            let from = format!("{package} {} (dbt Hub)", release.version);
            let into = self.root.join("target/deps/hub").join(sanitize(&package));
            let unpacked = match &self.hub {
                Some(hub) => hub.unpack(&release, &into),
                None => continue,
            };
            // A Hub release's needs come from the Hub's index, already resolved above.
            match unpacked.and_then(|dir| self.place(&dir, &from, Needs::FromIndex)) {
                Ok(_) => {}
                Err(e) => self.fail(format!("{package}: {e}")),
            }
        }
    }

    fn take(&mut self, entry: &Json, listed_in: &str) {
        let text = |key: &str| entry.get(key).and_then(Json::as_str).map(str::to_string);
        if let Some(package) = text("package") {
            let ranges = match entry.get("version") {
                Some(Json::String(v)) => vec![v.clone()],
                Some(Json::Array(vs)) => vs
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect(),
                Some(v) => vec![v.to_string()],
                None => {
                    eprintln!(
                        "warning: {listed_in}: `{package}` has no version: installing its newest release; pin it with `version:`"
                    );
                    Vec::new()
                }
            };
            let prerelease = entry
                .get("install-prerelease")
                .and_then(Json::as_bool)
                .unwrap_or(false);
            let wanted = self.wanted.entry(package).or_default();
            wanted.ranges.extend(ranges);
            wanted.asked_by.push(listed_in.to_string());
            wanted.prerelease |= prerelease;
            return;
        }
        let placed = if let Some(local) = text("local") {
            self.place(&self.root.join(&local), &local, Needs::FromItsFile)
        } else if let Some(url) = text("git") {
            let checkout = self.root.join("target/deps/git").join(sanitize(&url));
            git_checkout(&url, text("revision").as_deref(), &checkout).and_then(|()| {
                let source = match text("subdirectory") {
                    Some(sub) => checkout.join(sub),
                    None => checkout,
                };
                self.place(&source, &url, Needs::FromItsFile)
            })
        } else {
            Err(format!(
                "an entry with no local:, git: or package: ({entry})"
            ))
        };
        if let Err(e) = placed {
            self.fail(format!("{listed_in}: {e}"));
        }
    }

    /// Copies a package into `dbt_packages/<its name>`; a folder or git package's own
    /// `packages.yml` is queued, for what it needs in turn.
    fn place(&mut self, source: &Path, from: &str, needs: Needs) -> Result<PathBuf, String> {
        let name = package_name(source)?;
        let dest = self.root.join(PACKAGES_FOLDER).join(&name);
        if self.installed.contains(&name) {
            return Ok(dest);
        }
        copy_dir(source, &dest)?;
        println!("Installed {name} from {from}");
        self.installed.insert(name.clone());
        if needs == Needs::FromItsFile
            && let Some((_, listed)) = listed_packages(&dest)?
        {
            self.queue
                .extend(listed.into_iter().map(|need| (need, name.clone())));
        }
        Ok(dest)
    }

    fn resolve_hub(&mut self) {
        let stale: Vec<String> = self
            .wanted
            .iter()
            .filter(|(_, w)| w.resolved_with != Some(w.ranges.len()))
            .map(|(p, _)| p.clone())
            .collect();
        for package in stale {
            let hub = self.hub.get_or_insert_with(hub::Hub::from_env);
            let Some(wanted) = self.wanted.get_mut(&package) else {
                continue;
            };
            wanted.resolved_with = Some(wanted.ranges.len());
            match hub.resolve(&package, &wanted.ranges, wanted.prerelease) {
                Ok(release) => {
                    for need in &release.needs {
                        self.queue.push_back((need.clone(), package.clone()));
                    }
                    wanted.release = Some(release);
                }
                Err(e) => {
                    let asked_by = wanted.asked_by.join(", ");
                    wanted.release = None;
                    self.fail(format!("{e} (asked for by {asked_by})"));
                }
            }
        }
    }
}
