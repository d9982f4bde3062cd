//! Benchmark harness for the cortical microcircuit: runs the model at the
//! given scales on the given backends and prints one line per run.
//!
//! ```sh
//! cargo run --release --example microcircuit_bench -- \
//!     --backends cpu,opencl --scales 0.05,0.1 --duration 1000
//! ```
//!
//! Each run is a fresh child process (this program again, with a hidden
//! `--child` flag), so the peak host memory is that run's own. Columns:
//!
//! | column | meaning |
//! |---|---|
//! | `backend` | the backend asked for (`cpu`, `cuda`, `opencl`, `auto`) |
//! | `scale` | fraction of neurons and of in-degrees (`model::Options`) |
//! | `neurons`, `synapses` | size of the network |
//! | `build_s` | network construction on the host (`model::build`) |
//! | `init_s` | `Backend::build`: connectivity and variables, kernels, upload |
//! | `kernel_s` | of `init_s`, generating and compiling the simulation kernels, with the kernel cache's `hit`/`miss` (`-`: none, e.g. OpenCL; CPU: native code) |
//! | `sim_s` | simulating `--duration` ms |
//! | `rtf` | real-time factor, `sim_s` / biological time |
//! | `host_MB` | peak resident memory of the run's process |
//! | `dev_MB` | device memory the simulation holds (`-` on the CPU) |
//! | `rate_Hz` | mean rate of all neurons, a sanity check (`-` with `--no-record`) |
//! | `steps` | how a GPU enqueued the steps: `graph50` (CUDA graphs of 50 steps replayed), `launch` (every step's launches; `SNN_GRAPHS=0`, OpenCL, `--timing`), `-` on the CPU |
//! | `dev_init_s` | with `--timing`: device seconds of the init kernels (`-`: not measured, e.g. CPU) |
//! | `dev_syn_s` | with `--timing`: device seconds of presynaptic spikes and events |
//! | `dev_learn_s` | with `--timing`: device seconds of postsynaptic learning |
//! | `dev_dyn_s` | with `--timing`: device seconds of synapse dynamics |
//! | `dev_neuron_s` | with `--timing`: device seconds of the spike-count reset and neuron update |
//! | `device` | the device, as the backend names it |
//!
//! With `--timing` (`Network::set_timing`: every kernel timed on the device,
//! which costs a little per launch, in `sim_s` too) each run's row is
//! followed by one line per kernel,
//! `  kernel <name> phase=<phase> launches=<n> device_s=<seconds>`
//! (phases as `snn::timing::TimedPhase::name`).

#[path = "common/cli.rs"]
mod cli;
#[path = "microcircuit/model.rs"]
mod model;
#[path = "common/report.rs"]
mod report;

use clap::Parser;
use model::{build, rate_and_cv, Options, Params};
use report::peak_rss_kb;
use snn::prelude::*;
use snn::timing::TimedPhase;
use std::process::Command;
use std::time::Instant;

#[derive(Parser)]
#[command(
    about = "Runs the cortical microcircuit at given scales on given backends, one line per run",
    allow_negative_numbers = true,
    after_help = "Each run is a fresh process. Columns: backend and scale asked for; \
        neurons, synapses; build_s: network construction on the host (model::build); \
        init_s: Backend::build (connectivity, variables, kernels, upload); \
        kernel_s: of init_s, building the simulation kernels, with the kernel \
        cache's hit/miss ('-': no cache, e.g. OpenCL; '-' alone: CPU, native code); \
        sim_s: simulating --duration ms; rtf: sim_s / biological time; \
        host_MB: peak resident memory of the run; dev_MB: device memory held \
        ('-' on the CPU); rate_Hz: mean rate of all neurons (a sanity check); \
        steps: graph50 (CUDA graphs of 50 steps replayed) or launch (launched \
        step by step), '-' on the CPU; \
        with --timing, device seconds per phase: dev_init_s (init kernels), \
        dev_syn_s (presynaptic spikes and events), dev_learn_s (postsynaptic \
        learning), dev_dyn_s (synapse dynamics), dev_neuron_s (spike-count \
        reset and neuron update), '-' where not measured (CPU); \
        device: the backend's name for the device. With --timing each row is \
        followed by lines '  kernel <name> phase=<phase> launches=<n> device_s=<s>'."
)]
struct Args {
    /// Backends, comma separated: cpu, cuda, opencl, auto.
    #[arg(long, value_delimiter = ',', default_value = "cpu")]
    backends: Vec<Backend>,
    /// Scales (fraction of neurons and in-degrees), comma separated; each
    /// finite and > 0 (1 is the full model).
    #[arg(long, value_delimiter = ',', default_value = "0.05,0.1", value_parser = cli::positive)]
    scales: Vec<f64>,
    /// Biological time to simulate per run (ms, finite, > 0).
    #[arg(long, default_value_t = 1000.0, value_name = "MS", value_parser = cli::positive)]
    duration: f64,
    /// Repetitions of each configuration (at least 1).
    #[arg(long, default_value_t = 1, value_parser = cli::count)]
    repeat: u32,
    /// Do not record spikes.
    #[arg(long)]
    no_record: bool,
    /// Random seed.
    #[arg(long, default_value_t = 1234)]
    seed: u64,
    /// Time every kernel on the device (Network::set_timing): adds the
    /// dev_*_s columns and per-kernel lines.
    #[arg(long)]
    timing: bool,
    /// Internal: run one configuration in this process and print its result.
    #[arg(long, hide = true)]
    child: bool,
}

