//! Sparse connectivity: rules ([`Connectivity`]), their host-side construction
//! into compressed sparse rows ([`SparseConnectivity`]) and the upper bounds on
//! row and column lengths that GPU backends use to size padded (ragged) rows.
//!
//! # Random streams
//! Every random draw comes from [`RngStream`], so construction is reproducible
//! for any thread count and GPU backends can rebuild the same connectivity on
//! the device with the same simple per-row algorithms:
//! - row-wise rules (fixed probability, fixed number post, the per-row targets
//!   of fixed total number) draw row `i` from `RngStream::new(seed, stream, 0, i)`;
//! - column-wise rules (fixed number pre) draw column `j` from
//!   `RngStream::new(seed, stream, 0, j)`;
//! - the row lengths of fixed total number come from the single stream
//!   `RngStream::new(seed, stream, 1, 0)` (step 1, so it never overlaps row 0's stream).
//!
//! Integer draws in `0..r` use `(next_u32() as u64 * r as u64) >> 32` (one
//! `u32` per draw, exact integer arithmetic on every backend; the relative bias
//! of any one value is below `r / 2^32`).
//!
//! # Autapses
//! An autapse is a synapse from a neuron onto itself. It only exists when the
//! pre- and postsynaptic populations are the same, which the caller states
//! with `same_population`; the `autapses` flag of a rule is ignored otherwise.

use rayon::prelude::*;

use crate::model::{
    ConnectivityModel, PrecisionStates, RowBuildBehaviour, RowBuildEnv, StateIo, StateSource,
};
use crate::rng::RngStream;
use std::sync::Arc;

/// Probability that a whole synapse group stays within the row (or column)
/// length bound of [`Connectivity::max_row_length`]
/// ([`Connectivity::max_col_length`]), as in GeNN: each row's bound is the
/// quantile of its length distribution at `ROW_LENGTH_QUANTILE^(1 / rows)`, so
/// by the union bound the probability that any row exceeds it is at most
/// `1 - ROW_LENGTH_QUANTILE`.
pub const ROW_LENGTH_QUANTILE: f64 = 0.9999;

/// A connectivity rule between a presynaptic population of `num_pre` and a
/// postsynaptic population of `num_post` neurons.
#[derive(Clone, Debug)]
pub enum Connectivity {
    /// Neuron `i` to neuron `i`; needs `num_pre == num_post`.
    OneToOne,
    /// Every presynaptic neuron to every postsynaptic neuron (without `i -> i`
    /// when `autapses` is false and the populations are the same).
    AllToAll {
        /// Whether `i -> i` synapses are made within one population.
        autapses: bool,
    },
    /// Each pair is connected independently with probability `p`, built row
    /// by row by geometric skipping. Without autapses, the candidate `i -> i`
    /// is skipped: rows are conditioned on "no autapse" (GeNN's
    /// `FixedProbabilityNoAutapse`), every other pair keeps probability `p`.
    FixedProbability {
        /// Connection probability, in `[0, 1]`.
        p: f64,
        /// Whether `i -> i` synapses are allowed within one population.
        autapses: bool,
    },
    /// Every presynaptic neuron has exactly `n` targets drawn uniformly with
    /// replacement (multapses allowed; GeNN's `FixedNumberPostWithReplacement`).
    /// Without autapses, targets are drawn from the `num_post - 1` other neurons.
    FixedNumberPost {
        /// Targets per presynaptic neuron.
        n: u32,
        /// Whether `i -> i` synapses are allowed within one population.
        autapses: bool,
    },
    /// Every postsynaptic neuron has exactly `n` sources drawn uniformly with
    /// replacement (multapses allowed); built column by column, then transposed.
    FixedNumberPre {
        /// Sources per postsynaptic neuron.
        n: u32,
        /// Whether `i -> i` synapses are allowed within one population.
        autapses: bool,
    },
    /// `n` synapses in total, with replacement (multapses and autapses allowed;
    /// GeNN's `FixedNumberTotalWithReplacement`): row lengths are a multinomial
    /// draw (sequential conditional binomials), then each row's targets are
    /// drawn uniformly. `n` is at most `u32::MAX`.
    FixedNumberTotal {
        /// Total number of synapses.
        n: u64,
    },
    /// An explicit list of synapses `pre[k] -> post[k]` (duplicates allowed).
    ///
    /// The built rows are sorted by `(pre, post)`, stably; to reorder
    /// per-synapse values given in list order, use
    /// [`SparseConnectivity::from_pairs`], which also returns the permutation.
    Explicit {
        /// Presynaptic index of each synapse.
        pre: Vec<u32>,
        /// Postsynaptic index of each synapse.
        post: Vec<u32>,
    },
    /// A user-defined `#[connectivity_snippet]`, built row by row in `f64`
    /// (see [`Connectivity::snippet`]).
    Snippet(Arc<dyn ConnectivitySnippetDyn>),
}

