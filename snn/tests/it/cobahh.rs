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
//!
//! The same band holds for the other integrators. Measured (seed 1234):
//! exponential Euler, 1 substep, 45.2/48.3 Hz on the CPU and PoCL (its
//! neurons fire ~12 % slower, see hh_integrators); forward Euler, 25
//! substeps, 52.9/57.9 Hz on the CPU, 54.4/58.6 on PoCL.

#[path = "../../examples/cobahh/model.rs"]
mod model;

use model::{build, rate_and_cv, Integrator, IntegratorName, Options};
use snn::sim::SimulationExt;
use snn::testing::TestBackend;
use std::time::Instant;

/// Runs the reduced network with `integrator` on `backend` and asserts that
/// both mean rates are in the band; `None` without the device.
fn check_rates(backend: TestBackend, integrator: Integrator) -> Option<()> {
    let options = Options {
        neurons: 2000,
        integrator,
        ..Options::default()
    };
    let m = build(&options).unwrap();
    let mut sim = backend.build(&m.net)?;
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
        "{} {integrator:?}: {report}real-time factor {:.1}",
        backend.name(),
        wall / ((transient + window) / 1000.0)
    );
    for r in rates {
        assert!(
            (40.0..=80.0).contains(&r),
            "rate outside [40, 80] Hz on {} with {integrator:?}:\n{report}",
            backend.name()
        );
    }
    Some(())
}

snn::backend_tests! {
    fn rates_at_reduced_size(backend) {
        check_rates(backend, Integrator::Rk4);
    }

    fn rates_with_the_euler_integrators(backend) {
        let integrators = [Integrator::ExpEuler { substeps: 1 }, Integrator::Euler { substeps: 25 }];
        for integrator in integrators {
            if check_rates(backend, integrator).is_none() {
                return;
            }
        }
    }
}

#[test]
fn integrator_options_default_to_brian2_and_genn() {
    assert_eq!(
        Integrator::new(IntegratorName::Rk4, None),
        Ok(Integrator::Rk4)
    );
    assert_eq!(
        Integrator::new(IntegratorName::ExpEuler, None),
        Ok(Integrator::ExpEuler { substeps: 1 })
    );
    assert_eq!(
        Integrator::new(IntegratorName::Euler, None),
        Ok(Integrator::Euler { substeps: 25 })
    );
    assert_eq!(
        Integrator::new(IntegratorName::Euler, Some(4)),
        Ok(Integrator::Euler { substeps: 4 })
    );
    let message = Integrator::new(IntegratorName::Rk4, Some(4)).unwrap_err();
    assert!(message.contains("--substeps applies to"), "{message}");
}

/// The example's `--integrator` option, declared as in its `main.rs`.
#[derive(clap::Parser)]
struct IntegratorArg {
    #[arg(long, value_enum, default_value = "rk4")]
    integrator: IntegratorName,
}

#[test]
fn a_bad_integrator_name_lists_the_choices() {
    use clap::Parser;
    let parse = |args: &[&str]| {
        IntegratorArg::try_parse_from(std::iter::once("cobahh").chain(args.iter().copied()))
    };
    assert_eq!(parse(&[]).unwrap().integrator, IntegratorName::Rk4);
    assert_eq!(
        parse(&["--integrator", "exp-euler"]).unwrap().integrator,
        IntegratorName::ExpEuler
    );
    let message = parse(&["--integrator", "rk2"]).err().unwrap().to_string();
    assert!(
        message.contains("invalid value 'rk2' for '--integrator <INTEGRATOR>'"),
        "{message}"
    );
    assert!(
        message.contains("[possible values: rk4, exp-euler, euler]"),
        "{message}"
    );
}
