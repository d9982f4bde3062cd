//! GPU kernel source generation for the `snn` simulator.
//!
//! - [`cgen`]: prints the IR of model methods ([`snn_core::ir`]) as C in the
//!   one dialect shared by the CUDA (NVRTC) and OpenCL C 1.2 backends.
//!
//! Kernel assembly (neuron update, synapse propagation, ...) builds on
//! [`cgen`] in later steps of the GPU-backend work.

pub mod cgen;
