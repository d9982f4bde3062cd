//! What each kind of model may contain: field kinds, methods and environment calls.

/// The model kinds the macros define.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `#[neuron_model]`
    Neuron,
    /// `#[postsynaptic_model]`
    Postsynaptic,
    /// `#[current_source_model]`
    CurrentSource,
    /// `#[weight_update_model]`
    WeightUpdate,
    /// `#[var_init_snippet]`
    VarInit,
    /// `#[connectivity_snippet]`
    Connectivity,
}

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
        }
    }
    /// All field attributes.
    pub const ALL: [FieldAttr; 5] = [
        FieldAttr::Param,
        FieldAttr::Derived,
        FieldAttr::Var,
        FieldAttr::Egp,
        FieldAttr::NeuronVar,
    ];
}

/// How a method takes `self`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receiver {
    /// `&self`
    Ref,
    /// `&mut self`
    Mut,
}

/// A method a model kind may define.
#[derive(Clone, Copy, Debug)]
pub struct MethodSpec {
    /// Method name.
    pub name: &'static str,
    /// Receiver.
    pub receiver: Receiver,
    /// Whether the environment is taken by `&mut`.
    pub env_mut: bool,
    /// Return type: `None` for `()`, else the Rust spelling (`bool`, `Scalar`).
    pub returns: Option<&'static str>,
}

const fn method(
    name: &'static str,
    receiver: Receiver,
    env_mut: bool,
    returns: Option<&'static str>,
) -> MethodSpec {
    MethodSpec {
        name,
        receiver,
        env_mut,
        returns,
    }
}

const NEURON_METHODS: &[MethodSpec] = &[
    method("sim", Receiver::Mut, true, None),
    method("threshold", Receiver::Ref, false, Some("bool")),
    method("reset", Receiver::Mut, true, None),
];
const POSTSYNAPTIC_METHODS: &[MethodSpec] = &[
    method("apply_input", Receiver::Mut, true, None),
    method("decay", Receiver::Mut, true, None),
];
const CURRENT_SOURCE_METHODS: &[MethodSpec] = &[method("inject", Receiver::Mut, true, None)];
const WEIGHT_UPDATE_METHODS: &[MethodSpec] = &[method("on_pre_spike", Receiver::Mut, true, None)];
const VAR_INIT_METHODS: &[MethodSpec] = &[method("init", Receiver::Ref, true, Some("Scalar"))];

const CONNECTIVITY_METHODS: &[MethodSpec] = &[method("row_build", Receiver::Ref, true, None)];

const RANDOM: [(&str, usize); 6] = [
    ("rand_uniform", 0),
    ("rand_normal", 0),
    ("rand_exponential", 0),
    ("rand_poisson", 1),
    ("rand_gamma", 1),
    ("rand_binomial", 2),
];

impl Kind {
    /// The attribute name (`neuron_model`, ...).
    pub fn attr_name(self) -> &'static str {
        match self {
            Kind::Neuron => "neuron_model",
            Kind::Postsynaptic => "postsynaptic_model",
            Kind::CurrentSource => "current_source_model",
            Kind::WeightUpdate => "weight_update_model",
            Kind::VarInit => "var_init_snippet",
            Kind::Connectivity => "connectivity_snippet",
        }
    }

    /// The `snn_core::model::ModelKind` variant name.
    pub fn model_kind(self) -> &'static str {
        match self {
            Kind::Neuron => "Neuron",
            Kind::Postsynaptic => "Postsynaptic",
            Kind::CurrentSource => "CurrentSource",
            Kind::WeightUpdate => "WeightUpdate",
            Kind::VarInit => "VarInit",
            Kind::Connectivity => "Connectivity",
        }
    }

    /// The kind trait (`NeuronModel`, ...) and the behaviour trait (`NeuronBehaviour`, ...).
    pub fn traits(self) -> (&'static str, &'static str) {
        match self {
            Kind::Neuron => ("NeuronModel", "NeuronBehaviour"),
            Kind::Postsynaptic => ("PostsynapticModel", "PostsynapticBehaviour"),
            Kind::CurrentSource => ("CurrentSourceModel", "CurrentSourceBehaviour"),
            Kind::WeightUpdate => ("WeightUpdateModel", "WeightUpdateBehaviour"),
            Kind::VarInit => ("VarInitModel", "VarInitBehaviour"),
            Kind::Connectivity => ("ConnectivityModel", "RowBuildBehaviour"),
        }
    }

    /// The environment type of its methods (in `snn_core::model`), as users spell it.
    pub fn env_type(self) -> &'static str {
        match self {
            Kind::Neuron => "NeuronEnv",
            Kind::Postsynaptic => "PostsynapticEnv",
            Kind::CurrentSource => "CurrentSourceEnv",
            Kind::WeightUpdate => "WeightUpdateEnv",
            Kind::VarInit => "InitEnv",
            Kind::Connectivity => "RowBuildEnv",
        }
    }

    /// Field attributes this kind accepts.
    pub fn field_attrs(self) -> &'static [FieldAttr] {
        use FieldAttr::*;
        match self {
            Kind::Neuron => &[Param, Derived, Var, Egp],
            Kind::Postsynaptic => &[Param, Derived, Var, NeuronVar],
            Kind::CurrentSource => &[Param, Derived, Var, Egp, NeuronVar],
            Kind::WeightUpdate => &[Param, Derived, Var, Egp],
            Kind::VarInit | Kind::Connectivity => &[Param, Derived],
        }
    }

    /// Methods this kind may define.
    pub fn methods(self) -> &'static [MethodSpec] {
        match self {
            Kind::Neuron => NEURON_METHODS,
            Kind::Postsynaptic => POSTSYNAPTIC_METHODS,
            Kind::CurrentSource => CURRENT_SOURCE_METHODS,
            Kind::WeightUpdate => WEIGHT_UPDATE_METHODS,
            Kind::VarInit => VAR_INIT_METHODS,
            Kind::Connectivity => CONNECTIVITY_METHODS,
        }
    }

    /// Environment calls (name, argument count) a method may make. Random
    /// draws are only available where the environment is `&mut`.
    pub fn env_methods(self, method: &MethodSpec) -> Vec<(&'static str, usize)> {
        let mut v: Vec<(&'static str, usize)> = match self {
            Kind::Neuron => vec![("t", 0), ("dt", 0), ("isyn", 0), ("id", 0)],
            Kind::Postsynaptic | Kind::CurrentSource => {
                vec![("t", 0), ("dt", 0), ("id", 0), ("inject_current", 1)]
            }
            Kind::WeightUpdate => vec![
                ("t", 0),
                ("dt", 0),
                ("id_pre", 0),
                ("id_post", 0),
                ("add_to_post", 1),
                ("add_to_post_delay", 2),
            ],
            Kind::VarInit => vec![("id", 0)],
            Kind::Connectivity => vec![
                ("id_pre", 0),
                ("num_pre", 0),
                ("num_post", 0),
                ("add_synapse", 1),
            ],
        };
        if method.env_mut {
            v.extend(RANDOM);
        }
        v
    }
}
