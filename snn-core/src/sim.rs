//! The runtime API every backend implements.

use crate::connectivity::SparseConnectivity;
use crate::error::Result;
use crate::handle::{EgpId, GroupRef, SourceRef, VarId};
pub use crate::handle::{EgpOwner, Side};
use crate::network::{Network, PopulationId, PopulationRef, SynapseGroupId, VarRecordingId};
pub use crate::recording::RecordedVar;
use crate::recording::SpikeRecord;
use crate::state::SimState;
use crate::timing::DeviceTimes;
use std::time::Duration;

/// What a backend reports about how it built a simulation and what it holds,
/// for timing and memory reports ([`Simulation::report`]). Every field is
/// `None` where the backend does not measure or does not have it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackendReport {
    /// Initialisation of connectivity and variables (on a GPU: the init
    /// kernels, including compiling their program).
    pub init: Option<Duration>,
    /// Generating and compiling the simulation kernels.
    pub compile: Option<Duration>,
    /// Allocating and uploading the remaining buffers.
    pub upload: Option<Duration>,
    /// Whether the compiled kernels came from a cache: `Some(true)` when every
    /// program did, `Some(false)` when one was compiled, `None` when the
    /// backend has no such cache (OpenCL, the CPU).
    pub kernel_cache_hit: Option<bool>,
    /// Bytes of device memory the simulation holds (its buffers).
    pub device_bytes: Option<u64>,
    /// How the steps were enqueued on a GPU (recorded graphs replayed, or
    /// launched step by step), `None` on the CPU.
    pub stepping: Option<Stepping>,
    /// Device time of the kernels launched so far, per phase and kernel,
    /// when the network asked for it ([`Network::set_timing`]) and the
    /// backend can measure it (the GPU backends; the CPU backend cannot).
    pub device_times: Option<DeviceTimes>,
}

/// How a GPU backend ran its steps so far ([`BackendReport::stepping`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stepping {
    /// Kernel launches of one step.
    pub launches_per_step: usize,
    /// Steps run by replaying recorded graphs (CUDA graphs): no host
    /// launch per step.
    pub replayed_steps: u64,
    /// Steps whose launches were enqueued one by one.
    pub launched_steps: u64,
    /// Steps per recorded graph, where graphs are used.
    pub graph_steps: Option<u64>,
    /// Why steps are not replayed from graphs, where they are not.
    pub graphs_off: Option<String>,
}

impl std::fmt::Display for Stepping {
    /// `replayed from graphs of 50 steps (1000 steps)` or `launched step
    /// by step, 4 launches per step (1000 steps): <why>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.graph_steps {
            Some(g) => write!(
                f,
                "replayed from graphs of {g} steps ({} steps, {} launched)",
                self.replayed_steps, self.launched_steps
            )?,
            None => write!(
                f,
                "launched step by step, {} launches per step ({} steps)",
                self.launches_per_step, self.launched_steps
            )?,
        }
        if let Some(why) = &self.graphs_off {
            write!(f, ": {why}")?;
        }
        Ok(())
    }
}

/// A network instantiated on a backend, stepped in time.
///
/// Semantics of one step are those of docs/ARCHITECTURE.md ("Semantics").
/// Variables are read and written as `f64` (exact for every storage type).
/// The methods backends implement take resolved handles ([`VarId`],
/// [`EgpId`], the builder's ids); [`SimulationExt`] (in the prelude) adds
/// the same operations by handle or by name, resolved once.
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
    /// Advances by `duration` ms: a whole number of steps ([`steps_in`];
    /// `run_for(0.25)` at `dt = 0.1` is an error naming 0.2 and 0.3 ms).
    fn run_for(&mut self, duration: f64) -> Result<()> {
        self.run_steps(steps_in(duration, self.network().dt())?)
    }
    /// Simulated time (ms): `step_count()` steps of `dt` ([`time_of`]:
    /// 0.3 after three steps of 0.1 ms).
    fn time(&self) -> f64 {
        time_of(self.step_count(), self.network().dt())
    }

    /// All recorded spikes of a population so far.
    fn spikes_of(&mut self, pop: PopulationId) -> Result<SpikeRecord>;
    /// Samples of a variable recording so far.
    fn recorded_var(&mut self, id: VarRecordingId) -> Result<RecordedVar>;
    /// The values of a variable (per neuron, or row-major per synapse).
    fn read(&self, var: VarId) -> Result<Vec<f64>>;
    /// Overwrites a neuron, weight-update or current-source variable (the
    /// values checked by [`access::check_values`]); seen from the next step.
    fn write(&mut self, var: VarId, values: &[f64]) -> Result<()>;
    /// The connectivity of a synapse group as built.
    fn connectivity_of(&self, group: SynapseGroupId) -> Result<SparseConnectivity>;
    /// Overwrites the values of an extra global parameter (same length as
    /// given at build time, [`access::check_egp_values`]). Cheap enough to
    /// call every step; the values are seen from the next step on.
    fn write_egp(&mut self, egp: EgpId, values: &[f64]) -> Result<()>;
    /// Turns spike recording of a population (built with
    /// `.record_spikes(true)`) on or off from the next step on; spikes of
    /// steps while it is off are not kept.
    fn set_recording(&mut self, pop: PopulationId, on: bool) -> Result<()>;

    /// A snapshot of the complete simulation state (variables,
    /// connectivity, queues, rings, spike times, extra global parameters,
    /// recordings so far, step counter), in a layout every backend can
    /// restore ([`crate::state`]). Recording continues unaffected.
    fn save_state(&mut self) -> Result<SimState>;
    /// Replaces the simulation's state with `state` (taken on any backend
    /// from a simulation of the same network): stepping on then gives the
    /// same results as the simulation it was taken from. Fails, changing
    /// nothing, when the state does not fit the network
    /// ([`SimState::check_fits`]).
    fn load_state(&mut self, state: &SimState) -> Result<()>;

    /// Build times, kernel cache and device memory, as far as the backend
    /// knows them (the default: nothing).
    fn report(&self) -> BackendReport {
        BackendReport::default()
    }
}

