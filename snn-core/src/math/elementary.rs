//! `exp`, `exp_m1` and `ln` in `f32` and `f64`, written once here and once
//! in C (`snn_kernels::cgen`'s `math.h`) with the same operations in the
//! same order, so every backend computes the same bits: model code calls
//! these instead of the platform's functions (the model macros rewrite
//! `x.exp()` into [`Elementary::exp`]; the C printer prints `snn_exp_f32`).
//!
//! The algorithms are Cephes' (S. Moshier): a reduction by `ln 2` in two
//! parts (Cody-Waite) and a polynomial or rational approximation. Each uses
//! only correctly rounded IEEE operations (`+ - * /`, roundings to an integer, exact
//! scalings by powers of two) and no fused multiply-add, so Rust, C99,
//! CUDA (`--fmad=false`) and OpenCL (`FP_CONTRACT OFF`) agree. Errors are
//! within 2 units in the last place over the whole domain (tests below);
//! NaN, infinities, zeros and subnormals behave as Rust's functions.

// The coefficients keep their published digits, which are also the C twin's
// literals (both round them to the same value).
#![allow(clippy::excessive_precision)]

/// `v`, a logarithm computed for a positive finite `x`, with the special
/// values of Rust's logarithms: NaN for NaN and negative `x`, `-inf` at
/// `+-0`, `inf` at `inf`.
#[inline(always)]
pub(super) fn log_specials_f64(x: f64, v: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        f64::NAN
    } else if x == 0.0 {
        f64::NEG_INFINITY
    } else if x == f64::INFINITY {
        x
    } else {
        v
    }
}

/// [`log_specials_f64`] in `f32`.
#[inline(always)]
pub(super) fn log_specials_f32(x: f32, v: f32) -> f32 {
    if x.is_nan() || x < 0.0 {
        f32::NAN
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else if x == f32::INFINITY {
        x
    } else {
        v
    }
}

/// `2^k` for `-1022 <= k <= 1023`.
#[inline(always)]
pub(super) fn pow2_f64(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `2^k` for `-126 <= k <= 127`.
#[inline(always)]
pub(super) fn pow2_f32(k: i32) -> f32 {
    f32::from_bits(((k + 127) as u32) << 23)
}

/// `y * 2^n` for `|n| <= 2044`, rounded once: two exact-range scalings.
#[inline(always)]
pub(super) fn scale_f64(y: f64, n: i32) -> f64 {
    let n1 = n >> 1; // any split gives the same product (both steps exact but the last)
    y * pow2_f64(n1) * pow2_f64(n - n1)
}

/// `y * 2^n` for `|n| <= 252`, rounded once.
#[inline(always)]
pub(super) fn scale_f32(y: f32, n: i32) -> f32 {
    let n1 = n >> 1; // any split gives the same product (both steps exact but the last)
    y * pow2_f32(n1) * pow2_f32(n - n1)
}

/// `e^x` in `f64`.
#[inline(always)]
pub fn exp_f64(x: f64) -> f64 {
    const MAXLOG: f64 = 709.782_712_893_384; // ln(f64::MAX)
    const MINLOG: f64 = -745.133_219_101_941_1; // ln(2^-1075)
    let xc = x.clamp(MINLOG, MAXLOG);
    // n = round(x / ln 2) (ties to even) by adding and subtracting 1.5 * 2^52,
    // read from the low bits of the sum (no conversion instructions; the C
    // twin converts `px`, the same integer).
    let big = std::f64::consts::LOG2_E * xc + 6_755_399_441_055_744.0;
    let px = big - 6_755_399_441_055_744.0;
    let n = big.to_bits() as u32 as i32;
    let r = xc - px * 6.931_457_519_531_25e-1;
    let r = r - px * 1.428_606_820_309_417_2e-6;
    let rr = r * r;
    let p = r * ((1.261_771_930_748_105_9e-4 * rr + 3.029_944_077_074_419_6e-2) * rr + 1.0);
    let q = ((3.001_985_051_386_644_6e-6 * rr + 2.524_483_403_496_841e-3) * rr
        + 2.272_655_482_081_550_3e-1)
        * rr
        + 2.0;
    let y = 1.0 + 2.0 * (p / (q - p));
    let e = scale_f64(y, n);
    if x > MAXLOG {
        f64::INFINITY
    } else if x < MINLOG {
        0.0
    } else {
        e
    }
}

/// `e^x` in `f32`.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const MAXLOG: f32 = 88.722_84; // ln(f32::MAX)
    const MINLOG: f32 = -103.972_08; // ln(2^-150)
    let xc = x.clamp(MINLOG, MAXLOG);
    // n = round(x / ln 2) (ties to even) by adding and subtracting 1.5 * 2^23,
    // read from the low bits of the sum (no conversion instructions: Rust's
    // saturating casts cost more than the polynomial; the C twin converts
    // `z`, the same integer).
    let big = std::f32::consts::LOG2_E * xc + 12_582_912.0;
    let z = big - 12_582_912.0;
    let n = (big.to_bits() as i32) - 0x4b40_0000;
    let r = xc - z * 0.693_359_4;
    let r = r - z * -2.121_944_4e-4;
    let rr = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_95e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2)
        * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * rr + r + 1.0;
    let e = scale_f32(y, n);
    if x > MAXLOG {
        f32::INFINITY
    } else if x < MINLOG {
        0.0
    } else {
        e
    }
}

