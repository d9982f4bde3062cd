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
//! - `errors`: one word per synapse group, the largest dendritic delay + 1
//!   that did not fit the ring (0: none);
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

use crate::cgen::{indent, method_to_c, CType, CodeCtx, CodegenError, Exit};
use snn_core::dsl::{EnvCall, Method};
pub use snn_core::handle::EgpPart;
use snn_core::ir::IrType;
use snn_core::model::{FieldDesc, FieldKind, ModelDesc};
use snn_core::model::{POST_SPIKE_TIMES, PRE_EVENT_TIMES, PRE_SPIKE_TIMES};
pub use snn_core::network::Span;
use snn_core::network::{CurrentSourceId, PopulationId, SynapseGroupId};
use snn_core::network::{ModelPart, Network};
use snn_core::plan::NetworkPlan;
use snn_core::Precision;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Threads per block of every kernel.
pub const BLOCK_SIZE: u32 = 64;

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
    /// The current step (`snn_u64`).
    Step,
    /// The time of the current step, `step * dt`, in the network precision.
    Time,
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
    /// Delay overflow flags, one per synapse group.
    pub errors: BufferId,
    /// Steps per recording chunk.
    pub recording_chunk: u32,
    /// Every buffer holding an extra global parameter: owner, index of the
    /// parameter among the model's EGPs, buffer (kernels of several steps
    /// may each have their copy: [`Simulation::set_egp`] writes them all).
    ///
    /// [`Simulation::set_egp`]: snn_core::sim::Simulation::set_egp
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

/// The C type of a variable's buffer (`bool` as `unsigned char`).
fn buffer_type(ty: IrType, p: Precision) -> CType {
    match CType::from_ir(ty, p) {
        CType::Bool => CType::U8,
        t => t,
    }
}

/// Parameters and arguments of one kernel being written.
struct Params {
    decls: Vec<String>,
    args: Vec<ArgSpec>,
}

impl Params {
    fn new() -> Self {
        Params {
            decls: Vec::new(),
            args: Vec::new(),
        }
    }
    fn push(&mut self, decl: String, arg: ArgSpec) {
        self.decls.push(decl);
        self.args.push(arg);
    }
    fn buffer(&mut self, ty: CType, name: &str, id: BufferId) {
        self.push(
            format!("GLOBAL {}* {name}", ty.c_name()),
            ArgSpec::Buffer(id),
        );
    }
}

struct Generator<'n> {
    net: &'n Network,
    p: Precision,
    scalar: &'static str,
    suffix: &'static str,
    buffers: Vec<BufferSpec>,
    /// Kernel text (with `@NAME@`) to name.
    kernels: HashMap<String, String>,
    /// Each emitted kernel's name and text, in order.
    kernel_texts: Vec<(String, String)>,
    /// Device functions and merged kernels ([`Generator::merge`]).
    source: String,
    labels: usize,
    /// Queues, streams, inputs and references ([`NetworkPlan`]).
    plan: NetworkPlan,
    /// [`KernelPlan::egp_buffers`].
    egp_buffers: Vec<(EgpPart, usize, BufferId)>,
    /// Parameter declarations and body of each emitted kernel, by name
    /// (for [`Generator::merge`]).
    kernel_parts: HashMap<String, (Vec<String>, String)>,
    /// Kernels whose device-function form ([`Generator::merge`]) is emitted.
    device_fns: std::collections::HashSet<String>,
    /// Merged kernels emitted so far.
    merged: usize,
}

/// How one side's weight-update fields are reached: `<prefix><name><index>`,
/// a register copy when `index` is empty, else a buffer element (`bool`
/// buffers hold `unsigned char`, compared with 0). Neuron-variable
/// references in register form use the referenced neuron variable's name
/// (the neuron kernel's registers), in buffer form the field's own name
/// (one kernel parameter per field).
#[derive(Clone, Copy)]
struct SideAccess<'a> {
    prefix: &'a str,
    index: &'a str,
}

impl SideAccess<'_> {
    fn print(&self, f: &FieldDesc, reference: bool) -> String {
        if self.index.is_empty() {
            let name = if reference { f.bind } else { f.name };
            return format!("{}{name}", self.prefix);
        }
        let text = format!("{}{}{}", self.prefix, f.name, self.index);
        if f.ty == IrType::Bool {
            format!("({text} != 0)")
        } else {
            text
        }
    }
}

/// How model fields are reached in a kernel.
struct FieldNames<'a> {
    /// Prefix of register copies of variables (and `in_syn`).
    var: &'a str,
    /// Name of the constants buffer.
    consts: &'a str,
    /// Prefix of extra global parameter buffers.
    egp: &'a str,
    /// Prefix of referenced neuron variables.
    neuron: &'a str,
    /// Weight-update `#[pre_var]`s.
    pre_var: SideAccess<'a>,
    /// Weight-update `#[post_var]`s.
    post_var: SideAccess<'a>,
    /// Weight-update `#[pre_neuron_var]`s.
    pre_neuron: SideAccess<'a>,
    /// Weight-update `#[post_neuron_var]`s.
    post_neuron: SideAccess<'a>,
}

impl<'a> FieldNames<'a> {
    /// Names for models without weight-update sides.
    fn basic(var: &'a str, consts: &'a str, egp: &'a str, neuron: &'a str) -> Self {
        let side = SideAccess {
            prefix: var,
            index: "",
        };
        FieldNames {
            var,
            consts,
            egp,
            neuron,
            pre_var: side,
            post_var: side,
            pre_neuron: side,
            post_neuron: side,
        }
    }

    /// Names in synapse code (synapse, event, learn-post and dynamics
    /// kernels): registers `w_<var>`, constants `wc`, EGPs `we_<name>`, and
    /// the buffers of both sides at `pre` / `post`.
    fn synapse() -> FieldNames<'static> {
        FieldNames {
            var: "w_",
            consts: "wc",
            egp: "we_",
            neuron: "",
            pre_var: SideAccess {
                prefix: "wpre_",
                index: "[pre]",
            },
            post_var: SideAccess {
                prefix: "wpost_",
                index: "[post]",
            },
            pre_neuron: SideAccess {
                prefix: "pn_",
                index: "[pre]",
            },
            post_neuron: SideAccess {
                prefix: "qn_",
                index: "[post]",
            },
        }
    }

    fn print(&self, model: &ModelDesc, f: &FieldDesc) -> String {
        match f.kind {
            FieldKind::Param | FieldKind::Derived => {
                format!("{}[{}]", self.consts, model.constant_index(f))
            }
            FieldKind::Egp => format!("{}{}", self.egp, f.name),
            // A neuron model's input ports are registers named like references.
            FieldKind::NeuronVar | FieldKind::Input => format!("{}{}", self.neuron, f.name),
            FieldKind::Var | FieldKind::InSyn => format!("{}{}", self.var, f.name),
            FieldKind::PreVar => self.pre_var.print(f, false),
            FieldKind::PostVar => self.post_var.print(f, false),
            FieldKind::PreNeuronVar => self.pre_neuron.print(f, true),
            FieldKind::PostNeuronVar => self.post_neuron.print(f, true),
        }
    }
}

/// A postsynaptic model or current source instance `tag` (`p0`, `c1`) in a
/// neuron kernel: register copies `<tag>_<var>` of its variables, its
/// constants `<tag>_c`, extra global parameters `<tag>_e_<name>`.
struct ElementPart {
    prefix: String,
    consts: String,
    egp: String,
    /// Loads of the registers.
    load: String,
    /// Stores of the registers.
    store: String,
}

impl ElementPart {
    fn names(&self) -> FieldNames<'_> {
        FieldNames::basic(&self.prefix, &self.consts, &self.egp, "n_")
    }
}

