//! Which project paths a user may create, checked by the page before it asks and by the
//! worker before it writes; and which files of a project folder belong to the project, for
//! the CLI and the page when they read one.

/// Folders of build output or tooling, at any depth: never project sources.
const TOOLING: [&str; 4] = ["target", "logs", ".git", "node_modules"];

/// Whether the file at `path` (relative to the project's folder) is read as part of the
/// project. Packages in `dbt_packages/` are, as `dbt deps` left them, but for their own
/// integration-test projects and the packages they installed in turn.
pub fn kept_in_project(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    if segments.iter().any(|s| TOOLING.contains(s)) {
        return false;
    }
    match segments.as_slice() {
        ["dbt_packages", _package, rest @ ..] => !rest
            .iter()
            .take(rest.len().saturating_sub(1))
            .any(|s| *s == "integration_tests" || *s == "dbt_packages"),
        _ => true,
    }
}

/// Whether a path is one a user may create: relative, `/`-separated, no `..`, no empty
/// segments, and a name a dbt project could hold.
pub fn valid_new_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.starts_with('/') || path.contains('\\') {
        return Err("use a path relative to the project, with `/` between folders".into());
    }
    if path
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err("a folder or file name is empty, `.` or `..`".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_are_read_but_not_their_own_test_projects() {
        for kept in [
            "models/a.sql",
            "dbt_packages/dbt_utils/dbt_project.yml",
            "dbt_packages/dbt_utils/macros/sql/star.sql",
        ] {
            assert!(kept_in_project(kept), "{kept}");
        }
        for skipped in [
            "target/run/a.sql",
            "logs/dbt.log",
            ".git/HEAD",
            "dbt_packages/dbt_utils/integration_tests/models/a.sql",
            "dbt_packages/dbt_utils/dbt_packages/x/dbt_project.yml",
            "dbt_packages/dbt_utils/target/manifest.json",
        ] {
            assert!(!kept_in_project(skipped), "{skipped}");
        }
    }

    #[test]
    fn refuses_paths_outside_the_project() {
        assert!(valid_new_path("models/new.sql").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "../x.sql",
            "models//x.sql",
            "a\\b.sql",
            "models/./x",
        ] {
            assert!(valid_new_path(bad).is_err(), "{bad}");
        }
    }
}
