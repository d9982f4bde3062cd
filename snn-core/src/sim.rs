//! The runtime API every backend implements.

use crate::connectivity::SparseConnectivity;
use crate::error::Result;
use crate::network::{Network, PopulationRef, VarRecordingId};
use crate::recording::SpikeRecord;
use crate::state::SimState;
use std::time::Duration;

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
        self.run_steps(steps_in(duration, self.network().dt())?)
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
    /// Overwrites a current-source variable (one value per target neuron),
    /// e.g. a stimulus set from the host between steps.
    fn set_current_source_var_values(
        &mut self,
        source: &str,
        var: &str,
        values: &[f64],
    ) -> Result<()>;
    /// Values of a weight-update `#[pre_var]` (per presynaptic neuron) or
    /// `#[post_var]` (per postsynaptic neuron) of a synapse group.
    fn neuron_side_var_values(&self, group: &str, side: Side, var: &str) -> Result<Vec<f64>>;
    /// Overwrites the values of an extra global parameter (same length as
    /// given at build time). Cheap enough to call every step; the values are
    /// seen from the next step on.
    fn set_egp(&mut self, owner: EgpOwner<'_>, egp: &str, values: &[f64]) -> Result<()>;
    /// Turns spike recording of a population (built with
    /// `.record_spikes(true)`) on or off from the next step on; spikes of
    /// steps while it is off are not kept.
    fn set_spike_recording(&mut self, population: PopulationRef, on: bool) -> Result<()>;

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

/// The number of steps of `dt` ms in `duration` ms (rounded to the
/// nearest); an error unless `duration` is finite and `>= 0`.
pub fn steps_in(duration: f64, dt: f64) -> Result<u64> {
    let steps = (duration / dt).round();
    if !steps.is_finite() || steps < 0.0 {
        return Err(crate::Error::Simulation(format!(
            "cannot run for {duration} ms: the duration must be finite and >= 0"
        )));
    }
    Ok(steps as u64)
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
    fn spikes(&mut self, population: PopulationRef) -> Result<SpikeRecord> {
        (**self).spikes(population)
    }
    fn recorded_var(&mut self, id: VarRecordingId) -> Result<RecordedVar> {
        (**self).recorded_var(id)
    }
    fn var_values(&self, population: PopulationRef, var: &str) -> Result<Vec<f64>> {
        (**self).var_values(population, var)
    }
    fn set_var_values(
        &mut self,
        population: PopulationRef,
        var: &str,
        values: &[f64],
    ) -> Result<()> {
        (**self).set_var_values(population, var, values)
    }
    fn synapse_var_values(&self, group: &str, var: &str) -> Result<Vec<f64>> {
        (**self).synapse_var_values(group, var)
    }
    fn set_synapse_var_values(&mut self, group: &str, var: &str, values: &[f64]) -> Result<()> {
        (**self).set_synapse_var_values(group, var, values)
    }
    fn postsynaptic_var_values(&self, group: &str, var: &str) -> Result<Vec<f64>> {
        (**self).postsynaptic_var_values(group, var)
    }
    fn current_source_var_values(&self, source: &str, var: &str) -> Result<Vec<f64>> {
        (**self).current_source_var_values(source, var)
    }
    fn connectivity(&self, group: &str) -> Result<SparseConnectivity> {
        (**self).connectivity(group)
    }
    fn set_current_source_var_values(
        &mut self,
        source: &str,
        var: &str,
        values: &[f64],
    ) -> Result<()> {
        (**self).set_current_source_var_values(source, var, values)
    }
    fn neuron_side_var_values(&self, group: &str, side: Side, var: &str) -> Result<Vec<f64>> {
        (**self).neuron_side_var_values(group, side, var)
    }
    fn set_egp(&mut self, owner: EgpOwner<'_>, egp: &str, values: &[f64]) -> Result<()> {
        (**self).set_egp(owner, egp, values)
    }
    fn set_spike_recording(&mut self, population: PopulationRef, on: bool) -> Result<()> {
        (**self).set_spike_recording(population, on)
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

/// The presynaptic or postsynaptic side of a synapse group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Per presynaptic neuron (`#[pre_var]`).
    Pre,
    /// Per postsynaptic neuron (`#[post_var]`).
    Post,
}

/// What an extra global parameter belongs to ([`Simulation::set_egp`]).
#[derive(Clone, Debug)]
pub enum EgpOwner<'a> {
    /// A population's neuron model.
    Population(PopulationRef),
    /// A synapse group's weight-update model, by name.
    SynapseGroup(&'a str),
    /// A current source, by name.
    CurrentSource(&'a str),
}

/// Lookups and checks shared by every backend's variable access, so that
/// all backends report bad requests with the same messages.
pub mod access {
    use super::{EgpOwner, Side};
    use crate::error::{Error, Result};
    use crate::ir::IrType;
    use crate::model::FieldKind;
    use crate::network::{ModelPart, Network, SynapseGroupDesc, VarRecordingDesc, VarRecordingId};

    /// What [`egp_slot`] resolved: which part holds the extra global parameter.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum EgpPart {
        /// Population index.
        Population(usize),
        /// Synapse group index (weight-update model).
        SynapseGroup(usize),
        /// Current source index.
        CurrentSource(usize),
    }

    /// Resolves `owner`'s extra global parameter `egp` for new `values`:
    /// the part and the EGP's index. Fails, naming the culprit, for an
    /// unknown owner or EGP, a different length than at build, or a
    /// non-finite value.
    pub fn egp_slot(
        net: &Network,
        owner: &EgpOwner<'_>,
        egp: &str,
        values: &[f64],
    ) -> Result<(EgpPart, usize)> {
        let (part, desc, who) = match owner {
            EgpOwner::Population(p) => {
                let id = net.population_id(p.clone())?;
                let pop = net.population(id);
                (
                    EgpPart::Population(id.0 as usize),
                    &pop.part,
                    format!("population `{}`", pop.name),
                )
            }
            EgpOwner::SynapseGroup(name) => {
                let gi = net.synapse_group_id(name)?.0 as usize;
                let g = &net.synapse_groups()[gi];
                (
                    EgpPart::SynapseGroup(gi),
                    &g.wu,
                    format!("synapse group `{}` (weight update)", g.name),
                )
            }
            EgpOwner::CurrentSource(name) => {
                let si = current_source_index(net, name)?;
                let s = &net.current_sources()[si];
                (
                    EgpPart::CurrentSource(si),
                    &s.part,
                    format!("current source `{}`", s.name),
                )
            }
        };
        let bad = |reason: String| Error::InvalidEgp {
            owner: who.clone(),
            egp: egp.to_string(),
            reason,
        };
        let names: Vec<&str> = desc
            .model
            .fields_of(FieldKind::Egp)
            .map(|f| f.name)
            .collect();
        let k = names.iter().position(|n| *n == egp).ok_or_else(|| {
            bad(format!(
                "{} `{}` has no such extra global parameter ({})",
                desc.model.kind.describe(),
                desc.model.name,
                egp_list(&names)
            ))
        })?;
        if values.len() != desc.egps[k].len() {
            return Err(bad(format!(
                "{} values given, but it was built with {} (the length cannot change)",
                values.len(),
                desc.egps[k].len()
            )));
        }
        if let Some(x) = values.iter().find(|x| !x.is_finite()) {
            return Err(bad(format!("contains the non-finite value {x}")));
        }
        Ok((part, k))
    }

    /// "has: a, b" or "it has none", for messages about unknown EGPs.
    pub fn egp_list(names: &[&str]) -> String {
        if names.is_empty() {
            "it has none".to_string()
        } else {
            format!("has: {}", names.join(", "))
        }
    }

    /// Checks new values of variable `var` (element type `ty`) of `owner`
    /// for a runtime setter: every value finite and storable in `ty`
    /// unchanged (as [`VarInit::check_type`](crate::init::VarInit::check_type)
    /// demands of initial values), else [`Error::InvalidVarInit`] naming
    /// the first bad value. (For backends' `set_*_var_values`.)
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

    /// Resolves a weight-update `#[pre_var]` / `#[post_var]` of a group: the
    /// group's index and the variable's index among that side's variables.
    pub fn side_var_index(
        net: &Network,
        group: &str,
        side: Side,
        var: &str,
    ) -> Result<(usize, usize)> {
        let gi = net.synapse_group_id(group)?.0 as usize;
        let m = net.synapse_groups()[gi].wu.model;
        let kind = match side {
            Side::Pre => FieldKind::PreVar,
            Side::Post => FieldKind::PostVar,
        };
        let k = m
            .index_of(kind, var)
            .ok_or_else(|| Error::UnknownVariable {
                owner: format!("synapse group `{group}` (weight update, {side:?} side)"),
                model: format!("{} `{}`", m.kind.describe(), m.name),
                var: var.to_string(),
                known: m
                    .fields_of(kind)
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        Ok((gi, k))
    }

    /// Index of variable `var` of a model part, or an error naming `owner`
    /// and listing the variables that exist.
    pub fn var_index(part: &ModelPart, owner: String, var: &str) -> Result<usize> {
        part.model
            .index_of(FieldKind::Var, var)
            .ok_or_else(|| Error::UnknownVariable {
                owner,
                model: format!("{} `{}`", part.model.kind.describe(), part.model.name),
                var: var.to_string(),
                known: part.model.var_names().join(", "),
            })
    }

    /// Like [`var_index`], for new `values` of the variable: also checks
    /// that they are finite and fit its type ([`check_var_values`]).
    pub fn var_index_for_values(
        part: &ModelPart,
        owner: String,
        var: &str,
        values: &[f64],
    ) -> Result<usize> {
        let k = var_index(part, owner.clone(), var)?;
        let ty = part
            .model
            .nth(FieldKind::Var, k)
            .expect("index from var_index")
            .ty;
        check_var_values(&owner, var, ty, values)?;
        Ok(k)
    }

    /// Index of a postsynaptic variable of a group: 0 for `in_syn`, else 1 +
    /// the model variable's index.
    pub fn psm_var_index(g: &SynapseGroupDesc, var: &str) -> Result<usize> {
        if var == "in_syn" {
            return Ok(0);
        }
        let owner = format!("synapse group `{}` (postsynaptic model)", g.name);
        Ok(1 + var_index(&g.psm, owner, var)?)
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

    /// Index of the current source named `name`.
    pub fn current_source_index(net: &Network, name: &str) -> Result<usize> {
        net.current_sources()
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| Error::Simulation(format!("unknown current source `{name}`")))
    }

    /// The error for spikes asked of population `pi`, which is not recorded.
    pub fn not_recorded(net: &Network, pi: usize) -> Error {
        Error::InvalidRecording(format!(
            "spikes of population `{}` are not recorded (enable .record_spikes(true))",
            net.populations()[pi].name
        ))
    }

    /// The variable recording `id`.
    pub fn var_recording(net: &Network, id: VarRecordingId) -> Result<&VarRecordingDesc> {
        net.var_recordings()
            .get(id.0 as usize)
            .ok_or_else(|| Error::InvalidRecording(format!("no variable recording #{}", id.0)))
    }

    /// Rejects new values of a group's dendritic-delay variable `k` above
    /// its maximum, negative or NaN.
    pub fn check_delay_values(g: &SynapseGroupDesc, k: usize, values: &[f64]) -> Result<()> {
        if g.delay_var == Some(k) {
            if let Some(i) = values.iter().position(|d| d.is_nan() || *d < 0.0) {
                let var = g.wu.model.nth(FieldKind::Var, k).map_or("?", |f| f.name);
                return Err(Error::InvalidSynapseGroup {
                    group: g.name.clone(),
                    reason: format!(
                        "dendritic delay variable `{var}`: value {i} ({}) must be a number of \
                         steps >= 0",
                        values[i]
                    ),
                });
            }
            if let Some(&d) = values.iter().find(|&&d| d > g.max_dendritic_delay as f64) {
                return Err(Error::DelayTooLarge {
                    group: g.name.clone(),
                    delay: d as u64,
                    max: g.max_dendritic_delay as u64,
                });
            }
        }
        Ok(())
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
