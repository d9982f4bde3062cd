//! `exp2`, `log2`, `log10`, `ln_1p`, `powf`, `powi`, `cbrt` and `hypot` in
//! `f32` and `f64`, written once here and once in C (`snn_kernels::cgen`'s
//! `math_powers.h`) with the same operations in the same order, so every
//! backend computes the same bits (the model macros rewrite `x.powf(y)`
//! into [`Powers::powf`]; the C printer prints `snn_powf_f32`).
//!
//! The logarithms and `powf` share one core: `log2 x` as an unevaluated
//! sum of two floats (`x = m 2^e`, `s = (m - 1) / (m + 1)`,
//! `log2 m = 2 log2(e) (s + s^3 / 3 + s^5 / 5 + ...)`, the first two terms
//! in double-word arithmetic), good to about 2^-12 ulp; `2^x` is a Taylor
//! polynomial after a reduction by the nearest integer. Double-word products
//! split their factors by masking low bits (Dekker), so, as in
//! `elementary.rs`, only correctly rounded IEEE operations are used (no
//! fused multiply-add) and the `f32` functions use `f32` arithmetic only.
//! Bounds over the whole domain (tested below): `exp2`, `log2`, `log10`,
//! `ln_1p`, `cbrt`, `hypot` and `powf` within 2 ulp (most results are the
//! correctly rounded ones). `powi` is repeated squaring, bit for bit Rust's
//! `powi` (LLVM's `__powisf2`), exact for `|n| <= 1`, correctly rounded for
//! `n = 2` and within about `log2 |n| + 1` ulp otherwise. NaN, infinities,
//! zeros, subnormals and negative arguments behave as Rust's functions.

// The constants are the values' shortest round-trip digits, which are also
// the C twin's literals.
#![allow(clippy::excessive_precision)]

use super::elementary::{log_specials_f32, log_specials_f64, scale_f32, scale_f64};

