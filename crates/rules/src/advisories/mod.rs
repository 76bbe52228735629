//! Advisories: advice that never changes the verdict.

pub mod analytics_host_is_functional_api;
pub mod analytics_in_scope_eud_omitted;
pub mod egress_backend_path_ignored;
pub mod egress_bundle_assets;
pub mod egress_global_wildcard;
pub mod egress_string_entry;
pub mod remote_regions_inconsistent;

use crate::context::Context;
use crate::finding::Finding;

/// Runs every advisory.
pub(crate) fn check_all(cx: &Context<'_>, out: &mut Vec<Finding>) {
    egress_global_wildcard::check(cx, out);
    egress_bundle_assets::check(cx, out);
    egress_backend_path_ignored::check(cx, out);
    egress_string_entry::check(cx, out);
    remote_regions_inconsistent::check(cx, out);
    analytics_in_scope_eud_omitted::check(cx, out);
    analytics_host_is_functional_api::check(cx, out);
}
