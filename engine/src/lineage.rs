//! Column lineage: for every column a model outputs, the columns of the tables it reads that
//! the value is computed from, each edge marked as a copy, a rename or a transformation.
//!
//! It is read off the model's logical plan (DataFusion plans the SQL, expanding `select *`,
//! CTEs, subqueries, unions, joins and windows), tracing each output column down to the
//! table scans. Ephemeral models stay visible: their injected `__dbt__cte__` CTE is a boundary.

use std::collections::BTreeMap;

use datafusion::common::JoinType;
use datafusion::logical_expr::{Expr, LogicalPlan};
use serde::Serialize;

/// How a column's value relates to the upstream column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    Copy,
    Rename,
    Transformation,
}

/// One upstream column of a model column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edge {
    /// The table read, as the plan names it (`db.schema.table` or `__dbt__cte__name`).
    pub relation: String,
    pub column: String,
    pub kind: EdgeKind,
    /// The expressions the value went through, outermost first (empty for a copy).
    pub expressions: Vec<String>,
}

static LITERAL: std::sync::LazyLock<Result<regex::Regex, regex::Error>> =
    std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?:Utf8|Utf8View|LargeUtf8)\("((?:[^"\\]|\\.)*)"\)"#)
    });
static NUMBER: std::sync::LazyLock<Result<regex::Regex, regex::Error>> =
    std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?:Int8|Int16|Int32|Int64|Float32|Float64)\((-?[0-9.e]+)\)")
    });

/// An expression as a reader of the SQL would write it: literals as literals, the engine's
/// Redshift casts as casts.
fn readable(e: &Expr) -> String {
    let mut s = without_internal_wrappers(e).to_string();
    if let Ok(re) = &*LITERAL {
        s = re.replace_all(&s, "'$1'").into_owned();
    }
    if let Ok(re) = &*NUMBER {
        s = re.replace_all(&s, "$1").into_owned();
    }
    s.replace("__rs_to_varchar(", "varchar(")
        .replace("__rs_to_timestamp(", "timestamp(")
        .replace("__rs_to_date(", "date(")
        .replace("__rs_count_distinct(", "count(DISTINCT ")
}

/// The engine's own calls that only give a value Redshift's type or text (`__rs_as_text(x)`
/// is `x` to the reader), and its DECIMAL division as the `/` the user wrote.
fn without_internal_wrappers(e: &Expr) -> Expr {
    use datafusion::common::tree_node::{Transformed, TreeNode};
    const WRAPPERS: &[&str] = &[
        crate::redshift::text_rules::AS_TEXT,
        crate::redshift::text_rules::RTRIM_TEXT,
        crate::redshift::decimals::AT_TYPE,
        "__rs_whole",
        "__rs_empty_as_null",
        crate::redshift::decimals::ROUND_FOR_INTEGER,
        "__rs_as_timestamp",
        "__rs_median_like",
        "__rs_avg_like_input",
    ];
    let cleaned = e.clone().transform(|x| match &x {
        Expr::ScalarFunction(f) if WRAPPERS.contains(&f.name()) && !f.args.is_empty() => {
            Ok(Transformed::yes(f.args[0].clone()))
        }
        Expr::ScalarFunction(f)
            if f.name() == crate::redshift::decimals::DIVIDE && f.args.len() == 2 =>
        {
            Ok(Transformed::yes(Expr::BinaryExpr(
                datafusion::logical_expr::BinaryExpr::new(
                    Box::new(f.args[0].clone()),
                    datafusion::logical_expr::Operator::Divide,
                    Box::new(f.args[1].clone()),
                ),
            )))
        }
        _ => Ok(Transformed::no(x)),
    });
    cleaned.map(|t| t.data).unwrap_or_else(|_| e.clone())
}

fn strip_alias(e: &Expr) -> &Expr {
    match e {
        Expr::Alias(a) => strip_alias(&a.expr),
        other => other,
    }
}

