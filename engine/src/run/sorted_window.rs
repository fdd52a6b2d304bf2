//! Window functions over input already sorted by their partition, computed a batch at a time.
//!
//! DataFusion's window operators evaluate each partition on its own: for every partition they
//! slice every column of the batch and run the function's evaluator over the slices. For the
//! deduplication dbt projects are full of (`row_number() over (partition by key order by ...)`
//! keeping row 1, with a `count(*) over (partition by key)` beside it), partitions hold one or
//! two rows, and that per-partition work cost a third of a whole build. Upstream tracks the
//! operator's cost with many partitions in apache/datafusion#23982 and window performance in
//! general in apache/datafusion#23197.
//!
//! [`SortedWindowExec`] takes the place of a sorted-mode window operator whose functions are
//! all `row_number`, `rank`, `dense_rank`, `lag`, `lead` or a `count` over the whole partition: arrow's
//! `partition` kernel finds every partition and peer group of a batch in one pass, and each
//! function's column is filled from those ranges. Anything else stays with DataFusion's
//! operator. The input arrives sorted (the plan's sort is kept), so the numbering is the one
//! DataFusion's operator would give, ties included.

use std::fmt;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use datafusion::arrow::array::{Array, ArrayRef, Int64Array, UInt64Array, make_comparator};
use datafusion::arrow::compute::{SortOptions, cast, concat_batches, take};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{ColumnarValue, WindowFrameBound, WindowFrameUnits};
use datafusion::physical_expr::expressions::Literal;
use datafusion::physical_expr::window::{PlainAggregateWindowExpr, StandardWindowExpr};
use datafusion::physical_expr::{OrderingRequirements, PhysicalExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::windows::{
    BoundedWindowAggExec, WindowAggExec, WindowExpr, WindowUDFExpr,
};
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, InputOrderMode,
    PlanProperties, RecordBatchStream, ReplaceChildrenOptions, SendableRecordBatchStream,
    apply_expression_roots,
};
use futures::{Stream, StreamExt};

/// One window function the operator computes.
#[derive(Debug, Clone)]
enum Function {
    RowNumber,
    Rank,
    DenseRank,
    /// `count(arg)` over the whole partition: its rows where `arg` is not NULL.
    Count(Arc<dyn PhysicalExpr>),
    /// `lag(value, n)` (`by` is n) or `lead(value, n)` (`by` is -n), NULL past the partition.
    Shift {
        value: Arc<dyn PhysicalExpr>,
        by: i64,
    },
}

impl Function {
    /// The function `expr` computes, when this operator can compute it: `order_by` is the
    /// ordering the input is sorted by within each partition.
    fn of(expr: &Arc<dyn WindowExpr>) -> Option<Function> {
        let any = expr.as_any();
        if let Some(standard) = any.downcast_ref::<StandardWindowExpr>() {
            let udf = standard
                .get_standard_func_expr()
                .as_any()
                .downcast_ref::<WindowUDFExpr>()?;
            return match udf.fun().name() {
                "row_number" => Some(Function::RowNumber),
                "rank" => Some(Function::Rank),
                "dense_rank" => Some(Function::DenseRank),
                name @ ("lag" | "lead") => shift(udf, name == "lag"),
                _ => None,
            };
        }
        let aggregate = any.downcast_ref::<PlainAggregateWindowExpr>()?;
        let inner = aggregate.get_aggregate_expr();
        let args = inner.expressions();
        let whole_partition = whole_partition(expr);
        match (inner.fun().name(), args.as_slice()) {
            ("count", [arg])
                if !inner.is_distinct()
                    && inner.order_bys().is_empty()
                    && unfiltered(aggregate)
                    && whole_partition =>
            {
                Some(Function::Count(arg.clone()))
            }
            _ => None,
        }
    }
}

