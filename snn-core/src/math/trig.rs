//! `sin`, `cos`, `tan`, `asin`, `acos`, `atan` and `atan2` in `f32` and
//! `f64`, written once here and once in C (`snn_kernels::cgen`'s
//! `math_trig.h`) with the same operations in the same order, so every
//! backend computes the same bits (the model macros rewrite `x.sin()` into
//! [`Trig::sin`]; the C printer prints `snn_sin_f32`).
//!
//! The algorithms are Cephes' (S. Moshier): a Cody-Waite reduction by
//! `pi / 4` (three parts in `f32`, as Cephes' `sinf`; four in `f64`, one
//! more than Cephes' `sin`, so that the reduced argument keeps its relative
//! accuracy next to the zeros) and Cephes' polynomials or rational forms.
//! As in `elementary.rs`, only correctly rounded IEEE operations (`+ - * /`,
//! `sqrt`, conversions to integers, sign-bit operations), no fused
//! multiply-add, `f32` functions in `f32` arithmetic only, and selects
//! instead of branches. NaN, infinities, signed zeros and arguments outside
//! the domain behave as Rust's functions, but for `sin`, `cos` and `tan` of
//! huge arguments (see [`sin_f32`]).

// The coefficients keep their published digits, which are also the C twin's
// literals (both round them to the same value).
#![allow(clippy::excessive_precision)]

use std::f32::consts as c32;
use std::f64::consts as c64;

/// `v` with its sign bit flipped where `x`'s is set (`copysign(v, x)` for
/// `v >= 0`, keeping NaN a NaN).
#[inline(always)]
pub(super) fn xor_sign_f32(v: f32, x: f32) -> f32 {
    f32::from_bits(v.to_bits() ^ (x.to_bits() & 0x8000_0000))
}

/// `v` with its sign bit flipped where `x`'s is set.
#[inline(always)]
pub(super) fn xor_sign_f64(v: f64, x: f64) -> f64 {
    f64::from_bits(v.to_bits() ^ (x.to_bits() & 0x8000_0000_0000_0000))
}

/// Beyond this `|x|` (2^23: consecutive `f32` are 1 apart) `sin`, `cos`
/// and `tan` give NaN: no digit of the result is known.
const TRIG_MAX_F32: f32 = 8_388_608.0;
/// Beyond this `|x|` (2^52) the `f64` `sin`, `cos` and `tan` give NaN.
const TRIG_MAX_F64: f64 = 4_503_599_627_370_496.0;

/// Octant `j` (even, `0 <= j < 8` after `& 7`) and `r = ax - j pi / 4`
/// for `ax >= 0`: `pi / 4` in four parts, the first three of 12 bits
/// (exact products for `j < 2^12`; Cephes' `sinf` has three, see
/// [`cos_box_muller_f32`]).
#[inline(always)]
fn reduce_f32(ax: f32) -> (u32, f32) {
    let j = (ax * 1.273_239_5) as u32; // 4 / pi
    let j = j.wrapping_add(j & 1);
    let y = j as f32;
    let r = (((ax - y * 0.785_400_390_625) - y * -2.226_792_275_905_609e-6)
        - y * -4.353_069_016_360_678e-10)
        - y * 3.111_685_984_834_994e-14;
    (j & 7, r)
}

/// `sin r` for `|r| <= pi / 4`, `z = r^2` (Cephes' `sinf`).
#[inline(always)]
fn sin_poly_f32(r: f32, z: f32) -> f32 {
    ((-1.951_529_6e-4 * z + 8.332_161e-3) * z - 1.666_665_5e-1) * z * r + r
}

/// `cos r` for `|r| <= pi / 4`, `z = r^2` (Cephes' `cosf`).
#[inline(always)]
fn cos_poly_f32(z: f32) -> f32 {
    ((2.443_315_7e-5 * z - 1.388_731_6e-3) * z + 4.166_664_6e-2) * z * z - 0.5 * z + 1.0
}

