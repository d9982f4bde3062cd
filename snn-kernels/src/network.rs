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
//!   that did not fit the ring (0: none).
//!
//! # One timestep
//!
//! 1. one synapse kernel per group: the presynaptic spikes of step
//!    `step - 1 - axonal_delay` are propagated, with [`Span::Postsynaptic`]
//!    (a thread per row position, looping over spikes) or
//!    [`Span::Presynaptic`] (a thread per spike, looping over its row);
//!    inputs are added atomically to `in_syn` (or the ring);
//! 2. `reset_spike_counts`: clears the queue slot each population writes next;
//! 3. one neuron kernel per population, fused with its postsynaptic models
//!    (ring slot into `in_syn`, `apply_input`, then `decay` after the
//!    neuron update) and current sources, writing spikes into the queue and
//!    the recording bitfield.
//!
//! Kernels whose text is identical (same models and structure) are emitted
//! once and launched for every instance, GeNN's merged groups in spirit.

use crate::cgen::{indent, method_to_c, CType, CodeCtx, CodegenError, Exit};
use snn_core::ir::IrType;
use snn_core::model::{FieldDesc, FieldKind, ModelDesc};
pub use snn_core::network::Span;
use snn_core::network::{ModelPart, Network, PostsynapticTarget};
use snn_core::rng::{stream_id, StreamPurpose};
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
}

/// Everything a runtime needs to run a network on a device.
#[derive(Clone, Debug)]
pub struct KernelPlan {
    /// The network precision.
    pub precision: Precision,
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
    source: String,
    labels: usize,
    /// The network's postsynaptic inputs ([`Network::postsynaptic_targets`]).
    targets: Vec<PostsynapticTarget>,
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
}

