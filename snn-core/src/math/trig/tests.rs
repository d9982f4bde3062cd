//! Accuracy of the circular and hyperbolic functions: `f32` against `f64`
//! (every `f32` bit pattern, strided), `f64` against Rust's functions.

use super::super::*;

pub(crate) use crate::math::ulps::{ulps32, ulps64};

/// Every `f32` bit pattern, one in `step`, and their negations.
fn all_f32(step: usize) -> impl Iterator<Item = f32> {
    (0..=u32::MAX).step_by(step).map(f32::from_bits)
}

/// The worst error of `f` against `reference` (an `f64` function, rounded
/// to `f32`) over `xs`, with its argument.
fn worst32(
    xs: impl Iterator<Item = f32>,
    f: fn(f32) -> f32,
    reference: fn(f64) -> f64,
) -> (u64, f32) {
    xs.map(|x| (ulps32(f(x), reference(x as f64) as f32), x))
        .fold((0, 0.0), |w, e| if e.0 > w.0 { e } else { w })
}

/// The worst error of `f` against `reference` over `xs`, with its argument.
fn worst64(
    xs: impl Iterator<Item = f64>,
    f: fn(f64) -> f64,
    reference: fn(f64) -> f64,
) -> (u64, f64) {
    xs.map(|x| (ulps64(f(x), reference(x)), x))
        .fold((0, 0.0), |w, e| if e.0 > w.0 { e } else { w })
}

/// `n + 1` values spread over `[lo, hi]`.
fn sweep(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
    (0..=n).map(move |k| lo + (hi - lo) * k as f64 / n as f64)
}

/// The doubles next to `k pi / 4` for `k` up to `n` (where the reduction is
/// hardest), and their neighbours.
fn near_octants(n: u32, scale: f64) -> impl Iterator<Item = f64> {
    (1..=n).flat_map(move |k| {
        let x = std::f64::consts::FRAC_PI_4 * (k as f64 * scale).round();
        let b = x.to_bits();
        [x, f64::from_bits(b - 1), f64::from_bits(b + 1), -x]
    })
}

#[test]
fn f32_circular_functions_are_within_two_ulps() {
    let trig_domain = || all_f32(257).filter(|x| x.abs() <= 4096.0);
    let results = [
        ("sin", worst32(trig_domain(), sin_f32, f64::sin)),
        ("cos", worst32(trig_domain(), cos_f32, f64::cos)),
        ("tan", worst32(trig_domain(), tan_f32, f64::tan)),
        ("asin", worst32(all_f32(257), asin_f32, f64::asin)),
        ("acos", worst32(all_f32(257), acos_f32, f64::acos)),
        ("atan", worst32(all_f32(257), atan_f32, f64::atan)),
    ];
    println!("{results:?}");
    // tan: 3 ulp (see tan_f32).
    assert!(
        results
            .iter()
            .all(|(n, (w, _))| *w <= 2 || (*n == "tan" && *w <= 3)),
        "{results:?}"
    );
}

#[test]
fn f32_hyperbolic_functions_are_within_two_ulps() {
    let results = [
        ("sinh", worst32(all_f32(257), sinh_f32, f64::sinh)),
        ("cosh", worst32(all_f32(257), cosh_f32, f64::cosh)),
        ("tanh", worst32(all_f32(257), tanh_f32, f64::tanh)),
        // Every float where e^|x| alone would overflow.
        (
            "sinh big",
            worst32(
                (0x42b0_0f00..0x42b3_0000).map(f32::from_bits),
                sinh_f32,
                f64::sinh,
            ),
        ),
        (
            "cosh big",
            worst32(
                (0x42b0_0f00..0x42b3_0000).map(f32::from_bits),
                cosh_f32,
                f64::cosh,
            ),
        ),
    ];
    println!("{results:?}");
    assert!(results.iter().all(|(_, (w, _))| *w <= 2), "{results:?}");
}