/// Compressed sparse rows: row `i`'s targets are
/// `ind[row_ptr[i]..row_ptr[i + 1]]`, sorted ascending (multapses adjacent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SparseConnectivity {
    /// Number of presynaptic neurons (rows).
    pub num_pre: u32,
    /// Number of postsynaptic neurons (columns).
    pub num_post: u32,
    /// `num_pre + 1` offsets into `ind`, starting at 0.
    pub row_ptr: Vec<u64>,
    /// Postsynaptic index of every synapse, row by row.
    pub ind: Vec<u32>,
}

/// A column-major (CSC) view of a [`SparseConnectivity`], for postsynaptic
/// parallelism and postsynaptic learning.
///
/// Column `j`'s synapses are entries `col_ptr[j]..col_ptr[j + 1]`, ordered by
/// presynaptic index (and by CSR position for multapses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnView {
    /// `num_post + 1` offsets into `rows` / `csr_pos`, starting at 0.
    pub col_ptr: Vec<u64>,
    /// Presynaptic index of each entry.
    pub rows: Vec<u32>,
    /// Position of each entry in the CSR `ind` array (and so in per-synapse
    /// variable arrays laid out like it).
    pub csr_pos: Vec<u64>,
}

impl ColumnView {
    /// Number of columns.
    pub fn num_cols(&self) -> u32 {
        (self.col_ptr.len() - 1) as u32
    }

    /// Presynaptic indices of column `j`'s synapses.
    pub fn column(&self, j: u32) -> &[u32] {
        let j = j as usize;
        &self.rows[self.col_ptr[j] as usize..self.col_ptr[j + 1] as usize]
    }

    /// CSR positions of column `j`'s synapses.
    pub fn column_csr_positions(&self, j: u32) -> &[u64] {
        let j = j as usize;
        &self.csr_pos[self.col_ptr[j] as usize..self.col_ptr[j + 1] as usize]
    }

    /// Length of the longest column.
    pub fn max_col_length(&self) -> u32 {
        self.col_ptr
            .windows(2)
            .map(|w| (w[1] - w[0]) as u32)
            .max()
            .unwrap_or(0)
    }
}

impl SparseConnectivity {
    /// Length of the longest row (0 without synapses).
    pub fn longest_row(&self) -> u32 {
        self.row_ptr
            .windows(2)
            .map(|w| (w[1] - w[0]) as u32)
            .max()
            .unwrap_or(0)
    }

    /// An empty connectivity (no synapses) of the given shape.
    pub fn empty(num_pre: u32, num_post: u32) -> Self {
        SparseConnectivity {
            num_pre,
            num_post,
            row_ptr: vec![0; num_pre as usize + 1],
            ind: Vec::new(),
        }
    }

    /// Builds rows from an explicit list of synapses `pre[k] -> post[k]`.
    ///
    /// Synapses are sorted by `(pre, post)`, stably (equal pairs keep their
    /// list order). Also returns the permutation `order`: CSR position `s`
    /// holds list entry `order[s]`, so a per-synapse value `v` given in list
    /// order goes to `v[order[s]]`.
    ///
    /// Errors if the lists differ in length, are longer than `u32::MAX`, or an
    /// index is out of range (naming the first offending synapse).
    pub fn from_pairs(
        num_pre: u32,
        num_post: u32,
        pre: &[u32],
        post: &[u32],
    ) -> Result<(Self, Vec<u32>), String> {
        validate_pairs(num_pre, num_post, pre, post)?;
        let mut order: Vec<u32> = (0..pre.len() as u32).collect();
        // Stable, so equal pairs keep list order whatever the thread count.
        order.par_sort_by_key(|&k| (pre[k as usize], post[k as usize]));
        let mut row_ptr = vec![0u64; num_pre as usize + 1];
        for &i in pre {
            row_ptr[i as usize + 1] += 1;
        }
        for i in 0..num_pre as usize {
            row_ptr[i + 1] += row_ptr[i];
        }
        let ind = order.par_iter().map(|&k| post[k as usize]).collect();
        Ok((
            SparseConnectivity {
                num_pre,
                num_post,
                row_ptr,
                ind,
            },
            order,
        ))
    }

    /// Total number of synapses.
    pub fn num_synapses(&self) -> u64 {
        self.ind.len() as u64
    }

    /// Targets of presynaptic neuron `i`, ascending.
    pub fn row(&self, i: u32) -> &[u32] {
        let i = i as usize;
        &self.ind[self.row_ptr[i] as usize..self.row_ptr[i + 1] as usize]
    }

