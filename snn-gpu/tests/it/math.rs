//! The kernel prelude's math functions (`snn_exp_f32`, ..., `snn_tanh_f64`:
//! `snn_kernels::cgen`'s `math.h`, `math_powers.h` and `math_trig.h`)
//! compute the bits of `snn_core::math`'s Rust functions ([`Elementary`],
//! [`Powers`], [`Trig`], [`Hyperbolic`]), which the CPU backend runs, for
//! every input tried: one `f32` bit pattern in 1021 (all exponents, signs,
//! subnormals), a million random `f64` bit patterns, dense sweeps of the
//! ranges model code uses, the floats next to the multiples of `pi / 4`
//! (where `sin`, `cos` and `tan` reduce their argument), arguments up to
//! and beyond the `2^23` (`f32`) or `2^52` (`f64`) past which those give
//! NaN, and the special values (zeros, infinities, NaN, the overflow and
//! underflow thresholds, the functions' switch points and their
//! neighbours); the second argument of `powf`, `hypot`, `atan2` (and
//! `powi`'s exponent) runs over other inputs, small exponents and integers,
//! and every pair of special values.
//!
//! Checked on the host-C device of `init_kernels` (the CUDA program built by
//! the system C compiler, so this checks the C text itself) and on OpenCL
//! (PoCL in CI, so this checks an OpenCL compiler's floating point too);
//! NVRTC compiles the same prelude in `kernel_compile`.

use crate::init_kernels::{opencl, HostC};
use snn_core::math::{Elementary, Hyperbolic, Powers, Trig};
use snn_core::Precision;
use snn_gpu::device::{Arg, Device, LaunchDims};
use snn_kernels::dialect::{program, Dialect};

/// One function under test: its name, its C call (of `xv`, `yv`, `nv`;
/// `{s}` is the type suffix) and the Rust function (of `x`, `y`, `n`).
struct Row<T> {
    name: &'static str,
    c: &'static str,
    rust: fn(T, T, i32) -> T,
}

/// The functions, in the order the kernel writes them: a new function is
/// one row.
fn rows<T: Elementary + Powers + Trig + Hyperbolic>() -> Vec<Row<T>> {
    let row = |name, c, rust: fn(T, T, i32) -> T| Row { name, c, rust };
    vec![
        row("exp", "snn_exp_{s}(xv)", |x, _, _| x.exp()),
        row("exp_m1", "snn_exp_m1_{s}(xv)", |x, _, _| x.exp_m1()),
        row("ln", "snn_ln_{s}(xv)", |x, _, _| x.ln()),
        row("exp2", "snn_exp2_{s}(xv)", |x, _, _| x.exp2()),
        row("log2", "snn_log2_{s}(xv)", |x, _, _| x.log2()),
        row("log10", "snn_log10_{s}(xv)", |x, _, _| x.log10()),
        row("ln_1p", "snn_ln_1p_{s}(xv)", |x, _, _| x.ln_1p()),
        row("powf", "snn_powf_{s}(xv, yv)", |x, y, _| x.powf(y)),
        row("powi", "snn_powi_{s}(xv, nv)", |x, _, n| x.powi(n)),
        row("cbrt", "snn_cbrt_{s}(xv)", |x, _, _| x.cbrt()),
        row("hypot", "snn_hypot_{s}(xv, yv)", |x, y, _| x.hypot(y)),
        row("sin", "snn_sin_{s}(xv)", |x, _, _| x.sin()),
        row("cos", "snn_cos_{s}(xv)", |x, _, _| x.cos()),
        row("tan", "snn_tan_{s}(xv)", |x, _, _| x.tan()),
        row("asin", "snn_asin_{s}(xv)", |x, _, _| x.asin()),
        row("acos", "snn_acos_{s}(xv)", |x, _, _| x.acos()),
        row("atan", "snn_atan_{s}(xv)", |x, _, _| x.atan()),
        row("atan2", "snn_atan2_{s}(xv, yv)", |x, y, _| x.atan2(y)),
        row("sinh", "snn_sinh_{s}(xv)", |x, _, _| x.sinh()),
        row("cosh", "snn_cosh_{s}(xv)", |x, _, _| x.cosh()),
        row("tanh", "snn_tanh_{s}(xv)", |x, _, _| x.tanh()),
    ]
}

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
        // The switch points of asin, acos, atan, sinh, cosh and tanh.
        0.625,
        -0.625,
        0.66,
        -0.66,
        0.414_213_562_373_095,
        2.414_213_562_373_095,
        -2.414_213_562_373_095,
        88.029_69,
        -88.029_69,
        709.089_565_712_824_1,
        -709.089_565_712_824_1,
        // The reduction's pi / 4 and the NaN bounds of sin, cos and tan.
        std::f64::consts::FRAC_PI_4,
        -std::f64::consts::FRAC_PI_2,
        std::f64::consts::PI,
        8_388_608.0,
        -8_388_608.0,
        4_503_599_627_370_496.0,
        -4_503_599_627_370_496.0,
        1e-40,
        -1e-310,
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
    v.extend((0..=100_000).map(|k| -1.1 + 2.2 * k as f32 / 100_000.0));
    // Next to the multiples of pi / 4 (k < 2^14, then sparser up to the
    // NaN bound 2^23), and arguments from 2^12 to 2^25 (ratio 2^(1/4096)).
    let quarters = (1..16_384u64).chain((16_384..10_700_000).step_by(997));
    v.extend(quarters.flat_map(|k| {
        let x = (k as f64 * std::f64::consts::FRAC_PI_4) as f32;
        let b = x.to_bits();
        [x, -x, f32::from_bits(b + 1), f32::from_bits(b - 1)]
    }));
    v.extend((0..=13 * 4096).map(|k| 2f32.powf(12.0 + k as f32 / 4096.0)));
    v.extend([8_388_608.0f32, 16_777_216.0].iter().flat_map(|&x| {
        (1..4).flat_map(move |d| {
            let b = x.to_bits();
            [
                f32::from_bits(b + d),
                f32::from_bits(b - d),
                -f32::from_bits(b + d),
            ]
        })
    }));
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
    // Next to the multiples of pi / 4 (k < 2^16, then sparser up to the NaN
    // bound 2^52), and arguments from 2^20 to 2^54 (ratio 2^(1/1024)).
    let quarters = (1..65_536u64).chain((0..100_000).map(|_| lcg(&mut s) >> 12));
    v.extend(quarters.flat_map(|k| {
        let x = k as f64 * std::f64::consts::FRAC_PI_4;
        let b = x.to_bits();
        [x, -x, f64::from_bits(b + 1), f64::from_bits(b - 1)]
    }));
    v.extend((0..=34 * 1024).map(|k| 2f64.powf(20.0 + k as f64 / 1024.0)));
    v.extend((1..4).flat_map(|d| {
        let b = 4_503_599_627_370_496f64.to_bits();
        [
            f64::from_bits(b + d),
            f64::from_bits(b - d),
            -f64::from_bits(b + d),
        ]
    }));
    v.extend(specials());
    v
}

