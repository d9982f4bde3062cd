//! Every GPU backend against the CPU backend (the reference semantics) on
//! the same networks and seeds.
//!
//! Spikes must be *equal*: the generated kernels do the same IEEE
//! operations in the same order as the CPU code (FMA contraction off), and
//! every random draw comes from the same Philox counter. The one freedom
//! GPUs take is the order of atomic additions into `in_syn` when several
//! synapses hit one target in a step; the networks here use synaptic
//! weights that are multiples of 1/64 with small sums, which add exactly in
//! any order, so the results must still be bit-identical. Random draws and
//! model code's `exp`/`ln` are the same bits everywhere (`snn_core::math`);
//! input spikes come from `SpikeSourceArray`s with host-drawn times.
//! `determinism.rs` covers a random network with draws and inexact sums,
//! with stated tolerances for the sums.

use crate::common::{add_source, dopamine_stdp, exact_plastic_network, lif, one_spike_per_step};
use snn::prelude::*;
use snn::testing::TestBackend;
use snn_core::math::Elementary;
use snn_core::model::FieldKind;
use snn_core::sim::{EgpOwner, Side};

/// Runs `net` for `steps` steps on the CPU and on `backend` and asserts that
/// every recorded population spiked identically; returns the CPU spikes.
fn assert_same_spikes(backend: TestBackend, net: &Network, steps: u64) -> Option<Vec<SpikeRecord>> {
    let mut gpu = backend.build(net)?;
    let mut cpu = CpuSimulation::new(net).unwrap();
    cpu.run_steps(steps).unwrap();
    gpu.run_steps(steps).unwrap();
    let mut out = Vec::new();
    for p in net.populations().iter().filter(|p| p.record_spikes) {
        let a = cpu.spikes(p.name.as_str()).unwrap();
        let mut b = gpu.spikes(p.name.as_str()).unwrap();
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
            let a = cpu.var_values(p.name.as_str(), var).unwrap();
            let b = gpu.var_values(p.name.as_str(), var).unwrap();
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

    fn izhikevich_conductance_synapses(backend) {
        // Izhikevich neurons with conductance-based excitation and
        // inhibition (ExpCond with reversal potentials, GeNN's way): the
        // synaptic current g (E - v) follows the membrane, so the
        // inhibitory input shunts near -80 mV. Random input spikes, exact
        // weights: the backends must agree exactly.
        let mut net = Network::new(0.1).unwrap();
        let exc = random_spike_source(&mut net, "Exc", 80, 0.01, 3000);
        let inh = random_spike_source(&mut net, "Inh", 20, 0.01, 3000);
        let izh = Izhikevich { a: 0.02, b: 0.2, c: -65.0, d: 8.0 };
        let p = net
            .add_population("Izh", 50, izh)
            .init("v", -65.0)
            .init("u", -13.0)
            .record_spikes(true)
            .build()
            .unwrap();
        for (name, src, tau, e_rev, g) in [("E", exc, 5.0, 0.0, 0.0625), ("I", inh, 10.0, -80.0, 0.125)] {
            net.add_synapse_group(name, src, p, StaticPulse, ExpCond { tau, e_rev })
                .connectivity(Connectivity::FixedProbability { p: 0.5, autapses: true })
                .wu_init("g", g)
                .build()
                .unwrap();
        }
        net.add_current_source("DC", p, DC { amp: 2.0 }).build().unwrap();
        let Some(spikes) = assert_same_spikes(backend, &net, 3000) else { return };
        assert!(spikes[0].len() > 50, "too few spikes to compare: {}", spikes[0].len());
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
        assert_eq!(separate.spikes("Dst").unwrap(), spikes[1]);
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
    use snn_gpu::runtime::InitOn;
    use snn_kernels::dialect::Dialect;
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
                cpu.var_values(a, "v").unwrap(),
                gpu.var_values(a, "v").unwrap(),
            ),
            (
                cpu.synapse_var_values("AA", "g").unwrap(),
                gpu.synapse_var_values("AA", "g").unwrap(),
            ),
        ] {
            // Box-Muller through `snn_core::math`'s `ln`/`cos` on every
            // backend: device initialisation is the CPU's too.
            assert_eq!(x, y, "{init_on:?} initialisation must be the CPU's");
        }
    }
}

// ---------------------------------------------------------------------------
// Plasticity
// ---------------------------------------------------------------------------

