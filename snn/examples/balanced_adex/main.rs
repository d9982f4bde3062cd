//! NEST GPU's balanced network of AdEx neurons: 80 % excitatory, 20 %
//! inhibitory conductance-based AdEx neurons, fixed in-degree 1,000,
//! normally distributed delays, 20 kHz Poisson drive (see `model.rs`).
//!
//! `cargo run --release --example balanced_adex -- --help` for the options;
//! `--neurons 1000000` is NEST GPU's headline size (1e9 synapses: a GPU with
//! ~16 GB or a host with ~20 GB). Default size: 100,000 neurons on a GPU,
//! 10,000 on the CPU.
//!
//! Prints the network size, a progress bar, the mean rate and CV of the
//! inter-spike intervals of each population, and the timing and memory
//! report of the microcircuit example (construction, initialisation, kernel
//! build, simulation, real-time factor, peak memory). Writes
//! `spikes_{E,I}_{times,ids}.npy` to `--out` unless `--no-record`.

#[path = "../common/cli.rs"]
mod cli;
mod model;
#[path = "../common/report.rs"]
mod report;
#[path = "../common/stats.rs"]
mod stats;

use clap::Parser;
use model::{build, Options, DT};
use report::{print_report, run_with_progress, thousands, Timings};
use snn::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(
    about = "NEST GPU's balanced network of AdEx neurons",
    allow_negative_numbers = true
)]
struct Args {
    /// Backend: auto (CUDA, else an OpenCL GPU, else the CPU), cpu, cuda, opencl.
    #[arg(long, default_value = "auto")]
    backend: Backend,
    /// Number of neurons (80 % excitatory), at least 8 (with fewer, the
    /// inhibitory population has fewer than the 2 neurons it needs to
    /// connect to itself without autapses). Default: 100,000 on a GPU,
    /// 10,000 on the CPU.
    #[arg(long, value_parser = cli::count_at_least(8))]
    neurons: Option<u32>,
    /// Synapses per neuron from the network (80 % excitatory), at least 3
    /// (fewer leave no inhibitory synapses).
    #[arg(long, default_value_t = 1000, value_parser = cli::count_at_least(3))]
    in_degree: u32,
    /// Biological time to simulate after the transient (ms, finite, > 0).
    #[arg(long, default_value_t = 1000.0, value_name = "MS", value_parser = cli::positive)]
    duration: f64,
    /// Initial transient, simulated but excluded from the statistics (ms,
    /// finite, >= 0).
    #[arg(long, default_value_t = 200.0, value_name = "MS", value_parser = cli::non_negative)]
    transient: f64,
    /// Integration of the neurons: rk45 (adaptive Dormand-Prince, as NEST
    /// GPU's adaptive RK5), rk4 or euler (exponential Euler) with --substeps.
    #[arg(long, value_enum, default_value = "rk45")]
    solver: Solver,
    /// Substeps per step of rk4 and euler (at least 1).
    #[arg(long, default_value_t = 1, value_parser = cli::count)]
    substeps: u32,
    /// Random seed.
    #[arg(long, default_value_t = 1234)]
    seed: u64,
    /// Do not record spikes (no statistics, no output files).
    #[arg(long)]
    no_record: bool,
    /// Output directory for the spikes (.npy).
    #[arg(long, default_value = "out/balanced_adex")]
    out: PathBuf,
}

/// The `--solver` values.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Solver {
    Rk45,
    Rk4,
    Euler,
}

fn main() {
    cli::exit_on_error(run(Args::parse()));
}

/// Builds and runs the network, prints the statistics and the report and
/// writes the spikes.
fn run(args: Args) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let solver = match args.solver {
        Solver::Rk45 => AdExSolver::DEFAULT,
        Solver::Rk4 => AdExSolver::Rk4 {
            substeps: args.substeps,
        },
        Solver::Euler => AdExSolver::ExponentialEuler {
            substeps: args.substeps,
        },
    };
    let (backend, on_gpu) = report::resolve_backend(args.backend)?;
    let neurons = args
        .neurons
        .unwrap_or(if on_gpu { 100_000 } else { 10_000 });
    let options = Options {
        neurons,
        in_degree: args.in_degree,
        seed: args.seed,
        record: !args.no_record,
        solver,
    };
    let t0 = Instant::now();
    let b = build(&options)?;
    let construct = t0.elapsed();
    let t1 = Instant::now();
    let mut sim = backend.build(&b.net)?;
    let backend_time = t1.elapsed();
    println!(
        "balanced AdEx network: {} neurons, {} synapses (+ Poisson input)",
        thousands(neurons as u64),
        thousands(b.num_synapses)
    );
    println!("backend: {}", sim.backend_name());

    let total = args.transient + args.duration;
    let steps = (total / DT).round() as u64;
    let sim_time = run_with_progress(sim.as_mut(), steps, DT, None)?;

    if options.record {
        println!(
            "\n{:<4} {:>9} {:>10} {:>8}",
            "pop", "neurons", "rate (Hz)", "CV ISI"
        );
        for pop in [b.exc, b.inh] {
            let name = b.net.population(pop).name.clone();
            let size = b.net.population(pop).size;
            let spikes = sim.spikes(pop)?;
            let (rate, cv) = stats::rate_and_cv(&spikes, size, args.transient, total);
            println!("{name:<4} {size:>9} {rate:>10.3} {cv:>8.3}");
            snn::io::save_spikes_npy(&args.out, &name, &spikes)?;
        }
        println!(
            "\nwrote {}: spikes_{{E,I}}_{{times,ids}}.npy",
            args.out.display()
        );
    }
    print_report(
        &sim.report(),
        &Timings {
            construct,
            backend: backend_time,
            sim: sim_time,
            biological_ms: total,
            steps,
        },
    );
    Ok(())
}
