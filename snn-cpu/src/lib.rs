//! The CPU backend: the reference semantics, parallel with rayon.
//!
//! Every population is cut into *blocks* of neurons ([`default_block_size`]:
//! a power of two chosen from the population sizes and thread count, or set
//! with [`CpuSimulation::with_block_size`]). A block owns everything
//! written while updating its neurons: their variables, and for every
//! incoming synapse group the postsynaptic input, the dendritic-delay ring,
//! the postsynaptic-model variables and the sub-matrix of synapses that end
//! in the block (rows sorted by target) with their variables; plus the
//! current-source variables. One step is then one parallel pass over blocks
//! (synapse update, postsynaptic input, current sources, neuron update,
//! postsynaptic decay, in the order of docs/ARCHITECTURE.md), followed by a
//! sequential commit of the new spikes into the spike queues and recorders.
//! Each neuron's inputs are summed in a fixed order (group, presynaptic
//! spike, synapse) whatever block it is in, so results are bit-identical
//! for any number of threads and any block size.

#![warn(missing_docs)]

mod block;
mod checkpoint;
mod few;
mod layout;
mod static_synapse;
mod vars;
mod vector;

use vector::PathChoice;
pub use vector::VectorPath;

use rayon::prelude::*;
use snn_core::connectivity::SparseConnectivity;
use snn_core::dsl::Method;
use snn_core::error::{Error, Result};
use snn_core::handle::{EgpId, VarId};
use snn_core::initial::{GroupState, InitialState};
use snn_core::model::PendingAdds;
use snn_core::native::{
    self as runners, ColView, CpuReal, Egps, ElementArgs, SideArgs, SideCode, StepInfo,
    SynapseArgs, TimeSrc,
};
use snn_core::network::{ModelPart, Network, PopulationId, SynapseGroupId, VarRecordingId};
use snn_core::plan::{GroupPlan, NetworkPlan};
use snn_core::real::{Precision, Real};
use snn_core::recording::{SpikeRecord, SpikeRecorder};
use snn_core::sim::{access, RecordedVar, Simulation};
use snn_core::state::SimState;
use snn_core::var::{VarArray, VarSlice, VarSliceMut};
use static_synapse::{StaticAddition, StaticRows};

/// The smallest block size [`CpuSimulation::new`] chooses.
pub const MIN_BLOCK_SIZE: u32 = 1024;
/// The smallest block size [`CpuSimulation::new`] starts from: it goes
/// below only where blocks of this size would leave threads idle.
pub const PREFERRED_MIN_BLOCK_SIZE: u32 = 4096;
/// The largest block size [`CpuSimulation::new`] chooses.
pub const MAX_BLOCK_SIZE: u32 = 32768;
/// The largest block size there can be: block-relative synapse targets are `u16`.
pub const BLOCK_SIZE_LIMIT: u32 = 65536;

/// The block size [`CpuSimulation::new`] chooses for populations of
/// `sizes` neurons on `threads` threads.
///
/// It starts from about four blocks per thread, as a power of two between
/// [`PREFERRED_MIN_BLOCK_SIZE`] and [`MAX_BLOCK_SIZE`]: larger blocks cut
/// each presynaptic row into fewer pieces, which is what makes them faster.
/// Where the blocks of that size cannot be shared among the threads to
/// within 15 % of an even split of the neurons (say 3,200 and 800 neurons
/// on two threads), it halves the size until they can, down to
/// [`MIN_BLOCK_SIZE`], keeping the size with the least busy busiest thread.
/// Results do not depend on it.
///
/// ```
/// use snn_cpu::default_block_size;
/// // The full microcircuit on two threads.
/// let pd14 = [20_683, 5_834, 21_915, 5_479, 4_850, 1_065, 14_395, 2_948];
/// assert_eq!(default_block_size(&pd14, 2), 16384);
/// assert_eq!(default_block_size(&[800, 200], 2), 4096);
/// // COBAHH: 3,200 and 800 neurons in one block each would leave one
/// // thread idle most of the step.
/// assert_eq!(default_block_size(&[3_200, 800], 2), 2048);
/// assert_eq!(default_block_size(&[1_000_000], 1), 32768);
/// ```
pub fn default_block_size(sizes: &[u32], threads: usize) -> u32 {
    let threads = threads.max(1) as u64;
    let neurons: u64 = sizes.iter().map(|&s| s as u64).sum();
    let mut block = (neurons / (4 * threads))
        .next_power_of_two()
        .clamp(PREFERRED_MIN_BLOCK_SIZE as u64, MAX_BLOCK_SIZE as u64) as u32;
    // The largest size (halving from `block`) whose busiest thread has at
    // most 115 % of an even share, else the one with the least busy one.
    let mut best = (busiest_thread(sizes, block, threads), block);
    while best.0 * 20 > neurons * 23 / threads && block > MIN_BLOCK_SIZE {
        block /= 2;
        let busiest = busiest_thread(sizes, block, threads);
        if busiest < best.0 {
            best = (busiest, block);
        }
    }
    best.1
}

