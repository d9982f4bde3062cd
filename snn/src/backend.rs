//! Choosing where a network runs.
//!
//! ```
//! use snn::prelude::*;
//! let mut net = Network::new(0.1)?;
//! net.add_population("P", 4, Poisson { rate: 10.0 })
//!     .init("time_step_to_spike", 0.0)
//!     .build()?;
//! // The CPU backend always exists; `Backend::Auto` would pick a GPU if one is usable.
//! let mut sim = Backend::Cpu.build(&net)?;
//! sim.run_for(10.0)?;
//! assert!(sim.backend_name().starts_with("CPU"));
//! # Ok::<(), snn::Error>(())
//! ```

use snn_core::network::Network;
use snn_core::sim::Simulation;
use snn_core::state::SimState;
use snn_core::{Error, Result};
use snn_cpu::CpuSimulation;
use snn_cuda_host::CudaDevice;
use snn_gpu::runtime::GpuSimulation;
use snn_kernels::dialect::Dialect;
use snn_opencl_host::{DeviceSelection, OpenClDevice};

/// A backend to run a network on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backend {
    /// CUDA if a usable NVIDIA GPU (driver and NVRTC) is found, else an
    /// OpenCL GPU, else the CPU; the choice is printed to stderr.
    #[default]
    Auto,
    /// The CPU backend (the reference semantics).
    Cpu,
    /// CUDA on the first device.
    Cuda,
    /// OpenCL on the first GPU, else the first device of any kind (e.g. PoCL on CPUs).
    OpenCl,
}

impl Backend {
    /// The backend named by the environment variable `SNN_BACKEND`
    /// (`auto`, `cpu`, `cuda`, `opencl`; case-insensitive), [`Backend::Auto`]
    /// when unset.
    pub fn from_env() -> Result<Backend> {
        match std::env::var("SNN_BACKEND") {
            Ok(v) => v.parse(),
            Err(_) => Ok(Backend::Auto),
        }
    }

    /// Builds `net` on this backend.
    pub fn build(self, net: &Network) -> Result<Box<dyn Simulation>> {
        self.build_with(net, None)
    }

    /// Builds `net` on this backend holding `state` (a checkpoint, taken on
    /// any backend: [`Simulation::save_state`], [`crate::checkpoint`]).
    /// The CPU builds straight from the state, without initialising the
    /// network first; a GPU backend initialises, then loads the state.
    pub fn build_from_state(self, net: &Network, state: &SimState) -> Result<Box<dyn Simulation>> {
        self.build_with(net, Some(state))
    }

    /// The concrete backend [`Backend::Auto`] stands for on this machine:
    /// CUDA if a device opens, else an OpenCL GPU, else the CPU (saying on
    /// stderr why no GPU is used). Opens and closes a device, builds no
    /// simulation; other variants are returned as they are.
    pub fn resolve(self) -> Backend {
        if self != Backend::Auto {
            return self;
        }
        let cuda = match CudaDevice::new(0) {
            Ok(_) => return Backend::Cuda,
            Err(e) => no_device("CUDA", e),
        };
        let opencl = match OpenClDevice::new(DeviceSelection::AnyGpu) {
            Ok(_) => return Backend::OpenCl,
            Err(e) => no_device("OpenCL", e),
        };
        eprintln!("snn: no usable GPU ({cuda}; {opencl}); using the CPU backend");
        Backend::Cpu
    }

    fn build_with(self, net: &Network, state: Option<&SimState>) -> Result<Box<dyn Simulation>> {
        let cpu = || -> Result<Box<dyn Simulation>> {
            Ok(Box::new(match state {
                Some(s) => CpuSimulation::from_state(net, s)?,
                None => CpuSimulation::new(net)?,
            }))
        };
        let gpu = |sim: Result<Box<dyn Simulation>>| -> Result<Box<dyn Simulation>> {
            let mut sim = sim?;
            if let Some(s) = state {
                sim.load_state(s)?;
            }
            Ok(sim)
        };
        match self {
            Backend::Cpu => cpu(),
            Backend::Cuda => gpu(build_cuda(net)),
            Backend::OpenCl => gpu(build_opencl(net, DeviceSelection::Any)),
            Backend::Auto => {
                let cuda = match build_cuda(net) {
                    Ok(sim) => return gpu(Ok(announce(sim))),
                    Err(e) => e,
                };
                let opencl = match build_opencl(net, DeviceSelection::AnyGpu) {
                    Ok(sim) => return gpu(Ok(announce(sim))),
                    Err(e) => e,
                };
                eprintln!("snn: no usable GPU ({cuda}; {opencl}); using the CPU backend");
                Ok(announce(cpu()?))
            }
        }
    }
}

fn announce(sim: Box<dyn Simulation>) -> Box<dyn Simulation> {
    eprintln!("snn: running on {}", sim.backend_name());
    sim
}

/// A device that could not be opened, as a simulation error.
fn no_device(backend: &str, e: impl std::fmt::Display) -> Error {
    Error::Device {
        backend: backend.to_string(),
        reason: e.to_string(),
    }
}

fn build_cuda(net: &Network) -> Result<Box<dyn Simulation>> {
    let dev = CudaDevice::new(0).map_err(|e| no_device("CUDA", e))?;
    Ok(Box::new(GpuSimulation::new(dev, net, Dialect::Cuda)?))
}

fn build_opencl(net: &Network, which: DeviceSelection) -> Result<Box<dyn Simulation>> {
    let dev = OpenClDevice::new(which).map_err(|e| no_device("OpenCL", e))?;
    Ok(Box::new(GpuSimulation::new(dev, net, Dialect::OpenCl)?))
}

impl std::str::FromStr for Backend {
    type Err = Error;
    fn from_str(s: &str) -> Result<Backend> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Backend::Auto),
            "cpu" => Ok(Backend::Cpu),
            "cuda" => Ok(Backend::Cuda),
            "opencl" => Ok(Backend::OpenCl),
            _ => Err(Error::Simulation(format!(
                "unknown backend `{s}`: expected auto, cpu, cuda or opencl"
            ))),
        }
    }
}
