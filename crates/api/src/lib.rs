//! apptrust's HTTP API on the wire: one type per request body, query and answer, with the JSON
//! member names clients read (camelCase throughout).
//!
//! The server's routes take and return these types, `apptrust deploy` builds its request and
//! reads the answer with them, and the OpenAPI document at `/api/openapi.json` is generated from
//! them (feature `openapi`), so that the three cannot drift apart. The crate holds data only: no
//! validation (the server's routes do it, with the API's messages), no storage, no HTTP.
//!
//! Times are strings in UTC, RFC 3339 with milliseconds (`2025-01-31T09:30:00.000Z`), as the
//! store writes them. Values that the server only passes through, such as stored findings and
//! change reports, stay JSON values here, so that an answer is never reshaped on the way out;
//! their documented shape ([`versions::Finding`], [`versions::ChangeReport`]) is a type clients
//! may read them into.

pub mod apps;
pub mod audit;
pub mod closed_sets;
pub mod deploys;
pub mod editions;
pub mod environments;
pub mod error;
pub mod escalations;
pub mod installations;
pub mod notifications;
pub mod paging;
pub mod partners;
pub mod programs;
pub mod reviews;
pub mod service;
pub mod session;
pub mod signals;
pub mod submissions;
pub mod test_clock;
pub mod tokens;
pub mod trust;
pub mod users;
pub mod versions;
pub mod webhooks;
