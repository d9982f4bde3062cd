//! Built-in models, written with the same macros a user would use.
//!
//! Units are those of the parameters: with `c` in nF and currents in nA (GeNN's
//! convention) or `c` in pF and currents in pA (NEST's), membrane potentials
//! come out in mV either way. Time is in ms.

use crate::{current_source_model, neuron_model, postsynaptic_model, weight_update_model};

pub mod adex;
pub mod alpha;
pub mod gap;
pub mod hh;
pub mod stp;
pub use adex::*;
pub use alpha::*;
pub use gap::*;
pub use hh::*;
pub use stp::*;

/// Leaky integrate-and-fire neuron with exact integration of the membrane for
/// input held constant over a step, and an absolute refractory period
/// (GeNN's `LIF`; with [`ExpCurr`] the usual `iaf_psc_exp` set-up).
///
/// `V <- a - exp(-dt/tau_m) (a - V)` with `a = (Isyn + i_offset) tau_m / c + v_rest`,
/// while not refractory; spikes when `V >= v_thresh` outside the refractory
/// period, then `V = v_reset` for `tau_refrac` ms. With [`DeltaCurr`] a
/// weight `w` is a current held for one step, which moves `V` by
/// `w (tau_m / c) (1 - exp(-dt / tau_m))`; for weights that move `V` by
/// themselves (NEST's `iaf_psc_delta`) use [`LifDelta`].
#[neuron_model(auto_refractory = false)]
pub struct Lif {
    /// Membrane capacitance.
    #[param(positive)]
    pub c: Scalar,
    /// Membrane time constant (ms).
    #[param(positive)]
    pub tau_m: Scalar,
    /// Resting potential (mV).
    #[param]
    pub v_rest: Scalar,
    /// Reset potential (mV).
    #[param]
    pub v_reset: Scalar,
    /// Threshold (mV).
    #[param]
    pub v_thresh: Scalar,
    /// Constant offset current.
    #[param]
    pub i_offset: Scalar,
    /// Refractory period (ms).
    #[param(non_negative)]
    pub tau_refrac: Scalar,
    #[derived((-dt / tau_m).exp())]
    exp_tc: Scalar,
    #[derived(tau_m / c)]
    r_mem: Scalar,
    /// Membrane potential (mV).
    #[var]
    v: Scalar,
    /// Remaining refractory time (ms).
    #[var]
    refrac_time: Scalar,
}

#[neuron_model]
impl Lif {
    fn sim(&mut self, env: &mut NeuronEnv) {
        if self.refrac_time <= 0.0 {
            let alpha = (env.isyn() + self.i_offset) * self.r_mem + self.v_rest;
            self.v = alpha - self.exp_tc * (alpha - self.v);
        } else {
            self.refrac_time -= env.dt();
        }
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.refrac_time <= 0.0 && self.v >= self.v_thresh
    }
    fn reset(&mut self, env: &mut NeuronEnv) {
        self.v = self.v_reset;
        self.refrac_time = self.tau_refrac;
    }
}

