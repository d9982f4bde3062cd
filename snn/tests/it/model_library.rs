//! The model library against analytic and reference results, on every
//! backend: the voltage-jump LIF (NEST's `iaf_psc_delta`), alpha-shaped
//! current and conductance synapses (`iaf_psc_alpha`, `iaf_cond_alpha`)
//! the Tsodyks-Markram synapse (`tsodyks_synapse`, against NEST's update
//! written out here in `f64`) and gap junctions.

use crate::common::add_source;
use snn::model::PostsynapticModel;
use snn::prelude::*;
use snn::testing::TestBackend;

const DT: f64 = 0.1;

/// Records the input of the step in `i`, at a membrane held at `v`.
#[neuron_model]
pub struct Clamp {
    #[var]
    v: Scalar,
    #[var]
    i: Scalar,
}

#[neuron_model]
impl Clamp {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.i = env.isyn();
    }
}

fn assert_near(backend: TestBackend, got: f64, want: f64, scale: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-12 * scale,
        "{what} on {}: got {got:e}, want {want:e}",
        backend.name()
    );
}

/// A `Clamp` population at `v` and a one-spike source into it through
/// `psm` with weight `w`: the input current of each step.
fn probe_input<P: PostsynapticModel + Clone>(
    backend: TestBackend,
    psm: P,
    w: f64,
    v: f64,
    steps: u64,
) -> Option<Vec<f64>> {
    let mut net = Network::new(DT).unwrap();
    net.set_precision(Precision::F64);
    let pre = add_source(&mut net, "Pre", &[vec![10]]);
    let post = net
        .add_population("Post", 1, Clamp {})
        .init("v", v)
        .init("i", 0.0)
        .build()
        .unwrap();
    let mut b = net
        .add_synapse_group("S", pre, post, StaticPulse, psm)
        .connectivity(Connectivity::OneToOne)
        .wu_init("g", w);
    for f in P::DESC
        .fields
        .iter()
        .filter(|f| f.kind == snn::model::FieldKind::Var)
    {
        b = b.psm_init(f.name, 0.0);
    }
    b.build().unwrap();
    let mut sim = backend.build(&net)?;
    let mut out = Vec::new();
    for _ in 0..steps {
        sim.step().unwrap();
        out.push(sim.var_values(post, "i").unwrap()[0]);
    }
    Some(out)
}

/// `w (e / tau) t exp(-t / tau)`.
fn alpha(w: f64, tau: f64, t: f64) -> f64 {
    w * std::f64::consts::E / tau * t * (-t / tau).exp()
}

