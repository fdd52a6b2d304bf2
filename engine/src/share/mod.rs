//! Moving whole projects around: share links whose URL fragment carries the project (only
//! what differs from the built-in sample when it is based on it), and `.zip` archives of
//! dbt projects. Both are untrusted input: every limit is checked before anything is
//! written, and a bad link or archive is an error that changes nothing.

mod archive;
mod link;

pub use archive::{from_zip, to_zip};
pub use link::{LINK_PREFIX, MAX_LINK_CHARS, decode_link, encode_link};

use crate::files::ProjectFiles;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/builtin_sample.rs"));
}

/// Most bytes a link or archive may expand to.
pub const MAX_EXPANDED_BYTES: u64 = 64 * 1024 * 1024;
/// Most files a link or archive may hold.
pub const MAX_FILES: usize = 20_000;

/// The built-in sample project, as the playground opens it.
pub fn builtin_sample() -> ProjectFiles {
    embedded::BRIGHTWHEEL
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_vec()))
        .collect()
}

/// Why a link or archive was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareError {
    NotALink,
    UnknownVersion(String),
    Corrupt(String),
    TooLarge(String),
    UnsafePath(String),
}

impl std::fmt::Display for ShareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShareError::NotALink => write!(
                f,
                "this is not a modelplay project link (it should contain `#{LINK_PREFIX}`)"
            ),
            ShareError::UnknownVersion(v) => write!(
                f,
                "this link was made by a newer modelplay (format {v}); open it with an up-to-date version"
            ),
            ShareError::Corrupt(why) => write!(
                f,
                "the project data is damaged or cut short ({why}); ask for the link or file again"
            ),
            ShareError::TooLarge(why) => write!(f, "refused: {why}"),
            ShareError::UnsafePath(p) => write!(
                f,
                "refused: the path `{p}` would write outside the project folder"
            ),
        }
    }
}

impl std::error::Error for ShareError {}

/// A path a project may hold: relative, no `..`, no drive or root.
pub(crate) fn safe_path(path: &str) -> Result<String, ShareError> {
    let clean = path.replace('\\', "/");
    let bad = clean.is_empty()
        || clean.starts_with('/')
        || clean.contains(':')
        || clean.split('/').any(|part| part == "..");
    if bad {
        Err(ShareError::UnsafePath(path.to_string()))
    } else {
        Ok(clean.trim_start_matches("./").to_string())
    }
}
