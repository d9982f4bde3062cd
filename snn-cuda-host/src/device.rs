//! [`CudaDevice`]: the [`Device`] of the CUDA backend, on cudarc's driver API.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cudarc::driver::{
    result, sys, CudaContext, CudaEvent, CudaFunction, CudaGraph, CudaModule, CudaSlice,
    CudaStream, DevicePtr, DriverError, LaunchConfig, PushKernelArg,
};
use cudarc::nvrtc::Ptx;
use snn_gpu::device::{
    Arg, Device, DeviceError, DeviceResult, GraphId, KernelTime, KernelTimeSums, LaunchDims,
};

use crate::cache::ptx_cache_dir;
use crate::nvrtc::{compile_ptx_in, nvrtc_version};

/// What went wrong in a guarded cudarc call.
enum Fail {
    /// The driver returned an error.
    Driver(DriverError),
    /// cudarc panicked (a missing library or symbol).
    Panic(String),
}

impl Fail {
    fn text(&self) -> String {
        match self {
            Fail::Driver(e) => driver_text(e),
            Fail::Panic(msg) => format!("cudarc panicked: {msg}"),
        }
    }

    fn is(&self, code: sys::CUresult) -> bool {
        matches!(self, Fail::Driver(e) if e.0 == code)
    }
}

/// `CUDA_ERROR_NAME: description` of a driver error.
fn driver_text(e: &DriverError) -> String {
    let guarded = |f: &dyn Fn() -> Option<String>| catch_unwind(AssertUnwindSafe(f)).ok().flatten();
    let name = guarded(&|| {
        e.error_name()
            .ok()
            .map(|s| s.to_string_lossy().into_owned())
    })
    .unwrap_or_else(|| format!("{:?}", e.0));
    match guarded(&|| {
        e.error_string()
            .ok()
            .map(|s| s.to_string_lossy().into_owned())
    }) {
        Some(text) => format!("{name}: {text}"),
        None => name,
    }
}

/// Runs a cudarc call, turning a panic into [`Fail::Panic`].
fn guard<T>(f: impl FnOnce() -> Result<T, DriverError>) -> Result<T, Fail> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Fail::Driver(e)),
        Err(payload) => Err(Fail::Panic(
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string()),
        )),
    }
}

/// Checks that the driver library opens under one of the names cudarc
/// tries (cudarc panics otherwise). Cached.
fn driver_library() -> DeviceResult<()> {
    static PROBE: OnceLock<DeviceResult<()>> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            let mut names = cudarc::get_lib_name_candidates("cuda");
            if cfg!(windows) {
                names.extend(cudarc::get_lib_name_candidates("nvcuda"));
            }
            let mut seen = std::collections::HashSet::new();
            names.retain(|n| seen.insert(n.clone()));
            let mut messages: Vec<String> = Vec::new();
            for n in &names {
                // SAFETY: opening the driver library runs its initialisers,
                // which have no preconditions.
                match unsafe { libloading::Library::new(n) } {
                    Ok(_) => return Ok(()),
                    Err(e) => {
                        // "not found" is the expected failure; anything
                        // else (a broken driver) is worth reporting.
                        let msg = e.to_string();
                        let expected =
                            msg.contains("No such file") || msg.ends_with("dlopen failed");
                        if !expected && !messages.contains(&msg) {
                            messages.push(msg);
                        }
                    }
                }
            }
            // One line, as `Backend::Auto` prints it on every CPU-only run.
            let mut reason = format!(
                "no NVIDIA driver is installed (the dynamic loader found none of \
                 {} and {} other names)",
                names.first().map_or("libcuda.so.1", String::as_str),
                names.len().saturating_sub(1)
            );
            if !messages.is_empty() {
                reason.push_str(&format!("; loader: {}", messages.join("; ")));
            }
            Err(DeviceError::LibraryMissing {
                library: "the CUDA driver (libcuda.so.1)".to_string(),
                reason,
            })
        })
        .clone()
}