/// Neurons of the busiest of `threads` threads when the blocks of `block`
/// neurons of populations of `sizes` go, in order, each to the thread with
/// the least work so far (as work stealing roughly shares them).
fn busiest_thread(sizes: &[u32], block: u32, threads: u64) -> u64 {
    let mut load = vec![0u64; threads as usize];
    for &size in sizes {
        for start in (0..size).step_by(block as usize) {
            let least = load.iter_mut().min().expect("at least one thread");
            *least += block.min(size - start) as u64;
        }
    }
    load.into_iter().max().unwrap_or(0)
}

/// Work (neurons plus synapses / 64) from which a step runs its blocks in
/// parallel.
const PARALLEL_MIN_WORK: u64 = 8192;

/// A network instantiated on the CPU.
///
/// ```
/// use snn_core::prelude::*;
/// use snn_cpu::CpuSimulation;
/// let mut net = Network::new(0.1).unwrap();
/// let p = net.add_population("P", 1, Izhikevich { a: 0.02, b: 0.2, c: -65.0, d: 8.0 })
///     .init("v", -65.0).init("u", -13.0).record_spikes(true).build().unwrap();
/// net.add_current_source("I", p, DC { amp: 10.0 }).build().unwrap();
/// let mut sim = CpuSimulation::new(&net).unwrap();
/// sim.run_for(100.0).unwrap();
/// assert!(sim.spikes(p).unwrap().len() > 0);
/// ```
pub struct CpuSimulation {
    inner: Inner,
}

enum Inner {
    F32(CpuState<f32>),
    F64(CpuState<f64>),
}

macro_rules! dispatch {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            Inner::F32($s) => $e,
            Inner::F64($s) => $e,
        }
    };
}

impl CpuSimulation {
    /// Builds and initialises the network (connectivity and variables) on the CPU.
    ///
    /// Populations are cut into blocks of [`default_block_size`] neurons
    /// for the current rayon thread count.
    pub fn new(net: &Network) -> Result<CpuSimulation> {
        let block_size = default_block_size(&pop_sizes(net), rayon::current_num_threads());
        Self::with_block_size(net, block_size)
    }

    /// [`new`](Self::new) with populations cut into blocks of `block_size`
    /// neurons (a multiple of 32 from 32 to [`BLOCK_SIZE_LIMIT`]), e.g. to
    /// tune a machine with many threads. Results are the same for any
    /// block size; speed is not.
    pub fn with_block_size(net: &Network, block_size: u32) -> Result<CpuSimulation> {
        if block_size == 0 || block_size % 32 != 0 || block_size > BLOCK_SIZE_LIMIT {
            return Err(Error::InvalidParameter {
                owner: "CPU backend".into(),
                param: "block_size".into(),
                value: block_size as f64,
                reason: format!("must be a multiple of 32 from 32 to {BLOCK_SIZE_LIMIT}"),
            });
        }
        let inner = match net.precision() {
            Precision::F32 => Inner::F32(CpuState::new(net, block_size)?),
            Precision::F64 => Inner::F64(CpuState::new(net, block_size)?),
        };
        Ok(CpuSimulation { inner })
    }

    /// Neurons per block (the last block of a population may be smaller).
    pub fn block_size(&self) -> u32 {
        dispatch!(&self.inner, s => s.block_size)
    }

    /// Builds the simulation of `net` holding `state` (a checkpoint taken
    /// on any backend, [`Simulation::save_state`]) without initialising
    /// the network first: the same as [`new`](Self::new) followed by
    /// [`Simulation::load_state`], in the time and memory of one build.
    pub fn from_state(net: &Network, state: &SimState) -> Result<CpuSimulation> {
        let block_size = default_block_size(&pop_sizes(net), rayon::current_num_threads());
        let inner = match net.precision() {
            Precision::F32 => Inner::F32(CpuState::from_state(net, state, block_size)?),
            Precision::F64 => Inner::F64(CpuState::from_state(net, state, block_size)?),
        };
        Ok(CpuSimulation { inner })
    }

