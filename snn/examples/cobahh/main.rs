//! Brian2's COBAHH network (Brette et al. 2007, benchmark 3), the
//! Hodgkin-Huxley benchmark of Brian2CUDA: 4,000 Traub-Miles neurons (80 %
//! excitatory), connection probability 0.02, conductance-based exponential
//! synapses, dt = 0.1 ms, 1 s.
//!
//! `cargo run --release --example cobahh -- --help` for the options.
//! `--synapses-per-neuron K` sets `p = K / N`, the scaling of Brian2CUDA's
//! benchmarks (work linear in N); their 1000-synapses benchmark also sets
//! the weights to ~0 (`--weight-scale 0`), since the published weights
//! with 1000 inputs drive the network into a different regime.
//!
//! Prints the network size, a progress bar, a table per population (neurons,
//! expected incoming synapses, mean rate, mean CV of the inter-spike
//! intervals) and the same timing and memory report as the microcircuit
//! example. Writes `spikes_{E,I}_{times,ids}.npy` to `--out` unless
//! `--no-record`.

#[path = "../common/cli.rs"]
mod cli;
mod model;
#[path = "../common/report.rs"]
mod report;

use clap::Parser;
use model::{build, rate_and_cv, Integrator, IntegratorName, Options};
use report::{print_report, run_with_progress, thousands, Timings};
use snn::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(
    about = "Brian2's COBAHH network of Hodgkin-Huxley neurons (Brette et al. 2007)",
    allow_negative_numbers = true,
    after_help = "Output (in --out, unless --no-record): spikes_E_times.npy, \
        spikes_I_times.npy (float64, ms) and spikes_E_ids.npy, spikes_I_ids.npy \
        (uint32, neuron index within the population)."
)]
struct Args {
    /// Backend: auto (CUDA, else an OpenCL GPU, else the CPU), cpu, cuda, opencl.
    #[arg(long, default_value = "auto")]
    backend: Backend,
    /// Number of neurons (80 % excitatory, 20 % inhibitory); at least 3
    /// (fewer leave the inhibitory population empty).
    #[arg(long, default_value_t = 4000, value_parser = cli::count_at_least(3))]
    neurons: u32,
    /// Connection probability of every (pre, post) pair, from 0 to 1.
    #[arg(long, default_value_t = 0.02, conflicts_with = "synapses_per_neuron", value_parser = cli::probability)]
    p: f64,
    /// Mean number of synapses per neuron K instead of --p: p = K / N
    /// (finite, from 0 to --neurons).
    #[arg(long, value_name = "K", value_parser = cli::non_negative)]
    synapses_per_neuron: Option<f64>,
    /// Factor on both synaptic weights, finite and >= 0 (0: Brian2CUDA's
    /// "pseudocoupled" benchmark).
    #[arg(long, default_value_t = 1.0, value_parser = cli::non_negative)]
    weight_scale: f64,
    /// Biological time to simulate after the transient (ms, finite, > 0).
    #[arg(long, default_value_t = 1000.0, value_name = "MS", value_parser = cli::positive)]
    duration: f64,
    /// Initial transient, simulated but excluded from the statistics (ms,
    /// finite, >= 0).
    #[arg(long, default_value_t = 0.0, value_name = "MS", value_parser = cli::non_negative)]
    transient: f64,
    /// Integrator of the neurons: rk4 (RK4 on substeps of at most 20 us),
    /// exp-euler (exponential Euler, Brian2's) or euler (forward Euler,
    /// GeNN's).
    #[arg(long, value_enum, default_value = "rk4")]
    integrator: IntegratorName,
    /// Substeps per step of exp-euler (default 1, Brian2's) and euler
    /// (default 25, GeNN's); at least 1.
    #[arg(long, value_parser = cli::count)]
    substeps: Option<u32>,
    /// Simulate in double precision (default: single).
    #[arg(long)]
    f64: bool,
    /// Random seed.
    #[arg(long, default_value_t = 1234)]
    seed: u64,
    /// Do not record spikes (no statistics, no output files).
    #[arg(long)]
    no_record: bool,
    /// Output directory for the spikes (.npy).
    #[arg(long, default_value = "out/cobahh")]
    out: PathBuf,
}

fn main() {
    cli::exit_on_error(run(Args::parse()));
}

/// The connection probability: `--p`, or `--synapses-per-neuron` divided
/// by `--neurons`, which must not exceed 1.
fn connection_probability(args: &Args) -> Result<f64, String> {
    match args.synapses_per_neuron {
        Some(k) if k > args.neurons as f64 => Err(format!(
            "--synapses-per-neuron {k} is more than --neurons {}: a neuron has at most one \
             synapse from each neuron, so K can be at most the number of neurons",
            args.neurons
        )),
        Some(k) => Ok(k / args.neurons as f64),
        None => Ok(args.p),
    }
}

/// Builds and runs the network, prints the table and the report and writes
/// the spikes.
fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let p = connection_probability(&args)?;
    let integrator = Integrator::new(args.integrator, args.substeps)?;
    let options = Options {
        neurons: args.neurons,
        p,
        weight_scale: args.weight_scale,
        record: !args.no_record,
        precision: if args.f64 {
            Precision::F64
        } else {
            Precision::F32
        },
        seed: args.seed,
        integrator,
    };
    let t0 = Instant::now();
    let model = build(&options)?;
    let t_construct = t0.elapsed();
    let t1 = Instant::now();
    let mut sim = args.backend.build(&model.net)?;
    let t_backend = t1.elapsed();
    let synapses: u64 = model.incoming_synapses.iter().sum();
    println!(
        "COBAHH: {} Hodgkin-Huxley neurons, p = {p:.4} (~{} synapses, {:.0} per neuron), {:?}, {:?}",
        thousands(args.neurons as u64),
        thousands(synapses),
        p * args.neurons as f64,
        options.precision,
        integrator
    );
    println!("backend: {}", sim.backend_name());

    let dt = model.net.dt();
    let total = args.transient + args.duration;
    let steps = (total / dt).round() as u64;
    let t_sim = run_with_progress(sim.as_mut(), steps, dt, None)?;

    if options.record {
        println!(
            "\n{:<6} {:>8} {:>12} {:>10} {:>8}",
            "pop", "neurons", "synapses in", "rate (Hz)", "CV ISI"
        );
        for (k, pop) in [model.exc, model.inh].into_iter().enumerate() {
            let spikes = sim.spikes(pop)?;
            let desc = model.net.population(pop);
            let (rate, cv) = rate_and_cv(&spikes, desc.size, args.transient, total);
            println!(
                "{:<6} {:>8} {:>12} {:>10.3} {:>8.3}",
                desc.name, desc.size, model.incoming_synapses[k], rate, cv
            );
            snn::io::save_spikes_npy(&args.out, &desc.name, &spikes)?;
        }
        println!(
            "\nwrote {}: spikes_{{E,I}}_{{times,ids}}.npy",
            args.out.display()
        );
    }

    print_report(
        &sim.report(),
        &Timings {
            construct: t_construct,
            backend: t_backend,
            sim: t_sim,
            biological_ms: total,
            steps,
        },
    );
    Ok(())
}
