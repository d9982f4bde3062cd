//! The C generator of `snn_kernels::rng::RNG_SOURCE` draws bit for bit what
//! `snn_core::rng` draws.
//!
//! A test program (the common prelude, `RNG_SOURCE` and a `main`) is built
//! with the system C compiler as C99 (`-O0`, and `-O2` as a check that
//! nothing depends on the optimisation level) and with the C++ compiler as
//! C++14 (the dialect NVRTC reads), without FMA contraction or fast math. It
//! reads cases from standard input, one per line (`op seed stream step element
//! has_offset offset count n param`, integers in hex, float parameters as
//! their bit patterns), and prints each draw as a hex bit pattern, then
//! `| ` and the next raw `u32` of the stream (so that the number of values
//! consumed is checked too). The test computes the same lines with
//! `snn_core::rng::RngStream` and compares them exactly.
//!
//! Exactness holds because the C code performs the same IEEE operations in
//! the same order: `ln`, `exp` and `cos` are `snn_core::math`'s on both
//! sides (the prelude's `snn_ln_f32` ... in C), and `pow` (gamma with shape
//! below 1) is glibc's on both: Rust's `f32::powf` calls the platform libm,
//! as do C's `<tgmath.h>` and C++'s `<math.h>` overloads at `-O0` (and at
//! `-O2`, where GCC only folds constants).

use crate::common::{cc, cxx, work_dir, STRICT};
use snn_core::rng::{stream_id, RngStream, StreamPurpose};
use snn_kernels::cgen::PRELUDE;
use snn_kernels::rng::RNG_SOURCE;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// What a case draws, with its parameter.
#[derive(Clone, Copy, Debug)]
enum Op {
    U32,
    Uniform32,
    Uniform64,
    Normal32,
    Normal64,
    Exponential32,
    Exponential64,
    Gamma32(f32),
    Gamma64(f64),
    Binomial32(u32, f32),
    Binomial64(u32, f64),
    Poisson32(f32),
    Poisson64(f64),
    /// The helpers `snn_rng_stirling_fc_*(k)`, `snn_rng_ln_1p_*(x)` (no draw).
    Stirling32(f32),
    Stirling64(f64),
    Ln1p32(f32),
    Ln1p64(f64),
}

impl Op {
    /// The name the C program knows the operation by.
    fn name(self) -> &'static str {
        match self {
            Op::U32 => "u32",
            Op::Uniform32 => "uniform_f32",
            Op::Uniform64 => "uniform_f64",
            Op::Normal32 => "normal_f32",
            Op::Normal64 => "normal_f64",
            Op::Exponential32 => "exponential_f32",
            Op::Exponential64 => "exponential_f64",
            Op::Gamma32(_) => "gamma_f32",
            Op::Gamma64(_) => "gamma_f64",
            Op::Binomial32(..) => "binomial_f32",
            Op::Binomial64(..) => "binomial_f64",
            Op::Poisson32(_) => "poisson_f32",
            Op::Poisson64(_) => "poisson_f64",
            Op::Stirling32(_) => "stirling_fc_f32",
            Op::Stirling64(_) => "stirling_fc_f64",
            Op::Ln1p32(_) => "ln_1p_f32",
            Op::Ln1p64(_) => "ln_1p_f64",
        }
    }

    /// `(n, param bits)` as the C program reads them.
    fn args(self) -> (u32, u64) {
        match self {
            Op::Gamma32(x) | Op::Poisson32(x) | Op::Stirling32(x) | Op::Ln1p32(x) => {
                (0, x.to_bits() as u64)
            }
            Op::Gamma64(x) | Op::Poisson64(x) | Op::Stirling64(x) | Op::Ln1p64(x) => {
                (0, x.to_bits())
            }
            Op::Binomial32(n, p) => (n, p.to_bits() as u64),
            Op::Binomial64(n, p) => (n, p.to_bits()),
            _ => (0, 0),
        }
    }

    /// One draw from `r`, as the C program prints it (the hex bits).
    fn draw(self, r: &mut RngStream) -> String {
        match self {
            Op::U32 => format!("{:x}", r.next_u32()),
            Op::Uniform32 => format!("{:x}", r.uniform::<f32>().to_bits()),
            Op::Uniform64 => format!("{:x}", r.uniform::<f64>().to_bits()),
            Op::Normal32 => format!("{:x}", r.normal::<f32>().to_bits()),
            Op::Normal64 => format!("{:x}", r.normal::<f64>().to_bits()),
            Op::Exponential32 => format!("{:x}", r.exponential::<f32>().to_bits()),
            Op::Exponential64 => format!("{:x}", r.exponential::<f64>().to_bits()),
            Op::Gamma32(a) => format!("{:x}", r.gamma::<f32>(a).to_bits()),
            Op::Gamma64(a) => format!("{:x}", r.gamma::<f64>(a).to_bits()),
            Op::Binomial32(n, p) => format!("{:x}", r.binomial::<f32>(n, p)),
            Op::Binomial64(n, p) => format!("{:x}", r.binomial::<f64>(n, p)),
            Op::Poisson32(l) => format!("{:x}", r.poisson::<f32>(l)),
            Op::Poisson64(l) => format!("{:x}", r.poisson::<f64>(l)),
            Op::Stirling32(k) => format!("{:x}", stirling_fc_f32(k).to_bits()),
            Op::Stirling64(k) => format!("{:x}", stirling_fc_f64(k).to_bits()),
            Op::Ln1p32(x) => format!("{:x}", ln_1p_f32(x).to_bits()),
            Op::Ln1p64(x) => format!("{:x}", ln_1p_f64(x).to_bits()),
        }
    }
}