/// Leaky integrate-and-fire neuron whose synaptic input through the port
/// `jump` moves the membrane at once (NEST's `iaf_psc_delta`, the neuron of
/// Brunel's 2000 network).
///
/// As [`Lif`], with the sum of the weights that arrive in a step through
/// synapse groups with `.target_port("jump")` (and [`DeltaCurr`]) added to
/// `V` after the step's decay: a weight of 0.2 moves `V` by 0.2 mV.
/// `isyn` (current sources, synapse groups without that port) is a
/// current, as for [`Lif`]. Input that arrives during the refractory
/// period is discarded (NEST's default). Compare [`Lif`] with
/// [`DeltaCurr`], where a weight `w` is a current held for one step and
/// moves `V` by `w (tau_m / c) (1 - exp(-dt / tau_m))`.
///
/// ```
/// use snn_core::prelude::*;
/// let mut net = Network::new(0.1)?;
/// let neuron = LifDelta {
///     c: 250.0, tau_m: 20.0, v_rest: 0.0, v_reset: 10.0,
///     v_thresh: 20.0, i_offset: 0.0, tau_refrac: 2.0,
/// };
/// let e = net.add_population("E", 100, neuron.clone())
///     .init("v", 0.0)
///     .init("refrac_time", 0.0)
///     .build()?;
/// net.add_synapse_group("EE", e, e, StaticPulse, DeltaCurr)
///     .connectivity(Connectivity::FixedProbability { p: 0.1, autapses: false })
///     .wu_init("g", 0.2) // mV
///     .target_port("jump")
///     .axonal_delay_ms(1.5)
///     .build()?;
/// # Ok::<(), snn_core::Error>(())
/// ```
#[neuron_model(auto_refractory = false)]
pub struct LifDelta {
    /// Membrane capacitance.
    #[param(positive)]
    pub c: Scalar,
    /// Membrane time constant (ms).
    #[param(positive)]
    pub tau_m: Scalar,
    /// Resting potential (mV).
    #[param]
    pub v_rest: Scalar,
    /// Reset potential (mV).
    #[param]
    pub v_reset: Scalar,
    /// Threshold (mV).
    #[param]
    pub v_thresh: Scalar,
    /// Constant offset current.
    #[param]
    pub i_offset: Scalar,
    /// Refractory period (ms).
    #[param(non_negative)]
    pub tau_refrac: Scalar,
    #[derived((-dt / tau_m).exp())]
    exp_tc: Scalar,
    #[derived(tau_m / c)]
    r_mem: Scalar,
    /// Membrane potential (mV).
    #[var]
    v: Scalar,
    /// Remaining refractory time (ms).
    #[var]
    refrac_time: Scalar,
    /// Voltage-jump input port (mV): the weights arriving this step.
    #[input]
    jump: Scalar,
}

#[neuron_model]
impl LifDelta {
    fn sim(&mut self, env: &mut NeuronEnv) {
        if self.refrac_time <= 0.0 {
            let alpha = (env.isyn() + self.i_offset) * self.r_mem + self.v_rest;
            self.v = alpha - self.exp_tc * (alpha - self.v) + self.jump;
        } else {
            self.refrac_time -= env.dt();
        }
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.refrac_time <= 0.0 && self.v >= self.v_thresh
    }
    fn reset(&mut self, env: &mut NeuronEnv) {
        self.v = self.v_reset;
        self.refrac_time = self.tau_refrac;
    }
}

/// Izhikevich (2003) neuron with population-wide `a, b, c, d` (GeNN's
/// `Izhikevich`): two half-steps for `v`, `v` capped at 30 mV, reset at the
/// start of the step after the spike. Unlike GeNN it keeps auto-refractory
/// spike detection on: a step ending in [29.99, 30) mV would otherwise spike
/// again in the next step, before the reset. Regular spiking: `a=0.02, b=0.2,
/// c=-65, d=8`; fast spiking: `a=0.1, b=0.2, c=-65, d=2`.
#[neuron_model]
pub struct Izhikevich {
    /// Time scale of the recovery variable.
    #[param]
    pub a: Scalar,
    /// Sensitivity of the recovery variable.
    #[param]
    pub b: Scalar,
    /// After-spike reset of `v` (mV).
    #[param]
    pub c: Scalar,
    /// After-spike increment of `u`.
    #[param]
    pub d: Scalar,
    /// Membrane potential (mV).
    #[var]
    v: Scalar,
    /// Recovery variable.
    #[var]
    u: Scalar,
}

#[neuron_model]
impl Izhikevich {
    fn sim(&mut self, env: &mut NeuronEnv) {
        if self.v >= 30.0 {
            self.v = self.c;
            self.u += self.d;
        }
        self.v +=
            0.5 * (0.04 * self.v * self.v + 5.0 * self.v + 140.0 - self.u + env.isyn()) * env.dt();
        self.v +=
            0.5 * (0.04 * self.v * self.v + 5.0 * self.v + 140.0 - self.u + env.isyn()) * env.dt();
        self.u += self.a * (self.b * self.v - self.u) * env.dt();
        if self.v > 30.0 {
            self.v = 30.0;
        }
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.v >= 29.99
    }
}

/// Izhikevich neuron with per-neuron `a, b, c, d` state variables (GeNN's
/// `IzhikevichVariable`), for heterogeneous populations.
#[neuron_model]
pub struct IzhikevichVariable {
    /// Membrane potential (mV).
    #[var]
    v: Scalar,
    /// Recovery variable.
    #[var]
    u: Scalar,
    /// Time scale of the recovery variable.
    #[var]
    a: Scalar,
    /// Sensitivity of the recovery variable.
    #[var]
    b: Scalar,
    /// After-spike reset of `v` (mV).
    #[var]
    c: Scalar,
    /// After-spike increment of `u`.
    #[var]
    d: Scalar,
}

