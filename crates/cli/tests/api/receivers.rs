//! Real servers on loopback that the black-box tests start: a webhook receiver (HTTP/1.1) and an
//! SMTP sink. The service under test is pointed at them, so its notifications travel over real
//! sockets to real HTTP and SMTP peers rather than into mocks; what arrived is recorded for the
//! tests to inspect, and the receiver can be told to fail or hang to exercise retries and
//! timeouts. Only std is used: one thread accepts, one thread serves each connection.

#![allow(dead_code)] // Each test uses a subset.

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Longest request line, header line or SMTP line accepted; longer input closes the connection.
const MAX_LINE: usize = 64 * 1024;
/// Most header lines accepted in one HTTP request.
const MAX_HEADERS: usize = 256;
/// Largest HTTP body or SMTP message accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Webhook receiver
// ---------------------------------------------------------------------------------------------

/// A real HTTP/1.1 server on 127.0.0.1 that records every request, so tests can check what the
/// service delivered (method, path, headers, body) and how it reacted to failures.
///
/// By default it answers `200 ok`; [`respond_with`](Self::respond_with) and
/// [`hang_next`](Self::hang_next) queue other behaviours for the next requests, in the order
/// queued. Every answer closes the connection. Dropping the receiver stops it.
pub struct WebhookReceiver {
    server: Loopback,
    shared: Arc<Webhooks>,
}

/// One request as the receiver read it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    /// The request target as sent, query string included.
    pub path: String,
    /// In the order sent; names lower-cased, values trimmed.
    pub headers: Vec<(String, String)>,
    /// Decoded from `Transfer-Encoding: chunked` when it was sent that way.
    pub body: Vec<u8>,
    /// The status written back; `None` while not answered yet, and for hung requests.
    pub answered: Option<u16>,
}

/// What the receiver does with one request.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    Status(u16),
    Hang,
}

#[derive(Default)]
struct Webhooks {
    state: Mutex<WebhookState>,
    /// Signalled whenever a request is recorded or answered.
    changed: Condvar,
}

#[derive(Default)]
struct WebhookState {
    queue: VecDeque<Behaviour>,
    received: Vec<Received>,
}

impl WebhookReceiver {
    /// Starts a receiver on an ephemeral loopback port, answering `200 ok` to everything.
    pub fn start() -> WebhookReceiver {
        let shared = Arc::new(Webhooks::default());
        let handler = Arc::clone(&shared);
        let server = Loopback::start("webhook", move |stream, conns| {
            serve_http(stream, &handler, conns);
        });
        WebhookReceiver { server, shared }
    }

    /// The URL of `path` (which starts with `/`) on this receiver, to hand to the service.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr)
    }

    /// The port the receiver listens on.
    pub fn port(&self) -> u16 {
        self.server.addr.port()
    }

    /// Answers the next requests with these statuses, one each, in order (after anything queued
    /// before); once the queue is empty the receiver answers 200 again. For retry tests.
    pub fn respond_with(&self, statuses: &[u16]) {
        let mut state = lock(&self.shared.state);
        state
            .queue
            .extend(statuses.iter().map(|&code| Behaviour::Status(code)));
    }

    /// Reads and records the next `n` requests (after anything queued before) but never answers
    /// them: the connection stays open until the peer closes it or the receiver is dropped. For
    /// timeout tests.
    pub fn hang_next(&self, n: usize) {
        let mut state = lock(&self.shared.state);
        state.queue.extend(std::iter::repeat_n(Behaviour::Hang, n));
    }

    /// A snapshot of every request read so far, in the order they were read.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared.state).received.clone()
    }

    /// Waits until at least `count` requests were read (answered or not) and returns them all;
    /// panics listing what did arrive if `timeout` passes first. Deliveries are asynchronous,
    /// so tests wait for them rather than sleep.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let guard = lock(&self.shared.state);
        let (guard, _) = self
            .shared
            .changed
            .wait_timeout_while(guard, timeout, |state| state.received.len() < count)
            .unwrap_or_else(PoisonError::into_inner);
        if guard.received.len() < count {
            let listing: Vec<String> = guard.received.iter().map(Received::summary).collect();
            panic!(
                "webhook receiver: expected {count} request(s) within {timeout:?}, got {}:\n{}",
                guard.received.len(),
                listing.join("\n")
            );
        }
        guard.received.clone()
    }
}

