//! Device-side initialisation: state variables and sparse connectivity
//! built by kernels, bit for bit what the host code builds
//! ([`VarInit::fill`], [`Connectivity::build`], [`InitialState`]), so that a
//! network of hundreds of millions of synapses never exists on the host.
//!
//! # Exactness
//!
//! Every kernel repeats the host algorithm with the same random streams:
//! the Philox generator and distributions of [`snn_kernels::rng`] (`rng.h`), keyed
//! exactly as in `snn_core`:
//!
//! - element `e` of a variable draws from `RngStream::new(seed, stream, 0, e)`
//!   with the variable's stream id; for synapse variables `e` is the
//!   synapse's **CSR position** (`row_ptr[i] + k` for position `k` of row `i`,
//!   modulo 2^32 like the host's `i as u32`), computed on the device from a
//!   row-offset buffer (an exclusive prefix sum of the row lengths) and
//!   written to the ragged slot `i * stride + k`;
//! - `Scalar` variables are drawn in the network precision, variables of
//!   other types in `f64` and converted like Rust's `as` (saturating float to
//!   integer casts of the prelude, `x != 0` for `bool`), as `InitialState`
//!   does;
//! - row-wise rules draw row `i` from `RngStream::new(seed, stream, 0, i)`,
//!   fixed number pre draws column `j` from `RngStream::new(seed, stream, 0, j)`,
//!   and fixed total number takes its row lengths from the stream
//!   `(seed, stream, 1, 0)` (see `snn_core::connectivity`).
//!
//! The uniform draws, integer arithmetic and conversions are exact on every
//! device, so constants, uniform draws, explicit values and every
//! connectivity rule come out bit for bit (fixed probability and snippets
//! call `log`, but a last-bit difference would have to move a `floor` across
//! an integer). The results of `log`, `exp`, `cos`, `pow` come from the
//! device's math library: with the host's libm (the kernels compiled as C on
//! the host, `tests/it/init_kernels.rs`) every value is bit-identical; PoCL 3.1's
//! functions differ from glibc's by 1 ulp for 1.5 % (`log`) to 25 % (`cosf`)
//! of arguments, so there a few percent of normal, exponential, gamma,
//! binomial and snippet values differ by a few ulps (see [`snn_kernels::rng`]).
//!
//! # What runs where
//!
//! | initialiser / rule | where |
//! |---|---|
//! | `Constant` | device (fill with the host-converted bit pattern) |
//! | `Uniform`, `Normal`, `NormalClipped`, `Exponential`, `Gamma`, `Binomial` | device, one thread per element |
//! | `Snippet` (user IR printed by [`snn_kernels::cgen`]) | device, one thread per element |
//! | `Values` | host upload (ragged: scattered by a kernel from CSR order) |
//! | `OneToOne`, `AllToAll` | device, one thread per ragged slot |
//! | `FixedProbability` (0 < p < 1) | device, one thread per row (geometric skipping, in `f64`) |
//! | `FixedNumberPost` | device, one thread per row (draws, then an in-place heap sort) |
//! | `FixedNumberPre` | device: one thread per column appends its sources to their rows (atomic slot counters), then one thread per row sorts |
//! | `FixedNumberTotal` | row lengths on the host (`O(num_pre)`: sequential conditional binomials), the rows' targets on the device |
//! | `Snippet` (user row-build IR) | device, one thread per row, then sorted |
//! | `Explicit` | host (the list is `O(synapses)` host data anyway), uploaded |
//!
//! Work that needs `double` (draws of non-`Scalar` variables in an `f32`
//! network, fixed probability, connectivity snippets) falls back to the host
//! when the device has no `f64`; a user snippet falls back to the host when
//! its code ([`SnippetCode`]) is not known or cannot be printed. Fallbacks
//! are listed in [`DeviceInit::host_fallbacks`] and
//! [`VarInitKernel::host_reason`] / [`ConnectivityKernel::host_reason`].
//!
//! # Ragged stride
//!
//! [`ConnectivityKernel::stride`] is the rule's analytical maximum row length
//! ([`Connectivity::max_row_length`]: exact for deterministic rules, the
//! 0.9999 binomial quantile for random ones), except for fixed total number
//! (exact: its row lengths are drawn on the host first) and host-built rules
//! (exact), and at least 1. A row longer than the stride is never written
//! beyond it: the kernel counts the row to its end and reports the largest
//! such length ([`InitError::RowOverflow`]); [`init_on_device`] then rebuilds
//! the group with that stride (the same rows: the draws do not depend on it).
//!
//! # Use
//!
//! Low level: register work with an [`InitProgram`], compile it
//! ([`InitProgram::compile`]), then run each [`ConnectivityKernel`] and
//! [`VarInitKernel`] on buffers you own. High level: [`init_on_device`]
//! initialises a whole [`Network`] into fresh buffers ([`DeviceInit`]) that
//! the runtime adopts instead of uploading an [`InitialState`]:
//!
//! ```ignore
//! let mut state = init_on_device(&device, net, dialect, &snippets)?;   // before compiling the step kernels
//! let max_rows: Vec<u32> = state.synapse_groups.iter().map(|g| g.max_row).collect();
//! let plan = generate(net, &max_rows)?;
//! device.compile(&program(dialect, net.precision(), &plan.source))?;  // replaces the init program
//! for spec in &plan.buffers {
//!     let buf = match state.take(&spec.contents) {
//!         Some(buf) => buf,                       // built on the device
//!         None => alloc_and_upload(spec)?,        // zeros, constants, ...
//!     };
//!     buffers.push(buf);
//! }
//! ```
//!
//! [`InitialState`]: snn_core::initial::InitialState

use crate::device::{Arg, Device, DeviceError, DeviceResult, LaunchDims};
use snn_core::connectivity::{Connectivity, ConnectivitySnippetDyn, SparseConnectivity};
use snn_core::dsl::{EnvCall, Method};
use snn_core::init::{VarInit, VarInitSnippetDyn};
use snn_core::ir::IrType;
use snn_core::model::{ConnectivityModel, FieldDesc, FieldKind, Model, ModelDesc, VarInitModel};
use snn_core::network::{ModelPart, Network};
use snn_core::rng::{stream_id, RngStream, StreamPurpose, VarInitRange};
use snn_core::var::VarArray;
use snn_core::Precision;
use snn_kernels::cgen::{indent, method_to_c, CType, CodeCtx, EnvPrinter, Exit};
use snn_kernels::dialect::{program, Dialect};
use snn_kernels::network::{elem_bytes, Contents};
use std::collections::HashMap;
use std::sync::Arc;

/// Threads per block of the element-, slot-, row- and column-parallel kernels.
pub const INIT_BLOCK_SIZE: u32 = 64;

/// Threads of the single work-group that computes row offsets.
pub const SCAN_THREADS: u32 = 256;

/// Words of a connectivity's status buffer (`meta`, `u32`):
/// 0: largest length of a row longer than the stride (0: none);
/// 1: `u32::MAX - row` of the smallest row of a snippet that added an
/// out-of-range target (0: none); 2, 3: number of synapses (low, high word);
/// 4: 1 + the largest dendritic delay above the maximum (0: none);
/// 5: 1 if a delay is a NaN with the sign bit clear (the host's maximum by
/// `total_cmp`, which hides every other delay).
pub const META_WORDS: usize = 8;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why device initialisation failed.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A device operation failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The network needs `double` arithmetic the device does not have, and
    /// there is no host fallback for it.
    #[error("{what} needs f64 arithmetic, which the device does not support (cl_khr_fp64)")]
    NoF64 {
        /// What needed it.
        what: String,
    },
    /// A variable initialiser is invalid for the number of elements.
    #[error("{owner}: initialiser of variable `{var}`: {reason}")]
    InvalidVarInit {
        /// The population, synapse group or current source (may be empty at the low level).
        owner: String,
        /// The variable (may be empty at the low level).
        var: String,
        /// What is wrong (the message of [`VarInit::validate`]).
        reason: String,
    },
    /// A connectivity rule is invalid, or a snippet added an out-of-range
    /// synapse (the message of [`Connectivity::build`]).
    #[error("synapse group `{group}`: connectivity: {reason}")]
    InvalidConnectivity {
        /// The synapse group (may be empty at the low level).
        group: String,
        /// What is wrong.
        reason: String,
    },
    /// A row is longer than the ragged stride it was built with: nothing was
    /// written beyond the stride; rebuild with a stride of at least `needed`.
    #[error("a row of {needed} synapses does not fit the ragged stride of {stride}")]
    RowOverflow {
        /// Length of the longest row that did not fit.
        needed: u32,
        /// The stride used.
        stride: u32,
    },
    /// A dendritic-delay variable holds a delay above the group's maximum
    /// (the check of `InitialState`).
    #[error("synapse group `{group}`: dendritic delay of {delay} steps exceeds the maximum of {max} steps (set .max_dendritic_delay(...) to at least {delay})")]
    DelayTooLarge {
        /// The synapse group.
        group: String,
        /// The largest delay (saturated at `u32::MAX - 1`).
        delay: u64,
        /// The group's maximum.
        max: u64,
    },
    /// A size beyond what the kernels index with 32-bit integers.
    #[error("{0}")]
    TooLarge(String),
    /// A kernel handle was used with buffers or a layout it was not made for.
    #[error("device initialisation misused: {0}")]
    Usage(String),
}

impl InitError {
    /// The equivalent [`snn_core::Error`]: the variants `InitialState`
    /// reports keep their kind (`InvalidVarInit`, `InvalidConnectivity`,
    /// `DelayTooLarge`), everything else becomes `Error::Device` on `backend`.
    pub fn into_core(self, backend: &str) -> snn_core::Error {
        match self {
            InitError::InvalidVarInit { owner, var, reason } => {
                snn_core::Error::InvalidVarInit { owner, var, reason }
            }
            InitError::InvalidConnectivity { group, reason } => {
                snn_core::Error::InvalidConnectivity { group, reason }
            }
            InitError::DelayTooLarge { group, delay, max } => {
                snn_core::Error::DelayTooLarge { group, delay, max }
            }
            other => snn_core::Error::Device {
                backend: backend.to_string(),
                reason: format!("device initialisation: {other}"),
            },
        }
    }

    /// Fills in the owner and variable of a low-level [`InitError::InvalidVarInit`].
    fn for_var(self, owner: &str, var: &str) -> Self {
        match self {
            InitError::InvalidVarInit { reason, .. } => InitError::InvalidVarInit {
                owner: owner.to_string(),
                var: var.to_string(),
                reason,
            },
            other => other,
        }
    }

    /// Fills in the group of a low-level [`InitError::InvalidConnectivity`].
    fn for_group(self, group: &str) -> Self {
        match self {
            InitError::InvalidConnectivity { reason, .. } => InitError::InvalidConnectivity {
                group: group.to_string(),
                reason,
            },
            other => other,
        }
    }
}

// ---------------------------------------------------------------------------
// User snippets
// ---------------------------------------------------------------------------

