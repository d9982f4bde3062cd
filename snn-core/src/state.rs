//! The complete state of a running simulation in a layout no backend owns,
//! for checkpoints ([`Simulation::save_state`], [`Simulation::load_state`];
//! the file format is `snn_io::save_checkpoint`).
//!
//! Every backend can write its state into a [`SimState`] and continue from
//! one, including one taken on another backend. What is in it is exactly
//! what a step reads that earlier steps wrote (docs/ARCHITECTURE.md,
//! "Semantics"): the step counter, every variable, the connectivity, the
//! spike and event queues as far back as the longest axonal delay, spike and
//! event times, the dendritic-delay rings, the current values of extra
//! global parameters, and what was recorded so far. Random numbers come
//! from counter-based streams keyed by (seed, stream, step, element), so
//! the step counter is the whole RNG state.
//!
//! Layouts: neuron-side arrays are indexed by neuron; weight-update
//! variables are in row-major synapse order ([`SparseConnectivity`]);
//! a ring is slot-major, `ring[slot * n_post + post]`, and the slot
//! consumed by step `s` is `s % slots` (as on every backend).
//!
//! [`Simulation::save_state`]: crate::sim::Simulation::save_state
//! [`Simulation::load_state`]: crate::sim::Simulation::load_state

use crate::connectivity::SparseConnectivity;
use crate::error::{Error, Result};
use crate::ir::IrType;
use crate::model::FieldKind;
use crate::network::{ModelPart, Network, VarRecordingDesc};
use crate::plan::NetworkPlan;
use crate::real::Precision;
use crate::recording::RecordedVar;
use crate::var::VarArray;

/// Everything a simulation needs to continue exactly where it was.
#[derive(Clone, Debug, PartialEq)]
pub struct SimState {
    /// Steps simulated so far.
    pub step: u64,
    /// Timestep (ms) of the network the state was taken from.
    pub dt: f64,
    /// Seed of the network the state was taken from.
    pub seed: u64,
    /// Precision of the network the state was taken from.
    pub precision: Precision,
    /// Per population, in network order.
    pub populations: Vec<PopulationState>,
    /// Per synapse group, in network order.
    pub synapse_groups: Vec<SynapseGroupState>,
    /// Per postsynaptic target ([`Network::postsynaptic_targets`]).
    pub postsynaptic_targets: Vec<PostsynapticState>,
    /// Per current source, in network order.
    pub current_sources: Vec<CurrentSourceState>,
    /// Samples of each variable recording so far.
    pub var_recordings: Vec<RecordedVar>,
}

/// The state of one population.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationState {
    /// The population's name (checked on restore).
    pub name: String,
    /// The neuron model's variables, one value per neuron each.
    pub vars: Vec<VarArray>,
    /// Current values of the neuron model's extra global parameters.
    pub egps: Vec<Vec<f64>>,
    /// Latest and previous spike time of every neuron (network precision;
    /// `Real::NO_SPIKE` before the first), where the backend keeps them
    /// (GPU backends keep them only when a weight-update model reads them;
    /// `None` restores as "no spike yet").
    pub spike_times: Option<[VarArray; 2]>,
    /// `recent_spikes[k]`: ascending ids of the neurons that spiked in step
    /// `step - 1 - k`, for `k` below the population's spike-queue slots
    /// ([`PopulationPlan::spike_slots`](crate::plan::PopulationPlan::spike_slots)).
    pub recent_spikes: Vec<Vec<u32>>,
    /// Spike recording, when the population records spikes.
    pub recording: Option<SpikeRecordingState>,
}

/// What a spike recording holds so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikeRecordingState {
    /// Whether recording is on ([`Simulation::set_recording`]).
    ///
    /// [`Simulation::set_recording`]: crate::sim::Simulation::set_recording
    pub on: bool,
    /// The step of every recorded spike, non-decreasing.
    pub steps: Vec<u64>,
    /// The neuron of every recorded spike (ascending within a step).
    pub ids: Vec<u32>,
}

