//! Single Traub-Miles (Hodgkin-Huxley) neurons under constant currents,
//! against an independent high-accuracy integration of the same ODE.
//!
//! Model (units mV, ms, uS, nF, nA; `u = v - v_t`):
//! `c dv/dt = I - g_na m^3 h (v - e_na) - g_k n^4 (v - e_k) - g_leak (v - e_leak)`,
//! `dx/dt = alpha_x (1 - x) - beta_x x` with the Traub-Miles rates written out
//! in [`rates`] (from Traub & Miles 1991 / Brian2's COBAHH equations, not from
//! the library). Spike: upward crossing of `v_thresh`.
//!
//! Oracle: [`reference`], classical RK4 in f64 with step 1 us (dt/100), the
//! crossing time interpolated linearly within the step. Its convergence is
//! asserted ([`oracle_is_converged`]: halving the step moves no spike by
//! more than 1e-5 ms), so it stands for the exact solution.
//!
//! The library records a spike at `s * dt` when `v` crosses the threshold
//! during step `s`, i.e. in `(s dt, (s + 1) dt]`; so an exact crossing at
//! `t_c` is recorded at `ceil(t_c / dt) * dt - dt`, anywhere in
//! `[t_c - dt, t_c)`. The check is `t_c - dt - tol <= t_lib <= t_c + tol`
//! for every spike, with the same spike count, where `tol` is the phase
//! error the integrator may accumulate over the run:
//! - f64: `tol = 0.005` ms. The library's scheme (RK4 on 20 us substeps),
//!   run in f64 here, moves the spikes of these cases by at most 1.1e-3 ms
//!   (COBAHH; 4.6e-4 ms GeNN) over 500 ms relative to the oracle
//!   (measured, interpolation error included), so 0.005 ms leaves a 4x
//!   margin. (GeNN's 25 forward-Euler substeps, 4 us, measured the same
//!   way: 0.7-1.6 ms.) Shifting `v_t` by 0.05 mV moves the first spike by
//!   0.4 ms (checked by hand), so the test is sensitive.
//! - f32: `tol = 0.05` ms, a budget for f32 rounding: `v` rounds by ~4e-6
//!   mV at -60 mV each substep. Measured: every spike still falls in the oracle's
//!   step on the CPU and on PoCL, in both precisions.
//!
//! Either tolerance is below dt and far below the tested ISIs (8-70 ms),
//! so a miscounted or shifted spike fails the test.
//!
//! Every case runs on every backend (`snn::backend_tests!`), with the same
//! tolerance band for all (`exp`/`exp_m1` are `snn_core::math`'s everywhere,
//! so the backends agree bit for bit).

use snn::model::NeuronModel;
use snn::prelude::*;
use snn::testing::TestBackend;

const DT: f64 = 0.1;
pub(crate) const T_END: f64 = 500.0;

/// Parameters of one case, in the model's units.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hh {
    pub(crate) g_na: f64,
    pub(crate) e_na: f64,
    pub(crate) g_k: f64,
    pub(crate) e_k: f64,
    pub(crate) g_leak: f64,
    pub(crate) e_leak: f64,
    pub(crate) c: f64,
    pub(crate) v_t: f64,
    pub(crate) v_thresh: f64,
    /// Initial v, m, h, n.
    pub(crate) init: [f64; 4],
}

/// GeNN's TraubMiles defaults and initial values (written out here, not
/// taken from the library).
pub(crate) const GENN: Hh = Hh {
    g_na: 7.15,
    e_na: 50.0,
    g_k: 1.43,
    e_k: -95.0,
    g_leak: 0.02672,
    e_leak: -63.563,
    c: 0.143,
    v_t: -65.0,
    v_thresh: 0.0,
    init: [-60.0, 0.0529324, 0.3176767, 0.5961207],
};

/// Brian2's COBAHH neuron (area 20,000 um^2), gates starting at 0.
pub(crate) const COBAHH: Hh = Hh {
    g_na: 20.0,
    e_na: 50.0,
    g_k: 6.0,
    e_k: -90.0,
    g_leak: 0.01,
    e_leak: -60.0,
    c: 0.2,
    v_t: -63.0,
    v_thresh: -20.0,
    init: [-60.0, 0.0, 0.0, 0.0],
};