#[neuron_model]
impl IzhikevichVariable {
    fn sim(&mut self, env: &mut NeuronEnv) {
        if self.v >= 30.0 {
            self.v = self.c;
            self.u += self.d;
        }
        self.v +=
            0.5 * (0.04 * self.v * self.v + 5.0 * self.v + 140.0 - self.u + env.isyn()) * env.dt();
        self.v +=
            0.5 * (0.04 * self.v * self.v + 5.0 * self.v + 140.0 - self.u + env.isyn()) * env.dt();
        self.u += self.a * (self.b * self.v - self.u) * env.dt();
        if self.v > 30.0 {
            self.v = 30.0;
        }
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.v >= 29.99
    }
}

/// Poisson spike source (GeNN's `PoissonNew`): exponentially distributed
/// inter-spike intervals of mean `1000 / rate` ms, counted in timesteps.
/// Initialise `time_step_to_spike` to 0.
#[neuron_model(auto_refractory = false)]
pub struct Poisson {
    /// Firing rate (Hz); 0 means silent.
    #[param(non_negative)]
    pub rate: Scalar,
    #[derived(if rate > 0.0 { 1000.0 / (rate * dt) } else { 1e30 })]
    isi_steps: Scalar,
    /// Timesteps until the next spike.
    #[var]
    time_step_to_spike: Scalar,
}

#[neuron_model]
impl Poisson {
    fn sim(&mut self, env: &mut NeuronEnv) {
        if self.time_step_to_spike <= 0.0 {
            self.time_step_to_spike += self.isi_steps * env.rand_exponential();
        }
        self.time_step_to_spike -= 1.0;
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.time_step_to_spike <= 0.0
    }
}

/// Spike source emitting given spike times (GeNN's `SpikeSourceArray`):
/// neuron `i` emits `spike_times[start_spike[i]..end_spike[i]]` (sorted, ms),
/// one spike per step at most. Build the initial values with [`spike_times`].
#[neuron_model(auto_refractory = false)]
pub struct SpikeSourceArray {
    /// Index of the neuron's next spike in `spike_times`.
    #[var]
    start_spike: u32,
    /// One past the neuron's last spike in `spike_times`.
    #[var]
    end_spike: u32,
    /// All spike times, neuron by neuron.
    #[egp]
    spike_times: Scalar,
}

#[neuron_model]
impl SpikeSourceArray {
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.start_spike != self.end_spike && env.t() >= self.spike_times[self.start_spike as usize]
    }
    fn reset(&mut self, env: &mut NeuronEnv) {
        self.start_spike += 1;
    }
}

/// Initial values for a [`SpikeSourceArray`] population.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikeTimes {
    /// Initial `start_spike` per neuron.
    pub start_spike: Vec<f64>,
    /// Initial `end_spike` per neuron.
    pub end_spike: Vec<f64>,
    /// The `spike_times` extra global parameter.
    pub spike_times: Vec<f64>,
}

/// Lays out per-neuron spike times (each list sorted here) for a [`SpikeSourceArray`].
///
/// ```
/// let st = snn_core::builtin::spike_times(&[vec![5.0, 1.0], vec![], vec![2.0]]);
/// assert_eq!(st.spike_times, vec![1.0, 5.0, 2.0]);
/// assert_eq!(st.start_spike, vec![0.0, 2.0, 2.0]);
/// assert_eq!(st.end_spike, vec![2.0, 2.0, 3.0]);
/// ```
pub fn spike_times(per_neuron: &[Vec<f64>]) -> SpikeTimes {
    let mut out = SpikeTimes::default();
    for times in per_neuron {
        let mut t = times.clone();
        t.sort_by(f64::total_cmp);
        out.start_spike.push(out.spike_times.len() as f64);
        out.spike_times.extend(t);
        out.end_spike.push(out.spike_times.len() as f64);
    }
    out
}

