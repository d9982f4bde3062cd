//! Unit tests of `init`.

use super::*;
use crate::rng::{stream_id, StreamPurpose};

/// Number of elements of every moment test.
const N: usize = 100_000;

/// Fills `N` elements of `init` in precision `S` and returns them in f64.
fn fill_vec<S: Real>(init: &VarInit, seed: u64) -> Vec<f64> {
    let mut out = vec![S::ZERO; N];
    init.fill(&mut out, seed, stream_id(StreamPurpose::VarInit, 2, 1));
    out.iter().map(|x| x.to_f64()).collect()
}

/// Sample mean and unbiased sample variance.
fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (
        m,
        xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0),
    )
}

/// Mean and variance within 5 standard errors: SE(mean) = sqrt(var / n),
/// SE(variance) = sqrt((mu4 - var^2) / n) with `mu4` the fourth central
/// moment. Seeds are fixed, so this is deterministic; 5 sigma is far
/// outside what a correct sampler produces (p ~ 6e-7 per check).
#[track_caller]
fn check_moments(what: &str, xs: &[f64], mean: f64, var: f64, mu4: f64) {
    let n = xs.len() as f64;
    let (m, v) = mean_var(xs);
    let tol_m = 5.0 * (var / n).sqrt();
    let tol_v = 5.0 * ((mu4 - var * var) / n).sqrt();
    assert!(
        (m - mean).abs() <= tol_m,
        "{what}: mean {m} != {mean} (tolerance {tol_m})"
    );
    assert!(
        (v - var).abs() <= tol_v,
        "{what}: variance {v} != {var} (tolerance {tol_v})"
    );
}

/// Runs `check` on `N` values in f32 and in f64 (different seeds).
fn both(init: VarInit, seed: u64, check: impl Fn(&str, &[f64])) {
    check(&format!("{init:?} f32"), &fill_vec::<f32>(&init, seed));
    check(
        &format!("{init:?} f64"),
        &fill_vec::<f64>(&init, seed + 1000),
    );
}

#[test]
fn constant_and_values() {
    let mut rng = RngStream::new(1, 2, 3, 4);
    let before = rng.clone().next_u32();
    assert_eq!(VarInit::from(2.5).sample::<f32>(&mut rng, 7), 2.5);
    let values = VarInit::from(vec![1.0, -2.0, 3.5]);
    assert_eq!(values.sample::<f64>(&mut rng, 1), -2.0);
    assert_eq!(rng.next_u32(), before, "constant/values must not draw");
    let mut out = [0.0f32; 3];
    VarInit::from(&[1.0, -2.0, 3.5][..]).fill(&mut out, 0, 0);
    assert_eq!(out, [1.0, -2.0, 3.5]);
    assert!(!VarInit::Constant(1.0).is_random());
    assert!(!values.is_random());
    assert!(VarInit::uniform(0.0, 1.0).is_random());
    assert!(VarInit::binomial(3, 0.5).is_random());
}

/// Uniform(a, b): mean (a+b)/2, variance w^2/12, mu4 = w^4/80 (w = b - a).
#[test]
fn uniform_moments() {
    let (a, b) = (-70.0, -50.0);
    let w: f64 = b - a;
    both(VarInit::uniform(a, b), 1, |what, xs| {
        check_moments(what, xs, (a + b) / 2.0, w * w / 12.0, w.powi(4) / 80.0);
        assert!(xs.iter().all(|&x| x >= a && x <= b), "{what}: out of range");
    });
}

/// Normal(m, s): mu4 = 3 s^4.
#[test]
fn normal_moments() {
    let (m, s): (f64, f64) = (-65.0, 5.0);
    both(VarInit::normal(m, s), 2, |what, xs| {
        check_moments(what, xs, m, s * s, 3.0 * s.powi(4))
    });
}

/// Exponential(l): mean 1/l, variance 1/l^2, mu4 = 9/l^4.
#[test]
fn exponential_moments() {
    let l: f64 = 0.25;
    both(VarInit::exponential(l), 3, |what, xs| {
        check_moments(what, xs, 1.0 / l, 1.0 / (l * l), 9.0 / l.powi(4))
    });
}

