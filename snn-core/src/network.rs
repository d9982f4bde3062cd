//! The network description: populations, synapse groups and current sources,
//! assembled with builders that validate every input and name what is wrong.
//!
//! ```
//! use snn_core::prelude::*;
//! let mut net = Network::new(0.1).unwrap();
//! let exc = net
//!     .add_population("Exc", 4, Izhikevich { a: 0.02, b: 0.2, c: -65.0, d: 8.0 })
//!     .init("v", -65.0)
//!     .init("u", -13.0)
//!     .record_spikes(true)
//!     .build()
//!     .unwrap();
//! net.add_current_source("Input", exc, DC { amp: 10.0 }).build().unwrap();
//! let err = net.add_population("Exc", 2, Izhikevich { a: 0.02, b: 0.2, c: -65.0, d: 8.0 })
//!     .init("v", -65.0).init("u", -13.0).build().unwrap_err();
//! assert!(err.to_string().contains("duplicate population name `Exc`"));
//! ```

use crate::connectivity::Connectivity;
use crate::dsl::EnvCall;
use crate::error::{Error, Result};
use crate::init::VarInit;
use crate::ir::{Expr, IrType, Stmt};
use crate::model::{
    CurrentSourceModel, FieldKind, ModelDesc, NeuronModel, PostsynapticModel, WeightUpdateModel,
    PRE_EVENT_TIMES, PRE_SPIKE_TIMES,
};
use crate::native::{
    CurrentSourceRunners, NeuronRunners, PostsynapticRunners, WeightUpdateRunners,
};
use crate::real::Precision;
use crate::rng::{VarInitRange, MAX_GROUPS};

/// Handle of a population in a [`Network`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PopulationId(pub u32);

/// Handle of a synapse group in a [`Network`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SynapseGroupId(pub u32);

/// Handle of a current source in a [`Network`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrentSourceId(pub u32);

/// Handle of a variable recording in a [`Network`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarRecordingId(pub u32);

/// A population given by handle or by name.
#[derive(Clone, Debug)]
pub enum PopulationRef {
    /// By handle.
    Id(PopulationId),
    /// By name.
    Name(String),
}

impl From<PopulationId> for PopulationRef {
    fn from(id: PopulationId) -> Self {
        PopulationRef::Id(id)
    }
}
impl From<&str> for PopulationRef {
    fn from(n: &str) -> Self {
        PopulationRef::Name(n.to_string())
    }
}
impl From<&String> for PopulationRef {
    fn from(n: &String) -> Self {
        PopulationRef::Name(n.clone())
    }
}

/// A model with its parameter values, derived parameters, variable
/// initialisers and extra global parameters, as used by one population,
/// synapse group or current source.
#[derive(Clone, Debug)]
pub struct ModelPart {
    /// The model's metadata.
    pub model: &'static ModelDesc,
    /// Parameter values (declaration order).
    pub params: Vec<f64>,
    /// Derived parameter values (declaration order), computed with the network's `dt`.
    pub derived: Vec<f64>,
    /// Initialiser of each state variable (order of `FieldKind::Var` fields).
    pub var_inits: Vec<VarInit>,
    /// Values of each extra global parameter (order of `FieldKind::Egp` fields).
    pub egps: Vec<Vec<f64>>,
}

impl ModelPart {
    /// Parameters followed by derived parameters: what model code sees as constants.
    pub fn constants(&self) -> Vec<f64> {
        self.params.iter().chain(&self.derived).copied().collect()
    }
}

/// A population of neurons of one model.
#[derive(Clone, Debug)]
pub struct PopulationDesc {
    /// Unique name.
    pub name: String,
    /// Number of neurons.
    pub size: u32,
    /// Model, parameters and initialisers.
    pub part: ModelPart,
    /// Whether spikes are recorded.
    pub record_spikes: bool,
    /// The model's native code (type-erased loops run by the CPU backend).
    pub native: NeuronRunners,
}

/// How a synapse group's connectivity is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MatrixType {
    /// Ragged sparse rows (the default).
    #[default]
    Sparse,
    /// A dense `num_pre x num_post` matrix (every pair connected).
    Dense,
}

/// How GPU backends parallelise a synapse group's spike propagation (the
/// CPU backend ignores it; results are the same either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Span {
    /// One thread per row position, looping over the spikes (GeNN's
    /// default): good when many neurons spike per step.
    #[default]
    Postsynaptic,
    /// One thread per presynaptic spike, looping over its row: good for
    /// long rows with few spikes per step.
    Presynaptic,
}

