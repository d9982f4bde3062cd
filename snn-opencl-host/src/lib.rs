//! OpenCL runtime of the snn simulator: an [`OpenClDevice`] implementing
//! [`snn_gpu::device::Device`] through `opencl3`.
//!
//! The OpenCL library is loaded at run time (`opencl3`'s `dynamic` feature):
//! the crate builds without OpenCL installed, and a machine without an ICD
//! loader (`libOpenCL.so.1`), without a platform or without a device gets a
//! [`DeviceError::LibraryMissing`] or [`DeviceError::NoDevice`] naming what
//! was tried, never a panic. `scripts/install-pocl.sh` installs PoCL (a CPU
//! OpenCL implementation) on Debian/Ubuntu.
//!
//! One device, one context, one in-order command queue: launches and
//! [`Device::zero`] are enqueued without waiting, [`Device::write`] and
//! [`Device::read`] are blocking (after all work enqueued before them).
//! With timing on ([`Device::set_timing`]) the queue is replaced by one with
//! `CL_QUEUE_PROFILING_ENABLE` and every launch's event is kept for
//! [`Device::kernel_times`].

#![warn(missing_docs)]

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use cl3::types::{cl_bool, cl_device_type, cl_int, cl_mem, CL_TRUE};
use opencl3::command_queue::{CommandQueue, CL_QUEUE_PROFILING_ENABLE};
use opencl3::context::Context;
use opencl3::device::{
    Device as ClDevice, CL_DEVICE_TYPE_ALL, CL_DEVICE_TYPE_CPU, CL_DEVICE_TYPE_GPU,
    CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT,
};
use opencl3::error_codes::{
    ClError, CL_BUILD_PROGRAM_FAILURE, CL_INVALID_BUFFER_SIZE, CL_INVALID_WORK_GROUP_SIZE,
    CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_OUT_OF_HOST_MEMORY, CL_OUT_OF_RESOURCES,
    CL_PLATFORM_NOT_FOUND_KHR,
};
use opencl3::event::Event;
use opencl3::kernel::{Kernel, CL_KERNEL_WORK_GROUP_SIZE};
use opencl3::memory::{Buffer, ClMem, CL_MEM_READ_WRITE};
use opencl3::platform::{get_platforms, Platform};
use opencl3::program::Program;
use snn_gpu::device::{
    first_error_line, source_excerpt, Arg, Device, DeviceError, DeviceResult, KernelTime,
    LaunchDims,
};

mod timing;

/// Options every program is built with: OpenCL C 1.2, no fast-math
/// (floating-point contraction is switched off by the prelude's
/// `FP_CONTRACT OFF`). [`build_options`] adds the correctly rounded `f32`
/// division and square root where the device offers them.
pub const BUILD_OPTIONS: &str = "-cl-std=CL1.2";

/// What OpenCL C 1.2 allows a device's `f32` `/` and `sqrt` to be off by
/// unless the program asks for them correctly rounded (2.5 and 3 ulp):
/// with `-cl-fp32-correctly-rounded-divide-sqrt`, where the device supports
/// it (`CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT`), model code and the math
/// library compute the CPU's bits; without it they may differ in the last
/// bits.
pub fn build_options(info: &DeviceInfo) -> String {
    if info.correctly_rounded_f32_div_sqrt {
        format!("{BUILD_OPTIONS} -cl-fp32-correctly-rounded-divide-sqrt")
    } else {
        BUILD_OPTIONS.to_string()
    }
}

/// The ICD loader `cl3` opens when `OPENCL_DYLIB_PATH` names none that loads.
pub const LIBRARY_NAME: &str = if cfg!(target_os = "windows") {
    "OpenCL.dll"
} else if cfg!(target_os = "macos") {
    "/System/Library/Frameworks/OpenCL.framework/OpenCL"
} else {
    "libOpenCL.so.1"
};

/// cl3's error code when the OpenCL library could not be loaded.
const DLOPEN_RUNTIME_LOAD_FAILED: cl_int = -2000;

/// Which device [`OpenClDevice::new`] opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceSelection {
    /// The first available GPU of any platform.
    AnyGpu,
    /// The first available GPU, else the first available device of any
    /// type (e.g. PoCL's CPU device).
    Any,
    /// Device `device` of platform `platform`, as numbered by [`list_devices`].
    Index {
        /// Index of the platform.
        platform: usize,
        /// Index of the device within the platform.
        device: usize,
    },
}

