//! The apptrust service: the JSON API under `/api/v1`, browser sessions, health and metrics
//! endpoints, and the background re-evaluation job. `startup::run` wires them together; routes are
//! grouped by resource under `routes/`.

mod admission;
mod auth;
mod connection;
pub mod demo;
mod directory_cache;
mod egress_cache;
mod error;
mod extract;
mod freshness;
mod headers;
pub mod logging;
mod metrics;
pub mod openapi;
mod routes;
pub mod settings;
pub mod startup;
mod state;
mod trust_cache;
mod views;
mod web;

pub use settings::Settings;
