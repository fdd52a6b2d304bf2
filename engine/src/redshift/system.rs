//! Redshift's system tables and views (`stv_blocklist`, `svv_table_info`, `pg_class`, ...):
//! the cluster's own catalog and logs, which a playground of sample files does not have. A
//! model that reads one cannot run here, and still deploys as written.

/// What the diagnostic about such a model says, for the export to recognise it.
pub const NOT_HERE: &str = "one of Redshift's system tables and views";

const PREFIXES: &[&str] = &[
    "stv_", "stl_", "svv_", "svl_", "svcs_", "stcs_", "sys_", "pg_",
];
const SCHEMAS: &[&str] = &["pg_catalog", "information_schema"];

/// Whether a relation name (`stv_blocklist`, `"dev"."pg_catalog"."pg_class"`) is one of
/// Redshift's system relations.
pub fn is_system_relation(name: &str) -> bool {
    let parts: Vec<String> = name
        .split('.')
        .map(|p| p.trim_matches('"').to_lowercase())
        .collect();
    let Some(last) = parts.last() else {
        return false;
    };
    let in_system_schema = parts.len() > 1 && SCHEMAS.contains(&parts[parts.len() - 2].as_str());
    in_system_schema || PREFIXES.iter().any(|p| last.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_relations_are_known_by_their_prefix_or_schema() {
        assert!(is_system_relation("stv_blocklist"));
        assert!(is_system_relation("dev.analytics.SVV_TABLE_INFO"));
        assert!(is_system_relation("\"dev\".\"pg_catalog\".\"tables\""));
        assert!(is_system_relation("information_schema.columns"));
        assert!(!is_system_relation("analytics.stg_orders"));
        assert!(!is_system_relation("status_history"));
    }
}
