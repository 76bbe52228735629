//! What one connection is doing, watched from below the HTTP parser. The socket wrapper sees
//! every byte a client sends; it measures each request head as it arrives (size, line count,
//! request-line length) and refuses an oversized one with the documented JSON error before the
//! parser would answer with an empty one. The request wrapper marks requests in flight, and the
//! connection task uses both to close connections that idle or trickle their head too long.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The limits one connection is held to.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Time from a head's first byte to its end.
    pub header_read: Duration,
    /// Time a connection may wait, with no request in flight, for the next request to start.
    pub idle: Duration,
    /// Largest request head (request line and headers), in bytes.
    pub max_head_bytes: usize,
    /// Longest request line (method, target and version), in bytes.
    pub max_request_line_bytes: usize,
    /// Most header fields in one request.
    pub max_headers: usize,
}

/// Progress of the request head currently arriving.
#[derive(Debug, Default)]
struct Head {
    /// When its first byte arrived; `None` before that.
    started: Option<Instant>,
    bytes: usize,
    /// Line breaks seen so far.
    lines: usize,
    /// The request line is complete.
    line_ended: bool,
    /// The last byte that was not `\r` was a line break.
    after_newline: bool,
    /// The blank line that ends the head has arrived: the rest belongs to the body.
    done: bool,
}

#[derive(Debug)]
struct State {
    in_flight: usize,
    /// The answer is being sent since this time, or the last time the client took some of it:
    /// a client that stops reading is cut off after the idle timeout.
    sending_since: Option<Instant>,
    /// Since when the connection has had nothing to do.
    idle_since: Instant,
    head: Head,
}

/// Shared by a connection's socket wrapper, its request wrapper and its task.
#[derive(Clone, Debug)]
pub struct Activity(Arc<Mutex<State>>);

/// Why a head was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    RequestLineTooLong,
    HeadTooLarge,
    TooManyHeaders,
}

