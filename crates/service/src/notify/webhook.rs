//! Sending one webhook delivery: the body in the Standard Webhooks layout, signed, posted to the
//! endpoint through a client that connects only to public addresses and follows no redirect.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use apptrust_store::deliveries::Attempt;
use serde_json::{Value, json};

use super::destination::PublicOnly;
use super::signature;

/// The HTTP client of webhook deliveries.
#[derive(Clone)]
pub struct WebhookClient {
    agent: ureq::Agent,
}

/// The `webhook-id` of delivery `id`: the same on every attempt and redelivery, so that a
/// receiver can drop what it already has.
pub fn message_id(delivery_id: i64) -> String {
    format!("dlv_{delivery_id}")
}

/// The body a receiver gets: `{"type", "timestamp", "data"}`, as Standard Webhooks recommends,
/// where `data` is the notification's payload without the two fields lifted out of it, plus the
/// notification's id.
pub fn body(notification_id: i64, event: &str, payload: &Value) -> Vec<u8> {
    let mut data = payload.as_object().cloned().unwrap_or_default();
    let at = data.remove("at").unwrap_or(Value::Null);
    data.remove("event");
    data.insert("notification".into(), json!(notification_id));
    json!({"type": event, "timestamp": at, "data": data})
        .to_string()
        .into_bytes()
}

impl WebhookClient {
    /// A client whose every request gives up after `timeout` and reaches only public addresses
    /// unless `allow_private`.
    pub fn new(timeout: Duration, allow_private: bool) -> WebhookClient {
        let agent = ureq::AgentBuilder::new()
            .resolver(PublicOnly { allow_private })
            .redirects(0)
            .timeout_connect(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .user_agent(concat!("apptrust-webhooks/", env!("CARGO_PKG_VERSION")))
            .build();
        WebhookClient { agent }
    }

    /// Posts `body` to `url`, signed with each of `secrets`. Blocking: call it off the async
    /// threads. Any 2xx answer is a success; anything else, or no answer, is a failure.
    pub fn send(&self, url: &str, delivery_id: i64, secrets: &[String], body: &[u8]) -> Attempt {
        let id = message_id(delivery_id);
        // Receivers compare the timestamp with their own clock to refuse replays, so it is the
        // real time of sending, even when the service runs on a test clock.
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let signature = signature::header(&secrets, &id, timestamp, body);
        let started = Instant::now();
        let result = self
            .agent
            .post(url)
            .set("content-type", "application/json")
            .set("webhook-id", &id)
            .set("webhook-timestamp", &timestamp.to_string())
            .set("webhook-signature", &signature)
            .send_bytes(body);
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match result {
            Ok(response) if (200..300).contains(&response.status()) => Attempt {
                status_code: Some(i64::from(response.status())),
                error: None,
                duration_ms,
            },
            Ok(response) => Attempt {
                status_code: Some(i64::from(response.status())),
                error: Some(format!(
                    "the receiver answered {} (redirects are not followed)",
                    response.status()
                )),
                duration_ms,
            },
            Err(ureq::Error::Status(code, _)) => Attempt {
                status_code: Some(i64::from(code)),
                error: Some(format!("the receiver answered {code}")),
                duration_ms,
            },
            Err(ureq::Error::Transport(transport)) => Attempt {
                status_code: None,
                error: Some(transport_error(&transport)),
                duration_ms,
            },
        }
    }
}

/// The transport error with its cause, which ureq keeps apart (the cause says "refused" or
/// "private addresses").
fn transport_error(transport: &ureq::Transport) -> String {
    let mut text = transport.to_string();
    let mut source = std::error::Error::source(transport);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_lifts_type_and_timestamp_out_of_the_payload() {
        let payload = json!({"event": "badge.lost", "app": "com.acme.x", "at": "2026-01-02T03:04:05Z", "program": "runsOnAtlassian"});
        let body: Value = serde_json::from_slice(&body(7, "badge.lost", &payload)).unwrap();
        assert_eq!(
            body,
            json!({"type": "badge.lost", "timestamp": "2026-01-02T03:04:05Z",
                   "data": {"app": "com.acme.x", "program": "runsOnAtlassian", "notification": 7}})
        );
    }

    #[test]
    fn an_endpoint_that_refuses_connections_is_a_failed_attempt_with_a_reason() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let client = WebhookClient::new(Duration::from_secs(2), true);
        let attempt = client.send(&format!("http://{address}/"), 1, &[], b"{}");
        assert_eq!(attempt.status_code, None);
        assert!(attempt.error.is_some());
        let strict = WebhookClient::new(Duration::from_secs(2), false);
        let refused = strict.send(&format!("http://{address}/"), 1, &[], b"{}");
        assert!(
            refused.error.as_deref().unwrap().contains("private"),
            "{refused:?}"
        );
    }
}
