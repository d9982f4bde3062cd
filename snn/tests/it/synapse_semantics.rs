//! Synaptic input semantics of every backend (docs/ARCHITECTURE.md, "Semantics"):
//! step `t` = synapse update (spikes emitted in step `t-1-d` for axonal delay
//! `d` are propagated into the target's `in_syn`, or into its dendritic-delay
//! ring `dd` slots ahead), then neuron update (postsynaptic `apply_input`,
//! current sources, `sim`, threshold, reset, postsynaptic `decay`).
//!
//! So a spike emitted in step `s` becomes input current in step
//! `s + 1 + d + dd`. Inputs are observed through a probe neuron that copies
//! `Isyn` into a variable each step, through `in_syn`, and through the
//! membrane of a non-spiking `Lif` (exact integration, inverted in closed form).
//!
//! Every simulation test runs on every backend (`snn::backend_tests!`) with
//! the same exact checks. Where several inputs reach one target in one step,
//! the GPU adds them atomically in an unspecified order; the weights used
//! here (1, 10, 100 and small integers) add exactly in any order, so no
//! tolerance is needed. `exp(-dt/tau)` is a derived parameter computed on the
//! host, so no device transcendental is involved.

use crate::common::add_source;
use snn::prelude::*;

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

const DT: f64 = 0.1;

fn add_probe(net: &mut Network, name: &str, n: u32) -> PopulationId {
    net.add_population(name, n, Probe)
        .init("i", 0.0)
        .build()
        .unwrap()
}

/// Runs `steps` steps and returns, per step, the probe's `i` for every neuron.
fn probe_trace(sim: &mut dyn Simulation, probe: PopulationId, steps: usize) -> Vec<Vec<f64>> {
    (0..steps)
        .map(|_| {
            sim.step().unwrap();
            sim.var_values(probe, "i").unwrap()
        })
        .collect()
}

/// Steps in which neuron `j` of a probe trace received non-zero input.
fn input_steps(trace: &[Vec<f64>], j: usize) -> Vec<u64> {
    trace
        .iter()
        .enumerate()
        .filter(|(_, row)| row[j] != 0.0)
        .map(|(t, _)| t as u64)
        .collect()
}

fn single(pre: u32, post: u32) -> Connectivity {
    Connectivity::Explicit {
        pre: vec![pre],
        post: vec![post],
    }
}

