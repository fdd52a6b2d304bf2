//! CSV rows, kept byte for byte: a record's quoting is what tells NULL (an empty unquoted
//! field) from a blank string (`""`) when Redshift's COPY loads it, so records are cut
//! from the input as they are rather than parsed and written again.

use std::io::Read;

use super::{Keep, Picker, Taken};

/// Bytes read between progress reports.
const REPORT_EVERY: u64 = 1 << 20;

/// Keeps the header and the rows `keep` picks. `progress` hears the bytes read so far.
pub fn take_csv(
    mut input: impl Read,
    keep: Keep,
    progress: &mut dyn FnMut(u64),
) -> Result<Taken, String> {
    let mut splitter = Records::default();
    let mut header: Option<Vec<u8>> = None;
    let mut picker = Picker::new(keep);
    let mut buf = vec![0u8; 64 * 1024];
    let mut read: u64 = 0;
    let mut reported: u64 = 0;
    let mut line: u64 = 0;
    // The first record that is not blank is the header; the rest are rows. Every record is
    // text: a binary file renamed `.csv` is refused at its first record that is not.
    let mut on_record = |record: Vec<u8>,
                         header: &mut Option<Vec<u8>>,
                         picker: &mut Picker<_>|
     -> Result<(), String> {
        line += 1;
        not_text(&record).map_or(Ok(()), |why| Err(format!("line {line} {why}")))?;
        line += record
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            .saturating_sub(1) as u64;
        if record.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(());
        }
        match header {
            None => *header = Some(record),
            Some(_) => picker.offer(record),
        }
        Ok(())
    };
    loop {
        if header.is_some() && !picker.wants_more() {
            break;
        }
        let n = input
            .read(&mut buf)
            .map_err(|e| format!("could not read the file: {e}"))?;
        if n == 0 {
            if let Some(last) = splitter.finish() {
                on_record(last, &mut header, &mut picker)?;
            }
            break;
        }
        read += n as u64;
        for record in splitter.push(buf.get(..n).unwrap_or_default()) {
            on_record(record, &mut header, &mut picker)?;
        }
        if read - reported >= REPORT_EVERY {
            reported = read;
            progress(read);
        }
    }
    progress(read);
    let Some(mut bytes) = header else {
        return Err("the file is empty: a CSV needs a header row".into());
    };
    ensure_newline(&mut bytes);
    let rows_read = picker.seen();
    let rows = picker.finish();
    let rows_kept = rows.len() as u64;
    for mut row in rows {
        ensure_newline(&mut row);
        bytes.extend_from_slice(&row);
    }
    Ok(Taken {
        bytes,
        rows_read,
        rows_kept,
    })
}

/// Why a record is not CSV text, if it is not: COPY refuses bytes that are not UTF-8, and a
/// NUL byte only occurs in binary files.
fn not_text(record: &[u8]) -> Option<String> {
    if record.contains(&0) {
        return Some("holds a NUL byte: the file is binary, not a CSV".into());
    }
    std::str::from_utf8(record).err().map(|_| {
        "is not UTF-8 text (Redshift's COPY reads CSV as UTF-8): save the file as UTF-8".into()
    })
}

fn ensure_newline(record: &mut Vec<u8>) {
    if record.last() != Some(&b'\n') {
        record.push(b'\n');
    }
}

/// Splits a byte stream into records at line breaks outside quotes; a doubled quote inside
/// quotes toggles twice and so changes nothing.
#[derive(Default)]
struct Records {
    current: Vec<u8>,
    in_quotes: bool,
}

impl Records {
    fn push(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for &b in chunk {
            self.current.push(b);
            match b {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => out.push(std::mem::take(&mut self.current)),
                _ => {}
            }
        }
        out
    }

    fn finish(&mut self) -> Option<Vec<u8>> {
        (!self.current.is_empty()).then(|| std::mem::take(&mut self.current))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A reader that hands out a few bytes at a time, as a file read in slices does.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(3).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    const FILE: &[u8] = b"id,note\r\n1,\"a, \"\"quoted\"\"\r\nline\"\r\n2,\r\n3,\"\"\r\n4,last";

    #[test]
    fn keeps_records_byte_for_byte_across_slices() {
        let all = take_csv(Trickle(FILE), Keep::All, &mut |_| {}).unwrap();
        assert_eq!(all.bytes, [FILE, b"\n"].concat());
        assert_eq!((all.rows_read, all.rows_kept), (4, 4));
        let first = take_csv(Trickle(FILE), Keep::First(2), &mut |_| {}).unwrap();
        assert_eq!(
            first.bytes,
            b"id,note\r\n1,\"a, \"\"quoted\"\"\r\nline\"\r\n2,\r\n".to_vec()
        );
        // What it kept reads as the engine reads any CSV: NULL and blank stay apart.
        let (table, _) = crate::data::csv::parse_csv("x.csv", &all.bytes, b',').unwrap();
        assert_eq!(table.rows[1][1], None);
        assert_eq!(table.rows[2][1], Some(String::new()));
        assert_eq!(table.rows[0][1].as_deref(), Some("a, \"quoted\"\r\nline"));
    }

    #[test]
    fn a_random_sample_keeps_the_header_and_file_order() {
        let mut file = b"n\n".to_vec();
        for i in 0..1000 {
            file.extend_from_slice(format!("{i}\n").as_bytes());
        }
        let mut heard = Vec::new();
        let taken = take_csv(
            file.as_slice(),
            Keep::Random { rows: 50, seed: 1 },
            &mut |n| heard.push(n),
        )
        .unwrap();
        assert_eq!((taken.rows_read, taken.rows_kept), (1000, 50));
        let text = String::from_utf8(taken.bytes).unwrap();
        let values: Vec<u32> = text.lines().skip(1).map(|l| l.parse().unwrap()).collect();
        assert_eq!(text.lines().next(), Some("n"));
        assert!(values.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(heard.last(), Some(&(file.len() as u64)));
    }

    #[test]
    fn the_first_rows_stop_the_reading_early() {
        let mut file = b"n\n".to_vec();
        for i in 0..200_000 {
            file.extend_from_slice(format!("{i}\n").as_bytes());
        }
        let mut heard = 0;
        let taken = take_csv(file.as_slice(), Keep::First(10), &mut |n| heard = n).unwrap();
        assert_eq!(taken.rows_kept, 10);
        assert!(heard < file.len() as u64 / 2, "{heard}");
    }

    #[test]
    fn a_binary_or_non_utf8_file_is_refused_at_its_line() {
        let binary = take_csv(&b"a,b\n1,2\n\x00\x01\x02"[..], Keep::All, &mut |_| {});
        assert_eq!(
            binary.unwrap_err(),
            "line 3 holds a NUL byte: the file is binary, not a CSV"
        );
        let latin1 = take_csv(&b"name\n\"a\nb\"\ncaf\xe9\n"[..], Keep::All, &mut |_| {});
        assert!(latin1.unwrap_err().starts_with("line 4 is not UTF-8"));
    }

    #[test]
    fn an_empty_file_is_an_error() {
        assert!(take_csv(&b""[..], Keep::All, &mut |_| {}).is_err());
    }
}
