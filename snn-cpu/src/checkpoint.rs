//! Checkpoints on the CPU: the blocks' state to and from the backend-neutral
//! [`SimState`] (layouts in [`snn_core::state`]).

use super::{to_scalars, CpuState, PopShared, SpikeQueue, VarRecordingData};
use snn_core::error::Result;
use snn_core::initial::GroupState;
use snn_core::network::Network;
use snn_core::plan::NetworkPlan;
use snn_core::real::Real;
use snn_core::sim::RecordedVar;
use snn_core::state::{
    CurrentSourceState, PopulationState, PostsynapticState, SimState, SpikeRecordingState,
    SynapseGroupState,
};
use snn_core::var::VarArray;

use snn_core::native::CpuReal;

/// Scalars as a [`VarArray`] of their precision.
fn scalars<S: Real>(values: &[S]) -> VarArray {
    let mut a = VarArray::zeros(snn_core::ir::IrType::Scalar, S::PRECISION, values.len());
    a.fill_from(values);
    a
}

/// A [`VarArray`] of the network precision as scalars (checked by
/// [`SimState::check_fits`]).
fn to_reals<S: Real>(a: &VarArray) -> Vec<S> {
    a.to_f64().into_iter().map(S::from_f64).collect()
}

/// A queue's recent entries: `out[k]` holds step `step - 1 - k`.
fn recent(q: &SpikeQueue, step: u64) -> Vec<Vec<u32>> {
    (0..q.slots.len() as u32)
        .map(|k| q.delayed(step, k).to_vec())
        .collect()
}

/// A queue of `recent.len()` slots holding `recent` as of `step`.
fn queue_from(recent: &[Vec<u32>], step: u64) -> SpikeQueue {
    let n = recent.len().max(1) as u64;
    let mut slots = vec![Vec::new(); n as usize];
    for (k, ids) in recent.iter().enumerate() {
        if let Some(s) = step.checked_sub(1 + k as u64) {
            slots[(s % n) as usize] = ids.clone();
        }
    }
    SpikeQueue { slots }
}

impl<S: CpuReal> CpuState<S> {
    /// Concatenates variable `k` of a population's blocks, or of a part of
    /// them picked by `pick`.
    fn gather_blocks<'a>(
        &'a self,
        pi: usize,
        pick: impl Fn(&'a super::Block<S>) -> &'a VarArray,
    ) -> VarArray {
        let blocks = self.pop_blocks(pi);
        let mut out = pick(&blocks[0]).empty_like();
        for b in blocks {
            let a = pick(b);
            out.extend_from(a, 0..a.len());
        }
        out
    }

    /// The complete state ([`SimState`]).
    pub(super) fn save_state(&mut self) -> Result<SimState> {
        // Recordings first: decoding the pending chunk needs `&mut`.
        let mut recordings: Vec<Option<SpikeRecordingState>> = self
            .recorders
            .iter_mut()
            .zip(&self.recording_on)
            .map(|(r, &on)| {
                r.as_mut().map(|r| {
                    let (steps, ids) = r.steps_and_ids();
                    let (steps, ids) = (steps.to_vec(), ids.to_vec());
                    SpikeRecordingState { on, steps, ids }
                })
            })
            .collect();
        let net = &self.net;
        let populations = (0..net.populations().len())
            .map(|pi| self.population_state(pi, recordings[pi].take()))
            .collect();
        let synapse_groups = (0..net.synapse_groups().len())
            .map(|gi| self.group_state(gi))
            .collect();
        let postsynaptic_targets = (0..self.plan.inputs.len())
            .map(|t| self.input_state(t))
            .collect();
        let current_sources = (0..net.current_sources().len())
            .map(|si| self.source_state(si))
            .collect();
        let var_recordings = net
            .var_recordings()
            .iter()
            .zip(&self.var_recordings)
            .map(|(rec, data)| RecordedVar {
                times: data.times.clone(),
                neurons: rec.neurons.clone(),
                values: data.values.clone(),
            })
            .collect();
        Ok(SimState {
            step: self.step,
            dt: net.dt(),
            seed: net.seed(),
            precision: net.precision(),
            populations,
            synapse_groups,
            postsynaptic_targets,
            current_sources,
            var_recordings,
        })
    }

