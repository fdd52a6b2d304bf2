//! `LISTAGG(value, delimiter) WITHIN GROUP (ORDER BY ...)` as one aggregate with a
//! per-group state that DataFusion keeps for all groups at once.
//!
//! DataFusion's ordered `string_agg` keeps one boxed accumulator per group and trades its
//! state as lists of `ScalarValue`s, which dominates a `GROUP BY` over many small groups. The
//! rewrite calls [`LISTAGG`] instead, with the ordering as arguments:
//! `__rs_listagg(value, delimiter, directions, key1, key2, ...)`, `directions` holding two
//! letters per key (`a`/`d` for ascending or descending, `f`/`l` for NULLs first or last).
//! Each value is kept with its keys in Arrow's row format, so ordering a group is a byte
//! comparison; values of equal keys keep the order they arrived in, as the sort DataFusion
//! used to do. NULL values are skipped, and a group with none gives NULL, as Redshift does.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, BooleanArray, LargeStringBuilder, ListArray,
    ListBuilder, StringArrayType,
};
use datafusion::arrow::compute::SortOptions;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::arrow::row::{RowConverter, Rows, SortField};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use datafusion::physical_expr::expressions::Literal;

use super::functions::printed;
use super::one_group::OneGroup;

/// The name the rewrite calls the ordered `LISTAGG` by.
pub const LISTAGG: &str = "__rs_listagg";

/// The ordered `LISTAGG` aggregate.
pub fn listagg_udaf() -> AggregateUDF {
    AggregateUDF::from(OrderedListagg {
        signature: Signature::variadic_any(Volatility::Immutable),
    })
}

/// The letters the rewrite passes for one `ORDER BY` key.
pub fn direction_letters(descending: bool, nulls_first: Option<bool>) -> &'static str {
    // Redshift puts NULLs last ascending and first descending unless told otherwise.
    match (descending, nulls_first.unwrap_or(descending)) {
        (false, false) => "al",
        (false, true) => "af",
        (true, false) => "dl",
        (true, true) => "df",
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct OrderedListagg {
    signature: Signature,
}

/// What a call fixes once: its delimiter and how its keys sort.
struct Setup {
    delimiter: String,
    keys: Vec<SortField>,
}

fn constant_text(args: &AccumulatorArgs, i: usize, what: &str) -> Result<String> {
    let literal = args.exprs.get(i).and_then(|e| e.downcast_ref::<Literal>());
    match literal.map(|l| l.value()) {
        Some(ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s)) => {
            Ok(s.clone().unwrap_or_default())
        }
        _ => plan_err!("listagg's {what} must be a constant string"),
    }
}

fn setup(args: &AccumulatorArgs) -> Result<Setup> {
    let delimiter = constant_text(args, 1, "delimiter")?;
    let directions = constant_text(args, 2, "ordering")?;
    let letters = directions.as_bytes();
    let key_fields = args.expr_fields.get(3..).unwrap_or_default();
    if letters.len() != key_fields.len() * 2 {
        return exec_err!(
            "listagg: {} ordering keys, directions {directions:?}",
            key_fields.len()
        );
    }
    let keys = key_fields
        .iter()
        .zip(letters.chunks(2))
        .map(|(field, l)| {
            SortField::new_with_options(
                field.data_type().clone(),
                SortOptions {
                    descending: l.first() == Some(&b'd'),
                    nulls_first: l.get(1) == Some(&b'f'),
                },
            )
        })
        .collect();
    Ok(Setup { delimiter, keys })
}

impl AggregateUDFImpl for OrderedListagg {
    fn name(&self) -> &str {
        LISTAGG
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if arg_types.len() < 4 {
            return plan_err!("listagg takes a value, a delimiter and an ordering");
        }
        Ok(DataType::LargeUtf8)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[values]", args.name),
                DataType::new_list(DataType::LargeUtf8, true),
                true,
            )),
            Arc::new(Field::new(
                format!("{}[keys]", args.name),
                DataType::new_list(DataType::Binary, true),
                true,
            )),
        ])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(OneGroup(Groups::new(setup(&args)?)?)))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Groups::new(setup(&args)?)?))
    }
}

