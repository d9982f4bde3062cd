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
    let err = sim.set_var_values("P", "v", &[1.0, 2.0]).unwrap_err();
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
            var: "u".into(),
            setter: "init".into(),
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
    let err = sim.spikes("A").unwrap_err();
    assert!(
        err.to_string()
            .contains("spikes of population `A` are not recorded"),
        "{err}"
    );
    let err = sim.var_values("B", "v").unwrap_err();
    assert_eq!(err, Error::UnknownPopulation("B".into()));
    let err = sim.synapse_var_values("nope", "g").unwrap_err();
    assert_eq!(err, Error::UnknownSynapseGroup("nope".into()));
    let err = sim.var_values("A", "x").unwrap_err();
    assert!(err.to_string().contains("has no variable `x`"), "{err}");
    let err = sim.run_for(-1.0).unwrap_err();
    assert!(err.to_string().contains("must be finite and >= 0"), "{err}");
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

// ---------------------------------------------------------------------------
// Every built-in model's parameter constraints
// ---------------------------------------------------------------------------

/// Asserts `err` is `InvalidParameter` of `owner`/`param` with `value` and
/// `reason`, and that the message says all of it.
#[track_caller]
fn assert_bad_param(err: Error, owner: &str, param: &str, value: f64, reason: &str) {
    match &err {
        Error::InvalidParameter {
            owner: o,
            param: p,
            value: v,
            reason: r,
        } => {
            assert_eq!((o.as_str(), p.as_str(), r.as_str()), (owner, param, reason));
            assert!(v.to_bits() == value.to_bits() || (v.is_nan() && value.is_nan()));
        }
        _ => panic!("expected InvalidParameter, got {err:?}"),
    }
    let want = format!("{owner}: parameter `{param}` = {value} {reason}");
    assert_eq!(err.to_string(), want);
}

fn lif() -> Lif {
    Lif {
        c: 1.0,
        tau_m: 20.0,
        v_rest: -70.0,
        v_reset: -70.0,
        v_thresh: -50.0,
        i_offset: 0.0,
        tau_refrac: 2.0,
    }
}

