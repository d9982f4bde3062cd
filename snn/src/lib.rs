//! # snn: spiking neural networks on GPUs and CPUs, defined in Rust
//!
//! Models are annotated Rust structs with ordinary methods; the macros turn
//! each into native code for the CPU backend and into a portable IR that the
//! GPU backends translate to CUDA / OpenCL kernels. Networks are assembled with
//! a validating builder and run on a backend implementing [`Simulation`](sim::Simulation).
//!
//! ```
//! use snn::prelude::*;
//!
//! // A user-defined neuron model: one struct, one impl block.
//! #[neuron_model]
//! pub struct Leaky {
//!     #[param(positive)]
//!     pub tau: Scalar,
//!     #[derived((-dt / tau).exp())]
//!     decay: Scalar,
//!     #[var]
//!     v: Scalar,
//! }
//!
//! #[neuron_model]
//! impl Leaky {
//!     fn sim(&mut self, env: &mut NeuronEnv) {
//!         self.v = self.v * self.decay + env.isyn() * env.dt();
//!     }
//!     fn threshold(&self, env: &NeuronEnv) -> bool {
//!         self.v >= 1.0
//!     }
//!     fn reset(&mut self, env: &mut NeuronEnv) {
//!         self.v = 0.0;
//!     }
//! }
//!
//! let mut net = Network::new(0.1)?;
//! let pop = net.add_population("Leaky", 10, Leaky { tau: 20.0 })
//!     .init("v", VarInit::uniform(0.0, 1.0))
//!     .record_spikes(true)
//!     .build()?;
//! net.add_current_source("Drive", pop, DC { amp: 0.2 }).build()?;
//! let mut sim = CpuSimulation::new(&net)?;
//! sim.run_for(100.0)?;
//! let spikes = sim.spikes(pop)?;
//! assert!(!spikes.times.is_empty());
//! # Ok::<(), snn::Error>(())
//! ```

#![forbid(unsafe_code)]

pub use snn_core::*;

/// Export of spikes and recorded variables (.npy/.npz/CSV) and loaders: [`snn_io`].
pub use snn_io as io;

pub mod backend;
pub mod checkpoint;
pub mod testing;

pub use backend::Backend;
pub use snn_cpu::CpuSimulation;
pub use snn_gpu::runtime::GpuSimulation;

/// The CPU backend's crate.
pub use snn_cpu as cpu;

/// Everything needed to define models and build and run networks, on any backend.
pub mod prelude {
    pub use crate::backend::Backend;
    pub use snn_core::prelude::*;
    pub use snn_cpu::CpuSimulation;
}

/// The core crate, re-exported for the code the model macros generate.
#[doc(hidden)]
pub use snn_core;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