snn::backend_tests! {
    fn exp_curr_in_syn_decays_exponentially_and_current_is_scaled_by_init(backend) {
        // One spike in step s = 5 through StaticPulse weight w = 2.5 into ExpCurr
        // (tau = 5 ms) on a probe and on a non-spiking Lif; f64 throughout.
        let (s, w, tau) = (5u64, 2.5, 5.0);
        let mut net = Network::new(DT).unwrap();
        net.set_precision(Precision::F64);
        let pre = add_source(&mut net, "Pre", &[vec![s]]);
        let probe = add_probe(&mut net, "Probe", 1);
        let lif_p = Lif {
            c: 0.5,
            tau_m: 10.0,
            v_rest: -65.0,
            v_reset: -65.0,
            v_thresh: 1e9,
            i_offset: 0.0,
            tau_refrac: 0.0,
        };
        let lif = net
            .add_population("Lif", 1, lif_p.clone())
            .init("v", -65.0)
            .init("refrac_time", 0.0)
            .build()
            .unwrap();
        for (name, post) in [("ToProbe", probe), ("ToLif", lif)] {
            net.add_synapse_group(name, pre, post, StaticPulse, ExpCurr { tau })
                .connectivity(Connectivity::OneToOne)
                .wu_init("g", w)
                .build()
                .unwrap();
        }
        let Some(mut sim) = backend.build(&net) else { return };
        let a = s + 1; // arrival step (no delay)
        let e = (-DT / tau).exp();
        let init = tau * (1.0 - e) / DT;
        let e_m = (-DT / lif_p.tau_m).exp();
        let r_m = lif_p.tau_m / lif_p.c;
        let mut v_prev = -65.0;
        let mut charge = 0.0;
        for t in 0..400u64 {
            sim.step().unwrap();
            let in_syn = sim.postsynaptic_var_values("ToProbe", "in_syn").unwrap()[0];
            let in_syn_lif = sim.postsynaptic_var_values("ToLif", "in_syn").unwrap()[0];
            let i_probe = sim.var_values(probe, "i").unwrap()[0];
            let v = sim.var_values(lif, "v").unwrap()[0];
            // Current that moved V this step, from the exact one-step solution
            // V_t - v_rest = (V_{t-1} - v_rest) e_m + I r_m (1 - e_m).
            let i_lif = ((v + 65.0) - (v_prev + 65.0) * e_m) / (r_m * (1.0 - e_m));
            v_prev = v;
            charge += i_probe * DT;
            if t < a {
                assert_eq!(
                    (in_syn, i_probe),
                    (0.0, 0.0),
                    "nothing may arrive before step {a} (step {t})"
                );
                assert_eq!(v, -65.0, "Lif at rest before the arrival (step {t})");
                continue;
            }
            let k = (t - a) as f64;
            // Tolerance 1e-12 relative: in_syn is multiplied by the rounded
            // exp(-dt/tau) once per step (<= 400 roundings of 1.1e-16).
            let want_in_syn = w * (-(k + 1.0) * DT / tau).exp();
            assert!(
                ((in_syn - want_in_syn) / want_in_syn).abs() < 1e-12,
                "step {t}: in_syn {in_syn} vs {want_in_syn}"
            );
            assert_eq!(in_syn, in_syn_lif, "same input, same in_syn");
            // The current injected in step t is init * (in_syn before the decay)
            // = init * w exp(-k dt/tau), init = tau (1 - exp(-dt/tau)) / dt.
            let want_i = init * w * (-k * DT / tau).exp();
            assert!(
                ((i_probe - want_i) / want_i).abs() < 1e-12,
                "step {t}: Isyn {i_probe} vs {want_i}"
            );
            // Lif inversion loses ~|V| eps / (r_m (1 - e_m) I) ~ 1e-12 relative
            // while I is large; once I has decayed the cancellation grows, so
            // compare absolutely at 1e-9 of the initial current.
            assert!(
                (i_lif - want_i).abs() < 1e-9 * init * w,
                "step {t}: current from dV {i_lif} vs {want_i}"
            );
        }
        // Total charge sum_k init w e^k dt = w tau (1 - e^400) (geometric series):
        // the ExpCurr normalisation makes a weight w deliver charge w * tau.
        let want_q = w * tau * (1.0 - (-((400 - a) as f64) * DT / tau).exp());
        assert!(
            (charge - want_q).abs() < 1e-10 * want_q,
            "charge {charge} vs {want_q}"
        );
        assert_eq!(sim.spikes(pre).unwrap().times, vec![s as f64 * DT]);
    }

    fn delta_curr_input_lasts_exactly_one_step(backend) {
        let (s, w) = (7u64, 1.75);
        let mut net = Network::new(DT).unwrap();
        net.set_precision(Precision::F64);
        let pre = add_source(&mut net, "Pre", &[vec![s]]);
        let probe = add_probe(&mut net, "Probe", 1);
        let lif_p = Lif {
            c: 1.0,
            tau_m: 10.0,
            v_rest: 0.0,
            v_reset: 0.0,
            v_thresh: 1e9,
            i_offset: 0.0,
            tau_refrac: 0.0,
        };
        let lif = net
            .add_population("Lif", 1, lif_p.clone())
            .init("v", 0.0)
            .init("refrac_time", 0.0)
            .build()
            .unwrap();
        for (name, post) in [("ToProbe", probe), ("ToLif", lif)] {
            net.add_synapse_group(name, pre, post, StaticPulse, DeltaCurr {})
                .wu_init("g", w)
                .build()
                .unwrap();
        }
        let Some(mut sim) = backend.build(&net) else { return };
        let e_m = (-DT / lif_p.tau_m).exp();
        let jump = w * (lif_p.tau_m / lif_p.c) * (1.0 - e_m);
        for t in 0..100u64 {
            sim.step().unwrap();
            let i = sim.var_values(probe, "i").unwrap()[0];
            let in_syn = sim.postsynaptic_var_values("ToProbe", "in_syn").unwrap()[0];
            let v = sim.var_values(lif, "v").unwrap()[0];
            assert_eq!(
                in_syn, 0.0,
                "DeltaCurr clears in_syn at the end of every step (step {t})"
            );
            if t == s + 1 {
                assert_eq!(i, w, "the weight is the current of the arrival step");
            } else {
                assert_eq!(i, 0.0, "no input outside the arrival step (step {t})");
            }
            // V: 0 before; jump = w r (1 - e) in the arrival step; then pure decay.
            // Tolerance 1e-12 relative (a few roundings per step).
            let want_v = if t <= s {
                0.0
            } else {
                jump * e_m.powi((t - s - 1) as i32)
            };
            assert!(
                (v - want_v).abs() <= 1e-12 * jump,
                "step {t}: V {v} vs {want_v}"
            );
        }
    }

    fn axonal_delay_arrives_at_s_plus_1_plus_d(backend) {
        // Pre neuron 0 spikes in steps 3 and 20; one group per delay d, each to
        // its own probe neuron; DeltaCurr so the input is visible in one step only.
        let delays = [0u32, 1, 5, 9];
        let spikes = [3u64, 20];
        for precision in [Precision::F32, Precision::F64] {
            let mut net = Network::new(DT).unwrap();
            net.set_precision(precision);
            let pre = add_source(&mut net, "Pre", &[spikes.to_vec()]);
            let probe = add_probe(&mut net, "Probe", delays.len() as u32);
            let probe_exp = add_probe(&mut net, "ProbeExp", delays.len() as u32);
            for (j, &d) in delays.iter().enumerate() {
                net.add_synapse_group(&format!("D{d}"), pre, probe, StaticPulse, DeltaCurr {})
                    .connectivity(single(0, j as u32))
                    .wu_init("g", 1.0)
                    .axonal_delay(d)
                    .build()
                    .unwrap();
                net.add_synapse_group(
                    &format!("E{d}"),
                    pre,
                    probe_exp,
                    StaticPulse,
                    ExpCurr { tau: 2.0 },
                )
                .connectivity(single(0, j as u32))
                .wu_init("g", 1.0)
                .axonal_delay(d)
                .build()
                .unwrap();
            }
            let Some(mut sim) = backend.build(&net) else { return };
            let mut trace = Vec::new();
            let mut first_in_syn = vec![None; delays.len()];
            for t in 0..60u64 {
                sim.step().unwrap();
                trace.push(sim.var_values(probe, "i").unwrap());
                for (j, &d) in delays.iter().enumerate() {
                    let x = sim
                        .postsynaptic_var_values(&format!("E{d}"), "in_syn")
                        .unwrap()[j];
                    if x != 0.0 && first_in_syn[j].is_none() {
                        first_in_syn[j] = Some(t);
                    }
                }
            }
            for (j, &d) in delays.iter().enumerate() {
                let want: Vec<u64> = spikes.iter().map(|&s| s + 1 + d as u64).collect();
                assert_eq!(
                    input_steps(&trace, j),
                    want,
                    "{precision:?} axonal delay {d}"
                );
                assert_eq!(
                    first_in_syn[j],
                    Some(spikes[0] + 1 + d as u64),
                    "{precision:?} ExpCurr in_syn, delay {d}"
                );
            }
        }
    }

    fn dendritic_delay_constant_per_group(backend) {
        // One group per dd (constant `d` init), max_dendritic_delay 10, including
        // the maximum itself.
        let dds = [0u32, 3, 7, 10];
        let spikes = [2u64, 15];
        let mut net = Network::new(DT).unwrap();
        let pre = add_source(&mut net, "Pre", &[spikes.to_vec()]);
        let probe = add_probe(&mut net, "Probe", dds.len() as u32);
        for (j, &dd) in dds.iter().enumerate() {
            net.add_synapse_group(
                &format!("DD{dd}"),
                pre,
                probe,
                StaticPulseDendriticDelay,
                DeltaCurr {},
            )
            .connectivity(single(0, j as u32))
            .wu_init("g", 1.0)
            .wu_init("d", dd as f64)
            .max_dendritic_delay(10)
            .build()
            .unwrap();
        }
        let Some(mut sim) = backend.build(&net) else { return };
        let trace = probe_trace(&mut *sim, probe, 60);
        for (j, &dd) in dds.iter().enumerate() {
            let want: Vec<u64> = spikes.iter().map(|&s| s + 1 + dd as u64).collect();
            assert_eq!(input_steps(&trace, j), want, "dendritic delay {dd}");
        }
    }

    fn dendritic_delay_heterogeneous_per_synapse_from_one_spike(backend) {
        // One presynaptic neuron to 4 probe neurons (all-to-all: row-major order =
        // ascending post index) with per-synapse delays [0, 3, 7, 10] and weights
        // 1..4; plus a multapse list: pre 0 -> post 4 three times with delays
        // 1, 4, 4 (the two dd = 4 inputs must add up in one step).
        let mut net = Network::new(DT).unwrap();
        net.set_precision(Precision::F64);
        let s = 4u64;
        let pre = add_source(&mut net, "Pre", &[vec![s]]);
        let probe = add_probe(&mut net, "Probe", 5);
        let fan = add_probe(&mut net, "Fan", 4);
        let dds = [0.0, 3.0, 7.0, 10.0];
        net.add_synapse_group(
            "Fan",
            pre,
            fan,
            StaticPulseDendriticDelay,
            ExpCurr { tau: 1.0 },
        )
        .wu_init("g", vec![1.0, 2.0, 3.0, 4.0])
        .wu_init("d", dds.to_vec())
        .max_dendritic_delay(10)
        .build()
        .unwrap();
        net.add_synapse_group("Multi", pre, probe, StaticPulseDendriticDelay, DeltaCurr {})
            .connectivity(Connectivity::Explicit {
                pre: vec![0, 0, 0],
                post: vec![4, 4, 4],
            })
            .wu_init("g", vec![1.0, 10.0, 100.0])
            .wu_init("d", vec![1.0, 4.0, 4.0])
            .max_dendritic_delay(10)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        assert_eq!(
            sim.synapse_var_values("Fan", "d").unwrap(),
            dds.to_vec(),
            "per-synapse delays stored in row-major order"
        );
        let mut fan_first = [None; 4];
        let mut multi = Vec::new();
        for t in 0..40u64 {
            sim.step().unwrap();
            let i = sim.var_values(fan, "i").unwrap();
            for (j, x) in i.iter().enumerate() {
                if *x != 0.0 && fan_first[j].is_none() {
                    fan_first[j] = Some((t, *x));
                }
            }
            let m = sim.var_values(probe, "i").unwrap()[4];
            if m != 0.0 {
                multi.push((t, m));
            }
        }
        let init = 1.0 * (1.0 - (-DT / 1.0f64).exp()) / DT; // ExpCurr scaling, tau = 1
        for (j, &dd) in dds.iter().enumerate() {
            let (t, x) = fan_first[j].expect("input arrives");
            assert_eq!(t, s + 1 + dd as u64, "synapse {j} with dd {dd}");
            let w = (j + 1) as f64;
            assert!(
                (x - init * w).abs() < 1e-12 * init * w,
                "synapse {j}: first current {x} vs {}",
                init * w
            );
        }
        // Multapses: weight 1 at s+2, weights 10 + 100 together at s+5 (exact in f64).
        assert_eq!(multi, vec![(s + 2, 1.0), (s + 5, 110.0)]);
    }

    fn dendritic_ring_wraps_around_with_many_spikes(backend) {
        // Irregular spike train from two presynaptic neurons over many more steps
        // than the ring has slots (max 10 -> 11 slots), dd = 7 and 10, axonal
        // delay 2: every spike of step s adds its weight exactly in step
        // s + 1 + 2 + dd, so the expected input per step is a count.
        let trains = [
            vec![0u64, 1, 2, 5, 11, 12, 13, 14, 30, 41, 52, 53],
            vec![1u64, 12, 13, 40, 41, 42],
        ];
        let weights = [1.0, 100.0];
        for dd in [7u32, 10] {
            let mut net = Network::new(DT).unwrap();
            net.set_precision(Precision::F64);
            let pre = add_source(&mut net, "Pre", &trains);
            let probe = add_probe(&mut net, "Probe", 1);
            net.add_synapse_group("S", pre, probe, StaticPulseDendriticDelay, DeltaCurr {})
                .wu_init("g", weights.to_vec())
                .wu_init("d", dd as f64)
                .axonal_delay(2)
                .max_dendritic_delay(10)
                .build()
                .unwrap();
            let Some(mut sim) = backend.build(&net) else { return };
            let trace = probe_trace(&mut *sim, probe, 90);
            let mut want = [0.0; 90];
            for (train, w) in trains.iter().zip(weights) {
                for &s in train {
                    want[(s + 3 + dd as u64) as usize] += w;
                }
            }
            let got: Vec<f64> = trace.iter().map(|r| r[0]).collect();
            assert_eq!(got, want.to_vec(), "dd = {dd}");
        }
    }
}