/// The number of CUDA devices the driver reports. Errors: the driver is
/// missing ([`DeviceError::LibraryMissing`]) or does not initialise
/// ([`DeviceError::NoDevice`], e.g. no GPU or a driver/kernel-module mismatch).
fn device_count() -> DeviceResult<usize> {
    driver_library()?;
    guard(result::init).map_err(|f| {
        DeviceError::NoDevice(format!("the CUDA driver did not initialise: {}", f.text()))
    })?;
    let n = guard(result::device::get_count)
        .map_err(|f| DeviceError::NoDevice(format!("cuDeviceGetCount failed: {}", f.text())))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Whether CUDA can be used: the driver library opens, initialises, and
/// reports at least one device. Cheap; does not create a context. The error
/// says why not ([`DeviceError::LibraryMissing`] or [`DeviceError::NoDevice`]).
/// NVRTC is not checked (see [`crate::nvrtc_version`]).
pub fn cuda_available() -> DeviceResult<()> {
    match device_count()? {
        0 => Err(DeviceError::NoDevice(
            "the CUDA driver reports no devices".to_string(),
        )),
        _ => Ok(()),
    }
}

/// The CUDA driver's version as `(major, minor)`, when it can be told.
fn driver_version() -> Option<(i32, i32)> {
    let mut v: std::ffi::c_int = 0;
    // SAFETY: cuDriverGetVersion only writes `v`.
    guard(|| unsafe { sys::cuDriverGetVersion(&mut v) }.result()).ok()?;
    Some((v / 1000, (v % 1000) / 10))
}

/// A device allocation of [`CudaDevice`] (untyped bytes).
pub struct CudaBuffer {
    slice: CudaSlice<u8>,
    len: usize,
}

impl CudaBuffer {
    /// Size in bytes, as requested (at least 1 byte is allocated).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the requested size was 0.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes `offset..offset + n`, checked against the buffer's size.
    fn range(&self, offset: usize, n: usize, operation: &str) -> DeviceResult<u64> {
        match offset.checked_add(n) {
            Some(end) if end <= self.len => Ok(offset as u64),
            _ => Err(DeviceError::Failed {
                operation: operation.to_string(),
                reason: format!(
                    "bytes {offset}..{} are outside the {}-byte buffer",
                    offset.saturating_add(n),
                    self.len
                ),
            }),
        }
    }
}

impl std::fmt::Debug for CudaBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaBuffer")
            .field("len", &self.len)
            .finish()
    }
}

/// The compiled program and the kernels looked up so far.
#[derive(Default)]
struct State {
    module: Option<Arc<CudaModule>>,
    functions: HashMap<String, CudaFunction>,
    last_launch: Option<String>,
    /// Whether the PTX of the last compile came from the disk cache.
    from_cache: Option<bool>,
    /// Recorded graphs ([`Device::end_capture`]), by [`GraphId`].
    graphs: Vec<Graph>,
    /// Whether launches are timed ([`Device::set_timing`]).
    timing: bool,
    /// Timed launches whose device time has not been read yet.
    pending: Vec<TimedLaunch>,
    /// The device times read so far, per kernel.
    sums: KernelTimeSums,
}

/// A recorded and instantiated CUDA graph.
struct Graph(CudaGraph);

// SAFETY: a CUDA graph may be used from any thread as long as no two use
// it at once; graphs are only reached through the device's mutex.
unsafe impl Send for Graph {}

/// A launch between two timing events, recorded on the stream.
struct TimedLaunch {
    kernel: String,
    start: CudaEvent,
    end: CudaEvent,
}

/// Timed launches kept before their events are read (after a
/// synchronisation), bounding the events held.
const MAX_PENDING: usize = 2048;

/// One CUDA GPU with one stream: the CUDA backend's [`Device`].
///
/// Work (copies to the device, zeroing, launches) is queued on the stream
/// in call order; [`Device::read`] and [`Device::synchronize`] wait for it.
/// cudarc's per-buffer event tracking is off (there is only one stream).
pub struct CudaDevice {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    ordinal: usize,
    name: String,
    compute_capability: (i32, i32),
    arch: String,
    state: Mutex<State>,
}

impl std::fmt::Debug for CudaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaDevice")
            .field("ordinal", &self.ordinal)
            .field("name", &self.name)
            .field("arch", &self.arch)
            .finish()
    }
}

