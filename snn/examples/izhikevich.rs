//! The first example of the PyGeNN paper: four Izhikevich neurons with
//! heterogeneous parameters (regular spiking, fast spiking, chattering,
//! intrinsically bursting) driven by a 10 nA DC current for 200 ms at
//! dt = 0.1 ms. Prints spike times and writes the membrane traces as CSV
//! and as a PNG plot.
//!
//! `cargo run --release --example izhikevich -- --out out/izhikevich`

#[path = "common/cli.rs"]
mod cli;

use clap::Parser;
use plotters::prelude::*;
use snn::prelude::*;
use std::path::PathBuf;

#[derive(Parser)]
struct Args {
    /// Output directory for izhikevich.csv and izhikevich.png.
    #[arg(long, default_value = "out/izhikevich")]
    out: PathBuf,
    /// Backend: auto (CUDA, else an OpenCL GPU, else the CPU), cpu, cuda or opencl.
    #[arg(long, default_value = "auto")]
    backend: Backend,
}

const NAMES: [&str; 4] = [
    "regular spiking",
    "fast spiking",
    "chattering",
    "intrinsically bursting",
];

fn main() {
    cli::exit_on_error(run(Args::parse()));
}

/// Simulates the four neurons, prints their spikes and writes the traces.
fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut net = Network::new(0.1)?;
    let pop = net
        .add_population("Neurons", 4, IzhikevichVariable)
        .init("v", -65.0)
        .init("u", -20.0)
        .init("a", vec![0.02, 0.1, 0.02, 0.02])
        .init("b", vec![0.2, 0.2, 0.2, 0.2])
        .init("c", vec![-65.0, -65.0, -50.0, -55.0])
        .init("d", vec![8.0, 2.0, 2.0, 4.0])
        .record_spikes(true)
        .build()?;
    net.add_current_source("CurrentSource", pop, DC { amp: 10.0 })
        .build()?;
    let rec = net.record_var(pop, "v", Neurons::All, 1)?;

    let mut sim = args.backend.build(&net)?;
    sim.run_for(200.0)?;
    let spikes = sim.spikes(pop)?;
    let v = sim.recorded_var(rec)?;

    for (i, name) in NAMES.iter().enumerate() {
        let times: Vec<String> = spikes
            .times
            .iter()
            .zip(&spikes.ids)
            .filter(|(_, &id)| id == i as u32)
            .map(|(t, _)| format!("{t:.1}"))
            .collect();
        println!(
            "neuron {i} ({name}): {} spikes at [{}] ms",
            times.len(),
            times.join(", ")
        );
    }

    std::fs::create_dir_all(&args.out).map_err(cli::at_path(&args.out))?;
    let mut csv = String::from("t_ms,v0,v1,v2,v3\n");
    for (s, t) in v.times.iter().enumerate() {
        let row: Vec<String> = v.values[s * 4..s * 4 + 4]
            .iter()
            .map(|x| format!("{x:.4}"))
            .collect();
        csv.push_str(&format!("{t:.1},{}\n", row.join(",")));
    }
    let csv_path = args.out.join("izhikevich.csv");
    std::fs::write(&csv_path, csv).map_err(cli::at_path(&csv_path))?;

    let png = args.out.join("izhikevich.png");
    let root = BitMapBackend::new(&png, (900, 800)).into_drawing_area();
    root.fill(&WHITE)?;
    for (i, area) in root.split_evenly((4, 1)).iter().enumerate() {
        let mut chart = ChartBuilder::on(area)
            .caption(NAMES[i], ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(40)
            .build_cartesian_2d(0f64..200f64, -90f64..40f64)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .y_desc("V (mV)")
            .draw()?;
        chart.draw_series(LineSeries::new(
            v.times.iter().copied().zip(v.trace(i)),
            &BLUE,
        ))?;
    }
    root.present()?;
    println!("wrote {} and {}", csv_path.display(), png.display());
    Ok(())
}
