//! Runs a compiled node's SQL on DataFusion: parse with the Redshift dialect, apply the
//! Redshift rewrites, plan (inlining lateral aliases the planner asks for), execute.
//! Errors are located back in the user's file through the Jinja source map.

use std::sync::LazyLock;

use crate::redshift::dialect::RedshiftDialect;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{DataFusionError, SchemaError};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    Cte, Ident, Query, SetExpr, Statement, TableAlias, TableFactor, With,
};
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Token;
use regex::Regex;

use super::compile::Compiled;
use super::sql_sites::{self, Construct};
use crate::diagnostic::{Code, Diagnostic, Location, line_col, offset_of};
use crate::jinja::Templates;
use crate::redshift::{lateral, rewrite};

/// Where a compiled node came from, to locate its errors.
pub struct Origin<'a> {
    pub file: &'a str,
    pub file_text: &'a str,
    pub compiled: &'a Compiled,
    pub templates: &'a Templates,
}

/// A place in the user's files, and the other places that explain it: the call in the
/// node's own file that led into a macro, or the macro a call's SQL came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub location: Location,
    pub related: Vec<(Location, &'static str)>,
}

impl From<Location> for Site {
    fn from(location: Location) -> Site {
        Site {
            location,
            related: Vec::new(),
        }
    }
}

impl Origin<'_> {
    /// The user's location for a 1-based line and column of the rendered SQL.
    pub fn locate(&self, line: usize, column: usize) -> Site {
        let sql = &self.compiled.rendered.sql;
        let offset = offset_of(sql, line, column);
        let map = &self.compiled.rendered.map;
        match map.origin(offset) {
            Some(o) if o.template == self.file => {
                let (l, c) = line_col(&self.compiled.template_source, o.offset);
                let related = self
                    .macro_called_at(o.offset)
                    .map(|def| (def, "the SQL comes from this macro"))
                    .into_iter()
                    .collect();
                Site {
                    location: Location::new(self.file, l, c),
                    related,
                }
            }
            Some(o) => match self.templates.macro_source(&o.template) {
                Some(src) => {
                    let (l, c) = line_col(&src, o.offset);
                    let call = map.call_site(offset, self.file).map(|at| {
                        let (l, c) = line_col(&self.compiled.template_source, at);
                        (Location::new(self.file, l, c), "in the macro called here")
                    });
                    Site {
                        location: Location::new(o.template, l, c),
                        related: call.into_iter().collect(),
                    }
                }
                None => Location::file(self.file).into(),
            },
            // Text that did not come through Jinja (an inline query) maps to itself.
            None if self.compiled.template_source == *sql => {
                Location::new(self.file, line, column).into()
            }
            None => Location::file(self.file).into(),
        }
    }

    /// The definition of the project macro whose call starts at `offset` of the node's own
    /// template (`{{ cents_to_dollars('amount') }}`), if it is one.
    fn macro_called_at(&self, offset: usize) -> Option<Location> {
        let rest = self.compiled.template_source.get(offset..)?;
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() || !rest[name.len()..].trim_start().starts_with('(') {
            return None;
        }
        let (file, line, column) = self.templates.macro_definition(&name)?;
        Some(Location::new(file, line, column))
    }

    fn source_of(&self, file: &str) -> String {
        if file == self.file {
            self.file_text.to_string()
        } else {
            self.templates.macro_source(file).unwrap_or_default()
        }
    }

    /// An error at `site`, quoting its line and the lines of the places that explain it.
    pub fn error(&self, code: Code, site: impl Into<Site>, message: String) -> Diagnostic {
        let Site { location, related } = site.into();
        let source = self.source_of(&location.file);
        let mut d = Diagnostic::error(code, location, message).with_source(&source);
        for (at, what) in related {
            let text = self.source_of(&at.file);
            d = d.with_label(at, what, &text);
        }
        d
    }
}

static PARSER_LOCATION: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new(r"\s*at Line: (\d+), Column: (\d+)"));

