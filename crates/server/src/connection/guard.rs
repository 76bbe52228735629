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

use super::framing::Framing;

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

#[derive(Debug)]
struct State {
    in_flight: usize,
    /// The answer is being sent since this time: a client must take it within the idle
    /// timeout, however slowly it reads, or be cut off.
    sending_since: Option<Instant>,
    /// Since when the connection has had nothing to do.
    idle_since: Instant,
    /// Where the request stream is: in a head (measured), or in a body (skipped).
    framing: Framing,
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
            framing: Framing::default(),
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

    /// No request is in flight.
    fn quiet(&self) -> bool {
        self.state().in_flight == 0
    }

    /// The application has answered; the answer is being sent.
    pub fn answered(&self) {
        self.state().sending_since = Some(Instant::now());
    }

    /// Nothing has happened on the connection for `at_least`: no request in flight, no head
    /// arriving (a connection that may be closed to make room for a new one).
    pub fn idle_for(&self, at_least: Duration) -> bool {
        let state = self.state();
        state.in_flight == 0
            && state.framing.head_started().is_none()
            && state.idle_since.elapsed() >= at_least
    }

    /// A request's response was sent (or abandoned): the next head starts afresh.
    pub fn end(&self) {
        let mut state = self.state();
        state.in_flight = state.in_flight.saturating_sub(1);
        state.sending_since = None;
        if state.in_flight == 0 {
            state.idle_since = Instant::now();
        }
    }

    /// Accounts for bytes read from the client; a refusal when a head breaks a limit.
    fn received(&self, bytes: &[u8], limits: &ConnectionLimits) -> Option<Refusal> {
        let mut state = self.state();
        let progress = state.framing.feed(bytes, limits);
        if progress.heads > 0 {
            state.idle_since = Instant::now();
        }
        progress.refusal
    }

    /// When the connection should be closed if nothing changes, and whether that time has
    /// passed.
    pub fn deadline(&self, limits: &ConnectionLimits) -> (Instant, bool) {
        let state = self.state();
        let now = Instant::now();
        let deadline = if let (true, Some(since)) = (state.in_flight > 0, state.sending_since) {
            // Sending an answer: the client has until then to take it.
            since + limits.idle
        } else if state.in_flight > 0 {
            // The application is working on a request (a deploy may queue for a while): its
            // own limits bound that. Check again later.
            return (now + limits.idle, false);
        } else if let Some(started) = state.framing.head_started() {
            started + limits.header_read
        } else {
            state.idle_since + limits.idle
        };
        (deadline, deadline <= now)
    }
}

/// The client socket, seen through an [`Activity`]. Once a head is refused the socket is taken
/// out to be answered and closed gently; the parser then sees an error on every call.
pub struct GuardedStream {
    inner: Option<TcpStream>,
    activity: Activity,
    limits: ConnectionLimits,
}

impl GuardedStream {
    pub fn new(inner: TcpStream, activity: Activity, limits: ConnectionLimits) -> Self {
        GuardedStream {
            inner: Some(inner),
            activity,
            limits,
        }
    }

    fn stream(&mut self) -> io::Result<&mut TcpStream> {
        self.inner
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "request refused"))
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
        match Pin::new(this.stream()?).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let fresh = buf.filled().get(before..).unwrap_or_default();
                match this.activity.received(fresh, &this.limits) {
                    None => Poll::Ready(Ok(())),
                    Some(refusal) => {
                        // The parser has not seen this head, so it has written nothing for it:
                        // with no answer in progress, the socket is ours to answer on. (With one
                        // in progress, the refusal could be read as its answer: just close.)
                        if let Some(stream) = this.inner.take()
                            && this.activity.quiet()
                        {
                            super::canned::refuse_head(stream, refusal);
                        }
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
        Pin::new(self.stream()?).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.stream()?).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.inner.as_mut() {
            Some(stream) => Pin::new(stream).poll_shutdown(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.stream()?).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(TcpStream::is_write_vectored)
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
pub(super) mod tests {
    use super::*;

    pub(in crate::connection) fn limits() -> ConnectionLimits {
        ConnectionLimits {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            max_head_bytes: 200,
            max_request_line_bytes: 50,
            max_headers: 3,
        }
    }

    #[test]
    fn a_trickled_head_has_a_deadline_and_a_complete_one_restarts_the_idle_clock() {
        let activity = Activity::new();
        assert_eq!(activity.received(b"GET / HT", &limits()), None);
        let (deadline, _) = activity.deadline(&limits());
        assert!(deadline <= Instant::now() + limits().header_read);
        assert_eq!(
            activity.received(b"TP/1.1\r\nHost: a\r\n\r\n", &limits()),
            None
        );
        let (deadline, _) = activity.deadline(&limits());
        assert!(deadline > Instant::now() + limits().header_read);
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
        // Answering: it stays put, however slowly the client reads.
        request.answered();
        let fixed = activity.deadline(&limits()).0;
        pause();
        assert_eq!(activity.deadline(&limits()).0, fixed);
        drop(request);
        assert!(activity.idle_for(Duration::ZERO));
        assert!(!activity.idle_for(Duration::from_secs(60)));
    }
}