/// Values with their ordering keys and groups, in the order they arrived.
#[derive(Default)]
struct Entries {
    group: Vec<usize>,
    text: Vec<u8>,
    text_end: Vec<usize>,
    key: Vec<u8>,
    key_end: Vec<usize>,
}

impl Entries {
    fn push(&mut self, group: usize, text: &[u8], key: &[u8]) {
        self.group.push(group);
        self.text.extend_from_slice(text);
        self.text_end.push(self.text.len());
        self.key.extend_from_slice(key);
        self.key_end.push(self.key.len());
    }

    /// The text of each of `rows` (row, group) from a string column, with its row's keys.
    fn push_texts<'a>(
        &mut self,
        texts: impl StringArrayType<'a>,
        rows: impl Iterator<Item = (usize, &'a usize)>,
        keys: &Rows,
    ) {
        for (row, &g) in rows {
            self.push(g, texts.value(row).as_bytes(), keys.row(row).as_ref());
        }
    }

    fn len(&self) -> usize {
        self.group.len()
    }

    fn text(&self, entry: usize) -> &[u8] {
        let start = entry.checked_sub(1).map_or(0, |p| self.text_end[p]);
        &self.text[start..self.text_end[entry]]
    }

    fn key(&self, entry: usize) -> &[u8] {
        let start = entry.checked_sub(1).map_or(0, |p| self.key_end[p]);
        &self.key[start..self.key_end[entry]]
    }

    /// Takes the entries of groups `0..n`: returns them with their indices ordered by group
    /// then key (a stable sort, so equal keys keep their arrival order) and how many each
    /// group has. The entries of later groups stay, renumbered from 0.
    fn split_first(&mut self, n: usize) -> Taken {
        let mut rest = Entries::default();
        for e in (0..self.len()).filter(|&e| self.group[e] >= n) {
            rest.push(self.group[e] - n, self.text(e), self.key(e));
        }
        let entries = std::mem::replace(self, rest);
        let mut order: Vec<usize> = (0..entries.len())
            .filter(|&e| entries.group[e] < n)
            .collect();
        order.sort_by(|&a, &b| {
            entries.group[a]
                .cmp(&entries.group[b])
                .then_with(|| entries.key(a).cmp(entries.key(b)))
        });
        let mut counts = vec![0usize; n];
        for &e in &order {
            counts[entries.group[e]] += 1;
        }
        Taken {
            entries,
            order,
            counts,
        }
    }

    fn size(&self) -> usize {
        (self.group.capacity() + self.text_end.capacity() + self.key_end.capacity())
            * size_of::<usize>()
            + self.text.capacity()
            + self.key.capacity()
    }
}

/// The entries of the groups an emit takes, read in `order`, `counts[g]` of them for group g.
struct Taken {
    entries: Entries,
    order: Vec<usize>,
    counts: Vec<usize>,
}

impl Taken {
    /// Each group's entries in order: (text, key) pairs, one slice of `order` per group.
    fn groups(&self) -> impl Iterator<Item = &[usize]> {
        let mut start = 0;
        self.counts.iter().map(move |&count| {
            let group = &self.order[start..start + count];
            start += count;
            group
        })
    }
}

/// Every group's entries, with the call's delimiter and key encoding.
struct Groups {
    delimiter: String,
    keys: Vec<SortField>,
    converter: RowConverter,
    entries: Entries,
    groups: usize,
}

impl std::fmt::Debug for Groups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "listagg over {} groups", self.groups)
    }
}

