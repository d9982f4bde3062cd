//! The fused neuron kernel of a population (step 5 of the module docs):
//! postsynaptic inputs, current sources, the neuron update and the
//! neuron-side weight-update code (spike times, `pre_spike`, `post_spike`,
//! `event_threshold`).

use super::generator::{FieldNames, Generator, Params, SideAccess};
use super::{ArgSpec, BufferId, EgpPart, GenerateError, GroupBuffers, Launch, PopulationBuffers};
use crate::cgen::{indent, CType};
use snn_core::dsl::{EnvCall, Method};
use snn_core::model::{FieldKind, ModelDesc};
use snn_core::network::{CurrentSourceId, PopulationId, SynapseGroupId};
use snn_core::plan::StepPhase;
use std::fmt::Write as _;

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

/// The environment of `decay`: the neuron index.
fn id_env(call: EnvCall, _: &[String]) -> Option<String> {
    match call {
        EnvCall::Id => Some("i".into()),
        _ => None,
    }
}

/// The environment of `apply_input` and `inject`: the neuron index and
/// `inject_current` (summed in `inj`).
fn inject_env(call: EnvCall, args: &[String]) -> Option<String> {
    match call {
        EnvCall::Id => Some("i".into()),
        EnvCall::InjectCurrent => Some(format!("inj += {}", args[0])),
        _ => None,
    }
}

/// The environment of the neuron model's methods: the neuron index and
/// the summed input `isyn`.
fn neuron_env(call: EnvCall, _: &[String]) -> Option<String> {
    match call {
        EnvCall::Id => Some("i".into()),
        EnvCall::Isyn => Some("isyn".into()),
        _ => None,
    }
}

/// A neuron kernel being written: its parameters and body so far.
struct KernelText {
    /// The kernel's parameters.
    params: Params,
    /// The kernel's body.
    body: String,
}

/// What the fused neuron kernel of one population needs.
pub(super) struct NeuronKernel<'a> {
    /// Index of the population.
    pub(super) pi: usize,
    /// The population's buffers.
    pub(super) pb: &'a PopulationBuffers,
    /// Every synapse group's buffers.
    pub(super) groups: &'a [GroupBuffers],
    /// Every current source's variables.
    pub(super) sources: &'a [Vec<BufferId>],
    /// The spike counts of every queue.
    pub(super) spike_counts: BufferId,
    /// Steps per recording chunk.
    pub(super) chunk: u32,
}

