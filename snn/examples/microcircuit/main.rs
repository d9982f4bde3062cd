//! The Potjans & Diesmann (2014) cortical microcircuit: 77,169 LIF neurons,
//! ~0.3e9 synapses at full scale, Poisson background input.
//!
//! `cargo run --release --example microcircuit -- --help` for the options.
//! Runs on the automatically chosen backend (CUDA, an OpenCL GPU, else the
//! CPU); without a GPU the default scale is reduced so the run finishes in
//! about a minute on a laptop.
//!
//! Prints the network size, a progress bar during the run, a table per
//! population (neurons, incoming synapses, mean rate, the published rate,
//! CV of the inter-spike intervals) and a timing and memory report. Writes to
//! `--out` (default `out/microcircuit`), unless `--no-record`:
//!
//! - `spikes_<pop>_times.npy` (`float64`, ms) and `spikes_<pop>_ids.npy`
//!   (`uint32`, neuron index within the population), one pair per
//!   population, in time order;
//! - `raster.png`: the spikes of a subsample of neurons over the last 200 ms,
//!   L2/3 at the top to L6 at the bottom, excitatory blue, inhibitory red;
//! - `rates.png`: the measured mean rate of each population next to the
//!   published one.

#[path = "../common/cli.rs"]
mod cli;
mod model;
#[path = "../common/report.rs"]
mod report;

use clap::Parser;
use model::{build, rate_and_cv, Options, Params};
use plotters::prelude::*;
use report::{print_report, run_with_progress, thousands, Timings};
use snn::checkpoint::{self, Checkpointer};
use snn::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser)]
#[command(
    about = "The Potjans & Diesmann (2014) cortical microcircuit",
    allow_negative_numbers = true,
    after_help = "Output (in --out, unless --no-record): per population \
        spikes_<pop>_times.npy (float64, ms) and spikes_<pop>_ids.npy (uint32, \
        neuron index within the population); raster.png (spikes of a subsample \
        over the last 200 ms); rates.png (measured vs published mean rates)."
)]
struct Args {
    /// Backend: auto (CUDA, else an OpenCL GPU, else the CPU), cpu, cuda, opencl.
    #[arg(long, default_value = "auto")]
    backend: Backend,
    /// Fraction of neurons (and in-degrees, unless --k-scale) kept: 1.0 is
    /// the full model; finite and > 0 (above 1 a larger model). Default:
    /// 1.0 on a GPU, 0.1 on the CPU.
    #[arg(long, value_parser = cli::positive)]
    scale: Option<f64>,
    /// Fraction of in-degrees kept (weights and DC input compensate);
    /// finite and > 0. Default: --scale, but at least 0.5 and at most 1
    /// (smaller in-degrees weaken the input fluctuations and lower the
    /// rates of L2/3: 0.46 Hz instead of 0.90 with 0.1).
    #[arg(long, value_parser = cli::positive)]
    k_scale: Option<f64>,
    /// Biological time to simulate after the transient (ms, finite, > 0).
    #[arg(long, default_value_t = 1000.0, value_name = "MS", value_parser = cli::positive)]
    duration: f64,
    /// Initial transient, simulated but excluded from the statistics (ms,
    /// finite, >= 0).
    #[arg(long, default_value_t = 500.0, value_name = "MS", value_parser = cli::non_negative)]
    transient: f64,
    /// Random seed.
    #[arg(long, default_value_t = 1234)]
    seed: u64,
    /// Do not record spikes (no statistics, no output files).
    #[arg(long)]
    no_record: bool,
    /// DC background input instead of Poisson input.
    #[arg(long)]
    dc_input: bool,
    /// Add the thalamic stimulus (902 neurons at 120 Hz for 10 ms at t = 700 ms).
    #[arg(long)]
    thalamus: bool,
    /// Output directory for spikes (.npy) and plots (.png).
    #[arg(long, default_value = "out/microcircuit")]
    out: PathBuf,
    /// Save a checkpoint every this many ms of biological time (finite and
    /// greater than 0), to <out>/checkpoint.snnckpt (atomically: the
    /// previous one survives a crash during a write).
    #[arg(long, value_name = "MS", value_parser = cli::positive)]
    checkpoint_every: Option<f64>,
    /// Continue from a checkpoint of the same run (same scale, seed and
    /// options; taken on any backend) instead of starting at 0 ms.
    #[arg(long)]
    resume: Option<PathBuf>,
}

/// Length of the window the raster plot shows (ms).
const RASTER_WINDOW: f64 = 200.0;
/// At most this many neurons (rows) in the raster plot, all populations together.
const RASTER_ROWS: f64 = 1500.0;

fn main() {
    cli::exit_on_error(run(Args::parse()));
}