impl CudaDevice {
    /// Opens CUDA device `ordinal` (0 is the first): its primary context and
    /// a new stream. Errors: no driver ([`DeviceError::LibraryMissing`]), no
    /// such device ([`DeviceError::NoDevice`]). Never panics.
    pub fn new(ordinal: usize) -> DeviceResult<CudaDevice> {
        let count = device_count()?;
        if count == 0 {
            return Err(DeviceError::NoDevice(
                "the CUDA driver reports no devices".to_string(),
            ));
        }
        if ordinal >= count {
            return Err(DeviceError::NoDevice(format!(
                "CUDA device {ordinal} was requested but the driver reports {count} device(s)"
            )));
        }
        let ctx = guard(|| CudaContext::new(ordinal)).map_err(|f| {
            DeviceError::NoDevice(format!(
                "could not open CUDA device {ordinal}: {}",
                f.text()
            ))
        })?;
        // SAFETY: one stream only, so there is no cross-stream use to track;
        // set before any buffer exists.
        unsafe { ctx.disable_event_tracking() };
        let stream = guard(|| ctx.new_stream()).map_err(|f| DeviceError::Failed {
            operation: format!("creating a stream on CUDA device {ordinal}"),
            reason: f.text(),
        })?;
        let name = guard(|| ctx.name())
            .map(|n| n.trim().to_string())
            .unwrap_or_else(|_| format!("CUDA device {ordinal}"));
        let compute_capability =
            guard(|| ctx.compute_capability()).map_err(|f| DeviceError::Failed {
                operation: format!("querying the compute capability of CUDA device {ordinal}"),
                reason: f.text(),
            })?;
        let arch = format!("sm_{}{}", compute_capability.0, compute_capability.1);
        Ok(CudaDevice {
            ctx,
            stream,
            ordinal,
            name,
            compute_capability,
            arch,
            state: Mutex::new(State::default()),
        })
    }

    /// The number of CUDA devices, or why there are none to count.
    pub fn count() -> DeviceResult<usize> {
        device_count()
    }

    /// The device's ordinal.
    pub fn ordinal(&self) -> usize {
        self.ordinal
    }

    /// The device's name (`NVIDIA H100 80GB HBM3`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The compute capability, `(major, minor)`.
    pub fn compute_capability(&self) -> (i32, i32) {
        self.compute_capability
    }

    /// The architecture programs are compiled for (`sm_90`).
    pub fn arch(&self) -> &str {
        &self.arch
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An error found when waiting: names the last kernel launched, since
    /// a kernel's own faults show up only then.
    fn async_error(&self, operation: &str, f: Fail) -> DeviceError {
        let mut reason = f.text();
        if let Some(k) = &self.state().last_launch {
            reason.push_str(&format!(" (the last kernel launched was {k})"));
        }
        DeviceError::Failed {
            operation: operation.to_string(),
            reason,
        }
    }

    /// The error for a PTX module the driver refused.
    fn load_error(&self, f: Fail) -> DeviceError {
        let mut reason = f.text();
        if f.is(sys::CUresult::CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
            let nvrtc = nvrtc_version()
                .map(|(a, b)| format!("{a}.{b}"))
                .unwrap_or_else(|_| "?".into());
            let driver = driver_version()
                .map(|(a, b)| format!("{a}.{b}"))
                .unwrap_or_else(|| "?".into());
            reason.push_str(&format!(
                ". The PTX comes from NVRTC {nvrtc}, newer than this driver (CUDA {driver}) \
                 reads: use an NVRTC no newer than the driver (SNN_NVRTC_LIB)"
            ));
        }
        DeviceError::Failed {
            operation: format!("loading the compiled PTX on {}", self.description()),
            reason,
        }
    }

    /// The kernel `name` of the compiled program, looked up once.
    fn function(&self, name: &str) -> DeviceResult<CudaFunction> {
        let mut state = self.state();
        if let Some(f) = state.functions.get(name) {
            return Ok(f.clone());
        }
        let operation = || format!("launch of {name}");
        let module = state.module.clone().ok_or_else(|| DeviceError::Failed {
            operation: operation(),
            reason: "no program has been compiled".to_string(),
        })?;
        let f = guard(|| module.load_function(name)).map_err(|f| DeviceError::Failed {
            operation: operation(),
            reason: if f.is(sys::CUresult::CUDA_ERROR_NOT_FOUND) {
                format!("the compiled program has no kernel named `{name}`")
            } else {
                f.text()
            },
        })?;
        state.functions.insert(name.to_string(), f.clone());
        Ok(f)
    }
}

/// Kernel timing ([`Device::set_timing`]): a pair of timing events around
/// each launch, read after a synchronisation.
impl CudaDevice {
    /// A timing event recorded on the stream now, when launches are timed.
    fn timing_event(&self, name: &str) -> DeviceResult<Option<CudaEvent>> {
        if !self.state().timing {
            return Ok(None);
        }
        let flags = Some(sys::CUevent_flags::CU_EVENT_DEFAULT);
        guard(|| self.stream.record_event(flags))
            .map(Some)
            .map_err(|f| DeviceError::Failed {
                operation: format!("timing the launch of {name}"),
                reason: f.text(),
            })
    }

