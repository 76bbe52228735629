//! Follows the request stream of one connection byte by byte, as HTTP/1.1 frames it: a head,
//! then a body of `Content-Length` bytes or in chunks, then the next head. Only heads are
//! measured against the limits; body bytes (of a pipelined request, or drained after an early
//! answer) are skipped, so they are never mistaken for the start of a request.

use tokio::time::Instant;

use super::guard::{ConnectionLimits, Refusal};

/// The head currently arriving.
#[derive(Debug, Default)]
pub(super) struct Head {
    /// When its first byte arrived; `None` before that.
    pub(super) started: Option<Instant>,
    /// The head so far (at most `max-head-bytes`), read for its framing headers at its end.
    text: Vec<u8>,
    /// Line breaks seen, leading blank lines not counted.
    lines: usize,
    /// Any byte other than a line break has arrived (blank lines before a request are allowed).
    content: bool,
    /// The request line is complete.
    line_ended: bool,
    /// The last byte that was not `\r` was a line break.
    after_newline: bool,
}

/// Where in the request stream the next byte falls.
#[derive(Debug)]
enum Phase {
    Head(Head),
    /// A body of known length: bytes left.
    Body(u64),
    /// A chunk-size line: the size so far, and whether an extension (`;...`) has started.
    ChunkSize {
        size: u64,
        extension: bool,
    },
    /// Chunk data: bytes left, then its line break.
    ChunkData(u64),
    /// The line break after chunk data.
    ChunkEnd,
    /// Trailer lines after the last chunk, up to a blank line; whether the current line is empty.
    Trailers {
        empty: bool,
    },
}

/// The framing state of one connection.
#[derive(Debug)]
pub(super) struct Framing {
    phase: Phase,
}

impl Default for Framing {
    fn default() -> Self {
        Framing {
            phase: Phase::Head(Head::default()),
        }
    }
}

/// What a chunk of bytes did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Progress {
    /// A head broke a limit.
    pub(super) refusal: Option<Refusal>,
    /// Heads completed.
    pub(super) heads: usize,
}

impl Framing {
    /// The head arriving now, if its first byte has come and its end has not.
    pub(super) fn head_started(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Head(head) => head.started,
            _ => None,
        }
    }

    /// Accounts for bytes read from the client.
    pub(super) fn feed(&mut self, bytes: &[u8], limits: &ConnectionLimits) -> Progress {
        let mut progress = Progress::default();
        let mut rest = bytes;
        while !rest.is_empty() {
            let used = match &mut self.phase {
                Phase::Head(head) => {
                    let (used, outcome) = head_bytes(head, rest, limits);
                    match outcome {
                        HeadOutcome::More => {}
                        HeadOutcome::Refused(refusal) => {
                            progress.refusal = Some(refusal);
                            return progress;
                        }
                        HeadOutcome::Done => {
                            progress.heads += 1;
                            let next = body_after(&head.text);
                            self.phase = next;
                        }
                    }
                    used
                }
                Phase::Body(left) => {
                    let used = rest.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                    *left -= used as u64;
                    if *left == 0 {
                        self.phase = Phase::Head(Head::default());
                    }
                    used
                }
                Phase::ChunkData(left) => {
                    let used = rest.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                    *left -= used as u64;
                    if *left == 0 {
                        self.phase = Phase::ChunkEnd;
                    }
                    used
                }
                _ => {
                    self.chunk_framing_byte(rest[0]);
                    1
                }
            };
            rest = &rest[used..];
        }
        progress
    }

    /// One byte of a chunk-size line, a chunk's closing line break, or the trailers.
    fn chunk_framing_byte(&mut self, b: u8) {
        self.phase = match std::mem::replace(&mut self.phase, Phase::ChunkEnd) {
            Phase::ChunkSize { size, extension } => match b {
                b'\n' if size == 0 => Phase::Trailers { empty: true },
                b'\n' => Phase::ChunkData(size),
                b';' => Phase::ChunkSize {
                    size,
                    extension: true,
                },
                _ if extension => Phase::ChunkSize { size, extension },
                _ => {
                    let digit = (b as char).to_digit(16).map_or(0, u64::from);
                    let size = if (b as char).is_ascii_hexdigit() {
                        size.saturating_mul(16).saturating_add(digit)
                    } else {
                        size
                    };
                    Phase::ChunkSize { size, extension }
                }
            },
            Phase::ChunkEnd if b == b'\n' => Phase::ChunkSize {
                size: 0,
                extension: false,
            },
            Phase::ChunkEnd => Phase::ChunkEnd,
            Phase::Trailers { empty } => match b {
                b'\n' if empty => Phase::Head(Head::default()),
                b'\n' => Phase::Trailers { empty: true },
                b'\r' => Phase::Trailers { empty },
                _ => Phase::Trailers { empty: false },
            },
            other => other,
        };
    }
}