    /// Whether a step updates the blocks in parallel (rayon) or one after
    /// the other in the calling thread. Chosen at build from the amount of
    /// work (small networks run in the calling thread, where a parallel
    /// dispatch per step would cost more than it saves); results are the
    /// same either way.
    pub fn parallel(&self) -> bool {
        dispatch!(&self.inner, s => s.parallel)
    }

    /// Overrides [`parallel`](Self::parallel) (e.g. to compare timings).
    pub fn set_parallel(&mut self, parallel: bool) {
        dispatch!(&mut self.inner, s => s.parallel = parallel && s.blocks.len() > 1)
    }

    /// How model code with a lane form runs ([`VectorPath`]: by default
    /// each block keeps the faster of a neuron model's lane form and its
    /// scalar methods, and synapse code runs in lanes). Every choice gives
    /// the same bits.
    pub fn set_vector_path(&mut self, mode: VectorPath) {
        dispatch!(&mut self.inner, s => s.vector = mode)
    }
}

/// The size of each population of `net`, in order.
fn pop_sizes(net: &Network) -> Vec<u32> {
    net.populations().iter().map(|p| p.size).collect()
}

/// The spike queue of a population: `slots` lists of spiking neuron ids,
/// the spikes of step `s` in slot `s % slots`.
struct SpikeQueue {
    slots: Vec<Vec<u32>>,
}

impl SpikeQueue {
    /// An empty queue of `slots` slots.
    fn new(slots: u32) -> Self {
        SpikeQueue {
            slots: vec![Vec::new(); slots as usize],
        }
    }

    /// Spikes emitted in step `step - 1 - delay` (none before the first step).
    fn delayed(&self, step: u64, delay: u32) -> &[u32] {
        match step.checked_sub(1 + delay as u64) {
            Some(s) => &self.slots[(s % self.slots.len() as u64) as usize],
            None => &[],
        }
    }
}

/// The constants and extra global parameters of a population or current
/// source, in the simulation's precision.
struct PartConsts<S> {
    consts: Vec<S>,
    egps: Vec<Vec<S>>,
}

impl<S: Real> PartConsts<S> {
    fn of(part: &ModelPart) -> Self {
        PartConsts {
            consts: to_scalars(&part.constants()),
            egps: part.egps.iter().map(|e| to_scalars(e)).collect(),
        }
    }
}

/// Per-synapse-group constants.
/// Per-synapse-group constants in the simulation's precision (everything
/// else about a group is in its [`GroupPlan`]).
struct GroupConsts<S> {
    wu_consts: Vec<S>,
    wu_egps: Vec<Vec<S>>,
    psm_consts: Vec<S>,
    /// `on_pre_spike` only adds a weight (after a delay): the fast path.
    static_add: Option<StaticAddition>,
}

/// Per-synapse-group state outside the blocks: read by every block during
/// the parallel pass, written only in the sequential commit.
struct GroupSide<S> {
    /// `#[pre_var]`s, per presynaptic neuron.
    pre_vars: Vec<VarArray>,
    /// `#[post_var]`s, per postsynaptic neuron.
    post_vars: Vec<VarArray>,
    /// Latest / previous spike-like event per presynaptic neuron (empty
    /// without `event_threshold`).
    set: Vec<S>,
    prev_set: Vec<S>,
    /// Event queue (`axonal_delay + 1` slots) when the model has `on_pre_event`.
    events: Option<SpikeQueue>,
    /// Scratch for the neurons whose event condition held.
    scratch: Vec<u32>,
}

/// Per-population state outside the blocks (written only in the commit).
struct PopShared<S> {
    /// Latest and previous spike time per neuron (`NO_SPIKE` before).
    st: Vec<S>,
    prev_st: Vec<S>,
    /// Copies of the neuron variables referenced by weight-update models
    /// (`Some` for those), as of the end of the latest step.
    snap: Vec<Option<VarArray>>,
}

/// What a block holds of one postsynaptic input
/// ([`Network::postsynaptic_targets`]: one per synapse group, or shared by
/// fused groups).
struct PsmBlock<S> {
    /// Index of the target in `Network::postsynaptic_targets`.
    target: usize,
    /// `in_syn` then the postsynaptic model's variables.
    psm_vars: Vec<VarArray>,
    /// Slot-major dendritic-delay ring (`slot * len + post`): moving the
    /// current slot into `in_syn` is one contiguous pass.
    ring: Vec<S>,
    ring_slots: u32,
}

