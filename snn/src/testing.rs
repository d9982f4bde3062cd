//! Running one test against every backend.
//!
//! [`backend_tests!`](crate::backend_tests) turns each test function taking
//! a [`TestBackend`] into a module with one `#[test]` per backend (`cpu`,
//! `opencl`, `cuda`). A GPU test whose device is missing prints a loud
//! `SKIPPED` line and passes, unless the environment requires that backend
//! (`SNN_REQUIRE_OPENCL=1`, `SNN_REQUIRE_CUDA=1`; the project's test command
//! sets `SNN_REQUIRE_OPENCL=1`), in which case it fails.
//!
//! ```
//! use snn::prelude::*;
//! use snn::testing::TestBackend;
//!
//! snn::backend_tests! {
//!     fn poisson_runs(backend) {
//!         let mut net = Network::new(1.0).unwrap();
//!         net.add_population("P", 8, Poisson { rate: 100.0 })
//!             .init("time_step_to_spike", 0.0)
//!             .build()
//!             .unwrap();
//!         let Some(mut sim) = backend.build(&net) else { return };
//!         sim.run_steps(10).unwrap();
//!     }
//! }
//! # fn main() {}
//! ```

use crate::backend::Backend;
use snn_core::network::Network;
use snn_core::sim::Simulation;

/// A backend under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBackend {
    /// The CPU backend.
    Cpu,
    /// OpenCL (PoCL in CI).
    OpenCl,
    /// CUDA.
    Cuda,
}

impl TestBackend {
    /// The backend's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            TestBackend::Cpu => "CPU",
            TestBackend::OpenCl => "OpenCL",
            TestBackend::Cuda => "CUDA",
        }
    }

    /// The environment variable that makes a missing device a failure.
    fn require_var(self) -> Option<&'static str> {
        match self {
            TestBackend::Cpu => None,
            TestBackend::OpenCl => Some("SNN_REQUIRE_OPENCL"),
            TestBackend::Cuda => Some("SNN_REQUIRE_CUDA"),
        }
    }

    /// Whether the backend's device can be opened; `Err` says why not.
    pub fn available(self) -> Result<(), String> {
        match self {
            TestBackend::Cpu => Ok(()),
            TestBackend::OpenCl => {
                snn_opencl_host::OpenClDevice::new(snn_opencl_host::DeviceSelection::Any)
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
            TestBackend::Cuda => snn_cuda_host::CudaDevice::new(0)
                .map(drop)
                .map_err(|e| e.to_string()),
        }
    }

    /// `true` if the backend can run here; otherwise prints a loud
    /// `SKIPPED` line and returns `false`, or panics if the environment
    /// requires the backend.
    pub fn check(self) -> bool {
        match self.available() {
            Ok(()) => true,
            Err(why) => {
                let var = self.require_var().expect("the CPU is always available");
                if std::env::var(var).is_ok_and(|v| v == "1") {
                    panic!(
                        "{var}=1 but the {} backend is unavailable: {why}",
                        self.name()
                    );
                }
                report_skip(&format!(
                    "no {} device ({why}); set {var}=1 to make this a failure",
                    self.name()
                ));
                false
            }
        }
    }

    /// The [`Backend`] this is.
    pub fn backend(self) -> Backend {
        match self {
            TestBackend::Cpu => Backend::Cpu,
            TestBackend::OpenCl => Backend::OpenCl,
            TestBackend::Cuda => Backend::Cuda,
        }
    }

    /// Builds `net` on this backend; `None` (after [`check`](Self::check)
    /// printed why) if its device is missing. Panics if building fails.
    pub fn build(self, net: &Network) -> Option<Box<dyn Simulation>> {
        if !self.check() {
            return None;
        }
        match self.backend().build(net) {
            Ok(sim) => Some(sim),
            Err(e) => panic!("building the network on {} failed: {e}", self.name()),
        }
    }
}

/// Prints `SKIPPED: <why>` straight to the process's stderr, so that the
/// line shows even for passing tests (libtest captures `eprintln!`).
pub fn report_skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED: {why}");
}

/// Expands each `fn name(backend) { ... }` into a module `name` with one
/// test per backend (`cpu`, `opencl`, `cuda`); `backend` is a
/// [`TestBackend`]. See the [module docs](crate::testing).
#[macro_export]
macro_rules! backend_tests {
    ($($(#[$meta:meta])* fn $name:ident($backend:ident) $body:block)*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                fn backend_test_body($backend: $crate::testing::TestBackend) $body
                #[test]
                fn cpu() {
                    backend_test_body($crate::testing::TestBackend::Cpu)
                }
                #[test]
                fn opencl() {
                    backend_test_body($crate::testing::TestBackend::OpenCl)
                }
                #[test]
                fn cuda() {
                    backend_test_body($crate::testing::TestBackend::Cuda)
                }
            }
        )*
    };
}
