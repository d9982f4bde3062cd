//! The block pass of a step (docs/ARCHITECTURE.md, "Semantics", steps
//! 1-4): each block's synapse code into its postsynaptic inputs, the
//! inputs, current sources, neuron update and postsynaptic decay.

use super::*;
use crate::few::{views, views_mut, Few};
use std::time::Instant;

impl<S: CpuReal> Block<S> {
    /// One step of the block: its inputs, current sources, neurons and
    /// postsynaptic decay (docs/ARCHITECTURE.md, "Semantics", steps 1-4).
    pub(super) fn update(&mut self, c: &StepCtx<'_, S>) -> Result<()> {
        self.isyn.iter_mut().for_each(|x| *x = S::ZERO);
        for port in &mut self.ports {
            S::slice_mut(port).iter_mut().for_each(|x| *x = S::ZERO);
        }
        self.spikes.clear();
        self.receive_inputs(c)?;
        self.inject_sources(c);
        self.update_neurons(c);
        self.decay_inputs(c);
        Ok(())
    }

    /// Steps 1-3 of the semantics into each postsynaptic input (every
    /// group's presynaptic spikes and events, then postsynaptic spikes, then
    /// synapse dynamics), then the input's ring slot and `apply_input`.
    fn receive_inputs(&mut self, c: &StepCtx<'_, S>) -> Result<()> {
        let len = self.len as usize;
        let mut neuron_room = Few::slices();
        let neuron_refs = views(&mut neuron_room, &self.vars);
        for (pi, psm) in self.psms.iter_mut().enumerate() {
            let [in_syn_arr, ..] = &mut psm.psm_vars[..] else {
                unreachable!("in_syn is always present")
            };
            // The additions are queued, then applied in order (also when a
            // group fails, so the queue starts empty at the next input).
            let mut result = Ok(());
            'phases: for phase in [Phase::Pre, Phase::Post, Phase::Dynamics] {
                for inc in self.incoming.iter_mut().filter(|inc| inc.psm == pi) {
                    let target = SynapseTarget {
                        in_syn: S::slice_mut(in_syn_arr),
                        ring: &mut psm.ring,
                        ring_slots: psm.ring_slots,
                        pending: &mut self.pending,
                    };
                    result = synapse_code(c, inc, phase, target, self.start, self.len);
                    if result.is_err() {
                        break 'phases;
                    }
                }
            }
            if psm.ring_slots > 0 {
                self.pending.apply(&mut psm.ring);
            } else {
                self.pending.apply(S::slice_mut(in_syn_arr));
            }
            result?;
            if psm.ring_slots > 0 {
                let head = (c.step % psm.ring_slots as u64) as usize;
                let slot = &mut psm.ring[head * len..(head + 1) * len];
                for (x, r) in S::slice_mut(in_syn_arr).iter_mut().zip(slot) {
                    *x += *r;
                    *r = S::ZERO;
                }
            }
            let first = c.plan.inputs[psm.target].groups[0];
            let gd = &c.net.synapse_groups()[first];
            let (g, gp) = (&c.groups[first], &c.plan.groups[first]);
            let mut psm_room = Few::slices_mut();
            let psm_vars = views_mut(&mut psm_room, &mut psm.psm_vars);
            let mut ref_room = Few::slices();
            let refs = ref_room.collect(gp.psm_refs.iter().map(|&k| neuron_refs[k]));
            let input = match gd.target_port {
                Some(k) => S::slice_mut(&mut self.ports[k]),
                None => &mut self.isyn[..],
            };
            let args = ElementArgs {
                consts: &g.psm_consts,
                egps: &Egps::none(),
                vars: psm_vars,
                refs,
                first_id: self.start,
                len,
                info: c.info(gp.psm_stream),
            };
            S::postsynaptic(&gd.native_psm).apply_input(args, input);
        }
        Ok(())
    }

    /// The current sources' injections into `isyn` or their input ports.
    fn inject_sources(&mut self, c: &StepCtx<'_, S>) {
        let mut neuron_room = Few::slices();
        let neuron_refs = views(&mut neuron_room, &self.vars);
        for sb in &mut self.sources {
            let sd = &c.net.current_sources()[sb.source];
            let (s, sp) = (&c.sources[sb.source], &c.plan.sources[sb.source]);
            let egps = Egps::new(&s.egps);
            let mut ref_room = Few::slices();
            let refs = ref_room.collect(sp.refs.iter().map(|&k| neuron_refs[k]));
            let mut var_room = Few::slices_mut();
            let vars = views_mut(&mut var_room, &mut sb.vars);
            let input = match sd.target_port {
                Some(k) => S::slice_mut(&mut self.ports[k]),
                None => &mut self.isyn[..],
            };
            let args = ElementArgs {
                consts: &s.consts,
                egps: &egps,
                vars,
                refs,
                first_id: self.start,
                len: self.len as usize,
                info: c.info(sp.stream),
            };
            S::current_source(&sd.native).inject(args, input);
        }
    }

    /// The neuron update; spiking neurons into `self.spikes`.
    fn update_neurons(&mut self, c: &StepCtx<'_, S>) {
        let pop_desc = &c.net.populations()[self.pop];
        let pop = &c.pops[self.pop];
        let egps = Egps::new(&pop.egps);
        let mut var_room = Few::slices_mut();
        let vars = views_mut(&mut var_room, &mut self.vars);
        let mut port_room = Few::slices();
        let ports = views(&mut port_room, &self.ports);
        let args = ElementArgs {
            consts: &pop.consts,
            egps: &egps,
            vars,
            refs: ports,
            first_id: self.start,
            len: self.len as usize,
            info: c.info(c.plan.populations[self.pop].stream),
        };
        let auto_refractory = pop_desc.part.model.auto_refractory;
        let runner = S::neuron(&pop_desc.native);
        let timed = (runner.has_lanes() && self.path.timing(c.vector)).then(Instant::now);
        let lanes = self.path.lanes(c.vector);
        runner.update(args, &self.isyn, auto_refractory, lanes, &mut self.spikes);
        if let Some(t0) = timed {
            self.path.record(lanes, t0.elapsed());
        }
    }

    /// Postsynaptic decay (reads neuron variables after the update, like GeNN).
    fn decay_inputs(&mut self, c: &StepCtx<'_, S>) {
        let mut neuron_room = Few::slices();
        let neuron_refs = views(&mut neuron_room, &self.vars);
        for psm in &mut self.psms {
            let first = c.plan.inputs[psm.target].groups[0];
            let gd = &c.net.synapse_groups()[first];
            let (g, gp) = (&c.groups[first], &c.plan.groups[first]);
            let mut ref_room = Few::slices();
            let refs = ref_room.collect(gp.psm_refs.iter().map(|&k| neuron_refs[k]));
            let mut psm_room = Few::slices_mut();
            let psm_vars = views_mut(&mut psm_room, &mut psm.psm_vars);
            S::postsynaptic(&gd.native_psm).decay(ElementArgs {
                consts: &g.psm_consts,
                egps: &Egps::none(),
                vars: psm_vars,
                refs,
                first_id: self.start,
                len: self.len as usize,
                info: c.info(gp.psm_stream),
            });
        }
    }
}

