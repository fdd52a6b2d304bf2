//! How dbt turns a test's failing-row count into pass, warn or fail.

use crate::project::Config;

use super::results::Status;

/// Evaluates a `warn_if`/`error_if` condition such as `!= 0` or `>10` on `failures`.
pub fn condition_holds(condition: &str, failures: u64) -> Result<bool, String> {
    let c = condition.trim();
    let ops = ["!=", "<>", ">=", "<=", "==", "=", ">", "<"];
    let Some(op) = ops.iter().find(|op| c.starts_with(**op)) else {
        return Err(format!(
            "cannot read the test condition `{condition}`; write it like `!= 0` or `> 10`"
        ));
    };
    let n: u64 = c[op.len()..]
        .trim()
        .parse()
        .map_err(|_| format!("cannot read the number in the test condition `{condition}`"))?;
    Ok(match *op {
        "!=" | "<>" => failures != n,
        ">=" => failures >= n,
        "<=" => failures <= n,
        "==" | "=" => failures == n,
        ">" => failures > n,
        _ => failures < n,
    })
}

/// dbt's rule: with severity `error`, `error_if` decides fail, else `warn_if` decides warn;
/// with severity `warn`, only `warn_if` is looked at.
pub fn test_status(config: &Config, failures: u64) -> Result<Status, String> {
    let severity = config
        .str("severity")
        .unwrap_or("error")
        .to_ascii_lowercase();
    let warn_if = config.str("warn_if").unwrap_or("!= 0");
    let error_if = config.str("error_if").unwrap_or("!= 0");
    let (errors, warns) = (
        condition_holds(error_if, failures)?,
        condition_holds(warn_if, failures)?,
    );
    if severity == "error" && errors {
        Ok(Status::Fail)
    } else if warns {
        Ok(Status::Warn)
    } else {
        Ok(Status::Pass)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(pairs: &[(&str, &str)]) -> Config {
        let mut c = Config::default();
        for (k, v) in pairs {
            c.set(k, json!(v));
        }
        c
    }

    #[test]
    fn severity_and_thresholds_follow_dbt() {
        assert_eq!(test_status(&config(&[]), 0).unwrap(), Status::Pass);
        assert_eq!(test_status(&config(&[]), 3).unwrap(), Status::Fail);
        assert_eq!(
            test_status(&config(&[("severity", "warn")]), 3).unwrap(),
            Status::Warn
        );
        let thresholds = config(&[("warn_if", ">1"), ("error_if", ">10")]);
        assert_eq!(test_status(&thresholds, 1).unwrap(), Status::Pass);
        assert_eq!(test_status(&thresholds, 5).unwrap(), Status::Warn);
        assert_eq!(test_status(&thresholds, 11).unwrap(), Status::Fail);
        assert!(test_status(&config(&[("warn_if", "lots")]), 1).is_err());
    }
}
