//! Deploy blockers: problems that would make Forge refuse to deploy the version at all.

pub mod analytics_domain_not_approved;
pub mod manifest_invalid;

use crate::context::Context;
use crate::finding::Finding;

/// Runs every blocker check.
pub(crate) fn check_all(cx: &Context<'_>, out: &mut Vec<Finding>) {
    manifest_invalid::check(cx, out);
    analytics_domain_not_approved::check(cx, out);
}