#[test]
fn neuron_model_parameters_are_checked() {
    let mut net = net_with(&[]);
    let pop = |net: &mut Network, m: Lif| net.add_population("L", 3, m).build().unwrap_err();
    let o = "population `L`";
    assert_bad_param(
        pop(&mut net, Lif { c: 0.0, ..lif() }),
        o,
        "c",
        0.0,
        "must be > 0",
    );
    assert_bad_param(
        pop(
            &mut net,
            Lif {
                tau_m: f64::NAN,
                ..lif()
            },
        ),
        o,
        "tau_m",
        f64::NAN,
        "must be finite",
    );
    assert_bad_param(
        pop(
            &mut net,
            Lif {
                tau_refrac: -1.0,
                ..lif()
            },
        ),
        o,
        "tau_refrac",
        -1.0,
        "must be >= 0",
    );
    assert_bad_param(
        pop(
            &mut net,
            Lif {
                v_thresh: f64::INFINITY,
                ..lif()
            },
        ),
        o,
        "v_thresh",
        f64::INFINITY,
        "must be finite",
    );
    let err = net
        .add_population(
            "L",
            3,
            Izhikevich {
                d: f64::NEG_INFINITY,
                ..izh()
            },
        )
        .build()
        .unwrap_err();
    assert_bad_param(err, o, "d", f64::NEG_INFINITY, "must be finite");

    let adex = |m: AdEx| {
        Network::new(0.1)
            .unwrap()
            .add_population("A", 2, m)
            .build()
            .unwrap_err()
    };
    let o = "population `A`";
    assert_bad_param(
        adex(AdEx {
            tau_w: -144.0,
            ..AdEx::default()
        }),
        o,
        "tau_w",
        -144.0,
        "must be > 0",
    );
    assert_bad_param(
        adex(AdEx {
            delta_t: 0.0,
            ..AdEx::default()
        }),
        o,
        "delta_t",
        0.0,
        "must be > 0",
    );
    assert_bad_param(
        adex(AdEx {
            t_ref: f64::NAN,
            ..AdEx::default()
        }),
        o,
        "t_ref",
        f64::NAN,
        "must be finite",
    );
    assert_bad_param(
        adex(AdEx {
            g_l: -30.0,
            ..AdEx::default()
        }),
        o,
        "g_l",
        -30.0,
        "must be > 0",
    );
    let err = Network::new(0.1)
        .unwrap()
        .add_population(
            "A",
            2,
            AdExCond {
                tau_syn_in: -2.0,
                ..AdExCond::default()
            },
        )
        .build()
        .unwrap_err();
    assert_bad_param(err, o, "tau_syn_in", -2.0, "must be > 0");

    let hh = |m: TraubMiles| {
        Network::new(0.1)
            .unwrap()
            .add_population("H", 2, m)
            .build()
            .unwrap_err()
    };
    let o = "population `H`";
    assert_bad_param(
        hh(TraubMiles {
            c: 0.0,
            ..TraubMiles::GENN
        }),
        o,
        "c",
        0.0,
        "must be > 0",
    );
    assert_bad_param(
        hh(TraubMiles {
            g_na: -7.15,
            ..TraubMiles::GENN
        }),
        o,
        "g_na",
        -7.15,
        "must be >= 0",
    );
    assert_bad_param(
        hh(TraubMiles {
            e_k: f64::NAN,
            ..TraubMiles::GENN
        }),
        o,
        "e_k",
        f64::NAN,
        "must be finite",
    );

    let poisson = |rate: f64| {
        Network::new(0.1)
            .unwrap()
            .add_population("P", 2, Poisson { rate })
            .build()
            .unwrap_err()
    };
    assert_bad_param(
        poisson(-5.0),
        "population `P`",
        "rate",
        -5.0,
        "must be >= 0",
    );
    assert_bad_param(
        poisson(f64::INFINITY),
        "population `P`",
        "rate",
        f64::INFINITY,
        "must be finite",
    );
    // A valid parameter whose derived constant overflows: 1000 / (rate dt).
    assert_bad_param(
        poisson(1e-310),
        "population `P`",
        "isi_steps",
        f64::INFINITY,
        "(derived from the parameters and dt) is not finite",
    );
}

