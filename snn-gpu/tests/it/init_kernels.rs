//! Device-side initialisation (`snn_gpu::init_kernels`) gives what the
//! host gives: `VarInit::fill` (as `InitialState` applies it),
//! `Connectivity::build`, and `InitialState::new` for whole networks, in
//! `f32` and `f64`, with rows longer than a work-group and empty rows.
//!
//! Every check runs on two devices:
//!
//! - **host C** (`HostC` below): the init program, assembled exactly as for
//!   CUDA, built with the system C compiler (`-ffp-contract=off
//!   -fno-fast-math`, the dialect macros defined for a sequential launch)
//!   and called through `dlopen`: this checks the kernels' algorithms,
//!   streams and conversions exactly.
//! - **OpenCL** (PoCL in CI): the same, in OpenCL C.
//!
//! On both everything must be **bit-identical** to the host: connectivity
//! of every rule, constants, explicit values, uniform, normal, exponential,
//! gamma (of every shape), binomial and Poisson draws, and snippets, since
//! the draws' `ln`/`exp`/`cos`/`powf` are `snn_core::math`'s everywhere.
//! (PoCL 3.1's own math library is not glibc's: for the same argument its
//! `log`, `cos`, `exp`, `pow` differ by 1 ulp in 1.5 % to 25 % of uniform
//! inputs, as `device_math_differs_from_glibc` prints; that is why the
//! draws use none of them.)
//!
//! Without an OpenCL device the OpenCL tests print `SKIPPED: ...` and pass,
//! unless `SNN_REQUIRE_OPENCL=1`; the host-C tests need a C compiler
//! (`$CC` or `cc`, and `$CXX` or `c++` for the C++ syntax check). The
//! OpenCL device is a minimal one over `libOpenCL.so.1` (module `cl`), since
//! `snn-kernels` cannot depend on `snn-opencl-host` without a dev-dependency.

use snn_opencl_host::{DeviceSelection, OpenClDevice};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::Write as _;
use std::process::Command;

use snn_core::builtin::{Lif, PoissonExp, StaticPulse, StaticPulseDendriticDelay};
use snn_core::connectivity::{Connectivity, SparseConnectivity};
use snn_core::init::VarInit;
use snn_core::initial::InitialState;
use snn_core::ir::IrType;
use snn_core::model::FieldKind;
use snn_core::network::Network;
use snn_core::rng::RngStream;
use snn_core::var::VarArray;
use snn_core::{
    connectivity_snippet, neuron_model, postsynaptic_model, var_init_snippet, weight_update_model,
    Precision,
};
use snn_gpu::device::{Arg, Device, DeviceError, DeviceResult, LaunchDims};
use snn_gpu::init_kernels::{
    host_var_values, init_on_device, storage_bytes, ConnBuffers, ConnectivityKernel, InitError,
    InitProgram, Layout, NoSnippetCode, RaggedRows, Shape, SnippetCodes, SnippetSource, Target,
    META_WORDS,
};
use snn_kernels::dialect::{program, Dialect, CUDA_PRELUDE};

// ---------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------

/// value = start + step * element
#[var_init_snippet]
pub struct Ramp {
    #[param]
    pub start: Scalar,
    #[param]
    pub step: Scalar,
}

#[var_init_snippet]
impl Ramp {
    fn init(&self, env: &mut InitEnv) -> Scalar {
        self.start + self.step * env.id() as Scalar
    }
}

/// Several draws, a derived parameter and an early return.
#[var_init_snippet]
pub struct Mixed {
    #[param(positive)]
    pub a: Scalar,
    #[derived(a * 2.0)]
    twice: Scalar,
}

#[var_init_snippet]
impl Mixed {
    fn init(&self, env: &mut InitEnv) -> Scalar {
        let z = env.rand_normal();
        let g = env.rand_gamma(self.a);
        let k = env.rand_binomial(10, 0.3) as Scalar;
        if z > 0.0 {
            return self.twice * z + g;
        }
        let u = env.rand_uniform();
        k - g * u + env.rand_exponential()
    }
}

/// Neuron i projects to its `k` successors on a ring.
#[connectivity_snippet(max_row_length = k as u32)]
pub struct RingSuccessors {
    #[param(positive)]
    pub k: Scalar,
}

#[connectivity_snippet]
impl RingSuccessors {
    fn row_build(&self, env: &mut RowBuildEnv) {
        let n = env.num_post();
        for j in 1..=(self.k as u32) {
            env.add_synapse((env.id_pre() + j) % n);
        }
    }
}

/// Like `RingSuccessors`, but claims rows of at most one synapse.
#[connectivity_snippet(max_row_length = 1)]
pub struct LyingRing {
    #[param(positive)]
    pub k: Scalar,
}

#[connectivity_snippet]
impl LyingRing {
    fn row_build(&self, env: &mut RowBuildEnv) {
        let n = env.num_post();
        for j in 1..=(self.k as u32) {
            env.add_synapse((env.id_pre() * 7 + j * 13) % n);
        }
    }
}

/// Fixed probability by geometric skipping, written as a snippet (unsorted
/// rows: built backwards).
#[connectivity_snippet(max_row_length = num_post)]
pub struct Bernoulli {
    #[param]
    pub p: Scalar,
    #[derived(1.0 / (1.0 - p).ln())]
    inv_log_q: Scalar,
}

#[connectivity_snippet]
impl Bernoulli {
    fn row_build(&self, env: &mut RowBuildEnv) {
        let mut j: i64 = -1;
        let n = env.num_post() as i64;
        loop {
            let u = env.rand_uniform();
            j += 1 + (u.ln() * self.inv_log_q).floor() as i64;
            if j >= n {
                break;
            }
            env.add_synapse((n - 1 - j) as u32);
        }
    }
}

/// Every row gets one target that does not exist (from row 3 on).
#[connectivity_snippet(max_row_length = 2)]
pub struct OutOfRange {}

#[connectivity_snippet]
impl OutOfRange {
    fn row_build(&self, env: &mut RowBuildEnv) {
        env.add_synapse(0);
        if env.id_pre() >= 3 {
            env.add_synapse(env.num_post() + env.id_pre());
        }
    }
}

/// A variable of every storage type.
#[neuron_model]
pub struct AllTypes {
    #[var]
    s: Scalar,
    #[var]
    a: f32,
    #[var]
    b: f64,
    #[var]
    c: i32,
    #[var]
    d: u32,
    #[var]
    e: i64,
    #[var]
    f: u64,
    #[var]
    g: u8,
    #[var]
    h: u16,
    #[var]
    k: bool,
}

#[neuron_model]
impl AllTypes {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.s += env.dt();
    }
}

/// Synapse variables of several types.
#[weight_update_model]
pub struct TypedSyn {
    #[var]
    g: Scalar,
    #[var]
    n: u16,
    #[var]
    flag: bool,
    #[var]
    x: f64,
    #[var]
    y: f32,
}

#[weight_update_model]
impl TypedSyn {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post(self.g);
    }
}

/// A postsynaptic model with variables.
#[postsynaptic_model]
pub struct PsmVar {
    #[var]
    r: Scalar,
    #[var]
    m: i32,
}

#[postsynaptic_model]
impl PsmVar {
    fn apply_input(&mut self, env: &mut PostsynapticEnv) {
        env.inject_current(self.in_syn * self.r);
    }
    fn decay(&mut self, env: &mut PostsynapticEnv) {
        self.in_syn = 0.0;
    }
}

