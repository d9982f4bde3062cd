//! The Potjans & Diesmann (2014) cortical microcircuit, built from
//! `microcircuit.toml` (the published parameters, NEST's reference values).
//!
//! Shared by the `microcircuit` example, the benchmark harness and the
//! rate test (`#[path]` include).
//!
//! Units as in the LIF model: mV, ms, nF, nA (the toml gives pF and pA).

#![allow(dead_code)]

use serde::Deserialize;
use snn::prelude::*;

#[path = "../common/stats.rs"]
mod stats;
// Re-exported for the example and the rate test; other includers ignore it.
#[allow(unused_imports)]
pub use stats::rate_and_cv;

/// The parameters of `microcircuit.toml`.
#[derive(Clone, Debug, Deserialize)]
pub struct Params {
    pub populations: Vec<String>,
    pub num_neurons: Vec<u32>,
    pub conn_probs: Vec<Vec<f64>>,
    pub neuron: NeuronParams,
    pub synapses: SynapseParams,
    pub background: Background,
    pub simulation: SimulationParams,
    pub expected: Expected,
    pub thalamus: Thalamus,
}

#[derive(Clone, Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct NeuronParams {
    pub C_m: f64,
    pub tau_m: f64,
    pub tau_syn: f64,
    pub E_L: f64,
    pub V_th: f64,
    pub V_reset: f64,
    pub t_ref: f64,
    pub V0_mean: Vec<f64>,
    pub V0_std: Vec<f64>,
}

#[derive(Clone, Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct SynapseParams {
    pub PSP_exc_mean: f64,
    pub PSC_over_PSP: f64,
    pub g: f64,
    pub L4E_to_L23E_factor: f64,
    pub weight_rel_std: f64,
    pub delay_exc_mean: f64,
    pub delay_inh_mean: f64,
    pub delay_rel_std: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Background {
    pub K_ext: Vec<f64>,
    pub bg_rate: f64,
    pub weight: f64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SimulationParams {
    pub dt: f64,
    pub t_presim: f64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Expected {
    pub mean_rates: Vec<f64>,
}

#[derive(Clone, Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Thalamus {
    pub num_neurons: u32,
    pub rate: f64,
    pub start: f64,
    pub duration: f64,
    pub conn_probs: Vec<f64>,
    pub PSP_mean: f64,
    pub delay_mean: f64,
    pub delay_rel_std: f64,
}

impl Params {
    /// The parameters shipped with the example.
    pub fn published() -> Params {
        toml::from_str(include_str!("microcircuit.toml")).expect("microcircuit.toml parses")
    }
}

/// How the network is scaled and driven.
#[derive(Clone, Debug)]
pub struct Options {
    /// Fraction of the neurons (and, with `k_scale`, of the synapses) kept.
    pub n_scale: f64,
    /// Fraction of the in-degrees kept; weights are scaled by
    /// `1 / sqrt(k_scale)` and a DC input replaces the lost mean input.
    pub k_scale: f64,
    /// Background input as a DC current instead of Poisson spikes.
    pub dc_input: bool,
    /// Add the thalamic stimulus.
    pub thalamus: bool,
    /// Record spikes.
    pub record: bool,
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            n_scale: 1.0,
            k_scale: 1.0,
            dc_input: false,
            thalamus: false,
            record: true,
            seed: 1234,
        }
    }
}

/// The in-degree scaling used with neuron scaling `n_scale` unless one is
/// given: `n_scale`, but at least 0.5. With K_scaling below ~0.5 the
/// compensated network (same mean input, smaller fluctuations) fires
/// visibly slower in the fluctuation-driven populations (measured at
/// `n_scale` 0.1: L2/3E 0.46 Hz with K 0.1, 0.67 with 0.3, 0.85 with 0.5;
/// published 0.90).
pub fn default_k_scale(n_scale: f64) -> f64 {
    n_scale.clamp(0.5, 1.0)
}

/// A built microcircuit.
pub struct Microcircuit {
    pub net: Network,
    /// The eight populations, in the order of `Params::populations`.
    pub populations: Vec<PopulationId>,
    /// Synapses onto each population (recurrent, plus thalamic if any).
    pub incoming_synapses: Vec<u64>,
    /// Total number of synapses.
    pub num_synapses: u64,
}

