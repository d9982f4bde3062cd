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

/// Collects parameters, variable initialisers and EGPs of one model part.
struct PartBuilder {
    model: &'static ModelDesc,
    params: std::result::Result<Vec<f64>, String>,
    derive: fn(&[f64], f64) -> Vec<f64>,
    inits: Vec<(String, VarInit)>,
    egps: Vec<(String, Vec<f64>)>,
}

impl PartBuilder {
    fn new(
        model: &'static ModelDesc,
        params: std::result::Result<Vec<f64>, String>,
        derive: fn(&[f64], f64) -> Vec<f64>,
    ) -> Self {
        PartBuilder {
            model,
            params,
            derive,
            inits: Vec::new(),
            egps: Vec::new(),
        }
    }

    /// Validates everything; `n` is the number of elements when known.
    fn finish(self, owner: &str, dt: f64, n: Option<usize>) -> Result<ModelPart> {
        let m = self.model;
        let params = self.params.map_err(|reason| Error::BadParameters {
            owner: owner.to_string(),
            reason,
        })?;
        let derived = (self.derive)(&params, dt);
        m.check_constants(&params, &derived)
            .map_err(|bad| Error::InvalidParameter {
                owner: owner.to_string(),
                param: bad.name.to_string(),
                value: bad.value,
                reason: if bad.derived {
                    "(derived from the parameters and dt) is not finite".to_string()
                } else {
                    bad.reason.to_string()
                },
            })?;
        let unknown_var = |var: &str| Error::UnknownVariable {
            owner: owner.to_string(),
            model: format!("{} `{}`", m.kind.describe(), m.name),
            var: var.to_string(),
            known: m.var_names().join(", "),
        };
        let mut var_inits: Vec<Option<VarInit>> = vec![None; m.var_names().len()];
        for (var, init) in self.inits {
            let i = m
                .index_of(FieldKind::Var, &var)
                .ok_or_else(|| unknown_var(&var))?;
            let len = n.unwrap_or(match &init {
                VarInit::Values(v) => v.len(),
                _ => 0,
            });
            let ty = m.nth(FieldKind::Var, i).expect("variable index").ty;
            check_init(&init, len, ty, owner, &var)?;
            var_inits[i] = Some(init);
        }
        let var_inits = var_inits
            .into_iter()
            .zip(m.var_names())
            .map(|(init, var)| {
                init.ok_or_else(|| Error::MissingInit {
                    owner: owner.to_string(),
                    var: var.to_string(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let egp_names: Vec<&str> = m.fields_of(FieldKind::Egp).map(|f| f.name).collect();
        let mut egps: Vec<Option<Vec<f64>>> = vec![None; egp_names.len()];
        for (name, values) in self.egps {
            let bad = |reason: String| Error::InvalidEgp {
                owner: owner.to_string(),
                egp: name.clone(),
                reason,
            };
            let i = egp_names.iter().position(|e| *e == name).ok_or_else(|| {
                bad(format!(
                    "{} `{}` has no such extra global parameter ({})",
                    m.kind.describe(),
                    m.name,
                    egp_list(&egp_names)
                ))
            })?;
            if let Some(x) = values.iter().find(|x| !x.is_finite()) {
                return Err(bad(format!("contains the non-finite value {x}")));
            }
            egps[i] = Some(values);
        }
        let egps = egps
            .into_iter()
            .zip(&egp_names)
            .map(|(v, name)| {
                v.ok_or_else(|| Error::InvalidEgp {
                    owner: owner.to_string(),
                    egp: name.to_string(),
                    reason: "no values given (set them with .egp(...))".to_string(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ModelPart {
            model: m,
            params,
            derived,
            var_inits,
            egps,
        })
    }
}

/// The `init` and `egp` setters of a builder whose model part is `part`
/// (one value per `$per`).
macro_rules! part_setters {
    ($builder:ident, $per:literal) => {
        impl $builder<'_> {
            #[doc = concat!("Initial value of state variable `var`: a constant, an array (one value per ", $per, ") or a [`VarInit`] distribution / snippet.")]
            pub fn init(mut self, var: &str, init: impl Into<VarInit>) -> Self {
                self.part.inits.push((var.to_string(), init.into()));
                self
            }
            /// Values of extra global parameter `egp`.
            pub fn egp(mut self, egp: &str, values: Vec<f64>) -> Self {
                self.part.egps.push((egp.to_string(), values));
                self
            }
        }
    };
}
part_setters!(PopulationBuilder, "neuron");
part_setters!(CurrentSourceBuilder, "target neuron");

/// Builder of a population; see [`Network::add_population`].
pub struct PopulationBuilder<'a> {
    net: &'a mut Network,
    name: String,
    size: u32,
    part: PartBuilder,
    record_spikes: bool,
    native: NeuronRunners,
}

impl PopulationBuilder<'_> {
    /// Records the population's spikes (default off).
    pub fn record_spikes(mut self, on: bool) -> Self {
        self.record_spikes = on;
        self
    }
    /// Validates and adds the population.
    pub fn build(self) -> Result<PopulationId> {
        self.net.check_name("population", &self.name)?;
        let owner = format!("population `{}`", self.name);
        check_count("populations", self.net.populations.len())?;
        check_vars(
            &owner,
            self.part.model,
            FieldKind::Var,
            VarInitRange::Neuron,
        )?;
        if self.size == 0 {
            return Err(Error::EmptyPopulation(self.name));
        }
        let part = self
            .part
            .finish(&owner, self.net.dt, Some(self.size as usize))?;
        self.net.populations.push(PopulationDesc {
            name: self.name,
            size: self.size,
            part,
            record_spikes: self.record_spikes,
            native: self.native,
        });
        Ok(PopulationId(self.net.populations.len() as u32 - 1))
    }
}

/// Builder of a synapse group; see [`Network::add_synapse_group`].
pub struct SynapseGroupBuilder<'a> {
    net: &'a mut Network,
    name: String,
    pre: PopulationRef,
    post: PopulationRef,
    wu: PartBuilder,
    psm: PartBuilder,
    connectivity: Connectivity,
    matrix: MatrixType,
    span: Span,
    axonal_delay: u32,
    max_dendritic_delay: u32,
    pre_inits: Vec<(String, VarInit)>,
    post_inits: Vec<(String, VarInit)>,
    target_port: Option<String>,
    native_wu: WeightUpdateRunners,
    native_psm: PostsynapticRunners,
}

impl SynapseGroupBuilder<'_> {
    /// Initial value of a weight-update `#[pre_var]` (one per presynaptic neuron).
    pub fn pre_init(mut self, var: &str, init: impl Into<VarInit>) -> Self {
        self.pre_inits.push((var.to_string(), init.into()));
        self
    }
    /// Initial value of a weight-update `#[post_var]` (one per postsynaptic neuron).
    pub fn post_init(mut self, var: &str, init: impl Into<VarInit>) -> Self {
        self.post_inits.push((var.to_string(), init.into()));
        self
    }
    /// The connectivity rule or explicit list.
    pub fn connectivity(mut self, c: Connectivity) -> Self {
        self.connectivity = c;
        self
    }
    /// Stores the connectivity as a dense matrix (requires all-to-all connectivity).
    pub fn dense(mut self) -> Self {
        self.matrix = MatrixType::Dense;
        self
    }
    /// How GPU backends parallelise spike propagation (default
    /// [`Span::Postsynaptic`]).
    pub fn span(mut self, span: Span) -> Self {
        self.span = span;
        self
    }
    /// Initial value of a weight-update variable (per synapse). A `Vec<f64>`
    /// gives one value per synapse: in the order of an explicit list, else in
    /// row-major order (presynaptic neuron, then ascending postsynaptic index).
    pub fn wu_init(mut self, var: &str, init: impl Into<VarInit>) -> Self {
        self.wu.inits.push((var.to_string(), init.into()));
        self
    }
    /// Values of a weight-update extra global parameter.
    pub fn wu_egp(mut self, egp: &str, values: Vec<f64>) -> Self {
        self.wu.egps.push((egp.to_string(), values));
        self
    }
    /// Initial value of a postsynaptic-model variable (per target neuron).
    pub fn psm_init(mut self, var: &str, init: impl Into<VarInit>) -> Self {
        self.psm.inits.push((var.to_string(), init.into()));
        self
    }
    /// Axonal delay in timesteps: a spike emitted in step `s` is propagated in step `s + 1 + delay`.
    pub fn axonal_delay(mut self, steps: u32) -> Self {
        self.axonal_delay = steps;
        self
    }
    /// Injects the postsynaptic model's current into the target neuron
    /// model's input port `port` (an `#[input]` field, GeNN's additional
    /// input variable) instead of `isyn`: how a neuron receives separate
    /// inputs, e.g. excitatory and inhibitory conductances.
    pub fn target_port(mut self, port: &str) -> Self {
        self.target_port = Some(port.to_string());
        self
    }
    /// Largest per-synapse dendritic delay in timesteps (needed by models that call `add_to_post_delay`).
    pub fn max_dendritic_delay(mut self, steps: u32) -> Self {
        self.max_dendritic_delay = steps;
        self
    }
    /// Validates and adds the synapse group.
    pub fn build(self) -> Result<SynapseGroupId> {
        let net = self.net;
        net.check_name("synapse group", &self.name)?;
        let pre = net.population_id(self.pre)?;
        let post = net.population_id(self.post)?;
        let (n_pre, n_post) = (net.population(pre).size, net.population(post).size);
        check_count("synapse groups", net.synapse_groups.len())?;
        let owner = format!("synapse group `{}`", self.name);
        for (model, kind, range) in [
            (self.wu.model, FieldKind::Var, VarInitRange::WeightUpdate),
            (
                self.wu.model,
                FieldKind::PreVar,
                VarInitRange::WeightUpdatePre,
            ),
            (
                self.wu.model,
                FieldKind::PostVar,
                VarInitRange::WeightUpdatePost,
            ),
            (self.psm.model, FieldKind::Var, VarInitRange::Postsynaptic),
        ] {
            check_vars(&owner, model, kind, range)?;
        }
        let bad_conn = |reason: String| Error::InvalidConnectivity {
            group: self.name.clone(),
            reason,
        };
        self.connectivity
            .validate(n_pre, n_post, pre == post)
            .map_err(bad_conn)?;
        if self.matrix == MatrixType::Dense
            && !matches!(self.connectivity, Connectivity::AllToAll { autapses: true })
        {
            return Err(bad_conn(
                "a dense matrix needs all-to-all connectivity with autapses".to_string(),
            ));
        }
        let n_syn = match &self.connectivity {
            Connectivity::Explicit { pre, .. } => Some(pre.len()),
            Connectivity::AllToAll { autapses: true } => Some(n_pre as usize * n_post as usize),
            Connectivity::OneToOne => Some(n_pre as usize),
            _ => None,
        };
        let wu_owner = format!("synapse group `{}` (weight update)", self.name);
        let psm_owner = format!("synapse group `{}` (postsynaptic model)", self.name);
        let wu = self.wu.finish(&wu_owner, net.dt, n_syn)?;
        let psm = self.psm.finish(&psm_owner, net.dt, Some(n_post as usize))?;
        check_neuron_refs(&psm_owner, &psm, net.population(post))?;
        let target_port = port_index(&psm_owner, self.target_port, net.population(post))?;
        let m = wu.model;
        let pre_var_inits =
            neuron_side_inits(&wu_owner, m, FieldKind::PreVar, self.pre_inits, n_pre)?;
        let post_var_inits =
            neuron_side_inits(&wu_owner, m, FieldKind::PostVar, self.post_inits, n_post)?;
        for (kind, pop) in [
            (FieldKind::PreNeuronVar, net.population(pre)),
            (FieldKind::PostNeuronVar, net.population(post)),
        ] {
            check_refs_of(&wu_owner, m, kind, pop)?;
        }
        let pre_times = [PRE_SPIKE_TIMES, PRE_EVENT_TIMES].concat();
        if self.axonal_delay > 0 && m.uses_any(&pre_times) {
            return Err(Error::InvalidSynapseGroup {
                group: self.name,
                reason: format!(
                    "weight-update model `{}` reads presynaptic spike times, which are not supported \
                     with an axonal delay yet (axonal delay {}): use a dendritic delay instead",
                    m.name, self.axonal_delay
                ),
            });
        }
        check_delay_size(
            &self.name,
            "axonal delay",
            self.axonal_delay,
            "presynaptic",
            n_pre,
        )?;
        check_delay_size(
            &self.name,
            "maximum dendritic delay",
            self.max_dendritic_delay,
            "postsynaptic",
            n_post,
        )?;
        let delay_use = find_delay_use(wu.model);
        if delay_use != DelayUse::None && self.max_dendritic_delay == 0 {
            return Err(Error::InvalidSynapseGroup {
                group: self.name,
                reason: format!(
                    "weight-update model `{}` uses dendritic delays: set .max_dendritic_delay(steps)",
                    wu.model.name
                ),
            });
        }
        let delay_var = match delay_use {
            DelayUse::Var(v) => {
                let var = m.nth(FieldKind::Var, v).expect("delay variable").name;
                check_delay_init(&self.name, var, &wu.var_inits[v], self.max_dendritic_delay)?;
                Some(v)
            }
            _ => None,
        };
        net.synapse_groups.push(SynapseGroupDesc {
            name: self.name,
            pre,
            post,
            wu,
            psm,
            connectivity: self.connectivity,
            matrix: self.matrix,
            span: self.span,
            axonal_delay: self.axonal_delay,
            max_dendritic_delay: self.max_dendritic_delay,
            delay_var,
            pre_var_inits,
            post_var_inits,
            target_port,
            native_wu: self.native_wu,
            native_psm: self.native_psm,
        });
        Ok(SynapseGroupId(net.synapse_groups.len() as u32 - 1))
    }
}

/// The index of input port `port` among the `#[input]` fields of `target`'s
/// neuron model.
fn port_index(owner: &str, port: Option<String>, target: &PopulationDesc) -> Result<Option<usize>> {
    let Some(port) = port else { return Ok(None) };
    let nm = target.part.model;
    match nm.index_of(FieldKind::Input, &port) {
        Some(k) => Ok(Some(k)),
        None => {
            let names: Vec<&str> = nm.fields_of(FieldKind::Input).map(|f| f.name).collect();
            Err(Error::UnknownPort {
                owner: owner.to_string(),
                target: format!("population `{}` (model `{}`)", target.name, nm.name),
                port,
                known: if names.is_empty() {
                    "it has no #[input] fields: its only input is isyn".to_string()
                } else {
                    format!("ports: {}", names.join(", "))
                },
            })
        }
    }
}

/// Checks that a network with `existing` parts of one kind can take one
/// more: the random streams number them in 16 bits.
fn check_count(kind: &str, existing: usize) -> Result<()> {
    if existing < MAX_GROUPS {
        return Ok(());
    }
    Err(Error::LimitExceeded {
        what: format!("the network's {kind}"),
        got: existing as u64 + 1,
        limit: MAX_GROUPS as u64,
        hint: "merge some of them: one population or group can hold up to 2^32 - 1 neurons".into(),
    })
}

/// Checks that `model`'s fields of `kind` fit their variable-initialisation
/// stream range.
fn check_vars(owner: &str, model: &ModelDesc, kind: FieldKind, range: VarInitRange) -> Result<()> {
    let n = model.fields_of(kind).count();
    if n <= range.capacity() as usize {
        return Ok(());
    }
    Err(Error::LimitExceeded {
        what: format!(
            "{owner}: the {} of model `{}`",
            field_kind_name(kind),
            model.name
        ),
        got: n as u64,
        limit: range.capacity() as u64,
        hint: "keep fewer variables in the model, e.g. pack several into an extra global parameter"
            .into(),
    })
}

/// How a model's fields of `kind` are declared, for messages.
fn field_kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::PreVar => "`#[pre_var]`s",
        FieldKind::PostVar => "`#[post_var]`s",
        _ => "`#[var]`s",
    }
}

/// Checks that every `#[neuron_var]` of a postsynaptic model or current
/// source exists, with the same type, in the target neuron model.
fn check_neuron_refs(owner: &str, part: &ModelPart, target: &PopulationDesc) -> Result<()> {
    check_refs_of(owner, part.model, FieldKind::NeuronVar, target)
}

/// Checks the neuron-variable references of one kind (`NeuronVar`,
/// `PreNeuronVar`, `PostNeuronVar`) against the population they refer to.
fn check_refs_of(
    owner: &str,
    model: &ModelDesc,
    kind: FieldKind,
    target: &PopulationDesc,
) -> Result<()> {
    let nm = target.part.model;
    for f in model.fields_of(kind) {
        let ok = nm
            .fields_of(FieldKind::Var)
            .any(|v| v.name == f.bind && v.ty == f.ty);
        if !ok {
            return Err(Error::MissingNeuronVar {
                owner: owner.to_string(),
                var: f.bind.to_string(),
                ty: f.ty.rust_name().to_string(),
                population: target.name.clone(),
                model: nm.name.to_string(),
            });
        }
    }
    Ok(())
}

/// Validates the initialisers of a weight-update model's `#[pre_var]`s or
/// `#[post_var]`s (`kind`) for `n` neurons, in declaration order.
fn neuron_side_inits(
    owner: &str,
    m: &'static ModelDesc,
    kind: FieldKind,
    inits: Vec<(String, VarInit)>,
    n: u32,
) -> Result<Vec<VarInit>> {
    let names: Vec<&str> = m.fields_of(kind).map(|f| f.name).collect();
    let what = if kind == FieldKind::PreVar {
        "presynaptic variable"
    } else {
        "postsynaptic variable"
    };
    let mut out: Vec<Option<VarInit>> = vec![None; names.len()];
    for (var, init) in inits {
        let i = names
            .iter()
            .position(|n| *n == var)
            .ok_or_else(|| Error::UnknownVariable {
                owner: owner.to_string(),
                model: format!("{} `{}` ({what}s)", m.kind.describe(), m.name),
                var: var.clone(),
                known: names.join(", "),
            })?;
        let ty = m.nth(kind, i).expect("variable index").ty;
        check_init(&init, n as usize, ty, owner, &var)?;
        out[i] = Some(init);
    }
    out.into_iter()
        .zip(&names)
        .map(|(init, var)| {
            init.ok_or_else(|| Error::InvalidVarInit {
                owner: owner.to_string(),
                var: var.to_string(),
                reason: format!(
                    "the {what} has no initial value (give one with .{}(\"{var}\", ...))",
                    if kind == FieldKind::PreVar {
                        "pre_init"
                    } else {
                        "post_init"
                    }
                ),
            })
        })
        .collect()
}

/// How a weight-update model uses dendritic delays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DelayUse {
    /// It never calls `add_to_post_delay`.
    None,
    /// It passes this state variable (possibly cast) as the delay.
    Var(usize),
    /// It passes a computed value: checked during simulation only.
    Computed,
}

/// Finds how a weight-update model calls `add_to_post_delay`.
fn find_delay_use(m: &'static ModelDesc) -> DelayUse {
    fn visit(stmts: &[Stmt], found: &mut Vec<&'static Expr>) {
        for s in stmts {
            match s {
                Stmt::Expr(Expr::Env(EnvCall::AddToPostDelay, args)) => found.push(&args[1]),
                Stmt::If { then, else_, .. } => {
                    visit(then.stmts, found);
                    if let Some(e) = else_ {
                        visit(e.stmts, found);
                    }
                }
                Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop(body) => {
                    visit(body.stmts, found)
                }
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    for method in m.methods {
        visit(method.body.stmts, &mut found);
    }
    let mut result = DelayUse::None;
    for e in found {
        let field = match e {
            Expr::Field(f) | Expr::Cast(Expr::Field(f), _) => Some(*f),
            _ => None,
        };
        result = match (field.and_then(|f| m.index_of(FieldKind::Var, f)), result) {
            (Some(i), DelayUse::None) => DelayUse::Var(i),
            (Some(i), DelayUse::Var(j)) if i == j => DelayUse::Var(i),
            _ => DelayUse::Computed,
        };
    }
    result
}

/// Checks that a delay of `steps` keeps its queue (axonal: `steps + 1`
/// slots of `n` presynaptic neurons) or ring (dendritic: `steps + 1` slots
/// of `n` postsynaptic neurons) within 2^32 entries, the limit of every
/// backend's indexing.
fn check_delay_size(group: &str, what: &str, steps: u32, side: &str, n: u32) -> Result<()> {
    let entries = (steps as u64 + 1) * n as u64;
    if entries > u32::MAX as u64 {
        return Err(Error::InvalidSynapseGroup {
            group: group.to_string(),
            reason: format!(
                "{what} of {steps} steps is too large: its {} slots of {n} {side} neurons \
                 ({entries} entries) exceed the supported 2^32 - 1 (at most {} steps here)",
                steps as u64 + 1,
                (u32::MAX as u64 / n as u64).saturating_sub(1)
            ),
        });
    }
    Ok(())
}

/// Checks that a dendritic-delay initialiser of variable `var` can neither
/// exceed `max` nor be negative.
fn check_delay_init(group: &str, var: &str, init: &VarInit, max: u32) -> Result<()> {
    let too_large = |delay: f64| Error::DelayTooLarge {
        group: group.to_string(),
        delay: delay as u64,
        max: max as u64,
    };
    let negative = |delay: f64| Error::InvalidVarInit {
        owner: format!("synapse group `{group}` (weight update)"),
        var: var.to_string(),
        reason: format!("dendritic delay {delay} is negative: delays must be >= 0 steps"),
    };
    match init {
        VarInit::Constant(d) if *d < 0.0 => return Err(negative(*d)),
        VarInit::Values(v) => {
            if let Some(&d) = v.iter().find(|&&d| d < 0.0) {
                return Err(negative(d));
            }
        }
        VarInit::Uniform { min, .. } if *min < 0.0 => return Err(negative(*min)),
        _ => {}
    }
    match init {
        VarInit::Constant(d) if *d > max as f64 => Err(too_large(*d)),
        VarInit::Values(v) => match v.iter().find(|&&d| d > max as f64) {
            Some(&d) => Err(too_large(d)),
            None => Ok(()),
        },
        VarInit::Uniform { max: hi, .. } if *hi > max as f64 + 1.0 => Err(too_large(*hi)),
        VarInit::NormalClipped { max: hi, .. } if *hi > max as f64 + 1.0 => Err(too_large(*hi)),
        _ => Ok(()),
    }
}

/// Builder of a current source; see [`Network::add_current_source`].
pub struct CurrentSourceBuilder<'a> {
    net: &'a mut Network,
    name: String,
    target: PopulationRef,
    part: PartBuilder,
    target_port: Option<String>,
    native: CurrentSourceRunners,
}

impl CurrentSourceBuilder<'_> {
    /// Injects into the target neuron model's input port `port` (an
    /// `#[input]` field) instead of `isyn`; see
    /// [`SynapseGroupBuilder::target_port`].
    pub fn target_port(mut self, port: &str) -> Self {
        self.target_port = Some(port.to_string());
        self
    }
    /// Validates and adds the current source.
    pub fn build(self) -> Result<CurrentSourceId> {
        let net = self.net;
        net.check_name("current source", &self.name)?;
        let target = net.population_id(self.target)?;
        let owner = format!("current source `{}`", self.name);
        check_count("current sources", net.current_sources.len())?;
        check_vars(
            &owner,
            self.part.model,
            FieldKind::Var,
            VarInitRange::CurrentSource,
        )?;
        let n = net.population(target).size as usize;
        let part = self.part.finish(&owner, net.dt, Some(n))?;
        check_neuron_refs(&owner, &part, net.population(target))?;
        let target_port = port_index(&owner, self.target_port, net.population(target))?;
        net.current_sources.push(CurrentSourceDesc {
            name: self.name,
            target,
            part,
            target_port,
            native: self.native,
        });
        Ok(CurrentSourceId(net.current_sources.len() as u32 - 1))
    }
}

/// Checks an initialiser of variable `var` (of type `ty`, `len` elements)
/// of `owner`: [`VarInit::validate`] and [`VarInit::check_type`].
fn check_init(init: &VarInit, len: usize, ty: IrType, owner: &str, var: &str) -> Result<()> {
    init.validate(len)
        .and_then(|()| init.check_type(ty))
        .map_err(|reason| Error::InvalidVarInit {
            owner: owner.to_string(),
            var: var.to_string(),
            reason,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Constraint, FieldDesc, ModelKind};

    #[test]
    fn a_network_holds_at_most_65536_parts_of_a_kind() {
        assert!(check_count("populations", MAX_GROUPS - 1).is_ok());
        let e = check_count("populations", MAX_GROUPS).unwrap_err();
        assert!(matches!(
            e,
            Error::LimitExceeded {
                got: 65_537,
                limit: 65_536,
                ..
            }
        ));
        assert!(e
            .to_string()
            .starts_with("the network's populations: 65537 exceeds"));
    }

    const PRE_VAR: FieldDesc = FieldDesc {
        name: "x",
        kind: FieldKind::PreVar,
        ty: IrType::Scalar,
        constraint: Constraint::Finite,
        bind: "x",
    };
    static SEVENTEEN: [FieldDesc; 17] = [PRE_VAR; 17];
    static WIDE: ModelDesc = ModelDesc {
        name: "Wide",
        kind: ModelKind::WeightUpdate,
        fields: &SEVENTEEN,
        methods: &[],
        auto_refractory: false,
    };

    #[test]
    fn model_variables_must_fit_their_stream_range() {
        let ok = check_vars("g", &WIDE, FieldKind::Var, VarInitRange::WeightUpdate);
        assert!(ok.is_ok(), "no #[var]s");
        let e = check_vars("g", &WIDE, FieldKind::PreVar, VarInitRange::WeightUpdatePre);
        let msg = e.unwrap_err().to_string();
        assert!(
            msg.contains("the `#[pre_var]`s of model `Wide`: 17 exceeds the limit of 16"),
            "{msg}"
        );
    }
}
