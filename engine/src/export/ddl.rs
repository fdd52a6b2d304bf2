//! The statements dbt-redshift runs, rendered from a node's config the way the adapter's
//! macros render them (`redshift__create_table_as`, `dist`, `sort`,
//! `redshift__create_view_as`, the materialized view macro, dbt-core's delete+insert and
//! merge, and `redshift__snapshot_merge_sql`).

use crate::project::microbatch::{Batch, boundary};
use crate::project::resolved::{
    Dist, HardDeletes, Incremental, IncrementalStrategy, Snapshot, SnapshotStrategy, TableKeys,
};

/// `diststyle all|even`, nothing for `auto`, `diststyle key distkey (col)` otherwise.
pub fn dist(keys: &TableKeys) -> Option<String> {
    match keys.dist.as_ref()? {
        Dist::All => Some("diststyle all".into()),
        Dist::Even => Some("diststyle even".into()),
        Dist::Auto => None,
        Dist::Key(col) => Some(format!("diststyle key distkey ({col})")),
    }
}

/// `compound sortkey(a,b)` (or `interleaved`), nothing without `sort`.
pub fn sort(keys: &TableKeys) -> Option<String> {
    if keys.sort.is_empty() {
        return None;
    }
    Some(format!(
        "{} sortkey({})",
        keys.sort_type.as_str(),
        keys.sort.join(",")
    ))
}

