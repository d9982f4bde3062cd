//! Izhikevich (2007) Pavlovian conditioning with dopamine-modulated STDP
//! (the second benchmark of the PyGeNN paper), 1 h of biological time at
//! dt = 1 ms by default.
//!
//! `cargo run --release --example pavlovian -- --help` for the options.
//!
//! Prints a progress bar, then the experiment's result: the network's
//! response (spikes in the 50 ms after a presentation) to S1, the rewarded
//! stimulus, against its response to the other stimuli, in a probe before
//! training (S1-S11 presented 5 times each, no reward), in the first and
//! the last recorded window of training (spikes are recorded only during
//! the first and the last `--record-window` seconds of training, and the
//! probes), and in a probe after training; and the mean weight of the
//! synapses from S1 neurons against the rest. Then the timing report with
//! the speed in simulated seconds per wall-clock second. Writes
//! `responses.csv` (phase, stimulus, response) to `--out`.

#[path = "../common/cli.rs"]
mod cli;
mod model;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use model::{
    build, mean_responses, mean_weights, probe, responses, spike_steps, Params, Protocol, DT,
};
use snn::prelude::*;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(
    about = "Izhikevich (2007) Pavlovian conditioning with dopamine-modulated STDP",
    allow_negative_numbers = true
)]
struct Args {
    /// Backend: auto (CUDA, else an OpenCL GPU, else the CPU), cpu, cuda, opencl.
    #[arg(long, default_value = "auto")]
    backend: Backend,
    /// Biological time to simulate (s, finite, > 0).
    #[arg(long, default_value_t = 3600.0, value_name = "S", value_parser = cli::positive)]
    duration: f64,
    /// Spikes are recorded in the first and the last this many seconds of
    /// training (finite, > 0; at most half of --duration is used).
    #[arg(long, default_value_t = 50.0, value_name = "S", value_parser = cli::positive)]
    record_window: f64,
    /// Random seed (network, noise and protocol).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory.
    #[arg(long, default_value = "out/pavlovian")]
    out: PathBuf,
}

/// Steps after a presentation counted as its response.
const RESPONSE_WINDOW: u64 = 50;
/// Presentations of each probed stimulus before and after training.
const PROBE_REPEATS: u32 = 5;
/// Steps between probe presentations.
const PROBE_INTERVAL: u64 = 200;

fn main() {
    cli::exit_on_error(run(Args::parse()));
}

