//! Deploys: the manifest in, the version recorded (or the refusal) out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorBody, ManifestRefused};
use crate::versions::Version;

/// `POST /api/v1/apps/{app}/environments/{env}/deployments`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateDeployment {
    /// The `manifest.yml` text.
    pub manifest: String,
    /// `MAJOR.MINOR.PATCH`. Numbered from the change classification when absent: 1.0.0 first,
    /// then the next minor, or the next major when the change needs admin consent. A requested
    /// version must be newer than the latest, and start a new major when consent is needed
    /// (else 409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)$",
            examples("1.2.0")
        )
    )]
    pub version: Option<String>,
    /// Retrying with the same key returns the first result (200, `replayed: true`) instead of
    /// deploying twice. May be sent as the `Idempotency-Key` header instead; if both are sent
    /// they must be equal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub idempotency_key: Option<String>,
    /// Values of the manifest's declared `environment.variables` by name, for its `${NAME}`
    /// placeholders (as `apptrust check --var NAME=VALUE`). At most `max-deploy-variables`
    /// (default 100) entries and `max-deploy-variables-bytes` (default 64 KiB) of names and
    /// values together. Stored with the version, never shown: the version and the audit log
    /// name them only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(examples(json!({"ANALYTICS_HOST": "eu.posthog.com"}))))]
    pub variables: BTreeMap<String, String>,
}

/// The version a deploy recorded, or the one an idempotency key had recorded before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeployResult {
    #[serde(flatten)]
    pub version: Version,
    /// True when the idempotency key matched an earlier deploy, which is returned unchanged.
    pub replayed: bool,
}

/// What a refused deploy answers with: the manifest refused, with its evaluation
/// (`manifest-refused`), or any other error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DeployFailure {
    Refused(ManifestRefused),
    Other(ErrorBody),
}

// Written by hand: a derived schema would say `oneOf`, which a `manifest-refused` body breaks
// since it also matches the plain error body (`anyOf` is what holds).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for DeployFailure {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, Schema};
        use utoipa::openapi::{Ref, RefOr};
        RefOr::T(Schema::AnyOf(
            AnyOfBuilder::new()
                .item(Ref::from_schema_name("ManifestRefused"))
                .item(Ref::from_schema_name("ErrorBody"))
                .description(Some(
                    "`manifest-refused` with the evaluation, or any other error body.",
                ))
                .build(),
        ))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for DeployFailure {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push(("ManifestRefused".to_string(), ManifestRefused::schema()));
        schemas.push(("ErrorBody".to_string(), ErrorBody::schema()));
        ManifestRefused::schemas(schemas);
        ErrorBody::schemas(schemas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn version() -> serde_json::Value {
        json!({
            "app": "com.acme.app", "environment": "production", "version": "1.0.0",
            "deployedAt": "2026-01-02T03:04:05.000Z", "deployedBy": "dev@acme.test",
            "reportedBy": "partner", "manifestSha256": "ab", "variables": [],
            "evaluation": {"verdict": "eligible", "rules": [], "blockers": [],
                "findings": [{"code": "X", "kind": "advisory", "severity": "warning",
                    "message": "m", "fix": null, "line": 3, "column": 1}],
                "findingsOmitted": 0, "engineVersion": "1", "evaluatedAt": "2026-01-02T03:04:05.000Z"},
            "change": {"major": true, "changes": [], "before": "eligible", "after": "not-eligible",
                "rulesBefore": [], "rulesAfter": ["HAS_REMOTES"], "eligibility": "lost",
                "someLaterMember": 1},
            "badgeEvents": [{"program": "runsOnAtlassian", "at": "2026-01-02T03:04:05.000Z",
                "from": "NOT_A_PARTICIPANT", "to": "APPROVED", "cause": "auto-evaluation",
                "version": "1.0.0", "reasons": []}],
        })
    }

    #[test]
    fn a_deploy_result_is_the_version_with_replayed_beside_its_members() {
        let mut wire = version();
        wire["replayed"] = json!(false);
        let read: DeployResult = serde_json::from_value(wire.clone()).unwrap();
        assert!(!read.replayed);
        assert_eq!(read.version.evaluation.findings()[0].line, Some(3));
        assert_eq!(read.version.change.as_ref().unwrap()["major"], true);
        // Stored JSON passes through untouched, members this crate does not know included.
        assert_eq!(serde_json::to_value(&read).unwrap(), wire);
    }

    #[test]
    fn a_refusal_reads_as_the_manifest_refused_or_any_other_error() {
        let refused = json!({"error": {"code": "manifest-refused", "message": "no"},
            "evaluation": version()["evaluation"]});
        assert!(matches!(
            serde_json::from_value(refused).unwrap(),
            DeployFailure::Refused(r) if r.evaluation.verdict == "eligible"
        ));
        let other = json!({"error": {"code": "invalid", "message": "bad version"}});
        assert!(matches!(
            serde_json::from_value(other).unwrap(),
            DeployFailure::Other(e) if e.error.message == "bad version"
        ));
    }

    #[test]
    fn a_request_sends_only_what_it_has() {
        let request = CreateDeployment {
            manifest: "app: {}".to_string(),
            idempotency_key: Some("k".to_string()),
            ..CreateDeployment::default()
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"manifest": "app: {}", "idempotencyKey": "k"})
        );
    }
}