    /// Number of targets of every presynaptic neuron (out-degrees).
    pub fn row_lengths(&self) -> Vec<u32> {
        self.row_ptr
            .windows(2)
            .map(|w| (w[1] - w[0]) as u32)
            .collect()
    }

    /// Length of the longest row.
    pub fn max_row_length(&self) -> u32 {
        self.row_ptr
            .windows(2)
            .map(|w| (w[1] - w[0]) as u32)
            .max()
            .unwrap_or(0)
    }

    /// Number of sources of every postsynaptic neuron (in-degrees).
    pub fn in_degrees(&self) -> Vec<u32> {
        let mut deg = vec![0u32; self.num_post as usize];
        for &j in &self.ind {
            deg[j as usize] += 1;
        }
        deg
    }

    /// The column-major view (see [`ColumnView`]), built by a counting sort.
    pub fn column_view(&self) -> ColumnView {
        let mut col_ptr = vec![0u64; self.num_post as usize + 1];
        for &j in &self.ind {
            col_ptr[j as usize + 1] += 1;
        }
        for j in 0..self.num_post as usize {
            col_ptr[j + 1] += col_ptr[j];
        }
        let mut next: Vec<u64> = col_ptr[..self.num_post as usize].to_vec();
        let mut rows = vec![0u32; self.ind.len()];
        let mut csr_pos = vec![0u64; self.ind.len()];
        for i in 0..self.num_pre {
            let start = self.row_ptr[i as usize];
            for (k, &j) in self.row(i).iter().enumerate() {
                let slot = next[j as usize] as usize;
                next[j as usize] += 1;
                rows[slot] = i;
                csr_pos[slot] = start + k as u64;
            }
        }
        ColumnView {
            col_ptr,
            rows,
            csr_pos,
        }
    }

    /// Checks the structural invariants: `row_ptr` has `num_pre + 1`
    /// non-decreasing entries from 0 to `ind.len()`, every index is below
    /// `num_post` and every row is sorted.
    pub fn check(&self) -> Result<(), String> {
        if self.row_ptr.len() != self.num_pre as usize + 1 {
            return Err(format!(
                "row_ptr has {} entries, expected {}",
                self.row_ptr.len(),
                self.num_pre as usize + 1
            ));
        }
        if self.row_ptr[0] != 0 || *self.row_ptr.last().unwrap() != self.ind.len() as u64 {
            return Err("row_ptr does not span ind".to_string());
        }
        for i in 0..self.num_pre as usize {
            if self.row_ptr[i + 1] < self.row_ptr[i] {
                return Err(format!("row_ptr decreases at row {i}"));
            }
            let row = self.row(i as u32);
            if let Some(&j) = row.iter().find(|&&j| j >= self.num_post) {
                return Err(format!(
                    "row {i}: index {j} is out of range for {} postsynaptic neurons",
                    self.num_post
                ));
            }
            if row.windows(2).any(|w| w[0] > w[1]) {
                return Err(format!("row {i} is not sorted"));
            }
        }
        Ok(())
    }
}

/// Whether `i -> i` must be excluded.
fn excludes_autapses(autapses: bool, same_population: bool) -> bool {
    same_population && !autapses
}

/// `1 - ROW_LENGTH_QUANTILE^(1 / count)`, accurately: the tail probability
/// allowed for each of `count` rows (or columns).
fn per_row_tail(count: u32) -> f64 {
    -(ROW_LENGTH_QUANTILE.ln() / count.max(1) as f64).exp_m1()
}

/// Upper bound of `Binomial(n, p)` for one of `count` rows (columns).
fn binomial_bound(n: u64, p: f64, count: u32) -> u64 {
    binomial_upper_quantile(per_row_tail(count), n, p)
}

fn validate_pairs(num_pre: u32, num_post: u32, pre: &[u32], post: &[u32]) -> Result<(), String> {
    if pre.len() != post.len() {
        return Err(format!(
            "explicit connectivity: {} presynaptic but {} postsynaptic indices",
            pre.len(),
            post.len()
        ));
    }
    if pre.len() as u64 > u32::MAX as u64 {
        return Err(format!(
            "explicit connectivity: {} synapses, more than the supported {}",
            pre.len(),
            u32::MAX
        ));
    }
    for (k, (&i, &j)) in pre.iter().zip(post).enumerate() {
        if i >= num_pre {
            return Err(format!(
                "synapse {k}: pre index {i} is out of range for {num_pre} presynaptic neurons"
            ));
        }
        if j >= num_post {
            return Err(format!(
                "synapse {k}: post index {j} is out of range for {num_post} postsynaptic neurons"
            ));
        }
    }
    Ok(())
}