fn stdp_additive() -> StdpAdditive {
    StdpAdditive {
        tau_plus: 16.8,
        tau_minus: 33.7,
        a_plus: 0.1,
        a_minus: 0.12,
        w_min: 0.0,
        w_max: 4.0,
    }
}

/// Runs `drive` (which steps the simulation, possibly changing it between
/// steps) on the CPU and on `backend`, then asserts equal spikes, and
/// neuron variables, synapse variables of `groups` and their pre/post
/// variables equal bit for bit (models computing `exp` at run time
/// included: every backend evaluates it with `snn_core::math`'s algorithm).
fn assert_same_plastic(
    backend: TestBackend,
    net: &Network,
    groups: &[&str],
    drive: &dyn Fn(&mut dyn Simulation),
) -> Option<(Box<dyn Simulation>, CpuSimulation)> {
    let mut gpu = backend.build(net)?;
    let mut cpu = CpuSimulation::new(net).unwrap();
    drive(&mut cpu);
    drive(&mut *gpu);
    let name = backend.name();
    let same = |a: &[f64], b: &[f64], what: &str| {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(a),
            bits(b),
            "{what} differs on {name}: {a:?} (CPU) vs {b:?}"
        );
    };
    for p in net.populations().iter().filter(|p| p.record_spikes) {
        let a = cpu.spikes(p.name.as_str()).unwrap();
        let b = gpu.spikes(p.name.as_str()).unwrap();
        assert_eq!(a, b, "population `{}`: spikes differ on {name}", p.name);
    }
    for p in net.populations() {
        for var in p.part.model.var_names() {
            let a = cpu.var_values(p.name.as_str(), var).unwrap();
            let b = gpu.var_values(p.name.as_str(), var).unwrap();
            same(&a, &b, &format!("population `{}`: `{var}`", p.name));
        }
    }
    for &g in groups {
        assert_eq!(cpu.connectivity(g).unwrap(), gpu.connectivity(g).unwrap());
        let desc = &net.synapse_groups()[net.synapse_group_id(g).unwrap().0 as usize];
        let m = desc.wu.model;
        for var in m.var_names() {
            let a = cpu.synapse_var_values(g, var).unwrap();
            let b = gpu.synapse_var_values(g, var).unwrap();
            same(&a, &b, &format!("group `{g}`: synapse variable `{var}`"));
        }
        for (side, kind) in [
            (Side::Pre, FieldKind::PreVar),
            (Side::Post, FieldKind::PostVar),
        ] {
            for f in m.fields_of(kind) {
                let a = cpu.neuron_side_var_values(g, side, f.name).unwrap();
                let b = gpu.neuron_side_var_values(g, side, f.name).unwrap();
                same(
                    &a,
                    &b,
                    &format!("group `{g}`: {side:?} variable `{}`", f.name),
                );
            }
        }
    }
    Some((gpu, cpu))
}

