//! Lays a network's initial state out in blocks (docs/ARCHITECTURE.md,
//! "CPU backend memory layout"): neuron variables cut into blocks, each
//! synapse group split by target block, current sources likewise.

use super::{Block, GroupSide, IncomingBlock, PathChoice, PsmBlock, SourceBlock, SpikeQueue};
use rayon::prelude::*;
use snn_core::connectivity::SparseConnectivity;
use snn_core::initial::GroupState;
use snn_core::model::{FieldKind, PendingAdds};
use snn_core::native::{ColView, CpuReal};
use snn_core::network::Network;
use snn_core::plan::NetworkPlan;
use snn_core::var::VarArray;
use std::ops::Range;

/// The blocks of every population holding its neuron variables, and the
/// index of each population's first block (plus one past the end).
pub(super) fn neuron_blocks<S: CpuReal>(
    net: &Network,
    block_size: u32,
    populations: Vec<Vec<VarArray>>,
) -> (Vec<Block<S>>, Vec<usize>) {
    let mut blocks = Vec::new();
    let mut pop_blocks = Vec::new();
    for (pi, (p, vars)) in net.populations().iter().zip(populations).enumerate() {
        pop_blocks.push(blocks.len());
        let ports = p.part.model.fields_of(FieldKind::Input).count();
        let mut start = 0u32;
        while start < p.size {
            let len = block_size.min(p.size - start);
            let idx: Vec<usize> = (start as usize..(start + len) as usize).collect();
            blocks.push(Block {
                pop: pi,
                start,
                len,
                vars: vars.iter().map(|v| v.gather(&idx)).collect(),
                psms: Vec::new(),
                incoming: Vec::new(),
                sources: Vec::new(),
                isyn: vec![S::ZERO; len as usize],
                ports: (0..ports)
                    .map(|_| {
                        VarArray::zeros(snn_core::ir::IrType::Scalar, S::PRECISION, len as usize)
                    })
                    .collect(),
                spikes: Vec::new(),
                pending: PendingAdds::default(),
                path: PathChoice::default(),
            });
            start += len;
        }
    }
    pop_blocks.push(blocks.len());
    (blocks, pop_blocks)
}

/// Splits synapse group `gi`'s `state` by target block (blocks in
/// parallel) and returns what stays outside the blocks. The first group of
/// a postsynaptic input brings the input's `in_syn`, variables and ring.
///
/// The target population's first block keeps the group's synapse
/// variables, its part moved down in place once the other blocks have
/// copied theirs out (at full microcircuit scale, copying into fresh memory
/// costs more in page faults than the copy itself); a single block takes
/// them as they are.
pub(super) fn add_group<S: CpuReal>(
    net: &Network,
    plan: &NetworkPlan,
    blocks: &mut [Block<S>],
    pop_blocks: &[usize],
    gi: usize,
    mut state: GroupState,
) -> GroupSide<S> {
    let gp = &plan.groups[gi];
    let n_pre = net.populations()[gp.pre].size as usize;
    let range = pop_blocks[gp.post]..pop_blocks[gp.post + 1];
    let single_block = range.len() == 1;
    let keeper = range.start; // the first block (k == 0 below)
    let kept_runs = std::sync::Mutex::new(Vec::new());
    let first_of_input = plan.inputs[gp.input].groups[0] == gi;
    let ring_slots = plan.inputs[gp.input].ring_slots;
    let st = &state;
    blocks[range].par_iter_mut().enumerate().for_each(|(k, b)| {
        if first_of_input {
            let idx: Vec<usize> = (b.start as usize..(b.start + b.len) as usize).collect();
            b.psms.push(PsmBlock {
                target: gp.input,
                psm_vars: st.psm_vars.iter().map(|v| v.gather(&idx)).collect(),
                ring: vec![S::ZERO; b.len as usize * ring_slots as usize],
                ring_slots,
            });
        }
        let psm = b.psms.iter().position(|p| p.target == gp.input);
        let psm = psm.expect("the input's first group came before");
        let (row_ptr, runs) = block_rows(&st.connectivity, b.start, b.start + b.len, n_pre);
        let len = *row_ptr.last().expect("n_pre + 1 offsets") as usize;
        let ind = block_targets(&st.connectivity, &runs, b.start, single_block, len);
        let wu_vars = if k == 0 {
            // Filled in below.
            *kept_runs.lock().unwrap_or_else(|e| e.into_inner()) = runs;
            Vec::new()
        } else {
            st.wu_vars
                .iter()
                .map(|v| copy_runs(v, &runs, len))
                .collect()
        };
        let col = gp
            .methods
            .on_post_spike
            .then(|| ColView::new(&row_ptr, &ind, b.len as usize));
        b.incoming.push(IncomingBlock {
            group: gi,
            psm,
            row_ptr,
            ind,
            wu_vars,
            col,
        });
    });
    let runs = kept_runs.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut wu_vars = std::mem::take(&mut state.wu_vars);
    wu_vars.par_iter_mut().for_each(|v| v.keep_runs(&runs));
    let kept = blocks[keeper].incoming.last_mut();
    kept.expect("the keeper block got the group").wu_vars = wu_vars;
    let event_times = || {
        if gp.event_times {
            vec![S::NO_SPIKE; n_pre]
        } else {
            Vec::new()
        }
    };
    GroupSide {
        pre_vars: state.pre_vars,
        post_vars: state.post_vars,
        set: event_times(),
        prev_set: event_times(),
        events: (gp.event_slots > 0).then(|| SpikeQueue::new(gp.event_slots)),
        scratch: Vec::new(),
    }
}

