//! Gap junctions: continuous electrical coupling between neurons (GeNN's
//! gap-junction pattern of synapse dynamics, NEST's `gap_junction`).

use crate::weight_update_model;

/// An electrical synapse: in every step it adds the current
/// `g (v_pre - v_post)` to its target, from the membrane potentials at
/// the start of the step (a first-order, explicit coupling; NEST solves
/// its `gap_junction` by waveform relaxation instead). Use it with
/// [`super::DeltaCurr`] (the current acts in the step it is computed);
/// both neurons need a variable `v`. A junction couples both ways: give
/// each direction its own synapse (for instance one group with a symmetric
/// connectivity, or two groups), with the same `g`.
///
/// Every synapse runs every step, whatever the spikes, so a group costs
/// about as much as one pass over its synapses per step.
#[weight_update_model]
pub struct GapJunction {
    /// Conductance of the junction.
    #[var]
    g: Scalar,
    /// Membrane potential of the presynaptic neuron.
    #[pre_neuron_var(v)]
    v_pre: Scalar,
    /// Membrane potential of the postsynaptic neuron.
    #[post_neuron_var(v)]
    v_post: Scalar,
}

#[weight_update_model]
impl GapJunction {
    fn synapse_dynamics(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post(self.g * (self.v_pre - self.v_post));
    }
}

/// Metadata of the models in this module.
pub(crate) fn models() -> Vec<&'static crate::model::ModelDesc> {
    use crate::model::Model;
    vec![GapJunction::DESC]
}
