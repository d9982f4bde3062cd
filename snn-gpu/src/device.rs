//! What a GPU backend provides to the shared runtime: a [`Device`] that
//! compiles the generated source, holds buffers and launches kernels.
//!
//! `snn-cuda-host` (cudarc) and `snn-opencl-host` (opencl3) implement this
//! trait; everything above it (buffer layout, the per-step launch sequence,
//! recording pulls, variable access) is shared and lives in this crate.
//!
//! Launches are asynchronous and run in submission order on one queue
//! (a CUDA stream, an in-order OpenCL command queue); [`Device::read`]
//! waits for the work submitted before it.

pub use snn_core::timing::KernelTime;
use std::time::Duration;

/// An error of a device operation, naming what failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DeviceError {
    /// A runtime library (driver, NVRTC, OpenCL ICD loader) is not installed
    /// or could not be loaded.
    #[error("{library} could not be loaded: {reason}")]
    LibraryMissing {
        /// The library (e.g. `libnvrtc.so`).
        library: String,
        /// Why (the names tried, the loader's message).
        reason: String,
    },
    /// No usable device was found.
    #[error("no usable device: {0}")]
    NoDevice(String),
    /// The generated source did not compile. `log` is the compiler's log;
    /// `excerpt` shows the numbered source lines around the first error.
    #[error("{compiler} failed to compile the generated kernels:\n{log}\n{excerpt}")]
    Compile {
        /// The compiler (`NVRTC 12.9`, `OpenCL (PoCL)`, ...).
        compiler: String,
        /// The compiler's log.
        log: String,
        /// Numbered lines of the generated source around the first error.
        excerpt: String,
    },
    /// A device allocation failed.
    #[error("could not allocate {bytes} bytes on {device} for {what}: {reason}")]
    OutOfMemory {
        /// The device.
        device: String,
        /// Requested size.
        bytes: usize,
        /// What the buffer was for (set by the runtime, may be empty).
        what: String,
        /// The driver's message.
        reason: String,
    },
    /// A kernel launch (or a copy) failed.
    #[error("{operation} failed: {reason}")]
    Failed {
        /// What was being done (`launch of neuron_update_0`, `copy to device`, ...).
        operation: String,
        /// The driver's message.
        reason: String,
    },
}

/// Result with [`DeviceError`].
pub type DeviceResult<T> = Result<T, DeviceError>;

/// One argument of a kernel launch, in the order of the kernel's parameters.
#[derive(Debug)]
pub enum Arg<'a, B> {
    /// A buffer, passed as a `GLOBAL T*` pointer.
    Buffer(&'a B),
    /// `unsigned int`.
    U32(u32),
    /// `snn_u64` (64-bit unsigned).
    U64(u64),
    /// `float`.
    F32(f32),
    /// `double`.
    F64(f64),
}

/// The launch shape: `blocks` work-groups of `threads` work-items each
/// (CUDA: grid `blocks`, block `threads`; OpenCL: global size
/// `blocks * threads`, local size `threads`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaunchDims {
    /// Number of blocks (work-groups); at least 1.
    pub blocks: u32,
    /// Threads per block (work-items per work-group); at least 1.
    pub threads: u32,
}

/// A compute device able to run the generated kernels.
///
/// Methods take `&self`: implementations own an in-order queue and use
/// interior mutability where their API needs it.
pub trait Device {
    /// A device allocation (untyped bytes).
    type Buffer;

    /// The backend and device, for logs: `CUDA: NVIDIA H100 (sm_90)`,
    /// `OpenCL: pthread-skylake (PoCL 3.1)`.
    fn description(&self) -> String;

    /// Whether the device computes in `double` (OpenCL devices may not).
    fn supports_f64(&self) -> bool;

    /// The most bytes of arguments a kernel may take: merged kernels
    /// ([`snn_kernels::network::generate_plan`]) stay within it. The default is
    /// what every device takes ([`snn_kernels::network::MIN_PARAM_BYTES`]).
    fn max_param_bytes(&self) -> usize {
        snn_kernels::network::MIN_PARAM_BYTES
    }

    /// Compiles `source` (a complete program: prelude plus generated code)
    /// and makes its kernels available to [`Device::launch`] by name.
    /// Replaces any earlier program.
    fn compile(&self, source: &str) -> DeviceResult<()>;

    /// Whether the program of the last successful [`Device::compile`] came
    /// from a cache of compiled programs (`None`: the device has no such
    /// cache, or nothing was compiled yet). The default is `None`.
    fn last_compile_from_cache(&self) -> Option<bool> {
        None
    }

    /// Allocates `bytes` bytes (at least 1 is allocated), zero-filled.
    fn alloc_zeroed(&self, bytes: usize) -> DeviceResult<Self::Buffer>;

    /// Copies `data` into `buf` at byte `offset`.
    fn write(&self, buf: &Self::Buffer, offset: usize, data: &[u8]) -> DeviceResult<()>;

    /// Copies `out.len()` bytes from `buf` at byte `offset` into `out`,
    /// after all work submitted before.
    fn read(&self, buf: &Self::Buffer, offset: usize, out: &mut [u8]) -> DeviceResult<()>;

    /// Sets every byte of `buf` to zero (asynchronously, in queue order).
    fn zero(&self, buf: &Self::Buffer) -> DeviceResult<()>;

