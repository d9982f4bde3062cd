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
//! connectivity rule come out bit for bit, and so do normal, exponential,
//! gamma, binomial and Poisson draws: their `ln`, `exp` and `cos` are
//! `snn_core::math`'s on every device (the prelude's `snn_ln_f32` ...). Only
//! `pow` comes from the device's math library (gamma draws of shape below
//! 1): with the host's libm (the kernels compiled as C on the host,
//! `tests/it/init_kernels.rs`) those are bit-identical too; PoCL 3.1's `pow`
//! differs from glibc's by 1 ulp for about 10 % of arguments, so a few
//! percent of such values differ by a few ulps (see [`snn_kernels::rng`]).
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
//! initialises a whole [`Network`](snn_core::network::Network) into fresh buffers ([`DeviceInit`]) that
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
//! # Source layout
//!
//! The fixed C code lives in `.h` files next to this module (`library.h`,
//! `fixed_probability.h`, `fill_scatter.h`, included by the `source`
//! submodule); the launch arguments of those kernels (and of the generated
//! delay checks) are defined once per kernel in the `args` submodule, whose
//! tests parse the C signatures and check names and kinds against them.
//! Per-model kernels (distributions, snippets, delay checks) are generated
//! by [`InitProgram`] (`program`); [`init_on_device`] is in `network`,
//! [`VarInitKernel`] in `var`, [`ConnectivityKernel`] in `conn`.
//!
//! [`InitialState`]: snn_core::initial::InitialState

mod args;
mod conn;
mod network;
mod program;
mod source;
mod var;

pub use conn::{fixed_total_row_lengths, ConnBuffers, ConnectivityKernel, Shape};
pub(crate) use network::alloc;
pub use network::{init_on_device, DeviceGroup, DeviceInit};
pub use program::{DelayCheck, InitProgram};
pub use source::{storage_bytes, storage_type, Layout};
pub use var::{host_var_values, RaggedRows, Target, VarInitKernel};

use crate::device::DeviceError;
use snn_core::connectivity::{Connectivity, ConnectivitySnippetDyn};
use snn_core::init::{VarInit, VarInitSnippetDyn};
use snn_core::model::{ConnectivityModel, Model, ModelDesc, VarInitModel};
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
    pub(super) fn for_var(self, owner: &str, var: &str) -> Self {
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
    pub(super) fn for_group(self, group: &str) -> Self {
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
