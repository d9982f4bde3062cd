//! Bad input gives a typed error whose message names the thing at fault.

use snn::prelude::*;

fn izh() -> Izhikevich {
    Izhikevich {
        a: 0.02,
        b: 0.2,
        c: -65.0,
        d: 8.0,
    }
}

fn net_with(names: &[&str]) -> Network {
    let mut net = Network::new(0.1).unwrap();
    for n in names {
        net.add_population(n, 10, izh())
            .init("v", -65.0)
            .init("u", -13.0)
            .build()
            .unwrap();
    }
    net
}

#[test]
fn invalid_timestep_is_rejected() {
    for dt in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        let err = Network::new(dt).unwrap_err();
        assert!(matches!(err, Error::InvalidDt(_)), "{err:?}");
        assert!(err.to_string().contains("invalid timestep dt"), "{err}");
    }
}

#[test]
fn duplicate_and_unknown_population_names() {
    let mut net = net_with(&["Exc"]);
    let err = net
        .add_population("Exc", 5, izh())
        .init("v", -65.0)
        .init("u", -13.0)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::DuplicateName {
            kind: "population",
            name: "Exc".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "duplicate population name `Exc`: names must be unique"
    );

    let err = net
        .add_synapse_group("S", "Exc", "Inh", StaticPulse, DeltaCurr)
        .wu_init("g", 1.0)
        .build()
        .unwrap_err();
    assert_eq!(err, Error::UnknownPopulation("Inh".into()));
    assert_eq!(err.to_string(), "unknown population `Inh`");

    let err = net
        .add_current_source("I", "Nope", DC { amp: 1.0 })
        .build()
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown population `Nope`");

    let err = net.add_population("", 5, izh()).build().unwrap_err();
    assert_eq!(err, Error::EmptyName { kind: "population" });
    let err = net
        .add_population("Zero", 0, izh())
        .init("v", -65.0)
        .init("u", -13.0)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "population `Zero` has no neurons: its size must be at least 1"
    );
}

#[test]
fn explicit_arrays_must_match_sizes() {
    let mut net = net_with(&[]);
    let err = net
        .add_population("P", 4, izh())
        .init("v", vec![-65.0, -64.0, -63.0])
        .init("u", -13.0)
        .build()
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::InvalidVarInit { .. }), "{err:?}");
    assert!(
        msg.contains("population `P`") && msg.contains("`v`") && msg.contains("3 values"),
        "{msg}"
    );

    let mut net = net_with(&["A", "B"]);
    let err = net
        .add_synapse_group("AB", "A", "B", StaticPulse, DeltaCurr)
        .connectivity(Connectivity::Explicit {
            pre: vec![0, 1, 2],
            post: vec![0, 1],
        })
        .wu_init("g", 1.0)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidConnectivity { .. }), "{err:?}");
    assert!(err.to_string().contains("synapse group `AB`"), "{err}");

    let err = net
        .add_synapse_group("AB", "A", "B", StaticPulse, DeltaCurr)
        .connectivity(Connectivity::Explicit {
            pre: vec![0, 1],
            post: vec![0, 10],
        })
        .wu_init("g", 1.0)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("out of range"), "{err}");

    let err = net
        .add_synapse_group("AB", "A", "B", StaticPulse, DeltaCurr)
        .connectivity(Connectivity::Explicit {
            pre: vec![0, 1],
            post: vec![0, 1],
        })
        .wu_init("g", vec![1.0, 2.0, 3.0])
        .build()
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("synapse group `AB` (weight update)") && msg.contains("`g`"),
        "{msg}"
    );

    let net = {
        let mut n = net_with(&["P"]);
        n.set_seed(1);
        n
    };
    let mut sim = CpuSimulation::new(&net).unwrap();
    let err = sim
        .set_var_values("P".into(), "v", &[1.0, 2.0])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "population `P`: the values of variable `v` has 2 values but 10 are needed"
    );
}

#[test]
fn dendritic_delay_beyond_maximum() {
    let mut net = net_with(&["A", "B"]);
    let err = net
        .add_synapse_group("AB", "A", "B", StaticPulseDendriticDelay, DeltaCurr)
        .wu_init("g", 1.0)
        .wu_init("d", 12.0)
        .max_dendritic_delay(10)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::DelayTooLarge {
            group: "AB".into(),
            delay: 12,
            max: 10
        }
    );
    assert!(err
        .to_string()
        .contains("dendritic delay of 12 steps exceeds the maximum of 10 steps"));

    let err = net
        .add_synapse_group("AB", "A", "B", StaticPulseDendriticDelay, DeltaCurr)
        .wu_init("g", 1.0)
        .wu_init("d", 3.0)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("set .max_dendritic_delay(steps)"),
        "{err}"
    );

    net.add_synapse_group("AB", "A", "B", StaticPulseDendriticDelay, DeltaCurr)
        .connectivity(Connectivity::OneToOne)
        .wu_init("g", 1.0)
        .wu_init("d", 3.0)
        .max_dendritic_delay(10)
        .build()
        .unwrap();
    let mut sim = CpuSimulation::new(&net).unwrap();
    let err = sim
        .set_synapse_var_values("AB", "d", &[11.0; 10])
        .unwrap_err();
    assert_eq!(
        err,
        Error::DelayTooLarge {
            group: "AB".into(),
            delay: 11,
            max: 10
        }
    );
}