impl NeuronKernel<'_> {
    /// The fused neuron kernel of the population, and its launch.
    pub(super) fn kernel(&self, g: &mut Generator<'_>) -> Result<Launch, GenerateError> {
        let net = g.net;
        let pop = &net.populations()[self.pi];
        let scalar = g.scalar;
        let mut k = KernelText {
            params: Params::new(),
            body: String::new(),
        };
        let (n_load, n_store) = self.neuron_params(g, &mut k.params);
        k.body.push_str(
            "    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    if (i >= n) return;\n",
        );
        let _ = writeln!(k.body, "    {scalar} isyn = 0;");
        let mut unused_ports = String::new();
        for f in pop.part.model.fields_of(FieldKind::Input) {
            let _ = writeln!(k.body, "    {scalar} n_{} = 0;", f.name);
            let _ = write!(unused_ports, " (void)n_{};", f.name);
        }
        k.body.push_str(&n_load);
        let decays = self.postsynaptic_inputs(g, &mut k)?;
        let cs_store = self.current_sources(g, &mut k)?;
        self.update(g, &mut k.body)?;
        k.body.push_str(&n_store);
        k.body.push_str(&decays);
        k.body.push_str(&cs_store);
        let side = neuron_side_code(g, self.pi, self.pb, self.groups, &mut k.params)?;
        k.body.push_str(&side);
        let _ = writeln!(
            k.body,
            "    (void)t; (void)dt; (void)isyn; (void)spiked;{unused_ports}"
        );
        let kernel = g.emit("neuron_update", &k.params, &k.body);
        Ok(Launch {
            kernel,
            threads: pop.size,
            args: k.params.args,
            phase: StepPhase::NeuronUpdate,
        })
    }

    /// The parameters of the step, the population's sizes, stream, spike
    /// queue and recording, constants, EGPs and variables; returns the
    /// loads and stores of the variables' registers `n_<var>`.
    fn neuron_params(&self, g: &mut Generator<'_>, params: &mut Params) -> (String, String) {
        let (net, pi, pb) = (g.net, self.pi, self.pb);
        let pop = &net.populations()[pi];
        let owner = format!("population `{}`", pop.name);
        let scalar = g.scalar;
        g.clock_params(params, true);
        params.push(format!("{scalar} dt"), ArgSpec::Scalar(net.dt()));
        params.push("snn_u64 seed".into(), ArgSpec::U64(net.seed()));
        params.push("unsigned int n".into(), ArgSpec::U32(pop.size));
        params.push(
            "unsigned int stream".into(),
            ArgSpec::U32(g.plan.populations[pi].stream),
        );
        params.buffer(CType::U32, "spk_cnt", self.spike_counts);
        params.push("unsigned int cnt_off".into(), ArgSpec::U32(pb.count_offset));
        params.push("unsigned int slots".into(), ArgSpec::U32(pb.slots));
        params.buffer(CType::U32, "spk", pb.spk);
        if let Some(rec) = pb.recording {
            params.buffer(CType::U32, "rec", rec);
            params.push("unsigned int rec_chunk".into(), ArgSpec::U32(self.chunk));
        }
        g.const_params(
            &pop.part,
            &owner,
            "nc",
            "ne_",
            params,
            Some(EgpPart::Population(PopulationId(pi as u32))),
        );
        g.var_registers(&pop.part, "n_", "nv", "i", params, &pb.vars)
    }

    /// The postsynaptic inputs onto this population (one per group, or
    /// fused), each with the model and constants of its first group:
    /// `apply_input` into the body; returns their `decay` code and stores.
    fn postsynaptic_inputs(
        &self,
        g: &mut Generator<'_>,
        k: &mut KernelText,
    ) -> Result<String, GenerateError> {
        let incoming: Vec<(usize, u32)> = g
            .plan
            .inputs
            .iter()
            .filter(|t| t.post.0 as usize == self.pi)
            .map(|t| (t.groups[0], t.ring_slots))
            .collect();
        let mut decays = String::new();
        for (n, &(gi, ring_slots)) in incoming.iter().enumerate() {
            decays.push_str(&self.postsynaptic_input(g, n, (gi, ring_slots), k)?);
        }
        Ok(decays)
    }

    /// The `n`-th postsynaptic input (`p<n>`), of group `gi` with a ring
    /// of `ring_slots`: its `in_syn` (plus the current ring slot) and
    /// `apply_input` into the body; returns its `decay` code and stores.
    fn postsynaptic_input(
        &self,
        g: &mut Generator<'_>,
        n: usize,
        (gi, ring_slots): (usize, u32),
        k: &mut KernelText,
    ) -> Result<String, GenerateError> {
        let net = g.net;
        let pop = &net.populations()[self.pi];
        let scalar = g.scalar;
        let sg = &net.synapse_groups()[gi];
        let gb = &self.groups[gi];
        let (params, body) = (&mut k.params, &mut k.body);
        let gowner = format!("synapse group `{}` (postsynaptic model)", sg.name);
        let prefix = format!("p{n}_");
        let in_syn = format!("p{n}_in");
        params.buffer(g.scalar_type(), &in_syn, gb.psm_vars[0]);
        params.push(
            format!("unsigned int p{n}_stream"),
            ArgSpec::U32(g.plan.groups[gi].psm_stream),
        );
        let _ = writeln!(body, "    {scalar} {prefix}in_syn = {in_syn}[i];");
        if let Some(r) = gb.ring {
            let ring = format!("p{n}_ring");
            params.buffer(g.scalar_type(), &ring, r);
            params.push(
                format!("unsigned int p{n}_ring_slots"),
                ArgSpec::U32(ring_slots),
            );
            let _ = writeln!(
                body,
                "    {{\n        const unsigned int r = (unsigned int)(step % p{n}_ring_slots) * n + i;\n        \
                 {prefix}in_syn += {ring}[r];\n        {ring}[r] = 0;\n    }}"
            );
        }
        let part = g.element_part(
            &sg.psm,
            &gowner,
            &format!("p{n}"),
            &gb.psm_vars[1..],
            params,
            None,
        );
        body.push_str(&part.load);
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
        body.push_str(&injecting(&format!("p{n}_stream"), scalar, &apply, &input));
        let decay = g.inline(&gowner, &sg.psm, Method::Decay, &names, &id_env, None)?;
        Ok(format!(
            "    {{\n        snn_rng rng = snn_rng_new(seed, p{n}_stream, (unsigned int)step, i);\n{}        (void)rng;\n    }}\n{}    {in_syn}[i] = {prefix}in_syn;\n",
            indent(&decay, 2),
            part.store,
        ))
    }

    /// The current sources onto this population (`c<k>`): `inject` into
    /// the body; returns the stores of their variables.
    fn current_sources(
        &self,
        g: &mut Generator<'_>,
        k: &mut KernelText,
    ) -> Result<String, GenerateError> {
        let net = g.net;
        let pop = &net.populations()[self.pi];
        let mut cs_store = String::new();
        let targeting = net
            .current_sources()
            .iter()
            .enumerate()
            .filter(|(_, cs)| cs.target.0 as usize == self.pi);
        for (n, (si, cs)) in targeting.enumerate() {
            let cowner = format!("current source `{}`", cs.name);
            k.params.push(
                format!("unsigned int c{n}_stream"),
                ArgSpec::U32(g.plan.sources[si].stream),
            );
            let part = g.element_part(
                &cs.part,
                &cowner,
                &format!("c{n}"),
                &self.sources[si],
                &mut k.params,
                Some(EgpPart::CurrentSource(CurrentSourceId(si as u32))),
            );
            k.body.push_str(&part.load);
            cs_store.push_str(&part.store);
            let names = part.names();
            let inject = g.inline(&cowner, &cs.part, Method::Inject, &names, &inject_env, None)?;
            let input = injection_target(pop.part.model, cs.target_port);
            k.body.push_str(&injecting(
                &format!("c{n}_stream"),
                g.scalar,
                &inject,
                &input,
            ));
        }
        Ok(cs_store)
    }

    /// The neuron update: `sim`, the threshold crossing (with the auto
    /// refractory check), `reset`, the spike into the queue and the
    /// recording.
    fn update(&self, g: &mut Generator<'_>, body: &mut String) -> Result<(), GenerateError> {
        let net = g.net;
        let pop = &net.populations()[self.pi];
        let owner = format!("population `{}`", pop.name);
        let names = FieldNames::basic("n_", "nc", "ne_", "n_");
        let mut inline =
            |method, result| g.inline(&owner, &pop.part, method, &names, &neuron_env, result);
        let was_above = if pop.part.model.auto_refractory {
            inline(Method::Threshold, Some("was_above"))?
        } else {
            String::new()
        };
        let sim = inline(Method::Sim, None)?;
        let thr = inline(Method::Threshold, Some("above"))?;
        let reset = inline(Method::Reset, None)?;
        let record = if self.pb.recording.is_some() {
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
        Ok(())
    }
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

/// Declares the stream, constants, EGPs and side variables `vars` of
/// group `gi`'s side `kind` under `tag` (see [`SidePart`]).
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

/// One group's side being written into a neuron kernel: the group, its
/// tag (`o<k>` outgoing, `q<k>` incoming) and its buffers.
struct Side<'a> {
    /// Index of the group.
    gi: usize,
    /// Prefix of the side's names in the kernel.
    tag: &'a str,
    /// The group's buffers.
    gb: &'a GroupBuffers,
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
        let methods = g.plan.groups[gi].methods;
        if sg.pre.0 as usize == pi && methods.pre_side() {
            let tag = format!("o{outgoing}");
            outgoing += 1;
            let side = Side { gi, tag: &tag, gb };
            code.push_str(&pre_side_code(g, &side, params)?);
        }
        if sg.post.0 as usize == pi && methods.post_spike {
            let tag = format!("q{incoming}");
            incoming += 1;
            let side = Side { gi, tag: &tag, gb };
            code.push_str(&post_side_code(g, &side, params)?);
        }
    }
    Ok(code)
}

