//! What dbt-redshift runs to build each kind of node, statement for statement, as its
//! materializations do (dbt-adapters' `table`, `view`, `incremental`, `seed` and `snapshot`,
//! dbt-redshift's `materialized_view`): a table or view built beside the old relation and
//! renamed into place, the old one renamed to a backup and dropped once the transaction
//! commits; hooks inside or outside the transaction as they are configured; grants and
//! comments where the materialization applies them.

use crate::project::resolved::Deploy;
use crate::relation::Relation;

/// What is already in the warehouse under a node's name (known from a previous manifest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Table,
    View,
    MaterializedView,
}

impl Existing {
    fn keyword(self) -> &'static str {
        match self {
            Existing::Table => "table",
            Existing::View => "view",
            Existing::MaterializedView => "materialized view",
        }
    }
}

/// Everything a node's statements are made of, rendered: its relation, its hooks, and the
/// grants and comments a deploy gives it.
#[derive(Debug)]
pub struct Around<'a> {
    pub relation: &'a Relation,
    /// `(statement, inside the transaction)`.
    pub pre_hooks: Vec<(String, bool)>,
    pub post_hooks: Vec<(String, bool)>,
    pub deploy: &'a Deploy,
    pub description: &'a str,
    /// Documented columns that the relation has, with their descriptions.
    pub column_docs: Vec<(String, String)>,
    pub existing: Option<Existing>,
    /// For a relation that is kept (an incremental run, a seed reloaded, a snapshot
    /// merged), the grants it has; `None` for one built new.
    pub kept_grants: Option<Vec<(String, Vec<String>)>>,
}

/// `"db"."schema"."identifier<suffix>"`.
fn suffixed(relation: &Relation, suffix: &str) -> String {
    Relation::new(
        &relation.database,
        &relation.schema,
        &format!("{}{suffix}", relation.identifier),
    )
    .to_string()
}

/// dbt's `make_intermediate_relation`.
pub fn intermediate(relation: &Relation) -> String {
    suffixed(relation, "__dbt_tmp")
}

/// dbt's `make_backup_relation`.
pub fn backup(relation: &Relation) -> String {
    suffixed(relation, "__dbt_backup")
}

fn statement(sql: &str) -> String {
    let s = sql.trim().trim_end_matches(';').trim_end();
    format!("{s};")
}

fn hooks(list: &[(String, bool)], inside: bool) -> Vec<String> {
    list.iter()
        .filter(|(sql, i)| *i == inside && !sql.trim().is_empty())
        .map(|(sql, _)| statement(sql))
        .collect()
}

/// dbt-redshift's grantee spelling: `group:x` is `GROUP x`, `role:x` is `ROLE x`, a name a
/// user.
fn grantee(g: &str) -> String {
    if let Some(group) = g.strip_prefix("group:") {
        format!("GROUP {group}")
    } else if let Some(role) = g.strip_prefix("role:") {
        format!("ROLE {role}")
    } else {
        g.strip_prefix("user:").unwrap_or(g).to_string()
    }
}

/// dbt-redshift's grantee spelling for comparing grants: a bare name is a user.
fn normalized(g: &str) -> String {
    if ["group:", "role:", "user:"]
        .iter()
        .any(|p| g.starts_with(p))
    {
        g.to_string()
    } else {
        format!("user:{g}")
    }
}