// ---------------------------------------------------------------------------
// The host-C device
// ---------------------------------------------------------------------------

unsafe extern "C" {
    fn dlopen(filename: *const c_char, flag: c_int) -> *mut c_void;
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    fn dlerror() -> *mut c_char;
}
const RTLD_NOW: c_int = 2;

/// `snn_launch_<kernel>(args, blocks, threads)`: runs every work-item in turn.
type Launcher = unsafe extern "C" fn(*mut *mut c_void, u32, u32);

/// The dialect macros for a sequential launch on the host.
const HOST_PRELUDE: &str = r#"
#define KERNEL static
#define GLOBAL
#define SHARED
static unsigned int g_group, g_local, g_local_size;
#define LOCAL_ID g_local
#define GROUP_ID g_group
#define LOCAL_SIZE g_local_size
#define BARRIER() ((void)0)
#define ATOMIC_ADD_F32(p, v) ((void)(*(p) += (v)))
#define ATOMIC_ADD_F64(p, v) ((void)(*(p) += (v)))
#define ATOMIC_OR_U32(p, v) ((void)(*(p) |= (v)))
#define ATOMIC_MAX_U32(p, v) ((void)(*(p) = *(p) < (v) ? (v) : *(p)))
#define ATOMIC_INC_U32(p) ((*(p))++)
#define ATOMIC_INC_U32_SHARED(p) ((*(p))++)
"#;

/// A [`Device`] running the kernels as C on the host (see the module docs).
/// Kernels with barriers run as one work-item per group (`LOCAL_SIZE` 1).
pub(crate) struct HostC {
    kernels: RefCell<HashMap<String, Launcher>>,
}

pub(crate) struct HostBuf {
    data: RefCell<Vec<u64>>,
    bytes: usize,
}

fn c_compiler() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".to_string())
}

/// `(name, parameter declarations, uses barriers)` of every kernel of `src`.
fn kernel_signatures(src: &str) -> Vec<(String, Vec<String>, bool)> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(pos) = rest.find("KERNEL void ") {
        let after = &rest[pos + "KERNEL void ".len()..];
        let open = after.find('(').unwrap();
        let close = after.find(')').unwrap();
        let name = after[..open].trim().to_string();
        let params = after[open + 1..close]
            .split(',')
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let end = after[close..]
            .find("KERNEL void ")
            .map_or(after.len(), |k| close + k);
        out.push((name, params, after[close..end].contains("BARRIER()")));
        rest = &after[close..];
    }
    out
}

impl HostC {
    /// A host-C device with no program yet.
    pub(crate) fn new() -> Self {
        HostC {
            kernels: RefCell::new(HashMap::new()),
        }
    }
}

impl Device for HostC {
    type Buffer = HostBuf;

    fn description(&self) -> String {
        "host C (glibc libm)".into()
    }
    fn supports_f64(&self) -> bool {
        true
    }
    fn compile(&self, source: &str) -> DeviceResult<()> {
        let body = source
            .strip_prefix(CUDA_PRELUDE)
            .expect("a program assembled for Dialect::Cuda");
        let mut src = format!("{HOST_PRELUDE}{body}\n");
        let sigs = kernel_signatures(body);
        for (name, params, barrier) in &sigs {
            let args: Vec<String> = params
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    if p.contains('*') {
                        format!("a[{k}]")
                    } else {
                        let ty = &p[..p.rfind(' ').unwrap()];
                        format!("*({ty} *)a[{k}]")
                    }
                })
                .collect();
            let local = if *barrier { "1u" } else { "threads" };
            src.push_str(&format!(
                "void snn_launch_{name}(void **a, unsigned int blocks, unsigned int threads)\n{{\n    \
                 unsigned int g, l;\n    (void)threads;\n    g_local_size = {local};\n    \
                 for (g = 0u; g < blocks; ++g) {{\n        for (l = 0u; l < g_local_size; ++l) {{\n            \
                 g_group = g;\n            g_local = l;\n            {name}({});\n        }}\n    }}\n}}\n",
                args.join(", ")
            ));
        }
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("init_kernels")
            .join(format!("{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("init.c");
        let lib = dir.join("libinit.so");
        std::fs::write(&file, &src).unwrap();
        let out = Command::new(c_compiler())
            .args([
                "-std=c99",
                "-O1",
                "-ffp-contract=off",
                "-fno-fast-math",
                "-fPIC",
                "-shared",
            ])
            .arg(&file)
            .arg("-o")
            .arg(&lib)
            .arg("-lm")
            .output()
            .map_err(|e| DeviceError::LibraryMissing {
                library: c_compiler(),
                reason: e.to_string(),
            })?;
        if !out.status.success() {
            return Err(DeviceError::Compile {
                compiler: c_compiler(),
                log: String::from_utf8_lossy(&out.stderr).into_owned(),
                excerpt: format!("{}", file.display()),
            });
        }
        let path = CString::new(lib.to_str().unwrap()).unwrap();
        // SAFETY: loading a library we just built; it has no initialisers.
        let handle = unsafe { dlopen(path.as_ptr(), RTLD_NOW) };
        if handle.is_null() {
            // SAFETY: dlerror returns a C string after a failure.
            let msg = unsafe { CStr::from_ptr(dlerror()) };
            panic!("dlopen failed: {}", msg.to_string_lossy());
        }
        let mut kernels = self.kernels.borrow_mut();
        kernels.clear();
        for (name, _, _) in &sigs {
            let sym = CString::new(format!("snn_launch_{name}")).unwrap();
            // SAFETY: the symbol is a function of the `Launcher` signature generated above.
            let f = unsafe { dlsym(handle, sym.as_ptr()) };
            assert!(!f.is_null(), "no symbol for {name}");
            kernels.insert(name.clone(), unsafe {
                std::mem::transmute::<*mut c_void, Launcher>(f)
            });
        }
        Ok(())
    }
    fn alloc_zeroed(&self, bytes: usize) -> DeviceResult<HostBuf> {
        Ok(HostBuf {
            data: RefCell::new(vec![0u64; bytes.div_ceil(8).max(1)]),
            bytes,
        })
    }
    fn write(&self, buf: &HostBuf, offset: usize, data: &[u8]) -> DeviceResult<()> {
        assert!(
            offset + data.len() <= buf.bytes.max(1),
            "write out of range"
        );
        let mut d = buf.data.borrow_mut();
        bytemuck::cast_slice_mut::<u64, u8>(&mut d)[offset..offset + data.len()]
            .copy_from_slice(data);
        Ok(())
    }
    fn read(&self, buf: &HostBuf, offset: usize, out: &mut [u8]) -> DeviceResult<()> {
        assert!(offset + out.len() <= buf.bytes.max(1), "read out of range");
        let d = buf.data.borrow();
        out.copy_from_slice(&bytemuck::cast_slice::<u64, u8>(&d)[offset..offset + out.len()]);
        Ok(())
    }
    fn zero(&self, buf: &HostBuf) -> DeviceResult<()> {
        buf.data.borrow_mut().fill(0);
        Ok(())
    }
    fn launch(&self, name: &str, dims: LaunchDims, args: &[Arg<'_, HostBuf>]) -> DeviceResult<()> {
        let f = *self
            .kernels
            .borrow()
            .get(name)
            .unwrap_or_else(|| panic!("no kernel {name}"));
        let mut scalars: Vec<u64> = vec![0; args.len()];
        let mut guards = Vec::new();
        let mut ptrs: Vec<*mut c_void> = Vec::with_capacity(args.len());
        for (k, a) in args.iter().enumerate() {
            scalars[k] = match a {
                Arg::Buffer(_) => 0,
                Arg::U32(v) => *v as u64,
                Arg::U64(v) => *v,
                Arg::F32(v) => v.to_bits() as u64,
                Arg::F64(v) => v.to_bits(),
            };
        }
        for (k, a) in args.iter().enumerate() {
            match a {
                Arg::Buffer(b) => {
                    let mut g = b.data.borrow_mut();
                    ptrs.push(g.as_mut_ptr().cast());
                    guards.push(g);
                }
                // Little-endian: the value's bytes start at the word's address.
                _ => ptrs.push((&mut scalars[k] as *mut u64).cast()),
            }
        }
        // SAFETY: the arguments match the kernel's parameters (as on any device)
        // and the buffers are borrowed for the call.
        unsafe { f(ptrs.as_mut_ptr(), dims.blocks, dims.threads) };
        drop(guards);
        Ok(())
    }
    fn synchronize(&self) -> DeviceResult<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// The OpenCL device
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The OpenCL device, or `None` (test skipped) when OpenCL is not available.
pub(crate) fn opencl(test: &str) -> Option<OpenClDevice> {
    match OpenClDevice::new(DeviceSelection::Any) {
        Ok(d) => Some(d),
        Err(e @ (DeviceError::LibraryMissing { .. } | DeviceError::NoDevice(_))) => {
            if std::env::var("SNN_REQUIRE_OPENCL").as_deref() == Ok("1") {
                panic!("SNN_REQUIRE_OPENCL=1 but no OpenCL device: {e}");
            }
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!! SKIPPED: {test}: no OpenCL device ({e}) !!!!!!!!\n\
                 (set SNN_REQUIRE_OPENCL=1 to make this a failure; scripts/install-pocl.sh \
                 installs PoCL)"
            );
            None
        }
        Err(e) => panic!("opening the OpenCL device failed: {e}"),
    }
}

/// Where the kernels run (every value must be bit-identical either way:
/// the draws' `ln`, `exp`, `cos` and `powf` are `snn_core::math`'s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Host C: every type and path.
    HostC,
    /// A device: fewer types (each is a kernel PoCL compiles, slowly).
    Device,
}