/// Parses one SELECT (a model body), as Redshift would read it.
/// dbt's test wrapper for a `fail_calc`: `select <fail_calc> as failures from (<the test's
/// query>) dbt_internal_test`, built as a tree around the parsed query.
pub fn fail_calc_query(
    fail_calc: &str,
    test: Box<Query>,
    origin: &Origin,
) -> Result<Box<Query>, Diagnostic> {
    let mut wrapper = parse_query(
        &format!("select {fail_calc} as failures from (select 1) dbt_internal_test"),
        origin,
    )?;
    if let SetExpr::Select(select) = wrapper.body.as_mut()
        && let Some(from) = select.from.first_mut()
        && let TableFactor::Derived { subquery, .. } = &mut from.relation
    {
        *subquery = test;
        return Ok(wrapper);
    }
    Err(origin.error(
        Code::Test,
        Location::file(origin.file),
        format!("`fail_calc: {fail_calc}` is not an expression over the test's rows"),
    ))
}

/// Whether the 1-based `line` and `column` of `sql` are inside a call of TRIM: the innermost
/// parenthesis open before them follows the word `trim`.
fn in_trim_call(sql: &str, line: usize, column: usize) -> bool {
    let end = crate::diagnostic::offset_of(sql, line, column);
    let before = sql.get(..end).unwrap_or_default();
    let mut depth = 0usize;
    for (i, ch) in before.char_indices().rev() {
        match ch {
            ')' => depth += 1,
            '(' if depth > 0 => depth -= 1,
            '(' => {
                let head = before[..i].trim_end();
                let start = head
                    .char_indices()
                    .rev()
                    .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
                    .map_or(0, |(j, c)| j + c.len_utf8());
                return head[start..].eq_ignore_ascii_case("trim");
            }
            _ => {}
        }
    }
    false
}

pub fn parse_query(sql: &str, origin: &Origin) -> Result<Box<Query>, Diagnostic> {
    let dialect = RedshiftDialect;
    let statements = Parser::new(&dialect)
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| {
            let message = e.to_string();
            let message = message.trim_start_matches("sql parser error: ").to_string();
            let at = PARSER_LOCATION.as_ref().ok().and_then(|re| {
                re.captures(&message).map(|c| {
                    let n = |i| c.get(i).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
                    (n(1), n(2), re.replace(&message, "").to_string())
                })
            });
            let trim_pair = at
                .as_ref()
                .is_some_and(|(l, c, _)| in_trim_call(sql, *l, *c));
            let (location, message) = match at {
                Some((l, c, m)) => (origin.locate(l, c), m),
                None => (Location::file(origin.file).into(), message),
            };
            let d = origin.error(
                Code::Syntax,
                location,
                format!("SQL syntax error: {message}"),
            );
            if trim_pair {
                d.with_hint(
                    "modelplay does not parse Redshift's TRIM(string, characters) yet: BTRIM(string, characters) does the same",
                )
            } else {
                d
            }
        })?;
    let mut queries: Vec<Box<Query>> = statements
        .into_iter()
        .filter_map(|s| match s {
            Statement::Query(q) => Some(q),
            _ => None,
        })
        .collect();
    match queries.len() {
        1 => Ok(queries.remove(0)),
        0 => Err(origin
            .error(
                Code::Syntax,
                Location::new(origin.file, 1, 1),
                "this node compiles to no SELECT statement".into(),
            )
            .with_hint("a model's body is one SELECT (with optional WITH clauses)")),
        n => Err(origin.error(
            Code::Syntax,
            Location::new(origin.file, 1, 1),
            format!("this node compiles to {n} statements; a model is one SELECT"),
        )),
    }
}

/// Puts the ephemeral models' SQL in front of `query` as the CTEs dbt injects.
pub fn inject_ctes(query: &mut Query, ctes: Vec<(String, Box<Query>)>) {
    if ctes.is_empty() {
        return;
    }
    let new: Vec<Cte> = ctes
        .into_iter()
        .map(|(name, q)| Cte {
            alias: TableAlias {
                explicit: false,
                name: Ident::new(format!("__dbt__cte__{name}")),
                columns: Vec::new(),
                at: None,
            },
            query: q,
            from: None,
            materialized: None,
            closing_paren_token: AttachedToken::empty(),
        })
        .collect();
    match &mut query.with {
        Some(with) => {
            let mut all = new;
            all.append(&mut with.cte_tables);
            with.cte_tables = all;
        }
        None => {
            query.with = Some(With {
                with_token: AttachedToken(
                    datafusion::sql::sqlparser::tokenizer::TokenWithSpan::wrap(
                        Token::make_keyword("WITH"),
                    ),
                ),
                recursive: false,
                cte_tables: new,
            });
        }
    }
}