/// What a child reports, one `key=value` per field on a line starting with
/// this marker.
const MARKER: &str = "MICROCIRCUIT_BENCH_RESULT";

/// A child's line per timed kernel, `name`, `phase`, `launches` and
/// `device_s` as in [`MARKER`]'s line.
const KERNEL_MARKER: &str = "MICROCIRCUIT_BENCH_KERNEL";

/// The columns (name, width; 0: the last, as is) before the timing ones.
const COLUMNS: [(&str, usize); 13] = [
    ("backend", 7),
    ("scale", 6),
    ("neurons", 8),
    ("synapses", 11),
    ("build_s", 8),
    ("init_s", 8),
    ("kernel_s", 13),
    ("sim_s", 8),
    ("rtf", 8),
    ("host_MB", 8),
    ("dev_MB", 8),
    ("rate_Hz", 7),
    ("steps", 8),
];

/// The device-time columns of `--timing` and the phase of each.
const TIMING_COLUMNS: [(&str, TimedPhase); 5] = [
    ("dev_init_s", TimedPhase::Init),
    ("dev_syn_s", TimedPhase::Synapse),
    ("dev_learn_s", TimedPhase::Learning),
    ("dev_dyn_s", TimedPhase::SynapseDynamics),
    ("dev_neuron_s", TimedPhase::Neuron),
];

/// Every column of the table, with the timing ones when `timing`.
fn columns(timing: bool) -> Vec<(&'static str, usize)> {
    let mut cols = COLUMNS.to_vec();
    if timing {
        cols.extend(TIMING_COLUMNS.map(|(name, _)| (name, 12)));
    }
    cols.push(("device", 0));
    cols
}

fn main() {
    cli::exit_on_error(run(Args::parse()));
}

/// Runs every configuration in a child process and prints the table; in a
/// child (`--child`), runs the one configuration.
fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if args.child {
        let backend = *args.backends.first().ok_or("no backend")?;
        let scale = *args.scales.first().ok_or("no scale")?;
        return run_one(backend, scale, &args);
    }
    println!(
        "# microcircuit, {} ms per run, spikes {}recorded, seed {}",
        args.duration,
        if args.no_record { "not " } else { "" },
        args.seed
    );
    let cols = columns(args.timing);
    let names: Vec<String> = cols.iter().map(|(name, _)| name.to_string()).collect();
    println!("{}", row(&names, &cols));
    let exe = std::env::current_exe()?;
    for &backend in &args.backends {
        for &scale in &args.scales {
            for _ in 0..args.repeat {
                let mut cmd = Command::new(&exe);
                cmd.arg("--child")
                    .arg(format!("--backends={}", backend_name(backend)))
                    .arg(format!("--scales={scale}"))
                    .arg(format!("--duration={}", args.duration))
                    .arg(format!("--seed={}", args.seed));
                if args.no_record {
                    cmd.arg("--no-record");
                }
                if args.timing {
                    cmd.arg("--timing");
                }
                // The child's stderr (progress notes, errors) goes to ours.
                let out = cmd.stderr(std::process::Stdio::inherit()).output()?;
                let stdout = String::from_utf8_lossy(&out.stdout);
                let line = stdout.lines().find_map(|l| l.strip_prefix(MARKER));
                match line {
                    Some(fields) if out.status.success() => {
                        let get = |key: &str| {
                            fields
                                .split('\t')
                                .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
                                .unwrap_or("-")
                                .to_string()
                        };
                        let values: Vec<String> = cols.iter().map(|(name, _)| get(name)).collect();
                        println!("{}", row(&values, &cols));
                        print_kernel_lines(&stdout);
                    }
                    _ => println!(
                        "{:<7} {:>6}  failed ({})",
                        backend_name(backend),
                        scale,
                        out.status
                    ),
                }
            }
        }
    }
    Ok(())
}

/// The `--backends` name of `b`.
fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Auto => "auto",
        Backend::Cpu => "cpu",
        Backend::Cuda => "cuda",
        Backend::OpenCl => "opencl",
    }
}