enum HeadOutcome {
    More,
    Done,
    Refused(Refusal),
}

/// Reads head bytes up to the end of the head; returns how many were used.
fn head_bytes(head: &mut Head, bytes: &[u8], limits: &ConnectionLimits) -> (usize, HeadOutcome) {
    if head.started.is_none() {
        head.started = Some(Instant::now());
    }
    for (i, &b) in bytes.iter().enumerate() {
        if head.text.len() >= limits.max_head_bytes {
            return (i, HeadOutcome::Refused(Refusal::HeadTooLarge));
        }
        head.text.push(b);
        match b {
            b'\n' | b'\r' if !head.content => {}
            b'\n' => {
                head.lines += 1;
                head.line_ended = true;
                if head.after_newline {
                    return (i + 1, HeadOutcome::Done);
                }
                head.after_newline = true;
                // Lines so far: the request line and one per header.
                if head.lines - 1 > limits.max_headers {
                    return (i + 1, HeadOutcome::Refused(Refusal::TooManyHeaders));
                }
            }
            b'\r' => {}
            _ => {
                head.content = true;
                head.after_newline = false;
            }
        }
        if !head.line_ended && head.text.len() > limits.max_request_line_bytes {
            return (i + 1, HeadOutcome::Refused(Refusal::RequestLineTooLong));
        }
    }
    (bytes.len(), HeadOutcome::More)
}

/// The body that follows a complete head, as HTTP/1.1 frames a request: chunked when the last
/// transfer coding is `chunked`, else `Content-Length` bytes, else none. A head the HTTP parser
/// will refuse anyway (conflicting or unreadable lengths) is treated as having no body.
fn body_after(head: &[u8]) -> Phase {
    let text = String::from_utf8_lossy(head);
    let mut length: Option<u64> = None;
    let mut chunked = false;
    for line in text.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok();
        }
    }
    match (chunked, length) {
        (true, _) => Phase::ChunkSize {
            size: 0,
            extension: false,
        },
        (false, Some(n)) if n > 0 => Phase::Body(n),
        _ => Phase::Head(Head::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::guard::tests::limits;
    use super::*;

    fn heads_in(stream: &[u8], chunk: usize) -> (usize, Option<Refusal>) {
        let mut framing = Framing::default();
        let mut heads = 0;
        for part in stream.chunks(chunk) {
            let progress = framing.feed(part, &limits());
            heads += progress.heads;
            if progress.refusal.is_some() {
                return (heads, progress.refusal);
            }
        }
        (heads, None)
    }

    #[test]
    fn bodies_are_skipped_whatever_they_hold_and_however_they_arrive() {
        // A long body without line breaks, a chunked body, then a third request.
        let long = "x".repeat(1000);
        let stream = format!(
            "POST /a HTTP/1.1\r\nContent-Length: {}\r\n\r\n{long}\
             POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
             5;ext=1\r\nhello\r\n3e8\r\n{long}\r\n0\r\nX-Trailer: 1\r\n\r\n\
             \r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n",
            long.len()
        );
        for chunk in [1, 7, 4096] {
            assert_eq!(
                heads_in(stream.as_bytes(), chunk),
                (3, None),
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn heads_that_break_a_limit_are_refused_with_the_right_reason() {
        let cases = [
            (
                format!("GET /{} HTTP/1.1\r\n", "a".repeat(60)),
                Refusal::RequestLineTooLong,
            ),
            (
                "GET / HTTP/1.1\r\na: 1\r\nb: 1\r\nc: 1\r\nd: 1\r\n".to_string(),
                Refusal::TooManyHeaders,
            ),
            (
                format!("GET / HTTP/1.1\r\nx: {}\r\n", "a".repeat(200)),
                Refusal::HeadTooLarge,
            ),
            // Blank lines before a request do not hide a long request line.
            (
                format!("\r\n\r\nGET /{} HTTP/1.1\r\n", "a".repeat(60)),
                Refusal::RequestLineTooLong,
            ),
        ];
        for (text, refusal) in cases {
            for chunk in [1, 4096] {
                assert_eq!(
                    heads_in(text.as_bytes(), chunk).1,
                    Some(refusal),
                    "{text:?}"
                );
            }
        }
        // Exactly the most headers is fine.
        let three = "GET / HTTP/1.1\r\na: 1\r\nb: 1\r\nc: 1\r\n\r\n";
        assert_eq!(heads_in(three.as_bytes(), 1), (1, None));
    }
}
