//! Variable initialisation: how each element (neuron or synapse) of a state
//! variable gets its first value.
//!
//! A [`VarInit`] is either a constant, explicit values, one of the built-in
//! distributions, or a user-defined snippet ([`VarInitSnippetDyn`]). Random
//! values come from the counter-based generator of [`crate::rng`]: element `i`
//! of a variable draws from its own stream
//! `RngStream::new(seed, stream_id(StreamPurpose::VarInit, group, var_index), 0, i)`,
//! so the values depend neither on the number of threads nor on the backend.
//!
//! ```
//! use snn_core::init::VarInit;
//! use snn_core::rng::{stream_id, StreamPurpose};
//!
//! let init = VarInit::normal(-65.0, 5.0);
//! init.validate(1000).unwrap();
//! let mut v = vec![0.0f32; 1000];
//! init.fill(&mut v, 1234, stream_id(StreamPurpose::VarInit, 0, 0));
//! assert!(v.iter().all(|x| x.is_finite()));
//! ```

use std::fmt;
use std::sync::Arc;

use rayon::prelude::*;

use crate::math::box_muller_f32_x16;
use crate::model::{
    InitEnv, PrecisionStates, StateIo, StateSource, VarInitBehaviour, VarInitModel,
};
use crate::real::{Precision, Real};
use crate::rng::{RngStream, SixteenStreams};

/// A user-defined variable-initialisation snippet, object-safe form.
/// Implemented by `#[var_init_snippet]`.
///
/// `sample_f32` must compute in `f32` and `sample_f64` in `f64`, so that a
/// GPU kernel in the network's precision can reproduce the values.
pub trait VarInitSnippetDyn: Send + Sync + fmt::Debug {
    /// The snippet's name, used in error messages.
    fn name(&self) -> &'static str;
    /// Checks the snippet's parameters; the message says what is wrong.
    fn validate(&self) -> Result<(), String>;
    /// The value of one element in single precision.
    fn sample_f32(&self, rng: &mut RngStream, element: u32) -> f32;
    /// The value of one element in double precision.
    fn sample_f64(&self, rng: &mut RngStream, element: u32) -> f64;
    /// The snippet's model (whose IR GPU backends translate) and its
    /// constants (parameters, then derived parameters); `None` for
    /// hand-written snippets, which GPU backends evaluate on the host.
    fn model_code(&self) -> Option<(&'static crate::model::ModelDesc, Vec<f64>)> {
        None
    }
}

/// How a state variable is initialised (one value per element: neuron or synapse).
///
/// Parameters are given in `f64` and rounded to the network's precision `S`
/// before use; all arithmetic of a draw is done in `S`.
#[derive(Clone, Debug)]
pub enum VarInit {
    /// The same value for every element.
    Constant(f64),
    /// One value per element; the length must match the number of elements.
    Values(Vec<f64>),
    /// Uniform on `[min, max)`: `min + (max - min) * u`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Normal: `mean + sd * z` with `z` a standard normal draw.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (>= 0).
        sd: f64,
    },
    /// Normal restricted to `[min, max]` by rejection: normal draws are
    /// repeated until one lies inside the interval (inclusive).
    NormalClipped {
        /// Mean of the untruncated normal.
        mean: f64,
        /// Standard deviation of the untruncated normal (>= 0).
        sd: f64,
        /// Lower bound (may be `-inf`).
        min: f64,
        /// Upper bound (may be `+inf`).
        max: f64,
    },
    /// Exponential with rate `lambda` (mean `1 / lambda`): `exponential() / lambda`.
    Exponential {
        /// Rate (> 0).
        lambda: f64,
    },
    /// Gamma with shape `a` and scale `b` (mean `a b`): `b * gamma(a)`.
    Gamma {
        /// Shape (> 0).
        a: f64,
        /// Scale (> 0).
        b: f64,
    },
    /// Binomial: the number of successes in `n` trials of probability `p`.
    Binomial {
        /// Number of trials.
        n: u32,
        /// Success probability, in `[0, 1]`.
        p: f64,
    },
    /// A user-defined snippet.
    Snippet(Arc<dyn VarInitSnippetDyn>),
}

impl VarInit {
    /// Uniform on `[min, max)`.
    pub fn uniform(min: f64, max: f64) -> Self {
        VarInit::Uniform { min, max }
    }