/// `a + b` and its rounding error, exactly (Knuth's two-sum).
#[inline(always)]
fn two_sum_f32(a: f32, b: f32) -> (f32, f32) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `a + b` and its rounding error for `|a| >= |b|` (Dekker's fast two-sum).
#[inline(always)]
fn fast_two_sum_f32(a: f32, b: f32) -> (f32, f32) {
    let s = a + b;
    (s, b - (s - a))
}

/// `a * b` and its rounding error, exactly (Dekker's product; the factors
/// are split by clearing their low 12 bits, so the partial products are
/// exact).
#[inline(always)]
fn two_prod_f32(a: f32, b: f32) -> (f32, f32) {
    let p = a * b;
    let ah = f32::from_bits(a.to_bits() & 0xffff_f000);
    let bh = f32::from_bits(b.to_bits() & 0xffff_f000);
    let (al, bl) = (a - ah, b - bh);
    (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
}

/// `log2 x` of a positive finite `x` (normal or subnormal) as a sum
/// `h + l` with `|l| <= ulp(h)`, relative error about 2^-36.
#[inline(always)]
fn log2_parts_f32(x: f32) -> (f32, f32) {
    const K_HI: f32 = 2.88539; // 2 log2 e = K_HI + K_LO
    const K_LO: f32 = 3.851_926e-8;
    const C1_HI: f32 = 9.617_967e-1; // K / 3
    const C1_LO: f32 = -7.028_462e-9;
    let sub = x < f32::MIN_POSITIVE;
    let xs = if sub { x * 16_777_216.0 } else { x }; // 2^24
    let bits = xs.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 126 - if sub { 24 } else { 0 };
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000); // [0.5, 1)
    let low = m < super::SQRT_HALF;
    let e = (e - low as i32) as f32;
    let m = if low { m + m } else { m }; // [sqrt(1/2), sqrt(2))
                                         // s + ds = (m - 1) / (m + 1), |s| < 0.172.
    let a = m - 1.0;
    let (b, db) = two_sum_f32(m, 1.0);
    let s = a / b;
    let (p, dp) = two_prod_f32(s, b);
    let ds = (((a - p) - dp) - s * db) / b;
    // s^3 = t + dt.
    let (z, dz) = two_prod_f32(s, s);
    let (t, dt) = two_prod_f32(z, s);
    let dt = dt + dz * s;
    // K s and K s^3 / 3 in double words, K (s^5 / 5 + ... + s^13 / 13) in
    // f32, and the first-order terms of ds: K (1 + s^2) ds.
    let (h, l) = two_prod_f32(K_HI, s);
    let (u, du) = two_prod_f32(C1_HI, t);
    let du = du + (C1_HI * dt + C1_LO * t);
    let rest = ((((2.219_530_8e-1 * z + 2.623_081_8e-1) * z + 3.205_989e-1) * z + 4.121_985_7e-1)
        * z
        + 5.770_780_4e-1)
        * z
        * t;
    let (h, l2) = two_sum_f32(h, u);
    let l = l2 + (l + (du + (rest + (K_HI * (ds + z * ds) + K_LO * s))));
    let (h, l3) = two_sum_f32(e, h);
    fast_two_sum_f32(h, l3 + l)
}

/// `2^(h + l)` for `|l| <= ulp(h)`: `0` below `2^-151`, infinity above
/// `2^129`, NaN for NaN `h`.
#[inline(always)]
fn exp2_parts_f32(h: f32, l: f32) -> f32 {
    let hc = h.clamp(-152.0, 129.0);
    let l = if hc == h { l } else { 0.0 };
    // n = round(h) (ties to even), read from the bits of h + 1.5 * 2^23.
    let big = hc + 12_582_912.0;
    let z = big - 12_582_912.0;
    let n = (big.to_bits() as i32) - 0x4b40_0000;
    let r = (hc - z) + l;
    // 2^r - 1 for |r| <= 1/2: Taylor to r^7 (truncation below 2^-27).
    let q = ((((((1.525_273_4e-5 * r + 1.540_353e-4) * r + 1.333_355_8e-3) * r + 9.618_129e-3)
        * r
        + 5.550_411e-2)
        * r
        + 2.402_265e-1)
        * r
        + std::f32::consts::LN_2)
        * r;
    scale_f32(1.0 + q, n)
}

/// `2^x` in `f32`, within 1 ulp (exact for integer `x`).
#[inline(always)]
pub fn exp2_f32(x: f32) -> f32 {
    exp2_parts_f32(x, 0.0)
}

/// `log2 x` in `f32`, within 1 ulp (exact for powers of two).
#[inline(always)]
pub fn log2_f32(x: f32) -> f32 {
    let (h, l) = log2_parts_f32(x);
    let v = h + l;
    log_specials_f32(x, v)
}

/// `log10 x` in `f32`, within 1 ulp: `log2 x * log10 2` in double words.
#[inline(always)]
pub fn log10_f32(x: f32) -> f32 {
    let (h, l) = log2_parts_f32(x);
    let (p, dp) = two_prod_f32(h, std::f32::consts::LOG10_2);
    let v = p + (dp + (h * -1.432_098_9e-8 + l * std::f32::consts::LOG10_2));
    log_specials_f32(x, v)
}

/// `ln(1 + x)` in `f32`, within 1 ulp: `log2 u * ln 2` of `u = 1 + x`
/// rounded, plus the rounding error `c` of that sum as `c / u`.
#[inline(always)]
pub fn ln_1p_f32(x: f32) -> f32 {
    let (u, c) = two_sum_f32(1.0, x);
    let (h, l) = log2_parts_f32(u);
    let l = l + c / u * std::f32::consts::LOG2_E;
    let (p, dp) = two_prod_f32(h, std::f32::consts::LN_2);
    let v = p + (dp + (h * -1.904_654_2e-9 + l * std::f32::consts::LN_2));
    if x.is_nan() || x < -1.0 {
        f32::NAN
    } else if x == -1.0 {
        f32::NEG_INFINITY
    } else if x == f32::INFINITY || u == 1.0 {
        x // |x| <= 2^-25 (u == 1): ln(1 + x) rounds to x
    } else {
        v
    }
}

/// `x^y` in `f32`, within 2 ulp: `2^(y log2 |x|)` with the logarithm and
/// the product in double words; the special cases are Rust's (C99's).
#[inline(always)]
pub fn powf_f32(x: f32, y: f32) -> f32 {
    let ax = x.abs();
    let (lh, ll) = log2_parts_f32(ax);
    let (wh, wl) = two_prod_f32(y, lh);
    let p = exp2_parts_f32(wh, wl + y * ll);
    let yint = y.trunc() == y;
    let odd = yint && (0.5 * y).trunc() != 0.5 * y;
    // x = +-0 or +-infinity: 0 or infinity.
    let edge = if (ax == 0.0) == (y < 0.0) {
        f32::INFINITY
    } else {
        0.0
    };
    let p = if ax == 0.0 || ax == f32::INFINITY {
        edge
    } else {
        p
    };
    let v = if odd { p.copysign(x) } else { p };
    if y == 0.0 || x == 1.0 {
        1.0
    } else if x.is_nan() || y.is_nan() {
        f32::NAN
    } else if y.is_infinite() {
        if ax == 1.0 {
            1.0
        } else if (ax > 1.0) == (y > 0.0) {
            f32::INFINITY
        } else {
            0.0
        }
    } else if x < 0.0 && !yint && ax != f32::INFINITY {
        f32::NAN
    } else {
        v
    }
}

/// `x^n` in `f32` by repeated squaring (the bits of Rust's `powi`, LLVM's
/// `__powisf2`; the reciprocal of the product for negative `n`).
#[inline(always)]
pub fn powi_f32(x: f32, n: i32) -> f32 {
    let (mut a, mut b, mut r) = (x, n, 1.0f32);
    loop {
        if b & 1 != 0 {
            r *= a;
        }
        b /= 2;
        if b == 0 {
            break;
        }
        a *= a;
    }
    if n < 0 {
        1.0 / r
    } else {
        r
    }
}

/// `x^(1/3)` in `f32`, within 1 ulp: `|x| = m 2^(3q)` with `m` in
/// `[1, 8)`, a cubic guess, two Newton steps and one with the residual
/// `m - y^3` in double words.
#[inline(always)]
pub fn cbrt_f32(x: f32) -> f32 {
    let ax = x.abs();
    let sub = ax < f32::MIN_POSITIVE;
    let xs = if sub { ax * 16_777_216.0 } else { ax }; // 2^24 = (2^8)^3
    let bits = xs.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let q = (e + 381) / 3 - 127; // floor(e / 3)
    let m = f32::from_bits((bits & 0x007f_ffff) | (((127 + e - 3 * q) as u32) << 23));
    let y = ((1.627_495e-3 * m - 3.402_605e-2) * m + 3.288_365e-1) * m + 7.167_346e-1;
    let y = (y + y + m / (y * y)) * 3.333_333_4e-1;
    let y = (y + y + m / (y * y)) * 3.333_333_4e-1;
    let (p, dp) = two_prod_f32(y, y);
    let (c, dc) = two_prod_f32(p, y);
    let dc = dc + dp * y;
    let y = y + ((m - c) - dc) / (3.0 * p);
    let r = scale_f32(y, q - if sub { 8 } else { 0 }).copysign(x);
    if ax == 0.0 || ax == f32::INFINITY || x.is_nan() {
        x
    } else {
        r
    }
}

/// `sqrt(x^2 + y^2)` in `f32` without overflow or underflow on the way,
/// within 1 ulp: the arguments scaled by a power of two, the sum of squares
/// in double words, a square root corrected by its residual.
#[inline(always)]
pub fn hypot_f32(x: f32, y: f32) -> f32 {
    let (ax, ay) = (x.abs(), y.abs());
    let big = if ax > ay { ax } else { ay };
    let small = if ax > ay { ay } else { ax };
    let e = ((big.to_bits() >> 23) & 0xff) as i32 - 127;
    let (b, s) = (scale_f32(big, -e), scale_f32(small, -e));
    let (bb, dbb) = two_prod_f32(b, b);
    let (ss, dss) = two_prod_f32(s, s);
    let (t, dt) = two_sum_f32(bb, ss);
    let dt = dt + (dbb + dss);
    let r = t.sqrt();
    let (rr, drr) = two_prod_f32(r, r);
    let r = r + (((t - rr) - drr) + dt) / (r + r);
    let v = scale_f32(r, e);
    if ax == f32::INFINITY || ay == f32::INFINITY {
        f32::INFINITY
    } else if x.is_nan() || y.is_nan() {
        f32::NAN
    } else if big == 0.0 {
        0.0
    } else {
        v
    }
}

/// `a + b` and its rounding error, exactly (Knuth's two-sum).
#[inline(always)]
fn two_sum_f64(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `a + b` and its rounding error for `|a| >= |b|` (Dekker's fast two-sum).
#[inline(always)]
fn fast_two_sum_f64(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// `a * b` and its rounding error (Dekker's product; the factors are split
/// by clearing their low 27 bits: the partial products are exact but the
/// product of the low parts, whose rounding, below 2^-105 of `a b`, is the
/// error's only one).
#[inline(always)]
fn two_prod_f64(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let ah = f64::from_bits(a.to_bits() & 0xffff_ffff_f800_0000);
    let bh = f64::from_bits(b.to_bits() & 0xffff_ffff_f800_0000);
    let (al, bl) = (a - ah, b - bh);
    (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
}

/// `log2 x` of a positive finite `x` as a sum `h + l`, relative error about
/// 2^-64 (as [`log2_parts_f32`], with the series to `s^23 / 23`).
#[inline(always)]
fn log2_parts_f64(x: f64) -> (f64, f64) {
    const K_HI: f64 = 2.885_390_081_777_926_8; // 2 log2 e = K_HI + K_LO
    const K_LO: f64 = 4.071_054_748_186_206_6e-17;
    const C1_HI: f64 = 9.617_966_939_259_756e-1; // K / 3
    const C1_LO: f64 = 5.057_761_664_812_590_7e-17;
    const SQRT_HALF: f64 = std::f64::consts::FRAC_1_SQRT_2;
    let sub = x < f64::MIN_POSITIVE;
    let xs = if sub { x * 18_014_398_509_481_984.0 } else { x }; // 2^54
    let bits = xs.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i32 - 1022 - if sub { 54 } else { 0 };
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3fe0_0000_0000_0000); // [0.5, 1)
    let low = m < SQRT_HALF;
    let e = (e - low as i32) as f64;
    let m = if low { m + m } else { m };
    let a = m - 1.0;
    let (b, db) = two_sum_f64(m, 1.0);
    let s = a / b;
    let (p, dp) = two_prod_f64(s, b);
    let ds = (((a - p) - dp) - s * db) / b;
    let (z, dz) = two_prod_f64(s, s);
    let (t, dt) = two_prod_f64(z, s);
    let dt = dt + dz * s;
    let (h, l) = two_prod_f64(K_HI, s);
    let (u, du) = two_prod_f64(C1_HI, t);
    let du = du + (C1_HI * dt + C1_LO * t);
    let rest = (((((((((1.254_517_426_859_968_2e-1 * z + 1.373_995_277_037_108e-1) * z
        + 1.518_626_358_830_487_7e-1)
        * z
        + 1.697_288_283_398_780_4e-1)
        * z
        + 1.923_593_387_851_951_2e-1)
        * z
        + 2.219_530_832_136_866_7e-1)
        * z
        + 2.623_081_892_525_388e-1)
        * z
        + 3.205_988_979_753_252e-1)
        * z
        + 4.121_985_831_111_324e-1)
        * z
        + 5.770_780_163_555_853e-1)
        * z
        * t;
    let (h, l2) = two_sum_f64(h, u);
    let l = l2 + (l + (du + (rest + (K_HI * (ds + z * ds) + K_LO * s))));
    let (h, l3) = two_sum_f64(e, h);
    fast_two_sum_f64(h, l3 + l)
}

/// `2^(h + l)` for `|l| <= ulp(h)`: `0` below `2^-1076`, infinity above
/// `2^1025`, NaN for NaN `h`.
#[inline(always)]
fn exp2_parts_f64(h: f64, l: f64) -> f64 {
    let hc = h.clamp(-1077.0, 1025.0);
    let l = if hc == h { l } else { 0.0 };
    // n = round(h) (ties to even), read from the bits of h + 1.5 * 2^52.
    let big = hc + 6_755_399_441_055_744.0;
    let z = big - 6_755_399_441_055_744.0;
    let n = big.to_bits() as u32 as i32;
    let r = (hc - z) + l;
    // 2^r - 1: Taylor to r^13 (truncation below 2^-57).
    let q = ((((((((((((1.369_148_885_390_412_8e-12 * r + 2.567_843_599_348_820_6e-11)
        * r
        + 4.445_538_271_870_811_6e-10)
        * r
        + 7.054_911_620_801_123e-9)
        * r
        + 1.017_808_600_923_97e-7)
        * r
        + 1.321_548_679_014_431e-6)
        * r
        + 1.525_273_380_405_984_1e-5)
        * r
        + 1.540_353_039_338_161e-4)
        * r
        + 1.333_355_814_642_844_3e-3)
        * r
        + 9.618_129_107_628_477e-3)
        * r
        + 5.550_410_866_482_158e-2)
        * r
        + 2.402_265_069_591_007_2e-1)
        * r
        + std::f64::consts::LN_2)
        * r;
    scale_f64(1.0 + q, n)
}

/// `2^x` in `f64`, within 1 ulp (exact for integer `x`).
#[inline(always)]
pub fn exp2_f64(x: f64) -> f64 {
    exp2_parts_f64(x, 0.0)
}

/// `log2 x` in `f64`, within 1 ulp (exact for powers of two).
#[inline(always)]
pub fn log2_f64(x: f64) -> f64 {
    let (h, l) = log2_parts_f64(x);
    let v = h + l;
    log_specials_f64(x, v)
}

/// `log10 x` in `f64`, within 1 ulp.
#[inline(always)]
pub fn log10_f64(x: f64) -> f64 {
    let (h, l) = log2_parts_f64(x);
    let (p, dp) = two_prod_f64(h, std::f64::consts::LOG10_2);
    let v = p + (dp + (h * -2.803_728_127_785_170_4e-18 + l * std::f64::consts::LOG10_2));
    log_specials_f64(x, v)
}

/// `ln(1 + x)` in `f64`, within 1 ulp (as [`ln_1p_f32`]).
#[inline(always)]
pub fn ln_1p_f64(x: f64) -> f64 {
    let (u, c) = two_sum_f64(1.0, x);
    let (h, l) = log2_parts_f64(u);
    let l = l + c / u * std::f64::consts::LOG2_E;
    let (p, dp) = two_prod_f64(h, std::f64::consts::LN_2);
    let v = p + (dp + (h * 2.319_046_813_846_299_6e-17 + l * std::f64::consts::LN_2));
    if x.is_nan() || x < -1.0 {
        f64::NAN
    } else if x == -1.0 {
        f64::NEG_INFINITY
    } else if x == f64::INFINITY || u == 1.0 {
        x // |x| <= 2^-54 (u == 1): ln(1 + x) rounds to x
    } else {
        v
    }
}

/// `x^y` in `f64`, within 2 ulp (as [`powf_f32`]).
#[inline(always)]
pub fn powf_f64(x: f64, y: f64) -> f64 {
    let ax = x.abs();
    let (lh, ll) = log2_parts_f64(ax);
    let (wh, wl) = two_prod_f64(y, lh);
    let p = exp2_parts_f64(wh, wl + y * ll);
    let yint = y.trunc() == y;
    let odd = yint && (0.5 * y).trunc() != 0.5 * y;
    let edge = if (ax == 0.0) == (y < 0.0) {
        f64::INFINITY
    } else {
        0.0
    };
    let p = if ax == 0.0 || ax == f64::INFINITY {
        edge
    } else {
        p
    };
    let v = if odd { p.copysign(x) } else { p };
    if y == 0.0 || x == 1.0 {
        1.0
    } else if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if y.is_infinite() {
        if ax == 1.0 {
            1.0
        } else if (ax > 1.0) == (y > 0.0) {
            f64::INFINITY
        } else {
            0.0
        }
    } else if x < 0.0 && !yint && ax != f64::INFINITY {
        f64::NAN
    } else {
        v
    }
}

/// `x^n` in `f64` by repeated squaring (the bits of Rust's `powi`, LLVM's
/// `__powidf2`).
#[inline(always)]
pub fn powi_f64(x: f64, n: i32) -> f64 {
    let (mut a, mut b, mut r) = (x, n, 1.0f64);
    loop {
        if b & 1 != 0 {
            r *= a;
        }
        b /= 2;
        if b == 0 {
            break;
        }
        a *= a;
    }
    if n < 0 {
        1.0 / r
    } else {
        r
    }
}

/// `x^(1/3)` in `f64`, within 1 ulp (as [`cbrt_f32`], three Newton steps).
#[inline(always)]
pub fn cbrt_f64(x: f64) -> f64 {
    let ax = x.abs();
    let sub = ax < f64::MIN_POSITIVE;
    let xs = if sub {
        ax * 18_014_398_509_481_984.0
    } else {
        ax
    }; // 2^54 = (2^18)^3
    let bits = xs.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i32 - 1023;
    let q = (e + 3069) / 3 - 1023; // floor(e / 3)
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (((1023 + e - 3 * q) as u64) << 52));
    let y = ((1.627_495e-3 * m - 3.402_605e-2) * m + 3.288_365e-1) * m + 7.167_346e-1;
    let y = (y + y + m / (y * y)) * 3.333_333_333_333_333e-1;
    let y = (y + y + m / (y * y)) * 3.333_333_333_333_333e-1;
    let y = (y + y + m / (y * y)) * 3.333_333_333_333_333e-1;
    let (p, dp) = two_prod_f64(y, y);
    let (c, dc) = two_prod_f64(p, y);
    let dc = dc + dp * y;
    let y = y + ((m - c) - dc) / (3.0 * p);
    let r = scale_f64(y, q - if sub { 18 } else { 0 }).copysign(x);
    if ax == 0.0 || ax == f64::INFINITY || x.is_nan() {
        x
    } else {
        r
    }
}

/// `sqrt(x^2 + y^2)` in `f64`, within 1 ulp (as [`hypot_f32`]).
#[inline(always)]
pub fn hypot_f64(x: f64, y: f64) -> f64 {
    let (ax, ay) = (x.abs(), y.abs());
    let big = if ax > ay { ax } else { ay };
    let small = if ax > ay { ay } else { ax };
    let e = ((big.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let (b, s) = (scale_f64(big, -e), scale_f64(small, -e));
    let (bb, dbb) = two_prod_f64(b, b);
    let (ss, dss) = two_prod_f64(s, s);
    let (t, dt) = two_sum_f64(bb, ss);
    let dt = dt + (dbb + dss);
    let r = t.sqrt();
    let (rr, drr) = two_prod_f64(r, r);
    let r = r + (((t - rr) - drr) + dt) / (r + r);
    let v = scale_f64(r, e);
    if ax == f64::INFINITY || ay == f64::INFINITY {
        f64::INFINITY
    } else if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if big == 0.0 {
        0.0
    } else {
        v
    }
}

/// Powers, roots and the other logarithms of model code, in each precision:
/// what `x.powf(y)`, `x.powi(n)`, `x.exp2()`, `x.log2()`, `x.log10()`,
/// `x.ln_1p()`, `x.cbrt()` and `x.hypot(y)` mean in a model (the macros
/// rewrite those calls to these).
pub trait Powers: Copy {
    /// `2^self`.
    fn exp2(self) -> Self;
    /// `log2 self`.
    fn log2(self) -> Self;
    /// `log10 self`.
    fn log10(self) -> Self;
    /// `ln(1 + self)`.
    fn ln_1p(self) -> Self;
    /// `self^y`.
    fn powf(self, y: Self) -> Self;
    /// `self^n` by repeated squaring (Rust's `powi` bits).
    fn powi(self, n: i32) -> Self;
    /// The cube root.
    fn cbrt(self) -> Self;
    /// `sqrt(self^2 + y^2)`.
    fn hypot(self, y: Self) -> Self;
}

macro_rules! impl_powers {
    ($t:ty, $exp2:ident, $log2:ident, $log10:ident, $ln_1p:ident, $powf:ident, $powi:ident,
     $cbrt:ident, $hypot:ident) => {
        impl Powers for $t {
            #[inline(always)]
            fn exp2(self) -> $t {
                $exp2(self)
            }
            #[inline(always)]
            fn log2(self) -> $t {
                $log2(self)
            }
            #[inline(always)]
            fn log10(self) -> $t {
                $log10(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> $t {
                $ln_1p(self)
            }
            #[inline(always)]
            fn powf(self, y: $t) -> $t {
                $powf(self, y)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> $t {
                $powi(self, n)
            }
            #[inline(always)]
            fn cbrt(self) -> $t {
                $cbrt(self)
            }
            #[inline(always)]
            fn hypot(self, y: $t) -> $t {
                $hypot(self, y)
            }
        }
    };
}

impl_powers!(
    f32, exp2_f32, log2_f32, log10_f32, ln_1p_f32, powf_f32, powi_f32, cbrt_f32, hypot_f32
);
impl_powers!(
    f64, exp2_f64, log2_f64, log10_f64, ln_1p_f64, powf_f64, powi_f64, cbrt_f64, hypot_f64
);

#[cfg(test)]
mod tests;
