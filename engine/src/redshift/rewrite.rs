//! Redshift SQL turned into SQL DataFusion runs the same way, as AST-to-AST rewrites.
//!
//! Each rewrite keeps Redshift's meaning: `nvl` is `coalesce` with any number of arguments,
//! `decode` matches NULL to NULL, `concat` and `||` give NULL on NULL, casts to timestamp
//! accept `2024-05-16 7:04:11`, casts to text print timestamps as Redshift does, `listagg`
//! is `string_agg`, AVG of integers truncates, and date parts may be bare words.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, CaseWhen, CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentClause, FunctionArgumentList, FunctionArguments, Ident, ObjectName,
    ObjectNamePart, Query, Select, SelectItem, Statement, Value, VisitMut, VisitorMut,
};

/// Applies every Redshift rewrite to `statement`.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Rewriter);
}

struct Rewriter;

impl VisitorMut for Rewriter {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let Some(with) = &mut query.with {
            for cte in &mut with.cte_tables {
                fold_ident(&mut cte.alias.name);
                for c in &mut cte.alias.columns {
                    fold_ident(&mut c.name);
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        name_unnamed_columns(select);
        for item in &mut select.projection {
            if let SelectItem::ExprWithAlias { alias, .. } = item {
                fold_ident(alias);
            }
        }
        for twj in &mut select.from {
            fold_table_alias(&mut twj.relation);
            for j in &mut twj.joins {
                fold_table_alias(&mut j.relation);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<()> {
        for part in &mut relation.0 {
            if let ObjectNamePart::Identifier(id) = part {
                fold_ident(id);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Identifier(id) if is_sysdate(id) => *expr = call("getdate", vec![]),
            Expr::Identifier(id) => fold_ident(id),
            Expr::CompoundIdentifier(ids) => ids.iter_mut().for_each(fold_ident),
            Expr::Function(f) => {
                if let Some(new) = rewrite_function_pre(f) {
                    *expr = new;
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Function(f) => {
                if let Some(new) = rewrite_function_post(f) {
                    *expr = new;
                }
            }
            Expr::Cast {
                kind,
                expr: inner,
                data_type,
                ..
            } if !matches!(kind, CastKind::TryCast | CastKind::SafeCast) => {
                if let Some(udf) = cast_udf(data_type) {
                    let mut args = vec![(**inner).clone()];
                    if let Some(len) = varchar_length(data_type) {
                        args.push(number(len));
                    }
                    *expr = call(udf, args);
                }
            }
            Expr::TypedString(ts) => {
                if let Some(udf) = cast_udf(&ts.data_type) {
                    *expr = call(udf, vec![Expr::Value(ts.value.clone())]);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn is_sysdate(id: &Ident) -> bool {
    id.quote_style.is_none() && id.value.eq_ignore_ascii_case("sysdate")
}

/// Redshift folds every identifier to lower case, quoted ones included.
fn fold_ident(id: &mut Ident) {
    if id.quote_style.is_some() {
        id.value = id.value.to_lowercase();
    }
}

fn fold_table_alias(factor: &mut datafusion::sql::sqlparser::ast::TableFactor) {
    use datafusion::sql::sqlparser::ast::TableFactor;
    let alias = match factor {
        TableFactor::Table { alias, .. }
        | TableFactor::Derived { alias, .. }
        | TableFactor::NestedJoin { alias, .. }
        | TableFactor::TableFunction { alias, .. }
        | TableFactor::UNNEST { alias, .. } => alias,
        _ => return,
    };
    if let Some(a) = alias {
        fold_ident(&mut a.name);
        for c in &mut a.columns {
            fold_ident(&mut c.name);
        }
    }
}

/// Redshift names an unaliased function column after the function (`count`), a cast after
/// its column, and anything else `?column?`.
fn name_unnamed_columns(select: &mut Select) {
    let mut taken: Vec<String> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.to_lowercase()),
            SelectItem::UnnamedExpr(Expr::Identifier(id)) if !is_sysdate(id) => {
                Some(id.value.to_lowercase())
            }
            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(ids)) => {
                ids.last().map(|id| id.value.to_lowercase())
            }
            _ => None,
        })
        .collect();
    for item in &mut select.projection {
        let SelectItem::UnnamedExpr(expr) = item else {
            continue;
        };
        let name = match &*expr {
            Expr::Function(f) => f.name.0.last().and_then(|p| match p {
                ObjectNamePart::Identifier(id) => Some(id.value.to_lowercase()),
                _ => None,
            }),
            Expr::Cast { expr: inner, .. } => match &**inner {
                Expr::Identifier(id) => Some(id.value.to_lowercase()),
                Expr::CompoundIdentifier(ids) => ids.last().map(|id| id.value.to_lowercase()),
                _ => Some("?column?".into()),
            },
            Expr::Identifier(id) if is_sysdate(id) => Some("sysdate".into()),
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Wildcard(_) => None,
            _ => Some("?column?".into()),
        };
        if let Some(name) = name {
            if taken.contains(&name) {
                continue;
            }
            taken.push(name.clone());
            *item = SelectItem::ExprWithAlias {
                expr: expr.clone(),
                alias: Ident::with_quote('"', name),
            };
        }
    }
}

fn function_name(f: &Function) -> String {
    match f.name.0.as_slice() {
        [ObjectNamePart::Identifier(id)] => id.value.to_lowercase(),
        _ => String::new(),
    }
}

fn arg_exprs(f: &Function) -> Vec<Expr> {
    match &f.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn set_args(f: &mut Function, args: Vec<Expr>) {
    if let FunctionArguments::List(list) = &mut f.args {
        list.args = args
            .into_iter()
            .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
            .collect();
    }
}

fn rename(f: &mut Function, name: &str) {
    f.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]);
}

pub(crate) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    })
}

fn string(s: &str) -> Expr {
    Expr::Value(Value::SingleQuotedString(s.to_string()).with_empty_span())
}

fn number(n: u64) -> Expr {
    Expr::Value(Value::Number(n.to_string(), false).with_empty_span())
}

fn case(conditions: Vec<(Expr, Expr)>, else_result: Option<Expr>) -> Expr {
    Expr::Case {
        case_token: AttachedToken::empty(),
        end_token: AttachedToken::empty(),
        operand: None,
        conditions: conditions
            .into_iter()
            .map(|(condition, result)| CaseWhen { condition, result })
            .collect(),
        else_result: else_result.map(Box::new),
    }
}

/// Rewrites that must see the function before its arguments are rewritten: bare date
/// parts (`dateadd(day, ...)`), which would otherwise be read as columns.
fn rewrite_function_pre(f: &mut Function) -> Option<Expr> {
    let name = function_name(f);
    let date_part_first = matches!(
        name.as_str(),
        "dateadd" | "datediff" | "date_add" | "date_diff" | "date_part" | "datepart" | "date_trunc"
    );
    if date_part_first {
        let mut args = arg_exprs(f);
        if let Some(Expr::Identifier(id)) = args.first()
            && id.quote_style.is_none()
        {
            args[0] = string(&id.value.to_lowercase());
            set_args(f, args);
        }
    }
    None
}

/// Rewrites of Redshift functions into DataFusion functions or our UDFs.
fn rewrite_function_post(f: &mut Function) -> Option<Expr> {
    let name = function_name(f);
    let args = arg_exprs(f);
    match name.as_str() {
        "nvl" | "isnull" => rename(f, "coalesce"),
        "nvl2" if args.len() == 3 => {
            let [e, a, b] = <[Expr; 3]>::try_from(args).ok()?;
            return Some(case(vec![(Expr::IsNotNull(Box::new(e)), a)], Some(b)));
        }
        "decode" if args.len() >= 3 => {
            let mut it = args.into_iter();
            let subject = it.next()?;
            let rest: Vec<Expr> = it.collect();
            let mut whens = Vec::new();
            let mut chunks = rest.chunks_exact(2);
            for pair in &mut chunks {
                whens.push((
                    Expr::IsNotDistinctFrom(Box::new(subject.clone()), Box::new(pair[0].clone())),
                    pair[1].clone(),
                ));
            }
            let default = chunks.remainder().first().cloned();
            return Some(case(whens, default));
        }
        "concat" if args.len() == 2 => {
            let [a, b] = <[Expr; 2]>::try_from(args).ok()?;
            return Some(Expr::Nested(Box::new(Expr::BinaryOp {
                left: Box::new(a),
                op: BinaryOperator::StringConcat,
                right: Box::new(b),
            })));
        }
        "len" => rename(f, "character_length"),
        "charindex" if args.len() == 2 => {
            let [needle, haystack] = <[Expr; 2]>::try_from(args).ok()?;
            return Some(call("strpos", vec![haystack, needle]));
        }
        "current_timestamp" | "now" | "timeofday" => return Some(call("getdate", vec![])),
        "current_date" => return Some(call("__rs_current_date", vec![])),
        "date_add" => rename(f, "dateadd"),
        "date_diff" => rename(f, "datediff"),
        "datepart" => rename(f, "date_part"),
        "listagg" => {
            rename(f, "string_agg");
            let mut args = args;
            if args.len() == 1 {
                args.push(string(""));
            }
            set_args(f, args);
            let order = std::mem::take(&mut f.within_group);
            if !order.is_empty()
                && let FunctionArguments::List(list) = &mut f.args
            {
                list.clauses.push(FunctionArgumentClause::OrderBy(order));
            }
        }
        "avg" => {
            // Redshift's AVG of an integer column is an integer; min() carries the type.
            let mut min = f.clone();
            rename(&mut min, "min");
            if let FunctionArguments::List(list) = &mut min.args {
                list.duplicate_treatment = None;
            }
            return Some(call(
                "__rs_avg_like_input",
                vec![Expr::Function(f.clone()), Expr::Function(min)],
            ));
        }
        "ratio_to_report" if args.len() == 1 && f.over.is_some() => {
            let value = args.into_iter().next()?;
            let mut sum = f.clone();
            rename(&mut sum, "sum");
            return Some(Expr::Nested(Box::new(Expr::BinaryOp {
                left: Box::new(Expr::Cast {
                    kind: CastKind::Cast,
                    expr: Box::new(value),
                    data_type: DataType::DoublePrecision,
                    array: false,
                    format: None,
                }),
                op: BinaryOperator::Divide,
                right: Box::new(Expr::Function(sum)),
            })));
        }
        _ => {}
    }
    None
}

/// The UDF that casts to `data_type` the Redshift way, for the types DataFusion casts
/// differently.
fn cast_udf(data_type: &DataType) -> Option<&'static str> {
    match data_type {
        DataType::Timestamp(_, _) | DataType::Datetime(_) => Some("__rs_to_timestamp"),
        DataType::Date => Some("__rs_to_date"),
        DataType::Varchar(_)
        | DataType::CharacterVarying(_)
        | DataType::Text
        | DataType::String(_)
        | DataType::Char(_)
        | DataType::Character(_)
        | DataType::Nvarchar(_) => Some("__rs_to_varchar"),
        DataType::Custom(name, _) => {
            let n = name.to_string().to_lowercase();
            match n.as_str() {
                "bpchar" | "nchar" => Some("__rs_to_varchar"),
                "timestamptz" => Some("__rs_to_timestamp"),
                _ => None,
            }
        }
        _ => None,
    }
}

fn varchar_length(data_type: &DataType) -> Option<u64> {
    use datafusion::sql::sqlparser::ast::{CharacterLength, CharacterLength::IntegerLength};
    let len = match data_type {
        DataType::Varchar(l) | DataType::CharacterVarying(l) | DataType::Nvarchar(l) => l.as_ref(),
        DataType::Char(l) | DataType::Character(l) => l.as_ref(),
        _ => None,
    };
    match len {
        Some(IntegerLength { length, .. }) => Some(*length),
        Some(CharacterLength::Max) | None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::RedshiftSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn rewritten(sql: &str) -> String {
        let mut stmts = Parser::parse_sql(&RedshiftSqlDialect {}, sql).unwrap();
        rewrite(&mut stmts[0]);
        stmts[0].to_string()
    }

    #[test]
    fn nvl_takes_any_number_of_arguments() {
        assert_eq!(
            rewritten("select nvl(a, b, c) as x from t"),
            "SELECT coalesce(a, b, c) AS x FROM t"
        );
    }

    #[test]
    fn decode_matches_null_to_null() {
        assert_eq!(
            rewritten("select decode(a, 1, 'one', null, 'none', 'other') as x from t"),
            "SELECT CASE WHEN a IS NOT DISTINCT FROM 1 THEN 'one' WHEN a IS NOT DISTINCT FROM NULL THEN 'none' ELSE 'other' END AS x FROM t"
        );
    }

    #[test]
    fn date_parts_may_be_bare_words() {
        assert_eq!(
            rewritten("select dateadd(day, 1, d) as x from t"),
            "SELECT dateadd('day', 1, d) AS x FROM t"
        );
    }

    #[test]
    fn listagg_becomes_ordered_string_agg() {
        assert_eq!(
            rewritten("select listagg(n, ',') within group (order by n) as x from t"),
            "SELECT string_agg(n, ',' ORDER BY n) AS x FROM t"
        );
    }

    #[test]
    fn casts_go_through_redshift_udfs() {
        assert_eq!(
            rewritten("select d::timestamp as a, x::varchar(3) as b from t"),
            "SELECT __rs_to_timestamp(d) AS a, __rs_to_varchar(x, 3) AS b FROM t"
        );
    }

    #[test]
    fn quoted_identifiers_fold_and_unnamed_columns_are_named() {
        assert_eq!(
            rewritten("select \"Lead_ID\", count(*), sysdate from \"Leads\""),
            "SELECT \"lead_id\", count(*) AS \"count\", getdate() AS \"sysdate\" FROM \"leads\""
        );
    }
}
