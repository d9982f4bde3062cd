//! Every GPU backend against the CPU backend (the reference semantics) on
//! the same networks and seeds.
//!
//! Spikes must be *equal*: the generated kernels do the same IEEE
//! operations in the same order as the CPU code (FMA contraction off), and
//! every random draw comes from the same Philox counter. The one freedom
//! GPUs take is the order of atomic additions into `in_syn` when several
//! synapses hit one target in a step; the networks here use synaptic
//! weights that are multiples of 1/64 with small sums, which add exactly in
//! any order, so the results must still be bit-identical. Transcendental
//! functions are the other source of difference: PoCL's `log` differs from
//! glibc's by one ulp for about 1-3 % of arguments (measured), so these
//! networks draw no exponential/normal/Poisson numbers during simulation:
//! input spikes come from `SpikeSourceArray`s with host-drawn times, and
//! initial values from uniform draws (exact everywhere).
//! `determinism.rs` covers a random network with such draws, with stated
//! tolerances.

mod common;

use common::add_source;
use snn::prelude::*;
use snn::testing::TestBackend;

fn lif(v_thresh: f64) -> Lif {
    Lif {
        c: 1.0,
        tau_m: 20.0,
        v_rest: -70.0,
        v_reset: -70.0,
        v_thresh,
        i_offset: 0.0,
        tau_refrac: 2.0,
    }
}

/// Runs `net` for `steps` steps on the CPU and on `backend` and asserts that
/// every recorded population spiked identically; returns the CPU spikes.
fn assert_same_spikes(backend: TestBackend, net: &Network, steps: u64) -> Option<Vec<SpikeRecord>> {
    let mut gpu = backend.build(net)?;
    let mut cpu = CpuSimulation::new(net).unwrap();
    cpu.run_steps(steps).unwrap();
    gpu.run_steps(steps).unwrap();
    let mut out = Vec::new();
    for p in net.populations().iter().filter(|p| p.record_spikes) {
        let a = cpu.spikes(p.name.as_str().into()).unwrap();
        let mut b = gpu.spikes(p.name.as_str().into()).unwrap();
        // Within one step the GPU reports ids in ascending order too
        // (decoded from bitfields); sort defensively anyway.
        let mut pairs: Vec<(f64, u32)> =
            b.times.iter().copied().zip(b.ids.iter().copied()).collect();
        pairs.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        b.times = pairs.iter().map(|x| x.0).collect();
        b.ids = pairs.iter().map(|x| x.1).collect();
        assert_eq!(
            a.ids.len(),
            b.ids.len(),
            "population `{}`: spike counts differ on {}",
            p.name,
            backend.name()
        );
        assert_eq!(
            a,
            b,
            "population `{}`: spikes differ on {}",
            p.name,
            backend.name()
        );
        out.push(a);
    }
    for p in net.populations() {
        for var in p.part.model.var_names() {
            let a = cpu.var_values(p.name.as_str().into(), var).unwrap();
            let b = gpu.var_values(p.name.as_str().into(), var).unwrap();
            assert_eq!(
                a,
                b,
                "population `{}`: variable `{var}` differs on {}",
                p.name,
                backend.name()
            );
        }
    }
    Some(out)
}

/// A `SpikeSourceArray` of `n` neurons spiking in each of `steps` steps with
/// probability `p` (drawn on the host; times are `step * dt`).
fn random_spike_source(net: &mut Network, name: &str, n: u32, p: f64, steps: u64) -> PopulationId {
    let spike_steps: Vec<Vec<u64>> = (0..n)
        .map(|i| {
            let mut rng = snn::rng::RngStream::new(7, 1, 0, i);
            (0..steps).filter(|_| rng.uniform::<f64>() < p).collect()
        })
        .collect();
    add_source(net, name, &spike_steps)
}