/// The operations of [`Simulation`] by handle or by name: every method
/// resolves its names once ([`Network::neuron_var`] and the others) and
/// calls the typed method. Implemented for every simulation, boxed or not.
///
/// ```
/// use snn_core::prelude::*;
/// # fn f(sim: &mut dyn Simulation, pop: PopulationId) -> Result<()> {
/// let v = sim.var_values(pop, "v")?; // by handle
/// let same = sim.var_values("Exc", "v")?; // or by name
/// let spikes = sim.spikes(pop)?;
/// # Ok(()) }
/// ```
pub trait SimulationExt: Simulation {
    /// All recorded spikes of a population so far.
    fn spikes(&mut self, pop: impl Into<PopulationRef>) -> Result<SpikeRecord> {
        let pop = self.network().population_id(pop)?;
        self.spikes_of(pop)
    }
    /// Values of a neuron variable for the whole population.
    fn var_values(&self, pop: impl Into<PopulationRef>, var: &str) -> Result<Vec<f64>> {
        self.read(self.network().neuron_var(pop, var)?)
    }
    /// Overwrites a neuron variable (one value per neuron).
    fn set_var_values(
        &mut self,
        pop: impl Into<PopulationRef>,
        var: &str,
        values: &[f64],
    ) -> Result<()> {
        let var = self.network().neuron_var(pop, var)?;
        self.write(var, values)
    }
    /// Values of a weight-update variable, in row-major synapse order.
    fn synapse_var_values(&self, group: impl Into<GroupRef>, var: &str) -> Result<Vec<f64>> {
        self.read(self.network().synapse_var(group, var)?)
    }
    /// Overwrites a weight-update variable (row-major synapse order).
    fn set_synapse_var_values(
        &mut self,
        group: impl Into<GroupRef>,
        var: &str,
        values: &[f64],
    ) -> Result<()> {
        let var = self.network().synapse_var(group, var)?;
        self.write(var, values)
    }
    /// Values of a postsynaptic-model variable (or `in_syn`) per target neuron.
    fn postsynaptic_var_values(&self, group: impl Into<GroupRef>, var: &str) -> Result<Vec<f64>> {
        self.read(self.network().postsynaptic_var(group, var)?)
    }
    /// Values of a current-source variable per target neuron.
    fn current_source_var_values(
        &self,
        source: impl Into<SourceRef>,
        var: &str,
    ) -> Result<Vec<f64>> {
        self.read(self.network().current_source_var(source, var)?)
    }
    /// Overwrites a current-source variable (one value per target neuron),
    /// e.g. a stimulus set from the host between steps.
    fn set_current_source_var_values(
        &mut self,
        source: impl Into<SourceRef>,
        var: &str,
        values: &[f64],
    ) -> Result<()> {
        let var = self.network().current_source_var(source, var)?;
        self.write(var, values)
    }
    /// Values of a weight-update `#[pre_var]` (per presynaptic neuron) or
    /// `#[post_var]` (per postsynaptic neuron) of a synapse group.
    fn neuron_side_var_values(
        &self,
        group: impl Into<GroupRef>,
        side: Side,
        var: &str,
    ) -> Result<Vec<f64>> {
        self.read(self.network().side_var(group, side, var)?)
    }
    /// The connectivity of a synapse group as built.
    fn connectivity(&self, group: impl Into<GroupRef>) -> Result<SparseConnectivity> {
        self.connectivity_of(self.network().synapse_group_id(group)?)
    }
    /// Overwrites the values of extra global parameter `egp` of `owner`.
    fn set_egp(&mut self, owner: impl Into<EgpOwner>, egp: &str, values: &[f64]) -> Result<()> {
        let egp = self.network().egp(owner, egp)?;
        self.write_egp(egp, values)
    }
    /// Turns spike recording of a population on or off ([`Simulation::set_recording`]).
    fn set_spike_recording(&mut self, pop: impl Into<PopulationRef>, on: bool) -> Result<()> {
        let pop = self.network().population_id(pop)?;
        self.set_recording(pop, on)
    }
}