/// The code of a user snippet: its model description (whose IR is printed
/// as C) and its constants, parameters then derived parameters, in `f64`
/// (derived parameters computed with `dt = NaN`, as the host does).
#[derive(Clone, Debug)]
pub struct SnippetCode {
    /// The snippet's model description.
    pub desc: &'static ModelDesc,
    /// Parameter values, then derived values.
    pub constants: Vec<f64>,
}

impl SnippetCode {
    /// The code of a snippet model with its parameter values.
    pub fn of<M: Model>(model: &M) -> SnippetCode {
        let params = model.param_values();
        let mut constants = params.clone();
        constants.extend(M::derived_values(&params, f64::NAN));
        SnippetCode {
            desc: M::DESC,
            constants,
        }
    }
}

/// Finds the code of the user snippets of a network.
///
/// `snn_core`'s object-safe snippet traits do not expose the model's IR, so
/// the code comes from here. (Once `VarInitSnippetDyn` and
/// `ConnectivitySnippetDyn` offer their `ModelDesc` and constants, a source
/// reading them replaces [`SnippetCodes`].) A snippet without code is
/// initialised on the host.
pub trait SnippetSource {
    /// The code of a variable-initialisation snippet.
    fn var_init_code(&self, snippet: &dyn VarInitSnippetDyn) -> Option<SnippetCode>;
    /// The code of a connectivity snippet.
    fn connectivity_code(&self, snippet: &dyn ConnectivitySnippetDyn) -> Option<SnippetCode>;
}

/// Snippet code from the snippets themselves
/// ([`VarInitSnippetDyn::model_code`]): every snippet written with
/// `#[var_init_snippet]` / `#[connectivity_snippet]` runs on the device,
/// hand-written trait implementations on the host. What the runtime uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct ModelSnippets;

impl SnippetSource for ModelSnippets {
    fn var_init_code(&self, snippet: &dyn VarInitSnippetDyn) -> Option<SnippetCode> {
        snippet
            .model_code()
            .map(|(desc, constants)| SnippetCode { desc, constants })
    }
    fn connectivity_code(&self, snippet: &dyn ConnectivitySnippetDyn) -> Option<SnippetCode> {
        snippet
            .model_code()
            .map(|(desc, constants)| SnippetCode { desc, constants })
    }
}

/// No snippet code: every user snippet is initialised on the host.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSnippetCode;

impl SnippetSource for NoSnippetCode {
    fn var_init_code(&self, _: &dyn VarInitSnippetDyn) -> Option<SnippetCode> {
        None
    }
    fn connectivity_code(&self, _: &dyn ConnectivitySnippetDyn) -> Option<SnippetCode> {
        None
    }
}

/// A registry of snippet code, keyed by snippet instance: create the
/// network's snippet initialisers through it.
///
/// ```ignore
/// let mut codes = SnippetCodes::default();
/// let init = codes.var_init(Ramp { start: 0.0, step: 1.0 });   // a VarInit::Snippet
/// let conn = codes.connectivity(RingSuccessors { k: 3.0 });    // a Connectivity::Snippet
/// // ... use `init` and `conn` (or clones) in the network, then
/// let state = init_on_device(&device, &net, dialect, &codes)?;
/// ```
#[derive(Clone, Debug, Default)]
pub struct SnippetCodes {
    var_inits: Vec<(Arc<dyn VarInitSnippetDyn>, SnippetCode)>,
    connectivities: Vec<(Arc<dyn ConnectivitySnippetDyn>, SnippetCode)>,
}

impl SnippetCodes {
    /// `VarInit::snippet(model)`, with its code registered.
    pub fn var_init<M: VarInitModel>(&mut self, model: M) -> VarInit {
        let code = SnippetCode::of(&model);
        let init = VarInit::snippet(model);
        if let VarInit::Snippet(s) = &init {
            self.var_inits.push((Arc::clone(s), code));
        }
        init
    }

    /// `Connectivity::snippet(model)`, with its code registered.
    pub fn connectivity<M: ConnectivityModel>(&mut self, model: M) -> Connectivity {
        let code = SnippetCode::of(&model);
        let conn = Connectivity::snippet(model);
        if let Connectivity::Snippet(s) = &conn {
            self.connectivities.push((Arc::clone(s), code));
        }
        conn
    }
}

impl SnippetSource for SnippetCodes {
    fn var_init_code(&self, snippet: &dyn VarInitSnippetDyn) -> Option<SnippetCode> {
        self.var_inits
            .iter()
            .find(|(s, _)| std::ptr::addr_eq(Arc::as_ptr(s), snippet as *const _))
            .map(|(_, c)| c.clone())
    }
    fn connectivity_code(&self, snippet: &dyn ConnectivitySnippetDyn) -> Option<SnippetCode> {
        self.connectivities
            .iter()
            .find(|(s, _)| std::ptr::addr_eq(Arc::as_ptr(s), snippet as *const _))
            .map(|(_, c)| c.clone())
    }
}

// ---------------------------------------------------------------------------
// Kernel source
// ---------------------------------------------------------------------------

/// Helpers and the kernels every init program has (no `double`).
const LIBRARY: &str = r#"
/* ---- snn device initialisation (snn_gpu::init_kernels) ---- */
#define SNN_INIT_GID ((snn_u64)GROUP_ID * (snn_u64)LOCAL_SIZE + (snn_u64)LOCAL_ID)

/* A uniform integer in 0..range from one u32 (uniform_index of snn_core::connectivity). */
SNN_FN unsigned int snn_init_index(snn_rng *rng, unsigned int range)
{
    return (unsigned int)(((snn_u64)snn_rng_next_u32(rng) * (snn_u64)range) >> 32);
}

