//! Unit tests of `rng`.

use super::*;
use crate::init::std_normal_cdf;

// ---------------------------------------------------------------- helpers

/// Number of draws of every moment test.
const N: usize = 100_000;

/// Checks the sample mean and the (unbiased) sample variance of `xs`
/// against the theoretical `mean`, `var` and fourth central moment `mu4`.
///
/// Tolerance: 5 standard errors, with SE(mean) = sqrt(var / n) and
/// SE(variance) = sqrt((mu4 - var^2) / n) (the large-sample standard error
/// of the sample variance). With fixed seeds the tests are deterministic;
/// 5 sigma keeps a correct generator from failing on an unlucky seed
/// (two-sided p ~ 6e-7 per check) while any bias larger than 5 SE fails.
fn moments_ok(xs: &[f64], mean: f64, var: f64, mu4: f64) -> Result<(), String> {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    let tol_m = 5.0 * (var / n).sqrt();
    let tol_v = 5.0 * ((mu4 - var * var) / n).sqrt();
    if (m - mean).abs() > tol_m {
        return Err(format!("mean {m} != {mean} (tolerance {tol_m})"));
    }
    if (v - var).abs() > tol_v {
        return Err(format!("variance {v} != {var} (tolerance {tol_v})"));
    }
    Ok(())
}

#[track_caller]
fn check_moments(what: &str, xs: &[f64], mean: f64, var: f64, mu4: f64) {
    if let Err(e) = moments_ok(xs, mean, var, mu4) {
        panic!("{what}: {e}");
    }
}

/// Bulk raw draws equal one `next_u32` each, from any starting position.
#[test]
fn fill_u32_equals_next_u32() {
    for skip in [0usize, 1, 3, 4, 5] {
        for len in [0usize, 1, 3, 63, 64, 65, 200, 1000] {
            let mut a = RngStream::new(9, 8, 7, 6);
            let mut b = a.clone();
            for _ in 0..skip {
                assert_eq!(a.next_u32(), b.next_u32());
            }
            let mut bulk = vec![0u32; len];
            a.fill_u32(&mut bulk);
            let single: Vec<u32> = (0..len).map(|_| b.next_u32()).collect();
            assert_eq!(bulk, single, "skip {skip}, len {len}");
            assert_eq!(a.next_u32(), b.next_u32(), "after: skip {skip}, len {len}");
        }
    }
}

/// Every compiled path of the sixteen-lane Philox equals the scalar one.
#[test]
fn sixteen_lane_philox_equals_scalar_on_every_path() {
    let key = [0x1234_5678, 0x9abc_def0];
    let ctr: [[u32; 16]; 4] = std::array::from_fn(|w| {
        std::array::from_fn(|l| (w as u32 + 1).wrapping_mul(0x9E37_79B9) ^ (l as u32) << 7)
    });
    let expect: [[u32; 4]; 16] =
        std::array::from_fn(|l| philox4x32_10([ctr[0][l], ctr[1][l], ctr[2][l], ctr[3][l]], key));
    let check = |path: &str, got: [[u32; 16]; 4]| {
        for (l, e) in expect.iter().enumerate() {
            let lane = [got[0][l], got[1][l], got[2][l], got[3][l]];
            assert_eq!(&lane, e, "{path}, lane {l}");
        }
    };
    check("portable", philox_lanes(ctr, key));
    check("dispatched", philox4x32_10_x16(ctr, key));
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: checked just above.
            check("avx512", unsafe { philox_lanes_avx512(ctr, key) });
        } else {
            eprintln!("SKIPPED: this CPU has no AVX-512; that path is not checked here");
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: checked just above.
            check("avx2", unsafe { philox_lanes_avx2(ctr, key) });
        } else {
            eprintln!("SKIPPED: this CPU has no AVX2; that path is not checked here");
        }
    }
}

/// `n` draws from one stream, in f64.
#[test]
fn sixteen_streams_equal_single_streams() {
    for (seed, stream, step, first) in [
        (0u64, 0u32, 0u32, 0u32),
        (
            0xdead_beef_1234_5678,
            stream_id(StreamPurpose::CurrentSourceSim, 3, 0),
            77,
            4088,
        ),
        (1, 5, u32::MAX, u32::MAX - 1),
    ] {
        let lanes = SixteenStreams::new(seed, stream, step, first);
        for k in 0..16 {
            let mut lane = lanes.lane(k);
            let mut single = RngStream::new(seed, stream, step, first.wrapping_add(k as u32));
            for _ in 0..9 {
                assert_eq!(lane.next_u32(), single.next_u32());
            }
        }
    }
}

