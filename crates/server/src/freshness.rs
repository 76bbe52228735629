//! How far a remembered answer may be trusted, for the in-memory copies that hot reads are
//! served from (egress decisions, the proxy's token, the directory page): trusted for the TTL;
//! then one reader is chosen to re-read it in the background while every reader is still
//! answered from it; past twice the TTL it is not answered from at all.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What a reader may do with a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// Answer from it.
    Fresh,
    /// Answer from it, and re-read it in the background: this reader was chosen to.
    Refresh,
    /// Read before answering.
    Stale,
}

/// Judges a copy read at `read_at`; `refreshing` is the copy's own flag, set here for the one
/// reader chosen to re-read it (the re-read clears it, or replaces the copy).
pub fn judge(read_at: Instant, ttl: Duration, refreshing: &AtomicBool) -> Freshness {
    let age = read_at.elapsed();
    if age < ttl {
        Freshness::Fresh
    } else if age >= ttl * 2 {
        Freshness::Stale
    } else if refreshing.swap(true, Ordering::AcqRel) {
        Freshness::Fresh
    } else {
        Freshness::Refresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_reader_is_chosen_to_refresh_and_none_past_twice_the_ttl() {
        let ttl = Duration::from_secs(10);
        let flag = AtomicBool::new(false);
        assert_eq!(judge(Instant::now(), ttl, &flag), Freshness::Fresh);
        let old = Instant::now() - Duration::from_secs(15);
        assert_eq!(judge(old, ttl, &flag), Freshness::Refresh);
        assert_eq!(
            judge(old, ttl, &flag),
            Freshness::Fresh,
            "only one refreshes"
        );
        let older = Instant::now() - Duration::from_secs(25);
        assert_eq!(judge(older, ttl, &AtomicBool::new(false)), Freshness::Stale);
    }
}