#[test]
fn dendritic_delay_beyond_max_is_rejected() {
    let mut net = Network::new(DT).unwrap();
    let pre = add_source(&mut net, "Pre", &[vec![1]]);
    let probe = add_probe(&mut net, "Probe", 1);
    let err = net
        .add_synapse_group("Late", pre, probe, StaticPulseDendriticDelay, DeltaCurr {})
        .wu_init("g", 1.0)
        .wu_init("d", 11.0)
        .max_dendritic_delay(10)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::DelayTooLarge {
                delay: 11,
                max: 10,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("`Late`"), "{err}");
}

/// Spikes once, in step 0.
#[neuron_model(auto_refractory = false)]
pub struct FireOnce {
    #[var]
    fired: Scalar,
}

#[neuron_model]
impl FireOnce {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.fired += 0.0;
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        env.t() < 0.5 * env.dt()
    }
}

/// Draws two uniforms into its variables at each presynaptic spike.
#[weight_update_model]
pub struct DrawOnSpike {
    #[var]
    u: Scalar,
    #[var]
    w: Scalar,
}

#[weight_update_model]
impl DrawOnSpike {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        self.u = env.rand_uniform();
        self.w = env.rand_uniform();
    }
}

snn::backend_tests! {
    fn synapse_draws_are_independent_for_every_presynaptic_neuron(backend) {
        // Presynaptic neurons i and i + 65,536 once drew the same numbers
        // (the call counter started at `pre << 16` in 32 bits). Every
        // synapse's draws are now its own: those of
        // `RngStream::synapse(key, step, pre, post)` on every backend.
        let mut net = Network::new(DT).unwrap();
        net.set_precision(Precision::F64).set_seed(99);
        let n_pre = 65_536 + 4;
        let pre = net.add_population("Pre", n_pre, FireOnce).init("fired", 0.0).build().unwrap();
        let post = net.add_population("Post", 2, FireOnce).init("fired", 0.0).build().unwrap();
        net.add_synapse_group("Draw", pre, post, DrawOnSpike, DeltaCurr)
            .connectivity(Connectivity::AllToAll { autapses: true })
            .wu_init("u", 0.0)
            .wu_init("w", 0.0)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        sim.run_steps(2).unwrap();
        let u = sim.synapse_var_values("Draw", "u").unwrap();
        let w = sim.synapse_var_values("Draw", "w").unwrap();
        let plan = snn::plan::NetworkPlan::new(&net);
        let key = plan.groups[0].synapse_key(snn::dsl::Method::OnPreSpike).unwrap();
        for (pre, post) in [(0u32, 0u32), (0, 1), (65_536, 0), (65_536, 1), (3, 1), (65_539, 1)] {
            let mut r = snn::rng::RngStream::synapse(key, 1, pre, post);
            let k = (pre * 2 + post) as usize;
            assert_eq!(u[k], r.uniform::<f64>(), "u of {pre} -> {post}");
            assert_eq!(w[k], r.uniform::<f64>(), "w of {pre} -> {post}");
        }
        let mut seen = std::collections::HashSet::new();
        for x in u.iter().chain(&w) {
            assert!(*x > 0.0 && *x < 1.0);
            assert!(seen.insert(x.to_bits()), "the value {x} was drawn twice");
        }
    }
}

