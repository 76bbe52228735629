//! A progress line on standard error for long runs on a terminal.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Runs shorter than this finish before a bar would be useful.
const MIN_FILES: usize = 200;

struct Shared {
    done: AtomicUsize,
    stop: AtomicBool,
}

/// Counts finished files; a background thread redraws the bar every 100 ms.
pub struct Progress {
    shared: Arc<Shared>,
    drawer: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts the bar when standard error is a terminal and the run is long enough.
    pub fn start(total: usize, disabled: bool) -> Self {
        let shared = Arc::new(Shared {
            done: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let wanted = !disabled && total >= MIN_FILES && std::io::stderr().is_terminal();
        let drawer = wanted.then(|| {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                while !shared.stop.load(Ordering::Relaxed) {
                    draw(shared.done.load(Ordering::Relaxed), total);
                    std::thread::sleep(Duration::from_millis(100));
                }
                eprint!("\r\x1b[2K");
            })
        });
        Progress { shared, drawer }
    }

    /// One more file done.
    pub fn tick(&self) {
        self.shared.done.fetch_add(1, Ordering::Relaxed);
    }

    /// Stops and clears the bar.
    pub fn finish(mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(drawer) = self.drawer.take() {
            let _ = drawer.join();
        }
    }
}

fn draw(done: usize, total: usize) {
    const WIDTH: usize = 30;
    let filled = WIDTH * done / total.max(1);
    let bar: String = "=".repeat(filled) + &" ".repeat(WIDTH - filled);
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r[{bar}] {done}/{total} manifests");
    let _ = err.flush();
}
