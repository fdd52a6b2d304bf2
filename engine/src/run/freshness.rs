//! `dbt source freshness`: the newest `loaded_at_field` of each source against the run time,
//! judged by its `warn_after` and `error_after`.

use serde::Serialize;
use serde_json::Value as Json;

/// dbt's freshness statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FreshnessStatus {
    Pass,
    Warn,
    Error,
    #[serde(rename = "runtime error")]
    RuntimeError,
}

/// A `{count, period}` threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    pub count: u64,
    pub period: String,
}

impl Threshold {
    pub fn seconds(&self) -> f64 {
        let unit = match self.period.as_str() {
            "minute" => 60.0,
            "hour" => 3_600.0,
            _ => 86_400.0,
        };
        self.count as f64 * unit
    }
}

/// The freshness a source asks for; `None` when it asks for none.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Criteria {
    pub warn_after: Option<Threshold>,
    pub error_after: Option<Threshold>,
    pub filter: Option<String>,
}

fn threshold(v: Option<&Json>) -> Result<Option<Threshold>, String> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let count = v.get("count").and_then(Json::as_u64);
    let period = v.get("period").and_then(Json::as_str);
    match (count, period) {
        (Some(count), Some(p @ ("minute" | "hour" | "day"))) => Ok(Some(Threshold {
            count,
            period: p.to_string(),
        })),
        (_, Some(p)) if !matches!(p, "minute" | "hour" | "day") => Err(format!(
            "freshness period must be minute, hour or day, found '{p}'"
        )),
        _ => Err("a freshness threshold needs `count` and `period`".to_string()),
    }
}

/// Reads a source's `freshness:` block.
pub fn criteria(freshness: &Json) -> Result<Option<Criteria>, String> {
    if freshness.is_null() {
        return Ok(None);
    }
    let c = Criteria {
        warn_after: threshold(freshness.get("warn_after"))?,
        error_after: threshold(freshness.get("error_after"))?,
        filter: freshness
            .get("filter")
            .and_then(Json::as_str)
            .map(str::to_string),
    };
    Ok((c.warn_after.is_some() || c.error_after.is_some()).then_some(c))
}

/// dbt's rule: past `error_after` is an error, past `warn_after` a warning.
pub fn status(criteria: &Criteria, age_seconds: f64) -> FreshnessStatus {
    if criteria
        .error_after
        .as_ref()
        .is_some_and(|t| age_seconds > t.seconds())
    {
        FreshnessStatus::Error
    } else if criteria
        .warn_after
        .as_ref()
        .is_some_and(|t| age_seconds > t.seconds())
    {
        FreshnessStatus::Warn
    } else {
        FreshnessStatus::Pass
    }
}

/// One source's freshness.
#[derive(Debug, Clone, Serialize)]
pub struct FreshnessResult {
    pub unique_id: String,
    /// `source.table`
    pub name: String,
    pub max_loaded_at: Option<String>,
    pub snapshotted_at: String,
    pub max_loaded_at_time_ago_in_s: Option<f64>,
    pub status: FreshnessStatus,
    pub criteria: Criteria,
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thresholds_decide_the_status() {
        let c = criteria(&json!({"warn_after": {"count": 2, "period": "day"},
                                 "error_after": {"count": 12, "period": "hour"}}))
        .unwrap()
        .unwrap();
        assert_eq!(status(&c, 3_600.0), FreshnessStatus::Pass);
        assert_eq!(status(&c, 13.0 * 3_600.0), FreshnessStatus::Error);
        let c = criteria(&json!({"warn_after": {"count": 1, "period": "hour"}}))
            .unwrap()
            .unwrap();
        assert_eq!(status(&c, 7_200.0), FreshnessStatus::Warn);
        assert!(criteria(&json!(null)).unwrap().is_none());
        assert!(criteria(&json!({"warn_after": {"count": 1, "period": "week"}})).is_err());
    }
}
