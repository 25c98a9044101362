//! Output of the client commands: aligned tables for people on a terminal,
//! JSON for programs (`--output json`, or whenever stdout is not a terminal).
use crate::commands::{Common, OutputFormat};
use serde::Serialize;
use std::io::{IsTerminal, Write};

impl Common {
    pub fn format(&self) -> OutputFormat {
        self.output.unwrap_or_else(|| {
            if std::io::stdout().is_terminal() { OutputFormat::Table } else { OutputFormat::Json }
        })
    }
}

/// Pretty JSON and a newline on stdout.
pub fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_stdout(text.as_bytes())
}

/// Writes all of `bytes` to stdout. A reader that stopped early (`| head`)
/// closed the pipe because it has what it wanted: that ends the output
/// quietly instead of as an error (`println!` would panic).
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(error).context("writing to stdout"))
        }
        _ => Ok(()),
    }
}

/// Columns padded to their widest cell; the last column is not padded.
/// Cells are made single-line so a row stays a row.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let clean = |cell: &str| cell.replace(['\n', '\r', '\t'], " ");
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    let rows: Vec<Vec<String>> = rows.iter().map(|row| row.iter().map(|c| clean(c)).collect()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        text.trim_end().to_owned() + "\n"
    };
    let mut text = line(headers.to_vec());
    for row in &rows {
        text.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    text
}

/// Either the JSON of `value` or the table made from it.
pub fn emit<T: Serialize>(
    common: &Common,
    value: &T,
    headers: &[&str],
    rows: impl FnOnce(&T) -> Vec<Vec<String>>,
) -> anyhow::Result<()> {
    match common.format() {
        OutputFormat::Json => print_json(value),
        OutputFormat::Table => write_stdout(table(headers, &rows(value)).as_bytes()),
    }
}

/// The time part of an ISO-8601 timestamp cut to the second, for tables.
pub fn short_time(timestamp: &str) -> String {
    timestamp.get(..19).unwrap_or(timestamp).replace('T', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_cells_stay_on_one_line() {
        let rows = vec![
            vec!["a".into(), "long value".into(), "x".into()],
            vec!["bbbb".into(), "v\nw".into(), "".into()],
        ];
        assert_eq!(
            table(&["N", "VALUE", "END"], &rows),
            "N     VALUE       END\na     long value  x\nbbbb  v w\n"
        );
    }
}