    /// Records the end of the launch of `name` that began at `start`; reads
    /// the pending launches' times when there are many.
    fn timed(&self, name: &str, start: CudaEvent) -> DeviceResult<()> {
        // None: timing was switched off meanwhile (from another thread).
        let Some(end) = self.timing_event(name)? else {
            return Ok(());
        };
        let mut state = self.state();
        state.pending.push(TimedLaunch {
            kernel: name.to_string(),
            start,
            end,
        });
        let full = state.pending.len() >= MAX_PENDING;
        drop(state);
        if full {
            self.resolve_pending()?;
        }
        Ok(())
    }

    /// Waits for the stream, then adds the device time of every pending
    /// launch to the sums.
    fn resolve_pending(&self) -> DeviceResult<()> {
        self.synchronize()?;
        let pending = std::mem::take(&mut self.state().pending);
        let mut times = Vec::with_capacity(pending.len());
        for p in &pending {
            let ms = guard(|| p.start.elapsed_ms(&p.end)).map_err(|f| DeviceError::Failed {
                operation: format!("reading the device time of {}", p.kernel),
                reason: f.text(),
            })?;
            times.push(Duration::from_secs_f64(f64::from(ms.max(0.0)) / 1e3));
        }
        let mut state = self.state();
        for (p, t) in pending.iter().zip(times) {
            state.sums.add(&p.kernel, t);
        }
        Ok(())
    }
}

/// The kernel parameter bytes every CUDA device and driver takes (Volta
/// and CUDA 12.1 on take 32 KB): the budget of merged kernels.
pub const MAX_PARAM_BYTES: usize = 4096;

impl Device for CudaDevice {
    type Buffer = CudaBuffer;

    fn description(&self) -> String {
        format!("CUDA: {} ({})", self.name, self.arch)
    }

    fn supports_f64(&self) -> bool {
        true
    }

    fn max_param_bytes(&self) -> usize {
        MAX_PARAM_BYTES
    }

    fn compile(&self, source: &str) -> DeviceResult<()> {
        let compiled = compile_ptx_in(source, &self.arch, ptx_cache_dir().as_deref())?;
        let module = guard(|| self.ctx.load_module(Ptx::from_src(compiled.ptx)))
            .map_err(|f| self.load_error(f))?;
        let mut state = self.state();
        state.functions.clear();
        // Graphs launch the old module's kernels.
        state.graphs.clear();
        state.module = Some(module);
        state.from_cache = Some(compiled.from_cache);
        Ok(())
    }

    fn last_compile_from_cache(&self) -> Option<bool> {
        self.state().from_cache
    }

    fn alloc_zeroed(&self, bytes: usize) -> DeviceResult<CudaBuffer> {
        let n = bytes.max(1);
        // SAFETY: u8 has no invalid bit patterns; zeroed right after.
        let slice = guard(|| unsafe { self.stream.alloc::<u8>(n) }).map_err(|f| {
            DeviceError::OutOfMemory {
                device: self.description(),
                bytes,
                what: String::new(),
                reason: f.text(),
            }
        })?;
        let buf = CudaBuffer { slice, len: bytes };
        self.zero(&buf)?;
        Ok(buf)
    }

    fn write(&self, buf: &CudaBuffer, offset: usize, data: &[u8]) -> DeviceResult<()> {
        let operation = "copy to device";
        let off = buf.range(offset, data.len(), operation)?;
        if data.is_empty() {
            return Ok(());
        }
        guard(|| {
            self.ctx.bind_to_thread()?;
            let (ptr, _sync) = buf.slice.device_ptr(&self.stream);
            // SAFETY: in bounds (checked). From pageable memory the driver
            // stages `data` before returning, so it may be freed afterwards.
            unsafe { result::memcpy_htod_async(ptr + off, data, self.stream.cu_stream()) }
        })
        .map_err(|f| self.async_error(operation, f))
    }

    fn read(&self, buf: &CudaBuffer, offset: usize, out: &mut [u8]) -> DeviceResult<()> {
        let operation = "copy from device";
        let off = buf.range(offset, out.len(), operation)?;
        if out.is_empty() {
            return self.synchronize();
        }
        guard(|| {
            self.ctx.bind_to_thread()?;
            let (ptr, _sync) = buf.slice.device_ptr(&self.stream);
            // SAFETY: in bounds (checked); `out` outlives the copy, which is
            // waited for below.
            unsafe { result::memcpy_dtoh_async(out, ptr + off, self.stream.cu_stream()) }?;
            self.stream.synchronize()
        })
        .map_err(|f| self.async_error(operation, f))
    }

