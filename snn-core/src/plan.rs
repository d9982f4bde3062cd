//! The network plan: every fact about a simulation step that follows from
//! the network alone, computed once, read by every backend and by the
//! checkpoint code (GeNN's merged model, before any backend sees it).
//!
//! A step runs the [`StepPhase`]s in [`STEP_PHASES`] order (the semantics
//! are in docs/ARCHITECTURE.md, "Semantics of one step"). What a backend
//! must know to run them, and what a checkpoint must hold, is here:
//!
//! - per population ([`PopulationPlan`]): the spike-queue slots (one more
//!   than the longest outgoing axonal delay), its random stream, whether
//!   synapse code reads its spike times, which neuron variables
//!   weight-update models read through `#[pre_neuron_var]` /
//!   `#[post_neuron_var]` (backends that update neurons in place keep a copy
//!   of those, refreshed after each step);
//! - per synapse group ([`GroupPlan`]): which weight-update methods run
//!   ([`WuMethods`]), its postsynaptic input (several groups share one when
//!   fused, [`Network::set_fuse_postsynaptic`]), the event-queue slots
//!   (**the one event-queue rule**: a queue only where `on_pre_event`
//!   consumes the events `event_threshold` makes), whether it keeps event
//!   times, its random streams ([`GroupPlan::stream`]), and the referenced
//!   neuron variables resolved to indices;
//! - per current source ([`SourcePlan`]): its stream and references.
//!
//! ```
//! use snn_core::prelude::*;
//! use snn_core::plan::NetworkPlan;
//! let mut net = Network::new(0.1).unwrap();
//! let a = net
//!     .add_population("A", 10, Poisson { rate: 5.0 })
//!     .init("time_step_to_spike", 0.0)
//!     .build()
//!     .unwrap();
//! net.add_synapse_group("A->A", a, a, StaticPulse, ExpCurr { tau: 5.0 })
//!     .connectivity(Connectivity::OneToOne)
//!     .wu_init("g", 0.5)
//!     .axonal_delay(3)
//!     .build()
//!     .unwrap();
//! let plan = NetworkPlan::new(&net);
//! assert_eq!(plan.populations[0].spike_slots, 4);
//! assert_eq!(plan.groups[0].event_slots, 0);
//! ```

use crate::dsl::Method;
use crate::model::{FieldKind, ModelDesc, POST_SPIKE_TIMES, PRE_EVENT_TIMES, PRE_SPIKE_TIMES};
use crate::network::{Network, PostsynapticTarget};
use crate::rng::{stream_id, synapse_key, StreamPurpose};

/// The phases of one step, in the order every backend runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepPhase {
    /// `on_pre_spike` over the rows of the spikes of step `s - 1 - d`.
    PreSpikes,
    /// `on_pre_event` over the rows of the events of step `s - 1 - d`.
    PreEvents,
    /// `on_post_spike` over the columns of the postsynaptic spikes of step `s - 1`.
    PostSpikes,
    /// `synapse_dynamics` over every synapse.
    SynapseDynamics,
    /// Per neuron: ring slot into `in_syn`, `apply_input`, current sources,
    /// `sim`, `threshold`, `reset`, `decay`; spikes into the queue.
    NeuronUpdate,
    /// For neurons that spiked: spike times move, `pre_spike`, `post_spike`;
    /// then `event_threshold` on every neuron and events into their queues.
    AfterSpikes,
}

/// Every phase of a step, in order.
pub const STEP_PHASES: [StepPhase; 6] = [
    StepPhase::PreSpikes,
    StepPhase::PreEvents,
    StepPhase::PostSpikes,
    StepPhase::SynapseDynamics,
    StepPhase::NeuronUpdate,
    StepPhase::AfterSpikes,
];

/// The `sub` of weight-update `method`'s random stream
/// (`stream_id(SynapseSim, group, sub)`); `None` for `event_threshold`,
/// which cannot draw, and for the methods of other kinds (which draw from
/// their own streams).
pub const fn stream_sub(method: Method) -> Option<u32> {
    match method {
        Method::OnPreSpike => Some(0),
        Method::OnPreEvent => Some(1),
        Method::OnPostSpike => Some(2),
        Method::SynapseDynamics => Some(3),
        Method::PreSpike => Some(4),
        Method::PostSpike => Some(5),
        Method::EventThreshold
        | Method::Sim
        | Method::Threshold
        | Method::Reset
        | Method::ApplyInput
        | Method::Decay
        | Method::Inject
        | Method::Init
        | Method::RowBuild => None,
    }
}

