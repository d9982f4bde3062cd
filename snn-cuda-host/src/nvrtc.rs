//! NVRTC, opened by this crate: finding the library, compiling to PTX, and
//! the on-disk PTX cache.
//!
//! cudarc's own NVRTC loader tries only bare library names, derived from
//! the CUDA version it was built for (`libnvrtc.so`, `libnvrtc.so.12`, ...
//! but not `libnvrtc.so.13`), cannot be pointed at a folder, and panics when
//! none opens. The dozen NVRTC functions used here are therefore bound
//! directly with libloading, from the places listed in the crate docs.

use std::ffi::{c_char, c_int, c_void, CStr, CString, OsString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use snn_gpu::device::{first_error_line, source_excerpt, DeviceError, DeviceResult};

use crate::cache::{cache_dir, non_empty_env, ptx_cache_dir, Fnv128};

/// The options every program is compiled with, besides the architecture:
/// no fused multiply-add (results match the CPU backend's), C++14.
pub const NVRTC_OPTIONS: [&str; 2] = ["--fmad=false", "-std=c++14"];

/// The name NVRTC gives the program in its log (`snn_kernels.cu(12): error ...`).
const PROGRAM_NAME: &CStr = c"snn_kernels.cu";

/// Version of the cache key layout; bump when what a key covers changes.
const CACHE_FORMAT: &str = "snn-ptx-1";

const NVRTC_SUCCESS: c_int = 0;
const NVRTC_ERROR_INVALID_OPTION: c_int = 5;
const NVRTC_ERROR_COMPILATION: c_int = 6;

type Program = *mut c_void;
type VersionFn = unsafe extern "C" fn(*mut c_int, *mut c_int) -> c_int;
type ErrorStringFn = unsafe extern "C" fn(c_int) -> *const c_char;
type CreateFn = unsafe extern "C" fn(
    *mut Program,
    *const c_char,
    *const c_char,
    c_int,
    *const *const c_char,
    *const *const c_char,
) -> c_int;
type CompileFn = unsafe extern "C" fn(Program, c_int, *const *const c_char) -> c_int;
type SizeFn = unsafe extern "C" fn(Program, *mut usize) -> c_int;
type GetFn = unsafe extern "C" fn(Program, *mut c_char) -> c_int;
type DestroyFn = unsafe extern "C" fn(*mut Program) -> c_int;
type NumArchsFn = unsafe extern "C" fn(*mut c_int) -> c_int;
type ArchsFn = unsafe extern "C" fn(*mut c_int) -> c_int;

/// The opened NVRTC. Lives in a static and is never dropped, so the function
/// pointers stay valid.
struct Nvrtc {
    _lib: libloading::Library,
    _builtins: Option<libloading::Library>,
    path: String,
    version: (i32, i32),
    archs: Vec<u32>,
    error_string: ErrorStringFn,
    create: CreateFn,
    compile: CompileFn,
    log_size: SizeFn,
    log: GetFn,
    ptx_size: SizeFn,
    ptx: GetFn,
    destroy: DestroyFn,
}

static NVRTC: OnceLock<Result<Nvrtc, DeviceError>> = OnceLock::new();

fn nvrtc() -> DeviceResult<&'static Nvrtc> {
    NVRTC.get_or_init(load).as_ref().map_err(Clone::clone)
}

/// The NVRTC version, `(major, minor)`; loads NVRTC on first use.
pub fn nvrtc_version() -> DeviceResult<(i32, i32)> {
    Ok(nvrtc()?.version)
}

/// The NVRTC library in use (a path, or the name the dynamic loader
/// resolved when its path cannot be told).
pub fn nvrtc_library_path() -> DeviceResult<String> {
    Ok(nvrtc()?.path.clone())
}

/// The real architectures NVRTC can compile for (`[75, 80, 86, 89, 90, ...]`);
/// empty when this NVRTC cannot tell (older than 11.2).
pub fn nvrtc_supported_archs() -> DeviceResult<Vec<u32>> {
    Ok(nvrtc()?.archs.clone())
}