#[test]
fn f64_circular_functions_are_within_two_ulps_of_std() {
    let domain = || {
        sweep(-10.0, 10.0, 400_000)
            .chain(sweep(-1e6, 1e6, 200_000))
            .chain(sweep(-1e-3, 1e-3, 1_000))
            .chain(near_octants(20_000, 1.0))
            .chain(near_octants(20_000, 52.4))
    };
    let unit = || sweep(-1.0, 1.0, 400_000).chain(sweep(-1e-3, 1e-3, 1_000));
    let wide = || {
        let mut b = 1u64;
        std::iter::from_fn(move || {
            b += 0x0000_1234_5678_9abd;
            (b < 0x7ff0_0000_0000_0000).then(|| f64::from_bits(b))
        })
        .flat_map(|x| [x, -x])
    };
    let results = [
        ("sin", worst64(domain(), sin_f64, f64::sin)),
        ("cos", worst64(domain(), cos_f64, f64::cos)),
        ("tan", worst64(domain(), tan_f64, f64::tan)),
        ("asin", worst64(unit(), asin_f64, f64::asin)),
        ("acos", worst64(unit(), acos_f64, f64::acos)),
        ("atan", worst64(domain().chain(wide()), atan_f64, f64::atan)),
    ];
    println!("{results:?}");
    // tan: 3 ulp of std (see tan_f64).
    assert!(
        results
            .iter()
            .all(|(n, (w, _))| *w <= 2 || (*n == "tan" && *w <= 3)),
        "{results:?}"
    );
}

#[test]
fn f64_hyperbolic_functions_are_within_two_ulps_of_std() {
    let domain = || {
        sweep(-3.0, 3.0, 400_000)
            .chain(sweep(-720.0, 720.0, 400_000))
            .chain(sweep(-1e-3, 1e-3, 1_000))
            .chain(sweep(709.0, 710.5, 100_000))
    };
    let results = [
        ("sinh", worst64(domain(), sinh_f64, f64::sinh)),
        ("cosh", worst64(domain(), cosh_f64, f64::cosh)),
        ("tanh", worst64(domain(), tanh_f64, f64::tanh)),
    ];
    println!("{results:?}");
    // 3 ulp of std only where e^|x| overflows (|x| > 709.08, see sinh_f64).
    assert!(
        results
            .iter()
            .all(|(_, (w, x))| *w <= 2 || (*w <= 3 && x.abs() > 709.08)),
        "{results:?}"
    );
}

/// Signed zeros, infinities and NaN of `y` and `x`, and finite values of
/// every size: Rust's special cases exactly, within 2 ulp elsewhere.
#[test]
fn atan2_on_a_grid_with_signed_zeros_and_infinities() {
    let mut vs = vec![
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1.0,
        -1.0,
        1e-310,
        -1e-310,
    ];
    for k in -40..=40 {
        let m = 1.0 + 0.37 * (k as f64).abs().sqrt();
        vs.push(m * 10f64.powi(k / 2 * 3));
        vs.push(-m * 10f64.powi(k / 3 * 2));
    }
    vs.extend(sweep(-5.0, 5.0, 300));
    let (mut w32, mut w64) = (0, 0);
    for &y in &vs {
        for &x in &vs {
            let e = ulps64(atan2_f64(y, x), y.atan2(x));
            assert!(
                e <= 2,
                "atan2({y:e}, {x:e}) = {} vs {}",
                atan2_f64(y, x),
                y.atan2(x)
            );
            w64 = w64.max(e);
            let (y, x) = (y as f32, x as f32);
            let want = (y as f64).atan2(x as f64) as f32;
            let e = ulps32(atan2_f32(y, x), want);
            assert!(
                e <= 2,
                "atan2({y:e}, {x:e}) = {} vs {want}",
                atan2_f32(y, x)
            );
            w32 = w32.max(e);
            if y == 0.0 || x == 0.0 || y.is_infinite() || x.is_infinite() {
                assert_eq!(
                    atan2_f32(y, x).to_bits(),
                    y.atan2(x).to_bits(),
                    "atan2({y}, {x})"
                );
            }
        }
    }
    println!("atan2 worst: f32 {w32}, f64 {w64}");
}

