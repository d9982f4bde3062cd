//! The cortical microcircuit's activity at a scale CI can afford, on every
//! backend: each population's mean rate within 15 % of the published
//! full-scale rates, and asynchronous-irregular firing (mean CV of ISI in
//! [0.6, 1.0]).
//!
//! Scale: 10 % of the neurons with half of the in-degrees (K_scaling 0.5,
//! weights x 1/sqrt(0.5) and a DC input compensating the lost mean input,
//! as in NEST's reference implementation): 7,718 neurons, 1.5e7 synapses.
//! Smaller in-degrees lower the input fluctuations and with them the rates
//! of the fluctuation-driven populations (measured here: L23E at 0.67 Hz
//! with K_scaling 0.3, 0.85 Hz with 0.5, expected 0.90). Window: 2 s after a
//! 0.5 s transient; the CV of ISI over a 1 s window is biased low (~0.6
//! here at this size; 0.66-0.75 over 2 s, NEST's 0.68-0.74). The full-scale
//! check (1 s window, rates within 15 %) is the example's
//! (`cargo run --release --example microcircuit -- --scale 1.0`, see the
//! closing notes).

#[path = "../../examples/microcircuit/model.rs"]
pub(crate) mod model;

use model::{build, rate_and_cv, Options, Params};
use snn::sim::SimulationExt;

snn::backend_tests! {
    fn rates_and_irregularity_at_reduced_scale(backend) {
        let params = Params::published();
        let options = Options {
            n_scale: 0.1,
            k_scale: 0.5,
            ..Options::default()
        };
        let mc = build(&params, &options).unwrap();
        let Some(mut sim) = backend.build(&mc.net) else { return };
        let (transient, window) = (500.0, 2000.0);
        sim.run_for(transient + window).unwrap();
        let mut report = String::new();
        let mut bad = Vec::new();
        for (i, &pop) in mc.populations.iter().enumerate() {
            let name = &params.populations[i];
            let spikes = sim.spikes(pop).unwrap();
            let size = mc.net.population(pop).size;
            let (rate, cv) = rate_and_cv(&spikes, size, transient, transient + window);
            let expected = params.expected.mean_rates[i];
            report += &format!("{name}: {rate:.3} Hz (expected {expected:.3}), CV {cv:.3}\n");
            if (rate - expected).abs() > 0.15 * expected {
                bad.push(format!("{name}: rate {rate:.3} Hz not within 15 % of {expected}"));
            }
            if !(0.6..=1.0).contains(&cv) {
                bad.push(format!("{name}: mean CV of ISI {cv:.3} outside [0.6, 1.0]"));
            }
        }
        assert!(bad.is_empty(), "{} on {}:\n{report}", bad.join("\n"), backend.name());
    }
}