/// The second arguments for `xs`: every other one another input, the
/// others small exponents (integers, halves, tenths) and extremes; and
/// `powi`'s exponents.
fn second<T: Copy + From<f32>>(xs: &[T]) -> (Vec<T>, Vec<i32>) {
    let small = |i: usize| -> f32 {
        match i % 5 {
            0 => (i / 10 % 81) as f32 - 40.0,
            1 => (i / 10 % 41) as f32 * 0.5 - 10.0,
            2 => (i / 10 % 201) as f32 * 0.1 - 10.0,
            3 => [1e-7, -1e-7, 1e6, -1e6, 3e7, 1e30, -1e30, 0.0][i / 10 % 8],
            _ => [0.75, 1.0 / 3.0, -2.5, 2.0, 0.5, -1.0][i / 10 % 6],
        }
    };
    let ys = (0..xs.len())
        .map(|i| {
            if i % 2 == 0 {
                xs[(i * 7919 + 13) % xs.len()]
            } else {
                T::from(small(i / 2))
            }
        })
        .collect();
    let ns = (0..xs.len())
        .map(|i| match i % 997 {
            0 => i32::MAX,
            1 => i32::MIN,
            2 => 1000 - (i % 2001) as i32,
            k => (k % 81) as i32 - 40,
        })
        .collect();
    (ys, ns)
}

/// Appends every pair of `specials` (as `x` and as the second argument, with
/// exponent 0): `atan2`'s signed zeros and infinities, `powf`'s edges.
fn special_pairs<T: Copy>((x, y, n): (&mut Vec<T>, &mut Vec<T>, &mut Vec<i32>), specials: &[T]) {
    for &a in specials {
        for &b in specials {
            x.push(a);
            y.push(b);
            n.push(0);
        }
    }
}