/// The part of each row of `conn` with targets in `[lo, hi)`: block row
/// offsets (`n_pre + 1`) and, per row, the run of the group's CSR arrays
/// it is (a contiguous run, the rows being sorted).
fn block_rows(
    conn: &SparseConnectivity,
    lo: u32,
    hi: u32,
    n_pre: usize,
) -> (Vec<u32>, Vec<Range<usize>>) {
    let mut row_ptr = Vec::with_capacity(n_pre + 1);
    let mut runs = Vec::with_capacity(n_pre);
    row_ptr.push(0u32);
    let mut len = 0;
    for i in 0..n_pre {
        let (r0, r1) = (conn.row_ptr[i] as usize, conn.row_ptr[i + 1] as usize);
        let row = &conn.ind[r0..r1];
        let a = row.partition_point(|&j| j < lo);
        let z = row.partition_point(|&j| j < hi);
        runs.push(r0 + a..r0 + z);
        len += z - a;
        row_ptr.push(len as u32);
    }
    (row_ptr, runs)
}

/// The block-relative targets of `runs` (`len` in all); a single block's
/// are the whole rows in order, converted by all threads.
fn block_targets(
    conn: &SparseConnectivity,
    runs: &[Range<usize>],
    lo: u32,
    single_block: bool,
    len: usize,
) -> Vec<u16> {
    let mut ind = snn_core::mem::vec_with_capacity(len);
    if single_block {
        ind.par_extend(conn.ind.par_iter().map(|&j| (j - lo) as u16));
    } else {
        for run in runs {
            ind.extend(conn.ind[run.clone()].iter().map(|&j| (j - lo) as u16));
        }
    }
    ind
}

/// The elements of `v` in `runs` (`len` in all), in order.
fn copy_runs(v: &VarArray, runs: &[Range<usize>], len: usize) -> VarArray {
    let mut part = v.empty_like_with_capacity(len);
    for run in runs {
        part.extend_from(v, run.clone());
    }
    part
}

/// Gives every block of each current source's target its part of the
/// source's variables.
pub(super) fn add_sources<S: CpuReal>(
    net: &Network,
    blocks: &mut [Block<S>],
    pop_blocks: &[usize],
    current_sources: Vec<Vec<VarArray>>,
) {
    for (si, (s, vars)) in net
        .current_sources()
        .iter()
        .zip(current_sources)
        .enumerate()
    {
        let target = s.target.0 as usize;
        for b in &mut blocks[pop_blocks[target]..pop_blocks[target + 1]] {
            let idx: Vec<usize> = (b.start as usize..(b.start + b.len) as usize).collect();
            b.sources.push(SourceBlock {
                source: si,
                vars: vars.iter().map(|v| v.gather(&idx)).collect(),
            });
        }
    }
}