fn read_bytes<D: Device>(d: &D, b: &D::Buffer, n: usize) -> Vec<u8> {
    let mut raw = vec![0u8; n];
    d.read(b, 0, &mut raw).unwrap();
    raw
}

fn read_u32<D: Device>(d: &D, b: &D::Buffer, n: usize) -> Vec<u32> {
    read_bytes(d, b, n * 4)
        .chunks_exact(4)
        .map(|c| u32::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

/// CSR-ordered elements (`e` bytes each) laid out in rows of `stride`,
/// padding zero (what the runtime uploads from an `InitialState`).
fn ragged(c: &SparseConnectivity, csr: &[u8], e: usize, stride: usize) -> Vec<u8> {
    let mut out = vec![0u8; c.num_pre as usize * stride * e];
    for i in 0..c.num_pre as usize {
        let (a, b) = (c.row_ptr[i] as usize, c.row_ptr[i + 1] as usize);
        out[i * stride * e..(i * stride + b - a) * e].copy_from_slice(&csr[a * e..b * e]);
    }
    out
}

/// `None` if the device buffer equals the host's bit for bit, else how
/// many elements differ and the first of them.
fn check_values(got: &[u8], want: &[u8], ty: IrType, p: Precision) -> Option<String> {
    if got == want {
        return None;
    }
    let e = storage_bytes(ty, p);
    if got.len() != want.len() {
        return Some(format!("{} bytes, expected {}", got.len(), want.len()));
    }
    let g = VarArray::from_bytes(ty, p, got).to_f64();
    let w = VarArray::from_bytes(ty, p, want).to_f64();
    let n = got.len() / e;
    let differ: Vec<usize> = (0..n)
        .filter(|&i| got[i * e..(i + 1) * e] != want[i * e..(i + 1) * e])
        .collect();
    let i = differ[0];
    Some(format!(
        "{} of {n} elements differ; first at {i}: device {:e} (bits {:02x?}), host {:e} \
         (bits {:02x?})",
        differ.len(),
        g[i],
        &got[i * e..(i + 1) * e],
        w[i],
        &want[i * e..(i + 1) * e],
    ))
}

/// Buffers of one ragged connectivity built on the device.
struct Built<B> {
    row_length: B,
    ind: B,
    row_offset: B,
    meta: B,
    stride: u32,
    num_synapses: u64,
}

impl<B> Built<B> {
    fn rows(&self, num_pre: u32) -> RaggedRows<'_, B> {
        RaggedRows {
            row_length: &self.row_length,
            row_offset: &self.row_offset,
            num_pre,
            stride: self.stride,
            num_synapses: self.num_synapses,
        }
    }
    fn bufs(&self) -> ConnBuffers<'_, B> {
        ConnBuffers {
            row_length: &self.row_length,
            ind: &self.ind,
            row_offset: &self.row_offset,
            meta: &self.meta,
        }
    }
}

fn alloc_conn<D: Device>(d: &D, num_pre: u32, stride: u32) -> Built<D::Buffer> {
    Built {
        row_length: d.alloc_zeroed(num_pre as usize * 4).unwrap(),
        ind: d
            .alloc_zeroed(num_pre as usize * stride as usize * 4)
            .unwrap(),
        row_offset: d.alloc_zeroed(num_pre as usize * 4).unwrap(),
        meta: d.alloc_zeroed(META_WORDS * 4).unwrap(),
        stride,
        num_synapses: 0,
    }
}

fn build_on<D: Device>(
    d: &D,
    k: &ConnectivityKernel,
    num_pre: u32,
    stride: u32,
) -> Result<Built<D::Buffer>, InitError> {
    let mut b = alloc_conn(d, num_pre, stride);
    b.num_synapses = k.build(d, &b.bufs(), stride)?;
    Ok(b)
}

/// Compares a device-built connectivity with the host's, including the row
/// offsets and the synapse count.
fn check_rows<D: Device>(d: &D, b: &Built<D::Buffer>, host: &SparseConnectivity, what: &str) {
    let n = host.num_pre as usize;
    let lens = read_u32(d, &b.row_length, n);
    assert_eq!(lens, host.row_lengths(), "{what}: row lengths");
    let ind = read_u32(d, &b.ind, n * b.stride as usize);
    for i in 0..host.num_pre {
        let start = i as usize * b.stride as usize;
        let row = &ind[start..start + lens[i as usize] as usize];
        assert_eq!(row, host.row(i), "{what}: row {i}");
    }
    let offsets = read_u32(d, &b.row_offset, n);
    let want: Vec<u32> = host.row_ptr[..n].iter().map(|&x| x as u32).collect();
    assert_eq!(offsets, want, "{what}: row offsets");
    assert_eq!(b.num_synapses, host.num_synapses(), "{what}: synapse count");
}

// ---------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------

