//! The CPU backend's vector path (`snn_core::lanes`): neuron models whose
//! `sim` and `threshold` are in the lane subset run sixteen neurons per
//! call, and give the same bits as the scalar methods. Each built-in neuron
//! model (and a user model with loops, `break`/`continue` and nested
//! conditions whose trip counts differ per neuron) runs a noisy, recurrent
//! network twice, vector path on and off, in both precisions; spikes and
//! every variable must be identical. 101 neurons: six full lane groups and
//! a partial one.

use snn::cpu::VectorPath;
use snn::model::{
    NeuronBehaviour, NeuronModel, PrecisionStates, WeightUpdateBehaviour, WeightUpdateModel,
};
use snn::prelude::*;

const N: u32 = 101;
const STEPS: u64 = 400;

/// A model whose control flow differs per neuron: a loop over a
/// variable's count with `continue` and `break`, and nested conditions.
#[neuron_model]
pub struct Lanes {
    #[param]
    pub tau: Scalar,
    #[var]
    v: Scalar,
    #[var]
    k: Scalar,
}

#[neuron_model]
impl Lanes {
    fn sim(&mut self, env: &mut NeuronEnv) {
        let n = (self.k.abs() * 3.0) as i32;
        let mut acc: Scalar = 0.0;
        for i in 0..n {
            if i == 1 {
                continue;
            }
            acc += (self.v / self.tau).exp() * 0.01;
            if acc > 0.05 {
                break;
            }
        }
        let mut j = 0;
        while j < 3 && self.v < -60.0 {
            self.v += 0.5;
            j += 1;
        }
        self.v += env.dt() * (env.isyn() - acc) / self.tau
            + if self.k > 1.0 {
                0.1
            } else if self.k > 0.5 {
                0.05
            } else {
                0.0
            };
        self.k = (self.k + 0.37).min(2.0);
        if self.k >= 2.0 {
            self.k = 0.0;
        }
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.v >= -50.0
    }
    fn reset(&mut self, env: &mut NeuronEnv) {
        self.v = -65.0;
    }
}

/// A CPU simulation of `net` on the vector path (`vector`) or the scalar one.
fn cpu_sim(net: &Network, vector: bool) -> CpuSimulation {
    let mut sim = CpuSimulation::new(net).unwrap();
    sim.set_vector_path(if vector {
        VectorPath::Always
    } else {
        VectorPath::Never
    });
    sim
}

/// Whether `M`'s states have a lane form, in `f32` and `f64`.
fn has_lanes<M: NeuronModel>() -> [bool; 2] {
    [
        <<f32 as PrecisionStates>::Neuron<M> as NeuronBehaviour<f32>>::LANES,
        <<f64 as PrecisionStates>::Neuron<M> as NeuronBehaviour<f64>>::LANES,
    ]
}

#[test]
fn built_in_neuron_models_have_a_lane_form() {
    assert_eq!(has_lanes::<Lif>(), [true; 2]);
    assert_eq!(has_lanes::<Izhikevich>(), [true; 2]);
    assert_eq!(has_lanes::<IzhikevichVariable>(), [true; 2]);
    assert_eq!(has_lanes::<TraubMiles>(), [true; 2]);
    assert_eq!(has_lanes::<TraubMilesExpEuler>(), [true; 2]);
    assert_eq!(has_lanes::<TraubMilesEuler>(), [true; 2]);
    assert_eq!(has_lanes::<AdEx>(), [true; 2]);
    assert_eq!(has_lanes::<AdExCond>(), [true; 2]);
    assert_eq!(has_lanes::<Lanes>(), [true; 2]);
    // Random draws (Poisson) and indexing (SpikeSourceArray) stay scalar.
    assert_eq!(has_lanes::<Poisson>(), [false; 2]);
    assert_eq!(has_lanes::<SpikeSourceArray>(), [false; 2]);
    type Source = <f32 as PrecisionStates>::Neuron<SpikeSourceArray>;
    assert!(
        <Source as NeuronBehaviour<f32>>::NO_LANES.starts_with("`threshold` has the expression"),
        "{}",
        <Source as NeuronBehaviour<f32>>::NO_LANES
    );
}

/// A model's initial values (`v` uniform in `v_range`, the others as
/// given) and its noise input's mean and standard deviation.
struct Setup<'a> {
    inits: &'a [(&'a str, f64)],
    v_range: (f64, f64),
    drive: (f64, f64),
}

