//! Bad input to a running simulation (the runtime setters and getters of
//! [`Simulation`], on the CPU backend, which shares its checks with the GPU
//! backends through `snn_core::sim::access`), to the snn-io loaders and to
//! `Backend::from_str`: a typed error whose message names the culprit.

use snn::io::{self, IoError};
use snn::prelude::*;
use std::path::PathBuf;

fn izh() -> Izhikevich {
    Izhikevich {
        a: 0.02,
        b: 0.2,
        c: -65.0,
        d: 8.0,
    }
}

/// Populations `A` (10, recorded) and `B` (10, not recorded), a
/// dendritic-delay group `AB`, an STDP group `BA`, a `PoissonExp` current
/// source `I` onto `A`, a `SpikeSourceArray` `Src` with an EGP, and one
/// variable recording of `A.v`.
fn sim() -> CpuSimulation {
    let mut net = Network::new(0.1).unwrap();
    for (name, rec) in [("A", true), ("B", false)] {
        net.add_population(name, 10, izh())
            .init("v", -65.0)
            .init("u", -13.0)
            .record_spikes(rec)
            .build()
            .unwrap();
    }
    net.add_synapse_group("AB", "A", "B", StaticPulseDendriticDelay, DeltaCurr)
        .connectivity(Connectivity::OneToOne)
        .wu_init("g", 1.0)
        .wu_init("d", 2.0)
        .max_dendritic_delay(5)
        .build()
        .unwrap();
    net.add_synapse_group(
        "BA",
        "B",
        "A",
        StdpAdditive {
            tau_plus: 20.0,
            tau_minus: 20.0,
            a_plus: 0.01,
            a_minus: 0.012,
            w_min: 0.0,
            w_max: 1.0,
        },
        ExpCurr { tau: 5.0 },
    )
    .connectivity(Connectivity::OneToOne)
    .wu_init("g", 0.5)
    .pre_init("x", 0.0)
    .post_init("y", 0.0)
    .build()
    .unwrap();
    net.add_current_source(
        "I",
        "A",
        PoissonExp {
            weight: 1.0,
            tau_syn: 5.0,
            rate: 10.0,
        },
    )
    .init("current", 0.0)
    .build()
    .unwrap();
    net.add_population("Src", 2, SpikeSourceArray)
        .init("start_spike", vec![0.0, 1.0])
        .init("end_spike", vec![1.0, 2.0])
        .egp("spike_times", vec![1.0, 2.0])
        .build()
        .unwrap();
    net.record_var("A", "v", Neurons::All, 1).unwrap();
    CpuSimulation::new(&net).unwrap()
}

#[test]
fn set_var_values_bad_population_variable_or_length() {
    let mut sim = sim();
    let err = sim.set_var_values("A", "v", &[0.0; 9]).unwrap_err();
    assert_eq!(
        err,
        Error::SizeMismatch {
            owner: "population `A`".into(),
            what: "the values of variable `v`".into(),
            expected: 10,
            got: 9
        }
    );
    assert_eq!(
        err.to_string(),
        "population `A`: the values of variable `v` has 9 values but 10 are needed"
    );
    let err = sim.set_var_values("A", "x", &[0.0; 10]).unwrap_err();
    assert_eq!(
        err,
        Error::UnknownVariable {
            owner: "population `A`".into(),
            model: "neuron model `Izhikevich`".into(),
            var: "x".into(),
            known: "v, u".into()
        }
    );
    let err = sim.set_var_values("Q", "v", &[0.0; 10]).unwrap_err();
    assert_eq!(err, Error::UnknownPopulation("Q".into()));
    let err = sim
        .set_var_values(PopulationId(42), "v", &[0.0; 10])
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown population `#42`");
    // Nothing was written.
    assert!(sim
        .var_values("A", "v")
        .unwrap()
        .iter()
        .all(|&v| v == -65.0));
}

