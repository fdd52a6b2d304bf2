//! The statements dbt-redshift runs, rendered from a node's config the way the adapter's
//! macros render them (`redshift__create_table_as`, `dist`, `sort`,
//! `redshift__create_view_as`, the materialized view macro, dbt-core's delete+insert and
//! merge, and `redshift__snapshot_merge_sql`).

use serde_json::Value as Json;

use crate::project::Config;

/// `diststyle all|even`, nothing for `auto`, `diststyle key distkey (col)` otherwise.
pub fn dist(config: &Config) -> Option<String> {
    let dist = config.str("dist")?.trim().to_lowercase();
    match dist.as_str() {
        "all" | "even" => Some(format!("diststyle {dist}")),
        "auto" => None,
        col => Some(format!("diststyle key distkey ({col})")),
    }
}

/// `compound sortkey(a,b)` (or `interleaved`), nothing without `sort`.
pub fn sort(config: &Config) -> Option<String> {
    let cols = config.list("sort");
    if cols.is_empty() {
        return None;
    }
    let sort_type = config.str("sort_type").unwrap_or("compound");
    Some(format!("{sort_type} sortkey({})", cols.join(",")))
}

fn backup_no(config: &Config) -> Option<String> {
    (config.bool("backup") == Some(false)).then(|| "backup no".to_string())
}