#[test]
fn synapse_and_current_source_parameters_are_checked() {
    let mut net = net_with(&["A", "B"]);
    let err = net
        .add_synapse_group("S", "A", "B", StaticPulse, ExpCurr { tau: 0.0 })
        .wu_init("g", 1.0)
        .build()
        .unwrap_err();
    assert_bad_param(
        err,
        "synapse group `S` (postsynaptic model)",
        "tau",
        0.0,
        "must be > 0",
    );
    let err = net
        .add_synapse_group(
            "S",
            "A",
            "B",
            StaticPulse,
            ExpCond {
                tau: f64::NAN,
                e_rev: 0.0,
            },
        )
        .wu_init("g", 1.0)
        .build()
        .unwrap_err();
    assert_bad_param(
        err,
        "synapse group `S` (postsynaptic model)",
        "tau",
        f64::NAN,
        "must be finite",
    );

    let stdp = StdpAdditive {
        tau_plus: 20.0,
        tau_minus: 20.0,
        a_plus: 0.01,
        a_minus: 0.012,
        w_min: 0.0,
        w_max: 1.0,
    };
    let wu = "synapse group `S` (weight update)";
    let err = net
        .add_synapse_group(
            "S",
            "A",
            "B",
            StdpAdditive {
                tau_plus: -20.0,
                ..stdp
            },
            DeltaCurr,
        )
        .build()
        .unwrap_err();
    assert_bad_param(err, wu, "tau_plus", -20.0, "must be > 0");
    let err = net
        .add_synapse_group(
            "S",
            "A",
            "B",
            StdpMultiplicative {
                tau_plus: 20.0,
                tau_minus: 20.0,
                a_plus: 0.01,
                a_minus: -0.1,
                w_min: 0.0,
                w_max: 1.0,
            },
            DeltaCurr,
        )
        .build()
        .unwrap_err();
    assert_bad_param(err, wu, "a_minus", -0.1, "must be >= 0");
    let err = net
        .add_synapse_group(
            "S",
            "A",
            "B",
            DopamineStdp {
                tau_plus: 20.0,
                tau_minus: 20.0,
                tau_c: 0.0,
                tau_d: 200.0,
                a_plus: 1.0,
                a_minus: 1.5,
                d_amount: 0.5,
                w_min: 0.0,
                w_max: 4.0,
            },
            DeltaCurr,
        )
        .build()
        .unwrap_err();
    assert_bad_param(err, wu, "tau_c", 0.0, "must be > 0");

    let cs = "current source `I`";
    let err = net
        .add_current_source("I", "A", DC { amp: f64::NAN })
        .build()
        .unwrap_err();
    assert_bad_param(err, cs, "amp", f64::NAN, "must be finite");
    let err = net
        .add_current_source(
            "I",
            "A",
            GaussianNoise {
                mean: 0.0,
                sd: -1.0,
            },
        )
        .build()
        .unwrap_err();
    assert_bad_param(err, cs, "sd", -1.0, "must be >= 0");
    let err = net
        .add_current_source(
            "I",
            "A",
            PoissonDelta {
                weight: 1.0,
                rate: -10.0,
            },
        )
        .build()
        .unwrap_err();
    assert_bad_param(err, cs, "rate", -10.0, "must be >= 0");
    let err = net
        .add_current_source(
            "I",
            "A",
            PoissonExp {
                weight: 1.0,
                tau_syn: 0.0,
                rate: 10.0,
            },
        )
        .init("current", 0.0)
        .build()
        .unwrap_err();
    assert_bad_param(err, cs, "tau_syn", 0.0, "must be > 0");
    // Nothing failed half-way: no group or source was added.
    assert!(net.synapse_groups().is_empty() && net.current_sources().is_empty());
}

#[test]
fn parameters_by_name_repeated_or_unknown_model() {
    let mut net = net_with(&[]);
    let err = net
        .add_population_named::<Poisson>("P", 3, &[("rate", 1.0), ("rate", 2.0)])
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::BadParameters { .. }), "{err:?}");
    assert!(err.to_string().starts_with("population `P`: "), "{err}");
    assert!(err.to_string().contains("`rate`"), "{err}");
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

#[test]
fn synapse_group_and_current_source_names() {
    let mut net = net_with(&["A"]);
    let err = net
        .add_synapse_group("", "A", "A", StaticPulse, DeltaCurr)
        .wu_init("g", 1.0)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::EmptyName {
            kind: "synapse group"
        }
    );
    assert_eq!(err.to_string(), "synapse group names must not be empty");
    net.add_synapse_group("S", "A", "A", StaticPulse, DeltaCurr)
        .wu_init("g", 1.0)
        .build()
        .unwrap();
    let err = net
        .add_synapse_group("S", "A", "A", StaticPulse, DeltaCurr)
        .wu_init("g", 1.0)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "duplicate synapse group name `S`: names must be unique"
    );
    let err = net
        .add_current_source("", "A", DC { amp: 1.0 })
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::EmptyName {
            kind: "current source"
        }
    );
    net.add_current_source("I", "A", DC { amp: 1.0 })
        .build()
        .unwrap();
    let err = net
        .add_current_source("I", "A", DC { amp: 1.0 })
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::DuplicateName {
            kind: "current source",
            name: "I".into()
        }
    );
    // A handle from nowhere.
    let err = net
        .add_current_source("J", PopulationId(9), DC { amp: 1.0 })
        .build()
        .unwrap_err();
    assert_eq!(err, Error::UnknownPopulation("#9".into()));
    assert_eq!(err.to_string(), "unknown population `#9`");
}

// ---------------------------------------------------------------------------
// Variable initialisers: values the variable's type cannot hold
// ---------------------------------------------------------------------------