SNN_FN void snn_init_sift(GLOBAL unsigned int *a, unsigned int root, unsigned int end)
{
    for (;;) {
        unsigned int child = 2u * root + 1u;
        unsigned int t;
        if (child >= end) {
            return;
        }
        if (child + 1u < end && a[child] < a[child + 1u]) {
            child += 1u;
        }
        if (!(a[root] < a[child])) {
            return;
        }
        t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

/* Sorts a[0..n] ascending in place (heap sort: no recursion, no scratch). */
SNN_FN void snn_init_sort(GLOBAL unsigned int *a, unsigned int n)
{
    unsigned int i, t;
    if (n < 2u) {
        return;
    }
    for (i = n / 2u; i > 0u; --i) {
        snn_init_sift(a, i - 1u, n);
    }
    for (i = n - 1u; i > 0u; --i) {
        t = a[0];
        a[0] = a[i];
        a[i] = t;
        snn_init_sift(a, 0u, i);
    }
}

/* Ends row i of true length len: a row longer than the stride is flagged
 * (meta[0]: the largest such length) and cut; the row is sorted. */
SNN_FN void snn_init_finish_row(GLOBAL unsigned int *row_length, GLOBAL unsigned int *row,
                                unsigned int i, unsigned int len, unsigned int stride,
                                GLOBAL unsigned int *meta)
{
    if (len > stride) {
        ATOMIC_MAX_U32(&meta[0], len);
        len = stride;
    }
    snn_init_sort(row, len);
    row_length[i] = len;
}

/* env.add_synapse(j) of a connectivity snippet. */
SNN_FN void snn_init_push(GLOBAL unsigned int *row, unsigned int stride, unsigned int num_post,
                          unsigned int *len, unsigned int *bad, unsigned int j)
{
    if (j >= num_post) {
        *bad = 1u;
    }
    if (*len < stride) {
        row[*len] = j;
    }
    *len += 1u;
}

/* row_offset = exclusive prefix sum of row_length (mod 2^32: the CSR
 * position as the host's `as u32`), meta[2..4] = the total; one work-group. */
KERNEL void snn_init_row_offsets(GLOBAL const unsigned int *row_length,
                                 GLOBAL unsigned int *row_offset, unsigned int n,
                                 GLOBAL unsigned int *meta)
{
    SHARED snn_u64 part[256];
    const unsigned int t = LOCAL_ID;
    const snn_u64 chunk = ((snn_u64)n + (snn_u64)LOCAL_SIZE - 1u) / (snn_u64)LOCAL_SIZE;
    const snn_u64 lo0 = (snn_u64)t * chunk;
    const snn_u64 lo = lo0 < (snn_u64)n ? lo0 : (snn_u64)n;
    const snn_u64 hi = lo + chunk < (snn_u64)n ? lo + chunk : (snn_u64)n;
    snn_u64 i, s = 0u;
    for (i = lo; i < hi; ++i) {
        s += row_length[i];
    }
    part[t] = s;
    BARRIER();
    if (t == 0u) {
        snn_u64 acc = 0u;
        unsigned int k;
        for (k = 0u; k < LOCAL_SIZE; ++k) {
            const snn_u64 v = part[k];
            part[k] = acc;
            acc += v;
        }
        meta[2] = (unsigned int)acc;
        meta[3] = (unsigned int)(acc >> 32);
    }
    BARRIER();
    s = part[t];
    for (i = lo; i < hi; ++i) {
        row_offset[i] = (unsigned int)s;
        s += row_length[i];
    }
}

KERNEL void snn_init_conn_one_to_one(GLOBAL unsigned int *row_length, GLOBAL unsigned int *ind,
                                     unsigned int num_pre, unsigned int stride)
{
    const snn_u64 i = SNN_INIT_GID;
    if (i >= (snn_u64)num_pre) {
        return;
    }
    row_length[i] = 1u;
    ind[i * stride] = (unsigned int)i;
}

/* Rows of len = num_post - excl targets: 0..num_post without i if excl. */
KERNEL void snn_init_conn_all_to_all(GLOBAL unsigned int *row_length, GLOBAL unsigned int *ind,
                                     unsigned int num_pre, unsigned int len, unsigned int stride,
                                     unsigned int excl)
{
    const snn_u64 idx = SNN_INIT_GID;
    if (idx >= (snn_u64)num_pre * stride) {
        return;
    }
    {
        const unsigned int row = (unsigned int)(idx / stride);
        const unsigned int k = (unsigned int)(idx % stride);
        if (k == 0u) {
            row_length[row] = len;
        }
        if (k < len) {
            ind[idx] = (excl != 0u && k >= row) ? k + 1u : k;
        }
    }
}

/* Rows of known length (fixed: every row `fixed_len`, else row_length[i])
 * of uniform draws from 0..num_post (without i if excl), sorted
 * (fixed number post, fixed total number). */
KERNEL void snn_init_conn_draw_rows(GLOBAL unsigned int *row_length, GLOBAL unsigned int *ind,
                                    unsigned int num_pre, unsigned int num_post,
                                    unsigned int stride, snn_u64 seed, unsigned int stream,
                                    unsigned int fixed, unsigned int fixed_len,
                                    unsigned int excl, GLOBAL unsigned int *meta)
{
    const snn_u64 gid = SNN_INIT_GID;
    if (gid >= (snn_u64)num_pre) {
        return;
    }
    {
        const unsigned int i = (unsigned int)gid;
        const unsigned int len = fixed != 0u ? fixed_len : row_length[i];
        GLOBAL unsigned int *row = ind + (snn_u64)i * stride;
        snn_rng rng = snn_rng_new(seed, stream, 0u, i);
        unsigned int t;
        for (t = 0u; t < len; ++t) {
            unsigned int x;
            if (excl != 0u) {
                x = snn_init_index(&rng, num_post - 1u);
                x = x >= i ? x + 1u : x;
            } else {
                x = snn_init_index(&rng, num_post);
            }
            if (t < stride) {
                row[t] = x;
            }
        }
        snn_init_finish_row(row_length, row, i, len, stride, meta);
    }
}

/* Fixed number pre, first pass: column j appends itself to the rows of its
 * n sources (row_length must be zero before; it counts past the stride). */
KERNEL void snn_init_conn_fixed_number_pre(GLOBAL unsigned int *row_length,
                                           GLOBAL unsigned int *ind, unsigned int num_pre,
                                           unsigned int num_post, unsigned int stride,
                                           snn_u64 seed, unsigned int stream, unsigned int n,
                                           unsigned int excl)
{
    const snn_u64 gid = SNN_INIT_GID;
    if (gid >= (snn_u64)num_post) {
        return;
    }
    {
        const unsigned int j = (unsigned int)gid;
        snn_rng rng = snn_rng_new(seed, stream, 0u, j);
        unsigned int t;
        for (t = 0u; t < n; ++t) {
            unsigned int i, slot;
            if (excl != 0u) {
                i = snn_init_index(&rng, num_pre - 1u);
                i = i >= j ? i + 1u : i;
            } else {
                i = snn_init_index(&rng, num_pre);
            }
            slot = ATOMIC_INC_U32(&row_length[i]);
            if (slot < stride) {
                ind[(snn_u64)i * stride + slot] = j;
            }
        }
    }
}

/* Second pass: cuts (flagging) and sorts every row. */
KERNEL void snn_init_conn_sort_rows(GLOBAL unsigned int *row_length, GLOBAL unsigned int *ind,
                                    unsigned int num_pre, unsigned int stride,
                                    GLOBAL unsigned int *meta)
{
    const snn_u64 gid = SNN_INIT_GID;
    if (gid >= (snn_u64)num_pre) {
        return;
    }
    snn_init_finish_row(row_length, ind + gid * stride, (unsigned int)gid,
                        row_length[gid], stride, meta);
}
"#;

/// The fixed-probability kernel (needs `double`).
const FIXED_PROBABILITY: &str = r#"
/* One fixed-probability row by geometric skipping (fixed_probability_row of
 * snn_core::connectivity), in double; ln_q = ln(1 - p) from the host. */
KERNEL void snn_init_conn_fixed_probability(GLOBAL unsigned int *row_length,
                                            GLOBAL unsigned int *ind, unsigned int num_pre,
                                            unsigned int num_post, unsigned int stride,
                                            snn_u64 seed, unsigned int stream, double ln_q,
                                            unsigned int excl, GLOBAL unsigned int *meta)
{
    const snn_u64 gid = SNN_INIT_GID;
    if (gid >= (snn_u64)num_pre) {
        return;
    }
    {
        const unsigned int i = (unsigned int)gid;
        GLOBAL unsigned int *row = ind + (snn_u64)i * stride;
        snn_rng rng = snn_rng_new(seed, stream, 0u, i);
        unsigned int len = 0u;
        snn_u64 j = 0u;
        for (;;) {
            const double u = snn_uniform_f64(&rng);
            const double gap = floor(log(u) / ln_q);
            if (gap >= (double)((snn_u64)num_post - j)) {
                break;
            }
            j += snn_f64_to_u64(gap);
            if (!(excl != 0u && (unsigned int)j == i)) {
                if (len < stride) {
                    row[len] = (unsigned int)j;
                }
                len += 1u;
            }
            j += 1u;
        }
        if (len > stride) {
            ATOMIC_MAX_U32(&meta[0], len);
            len = stride;
        }
        row_length[i] = len;
    }
}
"#;

/// How elements of a variable are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// One element per index (neurons, postsynaptic targets).
    Dense,
    /// Synapses in ragged rows: row `i`, position `k` at `i * stride + k`,
    /// keyed by CSR position; padding slots are left untouched.
    Ragged,
}

impl Layout {
    fn tag(self) -> &'static str {
        match self {
            Layout::Dense => "dense",
            Layout::Ragged => "ragged",
        }
    }
    fn params(self) -> &'static str {
        match self {
            Layout::Dense => "unsigned int n",
            Layout::Ragged => {
                "GLOBAL const unsigned int *row_length, GLOBAL const unsigned int *row_offset, \
                 unsigned int num_pre, unsigned int stride"
            }
        }
    }
    /// Declares `idx` (the slot written) and `element` (the RNG element).
    fn prologue(self) -> &'static str {
        match self {
            Layout::Dense => {
                "    const snn_u64 idx = SNN_INIT_GID;\n    unsigned int element;\n    \
                 if (idx >= (snn_u64)n) {\n        return;\n    }\n    \
                 element = (unsigned int)idx;\n"
            }
            Layout::Ragged => {
                "    const snn_u64 idx = SNN_INIT_GID;\n    unsigned int element;\n    \
                 if (idx >= (snn_u64)num_pre * stride) {\n        return;\n    }\n    {\n        \
                 const unsigned int row = (unsigned int)(idx / stride);\n        \
                 const unsigned int k = (unsigned int)(idx % stride);\n        \
                 if (k >= row_length[row]) {\n            return;\n        }\n        \
                 element = row_offset[row] + k;\n    }\n"
            }
        }
    }
}

/// The C storage type of a variable of IR type `ty` (`bool` as `unsigned char`).
pub fn storage_type(ty: IrType, precision: Precision) -> CType {
    match CType::from_ir(ty, precision) {
        CType::Bool => CType::U8,
        CType::Usize => CType::U32,
        t => t,
    }
}

/// Bytes per element of a variable of IR type `ty`.
pub fn storage_bytes(ty: IrType, precision: Precision) -> usize {
    elem_bytes(storage_type(ty, precision))
}

/// The unsigned C type of `width` bytes, and its name suffix.
fn width_type(width: usize) -> (&'static str, &'static str) {
    match width {
        1 => ("unsigned char", "u8"),
        2 => ("unsigned short", "u16"),
        4 => ("unsigned int", "u32"),
        _ => ("snn_u64", "u64"),
    }
}

/// Fill and scatter kernels of one element width.
fn width_kernels(width: usize) -> String {
    let (t, s) = width_type(width);
    let value = if width == 8 {
        "snn_u64"
    } else {
        "unsigned int"
    };
    format!(
        r#"
KERNEL void snn_init_fill_dense_{s}(GLOBAL {t} *out, unsigned int n, {value} value)
{{
    const snn_u64 idx = SNN_INIT_GID;
    if (idx < (snn_u64)n) {{
        out[idx] = ({t})value;
    }}
}}

KERNEL void snn_init_fill_ragged_{s}(GLOBAL {t} *out, GLOBAL const unsigned int *row_length,
                                    unsigned int num_pre, unsigned int stride, {value} value)
{{
    const snn_u64 idx = SNN_INIT_GID;
    if (idx < (snn_u64)num_pre * stride && (unsigned int)(idx % stride) < row_length[idx / stride]) {{
        out[idx] = ({t})value;
    }}
}}

/* out[i * stride + k] = csr[row_offset[i] + k] for k < row_length[i]. */
KERNEL void snn_init_scatter_{s}(GLOBAL {t} *out, GLOBAL const {t} *csr,
                                GLOBAL const unsigned int *row_length,
                                GLOBAL const unsigned int *row_offset, unsigned int num_pre,
                                unsigned int stride)
{{
    const snn_u64 idx = SNN_INIT_GID;
    if (idx < (snn_u64)num_pre * stride) {{
        const unsigned int row = (unsigned int)(idx / stride);
        const unsigned int k = (unsigned int)(idx % stride);
        if (k < row_length[row]) {{
            out[idx] = csr[(snn_u64)row_offset[row] + k];
        }}
    }}
}}
"#
    )
}

/// The built-in random distributions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Dist {
    Uniform,
    Normal,
    NormalClipped,
    Exponential,
    Gamma,
    Binomial,
}

impl Dist {
    fn tag(self) -> &'static str {
        match self {
            Dist::Uniform => "uniform",
            Dist::Normal => "normal",
            Dist::NormalClipped => "normal_clipped",
            Dist::Exponential => "exponential",
            Dist::Gamma => "gamma",
            Dist::Binomial => "binomial",
        }
    }
    /// Statements setting `x` (C type `f`, suffix `s`) from `p0..p3`,
    /// `trials` and `rng`, as `VarInit::sample` computes it.
    fn code(self, f: &str, s: &str) -> String {
        match self {
            Dist::Uniform => format!("        x = p0 + (p1 - p0) * snn_uniform_{s}(&rng);\n"),
            Dist::Normal => format!("        x = p0 + p1 * snn_normal_{s}(&rng);\n"),
            Dist::NormalClipped => format!(
                "        for (;;) {{\n            x = p0 + p1 * snn_normal_{s}(&rng);\n            \
                 if (x >= p2 && x <= p3) {{\n                break;\n            }}\n        }}\n"
            ),
            Dist::Exponential => format!("        x = snn_exponential_{s}(&rng) / p0;\n"),
            Dist::Gamma => format!("        x = p1 * snn_gamma_{s}(&rng, p0);\n"),
            Dist::Binomial => format!("        x = ({f})snn_binomial_{s}(&rng, trials, p0);\n"),
        }
    }
}

fn suffix(p: Precision) -> &'static str {
    match p {
        Precision::F32 => "f32",
        Precision::F64 => "f64",
    }
}

fn float_name(p: Precision) -> &'static str {
    match p {
        Precision::F32 => "float",
        Precision::F64 => "double",
    }
}

/// C expression storing the draw `x` (of precision `draw`) in a variable of
/// type `ty`, like `VarArray::set_f64` (Rust's `as`).
fn store_expr(ty: IrType, draw: Precision, x: &str) -> String {
    match ty {
        IrType::Scalar => x.to_string(),
        IrType::F32 if draw == Precision::F32 => x.to_string(),
        IrType::F32 => format!("(float){x}"),
        IrType::F64 => x.to_string(),
        IrType::I32 => format!("snn_f64_to_i32({x})"),
        IrType::U32 | IrType::Usize => format!("snn_f64_to_u32({x})"),
        IrType::I64 => format!("snn_f64_to_i64({x})"),
        IrType::U64 => format!("snn_f64_to_u64({x})"),
        IrType::U8 if draw == Precision::F32 => format!("snn_f32_to_u8({x})"),
        IrType::U16 if draw == Precision::F32 => format!("snn_f32_to_u16({x})"),
        IrType::Bool if draw == Precision::F32 => format!("(unsigned char)({x} != 0.0f)"),
        IrType::U8 => format!("snn_f64_to_u8({x})"),
        IrType::U16 => format!("snn_f64_to_u16({x})"),
        IrType::Bool => format!("(unsigned char)({x} != 0.0)"),
    }
}