impl FieldNames<'_> {
    fn print(&self, model: &ModelDesc, f: &FieldDesc) -> String {
        let n_params = model.fields_of(FieldKind::Param).count();
        match f.kind {
            FieldKind::Param => {
                let k = model.index_of(FieldKind::Param, f.name).unwrap_or(0);
                format!("{}[{k}]", self.consts)
            }
            FieldKind::Derived => {
                let k = model.index_of(FieldKind::Derived, f.name).unwrap_or(0);
                format!("{}[{}]", self.consts, n_params + k)
            }
            FieldKind::Egp => format!("{}{}", self.egp, f.name),
            FieldKind::NeuronVar => format!("{}{}", self.neuron, f.name),
            FieldKind::Var | FieldKind::InSyn => format!("{}{}", self.var, f.name),
            FieldKind::PreVar
            | FieldKind::PostVar
            | FieldKind::PreNeuronVar
            | FieldKind::PostNeuronVar => format!("{}{}", self.var, f.name),
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
        FieldNames {
            var: &self.prefix,
            consts: &self.consts,
            egp: &self.egp,
            neuron: "n_",
        }
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
    ) -> ElementPart {
        let prefix = format!("{tag}_");
        let consts = format!("{tag}_c");
        let egp = format!("{tag}_e_");
        self.const_params(part, owner, &consts, &egp, params);
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
    fn rand_call(&self, name: &str, args: &[String]) -> Option<String> {
        let s = self.suffix;
        Some(match name {
            "rand_uniform" => format!("snn_uniform_{s}(&rng)"),
            "rand_normal" => format!("snn_normal_{s}(&rng)"),
            "rand_exponential" => format!("snn_exponential_{s}(&rng)"),
            "rand_gamma" => format!("snn_gamma_{s}(&rng, {})", args[0]),
            "rand_poisson" => format!("snn_poisson_{s}(&rng, {})", args[0]),
            "rand_binomial" => format!("snn_binomial_{s}(&rng, {}, {})", args[0], args[1]),
            "t" => "t".into(),
            "dt" => "dt".into(),
            _ => return None,
        })
    }

    /// Prints `method` of `model` inlined into a kernel (nothing if the model
    /// lacks it); a method with a value assigns it to `result`.
    fn inline(
        &mut self,
        owner: &str,
        part: &ModelPart,
        method: &str,
        names: &FieldNames<'_>,
        env: &dyn Fn(&str, &[String]) -> Option<String>,
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
        let envp = |name: &str, args: &[String]| {
            env(name, args)
                .or_else(|| self.rand_call(name, args))
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
        let (mut load, mut store) = (String::new(), String::new());
        for (k, f) in part.model.fields_of(FieldKind::Var).enumerate() {
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
    ) {
        let st = self.scalar_type();
        let consts = self.buffer(
            format!("{owner}: constants"),
            st,
            part.constants().len().max(1),
            Contents::Scalars(part.constants()),
        );
        params.buffer(st, cname, consts);
        for (f, values) in part.model.fields_of(FieldKind::Egp).zip(&part.egps) {
            let id = self.buffer(
                format!("{owner}: extra global parameter `{}`", f.name),
                st,
                values.len().max(1),
                Contents::Scalars(values.clone()),
            );
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
        self.source.push_str(&text.replace("@NAME@", &name));
        self.kernels.insert(text, name.clone());
        name
    }
}

/// Generates the kernels, buffers and launches of `net`.
///
/// `row_lengths[g]` is the largest row length of synapse group `g` (the
/// ragged layout's stride), known once connectivity is built.
pub fn generate(net: &Network, max_row_lengths: &[u32]) -> Result<KernelPlan, GenerateError> {
    let p = net.precision();
    let (targets, psm_of_group) = net.postsynaptic_targets();
    let mut g = Generator {
        net,
        p,
        scalar: CType::from_ir(IrType::Scalar, p).c_name(),
        suffix: if p == Precision::F32 { "f32" } else { "f64" },
        buffers: Vec::new(),
        kernels: HashMap::new(),
        source: String::new(),
        labels: 0,
        targets,
    };
    let chunk = net.recording_chunk_steps.max(1);

    // Spike queues.
    let mut slots_of = vec![1u32; net.populations().len()];
    for sg in net.synapse_groups() {
        let s = &mut slots_of[sg.pre.0 as usize];
        *s = (*s).max(sg.axonal_delay + 1);
    }
    let total_slots: u32 = slots_of.iter().sum();
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
    let mut populations = Vec::new();
    let mut offset = 0;
    for (pi, pop) in net.populations().iter().enumerate() {
        let owner = format!("population `{}`", pop.name);
        let vars = g.var_buffers(&pop.part, &owner, "variable", pop.size as usize, |k| {
            Contents::NeuronVar { pop: pi, var: k }
        });
        let slots = slots_of[pi];
        let n = pop.size as usize;
        let spk_len = (slots as usize)
            .checked_mul(n)
            .filter(|&l| l <= u32::MAX as usize);
        let spk_len = spk_len.ok_or_else(|| {
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
        populations.push(PopulationBuffers {
            vars,
            spk,
            count_offset: offset,
            slots,
            recording,
        });
        offset += slots;
    }

    // Synapse groups: buffers and synapse kernels.
    let mut target_buffers: Vec<(Vec<BufferId>, Option<BufferId>)> = Vec::new();
    let mut groups = Vec::new();
    let mut launches = Vec::new();
    for (gi, sg) in net.synapse_groups().iter().enumerate() {
        let owner = format!("synapse group `{}`", sg.name);
        let (n_pre, n_post) = (net.population(sg.pre).size, net.population(sg.post).size);
        let max_row = max_row_lengths[gi].max(1);
        let ragged = (n_pre as usize)
            .checked_mul(max_row as usize)
            .filter(|&l| l <= u32::MAX as usize)
            .ok_or_else(|| {
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
        let t = psm_of_group[gi];
        let ring_slots = g.targets[t].ring_slots;
        if g.targets[t].groups[0] == gi {
            let mut vars = vec![g.buffer(
                format!("{owner}: in_syn"),
                g.scalar_type(),
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
                    g.scalar_type(),
                    ring_slots as usize * n_post as usize,
                    Contents::Zero,
                )
            });
            target_buffers.push((vars, ring));
        }
        let (psm_vars, ring) = target_buffers[t].clone();

        // The synapse kernel.
        let pre = &populations[sg.pre.0 as usize];
        let mut params = Params::new();
        params.push("snn_u64 step".into(), ArgSpec::Step);
        params.push(format!("{} t", g.scalar), ArgSpec::Time);
        params.push(format!("{} dt", g.scalar), ArgSpec::Scalar(net.dt()));
        params.push("snn_u64 seed".into(), ArgSpec::U64(net.seed()));
        params.push(
            "unsigned int stream".into(),
            ArgSpec::U32(stream_id(StreamPurpose::SynapseSim, gi as u32, 0)),
        );
        params.push("unsigned int n_pre".into(), ArgSpec::U32(n_pre));
        params.push("unsigned int n_post".into(), ArgSpec::U32(n_post));
        params.buffer(CType::U32, "spk_cnt", spike_counts);
        params.push(
            "unsigned int cnt_off".into(),
            ArgSpec::U32(pre.count_offset),
        );
        params.push("unsigned int slots".into(), ArgSpec::U32(pre.slots));
        params.buffer(CType::U32, "spk", pre.spk);
        params.push("unsigned int delay".into(), ArgSpec::U32(sg.axonal_delay));
        params.buffer(CType::U32, "row_length", row_length);
        params.buffer(CType::U32, "ind", ind);
        params.push("unsigned int max_row".into(), ArgSpec::U32(max_row));
        params.buffer(g.scalar_type(), "in_syn", psm_vars[0]);
        if let Some(r) = ring {
            params.buffer(g.scalar_type(), "ring", r);
            params.push("unsigned int ring_slots".into(), ArgSpec::U32(ring_slots));
        }
        params.buffer(CType::U32, "errors", errors);
        params.push("unsigned int group".into(), ArgSpec::U32(gi as u32));
        g.const_params(&sg.wu, &owner, "wc", "we_", &mut params);
        let (load, store) = g.var_registers(&sg.wu, "w_", "wv", "syn", &mut params, &wu_vars);
        let writes = sg.wu.model.methods.iter().any(|m| !m.writes.is_empty());
        let atomic = if p == Precision::F32 {
            "ATOMIC_ADD_F32"
        } else {
            "ATOMIC_ADD_F64"
        };
        let has_ring = ring.is_some();
        let env = move |name: &str, args: &[String]| -> Option<String> {
            Some(match name {
                "id_pre" => "pre".into(),
                "id_post" => "post".into(),
                "add_to_post" if has_ring => {
                    format!("{atomic}(&ring[ring_head * n_post + post], {})", args[0])
                }
                "add_to_post" => format!("{atomic}(&in_syn[post], {})", args[0]),
                "add_to_post_delay" if has_ring => format!(
                    "snn_add_delayed(ring, ring_slots, n_post, ring_head, post, {}, {}, &errors[group])",
                    args[0], args[1]
                ),
                "add_to_post_delay" => {
                    format!("ATOMIC_MAX_U32(&errors[group], ({}) + 1u)", args[1])
                }
                _ => return None,
            })
        };
        let code = g.inline(
            &owner,
            &sg.wu,
            "on_pre_spike",
            &FieldNames {
                var: "w_",
                consts: "wc",
                egp: "we_",
                neuron: "",
            },
            &env,
            None,
        )?;
        let code = indent(&code, 2);
        let synapse = format!(
            "        const unsigned int post = ind[syn];\n{}        snn_rng rng = snn_rng_with_block_offset(snn_rng_new(seed, stream, (unsigned int)step, post), pre);\n{code}{}",
            indent(&load, 1),
            if writes { indent(&store, 1) } else { String::new() },
        );
        let head = "    if (step < 1u + (snn_u64)delay) return;\n    \
             const unsigned int slot = (unsigned int)((step - 1u - delay) % slots);\n    \
             const unsigned int n_spk = spk_cnt[cnt_off + slot];\n    \
             const unsigned int tid = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    \
             (void)t; (void)dt;\n"
            .to_string()
            + if has_ring {
                "    const unsigned int ring_head = (unsigned int)(step % ring_slots);\n"
            } else {
                ""
            };
        let (body, threads) = match sg.span {
            Span::Postsynaptic => (
                format!(
                    "{head}    if (tid >= max_row) return;\n    \
                     for (unsigned int s = 0; s < n_spk; s++) {{\n        \
                     const unsigned int pre = spk[slot * n_pre + s];\n        \
                     if (tid >= row_length[pre]) continue;\n        \
                     const unsigned int syn = pre * max_row + tid;\n{synapse}    }}\n"
                ),
                max_row,
            ),
            Span::Presynaptic => (
                format!(
                    "{head}    if (tid >= n_spk) return;\n    \
                     const unsigned int pre = spk[slot * n_pre + tid];\n    \
                     const unsigned int len = row_length[pre];\n    \
                     for (unsigned int k = 0; k < len; k++) {{\n        \
                     const unsigned int syn = pre * max_row + k;\n{synapse}    }}\n"
                ),
                n_pre,
            ),
        };
        let kernel = g.emit("synapse_update", &params, &body);
        launches.push(Launch {
            kernel,
            threads,
            args: params.args,
        });
        groups.push(GroupBuffers {
            row_length,
            ind,
            max_row,
            wu_vars,
            psm_vars,
            ring,
        });
    }

    // Spike-count reset.
    let table: Vec<u32> = populations
        .iter()
        .flat_map(|pb| [pb.count_offset, pb.slots])
        .collect();
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
    params.push(
        "unsigned int n_pops".into(),
        ArgSpec::U32(populations.len() as u32),
    );
    let body = "    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    \
                if (i < n_pops) spk_cnt[table[2 * i] + (unsigned int)(step % table[2 * i + 1])] = 0;\n";
    let kernel = g.emit("reset_spike_counts", &params, body);
    launches.push(Launch {
        kernel,
        threads: populations.len() as u32,
        args: params.args,
    });

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
        launches.push(launch);
    }

    let mut source = String::new();
    source.push_str(&delayed_add_helper(p));
    source.push_str(&g.source);
    Ok(KernelPlan {
        precision: p,
        source,
        buffers: g.buffers,
        populations,
        groups,
        current_sources,
        spike_counts,
        errors,
        recording_chunk: chunk,
        step_launches: launches,
    })
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
/// (from 0, as on the CPU), then added to `isyn`.
fn injecting(stream: &str, scalar: &str, code: &str) -> String {
    format!(
        "    {{\n        snn_rng rng = snn_rng_new(seed, {stream}, (unsigned int)step, i);\n        \
         {scalar} inj = 0;\n{}        isyn += inj;\n        (void)rng;\n    }}\n",
        indent(code, 2)
    )
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
        ArgSpec::U32(stream_id(StreamPurpose::NeuronSim, pi as u32, 0)),
    );
    params.buffer(CType::U32, "spk_cnt", spike_counts);
    params.push("unsigned int cnt_off".into(), ArgSpec::U32(pb.count_offset));
    params.push("unsigned int slots".into(), ArgSpec::U32(pb.slots));
    params.buffer(CType::U32, "spk", pb.spk);
    if let Some(rec) = pb.recording {
        params.buffer(CType::U32, "rec", rec);
        params.push("unsigned int rec_chunk".into(), ArgSpec::U32(chunk));
    }
    g.const_params(&pop.part, &owner, "nc", "ne_", &mut params);
    let (n_load, n_store) = g.var_registers(&pop.part, "n_", "nv", "i", &mut params, &pb.vars);

    let mut body = String::new();
    body.push_str(
        "    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    if (i >= n) return;\n",
    );
    let _ = writeln!(body, "    {scalar} isyn = 0;");
    body.push_str(&n_load);
    let atomic_free_env = |name: &str, _: &[String]| -> Option<String> {
        match name {
            "id" => Some("i".into()),
            "inject_current" => None,
            _ => None,
        }
    };
    let inject_env = |name: &str, args: &[String]| -> Option<String> {
        match name {
            "id" => Some("i".into()),
            "inject_current" => Some(format!("inj += {}", args[0])),
            _ => None,
        }
    };

    // Postsynaptic inputs onto this population (one per group, or fused),
    // each with the model and constants of its first group.
    let incoming: Vec<(usize, u32)> = g
        .targets
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
            ArgSpec::U32(stream_id(StreamPurpose::PostsynapticSim, gi as u32, 0)),
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
        );
        body.push_str(&part.load);
        let store = &part.store;
        let names = part.names();
        let apply = g.inline(&gowner, &sg.psm, "apply_input", &names, &inject_env, None)?;
        body.push_str(&injecting(&format!("p{k}_stream"), scalar, &apply));
        let decay = g.inline(&gowner, &sg.psm, "decay", &names, &atomic_free_env, None)?;
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
            ArgSpec::U32(stream_id(StreamPurpose::CurrentSourceSim, si as u32, 0)),
        );
        let part = g.element_part(
            &cs.part,
            &cowner,
            &format!("c{k}"),
            &sources[si],
            &mut params,
        );
        body.push_str(&part.load);
        cs_store.push_str(&part.store);
        let names = part.names();
        let inject = g.inline(&cowner, &cs.part, "inject", &names, &inject_env, None)?;
        body.push_str(&injecting(&format!("c{k}_stream"), scalar, &inject));
    }

    // The neuron update.
    let names = FieldNames {
        var: "n_",
        consts: "nc",
        egp: "ne_",
        neuron: "n_",
    };
    let neuron_env = |name: &str, _: &[String]| -> Option<String> {
        match name {
            "id" => Some("i".into()),
            "isyn" => Some("isyn".into()),
            _ => None,
        }
    };
    let auto = pop.part.model.auto_refractory;
    let was_above = if auto {
        g.inline(
            &owner,
            &pop.part,
            "threshold",
            &names,
            &neuron_env,
            Some("was_above"),
        )?
    } else {
        String::new()
    };
    let sim = g.inline(&owner, &pop.part, "sim", &names, &neuron_env, None)?;
    let thr = g.inline(
        &owner,
        &pop.part,
        "threshold",
        &names,
        &neuron_env,
        Some("above"),
    )?;
    let reset = g.inline(&owner, &pop.part, "reset", &names, &neuron_env, None)?;
    let record = if pb.recording.is_some() {
        "            ATOMIC_OR_U32(&rec[(unsigned int)(step % rec_chunk) * ((n + 31u) / 32u) + (i >> 5)], 1u << (i & 31u));\n"
    } else {
        ""
    };
    let _ = write!(
        body,
        "    {{\n        snn_rng rng = snn_rng_new(seed, stream, (unsigned int)step, i);\n        \
         bool was_above = false;\n        bool above = false;\n{}{}{}        \
         if (above && !was_above) {{\n{}            \
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
    body.push_str("    (void)t; (void)dt; (void)isyn;\n");
    let kernel = g.emit("neuron_update", &params, &body);
    Ok(Launch {
        kernel,
        threads: pop.size,
        args: params.args,
    })
}