impl<T: Simulation + ?Sized> SimulationExt for T {}

/// The number of steps of `dt` ms in `duration` ms; an error unless
/// `duration` is finite, `>= 0` and a whole number of steps (to within a
/// relative `1e-9`, so `1000.0` at `dt = 0.1` is 10,000 steps though
/// `1000.0 / 0.1` is not exactly 10,000), as NEST's `Simulate`.
///
/// ```
/// use snn_core::sim::steps_in;
/// assert_eq!(steps_in(1000.0, 0.1).unwrap(), 10_000);
/// let err = steps_in(0.25, 0.1).unwrap_err().to_string();
/// assert!(err.contains("2.5 steps") && err.contains("0.2 or 0.3 ms"), "{err}");
/// ```
pub fn steps_in(duration: f64, dt: f64) -> Result<u64> {
    let exact = duration / dt;
    let steps = exact.round();
    if !steps.is_finite() || steps < 0.0 {
        return Err(crate::Error::Simulation(format!(
            "cannot run for {duration} ms: the duration must be finite and >= 0"
        )));
    }
    if (exact - steps).abs() > 1e-9 * steps.max(1.0) {
        let (below, above) = (exact.floor() as u64, exact.ceil() as u64);
        let exact = (exact * 1e6).round() / 1e6; // 0.4, not 0.39999999999999997
        return Err(crate::Error::Simulation(format!(
            "cannot run for {duration} ms: at dt = {dt} ms that is {exact} steps, not a whole \
             number; run for a multiple of dt ({} or {} ms) or a number of steps (run_steps)",
            time_of(below, dt),
            time_of(above, dt),
        )));
    }
    Ok(steps as u64)
}

/// The time (ms) after `steps` steps of `dt` ms: `steps / k` when `dt` is
/// `1 / k` for a whole `k` (0.1, 0.025, 1 ms: three steps of 0.1 ms are
/// 0.3 ms, not `3.0 * 0.1` = 0.30000000000000004), else `steps * dt`.
///
/// ```
/// use snn_core::sim::time_of;
/// assert_eq!(time_of(3, 0.1), 0.3);
/// assert_eq!(time_of(36_000_000, 0.1), 3_600_000.0);
/// assert_eq!(time_of(3, 0.3), 3.0 * 0.3);
/// ```
pub fn time_of(steps: u64, dt: f64) -> f64 {
    let k = (1.0 / dt).round();
    if k >= 1.0 && 1.0 / k == dt {
        steps as f64 / k
    } else {
        steps as f64 * dt
    }
}

/// The most steps a simulation can run: random streams number steps in
/// 32 bits (about 119 hours of biological time at `dt` = 0.1 ms).
pub const MAX_STEPS: u64 = u32::MAX as u64;

/// Checks that a simulation at step `step` may run `n` more steps
/// ([`MAX_STEPS`]); backends call it before running.
pub fn check_steps(step: u64, n: u64, dt: f64) -> Result<()> {
    match step.checked_add(n) {
        Some(end) if end <= MAX_STEPS => Ok(()),
        _ => Err(crate::Error::LimitExceeded {
            what: format!("running {n} steps from step {step}"),
            got: step.saturating_add(n),
            limit: MAX_STEPS,
            hint: format!(
                "random streams number steps in 32 bits: at dt = {dt} ms a simulation can run {:.0} s of biological time",
                MAX_STEPS as f64 * dt / 1000.0
            ),
        }),
    }
}

