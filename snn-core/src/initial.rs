//! The initial state of a network, in a layout no backend owns: every
//! variable over its whole population or synapse group, and the built
//! connectivity. Backends lay it out their own way (CPU blocks, GPU ragged
//! rows); all of them start from the same numbers.

use crate::connectivity::{Connectivity, SparseConnectivity};
use crate::error::{Error, Result};
use crate::init::VarInit;
use crate::ir::IrType;
use crate::model::FieldKind;
use crate::network::{ModelPart, Network};
use crate::real::{Precision, Real};
use crate::rng::{stream_id, StreamPurpose, VarInitRange};
use crate::var::VarArray;

/// The initial state of one synapse group.
#[derive(Clone, Debug)]
pub struct GroupState {
    /// The built connectivity (rows sorted by target).
    pub connectivity: SparseConnectivity,
    /// Weight-update variables, one entry per synapse in CSR order.
    pub wu_vars: Vec<VarArray>,
    /// `in_syn` (zeros) then the postsynaptic model's variables, per target neuron.
    pub psm_vars: Vec<VarArray>,
    /// The weight-update model's `#[pre_var]`s, per presynaptic neuron.
    pub pre_vars: Vec<VarArray>,
    /// The weight-update model's `#[post_var]`s, per postsynaptic neuron.
    pub post_vars: Vec<VarArray>,
}

/// The initial state of a network: what [`Network`]'s initialisers produce.
#[derive(Clone, Debug)]
pub struct InitialState {
    /// Per population, its neuron variables.
    pub populations: Vec<Vec<VarArray>>,
    /// Per synapse group.
    pub synapse_groups: Vec<GroupState>,
    /// Per current source, its variables over the target population.
    pub current_sources: Vec<Vec<VarArray>>,
}

impl InitialState {
    /// Builds connectivity and initialises every variable of `net`
    /// (deterministic for the network's seed).
    pub fn new(net: &Network) -> Result<InitialState> {
        let mut state = Self::without_synapses(net);
        state.synapse_groups = (0..net.synapse_groups().len())
            .map(|gi| Self::synapse_group(net, gi))
            .collect::<Result<_>>()?;
        Ok(state)
    }

    /// The neuron and current-source variables only (`synapse_groups`
    /// empty): with [`synapse_group`](Self::synapse_group), lets a backend
    /// hold one group's host-side state at a time.
    pub fn without_synapses(net: &Network) -> InitialState {
        match net.precision() {
            Precision::F32 => neurons_and_sources::<f32>(net),
            Precision::F64 => neurons_and_sources::<f64>(net),
        }
    }

    /// The initial state of synapse group `gi`.
    pub fn synapse_group(net: &Network, gi: usize) -> Result<GroupState> {
        match net.precision() {
            Precision::F32 => group_state::<f32>(net, gi),
            Precision::F64 => group_state::<f64>(net, gi),
        }
    }

    /// The longest row of each synapse group's built connectivity.
    pub fn longest_rows(&self) -> Vec<u32> {
        self.synapse_groups
            .iter()
            .map(|g| g.connectivity.longest_row())
            .collect()
    }
}

/// For an explicit synapse list, the list index of each synapse in CSR
/// (row-major, sorted) order: per-synapse values are given in list order.
/// `None` for every other connectivity.
pub fn explicit_list_order(connectivity: &Connectivity) -> Option<Vec<usize>> {
    match connectivity {
        Connectivity::Explicit { pre, post } => {
            let mut order: Vec<usize> = (0..pre.len()).collect();
            order.sort_by_key(|&k| (pre[k], post[k]));
            Some(order)
        }
        _ => None,
    }
}

/// The precision a variable of type `ty` is drawn in (every backend):
/// `Scalar`, and the types whose every value `f32` holds exactly (`u8`,
/// `u16`, `bool`: dendritic delays, flags), in the network precision;
/// other types in `f64`.
pub fn draw_precision(ty: IrType, precision: Precision) -> Precision {
    match ty {
        IrType::Scalar | IrType::U8 | IrType::U16 | IrType::Bool => precision,
        _ => Precision::F64,
    }
}

/// Initial values of one variable of type `ty` over `n` elements, as every
/// backend starts from them: drawn in [`draw_precision`], then stored in
/// the variable's type.
pub fn var_values(
    init: &VarInit,
    ty: IrType,
    precision: Precision,
    n: usize,
    seed: u64,
    stream: u32,
) -> VarArray {
    match precision {
        Precision::F32 => init_var::<f32>(init, ty, precision, n, seed, stream),
        Precision::F64 => init_var::<f64>(init, ty, precision, n, seed, stream),
    }
}

fn init_var<S: Real>(
    init: &VarInit,
    ty: IrType,
    precision: Precision,
    n: usize,
    seed: u64,
    stream: u32,
) -> VarArray {
    let mut arr = VarArray::zeros(ty, precision, n);
    if ty == IrType::Scalar {
        init.fill::<S>(S::slice_mut(&mut arr), seed, stream);
    } else {
        match draw_precision(ty, precision) {
            Precision::F32 => fill_converted::<f32>(&mut arr, init, seed, stream),
            Precision::F64 => fill_converted::<f64>(&mut arr, init, seed, stream),
        }
    }
    arr
}