impl Received {
    /// The value of the first header with this name (case-insensitive), as sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced), for messages and substring checks.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; panics showing the body if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        match serde_json::from_slice(&self.body) {
            Ok(value) => value,
            Err(err) => panic!(
                "{} {}: body is not JSON ({err}): {}",
                self.method,
                self.path,
                self.text()
            ),
        }
    }

    /// One line describing the request, for failure messages.
    fn summary(&self) -> String {
        let answered = match self.answered {
            Some(code) => code.to_string(),
            None => "unanswered".to_string(),
        };
        let mut body = self.text();
        if body.len() > 300 {
            let mut cut = 300;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
            body.push('…');
        }
        format!(
            "  {} {} -> {answered}, body: {body}",
            self.method, self.path
        )
    }
}

/// Serves one connection: reads one request, records it, then answers or hangs as queued.
fn serve_http(stream: TcpStream, shared: &Webhooks, conns: &Conns) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let Some(request) = read_request(&mut reader, &mut writer) else {
        return; // Malformed, too large, or the peer went away: just close.
    };
    let (index, behaviour) = {
        let mut state = lock(&shared.state);
        let behaviour = state.queue.pop_front().unwrap_or(Behaviour::Status(200));
        state.received.push(request);
        (state.received.len() - 1, behaviour)
    };
    shared.changed.notify_all();
    match behaviour {
        Behaviour::Status(code) => {
            if write_response(&mut writer, code).is_ok() {
                lock(&shared.state).received[index].answered = Some(code);
                shared.changed.notify_all();
            }
            let _ = writer.shutdown(Shutdown::Write);
        }
        Behaviour::Hang => hold_open(reader.get_mut(), conns),
    }
}

/// Keeps a connection open without answering until the peer closes it or the server stops
/// (which shuts the socket down and so wakes the blocked read). Blocks; never spins.
fn hold_open(stream: &mut TcpStream, conns: &Conns) {
    let mut sink = [0u8; 4096];
    loop {
        match stream.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
        if conns.stopped() {
            return;
        }
    }
}

/// Reads one whole HTTP/1.x request; `None` on malformed or oversized input or early EOF.
fn read_request(reader: &mut impl BufRead, writer: &mut impl Write) -> Option<Received> {
    // RFC 9112 §2.2: ignore at least one empty line before the request line.
    let mut line = read_line(reader, MAX_LINE)?;
    for _ in 0..4 {
        if !line.is_empty() {
            break;
        }
        line = read_line(reader, MAX_LINE)?;
    }
    let line = String::from_utf8(line).ok()?;
    let mut parts = line.split_ascii_whitespace();
    let (method, path, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !version.starts_with("HTTP/1.") || path.is_empty() {
        return None;
    }

    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        let line = read_line(reader, MAX_LINE)?;
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return None;
        }
        let line = String::from_utf8_lossy(&line);
        if line.starts_with([' ', '\t']) {
            // Obsolete line folding: a continuation of the previous value.
            let (_, value) = headers.last_mut()?;
            value.push(' ');
            value.push_str(line.trim());
            continue;
        }
        let (name, value) = line.split_once(':')?;
        if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace() || c.is_control()) {
            return None;
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };

    if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
        writer.flush().ok()?;
    }

    let chunked = header("transfer-encoding").is_some_and(|v| {
        v.rsplit(',')
            .next()
            .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
    });
    let body = if chunked {
        read_chunked(reader)?
    } else if let Some(length) = header("content-length") {
        let length: usize = length.parse().ok()?;
        if length > MAX_BODY {
            return None;
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        body
    } else {
        Vec::new()
    };

    Some(Received {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        body,
        answered: None,
    })
}