/// A projection between two populations.
#[derive(Clone, Debug)]
pub struct SynapseGroupDesc {
    /// Unique name.
    pub name: String,
    /// Presynaptic population.
    pub pre: PopulationId,
    /// Postsynaptic population.
    pub post: PopulationId,
    /// Weight-update model (variables per synapse).
    pub wu: ModelPart,
    /// Postsynaptic model (variables per target neuron).
    pub psm: ModelPart,
    /// Connectivity rule or list.
    pub connectivity: Connectivity,
    /// Storage of the connectivity.
    pub matrix: MatrixType,
    /// GPU parallelisation of spike propagation.
    pub span: Span,
    /// Axonal delay in timesteps (spikes reach the synapses `axonal_delay + 1` steps after emission).
    pub axonal_delay: u32,
    /// Largest dendritic delay in timesteps (0: no dendritic-delay ring).
    pub max_dendritic_delay: u32,
    /// Weight-update variable passed as the delay to `add_to_post_delay`, if the model does that.
    pub delay_var: Option<usize>,
    /// Initialisers of the weight-update model's `#[pre_var]`s (one value per
    /// presynaptic neuron), in declaration order.
    pub pre_var_inits: Vec<VarInit>,
    /// Initialisers of the `#[post_var]`s (one value per postsynaptic neuron).
    pub post_var_inits: Vec<VarInit>,
    /// The input port of the postsynaptic neuron model this group's
    /// postsynaptic model injects into (index among its `#[input]` fields);
    /// `None`: the neuron's `isyn`.
    pub target_port: Option<usize>,
    /// The weight-update model's native code (run by the CPU backend).
    pub native_wu: WeightUpdateRunners,
    /// The postsynaptic model's native code (run by the CPU backend).
    pub native_psm: PostsynapticRunners,
}

/// A current source injecting into one population.
#[derive(Clone, Debug)]
pub struct CurrentSourceDesc {
    /// Unique name.
    pub name: String,
    /// Target population.
    pub target: PopulationId,
    /// Model, parameters and initialisers (variables per target neuron).
    pub part: ModelPart,
    /// The input port of the target neuron model it injects into (index
    /// among its `#[input]` fields); `None`: the neuron's `isyn`.
    pub target_port: Option<usize>,
    /// The model's native code (run by the CPU backend).
    pub native: CurrentSourceRunners,
}

/// Which neurons a variable recording samples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Neurons {
    /// Every neuron of the population.
    All,
    /// These neuron indices.
    Ids(Vec<u32>),
}

/// A recording of one variable of chosen neurons every `every` steps.
#[derive(Clone, Debug)]
pub struct VarRecordingDesc {
    /// The population.
    pub population: PopulationId,
    /// Index of the variable among the neuron model's variables.
    pub var: usize,
    /// The variable's name.
    pub var_name: String,
    /// The neurons sampled.
    pub neurons: Vec<u32>,
    /// Sampling interval in steps (>= 1): a sample after every step `s` with `(s + 1) % every == 0`.
    pub every: u32,
}

/// A spiking network under construction: the input of every backend.
#[derive(Clone, Debug)]
pub struct Network {
    dt: f64,
    precision: Precision,
    seed: u64,
    pub(crate) populations: Vec<PopulationDesc>,
    pub(crate) synapse_groups: Vec<SynapseGroupDesc>,
    pub(crate) current_sources: Vec<CurrentSourceDesc>,
    pub(crate) var_recordings: Vec<VarRecordingDesc>,
    /// Steps per spike-recording chunk (see [`crate::recording`]).
    pub recording_chunk_steps: u32,
    fuse_postsynaptic: bool,
    timing: bool,
}

/// Whether two descriptions are of the same model (same name, fields and
/// code; the statics of one model type need not share an address).
fn same_model(a: &ModelDesc, b: &ModelDesc) -> bool {
    std::ptr::eq(a, b)
        || (a.name == b.name && a.fields == b.fields && a.methods == b.methods && a.kind == b.kind)
}