fn draws<T: Into<f64>>(seed: u64, mut f: impl FnMut(&mut RngStream) -> T) -> Vec<f64> {
    let mut rng = RngStream::new(seed, stream_id(StreamPurpose::NeuronSim, 3, 1), 17, 5);
    (0..N).map(|_| f(&mut rng).into()).collect()
}

/// Upper critical value of chi-square with `dof` degrees of freedom at
/// p = 1e-6 (Wilson-Hilferty approximation, z = 4.753).
fn chi2_critical(dof: f64) -> f64 {
    let z = 4.753;
    let h = 2.0 / (9.0 * dof);
    dof * (1.0 - h + z * h.sqrt()).powi(3)
}

/// Pearson's chi-square statistic of observed counts against expected ones.
fn chi2(observed: &[f64], expected: &[f64]) -> f64 {
    observed
        .iter()
        .zip(expected)
        .map(|(o, e)| (o - e) * (o - e) / e)
        .sum()
}

/// Chi-square goodness of fit of integer samples against a pmf: cells
/// 0..=k_max, merged from both ends until each expects at least 20 draws.
/// Returns (statistic, degrees of freedom).
fn chi2_discrete(xs: &[f64], pmf: impl Fn(u64) -> f64, k_max: u64) -> (f64, f64) {
    let n = xs.len() as f64;
    let mut cells: Vec<(u64, u64, f64, f64)> = Vec::new(); // (lo, hi, expected, observed)
    let mut lo = 0;
    let mut acc = 0.0;
    for k in 0..=k_max {
        acc += pmf(k) * n;
        if acc >= 20.0 {
            cells.push((lo, k, acc, 0.0));
            lo = k + 1;
            acc = 0.0;
        }
    }
    // The last cell takes everything from `lo` upwards (the upper tail).
    let total: f64 = cells.iter().map(|c| c.2).sum();
    cells.push((lo, u64::MAX, n - total, 0.0));
    if cells.last().unwrap().2 < 20.0 {
        let last = cells.pop().unwrap();
        let prev = cells.last_mut().unwrap();
        prev.1 = u64::MAX;
        prev.2 += last.2;
    }
    for &x in xs {
        let k = x as u64;
        let cell = cells.iter_mut().find(|c| c.0 <= k && k <= c.1).unwrap();
        cell.3 += 1.0;
    }
    let obs: Vec<f64> = cells.iter().map(|c| c.3).collect();
    let exp: Vec<f64> = cells.iter().map(|c| c.2).collect();
    (chi2(&obs, &exp), (cells.len() - 1) as f64)
}

/// `ln k!`, summed exactly enough in f64 for the test pmfs.
fn ln_factorial(k: u64) -> f64 {
    (1..=k).map(|i| (i as f64).ln()).sum()
}

fn poisson_pmf(lambda: f64, k: u64) -> f64 {
    (-lambda + k as f64 * lambda.ln() - ln_factorial(k)).exp()
}

fn binomial_pmf(n: u64, p: f64, k: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    (ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
        + k as f64 * p.ln()
        + (n - k) as f64 * (1.0 - p).ln())
    .exp()
}

// ----------------------------------------------------------- Philox, uniform

/// Known-answer vectors of Random123 (kat_vectors, philox4x32 10 rounds).
#[test]
fn philox_known_answers() {
    let cases: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
        (
            [0, 0, 0, 0],
            [0, 0],
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
        ),
        (
            [0xffffffff; 4],
            [0xffffffff; 2],
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
        ),
        (
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0],
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
        ),
    ];
    for (ctr, key, expected) in cases {
        assert_eq!(
            philox4x32_10(ctr, key),
            expected,
            "ctr {ctr:08x?} key {key:08x?}"
        );
    }
}