impl<'n> Generator<'n> {
    /// Declares the parameters of an [`ElementPart`] (constants, extra
    /// global parameters, then variables `vars`).
    fn element_part(
        &mut self,
        part: &ModelPart,
        owner: &str,
        tag: &str,
        vars: &[BufferId],
        params: &mut Params,
        egp_owner: Option<EgpPart>,
    ) -> ElementPart {
        let prefix = format!("{tag}_");
        let consts = format!("{tag}_c");
        let egp = format!("{tag}_e_");
        self.const_params(part, owner, &consts, &egp, params, egp_owner);
        let (load, store) =
            self.var_registers(part, &prefix, &format!("{tag}_v"), "i", params, vars);
        ElementPart {
            prefix,
            consts,
            egp,
            load,
            store,
        }
    }

    fn buffer(&mut self, name: String, elem: CType, len: usize, contents: Contents) -> BufferId {
        self.buffers.push(BufferSpec {
            name,
            elem,
            len,
            contents,
        });
        self.buffers.len() - 1
    }

    /// One buffer of `len` elements per variable of `part`, named
    /// `<owner>: <what> `<var>`` and filled with `contents(k)` for the
    /// `k`-th variable.
    fn var_buffers(
        &mut self,
        part: &ModelPart,
        owner: &str,
        what: &str,
        len: usize,
        contents: impl Fn(usize) -> Contents,
    ) -> Vec<BufferId> {
        let p = self.p;
        part.model
            .fields_of(FieldKind::Var)
            .enumerate()
            .map(|(k, f)| {
                self.buffer(
                    format!("{owner}: {what} `{}`", f.name),
                    buffer_type(f.ty, p),
                    len,
                    contents(k),
                )
            })
            .collect()
    }

    fn scalar_type(&self) -> CType {
        CType::from_ir(IrType::Scalar, self.p)
    }

    /// Prints the random draws and the calls every model kind shares.
    fn rand_call(&self, call: EnvCall, args: &[String]) -> Option<String> {
        let s = self.suffix;
        Some(match call {
            EnvCall::RandUniform => format!("snn_uniform_{s}(&rng)"),
            EnvCall::RandNormal => format!("snn_normal_{s}(&rng)"),
            EnvCall::RandExponential => format!("snn_exponential_{s}(&rng)"),
            EnvCall::RandGamma => format!("snn_gamma_{s}(&rng, {})", args[0]),
            EnvCall::RandPoisson => format!("snn_poisson_{s}(&rng, {})", args[0]),
            EnvCall::RandBinomial => format!("snn_binomial_{s}(&rng, {}, {})", args[0], args[1]),
            EnvCall::T => "t".into(),
            EnvCall::Dt => "dt".into(),
            // Printed by the kernel's own environment, if available there.
            _ => return None,
        })
    }

    /// Prints `method` of `model` inlined into a kernel (nothing if the model
    /// lacks it); a method with a value assigns it to `result`.
    fn inline(
        &mut self,
        owner: &str,
        part: &ModelPart,
        method: Method,
        names: &FieldNames<'_>,
        env: &dyn Fn(EnvCall, &[String]) -> Option<String>,
        result: Option<&str>,
    ) -> Result<String, GenerateError> {
        let model = part.model;
        let Some(m) = model.method(method) else {
            return Ok(match result {
                Some(r) => format!("{r} = false;\n"),
                None => String::new(),
            });
        };
        self.labels += 1;
        let label = format!("end_{}_{}", method, self.labels);
        let field = |f: &FieldDesc| names.print(model, f);
        let envp = |call: EnvCall, args: &[String]| {
            env(call, args)
                .or_else(|| self.rand_call(call, args))
                .ok_or_else(|| "not available in this kernel".to_string())
        };
        let ctx = CodeCtx {
            precision: self.p,
            field: &field,
            env: &envp,
            model,
            exit: Exit::Goto {
                result,
                label: &label,
            },
        };
        method_to_c(m, &ctx).map_err(|source| GenerateError::Codegen {
            owner: owner.to_string(),
            source: Box::new(source),
        })
    }

    /// Declares register copies `prefix<name>` of a part's variables, loaded
    /// from buffer parameters `buf_prefix<k>`; returns (load, store) code.
    fn var_registers(
        &self,
        part: &ModelPart,
        prefix: &str,
        buf_prefix: &str,
        index: &str,
        params: &mut Params,
        ids: &[BufferId],
    ) -> (String, String) {
        self.registers(
            part.model,
            FieldKind::Var,
            prefix,
            buf_prefix,
            index,
            params,
            ids,
        )
    }

    /// Like [`Self::var_registers`] for the fields of `kind` of `model`.
    #[allow(clippy::too_many_arguments)]
    fn registers(
        &self,
        model: &ModelDesc,
        kind: FieldKind,
        prefix: &str,
        buf_prefix: &str,
        index: &str,
        params: &mut Params,
        ids: &[BufferId],
    ) -> (String, String) {
        let (mut load, mut store) = (String::new(), String::new());
        for (k, f) in model.fields_of(kind).enumerate() {
            let t = CType::from_ir(f.ty, self.p);
            let bt = buffer_type(f.ty, self.p);
            let buf = format!("{buf_prefix}{k}");
            params.buffer(bt, &buf, ids[k]);
            if t == CType::Bool {
                let _ = writeln!(load, "    bool {prefix}{} = {buf}[{index}] != 0;", f.name);
                let _ = writeln!(
                    store,
                    "    {buf}[{index}] = (unsigned char){prefix}{};",
                    f.name
                );
            } else {
                let _ = writeln!(
                    load,
                    "    {} {prefix}{} = {buf}[{index}];",
                    t.c_name(),
                    f.name
                );
                let _ = writeln!(store, "    {buf}[{index}] = {prefix}{};", f.name);
            }
        }
        (load, store)
    }

    /// Constants and extra global parameters of a part as parameters.
    fn const_params(
        &mut self,
        part: &ModelPart,
        owner: &str,
        cname: &str,
        egp: &str,
        params: &mut Params,
        egp_owner: Option<EgpPart>,
    ) {
        let st = self.scalar_type();
        let consts = self.buffer(
            format!("{owner}: constants"),
            st,
            part.constants().len().max(1),
            Contents::Scalars(part.constants()),
        );
        params.buffer(st, cname, consts);
        for (k, (f, values)) in part
            .model
            .fields_of(FieldKind::Egp)
            .zip(&part.egps)
            .enumerate()
        {
            let id = self.buffer(
                format!("{owner}: extra global parameter `{}`", f.name),
                st,
                values.len().max(1),
                Contents::Scalars(values.clone()),
            );
            if let Some(o) = egp_owner {
                self.egp_buffers.push((o, k, id));
            }
            params.buffer(st, &format!("{egp}{}", f.name), id);
        }
    }

    /// Emits a kernel (or reuses an identical one) and returns its name.
    fn emit(&mut self, base: &str, params: &Params, body: &str) -> String {
        let text = format!(
            "KERNEL void @NAME@(\n    {})\n{{\n{body}}}\n\n",
            params.decls.join(",\n    ")
        );
        if let Some(name) = self.kernels.get(&text) {
            return name.clone();
        }
        let name = format!("{base}_{}", self.kernels.len());
        self.kernel_texts
            .push((name.clone(), text.replace("@NAME@", &name)));
        self.kernels.insert(text, name.clone());
        self.kernel_parts
            .insert(name.clone(), (params.decls.clone(), body.to_string()));
        name
    }