/// The state of one synapse group.
#[derive(Clone, Debug, PartialEq)]
pub struct SynapseGroupState {
    /// The group's name (checked on restore).
    pub name: String,
    /// The built connectivity.
    pub connectivity: SparseConnectivity,
    /// Weight-update variables, row-major synapse order.
    pub wu_vars: Vec<VarArray>,
    /// `#[pre_var]`s, per presynaptic neuron.
    pub pre_vars: Vec<VarArray>,
    /// `#[post_var]`s, per postsynaptic neuron.
    pub post_vars: Vec<VarArray>,
    /// Current values of the weight-update model's extra global parameters.
    pub egps: Vec<Vec<f64>>,
    /// Latest and previous spike-like event time per presynaptic neuron,
    /// where the backend keeps them (as [`PopulationState::spike_times`]).
    pub event_times: Option<[VarArray; 2]>,
    /// `recent_events[k]`: ascending ids of the presynaptic neurons with a
    /// spike-like event in step `step - 1 - k`, for `k` below
    /// the group's event-queue slots
    /// ([`GroupPlan::event_slots`](crate::plan::GroupPlan::event_slots); none
    /// without `on_pre_event`).
    pub recent_events: Vec<Vec<u32>>,
}

/// The state of one postsynaptic input (one synapse group, or several
/// fused ones).
#[derive(Clone, Debug, PartialEq)]
pub struct PostsynapticState {
    /// `in_syn`, then the postsynaptic model's variables, per target neuron.
    pub vars: Vec<VarArray>,
    /// The dendritic-delay ring, `ring[slot * n_post + post]` in the
    /// network precision (empty without one).
    pub ring: VarArray,
}

/// The state of one current source.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentSourceState {
    /// The source's name (checked on restore).
    pub name: String,
    /// Its variables, one value per target neuron each.
    pub vars: Vec<VarArray>,
    /// Current values of its extra global parameters.
    pub egps: Vec<Vec<f64>>,
}

/// The error for a state that does not fit a network.
fn unfit(what: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Checkpoint {
        what: what.into(),
        reason: reason.into(),
    }
}

/// Checks that `arrays` are one array per field of `kind` of `part`'s
/// model, each of the field's type (in precision `p`) and `len` long.
fn check_vars(
    owner: &str,
    part: &ModelPart,
    kind: FieldKind,
    arrays: &[VarArray],
    len: usize,
    p: Precision,
) -> Result<()> {
    let fields: Vec<_> = part.model.fields_of(kind).collect();
    if fields.len() != arrays.len() {
        return Err(unfit(
            owner,
            format!(
                "{} variables in the checkpoint, but {} `{}` has {}",
                arrays.len(),
                part.model.kind.describe(),
                part.model.name,
                fields.len()
            ),
        ));
    }
    for (f, a) in fields.iter().zip(arrays) {
        check_array(&format!("{owner}, variable `{}`", f.name), f.ty, a, len, p)?;
    }
    Ok(())
}

/// Checks one array's type and length.
fn check_array(what: &str, ty: IrType, a: &VarArray, len: usize, p: Precision) -> Result<()> {
    let expected = VarArray::zeros(ty, p, 0);
    if std::mem::discriminant(&expected) != std::mem::discriminant(a) {
        return Err(unfit(
            what,
            format!(
                "stored as {}, but the network stores it as {}",
                a.type_name(),
                expected.type_name()
            ),
        ));
    }
    if a.len() != len {
        return Err(unfit(
            what,
            format!("{} values in the checkpoint, {len} expected", a.len()),
        ));
    }
    Ok(())
}

