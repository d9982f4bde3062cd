//! Plasticity semantics of every backend (docs/ARCHITECTURE.md, "Semantics
//! of one step"): `on_pre_spike` / `on_pre_event` (step 1), `on_post_spike`
//! through the column-wise view (step 2), `synapse_dynamics` (step 3),
//! spike times, `pre_spike` / `post_spike` and spike-like events after the
//! neuron update (step 5), and the host API that goes with them (`set_egp`,
//! `neuron_side_var_values`, `set_current_source_var_values`,
//! `set_spike_recording`).
//!
//! Inputs are `SpikeSourceArray` populations spiking in chosen steps, so
//! every spike time is known and the expected values are computed here with
//! the models' own expressions, in the network precision (`exp` through
//! `snn_core::math::Elementary`, what model code calls on every backend), so
//! every backend must match them exactly.

use crate::common::add_source;
use snn::prelude::*;
use snn::testing::TestBackend;
use snn_core::math::Elementary;

/// Compares a state value with its expected value exactly (on `backend`).
fn assert_close(backend: TestBackend, got: f64, want: f64, what: &str) {
    assert!(
        got == want,
        "{what} on {}: got {got:e}, want {want:e}",
        backend.name()
    );
}

fn add_target(net: &mut Network, name: &str, steps: &[Vec<u64>]) -> PopulationId {
    add_source(net, name, steps)
}

fn stdp_additive() -> StdpAdditive {
    StdpAdditive {
        tau_plus: 16.8,
        tau_minus: 33.7,
        a_plus: 0.25,
        a_minus: 0.125,
        w_min: 0.0,
        w_max: 2.0,
    }
}

/// `exp(-(later - earlier) / tau)` with spike times `step * dt`, in `f32`,
/// written like the models (`(-(a - b) / tau).exp()`, which model code
/// evaluates with [`Elementary::exp`]).
fn decay32(later: u64, earlier: u64, dt: f64, tau: f64) -> f32 {
    let (a, b) = ((later as f64 * dt) as f32, (earlier as f64 * dt) as f32);
    Elementary::exp(-(a - b) / tau as f32)
}

/// Minimal neuron whose variable `v` counts steps (`v = s + 1` after step
/// `s`); never spikes.
#[neuron_model]
pub struct Ramp {
    #[var]
    v: Scalar,
}

#[neuron_model]
impl Ramp {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.v += 1.0;
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.v < -1.0
    }
}

/// Records the synaptic input current of the current step in `i`.
#[neuron_model]
pub struct Probe {
    #[var]
    i: Scalar,
}

#[neuron_model]
impl Probe {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.i = env.isyn();
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.i > 1.0e30
    }
}

/// Spike-like events gated by an extra global parameter; the synapse code
/// stores the event times it sees and counts deliveries.
#[weight_update_model]
pub struct GatedEvents {
    #[var]
    seen: Scalar,
    #[var]
    prev_seen: Scalar,
    #[var]
    count: Scalar,
    #[egp]
    gate: Scalar,
}

#[weight_update_model]
impl GatedEvents {
    fn on_pre_event(&mut self, env: &mut WeightUpdateEnv) {
        self.seen = env.set_pre();
        self.prev_seen = env.prev_set_pre();
        self.count += 1.0;
    }
    fn event_threshold(&self, env: &WeightUpdateEnv) -> bool {
        self.gate[0] > 0.5
    }
}

/// Spike-like events while the presynaptic neuron's `v` is in (2.5, 4.5);
/// the synapse code stores `v` as it sees it.
#[weight_update_model]
pub struct RampEvents {
    #[var]
    seen: Scalar,
    #[var]
    prev_seen: Scalar,
    #[var]
    v_seen: Scalar,
    #[var]
    count: Scalar,
    #[pre_neuron_var(v)]
    v_pre: Scalar,
}

#[weight_update_model]
impl RampEvents {
    fn on_pre_event(&mut self, env: &mut WeightUpdateEnv) {
        self.seen = env.set_pre();
        self.prev_seen = env.prev_set_pre();
        self.v_seen = self.v_pre;
        self.count += 1.0;
    }
    fn event_threshold(&self, env: &WeightUpdateEnv) -> bool {
        self.v_pre > 2.5 && self.v_pre < 4.5
    }
}

