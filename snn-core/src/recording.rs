//! Spike recording in bitfield buffers with automatic chunking.
//!
//! Layout (shared by every backend): one bitfield of
//! [`words_per_step`]`(N) = ceil(N / 32)` `u32` words per timestep; bit
//! `i % 32` of word `i / 32` is set if neuron `i` spiked in that step. A
//! recording buffer holds `chunk_steps` such bitfields back to back (step-major).
//!
//! GPU backends keep a buffer of `chunk_steps` rows on the device, let the
//! neuron kernel set bits with an atomic OR, pull a whole chunk when it is full
//! (or when the run ends) and hand it to [`decode_bitfields`]. The CPU backend
//! uses [`SpikeRecorder`], which keeps the same buffer on the host and decodes
//! it chunk by chunk, so users never manage chunking by hand.
//!
//! A spike recorded in step `s` is reported at time `s as f64 * dt`.

/// Number of `u32` words in the bitfield of one timestep for `num_neurons` neurons.
#[inline]
pub fn words_per_step(num_neurons: u32) -> usize {
    (num_neurons as usize).div_ceil(32)
}

/// Decoded spikes of one population, sorted by time then neuron id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikeRecord {
    /// Spike times, `step * dt`, non-decreasing.
    pub times: Vec<f64>,
    /// Neuron ids, ascending within one time.
    pub ids: Vec<u32>,
}

impl SpikeRecord {
    /// Number of spikes.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no spikes.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Removes all spikes, keeping the allocations.
    pub fn clear(&mut self) {
        self.times.clear();
        self.ids.clear();
    }
}

/// Calls `f(step_index, neuron_id)` for every set bit of `num_steps`
/// consecutive bitfields, in step then id order. Bits at or beyond
/// `num_neurons` (the padding of the last word) are ignored.
fn for_each_spike(
    words: &[u32],
    num_neurons: u32,
    num_steps: usize,
    mut f: impl FnMut(usize, u32),
) {
    let wps = words_per_step(num_neurons);
    assert!(
        words.len() >= num_steps * wps,
        "decode_bitfields: {} words given, {} steps of {} words needed",
        words.len(),
        num_steps,
        wps
    );
    if wps == 0 {
        return;
    }
    for (s, row) in words[..num_steps * wps].chunks_exact(wps).enumerate() {
        for (w, &word) in row.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let bit = bits.trailing_zeros();
                bits &= bits - 1;
                let id = (w as u32) * 32 + bit;
                if id < num_neurons {
                    f(s, id);
                }
            }
        }
    }
}

/// Decodes `num_steps` consecutive bitfields (layout in the module docs) whose
/// first step is `first_step`, appending to `out`; a spike in step `s` gets
/// time `s as f64 * dt`. Bits beyond `num_neurons` in the last word of a step
/// are ignored.
///
/// # Panics
/// If `words` holds fewer than `num_steps * ceil(num_neurons / 32)` words.
pub fn decode_bitfields(
    words: &[u32],
    num_neurons: u32,
    first_step: u64,
    num_steps: usize,
    dt: f64,
    out: &mut SpikeRecord,
) {
    for_each_spike(words, num_neurons, num_steps, |s, id| {
        out.times.push((first_step + s as u64) as f64 * dt);
        out.ids.push(id);
    });
}

