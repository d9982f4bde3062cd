//! Kernel timing (`Network::set_timing`): the GPU backends report the
//! device time of init kernels and of every step kernel, per phase and
//! kernel, with one launch per step of each step kernel; the CPU backend
//! and a network without timing report none.

use snn::prelude::*;
use snn::testing::TestBackend;
use snn::timing::TimedPhase;

/// Poisson input onto LIF neurons through static and STDP synapses: init
/// kernels (connectivity, variables), presynaptic spikes, postsynaptic
/// learning and the neuron update all run.
fn network(timing: bool) -> Network {
    let mut net = Network::new(0.1).unwrap();
    net.set_timing(timing);
    let src = net
        .add_population("Src", 200, Poisson { rate: 50.0 })
        .init("time_step_to_spike", 0.0)
        .build()
        .unwrap();
    let lif = Lif {
        c: 1.0,
        tau_m: 20.0,
        v_rest: -70.0,
        v_reset: -70.0,
        v_thresh: -50.0,
        i_offset: 0.0,
        tau_refrac: 2.0,
    };
    let dst = net
        .add_population("Dst", 100, lif)
        .init("v", VarInit::uniform(-70.0, -50.0))
        .init("refrac_time", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("Static", src, dst, StaticPulse, ExpCurr { tau: 2.0 })
        .connectivity(Connectivity::FixedProbability {
            p: 0.1,
            autapses: true,
        })
        .wu_init("g", 2.0)
        .build()
        .unwrap();
    let stdp = StdpAdditive {
        tau_plus: 16.8,
        tau_minus: 33.7,
        a_plus: 0.1,
        a_minus: 0.12,
        w_min: 0.0,
        w_max: 4.0,
    };
    net.add_synapse_group("Stdp", src, dst, stdp, ExpCurr { tau: 2.0 })
        .connectivity(Connectivity::FixedProbability {
            p: 0.1,
            autapses: true,
        })
        .wu_init("g", 1.0)
        .pre_init("x", 0.0)
        .post_init("y", 0.0)
        .build()
        .unwrap();
    net
}

const STEPS: u64 = 20;

snn::backend_tests! {
    fn timing_reports_device_time_per_phase_and_kernel(backend) {
        let Some(mut sim) = backend.build(&network(true)) else { return };
        sim.run_steps(STEPS).unwrap();
        let report = sim.report();
        if backend == TestBackend::Cpu {
            assert_eq!(report.device_times, None, "the CPU backend cannot time");
            return;
        }
        let times = report.device_times.expect("a GPU backend times its kernels");
        eprintln!("{}: {times}", backend.name());
        for phase in [TimedPhase::Init, TimedPhase::Synapse, TimedPhase::Learning, TimedPhase::Neuron] {
            assert!(times.phase(phase) > std::time::Duration::ZERO, "{phase:?}: {times:?}");
        }
        assert!(times.kernels.iter().all(|k| k.phase != TimedPhase::Other), "{times:?}");
        for k in &times.kernels {
            assert!(k.kernel.device_time > std::time::Duration::ZERO, "{k:?}");
            if k.phase != TimedPhase::Init {
                assert_eq!(k.kernel.launches, STEPS, "one launch per step: {k:?}");
            }
        }

        // Reports add up: the next steps add their launches to the same rows.
        sim.run_steps(STEPS).unwrap();
        let later = sim.report().device_times.unwrap();
        assert_eq!(later.kernels.len(), times.kernels.len(), "{later:?}");
        for (a, b) in times.kernels.iter().zip(&later.kernels) {
            let more = if a.phase == TimedPhase::Init { 0 } else { STEPS };
            assert_eq!(b.kernel.launches, a.kernel.launches + more, "{b:?}");
            assert!(b.kernel.device_time >= a.kernel.device_time, "{b:?}");
        }
        assert!(later.total() > times.total());
    }

    fn timing_off_reports_no_device_times(backend) {
        let Some(mut sim) = backend.build(&network(false)) else { return };
        sim.run_steps(STEPS).unwrap();
        assert_eq!(sim.report().device_times, None);
    }
}

#[test]
fn timing_is_off_by_default_and_cloned() {
    let mut net = Network::new(0.1).unwrap();
    assert!(!net.timing());
    net.set_timing(true);
    assert!(net.clone().timing());
}