/// Every initialiser kind, every storage type, dense and ragged (explicit
/// rows of 0 to 200 synapses: longer than a work-group, and empty ones),
/// f32 and f64 networks: the device writes what `host_var_values`
/// (= `InitialState`'s `init_var`: `VarInit::fill` in the draw precision,
/// then `as`) computes.
fn variables<D: Device>(d: &D, dialect: Dialect, place: Place) {
    let seed = 0x1234_5678_9abc_def0;
    let lens = [0usize, 150, 3, 0, 70, 1, 0, 200, 64, 65];
    let (mut pre, mut post) = (Vec::new(), Vec::new());
    for (i, &l) in lens.iter().enumerate() {
        for k in 0..l {
            pre.push(i as u32);
            post.push(((k * 37 + i) % 211) as u32);
        }
    }
    let rule = Connectivity::Explicit { pre, post };
    let shape = Shape {
        num_pre: lens.len() as u32,
        num_post: 211,
        same_population: false,
    };
    let host_conn = rule.build(shape.num_pre, 211, false, seed, 9).unwrap();
    let n_syn = host_conn.ind.len();
    let n_dense = 1000u32;
    let all_types = [
        IrType::Scalar,
        IrType::F32,
        IrType::F64,
        IrType::I32,
        IrType::U32,
        IrType::I64,
        IrType::U64,
        IrType::U8,
        IrType::U16,
        IrType::Usize,
        IrType::Bool,
    ];
    let scalar = [IrType::Scalar];
    let some = [IrType::Scalar, IrType::F32, IrType::U8, IrType::Bool];
    // On OpenCL fewer types (each is a kernel PoCL compiles, slowly): the
    // conversions are checked bit for bit by the C run.
    let (all_types, some): (&[IrType], &[IrType]) = match place {
        Place::HostC => (&all_types, &some),
        Place::Device => (
            &[IrType::Scalar, IrType::F64, IrType::I32, IrType::Bool],
            &[IrType::Scalar, IrType::U8],
        ),
    };

    for p in [Precision::F32, Precision::F64] {
        let mut codes = SnippetCodes::default();
        let ramp = codes.var_init(Ramp {
            start: -70.0,
            step: 0.37,
        });
        let mixed = codes.var_init(Mixed { a: 0.7 });
        let values_dense: Vec<f64> = (0..n_dense).map(|i| i as f64 * 1.7 - 300.5).collect();
        let values_syn: Vec<f64> = (0..n_syn).map(|i| (i as f64).sin() * 1e3).collect();
        let cases: Vec<(VarInit, &[IrType])> = vec![
            (VarInit::Constant(-65.3), all_types),
            (VarInit::Constant(300.7), some),
            (VarInit::uniform(-10.0, 300.0), all_types),
            (VarInit::normal(100.0, 200.0), all_types),
            (VarInit::normal_clipped(0.0, 1.0, -0.5, 2.0), some),
            (
                VarInit::normal_clipped(1.5, 1.0, 0.0, f64::INFINITY),
                &scalar,
            ),
            (VarInit::exponential(0.25), some),
            (VarInit::gamma(0.5, 2.0), some),
            (VarInit::gamma(3.0, 0.1), &scalar),
            (VarInit::binomial(20, 0.1), some),
            (VarInit::binomial(500, 0.75), all_types),
            (VarInit::binomial(100, 0.3), &scalar),
            (ramp, some),
            (mixed, some),
            (VarInit::Values(Vec::new()), some),
        ];
        let mut prog = InitProgram::new(p, d.supports_f64());
        let mut jobs = Vec::new();
        for (init, types) in &cases {
            for &ty in types.iter() {
                for layout in [Layout::Dense, Layout::Ragged] {
                    let init = match (init, layout) {
                        (VarInit::Values(_), Layout::Dense) => {
                            VarInit::Values(values_dense.clone())
                        }
                        (VarInit::Values(_), Layout::Ragged) => VarInit::Values(values_syn.clone()),
                        _ => init.clone(),
                    };
                    let kernel = prog.var_init(&init, ty, layout, &codes);
                    let on_device = !matches!(init, VarInit::Values(_));
                    assert_eq!(
                        kernel.host_reason().is_none(),
                        on_device,
                        "{init:?} {ty:?}: {:?}",
                        kernel.host_reason()
                    );
                    jobs.push((init, ty, layout, kernel));
                }
            }
        }
        let conn = prog
            .connectivity(&rule, shape, seed, 9, &NoSnippetCode)
            .unwrap();
        prog.compile(d, dialect).unwrap();
        let built = build_on(d, &conn, shape.num_pre, conn.stride()).unwrap();
        check_rows(d, &built, &host_conn, "explicit rows");
        let stride = built.stride as usize;

        let mut failures = Vec::new();
        for (k, (init, ty, layout, kernel)) in jobs.iter().enumerate() {
            let stream = 0x0500_0000 + k as u32;
            let e = storage_bytes(*ty, p);
            let (n, slots, target) = match layout {
                Layout::Dense => (
                    n_dense as usize,
                    n_dense as usize,
                    Target::Dense { n: n_dense },
                ),
                Layout::Ragged => (
                    n_syn,
                    shape.num_pre as usize * stride,
                    Target::Ragged(built.rows(shape.num_pre)),
                ),
            };
            let out = d.alloc_zeroed(slots * e).unwrap();
            kernel.run(d, &out, &target, seed, stream).unwrap();
            let got = read_bytes(d, &out, slots * e);
            let host = host_var_values(init, *ty, p, n, seed, stream).to_bytes();
            let want = match layout {
                Layout::Dense => host,
                Layout::Ragged => ragged(&host_conn, &host, e, stride),
            };
            let what = format!("{p:?} {init:?} as {ty:?}, {layout:?}");
            if let Some(diff) = check_values(&got, &want, *ty, p) {
                failures.push(format!("{what}: {diff}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{p:?}: {} of {} variables differ from the host:\n{}",
            failures.len(),
            jobs.len(),
            failures.join("\n")
        );
    }
}

#[test]
fn variables_match_the_host_bit_for_bit_in_c() {
    variables(&HostC::new(), Dialect::Cuda, Place::HostC);
}

#[test]
fn variables_match_the_host_on_opencl() {
    if let Some(d) = opencl("variables_match_the_host_on_opencl") {
        variables(&d, Dialect::OpenCl, Place::Device);
    }
}

/// `Values` of the wrong length are rejected with `VarInit::validate`'s message.
#[test]
fn values_of_the_wrong_length_are_rejected() {
    let d = HostC::new();
    let mut prog = InitProgram::new(Precision::F32, true);
    let k = prog.var_init(
        &VarInit::Values(vec![1.0; 3]),
        IrType::Scalar,
        Layout::Dense,
        &NoSnippetCode,
    );
    prog.compile(&d, Dialect::Cuda).unwrap();
    let out = d.alloc_zeroed(16).unwrap();
    let err = k.run(&d, &out, &Target::Dense { n: 4 }, 1, 2).unwrap_err();
    assert_eq!(
        err.to_string(),
        ": initialiser of variable ``: values: 3 values given for 4 elements"
    );
}

/// A program with every kind of kernel is also valid C++14 (the language
/// NVRTC compiles for CUDA; `-fsyntax-only` with the sequential-launch macros).
#[test]
fn every_kernel_is_valid_cpp() {
    let mut codes = SnippetCodes::default();
    let snippets = [
        codes.var_init(Ramp {
            start: 0.0,
            step: 1.0,
        }),
        codes.var_init(Mixed { a: 2.0 }),
    ];
    let ring = codes.connectivity(RingSuccessors { k: 2.0 });
    let bernoulli = codes.connectivity(Bernoulli { p: 0.2 });
    let mut prog = InitProgram::new(Precision::F32, true);
    let types = [
        IrType::Scalar,
        IrType::F32,
        IrType::F64,
        IrType::I32,
        IrType::U32,
        IrType::I64,
        IrType::U64,
        IrType::U8,
        IrType::U16,
        IrType::Usize,
        IrType::Bool,
    ];
    let mut inits = vec![
        VarInit::Constant(1.0),
        VarInit::uniform(0.0, 1.0),
        VarInit::normal(0.0, 1.0),
        VarInit::normal_clipped(0.0, 1.0, -1.0, 1.0),
        VarInit::exponential(1.0),
        VarInit::gamma(1.0, 1.0),
        VarInit::binomial(3, 0.5),
    ];
    inits.extend(snippets);
    for init in &inits {
        for ty in types {
            for layout in [Layout::Dense, Layout::Ragged] {
                assert!(prog
                    .var_init(init, ty, layout, &codes)
                    .host_reason()
                    .is_none());
            }
        }
    }
    let shape = Shape {
        num_pre: 10,
        num_post: 10,
        same_population: true,
    };
    let fp = Connectivity::FixedProbability {
        p: 0.5,
        autapses: true,
    };
    for rule in [&fp, &ring, &bernoulli] {
        assert!(prog
            .connectivity(rule, shape, 1, 2, &codes)
            .unwrap()
            .host_reason()
            .is_none());
    }
    for ty in types {
        prog.delay_check(ty).unwrap();
    }
    let body = prog
        .source(Dialect::Cuda)
        .strip_prefix(CUDA_PRELUDE)
        .unwrap()
        .to_string();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("init_kernels");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("all-{}.cpp", std::process::id()));
    std::fs::write(&file, format!("{HOST_PRELUDE}{body}")).unwrap();
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".to_string());
    let out = Command::new(&cxx)
        .args([
            "-x",
            "c++",
            "-std=c++14",
            "-fsyntax-only",
            "-Wno-unused-function",
        ])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("running {cxx}: {e}"));
    assert!(
        out.status.success(),
        "not valid C++14:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Work that needs `double` falls back to the host on a device without it.
#[test]
fn without_f64_double_work_falls_back_to_the_host() {
    let mut codes = SnippetCodes::default();
    let ramp = codes.var_init(Ramp {
        start: 0.0,
        step: 1.0,
    });
    let ring = codes.connectivity(RingSuccessors { k: 2.0 });
    let mut prog = InitProgram::new(Precision::F32, false);
    let on_device = |k: &snn_gpu::init_kernels::VarInitKernel| k.host_reason().is_none();
    assert!(on_device(&prog.var_init(
        &VarInit::normal(0.0, 1.0),
        IrType::Scalar,
        Layout::Dense,
        &codes
    )));
    assert!(on_device(&prog.var_init(
        &ramp,
        IrType::Scalar,
        Layout::Ragged,
        &codes
    )));
    assert!(on_device(&prog.var_init(
        &VarInit::Constant(1.5),
        IrType::F64,
        Layout::Dense,
        &codes
    )));
    // u8 / u16 / bool are drawn in the network precision (f32 here), so
    // they stay on the device; wider integers are drawn in f64.
    for ty in [IrType::U8, IrType::U16, IrType::Bool] {
        assert!(on_device(&prog.var_init(
            &VarInit::normal(0.0, 1.0),
            ty,
            Layout::Dense,
            &codes
        )));
    }
    let k = prog.var_init(
        &VarInit::normal(0.0, 1.0),
        IrType::U32,
        Layout::Dense,
        &codes,
    );
    assert_eq!(
        k.host_reason(),
        Some("a u32 variable is drawn in f64, which the device does not support")
    );
    let shape = Shape {
        num_pre: 10,
        num_post: 10,
        same_population: true,
    };
    let fp = Connectivity::FixedProbability {
        p: 0.5,
        autapses: true,
    };
    for rule in [&fp, &ring] {
        assert!(prog
            .connectivity(rule, shape, 1, 2, &codes)
            .unwrap()
            .host_reason()
            .is_some());
    }
    let fnp = Connectivity::FixedNumberPost {
        n: 3,
        autapses: false,
    };
    let k = prog.connectivity(&fnp, shape, 1, 2, &codes).unwrap();
    assert!(k.host_reason().is_none());
    assert!(!prog.uses_f64(), "an f32 program without double work");
    assert!(!prog
        .source(Dialect::OpenCl)
        .contains("#define SNN_USE_DOUBLE"));
}

/// The device's `log`, `cos`, `exp`, `pow` against glibc's (Rust's), for the
/// uniform draws the distributions use: why the draws use `snn_core::math`'s
/// functions instead.
#[test]
fn device_math_differs_from_glibc() {
    let Some(d) = opencl("device_math_differs_from_glibc") else {
        return;
    };
    const BODY: &str = r#"
KERNEL void m32(GLOBAL float *out, unsigned int n)
{
    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;
    if (i < n) {
        snn_rng r = snn_rng_new(7u, 3u, 0u, i);
        const float u = snn_uniform_f32(&r);
        out[4u * i] = log(u);
        out[4u * i + 1u] = cos(6.2831855f * u);
        out[4u * i + 2u] = exp(-20.0f * u);
        out[4u * i + 3u] = pow(u, 1.7f);
    }
}
KERNEL void m64(GLOBAL double *out, unsigned int n)
{
    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;
    if (i < n) {
        snn_rng r = snn_rng_new(7u, 3u, 0u, i);
        const double u = snn_uniform_f64(&r);
        out[4u * i] = log(u);
        out[4u * i + 1u] = cos(6.283185307179586 * u);
        out[4u * i + 2u] = exp(-20.0 * u);
        out[4u * i + 3u] = pow(u, 1.7);
    }
}
"#;
    d.compile(&program(Dialect::OpenCl, Precision::F64, BODY))
        .unwrap();
    let n = 20_000u32;
    let buf = d.alloc_zeroed(n as usize * 32).unwrap();
    let dims = LaunchDims {
        blocks: n.div_ceil(64),
        threads: 64,
    };
    d.launch("m32", dims, &[Arg::Buffer(&buf), Arg::U32(n)])
        .unwrap();
    let got32: Vec<u32> = read_u32(&d, &buf, n as usize * 4);
    d.launch("m64", dims, &[Arg::Buffer(&buf), Arg::U32(n)])
        .unwrap();
    let got64: Vec<u64> = read_bytes(&d, &buf, n as usize * 32)
        .chunks_exact(8)
        .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    let (mut diff32, mut diff64, mut ulp) = ([0usize; 4], [0usize; 4], 0u64);
    for i in 0..n as usize {
        let mut r = RngStream::new(7, 3, 0, i as u32);
        let u: f32 = r.uniform();
        let want = [
            u.ln(),
            (std::f32::consts::TAU * u).cos(),
            (-20.0f32 * u).exp(),
            u.powf(1.7),
        ];
        for k in 0..4 {
            let (g, w) = (got32[4 * i + k], want[k].to_bits());
            if g != w {
                diff32[k] += 1;
                ulp = ulp.max(g.abs_diff(w) as u64);
            }
        }
        let mut r = RngStream::new(7, 3, 0, i as u32);
        let u: f64 = r.uniform();
        let want = [
            u.ln(),
            (std::f64::consts::TAU * u).cos(),
            (-20.0f64 * u).exp(),
            u.powf(1.7),
        ];
        for k in 0..4 {
            let (g, w) = (got64[4 * i + k], want[k].to_bits());
            if g != w {
                diff64[k] += 1;
                ulp = ulp.max(g.abs_diff(w));
            }
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "{}: of {n} uniform arguments, log/cos/exp/pow differ from glibc in \
         f32 {diff32:?}, f64 {diff64:?} cases (at most {ulp} ulp)",
        d.description()
    );
    assert!(ulp <= 4, "the device's math is off by {ulp} ulp");
}

// ---------------------------------------------------------------------------
// Connectivity
// ---------------------------------------------------------------------------

/// Every rule, with and without autapses, on shapes with rows longer than a
/// work-group, empty rows, one neuron, and one population: the device builds
/// `Connectivity::build`'s rows (exactly, on every device: the only libm call,
/// `log` of fixed probability, would have to move a `floor` across an integer).
fn connectivity<D: Device>(d: &D, dialect: Dialect) {
    let mut codes = SnippetCodes::default();
    let ring = codes.connectivity(RingSuccessors { k: 3.0 });
    let bernoulli = codes.connectivity(Bernoulli { p: 0.1 });
    // Not registered: built on the host.
    let unknown = Connectivity::snippet(RingSuccessors { k: 2.0 });
    let shapes = [
        (1, 1, true),
        (7, 300, false),
        (300, 5, false),
        (150, 150, true),
        (150, 150, false),
        (40, 1000, false),
    ];
    let mut rules: Vec<Connectivity> = vec![
        Connectivity::AllToAll { autapses: true },
        Connectivity::AllToAll { autapses: false },
        Connectivity::FixedNumberTotal { n: 0 },
        Connectivity::FixedNumberTotal { n: 1 },
        Connectivity::FixedNumberTotal { n: 20 },
        Connectivity::FixedNumberTotal { n: 5000 },
        ring,
        bernoulli,
        unknown,
    ];
    for autapses in [true, false] {
        for p in [0.0, 0.02, 0.5, 1.0] {
            rules.push(Connectivity::FixedProbability { p, autapses });
        }
        for n in [0, 3, 100] {
            rules.push(Connectivity::FixedNumberPost { n, autapses });
        }
        for n in [0, 1, 2, 40] {
            rules.push(Connectivity::FixedNumberPre { n, autapses });
        }
    }
    let mut prog = InitProgram::new(Precision::F32, d.supports_f64());
    let mut jobs = Vec::new();
    for (si, &(num_pre, num_post, same)) in shapes.iter().enumerate() {
        let shape = Shape {
            num_pre,
            num_post,
            same_population: same,
        };
        let mut all = rules.clone();
        if num_pre == num_post {
            all.push(Connectivity::OneToOne);
            // A list with multapses, empty rows and a long row.
            let mut pre = vec![0, 0, 0, num_pre - 1];
            let mut post = vec![5 % num_post, 2 % num_post, 5 % num_post, 0];
            for j in 0..num_post {
                pre.push(num_pre / 2);
                post.push(num_post - 1 - j);
            }
            all.push(Connectivity::Explicit { pre, post });
        }
        for (ri, rule) in all.into_iter().enumerate() {
            let (seed, stream) = (1000 + si as u64, 0x0600_0000 + ri as u32);
            let host = rule.build(num_pre, num_post, same, seed, stream);
            let Ok(host) = host else {
                // Rejected on the host (e.g. no allowed target): rejected alike.
                let err = prog
                    .connectivity(&rule, shape, seed, stream, &codes)
                    .unwrap_err();
                assert_eq!(
                    err.to_string(),
                    format!("synapse group ``: connectivity: {}", host.unwrap_err())
                );
                continue;
            };
            let k = prog
                .connectivity(&rule, shape, seed, stream, &codes)
                .unwrap();
            let expect_host = matches!(rule, Connectivity::Explicit { .. })
                || matches!(&rule, Connectivity::Snippet(s) if codes.connectivity_code(&**s).is_none());
            assert_eq!(
                k.host_reason().is_some(),
                expect_host,
                "{rule:?}: {:?}",
                k.host_reason()
            );
            assert!(
                k.stride() >= host.max_row_length(),
                "{rule:?} {shape:?}: stride {} < longest row {}",
                k.stride(),
                host.max_row_length()
            );
            jobs.push((format!("{rule:?} on {shape:?}"), num_pre, host, k));
        }
    }
    prog.compile(d, dialect).unwrap();
    let (mut long_rows, mut empty_rows) = (0, 0);
    for (what, num_pre, host, k) in &jobs {
        let b = build_on(d, k, *num_pre, k.stride()).unwrap_or_else(|e| panic!("{what}: {e}"));
        check_rows(d, &b, host, what);
        let lens = host.row_lengths();
        long_rows += lens.iter().filter(|&&l| l > 64).count();
        empty_rows += lens.iter().filter(|&&l| l == 0).count();
    }
    assert!(
        long_rows > 100 && empty_rows > 100,
        "{long_rows} {empty_rows}"
    );
}

#[test]
fn connectivity_matches_the_host_in_c() {
    connectivity(&HostC::new(), Dialect::Cuda);
}

#[test]
fn connectivity_matches_the_host_on_opencl() {
    if let Some(d) = opencl("connectivity_matches_the_host_on_opencl") {
        connectivity(&d, Dialect::OpenCl);
    }
}

/// Rows longer than the stride are reported (never written past it) with
/// the length needed, and a rebuild with that stride gives the host's rows;
/// a snippet's out-of-range target gives the host's error.
fn overflow_and_out_of_range<D: Device>(d: &D, dialect: Dialect) {
    let mut codes = SnippetCodes::default();
    let lying = codes.connectivity(LyingRing { k: 5.0 });
    let bad = codes.connectivity(OutOfRange {});
    let pre_rule = Connectivity::FixedNumberPre {
        n: 30,
        autapses: true,
    };
    let prob_rule = Connectivity::FixedProbability {
        p: 0.3,
        autapses: true,
    };
    let shape = Shape {
        num_pre: 90,
        num_post: 200,
        same_population: false,
    };
    let mut prog = InitProgram::new(Precision::F64, d.supports_f64());
    let cases: Vec<_> = [&lying, &pre_rule, &prob_rule]
        .into_iter()
        .map(|r| {
            (
                r.clone(),
                prog.connectivity(r, shape, 5, 6, &codes).unwrap(),
            )
        })
        .collect();
    let bad_k = prog.connectivity(&bad, shape, 5, 6, &codes).unwrap();
    prog.compile(d, dialect).unwrap();
    for (rule, k) in &cases {
        let host = rule.build(90, 200, false, 5, 6).unwrap();
        let longest = host.max_row_length();
        let small = longest / 2;
        // Guard slots after the last row show nothing is written past the stride.
        let b = alloc_conn(d, 90, small + 1);
        match k.build(d, &b.bufs(), small) {
            Err(InitError::RowOverflow { needed, stride }) => {
                assert_eq!((needed, stride), (longest, small), "{rule:?}")
            }
            other => panic!("{rule:?}: expected an overflow, got {other:?}"),
        }
        let ind = read_u32(d, &b.ind, 90 * (small as usize + 1));
        assert!(
            ind[90 * small as usize..].iter().all(|&x| x == 0),
            "{rule:?}: written past the stride"
        );
        let b = build_on(d, k, 90, longest).unwrap();
        check_rows(d, &b, &host, &format!("{rule:?} rebuilt"));
    }
    let host_err = bad.build(90, 200, false, 5, 6).unwrap_err();
    let b = alloc_conn(d, 90, bad_k.stride());
    match bad_k.build(d, &b.bufs(), bad_k.stride()) {
        Err(InitError::InvalidConnectivity { reason, .. }) => assert_eq!(reason, host_err),
        other => panic!("expected the out-of-range error, got {other:?}"),
    }
}

#[test]
fn overflow_and_out_of_range_are_reported_in_c() {
    overflow_and_out_of_range(&HostC::new(), Dialect::Cuda);
}

#[test]
fn overflow_and_out_of_range_are_reported_on_opencl() {
    if let Some(d) = opencl("overflow_and_out_of_range_are_reported_on_opencl") {
        overflow_and_out_of_range(&d, Dialect::OpenCl);
    }
}

// ---------------------------------------------------------------------------
// Whole networks
// ---------------------------------------------------------------------------

fn lif() -> Lif {
    Lif {
        c: 1.0,
        tau_m: 20.0,
        v_rest: -70.0,
        v_reset: -70.0,
        v_thresh: -50.0,
        i_offset: 0.0,
        tau_refrac: 2.0,
    }
}

/// A network using every kind of initialiser and rule.
fn network(p: Precision, codes: &mut SnippetCodes) -> Network {
    let mut net = Network::new(0.1).unwrap();
    net.set_precision(p);
    net.set_seed(0xfeed_beef);
    let a = net
        .add_population("A", 300, AllTypes {})
        .init("s", VarInit::normal(-65.0, 5.0))
        .init("a", VarInit::uniform(-1.0, 1.0))
        .init("b", VarInit::gamma(2.0, 3.0))
        .init("c", VarInit::normal(0.0, 1e4))
        .init("d", VarInit::binomial(1000, 0.4))
        .init("e", VarInit::exponential(1e-3))
        .init(
            "f",
            codes.var_init(Ramp {
                start: 10.0,
                step: 3.0,
            }),
        )
        .init("g", VarInit::uniform(0.0, 300.0))
        .init("h", VarInit::Constant(65535.0))
        .init("k", VarInit::binomial(1, 0.5))
        .build()
        .unwrap();
    let b = net
        .add_population("B", 70, lif())
        .init("v", VarInit::normal_clipped(-60.0, 5.0, -70.0, -50.0))
        .init("refrac_time", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("AA", a, a, TypedSyn {}, PsmVar {})
        .connectivity(Connectivity::FixedProbability {
            p: 0.3,
            autapses: false,
        })
        .wu_init("g", VarInit::normal(0.5, 0.1))
        .wu_init("n", VarInit::uniform(0.0, 1000.0))
        .wu_init("flag", VarInit::binomial(1, 0.5))
        .wu_init("x", codes.var_init(Mixed { a: 1.5 }))
        .wu_init("y", VarInit::gamma(0.3, 1.0))
        .psm_init("r", VarInit::uniform(0.5, 1.5))
        .psm_init("m", VarInit::binomial(100, 0.5))
        .build()
        .unwrap();
    net.add_synapse_group("AB", a, b, StaticPulse {}, PsmVar {})
        .connectivity(Connectivity::FixedNumberPre {
            n: 5,
            autapses: false,
        })
        .wu_init(
            "g",
            codes.var_init(Ramp {
                start: 0.0,
                step: 0.001,
            }),
        )
        .psm_init("r", 1.0)
        .psm_init(
            "m",
            VarInit::Values((0..70).map(|x| x as f64 - 35.0).collect()),
        )
        .build()
        .unwrap();
    net.add_synapse_group("BA", b, a, StaticPulseDendriticDelay {}, PsmVar {})
        .connectivity(Connectivity::FixedNumberTotal { n: 3000 })
        .max_dendritic_delay(7)
        .wu_init("g", VarInit::exponential(2.0))
        .wu_init("d", VarInit::uniform(0.0, 7.0))
        .psm_init("r", VarInit::normal(1.0, 0.1))
        .psm_init("m", 3.0)
        .build()
        .unwrap();
    let (pre, post): (Vec<u32>, Vec<u32>) = (0..500u32)
        .map(|k| ((k * 7919) % 70, (k * 104_729) % 70))
        .unzip();
    let values: Vec<f64> = (0..500).map(|k| k as f64 * 0.5).collect();
    net.add_synapse_group("BB", b, b, StaticPulse {}, PsmVar {})
        .connectivity(Connectivity::Explicit { pre, post })
        .wu_init("g", VarInit::Values(values))
        .psm_init("r", 0.0)
        .psm_init("m", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("AB2", a, b, StaticPulse {}, PsmVar {})
        .connectivity(codes.connectivity(Bernoulli { p: 0.1 }))
        .wu_init("g", VarInit::gamma(2.0, 0.5))
        .psm_init("r", 0.0)
        .psm_init("m", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("BBring", b, b, StaticPulse {}, PsmVar {})
        .connectivity(codes.connectivity(RingSuccessors { k: 3.0 }))
        .wu_init("g", 0.25)
        .psm_init("r", 0.0)
        .psm_init("m", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("AB3", a, b, StaticPulse {}, PsmVar {})
        .connectivity(Connectivity::AllToAll { autapses: true })
        .wu_init("g", VarInit::uniform(-1.0, 1.0))
        .psm_init("r", 0.0)
        .psm_init("m", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("BB1", b, b, StaticPulse {}, PsmVar {})
        .connectivity(Connectivity::OneToOne)
        .wu_init("g", VarInit::normal(0.0, 1.0))
        .psm_init("r", 0.0)
        .psm_init("m", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("AA2", a, a, StaticPulse {}, PsmVar {})
        .connectivity(Connectivity::FixedNumberPost {
            n: 100,
            autapses: false,
        })
        .wu_init("g", VarInit::binomial(7, 0.4))
        .psm_init("r", 0.0)
        .psm_init("m", 0.0)
        .build()
        .unwrap();
    net.add_current_source(
        "noise",
        a,
        PoissonExp {
            weight: 1.0,
            tau_syn: 5.0,
            rate: 100.0,
        },
    )
    .init("current", VarInit::normal_clipped(0.0, 1.0, 0.0, 1.0))
    .build()
    .unwrap();
    net
}

/// `init_on_device` produces every buffer the runtime would upload from
/// `InitialState::new`: neuron, weight-update (ragged, padding zero),
/// postsynaptic and current-source variables, row lengths and targets.
fn networks<D: Device>(d: &D, dialect: Dialect, place: Place) {
    for p in [Precision::F32, Precision::F64] {
        let mut codes = SnippetCodes::default();
        let net = network(p, &mut codes);
        let host = InitialState::new(&net).unwrap();
        let state = init_on_device(d, &net, dialect, &codes).unwrap();
        let mut fallbacks = state.host_fallbacks.clone();
        fallbacks.sort();
        assert_eq!(
            fallbacks,
            [
                "synapse group `AB` (postsynaptic model): variable `m`: explicit values are \
                 uploaded",
                "synapse group `BB` (weight update): variable `g`: explicit values are uploaded",
                "synapse group `BB`: connectivity: explicit synapse lists are built on the host",
            ]
        );
        let mut failures = Vec::new();
        let mut compare = |what: String, buf: &D::Buffer, want: &[u8], ty| {
            let got = read_bytes(d, buf, want.len());
            if let Some(diff) = check_values(&got, want, ty, p) {
                failures.push(format!("{what}: {diff}"));
            }
        };
        for (pi, pop) in net.populations().iter().enumerate() {
            let vars = pop.part.model.fields_of(FieldKind::Var);
            for (k, f) in vars.enumerate() {
                compare(
                    format!("{p:?} population {} `{}`", pop.name, f.name),
                    state.populations[pi][k].as_ref().unwrap(),
                    &host.populations[pi][k].to_bytes(),
                    f.ty,
                );
            }
        }
        for (gi, g) in net.synapse_groups().iter().enumerate() {
            let (hg, dg) = (&host.synapse_groups[gi], &state.synapse_groups[gi]);
            let c = &hg.connectivity;
            assert_eq!(dg.num_synapses, c.num_synapses(), "{}", g.name);
            assert!(dg.max_row >= c.max_row_length().max(1), "{}", g.name);
            let stride = dg.max_row as usize;
            compare(
                format!("{p:?} group {} row lengths", g.name),
                dg.row_length.as_ref().unwrap(),
                bytemuck::cast_slice(&c.row_lengths()),
                IrType::U32,
            );
            compare(
                format!("{p:?} group {} targets", g.name),
                dg.ind.as_ref().unwrap(),
                &ragged(c, bytemuck::cast_slice(&c.ind), 4, stride),
                IrType::U32,
            );
            let vars = g.wu.model.fields_of(FieldKind::Var);
            for (k, f) in vars.enumerate() {
                let e = storage_bytes(f.ty, p);
                compare(
                    format!("{p:?} group {} weight-update `{}`", g.name, f.name),
                    dg.wu_vars[k].as_ref().unwrap(),
                    &ragged(c, &hg.wu_vars[k].to_bytes(), e, stride),
                    f.ty,
                );
            }
            for (k, arr) in hg.psm_vars.iter().enumerate() {
                let ty = match k {
                    0 => IrType::Scalar,
                    _ => g.psm.model.nth(FieldKind::Var, k - 1).unwrap().ty,
                };
                compare(
                    format!("{p:?} group {} postsynaptic {k}", g.name),
                    dg.psm_vars[k].as_ref().unwrap(),
                    &arr.to_bytes(),
                    ty,
                );
            }
        }
        for (si, cs) in net.current_sources().iter().enumerate() {
            let vars = cs.part.model.fields_of(FieldKind::Var);
            for (k, f) in vars.enumerate() {
                compare(
                    format!("{p:?} current source {} `{}`", cs.name, f.name),
                    state.current_sources[si][k].as_ref().unwrap(),
                    &host.current_sources[si][k].to_bytes(),
                    f.ty,
                );
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));

        // Without snippet code the snippets run on the host, with the same
        // result (device-independent: checked in C only, sparing PoCL a compile).
        if place != Place::HostC {
            continue;
        }
        let state = init_on_device(d, &net, dialect, &NoSnippetCode).unwrap();
        assert_eq!(
            state.host_fallbacks.len(),
            3 + 5,
            "{:?}",
            state.host_fallbacks
        );
        for (gi, g) in net.synapse_groups().iter().enumerate() {
            let (hg, dg) = (&host.synapse_groups[gi], &state.synapse_groups[gi]);
            let c = &hg.connectivity;
            let want = ragged(c, bytemuck::cast_slice(&c.ind), 4, dg.max_row as usize);
            let got = read_bytes(d, dg.ind.as_ref().unwrap(), want.len());
            assert!(got == want, "{p:?} {}: rows differ", g.name);
        }
    }
}

#[test]
fn networks_match_initial_state_in_c() {
    networks(&HostC::new(), Dialect::Cuda, Place::HostC);
}

#[test]
fn networks_match_initial_state_on_opencl() {
    if let Some(d) = opencl("networks_match_initial_state_on_opencl") {
        networks(&d, Dialect::OpenCl, Place::Device);
    }
}

/// A dendritic delay above the maximum is reported as `InitialState` reports
/// it, and the runtime's buffers can be taken by their `Contents`.
#[test]
fn delays_above_the_maximum_are_reported() {
    let d = HostC::new();
    let mut net = Network::new(0.1).unwrap();
    let a = net
        .add_population("A", 50, lif())
        .init("v", -65.0)
        .init("refrac_time", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("S", a, a, StaticPulseDendriticDelay {}, PsmVar {})
        .connectivity(Connectivity::FixedProbability {
            p: 0.2,
            autapses: true,
        })
        .max_dendritic_delay(6)
        .wu_init("g", 1.0)
        .wu_init("d", VarInit::normal(3.0, 5.0))
        .psm_init("r", 0.0)
        .psm_init("m", 0.0)
        .build()
        .unwrap();
    let host = InitialState::new(&net).unwrap_err();
    let dev = init_on_device(&d, &net, Dialect::Cuda, &NoSnippetCode)
        .err()
        .expect("the delay check must fail")
        .into_core("test");
    assert_eq!(dev.to_string(), host.to_string());

    // Within the maximum: fine, and every initialised buffer can be taken once.
    let mut ok = Network::new(0.1).unwrap();
    let a = ok
        .add_population("A", 50, lif())
        .init("v", -65.0)
        .init("refrac_time", 0.0)
        .build()
        .unwrap();
    ok.add_synapse_group("S", a, a, StaticPulseDendriticDelay {}, PsmVar {})
        .connectivity(Connectivity::FixedProbability {
            p: 0.2,
            autapses: true,
        })
        .max_dendritic_delay(6)
        .wu_init("g", 1.0)
        .wu_init("d", VarInit::uniform(0.0, 7.0))
        .psm_init("r", 0.0)
        .psm_init("m", 0.0)
        .build()
        .unwrap();
    let mut state = init_on_device(&d, &ok, Dialect::Cuda, &NoSnippetCode).unwrap();
    let plan = snn_kernels::network::generate(
        &ok,
        &state
            .synapse_groups
            .iter()
            .map(|g| g.max_row)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let mut taken = 0;
    for spec in &plan.buffers {
        if let Some(buf) = state.take(&spec.contents) {
            assert!(buf.bytes >= spec.bytes(), "{}", spec.name);
            taken += 1;
        }
        assert!(state.take(&spec.contents).is_none());
    }
    // v, refrac_time; row lengths, targets, g, d; in_syn, r, m.
    assert_eq!(taken, 9);
}

/// Which snippets a source knows: registered instances only.
#[test]
fn snippet_codes_are_found_by_instance() {
    let mut codes = SnippetCodes::default();
    let a = codes.var_init(Ramp {
        start: 1.0,
        step: 2.0,
    });
    let b = VarInit::snippet(Ramp {
        start: 1.0,
        step: 2.0,
    });
    let (VarInit::Snippet(sa), VarInit::Snippet(sb)) = (a.clone(), b) else {
        unreachable!()
    };
    let code = codes.var_init_code(&*sa).unwrap();
    assert_eq!(code.constants, vec![1.0, 2.0]);
    assert!(codes.var_init_code(&*sb).is_none());
    let c = codes.connectivity(Bernoulli { p: 0.25 });
    let Connectivity::Snippet(sc) = &c else {
        unreachable!()
    };
    let code = codes.connectivity_code(&**sc).unwrap();
    assert_eq!(code.constants, vec![0.25, 1.0 / (0.75f64).ln()]);
}