snn::backend_tests! {
    fn lif_dc(backend) {
        for precision in [Precision::F32, Precision::F64] {
            let mut net = Network::new(0.1).unwrap();
            net.set_precision(precision);
            let p = net
                .add_population("LIF", 100, lif(-55.0))
                .init("v", VarInit::uniform(-70.0, -55.0))
                .init("refrac_time", 0.0)
                .record_spikes(true)
                .build()
                .unwrap();
            net.add_current_source("DC", p, DC { amp: 0.9 }).build().unwrap();
            let Some(spikes) = assert_same_spikes(backend, &net, 3000) else { return };
            assert!(spikes[0].len() > 500, "too few spikes to compare: {}", spikes[0].len());
        }
    }

    fn izhikevich_dc(backend) {
        let mut net = Network::new(0.1).unwrap();
        let p = net
            .add_population("Izh", 4, IzhikevichVariable)
            .init("v", -65.0)
            .init("u", VarInit::Values(vec![-13.0, -13.0, -13.0, -13.0]))
            .init("a", VarInit::Values(vec![0.02, 0.1, 0.02, 0.02]))
            .init("b", VarInit::Values(vec![0.2, 0.2, 0.2, 0.2]))
            .init("c", VarInit::Values(vec![-65.0, -65.0, -50.0, -55.0]))
            .init("d", VarInit::Values(vec![8.0, 2.0, 2.0, 4.0]))
            .record_spikes(true)
            .build()
            .unwrap();
        net.add_current_source("DC", p, DC { amp: 10.0 }).build().unwrap();
        let Some(spikes) = assert_same_spikes(backend, &net, 2000) else { return };
        assert!(spikes[0].len() > 30);
    }

    fn fused_postsynaptic_inputs(backend) {
        // Two excitatory groups (one with dendritic delays) and an inhibitory
        // one onto the same population, same ExpCurr: fused into one input.
        // The GPU must equal the CPU (exactly summable weights). Fusing only
        // changes rounding (one decayed sum instead of separately decayed
        // inputs, ~1 ulp of in_syn), which changes no spike here.
        let build = |fuse: bool| {
            let mut net = Network::new(0.1).unwrap();
            net.set_fuse_postsynaptic(fuse);
            let src = random_spike_source(&mut net, "Src", 40, 0.01, 1500);
            let dst = net
                .add_population("Dst", 60, lif(-60.0))
                .init("v", -65.0)
                .init("refrac_time", 0.0)
                .record_spikes(true)
                .build()
                .unwrap();
            net.add_synapse_group("E1", src, dst, StaticPulse, ExpCurr { tau: 2.0 })
                .connectivity(Connectivity::FixedProbability { p: 0.3, autapses: true })
                .wu_init("g", 1.0)
                .axonal_delay(3)
                .build()
                .unwrap();
            net.add_synapse_group("E2", src, dst, StaticPulseDendriticDelay, ExpCurr { tau: 2.0 })
                .connectivity(Connectivity::FixedNumberPost { n: 8, autapses: true })
                .wu_init("g", 0.5)
                .wu_init("d", VarInit::uniform(0.0, 12.0))
                .max_dendritic_delay(12)
                .build()
                .unwrap();
            net.add_synapse_group("I", dst, dst, StaticPulse, ExpCurr { tau: 2.0 })
                .connectivity(Connectivity::FixedProbability { p: 0.2, autapses: false })
                .wu_init("g", -0.25)
                .build()
                .unwrap();
            net
        };
        let fused = build(true);
        let (targets, _) = fused.postsynaptic_targets();
        assert_eq!(targets.len(), 1, "all three groups share one input");
        let Some(spikes) = assert_same_spikes(backend, &fused, 1500) else { return };
        assert!(spikes[1].len() > 50, "too few target spikes: {}", spikes[1].len());
        // Fusing changes no spike (the CPU, fused vs separate inputs).
        let mut separate = CpuSimulation::new(&build(false)).unwrap();
        separate.run_steps(1500).unwrap();
        assert_eq!(separate.spikes("Dst".into()).unwrap(), spikes[1]);
        // Every fused group reads the shared in_syn.
        let Some(mut sim) = backend.build(&fused) else { return };
        sim.run_steps(700).unwrap();
        let e1 = sim.postsynaptic_var_values("E1", "in_syn").unwrap();
        assert_eq!(e1, sim.postsynaptic_var_values("I", "in_syn").unwrap());
        assert!(e1.iter().any(|&x| x != 0.0));
    }

    fn delays_and_spans(backend) {
        for span in [Span::Postsynaptic, Span::Presynaptic] {
            let mut net = Network::new(0.1).unwrap();
            let src = random_spike_source(&mut net, "Src", 50, 0.004, 2000);
            let dst = net
                .add_population("Dst", 80, lif(-60.0))
                .init("v", -65.0)
                .init("refrac_time", 0.0)
                .record_spikes(true)
                .build()
                .unwrap();
            net.add_synapse_group("Axonal", src, dst, StaticPulse, ExpCurr { tau: 5.0 })
                .connectivity(Connectivity::FixedProbability { p: 0.3, autapses: true })
                .wu_init("g", 1.0)
                .axonal_delay(7)
                .span(span)
                .build()
                .unwrap();
            net.add_synapse_group("Dendritic", src, dst, StaticPulseDendriticDelay, DeltaCurr)
                .connectivity(Connectivity::FixedNumberPost { n: 10, autapses: true })
                .wu_init("g", 1.0 / 2.0)
                .wu_init("d", VarInit::uniform(0.0, 20.0))
                .max_dendritic_delay(20)
                .span(span)
                .build()
                .unwrap();
            let Some(spikes) = assert_same_spikes(backend, &net, 2000) else { return };
            assert!(spikes[1].len() > 50, "too few target spikes: {}", spikes[1].len());
        }
    }
}

