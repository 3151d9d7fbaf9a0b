//! Progress while waiting: an indicatif bar on a terminal, plain lines otherwise.

use std::io::IsTerminal;
use std::time::Duration;

use ims_core::Error;
use ims_core::client::{Control, Progress, WaitObserver};
use indicatif::{ProgressBar, ProgressStyle};

/// Shows a job's progress on stderr.
pub struct JobProgress {
    bar: Option<ProgressBar>,
    label: String,
    last_line: String,
}

impl JobProgress {
    /// A bar when stderr is a terminal, else plain lines; `label` names the job.
    pub fn new(label: impl Into<String>) -> Self {
        let label = label.into();
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(100);
            let style =
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos:>3}% {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(label.clone());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        JobProgress {
            bar,
            label,
            last_line: String::new(),
        }
    }

    /// Ends the bar (or line output) with a final message.
    pub fn finish(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.finish_with_message(message.to_owned()),
            None => eprintln!("{}: {message}", self.label),
        }
    }
}

impl WaitObserver for JobProgress {
    fn on_progress(&mut self, p: &Progress<'_>) -> Control {
        if crate::interrupt::requested() {
            return Control::Cancel;
        }
        let percent = p
            .percent
            .unwrap_or(if p.status.is_terminal() { 100.0 } else { 0.0 });
        match &self.bar {
            Some(bar) => {
                bar.set_position(percent.clamp(0.0, 100.0) as u64);
                bar.set_message(p.status.to_string());
            }
            None => {
                let line = format!("{}: {} {:.0}%", self.label, p.status, percent);
                if line != self.last_line {
                    eprintln!("{line} ({}s)", p.elapsed.as_secs());
                    self.last_line = line;
                }
            }
        }
        Control::Continue
    }

    fn on_retry(&mut self, error: &Error, _elapsed: Duration) -> Control {
        let note = format!("retrying after: {error}");
        match &self.bar {
            Some(bar) => bar.set_message(note),
            None => eprintln!("{}: {note}", self.label),
        }
        self.on_tick(Duration::ZERO)
    }

    fn on_tick(&mut self, _elapsed: Duration) -> Control {
        if crate::interrupt::requested() {
            Control::Cancel
        } else {
            Control::Continue
        }
    }
}
