//! A small profile of a result column (nulls, distinct values, range, and a histogram). The
//! worker profiles every value of the column, not the rows the page holds.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub nulls: usize,
    pub distinct: usize,
    pub min: Option<String>,
    pub max: Option<String>,
    /// Bars of the histogram: a label and a count. Numbers get equal-width bins; other
    /// values their most frequent values.
    pub bars: Vec<(String, usize)>,
}

const BINS: usize = 10;
const TOP_VALUES: usize = 8;

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

pub fn profile<'a>(values: impl Iterator<Item = &'a Option<String>>) -> ColumnProfile {
    let mut nulls = 0;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for v in values {
        match v {
            None => nulls += 1,
            Some(s) => *counts.entry(s.as_str()).or_default() += 1,
        }
    }
    let numbers: Option<Vec<(f64, usize)>> = counts
        .iter()
        .map(|(s, &n)| number(s).map(|f| (f, n)))
        .collect();
    let (min, max, bars) = match numbers {
        Some(nums) if !nums.is_empty() => {
            let lo = nums.iter().map(|x| x.0).fold(f64::INFINITY, f64::min);
            let hi = nums.iter().map(|x| x.0).fold(f64::NEG_INFINITY, f64::max);
            let width = (hi - lo) / BINS as f64;
            let mut bins = vec![0usize; if width > 0.0 { BINS } else { 1 }];
            for (f, n) in &nums {
                let b = if width > 0.0 {
                    (((f - lo) / width) as usize).min(BINS - 1)
                } else {
                    0
                };
                bins[b] += n;
            }
            let bars = bins
                .into_iter()
                .enumerate()
                .map(|(i, n)| (format!("{}", lo + width * i as f64), n))
                .collect();
            (Some(trim(lo)), Some(trim(hi)), bars)
        }
        _ => {
            let sorted: BTreeMap<&str, usize> = counts.iter().map(|(k, v)| (*k, *v)).collect();
            let min = sorted.keys().next().map(|s| s.to_string());
            let max = sorted.keys().next_back().map(|s| s.to_string());
            let mut top: Vec<(&str, usize)> = sorted.into_iter().collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let bars = top
                .into_iter()
                .take(TOP_VALUES)
                .map(|(s, n)| (s.to_string(), n))
                .collect();
            (min, max, bars)
        }
    };
    ColumnProfile {
        nulls,
        distinct: counts.len(),
        min,
        max,
        bars,
    }
}

fn trim(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(v: &[Option<&str>]) -> Vec<Option<String>> {
        v.iter().map(|c| c.map(str::to_string)).collect()
    }

    #[test]
    fn numbers_get_a_range_and_equal_width_bins() {
        let v = cells(&[Some("1"), Some("10"), Some("2"), None, Some("10")]);
        let p = profile(v.iter());
        assert_eq!(p.nulls, 1);
        assert_eq!(p.distinct, 3);
        assert_eq!(
            (p.min.as_deref(), p.max.as_deref()),
            (Some("1"), Some("10"))
        );
        assert_eq!(p.bars.len(), 10);
        assert_eq!(p.bars.iter().map(|b| b.1).sum::<usize>(), 4);
        assert_eq!(p.bars[9].1, 2, "both 10s in the last bin");
    }

    #[test]
    fn text_gets_its_most_frequent_values() {
        let v = cells(&[Some("NV"), Some("OK"), Some("NV"), Some("TX")]);
        let p = profile(v.iter());
        assert_eq!(p.bars[0], ("NV".to_string(), 2));
        assert_eq!(
            (p.min.as_deref(), p.max.as_deref()),
            (Some("NV"), Some("TX"))
        );
    }
}
