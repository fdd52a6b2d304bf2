//! The engine's grouped aggregates (`listagg`, `count_distinct`) without `GROUP BY`: one
//! group, read through DataFusion's plain `Accumulator`.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

/// A grouped accumulator holding the single group 0.
#[derive(Debug)]
pub(crate) struct OneGroup<G>(pub G);

impl<G: GroupsAccumulator> OneGroup<G> {
    /// Makes group 0 exist even when no row came, so that there is a value to read (NULL,
    /// 0, an empty list: whatever the aggregate gives a group without rows).
    fn ensure_group(&mut self) -> Result<()> {
        self.0.update_batch(&[], &[], None, 1)
    }
}

impl<G: GroupsAccumulator + std::fmt::Debug + Sync> Accumulator for OneGroup<G> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = values.first().map_or(0, |v| v.len());
        self.0.update_batch(values, &vec![0; rows], None, 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.ensure_group()?;
        let out = self.0.evaluate(EmitTo::All)?;
        ScalarValue::try_from_array(&out, 0)
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.0.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.ensure_group()?;
        self.0
            .state(EmitTo::All)?
            .iter()
            .map(|a| ScalarValue::try_from_array(a, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let rows = states.first().map_or(0, |v| v.len());
        self.0.merge_batch(states, &vec![0; rows], 1)
    }
}