impl Activity {
    pub fn new() -> Activity {
        Activity(Arc::new(Mutex::new(State {
            in_flight: 0,
            sending_since: None,
            idle_since: Instant::now(),
            head: Head::default(),
        })))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave it inconsistent in a way that matters.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A request was handed to the application.
    pub fn begin(&self) {
        let mut state = self.state();
        state.in_flight += 1;
    }

    /// The application has answered; the answer is being sent.
    pub fn answered(&self) {
        self.state().sending_since = Some(Instant::now());
    }

    /// The client took some of the answer.
    fn sent(&self) {
        let mut state = self.state();
        if state.sending_since.is_some() {
            state.sending_since = Some(Instant::now());
        }
    }

    /// A request's response was sent (or abandoned): the next head starts afresh.
    pub fn end(&self) {
        let mut state = self.state();
        state.in_flight = state.in_flight.saturating_sub(1);
        state.sending_since = None;
        if state.in_flight == 0 {
            state.idle_since = Instant::now();
            state.head = Head::default();
        }
    }

    /// Accounts for bytes read from the client; a refusal when the head breaks a limit.
    fn received(&self, bytes: &[u8], limits: &ConnectionLimits) -> Option<Refusal> {
        let mut state = self.state();
        let head = &mut state.head;
        if head.done || bytes.is_empty() {
            return None;
        }
        if head.started.is_none() {
            head.started = Some(Instant::now());
        }
        for &b in bytes {
            if head.done {
                break;
            }
            head.bytes += 1;
            match b {
                b'\n' => {
                    head.lines += 1;
                    head.line_ended = true;
                    head.done = head.after_newline && head.lines > 1;
                    head.after_newline = true;
                }
                b'\r' => {}
                _ => head.after_newline = false,
            }
        }
        if !head.line_ended && head.bytes > limits.max_request_line_bytes {
            return Some(Refusal::RequestLineTooLong);
        }
        // Lines: the request line, one per header, and (once done) the blank line.
        let header_lines = head.lines.saturating_sub(if head.done { 2 } else { 1 });
        if header_lines > limits.max_headers {
            return Some(Refusal::TooManyHeaders);
        }
        if head.bytes > limits.max_head_bytes {
            return Some(Refusal::HeadTooLarge);
        }
        if head.done {
            head.started = None;
            state.idle_since = Instant::now();
        }
        None
    }

    /// When the connection should be closed if nothing changes, and whether that time has
    /// passed.
    pub fn deadline(&self, limits: &ConnectionLimits) -> (Instant, bool) {
        let state = self.state();
        let now = Instant::now();
        let deadline = if let (true, Some(since)) = (state.in_flight > 0, state.sending_since) {
            // Sending an answer that the client does not take.
            since + limits.idle
        } else if state.in_flight > 0 {
            // The application is working on a request (a deploy may queue for a while): its
            // own limits bound that. Check again later.
            return (now + limits.idle, false);
        } else if let (Some(started), false) = (state.head.started, state.head.done) {
            started + limits.header_read
        } else {
            state.idle_since + limits.idle
        };
        (deadline, deadline <= now)
    }
}

/// The client socket, seen through an [`Activity`].
pub struct GuardedStream {
    inner: TcpStream,
    activity: Activity,
    limits: ConnectionLimits,
}

impl GuardedStream {
    pub fn new(inner: TcpStream, activity: Activity, limits: ConnectionLimits) -> Self {
        GuardedStream {
            inner,
            activity,
            limits,
        }
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let fresh = buf.filled().get(before..).unwrap_or_default();
                match this.activity.received(fresh, &this.limits) {
                    None => Poll::Ready(Ok(())),
                    Some(refusal) => {
                        // The parser has not seen a whole head, so it has written nothing: the
                        // socket is ours to answer on. A refused head is small to answer, and
                        // the send buffer is empty, so one non-blocking write suffices; if it
                        // does not, the client just sees the connection close.
                        let _ = this.inner.try_write(&super::canned::head_refused(refusal));
                        Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "request head refused",
                        )))
                    }
                }
            }
            other => other,
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.sent();
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.sent();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Marks a request in flight until dropped (with its response body, or with the abandoned
/// handler).
pub struct InFlight(Activity);

impl InFlight {
    pub fn start(activity: &Activity) -> InFlight {
        activity.begin();
        InFlight(activity.clone())
    }

    /// The application has answered; from now on the client must keep taking the answer.
    pub fn answered(&self) {
        self.0.answered();
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            max_head_bytes: 200,
            max_request_line_bytes: 50,
            max_headers: 3,
        }
    }

    #[test]
    fn a_complete_head_ends_at_the_blank_line_and_the_body_is_not_counted() {
        let activity = Activity::new();
        let body = "x\n".repeat(100);
        let request = format!("POST / HTTP/1.1\r\nHost: a\r\n\r\n{body}");
        assert_eq!(activity.received(request.as_bytes(), &limits()), None);
        assert!(activity.state().head.done);
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
        ];
        for (text, refusal) in cases {
            let activity = Activity::new();
            // Byte by byte, as a slow client sends it.
            let got = text
                .as_bytes()
                .chunks(1)
                .find_map(|b| activity.received(b, &limits()));
            assert_eq!(got, Some(refusal), "{text:?}");
        }
    }

    #[test]
    fn the_next_head_starts_afresh_after_a_response() {
        let activity = Activity::new();
        let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(activity.received(head, &limits()), None);
        let request = InFlight::start(&activity);
        assert!(!activity.deadline(&limits()).1);
        drop(request);
        assert!(!activity.state().head.done);
        assert_eq!(activity.received(head, &limits()), None);
    }

    #[test]
    fn an_answer_the_client_stops_taking_has_a_fixed_deadline() {
        let activity = Activity::new();
        let request = InFlight::start(&activity);
        let pause = || std::thread::sleep(Duration::from_millis(5));
        // Working on the request: the deadline keeps moving.
        let first = activity.deadline(&limits()).0;
        pause();
        assert!(activity.deadline(&limits()).0 > first);
        // Answering: it stays put until the client takes some of the answer.
        request.answered();
        let fixed = activity.deadline(&limits()).0;
        pause();
        assert_eq!(activity.deadline(&limits()).0, fixed);
        activity.sent();
        assert!(activity.deadline(&limits()).0 > fixed);
    }
}
