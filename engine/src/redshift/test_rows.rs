//! For tests: a query's rows as text, as DataFusion prints them (NULL as `NULL`).

#![allow(clippy::unwrap_used, clippy::panic)]

use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::logical_expr::AggregateUDF;
use datafusion::prelude::{SessionConfig, SessionContext};

/// Each row of `sql`, its cells joined by ` / `, in the order the query gives them.
pub(crate) async fn rows(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let batches = ctx
        .sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in &batches {
        let columns: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = columns.iter().map(|c| c.value(row).to_string()).collect();
            rows.push(cells.join(" / "));
        }
    }
    rows
}

/// The rows of `sql`, sorted: for comparing answers whose order the query leaves open.
pub(crate) async fn sorted_rows(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let mut rows = rows(ctx, sql).await;
    rows.sort();
    rows
}

/// Sessions with `udaf` that run an aggregate each way DataFusion can: one partition in one
/// batch, one partition in batches of 2 rows, and 4 partitions in batches of 3, where partial
/// states are traded and merged.
pub(crate) fn sessions_with(udaf: AggregateUDF) -> Vec<SessionContext> {
    [(1, 8192), (1, 2), (4, 3)]
        .into_iter()
        .map(|(partitions, batch)| {
            let config = SessionConfig::new()
                .with_target_partitions(partitions)
                .with_batch_size(batch);
            let ctx = SessionContext::new_with_config(config);
            ctx.register_udaf(udaf.clone());
            ctx
        })
        .collect()
}
