//! Reproducibility of the CPU backend: a network with random everything
//! (Poisson sources, random connectivity, random weights, random dendritic
//! delays, noise and Poisson current sources) gives bit-identical spikes and
//! state for any rayon thread count, and different results for another seed.
//!
//! Random numbers come from a counter-based generator keyed by (seed, stream)
//! with counters from (step, element), and every neuron's inputs are summed in
//! a fixed order whatever CPU block it is in, so neither the thread count nor
//! the block size may matter at all. With the default block size (4096 here)
//! the Lif population (5000 neurons) spans two CPU blocks (4096 + 904), the
//! Poisson population a third.
//!
//! The thread-count test is about the CPU backend's rayon pool and stays
//! CPU-only; its GPU counterpart (`gpu_agrees_with_the_cpu_on_the_random_network`)
//! runs the same network on every backend and compares it with the CPU
//! result, and the Poisson-rate test runs on every backend.

use snn::prelude::*;
use snn::testing::TestBackend;
use std::collections::HashSet;

const N_POISSON: u32 = 2000;
const N_LIF: u32 = 5000;
const T_RUN: f64 = 200.0;

/// Everything compared between runs.
#[derive(Debug)]
struct Outcome {
    poisson: SpikeRecord,
    lif: SpikeRecord,
    /// Bit patterns of state arrays after the run (name, bits).
    state: Vec<(&'static str, Vec<u64>)>,
}

fn build(seed: u64) -> Network {
    let mut net = Network::new(0.1).unwrap();
    net.set_seed(seed);
    let src = net
        .add_population("Poisson", N_POISSON, Poisson { rate: 20.0 })
        .init("time_step_to_spike", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let lif = net
        .add_population(
            "Lif",
            N_LIF,
            Lif {
                c: 0.25,
                tau_m: 10.0,
                v_rest: -65.0,
                v_reset: -65.0,
                v_thresh: -50.0,
                i_offset: 0.0,
                tau_refrac: 2.0,
            },
        )
        .init("v", VarInit::uniform(-65.0, -50.0))
        .init("refrac_time", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    // Excitatory input with an axonal delay of 15 steps.
    net.add_synapse_group("Input", src, lif, StaticPulse, ExpCurr { tau: 0.5 })
        .connectivity(Connectivity::FixedProbability {
            p: 0.02,
            autapses: true,
        })
        .wu_init("g", VarInit::normal_clipped(0.1, 0.05, 0.0, f64::INFINITY))
        .axonal_delay(15)
        .build()
        .unwrap();
    // Recurrent inhibition with per-synapse uniform dendritic delays 0..=10 steps
    // (u8 variable: uniform on [0, 11) truncated).
    net.add_synapse_group(
        "Recurrent",
        lif,
        lif,
        StaticPulseDendriticDelay,
        ExpCurr { tau: 0.5 },
    )
    .connectivity(Connectivity::FixedProbability {
        p: 0.02,
        autapses: false,
    })
    .wu_init(
        "g",
        VarInit::normal_clipped(-0.2, 0.1, f64::NEG_INFINITY, 0.0),
    )
    .wu_init("d", VarInit::uniform(0.0, 11.0))
    .max_dendritic_delay(10)
    .build()
    .unwrap();
    // Background: Poisson input through exponential synapses (mean current
    // w tau rate = 0.0878 nA * 0.5 ms * 10 / ms = 0.44 nA -> +17.6 mV) and
    // Gaussian white noise.
    net.add_current_source(
        "Background",
        lif,
        PoissonExp {
            weight: 0.0878,
            tau_syn: 0.5,
            rate: 10000.0,
        },
    )
    .init("current", 0.0)
    .build()
    .unwrap();
    net.add_current_source("Noise", lif, GaussianNoise { mean: 0.0, sd: 0.1 })
        .build()
        .unwrap();
    net
}

fn bits(v: Vec<f64>) -> Vec<u64> {
    v.into_iter().map(f64::to_bits).collect()
}

/// Runs `sim` for `T_RUN` ms and collects the outcome.
fn outcome(sim: &mut dyn Simulation) -> Outcome {
    sim.run_for(T_RUN).unwrap();
    let state = vec![
        ("Lif.v", bits(sim.var_values("Lif", "v").unwrap())),
        (
            "Lif.refrac_time",
            bits(sim.var_values("Lif", "refrac_time").unwrap()),
        ),
        (
            "Poisson.time_step_to_spike",
            bits(sim.var_values("Poisson", "time_step_to_spike").unwrap()),
        ),
        (
            "Input.in_syn",
            bits(sim.postsynaptic_var_values("Input", "in_syn").unwrap()),
        ),
        (
            "Recurrent.in_syn",
            bits(sim.postsynaptic_var_values("Recurrent", "in_syn").unwrap()),
        ),
        (
            "Input.g",
            bits(sim.synapse_var_values("Input", "g").unwrap()),
        ),
        (
            "Recurrent.d",
            bits(sim.synapse_var_values("Recurrent", "d").unwrap()),
        ),
        (
            "Background.current",
            bits(
                sim.current_source_var_values("Background", "current")
                    .unwrap(),
            ),
        ),
    ];
    Outcome {
        poisson: sim.spikes("Poisson").unwrap(),
        lif: sim.spikes("Lif").unwrap(),
        state,
    }
}

/// The outcome on the CPU backend with `threads` rayon threads.
fn run_cpu(net: &Network, threads: usize) -> Outcome {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut sim = CpuSimulation::new(net).unwrap();
        assert!(
            sim.backend_name().contains(&format!("{threads} threads")),
            "{}",
            sim.backend_name()
        );
        outcome(&mut sim)
    })
}

fn assert_identical(a: &Outcome, b: &Outcome, what: &str) {
    for (name, x, y) in [("Poisson", &a.poisson, &b.poisson), ("Lif", &a.lif, &b.lif)] {
        assert_eq!(x.ids, y.ids, "{what}: {name} spike ids");
        assert_eq!(
            bits(x.times.clone()),
            bits(y.times.clone()),
            "{what}: {name} spike times"
        );
    }
    for ((name, x), (_, y)) in a.state.iter().zip(&b.state) {
        assert!(x == y, "{what}: {name} differs");
    }
}

#[test]
fn bit_identical_for_any_thread_count_and_seed_sensitive() {
    let net = build(1234);
    let one = run_cpu(&net, 1);

    // Non-trivial activity, so identical results cannot come from silence.
    // Poisson: 2000 neurons * 20 Hz * 0.2 s = 8000 expected spikes (sd ~ 90).
    let np = one.poisson.len() as f64;
    assert!((np - 8000.0).abs() < 500.0, "{np} Poisson spikes");
    let nl = one.lif.len();
    eprintln!("{np} Poisson spikes, {nl} Lif spikes");
    // Lif: background 0.44 nA * R (40 MOhm) = +17.6 mV and input spikes
    // 40 * 20 Hz * 0.1 nA * 0.5 ms = 0.04 nA (+1.6 mV) put the mean drive
    // ~4 mV above threshold before recurrent inhibition: expect between 1 and
    // 10 spikes per neuron in 200 ms (5-50 Hz; measured ~15 Hz).
    assert!(
        nl > N_LIF as usize && nl < 10 * N_LIF as usize,
        "{nl} Lif spikes"
    );
    assert!(one.lif.ids.iter().any(|&i| i < 4096) && one.lif.ids.iter().any(|&i| i >= 4096));
    // Spikes spread over the whole run (not only an initial transient).
    assert!(one.lif.times.iter().any(|&t| t > 150.0));
    // The random initial values are really random: many distinct delays and weights.
    let d = &one
        .state
        .iter()
        .find(|(n, _)| *n == "Recurrent.d")
        .unwrap()
        .1;
    let mut hist = [0usize; 11];
    for &x in d {
        hist[f64::from_bits(x) as usize] += 1;
    }
    assert!(
        hist.iter().all(|&h| h > d.len() / 20),
        "dendritic delay histogram {hist:?}"
    );

    for threads in [2, 8] {
        let other = run_cpu(&net, threads);
        assert_identical(&one, &other, &format!("1 vs {threads} threads"));
    }
    // Re-running with the same thread count is identical too.
    assert_identical(&one, &run_cpu(&net, 1), "1 vs 1 thread");

    // Another seed: different Poisson spikes, weights and Lif spikes.
    let diff = run_cpu(&build(1235), 2);
    assert_ne!(
        one.poisson.ids, diff.poisson.ids,
        "seed must change the Poisson spikes"
    );
    assert_ne!(one.lif.ids, diff.lif.ids, "seed must change the Lif spikes");
    let g = |o: &Outcome| {
        o.state
            .iter()
            .find(|(n, _)| *n == "Input.g")
            .unwrap()
            .1
            .clone()
    };
    assert_ne!(g(&one), g(&diff), "seed must change the weights");
    // ... but statistically the same network: counts within 10 %.
    let rel = (diff.lif.len() as f64 - nl as f64).abs() / nl as f64;
    assert!(rel < 0.1, "Lif spike counts {nl} vs {}", diff.lif.len());
}

/// `(step, id)` of every spike of a record.
fn spike_set(r: &SpikeRecord) -> HashSet<(u64, u32)> {
    r.times
        .iter()
        .zip(&r.ids)
        .map(|(&t, &i)| ((t / 0.1).round() as u64, i))
        .collect()
}

/// Asserts that `x` and `y` (bit patterns of f64 values) agree to a relative
/// `rel` (of the larger magnitude) or an absolute `abs`, whichever is larger.
fn assert_close(name: &str, x: &[u64], y: &[u64], rel: f64, abs: f64, what: &str) {
    assert_eq!(x.len(), y.len(), "{what}: {name} lengths");
    let (mut differ, mut worst) = (0, 0.0f64);
    for (k, (&a, &b)) in x.iter().zip(y).enumerate() {
        let (a, b) = (f64::from_bits(a), f64::from_bits(b));
        let scale = a.abs().max(b.abs());
        differ += usize::from(a.to_bits() != b.to_bits());
        if scale > 0.0 {
            worst = worst.max((a - b).abs() / scale);
        }
        assert!(
            (a - b).abs() <= (rel * scale).max(abs),
            "{what}: {name}[{k}] = {a} on the CPU, {b} here"
        );
    }
    eprintln!(
        "{what}: {differ} of {} values of {name} not bit-identical (largest relative difference {worst:e})",
        x.len()
    );
}

snn::backend_tests! {
    fn gpu_agrees_with_the_cpu_on_the_random_network(backend) {
        // The GPU counterpart of the thread-count test: the same network and
        // seed on `backend` against the CPU backend. On the CPU (any thread
        // count) everything is bit-identical.
        let net = build(1234);
        let Some(mut sim) = backend.build(&net) else { return };
        let got = outcome(&mut *sim);
        let cpu = run_cpu(&net, 2);
        let what = format!("{} vs CPU", backend.name());
        if backend == TestBackend::Cpu {
            assert_identical(&cpu, &got, &what);
            return;
        }
        // GPU backends initialise on the device with the CPU's algorithms and
        // streams: connectivity (uniform draws and integer arithmetic), the
        // uniform delays and the normally distributed weights (Box-Muller
        // with `snn_core::math`'s `ln`/`cos` on every backend) are
        // bit-identical.
        for g in ["Input", "Recurrent"] {
            assert_eq!(
                sim.connectivity(g).unwrap(),
                CpuSimulation::new(&net).unwrap().connectivity(g).unwrap(),
                "{what}: connectivity of `{g}`"
            );
        }
        let state_of = |o: &Outcome, name: &str| o.state.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert!(
            state_of(&cpu, "Recurrent.d") == state_of(&got, "Recurrent.d"),
            "{what}: Recurrent.d differs"
        );
        assert!(
            state_of(&cpu, "Input.g") == state_of(&got, "Input.g"),
            "{what}: Input.g differs"
        );
        // Poisson spikes depend only on the Philox draws and `-ln(u)` of the
        // exponential draws (`snn_core::math::ln` everywhere), not on any
        // input: identical.
        assert!(
            spike_set(&cpu.poisson) == spike_set(&got.poisson),
            "{what}: Poisson spikes differ"
        );
        // Lif inputs are sums of normally distributed weights, added on the
        // GPU by atomics in another order than the CPU's spike order (not
        // exact in floating point), plus Gaussian noise (identical on every
        // backend): `v` may differ by an ulp (measured on PoCL, when the
        // noise still used the device's `log`/`cos`: 44 of 5000 neurons
        // after 200 ms). That changes a spike only if `v`
        // straddles the threshold in some step, but once one spike has
        // changed, the difference spreads through the recurrent inhibition
        // and decorrelates the spike timing of the whole network within
        // 20-70 ms (total counts stay within 0.2 %). Measured on the CPU by
        // emulating a far worse device (+-1 ulp on `v` of half of the neurons
        // in every step): the first changed spike came after 33, 106 and
        // 189 ms, and at most 7 of the 3623 spikes of the first 50 ms
        // differed; a systematic error as small as 1e-4 mV per step instead
        // changes > 100 % (symmetric difference) of them. Tolerance: at most
        // 2 % of the spikes of the first 50 ms in the symmetric difference;
        // the total count within 2 %; and if all spikes are identical
        // (measured on PoCL: all 14879), the state agrees to 1e-5 relative
        // (~100 f32 ulps; measured on PoCL: <= 3.5e-7).
        let (a, b) = (spike_set(&cpu.lif), spike_set(&got.lif));
        let early = |s: &HashSet<(u64, u32)>| -> HashSet<(u64, u32)> {
            s.iter().copied().filter(|&(step, _)| step < 500).collect()
        };
        let (ea, eb) = (early(&a), early(&b));
        assert!(ea.len() > 3000, "{} Lif spikes in the first 50 ms", ea.len());
        let early_changed = ea.symmetric_difference(&eb).count();
        assert!(
            early_changed * 50 <= ea.len(),
            "{what}: {early_changed} of {} Lif spikes of the first 50 ms differ",
            ea.len()
        );
        let rel = (b.len() as f64 - a.len() as f64).abs() / a.len() as f64;
        assert!(rel < 0.02, "{what}: Lif spike counts {} vs {}", a.len(), b.len());
        let changed = a.symmetric_difference(&b).count();
        eprintln!("{what}: {changed} of {} Lif spikes differ", a.len());
        if changed == 0 {
            for ((name, x), (_, y)) in cpu.state.iter().zip(&got.state) {
                if name.starts_with("Poisson.") || *name == "Input.g" {
                    assert!(x == y, "{what}: {name} differs");
                } else if name.ends_with(".in_syn") {
                    // `in_syn` sums weights of magnitude 0.1 in the atomics'
                    // order and decays towards 0: rounding differences of
                    // ~1e-8 stay absolute while the sum shrinks.
                    assert_close(name, x, y, 1e-5, 1e-6, &what);
                } else {
                    assert_close(name, x, y, 1e-5, 1e-9, &what);
                }
            }
        }
    }

    fn poisson_source_rate_is_unbiased_at_high_rates(backend) {
        // GeNN's PoissonNew: every spike consumes one exponential draw of mean
        // `isi = 1000 / (rate dt)` steps, at most one spike per step, and a draw
        // shorter than the time left is carried over (never dropped). So over n
        // steps a neuron emits n / isi spikes on average (minus a backlog of
        // O(1 / isi) spikes at the end). Expected counts below: N * n / isi.
        for rate in [20.0, 500.0, 2000.0] {
            let (n_neurons, steps, dt) = (2000u32, 1000u64, 0.1);
            let mut net = Network::new(dt).unwrap();
            let p = net
                .add_population("P", n_neurons, Poisson { rate })
                .init("time_step_to_spike", 0.0)
                .record_spikes(true)
                .build()
                .unwrap();
            let Some(mut sim) = backend.build(&net) else { return };
            sim.run_steps(steps).unwrap();
            let got = sim.spikes(p).unwrap().len() as f64;
            let want = n_neurons as f64 * steps as f64 * rate * dt / 1000.0;
            // Tolerance: 6 standard deviations of a Poisson count (the
            // discretised process is more regular, so this is generous), at
            // least 2 % of the count.
            let tol = (6.0 * want.sqrt()).max(0.02 * want);
            assert!(
                (got - want).abs() < tol,
                "rate {rate} Hz: {got} spikes, expected {want} +- {tol}"
            );
        }
    }
}

#[test]
fn bit_identical_for_any_block_size() {
    let net = build(1234);
    let mut sim = CpuSimulation::new(&net).unwrap();
    let default = outcome(&mut sim);
    // 32: hundreds of blocks, rows cut into many pieces; 8192: one block
    // per population; 2016: blocks of unequal size at both populations' ends;
    // 4096 and 1024: what `default_block_size` may choose.
    for block_size in [32, 1024, 2016, 4096, 8192] {
        let mut sim = CpuSimulation::with_block_size(&net, block_size).unwrap();
        assert_eq!(sim.block_size(), block_size);
        let other = outcome(&mut sim);
        assert_identical(&default, &other, &format!("block size {block_size}"));
    }
}

#[test]
fn invalid_block_sizes_are_refused_by_name() {
    let net = build(1234);
    for block_size in [0, 100, 65536 + 32] {
        let err = CpuSimulation::with_block_size(&net, block_size)
            .err()
            .expect("invalid block size accepted");
        let msg = err.to_string();
        assert!(
            msg.contains("block_size") && msg.contains("multiple of 32"),
            "{msg}"
        );
    }
}
