//! Closed sets of values that the API sends as plain strings (so that a value added later does
//! not break older clients), named here so that the OpenAPI document lists them.

use serde::{Deserialize, Serialize};

macro_rules! closed_set {
    ($(#[$doc:meta])* $name:ident, $case:literal, [$($variant:ident),+ $(,)?]) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = $case)]
        pub enum $name {
            $($variant),+
        }
    };
}

closed_set!(
    /// How an app is built.
    Framework, "lowercase", [Forge, Connect]
);
closed_set!(
    /// Who reported a version: the deployment platform, staff, or the app's partner.
    ReportedBy, "lowercase", [Platform, Staff, Partner]
);
closed_set!(
    /// Why a badge moved: a deploy's evaluation, re-evaluation by a newer rules engine, an
    /// approval, an annual review, an escalation, a dependency (a lapsed bug bounty), or the
    /// program's retirement.
    Cause, "kebab-case", [AutoEvaluation, Reevaluation, Approval, AnnualReview, Escalation, Dependency, Retirement]
);
closed_set!(
    /// What kind of check a finding comes from.
    FindingKind, "lowercase", [Rule, Blocker, Advisory, Error]
);
closed_set!(
    /// How serious a finding is.
    Severity, "lowercase", [Error, Warning]
);
closed_set!(
    /// Whether a change needs admin consent (`major`) or not.
    Impact, "lowercase", [Major, Minor]
);
closed_set!(
    /// Which of the two manifests a change's line is in.
    ManifestSide, "lowercase", [Old, New]
);
closed_set!(
    /// What a new version did to eligibility.
    Eligibility, "lowercase", [Gained, Lost, Unchanged]
);
closed_set!(
    /// How a delivery is sent.
    Channel, "lowercase", [Webhook, Email]
);
closed_set!(
    /// Where a delivery stands.
    DeliveryStatus, "lowercase", [Pending, Delivered, Failed]
);
closed_set!(
    /// Whether an instance can take traffic.
    ReadinessStatus, "kebab-case", [Ready, NotReady]
);
closed_set!(
    /// The database an instance runs on.
    Database, "lowercase", [Sqlite, Postgres]
);