/// The compiled text dbt shows for a node that reads ephemeral models: their SQL as CTEs in
/// front of the node's own, joined to its WITH clause when it has one.
pub fn inject_ctes_text(sql: &str, query: &Query, ctes: &[(String, String)]) -> String {
    if ctes.is_empty() {
        return sql.to_string();
    }
    let defs: Vec<String> = ctes
        .iter()
        .map(|(name, body)| format!("__dbt__cte__{name} as (\n{}\n)", body.trim()))
        .collect();
    match &query.with {
        Some(with) if with.with_token.0.span.start.line > 0 => {
            let start = with.with_token.0.span.start;
            let at = offset_of(sql, start.line as usize, start.column as usize) + "with".len();
            format!("{} {},{}", &sql[..at], defs.join(",\n"), &sql[at..])
        }
        Some(_) => query.to_string(),
        None => format!("with {}\n{}", defs.join(",\n"), sql.trim_start()),
    }
}

fn missing_field(e: &DataFusionError) -> Option<String> {
    match e.find_root() {
        DataFusionError::SchemaError(err, _) => match err.as_ref() {
            SchemaError::FieldNotFound { field, .. } if field.relation.is_none() => {
                Some(field.name.clone())
            }
            _ => None,
        },
        _ => None,
    }
}

/// Plans `query` against the tables registered in `ctx`.
/// The kind a type belongs to, for Redshift's rule that set operations convert within a
/// kind (numbers, text, datetimes, booleans) and never across kinds.
fn type_kind(t: &datafusion::arrow::datatypes::DataType) -> Option<&'static str> {
    use datafusion::arrow::datatypes::DataType as T;
    Some(match t {
        T::Null => return None,
        t if t.is_numeric() => "number",
        T::Utf8 | T::Utf8View | T::LargeUtf8 => "text",
        T::Date32 | T::Date64 | T::Timestamp(..) | T::Time32(_) | T::Time64(_) => "datetime",
        T::Boolean => "boolean",
        T::Interval(_) | T::Duration(_) => "interval",
        _ => return None,
    })
}

/// Whether a set operation's input gives column `i` as a bare literal: Redshift types a
/// quoted literal from the other side, so `select 1 union select '2'` is fine.
fn literal_column(input: &LogicalPlan, i: usize) -> bool {
    use datafusion::logical_expr::Expr as E;
    let mut plan = input;
    loop {
        match plan {
            LogicalPlan::Projection(p) => {
                let mut e = p.expr.get(i);
                while let Some(E::Alias(a)) = e {
                    e = Some(&a.expr);
                }
                return matches!(e, Some(E::Literal(..)));
            }
            LogicalPlan::SubqueryAlias(s) => plan = &s.input,
            _ => return false,
        }
    }
}

