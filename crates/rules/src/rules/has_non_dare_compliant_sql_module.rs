use apptrust_manifest::Node;

use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Fires for a `modules.sql` entry with `dareCompliant: false`. An omitted flag means
    /// compliant, because Forge SQL is generally available with data residency (a decision:
    /// switch `sql_omitted_dare_compliant_means_compliant`).
    ///
    /// ## Why it matters
    /// A SQL database that is not data-residency compliant may keep customer data outside the
    /// host product's region, which breaks the residency promise of the badge.
    ///
    /// ## Example
    /// ```yaml
    /// modules:
    ///   sql:
    ///     - key: main-db
    ///       engine: mysql
    ///       dareCompliant: false
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// modules:
    ///   sql:
    ///     - key: main-db
    ///       engine: mysql
    /// ```
    ///
    /// ## References
    /// - [Forge SQL](https://developer.atlassian.com/platform/forge/storage-reference/sql/)
    /// - [Data residency](https://developer.atlassian.com/platform/forge/data-residency/)
    pub struct HasNonDareCompliantSqlModule;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for module in cx.manifest.module_entries("sql") {
        let key = module
            .get("key")
            .map_or_else(|| "(no key)".to_string(), Node::display_scalar);
        let flag = module.entry("dareCompliant");
        let fires = match flag {
            Some(entry) => entry.value.as_bool() == Some(false),
            None => !cx.decisions.sql_omitted_dare_compliant_means_compliant,
        };
        if !fires {
            continue;
        }
        let span = flag.map_or(module.span, apptrust_manifest::entry_span);
        out.push(
            Finding::new(
                Code::HasNonDareCompliantSqlModule,
                Some(span),
                format!("SQL module `{key}` is not data-residency compliant"),
            )
            .via_alias(module.via_alias)
            .with_fix(
                "delete `dareCompliant: false` and redeploy on data-residency-enabled Forge SQL",
            ),
        );
    }
}