/// `e^x - 1` in `f64`, accurate near 0: fdlibm's `expm1` (reduction by
/// `ln 2` in two parts, a rational form on `|r| <= ln 2 / 2`, then the
/// scaling by `2^k` arranged to lose nothing).
#[inline(always)]
pub fn exp_m1_f64(x: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238_2e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const OVERFLOW: f64 = 7.097_827_128_933_839_7e2;
    let ax = x.abs();
    if x.is_nan() {
        return x;
    }
    if x > OVERFLOW {
        return f64::INFINITY;
    }
    if x < -38.816_242_111_356_935 {
        return -1.0; // below -56 ln 2
    }
    if ax < 5.551_115_123_125_783e-17 {
        return x; // |x| < 2^-54 (and +-0)
    }
    let (k, r, c) = if ax > 0.346_573_590_279_972_65 {
        // |x| > ln 2 / 2
        let k = if ax < 1.039_720_770_839_917_9 {
            if x > 0.0 {
                1
            } else {
                -1
            }
        } else {
            (std::f64::consts::LOG2_E * x + if x > 0.0 { 0.5 } else { -0.5 }) as i32
        };
        let t = k as f64;
        let hi = x - t * LN2_HI;
        let lo = t * LN2_LO;
        let r = hi - lo;
        (k, r, (hi - r) - lo)
    } else {
        (0, x, 0.0)
    };
    let hfx = 0.5 * r;
    let hxs = r * hfx;
    let r1 = 1.0
        + hxs
            * (-3.333_333_333_333_313e-2
                + hxs
                    * (1.587_301_587_254_814_6e-3
                        + hxs
                            * (-7.936_507_578_674_879e-5
                                + hxs
                                    * (4.008_217_827_329_362_4e-6
                                        + hxs * -2.010_992_181_836_243_7e-7))));
    let t = 3.0 - r1 * hfx;
    let e = hxs * ((r1 - t) / (6.0 - r * t));
    if k == 0 {
        return r - (r * e - hxs);
    }
    let e = (r * (e - c) - c) - hxs;
    if k == -1 {
        return 0.5 * (r - e) - 0.5;
    }
    if k == 1 {
        return if r < -0.25 {
            -2.0 * (e - (r + 0.5))
        } else {
            1.0 + 2.0 * (r - e)
        };
    }
    if k <= -2 || k > 56 {
        return scale_f64(1.0 - (e - r), k) - 1.0;
    }
    if k < 20 {
        scale_f64((1.0 - pow2_f64(-k)) - (e - r), k)
    } else {
        scale_f64((r - (e + pow2_f64(-k))) + 1.0, k)
    }
}

/// `e^x - 1` in `f32`, accurate near 0.
#[inline(always)]
pub fn exp_m1_f32(x: f32) -> f32 {
    // Taylor to x^9 / 9! on |x| <= 0.5 (truncation below 0.2 ulp).
    let p = (((((((2.755_731_9e-6 * x + 2.480_158_7e-5) * x + 1.984_127e-4) * x
        + 1.388_888_9e-3)
        * x
        + 8.333_333_33e-3)
        * x
        + 4.166_666_7e-2)
        * x
        + 1.666_666_7e-1)
        * x
        + 0.5)
        * (x * x);
    let small = x + p;
    let large = exp_f32(x) - 1.0;
    if x == 0.0 {
        x
    } else if (-0.5..=0.5).contains(&x) {
        small
    } else {
        large
    }
}

/// `ln x` in `f64`.
#[inline(always)]
pub fn ln_f64(x: f64) -> f64 {
    const SQRT_HALF: f64 = std::f64::consts::FRAC_1_SQRT_2;
    // Subnormals scaled into the normal range first.
    let sub = x < f64::MIN_POSITIVE;
    let xs = if sub { x * 18_014_398_509_481_984.0 } else { x }; // 2^54
    let bits = xs.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i32 - 1022 - if sub { 54 } else { 0 };
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3fe0_0000_0000_0000); // [0.5, 1)
    let low = m < SQRT_HALF;
    let e = (e - low as i32) as f64;
    let f = if low { m + m - 1.0 } else { m - 1.0 };
    let z = f * f;
    let p = ((((1.018_756_638_045_809_3e-4 * f + 4.974_949_949_767_47e-1) * f
        + 4.705_791_198_788_817)
        * f
        + 1.449_892_253_416_109_3e1)
        * f
        + 1.793_686_785_078_198_2e1)
        * f
        + 7.708_387_337_558_854;
    let q = ((((f + 1.128_735_871_891_674_5e1) * f + 4.522_791_458_375_322e1) * f
        + 8.298_752_669_127_766e1)
        * f
        + 7.115_447_506_185_639e1)
        * f
        + 2.312_516_201_267_653_4e1;
    let y = f * (z * p / q);
    let y = y - e * 2.121_944_400_546_905_8e-4;
    let y = y - 0.5 * z;
    let l = (f + y) + e * 0.693_359_375;
    log_specials_f64(x, l)
}

