//! The buffers of populations, synapse groups and current sources (see
//! the module docs' "Buffers").

use super::generator::{buffer_type, Generator};
use super::{
    BufferId, ColumnBuffers, Contents, EventBuffers, EventQueue, GenerateError, GroupBuffers,
    PopulationBuffers, SpikeTimeBuffers,
};
use crate::cgen::CType;
use snn_core::model::FieldKind;

/// `a * b` if it fits the kernels' 32-bit indices.
fn checked_len(a: u32, b: usize) -> Option<usize> {
    (a as usize)
        .checked_mul(b)
        .filter(|&l| l <= u32::MAX as usize)
}

/// The buffers shared by every population and group.
#[derive(Clone, Copy)]
pub(super) struct SharedBuffers {
    /// The spike and event counts of every queue.
    pub(super) spike_counts: BufferId,
    /// Delay overflows, [`super::ERROR_WORDS`] per synapse group.
    pub(super) errors: BufferId,
}

/// The longest rows (and columns, if known) of every synapse group.
#[derive(Clone, Copy)]
pub(super) struct Lengths<'a> {
    /// `max_row_lengths[g]`, see [`super::generate`].
    pub(super) rows: &'a [u32],
    /// `max_col_lengths[g]`, see [`super::generate_with_columns`].
    pub(super) cols: Option<&'a [u32]>,
}

/// One synapse group while its buffers are allocated.
struct GroupDims {
    /// Index of the group.
    gi: usize,
    /// `synapse group `<name>``, for buffer names and errors.
    owner: String,
    /// Presynaptic population size.
    n_pre: u32,
    /// Postsynaptic population size.
    n_post: u32,
}

/// The postsynaptic input of a group: `in_syn` and the postsynaptic
/// variables, and the dendritic-delay ring.
type TargetBuffers = (Vec<BufferId>, Option<BufferId>);

