//! Writes CSV as agencies do: quotes only where needed, CRLF line ends for some files, and
//! an explicit distinction between a blank value (`""`) and a missing one (nothing).

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// Written as `""`.
    Blank,
    /// Written as nothing.
    Missing,
    /// Raw bytes, for the odd value that is not UTF-8.
    Bytes(Vec<u8>),
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

pub fn write(headers: &[&str], rows: &[Vec<Cell>], crlf: bool) -> Vec<u8> {
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::new();
    let header_cells: Vec<Cell> = headers.iter().map(|h| Cell::from(*h)).collect();
    for row in std::iter::once(&header_cells).chain(rows) {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match cell {
                Cell::Text(s) if s.is_empty() => {}
                Cell::Text(s) => {
                    if s.contains([',', '"', '\n', '\r']) {
                        out.push(b'"');
                        out.extend(s.replace('"', "\"\"").bytes());
                        out.push(b'"');
                    } else {
                        out.extend(s.bytes());
                    }
                }
                Cell::Blank => out.extend(b"\"\""),
                Cell::Missing => {}
                Cell::Bytes(b) => out.extend(b),
            }
        }
        out.extend(eol);
    }
    out
}
