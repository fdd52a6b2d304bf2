//! The engine worker's logic, natively: the answers the page gets for each request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use modelplay_protocol::{AddData, Body, Change, Files, KeepRows, Request, Response, SortBy, wire};
use modelplay_worker::Worker;

fn now() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2024, 5, 16)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

/// Serves `request` as the Web Worker does, with both directions going through the wire
/// format: JSON text, and binary bodies as separate buffers.
fn serve(worker: &mut Worker, request: Request) -> Vec<Response> {
    let (text, parts) = wire::encode(&request);
    let request: Request = wire::decode(&text, parts).unwrap();
    let mut out = Vec::new();
    let clock = || 0.0;
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(worker.handle(request, now(), &clock, &mut |r| {
            let (text, parts) = wire::encode(&r);
            out.push(wire::decode(&text, parts).unwrap());
        }));
    out
}

/// The page's side of the worker: the workspace as the worker last got it, so that each
/// request that reads the workspace is preceded by only what changed, as the page does it.
#[derive(Default)]
struct Page {
    worker: Worker,
    synced: Files,
    /// The edits sent, for tests of what travels.
    sent: Vec<Vec<Change>>,
}

impl Page {
    fn ask(&mut self, request: Request) -> Vec<Response> {
        serve(&mut self.worker, request)
    }

    fn ask_about(&mut self, files: &Files, request: Request) -> Vec<Response> {
        let changes = modelplay_protocol::changes(&self.synced, files);
        self.synced = files.clone();
        self.sent.push(changes.clone());
        let mut out = serve(&mut self.worker, Request::Edit { changes });
        out.extend(serve(&mut self.worker, request));
        out
    }
}

fn sample(worker: &mut Page) -> Files {
    match worker.ask(Request::Sample).remove(0) {
        Response::Sample { files } => files,
        other => panic!("{other:?}"),
    }
}

fn done(responses: &[Response]) -> &modelplay_protocol::BuildSummary {
    responses
        .iter()
        .find_map(|r| match r {
            Response::BuildDone(s) => Some(s),
            _ => None,
        })
        .expect("a BuildDone")
}

fn link_of(worker: &mut Page, files: &Files) -> String {
    match worker.ask_about(files, Request::Share).remove(0) {
        Response::Link { link } => link,
        other => panic!("{other:?}"),
    }
}

/// The project a link or an archive opens.
fn opened(worker: &mut Page, request: Request) -> Files {
    match worker.ask(request).remove(0) {
        Response::Opened { files } => files,
        other => panic!("{other:?}"),
    }
}

#[test]
fn builds_the_sample_node_by_node_then_reruns_one_model_reusing_the_rest() {
    let mut w = Page::default();
    let mut files = sample(&mut w);
    let out = w.ask_about(
        &files,
        Request::Build {
            select: vec![],
            reuse: false,
        },
    );
    let s = done(&out);
    assert_eq!(
        (s.pass, s.warn, s.error, s.skip, s.total),
        (65, 1, 0, 0, 66)
    );
    let started = out
        .iter()
        .filter(|r| matches!(r, Response::NodeStarted { .. }))
        .count();
    let finished = out
        .iter()
        .filter(|r| matches!(r, Response::NodeFinished { .. }))
        .count();
    assert_eq!((started, finished), (66, 66));
    assert!(
        s.lineage
            .contains_key("model.brightwheel.leads_for_outreach")
    );

    let path = "models/staging/stg_source2_providers.sql";
    let edited = files[path].text().unwrap().replace(
        "\nfrom source",
        ",\n    1 as playground_marker\nfrom source",
    );
    files.insert(path.into(), Body::Text(edited));
    let out = w.ask_about(
        &files,
        Request::Build {
            select: vec!["stg_source2_providers+".into()],
            reuse: true,
        },
    );
    // The worker had the rest: the edit carried the one file that changed.
    assert_eq!(
        w.sent.last().unwrap(),
        &vec![Change::Put {
            path: path.into(),
            body: files[path].clone()
        }]
    );
    let s = done(&out);
    assert!(s.reused > 0 && s.total < 66 && s.error == 0, "{s:?}");
    let ran: Vec<&str> = out
        .iter()
        .filter_map(|r| match r {
            Response::NodeStarted { unique_id, .. } => Some(unique_id.as_str()),
            _ => None,
        })
        .collect();
    assert!(!ran.contains(&"model.brightwheel.stg_source1_providers"));

    match w
        .ask(Request::Rows {
            unique_id: "model.brightwheel.stg_source2_providers".into(),
            limit: 5,
            sort: None,
        })
        .remove(0)
    {
        Response::Rows { table, .. } => {
            assert!(table.columns.iter().any(|c| c.name == "playground_marker"));
            assert_eq!(table.rows.len(), 5.min(table.total_rows));
            assert!(table.total_rows >= table.rows.len());
        }
        other => panic!("{other:?}"),
    }
}

