//! Which path runs a block's neuron update: the lane form of the model's
//! code (`snn_core::lanes`, sixteen neurons per call) or the scalar
//! methods. Both give the same bits, so the choice is only about speed:
//! the lane form wins where every lane does the same work (HH, AdEx: 4 to
//! 16 times faster) or where a few lanes loop much longer than the others
//! (they are spilled and run again gathered, `snn_core::lanes::SPILL_AFTER`),
//! and can lose where the compiler already vectorised the scalar loop (LIF,
//! Izhikevich) or trip counts differ evenly. With [`VectorPath::Auto`] each block
//! times both paths on a few steps and keeps the faster, and times them
//! again after [`FIRST_HOLD`] to [`RECHECK`] steps (activity changes which
//! one wins: a quiet network keeps an adaptive solver's lanes in step).

use std::time::Duration;

/// How the CPU backend runs neuron models that have a lane form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VectorPath {
    /// Each block times both paths on 8 steps each (alternating, after one
    /// warm-up step of each) and keeps the faster for the next 64 steps,
    /// twice as many each time the choice stands, up to 2048 (the default).
    #[default]
    Auto,
    /// Always the lane form.
    Always,
    /// Always the scalar methods.
    Never,
}

/// Timed steps of each path before [`VectorPath::Auto`] chooses.
pub(crate) const TRIALS: u32 = 8;

/// Steps a choice of [`VectorPath::Auto`] holds at most before both paths
/// are timed again: [`FIRST_HOLD`] after a change of path, twice as many
/// each time it stands.
pub(crate) const RECHECK: u32 = 2048;

/// Steps a new choice holds before it is checked.
pub(crate) const FIRST_HOLD: u32 = 64;

/// A block's choice under [`VectorPath::Auto`]: the steps timed so far and
/// their total time per path (index 0: scalar, 1: lanes), and the choice
/// with the steps it has held.
#[derive(Clone, Debug, Default)]
pub(crate) struct PathChoice {
    steps: [u32; 2],
    time: [Duration; 2],
    chosen: Option<(bool, u32)>,
    /// The previous choice and how long the current one holds.
    last: Option<bool>,
    hold: u32,
}

impl PathChoice {
    /// Whether this step runs the lane form under `mode`.
    pub(crate) fn lanes(&self, mode: VectorPath) -> bool {
        match mode {
            VectorPath::Always => true,
            VectorPath::Never => false,
            VectorPath::Auto => match self.chosen {
                Some((lanes, _)) => lanes,
                None => self.steps[1] <= self.steps[0],
            },
        }
    }

    /// True when this step under `mode` is to be timed and
    /// [`record`](Self::record)ed: [`VectorPath::Auto`] without a choice.
    /// Counts the steps a choice has held, dropping it after [`RECHECK`].
    pub(crate) fn timing(&mut self, mode: VectorPath) -> bool {
        if mode != VectorPath::Auto {
            return false;
        }
        match &mut self.chosen {
            Some((_, held)) if *held < self.hold => {
                *held += 1;
                false
            }
            Some(_) => {
                self.steps = [0; 2];
                self.time = [Duration::ZERO; 2];
                self.chosen = None;
                true
            }
            None => true,
        }
    }

    /// Records a timed step of the `lanes` path; chooses once both paths
    /// have their trials (the first step of each is a warm-up, not counted).
    pub(crate) fn record(&mut self, lanes: bool, took: Duration) {
        let k = lanes as usize;
        if self.steps[k] > 0 {
            self.time[k] += took;
        }
        self.steps[k] += 1;
        if self.steps.iter().all(|&n| n > TRIALS) {
            let lanes = self.time[1] <= self.time[0];
            // A choice that stands is rechecked less and less often.
            self.hold = match self.last {
                Some(last) if last == lanes => (2 * self.hold).clamp(FIRST_HOLD, RECHECK),
                _ => FIRST_HOLD,
            };
            self.last = Some(lanes);
            self.chosen = Some((lanes, 0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_alternates_then_keeps_the_faster_path() {
        for (scalar_us, lanes_us, want) in [(10, 3, true), (5, 9, false)] {
            let mut c = PathChoice::default();
            let mut runs = Vec::new();
            while c.timing(VectorPath::Auto) {
                let lanes = c.lanes(VectorPath::Auto);
                runs.push(lanes);
                let us = if lanes { lanes_us } else { scalar_us };
                c.record(lanes, Duration::from_micros(us));
            }
            assert_eq!(runs.len() as u32, 2 * (TRIALS + 1));
            assert_eq!(runs[..4], [true, false, true, false]);
            assert_eq!(c.lanes(VectorPath::Auto), want);
            assert!(c.lanes(VectorPath::Always) && !c.lanes(VectorPath::Never));
            // The first choice holds FIRST_HOLD steps, then both are timed again.
            for _ in 1..FIRST_HOLD {
                assert!(!c.timing(VectorPath::Auto));
                assert_eq!(c.lanes(VectorPath::Auto), want);
            }
            assert!(c.timing(VectorPath::Auto) && c.lanes(VectorPath::Auto));
        }
    }
}
