//! Identifiers that arrive from outside (API payloads, URLs), parsed once into types that can only
//! hold valid values, so that nothing past the edge re-checks them.

use std::fmt;

/// Why an identifier was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a valid {what}: {rule}")]
pub struct NameError {
    pub what: &'static str,
    pub text: String,
    pub rule: &'static str,
}

fn parse_name(
    text: &str,
    what: &'static str,
    max: usize,
    allowed: fn(u8) -> bool,
    rule: &'static str,
) -> Result<String, NameError> {
    let ok = !text.is_empty()
        && text.len() <= max
        && text.bytes().all(allowed)
        && text.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(text.to_string())
    } else {
        Err(NameError {
            what,
            text: text.chars().take(80).collect(),
            rule,
        })
    }
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal, $allowed:expr, $rule:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses the identifier.
            pub fn parse(text: &str) -> Result<Self, NameError> {
                parse_name(text, $what, $max, $allowed, $rule).map($name)
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// A Marketplace app key such as `com.example.app`.
    AppKey,
    "app key",
    128,
    |b| b.is_ascii_alphanumeric() || b"._-".contains(&b),
    "use 1 to 128 letters, digits, `.`, `_` or `-`, starting with a letter or digit"
);

name_type!(
    /// A partner's key, e.g. `acme`.
    PartnerKey,
    "partner key",
    64,
    |b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-',
    "use 1 to 64 lowercase letters, digits or `-`, starting with a letter or digit"
);

name_type!(
    /// An environment name: `development`, `staging`, `production` or a custom one.
    EnvironmentName,
    "environment name",
    64,
    |b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-',
    "use 1 to 64 lowercase letters, digits or `-`, starting with a letter or digit"
);

/// A name for people to read (of a partner, an app, a user, a token): 1 to 200 characters, not
/// only spaces, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses a display name.
    pub fn parse(what: &'static str, text: &str) -> Result<Self, NameError> {
        let count = text.chars().count();
        if text.trim().is_empty() || count > 200 || text.chars().any(char::is_control) {
            return Err(NameError {
                what,
                text: text.chars().take(80).collect(),
                rule: "use 1 to 200 characters, not only spaces, and no control characters",
            });
        }
        Ok(DisplayName(text.to_string()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The environments every app starts with.
pub const STANDARD_ENVIRONMENTS: [&str; 3] = ["development", "staging", "production"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_accept_the_usual_shapes_and_refuse_the_rest() {
        assert!(AppKey::parse("com.example.app").is_ok());
        assert!(AppKey::parse("").is_err());
        assert!(AppKey::parse(".hidden").is_err());
        assert!(AppKey::parse("a/b").is_err());
        assert!(AppKey::parse(&"a".repeat(129)).is_err());
        assert!(PartnerKey::parse("acme-2").is_ok());
        assert!(PartnerKey::parse("Acme").is_err());
        assert!(EnvironmentName::parse("perf-eu").is_ok());
        assert!(EnvironmentName::parse("prod env").is_err());
        assert!(DisplayName::parse("name", "Acme Apps").is_ok());
        assert!(
            DisplayName::parse("name", &"é".repeat(200)).is_ok(),
            "characters, not bytes"
        );
        assert!(DisplayName::parse("name", &"é".repeat(201)).is_err());
        assert!(DisplayName::parse("name", "  ").is_err());
        assert!(DisplayName::parse("name", "a\u{0}b").is_err());
        let error = EnvironmentName::parse("prod env").unwrap_err();
        assert!(error.to_string().contains("environment name"));
    }
}

/// A Forge app's id as its manifest's `app.id` gives it: `ari:cloud:ecosystem::app/` and a UUID.
/// Kept in lowercase, so that one app is never two ids.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ForgeAppId(String);

/// What every Forge app id starts with.
pub const FORGE_APP_ID_PREFIX: &str = "ari:cloud:ecosystem::app/";

impl ForgeAppId {
    /// Reads an app id.
    pub fn parse(text: &str) -> Result<ForgeAppId, NameError> {
        let refuse = || NameError {
            what: "Forge app id",
            text: text.chars().take(80).collect(),
            rule: "it must be `ari:cloud:ecosystem::app/` followed by a UUID, as `app.id` in the manifest",
        };
        let uuid = text.strip_prefix(FORGE_APP_ID_PREFIX).ok_or_else(refuse)?;
        let groups: Vec<&str> = uuid.split('-').collect();
        let shaped = groups.len() == 5
            && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, len)| {
                group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit())
            });
        if shaped {
            Ok(ForgeAppId(text.to_ascii_lowercase()))
        } else {
            Err(refuse())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ForgeAppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod forge_app_id_tests {
    use super::ForgeAppId;

    #[test]
    fn forge_app_ids_are_aris_with_a_uuid_kept_in_lowercase() {
        let id = ForgeAppId::parse("ari:cloud:ecosystem::app/0A1B2C3D-0000-4000-8000-00000000000F")
            .unwrap();
        assert_eq!(
            id.as_str(),
            "ari:cloud:ecosystem::app/0a1b2c3d-0000-4000-8000-00000000000f"
        );
        for bad in [
            "",
            "0a1b2c3d-0000-4000-8000-00000000000f",
            "ari:cloud:ecosystem::app/",
            "ari:cloud:ecosystem::app/0a1b2c3d-0000-4000-8000-00000000000",
            "ari:cloud:ecosystem::app/0a1b2c3d-0000-4000-8000-00000000000g",
            "ari:cloud:ecosystem::app/0a1b2c3d-0000-4000-8000-00000000000f/x",
            "ari:cloud:ecosystem::extension/0a1b2c3d-0000-4000-8000-00000000000f",
        ] {
            assert!(ForgeAppId::parse(bad).is_err(), "{bad}");
        }
    }
}