/// `sin x` in `f32`: within 2 ulp for `|x| <= 4096` (every `f32` there
/// checked against `f64`; the first larger error is at 7575.95 for `cos`,
/// 8194.06 for `sin`). Beyond, the four-part reduction's products stop
/// being exact and the absolute error grows like `|x| 2^-24` (the spacing
/// of the arguments themselves); NaN for NaN, infinities and `|x| > 2^23`
/// (consecutive floats 1 or more apart). Not Rust's: `sin(2^24)` is a
/// number there.
#[inline(always)]
pub fn sin_f32(x: f32) -> f32 {
    let ax = x.abs();
    let (j, r) = reduce_f32(ax);
    let z = r * r;
    // sin x = sin r, cos r, -sin r, -cos r for j = 0, 2, 4, 6.
    let v = if j & 2 != 0 {
        cos_poly_f32(z)
    } else {
        sin_poly_f32(r, z)
    };
    let v = if j & 4 != 0 { -v } else { v };
    let v = xor_sign_f32(v, x);
    if ax <= TRIG_MAX_F32 {
        v
    } else {
        f32::NAN
    }
}

/// `cos x` in `f32`, same bound and domain as [`sin_f32`].
#[inline(always)]
pub fn cos_f32(x: f32) -> f32 {
    let ax = x.abs();
    let (j, r) = reduce_f32(ax);
    let z = r * r;
    // cos x = cos r, -sin r, -cos r, sin r for j = 0, 2, 4, 6.
    let v = if j == 2 || j == 6 {
        sin_poly_f32(r, z)
    } else {
        cos_poly_f32(z)
    };
    let v = if j == 2 || j == 4 { -v } else { v };
    if ax <= TRIG_MAX_F32 {
        v
    } else {
        f32::NAN
    }
}

/// The cosine of the Box-Muller transform ([`super::box_muller_f32`]) for
/// `|x| < 8192`: Cephes' `cosf` itself, whose three-part reduction the
/// random draws keep (accurate to 1.2e-7 absolute on `[0, 2 pi]`;
/// [`cos_f32`] reduces in four parts).
#[inline(always)]
pub fn cos_box_muller_f32(x: f32) -> f32 {
    let ax = x.abs();
    let j = (ax * 1.273_239_5) as u32; // 4 / pi
    let j = j.wrapping_add(j & 1);
    let y = j as f32;
    let j = j & 7;
    let r = ((ax - y * 0.785_156_25) - y * 2.418_756_5e-4) - y * 3.774_895e-8;
    let z = r * r;
    let v = if j == 2 || j == 6 {
        sin_poly_f32(r, z)
    } else {
        cos_poly_f32(z)
    };
    if j == 2 || j == 4 {
        -v
    } else {
        v
    }
}

/// `tan x` in `f32` (Cephes' `tanf`), same domain as [`sin_f32`], within
/// 3 ulp there (2 ulp for `|x| < 7.97`).
#[inline(always)]
pub fn tan_f32(x: f32) -> f32 {
    let ax = x.abs();
    let (j, r) = reduce_f32(ax);
    let z = r * r;
    let s = (((((9.385_401_855_43e-3 * z + 3.119_922_326_97e-3) * z + 2.443_013_545_25e-2) * z
        + 5.341_128_070_05e-2)
        * z
        + 1.333_879_940_85e-1)
        * z
        + 3.333_315_685_48e-1)
        * z
        * r;
    let t = s + r;
    // tan x = tan r for j = 0, 4 and -1 / tan r for j = 2, 6, the latter
    // corrected by the rounding error of t: -1 / (t + e) ~ u (1 + u e).
    let e = s - (t - r);
    let u = -1.0 / t;
    let v = if j & 2 != 0 { u + u * (u * e) } else { t };
    let v = xor_sign_f32(v, x);
    if ax <= TRIG_MAX_F32 {
        v
    } else {
        f32::NAN
    }
}

/// `asin s` for `0 <= s <= 1/2`, `z = s^2` (Cephes' `asinf`).
#[inline(always)]
fn asin_poly_f32(s: f32, z: f32) -> f32 {
    ((((4.216_319_904_8e-2 * z + 2.418_131_104_9e-2) * z + 4.547_002_599_8e-2) * z
        + 7.495_300_268_6e-2)
        * z
        + 1.666_675_242_2e-1)
        * z
        * s
        + s
}

