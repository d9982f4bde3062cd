//! Floating-point precision of a network: the `Real` trait implemented by `f32` and `f64`.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// Precision of a network's `Scalar` type (GeNN's "scalar"): `f32` by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Precision {
    /// Single precision (`f32`), the default.
    #[default]
    F32,
    /// Double precision (`f64`).
    F64,
}

impl Precision {
    /// The name of the C type this precision maps to (`float` or `double`).
    pub fn c_type(self) -> &'static str {
        match self {
            Precision::F32 => "float",
            Precision::F64 => "double",
        }
    }
}

/// A floating-point type a network can be simulated in: `f32` or `f64`.
///
/// Backends are generic over `Real`; model code sees it as `Scalar`.
pub trait Real:
    Copy
    + Debug
    + Default
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + crate::var::VarElem
{
    /// The precision tag of this type.
    const PRECISION: Precision;
    /// Zero.
    const ZERO: Self;
    /// The spike time of an element that has not spiked yet: the most
    /// negative finite value (GeNN's `-TIME_MAX`), so `t - st` is huge and
    /// finite and `exp(-(t - st) / tau)` is 0.
    const NO_SPIKE: Self;
    /// Converts from `f64` (rounding to nearest for `f32`).
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
}

impl Real for f32 {
    const PRECISION: Precision = Precision::F32;
    const ZERO: Self = 0.0;
    const NO_SPIKE: Self = -f32::MAX;
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Real for f64 {
    const PRECISION: Precision = Precision::F64;
    const ZERO: Self = 0.0;
    const NO_SPIKE: Self = -f64::MAX;
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
}
