//! Clients that misbehave at the HTTP level: slow or half-sent requests, idle connections, too
//! many connections, oversized heads and bodies, floods of large sign-in bodies. Each gets a
//! JSON refusal or a closed connection, within the documented limits.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Db, TestApp};

crate::on_both_databases!(long_search_text_is_a_clear_400);

/// Short timeouts, so the tests see them fire within a second or two.
const QUICK: &str =
    "header-read-timeout-ms = 400\nidle-timeout-ms = 600\nbody-read-timeout-ms = 400\n";

fn connect(app: &TestApp) -> TcpStream {
    let stream = TcpStream::connect(app.address()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
}

/// Reads until the server closes the connection (or the 10 s read timeout, a failure).
fn read_to_close(stream: &mut TcpStream) -> String {
    let mut text = Vec::new();
    match stream.read_to_end(&mut text) {
        Ok(_) => String::from_utf8_lossy(&text).to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            String::from_utf8_lossy(&text).to_string()
        }
        Err(e) => panic!("the server kept the connection open: {e}"),
    }
}

/// The status and JSON body of a raw HTTP/1.1 response.
fn parse_response(text: &str) -> (u16, Value) {
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[test]
fn half_sent_heads_and_idle_connections_are_closed() {
    let app = TestApp::spawn_configured(Db::Sqlite, QUICK);
    // A head that never ends.
    let mut slow = connect(&app);
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    assert_eq!(read_to_close(&mut slow), "", "closed without an answer");
    assert!(started.elapsed() < Duration::from_secs(5));

    // A connection that never sends anything.
    let mut silent = connect(&app);
    assert_eq!(read_to_close(&mut silent), "");

    // A keep-alive connection, idle after one answer.
    let mut idle = connect(&app);
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let text = read_to_close(&mut idle);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");

    // A slow body: the route answers 408 when the body does not arrive in time.
    let token = app.staff_token.clone();
    let mut trickle = connect(&app);
    let head = format!(
        "POST /api/v1/partners HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"key\""
    );
    trickle.write_all(head.as_bytes()).unwrap();
    let (status, body) = parse_response(&read_to_close(&mut trickle));
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["error"]["code"], "body-timeout");
    // The server is still answering everyone else.
    assert_eq!(app.get("/healthz", None).0, 200);
}

#[test]
fn connections_beyond_the_cap_get_a_json_503_and_idle_ones_make_room() {
    let app = TestApp::spawn_configured(
        Db::Sqlite,
        "max-http-connections = 4\nidle-timeout-ms = 60000\nheader-read-timeout-ms = 60000\n",
    );
    // Four connections that have started a request: busy, so they keep their places.
    let busy: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut stream = connect(&app);
            stream.write_all(b"GET /healthz HTTP/1.1\r\n").unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = connect(&app);
    let (status, body) = parse_response(&read_to_close(&mut extra));
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "too-many-connections");
    drop(busy);

    // Four idle keep-alive connections: a newcomer closes one of them (just one) and is served
    // on its first try; and newcomers keep being served after the cap was reached.
    let idle: Vec<TcpStream> = (0..4).map(|_| connect(&app)).collect();
    std::thread::sleep(Duration::from_millis(1300));
    let first = ureq::get(&format!("{}/healthz", app.url)).call();
    assert!(
        first.is_ok_and(|r| r.status() == 200),
        "the newcomer was not served"
    );
    std::thread::sleep(Duration::from_millis(200));
    let closed = idle.iter().filter(|s| is_closed(s)).count();
    assert_eq!(closed, 1, "one idle connection makes room, not all of them");
    for n in 0..20 {
        let response = ureq::get(&format!("{}/healthz", app.url)).call();
        assert!(
            response.is_ok_and(|r| r.status() == 200),
            "newcomer {n} was not served"
        );
    }
    drop(idle);
}

/// True when the server has closed this (idle) connection.
fn is_closed(stream: &TcpStream) -> bool {
    let mut stream = stream.try_clone().unwrap();
    stream.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let closed = match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    };
    stream.set_nonblocking(false).unwrap();
    closed
}

