//! The COBAHH example's network at a size CI can afford, on every backend:
//! mean rates of both populations within a measured band, neither silent nor
//! saturated, and the real-time factor printed.
//!
//! Size: 2,000 neurons with the example's p = 0.02 (40 inputs per neuron
//! instead of 80), 400 ms of which the first 100 ms (the synchronous onset
//! from the common initial state) are excluded.
//!
//! Band: both mean rates in [40, 80] Hz. Measured with the example on the
//! CPU (`--neurons 2000 --duration 300 --transient 100`): E/I 55.0/58.7 Hz
//! (seed 1234), 56.8/58.0 (seed 1), 60.7/61.1 (seed 2); PoCL 54.7/58.6
//! (seed 1234). The band is wide enough for seeds and f32 differences
//! between backends, and narrow enough to fail when the synapses do not
//! act: with the weights at 0 (`--weight-scale 0`) every neuron fires at
//! the lone COBAHH neuron's ~14 Hz (see hh_reference), and a saturated
//! network would fire at hundreds of Hz.

#[path = "../../examples/cobahh/model.rs"]
mod model;

use model::{build, rate_and_cv, Options};
use snn::sim::SimulationExt;
use std::time::Instant;

snn::backend_tests! {
    fn rates_at_reduced_size(backend) {
        let options = Options {
            neurons: 2000,
            ..Options::default()
        };
        let m = build(&options).unwrap();
        let Some(mut sim) = backend.build(&m.net) else { return };
        let (transient, window) = (100.0, 300.0);
        let t0 = Instant::now();
        sim.run_for(transient + window).unwrap();
        let wall = t0.elapsed().as_secs_f64();
        let mut report = String::new();
        let mut rates = Vec::new();
        for pop in [m.exc, m.inh] {
            let spikes = sim.spikes(pop).unwrap();
            let desc = m.net.population(pop);
            let (rate, cv) = rate_and_cv(&spikes, desc.size, transient, transient + window);
            report += &format!("{}: {rate:.2} Hz, CV {cv:.2}\n", desc.name);
            rates.push(rate);
        }
        println!(
            "{}: {report}real-time factor {:.1}",
            backend.name(),
            wall / ((transient + window) / 1000.0)
        );
        for r in rates {
            assert!((40.0..=80.0).contains(&r), "rate outside [40, 80] Hz on {}:\n{report}", backend.name());
        }
    }
}