/// The value of a named constant of [`CONSTANTS`].
fn constant(name: &str) -> f64 {
    CONSTANTS.iter().find(|c| c.0 == name).unwrap().1
}

/// `stirling_fc` and `ln_1p` of `snn_core/src/rng.rs` (private there),
/// restated for `f32` and `f64`: references for the C helpers.
macro_rules! helpers {
    ($t:ty, $fc:ident, $ln_1p:ident) => {
        fn $fc(k: $t) -> $t {
            if k < 10.0 {
                constant(&format!("FC{}", k as usize)) as $t
            } else {
                let ikp1 = 1.0 / (k + 1.0);
                let ikp1_2 = ikp1 * ikp1;
                ((1.0f64 / 12.0) as $t
                    - ((1.0f64 / 360.0) as $t - (1.0f64 / 1260.0) as $t * ikp1_2) * ikp1_2)
                    * ikp1
            }
        }
        fn $ln_1p(x: $t) -> $t {
            let u = 1.0 + x;
            if u == 1.0 {
                x
            } else {
                snn_core::math::Elementary::ln(u) * x / (u - 1.0)
            }
        }
    };
}
helpers!(f32, stirling_fc_f32, ln_1p_f32);
helpers!(f64, stirling_fc_f64, ln_1p_f64);

/// `count` draws of `op` from the stream `(seed, stream, step, element)`,
/// or, with an `offset`, from the synapse stream of presynaptic neuron
/// `offset` and postsynaptic `element` (`RngStream::synapse`, keyed by the
/// seed's words).
#[derive(Clone, Copy, Debug)]
struct Case {
    op: Op,
    seed: u64,
    stream: u32,
    step: u32,
    element: u32,
    offset: Option<u32>,
    count: u32,
}

impl Case {
    fn new(op: Op, seed: u64, stream: u32, step: u32, element: u32, count: u32) -> Case {
        Case {
            op,
            seed,
            stream,
            step,
            element,
            offset: None,
            count,
        }
    }

    /// The input line of the C program.
    fn input(&self) -> String {
        let (n, param) = self.op.args();
        format!(
            "{} {:x} {:x} {:x} {:x} {:x} {:x} {:x} {:x} {:x}\n",
            self.op.name(),
            self.seed,
            self.stream,
            self.step,
            self.element,
            self.offset.is_some() as u32,
            self.offset.unwrap_or(0),
            self.count,
            n,
            param
        )
    }

    /// The output line the C program must print, computed by `snn_core`.
    fn expected(&self) -> String {
        // With an offset: the synapse form, key = the seed's words, `offset`
        // the presynaptic and `element` the postsynaptic neuron.
        let mut r = match self.offset {
            Some(pre) => {
                let key = [self.seed as u32, (self.seed >> 32) as u32];
                RngStream::synapse(key, self.step, pre, self.element)
            }
            None => RngStream::new(self.seed, self.stream, self.step, self.element),
        };
        let mut s = String::new();
        for _ in 0..self.count {
            s.push_str(&self.op.draw(&mut r));
            s.push(' ');
        }
        write!(s, "| {:x}", r.next_u32()).unwrap();
        s
    }
}