/// Runs the probes and the training, prints the responses and the timing
/// and writes `responses.csv`.
fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let params = Params::default();
    let steps = (args.duration * 1000.0 / DT).round() as u64;
    let window = ((args.record_window * 1000.0 / DT).round() as u64).min(steps / 2);

    let t0 = Instant::now();
    let exp = build(&params, args.seed, true)?;
    let t_construct = t0.elapsed();
    let t1 = Instant::now();
    let mut sim = args.backend.build(&exp.net)?;
    let t_build = t1.elapsed();
    println!(
        "Pavlovian conditioning: {} + {} Izhikevich neurons, {} s at dt = {DT} ms, seed {}",
        params.n_exc, params.n_inh, args.duration, args.seed
    );
    println!("backend: {}", sim.backend_name());

    let bar = ProgressBar::new(steps).with_style(
        ProgressStyle::with_template("{bar:40} {msg} biological, {elapsed} elapsed, ETA {eta}")
            .expect("valid template"),
    );
    let mut progress = |step: u64| {
        if step % 1000 == 0 || step == steps {
            bar.set_position(step);
            bar.set_message(format!("{:.0} s", step as f64 * DT / 1000.0));
        }
    };
    let t2 = Instant::now();
    // Probe: S1 and stimuli 1-10, PROBE_REPEATS times each, before training.
    let probe_stimuli: Vec<u32> = (0..=10).collect();
    let before = probe(
        &mut sim,
        &exp,
        &params,
        &probe_stimuli,
        PROBE_REPEATS,
        PROBE_INTERVAL,
    )?;
    let start = sim.step_count();
    let end = start + steps;
    // Training: the first window recorded, the middle not, the last window recorded.
    let mut protocol = Protocol::new(args.seed, &params, start);
    protocol.run(&mut sim, &exp, &params, start + window, &mut progress)?;
    for pop in [exp.exc, exp.inh] {
        sim.set_spike_recording(pop, false)?;
    }
    protocol.run(&mut sim, &exp, &params, end - window, &mut progress)?;
    for pop in [exp.exc, exp.inh] {
        sim.set_spike_recording(pop, true)?;
    }
    protocol.run(&mut sim, &exp, &params, end, &mut progress)?;
    let after = probe(
        &mut sim,
        &exp,
        &params,
        &probe_stimuli,
        PROBE_REPEATS,
        PROBE_INTERVAL,
    )?;
    let t_sim = t2.elapsed();
    bar.finish_and_clear();
    let records = [sim.spikes(exp.exc)?, sim.spikes(exp.inh)?];
    let spikes = spike_steps(&[&records[0], &records[1]]);
    let end_all = sim.step_count();

    let s1_count = protocol
        .presentations
        .iter()
        .filter(|p| p.stimulus == 0)
        .count();
    println!(
        "\ntraining: {} presentations ({} of S1), {} dopamine deliveries",
        protocol.presentations.len(),
        s1_count,
        protocol.rewards.len()
    );
    println!(
        "response = spikes of the network in the {RESPONSE_WINDOW} ms after a presentation (mean)"
    );
    println!("{:<48} {:>14} {:>14}", "", "S1 (rewarded)", "other stimuli");
    let fmt = |x: Option<f64>| x.map_or("none".to_string(), |v| format!("{v:.1}"));
    let w = window as f64 * DT / 1000.0;
    let rows: [(String, Vec<(u32, usize)>); 4] = [
        (
            format!("probe before training ({PROBE_REPEATS} each of S1-S11)"),
            responses(&before, &spikes, RESPONSE_WINDOW, 0, start),
        ),
        (
            format!("training, first {w} s"),
            responses(
                &protocol.presentations,
                &spikes,
                RESPONSE_WINDOW,
                start,
                start + window,
            ),
        ),
        (
            format!("training, last {w} s"),
            responses(
                &protocol.presentations,
                &spikes,
                RESPONSE_WINDOW,
                end - window,
                end,
            ),
        ),
        (
            format!("probe after training ({PROBE_REPEATS} each of S1-S11)"),
            responses(&after, &spikes, RESPONSE_WINDOW, end, end_all + 1),
        ),
    ];
    let mut csv = String::from("phase,stimulus,response\n");
    for (name, r) in &rows {
        let (s1, rest) = mean_responses(r);
        let n_s1 = r.iter().filter(|(k, _)| *k == 0).count();
        println!(
            "{:<48} {:>14} {:>14}",
            format!("{name}, {n_s1} x S1"),
            fmt(s1),
            fmt(rest)
        );
        for (k, n) in r {
            writeln!(csv, "{name},{k},{n}")?;
        }
    }
    let (w_s1, w_rest) = mean_weights(&sim, &exp)?;
    println!(
        "mean excitatory weight: from S1 neurons {w_s1:.3}, from the others {w_rest:.3} (initial {:.1}, max {:.1})",
        params.w_exc_init, params.stdp.w_max
    );
    std::fs::create_dir_all(&args.out).map_err(cli::at_path(&args.out))?;
    let csv_path = args.out.join("responses.csv");
    std::fs::write(&csv_path, csv).map_err(cli::at_path(&csv_path))?;
    println!("wrote {}", csv_path.display());

    let bio = end_all as f64 * DT / 1000.0;
    println!("\ntiming:");
    println!(
        "  network construction  {:>9.3} s",
        t_construct.as_secs_f64()
    );
    println!(
        "  backend build + init  {:>9.3} s   connectivity, variables, kernels",
        t_build.as_secs_f64()
    );
    println!(
        "  simulation            {:>9.3} s   {bio} s biological time (training and probes), {end_all} steps",
        t_sim.as_secs_f64()
    );
    println!(
        "  speed                 {:>9.1} x real time (simulated s per wall-clock s; real-time factor {:.4})",
        bio / t_sim.as_secs_f64(),
        t_sim.as_secs_f64() / bio
    );
    Ok(())
}