/// Reads a `Transfer-Encoding: chunked` body and its trailers.
fn read_chunked(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader, MAX_LINE)?;
        let line = std::str::from_utf8(&line).ok()?;
        let size = line.split(';').next()?.trim();
        if size.is_empty() || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let size = usize::from_str_radix(size, 16).ok()?;
        if size == 0 {
            // Trailer fields, up to the empty line; dropped.
            while !read_line(reader, MAX_LINE)?.is_empty() {}
            return Some(body);
        }
        if body.len().checked_add(size)? > MAX_BODY {
            return None;
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).ok()?;
        if !read_line(reader, 2)?.is_empty() {
            return None;
        }
    }
}

/// Writes a complete response that closes the connection.
fn write_response(writer: &mut impl Write, code: u16) -> io::Result<()> {
    let reason = reason(code);
    let body = match code {
        100..=199 | 204 | 304 => "",
        200 => "ok",
        _ => reason,
    };
    write!(
        writer,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    writer.flush()
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

// ---------------------------------------------------------------------------------------------
// SMTP sink
// ---------------------------------------------------------------------------------------------

/// A real minimal SMTP server (an RFC 5321 subset, plain text, no TLS, no AUTH) on 127.0.0.1
/// that accepts every message and records it, so tests can check the e-mails the service sent
/// through a real SMTP client. Several messages per connection work (pooling clients send
/// `RSET` and `MAIL` again). Dropping the sink stops it.
pub struct SmtpSink {
    server: Loopback,
    shared: Arc<Mailbox>,
}

/// One message as the sink received it.
#[derive(Clone, Debug)]
pub struct Mail {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets, in order.
    pub to: Vec<String>,
    /// The message (headers and body) with dot-stuffing undone and CRLF line ends.
    pub data: String,
}

#[derive(Default)]
struct Mailbox {
    messages: Mutex<Vec<Mail>>,
    /// Signalled whenever a message is recorded.
    changed: Condvar,
}

impl SmtpSink {
    /// Starts a sink on an ephemeral loopback port.
    pub fn start() -> SmtpSink {
        let shared = Arc::new(Mailbox::default());
        let handler = Arc::clone(&shared);
        let server = Loopback::start("smtp", move |stream, _| {
            let _ = serve_smtp(stream, &handler);
        });
        SmtpSink { server, shared }
    }

    /// `smtp://127.0.0.1:PORT`: lettre's URL form for plain SMTP, to hand to the service.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.server.addr)
    }

    /// The port the sink listens on (host is always 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.server.addr.port()
    }

    /// A snapshot of every message received so far, in the order their `DATA` ended.
    pub fn messages(&self) -> Vec<Mail> {
        lock(&self.shared.messages).clone()
    }

    /// Waits until at least `count` messages arrived and returns them all; panics listing what
    /// did arrive if `timeout` passes first. Mail is sent asynchronously, so tests wait for it.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Mail> {
        let guard = lock(&self.shared.messages);
        let (guard, _) = self
            .shared
            .changed
            .wait_timeout_while(guard, timeout, |messages| messages.len() < count)
            .unwrap_or_else(PoisonError::into_inner);
        if guard.len() < count {
            let listing: Vec<String> = guard
                .iter()
                .map(|mail| {
                    format!(
                        "  from <{}> to {:?}, subject: {:?}",
                        mail.from,
                        mail.to,
                        mail.subject()
                    )
                })
                .collect();
            panic!(
                "SMTP sink: expected {count} message(s) within {timeout:?}, got {}:\n{}",
                guard.len(),
                listing.join("\n")
            );
        }
        guard.clone()
    }
}

