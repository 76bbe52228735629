//! The trust-signal rules. An app version is eligible for Runs on Atlassian when none fires.
//! One file per rule; each file's doc comment is the rule's reference page.

pub mod has_connect_modules;
pub mod has_defined_egress;
pub mod has_egress_webtrigger_module;
pub mod has_exposed_credentials;
pub mod has_non_dare_compliant_sql_module;
pub mod has_remotes;

use crate::context::Context;
use crate::finding::Finding;

/// Runs every rule.
pub(crate) fn check_all(cx: &Context<'_>, out: &mut Vec<Finding>) {
    has_remotes::check(cx, out);
    has_connect_modules::check(cx, out);
    has_defined_egress::check(cx, out);
    has_exposed_credentials::check(cx, out);
    has_non_dare_compliant_sql_module::check(cx, out);
    has_egress_webtrigger_module::check(cx, out);
}
