//! Whole networks: [`init_on_device`] plans every variable and
//! connectivity of a [`Network`] into one program, compiles it, and runs
//! it into fresh buffers ([`DeviceInit`]).

use super::conn::{ConnBuffers, ConnectivityKernel, Shape};
use super::program::{DelayCheck, InitProgram};
use super::source::{storage_bytes, Layout};
use super::var::{RaggedRows, Target, VarInitKernel};
use super::{InitError, SnippetSource, META_WORDS};
use crate::device::{Device, DeviceError, DeviceResult};
use snn_core::init::VarInit;
use snn_core::ir::IrType;
use snn_core::model::{FieldDesc, FieldKind, ModelDesc};
use snn_core::network::{ModelPart, Network, SynapseGroupDesc};
use snn_core::rng::{stream_id, StreamPurpose, VarInitRange};
use snn_core::Precision;
use snn_kernels::dialect::Dialect;
use snn_kernels::network::Contents;

/// The device buffers of one synapse group, initialised.
pub struct DeviceGroup<B> {
    /// The ragged stride (slots per row, at least 1): pass it to
    /// [`snn_kernels::network::generate`] as the group's maximum row length.
    pub max_row: u32,
    /// Number of synapses.
    pub num_synapses: u64,
    /// `u32[num_pre]` row lengths.
    pub row_length: Option<B>,
    /// `u32[num_pre * max_row]` targets.
    pub ind: Option<B>,
    /// Weight-update variables, ragged like `ind`.
    pub wu_vars: Vec<Option<B>>,
    /// `in_syn` (zeros), then the postsynaptic model's variables.
    pub psm_vars: Vec<Option<B>>,
    /// The weight-update model's `#[pre_var]`s, per presynaptic neuron.
    pub pre_vars: Vec<Option<B>>,
    /// The weight-update model's `#[post_var]`s, per postsynaptic neuron.
    pub post_vars: Vec<Option<B>>,
}

/// A network's initial state on the device, in the runtime's buffer layout
/// (storage types of [`storage_type`](super::storage_type), ragged synapse rows). Buffers are
/// `Option`s so the runtime can [`take`](Self::take) them.
pub struct DeviceInit<B> {
    /// Per population, per variable.
    pub populations: Vec<Vec<Option<B>>>,
    /// Per synapse group.
    pub synapse_groups: Vec<DeviceGroup<B>>,
    /// Per current source, per variable.
    pub current_sources: Vec<Vec<Option<B>>>,
    /// What was done on the host instead, and why (`owner: reason`).
    pub host_fallbacks: Vec<String>,
}

impl<B> DeviceInit<B> {
    /// Takes the buffer holding what `contents` describes, if it is one of
    /// the initialised buffers (variables, row lengths, targets) and not
    /// taken yet.
    pub fn take(&mut self, contents: &Contents) -> Option<B> {
        match *contents {
            Contents::NeuronVar { pop, var } => self.populations.get_mut(pop)?.get_mut(var)?.take(),
            Contents::SynapseVar { group, var } => self
                .synapse_groups
                .get_mut(group)?
                .wu_vars
                .get_mut(var)?
                .take(),
            Contents::PostsynapticVar { group, var } => self
                .synapse_groups
                .get_mut(group)?
                .psm_vars
                .get_mut(var)?
                .take(),
            Contents::CurrentSourceVar { source, var } => {
                self.current_sources.get_mut(source)?.get_mut(var)?.take()
            }
            Contents::PreVar { group, var } => self
                .synapse_groups
                .get_mut(group)?
                .pre_vars
                .get_mut(var)?
                .take(),
            Contents::PostVar { group, var } => self
                .synapse_groups
                .get_mut(group)?
                .post_vars
                .get_mut(var)?
                .take(),
            Contents::RowLength(group) => self.synapse_groups.get_mut(group)?.row_length.take(),
            Contents::Ind(group) => self.synapse_groups.get_mut(group)?.ind.take(),
            _ => None,
        }
    }
}

/// The planned kernels of a model part's variables.
fn plan_part(
    prog: &mut InitProgram,
    part: &ModelPart,
    layout: Layout,
    snippets: &dyn SnippetSource,
) -> Vec<(&'static FieldDesc, VarInitKernel)> {
    plan_fields(
        prog,
        part.model,
        FieldKind::Var,
        &part.var_inits,
        layout,
        snippets,
    )
}