/// `x / (exp(x) - 1)`, with its limit at 0.
fn x_over_expm1(x: f64) -> f64 {
    if x.abs() < 1e-9 {
        1.0 - 0.5 * x
    } else {
        x / x.exp_m1()
    }
}

/// `[alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n]` (1/ms) at `v`
/// (Brian2 COBAHH's form with threshold shift `vt`).
pub(crate) fn rates(v: f64, vt: f64) -> [f64; 6] {
    [
        0.32 * 4.0 * x_over_expm1((13.0 - v + vt) / 4.0),
        0.28 * 5.0 * x_over_expm1((v - vt - 40.0) / 5.0),
        0.128 * ((17.0 - v + vt) / 18.0).exp(),
        4.0 / (1.0 + ((40.0 - v + vt) / 5.0).exp()),
        0.032 * 5.0 * x_over_expm1((15.0 - v + vt) / 5.0),
        0.5 * ((10.0 - v + vt) / 40.0).exp(),
    ]
}

fn derivative(p: &Hh, i: f64, y: [f64; 4]) -> [f64; 4] {
    let [v, m, h, n] = y;
    let [am, bm, ah, bh, an, bn] = rates(v, p.v_t);
    let i_ion = p.g_na * m.powi(3) * h * (v - p.e_na)
        + p.g_k * n.powi(4) * (v - p.e_k)
        + p.g_leak * (v - p.e_leak);
    [
        (i - i_ion) / p.c,
        am * (1.0 - m) - bm * m,
        ah * (1.0 - h) - bh * h,
        an * (1.0 - n) - bn * n,
    ]
}

/// Independent oracle: RK4 with step `step` (ms) in f64; spike times (ms)
/// of upward crossings of `v_thresh`, interpolated linearly within the step.
pub(crate) fn reference(p: &Hh, i: f64, step: f64, t_end: f64) -> Vec<f64> {
    let add = |y: [f64; 4], k: [f64; 4], s: f64| std::array::from_fn(|j| y[j] + s * k[j]);
    let mut y = p.init;
    let mut spikes = Vec::new();
    let n = (t_end / step).round() as u64;
    for k in 0..n {
        let k1 = derivative(p, i, y);
        let k2 = derivative(p, i, add(y, k1, 0.5 * step));
        let k3 = derivative(p, i, add(y, k2, 0.5 * step));
        let k4 = derivative(p, i, add(y, k3, step));
        let next: [f64; 4] = std::array::from_fn(|j| {
            y[j] + step / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
        });
        if y[0] < p.v_thresh && next[0] >= p.v_thresh {
            let frac = (p.v_thresh - y[0]) / (next[0] - y[0]);
            spikes.push((k as f64 + frac) * step);
        }
        y = next;
    }
    spikes
}

/// The cases: (name, parameters, current in nA, whether it must spike).
/// GeNN's neuron has its rheobase between 0.05 and 0.1 nA (from these
/// initial values); Brian's COBAHH neuron fires spontaneously at 0 nA.
pub(crate) const CASES: [(&str, Hh, f64, bool); 6] = [
    ("GeNN, 0 nA", GENN, 0.0, false),
    ("GeNN, 0.05 nA (below rheobase)", GENN, 0.05, false),
    ("GeNN, 0.1 nA", GENN, 0.1, true),
    ("GeNN, 0.5 nA", GENN, 0.5, true),
    ("COBAHH, 0 nA (spontaneous)", COBAHH, 0.0, true),
    ("COBAHH, 0.2 nA", COBAHH, 0.2, true),
];

/// The library's model with the parameters of `p`.
pub(crate) fn traub_miles(p: &Hh) -> TraubMiles {
    TraubMiles {
        g_na: p.g_na,
        e_na: p.e_na,
        g_k: p.g_k,
        e_k: p.e_k,
        g_leak: p.g_leak,
        e_leak: p.e_leak,
        c: p.c,
        v_t: p.v_t,
        v_thresh: p.v_thresh,
    }
}

