//! Pictures drawn on the server as SVG: a timeline of states in lanes (a badge's history, a
//! submission's dwell per side). Each picture has a
//! text alternative, and every page that shows one also lists its figures as text.

use maud::{Markup, html};

/// One stretch of a lane in one state.
pub struct Stretch {
    /// Seconds since the picture's start.
    pub from: f64,
    pub to: f64,
    /// The state's name, which picks its colour.
    pub state: String,
}

/// A lane: a label and its stretches.
pub struct Lane {
    pub label: String,
    pub stretches: Vec<Stretch>,
}

const WIDTH: f64 = 720.0;
const LABEL: f64 = 190.0;
const LANE: f64 = 28.0;

/// The colour of a state.
fn colour(state: &str) -> &'static str {
    match state {
        "APPROVED" | "partner-done" | "met" => "#36b37e",
        "REMOVED" | "breached" => "#de350b",
        "SUSPENDED" | "staff" => "#ff991f",
        "partner" => "#4c9aff",
        "RETIRED" => "#8993a4",
        _ => "#c1c7d0",
    }
}

/// A timeline of `lanes` over `span` seconds, labelled at its ends with `start` and `end`.
pub fn timeline(title: &str, lanes: &[Lane], span: f64, start: &str, end: &str) -> Markup {
    let height = LANE * lanes.len() as f64 + 40.0;
    let scale = (WIDTH - LABEL - 10.0) / span.max(1.0);
    html! {
        svg.chart role="img" aria-label=(title) viewBox={ "0 0 " (WIDTH) " " (height) }
            width=(WIDTH) height=(height) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for (i, lane) in lanes.iter().enumerate() {
                @let y = 6.0 + LANE * i as f64;
                text x="0" y=(y + 15.0) { (lane.label) }
                @for s in &lane.stretches {
                    rect x=(LABEL + s.from * scale) y=(y) height=(LANE - 8.0)
                        width=(((s.to - s.from) * scale).max(1.5)) fill=(colour(&s.state)) {
                        title { (lane.label) ": " (s.state) }
                    }
                }
            }
            @let axis = 6.0 + LANE * lanes.len() as f64 + 14.0;
            text x=(LABEL) y=(axis) { (start) }
            text x=(WIDTH - 10.0) y=(axis) text-anchor="end" { (end) }
        }
    }
}