/// Spikes and the bits of every variable of population "P" after
/// [`STEPS`] steps of a network of `model` set up by `s`, driven by noise
/// and recurrent synapses.
fn run<M: NeuronModel + Clone>(
    model: &M,
    s: &Setup,
    precision: Precision,
    vector: bool,
) -> (SpikeRecord, Vec<Vec<u64>>) {
    let mut net = Network::new(0.1).unwrap();
    net.set_precision(precision);
    net.set_seed(5);
    let mut b = net
        .add_population("P", N, model.clone())
        .init("v", VarInit::uniform(s.v_range.0, s.v_range.1))
        .record_spikes(true);
    for &(name, value) in s.inits {
        b = b.init(name, value);
    }
    let pop = b.build().unwrap();
    let (mean, sd) = s.drive;
    net.add_current_source("Noise", pop, GaussianNoise { mean, sd })
        .build()
        .unwrap();
    net.add_synapse_group("Rec", pop, pop, StaticPulse, ExpCurr { tau: 2.0 })
        .connectivity(Connectivity::FixedProbability {
            p: 0.1,
            autapses: false,
        })
        .wu_init("g", 0.4)
        .build()
        .unwrap();
    // Conductance inputs into the ports of the models that have them.
    for (port, weight) in [("ex", 8.0), ("inh", 1.0)] {
        if M::DESC.fields.iter().any(|f| f.name == port) {
            let source = PoissonDelta {
                weight,
                rate: 3000.0,
            };
            net.add_current_source(&format!("Poisson_{port}"), pop, source)
                .target_port(port)
                .build()
                .unwrap();
        }
    }
    let mut sim = cpu_sim(&net, vector);
    sim.run_steps(STEPS).unwrap();
    let vars = M::DESC
        .fields
        .iter()
        .filter(|f| f.kind == snn::model::FieldKind::Var)
        .map(|f| {
            let vals = sim.var_values(pop, f.name).unwrap();
            vals.iter().map(|x| x.to_bits()).collect()
        })
        .collect();
    (sim.spikes(pop).unwrap(), vars)
}

/// Runs [`run`] with the vector path on and off, in both precisions.
fn same_bits<M: NeuronModel + Clone>(model: M, s: Setup) {
    assert_eq!(has_lanes::<M>(), [true; 2], "{}", M::DESC.name);
    for precision in [Precision::F32, Precision::F64] {
        let scalar = run(&model, &s, precision, false);
        let vector = run(&model, &s, precision, true);
        assert!(
            scalar.0.times.len() > 10,
            "{} {precision:?}: too few spikes to compare ({})",
            M::DESC.name,
            scalar.0.times.len()
        );
        assert_eq!(scalar.0, vector.0, "{} {precision:?}: spikes", M::DESC.name);
        for (k, (a, b)) in scalar.1.iter().zip(&vector.1).enumerate() {
            let first = a.iter().zip(b).position(|(x, y)| x != y);
            assert!(
                first.is_none(),
                "{} {precision:?}: variable {k} differs first at neuron {first:?}",
                M::DESC.name
            );
        }
    }
}

#[test]
fn lif_and_izhikevich_vector_paths_give_the_scalar_bits() {
    let lif = Lif {
        c: 0.25,
        tau_m: 10.0,
        v_rest: -65.0,
        v_reset: -65.0,
        v_thresh: -50.0,
        i_offset: 0.3,
        tau_refrac: 2.0,
    };
    let setup = |inits| Setup {
        inits,
        v_range: (-70.0, -50.0),
        drive: (0.5, 2.0),
    };
    same_bits(lif, setup(&[("refrac_time", 0.0)]));
    let izh = Izhikevich {
        a: 0.02,
        b: 0.2,
        c: -65.0,
        d: 8.0,
    };
    same_bits(izh, setup(&[("u", -13.0)]));
    let inits = [
        ("u", -13.0),
        ("a", 0.02),
        ("b", 0.2),
        ("c", -65.0),
        ("d", 8.0),
    ];
    same_bits(IzhikevichVariable {}, setup(&inits));
    same_bits(Lanes { tau: 10.0 }, setup(&[("k", 0.3)]));
}