/// Gamma(a, b): mean a b, variance a b^2, mu4 = (3 a^2 + 6 a) b^4.
#[test]
fn gamma_moments() {
    for (i, (a, b)) in [(0.5, 2.0), (3.0, 0.1)].into_iter().enumerate() {
        let b4 = f64::powi(b, 4);
        both(VarInit::gamma(a, b), 4 + i as u64, |what, xs| {
            check_moments(what, xs, a * b, a * b * b, (3.0 * a * a + 6.0 * a) * b4)
        });
    }
}

/// Binomial(n, p): mean np, variance npq, mu4 = npq (1 + 3 (n - 2) pq).
#[test]
fn binomial_moments() {
    for (i, (n, p)) in [(20u32, 0.1), (500, 0.75)].into_iter().enumerate() {
        let (nf, q) = (n as f64, 1.0 - p);
        let var = nf * p * q;
        both(VarInit::binomial(n, p), 6 + i as u64, |what, xs| {
            check_moments(
                what,
                xs,
                nf * p,
                var,
                var * (1.0 + 3.0 * (nf - 2.0) * p * q),
            );
            assert!(xs
                .iter()
                .all(|&x| x == x.floor() && (0.0..=nf).contains(&x)));
        });
    }
}

/// Mean and variance of a normal(m, s) truncated to [lo, hi].
fn truncated_normal_moments(m: f64, s: f64, lo: f64, hi: f64) -> (f64, f64) {
    let pdf = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let xpdf = |x: f64| if x.is_finite() { x * pdf(x) } else { 0.0 };
    let (a, b) = ((lo - m) / s, (hi - m) / s);
    let z = std_normal_cdf(b) - std_normal_cdf(a);
    let r = (pdf(a) - pdf(b)) / z;
    (m + s * r, s * s * (1.0 + (xpdf(a) - xpdf(b)) / z - r * r))
}

/// All values inside the bounds, and the mean equal to the truncated-normal
/// mean `m + s (phi(a) - phi(b)) / (Phi(b) - Phi(a))` within 5 SE
/// (SE from the truncated variance).
#[test]
fn normal_clipped_bounds_and_mean() {
    let cases = [
        (0.0, 1.0, -0.5, 2.0),
        (1.5, 1.0, 0.0, f64::INFINITY),
        (0.0, 2.0, 3.0, 4.0),
    ];
    for (i, (m, s, lo, hi)) in cases.into_iter().enumerate() {
        let init = VarInit::normal_clipped(m, s, lo, hi);
        init.validate(N).unwrap();
        let (tm, tv) = truncated_normal_moments(m, s, lo, hi);
        both(init, 10 + i as u64, |what, xs| {
            assert!(
                xs.iter().all(|&x| x >= lo && x <= hi),
                "{what}: out of bounds"
            );
            let (mean, _) = mean_var(xs);
            let tol = 5.0 * (tv / N as f64).sqrt();
            assert!(
                (mean - tm).abs() <= tol,
                "{what}: mean {mean} != {tm} (tolerance {tol})"
            );
            // The untruncated mean would be far off: the check has power.
            assert!((m - tm).abs() > tol);
        });
    }
}

#[test]
fn normal_tail_function() {
    // Reference values of P(Z > x).
    for (x, q) in [
        (0.0, 0.5),
        (1.0, 0.158_655_253_931_457_05),
        (-1.0, 0.841_344_746_068_542_9),
        (3.0, 1.349_898_031_630_094_6e-3),
        (5.0, 2.866_515_718_791_939e-7),
        (8.0, 6.220_960_574_271_785e-16),
    ] {
        let got = std_normal_upper_tail(x);
        assert!((got - q).abs() <= 2e-7 * q, "Q({x}) = {got}, want {q}");
    }
    assert!((normal_interval_mass(-1.0, 1.0) - 0.682_689_492_137_085_9).abs() < 1e-7);
}

#[track_caller]
fn err(init: VarInit, n: usize) -> String {
    init.validate(n)
        .expect_err("validate accepted bad parameters")
}