    /// Merges runs of `launches` (independent of each other: one phase of
    /// the step) into single launches: GeNN's merged kernels. A merged
    /// kernel gives each original launch a contiguous range of blocks and
    /// calls its kernel's body (emitted once more as a device function
    /// taking the block index) there, so `k` launches cost one. Runs are
    /// cut where the merged kernel's parameters (each distinct argument
    /// once, counted as 8 bytes) would exceed `max_param_bytes`.
    fn merge(&mut self, launches: Vec<Launch>, max_param_bytes: usize) -> Vec<Launch> {
        if max_param_bytes == 0 {
            return launches;
        }
        let max_params = (max_param_bytes / 8).saturating_sub(1).max(1);
        let mut out = Vec::new();
        let mut run: Vec<Launch> = Vec::new();
        let mut distinct: Vec<(String, ArgSpec)> = Vec::new();
        for l in launches {
            let params = self.typed_args(&l);
            let new = params.iter().filter(|p| !distinct.contains(p)).count();
            if !run.is_empty() && distinct.len() + new > max_params {
                out.push(self.merged_launch(std::mem::take(&mut run)));
                distinct.clear();
            }
            for p in params {
                if !distinct.contains(&p) {
                    distinct.push(p);
                }
            }
            run.push(l);
        }
        if !run.is_empty() {
            out.push(self.merged_launch(run));
        }
        out
    }

    /// `(C type, argument)` of each parameter of launch `l`.
    fn typed_args(&self, l: &Launch) -> Vec<(String, ArgSpec)> {
        let (decls, _) = &self.kernel_parts[&l.kernel];
        decls
            .iter()
            .zip(&l.args)
            .map(|(d, &a)| (param_type(d).to_string(), a))
            .collect()
    }

    /// One launch running every launch of `run` ([`Generator::merge`]); a
    /// run of one launch stays as it is.
    fn merged_launch(&mut self, run: Vec<Launch>) -> Launch {
        if run.len() == 1 {
            return run.into_iter().next().expect("one launch");
        }
        let mut params = Params::new();
        let mut distinct: Vec<(String, ArgSpec)> = Vec::new();
        let mut body = String::from("    const unsigned int b = GROUP_ID;\n");
        let mut first_block = 0u32;
        for l in &run {
            self.device_fn(&l.kernel);
            let args: Vec<String> = self
                .typed_args(l)
                .into_iter()
                .map(|p| {
                    let k = distinct.iter().position(|d| *d == p).unwrap_or_else(|| {
                        params.push(format!("{} a{}", p.0, distinct.len()), p.1);
                        distinct.push(p);
                        distinct.len() - 1
                    });
                    format!("a{k}")
                })
                .collect();
            let blocks = blocks_of(l.threads);
            let _ = writeln!(
                body,
                "    if (b < {end}u) {{ {k}_dev({args}b - {first_block}u); return; }}",
                end = first_block + blocks,
                k = l.kernel,
                args = args.iter().map(|a| format!("{a}, ")).collect::<String>(),
            );
            first_block += blocks;
        }
        self.merged += 1;
        let name = format!("merged_{}", self.merged);
        let _ = write!(
            self.source,
            "KERNEL void {name}(\n    {})\n{{\n{body}}}\n\n",
            params.decls.join(",\n    ")
        );
        Launch {
            kernel: name,
            threads: first_block * BLOCK_SIZE,
            args: params.args,
        }
    }

    /// Emits kernel `name`'s body as `DEVICE void <name>_dev(<params>,
    /// unsigned int snn_block)`, the block index given instead of read
    /// (once per kernel).
    fn device_fn(&mut self, name: &str) {
        if !self.device_fns.insert(name.to_string()) {
            return;
        }
        let (decls, body) = &self.kernel_parts[name];
        let _ = write!(
            self.source,
            "DEVICE void {name}_dev(\n    {},\n    const unsigned int snn_block)\n{{\n{}}}\n\n",
            decls.join(",\n    "),
            replace_word(body, "GROUP_ID", "snn_block")
        );
    }
}

/// `text` with every occurrence of identifier `word` (not part of a
/// longer identifier) replaced by `with`.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let ident = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let (before, after) = (&rest[..at], &rest[at + word.len()..]);
        out.push_str(before);
        let whole = !ident(before.chars().next_back().or(out.chars().next_back()))
            && !ident(after.chars().next());
        out.push_str(if whole { with } else { word });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Blocks of [`BLOCK_SIZE`] threads a launch of `threads` threads takes (at least one).
fn blocks_of(threads: u32) -> u32 {
    threads.div_ceil(BLOCK_SIZE).max(1)
}