#[test]
fn pipelined_requests_with_bodies_are_framed_not_measured_as_heads() {
    let app = TestApp::spawn(Db::Sqlite);
    let staff = app.staff_token.clone();
    // A body longer than a request line may be, with no line break: only a head would be
    // refused for that.
    let name = "n".repeat(20_000);
    let body = format!("{{\"key\": \"pipelined\", \"name\": \"{name}\"}}");
    let requests = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n\
         POST /api/v1/partners HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {staff}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}\
         GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = connect(&app);
    stream.write_all(requests.as_bytes()).unwrap();
    let text = read_to_close(&mut stream);
    let statuses: Vec<&str> = text
        .split("HTTP/1.1 ")
        .skip(1)
        .filter_map(|r| r.get(..3))
        .collect();
    assert_eq!(statuses, ["200", "422", "200"], "{text}");
    assert!(!text.contains("uri-too-long") && !text.contains("headers-too-large"));
}

#[test]
fn oversized_heads_and_odd_requests_get_json_errors() {
    let app = TestApp::spawn(Db::Sqlite);
    let raw = |request: &[u8]| {
        let mut stream = connect(&app);
        let _ = stream.write_all(request);
        parse_response(&read_to_close(&mut stream))
    };
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(100_000));
    let (status, body) = raw(long_target.as_bytes());
    assert_eq!(status, 414, "{body}");
    assert_eq!(body["error"]["code"], "uri-too-long");
    let big_header = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(40_000)
    );
    let (status, body) = raw(big_header.as_bytes());
    assert_eq!(status, 431, "{body}");
    assert_eq!(body["error"]["code"], "headers-too-large");
    let many: String = (0..150).map(|n| format!("X-{n}: 1\r\n")).collect();
    let (status, body) = raw(format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many}\r\n").as_bytes());
    assert_eq!(status, 431, "{body}");

    // Errors the router makes itself are JSON too.
    let (status, body) = app.request("PUT", "/api/v1/apps", None, None);
    assert_eq!(status, 405, "{body}");
    assert_eq!(body["error"]["code"], "method-not-allowed");
    assert!(body["error"]["message"].as_str().unwrap().contains("GET"));
    let (status, body) = app.request(
        "DELETE",
        "/api/v1/me/tokens/abc",
        Some(&app.staff_token),
        None,
    );
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[test]
fn sign_in_bodies_are_small_and_secrets_are_not_cached() {
    let app = TestApp::spawn(Db::Sqlite);
    // 2 KiB is already more than a sign-in needs.
    let padded = json!({"token": "a".repeat(2048)});
    let (status, body) = app.post("/api/v1/session", None, padded);
    assert_eq!(status, 413, "{body}");
    // A 4 MiB body is refused without being read to the end.
    let huge = format!("[{}1]", "1,".repeat(2 * 1024 * 1024));
    let result = ureq::post(&format!("{}/api/v1/session", app.url))
        .set("Content-Type", "application/json")
        .send_string(&huge);
    match result {
        Err(ureq::Error::Status(status, _)) => assert_eq!(status, 413),
        Err(ureq::Error::Transport(t)) => assert_eq!(t.kind(), ureq::ErrorKind::Io, "{t}"),
        Ok(response) => panic!("a 4 MiB sign-in was accepted: {}", response.status()),
    }

    let acme = app.partner("acme");
    let response = ureq::post(&format!("{}/api/v1/me/tokens", app.url))
        .set("Authorization", &format!("Bearer {acme}"))
        .send_json(json!({"label": "ci"}))
        .unwrap();
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let response = ureq::post(&format!("{}/api/v1/session", app.url))
        .send_json(json!({"token": acme}))
        .unwrap();
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let cookie = response.header("set-cookie").unwrap().to_string();
    assert!(
        !cookie.contains("Secure"),
        "plain loopback keeps the cookie usable: {cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let response = ureq::get(&format!("{}/api/v1/session", app.url))
        .set("Cookie", &session)
        .call()
        .unwrap();
    assert_eq!(response.header("cache-control"), Some("no-store"));
    // Behind a proxy that terminates HTTPS, the cookie is Secure.
    let response = ureq::post(&format!("{}/api/v1/session", app.url))
        .set("X-Forwarded-Proto", "https")
        .send_json(json!({"token": acme}))
        .unwrap();
    assert!(response.header("set-cookie").unwrap().contains("; Secure"));

    let page = ureq::get(&format!("{}/", app.url)).call().unwrap();
    let policy = page.header("content-security-policy").unwrap_or_default();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    let (_, ready) = app.get("/readyz", None);
    assert!(ready.get("instance").is_none(), "{ready}");
}

#[test]
fn cookies_are_secure_when_the_server_listens_beyond_loopback() {
    let dir = crate::support::TempDir::new("wide");
    let db = dir.0.join("demo.db").display().to_string();
    let mut demo = Demo::start(&db, "0.0.0.0:0");
    let (port, partner) = (demo.port.clone(), demo.partner.clone());
    // Reached on loopback, but listening on every address: the cookie is Secure.
    let response = ureq::post(&format!("http://127.0.0.1:{port}/api/v1/session"))
        .send_json(json!({"token": partner}));
    demo.stop();
    let cookie = response.unwrap().header("set-cookie").unwrap().to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

fn long_search_text_is_a_clear_400(db: Db) {
    let app = TestApp::spawn(db);
    let (status, body) = app.get(&format!("/api/v1/apps?q={}", "a".repeat(1_000)), None);
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max-search-chars")
    );
    // Longer than a request line may be: refused before routing, as JSON too.
    let (status, body) = app.get(&format!("/api/v1/apps?q={}", "a".repeat(50_000)), None);
    assert_eq!(status, 414, "{body}");
    assert_eq!(body["error"]["code"], "uri-too-long");
    let (status, _) = app.get(&format!("/api/v1/apps?q={}", "%25_".repeat(50)), None);
    assert_eq!(status, 200);
}

#[test]
fn the_demo_refuses_real_data_and_revokes_its_old_tokens() {
    // A bootstrapped database holds a real staff user: the demo must not add one beside it.
    let app = TestApp::spawn(Db::Sqlite);
    let output = std::process::Command::new(crate::support::binary())
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &app.db.url,
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refusing --demo"), "{stderr}");

    let dir = crate::support::TempDir::new("demo");
    let db = dir.0.join("demo.db").display().to_string();
    let first = demo_tokens(&db);
    let second = demo_tokens(&db);
    assert_ne!(first, second);
    let mut app = TestApp::spawn_with(Db::Sqlite, &[]);
    app.kill();
    app.db.url = db;
    app.start();
    assert_eq!(
        app.get("/api/v1/me", Some(&first.0)).0,
        401,
        "old staff token revoked"
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&first.1)).0,
        401,
        "old partner token revoked"
    );
    assert_eq!(app.get("/api/v1/me", Some(&second.0)).0, 200);
}

