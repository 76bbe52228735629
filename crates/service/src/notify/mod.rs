//! Notifications: what happened, to whom, through which channel.

pub mod backoff;
pub mod destination;
pub mod signature;
