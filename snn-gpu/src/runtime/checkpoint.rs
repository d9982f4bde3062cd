//! Checkpoints of a [`GpuSimulation`]: [`Simulation::save_state`] and
//! [`Simulation::load_state`] in the backend-neutral layout of
//! [`snn_core::state`].
//!
//! Every buffer of the plan ([`snn_kernels::network`], "Buffers") is one of:
//! - state, saved and restored: neuron, weight-update (ragged on the device,
//!   row-major in the state), `#[pre_var]` / `#[post_var]`, postsynaptic
//!   (per postsynaptic input: `in_syn`, then the model's variables) and
//!   current-source variables; row lengths and targets; spike and event
//!   queues with their counts; spike and event times; dendritic-delay rings;
//!   extra global parameters (every device copy);
//! - derived, rebuilt on load: the column-wise view (`col_length`,
//!   `col_ind`) from the restored connectivity;
//! - transient, cleared on load: the spike-recording bitfields (decoded into
//!   the host's record before a save) and the delay-overflow flags;
//! - constant: model constants, the postsynaptic models' extra global
//!   parameters (`set_egp` cannot change them), the spike-queue table.
//!
//! A spike queue has the population's `spike_slots` and an event queue the
//! group's `event_slots` ([`snn_core::plan::NetworkPlan`]); a group without
//! `on_pre_event` has no event queue.
//!
//! A checkpoint whose rows (or, with `on_post_spike`, columns) are longer
//! than this simulation's ragged strides regenerates the kernels and
//! buffers with the checkpoint's strides before writing the state (the old
//! buffers are freed once the new ones exist).
//!
//! [`Simulation::save_state`]: snn_core::sim::Simulation::save_state
//! [`Simulation::load_state`]: snn_core::sim::Simulation::load_state

use super::{
    alloc_buffer, csr_from_ragged, initial_bytes, no_spike_bytes, ragged, ragged_positions,
    ragged_rows, Columns, GpuSimulation, Recording,
};
use crate::device::Device;
use snn_core::error::{Error, Result};
use snn_core::ir::IrType;
use snn_core::model::{FieldKind, ModelDesc};
use snn_core::network::{CurrentSourceId, ModelPart, PopulationId, SynapseGroupId};
use snn_core::sim::RecordedVar;
use snn_core::state::{
    CurrentSourceState, PopulationState, PostsynapticState, SimState, SpikeRecordingState,
    SynapseGroupState,
};
use snn_core::var::VarArray;
use snn_kernels::dialect::program;
use snn_kernels::network::{generate_plan, BufferId, EgpPart, EventQueue, PopulationBuffers};

/// A spike or event queue on the device: ids in `spk[slots * n]`, counts
/// from `offset` in the shared count buffer; step `s` uses slot `s % slots`.
#[derive(Clone, Copy)]
struct Queue {
    spk: BufferId,
    offset: usize,
    slots: usize,
    n: usize,
}

impl Queue {
    /// The spike queue of a population of `n` neurons.
    fn spikes(pb: &PopulationBuffers, n: u32) -> Queue {
        Queue {
            spk: pb.spk,
            offset: pb.count_offset as usize,
            slots: pb.slots as usize,
            n: n as usize,
        }
    }

    /// The event queue of a group with `n_pre` presynaptic neurons.
    fn events(q: &EventQueue, n_pre: u32) -> Queue {
        Queue {
            spk: q.spk,
            offset: q.count_offset as usize,
            slots: q.slots as usize,
            n: n_pre as usize,
        }
    }

    /// The slot holding step `step - 1 - k`, if the queue keeps it (`None`
    /// for steps before 0 and beyond the slots).
    fn slot(&self, step: u64, k: usize) -> Option<usize> {
        (k < self.slots && (k as u64) < step)
            .then(|| ((step - 1 - k as u64) % self.slots as u64) as usize)
    }

    /// `history` lists of ascending ids, the `k`-th of step `step - 1 - k`,
    /// from the device's counts and ids.
    fn read(&self, counts: &[u32], spk: &[u32], history: usize, step: u64) -> Vec<Vec<u32>> {
        (0..history)
            .map(|k| match self.slot(step, k) {
                None => Vec::new(),
                Some(slot) => {
                    let c = (counts[self.offset + slot] as usize).min(self.n);
                    let mut ids = spk[slot * self.n..slot * self.n + c].to_vec();
                    ids.sort_unstable();
                    ids
                }
            })
            .collect()
    }