/// A child's per-kernel lines (`KERNEL_MARKER`), printed as
/// `  kernel <name> phase=<phase> launches=<n> device_s=<s>`.
fn print_kernel_lines(stdout: &str) {
    for fields in stdout.lines().filter_map(|l| l.strip_prefix(KERNEL_MARKER)) {
        let get = |key: &str| {
            fields
                .split('\t')
                .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
                .unwrap_or("-")
        };
        println!(
            "  kernel {} phase={} launches={} device_s={}",
            get("name"),
            get("phase"),
            get("launches"),
            get("device_s")
        );
    }
}

/// The columns `cols`, aligned: text left, numbers right, the last one as is.
fn row(values: &[String], cols: &[(&str, usize)]) -> String {
    let mut out = String::new();
    for (i, (v, &(_, w))) in values.iter().zip(cols).enumerate() {
        if i > 0 {
            out.push_str("  ");
        }
        if i == 0 || w == 0 {
            out.push_str(&format!("{v:<w$}"));
        } else {
            out.push_str(&format!("{v:>w$}"));
        }
    }
    out.trim_end().to_string()
}

/// One run, in the child process: prints the marker line.
fn run_one(backend: Backend, scale: f64, args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let params = Params::published();
    let options = Options {
        n_scale: scale,
        k_scale: scale,
        record: !args.no_record,
        seed: args.seed,
        ..Options::default()
    };
    let t0 = Instant::now();
    let mut mc = build(&params, &options)?;
    mc.net.set_timing(args.timing);
    let t_build = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut sim = backend.build(&mc.net)?;
    let t_init = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    sim.run_for(args.duration)?;
    let t_sim = t2.elapsed().as_secs_f64();
    let neurons: u64 = mc.net.populations().iter().map(|p| p.size as u64).sum();
    let rate = if options.record {
        let mut spikes = 0.0;
        for &pop in &mc.populations {
            let record = sim.spikes(pop)?;
            let size = mc.net.population(pop).size;
            let (r, _) = rate_and_cv(&record, size, 0.0, args.duration);
            spikes += r * size as f64;
        }
        format!("{:.3}", spikes / neurons as f64)
    } else {
        "-".to_string()
    };
    let report = sim.report();
    let kernel = match (report.compile, report.kernel_cache_hit) {
        (Some(c), Some(true)) => format!("{:.3} hit", c.as_secs_f64()),
        (Some(c), Some(false)) => format!("{:.3} miss", c.as_secs_f64()),
        (Some(c), None) => format!("{:.3} -", c.as_secs_f64()),
        (None, _) => "-".to_string(),
    };
    let host_mb = peak_rss_kb()
        .map(|kb| format!("{:.1}", kb as f64 / 1e3))
        .unwrap_or_else(|| "-".into());
    let dev_mb = report
        .device_bytes
        .map(|b| format!("{:.1}", b as f64 / 1e6))
        .unwrap_or_else(|| "-".into());
    let mut fields = vec![
        ("backend", backend_name(backend).to_string()),
        ("scale", scale.to_string()),
        ("neurons", neurons.to_string()),
        ("synapses", mc.num_synapses.to_string()),
        ("build_s", format!("{t_build:.3}")),
        ("init_s", format!("{t_init:.3}")),
        ("kernel_s", kernel),
        ("sim_s", format!("{t_sim:.3}")),
        ("rtf", format!("{:.3}", t_sim / (args.duration / 1000.0))),
        ("host_MB", host_mb),
        ("dev_MB", dev_mb),
        ("rate_Hz", rate),
        ("steps", stepping(&report)),
        ("device", sim.backend_name()),
    ];
    for (name, phase) in TIMING_COLUMNS {
        let secs = report.device_times.as_ref().map(|t| t.phase(phase));
        fields.push((
            name,
            secs.map_or("-".into(), |d| format!("{:.6}", d.as_secs_f64())),
        ));
    }
    let line: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(['\t', '\n'], " ")))
        .collect();
    println!("{MARKER}{}", line.join("\t"));
    for k in report.device_times.iter().flat_map(|t| &t.kernels) {
        println!(
            "{KERNEL_MARKER}name={}\tphase={}\tlaunches={}\tdevice_s={:.6}",
            k.kernel.name,
            k.phase.name(),
            k.kernel.launches,
            k.kernel.device_time.as_secs_f64()
        );
    }
    Ok(())
}

/// The `steps` column: `graph<N>` where recorded graphs of `N` steps were
/// replayed, `launch` where every step was launched, `-` on the CPU.
fn stepping(report: &snn::sim::BackendReport) -> String {
    match &report.stepping {
        Some(s) => match s.graph_steps {
            Some(n) if s.replayed_steps > 0 => format!("graph{n}"),
            _ => "launch".into(),
        },
        None => "-".into(),
    }
}