/// Exponentially decaying current (GeNN's `ExpCurr`): the input is scaled by
/// `tau (1 - exp(-dt/tau)) / dt`, so a weight `w` delivers a total charge of
/// `w tau`, and decays by `exp(-dt/tau)` per step.
#[postsynaptic_model]
pub struct ExpCurr {
    /// Decay time constant (ms).
    #[param(positive)]
    pub tau: Scalar,
    #[derived((-dt / tau).exp())]
    exp_decay: Scalar,
    #[derived(tau * (1.0 - (-dt / tau).exp()) / dt)]
    init: Scalar,
}

#[postsynaptic_model]
impl ExpCurr {
    fn apply_input(&mut self, env: &mut PostsynapticEnv) {
        env.inject_current(self.init * self.in_syn);
    }
    fn decay(&mut self, env: &mut PostsynapticEnv) {
        self.in_syn *= self.exp_decay;
    }
}

/// Delta current (GeNN's `DeltaCurr`): the input is injected for one step.
#[postsynaptic_model]
pub struct DeltaCurr {}

#[postsynaptic_model]
impl DeltaCurr {
    fn apply_input(&mut self, env: &mut PostsynapticEnv) {
        env.inject_current(self.in_syn);
    }
    fn decay(&mut self, env: &mut PostsynapticEnv) {
        self.in_syn = 0.0;
    }
}

/// Exponentially decaying conductance with reversal potential (GeNN's
/// `ExpCond`): current `g (e_rev - v)` with `g` decaying by `exp(-dt/tau)`.
/// Needs a neuron variable `v`.
#[postsynaptic_model]
pub struct ExpCond {
    /// Decay time constant (ms).
    #[param(positive)]
    pub tau: Scalar,
    /// Reversal potential (mV).
    #[param]
    pub e_rev: Scalar,
    #[derived((-dt / tau).exp())]
    exp_decay: Scalar,
    /// Membrane potential of the target neuron.
    #[neuron_var]
    v: Scalar,
}

#[postsynaptic_model]
impl ExpCond {
    fn apply_input(&mut self, env: &mut PostsynapticEnv) {
        env.inject_current(self.in_syn * (self.e_rev - self.v));
    }
    fn decay(&mut self, env: &mut PostsynapticEnv) {
        self.in_syn *= self.exp_decay;
    }
}

/// Constant current injection.
#[current_source_model]
pub struct DC {
    /// The current.
    #[param]
    pub amp: Scalar,
}

#[current_source_model]
impl DC {
    fn inject(&mut self, env: &mut CurrentSourceEnv) {
        env.inject_current(self.amp);
    }
}

/// Gaussian noise current, drawn independently per neuron and step.
#[current_source_model]
pub struct GaussianNoise {
    /// Mean current.
    #[param]
    pub mean: Scalar,
    /// Standard deviation.
    #[param(non_negative)]
    pub sd: Scalar,
}

#[current_source_model]
impl GaussianNoise {
    fn inject(&mut self, env: &mut CurrentSourceEnv) {
        let z = env.rand_normal();
        env.inject_current(self.mean + self.sd * z);
    }
}

/// Independent Poisson input spike trains delivered as jumps, one train per
/// target neuron (NEST's `poisson_generator` connected with a static
/// synapse): each step `Poisson(rate dt / 1000)` input spikes of weight
/// `weight` are injected for that step only. Into `isyn` this is a delta
/// current; into a conductance port (`.target_port("ex")` of
/// `AdExCond`) each spike is a conductance jump of `weight`.
#[current_source_model]
pub struct PoissonDelta {
    /// Weight of one input spike.
    #[param]
    pub weight: Scalar,
    /// Total input rate (Hz).
    #[param(non_negative)]
    pub rate: Scalar,
    #[derived(rate * dt / 1000.0)]
    lambda: Scalar,
}

#[current_source_model]
impl PoissonDelta {
    fn inject(&mut self, env: &mut CurrentSourceEnv) {
        let n = env.rand_poisson(self.lambda);
        env.inject_current(self.weight * n as Scalar);
    }
}