/// What a block holds of one incoming synapse group.
struct IncomingBlock {
    group: usize,
    /// Index of the group's postsynaptic input in `Block::psms`.
    psm: usize,
    row_ptr: Vec<u32>,
    ind: Vec<u16>,
    wu_vars: Vec<VarArray>,
    /// Column-wise view, for models with `on_post_spike`.
    col: Option<ColView>,
}

/// What a block holds of one current source.
struct SourceBlock {
    source: usize,
    vars: Vec<VarArray>,
}

/// A block of neurons of one population and everything its update writes.
struct Block<S> {
    pop: usize,
    start: u32,
    len: u32,
    vars: Vec<VarArray>,
    psms: Vec<PsmBlock<S>>,
    incoming: Vec<IncomingBlock>,
    sources: Vec<SourceBlock>,
    isyn: Vec<S>,
    /// The neuron model's input ports (`#[input]` fields), zeroed each step.
    ports: Vec<VarArray>,
    spikes: Vec<u32>,
    /// Queue of the synapse loops' additions into a postsynaptic input.
    pending: PendingAdds<S>,
    /// Lane form or scalar methods for the neuron update.
    path: PathChoice,
}

/// Read-only context of one step.
struct StepCtx<'a, S: CpuReal> {
    net: &'a Network,
    pops: &'a [PartConsts<S>],
    groups: &'a [GroupConsts<S>],
    sources: &'a [PartConsts<S>],
    queues: &'a [SpikeQueue],
    sides: &'a [GroupSide<S>],
    shared: &'a [PopShared<S>],
    plan: &'a NetworkPlan,
    step: u64,
    t: S,
    dt: S,
    /// See [`CpuSimulation::set_vector_path`].
    vector: VectorPath,
}

impl<'a, S: CpuReal> StepCtx<'a, S> {
    /// The timing and random-stream context of model code on `stream`.
    fn info(&self, stream: u32) -> StepInfo<S> {
        StepInfo {
            step: self.step,
            t: self.t,
            dt: self.dt,
            seed: self.net.seed(),
            stream,
        }
    }

    /// The synapse view's presynaptic and postsynaptic sources of group `gi`.
    fn side_sources(&self, gi: usize) -> (Vec<VarSlice<'a>>, Vec<VarSlice<'a>>) {
        side_sources(&self.plan.groups[gi], &self.sides[gi], self.shared)
    }
}

/// `#[pre_var]`s then presynaptic neuron references (and likewise post) of a group.
fn side_sources<'a, S>(
    g: &GroupPlan,
    side: &'a GroupSide<S>,
    shared: &'a [PopShared<S>],
) -> (Vec<VarSlice<'a>>, Vec<VarSlice<'a>>) {
    let snap = |pop: usize, k: usize| {
        shared[pop].snap[k]
            .as_ref()
            .expect("internal error: referenced neuron variable without a copy")
            .slice()
    };
    let pre = side
        .pre_vars
        .iter()
        .map(|v| v.slice())
        .chain(g.pre_refs.iter().map(|&k| snap(g.pre, k)))
        .collect();
    let post = side
        .post_vars
        .iter()
        .map(|v| v.slice())
        .chain(g.post_refs.iter().map(|&k| snap(g.post, k)))
        .collect();
    (pre, post)
}

/// Spikes of `q` in `[lo, hi)` (the queue's lists are ascending).
fn in_range(spikes: &[u32], lo: u32, hi: u32) -> &[u32] {
    let a = spikes.partition_point(|&j| j < lo);
    let z = spikes.partition_point(|&j| j < hi);
    &spikes[a..z]
}

fn slices_mut(vars: &mut [VarArray]) -> Vec<VarSliceMut<'_>> {
    vars.iter_mut()
        .map(|v| {
            let n = v.len();
            v.slice_mut(0..n)
        })
        .collect()
}

/// Copies `src` into `dst` from element `at` (same storage type).
fn copy_into(dst: &mut VarArray, at: usize, src: &VarArray) {
    dst.copy_from(at, src, 0..src.len());
}

/// A variable recording's samples.
struct VarRecordingData {
    times: Vec<f64>,
    values: Vec<f64>,
}