fn numbers_project() -> Files {
    let mut files = Files::new();
    files.insert(
        "dbt_project.yml".into(),
        Body::Text("name: numbers\nversion: '1.0'\nprofile: numbers\n".into()),
    );
    files.insert(
        "models/numbers.sql".into(),
        Body::Text(
            "select 3 as n union all select null union all select 10 union all select 1 \
             union all select 10"
                .into(),
        ),
    );
    files
}

#[test]
fn rows_are_sorted_and_profiled_over_the_whole_relation() {
    let mut w = Page::default();
    let out = build_from_scratch(&mut w, numbers_project());
    assert_eq!(done(&out).error, 0, "{out:#?}");
    let id = "model.numbers.numbers";
    let sorted = |w: &mut Page, ascending: bool| match w
        .ask(Request::Rows {
            unique_id: id.into(),
            limit: 2,
            sort: Some(SortBy {
                column: "n".into(),
                ascending,
            }),
        })
        .remove(0)
    {
        Response::Rows { table, sort, .. } => {
            assert_eq!(sort.map(|s| s.ascending), Some(ascending));
            assert_eq!(table.total_rows, 5);
            table.rows
        }
        other => panic!("{other:?}"),
    };
    let cell = |v: Option<&str>| vec![v.map(str::to_string)];
    // Redshift puts NULLs last in ascending order and first in descending order.
    assert_eq!(sorted(&mut w, true), [cell(Some("1")), cell(Some("3"))]);
    assert_eq!(sorted(&mut w, false), [cell(None), cell(Some("10"))]);
    match w
        .ask(Request::Profile {
            unique_id: id.into(),
        })
        .remove(0)
    {
        Response::Profile { columns, .. } => {
            let p = &columns[0];
            assert_eq!((p.nulls, p.distinct), (1, 3));
            assert_eq!(
                (p.min.as_deref(), p.max.as_deref()),
                (Some("1"), Some("10"))
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_run_that_cannot_load_keeps_the_nodes_and_the_tables_built_before() {
    let mut w = Page::default();
    let mut files = numbers_project();
    let out = build_from_scratch(&mut w, files.clone());
    assert_eq!(done(&out).error, 0, "{out:#?}");
    files.insert(
        "models/broken.sql".into(),
        Body::Text("select * from {{ ref('nope') }}".into()),
    );
    let out = w.ask_about(
        &files,
        Request::Build {
            select: vec!["broken+".into()],
            reuse: true,
        },
    );
    let s = done(&out);
    assert_eq!((s.error, s.total), (1, 0), "{out:#?}");
    assert!(s.problems[0].message.contains("nope"), "{:?}", s.problems);
    assert!(
        !out.iter()
            .any(|r| matches!(r, Response::Project { nodes, .. } if nodes.is_empty())),
        "the page keeps the nodes it knows: {out:#?}"
    );
    // The table built before is still there to show.
    let rows = w.ask(Request::Rows {
        unique_id: "model.numbers.numbers".into(),
        limit: 10,
        sort: None,
    });
    assert!(
        matches!(&rows[0], Response::Rows { table, .. } if table.total_rows == 5),
        "{rows:?}"
    );
}

#[test]
fn a_check_places_a_syntax_error_in_the_users_file() {
    let mut w = Page::default();
    let mut files = sample(&mut w);
    let path = "models/staging/stg_source2_providers.sql";
    let broken = format!("selec 1\n{}", files[path].text().unwrap());
    files.insert(path.into(), Body::Text(broken));
    match w.ask_about(&files, Request::Check).remove(0) {
        Response::Checked { problems, .. } => {
            let p = problems
                .iter()
                .find(|p| p.file == path)
                .unwrap_or_else(|| panic!("{problems:#?}"));
            assert_eq!((p.line, p.column, p.severity.as_str()), (1, 1, "error"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn checks_in_a_row_answer_as_a_first_check_would() {
    let mut w = Page::default();
    let mut files = sample(&mut w);
    let problems = |w: &mut Page, files: &Files| match w.ask_about(files, Request::Check).remove(0)
    {
        Response::Checked {
            problems, columns, ..
        } => (problems, columns),
        other => panic!("{other:?}"),
    };
    let first = problems(&mut w, &files);
    let path = "models/staging/stg_source2_providers.sql";
    let text = files[path].text().unwrap().to_string();
    files.insert(
        path.into(),
        Body::Text(text.replace("\nfrom source", ",\n    nope\nfrom source")),
    );
    let broken = problems(&mut w, &files);
    assert!(
        broken
            .0
            .iter()
            .any(|p| p.file == path && p.message.contains("nope")),
        "{:#?}",
        broken.0
    );
    files.insert(path.into(), Body::Text(text));
    assert_eq!(
        problems(&mut w, &files),
        first,
        "the fix checks as the first check did"
    );
}

#[test]
fn exports_a_zip_with_deploy_sql_and_round_trips_a_share_link() {
    let mut w = Page::default();
    let files = sample(&mut w);
    match w.ask_about(&files, Request::Export).remove(0) {
        Response::Exported {
            files: exported,
            zip,
            problems,
        } => {
            assert!(problems.is_empty(), "{problems:#?}");
            assert!(exported.iter().any(|(p, _)| p == "deploy.sql"));
            assert!(zip.starts_with(b"PK"), "an archive");
        }
        other => panic!("{other:?}"),
    }
    let mut edited = files.clone();
    edited.insert("models/new.sql".into(), "select 1 as x".into());
    let link = link_of(&mut w, &edited);
    assert_eq!(opened(&mut w, Request::OpenLink { link }), edited);
    match w
        .ask(Request::OpenLink {
            link: "mp1.not-base64!".into(),
        })
        .remove(0)
    {
        Response::LinkNotOpened { message } => {
            assert!(message.contains("damaged"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

fn build_from_scratch(worker: &mut Page, files: Files) -> Vec<Response> {
    worker.ask_about(
        &files,
        Request::Build {
            select: vec![],
            reuse: false,
        },
    )
}

/// The folder fixture as the page reads it: every file, binary ones as bytes.
fn tiny_shop() -> Files {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/tiny_shop");
    let mut files = Files::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(&root).unwrap().to_string_lossy();
                files.insert(
                    rel.replace('\\', "/"),
                    Body::from_bytes(std::fs::read(&path).unwrap()),
                );
            }
        }
    }
    files
}

#[test]
fn binary_files_and_non_ascii_names_travel_byte_for_byte_and_parquet_sources_build() {
    let mut w = Page::default();
    let mut files = tiny_shop();
    let parquet = "data/shop/refunds/2024-05-02.parquet";
    assert!(matches!(files[parquet], Body::Binary { .. }));
    files.insert(
        "data/notes/r\u{e9}sum\u{e9} \u{1f4ca}.bin".into(),
        Body::from_bytes(vec![0, 159, 146, 150, 255, 10]),
    );

    let link = link_of(&mut w, &files);
    assert_eq!(opened(&mut w, Request::OpenLink { link }), files);
    let zip = match w.ask_about(&files, Request::Zip).remove(0) {
        Response::Zipped { zip } => zip,
        other => panic!("{other:?}"),
    };
    assert_eq!(opened(&mut w, Request::OpenZip { zip }), files);

    let out = build_from_scratch(&mut w, files);
    let s = done(&out);
    assert_eq!((s.pass, s.error, s.skip, s.total), (8, 0, 0, 8), "{out:#?}");
}

fn add(w: &mut Page, name: &str, target: &str, keep: KeepRows, bytes: Vec<u8>) -> Vec<Response> {
    let mut out = Vec::new();
    let spec = AddData {
        name: name.into(),
        target: target.into(),
        keep,
        preview: false,
    };
    w.worker
        .add_data(&spec, bytes::Bytes::from(bytes), &mut |r| out.push(r));
    out
}

fn preview(w: &mut Page, target: &str, bytes: &[u8]) -> modelplay_protocol::DataPreview {
    let mut out = Vec::new();
    let spec = AddData {
        name: "export.csv".into(),
        target: target.into(),
        keep: KeepRows::All,
        preview: true,
    };
    w.worker
        .add_data(&spec, bytes::Bytes::from(bytes.to_vec()), &mut |r| {
            out.push(r)
        });
    match out.as_slice() {
        [Response::DataPreview(p)] => p.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_preview_says_what_adding_a_file_would_do_before_it_is_done() {
    let mut w = Page::default();
    w.ask_about(&tiny_shop(), Request::Check);
    let target = "data/shop/orders/2024-05-09.csv";
    let fits = preview(
        &mut w,
        target,
        b"Order Id,Customer,Region,Amount
1,a,W,2
",
    );
    assert_eq!(fits.columns, ["order_id", "customer", "region", "amount"]);
    assert_eq!(fits.refused, None);
    let misfit = preview(
        &mut w,
        target,
        b"Order Id,Total
1,2
",
    );
    assert_eq!(misfit.columns, ["order_id", "total"]);
    assert!(
        misfit.refused.as_deref().is_some_and(|why| why
            .starts_with("its columns do not match source `shop.orders`: it lacks `customer`")),
        "{misfit:?}"
    );
    // A binary file is refused at the line that gives it away, and a seed must be a CSV.
    let binary = preview(&mut w, target, b"a,b\n\x00\x01\n");
    assert!(binary.refused.is_some_and(|why| why.contains("binary")));
    let not_a_seed = preview(&mut w, "seeds/orders.parquet", b"PAR1");
    assert!(not_a_seed.refused.is_some());
}

#[test]
fn data_files_are_sampled_with_progress_and_join_the_project() {
    let mut w = Page::default();
    let mut csv = b"Order Id,Customer,Region,Amount\n".to_vec();
    for i in 0..1000 {
        csv.extend_from_slice(format!("{i},C{i},{},1.00\n", ["W", "E"][i % 2]).as_bytes());
    }
    let out = add(
        &mut w,
        "orders export.csv",
        "data/shop/orders/2024-05-03.csv",
        KeepRows::Random { rows: 50, seed: 9 },
        csv,
    );
    let progress: Vec<f64> = out
        .iter()
        .filter_map(|r| match r {
            Response::AddingData { fraction, .. } => Some(*fraction),
            _ => None,
        })
        .collect();
    assert_eq!(progress.last(), Some(&1.0));
    let Some(Response::DataAdded {
        path,
        body,
        rows_read,
        rows_kept,
    }) = out.last().cloned()
    else {
        panic!("{out:?}")
    };
    assert_eq!((rows_read, rows_kept), (1000, 50));
    assert_eq!(path, "data/shop/orders/2024-05-03.csv");
    assert_eq!(body.text().unwrap().lines().count(), 51);

    let parquet = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../engine/tests/fixtures/tiny_shop/data/shop/refunds/2024-05-02.parquet"),
    )
    .unwrap();
    let out = add(
        &mut w,
        "refunds.parquet",
        "data/shop/refunds/2024-05-03.parquet",
        KeepRows::First(1),
        parquet,
    );
    let Some(Response::DataAdded {
        path: refunds_path,
        body: refunds,
        rows_kept,
        ..
    }) = out.last().cloned()
    else {
        panic!("{out:?}")
    };
    assert_eq!(rows_kept, 1);

    let mut files = tiny_shop();
    files.insert(path, body);
    files.insert(refunds_path, refunds);
    let out = build_from_scratch(&mut w, files);
    let s = done(&out);
    assert_eq!((s.pass, s.error, s.skip), (8, 0, 0), "{out:#?}");
}

#[test]
fn data_that_cannot_land_where_asked_is_refused_with_why() {
    let mut w = Page::default();
    for (name, target, why) in [
        ("x.parquet", "seeds/x.csv", "dbt seeds are CSV files"),
        (
            "x.txt",
            "data/a/b/2024-05-01.csv",
            "neither a .csv nor a .parquet",
        ),
        ("x.csv", "data/a/b/2024-05-01.parquet", "own extension"),
        ("x.csv", "data/a/b/latest.csv", "load timestamp"),
        ("x.csv", "../x.csv", "cannot write"),
    ] {
        let out = add(&mut w, name, target, KeepRows::All, b"a\n1\n".to_vec());
        match out.last() {
            Some(Response::Failed { message, .. }) => {
                assert!(message.contains(why), "{target}: {message}")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_load_that_does_not_fit_its_table_or_is_not_text_is_refused() {
    let mut w = Page::default();
    w.ask_about(&tiny_shop(), Request::Check);
    let target = "data/shop/orders/2024-05-09.csv";
    for (bytes, why) in [
        (
            &b"Order Id,Customer,Total\n1,a,2\n"[..],
            "orders.csv: its columns do not match source `shop.orders`: it lacks `region`, \
             `amount`; it has `total` besides (the table's loads have order_id, customer, \
             region, amount, as in data/shop/orders/2024-05-01.csv)",
        ),
        (
            &b"Order Id,Customer,Region,Amount\nPK\x03\x04\x00\x00\n"[..],
            "orders.csv: line 2 holds a NUL byte: the file is binary, not a CSV",
        ),
    ] {
        let out = add(&mut w, "orders.csv", target, KeepRows::All, bytes.to_vec());
        match out.last() {
            Some(Response::Failed { message, .. }) => {
                assert!(message.starts_with(why), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
    // The same columns, spelled as another loader spells them, fit.
    let out = add(
        &mut w,
        "orders.csv",
        target,
        KeepRows::All,
        b"order_id,customer,region,amount\n9,Cy,W,1.00\n".to_vec(),
    );
    assert!(
        matches!(out.last(), Some(Response::DataAdded { .. })),
        "{out:?}"
    );
}

#[test]
fn the_page_and_the_engine_agree_on_the_link_prefix() {
    assert_eq!(
        modelplay_protocol::LINK_PREFIX,
        modelplay_engine::share::LINK_PREFIX
    );
}

/// The fixture project with unit tests (`engine/tests/fixtures/unit_tests`), as the page
/// holds a folder it opened.
fn cafe() -> Files {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/fixtures/unit_tests");
    let mut files = Files::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, Body::from_bytes(std::fs::read(&path).unwrap()));
            }
        }
    }
    files
}

#[test]
fn unit_tests_travel_with_their_fixtures_and_a_failing_one_with_its_diff() {
    let mut w = Page::default();
    let mut files = cafe();
    let out = w.ask_about(
        &files,
        Request::Build {
            select: vec![],
            reuse: false,
        },
    );
    let units = out
        .iter()
        .find_map(|r| match r {
            Response::Project { unit_tests, .. } => Some(unit_tests.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(units.len(), 5);
    let items = units
        .iter()
        .find(|u| u.unique_id == "unit_test.cafe.order_items.order_items_add_up_supply_costs")
        .unwrap();
    assert_eq!(items.given[0].label, "ref('stg_items')");
    assert_eq!(
        items.given[0].columns,
        vec!["item_id", "order_id", "product_id"]
    );
    assert_eq!(items.given[0].rows_line, 11);
    // A sql fixture is shown, not edited in the grid.
    assert_eq!(items.given[2].rows_line, 0);
    assert_eq!(done(&out).error, 0);

    // Break the model: its unit test fails with dbt's diff, and the model is not built.
    let path = "models/marts/order_items.sql";
    let broken = files[path]
        .text()
        .unwrap()
        .replace("costs.supply_cost", "costs.supply_cost * 2 as supply_cost");
    files.insert(path.into(), Body::Text(broken));
    let out = w.ask_about(
        &files,
        Request::Build {
            select: vec!["order_items+".into()],
            reuse: true,
        },
    );
    let unit = out
        .iter()
        .find_map(|r| match r {
            Response::NodeFinished { outcome }
                if outcome.name == "order_items_add_up_supply_costs" =>
            {
                Some(outcome.clone())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(unit.status, modelplay_protocol::Status::Fail);
    let diff = unit.unit_diff.unwrap();
    assert_eq!(diff.columns, vec!["item_id", "supply_cost", "price"]);
    assert!(
        diff.rows
            .iter()
            .all(|r| r.change == modelplay_protocol::checking::RowChange::Changed)
    );
}

#[test]
fn a_rerun_is_compared_with_what_it_replaced_and_a_unit_test_is_written_from_a_build() {
    use modelplay_protocol::checking::Compared;
    let mut w = Page::default();
    let mut files = cafe();
    w.ask_about(
        &files,
        Request::Build {
            select: vec![],
            reuse: false,
        },
    );
    let path = "models/marts/orders.sql";
    let edited = files[path].text().unwrap().replace("\"north\"", "\"west\"");
    files.insert(path.into(), Body::Text(edited));
    let out = w.ask_about(
        &files,
        Request::Build {
            select: vec!["orders+".into()],
            reuse: true,
        },
    );
    let report = out
        .iter()
        .find_map(|r| match r {
            Response::Changes(c) => Some(c.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(report.against, "the last build");
    let orders = report.models.iter().find(|m| m.name == "orders").unwrap();
    assert_eq!(orders.compared, Compared::Both);
    assert_eq!((orders.added, orders.removed, orders.changed), (0, 0, 3));
    assert_eq!(orders.key, vec!["order_id"]);
    assert_eq!(
        orders
            .changed_by_column
            .iter()
            .filter(|(_, n)| *n > 0)
            .cloned()
            .collect::<Vec<_>>(),
        vec![("region".to_string(), 3)]
    );
    let row = &orders.rows[0];
    let at = orders.columns.iter().position(|c| c == "region").unwrap();
    assert!(row.changed[at] && !row.changed[0]);
    assert_eq!(
        (row.base[at].as_deref(), row.current[at].as_deref()),
        (Some("north"), Some("west"))
    );
    assert!(report.tests.is_empty(), "{:?}", report.tests);

    // Compare with the fixture as it was: the same changes, against it.
    let out = w.ask(Request::CompareWith {
        with: modelplay_protocol::Other::Files(cafe()),
        label: "the original".into(),
    });
    let Response::Changes(report) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(report.against, "the original");
    let orders = report.models.iter().find(|m| m.name == "orders").unwrap();
    assert_eq!(orders.changed, 3);

    // An edit that breaks the model's unit test: dbt build does not build the model, and
    // the comparison says so, with the unit test among the tests that changed.
    let edited = files[path]
        .text()
        .unwrap()
        .replace("summary.food_items > 0", "summary.food_items > 1");
    files.insert(path.into(), Body::Text(edited));
    let out = w.ask_about(
        &files,
        Request::Build {
            select: vec!["orders+".into()],
            reuse: true,
        },
    );
    let Some(Response::Changes(report)) = out.iter().find(|r| matches!(r, Response::Changes(_)))
    else {
        panic!("{out:?}")
    };
    let orders = report.models.iter().find(|m| m.name == "orders").unwrap();
    assert_eq!(orders.compared, Compared::OnlyBase);
    assert!(
        report
            .tests
            .iter()
            .any(|t| t.name == "orders_flag_food_and_count_per_customer"
                && t.base == Some(modelplay_protocol::Status::Pass)
                && t.current == Some(modelplay_protocol::Status::Fail)),
        "{:?}",
        report.tests
    );

    // A unit test written from the build.
    let out = w.ask_about(
        &files,
        Request::WriteUnitTest {
            model: "model.cafe.order_items".into(),
            rows: 2,
        },
    );
    let Response::UnitTestWritten {
        name, path, text, ..
    } = &out[0]
    else {
        panic!("{out:?}")
    };
    assert_eq!(name, "order_items_as_built");
    assert_eq!(path, "models/marts/order_items_unit_tests.yml");
    assert!(
        text.starts_with("unit_tests:\n  - name: order_items_as_built\n"),
        "{text}"
    );
}
