//! User-defined variable-initialisation and connectivity snippets.
//!
//! The tests that build a simulation run on every backend
//! (`snn::backend_tests!`) and check, with the same exact checks, what the
//! backend reports back: the GPU runtime keeps variables and rows in its
//! ragged device layout and reads them back from there. (Initialisation
//! itself currently runs on the host for every backend.)

use snn::prelude::*;
use snn::testing::TestBackend;

/// value = start + step * element
#[var_init_snippet]
pub struct Ramp {
    #[param]
    pub start: Scalar,
    #[param]
    pub step: Scalar,
}

#[var_init_snippet]
impl Ramp {
    fn init(&self, env: &mut InitEnv) -> Scalar {
        self.start + self.step * env.id() as Scalar
    }
}

/// value = scale * u^2 with u uniform in (0, 1): mean scale / 3.
#[var_init_snippet]
pub struct SquaredUniform {
    #[param(positive)]
    pub scale: Scalar,
}

#[var_init_snippet]
impl SquaredUniform {
    fn init(&self, env: &mut InitEnv) -> Scalar {
        let u = env.rand_uniform();
        self.scale * u * u
    }
}

/// Neuron i projects to its `k` successors on a ring.
#[connectivity_snippet(max_row_length = k as u32)]
pub struct RingSuccessors {
    #[param(positive)]
    pub k: Scalar,
}

#[connectivity_snippet]
impl RingSuccessors {
    fn row_build(&self, env: &mut RowBuildEnv) {
        let n = env.num_post();
        for j in 1..=(self.k as u32) {
            env.add_synapse((env.id_pre() + j) % n);
        }
    }
}

/// Fixed probability by geometric skipping, written as a snippet.
#[connectivity_snippet(max_row_length = num_post)]
pub struct Bernoulli {
    #[param]
    pub p: Scalar,
    #[derived(1.0 / (1.0 - p).ln())]
    inv_log_q: Scalar,
}

#[connectivity_snippet]
impl Bernoulli {
    fn row_build(&self, env: &mut RowBuildEnv) {
        let mut j: i64 = -1;
        loop {
            let u = env.rand_uniform();
            j += 1 + (u.ln() * self.inv_log_q).floor() as i64;
            if j >= env.num_post() as i64 {
                break;
            }
            env.add_synapse(j as u32);
        }
    }
}

/// Every row gets one target that does not exist.
#[connectivity_snippet(max_row_length = 1)]
pub struct OutOfRange {}

#[connectivity_snippet]
impl OutOfRange {
    fn row_build(&self, env: &mut RowBuildEnv) {
        env.add_synapse(env.num_post());
    }
}

