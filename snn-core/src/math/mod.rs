//! The one math library of every backend: branch-free elementary functions
//! written here and, with the same operations in the same order, in C
//! (`snn_kernels`' prelude `math.h`, `math_powers.h`, `math_trig.h` and
//! `rng.h`), so the CPU and the GPU kernels compute the same bits.
//!
//! - [`Elementary`] (`exp`, `exp_m1`, `ln` in `f32` and `f64`): what model
//!   code's `x.exp()`, `x.exp_m1()` and `x.ln()` mean (the macros rewrite
//!   those calls), within 2 ulp.
//! - [`Powers`] (`exp2`, `log2`, `log10`, `ln_1p`, `powf`, `powi`, `cbrt`,
//!   `hypot`): the same for the powers, roots and other logarithms, within
//!   2 ulp (`powi` is Rust's repeated squaring, bit for bit).
//! - [`Trig`] (`sin`, `cos`, `tan`, `asin`, `acos`, `atan`, `atan2`) and
//!   [`Hyperbolic`] (`sinh`, `cosh`, `tanh`) in `f32` and `f64`: what model
//!   code's `x.sin()`, ..., `y.atan2(x)`, `x.tanh()` mean, within 2 ulp on
//!   the domains their functions state (`tan` 3 ulp).
//! - [`ln_f32`], [`cos_box_muller_f32`], [`cos_box_muller_f64`] and the
//!   Box-Muller transform of the random draws. The CPU backend draws every
//!   single-precision normal number (synaptic weights and delays of a large
//!   network: hundreds of millions of draws) through [`box_muller_f32`];
//!   [`box_muller_f32_x16`] gives the same bits for sixteen draws at once,
//!   vectorised. They use the polynomials of Cephes `logf` and `cosf`
//!   (S. Moshier), accurate to about one unit in the last place (checked
//!   against `f64` in the tests).

mod elementary;
mod hyperbolic;
mod powers;
mod trig;
#[cfg(test)]
mod ulps;
pub use elementary::*;
pub use hyperbolic::*;
pub use powers::*;
pub use trig::*;

const SQRT_HALF: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Returns `$avx512` or `$avx2` (calls of functions compiled with those
/// target features) when the CPU has the feature, detected at run time,
/// else `$portable`. For the body of a function.
macro_rules! dispatch_by_cpu {
    ($avx512:expr, $avx2:expr, $portable:expr) => {{
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU supports AVX-512F (checked just above).
                return unsafe { $avx512 };
            }
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above).
                return unsafe { $avx2 };
            }
        }
        $portable
    }};
}
pub(crate) use dispatch_by_cpu;

/// Natural logarithm of a positive, normal, finite `x` (the domain of
/// uniform draws; other inputs give unspecified values).
#[inline(always)]
pub fn ln_f32(x: f32) -> f32 {
    // x = m 2^e with m in [0.5, 1) (frexp), then m in [sqrt(1/2), sqrt(2)).
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 126;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let low = m < SQRT_HALF;
    let e = (e - low as i32) as f32;
    // Both are exact: 2m - 1 for m < sqrt(1/2), m - 1 otherwise.
    let f = if low { m + m - 1.0 } else { m - 1.0 };
    let z = f * f;
    let mut y = 7.037_683_6e-2;
    y = y * f - 1.151_461_e-1;
    y = y * f + 1.167_699_9e-1;
    y = y * f - 1.242_014_1e-1;
    y = y * f + 1.424_932_3e-1;
    y = y * f - 1.666_805_8e-1;
    y = y * f + 2.000_071_5e-1;
    y = y * f - 2.499_999_4e-1;
    y = y * f + 3.333_333e-1;
    y = y * f * z;
    y += -2.121_944_4e-4 * e;
    y += -0.5 * z;
    (f + y) + 0.693_359_4 * e
}

/// One standard normal value from two uniforms `u1`, `u2` in `(0, 1)`:
/// `sqrt(-2 ln u1) * cos(2 pi u2)`, with `2 pi` rounded to `f32` and the
/// product `2 pi u2` rounded as in `f32` arithmetic.
#[inline(always)]
pub fn box_muller_f32(u1: f32, u2: f32) -> f32 {
    (-2.0 * ln_f32(u1)).sqrt() * cos_box_muller_f32(std::f32::consts::TAU * u2)
}

