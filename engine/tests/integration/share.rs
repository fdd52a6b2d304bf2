//! Share links and `.zip` archives: projects round-trip byte for byte (binary files and
//! non-ASCII names included), and malformed, truncated and oversized input is refused with
//! a clear error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use modelplay_engine::ProjectFiles;
use modelplay_engine::share::{
    MAX_LINK_CHARS, ShareError, builtin_sample, decode_link, encode_link, from_zip, to_zip,
};

fn edited_sample() -> ProjectFiles {
    let mut files = builtin_sample();
    files.insert(
        "models/staging/stg_source3_providers.sql",
        b"select 1 as edited\n".to_vec(),
    );
    files.insert(
        "data/notes/r\u{e9}sum\u{e9} \u{1f4ca}.bin",
        vec![0, 159, 146, 150, 255, 10],
    );
    let mut kept = ProjectFiles::new();
    for (p, c) in files
        .iter()
        .filter(|(p, _)| *p != "tests/assert_delta_leads_name_what_changed.sql")
    {
        kept.insert(p, c.to_vec());
    }
    kept
}

#[test]
fn an_edited_sample_travels_as_its_changes() {
    let files = edited_sample();
    let link = encode_link(&files).unwrap();
    let whole = encode_link(&builtin_sample()).unwrap();
    assert!(link.len() < 1_000, "{} characters", link.len());
    assert!(whole.len() < 100, "{whole}");
    let back = decode_link(&format!("http://127.0.0.1:8080/#{link}")).unwrap();
    assert_eq!(back, files);
    assert_eq!(decode_link(&whole).unwrap(), builtin_sample());
}

#[test]
fn another_project_travels_whole() {
    let files: ProjectFiles = [
        ("dbt_project.yml", b"name: shop\n".to_vec()),
        ("models/orders.sql", b"select 1 as id\n".to_vec()),
        (
            "seeds/\u{65e5}\u{672c}.csv",
            "a\n\u{2713}\n".as_bytes().to_vec(),
        ),
        ("data/blob.parquet", vec![80, 65, 82, 49, 0, 1, 2, 255]),
    ]
    .into_iter()
    .collect();
    assert_eq!(decode_link(&encode_link(&files).unwrap()).unwrap(), files);
}

#[test]
fn zips_round_trip_and_open_their_top_folder() {
    let files = edited_sample();
    let zip = to_zip(&files, "brightwheel").unwrap();
    assert_eq!(from_zip(&zip).unwrap(), files);
}

fn deflated_base64(bytes: &[u8]) -> String {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    URL_SAFE_NO_PAD.encode(e.finish().unwrap())
}

#[test]
fn bad_links_are_refused_with_a_reason() {
    let link = encode_link(&edited_sample()).unwrap();
    assert_eq!(
        decode_link("https://example.com/"),
        Err(ShareError::NotALink)
    );
    assert!(matches!(
        decode_link("mp1.%%%"),
        Err(ShareError::Corrupt(_))
    ));
    let cut = &link[..link.len() / 2];
    assert!(
        matches!(decode_link(cut), Err(ShareError::Corrupt(_))),
        "{:?}",
        decode_link(cut)
    );
    assert_eq!(
        decode_link("mp9.abc"),
        Err(ShareError::UnknownVersion("9".into()))
    );
    let not_a_project = format!("mp1.{}", deflated_base64(b"{\"hello\": 1}"));
    assert!(matches!(
        decode_link(&not_a_project),
        Err(ShareError::Corrupt(_))
    ));
    let escape = format!(
        "mp1.{}",
        deflated_base64(br#"{"base":null,"files":[["../../etc/passwd",{"text":"x"}]]}"#)
    );
    assert_eq!(
        decode_link(&escape),
        Err(ShareError::UnsafePath("../../etc/passwd".into()))
    );
    // A small link that inflates to gigabytes: refused once past the limit.
    let bomb = format!("mp1.{}", deflated_base64(&vec![b' '; 80 * 1024 * 1024]));
    assert!(bomb.len() < MAX_LINK_CHARS * 2, "{}", bomb.len());
    assert!(matches!(decode_link(&bomb), Err(ShareError::TooLarge(_))));
    let too_long = format!("mp1.{}", "A".repeat(MAX_LINK_CHARS * 3));
    assert!(matches!(
        decode_link(&too_long),
        Err(ShareError::TooLarge(_))
    ));
}

#[test]
fn a_project_too_large_for_a_link_says_so() {
    let mut files = ProjectFiles::new();
    files.insert("dbt_project.yml", b"name: big\n".to_vec());
    // Incompressible data, more than a link can carry.
    let mut x: u64 = 1;
    let noise: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x & 0xff) as u8
        })
        .collect();
    files.insert("data/noise.bin", noise);
    let err = encode_link(&files).unwrap_err();
    assert!(
        err.to_string().contains("download it as a .zip instead"),
        "{err}"
    );
}

#[test]
fn bad_archives_are_refused_with_a_reason() {
    assert!(matches!(
        from_zip(b"not a zip at all"),
        Err(ShareError::Corrupt(_))
    ));
    let zip = to_zip(&edited_sample(), "p").unwrap();
    assert!(matches!(
        from_zip(&zip[..zip.len() / 2]),
        Err(ShareError::Corrupt(_))
    ));

    let mut escape = ProjectFiles::new();
    escape.insert("ok.sql", b"select 1".to_vec());
    let bytes = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("../evil.sql", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"x").unwrap();
        w.finish().unwrap().into_inner()
    };
    assert_eq!(
        from_zip(&bytes),
        Err(ShareError::UnsafePath("../evil.sql".into()))
    );

    // A zip bomb: a few hundred kilobytes that expand past the limit.
    let bomb = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        w.start_file("p/zeros.csv", options).unwrap();
        let chunk = vec![0u8; 1024 * 1024];
        for _ in 0..80 {
            w.write_all(&chunk).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    assert!(matches!(from_zip(&bomb), Err(ShareError::TooLarge(_))));
}
