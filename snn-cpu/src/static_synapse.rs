//! The fast path of static synapses: weight-update models whose
//! `on_pre_spike` only adds one synapse variable to the target's input,
//! now (`env.add_to_post(self.g)`, as [`StaticPulse`](snn_core::builtin::StaticPulse))
//! or after a per-synapse dendritic delay
//! (`env.add_to_post_delay(self.g, self.d)`, as
//! [`StaticPulseDendriticDelay`](snn_core::builtin::StaticPulseDendriticDelay)).
//!
//! Such a body is recognised once per synapse group from its translated
//! form ([`StaticAddition::of`]). A presynaptic spike then costs, per
//! synapse, the index arithmetic and one queued addition, without building
//! the model's state and environment (about half of the full microcircuit's
//! simulation time is this loop). The additions are the ones the model code
//! makes, queued in the same order into the same [`PendingAdds`], so the
//! results are bit-identical to the generic loop (`snn/tests/it/static_synapse.rs`
//! runs both side by side).

use snn_core::dsl::{EnvCall, Method};
use snn_core::ir::{Expr, IrType, Stmt};
use snn_core::model::{DelaySteps, FieldKind, ModelDesc, PendingAdds};
use snn_core::real::Real;
use snn_core::var::{prefetch, VarArray};

/// What a recognised `on_pre_spike` adds: the weight, and the dendritic
/// delay when it has one (indices among the model's `#[var]`s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StaticAddition {
    /// The `Scalar` variable added to the target's input.
    pub weight: usize,
    /// The `u8` / `u16` / `u32` variable giving the delay in steps
    /// (`add_to_post_delay`); `None` for `add_to_post`.
    pub delay: Option<usize>,
}

impl StaticAddition {
    /// Recognises a model whose `on_pre_spike` is exactly one
    /// `env.add_to_post(self.w)` or `env.add_to_post_delay(self.w, self.d)`
    /// on its own synapse variables (`w` of type `Scalar`, `d` an unsigned
    /// integer); `None` for anything else, which runs the model code.
    pub fn of(m: &ModelDesc) -> Option<StaticAddition> {
        let body = m.method(Method::OnPreSpike)?.body;
        let call: &Expr = match (body.stmts, body.tail) {
            ([Stmt::Expr(e)], None) => e,
            ([], Some(e)) => e,
            _ => return None,
        };
        let Expr::Env(call, args) = call else {
            return None;
        };
        let var = |e: &Expr, types: &[IrType]| -> Option<usize> {
            let Expr::Field(f) = e else { return None };
            let i = m.index_of(FieldKind::Var, f)?;
            types.contains(&m.nth(FieldKind::Var, i)?.ty).then_some(i)
        };
        let weight = |e| var(e, &[IrType::Scalar]);
        match (*call, *args) {
            (EnvCall::AddToPost, [w]) => Some(StaticAddition {
                weight: weight(w)?,
                delay: None,
            }),
            (EnvCall::AddToPostDelay, [w, d]) => Some(StaticAddition {
                weight: weight(w)?,
                delay: Some(var(d, &[IrType::U8, IrType::U16, IrType::U32])?),
            }),
            _ => None,
        }
    }
}

/// One block's presynaptic spikes into one synapse group, and where
/// their additions go.
pub(crate) struct StaticRows<'a, S> {
    /// Presynaptic spikes (ascending).
    pub spikes: &'a [u32],
    /// Block sub-matrix rows: synapses of row `i` are `row_ptr[i]..row_ptr[i + 1]`.
    pub row_ptr: &'a [u32],
    /// Block-relative target of each synapse.
    pub ind: &'a [u16],
    /// Targets in the block (`in_syn.len()`).
    pub len: u32,
    /// The dendritic-delay ring (slot-major) when `ring_slots > 0`, else `in_syn`.
    pub target: &'a mut [S],
    pub ring_slots: u32,
    /// The ring slot of this step's additions without delay
    /// ([`ring_head`](snn_core::native::ring_head)).
    pub head: u32,
    pub pending: &'a mut PendingAdds<S>,
}

