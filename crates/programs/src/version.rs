//! `major.minor.patch` app versions, numbered per environment.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// An app version. Majors need admin consent on installed sites; the rules engine's change
/// classification decides when a deploy starts one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AppVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// Why a version string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a version: expected MAJOR.MINOR.PATCH, each a number up to 999999999, such as 4.2.0"
)]
pub struct VersionError(pub String);

impl AppVersion {
    /// The first version of an app in an environment.
    pub const FIRST: AppVersion = AppVersion {
        major: 1,
        minor: 0,
        patch: 0,
    };

    /// The largest number a version part may hold. Bounded so that numbering never wraps or
    /// saturates: a saturated version would compare as older than its predecessor, and the badge
    /// ignores older versions.
    pub const MAX_PART: u32 = 999_999_999;

    /// The version a new deploy gets after `previous`: a new major when the change needs admin
    /// consent, otherwise the next minor. `None` when the numbers are used up.
    pub fn next(previous: Option<AppVersion>, needs_consent: bool) -> Option<AppVersion> {
        let bump = |n: u32| n.checked_add(1).filter(|n| *n <= AppVersion::MAX_PART);
        match previous {
            None => Some(AppVersion::FIRST),
            Some(v) if needs_consent => Some(AppVersion {
                major: bump(v.major)?,
                minor: 0,
                patch: 0,
            }),
            Some(v) => Some(AppVersion {
                major: v.major,
                minor: bump(v.minor)?,
                patch: 0,
            }),
        }
    }
}

/// Why a requested version cannot be used for a deploy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VersionChoiceError {
    /// Versions only move forward within an environment.
    #[error(
        "version {requested} is not newer than {latest}, the latest version in this environment"
    )]
    NotNewer {
        requested: AppVersion,
        latest: AppVersion,
    },
    /// The change needs admin consent, so it must start a new major.
    #[error(
        "this change needs admin consent on installed sites, so it must start a new major version \
         (for example {suggested}), not {requested}"
    )]
    MajorRequired {
        requested: AppVersion,
        suggested: AppVersion,
    },
    /// The numbers after the latest version are used up.
    #[error("no version can follow {latest}: its numbers are at their maximum ({max})", max = AppVersion::MAX_PART)]
    Exhausted { latest: AppVersion },
}

impl AppVersion {
    /// The version a deploy gets: the requested one when it is newer than `previous` and starts a
    /// new major whenever the change needs consent; otherwise the next one after `previous`.
    pub fn choose(
        previous: Option<AppVersion>,
        needs_consent: bool,
        requested: Option<AppVersion>,
    ) -> Result<AppVersion, VersionChoiceError> {
        let suggested = AppVersion::next(previous, needs_consent);
        let (Some(requested), Some(latest)) = (requested, previous) else {
            return match (requested, suggested, previous) {
                (Some(requested), _, _) => Ok(requested),
                (None, Some(suggested), _) => Ok(suggested),
                (None, None, latest) => Err(VersionChoiceError::Exhausted {
                    latest: latest.unwrap_or(AppVersion::FIRST),
                }),
            };
        };
        if requested <= latest {
            return Err(VersionChoiceError::NotNewer { requested, latest });
        }
        if needs_consent && requested.major == latest.major {
            return Err(match suggested {
                Some(suggested) => VersionChoiceError::MajorRequired {
                    requested,
                    suggested,
                },
                None => VersionChoiceError::Exhausted { latest },
            });
        }
        Ok(requested)
    }
}

impl FromStr for AppVersion {
    type Err = VersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = || VersionError(text.to_string());
        let mut parts = text.split('.');
        let mut number = || -> Result<u32, VersionError> {
            let part = parts.next().ok_or_else(refuse)?;
            if part.is_empty()
                || !part.bytes().all(|b| b.is_ascii_digit())
                || (part.len() > 1 && part.starts_with('0'))
            {
                return Err(refuse());
            }
            part.parse()
                .ok()
                .filter(|n| *n <= AppVersion::MAX_PART)
                .ok_or_else(refuse)
        };
        let version = AppVersion {
            major: number()?,
            minor: number()?,
            patch: number()?,
        };
        if parts.next().is_some() {
            return Err(refuse());
        }
        Ok(version)
    }
}

impl fmt::Display for AppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl Serialize for AppVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let v: AppVersion = "4.2.0".parse().unwrap();
        assert_eq!(
            v,
            AppVersion {
                major: 4,
                minor: 2,
                patch: 0
            }
        );
        assert_eq!(v.to_string(), "4.2.0");
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "1.x.3",
            "01.2.3",
            "-1.2.3",
            "1..3",
            "99999999999.0.0",
        ] {
            assert!(bad.parse::<AppVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn numbering_follows_consent() {
        assert_eq!(AppVersion::next(None, true), Some(AppVersion::FIRST));
        let v = AppVersion {
            major: 4,
            minor: 2,
            patch: 1,
        };
        assert_eq!(
            AppVersion::next(Some(v), false)
                .map(|n| n.to_string())
                .as_deref(),
            Some("4.3.0")
        );
        assert_eq!(
            AppVersion::next(Some(v), true)
                .map(|n| n.to_string())
                .as_deref(),
            Some("5.0.0")
        );
    }

    #[test]
    fn a_requested_version_must_move_forward_and_respect_consent() {
        let v = |t: &str| t.parse::<AppVersion>().unwrap();
        assert_eq!(
            AppVersion::choose(None, true, Some(v("4.2.0"))),
            Ok(v("4.2.0"))
        );
        assert_eq!(
            AppVersion::choose(Some(v("4.2.0")), false, None),
            Ok(v("4.3.0"))
        );
        assert_eq!(
            AppVersion::choose(Some(v("4.2.0")), true, None),
            Ok(v("5.0.0"))
        );
        assert_eq!(
            AppVersion::choose(Some(v("4.2.0")), false, Some(v("4.2.1"))),
            Ok(v("4.2.1"))
        );
        assert!(matches!(
            AppVersion::choose(Some(v("4.2.0")), false, Some(v("4.2.0"))),
            Err(VersionChoiceError::NotNewer { .. })
        ));
        assert!(matches!(
            AppVersion::choose(Some(v("4.2.0")), true, Some(v("4.3.0"))),
            Err(VersionChoiceError::MajorRequired { .. })
        ));
        assert_eq!(
            AppVersion::choose(Some(v("4.2.0")), true, Some(v("6.0.0"))),
            Ok(v("6.0.0"))
        );
        assert!("1000000000.0.0".parse::<AppVersion>().is_err());
        let top = v("999999999.999999999.999999999");
        assert!(matches!(
            AppVersion::choose(Some(top), false, None),
            Err(VersionChoiceError::Exhausted { .. })
        ));
        assert!(matches!(
            AppVersion::choose(Some(top), true, None),
            Err(VersionChoiceError::Exhausted { .. })
        ));
    }
}