/// `asin x` in `f32` (Cephes' `asinf`): within 2 ulp on `[-1, 1]`, NaN
/// outside.
#[inline(always)]
pub fn asin_f32(x: f32) -> f32 {
    let a = x.abs();
    let big = a > 0.5;
    // asin a = pi/2 - 2 asin(sqrt((1 - a) / 2)) for a > 1/2.
    let zb = 0.5 * (1.0 - a);
    let z = if big { zb } else { a * a };
    let s = if big { zb.sqrt() } else { a };
    let p = asin_poly_f32(s, z);
    let v = if big { c32::FRAC_PI_2 - (p + p) } else { p };
    let v = xor_sign_f32(v, x);
    if a <= 1.0 {
        v
    } else {
        f32::NAN
    }
}

/// `acos x` in `f32` (Cephes' `acosf`): within 2 ulp on `[-1, 1]`, NaN
/// outside.
#[inline(always)]
pub fn acos_f32(x: f32) -> f32 {
    let low = x < -0.5;
    let high = x > 0.5;
    // acos x = pi - 2 asin(sqrt((1 + x) / 2)), 2 asin(sqrt((1 - x) / 2)),
    // pi/2 - asin x.
    let zl = 0.5 * (1.0 + x);
    let zh = 0.5 * (1.0 - x);
    let s = if low {
        zl.sqrt()
    } else if high {
        zh.sqrt()
    } else {
        x
    };
    let p = asin_poly_f32(s, s * s);
    let v = if low {
        c32::PI - 2.0 * p
    } else if high {
        2.0 * p
    } else {
        c32::FRAC_PI_2 - p
    };
    if x.abs() <= 1.0 {
        v
    } else {
        f32::NAN
    }
}

/// `atan a` for `a >= 0` or NaN (Cephes' `atanf`).
#[inline(always)]
fn atan_abs_f32(a: f32) -> f32 {
    let big = a > 2.414_213_562_373_095; // tan(3 pi / 8)
    let mid = a > 0.414_213_562_373_095; // tan(pi / 8)
                                         // atan a = pi/2 + atan(-1/a), pi/4 + atan((a - 1) / (a + 1)), atan a.
    let t = if big {
        -(1.0 / a)
    } else if mid {
        (a - 1.0) / (a + 1.0)
    } else {
        a
    };
    // pi/2 and pi/4 in two parts: the f32 value and the rest.
    let (y, more) = if big {
        (c32::FRAC_PI_2, -4.371_139e-8)
    } else if mid {
        (c32::FRAC_PI_4, -2.185_569_5e-8)
    } else {
        (0.0, 0.0)
    };
    let z = t * t;
    y + (((((8.053_744_495_38e-2 * z - 1.387_768_560_32e-1) * z + 1.997_771_064_78e-1) * z
        - 3.333_294_915_39e-1)
        * z
        * t
        + t)
        + more)
}

/// `atan x` in `f32` (Cephes' `atanf`): within 2 ulp everywhere.
#[inline(always)]
pub fn atan_f32(x: f32) -> f32 {
    xor_sign_f32(atan_abs_f32(x.abs()), x)
}

/// `atan2(y, x)` in `f32`: the angle of `(x, y)`, `atan(y / x)` moved to
/// the right quadrant; within 2 ulp everywhere. Zeros and infinities as
/// Rust's `f32::atan2`.
#[inline(always)]
pub fn atan2_f32(y: f32, x: f32) -> f32 {
    let xneg = x.to_bits() >> 31 != 0;
    // 0 / 0 and inf / inf: the ratio's sign, and magnitude 0 or 1.
    let zeros = y == 0.0 && x == 0.0;
    let infs = y.abs() == f32::INFINITY && x.abs() == f32::INFINITY;
    let q = if zeros {
        xor_sign_f32(xor_sign_f32(0.0, y), x)
    } else if infs {
        xor_sign_f32(xor_sign_f32(1.0, y), x)
    } else {
        y / x
    };
    let a = atan_f32(q);
    let w = xor_sign_f32(c32::PI, y);
    if xneg {
        w + a
    } else {
        a
    }
}

