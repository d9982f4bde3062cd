//! Alpha-shaped synapses: NEST's `iaf_psc_alpha` and `iaf_cond_alpha`
//! synapses, GeNN's `AlphaCurr`.
//!
//! A weight `w` that arrives in step `s` gives, `k` steps later, the
//! value `w (e / tau) (k dt) exp(-k dt / tau)`: zero in step `s`, a peak of
//! `w` at `k dt = tau`, and `w e tau` in all (the integral). Both state
//! variables are integrated exactly: the input `in_syn` (the weights, the
//! alpha function's derivative up to `e / tau`) decays by `exp(-dt / tau)`
//! and feeds `x` (the current or conductance):
//! `x <- exp(-dt / tau) x + dt (e / tau) exp(-dt / tau) in_syn`.
//! The neuron sees `x` held for the step (NEST integrates the alpha current
//! within the step as well, so a membrane differs from `iaf_psc_alpha`'s
//! by the discretisation of the current, not of the synapse).

use crate::postsynaptic_model;

/// Alpha-shaped current (NEST's `iaf_psc_alpha` synapse, GeNN's
/// `AlphaCurr`): see the [module](self) for the shape and its integration.
/// With `c` in pF, weights are in pA (the current's peak).
#[postsynaptic_model]
pub struct AlphaCurr {
    /// Time to the peak (ms).
    #[param(positive)]
    pub tau: Scalar,
    #[derived((-dt / tau).exp())]
    exp_decay: Scalar,
    #[derived(dt * (-dt / tau).exp() * ::std::f64::consts::E / tau)]
    rise: Scalar,
    /// The current injected this step.
    #[var]
    x: Scalar,
}

#[postsynaptic_model]
impl AlphaCurr {
    fn apply_input(&mut self, env: &mut PostsynapticEnv) {
        env.inject_current(self.x);
    }
    fn decay(&mut self, env: &mut PostsynapticEnv) {
        self.x = self.exp_decay * self.x + self.rise * self.in_syn;
        self.in_syn *= self.exp_decay;
    }
}

/// Alpha-shaped conductance with a reversal potential (NEST's
/// `iaf_cond_alpha` synapse): current `g (e_rev - v)` with `g` of alpha
/// shape (see the [module](self)); weights are the conductance's peak
/// (nS with `c` in pF). Needs a neuron variable `v`.
#[postsynaptic_model]
pub struct AlphaCond {
    /// Time to the peak (ms).
    #[param(positive)]
    pub tau: Scalar,
    /// Reversal potential (mV).
    #[param]
    pub e_rev: Scalar,
    #[derived((-dt / tau).exp())]
    exp_decay: Scalar,
    #[derived(dt * (-dt / tau).exp() * ::std::f64::consts::E / tau)]
    rise: Scalar,
    /// The conductance this step.
    #[var]
    g: Scalar,
    /// Membrane potential of the target neuron.
    #[neuron_var]
    v: Scalar,
}

#[postsynaptic_model]
impl AlphaCond {
    fn apply_input(&mut self, env: &mut PostsynapticEnv) {
        env.inject_current(self.g * (self.e_rev - self.v));
    }
    fn decay(&mut self, env: &mut PostsynapticEnv) {
        self.g = self.exp_decay * self.g + self.rise * self.in_syn;
        self.in_syn *= self.exp_decay;
    }
}

/// Metadata of the models in this module.
pub(crate) fn models() -> Vec<&'static crate::model::ModelDesc> {
    use crate::model::Model;
    vec![AlphaCurr::DESC, AlphaCond::DESC]
}