/// Named constants of the C code (`SNN_RNG_C(S, NAME)`) and the values
/// `snn_core/src/rng.rs` rounds to `F` with `c::<F>(x)`.
const CONSTANTS: &[(&str, f64)] = &[
    ("TAU", std::f64::consts::TAU),
    ("THIRD", 1.0 / 3.0),
    ("MT_C", 0.0331),
    ("INV_6", 1.0 / 6.0),
    ("INV_12", 1.0 / 12.0),
    ("INV_360", 1.0 / 360.0),
    ("INV_1260", 1.0 / 1260.0),
    ("LN_SQRT_2PI", 0.918_938_533_204_672_8),
    ("FC0", 0.081_061_466_795_327_26),
    ("FC1", 0.041_340_695_955_409_29),
    ("FC2", 0.027_677_925_684_998_34),
    ("FC3", 0.020_790_672_103_765_09),
    ("FC4", 0.016_644_691_189_821_19),
    ("FC5", 0.013_876_128_823_070_75),
    ("FC6", 0.011_896_709_945_891_77),
    ("FC7", 0.010_411_265_261_972_09),
    ("FC8", 0.009_255_462_182_712_733),
    ("FC9", 0.008_330_563_433_362_87),
    ("BTRD_B0", 1.15),
    ("BTRD_B1", 2.53),
    ("BTRD_A0", -0.0873),
    ("BTRD_A1", 0.0248),
    ("BTRD_A2", 0.01),
    ("BTRD_AL0", 2.83),
    ("BTRD_AL1", 5.1),
    ("BTRD_VR0", 0.92),
    ("BTRD_VR1", 4.2),
    ("BTRD_UR", 0.86),
    ("BTRD_U0", 0.43),
    ("BTRD_W0", 0.93),
    ("PTRS_B0", 0.931),
    ("PTRS_B1", 2.53),
    ("PTRS_A0", -0.059),
    ("PTRS_A1", 0.02483),
    ("PTRS_IA0", 1.1239),
    ("PTRS_IA1", 1.1328),
    ("PTRS_IA2", 3.4),
    ("PTRS_VR0", 0.9277),
    ("PTRS_VR1", 3.6224),
    ("PTRS_K0", 0.43),
    ("PTRS_US0", 0.07),
    ("PTRS_US1", 0.013),
    ("INF", f64::INFINITY),
    ("NAN", f64::NAN),
];

