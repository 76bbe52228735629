//! apptrust's use cases, between the HTTP edge (`apptrust-server`) and storage
//! (`apptrust-store`): each operation the service performs takes a transaction, a [`Clock`] and its
//! input. Timers, the job runner and notification delivery live here too.

pub mod clock;
pub mod duration;
pub mod notify;

pub use clock::{Clock, SystemClock, TestClock};
