//! Where in a compiled query the construct an error is about sits, found in sqlparser's AST
//! (its spans are 1-based lines and columns of the compiled SQL), for the errors DataFusion
//! raises without a position: a division by zero, a function called with the wrong number
//! of arguments, an `IS [NOT] TRUE` on a value that is not boolean, an ambiguous or missing
//! column, a missing table, a set operation whose branches disagree, an operator with no
//! implementation for its operand types.

use std::ops::ControlFlow;

use crate::redshift::dialect::RedshiftDialect;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, DataType, Expr, FunctionArgumentClause, FunctionArguments, ObjectName,
    ObjectNamePart, Query, SetExpr, Spanned, Statement, TableFactor, TimezoneInfo, Visit, Visitor,
    visit_expressions, visit_relations,
};
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Span;

use crate::diagnostic::{line_col, offset_of};

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
    /// A column reference, bare or qualified, whose last part is `name` and, when `qualifier`
    /// is given, whose part before it is that qualifier.
    ColumnRef {
        qualifier: Option<String>,
        name: String,
    },
    /// A table named in a FROM or JOIN whose last part is this name.
    Table(String),
    /// The second branch of the first set operation (UNION, INTERSECT, EXCEPT).
    SetOperation,
    /// The first binary operator written with this symbol (`+`, `||`, `<`...).
    Operator(String),
    /// The cast (`x::type`, `cast(x as type)`) most likely to have failed on the rows: the
    /// first of a value that is not a constant, to a type of the family named (as the error
    /// names it: `integer`, `Int32`) when there is one; else the first cast.
    Cast { to: Option<String> },
    /// The first window call of an ordered aggregate (`listagg(...) within group (...) over
    /// (...)`).
    OrderedWindowAggregate,
    /// The first PIVOT or UNPIVOT.
    Pivot,
    /// The first TIMETZ value or cast.
    TimeTz,
    /// The first SUPER navigation (`c.orders[0].id`).
    Navigation,
}

/// The first place `construct` appears in `sql`, as a 1-based line and column.
pub fn find(sql: &str, construct: &Construct) -> Option<(usize, usize)> {
    let statements = Parser::parse_sql(&RedshiftDialect, sql).ok()?;
    match construct {
        Construct::Table(name) => return find_table(&statements, name),
        Construct::SetOperation => return find_set_operation(&statements),
        Construct::Operator(symbol) => return find_operator(sql, &statements, symbol),
        Construct::Cast { to } => return find_cast(&statements, to.as_deref()),
        Construct::Pivot => {
            return match statements.visit(&mut Pivots) {
                ControlFlow::Break(at) => Some(at),
                ControlFlow::Continue(()) => None,
            };
        }
        _ => {}
    }
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
            (Construct::OrderedWindowAggregate, Expr::Function(f))
                if f.over.is_some()
                    && (!f.within_group.is_empty()
                        || matches!(&f.args, FunctionArguments::List(l)
                            if l.clauses.iter().any(|c| matches!(c, FunctionArgumentClause::OrderBy(_))))) =>
            {
                f.name.0.last().map(|p| p.span())
            }
            (Construct::TimeTz, Expr::TypedString(ts))
                if matches!(
                    ts.data_type,
                    DataType::Time(_, TimezoneInfo::Tz | TimezoneInfo::WithTimeZone)
                ) =>
            {
                Some(expr.span())
            }
            (
                Construct::TimeTz,
                Expr::Cast {
                    data_type: DataType::Time(_, TimezoneInfo::Tz | TimezoneInfo::WithTimeZone),
                    ..
                },
            ) => Some(expr.span()),
            (Construct::Navigation, Expr::CompoundFieldAccess { .. } | Expr::JsonAccess { .. }) => {
                Some(expr.span())
            }
            (
                Construct::ColumnRef {
                    qualifier: None,
                    name,
                },
                Expr::Identifier(id),
            ) if id.value.eq_ignore_ascii_case(name) => Some(id.span),
            (Construct::ColumnRef { qualifier, name }, Expr::CompoundIdentifier(parts)) => {
                let mut rev = parts.iter().rev();
                let last = rev.next().filter(|id| id.value.eq_ignore_ascii_case(name));
                let qualified = match qualifier {
                    Some(q) => rev
                        .next()
                        .is_some_and(|id| id.value.eq_ignore_ascii_case(q)),
                    None => true,
                };
                match (parts.first(), last) {
                    (Some(first), Some(_)) if qualified => Some(first.span),
                    _ => None,
                }
            }
            _ => None,
        };
        match start_of(span) {
            Some(at) => {
                found = Some(at);
                ControlFlow::Break(())
            }
            None => ControlFlow::Continue(()),
        }
    });
    found
}