/// `lag` or `lead` with a constant offset, no default but NULL, respecting NULLs, in the order
/// its query wrote.
fn shift(udf: &WindowUDFExpr, lag: bool) -> Option<Function> {
    // DataFusion 55 has no accessor for these two flags; its debug form ends with them.
    if !format!("{udf:?}").ends_with("is_reversed: false, ignore_nulls: false }") {
        return None;
    }
    let literal =
        |e: &Arc<dyn PhysicalExpr>| e.downcast_ref::<Literal>().map(|l| l.value().clone());
    let (value, rest) = udf.args().split_first()?;
    let offset = match rest.first().map(literal) {
        None => 1,
        Some(Some(v)) => match v.cast_to(&DataType::Int64).ok()? {
            ScalarValue::Int64(Some(n)) => n,
            _ => return None,
        },
        Some(None) => return None,
    };
    if let Some(default) = rest.get(1)
        && !literal(default)?.is_null()
    {
        return None;
    }
    if rest.len() > 2 {
        return None;
    }
    Some(Function::Shift {
        value: value.clone(),
        by: if lag { offset } else { offset.checked_neg()? },
    })
}

/// Whether `aggregate` has no `FILTER (WHERE ...)`. DataFusion 55 keeps the filter behind a
/// trait it does not export, so this reads the last field of its debug form.
fn unfiltered(aggregate: &PlainAggregateWindowExpr) -> bool {
    format!("{aggregate:?}").ends_with("filter: None }")
}

/// Whether `expr`'s frame is its whole partition: from the first row to the last, or (with no
/// ORDER BY, where every row is a peer of every other) any RANGE or GROUPS frame reaching from
/// the first row to the current one.
fn whole_partition(expr: &Arc<dyn WindowExpr>) -> bool {
    let frame = expr.get_window_frame();
    let unbounded_start =
        matches!(&frame.start_bound, WindowFrameBound::Preceding(v) if v.is_null());
    let unbounded_end = matches!(&frame.end_bound, WindowFrameBound::Following(v) if v.is_null());
    let to_current_peers = matches!(frame.end_bound, WindowFrameBound::CurrentRow)
        && frame.units != WindowFrameUnits::Rows
        && expr.order_by().is_empty();
    unbounded_start && (unbounded_end || to_current_peers)
}

/// The window functions of one sorted window operator, computed from partition and peer ranges.
#[derive(Debug)]
pub(crate) struct SortedWindowExec {
    input: Arc<dyn ExecutionPlan>,
    functions: Vec<Function>,
    partition_by: Vec<Arc<dyn PhysicalExpr>>,
    order_by: Vec<Arc<dyn PhysicalExpr>>,
    names: Vec<String>,
    required_ordering: Vec<Option<OrderingRequirements>>,
    properties: Arc<PlanProperties>,
}

impl SortedWindowExec {
    /// This operator in place of `window` (a sorted-input window operator over `input` with
    /// `exprs`), when it can compute every one of them.
    fn replacing(
        window: &Arc<dyn ExecutionPlan>,
        exprs: &[Arc<dyn WindowExpr>],
        input: &Arc<dyn ExecutionPlan>,
    ) -> Option<SortedWindowExec> {
        let first = exprs.first()?;
        let partition_by = first.partition_by().to_vec();
        let order_by = first.order_by().to_vec();
        let mut functions = Vec::with_capacity(exprs.len());
        for expr in exprs {
            // Every function must see the partitions and the order the input is sorted by.
            if expr.partition_by() != partition_by.as_slice() {
                return None;
            }
            let function = Function::of(expr)?;
            if !matches!(function, Function::Count(_)) && expr.order_by() != order_by.as_slice() {
                return None;
            }
            functions.push(function);
        }
        Some(SortedWindowExec {
            input: input.clone(),
            functions,
            partition_by,
            order_by: order_by.iter().map(|s| s.expr.clone()).collect(),
            names: exprs.iter().map(|e| e.name().to_string()).collect(),
            required_ordering: window.required_input_ordering(),
            properties: window.properties().clone(),
        })
    }