/// Which weight-update methods run for a group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WuMethods {
    /// `on_pre_spike`.
    pub on_pre_spike: bool,
    /// `on_pre_event`: only with `event_threshold` (no events without one).
    pub on_pre_event: bool,
    /// `on_post_spike`.
    pub on_post_spike: bool,
    /// `synapse_dynamics`.
    pub synapse_dynamics: bool,
    /// `pre_spike`.
    pub pre_spike: bool,
    /// `post_spike`.
    pub post_spike: bool,
    /// `event_threshold`.
    pub event_threshold: bool,
}

impl WuMethods {
    /// The methods `m` defines that run.
    pub fn of(m: &ModelDesc) -> WuMethods {
        let has = |w: Method| m.has_method(w);
        WuMethods {
            on_pre_spike: has(Method::OnPreSpike),
            on_pre_event: has(Method::OnPreEvent) && has(Method::EventThreshold),
            on_post_spike: has(Method::OnPostSpike),
            synapse_dynamics: has(Method::SynapseDynamics),
            pre_spike: has(Method::PreSpike),
            post_spike: has(Method::PostSpike),
            event_threshold: has(Method::EventThreshold),
        }
    }

    /// Whether anything runs on the presynaptic neurons after the neuron
    /// update (`pre_spike` or `event_threshold`).
    pub fn pre_side(&self) -> bool {
        self.pre_spike || self.event_threshold
    }
}

/// What a backend must know about one population.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopulationPlan {
    /// Spike-queue slots: one more than the longest outgoing axonal delay
    /// (the spikes of step `s` are in slot `s % spike_slots`).
    pub spike_slots: u32,
    /// Whether some weight-update model reads this population's spike times.
    pub spike_times_read: bool,
    /// The neuron model's random stream.
    pub stream: u32,
    /// Per neuron variable: whether a weight-update model reads it through
    /// `#[pre_neuron_var]` / `#[post_neuron_var]`.
    pub referenced: Vec<bool>,
}

/// What a backend must know about one synapse group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupPlan {
    /// Presynaptic population (index).
    pub pre: usize,
    /// Postsynaptic population (index).
    pub post: usize,
    /// Axonal delay (steps).
    pub axonal_delay: u32,
    /// The weight-update methods that run.
    pub methods: WuMethods,
    /// Event-queue slots: `axonal_delay + 1` where `on_pre_event` runs, else
    /// 0 (no queue). The one rule of every backend and of checkpoints.
    pub event_slots: u32,
    /// Whether the group keeps event times (`set` / `prev_set`): with
    /// `event_threshold`, or when its code reads them (then they stay
    /// "no event").
    pub event_times: bool,
    /// Whether the synapse code reads spike or event times.
    pub synapse_reads_times: bool,
    /// Whether any method writes a variable.
    pub writes: bool,
    /// The postsynaptic input (index in [`NetworkPlan::inputs`]).
    pub input: usize,
    /// The postsynaptic model's random stream (the input's first group's
    /// when fused).
    pub psm_stream: u32,
    /// Neuron variables of the target read by the postsynaptic model
    /// (`#[neuron_var]`): indices in the neuron model's variables.
    pub psm_refs: Vec<usize>,
    /// `#[pre_neuron_var]`s: indices in the presynaptic model's variables.
    pub pre_refs: Vec<usize>,
    /// `#[post_neuron_var]`s: indices in the postsynaptic model's variables.
    pub post_refs: Vec<usize>,
    /// Whether the model has pre/post variables or neuron references.
    pub has_sides: bool,
    group: u32,
    /// Philox keys of the synapse code's draws, by `stream_sub`.
    synapse_keys: [[u32; 2]; 4],
}

impl GroupPlan {
    /// The random stream of weight-update `method` (`None` for
    /// `event_threshold`, which cannot draw, and for other kinds' methods).
    pub fn stream(&self, method: Method) -> Option<u32> {
        stream_sub(method).map(|sub| stream_id(StreamPurpose::SynapseSim, self.group, sub))
    }

    /// The Philox key of synapse-code `method`'s draws
    /// ([`RngStream::synapse`](crate::rng::RngStream::synapse)); `None`
    /// for the methods that run per neuron.
    pub fn synapse_key(&self, method: Method) -> Option<[u32; 2]> {
        match stream_sub(method) {
            Some(sub) if method.is_synapse_code() => Some(self.synapse_keys[sub as usize]),
            _ => None,
        }
    }
}