/// Initialisation on the device reproduces the host's connectivity exactly
/// and its normally distributed values up to the device's `log`/`cos`;
/// `InitOn::Host` uploads exactly the CPU's initial state.
#[test]
fn device_and_host_initialisation_on_opencl() {
    use snn::GpuSimulation;
    use snn_kernels::dialect::Dialect;
    use snn_kernels::runtime::InitOn;
    use snn_opencl_host::{DeviceSelection, OpenClDevice};
    if !TestBackend::OpenCl.check() {
        return;
    }
    let mut net = Network::new(0.1).unwrap();
    let a = net
        .add_population("A", 300, lif(-50.0))
        .init("v", VarInit::normal(-60.0, 3.0))
        .init("refrac_time", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("AA", a, a, StaticPulse, ExpCurr { tau: 5.0 })
        .connectivity(Connectivity::FixedProbability {
            p: 0.1,
            autapses: false,
        })
        .wu_init("g", VarInit::normal(0.5, 0.1))
        .build()
        .unwrap();
    let cpu = CpuSimulation::new(&net).unwrap();
    for init_on in [InitOn::Device, InitOn::Host] {
        let dev = OpenClDevice::new(DeviceSelection::Any).unwrap();
        let gpu = GpuSimulation::with_init(dev, &net, Dialect::OpenCl, init_on).unwrap();
        assert_eq!(
            gpu.connectivity("AA").unwrap(),
            cpu.connectivity("AA").unwrap()
        );
        for (x, y) in [
            (
                cpu.var_values(a.into(), "v").unwrap(),
                gpu.var_values(a.into(), "v").unwrap(),
            ),
            (
                cpu.synapse_var_values("AA", "g").unwrap(),
                gpu.synapse_var_values("AA", "g").unwrap(),
            ),
        ] {
            if init_on == InitOn::Host {
                assert_eq!(x, y, "host initialisation must be the CPU's");
            } else {
                // Box-Muller through the device's log/cos: a few f32 ulps.
                for (p, q) in x.iter().zip(&y) {
                    assert!((p - q).abs() <= 1e-5 * p.abs().max(1.0), "{p} vs {q}");
                }
            }
        }
    }
}