/// Host-side spike recorder of one population (used by the CPU backend).
///
/// Spikes are written as bits into a buffer of `chunk_steps` bitfields; when
/// the buffer is full (decoding happens when the first step that does not fit
/// arrives) it is decoded into the accumulated record and reused, so memory
/// for the buffer stays bounded whatever the run length.
///
/// Step handling is driven by the step number passed to
/// [`record_step`](Self::record_step), so it is deterministic for any call
/// pattern:
/// - the buffer row of a step is `step - chunk_first_step`;
/// - a step that is skipped (never recorded) is a step without spikes;
/// - recording the same step again ORs the new ids into the same bitfield
///   (a neuron is reported at most once per step);
/// - a step beyond the end of the current chunk decodes the chunk and starts a
///   new one whose first row is that step;
/// - a step earlier than the last recorded one decodes the current chunk and
///   starts a new chunk at that step. Spikes are kept in recording order, so
///   the record is sorted by time only if steps never go backwards; call
///   [`clear`](Self::clear) when a simulation is reset to an earlier time;
/// - [`flush`](Self::flush) (and so `spikes`/`take`) ends the current chunk:
///   recording the last step again after it reports that step a second time.
///
/// Because the decoder needs no `dt` until times are asked for, decoded
/// spikes are kept as step numbers and converted to times (`step * dt`) by
/// [`flush`](Self::flush), [`spikes`](Self::spikes) and [`take`](Self::take).
#[derive(Clone, Debug)]
pub struct SpikeRecorder {
    num_neurons: u32,
    words_per_step: usize,
    chunk_steps: usize,
    /// `chunk_steps * words_per_step` words.
    buffer: Vec<u32>,
    /// First step of the current chunk, if one is started.
    chunk_first_step: Option<u64>,
    /// Number of buffer rows in use (last recorded row + 1).
    rows_used: usize,
    /// Step of every decoded spike (parallel to `record.ids`).
    steps: Vec<u64>,
    /// Decoded spikes; `record.times` covers a prefix of `steps`, converted with `times_dt`.
    record: SpikeRecord,
    /// The `dt` the existing entries of `record.times` were computed with.
    times_dt: f64,
}

impl SpikeRecorder {
    /// A recorder for `num_neurons` neurons whose buffer holds `chunk_steps`
    /// timesteps (at least 1; 0 is treated as 1).
    pub fn new(num_neurons: u32, chunk_steps: usize) -> Self {
        let chunk_steps = chunk_steps.max(1);
        let wps = words_per_step(num_neurons);
        SpikeRecorder {
            num_neurons,
            words_per_step: wps,
            chunk_steps,
            buffer: vec![0; chunk_steps * wps],
            chunk_first_step: None,
            rows_used: 0,
            steps: Vec::new(),
            record: SpikeRecord::default(),
            times_dt: 0.0,
        }
    }

    /// Number of neurons recorded.
    pub fn num_neurons(&self) -> u32 {
        self.num_neurons
    }

    /// Number of `u32` words per timestep, `ceil(num_neurons / 32)`.
    pub fn words_per_step(&self) -> usize {
        self.words_per_step
    }

    /// Number of timesteps the buffer holds before it is decoded.
    pub fn chunk_steps(&self) -> usize {
        self.chunk_steps
    }

    /// Records the spikes of `step`: `spiking_ids` (normally ascending; any
    /// order works) get their bits set in the step's bitfield. See the type
    /// docs for skipped, repeated and out-of-order steps.
    ///
    /// # Panics
    /// If an id is not below `num_neurons` (a backend bug, not a user error).
    pub fn record_step(&mut self, step: u64, spiking_ids: &[u32]) {
        let row = match self.chunk_first_step {
            Some(first)
                if step >= first
                    && step - first < self.chunk_steps as u64
                    && (step - first) as usize + 1 >= self.rows_used =>
            {
                (step - first) as usize
            }
            Some(_) => {
                self.decode_chunk();
                self.chunk_first_step = Some(step);
                0
            }
            None => {
                self.chunk_first_step = Some(step);
                0
            }
        };
        self.rows_used = self.rows_used.max(row + 1);
        let bitfield = &mut self.buffer[row * self.words_per_step..(row + 1) * self.words_per_step];
        for &id in spiking_ids {
            assert!(
                id < self.num_neurons,
                "SpikeRecorder::record_step: neuron id {id} out of range for {} neurons",
                self.num_neurons
            );
            bitfield[(id / 32) as usize] |= 1 << (id % 32);
        }
    }

    /// Decodes the rows in use of the buffer into `steps`/`record.ids`, zeroes
    /// them and ends the current chunk.
    fn decode_chunk(&mut self) {
        if let Some(first) = self.chunk_first_step.take() {
            let used = &mut self.buffer[..self.rows_used * self.words_per_step];
            let steps = &mut self.steps;
            let ids = &mut self.record.ids;
            for_each_spike(used, self.num_neurons, self.rows_used, |s, id| {
                steps.push(first + s as u64);
                ids.push(id);
            });
            used.fill(0);
        }
        self.rows_used = 0;
    }