#[test]
fn hodgkin_huxley_vector_paths_give_the_scalar_bits() {
    let inits = [("m", 0.05), ("h", 0.6), ("n", 0.32)];
    // Brian2 COBAHH's neuron.
    let hh = crate::hh_reference::traub_miles(&crate::hh_reference::COBAHH);
    let setup = || Setup {
        inits: &inits,
        v_range: (-70.0, -55.0),
        drive: (0.2, 0.5),
    };
    same_bits(hh.clone(), setup());
    same_bits(hh.clone().exp_euler(1), setup());
    same_bits(hh.euler(25), setup());
}

#[test]
fn adex_vector_paths_give_the_scalar_bits() {
    let inits = [("w", 0.0), ("refrac", 0.0), ("spiked", 0.0)];
    for solver in [
        AdExSolver::DEFAULT,
        AdExSolver::Rk4 { substeps: 2 },
        AdExSolver::ExponentialEuler { substeps: 4 },
    ] {
        let setup = |inits| Setup {
            inits,
            v_range: (-70.0, -50.0),
            drive: (600.0, 300.0),
        };
        same_bits(AdEx::default().with_solver(solver), setup(&inits));
        let cond = [inits.as_slice(), &[("g_ex", 0.0), ("g_in", 0.0)]].concat();
        same_bits(AdExCond::default().with_solver(solver), setup(&cond));
    }
}

/// A model written by a `macro_rules!` macro whose `$e:expr` fragment is
/// an operand: `1 + $e` with `$e = 2^-24 + 2^-24` must round as
/// `1 + (2^-24 + 2^-24) = 1 + 2^-23` (the IR's and every kernel's
/// grouping), not as `(1 + 2^-24) + 2^-24 = 1` (rustc's reading of a
/// re-emitted invisible group), on both CPU paths.
macro_rules! grouped_model {
    ($e:expr) => {
        #[neuron_model]
        pub struct Grouped {
            #[var]
            v: Scalar,
        }

        #[neuron_model]
        impl Grouped {
            fn sim(&mut self, env: &mut NeuronEnv) {
                self.v = 1.0 + $e;
            }
        }
    };
}
grouped_model!(5.960_464_5e-8 + 5.960_464_5e-8);

#[test]
fn macro_fragments_keep_their_grouping() {
    for vector in [false, true] {
        let mut net = Network::new(0.1).unwrap();
        let pop = net
            .add_population("P", 3, Grouped {})
            .init("v", 0.0)
            .build()
            .unwrap();
        let mut sim = cpu_sim(&net, vector);
        sim.run_steps(1).unwrap();
        let v = sim.var_values(pop, "v").unwrap();
        assert_eq!(v, [1.0 + f32::EPSILON as f64; 3], "vector path {vector}");
    }
}

/// Collatz trajectories: a loop whose trip count differs a lot from lane
/// to lane (from 0 to a few hundred iterations), so that the lane form
/// spills its last few looping lanes (`snn_core::lanes::SPILL_AFTER`) and
/// the backend runs them again gathered: the spilled neurons must come out
/// with the scalar bits, and nothing else may change.
#[neuron_model]
pub struct Collatz {
    #[var]
    x: Scalar,
    #[var]
    steps: Scalar,
}

#[neuron_model]
impl Collatz {
    fn sim(&mut self, env: &mut NeuronEnv) {
        let mut x = self.x.floor() + 1.0;
        self.steps = 0.0;
        while x > 1.0 {
            let half = x * 0.5;
            x = if half.floor() == half {
                half
            } else {
                3.0 * x + 1.0
            };
            // A field written in the loop: a spilled lane must not keep it.
            self.steps += 1.0;
        }
        self.x = (self.x * 7.0 + 13.0) % 997.0;
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.steps > 100.0
    }
}

#[test]
fn spilled_lanes_give_the_scalar_bits() {
    let run = |vector: bool| {
        let mut net = Network::new(0.1).unwrap();
        let pop = net
            .add_population("P", 1000, Collatz {})
            .init("x", VarInit::uniform(0.0, 996.0))
            .init("steps", 0.0)
            .record_spikes(true)
            .build()
            .unwrap();
        let mut sim = cpu_sim(&net, vector);
        sim.run_steps(20).unwrap();
        let vars = ["x", "steps"].map(|v| sim.var_values(pop, v).unwrap());
        (vars, sim.spikes(pop).unwrap())
    };
    let (scalar, vector) = (run(false), run(true));
    assert!(scalar.1.len() > 100, "the long trajectories spike");
    assert!(scalar.0[1].iter().any(|&s| s > 150.0) && scalar.0[1].iter().any(|&s| s < 10.0));
    assert_eq!(scalar, vector);
}

