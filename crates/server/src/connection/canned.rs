//! Answers written straight to a socket, for refusals that happen before the application sees a
//! request. They carry the same JSON error body as every other error.

use super::guard::Refusal;

/// A complete `Connection: close` response with a JSON error body.
pub fn response(status: u16, reason: &str, code: &str, message: &str) -> Vec<u8> {
    let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\ncache-control: no-store\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The answer to a request head that broke a limit.
pub fn head_refused(refusal: Refusal) -> Vec<u8> {
    match refusal {
        Refusal::RequestLineTooLong => response(
            414,
            "URI Too Long",
            "uri-too-long",
            "the request line is longer than the server accepts (`max-request-line-bytes`)",
        ),
        Refusal::HeadTooLarge => response(
            431,
            "Request Header Fields Too Large",
            "headers-too-large",
            "the request headers are larger than the server accepts (`max-head-bytes`)",
        ),
        Refusal::TooManyHeaders => response(
            431,
            "Request Header Fields Too Large",
            "headers-too-large",
            "the request has more header fields than the server accepts (`max-headers`)",
        ),
    }
}

/// The answer to a connection beyond `max-http-connections`.
pub fn too_many_connections() -> Vec<u8> {
    response(
        503,
        "Service Unavailable",
        "too-many-connections",
        "the server has as many open connections as it accepts (`max-http-connections`); retry shortly",
    )
}

/// Refusals being sent and drained after their connection has left the cap; beyond this many,
/// a refused connection is closed at once (a fast loop of refused heads must not pile up
/// sockets).
const MAX_LINGERING: usize = 64;

static LINGERING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_LINGERING);

/// Answers a connection over the cap and closes it, if not too many refusals are lingering
/// already (then it is just closed).
pub async fn refuse_connection(stream: tokio::net::TcpStream) {
    let Ok(_lingering) = LINGERING.try_acquire() else {
        return;
    };
    answer_and_close(stream, too_many_connections()).await;
}

/// Answers a refused head on its own socket, in the background.
pub fn refuse_head(stream: tokio::net::TcpStream, refusal: Refusal) {
    let Ok(lingering) = LINGERING.try_acquire() else {
        return;
    };
    tokio::spawn(async move {
        // Released on every path, a cancelled task included.
        let _lingering = lingering;
        answer_and_close(stream, head_refused(refusal)).await;
    });
}

/// Writes an answer, stops sending, and reads (and drops) what the client is still sending for
/// a moment before closing: closing with unread data would reset the connection, and a reset
/// can destroy the answer before the client reads it.
pub async fn answer_and_close(mut stream: tokio::net::TcpStream, answer: Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = tokio::time::timeout(std::time::Duration::from_millis(500), async {
        let _ = stream.write_all(&answer).await;
        let _ = stream.shutdown().await;
        let mut sink = [0u8; 8192];
        let mut drained = 0usize;
        while drained < 1024 * 1024 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
}
