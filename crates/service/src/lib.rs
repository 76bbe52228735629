//! apptrust's use cases, between the HTTP edge (`apptrust-server`) and storage
//! (`apptrust-store`): each operation the service performs takes a transaction, a [`Clock`] and its
//! input. Timers, the job runner and notification delivery live here too.

pub mod apps;
pub mod badges;
pub mod case_timers;
pub mod cases;
pub mod deploy;
pub mod dry_run;
pub mod duration;
pub mod editions;
pub mod escalations;
pub mod installations;
pub mod notify;
pub mod partners;
pub mod program_calendar;
pub mod reevaluation;
pub mod reviews;
pub mod search;
pub mod security;
pub mod signals;
pub mod submission_timers;
pub mod submissions;
pub mod timers;
pub mod trust;

/// The clock lives beside the store, which takes every time from it; use cases take it from there.
pub use apptrust_store::clock::{Clock, SystemClock, TestClock};
