//! Redshift's functions on text that DataFusion has no counterpart for: hashes
//! (`fnv_hash`, `crc32`), `soundex` and `difference`, number parsing (`strtol`,
//! `to_number`, `text_to_int_alt`, `text_to_numeric_alt`), quoting, and `interval_cmp`.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, Int64Builder, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int16Type, Int32Type, Int64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::ScalarUDF;

use super::columns::{Args, ColumnUdf, cast_strictly};
use super::{int, text};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a over `bytes`, continuing from `seed`.
fn fnv1a(bytes: &[u8], seed: u64) -> u64 {
    bytes
        .iter()
        .fold(seed, |h, b| (h ^ u64::from(*b)).wrapping_mul(FNV_PRIME))
}

/// `fnv_hash(value [, seed])` over the bytes Redshift hashes: a number's little-endian binary
/// form at its own width, a boolean as one byte, text's UTF-8.
fn fnv_hash(a: &Args) -> Result<ArrayRef> {
    let column = a.column(0)?;
    let mut out = Int64Builder::with_capacity(a.rows());
    for row in 0..a.rows() {
        let seed = if a.len() > 1 {
            match a.int(1, row)? {
                Some(s) => s.cast_unsigned(),
                None => {
                    out.append_null();
                    continue;
                }
            }
        } else {
            FNV_OFFSET
        };
        if column.is_null(row) {
            out.append_null();
            continue;
        }
        let hash = match column.data_type() {
            DataType::Int16 => fnv1a(
                &column.as_primitive::<Int16Type>().value(row).to_le_bytes(),
                seed,
            ),
            DataType::Int32 => fnv1a(
                &column.as_primitive::<Int32Type>().value(row).to_le_bytes(),
                seed,
            ),
            DataType::Int64 => fnv1a(
                &column.as_primitive::<Int64Type>().value(row).to_le_bytes(),
                seed,
            ),
            DataType::Float64 => fnv1a(
                &column
                    .as_primitive::<Float64Type>()
                    .value(row)
                    .to_le_bytes(),
                seed,
            ),
            DataType::Boolean => fnv1a(&[u8::from(column.as_boolean().value(row))], seed),
            _ => match a.text(0, row) {
                Some(s) => fnv1a(s.as_bytes(), seed),
                None => return exec_err!("fnv_hash cannot hash {}", a.value(0, row)?),
            },
        };
        out.append_value(hash.cast_signed());
    }
    Ok(Arc::new(out.finish()))
}

/// Redshift's CRC32 is the Castagnoli polynomial (CRC-32C), printed as lower-case hex.
fn crc32(a: &Args) -> Result<ArrayRef> {
    const CASTAGNOLI: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);
    let mut out = StringBuilder::with_capacity(a.rows(), 0);
    for row in 0..a.rows() {
        out.append_option(
            a.text(0, row)
                .map(|s| format!("{:08x}", CASTAGNOLI.checksum(s.as_bytes()))),
        );
    }
    Ok(Arc::new(out.finish()))
}

/// `sha2(text, bits)`: SHA-224, -256, -384 or -512 (0 is 256) as lower-case hex.
fn sha2(a: &Args) -> Result<ArrayRef> {
    use sha2::Digest;
    let mut out = StringBuilder::with_capacity(a.rows(), 0);
    for row in 0..a.rows() {
        let (Some(s), Some(bits)) = (a.text(0, row), a.int(1, row)?) else {
            out.append_null();
            continue;
        };
        let bytes: Vec<u8> = match bits {
            0 | 256 => sha2::Sha256::digest(s.as_bytes()).to_vec(),
            224 => sha2::Sha224::digest(s.as_bytes()).to_vec(),
            384 => sha2::Sha384::digest(s.as_bytes()).to_vec(),
            512 => sha2::Sha512::digest(s.as_bytes()).to_vec(),
            // The guide: an invalid number of bits gives an empty string.
            _ => Vec::new(),
        };
        out.append_value(hex::encode(bytes));
    }
    Ok(Arc::new(out.finish()))
}