/// A boxed simulation (what `Backend::build` returns) is a simulation, so
/// `&mut sim` passes where `&mut impl Simulation` is expected.
impl<S: Simulation + ?Sized> Simulation for Box<S> {
    fn backend_name(&self) -> String {
        (**self).backend_name()
    }
    fn network(&self) -> &Network {
        (**self).network()
    }
    fn step(&mut self) -> Result<()> {
        (**self).step()
    }
    fn step_count(&self) -> u64 {
        (**self).step_count()
    }
    fn run_steps(&mut self, n: u64) -> Result<()> {
        (**self).run_steps(n)
    }
    fn run_for(&mut self, duration: f64) -> Result<()> {
        (**self).run_for(duration)
    }
    fn spikes_of(&mut self, pop: PopulationId) -> Result<SpikeRecord> {
        (**self).spikes_of(pop)
    }
    fn recorded_var(&mut self, id: VarRecordingId) -> Result<RecordedVar> {
        (**self).recorded_var(id)
    }
    fn read(&self, var: VarId) -> Result<Vec<f64>> {
        (**self).read(var)
    }
    fn write(&mut self, var: VarId, values: &[f64]) -> Result<()> {
        (**self).write(var, values)
    }
    fn connectivity_of(&self, group: SynapseGroupId) -> Result<SparseConnectivity> {
        (**self).connectivity_of(group)
    }
    fn write_egp(&mut self, egp: EgpId, values: &[f64]) -> Result<()> {
        (**self).write_egp(egp, values)
    }
    fn set_recording(&mut self, pop: PopulationId, on: bool) -> Result<()> {
        (**self).set_recording(pop, on)
    }
    fn save_state(&mut self) -> Result<SimState> {
        (**self).save_state()
    }
    fn load_state(&mut self, state: &SimState) -> Result<()> {
        (**self).load_state(state)
    }
    fn report(&self) -> BackendReport {
        (**self).report()
    }
}

/// Checks shared by every backend's variable access, so that all backends
/// report bad requests with the same messages.
pub mod access {
    use crate::error::{Error, Result};
    use crate::handle::{side_kind, EgpId, VarId};
    use crate::ir::IrType;
    use crate::model::{FieldDesc, FieldKind};
    use crate::network::{Network, VarRecordingDesc, VarRecordingId};

    /// The field of variable `var` and the owner's description (for
    /// messages); `None` for `in_syn`, which has no field.
    pub fn var_field(net: &Network, var: VarId) -> (Option<&'static FieldDesc>, String) {
        match var {
            VarId::Neuron { pop, var } => {
                let p = net.population(pop);
                let f = p.part.model.nth(FieldKind::Var, var);
                (f, format!("population `{}`", p.name))
            }
            VarId::Synapse { group, var } => {
                let g = &net.synapse_groups()[group.0 as usize];
                let f = g.wu.model.nth(FieldKind::Var, var);
                (f, format!("synapse group `{}` (weight update)", g.name))
            }
            VarId::Postsynaptic { group, var } => {
                let g = &net.synapse_groups()[group.0 as usize];
                let f = var
                    .checked_sub(1)
                    .and_then(|k| g.psm.model.nth(FieldKind::Var, k));
                (
                    f,
                    format!("synapse group `{}` (postsynaptic model)", g.name),
                )
            }
            VarId::CurrentSource { source, var } => {
                let s = &net.current_sources()[source.0 as usize];
                let f = s.part.model.nth(FieldKind::Var, var);
                (f, format!("current source `{}`", s.name))
            }
            VarId::Side { group, side, var } => {
                let g = &net.synapse_groups()[group.0 as usize];
                let f = g.wu.model.nth(side_kind(side), var);
                (
                    f,
                    format!("synapse group `{}` (weight update, {side:?} side)", g.name),
                )
            }
        }
    }

    /// Checks that `var` is a variable of `net` (its part and index exist),
    /// for handles made for another network.
    pub fn check_handle(net: &Network, var: VarId) -> Result<()> {
        let part_exists = match var {
            VarId::Neuron { pop, .. } => (pop.0 as usize) < net.populations().len(),
            VarId::CurrentSource { source, .. } => {
                (source.0 as usize) < net.current_sources().len()
            }
            VarId::Synapse { group, .. }
            | VarId::Postsynaptic { group, .. }
            | VarId::Side { group, .. } => (group.0 as usize) < net.synapse_groups().len(),
        };
        let in_syn = matches!(var, VarId::Postsynaptic { var: 0, .. });
        if part_exists && (in_syn || var_field(net, var).0.is_some()) {
            Ok(())
        } else {
            Err(Error::Simulation(format!(
                "{var:?} is not a variable of this network (a handle of another network?)"
            )))
        }
    }

