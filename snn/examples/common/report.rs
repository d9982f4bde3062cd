//! Run loop and timing/memory report shared by the examples (`#[path]`
//! include: `#[path = "../common/report.rs"] mod report;`).
//!
//! Not an example itself: cargo discovers `examples/*.rs` and
//! `examples/*/main.rs`, and this directory has no `main.rs`.

#![allow(dead_code)]

use indicatif::{ProgressBar, ProgressStyle};
use snn::checkpoint::{CheckpointError, Checkpointer};
use snn::prelude::*;
use snn::sim::BackendReport;
use std::time::{Duration, Instant};

/// Runs the simulation up to step `end` in chunks of 10 ms of biological
/// time, with a progress bar, saving a checkpoint whenever `checkpoints`
/// is due; returns the wall-clock time of the run.
pub fn run_with_progress(
    sim: &mut dyn Simulation,
    end: u64,
    dt: f64,
    mut checkpoints: Option<&mut Checkpointer>,
) -> std::result::Result<Duration, CheckpointError> {
    let bar = ProgressBar::new(end).with_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} steps ({msg}), {elapsed} elapsed, ETA {eta}",
        )
        .expect("valid template"),
    );
    let t0 = Instant::now();
    let chunk = (10.0 / dt).round().max(1.0) as u64; // report every 10 ms of biological time
    while sim.step_count() < end {
        let now = sim.step_count();
        let mut next = (now + chunk).min(end);
        if let Some(c) = &checkpoints {
            next = next.min(c.next_due_step(sim));
        }
        sim.run_steps(next - now)?;
        if let Some(c) = &mut checkpoints {
            if c.maybe_save(sim)? {
                let line = format!("checkpoint at {:.0} ms: {}", sim.time(), c.path().display());
                if bar.is_hidden() {
                    eprintln!("{line}");
                } else {
                    bar.println(line);
                }
            }
        }
        bar.set_message(format!("{:.0} ms", next as f64 * dt));
        bar.set_position(next);
    }
    let t_sim = t0.elapsed();
    bar.finish_and_clear();
    Ok(t_sim)
}

/// Wall-clock times of the phases of a run.
pub struct Timings {
    /// Building the network description.
    pub construct: Duration,
    /// Building the simulation on the backend (`Backend::build`).
    pub backend: Duration,
    /// The simulation loop.
    pub sim: Duration,
    /// Simulated biological time (ms).
    pub biological_ms: f64,
    /// Number of timesteps simulated.
    pub steps: u64,
}

/// Prints the timing and memory report: construction, initialisation,
/// kernel build, simulation, real-time factor, peak host memory and device
/// memory.
pub fn print_report(report: &BackendReport, t: &Timings) {
    let bio = t.biological_ms / 1000.0;
    let steps = t.steps;
    let secs = |d: Duration| format!("{:>9.3} s", d.as_secs_f64());
    let na = format!("{:>11}", "n/a");
    println!("\ntiming:");
    println!(
        "  network construction  {}   description only (connectivity: initialisation)",
        secs(t.construct)
    );
    match (report.init, report.compile, report.upload) {
        (Some(init), Some(compile), upload) => {
            println!(
                "  initialisation        {}   connectivity and variables on the device",
                secs(init)
            );
            let cache = match report.kernel_cache_hit {
                Some(true) => "hit",
                Some(false) => "miss",
                None => "n/a",
            };
            println!("  kernel build          {}   cache: {cache}", secs(compile));
            if let Some(upload) = upload {
                println!("  allocation + upload   {}", secs(upload));
            }
        }
        _ => {
            println!(
                "  initialisation        {}   connectivity and variables",
                secs(t.backend)
            );
            println!("  kernel build          {na}   native code");
        }
    }
    println!(
        "  simulation            {}   {bio} s biological time, {steps} steps",
        secs(t.sim)
    );
    println!(
        "  real-time factor      {:>9.3}     wall-clock / biological time",
        t.sim.as_secs_f64() / bio
    );
    if let Some(times) = &report.device_times {
        println!("  {times}");
    }
    println!("memory:");
    match peak_rss_kb() {
        Some(kb) => println!("  peak host             {:>9.3} GB", kb as f64 / 1e6),
        None => println!("  peak host             {na}"),
    }
    match report.device_bytes {
        Some(b) => println!("  device                {:>9.3} GB", b as f64 / 1e9),
        None => println!("  device                {na}   the CPU backend uses host memory"),
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Peak resident set size of this process (Linux), in kB.
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The concrete backend `Backend::Auto` stands for here
/// ([`Backend::resolve`]) and whether it is a GPU, so that examples can
/// choose a default size that finishes in about a minute.
pub fn resolve_backend(backend: Backend) -> Result<(Backend, bool)> {
    let backend = backend.resolve();
    Ok((backend, backend != Backend::Cpu))
}
