//! Short-term plasticity: the Tsodyks-Markram synapse (Tsodyks, Uziel &
//! Markram 2000; NEST's `tsodyks_synapse`, exactly integrated between
//! spikes).

use crate::weight_update_model;

/// Tsodyks-Markram short-term depression and facilitation (NEST's
/// `tsodyks_synapse`). Each synapse's resources are split into available
/// `x`, active `y` and inactive `1 - x - y`: active resources become
/// inactive with `tau_psc`, inactive ones recover with `tau_rec`, and the
/// utilisation `u` decays to 0 with `tau_fac` (no facilitation when
/// `tau_fac` is 0: `u` is `u0` at every spike). At a presynaptic spike, `h`
/// ms after the previous one, the state is first propagated exactly over
/// `h`, then `u += u0 (1 - u)`, a fraction `u` of `x` becomes active, and
/// the target receives `g` times that amount.
///
/// The presynaptic spike times are the neuron's (`env.st_pre()`,
/// `env.prev_st_pre()`), so before the first spike the synapse is at rest:
/// initialise `x = 1`, `y = 0`, `u = 0` (NEST's state after a long
/// silence). `tau_psc` must differ from `tau_rec`. With [`super::ExpCurr`]
/// of time constant `tau_psc` the current is NEST's set-up.
#[weight_update_model]
pub struct TsodyksMarkram {
    /// Utilisation increment per spike (NEST's `U`), in (0, 1].
    #[param(positive)]
    pub u0: Scalar,
    /// Recovery time constant of the inactive resources (ms).
    #[param(positive)]
    pub tau_rec: Scalar,
    /// Facilitation time constant (ms); 0 for none.
    #[param(non_negative)]
    pub tau_fac: Scalar,
    /// Inactivation time constant of the active resources (ms).
    #[param(positive)]
    pub tau_psc: Scalar,
    /// Weight (the current or conductance of all resources at once).
    #[var]
    g: Scalar,
    /// Available resources.
    #[var]
    x: Scalar,
    /// Active resources.
    #[var]
    y: Scalar,
    /// Utilisation.
    #[var]
    u: Scalar,
}

#[weight_update_model]
impl TsodyksMarkram {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        let h = env.st_pre() - env.prev_st_pre();
        let p_uu = if self.tau_fac > 0.0 {
            (-h / self.tau_fac).exp()
        } else {
            0.0
        };
        let p_yy = (-h / self.tau_psc).exp();
        let p_zz = (-h / self.tau_rec).exp();
        let p_xy = ((p_zz - 1.0) * self.tau_rec - (p_yy - 1.0) * self.tau_psc)
            / (self.tau_psc - self.tau_rec);
        let z = 1.0 - self.x - self.y;
        self.u *= p_uu;
        self.x += p_xy * self.y + (1.0 - p_zz) * z;
        self.y *= p_yy;
        self.u += self.u0 * (1.0 - self.u);
        let delta = self.u * self.x;
        self.x -= delta;
        self.y += delta;
        env.add_to_post(self.g * delta);
    }
}

/// Metadata of the models in this module.
pub(crate) fn models() -> Vec<&'static crate::model::ModelDesc> {
    use crate::model::Model;
    vec![TsodyksMarkram::DESC]
}