    fn zero(&self, buf: &CudaBuffer) -> DeviceResult<()> {
        guard(|| {
            self.ctx.bind_to_thread()?;
            let (ptr, _sync) = buf.slice.device_ptr(&self.stream);
            // SAFETY: the whole allocation, on the stream it belongs to.
            unsafe { result::memset_d8_async(ptr, 0, buf.slice.len(), self.stream.cu_stream()) }
        })
        .map_err(|f| self.async_error("zeroing a buffer", f))
    }

    fn launch(
        &self,
        name: &str,
        dims: LaunchDims,
        args: &[Arg<'_, CudaBuffer>],
    ) -> DeviceResult<()> {
        if dims.blocks == 0 || dims.threads == 0 {
            return Err(DeviceError::Failed {
                operation: format!("launch of {name}"),
                reason: format!(
                    "empty launch ({} blocks of {} threads)",
                    dims.blocks, dims.threads
                ),
            });
        }
        let func = self.function(name)?;
        let start = self.timing_event(name)?;
        let cfg = LaunchConfig {
            grid_dim: (dims.blocks, 1, 1),
            block_dim: (dims.threads, 1, 1),
            shared_mem_bytes: 0,
        };
        guard(|| {
            let mut b = self.stream.launch_builder(&func);
            for a in args {
                match a {
                    Arg::Buffer(buf) => b.arg(&buf.slice),
                    Arg::U32(v) => b.arg(v),
                    Arg::U64(v) => b.arg(v),
                    Arg::F32(v) => b.arg(v),
                    Arg::F64(v) => b.arg(v),
                };
            }
            // SAFETY: the arguments are the kernel's parameters in order
            // (the caller's contract); buffers outlive the queued work
            // because freeing them is queued on the same stream.
            unsafe { b.launch(cfg) }.map(|_| ())
        })
        .map_err(|f| DeviceError::Failed {
            operation: format!("launch of {name}"),
            reason: f.text(),
        })?;
        self.state().last_launch = Some(name.to_string());
        if let Some(start) = start {
            self.timed(name, start)?;
        }
        Ok(())
    }

    fn synchronize(&self) -> DeviceResult<()> {
        guard(|| {
            self.stream.synchronize()?;
            self.ctx.check_err()
        })
        .map_err(|f| self.async_error("synchronize", f))
    }

    fn supports_graphs(&self) -> bool {
        true
    }

    fn begin_capture(&self) -> DeviceResult<()> {
        let mode = sys::CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL;
        guard(|| self.stream.begin_capture(mode)).map_err(|f| DeviceError::Failed {
            operation: "starting to record a CUDA graph".into(),
            reason: f.text(),
        })
    }

    fn end_capture(&self) -> DeviceResult<GraphId> {
        let fail = |reason: String| DeviceError::Failed {
            operation: "recording a CUDA graph".into(),
            reason,
        };
        let flags = sys::CUgraphInstantiate_flags(0);
        let graph = guard(|| self.stream.end_capture(flags))
            .map_err(|f| fail(f.text()))?
            .ok_or_else(|| fail("the recording is empty".into()))?;
        // Uploaded now, so that the first replay costs no more than the others.
        guard(|| graph.upload()).map_err(|f| fail(f.text()))?;
        let mut state = self.state();
        state.graphs.push(Graph(graph));
        Ok(GraphId(state.graphs.len() - 1))
    }

    fn replay(&self, graph: GraphId) -> DeviceResult<()> {
        let state = self.state();
        let g = state
            .graphs
            .get(graph.0)
            .ok_or_else(|| DeviceError::Failed {
                operation: "replaying a CUDA graph".into(),
                reason: format!("there is no graph {} (graphs end at a compile)", graph.0),
            })?;
        guard(|| g.0.launch()).map_err(|f| DeviceError::Failed {
            operation: "replaying a CUDA graph".into(),
            reason: f.text(),
        })
    }

    fn set_timing(&self, on: bool) -> DeviceResult<bool> {
        self.state().timing = on;
        Ok(true)
    }

    fn kernel_times(&self) -> DeviceResult<Vec<KernelTime>> {
        self.resolve_pending()?;
        Ok(self.state().sums.take())
    }
}
