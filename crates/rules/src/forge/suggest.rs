//! "Did you mean ...?": the closest allowed name to a misspelt one.
//!
//! Suggestions are a courtesy, so their cost is bounded: a candidate whose length differs from
//! the written name by more than the allowed distance is skipped without comparing, the distance
//! stops as soon as it exceeds that bound, and each manifest gets at most
//! [`SUGGESTIONS_PER_MANIFEST`] suggestions (a hostile file with 80,000 unknown scopes would
//! otherwise cost minutes of comparisons against Forge's 650 scopes).

use std::cell::Cell;

/// The most "did you mean" suggestions computed for one manifest; later problems get none.
pub(crate) const SUGGESTIONS_PER_MANIFEST: usize = 200;

thread_local! {
    static REMAINING: Cell<usize> = const { Cell::new(SUGGESTIONS_PER_MANIFEST) };
}

/// Gives the current thread a fresh suggestion budget: called once per manifest.
pub(crate) fn reset_budget() {
    REMAINING.with(|r| r.set(SUGGESTIONS_PER_MANIFEST));
}

/// The candidate closest to `written` when it is close enough to be a plausible typo (an edit
/// distance of at most a third of its length, and at least 1), comparing case-insensitively.
pub(crate) fn closest<'a>(
    written: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let spent = REMAINING.with(|r| {
        let left = r.get();
        r.set(left.saturating_sub(1));
        left == 0
    });
    if spent {
        return None;
    }
    let written_lower: Vec<char> = written.to_lowercase().chars().collect();
    let budget = (written_lower.len() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == written {
            continue;
        }
        let length = candidate.chars().count();
        if length.abs_diff(written_lower.len()) > budget {
            continue;
        }
        let bound = best.map_or(budget, |(d, _)| d.min(budget));
        let lower: Vec<char> = candidate.to_lowercase().chars().collect();
        let Some(d) = distance_within(&written_lower, &lower, bound) else {
            continue;
        };
        let better = match best {
            None => true,
            Some((bd, bc)) => d < bd || (d == bd && candidate.len() < bc.len()),
        };
        if better {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance over characters if it is at most `bound`; `None` as soon as every
/// continuation must exceed it.
fn distance_within(a: &[char], b: &[char], bound: usize) -> Option<usize> {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        let mut smallest = row[0];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
            smallest = smallest.min(row[j + 1]);
        }
        if smallest > bound {
            return None;
        }
    }
    Some(row[b.len()]).filter(|d| *d <= bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(a: &str, b: &str) -> Option<usize> {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        distance_within(&a, &b, usize::MAX)
    }

    #[test]
    fn finds_typos_and_ignores_strangers() {
        reset_budget();
        let names = ["jira:issuePanel", "jira:issueGlance", "confluence:macro"];
        assert_eq!(closest("jira:issuePanell", names), Some("jira:issuePanel"));
        assert_eq!(closest("Jira:IssuePanel", names), Some("jira:issuePanel"));
        assert_eq!(closest("bitbucket:repoPage", names), None);
        assert_eq!(distance("kitten", "sitting"), Some(3));
        let (a, b): (Vec<char>, Vec<char>) =
            ("kitten".chars().collect(), "sitting".chars().collect());
        assert_eq!(distance_within(&a, &b, 2), None);
    }

    #[test]
    fn a_manifest_gets_a_bounded_number_of_suggestions() {
        reset_budget();
        let names = ["read:jira-work"];
        for _ in 0..SUGGESTIONS_PER_MANIFEST {
            assert_eq!(closest("read:jira-wrok", names), Some("read:jira-work"));
        }
        assert_eq!(closest("read:jira-wrok", names), None);
        reset_budget();
        assert_eq!(closest("read:jira-wrok", names), Some("read:jira-work"));
    }

    #[test]
    fn a_long_name_costs_nothing_against_short_candidates() {
        reset_budget();
        let long = "x".repeat(100_000);
        assert_eq!(closest(&long, ["read:jira-work"]), None);
    }
}
