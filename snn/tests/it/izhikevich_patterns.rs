//! Firing patterns of single Izhikevich (2003) neurons under a DC input of
//! I = 10, against an independent high-accuracy integration of the same ODE.
//!
//! Model: `dv/dt = 0.04 v^2 + 5 v + 140 - u + I`, `du/dt = a (b v - u)`; when
//! `v >= 30` mV: `v <- c`, `u <- u + d`. Initial `v0 = -65`, `u0 = b v0`.
//!
//! Oracle: [`reference`], plain forward Euler in f64 with step `h = 0.001` ms
//! (dt/100) and the reset applied as soon as `v >= 30`, written here
//! independently of the library. Its own convergence is asserted (halving `h`
//! moves the steady ISIs by < 0.1 %), so it stands for the exact ODE.
//! It gives, for I = 10 (steady state after the initial transient):
//! RS (a=.02, b=.2, c=-65, d=8): first ISI ~23.1 ms, steady ISI ~44.8 ms
//! (~22.3 Hz: the tonic, adapting regular spiking of Izhikevich 2003 Fig. 2);
//! FS (a=.1, b=.2, c=-65, d=2): steady ISI ~7.35 ms (~136 Hz);
//! CH (c=-50, d=2): bursts of 5 spikes (first burst 7) every ~59 ms;
//! IB (c=-55, d=4): an initial burst of 3 spikes, then tonic spiking every ~31.2 ms.
//!
//! The library integrates like GeNN / Izhikevich's published code: per step,
//! reset if `v >= 30` at the start of the step, two forward-Euler half-steps of
//! `v`, one step of `u`, then `v` capped at 30 (spike when `v >= 29.99`).
//! That scheme has an O(dt) error (the reset comes one step late, the upstroke
//! is coarse), so tolerances against the oracle are stated per dt and
//! pattern, and the error is checked to shrink with dt.
//!
//! Every simulation test runs on every backend (`snn::backend_tests!`) with
//! the same tolerances: the model has no transcendental functions, and the
//! GPU kernels do the same IEEE operations in the same order as the CPU
//! code, so the spike trains are the same numbers on every backend.

use snn::prelude::*;
use snn::testing::TestBackend;

const I_DC: f64 = 10.0;
const T_END: f64 = 1000.0;

#[derive(Clone, Copy, Debug)]
struct Abcd {
    a: f64,
    b: f64,
    c: f64,
    d: f64,
}

const RS: Abcd = Abcd {
    a: 0.02,
    b: 0.2,
    c: -65.0,
    d: 8.0,
};
const FS: Abcd = Abcd {
    a: 0.1,
    b: 0.2,
    c: -65.0,
    d: 2.0,
};
const CH: Abcd = Abcd {
    a: 0.02,
    b: 0.2,
    c: -50.0,
    d: 2.0,
};
const IB: Abcd = Abcd {
    a: 0.02,
    b: 0.2,
    c: -55.0,
    d: 4.0,
};

/// Independent oracle: forward Euler with step `h` (ms) in f64, immediate
/// reset. Returns the spike times (ms) up to `t_end`.
fn reference(p: Abcd, i_dc: f64, h: f64, t_end: f64) -> Vec<f64> {
    let (mut v, mut u) = (-65.0f64, p.b * -65.0);
    let n = (t_end / h).round() as u64;
    let mut spikes = Vec::new();
    for k in 0..n {
        let dv = 0.04 * v * v + 5.0 * v + 140.0 - u + i_dc;
        let du = p.a * (p.b * v - u);
        v += h * dv;
        u += h * du;
        if v >= 30.0 {
            spikes.push((k + 1) as f64 * h);
            v = p.c;
            u += p.d;
        }
    }
    spikes
}

/// Spike times of the library's `Izhikevich` (population-wide parameters) on
/// `backend`; `None` if its device is missing.
fn simulate(backend: TestBackend, p: Abcd, dt: f64, precision: Precision) -> Option<Vec<f64>> {
    let mut net = Network::new(dt).unwrap();
    net.set_precision(precision);
    let pop = net
        .add_population(
            "N",
            1,
            Izhikevich {
                a: p.a,
                b: p.b,
                c: p.c,
                d: p.d,
            },
        )
        .init("v", -65.0)
        .init("u", p.b * -65.0)
        .record_spikes(true)
        .build()
        .unwrap();
    net.add_current_source("DC", pop, DC { amp: I_DC })
        .build()
        .unwrap();
    let mut sim = backend.build(&net)?;
    sim.run_for(T_END).unwrap();
    Some(sim.spikes(pop).unwrap().times)
}

fn isis(t: &[f64]) -> Vec<f64> {
    t.windows(2).map(|w| w[1] - w[0]).collect()
}