    fn with_input(&self, input: Arc<dyn ExecutionPlan>) -> SortedWindowExec {
        SortedWindowExec {
            input,
            functions: self.functions.clone(),
            partition_by: self.partition_by.clone(),
            order_by: self.order_by.clone(),
            names: self.names.clone(),
            required_ordering: self.required_ordering.clone(),
            properties: self.properties.clone(),
        }
    }
}

impl DisplayAs for SortedWindowExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "SortedWindowExec: [{}]", self.names.join(", "))
    }
}

impl ExecutionPlan for SortedWindowExec {
    fn name(&self) -> &str {
        "SortedWindowExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        self.required_ordering.clone()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        let args = self.functions.iter().filter_map(|function| match function {
            Function::Count(arg) | Function::Shift { value: arg, .. } => Some(arg.clone()),
            _ => None,
        });
        let expressions: Vec<Arc<dyn PhysicalExpr>> = args
            .chain(self.partition_by.iter().cloned())
            .chain(self.order_by.iter().cloned())
            .collect();
        apply_expression_roots(expressions.iter(), f)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(Arc::new(self.with_input(input))),
            _ => internal_err!("SortedWindowExec has one input"),
        }
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        Ok(Box::pin(SortedWindowStream {
            input,
            schema: self.schema(),
            functions: self.functions.clone(),
            partition_by: self.partition_by.clone(),
            order_by: self.order_by.clone(),
            pending: Vec::new(),
            pending_key: None,
            done: false,
        }))
    }
}

/// The operator's output: each batch's closed partitions, while the last partition of a batch
/// waits for the next batch, which may continue it.
struct SortedWindowStream {
    input: SendableRecordBatchStream,
    schema: SchemaRef,
    functions: Vec<Function>,
    partition_by: Vec<Arc<dyn PhysicalExpr>>,
    order_by: Vec<Arc<dyn PhysicalExpr>>,
    /// Rows of one partition not yet known to be complete.
    pending: Vec<RecordBatch>,
    /// The partition key of the last pending row.
    pending_key: Option<Vec<ArrayRef>>,
    done: bool,
}

impl SortedWindowStream {
    /// Takes `batch` in, and answers the rows whose partitions it completed.
    fn push(&mut self, batch: RecordBatch) -> Result<Option<RecordBatch>> {
        if batch.num_rows() == 0 {
            return Ok(None);
        }
        if self.partition_by.is_empty() {
            self.pending.push(batch);
            return Ok(None);
        }
        let keys = evaluate(&self.partition_by, &batch)?;
        let last_start = partitions(&keys, batch.num_rows())?
            .last()
            .map_or(0, |r| r.start);
        let continues = match &self.pending_key {
            Some(previous) if !self.pending.is_empty() => same_row(previous, 0, &keys, 0)?,
            _ => true,
        };
        // Whatever stays pending ends with this batch's last row.
        let last = batch.num_rows() - 1;
        self.pending_key = Some(keys.iter().map(|k| k.slice(last, 1)).collect());
        if last_start == 0 && continues {
            self.pending.push(batch);
            return Ok(None);
        }
        let mut closed = std::mem::take(&mut self.pending);
        closed.push(batch.slice(0, last_start));
        self.pending
            .push(batch.slice(last_start, batch.num_rows() - last_start));
        self.compute(&closed).map(Some)
    }

    /// `batches` (whole partitions, in order) with the window functions' columns added.
    fn compute(&self, batches: &[RecordBatch]) -> Result<RecordBatch> {
        let input = concat_batches(&self.input_schema(), batches)?;
        let n = input.num_rows();
        let keys = evaluate(&self.partition_by, &input)?;
        let parts = partitions(&keys, n)?;
        let needs_peers = self
            .functions
            .iter()
            .any(|f| matches!(f, Function::Rank | Function::DenseRank));
        let peers = if needs_peers {
            let mut peer_keys = keys;
            peer_keys.extend(evaluate(&self.order_by, &input)?);
            partitions(&peer_keys, n)?
        } else {
            Vec::new()
        };
        let mut columns = input.columns().to_vec();
        let first_window = columns.len();
        for (i, function) in self.functions.iter().enumerate() {
            let column = match function {
                Function::RowNumber => row_numbers(&parts, n),
                Function::Rank => ranks(&parts, &peers, n, false),
                Function::DenseRank => ranks(&parts, &peers, n, true),
                Function::Count(arg) => counts(&parts, arg, &input)?,
                Function::Shift { value, by } => shifted(&parts, value, *by, &input)?,
            };
            let wanted = self.schema.field(first_window + i).data_type();
            columns.push(if column.data_type() == wanted {
                column
            } else {
                cast(&column, wanted)?
            });
        }
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }

    fn input_schema(&self) -> SchemaRef {
        self.input.schema()
    }
}

impl Stream for SortedWindowStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            match self.input.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(batch))) => match self.push(batch) {
                    Ok(None) => continue,
                    Ok(Some(out)) => return Poll::Ready(Some(Ok(out))),
                    Err(e) => return Poll::Ready(Some(Err(e))),
                },
                Poll::Ready(None) => {
                    self.done = true;
                    let rest = std::mem::take(&mut self.pending);
                    if rest.is_empty() {
                        return Poll::Ready(None);
                    }
                    return Poll::Ready(Some(self.compute(&rest)));
                }
            }
        }
    }
}

impl RecordBatchStream for SortedWindowStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

fn evaluate(exprs: &[Arc<dyn PhysicalExpr>], batch: &RecordBatch) -> Result<Vec<ArrayRef>> {
    exprs
        .iter()
        .map(|e| e.evaluate(batch)?.into_array(batch.num_rows()))
        .collect()
}

/// The ranges of consecutive rows equal on `keys` (all rows, with no keys).
fn partitions(keys: &[ArrayRef], rows: usize) -> Result<Vec<Range<usize>>> {
    if keys.is_empty() {
        let whole = std::iter::once(0..rows).filter(|r| !r.is_empty());
        return Ok(whole.collect());
    }
    Ok(datafusion::arrow::compute::partition(keys)?.ranges())
}

/// Whether row `i` of `a` and row `j` of `b` are equal on every key (NULL equal to NULL).
fn same_row(a: &[ArrayRef], i: usize, b: &[ArrayRef], j: usize) -> Result<bool> {
    for (x, y) in a.iter().zip(b) {
        let compare = make_comparator(x.as_ref(), y.as_ref(), SortOptions::default())?;
        if !compare(i, j).is_eq() {
            return Ok(false);
        }
    }
    Ok(true)
}

fn row_numbers(parts: &[Range<usize>], rows: usize) -> ArrayRef {
    let mut out = Vec::with_capacity(rows);
    for part in parts {
        out.extend(1..=part.len() as u64);
    }
    Arc::new(UInt64Array::from(out))
}

/// `rank` (the position of the first peer) or `dense_rank` (the number of peer groups so far),
/// where `peers` refines `parts`.
fn ranks(parts: &[Range<usize>], peers: &[Range<usize>], rows: usize, dense: bool) -> ArrayRef {
    let mut out = Vec::with_capacity(rows);
    let mut parts = parts.iter().peekable();
    let mut start = 0;
    let mut group = 0u64;
    for peer in peers {
        while let Some(part) = parts.peek() {
            if part.contains(&peer.start) {
                if part.start == peer.start {
                    start = part.start;
                    group = 0;
                }
                break;
            }
            parts.next();
        }
        group += 1;
        let value = if dense {
            group
        } else {
            (peer.start - start + 1) as u64
        };
        out.extend(std::iter::repeat_n(value, peer.len()));
    }
    Arc::new(UInt64Array::from(out))
}