/// Builds and runs the microcircuit, prints the tables and the report and
/// writes the output files.
fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let params = Params::published();
    // The default scale depends on the backend: probe with a one-neuron
    // network, and build the model on the backend the probe found.
    let (backend, scale) = match args.scale {
        Some(s) => (args.backend, s),
        None => {
            let (backend, on_gpu) = report::resolve_backend(args.backend)?;
            let s = if on_gpu { 1.0 } else { 0.1 };
            eprintln!(
                "scale {s} ({}; set --scale 1.0 for the full model)",
                if on_gpu {
                    "GPU found"
                } else {
                    "no GPU: reduced for the CPU"
                }
            );
            (backend, s)
        }
    };
    let options = Options {
        n_scale: scale,
        k_scale: args.k_scale.unwrap_or(model::default_k_scale(scale)),
        dc_input: args.dc_input,
        thalamus: args.thalamus,
        record: !args.no_record,
        seed: args.seed,
    };
    let t0 = Instant::now();
    let mc = build(&params, &options)?;
    let t_construct = t0.elapsed();
    let t1 = Instant::now();
    let mut sim = match &args.resume {
        // From a checkpoint: on the CPU without initialising first.
        Some(path) => checkpoint::resume(backend, &mc.net, path)?,
        None => backend.build(&mc.net)?,
    };
    let t_backend = t1.elapsed();
    let neurons: u64 = mc.net.populations().iter().map(|p| p.size as u64).sum();
    println!(
        "Potjans-Diesmann microcircuit, scale {} (in-degrees {}): {} neurons, {} synapses",
        options.n_scale,
        options.k_scale,
        thousands(neurons),
        thousands(mc.num_synapses)
    );
    println!("backend: {}", sim.backend_name());

    let dt = mc.net.dt();
    let total = args.transient + args.duration;
    let steps = (total / dt).round() as u64;
    if let Some(path) = &args.resume {
        println!("resumed from {} at {:.1} ms", path.display(), sim.time());
        if sim.step_count() > steps {
            return Err(format!(
                "the checkpoint is at {} ms, after the end of the run ({total} ms)",
                sim.time()
            )
            .into());
        }
    }
    let mut checkpoints = match args.checkpoint_every {
        Some(ms) => Some(Checkpointer::new(args.out.join("checkpoint.snnckpt"), ms)?),
        None => None,
    };
    let first_step = sim.step_count();
    let t_sim = run_with_progress(sim.as_mut(), steps, dt, checkpoints.as_mut())?;

    if options.record {
        let mut stats = Vec::new();
        println!(
            "\n{:<6} {:>8} {:>12} {:>10} {:>10} {:>8}",
            "pop", "neurons", "synapses in", "rate (Hz)", "expected", "CV ISI"
        );
        for (i, &pop) in mc.populations.iter().enumerate() {
            let spikes = sim.spikes(pop)?;
            let size = mc.net.population(pop).size;
            let (rate, cv) = rate_and_cv(&spikes, size, args.transient, total);
            println!(
                "{:<6} {:>8} {:>12} {:>10.3} {:>10.3} {:>8.3}",
                params.populations[i],
                size,
                mc.incoming_synapses[i],
                rate,
                params.expected.mean_rates[i],
                cv
            );
            stats.push(PopStats {
                name: params.populations[i].clone(),
                size,
                spikes,
                rate,
                expected: params.expected.mean_rates[i],
            });
        }
        let extra = write_outputs(&mut sim, &args.out, &stats)?;
        let written = format!(
            "spikes_<pop>_{{times,ids}}.npy for {} populations",
            stats.len() + extra
        );
        // Plots are a convenience: a missing font must not fail the run.
        let raster = args.out.join("raster.png");
        let rates = args.out.join("rates.png");
        let mut plots = Vec::new();
        match raster_plot(&raster, &stats, (total - RASTER_WINDOW).max(0.0), total) {
            Ok(()) => plots.push("raster.png"),
            Err(e) => eprintln!("could not draw {}: {e}", raster.display()),
        }
        match rate_plot(&rates, &stats) {
            Ok(()) => plots.push("rates.png"),
            Err(e) => eprintln!("could not draw {}: {e}", rates.display()),
        }
        println!(
            "\nwrote {}: {written}{}",
            args.out.display(),
            plots.iter().map(|p| format!(", {p}")).collect::<String>()
        );
    }

    print_report(
        &sim.report(),
        &Timings {
            construct: t_construct,
            backend: t_backend,
            sim: t_sim,
            biological_ms: (steps - first_step) as f64 * dt,
            steps: steps - first_step,
        },
    );
    Ok(())
}

/// One population's spikes and statistics, for the output files.
struct PopStats {
    name: String,
    size: u32,
    spikes: SpikeRecord,
    rate: f64,
    expected: f64,
}