    /// The device's ids for `recent` (as [`read`](Self::read) returns
    /// them); the counts go into `counts`.
    fn layout(&self, recent: &[Vec<u32>], step: u64, counts: &mut [u32]) -> Vec<u32> {
        let mut spk = vec![0u32; self.slots * self.n];
        counts[self.offset..self.offset + self.slots].fill(0);
        for (k, ids) in recent.iter().enumerate() {
            if let Some(slot) = self.slot(step, k) {
                let ids = &ids[..ids.len().min(self.n)];
                counts[self.offset + slot] = ids.len() as u32;
                spk[slot * self.n..slot * self.n + ids.len()].copy_from_slice(ids);
            }
        }
        spk
    }
}

impl<D: Device> GpuSimulation<D> {
    /// [`Simulation::save_state`](snn_core::sim::Simulation::save_state).
    pub(super) fn save(&mut self) -> Result<SimState> {
        for pi in 0..self.recordings.len() {
            self.pull_spikes(pi)?;
        }
        for k in 0..self.var_pulled.len() {
            self.pull_var(k)?;
        }
        let net = &self.net;
        let p = net.precision();
        let step = self.step;
        let counts = self.read_u32(self.plan.spike_counts)?;

        let mut populations = Vec::with_capacity(net.populations().len());
        for (pi, pd) in net.populations().iter().enumerate() {
            let pb = &self.plan.populations[pi];
            populations.push(PopulationState {
                name: pd.name.clone(),
                vars: self.read_fields(pd.part.model, FieldKind::Var, &pb.vars)?,
                egps: self.read_egps(EgpPart::Population(PopulationId(pi as u32)), &pd.part)?,
                spike_times: pb
                    .spike_times
                    .map(|t| self.read_times(t.st, t.prev_st))
                    .transpose()?,
                recent_spikes: self.read_queue(
                    Queue::spikes(pb, pd.size),
                    &counts,
                    self.plan.network.populations[pi].spike_slots as usize,
                )?,
                recording: self.recordings[pi].as_ref().map(|r| SpikeRecordingState {
                    on: r.on,
                    steps: r.steps.clone(),
                    ids: r.ids.clone(),
                }),
            });
        }

        let synapse_groups = (0..net.synapse_groups().len())
            .map(|gi| self.group_state(gi, &counts))
            .collect::<Result<_>>()?;

        let postsynaptic_targets = (0..self.plan.network.inputs.len())
            .map(|t| self.input_state(t))
            .collect::<Result<_>>()?;

        let mut current_sources = Vec::with_capacity(net.current_sources().len());
        for (si, cs) in net.current_sources().iter().enumerate() {
            current_sources.push(CurrentSourceState {
                name: cs.name.clone(),
                vars: self.read_fields(
                    cs.part.model,
                    FieldKind::Var,
                    &self.plan.current_sources[si],
                )?,
                egps: self
                    .read_egps(EgpPart::CurrentSource(CurrentSourceId(si as u32)), &cs.part)?,
            });
        }

        let var_recordings = net
            .var_recordings()
            .iter()
            .zip(&self.var_samples)
            .map(|(rd, (times, values))| RecordedVar {
                times: times.clone(),
                neurons: rd.neurons.clone(),
                values: values.clone(),
            })
            .collect();

        Ok(SimState {
            step,
            dt: net.dt(),
            seed: net.seed(),
            precision: p,
            populations,
            synapse_groups,
            postsynaptic_targets,
            current_sources,
            var_recordings,
        })
    }

