//! Core of the `snn` spiking-network simulator: model metadata and traits,
//! the IR and the native form of model code ([`native`]), the network
//! description and the plan every backend reads ([`plan`]), variable and
//! connectivity initialisation, the counter-based RNG, spike recording and
//! the backend-neutral simulation state. Backends live in their own crates
//! (`snn-cpu`, `snn-gpu` with its device hosts); the semantics of a step are
//! in docs/ARCHITECTURE.md, "Semantics".
//!
//! Users normally depend on the `snn` facade crate and `use snn::prelude::*`.

// Lets the model macros name this crate `::snn_core` from inside it too.
extern crate self as snn_core;

pub mod builtin;
pub mod connectivity;
pub mod error;
pub mod handle;
pub mod init;
pub mod initial;
pub mod ir;
pub mod lanes;
pub mod math;
pub mod mem;
pub mod model;
pub mod native;
pub mod network;
pub mod plan;
pub mod real;
pub mod recording;
pub mod rng;
pub mod sim;
pub mod state;
pub mod timing;
pub mod var;

pub use error::{Error, Result};
pub use real::{Precision, Real};
/// The contract of the model DSL: model kinds, their methods, the
/// environment calls and float methods model code may use.
pub use snn_dsl as dsl;
pub use snn_macros::{
    connectivity_snippet, current_source_model, neuron_model, postsynaptic_model, var_init_snippet,
    weight_update_model,
};

/// Everything needed to define models and build and run networks.
pub mod prelude {
    pub use crate::builtin::*;
    pub use crate::connectivity::Connectivity;
    pub use crate::error::{Error, Result};
    pub use crate::handle::{EgpOwner, GroupRef, Side, SourceRef, VarId};
    pub use crate::init::VarInit;
    pub use crate::model::{
        CurrentSourceEnv, InitEnv, NeuronEnv, PostsynapticEnv, RowBuildEnv, WeightUpdateEnv,
    };
    pub use crate::network::{
        CurrentSourceId, MatrixType, Network, Neurons, PopulationId, Span, SynapseGroupId,
        VarRecordingId,
    };
    pub use crate::real::Precision;
    pub use crate::recording::SpikeRecord;
    pub use crate::sim::{RecordedVar, Simulation, SimulationExt};
    pub use crate::state::SimState;
    pub use snn_macros::{
        connectivity_snippet, current_source_model, neuron_model, postsynaptic_model,
        var_init_snippet, weight_update_model,
    };
}
