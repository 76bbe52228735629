//! Every code the engine can report: trust-signal rules, deploy blockers, advisories and read
//! errors, with their documentation.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::{advisories, blockers, errors, rules};

/// What a code does to the verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A trust-signal rule: firing makes the version not eligible.
    Rule,
    /// A deploy blocker: the version could not be deployed at all.
    Blocker,
    /// Advice that never changes the verdict.
    Advisory,
    /// The file could not be evaluated.
    Error,
}

/// How loudly a finding speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Changes the verdict.
    Error,
    /// Worth fixing; the verdict stands.
    Warning,
}

macro_rules! codes {
    ($($variant:ident => $name:literal, $kind:ident, $doc:path, $summary:literal;)*) => {
        /// A rule, blocker, advisory or error code, in the order of the spec's tables.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            /// Every code, in report order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as written in reports, e.g. `HAS_REMOTES`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// Whether it is a rule, blocker, advisory or error.
            pub fn kind(self) -> Kind {
                match self { $(Code::$variant => Kind::$kind,)* }
            }

            /// One line for listings such as `apptrust rules`.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }

            /// The full documentation (What it does / Why it matters / Example / Use instead /
            /// References).
            pub fn doc(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }
        }
    };
}

codes! {
    HasRemotes => "HAS_REMOTES", Rule, rules::has_remotes::HasRemotes::DOC, "The app declares a Forge Remote or other off-platform compute.";
    HasConnectModules => "HAS_CONNECT_MODULES", Rule, rules::has_connect_modules::HasConnectModules::DOC, "The app declares Connect modules.";
    HasDefinedEgress => "HAS_DEFINED_EGRESS", Rule, rules::has_defined_egress::HasDefinedEgress::DOC, "The app declares egress that is not exempt analytics.";
    HasExposedCredentials => "HAS_EXPOSED_CREDENTIALS", Rule, rules::has_exposed_credentials::HasExposedCredentials::DOC, "Credentials for customer data leave Atlassian.";
    HasNonDareCompliantSqlModule => "HAS_NON_DARE_COMPLIANT_SQL_MODULE", Rule, rules::has_non_dare_compliant_sql_module::HasNonDareCompliantSqlModule::DOC, "A Forge SQL module is not data-residency compliant.";
    HasEgressWebtriggerModule => "HAS_EGRESS_WEBTRIGGER_MODULE", Rule, rules::has_egress_webtrigger_module::HasEgressWebtriggerModule::DOC, "A web trigger returns dynamic responses.";
    ManifestInvalid => "MANIFEST_INVALID", Blocker, blockers::manifest_invalid::ManifestInvalid::DOC, "Forge would refuse to deploy the manifest.";
    AnalyticsDomainNotApproved => "ANALYTICS_DOMAIN_NOT_APPROVED", Blocker, blockers::analytics_domain_not_approved::AnalyticsDomainNotApproved::DOC, "Analytics egress points outside the approved tools list.";
    EgressGlobalWildcard => "EGRESS_GLOBAL_WILDCARD", Advisory, advisories::egress_global_wildcard::EgressGlobalWildcard::DOC, "A bare `*` allows every host.";
    EgressBundleAssets => "EGRESS_BUNDLE_ASSETS", Advisory, advisories::egress_bundle_assets::EgressBundleAssets::DOC, "Fonts or styles come from a CDN instead of the app bundle.";
    EgressBackendPathIgnored => "EGRESS_BACKEND_PATH_IGNORED", Advisory, advisories::egress_backend_path_ignored::EgressBackendPathIgnored::DOC, "A backend address has a path, which Forge ignores.";
    EgressStringEntry => "EGRESS_STRING_ENTRY", Advisory, advisories::egress_string_entry::EgressStringEntry::DOC, "An egress entry uses the deprecated string form.";
    RemoteRegionsInconsistent => "REMOTE_REGIONS_INCONSISTENT", Advisory, advisories::remote_regions_inconsistent::RemoteRegionsInconsistent::DOC, "Remotes do not serve the same regions.";
    AnalyticsInScopeEudOmitted => "ANALYTICS_IN_SCOPE_EUD_OMITTED", Advisory, advisories::analytics_in_scope_eud_omitted::AnalyticsInScopeEudOmitted::DOC, "An analytics entry has no `inScopeEUD`, so it counts as carrying End-User Data.";
    AnalyticsHostIsFunctionalApi => "ANALYTICS_HOST_IS_FUNCTIONAL_API", Advisory, advisories::analytics_host_is_functional_api::AnalyticsHostIsFunctionalApi::DOC, "An entry marked analytics points at an AI, storage or maps API.";
    FileUnreadable => "FILE_UNREADABLE", Error, errors::FileUnreadable::DOC, "The file cannot be read.";
    FileNotText => "FILE_NOT_TEXT", Error, errors::FileNotText::DOC, "The file is not UTF-8 text, or is too large.";
    YamlSyntax => "YAML_SYNTAX", Error, errors::YamlSyntax::DOC, "Forge's YAML parser refuses the file.";
    YamlDuplicateKey => "YAML_DUPLICATE_KEY", Error, errors::YamlDuplicateKey::DOC, "A mapping has the same key twice.";
    YamlResourceLimit => "YAML_RESOURCE_LIMIT", Error, errors::YamlResourceLimit::DOC, "The document exceeds a nesting or alias-expansion limit.";
    NotAManifest => "NOT_A_MANIFEST", Error, errors::NotAManifest::DOC, "The document is not a mapping.";
}

impl Code {
    /// Looks a code up by name, case-insensitively.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The severity of its findings.
    pub fn severity(self) -> Severity {
        match self.kind() {
            Kind::Advisory => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// The documentation with rustdoc's leading spaces removed, for printing.
    pub fn doc_text(self) -> String {
        self.doc()
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_documented_in_the_house_sections() {
        for code in Code::ALL {
            let doc = code.doc_text();
            for section in ["## What it does", "## Why it matters", "## References"] {
                assert!(doc.contains(section), "{code} lacks {section}");
            }
            if matches!(code.kind(), Kind::Rule | Kind::Blocker | Kind::Advisory) {
                for section in ["## Example", "## Use instead"] {
                    assert!(doc.contains(section), "{code} lacks {section}");
                }
            }
            assert!(!code.summary().is_empty(), "{code} has no summary");
            assert_eq!(Code::from_name(&code.name().to_lowercase()), Some(*code));
        }
    }
}