/// Synapse code whose add to the target is conditional and whose
/// learning rule branches per synapse, for [`plastic_synapses_give_the_scalar_bits`].
#[weight_update_model]
pub struct Gated {
    #[param]
    pub theta: Scalar,
    #[var]
    g: Scalar,
    #[var]
    e: Scalar,
}

#[weight_update_model]
impl Gated {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        if self.e > self.theta {
            env.add_to_post(self.g * 2.0);
        }
        self.e = self.e * (-(env.t() - env.st_post()) / 20.0).exp() + 0.1;
    }
    fn on_post_spike(&mut self, env: &mut WeightUpdateEnv) {
        let d = env.st_post() - env.st_pre();
        self.g = if d < 10.0 {
            self.g + 0.01 * (-d / 10.0).exp()
        } else {
            self.g * 0.999
        };
    }
}

/// A synapse that weakens with use (its presynaptic spike times unread,
/// so it may have an axonal delay).
#[weight_update_model]
pub struct Fading {
    #[var]
    g: Scalar,
}

#[weight_update_model]
impl Fading {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post(self.g);
        self.g *= 0.99;
    }
}

/// The synapse-code methods of `M` with a lane form, in `f32` and `f64`.
fn synapse_lanes<M: WeightUpdateModel>() -> [u32; 2] {
    [
        <<f32 as PrecisionStates>::WeightUpdate<M> as WeightUpdateBehaviour<f32>>::LANE_METHODS,
        <<f64 as PrecisionStates>::WeightUpdate<M> as WeightUpdateBehaviour<f64>>::LANE_METHODS,
    ]
}

#[test]
fn built_in_synapse_code_has_a_lane_form() {
    use snn::dsl::Method::{OnPostSpike, OnPreEvent, OnPreSpike};
    let (pre, post, event) = (
        1 << OnPreSpike as u32,
        1 << OnPostSpike as u32,
        1 << OnPreEvent as u32,
    );
    assert_eq!(synapse_lanes::<StaticPulse>(), [pre; 2]);
    assert_eq!(synapse_lanes::<StdpAdditive>(), [pre | post; 2]);
    assert_eq!(synapse_lanes::<StdpMultiplicative>(), [pre | post; 2]);
    assert_eq!(synapse_lanes::<DopamineStdp>(), [pre | post | event; 2]);
    assert_eq!(synapse_lanes::<Gated>(), [pre | post; 2]);
    // A dendritic delay stays scalar, and says why.
    assert_eq!(synapse_lanes::<StaticPulseDendriticDelay>(), [0; 2]);
    type Dendritic = <f32 as PrecisionStates>::WeightUpdate<StaticPulseDendriticDelay>;
    let why = <Dendritic as WeightUpdateBehaviour<f32>>::NO_LANES;
    assert!(why.contains("add_to_post_delay"), "{why}");
}

