//! Kernels for a whole network: the generated source, the buffers it works
//! on and the launches of one timestep (a [`KernelPlan`]).
//!
//! # Buffers
//!
//! Every population, synapse group and current source gets its buffers
//! (struct of arrays, element type of the variable; `bool` variables are
//! stored as `unsigned char`):
//!
//! - neuron variables `[N]`; spike queue `spk[slots * N]` with its counts in
//!   one buffer shared by all populations (`spk_cnt`, `slots` entries from
//!   the population's offset), `slots` = largest outgoing axonal delay + 1;
//!   spike recording `rec[chunk_steps * ceil(N / 32)]` (one bitfield per step,
//!   row `step % chunk_steps`);
//! - synapse groups: ragged rows `row_length[N_pre]`, `ind[N_pre * max_row]`
//!   and weight-update variables in the same layout; `in_syn[N_post]` and
//!   the postsynaptic variables; the dendritic-delay ring
//!   `ring[slots * N_post]` (slot-major, slot `step % slots` is the current one);
//! - constants (parameters, then derived parameters) of each model instance
//!   in a small buffer, so instances of one model share kernel code; extra
//!   global parameters as arrays;
//! - `errors`: [`ERROR_WORDS`] per synapse group, the first step in which
//!   a dendritic delay did not fit the ring and the largest such delay of
//!   that step;
//! - the clock ([`ClockBuffers`]): the step and its time, read by every
//!   step kernel and advanced on the device by the step's last launch;
//! - variable recordings ([`VarRecordingBuffers`]): the sampled neurons'
//!   values, `rows` samples deep;
//! - plasticity, only where a weight-update model needs it: spike times
//!   `st[N]` / `prev_st[N]` of a population (when a model of a group from
//!   or to it reads them; [`Contents::NoSpike`] initially); per group the
//!   `#[pre_var]`s `[N_pre]` and `#[post_var]`s `[N_post]`; event times
//!   `set[N_pre]` / `prev_set[N_pre]` and, with `on_pre_event`, an event
//!   queue `ev[(axonal_delay + 1) * N_pre]` whose counts follow the spike
//!   counts in the shared count buffer; with `on_post_spike`, the
//!   column-wise view `col_length[N_post]`, `col_ind[N_post * max_col]`
//!   (ragged synapse positions `pre * max_row + k`, row-major within a
//!   column; built by the runtime from the connectivity).
//!
//! # One timestep
//!
//! 1. one synapse kernel per group: the presynaptic spikes of step
//!    `step - 1 - axonal_delay` are propagated, with [`Span::Postsynaptic`]
//!    (a thread per row position, looping over spikes) or
//!    [`Span::Presynaptic`] (a thread per spike, looping over its row);
//!    inputs are added atomically to `in_syn` (or the ring); groups with
//!    `event_threshold` and `on_pre_event` then run the same kernel shape
//!    over their event queue (launched after every group's spikes, so that
//!    a row never has two writers);
//! 2. `learn_post` per group with `on_post_spike`: a thread per column
//!    position, looping over the postsynaptic spikes of step `step - 1`;
//! 3. `synapse_dynamics` per group that has it: a thread per ragged slot;
//! 4. `reset_spike_counts`: clears the slot each spike and event queue
//!    writes next;
//! 5. one neuron kernel per population, fused with its postsynaptic models
//!    (ring slot into `in_syn`, `apply_input`, then `decay` after the
//!    neuron update) and current sources, writing spikes into the queue and
//!    the recording bitfield; then, for a neuron that spiked, its spike
//!    times move and the outgoing groups' `pre_spike` and incoming groups'
//!    `post_spike` run (the thread owns index `i` of the pre/post
//!    variables), and every outgoing group's `event_threshold` is evaluated
//!    on every neuron (events: times move, atomic push into the slot of
//!    this step).
//!
//! 6. `record_var` per variable recording, on its sampled steps;
//! 7. `advance_clock`: the next step and its time.
//!
//! Synapse code reads the pre/post variables, the referenced neuron
//! variables and the spike/event times straight from their buffers at
//! `pre` / `post`; the kernels run before the neuron kernels, so they see
//! them as of the end of the previous step. Random streams follow
//! docs/ARCHITECTURE.md: `stream_id(SynapseSim, group, sub)` with sub 0-3
//! for the synapse code (its key derived on the host, counter
//! `[post, step, pre, call]`: `snn_rng_synapse`), 4 for `pre_spike` and 5
//! for `post_spike` (element = the neuron).
//!
//! Kernels whose text is identical (same models and structure) are emitted
//! once and launched for every instance. The launches of one phase above
//! (1, the events of 1, 2, 3, 4, 5) are independent of each other, so each
//! phase's launches are then merged into as few as the device's limit on
//! kernel parameters allows (GeNN's merged groups): a merged kernel gives
//! every original launch a contiguous range of blocks and calls that
//! kernel's body, emitted once more as a `DEVICE` function of the block
//! index, passing each distinct argument once. The full microcircuit's 64
//! launches per step become 7 under OpenCL 1.2's 1 KB of parameters and
//! 3 under CUDA's 4 KB: on a GPU, where one launch costs a few
//! microseconds, that is what a step of tens of microseconds needs.

