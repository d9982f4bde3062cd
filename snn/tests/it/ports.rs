//! Synaptic input ports (`#[input]` fields, GeNN's additional input
//! variables): each postsynaptic model and current source injects into the
//! port its group names with `.target_port(..)`, or into `isyn` by default,
//! on every backend; ports start each step at 0; groups with the same
//! postsynaptic model and parameters aimed at different ports are not fused;
//! naming a port the neuron model lacks is a build error naming both.
//!
//! Oracle: the neuron below sums what each input delivered over the run into
//! its own variables, and the expected sums are counted from the spike
//! schedule here (DeltaCurr delivers the weight in the step after the
//! presynaptic spike), independently of the library.

use snn::prelude::*;

/// Accumulates each input over the run, and the last step's `ex` alone.
#[neuron_model(auto_refractory = false)]
pub struct Ports {
    /// Sum of the `ex` port over all steps.
    #[var]
    sum_ex: Scalar,
    /// Sum of the `inh` port over all steps.
    #[var]
    sum_inh: Scalar,
    /// Sum of `isyn` over all steps.
    #[var]
    sum_isyn: Scalar,
    /// The `ex` port of the last step.
    #[var]
    last_ex: Scalar,
    /// Excitatory input port.
    #[input]
    ex: Scalar,
    /// Inhibitory input port.
    #[input]
    inh: Scalar,
}

#[neuron_model]
impl Ports {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.sum_ex += self.ex;
        self.sum_inh += self.inh;
        self.sum_isyn += env.isyn();
        self.last_ex = self.ex;
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        false
    }
}

const STEPS: u64 = 20;

/// Source neuron 0 spikes at steps 2 and 5, neuron 1 at step 3; all-to-all
/// onto 3 `Ports` neurons through three DeltaCurr groups (to `ex` with
/// weight 1, to `inh` with weight 2, to `isyn` with weight 4) and a DC of
/// 0.5 into `ex`.
fn network(fuse: bool) -> Network {
    let mut net = Network::new(1.0).unwrap();
    net.set_fuse_postsynaptic(fuse);
    let st = spike_times(&[vec![2.0, 5.0], vec![3.0]]);
    net.add_population("Src", 2, SpikeSourceArray)
        .init("start_spike", st.start_spike)
        .init("end_spike", st.end_spike)
        .egp("spike_times", st.spike_times)
        .build()
        .unwrap();
    let mut b = net.add_population("N", 3, Ports);
    for v in ["sum_ex", "sum_inh", "sum_isyn", "last_ex"] {
        b = b.init(v, 0.0);
    }
    b.build().unwrap();
    for (name, w, port) in [
        ("ToEx", 1.0, Some("ex")),
        ("ToInh", 2.0, Some("inh")),
        ("ToIsyn", 4.0, None),
    ] {
        let mut g = net
            .add_synapse_group(name, "Src", "N", StaticPulse, DeltaCurr {})
            .wu_init("g", w);
        if let Some(p) = port {
            g = g.target_port(p);
        }
        g.build().unwrap();
    }
    net.add_current_source("Drive", "N", DC { amp: 0.5 })
        .target_port("ex")
        .build()
        .unwrap();
    net
}

snn::backend_tests! {
    fn ports_receive_their_groups_only(backend) {
        for fuse in [false, true] {
            let net = network(fuse);
            let Some(mut sim) = backend.build(&net) else { return };
            sim.run_steps(STEPS).unwrap();
            // Three presynaptic spikes reach every target once each.
            let spikes = 3.0;
            let expect = [
                ("sum_ex", 1.0 * spikes + 0.5 * STEPS as f64),
                ("sum_inh", 2.0 * spikes),
                ("sum_isyn", 4.0 * spikes),
                // No spike in the last step: only the DC, the port having been zeroed.
                ("last_ex", 0.5),
            ];
            for (var, want) in expect {
                let got = sim.var_values("N", var).unwrap();
                for (i, x) in got.iter().enumerate() {
                    assert!(
                        (x - want).abs() < 1e-9,
                        "{} (fuse {fuse}): neuron {i} `{var}` = {x}, expected {want}",
                        backend.name()
                    );
                }
            }
        }
    }
}

#[test]
fn unknown_port_is_a_build_error_naming_it() {
    let mut net = network(false);
    let err = net
        .add_synapse_group("Bad", "Src", "N", StaticPulse, DeltaCurr {})
        .wu_init("g", 1.0)
        .target_port("gaba")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::UnknownPort { .. }), "{err:?}");
    let msg = err.to_string();
    for part in ["Bad", "`gaba`", "`N`", "Ports", "ex, inh"] {
        assert!(msg.contains(part), "message lacks {part}: {msg}");
    }
    let err = net
        .add_current_source("BadDC", "Src", DC { amp: 1.0 })
        .target_port("ex")
        .build()
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("BadDC") && msg.contains("no #[input] fields"),
        "{msg}"
    );
}