impl Generator<'_> {
    /// The spike-count buffer (sized for every spike and event queue) and
    /// the delay overflow flags.
    pub(super) fn shared_buffers(&mut self) -> SharedBuffers {
        // Spike queues, then event queues, share the count buffer.
        let total_slots: u32 = self
            .plan
            .populations
            .iter()
            .map(|p| p.spike_slots)
            .sum::<u32>()
            + self
                .plan
                .groups
                .iter()
                .map(|gp| gp.event_slots)
                .sum::<u32>();
        let spike_counts = self.buffer(
            "spike counts".into(),
            CType::U32,
            total_slots as usize,
            Contents::Zero,
        );
        let errors = self.buffer(
            "delay overflows".into(),
            CType::U32,
            super::ERROR_WORDS * self.net.synapse_groups().len().max(1),
            Contents::Zero,
        );
        SharedBuffers {
            spike_counts,
            errors,
        }
    }

    /// Every population's buffers, its spike counts from `*offset` on
    /// (advanced past them), `chunk` steps of spike recording.
    pub(super) fn population_buffers(
        &mut self,
        chunk: u32,
        offset: &mut u32,
    ) -> Result<Vec<PopulationBuffers>, GenerateError> {
        let net = self.net;
        let scalar_t = self.scalar_type();
        let mut populations = Vec::new();
        for (pi, pop) in net.populations().iter().enumerate() {
            let owner = format!("population `{}`", pop.name);
            let vars = self.var_buffers(&pop.part, &owner, "variable", pop.size as usize, |k| {
                Contents::NeuronVar { pop: pi, var: k }
            });
            let slots = self.plan.populations[pi].spike_slots;
            let n = pop.size as usize;
            let spk_len = checked_len(slots, n).ok_or_else(|| {
                GenerateError::TooLarge(format!(
                    "{owner}: spike queue of {slots} x {n} entries exceeds 2^32"
                ))
            })?;
            let spk = self.buffer(
                format!("{owner}: spike queue"),
                CType::U32,
                spk_len,
                Contents::Zero,
            );
            let recording = pop.record_spikes.then(|| {
                self.buffer(
                    format!("{owner}: spike recording"),
                    CType::U32,
                    chunk as usize * n.div_ceil(32),
                    Contents::Zero,
                )
            });
            let spike_times =
                self.plan.populations[pi]
                    .spike_times_read
                    .then(|| SpikeTimeBuffers {
                        st: self.buffer(
                            format!("{owner}: spike times"),
                            scalar_t,
                            n,
                            Contents::NoSpike,
                        ),
                        prev_st: self.buffer(
                            format!("{owner}: previous spike times"),
                            scalar_t,
                            n,
                            Contents::NoSpike,
                        ),
                    });
            populations.push(PopulationBuffers {
                vars,
                spk,
                count_offset: *offset,
                slots,
                recording,
                spike_times,
            });
            *offset += slots;
        }
        Ok(populations)
    }

    /// Every synapse group's buffers, its event counts (if any) from
    /// `*offset` on (advanced past them).
    pub(super) fn group_buffers(
        &mut self,
        lengths: Lengths<'_>,
        offset: &mut u32,
    ) -> Result<Vec<GroupBuffers>, GenerateError> {
        let net = self.net;
        let mut targets: Vec<TargetBuffers> = Vec::new();
        let mut groups = Vec::new();
        for (gi, sg) in net.synapse_groups().iter().enumerate() {
            let d = GroupDims {
                gi,
                owner: format!("synapse group `{}`", sg.name),
                n_pre: net.population(sg.pre).size,
                n_post: net.population(sg.post).size,
            };
            let max_row = lengths.rows[gi].max(1);
            let (row_length, ind, wu_vars) = self.ragged_buffers(&d, max_row)?;
            let (psm_vars, ring) = self.target_buffers(&d, &mut targets);
            let pre_vars = self.side_buffers(&d, FieldKind::PreVar, d.n_pre);
            let post_vars = self.side_buffers(&d, FieldKind::PostVar, d.n_post);
            let events = self.event_buffers(&d, offset)?;
            let columns = self.column_buffers(&d, lengths.cols)?;
            groups.push(GroupBuffers {
                row_length,
                ind,
                max_row,
                wu_vars,
                psm_vars,
                ring,
                pre_vars,
                post_vars,
                events,
                columns,
            });
        }
        Ok(groups)
    }

    /// The ragged rows of a group: row lengths, targets and the
    /// weight-update variables, `max_row` slots a row.
    fn ragged_buffers(
        &mut self,
        d: &GroupDims,
        max_row: u32,
    ) -> Result<(BufferId, BufferId, Vec<BufferId>), GenerateError> {
        let (gi, owner, n_pre) = (d.gi, &d.owner, d.n_pre);
        let sg = &self.net.synapse_groups()[gi];
        let ragged = checked_len(n_pre, max_row as usize).ok_or_else(|| {
            GenerateError::TooLarge(format!(
                "{owner}: {n_pre} rows x {max_row} (longest row) synapse slots exceed 2^32"
            ))
        })?;
        let row_length = self.buffer(
            format!("{owner}: row lengths"),
            CType::U32,
            n_pre as usize,
            Contents::RowLength(gi),
        );
        let ind = self.buffer(
            format!("{owner}: targets"),
            CType::U32,
            ragged,
            Contents::Ind(gi),
        );
        let wu_vars = self.var_buffers(&sg.wu, owner, "weight-update variable", ragged, |k| {
            Contents::SynapseVar { group: gi, var: k }
        });
        Ok((row_length, ind, wu_vars))
    }

    /// The postsynaptic input of a group: the group's own, or shared with
    /// the groups fused with it (allocated with the target's first group,
    /// pushed onto `targets`, indexed by target).
    fn target_buffers(&mut self, d: &GroupDims, targets: &mut Vec<TargetBuffers>) -> TargetBuffers {
        let (gi, owner, n_post) = (d.gi, &d.owner, d.n_post as usize);
        let net = self.net;
        let sg = &net.synapse_groups()[gi];
        let scalar_t = self.scalar_type();
        let t = self.plan.groups[gi].input;
        let ring_slots = self.plan.inputs[t].ring_slots;
        if self.plan.inputs[t].groups[0] == gi {
            let mut vars = vec![self.buffer(
                format!("{owner}: in_syn"),
                scalar_t,
                n_post,
                Contents::PostsynapticVar { group: gi, var: 0 },
            )];
            vars.extend(
                self.var_buffers(&sg.psm, owner, "postsynaptic variable", n_post, |k| {
                    Contents::PostsynapticVar {
                        group: gi,
                        var: k + 1,
                    }
                }),
            );
            let ring = (ring_slots > 0).then(|| {
                self.buffer(
                    format!("{owner}: dendritic-delay ring"),
                    scalar_t,
                    ring_slots as usize * n_post,
                    Contents::Zero,
                )
            });
            targets.push((vars, ring));
        }
        targets[t].clone()
    }

    /// The weight-update model's `#[pre_var]`s (`kind` [`FieldKind::PreVar`])
    /// or `#[post_var]`s, `n` elements each.
    fn side_buffers(&mut self, d: &GroupDims, kind: FieldKind, n: u32) -> Vec<BufferId> {
        let (gi, owner, p) = (d.gi, &d.owner, self.p);
        let m = self.net.synapse_groups()[gi].wu.model;
        m.fields_of(kind)
            .enumerate()
            .map(|(k, f)| {
                let (what, contents) = if kind == FieldKind::PreVar {
                    ("presynaptic", Contents::PreVar { group: gi, var: k })
                } else {
                    ("postsynaptic", Contents::PostVar { group: gi, var: k })
                };
                self.buffer(
                    format!("{owner}: {what} variable `{}`", f.name),
                    buffer_type(f.ty, p),
                    n as usize,
                    contents,
                )
            })
            .collect()
    }

    /// Event times of a group that needs them, and its event queue (counts
    /// at `*offset`, advanced past them) where `on_pre_event` consumes it.
    fn event_buffers(
        &mut self,
        d: &GroupDims,
        offset: &mut u32,
    ) -> Result<Option<EventBuffers>, GenerateError> {
        let (owner, n_pre) = (&d.owner, d.n_pre);
        let scalar_t = self.scalar_type();
        let gp = &self.plan.groups[d.gi];
        let event_slots = gp.event_slots;
        if !gp.event_times {
            return Ok(None);
        }
        let set = self.buffer(
            format!("{owner}: event times"),
            scalar_t,
            n_pre as usize,
            Contents::NoSpike,
        );
        let prev_set = self.buffer(
            format!("{owner}: previous event times"),
            scalar_t,
            n_pre as usize,
            Contents::NoSpike,
        );
        let queue = if event_slots > 0 {
            let slots = event_slots;
            let len = checked_len(slots, n_pre as usize).ok_or_else(|| {
                GenerateError::TooLarge(format!(
                    "{owner}: event queue of {slots} x {n_pre} entries exceeds 2^32"
                ))
            })?;
            let spk = self.buffer(
                format!("{owner}: event queue"),
                CType::U32,
                len,
                Contents::Zero,
            );
            let q = EventQueue {
                spk,
                count_offset: *offset,
                slots,
            };
            *offset += slots;
            Some(q)
        } else {
            None
        };
        Ok(Some(EventBuffers {
            set,
            prev_set,
            queue,
        }))
    }

    /// The column-wise view of a group with `on_post_spike`, `cols[g]`
    /// (else `n_pre`) slots a column.
    fn column_buffers(
        &mut self,
        d: &GroupDims,
        cols: Option<&[u32]>,
    ) -> Result<Option<ColumnBuffers>, GenerateError> {
        let (gi, owner, n_pre, n_post) = (d.gi, &d.owner, d.n_pre, d.n_post);
        if !self.plan.groups[gi].methods.on_post_spike {
            return Ok(None);
        }
        let max_col = cols.map_or(n_pre, |c| c[gi]).max(1);
        let len = checked_len(n_post, max_col as usize).ok_or_else(|| {
            GenerateError::TooLarge(format!(
                "{owner}: {n_post} columns x {max_col} (longest column) synapse slots exceed 2^32"
            ))
        })?;
        Ok(Some(ColumnBuffers {
            col_length: self.buffer(
                format!("{owner}: column lengths"),
                CType::U32,
                n_post as usize,
                Contents::ColLength(gi),
            ),
            col_ind: self.buffer(
                format!("{owner}: column-wise synapses"),
                CType::U32,
                len,
                Contents::ColInd(gi),
            ),
            max_col,
        }))
    }

    /// Every current source's variables (`[N]` of its target each).
    pub(super) fn current_source_buffers(&mut self) -> Vec<Vec<BufferId>> {
        let net = self.net;
        let mut current_sources = Vec::new();
        for (si, cs) in net.current_sources().iter().enumerate() {
            let owner = format!("current source `{}`", cs.name);
            let n = net.population(cs.target).size as usize;
            current_sources.push(self.var_buffers(&cs.part, &owner, "variable", n, |k| {
                Contents::CurrentSourceVar { source: si, var: k }
            }));
        }
        current_sources
    }
}