    /// Population `pi`'s state, with its spike recording.
    fn population_state(
        &self,
        pi: usize,
        recording: Option<SpikeRecordingState>,
    ) -> PopulationState {
        let p = &self.net.populations()[pi];
        let nvars = self.blocks[self.pop_blocks[pi]].vars.len();
        let sh: &PopShared<S> = &self.shared[pi];
        PopulationState {
            name: p.name.clone(),
            vars: (0..nvars)
                .map(|k| self.gather_blocks(pi, |b| &b.vars[k]))
                .collect(),
            egps: self.pops[pi].egps.iter().map(|e| to_f64(e)).collect(),
            spike_times: Some([scalars(&sh.st), scalars(&sh.prev_st)]),
            recent_spikes: recent(&self.queues[pi], self.step),
            recording,
        }
    }

    /// Synapse group `gi`'s state (variables in row-major synapse order).
    fn group_state(&self, gi: usize) -> SynapseGroupState {
        let g = &self.net.synapse_groups()[gi];
        let nvars = g.wu.model.var_names().len();
        let mut wu_vars: Vec<VarArray> = Vec::with_capacity(nvars);
        for k in 0..nvars {
            let mut out: Option<VarArray> = None;
            self.for_each_row_part(gi, |_, bi, ii, range| {
                let src = &self.blocks[bi].incoming[ii].wu_vars[k];
                out.get_or_insert_with(|| src.empty_like())
                    .extend_from(src, range);
            });
            wu_vars.push(out.expect("the post population has a block"));
        }
        let side = &self.sides[gi];
        SynapseGroupState {
            name: g.name.clone(),
            connectivity: self.connectivity_of(gi),
            wu_vars,
            pre_vars: side.pre_vars.clone(),
            post_vars: side.post_vars.clone(),
            egps: self.groups[gi].wu_egps.iter().map(|e| to_f64(e)).collect(),
            event_times: (!side.set.is_empty())
                .then(|| [scalars(&side.set), scalars(&side.prev_set)]),
            recent_events: side
                .events
                .as_ref()
                .map(|q| recent(q, self.step))
                .unwrap_or_default(),
        }
    }

    /// Postsynaptic input `t`'s state (`in_syn`, variables, slot-major ring).
    fn input_state(&self, t: usize) -> PostsynapticState {
        let target = &self.plan.inputs[t];
        let post = target.post.0 as usize;
        let psm = |b: &super::Block<S>| -> usize {
            b.psms
                .iter()
                .position(|p| p.target == t)
                .expect("every block of the target holds its input")
        };
        let first = &self.blocks[self.pop_blocks[post]];
        let nvars = first.psms[psm(first)].psm_vars.len();
        let vars = (0..nvars)
            .map(|k| self.gather_blocks(post, |b| &b.psms[psm(b)].psm_vars[k]))
            .collect();
        let mut ring = Vec::new();
        for slot in 0..target.ring_slots as usize {
            for b in self.pop_blocks(post) {
                let len = b.len as usize;
                ring.extend_from_slice(&b.psms[psm(b)].ring[slot * len..(slot + 1) * len]);
            }
        }
        PostsynapticState {
            vars,
            ring: scalars(&ring),
        }
    }

    /// Current source `si`'s state.
    fn source_state(&self, si: usize) -> CurrentSourceState {
        let cs = &self.net.current_sources()[si];
        let target = cs.target.0 as usize;
        let source_block = |b: &super::Block<S>| -> usize {
            let pos = b.sources.iter().position(|sb| sb.source == si);
            pos.expect("every block of the target holds the source")
        };
        let nvars = cs.part.model.var_names().len();
        CurrentSourceState {
            name: cs.name.clone(),
            vars: (0..nvars)
                .map(|k| self.gather_blocks(target, |b| &b.sources[source_block(b)].vars[k]))
                .collect(),
            egps: self.sources[si].egps.iter().map(|e| to_f64(e)).collect(),
        }
    }

