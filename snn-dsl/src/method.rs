//! The methods a model may define: their kind, signature and the
//! environment calls each may make.

use crate::{EnvCall, ModelKind};

named_enum! {
    /// A method of a model, by its name in model code. Each belongs to one
    /// [`ModelKind`] ([`Method::kind`]); its signature is
    /// [`Method::signature`].
    pub enum Method {
        /// Neuron: the state update of one step.
        Sim = "sim",
        /// Neuron: the spike condition (`-> bool`).
        Threshold = "threshold",
        /// Neuron: run after a spike.
        Reset = "reset",
        /// Postsynaptic model: turns its input into current (`env.inject_current`).
        ApplyInput = "apply_input",
        /// Postsynaptic model: the decay of its input.
        Decay = "decay",
        /// Current source: injects current (`env.inject_current`).
        Inject = "inject",
        /// Weight update, synapse code: for each presynaptic spike.
        OnPreSpike = "on_pre_spike",
        /// Weight update, synapse code: for each presynaptic spike-like event.
        OnPreEvent = "on_pre_event",
        /// Weight update, synapse code: for each postsynaptic spike.
        OnPostSpike = "on_post_spike",
        /// Weight update, synapse code: every step on every synapse.
        SynapseDynamics = "synapse_dynamics",
        /// Weight update: presynaptic-neuron code run when the neuron spikes.
        PreSpike = "pre_spike",
        /// Weight update: the spike-like-event condition on every
        /// presynaptic neuron (`-> bool`).
        EventThreshold = "event_threshold",
        /// Weight update: postsynaptic-neuron code run when the neuron spikes.
        PostSpike = "post_spike",
        /// Variable-initialisation snippet: the value of one element (`-> Scalar`).
        Init = "init",
        /// Connectivity snippet: builds one row (`env.add_synapse`).
        RowBuild = "row_build",
    }
}

/// The result type of a method that returns a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReturnType {
    /// `bool`.
    Bool,
    /// `Scalar`: the network's precision.
    Scalar,
}

impl ReturnType {
    /// The Rust spelling (`bool`, `Scalar`).
    pub const fn rust_name(self) -> &'static str {
        match self {
            ReturnType::Bool => "bool",
            ReturnType::Scalar => "Scalar",
        }
    }
}

/// The random draws, available wherever the environment is `&mut`.
const RANDOM: [EnvCall; 6] = [
    EnvCall::RandUniform,
    EnvCall::RandNormal,
    EnvCall::RandExponential,
    EnvCall::RandPoisson,
    EnvCall::RandGamma,
    EnvCall::RandBinomial,
];

/// `base` followed by the random draws (`M` must be `N + 6`).
const fn with_random<const N: usize, const M: usize>(base: [EnvCall; N]) -> [EnvCall; M] {
    assert!(M == N + RANDOM.len());
    let mut out = [EnvCall::T; M];
    let mut i = 0;
    while i < M {
        out[i] = if i < N { base[i] } else { RANDOM[i - N] };
        i += 1;
    }
    out
}

use EnvCall::*;

/// Neuron code.
const NEURON: [EnvCall; 4] = [T, Dt, Isyn, Id];
/// Postsynaptic models and current sources.
const INJECTING: [EnvCall; 4] = [T, Dt, Id, InjectCurrent];
/// Presynaptic-neuron code of weight-update models.
const PRE_NEURON: [EnvCall; 7] = [T, Dt, IdPre, StPre, PrevStPre, SetPre, PrevSetPre];
/// Postsynaptic-neuron code of weight-update models.
const POST_NEURON: [EnvCall; 5] = [T, Dt, IdPost, StPost, PrevStPost];
/// Synapse code run on postsynaptic spikes (no input to the postsynaptic side).
const ON_POST: [EnvCall; 10] = [
    T, Dt, IdPre, IdPost, StPre, PrevStPre, SetPre, PrevSetPre, StPost, PrevStPost,
];
/// Synapse code that may add to the postsynaptic input.
const SYNAPSE: [EnvCall; 12] = [
    T,
    Dt,
    IdPre,
    IdPost,
    StPre,
    PrevStPre,
    SetPre,
    PrevSetPre,
    StPost,
    PrevStPost,
    AddToPost,
    AddToPostDelay,
];
/// Connectivity snippets.
const ROW_BUILD: [EnvCall; 4] = [IdPre, NumPre, NumPost, AddSynapse];