#[test]
fn values_must_fit_the_variable_type() {
    // SpikeSourceArray's start_spike / end_spike are u32.
    let mut net = Network::new(0.1).unwrap();
    let err = net
        .add_population("Src", 2, SpikeSourceArray)
        .init("start_spike", -1.0)
        .init("end_spike", 0.0)
        .egp("spike_times", vec![])
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidVarInit {
            owner: "population `Src`".into(),
            var: "start_spike".into(),
            reason:
                "constant: value -1 does not fit the variable's type u32 (integers 0..=4294967295)"
                    .into()
        }
    );
    assert_eq!(
        err.to_string(),
        "population `Src`: initialiser of variable `start_spike`: constant: value -1 does not fit \
         the variable's type u32 (integers 0..=4294967295)"
    );
    let err = net
        .add_population("Src", 2, SpikeSourceArray)
        .init("start_spike", 0.0)
        .init("end_spike", vec![1.0, 1.5])
        .egp("spike_times", vec![1.0])
        .build()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("`end_spike`: values: value 1 (1.5) does not fit the variable's type u32"),
        "{err}"
    );

    // StaticPulseDendriticDelay's d is u8: 300 steps cannot be stored, even
    // with a maximum that allows it.
    let mut net = net_with(&["A", "B"]);
    let err = net
        .add_synapse_group("AB", "A", "B", StaticPulseDendriticDelay, DeltaCurr)
        .wu_init("g", 1.0)
        .wu_init("d", 300.0)
        .max_dendritic_delay(400)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidVarInit { var, .. } if var == "d"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "synapse group `AB` (weight update): initialiser of variable `d`: constant: value 300 \
         does not fit the variable's type u8 (integers 0..=255)"
    );
    let err = net
        .add_synapse_group("AB", "A", "B", StaticPulseDendriticDelay, DeltaCurr)
        .wu_init("g", 1.0)
        .wu_init("d", 2.5)
        .max_dendritic_delay(4)
        .build()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("value 2.5 does not fit the variable's type u8"),
        "{err}"
    );
}