//!
//! # Layout
//!
//! - `generator`: the kernel writer every kernel shares (buffers,
//!   parameters, field names, inlined methods, emitted kernels);
//! - `buffers`: the buffers of populations, synapse groups and current
//!   sources;
//! - `synapse`: the synapse-view kernels (steps 1-3);
//! - `neuron`: the fused neuron kernels with their weight-update side
//!   (step 5);
//! - `merge`: merging the launches of a phase.

mod buffers;
mod clock;
mod generator;
mod merge;
mod neuron;
mod recording;
mod synapse;

pub use clock::{step_time_source, ClockBuffers};
pub use recording::VarRecordingBuffers;

use crate::cgen::{CType, CodegenError};
use buffers::{Lengths, SharedBuffers};
use generator::{Generator, Params};
use neuron::NeuronKernel;
pub use snn_core::handle::EgpPart;
use snn_core::network::Network;
pub use snn_core::network::Span;
use snn_core::plan::{NetworkPlan, StepPhase, STEP_PHASES};
use snn_core::Precision;
use synapse::{delayed_add_helper, SynapseCode, SynapseKernels};

/// Threads per block of every kernel.
pub const BLOCK_SIZE: u32 = 64;

/// Words of [`KernelPlan::errors`] per synapse group: whether a dendritic
/// delay overflowed, the first step it did (+ 1, low and high word), and
/// the largest delay + 1 of that step.
pub const ERROR_WORDS: usize = 4;

/// Index of a buffer in [`KernelPlan::buffers`].
pub type BufferId = usize;

/// What a buffer holds initially (the runtime fills it).
#[derive(Clone, Debug, PartialEq)]
pub enum Contents {
    /// Zeros.
    Zero,
    /// Variable `var` of population `pop`.
    NeuronVar {
        /// Population index.
        pop: usize,
        /// Variable index (among the model's variables).
        var: usize,
    },
    /// Weight-update variable `var` of group `group`, in the ragged layout.
    SynapseVar {
        /// Synapse group index.
        group: usize,
        /// Variable index.
        var: usize,
    },
    /// Postsynaptic variable `var` of `group` (0 is `in_syn`).
    PostsynapticVar {
        /// Synapse group index.
        group: usize,
        /// Variable index (0: `in_syn`, then the model's variables).
        var: usize,
    },
    /// Variable `var` of current source `source`.
    CurrentSourceVar {
        /// Current source index.
        source: usize,
        /// Variable index.
        var: usize,
    },
    /// `#[pre_var]` `var` of group `group`, per presynaptic neuron.
    PreVar {
        /// Synapse group index.
        group: usize,
        /// Index among the model's `#[pre_var]`s.
        var: usize,
    },
    /// `#[post_var]` `var` of group `group`, per postsynaptic neuron.
    PostVar {
        /// Synapse group index.
        group: usize,
        /// Index among the model's `#[post_var]`s.
        var: usize,
    },
    /// Every element [`Real::NO_SPIKE`](snn_core::Real) in the network
    /// precision (spike and event times before the first one).
    NoSpike,
    /// Column lengths of `group`'s column-wise view (`u32[N_post]`), built
    /// by the runtime from the connectivity.
    ColLength(usize),
    /// The column-wise view of `group` (`u32[N_post * max_col]`): ragged
    /// positions (`pre * max_row + k`) of the synapses of each column, in
    /// row-major order.
    ColInd(usize),
    /// Row lengths of `group`.
    RowLength(usize),
    /// Targets of `group`, ragged.
    Ind(usize),
    /// Values converted to the network precision.
    Scalars(Vec<f64>),
    /// Words.
    Words(Vec<u32>),
}

