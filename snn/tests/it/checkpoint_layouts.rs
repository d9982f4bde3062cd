//! Checkpoints (`save_state` / `load_state`) on a second network, with
//! the state `checkpoint.rs` does not reach: pre/post traces, voltage
//! events with an axonal delay, spike times changed through an extra
//! global parameter, and connectivity with longer rows than a GPU
//! simulation was built for (its kernels are regenerated). A run
//! interrupted by a checkpoint and continued in a new simulation equals the
//! uninterrupted run bit for bit; a state survives a round trip; states
//! that do not fit are refused without changing the simulation.

use crate::common::{add_source, dopamine_stdp};
use snn::ir::IrType;
use snn::prelude::*;
use snn::state::SimState;
use snn::var::VarArray;

/// Spike-like events while the presynaptic neuron's `v` is above
/// `v_event`; each event adds `g` to the target (with the group's axonal
/// delay) and counts.
#[weight_update_model]
pub struct VoltageEvents {
    #[param]
    v_event: Scalar,
    #[var]
    g: Scalar,
    #[var]
    count: Scalar,
    #[pre_neuron_var(v)]
    v_pre: Scalar,
}

#[weight_update_model]
impl VoltageEvents {
    fn on_pre_event(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post(self.g);
        self.count += 1.0;
    }
    fn event_threshold(&self, env: &WeightUpdateEnv) -> bool {
        self.v_pre > self.v_event
    }
}

fn lif() -> Lif {
    Lif {
        c: 1.0,
        tau_m: 20.0,
        v_rest: -70.0,
        v_reset: -70.0,
        v_thresh: -55.0,
        i_offset: 0.0,
        tau_refrac: 2.0,
    }
}

fn stdp() -> StdpAdditive {
    StdpAdditive {
        tau_plus: 16.8,
        tau_minus: 33.7,
        a_plus: 0.25,
        a_minus: 0.125,
        w_min: 0.0,
        w_max: 4.0,
    }
}