/// The planned kernels of the fields of `kind` of `model`, initialised by `inits`.
fn plan_fields(
    prog: &mut InitProgram,
    model: &'static ModelDesc,
    kind: FieldKind,
    inits: &[VarInit],
    layout: Layout,
    snippets: &dyn SnippetSource,
) -> Vec<(&'static FieldDesc, VarInitKernel)> {
    model
        .fields_of(kind)
        .zip(inits)
        .map(|(f, init)| (f, prog.var_init(init, f.ty, layout, snippets)))
        .collect()
}

/// Where the dense variables of a part go: `n` elements, streams
/// `range.stream(group, k)`.
struct DensePart<'a> {
    owner: &'a str,
    n: u32,
    group: u32,
    range: VarInitRange,
}

/// Allocates and initialises the dense variables of a part.
fn run_dense<D: Device>(
    device: &D,
    net: &Network,
    kernels: &[(&'static FieldDesc, VarInitKernel)],
    part: DensePart<'_>,
    fallbacks: &mut Vec<String>,
) -> Result<Vec<Option<D::Buffer>>, InitError> {
    let DensePart {
        owner,
        n,
        group,
        range,
    } = part;
    let mut out = Vec::with_capacity(kernels.len());
    for (k, (f, kernel)) in kernels.iter().enumerate() {
        note_fallback(fallbacks, owner, f.name, kernel.host_reason());
        let bytes = n as usize * storage_bytes(f.ty, net.precision());
        let buf = alloc(device, bytes, || format!("{owner}: variable `{}`", f.name))?;
        let stream = range.stream(group, k as u32);
        kernel
            .run(device, &buf, &Target::Dense { n }, net.seed(), stream)
            .map_err(|e| e.for_var(owner, f.name))?;
        out.push(Some(buf));
    }
    Ok(out)
}

/// Allocates `bytes` (zeroed), naming `what` in an out-of-memory error.
pub(crate) fn alloc<D: Device>(
    device: &D,
    bytes: usize,
    what: impl FnOnce() -> String,
) -> DeviceResult<D::Buffer> {
    device.alloc_zeroed(bytes).map_err(|e| match e {
        DeviceError::OutOfMemory {
            device,
            bytes,
            reason,
            ..
        } => DeviceError::OutOfMemory {
            device,
            bytes,
            what: what(),
            reason,
        },
        e => e,
    })
}

/// Notes why variable `var` of `owner` is initialised on the host, if it is.
fn note_fallback(fallbacks: &mut Vec<String>, owner: &str, var: &str, reason: Option<&str>) {
    if let Some(r) = reason {
        fallbacks.push(format!("{owner}: variable `{var}`: {r}"));
    }
}

/// Initialises every variable and builds every connectivity of `net` on
/// `device`, into fresh buffers: what `InitialState::new(net)` computes,
/// in the runtime's layout (see the module docs for what runs where).
///
/// Compiles its own program, so call it **before** compiling the step
/// kernels (`Device::compile` replaces the program; buffers survive).
/// Synapse groups whose rows overflow the analytical stride are rebuilt
/// once with the exact stride. Errors as `InitialState::new` reports them
/// (invalid connectivity or initialiser, delays above the maximum; see
/// [`InitError::into_core`]) or device errors. `snippets` gives the code of
/// user snippets ([`SnippetCodes`](super::SnippetCodes), or [`NoSnippetCode`](super::NoSnippetCode) to build them on
/// the host).
pub fn init_on_device<D: Device>(
    device: &D,
    net: &Network,
    dialect: Dialect,
    snippets: &dyn SnippetSource,
) -> Result<DeviceInit<D::Buffer>, InitError> {
    let p = net.precision();
    if p == Precision::F64 && !device.supports_f64() {
        return Err(InitError::NoF64 {
            what: "the network (f64 precision)".into(),
        });
    }
    let mut prog = InitProgram::new(p, device.supports_f64());
    let plan = plan_network(&mut prog, net, snippets)?;
    prog.compile(device, dialect)?;
    run_network(device, net, &plan)
}

/// The planned kernels of a model part's or group's variables.
type FieldKernels = Vec<(&'static FieldDesc, VarInitKernel)>;

/// The planned kernels of one synapse group.
struct GroupPlan {
    /// Its connectivity.
    conn: ConnectivityKernel,
    /// Weight-update variables (ragged).
    wu: FieldKernels,
    /// Postsynaptic-model variables.
    psm: FieldKernels,
    /// Presynaptic weight-update variables.
    pre: FieldKernels,
    /// Postsynaptic weight-update variables.
    post: FieldKernels,
    /// The check of its dendritic-delay variable, if it has one.
    delay: Option<DelayCheck>,
}

/// Every kernel of a network, registered with one [`InitProgram`].
struct NetworkPlan {
    /// Per population.
    pops: Vec<FieldKernels>,
    /// Per synapse group.
    groups: Vec<GroupPlan>,
    /// Per current source.
    sources: Vec<FieldKernels>,
}

/// Registers every kernel of `net` with `prog`.
fn plan_network(
    prog: &mut InitProgram,
    net: &Network,
    snippets: &dyn SnippetSource,
) -> Result<NetworkPlan, InitError> {
    let pops = net
        .populations()
        .iter()
        .map(|pop| plan_part(prog, &pop.part, Layout::Dense, snippets))
        .collect();
    let mut groups = Vec::with_capacity(net.synapse_groups().len());
    for (gi, g) in net.synapse_groups().iter().enumerate() {
        groups.push(plan_group(prog, net, gi, g, snippets)?);
    }
    let sources = net
        .current_sources()
        .iter()
        .map(|cs| plan_part(prog, &cs.part, Layout::Dense, snippets))
        .collect();
    Ok(NetworkPlan {
        pops,
        groups,
        sources,
    })
}

/// Registers the kernels of synapse group `gi`.
fn plan_group(
    prog: &mut InitProgram,
    net: &Network,
    gi: usize,
    g: &SynapseGroupDesc,
    snippets: &dyn SnippetSource,
) -> Result<GroupPlan, InitError> {
    let shape = Shape {
        num_pre: net.population(g.pre).size,
        num_post: net.population(g.post).size,
        same_population: g.pre == g.post,
    };
    let stream = stream_id(StreamPurpose::ConnectivityInit, gi as u32, 0);
    let conn = prog
        .connectivity(&g.connectivity, shape, net.seed(), stream, snippets)
        .map_err(|e| e.for_group(&g.name))?;
    let wu = plan_wu(prog, g, snippets);
    let psm = plan_part(prog, &g.psm, Layout::Dense, snippets);
    let (m, dense) = (g.wu.model, Layout::Dense);
    let pre = plan_fields(
        prog,
        m,
        FieldKind::PreVar,
        &g.pre_var_inits,
        dense,
        snippets,
    );
    let post = plan_fields(
        prog,
        m,
        FieldKind::PostVar,
        &g.post_var_inits,
        dense,
        snippets,
    );
    let delay = match g.delay_var {
        Some(v) => {
            let f = g.wu.model.nth(FieldKind::Var, v).ok_or_else(|| {
                InitError::Usage(format!("synapse group `{}`: no delay variable {v}", g.name))
            })?;
            Some(prog.delay_check(f.ty)?)
        }
        None => None,
    };
    Ok(GroupPlan {
        conn,
        wu,
        psm,
        pre,
        post,
        delay,
    })
}

/// Registers the weight-update variables of `g` (ragged); explicit lists
/// give values in list order, reordered here to CSR order.
fn plan_wu(
    prog: &mut InitProgram,
    g: &SynapseGroupDesc,
    snippets: &dyn SnippetSource,
) -> FieldKernels {
    let order = snn_core::initial::explicit_list_order(&g.connectivity);
    g.wu.model
        .fields_of(FieldKind::Var)
        .zip(&g.wu.var_inits)
        .map(|(f, init)| {
            let kernel = match (&order, init) {
                (Some(order), VarInit::Values(v)) if v.len() == order.len() => {
                    let csr = VarInit::Values(order.iter().map(|&k| v[k]).collect());
                    prog.var_init(&csr, f.ty, Layout::Ragged, snippets)
                }
                _ => prog.var_init(init, f.ty, Layout::Ragged, snippets),
            };
            (f, kernel)
        })
        .collect()
}

/// Runs the compiled `plan` of `net` into fresh buffers; waits.
fn run_network<D: Device>(
    device: &D,
    net: &Network,
    plan: &NetworkPlan,
) -> Result<DeviceInit<D::Buffer>, InitError> {
    let mut fallbacks = Vec::new();
    let mut populations = Vec::with_capacity(plan.pops.len());
    for (pi, (pop, kernels)) in net.populations().iter().zip(&plan.pops).enumerate() {
        let owner = format!("population `{}`", pop.name);
        let part = DensePart {
            owner: &owner,
            n: pop.size,
            group: pi as u32,
            range: VarInitRange::Neuron,
        };
        populations.push(run_dense(device, net, kernels, part, &mut fallbacks)?);
    }
    let mut synapse_groups = Vec::with_capacity(plan.groups.len());
    for (gi, (g, gplan)) in net.synapse_groups().iter().zip(&plan.groups).enumerate() {
        synapse_groups.push(run_group(device, net, gi, g, gplan, &mut fallbacks)?);
    }
    let mut current_sources = Vec::with_capacity(plan.sources.len());
    for (si, (cs, kernels)) in net.current_sources().iter().zip(&plan.sources).enumerate() {
        let owner = format!("current source `{}`", cs.name);
        let part = DensePart {
            owner: &owner,
            n: net.population(cs.target).size,
            group: si as u32,
            range: VarInitRange::CurrentSource,
        };
        current_sources.push(run_dense(device, net, kernels, part, &mut fallbacks)?);
    }
    device.synchronize()?;
    Ok(DeviceInit {
        populations,
        synapse_groups,
        current_sources,
        host_fallbacks: fallbacks,
    })
}

/// A synapse group's connectivity on the device.
struct BuiltRows<B> {
    /// `u32[num_pre]` row lengths.
    row_length: B,
    /// `u32[num_pre]` row offsets.
    row_offset: B,
    /// `u32[num_pre * stride]` targets.
    ind: B,
    /// Status words (see [`META_WORDS`]), reused by the delay check.
    meta: B,
    /// The stride built with.
    stride: u32,
    /// Number of synapses.
    num_synapses: u64,
}

/// Builds the connectivity of `g` with the analytical stride, rebuilding
/// it once with the exact stride when a row overflows.
fn build_rows<D: Device>(
    device: &D,
    g: &SynapseGroupDesc,
    n_pre: u32,
    conn: &ConnectivityKernel,
) -> Result<BuiltRows<D::Buffer>, InitError> {
    let name = |what: &str| format!("synapse group `{}`: {what}", g.name);
    let row_length = alloc(device, n_pre as usize * 4, || name("row lengths"))?;
    let row_offset = alloc(device, n_pre as usize * 4, || name("row offsets"))?;
    let meta = device.alloc_zeroed(META_WORDS * 4)?;
    let mut stride = conn.stride();
    let mut retried = false;
    let (ind, num_synapses) = loop {
        let slots = (n_pre as usize)
            .checked_mul(stride as usize)
            .filter(|&s| s <= u32::MAX as usize)
            .ok_or_else(|| {
                InitError::TooLarge(format!(
                    "synapse group `{}`: {n_pre} rows x {stride} (longest row) synapse slots \
                     exceed 2^32",
                    g.name
                ))
            })?;
        let ind = alloc(device, slots * 4, || name("targets"))?;
        let bufs = ConnBuffers {
            row_length: &row_length,
            ind: &ind,
            row_offset: &row_offset,
            meta: &meta,
        };
        match conn.build(device, &bufs, stride) {
            Ok(n) => break (ind, n),
            Err(InitError::RowOverflow { needed, .. }) if !retried => {
                retried = true;
                stride = needed;
            }
            Err(e) => return Err(e.for_group(&g.name)),
        }
    };
    Ok(BuiltRows {
        row_length,
        row_offset,
        ind,
        meta,
        stride,
        num_synapses,
    })
}

/// Builds synapse group `gi` and initialises its variables.
fn run_group<D: Device>(
    device: &D,
    net: &Network,
    gi: usize,
    g: &SynapseGroupDesc,
    plan: &GroupPlan,
    fallbacks: &mut Vec<String>,
) -> Result<DeviceGroup<D::Buffer>, InitError> {
    let (n_pre, n_post) = (net.population(g.pre).size, net.population(g.post).size);
    if let Some(r) = plan.conn.host_reason() {
        fallbacks.push(format!("synapse group `{}`: connectivity: {r}", g.name));
    }
    let built = build_rows(device, g, n_pre, &plan.conn)?;
    let rows = RaggedRows {
        row_length: &built.row_length,
        row_offset: &built.row_offset,
        num_pre: n_pre,
        stride: built.stride,
        num_synapses: built.num_synapses,
    };
    let wu_vars = run_wu_vars(device, net, gi, g, &plan.wu, rows, fallbacks)?;
    if let (Some(check), Some(v)) = (&plan.delay, g.delay_var) {
        let rows = RaggedRows {
            row_length: &built.row_length,
            row_offset: &built.row_offset,
            num_pre: n_pre,
            stride: built.stride,
            num_synapses: built.num_synapses,
        };
        let values = wu_vars[v].as_ref().expect("just initialised");
        let max = g.max_dendritic_delay;
        if let Some(delay) = check.run(device, values, &rows, max, &built.meta)? {
            return Err(InitError::DelayTooLarge {
                group: g.name.clone(),
                delay,
                max: max as u64,
            });
        }
    }
    let owner = format!("synapse group `{}` (weight update)", g.name);
    let psm_owner = format!("synapse group `{}` (postsynaptic model)", g.name);
    let in_syn_bytes = n_post as usize * storage_bytes(IrType::Scalar, net.precision());
    let in_syn = alloc(device, in_syn_bytes, || {
        format!("synapse group `{}`: in_syn", g.name)
    })?;
    let mut psm_vars = vec![Some(in_syn)];
    let dense = |owner, n, range| DensePart {
        owner,
        n,
        group: gi as u32,
        range,
    };
    let part = dense(&psm_owner, n_post, VarInitRange::Postsynaptic);
    psm_vars.extend(run_dense(device, net, &plan.psm, part, fallbacks)?);
    let part = dense(&owner, n_pre, VarInitRange::WeightUpdatePre);
    let pre_vars = run_dense(device, net, &plan.pre, part, fallbacks)?;
    let part = dense(&owner, n_post, VarInitRange::WeightUpdatePost);
    let post_vars = run_dense(device, net, &plan.post, part, fallbacks)?;
    Ok(DeviceGroup {
        max_row: built.stride,
        num_synapses: built.num_synapses,
        row_length: Some(built.row_length),
        ind: Some(built.ind),
        wu_vars,
        psm_vars,
        pre_vars,
        post_vars,
    })
}

/// Allocates and initialises the weight-update variables of group `gi` on
/// its `rows`, checking each initialiser against the synapse count as
/// `InitialState` does.
fn run_wu_vars<D: Device>(
    device: &D,
    net: &Network,
    gi: usize,
    g: &SynapseGroupDesc,
    kernels: &FieldKernels,
    rows: RaggedRows<'_, D::Buffer>,
    fallbacks: &mut Vec<String>,
) -> Result<Vec<Option<D::Buffer>>, InitError> {
    let owner = format!("synapse group `{}` (weight update)", g.name);
    let (num_synapses, slots) = (
        rows.num_synapses,
        rows.num_pre as usize * rows.stride as usize,
    );
    let target = Target::Ragged(rows);
    let mut wu_vars = Vec::with_capacity(kernels.len());
    for (k, ((f, kernel), init)) in kernels.iter().zip(&g.wu.var_inits).enumerate() {
        if !matches!(init, VarInit::Values(_)) {
            init.validate(num_synapses as usize)
                .map_err(|reason| InitError::InvalidVarInit {
                    owner: owner.clone(),
                    var: f.name.to_string(),
                    reason,
                })?;
        }
        note_fallback(fallbacks, &owner, f.name, kernel.host_reason());
        let bytes = slots * storage_bytes(f.ty, net.precision());
        let buf = alloc(device, bytes, || format!("{owner}: variable `{}`", f.name))?;
        let stream = VarInitRange::WeightUpdate.stream(gi as u32, k as u32);
        kernel
            .run(device, &buf, &target, net.seed(), stream)
            .map_err(|e| e.for_var(&owner, f.name))?;
        wu_vars.push(Some(buf));
    }
    Ok(wu_vars)
}
