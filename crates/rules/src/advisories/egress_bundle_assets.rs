use apptrust_manifest::EgressList;

use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Warns about fonts and stylesheets loaded from a CDN (`fonts` and `styles` entries).
    ///
    /// ## Why it matters
    /// Fonts and styles can be bundled with the app's resources. Loading them from a CDN is
    /// egress that tells a third party who uses the app, and it alone makes the version
    /// ineligible.
    ///
    /// ## Example
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fonts:
    ///       - fonts.gstatic.com
    /// ```
    ///
    /// ## Use instead
    /// Copy the font files into the Custom UI resource and reference them with relative URLs,
    /// then delete the entry.
    /// ```yaml
    /// resources:
    ///   - key: main
    ///     path: static/build
    /// ```
    ///
    /// ## References
    /// - [Custom UI resources](https://developer.atlassian.com/platform/forge/custom-ui/)
    pub struct EgressBundleAssets;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for egress in &cx.egress {
        let list = egress.entry.list;
        if !matches!(list, EgressList::Fonts | EgressList::Styles) || egress.exempt {
            continue;
        }
        let Some(address) = egress.entry.address() else {
            continue;
        };
        out.push(
            Finding::new(
                Code::EgressBundleAssets,
                Some(egress.entry.node.span),
                format!("`{}` loads assets from `{address}`", list.path()),
            )
            .via_alias(egress.entry.node.via_alias)
            .with_fix("bundle these assets with the app's resources and delete this entry"),
        );
    }
}