/// PTX compiled by [`compile_ptx_in`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledPtx {
    /// The PTX text.
    pub ptx: String,
    /// The architecture it was compiled for (`compute_80`): the requested
    /// one, or the newest NVRTC supports when the requested one is newer.
    pub arch: String,
    /// Whether it came from the cache (no compilation).
    pub from_cache: bool,
    /// The cache file (read or written), when a cache folder was given and
    /// could be written.
    pub cache_file: Option<PathBuf>,
}

/// Compiles `source` (a complete CUDA program) to PTX for `arch` (`sm_80`,
/// `compute_90`, `sm_90a`), caching in [`ptx_cache_dir`]. Needs NVRTC only:
/// no driver, no GPU. See [`compile_ptx_in`].
pub fn compile_ptx(source: &str, arch: &str) -> DeviceResult<String> {
    compile_ptx_in(source, arch, ptx_cache_dir().as_deref()).map(|c| c.ptx)
}

/// Compiles `source` to PTX for `arch` with [`NVRTC_OPTIONS`], using
/// `cache` (a folder; `None`: no cache) for results keyed by a 128-bit
/// FNV-1a hash of the source, the architecture, the options and the NVRTC
/// version.
///
/// PTX is compiled for the virtual architecture (`compute_XY`; the PTX
/// declares `.target sm_XY`), which the driver turns into machine code when
/// it loads it. When `arch` is newer than any this NVRTC supports, the newest
/// supported one is used instead (the driver compiles older PTX for newer
/// GPUs); an architecture older than all supported ones is an error.
///
/// Errors: [`DeviceError::LibraryMissing`] when NVRTC cannot be opened,
/// [`DeviceError::Compile`] (with NVRTC's log and the source lines around
/// the first error) when the source or the architecture is rejected. Cache
/// read or write failures only mean compiling again.
pub fn compile_ptx_in(source: &str, arch: &str, cache: Option<&Path>) -> DeviceResult<CompiledPtx> {
    let nv = nvrtc()?;
    let arch = nv.resolve_arch(arch)?;
    let arch_opt = format!("--gpu-architecture={arch}");
    let cache_file = cache.map(|dir| {
        let mut h = Fnv128::new();
        h.field(CACHE_FORMAT.as_bytes())
            .field(format!("{}.{}", nv.version.0, nv.version.1).as_bytes())
            .field(arch_opt.as_bytes());
        for o in NVRTC_OPTIONS {
            h.field(o.as_bytes());
        }
        h.field(source.as_bytes());
        dir.join(format!("{}.ptx", h.hex()))
    });
    if let Some(file) = &cache_file {
        if let Ok(ptx) = std::fs::read_to_string(file) {
            if ptx.contains(".entry") || ptx.contains(".version") {
                return Ok(CompiledPtx {
                    ptx,
                    arch,
                    from_cache: true,
                    cache_file: cache_file.clone(),
                });
            }
        }
    }
    let mut options: Vec<&str> = vec![&arch_opt];
    options.extend(NVRTC_OPTIONS);
    let ptx = nv.compile_to_ptx(source, &options)?;
    let cache_file = cache_file.filter(|file| write_atomically(file, &ptx).is_ok());
    Ok(CompiledPtx {
        ptx,
        arch,
        from_cache: false,
        cache_file,
    })
}

/// Writes `text` to a temporary file beside `file`, then renames it, so a
/// reader never sees a partial file (several processes may compile at once).
fn write_atomically(file: &Path, text: &str) -> std::io::Result<()> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".tmp-{}-{n}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// A failed compilation, and whether other options might do.
enum Retry {
    /// NVRTC rejected an option.
    InvalidOption(DeviceError),
    /// Anything else.
    Error(DeviceError),
}

/// Destroys an NVRTC program when dropped.
struct ProgramGuard<'a> {
    nv: &'a Nvrtc,
    prog: Program,
}

impl Drop for ProgramGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: `prog` was created by nvrtcCreateProgram and is destroyed once.
        unsafe { (self.nv.destroy)(&mut self.prog) };
    }
}

impl Nvrtc {
    fn compiler_name(&self) -> String {
        format!("NVRTC {}.{}", self.version.0, self.version.1)
    }