/// The kernel: `out[k i + j]` is function `j` of the `k` of [`rows`] at
/// argument `i`.
fn kernel(scalar: &str, suffix: &str) -> String {
    let rows = rows::<f32>();
    let k = rows.len();
    let calls: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(j, r)| {
            format!(
                "        out[{k}u * i + {j}u] = {};\n",
                r.c.replace("{s}", suffix)
            )
        })
        .collect();
    format!(
        "KERNEL void elementary(GLOBAL {scalar}* x, GLOBAL {scalar}* y, GLOBAL int* n, \
         GLOBAL {scalar}* out, unsigned int count)\n{{\n    \
         const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    \
         if (i < count) {{\n        const {scalar} xv = x[i], yv = y[i];\n        \
         const int nv = n[i];\n{}    }}\n}}\n",
        calls.concat()
    )
}

/// Runs the kernel on `x`, `y` (their bytes, `size` bytes each) and `n`;
/// returns the output bytes.
fn run<D: Device>(
    dev: &D,
    dialect: Dialect,
    p: Precision,
    (x, y, n): (&[u8], &[u8], &[i32]),
    size: usize,
) -> Vec<u8> {
    let (scalar, suffix) = match p {
        Precision::F32 => ("float", "f32"),
        Precision::F64 => ("double", "f64"),
    };
    dev.compile(&program(dialect, p, &kernel(scalar, suffix)))
        .unwrap();
    let count = x.len() / size;
    let k = rows::<f32>().len();
    let buffer = |bytes: &[u8]| {
        let b = dev.alloc_zeroed(bytes.len()).unwrap();
        dev.write(&b, 0, bytes).unwrap();
        b
    };
    let (xb, yb, nb) = (buffer(x), buffer(y), buffer(bytemuck::cast_slice(n)));
    let out = dev.alloc_zeroed(k * x.len()).unwrap();
    let dims = LaunchDims {
        blocks: (count as u32).div_ceil(64),
        threads: 64,
    };
    let args = [
        Arg::Buffer(&xb),
        Arg::Buffer(&yb),
        Arg::Buffer(&nb),
        Arg::Buffer(&out),
        Arg::U32(count as u32),
    ];
    dev.launch("elementary", dims, &args).unwrap();
    let mut bytes = vec![0u8; k * x.len()];
    dev.read(&out, 0, &mut bytes).unwrap();
    bytes
}

/// Compares the device's bits with the Rust functions' (NaNs compare equal
/// whatever their payload); panics with the first differences.
fn compare<T: Elementary + Powers + Trig + Hyperbolic + Into<f64>>(
    device: &str,
    (x, y, n): (&[T], &[T], &[i32]),
    got: &[T],
    bits: fn(T) -> u64,
) {
    let rows = rows::<T>();
    let k = rows.len();
    let mut bad = Vec::new();
    for i in 0..x.len() {
        for (j, r) in rows.iter().enumerate() {
            let (want, have) = ((r.rust)(x[i], y[i], n[i]), got[k * i + j]);
            let nan = |v: T| v.into().is_nan();
            if bits(want) != bits(have) && !(nan(want) && nan(have)) {
                bad.push(format!(
                    "{}({:e}, {:e}, {}) = {:e} in Rust, {:e} on {device}",
                    r.name,
                    x[i].into(),
                    y[i].into(),
                    n[i],
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
        k * x.len()
    );
    println!("{device}: {} values agree", k * x.len());
}

/// Runs both precisions on `dev` and compares them with the Rust functions.
fn check<D: Device>(dev: &D, dialect: Dialect, device: &str) {
    let mut x32 = inputs_f32();
    let (mut y32, mut n) = second(&x32);
    let s32: Vec<f32> = specials().iter().map(|&v| v as f32).collect();
    special_pairs((&mut x32, &mut y32, &mut n), &s32);
    let args = (
        bytemuck::cast_slice(&x32),
        bytemuck::cast_slice(&y32),
        &n[..],
    );
    let got = run(dev, dialect, Precision::F32, args, 4);
    let got: Vec<f32> = got
        .chunks_exact(4)
        .map(|c| f32::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    compare(device, (&x32, &y32, &n), &got, |v| v.to_bits() as u64);
    if !dev.supports_f64() {
        println!("{device}: no f64 support, f64 functions not checked");
        return;
    }
    let mut x64 = inputs_f64();
    let (mut y64, mut n) = second(&x64);
    special_pairs((&mut x64, &mut y64, &mut n), &specials());
    let args = (
        bytemuck::cast_slice(&x64),
        bytemuck::cast_slice(&y64),
        &n[..],
    );
    let got = run(dev, dialect, Precision::F64, args, 8);
    let got: Vec<f64> = got
        .chunks_exact(8)
        .map(|c| f64::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    compare(device, (&x64, &y64, &n), &got, f64::to_bits);
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