    /// Normal with the given mean and standard deviation.
    pub fn normal(mean: f64, sd: f64) -> Self {
        VarInit::Normal { mean, sd }
    }

    /// Normal with the given mean and standard deviation, restricted to
    /// `[min, max]` by rejection.
    pub fn normal_clipped(mean: f64, sd: f64, min: f64, max: f64) -> Self {
        VarInit::NormalClipped { mean, sd, min, max }
    }

    /// Per-synapse dendritic delays (in steps, for a `u8`/`u32` delay
    /// variable such as `StaticPulseDendriticDelay`'s `d`) for transmission
    /// delays drawn from normal(`mean`, `sd`) ms clipped to `[min, max]` ms
    /// (NEST's `normal_clipped` delays), rounded to whole steps `D >= 1`,
    /// and the largest `d` they can take (for `.max_dendritic_delay`).
    ///
    /// A spike reaches its target `1 + d` steps after emission, so
    /// `d = D - 1 = trunc(delay / dt - 0.5)`: the initialiser is
    /// normal(`mean / dt - 0.5`, `sd / dt`) restricted to
    /// `[min / dt - 0.5, max / dt - 0.5]`, truncated by the conversion to
    /// an integer. `min` below `dt` is raised to `dt` (the shortest delay).
    /// Bad arguments (NaN, `dt <= 0`, `sd < 0`, `max` below `min` or below
    /// `dt`) give an initialiser that [`validate`](Self::validate), and so
    /// the synapse group's `build`, rejects, naming the bad bound.
    ///
    /// ```
    /// use snn_core::init::VarInit;
    /// let (init, max) = VarInit::delay_steps_normal(1.5, 0.75, 0.1, 6.0, 0.1);
    /// assert_eq!(max, 59);
    /// assert!(matches!(init, VarInit::NormalClipped { .. }));
    /// ```
    pub fn delay_steps_normal(mean: f64, sd: f64, min: f64, max: f64, dt: f64) -> (Self, u32) {
        let lo = (min / dt).max(1.0) - 0.5;
        let hi = max / dt - 0.5;
        (
            VarInit::normal_clipped(mean / dt - 0.5, sd / dt, lo, hi),
            hi.floor().max(0.0) as u32,
        )
    }

    /// Exponential with rate `lambda` (mean `1 / lambda`).
    pub fn exponential(lambda: f64) -> Self {
        VarInit::Exponential { lambda }
    }

    /// Gamma with shape `a` and scale `b`.
    pub fn gamma(a: f64, b: f64) -> Self {
        VarInit::Gamma { a, b }
    }

    /// Binomial with `n` trials of success probability `p`.
    pub fn binomial(n: u32, p: f64) -> Self {
        VarInit::Binomial { n, p }
    }

    /// A user-defined snippet.
    pub fn snippet<M: VarInitModel>(snippet: M) -> Self {
        VarInit::Snippet(Arc::new(SnippetInit::new(snippet)))
    }

    /// Whether the values are random (drawn from the RNG). User snippets count
    /// as random.
    pub fn is_random(&self) -> bool {
        !matches!(self, VarInit::Constant(_) | VarInit::Values(_))
    }