#[test]
fn parameters_by_name_and_constraints() {
    let mut net = net_with(&[]);
    let err = net
        .add_population_named::<Izhikevich>("P", 3, &[("a", 0.02), ("b", 0.2), ("c", -65.0)])
        .init("v", -65.0)
        .init("u", -13.0)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::BadParameters { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "population `P`: missing parameter `d` of neuron model `Izhikevich`"
    );
    let err = net
        .add_population_named::<Izhikevich>(
            "P",
            3,
            &[
                ("a", 0.02),
                ("b", 0.2),
                ("c", -65.0),
                ("d", 8.0),
                ("e", 1.0),
            ],
        )
        .build()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("has no parameter `e` (parameters: a, b, c, d)"),
        "{err}"
    );

    let lif = Lif {
        c: 1.0,
        tau_m: -20.0,
        v_rest: -70.0,
        v_reset: -70.0,
        v_thresh: -50.0,
        i_offset: 0.0,
        tau_refrac: 2.0,
    };
    let err = net
        .add_population("L", 3, lif)
        .init("v", -70.0)
        .init("refrac_time", 0.0)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidParameter {
            owner: "population `L`".into(),
            param: "tau_m".into(),
            value: -20.0,
            reason: "must be > 0".into()
        }
    );
    let err = net
        .add_population(
            "L",
            3,
            Izhikevich {
                a: f64::NAN,
                b: 0.2,
                c: -65.0,
                d: 8.0,
            },
        )
        .init("v", -65.0)
        .init("u", -13.0)
        .build()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("parameter `a` = NaN must be finite"),
        "{err}"
    );
}

#[test]
fn variables_unknown_missing_or_impossible() {
    let mut net = net_with(&[]);
    let err = net
        .add_population("P", 3, izh())
        .init("v", -65.0)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::MissingInit {
            owner: "population `P`".into(),
            var: "u".into()
        }
    );
    let err = net
        .add_population("P", 3, izh())
        .init("v", -65.0)
        .init("u", 0.0)
        .init("w", 1.0)
        .build()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("neuron model `Izhikevich` has no variable `w` (variables: v, u)"),
        "{err}"
    );

    let impossible = [
        VarInit::uniform(3.0, 1.0),
        VarInit::normal(0.0, -1.0),
        VarInit::normal_clipped(0.0, 1.0, 10.0, 11.0),
        VarInit::exponential(0.0),
        VarInit::gamma(-1.0, 1.0),
        VarInit::binomial(10, 1.5),
        VarInit::Constant(f64::NAN),
    ];
    for init in impossible {
        let err = net
            .add_population("P", 3, izh())
            .init("v", init.clone())
            .init("u", 0.0)
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidVarInit { .. }),
            "{init:?}: {err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("population `P`: initialiser of variable `v`: "),
            "{err}"
        );
    }
}

#[test]
fn postsynaptic_model_needs_its_neuron_variable() {
    let mut net = net_with(&["A"]);
    net.add_population("Src", 3, Poisson { rate: 10.0 })
        .init("time_step_to_spike", 0.0)
        .build()
        .unwrap();
    let err = net
        .add_synapse_group(
            "S",
            "A",
            "Src",
            StaticPulse,
            ExpCond {
                tau: 5.0,
                e_rev: 0.0,
            },
        )
        .wu_init("g", 1.0)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::MissingNeuronVar { .. }), "{err:?}");
    assert!(err.to_string().contains("needs neuron variable `v` of type Scalar, which neuron model `Poisson` of population `Src` does not have"), "{err}");
}

#[test]
fn runtime_lookups_name_the_culprit() {
    let net = net_with(&["A"]);
    let mut sim = CpuSimulation::new(&net).unwrap();
    let err = sim.spikes("A".into()).unwrap_err();
    assert!(
        err.to_string()
            .contains("spikes of population `A` are not recorded"),
        "{err}"
    );
    let err = sim.var_values("B".into(), "v").unwrap_err();
    assert_eq!(err, Error::UnknownPopulation("B".into()));
    let err = sim.synapse_var_values("nope", "g").unwrap_err();
    assert_eq!(err, Error::UnknownSynapseGroup("nope".into()));
    let err = sim.var_values("A".into(), "x").unwrap_err();
    assert!(err.to_string().contains("has no variable `x`"), "{err}");
    let err = sim.run_for(-1.0).unwrap_err();
    assert!(err.to_string().contains("must be >= 0"), "{err}");
}

/// `Backend::Auto` falls back to the CPU when there is neither a CUDA
/// device nor an OpenCL GPU (CI, this machine), and asking for CUDA
/// explicitly without a driver is a clear error, not a panic.
#[test]
fn backend_auto_falls_back_and_missing_cuda_is_an_error() {
    let mut net = Network::new(0.1).unwrap();
    net.add_population("P", 3, Poisson { rate: 10.0 })
        .init("time_step_to_spike", 0.0)
        .build()
        .unwrap();
    let mut sim = Backend::Auto.build(&net).unwrap();
    sim.run_steps(5).unwrap();
    let cuda = snn::testing::TestBackend::Cuda.available();
    let opencl_gpu =
        snn_opencl_host::OpenClDevice::new(snn_opencl_host::DeviceSelection::AnyGpu).is_ok();
    if cuda.is_err() && !opencl_gpu {
        assert!(
            sim.backend_name().starts_with("CPU"),
            "{}",
            sim.backend_name()
        );
    }
    if cuda.is_err() {
        let err = Backend::Cuda
            .build(&net)
            .err()
            .expect("no CUDA device here");
        assert!(matches!(err, Error::Device { .. }), "{err:?}");
        assert!(err.to_string().starts_with("CUDA: "), "{err}");
    }
}

#[test]
fn unknown_backend_names_are_errors() {
    let err = "vulkan".parse::<Backend>().unwrap_err();
    assert!(
        err.to_string().contains("unknown backend `vulkan`"),
        "{err}"
    );
    assert_eq!("OpenCL".parse::<Backend>().unwrap(), Backend::OpenCl);
}