/// One device buffer.
#[derive(Clone, Debug, PartialEq)]
pub struct BufferSpec {
    /// What it is for (messages).
    pub name: String,
    /// Element type.
    pub elem: CType,
    /// Number of elements.
    pub len: usize,
    /// Initial contents.
    pub contents: Contents,
}

impl BufferSpec {
    /// Size in bytes.
    pub fn bytes(&self) -> usize {
        self.len * elem_bytes(self.elem)
    }
}

/// Bytes per element of a buffer of element type `t` (`bool` is one byte).
pub fn elem_bytes(t: CType) -> usize {
    match t {
        CType::U8 | CType::Bool => 1,
        CType::U16 => 2,
        CType::F64 | CType::I64 | CType::U64 => 8,
        _ => 4,
    }
}

/// One argument of a launch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ArgSpec {
    /// A buffer.
    Buffer(BufferId),
    /// A constant `unsigned int`.
    U32(u32),
    /// A constant `snn_u64`.
    U64(u64),
    /// A constant in the network precision.
    Scalar(f64),
}

/// A kernel launch of every timestep.
#[derive(Clone, Debug, PartialEq)]
pub struct Launch {
    /// Kernel name.
    pub kernel: String,
    /// Number of threads needed (rounded up to blocks of [`BLOCK_SIZE`]).
    pub threads: u32,
    /// Arguments, in parameter order.
    pub args: Vec<ArgSpec>,
    /// The phase of the step it runs in (a merged launch merges launches
    /// of one phase only).
    pub phase: StepPhase,
}

/// Buffers of one population.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationBuffers {
    /// Per variable.
    pub vars: Vec<BufferId>,
    /// Spike queue ids.
    pub spk: BufferId,
    /// Offset of the population's counts in [`KernelPlan::spike_counts`].
    pub count_offset: u32,
    /// Queue slots.
    pub slots: u32,
    /// Spike recording bitfields, if recorded.
    pub recording: Option<BufferId>,
    /// Spike times `st[N]` and `prev_st[N]`, when a weight-update model of
    /// a group from or to the population reads them.
    pub spike_times: Option<SpikeTimeBuffers>,
}

/// Latest and previous spike times of a population's neurons.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpikeTimeBuffers {
    /// `st[N]`.
    pub st: BufferId,
    /// `prev_st[N]`.
    pub prev_st: BufferId,
}

/// Spike-like events of a synapse group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EventBuffers {
    /// Latest event times `set[N_pre]`.
    pub set: BufferId,
    /// Previous event times `prev_set[N_pre]`.
    pub prev_set: BufferId,
    /// The event queue, where `on_pre_event` consumes the events
    /// ([`GroupPlan::event_slots`](snn_core::plan::GroupPlan::event_slots)).
    pub queue: Option<EventQueue>,
}

/// A queue of spike-like events, laid out like a spike queue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EventQueue {
    /// `spk[slots * N_pre]`.
    pub spk: BufferId,
    /// Offset of its counts in [`KernelPlan::spike_counts`].
    pub count_offset: u32,
    /// Slots: axonal delay + 1.
    pub slots: u32,
}

/// The column-wise view of a synapse group (for `on_post_spike`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColumnBuffers {
    /// `col_length[N_post]`.
    pub col_length: BufferId,
    /// `col_ind[N_post * max_col]`: ragged synapse positions.
    pub col_ind: BufferId,
    /// Column stride.
    pub max_col: u32,
}

