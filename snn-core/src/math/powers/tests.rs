//! Errors against references (`f64` results rounded for `f32`, the standard
//! library for `f64`) over strided sweeps of bit patterns, grids of
//! `(x, y)`, and the special values.

use super::*;
use std::hint::black_box;

use crate::math::ulps::{ulps32, ulps64};

/// Every bit pattern of `f32`, one in `step`.
fn all_f32(step: usize) -> impl Iterator<Item = f32> {
    (0..=u32::MAX).step_by(step).map(f32::from_bits)
}

/// Every bit pattern of `f64`, about `n` of them, evenly strided.
fn all_f64(n: u64) -> impl Iterator<Item = f64> {
    let step = u64::MAX / n;
    (0..n).map(move |k| f64::from_bits(k * step + (k % 7)))
}

/// Exponents `y` of the `powf` grids: integers, halves, thirds, small,
/// large, tiny, of both signs.
fn exponents() -> Vec<f64> {
    let mut v: Vec<f64> = (-40..=40).map(f64::from).collect();
    v.extend((-20..=20).map(|k| k as f64 + 0.5));
    v.extend([1.0 / 3.0, -1.0 / 3.0, 0.1, -0.1, 2.5e-3, 1e-7, -1e-7, 1e-30]);
    v.extend([
        100.5,
        -100.5,
        1000.0,
        -1001.0,
        12345.678,
        1e6 + 1.0,
        3e7,
        -3e7,
    ]);
    v.extend([
        1e10,
        -1e10,
        1e20,
        1e300,
        -1e300,
        2.0f64.powi(24) + 1.0,
        2.0f64.powi(53),
    ]);
    v.extend([
        std::f64::consts::PI,
        -std::f64::consts::E,
        0.75,
        -0.25,
        7.3,
        -13.7,
    ]);
    v
}

#[test]
fn f32_unary_functions_are_within_two_ulps() {
    let mut worst = [0u64; 5];
    for x in all_f32(1021) {
        let d = x as f64;
        worst[0] = worst[0].max(ulps32(exp2_f32(x), d.exp2() as f32));
        worst[1] = worst[1].max(ulps32(log2_f32(x), d.log2() as f32));
        worst[2] = worst[2].max(ulps32(log10_f32(x), d.log10() as f32));
        worst[3] = worst[3].max(ulps32(ln_1p_f32(x), d.ln_1p() as f32));
        worst[4] = worst[4].max(ulps32(cbrt_f32(x), d.cbrt() as f32));
    }
    for k in 0..=2_000_000 {
        let x = -160.0 + 300.0 * k as f32 / 2_000_000.0;
        worst[0] = worst[0].max(ulps32(exp2_f32(x), (x as f64).exp2() as f32));
        let x = -0.5 + k as f32 / 2_000_000.0;
        worst[3] = worst[3].max(ulps32(ln_1p_f32(x), (x as f64).ln_1p() as f32));
    }
    println!("f32 exp2, log2, log10, ln_1p, cbrt: worst {worst:?} ulp");
    assert!(worst.iter().all(|&w| w <= 2), "{worst:?}");
}

#[test]
fn f64_unary_functions_are_within_two_ulps_of_std() {
    let mut worst = [0u64; 5];
    let sweeps = (0..=2_000_000).flat_map(|k| {
        let t = k as f64 / 2_000_000.0;
        [-1100.0 + 2150.0 * t, -0.9 + 2.0 * t, 1e-3 * (2.0 * t - 1.0)]
    });
    for x in all_f64(3_000_000).chain(sweeps) {
        worst[0] = worst[0].max(ulps64(exp2_f64(x), x.exp2()));
        worst[1] = worst[1].max(ulps64(log2_f64(x), x.log2()));
        worst[2] = worst[2].max(ulps64(log10_f64(x), x.log10()));
        worst[3] = worst[3].max(ulps64(ln_1p_f64(x), x.ln_1p()));
        worst[4] = worst[4].max(ulps64(cbrt_f64(x), x.cbrt()));
    }
    println!("f64 exp2, log2, log10, ln_1p, cbrt: worst {worst:?} ulp");
    assert!(worst.iter().all(|&w| w <= 2), "{worst:?}");
}

#[test]
fn powf_is_within_two_ulps_on_grids() {
    let ys = exponents();
    let mut worst32 = (0u64, 0.0f32, 0.0f32);
    for x in all_f32(1 << 15) {
        for &y in &ys {
            let y = y as f32;
            let e = ulps32(powf_f32(x, y), (x as f64).powf(y as f64) as f32);
            if e > worst32.0 {
                worst32 = (e, x, y);
            }
        }
    }
    // Bases near 1, where large exponents test the logarithm's accuracy.
    for k in -3000..=3000 {
        let x = f32::from_bits((1.0f32.to_bits() as i32 + k) as u32);
        for &y in &ys {
            let y = y as f32;
            let e = ulps32(powf_f32(x, y), (x as f64).powf(y as f64) as f32);
            if e > worst32.0 {
                worst32 = (e, x, y);
            }
        }
    }
    let mut worst64 = (0u64, 0.0f64, 0.0f64);
    for x in all_f64(60_000)
        .chain((-3000..=3000).map(|k| f64::from_bits((1.0f64.to_bits() as i64 + k) as u64)))
    {
        for &y in &ys {
            if x.is_nan() && y == 0.0 {
                continue; // the C library's pow gives NaN for a signaling NaN
            }
            let e = ulps64(powf_f64(x, y), x.powf(y));
            if e > worst64.0 {
                worst64 = (e, x, y);
            }
        }
    }
    println!("powf: worst f32 {worst32:?}, f64 {worst64:?} (ulp, x, y)");
    assert!(worst32.0 <= 2 && worst64.0 <= 2);
}

