//! The error type of network construction and simulation.

use thiserror::Error;

/// Everything that can go wrong building or running a network. Every variant
/// names the thing at fault (population, group, parameter, variable).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The timestep is not a positive finite number.
    #[error("invalid timestep dt = {0}: it must be a positive, finite number of milliseconds")]
    InvalidDt(f64),
    /// A name was used twice.
    #[error("duplicate {kind} name `{name}`: names must be unique")]
    DuplicateName {
        /// "population", "synapse group", "current source".
        kind: &'static str,
        /// The repeated name.
        name: String,
    },
    /// A name is empty.
    #[error("{kind} names must not be empty")]
    EmptyName {
        /// What was being named.
        kind: &'static str,
    },
    /// A population was referred to by a name that does not exist.
    #[error("unknown population `{0}`")]
    UnknownPopulation(String),
    /// A synapse group was referred to by a name that does not exist.
    #[error("unknown synapse group `{0}`")]
    UnknownSynapseGroup(String),
    /// A current source was referred to by a name that does not exist.
    #[error("unknown current source `{0}`")]
    UnknownCurrentSource(String),
    /// A population of size zero.
    #[error("population `{0}` has no neurons: its size must be at least 1")]
    EmptyPopulation(String),
    /// A parameter value violates its constraint.
    #[error("{owner}: parameter `{param}` = {value} {reason}")]
    InvalidParameter {
        /// "population `Exc`", "synapse group `EE` (postsynaptic model)", ...
        owner: String,
        /// Parameter name.
        param: String,
        /// The value given.
        value: f64,
        /// Why it is invalid.
        reason: String,
    },
    /// Parameters given by name do not match the model.
    #[error("{owner}: {reason}")]
    BadParameters {
        /// Who the parameters are for.
        owner: String,
        /// What is wrong (unknown / missing / repeated parameter).
        reason: String,
    },
    /// `.target_port(name)` names a port the target neuron model does not have.
    #[error("{owner}: the neuron model of {target} has no input port `{port}` ({known})")]
    UnknownPort {
        /// The synapse group or current source.
        owner: String,
        /// The target population and its model: "population `N` (model `AdEx`)".
        target: String,
        /// The unknown port.
        port: String,
        /// The model's ports, or a note that it has none.
        known: String,
    },
    /// A variable name the model does not have.
    #[error("{owner}: {model} has no variable `{var}` (variables: {known})")]
    UnknownVariable {
        /// Who was being initialised.
        owner: String,
        /// The model's name.
        model: String,
        /// The unknown name.
        var: String,
        /// The model's variables, comma-separated.
        known: String,
    },
    /// A state variable without an initial value.
    #[error(
        "{owner}: variable `{var}` has no initial value (give one with .{setter}(\"{var}\", ...))"
    )]
    MissingInit {
        /// Who is missing it.
        owner: String,
        /// The variable.
        var: String,
        /// The builder method that gives it (`init`, `wu_init`, `psm_init`).
        setter: String,
    },
    /// A variable initialiser that cannot work.
    #[error("{owner}: initialiser of variable `{var}`: {reason}")]
    InvalidVarInit {
        /// Who is being initialised.
        owner: String,
        /// The variable.
        var: String,
        /// What is wrong.
        reason: String,
    },
    /// New values for a variable (set between steps) that are not finite or
    /// do not fit its type.
    #[error("{owner}: new values of variable `{var}`: {reason}")]
    InvalidValues {
        /// Whose variable.
        owner: String,
        /// The variable.
        var: String,
        /// The first value that does not fit, and why.
        reason: String,
    },
    /// An array whose length does not match.
    #[error("{owner}: {what} has {got} values but {expected} are needed")]
    SizeMismatch {
        /// Who the array is for.
        owner: String,
        /// What the array is.
        what: String,
        /// Required length.
        expected: usize,
        /// Given length.
        got: usize,
    },
    /// Invalid connectivity.
    #[error("synapse group `{group}`: connectivity: {reason}")]
    InvalidConnectivity {
        /// The synapse group.
        group: String,
        /// What is wrong.
        reason: String,
    },
    /// A dendritic delay above the group's declared maximum.
    #[error("synapse group `{group}`: dendritic delay of {delay} steps exceeds the maximum of {max} steps (set .max_dendritic_delay(...) to at least {delay})")]
    DelayTooLarge {
        /// The synapse group.
        group: String,
        /// The offending delay (steps).
        delay: u64,
        /// The declared maximum (steps).
        max: u64,
    },
    /// A dendritic delay above the group's maximum while simulating
    /// (`add_to_post_delay`): the first step it happened in, the largest
    /// such delay of that step. The input was not applied.
    #[error("synapse group `{group}`: in step {step} a dendritic delay of {delay} steps exceeded the maximum of {max} steps (set .max_dendritic_delay(...) to at least {delay})")]
    DelayOverflow {
        /// The synapse group.
        group: String,
        /// The largest offending delay of that step (steps).
        delay: u64,
        /// The declared maximum (steps).
        max: u64,
        /// The step (0-based: its time is `step * dt`).
        step: u64,
    },
    /// An extra global parameter that is unknown, missing or of the wrong size.
    #[error("{owner}: extra global parameter `{egp}`: {reason}")]
    InvalidEgp {
        /// Who it belongs to.
        owner: String,
        /// The EGP name.
        egp: String,
        /// What is wrong.
        reason: String,
    },
    /// A `#[neuron_var]` reference that the target neuron model cannot satisfy.
    #[error("{owner}: needs neuron variable `{var}` of type {ty}, which neuron model `{model}` of population `{population}` does not have")]
    MissingNeuronVar {
        /// The postsynaptic model / current source.
        owner: String,
        /// The variable it references.
        var: String,
        /// Its type.
        ty: String,
        /// The target population.
        population: String,
        /// The target population's neuron model.
        model: String,
    },
    /// A weight-update model without a required setting.
    #[error("synapse group `{group}`: {reason}")]
    InvalidSynapseGroup {
        /// The synapse group.
        group: String,
        /// What is wrong.
        reason: String,
    },
    /// Invalid spike or variable recording settings.
    #[error("recording: {0}")]
    InvalidRecording(String),
    /// Something failed during simulation.
    #[error("simulation: {0}")]
    Simulation(String),
    /// A checkpoint ([`crate::state::SimState`]) that does not fit the
    /// network it is restored into.
    #[error("checkpoint does not fit the network: {what}: {reason}")]
    Checkpoint {
        /// The part at fault: "population `E`, variable `v`", "seed", ...
        what: String,
        /// How it differs.
        reason: String,
    },
    /// A network, model or run larger than the random-number layout allows
    /// (docs/ARCHITECTURE.md, "Random numbers").
    #[error("{what}: {got} exceeds the limit of {limit} ({hint})")]
    LimitExceeded {
        /// What is too large.
        what: String,
        /// How large it is.
        got: u64,
        /// The largest allowed.
        limit: u64,
        /// How to stay within the limit.
        hint: String,
    },
    /// A GPU backend failed: no device or runtime library, a compile
    /// error in generated kernels, an allocation failure, ...
    #[error("{backend}: {reason}")]
    Device {
        /// The backend and device (`CUDA: NVIDIA H100 (sm_90)`, `OpenCL`, ...).
        backend: String,
        /// What went wrong.
        reason: String,
    },
}

/// Result with [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;