#[test]
fn negative_dendritic_delays_are_rejected() {
    let mut net = net_with(&["A", "B"]);
    let err = net
        .add_synapse_group("AB", "A", "B", StaticPulseDendriticDelay, DeltaCurr)
        .wu_init("g", 1.0)
        .wu_init("d", VarInit::uniform(-2.0, 3.0))
        .max_dendritic_delay(4)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidVarInit {
            owner: "synapse group `AB` (weight update)".into(),
            var: "d".into(),
            reason: "dendritic delay -2 is negative: delays must be >= 0 steps".into()
        }
    );
    // A uniform delay whose upper end is beyond the maximum.
    let err = net
        .add_synapse_group("AB", "A", "B", StaticPulseDendriticDelay, DeltaCurr)
        .wu_init("g", 1.0)
        .wu_init("d", VarInit::uniform(0.0, 9.0))
        .max_dendritic_delay(4)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::DelayTooLarge {
                delay: 9,
                max: 4,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn delay_steps_normal_with_bad_arguments_is_rejected_at_build() {
    let mut net = net_with(&["A", "B"]);
    let mut try_delays = |init: VarInit, max: u32| {
        net.add_synapse_group("AB", "A", "B", StaticPulseDendriticDelay, DeltaCurr)
            .wu_init("g", 1.0)
            .wu_init("d", init)
            .max_dendritic_delay(max.max(1))
            .build()
            .unwrap_err()
    };
    // dt = 0: the mean in steps is infinite.
    let (init, max) = VarInit::delay_steps_normal(1.5, 0.75, 0.1, 6.0, 0.0);
    let err = try_delays(init, max);
    assert!(
        err.to_string()
            .starts_with("synapse group `AB` (weight update): initialiser of variable `d`: normal_clipped: mean (inf) must be finite"),
        "{err}"
    );
    // Negative sd, NaN mean.
    let (init, max) = VarInit::delay_steps_normal(1.5, -0.75, 0.1, 6.0, 0.1);
    assert!(try_delays(init, max)
        .to_string()
        .contains("sd (-7.5) must be >= 0"));
    let (init, max) = VarInit::delay_steps_normal(f64::NAN, 0.75, 0.1, 6.0, 0.1);
    assert!(try_delays(init, max)
        .to_string()
        .contains("mean (NaN) must be finite"));
    // max below min: was silently clamped to min (a constant delay).
    let (init, max) = VarInit::delay_steps_normal(1.5, 0.75, 2.0, 1.0, 0.1);
    assert_eq!(max, 9);
    let err = try_delays(init, max);
    assert!(matches!(err, Error::InvalidVarInit { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("normal_clipped: min (19.5) is greater than max (9.5)"),
        "{err}"
    );
}

#[test]
fn weight_update_side_and_postsynaptic_variables() {
    let mut net = net_with(&["A", "B"]);
    let stdp = StdpAdditive {
        tau_plus: 20.0,
        tau_minus: 20.0,
        a_plus: 0.01,
        a_minus: 0.012,
        w_min: 0.0,
        w_max: 1.0,
    };
    let err = net
        .add_synapse_group("S", "A", "B", stdp.clone(), DeltaCurr)
        .wu_init("g", 0.5)
        .pre_init("x", 0.0)
        .post_init("z", 0.0)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::UnknownVariable { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "synapse group `S` (weight update): weight-update model `StdpAdditive` (postsynaptic variables) has no variable `z` (variables: y)"
    );
    let err = net
        .add_synapse_group("S", "A", "B", stdp.clone(), DeltaCurr)
        .wu_init("g", 0.5)
        .pre_init("x", 0.0)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidVarInit { var, .. } if var == "y"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("give one with .post_init(\"y\", ...)"),
        "{err}"
    );
    let err = net
        .add_synapse_group("S", "A", "B", stdp.clone(), DeltaCurr)
        .wu_init("g", 0.5)
        .pre_init("x", vec![0.0; 3])
        .post_init("y", 0.0)
        .build()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("initialiser of variable `x`: values: 3 values given for 10 elements"),
        "{err}"
    );
    let err = net
        .add_synapse_group("S", "A", "B", stdp.clone(), DeltaCurr)
        .wu_init("g", f64::NAN)
        .pre_init("x", 0.0)
        .post_init("y", 0.0)
        .build()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("`g`: constant: value (NaN) must be finite"),
        "{err}"
    );
    // ExpCurr has no variables besides in_syn.
    let err = net
        .add_synapse_group("S", "A", "B", StaticPulse, ExpCurr { tau: 5.0 })
        .wu_init("g", 1.0)
        .psm_init("in_syn", 0.0)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::UnknownVariable { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("synapse group `S` (postsynaptic model): postsynaptic model `ExpCurr` has no variable `in_syn`"),
        "{err}"
    );
    // A weight-update variable without a value.
    let err = net
        .add_synapse_group("S", "A", "B", StaticPulse, DeltaCurr)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::MissingInit {
            owner: "synapse group `S` (weight update)".into(),
            var: "g".into(),
            setter: "wu_init".into(),
        }
    );
    assert!(err.to_string().contains(".wu_init(\"g\", ...)"), "{err}");
}

// ---------------------------------------------------------------------------
// Connectivity
// ---------------------------------------------------------------------------