/// The type of a parameter declaration `"<type> <name>"`.
fn param_type(decl: &str) -> &str {
    decl.rsplit_once(' ').map_or(decl, |(ty, _)| ty)
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
    let p = net.precision();
    let mut g = Generator {
        net,
        p,
        scalar: CType::from_ir(IrType::Scalar, p).c_name(),
        suffix: if p == Precision::F32 { "f32" } else { "f64" },
        buffers: Vec::new(),
        kernels: HashMap::new(),
        source: String::new(),
        kernel_texts: Vec::new(),
        labels: 0,
        plan: NetworkPlan::new(net),
        egp_buffers: Vec::new(),
        kernel_parts: HashMap::new(),
        device_fns: Default::default(),
        merged: 0,
    };
    let chunk = net.recording_chunk_steps.max(1);

    // Spike queues, then event queues, share the count buffer.
    let total_slots: u32 = g
        .plan
        .populations
        .iter()
        .map(|p| p.spike_slots)
        .sum::<u32>()
        + g.plan.groups.iter().map(|gp| gp.event_slots).sum::<u32>();
    let spike_counts = g.buffer(
        "spike counts".into(),
        CType::U32,
        total_slots as usize,
        Contents::Zero,
    );
    let errors = g.buffer(
        "delay overflow flags".into(),
        CType::U32,
        net.synapse_groups().len().max(1),
        Contents::Zero,
    );
    let scalar_t = g.scalar_type();
    let mut populations = Vec::new();
    let mut offset = 0;
    for (pi, pop) in net.populations().iter().enumerate() {
        let owner = format!("population `{}`", pop.name);
        let vars = g.var_buffers(&pop.part, &owner, "variable", pop.size as usize, |k| {
            Contents::NeuronVar { pop: pi, var: k }
        });
        let slots = g.plan.populations[pi].spike_slots;
        let n = pop.size as usize;
        let spk_len = checked_len(slots, n).ok_or_else(|| {
            GenerateError::TooLarge(format!(
                "{owner}: spike queue of {slots} x {n} entries exceeds 2^32"
            ))
        })?;
        let spk = g.buffer(
            format!("{owner}: spike queue"),
            CType::U32,
            spk_len,
            Contents::Zero,
        );
        let recording = pop.record_spikes.then(|| {
            g.buffer(
                format!("{owner}: spike recording"),
                CType::U32,
                chunk as usize * n.div_ceil(32),
                Contents::Zero,
            )
        });
        let spike_times = g.plan.populations[pi]
            .spike_times_read
            .then(|| SpikeTimeBuffers {
                st: g.buffer(
                    format!("{owner}: spike times"),
                    scalar_t,
                    n,
                    Contents::NoSpike,
                ),
                prev_st: g.buffer(
                    format!("{owner}: previous spike times"),
                    scalar_t,
                    n,
                    Contents::NoSpike,
                ),
            });
        populations.push(PopulationBuffers {
            vars,
            spk,
            count_offset: offset,
            slots,
            recording,
            spike_times,
        });
        offset += slots;
    }

    // Synapse groups: buffers.
    let mut target_buffers: Vec<(Vec<BufferId>, Option<BufferId>)> = Vec::new();
    let mut groups = Vec::new();
    for (gi, sg) in net.synapse_groups().iter().enumerate() {
        let owner = format!("synapse group `{}`", sg.name);
        let m = sg.wu.model;
        let (n_pre, n_post) = (net.population(sg.pre).size, net.population(sg.post).size);
        let max_row = max_row_lengths[gi].max(1);
        let ragged = checked_len(n_pre, max_row as usize).ok_or_else(|| {
            GenerateError::TooLarge(format!(
                "{owner}: {n_pre} rows x {max_row} (longest row) synapse slots exceed 2^32"
            ))
        })?;
        let row_length = g.buffer(
            format!("{owner}: row lengths"),
            CType::U32,
            n_pre as usize,
            Contents::RowLength(gi),
        );
        let ind = g.buffer(
            format!("{owner}: targets"),
            CType::U32,
            ragged,
            Contents::Ind(gi),
        );
        let wu_vars = g.var_buffers(&sg.wu, &owner, "weight-update variable", ragged, |k| {
            Contents::SynapseVar { group: gi, var: k }
        });
        // The postsynaptic input: the group's own, or shared with the groups
        // fused with it (allocated with the target's first group).
        let t = g.plan.groups[gi].input;
        let ring_slots = g.plan.inputs[t].ring_slots;
        if g.plan.inputs[t].groups[0] == gi {
            let mut vars = vec![g.buffer(
                format!("{owner}: in_syn"),
                scalar_t,
                n_post as usize,
                Contents::PostsynapticVar { group: gi, var: 0 },
            )];
            vars.extend(g.var_buffers(
                &sg.psm,
                &owner,
                "postsynaptic variable",
                n_post as usize,
                |k| Contents::PostsynapticVar {
                    group: gi,
                    var: k + 1,
                },
            ));
            let ring = (ring_slots > 0).then(|| {
                g.buffer(
                    format!("{owner}: dendritic-delay ring"),
                    scalar_t,
                    ring_slots as usize * n_post as usize,
                    Contents::Zero,
                )
            });
            target_buffers.push((vars, ring));
        }
        let (psm_vars, ring) = target_buffers[t].clone();
        let side = |g: &mut Generator<'_>, kind: FieldKind, n: u32| -> Vec<BufferId> {
            m.fields_of(kind)
                .enumerate()
                .map(|(k, f)| {
                    let (what, contents) = if kind == FieldKind::PreVar {
                        ("presynaptic", Contents::PreVar { group: gi, var: k })
                    } else {
                        ("postsynaptic", Contents::PostVar { group: gi, var: k })
                    };
                    g.buffer(
                        format!("{owner}: {what} variable `{}`", f.name),
                        buffer_type(f.ty, p),
                        n as usize,
                        contents,
                    )
                })
                .collect()
        };
        let pre_vars = side(&mut g, FieldKind::PreVar, n_pre);
        let post_vars = side(&mut g, FieldKind::PostVar, n_post);
        let gp = &g.plan.groups[gi];
        let event_slots = gp.event_slots;
        let events = gp.event_times.then(|| {
            let set = g.buffer(
                format!("{owner}: event times"),
                scalar_t,
                n_pre as usize,
                Contents::NoSpike,
            );
            let prev_set = g.buffer(
                format!("{owner}: previous event times"),
                scalar_t,
                n_pre as usize,
                Contents::NoSpike,
            );
            (set, prev_set)
        });
        let events = match events {
            None => None,
            Some((set, prev_set)) => {
                let queue = if event_slots > 0 {
                    let slots = event_slots;
                    let len = checked_len(slots, n_pre as usize).ok_or_else(|| {
                        GenerateError::TooLarge(format!(
                            "{owner}: event queue of {slots} x {n_pre} entries exceeds 2^32"
                        ))
                    })?;
                    let spk = g.buffer(
                        format!("{owner}: event queue"),
                        CType::U32,
                        len,
                        Contents::Zero,
                    );
                    let q = EventQueue {
                        spk,
                        count_offset: offset,
                        slots,
                    };
                    offset += slots;
                    Some(q)
                } else {
                    None
                };
                Some(EventBuffers {
                    set,
                    prev_set,
                    queue,
                })
            }
        };
        let columns = if g.plan.groups[gi].methods.on_post_spike {
            let max_col = max_col_lengths.map_or(n_pre, |c| c[gi]).max(1);
            let len = checked_len(n_post, max_col as usize).ok_or_else(|| {
                GenerateError::TooLarge(format!(
                    "{owner}: {n_post} columns x {max_col} (longest column) synapse slots exceed 2^32"
                ))
            })?;
            Some(ColumnBuffers {
                col_length: g.buffer(
                    format!("{owner}: column lengths"),
                    CType::U32,
                    n_post as usize,
                    Contents::ColLength(gi),
                ),
                col_ind: g.buffer(
                    format!("{owner}: column-wise synapses"),
                    CType::U32,
                    len,
                    Contents::ColInd(gi),
                ),
                max_col,
            })
        } else {
            None
        };
        groups.push(GroupBuffers {
            row_length,
            ind,
            max_row,
            wu_vars,
            psm_vars,
            ring,
            pre_vars,
            post_vars,
            events,
            columns,
        });
    }

    // Synapse kernels: presynaptic spikes and events, then postsynaptic
    // learning, then synapse dynamics (the order of the semantics).
    // The launches of each phase of the step; launches of one phase are
    // independent of each other (merged below), the phases are ordered.
    let mut spikes = Vec::new();
    let mut events = Vec::new();
    let mut learn = Vec::new();
    let mut dynamics = Vec::new();
    for (gi, gb) in groups.iter().enumerate() {
        let methods = g.plan.groups[gi].methods;
        let sk = SynapseKernels {
            gi,
            populations: &populations,
            gb,
            spike_counts,
            errors,
            ring_slots: g.plan.inputs[g.plan.groups[gi].input].ring_slots,
        };
        spikes.push(sk.kernel(&mut g, SynapseCode::PreSpike)?);
        if methods.on_pre_event {
            // A launch of its own, after the spikes: a row never has two writers.
            events.push(sk.kernel(&mut g, SynapseCode::PreEvent)?);
        }
        if gb.columns.is_some() {
            learn.push(sk.kernel(&mut g, SynapseCode::PostSpike)?);
        }
        if methods.synapse_dynamics {
            dynamics.push(sk.kernel(&mut g, SynapseCode::Dynamics)?);
        }
    }

    // Spike-count reset (spike queues and event queues).
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
    params.push("snn_u64 step".into(), ArgSpec::Step);
    params.buffer(CType::U32, "spk_cnt", spike_counts);
    params.buffer(CType::U32, "table", table_id);
    params.push("unsigned int n_pops".into(), ArgSpec::U32(n_queues as u32));
    let body = "    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    \
                if (i < n_pops) spk_cnt[table[2 * i] + (unsigned int)(step % table[2 * i + 1])] = 0;\n";
    let kernel = g.emit("reset_spike_counts", &params, body);
    let reset = Launch {
        kernel,
        threads: n_queues as u32,
        args: params.args,
    };

    // Current-source buffers.
    let mut current_sources = Vec::new();
    for (si, cs) in net.current_sources().iter().enumerate() {
        let owner = format!("current source `{}`", cs.name);
        let n = net.population(cs.target).size as usize;
        current_sources.push(g.var_buffers(&cs.part, &owner, "variable", n, |k| {
            Contents::CurrentSourceVar { source: si, var: k }
        }));
    }

    // Neuron kernels.
    let mut neurons = Vec::new();
    for (pi, pb) in populations.iter().enumerate() {
        let launch = neuron_kernel(
            &mut g,
            pi,
            pb,
            &groups,
            &current_sources,
            spike_counts,
            chunk,
        )?;
        neurons.push(launch);
    }

    let mut launches = Vec::new();
    for phase in [spikes, events, learn, dynamics, vec![reset], neurons] {
        launches.extend(g.merge(phase, max_param_bytes));
    }

    let mut source = String::new();
    source.push_str(&delayed_add_helper(p));
    // The kernels launched as they are, then the device functions and
    // merged kernels (a kernel whose launches were all merged is left out).
    for (name, text) in &g.kernel_texts {
        if launches.iter().any(|l| l.kernel == *name) {
            source.push_str(text);
        }
    }
    source.push_str(&g.source);
    Ok(KernelPlan {
        precision: p,
        network: g.plan,
        source,
        buffers: g.buffers,
        populations,
        groups,
        current_sources,
        spike_counts,
        errors,
        recording_chunk: chunk,
        egp_buffers: g.egp_buffers,
        step_launches: launches,
    })
}

/// `a * b` if it fits the kernels' 32-bit indices.
fn checked_len(a: u32, b: usize) -> Option<usize> {
    (a as usize)
        .checked_mul(b)
        .filter(|&l| l <= u32::MAX as usize)
}