    /// Checks new `values` of `var` for [`Simulation::write`](super::Simulation::write):
    /// a variable that can be written (neuron, weight-update and
    /// current-source variables), `expected` values, every value finite
    /// and storable in the variable's type unchanged, dendritic delays
    /// within the group's maximum.
    pub fn check_values(net: &Network, var: VarId, expected: usize, values: &[f64]) -> Result<()> {
        let (field, owner) = var_field(net, var);
        let name = field.map_or("in_syn", |f| f.name);
        if matches!(var, VarId::Postsynaptic { .. } | VarId::Side { .. }) {
            return Err(Error::Simulation(format!(
                "{owner}: variable `{name}` cannot be written from the host (only neuron, \
                 weight-update and current-source variables can)"
            )));
        }
        let f = field.expect("internal error: a writable variable has a field");
        check_len(
            owner.clone(),
            format!("the values of variable `{name}`"),
            expected,
            values.len(),
        )?;
        check_var_values(&owner, name, f.ty, values)?;
        if let VarId::Synapse { group, var } = var {
            net.synapse_groups()[group.0 as usize].check_delay_values(var, values)?;
        }
        Ok(())
    }

    /// Checks new `values` of extra global parameter `egp`: as many as at
    /// build time, every one finite.
    pub fn check_egp_values(net: &Network, egp: EgpId, values: &[f64]) -> Result<()> {
        let (part, owner) = net.egp_owner(egp.part);
        let name = part
            .model
            .nth(FieldKind::Egp, egp.index)
            .map_or("?", |f| f.name);
        let bad = |reason: String| Error::InvalidEgp {
            owner: owner.clone(),
            egp: name.to_string(),
            reason,
        };
        let built = part.egps[egp.index].len();
        if values.len() != built {
            return Err(bad(format!(
                "{} values given, but it was built with {built} (the length cannot change)",
                values.len()
            )));
        }
        if let Some(x) = values.iter().find(|x| !x.is_finite()) {
            return Err(bad(format!("contains the non-finite value {x}")));
        }
        Ok(())
    }

    /// Checks new values of variable `var` (element type `ty`) of `owner`:
    /// every value finite and storable in `ty` unchanged (as
    /// [`VarInit::check_type`](crate::init::VarInit::check_type) demands of
    /// initial values), else [`Error::InvalidValues`] naming the first bad value.
    pub fn check_var_values(owner: &str, var: &str, ty: IrType, values: &[f64]) -> Result<()> {
        let bad = |reason: String| Error::InvalidValues {
            owner: owner.to_string(),
            var: var.to_string(),
            reason,
        };
        if let Some(i) = values.iter().position(|x| !x.is_finite()) {
            return Err(bad(format!("value {i} ({}) must be finite", values[i])));
        }
        crate::init::check_values_fit("values", values, true, ty)
            .map_err(|r| bad(r.trim_start_matches("values: ").to_string()))
    }

    /// Fails with [`Error::SizeMismatch`] unless `got == expected`.
    pub fn check_len(owner: String, what: String, expected: usize, got: usize) -> Result<()> {
        if expected != got {
            return Err(Error::SizeMismatch {
                owner,
                what,
                expected,
                got,
            });
        }
        Ok(())
    }

    /// The error for spikes asked of population `pi`, which is not recorded.
    pub fn not_recorded(net: &Network, pi: usize) -> Error {
        Error::InvalidRecording(format!(
            "spikes of population `{}` are not recorded (enable .record_spikes(true))",
            net.populations()[pi].name
        ))
    }

    /// The error for turning recording of population `pi` on or off when
    /// it was built without recording.
    pub fn cannot_record(net: &Network, pi: usize, on: bool) -> Error {
        Error::InvalidRecording(format!(
            "cannot turn spike recording of population `{}` {}: it was built without \
             .record_spikes(true)",
            net.populations()[pi].name,
            if on { "on" } else { "off" }
        ))
    }

    /// The variable recording `id`.
    pub fn var_recording(net: &Network, id: VarRecordingId) -> Result<&VarRecordingDesc> {
        net.var_recordings()
            .get(id.0 as usize)
            .ok_or_else(|| Error::InvalidRecording(format!("no variable recording #{}", id.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_beyond_the_32_bit_counter_are_refused() {
        assert!(check_steps(0, MAX_STEPS, 0.1).is_ok());
        assert!(check_steps(MAX_STEPS - 1, 1, 0.1).is_ok());
        let e = check_steps(MAX_STEPS, 1, 0.1).unwrap_err().to_string();
        assert!(e.contains("exceeds the limit of 4294967295"), "{e}");
        assert!(check_steps(5, u64::MAX, 0.1).is_err(), "no overflow");
    }
}
