//! Runs programs assembled by `snn_kernels::dialect::program` on an OpenCL
//! device (PoCL in CI). Without a platform/device the tests print
//! `SKIPPED: ...` and pass, unless `SNN_REQUIRE_OPENCL=1`.

use std::io::Write;

use snn_core::Precision;
use snn_gpu::device::{Arg, Device, DeviceError, LaunchDims};
use snn_kernels::dialect::{program, Dialect};
use snn_opencl_host::{list_devices, DeviceSelection, OpenClBuffer, OpenClDevice};

/// The device, or `None` (test skipped) when OpenCL is not installed.
fn device() -> Option<OpenClDevice> {
    match OpenClDevice::new(DeviceSelection::Any) {
        Ok(d) => Some(d),
        Err(e @ (DeviceError::LibraryMissing { .. } | DeviceError::NoDevice(_))) => {
            if std::env::var("SNN_REQUIRE_OPENCL").as_deref() == Ok("1") {
                panic!("SNN_REQUIRE_OPENCL=1 but no OpenCL device: {e}");
            }
            // Straight to the stderr handle: libtest captures `eprintln!`
            // of passing tests, this shows without `--nocapture`.
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!! SKIPPED: no OpenCL device ({e}) !!!!!!!!\n\
                 (set SNN_REQUIRE_OPENCL=1 to make this a failure; scripts/install-pocl.sh installs PoCL)"
            );
            None
        }
        Err(e) => panic!("opening the OpenCL device failed: {e}"),
    }
}