/// Where a block's synapse loops add into one postsynaptic input.
struct SynapseTarget<'a, S> {
    in_syn: &'a mut [S],
    ring: &'a mut [S],
    ring_slots: u32,
    pending: &'a mut PendingAdds<S>,
}

/// The parts of the synapse update ([`synapse_code`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// `on_pre_spike`, then `on_pre_event`.
    Pre,
    /// `on_post_spike`.
    Post,
    /// `synapse_dynamics`.
    Dynamics,
}

/// Runs one phase of a group's synapse code on the synapses of one block.
fn synapse_code<S: CpuReal>(
    c: &StepCtx<'_, S>,
    inc: &mut IncomingBlock,
    phase: Phase,
    to: SynapseTarget<'_, S>,
    start: u32,
    len: u32,
) -> Result<()> {
    let gi = inc.group;
    let (g, gp) = (&c.groups[gi], &c.plan.groups[gi]);
    let (mut spikes, events, posts, dynamics) = phase_work(c, gi, phase, start, len);
    let gd = &c.net.synapse_groups()[gi];
    let delay_error = |overflow: Option<u32>| match overflow {
        Some(delay) => Err(Error::DelayOverflow {
            group: gd.name.clone(),
            delay: delay as u64,
            max: gd.max_dendritic_delay as u64,
            step: c.step,
        }),
        None => Ok(()),
    };
    let mut overflow = None;
    if let (Some(add), false) = (g.static_add, spikes.is_empty()) {
        overflow = StaticRows {
            spikes,
            row_ptr: &inc.row_ptr,
            ind: &inc.ind,
            len,
            target: if to.ring_slots > 0 {
                &mut *to.ring
            } else {
                &mut *to.in_syn
            },
            ring_slots: to.ring_slots,
            head: runners::ring_head(c.step, to.ring_slots),
            pending: &mut *to.pending,
        }
        .run(add, &inc.wu_vars);
        spikes = &[];
    }
    if spikes.is_empty() && events.is_empty() && posts.is_empty() && !dynamics {
        return delay_error(overflow);
    }
    let egps = Egps::new(&g.wu_egps);
    let (pre_src, post_src) = if gp.has_sides {
        c.side_sources(gi)
    } else {
        (Vec::new(), Vec::new())
    };
    let side = &c.sides[gi];
    let times = gp.synapse_reads_times.then(|| TimeSrc {
        st_pre: &c.shared[gp.pre].st,
        prev_st_pre: &c.shared[gp.pre].prev_st,
        set_pre: &side.set,
        prev_set_pre: &side.prev_set,
        st_post: &c.shared[gp.post].st,
        prev_st_post: &c.shared[gp.post].prev_st,
    });
    let mut var_room = Few::slices_mut();
    let wu_vars = views_mut(&mut var_room, &mut inc.wu_vars);
    let runner = S::weight_update(&gd.native_wu);
    macro_rules! args {
        ($spikes:expr, $method:expr) => {
            SynapseArgs {
                consts: &g.wu_consts,
                egps: &egps,
                vars: &mut *wu_vars,
                pre: &pre_src,
                post: &post_src,
                times,
                spikes: $spikes,
                row_ptr: &inc.row_ptr,
                ind: &inc.ind,
                post_offset: start,
                in_syn: &mut *to.in_syn,
                ring: &mut *to.ring,
                ring_slots: to.ring_slots,
                info: c.info(gp.stream($method).expect("synapse code has a stream")),
                key: gp.synapse_key($method).expect("synapse code has a key"),
                store: gp.writes,
                pending: &mut *to.pending,
                lanes: c.vector != VectorPath::Never,
            }
        };
    }
    if !spikes.is_empty() {
        overflow = overflow.max(runner.on_pre(args!(spikes, Method::OnPreSpike), false));
    }
    if !events.is_empty() {
        overflow = overflow.max(runner.on_pre(args!(events, Method::OnPreEvent), true));
    }
    if !posts.is_empty() {
        let col = inc.col.as_ref();
        let col = col.expect("internal error: on_post_spike without a column view");
        runner.on_post_spikes(args!(posts, Method::OnPostSpike), col);
    }
    if dynamics {
        let none: &[u32] = &[];
        let args = args!(none, Method::SynapseDynamics);
        overflow = overflow.max(runner.synapse_dynamics(args));
    }
    delay_error(overflow)
}

/// What phase `phase` of group `gi` runs on a block of `len` neurons from
/// `start`: the presynaptic spikes and events whose rows it visits, the
/// block's postsynaptic spikes, and whether synapse dynamics run.
fn phase_work<'c, S: CpuReal>(
    c: &StepCtx<'c, S>,
    gi: usize,
    phase: Phase,
    start: u32,
    len: u32,
) -> (&'c [u32], &'c [u32], &'c [u32], bool) {
    let gp = &c.plan.groups[gi];
    let code = gp.methods;
    let none: &[u32] = &[];
    match phase {
        Phase::Pre => (
            if code.on_pre_spike {
                c.queues[gp.pre].delayed(c.step, gp.axonal_delay)
            } else {
                none
            },
            match &c.sides[gi].events {
                Some(q) => q.delayed(c.step, gp.axonal_delay),
                None => none,
            },
            none,
            false,
        ),
        Phase::Post if code.on_post_spike => (
            none,
            none,
            in_range(c.queues[gp.post].delayed(c.step, 0), start, start + len),
            false,
        ),
        Phase::Dynamics => (none, none, none, code.synapse_dynamics),
        Phase::Post => (none, none, none, false),
    }
}