/// dbt's `apply_grants`. A new relation (or one rebuilt, as Redshift copies no grants) gets
/// a grant per privilege; one that is kept has what it had (`kept_grants`, from the
/// previous manifest) revoked where the config no longer gives it, and granted where the
/// config adds it.
pub fn grants(around: &Around) -> Vec<String> {
    let relation = around.relation;
    let wanted = &around.deploy.grants;
    let Some(had) = &around.kept_grants else {
        return wanted
            .iter()
            .filter(|(_, to)| !to.is_empty())
            .map(|(privilege, to)| {
                let to: Vec<String> = to.iter().map(|g| grantee(g)).collect();
                format!("grant {privilege} on {relation} to {};", to.join(", "))
            })
            .collect();
    };
    let of = |list: &[(String, Vec<String>)], privilege: &str| -> Vec<String> {
        list.iter()
            .filter(|(p, _)| p.eq_ignore_ascii_case(privilege))
            .flat_map(|(_, to)| to.iter().map(|g| normalized(g)))
            .collect()
    };
    let mut out = Vec::new();
    let mut privileges: Vec<&str> = had.iter().map(|(p, _)| p.as_str()).collect();
    for (p, _) in wanted {
        if !privileges.iter().any(|q| q.eq_ignore_ascii_case(p)) {
            privileges.push(p);
        }
    }
    for privilege in privileges {
        let before = of(had, privilege);
        let after = of(wanted, privilege);
        let revoke: Vec<String> = before
            .iter()
            .filter(|g| !after.contains(g))
            .map(|g| grantee(g))
            .collect();
        let grant: Vec<String> = after
            .iter()
            .filter(|g| !before.contains(g))
            .map(|g| grantee(g))
            .collect();
        if !revoke.is_empty() {
            out.push(format!(
                "revoke {privilege} on {relation} from {};",
                revoke.join(", ")
            ));
        }
        if !grant.is_empty() {
            out.push(format!(
                "grant {privilege} on {relation} to {};",
                grant.join(", ")
            ));
        }
    }
    out
}

/// dbt-postgres' `escape_comment`, which dbt-redshift uses: a dollar-quoted literal.
fn comment_literal(text: &str) -> String {
    let magic = "$dbt_comment_literal_block$";
    format!("{magic}{}{magic}", text.replace(magic, ""))
}

/// `persist_docs`: the relation's description and its columns', as comments. dbt-redshift
/// gives a late-binding view's columns none.
pub fn comments(around: &Around, kind: &str, late_binding: bool) -> Vec<String> {
    let mut out = Vec::new();
    if around.deploy.relation_docs && !around.description.is_empty() {
        let kind = if kind == "materialized view" {
            "view"
        } else {
            kind
        };
        out.push(format!(
            "comment on {kind} {} is {};",
            around.relation,
            comment_literal(around.description)
        ));
    }
    if around.deploy.column_docs && !late_binding {
        for (column, description) in &around.column_docs {
            out.push(format!(
                "comment on column {}.{column} is {};",
                around.relation,
                comment_literal(description)
            ));
        }
    }
    out
}

/// Moves what is there out of the way: renamed to the backup (dropped after the commit),
/// or, for what cannot be renamed (a materialized view), dropped. `None` when nothing is
/// there.
fn move_existing(around: &Around) -> (Vec<String>, Option<String>) {
    match around.existing {
        None => (Vec::new(), None),
        Some(Existing::MaterializedView) => (
            vec![format!(
                "drop materialized view if exists {} cascade;",
                around.relation
            )],
            None,
        ),
        Some(kind) => (
            vec![format!(
                "alter table {} rename to {}__dbt_backup;",
                around.relation, around.relation.identifier
            )],
            Some(format!(
                "drop {} if exists {} cascade;",
                kind.keyword(),
                backup(around.relation)
            )),
        ),
    }
}

/// dbt's `table` materialization: built as `<name>__dbt_tmp`, renamed into place, the
/// post-hooks before the grants and comments.
pub fn table(around: &Around, create: String) -> Vec<String> {
    swap(around, create, "table", false)
}

/// dbt-redshift's `view` materialization: the same dance, with grants and comments before
/// the post-hooks.
pub fn view(around: &Around, create: String, late_binding: bool) -> Vec<String> {
    swap(around, create, "view", late_binding)
}

/// Built beside the old relation and renamed into place, in one transaction; the backup
/// dropped once it commits.
fn swap(around: &Around, create: String, kind: &str, late_binding: bool) -> Vec<String> {
    let mut out = hooks(&around.pre_hooks, false);
    out.push("begin;".into());
    out.extend(hooks(&around.pre_hooks, true));
    out.push(create);
    let (moved, drop_backup) = move_existing(around);
    out.extend(moved);
    out.push(format!(
        "alter table {} rename to {};",
        intermediate(around.relation),
        around.relation.identifier
    ));
    let granted: Vec<String> = grants(around)
        .into_iter()
        .chain(comments(around, kind, late_binding))
        .collect();
    let inside = hooks(&around.post_hooks, true);
    if kind == "view" {
        out.extend(granted);
        out.extend(inside);
    } else {
        out.extend(inside);
        out.extend(granted);
    }
    out.push("commit;".into());
    out.extend(drop_backup);
    out.extend(hooks(&around.post_hooks, false));
    out
}