/// Builds `net` on `backend`, which must fail; the error, or `None` if the
/// backend's device is missing.
fn build_error(backend: TestBackend, net: &Network) -> Option<Error> {
    if !backend.check() {
        return None;
    }
    let b = match backend {
        TestBackend::Cpu => Backend::Cpu,
        TestBackend::OpenCl => Backend::OpenCl,
        TestBackend::Cuda => Backend::Cuda,
    };
    Some(b.build(net).err().expect("building must fail"))
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

snn::backend_tests! {
    fn var_init_snippet_values_for_neurons_and_synapses(backend) {
        for precision in [Precision::F32, Precision::F64] {
            let mut net = Network::new(0.1).unwrap();
            net.set_precision(precision);
            let p = net
                .add_population("P", 10, lif())
                .init(
                    "v",
                    VarInit::snippet(Ramp {
                        start: -70.0,
                        step: 0.5,
                    }),
                )
                .init("refrac_time", 0.0)
                .build()
                .unwrap();
            net.add_synapse_group("S", p, p, StaticPulse, DeltaCurr)
                .connectivity(Connectivity::snippet(RingSuccessors { k: 2.0 }))
                .wu_init(
                    "g",
                    VarInit::snippet(Ramp {
                        start: 1.0,
                        step: 1.0,
                    }),
                )
                .build()
                .unwrap();
            let Some(sim) = backend.build(&net) else { return };
            let v = sim.var_values(p, "v").unwrap();
            let expected: Vec<f64> = (0..10).map(|i| -70.0 + 0.5 * i as f64).collect();
            assert_eq!(v, expected, "{precision:?}");
            // Synapse values follow the row-major synapse index.
            let g = sim.synapse_var_values("S", "g").unwrap();
            assert_eq!(g, (1..=20).map(|x| x as f64).collect::<Vec<_>>());
        }
    }

    fn random_var_init_snippet_has_the_right_mean(backend) {
        let mut net = Network::new(0.1).unwrap();
        let n = 100_000;
        let p = net
            .add_population("P", n, lif())
            .init("v", VarInit::snippet(SquaredUniform { scale: 3.0 }))
            .init("refrac_time", 0.0)
            .build()
            .unwrap();
        let Some(sim) = backend.build(&net) else { return };
        let v = sim.var_values(p, "v").unwrap();
        // E[3 u^2] = 1, Var = 9 (1/5 - 1/9) = 0.8; 5 standard errors of the mean.
        let mean = v.iter().sum::<f64>() / n as f64;
        assert!(
            (mean - 1.0).abs() < 5.0 * (0.8f64 / n as f64).sqrt(),
            "mean {mean}"
        );
        assert!(v.iter().all(|&x| (0.0..3.0).contains(&x)));
        let mut net2 = net.clone();
        net2.set_seed(7);
        let other = backend
            .build(&net2)
            .expect("device checked above")
            .var_values(p, "v")
            .unwrap();
        assert_ne!(v, other, "different seeds give different values");

        let err = Network::new(0.1)
            .unwrap()
            .add_population("Q", 3, lif())
            .init("v", VarInit::snippet(SquaredUniform { scale: -1.0 }))
            .init("refrac_time", 0.0)
            .build()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("parameter `scale` = -1 must be > 0"),
            "{err}"
        );
    }

    fn connectivity_snippet_errors_fail_the_build(backend) {
        let mut net = Network::new(0.1).unwrap();
        let p = net
            .add_population("P", 4, lif())
            .init("v", -70.0)
            .init("refrac_time", 0.0)
            .build()
            .unwrap();
        net.add_synapse_group("S", p, p, StaticPulse, DeltaCurr)
            .connectivity(Connectivity::snippet(OutOfRange {}))
            .wu_init("g", 1.0)
            .build()
            .unwrap();
        let Some(err) = build_error(backend, &net) else { return };
        assert!(
            err.to_string()
                .starts_with("synapse group `S`: connectivity: OutOfRange"),
            "{err}"
        );
    }

    fn keeps_the_built_connectivity(backend) {
        // 5000 targets span two CPU blocks; p is small enough that some rows are empty.
        let mut net = Network::new(0.1).unwrap();
        net.set_seed(11);
        let pre = net
            .add_population("Pre", 3000, lif())
            .init("v", -70.0)
            .init("refrac_time", 0.0)
            .build()
            .unwrap();
        let post = net
            .add_population("Post", 5000, lif())
            .init("v", -70.0)
            .init("refrac_time", 0.0)
            .build()
            .unwrap();
        let rule = Connectivity::FixedProbability {
            p: 0.0003,
            autapses: true,
        };
        net.add_synapse_group("S", pre, post, StaticPulse, DeltaCurr)
            .connectivity(rule.clone())
            .wu_init("g", VarInit::uniform(0.0, 1.0))
            .build()
            .unwrap();
        let Some(sim) = backend.build(&net) else { return };
        let stream = snn::rng::stream_id(snn::rng::StreamPurpose::ConnectivityInit, 0, 0);
        let expected = rule.build(3000, 5000, false, 11, stream).unwrap();
        let got = sim.connectivity("S").unwrap();
        assert!(
            got.row_ptr.windows(2).any(|w| w[0] == w[1]),
            "some rows are empty"
        );
        assert!(
            got.ind.iter().any(|&j| j >= 4096),
            "targets in the second block"
        );
        assert_eq!(got, expected);
        assert_eq!(
            sim.synapse_var_values("S", "g").unwrap().len(),
            expected.ind.len()
        );
    }
}

#[test]
fn connectivity_snippets_build_the_rows_they_describe() {
    let ring = Connectivity::snippet(RingSuccessors { k: 3.0 });
    let c = ring.build(8, 8, true, 1, 2).unwrap();
    for i in 0..8u32 {
        let mut want: Vec<u32> = (1..=3).map(|j| (i + j) % 8).collect();
        want.sort();
        assert_eq!(c.row(i), &want[..], "row {i}");
    }
    assert_eq!(ring.max_row_length(8, 8, true), 3);

    // Bernoulli(p) per pair: total ~ Binomial(N^2, p), 5 sigma.
    let (n, p) = (400u32, 0.05);
    let c = Connectivity::snippet(Bernoulli { p })
        .build(n, n, false, 3, 4)
        .unwrap();
    let total = c.ind.len() as f64;
    let (mu, sd) = ((n * n) as f64 * p, ((n * n) as f64 * p * (1.0 - p)).sqrt());
    assert!((total - mu).abs() < 5.0 * sd, "{total} vs {mu} +- {sd}");

    let err = Connectivity::snippet(OutOfRange {})
        .build(4, 4, false, 0, 0)
        .unwrap_err();
    assert!(
        err.contains("OutOfRange: row 0 adds a synapse to postsynaptic neuron 4"),
        "{err}"
    );
}
