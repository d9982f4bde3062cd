//! The device clock's time of a step (`snn_step_time`) is the host's
//! `(step as f64 * dt)` in the network precision, bit for bit: in `f32`
//! OpenCL programs, which have no `double`, through integer arithmetic
//! (checked in both of its roundings: to the double, then to the float).

use crate::init_kernels::opencl;
use snn_core::Precision;
use snn_gpu::device::{Arg, Device, LaunchDims};
use snn_kernels::dialect::{program, Dialect};
use snn_kernels::network::step_time_source;

/// Time steps of 0.1 ms and others, plain and awkward.
const DTS: [f64; 16] = [
    0.1,
    0.025,
    0.05,
    1.0 / 3.0,
    0.0625,
    1e-3,
    0.123456789,
    5e-5,
    7.0,
    0.01,
    0.2,
    0.5,
    1.0,
    1e-6,
    3.7e-4,
    0.3,
];

/// Steps 0 to 2,999, around powers of two, odd multiples of them, and
/// spread up to 2^53.
fn steps() -> Vec<u64> {
    let mut s: Vec<u64> = (0..3000).collect();
    for k in [23u32, 24, 25, 31, 32, 33, 40, 47, 52] {
        let p = 1u64 << k;
        s.extend([p - 1, p, p + 1, p + 3]);
    }
    // Small odd multiples of powers of two: products that tie when
    // rounded to 53 bits.
    for o in (1..64u64).step_by(2) {
        for k in 0..44 {
            s.push(o << k);
        }
    }
    let mut x = 12345u64;
    for _ in 0..2000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s.push((x >> 11) >> (x % 40)); // below 2^53, many magnitudes
    }
    s
}

/// `snn_step_time` on the device for every (step, dt) pair, as bits.
fn device_times<D: Device>(dev: &D, p: Precision, steps: &[u64], dt: f64) -> Vec<u64> {
    let (scalar, size) = match p {
        Precision::F32 => ("float", 4),
        Precision::F64 => ("double", 8),
    };
    let kernel = format!(
        "{}KERNEL void times(GLOBAL snn_u64* steps, GLOBAL {scalar}* out, snn_u64 dt_bits, \
         unsigned int n)\n{{\n    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    \
         if (i < n) out[i] = snn_step_time(steps[i], dt_bits);\n}}\n",
        step_time_source(p)
    );
    dev.compile(&program(Dialect::OpenCl, p, &kernel)).unwrap();
    let n = steps.len();
    let input = dev.alloc_zeroed(n * 8).unwrap();
    dev.write(&input, 0, bytemuck::cast_slice(steps)).unwrap();
    let out = dev.alloc_zeroed(n * size).unwrap();
    let dims = LaunchDims {
        blocks: (n as u32).div_ceil(64),
        threads: 64,
    };
    let args = [
        Arg::Buffer(&input),
        Arg::Buffer(&out),
        Arg::U64(dt.to_bits()),
        Arg::U32(n as u32),
    ];
    dev.launch("times", dims, &args).unwrap();
    let mut bytes = vec![0u8; n * size];
    dev.read(&out, 0, &mut bytes).unwrap();
    bytes
        .chunks_exact(size)
        .map(|c| match p {
            Precision::F32 => u32::from_ne_bytes(c.try_into().unwrap()) as u64,
            Precision::F64 => u64::from_ne_bytes(c.try_into().unwrap()),
        })
        .collect()
}

#[test]
fn step_times_are_the_hosts_bit_for_bit() {
    let Some(dev) = opencl("step_times_are_the_hosts_bit_for_bit") else {
        return;
    };
    let steps = steps();
    for p in [Precision::F32, Precision::F64] {
        for dt in DTS {
            let got = device_times(&dev, p, &steps, dt);
            for (&s, &g) in steps.iter().zip(&got) {
                let want = match p {
                    Precision::F32 => ((s as f64 * dt) as f32).to_bits() as u64,
                    Precision::F64 => (s as f64 * dt).to_bits(),
                };
                assert_eq!(g, want, "{p:?}: step {s}, dt {dt}");
            }
        }
    }
}

#[test]
fn the_integer_product_is_the_hosts_double() {
    let Some(dev) = opencl("the_integer_product_is_the_hosts_double") else {
        return;
    };
    let steps = steps();
    let kernel = format!(
        "{}KERNEL void product(GLOBAL snn_u64* steps, GLOBAL snn_u64* out, snn_u64 dt_bits, \
         unsigned int n)\n{{\n    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    \
         if (i < n) out[i] = snn_mul_f64_bits(steps[i], dt_bits);\n}}\n",
        step_time_source(Precision::F32)
    );
    dev.compile(&program(Dialect::OpenCl, Precision::F32, &kernel))
        .unwrap();
    let n = steps.len();
    let input = dev.alloc_zeroed(n * 8).unwrap();
    dev.write(&input, 0, bytemuck::cast_slice(&steps)).unwrap();
    let out = dev.alloc_zeroed(n * 8).unwrap();
    for dt in DTS {
        let args = [
            Arg::Buffer(&input),
            Arg::Buffer(&out),
            Arg::U64(dt.to_bits()),
            Arg::U32(n as u32),
        ];
        let dims = LaunchDims {
            blocks: (n as u32).div_ceil(64),
            threads: 64,
        };
        dev.launch("product", dims, &args).unwrap();
        let mut got = vec![0u64; n];
        dev.read(&out, 0, bytemuck::cast_slice_mut(&mut got))
            .unwrap();
        for (&s, &g) in steps.iter().zip(&got) {
            assert_eq!(g, (s as f64 * dt).to_bits(), "step {s}, dt {dt}");
        }
    }
}
