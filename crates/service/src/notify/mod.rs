//! Notifications: what happened, to whom, through which channel.

pub mod backoff;
pub mod deliverer;
pub mod destination;
pub mod email;
pub mod signature;
pub mod webhook;

pub use deliverer::{Deliverer, DelivererSettings, DeliveryObserver, DeliveryRound};
