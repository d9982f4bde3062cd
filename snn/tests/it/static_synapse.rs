//! The CPU backend's fast path for static synapses (`on_pre_spike` that
//! only adds a weight, now or after a per-synapse delay: `StaticPulse`,
//! `StaticPulseDendriticDelay`, or a user model of that shape) against the
//! generic model-code loop: each network is built twice, once with the
//! recognised models and once with twins whose body (`self.g * 1.0`) is
//! not recognised but adds the same values, and both must give the same
//! spikes and the same complete state, bit for bit (f32 and f64; u8 and
//! u16 delays; static groups fused with a generic one into one input, so
//! the order of additions matters; an input without a ring; several
//! blocks per population). Delays beyond the ring, which the network
//! builder and the setters rule out, are checked in the fast path's unit
//! tests (`snn_cpu::static_synapse`).

use snn::prelude::*;

/// `StaticPulse` in a shape the fast path does not recognise.
#[weight_update_model]
pub struct SlowStatic {
    #[var]
    g: Scalar,
}

#[weight_update_model]
impl SlowStatic {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post(self.g * 1.0);
    }
}

/// `StaticPulseDendriticDelay` in a shape the fast path does not recognise.
#[weight_update_model]
pub struct SlowDelayed {
    #[var]
    g: Scalar,
    #[var]
    d: u8,
}

#[weight_update_model]
impl SlowDelayed {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post_delay(self.g * 1.0, self.d);
    }
}

/// A user model with a `u16` delay (recognised: the body is a tail expression).
#[weight_update_model]
pub struct Delayed16 {
    #[var]
    d: u16,
    #[var]
    w: Scalar,
}

#[weight_update_model]
impl Delayed16 {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post_delay(self.w, self.d)
    }
}

/// Its unrecognised twin.
#[weight_update_model]
pub struct SlowDelayed16 {
    #[var]
    d: u16,
    #[var]
    w: Scalar,
}

#[weight_update_model]
impl SlowDelayed16 {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post_delay(self.w * 1.0, self.d);
    }
}

const LIF: Lif = Lif {
    c: 0.25,
    tau_m: 10.0,
    v_rest: -65.0,
    v_reset: -65.0,
    v_thresh: -50.0,
    i_offset: 0.0,
    tau_refrac: 2.0,
};

/// The test network; `fast` picks the recognised models.
fn build(precision: Precision, fast: bool) -> Network {
    let mut net = Network::new(0.1).unwrap();
    net.set_precision(precision);
    net.set_seed(77);
    let src = net
        .add_population("Src", 2000, Poisson { rate: 20.0 })
        .init("time_step_to_spike", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let exc = net
        .add_population("Exc", 3000, LIF)
        .init("v", VarInit::uniform(-65.0, -50.0))
        .init("refrac_time", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let inh = net
        .add_population("Inh", 700, LIF)
        .init("v", VarInit::uniform(-65.0, -50.0))
        .init("refrac_time", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let p = |p| Connectivity::FixedProbability { p, autapses: false };
    let g_exc = VarInit::normal_clipped(0.12, 0.05, 0.0, f64::INFINITY);
    let g_inh = VarInit::normal_clipped(-0.3, 0.1, f64::NEG_INFINITY, 0.0);
    let syn = || ExpCurr { tau: 0.5 };
    // Into Exc, all fused into one input with a ring: a static group, a
    // generic one (in both networks), then two delayed static ones.
    macro_rules! group {
        ($name:expr, $pre:expr, $post:expr, $fast:expr, $slow:expr) => {
            if fast {
                net.add_synapse_group($name, $pre, $post, $fast, syn())
            } else {
                net.add_synapse_group($name, $pre, $post, $slow, syn())
            }
        };
    }
    // Multapses (several synapses of one row onto one target) make the
    // order of additions within a row matter too.
    group!("Input", src, exc, StaticPulse, SlowStatic)
        .connectivity(Connectivity::FixedNumberTotal { n: 300_000 })
        .wu_init("g", g_exc.clone())
        .axonal_delay(5)
        .build()
        .unwrap();
    net.add_synapse_group("Generic", src, exc, SlowStatic, syn())
        .connectivity(p(0.02))
        .wu_init("g", g_exc.clone())
        .build()
        .unwrap();
    group!(
        "Recurrent",
        exc,
        exc,
        StaticPulseDendriticDelay,
        SlowDelayed
    )
    .connectivity(Connectivity::FixedNumberTotal { n: 270_000 })
    .wu_init("g", g_exc.clone())
    .wu_init("d", VarInit::uniform(0.0, 11.0))
    .max_dendritic_delay(10)
    .build()
    .unwrap();
    group!("FromInh", inh, exc, Delayed16, SlowDelayed16)
        .connectivity(p(0.1))
        .wu_init("w", g_inh)
        .wu_init("d", VarInit::uniform(0.0, 31.0))
        .max_dendritic_delay(30)
        .build()
        .unwrap();
    // Into Inh: no dendritic delays, so additions go straight into `in_syn`.
    group!("ToInh", exc, inh, StaticPulse, SlowStatic)
        .connectivity(p(0.05))
        .wu_init("g", g_exc)
        .axonal_delay(3)
        .build()
        .unwrap();
    for (name, pop) in [("BgExc", exc), ("BgInh", inh)] {
        net.add_current_source(
            name,
            pop,
            PoissonExp {
                weight: 0.0878,
                tau_syn: 0.5,
                rate: 9000.0,
            },
        )
        .init("current", 0.0)
        .build()
        .unwrap();
    }
    net
}

/// Spikes of every population and the final state after `ms`.
fn run(net: &Network, block_size: u32, ms: f64) -> (Vec<SpikeRecord>, snn::state::SimState) {
    let mut sim = CpuSimulation::with_block_size(net, block_size).unwrap();
    sim.run_for(ms).unwrap();
    let spikes = ["Src", "Exc", "Inh"]
        .iter()
        .map(|&p| sim.spikes(p).unwrap())
        .collect();
    (spikes, sim.save_state().unwrap())
}

#[test]
fn fast_path_equals_model_code() {
    for precision in [Precision::F32, Precision::F64] {
        for block_size in [1024, 4096] {
            let (fast_spikes, fast_state) = run(&build(precision, true), block_size, 300.0);
            let (slow_spikes, slow_state) = run(&build(precision, false), block_size, 300.0);
            let what = format!("{precision:?}, blocks of {block_size}");
            for (f, s) in fast_spikes.iter().zip(&slow_spikes) {
                assert_eq!(f.ids, s.ids, "{what}: spike ids");
                assert_eq!(f.times, s.times, "{what}: spike times");
            }
            // The network must be active for the comparison to mean anything.
            let exc = fast_spikes[1].len();
            let inh = fast_spikes[2].len();
            assert!(exc > 1000 && inh > 1000, "{what}: {exc} / {inh} spikes");
            assert!(fast_state == slow_state, "{what}: final states differ");
        }
    }
}
