//! Share links: `<page>#mp1.<payload>`, the payload being the project as JSON, deflated, in
//! base64url. The format version comes first so that links made today keep opening when
//! the format changes. A project based on the built-in sample carries only its changes.

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use serde::{Deserialize, Serialize};

use super::{MAX_EXPANDED_BYTES, MAX_FILES, ShareError, builtin_sample, safe_path};
use crate::files::ProjectFiles;

/// What starts the fragment of a format-1 link.
pub const LINK_PREFIX: &str = "mp1.";
/// Longest link modelplay makes: beyond this, browsers and chat tools start cutting URLs, so
/// the playground offers the `.zip` download instead.
pub const MAX_LINK_CHARS: usize = 100_000;

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    /// `brightwheel` when the project is the built-in sample plus these changes.
    base: Option<String>,
    /// Files, text as text and anything else as base64.
    files: Vec<(String, Content)>,
    /// Files of the base that the project no longer has.
    #[serde(default)]
    deleted: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Content {
    Text(String),
    Base64(String),
}

/// The link fragment (without `#`) for a project; `Err` when it would be longer than
/// [`MAX_LINK_CHARS`].
pub fn encode_link(files: &ProjectFiles) -> Result<String, ShareError> {
    let sample = builtin_sample();
    let changed: Vec<(&str, &[u8])> = files
        .iter()
        .filter(|(p, c)| sample.get(p) != Some(*c))
        .collect();
    let deleted: Vec<String> = sample
        .paths()
        .filter(|p| files.get(p).is_none())
        .map(str::to_string)
        .collect();
    // Based on the sample when that is the smaller description.
    let based = changed.len() + deleted.len() < files.len();
    let payload = Payload {
        base: based.then(|| "brightwheel".to_string()),
        files: if based {
            changed
        } else {
            files.iter().collect()
        }
        .into_iter()
        .map(|(p, c)| {
            let content = match std::str::from_utf8(c) {
                Ok(t) => Content::Text(t.to_string()),
                Err(_) => Content::Base64(URL_SAFE_NO_PAD.encode(c)),
            };
            (p.to_string(), content)
        })
        .collect(),
        deleted: if based { deleted } else { Vec::new() },
    };
    let json = serde_json::to_vec(&payload).map_err(|e| ShareError::Corrupt(e.to_string()))?;
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
    encoder
        .write_all(&json)
        .map_err(|e| ShareError::Corrupt(e.to_string()))?;
    let deflated = encoder
        .finish()
        .map_err(|e| ShareError::Corrupt(e.to_string()))?;
    let link = format!("{LINK_PREFIX}{}", URL_SAFE_NO_PAD.encode(deflated));
    if link.len() > MAX_LINK_CHARS {
        return Err(ShareError::TooLarge(format!(
            "the project needs a {}-character link, over the {MAX_LINK_CHARS} a link can safely carry; download it as a .zip instead",
            link.len()
        )));
    }
    Ok(link)
}

/// The project a link (a whole URL or just its fragment) carries.
pub fn decode_link(link: &str) -> Result<ProjectFiles, ShareError> {
    let fragment = link.rsplit_once('#').map_or(link, |(_, f)| f).trim();
    let Some((version, data)) = fragment.split_once('.') else {
        return Err(ShareError::NotALink);
    };
    match version {
        "mp1" => {}
        v if v.starts_with("mp") && v[2..].chars().all(|c| c.is_ascii_digit()) && v.len() > 2 => {
            return Err(ShareError::UnknownVersion(v[2..].to_string()));
        }
        _ => return Err(ShareError::NotALink),
    }
    if data.len() > MAX_LINK_CHARS * 2 {
        return Err(ShareError::TooLarge(format!(
            "the link is {} characters long",
            data.len()
        )));
    }
    let deflated = URL_SAFE_NO_PAD
        .decode(data.trim_end_matches('='))
        .map_err(|_| ShareError::Corrupt("it holds characters a link does not".into()))?;
    let mut json = Vec::new();
    DeflateDecoder::new(deflated.as_slice())
        .take(MAX_EXPANDED_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|_| ShareError::Corrupt("its compressed project does not unpack".into()))?;
    if json.len() as u64 > MAX_EXPANDED_BYTES {
        return Err(ShareError::TooLarge(format!(
            "the link expands past {} MiB",
            MAX_EXPANDED_BYTES / 1024 / 1024
        )));
    }
    let payload: Payload = serde_json::from_slice(&json)
        .map_err(|_| ShareError::Corrupt("what it unpacks to is not a project".into()))?;
    if payload.files.len() > MAX_FILES {
        return Err(ShareError::TooLarge(format!(
            "the link holds {} files, more than {MAX_FILES}",
            payload.files.len()
        )));
    }
    let mut files = match payload.base.as_deref() {
        None => ProjectFiles::new(),
        Some("brightwheel") => builtin_sample(),
        Some(other) => {
            return Err(ShareError::Corrupt(format!(
                "unknown base project `{other}`"
            )));
        }
    };
    let mut kept = ProjectFiles::new();
    for (path, keep) in files.iter() {
        if !payload.deleted.iter().any(|d| d == path) {
            kept.insert(path, keep.to_vec());
        }
    }
    files = kept;
    for (path, content) in payload.files {
        let path = safe_path(&path)?;
        let bytes = match content {
            Content::Text(t) => t.into_bytes(),
            Content::Base64(b) => URL_SAFE_NO_PAD.decode(b).map_err(|_| {
                ShareError::Corrupt(format!("the contents of `{path}` do not decode"))
            })?,
        };
        files.insert(path, bytes);
    }
    Ok(files)
}
