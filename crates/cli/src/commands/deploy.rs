//! `apptrust deploy`: sends a manifest to a server, which evaluates and records it, and prints the
//! server's verdict. Exit codes follow `check`: 0 eligible, 1 not eligible or blocked, 2 error.
//!
//! The request and the answer are the API's own types (`apptrust_api::deploys`), the ones the
//! server reads and writes, so the client cannot drift from the server it talks to.

use std::io::Read;
use std::time::Duration;

use apptrust_api::deploys::{CreateDeployment, DeployFailure, DeployResult};
use apptrust_api::error::ManifestRefused;
use apptrust_api::versions::Evaluation;

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
    let body = CreateDeployment {
        manifest,
        version: args.app_version.clone(),
        idempotency_key: Some(key),
        variables,
    };
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
    let text = answer.map_err(|e| format!("cannot read the server's answer: {e}"))?;
    let answer = Answer::read(status, &text)?;
    let code = match answer.evaluation().verdict.as_str() {
        "eligible" => 0,
        "error" => crate::EXIT_ERROR,
        _ => 1,
    };
    match args.format {
        ReportFormat::Json => emitln(&text)?,
        _ => emitln(&human(args, &answer))?,
    }
    Ok(code)
}

/// What the server said about the deploy: recorded, or refused for its manifest. Any other
/// answer is an error of the command.
enum Answer {
    Deployed(Box<DeployResult>),
    Refused(Box<ManifestRefused>),
}

impl Answer {
    fn read(status: u16, text: &str) -> Result<Answer, String> {
        let not_json = || format!("the server answered {status} with something other than JSON");
        if (200..300).contains(&status) {
            return serde_json::from_str(text)
                .map(|deployed| Answer::Deployed(Box::new(deployed)))
                .map_err(|_| {
                    if serde_json::from_str::<serde_json::Value>(text).is_ok() {
                        format!("the server answered {status} with something other than a deploy")
                    } else {
                        not_json()
                    }
                });
        }
        let message = match serde_json::from_str::<DeployFailure>(text) {
            Ok(DeployFailure::Refused(refused)) if refused.error.code == "manifest-refused" => {
                return Ok(Answer::Refused(Box::new(refused)));
            }
            Ok(DeployFailure::Refused(refused)) => refused.error.message,
            Ok(DeployFailure::Other(error)) => error.error.message,
            Err(_) if serde_json::from_str::<serde_json::Value>(text).is_ok() => {
                "no message".to_string()
            }
            Err(_) => return Err(not_json()),
        };
        Err(format!(
            "the server refused the deploy ({status}): {message}"
        ))
    }

    fn evaluation(&self) -> &Evaluation {
        match self {
            Answer::Deployed(deployed) => &deployed.version.evaluation,
            Answer::Refused(refused) => &refused.evaluation,
        }
    }
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

fn human(args: &DeployArgs, answer: &Answer) -> String {
    let path = args.manifest.display();
    let evaluation = answer.evaluation();
    let verdict = evaluation.verdict.as_str();
    let mut out = match answer {
        Answer::Refused(refused) => format!(
            "{path}: not deployed: {verdict}: {}\n",
            refused.error.message
        ),
        Answer::Deployed(deployed) => {
            let replayed = if deployed.replayed {
                " (replayed: already deployed with this key)"
            } else {
                ""
            };
            format!(
                "{path}: deployed {} {} to {}: {verdict}{replayed}\n",
                args.app, deployed.version.version, args.environment
            )
        }
    };
    for finding in evaluation.findings() {
        let place = match (finding.line, finding.column) {
            (Some(line), Some(column)) => format!("{path}:{line}:{column}"),
            _ => path.to_string(),
        };
        out.push_str(&format!(
            "{place}: {} {}: {}\n",
            finding.severity, finding.code, finding.message
        ));
        if let Some(fix) = &finding.fix {
            out.push_str(&format!("  help: {fix}\n"));
        }
    }
    if let Answer::Deployed(deployed) = answer {
        let version = &deployed.version;
        if version.change.as_ref().is_some_and(|c| !c.is_null()) {
            // Read on its own, so that a report of another shape still says major or minor.
            let major = version
                .change
                .as_ref()
                .and_then(|c| c.get("major"))
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            let kind = if major {
                "major (needs admin consent)"
            } else {
                "minor"
            };
            out.push_str(&format!("change from the previous version: {kind}\n"));
        }
        for event in &version.badge_events {
            out.push_str(&format!(
                "badge {}: {} -> {}{}\n",
                event.program,
                event.from,
                event.to,
                if event.reasons.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", event.reasons.join(", "))
                }
            ));
        }
    }
    out.trim_end().to_string()
}
