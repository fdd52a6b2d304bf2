//! Which project paths a user may create, checked by the page before it asks and by the
//! worker before it writes.

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