    fn error_text(&self, code: c_int) -> String {
        // SAFETY: nvrtcGetErrorString returns a static string (or null).
        let p = unsafe { (self.error_string)(code) };
        if p.is_null() {
            format!("NVRTC error {code}")
        } else {
            // SAFETY: non-null, NUL-terminated, static.
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        }
    }

    fn compile_error(&self, log: String, source: &str) -> DeviceError {
        let excerpt = first_error_line(&log)
            .map(|line| source_excerpt(source, line, 5))
            .unwrap_or_default();
        DeviceError::Compile {
            compiler: self.compiler_name(),
            log,
            excerpt,
        }
    }

    /// `arch` as NVRTC's `compute_XY` (suffix kept), falling back to the
    /// newest supported architecture when `arch` is newer.
    fn resolve_arch(&self, arch: &str) -> DeviceResult<String> {
        let bad = |why: String| DeviceError::Compile {
            compiler: self.compiler_name(),
            log: why,
            excerpt: String::new(),
        };
        let digits = arch
            .strip_prefix("sm_")
            .or_else(|| arch.strip_prefix("compute_"))
            .ok_or_else(|| {
                bad(format!(
                    "unknown architecture `{arch}` (expected sm_XY or compute_XY)"
                ))
            })?;
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        let (num, suffix) = digits.split_at(end);
        let num: u32 = num.parse().map_err(|_| {
            bad(format!(
                "unknown architecture `{arch}` (expected sm_XY or compute_XY)"
            ))
        })?;
        if !suffix.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(bad(format!("unknown architecture `{arch}`")));
        }
        let (Some(&lo), Some(&hi)) = (self.archs.first(), self.archs.last()) else {
            return Ok(format!("compute_{num}{suffix}"));
        };
        if num > hi {
            // Newer GPU than this NVRTC knows: PTX for the newest known
            // architecture, which the driver JIT-compiles for the GPU.
            return Ok(format!("compute_{hi}"));
        }
        if num < lo {
            return Err(bad(format!(
                "{} cannot compile for sm_{num}: it supports sm_{lo} to sm_{hi}",
                self.compiler_name()
            )));
        }
        // Inside the range but not listed (e.g. sm_81): the nearest older one.
        let best = self
            .archs
            .iter()
            .copied()
            .filter(|&a| a <= num)
            .max()
            .unwrap_or(lo);
        if best == num {
            Ok(format!("compute_{num}{suffix}"))
        } else {
            Ok(format!("compute_{best}"))
        }
    }

    /// Compiles with `options`; should NVRTC reject them and they include a
    /// `-std=` option (a future NVRTC may drop C++14), retries once with its
    /// default dialect.
    fn compile_to_ptx(&self, source: &str, options: &[&str]) -> DeviceResult<String> {
        match self.compile_once(source, options) {
            Err(Retry::InvalidOption(first)) if options.iter().any(|o| o.starts_with("-std=")) => {
                let fewer: Vec<&str> = options
                    .iter()
                    .copied()
                    .filter(|o| !o.starts_with("-std="))
                    .collect();
                self.compile_once(source, &fewer).map_err(|r| match r {
                    Retry::InvalidOption(_) => first,
                    Retry::Error(e) => e,
                })
            }
            Err(Retry::InvalidOption(e)) | Err(Retry::Error(e)) => Err(e),
            Ok(ptx) => Ok(ptx),
        }
    }

    fn compile_once(&self, source: &str, options: &[&str]) -> Result<String, Retry> {
        let src = CString::new(source).map_err(|e| {
            Retry::Error(DeviceError::Compile {
                compiler: self.compiler_name(),
                log: format!(
                    "the source contains a NUL byte at offset {}",
                    e.nul_position()
                ),
                excerpt: String::new(),
            })
        })?;
        let mut prog: Program = std::ptr::null_mut();
        // SAFETY: valid NUL-terminated strings, no headers.
        let rc = unsafe {
            (self.create)(
                &mut prog,
                src.as_ptr(),
                PROGRAM_NAME.as_ptr(),
                0,
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        if rc != NVRTC_SUCCESS {
            return Err(Retry::Error(DeviceError::Failed {
                operation: format!("{}: creating a program", self.compiler_name()),
                reason: self.error_text(rc),
            }));
        }
        let guard = ProgramGuard { nv: self, prog };
        let c_opts: Vec<CString> = options
            .iter()
            .map(|o| CString::new(*o).expect("NVRTC options contain no NUL"))
            .collect();
        let ptrs: Vec<*const c_char> = c_opts.iter().map(|o| o.as_ptr()).collect();
        // SAFETY: `prog` is live; `ptrs` points at `c_opts`, alive here.
        let rc = unsafe { (self.compile)(guard.prog, ptrs.len() as c_int, ptrs.as_ptr()) };
        let log = self
            .read_string(guard.prog, self.log_size, self.log)
            .unwrap_or_default();
        if rc != NVRTC_SUCCESS {
            let log = if rc == NVRTC_ERROR_COMPILATION {
                log
            } else {
                format!(
                    "{} (options: {})\n{log}",
                    self.error_text(rc),
                    options.join(" ")
                )
            };
            let e = self.compile_error(log, source);
            return Err(if rc == NVRTC_ERROR_INVALID_OPTION {
                Retry::InvalidOption(e)
            } else {
                Retry::Error(e)
            });
        }
        self.read_string(guard.prog, self.ptx_size, self.ptx)
            .map_err(|reason| {
                Retry::Error(DeviceError::Failed {
                    operation: format!("{}: reading the PTX", self.compiler_name()),
                    reason,
                })
            })
    }

    /// Reads the log or the PTX of `prog` (a size query, then the text).
    fn read_string(&self, prog: Program, size: SizeFn, get: GetFn) -> Result<String, String> {
        let mut n = 0usize;
        // SAFETY: `prog` is live.
        let rc = unsafe { size(prog, &mut n) };
        if rc != NVRTC_SUCCESS {
            return Err(self.error_text(rc));
        }
        let mut buf = vec![0u8; n.max(1)];
        // SAFETY: `buf` holds the `n` bytes NVRTC reported.
        let rc = unsafe { get(prog, buf.as_mut_ptr().cast()) };
        if rc != NVRTC_SUCCESS {
            return Err(self.error_text(rc));
        }
        while buf.last() == Some(&0) {
            buf.pop();
        }
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
}

/// One place NVRTC may be: a path (tried only if the file exists) or a bare
/// name for the dynamic loader.
struct Candidate {
    target: OsString,
    is_path: bool,
}

fn candidates() -> Vec<Candidate> {
    let path = |p: PathBuf| Candidate {
        target: p.into_os_string(),
        is_path: true,
    };
    if let Some(lib) = std::env::var_os("SNN_NVRTC_LIB").filter(|v| !v.is_empty()) {
        return vec![path(PathBuf::from(lib))];
    }
    let names: &[&str] = if cfg!(windows) {
        &[
            "nvrtc64_130_0.dll",
            "nvrtc64_120_0.dll",
            "nvrtc64_112_0.dll",
        ]
    } else if cfg!(target_os = "macos") {
        &["libnvrtc.dylib"]
    } else {
        &[
            "libnvrtc.so",
            "libnvrtc.so.13",
            "libnvrtc.so.12",
            "libnvrtc.so.11.2",
        ]
    };
    let mut out: Vec<Candidate> = names
        .iter()
        .map(|n| Candidate {
            target: OsString::from(n),
            is_path: false,
        })
        .collect();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for var in ["CUDA_HOME", "CUDA_PATH"] {
        if let Some(d) = non_empty_env(var) {
            dirs.push(PathBuf::from(&d).join("lib64"));
            dirs.push(PathBuf::from(&d).join("bin"));
        }
    }
    dirs.push(PathBuf::from("/usr/local/cuda/lib64"));
    dirs.push(cache_dir().join("nvrtc").join("lib"));
    for d in dirs {
        for n in names {
            out.push(path(d.join(n)));
        }
    }
    out
}

/// Opens NVRTC from the first candidate that opens and has the functions.
fn load() -> Result<Nvrtc, DeviceError> {
    let mut tried: Vec<String> = Vec::new();
    let mut messages: Vec<String> = Vec::new();
    for c in candidates() {
        let shown = c.target.to_string_lossy().into_owned();
        if c.is_path && !Path::new(&c.target).is_file() {
            tried.push(format!("{shown} (absent)"));
            continue;
        }
        tried.push(shown.clone());
        // SAFETY: opening NVRTC runs its initialisers, which have no
        // preconditions.
        let lib = match unsafe { libloading::Library::new(&c.target) } {
            Ok(lib) => lib,
            Err(e) => {
                let msg = e.to_string();
                if c.is_path || !msg.contains("No such file") {
                    messages.push(msg);
                }
                continue;
            }
        };
        match bind(lib, &shown, c.is_path) {
            Ok(nv) => return Ok(nv),
            Err(msg) => messages.push(format!("{shown}: {msg}")),
        }
    }
    let mut reason = format!(
        "tried {}. Install it with scripts/install-nvrtc.sh (unpacks the \
         nvidia-cuda-nvrtc-cu12 wheel into {}), or set SNN_NVRTC_LIB to the library file",
        tried.join(", "),
        cache_dir().join("nvrtc").join("lib").display()
    );
    if !messages.is_empty() {
        reason.push_str(&format!(" (loader: {})", messages.join("; ")));
    }
    Err(DeviceError::LibraryMissing {
        library: "NVRTC (libnvrtc.so)".to_string(),
        reason,
    })
}

/// Looks up the functions of an opened NVRTC and queries its version.
fn bind(lib: libloading::Library, shown: &str, by_path: bool) -> Result<Nvrtc, String> {
    // SAFETY (all `sym` calls): the types match the NVRTC C API.
    unsafe fn sym<T: Copy>(lib: &libloading::Library, name: &str) -> Result<T, String> {
        lib.get::<T>(name.as_bytes())
            .map(|s| *s)
            .map_err(|e| format!("missing {name}: {e}"))
    }
    unsafe {
        let version: VersionFn = sym(&lib, "nvrtcVersion")?;
        let error_string: ErrorStringFn = sym(&lib, "nvrtcGetErrorString")?;
        let create: CreateFn = sym(&lib, "nvrtcCreateProgram")?;
        let compile: CompileFn = sym(&lib, "nvrtcCompileProgram")?;
        let log_size: SizeFn = sym(&lib, "nvrtcGetProgramLogSize")?;
        let log: GetFn = sym(&lib, "nvrtcGetProgramLog")?;
        let ptx_size: SizeFn = sym(&lib, "nvrtcGetPTXSize")?;
        let ptx: GetFn = sym(&lib, "nvrtcGetPTX")?;
        let destroy: DestroyFn = sym(&lib, "nvrtcDestroyProgram")?;
        let (mut major, mut minor) = (0, 0);
        let rc = version(&mut major, &mut minor);
        if rc != NVRTC_SUCCESS {
            return Err(format!("nvrtcVersion failed ({rc})"));
        }
        let mut archs = Vec::new();
        if let (Ok(num), Ok(get)) = (
            sym::<NumArchsFn>(&lib, "nvrtcGetNumSupportedArchs"),
            sym::<ArchsFn>(&lib, "nvrtcGetSupportedArchs"),
        ) {
            let mut n: c_int = 0;
            if num(&mut n) == NVRTC_SUCCESS && n > 0 {
                let mut v = vec![0 as c_int; n as usize];
                if get(v.as_mut_ptr()) == NVRTC_SUCCESS {
                    archs = v
                        .into_iter()
                        .filter_map(|a| u32::try_from(a).ok())
                        .collect();
                    archs.sort_unstable();
                    archs.dedup();
                }
            }
        }
        let path = if by_path {
            shown.to_string()
        } else {
            loaded_path(version as *const c_void).unwrap_or_else(|| shown.to_string())
        };
        // libnvrtc opens libnvrtc-builtins.so.<major>.<minor> when it compiles;
        // opening it here by path makes that find this copy whatever
        // libnvrtc's own search path is (a loaded library matches by soname).
        let name = if cfg!(windows) {
            format!("nvrtc-builtins64_{major}{minor}.dll")
        } else {
            format!("libnvrtc-builtins.so.{major}.{minor}")
        };
        // Beside the path as given, then beside the file a symlink names.
        let dirs = [
            Path::new(&path).parent().map(Path::to_path_buf),
            std::fs::canonicalize(&path)
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf)),
        ];
        let builtins = dirs
            .iter()
            .flatten()
            .map(|dir| dir.join(&name))
            .find(|file| file.is_file())
            .and_then(|file| libloading::Library::new(file).ok());
        Ok(Nvrtc {
            _lib: lib,
            _builtins: builtins,
            path,
            version: (major, minor),
            archs,
            error_string,
            create,
            compile,
            log_size,
            log,
            ptx_size,
            ptx,
            destroy,
        })
    }
}