#[inline(always)]
fn box_muller_lanes(u1: &[f32; 16], u2: &[f32; 16]) -> [f32; 16] {
    let mut out = [0.0; 16];
    for l in 0..16 {
        out[l] = box_muller_f32(u1[l], u2[l]);
    }
    out
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn box_muller_lanes_avx512(u1: &[f32; 16], u2: &[f32; 16]) -> [f32; 16] {
    box_muller_lanes(u1, u2)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn box_muller_lanes_avx2(u1: &[f32; 16], u2: &[f32; 16]) -> [f32; 16] {
    box_muller_lanes(u1, u2)
}

/// [`box_muller_f32`] of sixteen pairs at once, bit for bit the same; uses
/// AVX-512 or AVX2 when the CPU has them (detected at run time). Every
/// operation is a correctly rounded IEEE operation (no fused multiply-add),
/// so the vector and scalar code give the same bits.
#[inline]
pub fn box_muller_f32_x16(u1: &[f32; 16], u2: &[f32; 16]) -> [f32; 16] {
    dispatch_by_cpu!(
        box_muller_lanes_avx512(u1, u2),
        box_muller_lanes_avx2(u1, u2),
        box_muller_lanes(u1, u2)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place of `got` from the exact value.
    fn ulps(got: f32, exact: f64) -> f64 {
        let ulp = (exact.abs() as f32).max(f32::MIN_POSITIVE);
        let ulp = (f32::from_bits(ulp.to_bits() + 1) - ulp) as f64;
        (got as f64 - exact).abs() / ulp
    }

    /// Every uniform the generator can give (`((k + 0.5) 2^-23)`), sampled.
    fn uniforms() -> impl Iterator<Item = f32> {
        (0..(1u32 << 23))
            .step_by(97)
            .chain([0, 1, 2, (1 << 23) - 2, (1 << 23) - 1])
            .map(|k| (k as f32 + 0.5) * (1.0 / 8_388_608.0))
    }

    #[test]
    fn ln_is_within_two_ulps_on_uniforms() {
        let worst = uniforms()
            .map(|u| ulps(ln_f32(u), (u as f64).ln()))
            .fold(0.0, f64::max);
        assert!(worst <= 2.0, "worst error {worst} ulps");
    }

    #[test]
    fn ln_of_powers_of_two_and_wide_range() {
        for e in -125..=127 {
            let x = 2f32.powi(e);
            assert!(ulps(ln_f32(x), (x as f64).ln()) <= 2.0, "ln 2^{e}");
        }
        for k in 0..100_000u32 {
            let x = f32::from_bits(0x0080_0000 + k * 21_000);
            if x.is_finite() {
                assert!(ulps(ln_f32(x), (x as f64).ln()) <= 2.0, "ln {x}");
            }
        }
    }

    /// Absolute error against `f64` (the relative error near a zero of the
    /// cosine reflects the rounding of the argument, as for any `cosf`).
    #[test]
    fn cos_is_accurate_on_the_box_muller_range() {
        let worst = uniforms()
            .map(|u| {
                let x = std::f32::consts::TAU * u;
                (cos_box_muller_f32(x) as f64 - (x as f64).cos()).abs()
            })
            .fold(0.0, f64::max);
        assert!(worst <= 1.2e-7, "worst absolute error {worst}");
        for x in [0.0f32, 1e-20, 0.5, 1.0, 3.0, 100.0, -2.5, 8000.0] {
            assert!(
                (cos_box_muller_f32(x) as f64 - (x as f64).cos()).abs() <= 2.5e-7,
                "cos {x}"
            );
        }
    }

    /// `cos_box_muller_f64` against the standard library: within 2e-16 absolute on
    /// the Box-Muller range `[0, 2 pi)` and within 2 ulp (relative to 1)
    /// up to 1e6.
    #[test]
    fn cos_box_muller_f64_is_accurate() {
        let n = 1_000_000;
        for k in 0..=n {
            let x = std::f64::consts::TAU * k as f64 / n as f64;
            let err = (cos_box_muller_f64(x) - x.cos()).abs();
            assert!(
                err <= 2.3e-16,
                "cos {x}: {} vs {}",
                cos_box_muller_f64(x),
                x.cos()
            );
        }
        for k in 0..=n {
            let x = -1e6 + 2e6 * k as f64 / n as f64;
            let err = (cos_box_muller_f64(x) - x.cos()).abs();
            assert!(
                err <= 4.5e-16,
                "cos {x}: {} vs {}",
                cos_box_muller_f64(x),
                x.cos()
            );
        }
        assert_eq!(cos_box_muller_f64(0.0), 1.0);
    }

    #[test]
    fn box_muller_agrees_with_std_and_sixteen_lanes_agree_bitwise() {
        let us: Vec<f32> = uniforms().collect();
        for pair in us.chunks_exact(32) {
            let u1: [f32; 16] = pair[..16].try_into().unwrap();
            let u2: [f32; 16] = std::array::from_fn(|l| pair[31 - l]);
            let many = box_muller_f32_x16(&u1, &u2);
            let portable = box_muller_lanes(&u1, &u2);
            for l in 0..16 {
                let one = box_muller_f32(u1[l], u2[l]);
                assert_eq!(many[l].to_bits(), one.to_bits(), "lane {l}");
                assert_eq!(portable[l].to_bits(), one.to_bits(), "lane {l}");
                let std = (-2.0 * u1[l].ln()).sqrt() * (std::f32::consts::TAU * u2[l]).cos();
                let scale = (-2.0 * (u1[l] as f64).ln()).sqrt();
                assert!(
                    ((one - std) as f64).abs() <= 4e-7 * scale.max(1.0),
                    "u1 {}, u2 {}: {one} vs {std}",
                    u1[l],
                    u2[l]
                );
            }
        }
    }
}