    /// Checks the parameters for a variable of `num_elements` elements.
    ///
    /// The message names the initialiser and the offending numbers, e.g.
    /// `"uniform: min (3) is greater than max (1)"`; the caller adds the
    /// population and variable names. Rejected: NaN and infinite parameters
    /// (except infinite bounds of `normal_clipped`), `min > max`, `sd < 0`,
    /// `lambda <= 0`, `a <= 0`, `b <= 0`, `p` outside `[0, 1]`, a wrong
    /// number of values, and a `normal_clipped` interval holding less than
    /// 1e-6 of the probability mass (rejection sampling would practically
    /// never finish). Snippets are checked by their own `validate`, with
    /// their name put in front of the message.
    pub fn validate(&self, num_elements: usize) -> Result<(), String> {
        match self {
            VarInit::Constant(value) => finite("constant", "value", *value),
            VarInit::Values(values) => {
                if values.len() != num_elements {
                    return Err(format!(
                        "values: {} values given for {} elements",
                        values.len(),
                        num_elements
                    ));
                }
                match values.iter().position(|v| !v.is_finite()) {
                    Some(i) => Err(format!("values: value {i} ({}) must be finite", values[i])),
                    None => Ok(()),
                }
            }
            VarInit::Uniform { min, max } => {
                finite("uniform", "min", *min)?;
                finite("uniform", "max", *max)?;
                if min > max {
                    return Err(format!("uniform: min ({min}) is greater than max ({max})"));
                }
                Ok(())
            }
            VarInit::Normal { mean, sd } => {
                finite("normal", "mean", *mean)?;
                finite("normal", "sd", *sd)?;
                if *sd < 0.0 {
                    return Err(format!("normal: sd ({sd}) must be >= 0"));
                }
                Ok(())
            }
            VarInit::NormalClipped { mean, sd, min, max } => {
                validate_normal_clipped(*mean, *sd, *min, *max)
            }
            VarInit::Exponential { lambda } => {
                finite("exponential", "lambda", *lambda)?;
                if *lambda <= 0.0 {
                    return Err(format!("exponential: lambda ({lambda}) must be > 0"));
                }
                Ok(())
            }
            VarInit::Gamma { a, b } => {
                finite("gamma", "shape a", *a)?;
                finite("gamma", "scale b", *b)?;
                if *a <= 0.0 {
                    return Err(format!("gamma: shape a ({a}) must be > 0"));
                }
                if *b <= 0.0 {
                    return Err(format!("gamma: scale b ({b}) must be > 0"));
                }
                Ok(())
            }
            VarInit::Binomial { p, .. } => {
                if !(0.0..=1.0).contains(p) {
                    return Err(format!("binomial: p ({p}) must be in [0, 1]"));
                }
                Ok(())
            }
            VarInit::Snippet(snippet) => snippet
                .validate()
                .map_err(|e| format!("{}: {}", snippet.name(), e)),
        }
    }

    /// Checks that the values of a constant or explicit values can be
    /// stored in a variable of type `ty` unchanged: integer types need
    /// whole numbers in their range (`usize` variables are stored as
    /// `u32`), `bool` needs 0 or 1, `f32` needs magnitudes up to
    /// `f32::MAX`. `Scalar` and `f64` take any finite value (checked by
    /// [`validate`](Self::validate)); distributions and snippets are
    /// converted when drawn (integer types truncate toward zero and
    /// saturate) and are not checked here.
    ///
    /// ```
    /// use snn_core::init::VarInit;
    /// use snn_core::ir::IrType;
    /// assert!(VarInit::Constant(3.0).check_type(IrType::U8).is_ok());
    /// assert_eq!(
    ///     VarInit::Constant(-1.0).check_type(IrType::U8).unwrap_err(),
    ///     "constant: value -1 does not fit the variable's type u8 (integers 0..=255)"
    /// );
    /// ```
    pub fn check_type(&self, ty: crate::ir::IrType) -> Result<(), String> {
        match self {
            VarInit::Constant(v) => {
                check_values_fit("constant", std::slice::from_ref(v), false, ty)
            }
            VarInit::Values(v) => check_values_fit("values", v, true, ty),
            _ => Ok(()),
        }
    }

    /// The value of element `element`, computed in precision `S`.
    ///
    /// `Constant` and `Values` do not touch `rng`; the distributions draw
    /// from it with the methods of [`RngStream`]: `Uniform` one `uniform`,
    /// `Normal` one `normal`, `NormalClipped` `normal` draws until
    /// `mean + sd * z` lies in `[min, max]` (all in `S`), `Exponential` one
    /// `exponential` divided by `lambda`, `Gamma` `b * gamma(a)`, `Binomial`
    /// one `binomial`. Snippets get `sample_f32` or `sample_f64` by `S`.
    ///
    /// Call [`validate`](Self::validate) first: with parameters it rejects,
    /// values may be NaN, and a `NormalClipped` interval of (practically) no
    /// probability mass makes this loop (practically) forever.
    ///
    /// # Panics
    /// For `Values` when `element` is out of range.
    pub fn sample<S: Real>(&self, rng: &mut RngStream, element: usize) -> S {
        let s = S::from_f64;
        match self {
            VarInit::Constant(value) => s(*value),
            VarInit::Values(values) => s(values[element]),
            VarInit::Uniform { min, max } => {
                let (min, max) = (s(*min), s(*max));
                min + (max - min) * rng.uniform::<S>()
            }
            VarInit::Normal { mean, sd } => s(*mean) + s(*sd) * rng.normal::<S>(),
            VarInit::NormalClipped { mean, sd, min, max } => {
                let (mean, sd, min, max) = (s(*mean), s(*sd), s(*min), s(*max));
                loop {
                    let x = mean + sd * rng.normal::<S>();
                    if x >= min && x <= max {
                        return x;
                    }
                }
            }
            VarInit::Exponential { lambda } => rng.exponential::<S>() / s(*lambda),
            VarInit::Gamma { a, b } => s(*b) * rng.gamma::<S>(s(*a)),
            VarInit::Binomial { n, p } => s(rng.binomial::<S>(*n, s(*p)) as f64),
            VarInit::Snippet(snippet) => match S::PRECISION {
                Precision::F32 => s(snippet.sample_f32(rng, element as u32) as f64),
                Precision::F64 => s(snippet.sample_f64(rng, element as u32)),
            },
        }
    }

