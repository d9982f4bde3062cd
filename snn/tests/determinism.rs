//! Reproducibility of the CPU backend: a network with random everything
//! (Poisson sources, random connectivity, random weights, random dendritic
//! delays, noise and Poisson current sources) gives bit-identical spikes and
//! state for any rayon thread count, and different results for another seed.
//!
//! Random numbers come from a counter-based generator keyed by (seed, stream)
//! with counters from (step, element), and every block of 4096 neurons sums its
//! inputs in a fixed order, so the thread count must not matter at all. The
//! Lif population (5000 neurons) spans two CPU blocks (4096 + 904), the
//! Poisson population a third.

use snn::prelude::*;

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

fn run(net: &Network, threads: usize) -> Outcome {
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
        sim.run_for(T_RUN).unwrap();
        let state = vec![
            ("Lif.v", bits(sim.var_values("Lif".into(), "v").unwrap())),
            (
                "Lif.refrac_time",
                bits(sim.var_values("Lif".into(), "refrac_time").unwrap()),
            ),
            (
                "Poisson.time_step_to_spike",
                bits(
                    sim.var_values("Poisson".into(), "time_step_to_spike")
                        .unwrap(),
                ),
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
            poisson: sim.spikes("Poisson".into()).unwrap(),
            lif: sim.spikes("Lif".into()).unwrap(),
            state,
        }
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
    let one = run(&net, 1);

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
        let other = run(&net, threads);
        assert_identical(&one, &other, &format!("1 vs {threads} threads"));
    }
    // Re-running with the same thread count is identical too.
    assert_identical(&one, &run(&net, 1), "1 vs 1 thread");

    // Another seed: different Poisson spikes, weights and Lif spikes.
    let diff = run(&build(1235), 2);
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

#[test]
fn poisson_source_rate_is_unbiased_at_high_rates() {
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
        let mut sim = CpuSimulation::new(&net).unwrap();
        sim.run_steps(steps).unwrap();
        let got = sim.spikes(p.into()).unwrap().len() as f64;
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
