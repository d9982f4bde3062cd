//! Printed float literals read back in C to exactly the value Rust parses:
//! a C program prints the bits of every literal, for tricky values and for
//! many pseudo-random bit patterns, in `f32` and `f64`.

use crate::common::{build_and_run, program_prelude};
use snn_kernels::cgen::{f32_literal, f64_literal};
use std::fmt::Write as _;

/// Deterministic pseudo-random 64-bit numbers (SplitMix64).
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn float_literals_read_back_exactly_in_c() {
    let mut f32s: Vec<f32> = vec![
        0.1,
        0.04,
        1e-3,
        30.0,
        29.99,
        16_777_217.0, // rounds to 2^24
        1e-45,        // smallest subnormal
        1.1754942e-38,
        f32::MIN_POSITIVE,
        f32::MAX,
        f32::MIN,
        f32::EPSILON,
        std::f32::consts::PI,
        -0.0,
        0.0,
        1.0 / 3.0,
    ];
    let mut f64s: Vec<f64> = vec![
        0.1,
        0.04,
        1e-3,
        29.99,
        16_777_217.0,
        5e-324,
        2.225_073_858_507_201e-308,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        std::f64::consts::PI,
        -0.0,
        1.0 / 3.0,
    ];
    let mut state = 42;
    while f32s.len() < 2000 {
        let v = f32::from_bits(splitmix(&mut state) as u32);
        if v.is_finite() {
            f32s.push(v);
        }
    }
    while f64s.len() < 2000 {
        let v = f64::from_bits(splitmix(&mut state));
        if v.is_finite() {
            f64s.push(v);
        }
    }
    let mut src = program_prelude();
    src.push_str("#include <string.h>\n");
    writeln!(src, "static const float f32s[] = {{").unwrap();
    for v in &f32s {
        writeln!(src, "    {},", f32_literal(*v)).unwrap();
    }
    writeln!(src, "}};\nstatic const double f64s[] = {{").unwrap();
    for v in &f64s {
        writeln!(src, "    {},", f64_literal(*v)).unwrap();
    }
    src.push_str(
        "};
int main(void)
{
    size_t i;
    for (i = 0; i < sizeof f32s / sizeof f32s[0]; i++) {
        unsigned int u;
        memcpy(&u, &f32s[i], sizeof u);
        printf(\"%08x\\n\", u);
    }
    for (i = 0; i < sizeof f64s / sizeof f64s[0]; i++) {
        unsigned long long u;
        memcpy(&u, &f64s[i], sizeof u);
        printf(\"%016llx\\n\", u);
    }
    return 0;
}
",
    );
    let out = build_and_run("literals", &src);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), f32s.len() + f64s.len());
    for (v, line) in f32s.iter().zip(&lines) {
        assert_eq!(
            u32::from_str_radix(line, 16).unwrap(),
            v.to_bits(),
            "{v:?} printed as {}",
            f32_literal(*v)
        );
    }
    for (v, line) in f64s.iter().zip(&lines[f32s.len()..]) {
        assert_eq!(
            u64::from_str_radix(line, 16).unwrap(),
            v.to_bits(),
            "{v:?} printed as {}",
            f64_literal(*v)
        );
    }
}
