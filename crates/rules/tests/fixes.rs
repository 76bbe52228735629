//! Fixes that never mislead: Atlassian's own hosts are not "moved into Atlassian", and functional
//! APIs under an approved analytics pattern are never offered the analytics exemption.

use apptrust_rules::{CheckOptions, Code, Evaluation, evaluate};

/// The snippets here are not whole manifests: they are judged on eligibility alone.
fn eligibility_only() -> CheckOptions {
    CheckOptions {
        eligibility_only: true,
        ..CheckOptions::default()
    }
}

fn backend(entry: &str) -> Evaluation {
    let text =
        format!("permissions:\n  external:\n    fetch:\n      backend:\n        - {entry}\n");
    evaluate(text.as_bytes(), &eligibility_only())
}

fn fix_of(evaluation: &Evaluation, code: Code) -> String {
    evaluation
        .findings
        .iter()
        .find(|f| f.code == code)
        .and_then(|f| f.fix.clone())
        .unwrap_or_else(|| panic!("no {code} finding with a fix: {evaluation:?}"))
}

#[test]
fn atlassian_hosts_are_reached_through_forge_api_not_moved() {
    for host in ["api.atlassian.com", "acme.atlassian.net"] {
        let fix = fix_of(
            &backend(&format!("address: {host}")),
            Code::HasDefinedEgress,
        );
        assert!(fix.contains("@forge/api"), "{host}: {fix}");
        assert!(!fix.contains("Atlassian-hosted compute"), "{host}: {fix}");
    }
}

#[test]
fn functional_apis_under_an_approved_pattern_are_never_offered_the_analytics_exemption() {
    let plain = backend("address: generativelanguage.googleapis.com");
    let fix = fix_of(&plain, Code::HasDefinedEgress);
    assert!(fix.contains("not an analytics tool"), "{fix}");
    assert!(!fix.contains("category: analytics"), "{fix}");
    assert!(
        plain
            .findings
            .iter()
            .all(|f| f.code != Code::AnalyticsHostIsFunctionalApi),
        "not claimed as analytics, so no advisory"
    );

    let claimed = backend(
        "{address: generativelanguage.googleapis.com, category: analytics, inScopeEUD: false}",
    );
    let advisory = claimed
        .findings
        .iter()
        .find(|f| f.code == Code::AnalyticsHostIsFunctionalApi)
        .expect("the claim is flagged");
    assert!(
        advisory.message.contains("AI or LLM"),
        "{}",
        advisory.message
    );
}

#[test]
fn the_analytics_fix_says_it_is_only_for_hosts_that_receive_nothing_but_analytics() {
    let fix = fix_of(&backend("address: eu.posthog.com"), Code::HasDefinedEgress);
    assert!(
        fix.starts_with("only if this host receives nothing but analytics"),
        "{fix}"
    );
    let fix = fix_of(
        &backend("{address: eu.posthog.com, category: analytics}"),
        Code::HasDefinedEgress,
    );
    assert!(
        fix.starts_with("only if this host receives nothing but analytics"),
        "{fix}"
    );
}

#[test]
fn broad_patterns_wildcards_fonts_and_client_pages_get_honest_fixes() {
    // A declared wildcard that covers functional APIs is not offered the exemption.
    let fix = fix_of(
        &backend("address: '*.googleapis.com'"),
        Code::HasDefinedEgress,
    );
    assert!(!fix.contains("category: analytics"), "{fix}");
    // A host approved only through a pattern that also serves functional APIs: no nudge.
    let fix = fix_of(
        &backend("address: example-analytics.googleapis.com"),
        Code::HasDefinedEgress,
    );
    assert!(!fix.contains("{address:"), "{fix}");
    assert!(fix.contains("also serves functional APIs"), "{fix}");
    // Fonts are bundled, whatever list approves their host.
    let styles = evaluate(
        b"permissions:\n  external:\n    styles:\n      - address: fonts.googleapis.com\n",
        &eligibility_only(),
    );
    let fix = fix_of(&styles, Code::HasDefinedEgress);
    assert!(fix.starts_with("bundle the asset"), "{fix}");
    // Atlassian images are not API calls: no `@forge/api` advice there.
    let images = evaluate(
        b"permissions:\n  external:\n    images:\n      - address: '*.atlassian.net'\n",
        &eligibility_only(),
    );
    let fix = fix_of(&images, Code::HasDefinedEgress);
    assert!(!fix.contains("@forge/api"), "{fix}");
    // The in-scope advisory never completes the exemption for a functional API.
    let claimed = backend("{address: generativelanguage.googleapis.com, category: analytics}");
    for finding in &claimed.findings {
        let fix = finding.fix.clone().unwrap_or_default();
        assert!(
            !fix.contains("add `inScopeEUD: false`"),
            "{}: {fix}",
            finding.code
        );
    }
}
