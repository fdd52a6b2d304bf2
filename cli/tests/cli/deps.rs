//! `modelplay deps`: packages from folders, git repositories and a Hub-shaped index.

use std::path::Path;
use std::process::Command;

use super::{modelplay, modelplay_with_env};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=modelplay",
            "-c",
            "user.email=tests@modelplay.invalid",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn deps_installs_local_and_git_packages_that_the_build_then_uses() {
    let base = std::env::temp_dir().join(format!("modelplay-cli-deps-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    // A local package beside the project, and a git repository with a package in a folder.
    write(&base, "local_utils/dbt_project.yml", "name: local_utils\n");
    write(
        &base,
        "local_utils/macros/cents.sql",
        "{% macro cents(x) %}{{ x }} * 100{% endmacro %}",
    );
    let repo_dir = base.join("remote");
    write(&repo_dir, "pkg/dbt_project.yml", "name: remote_utils\n");
    write(
        &repo_dir,
        "pkg/macros/double.sql",
        "{% macro double(x) %}{{ x }} * 2{% endmacro %}",
    );
    git(&repo_dir, &["init", "--quiet"]);
    git(&repo_dir, &["add", "."]);
    git(&repo_dir, &["commit", "--quiet", "-m", "package"]);
    git(&repo_dir, &["tag", "v1"]);
    let project = base.join("project");
    write(&project, "dbt_project.yml", "name: uses_packages\n");
    write(
        &project,
        "packages.yml",
        &format!(
            "packages:\n  - local: ../local_utils\n  - git: \"{}\"\n    revision: v1\n    subdirectory: pkg\n",
            repo_dir.display()
        ),
    );
    write(
        &project,
        "models/amounts.sql",
        "select {{ local_utils.cents(3) }} as cents, {{ remote_utils.double(4) }} as doubled",
    );
    let dir = project.to_string_lossy().to_string();
    let (code, out, err) = modelplay(&["deps", "--project-dir", &dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Installed 2 package(s) into dbt_packages/"),
        "{out}"
    );
    assert!(
        project
            .join("dbt_packages/remote_utils/macros/double.sql")
            .is_file()
    );
    let (code, out, err) = modelplay(&["show", "--project-dir", &dir, "-s", "amounts"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("| 300   | 8       |"), "{out}");

    let _ = std::fs::remove_dir_all(&base);
}

/// A package release as the Hub serves it: a gzipped tarball holding one folder.
fn tarball(folder: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (path, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, format!("{folder}/{path}"), text.as_bytes())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

/// Serves `files` (path to body) over HTTP from `listener` until the test ends.
fn serve(listener: std::net::TcpListener, files: std::collections::HashMap<String, Vec<u8>>) {
    use std::io::{BufRead, BufReader, Write};
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // The rest of the request's head, up to its blank line.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request
                .split(' ')
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let (status, body) = match files.get(path) {
                Some(body) => ("200 OK", body.clone()),
                None => ("404 Not Found", b"not found".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
}

#[test]
fn deps_installs_hub_packages_from_the_index_with_what_they_need() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let mut files = std::collections::HashMap::new();
    let mut index = |package: &str, releases: &[(&str, &str, &str)]| {
        let mut versions = serde_json::Map::new();
        for (version, macro_sql, needs) in releases {
            let folder = format!("{}-{version}", package.replace('/', "-"));
            let name = package.split('/').nth(1).unwrap();
            let mut release = vec![
                (
                    "dbt_project.yml",
                    format!("name: {name}\nversion: {version}\n"),
                ),
                ("macros/m.sql", macro_sql.to_string()),
            ];
            if !needs.is_empty() {
                release.push(("packages.yml", format!("packages:\n{needs}")));
            }
            let release: Vec<(&str, &str)> =
                release.iter().map(|(p, t)| (*p, t.as_str())).collect();
            let path = format!("tarballs/{folder}.tar.gz");
            files.insert(path.clone(), tarball(&folder, &release));
            let needs: serde_json::Value = if needs.is_empty() {
                serde_json::json!([])
            } else {
                serde_json::to_value(serde_saphyr::from_str::<serde_json::Value>(needs).unwrap())
                    .unwrap()
            };
            versions.insert(
                version.to_string(),
                serde_json::json!({
                    "name": name,
                    "version": version,
                    "packages": needs,
                    "downloads": { "tarball": format!("{base}{path}") },
                }),
            );
        }
        let (namespace, name) = package.split_once('/').unwrap();
        files.insert(
            format!("api/v1/{package}.json"),
            serde_json::to_vec(&serde_json::json!({
                "name": name, "namespace": namespace, "versions": versions
            }))
            .unwrap(),
        );
    };
    // `cents` 1.1.0 is the newest 1.x; it needs `base` 0.2.x, whose newest is 0.2.5.
    let needs_base = "  - package: acme/base\n    version: [\">=0.2.0\", \"<0.3.0\"]\n";
    index(
        "acme/cents",
        &[
            (
                "1.0.0",
                "{% macro to_cents(x) %}{{ x }} * 10{% endmacro %}",
                "",
            ),
            (
                "1.1.0",
                "{% macro to_cents(x) %}{{ base.times(x, 100) }}{% endmacro %}",
                needs_base,
            ),
            (
                "2.0.0",
                "{% macro to_cents(x) %}{{ x }} * 1000{% endmacro %}",
                "",
            ),
        ],
    );
    index(
        "acme/base",
        &[
            (
                "0.2.0",
                "{% macro times(x, n) %}{{ x }} * {{ n }} + 1{% endmacro %}",
                "",
            ),
            (
                "0.2.5",
                "{% macro times(x, n) %}{{ x }} * {{ n }}{% endmacro %}",
                "",
            ),
            (
                "0.3.0",
                "{% macro times(x, n) %}{{ x }} * 0{% endmacro %}",
                "",
            ),
        ],
    );
    serve(listener, files);

    let root = std::env::temp_dir().join(format!("modelplay-cli-hub-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    write(&root, "dbt_project.yml", "name: uses_the_hub\n");
    write(
        &root,
        "packages.yml",
        "packages:\n  - package: acme/cents\n    version: [\">=1.0.0\", \"<2.0.0\"]\n",
    );
    write(
        &root,
        "models/amounts.sql",
        "select {{ cents.to_cents(3) }} as cents",
    );
    let dir = root.to_string_lossy().to_string();
    let env = [("DBT_PACKAGE_HUB_URL", base.as_str())];
    let (code, out, err) = modelplay_with_env(&["deps", "--project-dir", &dir], &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Installed cents from acme/cents 1.1.0 (dbt Hub)"),
        "{out}"
    );
    assert!(
        out.contains("Installed base from acme/base 0.2.5 (dbt Hub)"),
        "{out}"
    );
    let (code, out, err) = modelplay(&["show", "--project-dir", &dir, "-s", "amounts"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("| 300   |"), "{out}");

    // A range no release meets, and a package the Hub does not have, each say so.
    write(
        &root,
        "packages.yml",
        "packages:\n  - package: acme/cents\n    version: \">=3.0.0\"\n  - package: acme/nope\n    version: 1.0.0\n",
    );
    let (code, out, err) = modelplay_with_env(&["deps", "--project-dir", &dir], &env);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(
            "no release of `acme/cents` satisfies >=3.0.0; the Hub has 2.0.0, 1.1.0, 1.0.0"
        ),
        "{err}"
    );
    assert!(err.contains("`acme/nope` is not on the dbt Hub"), "{err}");
    let _ = std::fs::remove_dir_all(&root);
}
