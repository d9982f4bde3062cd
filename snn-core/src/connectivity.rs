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
        let gap = (u.ln() / ln_q).floor();
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

// ---------------------------------------------------------------------------
// Binomial quantiles
// ---------------------------------------------------------------------------

/// Above this variance `n p (1 - p)`, [`binomial_upper_quantile`] uses a
/// normal approximation instead of summing probabilities (the exact sum takes
/// about ten standard deviations of steps).
const EXACT_QUANTILE_MAX_VARIANCE: f64 = 1e10;

/// Inverse CDF of `Binomial(n, p)`: the smallest `k` with `P(X <= k) >= q`.
///
/// Computed as [`binomial_upper_quantile`]`(1 - q, n, p)`; for `q` very close
/// to 1 call that directly with an accurately computed `1 - q`.
pub fn binomial_inverse_cdf(q: f64, n: u64, p: f64) -> u64 {
    binomial_upper_quantile(1.0 - q, n, p)
}

/// The smallest `k` with `P(X > k) <= alpha` for `X ~ Binomial(n, p)`.
///
/// Method: when the variance `n p (1 - p)` is at most 1e10, exact summation:
/// the probability at the mode comes from Loader's saddle-point formula (as R's
/// `dbinom`, accurate for any `n`), the others by the ratio recurrence in log
/// space; probabilities are summed from the right tail, whose remainder beyond
/// the last term is bounded by a geometric series and counted in full, so any
/// rounding makes the result larger (a safe bound), never smaller. Beyond
/// that variance: a normal approximation with continuity and Cornish-Fisher
/// skewness corrections plus a margin of `1e-4 sd + 16`, which exceeds the
/// neglected terms (of order `1 / sd` there) by far.
///
/// `p` outside `(0, 1)` is clamped; `alpha >= 1` gives 0, `alpha <= 0` gives `n`.
pub fn binomial_upper_quantile(alpha: f64, n: u64, p: f64) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 || alpha >= 1.0 {
        return 0;
    }
    if p >= 1.0 || alpha <= 0.0 || alpha.is_nan() {
        return n;
    }
    let q = 1.0 - p;
    if n as f64 * p * q > EXACT_QUANTILE_MAX_VARIANCE {
        binomial_upper_quantile_normal(alpha, n, p)
    } else {
        binomial_upper_quantile_exact(alpha, n, p)
    }
}

/// Exact-summation branch of [`binomial_upper_quantile`] (`0 < p < 1`, `0 < alpha < 1`).
fn binomial_upper_quantile_exact(alpha: f64, n: u64, p: f64) -> u64 {
    let ln_p = p.ln();
    let ln_q = (-p).ln_1p();
    let ln_odds = ln_p - ln_q;
    let mode = (((n as f64 + 1.0) * p).floor() as u64).min(n);
    let ln_pmf_mode = ln_binomial_pmf(mode, n, p);

    // Walk right from the mode, keeping pmf(mode..=last).
    let mut pmf = Vec::new();
    let mut ln_pmf = ln_pmf_mode;
    let mut j = mode;
    let remainder = loop {
        pmf.push(ln_pmf.exp());
        if j == n {
            break 0.0;
        }
        // pmf(j + 1) / pmf(j), at most 1 right of the mode and decreasing.
        let ln_ratio = ((n - j) as f64 / (j + 1) as f64).ln() + ln_odds;
        let ratio = ln_ratio.exp();
        if ratio < 1.0 {
            // P(X > j) <= pmf(j) * ratio / (1 - ratio).
            let bound = ln_pmf.exp() * ratio / (1.0 - ratio);
            if bound <= alpha * 1e-3 {
                break bound;
            }
        }
        ln_pmf += ln_ratio;
        j += 1;
    };

    // tail = P(X > k), from k = last down.
    let mut k = j;
    let mut tail = remainder;
    while k > mode {
        let t = tail + pmf[(k - mode) as usize];
        if t > alpha {
            return k;
        }
        tail = t;
        k -= 1;
    }
    // Left of the mode (only for large alpha).
    let mut ln_pmf = ln_pmf_mode;
    while k > 0 {
        let t = tail + ln_pmf.exp();
        if t > alpha {
            return k;
        }
        tail = t;
        ln_pmf += (k as f64 / (n - k + 1) as f64).ln() - ln_odds;
        k -= 1;
    }
    0
}

/// Normal-approximation branch of [`binomial_upper_quantile`], for large variance.
fn binomial_upper_quantile_normal(alpha: f64, n: u64, p: f64) -> u64 {
    let mean = n as f64 * p;
    let sd = (mean * (1.0 - p)).sqrt();
    let z = normal_upper_quantile(alpha);
    let skew = (1.0 - 2.0 * p) / sd;
    let z_cf = z + (z * z - 1.0) * skew / 6.0;
    let k = (mean + z_cf * sd + 0.5 + 1e-4 * sd + 16.0).ceil();
    if k >= n as f64 {
        n
    } else {
        k.max(0.0) as u64
    }
}