/// The type of an OpenCL device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    /// `CL_DEVICE_TYPE_GPU`.
    Gpu,
    /// `CL_DEVICE_TYPE_CPU` (e.g. PoCL's `pthread` device).
    Cpu,
    /// Accelerators, custom devices.
    Other,
}

/// An OpenCL device as found by [`list_devices`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Index of the platform (for [`DeviceSelection::Index`]).
    pub platform_index: usize,
    /// Index of the device within its platform.
    pub device_index: usize,
    /// Platform name (`Portable Computing Language`, `NVIDIA CUDA`, ...).
    pub platform: String,
    /// Platform version, shortened (`OpenCL 3.0 PoCL 3.1+debian`).
    pub platform_version: String,
    /// Device name.
    pub name: String,
    /// Device type.
    pub kind: DeviceKind,
    /// Whether the device supports `double` (`cl_khr_fp64`).
    pub supports_f64: bool,
    /// Whether the device can divide and take square roots of `f32`
    /// correctly rounded (`CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT`; see
    /// [`build_options`]).
    pub correctly_rounded_f32_div_sqrt: bool,
    /// Whether the device is available and has a compiler.
    pub usable: bool,
    /// `CL_DEVICE_MAX_WORK_GROUP_SIZE`.
    pub max_work_group_size: usize,
    /// `CL_DEVICE_GLOBAL_MEM_SIZE` in bytes.
    pub global_mem_bytes: u64,
    /// `CL_DEVICE_MAX_MEM_ALLOC_SIZE`: the largest single buffer, in bytes.
    pub max_alloc_bytes: u64,
    /// `CL_DEVICE_MAX_PARAMETER_SIZE`: the most bytes of kernel arguments.
    pub max_param_bytes: usize,
}

impl DeviceInfo {
    /// `OpenCL: <device name> (<platform name> <version>)`.
    pub fn description(&self) -> String {
        format!(
            "OpenCL: {} ({} {})",
            self.name, self.platform, self.platform_version
        )
    }
}

/// The platform version up to the first comma or double space:
/// `OpenCL 3.0 PoCL 3.1+debian  Linux, None+Asserts, ...` -> `OpenCL 3.0 PoCL 3.1+debian`.
fn short_version(v: &str) -> String {
    let v = v.split(',').next().unwrap_or("");
    let v = v.split("  ").next().unwrap_or("");
    v.trim().to_string()
}

/// `CL_NAME (code)`.
fn cl_text(code: cl_int) -> String {
    format!("{} ({code})", ClError(code))
}

/// The message of a caught panic.
fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// The library names cl3 tries, in order.
fn library_candidates() -> Vec<String> {
    let mut names: Vec<String> = std::env::var("OPENCL_DYLIB_PATH")
        .map(|v| {
            v.split(';')
                .filter(|s| !s.is_empty())
                .map(|s| format!("{s} (from OPENCL_DYLIB_PATH)"))
                .collect()
        })
        .unwrap_or_default();
    names.push(LIBRARY_NAME.to_string());
    names
}

/// The error when the library cannot be loaded.
fn library_missing(message: &str) -> DeviceError {
    DeviceError::LibraryMissing {
        library: format!("{LIBRARY_NAME} (OpenCL ICD loader)"),
        reason: format!(
            "tried {}: {message}; install an ICD loader and a driver, e.g. \
             `apt-get install ocl-icd-libopencl1 pocl-opencl-icd` (scripts/install-pocl.sh), \
             or set OPENCL_DYLIB_PATH to the library's path",
            library_candidates().join(", ")
        ),
    }
}

/// The platforms, or why there are none.
fn platforms() -> DeviceResult<Vec<Platform>> {
    if let Err(e) = cl3::load_library() {
        return Err(library_missing(&e.to_string()));
    }
    match get_platforms() {
        Ok(p) if !p.is_empty() => Ok(p),
        Ok(_) => Err(no_platform("clGetPlatformIDs returned no platform")),
        Err(ClError(DLOPEN_RUNTIME_LOAD_FAILED)) => Err(library_missing("dlopen failed")),
        Err(ClError(CL_PLATFORM_NOT_FOUND_KHR)) => Err(no_platform(
            "the ICD loader found no vendor driver (CL_PLATFORM_NOT_FOUND_KHR)",
        )),
        Err(ClError(code)) => Err(no_platform(&format!(
            "clGetPlatformIDs failed: {}",
            cl_text(code)
        ))),
    }
}