    /// A new state holding `state` (checked to fit `self.net` first),
    /// stepping in parallel as `self` does.
    pub(super) fn restored(&self, state: &SimState) -> Result<Self> {
        let mut new = Self::from_state(&self.net, state, self.block_size)?;
        new.parallel = self.parallel;
        Ok(new)
    }

    /// The CPU state of `net` holding `state` (checked to fit first).
    pub(super) fn from_state(net: &Network, state: &SimState, block_size: u32) -> Result<Self> {
        let plan = NetworkPlan::new(net);
        state.check_fits_plan(net, &plan)?;
        let targets = &plan.inputs;
        let mut new = Self::build(
            net,
            plan.clone(),
            block_size,
            state.populations.iter().map(|p| p.vars.clone()).collect(),
            state
                .current_sources
                .iter()
                .map(|s| s.vars.clone())
                .collect(),
            |gi| {
                let g = &state.synapse_groups[gi];
                let t = plan.groups[gi].input;
                Ok(GroupState {
                    connectivity: g.connectivity.clone(),
                    wu_vars: g.wu_vars.clone(),
                    psm_vars: if targets[t].groups[0] == gi {
                        state.postsynaptic_targets[t].vars.clone()
                    } else {
                        Vec::new()
                    },
                    pre_vars: g.pre_vars.clone(),
                    post_vars: g.post_vars.clone(),
                })
            },
        )?;
        let step = state.step;
        new.step = step;

        for (pi, ps) in state.populations.iter().enumerate() {
            new.pops[pi].egps = ps.egps.iter().map(|e| to_scalars(e)).collect();
            new.queues[pi] = queue_from(&ps.recent_spikes, step);
            if let Some([st, prev_st]) = &ps.spike_times {
                new.shared[pi].st = to_reals(st);
                new.shared[pi].prev_st = to_reals(prev_st);
            }
            if let (Some(r), Some(rec)) = (&ps.recording, &mut new.recorders[pi]) {
                rec.restore(r.steps.clone(), r.ids.clone());
                new.recording_on[pi] = r.on;
            }
        }
        for (gi, gs) in state.synapse_groups.iter().enumerate() {
            new.groups[gi].wu_egps = gs.egps.iter().map(|e| to_scalars(e)).collect();
            let side = &mut new.sides[gi];
            if let (Some([set, prev_set]), false) = (&gs.event_times, side.set.is_empty()) {
                side.set = to_reals(set);
                side.prev_set = to_reals(prev_set);
            }
            if side.events.is_some() {
                side.events = Some(queue_from(&gs.recent_events, step));
            }
        }
        for (t, ts) in state.postsynaptic_targets.iter().enumerate() {
            let ring: Vec<S> = to_reals(&ts.ring);
            let post = targets[t].post.0 as usize;
            let n = net.populations()[post].size as usize;
            let range = new.pop_blocks[post]..new.pop_blocks[post + 1];
            for b in &mut new.blocks[range] {
                let (start, len) = (b.start as usize, b.len as usize);
                let psm = b
                    .psms
                    .iter_mut()
                    .find(|p| p.target == t)
                    .expect("every block of the target holds its input");
                for slot in 0..psm.ring_slots as usize {
                    psm.ring[slot * len..(slot + 1) * len]
                        .copy_from_slice(&ring[slot * n + start..slot * n + start + len]);
                }
            }
        }
        for (si, ss) in state.current_sources.iter().enumerate() {
            new.sources[si].egps = ss.egps.iter().map(|e| to_scalars(e)).collect();
        }
        new.var_recordings = state
            .var_recordings
            .iter()
            .map(|r| VarRecordingData {
                times: r.times.clone(),
                values: r.values.clone(),
            })
            .collect();
        Ok(new)
    }
}

fn to_f64<S: Real>(v: &[S]) -> Vec<f64> {
    v.iter().map(|x| x.to_f64()).collect()
}