#[test]
fn check_type_rejects_values_the_variable_cannot_hold() {
    use crate::ir::IrType as T;
    let ok = |init: VarInit, ty| init.check_type(ty).unwrap();
    let err = |init: VarInit, ty| init.check_type(ty).unwrap_err();
    ok(VarInit::Constant(255.0), T::U8);
    ok(VarInit::Constant(-3.5), T::Scalar);
    ok(VarInit::Constant(1e300), T::F64);
    ok(VarInit::Values(vec![0.0, 1.0]), T::Bool);
    ok(VarInit::Constant(-(2f64.powi(63))), T::I64);
    ok(VarInit::normal(-5.0, 1.0), T::U8); // distributions: converted when drawn
    assert_eq!(
        err(VarInit::Constant(256.0), T::U8),
        "constant: value 256 does not fit the variable's type u8 (integers 0..=255)"
    );
    assert_eq!(
        err(VarInit::Values(vec![1.0, 2.5]), T::U32),
        "values: value 1 (2.5) does not fit the variable's type u32 (integers 0..=4294967295)"
    );
    assert_eq!(
        err(VarInit::Constant(0.5), T::Bool),
        "constant: value 0.5 does not fit the variable's type bool (0 or 1)"
    );
    assert!(err(VarInit::Constant(-1.0), T::Usize).contains("type usize"));
    assert!(err(VarInit::Constant(2f64.powi(31)), T::I32).contains("-2147483648..=2147483647"));
    assert!(err(VarInit::Constant(2f64.powi(64)), T::U64).contains("18446744073709551615"));
    assert!(err(VarInit::Constant(1e39), T::F32).contains("type f32 (magnitudes up to"));
}