    /// Launches kernel `name` of the compiled program (asynchronously).
    fn launch(
        &self,
        name: &str,
        dims: LaunchDims,
        args: &[Arg<'_, Self::Buffer>],
    ) -> DeviceResult<()>;

    /// Waits until all submitted work is done, reporting asynchronous errors.
    fn synchronize(&self) -> DeviceResult<()>;

    /// Whether the device can record launches once and replay them
    /// ([`Device::begin_capture`]; CUDA graphs). The default is no.
    fn supports_graphs(&self) -> bool {
        false
    }

    /// Starts recording: the launches from now on until
    /// [`Device::end_capture`] are recorded, not run. Nothing else (reads,
    /// writes, waits) may happen in between.
    fn begin_capture(&self) -> DeviceResult<()> {
        Err(no_graphs(&self.description()))
    }

    /// Ends the recording begun by [`Device::begin_capture`]: the launches
    /// since, ready to be replayed. Graphs live until the next
    /// [`Device::compile`].
    fn end_capture(&self) -> DeviceResult<GraphId> {
        Err(no_graphs(&self.description()))
    }

    /// Replays a recorded graph (asynchronously, in queue order): its
    /// launches run as launched, with the buffers' current contents.
    fn replay(&self, graph: GraphId) -> DeviceResult<()> {
        let _ = graph;
        Err(no_graphs(&self.description()))
    }

    /// Switches timing on or off (off initially) and returns whether the
    /// device times launches: while on, the device time of every
    /// [`Device::launch`] is summed under its kernel name for
    /// [`Device::kernel_times`]. The default cannot time (`Ok(false)`).
    fn set_timing(&self, on: bool) -> DeviceResult<bool> {
        let _ = on;
        Ok(false)
    }

    /// The launches and summed device time of each kernel timed since the
    /// last call (which this drains), after waiting for the work submitted
    /// before. The default has none.
    fn kernel_times(&self) -> DeviceResult<Vec<KernelTime>> {
        Ok(Vec::new())
    }
}

/// A recorded sequence of launches on a device ([`Device::end_capture`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphId(pub usize);

/// The error of a graph operation on a device without graphs.
fn no_graphs(device: &str) -> DeviceError {
    DeviceError::Failed {
        operation: "recording a graph of launches".into(),
        reason: format!("{device} cannot record and replay launches"),
    }
}

/// Launches and device time summed per kernel name, in order of first
/// launch: what a [`Device`] that times collects for
/// [`Device::kernel_times`].
///
/// ```
/// use snn_gpu::device::KernelTimeSums;
/// use std::time::Duration;
/// let mut sums = KernelTimeSums::default();
/// sums.add("a", Duration::from_micros(3));
/// sums.add("b", Duration::from_micros(1));
/// sums.add("a", Duration::from_micros(2));
/// let rows = sums.take();
/// assert_eq!((rows[0].name.as_str(), rows[0].launches), ("a", 2));
/// assert_eq!(rows[0].device_time, Duration::from_micros(5));
/// assert!(sums.take().is_empty());
/// ```
#[derive(Debug, Default)]
pub struct KernelTimeSums {
    rows: Vec<KernelTime>,
}

impl KernelTimeSums {
    /// Counts one launch of `name` that took `time` on the device.
    pub fn add(&mut self, name: &str, time: Duration) {
        match self.rows.iter_mut().find(|r| r.name == name) {
            Some(r) => {
                r.launches += 1;
                r.device_time += time;
            }
            None => self.rows.push(KernelTime {
                name: name.to_string(),
                launches: 1,
                device_time: time,
            }),
        }
    }

    /// The sums so far, leaving none.
    pub fn take(&mut self) -> Vec<KernelTime> {
        std::mem::take(&mut self.rows)
    }
}

/// Numbered lines of `source` around `line` (1-based), `context` on each side,
/// the line itself marked with `>`: how compile errors show the generated code.
///
/// ```
/// let s = snn_gpu::device::source_excerpt("a\nb\nc\nd", 2, 1);
/// assert_eq!(s, "    1 | a\n>   2 | b\n    3 | c\n");
/// ```
pub fn source_excerpt(source: &str, line: usize, context: usize) -> String {
    let lo = line.saturating_sub(context).max(1);
    let hi = line + context;
    let mut out = String::new();
    for (i, text) in source.lines().enumerate() {
        let n = i + 1;
        if n >= lo && n <= hi {
            let mark = if n == line { '>' } else { ' ' };
            out.push_str(&format!("{mark}{n:>4} | {text}\n"));
        }
    }
    out
}

/// The first line number a compiler log reports an error at, for
/// [`source_excerpt`]: understands `name(LINE): error` (NVRTC) and
/// `name:LINE:COL: error` (clang, PoCL).
///
/// ```
/// use snn_gpu::device::first_error_line;
/// assert_eq!(first_error_line("kernels.cu(12): error: identifier \"x\" is undefined"), Some(12));
/// assert_eq!(first_error_line("<source>:7:3: error: use of undeclared identifier"), Some(7));
/// assert_eq!(first_error_line("all fine"), None);
/// ```
pub fn first_error_line(log: &str) -> Option<usize> {
    for l in log.lines() {
        if !l.contains("error") {
            continue;
        }
        // NVRTC: `file(LINE): error ...`
        if let Some(open) = l.find('(') {
            if let Some(close) = l[open..].find("): ") {
                if let Ok(n) = l[open + 1..open + close].parse() {
                    return Some(n);
                }
            }
        }
        // clang: `file:LINE:COL: error ...`
        let parts: Vec<&str> = l.splitn(4, ':').collect();
        if parts.len() == 4 {
            if let Ok(n) = parts[1].trim().parse() {
                return Some(n);
            }
        }
    }
    None
}
