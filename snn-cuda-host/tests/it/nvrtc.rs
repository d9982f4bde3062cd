//! NVRTC compilation of programs in the CUDA dialect. Needs NVRTC only (no
//! GPU): found in the system or in the snn cache (`scripts/install-nvrtc.sh`).
//! Without it these tests print `SKIPPED: NVRTC not found (...)` and pass,
//! unless `SNN_REQUIRE_NVRTC=1`, which makes them fail.

use snn_core::Precision;
use snn_cuda_host::{compile_ptx, compile_ptx_in, nvrtc_library_path, nvrtc_version, DeviceError};
use snn_kernels::dialect::{program, Dialect};

/// Whether NVRTC can be used; `false` (with a loud message) when it cannot
/// and is not required.
fn nvrtc_or_skip(test: &str) -> bool {
    match nvrtc_version() {
        Ok((major, minor)) => {
            eprintln!(
                "{test}: NVRTC {major}.{minor} from {}",
                nvrtc_library_path().unwrap_or_default()
            );
            true
        }
        Err(e) => {
            if std::env::var("SNN_REQUIRE_NVRTC").is_ok_and(|v| v == "1") {
                panic!("SNN_REQUIRE_NVRTC=1 but NVRTC cannot be used: {e}");
            }
            skipped(&format!(
                "SKIPPED: NVRTC not found ({e}) -- {test} did not run"
            ));
            false
        }
    }
}