/// American Soundex: the first letter, then up to three digits for the consonants that
/// follow; anything that is not an ASCII letter is skipped.
fn soundex(s: &str) -> String {
    let code = |c: char| match c.to_ascii_lowercase() {
        'b' | 'f' | 'p' | 'v' => Some('1'),
        'c' | 'g' | 'j' | 'k' | 'q' | 's' | 'x' | 'z' => Some('2'),
        'd' | 't' => Some('3'),
        'l' => Some('4'),
        'm' | 'n' => Some('5'),
        'r' => Some('6'),
        _ => None,
    };
    let mut letters = s.chars().filter(char::is_ascii_alphabetic);
    let Some(first) = letters.next() else {
        return String::new();
    };
    let mut out = String::from(first.to_ascii_uppercase());
    let mut last = code(first);
    for c in letters {
        if out.len() == 4 {
            break;
        }
        let d = code(c);
        match (d, c.to_ascii_lowercase()) {
            // H and W do not separate two consonants of the same code.
            (None, 'h' | 'w') => continue,
            (None, _) => last = None,
            (Some(d), _) if Some(d) != last => {
                out.push(d);
                last = Some(d);
            }
            _ => {}
        }
    }
    while out.len() < 4 {
        out.push('0');
    }
    out
}

fn difference(a: &str, b: &str) -> i64 {
    let (sa, sb) = (soundex(a), soundex(b));
    if sa.is_empty() || sb.is_empty() {
        return 0;
    }
    let same = sa.chars().zip(sb.chars()).filter(|(x, y)| x == y).count();
    i64::try_from(same).unwrap_or(0)
}

