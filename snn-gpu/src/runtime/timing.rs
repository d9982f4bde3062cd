//! Kernel timing of a [`GpuSimulation`](super::GpuSimulation) when the
//! network asks for it ([`Network::set_timing`]): the device times every
//! launch ([`Device::set_timing`]), and the times it reports
//! ([`Device::kernel_times`]) are summed here per phase and kernel.
//!
//! Kernels launched while the simulation is built are init kernels
//! ([`TimedPhase::Init`]); later ones take the phase of their step launch
//! ([`Launch::phase`](snn_kernels::network::Launch::phase)), or
//! [`TimedPhase::Other`] when they are none.

use crate::device::{Device, DeviceResult};
use snn_core::network::Network;
use snn_core::timing::{DeviceTimes, TimedPhase};
use snn_kernels::network::KernelPlan;
use std::sync::Mutex;

/// The device times collected so far; `None` when timing is off or the
/// device cannot time.
pub(super) struct Timing {
    times: Option<Mutex<DeviceTimes>>,
}

impl Timing {
    /// Switches the device's timing on when `net` asks for it (before the
    /// first launch, so that init kernels are timed too).
    pub(super) fn start<D: Device>(device: &D, net: &Network) -> DeviceResult<Timing> {
        let on = net.timing() && device.set_timing(true)?;
        Ok(Timing {
            times: on.then(|| Mutex::new(DeviceTimes::default())),
        })
    }

    /// Collects what the device timed so far as init kernels (at the end of
    /// the build).
    pub(super) fn collect_init<D: Device>(&self, device: &D) -> DeviceResult<()> {
        self.collect_with(device, |_| TimedPhase::Init)
    }

    /// Collects what the device timed so far, each kernel in the phase of
    /// its step launch in `plan`.
    pub(super) fn collect<D: Device>(&self, device: &D, plan: &KernelPlan) -> DeviceResult<()> {
        self.collect_with(device, |name| {
            plan.step_launches
                .iter()
                .find(|l| l.kernel == name)
                .map_or(TimedPhase::Other, |l| l.phase.into())
        })
    }

    /// The times so far (collected from the device first); `None` when
    /// timing is off or the device failed to report.
    pub(super) fn report<D: Device>(&self, device: &D, plan: &KernelPlan) -> Option<DeviceTimes> {
        let times = self.times.as_ref()?;
        self.collect(device, plan).ok()?;
        Some(lock(times).clone())
    }

    fn collect_with<D: Device>(
        &self,
        device: &D,
        phase: impl Fn(&str) -> TimedPhase,
    ) -> DeviceResult<()> {
        let Some(times) = &self.times else {
            return Ok(());
        };
        let drained = device.kernel_times()?;
        let mut times = lock(times);
        for k in drained {
            times.add(phase(&k.name), k);
        }
        Ok(())
    }
}

fn lock(m: &Mutex<DeviceTimes>) -> std::sync::MutexGuard<'_, DeviceTimes> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
