//! Device time of kernels (GeNN's `timing_enabled`): asked for with
//! [`Network::set_timing`](crate::network::Network::set_timing), measured
//! by the GPU backends (CUDA events, OpenCL profiling) and reported in
//! [`BackendReport::device_times`](crate::sim::BackendReport::device_times).
//!
//! ```
//! use snn_core::timing::{DeviceTimes, KernelTime, TimedKernel, TimedPhase};
//! use std::time::Duration;
//! let times = DeviceTimes {
//!     kernels: vec![
//!         TimedKernel {
//!             phase: TimedPhase::Neuron,
//!             kernel: KernelTime {
//!                 name: "neuron_update_0".into(),
//!                 launches: 10,
//!                 device_time: Duration::from_micros(50),
//!             },
//!         },
//!     ],
//! };
//! assert_eq!(times.phase(TimedPhase::Neuron), Duration::from_micros(50));
//! assert_eq!(times.phase(TimedPhase::Synapse), Duration::ZERO);
//! ```

use crate::plan::StepPhase;
use std::fmt;
use std::time::Duration;

/// The part of a simulation a kernel's device time is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimedPhase {
    /// Initialisation kernels (connectivity and variables), run when the
    /// simulation is built.
    Init,
    /// Presynaptic spikes and events ([`StepPhase::PreSpikes`],
    /// [`StepPhase::PreEvents`]).
    Synapse,
    /// Postsynaptic learning ([`StepPhase::PostSpikes`]).
    Learning,
    /// Synapse dynamics ([`StepPhase::SynapseDynamics`]).
    SynapseDynamics,
    /// The spike-count reset and the neuron update ([`StepPhase::NeuronUpdate`],
    /// [`StepPhase::AfterSpikes`]).
    Neuron,
    /// Kernels launched after the build that are no step launch.
    Other,
}

impl TimedPhase {
    /// Every phase, in the order of a simulation.
    pub const ALL: [TimedPhase; 6] = [
        TimedPhase::Init,
        TimedPhase::Synapse,
        TimedPhase::Learning,
        TimedPhase::SynapseDynamics,
        TimedPhase::Neuron,
        TimedPhase::Other,
    ];

    /// A short lower-case name (`init`, `synapse`, `learning`, `dynamics`,
    /// `neuron`, `other`).
    pub fn name(self) -> &'static str {
        match self {
            TimedPhase::Init => "init",
            TimedPhase::Synapse => "synapse",
            TimedPhase::Learning => "learning",
            TimedPhase::SynapseDynamics => "dynamics",
            TimedPhase::Neuron => "neuron",
            TimedPhase::Other => "other",
        }
    }
}

impl From<StepPhase> for TimedPhase {
    fn from(p: StepPhase) -> TimedPhase {
        match p {
            StepPhase::PreSpikes | StepPhase::PreEvents => TimedPhase::Synapse,
            StepPhase::PostSpikes => TimedPhase::Learning,
            StepPhase::SynapseDynamics => TimedPhase::SynapseDynamics,
            StepPhase::NeuronUpdate | StepPhase::AfterSpikes => TimedPhase::Neuron,
        }
    }
}

/// The launches of one kernel and their summed device time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelTime {
    /// The kernel's name in the compiled program.
    pub name: String,
    /// How many times it was launched.
    pub launches: u64,
    /// The device time of all its launches.
    pub device_time: Duration,
}

/// A kernel's times and the phase they count in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedKernel {
    /// The phase the kernel belongs to.
    pub phase: TimedPhase,
    /// Its launches and device time.
    pub kernel: KernelTime,
}

/// The device time of every timed kernel of a simulation so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceTimes {
    /// One row per kernel (and phase), in order of first report.
    pub kernels: Vec<TimedKernel>,
}

impl DeviceTimes {
    /// The device time of every kernel of `phase`.
    pub fn phase(&self, phase: TimedPhase) -> Duration {
        self.kernels
            .iter()
            .filter(|k| k.phase == phase)
            .map(|k| k.kernel.device_time)
            .sum()
    }

    /// The device time of every kernel.
    pub fn total(&self) -> Duration {
        self.kernels.iter().map(|k| k.kernel.device_time).sum()
    }

    /// Adds `time` to the row of its kernel in `phase` (a new row if
    /// there is none).
    pub fn add(&mut self, phase: TimedPhase, time: KernelTime) {
        let row = self
            .kernels
            .iter_mut()
            .find(|k| k.phase == phase && k.kernel.name == time.name);
        match row {
            Some(row) => {
                row.kernel.launches += time.launches;
                row.kernel.device_time += time.device_time;
            }
            None => self.kernels.push(TimedKernel {
                phase,
                kernel: time,
            }),
        }
    }
}

/// One line: the device seconds of each phase that has any, e.g.
/// `device time: init 0.0012 s, synapse 0.0340 s, neuron 0.0101 s`.
impl fmt::Display for DeviceTimes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "device time:")?;
        let mut sep = " ";
        for p in TimedPhase::ALL {
            if self.kernels.iter().any(|k| k.phase == p) {
                write!(f, "{sep}{} {:.4} s", p.name(), self.phase(p).as_secs_f64())?;
                sep = ", ";
            }
        }
        if sep == " " {
            write!(f, " none")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kt(name: &str, launches: u64, us: u64) -> KernelTime {
        KernelTime {
            name: name.into(),
            launches,
            device_time: Duration::from_micros(us),
        }
    }

    #[test]
    fn add_sums_rows_of_one_kernel_and_phase() {
        let mut t = DeviceTimes::default();
        t.add(TimedPhase::Neuron, kt("n", 2, 10));
        t.add(TimedPhase::Synapse, kt("s", 1, 5));
        t.add(TimedPhase::Neuron, kt("n", 3, 20));
        assert_eq!(t.kernels.len(), 2);
        assert_eq!(t.kernels[0].kernel, kt("n", 5, 30));
        assert_eq!(t.phase(TimedPhase::Neuron), Duration::from_micros(30));
        assert_eq!(t.total(), Duration::from_micros(35));
        assert_eq!(
            t.to_string(),
            "device time: synapse 0.0000 s, neuron 0.0000 s"
        );
        assert_eq!(DeviceTimes::default().to_string(), "device time: none");
    }

    #[test]
    fn step_phases_map_to_timed_phases() {
        use crate::plan::STEP_PHASES;
        let mapped: Vec<TimedPhase> = STEP_PHASES.iter().map(|&p| p.into()).collect();
        assert_eq!(
            mapped,
            [
                TimedPhase::Synapse,
                TimedPhase::Synapse,
                TimedPhase::Learning,
                TimedPhase::SynapseDynamics,
                TimedPhase::Neuron,
                TimedPhase::Neuron
            ]
        );
    }
}