/// Adds `g` with a dendritic delay of 2 steps until t = 0.55 ms, then of 9.
#[weight_update_model]
pub struct LateLongDelay {
    #[var]
    g: Scalar,
}

#[weight_update_model]
impl LateLongDelay {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        let d: u32 = if env.t() > 0.55 { 9 } else { 2 };
        env.add_to_post_delay(self.g, d);
    }
}

snn::backend_tests! {
    fn a_delay_beyond_the_maximum_names_the_step_it_happened_in(backend) {
        // Spikes in steps 2 and 8 reach the synapses in steps 3 (delay 2)
        // and 9 (delay 9 > 5). Spike recording in chunks of 4 steps: a GPU
        // reads its buffers after steps 4, 8, 12, ..., so it finds the
        // overflow after step 12 and stops there, not after 40 steps.
        let mut net = Network::new(DT).unwrap();
        net.recording_chunk_steps = 4;
        let pre = add_source(&mut net, "Pre", &[vec![2, 8]]);
        let probe = add_probe(&mut net, "Probe", 1);
        net.add_synapse_group("Late", pre, probe, LateLongDelay, DeltaCurr)
            .wu_init("g", 1.0)
            .max_dendritic_delay(5)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        let err = sim.run_steps(40).unwrap_err();
        assert_eq!(
            err,
            Error::DelayOverflow {
                group: "Late".into(),
                delay: 9,
                max: 5,
                step: 9
            }
        );
        assert!(
            err.to_string()
                .contains("synapse group `Late`: in step 9 a dendritic delay of 9 steps exceeded the maximum of 5 steps"),
            "{err}"
        );
        assert!(sim.step_count() <= 12, "stopped at step {}", sim.step_count());
        // The input of step 3 arrived (2 steps later); the one of step 9 did not.
        assert_eq!(sim.spikes(pre).unwrap().len(), 2);
    }
}

