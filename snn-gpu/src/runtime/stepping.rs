//! Running steps: between two reads of a recording buffer the steps need
//! no host work (the device clock advances on the device), so where the
//! device records graphs (CUDA) they are recorded once, as a graph of
//! [`GRAPH_STEPS`] steps and one of a single step, and replayed; else
//! every step's launches are enqueued.
//!
//! Kernel timing ([`snn_core::network::Network::set_timing`]) times every
//! launch, so it runs step by step too. `SNN_GRAPHS=0` in the environment, or
//! [`GpuSimulation::use_graphs`]`(false)`, launches step by step (to compare).

use super::GpuSimulation;
use crate::device::{Device, GraphId};
use snn_core::error::Result;
use snn_core::sim::Stepping;

/// Steps of the longer recorded graph.
pub(super) const GRAPH_STEPS: u64 = 50;

/// The recorded graphs of a simulation and how its steps ran.
pub(super) struct Graphs {
    /// Whether graphs are wanted (`SNN_GRAPHS`, [`GpuSimulation::use_graphs`]).
    wanted: bool,
    /// Why graphs are not used where the device has them (a failed
    /// recording), if so.
    failed: Option<String>,
    /// One step.
    one: Option<GraphId>,
    /// [`GRAPH_STEPS`] steps.
    many: Option<GraphId>,
    /// Steps run by replaying graphs.
    replayed: u64,
    /// Steps run by enqueueing their launches.
    launched: u64,
}

impl Graphs {
    /// No graphs recorded, no steps run.
    pub(super) fn new() -> Graphs {
        Graphs {
            wanted: std::env::var_os("SNN_GRAPHS").is_none_or(|v| v != "0"),
            failed: None,
            one: None,
            many: None,
            replayed: 0,
            launched: 0,
        }
    }

    /// Forgets the recorded graphs (the program or buffers changed).
    pub(super) fn forget(&mut self) {
        self.one = None;
        self.many = None;
    }
}

impl<D: Device> GpuSimulation<D> {
    /// Whether to replay recorded graphs of steps where the device can
    /// (the default, unless `SNN_GRAPHS=0`), or launch step by step. The
    /// results are the same; only the host's cost per step differs.
    pub fn use_graphs(&mut self, on: bool) {
        self.graphs.wanted = on;
    }

    /// Runs `n` steps: segments up to the next full recording buffer, each
    /// replayed or launched, then the full buffers pulled (checking the
    /// delay overflows there too). Waits for the device at the end.
    pub(super) fn run(&mut self, n: u64) -> Result<()> {
        let mut left = n;
        self.pull_full()?;
        while left > 0 {
            let m = left.min(self.steps_until_full());
            self.enqueue_steps(m)?;
            self.step += m;
            left -= m;
            if self.pull_full()? {
                self.check_errors()?;
            }
        }
        self.device.synchronize().map_err(|e| self.dev_err(e))?;
        self.check_errors()
    }

    /// Whether steps are replayed from graphs.
    fn graphs_on(&self) -> bool {
        self.device.supports_graphs()
            && self.graphs.failed.is_none()
            && self.graphs.wanted
            && !self.net.timing()
    }

    /// Enqueues `m` steps.
    fn enqueue_steps(&mut self, m: u64) -> Result<()> {
        let mut left = m;
        if self.graphs_on() {
            if left >= GRAPH_STEPS {
                if let Some(g) = self.graph(GRAPH_STEPS)? {
                    while left >= GRAPH_STEPS {
                        self.device.replay(g).map_err(|e| self.dev_err(e))?;
                        left -= GRAPH_STEPS;
                        self.graphs.replayed += GRAPH_STEPS;
                    }
                }
            }
            if left > 0 {
                if let Some(g) = self.graph(1)? {
                    for _ in 0..left {
                        self.device.replay(g).map_err(|e| self.dev_err(e))?;
                    }
                    self.graphs.replayed += left;
                    left = 0;
                }
            }
        }
        for _ in 0..left {
            self.launch_step()?;
        }
        self.graphs.launched += left;
        Ok(())
    }

    /// The graph of `steps` steps, recorded on first use; `None` when the
    /// recording failed (then graphs are off, and why is reported).
    fn graph(&mut self, steps: u64) -> Result<Option<GraphId>> {
        let slot = if steps == 1 {
            self.graphs.one
        } else {
            self.graphs.many
        };
        if slot.is_some() {
            return Ok(slot);
        }
        let recorded = self.device.begin_capture().and_then(|()| {
            let launched = (0..steps).try_for_each(|_| self.launch_step());
            let graph = self.device.end_capture();
            match launched {
                Ok(()) => graph,
                Err(e) => Err(crate::device::DeviceError::Failed {
                    operation: "recording a graph of steps".into(),
                    reason: e.to_string(),
                }),
            }
        });
        match recorded {
            Ok(g) => {
                if steps == 1 {
                    self.graphs.one = Some(g);
                } else {
                    self.graphs.many = Some(g);
                }
                Ok(Some(g))
            }
            Err(e) => {
                self.graphs.failed = Some(e.to_string());
                Ok(None)
            }
        }
    }

    /// How steps ran so far ([`snn_core::sim::BackendReport::stepping`]).
    pub(super) fn stepping(&self) -> Stepping {
        Stepping {
            launches_per_step: self.plan.step_launches.len(),
            replayed_steps: self.graphs.replayed,
            launched_steps: self.graphs.launched,
            graph_steps: self.graphs_on().then_some(GRAPH_STEPS),
            graphs_off: if !self.device.supports_graphs() {
                Some(format!(
                    "{} cannot record and replay launches",
                    self.device.description()
                ))
            } else if let Some(why) = &self.graphs.failed {
                Some(format!("recording a graph failed: {why}"))
            } else if self.net.timing() {
                Some("kernel timing is on (Network::set_timing): every launch is timed".into())
            } else if !self.graphs.wanted {
                Some("turned off (SNN_GRAPHS=0 or use_graphs(false))".into())
            } else {
                None
            },
        }
    }
}
