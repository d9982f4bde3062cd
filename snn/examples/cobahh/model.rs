//! Brian2's `COBAHH` network (Brette et al. 2007, benchmark 3; the COBAHH
//! benchmark of Brian2CUDA and Brian2GeNN): Hodgkin-Huxley neurons
//! ([`TraubMiles::COBAHH`]), 80 % excitatory and 20 % inhibitory, random
//! connectivity with probability `p`, exponentially decaying conductances.
//!
//! Shared by the `cobahh` example and its test (`#[path]` include).
//!
//! Units: mV, ms, uS, nF, nA. Excitatory synapses: `tau = 5` ms, `E = 0`
//! mV, `w_e = 6` nS; inhibitory: `tau = 10` ms, `E = -80` mV, `w_i = 67` nS
//! ([`ExpCond`], a spike adds the weight to the target's conductance).
//! Initial `v = E_leak + (5 randn - 5)` mV, `m = h = n = 0` (Brian's
//! defaults). Brian also draws initial conductances (`ge ~ (4 + 1.5 randn)
//! 10 nS`, `gi ~ (20 + 12 randn) 10 nS`); a postsynaptic model's `in_syn`
//! cannot be initialised here, so they start at 0 (this only shortens the
//! inhibition-dominated first ~20 ms). No axonal delay: a spike changes the
//! targets' conductance in the next step, as Brian's `delay=0*ms`.

#![allow(dead_code)]

use snn::prelude::*;

#[path = "../common/stats.rs"]
mod stats;
pub use stats::rate_and_cv;

/// Timestep (ms), as in Brian's example.
pub const DT: f64 = 0.1;
/// Excitatory weight (uS): 6 nS.
pub const W_E: f64 = 0.006;
/// Inhibitory weight (uS): 67 nS.
pub const W_I: f64 = 0.067;
/// Excitatory synaptic time constant (ms).
pub const TAU_E: f64 = 5.0;
/// Inhibitory synaptic time constant (ms).
pub const TAU_I: f64 = 10.0;
/// Excitatory reversal potential (mV).
pub const E_E: f64 = 0.0;
/// Inhibitory reversal potential (mV).
pub const E_I: f64 = -80.0;

/// The integrator of the neurons (`--integrator`, `--substeps`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Integrator {
    /// [`TraubMiles`]: RK4 on substeps of at most 20 us (the default).
    Rk4,
    /// [`TraubMilesExpEuler`]: exponential Euler, Brian2's COBAHH integrator.
    ExpEuler {
        /// Substeps per step (Brian2: 1).
        substeps: u32,
    },
    /// [`TraubMilesEuler`]: forward Euler, GeNN's `TraubMiles` integrator.
    Euler {
        /// Substeps per step (GeNN: 25).
        substeps: u32,
    },
}

/// The `--integrator` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum IntegratorName {
    /// RK4 on substeps of at most 20 us.
    Rk4,
    /// Exponential Euler (Brian2), 1 substep unless --substeps.
    ExpEuler,
    /// Forward Euler (GeNN), 25 substeps unless --substeps.
    Euler,
}

impl Integrator {
    /// The integrator named `name` with `substeps` (default: Brian2's 1 for
    /// exponential Euler, GeNN's 25 for forward Euler); an error for
    /// substeps with RK4, whose substeps follow from dt.
    pub fn new(name: IntegratorName, substeps: Option<u32>) -> Result<Integrator, String> {
        match (name, substeps) {
            (IntegratorName::Rk4, None) => Ok(Integrator::Rk4),
            (IntegratorName::Rk4, Some(_)) => Err("--substeps applies to --integrator exp-euler \
                 and euler only: rk4 takes substeps of at most 20 us (5 at dt = 0.1 ms)"
                .to_string()),
            (IntegratorName::ExpEuler, k) => Ok(Integrator::ExpEuler {
                substeps: k.unwrap_or(1),
            }),
            (IntegratorName::Euler, k) => Ok(Integrator::Euler {
                substeps: k.unwrap_or(25),
            }),
        }
    }
}

