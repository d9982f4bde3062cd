//! Kernel timing of an [`OpenClDevice`](crate::OpenClDevice)
//! ([`Device::set_timing`](snn_gpu::device::Device::set_timing)): launches
//! go to a command queue with `CL_QUEUE_PROFILING_ENABLE`, their events are
//! kept, and each one's `END - START` is summed per kernel once the queue
//! has finished.

use crate::cl_text;
use opencl3::event::Event;
use snn_gpu::device::{DeviceError, DeviceResult, KernelTimeSums};
use std::time::Duration;

/// Timed launches kept before their events are read (after a `clFinish`),
/// bounding the events held.
pub(crate) const MAX_PENDING: usize = 2048;

/// The timing state of a device.
#[derive(Default)]
pub(crate) struct Timing {
    /// Whether launches are timed.
    pub(crate) on: bool,
    /// Whether the device's queue was created with profiling.
    pub(crate) profiling: bool,
    /// Launches whose events have not been read yet.
    pending: Vec<(String, Event)>,
    /// The device times read so far.
    pub(crate) sums: KernelTimeSums,
}

impl Timing {
    /// Keeps the event of a launch of `kernel`; returns whether the pending
    /// launches should be read now ([`MAX_PENDING`]).
    pub(crate) fn push(&mut self, kernel: &str, ev: Event) -> bool {
        self.pending.push((kernel.to_string(), ev));
        self.pending.len() >= MAX_PENDING
    }

    /// Adds the device time of every pending launch to the sums. The
    /// queue must have finished them.
    pub(crate) fn resolve(&mut self) -> DeviceResult<()> {
        for (kernel, ev) in std::mem::take(&mut self.pending) {
            let fail = |e: opencl3::error_codes::ClError| DeviceError::Failed {
                operation: format!("reading the device time of {kernel}"),
                reason: cl_text(e.0),
            };
            let start = ev.profiling_command_start().map_err(fail)?;
            let end = ev.profiling_command_end().map_err(fail)?;
            self.sums
                .add(&kernel, Duration::from_nanos(end.saturating_sub(start)));
        }
        Ok(())
    }
}