/// A uniform integer in `0..range` (`range >= 1`) from one raw `u32` draw `x`.
#[inline]
fn uniform_index(x: u32, range: u32) -> u32 {
    ((x as u64 * range as u64) >> 32) as u32
}

/// Fills `out` with `out.len()` uniform draws from `0..range`, skipping `skip`
/// (drawn from `range - 1` values, those at or above `skip` shifted up by
/// one), and sorts them.
fn draw_sorted(rng: &mut RngStream, range: u32, skip: Option<u32>, out: &mut [u32]) {
    // The raw draws in bulk (the same sequence as one `next_u32` per
    // target), then mapped as `uniform_index` maps them.
    rng.fill_u32(out);
    match skip {
        Some(s) => {
            for t in out.iter_mut() {
                let x = uniform_index(*t, range - 1);
                *t = if x >= s { x + 1 } else { x };
            }
        }
        None => {
            for t in out.iter_mut() {
                *t = uniform_index(*t, range);
            }
        }
    }
    sort_targets(out, range);
}

/// Sorts `v`, whose values are below `range`: long rows of targets below
/// 2^16 by a two-pass radix sort (a third of the time of a comparison sort
/// for the microcircuit's rows), others with `sort_unstable`.
fn sort_targets(v: &mut [u32], range: u32) {
    const RADIX_MIN_LEN: usize = 64;
    if range > 1 << 16 || v.len() < RADIX_MIN_LEN {
        v.sort_unstable();
        return;
    }
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with_borrow_mut(|scratch| {
        scratch.clear();
        scratch.resize(v.len(), 0);
        let mut counts = [[0u32; 256]; 2];
        for &x in v.iter() {
            counts[0][(x & 0xff) as usize] += 1;
            counts[1][(x >> 8) as usize] += 1;
        }
        for c in &mut counts {
            let mut sum = 0;
            for n in c.iter_mut() {
                (*n, sum) = (sum, sum + *n);
            }
        }
        // Least significant byte first; each pass is stable.
        for &x in v.iter() {
            let slot = &mut counts[0][(x & 0xff) as usize];
            scratch[*slot as usize] = x;
            *slot += 1;
        }
        for &x in scratch.iter() {
            let slot = &mut counts[1][(x >> 8) as usize];
            v[*slot as usize] = x;
            *slot += 1;
        }
    });
}

/// Appends the targets of one fixed-probability row by geometric skipping:
/// with `j` the next candidate (initially 0), each step draws `u` (an `f64`
/// uniform in (0, 1)) and jumps to `j + floor(ln(u) / ln1p(-p))`, in `f64`;
/// the row ends when that is `>= num_post`. The candidate `skip` (the
/// autapse) is not added. `0 < p < 1`.
fn fixed_probability_row(
    rng: &mut RngStream,
    num_post: u32,
    p: f64,
    skip: Option<u32>,
    out: &mut Vec<u32>,
) {
    let ln_q = (-p).ln_1p();
    let mut j: u64 = 0;
    loop {
        let u: f64 = rng.uniform();
        let gap = (crate::math::ln_f64(u) / ln_q).floor();
        if gap >= (num_post as u64 - j) as f64 {
            break;
        }
        j += gap as u64;
        if Some(j as u32) != skip {
            out.push(j as u32);
        }
        j += 1;
    }
}

/// Row pointers from row lengths.
fn prefix_sum(lengths: impl IntoIterator<Item = u64>, num_rows: usize) -> Vec<u64> {
    let mut ptr = Vec::with_capacity(num_rows + 1);
    let mut acc = 0u64;
    ptr.push(0);
    for len in lengths {
        acc += len;
        ptr.push(acc);
    }
    ptr
}

/// Builds rows of known lengths: `fill(i, row)` writes row `i`, rows in parallel.
fn rows_of_known_length(
    num_pre: u32,
    num_post: u32,
    row_ptr: Vec<u64>,
    fill: impl Fn(u32, &mut [u32]) + Sync,
) -> SparseConnectivity {
    let mut ind = crate::mem::zeroed_vec(*row_ptr.last().unwrap() as usize);
    let mut rows: Vec<&mut [u32]> = Vec::with_capacity(num_pre as usize);
    let mut rest = ind.as_mut_slice();
    for w in row_ptr.windows(2) {
        let (row, tail) = rest.split_at_mut((w[1] - w[0]) as usize);
        rows.push(row);
        rest = tail;
    }
    rows.into_par_iter()
        .enumerate()
        .for_each(|(i, row)| fill(i as u32, row));
    SparseConnectivity {
        num_pre,
        num_post,
        row_ptr,
        ind,
    }
}

