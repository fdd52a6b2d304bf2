//! How the models use each table's columns: equality joins, filters, group-bys and window
//! partitions, read from the compiled SQL and traced back to the relations they come from.

use std::collections::HashMap;
use std::ops::ControlFlow;

use crate::redshift::dialect::RedshiftDialect;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr,
    JoinConstraint, JoinOperator, ObjectNamePart, Query, Select, SelectItem, SetExpr, TableFactor,
    Visit, Visitor, WindowType,
};
use datafusion::sql::sqlparser::parser::Parser;
use serde::Serialize;

/// A use of a column by a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Use {
    /// `a.col = b.other` in a join; the other side is given as `relation.column`.
    Join {
        with: String,
    },
    /// A filter comparing the column with a value: `range` for `<`, `>`, `between`.
    Filter {
        range: bool,
        wrapped: bool,
    },
    GroupBy,
    PartitionBy,
}

/// One observed use: which model's SQL, which table and column, how.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    pub by_model: String,
    /// The used table, as `schema.identifier`.
    pub table: String,
    pub column: String,
    pub how: Use,
}

/// Which table each name in a FROM clause stands for (`schema.identifier`), CTEs that read
/// one table resolved to it.
type Scope = HashMap<String, String>;

fn object_table(parts: &[ObjectNamePart]) -> Option<String> {
    let idents: Vec<String> = parts
        .iter()
        .filter_map(|p| match p {
            ObjectNamePart::Identifier(i) => Some(i.value.to_lowercase()),
            _ => None,
        })
        .collect();
    match idents.as_slice() {
        [.., schema, table] => Some(format!("{schema}.{table}")),
        [table] => Some(table.clone()),
        _ => None,
    }
}

/// The table a CTE passes through unchanged (`select * from t`, or plain columns of it), so
/// that uses of the CTE's columns are uses of the table's.
fn single_table(query: &Query, ctes: &Scope) -> Option<String> {
    let SetExpr::Select(select) = &*query.body else {
        return None;
    };
    let plain = select.projection.iter().all(|item| {
        matches!(
            item,
            SelectItem::Wildcard(_)
                | SelectItem::QualifiedWildcard(..)
                | SelectItem::UnnamedExpr(Expr::Identifier(_) | Expr::CompoundIdentifier(_))
        )
    });
    let grouped = !matches!(&select.group_by, GroupByExpr::Expressions(e, _) if e.is_empty());
    if !plain || grouped {
        return None;
    }
    match select.from.as_slice() {
        [twj] if twj.joins.is_empty() => match &twj.relation {
            TableFactor::Table { name, .. } => {
                let t = object_table(&name.0)?;
                Some(ctes.get(&t).cloned().unwrap_or(t))
            }
            _ => None,
        },
        _ => None,
    }
}

struct Collector<'a> {
    model: &'a str,
    ctes: Scope,
    out: Vec<Usage>,
}

impl Collector<'_> {
    fn scope(&self, select: &Select) -> Scope {
        let mut scope = Scope::new();
        let factors = select
            .from
            .iter()
            .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
        for factor in factors {
            if let TableFactor::Table { name, alias, .. } = factor
                && let Some(t) = object_table(&name.0)
            {
                let resolved = self.ctes.get(&t).cloned().unwrap_or_else(|| t.clone());
                let short = t.rsplit('.').next().unwrap_or(&t).to_string();
                scope.insert(short, resolved.clone());
                if let Some(a) = alias {
                    scope.insert(a.name.value.to_lowercase(), resolved);
                }
            }
        }
        scope
    }

    fn column(&self, scope: &Scope, e: &Expr) -> Option<(String, String)> {
        match e {
            Expr::CompoundIdentifier(ids) if ids.len() >= 2 => {
                let table = ids[ids.len() - 2].value.to_lowercase();
                let col = ids[ids.len() - 1].value.to_lowercase();
                scope.get(&table).map(|t| (t.clone(), col))
            }
            Expr::Identifier(id) => {
                let tables: Vec<&String> = scope.values().collect();
                let first = tables.first()?;
                tables
                    .iter()
                    .all(|t| t == first)
                    .then(|| ((*first).clone(), id.value.to_lowercase()))
            }
            Expr::Nested(inner) => self.column(scope, inner),
            _ => None,
        }
    }

    /// The column inside a function call such as `trunc(loaded_at)`.
    fn function_column(&self, scope: &Scope, e: &Expr) -> Option<(String, String)> {
        let Expr::Function(f) = e else {
            return None;
        };
        let FunctionArguments::List(list) = &f.args else {
            return None;
        };
        list.args.iter().find_map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(inner)) => self.column(scope, inner),
            _ => None,
        })
    }

    fn record(&mut self, table: String, column: String, how: Use) {
        self.out.push(Usage {
            by_model: self.model.to_string(),
            table,
            column,
            how,
        });
    }

    fn conditions(&mut self, scope: &Scope, e: &Expr, in_join: bool) {
        match e {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And | BinaryOperator::Or,
                right,
            } => {
                self.conditions(scope, left, in_join);
                self.conditions(scope, right, in_join);
            }
            Expr::Nested(inner) => self.conditions(scope, inner, in_join),
            Expr::BinaryOp { left, op, right } => {
                let range = matches!(
                    op,
                    BinaryOperator::Lt
                        | BinaryOperator::LtEq
                        | BinaryOperator::Gt
                        | BinaryOperator::GtEq
                );
                let eq = matches!(op, BinaryOperator::Eq);
                match (self.column(scope, left), self.column(scope, right)) {
                    (Some((lt, lc)), Some((rt, rc))) if eq && in_join && lt != rt => {
                        self.record(
                            lt.clone(),
                            lc.clone(),
                            Use::Join {
                                with: format!("{rt}.{rc}"),
                            },
                        );
                        self.record(
                            rt,
                            rc,
                            Use::Join {
                                with: format!("{lt}.{lc}"),
                            },
                        );
                    }
                    (Some((t, c)), None) | (None, Some((t, c))) if (eq || range) && !in_join => {
                        self.record(
                            t,
                            c,
                            Use::Filter {
                                range,
                                wrapped: false,
                            },
                        );
                    }
                    (None, None) if (eq || range) && !in_join => {
                        let wrapped = self
                            .function_column(scope, left)
                            .or_else(|| self.function_column(scope, right));
                        if let Some((t, c)) = wrapped {
                            self.record(
                                t,
                                c,
                                Use::Filter {
                                    range,
                                    wrapped: true,
                                },
                            );
                        }
                    }
                    _ => {}
                }
            }
            Expr::Between { expr, .. } if !in_join => {
                if let Some((t, c)) = self.column(scope, expr) {
                    self.record(
                        t,
                        c,
                        Use::Filter {
                            range: true,
                            wrapped: false,
                        },
                    );
                }
            }
            Expr::InList { expr, .. } if !in_join => {
                if let Some((t, c)) = self.column(scope, expr) {
                    self.record(
                        t,
                        c,
                        Use::Filter {
                            range: false,
                            wrapped: false,
                        },
                    );
                }
            }
            _ => {}
        }
    }
}