/// Checks EGP values against the lengths given at build.
fn check_egps(owner: &str, part: &ModelPart, egps: &[Vec<f64>]) -> Result<()> {
    if egps.len() != part.egps.len() {
        return Err(unfit(
            owner,
            format!(
                "{} extra global parameters in the checkpoint, the model has {}",
                egps.len(),
                part.egps.len()
            ),
        ));
    }
    let names = part.model.fields_of(FieldKind::Egp).map(|f| f.name);
    for ((name, got), built) in names.zip(egps).zip(&part.egps) {
        if got.len() != built.len() {
            return Err(unfit(
                format!("{owner}, extra global parameter `{name}`"),
                format!(
                    "{} values in the checkpoint, {} expected",
                    got.len(),
                    built.len()
                ),
            ));
        }
        if let Some(x) = got.iter().find(|x| !x.is_finite()) {
            return Err(unfit(
                format!("{owner}, extra global parameter `{name}`"),
                format!("contains the non-finite value {x}"),
            ));
        }
    }
    Ok(())
}

/// Checks a queue of recent spikes or events: `history` lists of
/// ascending ids below `n`.
fn check_queue(what: &str, queue: &[Vec<u32>], history: usize, n: u32) -> Result<()> {
    if queue.len() != history {
        return Err(unfit(
            what,
            format!(
                "{} steps in the checkpoint, {history} expected",
                queue.len()
            ),
        ));
    }
    for (k, ids) in queue.iter().enumerate() {
        if let Some(&id) = ids.iter().find(|&&id| id >= n) {
            return Err(unfit(
                what,
                format!("neuron id {id} (step -{}) is not below the size {n}", k + 1),
            ));
        }
        if ids.windows(2).any(|w| w[0] >= w[1]) {
            return Err(unfit(
                what,
                format!("ids of step -{} are not strictly ascending", k + 1),
            ));
        }
    }
    Ok(())
}

impl SimState {
    /// Checks that this state fits `net`: same timestep, seed and
    /// precision, same populations, groups and sources (names, sizes,
    /// models' variables and types), connectivity that is well formed,
    /// queues and rings of the right lengths, dendritic delays within their
    /// maxima. The error names the first part that does not fit.
    pub fn check_fits(&self, net: &Network) -> Result<()> {
        self.check_fits_plan(net, &NetworkPlan::new(net))
    }

    /// [`check_fits`](Self::check_fits) with `net`'s plan already at hand.
    pub fn check_fits_plan(&self, net: &Network, plan: &NetworkPlan) -> Result<()> {
        self.check_settings(net)?;
        self.check_counts(net, plan)?;
        for (pi, ps) in self.populations.iter().enumerate() {
            self.check_population(net, plan, pi, ps)?;
        }
        for (gi, gs) in self.synapse_groups.iter().enumerate() {
            check_group(net, plan, gi, gs)?;
        }
        for (t, ts) in self.postsynaptic_targets.iter().enumerate() {
            check_input(net, plan, t, ts)?;
        }
        for (ss, sd) in self.current_sources.iter().zip(net.current_sources()) {
            check_name("current source", &ss.name, &sd.name)?;
            let owner = format!("current source `{}`", sd.name);
            let n = net.population(sd.target).size as usize;
            check_vars(
                &owner,
                &sd.part,
                FieldKind::Var,
                &ss.vars,
                n,
                net.precision(),
            )?;
            check_egps(&owner, &sd.part, &ss.egps)?;
        }
        for (k, (rs, rd)) in self
            .var_recordings
            .iter()
            .zip(net.var_recordings())
            .enumerate()
        {
            check_var_recording(k, rs, rd)?;
        }
        Ok(())
    }

    /// Same precision, timestep and seed.
    fn check_settings(&self, net: &Network) -> Result<()> {
        let p = net.precision();
        if self.precision != p {
            let reason = format!(
                "the checkpoint is {:?}, the network {:?}",
                self.precision, p
            );
            return Err(unfit("precision", reason));
        }
        if self.dt.to_bits() != net.dt().to_bits() {
            let reason = format!(
                "the checkpoint has dt = {} ms, the network {} ms",
                self.dt,
                net.dt()
            );
            return Err(unfit("timestep", reason));
        }
        if self.seed != net.seed() {
            let reason = format!(
                "the checkpoint has seed {}, the network {} (random streams would differ)",
                self.seed,
                net.seed()
            );
            return Err(unfit("seed", reason));
        }
        Ok(())
    }