/// The test program: reads cases, prints draws.
fn program_source() -> String {
    let mut consts = String::new();
    for (name, _) in CONSTANTS {
        writeln!(
            consts,
            "            printf(\"%x \", bits_f32(SNN_RNG_C(f32, {name})));"
        )
        .unwrap();
    }
    consts.push_str("            printf(\"|\");\n");
    for (name, _) in CONSTANTS {
        writeln!(
            consts,
            "            printf(\" %llx\", bits_f64(SNN_RNG_C(f64, {name})));"
        )
        .unwrap();
    }
    let main = r#"
static unsigned int bits_f32(float x) { unsigned int u; memcpy(&u, &x, sizeof u); return u; }
static snn_u64 bits_f64(double x) { snn_u64 u; memcpy(&u, &x, sizeof u); return u; }
static float f32_of(unsigned int u) { float x; memcpy(&x, &u, sizeof x); return x; }
static double f64_of(snn_u64 u) { double x; memcpy(&x, &u, sizeof x); return x; }

int main(void)
{
    char op[32];
    snn_u64 seed, param;
    unsigned int stream, step, element, has_offset, offset, count, n, i;
    while (scanf("%31s %llx %x %x %x %x %x %x %x %llx", op, &seed, &stream, &step, &element,
                 &has_offset, &offset, &count, &n, &param) == 10) {
        snn_rng r = snn_rng_new(seed, stream, step, element);
        const float p32 = f32_of((unsigned int)param);
        const double p64 = f64_of(param);
        int k;
        if (has_offset) {
            r = snn_rng_synapse((unsigned int)seed, (unsigned int)(seed >> 32), step, offset,
                                element);
        }
        if (strcmp(op, "constants") == 0) {
CONSTANTS            printf("\n");
            continue;
        }
        k = strcmp(op, "u32") == 0 ? 0
          : strcmp(op, "uniform_f32") == 0 ? 1
          : strcmp(op, "uniform_f64") == 0 ? 2
          : strcmp(op, "normal_f32") == 0 ? 3
          : strcmp(op, "normal_f64") == 0 ? 4
          : strcmp(op, "exponential_f32") == 0 ? 5
          : strcmp(op, "exponential_f64") == 0 ? 6
          : strcmp(op, "gamma_f32") == 0 ? 7
          : strcmp(op, "gamma_f64") == 0 ? 8
          : strcmp(op, "binomial_f32") == 0 ? 9
          : strcmp(op, "binomial_f64") == 0 ? 10
          : strcmp(op, "poisson_f32") == 0 ? 11
          : strcmp(op, "poisson_f64") == 0 ? 12
          : strcmp(op, "stirling_fc_f32") == 0 ? 13
          : strcmp(op, "stirling_fc_f64") == 0 ? 14
          : strcmp(op, "ln_1p_f32") == 0 ? 15
          : strcmp(op, "ln_1p_f64") == 0 ? 16
          : -1;
        if (k < 0) {
            fprintf(stderr, "unknown operation %s\n", op);
            return 1;
        }
        for (i = 0; i < count; ++i) {
            switch (k) {
            case 0: printf("%x ", snn_rng_next_u32(&r)); break;
            case 1: printf("%x ", bits_f32(snn_uniform_f32(&r))); break;
            case 2: printf("%llx ", bits_f64(snn_uniform_f64(&r))); break;
            case 3: printf("%x ", bits_f32(snn_normal_f32(&r))); break;
            case 4: printf("%llx ", bits_f64(snn_normal_f64(&r))); break;
            case 5: printf("%x ", bits_f32(snn_exponential_f32(&r))); break;
            case 6: printf("%llx ", bits_f64(snn_exponential_f64(&r))); break;
            case 7: printf("%x ", bits_f32(snn_gamma_f32(&r, p32))); break;
            case 8: printf("%llx ", bits_f64(snn_gamma_f64(&r, p64))); break;
            case 9: printf("%x ", snn_binomial_f32(&r, n, p32)); break;
            case 10: printf("%x ", snn_binomial_f64(&r, n, p64)); break;
            case 11: printf("%x ", snn_poisson_f32(&r, p32)); break;
            case 12: printf("%x ", snn_poisson_f64(&r, p64)); break;
            case 13: printf("%x ", bits_f32(snn_rng_stirling_fc_f32(p32))); break;
            case 14: printf("%llx ", bits_f64(snn_rng_stirling_fc_f64(p64))); break;
            case 15: printf("%x ", bits_f32(snn_rng_ln_1p_f32(p32))); break;
            default: printf("%llx ", bits_f64(snn_rng_ln_1p_f64(p64))); break;
            }
        }
        printf("| %x\n", snn_rng_next_u32(&r));
    }
    return 0;
}
"#;
    format!(
        "#include <stdio.h>\n#include <string.h>\n{PRELUDE}\n{RNG_SOURCE}\n{}",
        main.replace("CONSTANTS", &consts)
    )
}