    /// [`Simulation::load_state`](snn_core::sim::Simulation::load_state).
    pub(super) fn load(&mut self, state: &SimState) -> Result<()> {
        state.check_fits_plan(&self.net, &self.plan.network)?;

        // A new plan if the checkpoint's rows or columns exceed this one's.
        let (rows, cols, fits) = self.strides_for(state)?;
        if !fits {
            self.rebuild(&rows, &cols)?;
        }

        let step = state.step;
        let mut counts = vec![0u32; self.plan.buffers[self.plan.spike_counts].len];
        for (pi, (ps, pd)) in state
            .populations
            .iter()
            .zip(self.net.populations())
            .enumerate()
        {
            let pb = &self.plan.populations[pi];
            self.write_fields(&pb.vars, &ps.vars)?;
            self.write_egps(EgpPart::Population(PopulationId(pi as u32)), &ps.egps)?;
            if let Some(t) = pb.spike_times {
                self.write_times([t.st, t.prev_st], ps.spike_times.as_ref())?;
            }
            let queue = Queue::spikes(pb, pd.size);
            self.write_queue(queue, &ps.recent_spikes, step, &mut counts)?;
            if let Some(id) = pb.recording {
                self.zero(id)?;
            }
        }

        for (gi, gs) in state.synapse_groups.iter().enumerate() {
            self.load_group(gi, gs, step, &mut counts)?;
        }

        for (t, ts) in state.postsynaptic_targets.iter().enumerate() {
            let gb = &self.plan.groups[self.plan.network.inputs[t].groups[0]];
            self.write_fields(&gb.psm_vars, &ts.vars)?;
            if let Some(r) = gb.ring {
                self.write_var(r, &ts.ring)?;
            }
        }

        for (si, ss) in state.current_sources.iter().enumerate() {
            self.write_fields(&self.plan.current_sources[si], &ss.vars)?;
            self.write_egps(EgpPart::CurrentSource(CurrentSourceId(si as u32)), &ss.egps)?;
        }

        self.write_words(self.plan.spike_counts, &counts)?;
        self.zero(self.plan.errors)?;
        self.write_clock(step)?;
        self.device.synchronize().map_err(|e| self.dev_err(e))?;

        for (rec, ps) in self.recordings.iter_mut().zip(&state.populations) {
            *rec = ps.recording.as_ref().map(|r| Recording {
                pulled_until: step,
                on: r.on,
                steps: r.steps.clone(),
                ids: r.ids.clone(),
            });
        }
        self.var_samples = state
            .var_recordings
            .iter()
            .map(|r| (r.times.clone(), r.values.clone()))
            .collect();
        // Samples before `step` are in the checkpoint.
        self.var_pulled = self
            .net
            .var_recordings()
            .iter()
            .map(|r| step / r.every as u64)
            .collect();
        self.step = step;
        Ok(())
    }

    /// Synapse group `gi`'s state (`counts`: the spike and event counts).
    fn group_state(&self, gi: usize, counts: &[u32]) -> Result<SynapseGroupState> {
        let net = &self.net;
        let gd = &net.synapse_groups()[gi];
        let gb = &self.plan.groups[gi];
        let (n_pre, n_post) = (net.population(gd.pre).size, net.population(gd.post).size);
        let lens = self.row_lengths(gi)?;
        let connectivity =
            csr_from_ragged(n_pre, n_post, &lens, &self.read_u32(gb.ind)?, gb.max_row);
        let positions: Vec<usize> = ragged_positions(&lens, gb.max_row).collect();
        let wu_vars = self
            .read_fields(gd.wu.model, FieldKind::Var, &gb.wu_vars)?
            .iter()
            .map(|a| a.gather(&positions))
            .collect();
        let history = self.plan.network.groups[gi].event_slots as usize;
        let recent_events = match gb.events.and_then(|e| e.queue) {
            Some(q) => self.read_queue(Queue::events(&q, n_pre), counts, history)?,
            None => vec![Vec::new(); history],
        };
        Ok(SynapseGroupState {
            name: gd.name.clone(),
            connectivity,
            wu_vars,
            pre_vars: self.read_fields(gd.wu.model, FieldKind::PreVar, &gb.pre_vars)?,
            post_vars: self.read_fields(gd.wu.model, FieldKind::PostVar, &gb.post_vars)?,
            egps: self.read_egps(EgpPart::SynapseGroup(SynapseGroupId(gi as u32)), &gd.wu)?,
            event_times: gb
                .events
                .map(|e| self.read_times(e.set, e.prev_set))
                .transpose()?,
            recent_events,
        })
    }

