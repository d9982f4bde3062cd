//! Typed handles of a network's parts and variables, resolved once from
//! names (with a clear error) and then used without lookups: what the
//! backends' [`Simulation`](crate::sim::Simulation) methods take.
//!
//! The builder returns [`PopulationId`], [`SynapseGroupId`] and
//! [`CurrentSourceId`]; wherever the API takes a part, `impl Into<..Ref>`
//! accepts the handle or the name. Variables and extra global parameters
//! resolve into a [`VarId`] or an [`EgpId`] once:
//!
//! ```
//! use snn_core::prelude::*;
//! let mut net = Network::new(0.1).unwrap();
//! let p = net
//!     .add_population("P", 3, Poisson { rate: 5.0 })
//!     .init("time_step_to_spike", 0.0)
//!     .build()
//!     .unwrap();
//! let v = net.neuron_var(p, "time_step_to_spike").unwrap();
//! assert_eq!(v, VarId::Neuron { pop: p, var: 0 });
//! assert!(net.neuron_var("P", "nope").unwrap_err().to_string().contains("nope"));
//! ```

use crate::error::{Error, Result};
use crate::model::FieldKind;
use crate::network::{
    egp_list, CurrentSourceId, ModelPart, Network, PopulationId, PopulationRef, SynapseGroupId,
};

/// The presynaptic or postsynaptic side of a synapse group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Per presynaptic neuron (`#[pre_var]`).
    Pre,
    /// Per postsynaptic neuron (`#[post_var]`).
    Post,
}

/// A synapse group given by handle or by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupRef {
    /// By handle.
    Id(SynapseGroupId),
    /// By name.
    Name(String),
}

/// A current source given by handle or by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceRef {
    /// By handle.
    Id(CurrentSourceId),
    /// By name.
    Name(String),
}

/// Implements `From` a handle, `&str` and `&String` for a `..Ref` enum.
macro_rules! refs_from {
    ($ref:ident, $id:ty) => {
        impl From<$id> for $ref {
            fn from(id: $id) -> Self {
                $ref::Id(id)
            }
        }
        impl From<&str> for $ref {
            fn from(n: &str) -> Self {
                $ref::Name(n.to_string())
            }
        }
        impl From<&String> for $ref {
            fn from(n: &String) -> Self {
                $ref::Name(n.clone())
            }
        }
    };
}
refs_from!(GroupRef, SynapseGroupId);
refs_from!(SourceRef, CurrentSourceId);

/// A variable of a network, resolved ([`Network::neuron_var`] and the
/// others): what [`Simulation::read`](crate::sim::Simulation::read) and
/// [`Simulation::write`](crate::sim::Simulation::write) take. `var` is the
/// variable's index among its model's variables of that kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VarId {
    /// A neuron variable (one value per neuron).
    Neuron {
        /// The population.
        pop: PopulationId,
        /// Index among the neuron model's `#[var]`s.
        var: usize,
    },
    /// A weight-update `#[var]` (row-major synapse order).
    Synapse {
        /// The synapse group.
        group: SynapseGroupId,
        /// Index among the weight-update model's `#[var]`s.
        var: usize,
    },
    /// A group's postsynaptic input (one value per target neuron; fused
    /// groups share theirs).
    Postsynaptic {
        /// The synapse group.
        group: SynapseGroupId,
        /// 0: `in_syn`; `1 + k`: the postsynaptic model's `#[var]` `k`.
        var: usize,
    },
    /// A current-source variable (one value per target neuron).
    CurrentSource {
        /// The current source.
        source: CurrentSourceId,
        /// Index among the current source's `#[var]`s.
        var: usize,
    },
    /// A weight-update `#[pre_var]` or `#[post_var]` (one value per neuron
    /// of that side).
    Side {
        /// The synapse group.
        group: SynapseGroupId,
        /// Which side.
        side: Side,
        /// Index among that side's variables.
        var: usize,
    },
}

/// What an extra global parameter belongs to, given by handle or name
/// (`From` a [`PopulationId`], [`SynapseGroupId`] or [`CurrentSourceId`],
/// or [`EgpOwner::population`] and the others by name).
#[derive(Clone, Debug)]
pub enum EgpOwner {
    /// A population's neuron model.
    Population(PopulationRef),
    /// A synapse group's weight-update model.
    SynapseGroup(GroupRef),
    /// A current source.
    CurrentSource(SourceRef),
}