/// Octant `j` (even, masked to `0..8`) and `r = ax - j pi / 4` for
/// `ax >= 0`: `pi / 4` in four parts, the first three of 27 bits (exact
/// products for `j < 2^26`).
#[inline(always)]
fn reduce_f64(ax: f64) -> (u64, f64) {
    let j = (ax * 1.273_239_544_735_162_686_15) as u64; // 4 / pi
    let j = j.wrapping_add(j & 1);
    let y = j as f64;
    let r = (((ax - y * 7.853_981_629_014_015e-1) - y * 4.960_467_869_796_759e-10)
        - y * 2.860_594_354_831_787_5e-18)
        - y * 8.223_128_468_162_129e-27;
    (j & 7, r)
}

/// `sin r` for `|r| <= pi / 4`, `z = r^2` (Cephes' `sin`).
#[inline(always)]
fn sin_poly_f64(r: f64, z: f64) -> f64 {
    (((((1.589_623_015_765_465_680_60e-10 * z - 2.505_074_776_285_780_728_66e-8) * z
        + 2.755_731_362_138_572_452_13e-6)
        * z
        - 1.984_126_982_958_953_859_96e-4)
        * z
        + 8.333_333_333_322_118_588_78e-3)
        * z
        - 1.666_666_666_666_663_072_95e-1)
        * z
        * r
        + r
}

/// `cos r` for `|r| <= pi / 4`, `z = r^2` (Cephes' `cos`).
#[inline(always)]
fn cos_poly_f64(z: f64) -> f64 {
    (((((-1.135_853_652_138_768_173_00e-11 * z + 2.087_570_084_197_473_167_78e-9) * z
        - 2.755_731_417_929_673_881_12e-7)
        * z
        + 2.480_158_728_885_170_453_48e-5)
        * z
        - 1.388_888_888_887_305_641_16e-3)
        * z
        + 4.166_666_666_666_659_292_18e-2)
        * z
        * z
        - 0.5 * z
        + 1.0
}

/// `sin x` in `f64`: within 2 ulp of Rust's `f64::sin` for `|x| <= 2^20`
/// (dense sweeps and the doubles next to the multiples of `pi / 4` in the
/// tests); beyond, the absolute error grows like `|x| 2^-106`; NaN for NaN,
/// infinities and `|x| > 2^52`.
#[inline(always)]
pub fn sin_f64(x: f64) -> f64 {
    let ax = x.abs();
    let (j, r) = reduce_f64(ax);
    let z = r * r;
    let v = if j & 2 != 0 {
        cos_poly_f64(z)
    } else {
        sin_poly_f64(r, z)
    };
    let v = if j & 4 != 0 { -v } else { v };
    let v = xor_sign_f64(v, x);
    if ax <= TRIG_MAX_F64 {
        v
    } else {
        f64::NAN
    }
}

/// `cos x` in `f64`, same bound and domain as [`sin_f64`].
#[inline(always)]
pub fn cos_f64(x: f64) -> f64 {
    let ax = x.abs();
    let (j, r) = reduce_f64(ax);
    let z = r * r;
    let v = if j == 2 || j == 6 {
        sin_poly_f64(r, z)
    } else {
        cos_poly_f64(z)
    };
    let v = if j == 2 || j == 4 { -v } else { v };
    if ax <= TRIG_MAX_F64 {
        v
    } else {
        f64::NAN
    }
}

/// The cosine of the `f64` Box-Muller transform, for `|x| < 2^30`:
/// Cephes' `cos` itself (a three-part reduction, whose bits the random
/// draws keep; [`cos_f64`] reduces in four parts), within 2e-16 absolute
/// on `[0, 2 pi]`.
#[inline(always)]
pub fn cos_box_muller_f64(x: f64) -> f64 {
    let ax = x.abs();
    let j = (ax * 1.273_239_544_735_162_686_15) as u64;
    let j = j.wrapping_add(j & 1);
    let y = j as f64;
    let j = j & 7;
    let r = ((ax - y * 7.853_981_256_484_985_351_56e-1) - y * 3.774_894_707_930_798_176_68e-8)
        - y * 2.695_151_429_079_059_526_45e-15;
    let z = r * r;
    let v = if j == 2 || j == 6 {
        sin_poly_f64(r, z)
    } else {
        cos_poly_f64(z)
    };
    if j == 2 || j == 4 {
        -v
    } else {
        v
    }
}