    /// Postsynaptic input `t`'s state.
    fn input_state(&self, t: usize) -> Result<PostsynapticState> {
        let g0 = self.plan.network.inputs[t].groups[0];
        let gb = &self.plan.groups[g0];
        let mut vars = vec![self.read_var(gb.psm_vars[0], IrType::Scalar)?];
        let model = self.net.synapse_groups()[g0].psm.model;
        vars.extend(self.read_fields(model, FieldKind::Var, &gb.psm_vars[1..])?);
        let ring = match gb.ring {
            Some(r) => self.read_var(r, IrType::Scalar)?,
            None => VarArray::zeros(IrType::Scalar, self.net.precision(), 0),
        };
        Ok(PostsynapticState { vars, ring })
    }

    /// The ragged row and column strides `state`'s connectivity needs, and
    /// whether this plan's fit them.
    fn strides_for(&self, state: &SimState) -> Result<(Vec<u32>, Vec<u32>, bool)> {
        let mut rows = Vec::with_capacity(state.synapse_groups.len());
        let mut cols = Vec::with_capacity(state.synapse_groups.len());
        let mut fits = true;
        for (gi, (gs, gd)) in state
            .synapse_groups
            .iter()
            .zip(self.net.synapse_groups())
            .enumerate()
        {
            let c = &gs.connectivity;
            let gb = &self.plan.groups[gi];
            let longest = c.row_ptr.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
            let longest = u32::try_from(longest).map_err(|_| Error::Checkpoint {
                what: format!("synapse group `{}`, connectivity", gd.name),
                reason: format!("a row of {longest} synapses exceeds 2^32"),
            })?;
            fits &= longest <= gb.max_row;
            rows.push(longest.max(1));
            let longest_col = match gb.columns {
                Some(cb) => {
                    let mut lens = vec![0u32; c.num_post as usize];
                    for &j in &c.ind {
                        lens[j as usize] += 1;
                    }
                    let longest = lens.into_iter().max().unwrap_or(0);
                    fits &= longest <= cb.max_col;
                    longest.max(1)
                }
                None => 1,
            };
            cols.push(longest_col);
        }
        Ok((rows, cols, fits))
    }

    /// Writes synapse group `gi`'s state (its event queue's counts into
    /// `counts`).
    fn load_group(
        &self,
        gi: usize,
        gs: &SynapseGroupState,
        step: u64,
        counts: &mut [u32],
    ) -> Result<()> {
        let gd = &self.net.synapse_groups()[gi];
        let gb = &self.plan.groups[gi];
        let c = &gs.connectivity;
        let (lens, ind) = ragged_rows(c, gb.max_row);
        self.write_words(gb.row_length, &lens)?;
        self.write_words(gb.ind, &ind)?;
        for (&id, a) in gb.wu_vars.iter().zip(&gs.wu_vars) {
            let bytes = ragged(c, &a.to_bytes(), a.elem_size(), gb.max_row as usize);
            self.write_bytes(id, &bytes)?;
        }
        if let Some(cb) = gb.columns {
            let columns = Columns::new(&lens, &ind, gb.max_row, c.num_post, cb.max_col);
            self.write_words(cb.col_length, &columns.col_length)?;
            self.write_words(cb.col_ind, &columns.col_ind)?;
        }
        self.write_fields(&gb.pre_vars, &gs.pre_vars)?;
        self.write_fields(&gb.post_vars, &gs.post_vars)?;
        self.write_egps(EgpPart::SynapseGroup(SynapseGroupId(gi as u32)), &gs.egps)?;
        if let Some(e) = gb.events {
            self.write_times([e.set, e.prev_set], gs.event_times.as_ref())?;
            if let Some(q) = e.queue {
                let queue = Queue::events(&q, self.net.population(gd.pre).size);
                self.write_queue(queue, &gs.recent_events, step, counts)?;
            }
        }
        Ok(())
    }

