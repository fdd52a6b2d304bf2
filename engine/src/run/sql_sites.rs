//! Where in a compiled query the construct an error is about sits, found in sqlparser's AST
//! (its spans are 1-based lines and columns of the compiled SQL), for the errors DataFusion
//! raises without a position: a division by zero, a function called with the wrong number
//! of arguments, an `IS [NOT] TRUE` on a value that is not boolean, an ambiguous column.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, ObjectNamePart, Spanned, Statement, visit_expressions,
};
use datafusion::sql::sqlparser::dialect::RedshiftSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Construct {
    /// The divisor of a `/` or `%`.
    Divisor,
    /// A call of this function (lowercase name).
    Call(String),
    /// The operand of `IS TRUE` / `IS FALSE` (`negated`: `IS NOT TRUE` / `IS NOT FALSE`).
    BooleanTest { negated: bool },
    /// A bare column reference with this name (lowercase).
    Column(String),
}

/// The first place `construct` appears in `sql`, as a 1-based line and column.
pub fn find(sql: &str, construct: &Construct) -> Option<(usize, usize)> {
    let statements: Vec<Statement> = Parser::parse_sql(&RedshiftSqlDialect {}, sql).ok()?;
    let mut found = None;
    let _ = visit_expressions(&statements, |expr: &Expr| {
        let span = match (construct, expr) {
            (
                Construct::Divisor,
                Expr::BinaryOp {
                    op: BinaryOperator::Divide | BinaryOperator::Modulo,
                    right,
                    ..
                },
            ) => Some(right.span()),
            (Construct::Call(name), Expr::Function(f)) => match f.name.0.last() {
                Some(ObjectNamePart::Identifier(id)) if id.value.eq_ignore_ascii_case(name) => {
                    Some(id.span)
                }
                _ => None,
            },
            (
                Construct::BooleanTest { negated: true },
                Expr::IsNotTrue(e) | Expr::IsNotFalse(e),
            )
            | (Construct::BooleanTest { negated: false }, Expr::IsTrue(e) | Expr::IsFalse(e)) => {
                Some(e.span())
            }
            (Construct::Column(name), Expr::Identifier(id))
                if id.value.eq_ignore_ascii_case(name) =>
            {
                Some(id.span)
            }
            _ => None,
        };
        match span.filter(|s| s.start.line > 0) {
            Some(s) => {
                found = Some((s.start.line as usize, s.start.column as usize));
                ControlFlow::Break(())
            }
            None => ControlFlow::Continue(()),
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_construct() {
        let sql = "select a,\n  orders / visits as c,\n  dateadd(day, x) as d\nfrom t\nwhere flag is not true";
        assert_eq!(find(sql, &Construct::Divisor), Some((2, 12)));
        assert_eq!(find(sql, &Construct::Call("dateadd".into())), Some((3, 3)));
        assert_eq!(
            find(sql, &Construct::BooleanTest { negated: true }),
            Some((5, 7))
        );
        assert_eq!(find(sql, &Construct::BooleanTest { negated: false }), None);
        assert_eq!(find(sql, &Construct::Column("a".into())), Some((1, 8)));
        assert_eq!(find("not sql at all (", &Construct::Divisor), None);
    }
}
