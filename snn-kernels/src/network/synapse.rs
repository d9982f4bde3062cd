//! The synapse-view kernels of a group (steps 1-3 of the module docs):
//! presynaptic spikes and events along rows, postsynaptic learning along
//! columns, synapse dynamics on every synapse.

use super::generator::{buffer_type, FieldNames, Generator, Params};
use super::{
    ArgSpec, BufferId, EgpPart, GenerateError, GroupBuffers, Launch, PopulationBuffers, Span,
    ERROR_WORDS,
};
use crate::cgen::{indent, CType};
use snn_core::dsl::{EnvCall, Method};
use snn_core::model::FieldKind;
use snn_core::model::{POST_SPIKE_TIMES, PRE_EVENT_TIMES, PRE_SPIKE_TIMES};
use snn_core::network::{Network, SynapseGroupDesc, SynapseGroupId};
use snn_core::plan::StepPhase;
use snn_core::Precision;

/// Which synapse code a synapse-view kernel runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum SynapseCode {
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
    /// The phase of the step the kernel runs in.
    fn phase(self) -> StepPhase {
        match self {
            SynapseCode::PreSpike => StepPhase::PreSpikes,
            SynapseCode::PreEvent => StepPhase::PreEvents,
            SynapseCode::PostSpike => StepPhase::PostSpikes,
            SynapseCode::Dynamics => StepPhase::SynapseDynamics,
        }
    }
    /// The base of the kernel's name.
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
pub(super) struct SynapseKernels<'a> {
    /// Index of the group.
    pub(super) gi: usize,
    /// Every population's buffers.
    pub(super) populations: &'a [PopulationBuffers],
    /// The group's buffers.
    pub(super) gb: &'a GroupBuffers,
    /// The spike counts of every queue.
    pub(super) spike_counts: BufferId,
    /// Delay overflow flags.
    pub(super) errors: BufferId,
    /// Slots of the group's dendritic-delay ring (0: none).
    pub(super) ring_slots: u32,
}

/// The queue a synapse-view kernel reads: count offset, slots, entries.
type Queue = (u32, u32, BufferId);