/// Poisson input through exponential current synapses (GeNN's `PoissonExp`):
/// each step `Poisson(rate dt / 1000)` input spikes of weight `weight` are
/// added to a current that decays with `tau_syn`, scaled like [`ExpCurr`].
/// Initialise `current` to 0. Models the microcircuit's background input.
#[current_source_model]
pub struct PoissonExp {
    /// Weight of one input spike.
    #[param]
    pub weight: Scalar,
    /// Synaptic time constant (ms).
    #[param(positive)]
    pub tau_syn: Scalar,
    /// Total input rate (Hz).
    #[param(non_negative)]
    pub rate: Scalar,
    #[derived((-dt / tau_syn).exp())]
    exp_decay: Scalar,
    #[derived(weight * (1.0 - (-dt / tau_syn).exp()) * (tau_syn / dt))]
    init: Scalar,
    #[derived(rate * dt / 1000.0)]
    lambda: Scalar,
    /// The filtered input current.
    #[var]
    current: Scalar,
}

#[current_source_model]
impl PoissonExp {
    fn inject(&mut self, env: &mut CurrentSourceEnv) {
        let n = env.rand_poisson(self.lambda);
        self.current += self.init * n as Scalar;
        env.inject_current(self.current);
        self.current *= self.exp_decay;
    }
}

/// Static synapse: adds weight `g` to the target's input on every presynaptic spike.
#[weight_update_model]
pub struct StaticPulse {
    /// Weight.
    #[var]
    g: Scalar,
}

#[weight_update_model]
impl StaticPulse {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post(self.g);
    }
}

/// Static synapse with a per-synapse dendritic delay `d` (timesteps): the
/// weight reaches the target `d` steps after the synapse is processed. The
/// group needs `.max_dendritic_delay(max)` with `max >= d`.
#[weight_update_model]
pub struct StaticPulseDendriticDelay {
    /// Weight.
    #[var]
    g: Scalar,
    /// Dendritic delay (timesteps).
    #[var]
    d: u8,
}

#[weight_update_model]
impl StaticPulseDendriticDelay {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post_delay(self.g, self.d);
    }
}

/// Pair-based additive STDP with all-to-all spike pairing through traces
/// (Song, Miller & Abbott 2000; GeNN's `STDP` with traces).
///
/// Each presynaptic spike adds 1 to the presynaptic trace `x` (after decaying
/// it, `tau_plus`), each postsynaptic spike 1 to `y` (`tau_minus`); traces
/// are decayed lazily from the spike times. A postsynaptic spike at time
/// `t_post` adds `a_plus * x(t_post)` to `g` (so one earlier presynaptic
/// spike at `t_pre` gives exactly `a_plus * exp(-(t_post - t_pre) / tau_plus)`);
/// a presynaptic spike at `t_pre` subtracts `a_minus * y(t_pre)`. `g` stays in
/// `[w_min, w_max]` and is added to the target's input on every presynaptic spike.
#[weight_update_model]
pub struct StdpAdditive {
    /// Potentiation time constant (ms).
    #[param(positive)]
    pub tau_plus: Scalar,
    /// Depression time constant (ms).
    #[param(positive)]
    pub tau_minus: Scalar,
    /// Potentiation amplitude.
    #[param(non_negative)]
    pub a_plus: Scalar,
    /// Depression amplitude.
    #[param(non_negative)]
    pub a_minus: Scalar,
    /// Lower weight bound.
    #[param]
    pub w_min: Scalar,
    /// Upper weight bound.
    #[param]
    pub w_max: Scalar,
    /// Weight.
    #[var]
    g: Scalar,
    /// Presynaptic trace, as of the latest presynaptic spike.
    #[pre_var]
    x: Scalar,
    /// Postsynaptic trace, as of the latest postsynaptic spike.
    #[post_var]
    y: Scalar,
}

#[weight_update_model]
impl StdpAdditive {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post(self.g);
        let y = self.y * (-(env.st_pre() - env.st_post()) / self.tau_minus).exp();
        self.g = (self.g - self.a_minus * y).max(self.w_min).min(self.w_max);
    }
    fn on_post_spike(&mut self, env: &mut WeightUpdateEnv) {
        let x = self.x * (-(env.st_post() - env.st_pre()) / self.tau_plus).exp();
        self.g = (self.g + self.a_plus * x).max(self.w_min).min(self.w_max);
    }
    fn pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        self.x = self.x * (-(env.st_pre() - env.prev_st_pre()) / self.tau_plus).exp() + 1.0;
    }
    fn post_spike(&mut self, env: &mut WeightUpdateEnv) {
        self.y = self.y * (-(env.st_post() - env.prev_st_post()) / self.tau_minus).exp() + 1.0;
    }
}