/// Size, connectivity and run options.
#[derive(Clone, Debug)]
pub struct Options {
    /// Total number of neurons (80 % excitatory).
    pub neurons: u32,
    /// Connection probability of every pair (0.02 in Brian's example;
    /// `K / neurons` for `K` synapses per neuron on average).
    pub p: f64,
    /// Factor on both weights (1: Brian's example; ~0: Brian2CUDA's
    /// "pseudocoupled" 1000-synapses-per-neuron benchmark).
    pub weight_scale: f64,
    /// Record spikes.
    pub record: bool,
    /// Numerical precision.
    pub precision: Precision,
    /// Random seed.
    pub seed: u64,
    /// Integrator of the neurons.
    pub integrator: Integrator,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            neurons: 4000,
            p: 0.02,
            weight_scale: 1.0,
            record: true,
            precision: Precision::F32,
            seed: 1234,
            integrator: Integrator::Rk4,
        }
    }
}

/// A built network.
pub struct Cobahh {
    pub net: Network,
    /// Excitatory population.
    pub exc: PopulationId,
    /// Inhibitory population.
    pub inh: PopulationId,
    /// Synapses onto the excitatory and the inhibitory population (expected
    /// numbers, `p * N_pre * N_post`; the drawn ones differ by ~sqrt of it).
    pub incoming_synapses: [u64; 2],
}

/// Adds a population of `size` COBAHH neurons with `model` (one of the
/// Traub-Miles models) and Brian's initial values.
fn add_neurons<M: snn::model::NeuronModel>(
    net: &mut Network,
    name: &str,
    size: u32,
    model: M,
    record: bool,
) -> Result<PopulationId> {
    net.add_population(name, size, model)
        .init("v", VarInit::normal(TraubMiles::COBAHH.e_leak - 5.0, 5.0))
        .init("m", 0.0)
        .init("h", 0.0)
        .init("n", 0.0)
        .record_spikes(record)
        .build()
}

/// Builds the network.
pub fn build(o: &Options) -> Result<Cobahh> {
    let mut net = Network::new(DT)?;
    net.set_seed(o.seed);
    net.set_precision(o.precision);
    let n_exc = ((o.neurons as f64 * 0.8).round() as u32).max(1);
    let n_inh = o.neurons.saturating_sub(n_exc).max(1);
    let mut pops = Vec::new();
    for (name, size) in [("E", n_exc), ("I", n_inh)] {
        let neurons = TraubMiles::COBAHH;
        let pop = match o.integrator {
            Integrator::Rk4 => add_neurons(&mut net, name, size, neurons, o.record),
            Integrator::ExpEuler { substeps } => {
                add_neurons(&mut net, name, size, neurons.exp_euler(substeps), o.record)
            }
            Integrator::Euler { substeps } => {
                add_neurons(&mut net, name, size, neurons.euler(substeps), o.record)
            }
        }?;
        pops.push((name, size, pop));
    }
    let mut incoming = [0u64; 2];
    for &(src, n_src, pre) in &pops {
        let (w, psm) = if src == "E" {
            (
                W_E,
                ExpCond {
                    tau: TAU_E,
                    e_rev: E_E,
                },
            )
        } else {
            (
                W_I,
                ExpCond {
                    tau: TAU_I,
                    e_rev: E_I,
                },
            )
        };
        for (k, &(dst, n_dst, post)) in pops.iter().enumerate() {
            net.add_synapse_group(
                format!("{src}{dst}").as_str(),
                pre,
                post,
                StaticPulse,
                psm.clone(),
            )
            .connectivity(Connectivity::FixedProbability {
                p: o.p,
                autapses: true,
            })
            .wu_init("g", w * o.weight_scale)
            .build()?;
            incoming[k] += (o.p * n_src as f64 * n_dst as f64).round() as u64;
        }
    }
    Ok(Cobahh {
        net,
        exc: pops[0].2,
        inh: pops[1].2,
        incoming_synapses: incoming,
    })
}