/// `z` with `P(Z > z) = alpha` for a standard normal `Z` (Acklam's rational
/// approximation, relative error below 1.2e-9).
fn normal_upper_quantile(alpha: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    // Lower-tail quantile of probability `x`, for x <= 0.5.
    let lower = |x: f64| -> f64 {
        if x < 0.02425 {
            let r = (-2.0 * x.ln()).sqrt();
            (((((C[0] * r + C[1]) * r + C[2]) * r + C[3]) * r + C[4]) * r + C[5])
                / ((((D[0] * r + D[1]) * r + D[2]) * r + D[3]) * r + 1.0)
        } else {
            let r = x - 0.5;
            let s = r * r;
            (((((A[0] * s + A[1]) * s + A[2]) * s + A[3]) * s + A[4]) * s + A[5]) * r
                / (((((B[0] * s + B[1]) * s + B[2]) * s + B[3]) * s + B[4]) * s + 1.0)
        }
    };
    if alpha <= 0.5 {
        -lower(alpha)
    } else {
        lower(1.0 - alpha)
    }
}

/// `ln P(X = k)` for `X ~ Binomial(n, p)`, `0 < p < 1`, by Loader's
/// saddle-point formula (Loader 2000, "Fast and accurate computation of
/// binomial probabilities"), accurate to near machine precision for any `n`.
fn ln_binomial_pmf(k: u64, n: u64, p: f64) -> f64 {
    let q = 1.0 - p;
    if k == 0 {
        return n as f64 * (-p).ln_1p();
    }
    if k == n {
        return n as f64 * p.ln();
    }
    let (nf, kf) = (n as f64, k as f64);
    let rest = nf - kf;
    let ln_core = stirling_error(nf)
        - stirling_error(kf)
        - stirling_error(rest)
        - deviance(kf, nf * p)
        - deviance(rest, nf * q);
    ln_core + 0.5 * (nf / (2.0 * std::f64::consts::PI * kf * rest)).ln()
}

/// Stirling's error `ln(x!) - ((x + 1/2) ln x - x + ln(2 pi) / 2)` for a
/// positive integer `x`.
fn stirling_error(x: f64) -> f64 {
    if x <= 15.0 {
        let ln_fact: f64 = (2..=x as u64).map(|i| (i as f64).ln()).sum();
        ln_fact - ((x + 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln())
    } else {
        let x2 = x * x;
        (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - 1.0 / (1680.0 * x2)) / x2) / x2) / x
    }
}