/// Builds rows of unknown lengths: `append(i, ind)` appends row `i`. Rows are
/// built in parallel in blocks, then concatenated in order (each block freed
/// once copied), so the result does not depend on the thread count.
fn rows_of_unknown_length(
    num_pre: u32,
    num_post: u32,
    append: impl Fn(u32, &mut Vec<u32>) + Sync,
) -> SparseConnectivity {
    const ROWS_PER_BLOCK: u32 = 64;
    let num_blocks = num_pre.div_ceil(ROWS_PER_BLOCK);
    let blocks: Vec<(Vec<u64>, Vec<u32>)> = (0..num_blocks)
        .into_par_iter()
        .map(|b| {
            let rows = b * ROWS_PER_BLOCK..((b + 1) * ROWS_PER_BLOCK).min(num_pre);
            let mut lengths = Vec::with_capacity(rows.len());
            let mut ind = Vec::new();
            for i in rows {
                let before = ind.len();
                append(i, &mut ind);
                lengths.push((ind.len() - before) as u64);
            }
            (lengths, ind)
        })
        .collect();
    let total: usize = blocks.iter().map(|(_, ind)| ind.len()).sum();
    let mut row_ptr = Vec::with_capacity(num_pre as usize + 1);
    row_ptr.push(0u64);
    let mut ind = crate::mem::vec_with_capacity(total);
    for (lengths, block) in blocks {
        for len in lengths {
            row_ptr.push(row_ptr.last().unwrap() + len);
        }
        ind.extend_from_slice(&block);
    }
    SparseConnectivity {
        num_pre,
        num_post,
        row_ptr,
        ind,
    }
}

/// A user-defined connectivity snippet, object-safe form (implemented for
/// `#[connectivity_snippet]` models by [`Connectivity::snippet`]).
pub trait ConnectivitySnippetDyn: Send + Sync + std::fmt::Debug {
    /// The snippet's name, for messages.
    fn name(&self) -> &'static str;
    /// Checks the parameters.
    fn validate(&self) -> Result<(), String>;
    /// Upper bound of the row length.
    fn max_row_length(&self, num_pre: u32, num_post: u32) -> u32;
    /// Appends the targets of row `row` to `targets` (in any order).
    fn build_row(
        &self,
        row: u32,
        num_pre: u32,
        num_post: u32,
        rng: &mut RngStream,
        targets: &mut Vec<u32>,
    );
    /// The snippet's model (whose IR GPU backends translate) and its
    /// constants (parameters, then derived parameters); `None` for
    /// hand-written snippets, which GPU backends build on the host.
    fn model_code(&self) -> Option<(&'static crate::model::ModelDesc, Vec<f64>)> {
        None
    }
}

/// A `#[connectivity_snippet]` model with its parameter values. Rows are
/// built in `f64`; derived parameters cannot use `dt` (it is NaN there).
#[derive(Debug)]
struct SnippetConnectivity<M: ConnectivityModel> {
    params: Vec<f64>,
    consts: Vec<f64>,
    _m: std::marker::PhantomData<fn() -> M>,
}

impl<M: ConnectivityModel> ConnectivitySnippetDyn for SnippetConnectivity<M> {
    fn name(&self) -> &'static str {
        M::DESC.name
    }
    fn model_code(&self) -> Option<(&'static crate::model::ModelDesc, Vec<f64>)> {
        Some((M::DESC, self.consts.clone()))
    }
    fn validate(&self) -> Result<(), String> {
        M::DESC
            .check_constants(&self.params, &self.consts[self.params.len()..])
            .map_err(|bad| bad.snippet_message())
    }
    fn max_row_length(&self, num_pre: u32, num_post: u32) -> u32 {
        M::max_row_length(&self.params, num_pre, num_post)
    }
    fn build_row(
        &self,
        row: u32,
        num_pre: u32,
        num_post: u32,
        rng: &mut RngStream,
        targets: &mut Vec<u32>,
    ) {
        let state = <<f64 as PrecisionStates>::Connectivity<M> as StateIo<f64>>::load(
            &StateSource {
                params: &self.consts,
                vars: &[],
                refs: &[],
                egps: &[],
                pre: &[],
                post: &[],
            },
            0,
        );
        let mut env = RowBuildEnv::<f64> {
            id_pre: row,
            num_pre,
            num_post,
            targets: std::mem::take(targets),
            rng: rng.clone(),
            _s: std::marker::PhantomData,
        };
        state.row_build(&mut env);
        *targets = env.targets;
        *rng = env.rng;
    }
}

impl Connectivity {
    /// A user-defined `#[connectivity_snippet]` with its parameter values.
    pub fn snippet<M: ConnectivityModel>(model: M) -> Connectivity {
        let params = model.param_values();
        let mut consts = params.clone();
        consts.extend(M::derived_values(&params, f64::NAN));
        Connectivity::Snippet(Arc::new(SnippetConnectivity::<M> {
            params,
            consts,
            _m: std::marker::PhantomData,
        }))
    }
}

