//! The CUDA runtime of the `snn` simulator: compiles the generated kernels
//! with NVRTC and runs them on an NVIDIA GPU through cudarc.
//!
//! - [`compile_ptx`] turns a complete program (see
//!   [`snn_kernels::dialect::program`]) into PTX for a given architecture. It
//!   needs only NVRTC, not a GPU or a driver, and keeps its results in an
//!   on-disk cache ([`ptx_cache_dir`]).
//! - [`CudaDevice`] implements [`snn_gpu::device::Device`]: one CUDA
//!   stream, asynchronous launches, reads that wait.
//! - [`cuda_available`] is the cheap probe used to pick a backend.
//!
//! # Where the libraries come from
//!
//! NVRTC is opened by this crate (not by cudarc), trying in order:
//!
//! 1. `SNN_NVRTC_LIB`, a path to the library file, when set (only that);
//! 2. the dynamic loader's search (`LD_LIBRARY_PATH`, the ld.so cache):
//!    `libnvrtc.so`, `libnvrtc.so.13`, `libnvrtc.so.12`, `libnvrtc.so.11.2`;
//! 3. the CUDA toolkit folders `$CUDA_HOME/lib64`, `$CUDA_PATH/lib64`,
//!    `/usr/local/cuda/lib64`;
//! 4. the snn cache, `<cache>/nvrtc/lib` ([`cache_dir`]), where
//!    `scripts/install-nvrtc.sh` unpacks the `nvidia-cuda-nvrtc-cu12` wheel.
//!
//! A system NVRTC comes first because it matches the installed driver (a PTX
//! file from a newer NVRTC than the driver cannot be loaded). Next to a
//! library opened by path, `libnvrtc-builtins.so.<major>.<minor>` is opened
//! too, so NVRTC finds it whatever its own search path is.
//!
//! The CUDA driver (`libcuda.so.1`) is opened by cudarc under the names of
//! [`cudarc::get_lib_name_candidates`]; this crate checks first that one of
//! them opens, so a missing driver is a [`DeviceError::LibraryMissing`],
//! never a panic.
//!
//! # Environment
//!
//! | variable | effect |
//! |---|---|
//! | `SNN_CACHE_DIR` | the cache root (default `$HOME/.cache/snn`) |
//! | `SNN_NVRTC_LIB` | the NVRTC library file to use |
//! | `SNN_NO_PTX_CACHE` | set to `1` to neither read nor write cached PTX |

#![warn(missing_docs)]

mod cache;
mod device;
mod nvrtc;

pub use cache::{cache_dir, ptx_cache_dir};
pub use device::{cuda_available, CudaBuffer, CudaDevice, MAX_PARAM_BYTES};
pub use nvrtc::{
    compile_ptx, compile_ptx_in, nvrtc_library_path, nvrtc_supported_archs, nvrtc_version,
    CompiledPtx, NVRTC_OPTIONS,
};
pub use snn_gpu::device::{Arg, Device, DeviceError, DeviceResult, LaunchDims};