/// Prints `msg` on stderr even while libtest captures output (`eprintln!`
/// is captured, and shown only for failing tests).
fn skipped(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// A kernel using every macro of the CUDA prelude, for `precision`.
fn body(precision: Precision) -> String {
    let (t, add) = match precision {
        Precision::F32 => ("float", "ATOMIC_ADD_F32"),
        Precision::F64 => ("double", "ATOMIC_ADD_F64"),
    };
    format!(
        r#"
KERNEL void snn_probe(GLOBAL {t}* sum, GLOBAL float* sum_f, GLOBAL double* sum_d,
                      GLOBAL unsigned int* bits, GLOBAL unsigned int* counter,
                      GLOBAL unsigned int* per_block, unsigned int n, {t} x) {{
    SHARED unsigned int block_count;
    if (LOCAL_ID == 0u) block_count = 0u;
    BARRIER();
    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;
    if (i < n) {{
        {add}(sum, x);
        ATOMIC_ADD_F32(sum_f, 1.0f);
        ATOMIC_ADD_F64(sum_d, 1.0);
        ATOMIC_OR_U32(&bits[i / 32u], 1u << (i % 32u));
        const unsigned int old = ATOMIC_INC_U32(counter);
        (void)old;
        (void)ATOMIC_INC_U32_SHARED(&block_count);
    }}
    BARRIER();
    if (LOCAL_ID == 0u) per_block[GROUP_ID] = block_count;
}}
"#
    )
}

#[test]
fn compiles_the_dialect_for_sm80_and_sm90() {
    if !nvrtc_or_skip("compiles_the_dialect_for_sm80_and_sm90") {
        return;
    }
    for precision in [Precision::F32, Precision::F64] {
        let src = program(Dialect::Cuda, precision, &body(precision));
        for arch in ["sm_80", "sm_90"] {
            let ptx =
                compile_ptx(&src, arch).unwrap_or_else(|e| panic!("{precision:?} for {arch}: {e}"));
            assert!(
                ptx.contains(".entry snn_probe("),
                "{precision:?} {arch}: no `.entry snn_probe(` in\n{ptx}"
            );
            assert!(
                ptx.contains(&format!(".target {arch}")),
                "{precision:?} {arch}: no `.target {arch}` in\n{ptx}"
            );
            // Atomics are real atomics, and f64 atomics present.
            assert!(ptx.contains("atom.") || ptx.contains("red."), "{ptx}");
            assert!(ptx.contains(".f64"), "{ptx}");
        }
    }
}

#[test]
fn ptx_cache_is_reused() {
    if !nvrtc_or_skip("ptx_cache_is_reused") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("snn-ptx-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let src = program(Dialect::Cuda, Precision::F32, &body(Precision::F32));
    let first = compile_ptx_in(&src, "sm_80", Some(&dir)).expect("first compile");
    assert!(!first.from_cache);
    assert_eq!(first.arch, "compute_80");
    let file = first.cache_file.clone().expect("cache file written");
    assert!(file.is_file(), "{}", file.display());
    let second = compile_ptx_in(&src, "sm_80", Some(&dir)).expect("second compile");
    assert!(second.from_cache);
    assert_eq!(second.ptx, first.ptx);
    assert_eq!(second.cache_file, first.cache_file);
    // Another architecture or source is another entry.
    let other = compile_ptx_in(&src, "sm_90", Some(&dir)).expect("sm_90");
    assert!(!other.from_cache);
    assert_ne!(other.cache_file, first.cache_file);
    let changed = compile_ptx_in(&format!("{src}\n"), "sm_80", Some(&dir)).expect("changed");
    assert!(!changed.from_cache);
    // Without a cache folder nothing is read or written.
    let uncached = compile_ptx_in(&src, "sm_80", None).expect("uncached");
    assert!(!uncached.from_cache && uncached.cache_file.is_none());
    assert_eq!(uncached.ptx, first.ptx);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn architecture_newer_than_nvrtc_falls_back_and_older_is_an_error() {
    if !nvrtc_or_skip("architecture_newer_than_nvrtc_falls_back_and_older_is_an_error") {
        return;
    }
    let archs = snn_cuda_host::nvrtc_supported_archs().unwrap();
    let src = program(Dialect::Cuda, Precision::F32, &body(Precision::F32));
    let newest = *archs.last().expect("NVRTC lists its architectures");
    let c = compile_ptx_in(&src, "sm_990", None).expect("falls back");
    assert_eq!(c.arch, format!("compute_{newest}"));
    assert!(c.ptx.contains(&format!(".target sm_{newest}")));
    match compile_ptx_in(&src, "sm_10", None) {
        Err(DeviceError::Compile { log, .. }) => assert!(log.contains("sm_10"), "{log}"),
        other => panic!("expected a compile error, got {other:?}"),
    }
    match compile_ptx_in(&src, "gfx90a", None) {
        Err(DeviceError::Compile { log, .. }) => assert!(log.contains("gfx90a"), "{log}"),
        other => panic!("expected a compile error, got {other:?}"),
    }
}

#[test]
fn compile_error_shows_the_offending_line() {
    if !nvrtc_or_skip("compile_error_shows_the_offending_line") {
        return;
    }
    let body =
        "KERNEL void broken(GLOBAL float* x) {\n    x[LOCAL_ID] = undefined_thing_42 * 2.0f;\n}\n";
    let src = program(Dialect::Cuda, Precision::F32, body);
    let bad_line = src
        .lines()
        .position(|l| l.contains("undefined_thing_42"))
        .unwrap()
        + 1;
    match compile_ptx(&src, "sm_80") {
        Err(e @ DeviceError::Compile { .. }) => {
            let DeviceError::Compile {
                compiler,
                log,
                excerpt,
            } = &e
            else {
                unreachable!()
            };
            assert!(compiler.starts_with("NVRTC "), "{compiler}");
            assert!(log.contains("undefined_thing_42"), "{log}");
            let marked = format!(">{bad_line:>4} | ");
            assert!(
                excerpt
                    .lines()
                    .any(|l| l.starts_with(&marked) && l.contains("undefined_thing_42")),
                "excerpt does not mark line {bad_line}:\n{excerpt}"
            );
            // The displayed error carries both.
            let shown = e.to_string();
            assert!(shown.contains("undefined_thing_42 * 2.0f"), "{shown}");
        }
        other => panic!("expected a compile error, got {other:?}"),
    }
}
