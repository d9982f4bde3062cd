//! Checkpoints on disk: save a running simulation, restore it (on the same
//! or another backend) and continue with exactly the same results, and
//! checkpoint long runs periodically.
//!
//! A checkpoint holds the complete [`SimState`] (the file format is
//! [`snn_io::save_checkpoint`]'s: versioned and checksummed). Writes are
//! atomic: the file is written under a temporary name and renamed over the
//! previous checkpoint, so a crash during a write leaves the previous
//! checkpoint intact. Restoring needs the simulation of the same network
//! (same code, parameters and seed; [`SimState::check_fits`] says what
//! differs otherwise).
//!
//! ```
//! use snn::prelude::*;
//! use snn::checkpoint::{self, Checkpointer};
//! let dir = std::env::temp_dir().join(format!("snn_ckpt_doc_{}", std::process::id()));
//! let path = dir.join("run.snnckpt");
//!
//! let mut net = Network::new(0.1)?;
//! let p = net.add_population("P", 100, Poisson { rate: 20.0 })
//!     .init("time_step_to_spike", 0.0)
//!     .record_spikes(true)
//!     .build()?;
//!
//! // A long run, checkpointed every 50 ms of biological time.
//! let mut sim = Backend::Cpu.build(&net)?;
//! let mut every_50ms = Checkpointer::new(&path, 50.0)?;
//! every_50ms.run_for(&mut sim, 120.0)?;
//! assert_eq!(every_50ms.last_saved_at(), Some(100.0));
//!
//! // After an interruption: a new process builds the same network and goes on
//! // (`checkpoint::restore` loads into an existing simulation instead).
//! let mut resumed = checkpoint::resume(Backend::Cpu, &net, &path)?;
//! assert_eq!(resumed.time(), 100.0);
//! resumed.run_for(20.0)?;
//! assert_eq!(resumed.spikes(p)?, sim.spikes(p)?);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), snn::checkpoint::CheckpointError>(())
//! ```

use crate::backend::Backend;
use snn_core::sim::Simulation;
use snn_core::state::SimState;
use snn_core::Error;
use snn_io::IoError;
use std::path::{Path, PathBuf};

/// Why a checkpoint could not be saved or restored.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The simulation failed, or the checkpoint does not fit it
    /// ([`Error::Checkpoint`]).
    #[error(transparent)]
    Simulation(#[from] Error),
    /// The file could not be written or read, or is not a valid checkpoint
    /// (truncated, corrupted, another format version).
    #[error(transparent)]
    Io(#[from] IoError),
}

/// Saves the complete state of `sim` to `path` (atomically).
pub fn save(sim: &mut dyn Simulation, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
    let state = sim.save_state()?;
    snn_io::save_checkpoint(path, &state)?;
    Ok(())
}

/// Restores `sim` from the checkpoint at `path`; on error `sim` is unchanged.
pub fn restore(sim: &mut dyn Simulation, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
    let state: SimState = snn_io::load_checkpoint(path)?;
    sim.load_state(&state)?;
    Ok(())
}

/// Builds `net` on `backend` from the checkpoint at `path` and returns the
/// simulation, ready to continue ([`Backend::build_from_state`]: on the CPU
/// without initialising the network first).
pub fn resume(
    backend: Backend,
    net: &snn_core::network::Network,
    path: impl AsRef<Path>,
) -> Result<Box<dyn Simulation>, CheckpointError> {
    let state = snn_io::load_checkpoint(path)?;
    Ok(backend.build_from_state(net, &state)?)
}

/// Saves checkpoints of a simulation every `interval` ms of biological
/// time, always to the same file (each replacing the previous one
/// atomically).
#[derive(Clone, Debug)]
pub struct Checkpointer {
    path: PathBuf,
    interval: f64,
    last_saved_step: Option<u64>,
    last_saved_at: Option<f64>,
}

impl Checkpointer {
    /// A checkpointer writing to `path` every `interval` ms (> 0).
    pub fn new(path: impl AsRef<Path>, interval: f64) -> Result<Checkpointer, CheckpointError> {
        if !(interval.is_finite() && interval > 0.0) {
            return Err(Error::Simulation(format!(
                "checkpoint interval of {interval} ms: it must be a positive, finite number of \
                 milliseconds"
            ))
            .into());
        }
        Ok(Checkpointer {
            path: path.as_ref().to_path_buf(),
            interval,
            last_saved_step: None,
            last_saved_at: None,
        })
    }

    /// The checkpoint file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Biological time (ms) of the latest checkpoint written, if any.
    pub fn last_saved_at(&self) -> Option<f64> {
        self.last_saved_at
    }

    /// Steps between checkpoints for `sim`'s timestep (at least 1).
    fn interval_steps(&self, sim: &dyn Simulation) -> u64 {
        ((self.interval / sim.network().dt()).round() as u64).max(1)
    }

    /// The next step after `sim`'s current one at which a checkpoint is due
    /// (a multiple of the interval).
    pub fn next_due_step(&self, sim: &dyn Simulation) -> u64 {
        let every = self.interval_steps(sim);
        (sim.step_count() / every + 1) * every
    }

    /// Saves a checkpoint if `sim` is at a multiple of the interval that
    /// was not saved yet; returns whether it saved. Call it between steps
    /// of a run driven by your own loop.
    pub fn maybe_save(&mut self, sim: &mut dyn Simulation) -> Result<bool, CheckpointError> {
        let step = sim.step_count();
        if step == 0 || step % self.interval_steps(sim) != 0 || self.last_saved_step == Some(step) {
            return Ok(false);
        }
        save(sim, &self.path)?;
        self.last_saved_step = Some(step);
        self.last_saved_at = Some(sim.time());
        Ok(true)
    }

    /// Advances `sim` by `duration` ms (rounded to whole steps), saving a
    /// checkpoint at every multiple of the interval on the way.
    pub fn run_for(
        &mut self,
        sim: &mut dyn Simulation,
        duration: f64,
    ) -> Result<(), CheckpointError> {
        let end = sim.step_count() + snn_core::sim::steps_in(duration, sim.network().dt())?;
        while sim.step_count() < end {
            let next = self.next_due_step(sim).min(end);
            sim.run_steps(next - sim.step_count())?;
            self.maybe_save(sim)?;
        }
        Ok(())
    }
}
