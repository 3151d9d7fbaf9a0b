//! What `ims fleet run` shows while it runs and at the end: on a terminal one progress line
//! per active item plus a total (indicatif's multi-progress), otherwise one plain line per
//! item state change; then a table. With `--output json`: one JSON document per item as it
//! finishes, then the summary as the last line. Ctrl-C (SIGINT, SIGTERM) stops the run.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use ims_core::client::Control;
use ims_core::fleet::{FleetEvent, FleetObserver, FleetReport, ItemReport, ItemState, Manifest};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::args::Output;

/// How the run is shown.
enum Mode {
    /// Progress bars on stderr.
    Bars {
        multi: MultiProgress,
        total: ProgressBar,
        items: HashMap<String, ProgressBar>,
    },
    /// One line per state change on stdout.
    Lines,
    /// One JSON document per finished item on stdout.
    Json,
}

/// The observer of `ims fleet run`.
pub struct FleetView {
    mode: Mode,
    /// Manifest line of each key.
    lines: HashMap<String, usize>,
    /// When this process first saw each key move.
    first_seen: HashMap<String, Instant>,
    /// Items whose JSON document is printed.
    printed: HashSet<String>,
    /// Items whose reconcile was announced.
    reconciling: HashSet<String>,
    /// Items that sent a create in this process.
    created: HashSet<String>,
    stopping: bool,
}