/// `tan x` in `f64` (Cephes' `tan` rational form), same domain as
/// [`sin_f64`], within 3 ulp of Rust's there.
#[inline(always)]
pub fn tan_f64(x: f64) -> f64 {
    let ax = x.abs();
    let (j, r) = reduce_f64(ax);
    let z = r * r;
    let p = ((-1.309_369_391_813_837_776_46e4 * z + 1.153_516_648_385_874_161_40e6) * z
        - 1.795_652_519_764_848_779_88e7)
        * z;
    let q = (((z + 1.368_129_634_706_929_546_78e4) * z - 1.320_892_344_402_109_674_47e6) * z
        + 2.500_838_018_233_579_158_39e7)
        * z
        - 5.386_957_559_294_546_298_81e7;
    let s = r * (p / q);
    let t = r + s;
    let e = s - (t - r);
    let u = -1.0 / t;
    let v = if j & 2 != 0 { u + u * (u * e) } else { t };
    let v = xor_sign_f64(v, x);
    if ax <= TRIG_MAX_F64 {
        v
    } else {
        f64::NAN
    }
}

/// `pi / 2 - FRAC_PI_2`: the bits of `pi / 2` beyond `f64`.
const MOREBITS: f64 = 6.123_233_995_736_765_886_130e-17;

/// `asin x` in `f64` (Cephes' `asin`): within 2 ulp of Rust's on `[-1, 1]`,
/// NaN outside.
#[inline(always)]
pub fn asin_f64(x: f64) -> f64 {
    let a = x.abs();
    // a > 0.625: asin(1 - w) = pi/2 - sqrt(2w) (1 + w R(w) / S(w)).
    let w = 1.0 - a;
    let p = w
        * ((((2.967_721_961_301_243_206_100e-3 * w - 5.634_242_780_008_963_776_856e-1) * w
            + 6.968_710_824_104_713_396_794e0)
            * w
            - 2.556_901_049_652_824_852_289e1)
            * w
            + 2.853_665_548_261_061_424_989e1)
        / ((((w - 2.194_779_531_642_920_639_778e1) * w + 1.470_656_354_026_814_941_758e2) * w
            - 3.838_770_957_603_691_357_202e2)
            * w
            + 3.424_398_657_913_078_477_438e2);
    let s = (w + w).sqrt();
    let big = ((c64::FRAC_PI_4 - s) - (s * p - MOREBITS)) + c64::FRAC_PI_4;
    // Otherwise asin a = a + a^3 P(a^2) / Q(a^2).
    let z = a * a;
    let r = z
        * (((((4.253_011_369_004_428_248_960e-3 * z - 6.019_598_008_014_123_785_661e-1) * z
            + 5.444_622_390_564_711_410_273e0)
            * z
            - 1.626_247_967_210_700_244_449e1)
            * z
            + 1.956_261_983_317_594_739_197e1)
            * z
            - 8.198_089_802_484_824_371_615e0)
        / (((((z - 1.474_091_372_988_853_791_896e1) * z + 7.049_610_280_856_842_141_659e1) * z
            - 1.471_791_292_232_726_029_859e2)
            * z
            + 1.395_105_614_657_485_689_735e2)
            * z
            - 4.918_853_881_490_881_290_097e1);
    let small = a * r + a;
    let v = if a > 0.625 { big } else { small };
    let v = xor_sign_f64(v, x);
    if a <= 1.0 {
        v
    } else {
        f64::NAN
    }
}

/// `acos x` in `f64` (Cephes' `acos`): within 2 ulp of Rust's on
/// `[-1, 1]`, NaN outside.
#[inline(always)]
pub fn acos_f64(x: f64) -> f64 {
    let high = x > 0.5;
    // acos x = 2 asin(sqrt((1 - x) / 2)) for x > 1/2, else pi/2 - asin x.
    let a = asin_f64(if high { (0.5 - 0.5 * x).sqrt() } else { x });
    if high {
        2.0 * a
    } else {
        ((c64::FRAC_PI_4 - a) + MOREBITS) + c64::FRAC_PI_4
    }
}