/// An outgoing group's presynaptic side: `pre_spike` on a neuron that
/// spiked, then `event_threshold` ([`event_code`]).
fn pre_side_code(
    g: &mut Generator<'_>,
    s: &Side<'_>,
    params: &mut Params,
) -> Result<String, GenerateError> {
    let (net, scalar_t, tag) = (g.net, g.scalar_type(), s.tag);
    let sg = &net.synapse_groups()[s.gi];
    let owner = format!("synapse group `{}` (weight update)", sg.name);
    let methods = g.plan.groups[s.gi].methods;
    let part = side_part(g, s.gi, tag, FieldKind::PreVar, &s.gb.pre_vars, params);
    let (load, store) = (&part.load, &part.store);
    let set = format!("{tag}_set");
    let prev_set = format!("{tag}_prev_set");
    if let Some(e) = s.gb.events {
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
    let mut code = String::new();
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
        code.push_str(&event_code(g, s, &names, &env, params)?);
    }
    code.push_str("    }\n");
    Ok(code)
}

/// An outgoing group's `event_threshold` on every neuron: on an event
/// the event times move and the event enters the queue where
/// `on_pre_event` consumes it (the plan's rule).
fn event_code(
    g: &mut Generator<'_>,
    s: &Side<'_>,
    names: &FieldNames<'_>,
    env: &dyn Fn(EnvCall, &[String]) -> Option<String>,
    params: &mut Params,
) -> Result<String, GenerateError> {
    let tag = s.tag;
    let sg = &g.net.synapse_groups()[s.gi];
    let owner = format!("synapse group `{}` (weight update)", sg.name);
    let (set, prev_set) = (format!("{tag}_set"), format!("{tag}_prev_set"));
    let queue = s.gb.events.and_then(|e| e.queue);
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
        names,
        env,
        Some(&result),
    )?;
    Ok(format!(
        "        bool {result} = false;\n{}        if ({result}) {{\n            \
         {prev_set}[i] = {set}[i];\n            {set}[i] = t;{push}\n        }}\n",
        indent(&body, 2),
    ))
}

/// An incoming group's postsynaptic side: `post_spike` on a neuron that
/// spiked.
fn post_side_code(
    g: &mut Generator<'_>,
    s: &Side<'_>,
    params: &mut Params,
) -> Result<String, GenerateError> {
    let tag = s.tag;
    let sg = &g.net.synapse_groups()[s.gi];
    let owner = format!("synapse group `{}` (weight update)", sg.name);
    let part = side_part(g, s.gi, tag, FieldKind::PostVar, &s.gb.post_vars, params);
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
    Ok(format!(
        "    if (spiked) {{\n        snn_rng rng = snn_rng_new(seed, {tag}_stream, (unsigned int)step, i);\n{}{}{}        (void)rng;\n    }}\n",
        indent(load, 1),
        indent(&body, 2),
        indent(store, 1),
    ))
}
