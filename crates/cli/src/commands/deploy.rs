//! `apptrust deploy`: sends a manifest to a server, which evaluates and records it, and prints the
//! server's verdict. Exit codes follow `check`: 0 eligible, 1 not eligible or blocked, 2 error.

use std::io::Read;
use std::time::Duration;

use serde_json::{Value, json};

use crate::args::{DeployArgs, ReportFormat};
use crate::output::emitln;
use crate::variables;

/// The most the command reads from the manifest file (the server's own limit is lower).
const MAX_MANIFEST_BYTES: u64 = 8 * 1024 * 1024;

pub fn run(args: &DeployArgs) -> Result<u8, String> {
    let token = args
        .token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .ok_or("no API token: set APPTRUST_TOKEN (or pass --token, which other users can see in the process list)")?;
    if args.environment.contains('=') {
        return Err(format!(
            "`{}` is not an environment name: `--env`/`-e` names the environment (as in the Forge \
             CLI); give variable values with `--var KEY=VALUE`",
            args.environment
        ));
    }
    let manifest = read_manifest(args)?;
    // Only the values given on the command line: the process environment holds far more than
    // the manifest's variables, and none of it is the server's business.
    let variables = variables::explicit(&args.var, &args.var_file)?;
    let base = args.server.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(format!(
            "--server must be an http:// or https:// URL, not `{base}`"
        ));
    }
    let url = format!(
        "{base}/api/v1/apps/{}/environments/{}/deployments",
        encode(&args.app),
        encode(&args.environment)
    );
    let mut body = json!({"manifest": manifest});
    if !variables.is_empty() {
        body["variables"] = json!(variables);
    }
    if let Some(version) = &args.app_version {
        body["version"] = json!(version);
    }
    // Every attempt carries the same idempotency key (one is made up when none is given), so
    // that a retry can never record the deploy twice, even when a busy answer came after the
    // server had recorded it.
    let key = match &args.idempotency_key {
        Some(key) => key.clone(),
        None => {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes)
                .map_err(|e| format!("no randomness for an idempotency key: {e}"))?;
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("apptrust-deploy-{hex}")
        }
    };
    body["idempotencyKey"] = json!(key);
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(args.timeout.max(1)))
        .build();
    let mut attempt = 0;
    let (status, answer) = loop {
        let response = agent
            .post(&url)
            .set("Authorization", &format!("Bearer {}", token.trim()))
            .send_json(&body);
        let (status, retry_after, answer) = match response {
            Ok(r) => (r.status(), None, r.into_string()),
            Err(ureq::Error::Status(status, r)) => {
                let wait = r
                    .header("retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok());
                (status, wait, r.into_string())
            }
            Err(ureq::Error::Transport(t)) => return Err(format!("cannot reach {base}: {t}")),
        };
        // Busy: try again with the same idempotency key, which returns the recorded deploy if
        // the first attempt did get through.
        if matches!(status, 429 | 503) && attempt < args.retries {
            attempt += 1;
            let wait = (retry_after.unwrap_or(1).clamp(1, 30) * u64::from(attempt)).min(30);
            eprintln!(
                "apptrust deploy: the server is busy ({status}); trying again in {wait} s \
                 ({attempt} of {})",
                args.retries
            );
            std::thread::sleep(Duration::from_secs(wait));
            continue;
        }
        break (status, answer);
    };
    let answer = answer.map_err(|e| format!("cannot read the server's answer: {e}"))?;
    let value: Value = serde_json::from_str(&answer)
        .map_err(|_| format!("the server answered {status} with something other than JSON"))?;
    let refused = value["error"]["code"] == "manifest-refused";
    if !(200..300).contains(&status) && !refused {
        let message = value["error"]["message"].as_str().unwrap_or("no message");
        return Err(format!(
            "the server refused the deploy ({status}): {message}"
        ));
    }
    let evaluation = &value["evaluation"];
    let code = match evaluation["verdict"].as_str() {
        Some("eligible") => 0,
        Some("error") => crate::EXIT_ERROR,
        _ => 1,
    };
    match args.format {
        ReportFormat::Json => emitln(&answer)?,
        _ => emitln(&human(args, &value, refused))?,
    }
    Ok(code)
}

fn read_manifest(args: &DeployArgs) -> Result<String, String> {
    let path = &args.manifest;
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(format!(
            "{} is larger than {MAX_MANIFEST_BYTES} bytes",
            path.display()
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

/// Percent-encodes a path segment.
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn human(args: &DeployArgs, value: &Value, refused: bool) -> String {
    let path = args.manifest.display();
    let evaluation = &value["evaluation"];
    let verdict = evaluation["verdict"].as_str().unwrap_or("unknown");
    let mut out = if refused {
        format!(
            "{path}: not deployed: {verdict}: {}\n",
            value["error"]["message"].as_str().unwrap_or("")
        )
    } else {
        let replayed = if value["replayed"] == true {
            " (replayed: already deployed with this key)"
        } else {
            ""
        };
        format!(
            "{path}: deployed {} {} to {}: {verdict}{replayed}\n",
            args.app,
            value["version"].as_str().unwrap_or("?"),
            args.environment
        )
    };
    for finding in evaluation["findings"].as_array().into_iter().flatten() {
        let place = match (finding["line"].as_u64(), finding["column"].as_u64()) {
            (Some(line), Some(column)) => format!("{path}:{line}:{column}"),
            _ => path.to_string(),
        };
        out.push_str(&format!(
            "{place}: {} {}: {}\n",
            finding["severity"].as_str().unwrap_or(""),
            finding["code"].as_str().unwrap_or(""),
            finding["message"].as_str().unwrap_or("")
        ));
        if let Some(fix) = finding["fix"].as_str() {
            out.push_str(&format!("  help: {fix}\n"));
        }
    }
    if let Some(change) = value.get("change").filter(|c| !c.is_null()) {
        let kind = if change["major"] == true {
            "major (needs admin consent)"
        } else {
            "minor"
        };
        out.push_str(&format!("change from the previous version: {kind}\n"));
    }
    for event in value["badgeEvents"].as_array().into_iter().flatten() {
        let reasons: Vec<&str> = event["reasons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        out.push_str(&format!(
            "badge {}: {} -> {}{}\n",
            event["program"].as_str().unwrap_or(""),
            event["from"].as_str().unwrap_or(""),
            event["to"].as_str().unwrap_or(""),
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", reasons.join(", "))
            }
        ));
    }
    out.trim_end().to_string()
}