/// Which synapse code a synapse-view kernel runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SynapseCode {
    /// `on_pre_spike` on the rows of the presynaptic spikes of step `s - 1 - d`.
    PreSpike,
    /// `on_pre_event` on the rows of the group's events of step `s - 1 - d`.
    PreEvent,
    /// `on_post_spike` on the columns of the postsynaptic spikes of step `s - 1`.
    PostSpike,
    /// `synapse_dynamics` on every synapse.
    Dynamics,
}

impl SynapseCode {
    /// The weight-update method the kernel runs.
    fn method(self) -> Method {
        match self {
            SynapseCode::PreSpike => Method::OnPreSpike,
            SynapseCode::PreEvent => Method::OnPreEvent,
            SynapseCode::PostSpike => Method::OnPostSpike,
            SynapseCode::Dynamics => Method::SynapseDynamics,
        }
    }
    fn base(self) -> &'static str {
        match self {
            SynapseCode::PreSpike => "synapse_update",
            SynapseCode::PreEvent => "synapse_event",
            SynapseCode::PostSpike => "learn_post",
            SynapseCode::Dynamics => "synapse_dynamics",
        }
    }
}

/// What the synapse-view kernels of one group need.
struct SynapseKernels<'a> {
    gi: usize,
    populations: &'a [PopulationBuffers],
    gb: &'a GroupBuffers,
    spike_counts: BufferId,
    errors: BufferId,
    ring_slots: u32,
}

impl SynapseKernels<'_> {
    /// The kernel running `code` of the group, and its launch.
    fn kernel(&self, g: &mut Generator<'_>, code: SynapseCode) -> Result<Launch, GenerateError> {
        let net = g.net;
        let p = g.p;
        let gi = self.gi;
        let gb = self.gb;
        let sg = &net.synapse_groups()[gi];
        let m = sg.wu.model;
        let owner = format!("synapse group `{}`", sg.name);
        let (n_pre, n_post) = (net.population(sg.pre).size, net.population(sg.post).size);
        let pre = &self.populations[sg.pre.0 as usize];
        let post_pop = &self.populations[sg.post.0 as usize];
        let max_row = gb.max_row;
        let scalar_t = g.scalar_type();
        let ring_slots = self.ring_slots;
        let adds = code != SynapseCode::PostSpike;

        let mut params = Params::new();
        params.push("snn_u64 step".into(), ArgSpec::Step);
        params.push(format!("{} t", g.scalar), ArgSpec::Time);
        params.push(format!("{} dt", g.scalar), ArgSpec::Scalar(net.dt()));
        // The random stream's key, where the code draws (a merged kernel
        // passes every group's key: only those that are used).
        let draws = m.method(code.method()).is_some_and(|mi| mi.draws());
        if draws {
            let key = g.plan.groups[gi].synapse_key(code.method());
            let key = key.expect("synapse code has a key");
            params.push("unsigned int key0".into(), ArgSpec::U32(key[0]));
            params.push("unsigned int key1".into(), ArgSpec::U32(key[1]));
        }
        params.push("unsigned int n_pre".into(), ArgSpec::U32(n_pre));
        params.push("unsigned int n_post".into(), ArgSpec::U32(n_post));
        // The queue the kernel reads, if any.
        let queue = match code {
            SynapseCode::PreSpike => Some((pre.count_offset, pre.slots, pre.spk)),
            SynapseCode::PreEvent => gb
                .events
                .and_then(|e| e.queue)
                .map(|q| (q.count_offset, q.slots, q.spk)),
            SynapseCode::PostSpike => Some((post_pop.count_offset, post_pop.slots, post_pop.spk)),
            SynapseCode::Dynamics => None,
        };
        if let Some((cnt_off, slots, spk)) = queue {
            params.buffer(CType::U32, "spk_cnt", self.spike_counts);
            params.push("unsigned int cnt_off".into(), ArgSpec::U32(cnt_off));
            params.push("unsigned int slots".into(), ArgSpec::U32(slots));
            params.buffer(CType::U32, "spk", spk);
        }
        let delay = match code {
            SynapseCode::PostSpike | SynapseCode::Dynamics => 0,
            _ => sg.axonal_delay,
        };
        params.push("unsigned int delay".into(), ArgSpec::U32(delay));
        params.buffer(CType::U32, "row_length", gb.row_length);
        params.buffer(CType::U32, "ind", gb.ind);
        params.push("unsigned int max_row".into(), ArgSpec::U32(max_row));
        if let (SynapseCode::PostSpike, Some(c)) = (code, gb.columns) {
            params.buffer(CType::U32, "col_length", c.col_length);
            params.buffer(CType::U32, "col_ind", c.col_ind);
            params.push("unsigned int max_col".into(), ArgSpec::U32(c.max_col));
        }
        let ring = gb.ring.filter(|_| adds);
        if adds {
            params.buffer(scalar_t, "in_syn", gb.psm_vars[0]);
            if let Some(r) = ring {
                params.buffer(scalar_t, "ring", r);
                params.push("unsigned int ring_slots".into(), ArgSpec::U32(ring_slots));
            }
            params.buffer(CType::U32, "errors", self.errors);
            params.push("unsigned int group".into(), ArgSpec::U32(gi as u32));
        }
        g.const_params(
            &sg.wu,
            &owner,
            "wc",
            "we_",
            &mut params,
            Some(EgpPart::SynapseGroup(SynapseGroupId(gi as u32))),
        );
        let (load, store) = g.var_registers(&sg.wu, "w_", "wv", "syn", &mut params, &gb.wu_vars);
        // Both sides, read-only.
        for (f, &id) in m.fields_of(FieldKind::PreVar).zip(&gb.pre_vars) {
            params.buffer(buffer_type(f.ty, p), &format!("wpre_{}", f.name), id);
        }
        for (f, &id) in m.fields_of(FieldKind::PostVar).zip(&gb.post_vars) {
            params.buffer(buffer_type(f.ty, p), &format!("wpost_{}", f.name), id);
        }
        let gp = &g.plan.groups[gi];
        for (kind, refs, pb, prefix) in [
            (FieldKind::PreNeuronVar, &gp.pre_refs, pre, "pn_"),
            (FieldKind::PostNeuronVar, &gp.post_refs, post_pop, "qn_"),
        ] {
            for (f, &k) in m.fields_of(kind).zip(refs) {
                params.buffer(
                    buffer_type(f.ty, p),
                    &format!("{prefix}{}", f.name),
                    pb.vars[k],
                );
            }
        }
        if m.uses_any(&PRE_SPIKE_TIMES) {
            if let Some(st) = pre.spike_times {
                params.buffer(scalar_t, "pre_st", st.st);
                params.buffer(scalar_t, "pre_prev_st", st.prev_st);
            }
        }
        if m.uses_any(&POST_SPIKE_TIMES) {
            if let Some(st) = post_pop.spike_times {
                params.buffer(scalar_t, "post_st", st.st);
                params.buffer(scalar_t, "post_prev_st", st.prev_st);
            }
        }
        if m.uses_any(&PRE_EVENT_TIMES) {
            if let Some(e) = gb.events {
                params.buffer(scalar_t, "pre_set", e.set);
                params.buffer(scalar_t, "pre_prev_set", e.prev_set);
            }
        }

        let method = code.method();
        let writes = m.method(method).is_some_and(|mi| !mi.writes.is_empty());
        let atomic = if p == Precision::F32 {
            "ATOMIC_ADD_F32"
        } else {
            "ATOMIC_ADD_F64"
        };
        let has_ring = ring.is_some();
        let env = move |call: EnvCall, args: &[String]| -> Option<String> {
            Some(match call {
                EnvCall::IdPre => "pre".into(),
                EnvCall::IdPost => "post".into(),
                EnvCall::StPre => "pre_st[pre]".into(),
                EnvCall::PrevStPre => "pre_prev_st[pre]".into(),
                EnvCall::SetPre => "pre_set[pre]".into(),
                EnvCall::PrevSetPre => "pre_prev_set[pre]".into(),
                EnvCall::StPost => "post_st[post]".into(),
                EnvCall::PrevStPost => "post_prev_st[post]".into(),
                EnvCall::AddToPost | EnvCall::AddToPostDelay if !adds => return None,
                EnvCall::AddToPost if has_ring => {
                    format!("{atomic}(&ring[ring_head * n_post + post], {})", args[0])
                }
                EnvCall::AddToPost => format!("{atomic}(&in_syn[post], {})", args[0]),
                EnvCall::AddToPostDelay if has_ring => format!(
                    "snn_add_delayed(ring, ring_slots, n_post, ring_head, post, {}, {}, &errors[group])",
                    args[0], args[1]
                ),
                EnvCall::AddToPostDelay => {
                    format!("ATOMIC_MAX_U32(&errors[group], ({}) + 1u)", args[1])
                }
                _ => return None,
            })
        };
        let body_code = g.inline(&owner, &sg.wu, method, &FieldNames::synapse(), &env, None)?;
        let body_code = indent(&body_code, 2);
        let post_line = if code == SynapseCode::PostSpike {
            String::new()
        } else {
            "        const unsigned int post = ind[syn];\n".into()
        };
        let rng_line = if draws {
            "        snn_rng rng = snn_rng_synapse(key0, key1, (unsigned int)step, pre, post);\n"
        } else {
            ""
        };
        let synapse = format!(
            "{post_line}{}{rng_line}{body_code}{}",
            indent(&load, 1),
            if writes {
                indent(&store, 1)
            } else {
                String::new()
            },
        );
        let mut head = String::from(
            "    const unsigned int tid = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    \
             (void)t; (void)dt; (void)n_pre; (void)delay;\n",
        );
        if queue.is_some() {
            head.push_str(
                "    if (step < 1u + (snn_u64)delay) return;\n    \
                 const unsigned int slot = (unsigned int)((step - 1u - delay) % slots);\n    \
                 const unsigned int n_spk = spk_cnt[cnt_off + slot];\n",
            );
        }
        if has_ring {
            head.push_str(
                "    const unsigned int ring_head = (unsigned int)(step % ring_slots);\n",
            );
        }
        let (body, threads) = match (code, sg.span) {
            (SynapseCode::PreSpike | SynapseCode::PreEvent, Span::Postsynaptic) => (
                format!(
                    "{head}    if (tid >= max_row) return;\n    \
                     for (unsigned int s = 0; s < n_spk; s++) {{\n        \
                     const unsigned int pre = spk[slot * n_pre + s];\n        \
                     if (tid >= row_length[pre]) continue;\n        \
                     const unsigned int syn = pre * max_row + tid;\n{synapse}    }}\n"
                ),
                max_row,
            ),
            (SynapseCode::PreSpike | SynapseCode::PreEvent, Span::Presynaptic) => (
                format!(
                    "{head}    if (tid >= n_spk) return;\n    \
                     const unsigned int pre = spk[slot * n_pre + tid];\n    \
                     const unsigned int len = row_length[pre];\n    \
                     for (unsigned int k = 0; k < len; k++) {{\n        \
                     const unsigned int syn = pre * max_row + k;\n{synapse}    }}\n"
                ),
                n_pre,
            ),
            (SynapseCode::PostSpike, _) => (
                format!(
                    "{head}    if (tid >= max_col) return;\n    \
                     for (unsigned int s = 0; s < n_spk; s++) {{\n        \
                     const unsigned int post = spk[slot * n_post + s];\n        \
                     if (tid >= col_length[post]) continue;\n        \
                     const unsigned int syn = col_ind[post * max_col + tid];\n        \
                     const unsigned int pre = syn / max_row;\n{synapse}    }}\n"
                ),
                gb.columns.map_or(1, |c| c.max_col),
            ),
            (SynapseCode::Dynamics, _) => (
                format!(
                    "{head}    if (tid >= n_pre * max_row) return;\n    \
                     const unsigned int syn = tid;\n    \
                     const unsigned int pre = syn / max_row;\n    \
                     if (syn - pre * max_row >= row_length[pre]) return;\n    \
                     {{\n{synapse}    }}\n"
                ),
                n_pre * max_row,
            ),
        };
        let kernel = g.emit(code.base(), &params, &body);
        Ok(Launch {
            kernel,
            threads,
            args: params.args,
        })
    }
}

