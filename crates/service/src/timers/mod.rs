//! The timer runner: one per instance, firing the durable timers of
//! [`apptrust_store::timers`] as they come due, each exactly once.

mod runner;

pub use runner::{
    Handler, HandlerFuture, Handlers, LATE_AFTER, Observer, Round, Runner, RunnerSettings,
};

/// The timer kinds this version of the service knows, each with its handler. None yet: the
/// programs' timers (soak ends, clarification timeouts, review windows, delivery retries)
/// register here as they arrive. A timer of a kind not listed waits, with the reason recorded,
/// until a version that knows it runs.
pub fn handlers() -> Handlers {
    Handlers::new()
}