/// Buffers of one synapse group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupBuffers {
    /// Row lengths.
    pub row_length: BufferId,
    /// Ragged targets.
    pub ind: BufferId,
    /// Row stride of the ragged layout.
    pub max_row: u32,
    /// Weight-update variables (ragged).
    pub wu_vars: Vec<BufferId>,
    /// `in_syn` then the postsynaptic variables.
    pub psm_vars: Vec<BufferId>,
    /// Dendritic-delay ring, if any.
    pub ring: Option<BufferId>,
    /// `#[pre_var]`s (`[N_pre]` each).
    pub pre_vars: Vec<BufferId>,
    /// `#[post_var]`s (`[N_post]` each).
    pub post_vars: Vec<BufferId>,
    /// Event times and queue, when the model has `event_threshold` or
    /// reads event times.
    pub events: Option<EventBuffers>,
    /// Column-wise view, when the model has `on_post_spike`.
    pub columns: Option<ColumnBuffers>,
}

/// Everything a runtime needs to run a network on a device.
#[derive(Clone, Debug)]
pub struct KernelPlan {
    /// The network precision.
    pub precision: Precision,
    /// The facts every backend reads ([`NetworkPlan`]): queues, streams,
    /// inputs, which methods run.
    pub network: NetworkPlan,
    /// Generated kernels (without preludes: see [`crate::dialect::program`]).
    pub source: String,
    /// Every buffer.
    pub buffers: Vec<BufferSpec>,
    /// Per population.
    pub populations: Vec<PopulationBuffers>,
    /// Per synapse group.
    pub groups: Vec<GroupBuffers>,
    /// Per current source, its variables.
    pub current_sources: Vec<Vec<BufferId>>,
    /// Spike counts of all populations.
    pub spike_counts: BufferId,
    /// Delay overflows, [`ERROR_WORDS`] per synapse group.
    pub errors: BufferId,
    /// The device clock (step and time) every step kernel reads.
    pub clock: ClockBuffers,
    /// Steps per recording chunk.
    pub recording_chunk: u32,
    /// Per variable recording of the network, its device buffer.
    pub var_recordings: Vec<VarRecordingBuffers>,
    /// Every buffer holding an extra global parameter: owner, index of the
    /// parameter among the model's EGPs, buffer (kernels of several steps
    /// may each have their copy: [`Simulation::write_egp`] writes them all).
    ///
    /// [`Simulation::write_egp`]: snn_core::sim::Simulation::write_egp
    pub egp_buffers: Vec<(EgpPart, usize, BufferId)>,
    /// The launches of one timestep, in order.
    pub step_launches: Vec<Launch>,
}

/// Why kernels could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A model method could not be printed.
    #[error("{owner}: {source}")]
    Codegen {
        /// The population, synapse group or current source.
        owner: String,
        /// The printer's error.
        source: Box<CodegenError>,
    },
    /// A size beyond what the kernels index with 32-bit integers.
    #[error("{0}")]
    TooLarge(String),
}

/// Generates the kernels, buffers and launches of `net`.
///
/// `row_lengths[g]` is the largest row length of synapse group `g` (the
/// ragged layout's stride), known once connectivity is built. Groups whose
/// model has `on_post_spike` get a column-wise view sized for `n_pre`
/// synapses per column (exact without multapses); the runtime uses
/// [`generate_with_columns`] with the built connectivity's longest columns.
pub fn generate(net: &Network, max_row_lengths: &[u32]) -> Result<KernelPlan, GenerateError> {
    generate_with_columns(net, max_row_lengths, None)
}

/// Like [`generate`], with `max_col_lengths[g]`, the longest column of
/// group `g` (used by groups with `on_post_spike`; `None`: `n_pre`).
pub fn generate_with_columns(
    net: &Network,
    max_row_lengths: &[u32],
    max_col_lengths: Option<&[u32]>,
) -> Result<KernelPlan, GenerateError> {
    generate_plan(net, max_row_lengths, max_col_lengths, MIN_PARAM_BYTES)
}

/// The parameter bytes every device takes (OpenCL 1.2's least
/// `CL_DEVICE_MAX_PARAMETER_SIZE`; CUDA takes 4096).
pub const MIN_PARAM_BYTES: usize = 1024;