/// Pair-based multiplicative STDP (soft bounds, van Rossum et al. 2000):
/// as [`StdpAdditive`], but potentiation is scaled by `w_max - g` and
/// depression by `g - w_min`.
#[weight_update_model]
pub struct StdpMultiplicative {
    /// Potentiation time constant (ms).
    #[param(positive)]
    pub tau_plus: Scalar,
    /// Depression time constant (ms).
    #[param(positive)]
    pub tau_minus: Scalar,
    /// Potentiation amplitude (relative to `w_max - g`).
    #[param(non_negative)]
    pub a_plus: Scalar,
    /// Depression amplitude (relative to `g - w_min`).
    #[param(non_negative)]
    pub a_minus: Scalar,
    /// Lower weight bound.
    #[param]
    pub w_min: Scalar,
    /// Upper weight bound.
    #[param]
    pub w_max: Scalar,
    /// Weight.
    #[var]
    g: Scalar,
    /// Presynaptic trace.
    #[pre_var]
    x: Scalar,
    /// Postsynaptic trace.
    #[post_var]
    y: Scalar,
}

#[weight_update_model]
impl StdpMultiplicative {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post(self.g);
        let y = self.y * (-(env.st_pre() - env.st_post()) / self.tau_minus).exp();
        self.g -= self.a_minus * (self.g - self.w_min) * y;
    }
    fn on_post_spike(&mut self, env: &mut WeightUpdateEnv) {
        let x = self.x * (-(env.st_post() - env.st_pre()) / self.tau_plus).exp();
        self.g += self.a_plus * (self.w_max - self.g) * x;
    }
    fn pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        self.x = self.x * (-(env.st_pre() - env.prev_st_pre()) / self.tau_plus).exp() + 1.0;
    }
    fn post_spike(&mut self, env: &mut WeightUpdateEnv) {
        self.y = self.y * (-(env.st_post() - env.prev_st_post()) / self.tau_minus).exp() + 1.0;
    }
}

/// Three-factor STDP: nearest-spike STDP writes an eligibility trace `c`
/// (decaying with `tau_c`), and the weight follows `dg/dt = c * d` where the
/// dopamine level `d` jumps by `d_amount` at every dopamine delivery and
/// decays with `tau_d` (Izhikevich 2007, "Solving the distal reward
/// problem"; the event-driven form of GeNN's `izhikevich_stdp`).
///
/// Dopamine is delivered as a spike-like event: set the extra global
/// parameter `inject_dopamine` to `[1.0]` for the step of delivery (every
/// presynaptic neuron then emits an event, and every synapse integrates up
/// to it). Each synapse integrates `c * d` exactly from its last update
/// (`t_last`) to the current spike or event, then applies the STDP step:
/// a presynaptic spike `delta` ms after the latest postsynaptic spike adds
/// `-a_minus * exp(-delta / tau_minus)` to `c`, a postsynaptic spike `delta`
/// ms after the latest presynaptic spike adds `a_plus * exp(-delta / tau_plus)`.
/// `g` stays in `[w_min, w_max]`. Only the latest delivery's dopamine is
/// tracked (deliveries further apart than a few `tau_d`, as in the
/// experiment), and dopamine older than `50 tau_d` counts as none (its
/// contribution, below `e^-50` of a delivery, would vanish in the rounding
/// of `g`; skipping it saves two `exp` per update).
#[weight_update_model]
pub struct DopamineStdp {
    /// Potentiation time constant (ms).
    #[param(positive)]
    pub tau_plus: Scalar,
    /// Depression time constant (ms).
    #[param(positive)]
    pub tau_minus: Scalar,
    /// Eligibility-trace time constant (ms).
    #[param(positive)]
    pub tau_c: Scalar,
    /// Dopamine time constant (ms).
    #[param(positive)]
    pub tau_d: Scalar,
    /// Potentiation amplitude.
    #[param(non_negative)]
    pub a_plus: Scalar,
    /// Depression amplitude.
    #[param(non_negative)]
    pub a_minus: Scalar,
    /// Dopamine added per delivery.
    #[param(non_negative)]
    pub d_amount: Scalar,
    /// Lower weight bound.
    #[param]
    pub w_min: Scalar,
    /// Upper weight bound.
    #[param]
    pub w_max: Scalar,
    /// `1 / (1 / tau_c + 1 / tau_d)`: time constant of `c * d`.
    #[derived(1.0 / (1.0 / tau_c + 1.0 / tau_d))]
    tau_cd: Scalar,
    /// Weight.
    #[var]
    g: Scalar,
    /// Eligibility trace.
    #[var]
    c: Scalar,
    /// Time of this synapse's last update (ms); initialise to 0.
    #[var]
    t_last: Scalar,
    /// Dopamine delivery flag: `[1.0]` on a delivery step, `[0.0]` otherwise.
    #[egp]
    inject_dopamine: Scalar,
}

