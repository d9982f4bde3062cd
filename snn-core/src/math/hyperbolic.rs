//! `sinh`, `cosh` and `tanh` in `f32` and `f64`, from [`super::Elementary`]'s
//! `exp`, written once here and once in C (`snn_kernels::cgen`'s
//! `math_trig.h`) with the same operations in the same order, so every
//! backend computes the same bits (the model macros rewrite `x.tanh()` into
//! [`Hyperbolic::tanh`]; the C printer prints `snn_tanh_f32`).
//!
//! Cephes' algorithms (S. Moshier): a polynomial or rational form near 0,
//! `(e^|x| -+ e^-|x|) / 2` or `1 - 2 / (e^2|x| + 1)` beyond, and
//! `(e^(|x|/2) / 2) e^(|x|/2)` where `e^|x|` alone would overflow. Within
//! 2 ulp over the whole domain (`f32`: every bit pattern, strided, against
//! `f64`; `f64`: against Rust's), but `f64` `sinh` and `cosh` for
//! `|x| > 709.08` (3 ulp of Rust's); NaN, infinities, zeros and overflow as
//! Rust's functions.

// The coefficients keep their published digits, which are also the C twin's
// literals (both round them to the same value).
#![allow(clippy::excessive_precision)]

use super::elementary::{exp_f32, exp_f64, exp_m1_f64};
use super::trig::{xor_sign_f32, xor_sign_f64};

/// From this `|x|` on, `e^|x| / 2` is computed as `(e^(|x|/2) / 2) e^(|x|/2)`
/// (`ln(f32::MAX) - ln 2`).
const HALF_EXP_F32: f32 = 88.029_69;
/// `ln(f64::MAX) - ln 2`.
const HALF_EXP_F64: f64 = 709.089_565_712_824_1;

/// `sinh x` in `f32` (Cephes' `sinhf`).
#[inline(always)]
pub fn sinh_f32(x: f32) -> f32 {
    let a = x.abs();
    let z = a * a;
    let small =
        ((2.037_219_129_45e-4 * z + 8.330_283_762_39e-3) * z + 1.666_671_602_11e-1) * z * a + a;
    let e = exp_f32(a);
    let mid = 0.5 * e - 0.5 / e;
    let h = exp_f32(0.5 * a);
    let big = (0.5 * h) * h;
    let v = if a >= HALF_EXP_F32 {
        big
    } else if a > 1.0 {
        mid
    } else {
        small
    };
    xor_sign_f32(v, x)
}

/// `cosh x` in `f32` (Cephes' `coshf`).
#[inline(always)]
pub fn cosh_f32(x: f32) -> f32 {
    let a = x.abs();
    let e = exp_f32(a);
    let mid = 0.5 * e + 0.5 / e;
    let h = exp_f32(0.5 * a);
    let big = (0.5 * h) * h;
    if a >= HALF_EXP_F32 {
        big
    } else {
        mid
    }
}

/// `tanh x` in `f32` (Cephes' `tanhf`).
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    let z = a * a;
    let small = ((((-5.704_988_727_45e-3 * z + 2.063_908_879_54e-2) * z - 5.373_971_555_31e-2)
        * z
        + 1.333_144_220_36e-1)
        * z
        - 3.333_328_194_22e-1)
        * z
        * a
        + a;
    // e^2a overflows to infinity for large a: exactly 1.
    let big = 1.0 - 2.0 / (exp_f32(a + a) + 1.0);
    let v = if a >= 0.625 { big } else { small };
    xor_sign_f32(v, x)
}

/// `sinh x` in `f64` (Cephes' `sinh`; fdlibm's form from `e^x - 1` for
/// `1 < |x| < 709.08`).
#[inline(always)]
pub fn sinh_f64(x: f64) -> f64 {
    let a = x.abs();
    let z = a * a;
    let small = a + a
        * z
        * ((((-7.894_744_439_635_370_156_05e-1 * z - 1.637_258_575_259_838_287_27e2) * z
            - 1.156_144_357_650_052_160_44e4)
            * z
            - 3.517_549_648_081_513_948_00e5)
            / (((z - 2.777_110_814_206_027_944_33e2) * z + 3.615_782_798_344_319_893_73e4) * z
                - 2.110_529_788_848_908_403_99e6));
    // (e^a - e^-a) / 2 = (t + t / (t + 1)) / 2 with t = e^a - 1 (fdlibm).
    let t = exp_m1_f64(a);
    let mid = 0.5 * (t + t / (t + 1.0));
    let h = exp_f64(0.5 * a);
    let big = (0.5 * h) * h;
    let v = if a >= HALF_EXP_F64 {
        big
    } else if a > 1.0 {
        mid
    } else {
        small
    };
    xor_sign_f64(v, x)
}

/// `cosh x` in `f64` (Cephes' `cosh`).
#[inline(always)]
pub fn cosh_f64(x: f64) -> f64 {
    let a = x.abs();
    let e = exp_f64(a);
    let mid = 0.5 * e + 0.5 / e;
    let h = exp_f64(0.5 * a);
    let big = (0.5 * h) * h;
    if a >= HALF_EXP_F64 {
        big
    } else {
        mid
    }
}

/// `tanh x` in `f64` (Cephes' `tanh`).
#[inline(always)]
pub fn tanh_f64(x: f64) -> f64 {
    let a = x.abs();
    let z = a * a;
    let small = a + a
        * z
        * (((-9.643_991_794_250_522_386_28e-1 * z - 9.928_772_310_019_185_865_64e1) * z
            - 1.614_687_684_417_084_479_52e3)
            / (((z + 1.128_116_784_916_329_314_02e2) * z + 2.235_488_390_601_004_485_83e3) * z
                + 4.844_063_053_251_254_860_48e3));
    let big = 1.0 - 2.0 / (exp_f64(a + a) + 1.0);
    let v = if a >= 0.625 { big } else { small };
    xor_sign_f64(v, x)
}

/// The hyperbolic functions of model code, in each precision: what
/// `x.sinh()`, `x.cosh()` and `x.tanh()` mean in a model (the macros
/// rewrite those calls to these). Bounds: the module docs.
pub trait Hyperbolic: Copy {
    /// `sinh self`.
    fn sinh(self) -> Self;
    /// `cosh self`.
    fn cosh(self) -> Self;
    /// `tanh self`.
    fn tanh(self) -> Self;
}

impl Hyperbolic for f32 {
    #[inline(always)]
    fn sinh(self) -> f32 {
        sinh_f32(self)
    }
    #[inline(always)]
    fn cosh(self) -> f32 {
        cosh_f32(self)
    }
    #[inline(always)]
    fn tanh(self) -> f32 {
        tanh_f32(self)
    }
}

impl Hyperbolic for f64 {
    #[inline(always)]
    fn sinh(self) -> f64 {
        sinh_f64(self)
    }
    #[inline(always)]
    fn cosh(self) -> f64 {
        cosh_f64(self)
    }
    #[inline(always)]
    fn tanh(self) -> f64 {
        tanh_f64(self)
    }
}
