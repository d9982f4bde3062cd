//! Checkpoints: a run interrupted, saved, restored into a new simulation
//! and continued must give exactly what the uninterrupted run gives
//! (spikes, every variable, recordings: the whole final state), on every
//! backend; and a state taken on one backend restores on another.

use crate::common::{add_source, exact_plastic_network, lif, one_spike_per_step};
use snn::checkpoint::{self, CheckpointError, Checkpointer};
use snn::io::IoError;
use snn::prelude::*;
use snn::testing::TestBackend;

/// A fresh path in this test binary's scratch directory.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("snn_checkpoint_test_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// Steps of every run, and the step the interrupted runs stop at.
const STEPS: u64 = 600;
const CUT: u64 = 257;

/// A plastic network touching every piece of state: Poisson input (random
/// draws during the run), Izhikevich neurons with a noise current,
/// dopamine-modulated STDP with its spike-like events and extra global
/// parameter, fused postsynaptic inputs, axonal delays, a dendritic-delay
/// ring, exponential synapses, spike recording and a variable recording.
fn plastic_network(precision: Precision) -> Network {
    let mut net = Network::new(0.5).unwrap();
    net.set_precision(precision).set_seed(1234);
    let input = net
        .add_population("In", 60, Poisson { rate: 40.0 })
        .init("time_step_to_spike", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let izh = |d| Izhikevich {
        a: 0.02,
        b: 0.2,
        c: -65.0,
        d,
    };
    let exc = net
        .add_population("E", 80, izh(8.0))
        .init("v", VarInit::uniform(-70.0, -60.0))
        .init("u", -13.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let inh = net
        .add_population("I", 20, izh(2.0))
        .init("v", -65.0)
        .init("u", -13.0)
        .record_spikes(true)
        .build()
        .unwrap();
    net.record_var(exc, "v", Neurons::Ids(vec![0, 7, 79]), 3)
        .unwrap();
    let stdp = DopamineStdp {
        tau_plus: 20.0,
        tau_minus: 20.0,
        tau_c: 100.0,
        tau_d: 20.0,
        a_plus: 0.1,
        a_minus: 0.15,
        d_amount: 0.5,
        w_min: 0.0,
        w_max: 8.0,
    };
    let sparse = |p| Connectivity::FixedProbability { p, autapses: false };
    for (name, post) in [("InE", exc), ("InI", inh)] {
        net.add_synapse_group(name, input, post, stdp.clone(), DeltaCurr)
            .connectivity(sparse(0.2))
            .wu_init("g", VarInit::uniform(2.0, 6.0))
            .wu_init("c", 0.0)
            .wu_init("t_last", 0.0)
            .wu_egp("inject_dopamine", vec![0.0])
            .build()
            .unwrap();
    }
    // Two groups into E's fused `isyn` input, one with dendritic delays.
    net.add_synapse_group("EE", exc, exc, StaticPulse, DeltaCurr)
        .connectivity(sparse(0.1))
        .wu_init("g", 0.5)
        .axonal_delay(2)
        .build()
        .unwrap();
    net.add_synapse_group("IE", inh, exc, StaticPulseDendriticDelay, DeltaCurr)
        .connectivity(sparse(0.3))
        .wu_init("g", -1.5)
        .wu_init("d", VarInit::uniform(0.0, 7.0))
        .max_dendritic_delay(6)
        .build()
        .unwrap();
    net.add_synapse_group("EI", exc, inh, StaticPulse, ExpCurr { tau: 3.0 })
        .connectivity(sparse(0.2))
        .wu_init("g", 1.0)
        .build()
        .unwrap();
    for (name, pop) in [("NoiseE", exc), ("NoiseI", inh)] {
        net.add_current_source(name, pop, GaussianNoise { mean: 3.0, sd: 3.0 })
            .build()
            .unwrap();
    }
    net
}

/// Host actions between steps, the same for every run: dopamine every 97
/// steps (for one step) and recording of `I` off for a stretch.
fn before_step(sim: &mut dyn Simulation) {
    let s = sim.step_count();
    let dopamine = if s % 97 == 50 { 1.0 } else { 0.0 };
    if s % 97 == 50 || s % 97 == 51 {
        for g in ["InE", "InI"] {
            sim.set_egp(EgpOwner::group(g), "inject_dopamine", &[dopamine])
                .unwrap();
        }
    }
    if s == 200 || s == 300 {
        sim.set_spike_recording("I", s == 300).unwrap();
    }
}

/// Steps `sim` to `end` with [`before_step`].
fn drive(sim: &mut dyn Simulation, end: u64) {
    while sim.step_count() < end {
        before_step(sim);
        sim.step().unwrap();
    }
}

/// Runs `net` on `backend` uninterrupted and interrupted at [`CUT`]
/// (state saved, restored into a fresh simulation, continued), and
/// asserts the two final states are identical.
fn assert_restart_exact(backend: TestBackend, net: &Network) -> Option<SimState> {
    let mut whole = backend.build(net)?;
    drive(&mut whole, STEPS);
    let expected = whole.save_state().unwrap();

    // Interrupted: saved to a file, restored in a fresh simulation.
    let path = scratch(&format!("restart_{}.snnckpt", backend.name()));
    let mut first = backend.build(net)?;
    drive(&mut first, CUT);
    checkpoint::save(&mut first, &path).unwrap();
    drop(first);
    let mut second = backend.build(net)?;
    checkpoint::restore(&mut second, &path).unwrap();
    assert_eq!(second.step_count(), CUT);
    drive(&mut second, STEPS);
    let got = second.save_state().unwrap();
    assert_same_state(&expected, &got, backend.name());
    Some(expected)
}

/// Asserts equal states, naming the first part that differs (without
/// printing whole arrays).
fn assert_same_state(a: &SimState, b: &SimState, what: &str) {
    assert_eq!(a.step, b.step, "{what}: step");
    for (x, y) in a.populations.iter().zip(&b.populations) {
        let (rx, ry) = (x.recording.as_ref(), y.recording.as_ref());
        let count = |r: Option<&snn::state::SpikeRecordingState>| r.map(|r| r.ids.len());
        assert!(
            rx == ry,
            "{what}: recorded spikes of `{}` differ ({:?} vs {:?} spikes)",
            x.name,
            count(rx),
            count(ry)
        );
        for (k, (u, v)) in x.vars.iter().zip(&y.vars).enumerate() {
            assert!(
                u == v,
                "{what}: population `{}`, variable {k} differs",
                x.name
            );
        }
        assert!(x == y, "{what}: population `{}` differs", x.name);
    }
    for (x, y) in a.synapse_groups.iter().zip(&b.synapse_groups) {
        for (k, (u, v)) in x.wu_vars.iter().zip(&y.wu_vars).enumerate() {
            assert!(
                u == v,
                "{what}: synapse group `{}`, variable {k} differs",
                x.name
            );
        }
        assert!(x == y, "{what}: synapse group `{}` differs", x.name);
    }
    for (t, (x, y)) in a
        .postsynaptic_targets
        .iter()
        .zip(&b.postsynaptic_targets)
        .enumerate()
    {
        assert!(x == y, "{what}: postsynaptic input {t} differs");
    }
    assert!(
        a.current_sources == b.current_sources,
        "{what}: current sources differ"
    );
    assert!(
        a.var_recordings == b.var_recordings,
        "{what}: variable recordings differ"
    );
    assert!(a == b, "{what}: states differ");
}

snn::backend_tests! {
    fn interrupted_plastic_run_equals_uninterrupted(backend) {
        for precision in [Precision::F32, Precision::F64] {
            let net = plastic_network(precision);
            let Some(state) = assert_restart_exact(backend, &net) else { return };
            // The run is not trivial: spikes everywhere, dopamine events,
            // weights moved, the dendritic ring and the recording used.
            for p in &state.populations {
                let spikes = p.recording.as_ref().unwrap().ids.len();
                println!("{precision:?}: `{}` spiked {spikes} times", p.name);
                assert!(spikes > 50, "{precision:?}: `{}` spiked {spikes} times", p.name);
            }
            let in_e = &state.synapse_groups[0];
            let g = in_e.wu_vars[0].to_f64();
            assert!(g.iter().any(|&w| w > 6.0) || g.iter().any(|&w| w < 2.0), "weights moved");
            assert!(in_e.event_times.is_some() || backend != TestBackend::Cpu);
            assert!(!state.var_recordings[0].times.is_empty());
        }
    }

    fn restored_state_saves_back_identically(backend) {
        let net = plastic_network(Precision::F32);
        let Some(mut sim) = backend.build(&net) else { return };
        drive(&mut sim, CUT);
        let a = sim.save_state().unwrap();
        let Some(mut other) = backend.build(&net) else { return };
        other.load_state(&a).unwrap();
        assert_same_state(&a, &other.save_state().unwrap(), backend.name());
        // Built straight from the state (on the CPU without initialising).
        let mut from = backend.backend().build_from_state(&net, &a).unwrap();
        assert_eq!(from.step_count(), CUT);
        assert_same_state(&a, &from.save_state().unwrap(), backend.name());
        from.run_steps(100).unwrap();
        other.run_steps(100).unwrap();
        assert_same_state(
            &other.save_state().unwrap(),
            &from.save_state().unwrap(),
            backend.name(),
        );
        // Loading into itself changes nothing either.
        sim.load_state(&a).unwrap();
        assert_same_state(&a, &sim.save_state().unwrap(), backend.name());
    }

    fn checkpoints_move_between_backends(backend) {
        // A network every backend computes bit for bit like the CPU, with a
        // dendritic-delay ring and an axonal delay added.
        let steps = 1200;
        let mut net = exact_plastic_network(Precision::F32, Span::Postsynaptic, steps);
        let src = add_source(&mut net, "Src2", &one_spike_per_step(10, 0.5, steps, 9));
        let late = net
            .add_population("Late", 12, lif(-60.0))
            .init("v", -70.0)
            .init("refrac_time", 0.0)
            .record_spikes(true)
            .build()
            .unwrap();
        net.add_synapse_group("Src2Late", src, late, StaticPulseDendriticDelay, DeltaCurr)
            .connectivity(Connectivity::AllToAll { autapses: true })
            .wu_init("g", 4.0)
            .wu_init("d", VarInit::uniform(0.0, 6.0))
            .max_dendritic_delay(5)
            .axonal_delay(2)
            .build()
            .unwrap();
        let gate = |sim: &mut dyn Simulation, end: u64| {
            while sim.step_count() < end {
                let open = sim.step_count() == 500;
                sim.set_egp(EgpOwner::group("MidDst"), "gate", &[open as u8 as f64])
                    .unwrap();
                sim.step().unwrap();
            }
        };
        let mut cpu = CpuSimulation::new(&net).unwrap();
        gate(&mut cpu, steps);
        let expected = cpu.save_state().unwrap();
        let Some(mut gpu) = backend.build(&net) else { return };
        // CPU -> backend at 400, backend -> CPU at 800.
        let mut cpu = CpuSimulation::new(&net).unwrap();
        gate(&mut cpu, 400);
        gpu.load_state(&cpu.save_state().unwrap()).unwrap();
        gate(&mut gpu, 800);
        let mut cpu = CpuSimulation::new(&net).unwrap();
        cpu.load_state(&gpu.save_state().unwrap()).unwrap();
        gate(&mut cpu, steps);
        let mut got = cpu.save_state().unwrap();
        // GPU backends keep spike and event times only where a model reads
        // them; the CPU keeps them always (unread: no effect on the run).
        for (pi, (p, q)) in got.populations.iter_mut().zip(&expected.populations).enumerate() {
            if p.spike_times != q.spike_times {
                let read = net.synapse_groups().iter().any(|g| {
                    (g.pre.0 as usize == pi || g.post.0 as usize == pi)
                        && g.wu.model.name == "ExactPlastic"
                });
                assert!(!read, "spike times of `{}` differ, and a model reads them", p.name);
                p.spike_times.clone_from(&q.spike_times);
            }
        }
        assert_same_state(&expected, &got, &format!("CPU -> {} -> CPU", backend.name()));
    }

    fn periodic_checkpoints_survive_a_crash_and_a_truncated_file(backend) {
        let net = plastic_network(Precision::F32);
        let path = scratch(&format!("periodic_{}.snnckpt", backend.name()));
        let Some(mut sim) = backend.build(&net) else { return };
        // Every 40 ms (80 steps) over 150 ms: checkpoints at 40, 80, 120 ms.
        let mut every = Checkpointer::new(&path, 40.0).unwrap();
        every.run_for(&mut sim, 150.0).unwrap();
        assert_eq!(every.last_saved_at(), Some(120.0));
        let at_120 = snn::io::load_checkpoint(&path).unwrap();
        assert_eq!(at_120.step, 240);

        // A crash in the middle of the next write leaves a partial temporary
        // file behind; the checkpoint itself is untouched.
        let bytes = std::fs::read(&path).unwrap();
        let partial = path.with_file_name(format!(
            "{}.tmp-crashed",
            path.file_name().unwrap().to_string_lossy()
        ));
        std::fs::write(&partial, &bytes[..bytes.len() / 2]).unwrap();
        let mut resumed = checkpoint::resume(backend.backend(), &net, &path).unwrap();
        assert_eq!(resumed.step_count(), 240);

        // A checkpoint truncated (e.g. by a full disk or a copy cut short) is
        // rejected, naming the file, and the simulation is unchanged.
        let cut = scratch(&format!("truncated_{}.snnckpt", backend.name()));
        std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
        let e = checkpoint::restore(&mut resumed, &cut).unwrap_err();
        assert!(
            matches!(e, CheckpointError::Io(IoError::Truncated { .. })),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(msg.contains("truncated") && msg.contains(&*cut.to_string_lossy()), "{msg}");
        assert_eq!(resumed.step_count(), 240);
        // The previous checkpoint still loads, and the run goes on from it
        // exactly as the uninterrupted one.
        checkpoint::restore(&mut resumed, &path).unwrap();
        resumed.run_for(30.0).unwrap();
        assert_same_state(
            &sim.save_state().unwrap(),
            &resumed.save_state().unwrap(),
            backend.name(),
        );
        // Version mismatch: a file from a future format.
        let mut future = bytes.clone();
        future[8..12].copy_from_slice(&(snn::io::CHECKPOINT_VERSION + 1).to_le_bytes());
        let newer = scratch(&format!("future_{}.snnckpt", backend.name()));
        std::fs::write(&newer, &future).unwrap();
        let e = checkpoint::restore(&mut resumed, &newer).unwrap_err();
        assert!(
            matches!(e, CheckpointError::Io(IoError::UnsupportedVersion { .. })),
            "{e:?}"
        );
        assert!(e.to_string().contains("version 2"), "{e}");
        // A checkpoint of another network (different seed) does not fit.
        let mut other = plastic_network(Precision::F32);
        other.set_seed(99);
        let Some(mut wrong) = backend.build(&other) else { return };
        let e = checkpoint::restore(&mut wrong, &path).unwrap_err();
        assert!(
            matches!(e, CheckpointError::Simulation(Error::Checkpoint { .. })),
            "{e:?}"
        );
        assert!(e.to_string().contains("seed 1234, the network 99"), "{e}");
        assert!(Checkpointer::new(&path, -1.0).is_err());
        assert!(Checkpointer::new(&path, f64::NAN).is_err());
    }

    fn unfitting_states_are_rejected(backend) {
        let net = plastic_network(Precision::F32);
        let Some(mut sim) = backend.build(&net) else { return };
        drive(&mut sim, 50);
        let good = sim.save_state().unwrap();
        let reject = |sim: &mut dyn Simulation, bad: SimState, needle: &str| {
            let e = sim.load_state(&bad).unwrap_err();
            assert!(
                matches!(e, Error::Checkpoint { .. } | Error::DelayTooLarge { .. }),
                "{e:?}"
            );
            assert!(e.to_string().contains(needle), "`{e}` does not mention `{needle}`");
            // Nothing changed.
            assert_eq!(sim.step_count(), 50);
        };
        let mut bad = good.clone();
        bad.seed += 1;
        reject(&mut sim, bad, "seed 1235");
        let mut bad = good.clone();
        bad.precision = Precision::F64;
        reject(&mut sim, bad, "precision");
        let mut bad = good.clone();
        bad.populations[1].vars[0] = VarArray::F32(vec![0.0; 79]);
        reject(&mut sim, bad, "population `E`, variable `v`: 79 values");
        let mut bad = good.clone();
        bad.populations[1].vars[0] = VarArray::F64(vec![0.0; 80]);
        reject(&mut sim, bad, "stored as f64");
        let mut bad = good.clone();
        bad.populations[2].name = "J".into();
        reject(&mut sim, bad, "population `I`");
        let mut bad = good.clone();
        let ie = &mut bad.synapse_groups[3];
        ie.wu_vars[1] = VarArray::U8(vec![7; ie.connectivity.ind.len()]);
        reject(&mut sim, bad, "delay of 7 steps exceeds the maximum of 6");
        let mut bad = good.clone();
        bad.synapse_groups[0].connectivity.ind[0] = 80;
        reject(&mut sim, bad, "target 80 is not below the size 80");
        let mut bad = good.clone();
        bad.populations[0].recent_spikes.pop();
        reject(&mut sim, bad, "population `In`, spike queue");
        let mut bad = good.clone();
        bad.postsynaptic_targets[1].ring = VarArray::F32(vec![0.0; 3]);
        reject(&mut sim, bad, "dendritic-delay ring");
        let mut bad = good.clone();
        bad.synapse_groups[0].egps[0] = vec![f64::NAN];
        reject(&mut sim, bad, "non-finite");
        // The good state still loads, and the simulation goes on.
        sim.load_state(&good).unwrap();
        sim.run_steps(10).unwrap();
    }
}

use snn::snn_core::var::VarArray;