snn::backend_tests! {
    fn stdp_pair_closed_form(backend) {
        // Two spike sources, all-to-all StdpAdditive: every pairing and
        // every weight change follows from the spike times alone (an
        // independent f64 reference of the semantics: synapse code at
        // step s sees the spike times as of the end of step s - 1;
        // on_pre_spike runs before on_post_spike).
        let pre_steps = vec![vec![10, 40, 41], vec![25, 60]];
        let post_steps = vec![vec![20, 40, 70], vec![5]];
        let mut net = Network::new(0.5).unwrap();
        net.set_precision(Precision::F64);
        let pre = add_source(&mut net, "Pre", &pre_steps);
        let post = add_source(&mut net, "Post", &post_steps);
        let m = stdp_additive();
        net.add_synapse_group("S", pre, post, m.clone(), DeltaCurr)
            .connectivity(Connectivity::AllToAll { autapses: true })
            .wu_init("g", 1.0)
            .pre_init("x", 0.0)
            .post_init("y", 0.0)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        let steps = 100u64;
        sim.run_steps(steps).unwrap();

        // The reference.
        let dt = 0.5;
        let none = -f64::MAX;
        let (mut st_pre, mut prev_pre) = (vec![none; 2], vec![none; 2]);
        let (mut st_post, mut prev_post) = (vec![none; 2], vec![none; 2]);
        let (mut x, mut y) = (vec![0.0f64; 2], vec![0.0f64; 2]);
        let mut g = vec![1.0f64; 4];
        let spiked = |s: &[Vec<u64>], k: u64| -> Vec<usize> {
            (0..s.len()).filter(|&i| s[i].contains(&k)).collect()
        };
        for s in 0..steps {
            if s >= 1 {
                for i in spiked(&pre_steps, s - 1) {
                    for j in 0..2 {
                        let yy = y[j] * Elementary::exp(-(st_pre[i] - st_post[j]) / m.tau_minus);
                        g[i * 2 + j] = (g[i * 2 + j] - m.a_minus * yy).max(m.w_min).min(m.w_max);
                    }
                }
                for j in spiked(&post_steps, s - 1) {
                    for i in 0..2 {
                        let xx = x[i] * Elementary::exp(-(st_post[j] - st_pre[i]) / m.tau_plus);
                        g[i * 2 + j] = (g[i * 2 + j] + m.a_plus * xx).max(m.w_min).min(m.w_max);
                    }
                }
            }
            let t = s as f64 * dt;
            for i in spiked(&pre_steps, s) {
                prev_pre[i] = st_pre[i];
                st_pre[i] = t;
                x[i] = x[i] * Elementary::exp(-(st_pre[i] - prev_pre[i]) / m.tau_plus) + 1.0;
            }
            for j in spiked(&post_steps, s) {
                prev_post[j] = st_post[j];
                st_post[j] = t;
                y[j] = y[j] * Elementary::exp(-(st_post[j] - prev_post[j]) / m.tau_minus) + 1.0;
            }
        }
        // Exact: the reference evaluates `exp` as model code does on every
        // backend (`snn_core::math::Elementary`), in the same order.
        let close = |a: &[f64], b: &[f64], what: &str| {
            assert_eq!(a, b, "{what}: {a:?} vs reference {b:?}");
        };
        close(&sim.synapse_var_values("S", "g").unwrap(), &g, "g");
        close(&sim.neuron_side_var_values("S", Side::Pre, "x").unwrap(), &x, "x");
        close(&sim.neuron_side_var_values("S", Side::Post, "y").unwrap(), &y, "y");
        assert!(g.iter().all(|&w| w != 1.0), "every synapse changed: {g:?}");
    }

    fn exact_plasticity_every_method(backend) {
        // Src (one spike per step) -> Mid (LIF, static weights of 1/4) ->
        // Dst (LIF, ExactPlastic, recurrent ExactPlastic inside Dst too),
        // with a gate opened from the host for one step.
        for precision in [Precision::F32, Precision::F64] {
            for span in [Span::Postsynaptic, Span::Presynaptic] {
                let steps = 2500;
                let net = exact_plastic_network(precision, span, steps);
                let drive = |sim: &mut dyn Simulation| {
                    sim.run_steps(1000).unwrap();
                    sim.set_egp(EgpOwner::group("MidDst"), "gate", &[1.0]).unwrap();
                    sim.step().unwrap();
                    sim.set_egp(EgpOwner::group("MidDst"), "gate", &[0.0]).unwrap();
                    sim.run_steps(steps - 1001).unwrap();
                };
                let groups = ["MidDst", "DstDst"];
                let Some((mut gpu, _)) = assert_same_plastic(backend, &net, &groups, &drive)
                else {
                    return;
                };
                let what = format!("{precision:?} {span:?}");
                for p in ["Mid", "Dst"] {
                    let n = gpu.spikes(p).unwrap().len();
                    assert!(n > 200, "{what}: too few `{p}` spikes: {n}");
                }
                let g = gpu.synapse_var_values("MidDst", "g").unwrap();
                assert!(g.iter().any(|&w| w != 2.0), "{what}: plasticity changed weights");
                let events = gpu.synapse_var_values("MidDst", "events").unwrap();
                assert!(events.iter().all(|&e| e >= 1.0), "{what}: the gate reached every synapse");
                assert!(events.iter().any(|&e| e > 1.0), "{what}: threshold events");
                let hot = gpu.synapse_var_values("DstDst", "hot").unwrap();
                assert!(hot.iter().any(|&h| h > 0.0), "{what}: synapse dynamics ran");
            }
        }
    }

    fn stdp_network(backend) {
        // Plastic inputs into LIF and Izhikevich neurons, both precisions,
        // both spans; the targets' spikes drive potentiation.
        for precision in [Precision::F32, Precision::F64] {
            for span in [Span::Postsynaptic, Span::Presynaptic] {
                let steps = 3000;
                let mut net = Network::new(0.5).unwrap();
                net.set_precision(precision);
                let src = add_source(&mut net, "Src", &one_spike_per_step(40, 0.6, steps, 1));
                let lif_pop = net
                    .add_population("LIF", 16, lif(-60.0))
                    .init("v", VarInit::uniform(-70.0, -60.0))
                    .init("refrac_time", 0.0)
                    .record_spikes(true)
                    .build()
                    .unwrap();
                let izh = net
                    .add_population(
                        "Izh",
                        12,
                        Izhikevich { a: 0.02, b: 0.2, c: -65.0, d: 8.0 },
                    )
                    .init("v", -65.0)
                    .init("u", -13.0)
                    .record_spikes(true)
                    .build()
                    .unwrap();
                net.add_synapse_group("SrcLIF", src, lif_pop, stdp_additive(), DeltaCurr)
                    .connectivity(Connectivity::FixedProbability { p: 0.5, autapses: true })
                    .wu_init("g", VarInit::uniform(1.0, 3.0))
                    .pre_init("x", 0.0)
                    .post_init("y", 0.0)
                    .span(span)
                    .build()
                    .unwrap();
                net.add_synapse_group(
                    "SrcIzh",
                    src,
                    izh,
                    StdpMultiplicative {
                        tau_plus: 20.0,
                        tau_minus: 20.0,
                        a_plus: 0.05,
                        a_minus: 0.06,
                        w_min: 0.0,
                        w_max: 20.0,
                    },
                    DeltaCurr,
                )
                .connectivity(Connectivity::FixedProbability { p: 0.4, autapses: true })
                .wu_init("g", VarInit::uniform(6.0, 14.0))
                .pre_init("x", 0.0)
                .post_init("y", VarInit::uniform(0.0, 1.0))
                .span(span)
                .build()
                .unwrap();
                let drive = |sim: &mut dyn Simulation| sim.run_steps(steps).unwrap();
                let groups = ["SrcLIF", "SrcIzh"];
                let Some((mut gpu, _)) = assert_same_plastic(backend, &net, &groups, &drive)
                else {
                    return;
                };
                for p in ["LIF", "Izh"] {
                    let n = gpu.spikes(p).unwrap().len();
                    assert!(n > 100, "{precision:?} {span:?}: too few `{p}` spikes: {n}");
                }
            }
        }
    }

    fn dopamine_stdp_with_egp(backend) {
        // DopamineStdp: a dopamine delivery through the extra global
        // parameter (spike-like events of every presynaptic neuron in one
        // step) in the middle of the run.
        for precision in [Precision::F32, Precision::F64] {
            let steps = 1500;
            let mut net = Network::new(1.0).unwrap();
            net.set_precision(precision);
            let src = add_source(&mut net, "Src", &one_spike_per_step(30, 0.7, steps, 2));
            let izh = net
                .add_population("Izh", 10, Izhikevich { a: 0.02, b: 0.2, c: -65.0, d: 8.0 })
                .init("v", -65.0)
                .init("u", -13.0)
                .record_spikes(true)
                .build()
                .unwrap();
            net.add_synapse_group(
                "DA",
                src,
                izh,
                dopamine_stdp(),
                DeltaCurr,
            )
            .connectivity(Connectivity::FixedProbability { p: 0.5, autapses: true })
            .wu_init("g", 10.0)
            .wu_init("c", 0.0)
            .wu_init("t_last", 0.0)
            .wu_egp("inject_dopamine", vec![0.0])
            .build()
            .unwrap();
            let drive = |sim: &mut dyn Simulation| {
                sim.run_steps(700).unwrap();
                sim.set_egp(EgpOwner::group("DA"), "inject_dopamine", &[1.0]).unwrap();
                sim.step().unwrap();
                sim.set_egp(EgpOwner::group("DA"), "inject_dopamine", &[0.0]).unwrap();
                sim.run_steps(steps - 701).unwrap();
            };
            let Some((mut gpu, _)) = assert_same_plastic(backend, &net, &["DA"], &drive) else {
                return;
            };
            assert!(gpu.spikes("Izh").unwrap().len() > 100);
            // The delivery reached every synapse: the ones updated by no
            // spike since have t_last at the event time (700 ms).
            let t_last = gpu.synapse_var_values("DA", "t_last").unwrap();
            assert!(t_last.iter().all(|&t| t > 0.0));
        }
    }

    fn host_updates_between_steps(backend) {
        // set_current_source_var_values and set_spike_recording: equal to
        // the CPU, nothing recorded is lost, steps while off are dropped.
        let mut net = Network::new(0.5).unwrap();
        let p = net
            .add_population("LIF", 20, lif(-60.0))
            .init("v", VarInit::uniform(-70.0, -60.0))
            .init("refrac_time", 0.0)
            .record_spikes(true)
            .build()
            .unwrap();
        net.add_current_source(
            "Noise",
            p,
            PoissonExp { weight: 1.0, tau_syn: 2.0, rate: 0.0 },
        )
        .init("current", 0.0)
        .build()
        .unwrap();
        let drive = |sim: &mut dyn Simulation| {
            sim.run_steps(100).unwrap();
            let current: Vec<f64> = (0..20).map(|i| 20.0 + i as f64).collect();
            sim.set_current_source_var_values("Noise", "current", &current).unwrap();
            sim.run_steps(150).unwrap();
            sim.set_spike_recording("LIF", false).unwrap();
            sim.set_current_source_var_values("Noise", "current", &current).unwrap();
            sim.run_steps(200).unwrap();
            sim.set_spike_recording("LIF", true).unwrap();
            sim.set_current_source_var_values("Noise", "current", &current).unwrap();
            sim.run_steps(150).unwrap();
        };
        let Some((mut gpu, _)) = assert_same_plastic(backend, &net, &[], &drive) else {
            return;
        };
        let s = gpu.spikes("LIF").unwrap();
        assert!(!s.is_empty());
        assert!(s.times.iter().any(|&t| t < 125.0), "spikes before the pause are kept");
        assert!(s.times.iter().all(|&t| !(125.0..225.0).contains(&t)), "none while off");
        assert!(s.times.iter().any(|&t| t >= 225.0), "spikes after the pause");
        assert_eq!(
            gpu.current_source_var_values("Noise", "current").unwrap().len(),
            20
        );
    }
}

