//! Cases found in review where a naive reading would disagree with Forge.

use apptrust_rules::{CheckOptions, Verdict, evaluate};

/// The snippets here are not whole manifests: they are judged on eligibility alone.
fn eligibility_only() -> CheckOptions {
    CheckOptions {
        eligibility_only: true,
        ..CheckOptions::default()
    }
}

fn verdict(text: &str) -> (Verdict, Vec<&'static str>) {
    let eval = evaluate(text.as_bytes(), &eligibility_only());
    let codes = eval
        .rules
        .iter()
        .chain(&eval.blockers)
        .map(|c| c.name())
        .collect();
    (eval.verdict, codes)
}

#[test]
fn a_backslash_cannot_smuggle_a_host_past_the_analytics_list() {
    let text = "permissions:\n  external:\n    fetch:\n      backend:\n        - address: 'https://evil.example.com\\@eu.posthog.com'\n          category: analytics\n          inScopeEUD: false\n";
    assert_eq!(
        verdict(text),
        (Verdict::Blocked, vec!["ANALYTICS_DOMAIN_NOT_APPROVED"])
    );
}

#[test]
fn an_invalid_port_is_refused() {
    let text = "permissions:\n  external:\n    fetch:\n      backend:\n        - {address: 'eu.posthog.com:99999', category: analytics, inScopeEUD: false}\n";
    assert_eq!(verdict(text).0, Verdict::Blocked);
}

#[test]
fn a_repeated_alias_key_keeps_the_last_value_as_forge_does() {
    let text = "x: &k permissions\npermissions:\n  scopes: []\n*k :\n  external: {fetch: {backend: [{address: api.evil-vendor.com}]}}\n";
    assert_eq!(
        verdict(text),
        (Verdict::NotEligible, vec!["HAS_DEFINED_EGRESS"])
    );
}

#[test]
fn avatar_hosts_get_the_delete_fix() {
    let text = "permissions:\n  external:\n    images:\n      - address: '*.gravatar.com'\n";
    let eval = evaluate(text.as_bytes(), &eligibility_only());
    let fix = eval.findings[0].fix.as_deref().unwrap_or_default();
    assert!(fix.starts_with("delete this entry"), "{fix}");
}

#[test]
fn a_value_reached_through_an_alias_is_one_finding_with_the_alias_as_a_related_place() {
    let text = "permissions:\n  external:\n    fetch:\n      backend:\n        - &a api.example.com\n        - *a\n        - *a\n";
    let eval = evaluate(text.as_bytes(), &eligibility_only());
    let egress: Vec<_> = eval
        .findings
        .iter()
        .filter(|f| f.code == apptrust_rules::Code::HasDefinedEgress)
        .collect();
    assert_eq!(egress.len(), 1, "{:?}", eval.findings);
    let lines: Vec<u32> = egress[0].related.iter().map(|r| r.span.line).collect();
    assert_eq!(lines, [6, 7], "both uses of the alias are related places");
}