/// The CPU state of a network in precision `S`.
struct CpuState<S: CpuReal> {
    net: Network,
    step: u64,
    pops: Vec<PartConsts<S>>,
    groups: Vec<GroupConsts<S>>,
    sources: Vec<PartConsts<S>>,
    queues: Vec<SpikeQueue>,
    sides: Vec<GroupSide<S>>,
    shared: Vec<PopShared<S>>,
    /// Whether a step runs the blocks in parallel (else in the calling
    /// thread: small networks, where dispatch would cost more than the work).
    parallel: bool,
    /// See [`CpuSimulation::set_vector_path`].
    vector: VectorPath,
    /// Neurons per block.
    block_size: u32,
    /// Per population: spike recording currently on.
    recording_on: Vec<bool>,
    blocks: Vec<Block<S>>,
    /// Index of the first block of each population (plus one past the end).
    pop_blocks: Vec<usize>,
    /// Queues, streams, inputs and references ([`NetworkPlan`]).
    plan: NetworkPlan,
    recorders: Vec<Option<SpikeRecorder>>,
    var_recordings: Vec<VarRecordingData>,
}

fn to_scalars<S: Real>(v: &[f64]) -> Vec<S> {
    v.iter().map(|&x| S::from_f64(x)).collect()
}

impl<S: CpuReal> CpuState<S> {
    fn new(net: &Network, block_size: u32) -> Result<Self> {
        // Neuron and current-source state now; synapse groups one at a time
        // in `build`, so only one group's full host-side state exists at once.
        let InitialState {
            populations,
            current_sources,
            ..
        } = InitialState::without_synapses(net);
        Self::build(
            net,
            NetworkPlan::new(net),
            block_size,
            populations,
            current_sources,
            |gi| InitialState::synapse_group(net, gi),
        )
    }

    /// Lays out a network's state in blocks: the neuron and current-source
    /// variables given, each synapse group's state from `group_state` (its
    /// `psm_vars` are used only for the first group of a postsynaptic
    /// target). Everything else starts empty (step 0).
    fn build(
        net: &Network,
        plan: NetworkPlan,
        block_size: u32,
        populations: Vec<Vec<VarArray>>,
        current_sources: Vec<Vec<VarArray>>,
        mut group_state: impl FnMut(usize) -> Result<GroupState>,
    ) -> Result<Self> {
        let pops = net.populations().iter().map(|p| PartConsts::of(&p.part));
        let sources = net
            .current_sources()
            .iter()
            .map(|s| PartConsts::of(&s.part));
        let groups: Vec<GroupConsts<S>> = net
            .synapse_groups()
            .iter()
            .map(|g| {
                let PartConsts { consts, egps } = PartConsts::of(&g.wu);
                GroupConsts {
                    wu_consts: consts,
                    wu_egps: egps,
                    psm_consts: to_scalars(&g.psm.constants()),
                    static_add: StaticAddition::of(g.wu.model),
                }
            })
            .collect();
        let queues = plan
            .populations
            .iter()
            .map(|p| SpikeQueue::new(p.spike_slots))
            .collect();

        // Spike times, and copies of the neuron variables weight-update
        // models reference (read by every block during a step).
        let shared: Vec<PopShared<S>> = net
            .populations()
            .iter()
            .zip(&populations)
            .zip(&plan.populations)
            .map(|((p, vars), pp)| PopShared {
                st: vec![S::NO_SPIKE; p.size as usize],
                prev_st: vec![S::NO_SPIKE; p.size as usize],
                snap: vars
                    .iter()
                    .zip(&pp.referenced)
                    .map(|(v, &r)| r.then(|| v.clone()))
                    .collect(),
            })
            .collect();

        let (mut blocks, pop_blocks) = layout::neuron_blocks(net, block_size, populations);
        let mut sides = Vec::with_capacity(net.synapse_groups().len());
        for gi in 0..net.synapse_groups().len() {
            let state = group_state(gi)?;
            sides.push(layout::add_group(
                net,
                &plan,
                &mut blocks,
                &pop_blocks,
                gi,
                state,
            ));
        }
        layout::add_sources(net, &mut blocks, &pop_blocks, current_sources);

        let recorders = net
            .populations()
            .iter()
            .map(|p| {
                p.record_spikes
                    .then(|| SpikeRecorder::new(p.size, net.recording_chunk_steps as usize))
            })
            .collect();
        let var_recordings = net
            .var_recordings()
            .iter()
            .map(|_| VarRecordingData {
                times: Vec::new(),
                values: Vec::new(),
            })
            .collect();
        // Small networks run their blocks in the calling thread: a rayon
        // dispatch per step (several microseconds) would cost more than the work.
        let neurons: u64 = pop_sizes(net).iter().map(|&s| s as u64).sum();
        let synapses: u64 = blocks
            .iter()
            .flat_map(|b| &b.incoming)
            .map(|inc| inc.ind.len() as u64)
            .sum();
        let parallel = blocks.len() > 1 && neurons + synapses / 64 >= PARALLEL_MIN_WORK;
        let recording_on = net.populations().iter().map(|p| p.record_spikes).collect();
        Ok(CpuState {
            net: net.clone(),
            step: 0,
            pops: pops.collect(),
            groups,
            sources: sources.collect(),
            queues,
            sides,
            shared,
            parallel,
            vector: VectorPath::Auto,
            block_size,
            recording_on,
            blocks,
            pop_blocks,
            plan,
            recorders,
            var_recordings,
        })
    }

