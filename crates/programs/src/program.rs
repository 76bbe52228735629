//! The trust programs an app can carry a badge of, keyed as the public read model spells them.

/// A trust program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Program {
    /// Applied automatically from each production deploy.
    RunsOnAtlassian,
    /// Granted through an approved submission.
    CloudFortified,
    /// Derived from an active, paid bug bounty.
    CloudSecurityParticipant,
    /// The bug bounty itself.
    BugBountyParticipant,
}

impl Program {
    /// Every program, in the order the read model lists them.
    pub const ALL: [Program; 4] = [
        Program::CloudFortified,
        Program::BugBountyParticipant,
        Program::CloudSecurityParticipant,
        Program::RunsOnAtlassian,
    ];

    /// The key used in the API, in search filters and in the database.
    pub fn key(self) -> &'static str {
        match self {
            Program::RunsOnAtlassian => "runsOnAtlassian",
            Program::CloudFortified => "cloudFortified",
            Program::CloudSecurityParticipant => "cloudSecurityParticipant",
            Program::BugBountyParticipant => "bugBountyParticipant",
        }
    }

    /// The badge's name as people read it.
    pub fn name(self) -> &'static str {
        match self {
            Program::RunsOnAtlassian => "Runs on Atlassian",
            Program::CloudFortified => "Cloud Fortified",
            Program::CloudSecurityParticipant => "Cloud Security Participant",
            Program::BugBountyParticipant => "Bug Bounty Participant",
        }
    }

    /// Reads a program key.
    pub fn from_key(key: &str) -> Option<Program> {
        Program::ALL.into_iter().find(|p| p.key() == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for p in Program::ALL {
            assert_eq!(Program::from_key(p.key()), Some(p));
        }
        assert_eq!(Program::from_key("runs-on-atlassian"), None);
    }
}