#[test]
fn connectivity_rules_with_impossible_parameters() {
    let mut net = net_with(&["A", "B"]);
    net.add_population("C", 7, izh())
        .init("v", -65.0)
        .init("u", -13.0)
        .build()
        .unwrap();
    net.add_population("One", 1, izh())
        .init("v", -65.0)
        .init("u", -13.0)
        .build()
        .unwrap();
    let mut conn = |pre: &str, post: &str, c: Connectivity| {
        net.add_synapse_group("S", pre, post, StaticPulse, DeltaCurr)
            .connectivity(c)
            .wu_init("g", 1.0)
            .build()
            .unwrap_err()
    };
    for p in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
        let err = conn(
            "A",
            "B",
            Connectivity::FixedProbability { p, autapses: true },
        );
        assert_eq!(
            err,
            Error::InvalidConnectivity {
                group: "S".into(),
                reason: format!("connection probability {p} is not in [0, 1]")
            }
        );
        assert_eq!(
            err.to_string(),
            format!("synapse group `S`: connectivity: connection probability {p} is not in [0, 1]")
        );
    }
    let err = conn("A", "C", Connectivity::OneToOne);
    assert!(matches!(err, Error::InvalidConnectivity { .. }), "{err:?}");
    assert!(
        err.to_string().contains("one-to-one connectivity needs equal population sizes, got 10 presynaptic and 7 postsynaptic neurons"),
        "{err}"
    );
    let err = conn(
        "One",
        "One",
        Connectivity::FixedNumberPost {
            n: 2,
            autapses: false,
        },
    );
    assert!(
        err.to_string().contains("fixed number post: 2 targets per presynaptic neuron but no allowed target among 1 postsynaptic neurons (autapses excluded)"),
        "{err}"
    );
    let err = conn(
        "One",
        "One",
        Connectivity::FixedNumberPre {
            n: 1,
            autapses: false,
        },
    );
    assert!(
        err.to_string()
            .contains("no allowed source among 1 presynaptic neurons"),
        "{err}"
    );
    let err = conn("A", "B", Connectivity::FixedNumberTotal { n: 1 << 33 });
    assert!(
        err.to_string().contains(
            "fixed total number: 8589934592 synapses, more than the supported 4294967295"
        ),
        "{err}"
    );
    let err = conn(
        "A",
        "B",
        Connectivity::FixedNumberPost {
            n: u32::MAX,
            autapses: true,
        },
    );
    assert!(matches!(err, Error::InvalidConnectivity { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("more than the supported 4294967295"),
        "{err}"
    );
    // A dense matrix needs all-to-all connectivity with autapses.
    let err = net
        .add_synapse_group("S", "A", "B", StaticPulse, DeltaCurr)
        .connectivity(Connectivity::OneToOne)
        .dense()
        .wu_init("g", 1.0)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "synapse group `S`: connectivity: a dense matrix needs all-to-all connectivity with autapses"
    );
}

// ---------------------------------------------------------------------------
// Delays, ports, extra global parameters, variable recordings
// ---------------------------------------------------------------------------

#[test]
fn delays_too_large_for_any_backend() {
    let mut net = net_with(&["A", "B"]);
    let err = net
        .add_synapse_group("S", "A", "B", StaticPulse, DeltaCurr)
        .wu_init("g", 1.0)
        .axonal_delay(u32::MAX)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidSynapseGroup { group, .. } if group == "S"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "synapse group `S`: axonal delay of 4294967295 steps is too large: its 4294967296 slots \
         of 10 presynaptic neurons (42949672960 entries) exceed the supported 2^32 - 1 (at most \
         429496728 steps here)"
    );
    let err = net
        .add_synapse_group("S", "A", "B", StaticPulseDendriticDelay, DeltaCurr)
        .wu_init("g", 1.0)
        .wu_init("d", 1.0)
        .max_dendritic_delay(1 << 30)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidSynapseGroup { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "synapse group `S`: maximum dendritic delay of 1073741824 steps is too large"
        ),
        "{err}"
    );
    // The largest allowed axonal delay builds.
    net.add_synapse_group("S", "A", "B", StaticPulse, DeltaCurr)
        .wu_init("g", 1.0)
        .axonal_delay(429_496_728)
        .build()
        .unwrap();
}

#[test]
fn axonal_delay_with_presynaptic_spike_times() {
    let mut net = net_with(&["A", "B"]);
    let err = net
        .add_synapse_group(
            "S",
            "A",
            "B",
            StdpAdditive {
                tau_plus: 20.0,
                tau_minus: 20.0,
                a_plus: 0.01,
                a_minus: 0.012,
                w_min: 0.0,
                w_max: 1.0,
            },
            DeltaCurr,
        )
        .wu_init("g", 0.5)
        .pre_init("x", 0.0)
        .post_init("y", 0.0)
        .axonal_delay(3)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidSynapseGroup { .. }), "{err:?}");
    assert!(
        err.to_string().contains(
            "synapse group `S`: weight-update model `StdpAdditive` reads presynaptic spike times"
        ) && err.to_string().contains("(axonal delay 3)"),
        "{err}"
    );
}