// ---------------------------------------------------------------------------
// Variable initialisation
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum VarOp {
    /// Every element gets these bits (of the storage width).
    Fill { width: usize, bits: u64 },
    /// A built-in distribution.
    Random {
        kernel: String,
        draw: Precision,
        params: [f64; 4],
        trials: u32,
    },
    /// A user snippet's printed code.
    Snippet {
        kernel: String,
        draw: Precision,
        constants: Vec<f64>,
    },
    /// Computed on the host (`VarInit::fill`) and uploaded.
    Host { init: VarInit, reason: String },
}

/// The elements a [`VarInitKernel`] writes.
pub enum Target<'a, B> {
    /// `n` elements, element `i` at index `i`.
    Dense {
        /// Number of elements.
        n: u32,
    },
    /// The synapses of a ragged connectivity.
    Ragged(RaggedRows<'a, B>),
}

/// A ragged connectivity on the device, as built by [`ConnectivityKernel::build`].
pub struct RaggedRows<'a, B> {
    /// Row lengths (`u32[num_pre]`).
    pub row_length: &'a B,
    /// CSR position of each row's first synapse, modulo 2^32 (`u32[num_pre]`).
    pub row_offset: &'a B,
    /// Number of rows.
    pub num_pre: u32,
    /// The stride (slots per row, at least 1).
    pub stride: u32,
    /// Number of synapses (the sum of the row lengths).
    pub num_synapses: u64,
}

/// The initialisation of one variable, registered with an [`InitProgram`].
#[derive(Clone, Debug)]
pub struct VarInitKernel {
    ty: IrType,
    precision: Precision,
    layout: Layout,
    op: VarOp,
}