fn bytes_f32(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

fn read_u32(d: &OpenClDevice, b: &OpenClBuffer, n: usize) -> Vec<u32> {
    let mut raw = vec![0u8; n * 4];
    d.read(b, 0, &mut raw).unwrap();
    raw.chunks_exact(4)
        .map(|c| u32::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

fn read_f32(d: &OpenClDevice, b: &OpenClBuffer, n: usize) -> Vec<f32> {
    let mut raw = vec![0u8; n * 4];
    d.read(b, 0, &mut raw).unwrap();
    raw.chunks_exact(4)
        .map(|c| f32::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

fn read_f64(d: &OpenClDevice, b: &OpenClBuffer, n: usize) -> Vec<f64> {
    let mut raw = vec![0u8; n * 8];
    d.read(b, 0, &mut raw).unwrap();
    raw.chunks_exact(8)
        .map(|c| f64::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

const THREADS: u32 = 64;
const BLOCKS: u32 = 16;
const N: u32 = 1000; // < BLOCKS * THREADS: the tail work-items do nothing

/// Exercises the dialect's macros; `REAL` is `float` or `double`.
const BODY: &str = r#"
KERNEL void exercise(GLOBAL REAL* sum, GLOBAL unsigned int* bits, GLOBAL unsigned int* count,
                     GLOBAL unsigned int* tickets, GLOBAL unsigned int* mirrored,
                     GLOBAL REAL* scaled, GLOBAL const REAL* input, GLOBAL unsigned int* words,
                     snn_u64 big, REAL scale, unsigned int n) {
    SHARED unsigned int tile[64];
    const unsigned int lid = LOCAL_ID;
    const unsigned int gid = GROUP_ID * LOCAL_SIZE + lid;
    tile[lid] = gid;
    BARRIER();
    const unsigned int other = tile[LOCAL_SIZE - 1u - lid];
    if (gid < n) {
        mirrored[gid] = other;
        ATOMIC_ADD(sum, (REAL)((gid % 4u) + 1u) * (REAL)0.25);
        ATOMIC_OR_U32(&bits[gid / 256u], 1u << (gid % 32u));
        tickets[gid] = ATOMIC_INC_U32(count);
        scaled[gid] = input[gid] * scale;
    }
    if (gid == 0u) {
        words[0] = (unsigned int)(big >> 32);
        words[1] = (unsigned int)(big & 0xffffffffu);
        words[2] = LOCAL_SIZE;
    }
}

KERNEL void add_const(GLOBAL unsigned int* x, unsigned int v, unsigned int n) {
    const unsigned int gid = GROUP_ID * LOCAL_SIZE + LOCAL_ID;
    if (gid < n) {
        x[gid] += v;
    }
}
"#;

fn body(precision: Precision) -> String {
    let (real, add) = match precision {
        Precision::F32 => ("float", "ATOMIC_ADD_F32"),
        Precision::F64 => ("double", "ATOMIC_ADD_F64"),
    };
    format!("#define REAL {real}\n#define ATOMIC_ADD {add}\n{BODY}")
}

fn run_exercise(d: &OpenClDevice, precision: Precision) {
    let n = N as usize;
    let size = match precision {
        Precision::F32 => 4,
        Precision::F64 => 8,
    };
    d.compile(&program(Dialect::OpenCl, precision, &body(precision)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.kernel_names(), ["add_const", "exercise"]);

    let sum = d.alloc_zeroed(size).unwrap();
    let bits = d.alloc_zeroed(4 * 4).unwrap();
    let count = d.alloc_zeroed(4).unwrap();
    let tickets = d.alloc_zeroed(4 * n).unwrap();
    let mirrored = d.alloc_zeroed(4 * n).unwrap();
    let scaled = d.alloc_zeroed(size * n).unwrap();
    let input = d.alloc_zeroed(size * n).unwrap();
    let words = d.alloc_zeroed(4 * 3).unwrap();

    // The input, written in two parts at offsets.
    let input_host: Vec<f64> = (0..n).map(|i| i as f64 * 1.37 - 100.0).collect();
    let input_bytes: Vec<u8> = match precision {
        Precision::F32 => input_host
            .iter()
            .flat_map(|&x| (x as f32).to_ne_bytes())
            .collect(),
        Precision::F64 => input_host.iter().flat_map(|x| x.to_ne_bytes()).collect(),
    };
    let half = size * (n / 2);
    d.write(&input, 0, &input_bytes[..half]).unwrap();
    d.write(&input, half, &input_bytes[half..]).unwrap();

    let big: u64 = 0x1234_5678_9abc_def0;
    let scale = 0.1f64;
    let scale_arg = match precision {
        Precision::F32 => Arg::F32(scale as f32),
        Precision::F64 => Arg::F64(scale),
    };
    d.launch(
        "exercise",
        LaunchDims {
            blocks: BLOCKS,
            threads: THREADS,
        },
        &[
            Arg::Buffer(&sum),
            Arg::Buffer(&bits),
            Arg::Buffer(&count),
            Arg::Buffer(&tickets),
            Arg::Buffer(&mirrored),
            Arg::Buffer(&scaled),
            Arg::Buffer(&input),
            Arg::Buffer(&words),
            Arg::U64(big),
            scale_arg,
            Arg::U32(N),
        ],
    )
    .unwrap();

    // ATOMIC_ADD: exactly representable terms, so the sum is exact in any order.
    let expected_sum: f64 = (0..n).map(|g| ((g % 4) + 1) as f64 * 0.25).sum();
    match precision {
        Precision::F32 => assert_eq!(read_f32(d, &sum, 1)[0], expected_sum as f32),
        Precision::F64 => assert_eq!(read_f64(d, &sum, 1)[0], expected_sum),
    }
    // ATOMIC_OR_U32: bits[w] gets bit (g % 32) of every g in [256w, 256w + 256) ∩ [0, n).
    let mut expected_bits = [0u32; 4];
    for g in 0..N {
        expected_bits[(g / 256) as usize] |= 1 << (g % 32);
    }
    assert_eq!(read_u32(d, &bits, 4), expected_bits);
    // ATOMIC_INC_U32: the count, and the old values are a permutation of 0..n.
    assert_eq!(read_u32(d, &count, 1), [N]);
    let mut t = read_u32(d, &tickets, n);
    t.sort_unstable();
    assert_eq!(t, (0..N).collect::<Vec<_>>());
    // SHARED, BARRIER, LOCAL_ID, GROUP_ID, LOCAL_SIZE: the group's ids reversed.
    let expected_mirror: Vec<u32> = (0..N)
        .map(|g| (g / THREADS) * THREADS + (THREADS - 1 - g % THREADS))
        .collect();
    assert_eq!(read_u32(d, &mirrored, n), expected_mirror);
    // u64 argument and LOCAL_SIZE.
    assert_eq!(
        read_u32(d, &words, 3),
        [(big >> 32) as u32, big as u32, THREADS]
    );
    // Real scalar argument: same rounding as the host (no contraction involved).
    match precision {
        Precision::F32 => {
            let got = read_f32(d, &scaled, n);
            for (i, x) in input_host.iter().enumerate() {
                assert_eq!(got[i], *x as f32 * scale as f32, "scaled[{i}]");
            }
        }
        Precision::F64 => {
            let got = read_f64(d, &scaled, n);
            for (i, x) in input_host.iter().enumerate() {
                assert_eq!(got[i], x * scale, "scaled[{i}]");
            }
        }
    }
    // Reads at an offset.
    let mut part = vec![0u8; size * 3];
    d.read(&input, size * 500, &mut part).unwrap();
    assert_eq!(part, input_bytes[size * 500..size * 503]);

    // Launches run in order; zero() is ordered with them.
    let dims = LaunchDims {
        blocks: BLOCKS,
        threads: THREADS,
    };
    d.launch(
        "add_const",
        dims,
        &[Arg::Buffer(&tickets), Arg::U32(5), Arg::U32(N)],
    )
    .unwrap();
    d.zero(&tickets).unwrap();
    d.launch(
        "add_const",
        dims,
        &[Arg::Buffer(&tickets), Arg::U32(7), Arg::U32(N)],
    )
    .unwrap();
    d.launch(
        "add_const",
        dims,
        &[Arg::Buffer(&tickets), Arg::U32(1), Arg::U32(N - 1)],
    )
    .unwrap();
    let mut expected = vec![8u32; n];
    expected[n - 1] = 7;
    assert_eq!(read_u32(d, &tickets, n), expected);
    d.zero(&scaled).unwrap();
    d.synchronize().unwrap();
    let mut raw = vec![1u8; size * n];
    d.read(&scaled, 0, &mut raw).unwrap();
    assert!(raw.iter().all(|&b| b == 0));
}

#[test]
fn executes_f32_program() {
    let Some(d) = device() else { return };
    run_exercise(&d, Precision::F32);
}

#[test]
fn executes_f64_program() {
    let Some(d) = device() else { return };
    if !d.supports_f64() {
        eprintln!("SKIPPED: {} has no cl_khr_fp64", d.description());
        return;
    }
    run_exercise(&d, Precision::F64);
}

#[test]
fn description_names_the_device() {
    let Some(d) = device() else { return };
    let desc = d.description();
    assert!(desc.starts_with("OpenCL: "), "{desc}");
    assert!(desc.contains(&d.info().name), "{desc}");
    assert!(desc.contains(&d.info().platform), "{desc}");
    eprintln!("device: {desc}");
    let all = list_devices().unwrap();
    assert!(all.iter().any(|i| i == d.info()), "{all:?}");
    // Selection by index opens the same device.
    let again = OpenClDevice::new(DeviceSelection::Index {
        platform: d.info().platform_index,
        device: d.info().device_index,
    })
    .unwrap();
    assert_eq!(again.description(), desc);
    let missing = OpenClDevice::new(DeviceSelection::Index {
        platform: 99,
        device: 0,
    })
    .unwrap_err();
    assert!(matches!(missing, DeviceError::NoDevice(_)), "{missing}");
}

#[test]
fn compile_error_shows_the_generated_line() {
    let Some(d) = device() else { return };
    let body = "KERNEL void fine(GLOBAL float* x) { x[0] = 1.0f; }\n\
                KERNEL void broken(GLOBAL float* x) {\n\
                \x20   x[0] = snn_no_such_variable * 2.0f;\n\
                }\n";
    let source = program(Dialect::OpenCl, Precision::F32, body);
    let err = d.compile(&source).unwrap_err();
    let DeviceError::Compile {
        compiler,
        log,
        excerpt,
    } = &err
    else {
        panic!("expected a compile error, got {err}");
    };
    eprintln!("compiler: {compiler}\nlog:\n{log}\nexcerpt:\n{excerpt}");
    assert!(log.contains("snn_no_such_variable"), "{log}");
    let marked = excerpt
        .lines()
        .find(|l| l.starts_with('>'))
        .unwrap_or_else(|| panic!("no marked line in {excerpt:?} (log: {log})"));
    assert!(marked.contains("snn_no_such_variable"), "{excerpt}");
    assert!(err.to_string().contains("snn_no_such_variable"));
}

#[test]
fn launch_errors_name_the_kernel() {
    let Some(d) = device() else { return };
    let dims = LaunchDims {
        blocks: 1,
        threads: 1,
    };
    let e = d.launch("k", dims, &[]).unwrap_err();
    assert!(e.to_string().contains("launch of k"), "{e}");
    d.compile(&program(
        Dialect::OpenCl,
        Precision::F32,
        "KERNEL void k(GLOBAL float* x, unsigned int n) { if (LOCAL_ID < n) { x[LOCAL_ID] = 2.0f; } }\n",
    ))
    .unwrap();
    let e = d.launch("nope", dims, &[]).unwrap_err();
    assert!(matches!(&e, DeviceError::Failed { operation, .. } if operation == "launch of nope"));
    assert!(e.to_string().contains("it has: k"), "{e}");
    let x = d.alloc_zeroed(16).unwrap();
    let e = d.launch("k", dims, &[Arg::Buffer(&x)]).unwrap_err();
    assert!(
        e.to_string()
            .contains("1 arguments given, the kernel takes 2"),
        "{e}"
    );
    // Wrong scalar size: a u64 for an unsigned int parameter.
    let e = d
        .launch("k", dims, &[Arg::Buffer(&x), Arg::U64(1)])
        .unwrap_err();
    assert!(e.to_string().contains("launch of k"), "{e}");
    // Out-of-range copies are refused before reaching OpenCL.
    let e = d.write(&x, 12, &[0u8; 8]).unwrap_err();
    assert!(e.to_string().contains("exceed"), "{e}");
    // A zero-byte allocation holds one byte.
    assert_eq!(d.alloc_zeroed(0).unwrap().len(), 1);
    // After the errors the device still works.
    d.launch(
        "k",
        LaunchDims {
            blocks: 1,
            threads: 4,
        },
        &[Arg::Buffer(&x), Arg::U32(4)],
    )
    .unwrap();
    assert_eq!(read_f32(&d, &x, 4), [2.0; 4]);
    let _ = bytes_f32(&[]);
}

#[test]
fn oversized_allocation_is_out_of_memory() {
    let Some(d) = device() else { return };
    let too_big = usize::try_from(d.info().max_alloc_bytes)
        .unwrap_or(usize::MAX - 1)
        .saturating_add(1);
    let e = d.alloc_zeroed(too_big).unwrap_err();
    assert!(
        matches!(&e, DeviceError::OutOfMemory { bytes, .. } if *bytes == too_big),
        "{e}"
    );
    assert!(
        e.to_string().contains("CL_DEVICE_MAX_MEM_ALLOC_SIZE"),
        "{e}"
    );
    assert_eq!(d.allocated_bytes(), 0);
}

#[test]
fn concurrent_launches_do_not_interleave_arguments() {
    let Some(d) = device() else { return };
    d.compile(&program(
        Dialect::OpenCl,
        Precision::F32,
        "KERNEL void add(GLOBAL unsigned int* x, unsigned int v) { x[GROUP_ID * LOCAL_SIZE + LOCAL_ID] += v; }\n",
    ))
    .unwrap();
    let bufs: Vec<OpenClBuffer> = (0..4).map(|_| d.alloc_zeroed(4 * 32).unwrap()).collect();
    std::thread::scope(|s| {
        for (t, b) in bufs.iter().enumerate() {
            let d = &d;
            s.spawn(move || {
                for _ in 0..50 {
                    d.launch(
                        "add",
                        LaunchDims {
                            blocks: 2,
                            threads: 16,
                        },
                        &[Arg::Buffer(b), Arg::U32(t as u32 + 1)],
                    )
                    .unwrap();
                }
            });
        }
    });
    for (t, b) in bufs.iter().enumerate() {
        assert_eq!(
            read_u32(&d, b, 32),
            vec![50 * (t as u32 + 1); 32],
            "buffer {t}"
        );
    }
}

/// Timing: switched on after buffers exist (the queue is replaced by a
/// profiling one; the buffers keep their contents), every launch is counted
/// under its kernel with a nonzero device time, more launches than are kept
/// pending included; `kernel_times` drains; switched off, nothing is timed.
#[test]
fn timing_counts_launches_and_device_time_per_kernel() {
    let Some(d) = device() else { return };
    d.compile(&program(
        Dialect::OpenCl,
        Precision::F32,
        "KERNEL void add(GLOBAL unsigned int* x, unsigned int v) { x[GROUP_ID * LOCAL_SIZE + LOCAL_ID] += v; }\n\
         KERNEL void twice(GLOBAL unsigned int* x) { x[GROUP_ID * LOCAL_SIZE + LOCAL_ID] *= 2u; }\n",
    ))
    .unwrap();
    let b = d.alloc_zeroed(4 * 32).unwrap();
    d.write(&b, 0, &[1u32; 32].map(u32::to_ne_bytes).concat())
        .unwrap();
    assert_eq!(d.kernel_times().unwrap(), vec![]);
    assert!(d.set_timing(true).unwrap());
    let dims = LaunchDims {
        blocks: 2,
        threads: 16,
    };
    let adds = 2100; // more than are kept pending (2048)
    for _ in 0..adds {
        d.launch("add", dims, &[Arg::Buffer(&b), Arg::U32(1)])
            .unwrap();
    }
    for _ in 0..3 {
        d.launch("twice", dims, &[Arg::Buffer(&b)]).unwrap();
    }
    let times = d.kernel_times().unwrap();
    assert_eq!(read_u32(&d, &b, 32), vec![(1 + adds) * 8; 32]);
    let names: Vec<(&str, u64)> = times
        .iter()
        .map(|t| (t.name.as_str(), t.launches))
        .collect();
    assert_eq!(names, [("add", adds as u64), ("twice", 3)]);
    assert!(times.iter().all(|t| !t.device_time.is_zero()), "{times:?}");
    assert_eq!(d.kernel_times().unwrap(), vec![]);
    assert!(d.set_timing(false).unwrap());
    d.launch("twice", dims, &[Arg::Buffer(&b)]).unwrap();
    assert_eq!(d.kernel_times().unwrap(), vec![]);
}

/// With `OCL_ICD_VENDORS` pointing at an empty directory the ICD loader finds
/// no platform: opening a device must be a `NoDevice` error, not a panic.
/// Runs itself in a child process (the loader's state is per process).
#[test]
fn no_platform_is_an_error() {
    if std::env::var_os("SNN_OPENCL_TEST_CHILD").is_some() {
        let e = OpenClDevice::new(DeviceSelection::Any).unwrap_err();
        eprintln!("child: {e}");
        match &e {
            DeviceError::NoDevice(m) => assert!(m.contains("no OpenCL platform"), "{m}"),
            DeviceError::LibraryMissing { .. } => {}
            other => panic!("unexpected error {other}"),
        }
        assert!(list_devices().is_err());
        return;
    }
    if device().is_none() {
        return;
    }
    let empty = std::env::temp_dir().join(format!("snn-no-icd-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "no_platform_is_an_error", "--nocapture"])
        .env("SNN_OPENCL_TEST_CHILD", "1")
        .env("OCL_ICD_VENDORS", &empty)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir(&empty);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child failed:\n{text}");
    assert!(text.contains("1 passed"), "{text}");
    assert!(text.contains("no OpenCL platform"), "{text}");
}

/// Programs ask for correctly rounded `f32` division and square root where
/// the device offers them (PoCL on a CPU does), so model code computes the
/// CPU's bits: `x / y` and `sqrt(x)` agree with Rust's on awkward values.
#[test]
fn f32_division_and_sqrt_are_correctly_rounded() {
    let Some(d) = device() else {
        return;
    };
    let opts = snn_opencl_host::build_options(d.info());
    assert_eq!(
        d.info().correctly_rounded_f32_div_sqrt,
        opts.contains("-cl-fp32-correctly-rounded-divide-sqrt"),
        "{opts}"
    );
    const BODY: &str = r#"
KERNEL void k(GLOBAL const float *x, GLOBAL float *out, unsigned int n)
{
    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;
    if (i < n) {
        out[2u * i] = x[i] / 3.0f;
        out[2u * i + 1u] = sqrt(x[i]);
    }
}
"#;
    d.compile(&program(Dialect::OpenCl, Precision::F32, BODY))
        .unwrap();
    let n = 4096usize;
    let x: Vec<f32> = (0..n)
        .map(|i| f32::from_bits(0x3f80_0000 + (i as u32) * 2053))
        .collect();
    let xb = d.alloc_zeroed(n * 4).unwrap();
    d.write(&xb, 0, &bytes_f32(&x)).unwrap();
    let out = d.alloc_zeroed(2 * n * 4).unwrap();
    d.launch(
        "k",
        LaunchDims {
            blocks: (n / 64) as u32,
            threads: 64,
        },
        &[Arg::Buffer(&xb), Arg::Buffer(&out), Arg::U32(n as u32)],
    )
    .unwrap();
    let got = read_f32(&d, &out, 2 * n);
    let wrong = (0..n)
        .filter(|&i| got[2 * i] != x[i] / 3.0 || got[2 * i + 1] != x[i].sqrt())
        .count();
    if d.info().correctly_rounded_f32_div_sqrt {
        let _ = writeln!(
            std::io::stderr(),
            "{}: correctly rounded f32 / and sqrt",
            d.info().name
        );
        assert_eq!(wrong, 0, "{} of {n} quotients or roots differ", wrong);
    } else {
        eprintln!("device without correctly rounded f32 / and sqrt: {wrong} of {n} differ");
    }
}
