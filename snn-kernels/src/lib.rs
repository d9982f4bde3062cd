//! GPU kernel source generation for the `snn` simulator, and the runtime
//! shared by the GPU backends.
//!
//! - [`cgen`]: prints the IR of model methods ([`snn_core::ir`]) as C in the
//!   one dialect shared by the CUDA (NVRTC) and OpenCL C 1.2 backends.
//! - [`dialect`]: the backend preludes and program assembly.
//! - [`rng`]: Philox4x32-10 and the distributions, in C, drawing exactly
//!   what [`snn_core::rng`] draws.
//! - [`device`]: the [`device::Device`] trait the CUDA and OpenCL host
//!   crates implement.

#![forbid(unsafe_code)]

pub mod cgen;
pub mod device;
pub mod dialect;
pub mod init_kernels;
pub mod network;
pub mod rng;
pub mod runtime;