impl Connectivity {
    /// Checks the rule against the population sizes. `same_population` says
    /// whether pre and post are one population (then autapses matter and the
    /// sizes must be equal).
    pub fn validate(
        &self,
        num_pre: u32,
        num_post: u32,
        same_population: bool,
    ) -> Result<(), String> {
        if same_population && num_pre != num_post {
            return Err(format!(
                "pre and post are the same population but have {num_pre} and {num_post} neurons"
            ));
        }
        match self {
            Connectivity::OneToOne => {
                if num_pre != num_post {
                    return Err(format!(
                        "one-to-one connectivity needs equal population sizes, got {num_pre} \
                         presynaptic and {num_post} postsynaptic neurons"
                    ));
                }
            }
            Connectivity::AllToAll { .. } => {}
            Connectivity::FixedProbability { p, .. } => {
                if !(0.0..=1.0).contains(p) {
                    return Err(format!("connection probability {p} is not in [0, 1]"));
                }
            }
            Connectivity::FixedNumberPost { n, autapses } => {
                let excl = excludes_autapses(*autapses, same_population) as u32;
                if *n > 0 && num_pre > 0 && num_post <= excl {
                    return Err(format!(
                        "fixed number post: {n} targets per presynaptic neuron but no allowed \
                         target among {num_post} postsynaptic neurons{}",
                        if excl == 1 {
                            " (autapses excluded)"
                        } else {
                            ""
                        }
                    ));
                }
            }
            Connectivity::FixedNumberPre { n, autapses } => {
                let excl = excludes_autapses(*autapses, same_population) as u32;
                if *n > 0 && num_post > 0 && num_pre <= excl {
                    return Err(format!(
                        "fixed number pre: {n} sources per postsynaptic neuron but no allowed \
                         source among {num_pre} presynaptic neurons{}",
                        if excl == 1 {
                            " (autapses excluded)"
                        } else {
                            ""
                        }
                    ));
                }
            }
            Connectivity::FixedNumberTotal { n } => {
                if *n > u32::MAX as u64 {
                    return Err(format!(
                        "fixed total number: {n} synapses, more than the supported {}",
                        u32::MAX
                    ));
                }
                if *n > 0 && (num_pre == 0 || num_post == 0) {
                    return Err(format!(
                        "fixed total number: {n} synapses between populations of {num_pre} \
                         and {num_post} neurons"
                    ));
                }
            }
            Connectivity::Explicit { pre, post } => validate_pairs(num_pre, num_post, pre, post)?,
            Connectivity::Snippet(snippet) => snippet
                .validate()
                .map_err(|e| format!("{}: {e}", snippet.name()))?,
        }
        let rows = self.row_bound(num_pre, num_post, same_population);
        let cols = self.col_bound(num_pre, num_post, same_population);
        if rows.max(cols) > u32::MAX as u64 {
            return Err(format!(
                "{self:?}: rows or columns of up to {} synapses, more than the supported {}",
                rows.max(cols),
                u32::MAX
            ));
        }
        Ok(())
    }

    /// Upper bound on the row length (synapses per presynaptic neuron) of any
    /// connectivity this rule builds: exact for deterministic rules, the
    /// per-row quantile described at [`ROW_LENGTH_QUANTILE`] for random ones
    /// (exceeded by a whole group with probability at most `1e-4`):
    /// - fixed probability: `Binomial(num_post', p)`;
    /// - fixed number pre: `Binomial(n * num_post', 1 / num_pre')`;
    /// - fixed total number: `Binomial(n, 1 / num_pre)`;
    ///
    /// where `x'` is `x - 1` when autapses are excluded. Saturates at `u32::MAX`
    /// (which [`validate`](Self::validate) rejects).
    pub fn max_row_length(&self, num_pre: u32, num_post: u32, same_population: bool) -> u32 {
        self.row_bound(num_pre, num_post, same_population)
            .min(u32::MAX as u64) as u32
    }

    /// Upper bound on the column length (synapses per postsynaptic neuron), as
    /// [`max_row_length`](Self::max_row_length) with rows and columns swapped:
    /// fixed probability `Binomial(num_pre', p)`, fixed number post
    /// `Binomial(n * num_pre', 1 / num_post')`, fixed total number
    /// `Binomial(n, 1 / num_post)`, each at the per-column quantile.
    pub fn max_col_length(&self, num_pre: u32, num_post: u32, same_population: bool) -> u32 {
        self.col_bound(num_pre, num_post, same_population)
            .min(u32::MAX as u64) as u32
    }

