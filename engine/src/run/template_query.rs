//! Queries a template runs while it compiles (`run_query`, `{% call statement %}`): dbt asks
//! the warehouse, and here the engine is the warehouse. They read the tables built so far
//! (at check time, empty tables of the planned shape).

use crate::redshift::dialect::RedshiftDialect;
use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::parser::Parser;
use serde_json::Value as Json;

use super::tables::display_value;
use crate::jinja::QueryTable;
use crate::redshift::rewrite;

/// Runs one statement of Redshift SQL to completion, from inside a render. Rendering is not
/// async, so the query is driven here; it runs on in-memory tables in one partition, and
/// outside tokio's cooperative budget, so nothing it waits for needs the runtime to turn.
pub fn run(session: &SessionContext, sql: &str) -> Result<QueryTable, String> {
    let mut statements =
        Parser::parse_sql(&RedshiftDialect, sql).map_err(|e| format!("{e} in: {sql}"))?;
    let mut statement = match (statements.pop(), statements.is_empty()) {
        (Some(s), true) => s,
        _ => return Err(format!("run_query() runs one statement, got: {sql}")),
    };
    rewrite(&mut statement);
    let query = async {
        let plan = session
            .state()
            .statement_to_plan(DfStatement::Statement(Box::new(statement)))
            .await?;
        // The names come from the plan, so that an empty result still has its columns.
        let names: Vec<String> = plan
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let batches = session.execute_logical_plan(plan).await?.collect().await?;
        Ok::<_, datafusion::error::DataFusionError>((names, batches))
    };
    let (column_names, batches) = futures::executor::block_on(tokio::task::unconstrained(query))
        .map_err(|e| format!("the query failed: {}", super::execute::user_message(&e)))?;
    let mut rows = Vec::new();
    for batch in &batches {
        for row in 0..batch.num_rows() {
            rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|column| cell(column, row))
                    .collect(),
            );
        }
    }
    Ok(QueryTable { column_names, rows })
}

/// A value as agate gives it to a template: numbers as numbers, the rest as text.
fn cell(column: &ArrayRef, row: usize) -> Json {
    if column.is_null(row) {
        return Json::Null;
    }
    let text = display_value(column, row);
    match column.data_type() {
        DataType::Boolean => Json::Bool(text == "true" || text == "True"),
        t if t.is_integer() => text.parse::<i64>().map_or(Json::String(text), Json::from),
        t if t.is_floating() || matches!(t, DataType::Decimal128(..)) => text
            .parse::<f64>()
            .ok()
            .and_then(|f| serde_json::Number::from_f64(f).map(Json::Number))
            .unwrap_or(Json::String(text)),
        _ => Json::String(text),
    }
}