#[weight_update_model]
impl DopamineStdp {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post(self.g);
        let now = env.st_pre();
        // Dopamine delivered after the last update is integrated by its own event.
        let t_d = if env.set_pre() <= self.t_last {
            env.set_pre()
        } else {
            env.prev_set_pre()
        };
        let age = (self.t_last - t_d) / self.tau_d;
        if age < 50.0 {
            let d0 = self.d_amount * (-age).exp();
            let decay = (-(now - self.t_last) / self.tau_cd).exp();
            self.g = (self.g + self.c * d0 * self.tau_cd * (1.0 - decay))
                .max(self.w_min)
                .min(self.w_max);
        }
        self.c *= (-(now - self.t_last) / self.tau_c).exp();
        self.t_last = now;
        let delta = now - env.st_post();
        if delta > 0.0 {
            self.c -= self.a_minus * (-delta / self.tau_minus).exp();
        }
    }
    fn on_post_spike(&mut self, env: &mut WeightUpdateEnv) {
        let now = env.st_post();
        let t_d = if env.set_pre() <= self.t_last {
            env.set_pre()
        } else {
            env.prev_set_pre()
        };
        let age = (self.t_last - t_d) / self.tau_d;
        if age < 50.0 {
            let d0 = self.d_amount * (-age).exp();
            let decay = (-(now - self.t_last) / self.tau_cd).exp();
            self.g = (self.g + self.c * d0 * self.tau_cd * (1.0 - decay))
                .max(self.w_min)
                .min(self.w_max);
        }
        self.c *= (-(now - self.t_last) / self.tau_c).exp();
        self.t_last = now;
        let delta = now - env.st_pre();
        if delta > 0.0 {
            self.c += self.a_plus * (-delta / self.tau_plus).exp();
        }
    }
    fn on_pre_event(&mut self, env: &mut WeightUpdateEnv) {
        // Integrate up to the delivery with the dopamine before it.
        let now = env.set_pre();
        let t_d = env.prev_set_pre();
        let age = (self.t_last - t_d) / self.tau_d;
        if age < 50.0 {
            let d0 = self.d_amount * (-age).exp();
            let decay = (-(now - self.t_last) / self.tau_cd).exp();
            self.g = (self.g + self.c * d0 * self.tau_cd * (1.0 - decay))
                .max(self.w_min)
                .min(self.w_max);
        }
        self.c *= (-(now - self.t_last) / self.tau_c).exp();
        self.t_last = now;
    }
    fn event_threshold(&self, env: &WeightUpdateEnv) -> bool {
        self.inject_dopamine[0] > 0.5
    }
}

/// Metadata of every built-in model, for tools and tests that must cover them all
/// (e.g. checking that the GPU code generated for each one compiles).
pub fn all_models() -> Vec<&'static crate::model::ModelDesc> {
    use crate::model::Model;
    vec![
        Lif::DESC,
        LifDelta::DESC,
        Izhikevich::DESC,
        IzhikevichVariable::DESC,
        Poisson::DESC,
        SpikeSourceArray::DESC,
        ExpCurr::DESC,
        DeltaCurr::DESC,
        ExpCond::DESC,
        DC::DESC,
        GaussianNoise::DESC,
        PoissonExp::DESC,
        PoissonDelta::DESC,
        StaticPulse::DESC,
        StaticPulseDendriticDelay::DESC,
        StdpAdditive::DESC,
        StdpMultiplicative::DESC,
        DopamineStdp::DESC,
    ]
    .into_iter()
    .chain(adex::models())
    .chain(alpha::models())
    .chain(gap::models())
    .chain(hh::models())
    .chain(stp::models())
    .collect()
}