impl Visitor for Collector<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                if let Some(t) = single_table(&cte.query, &self.ctes) {
                    self.ctes.insert(cte.alias.name.value.to_lowercase(), t);
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
        let scope = self.scope(select);
        for twj in &select.from {
            for join in &twj.joins {
                let constraint = match &join.join_operator {
                    JoinOperator::Join(c)
                    | JoinOperator::Inner(c)
                    | JoinOperator::Left(c)
                    | JoinOperator::LeftOuter(c)
                    | JoinOperator::Right(c)
                    | JoinOperator::RightOuter(c)
                    | JoinOperator::FullOuter(c) => Some(c),
                    _ => None,
                };
                if let Some(JoinConstraint::On(e)) = constraint {
                    self.conditions(&scope, e, true);
                }
            }
        }
        if let Some(w) = &select.selection {
            self.conditions(&scope, w, false);
        }
        if let GroupByExpr::Expressions(exprs, _) = &select.group_by {
            for e in exprs {
                if let Some((t, c)) = self.column(&scope, e) {
                    self.record(t, c, Use::GroupBy);
                }
            }
        }
        let mut partitions = Vec::new();
        let _ = select
            .projection
            .visit(&mut PartitionFinder(&mut partitions));
        for e in partitions {
            if let Some((t, c)) = self.column(&scope, &e) {
                self.record(t, c, Use::PartitionBy);
            }
        }
        ControlFlow::Continue(())
    }
}

struct PartitionFinder<'a>(&'a mut Vec<Expr>);

impl Visitor for PartitionFinder<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = e
            && let Some(WindowType::WindowSpec(spec)) = &f.over
        {
            self.0.extend(spec.partition_by.iter().cloned());
        }
        ControlFlow::Continue(())
    }
}

/// The uses `model`'s compiled SQL makes of the tables it reads.
pub fn usages(model: &str, sql: &str) -> Vec<Usage> {
    let Ok(statements) = Parser::parse_sql(&RedshiftDialect, sql) else {
        return Vec::new();
    };
    let mut c = Collector {
        model,
        ctes: Scope::new(),
        out: Vec::new(),
    };
    for s in &statements {
        let _ = s.visit(&mut c);
    }
    c.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_filters_and_partitions_trace_back_through_ctes() {
        let sql = "with leads as (select * from \"dev\".\"s\".\"leads\"), sf as (select * from \"dev\".\"s\".\"sf\")
            select l.id, row_number() over (partition by l.phone order by l.id) as n
            from leads l join sf on sf.phone = l.phone
            where l.loaded_at >= '2024-01-01' and l.state = 'NV'";
        let u = usages("m", sql);
        let has = |t: &str, c: &str, how: Use| {
            u.iter()
                .any(|x| x.table == t && x.column == c && x.how == how)
        };
        assert!(has(
            "s.leads",
            "phone",
            Use::Join {
                with: "s.sf.phone".into()
            }
        ));
        assert!(has(
            "s.sf",
            "phone",
            Use::Join {
                with: "s.leads.phone".into()
            }
        ));
        assert!(has(
            "s.leads",
            "loaded_at",
            Use::Filter {
                range: true,
                wrapped: false
            }
        ));
        assert!(has(
            "s.leads",
            "state",
            Use::Filter {
                range: false,
                wrapped: false
            }
        ));
        assert!(has("s.leads", "phone", Use::PartitionBy));
    }
}