/// The first two Redshift type names a set operation's column mixes across kinds.
fn union_category_mismatch(plan: &LogicalPlan) -> Option<(String, String)> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    let mut found = None;
    let _ = plan.apply(|node| {
        if let LogicalPlan::Union(u) = node {
            let columns = u.schema.fields().len();
            for i in 0..columns {
                let mut first: Option<(&'static str, String)> = None;
                for input in &u.inputs {
                    if literal_column(input, i) {
                        continue;
                    }
                    let Some(field) = input.schema().fields().get(i) else {
                        continue;
                    };
                    let Some(kind) = type_kind(field.data_type()) else {
                        continue;
                    };
                    let name = crate::redshift::types::redshift_type(field.data_type());
                    match &first {
                        None => first = Some((kind, name)),
                        Some((k, n)) if *k != kind => {
                            found = Some((n.clone(), name));
                            return Ok(TreeNodeRecursion::Stop);
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

pub async fn plan(
    ctx: &SessionContext,
    query: Box<Query>,
    origin: &Origin<'_>,
) -> Result<LogicalPlan, Diagnostic> {
    let mut statement = Statement::Query(query);
    rewrite(&mut statement);
    // Each round inlines one lateral alias the planner could not resolve.
    for _ in 0..64 {
        let state = ctx.state();
        match state
            .statement_to_plan(DfStatement::Statement(Box::new(statement.clone())))
            .await
        {
            Ok(plan) => {
                if let Some((a, b)) = union_category_mismatch(&plan) {
                    let location = site(origin, &Construct::SetOperation)
                        .unwrap_or_else(|| Location::file(origin.file).into());
                    return Err(origin
                        .error(
                            Code::Plan,
                            location,
                            format!("UNION types {a} and {b} cannot be matched"),
                        )
                        .with_hint(
                            "Redshift converts nothing between kinds of type in a set operation: cast one side, such as `d::varchar` or `s::date`",
                        ));
                }
                return Ok(plan);
            }
            Err(e) => {
                if let Some(name) = missing_field(&e)
                    && lateral::inline_alias(&mut statement, &name)
                {
                    continue;
                }
                return Err(plan_error(&e, origin));
            }
        }
    }
    Err(origin.error(
        Code::Plan,
        Location::file(origin.file),
        "too many lateral column aliases to resolve".into(),
    ))
}

/// Where `construct` first appears in the compiled SQL, in the user's file.
fn site(origin: &Origin, construct: &Construct) -> Option<Site> {
    let (line, column) = sql_sites::find(&origin.compiled.rendered.sql, construct)?;
    Some(origin.locate(line, column))
}

/// What a query that went past the working-memory limit (see `memory`) says, naming the step
/// that asked for more when DataFusion's message names it.
fn out_of_memory(root: &DataFusionError) -> String {
    const STEPS: &[(&str, &str)] = &[
        ("ExternalSorterMerge", "merging sorted runs"),
        ("ExternalSorter", "sorting"),
        ("TopK", "sorting"),
        ("SortPreservingMerge", "merging sorted runs"),
        ("HashJoin", "joining"),
        ("NestedLoopJoin", "joining"),
        ("CrossJoin", "joining"),
        ("SMJ", "joining"),
        ("GroupedHashAggregate", "grouping"),
        ("AggregateStream", "aggregating"),
        ("Window", "computing a window function"),
        ("Repartition", "repartitioning"),
    ];
    let message = root.to_string();
    let consumer = message
        .split("allocate additional")
        .nth(1)
        .and_then(|rest| rest.split(" for ").nth(1))
        .unwrap_or_default();
    let step = STEPS
        .iter()
        .find(|(name, _)| consumer.starts_with(name))
        .map(|(_, step)| format!(" while {step}"))
        .unwrap_or_default();
    format!(
        "this query needs more working memory than the build may use{step}, and cannot spill to disk"
    )
}

/// An engine error's message in the words Redshift uses, for errors no file location goes
/// with (a query a template runs).
pub(crate) fn user_message(e: &DataFusionError) -> String {
    if let root @ DataFusionError::ResourcesExhausted(_) = e.find_root() {
        return out_of_memory(root);
    }
    let mut message = e.find_root().to_string();
    for prefix in [
        "Error during planning: ",
        "Schema error: ",
        "SQL error: ",
        "This feature is not implemented: ",
        "Execution error: ",
        "Arrow error: ",
    ] {
        message = message.trim_start_matches(prefix).to_string();
    }
    user_wording(&redshift_type_names(&message))
}

/// A planning error, worded for the user and placed in their file.
fn plan_error(e: &DataFusionError, origin: &Origin) -> Diagnostic {
    let root = e.find_root();
    let mut message = root.to_string();
    let code = match root {
        DataFusionError::ArrowError(..) | DataFusionError::Execution(_) => Code::Runtime,
        DataFusionError::NotImplemented(_) => Code::Unsupported,
        _ => Code::Plan,
    };
    for prefix in [
        "Error during planning: ",
        "Schema error: ",
        "SQL error: ",
        "This feature is not implemented: ",
        "Execution error: ",
    ] {
        message = message.trim_start_matches(prefix).to_string();
    }
    // DataFusion places union errors at the start of the query; the set operation is the point.
    let union_error = message.to_lowercase().contains("union");
    let location = union_error
        .then(|| site(origin, &Construct::SetOperation))
        .flatten()
        .or_else(|| {
            e.diagnostic()
                .and_then(|d| d.span)
                .map(|s| origin.locate(s.start.line as usize, s.start.column as usize))
        })
        .or_else(|| construct_site(root, &message, origin))
        .or_else(|| operator_site(&message, origin))
        .unwrap_or_else(|| Location::file(origin.file).into());
    let mut d = origin.error(code, location, user_wording(&redshift_type_names(&message)));
    if let Some(name) = d
        .message
        .strip_prefix("relation \"")
        .and_then(|m| m.strip_suffix("\" does not exist"))
        && crate::redshift::system::is_system_relation(name)
    {
        let short = name.rsplit('.').next().unwrap_or(name).to_string();
        d.code = Code::Unsupported;
        d.message = format!(
            "`{short}` is {}, which the playground does not have: this model runs on the cluster, not here",
            crate::redshift::system::NOT_HERE
        );
        d = d.with_hint(
            "the export deploys it as written; leave it out of a local build with --exclude",
        );
    }
    if message.contains("ast node Pivot") {
        d = d.with_hint(
            "name the columns in a subquery: `from (select status, amount from payments) pivot (...)`",
        );
    }
    if d.message.starts_with("operator does not exist: varchar") {
        d = d.with_hint(
            "text does not take arithmetic: cast it (`amount::numeric(12,2)`), or give the source's columns a `data_type` in its YAML, since sample files are read as text otherwise",
        );
    }
    if let DataFusionError::SchemaError(err, _) = root
        && let SchemaError::FieldNotFound {
            field,
            valid_fields,
        } = err.as_ref()
    {
        let names: Vec<String> = valid_fields.iter().map(|c| c.name.clone()).collect();
        d.message = format!("column \"{}\" does not exist", field.name);
        if let Some(best) = crate::project::load::suggest(&field.name, names.iter()) {
            d = d.with_hint(format!("did you mean `{best}`?"));
        }
    }
    d
}

/// The construct an error without a position is about, found in the query's AST.
fn construct_site(root: &DataFusionError, message: &str, origin: &Origin) -> Option<Site> {
    let construct = match root {
        DataFusionError::SchemaError(err, _) => match err.as_ref() {
            SchemaError::AmbiguousReference { field } => Construct::Column(field.name.clone()),
            SchemaError::FieldNotFound { field, .. } => Construct::ColumnRef {
                qualifier: field.relation.as_ref().map(|r| r.table().to_string()),
                name: field.name.clone(),
            },
            _ => return None,
        },
        DataFusionError::ArrowError(e, _)
            if matches!(
                e.as_ref(),
                datafusion::arrow::error::ArrowError::DivideByZero
            ) =>
        {
            Construct::Divisor
        }
        DataFusionError::Plan(m) if missing_table(m).is_some() => {
            Construct::Table(missing_table(m)?)
        }
        _ if message.contains("Divide by zero") => Construct::Divisor,
        _ if message.contains("WITHIN GROUP") || message.contains("Aggregate ORDER BY") => {
            Construct::OrderedWindowAggregate
        }
        _ if message.contains("ast node Pivot") || message.contains("ast node Unpivot") => {
            Construct::Pivot
        }
        _ if message.contains("TIMETZ") || message.contains("TIME WITH TIME ZONE") => {
            Construct::TimeTz
        }
        _ if message.contains("'Colon'") || message.contains("JsonAccess") => Construct::Navigation,
        _ if message.contains(" IS DISTINCT FROM ") => Construct::BooleanTest { negated: true },
        _ if message.contains(" IS NOT DISTINCT FROM ") => {
            Construct::BooleanTest { negated: false }
        }
        _ => Construct::Call(
            FUNCTION_IN_MESSAGE
                .as_ref()
                .ok()?
                .captures(message)?
                .get(1)?
                .as_str()
                .to_string(),
        ),
    };
    site(origin, &construct)
}

static TABLE_NOT_FOUND: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new(r"table '([^']+)' not found"));

/// The table a "table 'db.schema.name' not found" is about: its last part.
fn missing_table(message: &str) -> Option<String> {
    let full = TABLE_NOT_FOUND.as_ref().ok()?.captures(message)?.get(1)?;
    full.as_str().rsplit('.').next().map(str::to_string)
}

static WORDING: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"^Ambiguous reference to unqualified field (\S+)$", r#"column reference "$1" is ambiguous"#),
        (
            r"^Cannot infer common argument type for comparison operation (.+) IS DISTINCT FROM boolean$",
            "argument of IS NOT TRUE / IS NOT FALSE must be boolean, not $1",
        ),
        (
            r"^Cannot infer common argument type for comparison operation (.+) IS NOT DISTINCT FROM boolean$",
            "argument of IS TRUE / IS FALSE must be boolean, not $1",
        ),
        (r"^(\w+)\(\) takes (\d+) to (\d+) arguments, got (\d+)$", "$1 takes $2 to $3 arguments, got $4"),
        (r"^(?:Arrow error: )?Divide by zero error$", "division by zero"),
        (
            r"(?s)^Invalid function '([^']+)'\..*$",
            "modelplay has no function $1: Redshift may have it, but modelplay does not run it yet",
        ),
        (r"^table '([^']+)' not found$", r#"relation "$1" does not exist"#),
        (
            r"(?s)^Unsupported ast node (?:Pivot|Unpivot) .*$",
            "modelplay runs PIVOT only over a subquery that names its columns, and UNPIVOT not yet; Redshift runs both",
        ),
        (
            r"(?s)^Unsupported ast node (\w+).*$",
            "modelplay does not run this construct ($1) yet",
        ),
        (
            r"(?s)^(?:This feature is not implemented: )?Binary operator 'Colon' is not supported.*$",
            "modelplay does not navigate into SUPER values (`c.orders[0].id`) yet; Redshift does",
        ),
        (
            r"(?s)^(?:Invalid argument error: )?(\S+) is too large to store in a Decimal128 of precision (\d+)\. Max is (\S+).*$",
            "numeric field overflow: $1 does not fit in $2 digits (the largest is $3)",
        ),
        (
            r"^(?:Cast error: )?Can't cast value (\S+) to type (\w+)$",
            "$2 out of range: $1",
        ),
        (
            r"(?s)^Aggregate ORDER BY is not implemented for window functions.*$",
            "modelplay does not run an ordered aggregate (LISTAGG ... WITHIN GROUP) with OVER yet; Redshift does",
        ),
        (
            r"(?s)^OVER and WITHIN GROUP clause cannot be used together.*$",
            "modelplay does not run this WITHIN GROUP function with OVER yet; Redshift does",
        ),
        (
            r"(?s)^Unsupported SQL type (TIMETZ|TIME WITH TIME ZONE).*$",
            "modelplay does not run the TIMETZ type yet; Redshift does",
        ),
        (
            r"^(?:Arrow error: )?Cast error: Cannot cast string '(.*)' to value of (.+) type$",
            r#"invalid input syntax for type $2: "$1""#,
        ),
        (
            r"^Cannot get result type for temporal operation (\S+ \S+ \S+):.*$",
            "operator does not exist: $1",
        ),
        (
            r"^Cannot coerce arithmetic expression (\S+ \S+ \S+) to valid types$",
            "operator does not exist: $1",
        ),
    ]
    .into_iter()
    .filter_map(|(re, to)| Regex::new(re).ok().map(|re| (re, to)))
    .collect()
});

/// DataFusion's wording of an error, in the words Redshift uses for it where we know them.
fn user_wording(message: &str) -> String {
    let mut out = message.trim().to_string();
    for (re, to) in WORDING.iter() {
        if re.is_match(&out) {
            out = re.replace(&out, *to).into_owned();
            break;
        }
    }
    // "dateadd takes 3 to 3 arguments" reads better as "takes 3 arguments".
    if let Some(caps) = Regex::new(r"takes (\d+) to (\d+) arguments")
        .ok()
        .and_then(|re| {
            re.captures(&out)
                .map(|c| (c[0].to_string(), c[1].to_string(), c[2].to_string()))
        })
        && caps.1 == caps.2
    {
        out = out.replace(&caps.0, &format!("takes {} arguments", caps.1));
    }
    out
}

/// For an operator DataFusion cannot apply to its operands (`date * bigint`): the operator
/// the message names, found between its operands in the query's AST.
fn operator_site(message: &str, origin: &Origin) -> Option<Site> {
    let op = OPERATOR_IN_MESSAGE
        .as_ref()
        .ok()?
        .captures(message)?
        .get(1)?
        .as_str()
        .to_string();
    site(origin, &Construct::Operator(op))
}

static OPERATOR_IN_MESSAGE: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new(r"(?:operation|operator)\s+\w+(?:\([^)]*\))?\s+(\S+)\s+\w+"));

/// Builds the physical plan (nothing runs): catches what only shows then, such as union
/// branches whose types cannot be reconciled. Gives the output columns' types as they will
/// run: the SQL planner's own schema comes before type coercion, and gives `case when ..
/// then 0 else <numeric> end` the type of its first branch.
pub async fn physical_check(
    ctx: &SessionContext,
    plan: &LogicalPlan,
    origin: &Origin<'_>,
) -> Result<datafusion::common::DFSchemaRef, Diagnostic> {
    let state = ctx.state();
    let optimized = state.optimize(plan).map_err(|e| plan_error(&e, origin))?;
    state
        .create_physical_plan(&optimized)
        .await
        .map_err(|e| plan_error(&e, origin))?;
    Ok(optimized.schema().clone())
}

static ARROW_TYPE: LazyLock<Result<Regex, regex::Error>> = LazyLock::new(|| {
    Regex::new(
        r"\b(Int8|Int16|Int32|Int64|UInt8|UInt16|UInt32|UInt64|Float32|Float64|Utf8View|LargeUtf8|Utf8|Boolean|Date32|Date64)\b|\b(Timestamp\([^)]*\)|Interval\([^)]*\)|Decimal128\(\d+, ?\d+\))",
    )
});

/// A message with DataFusion's type names in the words a Redshift user knows.
fn redshift_type_names(message: &str) -> String {
    let Ok(re) = &*ARROW_TYPE else {
        return message.to_string();
    };
    re.replace_all(message, |c: &regex::Captures| {
        let t = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
        match t {
            "Int8" | "Int16" | "UInt8" => "smallint".to_string(),
            "Int32" | "UInt16" => "integer".to_string(),
            "Int64" | "UInt32" | "UInt64" => "bigint".to_string(),
            "Float32" => "real".to_string(),
            "Float64" => "double precision".to_string(),
            "Utf8" | "Utf8View" | "LargeUtf8" => "varchar".to_string(),
            "Boolean" => "boolean".to_string(),
            "Date32" | "Date64" => "date".to_string(),
            t if t.starts_with("Timestamp") => "timestamp".to_string(),
            t if t.starts_with("Interval") => "interval".to_string(),
            t if t.starts_with("Decimal128") => t.replace("Decimal128", "numeric").replace(' ', ""),
            other => other.to_string(),
        }
    })
    .into_owned()
}

/// The type a failed cast was to, as the error names it (`Int32`, `integer`).
fn cast_target(message: &str) -> Option<String> {
    CAST_TARGET
        .as_ref()
        .ok()?
        .captures(message)
        .and_then(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| m.as_str().to_string())
}

static CAST_TARGET: LazyLock<Result<Regex, regex::Error>> = LazyLock::new(|| {
    Regex::new(r"to value of (\w+) type|invalid input syntax for type ([\w ]+?):")
});

static FUNCTION_IN_MESSAGE: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new(r"^([a-z_][a-z0-9_]*)(?:\(\))?[: ]"));

/// Runs a plan to completion.
pub async fn collect(
    ctx: &SessionContext,
    plan: LogicalPlan,
    origin: &Origin<'_>,
) -> Result<Vec<RecordBatch>, Diagnostic> {
    let run = async {
        let df = ctx.execute_logical_plan(plan).await?;
        df.collect().await
    };
    run.await.map_err(|e| {
        let root = e.find_root();
        if let DataFusionError::ResourcesExhausted(_) = root {
            return origin
                .error(
                    Code::Runtime,
                    Location::file(origin.file),
                    format!("runtime error: {}", out_of_memory(root)),
                )
                .with_hint("raise the limit (`--memory-limit 8G`, or `none`), or sample fewer rows (`modelplay sample --rows N`)");
        }
        let message = match root {
            DataFusionError::Execution(m) => m.clone(),
            DataFusionError::ArrowError(a, _) => a.to_string(),
            other => other.to_string(),
        };
        // A runtime error has no position; point at the construct that raised it.
        let cast_error = message.contains("Cast error") || message.contains("invalid input syntax");
        let cast = Construct::Cast {
            to: cast_target(&message),
        };
        let location = construct_site(root, &message, origin)
            .or_else(|| cast_error.then(|| site(origin, &cast)).flatten())
            .unwrap_or_else(|| Location::file(origin.file).into());
        origin.error(
            Code::Runtime,
            location,
            format!(
                "runtime error: {}",
                user_wording(&redshift_type_names(&message))
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trim_call_is_found_among_any_characters() {
        assert!(in_trim_call("select trim(code, '0')", 1, 17));
        assert!(!in_trim_call("select btrim(code, '0')", 1, 18));
        assert!(!in_trim_call("select 🕴(code, '0')", 1, 14));
    }
}