impl SynapseKernels<'_> {
    /// The group's description.
    fn group<'n>(&self, net: &'n Network) -> &'n SynapseGroupDesc {
        &net.synapse_groups()[self.gi]
    }

    /// The presynaptic and postsynaptic populations' buffers.
    fn sides(&self, sg: &SynapseGroupDesc) -> (&PopulationBuffers, &PopulationBuffers) {
        (
            &self.populations[sg.pre.0 as usize],
            &self.populations[sg.post.0 as usize],
        )
    }

    /// The kernel running `code` of the group, and its launch.
    pub(super) fn kernel(
        &self,
        g: &mut Generator<'_>,
        code: SynapseCode,
    ) -> Result<Launch, GenerateError> {
        let mut params = Params::new();
        let queue = self.structure_params(g, code, &mut params);
        let adds = code != SynapseCode::PostSpike;
        let has_ring = adds && self.gb.ring.is_some();
        if adds {
            self.input_params(g, &mut params);
        }
        let (load, store) = self.model_params(g, &mut params);
        let synapse = self.synapse_code(g, code, &load, &store, has_ring)?;
        let (body, threads) = self.shape(g.net, code, &synapse, queue.is_some(), has_ring);
        let kernel = g.emit(code.base(), &params, &body);
        Ok(Launch {
            kernel,
            threads,
            args: params.args,
            phase: code.phase(),
        })
    }

    /// Whether `code` of the group draws random numbers.
    fn draws(&self, g: &Generator<'_>, code: SynapseCode) -> bool {
        let m = self.group(g.net).wu.model;
        m.method(code.method()).is_some_and(|mi| mi.draws())
    }

    /// The parameters of the step, sizes, random key, the queue read (if
    /// any, returned), the delay and the connectivity.
    fn structure_params(
        &self,
        g: &Generator<'_>,
        code: SynapseCode,
        params: &mut Params,
    ) -> Option<Queue> {
        let net = g.net;
        let (gi, gb) = (self.gi, self.gb);
        let sg = self.group(net);
        let (n_pre, n_post) = (net.population(sg.pre).size, net.population(sg.post).size);
        let (pre, post_pop) = self.sides(sg);
        g.clock_params(params, true);
        params.push(format!("{} dt", g.scalar), ArgSpec::Scalar(net.dt()));
        // The random stream's key, where the code draws (a merged kernel
        // passes every group's key: only those that are used).
        if self.draws(g, code) {
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
        params.push("unsigned int max_row".into(), ArgSpec::U32(gb.max_row));
        if let (SynapseCode::PostSpike, Some(c)) = (code, gb.columns) {
            params.buffer(CType::U32, "col_length", c.col_length);
            params.buffer(CType::U32, "col_ind", c.col_ind);
            params.push("unsigned int max_col".into(), ArgSpec::U32(c.max_col));
        }
        queue
    }

    /// The postsynaptic input a kernel that adds to it writes: `in_syn`,
    /// the ring, the overflow flags.
    fn input_params(&self, g: &Generator<'_>, params: &mut Params) {
        let scalar_t = g.scalar_type();
        params.buffer(scalar_t, "in_syn", self.gb.psm_vars[0]);
        if let Some(r) = self.gb.ring {
            params.buffer(scalar_t, "ring", r);
            params.push(
                "unsigned int ring_slots".into(),
                ArgSpec::U32(self.ring_slots),
            );
        }
        params.buffer(CType::U32, "errors", self.errors);
        params.push("unsigned int group".into(), ArgSpec::U32(self.gi as u32));
    }

    /// The weight-update model's constants, EGPs and variables (returns
    /// the loads and stores of its registers), and, read-only, both sides'
    /// variables, referenced neuron variables and spike and event times.
    fn model_params(&self, g: &mut Generator<'_>, params: &mut Params) -> (String, String) {
        let net = g.net;
        let (p, gi, gb) = (g.p, self.gi, self.gb);
        let sg = self.group(net);
        let m = sg.wu.model;
        let owner = format!("synapse group `{}`", sg.name);
        let (pre, post_pop) = self.sides(sg);
        let scalar_t = g.scalar_type();
        g.const_params(
            &sg.wu,
            &owner,
            "wc",
            "we_",
            params,
            Some(EgpPart::SynapseGroup(SynapseGroupId(gi as u32))),
        );
        let (load, store) = g.var_registers(&sg.wu, "w_", "wv", "syn", params, &gb.wu_vars);
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
        let times = [
            (
                PRE_SPIKE_TIMES,
                pre.spike_times.map(|s| (s.st, s.prev_st)),
                "pre_st",
                "pre_prev_st",
            ),
            (
                POST_SPIKE_TIMES,
                post_pop.spike_times.map(|s| (s.st, s.prev_st)),
                "post_st",
                "post_prev_st",
            ),
            (
                PRE_EVENT_TIMES,
                gb.events.map(|e| (e.set, e.prev_set)),
                "pre_set",
                "pre_prev_set",
            ),
        ];
        for (calls, bufs, name, prev_name) in times {
            if let (true, Some((now, prev))) = (m.uses_any(&calls), bufs) {
                params.buffer(scalar_t, name, now);
                params.buffer(scalar_t, prev_name, prev);
            }
        }
        (load, store)
    }

    /// The code run on one synapse `syn` (of `pre` and `post`): its
    /// registers loaded, `code`'s method inlined, the registers stored
    /// where the method writes them.
    fn synapse_code(
        &self,
        g: &mut Generator<'_>,
        code: SynapseCode,
        load: &str,
        store: &str,
        has_ring: bool,
    ) -> Result<String, GenerateError> {
        let sg = self.group(g.net);
        let owner = format!("synapse group `{}`", sg.name);
        let method = code.method();
        let writes = sg
            .wu
            .model
            .method(method)
            .is_some_and(|mi| !mi.writes.is_empty());
        let env = synapse_env(g.p, code != SynapseCode::PostSpike, has_ring);
        let body_code = g.inline(&owner, &sg.wu, method, &FieldNames::synapse(), &env, None)?;
        let body_code = indent(&body_code, 2);
        let post_line = if code == SynapseCode::PostSpike {
            String::new()
        } else {
            "        const unsigned int post = ind[syn];\n".into()
        };
        let rng_line = if self.draws(g, code) {
            "        snn_rng rng = snn_rng_synapse(key0, key1, (unsigned int)step, pre, post);\n"
        } else {
            ""
        };
        Ok(format!(
            "{post_line}{}{rng_line}{body_code}{}",
            indent(load, 1),
            if writes {
                indent(store, 1)
            } else {
                String::new()
            },
        ))
    }

    /// The kernel body around the code of one synapse (`synapse`): the
    /// slot of the queue read (if `queue`) and of the ring (if
    /// `has_ring`), the loop of `code`'s view; and its threads.
    fn shape(
        &self,
        net: &Network,
        code: SynapseCode,
        synapse: &str,
        queue: bool,
        has_ring: bool,
    ) -> (String, u32) {
        let sg = self.group(net);
        let n_pre = net.population(sg.pre).size;
        let max_row = self.gb.max_row;
        let mut head = String::from(
            "    const unsigned int tid = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    \
             (void)t; (void)dt; (void)n_pre; (void)delay;\n",
        );
        if queue {
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
        match (code, sg.span) {
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
                self.gb.columns.map_or(1, |c| c.max_col),
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
        }
    }
}

/// The environment of synapse code: the synapse's indices, both sides'
/// spike and event times and, where the kernel `adds` to the postsynaptic
/// input, `add_to_post` (atomically into `in_syn`, or the ring if
/// `has_ring`).
fn synapse_env(
    p: Precision,
    adds: bool,
    has_ring: bool,
) -> impl Fn(EnvCall, &[String]) -> Option<String> {
    let atomic = if p == Precision::F32 {
        "ATOMIC_ADD_F32"
    } else {
        "ATOMIC_ADD_F64"
    };
    move |call: EnvCall, args: &[String]| -> Option<String> {
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
                "snn_add_delayed(ring, ring_slots, n_post, ring_head, post, {}, {}, &errors[{ERROR_WORDS}u * group], step)",
                args[0], args[1]
            ),
            EnvCall::AddToPostDelay => {
                format!(
                    "snn_delay_overflow(&errors[{ERROR_WORDS}u * group], step, {})",
                    args[1]
                )
            }
            _ => return None,
        })
    }
}

