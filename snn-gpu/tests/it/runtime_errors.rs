//! Device failures reach the user as clear errors naming what failed.

use snn_core::prelude::*;
use snn_gpu::device::{Arg, Device, DeviceError, DeviceResult, LaunchDims};
use snn_gpu::runtime::{GpuSimulation, InitOn};
use snn_kernels::dialect::Dialect;

/// A device that compiles anything and fails the `fail_at`-th allocation
/// (0-based) like a full GPU would.
struct FakeDevice {
    fail_at: usize,
    allocs: std::cell::Cell<usize>,
    compile_error: bool,
}

impl Device for FakeDevice {
    type Buffer = ();
    fn description(&self) -> String {
        "Fake: test device".into()
    }
    fn supports_f64(&self) -> bool {
        false
    }
    fn compile(&self, source: &str) -> DeviceResult<()> {
        if self.compile_error {
            return Err(DeviceError::Compile {
                compiler: "FakeRTC".into(),
                log: "kernels.cu(3): error: oops".into(),
                excerpt: snn_gpu::device::source_excerpt(source, 3, 1),
            });
        }
        Ok(())
    }
    fn alloc_zeroed(&self, bytes: usize) -> DeviceResult<()> {
        let n = self.allocs.get();
        self.allocs.set(n + 1);
        if n == self.fail_at {
            return Err(DeviceError::OutOfMemory {
                device: self.description(),
                bytes,
                what: String::new(),
                reason: "CUDA_ERROR_OUT_OF_MEMORY".into(),
            });
        }
        Ok(())
    }
    fn write(&self, _: &(), _: usize, _: &[u8]) -> DeviceResult<()> {
        Ok(())
    }
    fn read(&self, _: &(), _: usize, _: &mut [u8]) -> DeviceResult<()> {
        Ok(())
    }
    fn zero(&self, _: &()) -> DeviceResult<()> {
        Ok(())
    }
    fn launch(&self, _: &str, _: LaunchDims, _: &[Arg<'_, ()>]) -> DeviceResult<()> {
        Ok(())
    }
    fn synchronize(&self) -> DeviceResult<()> {
        Ok(())
    }
}

fn net() -> Network {
    let mut net = Network::new(0.1).unwrap();
    net.add_population(
        "Cortex",
        1000,
        Izhikevich {
            a: 0.02,
            b: 0.2,
            c: -65.0,
            d: 8.0,
        },
    )
    .init("v", -65.0)
    .init("u", -13.0)
    .build()
    .unwrap();
    net
}

fn fake(fail_at: usize, compile_error: bool) -> FakeDevice {
    FakeDevice {
        fail_at,
        allocs: std::cell::Cell::new(0),
        compile_error,
    }
}

#[test]
fn allocation_failure_names_the_buffer_and_size() {
    // Buffers: the clock's step and time, spike counts, delay overflows,
    // then the population's `v`.
    let err = GpuSimulation::with_init(fake(4, false), &net(), Dialect::Cuda, InitOn::Host)
        .err()
        .expect("the allocation fails");
    let msg = err.to_string();
    assert!(matches!(err, Error::Device { .. }), "{err:?}");
    assert!(msg.contains("Fake: test device"), "{msg}");
    assert!(msg.contains("population `Cortex`: variable `v`"), "{msg}");
    assert!(msg.contains("4000 bytes"), "{msg}");
    assert!(msg.contains("CUDA_ERROR_OUT_OF_MEMORY"), "{msg}");
}

#[test]
fn compile_errors_show_the_generated_source() {
    let err = GpuSimulation::with_init(fake(usize::MAX, true), &net(), Dialect::Cuda, InitOn::Host)
        .err()
        .expect("the compilation fails");
    let msg = err.to_string();
    assert!(msg.contains("FakeRTC failed to compile"), "{msg}");
    assert!(msg.contains(">   3 | "), "{msg}");
}

#[test]
fn f64_on_a_device_without_doubles_is_refused() {
    let mut n = net();
    n.set_precision(Precision::F64);
    let err = GpuSimulation::new(fake(usize::MAX, false), &n, Dialect::OpenCl)
        .err()
        .expect("f64 is refused");
    assert!(err.to_string().contains("f64"), "{err}");
}

#[test]
fn allocation_failure_during_device_initialisation_is_an_error() {
    let err = GpuSimulation::new(fake(0, false), &net(), Dialect::Cuda)
        .err()
        .expect("the allocation fails");
    let msg = err.to_string();
    assert!(matches!(err, Error::Device { .. }), "{err:?}");
    assert!(msg.contains("could not allocate 4000 bytes"), "{msg}");
    assert!(msg.contains("population `Cortex`: variable `v`"), "{msg}");
    assert!(msg.contains("CUDA_ERROR_OUT_OF_MEMORY"), "{msg}");
    eprintln!("{msg}");
}