impl FleetView {
    /// The view for `output` (bars when text goes to a terminal).
    pub fn new(manifest: &Manifest, output: Output) -> FleetView {
        let mode = match output {
            Output::Json => Mode::Json,
            Output::Text if std::io::stderr().is_terminal() => {
                let multi = MultiProgress::new();
                let total = multi.add(ProgressBar::new(manifest.len() as u64));
                total.set_style(
                    ProgressStyle::with_template(
                        "total [{bar:30}] {pos}/{len} finished {msg} ({elapsed})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                total.enable_steady_tick(Duration::from_millis(200));
                Mode::Bars {
                    multi,
                    total,
                    items: HashMap::new(),
                }
            }
            Output::Text => Mode::Lines,
        };
        FleetView {
            mode,
            lines: manifest
                .items()
                .iter()
                .map(|i| (i.key.clone(), i.line))
                .collect(),
            first_seen: HashMap::new(),
            printed: HashSet::new(),
            reconciling: HashSet::new(),
            created: HashSet::new(),
            stopping: false,
        }
    }

    /// Removes the progress bars (before the table is printed).
    pub fn clear(&mut self) {
        if let Mode::Bars {
            multi,
            total,
            items,
        } = &mut self.mode
        {
            for (_, bar) in items.drain() {
                bar.finish_and_clear();
                multi.remove(&bar);
            }
            total.finish_and_clear();
            let _ = multi.clear();
        }
    }

    /// The end of the run: the table, or the JSON documents not printed yet and the summary.
    pub fn print_report(&mut self, report: &FleetReport) {
        match self.mode {
            Mode::Json => {
                for item in &report.items {
                    if self.printed.insert(item.key.clone()) {
                        println!("{}", FleetReport::item_json(item));
                    }
                }
                println!("{}", report.summary_json());
            }
            Mode::Bars { .. } | Mode::Lines => {
                print_table(&report.items);
                let counts: Vec<String> = ItemState::ALL
                    .into_iter()
                    .filter_map(|s| {
                        let n = report.count(s);
                        (n > 0).then(|| format!("{n} {s}"))
                    })
                    .collect();
                let done = report.items.iter().filter(|i| i.already_done).count();
                println!(
                    "fleet {} run {}{}: {} ({}; {} already done before this run; {} deletion(s); {} journal writes)",
                    report.fleet,
                    report.run,
                    if report.dry_run { " (dry run)" } else { "" },
                    report.outcome.as_str(),
                    counts.join(", "),
                    done,
                    report.deletions.len(),
                    report.journal_writes
                );
                for d in &report.deletions {
                    println!(
                        "  {} {}: image {} (created {}){}",
                        d.state.as_str(),
                        d.key,
                        d.image_id,
                        d.created_at,
                        d.error
                            .as_deref()
                            .map(|e| format!(": {e}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
    }

    fn item_event(
        &mut self,
        key: &str,
        state: ItemState,
        job_id: Option<&str>,
        image_id: Option<&str>,
        error: Option<&ims_core::fleet::ItemError>,
    ) {
        let since = *self
            .first_seen
            .entry(key.to_owned())
            .or_insert_with(Instant::now);
        if state == ItemState::Sending {
            self.created.insert(key.to_owned());
        }
        match &mut self.mode {
            Mode::Json => {
                if state.is_final() && self.printed.insert(key.to_owned()) {
                    let action = if self.created.contains(key) {
                        "create"
                    } else if self.reconciling.contains(key) {
                        "reconcile"
                    } else {
                        "wait"
                    };
                    let item = ItemReport {
                        key: key.to_owned(),
                        line: self.lines.get(key).copied().unwrap_or(0),
                        state,
                        already_done: false,
                        action,
                        job_id: job_id.map(str::to_owned),
                        image_id: image_id.map(str::to_owned),
                        duration: Some(since.elapsed()),
                        error: error.cloned(),
                    };
                    println!("{}", FleetReport::item_json(&item));
                }
            }
            Mode::Lines => {
                let mut line = format!("{key}: {state}");
                if let Some(j) = job_id {
                    line.push_str(&format!(" job {j}"));
                }
                if let Some(i) = image_id {
                    line.push_str(&format!(" image {i}"));
                }
                if let Some(e) = error {
                    line.push_str(&format!(
                        " error {}: {}",
                        e.code.as_deref().unwrap_or("-"),
                        e.message
                    ));
                }
                println!("{line}");
            }
            Mode::Bars {
                multi,
                total,
                items,
            } => {
                if state.is_final() {
                    if let Some(bar) = items.remove(key) {
                        bar.finish_and_clear();
                        multi.remove(&bar);
                    }
                    total.inc(1);
                    if state != ItemState::Succeeded {
                        let _ = multi.println(format!(
                            "{key}: {state}{}",
                            error
                                .map(|e| format!(": {}", e.message))
                                .unwrap_or_default()
                        ));
                    }
                } else {
                    let bar = items.entry(key.to_owned()).or_insert_with(|| {
                        let bar = multi.insert_before(total, ProgressBar::new(100));
                        bar.set_style(
                            ProgressStyle::with_template("{prefix:20} [{bar:30}] {pos:>3}% {msg}")
                                .unwrap_or_else(|_| ProgressStyle::default_bar())
                                .progress_chars("=> "),
                        );
                        bar.set_prefix(key.to_owned());
                        bar
                    });
                    bar.set_message(format!(
                        "{state}{}",
                        job_id.map(|j| format!(" job {j}")).unwrap_or_default()
                    ));
                }
            }
        }
    }
}

impl FleetObserver for FleetView {
    fn on_event(&mut self, event: &FleetEvent) -> Control {
        match event {
            FleetEvent::Started {
                items,
                to_create,
                quota,
            } => {
                let quota = quota
                    .map(|q| format!("; image quota {} of {} used", q.used, q.quota))
                    .unwrap_or_default();
                let line = format!("{items} items, up to {to_create} to create{quota}");
                match &self.mode {
                    Mode::Lines => println!("{line}"),
                    Mode::Bars { total, .. } => total.set_message(line),
                    Mode::Json => {}
                }
            }
            FleetEvent::Item {
                key,
                state,
                job_id,
                image_id,
                error,
            } => self.item_event(
                key,
                *state,
                job_id.as_deref(),
                image_id.as_deref(),
                error.as_ref(),
            ),
            FleetEvent::Progress {
                key,
                status,
                percent,
            } => {
                if let Mode::Bars { items, .. } = &self.mode
                    && let Some(bar) = items.get(key)
                {
                    if let Some(p) = percent {
                        bar.set_position(p.clamp(0.0, 100.0) as u64);
                    }
                    bar.set_message(status.clone());
                }
            }
            FleetEvent::Reconciling { key, since_intent } => {
                let first = self.reconciling.insert(key.clone());
                match &self.mode {
                    Mode::Lines if first => println!(
                        "{key}: reconciling (looking for its image by tag, {}s after the create's intent)",
                        since_intent.as_secs()
                    ),
                    Mode::Bars { items, .. } => {
                        if let Some(bar) = items.get(key) {
                            bar.set_message(format!(
                                "reconciling ({}s since intent)",
                                since_intent.as_secs()
                            ));
                        }
                    }
                    _ => {}
                }
            }
            FleetEvent::Deletion {
                key,
                image_id,
                state,
                error,
            } => {
                let line = format!(
                    "{key}: retention {} image {image_id}{}",
                    state.as_str(),
                    error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                );
                match &self.mode {
                    Mode::Lines => println!("{line}"),
                    Mode::Bars { multi, .. } => {
                        let _ = multi.println(line);
                    }
                    Mode::Json => {}
                }
            }
            FleetEvent::Stopping => {
                if !self.stopping {
                    self.stopping = true;
                    let line = "stopping: no new create will be sent";
                    match &self.mode {
                        Mode::Bars { multi, .. } => {
                            let _ = multi.println(line);
                        }
                        _ => eprintln!("{line}"),
                    }
                }
            }
        }
        self.on_tick()
    }

    fn on_tick(&mut self) -> Control {
        if crate::interrupt::requested() {
            Control::Cancel
        } else {
            Control::Continue
        }
    }
}

/// The final table: key, state, job id, image id, duration, error.
pub fn print_table(items: &[ItemReport]) {
    let rows: Vec<[String; 6]> = items
        .iter()
        .map(|i| {
            [
                i.key.clone(),
                if i.already_done {
                    format!("{} (before)", i.state)
                } else {
                    i.state.to_string()
                },
                i.job_id.clone().unwrap_or_else(|| "-".to_owned()),
                i.image_id.clone().unwrap_or_else(|| "-".to_owned()),
                i.duration
                    .map(|d| format!("{:.1}s", d.as_secs_f64()))
                    .unwrap_or_else(|| "-".to_owned()),
                i.error
                    .as_ref()
                    .map(|e| match &e.code {
                        Some(c) => format!("{c}: {}", e.message),
                        None => e.message.clone(),
                    })
                    .unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    table(["KEY", "STATE", "JOB", "IMAGE", "DURATION", "ERROR"], &rows);
}

/// Prints `rows` under `header`, columns aligned (the last one as is).
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == N {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        println!("{}", s.trim_end());
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}
