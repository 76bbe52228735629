//! Logs: JSON lines on standard error when asked, each line written while a request is handled
//! carrying the id the answer gives in `X-Request-Id`.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use crate::support::{TempDir, binary};

/// `apptrust serve` on a fresh SQLite database in `dir`, on a free port, with `extra` flags.
fn serve(dir: &TempDir, extra: &[&str]) -> Command {
    let database = dir.0.join("apptrust.db").display().to_string();
    let mut command = Command::new(binary());
    command
        .args(["serve", "--database", &database, "--listen", "127.0.0.1:0"])
        .args(extra);
    command
}

#[test]
fn json_log_lines_carry_the_request_id_the_answer_names() {
    let dir = TempDir::new("logs");
    let mut child = serve(&dir, &["--log-format", "json", "--log-level", "debug"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start apptrust serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the first line");
    let url = line
        .trim()
        .rsplit_once("listening on ")
        .map(|(_, url)| url.to_string())
        .unwrap_or_else(|| panic!("no address in {line}"));
    let response = ureq::get(&format!("{url}/api/v1/apps/com.nobody.missing/trust")).call();
    let id = match response {
        Err(ureq::Error::Status(404, response)) => {
            response.header("x-request-id").map(str::to_string)
        }
        other => panic!("expected a 404, got {other:?}"),
    }
    .expect("an X-Request-Id header");
    // A clean stop, so that every line the server wrote about the request is on stderr (the
    // access line is written as the answer leaves, which can be after the client has it).
    stop_gracefully(&mut child);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let _ = child.wait();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let answered = lines
        .iter()
        .find(|l| l["span"]["request_id"] == id.as_str() && l["fields"]["message"] == "answered")
        .unwrap_or_else(|| panic!("no line with request id {id} in {stderr}"));
    assert_eq!(answered["fields"]["status"], 404, "{answered}");
    assert_eq!(answered["level"], "DEBUG");
    // The database's own lines for that request carry the id too.
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["request_id"] == id.as_str()
                && l["fields"]["db.statement"].is_string()),
        "{stderr}"
    );
}

#[test]
fn an_unknown_log_format_stops_start_up_with_a_message() {
    let dir = TempDir::new("logs-bad");
    let output = serve(&dir, &["--log-format", "xml"])
        .output()
        .expect("run apptrust serve");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("log format `xml`"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// SIGTERM, then waits for the server to stop on its own (SIGKILL after 10 s).
fn stop_gracefully(child: &mut std::process::Child) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    for _ in 0..200 {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
}