/// Mean of the last `n` ISIs (the steady state).
fn steady_isi(t: &[f64], n: usize) -> f64 {
    let i = isis(t);
    assert!(
        i.len() >= n + 3,
        "too few spikes ({}) for a steady state",
        t.len()
    );
    i[i.len() - n..].iter().sum::<f64>() / n as f64
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// Splits a spike train into bursts: consecutive spikes closer than `gap` ms.
fn bursts(t: &[f64], gap: f64) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    for (k, &x) in t.iter().enumerate() {
        if k == 0 || x - t[k - 1] > gap {
            out.push(vec![x]);
        } else {
            out.last_mut().unwrap().push(x);
        }
    }
    out
}

#[test]
fn oracle_is_converged() {
    // Halving h changes the steady ISI of every pattern by < 0.1 %, and the
    // spike counts agree: the oracle is accurate far beyond the tolerances below.
    for p in [RS, FS, IB] {
        let a = reference(p, I_DC, 0.001, T_END);
        let b = reference(p, I_DC, 0.0005, T_END);
        assert_eq!(a.len(), b.len(), "{p:?}");
        let (sa, sb) = (steady_isi(&a, 5), steady_isi(&b, 5));
        assert!(
            rel(sa, sb) < 1e-3,
            "{p:?}: steady ISI {sa} (h=1e-3) vs {sb} (h=5e-4)"
        );
    }
    let (a, b) = (
        reference(CH, I_DC, 0.001, T_END),
        reference(CH, I_DC, 0.0005, T_END),
    );
    assert_eq!(bursts(&a, 20.0).len(), bursts(&b, 20.0).len());
    assert!(rel(a[a.len() - 1], b[b.len() - 1]) < 1e-3);
}

