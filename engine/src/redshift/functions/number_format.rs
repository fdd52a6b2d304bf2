//! `to_char(number, format)` with Redshift's numeric format strings: `9` (a digit, blank when
//! leading), `0` (a digit, zero when leading), `D` or `.` (the decimal point), `G` or `,`
//! (a group separator), `S` (the sign, where it stands), `MI` (a minus sign), `PR` (angle
//! brackets around a negative number), `L` or `$` (the currency symbol), `RN` (Roman
//! numerals) and `FM` (no padding). Without a sign element, a negative number has its minus
//! sign just before its first digit.

use datafusion::common::{Result, exec_err};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Part {
    Nine,
    Zero,
    Point,
    Group,
    Sign,
    Minus,
    Brackets,
    Currency,
    Roman,
    Fill,
    Literal(char),
}

fn parts(format: &str) -> Vec<Part> {
    let mut out = Vec::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        let two = rest.get(..2).map(str::to_ascii_uppercase);
        let (part, len) = match (two.as_deref(), c.to_ascii_uppercase()) {
            (Some("MI"), _) => (Part::Minus, 2),
            (Some("PR"), _) => (Part::Brackets, 2),
            (Some("RN"), _) => (Part::Roman, 2),
            (Some("FM"), _) => (Part::Fill, 2),
            (_, '9') => (Part::Nine, 1),
            (_, '0') => (Part::Zero, 1),
            (_, 'D' | '.') => (Part::Point, 1),
            (_, 'G' | ',') => (Part::Group, 1),
            (_, 'S') => (Part::Sign, 1),
            (_, 'L' | '$') => (Part::Currency, 1),
            _ => (Part::Literal(c), c.len_utf8()),
        };
        out.push(part);
        rest = &rest[len..];
    }
    out
}