    /// As many populations, groups, sources, inputs and recordings as `net`.
    fn check_counts(&self, net: &Network, plan: &NetworkPlan) -> Result<()> {
        let count = |what: &str, got: usize, expected: usize| {
            if got == expected {
                Ok(())
            } else {
                let reason = format!("{got} in the checkpoint, {expected} in the network");
                Err(unfit(what, reason))
            }
        };
        count(
            "populations",
            self.populations.len(),
            net.populations().len(),
        )?;
        count(
            "synapse groups",
            self.synapse_groups.len(),
            net.synapse_groups().len(),
        )?;
        count(
            "current sources",
            self.current_sources.len(),
            net.current_sources().len(),
        )?;
        count(
            "postsynaptic inputs",
            self.postsynaptic_targets.len(),
            plan.inputs.len(),
        )?;
        count(
            "variable recordings",
            self.var_recordings.len(),
            net.var_recordings().len(),
        )
    }

    /// Population `pi`'s name, variables, spike times, queue and recording.
    fn check_population(
        &self,
        net: &Network,
        plan: &NetworkPlan,
        pi: usize,
        ps: &PopulationState,
    ) -> Result<()> {
        let (pd, p) = (&net.populations()[pi], net.precision());
        check_name("population", &ps.name, &pd.name)?;
        let owner = format!("population `{}`", pd.name);
        let n = pd.size as usize;
        check_vars(&owner, &pd.part, FieldKind::Var, &ps.vars, n, p)?;
        check_egps(&owner, &pd.part, &ps.egps)?;
        for a in ps.spike_times.iter().flatten() {
            check_array(&format!("{owner}, spike times"), IrType::Scalar, a, n, p)?;
        }
        let slots = plan.populations[pi].spike_slots as usize;
        check_queue(
            &format!("{owner}, spike queue"),
            &ps.recent_spikes,
            slots,
            pd.size,
        )?;
        match (&ps.recording, pd.record_spikes) {
            (None, false) => Ok(()),
            (Some(r), true) => self.check_recording(&owner, r, pd.size),
            (Some(_), false) => Err(unfit(
                owner,
                "the checkpoint has a spike recording, the network records none",
            )),
            (None, true) => Err(unfit(
                owner,
                "the network records spikes, the checkpoint has no recording",
            )),
        }
    }

    /// A spike recording of a population of `n` neurons.
    fn check_recording(&self, owner: &str, r: &SpikeRecordingState, n: u32) -> Result<()> {
        let what = format!("{owner}, spike recording");
        if r.steps.len() != r.ids.len() {
            return Err(unfit(what, "as many steps as ids are needed"));
        }
        if r.steps.windows(2).any(|w| w[0] > w[1])
            || r.steps.last().is_some_and(|&s| s >= self.step)
        {
            return Err(unfit(
                what,
                "spike steps must be non-decreasing and before the current step",
            ));
        }
        if let Some(&id) = r.ids.iter().find(|&&id| id >= n) {
            return Err(unfit(what, format!("neuron id {id} is not below {n}")));
        }
        Ok(())
    }
}

/// Fails unless a part's stored name is the network's.
fn check_name(kind: &str, stored: &str, name: &str) -> Result<()> {
    if stored == name {
        Ok(())
    } else {
        Err(unfit(
            format!("{kind} `{name}`"),
            format!("the checkpoint has `{stored}` in its place"),
        ))
    }
}