    fn step(&mut self) -> Result<()> {
        let dt = self.net.dt();
        snn_core::sim::check_steps(self.step, 1, dt)?;
        let ctx = StepCtx {
            net: &self.net,
            pops: &self.pops,
            groups: &self.groups,
            sources: &self.sources,
            queues: &self.queues,
            sides: &self.sides,
            shared: &self.shared,
            plan: &self.plan,
            step: self.step,
            t: S::from_f64(self.step as f64 * dt),
            dt: S::from_f64(dt),
            vector: self.vector,
        };
        if self.parallel {
            self.blocks
                .par_iter_mut()
                .try_for_each(|b| b.update(&ctx))?;
        } else {
            for b in &mut self.blocks {
                b.update(&ctx)?;
            }
        }
        // Commit spikes (blocks are ordered by population, then start).
        for (pi, q) in self.queues.iter_mut().enumerate() {
            let slot = (self.step % q.slots.len() as u64) as usize;
            let out = &mut q.slots[slot];
            out.clear();
            for b in &self.blocks[self.pop_blocks[pi]..self.pop_blocks[pi + 1]] {
                out.extend_from_slice(&b.spikes);
            }
            if let (Some(r), true) = (&mut self.recorders[pi], self.recording_on[pi]) {
                r.record_step(self.step, out);
            }
        }
        self.after_neuron_update(S::from_f64(self.step as f64 * dt));
        for (rec, data) in self
            .net
            .var_recordings()
            .iter()
            .zip(&mut self.var_recordings)
        {
            if (self.step + 1) % rec.every as u64 == 0 {
                data.times.push((self.step + 1) as f64 * dt);
                let pi = rec.population.0 as usize;
                for &n in &rec.neurons {
                    let b = &self.blocks[self.pop_blocks[pi] + (n / self.block_size) as usize];
                    let i = (n - b.start) as usize;
                    data.values.push(value_at(&b.vars[rec.var], i));
                }
            }
        }
        self.step += 1;
        Ok(())
    }