/// `snn_add_delayed`: adds to the ring slot `delay` steps ahead, or flags an overflow.
fn delayed_add_helper(p: Precision) -> String {
    let (s, atomic) = match p {
        Precision::F32 => ("float", "ATOMIC_ADD_F32"),
        Precision::F64 => ("double", "ATOMIC_ADD_F64"),
    };
    format!(
        "SNN_FN void snn_add_delayed(GLOBAL {s}* ring, unsigned int ring_slots, unsigned int n_post,\n    \
         unsigned int head, unsigned int post, {s} x, unsigned int delay, GLOBAL unsigned int* error)\n{{\n    \
         if (delay >= ring_slots) {{\n        ATOMIC_MAX_U32(error, delay + 1u);\n        return;\n    }}\n    \
         unsigned int slot = head + delay;\n    \
         if (slot >= ring_slots) slot -= ring_slots;\n    \
         {atomic}(&ring[slot * n_post + post], x);\n}}\n\n"
    )
}

/// A block running inlined postsynaptic or current-source `code` that
/// injects current: its own random stream, its injections summed in `inj`
/// (from 0, as on the CPU), then added to `input` (`isyn` or a port register).
fn injecting(stream: &str, scalar: &str, code: &str, input: &str) -> String {
    format!(
        "    {{\n        snn_rng rng = snn_rng_new(seed, {stream}, (unsigned int)step, i);\n        \
         {scalar} inj = 0;\n{}        {input} += inj;\n        (void)rng;\n    }}\n",
        indent(code, 2)
    )
}

/// The register a postsynaptic model or current source injects into: `isyn`,
/// or the neuron model's input port `port` (see [`FieldKind::Input`]).
fn injection_target(neuron: &ModelDesc, port: Option<usize>) -> String {
    match port.and_then(|k| neuron.nth(FieldKind::Input, k)) {
        Some(f) => format!("n_{}", f.name),
        None => "isyn".to_string(),
    }
}

