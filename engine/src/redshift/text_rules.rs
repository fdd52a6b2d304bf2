//! Redshift's rules for text that DataFusion does not share, planned through DataFusion's
//! extension points:
//! - comparisons ignore trailing blanks (`'a ' = 'a'` is true, for VARCHAR as for CHAR):
//!   an [`ExprPlanner`] sees both operands' types while a query is planned and compares
//!   them with the blanks cut off; LIKE, which Redshift documents as not ignoring them,
//!   is left alone;
//! - a value given where text is expected is converted as Redshift prints it: `__rs_as_text`
//!   passes text through and prints anything else the Redshift way (`2008-03-05 12:25:29`
//!   for a timestamp, where DataFusion's cast writes an ISO `T`);
//! - `SIMILAR TO` is SQL's regular expression (`%`, `_`, and a literal `.`), matched against
//!   the whole string.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, ArrayRef, BooleanBuilder, Int64Builder, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, Result, ScalarValue, exec_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::sql::sqlparser::ast::BinaryOperator;
use regex::Regex;

use super::functions::{ColumnUdf, printed, to_text};

pub const AS_TEXT: &str = "__rs_as_text";
pub const RTRIM_TEXT: &str = "__rs_rtrim_text";
pub const SIMILAR_TO: &str = "__rs_similar_to";

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::Utf8View)
}

/// Compares text operands with their trailing blanks cut off.
#[derive(Debug)]
pub struct TrailingBlanksPlanner;

impl ExprPlanner for TrailingBlanksPlanner {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawBinaryExpr>> {
        let comparison = matches!(
            expr.op,
            BinaryOperator::Eq
                | BinaryOperator::NotEq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq
        );
        if !comparison {
            return Ok(PlannerResult::Original(expr));
        }
        let (Ok(lt), Ok(rt)) = (expr.left.get_type(schema), expr.right.get_type(schema)) else {
            return Ok(PlannerResult::Original(expr));
        };
        if !(is_text(&lt) && is_text(&rt)) {
            return Ok(PlannerResult::Original(expr));
        }
        let trim =
            |e: Expr| Expr::ScalarFunction(ScalarFunction::new_udf(Arc::new(rtrim_udf()), vec![e]));
        Ok(PlannerResult::Original(RawBinaryExpr {
            op: expr.op,
            left: trim(expr.left),
            right: trim(expr.right),
        }))
    }
}

/// Text with its trailing blanks cut off; any other value unchanged.
pub fn rtrim_udf() -> ScalarUDF {
    ScalarUDF::from(TextUdf {
        name: RTRIM_TEXT,
        signature: Signature::any(1, Volatility::Immutable),
    })
}

