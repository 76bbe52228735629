//! Pictures drawn on the server as SVG: a timeline of states in lanes (a badge's history),
//! horizontal bars (a submission's dwell per side) and an SLO's daily history. Each picture has a
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
        "timers (soak)" => "#8777d9",
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

/// Seconds in words: `3 d 4 h`, `5 h 10 min`, `40 s`.
pub fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        s if s >= 86_400 => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// How long something waited on each side: one horizontal bar per side, with the time in words.
pub fn dwell(sides: &[(&str, i64)]) -> Markup {
    let longest = sides.iter().map(|(_, s)| *s).max().unwrap_or(0).max(1) as f64;
    let height = LANE * sides.len() as f64 + 6.0;
    let room = WIDTH - LABEL - 120.0;
    html! {
        svg.chart role="img" aria-label="Time waiting on each side" viewBox={ "0 0 " (WIDTH) " " (height) }
            width=(WIDTH) height=(height) xmlns="http://www.w3.org/2000/svg" {
            title { "Time waiting on each side" }
            @for (i, (side, seconds)) in sides.iter().enumerate() {
                @let y = 4.0 + LANE * i as f64;
                @let width = (*seconds as f64 / longest * room).max(1.5);
                text x="0" y=(y + 15.0) { (side) }
                rect x=(LABEL) y=(y) width=(width) height=(LANE - 8.0)
                    fill=(colour(&side.to_lowercase())) {}
                text x=(LABEL + width + 6.0) y=(y + 15.0) { (duration(*seconds)) }
            }
        }
    }
}

/// An SLO's daily history over its window: a bar per day (green when the day met the target),
/// the target as a dashed line; the reading in words beside it. Values are percentages.
pub fn slo_chart(slo: &apptrust_api::signals::Slo) -> Markup {
    let reading = &slo.reading;
    let values: Vec<Option<f64>> = slo.daily.iter().map(|d| d.value).collect();
    // The scale starts a little below the lowest day or the target, whichever is lower.
    let floor = values
        .iter()
        .flatten()
        .fold(reading.target, |low, v| low.min(*v))
        .min(reading.target - 1.0)
        .max(0.0)
        .floor();
    let title = format!(
        "{}: {} over {} days against a target of {}%",
        reading.metric,
        reading
            .value
            .map_or("no data".to_string(), |v| format!("{v:.3}%")),
        reading.window_days,
        reading.target
    );
    let height = 140.0;
    let plot = height - 30.0;
    let n = values.len().max(1) as f64;
    let step = (WIDTH - 60.0) / n;
    let range = (100.0 - floor).max(f64::EPSILON);
    let y_of = |v: f64| 10.0 + plot * (1.0 - ((v - floor) / range).clamp(0.0, 1.0));
    html! {
        h3 { (reading.metric) " "
            @match reading.met {
                Some(true) => { span.badge.ok { "met" } }
                Some(false) => { span.badge.bad { "missed" } }
                None => { span.badge.none { "not enough data" } }
            }
        }
        p.muted { (title) }
        svg.chart role="img" aria-label=(title) viewBox={ "0 0 " (WIDTH) " " (height) }
            width=(WIDTH) height=(height) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for (day, value) in slo.daily.iter().zip(&values).enumerate().map(|(i, (d, v))| ((i, d), v)) {
                @if let Some(v) = value {
                    @let y = y_of(*v);
                    rect x=(50.0 + day.0 as f64 * step + 1.0) y=(y) width=((step - 2.0).max(1.0))
                        height=((10.0 + plot - y).max(1.0))
                        fill=(if *v >= reading.target { "#36b37e" } else { "#de350b" }) {
                        title { (day.1.day) ": " (format!("{v:.3}%")) }
                    }
                }
            }
            line x1="50" x2=(WIDTH - 10.0) y1=(y_of(reading.target)) y2=(y_of(reading.target))
                stroke="#172b4d" stroke-dasharray="4 3" {}
            text x="0" y=(y_of(reading.target) + 4.0) { (reading.target) "%" }
            text x="0" y=(10.0 + plot) { (floor) "%" }
        }
    }
}
