//! What each kind of model may contain besides the DSL contract of
//! `snn_dsl` (model kinds, their methods and the environment calls each
//! may make): the field attributes, and the traits the macros implement.

pub use snn_dsl::ModelKind;

/// A field attribute (`#[param]`, `#[var]`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldAttr {
    /// `#[param]`
    Param,
    /// `#[derived(expr)]`
    Derived,
    /// `#[var]`
    Var,
    /// `#[egp]`
    Egp,
    /// `#[neuron_var]`
    NeuronVar,
    /// `#[pre_var]` (weight update: per presynaptic neuron)
    PreVar,
    /// `#[post_var]` (weight update: per postsynaptic neuron)
    PostVar,
    /// `#[pre_neuron_var]` / `#[pre_neuron_var(name)]` (weight update)
    PreNeuronVar,
    /// `#[post_neuron_var]` / `#[post_neuron_var(name)]` (weight update)
    PostNeuronVar,
    /// `#[input]` (neuron: a synaptic input port)
    Input,
}

impl FieldAttr {
    /// The attribute's name.
    pub fn name(self) -> &'static str {
        match self {
            FieldAttr::Param => "param",
            FieldAttr::Derived => "derived",
            FieldAttr::Var => "var",
            FieldAttr::Egp => "egp",
            FieldAttr::NeuronVar => "neuron_var",
            FieldAttr::PreVar => "pre_var",
            FieldAttr::PostVar => "post_var",
            FieldAttr::PreNeuronVar => "pre_neuron_var",
            FieldAttr::PostNeuronVar => "post_neuron_var",
            FieldAttr::Input => "input",
        }
    }
    /// The `snn_core::model::FieldKind` variant name.
    pub fn field_kind(self) -> &'static str {
        match self {
            FieldAttr::Param => "Param",
            FieldAttr::Derived => "Derived",
            FieldAttr::Var => "Var",
            FieldAttr::Egp => "Egp",
            FieldAttr::NeuronVar => "NeuronVar",
            FieldAttr::PreVar => "PreVar",
            FieldAttr::PostVar => "PostVar",
            FieldAttr::PreNeuronVar => "PreNeuronVar",
            FieldAttr::PostNeuronVar => "PostNeuronVar",
            FieldAttr::Input => "Input",
        }
    }
    /// True for references to neuron variables (bound by name).
    #[allow(dead_code)]
    pub fn is_neuron_ref(self) -> bool {
        matches!(
            self,
            FieldAttr::NeuronVar | FieldAttr::PreNeuronVar | FieldAttr::PostNeuronVar
        )
    }
    /// All field attributes.
    pub const ALL: [FieldAttr; 10] = [
        FieldAttr::Param,
        FieldAttr::Derived,
        FieldAttr::Var,
        FieldAttr::Egp,
        FieldAttr::NeuronVar,
        FieldAttr::PreVar,
        FieldAttr::PostVar,
        FieldAttr::PreNeuronVar,
        FieldAttr::PostNeuronVar,
        FieldAttr::Input,
    ];
}

/// What the macros need to know about a model kind besides the DSL
/// contract (`snn_dsl::ModelKind`): the traits they implement and the field
/// attributes the kind accepts.
pub trait KindExt {
    /// The `snn_core::model::ModelKind` variant name.
    fn variant(self) -> &'static str;
    /// The kind trait (`NeuronModel`, ...) and the behaviour trait (`NeuronBehaviour`, ...).
    fn traits(self) -> (&'static str, &'static str);
    /// Field attributes this kind accepts.
    fn field_attrs(self) -> &'static [FieldAttr];
}

impl KindExt for ModelKind {
    fn variant(self) -> &'static str {
        match self {
            ModelKind::Neuron => "Neuron",
            ModelKind::Postsynaptic => "Postsynaptic",
            ModelKind::CurrentSource => "CurrentSource",
            ModelKind::WeightUpdate => "WeightUpdate",
            ModelKind::VarInit => "VarInit",
            ModelKind::Connectivity => "Connectivity",
        }
    }

    fn traits(self) -> (&'static str, &'static str) {
        match self {
            ModelKind::Neuron => ("NeuronModel", "NeuronBehaviour"),
            ModelKind::Postsynaptic => ("PostsynapticModel", "PostsynapticBehaviour"),
            ModelKind::CurrentSource => ("CurrentSourceModel", "CurrentSourceBehaviour"),
            ModelKind::WeightUpdate => ("WeightUpdateModel", "WeightUpdateBehaviour"),
            ModelKind::VarInit => ("VarInitModel", "VarInitBehaviour"),
            ModelKind::Connectivity => ("ConnectivityModel", "RowBuildBehaviour"),
        }
    }

    fn field_attrs(self) -> &'static [FieldAttr] {
        use FieldAttr::*;
        match self {
            ModelKind::Neuron => &[Param, Derived, Var, Egp, Input],
            ModelKind::Postsynaptic => &[Param, Derived, Var, NeuronVar],
            ModelKind::CurrentSource => &[Param, Derived, Var, Egp, NeuronVar],
            ModelKind::WeightUpdate => &[
                Param,
                Derived,
                Var,
                Egp,
                PreVar,
                PostVar,
                PreNeuronVar,
                PostNeuronVar,
            ],
            ModelKind::VarInit | ModelKind::Connectivity => &[Param, Derived],
        }
    }
}
