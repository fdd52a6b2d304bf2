//! How much working memory a build's queries may take, and where they spill past it.
//!
//! The engine on its own leaves DataFusion unbounded, with nowhere to spill: in the browser
//! there is no disk, and the core touches no files. A native host (the CLI) gives a
//! [`MemoryLimit`]; sorts, aggregations and joins then share that much and write what does
//! not fit to temporary files, so a build larger than memory slows down instead of dying.
//! Built tables are not counted: the limit is for the work of the queries in between.

use std::sync::Arc;

use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};

/// Working memory for a build's queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryLimit {
    /// Bytes the queries running at once may hold together.
    pub bytes: usize,
    /// Whether what does not fit goes to the operating system's temporary directory; without
    /// it, a query that needs more fails with an error naming the limit.
    pub spill: bool,
}

impl MemoryLimit {
    pub(crate) fn runtime(self) -> Result<Arc<RuntimeEnv>, String> {
        let mode = if self.spill {
            DiskManagerMode::OsTmpDirectory
        } else {
            DiskManagerMode::Disabled
        };
        RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(FairSpillPool::new(self.bytes)))
            .with_disk_manager_builder(DiskManagerBuilder::default().with_mode(mode))
            .build_arc()
            .map_err(|e| format!("could not set up spilling to disk: {}", e.find_root()))
    }
}

/// Reads a size as people write it: `512M`, `4G`, `1.5GB`, or bytes.
pub fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim().to_ascii_uppercase();
    let t = t.strip_suffix('B').unwrap_or(&t).trim_end();
    let (number, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let scale: f64 = match unit.trim() {
        "" => 1.0,
        "K" | "KI" => 1024.0,
        "M" | "MI" => 1024.0 * 1024.0,
        "G" | "GI" => 1024.0 * 1024.0 * 1024.0,
        "T" | "TI" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let n: f64 = number.trim().parse().ok()?;
    (n.is_finite() && n > 0.0).then_some((n * scale) as usize)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_as_written() {
        for (text, bytes) in [
            ("512M", Some(512 << 20)),
            ("4G", Some(4 << 30)),
            ("4gb", Some(4 << 30)),
            ("1.5G", Some(3 << 29)),
            ("2048", Some(2048)),
            ("10 MiB", Some(10 << 20)),
            ("", None),
            ("-1G", None),
            ("4X", None),
        ] {
            assert_eq!(parse_size(text), bytes, "{text}");
        }
    }
}