/// The postsynaptic input of one target population that one or more
/// synapse groups share (see [`Network::set_fuse_postsynaptic`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostsynapticTarget {
    /// The target population.
    pub post: PopulationId,
    /// The synapse groups feeding it (ascending); the first one's
    /// postsynaptic model, constants, variables and random stream are used.
    pub groups: Vec<usize>,
    /// Slots of the shared dendritic-delay ring (0: none): the largest
    /// `max_dendritic_delay + 1` of the groups that use one.
    pub ring_slots: u32,
}

impl Network {
    /// An empty network with timestep `dt` (ms), `f32` precision and seed 0.
    pub fn new(dt: f64) -> Result<Network> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(Error::InvalidDt(dt));
        }
        Ok(Network {
            dt,
            precision: Precision::F32,
            seed: 0,
            populations: Vec::new(),
            synapse_groups: Vec::new(),
            current_sources: Vec::new(),
            var_recordings: Vec::new(),
            recording_chunk_steps: 1000,
            fuse_postsynaptic: false,
            timing: false,
        })
    }

    /// Lets synapse groups onto one population share their postsynaptic
    /// input when their postsynaptic models are the same model with the same
    /// constants and no variables besides `in_syn` (GeNN's
    /// `fuse_postsynaptic_models`): one `in_syn`, one dendritic-delay ring
    /// and one `apply_input`/`decay` per neuron instead of one per group. The
    /// dynamics are the same (sums in another order); `in_syn` of any fused
    /// group reads the shared value, and dendritic delays are checked
    /// against the largest maximum of the fused groups. Default off.
    pub fn set_fuse_postsynaptic(&mut self, fuse: bool) -> &mut Self {
        self.fuse_postsynaptic = fuse;
        self
    }

    /// Whether postsynaptic inputs are fused.
    pub fn fuse_postsynaptic(&self) -> bool {
        self.fuse_postsynaptic
    }

    /// Asks backends to measure the device time of every kernel they
    /// launch, init kernels included (GeNN's `timing_enabled`): the GPU
    /// backends time each launch with CUDA events or OpenCL profiling and
    /// report the totals per phase and kernel in
    /// [`BackendReport::device_times`](crate::sim::BackendReport::device_times);
    /// the CPU backend reports none. Timing costs a little per launch.
    /// Default off.
    pub fn set_timing(&mut self, on: bool) -> &mut Self {
        self.timing = on;
        self
    }

    /// Whether kernel timing is asked for ([`Network::set_timing`]).
    pub fn timing(&self) -> bool {
        self.timing
    }

    /// The postsynaptic inputs every backend keeps, in order of their first
    /// group, and the index of each synapse group's input. Without fusion,
    /// one per group.
    pub fn postsynaptic_targets(&self) -> (Vec<PostsynapticTarget>, Vec<usize>) {
        let ring_slots = |g: &SynapseGroupDesc| {
            if g.max_dendritic_delay > 0 || g.delay_var.is_some() {
                g.max_dendritic_delay + 1
            } else {
                0
            }
        };
        let fusable = |g: &SynapseGroupDesc| {
            self.fuse_postsynaptic
                && g.psm.model.fields_of(FieldKind::Var).next().is_none()
                && g.psm.model.fields_of(FieldKind::Egp).next().is_none()
        };
        let mut targets: Vec<PostsynapticTarget> = Vec::new();
        let mut of_group = Vec::with_capacity(self.synapse_groups.len());
        for (gi, g) in self.synapse_groups.iter().enumerate() {
            let same = |t: &PostsynapticTarget| {
                let first = &self.synapse_groups[t.groups[0]];
                t.post == g.post
                    && first.target_port == g.target_port
                    && fusable(first)
                    && fusable(g)
                    && same_model(first.psm.model, g.psm.model)
                    && first.psm.constants() == g.psm.constants()
            };
            match targets.iter().position(same) {
                Some(k) => {
                    targets[k].groups.push(gi);
                    targets[k].ring_slots = targets[k].ring_slots.max(ring_slots(g));
                    of_group.push(k);
                }
                None => {
                    of_group.push(targets.len());
                    targets.push(PostsynapticTarget {
                        post: g.post,
                        groups: vec![gi],
                        ring_slots: ring_slots(g),
                    });
                }
            }
        }
        (targets, of_group)
    }

    /// Sets the precision of `Scalar` (default `f32`).
    pub fn set_precision(&mut self, p: Precision) -> &mut Self {
        self.precision = p;
        self
    }
    /// Sets the seed of every random draw (default 0).
    pub fn set_seed(&mut self, seed: u64) -> &mut Self {
        self.seed = seed;
        self
    }
    /// The timestep (ms).
    pub fn dt(&self) -> f64 {
        self.dt
    }
    /// The precision.
    pub fn precision(&self) -> Precision {
        self.precision
    }
    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// The populations, indexed by `PopulationId.0`.
    pub fn populations(&self) -> &[PopulationDesc] {
        &self.populations
    }
    /// The synapse groups, indexed by `SynapseGroupId.0`.
    pub fn synapse_groups(&self) -> &[SynapseGroupDesc] {
        &self.synapse_groups
    }
    /// The current sources, indexed by `CurrentSourceId.0`.
    pub fn current_sources(&self) -> &[CurrentSourceDesc] {
        &self.current_sources
    }
    /// The variable recordings, indexed by `VarRecordingId.0`.
    pub fn var_recordings(&self) -> &[VarRecordingDesc] {
        &self.var_recordings
    }
    /// A population by handle.
    pub fn population(&self, id: PopulationId) -> &PopulationDesc {
        &self.populations[id.0 as usize]
    }
    /// A synapse group by handle.
    pub fn synapse_group(&self, id: SynapseGroupId) -> &SynapseGroupDesc {
        &self.synapse_groups[id.0 as usize]
    }

    /// Resolves a population reference.
    pub fn population_id(&self, r: impl Into<PopulationRef>) -> Result<PopulationId> {
        match r.into() {
            PopulationRef::Id(id) if (id.0 as usize) < self.populations.len() => Ok(id),
            PopulationRef::Id(id) => Err(Error::UnknownPopulation(format!("#{}", id.0))),
            PopulationRef::Name(n) => self
                .populations
                .iter()
                .position(|p| p.name == n)
                .map(|i| PopulationId(i as u32))
                .ok_or(Error::UnknownPopulation(n)),
        }
    }

    fn check_name(&self, kind: &'static str, name: &str) -> Result<()> {
        if name.is_empty() {
            return Err(Error::EmptyName { kind });
        }
        let taken = match kind {
            "population" => self.populations.iter().any(|p| p.name == name),
            "synapse group" => self.synapse_groups.iter().any(|g| g.name == name),
            _ => self.current_sources.iter().any(|c| c.name == name),
        };
        if taken {
            return Err(Error::DuplicateName {
                kind,
                name: name.to_string(),
            });
        }
        Ok(())
    }

    /// Starts adding a population of `size` neurons of `model` (whose fields
    /// are the parameter values); finish with [`PopulationBuilder::build`].
    pub fn add_population<M: NeuronModel>(
        &mut self,
        name: &str,
        size: u32,
        model: M,
    ) -> PopulationBuilder<'_> {
        PopulationBuilder {
            name: name.to_string(),
            size,
            part: PartBuilder::new(M::DESC, Ok(model.param_values()), M::derived_values),
            record_spikes: false,
            native: NeuronRunners::of::<M>(),
            net: self,
        }
    }

    /// Like [`Network::add_population`] with parameters given by name
    /// (e.g. read from a configuration file); unknown, repeated or missing
    /// names are reported by `build`.
    pub fn add_population_named<M: NeuronModel>(
        &mut self,
        name: &str,
        size: u32,
        params: &[(&str, f64)],
    ) -> PopulationBuilder<'_> {
        let values = M::from_named(params).map(|m| m.param_values());
        PopulationBuilder {
            name: name.to_string(),
            size,
            part: PartBuilder::new(M::DESC, values, M::derived_values),
            record_spikes: false,
            native: NeuronRunners::of::<M>(),
            net: self,
        }
    }

    /// Starts adding a synapse group from `pre` to `post` with weight-update
    /// model `wu` and postsynaptic model `psm`; finish with
    /// [`SynapseGroupBuilder::build`]. Defaults: all-to-all sparse
    /// connectivity, no delays.
    pub fn add_synapse_group<W: WeightUpdateModel, P: PostsynapticModel>(
        &mut self,
        name: &str,
        pre: impl Into<PopulationRef>,
        post: impl Into<PopulationRef>,
        wu: W,
        psm: P,
    ) -> SynapseGroupBuilder<'_> {
        SynapseGroupBuilder {
            name: name.to_string(),
            pre: pre.into(),
            post: post.into(),
            wu: PartBuilder::new(W::DESC, Ok(wu.param_values()), W::derived_values),
            psm: PartBuilder::new(P::DESC, Ok(psm.param_values()), P::derived_values),
            connectivity: Connectivity::AllToAll { autapses: true },
            matrix: MatrixType::Sparse,
            span: Span::Postsynaptic,
            axonal_delay: 0,
            axonal_delay_ms: None,
            max_dendritic_delay: 0,
            pre_inits: Vec::new(),
            post_inits: Vec::new(),
            target_port: None,
            native_wu: WeightUpdateRunners::of::<W>(),
            native_psm: PostsynapticRunners::of::<P>(),
            net: self,
        }
    }

    /// Starts adding a current source injecting into `target`; finish with
    /// [`CurrentSourceBuilder::build`].
    pub fn add_current_source<C: CurrentSourceModel>(
        &mut self,
        name: &str,
        target: impl Into<PopulationRef>,
        model: C,
    ) -> CurrentSourceBuilder<'_> {
        CurrentSourceBuilder {
            name: name.to_string(),
            target: target.into(),
            part: PartBuilder::new(C::DESC, Ok(model.param_values()), C::derived_values),
            target_port: None,
            native: CurrentSourceRunners::of::<C>(),
            net: self,
        }
    }

    /// Records variable `var` of `neurons` of a population every `every` steps.
    pub fn record_var(
        &mut self,
        population: impl Into<PopulationRef>,
        var: &str,
        neurons: Neurons,
        every: u32,
    ) -> Result<VarRecordingId> {
        let population = self.population_id(population)?;
        let pop = &self.populations[population.0 as usize];
        let model = pop.part.model;
        let var_idx =
            model
                .index_of(FieldKind::Var, var)
                .ok_or_else(|| Error::UnknownVariable {
                    owner: format!("population `{}`", pop.name),
                    model: format!("neuron model `{}`", model.name),
                    var: var.to_string(),
                    known: model.var_names().join(", "),
                })?;
        if every == 0 {
            return Err(Error::InvalidRecording(format!(
                "variable `{var}` of population `{}`: the sampling interval must be at least 1 step",
                pop.name
            )));
        }
        let neurons = match neurons {
            Neurons::All => (0..pop.size).collect(),
            Neurons::Ids(ids) => {
                if let Some(&bad) = ids.iter().find(|&&i| i >= pop.size) {
                    return Err(Error::InvalidRecording(format!(
                        "neuron {bad} is out of range for population `{}` of {} neurons",
                        pop.name, pop.size
                    )));
                }
                ids
            }
        };
        self.var_recordings.push(VarRecordingDesc {
            population,
            var: var_idx,
            var_name: var.to_string(),
            neurons,
            every,
        });
        Ok(VarRecordingId(self.var_recordings.len() as u32 - 1))
    }
}