fn strtol(a: &Args) -> Result<ArrayRef> {
    let mut out = Int64Builder::with_capacity(a.rows());
    for row in 0..a.rows() {
        let (Some(s), Some(base)) = (a.text(0, row), a.int(1, row)?) else {
            out.append_null();
            continue;
        };
        let Some(radix) = u32::try_from(base).ok().filter(|r| (2..=36).contains(r)) else {
            return exec_err!("strtol: base {base} is not between 2 and 36");
        };
        let t = s.trim();
        let (negative, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let digits = if radix == 16 {
            digits
                .strip_prefix("0x")
                .or_else(|| digits.strip_prefix("0X"))
                .unwrap_or(digits)
        } else {
            digits
        };
        match i64::from_str_radix(digits, radix) {
            Ok(n) => out.append_value(if negative { -n } else { n }),
            Err(_) => return exec_err!("strtol: \"{s}\" is not a number in base {base}"),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// A number written with an optional sign before or after it (`123-`, `2147483647+`) and an
/// optional exponent (`-123E-2`), as Teradata writes them.
fn alt_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let (negative, body) = if let Some(rest) = t.strip_suffix('-') {
        (true, rest)
    } else if let Some(rest) = t.strip_suffix('+') {
        (false, rest)
    } else {
        (false, t)
    };
    let n: f64 = body.trim().parse().ok()?;
    Some(if negative { -n } else { n })
}

/// Rounds half away from zero to `scale` digits, on the decimal text rather than the float,
/// so that `2.5` is `3` and `123.52501` at scale 2 is `123.53`.
fn round_text(n: f64, scale: u32) -> String {
    let factor = 10f64.powi(i32::try_from(scale).unwrap_or(0));
    let r = (n * factor).round() / factor;
    format!("{r:.prec$}", prec = scale as usize)
}

/// `text_to_numeric_alt(text [, precision, scale])`: the number rounded half away from zero
/// to the scale, then read as a DECIMAL of the result type.
fn text_to_numeric_alt(a: &Args, return_type: &DataType) -> Result<ArrayRef> {
    let mut digits = StringBuilder::with_capacity(a.rows(), 0);
    for row in 0..a.rows() {
        let Some(s) = a.text(0, row) else {
            digits.append_null();
            continue;
        };
        let scale = a.int(2, row)?.unwrap_or(0);
        if !(0..=37).contains(&scale) {
            return exec_err!("text_to_numeric_alt: scale {scale} is not between 0 and 37");
        }
        let Some(n) = alt_number(&s) else {
            return exec_err!("text_to_numeric_alt: \"{s}\" is not a number");
        };
        digits.append_value(round_text(n, u32::try_from(scale).unwrap_or(0)));
    }
    let digits: ArrayRef = Arc::new(digits.finish());
    cast_strictly(&digits, return_type)
}

/// `to_number(text, format)`: the digits `9` and `0`, `D` or `.` for the decimal point, `G`
/// or `,` between groups, `S`/`MI` for a sign, `PR` for angle brackets around a negative
/// number, `L`/`$` for a currency symbol.
fn to_number(input: &str, format: &str) -> Option<String> {
    let upper = format.to_ascii_uppercase();
    let mut t: String = input
        .trim()
        .chars()
        .filter(|c| *c != '$' && *c != ' ')
        .collect();
    let mut negative = false;
    if upper.contains("PR") && t.starts_with('<') && t.ends_with('>') {
        negative = true;
        t = t[1..t.len() - 1].to_string();
    }
    let mut digits = String::new();
    for c in t.chars() {
        match c {
            '0'..='9' | '.' => digits.push(c),
            '-' => negative = true,
            ',' | ' ' | '$' | '+' => {}
            c if !c.is_alphanumeric() => {}
            _ => return None,
        }
    }
    if digits.is_empty() {
        return None;
    }
    Some(if negative {
        format!("-{digits}")
    } else {
        digits
    })
}

/// The scale a `to_number` format gives: the digits after its decimal point.
fn format_scale(format: &str) -> i8 {
    let upper = format.to_ascii_uppercase();
    match upper.find(['D', '.']) {
        Some(i) => {
            let n = upper[i + 1..]
                .chars()
                .filter(|c| matches!(c, '9' | '0'))
                .count();
            i8::try_from(n).unwrap_or(0)
        }
        None => 0,
    }
}

/// An interval's text as microseconds, a month being 30 days, as Redshift compares them.
fn interval_micros(s: &str) -> Option<i128> {
    let mut total: f64 = 0.0;
    let words: Vec<&str> = s.split([',', ' ']).filter(|w| !w.is_empty()).collect();
    let mut i = 0;
    while i < words.len() {
        let n: f64 = words[i].parse().ok()?;
        let unit = words.get(i + 1).copied().unwrap_or("seconds");
        let day = 86_400.0;
        let seconds = match unit.to_ascii_lowercase().trim_end_matches('s') {
            "year" | "yr" | "y" => 360.0 * day,
            "month" | "mon" => 30.0 * day,
            "week" | "w" => 7.0 * day,
            "day" | "d" => day,
            "hour" | "hr" | "h" => 3_600.0,
            "minute" | "min" | "m" => 60.0,
            "second" | "sec" | "" => 1.0,
            _ => return None,
        };
        total += n * seconds;
        i += 2;
    }
    Some((total * 1e6).round() as i128)
}

pub(super) fn udfs() -> Vec<ScalarUDF> {
    vec![
        ColumnUdf::udf("fnv_hash", 1..=2, DataType::Int64, fnv_hash),
        ColumnUdf::udf("crc32", 1..=1, DataType::Utf8, crc32),
        ColumnUdf::udf("soundex", 1..=1, DataType::Utf8, |a| {
            let mut out = StringBuilder::with_capacity(a.rows(), 0);
            for row in 0..a.rows() {
                out.append_option(a.text(0, row).map(|s| soundex(&s)));
            }
            Ok(Arc::new(out.finish()) as ArrayRef)
        }),
        ColumnUdf::udf("difference", 2..=2, DataType::Int64, |a| {
            let mut out = Int64Builder::with_capacity(a.rows());
            for row in 0..a.rows() {
                out.append_option(match (a.text(0, row), a.text(1, row)) {
                    (Some(x), Some(y)) => Some(difference(&x, &y)),
                    _ => None,
                });
            }
            Ok(Arc::new(out.finish()) as ArrayRef)
        }),
        ColumnUdf::udf("strtol", 2..=2, DataType::Int64, strtol),
        ColumnUdf::udf("sha2", 2..=2, DataType::Utf8, sha2),
        ColumnUdf::udf("text_to_int_alt", 1..=2, DataType::Int64, |a| {
            let numbers = a.each_text(0, |s| match alt_number(s) {
                Some(n) => Ok(n.round() as i64),
                None => exec_err!("text_to_int_alt: \"{s}\" is not a number"),
            })?;
            Ok(Arc::new(Int64Array::from(numbers)))
        }),
        ColumnUdf::with_literals(
            "text_to_numeric_alt",
            1..=3,
            |_, lit| {
                let at = |i: usize| {
                    lit.get(i)
                        .copied()
                        .flatten()
                        .and_then(|v| int(v).ok().flatten())
                };
                let precision = u8::try_from(at(1).unwrap_or(18)).unwrap_or(18);
                let scale = i8::try_from(at(2).unwrap_or(0)).unwrap_or(0);
                Ok(DataType::Decimal128(precision, scale))
            },
            text_to_numeric_alt,
        ),
        ColumnUdf::with_literals(
            "to_number",
            2..=2,
            |_, lit| {
                let scale = lit
                    .get(1)
                    .copied()
                    .flatten()
                    .and_then(text)
                    .map_or(0, |f| format_scale(&f));
                Ok(DataType::Decimal128(38, scale))
            },
            |a, return_type| {
                let mut digits = StringBuilder::with_capacity(a.rows(), 0);
                for row in 0..a.rows() {
                    let (Some(s), Some(f)) = (a.text(0, row), a.text(1, row)) else {
                        digits.append_null();
                        continue;
                    };
                    match to_number(&s, &f) {
                        Some(n) => digits.append_value(n),
                        None => {
                            return exec_err!(
                                "to_number: \"{s}\" does not match the format \"{f}\""
                            );
                        }
                    }
                }
                let digits: ArrayRef = Arc::new(digits.finish());
                cast_strictly(&digits, return_type)
            },
        ),
        ColumnUdf::udf("quote_ident", 1..=1, DataType::Utf8, |a| {
            let quoted = a.each_text(0, |s| Ok(format!("\"{}\"", s.replace('"', "\"\""))))?;
            Ok(Arc::new(StringArray::from(quoted)))
        }),
        ColumnUdf::udf("quote_literal", 1..=1, DataType::Utf8, |a| {
            let quoted = a.each_text(0, |s| Ok(format!("'{}'", s.replace('\'', "''"))))?;
            Ok(Arc::new(StringArray::from(quoted)))
        }),
        ColumnUdf::udf("interval_cmp", 2..=2, DataType::Int64, |a| {
            let mut out = Int64Builder::with_capacity(a.rows());
            for row in 0..a.rows() {
                let (Some(x), Some(y)) = (a.text(0, row), a.text(1, row)) else {
                    out.append_null();
                    continue;
                };
                let (Some(x), Some(y)) = (interval_micros(&x), interval_micros(&y)) else {
                    return exec_err!("interval_cmp: an argument is not an interval");
                };
                out.append_value(super::comparison(x.cmp(&y)));
            }
            Ok(Arc::new(out.finish()))
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soundex_codes_as_redshift_documents() {
        assert_eq!(soundex("AWS Amazon"), "A252");
        assert_eq!(soundex("Amazon"), "A525");
        assert_eq!(soundex("+-*/%"), "");
        assert_eq!(difference("AC/DC", "Ay See Dee See"), 4);
    }

    #[test]
    fn numbers_with_trailing_signs() {
        assert_eq!(alt_number("123-"), Some(-123.0));
        assert_eq!(round_text(2.51, 0), "3");
        assert_eq!(
            to_number("$<125.88>", "$999D99PR").as_deref(),
            Some("-125.88")
        );
    }
}