impl<S: Real> StaticRows<'_, S> {
    /// Queues the additions of every synapse of the spiking rows, as the
    /// model code would; returns the largest delay that did not fit the
    /// ring (such synapses add nothing, as in the model code), if any.
    pub fn run(self, add: StaticAddition, wu_vars: &[VarArray]) -> Option<u32> {
        let weight = wu_vars[add.weight].slice();
        let weight = S::column_ref(&weight, self.ind.len());
        let Some(d) = add.delay else {
            self.undelayed(weight);
            return None;
        };
        match &wu_vars[d] {
            VarArray::U8(d) => self.delayed(weight, d),
            VarArray::U16(d) => self.delayed(weight, d),
            VarArray::U32(d) => self.delayed(weight, d),
            _ => unreachable!("StaticAddition::of admits u8, u16 and u32 delays only"),
        }
    }

    /// `add_to_post(w)`: into the ring's current slot, or `in_syn`.
    fn undelayed(self, weight: &[S]) {
        let base = self.head * self.len;
        let ahead = |lo: usize, hi: usize| {
            prefetch_range(self.ind, lo, hi);
            prefetch_range(weight, lo, hi);
        };
        for_each_row(self.spikes, self.row_ptr, ahead, |lo, hi| {
            let adds = self.ind[lo..hi].iter().zip(&weight[lo..hi]);
            let adds = adds.map(|(&j, &x)| (base + j as u32, x));
            self.pending.extend(self.target, adds);
        });
    }

    /// `add_to_post_delay(w, d)`: into ring slot `head + d` (modulo the slots).
    fn delayed<D: DelaySteps>(self, weight: &[S], delay: &[D]) -> Option<u32> {
        let (head, slots, len) = (self.head, self.ring_slots, self.len);
        // head < slots and d < slots: one conditional subtraction.
        let slot = |d: u32| {
            let s = head + d;
            if s >= slots {
                s - slots
            } else {
                s
            }
        };
        let ahead = |lo: usize, hi: usize| {
            prefetch_range(self.ind, lo, hi);
            prefetch_range(weight, lo, hi);
            prefetch_range(delay, lo, hi);
        };
        let mut overflow = None;
        for_each_row(self.spikes, self.row_ptr, ahead, |lo, hi| {
            let (ind, weight, delay) = (&self.ind[lo..hi], &weight[lo..hi], &delay[lo..hi]);
            let Some(longest) = delay.iter().map(|d| d.steps()).max() else {
                return;
            };
            let adds = ind.iter().zip(weight).zip(delay);
            if longest < slots {
                self.pending.extend(
                    self.target,
                    adds.map(|((&j, &x), &d)| (slot(d.steps()) * len + j as u32, x)),
                );
            } else {
                // Some delays do not fit: the others still add, as in the model code.
                overflow = overflow.max(Some(longest));
                for ((&j, &x), &d) in adds {
                    if d.steps() < slots {
                        self.pending
                            .push(self.target, slot(d.steps()) * len + j as u32, x);
                    }
                }
            }
        });
        overflow
    }
}

/// Calls `f(lo, hi)` with the synapse range of each spiking row, in spike
/// order. Rows are short runs at scattered places, too short for the
/// hardware prefetcher: while one runs, `ahead(lo, hi)` brings in the
/// whole next one, and the row pointer two spikes ahead is prefetched.
#[inline(always)]
fn for_each_row(
    spikes: &[u32],
    row_ptr: &[u32],
    ahead: impl Fn(usize, usize),
    mut f: impl FnMut(usize, usize),
) {
    let range = |pre: u32| {
        (
            row_ptr[pre as usize] as usize,
            row_ptr[pre as usize + 1] as usize,
        )
    };
    for (s, &pre) in spikes.iter().enumerate() {
        if let Some(&far) = spikes.get(s + 2) {
            prefetch(row_ptr, far as usize);
        }
        if let Some(&next) = spikes.get(s + 1) {
            let (lo, hi) = range(next);
            ahead(lo, hi);
        }
        let (lo, hi) = range(pre);
        f(lo, hi);
    }
}

