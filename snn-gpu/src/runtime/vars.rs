//! Variables and extra global parameters by handle ([`VarId`], [`EgpId`]):
//! read from and written into the device buffers.

use super::{ragged_positions, GpuSimulation};
use crate::device::Device;
use snn_core::error::Result;
use snn_core::handle::{EgpId, Side, VarId};
use snn_core::ir::IrType;
use snn_core::sim::access;
use snn_core::var::VarArray;

impl<D: Device> GpuSimulation<D> {
    /// The buffer holding `var` and its element type.
    fn var_buffer(&self, var: VarId) -> (usize, IrType) {
        let (field, _) = access::var_field(&self.net, var);
        let ty = field.map_or(IrType::Scalar, |f| f.ty); // `in_syn` has no field
        let id = match var {
            VarId::Neuron { pop, var } => self.plan.populations[pop.0 as usize].vars[var],
            VarId::Synapse { group, var } => self.plan.groups[group.0 as usize].wu_vars[var],
            VarId::Postsynaptic { group, var } => self.plan.groups[group.0 as usize].psm_vars[var],
            VarId::CurrentSource { source, var } => {
                self.plan.current_sources[source.0 as usize][var]
            }
            VarId::Side { group, side, var } => {
                let gb = &self.plan.groups[group.0 as usize];
                match side {
                    Side::Pre => gb.pre_vars[var],
                    Side::Post => gb.post_vars[var],
                }
            }
        };
        (id, ty)
    }

    /// The values of `var` (checked to belong to this network).
    pub(super) fn read_values(&self, var: VarId) -> Result<Vec<f64>> {
        let (id, ty) = self.var_buffer(var);
        let all = self.read_var(id, ty)?.to_f64();
        match var {
            VarId::Synapse { group, .. } => {
                let gi = group.0 as usize;
                let lens = self.row_lengths(gi)?;
                let positions = ragged_positions(&lens, self.plan.groups[gi].max_row);
                Ok(positions.map(|i| all[i]).collect())
            }
            _ => Ok(all),
        }
    }

    /// Overwrites `var` (checked to belong to this network) with `values`.
    pub(super) fn write_values(&mut self, var: VarId, values: &[f64]) -> Result<()> {
        let (id, ty) = self.var_buffer(var);
        let arr = match var {
            VarId::Synapse { group, .. } => {
                let gi = group.0 as usize;
                let lens = self.row_lengths(gi)?;
                let n_syn = lens.iter().map(|&l| l as usize).sum();
                access::check_values(&self.net, var, n_syn, values)?;
                let mut arr = self.read_var(id, ty)?;
                let positions = ragged_positions(&lens, self.plan.groups[gi].max_row);
                for (pos, &v) in positions.zip(values) {
                    arr.set_f64(pos, v);
                }
                arr
            }
            _ => {
                let n = self.plan.buffers[id].len;
                access::check_values(&self.net, var, n, values)?;
                let mut arr = VarArray::zeros(ty, self.net.precision(), values.len());
                for (i, &v) in values.iter().enumerate() {
                    arr.set_f64(i, v);
                }
                arr
            }
        };
        self.write_var(id, &arr)
    }

    /// Overwrites extra global parameter `egp` with `values`, in every
    /// device copy of it.
    pub(super) fn write_egp_values(&self, egp: EgpId, values: &[f64]) -> Result<()> {
        access::check_egp_values(&self.net, egp, values)?;
        self.write_egp_copies(egp.part, egp.index, values)
    }
}
