//! Redshift SQL turned into SQL DataFusion runs the same way, as AST-to-AST rewrites.
//!
//! Each rewrite keeps Redshift's meaning: `nvl` is `coalesce` with any number of arguments,
//! `decode` matches NULL to NULL, `concat` and `||` give NULL on NULL, casts to timestamp
//! accept `2024-05-16 7:04:11`, casts to text print timestamps as Redshift does, `listagg`
//! is `string_agg`, AVG of integers truncates, and date parts may be bare words.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, CaseWhen, CastKind, DataType, DuplicateTreatment, ExactNumberInfo, Expr,
    Function, FunctionArg, FunctionArgExpr, FunctionArgumentClause, FunctionArgumentList,
    FunctionArguments, Ident, ObjectName, ObjectNamePart, Query, Select, SelectItem, Statement,
    TimezoneInfo, UnaryOperator, Value, VisitMut, VisitorMut, WindowFrame, WindowFrameBound,
    WindowFrameUnits, WindowType,
};

/// Applies every Redshift rewrite to `statement`.
pub fn rewrite(statement: &mut Statement) {
    super::pivot::rewrite(statement);
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
            Expr::Identifier(id) if is_sysdate(id) => *expr = call("__rs_sysdate", vec![]),
            Expr::Convert {
                is_try: false,
                expr: inner,
                data_type: Some(data_type),
                charset: None,
                styles,
                ..
            } if styles.is_empty() => {
                *expr = Expr::Cast {
                    kind: CastKind::Cast,
                    expr: inner.clone(),
                    data_type: data_type.clone(),
                    array: false,
                    format: None,
                };
            }
            Expr::Interval(interval) if interval.leading_field.is_none() => {
                if let Expr::Value(v) = &mut *interval.value
                    && let Value::SingleQuotedString(text) = &mut v.value
                    && let Some(normal) = interval_text(text)
                {
                    *text = normal;
                }
            }
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
            // FLOAT is DOUBLE PRECISION in Redshift (FLOAT(p) is REAL up to 24 bits).
            Expr::Cast { data_type, .. } if matches!(data_type, DataType::Float(_)) => {
                let single = matches!(
                    data_type,
                    DataType::Float(ExactNumberInfo::Precision(p)) if *p <= 24
                );
                *data_type = if single {
                    DataType::Real
                } else {
                    DataType::DoublePrecision
                };
            }
            Expr::Cast {
                kind,
                expr: inner,
                data_type,
                ..
            } if !matches!(kind, CastKind::TryCast | CastKind::SafeCast) => {
                // DECIMAL without a precision is DECIMAL(18, 0) in Redshift (DataFusion's
                // default keeps ten decimals): `0.15::numeric` is 0.
                if matches!(
                    data_type,
                    DataType::Numeric(ExactNumberInfo::None)
                        | DataType::Decimal(ExactNumberInfo::None)
                        | DataType::Dec(ExactNumberInfo::None)
                ) {
                    *data_type = DataType::Numeric(ExactNumberInfo::PrecisionAndScale(18, 0));
                }
                if is_integer_type(data_type) {
                    **inner = call(
                        crate::redshift::decimals::ROUND_FOR_INTEGER,
                        vec![(**inner).clone()],
                    );
                }
                if let Some(udf) = cast_udf(data_type) {
                    let mut args = vec![(**inner).clone()];
                    if let Some(len) = varchar_length(data_type) {
                        args.push(number(len));
                    }
                    *expr = call(udf, args);
                }
            }
            Expr::UnaryOp { op, expr: inner }
                if matches!(
                    op,
                    UnaryOperator::PGSquareRoot | UnaryOperator::PGCubeRoot | UnaryOperator::PGAbs
                ) =>
            {
                let name = match op {
                    UnaryOperator::PGSquareRoot => "sqrt",
                    UnaryOperator::PGCubeRoot => "cbrt",
                    _ => "abs",
                };
                let arg = if name == "abs" {
                    (**inner).clone()
                } else {
                    Expr::Cast {
                        kind: CastKind::Cast,
                        expr: inner.clone(),
                        data_type: DataType::DoublePrecision,
                        array: false,
                        format: None,
                    }
                };
                *expr = call(name, vec![arg]);
            }
            // `^` is exponentiation in Redshift (XOR is `#`).
            Expr::BinaryOp { op, .. } if *op == BinaryOperator::BitwiseXor => {
                *op = BinaryOperator::PGExp;
            }
            // An interval times a number: DataFusion has no such operator.
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Multiply,
                right,
            } if matches!(**left, Expr::Interval(_)) || matches!(**right, Expr::Interval(_)) => {
                let (interval, factor) = if matches!(**left, Expr::Interval(_)) {
                    ((**left).clone(), (**right).clone())
                } else {
                    ((**right).clone(), (**left).clone())
                };
                *expr = call("__rs_interval_times", vec![interval, factor]);
            }
            // Whole numbers: a DECIMAL's ceiling or floor has no fraction digits to print.
            Expr::Ceil { .. } | Expr::Floor { .. } => {
                *expr = call("__rs_whole", vec![expr.clone()]);
            }
            Expr::BinaryOp {
                left,
                op: BinaryOperator::StringConcat,
                right,
            } => {
                **left = as_text((**left).clone());
                **right = as_text((**right).clone());
            }
            Expr::Like {
                expr: inner,
                pattern,
                escape_char,
                ..
            }
            | Expr::ILike {
                expr: inner,
                pattern,
                escape_char,
                ..
            } => {
                **inner = as_text((**inner).clone());
                like_escape_to_backslash(pattern, escape_char);
            }
            Expr::SimilarTo {
                negated,
                expr: inner,
                pattern,
                escape_char,
            } => {
                let mut args = vec![(**inner).clone(), (**pattern).clone()];
                if let Some(e) = escape_char {
                    args.push(Expr::Value(e.clone()));
                }
                let matched = call(crate::redshift::text_rules::SIMILAR_TO, args);
                *expr = if *negated {
                    Expr::UnaryOp {
                        op: datafusion::sql::sqlparser::ast::UnaryOperator::Not,
                        expr: Box::new(Expr::Nested(Box::new(matched))),
                    }
                } else {
                    matched
                };
            }
            // `x IN ('a', 'b ')` compares as `=` does: trailing blanks are ignored.
            Expr::InList { expr: inner, list, .. }
                if !list.is_empty()
                    && list.iter().all(|e| {
                        matches!(e, Expr::Value(v) if matches!(v.value, Value::SingleQuotedString(_)))
                    }) =>
            {
                for e in list.iter_mut() {
                    if let Expr::Value(v) = e
                        && let Value::SingleQuotedString(s) = &mut v.value
                    {
                        let trimmed = s.trim_end_matches(' ').to_string();
                        *s = trimmed;
                    }
                }
                **inner = call(crate::redshift::text_rules::RTRIM_TEXT, vec![(**inner).clone()]);
            }
            // A date plus or minus an interval is a timestamp in Redshift, not a date.
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Plus | BinaryOperator::Minus,
                right,
            } if is_interval(right) => {
                **left = call("__rs_as_timestamp", vec![(**left).clone()]);
            }
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Plus,
                right,
            } if is_interval(left) => {
                **right = call("__rs_as_timestamp", vec![(**right).clone()]);
            }
            Expr::Extract { field, expr: inner, .. } => {
                let part = field.to_string().to_lowercase();
                *expr = call("__rs_extract", vec![string(&part), (**inner).clone()]);
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

/// `LIKE p ESCAPE 'e'` with a literal pattern, as the backslash escapes DataFusion reads: an
/// `e` before a character makes it literal, and a backslash that is not the escape is itself.
fn like_escape_to_backslash(
    pattern: &mut Expr,
    escape_char: &mut Option<datafusion::sql::sqlparser::ast::ValueWithSpan>,
) {
    let Some(Value::SingleQuotedString(e)) = escape_char.as_ref().map(|v| &v.value) else {
        return;
    };
    let Some(e) = e.chars().next() else {
        return;
    };
    if e == '\\' {
        *escape_char = None;
        return;
    }
    let Expr::Value(v) = pattern else {
        return;
    };
    let Value::SingleQuotedString(p) = &mut v.value else {
        return;
    };
    let mut out = String::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == e {
            if let Some(next) = chars.next() {
                out.push('\\');
                out.push(next);
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    *p = out;
    *escape_char = None;
}

/// An interval literal, or one multiplied by a number (rewritten before its parent is seen).
fn is_interval(e: &Expr) -> bool {
    match e {
        Expr::Interval(_) => true,
        Expr::Nested(inner) => is_interval(inner),
        Expr::Function(f) => function_name(f) == "__rs_interval_times",
        _ => false,
    }
}

/// An interval's text in the words DataFusion reads: Redshift also takes commas between the
/// quantities and one-letter units (`'1w, 1h, 1m, 1s'`), and a bare number is seconds.
fn interval_text(text: &str) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    for word in text.split([',', ' ']).filter(|w| !w.is_empty()) {
        // `1w`: a number glued to its unit.
        let split_at = word
            .char_indices()
            .find(|(i, c)| *i > 0 && c.is_ascii_alphabetic())
            .map(|(i, _)| i);
        match split_at {
            Some(i) if word[..i].parse::<f64>().is_ok() => {
                tokens.push(word[..i].to_string());
                tokens.push(word[i..].to_string());
            }
            _ => tokens.push(word.to_string()),
        }
    }
    let mut it = tokens.into_iter().peekable();
    while let Some(n) = it.next() {
        n.parse::<f64>().ok()?;
        let unit = match it.peek() {
            Some(u) if u.parse::<f64>().is_err() => it.next().unwrap_or_default(),
            _ => "seconds".to_string(),
        };
        let unit = match unit.to_ascii_lowercase().as_str() {
            "w" | "week" | "weeks" => "weeks",
            "d" | "day" | "days" => "days",
            "h" | "hr" | "hrs" | "hour" | "hours" => "hours",
            "m" | "min" | "mins" | "minute" | "minutes" => "minutes",
            "s" | "sec" | "secs" | "second" | "seconds" => "seconds",
            "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => "milliseconds",
            "us" | "usec" | "usecs" | "microsecond" | "microseconds" => "microseconds",
            "y" | "yr" | "yrs" | "year" | "years" => "years",
            "mon" | "mons" | "month" | "months" => "months",
            "qtr" | "qtrs" | "quarter" | "quarters" => "quarters",
            "decade" | "decades" => "decades",
            "century" | "centuries" => "centuries",
            "millennium" | "millennia" => "millennia",
            _ => return None,
        };
        out.push(format!("{n} {unit}"));
    }
    (!out.is_empty()).then(|| out.join(" "))
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
                ObjectNamePart::Identifier(id) => {
                    Some(redshift_function_column(&id.value.to_lowercase()).to_string())
                }
                _ => None,
            }),
            Expr::Extract { .. } => Some("date_part".into()),
            Expr::Ceil { .. } => Some("ceil".into()),
            Expr::Floor { .. } => Some("floor".into()),
            Expr::Trim { .. } => Some("btrim".into()),
            Expr::Case { .. } => Some("case".into()),
            Expr::Cast {
                expr: inner,
                data_type,
                ..
            } => match &**inner {
                Expr::Identifier(id) => Some(id.value.to_lowercase()),
                Expr::CompoundIdentifier(ids) => ids.last().map(|id| id.value.to_lowercase()),
                _ => Some(cast_column(data_type).unwrap_or("?column?").to_string()),
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

/// The column name Redshift gives an unaliased call: the name of the function it runs as.
fn redshift_function_column(name: &str) -> &str {
    match name {
        "dateadd" => "date_add",
        "datediff" => "date_diff",
        "date_part" | "datepart" => "pgdate_part",
        "nvl" => "coalesce",
        "decode" => "case",
        other => other,
    }
}

/// The column name of a cast of something that is not a column: the type's internal name.
fn cast_column(data_type: &DataType) -> Option<&'static str> {
    Some(match data_type {
        DataType::Decimal(_) | DataType::Numeric(_) | DataType::Dec(_) => "numeric",
        DataType::Date => "date",
        DataType::Timestamp(..) => "timestamp",
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => "int4",
        DataType::BigInt(_) | DataType::Int8(_) => "int8",
        DataType::SmallInt(_) | DataType::Int2(_) => "int2",
        DataType::Varchar(_) | DataType::CharacterVarying(_) => "varchar",
        DataType::Char(_) | DataType::Character(_) => "bpchar",
        DataType::Text => "text",
        DataType::Boolean | DataType::Bool => "bool",
        DataType::DoublePrecision | DataType::Float8 => "float8",
        DataType::Real | DataType::Float4 => "float4",
        _ => return None,
    })
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

/// Which arguments of a string function Redshift converts to text when they are not: all
/// of them, or the first.
fn text_arguments(name: &str) -> Option<bool> {
    Some(match name {
        "ltrim" | "rtrim" | "btrim" | "replace" | "strpos" | "translate" | "charindex" => true,
        "lpad" | "rpad" | "reverse" | "upper" | "lower" | "initcap" | "left" | "right"
        | "substr" | "substring" | "character_length" | "char_length" | "length" | "len"
        | "octet_length" | "md5" | "repeat" | "replicate" | "sha2" | "func_sha1" | "sha1" => false,
        _ => return None,
    })
}

/// `e` as text, the Redshift way, unless it already is: a string literal, a call that
/// returns text, a concatenation or a cast to text need no conversion.
fn as_text(e: Expr) -> Expr {
    const TEXT_FUNCTIONS: &[&str] = &[
        "btrim",
        "ltrim",
        "rtrim",
        "upper",
        "lower",
        "initcap",
        "replace",
        "regexp_replace",
        "regexp_substr",
        "split_part",
        "substr",
        "substring",
        "left",
        "right",
        "lpad",
        "rpad",
        "reverse",
        "translate",
        "md5",
        "repeat",
        "__rs_to_varchar",
        "__rs_as_text",
        "to_char",
        "json_extract_path_text",
        "string_agg",
    ];
    let already_text = match &e {
        Expr::Value(v) => matches!(v.value, Value::SingleQuotedString(_)),
        Expr::Function(f) => TEXT_FUNCTIONS.contains(&function_name(f).as_str()),
        Expr::BinaryOp {
            op: BinaryOperator::StringConcat,
            ..
        } => true,
        Expr::Nested(inner) => matches!(
            **inner,
            Expr::BinaryOp {
                op: BinaryOperator::StringConcat,
                ..
            }
        ),
        Expr::Trim { .. } | Expr::Substring { .. } => true,
        _ => false,
    };
    if already_text {
        return e;
    }
    call(crate::redshift::text_rules::AS_TEXT, vec![e])
}

/// Rewrites of Redshift functions into DataFusion functions or our UDFs.
fn rewrite_function_post(f: &mut Function) -> Option<Expr> {
    let name = function_name(f);
    if let Some(all) = text_arguments(&name) {
        let mut args = arg_exprs(f);
        for (i, a) in args.iter_mut().enumerate() {
            if all || i == 0 {
                *a = as_text(std::mem::replace(
                    a,
                    Expr::Value(Value::Null.with_empty_span()),
                ));
            }
        }
        set_args(f, args);
    }
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
                left: Box::new(as_text(a)),
                op: BinaryOperator::StringConcat,
                right: Box::new(as_text(b)),
            })));
        }
        // NULLIF compares as `=` does, trailing blanks ignored.
        "nullif" if args.len() == 2 => {
            let [a, b] = <[Expr; 2]>::try_from(args).ok()?;
            let equal = Expr::BinaryOp {
                left: Box::new(call(
                    crate::redshift::text_rules::RTRIM_TEXT,
                    vec![a.clone()],
                )),
                op: BinaryOperator::Eq,
                right: Box::new(call(crate::redshift::text_rules::RTRIM_TEXT, vec![b])),
            };
            return Some(case(
                vec![(equal, Expr::Value(Value::Null.with_empty_span()))],
                Some(a),
            ));
        }
        "len" => rename(f, "character_length"),
        "charindex" if args.len() == 2 => {
            let [needle, haystack] = <[Expr; 2]>::try_from(args).ok()?;
            return Some(call("strpos", vec![haystack, needle]));
        }
        "current_timestamp" | "now" => return Some(call("getdate", vec![])),
        "current_date" => return Some(call("__rs_current_date", vec![])),
        "date_add" => rename(f, "dateadd"),
        "date_diff" => rename(f, "datediff"),
        "date_part" | "datepart" => rename(f, "__rs_date_part"),
        "mod" if args.len() == 2 => {
            let [a, b] = <[Expr; 2]>::try_from(args).ok()?;
            return Some(Expr::Nested(Box::new(Expr::BinaryOp {
                left: Box::new(a),
                op: BinaryOperator::Modulo,
                right: Box::new(b),
            })));
        }
        "ceiling" | "ceil" | "floor" => {
            if name == "ceiling" {
                rename(f, "ceil");
            }
            return Some(call("__rs_whole", vec![Expr::Function(f.clone())]));
        }
        "sign" => rename(f, "signum"),
        // Redshift types an integer literal as INTEGER, and fnv_hash hashes an integer's
        // bytes at its width.
        "fnv_hash" => {
            let mut args = args;
            if let Some(first @ Expr::Value(_)) = args.first_mut()
                && let Expr::Value(v) = &*first
                && let Value::Number(n, _) = &v.value
                && n.parse::<i32>().is_ok()
            {
                *first = Expr::Cast {
                    kind: CastKind::Cast,
                    expr: Box::new(first.clone()),
                    data_type: DataType::Int(None),
                    array: false,
                    format: None,
                };
            }
            set_args(f, args);
        }
        // These take DOUBLE PRECISION in Redshift, so text and decimals are cast to it.
        "sqrt" | "cbrt" | "dlog10" | "dlog1" | "dexp" | "ln" | "log" | "exp" | "pow" | "power"
        | "sin" | "cos" | "tan" | "cot" | "asin" | "acos" | "atan" | "atan2" | "degrees"
        | "radians" => {
            let renamed = match name.as_str() {
                "dlog10" => "log10",
                "dlog1" => "ln",
                "dexp" => "exp",
                "log" if args.len() == 1 => "log10",
                other => other,
            };
            rename(f, renamed);
            let doubled = args
                .into_iter()
                .map(|a| Expr::Cast {
                    kind: CastKind::Cast,
                    expr: Box::new(a),
                    data_type: DataType::DoublePrecision,
                    array: false,
                    format: None,
                })
                .collect();
            set_args(f, doubled);
        }
        "listagg" => {
            rename(f, "string_agg");
            let mut args = args;
            // LISTAGG skips empty strings as it skips NULLs. An ORDER BY on the value itself
            // orders the same wrapped value (DISTINCT requires it to be the argument).
            if let Some(first) = args.first_mut() {
                let original = first.clone();
                *first = call("__rs_empty_as_null", vec![original.clone()]);
                for o in &mut f.within_group {
                    if o.expr == original {
                        o.expr = first.clone();
                    }
                }
            }
            if args.len() == 1 {
                args.push(string(""));
            }
            set_args(f, args);
            let order = std::mem::take(&mut f.within_group);
            // A DISTINCT aggregate does not keep the window's order: left as an ordered
            // aggregate, which DataFusion refuses with OVER, rather than a different order.
            let distinct = matches!(
                &f.args,
                FunctionArguments::List(list) if list.duplicate_treatment.is_some()
            );
            match &mut f.over {
                // Ordered, not DISTINCT, not a window: one aggregate keeps every group (see
                // `listagg`), the ordering passed as arguments.
                None if !distinct && !order.is_empty() => {
                    rename(f, crate::redshift::listagg::LISTAGG);
                    let directions: String = order
                        .iter()
                        .map(|o| {
                            crate::redshift::listagg::direction_letters(
                                o.options.asc == Some(false),
                                o.options.nulls_first,
                            )
                        })
                        .collect();
                    let mut args = arg_exprs(f);
                    args.push(string(&directions));
                    args.extend(order.into_iter().map(|o| o.expr));
                    set_args(f, args);
                }
                _ if distinct => {
                    if !order.is_empty()
                        && let FunctionArguments::List(list) = &mut f.args
                    {
                        list.clauses.push(FunctionArgumentClause::OrderBy(order));
                    }
                }
                // As a window function over a whole partition, the ordering moves into the
                // window: a frame of the whole partition feeds the aggregate its rows in that
                // order (DataFusion takes no ORDER BY inside a windowed aggregate).
                Some(WindowType::WindowSpec(spec))
                    if spec.order_by.is_empty() && !order.is_empty() =>
                {
                    spec.order_by = order;
                    spec.window_frame = Some(WindowFrame {
                        units: WindowFrameUnits::Rows,
                        start_bound: WindowFrameBound::Preceding(None),
                        end_bound: Some(WindowFrameBound::Following(None)),
                    });
                }
                _ => {
                    if !order.is_empty()
                        && let FunctionArguments::List(list) = &mut f.args
                    {
                        list.clauses.push(FunctionArgumentClause::OrderBy(order));
                    }
                }
            }
        }
        // COUNT(DISTINCT x) as an aggregate that keeps all groups in one set (see
        // `count_distinct`). As a window function Redshift refuses DISTINCT, so that is left
        // for the planner to refuse too.
        "count"
            if f.over.is_none()
                && args.len() == 1
                && matches!(
                    &f.args,
                    FunctionArguments::List(list)
                        if list.duplicate_treatment == Some(DuplicateTreatment::Distinct)
                            && list.clauses.is_empty()
                ) =>
        {
            rename(f, crate::redshift::count_distinct::COUNT_DISTINCT);
            if let FunctionArguments::List(list) = &mut f.args {
                list.duplicate_treatment = None;
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
        // MEDIAN of integers is a DECIMAL in Redshift, with the half a median can need.
        "median" => return Some(median_like(f)),
        // PERCENTILE_CONT ... WITHIN GROUP (ORDER BY x) OVER (...): DataFusion's planner
        // takes the ordered form only as a plain aggregate, and the same function as a window
        // aggregate when the ordering is its first argument.
        "percentile_cont" if f.over.is_some() && f.within_group.len() == 1 => {
            let order = f.within_group.remove(0);
            if order.options.asc == Some(false) {
                f.within_group.push(order);
                return None;
            }
            let mut args = vec![order.expr];
            args.extend(arg_exprs(f));
            set_args(f, args);
            return Some(median_like(f));
        }
        "sum" => {
            return Some(call(
                crate::redshift::decimals::AT_TYPE,
                vec![Expr::Function(f.clone())],
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

/// `f` (a median) with Redshift's type: a DECIMAL for integers, whose `min` gives the type.
fn median_like(f: &Function) -> Expr {
    let mut min = f.clone();
    rename(&mut min, "min");
    if let Some(first) = arg_exprs(f).into_iter().next() {
        set_args(&mut min, vec![first]);
    }
    min.within_group.clear();
    call(
        "__rs_median_like",
        vec![Expr::Function(f.clone()), Expr::Function(min)],
    )
}

fn is_integer_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int(_)
            | DataType::Integer(_)
            | DataType::Int4(_)
            | DataType::BigInt(_)
            | DataType::Int8(_)
            | DataType::SmallInt(_)
            | DataType::Int2(_)
    )
}

/// The UDF that casts to `data_type` the Redshift way, for the types DataFusion casts
/// differently.
fn cast_udf(data_type: &DataType) -> Option<&'static str> {
    match data_type {
        DataType::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => {
            Some("__rs_to_timestamptz")
        }
        DataType::Timestamp(_, _) | DataType::Datetime(_) => Some("__rs_to_timestamp"),
        DataType::Date => Some("__rs_to_date"),
        DataType::Time(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            Some("__rs_to_time")
        }
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
                "timestamptz" => Some("__rs_to_timestamptz"),
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
    use crate::redshift::dialect::RedshiftDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn rewritten(sql: &str) -> String {
        let mut stmts = Parser::parse_sql(&RedshiftDialect, sql).unwrap();
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
    fn count_distinct_becomes_one_grouped_aggregate() {
        assert_eq!(
            rewritten("select g, count(distinct a), count(a) from t group by g"),
            "SELECT g, __rs_count_distinct(a) AS \"count\", count(a) FROM t GROUP BY g"
        );
        // As a window function it stays DataFusion's, which refuses DISTINCT as Redshift does.
        assert_eq!(
            rewritten("select count(distinct a) over (partition by g) as n from t"),
            "SELECT count(DISTINCT a) OVER (PARTITION BY g) AS n FROM t"
        );
    }

    #[test]
    fn listagg_becomes_ordered_string_agg() {
        assert_eq!(
            rewritten("select listagg(n, ',') within group (order by n) as x from t"),
            "SELECT __rs_listagg(__rs_empty_as_null(n), ',', 'al', __rs_empty_as_null(n)) AS x FROM t"
        );
        assert_eq!(
            rewritten(
                "select listagg(n) within group (order by a desc, b nulls first) as x from t"
            ),
            "SELECT __rs_listagg(__rs_empty_as_null(n), '', 'dfaf', a, b) AS x FROM t"
        );
        assert_eq!(
            rewritten("select listagg(distinct n, ',') within group (order by n) as x from t"),
            "SELECT string_agg(DISTINCT __rs_empty_as_null(n), ',' ORDER BY __rs_empty_as_null(n)) AS x FROM t"
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
            "SELECT \"lead_id\", count(*) AS \"count\", __rs_sysdate() AS \"sysdate\" FROM \"leads\""
        );
    }
}
