//! "Did you mean ...?": the closest allowed name to a misspelt one.

/// The candidate closest to `written` when it is close enough to be a plausible typo (an edit
/// distance of at most a third of its length, and at least 1), comparing case-insensitively.
pub(crate) fn closest<'a>(
    written: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let written_lower = written.to_lowercase();
    let budget = (written.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(&written_lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= budget && *c != written)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_and_ignores_strangers() {
        let names = ["jira:issuePanel", "jira:issueGlance", "confluence:macro"];
        assert_eq!(closest("jira:issuePanell", names), Some("jira:issuePanel"));
        assert_eq!(closest("Jira:IssuePanel", names), Some("jira:issuePanel"));
        assert_eq!(closest("bitbucket:repoPage", names), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