impl Groups {
    fn new(setup: Setup) -> Result<Groups> {
        Ok(Groups {
            delimiter: setup.delimiter,
            converter: RowConverter::new(setup.keys.clone())?,
            keys: setup.keys,
            entries: Entries::default(),
            groups: 0,
        })
    }

    fn take(&mut self, emit_to: EmitTo) -> Taken {
        let n = match emit_to {
            EmitTo::All => self.groups,
            EmitTo::First(n) => n.min(self.groups),
        };
        self.groups -= n;
        self.entries.split_first(n)
    }

    fn add_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups = self.groups.max(total_num_groups);
        let Some(value) = values.first() else {
            return Ok(());
        };
        let keys = self
            .converter
            .convert_columns(values.get(3..).unwrap_or_default())?;
        let kept = |row: usize| {
            filter.is_none_or(|f| f.is_valid(row) && f.value(row)) && value.is_valid(row)
        };
        let rows = group_indices
            .iter()
            .enumerate()
            .filter(|(row, _)| kept(*row));
        let entries = &mut self.entries;
        match value.data_type() {
            DataType::Utf8 => entries.push_texts(value.as_string::<i32>(), rows, &keys),
            DataType::LargeUtf8 => entries.push_texts(value.as_string::<i64>(), rows, &keys),
            DataType::Utf8View => entries.push_texts(value.as_string_view(), rows, &keys),
            // Other values as Redshift prints them (a timestamp as `2024-05-01 06:00:00`).
            _ => entries.push_texts(&printed(value)?, rows, &keys),
        }
        Ok(())
    }
}