/// The fused neuron kernel of population `pi`.
fn neuron_kernel(
    g: &mut Generator<'_>,
    pi: usize,
    pb: &PopulationBuffers,
    groups: &[GroupBuffers],
    sources: &[Vec<BufferId>],
    spike_counts: BufferId,
    chunk: u32,
) -> Result<Launch, GenerateError> {
    let net = g.net;
    let pop = &net.populations()[pi];
    let owner = format!("population `{}`", pop.name);
    let scalar = g.scalar;
    let mut params = Params::new();
    params.push("snn_u64 step".into(), ArgSpec::Step);
    params.push(format!("{scalar} t"), ArgSpec::Time);
    params.push(format!("{scalar} dt"), ArgSpec::Scalar(net.dt()));
    params.push("snn_u64 seed".into(), ArgSpec::U64(net.seed()));
    params.push("unsigned int n".into(), ArgSpec::U32(pop.size));
    params.push(
        "unsigned int stream".into(),
        ArgSpec::U32(g.plan.populations[pi].stream),
    );
    params.buffer(CType::U32, "spk_cnt", spike_counts);
    params.push("unsigned int cnt_off".into(), ArgSpec::U32(pb.count_offset));
    params.push("unsigned int slots".into(), ArgSpec::U32(pb.slots));
    params.buffer(CType::U32, "spk", pb.spk);
    if let Some(rec) = pb.recording {
        params.buffer(CType::U32, "rec", rec);
        params.push("unsigned int rec_chunk".into(), ArgSpec::U32(chunk));
    }
    g.const_params(
        &pop.part,
        &owner,
        "nc",
        "ne_",
        &mut params,
        Some(EgpPart::Population(PopulationId(pi as u32))),
    );
    let (n_load, n_store) = g.var_registers(&pop.part, "n_", "nv", "i", &mut params, &pb.vars);

    let mut body = String::new();
    body.push_str(
        "    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    if (i >= n) return;\n",
    );
    let _ = writeln!(body, "    {scalar} isyn = 0;");
    let mut unused_ports = String::new();
    for f in pop.part.model.fields_of(FieldKind::Input) {
        let _ = writeln!(body, "    {scalar} n_{} = 0;", f.name);
        let _ = write!(unused_ports, " (void)n_{};", f.name);
    }
    body.push_str(&n_load);
    let atomic_free_env = |call: EnvCall, _: &[String]| -> Option<String> {
        match call {
            EnvCall::Id => Some("i".into()),
            _ => None,
        }
    };
    let inject_env = |call: EnvCall, args: &[String]| -> Option<String> {
        match call {
            EnvCall::Id => Some("i".into()),
            EnvCall::InjectCurrent => Some(format!("inj += {}", args[0])),
            _ => None,
        }
    };

    // Postsynaptic inputs onto this population (one per group, or fused),
    // each with the model and constants of its first group.
    let incoming: Vec<(usize, u32)> = g
        .plan
        .inputs
        .iter()
        .filter(|t| t.post.0 as usize == pi)
        .map(|t| (t.groups[0], t.ring_slots))
        .collect();
    let mut decays = String::new();
    for (k, &(gi, ring_slots)) in incoming.iter().enumerate() {
        let sg = &net.synapse_groups()[gi];
        let gb = &groups[gi];
        let gowner = format!("synapse group `{}` (postsynaptic model)", sg.name);
        let prefix = format!("p{k}_");
        let in_syn = format!("p{k}_in");
        params.buffer(g.scalar_type(), &in_syn, gb.psm_vars[0]);
        params.push(
            format!("unsigned int p{k}_stream"),
            ArgSpec::U32(g.plan.groups[gi].psm_stream),
        );
        let _ = writeln!(body, "    {scalar} {prefix}in_syn = {in_syn}[i];");
        if let Some(r) = gb.ring {
            let ring = format!("p{k}_ring");
            params.buffer(g.scalar_type(), &ring, r);
            params.push(
                format!("unsigned int p{k}_ring_slots"),
                ArgSpec::U32(ring_slots),
            );
            let _ = writeln!(
                body,
                "    {{\n        const unsigned int r = (unsigned int)(step % p{k}_ring_slots) * n + i;\n        \
                 {prefix}in_syn += {ring}[r];\n        {ring}[r] = 0;\n    }}"
            );
        }
        let part = g.element_part(
            &sg.psm,
            &gowner,
            &format!("p{k}"),
            &gb.psm_vars[1..],
            &mut params,
            None,
        );
        body.push_str(&part.load);
        let store = &part.store;
        let names = part.names();
        let apply = g.inline(
            &gowner,
            &sg.psm,
            Method::ApplyInput,
            &names,
            &inject_env,
            None,
        )?;
        let input = injection_target(pop.part.model, sg.target_port);
        body.push_str(&injecting(&format!("p{k}_stream"), scalar, &apply, &input));
        let decay = g.inline(
            &gowner,
            &sg.psm,
            Method::Decay,
            &names,
            &atomic_free_env,
            None,
        )?;
        let _ = writeln!(
            decays,
            "    {{\n        snn_rng rng = snn_rng_new(seed, p{k}_stream, (unsigned int)step, i);\n{}        (void)rng;\n    }}\n{store}    {in_syn}[i] = {prefix}in_syn;",
            indent(&decay, 2)
        );
    }

    // Current sources.
    let mut cs_store = String::new();
    let targeting = net
        .current_sources()
        .iter()
        .enumerate()
        .filter(|(_, cs)| cs.target.0 as usize == pi);
    for (k, (si, cs)) in targeting.enumerate() {
        let cowner = format!("current source `{}`", cs.name);
        params.push(
            format!("unsigned int c{k}_stream"),
            ArgSpec::U32(g.plan.sources[si].stream),
        );
        let part = g.element_part(
            &cs.part,
            &cowner,
            &format!("c{k}"),
            &sources[si],
            &mut params,
            Some(EgpPart::CurrentSource(CurrentSourceId(si as u32))),
        );
        body.push_str(&part.load);
        cs_store.push_str(&part.store);
        let names = part.names();
        let inject = g.inline(&cowner, &cs.part, Method::Inject, &names, &inject_env, None)?;
        let input = injection_target(pop.part.model, cs.target_port);
        body.push_str(&injecting(&format!("c{k}_stream"), scalar, &inject, &input));
    }

    // The neuron update.
    let names = FieldNames::basic("n_", "nc", "ne_", "n_");
    let neuron_env = |call: EnvCall, _: &[String]| -> Option<String> {
        match call {
            EnvCall::Id => Some("i".into()),
            EnvCall::Isyn => Some("isyn".into()),
            _ => None,
        }
    };
    let auto = pop.part.model.auto_refractory;
    let was_above = if auto {
        g.inline(
            &owner,
            &pop.part,
            Method::Threshold,
            &names,
            &neuron_env,
            Some("was_above"),
        )?
    } else {
        String::new()
    };
    let sim = g.inline(&owner, &pop.part, Method::Sim, &names, &neuron_env, None)?;
    let thr = g.inline(
        &owner,
        &pop.part,
        Method::Threshold,
        &names,
        &neuron_env,
        Some("above"),
    )?;
    let reset = g.inline(&owner, &pop.part, Method::Reset, &names, &neuron_env, None)?;
    let record = if pb.recording.is_some() {
        "            ATOMIC_OR_U32(&rec[(unsigned int)(step % rec_chunk) * ((n + 31u) / 32u) + (i >> 5)], 1u << (i & 31u));\n"
    } else {
        ""
    };
    let _ = write!(
        body,
        "    bool spiked = false;\n    {{\n        snn_rng rng = snn_rng_new(seed, stream, (unsigned int)step, i);\n        \
         bool was_above = false;\n        bool above = false;\n{}{}{}        \
         if (above && !was_above) {{\n            spiked = true;\n{}            \
         const unsigned int slot = (unsigned int)(step % slots);\n            \
         const unsigned int pos = ATOMIC_INC_U32(&spk_cnt[cnt_off + slot]);\n            \
         spk[slot * n + pos] = i;\n{record}        }}\n        (void)rng;\n    }}\n",
        indent(&was_above, 2),
        indent(&sim, 2),
        indent(&thr, 2),
        indent(&reset, 3),
    );
    body.push_str(&n_store);
    body.push_str(&decays);
    body.push_str(&cs_store);
    body.push_str(&neuron_side_code(g, pi, pb, groups, &mut params)?);
    let _ = writeln!(
        body,
        "    (void)t; (void)dt; (void)isyn; (void)spiked;{unused_ports}"
    );
    let kernel = g.emit("neuron_update", &params, &body);
    Ok(Launch {
        kernel,
        threads: pop.size,
        args: params.args,
    })
}

/// What [`neuron_side_code`] declares for one group's presynaptic
/// (`FieldKind::PreVar`, stream sub 4) or postsynaptic (`PostVar`, sub 5)
/// view in a neuron kernel: the names of its constants, EGPs and register
/// copies, and the loads and stores of its variables at neuron `i`.
struct SidePart {
    consts: String,
    egp: String,
    prefix: String,
    load: String,
    store: String,
}