#[test]
fn set_synapse_var_values_bad_group_length_or_delay() {
    let mut sim = sim();
    let err = sim
        .set_synapse_var_values("XY", "g", &[1.0; 10])
        .unwrap_err();
    assert_eq!(err, Error::UnknownSynapseGroup("XY".into()));
    assert_eq!(err.to_string(), "unknown synapse group `XY`");
    let err = sim
        .set_synapse_var_values("AB", "g", &[1.0; 11])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "synapse group `AB` (weight update): the values of variable `g` has 11 values but 10 are needed"
    );
    assert!(
        matches!(
            err,
            Error::SizeMismatch {
                expected: 10,
                got: 11,
                ..
            }
        ),
        "{err:?}"
    );
    let err = sim
        .set_synapse_var_values("AB", "w", &[1.0; 10])
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("synapse group `AB` (weight update): weight-update model `StaticPulseDendriticDelay` has no variable `w` (variables: g, d)"),
        "{err}"
    );
    let err = sim
        .set_synapse_var_values("AB", "d", &[6.0; 10])
        .unwrap_err();
    assert_eq!(
        err,
        Error::DelayTooLarge {
            group: "AB".into(),
            delay: 6,
            max: 5
        }
    );
    // Negative, fractional and NaN delays: were silently stored as 0 (u8 cast).
    let mut d = vec![1.0; 10];
    for (bad, shown) in [(-1.0, "-1"), (1.5, "1.5"), (f64::NAN, "NaN")] {
        d[3] = bad;
        let err = sim.set_synapse_var_values("AB", "d", &d).unwrap_err();
        assert!(matches!(err, Error::InvalidValues { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with(&format!(
                "synapse group `AB` (weight update): new values of variable `d`: value 3 ({shown})"
            )),
            "{err}"
        );
    }
    assert!(sim
        .synapse_var_values("AB", "d")
        .unwrap()
        .iter()
        .all(|&x| x == 2.0));
}

#[test]
fn other_variable_getters_and_setters() {
    let mut sim = sim();
    let err = sim
        .set_current_source_var_values("J", "current", &[0.0; 10])
        .unwrap_err();
    assert!(matches!(err, Error::UnknownCurrentSource(_)), "{err:?}");
    assert_eq!(err.to_string(), "unknown current source `J`");
    let err = sim
        .set_current_source_var_values("I", "current", &[0.0; 3])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "current source `I`: the values of variable `current` has 3 values but 10 are needed"
    );
    let err = sim
        .set_current_source_var_values("I", "amp", &[0.0; 10])
        .unwrap_err();
    assert!(matches!(err, Error::UnknownVariable { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "current source `I`: current-source model `PoissonExp` has no variable `amp` (variables: current)"
    );
    let err = sim.current_source_var_values("J", "current").unwrap_err();
    assert_eq!(err.to_string(), "unknown current source `J`");
    let err = sim.postsynaptic_var_values("BA", "g").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("synapse group `BA` (postsynaptic model): postsynaptic model `ExpCurr` has no variable `g`"),
        "{err}"
    );
    let err = sim
        .neuron_side_var_values("BA", Side::Pre, "y")
        .unwrap_err();
    assert!(matches!(err, Error::UnknownVariable { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("synapse group `BA` (weight update, Pre side)")
            && err
                .to_string()
                .contains("has no variable `y` (variables: x)"),
        "{err}"
    );
    let err = sim.connectivity("nope").unwrap_err();
    assert_eq!(err, Error::UnknownSynapseGroup("nope".into()));
}

#[test]
fn set_egp_bad_owner_name_length_or_value() {
    let mut sim = sim();
    let src = || EgpOwner::population("Src");
    let err = sim.set_egp(src(), "spike_times", &[1.0]).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidEgp {
            owner: "population `Src`".into(),
            egp: "spike_times".into(),
            reason: "1 values given, but it was built with 2 (the length cannot change)".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "population `Src`: extra global parameter `spike_times`: 1 values given, but it was built with 2 (the length cannot change)"
    );
    let err = sim
        .set_egp(src(), "spike_times", &[1.0, f64::NAN])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "population `Src`: extra global parameter `spike_times`: contains the non-finite value NaN"
    );
    let err = sim.set_egp(src(), "times", &[1.0, 2.0]).unwrap_err();
    assert!(
        err.to_string()
            .contains("extra global parameter `times`: neuron model `SpikeSourceArray` has no such extra global parameter (has: spike_times)"),
        "{err}"
    );
    let err = sim
        .set_egp(EgpOwner::population("Nope"), "spike_times", &[1.0, 2.0])
        .unwrap_err();
    assert_eq!(err, Error::UnknownPopulation("Nope".into()));
    let err = sim.set_egp(EgpOwner::group("AB"), "x", &[1.0]).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidEgp { owner, egp, .. } if owner == "synapse group `AB` (weight update)" && egp == "x"),
        "{err:?}"
    );
    assert!(
        err.to_string().ends_with(
            "model `StaticPulseDendriticDelay` has no such extra global parameter (it has none)"
        ),
        "{err}"
    );
    let err = sim.set_egp(EgpOwner::group("ZZ"), "x", &[1.0]).unwrap_err();
    assert_eq!(err, Error::UnknownSynapseGroup("ZZ".into()));
    let err = sim.set_egp(EgpOwner::source("J"), "x", &[1.0]).unwrap_err();
    assert_eq!(err.to_string(), "unknown current source `J`");
}

