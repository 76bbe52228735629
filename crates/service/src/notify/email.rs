//! E-mail: each notification as a short message, in text and HTML, sent through the configured
//! SMTP relay.

use std::time::{Duration, Instant};

use apptrust_store::deliveries::Attempt;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;

/// Sends e-mail through one SMTP relay.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Whether a failed send may succeed later: permanent SMTP refusals (5xx, such as an unknown
/// mailbox) are not retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub attempt: Attempt,
    pub permanent_failure: bool,
}

impl Mailer {
    /// A mailer for `smtp_url` (`smtp://host:port` in the clear, `smtp://host:587?tls=required`
    /// for STARTTLS, `smtps://host:465`, with `user:password@` when the relay wants them),
    /// sending as `from`.
    pub fn new(smtp_url: &str, from: &str, timeout: Duration) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("smtp-url: {e}"))?
            .timeout(Some(timeout))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("mail-from `{from}`: {e}"))?;
        Ok(Mailer { transport, from })
    }

    /// Sends `message` to `name <address>`.
    pub async fn send(&self, name: &str, address: &str, message: &Rendered) -> Sent {
        let started = Instant::now();
        let elapsed = || i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let to = match address.parse::<lettre::Address>() {
            Ok(address) => Mailbox::new(Some(name.to_string()), address),
            Err(e) => {
                return Sent {
                    attempt: Attempt {
                        status_code: None,
                        error: Some(format!("`{address}` is not an e-mail address: {e}")),
                        duration_ms: elapsed(),
                    },
                    permanent_failure: true,
                };
            }
        };
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&message.subject)
            .multipart(MultiPart::alternative_plain_html(
                message.text.clone(),
                message.html.clone(),
            ));
        let email = match email {
            Ok(email) => email,
            Err(e) => {
                return Sent {
                    attempt: Attempt {
                        status_code: None,
                        error: Some(format!("the message could not be built: {e}")),
                        duration_ms: elapsed(),
                    },
                    permanent_failure: true,
                };
            }
        };
        match self.transport.send(email).await {
            Ok(response) => Sent {
                attempt: Attempt {
                    status_code: response.code().to_string().parse().ok(),
                    error: None,
                    duration_ms: elapsed(),
                },
                permanent_failure: false,
            },
            Err(e) => Sent {
                attempt: Attempt {
                    status_code: e.status().and_then(|code| code.to_string().parse().ok()),
                    error: Some(e.to_string()),
                    duration_ms: elapsed(),
                },
                permanent_failure: e.is_permanent(),
            },
        }
    }
}

