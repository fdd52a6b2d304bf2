//! The engine worker's logic, natively: the answers the page gets for each request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use modelplay_app::protocol::{Files, Request, Response};
use modelplay_app::worker::Worker;

fn now() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2024, 5, 16)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

fn serve(worker: &mut Worker, request: Request) -> Vec<Response> {
    let mut out = Vec::new();
    let clock = || 0.0;
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(worker.handle(request, now(), &clock, &mut |r| out.push(r)));
    out
}

fn sample(worker: &mut Worker) -> Files {
    match serve(worker, Request::Sample).remove(0) {
        Response::Sample { files } => files,
        other => panic!("{other:?}"),
    }
}

fn done(responses: &[Response]) -> &modelplay_app::protocol::BuildSummary {
    responses
        .iter()
        .find_map(|r| match r {
            Response::BuildDone(s) => Some(s),
            _ => None,
        })
        .expect("a BuildDone")
}

#[test]
fn builds_the_sample_node_by_node_then_reruns_one_model_reusing_the_rest() {
    let mut w = Worker::default();
    let mut files = sample(&mut w);
    let out = serve(
        &mut w,
        Request::Build {
            files: files.clone(),
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
    let edited = files[path].replace(
        "\nfrom source",
        ",\n    1 as playground_marker\nfrom source",
    );
    files.insert(path.into(), edited);
    let out = serve(
        &mut w,
        Request::Build {
            files,
            select: vec!["stg_source2_providers+".into()],
            reuse: true,
        },
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

    match serve(
        &mut w,
        Request::Rows {
            unique_id: "model.brightwheel.stg_source2_providers".into(),
            limit: 5,
        },
    )
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

#[test]
fn a_check_places_a_syntax_error_in_the_users_file() {
    let mut w = Worker::default();
    let mut files = sample(&mut w);
    let path = "models/staging/stg_source2_providers.sql";
    let broken = format!("selec 1\n{}", files[path]);
    files.insert(path.into(), broken);
    match serve(&mut w, Request::Check { files }).remove(0) {
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
fn exports_a_zip_with_deploy_sql_and_round_trips_a_share_link() {
    let mut w = Worker::default();
    let files = sample(&mut w);
    match serve(
        &mut w,
        Request::Export {
            files: files.clone(),
        },
    )
    .remove(0)
    {
        Response::Exported {
            files: exported,
            zip_base64,
            problems,
        } => {
            assert!(problems.is_empty(), "{problems:#?}");
            assert!(exported.iter().any(|(p, _)| p == "deploy.sql"));
            assert!(!zip_base64.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let mut edited = files.clone();
    edited.insert("models/new.sql".into(), "select 1 as x".into());
    let link = match serve(
        &mut w,
        Request::Share {
            files: edited.clone(),
        },
    )
    .remove(0)
    {
        Response::Link { link } => link,
        other => panic!("{other:?}"),
    };
    match serve(&mut w, Request::OpenLink { link }).remove(0) {
        Response::Opened { files } => assert_eq!(files, edited),
        other => panic!("{other:?}"),
    }
    match serve(
        &mut w,
        Request::OpenLink {
            link: "mp1.not-base64!".into(),
        },
    )
    .remove(0)
    {
        Response::LinkNotOpened { message } => {
            assert!(message.contains("damaged"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}
