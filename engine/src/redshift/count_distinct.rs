//! `COUNT(DISTINCT x)` as one aggregate with a state DataFusion keeps for all groups at once.
//!
//! DataFusion's own `count(DISTINCT x)` has no grouped accumulator: beside another aggregate
//! (`count(*), count(distinct address_key) ... group by phone_digits`), it makes one boxed
//! accumulator per group, each with a hash table allocated at its warm-up size, which at a
//! hundred thousand groups is most of a build's memory (apache/datafusion#24857 stops the
//! pre-allocation, in a release later than the one the engine uses). The rewrite calls
//! [`COUNT_DISTINCT`] instead: every (group, value) pair seen is kept once in one set, the
//! value in Arrow's row format, so values of any type compare as DataFusion's distinct does.
//! NULLs are not counted, and a group with none counts 0.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryBuilder, BooleanArray, Int64Array};
use datafusion::arrow::array::{ListArray, ListBuilder};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};

use super::one_group::OneGroup;

/// The name the rewrite calls `COUNT(DISTINCT x)` by.
pub const COUNT_DISTINCT: &str = "__rs_count_distinct";

/// The distinct values of each of the groups an emit takes, in row format.
type Values = Vec<Vec<Box<[u8]>>>;

/// How an entry of the set starts: its group's number.
const GROUP_BYTES: usize = size_of::<u64>();

/// The grouped `COUNT(DISTINCT x)` aggregate.
pub fn count_distinct_udaf() -> AggregateUDF {
    AggregateUDF::from(CountDistinct {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CountDistinct {
    signature: Signature,
}

impl AggregateUDFImpl for CountDistinct {
    fn name(&self) -> &str {
        COUNT_DISTINCT
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn default_value(&self, _data_type: &DataType) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(Some(0)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[values]", args.name),
            DataType::new_list(DataType::Binary, true),
            true,
        ))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(OneGroup(Groups::new(&args)?)))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Groups::new(&args)?))
    }
}

/// Every group's distinct values and how many there are.
struct Groups {
    field: SortField,
    converter: RowConverter,
    /// Each (group, value) pair seen: the group's eight bytes, then the value in row format.
    seen: HashSet<Box<[u8]>>,
    /// The bytes the entries of `seen` hold, for `size`.
    entry_bytes: usize,
    /// An entry being assembled, reused from row to row.
    key: Vec<u8>,
    counts: Vec<i64>,
}

impl std::fmt::Debug for Groups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "count(distinct) over {} groups", self.counts.len())
    }
}

impl Groups {
    fn new(args: &AccumulatorArgs) -> Result<Groups> {
        let Some(field) = args.expr_fields.first() else {
            return plan_err!("count(distinct ...) takes one argument");
        };
        Groups::of(SortField::new(field.data_type().clone()))
    }

    fn of(field: SortField) -> Result<Groups> {
        Ok(Groups {
            converter: RowConverter::new(vec![field.clone()])?,
            field,
            seen: HashSet::new(),
            entry_bytes: 0,
            key: Vec::new(),
            counts: Vec::new(),
        })
    }

    fn add(&mut self, group: usize, value: &[u8]) {
        self.key.clear();
        self.key.extend_from_slice(&(group as u64).to_le_bytes());
        self.key.extend_from_slice(value);
        if !self.seen.contains(self.key.as_slice()) {
            self.entry_bytes += self.key.len();
            self.seen.insert(self.key.as_slice().into());
            if let Some(count) = self.counts.get_mut(group) {
                *count += 1;
            }
        }
    }

