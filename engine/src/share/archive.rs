//! `.zip` archives of dbt projects: what the playground downloads and what people drop in.
//! An archive whose project sits in one top folder opens as that folder.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::{MAX_EXPANDED_BYTES, MAX_FILES, ShareError, safe_path};
use crate::files::ProjectFiles;

/// The project as a `.zip` with everything under `folder/`.
pub fn to_zip(files: &ProjectFiles, folder: &str) -> Result<Vec<u8>, ShareError> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (path, contents) in files.iter() {
        zip.start_file(format!("{folder}/{path}"), options)
            .map_err(|e| ShareError::Corrupt(e.to_string()))?;
        zip.write_all(contents)
            .map_err(|e| ShareError::Corrupt(e.to_string()))?;
    }
    zip.finish()
        .map(Cursor::into_inner)
        .map_err(|e| ShareError::Corrupt(e.to_string()))
}

/// The project in a `.zip`. Refuses archives that are damaged, hold unsafe paths, or would
/// expand past [`MAX_EXPANDED_BYTES`] (counting what is read, not what the archive claims).
pub fn from_zip(bytes: &[u8]) -> Result<ProjectFiles, ShareError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ShareError::Corrupt(format!("not a zip archive: {e}")))?;
    if archive.len() > MAX_FILES {
        return Err(ShareError::TooLarge(format!(
            "the archive holds {} entries, more than {MAX_FILES}",
            archive.len()
        )));
    }
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| ShareError::Corrupt(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map_err(|e| ShareError::Corrupt(format!("a file name: {e}")))?
            .to_string();
        let path = safe_path(&name)?;
        let budget = MAX_EXPANDED_BYTES - total;
        let mut contents = Vec::new();
        (&mut entry)
            .take(budget + 1)
            .read_to_end(&mut contents)
            .map_err(|e| ShareError::Corrupt(format!("`{name}`: {e}")))?;
        total += contents.len() as u64;
        if total > MAX_EXPANDED_BYTES {
            return Err(ShareError::TooLarge(format!(
                "the archive expands past {} MiB",
                MAX_EXPANDED_BYTES / 1024 / 1024
            )));
        }
        entries.push((path, contents));
    }
    // `shop/dbt_project.yml` and friends: open the folder, not the archive root.
    let top: Option<String> = entries
        .iter()
        .find(|(p, _)| p.ends_with("dbt_project.yml") && p.matches('/').count() == 1)
        .and_then(|(p, _)| p.split_once('/').map(|(t, _)| format!("{t}/")));
    let all_under_top = top
        .as_ref()
        .is_some_and(|t| entries.iter().all(|(p, _)| p.starts_with(t.as_str())));
    let mut files = ProjectFiles::new();
    for (path, contents) in entries {
        let path = match (&top, all_under_top) {
            (Some(t), true) => path.trim_start_matches(t.as_str()).to_string(),
            _ => path,
        };
        files.insert(path, contents);
    }
    Ok(files)
}