#[test]
fn hypot_is_within_two_ulps_on_grids() {
    let mut worst = [0u64; 2];
    for x in all_f32(1 << 21) {
        for y in all_f32((1 << 17) + 3) {
            let want = (x as f64).hypot(y as f64) as f32;
            worst[0] = worst[0].max(ulps32(hypot_f32(x, y), want));
        }
    }
    for x in all_f64(3000) {
        for y in all_f64(3001) {
            worst[1] = worst[1].max(ulps64(hypot_f64(x, y), x.hypot(y)));
        }
    }
    println!("hypot f32, f64: worst {worst:?} ulp");
    assert!(worst.iter().all(|&w| w <= 2), "{worst:?}");
}

#[test]
fn powi_is_rusts_bit_for_bit() {
    let ns = (-70..=70).chain([1000, -1000, 65535, i32::MAX, i32::MIN, i32::MIN + 1]);
    for n in ns {
        for x in all_f32(1 << 20) {
            let want = black_box(x).powi(black_box(n));
            assert_eq!(ulps32(powi_f32(x, n), want), 0, "{x}^{n}");
        }
        for x in all_f64(5000) {
            let want = black_box(x).powi(black_box(n));
            assert_eq!(ulps64(powi_f64(x, n), want), 0, "{x}^{n}");
        }
    }
    assert_eq!(powi_f32(3.0, 2), 9.0);
    assert_eq!(powi_f64(-2.0, -3), -0.125);
}

/// Special values of one argument.
fn specials() -> Vec<f64> {
    vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        2.0,
        -2.0,
        0.5,
        -0.5,
        3.0,
        -3.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE,
        5e-324,
        1e-45,
        f64::MAX,
        f64::MIN,
        f32::MAX as f64,
        1e300,
        -1e-300,
        0.75,
        1.5,
        -1.5,
    ]
}

#[test]
fn special_values_are_rusts() {
    let same32 = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    let same64 = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    for &x in &specials() {
        let xf = x as f32;
        for (got, want, name) in [
            (exp2_f64(x), x.exp2(), "exp2"),
            (log2_f64(x), x.log2(), "log2"),
            (log10_f64(x), x.log10(), "log10"),
            (ln_1p_f64(x), x.ln_1p(), "ln_1p"),
            (cbrt_f64(x), x.cbrt(), "cbrt"),
        ] {
            assert!(ulps64(got, want) <= 1, "{name}({x}) = {got}, std {want}");
            if !want.is_finite() || want == 0.0 {
                assert!(same64(got, want), "{name}({x}) = {got}, std {want}");
            }
        }
        // f32 against f64 rounded (glibc's log10f is 2 ulp off at 0.75).
        let d = xf as f64;
        for (got, want, name) in [
            (exp2_f32(xf), d.exp2() as f32, "exp2"),
            (log2_f32(xf), d.log2() as f32, "log2"),
            (log10_f32(xf), d.log10() as f32, "log10"),
            (ln_1p_f32(xf), d.ln_1p() as f32, "ln_1p"),
            (cbrt_f32(xf), d.cbrt() as f32, "cbrt"),
        ] {
            assert!(ulps32(got, want) <= 1, "{name}({xf}) = {got}, want {want}");
            if !want.is_finite() || want == 0.0 {
                assert!(same32(got, want), "{name}({xf}) = {got}, std {want}");
            }
        }
        for &y in specials().iter().chain(&[0.5, 2.5, -2.5, 1e10, -1e10]) {
            let yf = y as f32;
            for (got, want, name) in [
                (powf_f64(x, y), x.powf(y), "powf"),
                (hypot_f64(x, y), x.hypot(y), "hypot"),
            ] {
                assert!(
                    ulps64(got, want) <= 2,
                    "{name}({x}, {y}) = {got}, std {want}"
                );
                if !want.is_finite() || want == 0.0 {
                    assert!(same64(got, want), "{name}({x}, {y}) = {got}, std {want}");
                }
            }
            let (d, e) = (xf as f64, yf as f64);
            for (got, want, name) in [
                (powf_f32(xf, yf), d.powf(e) as f32, "powf"),
                (hypot_f32(xf, yf), d.hypot(e) as f32, "hypot"),
            ] {
                assert!(
                    ulps32(got, want) <= 2,
                    "{name}({xf}, {yf}) = {got}, std {want}"
                );
                if !want.is_finite() || want == 0.0 {
                    assert!(same32(got, want), "{name}({xf}, {yf}) = {got}, std {want}");
                }
            }
        }
    }
    // Exact cases.
    assert_eq!(exp2_f32(10.0), 1024.0);
    assert_eq!(exp2_f64(-1074.0), 5e-324);
    assert_eq!(log2_f32(0.125), -3.0);
    assert_eq!(log2_f64(1024.0), 10.0);
    assert_eq!(log10_f64(1000.0), 3.0);
    assert_eq!(log10_f32(100.0), 2.0);
    assert_eq!(cbrt_f64(27.0), 3.0);
    assert_eq!(cbrt_f32(-8.0), -2.0);
    assert_eq!(hypot_f64(3.0, 4.0), 5.0);
    assert_eq!(powf_f64(2.0, 10.0), 1024.0);
    assert_eq!(powf_f32(-2.0, 3.0), -8.0);
    assert_eq!(ln_1p_f64(1e-300), 1e-300);
}