/// Text unchanged; any other value as Redshift prints it.
pub fn as_text_udf() -> ScalarUDF {
    ScalarUDF::from(TextUdf {
        name: AS_TEXT,
        signature: Signature::any(1, Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct TextUdf {
    name: &'static str,
    signature: Signature,
}

impl ScalarUDFImpl for TextUdf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, t: &[DataType]) -> Result<DataType> {
        match (self.name, t.first()) {
            (_, Some(t)) if is_text(t) || *t == DataType::LargeUtf8 => Ok(t.clone()),
            (RTRIM_TEXT, Some(t)) => Ok(t.clone()),
            (_, Some(_)) => Ok(DataType::Utf8),
            (_, None) => exec_err!("{} takes one argument", self.name),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arg = &args.args[0];
        let t = arg.data_type();
        if self.name == RTRIM_TEXT {
            if !is_text(&t) {
                return Ok(arg.clone());
            }
            return match arg {
                ColumnarValue::Scalar(s) => Ok(ColumnarValue::Scalar(match s {
                    ScalarValue::Utf8(v) => {
                        ScalarValue::Utf8(v.as_ref().map(|v| v.trim_end_matches(' ').to_string()))
                    }
                    ScalarValue::Utf8View(v) => ScalarValue::Utf8View(
                        v.as_ref().map(|v| v.trim_end_matches(' ').to_string()),
                    ),
                    other => other.clone(),
                })),
                ColumnarValue::Array(a) => {
                    let strings = datafusion::arrow::compute::cast(a, &DataType::Utf8)?;
                    let Some(strings) = strings.as_any().downcast_ref::<StringArray>() else {
                        return exec_err!("{RTRIM_TEXT}: not text");
                    };
                    let out: StringArray = strings
                        .iter()
                        .map(|v| v.map(|v| v.trim_end_matches(' ')))
                        .collect();
                    let out: ArrayRef = Arc::new(out);
                    Ok(ColumnarValue::Array(datafusion::arrow::compute::cast(
                        &out, &t,
                    )?))
                }
            };
        }
        if is_text(&t) || t == DataType::LargeUtf8 {
            return Ok(arg.clone());
        }
        match arg {
            ColumnarValue::Scalar(s) => Ok(ColumnarValue::Scalar(ScalarValue::Utf8(to_text(s)?))),
            ColumnarValue::Array(a) => {
                let out: ArrayRef = Arc::new(printed(a)?);
                Ok(ColumnarValue::Array(out))
            }
        }
    }
}

/// SQL's regular expression as a regex anchored at both ends: `%` is any text, `_` any
/// character, `.`, `^` and `$` stand for themselves, and `escape` makes the next character
/// literal.
pub fn similar_to_regex(pattern: &str, escape: Option<char>) -> String {
    let mut out = String::from("^(?:");
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            if let Some(next) = chars.next() {
                out.push_str(&regex::escape(&next.to_string()));
            }
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
            out.push(c);
            continue;
        }
        match c {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            '.' | '^' | '$' => out.push_str(&regex::escape(&c.to_string())),
            '[' => {
                in_class = true;
                out.push(c);
            }
            other => out.push(other),
        }
    }
    out.push_str(")$");
    out
}

/// Compiled SIMILAR TO patterns, by pattern and escape character.
type PatternCache = Mutex<HashMap<(String, Option<char>), Arc<Regex>>>;

pub fn similar_to_udf() -> ScalarUDF {
    let cache: Arc<PatternCache> = Arc::default();
    ColumnUdf::udf(SIMILAR_TO, 2..=3, DataType::Boolean, move |a| {
        // Redshift's default escape is the backslash; an empty escape means none.
        let escapes = if a.len() > 2 {
            a.each_text(2, |e| Ok(e.chars().next()))?
        } else {
            vec![Some(Some('\\')); a.rows()]
        };
        let mut out = BooleanBuilder::with_capacity(a.rows());
        for (row, escape) in escapes.into_iter().enumerate() {
            let (Some(s), Some(p)) = (a.text(0, row), a.text(1, row)) else {
                out.append_null();
                continue;
            };
            let re = similar_to_pattern(&cache, &p, escape.flatten())?;
            out.append_value(re.is_match(&s));
        }
        Ok(Arc::new(out.finish()) as ArrayRef)
    })
}

/// The regex for a SIMILAR TO pattern, compiled once per pattern and escape.
fn similar_to_pattern(
    cache: &PatternCache,
    pattern: &str,
    escape: Option<char>,
) -> Result<Arc<Regex>> {
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    let key = (pattern.to_string(), escape);
    if let Some(re) = cache.get(&key) {
        return Ok(re.clone());
    }
    match Regex::new(&similar_to_regex(pattern, escape)) {
        Ok(re) => {
            let re = Arc::new(re);
            cache.insert(key, re.clone());
            Ok(re)
        }
        Err(e) => exec_err!("invalid SIMILAR TO pattern \"{pattern}\": {e}"),
    }
}

/// `bpcharcmp(a, b)`: -1, 0 or 1 as `a` sorts before, with or after `b`, trailing blanks
/// ignored.
pub fn bpcharcmp_udf() -> ScalarUDF {
    ColumnUdf::udf("bpcharcmp", 2..=2, DataType::Int64, |a| {
        let mut out = Int64Builder::with_capacity(a.rows());
        for row in 0..a.rows() {
            out.append_option(match (a.text(0, row), a.text(1, row)) {
                (Some(x), Some(y)) => Some(super::functions::comparison(
                    x.trim_end_matches(' ').cmp(y.trim_end_matches(' ')),
                )),
                _ => None,
            });
        }
        Ok(Arc::new(out.finish()) as ArrayRef)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_to_patterns_become_anchored_regexes() {
        assert_eq!(similar_to_regex("_b_", Some('\\')), "^(?:.b.)$");
        assert_eq!(similar_to_regex("%(b|d)%", Some('\\')), "^(?:.*(b|d).*)$");
        assert_eq!(
            similar_to_regex("$[0-9]+(.[0-9][0-9])?", Some('\\')),
            "^(?:\\$[0-9]+(\\.[0-9][0-9])?)$"
        );
        assert_eq!(similar_to_regex("%start^_%", Some('^')), "^(?:.*start_.*)$");
    }
}
