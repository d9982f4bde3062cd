//! The runtime API every backend implements.

use crate::connectivity::SparseConnectivity;
use crate::error::Result;
use crate::network::{Network, PopulationRef, VarRecordingId};
use crate::recording::SpikeRecord;

/// Samples of one variable recording.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordedVar {
    /// Time of each sample (ms): the end of the step after which it was taken.
    pub times: Vec<f64>,
    /// The sampled neurons.
    pub neurons: Vec<u32>,
    /// Values, one row of `neurons.len()` values per sample.
    pub values: Vec<f64>,
}

impl RecordedVar {
    /// The trace of the `k`-th sampled neuron.
    pub fn trace(&self, k: usize) -> Vec<f64> {
        let n = self.neurons.len();
        self.values
            .iter()
            .skip(k)
            .step_by(n.max(1))
            .copied()
            .collect()
    }
}

/// A network instantiated on a backend, stepped in time.
///
/// Semantics of one step are those of docs/ARCHITECTURE.md ("Semantics").
/// Variables are read and written as `f64` (exact for every storage type).
pub trait Simulation {
    /// Name of the backend and device ("CPU (rayon, 8 threads)", ...).
    fn backend_name(&self) -> String;
    /// The network being simulated.
    fn network(&self) -> &Network;
    /// Advances one timestep.
    fn step(&mut self) -> Result<()>;
    /// Number of steps simulated so far.
    fn step_count(&self) -> u64;

    /// Advances `n` timesteps.
    fn run_steps(&mut self, n: u64) -> Result<()> {
        for _ in 0..n {
            self.step()?;
        }
        Ok(())
    }
    /// Advances by `duration` ms (rounded to whole steps).
    fn run_for(&mut self, duration: f64) -> Result<()> {
        let steps = (duration / self.network().dt()).round();
        if steps.is_nan() || steps < 0.0 {
            return Err(crate::Error::Simulation(format!(
                "cannot run for {duration} ms: the duration must be >= 0"
            )));
        }
        self.run_steps(steps as u64)
    }
    /// Simulated time (ms): `step_count() * dt`.
    fn time(&self) -> f64 {
        self.step_count() as f64 * self.network().dt()
    }

    /// All recorded spikes of a population so far.
    fn spikes(&mut self, population: PopulationRef) -> Result<SpikeRecord>;
    /// Samples of a variable recording so far.
    fn recorded_var(&mut self, id: VarRecordingId) -> Result<RecordedVar>;

    /// Values of a neuron variable for the whole population.
    fn var_values(&self, population: PopulationRef, var: &str) -> Result<Vec<f64>>;
    /// Overwrites a neuron variable (one value per neuron).
    fn set_var_values(
        &mut self,
        population: PopulationRef,
        var: &str,
        values: &[f64],
    ) -> Result<()>;
    /// Values of a weight-update variable, in row-major synapse order.
    fn synapse_var_values(&self, group: &str, var: &str) -> Result<Vec<f64>>;
    /// Overwrites a weight-update variable (row-major synapse order).
    fn set_synapse_var_values(&mut self, group: &str, var: &str, values: &[f64]) -> Result<()>;
    /// Values of a postsynaptic-model variable (or `in_syn`) per target neuron.
    fn postsynaptic_var_values(&self, group: &str, var: &str) -> Result<Vec<f64>>;
    /// Values of a current-source variable per target neuron.
    fn current_source_var_values(&self, source: &str, var: &str) -> Result<Vec<f64>>;
    /// The connectivity of a synapse group as built.
    fn connectivity(&self, group: &str) -> Result<SparseConnectivity>;
}