/// `ln x` in `f32` (`super::ln_f32` on every input).
#[inline(always)]
pub fn ln_full_f32(x: f32) -> f32 {
    let sub = x < f32::MIN_POSITIVE;
    let xs = if sub { x * 33_554_432.0 } else { x }; // 2^25
    let l = super::ln_f32(xs) - if sub { 17.328_68 } else { 0.0 }; // 25 ln 2
    log_specials_f32(x, l)
}

/// The elementary functions of model code, in each precision: what
/// `x.exp()`, `x.exp_m1()` and `x.ln()` mean in a model (the macros
/// rewrite those calls to these).
pub trait Elementary: Copy {
    /// `e^self`.
    fn exp(self) -> Self;
    /// `e^self - 1`.
    fn exp_m1(self) -> Self;
    /// `ln self`.
    fn ln(self) -> Self;
}

impl Elementary for f32 {
    #[inline(always)]
    fn exp(self) -> f32 {
        exp_f32(self)
    }
    #[inline(always)]
    fn exp_m1(self) -> f32 {
        exp_m1_f32(self)
    }
    #[inline(always)]
    fn ln(self) -> f32 {
        ln_full_f32(self)
    }
}

impl Elementary for f64 {
    #[inline(always)]
    fn exp(self) -> f64 {
        exp_f64(self)
    }
    #[inline(always)]
    fn exp_m1(self) -> f64 {
        exp_m1_f64(self)
    }
    #[inline(always)]
    fn ln(self) -> f64 {
        ln_f64(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::math::ulps::{ulps32, ulps64};

    /// `n` values spread over `[lo, hi]`, and their neighbours.
    fn sweep(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
        (0..=n).map(move |k| lo + (hi - lo) * k as f64 / n as f64)
    }

    /// Every bit pattern of `f32`, one in `step`.
    fn all_f32(step: usize) -> impl Iterator<Item = f32> {
        (0..=u32::MAX).step_by(step).map(f32::from_bits)
    }

    #[test]
    fn f32_functions_are_within_two_ulps_of_the_correctly_rounded_value() {
        let mut worst = [0u64; 3];
        for x in all_f32(4099) {
            let d = x as f64;
            // f64 std results rounded to f32: correctly rounded but for
            // double rounding (rare, and then off by at most one ulp).
            worst[0] = worst[0].max(ulps32(exp_f32(x), d.exp() as f32));
            worst[1] = worst[1].max(ulps32(exp_m1_f32(x), d.exp_m1() as f32));
            worst[2] = worst[2].max(ulps32(ln_full_f32(x), d.ln() as f32));
        }
        assert!(worst.iter().all(|&w| w <= 2), "exp, exp_m1, ln: {worst:?}");
    }

    #[test]
    fn f64_functions_are_within_two_ulps_of_std() {
        let mut worst = [0u64; 3];
        let xs = sweep(-746.0, 710.0, 400_000)
            .chain(sweep(-1.0, 1.0, 100_000))
            .chain(sweep(-1e-6, 1e-6, 1_000));
        for x in xs {
            worst[0] = worst[0].max(ulps64(exp_f64(x), x.exp()));
            worst[1] = worst[1].max(ulps64(exp_m1_f64(x), x.exp_m1()));
        }
        let mut b = 1u64;
        while b < 0x7ff0_0000_0000_0000 {
            let x = f64::from_bits(b);
            worst[2] = worst[2].max(ulps64(ln_f64(x), x.ln()));
            b += 0x0000_1234_5678_9abd;
        }
        assert!(worst.iter().all(|&w| w <= 2), "exp, exp_m1, ln: {worst:?}");
    }

    #[test]
    fn special_values_are_rusts() {
        let specials64 = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            1e-300,
            -1e-300,
            709.78,
            709.8,
            -745.2,
            -745.1,
        ];
        for x in specials64 {
            assert!(ulps64(exp_f64(x), x.exp()) <= 1, "exp {x}");
            assert!(ulps64(exp_m1_f64(x), x.exp_m1()) <= 1, "exp_m1 {x}");
            assert!(ulps64(ln_f64(x), x.ln()) <= 1, "ln {x}");
            let y = x as f32;
            assert!(ulps32(exp_f32(y), y.exp()) <= 1, "exp {y}");
            assert!(ulps32(exp_m1_f32(y), y.exp_m1()) <= 1, "exp_m1 {y}");
            assert!(ulps32(ln_full_f32(y), y.ln()) <= 1, "ln {y}");
        }
        assert_eq!(exp_m1_f64(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(exp_m1_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert!(ulps64(exp_f64(1.0), std::f64::consts::E) <= 1);
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(ln_f64(1.0), 0.0);
        assert_eq!(ln_full_f32(1.0), 0.0);
    }
}