#[test]
fn validate_messages() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    assert_eq!(
        err(VarInit::uniform(3.0, 1.0), 1),
        "uniform: min (3) is greater than max (1)"
    );
    assert_eq!(
        err(VarInit::uniform(nan, 1.0), 1),
        "uniform: min (NaN) must be finite"
    );
    assert_eq!(
        err(VarInit::uniform(0.0, inf), 1),
        "uniform: max (inf) must be finite"
    );
    assert_eq!(
        err(VarInit::normal(0.0, -1.0), 1),
        "normal: sd (-1) must be >= 0"
    );
    assert_eq!(
        err(VarInit::normal(inf, 1.0), 1),
        "normal: mean (inf) must be finite"
    );
    assert_eq!(
        err(VarInit::normal(0.0, nan), 1),
        "normal: sd (NaN) must be finite"
    );
    assert_eq!(
        err(VarInit::from(vec![1.0, 2.0, 3.0]), 4),
        "values: 3 values given for 4 elements"
    );
    assert_eq!(
        err(VarInit::from(vec![1.0, nan]), 2),
        "values: value 1 (NaN) must be finite"
    );
    assert_eq!(
        err(VarInit::Constant(-inf), 1),
        "constant: value (-inf) must be finite"
    );
    assert_eq!(
        err(VarInit::exponential(0.0), 1),
        "exponential: lambda (0) must be > 0"
    );
    assert_eq!(
        err(VarInit::exponential(-2.0), 1),
        "exponential: lambda (-2) must be > 0"
    );
    assert_eq!(
        err(VarInit::exponential(nan), 1),
        "exponential: lambda (NaN) must be finite"
    );
    assert_eq!(
        err(VarInit::gamma(0.0, 1.0), 1),
        "gamma: shape a (0) must be > 0"
    );
    assert_eq!(
        err(VarInit::gamma(1.0, -1.0), 1),
        "gamma: scale b (-1) must be > 0"
    );
    assert_eq!(
        err(VarInit::gamma(inf, 1.0), 1),
        "gamma: shape a (inf) must be finite"
    );
    assert_eq!(
        err(VarInit::binomial(10, 1.5), 1),
        "binomial: p (1.5) must be in [0, 1]"
    );
    assert_eq!(
        err(VarInit::binomial(10, -0.1), 1),
        "binomial: p (-0.1) must be in [0, 1]"
    );
    assert_eq!(
        err(VarInit::binomial(10, nan), 1),
        "binomial: p (NaN) must be in [0, 1]"
    );

    let nc = |m, s, lo, hi| err(VarInit::normal_clipped(m, s, lo, hi), 1);
    assert_eq!(
        nc(0.0, 1.22, 10.0, 11.0),
        "normal_clipped: the interval [10, 11] lies 8.2 sd from the mean: \
         sampling would practically never finish"
    );
    assert!(nc(0.0, 1.0, -20.0, -6.0).contains("lies 6.0 sd from the mean"));
    assert!(nc(0.0, 1.0, 0.1, 0.1 + 1e-7).contains("holds a probability mass of only 4.0e-8"));
    assert_eq!(
        nc(0.0, 1.0, 2.0, 1.0),
        "normal_clipped: min (2) is greater than max (1)"
    );
    assert_eq!(
        nc(0.0, -1.0, 0.0, 1.0),
        "normal_clipped: sd (-1) must be >= 0"
    );
    assert_eq!(
        nc(nan, 1.0, 0.0, 1.0),
        "normal_clipped: mean (NaN) must be finite"
    );
    assert_eq!(
        nc(0.0, 1.0, nan, 1.0),
        "normal_clipped: min (NaN) must be a number"
    );
    assert!(nc(5.0, 0.0, 0.0, 1.0).contains("sd is 0 and the mean (5) lies outside [0, 1]"));
    assert!(nc(0.0, 1.0, inf, inf).contains("lies inf sd"));

    // Accepted: borderline and degenerate but possible parameters.
    for ok in [
        VarInit::uniform(1.0, 1.0),
        VarInit::normal(1.0, 0.0),
        VarInit::normal_clipped(0.0, 1.0, 0.0, f64::INFINITY),
        VarInit::normal_clipped(0.0, 1.0, 4.5, 5.0), // mass 3.1e-6
        VarInit::normal_clipped(2.0, 0.0, 2.0, 2.0),
        VarInit::binomial(0, 0.0),
        VarInit::binomial(7, 1.0),
        VarInit::gamma(0.01, 100.0),
        VarInit::from(vec![1.0; 4]),
    ] {
        assert_eq!(ok.validate(4), Ok(()), "{ok:?}");
    }
}

/// A hand-written snippet: `scale * u^2`, with `u` one uniform.
#[derive(Debug)]
struct SquaredUniform {
    scale: f64,
}

impl VarInitSnippetDyn for SquaredUniform {
    fn name(&self) -> &'static str {
        "squared_uniform"
    }
    fn validate(&self) -> Result<(), String> {
        if self.scale > 0.0 {
            Ok(())
        } else {
            Err(format!("scale ({}) must be > 0", self.scale))
        }
    }
    fn sample_f32(&self, rng: &mut RngStream, _element: u32) -> f32 {
        let u: f32 = rng.uniform();
        self.scale as f32 * u * u
    }
    fn sample_f64(&self, rng: &mut RngStream, _element: u32) -> f64 {
        let u: f64 = rng.uniform();
        self.scale * u * u
    }
}

#[test]
fn snippet_dispatch() {
    let init = VarInit::Snippet(Arc::new(SquaredUniform { scale: 3.0 }));
    assert!(init.is_random());
    assert_eq!(init.validate(10), Ok(()));
    assert_eq!(
        VarInit::Snippet(Arc::new(SquaredUniform { scale: -1.0 })).validate(10),
        Err("squared_uniform: scale (-1) must be > 0".to_string())
    );
    // The precision picks the snippet's f32 or f64 code.
    let rng = RngStream::new(8, 9, 0, 3);
    let snippet = SquaredUniform { scale: 3.0 };
    assert_eq!(
        init.sample::<f32>(&mut rng.clone(), 3),
        snippet.sample_f32(&mut rng.clone(), 0)
    );
    assert_eq!(
        init.sample::<f64>(&mut rng.clone(), 3),
        snippet.sample_f64(&mut rng.clone(), 0)
    );
    // 3 u^2: mean 1, variance 9 (1/5 - 1/9) = 0.8, mu4 = 81 E[(u^2 - 1/3)^4].
    let mu4 = 81.0 * (1.0 / 9.0 - 4.0 / 21.0 + 6.0 / 45.0 - 4.0 / 81.0 + 1.0 / 81.0);
    both(init, 20, |what, xs| check_moments(what, xs, 1.0, 0.8, mu4));
}