/// What a backend must know about one current source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePlan {
    /// Target population (index).
    pub target: usize,
    /// The source's random stream.
    pub stream: u32,
    /// Neuron variables it reads (`#[neuron_var]`): indices in the target's model.
    pub refs: Vec<usize>,
}

/// Every fact about a step that follows from a network ([module docs](self)).
#[derive(Clone, Debug)]
pub struct NetworkPlan {
    /// Per population, in network order.
    pub populations: Vec<PopulationPlan>,
    /// Per synapse group, in network order.
    pub groups: Vec<GroupPlan>,
    /// The postsynaptic inputs ([`Network::postsynaptic_targets`]).
    pub inputs: Vec<PostsynapticTarget>,
    /// Per current source, in network order.
    pub sources: Vec<SourcePlan>,
}

impl NetworkPlan {
    /// The plan of `net`.
    pub fn new(net: &Network) -> NetworkPlan {
        let (inputs, input_of) = net.postsynaptic_targets();
        let mut populations: Vec<PopulationPlan> = net
            .populations()
            .iter()
            .enumerate()
            .map(|(i, p)| PopulationPlan {
                spike_slots: 1,
                spike_times_read: false,
                stream: stream_id(StreamPurpose::NeuronSim, i as u32, 0),
                referenced: vec![false; p.part.model.fields_of(FieldKind::Var).count()],
            })
            .collect();
        let mut groups = Vec::with_capacity(net.synapse_groups().len());
        for (gi, g) in net.synapse_groups().iter().enumerate() {
            let (pre, post) = (g.pre.0 as usize, g.post.0 as usize);
            let m = g.wu.model;
            let pre_model = net.populations()[pre].part.model;
            let post_model = net.populations()[post].part.model;
            let pre_refs = bound_refs(m, FieldKind::PreNeuronVar, pre_model);
            let post_refs = bound_refs(m, FieldKind::PostNeuronVar, post_model);
            let psm_refs = bound_refs(g.psm.model, FieldKind::NeuronVar, post_model);
            for &k in &pre_refs {
                populations[pre].referenced[k] = true;
            }
            for &k in &post_refs {
                populations[post].referenced[k] = true;
            }
            let slots = &mut populations[pre].spike_slots;
            *slots = (*slots).max(g.axonal_delay + 1);
            if m.uses_any(&PRE_SPIKE_TIMES) {
                populations[pre].spike_times_read = true;
            }
            if m.uses_any(&POST_SPIKE_TIMES) {
                populations[post].spike_times_read = true;
            }
            let methods = WuMethods::of(m);
            let input = input_of[gi];
            let first = inputs[input].groups[0];
            groups.push(GroupPlan {
                pre,
                post,
                axonal_delay: g.axonal_delay,
                methods,
                event_slots: if methods.on_pre_event {
                    g.axonal_delay + 1
                } else {
                    0
                },
                event_times: methods.event_threshold || m.uses_any(&PRE_EVENT_TIMES),
                synapse_reads_times: synapse_reads_times(m),
                writes: m.methods.iter().any(|mi| !mi.writes.is_empty()),
                input,
                psm_stream: stream_id(StreamPurpose::PostsynapticSim, first as u32, 0),
                psm_refs,
                pre_refs,
                post_refs,
                has_sides: [
                    FieldKind::PreVar,
                    FieldKind::PostVar,
                    FieldKind::PreNeuronVar,
                    FieldKind::PostNeuronVar,
                ]
                .iter()
                .any(|&k| m.fields_of(k).next().is_some()),
                group: gi as u32,
                synapse_keys: std::array::from_fn(|sub| {
                    let stream = stream_id(StreamPurpose::SynapseSim, gi as u32, sub as u32);
                    synapse_key(net.seed(), stream)
                }),
            });
        }
        let sources = net
            .current_sources()
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let target = s.target.0 as usize;
                let model = net.populations()[target].part.model;
                SourcePlan {
                    target,
                    stream: stream_id(StreamPurpose::CurrentSourceSim, i as u32, 0),
                    refs: bound_refs(s.part.model, FieldKind::NeuronVar, model),
                }
            })
            .collect();
        NetworkPlan {
            populations,
            groups,
            inputs,
            sources,
        }
    }
}

/// Whether the synapse code of `m` reads spike or event times.
fn synapse_reads_times(m: &ModelDesc) -> bool {
    let times = PRE_SPIKE_TIMES
        .iter()
        .chain(&POST_SPIKE_TIMES)
        .chain(&PRE_EVENT_TIMES);
    m.methods
        .iter()
        .filter(|mi| mi.method.is_synapse_code())
        .any(|mi| times.clone().any(|&c| mi.uses_env(c)))
}

