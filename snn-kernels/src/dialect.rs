//! The portable kernel dialect: one generated source, two preludes.
//!
//! Generated kernels use a few macros that each backend's prelude defines:
//!
//! | macro | CUDA | OpenCL C 1.2 |
//! |---|---|---|
//! | `KERNEL` | `extern "C" __global__` | `__kernel` |
//! | `GLOBAL` (pointer qualifier) | (nothing) | `__global` |
//! | `SHARED` | `__shared__` | `__local` |
//! | `LOCAL_ID`, `GROUP_ID`, `LOCAL_SIZE` | `threadIdx.x`, `blockIdx.x`, `blockDim.x` | `get_local_id(0)`, ... |
//! | `BARRIER()` | `__syncthreads()` | `barrier(...)` |
//! | `ATOMIC_ADD_F32/F64(p, v)` | `atomicAdd` | compare-and-swap loop |
//! | `ATOMIC_OR_U32(p, v)`, `ATOMIC_INC_U32(p)` | `atomicOr`, `atomicAdd(p, 1)` | `atomic_or`, `atomic_inc` |
//! | `ATOMIC_CAS_U32(p, cmp, v)` | `atomicCAS` | `atomic_cmpxchg` |
//! | `SNN_F64_FROM_BITS(b)` | `__longlong_as_double` | `as_double` (only with `double`) |
//!
//! [`program`] assembles a complete program: backend prelude, the common
//! prelude of [`crate::cgen::PRELUDE`], the Philox generator and
//! distributions of [`crate::rng::RNG_SOURCE`], then the generated code.
//! Floating-point contraction (fused multiply-add) is off on both backends
//! (OpenCL: `FP_CONTRACT OFF`; CUDA: the host compiles with `--fmad=false`),
//! so arithmetic matches the CPU backend's.

use snn_core::Precision;

/// The backend a program is assembled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// CUDA C++, compiled by NVRTC.
    Cuda,
    /// OpenCL C 1.2.
    OpenCl,
}

/// The CUDA prelude.
pub const CUDA_PRELUDE: &str = include_str!("dialect/cuda.h");
/// The OpenCL prelude (define `SNN_USE_DOUBLE` before it for `double` code).
pub const OPENCL_PRELUDE: &str = include_str!("dialect/opencl.h");

/// A complete program for `dialect`: preludes, RNG, then `body`.
///
/// ```
/// use snn_kernels::dialect::{program, Dialect};
/// let src = program(Dialect::OpenCl, snn_core::Precision::F32, "KERNEL void k(GLOBAL float* x) {}\n");
/// assert!(src.contains("#define KERNEL __kernel"));
/// assert!(src.ends_with("KERNEL void k(GLOBAL float* x) {}\n"));
/// ```
pub fn program(dialect: Dialect, precision: Precision, body: &str) -> String {
    let mut s = String::new();
    match dialect {
        Dialect::Cuda => s.push_str(CUDA_PRELUDE),
        Dialect::OpenCl => {
            if precision == Precision::F64 {
                s.push_str("#define SNN_USE_DOUBLE\n");
            }
            s.push_str(OPENCL_PRELUDE);
        }
    }
    s.push_str(crate::cgen::PRELUDE);
    s.push_str(crate::rng::RNG_SOURCE);
    s.push_str(body);
    s
}