impl GroupsAccumulator for Groups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.add_batch(values, group_indices, opt_filter, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let taken = self.take(emit_to);
        let mut out = LargeStringBuilder::new();
        let mut joined = Vec::new();
        for group in taken.groups() {
            if group.is_empty() {
                out.append_null();
                continue;
            }
            joined.clear();
            for (i, &e) in group.iter().enumerate() {
                if i > 0 {
                    joined.extend_from_slice(self.delimiter.as_bytes());
                }
                joined.extend_from_slice(taken.entries.text(e));
            }
            // Values and delimiter are UTF-8, so their concatenation is.
            out.append_value(String::from_utf8_lossy(&joined));
        }
        Ok(Arc::new(out.finish()))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let taken = self.take(emit_to);
        let mut values = ListBuilder::new(LargeStringBuilder::new());
        let mut keys = ListBuilder::new(BinaryBuilder::new());
        for group in taken.groups() {
            for &e in group {
                values
                    .values()
                    .append_value(String::from_utf8_lossy(taken.entries.text(e)));
                keys.values().append_value(taken.entries.key(e));
            }
            values.append(true);
            keys.append(true);
        }
        Ok(vec![Arc::new(values.finish()), Arc::new(keys.finish())])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups = self.groups.max(total_num_groups);
        let (Some(texts), Some(keys)) = (values.first(), values.get(1)) else {
            return exec_err!("listagg: a partial state without its columns");
        };
        let (texts, keys): (&ListArray, &ListArray) = (texts.as_list(), keys.as_list());
        let (text_values, key_values) = (
            texts.values().as_string::<i64>(),
            keys.values().as_binary::<i32>(),
        );
        let text_offsets = texts.value_offsets();
        let key_offsets = keys.value_offsets();
        for (row, &group) in group_indices.iter().enumerate() {
            if texts.is_null(row) {
                continue;
            }
            let (start, end) = (text_offsets[row] as usize, text_offsets[row + 1] as usize);
            let key_start = key_offsets[row] as usize;
            for (i, entry) in (start..end).enumerate() {
                let key = key_values.value(key_start + i);
                self.entries
                    .push(group, text_values.value(entry).as_bytes(), key);
            }
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let rows = values.first().map_or(0, |v| v.len());
        let mut each_row = Groups::new(Setup {
            delimiter: self.delimiter.clone(),
            keys: self.keys.clone(),
        })?;
        let groups: Vec<usize> = (0..rows).collect();
        each_row.add_batch(values, &groups, opt_filter, rows)?;
        each_row.state(EmitTo::All)
    }

    fn size(&self) -> usize {
        self.entries.size() + self.converter.size()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use crate::redshift::test_rows::{sessions_with, sorted_rows};

    /// Rows of `t(g, v, k, j)`, split over several partitions by `UNION ALL` so partial
    /// states are traded and merged.
    const TABLE: &str = "select * from (values
            (1, 'a', 3, 1), (1, 'b', 1, 2), (2, 'c', null, 1), (1, null, 2, 3)
        ) as p(g, v, k, j)
        union all select * from (values
            (2, 'd', 5, 2), (3, null, 1, 1), (1, 'e', 0, 1), (2, 'f', 4, null)
        ) as q(g, v, k, j)
        union all select * from (values
            (4, 'g', 7, 1), (4, 'h', 8, 2), (2, 'i', 6, null), (5, 'j', 9, 9)
        ) as r(g, v, k, j)";

    /// Each line: DataFusion's ordered `string_agg` arguments and ours, for the same result.
    const CASES: &[(&str, &str)] = &[
        ("v, ',' order by k", "v, ',', 'al', k"),
        ("v, ',' order by k desc", "v, ',', 'df', k"),
        ("v, '' order by k nulls first", "v, '', 'af', k"),
        ("v, ' | ' order by k desc nulls last", "v, ' | ', 'dl', k"),
        ("v, ',' order by j, k desc", "v, ',', 'aldf', j, k"),
        ("v, ',' order by v desc", "v, ',', 'df', v"),
        (
            "cast(k as varchar), '-' order by j desc, v",
            "cast(k as varchar), '-', 'dfal', j, v",
        ),
    ];

    fn contexts() -> Vec<SessionContext> {
        sessions_with(super::listagg_udaf())
    }

    #[tokio::test]
    async fn listagg_answers_as_ordered_string_agg_does() {
        for ctx in contexts() {
            for (theirs, ours) in CASES {
                for shape in [
                    "select g, {f} from t group by g",
                    "select {f} from t",
                    "select g, {f} filter (where j < 3) from t group by g",
                ] {
                    let query = |call: String| {
                        format!("with t as ({TABLE}) {}", shape.replace("{f}", &call))
                    };
                    let expected = sorted_rows(&ctx, &query(format!("string_agg({theirs})"))).await;
                    let got = sorted_rows(&ctx, &query(format!("__rs_listagg({ours})"))).await;
                    assert_eq!(got, expected, "{}", query(format!("__rs_listagg({ours})")));
                }
            }
        }
    }

    #[tokio::test]
    async fn listagg_keeps_arrival_order_for_equal_keys_and_prints_values_as_redshift() {
        let ctx = &contexts()[0];
        let sql = "select __rs_listagg(v, ',', 'al', k) from (values
            ('x', 1), ('y', 0), ('z', 1), ('w', 1)) as t(v, k)";
        assert_eq!(sorted_rows(ctx, sql).await, vec!["y,x,z,w"]);
        let sql = "select __rs_listagg(d, ';', 'dl', d) from (values
            (timestamp '2024-05-01 06:00:00'), (timestamp '2024-05-02 07:30:00')) as t(d)";
        assert_eq!(
            sorted_rows(ctx, sql).await,
            vec!["2024-05-02 07:30:00;2024-05-01 06:00:00"]
        );
    }

    #[tokio::test]
    async fn listagg_refuses_a_delimiter_that_is_not_constant() {
        let ctx = &contexts()[0];
        let sql = "select __rs_listagg(v, v, 'al', v) from (values ('a')) as t(v)";
        let error = match ctx.sql(sql).await {
            Ok(frame) => frame.collect().await.err(),
            Err(e) => Some(e),
        };
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("listagg's delimiter must be a constant string"),
            "{message}"
        );
    }
}
