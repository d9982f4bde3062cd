//! Variables and extra global parameters by handle ([`VarId`], [`EgpId`]):
//! gathered from and scattered into the blocks.

use super::{to_scalars, value_at, CpuState};
use snn_core::error::Result;
use snn_core::handle::{EgpId, EgpPart, Side, VarId};
use snn_core::native::CpuReal;
use snn_core::sim::access;

impl<S: CpuReal> CpuState<S> {
    /// The values of `var` (checked to belong to this network).
    pub(super) fn read(&self, var: VarId) -> Vec<f64> {
        match var {
            VarId::Neuron { pop, var } => {
                let blocks = self.pop_blocks(pop.0 as usize);
                blocks.iter().flat_map(|b| b.vars[var].to_f64()).collect()
            }
            VarId::Synapse { group, var } => {
                let mut out = Vec::new();
                self.for_each_synapse(group.0 as usize, |_, bi, ii, pos| {
                    out.push(value_at(&self.blocks[bi].incoming[ii].wu_vars[var], pos))
                });
                out
            }
            VarId::Postsynaptic { group, var } => {
                let gi = group.0 as usize;
                let (post, t) = (self.plan.groups[gi].post, self.plan.groups[gi].input);
                let input = |b: &super::Block<S>| {
                    let psm = b.psms.iter().find(|p| p.target == t);
                    psm.expect("every block of the target holds its input")
                        .psm_vars[var]
                        .to_f64()
                };
                self.pop_blocks(post).iter().flat_map(input).collect()
            }
            VarId::CurrentSource { source, var } => {
                let si = source.0 as usize;
                let of = |b: &super::Block<S>| {
                    let sb = b.sources.iter().find(|sb| sb.source == si);
                    sb.expect("every block of the target holds the source").vars[var].to_f64()
                };
                self.pop_blocks(self.plan.sources[si].target)
                    .iter()
                    .flat_map(of)
                    .collect()
            }
            VarId::Side { group, side, var } => {
                let sd = &self.sides[group.0 as usize];
                match side {
                    Side::Pre => sd.pre_vars[var].to_f64(),
                    Side::Post => sd.post_vars[var].to_f64(),
                }
            }
        }
    }

    /// Overwrites `var` (checked to belong to this network) with `values`.
    pub(super) fn write(&mut self, var: VarId, values: &[f64]) -> Result<()> {
        access::check_values(&self.net, var, self.var_len(var), values)?;
        match var {
            VarId::Neuron { pop, var } => {
                let pi = pop.0 as usize;
                for b in &mut self.blocks[self.pop_blocks[pi]..self.pop_blocks[pi + 1]] {
                    for i in 0..b.len as usize {
                        b.vars[var].set_f64(i, values[b.start as usize + i]);
                    }
                }
                self.refresh_copies(pi, Some(var));
            }
            VarId::Synapse { group, var } => {
                let mut targets: Vec<(usize, usize, usize)> = Vec::new();
                self.for_each_synapse(group.0 as usize, |_, bi, ii, pos| {
                    targets.push((bi, ii, pos))
                });
                for (&(bi, ii, pos), &v) in targets.iter().zip(values) {
                    self.blocks[bi].incoming[ii].wu_vars[var].set_f64(pos, v);
                }
            }
            VarId::CurrentSource { source, var } => {
                let (si, target) = (
                    source.0 as usize,
                    self.plan.sources[source.0 as usize].target,
                );
                for b in &mut self.blocks[self.pop_blocks[target]..self.pop_blocks[target + 1]] {
                    let start = b.start as usize;
                    let sb = b.sources.iter_mut().find(|sb| sb.source == si);
                    let sb = sb.expect("every block of the target holds the source");
                    for i in 0..b.len as usize {
                        sb.vars[var].set_f64(i, values[start + i]);
                    }
                }
            }
            VarId::Postsynaptic { .. } | VarId::Side { .. } => {
                unreachable!("check_values refuses variables that cannot be written")
            }
        }
        Ok(())
    }

    /// How many values `var` has.
    fn var_len(&self, var: VarId) -> usize {
        let size = |pi: usize| self.net.populations()[pi].size as usize;
        match var {
            VarId::Neuron { pop, .. } => size(pop.0 as usize),
            VarId::Synapse { group, .. } => {
                let mut n = 0;
                self.for_each_row_part(group.0 as usize, |_, _, _, r| n += r.len());
                n
            }
            VarId::Postsynaptic { group, .. } => size(self.plan.groups[group.0 as usize].post),
            VarId::CurrentSource { source, .. } => {
                size(self.plan.sources[source.0 as usize].target)
            }
            VarId::Side { group, side, .. } => {
                let g = &self.plan.groups[group.0 as usize];
                size(if side == Side::Pre { g.pre } else { g.post })
            }
        }
    }

    /// Overwrites extra global parameter `egp` with `values`.
    pub(super) fn write_egp(&mut self, egp: EgpId, values: &[f64]) -> Result<()> {
        access::check_egp_values(&self.net, egp, values)?;
        let k = egp.index;
        let dst = match egp.part {
            EgpPart::Population(p) => &mut self.pops[p.0 as usize].egps[k],
            EgpPart::SynapseGroup(g) => &mut self.groups[g.0 as usize].wu_egps[k],
            EgpPart::CurrentSource(s) => &mut self.sources[s.0 as usize].egps[k],
        };
        *dst = to_scalars(values);
        Ok(())
    }
}