/// `count(arg)` over each whole partition, repeated on each of its rows.
fn counts(
    parts: &[Range<usize>],
    arg: &Arc<dyn PhysicalExpr>,
    input: &RecordBatch,
) -> Result<ArrayRef> {
    let rows = input.num_rows();
    let mut out = Vec::with_capacity(rows);
    match arg.evaluate(input)? {
        ColumnarValue::Scalar(s) => {
            for part in parts {
                let n = if s.is_null() { 0 } else { part.len() as i64 };
                out.extend(std::iter::repeat_n(n, part.len()));
            }
        }
        ColumnarValue::Array(values) => {
            for part in parts {
                let n = match values.logical_nulls() {
                    Some(nulls) => {
                        let valid = nulls.inner().slice(part.start, part.len()).count_set_bits();
                        valid as i64
                    }
                    None => part.len() as i64,
                };
                out.extend(std::iter::repeat_n(n, part.len()));
            }
        }
    }
    Ok(Arc::new(Int64Array::from(out)))
}

/// `value` from `by` rows earlier in the same partition (later, for a negative `by`).
fn shifted(
    parts: &[Range<usize>],
    value: &Arc<dyn PhysicalExpr>,
    by: i64,
    input: &RecordBatch,
) -> Result<ArrayRef> {
    let values = value.evaluate(input)?.into_array(input.num_rows())?;
    let mut indices: Vec<Option<u64>> = Vec::with_capacity(input.num_rows());
    for part in parts {
        for row in part.clone() {
            let from = i64::try_from(row).ok().and_then(|r| r.checked_sub(by));
            let inside = from
                .and_then(|f| usize::try_from(f).ok())
                .filter(|f| part.contains(f));
            indices.push(inside.map(|f| f as u64));
        }
    }
    Ok(take(values.as_ref(), &UInt64Array::from(indices), None)?)
}

/// Puts [`SortedWindowExec`] in place of every sorted-input window operator it can stand for.
#[derive(Debug, Default)]
pub(crate) struct SortedWindows;

