//! Philox4x32-10 and the distributions of [`snn_core::rng`] in C.
//!
//! [`RNG_SOURCE`] (`rng.h`) is placed after the common prelude
//! ([`crate::cgen::PRELUDE`]) in every program (see [`crate::dialect`]); it is
//! valid C99, C++14 (CUDA C++ for NVRTC) and OpenCL C 1.2, and omits its
//! `double` functions when `SNN_NO_DOUBLE` is defined. Its API mirrors
//! [`snn_core::rng::RngStream`]:
//!
//! ```c
//! typedef struct { unsigned int key[2], ctr[4], buf[4], pos; } snn_rng;  /* RngStream's fields */
//! snn_rng snn_rng_new(snn_u64 seed, unsigned int stream, unsigned int step, unsigned int element);
//! snn_rng snn_rng_synapse(unsigned int key0, unsigned int key1, unsigned int step,
//!                         unsigned int pre, unsigned int post);
//! unsigned int snn_rng_next_u32(snn_rng *r);
//! float snn_uniform_f32(snn_rng *r);                 /* and _f64 (double) */
//! float snn_normal_f32(snn_rng *r);                  /* and _f64 */
//! float snn_exponential_f32(snn_rng *r);             /* and _f64 */
//! float snn_gamma_f32(snn_rng *r, float a);          /* and _f64 */
//! unsigned int snn_binomial_f32(snn_rng *r, unsigned int n, float p);  /* and _f64 */
//! unsigned int snn_poisson_f32(snn_rng *r, float lambda);             /* and _f64 */
//! void snn_philox4x32_10(const unsigned int ctr[4], const unsigned int key[2],
//!                        unsigned int out[4]);
//! ```
//!
//! (all `SNN_FN`). The `_f32` functions compute what `RngStream`'s methods
//! compute for `S = f32` (in `f32` arithmetic), the `_f64` ones what they
//! compute for `S = f64`. Other names of the file (`snn_rng_*` helpers,
//! `SNN_RNG_*` macros) are internal.
//!
//! # Exactness
//!
//! Each distribution is written once, as a macro over the float type, and
//! repeats the operations of `snn_core`'s generic implementation in the same
//! order, with the same constants rounded to the type, saturating
//! float-to-integer casts and no FMA contraction. Its `ln`, `exp`, `cos`
//! and `powf` are [`snn_core::math`]'s algorithms written out in C (the
//! prelude's `snn_ln_f32` ..., `snn_cos_box_muller_f32`/`_f64`,
//! `snn_powf_f32`/`_f64`), so every draw is bit-identical on every backend;
//! `tests/it/rng_c.rs` checks this against `snn_core` as C99 and as C++,
//! and `snn-gpu`'s tests on OpenCL.

/// C source of the generator (in the portable dialect).
pub const RNG_SOURCE: &str = include_str!("rng.h");