/// Like [`generate_with_columns`], for a device whose kernels take at
/// most `max_param_bytes` bytes of parameters: the launches of each phase
/// of a step are merged into as few kernels as that allows (0: none merged).
pub fn generate_plan(
    net: &Network,
    max_row_lengths: &[u32],
    max_col_lengths: Option<&[u32]>,
    max_param_bytes: usize,
) -> Result<KernelPlan, GenerateError> {
    let mut g = Generator::new(net);
    let chunk = net.recording_chunk_steps.max(1);
    let shared = g.shared_buffers();
    let mut offset = 0;
    let populations = g.population_buffers(chunk, &mut offset)?;
    let lengths = Lengths {
        rows: max_row_lengths,
        cols: max_col_lengths,
    };
    let groups = g.group_buffers(lengths, &mut offset)?;
    let mut synapses = synapse_launches(&mut g, &populations, &groups, shared)?;
    let mut reset = vec![reset_launch(
        &mut g,
        &populations,
        &groups,
        shared.spike_counts,
    )];
    let current_sources = g.current_source_buffers();
    let mut neurons = Vec::new();
    for (pi, pb) in populations.iter().enumerate() {
        let kernel = NeuronKernel {
            pi,
            pb,
            groups: &groups,
            sources: &current_sources,
            spike_counts: shared.spike_counts,
            chunk,
        };
        neurons.push(kernel.kernel(&mut g)?);
    }

    let (var_recordings, mut recording) = recording::var_recordings(&mut g, &populations, chunk);

    // The launches of each phase of the step, in the plan's order.
    let mut launches = Vec::new();
    for phase in STEP_PHASES {
        let first = launches.len();
        let run = match phase {
            StepPhase::PreSpikes => std::mem::take(&mut synapses.spikes),
            StepPhase::PreEvents => std::mem::take(&mut synapses.events),
            StepPhase::PostSpikes => std::mem::take(&mut synapses.learn),
            StepPhase::SynapseDynamics => std::mem::take(&mut synapses.dynamics),
            StepPhase::NeuronUpdate => {
                // The queue slots this step writes are cleared first.
                launches.extend(g.merge(std::mem::take(&mut reset), max_param_bytes));
                std::mem::take(&mut neurons)
            }
            // Fused into the neuron kernels, after each neuron's spike
            // test; then the variable samples of the step.
            StepPhase::AfterSpikes => std::mem::take(&mut recording),
        };
        launches.extend(g.merge(run, max_param_bytes));
        debug_assert!(launches[first..].iter().all(|l| l.phase == phase));
    }
    // Last, the clock moves to the next step.
    launches.push(clock::advance_launch(&mut g));
    let source = assemble_source(&g, &launches);
    Ok(KernelPlan {
        precision: net.precision(),
        network: g.plan,
        source,
        buffers: g.buffers,
        populations,
        groups,
        current_sources,
        spike_counts: shared.spike_counts,
        errors: shared.errors,
        clock: g.clock,
        recording_chunk: chunk,
        var_recordings,
        egp_buffers: g.egp_buffers,
        step_launches: launches,
    })
}

/// The synapse launches of a step by phase; launches of one phase are
/// independent of each other (merged by [`Generator::merge`]), the phases
/// are ordered (the order of the semantics).
struct SynapsePhases {
    /// Presynaptic spikes, one launch per group.
    spikes: Vec<Launch>,
    /// Presynaptic events, per group with `on_pre_event`.
    events: Vec<Launch>,
    /// Postsynaptic learning, per group with `on_post_spike`.
    learn: Vec<Launch>,
    /// Synapse dynamics, per group with `synapse_dynamics`.
    dynamics: Vec<Launch>,
}

/// The synapse kernels of every group: presynaptic spikes and events,
/// then postsynaptic learning, then synapse dynamics.
fn synapse_launches(
    g: &mut Generator<'_>,
    populations: &[PopulationBuffers],
    groups: &[GroupBuffers],
    shared: SharedBuffers,
) -> Result<SynapsePhases, GenerateError> {
    let mut phases = SynapsePhases {
        spikes: Vec::new(),
        events: Vec::new(),
        learn: Vec::new(),
        dynamics: Vec::new(),
    };
    for (gi, gb) in groups.iter().enumerate() {
        let methods = g.plan.groups[gi].methods;
        let sk = SynapseKernels {
            gi,
            populations,
            gb,
            spike_counts: shared.spike_counts,
            errors: shared.errors,
            ring_slots: g.plan.inputs[g.plan.groups[gi].input].ring_slots,
        };
        phases.spikes.push(sk.kernel(g, SynapseCode::PreSpike)?);
        if methods.on_pre_event {
            // A launch of its own, after the spikes: a row never has two writers.
            phases.events.push(sk.kernel(g, SynapseCode::PreEvent)?);
        }
        if gb.columns.is_some() {
            phases.learn.push(sk.kernel(g, SynapseCode::PostSpike)?);
        }
        if methods.synapse_dynamics {
            phases.dynamics.push(sk.kernel(g, SynapseCode::Dynamics)?);
        }
    }
    Ok(phases)
}