fn roman(mut n: i64) -> String {
    const NUMERALS: [(i64, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, numeral) in NUMERALS {
        while n >= value {
            out.push_str(numeral);
            n -= value;
        }
    }
    out
}

/// The number's digits, rounded half away from zero to `frac` places: the integer digits,
/// the fraction digits, and whether it is negative.
fn digits(number: &str, frac: usize) -> Option<(String, String, bool)> {
    let t = number.trim();
    let negative = t.starts_with('-');
    let t = t.trim_start_matches(['-', '+']);
    let (int, fraction) = t.split_once('.').unwrap_or((t, ""));
    if !int
        .chars()
        .chain(fraction.chars())
        .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let mut all: Vec<u8> = int
        .bytes()
        .chain(fraction.bytes())
        .map(|b| b - b'0')
        .collect();
    let mut frac_digits: Vec<u8> = fraction.bytes().map(|b| b - b'0').collect();
    frac_digits.resize(frac.max(frac_digits.len()), 0);
    all.truncate(int.len());
    all.extend_from_slice(&frac_digits);
    let keep = int.len() + frac;
    let round_up = all.get(keep).is_some_and(|d| *d >= 5);
    all.truncate(keep);
    if round_up {
        let mut i = all.len();
        loop {
            if i == 0 {
                all.insert(0, 1);
                break;
            }
            i -= 1;
            if all[i] == 9 {
                all[i] = 0;
            } else {
                all[i] += 1;
                break;
            }
        }
    }
    let split = all.len() - frac;
    let text = |d: &[u8]| d.iter().map(|d| char::from(b'0' + d)).collect::<String>();
    let int_text = text(&all[..split]).trim_start_matches('0').to_string();
    Some((int_text, text(&all[split..]), negative))
}

/// `number` (as text) formatted by `format`.
pub fn format(number: &str, format: &str) -> Result<String> {
    let parts = parts(format);
    let fill = parts.contains(&Part::Fill);
    if parts.contains(&Part::Roman) {
        let Ok(n) = number.trim().parse::<f64>() else {
            return exec_err!("to_char: \"{number}\" is not a number");
        };
        let n = n.round() as i64;
        if !(1..=3999).contains(&n) {
            return Ok("#".repeat(15));
        }
        let r = roman(n);
        return Ok(if fill { r } else { format!("{r:>15}") });
    }
    let point = parts.iter().position(|p| *p == Part::Point);
    let is_digit = |p: &Part| matches!(p, Part::Nine | Part::Zero);
    let int_slots = parts
        .iter()
        .take(point.unwrap_or(parts.len()))
        .filter(|p| is_digit(p))
        .count();
    let frac_slots = point.map_or(0, |i| parts[i..].iter().filter(|p| is_digit(p)).count());
    let Some((int, frac, negative)) = digits(number, frac_slots) else {
        return exec_err!("to_char: \"{number}\" is not a number");
    };
    let negative = negative && (int.chars().chain(frac.chars()).any(|c| c != '0'));
    if int.len() > int_slots {
        // Too many digits for the format: Redshift fills every digit with `#`.
        return Ok(parts
            .iter()
            .map(|p| match p {
                Part::Nine | Part::Zero => '#',
                Part::Point => '.',
                _ => ' ',
            })
            .collect::<String>()
            .trim()
            .to_string());
    }
    let explicit_sign = parts
        .iter()
        .any(|p| matches!(p, Part::Sign | Part::Minus | Part::Brackets));
    let mut out = String::new();
    let mut int_digits = int.chars().rev().collect::<Vec<_>>();
    let mut frac_digits = frac.chars();
    let mut slot = 0;
    let mut started = false;
    let mut sign_placed = false;
    let first_digit_slot = int_slots - int.len();
    for (i, p) in parts.iter().enumerate() {
        let in_fraction = point.is_some_and(|pt| i > pt);
        match p {
            Part::Nine | Part::Zero if !in_fraction => {
                let leading = slot < first_digit_slot;
                if leading && *p == Part::Nine && !started {
                    if !fill {
                        out.push(' ');
                    }
                } else {
                    if !started && !explicit_sign && !sign_placed {
                        out.push(if negative {
                            '-'
                        } else if fill {
                            '\0'
                        } else {
                            ' '
                        });
                        sign_placed = true;
                    }
                    if parts.contains(&Part::Brackets) && !started && negative {
                        out.push('<');
                    }
                    started = true;
                    let d = if leading {
                        '0'
                    } else {
                        int_digits.pop().unwrap_or('0')
                    };
                    out.push(d);
                }
                slot += 1;
            }
            Part::Nine | Part::Zero => out.push(frac_digits.next().unwrap_or('0')),
            Part::Point => {
                if !started {
                    if !explicit_sign && !sign_placed {
                        out.push(if negative { '-' } else { ' ' });
                        sign_placed = true;
                    }
                    if parts.contains(&Part::Brackets) && negative {
                        out.push('<');
                    }
                    started = true;
                }
                out.push('.');
            }
            Part::Group => out.push(if started {
                ','
            } else if fill {
                '\0'
            } else {
                ' '
            }),
            Part::Sign => out.push(if negative { '-' } else { '+' }),
            Part::Minus => out.push(if negative { '-' } else { ' ' }),
            Part::Brackets => out.push(if negative { '>' } else { ' ' }),
            Part::Currency => out.push('$'),
            Part::Roman | Part::Fill => {}
            Part::Literal(c) => out.push(*c),
        }
    }
    int_digits.clear();
    Ok(out.replace('\0', ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_the_guide_shows() {
        assert_eq!(format("-125.8", "999D99S").unwrap(), "125.80-");
        assert_eq!(format("-125.88", "$S999D99").unwrap(), "$-125.88");
        assert_eq!(format("-125.88", "$999D99PR").unwrap(), "$<125.88>");
        assert_eq!(format("125", "RN").unwrap().trim(), "CXXV");
        assert_eq!(format("12454.8", "99G999D9").unwrap().trim(), "12,454.8");
        assert_eq!(format("5", "000").unwrap().trim(), "005");
        assert_eq!(format("0.5", "9.99").unwrap().trim(), ".50");
        assert_eq!(format("-5", "999").unwrap().trim(), "-5");
        assert_eq!(format("1234", "99").unwrap(), "##");
    }
}