impl EgpOwner {
    /// A population's neuron model.
    pub fn population(p: impl Into<PopulationRef>) -> Self {
        EgpOwner::Population(p.into())
    }
    /// A synapse group's weight-update model.
    pub fn group(g: impl Into<GroupRef>) -> Self {
        EgpOwner::SynapseGroup(g.into())
    }
    /// A current source.
    pub fn source(s: impl Into<SourceRef>) -> Self {
        EgpOwner::CurrentSource(s.into())
    }
}

impl From<PopulationId> for EgpOwner {
    fn from(id: PopulationId) -> Self {
        EgpOwner::Population(id.into())
    }
}
impl From<SynapseGroupId> for EgpOwner {
    fn from(id: SynapseGroupId) -> Self {
        EgpOwner::SynapseGroup(id.into())
    }
}
impl From<CurrentSourceId> for EgpOwner {
    fn from(id: CurrentSourceId) -> Self {
        EgpOwner::CurrentSource(id.into())
    }
}

/// The part an extra global parameter belongs to, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EgpPart {
    /// A population's neuron model.
    Population(PopulationId),
    /// A synapse group's weight-update model.
    SynapseGroup(SynapseGroupId),
    /// A current source.
    CurrentSource(CurrentSourceId),
}

/// An extra global parameter, resolved ([`Network::egp`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EgpId {
    /// Whose parameter it is.
    pub part: EgpPart,
    /// Index among the model's `#[egp]`s.
    pub index: usize,
}

/// Resolving names into handles.
impl Network {
    /// The handle of a synapse group given by handle or name.
    pub fn synapse_group_id(&self, g: impl Into<GroupRef>) -> Result<SynapseGroupId> {
        match g.into() {
            GroupRef::Id(id) if (id.0 as usize) < self.synapse_groups().len() => Ok(id),
            GroupRef::Id(id) => Err(Error::UnknownSynapseGroup(format!("#{}", id.0))),
            GroupRef::Name(n) => self
                .synapse_groups()
                .iter()
                .position(|g| g.name == n)
                .map(|i| SynapseGroupId(i as u32))
                .ok_or(Error::UnknownSynapseGroup(n)),
        }
    }

    /// The handle of a current source given by handle or name.
    pub fn current_source_id(&self, s: impl Into<SourceRef>) -> Result<CurrentSourceId> {
        match s.into() {
            SourceRef::Id(id) if (id.0 as usize) < self.current_sources().len() => Ok(id),
            SourceRef::Id(id) => Err(Error::UnknownCurrentSource(format!("#{}", id.0))),
            SourceRef::Name(n) => self
                .current_sources()
                .iter()
                .position(|c| c.name == n)
                .map(|i| CurrentSourceId(i as u32))
                .ok_or(Error::UnknownCurrentSource(n)),
        }
    }

    /// Neuron variable `var` of a population.
    pub fn neuron_var(&self, pop: impl Into<PopulationRef>, var: &str) -> Result<VarId> {
        let pop = self.population_id(pop)?;
        let p = self.population(pop);
        let var = var_index(&p.part, format!("population `{}`", p.name), var)?;
        Ok(VarId::Neuron { pop, var })
    }

    /// Weight-update `#[var]` `var` of a synapse group.
    pub fn synapse_var(&self, group: impl Into<GroupRef>, var: &str) -> Result<VarId> {
        let group = self.synapse_group_id(group)?;
        let g = &self.synapse_groups()[group.0 as usize];
        let owner = format!("synapse group `{}` (weight update)", g.name);
        let var = var_index(&g.wu, owner, var)?;
        Ok(VarId::Synapse { group, var })
    }

