//! The model kinds: one per model attribute.

use crate::Method;

/// What kind of model a definition is: which attribute it carries, which
/// methods it may define ([`ModelKind::methods`]) and which environment type
/// those take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelKind {
    /// A neuron model (`#[neuron_model]`).
    Neuron,
    /// A postsynaptic model (`#[postsynaptic_model]`).
    Postsynaptic,
    /// A current-source model (`#[current_source_model]`).
    CurrentSource,
    /// A weight-update model (`#[weight_update_model]`).
    WeightUpdate,
    /// A variable-initialisation snippet (`#[var_init_snippet]`).
    VarInit,
    /// A connectivity snippet (`#[connectivity_snippet]`).
    Connectivity,
}

impl ModelKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [ModelKind] = &[
        ModelKind::Neuron,
        ModelKind::Postsynaptic,
        ModelKind::CurrentSource,
        ModelKind::WeightUpdate,
        ModelKind::VarInit,
        ModelKind::Connectivity,
    ];

    /// The name of the kind's attribute (`neuron_model`, ...).
    pub const fn attr_name(self) -> &'static str {
        match self {
            ModelKind::Neuron => "neuron_model",
            ModelKind::Postsynaptic => "postsynaptic_model",
            ModelKind::CurrentSource => "current_source_model",
            ModelKind::WeightUpdate => "weight_update_model",
            ModelKind::VarInit => "var_init_snippet",
            ModelKind::Connectivity => "connectivity_snippet",
        }
    }

    /// Lower-case description for messages ("neuron model", ...).
    pub const fn describe(self) -> &'static str {
        match self {
            ModelKind::Neuron => "neuron model",
            ModelKind::Postsynaptic => "postsynaptic model",
            ModelKind::CurrentSource => "current-source model",
            ModelKind::WeightUpdate => "weight-update model",
            ModelKind::VarInit => "variable-initialisation snippet",
            ModelKind::Connectivity => "connectivity snippet",
        }
    }

    /// The environment type the kind's methods take, as users write it
    /// (`NeuronEnv`, ...; the types are in `snn_core::model`).
    pub const fn env_type(self) -> &'static str {
        match self {
            ModelKind::Neuron => "NeuronEnv",
            ModelKind::Postsynaptic => "PostsynapticEnv",
            ModelKind::CurrentSource => "CurrentSourceEnv",
            ModelKind::WeightUpdate => "WeightUpdateEnv",
            ModelKind::VarInit => "InitEnv",
            ModelKind::Connectivity => "RowBuildEnv",
        }
    }

    /// The methods a model of this kind may define, in the order messages
    /// list them. Every [`Method`] belongs to exactly one kind
    /// ([`Method::kind`]).
    pub const fn methods(self) -> &'static [Method] {
        use Method::*;
        match self {
            ModelKind::Neuron => &[Sim, Threshold, Reset],
            ModelKind::Postsynaptic => &[ApplyInput, Decay],
            ModelKind::CurrentSource => &[Inject],
            ModelKind::WeightUpdate => &[
                OnPreSpike,
                OnPostSpike,
                OnPreEvent,
                SynapseDynamics,
                EventThreshold,
                PreSpike,
                PostSpike,
            ],
            ModelKind::VarInit => &[Init],
            ModelKind::Connectivity => &[RowBuild],
        }
    }

    /// The method of this kind named `name` in model code, if any.
    pub fn method(self, name: &str) -> Option<Method> {
        Method::from_name(name).filter(|m| m.kind() == self)
    }
}

impl core::fmt::Display for ModelKind {
    /// The description ([`ModelKind::describe`]).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_belongs_to_the_kind_that_lists_it() {
        for &kind in ModelKind::ALL {
            for &m in kind.methods() {
                assert_eq!(m.kind(), kind, "{m}");
                assert_eq!(kind.method(m.name()), Some(m));
            }
        }
        let listed: usize = ModelKind::ALL.iter().map(|k| k.methods().len()).sum();
        assert_eq!(listed, Method::ALL.len(), "a method no kind lists");
    }

    #[test]
    fn methods_of_other_kinds_are_not_found() {
        assert_eq!(ModelKind::Neuron.method("sim"), Some(Method::Sim));
        assert_eq!(ModelKind::Neuron.method("decay"), None);
        assert_eq!(ModelKind::WeightUpdate.method("init"), None);
        assert_eq!(ModelKind::VarInit.method("simulate"), None);
    }

    #[test]
    fn names_for_users() {
        assert_eq!(ModelKind::CurrentSource.attr_name(), "current_source_model");
        assert_eq!(ModelKind::Connectivity.env_type(), "RowBuildEnv");
        assert_eq!(
            ModelKind::VarInit.to_string(),
            "variable-initialisation snippet"
        );
    }
}