/// Loader's deviance term `x ln(x / m) + m - x`, computed stably when `x` is near `m`.
fn deviance(x: f64, m: f64) -> f64 {
    if (x - m).abs() < 0.1 * (x + m) {
        let v = (x - m) / (x + m);
        let mut sum = (x - m) * v;
        let mut ej = 2.0 * x * v;
        let v2 = v * v;
        for j in 1..1000 {
            ej *= v2;
            let next = sum + ej / (2 * j + 1) as f64;
            if next == sum {
                break;
            }
            sum = next;
        }
        sum
    } else {
        x * (x / m).ln() + m - x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED: u64 = 0x5EED_1234_ABCD;

    fn build(c: &Connectivity, pre: u32, post: u32, same: bool, seed: u64) -> SparseConnectivity {
        let sc = c.build(pre, post, same, seed, 7).unwrap();
        sc.check().unwrap();
        sc
    }

    /// Exact pmf of Binomial(n, p) for small n (product formula).
    fn exact_pmf(n: u64, p: f64) -> Vec<f64> {
        let mut coef = 1.0f64;
        (0..=n)
            .map(|k| {
                if k > 0 {
                    coef = coef * (n - k + 1) as f64 / k as f64;
                }
                coef * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32)
            })
            .collect()
    }

    /// Smallest k with P(X > k) <= alpha, by summing the exact tail from the top.
    fn exact_upper_quantile(alpha: f64, n: u64, p: f64) -> (u64, Vec<f64>) {
        let pmf = exact_pmf(n, p);
        let mut tails = vec![0.0; n as usize + 1];
        for k in (0..n as usize).rev() {
            tails[k] = tails[k + 1] + pmf[k + 1];
        }
        let k = (0..=n).find(|&k| tails[k as usize] <= alpha).unwrap();
        (k, tails)
    }

    #[test]
    fn pmf_matches_exact_small_cases() {
        for n in [1u64, 2, 5, 17, 40] {
            for p in [0.01, 0.3, 0.5, 0.77] {
                let exact = exact_pmf(n, p);
                for k in 0..=n {
                    let got = ln_binomial_pmf(k, n, p).exp();
                    let want = exact[k as usize];
                    assert!(
                        (got - want).abs() <= 1e-12 * want,
                        "n={n} p={p} k={k}: {got} vs {want}"
                    );
                }
            }
        }
        // Large n: pmf at the mode ~ 1 / sqrt(2 pi n p q).
        let n = 1_000_000_000u64;
        let v = ln_binomial_pmf(n / 2, n, 0.5).exp();
        let approx = 1.0 / (2.0 * std::f64::consts::PI * n as f64 * 0.25).sqrt();
        assert!((v / approx - 1.0).abs() < 1e-8);
    }

    #[test]
    fn quantile_matches_exact_small_cases() {
        for n in [0u64, 1, 2, 3, 5, 10, 30, 60] {
            for p in [0.0, 1e-6, 0.01, 0.1, 0.3, 0.5, 0.9, 0.999, 1.0] {
                for alpha in [0.9, 0.5, 0.1, 1e-2, 1e-4, 1e-8, 1e-12] {
                    let got = binomial_upper_quantile(alpha, n, p);
                    let want = if n == 0 || p == 0.0 {
                        0
                    } else if p == 1.0 {
                        n
                    } else {
                        let (k, tails) = exact_upper_quantile(alpha, n, p);
                        // The remainder bound may over-count the tail by
                        // alpha * 1e-3: one more is allowed only at a near-tie.
                        if got == k + 1 {
                            assert!(tails[k as usize] > alpha * (1.0 - 2e-3));
                            got
                        } else {
                            k
                        }
                    };
                    assert_eq!(got, want, "n={n} p={p} alpha={alpha}");
                }
            }
        }
        // Inverse CDF form.
        assert_eq!(binomial_inverse_cdf(0.5, 10, 0.5), 5);
        assert_eq!(binomial_inverse_cdf(0.0, 10, 0.5), 0);
        assert_eq!(binomial_inverse_cdf(1.0, 10, 0.5), 10);
        // P(X <= 0) = 0.5^10 ~ 0.00098 >= 0.0009.
        assert_eq!(binomial_inverse_cdf(0.0009, 10, 0.5), 0);
        assert_eq!(binomial_inverse_cdf(0.001, 10, 0.5), 1);
    }

    #[test]
    fn quantile_normal_branch_is_a_close_upper_bound() {
        // Variances below the switch, so the exact branch is the reference.
        for (n, p) in [
            (4_000_000_000u64, 0.5),
            (1_000_000_000_000, 1e-3),
            (100_000_000, 0.9),
        ] {
            let sd = (n as f64 * p * (1.0 - p)).sqrt();
            for alpha in [1e-4, 1e-10, 1e-14] {
                let exact = binomial_upper_quantile_exact(alpha, n, p);
                let normal = binomial_upper_quantile_normal(alpha, n, p);
                assert!(normal >= exact, "n={n} p={p} alpha={alpha}");
                assert!(
                    (normal - exact) as f64 <= 2e-4 * sd + 20.0,
                    "n={n} p={p} alpha={alpha}: {normal} vs {exact}"
                );
            }
        }
        // The switch itself.
        let n = 1u64 << 42;
        let k = binomial_upper_quantile(1e-6, n, 0.5);
        let sd = (n as f64 * 0.25).sqrt();
        assert!(k as f64 > n as f64 * 0.5 + 4.7 * sd && (k as f64) < n as f64 * 0.5 + 5.0 * sd);
    }

    #[test]
    fn deterministic_rules_are_exact() {
        let sc = build(&Connectivity::OneToOne, 10, 10, true, SEED);
        assert_eq!(sc.row_ptr, (0..=10).collect::<Vec<u64>>());
        assert_eq!(sc.ind, (0..10).collect::<Vec<u32>>());
        assert_eq!(Connectivity::OneToOne.max_row_length(10, 10, true), 1);
        assert_eq!(Connectivity::OneToOne.max_col_length(10, 10, true), 1);

        let all = Connectivity::AllToAll { autapses: true };
        let sc = build(&all, 3, 4, false, SEED);
        assert_eq!(sc.num_synapses(), 12);
        for i in 0..3 {
            assert_eq!(sc.row(i), &[0, 1, 2, 3]);
        }
        assert_eq!(all.max_row_length(3, 4, false), 4);
        assert_eq!(all.max_col_length(3, 4, false), 3);

        let no_self = Connectivity::AllToAll { autapses: false };
        let sc = build(&no_self, 4, 4, true, SEED);
        assert_eq!(sc.row(0), &[1, 2, 3]);
        assert_eq!(sc.row(2), &[0, 1, 3]);
        assert_eq!(sc.num_synapses(), 12);
        assert_eq!(no_self.max_row_length(4, 4, true), 3);
        // Autapses only matter within one population.
        assert_eq!(build(&no_self, 4, 4, false, SEED).num_synapses(), 16);
        assert_eq!(no_self.max_row_length(4, 4, false), 4);

        // Empty populations.
        let sc = build(
            &Connectivity::FixedProbability {
                p: 0.5,
                autapses: true,
            },
            0,
            5,
            false,
            SEED,
        );
        assert_eq!(sc, SparseConnectivity::empty(0, 5));
    }

    #[test]
    fn fixed_probability_statistics() {
        let (npre, npost, p) = (500u32, 400u32, 0.1);
        let c = Connectivity::FixedProbability { p, autapses: true };
        let sc = build(&c, npre, npost, false, SEED);
        // Total ~ Binomial(200000, 0.1): mean 20000, sd 134.2; 5 sd = 671.
        let total = sc.num_synapses() as f64;
        assert!((total - 20_000.0).abs() < 671.0, "total {total}");
        // Row degrees ~ Binomial(400, 0.1): mean 40, variance 36. The sample
        // variance of 500 rows has sd ~ sqrt(2 * 36^2 / 499) = 2.28; 5 sd = 11.4.
        let lens: Vec<f64> = sc.row_lengths().iter().map(|&l| l as f64).collect();
        let mean = lens.iter().sum::<f64>() / npre as f64;
        let var = lens.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (npre - 1) as f64;
        assert!(
            (mean - 40.0).abs() < 5.0 * (36.0f64 / 500.0).sqrt(),
            "mean {mean}"
        );
        assert!((var - 36.0).abs() < 11.4, "var {var}");
        // Targets uniform: chi-square of in-degrees against their mean, 399
        // degrees of freedom (in-degrees are binomial, so the statistic is
        // about 0.9 * 399 = 359); 399 + 5 * sqrt(2 * 399) = 540.
        assert!(chi_square(&sc.in_degrees()) < 540.0);
        // No multapses: rows strictly increasing.
        for i in 0..npre {
            assert!(sc.row(i).windows(2).all(|w| w[0] < w[1]));
        }

        // Without autapses in one population.
        let c = Connectivity::FixedProbability {
            p: 0.2,
            autapses: false,
        };
        let sc = build(&c, 300, 300, true, SEED);
        for i in 0..300 {
            assert!(!sc.row(i).contains(&i), "autapse in row {i}");
        }
        // Total ~ Binomial(300 * 299, 0.2): mean 17940, sd 119.8; 5 sd = 599.
        assert!((sc.num_synapses() as f64 - 17_940.0).abs() < 599.0);

        // Edge probabilities.
        let none = Connectivity::FixedProbability {
            p: 0.0,
            autapses: true,
        };
        assert_eq!(build(&none, 20, 30, false, SEED).num_synapses(), 0);
        assert_eq!(none.max_row_length(20, 30, false), 0);
        let full = Connectivity::FixedProbability {
            p: 1.0,
            autapses: false,
        };
        let all = Connectivity::AllToAll { autapses: false };
        assert_eq!(
            build(&full, 20, 20, true, SEED),
            build(&all, 20, 20, true, SEED)
        );
        assert_eq!(full.max_row_length(20, 20, true), 19);
    }

    /// Chi-square statistic of counts against their mean.
    fn chi_square(counts: &[u32]) -> f64 {
        let e = counts.iter().map(|&c| c as f64).sum::<f64>() / counts.len() as f64;
        counts.iter().map(|&c| (c as f64 - e).powi(2) / e).sum()
    }

    #[test]
    fn fixed_number_post_statistics() {
        let c = Connectivity::FixedNumberPost {
            n: 40,
            autapses: true,
        };
        let sc = build(&c, 300, 250, false, SEED);
        assert!(sc.row_lengths().iter().all(|&l| l == 40));
        // 12000 uniform draws into 250 bins: chi-square with 249 degrees of
        // freedom; 249 + 5 * sqrt(498) = 361.
        assert!(chi_square(&sc.in_degrees()) < 361.0);

        let c = Connectivity::FixedNumberPost {
            n: 50,
            autapses: false,
        };
        let sc = build(&c, 200, 200, true, SEED);
        assert!(sc.row_lengths().iter().all(|&l| l == 50));
        for i in 0..200 {
            assert!(!sc.row(i).contains(&i));
        }
        // 10000 draws into 200 bins (each column misses only its own row):
        // 199 + 5 * sqrt(398) = 299.
        assert!(chi_square(&sc.in_degrees()) < 299.0);
        // Multapses are allowed: n > num_post still works.
        let c = Connectivity::FixedNumberPost {
            n: 30,
            autapses: false,
        };
        let sc = build(&c, 2, 2, true, SEED);
        assert_eq!(sc.row(0), &[1; 30]);
        assert_eq!(sc.row(1), &[0; 30]);
    }

    #[test]
    fn fixed_number_pre_statistics() {
        let c = Connectivity::FixedNumberPre {
            n: 30,
            autapses: true,
        };
        let sc = build(&c, 200, 300, false, SEED);
        assert!(sc.in_degrees().iter().all(|&d| d == 30));
        // 9000 uniform source draws into 200 rows: 199 + 5 * sqrt(398) = 299.
        assert!(chi_square(&sc.row_lengths()) < 299.0);

        let c = Connectivity::FixedNumberPre {
            n: 25,
            autapses: false,
        };
        let sc = build(&c, 150, 150, true, SEED);
        assert!(sc.in_degrees().iter().all(|&d| d == 25));
        for i in 0..150 {
            assert!(!sc.row(i).contains(&i));
        }
    }

    #[test]
    fn sort_targets_equals_sort_unstable() {
        let mut rng = RngStream::new(1, 2, 3, 4);
        for (len, range) in [
            (0usize, 1u32),
            (1, 5),
            (63, 100),
            (64, 100),
            (500, 21_915),
            (5000, 1 << 16),
            (300, (1 << 16) + 1),
            (1000, 2),
        ] {
            let mut v: Vec<u32> = (0..len)
                .map(|_| uniform_index(rng.next_u32(), range))
                .collect();
            let mut want = v.clone();
            want.sort_unstable();
            sort_targets(&mut v, range);
            assert_eq!(v, want, "len {len}, range {range}");
        }
    }

    #[test]
    fn fixed_number_total_statistics() {
        let (n, npre, npost) = (100_000u64, 500u32, 200u32);
        let c = Connectivity::FixedNumberTotal { n };
        let sc = build(&c, npre, npost, false, SEED);
        assert_eq!(sc.num_synapses(), n);
        // Row lengths: multinomial, each Binomial(1e5, 1/500) with variance
        // 199.6; the sample variance about the exact mean 200 has expectation
        // 500 * 199.6 / 499 = 200.0 and sd ~ sqrt(2 / 499) * 200 = 12.7; 5 sd = 63.
        let lens = sc.row_lengths();
        let var = lens
            .iter()
            .map(|&l| (l as f64 - 200.0).powi(2))
            .sum::<f64>()
            / 499.0;
        assert!((var - 200.0).abs() < 63.0, "var {var}");
        // Targets: 1e5 uniform draws into 200 bins: 199 + 5 * sqrt(398) = 299.
        assert!(chi_square(&sc.in_degrees()) < 299.0);
        // A single row takes everything.
        let sc = build(
            &Connectivity::FixedNumberTotal { n: 50 },
            1,
            10,
            false,
            SEED,
        );
        assert_eq!(sc.row_lengths(), vec![50]);
        assert_eq!(
            Connectivity::FixedNumberTotal { n: 50 }.max_row_length(1, 10, false),
            50
        );
    }

    fn random_rules() -> Vec<(Connectivity, u32, u32, bool)> {
        vec![
            (
                Connectivity::FixedProbability {
                    p: 0.05,
                    autapses: true,
                },
                200,
                300,
                false,
            ),
            (
                Connectivity::FixedProbability {
                    p: 0.3,
                    autapses: false,
                },
                120,
                120,
                true,
            ),
            (
                Connectivity::FixedProbability {
                    p: 0.001,
                    autapses: true,
                },
                1000,
                1000,
                false,
            ),
            (
                Connectivity::FixedNumberPost {
                    n: 20,
                    autapses: true,
                },
                150,
                100,
                false,
            ),
            (
                Connectivity::FixedNumberPost {
                    n: 10,
                    autapses: false,
                },
                100,
                100,
                true,
            ),
            (
                Connectivity::FixedNumberPre {
                    n: 15,
                    autapses: true,
                },
                100,
                150,
                false,
            ),
            (
                Connectivity::FixedNumberPre {
                    n: 10,
                    autapses: false,
                },
                90,
                90,
                true,
            ),
            (Connectivity::FixedNumberTotal { n: 5000 }, 100, 80, false),
            (Connectivity::FixedNumberTotal { n: 10 }, 1000, 5, false),
        ]
    }

    #[test]
    fn bounds_hold_over_many_seeds_and_are_tight() {
        for (c, npre, npost, same) in random_rules() {
            let row_bound = c.max_row_length(npre, npost, same);
            let col_bound = c.max_col_length(npre, npost, same);
            let mut max_row = 0;
            let mut max_col = 0;
            for seed in 0..50 {
                let sc = build(&c, npre, npost, same, seed);
                max_row = max_row.max(sc.max_row_length());
                max_col = max_col.max(sc.column_view().max_col_length());
            }
            assert!(max_row <= row_bound, "{c:?}: row {max_row} > {row_bound}");
            assert!(max_col <= col_bound, "{c:?}: col {max_col} > {col_bound}");
            // Not absurdly loose: the bound is a ~4-6 sd quantile.
            assert!(
                row_bound <= 2 * max_row + 10,
                "{c:?}: row bound {row_bound} vs {max_row}"
            );
            assert!(
                col_bound <= 2 * max_col + 10,
                "{c:?}: col bound {col_bound} vs {max_col}"
            );
        }
    }

    #[test]
    fn results_do_not_depend_on_thread_count() {
        let pool = |t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
        };
        let (one, eight) = (pool(1), pool(8));
        let mut rules = random_rules();
        rules.push((Connectivity::AllToAll { autapses: false }, 70, 70, true));
        rules.push((
            Connectivity::Explicit {
                pre: vec![3, 1, 3, 0, 1, 3],
                post: vec![2, 2, 0, 1, 2, 2],
            },
            4,
            3,
            false,
        ));
        for (c, npre, npost, same) in rules {
            let a = one.install(|| c.build(npre, npost, same, SEED, 3).unwrap());
            let b = eight.install(|| c.build(npre, npost, same, SEED, 3).unwrap());
            assert_eq!(a, b, "{c:?}");
        }
    }

    #[test]
    fn seeds_and_streams_change_the_result() {
        for (c, npre, npost, same) in random_rules() {
            let a = c.build(npre, npost, same, 1, 0).unwrap();
            assert_eq!(a, c.build(npre, npost, same, 1, 0).unwrap());
            assert_ne!(a, c.build(npre, npost, same, 2, 0).unwrap(), "{c:?}");
            assert_ne!(a, c.build(npre, npost, same, 1, 1).unwrap(), "{c:?}");
        }
    }

    #[test]
    fn column_view_is_consistent() {
        let c = Connectivity::FixedNumberPost {
            n: 7,
            autapses: true,
        };
        let sc = build(&c, 50, 20, false, SEED);
        let cv = sc.column_view();
        assert_eq!(cv.num_cols(), 20);
        assert_eq!(cv.rows.len() as u64, sc.num_synapses());
        let degrees = sc.in_degrees();
        let mut seen = vec![false; sc.ind.len()];
        for j in 0..20 {
            assert_eq!(cv.column(j).len() as u32, degrees[j as usize]);
            let rows = cv.column(j);
            let pos = cv.column_csr_positions(j);
            for (&i, &s) in rows.iter().zip(pos) {
                assert_eq!(sc.ind[s as usize], j);
                assert!(sc.row_ptr[i as usize] <= s && s < sc.row_ptr[i as usize + 1]);
                assert!(!seen[s as usize]);
                seen[s as usize] = true;
            }
            assert!(pos.windows(2).all(|w| w[0] < w[1]));
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn validation_names_the_fault() {
        let err = |c: Connectivity, pre, post, same| c.validate(pre, post, same).unwrap_err();
        assert!(err(
            Connectivity::FixedProbability {
                p: 1.5,
                autapses: true
            },
            5,
            5,
            false
        )
        .contains("1.5 is not in [0, 1]"));
        assert!(err(
            Connectivity::FixedProbability {
                p: f64::NAN,
                autapses: true
            },
            5,
            5,
            false
        )
        .contains("NaN"));
        assert!(
            err(Connectivity::OneToOne, 5, 6, false).contains("5 presynaptic and 6 postsynaptic")
        );
        assert!(
            err(Connectivity::AllToAll { autapses: true }, 5, 6, true).contains("same population")
        );
        assert!(err(
            Connectivity::FixedNumberPost {
                n: 3,
                autapses: false
            },
            1,
            1,
            true
        )
        .contains("autapses excluded"));
        assert!(Connectivity::FixedNumberPost {
            n: 3,
            autapses: true
        }
        .validate(1, 1, true)
        .is_ok());
        assert!(Connectivity::FixedNumberPost {
            n: 3,
            autapses: false
        }
        .validate(1, 1, false)
        .is_ok());
        assert!(Connectivity::FixedNumberPost {
            n: 0,
            autapses: false
        }
        .validate(1, 1, true)
        .is_ok());
        assert!(err(
            Connectivity::FixedNumberPost {
                n: 3,
                autapses: true
            },
            4,
            0,
            false
        )
        .contains("no allowed target"));
        assert!(err(
            Connectivity::FixedNumberPre {
                n: 3,
                autapses: false
            },
            1,
            1,
            true
        )
        .contains("no allowed source"));
        assert!(err(Connectivity::FixedNumberTotal { n: 10 }, 0, 5, false).contains("10 synapses"));
        assert!(
            err(Connectivity::FixedNumberTotal { n: 1 << 33 }, 5, 5, false).contains("supported")
        );
        assert!(err(
            Connectivity::FixedNumberPre {
                n: u32::MAX,
                autapses: true
            },
            1,
            4,
            false
        )
        .contains("supported"));

        let mut post: Vec<u32> = (0..32).collect();
        post[17] = 40;
        let pre = vec![0u32; 32];
        assert_eq!(
            err(
                Connectivity::Explicit {
                    pre: pre.clone(),
                    post
                },
                1,
                32,
                false
            ),
            "synapse 17: post index 40 is out of range for 32 postsynaptic neurons"
        );
        assert!(err(
            Connectivity::Explicit {
                pre: pre.clone(),
                post: vec![0; 3]
            },
            1,
            32,
            false
        )
        .contains("32 presynaptic but 3 postsynaptic"));
        assert_eq!(
            err(
                Connectivity::Explicit {
                    pre: vec![0, 2],
                    post: vec![0, 0]
                },
                2,
                1,
                false
            ),
            "synapse 1: pre index 2 is out of range for 2 presynaptic neurons"
        );
        // build validates too.
        assert!(Connectivity::OneToOne.build(3, 4, false, 0, 0).is_err());
    }

    #[test]
    fn explicit_order_is_stable() {
        let pre = vec![1, 0, 1, 1, 0];
        let post = vec![5, 2, 3, 5, 2];
        let (sc, order) = SparseConnectivity::from_pairs(2, 6, &pre, &post).unwrap();
        assert_eq!(sc.row(0), &[2, 2]);
        assert_eq!(sc.row(1), &[3, 5, 5]);
        assert_eq!(order, vec![1, 4, 2, 0, 3]);
        let c = Connectivity::Explicit { pre, post };
        assert_eq!(c.max_row_length(2, 6, false), 3);
        assert_eq!(c.max_col_length(2, 6, false), 2);
    }

    /// Any built-in rule with random parameters: `(rule, num_pre, num_post,
    /// same_population)`. Sizes include 0 and 1; probabilities include the
    /// exact 0 and 1; fixed numbers may exceed the population (drawn with
    /// replacement).
    fn any_rule() -> impl Strategy<Value = (Connectivity, u32, u32, bool)> {
        let sizes = (0u32..40, 0u32..40, any::<bool>()).prop_map(|(a, b, same)| {
            if same {
                (a, a, true)
            } else {
                (a, b, false)
            }
        });
        (sizes, any::<bool>()).prop_flat_map(|((a, b, same), autapses)| {
            let p = prop_oneof![Just(0.0), Just(1.0), 0.0f64..=1.0];
            let explicit = (
                Just(a),
                Just(b),
                proptest::collection::vec((0..a.max(1), 0..b.max(1)), 0..120),
            )
                .prop_map(|(a, b, pairs)| {
                    // Pairs only exist when both sides have neurons.
                    let pairs: Vec<(u32, u32)> = if a == 0 || b == 0 { vec![] } else { pairs };
                    Connectivity::Explicit {
                        pre: pairs.iter().map(|p| p.0).collect(),
                        post: pairs.iter().map(|p| p.1).collect(),
                    }
                });
            let rule = prop_oneof![
                Just(Connectivity::OneToOne),
                Just(Connectivity::AllToAll { autapses }),
                p.prop_map(move |p| Connectivity::FixedProbability { p, autapses }),
                (0u32..60).prop_map(move |n| Connectivity::FixedNumberPost { n, autapses }),
                (0u32..60).prop_map(move |n| Connectivity::FixedNumberPre { n, autapses }),
                (0u64..2000).prop_map(|n| Connectivity::FixedNumberTotal { n }),
                explicit,
            ];
            (rule, Just(a), Just(b), Just(same))
        })
    }

    proptest! {
        /// Every built-in rule either is rejected by `validate` (and then
        /// by `build`, with the same message) or builds well-formed rows
        /// with the counts it promises, deterministically.
        #[test]
        fn every_rule_builds_well_formed_rows(
            (c, num_pre, num_post, same) in any_rule(),
            seed in any::<u64>(),
            stream in 0u32..8,
        ) {
            let built = c.build(num_pre, num_post, same, seed, stream);
            if let Err(reason) = c.validate(num_pre, num_post, same) {
                prop_assert_eq!(built, Err(reason));
                return Ok(());
            }
            let sc = built.unwrap();
            // Well-formed CSR, checked here directly (not only by check()).
            prop_assert_eq!(sc.num_pre, num_pre);
            prop_assert_eq!(sc.num_post, num_post);
            prop_assert_eq!(sc.row_ptr.len(), num_pre as usize + 1);
            prop_assert_eq!(sc.row_ptr[0], 0);
            prop_assert_eq!(*sc.row_ptr.last().unwrap(), sc.ind.len() as u64);
            prop_assert!(sc.row_ptr.windows(2).all(|w| w[0] <= w[1]), "row_ptr decreases");
            prop_assert!(sc.check().is_ok());
            for i in 0..num_pre {
                let row = sc.row(i);
                prop_assert!(row.windows(2).all(|w| w[0] <= w[1]), "row {} unsorted", i);
                prop_assert!(row.iter().all(|&j| j < num_post), "row {} out of range", i);
            }
            let excl = same && matches!(
                c,
                Connectivity::AllToAll { autapses: false }
                    | Connectivity::FixedProbability { autapses: false, .. }
                    | Connectivity::FixedNumberPost { autapses: false, .. }
                    | Connectivity::FixedNumberPre { autapses: false, .. }
            );
            if excl {
                for i in 0..num_pre {
                    prop_assert!(!sc.row(i).contains(&i), "autapse {} -> {}", i, i);
                }
            }
            // The counts each rule promises.
            let rows = sc.row_lengths();
            let cols = sc.in_degrees();
            let empty = num_pre == 0 || num_post == 0;
            match &c {
                Connectivity::OneToOne => {
                    prop_assert_eq!(&sc.ind, &(0..num_pre).collect::<Vec<u32>>());
                    prop_assert!(rows.iter().all(|&l| l == 1));
                }
                Connectivity::AllToAll { .. } => {
                    for i in 0..num_pre {
                        let want: Vec<u32> =
                            (0..num_post).filter(|&j| !(excl && j == i)).collect();
                        prop_assert_eq!(sc.row(i), &want[..]);
                    }
                }
                Connectivity::FixedProbability { p, .. } => {
                    for i in 0..num_pre {
                        // No multapses: strictly increasing rows.
                        prop_assert!(sc.row(i).windows(2).all(|w| w[0] < w[1]));
                        let full = num_post - (excl as u32);
                        if *p == 0.0 {
                            prop_assert!(sc.row(i).is_empty());
                        } else if *p == 1.0 {
                            prop_assert_eq!(sc.row(i).len() as u32, full);
                        }
                    }
                }
                Connectivity::FixedNumberPost { n, .. } => {
                    let n = if empty { 0 } else { *n };
                    prop_assert!(rows.iter().all(|&l| l == n), "rows {:?}", rows);
                }
                Connectivity::FixedNumberPre { n, .. } => {
                    let n = if empty { 0 } else { *n };
                    prop_assert!(cols.iter().all(|&l| l == n), "columns {:?}", cols);
                }
                Connectivity::FixedNumberTotal { n } => {
                    let n = if empty { 0 } else { *n };
                    prop_assert_eq!(sc.num_synapses(), n);
                }
                Connectivity::Explicit { pre, post } => {
                    let mut want: Vec<(u32, u32)> =
                        pre.iter().copied().zip(post.iter().copied()).collect();
                    want.sort_unstable();
                    let got: Vec<(u32, u32)> = (0..num_pre)
                        .flat_map(|i| sc.row(i).iter().map(move |&j| (i, j)))
                        .collect();
                    prop_assert_eq!(got, want);
                }
                Connectivity::Snippet(_) => unreachable!(),
            }
            // Deterministic bounds are exact upper bounds.
            if !matches!(
                c,
                Connectivity::FixedProbability { .. }
                    | Connectivity::FixedNumberPre { .. }
                    | Connectivity::FixedNumberTotal { .. }
            ) {
                prop_assert!(sc.max_row_length() <= c.max_row_length(num_pre, num_post, same));
            }
            if !matches!(
                c,
                Connectivity::FixedProbability { .. }
                    | Connectivity::FixedNumberPost { .. }
                    | Connectivity::FixedNumberTotal { .. }
            ) {
                let longest_col = cols.iter().copied().max().unwrap_or(0);
                prop_assert!(longest_col <= c.max_col_length(num_pre, num_post, same));
            }
            // The column view holds every synapse once, pointing back at it.
            let view = sc.column_view();
            prop_assert_eq!(view.rows.len(), sc.ind.len());
            for j in 0..num_post {
                for (&i, &pos) in view.column(j).iter().zip(view.column_csr_positions(j)) {
                    prop_assert_eq!(sc.ind[pos as usize], j);
                    prop_assert!(sc.row_ptr[i as usize] <= pos && pos < sc.row_ptr[i as usize + 1]);
                }
            }
            // Same seed and stream: same rows.
            prop_assert_eq!(c.build(num_pre, num_post, same, seed, stream).unwrap(), sc);
        }
    }

    proptest! {
        #[test]
        fn explicit_round_trips(
            (num_pre, num_post, pairs) in (1u32..40, 1u32..40).prop_flat_map(|(a, b)| {
                (Just(a), Just(b), proptest::collection::vec((0..a, 0..b), 0..200))
            })
        ) {
            let pre: Vec<u32> = pairs.iter().map(|p| p.0).collect();
            let post: Vec<u32> = pairs.iter().map(|p| p.1).collect();
            let (sc, order) = SparseConnectivity::from_pairs(num_pre, num_post, &pre, &post).unwrap();
            prop_assert!(sc.check().is_ok());
            prop_assert_eq!(order.len(), pairs.len());
            // order is a permutation mapping CSR positions to list entries.
            let mut sorted_order = order.clone();
            sorted_order.sort_unstable();
            prop_assert_eq!(sorted_order, (0..pairs.len() as u32).collect::<Vec<_>>());
            let mut recovered = Vec::new();
            for i in 0..num_pre {
                for (k, &j) in sc.row(i).iter().enumerate() {
                    let s = sc.row_ptr[i as usize] as usize + k;
                    prop_assert_eq!(pairs[order[s] as usize], (i, j));
                    recovered.push((i, j));
                }
            }
            let mut expected = pairs.clone();
            expected.sort_unstable();
            prop_assert_eq!(recovered, expected);
            // Connectivity::build gives the same rows.
            let built = Connectivity::Explicit { pre, post }.build(num_pre, num_post, false, 0, 0).unwrap();
            prop_assert_eq!(built, sc);
        }
    }
}