/// The references of kind `kind` of `m` (`#[neuron_var]`,
/// `#[pre_neuron_var]`, `#[post_neuron_var]`), as indices among the
/// variables of `neuron`.
fn bound_refs(m: &ModelDesc, kind: FieldKind, neuron: &ModelDesc) -> Vec<usize> {
    m.fields_of(kind)
        .map(|f| {
            neuron.index_of(FieldKind::Var, f.bind).unwrap_or_else(|| {
                panic!(
                    "internal error: `{}` references `{}`, which `{}` lacks (the network builder checks this)",
                    m.name, f.bind, neuron.name
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsl::ModelKind;
    use crate::prelude::*;

    #[test]
    fn spike_queue_slots_are_one_more_than_the_longest_axonal_delay() {
        let mut net = Network::new(0.1).unwrap();
        let a = net
            .add_population("A", 2, Poisson { rate: 1.0 })
            .init("time_step_to_spike", 0.0)
            .build()
            .unwrap();
        let b = net
            .add_population("B", 2, Poisson { rate: 1.0 })
            .init("time_step_to_spike", 0.0)
            .build()
            .unwrap();
        let c = net
            .add_population("C", 2, Poisson { rate: 1.0 })
            .init("time_step_to_spike", 0.0)
            .build()
            .unwrap();
        for (name, d) in [("AC1", 1), ("AC7", 7)] {
            net.add_synapse_group(name, a, c, StaticPulse, DeltaCurr)
                .connectivity(Connectivity::AllToAll { autapses: true })
                .wu_init("g", 1.0)
                .axonal_delay(d)
                .build()
                .unwrap();
        }
        let plan = NetworkPlan::new(&net);
        assert_eq!(plan.populations[0].spike_slots, 8);
        assert_eq!(plan.populations[b.0 as usize].spike_slots, 1);
        assert_eq!(plan.populations[c.0 as usize].spike_slots, 1);
    }

    /// A weight-update model with an event condition but no `on_pre_event`.
    #[crate::weight_update_model]
    struct ThresholdOnly {
        #[var]
        g: Scalar,
    }

    #[crate::weight_update_model]
    impl ThresholdOnly {
        fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
            env.add_to_post(self.g);
        }
        fn event_threshold(&self, env: &WeightUpdateEnv) -> bool {
            env.t() > 1.0
        }
    }

    #[test]
    fn an_event_queue_only_where_on_pre_event_consumes_the_events() {
        let mut net = Network::new(0.1).unwrap();
        let a = net
            .add_population("A", 3, Poisson { rate: 1.0 })
            .init("time_step_to_spike", 0.0)
            .build()
            .unwrap();
        net.add_synapse_group("T", a, a, ThresholdOnly, DeltaCurr)
            .connectivity(Connectivity::OneToOne)
            .wu_init("g", 1.0)
            .axonal_delay(2)
            .build()
            .unwrap();
        let plan = NetworkPlan::new(&net);
        let g = &plan.groups[0];
        assert!(g.methods.event_threshold && !g.methods.on_pre_event);
        assert_eq!(g.event_slots, 0, "no queue without on_pre_event");
        assert!(g.event_times, "the event times still move");
        assert_eq!(plan.populations[0].spike_slots, 3);
    }

    #[test]
    fn streams_of_one_group_are_distinct_and_follow_the_layout() {
        let mut net = Network::new(0.1).unwrap();
        let a = net
            .add_population("A", 3, Poisson { rate: 1.0 })
            .init("time_step_to_spike", 0.0)
            .build()
            .unwrap();
        for name in ["G0", "G1"] {
            net.add_synapse_group(name, a, a, StaticPulse, DeltaCurr)
                .connectivity(Connectivity::OneToOne)
                .wu_init("g", 1.0)
                .build()
                .unwrap();
        }
        let plan = NetworkPlan::new(&net);
        let mut seen = std::collections::HashSet::new();
        for g in &plan.groups {
            for &m in ModelKind::WeightUpdate.methods() {
                if let Some(s) = g.stream(m) {
                    assert!(seen.insert(s), "stream {s:#x} used twice");
                }
            }
        }
        assert_eq!(
            plan.groups[1].stream(Method::PostSpike),
            Some(stream_id(StreamPurpose::SynapseSim, 1, 5))
        );
        assert_eq!(plan.groups[1].stream(Method::EventThreshold), None);
        assert_eq!(plan.groups[1].stream(Method::Sim), None);
    }
}
