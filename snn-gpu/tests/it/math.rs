//! The kernel prelude's `exp`, `exp_m1` and `ln` (`snn_exp_f32`, ...,
//! `snn_ln_f64`: `snn_kernels::cgen`'s `math.h`) compute the bits of
//! `snn_core::math`'s Rust functions, which the CPU backend runs, for every
//! input tried: one `f32` bit pattern in 1021 (all exponents, signs,
//! subnormals), a million random `f64` bit patterns, dense sweeps of the
//! ranges model code uses, and the special values (zeros, infinities, NaN,
//! the overflow and underflow thresholds and their neighbours).
//!
//! Checked on the host-C device of `init_kernels` (the CUDA program built by
//! the system C compiler, so this checks the C text itself) and on OpenCL
//! (PoCL in CI, so this checks an OpenCL compiler's floating point too);
//! NVRTC compiles the same prelude in `kernel_compile`.

use crate::init_kernels::{opencl, HostC};
use snn_core::math::Elementary;
use snn_core::Precision;
use snn_gpu::device::{Arg, Device, LaunchDims};
use snn_kernels::dialect::{program, Dialect};

/// The three functions, in the order the kernel writes them.
const NAMES: [&str; 3] = ["exp", "exp_m1", "ln"];

/// Values every function must get right: specials, thresholds, neighbours.
fn specials() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE,
        f64::EPSILON,
        f64::MAX,
        f64::MIN,
        88.72284,
        -103.97208,
        88.0,
        -87.0,
        709.78,
        -745.13,
        -708.4,
        1e-300,
        5e-324,
        std::f64::consts::LN_2,
        1e-8,
        -1e-8,
        37.0,
        -37.0,
    ];
    let around: Vec<f64> = v
        .iter()
        .filter(|x| x.is_finite() && **x != 0.0)
        .flat_map(|&x| [next_up(x), next_down(x)])
        .collect();
    v.extend(around);
    v
}

/// The next float above a non-zero finite `x` (`f64::next_up`, for the MSRV).
fn next_up(x: f64) -> f64 {
    f64::from_bits(if x > 0.0 {
        x.to_bits() + 1
    } else {
        x.to_bits() - 1
    })
}

/// The next float below a non-zero finite `x`.
fn next_down(x: f64) -> f64 {
    f64::from_bits(if x > 0.0 {
        x.to_bits() - 1
    } else {
        x.to_bits() + 1
    })
}

/// A small deterministic generator (the inputs need not be good random numbers).
fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state
}

/// `f32` inputs: one bit pattern in 1021, the specials, sweeps of [-20, 20].
fn inputs_f32() -> Vec<f32> {
    let mut v: Vec<f32> = (0..=u32::MAX).step_by(1021).map(f32::from_bits).collect();
    v.extend(specials().iter().map(|&x| x as f32));
    v.extend(
        [f32::MIN_POSITIVE, 1e-45, 88.72283, 88.72285]
            .iter()
            .flat_map(|&x| {
                let b = x.to_bits();
                [x, -x, f32::from_bits(b + 1), f32::from_bits(b - 1)]
            }),
    );
    v.extend((0..=200_000).map(|k| -20.0 + 40.0 * k as f32 / 200_000.0));
    v
}

/// `f64` inputs: random bit patterns, random values of moderate size, dense
/// sweeps of [-1, 1] and [-800, 800], and the specials.
fn inputs_f64() -> Vec<f64> {
    let mut s = 7u64;
    let mut v: Vec<f64> = (0..1_000_000)
        .map(|_| f64::from_bits(lcg(&mut s)))
        .collect();
    v.extend((0..500_000).map(|_| {
        let r = lcg(&mut s);
        let mag = (r >> 11) as f64 / (1u64 << 53) as f64;
        let e = (r % 24) as i32 - 12;
        if r & 1 == 0 {
            mag * 2f64.powi(e)
        } else {
            -mag * 2f64.powi(e)
        }
    }));
    v.extend((0..=200_000).map(|k| -1.0 + 2.0 * k as f64 / 200_000.0));
    v.extend((0..=200_000).map(|k| -800.0 + 1600.0 * k as f64 / 200_000.0));
    v.extend(specials());
    v
}