impl Mail {
    /// The first header with this name (case-insensitive), unfolded and trimmed. Encoded words
    /// (`=?utf-8?...?=`) are returned as sent, not decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let mut found: Option<String> = None;
        for line in self.data.split("\r\n") {
            if line.is_empty() {
                break; // End of the header section.
            }
            if line.starts_with([' ', '\t']) {
                if let Some(value) = found.as_mut() {
                    value.push_str(line); // Unfolding: drop the CRLF, keep the whitespace.
                }
                continue;
            }
            if found.is_some() {
                break;
            }
            if let Some((n, value)) = line.split_once(':')
                && n.trim().eq_ignore_ascii_case(name)
            {
                found = Some(value.to_string());
            }
        }
        found.map(|value| value.trim().to_string())
    }

    /// The `Subject` header, unfolded (encoded words left as sent).
    pub fn subject(&self) -> Option<String> {
        self.header("subject")
    }

    /// Whether the raw message (headers and encoded body) contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.data.contains(needle)
    }
}

/// The envelope of the transaction in progress.
#[derive(Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

/// Serves one SMTP session until `QUIT`, EOF or bad input.
fn serve_smtp(stream: TcpStream, shared: &Mailbox) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut reply = |text: &str| -> io::Result<()> {
        writer.write_all(text.as_bytes())?;
        writer.write_all(b"\r\n")?;
        writer.flush()
    };
    reply("220 localhost apptrust test sink")?;
    let mut envelope = Envelope::default();
    loop {
        let Some(line) = read_line(&mut reader, MAX_LINE) else {
            return Ok(());
        };
        let line = String::from_utf8_lossy(&line);
        let line = line.trim();
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                envelope = Envelope::default();
                reply("250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8")?;
            }
            "HELO" => {
                envelope = Envelope::default();
                reply("250 localhost")?;
            }
            "MAIL" => match mailbox_arg(arg, "FROM:") {
                Some(from) => {
                    envelope = Envelope {
                        from: Some(from),
                        to: Vec::new(),
                    };
                    reply("250 OK")?;
                }
                None => reply("501 syntax: MAIL FROM:<address>")?,
            },
            "RCPT" => match mailbox_arg(arg, "TO:") {
                _ if envelope.from.is_none() => reply("503 bad sequence of commands")?,
                Some(to) if !to.is_empty() => {
                    envelope.to.push(to);
                    reply("250 OK")?;
                }
                _ => reply("501 syntax: RCPT TO:<address>")?,
            },
            "DATA" => {
                if envelope.from.is_none() || envelope.to.is_empty() {
                    reply("503 bad sequence of commands")?;
                    continue;
                }
                reply("354 end with <CRLF>.<CRLF>")?;
                let Some(data) = read_data(&mut reader) else {
                    return Ok(()); // EOF or oversized: the transaction is abandoned.
                };
                let Envelope { from, to } = std::mem::take(&mut envelope);
                let from = from.unwrap_or_default();
                lock(&shared.messages).push(Mail { from, to, data });
                shared.changed.notify_all();
                reply("250 OK queued")?;
            }
            "RSET" => {
                envelope = Envelope::default();
                reply("250 OK")?;
            }
            "NOOP" => reply("250 OK")?,
            "QUIT" => {
                reply("221 bye")?;
                return Ok(());
            }
            _ => reply("502 command not implemented")?,
        }
    }
}

/// The address of `MAIL FROM:<a> PARAMS` or `RCPT TO:<b> PARAMS` (parameters ignored); `None`
/// when the keyword is missing. The null path `<>` gives an empty address.
fn mailbox_arg(arg: &str, keyword: &str) -> Option<String> {
    let arg = arg.trim_start();
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let address = match rest.strip_prefix('<') {
        Some(inner) => &inner[..inner.find('>')?],
        None => rest.split_ascii_whitespace().next().unwrap_or(""),
    };
    Some(address.to_string())
}

