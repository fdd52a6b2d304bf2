//! What the CLI reads of the machine it runs on.

/// Bytes of memory the system could give a new process now (`MemAvailable` on Linux), or
/// `None` where that cannot be read.
pub fn available_memory() -> Option<usize> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    meminfo_available(&meminfo)
}

fn meminfo_available(meminfo: &str) -> Option<usize> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_memavailable_in_bytes() {
        let meminfo =
            "MemTotal:       24576000 kB\nMemFree:        1000 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(super::meminfo_available(meminfo), Some(20_000_000 * 1024));
        assert_eq!(super::meminfo_available("MemTotal: 1 kB\n"), None);
    }
}
