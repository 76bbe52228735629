//! Every place where the public material is silent and we had to decide, as named switches.
//!
//! The spec marks these **(decision)**. Each field says what the default does and why; change a
//! default here and every rule, test and document that depends on it follows.

use serde::Serialize;

/// The engine's interpretive choices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decisions {
    /// `HAS_CONNECT_MODULES` fires for `app.connect.key` alone. Default `false`: a Connect key with
    /// no Connect modules only keeps the app's identity during migration; it moves no data.
    pub connect_key_alone_fires: bool,
    /// `auth.appSystemToken.enabled: true` or `auth.appUserToken.enabled: true` on a remote, a
    /// legacy remote module or a remote endpoint fires `HAS_EXPOSED_CREDENTIALS`. Default `true`:
    /// the token is handed to a server outside Atlassian. Atlassian has not published the meaning.
    pub remote_tokens_expose_credentials: bool,
    /// A `modules.sql` entry without `dareCompliant` is compliant. Default `true`: Forge SQL is
    /// generally available with data residency.
    pub sql_omitted_dare_compliant_means_compliant: bool,
    /// The analytics exemption (`category: analytics`, `inScopeEUD: false`) applies to every
    /// egress list, not only `fetch`. Default `true`.
    pub analytics_exemption_in_all_lists: bool,
    /// A remote with no `storage.inScopeEUD` is assumed to store in-scope End-User Data when it
    /// may store at all. Default `true`: the safe reading for the residency report.
    pub remote_storage_omitted_means_in_scope: bool,
}

impl Default for Decisions {
    fn default() -> Self {
        Decisions {
            connect_key_alone_fires: false,
            remote_tokens_expose_credentials: true,
            sql_omitted_dare_compliant_means_compliant: true,
            analytics_exemption_in_all_lists: true,
            remote_storage_omitted_means_in_scope: true,
        }
    }
}

/// How an analytics host is matched against the approved list (spec section 5). Kept here as
/// documentation of the decision; the code is in `analytics_policy`:
/// the host is taken without scheme, port and path and lower-cased; an exact list entry matches
/// only itself; `*.base` matches any host ending in `.base` (not `base` itself), and a declared
/// wildcard `*.x.base` or `*.base` sits inside `*.base`.
pub const ANALYTICS_MATCHING: &str = "host without scheme, port and path, lower-cased; exact \
    entries match only themselves; *.base matches hosts ending in .base and declared wildcards \
    *.base or *.x.base";