    /// Step 5 of the semantics, after the spikes of this step are in the
    /// queues: copies of referenced neuron variables, spike times,
    /// `pre_spike` / `post_spike`, then spike-like events.
    fn after_neuron_update(&mut self, t: S) {
        for pi in 0..self.shared.len() {
            self.refresh_copies(pi, None);
        }
        let step = self.step;
        let slot_of = |q: &SpikeQueue| (step % q.slots.len() as u64) as usize;
        for (sh, q) in self.shared.iter_mut().zip(&self.queues) {
            for &i in &q.slots[slot_of(q)] {
                let i = i as usize;
                sh.prev_st[i] = sh.st[i];
                sh.st[i] = t;
            }
        }
        let seed = self.net.seed();
        let dt = S::from_f64(self.net.dt());
        let info = |stream| StepInfo {
            step,
            t,
            dt,
            seed,
            stream,
        };
        for (gi, (g, side)) in self.groups.iter().zip(&mut self.sides).enumerate() {
            let gp = &self.plan.groups[gi];
            let code = gp.methods;
            if !(code.pre_side() || code.post_spike) {
                continue;
            }
            let runner = S::weight_update(&self.net.synapse_groups()[gi].native_wu);
            let egps = Egps::new(&g.wu_egps);
            let snap = |pop: usize, refs: &[usize]| -> Vec<VarSlice<'_>> {
                refs.iter()
                    .map(|&k| {
                        self.shared[pop].snap[k]
                            .as_ref()
                            .expect("internal error: referenced neuron variable without a copy")
                            .slice()
                    })
                    .collect()
            };
            let pre_refs = snap(gp.pre, &gp.pre_refs);
            let post_refs = snap(gp.post, &gp.post_refs);
            let (pre_sh, post_sh) = (&self.shared[gp.pre], &self.shared[gp.post]);
            // The presynaptic side's arguments (`pre_spike`, `event_threshold`).
            macro_rules! pre_args {
                ($vars:ident) => {
                    SideArgs {
                        consts: &g.wu_consts,
                        egps: &egps,
                        vars: &mut $vars,
                        refs: &pre_refs,
                        st: &pre_sh.st,
                        prev_st: &pre_sh.prev_st,
                        set: &side.set,
                        prev_set: &side.prev_set,
                        info: info(gp.stream(Method::PreSpike).expect("has a stream")),
                    }
                };
            }
            if code.pre_spike {
                let q = &self.queues[gp.pre];
                let mut vars = slices_mut(&mut side.pre_vars);
                runner.neuron_side(pre_args!(vars), SideCode::PreSpike, &q.slots[slot_of(q)]);
            }
            if code.post_spike {
                let q = &self.queues[gp.post];
                let mut vars = slices_mut(&mut side.post_vars);
                runner.neuron_side(
                    SideArgs {
                        consts: &g.wu_consts,
                        egps: &egps,
                        vars: &mut vars,
                        refs: &post_refs,
                        st: &post_sh.st,
                        prev_st: &post_sh.prev_st,
                        set: &[],
                        prev_set: &[],
                        info: info(gp.stream(Method::PostSpike).expect("has a stream")),
                    },
                    SideCode::PostSpike,
                    &q.slots[slot_of(q)],
                );
            }
            if code.event_threshold {
                let mut out = std::mem::take(&mut side.scratch);
                out.clear();
                let mut vars = slices_mut(&mut side.pre_vars);
                runner.event_threshold(pre_args!(vars), pre_sh.st.len(), &mut out);
                drop(vars);
                for &i in &out {
                    let i = i as usize;
                    side.prev_set[i] = side.set[i];
                    side.set[i] = t;
                }
                if let Some(q) = &mut side.events {
                    let slot = slot_of(q);
                    std::mem::swap(&mut q.slots[slot], &mut out);
                }
                side.scratch = out;
            }
        }
    }

    /// Refreshes the copies of population `pi`'s referenced neuron
    /// variables from its blocks (only variable `var` if given).
    fn refresh_copies(&mut self, pi: usize, var: Option<usize>) {
        let range = self.pop_blocks[pi]..self.pop_blocks[pi + 1];
        for (k, snap) in self.shared[pi].snap.iter_mut().enumerate() {
            let Some(snap) = snap else { continue };
            if var.is_some_and(|v| v != k) {
                continue;
            }
            for b in &self.blocks[range.clone()] {
                copy_into(snap, b.start as usize, &b.vars[k]);
            }
        }
    }

    fn pop_blocks(&self, pi: usize) -> &[Block<S>] {
        &self.blocks[self.pop_blocks[pi]..self.pop_blocks[pi + 1]]
    }

    /// Index of group `gi` among the incoming groups of block `bi`.
    fn incoming_index(&self, bi: usize, gi: usize) -> usize {
        self.blocks[bi]
            .incoming
            .iter()
            .position(|inc| inc.group == gi)
            .expect("every block of the target population holds the group")
    }

    /// Visits a group's synapses in row-major order (presynaptic neuron, then
    /// ascending target) as `f(row, block index, incoming index, position)`.
    fn for_each_synapse(&self, gi: usize, mut f: impl FnMut(usize, usize, usize, usize)) {
        self.for_each_row_part(gi, |i, bi, ii, range| {
            for pos in range {
                f(i, bi, ii, pos);
            }
        });
    }

    /// Visits a group's rows in order, each as its parts in the target
    /// blocks (ascending targets): `f(row, block index, incoming index,
    /// positions in the block's synapse arrays)`.
    fn for_each_row_part(
        &self,
        gi: usize,
        mut f: impl FnMut(usize, usize, usize, std::ops::Range<usize>),
    ) {
        let g = &self.net.synapse_groups()[gi];
        let post = g.post.0 as usize;
        let n_pre = self.net.population(g.pre).size as usize;
        let blocks: Vec<(usize, usize)> = (self.pop_blocks[post]..self.pop_blocks[post + 1])
            .map(|bi| (bi, self.incoming_index(bi, gi)))
            .collect();
        for i in 0..n_pre {
            for &(bi, ii) in &blocks {
                let inc = &self.blocks[bi].incoming[ii];
                f(
                    i,
                    bi,
                    ii,
                    inc.row_ptr[i] as usize..inc.row_ptr[i + 1] as usize,
                );
            }
        }
    }

    /// The connectivity of group `gi` as built (CSR).
    fn connectivity_of(&self, gi: usize) -> SparseConnectivity {
        let g = &self.net.synapse_groups()[gi];
        let (n_pre, n_post) = (
            self.net.population(g.pre).size,
            self.net.population(g.post).size,
        );
        let mut row_ptr = vec![0u64; n_pre as usize + 1];
        let mut ind = Vec::new();
        self.for_each_row_part(gi, |i, bi, ii, range| {
            let b = &self.blocks[bi];
            ind.extend(
                b.incoming[ii].ind[range]
                    .iter()
                    .map(|&j| b.start + j as u32),
            );
            row_ptr[i + 1] = ind.len() as u64;
        });
        SparseConnectivity {
            num_pre: n_pre,
            num_post: n_post,
            row_ptr,
            ind,
        }
    }
}