/// The stream layout documented at the top of the module.
#[test]
fn stream_layout_matches_philox_call() {
    let seed = 0x0123_4567_89ab_cdef_u64;
    let mut rng = RngStream::new(seed, 0xdead, 0xbeef, 42);
    let key = [0x89ab_cdef, 0x0123_4567];
    let first = philox4x32_10([42, 0xbeef, 0xdead, 0], key);
    let second = philox4x32_10([42, 0xbeef, 0xdead, 1], key);
    let got: Vec<u32> = (0..8).map(|_| rng.next_u32()).collect();
    assert_eq!(&got[..4], &first);
    assert_eq!(&got[4..], &second);
}

#[test]
fn uniform_mapping_stays_inside_open_interval() {
    for x in [
        0,
        1,
        511,
        512,
        0x7fff_ffff,
        0x8000_0000,
        u32::MAX - 511,
        u32::MAX,
    ] {
        let u = u32_to_uniform_f32(x);
        assert!(u > 0.0 && u < 1.0, "f32 mapping of {x:#x} gave {u}");
    }
    assert_eq!(u32_to_uniform_f32(0), 2f32.powi(-24));
    assert_eq!(u32_to_uniform_f32(u32::MAX), 1.0 - 2f32.powi(-24));
    assert_eq!(u32_to_uniform_f32(0x8000_0000), 0.5 + 2f32.powi(-24));
    for x in [0, 1, 4095, 4096, 1 << 63, u64::MAX - 4095, u64::MAX] {
        let u = u64_to_uniform_f64(x);
        assert!(u > 0.0 && u < 1.0, "f64 mapping of {x:#x} gave {u}");
    }
    assert_eq!(u64_to_uniform_f64(0), 2f64.powi(-53));
    assert_eq!(u64_to_uniform_f64(u64::MAX), 1.0 - 2f64.powi(-53));
    // -ln(u) and the Box-Muller radius stay finite at the extremes.
    assert!((-(u32_to_uniform_f32(0)).ln()).is_finite());
    assert!((-(u32_to_uniform_f32(u32::MAX)).ln()) > 0.0);
    assert!((-(u64_to_uniform_f64(u64::MAX)).ln()) > 0.0);
}

#[test]
fn uniform_uses_the_mapping_functions() {
    let mut a = RngStream::new(9, 8, 7, 6);
    let mut b = a.clone();
    for _ in 0..10 {
        assert_eq!(a.uniform::<f32>(), u32_to_uniform_f32(b.next_u32()));
        let hi = b.next_u32() as u64;
        let lo = b.next_u32() as u64;
        assert_eq!(a.uniform::<f64>(), u64_to_uniform_f64(hi << 32 | lo));
    }
}

fn uniform_chi2<S: Real>(seed: u64) -> (f64, f64) {
    const BINS: usize = 100;
    let xs = draws(seed, |r| r.uniform::<S>().to_f64());
    let mut counts = [0.0; BINS];
    for x in &xs {
        counts[(x * BINS as f64) as usize] += 1.0;
    }
    let expected = [N as f64 / BINS as f64; BINS];
    (chi2(&counts, &expected), (BINS - 1) as f64)
}

/// Uniform: moments and a 100-bin chi-square test at p = 1e-6.
#[test]
fn uniform_distribution() {
    check_moments(
        "uniform f32",
        &draws(1, |r| r.uniform::<f32>()),
        0.5,
        1.0 / 12.0,
        1.0 / 80.0,
    );
    check_moments(
        "uniform f64",
        &draws(2, |r| r.uniform::<f64>()),
        0.5,
        1.0 / 12.0,
        1.0 / 80.0,
    );
    for (stat, dof) in [uniform_chi2::<f32>(3), uniform_chi2::<f64>(4)] {
        assert!(stat < chi2_critical(dof), "chi2 {stat} with {dof} dof");
    }
}

// ----------------------------------------------------------------- normal