/// A plastic network (pre/post variables, column-wise view, events)
/// initialised on the host and on the device runs identically on OpenCL.
#[test]
fn plastic_network_host_and_device_initialisation_on_opencl() {
    use snn::GpuSimulation;
    use snn_gpu::runtime::InitOn;
    use snn_kernels::dialect::Dialect;
    use snn_opencl_host::{DeviceSelection, OpenClDevice};
    if !TestBackend::OpenCl.check() {
        return;
    }
    let steps = 800;
    let mut net = Network::new(0.5).unwrap();
    let src = add_source(&mut net, "Src", &one_spike_per_step(20, 0.8, steps, 4));
    let dst = net
        .add_population("Dst", 15, lif(-60.0))
        .init("v", VarInit::uniform(-70.0, -60.0))
        .init("refrac_time", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    net.add_synapse_group("S", src, dst, stdp_additive(), DeltaCurr)
        .connectivity(Connectivity::FixedProbability {
            p: 0.5,
            autapses: true,
        })
        .wu_init("g", VarInit::uniform(2.0, 4.0))
        .pre_init("x", VarInit::uniform(0.0, 1.0))
        .post_init("y", VarInit::uniform(0.0, 1.0))
        .build()
        .unwrap();
    let mut results = Vec::new();
    for init_on in [InitOn::Device, InitOn::Host] {
        let dev = OpenClDevice::new(DeviceSelection::Any).unwrap();
        let mut gpu = GpuSimulation::with_init(dev, &net, Dialect::OpenCl, init_on).unwrap();
        gpu.run_steps(steps).unwrap();
        results.push((
            gpu.spikes("Dst").unwrap(),
            gpu.synapse_var_values("S", "g").unwrap(),
            gpu.neuron_side_var_values("S", Side::Pre, "x").unwrap(),
            gpu.neuron_side_var_values("S", Side::Post, "y").unwrap(),
        ));
    }
    assert!(
        results[0].0.len() > 20,
        "too few spikes: {}",
        results[0].0.len()
    );
    assert_eq!(results[0], results[1]);
}