/// Every built-in random init gives bit-identical output on 1 and 8
/// threads, equal to sampling each element's stream directly.
#[test]
fn fill_at_equals_one_stream_per_element() {
    // Element i draws from stream (seed, stream, 0, i), whatever the
    // batching (sixteen lanes, vectorised Box-Muller, clipped draws
    // that fall back to the element's own stream).
    let stream = stream_id(StreamPurpose::VarInit, 1, 3);
    let inits = [
        VarInit::normal(0.5, 2.0),
        VarInit::normal_clipped(0.0, 1.0, -0.3, 0.2),
        VarInit::normal_clipped(1.0, 0.5, 0.0, f64::INFINITY),
        VarInit::uniform(-1.0, 1.0),
        VarInit::exponential(2.0),
    ];
    for init in &inits {
        for first in [0usize, 5, 4093] {
            let mut v32 = vec![0.0f32; 5000];
            let mut v64 = vec![0.0f64; 5000];
            init.fill_at(&mut v32, first, 7, stream);
            init.fill_at(&mut v64, first, 7, stream);
            for k in 0..v32.len() {
                let i = first + k;
                let mut rng = RngStream::new(7, stream, 0, i as u32);
                assert_eq!(v32[k], init.sample::<f32>(&mut rng, i), "{init:?} f32 {i}");
                let mut rng = RngStream::new(7, stream, 0, i as u32);
                assert_eq!(v64[k], init.sample::<f64>(&mut rng, i), "{init:?} f64 {i}");
            }
        }
    }
}

#[test]
fn fill_is_independent_of_thread_count() {
    let stream = stream_id(StreamPurpose::VarInit, 5, 2);
    let inits = [
        VarInit::uniform(-1.0, 1.0),
        VarInit::normal(0.0, 1.0),
        VarInit::normal_clipped(0.0, 1.0, 0.0, 1.0),
        VarInit::exponential(2.0),
        VarInit::gamma(0.5, 1.0),
        VarInit::binomial(100, 0.5),
        VarInit::Snippet(Arc::new(SquaredUniform { scale: 1.0 })),
    ];
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let eight = rayon::ThreadPoolBuilder::new()
        .num_threads(8)
        .build()
        .unwrap();
    for init in &inits {
        let run32 = |pool: &rayon::ThreadPool| {
            let mut v = vec![0.0f32; 20_000];
            pool.install(|| init.fill(&mut v, 99, stream));
            v
        };
        let run64 = |pool: &rayon::ThreadPool| {
            let mut v = vec![0.0f64; 20_000];
            pool.install(|| init.fill(&mut v, 99, stream));
            v
        };
        let (a32, a64) = (run32(&one), run64(&one));
        assert_eq!(a32, run32(&eight), "{init:?} f32");
        assert_eq!(a64, run64(&eight), "{init:?} f64");
        let mut rng = RngStream::new(99, stream, 0, 12_345);
        assert_eq!(
            a32[12_345],
            init.sample::<f32>(&mut rng, 12_345),
            "{init:?}"
        );
        // Elements are not all equal (each has its own stream).
        assert!(a64.iter().any(|&x| x != a64[0]), "{init:?}");
    }
    // Another seed or stream gives other values.
    let init = VarInit::normal(0.0, 1.0);
    let (mut a, mut b, mut c) = (vec![0.0f64; 8], vec![0.0f64; 8], vec![0.0f64; 8]);
    init.fill(&mut a, 1, stream);
    init.fill(&mut b, 2, stream);
    init.fill(&mut c, 1, stream + 1);
    assert_ne!(a, b);
    assert_ne!(a, c);
}