impl PhysicalOptimizerRule for SortedWindows {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let replaced = if let Some(w) = node.downcast_ref::<BoundedWindowAggExec>() {
                (w.input_order_mode == InputOrderMode::Sorted)
                    .then(|| SortedWindowExec::replacing(&node, w.window_expr(), w.input()))
                    .flatten()
            } else if let Some(w) = node.downcast_ref::<WindowAggExec>() {
                SortedWindowExec::replacing(&node, w.window_expr(), w.input())
            } else {
                None
            };
            Ok(match replaced {
                Some(exec) => Transformed::yes(Arc::new(exec) as Arc<dyn ExecutionPlan>),
                None => Transformed::no(node),
            })
        })
        .data()
    }

    fn name(&self) -> &str {
        "modelplay_sorted_windows"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::StringArray;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::datasource::MemTable;
    use datafusion::execution::session_state::SessionStateBuilder;
    use datafusion::prelude::{SessionConfig, SessionContext};

    /// Each query runs with and without the rule; the answers must be the same, row for row.
    /// `true`: the rule must have replaced every window operator of the query.
    const QUERIES: &[(bool, &str)] = &[
        (
            true,
            "select *, row_number() over (partition by k order by o desc nulls last, v) as r from t",
        ),
        (
            true,
            "select *, row_number() over (partition by k, k2 order by o) as r from t",
        ),
        (
            true,
            "select *, rank() over (partition by k order by o) as r, dense_rank() over (partition by k order by o) as d from t",
        ),
        (
            true,
            "select *, rank() over (partition by k2 order by o desc nulls first) as r from t",
        ),
        (
            true,
            "select *, count(*) over (partition by k) as c, count(v) over (partition by k) as cv from t",
        ),
        (
            true,
            "select *, count(o) over (partition by k2 rows between unbounded preceding and unbounded following) as c from t",
        ),
        (
            true,
            "select *, row_number() over (partition by k order by o) as r, count(*) over (partition by k) as c, count(*) over (partition by k2) as c2 from t",
        ),
        (
            true,
            "select * from (select *, row_number() over (partition by k, k2 order by o desc, v) as r from t) where r = 1",
        ),
        (
            true,
            "select *, row_number() over (order by o, v, k, k2) as r from t",
        ),
        (true, "select *, count(*) over () as c from t"),
        (
            true,
            "select *, rank() over (order by o) as r, dense_rank() over (order by o) as d from t",
        ),
        (
            false,
            "select *, sum(v) over (partition by k order by o) as s from t",
        ),
        (
            false,
            "select *, count(v) over (partition by k order by o) as c from t",
        ),
        (
            false,
            "select *, count(distinct v) over (partition by k) as c from t",
        ),
        (
            true,
            "select *, lag(v) over (partition by k order by o, v) as l, lead(v, 2) over (partition by k order by o, v) as n from t",
        ),
        (
            true,
            "select *, lag(v, 3) over (partition by k2, k order by o desc nulls first) as l from t",
        ),
        (
            true,
            "select *, lead(k) over (order by o, v, k, k2) as l from t",
        ),
        (
            true,
            "select *, lag(v, 1, null) over (partition by k order by o) as l from t",
        ),
        (
            false,
            "select *, lag(v, 1, 0) over (partition by k order by o) as l from t",
        ),
        (
            false,
            "select *, lag(v) ignore nulls over (partition by k order by o) as l from t",
        ),
        (
            false,
            "select *, count(*) filter (where v > 50) over (partition by k) as c from t",
        ),
    ];

    fn table() -> MemTable {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8, true),
            Field::new("k2", DataType::Int64, true),
            Field::new("o", DataType::Int64, true),
            Field::new("v", DataType::Int64, true),
        ]));
        let mut seed = 7u64;
        let mut next = move |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let mut batches = Vec::new();
        for size in [5usize, 1, 9, 3, 17, 2, 40, 1, 1, 30] {
            let mut k = Vec::new();
            let (mut k2, mut o, mut v) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..size {
                k.push(match next(9) {
                    0 => None,
                    n => Some(format!("key{}", n % 5)),
                });
                k2.push((next(7) != 0).then(|| next(3) as i64));
                o.push((next(6) != 0).then(|| next(4) as i64));
                v.push((next(5) != 0).then(|| next(100) as i64));
            }
            let columns: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from(k)),
                Arc::new(Int64Array::from(k2)),
                Arc::new(Int64Array::from(o)),
                Arc::new(Int64Array::from(v)),
            ];
            batches.push(RecordBatch::try_new(schema.clone(), columns).unwrap());
        }
        MemTable::try_new(schema, vec![batches]).unwrap()
    }

    fn context(rule: bool) -> SessionContext {
        let config = SessionConfig::new()
            .with_target_partitions(1)
            .with_batch_size(4);
        let mut builder = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features();
        if rule {
            builder = builder.with_physical_optimizer_rule(Arc::new(SortedWindows));
        }
        let ctx = SessionContext::new_with_state(builder.build());
        ctx.register_table("t", Arc::new(table())).unwrap();
        ctx
    }

    async fn answer(ctx: &SessionContext, sql: &str) -> (String, String) {
        let frame = ctx.sql(sql).await.unwrap();
        let plan = frame.clone().create_physical_plan().await.unwrap();
        let shown = datafusion::physical_plan::displayable(plan.as_ref())
            .indent(false)
            .to_string();
        let batches = frame.collect().await.unwrap();
        (pretty_format_batches(&batches).unwrap().to_string(), shown)
    }

    #[tokio::test]
    async fn windows_answer_as_datafusion_does() {
        let (with, without) = (context(true), context(false));
        for (replaced, sql) in QUERIES {
            let (ours, plan) = answer(&with, sql).await;
            let (theirs, _) = answer(&without, sql).await;
            assert_eq!(ours, theirs, "{sql}\n{plan}");
            let windows = ["BoundedWindowAggExec", "WindowAggExec"];
            assert_eq!(
                plan.contains("SortedWindowExec"),
                *replaced,
                "{sql}\n{plan}"
            );
            if *replaced {
                assert!(!windows.iter().any(|w| plan.contains(w)), "{sql}\n{plan}");
            }
        }
    }
}