fn value_at(arr: &VarArray, i: usize) -> f64 {
    match arr.slice() {
        VarSlice::F32(a) => a[i] as f64,
        VarSlice::F64(a) => a[i],
        VarSlice::I32(a) => a[i] as f64,
        VarSlice::U32(a) => a[i] as f64,
        VarSlice::I64(a) => a[i] as f64,
        VarSlice::U64(a) => a[i] as f64,
        VarSlice::U8(a) => a[i] as f64,
        VarSlice::U16(a) => a[i] as f64,
        VarSlice::Bool(a) => a[i] as u8 as f64,
    }
}

impl Simulation for CpuSimulation {
    fn backend_name(&self) -> String {
        if self.parallel() {
            format!("CPU (rayon, {} threads)", rayon::current_num_threads())
        } else {
            "CPU (one thread: a small network)".to_string()
        }
    }
    fn network(&self) -> &Network {
        dispatch!(&self.inner, s => &s.net)
    }
    fn step(&mut self) -> Result<()> {
        dispatch!(&mut self.inner, s => s.step())
    }
    fn step_count(&self) -> u64 {
        dispatch!(&self.inner, s => s.step)
    }
    fn save_state(&mut self) -> Result<SimState> {
        dispatch!(&mut self.inner, s => s.save_state())
    }
    fn load_state(&mut self, state: &SimState) -> Result<()> {
        self.inner = match &self.inner {
            Inner::F32(s) => Inner::F32(s.restored(state)?),
            Inner::F64(s) => Inner::F64(s.restored(state)?),
        };
        Ok(())
    }
    fn spikes_of(&mut self, pop: PopulationId) -> Result<SpikeRecord> {
        let pi = self.network().population_id(pop)?.0 as usize;
        dispatch!(&mut self.inner, s => {
            let dt = s.net.dt();
            match &mut s.recorders[pi] {
                Some(r) => Ok(r.spikes(dt).clone()),
                None => Err(access::not_recorded(&s.net, pi)),
            }
        })
    }
    fn recorded_var(&mut self, id: VarRecordingId) -> Result<RecordedVar> {
        dispatch!(&self.inner, s => {
            let rec = access::var_recording(&s.net, id)?;
            let data = &s.var_recordings[id.0 as usize];
            Ok(RecordedVar {
                times: data.times.clone(),
                neurons: rec.neurons.clone(),
                values: data.values.clone(),
            })
        })
    }
    fn read(&self, var: VarId) -> Result<Vec<f64>> {
        access::check_handle(self.network(), var)?;
        Ok(dispatch!(&self.inner, s => s.read(var)))
    }
    fn write(&mut self, var: VarId, values: &[f64]) -> Result<()> {
        access::check_handle(self.network(), var)?;
        dispatch!(&mut self.inner, s => s.write(var, values))
    }
    fn connectivity_of(&self, group: SynapseGroupId) -> Result<SparseConnectivity> {
        let gi = self.network().synapse_group_id(group)?.0 as usize;
        Ok(dispatch!(&self.inner, s => s.connectivity_of(gi)))
    }
    fn write_egp(&mut self, egp: EgpId, values: &[f64]) -> Result<()> {
        dispatch!(&mut self.inner, s => s.write_egp(egp, values))
    }
    fn set_recording(&mut self, pop: PopulationId, on: bool) -> Result<()> {
        let pi = self.network().population_id(pop)?.0 as usize;
        dispatch!(&mut self.inner, s => {
            if s.recorders[pi].is_none() {
                return Err(access::cannot_record(&s.net, pi, on));
            }
            s.recording_on[pi] = on;
            Ok(())
        })
    }
}