    fn row_bound(&self, num_pre: u32, num_post: u32, same_population: bool) -> u64 {
        if num_pre == 0 || num_post == 0 {
            return 0;
        }
        match self {
            Connectivity::OneToOne => 1,
            Connectivity::AllToAll { autapses } => {
                (num_post - excludes_autapses(*autapses, same_population) as u32) as u64
            }
            Connectivity::FixedProbability { p, autapses } => {
                let candidates = num_post - excludes_autapses(*autapses, same_population) as u32;
                binomial_bound(candidates as u64, *p, num_pre)
            }
            Connectivity::FixedNumberPost { n, .. } => *n as u64,
            Connectivity::FixedNumberPre { n, autapses } => {
                let excl = excludes_autapses(*autapses, same_population) as u32;
                if *n == 0 || num_pre <= excl {
                    return 0;
                }
                let draws = *n as u64 * (num_post - excl) as u64;
                binomial_bound(draws, 1.0 / (num_pre - excl) as f64, num_pre)
            }
            Connectivity::FixedNumberTotal { n } => {
                binomial_bound(*n, 1.0 / num_pre as f64, num_pre)
            }
            Connectivity::Explicit { pre, .. } => max_count(pre, num_pre),
            Connectivity::Snippet(snippet) => snippet.max_row_length(num_pre, num_post) as u64,
        }
    }

    fn col_bound(&self, num_pre: u32, num_post: u32, same_population: bool) -> u64 {
        if num_pre == 0 || num_post == 0 {
            return 0;
        }
        match self {
            Connectivity::OneToOne => 1,
            Connectivity::AllToAll { autapses } => {
                (num_pre - excludes_autapses(*autapses, same_population) as u32) as u64
            }
            Connectivity::FixedProbability { p, autapses } => {
                let candidates = num_pre - excludes_autapses(*autapses, same_population) as u32;
                binomial_bound(candidates as u64, *p, num_post)
            }
            Connectivity::FixedNumberPost { n, autapses } => {
                let excl = excludes_autapses(*autapses, same_population) as u32;
                if *n == 0 || num_post <= excl {
                    return 0;
                }
                let draws = *n as u64 * (num_pre - excl) as u64;
                binomial_bound(draws, 1.0 / (num_post - excl) as f64, num_post)
            }
            Connectivity::FixedNumberPre { n, .. } => *n as u64,
            Connectivity::FixedNumberTotal { n } => {
                binomial_bound(*n, 1.0 / num_post as f64, num_post)
            }
            Connectivity::Explicit { post, .. } => max_count(post, num_post),
            // Unknown without building: every presynaptic neuron may target it.
            Connectivity::Snippet(snippet) => {
                (num_pre as u64).saturating_mul(snippet.max_row_length(num_pre, num_post) as u64)
            }
        }
    }

