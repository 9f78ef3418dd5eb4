//! The file's real line number of each CSV record. The csv crate's own
//! `Position::line` (and `Position::byte`) is where its reader resumed before a record,
//! which is before the line break that ends the previous record whenever that break is
//! CRLF or is followed by blank lines: line numbers came out one too low on CRLF files,
//! and lower still after blank lines. [`Lines`] sits under the csv reader, sees every byte
//! it reads and remembers where the runs of line-break bytes are; a record's real start is
//! the end of the run its reported position falls in, and its line is one plus the line
//! breaks before that. Only the runs not yet behind the last record are kept: a few per
//! buffer of read-ahead, plus those inside one multi-line record.

use std::collections::VecDeque;
use std::io::{self, Read};

/// A run of `\r` and `\n` bytes in the file.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// Offset of its first byte.
    start: u64,
    /// Offset just past its last byte.
    end: u64,
    /// Line breaks in it: each `\n`, and each `\r` not followed by `\n` (old Mac files).
    breaks: u64,
}

/// A reader that counts line breaks as they pass, for [`Lines::line_at`].
#[derive(Debug)]
pub(super) struct Lines<R> {
    inner: R,
    /// Bytes read through so far.
    offset: u64,
    /// Line breaks in the runs already dropped, all before the last record asked about.
    breaks_before: u64,
    /// Runs not yet behind the last record asked about, in file order.
    runs: VecDeque<Run>,
    /// Whether the last byte read was a `\r` (a `\n` right after it ends the same line).
    after_cr: bool,
}

impl<R> Lines<R> {
    /// Wraps `inner`, counting from its first byte.
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            breaks_before: 0,
            runs: VecDeque::new(),
            after_cr: false,
        }
    }

    /// The line (1 is the first) of the record the csv reader says starts at byte `byte`.
    /// Calls must come in file order: runs behind `byte` are forgotten.
    pub(super) fn line_at(&mut self, byte: u64) -> u64 {
        while let Some(run) = self.runs.front().copied() {
            if run.end > byte {
                break;
            }
            self.breaks_before += run.breaks;
            self.runs.pop_front();
        }
        match self.runs.front() {
            // Inside the breaks ending the previous record: the record starts after them.
            Some(run) if run.start <= byte => 1 + self.breaks_before + run.breaks,
            _ => 1 + self.breaks_before,
        }
    }

    fn note(&mut self, bytes: &[u8]) {
        for (i, &b) in bytes.iter().enumerate() {
            let at = self.offset + i as u64;
            if b != b'\r' && b != b'\n' {
                self.after_cr = false;
                continue;
            }
            let counts = u64::from(!(b == b'\n' && self.after_cr));
            self.after_cr = b == b'\r';
            match self.runs.back_mut() {
                Some(run) if run.end == at => {
                    run.end += 1;
                    run.breaks += counts;
                }
                _ => self.runs.push_back(Run {
                    start: at,
                    end: at + 1,
                    breaks: counts,
                }),
            }
        }
        self.offset += bytes.len() as u64;
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.note(&buf[..n]);
        Ok(n)
    }
}

/// The csv reader every import reading uses: header first, trimmed cells, every row as
/// wide as the header, counting real lines underneath.
pub(super) fn reader<R: Read>(input: R) -> csv::Reader<Lines<R>> {
    csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(Lines::new(input))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Each record's cells and real line, read as an import reads them.
    fn read(file: &[u8]) -> Vec<(Vec<String>, u64)> {
        let mut r = reader(file);
        r.headers().expect("a header");
        let mut records = r.into_records();
        let mut out = Vec::new();
        while let Some(record) = records.next() {
            let record = record.expect("a readable record");
            let byte = record.position().map_or(0, csv::Position::byte);
            let line = records.reader_mut().get_mut().line_at(byte);
            out.push((record.iter().map(str::to_owned).collect(), line));
        }
        out
    }

    #[test]
    fn crlf_files_and_quoted_line_breaks_keep_the_files_lines() {
        let lf = "name,notes\na,x\n\nb,\"two\nlines\"\nc,y\n";
        let crlf = lf.replace('\n', "\r\n");
        for file in [lf.to_owned(), crlf] {
            let lines: Vec<u64> = read(file.as_bytes()).into_iter().map(|r| r.1).collect();
            assert_eq!(lines, [2, 4, 6], "{file:?}");
        }
        let with_bom = "\u{feff}name\r\na\r\nb\r\n";
        let lines: Vec<u64> = read(with_bom.as_bytes()).into_iter().map(|r| r.1).collect();
        assert_eq!(lines, [2, 3]);
    }

    /// A cell: plain text, or text with commas, quotes and line breaks of every kind.
    fn cell() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("a"),
                Just("b c"),
                Just(","),
                Just("\""),
                Just("\n"),
                Just("\r\n"),
                Just("\r"),
            ],
            1..5,
        )
        .prop_map(|parts| format!("x{}x", parts.concat()))
    }

    fn quoted(c: &str) -> String {
        if c.contains([',', '"', '\r', '\n']) {
            format!("\"{}\"", c.replace('"', "\"\""))
        } else {
            c.to_owned()
        }
    }

    /// Line breaks as an editor shows them: CRLF, a lone LF and a lone CR each end a line.
    fn breaks(s: &str) -> u64 {
        let crlf = s.matches("\r\n").count();
        (s.matches('\n').count() + s.matches('\r').count() - crlf) as u64
    }

    proptest! {
        #[test]
        fn every_record_is_read_whole_on_its_real_line(
            rows in proptest::collection::vec(
                (cell(), cell(), prop_oneof![Just("\n"), Just("\r\n")], 0..3usize),
                1..30,
            ),
            header_end in prop_oneof![Just("\n"), Just("\r\n")],
        ) {
            let mut file = format!("first,second{header_end}");
            let mut expected = Vec::new();
            for (a, b, end, blank_lines) in &rows {
                expected.push((vec![a.clone(), b.clone()], 1 + breaks(&file)));
                file.push_str(&format!("{},{}{end}", quoted(a), quoted(b)));
                file.push_str(&end.repeat(*blank_lines));
            }
            prop_assert_eq!(read(file.as_bytes()), expected, "{:?}", file);
        }
    }
}