/// `snn_add_delayed`: adds to the ring slot `delay` steps ahead, or flags an overflow.
pub(super) fn delayed_add_helper(p: Precision) -> String {
    let (s, atomic) = match p {
        Precision::F32 => ("float", "ATOMIC_ADD_F32"),
        Precision::F64 => ("double", "ATOMIC_ADD_F64"),
    };
    format!(
        "{DELAY_OVERFLOW}SNN_FN void snn_add_delayed(GLOBAL {s}* ring, unsigned int ring_slots, unsigned int n_post,\n    \
         unsigned int head, unsigned int post, {s} x, unsigned int delay, GLOBAL unsigned int* error,\n    \
         snn_u64 step)\n{{\n    \
         if (delay >= ring_slots) {{\n        snn_delay_overflow(error, step, delay);\n        return;\n    }}\n    \
         unsigned int slot = head + delay;\n    \
         if (slot >= ring_slots) slot -= ring_slots;\n    \
         {atomic}(&ring[slot * n_post + post], x);\n}}\n\n"
    )
}

/// `snn_delay_overflow(err, step, delay)`: records a dendritic delay that
/// did not fit the ring in a group's [`ERROR_WORDS`] words: the first
/// thread of the first such step claims word 0 and writes step + 1 into
/// words 1 and 2; the threads of that step raise word 3 to their delay + 1.
/// A thread of a later step sees the step of an earlier one (written by a
/// finished kernel) and leaves the words alone; one of the claiming step
/// may still read 0 there, which only that step can.
const DELAY_OVERFLOW: &str = "SNN_FN void snn_delay_overflow(GLOBAL unsigned int* err, snn_u64 step, unsigned int delay)\n{\n    \
     const snn_u64 s1 = step + 1u;\n    \
     if (ATOMIC_CAS_U32(&err[0], 0u, 1u) == 0u) {\n        \
     err[1] = (unsigned int)s1;\n        \
     err[2] = (unsigned int)(s1 >> 32);\n    \
     } else {\n        \
     const unsigned int at = ((volatile GLOBAL unsigned int*)err)[1];\n        \
     if (at != 0u && at != (unsigned int)s1) return;\n    \
     }\n    \
     ATOMIC_MAX_U32(&err[3], delay + 1u);\n}\n\n";