    fn add_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let Some(value) = values.first() else {
            return Ok(());
        };
        let rows = self
            .converter
            .convert_columns(std::slice::from_ref(value))?;
        for (row, &group) in group_indices.iter().enumerate() {
            let kept = filter.is_none_or(|f| f.is_valid(row) && f.value(row));
            if kept && value.is_valid(row) {
                self.add(group, rows.row(row).as_ref());
            }
        }
        Ok(())
    }

    fn grow(&mut self, groups: usize) {
        if self.counts.len() < groups {
            self.counts.resize(groups, 0);
        }
    }

    /// Takes the groups `emit_to` names: their counts and their values, in group order. The
    /// values of later groups stay, renumbered from 0.
    fn take(&mut self, emit_to: EmitTo) -> (Vec<i64>, Values) {
        let n = match emit_to {
            EmitTo::All => self.counts.len(),
            EmitTo::First(n) => n.min(self.counts.len()),
        };
        let counts: Vec<i64> = self.counts.drain(..n).collect();
        let mut taken: Values = vec![Vec::new(); n];
        let mut rest = HashSet::new();
        self.entry_bytes = 0;
        for entry in std::mem::take(&mut self.seen) {
            let Some((group, value)) = entry.split_at_checked(GROUP_BYTES) else {
                continue;
            };
            let group = group.try_into().map_or(0, u64::from_le_bytes) as usize;
            match taken.get_mut(group) {
                Some(values) => values.push(value.into()),
                None if n == 0 => {
                    self.entry_bytes += entry.len();
                    rest.insert(entry);
                }
                None => {
                    let mut renumbered = ((group - n) as u64).to_le_bytes().to_vec();
                    renumbered.extend_from_slice(value);
                    self.entry_bytes += renumbered.len();
                    rest.insert(renumbered.into_boxed_slice());
                }
            }
        }
        self.seen = rest;
        (counts, taken)
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
        let (counts, _) = self.take(emit_to);
        Ok(Arc::new(Int64Array::from(counts)))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (_, taken) = self.take(emit_to);
        let mut lists = ListBuilder::new(BinaryBuilder::new());
        for values in taken {
            for value in values {
                lists.values().append_value(value);
            }
            lists.append(true);
        }
        Ok(vec![Arc::new(lists.finish())])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let Some(lists) = values.first() else {
            return exec_err!("count(distinct): a partial state without its column");
        };
        let lists: &ListArray = lists.as_list();
        let entries = lists.values().as_binary::<i32>();
        let offsets = lists.value_offsets();
        for (row, &group) in group_indices.iter().enumerate() {
            if lists.is_null(row) {
                continue;
            }
            for entry in offsets[row] as usize..offsets[row + 1] as usize {
                self.add(group, entries.value(entry));
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
        let mut each_row = Groups::of(self.field.clone())?;
        let groups: Vec<usize> = (0..rows).collect();
        each_row.add_batch(values, &groups, opt_filter, rows)?;
        each_row.state(EmitTo::All)
    }

    fn size(&self) -> usize {
        // A set slot is a boxed slice's pointer and length and the table's control byte; the
        // entries' bytes are counted apart.
        self.seen.capacity() * (size_of::<Box<[u8]>>() + 1)
            + self.entry_bytes
            + self.key.capacity()
            + self.counts.capacity() * size_of::<i64>()
            + self.converter.size()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use crate::redshift::test_rows::{sessions_with, sorted_rows};

    /// Rows of `t(g, s, i, d, f, b, ts)`, split over several partitions by `UNION ALL` so
    /// partial states are traded and merged; every column repeats values within and across
    /// groups, and has NULLs.
    const TABLE: &str = "select * from (values
            (1, 'a', 1, 1.50, 0.5, true, timestamp '2024-05-01 06:00:00'),
            (1, 'a', 2, 1.50, 0.5, false, timestamp '2024-05-01 06:00:00'),
            (2, 'b', null, null, null, null, null),
            (1, null, 1, 2.25, 1.5, true, timestamp '2024-05-02 06:00:00')
        ) as p(g, s, i, d, f, b, ts)
        union all select * from (values
            (2, 'a', 3, 1.50, 2.5, true, timestamp '2024-05-01 06:00:00'),
            (3, null, null, null, null, null, null),
            (1, 'c', 1, 3.00, 0.5, false, timestamp '2024-05-03 06:00:00'),
            (2, 'b', 3, 1.50, 2.5, true, timestamp '2024-05-01 06:00:00')
        ) as q(g, s, i, d, f, b, ts)
        union all select * from (values
            (4, 'a ', 7, 1.5, 1.0, true, timestamp '2024-05-01 06:00:00'),
            (4, 'a', 7, 1.5, 1.0, true, timestamp '2024-05-01 06:00:00'),
            (1, 'a', 2, 1.50, 0.5, true, timestamp '2024-05-01 06:00:00'),
            (5, '', 9, 0, 0, false, timestamp '2024-05-04 06:00:00')
        ) as r(g, s, i, d, f, b, ts)";

    /// The columns counted: adding a case is adding a line.
    const COLUMNS: &[&str] = &["s", "i", "d", "f", "b", "ts", "s || cast(i as varchar)"];

    fn contexts() -> Vec<SessionContext> {
        sessions_with(super::count_distinct_udaf())
    }

    #[tokio::test]
    async fn count_distinct_answers_as_datafusions_does() {
        for ctx in contexts() {
            for column in COLUMNS {
                // Beside another aggregate (DataFusion's per-group path), alone (its rewrite
                // to a grouping), without groups, filtered, and over no rows at all.
                for shape in [
                    "select g, count(*), {f} from t group by g",
                    "select g, {f} from t group by g",
                    "select {f}, min(g) from t",
                    "select g, {f} filter (where i < 3), max(i) from t group by g",
                    "select {f}, count(*) from t where g > 99",
                ] {
                    let query = |call: String| {
                        format!("with t as ({TABLE}) {}", shape.replace("{f}", &call))
                    };
                    let expected =
                        sorted_rows(&ctx, &query(format!("count(distinct {column})"))).await;
                    let ours = query(format!("__rs_count_distinct({column})"));
                    assert_eq!(sorted_rows(&ctx, &ours).await, expected, "{ours}");
                }
            }
        }
    }
}
