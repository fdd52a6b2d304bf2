//! Packages from the dbt Hub: the Hub's JSON index (`api/v1/<org>/<name>.json`), version
//! ranges resolved as `dbt deps` resolves them, and the release tarball the index points at.
//! `DBT_PACKAGE_HUB_URL` names another index, as it does for dbt.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use semver::{Version, VersionReq};
use serde_json::Value as Json;

const DEFAULT_HUB: &str = "https://hub.getdbt.com/";
/// A dbt package's tarball is some hundreds of kilobytes; this only stops a runaway download.
const MAX_DOWNLOAD: u64 = 256 * 1024 * 1024;

pub struct Hub {
    base: String,
    agent: ureq::Agent,
    /// Each package's index, fetched once per `deps`.
    indexes: BTreeMap<String, Json>,
}

/// One release of a Hub package: its version, its tarball and the packages it needs.
pub struct Release {
    pub version: Version,
    pub tarball: String,
    pub needs: Vec<Json>,
}

impl Hub {
    pub fn from_env() -> Hub {
        let mut base = std::env::var("DBT_PACKAGE_HUB_URL").unwrap_or_else(|_| DEFAULT_HUB.into());
        if !base.ends_with('/') {
            base.push('/');
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Hub {
            base,
            agent,
            indexes: BTreeMap::new(),
        }
    }

    /// The newest release of `package` (`org/name`) that every range in `ranges` allows.
    /// Prereleases count only when `prerelease` is set, as with dbt's `install-prerelease`.
    pub fn resolve(
        &mut self,
        package: &str,
        ranges: &[String],
        prerelease: bool,
    ) -> Result<Release, String> {
        let requirement = requirement(ranges)?;
        let index = self.index(package)?;
        let versions = index
            .get("versions")
            .and_then(Json::as_object)
            .ok_or_else(|| format!("the Hub's index for `{package}` lists no versions"))?;
        let best = versions
            .iter()
            .filter_map(|(v, meta)| Some((Version::parse(v.trim_start_matches('v')).ok()?, meta)))
            .filter(|(v, _)| prerelease || v.pre.is_empty())
            .filter(|(v, _)| requirement.matches(&without_pre(v)))
            .max_by(|a, b| a.0.cmp(&b.0));
        let Some((version, meta)) = best else {
            let mut listed: Vec<&String> = versions.keys().collect();
            listed.sort();
            let tail: Vec<&str> = listed.iter().rev().take(8).map(|s| s.as_str()).collect();
            return Err(format!(
                "no release of `{package}` satisfies {}; the Hub has {}",
                ranges.join(", "),
                if tail.is_empty() {
                    "none".to_string()
                } else {
                    tail.join(", ")
                }
            ));
        };
        let tarball = meta
            .pointer("/downloads/tarball")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("the Hub's index for `{package}` {version} has no tarball"))?
            .to_string();
        let needs = meta
            .get("packages")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(Release {
            version,
            tarball,
            needs,
        })
    }

    fn index(&mut self, package: &str) -> Result<&Json, String> {
        if !self.indexes.contains_key(package) {
            let url = format!("{}api/v1/{package}.json", self.base);
            let body = self.get(&url).map_err(|e| {
                if e.contains("404") {
                    format!("`{package}` is not on the dbt Hub ({url}): check its spelling on hub.getdbt.com")
                } else {
                    e
                }
            })?;
            let index: Json = serde_json::from_slice(&body)
                .map_err(|e| format!("the Hub's answer for `{package}` is not JSON: {e}"))?;
            if let Some(moved) = moved_to(&index) {
                eprintln!(
                    "warning: `{package}` has moved on the dbt Hub to `{moved}`: write `package: {moved}` in packages.yml"
                );
            }
            self.indexes.insert(package.to_string(), index);
        }
        self.indexes
            .get(package)
            .ok_or_else(|| format!("no index for `{package}`"))
    }

    /// Downloads a release's tarball and unpacks it into `into`; gives the package's folder.
    pub fn unpack(&self, release: &Release, into: &Path) -> Result<std::path::PathBuf, String> {
        let bytes = self.get(&release.tarball)?;
        let _ = std::fs::remove_dir_all(into);
        std::fs::create_dir_all(into)
            .map_err(|e| format!("cannot create {}: {e}", into.display()))?;
        tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()))
            .unpack(into)
            .map_err(|e| format!("{} is not a gzipped tarball: {e}", release.tarball))?;
        // A release tarball holds one folder, named after the repository and the tag.
        let mut folders = std::fs::read_dir(into)
            .map_err(|e| format!("cannot read {}: {e}", into.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir());
        match (folders.next(), folders.next()) {
            (Some(folder), None) => Ok(folder),
            _ => Ok(into.to_path_buf()),
        }
    }

    fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let mut response = self
            .agent
            .get(url)
            .call()
            .map_err(|e| format!("cannot fetch {url}: {e}"))?;
        let mut bytes = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(MAX_DOWNLOAD)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read {url}: {e}"))?;
        Ok(bytes)
    }
}

/// dbt's version ranges as one requirement. dbt reads a bare version as that version exactly
/// (where Cargo would read it as `^`), and takes a list, or commas, as ranges that all hold.
fn requirement(ranges: &[String]) -> Result<VersionReq, String> {
    let mut parts = Vec::new();
    for range in ranges {
        for part in range.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let part = part.trim_start_matches('v');
            if part.starts_with(|c: char| c.is_ascii_digit()) {
                parts.push(format!("={part}"));
            } else {
                parts.push(part.to_string());
            }
        }
    }
    if parts.is_empty() {
        return Ok(VersionReq::STAR);
    }
    VersionReq::parse(&parts.join(", ")).map_err(|e| {
        format!(
            "`{}` is not a version range dbt reads (`1.3.0`, `>=1.0.0`, `[\">=1.0.0\", \"<2.0.0\"]`): {e}",
            ranges.join(", ")
        )
    })
}

/// Compares a prerelease by its release: dbt lets `>=1.0.0` pick `1.1.0-b1` once prereleases are on.
fn without_pre(v: &Version) -> Version {
    Version::new(v.major, v.minor, v.patch)
}

fn moved_to(index: &Json) -> Option<String> {
    let text = |k: &str| index.get(k).and_then(Json::as_str);
    let namespace = text("redirectnamespace").or(text("namespace"))?;
    let name = text("redirectname").or(text("name"))?;
    let moved = text("redirectnamespace").is_some() || text("redirectname").is_some();
    moved.then(|| format!("{namespace}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(ranges: &[&str], version: &str) -> bool {
        let ranges: Vec<String> = ranges.iter().map(|s| s.to_string()).collect();
        requirement(&ranges)
            .unwrap()
            .matches(&Version::parse(version).unwrap())
    }

    #[test]
    fn a_bare_version_is_that_version_and_ranges_all_hold() {
        assert!(allows(&["1.3.0"], "1.3.0"));
        assert!(!allows(&["1.3.0"], "1.3.1"));
        assert!(allows(&[">=1.0.0", "<2.0.0"], "1.9.4"));
        assert!(!allows(&[">=1.0.0", "<2.0.0"], "2.0.0"));
        assert!(allows(&[">=0.9.0,<0.10.0"], "0.9.7"));
        assert!(!allows(&[">=0.9.0,<0.10.0"], "0.10.0"));
        assert!(allows(&[], "4.0.0"));
    }

    #[test]
    fn a_range_dbt_cannot_read_says_what_it_can() {
        let err = requirement(&["about 1.0".to_string()]).unwrap_err();
        assert!(err.contains("is not a version range dbt reads"), "{err}");
    }
}