/// A `serve --demo` process and what its banner said.
pub(crate) struct Demo {
    child: std::process::Child,
    pub(crate) port: String,
    pub(crate) staff: String,
    pub(crate) partner: String,
}

impl Demo {
    /// Starts the demo on `db` and reads its address and tokens from the banner.
    pub(crate) fn start(db: &str, listen: &str) -> Demo {
        let mut child = std::process::Command::new(crate::support::binary())
            .args(["serve", "--demo", "--listen", listen, "--database", db])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
        let (mut port, mut staff, mut partner) = (String::new(), String::new(), String::new());
        let mut line = String::new();
        while std::io::BufRead::read_line(&mut reader, &mut line).unwrap() > 0 {
            let text = line.trim();
            if let Some(address) = text.strip_prefix("apptrust serve: listening on http://") {
                port = address.rsplit(':').next().unwrap().to_string();
            }
            if let Some(token) = text.strip_prefix("staff:") {
                staff = token.trim().to_string();
            }
            if let Some(token) = text.strip_prefix("partner:") {
                partner = token.trim().to_string();
                break;
            }
            line.clear();
        }
        assert!(staff.starts_with("apt_") && partner.starts_with("apt_"));
        Demo {
            child,
            port,
            staff,
            partner,
        }
    }

    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the demo on `db`, reads its tokens from the banner, and stops it.
fn demo_tokens(db: &str) -> (String, String) {
    let mut demo = Demo::start(db, "127.0.0.1:0");
    demo.stop();
    (demo.staff.clone(), demo.partner.clone())
}

#[test]
fn database_passwords_never_reach_the_output() {
    let db = crate::support::TestDb::new(Db::Postgres);
    let separator = if db.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}password=hunter2", db.url);
    let output = std::process::Command::new(crate::support::binary())
        .args(["migrate", "--database", &url])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{all}");
    assert!(!all.contains("hunter2"), "{all}");
    assert!(all.contains("password=***"), "{all}");
}
