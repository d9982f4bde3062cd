//! The balanced AdEx network example (NEST GPU's `brunel_net`) at a size CI
//! affords, on every backend.
//!
//! Size: 2,000 neurons with the full in-degree of 1,000 (2e6 synapses),
//! 300 ms after a 100 ms transient. Measured (CPU and PoCL, seeds 1234 and
//! 7): both populations at 28.8-29.2 Hz with a mean CV of ISI of 0.33; with
//! the recurrent synapses cut to one excitatory and one inhibitory per
//! neuron, 30.9 Hz. As in NEST GPU's example the 20 kHz Poisson drive
//! dominates (its weight is 7x the excitatory one) and the recurrent input
//! is inhibition-dominated. Asserted: rates in [RATE_MIN, RATE_MAX] Hz, mean
//! CV of ISI in [CV_MIN, CV_MAX] (Poisson-driven, not clock-like, not
//! bursting), and the recurrent input lowering the excitatory rate by at
//! least RECURRENT_EFFECT Hz, so a network whose synapses deliver nothing
//! fails. The real-time factor is printed.

#[path = "../../examples/balanced_adex/model.rs"]
#[allow(dead_code)]
mod model;
#[path = "../../examples/common/stats.rs"]
mod stats;

use model::{build, Options};
use snn::sim::SimulationExt;
use snn::testing::TestBackend;
use std::time::Instant;

const RATE_MIN: f64 = 20.0;
const RATE_MAX: f64 = 40.0;
const CV_MIN: f64 = 0.2;
const CV_MAX: f64 = 0.6;
const RECURRENT_EFFECT: f64 = 1.0;
const TRANSIENT: f64 = 100.0;
const WINDOW: f64 = 300.0;

/// Name, rate (Hz) and mean CV of ISI of each population.
type PopStats = Vec<(String, f64, f64)>;

/// Runs the network with `in_degree` on `backend`: the statistics and the
/// wall-clock seconds, or `None` if the backend is missing.
fn run(backend: TestBackend, in_degree: u32) -> Option<(PopStats, f64)> {
    let b = build(&Options {
        neurons: 2_000,
        in_degree,
        ..Options::default()
    })
    .unwrap();
    let mut sim = backend.build(&b.net)?;
    let t0 = Instant::now();
    sim.run_for(TRANSIENT + WINDOW).unwrap();
    let wall = t0.elapsed().as_secs_f64();
    let stats = [b.exc, b.inh]
        .into_iter()
        .map(|pop| {
            let p = b.net.population(pop);
            let spikes = sim.spikes(pop).unwrap();
            let (rate, cv) = stats::rate_and_cv(&spikes, p.size, TRANSIENT, TRANSIENT + WINDOW);
            (p.name.clone(), rate, cv)
        })
        .collect();
    Some((stats, wall))
}

snn::backend_tests! {
    fn balanced_adex_rates(backend) {
        let Some((full, wall)) = run(backend, 1000) else { return };
        let (cut, _) = run(backend, 2).unwrap();
        let bio = (TRANSIENT + WINDOW) / 1000.0;
        let mut report = format!(
            "{}: {wall:.1} s for {bio} s of biological time ({:.1} s per biological second)\n",
            backend.name(),
            wall / bio
        );
        let mut bad = Vec::new();
        for (name, rate, cv) in &full {
            report += &format!("{name}: {rate:.2} Hz, CV {cv:.2}\n");
            if !(RATE_MIN..=RATE_MAX).contains(rate) {
                bad.push(format!("{name}: rate {rate:.2} Hz outside [{RATE_MIN}, {RATE_MAX}]"));
            }
            if !(CV_MIN..=CV_MAX).contains(cv) {
                bad.push(format!("{name}: mean CV of ISI {cv:.2} outside [{CV_MIN}, {CV_MAX}]"));
            }
        }
        report += &format!("E without recurrent synapses: {:.2} Hz\n", cut[0].1);
        if full[0].1 > cut[0].1 - RECURRENT_EFFECT {
            bad.push(format!(
                "the recurrent synapses lower the E rate by {:.2} Hz only (at least {RECURRENT_EFFECT})",
                cut[0].1 - full[0].1
            ));
        }
        println!("{report}");
        assert!(bad.is_empty(), "{}\n{report}", bad.join("\n"));
    }
}