fn indent(sql: &str) -> String {
    sql.trim()
        .lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `create table ... as (...)`, with the table's keys.
pub fn create_table_as(relation: &str, config: &Config, sql: &str, temporary: bool) -> String {
    let mut head = vec![format!(
        "create {}table {relation}",
        if temporary { "temporary " } else { "" }
    )];
    head.extend(backup_no(config));
    head.extend(dist(config));
    head.extend(sort(config));
    format!("{}\nas (\n{}\n);", head.join("\n  "), indent(sql))
}

/// `create table` with declared columns and keys, then the insert: how dbt-redshift builds a
/// table whose contract is enforced.
pub fn create_table_with_columns(
    relation: &str,
    config: &Config,
    columns: &[(String, String)],
    sql: &str,
) -> String {
    let cols: Vec<String> = columns
        .iter()
        .map(|(n, t)| format!("    \"{n}\" {t}"))
        .collect();
    let mut keys: Vec<String> = Vec::new();
    keys.extend(backup_no(config));
    keys.extend(dist(config));
    keys.extend(sort(config));
    let names: Vec<String> = columns.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    format!(
        "create table {relation} (\n{}\n){}{};\ninsert into {relation} ({})\n(\n{}\n);",
        cols.join(",\n"),
        if keys.is_empty() { "" } else { "\n  " },
        keys.join("\n  "),
        names.join(", "),
        indent(sql)
    )
}

/// `create view ... as (...)`, `with no schema binding` when `bind: false`.
pub fn create_view_as(relation: &str, config: &Config, sql: &str) -> String {
    let binding = if config.bool("bind") == Some(false) {
        " with no schema binding"
    } else {
        ""
    };
    format!("create view {relation} as (\n{}\n){binding};", indent(sql))
}

/// dbt-redshift's materialized view: backup, diststyle, distkey, plain sortkey, auto refresh.
pub fn create_materialized_view(relation: &str, config: &Config, sql: &str) -> String {
    let backup = if config.bool("backup") == Some(false) {
        "no"
    } else {
        "yes"
    };
    let mut lines = vec![
        format!("create materialized view {relation}"),
        format!("backup {backup}"),
    ];
    match config.str("dist").map(|d| d.trim().to_lowercase()) {
        Some(d) if d == "all" || d == "even" || d == "auto" => lines.push(format!("diststyle {d}")),
        Some(col) => {
            lines.push("diststyle key".into());
            lines.push(format!("distkey ({col})"));
        }
        None => lines.push("diststyle even".into()),
    }
    let sort = config.list("sort");
    if !sort.is_empty() {
        lines.push(format!("sortkey ({})", sort.join(", ")));
    }
    let auto = if config.bool("auto_refresh") == Some(true) {
        "yes"
    } else {
        "no"
    };
    lines.push(format!("auto refresh {auto}"));
    format!("{}\nas (\n{}\n);", lines.join("\n    "), indent(sql))
}

fn quoted_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an incremental run executes after the first build: the new rows into a temporary
/// table, then dbt-core's delete+insert, merge or append into the target.
pub fn incremental_statements(
    relation: &str,
    temp: &str,
    config: &Config,
    sql: &str,
    columns: &[String],
) -> Vec<String> {
    let keys = config.list("unique_key");
    let strategy = config
        .str("incremental_strategy")
        .unwrap_or(if keys.is_empty() {
            "append"
        } else {
            "delete+insert"
        });
    let cols = quoted_list(columns);
    let mut out = vec![format!(
        "create temporary table {temp} as (\n{}\n);",
        indent(sql)
    )];
    match strategy {
        "merge" => {
            let on: Vec<String> = keys
                .iter()
                .map(|k| format!("DBT_INTERNAL_SOURCE.{k} = DBT_INTERNAL_DEST.{k}"))
                .collect();
            let set: Vec<String> = columns
                .iter()
                .map(|c| format!("\"{c}\" = DBT_INTERNAL_SOURCE.\"{c}\""))
                .collect();
            let values: Vec<String> = columns
                .iter()
                .map(|c| format!("DBT_INTERNAL_SOURCE.\"{c}\""))
                .collect();
            out.push(format!(
                "merge into {relation} as DBT_INTERNAL_DEST\nusing {temp} as DBT_INTERNAL_SOURCE\non ({})\nwhen matched then update set\n    {}\nwhen not matched then insert\n    ({cols})\nvalues\n    ({});",
                on.join(" and "),
                set.join(",\n    "),
                values.join(", ")
            ));
        }
        "delete+insert" => {
            if keys.len() == 1 {
                let k = &keys[0];
                out.push(format!(
                    "delete from {relation}\nwhere ({k}) in (\n    select ({k})\n    from {temp}\n);"
                ));
            } else {
                let on: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{temp}.{k} = {relation}.{k}"))
                    .collect();
                out.push(format!(
                    "delete from {relation}\nusing {temp}\nwhere (\n    {}\n);",
                    on.join("\n    and ")
                ));
            }
            out.push(format!(
                "insert into {relation} ({cols})\n(\n    select {cols}\n    from {temp}\n);"
            ));
        }
        _ => out.push(format!(
            "insert into {relation} ({cols})\n(\n    select {cols}\n    from {temp}\n);"
        )),
    }
    out
}

/// The snapshot parts dbt needs: the key, the updated_at expression and the change test.
pub struct SnapshotSql {
    pub unique_key: String,
    pub updated_at: String,
    pub check_cols: Option<Vec<String>>,
    pub invalidate_hard_deletes: bool,
}

impl SnapshotSql {
    pub fn from_config(config: &Config, query_columns: &[String]) -> SnapshotSql {
        let keys = config.list("unique_key");
        let unique_key = if keys.len() == 1 {
            keys[0].clone()
        } else {
            keys.iter()
                .map(|k| format!("coalesce(cast({k} as varchar), '')"))
                .collect::<Vec<_>>()
                .join(" || '|' || ")
        };
        let check = config.str("strategy") == Some("check");
        let check_cols = check.then(|| match config.get("check_cols") {
            Some(Json::Array(_)) => config.list("check_cols"),
            _ => query_columns.to_vec(),
        });
        SnapshotSql {
            unique_key,
            updated_at: if check {
                "getdate()".into()
            } else {
                config.str("updated_at").unwrap_or("updated_at").to_string()
            },
            check_cols,
            invalidate_hard_deletes: matches!(
                config.str("hard_deletes"),
                Some("invalidate" | "new_record")
            ) || config.bool("invalidate_hard_deletes") == Some(true),
        }
    }

    fn scd_id(&self) -> String {
        format!(
            "md5(coalesce(cast({} as varchar), '') || '|' || coalesce(cast({} as varchar), ''))",
            self.unique_key, self.updated_at
        )
    }

    fn row_changed(&self) -> String {
        match &self.check_cols {
            None => format!("snapshotted_data.dbt_valid_from < source_data.{}", self.updated_at),
            Some(cols) => cols
                .iter()
                .map(|c| {
                    format!(
                        "snapshotted_data.\"{c}\" != source_data.\"{c}\"\n        or (snapshotted_data.\"{c}\" is null and not source_data.\"{c}\" is null)\n        or (not snapshotted_data.\"{c}\" is null and source_data.\"{c}\" is null)"
                    )
                })
                .collect::<Vec<_>>()
                .join("\n        or "),
        }
    }

    /// The first snapshot: every row of the query with the meta columns.
    pub fn create(&self, relation: &str, sql: &str) -> String {
        format!(
            "create table {relation} as (\n    select *,\n        {} as dbt_scd_id,\n        {u} as dbt_updated_at,\n        {u} as dbt_valid_from,\n        nullif({u}, {u}) as dbt_valid_to\n    from (\n{}\n    ) sbq\n);",
            self.scd_id(),
            indent(&indent(sql)),
            u = self.updated_at,
        )
    }

    /// dbt's snapshot staging query: the rows to insert, update and invalidate.
    pub fn staging(&self, relation: &str, sql: &str) -> String {
        let key = &self.unique_key;
        let u = &self.updated_at;
        let changed = self.row_changed();
        let mut parts = vec![
            format!("snapshot_query as (\n{}\n)", indent(sql)),
            format!(
                "snapshotted_data as (\n    select *, {key} as dbt_unique_key\n    from {relation}\n    where dbt_valid_to is null\n)"
            ),
            format!(
                "insertions_source_data as (\n    select *,\n        {key} as dbt_unique_key,\n        {u} as dbt_updated_at,\n        {u} as dbt_valid_from,\n        nullif({u}, {u}) as dbt_valid_to,\n        {} as dbt_scd_id\n    from snapshot_query\n)",
                self.scd_id()
            ),
            format!(
                "updates_source_data as (\n    select *,\n        {key} as dbt_unique_key,\n        {u} as dbt_updated_at,\n        {u} as dbt_valid_from,\n        {u} as dbt_valid_to\n    from snapshot_query\n)"
            ),
            format!(
                "insertions as (\n    select 'insert' as dbt_change_type, source_data.*\n    from insertions_source_data as source_data\n    left outer join snapshotted_data\n        on snapshotted_data.dbt_unique_key = source_data.dbt_unique_key\n    where snapshotted_data.dbt_unique_key is null\n       or (snapshotted_data.dbt_unique_key is not null and (\n        {changed}\n       ))\n)"
            ),
            format!(
                "updates as (\n    select 'update' as dbt_change_type, source_data.*, snapshotted_data.dbt_scd_id\n    from updates_source_data as source_data\n    join snapshotted_data\n        on snapshotted_data.dbt_unique_key = source_data.dbt_unique_key\n    where (\n        {changed}\n    )\n)"
            ),
        ];
        let mut union = vec!["select * from insertions", "select * from updates"];
        if self.invalidate_hard_deletes {
            parts.push(format!(
                "deletes_source_data as (\n    select *, {key} as dbt_unique_key\n    from snapshot_query\n)"
            ));
            parts.push(
                "deletes as (\n    select 'delete' as dbt_change_type,\n        snapshotted_data.*,\n        getdate() as dbt_valid_from,\n        getdate() as dbt_updated_at,\n        getdate() as dbt_valid_to,\n        snapshotted_data.dbt_scd_id\n    from snapshotted_data\n    left join deletes_source_data as source_data\n        on snapshotted_data.dbt_unique_key = source_data.dbt_unique_key\n    where source_data.dbt_unique_key is null\n)"
                    .to_string(),
            );
            union.push("select * from deletes");
        }
        format!(
            "with {}\n{}",
            parts.join(",\n"),
            union.join("\nunion all\n")
        )
    }

    /// dbt-redshift's snapshot merge: close changed and deleted rows, insert new versions.
    pub fn merge(relation: &str, staging: &str, insert_cols: &[String]) -> Vec<String> {
        let cols = quoted_list(insert_cols);
        let values: Vec<String> = insert_cols
            .iter()
            .map(|c| format!("DBT_INTERNAL_SOURCE.\"{c}\""))
            .collect();
        vec![
            format!(
                "update {relation}\nset dbt_valid_to = DBT_INTERNAL_SOURCE.dbt_valid_to\nfrom {staging} as DBT_INTERNAL_SOURCE\nwhere DBT_INTERNAL_SOURCE.dbt_scd_id::text = {relation}.dbt_scd_id::text\n  and DBT_INTERNAL_SOURCE.dbt_change_type::text in ('update'::text, 'delete'::text)\n  and {relation}.dbt_valid_to is null;"
            ),
            format!(
                "insert into {relation} ({cols})\nselect {}\nfrom {staging} as DBT_INTERNAL_SOURCE\nwhere DBT_INTERNAL_SOURCE.dbt_change_type::text = 'insert'::text;",
                values.join(", ")
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(pairs: Json) -> Config {
        crate::project::config_from_json(&pairs)
    }

    #[test]
    fn dist_follows_the_adapter() {
        assert_eq!(
            dist(&config(json!({"dist": "all"}))).as_deref(),
            Some("diststyle all")
        );
        assert_eq!(
            dist(&config(json!({"dist": " EVEN "}))).as_deref(),
            Some("diststyle even")
        );
        assert_eq!(dist(&config(json!({"dist": "auto"}))), None);
        assert_eq!(
            dist(&config(json!({"dist": "lead_key"}))).as_deref(),
            Some("diststyle key distkey (lead_key)")
        );
        assert_eq!(dist(&config(json!({}))), None);
    }

    #[test]
    fn sort_follows_the_adapter() {
        assert_eq!(
            sort(&config(json!({"sort": "a"}))).as_deref(),
            Some("compound sortkey(a)")
        );
        assert_eq!(
            sort(&config(
                json!({"sort": ["a", "b"], "sort_type": "interleaved"})
            ))
            .as_deref(),
            Some("interleaved sortkey(a,b)")
        );
        assert_eq!(sort(&config(json!({"sort_type": "compound"}))), None);
    }

    #[test]
    fn table_keywords_come_in_the_adapters_order() {
        let c = config(json!({"backup": false, "dist": "id", "sort": ["d", "id"]}));
        assert_eq!(
            create_table_as("\"dev\".\"s\".\"t\"", &c, "select 1 as id", false),
            "create table \"dev\".\"s\".\"t\"\n  backup no\n  diststyle key distkey (id)\n  compound sortkey(d,id)\nas (\n    select 1 as id\n);"
        );
        let c = config(json!({"backup": true}));
        assert_eq!(
            create_table_as("t", &c, "select 1", false),
            "create table t\nas (\n    select 1\n);"
        );
    }

    #[test]
    fn views_bind_unless_told_not_to() {
        assert_eq!(
            create_view_as("v", &config(json!({"bind": false})), "select 1"),
            "create view v as (\n    select 1\n) with no schema binding;"
        );
        assert_eq!(
            create_view_as("v", &config(json!({})), "select 1"),
            "create view v as (\n    select 1\n);"
        );
    }

    #[test]
    fn materialized_views_render_backup_dist_sort_and_refresh() {
        let c =
            config(json!({"backup": false, "dist": "id", "sort": ["id"], "auto_refresh": true}));
        assert_eq!(
            create_materialized_view("mv", &c, "select 1 as id"),
            "create materialized view mv\n    backup no\n    diststyle key\n    distkey (id)\n    sortkey (id)\n    auto refresh yes\nas (\n    select 1 as id\n);"
        );
    }

    #[test]
    fn contract_tables_declare_columns_then_insert() {
        let c = config(json!({"dist": "even"}));
        let cols = vec![("id".to_string(), "bigint".to_string())];
        assert_eq!(
            create_table_with_columns("t", &c, &cols, "select 1 as id"),
            "create table t (\n    \"id\" bigint\n)\n  diststyle even;\ninsert into t (\"id\")\n(\n    select 1 as id\n);"
        );
    }
}