snn::backend_tests! {
    fn lif_delta_jumps_by_the_weight(backend) {
        let mut net = Network::new(DT).unwrap();
        net.set_precision(Precision::F64);
        let pre = add_source(&mut net, "Pre", &[vec![10, 30]]);
        let lif = Lif {
            c: 250.0,
            tau_m: 10.0,
            v_rest: 0.0,
            v_reset: 0.0,
            v_thresh: 1.0,
            i_offset: 0.0,
            tau_refrac: 1.5,
        };
        let delta = LifDelta {
            c: lif.c,
            tau_m: lif.tau_m,
            v_rest: lif.v_rest,
            v_reset: lif.v_reset,
            v_thresh: lif.v_thresh,
            i_offset: lif.i_offset,
            tau_refrac: lif.tau_refrac,
        };
        let jump = net
            .add_population("Jump", 1, delta)
            .init("v", 0.0)
            .init("refrac_time", 0.0)
            .record_spikes(true)
            .build()
            .unwrap();
        let current = net
            .add_population("Current", 1, lif.clone())
            .init("v", 0.0)
            .init("refrac_time", 0.0)
            .build()
            .unwrap();
        let w = 0.7;
        for (name, target, port) in [("J", jump, Some("jump")), ("C", current, None)] {
            let mut b = net
                .add_synapse_group(name, pre, target, StaticPulse, DeltaCurr)
                .connectivity(Connectivity::OneToOne)
                .wu_init("g", w);
            if let Some(port) = port {
                b = b.target_port(port);
            }
            b.build().unwrap();
        }
        let Some(mut sim) = backend.build(&net) else { return };
        let decay = (-DT / lif.tau_m).exp();
        // The spike of step 10 arrives in step 11.
        for step in 0..30u64 {
            sim.step().unwrap();
            let v = sim.var_values(jump, "v").unwrap()[0];
            let vc = sim.var_values(current, "v").unwrap()[0];
            if step < 11 {
                assert_eq!((v, vc), (0.0, 0.0), "step {step}");
                continue;
            }
            let k = (step - 11) as i32;
            assert_near(backend, v, w * decay.powi(k), w, &format!("jump, step {step}"));
            let moved = w * lif.tau_m / lif.c * (1.0 - decay);
            assert_near(backend, vc, moved * decay.powi(k), w, &format!("current, step {step}"));
        }
        // A second weight of 0.7 on top of ~0.1 mV crosses 1 mV only as a jump.
        sim.run_steps(20).unwrap();
        assert_eq!(sim.spikes(jump).unwrap().times.len(), 1, "{}", backend.name());
        assert!(sim.var_values(current, "v").unwrap()[0] < 0.1);
    }

    fn alpha_current_follows_the_alpha_function(backend) {
        let (w, tau) = (3.0, 2.0);
        let Some(i) = probe_input(backend, AlphaCurr { tau }, w, 0.0, 80) else { return };
        // Arrival in step 11: zero that step, then alpha(k dt).
        for (step, &got) in i.iter().enumerate() {
            let k = step as f64 - 11.0;
            let want = if k < 0.0 { 0.0 } else { alpha(w, tau, k * DT) };
            assert_near(backend, got, want, w, &format!("step {step}"));
        }
        assert_near(backend, i[11 + 20], w, w, "the peak is the weight, at t = tau");
    }

    fn alpha_conductance_follows_the_alpha_function(backend) {
        let (w, tau, e_rev, v) = (2.0, 1.5, 0.0, -60.0);
        let psm = AlphaCond { tau, e_rev };
        let Some(i) = probe_input(backend, psm, w, v, 60) else { return };
        for (step, &got) in i.iter().enumerate() {
            let k = step as f64 - 11.0;
            let g = if k < 0.0 { 0.0 } else { alpha(w, tau, k * DT) };
            assert_near(backend, got, g * (e_rev - v), w * 60.0, &format!("step {step}"));
        }
    }

    fn tsodyks_markram_follows_nest(backend) {
        let tm = TsodyksMarkram {
            u0: 0.3,
            tau_rec: 120.0,
            tau_fac: 40.0,
            tau_psc: 3.0,
        };
        let g = 10.0;
        // A regular train (depression and facilitation) and a late spike.
        let steps: Vec<u64> = (0..8).map(|k| 10 + 150 * k).chain([2500]).collect();
        let mut net = Network::new(DT).unwrap();
        net.set_precision(Precision::F64);
        let pre = add_source(&mut net, "Pre", std::slice::from_ref(&steps));
        let post = net
            .add_population("Post", 1, Clamp {})
            .init("v", 0.0)
            .init("i", 0.0)
            .build()
            .unwrap();
        net.add_synapse_group("TM", pre, post, tm.clone(), DeltaCurr)
            .connectivity(Connectivity::OneToOne)
            .wu_init("g", g)
            .wu_init("x", 1.0)
            .wu_init("y", 0.0)
            .wu_init("u", 0.0)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        let mut got = Vec::new();
        for step in 0..2600u64 {
            sim.step().unwrap();
            if step > 0 && steps.contains(&(step - 1)) {
                got.push(sim.var_values(post, "i").unwrap()[0]);
            }
        }
        // NEST's `TsodyksConnection::send`, from rest.
        let (mut x, mut y, mut u) = (1.0f64, 0.0f64, 0.0f64);
        let mut last = None;
        let mut want = Vec::new();
        for &s in &steps {
            let h = last.map_or(f64::INFINITY, |l: u64| s as f64 * DT - l as f64 * DT);
            let p_uu = (-h / tm.tau_fac).exp();
            let p_yy = (-h / tm.tau_psc).exp();
            let p_zz = (-h / tm.tau_rec).exp();
            let p_xy = ((p_zz - 1.0) * tm.tau_rec - (p_yy - 1.0) * tm.tau_psc)
                / (tm.tau_psc - tm.tau_rec);
            let z = 1.0 - x - y;
            u *= p_uu;
            x += p_xy * y + (1.0 - p_zz) * z;
            y *= p_yy;
            u += tm.u0 * (1.0 - u);
            let delta = u * x;
            x -= delta;
            y += delta;
            want.push(g * delta);
            last = Some(s);
        }
        assert_eq!(got.len(), want.len(), "{}", backend.name());
        for (k, (&a, &b)) in got.iter().zip(&want).enumerate() {
            assert_near(backend, a, b, g, &format!("amplitude of spike {k}"));
        }
        // Facilitation first, then depression; recovery after the pause.
        assert!(want[1] > want[0] && want[7] < want[1] && want[8] > want[7]);
        let var = |v: &str| sim.synapse_var_values("TM", v).unwrap()[0];
        assert_near(backend, var("x"), x, 1.0, "x");
        assert_near(backend, var("y"), y, 1.0, "y");
        assert_near(backend, var("u"), u, 1.0, "u");
    }

    fn gap_junctions_equalise_two_membranes(backend) {
        // Two passive LIF neurons coupled both ways: their mean decays as
        // without coupling, their difference d by a factor
        // e - 2 g R (1 - e) per step (e = exp(-dt / tau_m), R = tau_m / c).
        let mut net = Network::new(DT).unwrap();
        net.set_precision(Precision::F64);
        let lif = Lif {
            c: 1.0,
            tau_m: 20.0,
            v_rest: -70.0,
            v_reset: -70.0,
            v_thresh: 100.0,
            i_offset: 0.0,
            tau_refrac: 0.0,
        };
        let pop = net
            .add_population("P", 2, lif.clone())
            .init("v", VarInit::Values(vec![-50.0, -80.0]))
            .init("refrac_time", 0.0)
            .build()
            .unwrap();
        let g = 0.05;
        net.add_synapse_group("Gap", pop, pop, GapJunction, DeltaCurr)
            .connectivity(Connectivity::AllToAll { autapses: false })
            .wu_init("g", g)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        let e = (-DT / lif.tau_m).exp();
        let r = lif.tau_m / lif.c;
        let (mut mean, mut d) = (-65.0, 30.0);
        for step in 0..1000 {
            sim.step().unwrap();
            mean = lif.v_rest + e * (mean - lif.v_rest);
            d *= e - 2.0 * g * r * (1.0 - e);
            let v = sim.var_values(pop, "v").unwrap();
            let what = format!("step {step}");
            assert_near(backend, (v[0] + v[1]) / 2.0, mean, 100.0, &what);
            assert_near(backend, v[0] - v[1], d, 100.0, &what);
        }
        assert!(d.abs() < 0.01 && d > 0.0, "the membranes met: d = {d}");
    }
}
