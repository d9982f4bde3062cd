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
//! A clear win is decided after fewer trials and rechecked less often
//! ([`DECISIVE_TRIALS`], [`RECHECK_DECISIVE`]): every trial step of HH's
//! scalar path costs sixteen of its lane form.

use std::time::Duration;

/// How the CPU backend runs model code that has a lane form: neuron
/// models as described per variant; synapse code in lanes under `Auto`
/// and `Always`, on the scalar path under `Never`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VectorPath {
    /// Each block times both paths (alternating, after one warm-up step of
    /// each the first time) and keeps the faster: after 2 timed steps each
    /// where one path takes at most half the time of the other, else after
    /// 8. The choice holds 64 steps, then longer each
    /// time it stands (twice, or four times after a clear win), up to
    /// 2048 steps (16384 after a clear win) (the default).
    #[default]
    Auto,
    /// Always the lane form.
    Always,
    /// Always the scalar methods.
    Never,
}

/// Timed steps of each path before [`VectorPath::Auto`] chooses between
/// paths within a factor of two of each other.
pub(crate) const TRIALS: u32 = 8;

/// Timed steps of each path after which [`VectorPath::Auto`] chooses when
/// one path takes at most half the time of the other (a clear win: HH's
/// lane form is ~16 times faster, and every step of the slower path timed
/// costs as much).
pub(crate) const DECISIVE_TRIALS: u32 = 2;

/// Steps a choice of [`VectorPath::Auto`] holds at most before both paths
/// are timed again: [`FIRST_HOLD`] after a change of path, twice as many
/// each time it stands.
pub(crate) const RECHECK: u32 = 2048;

/// [`RECHECK`] for a choice whose last trial was a clear win; its hold
/// grows four times each time it stands.
pub(crate) const RECHECK_DECISIVE: u32 = 16384;

/// Steps a new choice holds before it is checked.
pub(crate) const FIRST_HOLD: u32 = 64;

/// A block's choice under [`VectorPath::Auto`]: the steps timed so far and
/// their total time per path (index 0: scalar, 1: lanes; the first step of
/// each path ever run is a warm-up, not counted), and the choice with the
/// steps it has held.
#[derive(Clone, Debug, Default)]
pub(crate) struct PathChoice {
    steps: [u32; 2],
    time: [Duration; 2],
    warmed: [bool; 2],
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
                None => match self.warmed {
                    [true, false] => true,
                    [false, true] => false,
                    _ => self.steps[1] <= self.steps[0],
                },
            },
        }
    }

    /// True when this step under `mode` is to be timed and
    /// [`record`](Self::record)ed: [`VectorPath::Auto`] without a choice.
    /// Counts the steps a choice has held, dropping it after its hold.
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
    /// have their trials.
    pub(crate) fn record(&mut self, lanes: bool, took: Duration) {
        let k = lanes as usize;
        if !self.warmed[k] {
            self.warmed[k] = true;
            return;
        }
        self.time[k] += took;
        self.steps[k] += 1;
        let [scalar, lanes] = [0, 1].map(|k| self.time[k] / self.steps[k].max(1));
        let fewest = self.steps[0].min(self.steps[1]);
        let decisive = scalar >= 2 * lanes || lanes >= 2 * scalar;
        if fewest < TRIALS && !(decisive && fewest >= DECISIVE_TRIALS) {
            return;
        }
        let choice = lanes <= scalar;
        // A choice that stands is rechecked less and less often.
        let (grow, most) = if decisive {
            (4, RECHECK_DECISIVE)
        } else {
            (2, RECHECK)
        };
        self.hold = match self.last {
            Some(last) if last == choice => (grow * self.hold).clamp(FIRST_HOLD, most),
            _ => FIRST_HOLD,
        };
        self.last = Some(choice);
        self.chosen = Some((choice, 0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs trials of `c` with steps of `scalar_us` and `lanes_us`
    /// until it chooses; the paths it ran.
    fn trial(c: &mut PathChoice, scalar_us: u64, lanes_us: u64) -> Vec<bool> {
        let mut runs = Vec::new();
        while c.timing(VectorPath::Auto) {
            let lanes = c.lanes(VectorPath::Auto);
            runs.push(lanes);
            let us = if lanes { lanes_us } else { scalar_us };
            c.record(lanes, Duration::from_micros(us));
        }
        runs
    }

    /// Steps the choice of `c` holds (it must stay `want`) before the next trial.
    fn held(c: &mut PathChoice, want: bool) -> u32 {
        let mut steps = 1; // the step whose `timing` call ended the trial
        while !c.timing(VectorPath::Auto) {
            assert_eq!(c.lanes(VectorPath::Auto), want);
            steps += 1;
        }
        steps
    }

    #[test]
    fn auto_alternates_then_keeps_the_faster_path() {
        // (scalar, lanes, the faster is lanes, a clear win)
        for (scalar_us, lanes_us, want, clear) in [(10, 3, true, true), (5, 9, false, false)] {
            let mut c = PathChoice::default();
            let trials = if clear { DECISIVE_TRIALS } else { TRIALS };
            let runs = trial(&mut c, scalar_us, lanes_us);
            // One warm-up step of each, then the timed trials.
            assert_eq!(runs.len() as u32, 2 * (trials + 1), "{runs:?}");
            assert_eq!(runs[..4], [true, false, true, false]);
            assert_eq!(c.lanes(VectorPath::Auto), want);
            assert!(c.lanes(VectorPath::Always) && !c.lanes(VectorPath::Never));
            assert_eq!(held(&mut c, want), FIRST_HOLD);
            // Rechecks need no warm-up; a standing choice holds longer each
            // time, four times after a clear win, up to its limit.
            let (grow, most) = if clear {
                (4, RECHECK_DECISIVE)
            } else {
                (2, RECHECK)
            };
            let mut hold = FIRST_HOLD;
            for _ in 0..8 {
                let runs = trial(&mut c, scalar_us, lanes_us);
                assert_eq!(runs.len() as u32, 2 * trials, "{runs:?}");
                hold = (grow * hold).min(most);
                assert_eq!(held(&mut c, want), hold);
            }
            assert_eq!(hold, most);
        }
    }

    #[test]
    fn a_change_of_path_holds_the_first_hold_again() {
        let mut c = PathChoice::default();
        trial(&mut c, 10, 3);
        held(&mut c, true);
        trial(&mut c, 3, 10);
        assert!(!c.lanes(VectorPath::Auto));
        assert_eq!(held(&mut c, false), FIRST_HOLD);
    }
}