fn side_part(
    g: &mut Generator<'_>,
    gi: usize,
    tag: &str,
    kind: FieldKind,
    vars: &[BufferId],
    params: &mut Params,
) -> SidePart {
    let sg = &g.net.synapse_groups()[gi];
    let owner = format!("synapse group `{}` (weight update)", sg.name);
    let method = if kind == FieldKind::PreVar {
        Method::PreSpike
    } else {
        Method::PostSpike
    };
    let stream = g.plan.groups[gi].stream(method);
    params.push(
        format!("unsigned int {tag}_stream"),
        ArgSpec::U32(stream.expect("pre_spike and post_spike have streams")),
    );
    let (consts, egp, prefix) = (format!("{tag}_c"), format!("{tag}_e_"), format!("{tag}_"));
    g.const_params(
        &sg.wu,
        &owner,
        &consts,
        &egp,
        params,
        Some(EgpPart::SynapseGroup(SynapseGroupId(gi as u32))),
    );
    let (load, store) = g.registers(
        sg.wu.model,
        kind,
        &prefix,
        &format!("{tag}_v"),
        "i",
        params,
        vars,
    );
    SidePart {
        consts,
        egp,
        prefix,
        load,
        store,
    }
}

impl SidePart {
    /// How the view's fields are named: its own variables are the register
    /// copies, neuron references the neuron kernel's `n_` registers.
    fn names(&self) -> FieldNames<'_> {
        let side = SideAccess {
            prefix: &self.prefix,
            index: "",
        };
        let neuron = SideAccess {
            prefix: "n_",
            index: "",
        };
        FieldNames {
            var: &self.prefix,
            consts: &self.consts,
            egp: &self.egp,
            neuron: "n_",
            pre_var: side,
            post_var: side,
            pre_neuron: neuron,
            post_neuron: neuron,
        }
    }
}

/// The neuron kernel's part of weight-update models (step 5 of the
/// semantics), after the neuron update of population `pi`: the spike
/// times of a neuron that spiked move, every outgoing group's `pre_spike`
/// and every incoming group's `post_spike` run on it, then every outgoing
/// group's `event_threshold` is evaluated and events are queued.
fn neuron_side_code(
    g: &mut Generator<'_>,
    pi: usize,
    pb: &PopulationBuffers,
    groups: &[GroupBuffers],
    params: &mut Params,
) -> Result<String, GenerateError> {
    let net = g.net;
    let scalar_t = g.scalar_type();
    let mut code = String::new();
    if let Some(st) = pb.spike_times {
        params.buffer(scalar_t, "st", st.st);
        params.buffer(scalar_t, "prev_st", st.prev_st);
        code.push_str(
            "    if (spiked) {\n        prev_st[i] = st[i];\n        st[i] = t;\n    }\n",
        );
    }
    let mut outgoing = 0;
    let mut incoming = 0;
    for (gi, sg) in net.synapse_groups().iter().enumerate() {
        let gb = &groups[gi];
        let owner = format!("synapse group `{}` (weight update)", sg.name);
        let methods = g.plan.groups[gi].methods;
        if sg.pre.0 as usize == pi && methods.pre_side() {
            let tag = format!("o{outgoing}");
            outgoing += 1;
            let part = side_part(g, gi, &tag, FieldKind::PreVar, &gb.pre_vars, params);
            let (load, store) = (&part.load, &part.store);
            let set = format!("{tag}_set");
            let prev_set = format!("{tag}_prev_set");
            if let Some(e) = gb.events {
                params.buffer(scalar_t, &set, e.set);
                params.buffer(scalar_t, &prev_set, e.prev_set);
            }
            let names = part.names();
            let (set_c, prev_set_c) = (format!("{set}[i]"), format!("{prev_set}[i]"));
            let env = |call: EnvCall, _: &[String]| -> Option<String> {
                Some(match call {
                    EnvCall::IdPre => "i".into(),
                    EnvCall::StPre => "st[i]".into(),
                    EnvCall::PrevStPre => "prev_st[i]".into(),
                    EnvCall::SetPre => set_c.clone(),
                    EnvCall::PrevSetPre => prev_set_c.clone(),
                    _ => return None,
                })
            };
            let _ = write!(code, "    {{\n{}", indent(load, 1));
            if methods.pre_spike {
                let body = g.inline(&owner, &sg.wu, Method::PreSpike, &names, &env, None)?;
                let _ = write!(
                    code,
                    "        if (spiked) {{\n            snn_rng rng = snn_rng_new(seed, {tag}_stream, (unsigned int)step, i);\n{}{}            (void)rng;\n        }}\n",
                    indent(&body, 3),
                    indent(store, 2),
                );
            }
            if methods.event_threshold {
                // The event times move; the event enters the queue where
                // `on_pre_event` consumes it (the plan's rule).
                let queue = gb.events.and_then(|e| e.queue);
                let push = match queue {
                    Some(q) => {
                        params.buffer(CType::U32, &format!("{tag}_ev"), q.spk);
                        params.push(
                            format!("unsigned int {tag}_ev_off"),
                            ArgSpec::U32(q.count_offset),
                        );
                        params.push(
                            format!("unsigned int {tag}_ev_slots"),
                            ArgSpec::U32(q.slots),
                        );
                        format!(
                            "\n            const unsigned int eslot = (unsigned int)(step % {tag}_ev_slots);\n            \
                             const unsigned int epos = ATOMIC_INC_U32(&spk_cnt[{tag}_ev_off + eslot]);\n            \
                             {tag}_ev[eslot * n + epos] = i;"
                        )
                    }
                    None => String::new(),
                };
                let result = format!("{tag}_event");
                let body = g.inline(
                    &owner,
                    &sg.wu,
                    Method::EventThreshold,
                    &names,
                    &env,
                    Some(&result),
                )?;
                let _ = write!(
                    code,
                    "        bool {result} = false;\n{}        if ({result}) {{\n            \
                     {prev_set}[i] = {set}[i];\n            {set}[i] = t;{push}\n        }}\n",
                    indent(&body, 2),
                );
            }
            code.push_str("    }\n");
        }
        if sg.post.0 as usize == pi && methods.post_spike {
            let tag = format!("q{incoming}");
            incoming += 1;
            let part = side_part(g, gi, &tag, FieldKind::PostVar, &gb.post_vars, params);
            let (load, store) = (&part.load, &part.store);
            let names = part.names();
            let env = |call: EnvCall, _: &[String]| -> Option<String> {
                Some(match call {
                    EnvCall::IdPost => "i".into(),
                    EnvCall::StPost => "st[i]".into(),
                    EnvCall::PrevStPost => "prev_st[i]".into(),
                    _ => return None,
                })
            };
            let body = g.inline(&owner, &sg.wu, Method::PostSpike, &names, &env, None)?;
            let _ = write!(
                code,
                "    if (spiked) {{\n        snn_rng rng = snn_rng_new(seed, {tag}_stream, (unsigned int)step, i);\n{}{}{}        (void)rng;\n    }}\n",
                indent(load, 1),
                indent(&body, 2),
                indent(store, 1),
            );
        }
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
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
        assert_eq!(unmerged.step_launches.len(), 5 + 1 + 3);
        assert!(!unmerged.source.contains("merged_"));
        // Unlimited: one launch per phase (spikes, reset, neurons), each
        // with the blocks of the launches it replaces.
        let all = generate_plan(&net, &rows, None, 1 << 20).unwrap();
        assert_eq!(all.step_launches.len(), 3);
        let blocks = |ls: &[Launch]| ls.iter().map(|l| blocks_of(l.threads)).sum::<u32>();
        let ul = &unmerged.step_launches;
        assert_eq!(blocks_of(all.step_launches[0].threads), blocks(&ul[..5]));
        assert_eq!(all.step_launches[1], ul[5]);
        assert_eq!(blocks_of(all.step_launches[2].threads), blocks(&ul[6..]));
        for l in [&all.step_launches[0], &all.step_launches[2]] {
            assert!(l.kernel.starts_with("merged_"), "{}", l.kernel);
        }
        // The step, time and shared buffers are passed once.
        let steps = all.step_launches[0]
            .args
            .iter()
            .filter(|a| **a == ArgSpec::Step)
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