/// dbt's `incremental` materialization, as a first build (or a full refresh of a view):
/// the table is created in place; `main` is the strategy's statements on a later run.
pub fn incremental(around: &Around, main: Vec<String>) -> Vec<String> {
    in_place(around, "table", main)
}

/// dbt's `seed`, `snapshot` and dbt-redshift's `materialized_view`: the build, then grants,
/// comments and the post-hooks, in one transaction.
pub fn in_place(around: &Around, kind: &str, main: Vec<String>) -> Vec<String> {
    let mut out = hooks(&around.pre_hooks, false);
    out.push("begin;".into());
    out.extend(hooks(&around.pre_hooks, true));
    out.extend(main);
    out.extend(grants(around));
    out.extend(comments(around, kind, false));
    out.extend(hooks(&around.post_hooks, true));
    out.push("commit;".into());
    out.extend(hooks(&around.post_hooks, false));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(grants: &[(&str, &[&str])]) -> Deploy {
        Deploy {
            grants: grants
                .iter()
                .map(|(p, g)| (p.to_string(), g.iter().map(|s| s.to_string()).collect()))
                .collect(),
            relation_docs: true,
            column_docs: true,
        }
    }

    #[test]
    fn a_table_is_built_beside_and_swapped_in_as_dbt_redshift_does() {
        let relation = Relation::new("dev", "analytics", "orders");
        let d = deploy(&[("select", &["reporter", "group:analysts"])]);
        let mut around = Around {
            relation: &relation,
            pre_hooks: vec![("set query_group to 'etl'".into(), false)],
            post_hooks: vec![("analyze {{ this }}".into(), true)],
            deploy: &d,
            description: "One row per order.",
            column_docs: vec![("order_id".into(), "The key.".into())],
            existing: None,
            kept_grants: None,
        };
        let create = "create table \"dev\".\"analytics\".\"orders__dbt_tmp\" as (select 1);";
        assert_eq!(
            table(&around, create.into()),
            vec![
                "set query_group to 'etl';",
                "begin;",
                create,
                "alter table \"dev\".\"analytics\".\"orders__dbt_tmp\" rename to orders;",
                "analyze {{ this }};",
                "grant select on \"dev\".\"analytics\".\"orders\" to reporter, GROUP analysts;",
                "comment on table \"dev\".\"analytics\".\"orders\" is $dbt_comment_literal_block$One row per order.$dbt_comment_literal_block$;",
                "comment on column \"dev\".\"analytics\".\"orders\".order_id is $dbt_comment_literal_block$The key.$dbt_comment_literal_block$;",
                "commit;",
            ]
        );
        around.existing = Some(Existing::Table);
        let changed = table(&around, create.into());
        assert_eq!(
            changed[3],
            "alter table \"dev\".\"analytics\".\"orders\" rename to orders__dbt_backup;"
        );
        assert_eq!(
            changed.last().map(String::as_str),
            Some("drop table if exists \"dev\".\"analytics\".\"orders__dbt_backup\" cascade;")
        );
    }

    #[test]
    fn a_kept_relation_has_its_grants_changed_not_given_again() {
        let relation = Relation::new("dev", "analytics", "orders");
        let d = deploy(&[("select", &["reporter", "group:analysts"])]);
        let around = Around {
            relation: &relation,
            pre_hooks: Vec::new(),
            post_hooks: Vec::new(),
            deploy: &d,
            description: "",
            column_docs: Vec::new(),
            existing: Some(Existing::Table),
            kept_grants: Some(vec![
                (
                    "select".into(),
                    vec!["user:reporter".into(), "old_user".into()],
                ),
                ("insert".into(), vec!["loader".into()]),
            ]),
        };
        assert_eq!(
            grants(&around),
            vec![
                "revoke select on \"dev\".\"analytics\".\"orders\" from old_user;",
                "grant select on \"dev\".\"analytics\".\"orders\" to GROUP analysts;",
                "revoke insert on \"dev\".\"analytics\".\"orders\" from loader;",
            ]
        );
        let same = Around {
            kept_grants: Some(d.grants.clone()),
            ..around
        };
        assert!(grants(&same).is_empty());
    }
}