fn backup_no(keys: &TableKeys) -> Option<String> {
    (!keys.backup).then(|| "backup no".to_string())
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
pub fn create_table_as(relation: &str, config: &TableKeys, sql: &str, temporary: bool) -> String {
    let mut head = vec![format!(
        "create {}table {relation}",
        if temporary { "temporary " } else { "" }
    )];
    head.extend(backup_no(config));
    head.extend(dist(config));
    head.extend(sort(config));
    format!("{}\nas (\n{}\n);", head.join("\n  "), indent(sql))
}

/// `create table` with the contract's column lines (declared columns, their constraints,
/// the model's constraints) and keys, then the insert of the model's rows selected in the
/// declared order: how dbt-redshift builds a table whose contract is enforced.
pub fn create_table_with_columns(
    relation: &str,
    config: &TableKeys,
    column_lines: &[String],
    names: &[String],
    sql: &str,
) -> String {
    let mut keys: Vec<String> = Vec::new();
    keys.extend(backup_no(config));
    keys.extend(dist(config));
    keys.extend(sort(config));
    let select = format!(
        "select {}
from (
{}
) as model_subq",
        names.join(", "),
        indent(sql)
    );
    format!(
        "create table {relation} (\n{}\n){}{};\ninsert into {relation}\n(\n{}\n);",
        column_lines
            .iter()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join(",\n"),
        if keys.is_empty() { "" } else { "\n  " },
        keys.join("\n  "),
        indent(&select)
    )
}

/// `create view ... as (...)`, `with no schema binding` when `bind: false`.
pub fn create_view_as(relation: &str, bind: bool, sql: &str) -> String {
    let binding = if !bind { " with no schema binding" } else { "" };
    format!("create view {relation} as (\n{}\n){binding};", indent(sql))
}

/// dbt-redshift's materialized view: backup, diststyle, distkey, plain sortkey, auto refresh.
pub fn create_materialized_view(
    relation: &str,
    keys: &TableKeys,
    auto_refresh: bool,
    sql: &str,
) -> String {
    let backup = if keys.backup { "yes" } else { "no" };
    let mut lines = vec![
        format!("create materialized view {relation}"),
        format!("backup {backup}"),
    ];
    match &keys.dist {
        Some(Dist::All) => lines.push("diststyle all".into()),
        Some(Dist::Even) | None => lines.push("diststyle even".into()),
        Some(Dist::Auto) => lines.push("diststyle auto".into()),
        Some(Dist::Key(col)) => {
            lines.push("diststyle key".into());
            lines.push(format!("distkey ({col})"));
        }
    }
    if !keys.sort.is_empty() {
        lines.push(format!("sortkey ({})", keys.sort.join(", ")));
    }
    let auto = if auto_refresh { "yes" } else { "no" };
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

/// The target's name in a predicate: Redshift's `merge` and `delete` name the target table
/// itself, so `DBT_INTERNAL_DEST.` in `incremental_predicates` becomes the relation
/// (dbt-redshift's `_update_predicates`).
fn predicates_on(relation: &str, predicates: &[String]) -> Vec<String> {
    predicates
        .iter()
        .map(|p| {
            p.replace("DBT_INTERNAL_DEST.", &format!("{relation}."))
                .replace("dbt_internal_dest.", &format!("{relation}."))
        })
        .collect()
}

/// What an incremental run executes after the first build, as dbt-redshift writes it: the
/// new rows into a temporary table, then the strategy's statements into the target
/// (`append`; `delete+insert`; `merge`, with `merge_update_columns` or
/// `merge_exclude_columns`), each limited by `incremental_predicates`.
pub fn incremental_statements(
    relation: &str,
    temp: &str,
    config: &Incremental,
    sql: &str,
    columns: &[String],
    batch: Option<&Batch>,
) -> Vec<String> {
    let keys = &config.unique_key;
    let cols = quoted_list(columns);
    let predicates = predicates_on(relation, &config.predicates);
    let mut out = vec![format!(
        "create temporary table {temp} as (\n{}\n);",
        indent(sql)
    )];
    let insert =
        format!("insert into {relation} ({cols})\n(\n    select {cols}\n    from {temp}\n);");
    match config.strategy {
        IncrementalStrategy::Merge => {
            let mut on = predicates;
            on.extend(
                keys.iter()
                    .map(|k| format!("DBT_INTERNAL_SOURCE.{k} = {relation}.{k}")),
            );
            // dbt writes `merge_update_columns` as given, and every other list of the
            // table's columns quoted.
            let set: Vec<String> = match &config.merge_update_columns {
                Some(named) => named
                    .iter()
                    .map(|c| format!("{c} = DBT_INTERNAL_SOURCE.{c}"))
                    .collect(),
                None => columns
                    .iter()
                    .filter(|c| !config.merge_exclude_columns.contains(c))
                    .map(|c| format!("\"{c}\" = DBT_INTERNAL_SOURCE.\"{c}\""))
                    .collect(),
            };
            let values: Vec<String> = columns
                .iter()
                .map(|c| format!("DBT_INTERNAL_SOURCE.\"{c}\""))
                .collect();
            out.push(format!(
                "merge into {relation}\n    using {temp} as DBT_INTERNAL_SOURCE\n    on ({})\nwhen matched then update set\n    {}\nwhen not matched then insert ({cols})\nvalues ({});",
                on.join(") and ("),
                set.join(",\n    "),
                values.join(", ")
            ));
        }
        IncrementalStrategy::DeleteInsert => {
            let key = keys.join(", ");
            let limits: String = predicates.iter().map(|p| format!("\nand {p}")).collect();
            out.push(format!(
                "delete from {relation}\nwhere ({key}) in (\n    select distinct {key}\n    from {temp} as DBT_INTERNAL_SOURCE\n){limits};"
            ));
            out.push(insert);
        }
        IncrementalStrategy::Append => out.push(insert),
        // dbt-redshift's microbatch: the batch's window of the event time is deleted, then
        // the batch inserted (no unique key needed).
        IncrementalStrategy::Microbatch => {
            if let (Some(mb), Some(b)) = (&config.microbatch, batch) {
                let mut all = predicates;
                all.push(format!(
                    "{} >= TIMESTAMP '{}'",
                    mb.event_time,
                    boundary(b.start)
                ));
                all.push(format!(
                    "{} < TIMESTAMP '{}'",
                    mb.event_time,
                    boundary(b.end)
                ));
                out.push(format!(
                    "delete from {relation}\nwhere (\n    {}\n);",
                    all.join("\n    and ")
                ));
            }
            out.push(insert);
        }
    }
    out
}

/// The snapshot SQL dbt-redshift runs (`build_snapshot_table`, `snapshot_staging_table`,
/// `snapshot_merge_sql`), from the same resolved config the local build merges with.
pub struct SnapshotSql<'a> {
    snapshot: &'a Snapshot,
    /// The key as one expression: the column, or the columns joined.
    unique_key: String,
    /// The check strategy's columns: the configured ones, or every column of the query.
    check_cols: Option<Vec<String>>,
    /// The query's own columns, for the rows that record a deletion.
    query_columns: Vec<String>,
}

impl<'a> SnapshotSql<'a> {
    pub fn new(snapshot: &'a Snapshot, query_columns: &[String]) -> SnapshotSql<'a> {
        let keys = &snapshot.unique_key;
        let unique_key = if keys.len() == 1 {
            keys[0].clone()
        } else {
            keys.iter()
                .map(|k| format!("coalesce(cast({k} as varchar), '')"))
                .collect::<Vec<_>>()
                .join(" || '|' || ")
        };
        let check_cols = match &snapshot.strategy {
            SnapshotStrategy::Timestamp { .. } => None,
            SnapshotStrategy::Check { columns } => {
                Some(columns.clone().unwrap_or_else(|| query_columns.to_vec()))
            }
        };
        SnapshotSql {
            snapshot,
            unique_key,
            check_cols,
            query_columns: query_columns.to_vec(),
        }
    }

    fn updated_at(&self) -> &str {
        self.snapshot.updated_at()
    }

    fn new_record(&self) -> bool {
        self.snapshot.hard_deletes == HardDeletes::NewRecord
    }

    fn scd_id(&self) -> String {
        format!(
            "md5(coalesce(cast({} as varchar), '') || '|' || coalesce(cast({} as varchar), ''))",
            self.unique_key,
            self.updated_at()
        )
    }

    /// `dbt_valid_to` of a new current row: NULL, or `dbt_valid_to_current`.
    fn valid_to_initial(&self) -> String {
        let u = self.updated_at();
        match &self.snapshot.valid_to_current {
            Some(v) => format!("coalesce(nullif({u}, {u}), {v})"),
            None => format!("nullif({u}, {u})"),
        }
    }

    /// Whether a row of the table (columns qualified by `table`) is its key's current one.
    fn is_current(&self, table: &str) -> String {
        let to = format!("{table}{}", self.snapshot.names.valid_to);
        match &self.snapshot.valid_to_current {
            Some(v) => format!("({to} = {v} or {to} is null)"),
            None => format!("{to} is null"),
        }
    }

    fn row_changed(&self) -> String {
        let changed = match &self.check_cols {
            None => format!(
                "snapshotted_data.{} < source_data.{}",
                self.snapshot.names.valid_from,
                self.updated_at()
            ),
            Some(cols) => cols
                .iter()
                .map(|c| {
                    format!(
                        "snapshotted_data.\"{c}\" != source_data.\"{c}\"\n        or (snapshotted_data.\"{c}\" is null and not source_data.\"{c}\" is null)\n        or (not snapshotted_data.\"{c}\" is null and source_data.\"{c}\" is null)"
                    )
                })
                .collect::<Vec<_>>()
                .join("\n        or "),
        };
        if self.new_record() {
            format!(
                "{changed}\n        or snapshotted_data.{} = 'True'",
                self.snapshot.names.is_deleted
            )
        } else {
            changed
        }
    }

    /// The first snapshot: every row of the query with the meta columns.
    pub fn create(&self, relation: &str, sql: &str) -> String {
        let n = &self.snapshot.names;
        let deleted = if self.new_record() {
            format!(",\n        'False' as {}", n.is_deleted)
        } else {
            String::new()
        };
        format!(
            "create table {relation} as (\n    select *,\n        {} as {},\n        {u} as {},\n        {u} as {},\n        {} as {}{deleted}\n    from (\n{}\n    ) sbq\n);",
            self.scd_id(),
            n.scd_id,
            n.updated_at,
            n.valid_from,
            self.valid_to_initial(),
            n.valid_to,
            indent(&indent(sql)),
            u = self.updated_at(),
        )
    }

    /// dbt's snapshot staging query: the rows to insert, update and invalidate.
    pub fn staging(&self, relation: &str, sql: &str) -> String {
        let n = &self.snapshot.names;
        let key = &self.unique_key;
        let u = self.updated_at();
        let changed = self.row_changed();
        let new_record = self.new_record();
        let is_deleted = |table: &str| {
            if new_record {
                format!(", {table}.{}", n.is_deleted)
            } else {
                String::new()
            }
        };
        let mut parts = vec![
            format!("snapshot_query as (\n{}\n)", indent(sql)),
            format!(
                "snapshotted_data as (\n    select *, {key} as dbt_unique_key\n    from {relation}\n    where {}\n)",
                self.is_current("")
            ),
            format!(
                "insertions_source_data as (\n    select *,\n        {key} as dbt_unique_key,\n        {u} as {},\n        {u} as {},\n        {} as {},\n        {} as {}\n    from snapshot_query\n)",
                n.updated_at,
                n.valid_from,
                self.valid_to_initial(),
                n.valid_to,
                self.scd_id(),
                n.scd_id
            ),
            format!(
                "updates_source_data as (\n    select *,\n        {key} as dbt_unique_key,\n        {u} as {},\n        {u} as {},\n        {u} as {}\n    from snapshot_query\n)",
                n.updated_at, n.valid_from, n.valid_to
            ),
            format!(
                "insertions as (\n    select 'insert' as dbt_change_type, source_data.*{}\n    from insertions_source_data as source_data\n    left outer join snapshotted_data\n        on snapshotted_data.dbt_unique_key = source_data.dbt_unique_key\n    where snapshotted_data.dbt_unique_key is null\n       or (snapshotted_data.dbt_unique_key is not null and (\n        {changed}\n       ))\n)",
                if new_record {
                    format!(", 'False' as {}", n.is_deleted)
                } else {
                    String::new()
                }
            ),
            format!(
                "updates as (\n    select 'update' as dbt_change_type, source_data.*, snapshotted_data.{}{}\n    from updates_source_data as source_data\n    join snapshotted_data\n        on snapshotted_data.dbt_unique_key = source_data.dbt_unique_key\n    where (\n        {changed}\n    )\n)",
                n.scd_id,
                is_deleted("snapshotted_data")
            ),
        ];
        let mut union = vec!["select * from insertions", "select * from updates"];
        if self.snapshot.hard_deletes != HardDeletes::Ignore {
            // A key already recorded as deleted is not deleted again.
            let not_recorded = if new_record {
                format!(
                    "\n      and not (snapshotted_data.{} = 'True' and {})",
                    n.is_deleted,
                    self.is_current("snapshotted_data.")
                )
            } else {
                String::new()
            };
            parts.push(format!(
                "deletes_source_data as (\n    select *, {key} as dbt_unique_key\n    from snapshot_query\n)"
            ));
            parts.push(format!(
                "deletes as (\n    select 'delete' as dbt_change_type,\n        source_data.*,\n        getdate() as {},\n        getdate() as {},\n        getdate() as {},\n        snapshotted_data.{}{}\n    from snapshotted_data\n    left join deletes_source_data as source_data\n        on snapshotted_data.dbt_unique_key = source_data.dbt_unique_key\n    where source_data.dbt_unique_key is null{not_recorded}\n)",
                n.valid_from,
                n.updated_at,
                n.valid_to,
                n.scd_id,
                is_deleted("snapshotted_data")
            ));
            union.push("select * from deletes");
            if new_record {
                let columns: String = self
                    .query_columns
                    .iter()
                    .map(|c| format!("snapshotted_data.\"{c}\",\n        "))
                    .collect();
                parts.push(format!(
                    "deletion_records as (\n    select 'insert' as dbt_change_type,\n        {columns}snapshotted_data.dbt_unique_key,\n        getdate() as {},\n        getdate() as {},\n        snapshotted_data.{} as {},\n        md5(coalesce(cast(snapshotted_data.{} as varchar), '') || '|' || coalesce(cast(getdate() as varchar), '')) as {},\n        'True' as {}\n    from snapshotted_data\n    left join deletes_source_data as source_data\n        on snapshotted_data.dbt_unique_key = source_data.dbt_unique_key\n    where source_data.dbt_unique_key is null{not_recorded}\n)",
                    n.valid_from,
                    n.updated_at,
                    n.valid_to,
                    n.valid_to,
                    n.scd_id,
                    n.scd_id,
                    n.is_deleted
                ));
                union.push("select * from deletion_records");
            }
        }
        format!(
            "with {}\n{}",
            parts.join(",\n"),
            union.join("\nunion all\n")
        )
    }

    /// dbt-redshift's snapshot merge: close changed and deleted rows, insert new versions.
    pub fn merge(&self, relation: &str, staging: &str, insert_cols: &[String]) -> Vec<String> {
        let n = &self.snapshot.names;
        let cols = quoted_list(insert_cols);
        let values: Vec<String> = insert_cols
            .iter()
            .map(|c| format!("DBT_INTERNAL_SOURCE.\"{c}\""))
            .collect();
        vec![
            format!(
                "update {relation}\nset {to} = DBT_INTERNAL_SOURCE.{to}\nfrom {staging} as DBT_INTERNAL_SOURCE\nwhere DBT_INTERNAL_SOURCE.{scd}::text = {relation}.{scd}::text\n  and DBT_INTERNAL_SOURCE.dbt_change_type::text in ('update'::text, 'delete'::text)\n  and {};",
                self.is_current(&format!("{relation}.")),
                to = n.valid_to,
                scd = n.scd_id,
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
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::project::resolved::model_with;
    use serde_json::{Value as Json, json};

    fn config(mut pairs: Json) -> TableKeys {
        pairs["materialized"] = json!("table");
        model_with(pairs).table_keys().cloned().unwrap()
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
            create_view_as("v", false, "select 1"),
            "create view v as (\n    select 1\n) with no schema binding;"
        );
        assert_eq!(
            create_view_as("v", true, "select 1"),
            "create view v as (\n    select 1\n);"
        );
    }

    #[test]
    fn materialized_views_render_backup_dist_sort_and_refresh() {
        let c = config(json!({"backup": false, "dist": "id", "sort": ["id"]}));
        assert_eq!(
            create_materialized_view("mv", &c, true, "select 1 as id"),
            "create materialized view mv\n    backup no\n    diststyle key\n    distkey (id)\n    sortkey (id)\n    auto refresh yes\nas (\n    select 1 as id\n);"
        );
    }

    #[test]
    fn contract_tables_declare_columns_then_insert() {
        let c = config(json!({"dist": "even"}));
        let lines = vec!["id bigint not null".to_string()];
        assert_eq!(
            create_table_with_columns("t", &c, &lines, &["id".into()], "select 1 as id"),
            "create table t (\n    id bigint not null\n)\n  diststyle even;\ninsert into t\n(\n    select id\n    from (\n        select 1 as id\n    ) as model_subq\n);"
        );
    }
}