/// One recorded neuron of `model` in `net`, with the initial state of `p` and
/// a DC input `i`.
pub(crate) fn add_neuron<M: NeuronModel>(
    net: &mut Network,
    model: M,
    p: &Hh,
    i: f64,
) -> PopulationId {
    let [v, m, h, n] = p.init;
    let pop = net
        .add_population("HH", 1, model)
        .init("v", v)
        .init("m", m)
        .init("h", h)
        .init("n", n)
        .record_spikes(true)
        .build()
        .unwrap();
    net.add_current_source("DC", pop, DC { amp: i })
        .build()
        .unwrap();
    pop
}

/// The library's spike times for one neuron with parameters `p` and a DC
/// input `i`; `None` if the backend's device is missing.
fn simulate(backend: TestBackend, p: &Hh, i: f64, precision: Precision) -> Option<Vec<f64>> {
    let mut net = Network::new(DT).unwrap();
    net.set_precision(precision);
    let pop = add_neuron(&mut net, traub_miles(p), p, i);
    let mut sim = backend.build(&net)?;
    sim.run_for(T_END).unwrap();
    Some(sim.spikes(pop).unwrap().times)
}

/// Checks `got` (library, recorded at step starts) against the oracle's
/// crossing times `want` with tolerance `tol`; returns how many spikes fell
/// in exactly the step of the oracle's crossing, for the report.
fn compare(case: &str, got: &[f64], want: &[f64], tol: f64) -> usize {
    assert_eq!(
        got.len(),
        want.len(),
        "{case}: {} spikes, oracle {}\n got {got:?}\nwant {want:?}",
        got.len(),
        want.len()
    );
    let mut exact = 0;
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            g >= w - DT - tol && g <= w + tol,
            "{case}: spike {k} at {g} ms, oracle crossing at {w} ms (allowed [{}, {}])",
            w - DT - tol,
            w + tol
        );
        if ((w / DT).ceil() - 1.0 - (g / DT).round()).abs() < 0.5 {
            exact += 1;
        }
    }
    exact
}

#[test]
fn oracle_is_converged() {
    for (case, p, i, _) in CASES {
        let a = reference(&p, i, 1e-3, T_END);
        let b = reference(&p, i, 5e-4, T_END);
        assert_eq!(a.len(), b.len(), "{case}");
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5, "{case}: {x} vs {y}");
        }
    }
}

#[test]
fn oracle_matches_the_published_behaviour() {
    // GeNN's neuron is silent without input, fires tonically above
    // rheobase, faster with more current.
    let rate = |p: &Hh, i: f64| reference(p, i, 1e-3, T_END).len() as f64 / (T_END / 1000.0);
    assert_eq!(rate(&GENN, 0.0), 0.0);
    let (r1, r5) = (rate(&GENN, 0.1), rate(&GENN, 0.5));
    assert!(r1 > 10.0 && r5 > 2.0 * r1, "GeNN rates {r1} Hz, {r5} Hz");
    // Brian's COBAHH neuron (El = -60 mV above the rates' rest) fires alone.
    assert!(rate(&COBAHH, 0.0) > 5.0);
}

snn::backend_tests! {
    fn spike_times_match_the_oracle(backend) {
        let mut report = String::new();
        for (case, p, i, spikes) in CASES {
            let want = reference(&p, i, 1e-3, T_END);
            assert_eq!(!want.is_empty(), spikes, "{case}: oracle has {} spikes", want.len());
            for (precision, tol) in [(Precision::F64, 0.005), (Precision::F32, 0.05)] {
                let Some(got) = simulate(backend, &p, i, precision) else { return };
                let exact = compare(&format!("{case} ({precision:?})"), &got, &want, tol);
                report += &format!(
                    "{case} {precision:?}: {} spikes, {exact} in the oracle's step\n",
                    got.len()
                );
            }
        }
        println!("{}:\n{report}", backend.name());
    }
}