/// `.axonal_delay_ms(d)` is `.axonal_delay(round(d / dt) - 1)`; delays that
/// round to less than one step, or are not finite, are refused by name.
#[test]
fn axonal_delays_in_ms_round_to_whole_steps() {
    let build = |ms: f64| {
        let mut net = Network::new(DT).unwrap();
        let pre = add_source(&mut net, "Pre", &[vec![3]]);
        let post = add_probe(&mut net, "Post", 1);
        net.add_synapse_group("G", pre, post, StaticPulse, DeltaCurr {})
            .connectivity(Connectivity::OneToOne)
            .wu_init("g", 1.0)
            .axonal_delay_ms(ms)
            .build()
            .map(|g| net.synapse_group(g).axonal_delay)
    };
    // (ms, steps after the emission step, as round(ms / dt))
    for (ms, steps) in [
        (0.1, 1),
        (0.06, 1),
        (1.5, 15),
        (1.54, 15),
        (1.56, 16),
        (12.0, 120),
    ] {
        assert_eq!(build(ms).unwrap(), steps - 1, "{ms} ms");
    }
    for (ms, says) in [
        (0.04, "shorter than one step"),
        (0.0, "shorter than one step"),
        (-1.0, "shorter than one step"),
        (f64::NAN, "not a finite"),
        (f64::INFINITY, "not a finite"),
    ] {
        let msg = build(ms).unwrap_err().to_string();
        assert!(msg.contains(says) && msg.contains("`G`"), "{ms} ms: {msg}");
    }
}
