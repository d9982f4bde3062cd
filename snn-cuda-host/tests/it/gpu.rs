//! Execution on a real CUDA GPU. Without a driver or a device these tests
//! print `SKIPPED: no CUDA device: ...` and pass, unless `SNN_REQUIRE_CUDA=1`,
//! which makes them fail. NVRTC is needed too (see tests/nvrtc.rs).

use snn_core::Precision;
use snn_cuda_host::{cuda_available, Arg, CudaBuffer, CudaDevice, Device, DeviceError, LaunchDims};
use snn_kernels::dialect::{program, Dialect};

/// Prints `msg` on stderr even while libtest captures output.
fn loud(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn required() -> bool {
    std::env::var("SNN_REQUIRE_CUDA").is_ok_and(|v| v == "1")
}

/// Device 0, or `None` (after a loud message) when there is none and it is
/// not required.
fn device_or_skip(test: &str) -> Option<CudaDevice> {
    match CudaDevice::new(0) {
        Ok(d) => {
            loud(&format!("{test}: {}", d.description()));
            Some(d)
        }
        Err(e) => {
            if required() {
                panic!("SNN_REQUIRE_CUDA=1 but no CUDA device can be used: {e}");
            }
            loud(&format!(
                "SKIPPED: no CUDA device: {e} -- {test} did not run"
            ));
            None
        }
    }
}

const BODY: &str = r#"
KERNEL void snn_exec(GLOBAL float* sum_f, GLOBAL double* sum_d, GLOBAL unsigned int* bits,
                     GLOBAL unsigned int* counter, GLOBAL unsigned int* per_block,
                     GLOBAL snn_u64* wide, unsigned int n, snn_u64 base, float xf, double xd) {
    SHARED unsigned int block_count;
    if (LOCAL_ID == 0u) block_count = 0u;
    BARRIER();
    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;
    if (i < n) {
        ATOMIC_ADD_F32(sum_f, xf);
        ATOMIC_ADD_F64(sum_d, xd * (double)i);
        ATOMIC_OR_U32(&bits[i / 32u], 1u << (i % 32u));
        (void)ATOMIC_INC_U32(counter);
        (void)ATOMIC_INC_U32_SHARED(&block_count);
        wide[i] = base + (snn_u64)i;
    }
    BARRIER();
    if (LOCAL_ID == 0u) per_block[GROUP_ID] = block_count;
}

KERNEL void snn_scale(GLOBAL float* x, unsigned int n, float a) {
    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;
    if (i < n) x[i] = x[i] * a + 1.0f;
}
"#;

fn read_vec<T: Copy + Default>(
    d: &CudaDevice,
    buf: &CudaBuffer,
    n: usize,
    from: fn(&[u8]) -> T,
) -> Vec<T> {
    let size = std::mem::size_of::<T>();
    let mut bytes = vec![0u8; n * size];
    d.read(buf, 0, &mut bytes).expect("read");
    bytes.chunks_exact(size).map(from).collect()
}

#[test]
fn runs_the_dialect_atomics_and_copies() {
    let Some(d) = device_or_skip("runs_the_dialect_atomics_and_copies") else {
        return;
    };
    assert!(d.description().starts_with("CUDA: "));
    assert!(d.description().ends_with(&format!("({})", d.arch())));
    assert!(d.supports_f64());
    d.compile(&program(Dialect::Cuda, Precision::F32, BODY))
        .expect("compile");

    let n: u32 = 1000;
    let (blocks, threads) = (8u32, 128u32);
    let nu = n as usize;
    let sum_f = d.alloc_zeroed(4).unwrap();
    let sum_d = d.alloc_zeroed(8).unwrap();
    let bits = d.alloc_zeroed(4 * 32).unwrap();
    let counter = d.alloc_zeroed(4).unwrap();
    let per_block = d.alloc_zeroed(4 * blocks as usize).unwrap();
    let wide = d.alloc_zeroed(8 * nu).unwrap();
    // A nonzero start for the counter.
    d.write(&counter, 0, &7u32.to_le_bytes()).unwrap();
    let base: u64 = 1 << 40;
    d.launch(
        "snn_exec",
        LaunchDims { blocks, threads },
        &[
            Arg::Buffer(&sum_f),
            Arg::Buffer(&sum_d),
            Arg::Buffer(&bits),
            Arg::Buffer(&counter),
            Arg::Buffer(&per_block),
            Arg::Buffer(&wide),
            Arg::U32(n),
            Arg::U64(base),
            Arg::F32(0.5),
            Arg::F64(0.25),
        ],
    )
    .expect("launch");

    let f = read_vec(&d, &sum_f, 1, |b| f32::from_le_bytes(b.try_into().unwrap()));
    assert_eq!(f[0], 0.5 * n as f32);
    let s = read_vec(&d, &sum_d, 1, |b| f64::from_le_bytes(b.try_into().unwrap()));
    assert_eq!(s[0], 0.25 * (0..n).map(f64::from).sum::<f64>());
    let words = read_vec(&d, &bits, 32, |b| u32::from_le_bytes(b.try_into().unwrap()));
    for (w, &word) in words.iter().enumerate() {
        let expect = (0..32u32)
            .filter(|b| w as u32 * 32 + b < n)
            .fold(0u32, |acc, b| acc | (1 << b));
        assert_eq!(word, expect, "bits word {w}");
    }
    let c = read_vec(&d, &counter, 1, |b| {
        u32::from_le_bytes(b.try_into().unwrap())
    });
    assert_eq!(c[0], 7 + n);
    let pb = read_vec(&d, &per_block, blocks as usize, |b| {
        u32::from_le_bytes(b.try_into().unwrap())
    });
    let expect_pb: Vec<u32> = (0..blocks)
        .map(|b| (n - (b * threads).min(n)).min(threads))
        .collect();
    assert_eq!(pb, expect_pb);
    let wv = read_vec(&d, &wide, nu, |b| u64::from_le_bytes(b.try_into().unwrap()));
    assert!(wv.iter().enumerate().all(|(i, &v)| v == base + i as u64));

    // Offsets: write a middle part, read it back alone, launch, read all.
    let xs = d.alloc_zeroed(4 * 10).unwrap();
    let part: Vec<u8> = [1.0f32, 2.0, 3.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    d.write(&xs, 4 * 4, &part).unwrap();
    let mut back = vec![0u8; part.len()];
    d.read(&xs, 4 * 4, &mut back).unwrap();
    assert_eq!(back, part);
    d.launch(
        "snn_scale",
        LaunchDims {
            blocks: 1,
            threads: 32,
        },
        &[Arg::Buffer(&xs), Arg::U32(10), Arg::F32(3.0)],
    )
    .unwrap();
    let x = read_vec(&d, &xs, 10, |b| f32::from_le_bytes(b.try_into().unwrap()));
    assert_eq!(x, vec![1.0, 1.0, 1.0, 1.0, 4.0, 7.0, 10.0, 1.0, 1.0, 1.0]);
    d.zero(&xs).unwrap();
    let x = read_vec(&d, &xs, 10, |b| f32::from_le_bytes(b.try_into().unwrap()));
    assert_eq!(x, vec![0.0; 10]);
    d.synchronize().unwrap();
}

#[test]
fn errors_name_what_failed() {
    let Some(d) = device_or_skip("errors_name_what_failed") else {
        return;
    };
    // Launch before any program.
    let buf = d.alloc_zeroed(16).unwrap();
    match d.launch(
        "snn_scale",
        LaunchDims {
            blocks: 1,
            threads: 1,
        },
        &[],
    ) {
        Err(DeviceError::Failed { operation, .. }) => assert!(operation.contains("snn_scale")),
        other => panic!("{other:?}"),
    }
    // Compile errors show the source.
    let bad = program(
        Dialect::Cuda,
        Precision::F32,
        "KERNEL void k(GLOBAL float* x) { x[0] = nope; }\n",
    );
    match d.compile(&bad) {
        Err(DeviceError::Compile { excerpt, .. }) => assert!(excerpt.contains("nope"), "{excerpt}"),
        other => panic!("{other:?}"),
    }
    d.compile(&program(Dialect::Cuda, Precision::F32, BODY))
        .unwrap();
    match d.launch(
        "no_such_kernel",
        LaunchDims {
            blocks: 1,
            threads: 1,
        },
        &[],
    ) {
        Err(DeviceError::Failed { operation, reason }) => {
            assert!(operation.contains("no_such_kernel"));
            assert!(reason.contains("no_such_kernel"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Out-of-range copies.
    assert!(matches!(
        d.write(&buf, 10, &[0u8; 8]),
        Err(DeviceError::Failed { .. })
    ));
    assert!(matches!(
        d.read(&buf, 17, &mut [0u8; 0]),
        Err(DeviceError::Failed { .. })
    ));
    // An impossible allocation (1 PiB).
    match d.alloc_zeroed(1usize << 50) {
        Err(DeviceError::OutOfMemory { bytes, device, .. }) => {
            assert_eq!(bytes, 1usize << 50);
            assert!(device.starts_with("CUDA: "));
        }
        other => panic!("{other:?}"),
    }
    // The device still works.
    d.synchronize().unwrap();
    let mut out = [1u8; 16];
    d.read(&buf, 0, &mut out).unwrap();
    assert_eq!(out, [0u8; 16]);
}

/// Without a driver (this is the case on machines without an NVIDIA GPU),
/// opening a device is an error that says why, never a panic.
#[test]
fn no_driver_is_an_error_not_a_panic() {
    let probe = cuda_available();
    let opened = std::panic::catch_unwind(|| CudaDevice::new(0).map(|d| d.description()))
        .expect("CudaDevice::new panicked");
    match (&probe, &opened) {
        (Ok(()), Ok(desc)) => loud(&format!(
            "no_driver_is_an_error_not_a_panic: CUDA present ({desc})"
        )),
        (Err(p), Err(e)) => {
            assert_eq!(p, e, "the probe and the constructor disagree");
            let msg = e.to_string();
            assert!(
                matches!(
                    e,
                    DeviceError::LibraryMissing { .. } | DeviceError::NoDevice(_)
                ),
                "{e:?}"
            );
            if let DeviceError::LibraryMissing { library, reason } = e {
                assert!(library.contains("libcuda"), "{library}");
                assert!(reason.contains("libcuda.so"), "{reason}");
            }
            loud(&format!("no_driver_is_an_error_not_a_panic: {msg}"));
        }
        _ => panic!("cuda_available() = {probe:?} but CudaDevice::new(0) = {opened:?}"),
    }
    // An ordinal past the last device is an error everywhere.
    let far = std::panic::catch_unwind(|| CudaDevice::new(1 << 20).map(|_| ())).expect("no panic");
    assert!(far.is_err());
}

/// The device and its buffers can be shared between threads.
#[test]
fn device_and_buffers_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<CudaDevice>();
    check::<CudaBuffer>();
}

/// Timing with CUDA events: every launch is counted under its kernel with
/// a nonzero device time, more launches than are kept pending included;
/// `kernel_times` drains; switched off, nothing is timed.
#[test]
fn timing_counts_launches_and_device_time_per_kernel() {
    let Some(d) = device_or_skip("timing_counts_launches_and_device_time_per_kernel") else {
        return;
    };
    d.compile(&program(Dialect::Cuda, Precision::F32, BODY))
        .expect("compile");
    let n = 256u32;
    let x = d.alloc_zeroed(n as usize * 4).expect("alloc");
    assert!(d.set_timing(true).expect("timing"));
    let dims = LaunchDims {
        blocks: n.div_ceil(64),
        threads: 64,
    };
    let launches = 2100u64; // more than are kept pending (2048)
    for _ in 0..launches {
        d.launch(
            "snn_scale",
            dims,
            &[Arg::Buffer(&x), Arg::U32(n), Arg::F32(1.0)],
        )
        .expect("launch");
    }
    let times = d.kernel_times().expect("kernel times");
    assert_eq!(times.len(), 1, "{times:?}");
    assert_eq!(
        (times[0].name.as_str(), times[0].launches),
        ("snn_scale", launches)
    );
    assert!(!times[0].device_time.is_zero(), "{times:?}");
    let x_out = read_vec(&d, &x, n as usize, |b| {
        f32::from_ne_bytes(b.try_into().unwrap())
    });
    assert!(
        x_out.iter().all(|&v| v == launches as f32),
        "{:?}",
        &x_out[..4]
    );
    assert!(d.kernel_times().expect("kernel times").is_empty());
    assert!(d.set_timing(false).expect("timing"));
    d.launch(
        "snn_scale",
        dims,
        &[Arg::Buffer(&x), Arg::U32(n), Arg::F32(1.0)],
    )
    .expect("launch");
    assert!(d.kernel_times().expect("kernel times").is_empty());
}