/// A span's start, when the parser recorded one (generated nodes have line 0).
fn start_of(span: Option<Span>) -> Option<(usize, usize)> {
    span.filter(|s| s.start.line > 0)
        .map(|s| (s.start.line as usize, s.start.column as usize))
}

// sqlparser's visitors need a sized value: the parser's `Vec` itself, not a slice of it.
#[allow(clippy::ptr_arg)]
fn find_table(statements: &Vec<Statement>, name: &str) -> Option<(usize, usize)> {
    let mut found = None;
    let _ = visit_relations(statements, |relation: &ObjectName| {
        match relation.0.last() {
            Some(ObjectNamePart::Identifier(id)) if id.value.eq_ignore_ascii_case(name) => {
                found = start_of(Some(relation.span()));
            }
            _ => {}
        }
        if found.is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    found
}

/// Finds the first PIVOT or UNPIVOT, at the table it turns.
struct Pivots;

impl Visitor for Pivots {
    type Break = (usize, usize);

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<Self::Break> {
        match factor {
            TableFactor::Pivot { .. } | TableFactor::Unpivot { .. } => {
                match start_of(Some(factor.span())) {
                    Some(at) => ControlFlow::Break(at),
                    None => ControlFlow::Continue(()),
                }
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

/// Finds the first set operation of any query, subqueries included, in the order the
/// visitor meets them (outer queries first).
struct SetOperations;

impl Visitor for SetOperations {
    type Break = (usize, usize);

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Self::Break> {
        let mut body = query.body.as_ref();
        let mut first = None;
        // `a UNION b UNION c` nests to the left: the first operation written is the deepest.
        while let SetExpr::SetOperation { left, right, .. } = body {
            first = Some(right.span());
            body = left.as_ref();
        }
        match start_of(first) {
            Some(at) => ControlFlow::Break(at),
            None => ControlFlow::Continue(()),
        }
    }
}

#[allow(clippy::ptr_arg)]
fn find_set_operation(statements: &Vec<Statement>) -> Option<(usize, usize)> {
    match statements.visit(&mut SetOperations) {
        ControlFlow::Break(at) => Some(at),
        ControlFlow::Continue(()) => None,
    }
}

/// The operator sits between its operands' spans; the AST keeps no span of its own for it.
#[allow(clippy::ptr_arg)]
fn find_operator(sql: &str, statements: &Vec<Statement>, symbol: &str) -> Option<(usize, usize)> {
    let mut found = None;
    let _ = visit_expressions(statements, |expr: &Expr| {
        if let Expr::BinaryOp { left, op, right } = expr
            && op.to_string().eq_ignore_ascii_case(symbol)
        {
            let (l, r) = (left.span(), right.span());
            if l.end.line > 0 && r.start.line > 0 {
                let from = offset_of(sql, l.end.line as usize, l.end.column as usize);
                let to = offset_of(sql, r.start.line as usize, r.start.column as usize);
                if let Some(i) = sql.get(from..to).and_then(|gap| gap.find(symbol)) {
                    found = Some(line_col(sql, from + i));
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    });
    found
}

/// The family of a type as SQL or an error names it, for matching a cast to the error it
/// raised: `int4`, `integer` and Arrow's `Int32` are one family.
fn type_family(name: &str) -> &'static str {
    let name = name.trim().to_ascii_lowercase();
    let base = name.split(['(', ' ']).next().unwrap_or_default();
    match base {
        "smallint" | "int2" | "int16" | "uint8" | "uint16" => "smallint",
        "integer" | "int" | "int4" | "int32" | "uint32" => "integer",
        "bigint" | "int8" | "int64" | "uint64" => "bigint",
        "numeric" | "decimal" | "decimal128" | "decimal256" => "numeric",
        "real" | "float4" | "float" | "float8" | "double" | "float16" | "float32" | "float64" => {
            "float"
        }
        "date" | "date32" | "date64" => "date",
        "timestamp" | "timestamptz" => "timestamp",
        "boolean" | "bool" => "boolean",
        "time" | "timetz" | "time32" | "time64" => "time",
        _ => "other",
    }
}

fn find_cast(statements: &Vec<Statement>, to: Option<&str>) -> Option<(usize, usize)> {
    let wanted = to.map(type_family);
    let (mut first, mut of_a_value, mut of_the_type) = (None, None, None);
    let _ = visit_expressions(statements, |expr: &Expr| {
        if let Expr::Cast {
            expr: operand,
            data_type,
            ..
        } = expr
        {
            let at = (
                expr.span().start.line as usize,
                expr.span().start.column as usize,
            );
            first.get_or_insert(at);
            if !matches!(operand.as_ref(), Expr::Value(_)) {
                of_a_value.get_or_insert(at);
                if wanted.is_some_and(|w| w == type_family(&data_type.to_string())) {
                    of_the_type = Some(at);
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    });
    of_the_type.or(of_a_value).or(first)
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

    #[test]
    fn finds_tables_columns_set_operations_and_operators() {
        // `orders` is a column before it is a table: the table is what a missing table means.
        let sql = "select orders, o.amount\nfrom \"dev\".\"main\".\"orders\" as o\nunion all\nselect 1, d || 'x'\nfrom t";
        assert_eq!(find(sql, &Construct::Table("orders".into())), Some((2, 6)));
        assert_eq!(find(sql, &Construct::Table("t".into())), Some((5, 6)));
        assert_eq!(find(sql, &Construct::Table("missing".into())), None);
        let amount = |qualifier: Option<&str>| Construct::ColumnRef {
            qualifier: qualifier.map(str::to_string),
            name: "amount".into(),
        };
        assert_eq!(find(sql, &amount(Some("o"))), Some((1, 16)));
        assert_eq!(find(sql, &amount(None)), Some((1, 16)));
        assert_eq!(find(sql, &amount(Some("x"))), None);
        assert_eq!(find(sql, &Construct::SetOperation), Some((4, 1)));
        assert_eq!(find(sql, &Construct::Operator("||".into())), Some((4, 13)));
        assert_eq!(find(sql, &Construct::Operator("+".into())), None);
        let cast = |to: Option<&str>| Construct::Cast {
            to: to.map(str::to_string),
        };
        assert_eq!(find("select 1,\n  'x'::int", &cast(None)), Some((2, 3)));
        // A constant's cast cannot fail on the rows; the cast to the type named can.
        let sql =
            "select cast(null as varchar) as a,\n  b::date,\n  n::bigint,\n  cast(c as integer)";
        assert_eq!(find(sql, &cast(None)), Some((2, 3)));
        assert_eq!(find(sql, &cast(Some("integer"))), Some((4, 8)));
        assert_eq!(find(sql, &cast(Some("Int32"))), Some((4, 8)));
        assert_eq!(find(sql, &cast(Some("Int64"))), Some((3, 3)));
        assert_eq!(find(sql, &cast(Some("Date32"))), Some((2, 3)));
        assert_eq!(find(sql, &cast(Some("boolean"))), Some((2, 3)));
        assert_eq!(find("select null::int", &cast(Some("Int64"))), Some((1, 8)));
    }
}