impl SynapseGroupDesc {
    /// Rejects new values of the group's dendritic-delay variable `k`
    /// above its maximum, negative or NaN (other variables pass).
    pub fn check_delay_values(&self, k: usize, values: &[f64]) -> Result<()> {
        if self.delay_var != Some(k) {
            return Ok(());
        }
        if let Some(i) = values.iter().position(|d| d.is_nan() || *d < 0.0) {
            let var = self.wu.model.nth(FieldKind::Var, k).map_or("?", |f| f.name);
            return Err(Error::InvalidSynapseGroup {
                group: self.name.clone(),
                reason: format!(
                    "dendritic delay variable `{var}`: value {i} ({}) must be a number of \
                     steps >= 0",
                    values[i]
                ),
            });
        }
        if let Some(&d) = values
            .iter()
            .find(|&&d| d > self.max_dendritic_delay as f64)
        {
            return Err(Error::DelayTooLarge {
                group: self.name.clone(),
                delay: d as u64,
                max: self.max_dendritic_delay as u64,
            });
        }
        Ok(())
    }
}

/// "has: a, b" or "it has none", for messages about unknown EGPs.
pub fn egp_list(names: &[&str]) -> String {
    if names.is_empty() {
        "it has none".to_string()
    } else {
        format!("has: {}", names.join(", "))
    }
}

mod builders;
use builders::PartBuilder;
pub use builders::{CurrentSourceBuilder, PopulationBuilder, SynapseGroupBuilder};

#[cfg(test)]
mod tests;