/// The file a loaded function comes from (`dladdr`), on Linux.
#[cfg(target_os = "linux")]
fn loaded_path(addr: *const c_void) -> Option<String> {
    #[repr(C)]
    struct DlInfo {
        dli_fname: *const c_char,
        dli_fbase: *mut c_void,
        dli_sname: *const c_char,
        dli_saddr: *mut c_void,
    }
    #[link(name = "dl")]
    extern "C" {
        fn dladdr(addr: *const c_void, info: *mut DlInfo) -> c_int;
    }
    let mut info = std::mem::MaybeUninit::<DlInfo>::uninit();
    // SAFETY: dladdr only fills `info`.
    unsafe {
        if dladdr(addr, info.as_mut_ptr()) == 0 {
            return None;
        }
        let info = info.assume_init();
        if info.dli_fname.is_null() {
            return None;
        }
        let name = CStr::from_ptr(info.dli_fname)
            .to_string_lossy()
            .into_owned();
        std::fs::canonicalize(&name)
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
            .or(Some(name))
    }
}

/// The file a loaded function comes from: not known off Linux.
#[cfg(not(target_os = "linux"))]
fn loaded_path(_addr: *const c_void) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NVRTC, or `None` (with a loud message) when it cannot be opened and
    /// `SNN_REQUIRE_NVRTC` is not `1`.
    fn nvrtc_or_skip() -> Option<&'static Nvrtc> {
        match nvrtc() {
            Ok(nv) => Some(nv),
            Err(e) if std::env::var("SNN_REQUIRE_NVRTC").is_ok_and(|v| v == "1") => {
                panic!("SNN_REQUIRE_NVRTC=1 but NVRTC cannot be used: {e}")
            }
            Err(e) => {
                use std::io::Write;
                let _ = writeln!(std::io::stderr(), "SKIPPED: NVRTC not found ({e})");
                None
            }
        }
    }

    const SRC: &str = "extern \"C\" __global__ void k(float* x) { x[threadIdx.x] = 1.0f; }\n";

    #[test]
    fn rejected_dialect_option_is_retried_without_it() {
        let Some(nv) = nvrtc_or_skip() else { return };
        let opts = ["--gpu-architecture=compute_80", "-std=c++99"];
        assert!(matches!(
            nv.compile_once(SRC, &opts),
            Err(Retry::InvalidOption(_))
        ));
        let ptx = nv
            .compile_to_ptx(SRC, &["--gpu-architecture=compute_80", "-std=c++99"])
            .expect("retried without -std");
        assert!(ptx.contains(".entry k("), "{ptx}");
    }

    #[test]
    fn other_rejected_options_are_reported() {
        let Some(nv) = nvrtc_or_skip() else { return };
        match nv.compile_to_ptx(SRC, &["--gpu-architecture=compute_80", "--no-such-option"]) {
            Err(DeviceError::Compile { log, .. }) => {
                assert!(log.contains("--no-such-option"), "{log}")
            }
            other => panic!("expected a compile error, got {other:?}"),
        }
    }

    #[test]
    fn architectures_resolve() {
        let Some(nv) = nvrtc_or_skip() else { return };
        assert_eq!(nv.resolve_arch("sm_80").unwrap(), "compute_80");
        assert_eq!(nv.resolve_arch("compute_90").unwrap(), "compute_90");
        if nv.archs.contains(&90) {
            assert_eq!(nv.resolve_arch("sm_90a").unwrap(), "compute_90a");
        }
        assert!(nv.resolve_arch("sm_").is_err());
        assert!(nv.resolve_arch("sm_8X").is_err());
    }
}
