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
const WEIGHT_UPDATE_METHODS: &[MethodSpec] = &[
    method("on_pre_spike", Receiver::Mut, true, None),
    method("on_post_spike", Receiver::Mut, true, None),
    method("on_pre_event", Receiver::Mut, true, None),
    method("synapse_dynamics", Receiver::Mut, true, None),
    method("event_threshold", Receiver::Ref, false, Some("bool")),
    method("pre_spike", Receiver::Mut, true, None),
    method("post_spike", Receiver::Mut, true, None),
];

/// Spike-time accessors of the presynaptic view of weight-update code.
const PRE_TIMES: [(&str, usize); 4] = [
    ("st_pre", 0),
    ("prev_st_pre", 0),
    ("set_pre", 0),
    ("prev_set_pre", 0),
];
/// Spike-time accessors of the postsynaptic view of weight-update code.
const POST_TIMES: [(&str, usize); 2] = [("st_post", 0), ("prev_st_post", 0)];
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
            Kind::Neuron => &[Param, Derived, Var, Egp, Input],
            Kind::Postsynaptic => &[Param, Derived, Var, NeuronVar],
            Kind::CurrentSource => &[Param, Derived, Var, Egp, NeuronVar],
            Kind::WeightUpdate => &[
                Param,
                Derived,
                Var,
                Egp,
                PreVar,
                PostVar,
                PreNeuronVar,
                PostNeuronVar,
            ],
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
            Kind::WeightUpdate => {
                let mut v = vec![("t", 0), ("dt", 0)];
                match method.name {
                    "pre_spike" | "event_threshold" => {
                        v.push(("id_pre", 0));
                        v.extend(PRE_TIMES);
                    }
                    "post_spike" => {
                        v.push(("id_post", 0));
                        v.extend(POST_TIMES);
                    }
                    name => {
                        v.extend([("id_pre", 0), ("id_post", 0)]);
                        v.extend(PRE_TIMES);
                        v.extend(POST_TIMES);
                        if name != "on_post_spike" {
                            v.extend([("add_to_post", 1), ("add_to_post_delay", 2)]);
                        }
                    }
                }
                v
            }
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
