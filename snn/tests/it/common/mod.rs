//! Helpers shared by the integration tests.

#![allow(dead_code)]

use snn::prelude::*;

/// A recorded `SpikeSourceArray` population emitting, for neuron `i`,
/// spikes in the steps `steps[i]` (times `k * dt`, compared by the source
/// against `step * dt`).
pub fn add_source(net: &mut Network, name: &str, steps: &[Vec<u64>]) -> PopulationId {
    let dt = net.dt();
    let times: Vec<Vec<f64>> = steps
        .iter()
        .map(|s| s.iter().map(|&k| k as f64 * dt).collect())
        .collect();
    let st = spike_times(&times);
    net.add_population(name, steps.len() as u32, SpikeSourceArray)
        .init("start_spike", st.start_spike)
        .init("end_spike", st.end_spike)
        .egp("spike_times", st.spike_times)
        .record_spikes(true)
        .build()
        .unwrap()
}

/// Plasticity in exact arithmetic, using every weight-update method and
/// view: integer-valued traces counted from spike-time windows, weight
/// steps of 1/32 and 1/16 (so every input sum is exact in any order), event
/// counters, and synapse dynamics reading the postsynaptic neuron. No
/// transcendental function runs, so every backend must equal the CPU bit
/// for bit.
#[snn::weight_update_model]
pub struct ExactPlastic {
    #[param]
    pub a_plus: Scalar,
    #[param]
    pub a_minus: Scalar,
    #[param]
    pub w_max: Scalar,
    #[var]
    g: Scalar,
    #[var]
    events: Scalar,
    #[var]
    event_time: Scalar,
    #[var]
    hot: Scalar,
    #[pre_var]
    x: Scalar,
    #[pre_var]
    pre_count: u32,
    #[post_var]
    y: Scalar,
    #[pre_neuron_var(v)]
    v_pre: Scalar,
    #[post_neuron_var(v)]
    v_post: Scalar,
    #[egp]
    gate: Scalar,
}

#[snn::weight_update_model]
impl ExactPlastic {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post(self.g);
        if env.st_pre() - env.st_post() < 15.0 {
            self.g = (self.g - self.a_minus * self.y).max(0.0);
        }
    }
    fn on_post_spike(&mut self, env: &mut WeightUpdateEnv) {
        if env.st_post() - env.st_pre() < 15.0 {
            self.g = (self.g + self.a_plus * self.x).min(self.w_max);
        }
    }
    fn on_pre_event(&mut self, env: &mut WeightUpdateEnv) {
        self.events += 1.0;
        self.event_time = env.set_pre() - env.prev_set_pre().max(-1.0);
        env.add_to_post(0.25);
    }
    fn synapse_dynamics(&mut self, env: &mut WeightUpdateEnv) {
        if self.v_post > -61.0 && self.v_pre > -62.0 {
            self.hot += 1.0;
        }
    }
    fn event_threshold(&self, env: &WeightUpdateEnv) -> bool {
        self.gate[0] > 0.5 || (self.v_pre > -64.0 && self.x > 1.5)
    }
    fn pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        self.pre_count += 1;
        if env.st_pre() - env.prev_st_pre() < 20.0 {
            self.x = (self.x + 1.0).min(4.0);
        } else {
            self.x = 1.0;
        }
    }
    fn post_spike(&mut self, env: &mut WeightUpdateEnv) {
        if env.st_post() - env.prev_st_post() < 20.0 {
            self.y = (self.y + 1.0).min(4.0);
        } else {
            self.y = 1.0;
        }
    }
}

/// Spike steps of a source of `n` neurons over `steps` steps, at most one
/// spike per step in the whole population (so that every target receives
/// at most one input per step and sums of plastic, inexact weights cannot
/// depend on the order of atomic additions): step `k` belongs to neuron
/// `k % n`, which spikes in it with probability `p`.
pub fn one_spike_per_step(n: u32, p: f64, steps: u64, seed: u32) -> Vec<Vec<u64>> {
    let mut out = vec![Vec::new(); n as usize];
    let mut rng = snn::rng::RngStream::new(11, seed, 0, 0);
    for k in 0..steps {
        if rng.uniform::<f64>() < p {
            out[(k % n as u64) as usize].push(k);
        }
    }
    out
}

/// A LIF neuron (tau_m 20 ms, rest and reset -70 mV, 2 ms refractory) with threshold `v_thresh`.
pub fn lif(v_thresh: f64) -> Lif {
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

/// Src (a `SpikeSourceArray`, one spike per step over `steps` steps) ->
/// Mid (LIF, static weights) -> Dst (LIF) through [`ExactPlastic`]
/// (`MidDst`), and recurrent `ExactPlastic` inside Dst (`DstDst`); both
/// have the extra global parameter `gate` (0). Every backend computes it
/// bit for bit like the CPU.
pub fn exact_plastic_network(precision: Precision, span: Span, steps: u64) -> Network {
    let mut net = Network::new(0.5).unwrap();
    net.set_precision(precision);
    let src = add_source(&mut net, "Src", &one_spike_per_step(40, 0.8, steps, 3));
    let mid = net
        .add_population("Mid", 30, lif(-62.0))
        .init("v", VarInit::uniform(-70.0, -62.0))
        .init("refrac_time", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let dst = net
        .add_population("Dst", 20, lif(-58.0))
        .init("v", VarInit::uniform(-70.0, -58.0))
        .init("refrac_time", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    net.add_synapse_group("SrcMid", src, mid, StaticPulse, DeltaCurr)
        .connectivity(Connectivity::FixedProbability {
            p: 0.5,
            autapses: true,
        })
        .wu_init("g", 3.0)
        .build()
        .unwrap();
    let model = ExactPlastic {
        a_plus: 1.0 / 32.0,
        a_minus: 1.0 / 8.0,
        w_max: 6.0,
    };
    for (name, pre, post, p) in [("MidDst", mid, dst, 0.3), ("DstDst", dst, dst, 0.1)] {
        net.add_synapse_group(name, pre, post, model.clone(), ExpCurr { tau: 4.0 })
            .connectivity(Connectivity::FixedProbability { p, autapses: false })
            .wu_init("g", 2.0)
            .wu_init("events", 0.0)
            .wu_init("event_time", 0.0)
            .wu_init("hot", 0.0)
            .wu_egp("gate", vec![0.0])
            .pre_init("x", 0.0)
            .pre_init("pre_count", 0.0)
            .post_init(
                "y",
                VarInit::Values((0..20).map(|i| (i % 3) as f64).collect()),
            )
            .span(span)
            .build()
            .unwrap();
    }
    net
}

/// Dopamine-modulated STDP with Izhikevich's (2007) time constants and
/// amplitudes, dopamine 0.5 per delivery, weights in [0, 20].
pub fn dopamine_stdp() -> DopamineStdp {
    DopamineStdp {
        tau_plus: 20.0,
        tau_minus: 20.0,
        tau_c: 1000.0,
        tau_d: 200.0,
        a_plus: 0.1,
        a_minus: 0.15,
        d_amount: 0.5,
        w_min: 0.0,
        w_max: 20.0,
    }
}