    /// Builds the connectivity on the host (validating first). Rows are built
    /// in parallel with rayon; the result depends only on the arguments, not
    /// on the thread count. Random draws use `stream` under `seed` as
    /// described in the module docs.
    pub fn build(
        &self,
        num_pre: u32,
        num_post: u32,
        same_population: bool,
        seed: u64,
        stream: u32,
    ) -> Result<SparseConnectivity, String> {
        self.validate(num_pre, num_post, same_population)?;
        if num_pre == 0 || num_post == 0 {
            return Ok(SparseConnectivity::empty(num_pre, num_post));
        }
        let row_rng = |i: u32| RngStream::new(seed, stream, 0, i);
        Ok(match self {
            Connectivity::OneToOne => SparseConnectivity {
                num_pre,
                num_post,
                row_ptr: (0..=num_pre as u64).collect(),
                ind: (0..num_pre).collect(),
            },
            Connectivity::AllToAll { autapses } => {
                let excl = excludes_autapses(*autapses, same_population);
                let len = (num_post - excl as u32) as u64;
                let row_ptr = prefix_sum((0..num_pre).map(|_| len), num_pre as usize);
                rows_of_known_length(num_pre, num_post, row_ptr, |i, row| {
                    let targets = (0..num_post).filter(|&j| !(excl && j == i));
                    for (t, j) in row.iter_mut().zip(targets) {
                        *t = j;
                    }
                })
            }
            Connectivity::FixedProbability { p, autapses } => {
                let excl = excludes_autapses(*autapses, same_population);
                let p = *p;
                rows_of_unknown_length(num_pre, num_post, |i, ind| {
                    let skip = excl.then_some(i);
                    if p >= 1.0 {
                        ind.extend((0..num_post).filter(|&j| Some(j) != skip));
                    } else if p > 0.0 {
                        fixed_probability_row(&mut row_rng(i), num_post, p, skip, ind);
                    }
                })
            }
            Connectivity::FixedNumberPost { n, autapses } => {
                let excl = excludes_autapses(*autapses, same_population);
                let row_ptr = prefix_sum((0..num_pre).map(|_| *n as u64), num_pre as usize);
                rows_of_known_length(num_pre, num_post, row_ptr, |i, row| {
                    draw_sorted(&mut row_rng(i), num_post, excl.then_some(i), row);
                })
            }
            Connectivity::FixedNumberPre { n, autapses } => {
                let excl = excludes_autapses(*autapses, same_population);
                let n = *n as usize;
                // Sources of every column, column-major, each from its own stream.
                let mut sources = crate::mem::zeroed_vec(n * num_post as usize);
                if n > 0 {
                    sources.par_chunks_mut(n).enumerate().for_each(|(j, col)| {
                        let j = j as u32;
                        draw_sorted(&mut row_rng(j), num_pre, excl.then_some(j), col);
                    });
                }
                transpose_columns(num_pre, num_post, n, &sources)
            }
            Connectivity::FixedNumberTotal { n } => {
                let lengths = multinomial_row_lengths(*n as u32, num_pre, seed, stream);
                let row_ptr = prefix_sum(lengths.iter().map(|&l| l as u64), num_pre as usize);
                rows_of_known_length(num_pre, num_post, row_ptr, |i, row| {
                    draw_sorted(&mut row_rng(i), num_post, None, row);
                })
            }
            Connectivity::Explicit { pre, post } => {
                SparseConnectivity::from_pairs(num_pre, num_post, pre, post)?.0
            }
            Connectivity::Snippet(snippet) => {
                let bad = std::sync::Mutex::new(None::<String>);
                let conn = rows_of_unknown_length(num_pre, num_post, |i, ind| {
                    let before = ind.len();
                    snippet.build_row(i, num_pre, num_post, &mut row_rng(i), ind);
                    ind[before..].sort_unstable();
                    if let Some(&j) = ind[before..].iter().find(|&&j| j >= num_post) {
                        let mut bad = bad.lock().unwrap_or_else(|e| e.into_inner());
                        bad.get_or_insert(format!(
                            "{}: row {i} adds a synapse to postsynaptic neuron {j}, out of range \
                             for {num_post} neurons",
                            snippet.name()
                        ));
                        ind.truncate(before);
                    }
                });
                if let Some(msg) = bad.into_inner().unwrap_or_else(|e| e.into_inner()) {
                    return Err(msg);
                }
                conn
            }
        })
    }
}

/// Largest number of occurrences of any value in `0..range`.
fn max_count(values: &[u32], range: u32) -> u64 {
    let mut counts = vec![0u64; range as usize];
    for &v in values {
        if let Some(c) = counts.get_mut(v as usize) {
            *c += 1;
        }
    }
    counts.into_iter().max().unwrap_or(0)
}

/// Row lengths of fixed total number: a multinomial draw of `n` over
/// `num_pre` equally likely rows by sequential conditional binomials on the
/// stream `(seed, stream, 1, 0)`: row `i < num_pre - 1` gets
/// `binomial::<f64>(remaining, 1 / (num_pre - i))`, the last row the rest.
pub fn multinomial_row_lengths(n: u32, num_pre: u32, seed: u64, stream: u32) -> Vec<u32> {
    let mut rng = RngStream::new(seed, stream, 1, 0);
    let mut remaining = n;
    let mut lengths = Vec::with_capacity(num_pre as usize);
    for i in 0..num_pre - 1 {
        let len = rng.binomial::<f64>(remaining, 1.0 / (num_pre - i) as f64);
        lengths.push(len);
        remaining -= len;
    }
    lengths.push(remaining);
    lengths
}

/// Rows from `num_post` columns of `n` sources each (column-major in
/// `sources`), by a counting sort that visits columns in ascending order, so
/// every row comes out sorted with multapses adjacent.
fn transpose_columns(num_pre: u32, num_post: u32, n: usize, sources: &[u32]) -> SparseConnectivity {
    let mut row_ptr = vec![0u64; num_pre as usize + 1];
    for &i in sources {
        row_ptr[i as usize + 1] += 1;
    }
    for i in 0..num_pre as usize {
        row_ptr[i + 1] += row_ptr[i];
    }
    let mut next: Vec<u64> = row_ptr[..num_pre as usize].to_vec();
    let mut ind = vec![0u32; sources.len()];
    if n > 0 {
        for (j, col) in sources.chunks_exact(n).enumerate() {
            for &i in col {
                ind[next[i as usize] as usize] = j as u32;
                next[i as usize] += 1;
            }
        }
    }
    SparseConnectivity {
        num_pre,
        num_post,
        row_ptr,
        ind,
    }
}

mod quantiles;
pub use quantiles::{binomial_inverse_cdf, binomial_upper_quantile};

#[cfg(test)]
mod tests;