/// Fills `arr` with draws in precision `D`, piece by piece (the pieces in
/// parallel), converted to its type: no whole-variable copy in `D` (8
/// bytes per synapse for a `u8` delay drawn in `f64`).
fn fill_converted<D: Real>(arr: &mut VarArray, init: &VarInit, seed: u64, stream: u32) {
    const PIECE: usize = 1 << 14;
    arr.par_fill_f64(PIECE, |start, wide| {
        let mut buf = vec![D::ZERO; wide.len()];
        init.fill_at::<D>(&mut buf, start, seed, stream);
        for (w, x) in wide.iter_mut().zip(&buf) {
            *w = x.to_f64();
        }
    });
}

fn init_part_vars<S: Real>(
    part: &ModelPart,
    net: &Network,
    n: usize,
    group: u32,
    range: VarInitRange,
) -> Vec<VarArray> {
    part.model
        .fields_of(FieldKind::Var)
        .zip(&part.var_inits)
        .enumerate()
        .map(|(k, (f, init))| {
            let stream = range.stream(group, k as u32);
            init_var::<S>(init, f.ty, net.precision(), n, net.seed(), stream)
        })
        .collect()
}

fn neurons_and_sources<S: Real>(net: &Network) -> InitialState {
    let populations = net
        .populations()
        .iter()
        .enumerate()
        .map(|(pi, p)| {
            init_part_vars::<S>(
                &p.part,
                net,
                p.size as usize,
                pi as u32,
                VarInitRange::Neuron,
            )
        })
        .collect();
    let current_sources = net
        .current_sources()
        .iter()
        .enumerate()
        .map(|(si, s)| {
            let n = net.population(s.target).size as usize;
            init_part_vars::<S>(&s.part, net, n, si as u32, VarInitRange::CurrentSource)
        })
        .collect();
    InitialState {
        populations,
        synapse_groups: Vec::new(),
        current_sources,
    }
}

fn group_state<S: Real>(net: &Network, gi: usize) -> Result<GroupState> {
    let seed = net.seed();
    let precision = net.precision();
    let g = &net.synapse_groups()[gi];
    let (n_pre, n_post) = (net.population(g.pre).size, net.population(g.post).size);
    let bad = |reason: String| Error::InvalidConnectivity {
        group: g.name.clone(),
        reason,
    };
    let connectivity = g
        .connectivity
        .build(
            n_pre,
            n_post,
            g.pre == g.post,
            seed,
            stream_id(StreamPurpose::ConnectivityInit, gi as u32, 0),
        )
        .map_err(bad)?;
    let n_syn = connectivity.ind.len();
    if n_syn > u32::MAX as usize {
        return Err(Error::LimitExceeded {
            what: format!("synapse group `{}`: synapses", g.name),
            got: n_syn as u64,
            limit: u32::MAX as u64,
            hint: "split the group in two: the random streams number a group's synapses in 32 bits"
                .into(),
        });
    }
    let list_order = explicit_list_order(&g.connectivity);
    let owner = format!("synapse group `{}` (weight update)", g.name);
    let mut wu_vars = Vec::new();
    for (k, (f, init)) in
        g.wu.model
            .fields_of(FieldKind::Var)
            .zip(&g.wu.var_inits)
            .enumerate()
    {
        init.validate(n_syn)
            .map_err(|reason| Error::InvalidVarInit {
                owner: owner.clone(),
                var: f.name.to_string(),
                reason,
            })?;
        let stream = VarInitRange::WeightUpdate.stream(gi as u32, k as u32);
        let arr = init_var::<S>(init, f.ty, precision, n_syn, seed, stream);
        wu_vars.push(match (&list_order, init) {
            (Some(order), VarInit::Values(_)) => arr.gather(order),
            _ => arr,
        });
    }
    if let Some(v) = g.delay_var {
        if let Some(d) = wu_vars[v].max_f64() {
            if d > g.max_dendritic_delay as f64 {
                return Err(Error::DelayTooLarge {
                    group: g.name.clone(),
                    delay: d as u64,
                    max: g.max_dendritic_delay as u64,
                });
            }
        }
    }
    let mut psm_vars = vec![VarArray::zeros(IrType::Scalar, precision, n_post as usize)];
    psm_vars.extend(init_part_vars::<S>(
        &g.psm,
        net,
        n_post as usize,
        gi as u32,
        VarInitRange::Postsynaptic,
    ));
    let side_vars = |kind: FieldKind, inits: &[VarInit], n: u32, range: VarInitRange| {
        g.wu.model
            .fields_of(kind)
            .zip(inits)
            .enumerate()
            .map(|(k, (f, init))| {
                let stream = range.stream(gi as u32, k as u32);
                init_var::<S>(init, f.ty, precision, n as usize, seed, stream)
            })
            .collect()
    };
    let pre_vars = side_vars(
        FieldKind::PreVar,
        &g.pre_var_inits,
        n_pre,
        VarInitRange::WeightUpdatePre,
    );
    let post_vars = side_vars(
        FieldKind::PostVar,
        &g.post_var_inits,
        n_post,
        VarInitRange::WeightUpdatePost,
    );
    Ok(GroupState {
        connectivity,
        wu_vars,
        psm_vars,
        pre_vars,
        post_vars,
    })
}