/// The spike-count reset: clears the slot each spike and event queue
/// writes next (a table of `(count offset, slots)` per queue).
fn reset_launch(
    g: &mut Generator<'_>,
    populations: &[PopulationBuffers],
    groups: &[GroupBuffers],
    spike_counts: BufferId,
) -> Launch {
    let mut table: Vec<u32> = populations
        .iter()
        .flat_map(|pb| [pb.count_offset, pb.slots])
        .collect();
    for q in groups
        .iter()
        .filter_map(|gb| gb.events.and_then(|e| e.queue))
    {
        table.extend([q.count_offset, q.slots]);
    }
    let n_queues = table.len() / 2;
    let table_id = g.buffer(
        "spike queue table".into(),
        CType::U32,
        table.len(),
        Contents::Words(table),
    );
    let mut params = Params::new();
    g.clock_params(&mut params, false);
    params.buffer(CType::U32, "spk_cnt", spike_counts);
    params.buffer(CType::U32, "table", table_id);
    params.push("unsigned int n_pops".into(), ArgSpec::U32(n_queues as u32));
    let body = "    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    \
                if (i < n_pops) spk_cnt[table[2 * i] + (unsigned int)(step % table[2 * i + 1])] = 0;\n";
    let kernel = g.emit("reset_spike_counts", &params, body);
    Launch {
        kernel,
        threads: n_queues as u32,
        args: params.args,
        phase: StepPhase::NeuronUpdate,
    }
}

/// The program text: the delayed-add helper, the kernels launched as they
/// are, then the device functions and merged kernels (a kernel whose
/// launches were all merged is left out).
fn assemble_source(g: &Generator<'_>, launches: &[Launch]) -> String {
    let mut source = String::new();
    source.push_str(clock::step_time_source(g.p));
    source.push_str(&delayed_add_helper(g.p));
    for (name, text) in &g.kernel_texts {
        if launches.iter().any(|l| l.kernel == *name) {
            source.push_str(text);
        }
    }
    source.push_str(&g.source);
    source
}

#[cfg(test)]
mod tests {
    use super::merge::{blocks_of, replace_word};
    use super::*;
    use snn_core::prelude::*;

    /// Three populations, five static groups (one with an event-free
    /// second model), a current source: 5 synapse launches, a reset and 3
    /// neuron launches unmerged.
    fn net() -> (Network, Vec<u32>) {
        let mut net = Network::new(0.1).unwrap();
        let lif = || Lif {
            c: 1.0,
            tau_m: 20.0,
            v_rest: -70.0,
            v_reset: -70.0,
            v_thresh: -50.0,
            i_offset: 0.5,
            tau_refrac: 2.0,
        };
        let pops: Vec<_> = ["A", "B", "C"]
            .iter()
            .map(|n| {
                net.add_population(n, 100, lif())
                    .init("v", -60.0)
                    .init("refrac_time", 0.0)
                    .build()
                    .unwrap()
            })
            .collect();
        net.add_current_source("I", pops[0], DC { amp: 1.0 })
            .build()
            .unwrap();
        for (k, (pre, post)) in [(0, 1), (1, 2), (2, 0), (0, 2), (1, 1)]
            .into_iter()
            .enumerate()
        {
            net.add_synapse_group(
                format!("S{k}").as_str(),
                pops[pre],
                pops[post],
                StaticPulse,
                ExpCurr { tau: 5.0 },
            )
            .connectivity(Connectivity::FixedProbability {
                p: 0.1,
                autapses: true,
            })
            .wu_init("g", 0.25)
            .build()
            .unwrap();
        }
        let rows = snn_core::initial::InitialState::new(&net)
            .unwrap()
            .longest_rows();
        (net, rows)
    }