#[test]
fn special_values_are_rusts() {
    let specials = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE,
        5e-324,
        -5e-324,
        1e-300,
        f64::MAX,
        f64::MIN,
        1e300,
    ];
    type F64 = fn(f64) -> f64;
    type F32 = fn(f32) -> f32;
    let fs: [(&str, F64, F64, F32, F32); 9] = [
        ("sin", sin_f64, f64::sin, sin_f32, f32::sin),
        ("cos", cos_f64, f64::cos, cos_f32, f32::cos),
        ("tan", tan_f64, f64::tan, tan_f32, f32::tan),
        ("asin", asin_f64, f64::asin, asin_f32, f32::asin),
        ("acos", acos_f64, f64::acos, acos_f32, f32::acos),
        ("atan", atan_f64, f64::atan, atan_f32, f32::atan),
        ("sinh", sinh_f64, f64::sinh, sinh_f32, f32::sinh),
        ("cosh", cosh_f64, f64::cosh, cosh_f32, f32::cosh),
        ("tanh", tanh_f64, f64::tanh, tanh_f32, f32::tanh),
    ];
    for (name, f, std, f32f, f32std) in fs {
        for x in specials {
            let huge = x.is_finite() && x.abs() > 1e15 && ["sin", "cos", "tan"].contains(&name);
            if huge {
                assert!(f(x).is_nan(), "{name}({x:e})");
            } else {
                assert!(
                    ulps64(f(x), std(x)) <= 1,
                    "{name}({x:e}) = {} vs {}",
                    f(x),
                    std(x)
                );
            }
            if x == 0.0 || x.is_infinite() || x.is_nan() {
                let same = f(x).to_bits() == std(x).to_bits() || (f(x).is_nan() && std(x).is_nan());
                assert!(same, "{name}({x}) = {} vs {}", f(x), std(x));
            }
            let y = x as f32;
            let huge = y.is_finite() && y.abs() > 1e7 && ["sin", "cos", "tan"].contains(&name);
            if huge {
                assert!(f32f(y).is_nan(), "{name}({y:e})");
            } else {
                assert!(
                    ulps32(f32f(y), f32std(y)) <= 1,
                    "{name}({y:e}) = {} vs {}",
                    f32f(y),
                    f32std(y)
                );
            }
            if y == 0.0 || y.is_infinite() {
                let same = f32f(y).to_bits() == f32std(y).to_bits()
                    || (f32f(y).is_nan() && f32std(y).is_nan());
                assert!(same, "{name}({y}) = {} vs {}", f32f(y), f32std(y));
            }
        }
    }
}

/// Every positive `f32` up to 2^23: the first argument where `sin`, `cos`
/// or `tan` is more than 2 ulp off (run by hand: `--ignored`).
#[test]
#[ignore]
fn f32_trig_domain_scan() {
    type F = fn(f32) -> f32;
    type R = fn(f64) -> f64;
    let fs: [(&str, F, R); 3] = [
        ("sin", sin_f32, f64::sin),
        ("cos", cos_f32, f64::cos),
        ("tan", tan_f32, f64::tan),
    ];
    for (name, f, r) in fs {
        let first = (0..0x4b00_0000u32)
            .map(f32::from_bits)
            .find(|&x| ulps32(f(x), r(x as f64) as f32) > 2);
        let worst = (0..0x4500_0000u32)
            .map(f32::from_bits)
            .map(|x| ulps32(f(x), r(x as f64) as f32))
            .max();
        println!("{name}: first > 2 ulp at {first:?}; worst below 2048: {worst:?}");
    }
}