/// `acc` integrates `dt` every step.
#[weight_update_model]
pub struct Clock {
    #[var]
    acc: Scalar,
}

#[weight_update_model]
impl Clock {
    fn synapse_dynamics(&mut self, env: &mut WeightUpdateEnv) {
        self.acc += env.dt();
    }
}

/// Adds `g` to the target's input every step.
#[weight_update_model]
pub struct Leak {
    #[var]
    g: Scalar,
}

#[weight_update_model]
impl Leak {
    fn synapse_dynamics(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post(self.g);
    }
}

/// Counts spikes on both sides and keeps the spike times `pre_spike` sees;
/// the synapse code counts postsynaptic spikes per synapse and keeps the
/// presynaptic spike time `on_post_spike` sees.
#[weight_update_model]
pub struct Counters {
    #[var]
    hits: Scalar,
    #[var]
    st_pre_seen: Scalar,
    #[pre_var]
    n_pre: Scalar,
    #[pre_var]
    last: Scalar,
    #[pre_var]
    before_last: Scalar,
    #[post_var]
    n_post: Scalar,
    #[post_var]
    last_post: Scalar,
}

#[weight_update_model]
impl Counters {
    fn on_post_spike(&mut self, env: &mut WeightUpdateEnv) {
        self.hits += 1.0;
        self.st_pre_seen = env.st_pre();
    }
    fn pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        self.n_pre += 1.0;
        self.last = env.st_pre();
        self.before_last = env.prev_st_pre();
    }
    fn post_spike(&mut self, env: &mut WeightUpdateEnv) {
        self.n_post += 1.0;
        self.last_post = env.st_post();
    }
}

/// A current source injecting its variable `amp`.
#[current_source_model]
pub struct VarDc {
    #[var]
    amp: Scalar,
}

#[current_source_model]
impl VarDc {
    fn inject(&mut self, env: &mut CurrentSourceEnv) {
        env.inject_current(self.amp);
    }
}

fn one_to_one(pre: &[u32], post: &[u32]) -> Connectivity {
    Connectivity::Explicit {
        pre: pre.to_vec(),
        post: post.to_vec(),
    }
}