/// Reads message lines up to the lone `.`, undoing dot-stuffing; CRLF line ends throughout.
fn read_data(reader: &mut impl BufRead) -> Option<String> {
    let mut data = Vec::new();
    loop {
        let line = read_line(reader, MAX_LINE)?;
        if line == b"." {
            return Some(String::from_utf8_lossy(&data).into_owned());
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() + line.len() > MAX_BODY {
            return None;
        }
        data.extend_from_slice(line);
        data.extend_from_slice(b"\r\n");
    }
}

// ---------------------------------------------------------------------------------------------
// Shared plumbing
// ---------------------------------------------------------------------------------------------

/// A loopback listener with an accept thread and one thread per connection. Dropping it stops
/// accepting and shuts down every connection still open, so no thread outlives it blocked.
struct Loopback {
    addr: SocketAddr,
    conns: Arc<Conns>,
    accept: Option<JoinHandle<()>>,
}

/// The connections still open, so that stopping can shut them down.
#[derive(Default)]
struct Conns {
    stopped: AtomicBool,
    next: AtomicU64,
    open: Mutex<HashMap<u64, TcpStream>>,
}

impl Conns {
    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Tracks `stream` until the returned id is forgotten; shut at once if already stopped.
    fn register(&self, stream: &TcpStream) -> Option<u64> {
        let clone = stream.try_clone().ok()?;
        let mut open = lock(&self.open);
        if self.stopped() {
            let _ = clone.shutdown(Shutdown::Both);
            return None;
        }
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        open.insert(id, clone);
        Some(id)
    }

    fn forget(&self, id: u64) {
        lock(&self.open).remove(&id);
    }

    fn stop(&self) {
        let mut open = lock(&self.open);
        self.stopped.store(true, Ordering::SeqCst);
        for (_, stream) in open.drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl Loopback {
    fn start<F>(name: &str, handler: F) -> Loopback
    where
        F: Fn(TcpStream, &Conns) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback test server");
        let addr = listener.local_addr().expect("loopback test server address");
        let conns = Arc::new(Conns::default());
        let handler = Arc::new(handler);
        let accept = {
            let conns = Arc::clone(&conns);
            let name = name.to_string();
            thread::Builder::new()
                .name(format!("{name}-accept"))
                .spawn(move || accept_loop(&listener, &name, &conns, &handler))
                .expect("spawn a test server's accept thread")
        };
        Loopback {
            addr,
            conns,
            accept: Some(accept),
        }
    }
}

fn accept_loop<F>(listener: &TcpListener, name: &str, conns: &Arc<Conns>, handler: &Arc<F>)
where
    F: Fn(TcpStream, &Conns) + Send + Sync + 'static,
{
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(_) if conns.stopped() => return,
            Err(_) => {
                // E.g. out of descriptors: back off instead of spinning.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if conns.stopped() {
            return;
        }
        let Some(id) = conns.register(&stream) else {
            continue;
        };
        let conns_for_thread = Arc::clone(conns);
        let handler = Arc::clone(handler);
        let spawned = thread::Builder::new()
            .name(format!("{name}-conn"))
            .spawn(move || {
                handler(stream, &conns_for_thread);
                conns_for_thread.forget(id);
            });
        if spawned.is_err() {
            conns.forget(id); // The stream was dropped with the closure: closed.
        }
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.conns.stop();
        // Wake the accept thread blocked in accept(); it sees the flag and returns.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        if let Some(accept) = self.accept.take()
            && woke
        {
            let _ = accept.join();
        }
    }
}

/// Reads one line ending in LF (a CR before it is dropped too, so bare LF is tolerated);
/// `None` at EOF, on error, or past `limit` bytes.
fn read_line(reader: &mut impl BufRead, limit: usize) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    let limit = u64::try_from(limit).ok()?.saturating_add(2);
    reader.take(limit).read_until(b'\n', &mut line).ok()?;
    if line.pop() != Some(b'\n') {
        return None;
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Some(line)
}

/// Locks, shrugging off poisoning: a panicking connection thread must not hide the records.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