    /// Fills `out` (one value per element) in parallel: element `i` gets
    /// `self.sample(&mut RngStream::new(seed, stream, 0, i as u32), i)`.
    ///
    /// `stream` is the variable's stream id,
    /// `stream_id(StreamPurpose::VarInit, group, var_index)`. Since every
    /// element has its own stream, the result does not depend on the number
    /// of threads.
    ///
    /// # Panics
    /// For `Values` of a different length than `out`.
    pub fn fill<S: Real>(&self, out: &mut [S], seed: u64, stream: u32) {
        if let VarInit::Values(values) = self {
            assert_eq!(values.len(), out.len(), "VarInit::Values: length mismatch");
        }
        self.fill_at(out, 0, seed, stream);
    }

    /// Like [`fill`](Self::fill) for the elements `first..first + out.len()`
    /// of a longer variable (each element draws from its own stream, so
    /// filling in pieces gives the same values).
    ///
    /// # Panics
    /// For `Values` shorter than `first + out.len()`.
    pub fn fill_at<S: Real>(&self, out: &mut [S], first: usize, seed: u64, stream: u32) {
        if let VarInit::Values(values) = self {
            assert!(
                values.len() >= first + out.len(),
                "VarInit::Values: length mismatch"
            );
        }
        // Element `i` draws from stream `(seed, stream, 0, i)`; the first
        // Philox blocks of sixteen elements are computed at once.
        const CHUNK: usize = 4096;
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, chunk)| {
                let base = first + c * CHUNK;
                for (l, lanes) in chunk.chunks_mut(16).enumerate() {
                    self.sample_sixteen(lanes, base + 16 * l, seed, stream);
                }
            });
    }

    /// Elements `i0..i0 + out.len()` (at most sixteen) into `out`, as
    /// [`sample`](Self::sample) gives them. Single-precision normal draws
    /// make their first Box-Muller transform for all sixteen at once
    /// ([`box_muller_f32_x16`], the same bits); a clipped draw that falls
    /// outside its interval goes on drawing from its own stream.
    #[inline]
    fn sample_sixteen<S: Real>(&self, out: &mut [S], i0: usize, seed: u64, stream: u32) {
        let lanes = SixteenStreams::new(seed, stream, 0, i0 as u32);
        let mut streams: [RngStream; 16] = std::array::from_fn(|l| lanes.lane(l));
        let (mean, sd, clip) = match *self {
            VarInit::Normal { mean, sd } if S::PRECISION == Precision::F32 => (mean, sd, None),
            VarInit::NormalClipped { mean, sd, min, max } if S::PRECISION == Precision::F32 => {
                (mean, sd, Some((min as f32, max as f32)))
            }
            _ => {
                for (k, (x, rng)) in out.iter_mut().zip(&mut streams).enumerate() {
                    *x = self.sample(rng, i0 + k);
                }
                return;
            }
        };
        let (mean, sd) = (mean as f32, sd as f32);
        let mut u1 = [0.5f32; 16];
        let mut u2 = [0.5f32; 16];
        for (l, rng) in streams.iter_mut().enumerate() {
            u1[l] = rng.uniform();
            u2[l] = rng.uniform();
        }
        let z = box_muller_f32_x16(&u1, &u2);
        for (k, (x, rng)) in out.iter_mut().zip(&mut streams).enumerate() {
            let first = mean + sd * z[k];
            *x = if clip.is_none_or(|(min, max)| first >= min && first <= max) {
                S::from_f64(first as f64)
            } else {
                // Only `NormalClipped` gets here: its rejection loop, from
                // the second normal draw of the element's stream on.
                self.sample(rng, i0 + k)
            };
        }
    }
}