/// Follows the columns an expression reads into `input`, noting the expression unless it
/// only passes a column through.
fn trace_expr(
    e: &Expr,
    input: &LogicalPlan,
    via: &[String],
    out: &mut Vec<(String, String, Vec<String>)>,
) {
    let inner = strip_alias(e);
    let mut via = via.to_vec();
    if !matches!(inner, Expr::Column(_)) {
        via.push(readable(inner));
    }
    for c in inner.column_refs() {
        if let Ok(i) = input.schema().index_of_column(c) {
            trace(input, i, &via, out);
        }
    }
}

/// The upstream columns of output column `index` of `plan`; `via` holds the expressions
/// met on the way down.
fn trace(
    plan: &LogicalPlan,
    index: usize,
    via: &[String],
    out: &mut Vec<(String, String, Vec<String>)>,
) {
    match plan {
        LogicalPlan::Projection(p) => {
            if let Some(e) = p.expr.get(index) {
                trace_expr(e, &p.input, via, out);
            }
        }
        LogicalPlan::Aggregate(a) => {
            let mut exprs = a.group_expr.iter().chain(a.aggr_expr.iter());
            if let Some(e) = exprs.nth(index) {
                trace_expr(e, &a.input, via, out);
            }
        }
        LogicalPlan::Window(w) => {
            let width = w.input.schema().fields().len();
            if index < width {
                trace(&w.input, index, via, out);
            } else if let Some(e) = w.window_expr.get(index - width) {
                trace_expr(e, &w.input, via, out);
            }
        }
        LogicalPlan::Join(j) => {
            let left = j.left.schema().fields().len();
            match j.join_type {
                JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark => {
                    trace(&j.left, index, via, out)
                }
                JoinType::RightSemi | JoinType::RightAnti | JoinType::RightMark => {
                    trace(&j.right, index, via, out)
                }
                _ if index < left => trace(&j.left, index, via, out),
                _ => trace(&j.right, index - left, via, out),
            }
        }
        LogicalPlan::Union(u) => {
            for input in &u.inputs {
                trace(input, index, via, out);
            }
        }
        LogicalPlan::SubqueryAlias(s) => {
            let alias = s.alias.table();
            if alias.starts_with("__dbt__cte__") {
                let column = s.schema.field(index).name().clone();
                out.push((alias.to_string(), column, via.to_vec()));
            } else {
                trace(&s.input, index, via, out);
            }
        }
        LogicalPlan::TableScan(t) => {
            let column = t.projected_schema.field(index).name().clone();
            out.push((t.table_name.to_string(), column, via.to_vec()));
        }
        LogicalPlan::Filter(_)
        | LogicalPlan::Sort(_)
        | LogicalPlan::Limit(_)
        | LogicalPlan::Distinct(_)
        | LogicalPlan::Repartition(_) => {
            if let Some(input) = plan.inputs().first() {
                trace(input, index, via, out);
            }
        }
        _ => {}
    }
}

/// The lineage of every output column of a planned model, by column name.
pub fn column_lineage(plan: &LogicalPlan) -> BTreeMap<String, Vec<Edge>> {
    let mut result = BTreeMap::new();
    for (i, field) in plan.schema().fields().iter().enumerate() {
        let mut found = Vec::new();
        trace(plan, i, &[], &mut found);
        let name = field.name().to_lowercase();
        let mut edges: Vec<Edge> = found
            .into_iter()
            .map(|(relation, column, expressions)| {
                let kind = if !expressions.is_empty() {
                    EdgeKind::Transformation
                } else if column.eq_ignore_ascii_case(&name) {
                    EdgeKind::Copy
                } else {
                    EdgeKind::Rename
                };
                Edge {
                    relation,
                    column: column.to_lowercase(),
                    kind,
                    expressions,
                }
            })
            .collect();
        edges.sort();
        edges.dedup();
        result.insert(name, edges);
    }
    result
}