    /// Regenerates the kernels and buffers with ragged rows of `max_rows`
    /// and columns of `max_cols` per group. The new buffers hold their
    /// constants; the state is the caller's to write. On failure nothing
    /// changed.
    fn rebuild(&mut self, max_rows: &[u32], max_cols: &[u32]) -> Result<()> {
        let budget = super::merge_budget(&self.device);
        let plan = generate_plan(&self.net, max_rows, Some(max_cols), budget).map_err(|e| {
            Error::Checkpoint {
                what: "connectivity".into(),
                reason: format!("cannot lay out the checkpoint's connectivity on the device: {e}"),
            }
        })?;
        let p = self.net.precision();
        let mut buffers = Vec::with_capacity(plan.buffers.len());
        for spec in &plan.buffers {
            let buf = alloc_buffer(&self.device, spec).map_err(|e| self.dev_err(e))?;
            if let Some(Some(bytes)) = initial_bytes(spec, None, p) {
                self.device
                    .write(&buf, 0, &bytes)
                    .map_err(|e| self.dev_err(e))?;
            }
            buffers.push(buf);
        }
        // What the old kernels took is counted in their phases.
        self.timing
            .collect(&self.device, &self.plan)
            .map_err(|e| self.dev_err(e))?;
        self.device
            .compile(&program(self.dialect, p, &plan.source))
            .map_err(|e| self.dev_err(e))?;
        self.plan = plan;
        self.buffers = buffers;
        // Graphs hold the old kernels and buffers.
        self.graphs.forget();
        Ok(())
    }

    /// The variables of `kind` of `model`, from buffers `ids`.
    fn read_fields(
        &self,
        model: &ModelDesc,
        kind: FieldKind,
        ids: &[BufferId],
    ) -> Result<Vec<VarArray>> {
        model
            .fields_of(kind)
            .zip(ids)
            .map(|(f, &id)| self.read_var(id, f.ty))
            .collect()
    }

    /// Writes `arrays` into buffers `ids`.
    fn write_fields(&self, ids: &[BufferId], arrays: &[VarArray]) -> Result<()> {
        for (&id, a) in ids.iter().zip(arrays) {
            self.write_var(id, a)?;
        }
        Ok(())
    }

    /// Latest and previous spike or event times.
    fn read_times(&self, latest: BufferId, previous: BufferId) -> Result<[VarArray; 2]> {
        Ok([
            self.read_var(latest, IrType::Scalar)?,
            self.read_var(previous, IrType::Scalar)?,
        ])
    }

    /// Writes spike or event times, or "no spike yet" for `None`.
    fn write_times(&self, ids: [BufferId; 2], times: Option<&[VarArray; 2]>) -> Result<()> {
        for (k, id) in ids.into_iter().enumerate() {
            match times {
                Some(t) => self.write_var(id, &t[k])?,
                None => {
                    let spec = &self.plan.buffers[id];
                    self.write_bytes(id, &no_spike_bytes(spec.len, self.net.precision()))?
                }
            }
        }
        Ok(())
    }

    /// Current values of the extra global parameters of `part` (owned by
    /// `owner`), from the device.
    fn read_egps(&self, owner: EgpPart, part: &ModelPart) -> Result<Vec<Vec<f64>>> {
        let p = self.net.precision();
        let mut out = Vec::with_capacity(part.egps.len());
        for (k, built) in part.egps.iter().enumerate() {
            // Every copy holds the same values; a parameter without one
            // (none is generated so) keeps its values from the build.
            let values = match self.egp_copies(owner, k).next() {
                Some(id) if !built.is_empty() => {
                    let mut v =
                        VarArray::from_bytes(IrType::Scalar, p, &self.read_bytes(id)?).to_f64();
                    v.truncate(built.len());
                    v
                }
                _ => built.clone(),
            };
            out.push(values);
        }
        Ok(out)
    }

    /// Writes every extra global parameter of `owner`.
    fn write_egps(&self, owner: EgpPart, egps: &[Vec<f64>]) -> Result<()> {
        for (k, values) in egps.iter().enumerate() {
            self.write_egp_copies(owner, k, values)?;
        }
        Ok(())
    }

    /// A queue's recent steps (`history` of them) at the current step.
    fn read_queue(&self, q: Queue, counts: &[u32], history: usize) -> Result<Vec<Vec<u32>>> {
        Ok(q.read(counts, &self.read_u32(q.spk)?, history, self.step))
    }

    /// Writes a queue's ids for `recent` at step `step`, its counts into `counts`.
    fn write_queue(
        &self,
        q: Queue,
        recent: &[Vec<u32>],
        step: u64,
        counts: &mut [u32],
    ) -> Result<()> {
        self.write_words(q.spk, &q.layout(recent, step, counts))
    }

    fn write_words(&self, id: BufferId, words: &[u32]) -> Result<()> {
        self.write_bytes(id, bytemuck::cast_slice(words))
    }
}