/// The error when no platform is installed.
fn no_platform(why: &str) -> DeviceError {
    let vendors = match std::env::var("OCL_ICD_VENDORS") {
        Ok(v) => format!("OCL_ICD_VENDORS={v}"),
        Err(_) => "/etc/OpenCL/vendors/*.icd".to_string(),
    };
    DeviceError::NoDevice(format!(
        "no OpenCL platform: {why} (vendor files: {vendors}); install one, e.g. \
         `apt-get install pocl-opencl-icd` (scripts/install-pocl.sh)"
    ))
}

/// Serializes platform/device discovery and device opening: PoCL 3.1
/// initializes its devices on first use without fully guarding concurrent
/// callers (a second thread querying device info during the first thread's
/// initialization crashed in `strlen` inside libpocl).
static DISCOVERY: Mutex<()> = Mutex::new(());

/// Runs `f` under [`DISCOVERY`], turning a panic inside the OpenCL bindings
/// into [`DeviceError::NoDevice`].
fn guarded<T>(what: &str, f: impl FnOnce() -> DeviceResult<T>) -> DeviceResult<T> {
    let _lock = DISCOVERY.lock().unwrap_or_else(|p| p.into_inner());
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(DeviceError::NoDevice(format!(
            "{what} panicked inside the OpenCL bindings: {}",
            panic_text(p)
        ))),
    }
}

/// A device with its info.
struct Found {
    info: DeviceInfo,
    device: ClDevice,
}

/// Queries one device.
fn describe(
    platform_index: usize,
    device_index: usize,
    platform: &Platform,
    device: &ClDevice,
) -> DeviceResult<DeviceInfo> {
    let q = |what: &str, e: ClError| {
        DeviceError::NoDevice(format!(
            "querying {what} of OpenCL device {platform_index}:{device_index} failed: {}",
            cl_text(e.0)
        ))
    };
    let name = device.name().map_err(|e| q("CL_DEVICE_NAME", e))?;
    let ty: cl_device_type = device.dev_type().map_err(|e| q("CL_DEVICE_TYPE", e))?;
    let kind = if ty & CL_DEVICE_TYPE_GPU != 0 {
        DeviceKind::Gpu
    } else if ty & CL_DEVICE_TYPE_CPU != 0 {
        DeviceKind::Cpu
    } else {
        DeviceKind::Other
    };
    let extensions = device.extensions().unwrap_or_default();
    let supports_f64 = extensions.split_whitespace().any(|e| e == "cl_khr_fp64")
        || device.double_fp_config().unwrap_or(0) != 0;
    let correctly_rounded_f32_div_sqrt =
        device.single_fp_config().unwrap_or(0) & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT != 0;
    let usable =
        device.available().unwrap_or(false) && device.compiler_available().unwrap_or(false);
    Ok(DeviceInfo {
        platform_index,
        device_index,
        platform: platform.name().unwrap_or_default().trim().to_string(),
        platform_version: short_version(&platform.version().unwrap_or_default()),
        name: name.trim().to_string(),
        kind,
        supports_f64,
        correctly_rounded_f32_div_sqrt,
        usable,
        max_param_bytes: device
            .max_parameter_size()
            .map_err(|e| q("CL_DEVICE_MAX_PARAMETER_SIZE", e))?,
        max_work_group_size: device
            .max_work_group_size()
            .map_err(|e| q("CL_DEVICE_MAX_WORK_GROUP_SIZE", e))?,
        global_mem_bytes: device
            .global_mem_size()
            .map_err(|e| q("CL_DEVICE_GLOBAL_MEM_SIZE", e))?,
        max_alloc_bytes: device
            .max_mem_alloc_size()
            .map_err(|e| q("CL_DEVICE_MAX_MEM_ALLOC_SIZE", e))?,
    })
}

/// All devices of all platforms.
fn enumerate() -> DeviceResult<Vec<Found>> {
    let mut out = Vec::new();
    for (pi, platform) in platforms()?.iter().enumerate() {
        let ids = match platform.get_devices(CL_DEVICE_TYPE_ALL) {
            Ok(ids) => ids,
            // A platform without devices (or a broken one) is skipped.
            Err(_) => continue,
        };
        for (di, id) in ids.into_iter().enumerate() {
            let device = ClDevice::new(id);
            let info = describe(pi, di, platform, &device)?;
            out.push(Found { info, device });
        }
    }
    Ok(out)
}

