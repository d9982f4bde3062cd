//! GPU kernel source generation for the `snn` simulator: pure functions
//! from a network to kernel text, tested without a device (the runtime
//! that runs them is `snn-gpu`).
//!
//! - [`cgen`]: prints the IR of model methods ([`snn_core::ir`]) as C in the
//!   one dialect shared by the CUDA (NVRTC) and OpenCL C 1.2 backends.
//! - [`dialect`]: the backend preludes and program assembly.
//! - [`rng`]: Philox4x32-10 and the distributions, in C, drawing exactly
//!   what [`snn_core::rng`] draws.
//! - [`network`]: the whole network's step kernels, buffers and launches
//!   (a [`network::KernelPlan`]).

#![forbid(unsafe_code)]

pub mod cgen;
pub mod dialect;
pub mod network;
pub mod rng;