/// A plastic network with every kind of state: Poisson input, STDP with
/// pre/post traces onto LIF neurons, axonal and dendritic delays into one
/// fused input, dopamine STDP with spike-like events driven by an extra
/// global parameter, voltage events with an axonal delay, a spike source
/// whose spike times (an extra global parameter) are changed, a current
/// source with a variable, spike and variable recordings.
fn plastic_net() -> Network {
    let mut net = Network::new(0.5).unwrap();
    net.set_fuse_postsynaptic(true);
    let src = net
        .add_population("Src", 40, Poisson { rate: 40.0 })
        .init("time_step_to_spike", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let exc = net
        .add_population("Exc", 30, lif())
        .init("v", VarInit::uniform(-70.0, -56.0))
        .init("refrac_time", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let izh = net
        .add_population(
            "Izh",
            20,
            Izhikevich {
                a: 0.02,
                b: 0.2,
                c: -65.0,
                d: 8.0,
            },
        )
        .init("v", -65.0)
        .init("u", -13.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let cue_steps: Vec<Vec<u64>> = (0..6).map(|i| vec![20 + 5 * i, 60 + 3 * i]).collect();
    let cue = add_source(&mut net, "Cue", &cue_steps);
    net.add_synapse_group("Plastic", src, exc, stdp(), ExpCurr { tau: 5.0 })
        .connectivity(Connectivity::FixedProbability {
            p: 0.3,
            autapses: true,
        })
        .wu_init("g", VarInit::uniform(0.5, 2.0))
        .pre_init("x", 0.0)
        .post_init("y", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("Axonal", src, exc, StaticPulse, ExpCurr { tau: 5.0 })
        .connectivity(Connectivity::FixedNumberPost {
            n: 4,
            autapses: true,
        })
        .wu_init("g", 1.5)
        .axonal_delay(4)
        .build()
        .unwrap();
    net.add_synapse_group(
        "Dendritic",
        src,
        exc,
        StaticPulseDendriticDelay,
        ExpCurr { tau: 5.0 },
    )
    .connectivity(Connectivity::FixedNumberPost {
        n: 5,
        autapses: true,
    })
    .wu_init("g", 0.75)
    .wu_init("d", VarInit::uniform(0.0, 6.0))
    .max_dendritic_delay(6)
    .build()
    .unwrap();
    net.add_synapse_group("Recurrent", exc, exc, StaticPulse, ExpCurr { tau: 2.0 })
        .connectivity(Connectivity::FixedProbability {
            p: 0.2,
            autapses: false,
        })
        .wu_init("g", 0.5)
        .axonal_delay(2)
        .build()
        .unwrap();
    net.add_synapse_group("DA", src, izh, dopamine_stdp(), DeltaCurr)
        .connectivity(Connectivity::FixedProbability {
            p: 0.4,
            autapses: true,
        })
        .wu_init("g", 4.0)
        .wu_init("c", 0.0)
        .wu_init("t_last", 0.0)
        .wu_egp("inject_dopamine", vec![0.0])
        .build()
        .unwrap();
    net.add_synapse_group(
        "Events",
        exc,
        izh,
        VoltageEvents { v_event: -58.0 },
        DeltaCurr,
    )
    .connectivity(Connectivity::FixedProbability {
        p: 0.3,
        autapses: true,
    })
    .wu_init("g", 1.0)
    .wu_init("count", 0.0)
    .axonal_delay(3)
    .build()
    .unwrap();
    net.add_synapse_group("CueIzh", cue, izh, StaticPulse, DeltaCurr)
        .connectivity(Connectivity::AllToAll { autapses: true })
        .wu_init("g", 8.0)
        .build()
        .unwrap();
    net.add_current_source(
        "Noise",
        izh,
        PoissonExp {
            weight: 2.0,
            tau_syn: 3.0,
            rate: 200.0,
        },
    )
    .init("current", 0.0)
    .build()
    .unwrap();
    net.record_var(exc, "v", Neurons::Ids(vec![0, 3, 7, 29]), 3)
        .unwrap();
    net.record_var(izh, "u", Neurons::All, 7).unwrap();
    net
}

/// Host actions at fixed steps: dopamine deliveries, new cue spike times,
/// spike recording of `Izh` off and on.
fn act(sim: &mut dyn Simulation, step: u64) {
    let dt = sim.network().dt();
    match step {
        100 | 300 => sim
            .set_egp(EgpOwner::group("DA"), "inject_dopamine", &[1.0])
            .unwrap(),
        101 | 301 => sim
            .set_egp(EgpOwner::group("DA"), "inject_dopamine", &[0.0])
            .unwrap(),
        120 => {
            // Every cue neuron's second spike moves later (same length).
            let times: Vec<f64> = (0..6)
                .flat_map(|i| [(20 + 5 * i) as f64 * dt, (200 + 7 * i) as f64 * dt])
                .collect();
            sim.set_egp(EgpOwner::population("Cue"), "spike_times", &times)
                .unwrap();
        }
        150 => sim.set_spike_recording("Izh", false).unwrap(),
        250 => sim.set_spike_recording("Izh", true).unwrap(),
        _ => {}
    }
}

const ACTION_STEPS: [u64; 7] = [100, 101, 120, 150, 250, 300, 301];

/// Runs `sim` from its current step to `to`, with the host actions.
fn drive(sim: &mut dyn Simulation, to: u64) {
    while sim.step_count() < to {
        let now = sim.step_count();
        act(sim, now);
        let next = ACTION_STEPS
            .iter()
            .copied()
            .filter(|&s| s > now)
            .min()
            .unwrap_or(to)
            .min(to);
        sim.run_steps(next - now).unwrap();
    }
}

const POPULATIONS: [&str; 4] = ["Src", "Exc", "Izh", "Cue"];

/// Every weight-update variable of every group, in row-major order.
fn weights(sim: &dyn Simulation) -> Vec<(String, String, Vec<f64>)> {
    let net = sim.network().clone();
    let mut out = Vec::new();
    for g in net.synapse_groups() {
        for var in g.wu.model.var_names() {
            let values = sim.synapse_var_values(&g.name, var).unwrap();
            out.push((g.name.clone(), var.to_string(), values));
        }
    }
    out
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

snn::backend_tests! {
    fn continued_run_equals_uninterrupted(backend) {
        let net = plastic_net();
        let (n, k) = (400, 170);
        let Some(mut whole) = backend.build(&net) else { return };
        drive(&mut *whole, n);

        let Some(mut first) = backend.build(&net) else { return };
        drive(&mut *first, k);
        let state = first.save_state().unwrap();
        assert_eq!(state.step, k);
        assert!(!state.populations[2].recording.as_ref().unwrap().on, "Izh is off at the checkpoint");
        let Some(mut second) = backend.build(&net) else { return };
        second.load_state(&state).unwrap();
        assert_eq!(second.step_count(), k);
        drive(&mut *second, n);

        for p in POPULATIONS {
            let a = whole.spikes(p).unwrap();
            let b = second.spikes(p).unwrap();
            assert!(a.len() > 10, "too few `{p}` spikes to compare: {}", a.len());
            assert_eq!(a.ids, b.ids, "`{p}` spikes");
            assert_eq!(bits(&a.times), bits(&b.times), "`{p}` spike times");
        }
        for ((g, var, a), (_, _, b)) in weights(&*whole).into_iter().zip(weights(&*second)) {
            assert_eq!(bits(&a), bits(&b), "`{g}`.`{var}`");
        }
        let plastic = whole.synapse_var_values("Plastic", "g").unwrap();
        let first_g = first.synapse_var_values("Plastic", "g").unwrap();
        assert_ne!(plastic, first_g, "STDP changed weights after the checkpoint");
        let da = whole.synapse_var_values("DA", "t_last").unwrap();
        assert!(da.iter().any(|&t| t >= 300.0 * 0.5), "the second delivery arrived");
        let events = whole.synapse_var_values("Events", "count").unwrap();
        assert!(events.iter().any(|&c| c > 0.0), "voltage events were delivered");
        for r in 0..2 {
            let id = VarRecordingId(r);
            let (a, b) = (whole.recorded_var(id).unwrap(), second.recorded_var(id).unwrap());
            assert_eq!(bits(&a.times), bits(&b.times));
            assert_eq!(bits(&a.values), bits(&b.values));
        }
        // Everything else too: the complete states are equal.
        assert_eq!(whole.save_state().unwrap(), second.save_state().unwrap());
    }

    fn state_round_trip(backend) {
        let net = plastic_net();
        let Some(mut sim) = backend.build(&net) else { return };
        drive(&mut *sim, 233);
        let state = sim.save_state().unwrap();
        // Queues hold the right history lengths and the recent spikes.
        let plan = snn::plan::NetworkPlan::new(&net);
        for (ps, pp) in state.populations.iter().zip(&plan.populations) {
            assert_eq!(ps.recent_spikes.len(), pp.spike_slots as usize);
        }
        assert_eq!(state.populations[1].recent_spikes.len(), 4, "Exc: Events' delay 3 + 1");
        assert_eq!(state.synapse_groups[5].recent_events.len(), 4, "Events: delay 3 + 1");
        assert_eq!(state.synapse_groups[4].recent_events.len(), 1, "DA: no delay");
        assert!(state.populations[0].spike_times.is_some(), "STDP reads Src's spike times");
        // Plastic, Axonal and Dendritic fused; Recurrent alone; DA, Events and
        // CueIzh fused.
        assert_eq!(state.postsynaptic_targets.len(), 3);
        assert_eq!(state.postsynaptic_targets[0].ring.len(), 7 * 30);
        sim.load_state(&state).unwrap();
        assert_eq!(sim.save_state().unwrap(), state);
        // And into a new simulation.
        let Some(mut other) = backend.build(&net) else { return };
        other.load_state(&state).unwrap();
        assert_eq!(other.save_state().unwrap(), state);
        // Both continue alike.
        drive(&mut *sim, 300);
        drive(&mut *other, 300);
        assert_eq!(sim.save_state().unwrap(), other.save_state().unwrap());
        // A state of step 0 restores a fresh simulation.
        let Some(mut fresh) = backend.build(&net) else { return };
        let initial = fresh.save_state().unwrap();
        sim.load_state(&initial).unwrap();
        assert_eq!(sim.save_state().unwrap(), initial);
        drive(&mut *sim, 50);
        drive(&mut *fresh, 50);
        assert_eq!(sim.save_state().unwrap(), fresh.save_state().unwrap());
    }

    fn states_that_do_not_fit_are_refused(backend) {
        let net = plastic_net();
        let Some(mut sim) = backend.build(&net) else { return };
        drive(&mut *sim, 60);
        let state = sim.save_state().unwrap();
        let refused = |sim: &mut Box<dyn Simulation>, bad: SimState, what: &str| {
            let err = sim.load_state(&bad).unwrap_err();
            assert!(matches!(err, Error::Checkpoint { .. }), "{what}: {err}");
            assert!(err.to_string().contains(what), "{what}: {err}");
            // Nothing changed.
            assert_eq!(sim.save_state().unwrap(), state);
        };
        let mut bad = state.clone();
        bad.synapse_groups[0].connectivity.num_post += 1;
        refused(&mut sim, bad, "synapse group `Plastic`, connectivity");
        let mut bad = state.clone();
        let c = &mut bad.synapse_groups[1].connectivity;
        c.ind[0] = 30;
        refused(&mut sim, bad, "synapse group `Axonal`, connectivity");
        let mut bad = state.clone();
        // A longer row without its synapses' values.
        let c = &mut bad.synapse_groups[1].connectivity;
        c.ind.insert(0, 0);
        for p in &mut c.row_ptr[1..] {
            *p += 1;
        }
        refused(&mut sim, bad, "synapse group `Axonal`");
        let mut bad = state.clone();
        bad.populations[1].vars[0] = VarArray::zeros(IrType::Scalar, net.precision(), 29);
        refused(&mut sim, bad, "population `Exc`, variable `v`");
        let mut bad = state.clone();
        bad.populations[1].recent_spikes.pop();
        refused(&mut sim, bad, "population `Exc`, spike queue");
        let mut bad = state.clone();
        bad.postsynaptic_targets[0].ring = VarArray::zeros(IrType::Scalar, net.precision(), 30);
        refused(&mut sim, bad, "dendritic-delay ring");
        let mut bad = state.clone();
        bad.seed += 1;
        refused(&mut sim, bad, "seed");
        // Still runs.
        sim.run_steps(10).unwrap();
    }

    fn longer_rows_than_built_for(backend) {
        // STDP (with a column-wise view) over FixedNumberPost { n }: the
        // ragged stride is n. A checkpoint whose first row has every target
        // does not fit a simulation built with n = 2: it is regenerated,
        // and runs like one built with n = 10 (where the rows fit).
        let build = |n: u32| {
            let mut net = Network::new(0.5).unwrap();
            let src = net
                .add_population("Src", 10, Poisson { rate: 80.0 })
                .init("time_step_to_spike", 0.0)
                .record_spikes(true)
                .build()
                .unwrap();
            let dst = net
                .add_population("Dst", 10, lif())
                .init("v", VarInit::uniform(-70.0, -56.0))
                .init("refrac_time", 0.0)
                .record_spikes(true)
                .build()
                .unwrap();
            net.add_synapse_group("S", src, dst, stdp(), ExpCurr { tau: 5.0 })
                .connectivity(Connectivity::FixedNumberPost { n, autapses: true })
                .wu_init("g", 3.0)
                .pre_init("x", 0.0)
                .post_init("y", 0.0)
                .build()
                .unwrap();
            net
        };
        let Some(mut small) = backend.build(&build(2)) else { return };
        small.run_steps(50).unwrap();
        let mut state = small.save_state().unwrap();
        // Row 0 gets every target, with weight 2.5 for the new synapses.
        let sg = &mut state.synapse_groups[0];
        let c = &mut sg.connectivity;
        let old: Vec<u32> = c.ind[..c.row_ptr[1] as usize].to_vec();
        let g_old = sg.wu_vars[0].to_f64();
        let mut row = Vec::new();
        let mut g_row = Vec::new();
        for j in 0..10u32 {
            row.push(j);
            g_row.push(match old.iter().position(|&o| o == j) {
                Some(k) => g_old[k],
                None => 2.5,
            });
        }
        let added = row.len() as u64 - c.row_ptr[1];
        c.ind.splice(..c.row_ptr[1] as usize, row);
        let g_new: Vec<f64> = g_row.into_iter().chain(g_old[old.len()..].iter().copied()).collect();
        for p in &mut c.row_ptr[1..] {
            *p += added;
        }
        let mut g = VarArray::zeros(IrType::Scalar, Precision::F32, g_new.len());
        for (i, &x) in g_new.iter().enumerate() {
            g.set_f64(i, x);
        }
        sg.wu_vars[0] = g;
        small.load_state(&state).unwrap();
        assert_eq!(small.save_state().unwrap(), state);
        assert_eq!(small.connectivity("S").unwrap(), state.synapse_groups[0].connectivity);
        let Some(mut big) = backend.build(&build(10)) else { return };
        big.load_state(&state).unwrap();
        small.run_steps(200).unwrap();
        big.run_steps(200).unwrap();
        let end = small.save_state().unwrap();
        assert_eq!(end, big.save_state().unwrap());
        assert!(small.spikes("Dst").unwrap().len() > 10);
        assert_ne!(end.synapse_groups[0].wu_vars, state.synapse_groups[0].wu_vars, "STDP ran");
    }
}