/// Spikes and the bits of every synapse variable after `steps` steps of a
/// recurrent Izhikevich network with plastic synapses of every kind with
/// a lane form (traces in pre/post variables, dopamine events, a
/// conditional add, an axonal delay) and one without, on the vector path or
/// the scalar one. Rows and columns hold about 30 synapses (full and
/// partial lane groups) or, for "Sparse", about 3 (the scalar path).
fn plastic_run(precision: Precision, vector: bool, steps: u64) -> (SpikeRecord, Vec<Vec<u64>>) {
    let mut net = Network::new(1.0).unwrap();
    net.set_precision(precision);
    net.set_seed(9);
    let izh = Izhikevich {
        a: 0.02,
        b: 0.2,
        c: -65.0,
        d: 8.0,
    };
    let pop = net
        .add_population("P", N, izh)
        .init("v", VarInit::uniform(-70.0, -50.0))
        .init("u", -13.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let noise = GaussianNoise { mean: 3.0, sd: 4.0 };
    net.add_current_source("Noise", pop, noise).build().unwrap();
    let dense = Connectivity::FixedProbability {
        p: 0.3,
        autapses: false,
    };
    let stdp = StdpAdditive {
        tau_plus: 20.0,
        tau_minus: 20.0,
        a_plus: 0.05,
        a_minus: 0.06,
        w_min: 0.0,
        w_max: 2.0,
    };
    net.add_synapse_group("Add", pop, pop, stdp, ExpCurr { tau: 2.0 })
        .connectivity(dense.clone())
        .wu_init("g", VarInit::uniform(0.0, 1.0))
        .pre_init("x", 0.0)
        .post_init("y", 0.0)
        .build()
        .unwrap();
    let da = DopamineStdp {
        tau_plus: 20.0,
        tau_minus: 20.0,
        tau_c: 100.0,
        tau_d: 20.0,
        a_plus: 0.1,
        a_minus: 0.15,
        d_amount: 0.5,
        w_min: 0.0,
        w_max: 2.0,
    };
    net.add_synapse_group("Da", pop, pop, da, DeltaCurr {})
        .connectivity(dense.clone())
        .wu_init("g", VarInit::uniform(0.0, 0.5))
        .wu_init("c", 0.0)
        .wu_init("t_last", 0.0)
        .wu_egp("inject_dopamine", vec![0.0])
        .build()
        .unwrap();
    net.add_synapse_group("Gated", pop, pop, Gated { theta: 0.15 }, DeltaCurr {})
        .connectivity(dense)
        .wu_init("g", VarInit::uniform(0.0, 0.3))
        .wu_init("e", VarInit::uniform(0.0, 0.3))
        .build()
        .unwrap();
    net.add_synapse_group("Delayed", pop, pop, Fading {}, ExpCurr { tau: 2.0 })
        .connectivity(Connectivity::FixedProbability {
            p: 0.2,
            autapses: false,
        })
        .wu_init("g", VarInit::uniform(0.0, 0.6))
        .axonal_delay(3)
        .build()
        .unwrap();
    let sparse = Connectivity::FixedProbability {
        p: 0.03,
        autapses: false,
    };
    net.add_synapse_group("Sparse", pop, pop, Gated { theta: 0.1 }, DeltaCurr {})
        .connectivity(sparse)
        .wu_init("g", 0.5)
        .wu_init("e", 0.2)
        .build()
        .unwrap();
    net.add_synapse_group(
        "Dendritic",
        pop,
        pop,
        StaticPulseDendriticDelay {},
        DeltaCurr {},
    )
    .connectivity(Connectivity::FixedProbability {
        p: 0.1,
        autapses: false,
    })
    .wu_init("g", 0.3)
    .wu_init("d", 2.0)
    .max_dendritic_delay(3)
    .build()
    .unwrap();
    let mut sim = cpu_sim(&net, vector);
    for step in 0..steps {
        let flag = if step % 100 == 50 { 1.0 } else { 0.0 };
        sim.set_egp(EgpOwner::group("Da"), "inject_dopamine", &[flag])
            .unwrap();
        sim.step().unwrap();
    }
    let vars = [
        ("Add", "g"),
        ("Da", "g"),
        ("Da", "c"),
        ("Da", "t_last"),
        ("Gated", "g"),
        ("Gated", "e"),
        ("Sparse", "g"),
        ("Sparse", "e"),
        ("Delayed", "g"),
    ]
    .map(|(group, var)| {
        let vals = sim.synapse_var_values(group, var).unwrap();
        vals.iter().map(|x| x.to_bits()).collect()
    });
    (sim.spikes(pop).unwrap(), vars.to_vec())
}

#[test]
fn plastic_synapses_give_the_scalar_bits() {
    for precision in [Precision::F32, Precision::F64] {
        let scalar = plastic_run(precision, false, 600);
        let vector = plastic_run(precision, true, 600);
        let initial = plastic_run(precision, false, 0).1;
        let spikes = scalar.0.times.len();
        assert!(
            (300..30_000).contains(&spikes),
            "{precision:?}: {spikes} spikes, want a network that neither dies nor explodes"
        );
        assert_eq!(scalar.0, vector.0, "{precision:?}: spikes");
        for (k, (a, b)) in scalar.1.iter().zip(&vector.1).enumerate() {
            let first = a.iter().zip(b).position(|(x, y)| x != y);
            assert!(
                first.is_none(),
                "{precision:?}: variable {k} differs first at synapse {first:?}"
            );
        }
        // The rules learned something (else the comparison proves little).
        for k in [0, 1, 4, 8] {
            assert_ne!(
                initial[k], scalar.1[k],
                "{precision:?}: variable {k} never changed"
            );
        }
    }
}