/// Kolmogorov-Smirnov distance between the sample and a cdf.
fn ks_distance(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = xs.len() as f64;
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

/// KS critical distance at p = 1e-6: sqrt(ln(2 / 1e-6) / 2) / sqrt(n).
fn ks_critical(n: usize) -> f64 {
    (f64::ln(2.0e6) / 2.0).sqrt() / (n as f64).sqrt()
}

#[test]
fn normal_box_muller_draw_order() {
    let mut rng = RngStream::new(5, 6, 7, 8);
    for _ in 0..100 {
        let mut r = rng.clone();
        let (u1, u2): (f32, f32) = (r.uniform(), r.uniform());
        let expected = crate::math::box_muller_f32(u1, u2);
        assert_eq!(rng.normal::<f32>(), expected);
        let mut r = rng.clone();
        let (u1, u2): (f64, f64) = (r.uniform(), r.uniform());
        let expected = (-2.0 * crate::math::ln_f64(u1)).sqrt()
            * crate::math::cos_box_muller_f64(std::f64::consts::TAU * u2);
        assert_eq!(rng.normal::<f64>(), expected);
    }
}

/// Normal: moments (mu4 = 3) and a KS test at p = 1e-6.
#[test]
fn normal_distribution() {
    let x32 = draws(10, |r| r.normal::<f32>());
    let x64 = draws(11, |r| r.normal::<f64>());
    check_moments("normal f32", &x32, 0.0, 1.0, 3.0);
    check_moments("normal f64", &x64, 0.0, 1.0, 3.0);
    for xs in [x32, x64] {
        let d = ks_distance(xs, std_normal_cdf);
        assert!(d < ks_critical(N), "KS distance {d}");
    }
}

/// The statistical checks reject slightly wrong distributions, so the
/// tests above are not tautologies.
#[test]
fn checks_detect_wrong_distributions() {
    // sd 1.03 instead of 1: variance off by 0.061, tolerance 5 sqrt(2/n) = 0.022.
    let wide = draws(12, |r| 1.03 * r.normal::<f64>());
    assert!(moments_ok(&wide, 0.0, 1.0, 3.0).is_err());
    // mean shifted by 0.02, tolerance 5 / sqrt(n) = 0.016.
    let shifted = draws(13, |r| 0.02 + r.normal::<f64>());
    assert!(moments_ok(&shifted, 0.0, 1.0, 3.0).is_err());
    // KS spots sd 1.06 (D ~ 0.06 phi(1) = 0.015 against a critical 0.0085).
    let wider = draws(12, |r| 1.06 * r.normal::<f64>());
    assert!(ks_distance(wider, std_normal_cdf) > ks_critical(N));
    // chi-square spots a uniform warped by u^1.05 (noncentrality ~ n 0.05^2 = 250).
    let warped = draws(14, |r| r.uniform::<f64>().powf(1.05));
    let mut counts = [0.0; 100];
    for x in &warped {
        counts[(x * 100.0) as usize] += 1.0;
    }
    assert!(chi2(&counts, &[N as f64 / 100.0; 100]) > chi2_critical(99.0));
    // discrete chi-square spots Poisson(50.5) tested as Poisson(50)
    // (noncentrality ~ n 0.5^2 / 50 = 500).
    let off = draws(15, |r| r.poisson::<f64>(50.5) as f64);
    let (stat, dof) = chi2_discrete(&off, |k| poisson_pmf(50.0, k), 200);
    assert!(stat > chi2_critical(dof));
}

// ------------------------------------------------------ exponential, gamma

#[test]
fn exponential_distribution() {
    let mut rng = RngStream::new(1, 2, 3, 4);
    let mut r = rng.clone();
    assert_eq!(rng.exponential::<f32>(), -r.uniform::<f32>().ln());
    // Exp(1): mean 1, variance 1, mu4 = 9.
    check_moments(
        "exponential f32",
        &draws(20, |r| r.exponential::<f32>()),
        1.0,
        1.0,
        9.0,
    );
    check_moments(
        "exponential f64",
        &draws(21, |r| r.exponential::<f64>()),
        1.0,
        1.0,
        9.0,
    );
}

/// Gamma(a, 1): mean a, variance a, mu4 = 3 a^2 + 6 a.
#[test]
fn gamma_distribution() {
    for (i, a) in [0.2, 0.7, 1.0, 2.5, 30.0].into_iter().enumerate() {
        let mu4 = 3.0 * a * a + 6.0 * a;
        let x32 = draws(30 + i as u64, |r| r.gamma::<f32>(a as f32));
        check_moments(&format!("gamma({a}) f32"), &x32, a, a, mu4);
        let x64 = draws(40 + i as u64, |r| r.gamma::<f64>(a));
        check_moments(&format!("gamma({a}) f64"), &x64, a, a, mu4);
        assert!(x32.iter().chain(&x64).all(|&x| x >= 0.0 && x.is_finite()));
    }
}

/// Gamma with a < 1: a full draw of shape a + 1, then one uniform, raised
/// to 1 / a with the one math library's `powf`.
#[test]
fn gamma_small_shape_draw_order() {
    let mut rng = RngStream::new(77, 1, 2, 3);
    for _ in 0..100 {
        let mut r = rng.clone();
        let g = r.gamma::<f64>(1.4);
        let u: f64 = r.uniform();
        let p = crate::math::Powers::powf(u, 1.0 / 0.4);
        assert_eq!(rng.gamma::<f64>(0.4), g * p);
    }
    assert!(RngStream::new(0, 0, 0, 0).gamma::<f32>(0.0).is_nan());
    assert!(RngStream::new(0, 0, 0, 0).gamma::<f64>(f64::NAN).is_nan());
}

// --------------------------------------------------------------- binomial

#[test]
fn binomial_edge_cases() {
    let mut rng = RngStream::new(1, 1, 1, 1);
    assert_eq!(rng.binomial::<f32>(0, 0.5), 0);
    assert_eq!(rng.binomial::<f64>(10, 0.0), 0);
    assert_eq!(rng.binomial::<f64>(10, -0.5), 0);
    assert_eq!(rng.binomial::<f64>(10, f64::NAN), 0);
    assert_eq!(rng.binomial::<f32>(10, 1.0), 10);
    assert_eq!(rng.binomial::<f64>(u32::MAX, 1.0), u32::MAX);
    // None of these drew a number.
    assert_eq!(rng.next_u32(), RngStream::new(1, 1, 1, 1).next_u32());
    // Huge n, tiny p: inversion with an accurate (1 - p)^n, also in f32
    // (where 1 - 1e-8 rounds to 1).
    let x32 = draws(50, |r| r.binomial::<f32>(1_000_000_000, 1e-8) as f64);
    check_moments(
        "binomial(1e9, 1e-8) f32",
        &x32,
        10.0,
        10.0,
        10.0 + 3.0 * 100.0,
    );
    // Near-certain success, large n (BTRD on 1 - p, symmetric).
    let mut r = RngStream::new(3, 3, 3, 3);
    assert!((0..1000).all(|_| r.binomial::<f32>(4_000_000_000, 0.999_999) <= 4_000_000_000));
}

/// Binomial(n, p): mean np, variance npq, mu4 = npq (1 + 3 (n - 2) pq);
/// covers inversion (np < 30), BTRD (np >= 30) and the symmetry p > 1/2.
#[test]
fn binomial_moments() {
    let cases: [(u32, f64); 7] = [
        (1, 0.3),
        (10, 0.3),
        (50, 0.7),
        (59, 0.5),
        (60, 0.5),
        (1000, 0.2),
        (5000, 0.93),
    ];
    for (i, (n, p)) in cases.into_iter().enumerate() {
        let nf = n as f64;
        let q = 1.0 - p;
        let var = nf * p * q;
        let mu4 = var * (1.0 + 3.0 * (nf - 2.0) * p * q);
        let x32 = draws(60 + i as u64, |r| r.binomial::<f32>(n, p as f32) as f64);
        check_moments(&format!("binomial({n}, {p}) f32"), &x32, nf * p, var, mu4);
        let x64 = draws(70 + i as u64, |r| r.binomial::<f64>(n, p) as f64);
        check_moments(&format!("binomial({n}, {p}) f64"), &x64, nf * p, var, mu4);
        assert!(x32.iter().chain(&x64).all(|&k| k <= nf));
    }
}

/// The whole distribution, not just two moments: chi-square against the
/// exact pmf at p = 1e-6, in both regimes.
#[test]
fn binomial_goodness_of_fit() {
    for (i, (n, p)) in [(40u32, 0.35), (200, 0.3), (3000, 0.6)]
        .into_iter()
        .enumerate()
    {
        let x32 = draws(80 + i as u64, |r| r.binomial::<f32>(n, p as f32) as f64);
        let x64 = draws(90 + i as u64, |r| r.binomial::<f64>(n, p) as f64);
        for (name, xs) in [("f32", x32), ("f64", x64)] {
            let (stat, dof) = chi2_discrete(&xs, |k| binomial_pmf(n as u64, p, k), n as u64);
            assert!(
                stat < chi2_critical(dof),
                "binomial({n}, {p}) {name}: chi2 {stat} with {dof} dof"
            );
        }
    }
}

/// BTRD with large `n` in f32: the final acceptance test is written so
/// that no term grows with `n` (Hörmann's form, evaluated naively in f32,
/// has an error of about `n * 2^-24` in the log-density and fails this
/// test by a wide margin). Chi-square at p = 1e-6 with 1e6 draws.
#[test]
fn binomial_large_n_f32() {
    let (n, p) = (3_000_000u32, 0.001f32);
    let mut rng = RngStream::new(2024, 1, 0, 0);
    let xs: Vec<f64> = (0..1_000_000)
        .map(|_| rng.binomial::<f32>(n, p) as f64)
        .collect();
    // ln pmf(k) by the recursion pmf(k) / pmf(k-1) = (n - k + 1) p / (k q), in f64.
    let (pd, nd) = (p as f64, n as f64);
    let k_max = 4000;
    let mut ln_pmf = vec![nd * (1.0 - pd).ln()];
    for k in 1..=k_max {
        let kf = k as f64;
        let prev = ln_pmf[k - 1];
        ln_pmf.push(prev + ((nd - kf + 1.0) * pd / (kf * (1.0 - pd))).ln());
    }
    let pmf = |k: u64| ln_pmf.get(k as usize).map_or(0.0, |l| l.exp());
    let (stat, dof) = chi2_discrete(&xs, pmf, k_max as u64);
    assert!(stat < chi2_critical(dof), "chi2 {stat} with {dof} dof");
}

// ---------------------------------------------------------------- poisson

/// `floor(u * GUIDE_LEN)` (exact: a power of two).
fn bucket<F: Float>(u: F) -> usize {
    ((u.to_f64() * GUIDE_LEN as f64) as usize).min(GUIDE_LEN - 1)
}

/// The bucket read off the raw bits is the float's bucket.
#[test]
fn uniform_buckets_match_the_uniform() {
    let mut rng = RngStream::new(3, 2, 1, 0);
    for _ in 0..100_000 {
        let (u, b) = uniform_with_bucket::<f32>(&mut rng);
        assert_eq!(b, bucket(u), "{u}");
        let (u, b) = uniform_with_bucket::<f64>(&mut rng);
        assert_eq!(b, bucket(u), "{u}");
    }
    let mut a = RngStream::new(3, 2, 1, 0);
    let mut b = a.clone();
    assert_eq!(uniform_with_bucket::<f32>(&mut a).0, b.uniform::<f32>());
    assert_eq!(uniform_with_bucket::<f64>(&mut a).0, b.uniform::<f64>());
}

#[test]
fn poisson_inversion_table_equals_the_loop() {
    /// The inversion loop as the GPU kernels run it.
    fn direct<F: Float>(lambda: F, u: F) -> u32 {
        let mut k = 0u32;
        let mut prob = (-lambda).exp();
        let mut cdf = prob;
        while u > cdf && k < INVERSION_CAP {
            k += 1;
            prob *= lambda / fi(k as u64);
            cdf += prob;
        }
        k
    }
    fn check<F: Float + std::fmt::Debug>() {
        let mut rng = RngStream::new(5, 6, 7, 8);
        // Alternating lambdas (the table is rebuilt), repeated ones (it
        // is extended), u up to 1 - 2^-24 (deep tails, the cap).
        let lambdas = [1.6, 1.6, 0.01, 29.9, 1.6, 7.0, 1e-30, 0.5];
        for i in 0..20_000 {
            let lambda: F = c(lambdas[i % lambdas.len()]);
            let u: F = if i % 97 == 0 {
                c(1.0 - 1e-9)
            } else {
                rng.uniform()
            };
            let got = F::with_inversion_table(|t| t.inversion(lambda, u, bucket(u)));
            assert_eq!(got, direct(lambda, u), "lambda {lambda:?}, u {u:?}");
        }
        // Exactly at, and one ulp around, every table entry and every
        // guide bucket boundary.
        for lambda in [1.6, 0.01, 7.0, 29.9] {
            let lambda: F = c(lambda);
            F::with_inversion_table(|t| t.inversion(lambda, c(0.5), GUIDE_LEN / 2));
            let cdf: Vec<f64> =
                F::with_inversion_table(|t| t.cdf[..t.len].iter().map(|c| c.to_f64()).collect());
            let bounds = (1..GUIDE_LEN).map(|b| b as f64 / GUIDE_LEN as f64);
            for x in cdf.into_iter().chain(bounds) {
                let x: F = c(x);
                let ulp: F = c(x.to_f64() * f32::EPSILON as f64);
                for u in [x - ulp, x, x + ulp] {
                    if !(u > c(0.0) && u < c(1.0)) {
                        continue;
                    }
                    let got = F::with_inversion_table(|t| t.inversion(lambda, u, bucket(u)));
                    assert_eq!(got, direct(lambda, u), "lambda {lambda:?}, u {u:?}");
                }
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

#[test]
fn poisson_edge_cases() {
    let mut rng = RngStream::new(4, 4, 4, 4);
    assert_eq!(rng.poisson::<f32>(0.0), 0);
    assert_eq!(rng.poisson::<f64>(-3.0), 0);
    assert_eq!(rng.poisson::<f64>(f64::NAN), 0);
    assert_eq!(rng.poisson::<f64>(f64::INFINITY), u32::MAX);
    assert_eq!(rng.next_u32(), RngStream::new(4, 4, 4, 4).next_u32());
    // Inversion consumes exactly one uniform.
    let mut a = RngStream::new(4, 4, 4, 4);
    let mut b = a.clone();
    a.poisson::<f64>(29.0);
    b.uniform::<f64>();
    assert_eq!(a.next_u32(), b.next_u32());
}

/// Poisson(lambda): mean = variance = lambda, mu4 = lambda + 3 lambda^2;
/// covers inversion (lambda < 30) and PTRS.
#[test]
fn poisson_moments() {
    for (i, lam) in [0.01, 0.5, 4.0, 29.9, 30.0, 100.0, 12345.0]
        .into_iter()
        .enumerate()
    {
        let mu4 = lam + 3.0 * lam * lam;
        let x32 = draws(100 + i as u64, |r| r.poisson::<f32>(lam as f32) as f64);
        check_moments(&format!("poisson({lam}) f32"), &x32, lam, lam, mu4);
        let x64 = draws(110 + i as u64, |r| r.poisson::<f64>(lam) as f64);
        check_moments(&format!("poisson({lam}) f64"), &x64, lam, lam, mu4);
    }
}

#[test]
fn poisson_goodness_of_fit() {
    for (i, lam) in [7.5, 35.0, 400.0].into_iter().enumerate() {
        let x32 = draws(120 + i as u64, |r| r.poisson::<f32>(lam as f32) as f64);
        let x64 = draws(130 + i as u64, |r| r.poisson::<f64>(lam) as f64);
        for (name, xs) in [("f32", x32), ("f64", x64)] {
            let (stat, dof) = chi2_discrete(&xs, |k| poisson_pmf(lam, k), 4 * lam as u64 + 50);
            assert!(
                stat < chi2_critical(dof),
                "poisson({lam}) {name}: chi2 {stat} with {dof} dof"
            );
        }
    }
}

// ---------------------------------------------------------------- helpers

/// The Stirling-correction table equals its definition, and the series
/// continues it.
#[test]
fn stirling_correction() {
    let exact = |k: u64| {
        let k1 = (k + 1) as f64;
        ln_factorial(k) - (k as f64 + 0.5) * k1.ln() + k1 - LN_SQRT_2PI
    };
    for k in 0..10 {
        assert!(
            (STIRLING_FC[k as usize] - exact(k)).abs() < 1e-12,
            "fc({k})"
        );
    }
    for k in [10u64, 11, 20, 100] {
        // The first omitted term of the series is 1 / (1680 (k+1)^7) = 3e-11 at k = 10.
        let err = (stirling_fc::<f64>(k as f64) - exact(k)).abs();
        assert!(err < 5e-11, "fc({k}) off by {err}");
    }
}

#[test]
fn ln_1p_is_accurate() {
    for x in [1e-10f64, -1e-10, 1e-3, -0.3, 0.5, 3.0] {
        let want = if x.abs() < 1e-5 {
            x - x * x / 2.0
        } else {
            x.ln_1p()
        };
        assert!((ln_1p(x) - want).abs() <= 1e-15 * want.abs(), "{x}");
    }
    let x = 1e-9f32; // 1 + x == 1 in f32
    assert_eq!(ln_1p(x), x);
    assert!((ln_1p(-1e-4f32) as f64 - (-1e-4f32 as f64).ln_1p()).abs() < 1e-11);
}
