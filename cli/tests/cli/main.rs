//! The `modelplay` binary as a user runs it: output, exit status, artifacts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

mod changes;
mod deps;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// A copy of a project in a fresh temporary folder, so runs do not touch the repository.
fn copy_project(rel: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dest = std::env::temp_dir().join(format!(
        "modelplay-cli-{}-{}-{n}",
        rel.replace('/', "_"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dest);
    let src = repo(rel);
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel_path = path.strip_prefix(&src).unwrap();
            if path.is_dir() {
                if rel_path != Path::new("target") {
                    stack.push(path);
                }
            } else {
                let to = dest.join(rel_path);
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::copy(&path, &to).unwrap();
            }
        }
    }
    dest
}

fn modelplay(args: &[&str]) -> (i32, String, String) {
    modelplay_with_env(args, &[])
}

fn modelplay_with_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_modelplay"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn build_prints_like_dbt_and_writes_artifacts() {
    let dir = copy_project("sample-data/brightwheel");
    let d = dir.to_string_lossy();
    let (code, out, err) = modelplay(&[
        "build",
        "--project-dir",
        &d,
        "--run-time",
        "2024-05-16 12:00:00",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Found 15 models, 4 snapshots"), "{out}");
    assert!(
        out.contains(" OK created sql view model analytics_staging.stg_salesforce_leads "),
        "{out}"
    );
    assert!(
        out.contains(" OK snapshotted snapshots.snap_source1_file "),
        "{out}"
    );
    assert!(
        out.contains(" WARN 1 not_null_stg_source3_providers_capacity "),
        "{out}"
    );
    let summary = out.lines().last().unwrap();
    assert!(
        summary.ends_with("WARN=1 ERROR=0 SKIP=0 TOTAL=66"),
        "{summary}"
    );

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("target/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["metadata"]["dbt_schema_version"],
        "https://schemas.getdbt.com/dbt/manifest/v12.json"
    );
    let outreach = &manifest["nodes"]["model.brightwheel.leads_for_outreach"];
    assert_eq!(
        outreach["meta"]["modelplay_column_lineage"]["phone"][0]["column"],
        "phone_digits"
    );
    let node = &manifest["nodes"]["model.brightwheel.stg_salesforce_leads"];
    assert_eq!(
        node["relation_name"],
        "\"dev\".\"analytics_staging\".\"stg_salesforce_leads\""
    );
    assert_eq!(
        node["depends_on"]["nodes"][0],
        "source.brightwheel.brightwheel_exercise.salesforce_leads"
    );
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("target/run_results.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(results["results"].as_array().unwrap().len(), 66);
    let compiled = std::fs::read_to_string(
        dir.join("target/compiled/brightwheel/models/staging/stg_salesforce_leads.sql"),
    )
    .unwrap();
    assert!(
        compiled.contains("from \"dev\".\"brightwheel_exercise\".\"salesforce_leads\""),
        "{compiled}"
    );
    assert!(compiled.contains("md5(cast(coalesce(cast(phone_digits as TEXT), '_dbt_utils_surrogate_key_null_') || '-' ||"), "{compiled}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_failing_node_exits_1_and_a_broken_project_exits_2() {
    let dir = copy_project("engine/tests/diagnostics/unknown_column_did_you_mean");
    let d = dir.to_string_lossy();
    let (code, out, _) = modelplay(&["run", "--project-dir", &d]);
    assert_eq!(code, 1);
    assert!(out.contains("did you mean `first_name`?"), "{out}");
    assert!(out.lines().last().unwrap().contains("ERROR=1"));

    let broken = repo("engine/tests/diagnostics/bad_yaml_indentation");
    let (code, _, err) = modelplay(&["build", "--project-dir", &broken.to_string_lossy()]);
    assert_eq!(code, 2);
    assert!(err.contains("models/schema.yml:6:6"), "{err}");
    let (code, _, _) = modelplay(&["build", "--no-such-flag"]);
    assert_eq!(code, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn show_ls_and_compile() {
    let dir = copy_project("engine/tests/fixtures/jaffle_shop");
    let d = dir.to_string_lossy();
    let (code, out, err) = modelplay(&[
        "show",
        "--project-dir",
        &d,
        "--select",
        "customers",
        "--limit",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Previewing node 'customers':\n| customer_id | first_name |"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 5, "{out}");

    let (code, out, _) = modelplay(&[
        "ls",
        "--project-dir",
        &d,
        "--select",
        "+customers",
        "--resource-type",
        "model",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        vec![
            "jaffle_shop.customers",
            "jaffle_shop.staging.stg_customers",
            "jaffle_shop.staging.stg_orders",
            "jaffle_shop.staging.stg_payments",
        ]
    );

    let (code, _, err) = modelplay(&["compile", "--project-dir", &d, "-s", "orders"]);
    assert_eq!(code, 0, "{err}");
    let compiled =
        std::fs::read_to_string(dir.join("target/compiled/jaffle_shop/models/orders.sql")).unwrap();
    assert!(
        compiled.contains(
            "sum(case when payment_method = 'gift_card' then amount else 0 end) as gift_card_amount"
        ),
        "{compiled}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sample_generator_is_deterministic() {
    let a = std::env::temp_dir().join(format!("modelplay-sample-a-{}", std::process::id()));
    let b = std::env::temp_dir().join(format!("modelplay-sample-b-{}", std::process::id()));
    for dir in [&a, &b] {
        let (code, _, err) = modelplay(&[
            "sample",
            "--out",
            &dir.to_string_lossy(),
            "--rows",
            "25",
            "--seed",
            "9",
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let file = "data/brightwheel_exercise/source2_file/2024-04-01T06-00-00.csv";
    assert_eq!(
        std::fs::read(a.join(file)).unwrap(),
        std::fs::read(b.join(file)).unwrap()
    );
    // The committed default data is exactly what the default generator writes.
    let c = std::env::temp_dir().join(format!("modelplay-sample-c-{}", std::process::id()));
    modelplay(&["sample", "--out", &c.to_string_lossy()]);
    let committed = repo("sample-data/brightwheel").join(file);
    assert_eq!(
        std::fs::read(c.join(file)).unwrap(),
        std::fs::read(committed).unwrap()
    );
    for dir in [a, b, c] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn source_freshness_reports_and_exits_as_dbt_does() {
    let dir = copy_project("sample-data/brightwheel");
    let d = dir.to_string_lossy();
    let statuses = |dir: &Path| -> Vec<String> {
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("target/sources.json")).unwrap(),
        )
        .unwrap();
        json["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap().to_string())
            .collect()
    };
    // As of the first Salesforce extract: everything is fresh.
    let (code, out, err) = modelplay(&["source", "freshness", "--project-dir", &d, "--load", "4"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(statuses(&dir), vec!["pass", "pass", "pass", "pass"]);
    // Three days after the last extract: past warn_after (2 days) only.
    let (code, out, _) = modelplay(&[
        "source",
        "freshness",
        "--project-dir",
        &d,
        "--run-time",
        "2024-05-19 12:00:00",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("WARN freshness of brightwheel_exercise.salesforce_leads"),
        "{out}"
    );
    assert_eq!(statuses(&dir), vec!["warn", "pass", "pass", "pass"]);
    // Weeks later: Salesforce is stale (an error), the monthly files only late (warnings).
    let (code, out, _) = modelplay(&[
        "source",
        "freshness",
        "--project-dir",
        &d,
        "--run-time",
        "2024-06-10 00:00:00",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ERROR STALE freshness of brightwheel_exercise.salesforce_leads"),
        "{out}"
    );
    assert_eq!(statuses(&dir), vec!["error", "warn", "warn", "warn"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn replay_walks_every_load_and_load_stops_at_one() {
    let dir = copy_project("sample-data/brightwheel");
    let d = dir.to_string_lossy();
    let (code, out, err) = modelplay(&["build", "--project-dir", &d, "--replay"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Load 1 of 7: sources as of 2024-03-01 06:00:00"),
        "{out}"
    );
    assert!(
        out.contains("Load 7 of 7: sources as of 2024-05-16 07:00:00"),
        "{out}"
    );
    assert!(
        out.contains("PASS assert_planted_capacity_changes_seen"),
        "{out}"
    );
    let (code, out, _) = modelplay(&["snapshot", "--project-dir", &d, "--load", "2024-04-15"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Load 2 of 2: sources as of 2024-04-01 06:00:00"),
        "{out}"
    );
    let (code, _, err) = modelplay(&["build", "--project-dir", &d, "--load", "9"]);
    assert_eq!(code, 2);
    assert!(err.contains("the project has 7 loads"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn check_lineage_and_impact() {
    let sample = repo("sample-data/brightwheel");
    let d = sample.to_string_lossy();
    let (code, out, err) = modelplay(&["check", "--project-dir", &d]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 errors, 0 not checked"), "{out}");
    let (code, out, _) = modelplay(&[
        "lineage",
        "--project-dir",
        &d,
        "leads_for_outreach.phone",
        "--upstream",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("brightwheel_exercise.source3_file.phone"),
        "{out}"
    );
    let (code, out, _) = modelplay(&[
        "lineage",
        "--project-dir",
        &d,
        "source2_file.phone",
        "--downstream",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("leads_for_outreach.phone  (rename)"), "{out}");
    let (code, out, _) = modelplay(&["impact", "--project-dir", &d, "stg_source2_providers"]);
    assert_eq!(code, 0);
    assert!(out.contains("Tests to rerun"), "{out}");
    let broken = repo("engine/tests/diagnostics/function_redshift_lacks");
    let (code, _, err) = modelplay(&["check", "--project-dir", &broken.to_string_lossy()]);
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "models/names.sql:2:5: error[unsupported]: Redshift has no function `string_agg`"
        ),
        "{err}"
    );
}

#[test]
fn export_and_advise_on_the_sample() {
    let dir = copy_project("sample-data/brightwheel");
    let d = dir.to_string_lossy();
    let out_dir = dir.join("deploy");
    let (code, out, err) = modelplay(&[
        "export",
        "--target",
        "redshift",
        "--project-dir",
        &d,
        "--out",
        &out_dir.to_string_lossy(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("Wrote 26 files to"), "{out}");
    let deploy = std::fs::read_to_string(out_dir.join("deploy.sql")).unwrap();
    assert!(deploy.contains("diststyle key distkey (lead_key)"));
    let tests = std::fs::read_to_string(out_dir.join("tests.sql")).unwrap();
    assert!(
        tests.contains("-- test source_unique_brightwheel_exercise_salesforce_leads_id"),
        "{tests}"
    );
    assert!(
        out_dir
            .join("sources/brightwheel_exercise__salesforce_leads.sql")
            .exists()
    );
    let (code, out, _) = modelplay(&["advise", "--project-dir", &d, "--json"]);
    assert_eq!(code, 0);
    let advice: serde_json::Value = serde_json::from_str(&out).unwrap();
    let dedup = advice
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["model"] == "int_leads_deduplicated")
        .unwrap();
    assert_eq!(dedup["dist"], "lead_key");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn share_open_and_zip_move_projects_between_folders() {
    let sample = repo("sample-data/brightwheel");
    let (code, link, err) = modelplay(&["share", "--project-dir", &sample.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    assert!(link.starts_with("http://127.0.0.1:8080/#mp1."), "{link}");
    let out = std::env::temp_dir().join(format!("modelplay-open-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let (code, _, err) = modelplay(&["open", link.trim(), "--out", &out.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = modelplay(&[
        "build",
        "--project-dir",
        &out.to_string_lossy(),
        "--run-time",
        "2024-05-16 12:00:00",
    ]);
    assert_eq!(code, 0, "{err}");
    // Opening into a folder that holds work is refused.
    let (code, _, err) = modelplay(&["open", link.trim(), "--out", &out.to_string_lossy()]);
    assert_eq!(code, 2);
    assert!(err.contains("is not empty"), "{err}");
    let zip = out.with_extension("zip");
    let (code, _, _) = modelplay(&[
        "zip",
        "--project-dir",
        &sample.to_string_lossy(),
        "--out",
        &zip.to_string_lossy(),
    ]);
    assert_eq!(code, 0);
    let from_zip = out.with_extension("unzipped");
    let _ = std::fs::remove_dir_all(&from_zip);
    let (code, _, err) = modelplay(&[
        "open",
        &zip.to_string_lossy(),
        "--out",
        &from_zip.to_string_lossy(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read(
            from_zip.join("data/brightwheel_exercise/source3_file/2024-03-01T06-00-00.csv")
        )
        .unwrap(),
        std::fs::read(
            sample.join("data/brightwheel_exercise/source3_file/2024-03-01T06-00-00.csv")
        )
        .unwrap()
    );
    let (code, _, err) = modelplay(&[
        "open",
        "http://127.0.0.1:8080/#mp1.garbage!!",
        "--out",
        &from_zip.with_extension("x").to_string_lossy(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("damaged or cut short"), "{err}");
    for p in [out, from_zip] {
        let _ = std::fs::remove_dir_all(p);
    }
    let _ = std::fs::remove_file(zip);
}

#[test]
fn a_change_deploy_exports_what_changed_since_the_manifest() {
    let dir = copy_project("sample-data/brightwheel");
    let d = dir.to_string_lossy();
    let (code, _, err) = modelplay(&["compile", "--project-dir", &d]);
    assert_eq!(code, 0, "{err}");
    let manifest = dir.join("target/manifest.json");
    let model = dir.join("models/intermediate/int_leads_deduplicated.sql");
    let text = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, format!("{text}\n-- reviewed\n")).unwrap();
    let out_dir = dir.join("change");
    let (code, out, err) = modelplay(&[
        "export",
        "--project-dir",
        &d,
        "--state",
        &manifest.to_string_lossy(),
        "--out",
        &out_dir.to_string_lossy(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let deploy = std::fs::read_to_string(out_dir.join("deploy.sql")).unwrap();
    assert!(
        deploy.contains("-- table int_leads_deduplicated"),
        "{deploy}"
    );
    // What reads it rebuilds too; what it reads does not.
    assert!(deploy.contains("-- table int_state_leads_matched_to_salesforce"));
    assert!(!deploy.contains("-- view stg_salesforce_leads"), "{deploy}");
    assert!(!deploy.contains("copy "), "{deploy}");
    let (code, _, err) = modelplay(&[
        "export",
        "--project-dir",
        &d,
        "--state",
        "no/such/manifest.json",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--state: cannot read no/such/manifest.json"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn memory_limit_bounds_the_build_or_is_refused() {
    let dir = copy_project("sample-data/brightwheel");
    let d = dir.to_string_lossy();
    let run = |limit: &str| {
        modelplay(&[
            "build",
            "--project-dir",
            &d,
            "--run-time",
            "2024-05-16 12:00:00",
            "--memory-limit",
            limit,
        ])
    };
    let (code, out, err) = run("64M");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("ERROR=0"), "{out}");
    let (code, _, _) = run("none");
    assert_eq!(code, 0);
    let (code, out, err) = run("lots");
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("--memory-limit `lots` is not a size"), "{err}");
}