/// The message for one notification.
pub fn render(event: &str, payload: &Value) -> Rendered {
    let text = |key: &str| payload.get(key).and_then(Value::as_str).unwrap_or("");
    let list = |key: &str| -> Vec<String> {
        payload
            .get(key)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map_or_else(|| item.to_string(), str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let app = text("app");
    let program = program_name(text("program"));
    let (subject, lead, items) = match event {
        apptrust_store::notifications::BADGE_GAINED => (
            format!("{app} now carries the {program} badge"),
            format!(
                "Version {} of {app} earned the {program} badge.",
                text("version")
            ),
            Vec::new(),
        ),
        apptrust_store::notifications::BADGE_LOST => (
            format!("{app} lost the {program} badge"),
            format!(
                "Version {} of {app} no longer meets {program} (now {}). The reasons:",
                text("version"),
                text("to")
            ),
            list("reasons"),
        ),
        apptrust_store::notifications::CONSENT_REQUIRED => (
            format!("{app} {} needs site admins' consent", text("version")),
            format!(
                "Version {} of {app} is a new major version after {}: site admins must consent \
                 before their sites get it (apptrust diff shows what it adds).",
                text("version"),
                payload
                    .get("previous")
                    .and_then(Value::as_str)
                    .unwrap_or("none")
            ),
            Vec::new(),
        ),
        apptrust_store::notifications::DEPLOY_BLOCKED => (
            format!("A deploy of {app} to {} was refused", text("environment")),
            format!(
                "A deploy of {app} to {} was refused ({}). What blocks it:",
                text("environment"),
                text("verdict")
            ),
            list("blockers"),
        ),
        apptrust_store::notifications::INSTALLATION_BADGE_LOST => (
            format!(
                "{app}, installed on {}, lost the {program} badge",
                text("site")
            ),
            format!(
                "{app}, installed on {}, no longer carries the {program} badge (now {}). The \
                 reasons:",
                text("site"),
                text("to")
            ),
            list("reasons"),
        ),
        apptrust_store::notifications::INSTALLATION_CONSENT_REQUIRED => (
            format!(
                "{app} {} waits for your consent on {}",
                text("version"),
                text("site")
            ),
            format!(
                "Version {} of {app} is a new major version: {} keeps running major {} until a \
                 site admin consents. GET /api/v1/installations/{}/consent shows what it adds.",
                text("version"),
                text("site"),
                payload
                    .get("installed")
                    .map(Value::to_string)
                    .unwrap_or_default(),
                payload
                    .get("installation")
                    .map(Value::to_string)
                    .unwrap_or_default()
            ),
            Vec::new(),
        ),
        apptrust_store::notifications::INSTALLATION_EGRESS_CHANGED => (
            format!("{app} on {} reaches other hosts now", text("site")),
            format!(
                "Version {} of {app}, now in force on {}, changes what it may reach:",
                text("version"),
                text("site")
            ),
            list("changes"),
        ),
        apptrust_store::notifications::INSTALLATION_POLICY_BROKEN => (
            format!("{app} breaks the policy of {}", text("site")),
            format!(
                "{app}, installed on {}, now breaks the site's policy and is flagged:",
                text("site")
            ),
            list("reasons"),
        ),
        other => (
            format!("{app}: {other}"),
            format!("{other} happened to {app}."),
            Vec::new(),
        ),
    };
    let why = match payload.get("site").and_then(Value::as_str) {
        Some(site) => format!("you administer {site}, where {app} is installed"),
        None => format!("you are a member of the partner that owns {app}"),
    };
    let footer = format!(
        "You receive this because {why}. To stop e-mail about {event}, add it to emailOptOut \
         with PUT /api/v1/me/notification-settings."
    );
    let mut plain = format!("{lead}\n");
    for item in &items {
        plain.push_str(&format!("  - {item}\n"));
    }
    plain.push_str(&format!("\n-- \n{footer}\n"));
    let mut html = format!("<p>{}</p>\n", escape(&lead));
    if !items.is_empty() {
        html.push_str("<ul>\n");
        for item in &items {
            html.push_str(&format!("<li>{}</li>\n", escape(item)));
        }
        html.push_str("</ul>\n");
    }
    html.push_str(&format!("<p><small>{}</small></p>\n", escape(&footer)));
    Rendered {
        subject,
        text: plain,
        html,
    }
}

/// A program's name as people say it.
fn program_name(key: &str) -> &str {
    match key {
        "runsOnAtlassian" => "Runs on Atlassian",
        "cloudFortified" => "Cloud Fortified",
        "cloudSecurityParticipant" => "Cloud Security Participant",
        "bugBountyParticipant" => "Bug Bounty Participant",
        other => other,
    }
}

/// Text made safe inside HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_lost_badge_says_which_why_and_escapes_the_html() {
        let message = render(
            "badge.lost",
            &json!({"app": "com.acme.x", "program": "runsOnAtlassian", "version": "2.0.0",
                    "to": "NOT_ELIGIBLE", "reasons": ["EGRESS_NOT_ALLOWED: <script>"]}),
        );
        assert_eq!(
            message.subject,
            "com.acme.x lost the Runs on Atlassian badge"
        );
        assert!(message.text.contains("  - EGRESS_NOT_ALLOWED: <script>"));
        assert!(message.html.contains("&lt;script&gt;"));
        assert!(!message.html.contains("<script>"));
        assert!(
            message
                .text
                .contains("PUT /api/v1/me/notification-settings")
        );
    }

    #[tokio::test]
    async fn a_bad_relay_address_is_named() {
        let error = Mailer::new("gopher://x", "a@b.c", Duration::from_secs(1))
            .err()
            .unwrap();
        assert!(error.starts_with("smtp-url"), "{error}");
        let error = Mailer::new(
            "smtp://127.0.0.1:25",
            "not an address",
            Duration::from_secs(1),
        )
        .err()
        .unwrap();
        assert!(error.starts_with("mail-from"), "{error}");
    }
}