/// The kernel: `out[3 i + k]` is function `k` of `x[i]`.
fn kernel(scalar: &str, suffix: &str) -> String {
    format!(
        "KERNEL void elementary(GLOBAL {scalar}* x, GLOBAL {scalar}* out, unsigned int n)\n{{\n    \
         const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    \
         if (i < n) {{\n        out[3u * i] = snn_exp_{suffix}(x[i]);\n        \
         out[3u * i + 1u] = snn_exp_m1_{suffix}(x[i]);\n        \
         out[3u * i + 2u] = snn_ln_{suffix}(x[i]);\n    }}\n}}\n"
    )
}

/// Runs the kernel on `inputs` (their bytes, `size` bytes each); returns the
/// output bytes.
fn run<D: Device>(dev: &D, dialect: Dialect, p: Precision, inputs: &[u8], size: usize) -> Vec<u8> {
    let (scalar, suffix) = match p {
        Precision::F32 => ("float", "f32"),
        Precision::F64 => ("double", "f64"),
    };
    dev.compile(&program(dialect, p, &kernel(scalar, suffix)))
        .unwrap();
    let n = inputs.len() / size;
    let x = dev.alloc_zeroed(inputs.len()).unwrap();
    dev.write(&x, 0, inputs).unwrap();
    let out = dev.alloc_zeroed(3 * inputs.len()).unwrap();
    let dims = LaunchDims {
        blocks: (n as u32).div_ceil(64),
        threads: 64,
    };
    let args = [Arg::Buffer(&x), Arg::Buffer(&out), Arg::U32(n as u32)];
    dev.launch("elementary", dims, &args).unwrap();
    let mut bytes = vec![0u8; 3 * inputs.len()];
    dev.read(&out, 0, &mut bytes).unwrap();
    bytes
}

/// Compares the device's bits with the Rust functions' (NaNs compare equal
/// whatever their payload); panics with the first differences.
fn compare<T: Elementary + Into<f64>>(device: &str, inputs: &[T], got: &[T], bits: fn(T) -> u64) {
    let fs: [fn(T) -> T; 3] = [T::exp, T::exp_m1, T::ln];
    let mut bad = Vec::new();
    for (i, &x) in inputs.iter().enumerate() {
        for (k, f) in fs.iter().enumerate() {
            let (want, have) = (f(x), got[3 * i + k]);
            let nan = |v: T| v.into().is_nan();
            if bits(want) != bits(have) && !(nan(want) && nan(have)) {
                bad.push(format!(
                    "{}({:e}) = {:e} in Rust, {:e} on {device}",
                    NAMES[k],
                    x.into(),
                    want.into(),
                    have.into()
                ));
            }
        }
    }
    let shown: Vec<&String> = bad.iter().take(12).collect();
    assert!(
        bad.is_empty(),
        "{} of {} values differ on {device}: {shown:#?}",
        bad.len(),
        3 * inputs.len()
    );
}

/// Runs both precisions on `dev` and compares them with the Rust functions.
fn check<D: Device>(dev: &D, dialect: Dialect, device: &str) {
    let x32 = inputs_f32();
    let got = run(dev, dialect, Precision::F32, bytemuck::cast_slice(&x32), 4);
    let got: Vec<f32> = got
        .chunks_exact(4)
        .map(|c| f32::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    compare(device, &x32, &got, |v| v.to_bits() as u64);
    if !dev.supports_f64() {
        println!("{device}: no f64 support, f64 functions not checked");
        return;
    }
    let x64 = inputs_f64();
    let got = run(dev, dialect, Precision::F64, bytemuck::cast_slice(&x64), 8);
    let got: Vec<f64> = got
        .chunks_exact(8)
        .map(|c| f64::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    compare(device, &x64, &got, f64::to_bits);
}

#[test]
fn host_c_math_is_rusts_bit_for_bit() {
    check(&HostC::new(), Dialect::Cuda, "host C");
}

#[test]
fn opencl_math_is_rusts_bit_for_bit() {
    let Some(dev) = opencl("opencl_math_is_rusts_bit_for_bit") else {
        return;
    };
    check(&dev, Dialect::OpenCl, "OpenCL");
}