#[test]
fn recording_requests_that_cannot_be_served() {
    let mut sim = sim();
    let err = sim.set_spike_recording("B", true).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidRecording(
            "cannot turn spike recording of population `B` on: it was built without .record_spikes(true)"
                .into()
        )
    );
    let err = sim.set_spike_recording("C", false).unwrap_err();
    assert_eq!(err, Error::UnknownPopulation("C".into()));
    let err = sim.spikes("B").unwrap_err();
    assert_eq!(
        err.to_string(),
        "recording: spikes of population `B` are not recorded (enable .record_spikes(true))"
    );
    let err = sim.recorded_var(VarRecordingId(3)).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidRecording("no variable recording #3".into())
    );
    assert_eq!(err.to_string(), "recording: no variable recording #3");
    assert!(sim.recorded_var(VarRecordingId(0)).is_ok());
}

#[test]
fn run_for_rejects_durations_that_are_negative_not_finite_or_not_whole_steps() {
    let mut sim = sim();
    for d in [-0.1, -1e9, f64::NAN, f64::NEG_INFINITY, f64::INFINITY] {
        let err = sim.run_for(d).unwrap_err();
        assert_eq!(
            err,
            Error::Simulation(format!(
                "cannot run for {d} ms: the duration must be finite and >= 0"
            ))
        );
    }
    assert_eq!(sim.step_count(), 0);
    // Not a whole number of steps (dt = 0.1): refused, naming the nearest
    // durations that are; nothing runs.
    for (d, steps, multiples) in [(0.04, "0.4", "0 or 0.1"), (0.25, "2.5", "0.2 or 0.3")] {
        let err = sim.run_for(d).unwrap_err().to_string();
        assert!(
            err.contains(&format!("{steps} steps, not a whole number"))
                && err.contains(&format!("({multiples} ms)")),
            "{err}"
        );
    }
    assert_eq!(sim.step_count(), 0);
    // A duration of whole steps runs them; time() is the decimal time.
    sim.run_for(0.3).unwrap();
    assert_eq!((sim.step_count(), sim.time()), (3, 0.3));
}

#[test]
fn unknown_backend_names() {
    for name in ["vulkan", "", "GPU", "cpu "] {
        let err = name.parse::<Backend>().unwrap_err();
        assert_eq!(
            err,
            Error::Simulation(format!(
                "unknown backend `{name}`: expected auto, cpu, cuda or opencl"
            ))
        );
    }
    assert_eq!("CPU".parse::<Backend>().unwrap(), Backend::Cpu);
}