/// Compiles the test program with `compiler` and `flags`; returns the executable.
fn build(name: &str, compiler: &str, flags: &[&str]) -> PathBuf {
    let dir = work_dir(name);
    let file = dir.join("rng_test.c");
    let exe = dir.join("rng_test");
    std::fs::write(&file, program_source()).unwrap();
    let out = Command::new(compiler)
        .args(flags)
        .args(["-ffp-contract=off", "-fno-fast-math"])
        .arg(&file)
        .arg("-o")
        .arg(&exe)
        .arg("-lm")
        .output()
        .expect("run the compiler");
    assert!(
        out.status.success(),
        "{name}: the RNG test program ({}) does not compile:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// The test program built three ways: C99 `-O0`, C99 `-O2`, C++14 `-O0`.
fn programs() -> &'static [(&'static str, PathBuf)] {
    static PROGRAMS: OnceLock<Vec<(&'static str, PathBuf)>> = OnceLock::new();
    PROGRAMS.get_or_init(|| {
        let c_o0: Vec<&str> = STRICT.iter().copied().chain(["-O0"]).collect();
        let c_o2: Vec<&str> = STRICT.iter().copied().chain(["-O2"]).collect();
        let cxx_o0 = [
            "-x",
            "c++",
            "-std=c++14",
            "-pedantic",
            "-Wall",
            "-Werror",
            "-O0",
        ];
        vec![
            ("C99 -O0", build("rng_c_o0", &cc(), &c_o0)),
            ("C99 -O2", build("rng_c_o2", &cc(), &c_o2)),
            ("C++14 -O0", build("rng_cxx_o0", &cxx(), &cxx_o0)),
        ]
    })
}

/// Runs `exe` on input lines; returns its output lines.
fn run(exe: &PathBuf, input: &str) -> Vec<String> {
    let dir = exe.parent().unwrap();
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("input-{n}.txt"));
    std::fs::write(&path, input).unwrap();
    let out = Command::new(exe)
        .stdin(Stdio::from(std::fs::File::open(&path).unwrap()))
        .output()
        .expect("run the RNG test program");
    assert!(
        out.status.success(),
        "the RNG test program failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Runs every case through every build of the program and compares with
/// `snn_core`; returns the number of values compared per build.
fn check(what: &str, cases: &[Case]) -> usize {
    let input: String = cases.iter().map(Case::input).collect();
    let expected: Vec<String> = cases.iter().map(Case::expected).collect();
    let values: usize = cases.iter().map(|c| c.count as usize + 1).sum();
    for (build, exe) in programs() {
        let got = run(exe, &input);
        assert_eq!(
            got.len(),
            cases.len(),
            "{what} ({build}): {} output lines for {} cases",
            got.len(),
            cases.len()
        );
        for ((case, want), got) in cases.iter().zip(&expected).zip(&got) {
            if want == got {
                continue;
            }
            let (w, g): (Vec<&str>, Vec<&str>) =
                (want.split(' ').collect(), got.split(' ').collect());
            let i = w.iter().zip(&g).position(|(a, b)| a != b).unwrap_or(0);
            panic!(
                "{what} ({build}): {case:?}: draw {i} is {} in C and {} in snn_core \
                 (draws from {}: C {:?}, Rust {:?})",
                g.get(i).unwrap_or(&"<none>"),
                w.get(i).unwrap_or(&"<none>"),
                i.saturating_sub(2),
                &g[i.saturating_sub(2)..(i + 3).min(g.len())],
                &w[i.saturating_sub(2)..(i + 3).min(w.len())],
            );
        }
    }
    println!(
        "{what}: {} cases, {values} values bit-identical in each of {} builds",
        cases.len(),
        programs().len()
    );
    values
}

const SEEDS: [u64; 7] = [
    0,
    1,
    42,
    0xFFFF_FFFF,
    1 << 32,
    0x1234_5678_9ABC_DEF0,
    u64::MAX,
];

/// Streams of every float distribution: a few seeds, streams, steps, elements.
fn streams(op: Op, count: u32) -> Vec<Case> {
    let neuron = stream_id(StreamPurpose::NeuronSim, 3, 1);
    let synapse = stream_id(StreamPurpose::SynapseSim, 65_535, 255);
    vec![
        Case::new(op, 1, neuron, 17, 5, count),
        Case::new(op, 0x1234_5678_9ABC_DEF0, synapse, 0, 4095, count),
        Case::new(op, u64::MAX, u32::MAX, u32::MAX, u32::MAX, count),
        Case {
            offset: Some(77),
            ..Case::new(op, 42, neuron, 1000, 12, count)
        },
    ]
}

#[test]
fn constants_are_rusts_rounded_to_each_type() {
    let case = Case::new(Op::U32, 0, 0, 0, 0, 0);
    let input = case.input().replacen("u32", "constants", 1);
    let mut want = String::new();
    for (_, x) in CONSTANTS {
        write!(want, "{:x} ", (*x as f32).to_bits()).unwrap();
    }
    want.push('|');
    for (_, x) in CONSTANTS {
        write!(want, " {:x}", x.to_bits()).unwrap();
    }
    for (build, exe) in programs() {
        let got = run(exe, &input);
        assert_eq!(got.len(), 1);
        let (g, w): (Vec<&str>, Vec<&str>) =
            (got[0].split(' ').collect(), want.split(' ').collect());
        assert_eq!(g.len(), w.len(), "{build}: {}", got[0]);
        // The order: the f32 constants, `|`, then the f64 constants.
        let names = CONSTANTS
            .iter()
            .map(|c| format!("f32 {}", c.0))
            .chain(["|".to_string()])
            .chain(CONSTANTS.iter().map(|c| format!("f64 {}", c.0)));
        for ((g, w), name) in g.iter().zip(&w).zip(names) {
            assert_eq!(g, w, "{build}: constant {name}: C bits {g}, Rust bits {w}");
        }
    }
}

/// The helpers behind BTRD and PTRS: every entry of the Stirling table, the
/// series beyond it, and `ln(1 + x)` for tiny to large `x`.
#[test]
fn helpers() {
    let mut cases = Vec::new();
    let ks = (0..=40)
        .map(f64::from)
        .chain([99.0, 1e3, 12_345.0, 1e6, 4e9, 1e12]);
    for k in ks {
        cases.push(Case::new(Op::Stirling32(k as f32), 0, 0, 0, 0, 1));
        cases.push(Case::new(Op::Stirling64(k), 0, 0, 0, 0, 1));
    }
    for x in [
        1e-12, -1e-12, 1e-9, 1e-7, -1e-7, 1e-5, 1e-3, -1e-3, -0.3, 0.1, 0.5, 3.0, 1e6, -0.999,
    ] {
        cases.push(Case::new(Op::Ln1p32(x as f32), 0, 0, 0, 0, 1));
        cases.push(Case::new(Op::Ln1p64(x), 0, 0, 0, 0, 1));
    }
    check("helpers", &cases);
}

#[test]
fn next_u32_streams() {
    let streams = [
        0,
        1,
        stream_id(StreamPurpose::NeuronSim, 3, 1),
        stream_id(StreamPurpose::ConnectivityInit, 65_535, 255),
        u32::MAX,
    ];
    let steps_elements = [(0, 0), (1, 7), (1000, 4095), (u32::MAX, u32::MAX)];
    let mut cases = Vec::new();
    // 9 values: across the first buffer refill.
    for seed in SEEDS {
        for stream in streams {
            for (step, element) in steps_elements {
                cases.push(Case::new(Op::U32, seed, stream, step, element, 9));
            }
        }
    }
    // Synapse streams: presynaptic indices across the whole 32-bit range.
    for seed in SEEDS {
        for offset in [0, 1, 0xFFFF, 0x1_0000, 0x1234_5678, u32::MAX] {
            cases.push(Case {
                offset: Some(offset),
                ..Case::new(Op::U32, seed, 5, 6, 7, 50)
            });
        }
    }
    // Long streams.
    for (i, seed) in SEEDS.into_iter().enumerate() {
        cases.push(Case::new(Op::U32, seed, i as u32, 3, 9, 5000));
    }
    // A long synapse stream: 65,537 calls.
    cases.push(Case {
        offset: Some(0xFFFF),
        ..Case::new(Op::U32, 99, 1, 2, 3, 4 * 65_537 + 3)
    });
    check("next_u32", &cases);
}

#[test]
fn uniform_normal_exponential() {
    let mut cases = Vec::new();
    for op in [
        Op::Uniform32,
        Op::Uniform64,
        Op::Normal32,
        Op::Normal64,
        Op::Exponential32,
        Op::Exponential64,
    ] {
        cases.extend(streams(op, 2000));
    }
    check("uniform, normal, exponential", &cases);
}

#[test]
fn gamma() {
    let mut cases = Vec::new();
    for a in [0.3, 1.0, 2.5, 17.0, 0.01, 1e4] {
        cases.extend(streams(Op::Gamma32(a as f32), 2000));
        cases.extend(streams(Op::Gamma64(a), 2000));
    }
    // NaN without drawing (the trailing u32 checks that nothing was drawn).
    for a in [0.0, -1.0, f64::NAN] {
        cases.push(Case::new(Op::Gamma32(a as f32), 3, 4, 5, 6, 3));
        cases.push(Case::new(Op::Gamma64(a), 3, 4, 5, 6, 3));
    }
    check("gamma", &cases);
}

#[test]
fn binomial() {
    let params: [(u32, f64); 29] = [
        // no draw
        (0, 0.5),
        (10, 0.0),
        (10, -0.5),
        (10, f64::NAN),
        (10, 1.0),
        (10, 1.5),
        (u32::MAX, 1.0),
        // inversion (n min(p, 1 - p) < 30)
        (1, 0.3),
        (10, 0.3),
        (10, 0.7),
        (40, 0.35),
        (50, 0.7),
        (59, 0.5),
        (1_000_000_000, 1e-8),
        (1000, 0.029),
        (100_000, 0.999_9),
        // BTRD
        (60, 0.5),
        (61, 0.5),
        (100, 0.45),
        (200, 0.3),
        (1000, 0.2),
        (1000, 0.03),
        (3000, 0.6),
        (5000, 0.93),
        (100_000, 0.5),
        (3_000_000, 0.001),
        (4_000_000_000, 0.999_999),
        (u32::MAX, 0.5),
        (u32::MAX, 0.3),
    ];
    let mut cases = Vec::new();
    for (n, p) in params {
        let count = if n > 0 && p > 0.0 && p < 1.0 { 1000 } else { 3 };
        cases.extend(streams(Op::Binomial32(n, p as f32), count));
        cases.extend(streams(Op::Binomial64(n, p), count));
    }
    check("binomial", &cases);
}

#[test]
fn poisson() {
    let lambdas = [
        // no draw
        0.0,
        -3.0,
        f64::NAN,
        f64::INFINITY,
        // inversion
        1e-3,
        0.01,
        0.5,
        4.0,
        7.5,
        29.9,
        29.999,
        // PTRS
        30.0,
        35.0,
        100.0,
        400.0,
        12_345.0,
        1e6,
        1e9,
        // saturates at u32::MAX
        1e10,
    ];
    let mut cases = Vec::new();
    for lambda in lambdas {
        let count = if lambda > 0.0 && lambda.is_finite() {
            1000
        } else {
            3
        };
        cases.extend(streams(Op::Poisson32(lambda as f32), count));
        cases.extend(streams(Op::Poisson64(lambda), count));
    }
    check("poisson", &cases);
}

/// `RNG_SOURCE` in the program the OpenCL backend assembles compiles as
/// OpenCL C 1.2 with clang's OpenCL front end: in `f32` on a device without
/// `cl_khr_fp64` (so no `double` may appear), and in `f64`. Skipped (with a
/// loud message) without clang.
#[test]
fn compiles_as_opencl_c_1_2() {
    use snn_core::Precision;
    use snn_kernels::dialect::{program, Dialect};
    let candidates = match std::env::var("CLANG") {
        Ok(c) => vec![c],
        Err(_) => vec!["clang-14".to_string(), "clang".to_string()],
    };
    let Some(clang) = candidates.into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        println!("SKIPPED: compiles_as_opencl_c_1_2: no clang (install clang-14 or set CLANG)");
        eprintln!("SKIPPED: compiles_as_opencl_c_1_2: no clang (install clang-14 or set CLANG)");
        return;
    };
    for p in [Precision::F32, Precision::F64] {
        let (s, t) = match p {
            Precision::F32 => ("f32", "float"),
            Precision::F64 => ("f64", "double"),
        };
        let kernel = format!(
            "KERNEL void draw(GLOBAL {t} *out, GLOBAL unsigned int *counts, unsigned long seed)\n\
             {{\n\
             \x20   const unsigned int id = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n\
             \x20   snn_rng r = snn_rng_synapse((unsigned int)seed, 1u, 2u, 3u, id);\n\
             \x20   out[id] = snn_uniform_{s}(&r) + snn_normal_{s}(&r) + snn_exponential_{s}(&r)\n\
             \x20       + snn_gamma_{s}(&r, ({t})0.5f);\n\
             \x20   counts[id] = snn_rng_next_u32(&r) + snn_binomial_{s}(&r, 100u, ({t})0.25f)\n\
             \x20       + snn_poisson_{s}(&r, ({t})40.0f);\n\
             }}\n"
        );
        let src = program(Dialect::OpenCl, p, &kernel);
        let dir = work_dir(&format!("rng_opencl_{s}"));
        let file = dir.join("rng.cl");
        std::fs::write(&file, &src).unwrap();
        let mut cmd = Command::new(&clang);
        // An OpenCL driver defines __OPENCL_VERSION__ (clang alone does not).
        cmd.args(["-x", "cl", "-cl-std=CL1.2", "-D__OPENCL_VERSION__=120"])
            .args(["-Xclang", "-finclude-default-header"])
            .args(["-Wall", "-Werror", "-fsyntax-only"]);
        if p == Precision::F32 {
            cmd.args(["-Xclang", "-cl-ext=-cl_khr_fp64"]);
        }
        let out = cmd.arg(&file).output().expect("run clang");
        assert!(
            out.status.success(),
            "{p:?}: RNG_SOURCE is not valid OpenCL C 1.2 ({}):\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
