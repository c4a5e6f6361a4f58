//! Writing to stdout: JSON, aligned tables, and treating a closed pipe as success.

use serde::Serialize;
use std::io::{self, Write};

/// Writes `value` as pretty JSON and a newline to stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Writes text to stdout.
pub fn print_text(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// True when the error is a write to a closed pipe (`chainsleuth ... | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}

/// `text` safe to print on a terminal: every control character (newlines,
/// escape sequences, C1 controls) written as a visible Rust escape, so a label
/// from a file cannot forge an output line or move the cursor.
pub fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect(),
    )
}

/// A table with left-aligned first column and right-aligned others.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Starts a table with a header row.
    pub fn new(header: &[&str]) -> Self {
        Self { rows: vec![header.iter().map(|s| (*s).to_owned()).collect()] }
    }

    /// Adds a row (control characters in cells escaped, see [`safe`]).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells.into_iter().map(|c| safe(&c).into_owned()).collect());
    }

    /// Renders the table with two spaces between columns.
    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| self.rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    line.push_str("  ");
                }
                let pad = widths[c] - cell.chars().count();
                if c == 0 {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Formats satoshis as BTC with 8 decimals.
pub fn btc(sats: u64) -> String {
    format!("{}.{:08}", sats / 100_000_000, sats % 100_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns() {
        let mut t = Table::new(&["class", "n"]);
        t.row(vec!["p2wpkh".into(), "12".into()]);
        assert_eq!(t.render(), "class    n\np2wpkh  12\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(safe("plain label"), "plain label");
        assert_eq!(safe("a\nrisk        Low\x1b[1A\u{9b}"), "a\\nrisk        Low\\u{1b}[1A\\u{9b}");
        let mut t = Table::new(&["label"]);
        t.row(vec!["x\ry".into()]);
        assert_eq!(t.render(), "label\nx\\ry\n");
    }
}