/// Prefetches the cache lines of `slice[lo..hi]`.
#[inline(always)]
fn prefetch_range<T>(slice: &[T], lo: usize, hi: usize) {
    let step = (64 / std::mem::size_of::<T>()).max(1);
    let mut k = lo;
    while k < hi {
        prefetch(slice, k);
        k += step;
    }
    // The last line, when `lo` is not line-aligned.
    if hi > lo {
        prefetch(slice, hi - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::{StaticAddition, StaticRows};
    use snn_core::builtin::{StaticPulse, StaticPulseDendriticDelay, StdpAdditive};
    use snn_core::model::{Model, PendingAdds};
    use snn_core::prelude::*;
    use snn_core::var::VarArray;

    /// The body as a tail expression, delay before weight: recognised.
    #[weight_update_model]
    pub struct TailForm {
        #[var]
        d: u16,
        #[var]
        w: Scalar,
    }
    #[weight_update_model]
    impl TailForm {
        fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
            env.add_to_post_delay(self.w, self.d)
        }
    }

    /// An expression of the weight: not recognised.
    #[weight_update_model]
    pub struct Scaled {
        #[var]
        g: Scalar,
    }
    #[weight_update_model]
    impl Scaled {
        fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
            env.add_to_post(self.g * 1.0);
        }
    }

    /// Neither recognised: a parameter as the weight (below: an `f32`
    /// weight, an `i32` delay, a second statement).
    #[weight_update_model]
    pub struct ParamWeight {
        #[param]
        pub w: Scalar,
    }
    #[weight_update_model]
    impl ParamWeight {
        fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
            env.add_to_post(self.w);
        }
    }
    #[weight_update_model]
    pub struct F32Weight {
        #[var]
        g: f32,
    }
    #[weight_update_model]
    impl F32Weight {
        fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
            env.add_to_post(self.g as Scalar);
        }
    }
    #[weight_update_model]
    pub struct SignedDelay {
        #[var]
        g: Scalar,
        #[var]
        d: i32,
    }
    #[weight_update_model]
    impl SignedDelay {
        fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
            env.add_to_post_delay(self.g, self.d);
        }
    }
    #[weight_update_model]
    pub struct TwoStatements {
        #[var]
        g: Scalar,
    }
    #[weight_update_model]
    impl TwoStatements {
        fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
            env.add_to_post(self.g);
            env.add_to_post(self.g);
        }
    }

    #[test]
    fn recognises_exactly_one_addition_of_a_synapse_variable() {
        let add = |weight, delay| Some(StaticAddition { weight, delay });
        assert_eq!(StaticAddition::of(StaticPulse::DESC), add(0, None));
        assert_eq!(
            StaticAddition::of(StaticPulseDendriticDelay::DESC),
            add(0, Some(1))
        );
        assert_eq!(StaticAddition::of(TailForm::DESC), add(1, Some(0)));
        for desc in [
            StdpAdditive::DESC,
            Scaled::DESC,
            ParamWeight::DESC,
            F32Weight::DESC,
            SignedDelay::DESC,
            TwoStatements::DESC,
        ] {
            assert_eq!(StaticAddition::of(desc), None, "{}", desc.name);
        }
    }

    /// What the model code does: per synapse in row order, `add_to_post`
    /// or `add_to_post_delay` (skipping delays beyond the ring).
    fn reference(
        rows: &[Vec<(u16, f32, u32)>],
        spikes: &[u32],
        delayed: bool,
        slots: u32,
        len: u32,
        step: u64,
    ) -> (Vec<f32>, Option<u32>) {
        let head = if slots > 0 {
            (step % slots as u64) as u32
        } else {
            0
        };
        let mut target = vec![0f32; (slots.max(1) * len) as usize];
        let mut overflow = None;
        for &pre in spikes {
            for &(j, w, d) in &rows[pre as usize] {
                let d = if delayed { d } else { 0 };
                if delayed && d >= slots {
                    overflow = overflow.max(Some(d));
                    continue;
                }
                let slot = if slots > 0 { (head + d) % slots } else { 0 };
                target[(slot * len + j as u32) as usize] += w;
            }
        }
        (target, overflow)
    }

    #[test]
    fn rows_add_like_the_model_code_and_report_delays_beyond_the_ring() {
        // Rows of (target, weight, delay); row 1 is empty, row 3 has a
        // multapse and a delay (9) beyond a 6-slot ring.
        let rows: Vec<Vec<(u16, f32, u32)>> = vec![
            vec![(0, 1.0, 0), (1, 2.0, 5), (1, 4.0, 2)],
            vec![],
            vec![(2, 8.0, 1), (0, 16.0, 3)],
            vec![(2, 0.1, 4), (2, 0.7, 4), (1, 32.0, 9), (0, 1e7, 4)],
        ];
        let mut row_ptr = vec![0u32];
        for r in &rows {
            row_ptr.push(row_ptr.last().unwrap() + r.len() as u32);
        }
        let ind: Vec<u16> = rows.iter().flatten().map(|s| s.0).collect();
        let wu_vars = [
            VarArray::F32(rows.iter().flatten().map(|s| s.1).collect()),
            VarArray::U8(rows.iter().flatten().map(|s| s.2 as u8).collect()),
        ];
        let len = 3;
        for (delay, slots) in [
            (None, 0),
            (None, 6),
            (Some(1), 6),
            (Some(1), 10),
            (Some(1), 0),
        ] {
            for spikes in [&[0u32, 1, 2][..], &[0, 2, 3], &[3]] {
                for step in [0u64, 4, 13] {
                    let mut target = vec![0f32; (slots.max(1) * len) as usize];
                    let mut pending = PendingAdds::default();
                    let overflow = StaticRows {
                        spikes,
                        row_ptr: &row_ptr,
                        ind: &ind,
                        len,
                        target: &mut target,
                        ring_slots: slots,
                        head: snn_core::native::ring_head(step, slots),
                        pending: &mut pending,
                    }
                    .run(StaticAddition { weight: 0, delay }, &wu_vars);
                    pending.apply(&mut target);
                    let want = reference(&rows, spikes, delay.is_some(), slots, len, step);
                    let what =
                        format!("delay {delay:?}, {slots} slots, spikes {spikes:?}, step {step}");
                    assert_eq!(
                        target.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                        want.0.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                        "{what}"
                    );
                    assert_eq!(overflow, want.1, "{what}");
                }
            }
        }
    }
}