impl From<f64> for VarInit {
    fn from(value: f64) -> Self {
        VarInit::Constant(value)
    }
}

impl From<Vec<f64>> for VarInit {
    fn from(values: Vec<f64>) -> Self {
        VarInit::Values(values)
    }
}

impl From<&[f64]> for VarInit {
    fn from(values: &[f64]) -> Self {
        VarInit::Values(values.to_vec())
    }
}

/// "value 3 (2.5)" for explicit values, "value 2.5" for a constant.
fn value_at(indexed: bool, values: &[f64], i: usize) -> String {
    if indexed {
        format!("value {i} ({})", values[i])
    } else {
        format!("value {}", values[i])
    }
}
/// Checks that `values` (a constant, or per-element values when `indexed`)
/// fit a variable of type `ty`: finite magnitudes within `f32` for `f32`,
/// whole numbers in range for integers, 0 or 1 for `bool`. The error
/// starts with `what` and names the first value that does not fit.
pub(crate) fn check_values_fit(
    what: &str,
    values: &[f64],
    indexed: bool,
    ty: crate::ir::IrType,
) -> Result<(), String> {
    use crate::ir::IrType as T;
    // Integer types: whole numbers in [lo, hi) (hi exclusive, so that
    // the bounds of the 64-bit types, 2^63 and 2^64, are exact in f64).
    let (lo, hi) = match ty {
        T::Scalar | T::F64 => return Ok(()),
        T::F32 => {
            return match values.iter().position(|x| x.abs() > f32::MAX as f64) {
                None => Ok(()),
                Some(i) => Err(format!(
                    "{what}: {} does not fit the variable's type f32 (magnitudes up to {:e})",
                    value_at(indexed, values, i),
                    f32::MAX
                )),
            };
        }
        T::Bool => (0.0, 2.0),
        T::I32 => (i32::MIN as f64, i32::MAX as f64 + 1.0),
        T::U32 | T::Usize => (0.0, u32::MAX as f64 + 1.0),
        T::U8 => (0.0, 256.0),
        T::U16 => (0.0, 65536.0),
        T::I64 => (-(2f64.powi(63)), 2f64.powi(63)),
        T::U64 => (0.0, 2f64.powi(64)),
    };
    let range = match ty {
        T::Bool => "0 or 1".to_string(),
        T::I64 => format!("integers {}..={}", i64::MIN, i64::MAX),
        T::U64 => format!("integers 0..={}", u64::MAX),
        _ => format!("integers {lo}..={}", hi - 1.0),
    };
    let fits = |x: f64| x.fract() == 0.0 && x >= lo && x < hi;
    match values.iter().position(|&x| !fits(x)) {
        None => Ok(()),
        Some(i) => Err(format!(
            "{what}: {} does not fit the variable's type {} ({range})",
            value_at(indexed, values, i),
            ty.rust_name()
        )),
    }
}

/// `Err("{what}: {name} ({value}) must be finite")` unless `value` is finite.
fn finite(what: &str, name: &str, value: f64) -> Result<(), String> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(format!("{what}: {name} ({value}) must be finite"))
    }
}

/// Smallest probability mass of a `normal_clipped` interval that is accepted.
const MIN_CLIPPED_MASS: f64 = 1e-6;

fn validate_normal_clipped(mean: f64, sd: f64, min: f64, max: f64) -> Result<(), String> {
    const W: &str = "normal_clipped";
    finite(W, "mean", mean)?;
    finite(W, "sd", sd)?;
    for (name, bound) in [("min", min), ("max", max)] {
        if bound.is_nan() {
            return Err(format!("{W}: {name} (NaN) must be a number"));
        }
    }
    if sd < 0.0 {
        return Err(format!("{W}: sd ({sd}) must be >= 0"));
    }
    if min > max {
        return Err(format!("{W}: min ({min}) is greater than max ({max})"));
    }
    if sd == 0.0 {
        if mean < min || mean > max {
            return Err(format!(
                "{W}: sd is 0 and the mean ({mean}) lies outside [{min}, {max}]: \
                 sampling would never finish"
            ));
        }
        return Ok(());
    }
    let (lo, hi) = ((min - mean) / sd, (max - mean) / sd);
    let mass = normal_interval_mass(lo, hi);
    if mass < MIN_CLIPPED_MASS {
        // Distance of the interval from the mean, in sd (0 if it holds the mean).
        let distance = if lo > 0.0 {
            lo
        } else if hi < 0.0 {
            -hi
        } else {
            0.0
        };
        return Err(if std_normal_upper_tail(distance) < MIN_CLIPPED_MASS {
            format!(
                "{W}: the interval [{min}, {max}] lies {distance:.1} sd from the mean: \
                 sampling would practically never finish"
            )
        } else {
            format!(
                "{W}: the interval [{min}, {max}] holds a probability mass of only \
                 {mass:.1e}: sampling would practically never finish"
            )
        });
    }
    Ok(())
}

