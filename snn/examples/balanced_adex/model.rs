//! The NEST GPU balanced network of AdEx neurons (NEST GPU's `brunel_net`
//! example and the benchmark of Golosio et al. 2021), built for any size.
//!
//! 80 % excitatory and 20 % inhibitory conductance-based AdEx neurons (NEST
//! GPU's default `aeif` parameters); every neuron receives exactly
//! `0.8 K` excitatory and `0.2 K` inhibitory synapses (fixed in-degree,
//! K = 1,000 by default) with delays drawn from normal(0.5, 0.25) ms clipped
//! to [0.1, 1.25] ms, and an independent 20 kHz Poisson spike train through
//! excitatory synapses. Excitatory synapses reach the `ex` port (reversal
//! 0 mV), inhibitory ones the `inh` port (reversal -85 mV).
//!
//! Difference from NEST GPU: its `aeif_cond_beta` has beta-function
//! conductances with rise = decay = 1 ms, an alpha function normalised to a
//! peak of `w`, whose integral is `e w tau`; here the conductances are
//! single exponentials (`AdExCond`, NEST's `aeif_cond_exp`) with tau = 1 ms
//! and weights multiplied by e, so each spike moves the same total
//! conductance (charge at fixed driving force).

use snn::prelude::*;

/// Simulation timestep (ms), NEST GPU's default.
pub const DT: f64 = 0.1;

/// What to build.
#[derive(Clone, Debug)]
pub struct Options {
    /// Total number of neurons (80 % excitatory).
    pub neurons: u32,
    /// Synapses per neuron from the network (80 % excitatory).
    pub in_degree: u32,
    /// Random seed (connectivity, delays, Poisson input).
    pub seed: u64,
    /// Record spikes.
    pub record: bool,
    /// How the neurons are integrated.
    pub solver: AdExSolver,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            neurons: 10_000,
            in_degree: 1_000,
            seed: 1234,
            record: true,
            solver: AdExSolver::DEFAULT,
        }
    }
}

/// The built network.
pub struct Balanced {
    /// The network description.
    pub net: Network,
    /// Excitatory population.
    pub exc: PopulationId,
    /// Inhibitory population.
    pub inh: PopulationId,
    /// Synapses in the network (the Poisson input not counted).
    pub num_synapses: u64,
}

/// Excitatory weight (nS), NEST GPU's `Wex`.
const W_EX: f64 = 0.05;
/// Inhibitory weight (nS), NEST GPU's `Win`.
const W_IN: f64 = 0.35;
/// Poisson input rate (Hz) and weight (nS).
const POISSON_RATE: f64 = 20_000.0;
const POISSON_W: f64 = 0.37;
/// Delays: normal(mean, sd) ms clipped to [min, max].
const DELAY: (f64, f64, f64, f64) = (0.5, 0.25, 0.1, 0.5 + 3.0 * 0.25);

/// Builds the network.
pub fn build(o: &Options) -> Result<Balanced> {
    let mut net = Network::new(DT)?;
    net.set_seed(o.seed);
    // Groups aimed at the same port share one input and one delay ring.
    net.set_fuse_postsynaptic(true);
    let n_exc = ((o.neurons as f64 * 0.8).round() as u32).max(1);
    let n_inh = (o.neurons - n_exc.min(o.neurons)).max(1);
    let k_exc = ((o.in_degree as f64 * 0.8).round() as u32).max(1);
    let k_inh = (o.in_degree - k_exc.min(o.in_degree)).max(1);
    // NEST GPU's aeif defaults (NEST's), its reversal potentials, 1 ms synapses.
    let neuron = AdExCond {
        e_ex: 0.0,
        e_in: -85.0,
        tau_syn_ex: 1.0,
        tau_syn_in: 1.0,
        ..AdExCond::default()
    }
    .with_solver(o.solver);
    let mut pops = Vec::new();
    for (name, n) in [("E", n_exc), ("I", n_inh)] {
        let p = net
            .add_population(name, n, neuron.clone())
            .init("v", neuron.e_l)
            .init("w", 0.0)
            .init("g_ex", 0.0)
            .init("g_in", 0.0)
            .init("refrac", 0.0)
            .init("spiked", 0.0)
            .record_spikes(o.record)
            .build()?;
        net.add_current_source(
            &format!("Poisson{name}"),
            p,
            PoissonDelta {
                weight: POISSON_W * std::f64::consts::E,
                rate: POISSON_RATE,
            },
        )
        .target_port("ex")
        .build()?;
        pops.push(p);
    }
    let (exc, inh) = (pops[0], pops[1]);
    let (d_init, max_d) = VarInit::delay_steps_normal(DELAY.0, DELAY.1, DELAY.2, DELAY.3, DT);
    let mut num_synapses = 0;
    for (src, k, w, port) in [(exc, k_exc, W_EX, "ex"), (inh, k_inh, W_IN, "inh")] {
        for dst in [exc, inh] {
            let name = format!("{}{}", net.population(src).name, net.population(dst).name);
            net.add_synapse_group(&name, src, dst, StaticPulseDendriticDelay, DeltaCurr {})
                .connectivity(Connectivity::FixedNumberPre {
                    n: k,
                    autapses: src != dst,
                })
                .wu_init("g", w * std::f64::consts::E)
                .wu_init("d", d_init.clone())
                .max_dendritic_delay(max_d)
                .target_port(port)
                .build()?;
            num_synapses += k as u64 * net.population(dst).size as u64;
        }
    }
    Ok(Balanced {
        net,
        exc,
        inh,
        num_synapses,
    })
}