/// All OpenCL devices of all platforms (for choosing a backend).
///
/// Errors: [`DeviceError::LibraryMissing`] when the ICD loader cannot be
/// loaded, [`DeviceError::NoDevice`] when no platform is installed. A
/// platform without devices gives an empty list.
pub fn list_devices() -> DeviceResult<Vec<DeviceInfo>> {
    guarded("listing OpenCL devices", || {
        Ok(enumerate()?.into_iter().map(|f| f.info).collect())
    })
}

/// A device allocation: an OpenCL buffer of bytes.
#[derive(Debug)]
pub struct OpenClBuffer {
    mem: Buffer<u8>,
    bytes: usize,
    live: Arc<AtomicUsize>,
}

impl OpenClBuffer {
    /// Size in bytes (at least 1).
    pub fn len(&self) -> usize {
        self.bytes
    }

    /// Always false: a buffer holds at least one byte.
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// The `cl_mem` handle.
    pub fn as_raw(&self) -> cl_mem {
        self.mem.get()
    }
}

impl Drop for OpenClBuffer {
    fn drop(&mut self) {
        self.live.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// A kernel of the compiled program.
struct KernelEntry {
    kernel: Kernel,
    num_args: u32,
}

/// The compiled program and its kernels.
struct Compiled {
    // Kernels before the program: dropped first.
    kernels: HashMap<String, KernelEntry>,
    _program: Program,
}

/// An OpenCL device with one context and one in-order command queue.
pub struct OpenClDevice {
    // Field order is drop order: kernels and program, the events of timed
    // launches, queue, then context.
    compiled: Mutex<Option<Compiled>>,
    timing: Mutex<timing::Timing>,
    queue: RwLock<CommandQueue>,
    context: Context,
    device: ClDevice,
    info: DeviceInfo,
    live_bytes: Arc<AtomicUsize>,
}

impl std::fmt::Debug for OpenClDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenClDevice")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl OpenClDevice {
    /// Opens the device `selection` picks: a context and an in-order queue.
    ///
    /// Errors: [`DeviceError::LibraryMissing`] (no `libOpenCL.so.1`),
    /// [`DeviceError::NoDevice`] (no platform, no matching device, or the
    /// context/queue could not be created).
    pub fn new(selection: DeviceSelection) -> DeviceResult<Self> {
        guarded("opening an OpenCL device", || Self::open(selection))
    }

    fn open(selection: DeviceSelection) -> DeviceResult<Self> {
        let all = enumerate()?;
        let listing = || {
            if all.is_empty() {
                "no devices".to_string()
            } else {
                all.iter()
                    .map(|f| {
                        format!(
                            "{}:{} {} ({:?}{})",
                            f.info.platform_index,
                            f.info.device_index,
                            f.info.name,
                            f.info.kind,
                            if f.info.usable { "" } else { ", unavailable" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        };
        let gpu = all
            .iter()
            .position(|f| f.info.usable && f.info.kind == DeviceKind::Gpu);
        let pick = match selection {
            DeviceSelection::AnyGpu => gpu.ok_or_else(|| {
                DeviceError::NoDevice(format!("no usable OpenCL GPU (found: {})", listing()))
            })?,
            DeviceSelection::Any => gpu
                .or_else(|| all.iter().position(|f| f.info.usable))
                .ok_or_else(|| {
                    DeviceError::NoDevice(format!("no usable OpenCL device (found: {})", listing()))
                })?,
            DeviceSelection::Index { platform, device } => {
                let i = all
                    .iter()
                    .position(|f| {
                        f.info.platform_index == platform && f.info.device_index == device
                    })
                    .ok_or_else(|| {
                        DeviceError::NoDevice(format!(
                            "no OpenCL device {platform}:{device} (found: {})",
                            listing()
                        ))
                    })?;
                if !all[i].info.usable {
                    return Err(DeviceError::NoDevice(format!(
                        "OpenCL device {platform}:{device} ({}) is not available or has no compiler",
                        all[i].info.name
                    )));
                }
                i
            }
        };
        let Found { info, device } = all.into_iter().nth(pick).expect("index from position");
        let fail = |what: &str, e: ClError| {
            DeviceError::NoDevice(format!(
                "{what} failed on {}: {}",
                info.description(),
                cl_text(e.0)
            ))
        };
        let context = Context::from_device(&device).map_err(|e| fail("clCreateContext", e))?;
        let queue =
            create_queue(&context, &device, false).map_err(|e| fail("clCreateCommandQueue", e))?;
        Ok(Self {
            compiled: Mutex::new(None),
            timing: Mutex::new(timing::Timing::default()),
            queue: RwLock::new(queue),
            context,
            device,
            info,
            live_bytes: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// What was found out about the device.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// Bytes currently allocated through this device.
    pub fn allocated_bytes(&self) -> usize {
        self.live_bytes.load(Ordering::Relaxed)
    }

    /// Names of the kernels of the compiled program, sorted.
    pub fn kernel_names(&self) -> Vec<String> {
        let guard = self.lock();
        let mut names: Vec<String> = guard
            .as_ref()
            .map(|c| c.kernels.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The compiler's name for [`DeviceError::Compile`].
    fn compiler(&self) -> String {
        format!(
            "OpenCL ({} {})",
            self.info.platform, self.info.platform_version
        )
    }

    fn lock(&self) -> MutexGuard<'_, Option<Compiled>> {
        self.compiled.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The command queue.
    fn queue(&self) -> RwLockReadGuard<'_, CommandQueue> {
        self.queue.read().unwrap_or_else(|p| p.into_inner())
    }

    fn timing(&self) -> MutexGuard<'_, timing::Timing> {
        self.timing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the queue by one with profiling, after the old one finished.
    fn enable_profiling(&self) -> DeviceResult<()> {
        self.synchronize()?;
        let queue =
            create_queue(&self.context, &self.device, true).map_err(|e| DeviceError::Failed {
                operation: "creating a profiling command queue".to_string(),
                reason: cl_text(e.0),
            })?;
        *self.queue.write().unwrap_or_else(|p| p.into_inner()) = queue;
        self.timing().profiling = true;
        Ok(())
    }

    /// Keeps the event of a launch of `kernel` when launches are timed,
    /// reading the pending ones when there are many.
    fn keep_event(&self, kernel: &str, ev: Event) -> DeviceResult<()> {
        let mut timing = self.timing();
        if timing.on && timing.push(kernel, ev) {
            drop(timing);
            self.synchronize()?;
            self.timing().resolve()?;
        }
        Ok(())
    }

    fn oom(&self, bytes: usize, reason: String) -> DeviceError {
        DeviceError::OutOfMemory {
            device: self.description(),
            bytes,
            what: String::new(),
            reason: format!(
                "{reason} ({} bytes already allocated through this device; \
                 CL_DEVICE_GLOBAL_MEM_SIZE {} bytes, CL_DEVICE_MAX_MEM_ALLOC_SIZE {} bytes)",
                self.allocated_bytes(),
                self.info.global_mem_bytes,
                self.info.max_alloc_bytes
            ),
        }
    }

    fn check_range(
        &self,
        operation: &str,
        buf: &OpenClBuffer,
        offset: usize,
        len: usize,
    ) -> DeviceResult<()> {
        match offset.checked_add(len) {
            Some(end) if end <= buf.bytes => Ok(()),
            _ => Err(DeviceError::Failed {
                operation: operation.to_string(),
                reason: format!(
                    "{len} bytes at offset {offset} exceed the buffer's {} bytes",
                    buf.bytes
                ),
            }),
        }
    }

    /// Enqueues a fill of `buf` with zeros.
    fn enqueue_zero(&self, buf: &OpenClBuffer) -> Result<(), cl_int> {
        let pattern: u8 = 0;
        // SAFETY: `buf.mem` is a live buffer of `buf.bytes` bytes in this
        // queue's context; the one-byte pattern is copied by the call.
        let ev = unsafe {
            cl3::command_queue::enqueue_fill_buffer(
                self.queue().get(),
                buf.mem.get(),
                (&raw const pattern).cast(),
                1,
                0,
                buf.bytes,
                0,
                ptr::null(),
            )
        }?;
        drop(Event::new(ev));
        Ok(())
    }
}

/// The first source line a build log reports an error at. PoCL writes
/// `error: /root/.cache/pocl/kcache/tempfile_ab12.cl:683:12: message` (and,
/// inside macro expansions, `error: FILE:672:1 <Spelling=FILE:468:17>: ...`,
/// giving the line of the macro's use), which
/// [`snn_gpu::device::first_error_line`] does not read; other logs
/// (clang's `FILE:LINE:COL: error: ...`) go to it.
fn error_line(log: &str) -> Option<usize> {
    for l in log.lines() {
        let Some(rest) = l.trim_start().strip_prefix("error: ") else {
            continue;
        };
        let parts: Vec<&str> = rest.split(':').collect();
        for i in 1..parts.len().saturating_sub(1) {
            let line = parts[i].parse::<usize>();
            let col_follows = parts[i + 1].starts_with(|c: char| c.is_ascii_digit());
            if let (Ok(n), true) = (line, col_follows) {
                return Some(n);
            }
        }
    }
    first_error_line(log)
}

/// Whether an OpenCL error code means an allocation failed.
fn is_alloc_failure(code: cl_int) -> bool {
    matches!(
        code,
        CL_MEM_OBJECT_ALLOCATION_FAILURE
            | CL_OUT_OF_RESOURCES
            | CL_OUT_OF_HOST_MEMORY
            | CL_INVALID_BUFFER_SIZE
    )
}

impl Device for OpenClDevice {
    type Buffer = OpenClBuffer;

    fn description(&self) -> String {
        self.info.description()
    }

    fn supports_f64(&self) -> bool {
        self.info.supports_f64
    }

    fn max_param_bytes(&self) -> usize {
        self.info.max_param_bytes
    }

    fn compile(&self, source: &str) -> DeviceResult<()> {
        let mut program = Program::create_from_source(&self.context, source).map_err(|e| {
            DeviceError::Failed {
                operation: "clCreateProgramWithSource".to_string(),
                reason: cl_text(e.0),
            }
        })?;
        if let Err(e) = program.build(&[self.device.id()], &build_options(&self.info)) {
            let log = program
                .get_build_log(self.device.id())
                .unwrap_or_else(|le| format!("(no build log: {})", cl_text(le.0)));
            let log = log.trim_end().to_string();
            let excerpt = error_line(&log)
                .map(|line| source_excerpt(source, line, 5))
                .unwrap_or_default();
            let log = if e.0 == CL_BUILD_PROGRAM_FAILURE {
                log
            } else {
                format!("clBuildProgram: {}\n{log}", cl_text(e.0))
            };
            return Err(DeviceError::Compile {
                compiler: self.compiler(),
                log,
                excerpt,
            });
        }
        let kernels =
            opencl3::kernel::create_program_kernels(&program).map_err(|e| DeviceError::Failed {
                operation: "clCreateKernelsInProgram".to_string(),
                reason: cl_text(e.0),
            })?;
        let mut map = HashMap::new();
        for kernel in kernels {
            let info = |what: &str, e: ClError| DeviceError::Failed {
                operation: format!("querying {what} of a kernel"),
                reason: cl_text(e.0),
            };
            let name = kernel
                .function_name()
                .map_err(|e| info("CL_KERNEL_FUNCTION_NAME", e))?;
            let num_args = kernel
                .num_args()
                .map_err(|e| info("CL_KERNEL_NUM_ARGS", e))?;
            map.insert(name, KernelEntry { kernel, num_args });
        }
        *self.lock() = Some(Compiled {
            kernels: map,
            _program: program,
        });
        Ok(())
    }

    /// Allocates and zero-fills `bytes` bytes, waiting for the fill so that
    /// a lazily allocating implementation reports a failure here.
    fn alloc_zeroed(&self, bytes: usize) -> DeviceResult<OpenClBuffer> {
        let size = bytes.max(1);
        if size as u64 > self.info.max_alloc_bytes {
            return Err(self.oom(
                bytes,
                "larger than the largest buffer the device allows".to_string(),
            ));
        }
        // SAFETY: no host pointer is passed (null with no USE/COPY_HOST flag);
        // `size` is at least 1 and within the device's allocation limit.
        let mem = unsafe {
            Buffer::<u8>::create(&self.context, CL_MEM_READ_WRITE, size, ptr::null_mut())
        }
        .map_err(|e| self.oom(bytes, format!("clCreateBuffer: {}", cl_text(e.0))))?;
        self.live_bytes.fetch_add(size, Ordering::Relaxed);
        let buf = OpenClBuffer {
            mem,
            bytes: size,
            live: Arc::clone(&self.live_bytes),
        };
        let filled = self
            .enqueue_zero(&buf)
            .and_then(|()| self.queue().finish().map_err(|e| e.0));
        match filled {
            Ok(()) => Ok(buf),
            Err(code) => {
                drop(buf);
                if is_alloc_failure(code) {
                    Err(self.oom(
                        bytes,
                        format!("zero-filling the new buffer: {}", cl_text(code)),
                    ))
                } else {
                    Err(DeviceError::Failed {
                        operation: format!("zero-filling a new buffer of {bytes} bytes"),
                        reason: cl_text(code),
                    })
                }
            }
        }
    }

    fn write(&self, buf: &OpenClBuffer, offset: usize, data: &[u8]) -> DeviceResult<()> {
        const OP: &str = "copy to device";
        self.check_range(OP, buf, offset, data.len())?;
        if data.is_empty() {
            return Ok(());
        }
        let blocking: cl_bool = CL_TRUE;
        // SAFETY: `check_range` proved `offset + data.len()` within the
        // buffer; the write is blocking, so `data` outlives the copy.
        let ev = unsafe {
            cl3::command_queue::enqueue_write_buffer(
                self.queue().get(),
                buf.mem.get(),
                blocking,
                offset,
                data.len(),
                data.as_ptr().cast(),
                0,
                ptr::null(),
            )
        }
        .map_err(|code| DeviceError::Failed {
            operation: OP.to_string(),
            reason: format!("{} bytes at offset {offset}: {}", data.len(), cl_text(code)),
        })?;
        drop(Event::new(ev));
        Ok(())
    }

    fn read(&self, buf: &OpenClBuffer, offset: usize, out: &mut [u8]) -> DeviceResult<()> {
        const OP: &str = "copy from device";
        self.check_range(OP, buf, offset, out.len())?;
        if out.is_empty() {
            return self.synchronize();
        }
        let blocking: cl_bool = CL_TRUE;
        let len = out.len();
        // SAFETY: `check_range` proved `offset + len` within the buffer; the
        // read is blocking, so `out` is written before it is used again.
        let ev = unsafe {
            cl3::command_queue::enqueue_read_buffer(
                self.queue().get(),
                buf.mem.get(),
                blocking,
                offset,
                len,
                out.as_mut_ptr().cast(),
                0,
                ptr::null(),
            )
        }
        .map_err(|code| DeviceError::Failed {
            operation: OP.to_string(),
            reason: format!("{len} bytes at offset {offset}: {}", cl_text(code)),
        })?;
        drop(Event::new(ev));
        Ok(())
    }

    fn zero(&self, buf: &OpenClBuffer) -> DeviceResult<()> {
        self.enqueue_zero(buf).map_err(|code| DeviceError::Failed {
            operation: format!("zeroing a buffer of {} bytes", buf.bytes),
            reason: cl_text(code),
        })
    }

    fn launch(
        &self,
        name: &str,
        dims: LaunchDims,
        args: &[Arg<'_, OpenClBuffer>],
    ) -> DeviceResult<()> {
        let fail = |reason: String| DeviceError::Failed {
            operation: format!("launch of {name}"),
            reason,
        };
        let guard = self.lock();
        let compiled = guard
            .as_ref()
            .ok_or_else(|| fail("no program has been compiled".to_string()))?;
        let entry = compiled.kernels.get(name).ok_or_else(|| {
            let mut names: Vec<&str> = compiled.kernels.keys().map(String::as_str).collect();
            names.sort_unstable();
            fail(format!(
                "the program has no kernel named {name} (it has: {})",
                names.join(", ")
            ))
        })?;
        if args.len() != entry.num_args as usize {
            return Err(fail(format!(
                "{} arguments given, the kernel takes {}",
                args.len(),
                entry.num_args
            )));
        }
        if dims.blocks == 0 || dims.threads == 0 {
            return Err(fail(format!(
                "empty launch ({} blocks of {} threads)",
                dims.blocks, dims.threads
            )));
        }
        let kernel = &entry.kernel;
        for (i, arg) in args.iter().enumerate() {
            let index = i as u32;
            // SAFETY: each argument is a plain value of the size OpenCL reads
            // for it, or a live buffer handle; OpenCL copies the value, and
            // a wrong index or size is reported as an error, not UB.
            let (kind, r) = unsafe {
                match arg {
                    Arg::Buffer(b) => ("buffer", kernel.set_arg(index, &b.mem.get())),
                    Arg::U32(v) => ("u32", kernel.set_arg(index, v)),
                    Arg::U64(v) => ("u64", kernel.set_arg(index, v)),
                    Arg::F32(v) => ("f32", kernel.set_arg(index, v)),
                    Arg::F64(v) => ("f64", kernel.set_arg(index, v)),
                }
            };
            r.map_err(|e| fail(format!("setting argument {i} ({kind}): {}", cl_text(e.0))))?;
        }
        let local = dims.threads as usize;
        let global = dims.blocks as usize * local;
        // SAFETY: the kernel's arguments were all set above; the work sizes
        // are one-dimensional values that outlive the call, no events waited.
        let ev = unsafe {
            self.queue().enqueue_nd_range_kernel(
                kernel.get(),
                1,
                ptr::null(),
                &raw const global,
                &raw const local,
                &[],
            )
        };
        match ev {
            Ok(ev) => self.keep_event(name, ev),
            Err(e) if e.0 == CL_INVALID_WORK_GROUP_SIZE => {
                let kernel_max: Option<usize> = cl3::kernel::get_kernel_work_group_info(
                    kernel.get(),
                    self.device.id(),
                    CL_KERNEL_WORK_GROUP_SIZE,
                )
                .ok()
                .map(Into::into);
                Err(fail(format!(
                    "{} with {local} work-items per group (kernel's CL_KERNEL_WORK_GROUP_SIZE {}, \
                     device's maximum {})",
                    cl_text(e.0),
                    kernel_max.map_or("unknown".to_string(), |m| m.to_string()),
                    self.info.max_work_group_size
                )))
            }
            Err(e) => Err(fail(format!(
                "{} ({} work-groups of {local} work-items)",
                cl_text(e.0),
                dims.blocks
            ))),
        }
    }

    fn synchronize(&self) -> DeviceResult<()> {
        self.queue().finish().map_err(|e| DeviceError::Failed {
            operation: "synchronize (clFinish)".to_string(),
            reason: cl_text(e.0),
        })
    }

    fn set_timing(&self, on: bool) -> DeviceResult<bool> {
        if on && !self.timing().profiling {
            self.enable_profiling()?;
        }
        self.timing().on = on;
        Ok(true)
    }

    fn kernel_times(&self) -> DeviceResult<Vec<KernelTime>> {
        self.synchronize()?;
        let mut timing = self.timing();
        timing.resolve()?;
        Ok(timing.sums.take())
    }
}

/// An in-order command queue (no `CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE`)
/// on `device`, with `CL_QUEUE_PROFILING_ENABLE` when `profiling`.
fn create_queue(
    context: &Context,
    device: &ClDevice,
    profiling: bool,
) -> Result<CommandQueue, ClError> {
    let properties = if profiling {
        CL_QUEUE_PROFILING_ENABLE
    } else {
        0
    };
    #[allow(deprecated)]
    // SAFETY: `device` is a device of `context` (the context was made from
    // it) and the properties are valid; the queue keeps the context alive
    // by reference count.
    unsafe {
        CommandQueue::create(context, device.id(), properties)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_and_buffers_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<OpenClDevice>();
        check::<OpenClBuffer>();
    }

    #[test]
    fn short_version_cuts_pocl_details() {
        assert_eq!(
            short_version(
                "OpenCL 3.0 PoCL 3.1+debian  Linux, None+Asserts, RELOC, SPIR, LLVM 15.0.6"
            ),
            "OpenCL 3.0 PoCL 3.1+debian"
        );
        assert_eq!(
            short_version("OpenCL 3.0 CUDA 12.4.131"),
            "OpenCL 3.0 CUDA 12.4.131"
        );
    }

    #[test]
    fn reads_pocl_and_clang_error_lines() {
        let pocl = "warning: /tmp/k.cl:3:1: unused\n\
                    error: /root/.cache/pocl/kcache/tempfile_rlELX7.cl:683:12: use of undeclared identifier 'x'\n\
                    Device pthread failed to build the program";
        assert_eq!(error_line(pocl), Some(683));
        let macro_use = "error: /root/.cache/pocl/kcache/t.cl:672:1 \
                         <Spelling=/root/.cache/pocl/kcache/t.cl:468:17>: expected '('";
        assert_eq!(error_line(macro_use), Some(672));
        assert_eq!(error_line("<kernel>:7:3: error: expected ';'"), Some(7));
        assert_eq!(error_line("Device failed to build the program"), None);
    }

    #[test]
    fn error_texts_name_the_code() {
        assert_eq!(
            cl_text(CL_BUILD_PROGRAM_FAILURE),
            "CL_BUILD_PROGRAM_FAILURE (-11)"
        );
        assert!(is_alloc_failure(CL_MEM_OBJECT_ALLOCATION_FAILURE));
        let e = library_missing("libOpenCL.so.1: cannot open shared object file");
        let text = e.to_string();
        assert!(text.contains("libOpenCL.so.1"), "{text}");
        assert!(matches!(e, DeviceError::LibraryMissing { .. }));
    }
}