const NEURON_MUT: [EnvCall; 10] = with_random(NEURON);
const INJECTING_MUT: [EnvCall; 10] = with_random(INJECTING);
const PRE_NEURON_MUT: [EnvCall; 13] = with_random(PRE_NEURON);
const POST_NEURON_MUT: [EnvCall; 11] = with_random(POST_NEURON);
const ON_POST_MUT: [EnvCall; 16] = with_random(ON_POST);
const SYNAPSE_MUT: [EnvCall; 18] = with_random(SYNAPSE);
const INIT_MUT: [EnvCall; 7] = with_random([Id]);
const ROW_BUILD_MUT: [EnvCall; 10] = with_random(ROW_BUILD);

impl Method {
    /// The model kind that defines this method.
    pub const fn kind(self) -> ModelKind {
        match self {
            Method::Sim | Method::Threshold | Method::Reset => ModelKind::Neuron,
            Method::ApplyInput | Method::Decay => ModelKind::Postsynaptic,
            Method::Inject => ModelKind::CurrentSource,
            Method::OnPreSpike
            | Method::OnPreEvent
            | Method::OnPostSpike
            | Method::SynapseDynamics
            | Method::PreSpike
            | Method::EventThreshold
            | Method::PostSpike => ModelKind::WeightUpdate,
            Method::Init => ModelKind::VarInit,
            Method::RowBuild => ModelKind::Connectivity,
        }
    }

    /// Whether the method takes `&mut self` (else `&self`): the methods
    /// that update state.
    pub const fn self_mut(self) -> bool {
        !matches!(
            self,
            Method::Threshold | Method::EventThreshold | Method::Init | Method::RowBuild
        )
    }

    /// Whether the method takes the environment by `&mut` (else `&`): all
    /// but the conditions (`threshold`, `event_threshold`), which therefore
    /// cannot draw random numbers.
    pub const fn env_mut(self) -> bool {
        !matches!(self, Method::Threshold | Method::EventThreshold)
    }

    /// The result type; `None` for `()`.
    pub const fn returns(self) -> Option<ReturnType> {
        match self {
            Method::Threshold | Method::EventThreshold => Some(ReturnType::Bool),
            Method::Init => Some(ReturnType::Scalar),
            _ => None,
        }
    }

    /// The signature users write, e.g.
    /// `fn threshold(&self, env: &NeuronEnv) -> bool`.
    pub fn signature(self) -> String {
        let recv = if self.self_mut() {
            "&mut self"
        } else {
            "&self"
        };
        let env = if self.env_mut() { "&mut " } else { "&" };
        let ret = match self.returns() {
            Some(r) => format!(" -> {}", r.rust_name()),
            None => String::new(),
        };
        let ty = self.kind().env_type();
        format!("fn {}({recv}, env: {env}{ty}){ret}", self.name())
    }

