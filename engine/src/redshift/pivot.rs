//! PIVOT as the grouped query it stands for: `(select p, v, g from t) pivot (agg(v) for p in
//! ('a', 'b' as bee))` is `select g, agg(case when p = 'a' then v end) as a, agg(case when p
//! = 'b' then v end) as bee from (select p, v, g from t) group by g`. The columns the PIVOT
//! does not name are grouped on, so they must be known from the query: the input is a
//! derived table whose select list names its columns. Any other PIVOT is left as it is, and
//! planning it is refused at its line.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, CaseWhen, Expr, ExprWithAlias, Function, FunctionArg, FunctionArgExpr,
    FunctionArguments, GroupByExpr, Ident, PivotValueSource, Query, SelectItem, SetExpr, Statement,
    TableFactor, TableWithJoins, Value, VisitMut, VisitorMut,
};

use super::dialect::RedshiftDialect;

/// Rewrites every PIVOT over a derived table with named columns.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Pivots);
}

struct Pivots;

impl VisitorMut for Pivots {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let Some(grouped) = grouped_query(factor) {
            *factor = grouped;
        }
        ControlFlow::Continue(())
    }
}

/// The output names of a derived table's select list, when every item has one.
fn output_names(query: &Query) -> Option<Vec<Ident>> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(Expr::Identifier(id)) => Some(id.clone()),
            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(ids)) => ids.last().cloned(),
            SelectItem::ExprWithAlias { alias, .. } => Some(alias.clone()),
            _ => None,
        })
        .collect()
}

/// The column names an expression reads.
fn read_columns(expr: &Expr, out: &mut Vec<String>) {
    let mut e = expr.clone();
    let _ = datafusion::sql::sqlparser::ast::visit_expressions_mut(&mut e, |x| {
        match x {
            Expr::Identifier(id) => out.push(id.value.to_lowercase()),
            Expr::CompoundIdentifier(ids) => {
                if let Some(last) = ids.last() {
                    out.push(last.value.to_lowercase());
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
}

/// A pivot value's column name: its alias, else the value as written without quotes, `null`
/// for NULL.
fn value_name(v: &ExprWithAlias) -> String {
    if let Some(a) = &v.alias {
        return a.value.clone();
    }
    match &v.expr {
        Expr::Value(x) => match &x.value {
            Value::SingleQuotedString(s) => s.clone(),
            Value::Null => "null".into(),
            other => other.to_string(),
        },
        other => other.to_string(),
    }
}

/// `agg(args)` with each argument kept only where `condition` holds (`count(*)` counts the
/// rows where it holds).
fn conditional(f: &Function, condition: &Expr) -> Option<Function> {
    let mut f = f.clone();
    let FunctionArguments::List(list) = &mut f.args else {
        return None;
    };
    for arg in &mut list.args {
        let FunctionArg::Unnamed(inner) = arg else {
            return None;
        };
        let kept = match inner {
            FunctionArgExpr::Expr(e) => e.clone(),
            FunctionArgExpr::Wildcard => {
                Expr::Value(Value::Number("1".into(), false).with_empty_span())
            }
            _ => return None,
        };
        *inner = FunctionArgExpr::Expr(Expr::Case {
            case_token: AttachedToken::empty(),
            end_token: AttachedToken::empty(),
            operand: None,
            conditions: vec![CaseWhen {
                condition: condition.clone(),
                result: kept,
            }],
            else_result: None,
        });
    }
    Some(f)
}

fn grouped_query(factor: &TableFactor) -> Option<TableFactor> {
    let TableFactor::Pivot {
        table,
        aggregate_functions,
        value_column,
        value_source: PivotValueSource::List(values),
        default_on_null: None,
        alias,
    } = factor
    else {
        return None;
    };
    let TableFactor::Derived { subquery, .. } = table.as_ref() else {
        return None;
    };
    let names = output_names(subquery)?;
    let [Expr::Identifier(pivot_column)] = value_column.as_slice() else {
        return None;
    };
    let mut used = vec![pivot_column.value.to_lowercase()];
    for agg in aggregate_functions {
        read_columns(&agg.expr, &mut used);
    }
    let groups: Vec<Ident> = names
        .into_iter()
        .filter(|n| !used.contains(&n.value.to_lowercase()))
        .collect();
    let mut projection: Vec<SelectItem> = groups
        .iter()
        .map(|g| SelectItem::UnnamedExpr(Expr::Identifier(g.clone())))
        .collect();
    for v in values {
        let column = Box::new(Expr::Identifier(pivot_column.clone()));
        let condition = match &v.expr {
            Expr::Value(x) if x.value == Value::Null => Expr::IsNull(column),
            value => Expr::BinaryOp {
                left: column,
                op: BinaryOperator::Eq,
                right: Box::new(value.clone()),
            },
        };
        for agg in aggregate_functions {
            let Expr::Function(f) = &agg.expr else {
                return None;
            };
            let name = match (&agg.alias, aggregate_functions.len()) {
                (Some(a), _) => format!("{}_{}", value_name(v), a.value),
                (None, 1) => value_name(v),
                (None, _) => format!("{}_{}", value_name(v), f.name),
            };
            projection.push(SelectItem::ExprWithAlias {
                expr: Expr::Function(conditional(f, &condition)?),
                alias: Ident::with_quote('"', name),
            });
        }
    }
    // The rest of the SELECT (its tokens and empty clauses) from a fixed template.
    let template = datafusion::sql::sqlparser::parser::Parser::parse_sql(
        &RedshiftDialect,
        "select 1 from t group by 1",
    )
    .ok()?;
    let Some(Statement::Query(mut query)) = template.into_iter().next() else {
        return None;
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return None;
    };
    select.projection = projection;
    select.from = vec![TableWithJoins {
        relation: table.as_ref().clone(),
        joins: Vec::new(),
    }];
    select.group_by = GroupByExpr::Expressions(
        groups.into_iter().map(Expr::Identifier).collect(),
        Vec::new(),
    );
    Some(TableFactor::Derived {
        lateral: false,
        subquery: query,
        alias: alias.clone(),
        sample: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::parser::Parser;

    #[test]
    fn a_pivot_is_a_grouped_query() {
        let mut stmts = Parser::parse_sql(
            &RedshiftDialect,
            "select * from (select quality, manufacturer from part) pivot (count(*) as n for quality in (1 as high, null))",
        )
        .unwrap();
        rewrite(&mut stmts[0]);
        assert_eq!(
            stmts[0].to_string(),
            "SELECT * FROM (SELECT manufacturer, count(CASE WHEN quality = 1 THEN 1 END) AS \"high_n\", count(CASE WHEN quality IS NULL THEN 1 END) AS \"null_n\" FROM (SELECT quality, manufacturer FROM part) GROUP BY manufacturer)"
        );
    }
}