    /// Postsynaptic variable `var` of a synapse group (`in_syn` or a
    /// postsynaptic-model `#[var]`).
    pub fn postsynaptic_var(&self, group: impl Into<GroupRef>, var: &str) -> Result<VarId> {
        let group = self.synapse_group_id(group)?;
        let g = &self.synapse_groups()[group.0 as usize];
        let var = if var == "in_syn" {
            0
        } else {
            let owner = format!("synapse group `{}` (postsynaptic model)", g.name);
            1 + var_index(&g.psm, owner, var)?
        };
        Ok(VarId::Postsynaptic { group, var })
    }

    /// Variable `var` of a current source.
    pub fn current_source_var(&self, source: impl Into<SourceRef>, var: &str) -> Result<VarId> {
        let source = self.current_source_id(source)?;
        let s = &self.current_sources()[source.0 as usize];
        let var = var_index(&s.part, format!("current source `{}`", s.name), var)?;
        Ok(VarId::CurrentSource { source, var })
    }

    /// A weight-update `#[pre_var]` / `#[post_var]` of a synapse group.
    pub fn side_var(&self, group: impl Into<GroupRef>, side: Side, var: &str) -> Result<VarId> {
        let group = self.synapse_group_id(group)?;
        let g = &self.synapse_groups()[group.0 as usize];
        let m = g.wu.model;
        let kind = side_kind(side);
        let k = m
            .index_of(kind, var)
            .ok_or_else(|| Error::UnknownVariable {
                owner: format!("synapse group `{}` (weight update, {side:?} side)", g.name),
                model: format!("{} `{}`", m.kind.describe(), m.name),
                var: var.to_string(),
                known: m
                    .fields_of(kind)
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        Ok(VarId::Side {
            group,
            side,
            var: k,
        })
    }

    /// Extra global parameter `egp` of `owner`.
    pub fn egp(&self, owner: impl Into<EgpOwner>, egp: &str) -> Result<EgpId> {
        let part = self.egp_part(owner.into())?;
        let (desc, who) = self.egp_owner(part);
        let names: Vec<&str> = desc
            .model
            .fields_of(FieldKind::Egp)
            .map(|f| f.name)
            .collect();
        let index = names
            .iter()
            .position(|n| *n == egp)
            .ok_or_else(|| Error::InvalidEgp {
                owner: who,
                egp: egp.to_string(),
                reason: format!(
                    "{} `{}` has no such extra global parameter ({})",
                    desc.model.kind.describe(),
                    desc.model.name,
                    egp_list(&names)
                ),
            })?;
        Ok(EgpId { part, index })
    }

    /// The resolved part of `owner`.
    fn egp_part(&self, owner: EgpOwner) -> Result<EgpPart> {
        Ok(match owner {
            EgpOwner::Population(p) => EgpPart::Population(self.population_id(p)?),
            EgpOwner::SynapseGroup(g) => EgpPart::SynapseGroup(self.synapse_group_id(g)?),
            EgpOwner::CurrentSource(s) => EgpPart::CurrentSource(self.current_source_id(s)?),
        })
    }

    /// The model part holding `part`'s extra global parameters, and its
    /// description for messages.
    pub fn egp_owner(&self, part: EgpPart) -> (&ModelPart, String) {
        match part {
            EgpPart::Population(p) => {
                let pop = self.population(p);
                (&pop.part, format!("population `{}`", pop.name))
            }
            EgpPart::SynapseGroup(g) => {
                let g = &self.synapse_groups()[g.0 as usize];
                (&g.wu, format!("synapse group `{}` (weight update)", g.name))
            }
            EgpPart::CurrentSource(s) => {
                let s = &self.current_sources()[s.0 as usize];
                (&s.part, format!("current source `{}`", s.name))
            }
        }
    }
}

/// The field kind of a side's variables.
pub fn side_kind(side: Side) -> FieldKind {
    match side {
        Side::Pre => FieldKind::PreVar,
        Side::Post => FieldKind::PostVar,
    }
}

/// Index of variable `var` of a model part, or an error naming `owner`
/// and listing the variables that exist.
fn var_index(part: &ModelPart, owner: String, var: &str) -> Result<usize> {
    part.model
        .index_of(FieldKind::Var, var)
        .ok_or_else(|| Error::UnknownVariable {
            owner,
            model: format!("{} `{}`", part.model.kind.describe(), part.model.name),
            var: var.to_string(),
            known: part.model.var_names().join(", "),
        })
}