/// `P(lo <= Z <= hi)` for a standard normal `Z`, accurate also in the tails.
fn normal_interval_mass(lo: f64, hi: f64) -> f64 {
    let q = std_normal_upper_tail;
    if lo >= 0.0 {
        q(lo) - q(hi)
    } else if hi <= 0.0 {
        q(-hi) - q(-lo)
    } else {
        1.0 - q(-lo) - q(hi)
    }
}

/// `P(Z > x)` for a standard normal `Z`: `erfc(x / sqrt 2) / 2`.
pub(crate) fn std_normal_upper_tail(x: f64) -> f64 {
    0.5 * erfc(x * std::f64::consts::FRAC_1_SQRT_2)
}

/// The standard normal cumulative distribution function (used by tests).
/// A `#[var_init_snippet]` model with its parameter values, ready to sample.
///
/// Derived parameters of a snippet are computed without a timestep (`dt` is
/// NaN in their expressions), since initialisation does not depend on it.
#[derive(Debug)]
pub struct SnippetInit<M: VarInitModel> {
    n_params: usize,
    consts32: Vec<f32>,
    consts64: Vec<f64>,
    _m: std::marker::PhantomData<fn() -> M>,
}

impl<M: VarInitModel> SnippetInit<M> {
    /// Precomputes the constants (parameters, then derived parameters).
    pub fn new(model: M) -> Self {
        let params = model.param_values();
        let mut consts64 = params.clone();
        consts64.extend(M::derived_values(&params, f64::NAN));
        SnippetInit {
            consts32: consts64.iter().map(|&x| x as f32).collect(),
            n_params: params.len(),
            consts64,
            _m: std::marker::PhantomData,
        }
    }

    fn sample<S: PrecisionStates>(consts: &[S], rng: &mut RngStream, element: u32) -> S {
        let state = <S::VarInit<M> as StateIo<S>>::load(
            &StateSource {
                params: consts,
                vars: &[],
                refs: &[],
                egps: &[],
                pre: &[],
                post: &[],
            },
            element as usize,
        );
        let mut env = InitEnv {
            id: element,
            rng: rng.clone(),
            _s: std::marker::PhantomData,
        };
        let x = state.init(&mut env);
        *rng = env.rng;
        x
    }
}

impl<M: VarInitModel> VarInitSnippetDyn for SnippetInit<M> {
    fn name(&self) -> &'static str {
        M::DESC.name
    }
    fn model_code(&self) -> Option<(&'static crate::model::ModelDesc, Vec<f64>)> {
        Some((M::DESC, self.consts64.clone()))
    }
    fn validate(&self) -> Result<(), String> {
        M::DESC
            .check_constants(
                &self.consts64[..self.n_params],
                &self.consts64[self.n_params..],
            )
            .map_err(|bad| bad.snippet_message())
    }
    fn sample_f32(&self, rng: &mut RngStream, element: u32) -> f32 {
        Self::sample(&self.consts32, rng, element)
    }
    fn sample_f64(&self, rng: &mut RngStream, element: u32) -> f64 {
        Self::sample(&self.consts64, rng, element)
    }
}

#[cfg(test)]
pub(crate) fn std_normal_cdf(x: f64) -> f64 {
    std_normal_upper_tail(-x)
}

/// The complementary error function, with a relative error below 1.2e-7
/// everywhere (Chebyshev fit, Press et al., Numerical Recipes, `erfcc`).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let ans = t * (-z * z + poly).exp();
    if x >= 0.0 {
        ans
    } else {
        2.0 - ans
    }
}

#[cfg(test)]
mod tests;