    /// Decodes the partly filled chunk, if any, and brings the spike times up
    /// to date for timestep `dt` (time of a spike in step `s` is `s * dt`).
    /// Recording can continue afterwards.
    pub fn flush(&mut self, dt: f64) {
        self.decode_chunk();
        if dt.to_bits() != self.times_dt.to_bits() {
            self.record.times.clear();
            self.times_dt = dt;
        }
        let done = self.record.times.len();
        self.record
            .times
            .extend(self.steps[done..].iter().map(|&s| s as f64 * dt));
    }

    /// All spikes recorded so far (flushes first); recording can continue.
    pub fn spikes(&mut self, dt: f64) -> &SpikeRecord {
        self.flush(dt);
        &self.record
    }

    /// Takes all spikes recorded so far (flushes first) and starts an empty record.
    pub fn take(&mut self, dt: f64) -> SpikeRecord {
        self.flush(dt);
        self.steps.clear();
        std::mem::take(&mut self.record)
    }

    /// The step and neuron of every spike recorded so far (decodes the
    /// current chunk first); recording can continue.
    pub fn steps_and_ids(&mut self) -> (&[u64], &[u32]) {
        self.decode_chunk();
        (&self.steps, &self.record.ids)
    }

    /// Replaces everything recorded with the spikes `steps[k]`, `ids[k]`
    /// (as [`steps_and_ids`](Self::steps_and_ids) returned them), e.g. when
    /// restoring a checkpoint; recording continues after them.
    ///
    /// # Panics
    /// If the lengths differ (a backend bug: checkpoints are checked before).
    pub fn restore(&mut self, steps: Vec<u64>, ids: Vec<u32>) {
        assert_eq!(
            steps.len(),
            ids.len(),
            "SpikeRecorder::restore: lengths differ"
        );
        self.clear();
        self.steps = steps;
        self.record.ids = ids;
    }

