//! Redshift's DECIMAL rules where DataFusion's differ, planned through DataFusion's
//! extension points rather than by rewriting SQL text:
//! - division: DataFusion (following Spark) gives `p1 / p2` a scale of `max(6, s1 + p2 + 1)`;
//!   Redshift gives `max(4, s1 + p2 - s2 + 1)` and precision `p1 - s1 + s2 + scale`, so
//!   `1.00::decimal(8,2) / 4.00::decimal(8,2)` is `0.250000000`. An [`ExprPlanner`] sees the
//!   operands' types while the query is planned and calls [`DIVIDE`] instead;
//! - an integer operand counts as DECIMAL(5,0), (10,0) or (19,0) by its width, an integer
//!   literal being an INTEGER;
//! - SUM and AVG of a DECIMAL are DECIMAL(38, s): the rewrite wraps them in [`AT_TYPE`]
//!   calls that fix the type the rest of the plan sees.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Decimal128Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, i256};
use datafusion::common::{DFSchema, Result, ScalarValue, exec_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::sql::sqlparser::ast::BinaryOperator;

/// The name of the division UDF.
pub const DIVIDE: &str = "__rs_decimal_divide";
/// The name of the UDF that casts an aggregate to the DECIMAL type Redshift gives it.
pub const AT_TYPE: &str = "__rs_decimal_aggregate";

const MAX_PRECISION: u8 = 38;

/// The DECIMAL an operand counts as in arithmetic with a DECIMAL, if it is a number that has
/// one.
fn as_decimal(expr: &Expr, t: &DataType) -> Option<(u8, i8)> {
    match t {
        DataType::Decimal128(p, s) => Some((*p, *s)),
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => Some((5, 0)),
        DataType::Int32 | DataType::UInt16 => Some((10, 0)),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => {
            let small_literal = matches!(
                expr,
                Expr::Literal(ScalarValue::Int64(Some(n)), _) if i32::try_from(*n).is_ok()
            );
            Some(if small_literal { (10, 0) } else { (19, 0) })
        }
        _ => None,
    }
}

/// Redshift's precision and scale for `(p1, s1) / (p2, s2)`.
pub fn division_type((p1, s1): (u8, i8), (p2, s2): (u8, i8)) -> (u8, i8) {
    let (p1, s1, p2, s2) = (i32::from(p1), i32::from(s1), i32::from(p2), i32::from(s2));
    let mut scale = 4.max(s1 + p2 - s2 + 1);
    let mut precision = p1 - s1 + s2 + scale;
    let max = i32::from(MAX_PRECISION);
    if precision > max {
        scale = (max + scale - precision).max(4);
        precision = max;
    }
    (
        u8::try_from(precision).unwrap_or(MAX_PRECISION),
        i8::try_from(scale.min(max)).unwrap_or(4),
    )
}

/// Plans `a / b` with Redshift's DECIMAL rule when either side is a DECIMAL.
#[derive(Debug)]
pub struct DecimalPlanner;

impl ExprPlanner for DecimalPlanner {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawBinaryExpr>> {
        if !matches!(expr.op, BinaryOperator::Divide) {
            return Ok(PlannerResult::Original(expr));
        }
        let (Ok(lt), Ok(rt)) = (expr.left.get_type(schema), expr.right.get_type(schema)) else {
            return Ok(PlannerResult::Original(expr));
        };
        if !matches!(lt, DataType::Decimal128(..)) && !matches!(rt, DataType::Decimal128(..)) {
            return Ok(PlannerResult::Original(expr));
        }
        let (Some((p1, s1)), Some((p2, s2))) =
            (as_decimal(&expr.left, &lt), as_decimal(&expr.right, &rt))
        else {
            return Ok(PlannerResult::Original(expr));
        };
        let operand = |e: Expr, p: u8, s: i8| e.cast_to(&DataType::Decimal128(p, s), schema);
        let left = operand(expr.left, p1, s1)?;
        let right = operand(expr.right, p2, s2)?;
        Ok(PlannerResult::Planned(Expr::ScalarFunction(
            ScalarFunction::new_udf(Arc::new(divide_udf()), vec![left, right]),
        )))
    }
}

pub fn divide_udf() -> ScalarUDF {
    ScalarUDF::from(DecimalDivide {
        signature: Signature::any(2, Volatility::Immutable),
    })
}

pub fn aggregate_udf() -> ScalarUDF {
    ScalarUDF::from(DecimalAggregate {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct DecimalDivide {
    signature: Signature,
}

impl ScalarUDFImpl for DecimalDivide {
    fn name(&self) -> &str {
        DIVIDE
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, t: &[DataType]) -> Result<DataType> {
        match t {
            [DataType::Decimal128(p1, s1), DataType::Decimal128(p2, s2)] => {
                let (p, s) = division_type((*p1, *s1), (*p2, *s2));
                Ok(DataType::Decimal128(p, s))
            }
            _ => exec_err!("{DIVIDE} takes two DECIMALs"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let (DataType::Decimal128(_, s1), DataType::Decimal128(_, s2)) =
            (arrays[0].data_type().clone(), arrays[1].data_type().clone())
        else {
            return exec_err!("{DIVIDE} takes two DECIMALs");
        };
        let DataType::Decimal128(p, s) = args.return_type().clone() else {
            return exec_err!("{DIVIDE} returns a DECIMAL");
        };
        let (Some(l), Some(r)) = (
            arrays[0].as_any().downcast_ref::<Decimal128Array>(),
            arrays[1].as_any().downcast_ref::<Decimal128Array>(),
        ) else {
            return exec_err!("{DIVIDE} takes two DECIMALs");
        };
        let shift = i32::from(s) - i32::from(s1) + i32::from(s2);
        let factor = i256::from_i128(10).wrapping_pow(u32::try_from(shift).unwrap_or(0));
        let limit = i256::from_i128(10).wrapping_pow(u32::from(p));
        let mut out = Vec::with_capacity(l.len());
        for i in 0..l.len() {
            if l.is_null(i) || r.is_null(i) {
                out.push(None);
                continue;
            }
            let d = i256::from_i128(r.value(i));
            if d == i256::ZERO {
                return exec_err!("division by zero");
            }
            let num = i256::from_i128(l.value(i)).wrapping_mul(factor);
            let q = num.wrapping_div(d);
            let rem = num.wrapping_rem(d);
            // Half away from zero, as Redshift rounds a quotient to the result's scale.
            let twice = rem.wrapping_abs().wrapping_mul(i256::from_i128(2));
            let q = if twice >= d.wrapping_abs() {
                if (num < i256::ZERO) == (d < i256::ZERO) {
                    q.wrapping_add(i256::ONE)
                } else {
                    q.wrapping_sub(i256::ONE)
                }
            } else {
                q
            };
            if q.wrapping_abs() >= limit {
                return exec_err!("Numeric data overflow (result precision)");
            }
            out.push(q.to_i128());
        }
        let result = Decimal128Array::from(out).with_precision_and_scale(p, s)?;
        let array: ArrayRef = Arc::new(result);
        if all_scalar {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &array, 0,
            )?));
        }
        Ok(ColumnarValue::Array(array))
    }
}

/// SUM and AVG of a DECIMAL(p, s) are DECIMAL(38, s) in Redshift; other types pass through.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DecimalAggregate {
    signature: Signature,
}

impl ScalarUDFImpl for DecimalAggregate {
    fn name(&self) -> &str {
        AT_TYPE
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, t: &[DataType]) -> Result<DataType> {
        Ok(match t.first() {
            Some(DataType::Decimal128(_, s)) => DataType::Decimal128(MAX_PRECISION, *s),
            Some(other) => other.clone(),
            None => return exec_err!("{AT_TYPE} takes one argument"),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let target = args.return_type().clone();
        match &args.args[0] {
            ColumnarValue::Array(a) => Ok(ColumnarValue::Array(cast(a, &target)?)),
            ColumnarValue::Scalar(s) => Ok(ColumnarValue::Scalar(s.cast_to(&target)?)),
        }
    }
}

/// The name of the UDF that rounds a number about to become an integer.
pub const ROUND_FOR_INTEGER: &str = "__rs_round_for_integer";

/// A DECIMAL or float about to be cast to an integer, rounded half away from zero first:
/// Redshift rounds (`1.5::int` is 2) where DataFusion's cast truncates. Other values pass
/// through.
pub fn round_for_integer_udf() -> ScalarUDF {
    ScalarUDF::from(RoundForInteger {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct RoundForInteger {
    signature: Signature,
}

impl ScalarUDFImpl for RoundForInteger {
    fn name(&self) -> &str {
        ROUND_FOR_INTEGER
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, t: &[DataType]) -> Result<DataType> {
        match t.first() {
            Some(t) => Ok(t.clone()),
            None => exec_err!("{ROUND_FOR_INTEGER} takes one argument"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use datafusion::arrow::array::{Float32Array, Float64Array};
        use datafusion::arrow::compute::kernels::arity::unary;
        let arg = &args.args[0];
        let t = arg.data_type();
        if !matches!(
            t,
            DataType::Decimal128(..) | DataType::Float64 | DataType::Float32
        ) {
            return Ok(arg.clone());
        }
        let scalar = matches!(arg, ColumnarValue::Scalar(_));
        let array = arg.to_array(args.number_rows.max(1))?;
        let rounded: ArrayRef = match &t {
            DataType::Decimal128(p, s) => {
                let Some(a) = array.as_any().downcast_ref::<Decimal128Array>() else {
                    return exec_err!("{ROUND_FOR_INTEGER}: not a DECIMAL");
                };
                let unit = 10i128.pow(u32::try_from(*s).unwrap_or(0));
                let half = unit / 2;
                let out: Decimal128Array = unary(a, |v| {
                    let whole = (v.abs() + half) / unit * unit;
                    if v < 0 { -whole } else { whole }
                });
                Arc::new(out.with_precision_and_scale(*p, *s)?)
            }
            DataType::Float64 => {
                let Some(a) = array.as_any().downcast_ref::<Float64Array>() else {
                    return exec_err!("{ROUND_FOR_INTEGER}: not a float");
                };
                Arc::new(unary::<_, _, datafusion::arrow::datatypes::Float64Type>(
                    a,
                    f64::round,
                ))
            }
            _ => {
                let Some(a) = array.as_any().downcast_ref::<Float32Array>() else {
                    return exec_err!("{ROUND_FOR_INTEGER}: not a float");
                };
                Arc::new(unary::<_, _, datafusion::arrow::datatypes::Float32Type>(
                    a,
                    f32::round,
                ))
            }
        };
        if scalar {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &rounded, 0,
            )?));
        }
        Ok(ColumnarValue::Array(rounded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_follows_redshifts_formula() {
        // The guide's own: DECIMAL(8,2) / DECIMAL(8,2) is DECIMAL(17,9).
        assert_eq!(division_type((8, 2), (8, 2)), (17, 9));
        assert_eq!(division_type((38, 10), (38, 10)), (38, 4));
    }
}