    #[test]
    fn block_index_is_replaced_as_a_whole_word() {
        assert_eq!(
            replace_word(
                "GROUP_ID * 2 + MY_GROUP_ID + GROUP_IDS (GROUP_ID)",
                "GROUP_ID",
                "b"
            ),
            "b * 2 + MY_GROUP_ID + GROUP_IDS (b)"
        );
    }

    #[test]
    fn launches_of_a_phase_are_merged_within_the_parameter_budget() {
        let (net, rows) = net();
        let unmerged = generate_plan(&net, &rows, None, 0).unwrap();
        // Spikes, reset, neurons, then the clock.
        assert_eq!(unmerged.step_launches.len(), 5 + 1 + 3 + 1);
        assert!(!unmerged.source.contains("merged_"));
        assert!(unmerged.step_launches[9]
            .kernel
            .starts_with("advance_clock"));
        // Unlimited: one launch per phase (spikes, reset, neurons), each
        // with the blocks of the launches it replaces, then the clock.
        let all = generate_plan(&net, &rows, None, 1 << 20).unwrap();
        assert_eq!(all.step_launches.len(), 3 + 1);
        let blocks = |ls: &[Launch]| ls.iter().map(|l| blocks_of(l.threads)).sum::<u32>();
        let ul = &unmerged.step_launches;
        assert_eq!(blocks_of(all.step_launches[0].threads), blocks(&ul[..5]));
        assert_eq!(all.step_launches[1], ul[5]);
        assert_eq!(blocks_of(all.step_launches[2].threads), blocks(&ul[6..9]));
        assert_eq!(all.step_launches[3], ul[9]);
        for l in [&all.step_launches[0], &all.step_launches[2]] {
            assert!(l.kernel.starts_with("merged_"), "{}", l.kernel);
        }
        // The clock, time and shared buffers are passed once.
        let steps = all.step_launches[0]
            .args
            .iter()
            .filter(|a| **a == ArgSpec::Buffer(all.clock.step))
            .count();
        assert_eq!(steps, 1);
        // A budget of 1024 bytes: several merged launches, none over it.
        let small = generate_plan(&net, &rows, None, MIN_PARAM_BYTES).unwrap();
        assert!(small.step_launches.len() < ul.len());
        for l in &small.step_launches {
            assert!(
                l.args.len() * 8 < MIN_PARAM_BYTES,
                "{}: {}",
                l.kernel,
                l.args.len()
            );
        }
        let total = |p: &KernelPlan| blocks(&p.step_launches);
        assert_eq!(total(&small), blocks(ul));
        assert_eq!(total(&all), blocks(ul));
    }

    /// An event condition without `on_pre_event`: the events move their
    /// times but nothing consumes them.
    #[snn_core::weight_update_model]
    struct ThresholdOnly {
        #[var]
        g: Scalar,
    }

    #[snn_core::weight_update_model]
    impl ThresholdOnly {
        fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
            env.add_to_post(self.g);
        }
        fn event_threshold(&self, env: &WeightUpdateEnv) -> bool {
            env.t() > 1.0
        }
    }

    #[test]
    fn no_event_queue_without_on_pre_event_as_on_the_cpu() {
        let mut net = Network::new(0.1).unwrap();
        let a = net
            .add_population("A", 4, Poisson { rate: 1.0 })
            .init("time_step_to_spike", 0.0)
            .build()
            .unwrap();
        net.add_synapse_group("T", a, a, ThresholdOnly, DeltaCurr)
            .connectivity(Connectivity::OneToOne)
            .wu_init("g", 1.0)
            .axonal_delay(2)
            .build()
            .unwrap();
        let plan = generate(&net, &[1]).unwrap();
        let events = plan.groups[0].events.expect("event times are kept");
        assert!(events.queue.is_none(), "an event queue nothing reads");
        assert!(!plan.buffers.iter().any(|b| b.name.contains("event queue")));
        // The condition is still evaluated: the event times move.
        assert!(plan.source.contains("o0_event"));
        assert_eq!(plan.network.groups[0].event_slots, 0);
    }
}