    /// Discards everything recorded, including the current chunk.
    pub fn clear(&mut self) {
        self.buffer.fill(0);
        self.chunk_first_step = None;
        self.rows_used = 0;
        self.steps.clear();
        self.record.clear();
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bitfields for a list of (step index, id) spikes.
    fn encode(num_neurons: u32, num_steps: usize, spikes: &[(usize, u32)]) -> Vec<u32> {
        let wps = words_per_step(num_neurons);
        let mut words = vec![0u32; num_steps * wps];
        for &(s, id) in spikes {
            words[s * wps + (id / 32) as usize] |= 1 << (id % 32);
        }
        words
    }

    #[test]
    fn words_per_step_rounds_up() {
        assert_eq!(words_per_step(0), 0);
        assert_eq!(words_per_step(1), 1);
        assert_eq!(words_per_step(32), 1);
        assert_eq!(words_per_step(33), 2);
        assert_eq!(words_per_step(64), 2);
    }

    #[test]
    fn decode_boundary_neurons() {
        let n = 70;
        let spikes = [(0, 0), (0, 31), (0, 32), (0, 69), (2, 63), (2, 64)];
        let words = encode(n, 3, &spikes);
        assert_eq!(words[0], 1 | (1 << 31));
        assert_eq!(words[1], 1);
        assert_eq!(words[2], 1 << 5);
        let mut out = SpikeRecord::default();
        decode_bitfields(&words, n, 10, 3, 0.1, &mut out);
        assert_eq!(out.ids, vec![0, 31, 32, 69, 63, 64]);
        let expected_times: Vec<f64> = [10u64, 10, 10, 10, 12, 12]
            .iter()
            .map(|&s| s as f64 * 0.1)
            .collect();
        assert_eq!(out.times, expected_times);
    }

    #[test]
    fn decode_ignores_padding_bits_and_appends() {
        let mut out = SpikeRecord {
            times: vec![0.0],
            ids: vec![3],
        };
        // Neurons 0..5 only; bit 7 is padding.
        decode_bitfields(&[(1 << 7) | (1 << 4)], 5, 2, 1, 1.0, &mut out);
        assert_eq!(out.ids, vec![3, 4]);
        assert_eq!(out.times, vec![0.0, 2.0]);
    }

    #[test]
    fn decode_empty_steps_and_zero_neurons() {
        let mut out = SpikeRecord::default();
        decode_bitfields(&[0; 6], 64, 0, 3, 1.0, &mut out);
        assert!(out.is_empty());
        decode_bitfields(&[], 0, 0, 5, 1.0, &mut out);
        assert!(out.is_empty());
        let mut rec = SpikeRecorder::new(0, 4);
        for s in 0..10 {
            rec.record_step(s, &[]);
        }
        assert!(rec.take(1.0).is_empty());
    }

    #[test]
    fn times_are_exactly_step_times_dt() {
        let dt = 0.1;
        let mut rec = SpikeRecorder::new(1, 3);
        for s in 0..1000u64 {
            rec.record_step(s, &[0]);
        }
        let r = rec.take(dt);
        assert_eq!(r.len(), 1000);
        for (s, &t) in r.times.iter().enumerate() {
            assert_eq!(t.to_bits(), (s as f64 * dt).to_bits());
        }
    }

    #[test]
    fn skipped_steps_are_empty_and_repeats_merge() {
        let mut rec = SpikeRecorder::new(40, 4);
        rec.record_step(5, &[1]);
        rec.record_step(7, &[2]); // step 6 skipped: same chunk, row 2
        rec.record_step(7, &[2, 39]); // repeat: merged
        rec.record_step(20, &[0]); // beyond the chunk: new chunk at 20
        let r = rec.spikes(1.0).clone();
        assert_eq!(r.ids, vec![1, 2, 39, 0]);
        assert_eq!(r.times, vec![5.0, 7.0, 7.0, 20.0]);
        // Going backwards starts a new chunk; recording order is kept.
        rec.record_step(3, &[4]);
        let r = rec.take(1.0);
        assert_eq!(r.ids, vec![1, 2, 39, 0, 4]);
        assert_eq!(r.times, vec![5.0, 7.0, 7.0, 20.0, 3.0]);
        assert!(rec.take(1.0).is_empty());
    }

    #[test]
    fn repeat_of_the_last_step_of_a_full_chunk_merges() {
        let mut rec = SpikeRecorder::new(3, 2);
        rec.record_step(0, &[0]);
        rec.record_step(1, &[1]);
        rec.record_step(1, &[1, 2]); // chunk is full but not yet decoded
        rec.record_step(2, &[0]); // decodes the chunk, starts a new one
        let r = rec.take(1.0);
        assert_eq!(r.ids, vec![0, 1, 2, 0]);
        assert_eq!(r.times, vec![0.0, 1.0, 1.0, 2.0]);
    }

    #[test]
    fn spikes_can_be_read_mid_run_and_dt_change_recomputes() {
        let mut rec = SpikeRecorder::new(8, 5);
        rec.record_step(0, &[1]);
        rec.record_step(1, &[2]);
        assert_eq!(rec.spikes(1.0).times, vec![0.0, 1.0]);
        rec.record_step(2, &[3]);
        assert_eq!(rec.spikes(1.0).times, vec![0.0, 1.0, 2.0]);
        assert_eq!(rec.spikes(0.5).times, vec![0.0, 0.5, 1.0]);
        assert_eq!(rec.spikes(0.5).ids, vec![1, 2, 3]);
        rec.clear();
        assert!(rec.spikes(0.5).is_empty());
        rec.record_step(9, &[7]);
        assert_eq!(rec.take(2.0).times, vec![18.0]);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn out_of_range_id_panics() {
        SpikeRecorder::new(10, 2).record_step(0, &[10]);
    }

    /// Random spike trains: N in 1..200 (many non-multiples of 32), a random
    /// number of steps and a random chunk size (including 1).
    fn spike_trains() -> impl Strategy<Value = (u32, usize, Vec<Vec<u32>>)> {
        (1u32..200, 1usize..40, 0usize..60).prop_flat_map(|(n, chunk, steps)| {
            let step = proptest::collection::btree_set(0..n, 0..(n as usize).min(20) + 1)
                .prop_map(|s| s.into_iter().collect::<Vec<u32>>());
            (Just(n), Just(chunk), proptest::collection::vec(step, steps))
        })
    }

    /// One recorded step of [`recorder_with_gaps_round_trips`]: steps
    /// skipped before it (recording off, or nothing recorded), the ids
    /// (any order, duplicates allowed), ids recorded for the same step a
    /// second time (merged), and whether the spikes are read (flushed)
    /// after it.
    type Op = (u64, Vec<u32>, Option<Vec<u32>>, bool);

    fn ops() -> impl Strategy<Value = (u32, usize, Vec<Op>)> {
        (1u32..150, 1usize..20, 0usize..50).prop_flat_map(|(n, chunk, len)| {
            let ids = proptest::collection::vec(0..n, 0..12);
            let op = (
                prop_oneof![3 => Just(0u64), 1 => 1u64..5, 1 => 5u64..60],
                ids.clone(),
                proptest::option::weighted(0.2, ids),
                proptest::bool::weighted(0.15),
            );
            (Just(n), Just(chunk), proptest::collection::vec(op, len))
        })
    }

    proptest! {
        /// Random spike sets with skipped steps (gaps shorter and longer
        /// than a chunk), repeated steps, unsorted and duplicate ids and
        /// reads in the middle decode to exactly the spikes recorded: per
        /// step, in step order, each spiking id once, ascending.
        #[test]
        fn recorder_with_gaps_round_trips(
            (n, chunk, ops) in ops(),
            first in 0u64..1_000_000,
        ) {
            let dt = 0.25;
            let mut rec = SpikeRecorder::new(n, chunk);
            let mut expected = SpikeRecord::default();
            let mut step = first;
            for (k, (gap, ids, again, read)) in ops.iter().enumerate() {
                step += if k == 0 { 0 } else { 1 } + gap;
                rec.record_step(step, ids);
                let mut set: std::collections::BTreeSet<u32> = ids.iter().copied().collect();
                if let Some(again) = again {
                    rec.record_step(step, again);
                    set.extend(again);
                }
                for id in set {
                    expected.times.push(step as f64 * dt);
                    expected.ids.push(id);
                }
                if *read {
                    prop_assert_eq!(rec.spikes(dt), &expected);
                }
            }
            // The buffer never grows beyond one chunk.
            prop_assert_eq!(rec.buffer.len(), rec.chunk_steps() * rec.words_per_step());
            prop_assert_eq!(rec.take(dt), expected);
            prop_assert!(rec.take(dt).is_empty());
        }

        #[test]
        fn recorder_round_trips((n, chunk, trains) in spike_trains(), first in 0u64..1_000_000) {
            let dt = 0.1;
            let mut rec = SpikeRecorder::new(n, chunk);
            let mut expected = SpikeRecord::default();
            for (k, ids) in trains.iter().enumerate() {
                let step = first + k as u64;
                rec.record_step(step, ids);
                for &id in ids {
                    expected.times.push(step as f64 * dt);
                    expected.ids.push(id);
                }
            }
            prop_assert_eq!(rec.take(dt), expected);
        }

        #[test]
        fn decode_round_trips((n, _chunk, trains) in spike_trains(), first in 0u64..1_000_000) {
            let spikes: Vec<(usize, u32)> = trains
                .iter()
                .enumerate()
                .flat_map(|(s, ids)| ids.iter().map(move |&id| (s, id)))
                .collect();
            let words = encode(n, trains.len(), &spikes);
            let mut out = SpikeRecord::default();
            decode_bitfields(&words, n, first, trains.len(), 0.25, &mut out);
            let expected_times: Vec<f64> =
                spikes.iter().map(|&(s, _)| (first + s as u64) as f64 * 0.25).collect();
            let expected_ids: Vec<u32> = spikes.iter().map(|&(_, id)| id).collect();
            prop_assert_eq!(out.times, expected_times);
            prop_assert_eq!(out.ids, expected_ids);
        }
    }
}