/// Writes the `.npy` files of the eight populations and of any other
/// recorded population (the thalamus); returns the number of the latter.
fn write_outputs(
    sim: &mut Box<dyn Simulation>,
    out: &Path,
    stats: &[PopStats],
) -> Result<usize, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(out).map_err(cli::at_path(out))?;
    for s in stats {
        snn::io::save_spikes_npy(out, &s.name, &s.spikes)?;
    }
    let others: Vec<String> = sim
        .network()
        .populations()
        .iter()
        .filter(|p| p.record_spikes && !stats.iter().any(|s| s.name == p.name))
        .map(|p| p.name.clone())
        .collect();
    for name in &others {
        let spikes = sim.spikes(name)?;
        snn::io::save_spikes_npy(out, name, &spikes)?;
    }
    Ok(others.len())
}

const EXC: RGBColor = RGBColor(31, 119, 180);
const INH: RGBColor = RGBColor(214, 39, 40);
const GREY: RGBColor = RGBColor(150, 150, 150);

/// Whether population `i` (in the paper's order) is excitatory.
fn is_exc(i: usize) -> bool {
    i % 2 == 0
}

/// Raster of the spikes in `[t0, t1)` of the first `f * size` neurons of each
/// population (neuron indices are unrelated to connectivity, so this is a
/// uniform subsample), with `f` such that at most `RASTER_ROWS` rows show.
fn raster_plot(
    path: &Path,
    stats: &[PopStats],
    t0: f64,
    t1: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let total: f64 = stats.iter().map(|s| s.size as f64).sum();
    let f = (RASTER_ROWS / total).min(1.0);
    let shown: Vec<u32> = stats
        .iter()
        .map(|s| ((s.size as f64 * f).ceil() as u32).clamp(1, s.size))
        .collect();
    let rows: u32 = shown.iter().sum();
    let root = BitMapBackend::new(path, (1000, 900)).into_drawing_area();
    root.fill(&WHITE)?;
    let caption = format!(
        "Spikes of {:.1}% of the neurons, last {:.0} ms",
        100.0 * f,
        t1 - t0
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(t0..t1, 0f64..rows as f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_y_axis()
        .x_desc("time (ms)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style(("sans-serif", 14))
        .draw()?;
    // Rows from the top: L23E first. Row r is drawn at y = rows - r - 0.5.
    let mut top = 0u32;
    for (i, s) in stats.iter().enumerate() {
        let color = if is_exc(i) { EXC } else { INH };
        let base = top;
        let n = shown[i];
        let points = s
            .spikes
            .times
            .iter()
            .zip(&s.spikes.ids)
            .filter(|(&t, &id)| t >= t0 && t < t1 && id < n)
            .map(|(&t, &id)| (t, rows as f64 - (base + id) as f64 - 0.5));
        chart.draw_series(points.map(|p| Circle::new(p, 1, color.filled())))?;
        top += n;
        if i + 1 < stats.len() {
            let y = rows as f64 - top as f64;
            chart.draw_series(LineSeries::new([(t0, y), (t1, y)], GREY.mix(0.5)))?;
        }
        // Population name left of its block.
        let (_, y_px) = chart.backend_coord(&(t0, rows as f64 - (base as f64 + n as f64 / 2.0)));
        let (x_px, _) = chart.backend_coord(&(t0, 0.0));
        root.draw(&Text::new(
            s.name.clone(),
            (x_px - 50, y_px - 7),
            ("sans-serif", 15).into_font().color(&color),
        ))?;
    }
    root.present()?;
    Ok(())
}

/// Bars of the measured mean rate of each population next to the published one.
fn rate_plot(path: &Path, stats: &[PopStats]) -> Result<(), Box<dyn std::error::Error>> {
    let n = stats.len();
    let y_max = stats
        .iter()
        .map(|s| s.rate.max(s.expected))
        .fold(1.0f64, f64::max)
        * 1.15;
    let root = BitMapBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Mean firing rate per population", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..n as f64, 0f64..y_max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .disable_x_axis()
        .light_line_style(TRANSPARENT)
        .y_desc("rate (Hz)")
        .label_style(("sans-serif", 14))
        .draw()?;
    let measured = stats.iter().enumerate().map(|(i, s)| {
        let c = if is_exc(i) { EXC } else { INH };
        Rectangle::new(
            [(i as f64 + 0.12, 0.0), (i as f64 + 0.48, s.rate)],
            c.filled(),
        )
    });
    chart
        .draw_series(measured)?
        .label("measured")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], EXC.filled()));
    let expected = stats.iter().enumerate().map(|(i, s)| {
        let c = if is_exc(i) { EXC } else { INH };
        Rectangle::new(
            [(i as f64 + 0.52, 0.0), (i as f64 + 0.88, s.expected)],
            c.mix(0.35).filled(),
        )
    });
    chart
        .draw_series(expected)?
        .label("published")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], EXC.mix(0.35).filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(GREY)
        .draw()?;
    for (i, s) in stats.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        root.draw(&Text::new(
            s.name.clone(),
            (x - 16, y + 8),
            ("sans-serif", 15).into_font(),
        ))?;
    }
    root.present()?;
    Ok(())
}