/// Number of synapses with connection probability `c` between populations
/// of `n_pre` and `n_post` neurons (multapses allowed): the `K` of the paper.
pub fn num_synapses(c: f64, n_pre: f64, n_post: f64) -> f64 {
    if c <= 0.0 {
        return 0.0;
    }
    (1.0 - c).ln() / (1.0 - 1.0 / (n_pre * n_post)).ln()
}

/// A Poisson source firing at `rate` only during `[start, start + duration)`.
#[neuron_model(auto_refractory = false)]
pub struct PoissonPulse {
    #[param(non_negative)]
    pub rate: Scalar,
    #[param]
    pub start: Scalar,
    #[param(non_negative)]
    pub duration: Scalar,
    #[derived(rate * dt / 1000.0)]
    p_spike: Scalar,
    #[var]
    spike: bool,
}

#[neuron_model]
impl PoissonPulse {
    fn sim(&mut self, env: &mut NeuronEnv) {
        let t = env.t();
        let on = t >= self.start && t < self.start + self.duration;
        self.spike = on && env.rand_uniform() < self.p_spike;
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.spike
    }
}

/// Weight initialiser: normal around `mean` with sd `rel_std * |mean|`,
/// redrawn until it has the sign of `mean` (NEST's clipping at 0).
fn weights(mean: f64, rel_std: f64) -> VarInit {
    let sd = rel_std * mean.abs();
    if mean >= 0.0 {
        VarInit::normal_clipped(mean, sd, 0.0, f64::INFINITY)
    } else {
        VarInit::normal_clipped(mean, sd, f64::NEG_INFINITY, 0.0)
    }
}

/// Dendritic delays in steps for delays ~ normal(mean, sd) ms redrawn below
/// `dt` (NEST) and above `mean + 6 sd` rounded up to whole steps (a tail of
/// probability 1e-9), and the largest step count (see
/// [`VarInit::delay_steps_normal`]).
fn delays(mean: f64, sd: f64, dt: f64) -> (VarInit, u32) {
    let max_steps = ((mean + 6.0 * sd) / dt).ceil() + 1.0;
    VarInit::delay_steps_normal(mean, sd, dt, max_steps * dt, dt)
}