impl VarInitKernel {
    /// Why the values are computed on the host, or `None` when a kernel
    /// computes them.
    pub fn host_reason(&self) -> Option<&str> {
        match &self.op {
            VarOp::Host { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The layout it was registered for.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Initialises `out` (the variable's buffer, storage type of its IR
    /// type: [`storage_type`]) over `target`, with the variable's `stream` id
    /// under the network's `seed`. The program must be compiled.
    ///
    /// Launches are asynchronous, except that host values and snippet
    /// constants are uploaded (blocking) and waited for before returning.
    /// `Values` initialisers are checked against the number of elements
    /// ([`InitError::InvalidVarInit`] with empty owner and variable).
    pub fn run<D: Device>(
        &self,
        device: &D,
        out: &D::Buffer,
        target: &Target<'_, D::Buffer>,
        seed: u64,
        stream: u32,
    ) -> Result<(), InitError> {
        let layout = match target {
            Target::Dense { .. } => Layout::Dense,
            Target::Ragged(_) => Layout::Ragged,
        };
        if layout != self.layout {
            return Err(InitError::Usage(format!(
                "a variable kernel registered for the {} layout run on the {} layout",
                self.layout.tag(),
                layout.tag()
            )));
        }
        // Arguments of the layout, and the number of threads.
        let (layout_args, work): (Vec<Arg<'_, D::Buffer>>, u64) = match target {
            Target::Dense { n } => (vec![Arg::U32(*n)], *n as u64),
            Target::Ragged(r) => (
                vec![
                    Arg::Buffer(r.row_length),
                    Arg::Buffer(r.row_offset),
                    Arg::U32(r.num_pre),
                    Arg::U32(r.stride),
                ],
                r.num_pre as u64 * r.stride as u64,
            ),
        };
        let num_elements = match target {
            Target::Dense { n } => *n as u64,
            Target::Ragged(r) => r.num_synapses,
        };
        match &self.op {
            VarOp::Fill { width, bits } => {
                let (_, s) = width_type(*width);
                let value = if *width == 8 {
                    Arg::U64(*bits)
                } else {
                    Arg::U32(*bits as u32)
                };
                let mut args = vec![Arg::Buffer(out)];
                let name = match target {
                    Target::Dense { n } => {
                        args.push(Arg::U32(*n));
                        format!("snn_init_fill_dense_{s}")
                    }
                    Target::Ragged(r) => {
                        args.extend([
                            Arg::Buffer(r.row_length),
                            Arg::U32(r.num_pre),
                            Arg::U32(r.stride),
                        ]);
                        format!("snn_init_fill_ragged_{s}")
                    }
                };
                args.push(value);
                launch(device, &name, work, &args)
            }
            VarOp::Random {
                kernel,
                draw,
                params,
                trials,
            } => {
                let mut args = vec![Arg::Buffer(out)];
                args.extend(layout_args);
                args.extend([Arg::U64(seed), Arg::U32(stream)]);
                args.extend(params.iter().map(|&x| float_arg(*draw, x)));
                args.push(Arg::U32(*trials));
                launch(device, kernel, work, &args)
            }
            VarOp::Snippet {
                kernel,
                draw,
                constants,
            } => {
                let consts = upload_floats(device, *draw, constants)?;
                let mut args = vec![Arg::Buffer(out)];
                args.extend(layout_args);
                args.extend([Arg::U64(seed), Arg::U32(stream), Arg::Buffer(&consts)]);
                launch(device, kernel, work, &args)?;
                device.synchronize()?;
                Ok(())
            }
            VarOp::Host { init, .. } => {
                let n = usize::try_from(num_elements)
                    .map_err(|_| InitError::TooLarge(format!("{num_elements} elements")))?;
                init.validate(n)
                    .map_err(|reason| InitError::InvalidVarInit {
                        owner: String::new(),
                        var: String::new(),
                        reason,
                    })?;
                let bytes =
                    host_var_values(init, self.ty, self.precision, n, seed, stream).to_bytes();
                match target {
                    Target::Dense { .. } => device.write(out, 0, &bytes)?,
                    Target::Ragged(r) => {
                        let width = storage_bytes(self.ty, self.precision);
                        let csr = device.alloc_zeroed(bytes.len())?;
                        device.write(&csr, 0, &bytes)?;
                        let (_, s) = width_type(width);
                        launch(
                            device,
                            &format!("snn_init_scatter_{s}"),
                            work,
                            &[
                                Arg::Buffer(out),
                                Arg::Buffer(&csr),
                                Arg::Buffer(r.row_length),
                                Arg::Buffer(r.row_offset),
                                Arg::U32(r.num_pre),
                                Arg::U32(r.stride),
                            ],
                        )?;
                        device.synchronize()?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// The initial values of a variable as `InitialState` computes them
/// (the host path, used where the device cannot draw them).
pub use snn_core::initial::var_values as host_var_values;

// ---------------------------------------------------------------------------
// Connectivity
// ---------------------------------------------------------------------------

/// The populations a connectivity joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Presynaptic neurons (rows).
    pub num_pre: u32,
    /// Postsynaptic neurons (columns).
    pub num_post: u32,
    /// Whether pre and post are one population (autapses matter).
    pub same_population: bool,
}

#[derive(Clone, Debug)]
enum ConnOp {
    /// No synapses.
    Empty,
    OneToOne,
    /// Every row: `0..num_post`, without `i` if `excl`.
    AllToAll {
        excl: bool,
    },
    FixedProbability {
        ln_q: f64,
        excl: bool,
    },
    FixedNumberPost {
        n: u32,
        excl: bool,
    },
    FixedNumberPre {
        n: u32,
        excl: bool,
    },
    /// Row lengths drawn on the host.
    FixedNumberTotal {
        lengths: Vec<u32>,
    },
    Snippet {
        kernel: String,
        constants: Vec<f64>,
        snippet: Arc<dyn ConnectivitySnippetDyn>,
    },
    /// Built on the host and uploaded.
    Host {
        conn: SparseConnectivity,
        reason: String,
    },
}

/// Device buffers of one ragged connectivity.
pub struct ConnBuffers<'a, B> {
    /// `u32[num_pre]`: row lengths.
    pub row_length: &'a B,
    /// `u32[num_pre * stride]`: targets.
    pub ind: &'a B,
    /// `u32[num_pre]`: CSR position of each row's first synapse (mod 2^32).
    pub row_offset: &'a B,
    /// `u32[META_WORDS]`: status words (see [`META_WORDS`]).
    pub meta: &'a B,
}

/// The construction of one connectivity, registered with an [`InitProgram`].
#[derive(Clone, Debug)]
pub struct ConnectivityKernel {
    shape: Shape,
    seed: u64,
    stream: u32,
    stride: u32,
    op: ConnOp,
}

impl ConnectivityKernel {
    /// The ragged stride to allocate `ind` with (at least 1): see the module docs.
    pub fn stride(&self) -> u32 {
        self.stride
    }

    /// Why the connectivity is built on the host, or `None` when kernels build it.
    pub fn host_reason(&self) -> Option<&str> {
        match &self.op {
            ConnOp::Host { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// Builds the rows into `bufs` with `stride` slots per row (`ind` must
    /// hold `num_pre * stride` words), computes the row offsets, waits and
    /// returns the number of synapses. The program must be compiled.
    ///
    /// Errors: [`InitError::RowOverflow`] when a row is longer than
    /// `stride` (rebuild with `needed`); [`InitError::InvalidConnectivity`]
    /// (group left empty) when a snippet adds an out-of-range target, with
    /// the host's message.
    pub fn build<D: Device>(
        &self,
        device: &D,
        bufs: &ConnBuffers<'_, D::Buffer>,
        stride: u32,
    ) -> Result<u64, InitError> {
        let Shape {
            num_pre, num_post, ..
        } = self.shape;
        if stride == 0 {
            return Err(InitError::Usage("a ragged stride of 0".into()));
        }
        let (seed, stream) = (self.seed, self.stream);
        let rows = num_pre as u64;
        device.zero(bufs.meta)?;
        let draw_rows = |fixed: Option<u32>, excl: bool| {
            launch(
                device,
                "snn_init_conn_draw_rows",
                rows,
                &[
                    Arg::Buffer(bufs.row_length),
                    Arg::Buffer(bufs.ind),
                    Arg::U32(num_pre),
                    Arg::U32(num_post),
                    Arg::U32(stride),
                    Arg::U64(seed),
                    Arg::U32(stream),
                    Arg::U32(fixed.is_some() as u32),
                    Arg::U32(fixed.unwrap_or(0)),
                    Arg::U32(excl as u32),
                    Arg::Buffer(bufs.meta),
                ],
            )
        };
        let mut temp = None;
        match &self.op {
            ConnOp::Empty => device.zero(bufs.row_length)?,
            ConnOp::OneToOne => launch(
                device,
                "snn_init_conn_one_to_one",
                rows,
                &[
                    Arg::Buffer(bufs.row_length),
                    Arg::Buffer(bufs.ind),
                    Arg::U32(num_pre),
                    Arg::U32(stride),
                ],
            )?,
            ConnOp::AllToAll { excl } => {
                let len = num_post - *excl as u32;
                if len > stride {
                    return Err(InitError::RowOverflow {
                        needed: len,
                        stride,
                    });
                }
                launch(
                    device,
                    "snn_init_conn_all_to_all",
                    rows * stride as u64,
                    &[
                        Arg::Buffer(bufs.row_length),
                        Arg::Buffer(bufs.ind),
                        Arg::U32(num_pre),
                        Arg::U32(len),
                        Arg::U32(stride),
                        Arg::U32(*excl as u32),
                    ],
                )?
            }
            ConnOp::FixedProbability { ln_q, excl } => launch(
                device,
                "snn_init_conn_fixed_probability",
                rows,
                &[
                    Arg::Buffer(bufs.row_length),
                    Arg::Buffer(bufs.ind),
                    Arg::U32(num_pre),
                    Arg::U32(num_post),
                    Arg::U32(stride),
                    Arg::U64(seed),
                    Arg::U32(stream),
                    Arg::F64(*ln_q),
                    Arg::U32(*excl as u32),
                    Arg::Buffer(bufs.meta),
                ],
            )?,
            ConnOp::FixedNumberPost { n, excl } => draw_rows(Some(*n), *excl)?,
            ConnOp::FixedNumberPre { n, excl } => {
                device.zero(bufs.row_length)?;
                launch(
                    device,
                    "snn_init_conn_fixed_number_pre",
                    num_post as u64,
                    &[
                        Arg::Buffer(bufs.row_length),
                        Arg::Buffer(bufs.ind),
                        Arg::U32(num_pre),
                        Arg::U32(num_post),
                        Arg::U32(stride),
                        Arg::U64(seed),
                        Arg::U32(stream),
                        Arg::U32(*n),
                        Arg::U32(*excl as u32),
                    ],
                )?;
                launch(
                    device,
                    "snn_init_conn_sort_rows",
                    rows,
                    &[
                        Arg::Buffer(bufs.row_length),
                        Arg::Buffer(bufs.ind),
                        Arg::U32(num_pre),
                        Arg::U32(stride),
                        Arg::Buffer(bufs.meta),
                    ],
                )?;
            }
            ConnOp::FixedNumberTotal { lengths } => {
                device.write(bufs.row_length, 0, bytemuck::cast_slice(lengths))?;
                draw_rows(None, false)?;
            }
            ConnOp::Snippet {
                kernel, constants, ..
            } => {
                let consts = upload_floats(device, Precision::F64, constants)?;
                launch(
                    device,
                    kernel,
                    rows,
                    &[
                        Arg::Buffer(bufs.row_length),
                        Arg::Buffer(bufs.ind),
                        Arg::U32(num_pre),
                        Arg::U32(num_post),
                        Arg::U32(stride),
                        Arg::U64(seed),
                        Arg::U32(stream),
                        Arg::Buffer(&consts),
                        Arg::Buffer(bufs.meta),
                    ],
                )?;
                temp = Some(consts);
            }
            ConnOp::Host { conn, .. } => {
                let lengths = conn.row_lengths();
                let needed = lengths.iter().copied().max().unwrap_or(0);
                if needed > stride {
                    return Err(InitError::RowOverflow { needed, stride });
                }
                let mut ind = vec![0u32; num_pre as usize * stride as usize];
                for i in 0..num_pre {
                    let start = i as usize * stride as usize;
                    let row = conn.row(i);
                    ind[start..start + row.len()].copy_from_slice(row);
                }
                device.write(bufs.row_length, 0, bytemuck::cast_slice(&lengths))?;
                device.write(bufs.ind, 0, bytemuck::cast_slice(&ind))?;
            }
        }
        device.launch(
            "snn_init_row_offsets",
            LaunchDims {
                blocks: 1,
                threads: SCAN_THREADS,
            },
            &[
                Arg::Buffer(bufs.row_length),
                Arg::Buffer(bufs.row_offset),
                Arg::U32(num_pre),
                Arg::Buffer(bufs.meta),
            ],
        )?;
        let mut raw = [0u8; META_WORDS * 4];
        device.read(bufs.meta, 0, &mut raw)?;
        drop(temp);
        let meta: Vec<u32> = raw
            .chunks_exact(4)
            .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if meta[1] != 0 {
            let row = u32::MAX - meta[1];
            return Err(InitError::InvalidConnectivity {
                group: String::new(),
                reason: self.out_of_range_message(row),
            });
        }
        if meta[0] != 0 {
            return Err(InitError::RowOverflow {
                needed: meta[0],
                stride,
            });
        }
        Ok(meta[2] as u64 | (meta[3] as u64) << 32)
    }

    /// The host's message for row `row` of a snippet adding an out-of-range
    /// target: the row is rebuilt on the host to name the target.
    fn out_of_range_message(&self, row: u32) -> String {
        let Shape {
            num_pre, num_post, ..
        } = self.shape;
        let ConnOp::Snippet { snippet, .. } = &self.op else {
            return format!("row {row} has a target out of range for {num_post} neurons");
        };
        let mut targets = Vec::new();
        let mut rng = RngStream::new(self.seed, self.stream, 0, row);
        snippet.build_row(row, num_pre, num_post, &mut rng, &mut targets);
        targets.sort_unstable();
        let j = targets
            .iter()
            .copied()
            .find(|&j| j >= num_post)
            .unwrap_or(num_post);
        format!(
            "{}: row {row} adds a synapse to postsynaptic neuron {j}, out of range for \
             {num_post} neurons",
            snippet.name()
        )
    }
}

/// Row lengths of fixed total number (`multinomial_row_lengths` of
/// `snn_core::connectivity`): sequential conditional binomials on the stream
/// `(seed, stream, 1, 0)`; `O(num_pre)` host work. `num_pre >= 1`.
pub fn fixed_total_row_lengths(n: u32, num_pre: u32, seed: u64, stream: u32) -> Vec<u32> {
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

// ---------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------

/// The delay check of one storage type, registered with an [`InitProgram`].
#[derive(Clone, Debug)]
pub struct DelayCheck {
    kernel: String,
}

/// The kernels of a device initialisation: register work, then compile.
#[derive(Clone, Debug)]
pub struct InitProgram {
    precision: Precision,
    device_f64: bool,
    uses_f64: bool,
    body: String,
    /// Kernel names emitted (fixed names) and texts (generated snippets, with `@NAME@`).
    names: HashMap<String, String>,
    count: usize,
}

impl InitProgram {
    /// An empty program for a network of `precision` on a device with
    /// (`device_f64`) or without `double` support. Work needing `double`
    /// falls back to the host on a device without it.
    pub fn new(precision: Precision, device_f64: bool) -> Self {
        let mut body = String::from(LIBRARY);
        for w in [1, 2, 4, 8] {
            body.push_str(&width_kernels(w));
        }
        InitProgram {
            precision,
            device_f64,
            uses_f64: precision == Precision::F64,
            body,
            names: HashMap::new(),
            count: 0,
        }
    }

    /// Whether the program uses `double` (it is assembled with `double`
    /// enabled then).
    pub fn uses_f64(&self) -> bool {
        self.uses_f64
    }

    /// The complete program in `dialect` (preludes, RNG, kernels).
    pub fn source(&self, dialect: Dialect) -> String {
        let p = if self.uses_f64 {
            Precision::F64
        } else {
            self.precision
        };
        program(dialect, p, &self.body)
    }

    /// Compiles the program on `device` (replacing any earlier program).
    pub fn compile<D: Device>(&self, device: &D, dialect: Dialect) -> Result<(), InitError> {
        if self.uses_f64 && !device.supports_f64() {
            return Err(InitError::NoF64 {
                what: "the initialisation program".into(),
            });
        }
        device.compile(&self.source(dialect))?;
        Ok(())
    }

    /// Adds a kernel of a fixed name once.
    fn add_named(&mut self, name: &str, text: impl FnOnce() -> String) {
        if !self.names.contains_key(name) {
            self.body.push_str(&text());
            self.names.insert(name.to_string(), name.to_string());
        }
    }

    /// Adds a generated kernel (its name written `@NAME@`), reusing an
    /// identical one; returns its name.
    fn add_generated(&mut self, base: &str, text: String) -> String {
        if let Some(name) = self.names.get(&text) {
            return name.clone();
        }
        let name = format!("{base}_{}", self.count);
        self.count += 1;
        self.body.push_str(&text.replace("@NAME@", &name));
        self.names.insert(text, name.clone());
        name
    }

    fn can_draw(&self, draw: Precision) -> bool {
        draw == Precision::F32 || self.device_f64
    }

    /// Registers the initialisation of a variable of IR type `ty` by `init`
    /// in `layout`. `snippets` gives the code of a user snippet.
    pub fn var_init(
        &mut self,
        init: &VarInit,
        ty: IrType,
        layout: Layout,
        snippets: &dyn SnippetSource,
    ) -> VarInitKernel {
        let p = self.precision;
        let draw = snn_core::initial::draw_precision(ty, p);
        let host = |reason: String| VarOp::Host {
            init: init.clone(),
            reason,
        };
        let no_f64 = || {
            format!(
                "a {} variable is drawn in f64, which the device does not support",
                ty.rust_name()
            )
        };
        let (d, params, trials) = match init {
            VarInit::Constant(v) => {
                let mut arr = VarArray::zeros(ty, p, 1);
                arr.set_f64(0, *v);
                let b = arr.to_bytes();
                let bits = match b.len() {
                    1 => b[0] as u64,
                    2 => u16::from_ne_bytes([b[0], b[1]]) as u64,
                    4 => u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as u64,
                    _ => u64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
                };
                let op = VarOp::Fill {
                    width: b.len(),
                    bits,
                };
                return self.var_kernel(ty, layout, op);
            }
            VarInit::Values(_) => {
                let op = host("explicit values are uploaded".into());
                return self.var_kernel(ty, layout, op);
            }
            VarInit::Uniform { min, max } => (Dist::Uniform, [*min, *max, 0.0, 0.0], 0),
            VarInit::Normal { mean, sd } => (Dist::Normal, [*mean, *sd, 0.0, 0.0], 0),
            VarInit::NormalClipped { mean, sd, min, max } => {
                (Dist::NormalClipped, [*mean, *sd, *min, *max], 0)
            }
            VarInit::Exponential { lambda } => (Dist::Exponential, [*lambda, 0.0, 0.0, 0.0], 0),
            VarInit::Gamma { a, b } => (Dist::Gamma, [*a, *b, 0.0, 0.0], 0),
            VarInit::Binomial { n, p } => (Dist::Binomial, [*p, 0.0, 0.0, 0.0], *n),
            VarInit::Snippet(s) => {
                let op = if !self.can_draw(draw) {
                    host(no_f64())
                } else if let Some(code) = snippets.var_init_code(&**s) {
                    match self.var_snippet_kernel(&code, ty, draw, layout) {
                        Ok(kernel) => VarOp::Snippet {
                            kernel,
                            draw,
                            constants: code.constants,
                        },
                        Err(reason) => host(reason),
                    }
                } else {
                    host(format!("the code of snippet `{}` is not known", s.name()))
                };
                return self.var_kernel(ty, layout, op);
            }
        };
        let op = if self.can_draw(draw) {
            VarOp::Random {
                kernel: self.random_kernel(d, ty, draw, layout),
                draw,
                params,
                trials,
            }
        } else {
            host(no_f64())
        };
        self.var_kernel(ty, layout, op)
    }

    fn var_kernel(&mut self, ty: IrType, layout: Layout, op: VarOp) -> VarInitKernel {
        VarInitKernel {
            ty,
            precision: self.precision,
            layout,
            op,
        }
    }

    /// The kernel of a built-in distribution; returns its name.
    fn random_kernel(&mut self, d: Dist, ty: IrType, draw: Precision, layout: Layout) -> String {
        if draw == Precision::F64 {
            self.uses_f64 = true;
        }
        let out = storage_type(ty, self.precision);
        let s = suffix(draw);
        // Named by the IR type: `bool` and `u8` share a storage type, not a conversion.
        let name = format!(
            "snn_init_var_{}_{s}_{}_{}",
            d.tag(),
            ty.rust_name(),
            layout.tag()
        );
        let f = float_name(draw);
        let store = store_expr(ty, draw, "x");
        self.add_named(&name, || {
            format!(
                "\nKERNEL void {name}(GLOBAL {out} *out, {params}, snn_u64 seed, \
                 unsigned int stream, {f} p0, {f} p1, {f} p2, {f} p3, unsigned int trials)\n{{\n\
                 {prologue}    {{\n        snn_rng rng = snn_rng_new(seed, stream, 0u, element);\n        \
                 {f} x;\n{code}        out[idx] = {store};\n    }}\n}}\n",
                out = out.c_name(),
                params = layout.params(),
                prologue = layout.prologue(),
                code = d.code(f, s),
            )
        });
        name
    }

    /// The kernel of a variable-initialisation snippet (its `init` printed
    /// in `draw`); returns its name, or why it cannot be printed.
    fn var_snippet_kernel(
        &mut self,
        code: &SnippetCode,
        ty: IrType,
        draw: Precision,
        layout: Layout,
    ) -> Result<String, String> {
        let desc = code.desc;
        let method = desc
            .method(Method::Init)
            .ok_or_else(|| format!("snippet `{}` has no `init` method", desc.name))?;
        let s = suffix(draw);
        let env = |call: EnvCall, args: &[String]| -> Result<String, String> {
            match call {
                EnvCall::Id => Ok("element".into()),
                _ => rand_call(call, args, s).ok_or_else(|| "not available here".into()),
            }
        };
        let block = print_method(desc, method, draw, &env, Some("result"))?;
        if draw == Precision::F64 {
            self.uses_f64 = true;
        }
        let out = storage_type(ty, self.precision);
        let f = float_name(draw);
        let text = format!(
            "\nKERNEL void @NAME@(GLOBAL {out} *out, {params}, snn_u64 seed, unsigned int stream, \
             GLOBAL const {f} *sc)\n{{\n{prologue}    {{\n        \
             snn_rng rng = snn_rng_new(seed, stream, 0u, element);\n        {f} result;\n\
             {block}        out[idx] = {store};\n    }}\n}}\n",
            out = out.c_name(),
            params = layout.params(),
            prologue = layout.prologue(),
            block = indent(&block, 2),
            store = store_expr(ty, draw, "result"),
        );
        Ok(self.add_generated(&format!("snn_init_vsnip_{}", layout.tag()), text))
    }

    /// Registers the construction of connectivity `rule` between populations
    /// of `shape` with stream `stream` under `seed`. Validates the rule like
    /// [`Connectivity::build`] ([`InitError::InvalidConnectivity`], group
    /// left empty). Fixed total number draws its row lengths here
    /// (`O(num_pre)`); explicit lists and host fallbacks are built here.
    pub fn connectivity(
        &mut self,
        rule: &Connectivity,
        shape: Shape,
        seed: u64,
        stream: u32,
        snippets: &dyn SnippetSource,
    ) -> Result<ConnectivityKernel, InitError> {
        let Shape {
            num_pre,
            num_post,
            same_population,
        } = shape;
        let invalid = |reason: String| InitError::InvalidConnectivity {
            group: String::new(),
            reason,
        };
        rule.validate(num_pre, num_post, same_population)
            .map_err(invalid)?;
        let excl = |autapses: bool| same_population && !autapses;
        let bound = rule.max_row_length(num_pre, num_post, same_population);
        let host = |reason: String| -> Result<(ConnOp, u32), InitError> {
            let conn = rule
                .build(num_pre, num_post, same_population, seed, stream)
                .map_err(invalid)?;
            let max = conn.max_row_length();
            Ok((ConnOp::Host { conn, reason }, max))
        };
        let (op, stride) = if num_pre == 0 || num_post == 0 {
            (ConnOp::Empty, 0)
        } else {
            match rule {
                Connectivity::OneToOne => (ConnOp::OneToOne, 1),
                Connectivity::AllToAll { autapses } => (
                    ConnOp::AllToAll {
                        excl: excl(*autapses),
                    },
                    num_post - excl(*autapses) as u32,
                ),
                Connectivity::FixedProbability { p, autapses } => {
                    let e = excl(*autapses);
                    if *p >= 1.0 {
                        (ConnOp::AllToAll { excl: e }, num_post - e as u32)
                    } else if *p <= 0.0 {
                        (ConnOp::Empty, 0)
                    } else if !self.device_f64 {
                        host(
                            "fixed probability needs f64, which the device does not support".into(),
                        )?
                    } else {
                        self.uses_f64 = true;
                        self.add_named("snn_init_conn_fixed_probability", || {
                            FIXED_PROBABILITY.to_string()
                        });
                        (
                            ConnOp::FixedProbability {
                                ln_q: (-p).ln_1p(),
                                excl: e,
                            },
                            bound,
                        )
                    }
                }
                Connectivity::FixedNumberPost { n, autapses } => (
                    ConnOp::FixedNumberPost {
                        n: *n,
                        excl: excl(*autapses),
                    },
                    *n,
                ),
                Connectivity::FixedNumberPre { n, autapses } => (
                    ConnOp::FixedNumberPre {
                        n: *n,
                        excl: excl(*autapses),
                    },
                    bound,
                ),
                Connectivity::FixedNumberTotal { n } => {
                    let lengths = fixed_total_row_lengths(*n as u32, num_pre, seed, stream);
                    let max = lengths.iter().copied().max().unwrap_or(0);
                    (ConnOp::FixedNumberTotal { lengths }, max)
                }
                Connectivity::Explicit { .. } => {
                    host("explicit synapse lists are built on the host".into())?
                }
                Connectivity::Snippet(s) => {
                    if !self.device_f64 {
                        host(format!(
                            "connectivity snippet `{}` is built in f64, which the device does \
                             not support",
                            s.name()
                        ))?
                    } else if let Some(code) = snippets.connectivity_code(&**s) {
                        match self.conn_snippet_kernel(&code) {
                            Ok(kernel) => (
                                ConnOp::Snippet {
                                    kernel,
                                    constants: code.constants,
                                    snippet: Arc::clone(s),
                                },
                                bound,
                            ),
                            Err(reason) => host(reason)?,
                        }
                    } else {
                        host(format!("the code of snippet `{}` is not known", s.name()))?
                    }
                }
            }
        };
        Ok(ConnectivityKernel {
            shape,
            seed,
            stream,
            stride: stride.max(1),
            op,
        })
    }

    /// The row-building kernel of a connectivity snippet (in `f64`).
    fn conn_snippet_kernel(&mut self, code: &SnippetCode) -> Result<String, String> {
        let desc = code.desc;
        let method = desc
            .method(Method::RowBuild)
            .ok_or_else(|| format!("snippet `{}` has no `row_build` method", desc.name))?;
        let env = |call: EnvCall, args: &[String]| -> Result<String, String> {
            match call {
                EnvCall::IdPre => Ok("id_pre".into()),
                EnvCall::NumPre => Ok("num_pre".into()),
                EnvCall::NumPost => Ok("num_post".into()),
                EnvCall::AddSynapse => Ok(format!(
                    "snn_init_push(row, stride, num_post, &len, &bad, {})",
                    args[0]
                )),
                _ => rand_call(call, args, "f64").ok_or_else(|| "not available here".into()),
            }
        };
        let block = print_method(desc, method, Precision::F64, &env, None)?;
        self.uses_f64 = true;
        let text = format!(
            "\nKERNEL void @NAME@(GLOBAL unsigned int *row_length, GLOBAL unsigned int *ind, \
             unsigned int num_pre, unsigned int num_post, unsigned int stride, snn_u64 seed, \
             unsigned int stream, GLOBAL const double *sc, GLOBAL unsigned int *meta)\n{{\n    \
             const snn_u64 gid = SNN_INIT_GID;\n    if (gid >= (snn_u64)num_pre) {{\n        \
             return;\n    }}\n    {{\n        const unsigned int id_pre = (unsigned int)gid;\n        \
             GLOBAL unsigned int *row = ind + (snn_u64)id_pre * stride;\n        \
             unsigned int len = 0u;\n        unsigned int bad = 0u;\n        \
             snn_rng rng = snn_rng_new(seed, stream, 0u, id_pre);\n{block}        \
             if (bad != 0u) {{\n            ATOMIC_MAX_U32(&meta[1], 4294967295u - id_pre);\n        \
             }}\n        snn_init_finish_row(row_length, row, id_pre, len, stride, meta);\n    }}\n}}\n",
            block = indent(&block, 2),
        );
        Ok(self.add_generated("snn_init_csnip", text))
    }

    /// Registers the check of a dendritic-delay variable of IR type `ty`
    /// (storage type) against the group's maximum, on the ragged layout.
    pub fn delay_check(&mut self, ty: IrType) -> Result<DelayCheck, InitError> {
        let t = storage_type(ty, self.precision);
        if t == CType::F64 {
            if !self.device_f64 {
                return Err(InitError::NoF64 {
                    what: "an f64 dendritic-delay variable".into(),
                });
            }
            self.uses_f64 = true;
        }
        let name = format!("snn_init_delay_check_{}", t.rust_name());
        let check = match t {
            CType::F32 | CType::F64 => format!(
                "if (d != d) {{\n                if (!signbit(d)) {{\n                    \
                 ATOMIC_MAX_U32(&meta[5], 1u);\n                }}\n            }} else if (d > \
                 ({c})max_delay) {{\n                ATOMIC_MAX_U32(&meta[4], snn_min_u32(\
                 snn_{s}_to_u32(d), 4294967294u) + 1u);\n            }}\n",
                c = t.c_name(),
                s = t.rust_name()
            ),
            CType::I32 | CType::I64 => "if ((snn_i64)d > (snn_i64)max_delay) {\n                \
                 ATOMIC_MAX_U32(&meta[4], (unsigned int)snn_min_u64((snn_u64)d, 4294967294u) \
                 + 1u);\n            }\n"
                .to_string(),
            _ => "if ((snn_u64)d > (snn_u64)max_delay) {\n                \
                 ATOMIC_MAX_U32(&meta[4], (unsigned int)snn_min_u64((snn_u64)d, 4294967294u) \
                 + 1u);\n            }\n"
                .to_string(),
        };
        self.add_named(&name, || {
            format!(
                "\nKERNEL void {name}(GLOBAL const {c} *v, GLOBAL const unsigned int *row_length, \
                 unsigned int num_pre, unsigned int stride, unsigned int max_delay, \
                 GLOBAL unsigned int *meta)\n{{\n    const snn_u64 idx = SNN_INIT_GID;\n    \
                 if (idx < (snn_u64)num_pre * stride && (unsigned int)(idx % stride) < \
                 row_length[idx / stride]) {{\n        const {c} d = v[idx];\n        {{\n            \
                 {check}        }}\n    }}\n}}\n",
                c = t.c_name()
            )
        });
        Ok(DelayCheck { kernel: name })
    }
}

impl DelayCheck {
    /// Checks the values of a ragged delay variable `v` against `max`:
    /// `Some(delay)` when the largest value exceeds it, as `InitialState`
    /// reports (the value truncated like `as u64`, saturated at
    /// `u32::MAX - 1`). Waits for the result.
    pub fn run<D: Device>(
        &self,
        device: &D,
        v: &D::Buffer,
        rows: &RaggedRows<'_, D::Buffer>,
        max: u32,
        meta: &D::Buffer,
    ) -> Result<Option<u64>, InitError> {
        device.zero(meta)?;
        launch(
            device,
            &self.kernel,
            rows.num_pre as u64 * rows.stride as u64,
            &[
                Arg::Buffer(v),
                Arg::Buffer(rows.row_length),
                Arg::U32(rows.num_pre),
                Arg::U32(rows.stride),
                Arg::U32(max),
                Arg::Buffer(meta),
            ],
        )?;
        let mut raw = [0u8; META_WORDS * 4];
        device.read(meta, 0, &mut raw)?;
        let word = |k: usize| {
            u32::from_ne_bytes([raw[4 * k], raw[4 * k + 1], raw[4 * k + 2], raw[4 * k + 3]])
        };
        // A positive NaN is the host's maximum (`total_cmp`) and never "too large".
        if word(5) != 0 || word(4) == 0 {
            return Ok(None);
        }
        Ok(Some(word(4) as u64 - 1))
    }
}

/// Prints `method` of `desc` in `precision` with the constants in `sc[..]`.
fn print_method(
    desc: &'static ModelDesc,
    method: &snn_core::ir::MethodIr,
    precision: Precision,
    env: &EnvPrinter<'_>,
    result: Option<&str>,
) -> Result<String, String> {
    let field = |f: &FieldDesc| match f.kind {
        FieldKind::Param | FieldKind::Derived => format!("sc[{}]", desc.constant_index(f)),
        // Snippets have no other fields; the printer reports what it cannot use.
        _ => format!("snn_init_no_field_{}", f.name),
    };
    let ctx = CodeCtx {
        precision,
        field: &field,
        env,
        model: desc,
        exit: Exit::Goto {
            result,
            label: "snn_init_end",
        },
    };
    method_to_c(method, &ctx).map_err(|e| e.to_string())
}

/// The random draws of snippet code, in precision suffix `s`; `None` for
/// the other calls.
fn rand_call(call: EnvCall, args: &[String], s: &str) -> Option<String> {
    Some(match call {
        EnvCall::RandUniform => format!("snn_uniform_{s}(&rng)"),
        EnvCall::RandNormal => format!("snn_normal_{s}(&rng)"),
        EnvCall::RandExponential => format!("snn_exponential_{s}(&rng)"),
        EnvCall::RandGamma => format!("snn_gamma_{s}(&rng, {})", args[0]),
        EnvCall::RandPoisson => format!("snn_poisson_{s}(&rng, {})", args[0]),
        EnvCall::RandBinomial => format!("snn_binomial_{s}(&rng, {}, {})", args[0], args[1]),
        _ => return None,
    })
}

fn float_arg<'a, B>(p: Precision, x: f64) -> Arg<'a, B> {
    match p {
        Precision::F32 => Arg::F32(x as f32),
        Precision::F64 => Arg::F64(x),
    }
}

/// A buffer holding `values` in precision `p` (at least one element).
fn upload_floats<D: Device>(
    device: &D,
    p: Precision,
    values: &[f64],
) -> Result<D::Buffer, InitError> {
    let bytes: Vec<u8> = match p {
        Precision::F32 => values
            .iter()
            .flat_map(|&x| (x as f32).to_ne_bytes())
            .collect(),
        Precision::F64 => values.iter().flat_map(|&x| x.to_ne_bytes()).collect(),
    };
    let buf = device.alloc_zeroed(bytes.len().max(8))?;
    device.write(&buf, 0, &bytes)?;
    Ok(buf)
}

/// Launches `name` on `work` threads in blocks of [`INIT_BLOCK_SIZE`].
fn launch<D: Device>(
    device: &D,
    name: &str,
    work: u64,
    args: &[Arg<'_, D::Buffer>],
) -> Result<(), InitError> {
    let blocks = work.div_ceil(INIT_BLOCK_SIZE as u64).max(1);
    let blocks = u32::try_from(blocks)
        .map_err(|_| InitError::TooLarge(format!("{name}: {work} threads")))?;
    device.launch(
        name,
        LaunchDims {
            blocks,
            threads: INIT_BLOCK_SIZE,
        },
        args,
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Whole networks
// ---------------------------------------------------------------------------

/// The device buffers of one synapse group, initialised.
pub struct DeviceGroup<B> {
    /// The ragged stride (slots per row, at least 1): pass it to
    /// [`snn_kernels::network::generate`] as the group's maximum row length.
    pub max_row: u32,
    /// Number of synapses.
    pub num_synapses: u64,
    /// `u32[num_pre]` row lengths.
    pub row_length: Option<B>,
    /// `u32[num_pre * max_row]` targets.
    pub ind: Option<B>,
    /// Weight-update variables, ragged like `ind`.
    pub wu_vars: Vec<Option<B>>,
    /// `in_syn` (zeros), then the postsynaptic model's variables.
    pub psm_vars: Vec<Option<B>>,
    /// The weight-update model's `#[pre_var]`s, per presynaptic neuron.
    pub pre_vars: Vec<Option<B>>,
    /// The weight-update model's `#[post_var]`s, per postsynaptic neuron.
    pub post_vars: Vec<Option<B>>,
}

/// A network's initial state on the device, in the runtime's buffer layout
/// (storage types of [`storage_type`], ragged synapse rows). Buffers are
/// `Option`s so the runtime can [`take`](Self::take) them.
pub struct DeviceInit<B> {
    /// Per population, per variable.
    pub populations: Vec<Vec<Option<B>>>,
    /// Per synapse group.
    pub synapse_groups: Vec<DeviceGroup<B>>,
    /// Per current source, per variable.
    pub current_sources: Vec<Vec<Option<B>>>,
    /// What was done on the host instead, and why (`owner: reason`).
    pub host_fallbacks: Vec<String>,
}

impl<B> DeviceInit<B> {
    /// Takes the buffer holding what `contents` describes, if it is one of
    /// the initialised buffers (variables, row lengths, targets) and not
    /// taken yet.
    pub fn take(&mut self, contents: &Contents) -> Option<B> {
        match *contents {
            Contents::NeuronVar { pop, var } => self.populations.get_mut(pop)?.get_mut(var)?.take(),
            Contents::SynapseVar { group, var } => self
                .synapse_groups
                .get_mut(group)?
                .wu_vars
                .get_mut(var)?
                .take(),
            Contents::PostsynapticVar { group, var } => self
                .synapse_groups
                .get_mut(group)?
                .psm_vars
                .get_mut(var)?
                .take(),
            Contents::CurrentSourceVar { source, var } => {
                self.current_sources.get_mut(source)?.get_mut(var)?.take()
            }
            Contents::PreVar { group, var } => self
                .synapse_groups
                .get_mut(group)?
                .pre_vars
                .get_mut(var)?
                .take(),
            Contents::PostVar { group, var } => self
                .synapse_groups
                .get_mut(group)?
                .post_vars
                .get_mut(var)?
                .take(),
            Contents::RowLength(group) => self.synapse_groups.get_mut(group)?.row_length.take(),
            Contents::Ind(group) => self.synapse_groups.get_mut(group)?.ind.take(),
            _ => None,
        }
    }
}

/// The planned kernels of a model part's variables.
fn plan_part(
    prog: &mut InitProgram,
    part: &ModelPart,
    layout: Layout,
    snippets: &dyn SnippetSource,
) -> Vec<(&'static FieldDesc, VarInitKernel)> {
    plan_fields(
        prog,
        part.model,
        FieldKind::Var,
        &part.var_inits,
        layout,
        snippets,
    )
}

/// The planned kernels of the fields of `kind` of `model`, initialised by `inits`.
fn plan_fields(
    prog: &mut InitProgram,
    model: &'static ModelDesc,
    kind: FieldKind,
    inits: &[VarInit],
    layout: Layout,
    snippets: &dyn SnippetSource,
) -> Vec<(&'static FieldDesc, VarInitKernel)> {
    model
        .fields_of(kind)
        .zip(inits)
        .map(|(f, init)| (f, prog.var_init(init, f.ty, layout, snippets)))
        .collect()
}

/// Where the dense variables of a part go: `n` elements, streams
/// `range.stream(group, k)`.
struct DensePart<'a> {
    owner: &'a str,
    n: u32,
    group: u32,
    range: VarInitRange,
}

/// Allocates and initialises the dense variables of a part.
fn run_dense<D: Device>(
    device: &D,
    net: &Network,
    kernels: &[(&'static FieldDesc, VarInitKernel)],
    part: DensePart<'_>,
    fallbacks: &mut Vec<String>,
) -> Result<Vec<Option<D::Buffer>>, InitError> {
    let DensePart {
        owner,
        n,
        group,
        range,
    } = part;
    let mut out = Vec::with_capacity(kernels.len());
    for (k, (f, kernel)) in kernels.iter().enumerate() {
        note_fallback(fallbacks, owner, f.name, kernel.host_reason());
        let bytes = n as usize * storage_bytes(f.ty, net.precision());
        let buf = alloc(device, bytes, || format!("{owner}: variable `{}`", f.name))?;
        let stream = range.stream(group, k as u32);
        kernel
            .run(device, &buf, &Target::Dense { n }, net.seed(), stream)
            .map_err(|e| e.for_var(owner, f.name))?;
        out.push(Some(buf));
    }
    Ok(out)
}

/// Allocates `bytes` (zeroed), naming `what` in an out-of-memory error.
pub(crate) fn alloc<D: Device>(
    device: &D,
    bytes: usize,
    what: impl FnOnce() -> String,
) -> DeviceResult<D::Buffer> {
    device.alloc_zeroed(bytes).map_err(|e| match e {
        DeviceError::OutOfMemory {
            device,
            bytes,
            reason,
            ..
        } => DeviceError::OutOfMemory {
            device,
            bytes,
            what: what(),
            reason,
        },
        e => e,
    })
}

fn note_fallback(fallbacks: &mut Vec<String>, owner: &str, var: &str, reason: Option<&str>) {
    if let Some(r) = reason {
        fallbacks.push(format!("{owner}: variable `{var}`: {r}"));
    }
}

/// Initialises every variable and builds every connectivity of `net` on
/// `device`, into fresh buffers: what `InitialState::new(net)` computes,
/// in the runtime's layout (see the module docs for what runs where).
///
/// Compiles its own program, so call it **before** compiling the step
/// kernels (`Device::compile` replaces the program; buffers survive).
/// Synapse groups whose rows overflow the analytical stride are rebuilt
/// once with the exact stride. Errors as `InitialState::new` reports them
/// (invalid connectivity or initialiser, delays above the maximum; see
/// [`InitError::into_core`]) or device errors. `snippets` gives the code of
/// user snippets ([`SnippetCodes`], or [`NoSnippetCode`] to build them on
/// the host).
pub fn init_on_device<D: Device>(
    device: &D,
    net: &Network,
    dialect: Dialect,
    snippets: &dyn SnippetSource,
) -> Result<DeviceInit<D::Buffer>, InitError> {
    let p = net.precision();
    if p == Precision::F64 && !device.supports_f64() {
        return Err(InitError::NoF64 {
            what: "the network (f64 precision)".into(),
        });
    }
    let seed = net.seed();
    let mut prog = InitProgram::new(p, device.supports_f64());

    // Plan: every kernel goes into one program.
    let pops: Vec<_> = net
        .populations()
        .iter()
        .map(|pop| plan_part(&mut prog, &pop.part, Layout::Dense, snippets))
        .collect();
    struct GroupPlan {
        conn: ConnectivityKernel,
        wu: Vec<(&'static FieldDesc, VarInitKernel)>,
        psm: Vec<(&'static FieldDesc, VarInitKernel)>,
        pre: Vec<(&'static FieldDesc, VarInitKernel)>,
        post: Vec<(&'static FieldDesc, VarInitKernel)>,
        delay: Option<DelayCheck>,
    }
    let mut groups = Vec::with_capacity(net.synapse_groups().len());
    for (gi, g) in net.synapse_groups().iter().enumerate() {
        let shape = Shape {
            num_pre: net.population(g.pre).size,
            num_post: net.population(g.post).size,
            same_population: g.pre == g.post,
        };
        let stream = stream_id(StreamPurpose::ConnectivityInit, gi as u32, 0);
        let conn = prog
            .connectivity(&g.connectivity, shape, seed, stream, snippets)
            .map_err(|e| e.for_group(&g.name))?;
        // Explicit lists give values in list order: reorder them to CSR order.
        let order = snn_core::initial::explicit_list_order(&g.connectivity);
        let wu =
            g.wu.model
                .fields_of(FieldKind::Var)
                .zip(&g.wu.var_inits)
                .map(|(f, init)| {
                    let kernel = match (&order, init) {
                        (Some(order), VarInit::Values(v)) if v.len() == order.len() => {
                            let csr = VarInit::Values(order.iter().map(|&k| v[k]).collect());
                            prog.var_init(&csr, f.ty, Layout::Ragged, snippets)
                        }
                        _ => prog.var_init(init, f.ty, Layout::Ragged, snippets),
                    };
                    (f, kernel)
                })
                .collect();
        let psm = plan_part(&mut prog, &g.psm, Layout::Dense, snippets);
        let (m, dense) = (g.wu.model, Layout::Dense);
        let pre = plan_fields(
            &mut prog,
            m,
            FieldKind::PreVar,
            &g.pre_var_inits,
            dense,
            snippets,
        );
        let post = plan_fields(
            &mut prog,
            m,
            FieldKind::PostVar,
            &g.post_var_inits,
            dense,
            snippets,
        );
        let delay = match g.delay_var {
            Some(v) => {
                let f = g.wu.model.nth(FieldKind::Var, v).ok_or_else(|| {
                    InitError::Usage(format!("synapse group `{}`: no delay variable {v}", g.name))
                })?;
                Some(prog.delay_check(f.ty)?)
            }
            None => None,
        };
        groups.push(GroupPlan {
            conn,
            wu,
            psm,
            pre,
            post,
            delay,
        });
    }
    let sources: Vec<_> = net
        .current_sources()
        .iter()
        .map(|cs| plan_part(&mut prog, &cs.part, Layout::Dense, snippets))
        .collect();
    prog.compile(device, dialect)?;

    // Run.
    let mut fallbacks = Vec::new();
    let mut populations = Vec::with_capacity(pops.len());
    for (pi, (pop, kernels)) in net.populations().iter().zip(&pops).enumerate() {
        let owner = format!("population `{}`", pop.name);
        let part = DensePart {
            owner: &owner,
            n: pop.size,
            group: pi as u32,
            range: VarInitRange::Neuron,
        };
        populations.push(run_dense(device, net, kernels, part, &mut fallbacks)?);
    }
    let mut synapse_groups = Vec::with_capacity(groups.len());
    for (gi, (g, plan)) in net.synapse_groups().iter().zip(&groups).enumerate() {
        let (n_pre, n_post) = (net.population(g.pre).size, net.population(g.post).size);
        if let Some(r) = plan.conn.host_reason() {
            fallbacks.push(format!("synapse group `{}`: connectivity: {r}", g.name));
        }
        let name = |what: &str| format!("synapse group `{}`: {what}", g.name);
        let row_length = alloc(device, n_pre as usize * 4, || name("row lengths"))?;
        let row_offset = alloc(device, n_pre as usize * 4, || name("row offsets"))?;
        let meta = device.alloc_zeroed(META_WORDS * 4)?;
        let mut stride = plan.conn.stride();
        let mut retried = false;
        let (ind, num_synapses) = loop {
            let slots = (n_pre as usize)
                .checked_mul(stride as usize)
                .filter(|&s| s <= u32::MAX as usize)
                .ok_or_else(|| {
                    InitError::TooLarge(format!(
                        "synapse group `{}`: {n_pre} rows x {stride} (longest row) synapse slots \
                         exceed 2^32",
                        g.name
                    ))
                })?;
            let ind = alloc(device, slots * 4, || name("targets"))?;
            let bufs = ConnBuffers {
                row_length: &row_length,
                ind: &ind,
                row_offset: &row_offset,
                meta: &meta,
            };
            match plan.conn.build(device, &bufs, stride) {
                Ok(n) => break (ind, n),
                Err(InitError::RowOverflow { needed, .. }) if !retried => {
                    retried = true;
                    stride = needed;
                }
                Err(e) => return Err(e.for_group(&g.name)),
            }
        };
        let owner = format!("synapse group `{}` (weight update)", g.name);
        let rows = RaggedRows {
            row_length: &row_length,
            row_offset: &row_offset,
            num_pre: n_pre,
            stride,
            num_synapses,
        };
        let target = Target::Ragged(rows);
        let mut wu_vars = Vec::with_capacity(plan.wu.len());
        for (k, ((f, kernel), init)) in plan.wu.iter().zip(&g.wu.var_inits).enumerate() {
            // As InitialState: the initialiser is checked against the synapse count.
            if !matches!(init, VarInit::Values(_)) {
                init.validate(num_synapses as usize).map_err(|reason| {
                    InitError::InvalidVarInit {
                        owner: owner.clone(),
                        var: f.name.to_string(),
                        reason,
                    }
                })?;
            }
            note_fallback(&mut fallbacks, &owner, f.name, kernel.host_reason());
            let bytes = n_pre as usize * stride as usize * storage_bytes(f.ty, p);
            let buf = alloc(device, bytes, || format!("{owner}: variable `{}`", f.name))?;
            let stream = VarInitRange::WeightUpdate.stream(gi as u32, k as u32);
            kernel
                .run(device, &buf, &target, seed, stream)
                .map_err(|e| e.for_var(&owner, f.name))?;
            wu_vars.push(Some(buf));
        }
        if let (Some(check), Some(v)) = (&plan.delay, g.delay_var) {
            let Target::Ragged(rows) = &target else {
                unreachable!("synapse variables are ragged")
            };
            let values = wu_vars[v].as_ref().expect("just initialised");
            if let Some(delay) = check.run(device, values, rows, g.max_dendritic_delay, &meta)? {
                return Err(InitError::DelayTooLarge {
                    group: g.name.clone(),
                    delay,
                    max: g.max_dendritic_delay as u64,
                });
            }
        }
        let psm_owner = format!("synapse group `{}` (postsynaptic model)", g.name);
        let in_syn_bytes = n_post as usize * storage_bytes(IrType::Scalar, p);
        let mut psm_vars = vec![Some(alloc(device, in_syn_bytes, || name("in_syn"))?)];
        let part = DensePart {
            owner: &psm_owner,
            n: n_post,
            group: gi as u32,
            range: VarInitRange::Postsynaptic,
        };
        psm_vars.extend(run_dense(device, net, &plan.psm, part, &mut fallbacks)?);
        let part = DensePart {
            owner: &owner,
            n: n_pre,
            group: gi as u32,
            range: VarInitRange::WeightUpdatePre,
        };
        let pre_vars = run_dense(device, net, &plan.pre, part, &mut fallbacks)?;
        let part = DensePart {
            owner: &owner,
            n: n_post,
            group: gi as u32,
            range: VarInitRange::WeightUpdatePost,
        };
        let post_vars = run_dense(device, net, &plan.post, part, &mut fallbacks)?;
        synapse_groups.push(DeviceGroup {
            max_row: stride,
            num_synapses,
            row_length: Some(row_length),
            ind: Some(ind),
            wu_vars,
            psm_vars,
            pre_vars,
            post_vars,
        });
    }
    let mut current_sources = Vec::with_capacity(sources.len());
    for (si, (cs, kernels)) in net.current_sources().iter().zip(&sources).enumerate() {
        let owner = format!("current source `{}`", cs.name);
        let part = DensePart {
            owner: &owner,
            n: net.population(cs.target).size,
            group: si as u32,
            range: VarInitRange::CurrentSource,
        };
        current_sources.push(run_dense(device, net, kernels, part, &mut fallbacks)?);
    }
    device.synchronize()?;
    Ok(DeviceInit {
        populations,
        synapse_groups,
        current_sources,
        host_fallbacks: fallbacks,
    })
}