snn::backend_tests! {
    fn stdp_additive_pairings_traces_and_clamping(backend) {
        // Five independent synapses (f32, dt = 0.5 ms):
        // 0: pre at 4, post at 10 (potentiation);
        // 1: post at 3, pre at 12 (depression);
        // 2: pre at 2 and 9, no post (trace x only);
        // 3: pre at 1, post at 2 with a huge a_plus in its own group (clamped at w_max);
        // 4: no spikes (unchanged).
        let dt = 0.5;
        let mut net = Network::new(dt).unwrap();
        let pre = add_source(&mut net, "Pre", &[vec![4], vec![12], vec![2, 9], vec![], vec![]]);
        let post = add_target(&mut net, "Post", &[vec![10], vec![3], vec![], vec![], vec![]]);
        let pre2 = add_source(&mut net, "Pre2", &[vec![1]]);
        let post2 = add_target(&mut net, "Post2", &[vec![2]]);
        let p = stdp_additive();
        let g0 = 1.0;
        net.add_synapse_group("Stdp", pre, post, p.clone(), DeltaCurr {})
            .connectivity(Connectivity::OneToOne)
            .wu_init("g", g0)
            .pre_init("x", 0.0)
            .post_init("y", 0.0)
            .build()
            .unwrap();
        let big = StdpAdditive { a_plus: 10.0, ..p.clone() };
        net.add_synapse_group("Clamped", pre2, post2, big, DeltaCurr {})
            .connectivity(Connectivity::OneToOne)
            .wu_init("g", g0)
            .pre_init("x", 0.0)
            .post_init("y", 0.0)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };

        // Before the post spike of synapse 0 is processed (step 11), g is g0.
        sim.run_steps(11).unwrap();
        let g = sim.synapse_var_values("Stdp", "g").unwrap();
        assert_eq!(g[0], g0, "no potentiation before step 11");
        // Synapse 1: depression was applied by the pre spike of step 12 only in step 13.
        assert_eq!(g[1], g0, "no depression before step 13");
        sim.run_steps(9).unwrap();

        let g = sim.synapse_var_values("Stdp", "g").unwrap();
        let (a_plus, a_minus) = (p.a_plus as f32, p.a_minus as f32);
        let (w_min, w_max) = (p.w_min as f32, p.w_max as f32);
        let g0f = g0 as f32;
        let pot = (g0f + a_plus * (1.0f32 * decay32(10, 4, dt, p.tau_plus))).max(w_min).min(w_max);
        let dep = (g0f - a_minus * (1.0f32 * decay32(12, 3, dt, p.tau_minus))).max(w_min).min(w_max);
        assert!(pot > g0f && dep < g0f);
        assert_close(backend, g[0], pot as f64, "pre-before-post potentiation");
        assert_close(backend, g[1], dep as f64, "post-before-pre depression");
        assert_eq!(g[2], g0, "synapse 2 (no post spike)");
        assert_eq!(g[4], g0, "synapse 4 (no spikes)");
        let clamped = sim.synapse_var_values("Clamped", "g").unwrap();
        assert_eq!(clamped, vec![p.w_max], "clamped at w_max");

        // Traces: x after the pre spikes, y after the post spikes.
        let x = sim.neuron_side_var_values("Stdp", Side::Pre, "x").unwrap();
        let y = sim.neuron_side_var_values("Stdp", Side::Post, "y").unwrap();
        let x2 = 1.0f32 * decay32(9, 2, dt, p.tau_plus) + 1.0;
        assert_eq!(x[0], 1.0);
        assert_eq!(x[1], 1.0);
        assert_close(backend, x[2], x2 as f64, "trace x after two pre spikes");
        assert_eq!(&x[3..], &[0.0, 0.0]);
        assert_eq!(y, vec![1.0, 1.0, 0.0, 0.0, 0.0]);
    }

    fn stdp_multiplicative_potentiation(backend) {
        let dt = 1.0;
        let mut net = Network::new(dt).unwrap();
        let pre = add_source(&mut net, "Pre", &[vec![5]]);
        let post = add_target(&mut net, "Post", &[vec![12]]);
        let p = StdpMultiplicative {
            tau_plus: 20.0,
            tau_minus: 20.0,
            a_plus: 0.5,
            a_minus: 0.5,
            w_min: 0.0,
            w_max: 3.0,
        };
        net.add_synapse_group("Stdp", pre, post, p.clone(), DeltaCurr {})
            .connectivity(Connectivity::OneToOne)
            .wu_init("g", 1.0)
            .pre_init("x", 0.0)
            .post_init("y", 0.0)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        sim.run_steps(20).unwrap();
        let g = sim.synapse_var_values("Stdp", "g").unwrap()[0];
        let x = 1.0f32 * decay32(12, 5, dt, p.tau_plus);
        let mut want = 1.0f32;
        want += p.a_plus as f32 * (p.w_max as f32 - want) * x;
        assert!(want > 1.0);
        assert_close(backend, g, want as f64, "multiplicative potentiation");
    }

    fn on_pre_event_with_egp_threshold_sees_event_times(backend) {
        let dt = 0.25;
        let mut net = Network::new(dt).unwrap();
        let pre = net.add_population("Pre", 2, Ramp).init("v", 0.0).build().unwrap();
        let post = add_target(&mut net, "Post", &[vec![0]]);
        net.add_synapse_group("Ev", pre, post, GatedEvents, DeltaCurr {})
            .connectivity(Connectivity::AllToAll { autapses: true })
            .wu_init("seen", 0.0)
            .wu_init("prev_seen", 0.0)
            .wu_init("count", 0.0)
            .wu_egp("gate", vec![0.0])
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        let no_spike = -(f32::MAX as f64);
        let mut counts = Vec::new();
        for step in 0..12u64 {
            let gate = if step == 3 || step == 7 { 1.0 } else { 0.0 };
            sim.set_egp(EgpOwner::group("Ev"), "gate", &[gate]).unwrap();
            sim.step().unwrap();
            counts.push(sim.synapse_var_values("Ev", "count").unwrap());
            if step == 4 {
                assert_eq!(sim.synapse_var_values("Ev", "seen").unwrap(), vec![3.0 * dt; 2]);
                assert_eq!(sim.synapse_var_values("Ev", "prev_seen").unwrap(), vec![no_spike; 2]);
            }
        }
        // Events in steps 3 and 7 are delivered in steps 4 and 8.
        for (step, c) in counts.iter().enumerate() {
            let want = match step {
                0..=3 => 0.0,
                4..=7 => 1.0,
                _ => 2.0,
            };
            assert_eq!(c, &vec![want; 2], "count after step {step}");
        }
        assert_eq!(sim.synapse_var_values("Ev", "seen").unwrap(), vec![7.0 * dt; 2]);
        assert_eq!(sim.synapse_var_values("Ev", "prev_seen").unwrap(), vec![3.0 * dt; 2]);
    }

    fn on_pre_event_with_pre_neuron_var_threshold(backend) {
        // Pre `v` is s + 1 after step s: the condition holds after steps 2
        // and 3 (v = 3, 4); the events are delivered in steps 3 and 4,
        // where the synapse code sees v as of the end of the previous step.
        let dt = 1.0;
        let mut net = Network::new(dt).unwrap();
        let pre = net.add_population("Pre", 3, Ramp).init("v", 0.0).build().unwrap();
        let post = add_target(&mut net, "Post", &[vec![0], vec![]]);
        net.add_synapse_group("Ev", pre, post, RampEvents, DeltaCurr {})
            .connectivity(one_to_one(&[0, 2], &[0, 1]))
            .wu_init("seen", 0.0)
            .wu_init("prev_seen", 0.0)
            .wu_init("v_seen", 0.0)
            .wu_init("count", 0.0)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        sim.run_steps(3).unwrap();
        assert_eq!(sim.synapse_var_values("Ev", "count").unwrap(), vec![0.0, 0.0]);
        sim.step().unwrap();
        assert_eq!(sim.synapse_var_values("Ev", "count").unwrap(), vec![1.0, 1.0]);
        assert_eq!(sim.synapse_var_values("Ev", "v_seen").unwrap(), vec![3.0, 3.0]);
        assert_eq!(sim.synapse_var_values("Ev", "seen").unwrap(), vec![2.0, 2.0]);
        sim.run_steps(6).unwrap();
        assert_eq!(sim.synapse_var_values("Ev", "count").unwrap(), vec![2.0, 2.0]);
        assert_eq!(sim.synapse_var_values("Ev", "v_seen").unwrap(), vec![4.0, 4.0]);
        assert_eq!(sim.synapse_var_values("Ev", "seen").unwrap(), vec![3.0, 3.0]);
        assert_eq!(sim.synapse_var_values("Ev", "prev_seen").unwrap(), vec![2.0, 2.0]);

        // The threshold and the synapse code follow host writes of the
        // referenced variable.
        sim.set_var_values(pre, "v", &[2.0, 0.0, 0.0]).unwrap();
        sim.step().unwrap(); // v = 3 for neuron 0: event in step 10
        sim.set_var_values(pre, "v", &[7.0, 0.0, 0.0]).unwrap();
        sim.step().unwrap(); // delivered in step 11, seeing v = 7; v = 8: no event
        sim.step().unwrap();
        assert_eq!(sim.synapse_var_values("Ev", "count").unwrap(), vec![3.0, 2.0]);
        assert_eq!(sim.synapse_var_values("Ev", "seen").unwrap(), vec![10.0, 3.0]);
        assert_eq!(sim.synapse_var_values("Ev", "prev_seen").unwrap(), vec![3.0, 2.0]);
        assert_eq!(sim.synapse_var_values("Ev", "v_seen").unwrap(), vec![7.0, 4.0]);
    }

    fn synapse_dynamics_runs_every_step(backend) {
        let dt = 0.5;
        let mut net = Network::new(dt).unwrap();
        let pre = net.add_population("Pre", 3, Ramp).init("v", 0.0).build().unwrap();
        let probe = net.add_population("Probe", 2, Probe).init("i", 0.0).build().unwrap();
        net.add_synapse_group("Clock", pre, probe, Clock, DeltaCurr {})
            .connectivity(Connectivity::AllToAll { autapses: true })
            .wu_init("acc", 0.0)
            .build()
            .unwrap();
        // Probe 0 gets 1 + 8 + 2, probe 1 gets 4 every step.
        net.add_synapse_group("Leak", pre, probe, Leak, DeltaCurr {})
            .connectivity(one_to_one(&[0, 1, 2, 0], &[0, 0, 0, 1]))
            .wu_init("g", vec![1.0, 8.0, 2.0, 4.0])
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        for s in 0..7u64 {
            sim.step().unwrap();
            let acc = sim.synapse_var_values("Clock", "acc").unwrap();
            assert_eq!(acc, vec![(s + 1) as f64 * dt; 6], "acc after step {s}");
            assert_eq!(sim.var_values(probe, "i").unwrap(), vec![11.0, 4.0], "input in step {s}");
        }
    }

    fn pre_and_post_spike_code_and_column_view(backend) {
        // Three presynaptic sources, all-to-all onto a post population
        // spanning two CPU blocks (4100 neurons): the post neurons used are
        // 1 and 4099; post 0 and the others never spike.
        let dt = 0.5;
        let mut net = Network::new(dt).unwrap();
        let pre = add_source(&mut net, "Pre", &[vec![0, 7], vec![1], vec![2, 3, 8]]);
        let mut post_steps = vec![vec![]; 4100];
        post_steps[1] = vec![2, 5];
        post_steps[4099] = vec![4];
        let post = add_target(&mut net, "Post", &post_steps);
        let posts = [0u32, 1, 4099];
        let (mut ps, mut qs) = (Vec::new(), Vec::new());
        for i in 0..3u32 {
            for &j in &posts {
                ps.push(i);
                qs.push(j);
            }
        }
        net.add_synapse_group("C", pre, post, Counters, DeltaCurr {})
            .connectivity(one_to_one(&ps, &qs))
            .wu_init("hits", 0.0)
            .wu_init("st_pre_seen", -1.0)
            .pre_init("n_pre", 0.0)
            .pre_init("last", 0.0)
            .pre_init("before_last", 0.0)
            .post_init("n_post", 0.0)
            .post_init("last_post", 0.0)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        sim.run_steps(6).unwrap();
        // Post 1's spike of step 5 is not processed yet; post 4099's of step 4 is.
        let hits = sim.synapse_var_values("C", "hits").unwrap();
        assert_eq!(hits, vec![0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
        sim.run_steps(6).unwrap();
        let hits = sim.synapse_var_values("C", "hits").unwrap();
        assert_eq!(hits, vec![0.0, 2.0, 1.0, 0.0, 2.0, 1.0, 0.0, 2.0, 1.0]);
        // Spike times of the presynaptic neurons as of the end of steps 5 and 4.
        let seen = sim.synapse_var_values("C", "st_pre_seen").unwrap();
        let st = |k: u64| k as f64 * dt;
        assert_eq!(
            seen,
            vec![-1.0, st(0), st(0), -1.0, st(1), st(1), -1.0, st(3), st(3)]
        );

        let no_spike = -(f32::MAX as f64);
        assert_eq!(sim.neuron_side_var_values("C", Side::Pre, "n_pre").unwrap(), vec![2.0, 1.0, 3.0]);
        assert_eq!(sim.neuron_side_var_values("C", Side::Pre, "last").unwrap(), vec![st(7), st(1), st(8)]);
        assert_eq!(
            sim.neuron_side_var_values("C", Side::Pre, "before_last").unwrap(),
            vec![st(0), no_spike, st(3)]
        );
        let n_post = sim.neuron_side_var_values("C", Side::Post, "n_post").unwrap();
        let st_post = sim.neuron_side_var_values("C", Side::Post, "last_post").unwrap();
        assert_eq!(n_post.len(), 4100);
        for (j, (&n, &t)) in n_post.iter().zip(&st_post).enumerate() {
            let (want_n, want_t) = match j {
                1 => (2.0, st(5)),
                4099 => (1.0, st(4)),
                _ => (0.0, 0.0),
            };
            assert_eq!((n, t), (want_n, want_t), "post neuron {j}");
        }
    }

    fn dopamine_stdp_pairing_and_delivery(backend) {
        // f64, dt = 1 ms: pre spike at 10, post spike at 15 (eligibility
        // c = a_plus exp(-5 / tau_plus)), dopamine delivered at 30, pre
        // spike at 50: the weight integrates c(t) d(t) from 30 to 50.
        let dt = 1.0;
        let mut net = Network::new(dt).unwrap();
        net.set_precision(Precision::F64);
        let pre = add_source(&mut net, "Pre", &[vec![10, 50]]);
        let post = add_target(&mut net, "Post", &[vec![15]]);
        let p = DopamineStdp {
            tau_plus: 20.0,
            tau_minus: 20.0,
            tau_c: 100.0,
            tau_d: 20.0,
            a_plus: 1.0,
            a_minus: 1.5,
            d_amount: 0.5,
            w_min: 0.0,
            w_max: 10.0,
        };
        let g0 = 1.0;
        net.add_synapse_group("Da", pre, post, p.clone(), DeltaCurr {})
            .connectivity(Connectivity::OneToOne)
            .wu_init("g", g0)
            .wu_init("c", 0.0)
            .wu_init("t_last", 0.0)
            .wu_egp("inject_dopamine", vec![0.0])
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        let var = |sim: &dyn Simulation, v: &str| sim.synapse_var_values("Da", v).unwrap()[0];
        let c1 = p.a_plus * Elementary::exp(-5.0 / p.tau_plus);
        let c2 = c1 * Elementary::exp(-15.0 / p.tau_c);
        for step in 0..60u64 {
            let flag = if step == 30 { 1.0 } else { 0.0 };
            sim.set_egp(EgpOwner::group("Da"), "inject_dopamine", &[flag]).unwrap();
            sim.step().unwrap();
            match step {
                16 => {
                    assert_close(backend, var(&*sim, "c"), c1, "c after the pairing");
                    assert_eq!(var(&*sim, "t_last"), 15.0);
                }
                31 => {
                    assert_close(backend, var(&*sim, "c"), c2, "c at the delivery");
                    assert_eq!(var(&*sim, "t_last"), 30.0, "delivery integrated in step 31");
                    assert_eq!(var(&*sim, "g"), g0, "no dopamine before the delivery");
                }
                50 => assert_eq!(var(&*sim, "g"), g0, "g before the pre spike is processed"),
                _ => {}
            }
        }
        // Closed form: g += int_30^50 c2 e^{-(t-30)/tau_c} d e^{-(t-30)/tau_d} dt.
        let tau_cd = 1.0 / (1.0 / p.tau_c + 1.0 / p.tau_d);
        let want = g0 + c2 * p.d_amount * tau_cd * (1.0 - (-20.0 / tau_cd).exp());
        let g = var(&*sim, "g");
        assert!(g > g0 + 0.1, "dopamine potentiated the synapse: {g}");
        assert!((g - want).abs() <= 1e-12 * want, "g = {g}, closed form {want}");
        let c3 = c2 * (-20.0 / p.tau_c).exp() - p.a_minus * (-35.0 / p.tau_minus).exp();
        assert!((var(&*sim, "c") - c3).abs() <= 1e-12, "c = {}, want {c3}", var(&*sim, "c"));
    }

    fn host_api_errors(backend) {
        let mut net = Network::new(1.0).unwrap();
        let pre = add_source(&mut net, "Pre", &[vec![1]]);
        let quiet = net.add_population("Quiet", 1, Ramp).init("v", 0.0).build().unwrap();
        net.add_synapse_group("Stdp", pre, quiet, stdp_additive(), DeltaCurr {})
            .connectivity(Connectivity::OneToOne)
            .wu_init("g", 1.0)
            .pre_init("x", 0.0)
            .post_init("y", 0.0)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        let msg = |e: Error| e.to_string();
        let owner = EgpOwner::population(pre);
        let e = msg(sim.set_egp(owner.clone(), "nope", &[1.0]).unwrap_err());
        assert!(e.contains("nope") && e.contains("spike_times"), "{e}");
        let e = msg(sim.set_egp(owner.clone(), "spike_times", &[1.0, 2.0]).unwrap_err());
        assert!(e.contains("2 values") && e.contains("built with 1"), "{e}");
        let e = msg(sim.set_egp(owner, "spike_times", &[f64::NAN]).unwrap_err());
        assert!(e.contains("non-finite"), "{e}");
        let e = msg(sim.set_egp(EgpOwner::group("Nope"), "g", &[]).unwrap_err());
        assert!(e.contains("Nope"), "{e}");
        let e = msg(sim.neuron_side_var_values("Stdp", Side::Pre, "y").unwrap_err());
        assert!(e.contains("`y`") && e.contains("x"), "{e}");
        let e = msg(sim.neuron_side_var_values("Stdp", Side::Post, "x").unwrap_err());
        assert!(e.contains("`x`"), "{e}");
        let e = msg(sim.set_spike_recording(quiet, true).unwrap_err());
        assert!(e.contains("Quiet") && e.contains("record_spikes"), "{e}");
        let e = msg(sim.set_current_source_var_values("Nope", "amp", &[1.0]).unwrap_err());
        assert!(e.contains("Nope"), "{e}");
        // Valid calls still work.
        sim.set_egp(EgpOwner::population(pre), "spike_times", &[3.0]).unwrap();
        sim.run_steps(5).unwrap();
        let spikes = sim.spikes(pre).unwrap();
        assert_eq!(spikes.times, vec![3.0], "the new spike time is used");
    }

    fn spike_recording_off_and_on(backend) {
        let dt = 1.0;
        let mut net = Network::new(dt).unwrap();
        net.recording_chunk_steps = 4;
        let steps: Vec<u64> = (0..30).collect();
        let src = add_source(&mut net, "Src", &[steps.clone(), vec![2, 12, 25]]);
        let Some(mut sim) = backend.build(&net) else { return };
        sim.run_steps(10).unwrap();
        sim.set_spike_recording(src, false).unwrap();
        sim.run_steps(10).unwrap();
        let during = sim.spikes(src).unwrap();
        sim.set_spike_recording(src, true).unwrap();
        sim.run_steps(10).unwrap();
        let all = sim.spikes(src).unwrap();
        let mut want: Vec<(f64, u32)> = (0..30u64)
            .filter(|s| !(10..20).contains(s))
            .map(|s| (s as f64, 0))
            .chain([(2.0, 1), (25.0, 1)])
            .collect();
        want.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let got: Vec<(f64, u32)> = all.times.iter().copied().zip(all.ids.iter().copied()).collect();
        assert_eq!(got, want);
        assert_eq!(during.len(), 11, "10 + 1 spikes recorded before turning off");
    }

    fn current_source_values_from_the_host(backend) {
        let mut net = Network::new(1.0).unwrap();
        let probe = net.add_population("Probe", 3, Probe).init("i", 0.0).build().unwrap();
        net.add_current_source("Dc", probe, VarDc).init("amp", 1.5).build().unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        sim.step().unwrap();
        assert_eq!(sim.var_values(probe, "i").unwrap(), vec![1.5; 3]);
        sim.set_current_source_var_values("Dc", "amp", &[1.0, -2.0, 0.25]).unwrap();
        assert_eq!(sim.current_source_var_values("Dc", "amp").unwrap(), vec![1.0, -2.0, 0.25]);
        sim.step().unwrap();
        assert_eq!(sim.var_values(probe, "i").unwrap(), vec![1.0, -2.0, 0.25]);
        let e = sim.set_current_source_var_values("Dc", "amp", &[1.0]).unwrap_err();
        assert!(e.to_string().contains("Dc"), "{e}");
        let e = sim.set_current_source_var_values("Dc", "nope", &[1.0; 3]).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
    }
}

#[test]
fn axonal_delay_with_presynaptic_spike_times_is_rejected() {
    let mut net = Network::new(1.0).unwrap();
    let pre = add_source(&mut net, "Pre", &[vec![1]]);
    let post = add_target(&mut net, "Post", &[vec![2]]);
    let e = net
        .add_synapse_group("Stdp", pre, post, stdp_additive(), DeltaCurr {})
        .connectivity(Connectivity::OneToOne)
        .wu_init("g", 1.0)
        .pre_init("x", 0.0)
        .post_init("y", 0.0)
        .axonal_delay(2)
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Stdp") && e.contains("presynaptic spike times") && e.contains("axonal delay 2"),
        "{e}"
    );
    // Without the delay it builds, and a static synapse may have one.
    net.add_synapse_group("Stdp", pre, post, stdp_additive(), DeltaCurr {})
        .connectivity(Connectivity::OneToOne)
        .wu_init("g", 1.0)
        .pre_init("x", 0.0)
        .post_init("y", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("Static", pre, post, StaticPulse, DeltaCurr {})
        .connectivity(Connectivity::OneToOne)
        .wu_init("g", 1.0)
        .axonal_delay(2)
        .build()
        .unwrap();
}