    /// The environment calls the method's body may make, in the order
    /// messages list them; the random draws last, where the environment
    /// is `&mut` ([`Method::env_mut`]).
    ///
    /// | methods | calls (besides the draws) |
    /// |---|---|
    /// | `sim`, `threshold`, `reset` | `t`, `dt`, `isyn`, `id` |
    /// | `apply_input`, `decay`, `inject` | `t`, `dt`, `id`, `inject_current` |
    /// | `pre_spike`, `event_threshold` | `t`, `dt`, `id_pre`, `st_pre`, `prev_st_pre`, `set_pre`, `prev_set_pre` |
    /// | `post_spike` | `t`, `dt`, `id_post`, `st_post`, `prev_st_post` |
    /// | `on_post_spike` | `t`, `dt`, `id_pre`, `id_post` and the spike and event times of both sides |
    /// | `on_pre_spike`, `on_pre_event`, `synapse_dynamics` | those of `on_post_spike`, `add_to_post`, `add_to_post_delay` |
    /// | `init` | `id` |
    /// | `row_build` | `id_pre`, `num_pre`, `num_post`, `add_synapse` |
    pub const fn env_calls(self) -> &'static [EnvCall] {
        match self {
            Method::Sim | Method::Reset => &NEURON_MUT,
            Method::Threshold => &NEURON,
            Method::ApplyInput | Method::Decay | Method::Inject => &INJECTING_MUT,
            Method::PreSpike => &PRE_NEURON_MUT,
            Method::EventThreshold => &PRE_NEURON,
            Method::PostSpike => &POST_NEURON_MUT,
            Method::OnPostSpike => &ON_POST_MUT,
            Method::OnPreSpike | Method::OnPreEvent | Method::SynapseDynamics => &SYNAPSE_MUT,
            Method::Init => &INIT_MUT,
            Method::RowBuild => &ROW_BUILD_MUT,
        }
    }

    /// Whether the method's body may make environment call `call`.
    pub fn may_call(self, call: EnvCall) -> bool {
        self.env_calls().contains(&call)
    }

    /// Whether the method is synapse code of a weight-update model (runs
    /// once per synapse): `on_pre_spike`, `on_pre_event`, `on_post_spike`,
    /// `synapse_dynamics`.
    pub const fn is_synapse_code(self) -> bool {
        matches!(
            self,
            Method::OnPreSpike | Method::OnPreEvent | Method::OnPostSpike | Method::SynapseDynamics
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &m in Method::ALL {
            assert_eq!(Method::from_name(m.name()), Some(m));
            assert_eq!(m.to_string(), m.name());
        }
        assert_eq!(Method::from_name("simulate"), None);
        assert_eq!(Method::from_name("Sim"), None);
    }

    #[test]
    fn draws_exactly_where_the_environment_is_mutable() {
        for &m in Method::ALL {
            let calls = m.env_calls();
            let draws: Vec<EnvCall> = calls.iter().copied().filter(|c| c.is_random()).collect();
            if m.env_mut() {
                assert_eq!(draws, RANDOM, "{m}");
                assert!(calls.ends_with(&RANDOM), "{m}: draws listed last");
            } else {
                assert!(draws.is_empty(), "{m}");
            }
        }
    }

    #[test]
    fn no_call_is_listed_twice() {
        for &m in Method::ALL {
            let calls = m.env_calls();
            for (i, c) in calls.iter().enumerate() {
                assert!(!calls[i + 1..].contains(c), "{m}: {c} twice");
            }
        }
    }

    #[test]
    fn the_tables_of_the_contract() {
        assert!(Method::Sim.may_call(EnvCall::Isyn));
        assert!(!Method::Threshold.may_call(EnvCall::RandUniform));
        assert!(Method::ApplyInput.may_call(EnvCall::InjectCurrent));
        assert!(!Method::Sim.may_call(EnvCall::InjectCurrent));
        assert!(Method::SynapseDynamics.may_call(EnvCall::AddToPostDelay));
        assert!(!Method::OnPostSpike.may_call(EnvCall::AddToPost));
        assert!(Method::OnPostSpike.may_call(EnvCall::PrevSetPre));
        assert!(Method::EventThreshold.may_call(EnvCall::SetPre));
        assert!(!Method::EventThreshold.may_call(EnvCall::IdPost));
        assert!(!Method::PostSpike.may_call(EnvCall::StPre));
        assert!(Method::RowBuild.may_call(EnvCall::AddSynapse));
        assert!(!Method::Init.may_call(EnvCall::T));
        // Every call is available somewhere.
        for &c in EnvCall::ALL {
            assert!(Method::ALL.iter().any(|m| m.may_call(c)), "{c}");
        }
    }

    #[test]
    fn signatures() {
        assert_eq!(
            Method::Threshold.signature(),
            "fn threshold(&self, env: &NeuronEnv) -> bool"
        );
        assert_eq!(
            Method::Init.signature(),
            "fn init(&self, env: &mut InitEnv) -> Scalar"
        );
        assert_eq!(
            Method::OnPreSpike.signature(),
            "fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv)"
        );
        assert_eq!(
            Method::RowBuild.signature(),
            "fn row_build(&self, env: &mut RowBuildEnv)"
        );
    }

    #[test]
    fn synapse_code() {
        let synapse: Vec<Method> = Method::ALL
            .iter()
            .copied()
            .filter(|m| m.is_synapse_code())
            .collect();
        assert_eq!(
            synapse,
            [
                Method::OnPreSpike,
                Method::OnPreEvent,
                Method::OnPostSpike,
                Method::SynapseDynamics
            ]
        );
        assert!(synapse.iter().all(|m| m.kind() == ModelKind::WeightUpdate));
    }
}