/// `atan a` for `a >= 0` or NaN (Cephes' `atan`).
#[inline(always)]
fn atan_abs_f64(a: f64) -> f64 {
    let big = a > 2.414_213_562_373_095_048_80; // tan(3 pi / 8)
    let mid = a > 0.66;
    let t = if big {
        -(1.0 / a)
    } else if mid {
        (a - 1.0) / (a + 1.0)
    } else {
        a
    };
    let (y, more) = if big {
        (c64::FRAC_PI_2, MOREBITS)
    } else if mid {
        (c64::FRAC_PI_4, 0.5 * MOREBITS)
    } else {
        (0.0, 0.0)
    };
    let z = t * t;
    let z = z
        * ((((-8.750_608_600_031_904_122_785e-1 * z - 1.615_753_718_733_365_076_637e1) * z
            - 7.500_855_792_314_704_667_340e1)
            * z
            - 1.228_866_684_490_136_173_410e2)
            * z
            - 6.485_021_904_942_025_371_773e1)
        / (((((z + 2.485_846_490_142_306_297_962e1) * z + 1.650_270_098_316_988_542_046e2) * z
            + 4.328_810_604_912_902_668_951e2)
            * z
            + 4.853_903_996_359_136_964_868e2)
            * z
            + 1.945_506_571_482_613_964_425e2);
    y + ((t * z + t) + more)
}

/// `atan x` in `f64` (Cephes' `atan`): within 2 ulp of Rust's everywhere.
#[inline(always)]
pub fn atan_f64(x: f64) -> f64 {
    xor_sign_f64(atan_abs_f64(x.abs()), x)
}

/// `atan2(y, x)` in `f64`, as [`atan2_f32`]: within 2 ulp of Rust's
/// `f64::atan2` everywhere, zeros and infinities as Rust's.
#[inline(always)]
pub fn atan2_f64(y: f64, x: f64) -> f64 {
    let xneg = x.to_bits() >> 63 != 0;
    let zeros = y == 0.0 && x == 0.0;
    let infs = y.abs() == f64::INFINITY && x.abs() == f64::INFINITY;
    let q = if zeros {
        xor_sign_f64(xor_sign_f64(0.0, y), x)
    } else if infs {
        xor_sign_f64(xor_sign_f64(1.0, y), x)
    } else {
        y / x
    };
    let a = atan_f64(q);
    let w = xor_sign_f64(c64::PI, y);
    if xneg {
        w + a
    } else {
        a
    }
}

/// The circular functions of model code, in each precision: what
/// `x.sin()`, ..., `y.atan2(x)` mean in a model (the macros rewrite those
/// calls to these). Bounds and domains: [`sin_f32`], ..., [`atan2_f64`].
pub trait Trig: Copy {
    /// `sin self`.
    fn sin(self) -> Self;
    /// `cos self`.
    fn cos(self) -> Self;
    /// `tan self`.
    fn tan(self) -> Self;
    /// `asin self`.
    fn asin(self) -> Self;
    /// `acos self`.
    fn acos(self) -> Self;
    /// `atan self`.
    fn atan(self) -> Self;
    /// The angle of the point `(x, self)`.
    fn atan2(self, x: Self) -> Self;
}

macro_rules! impl_trig {
    ($t:ty, $sin:ident, $cos:ident, $tan:ident, $asin:ident, $acos:ident, $atan:ident, $atan2:ident) => {
        impl Trig for $t {
            #[inline(always)]
            fn sin(self) -> $t {
                $sin(self)
            }
            #[inline(always)]
            fn cos(self) -> $t {
                $cos(self)
            }
            #[inline(always)]
            fn tan(self) -> $t {
                $tan(self)
            }
            #[inline(always)]
            fn asin(self) -> $t {
                $asin(self)
            }
            #[inline(always)]
            fn acos(self) -> $t {
                $acos(self)
            }
            #[inline(always)]
            fn atan(self) -> $t {
                $atan(self)
            }
            #[inline(always)]
            fn atan2(self, x: $t) -> $t {
                $atan2(self, x)
            }
        }
    };
}

impl_trig!(f32, sin_f32, cos_f32, tan_f32, asin_f32, acos_f32, atan_f32, atan2_f32);
impl_trig!(f64, sin_f64, cos_f64, tan_f64, asin_f64, acos_f64, atan_f64, atan2_f64);

#[cfg(test)]
mod tests;