snn::backend_tests! {
    fn regular_spiking_adapts_and_matches_the_oracle(backend) {
        let oracle = reference(RS, I_DC, 0.001, T_END);
        let ref_steady = steady_isi(&oracle, 10);
        // Sanity of the oracle against the published picture (tonic RS at I=10,
        // Izhikevich 2003 Fig. 2): steady rate ~22 Hz, strongly adapting.
        assert!(
            (20.0..25.0).contains(&(1000.0 / ref_steady)),
            "oracle RS rate {}",
            1000.0 / ref_steady
        );
        for precision in [Precision::F64, Precision::F32] {
            let Some(t) = simulate(backend, RS, 0.1, precision) else { return };
            let i = isis(&t);
            let steady = steady_isi(&t, 10);
            // Spike-frequency adaptation: the first ISI is much shorter than the
            // steady ones (oracle: 23.1 vs 44.8 ms).
            assert!(
                i[0] < 0.6 * steady,
                "{precision:?}: first ISI {} vs steady {steady}",
                i[0]
            );
            // Non-decreasing after the first few, up to one step of jitter (spike
            // times are multiples of dt, so the same continuous ISI rounds to
            // n or n+1 steps).
            for w in i[1..].windows(2) {
                assert!(
                    w[1] >= w[0] - 0.1 - 1e-9,
                    "{precision:?}: ISIs decrease: {i:?}"
                );
            }
            // Steady ISI within 2 % of the oracle (measured 0.8 %: the reset one
            // step late adds ~dt = 0.2 % and the coarse upstroke the rest).
            assert!(
                rel(steady, ref_steady) < 0.02,
                "{precision:?}: steady ISI {steady} vs oracle {ref_steady}"
            );
            assert!(
                rel(i[0], oracle[1] - oracle[0]) < 0.05,
                "first ISI {} vs oracle {}",
                i[0],
                oracle[1] - oracle[0]
            );
            assert_eq!(t.len(), oracle.len(), "{precision:?}: spike count in 1 s");
        }
    }

    fn fast_spiking_does_not_adapt_and_fires_fast(backend) {
        let oracle = reference(FS, I_DC, 0.001, T_END);
        let ref_steady = steady_isi(&oracle, 20);
        let rs_steady = steady_isi(&reference(RS, I_DC, 0.001, T_END), 10);
        for precision in [Precision::F64, Precision::F32] {
            let Some(t) = simulate(backend, FS, 0.1, precision) else { return };
            let i = isis(&t);
            // After the first 3 ISIs (the u0 = b v0 transient, also in the oracle:
            // 4.3, 5.9, 7.0 ms), ISIs are constant: within 5 % of their mean. Each
            // ISI is a whole number of steps and the reset lands on the step grid,
            // so the spike phase within a step wanders and single ISIs jitter
            // between 77 and 81 steps (+-2 steps of ~78 = +-2.6 %).
            let tail = &i[3..];
            let mean = tail.iter().sum::<f64>() / tail.len() as f64;
            for &x in tail {
                assert!(
                    rel(x, mean) < 0.05,
                    "{precision:?}: FS ISI {x} vs mean {mean}"
                );
            }
            // No slow adaptation either: the mean ISI of the first and second
            // halves of the tail agree within 1 % (RS: the first ISI is half the steady one).
            let (h1, h2) = tail.split_at(tail.len() / 2);
            let (m1, m2) = (
                h1.iter().sum::<f64>() / h1.len() as f64,
                h2.iter().sum::<f64>() / h2.len() as f64,
            );
            assert!(
                rel(m1, m2) < 0.01,
                "{precision:?}: FS mean ISI {m1} then {m2}"
            );
            // Much faster than RS (136 vs 22 Hz in the oracle).
            assert!(mean < rs_steady / 4.0);
            // Steady ISI within 8 % of the oracle. The O(dt) error of the scheme is
            // largest here (an ISI of only ~73 steps; measured 6.9 %), and it
            // shrinks with dt (next test).
            eprintln!("{precision:?}: FS mean ISI {mean} vs oracle {ref_steady}");
            assert!(
                rel(mean, ref_steady) < 0.08,
                "{precision:?}: steady ISI {mean} vs oracle {ref_steady}"
            );
        }
    }

    fn fast_spiking_error_shrinks_with_dt(backend) {
        // The same scheme at dt = 0.01 ms is within 1.5 % of the oracle
        // (measured 0.6 %), and closer than at dt = 0.1: the library converges to
        // the ODE, so the 8 % above is discretisation, not a wrong equation.
        let ref_steady = steady_isi(&reference(FS, I_DC, 0.001, T_END), 20);
        let Some(coarse) = simulate(backend, FS, 0.1, Precision::F64) else { return };
        let Some(fine) = simulate(backend, FS, 0.01, Precision::F64) else { return };
        let (coarse, fine) = (steady_isi(&coarse, 20), steady_isi(&fine, 20));
        assert!(
            rel(fine, ref_steady) < 0.015,
            "dt=0.01: {fine} vs oracle {ref_steady}"
        );
        assert!(rel(fine, ref_steady) < rel(coarse, ref_steady) / 3.0);
    }

    fn chattering_fires_bursts(backend) {
        let oracle = reference(CH, I_DC, 0.001, T_END);
        let ref_bursts = bursts(&oracle, 20.0);
        for precision in [Precision::F64, Precision::F32] {
            let Some(t) = simulate(backend, CH, 0.1, precision) else { return };
            let b = bursts(&t, 20.0);
            // Repeated bursts (oracle: 17 in 1 s), each of several spikes with
            // intra-burst ISIs < 10 ms, separated by gaps > 40 ms.
            assert!(b.len() >= 10, "{precision:?}: {} bursts", b.len());
            assert_eq!(b.len(), ref_bursts.len(), "{precision:?}: number of bursts");
            for (k, burst) in b.iter().enumerate() {
                // The last burst may be cut by the end of the run.
                if k + 1 < b.len() {
                    assert!(
                        burst.len() >= 3,
                        "{precision:?}: burst {k} has {} spikes",
                        burst.len()
                    );
                    // Same number of spikes per burst as the oracle (7 then 5).
                    assert_eq!(burst.len(), ref_bursts[k].len(), "{precision:?}: burst {k}");
                    assert!(isis(burst).iter().all(|&x| x < 10.0));
                    assert!(b[k + 1][0] - burst[burst.len() - 1] > 40.0);
                }
            }
            // Burst period within 5 % of the oracle (measured ~3 %: each burst
            // has 5 resets, each one step late, plus the coarse upstrokes).
            let period = |b: &[Vec<f64>]| (b[b.len() - 2][0] - b[1][0]) / (b.len() - 3) as f64;
            let (p, rp) = (period(&b), period(&ref_bursts));
            assert!(
                rel(p, rp) < 0.05,
                "{precision:?}: burst period {p} vs oracle {rp}"
            );
        }
    }

    fn intrinsically_bursting_starts_with_a_burst_then_spikes_tonically(backend) {
        let oracle = reference(IB, I_DC, 0.001, T_END);
        let ref_bursts = bursts(&oracle, 20.0);
        assert_eq!(ref_bursts[0].len(), 3, "oracle: initial burst of 3");
        let ref_steady = steady_isi(&oracle, 10);
        for precision in [Precision::F64, Precision::F32] {
            let Some(t) = simulate(backend, IB, 0.1, precision) else { return };
            let b = bursts(&t, 20.0);
            // An initial burst of 3 spikes (ISIs < 10 ms) ...
            assert_eq!(b[0].len(), 3, "{precision:?}: initial burst {:?}", b[0]);
            assert!(isis(&b[0]).iter().all(|&x| x < 10.0));
            // ... then single spikes only (tonic), at a constant ISI.
            assert!(
                b.len() > 20 && b[1..].iter().all(|x| x.len() == 1),
                "{precision:?}: {b:?}"
            );
            let i = isis(&t);
            let steady = steady_isi(&t, 10);
            for &x in &i[4..] {
                assert!(
                    rel(x, steady) < 0.01,
                    "{precision:?}: tonic ISI {x} vs {steady}"
                );
            }
            // Within 2 % of the oracle (measured 1.2 %).
            assert!(
                rel(steady, ref_steady) < 0.02,
                "{precision:?}: {steady} vs oracle {ref_steady}"
            );
        }
    }

    fn izhikevich_variable_matches_the_parameter_version(backend) {
        // The four patterns as one heterogeneous IzhikevichVariable population
        // (the PyGeNN paper's first example) must give the same spikes as four
        // Izhikevich populations on the same backend: the arithmetic is
        // identical, so exactly (f64).
        let pats = [RS, FS, CH, IB];
        let mut net = Network::new(0.1).unwrap();
        net.set_precision(Precision::F64);
        let pop = net
            .add_population("Var", 4, IzhikevichVariable)
            .init("v", -65.0)
            .init("u", pats.iter().map(|p| p.b * -65.0).collect::<Vec<_>>())
            .init("a", pats.iter().map(|p| p.a).collect::<Vec<_>>())
            .init("b", pats.iter().map(|p| p.b).collect::<Vec<_>>())
            .init("c", pats.iter().map(|p| p.c).collect::<Vec<_>>())
            .init("d", pats.iter().map(|p| p.d).collect::<Vec<_>>())
            .record_spikes(true)
            .build()
            .unwrap();
        net.add_current_source("DC", pop, DC { amp: I_DC })
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        sim.run_for(T_END).unwrap();
        let sp = sim.spikes(pop).unwrap();
        for (k, &p) in pats.iter().enumerate() {
            let mine: Vec<f64> = sp
                .times
                .iter()
                .zip(&sp.ids)
                .filter(|(_, &id)| id == k as u32)
                .map(|(&t, _)| t)
                .collect();
            let single = simulate(backend, p, 0.1, Precision::F64).expect("device checked above");
            assert_eq!(mine, single, "neuron {k} ({p:?})");
            // And the oracle's spike count within 2 (RS/IB/CH: equal; FS: 128
            // vs 137 from its 6.5 % longer ISI, so a 10 % bound for FS).
            let n_ref = reference(p, I_DC, 0.001, T_END).len() as f64;
            assert!(
                rel(mine.len() as f64, n_ref) < 0.1,
                "neuron {k}: {} spikes vs oracle {n_ref}",
                mine.len()
            );
        }
    }

    fn coarse_dt_1ms_keeps_the_qualitative_patterns(backend) {
        // dt = 1 ms is the step of Izhikevich's own published code (two 0.5 ms
        // half-steps of v). At that step the scheme's O(dt) error is large, so
        // only the qualitative patterns and rates within 25 % are asserted
        // (measured: RS 20 spikes in 1 s vs 23 in the oracle).
        let Some(rs) = simulate(backend, RS, 1.0, Precision::F64) else { return };
        let rs_ref = reference(RS, I_DC, 0.001, T_END);
        let i = isis(&rs);
        let later = (rs[rs.len() - 1] - rs[1]) / (rs.len() - 2) as f64;
        assert!(
            i[0] < 0.6 * later,
            "RS adaptation at dt=1: first ISI {} vs mean later {later}",
            i[0]
        );
        assert!(
            rel(later, steady_isi(&rs_ref, 10)) < 0.25,
            "RS mean ISI {later} at dt=1"
        );
        // Chattering still bursts: every burst but the last has >= 2 spikes at
        // intra-burst ISIs < 10 ms, bursts separated by > 40 ms.
        let ch = simulate(backend, CH, 1.0, Precision::F64).expect("device checked above");
        let ch = bursts(&ch, 20.0);
        assert!(ch.len() >= 10);
        for w in ch.windows(2) {
            assert!(w[0].len() >= 2, "{ch:?}");
            assert!(w[1][0] - w[0][w[0].len() - 1] > 40.0);
        }
        // Fast spiking remains much faster than regular spiking.
        let fs = simulate(backend, FS, 1.0, Precision::F64).expect("device checked above");
        assert!(
            fs.len() > 2 * rs.len(),
            "FS {} vs RS {} spikes",
            fs.len(),
            rs.len()
        );
    }
}