// ---------------------------------------------------------------------------
// snn-io loaders
// ---------------------------------------------------------------------------

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("snn_bad_input_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes a `.npy` file of `data` with `shape`.
fn npy<T: npyz::AutoSerialize + Copy>(path: &std::path::Path, shape: &[u64], data: &[T]) {
    use npyz::WriterBuilder;
    let f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(f)
        .begin_nd()
        .unwrap();
    w.extend(data.iter().copied()).unwrap();
    w.finish().unwrap();
}

#[test]
fn npy_loaders_name_the_file_and_problem() {
    let d = tmp("npy");
    // Missing directory / files.
    let err = io::load_spikes_npy(d.join("nowhere"), "E").unwrap_err();
    assert!(matches!(err, IoError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("spikes_E_times.npy"), "{err}");
    // Times stored as float32 instead of float64.
    npy(&d.join("spikes_E_times.npy"), &[2], &[1.0f32, 2.0]);
    npy(&d.join("spikes_E_ids.npy"), &[2], &[1u32, 2]);
    let err = io::load_spikes_npy(&d, "E").unwrap_err();
    assert!(matches!(err, IoError::Format { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("spikes_E_times.npy: spike times: "),
        "{err}"
    );
    // Two-dimensional ids.
    npy(&d.join("spikes_E_times.npy"), &[2], &[1.0f64, 2.0]);
    npy(&d.join("spikes_E_ids.npy"), &[1, 2], &[1u32, 2]);
    let err = io::load_spikes_npy(&d, "E").unwrap_err();
    assert!(
        err.to_string()
            .contains("spikes_E_ids.npy: neuron ids: expected 1 dimension(s), found shape [1, 2]"),
        "{err}"
    );
    // Different lengths.
    npy(&d.join("spikes_E_ids.npy"), &[3], &[1u32, 2, 3]);
    let err = io::load_spikes_npy(&d, "E").unwrap_err();
    assert!(
        err.to_string().contains("3 neuron ids but 2 spike times"),
        "{err}"
    );
    // Not a .npy file at all.
    std::fs::write(d.join("spikes_E_times.npy"), b"not numpy").unwrap();
    let err = io::load_spikes_npy(&d, "E").unwrap_err();
    assert!(matches!(err, IoError::Format { .. }), "{err:?}");
    assert!(
        err.to_string().contains("spikes_E_times.npy: spike times:"),
        "{err}"
    );
}

#[test]
fn npz_and_csv_loaders_name_the_file_and_problem() {
    let d = tmp("npz");
    // A variable archive has no `<population>.times` arrays: no populations.
    let var = RecordedVar {
        times: vec![0.1, 0.2],
        neurons: vec![0, 3],
        values: vec![1.0, 2.0, 3.0, 4.0],
    };
    io::save_var_npz(d.join("v.npz"), &var).unwrap();
    assert_eq!(io::load_spikes_npz(d.join("v.npz")).unwrap(), vec![]);
    // A spikes archive read as a variable.
    let s = SpikeRecord {
        times: vec![0.5],
        ids: vec![2],
    };
    io::save_spikes_npz(d.join("s.npz"), &[("E", &s)]).unwrap();
    let err = io::load_var_npz(d.join("s.npz")).unwrap_err();
    assert!(matches!(err, IoError::Format { .. }), "{err:?}");
    assert!(
        err.to_string().contains("s.npz: array `times` missing"),
        "{err}"
    );
    // Missing file.
    let err = io::load_var_npz(d.join("gone.npz")).unwrap_err();
    assert!(matches!(err, IoError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("gone.npz"), "{err}");

    // CSV: a short row, a negative neuron id, a bad header.
    std::fs::write(d.join("a.csv"), "population,time_ms,neuron\nE,1.5\n").unwrap();
    let err = io::load_spikes_csv(d.join("a.csv")).unwrap_err();
    assert!(matches!(err, IoError::Format { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}: ", d.join("a.csv").display())),
        "{err}"
    );
    std::fs::write(d.join("b.csv"), "population,time_ms,neuron\nE,1.5,-2\n").unwrap();
    let err = io::load_spikes_csv(d.join("b.csv")).unwrap_err();
    assert!(
        err.to_string().contains("line 2: bad neuron id `-2`"),
        "{err}"
    );
    std::fs::write(d.join("c.csv"), "t,n0\n0.1,1\n").unwrap();
    let err = io::load_var_csv(d.join("c.csv")).unwrap_err();
    assert!(
        err.to_string()
            .contains("the first column must be `time_ms`"),
        "{err}"
    );
    std::fs::write(d.join("e.csv"), "time_ms,n0,n1\n0.1,1,oops\n").unwrap();
    let err = io::load_var_csv(d.join("e.csv")).unwrap_err();
    assert!(
        err.to_string().contains("line 2: bad value `oops`"),
        "{err}"
    );
    let err = io::load_spikes_csv(d.join("none.csv")).unwrap_err();
    assert!(matches!(err, IoError::Io { .. }), "{err:?}");
}

/// New variable values set between steps are checked like initial values
/// (finite, storable in the variable's type) by every setter.
#[test]
fn new_variable_values_are_checked_like_initial_values() {
    use snn::ir::IrType;
    use snn::sim::access::check_var_values;
    check_var_values("population `A`", "v", IrType::Scalar, &[1.0, -2.5]).unwrap();
    let mut sim = sim();
    let mut v = vec![-65.0; 10];
    v[1] = f64::NAN;
    let err = sim.set_var_values("A", "v", &v).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidValues {
            owner: "population `A`".into(),
            var: "v".into(),
            reason: "value 1 (NaN) must be finite".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "population `A`: new values of variable `v`: value 1 (NaN) must be finite"
    );
    let err = sim
        .set_var_values("Src", "start_spike", &[0.0, -1.0])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "population `Src`: new values of variable `start_spike`: value 1 (-1) does not fit the \
         variable's type u32 (integers 0..=4294967295)"
    );
    let err = sim
        .set_synapse_var_values("BA", "g", &[0.5; 10].map(|x| x * f64::INFINITY))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValues { .. }), "{err:?}");
    assert!(
        err.to_string().contains(
            "synapse group `BA` (weight update): new values of variable `g`: value 0 (inf)"
        ),
        "{err}"
    );
    let err = sim
        .set_current_source_var_values("I", "current", &[f64::NAN; 10])
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("current source `I`: new values of variable `current`"),
        "{err}"
    );
    // Nothing was written.
    assert_eq!(sim.var_values("A", "v").unwrap(), vec![-65.0; 10]);
}