#[test]
fn unknown_input_ports() {
    let mut net = net_with(&["A"]);
    net.add_population("C", 4, AdExCond::default())
        .init("v", -70.6)
        .init("w", 0.0)
        .init("g_ex", 0.0)
        .init("g_in", 0.0)
        .init("refrac", 0.0)
        .init("spiked", 0.0)
        .build()
        .unwrap();
    let err = net
        .add_synapse_group("S", "A", "C", StaticPulse, DeltaCurr)
        .wu_init("g", 1.0)
        .target_port("exc")
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::UnknownPort {
            owner: "synapse group `S` (postsynaptic model)".into(),
            target: "population `C` (model `AdExCond`)".into(),
            port: "exc".into(),
            known: "ports: ex, inh".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "synapse group `S` (postsynaptic model): the neuron model of population `C` (model \
         `AdExCond`) has no input port `exc` (ports: ex, inh)"
    );
    let err = net
        .add_current_source("I", "A", DC { amp: 1.0 })
        .target_port("ex")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::UnknownPort { .. }), "{err:?}");
    assert!(
        err.to_string().contains("current source `I`: the neuron model of population `A` (model `Izhikevich`) has no input port `ex` (it has no #[input] fields"),
        "{err}"
    );
}

#[test]
fn extra_global_parameters_at_build() {
    let mut net = Network::new(0.1).unwrap();
    fn src(net: &mut Network) -> snn::network::PopulationBuilder<'_> {
        net.add_population("Src", 2, SpikeSourceArray)
            .init("start_spike", 0.0)
            .init("end_spike", 1.0)
    }
    let err = src(&mut net).build().unwrap_err();
    assert_eq!(
        err,
        Error::InvalidEgp {
            owner: "population `Src`".into(),
            egp: "spike_times".into(),
            reason: "no values given (set them with .egp(...))".into()
        }
    );
    let err = src(&mut net)
        .egp("spike_times", vec![1.0, f64::NAN])
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "population `Src`: extra global parameter `spike_times`: contains the non-finite value NaN"
    );
    let err = src(&mut net)
        .egp("spike_times", vec![1.0])
        .egp("times", vec![1.0])
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidEgp { egp, .. } if egp == "times"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(
            "neuron model `SpikeSourceArray` has no such extra global parameter (has: spike_times)"
        ),
        "{err}"
    );
    let mut net = net_with(&["A"]);
    let err = net
        .add_synapse_group("S", "A", "A", StaticPulse, DeltaCurr)
        .wu_init("g", 1.0)
        .wu_egp("dopamine", vec![0.0])
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "synapse group `S` (weight update): extra global parameter `dopamine`: weight-update \
         model `StaticPulse` has no such extra global parameter (it has none)"
    );
    let err = net
        .add_current_source("I", "A", DC { amp: 1.0 })
        .egp("x", vec![f64::INFINITY])
        .build()
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("current source `I`: extra global parameter `x`"),
        "{err}"
    );
}

#[test]
fn variable_recordings_at_build() {
    let mut net = net_with(&["A"]);
    let err = net.record_var("A", "w", Neurons::All, 1).unwrap_err();
    assert!(matches!(err, Error::UnknownVariable { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "population `A`: neuron model `Izhikevich` has no variable `w` (variables: v, u)"
    );
    let err = net.record_var("A", "v", Neurons::All, 0).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidRecording(
            "variable `v` of population `A`: the sampling interval must be at least 1 step".into()
        )
    );
    let err = net
        .record_var("A", "v", Neurons::Ids(vec![0, 10]), 1)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "recording: neuron 10 is out of range for population `A` of 10 neurons"
    );
    let err = net.record_var("Z", "v", Neurons::All, 1).unwrap_err();
    assert_eq!(err, Error::UnknownPopulation("Z".into()));
    assert!(net.var_recordings().is_empty());
}