/// Synapse group `gi`'s name, connectivity, variables, delays, event times
/// and event queue.
fn check_group(net: &Network, plan: &NetworkPlan, gi: usize, gs: &SynapseGroupState) -> Result<()> {
    let (gd, p) = (&net.synapse_groups()[gi], net.precision());
    check_name("synapse group", &gs.name, &gd.name)?;
    let owner = format!("synapse group `{}`", gd.name);
    let (n_pre, n_post) = (net.population(gd.pre).size, net.population(gd.post).size);
    check_connectivity(
        &format!("{owner}, connectivity"),
        &gs.connectivity,
        n_pre,
        n_post,
    )?;
    let syn = gs.connectivity.ind.len();
    check_vars(&owner, &gd.wu, FieldKind::Var, &gs.wu_vars, syn, p)?;
    check_vars(
        &owner,
        &gd.wu,
        FieldKind::PreVar,
        &gs.pre_vars,
        n_pre as usize,
        p,
    )?;
    check_vars(
        &owner,
        &gd.wu,
        FieldKind::PostVar,
        &gs.post_vars,
        n_post as usize,
        p,
    )?;
    check_egps(&owner, &gd.wu, &gs.egps)?;
    if let Some(k) = gd.delay_var {
        gd.check_delay_values(k, &gs.wu_vars[k].to_f64())?;
    }
    for a in gs.event_times.iter().flatten() {
        let what = format!("{owner}, event times");
        check_array(&what, IrType::Scalar, a, n_pre as usize, p)?;
    }
    let slots = plan.groups[gi].event_slots as usize;
    check_queue(
        &format!("{owner}, event queue"),
        &gs.recent_events,
        slots,
        n_pre,
    )
}

/// A well-formed CSR of `n_pre x n_post` with sorted rows.
fn check_connectivity(what: &str, c: &SparseConnectivity, n_pre: u32, n_post: u32) -> Result<()> {
    if c.num_pre != n_pre || c.num_post != n_post {
        let reason = format!(
            "{} x {} in the checkpoint, {n_pre} x {n_post} in the network",
            c.num_pre, c.num_post
        );
        return Err(unfit(what, reason));
    }
    if c.row_ptr.len() != n_pre as usize + 1
        || c.row_ptr[0] != 0
        || c.row_ptr.windows(2).any(|w| w[0] > w[1])
        || c.row_ptr[n_pre as usize] != c.ind.len() as u64
    {
        return Err(unfit(what, "malformed row offsets"));
    }
    if let Some(&j) = c.ind.iter().find(|&&j| j >= n_post) {
        return Err(unfit(
            what,
            format!("target {j} is not below the size {n_post}"),
        ));
    }
    let unsorted = c.row_ptr.windows(2).any(|w| {
        c.ind[w[0] as usize..w[1] as usize]
            .windows(2)
            .any(|x| x[0] > x[1])
    });
    if unsorted {
        return Err(unfit(what, "a row's targets are not sorted"));
    }
    Ok(())
}

/// Postsynaptic input `t`: `in_syn`, the model's variables and the ring.
fn check_input(net: &Network, plan: &NetworkPlan, t: usize, ts: &PostsynapticState) -> Result<()> {
    let (td, p) = (&plan.inputs[t], net.precision());
    let g = &net.synapse_groups()[td.groups[0]];
    let owner = format!("postsynaptic input {t} (synapse group `{}`)", g.name);
    let n = net.population(td.post).size as usize;
    let Some((in_syn, vars)) = ts.vars.split_first() else {
        return Err(unfit(owner, "`in_syn` is missing"));
    };
    check_array(&format!("{owner}, `in_syn`"), IrType::Scalar, in_syn, n, p)?;
    check_vars(&owner, &g.psm, FieldKind::Var, vars, n, p)?;
    let ring_len = td.ring_slots as usize * n;
    let what = format!("{owner}, dendritic-delay ring");
    check_array(&what, IrType::Scalar, &ts.ring, ring_len, p)
}

/// Variable recording `k`: the network's neurons, one value per neuron and sample.
fn check_var_recording(k: usize, rs: &RecordedVar, rd: &VarRecordingDesc) -> Result<()> {
    let what = format!("variable recording #{k} (`{}`)", rd.var_name);
    if rs.neurons != rd.neurons {
        return Err(unfit(what, "it samples other neurons than the network's"));
    }
    if rs.values.len() != rs.times.len() * rs.neurons.len() {
        let reason = format!(
            "{} values for {} samples of {} neurons",
            rs.values.len(),
            rs.times.len(),
            rs.neurons.len()
        );
        return Err(unfit(what, reason));
    }
    Ok(())
}