/// Builds the microcircuit.
pub fn build(p: &Params, o: &Options) -> Result<Microcircuit> {
    let dt = p.simulation.dt;
    let mut net = Network::new(dt)?;
    net.set_seed(o.seed);
    // All projections use ExpCurr with the same tau_syn: one input (and one
    // dendritic-delay ring) per neuron instead of one per projection.
    net.set_fuse_postsynaptic(true);
    let n = p.populations.len();
    let full: Vec<f64> = p.num_neurons.iter().map(|&x| x as f64).collect();
    let sizes: Vec<u32> = full
        .iter()
        .map(|&x| ((x * o.n_scale).round() as u32).max(1))
        .collect();

    // Weights (nA): PSC amplitudes of the paper, scaled by 1/sqrt(K).
    let w_exc = p.synapses.PSP_exc_mean * p.synapses.PSC_over_PSP / 1000.0;
    let mean_psc = |target: usize, source: usize| -> f64 {
        let mut w = if source % 2 == 0 {
            w_exc
        } else {
            p.synapses.g * w_exc
        };
        if p.populations[source] == "L4E" && p.populations[target] == "L23E" {
            w *= p.synapses.L4E_to_L23E_factor;
        }
        w
    };
    let k_sqrt = o.k_scale.sqrt();
    let tau_syn = p.neuron.tau_syn;
    let w_ext = p.background.weight / 1000.0;

    // DC compensating the input lost by K scaling (NEST's
    // adjust_weights_and_input_to_synapse_scaling), plus the DC variant of
    // the background.
    let mut dc = vec![0.0; n];
    for t in 0..n {
        let rec: f64 = (0..n)
            .map(|s| {
                let k_full = num_synapses(p.conn_probs[t][s], full[s], full[t]);
                mean_psc(t, s) * (k_full / full[t]) * p.expected.mean_rates[s]
            })
            .sum();
        let ext = w_ext * p.background.K_ext[t] * p.background.bg_rate;
        dc[t] = 0.001 * tau_syn * (1.0 - k_sqrt) * (rec + if o.dc_input { 0.0 } else { ext });
        if o.dc_input {
            dc[t] += 0.001 * tau_syn * ext;
        }
    }

    let np = &p.neuron;
    let mut populations = Vec::with_capacity(n);
    for (i, name) in p.populations.iter().enumerate() {
        let lif = Lif {
            c: np.C_m / 1000.0,
            tau_m: np.tau_m,
            v_rest: np.E_L,
            v_reset: np.V_reset,
            v_thresh: np.V_th,
            i_offset: dc[i],
            tau_refrac: np.t_ref,
        };
        let pop = net
            .add_population(name.as_str(), sizes[i], lif)
            .init("v", VarInit::normal(np.V0_mean[i], np.V0_std[i]))
            .init("refrac_time", 0.0)
            .record_spikes(o.record)
            .build()?;
        if !o.dc_input {
            // K_ext * K_scaling external synapses at bg_rate, weight / sqrt(K).
            let rate = p.background.K_ext[i] * o.k_scale * p.background.bg_rate;
            net.add_current_source(
                format!("{name}_background").as_str(),
                pop,
                PoissonExp {
                    weight: w_ext / k_sqrt,
                    tau_syn,
                    rate,
                },
            )
            .init("current", 0.0)
            .build()?;
        }
        populations.push(pop);
    }

    let s = &p.synapses;
    let mut incoming = vec![0u64; n];
    for t in 0..n {
        for src in 0..n {
            let k_full = num_synapses(p.conn_probs[t][src], full[src], full[t]);
            let k = (k_full * o.n_scale * o.k_scale).round() as u64;
            if k == 0 {
                continue;
            }
            let exc = src % 2 == 0;
            let mean_delay = if exc {
                s.delay_exc_mean
            } else {
                s.delay_inh_mean
            };
            let (d_init, max_d) = delays(mean_delay, mean_delay * s.delay_rel_std, dt);
            let name = format!("{}_{}", p.populations[src], p.populations[t]);
            net.add_synapse_group(
                name.as_str(),
                populations[src],
                populations[t],
                StaticPulseDendriticDelay,
                ExpCurr { tau: tau_syn },
            )
            .connectivity(Connectivity::FixedNumberTotal { n: k })
            .wu_init("g", weights(mean_psc(t, src) / k_sqrt, s.weight_rel_std))
            .wu_init("d", d_init)
            .max_dendritic_delay(max_d)
            .build()?;
            incoming[t] += k;
        }
    }

    if o.thalamus {
        let th = &p.thalamus;
        let n_th = ((th.num_neurons as f64 * o.n_scale).round() as u32).max(1);
        let thal = net
            .add_population(
                "TH",
                n_th,
                PoissonPulse {
                    rate: th.rate,
                    start: th.start,
                    duration: th.duration,
                },
            )
            .init("spike", 0.0)
            .record_spikes(o.record)
            .build()?;
        let w_th = th.PSP_mean * s.PSC_over_PSP / 1000.0;
        for t in 0..n {
            let k_full = num_synapses(th.conn_probs[t], th.num_neurons as f64, full[t]);
            let k = (k_full * o.n_scale * o.k_scale).round() as u64;
            if k == 0 {
                continue;
            }
            let (d_init, max_d) = delays(th.delay_mean, th.delay_mean * th.delay_rel_std, dt);
            net.add_synapse_group(
                format!("TH_{}", p.populations[t]).as_str(),
                thal,
                populations[t],
                StaticPulseDendriticDelay,
                ExpCurr { tau: tau_syn },
            )
            .connectivity(Connectivity::FixedNumberTotal { n: k })
            .wu_init("g", weights(w_th / k_sqrt, s.weight_rel_std))
            .wu_init("d", d_init)
            .max_dendritic_delay(max_d)
            .build()?;
            incoming[t] += k;
        }
    }
    let num_synapses = incoming.iter().sum();
    Ok(Microcircuit {
        net,
        populations,
        incoming_synapses: incoming,
        num_synapses,
    })
}
