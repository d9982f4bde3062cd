//! Counter-based random numbers: Philox4x32-10, keyed by (seed, stream), with
//! counters derived from (timestep, element).
//!
//! Every random draw of a simulation (initialisation and simulation) comes from
//! an [`RngStream`]: a cheap value built from `(seed, stream, step, element)`
//! that produces a deterministic sequence. Because the sequence depends only on
//! those four numbers, the CPU backend gives the same numbers for any thread
//! count, and GPU backends reproduce them exactly with the same algorithm.
//!
//! Layout of one Philox call: `key = [seed_lo, seed_hi]`,
//! `counter = [element, step, stream, block]`; `block` counts the calls made by
//! one stream value (each call yields four `u32`).

use crate::real::{Precision, Real};

const PHILOX_M0: u32 = 0xD251_1F53;
const PHILOX_M1: u32 = 0xCD9E_8D57;
const PHILOX_W0: u32 = 0x9E37_79B9;
const PHILOX_W1: u32 = 0xBB67_AE85;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

/// Philox4x32 with 10 rounds (Salmon et al. 2011, Random123), the reference
/// generator of every backend.
#[inline]
pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = ctr;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(PHILOX_W0);
            k[1] = k[1].wrapping_add(PHILOX_W1);
        }
        let (hi0, lo0) = mulhilo(PHILOX_M0, c[0]);
        let (hi1, lo1) = mulhilo(PHILOX_M1, c[2]);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// Philox4x32-10 for `L` counters at once in struct-of-arrays form
/// (`ctr[word][lane]`, `L` even, at most 32): the same arithmetic as
/// [`philox4x32_10`], written so that the compiler turns each round into a
/// few vector instructions. The lanes are packed two to a `u64`
/// ([`pack_lanes`]), so that both halves of each 32 x 32 -> 64-bit product
/// come from one 64-bit multiply per pair of lanes ([`mulhilo_pairs`]:
/// `pmuludq`) instead of one for the low and one for the high halves.
#[inline(always)]
fn philox_lanes<const L: usize>(ctr: [[u32; L]; 4], key: [u32; 2]) -> [[u32; L]; 4] {
    const { assert!(L % 2 == 0 && L <= 2 * PACKED) };
    // No `array::map` here: its closures are not always inlined into the
    // callers compiled for AVX-512 or AVX2, and a call per word costs
    // more than the rounds.
    let mut c0 = pack_lanes(&ctr[0]);
    let mut c1 = pack_lanes(&ctr[1]);
    let mut c2 = pack_lanes(&ctr[2]);
    let mut c3 = pack_lanes(&ctr[3]);
    for round in 0..10u32 {
        let k0 = both_halves(key[0].wrapping_add(round.wrapping_mul(PHILOX_W0)));
        let k1 = both_halves(key[1].wrapping_add(round.wrapping_mul(PHILOX_W1)));
        for p in 0..L / 2 {
            let (hi0, lo0) = mulhilo_pairs(PHILOX_M0, c0[p]);
            let (hi1, lo1) = mulhilo_pairs(PHILOX_M1, c2[p]);
            c0[p] = hi1 ^ c1[p] ^ k0;
            c1[p] = lo1;
            c2[p] = hi0 ^ c3[p] ^ k1;
            c3[p] = lo0;
        }
    }
    [
        unpack_lanes(&c0),
        unpack_lanes(&c1),
        unpack_lanes(&c2),
        unpack_lanes(&c3),
    ]
}

/// Pairs of lanes [`philox_lanes`] holds (32 lanes).
const PACKED: usize = 16;

/// Lanes `2p` and `2p + 1` of `x` as the low and high halves of word `p`.
#[inline(always)]
fn pack_lanes<const L: usize>(x: &[u32; L]) -> [u64; PACKED] {
    std::array::from_fn(|p| match (x.get(2 * p), x.get(2 * p + 1)) {
        (Some(&lo), Some(&hi)) => lo as u64 | (hi as u64) << 32,
        _ => 0,
    })
}

/// The inverse of [`pack_lanes`].
#[inline(always)]
fn unpack_lanes<const L: usize>(x: &[u64; PACKED]) -> [u32; L] {
    std::array::from_fn(|l| (x[l / 2] >> (32 * (l % 2))) as u32)
}

/// `k` in both halves of a word.
#[inline(always)]
fn both_halves(k: u32) -> u64 {
    k as u64 | (k as u64) << 32
}

/// [`mulhilo`] of `m` with both lanes of the pair `x`: the high halves and
/// the low halves of the two products, packed as `x`.
#[inline(always)]
fn mulhilo_pairs(m: u32, x: u64) -> (u64, u64) {
    const LOW: u64 = 0xffff_ffff;
    let even = (x & LOW) * m as u64;
    let odd = (x >> 32) * m as u64;
    let hi = (even >> 32) | (odd & !LOW);
    let lo = (even & LOW) | (odd << 32);
    (hi, lo)
}

/// [`philox_lanes`] compiled for AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn philox_lanes_avx512<const L: usize>(ctr: [[u32; L]; 4], key: [u32; 2]) -> [[u32; L]; 4] {
    philox_lanes(ctr, key)
}

/// [`philox_lanes`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn philox_lanes_avx2<const L: usize>(ctr: [[u32; L]; 4], key: [u32; 2]) -> [[u32; L]; 4] {
    philox_lanes(ctr, key)
}

/// `L` Philox4x32-10 blocks at once, in struct-of-arrays form
/// (`ctr[word][lane]`, result likewise): equal to `L` calls of
/// [`philox4x32_10`]. Uses AVX-512 or AVX2 when the CPU has them (detected
/// at run time); integer arithmetic, so every path gives the same bits.
/// Thirty-two lanes are two independent vector chains on AVX-512, which
/// hide each other's latency.
#[inline]
pub fn philox4x32_10_lanes<const L: usize>(ctr: [[u32; L]; 4], key: [u32; 2]) -> [[u32; L]; 4] {
    crate::math::dispatch_by_cpu!(
        philox_lanes_avx512(ctr, key),
        philox_lanes_avx2(ctr, key),
        philox_lanes(ctr, key)
    )
}

/// Sixteen blocks at once: [`philox4x32_10_lanes`] with `L = 16`.
#[inline]
pub fn philox4x32_10_x16(ctr: [[u32; 16]; 4], key: [u32; 2]) -> [[u32; 16]; 4] {
    philox4x32_10_lanes(ctr, key)
}

/// What a random stream is used for; the top byte of a stream id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum StreamPurpose {
    /// Draws made by neuron model code during simulation.
    NeuronSim = 1,
    /// Draws made by current-source code during simulation.
    CurrentSourceSim = 2,
    /// Draws made by postsynaptic-model code during simulation.
    PostsynapticSim = 3,
    /// Draws made by weight-update code during simulation.
    SynapseSim = 4,
    /// Variable initialisation.
    VarInit = 5,
    /// Connectivity initialisation.
    ConnectivityInit = 6,
}

/// Builds a stream id: `purpose << 24 | group << 8 | sub`.
///
/// `group` is the index of the population / synapse group / current source in
/// the network (as assigned by the network builder, below 65,536), `sub`
/// distinguishes streams of one group (e.g. the index of the variable being
/// initialised).
pub const fn stream_id(purpose: StreamPurpose, group: u32, sub: u32) -> u32 {
    ((purpose as u32) << 24) | ((group & 0xFFFF) << 8) | (sub & 0xFF)
}

/// The most populations, synapse groups or current sources (each kind
/// counted alone) a network may have: the `group` field of a stream id has
/// 16 bits.
pub const MAX_GROUPS: usize = 1 << 16;

/// Which variables a variable-initialisation stream belongs to: stream
/// `stream_id(VarInit, group, first + k)` initialises variable `k` of the
/// part, for `k` below [`capacity`](VarInitRange::capacity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarInitRange {
    /// A neuron model's `#[var]`s (population index).
    Neuron,
    /// A weight-update model's per-synapse `#[var]`s (group index).
    WeightUpdate,
    /// A weight-update model's `#[pre_var]`s (group index).
    WeightUpdatePre,
    /// A weight-update model's `#[post_var]`s (group index).
    WeightUpdatePost,
    /// A postsynaptic model's `#[var]`s (group index).
    Postsynaptic,
    /// A current source's `#[var]`s (source index).
    CurrentSource,
}

impl VarInitRange {
    /// The first `sub` of the range.
    pub const fn first(self) -> u32 {
        match self {
            VarInitRange::Neuron => 0,
            VarInitRange::WeightUpdate => 64,
            VarInitRange::WeightUpdatePre => 96,
            VarInitRange::WeightUpdatePost => 112,
            VarInitRange::Postsynaptic => 128,
            VarInitRange::CurrentSource => 192,
        }
    }

    /// How many variables the range can hold.
    pub const fn capacity(self) -> u32 {
        match self {
            VarInitRange::Neuron => 64,
            VarInitRange::WeightUpdate => 32,
            VarInitRange::WeightUpdatePre | VarInitRange::WeightUpdatePost => 16,
            VarInitRange::Postsynaptic | VarInitRange::CurrentSource => 64,
        }
    }

    /// The stream of variable `k` of part `group`.
    pub const fn stream(self, group: u32, k: u32) -> u32 {
        stream_id(StreamPurpose::VarInit, group, self.first() + k)
    }
}

/// The stream id reserved for deriving keys ([`synapse_key`]); no
/// [`StreamPurpose`] produces it.
const KEY_DERIVATION_STREAM: u32 = 0xFFFF_FFFF;

/// The Philox key of the synapse-code draws of `stream` under `seed`: the
/// first two words of the Philox block `[stream, 0, KEY_DERIVATION_STREAM, 0]`
/// under the key `seed` (a pseudorandom function of both, so different
/// streams get unrelated keys). Synapse code needs the whole 128-bit
/// counter for `(post, step, pre, call)`, so its stream moves into the key.
pub fn synapse_key(seed: u64, stream: u32) -> [u32; 2] {
    let b = philox4x32_10(
        [stream, 0, KEY_DERIVATION_STREAM, 0],
        [seed as u32, (seed >> 32) as u32],
    );
    [b[0], b[1]]
}

/// A deterministic random sequence for one `(seed, stream, step, element)`.
///
/// ```
/// use snn_core::rng::RngStream;
/// let mut a = RngStream::new(42, 7, 100, 3);
/// let mut b = RngStream::new(42, 7, 100, 3);
/// assert_eq!(a.next_u32(), b.next_u32());
/// let u: f32 = a.uniform();
/// assert!(u > 0.0 && u < 1.0);
/// ```
#[derive(Clone, Debug)]
pub struct RngStream {
    key: [u32; 2],
    ctr: [u32; 4],
    buf: [u32; 4],
    pos: usize,
}

impl RngStream {
    /// The stream for `element` at timestep `step` of stream `stream` under `seed`.
    #[inline]
    pub fn new(seed: u64, stream: u32, step: u32, element: u32) -> Self {
        RngStream {
            key: [seed as u32, (seed >> 32) as u32],
            ctr: [element, step, stream, 0],
            buf: [0; 4],
            pos: 4,
        }
    }

    /// The stream of synapse code for the synapse `pre -> post` at `step`:
    /// key [`synapse_key`]`(seed, stream)`, counter `[post, step, pre, call]`.
    /// Every (presynaptic, postsynaptic, step) triple has its own 2^32
    /// calls (four values each), for populations of up to 2^32 - 1 neurons.
    ///
    /// ```
    /// use snn_core::rng::{synapse_key, RngStream};
    /// let key = synapse_key(42, 7);
    /// let a = RngStream::synapse(key, 3, 0, 5).next_u32();
    /// let b = RngStream::synapse(key, 3, 65_536, 5).next_u32();
    /// assert_ne!(a, b);
    /// ```
    #[inline]
    pub fn synapse(key: [u32; 2], step: u32, pre: u32, post: u32) -> Self {
        RngStream {
            key,
            ctr: [post, step, pre, 0],
            buf: [0; 4],
            pos: 4,
        }
    }

    /// The next raw 32-bit value.
    #[inline(always)]
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == 4 {
            // By value through an outlined call: the stream itself never
            // has its address taken, so a stream used in a loop can live in
            // registers.
            self.buf = next_block(self.ctr, self.key);
            self.ctr[3] = self.ctr[3].wrapping_add(1);
            self.pos = 0;
        }
        let x = self.buf[self.pos];
        self.pos += 1;
        x
    }

    /// Fills `out` with the next `out.len()` raw values: the same as one
    /// [`next_u32`](Self::next_u32) per element, with the Philox blocks
    /// computed sixteen at a time ([`philox4x32_10_x16`]).
    pub fn fill_u32(&mut self, out: &mut [u32]) {
        let mut k = 0;
        while self.pos < 4 && k < out.len() {
            out[k] = self.next_u32();
            k += 1;
        }
        // Up to 64 values (sixteen blocks) at a time; the stream then holds
        // the last block used, as `next_u32` would have left it.
        for chunk in out[k..].chunks_mut(64) {
            let c = self.ctr;
            let blocks: [u32; 16] = std::array::from_fn(|b| c[3].wrapping_add(b as u32));
            let words = philox4x32_10_x16([[c[0]; 16], [c[1]; 16], [c[2]; 16], blocks], self.key);
            for (i, x) in chunk.iter_mut().enumerate() {
                *x = words[i % 4][i / 4];
            }
            let used = chunk.len().div_ceil(4);
            let last = used - 1;
            self.buf = std::array::from_fn(|w| words[w][last]);
            self.pos = chunk.len() - 4 * last;
            self.ctr[3] = c[3].wrapping_add(used as u32);
        }
    }

    /// A uniform draw in the open interval (0, 1).
    ///
    /// `f32`: one `u32` `x`, mapped by [`u32_to_uniform_f32`] to
    /// `((x >> 9) + 0.5) * 2^-23`; `f64`: two `u32`, `hi` then `lo`, mapped by
    /// [`u64_to_uniform_f64`] applied to `hi << 32 | lo`, i.e.
    /// `((hi << 20 | lo >> 12) + 0.5) * 2^-52`. Both are exact in their type,
    /// so every backend gets the same bits, and neither can give 0 or 1.
    #[inline]
    pub fn uniform<S: Real>(&mut self) -> S {
        match S::PRECISION {
            Precision::F32 => S::from_f64(u32_to_uniform_f32(self.next_u32()) as f64),
            Precision::F64 => {
                let hi = self.next_u32() as u64;
                let lo = self.next_u32() as u64;
                S::from_f64(u64_to_uniform_f64((hi << 32) | lo))
            }
        }
    }

    /// A standard normal draw (mean 0, sd 1) by the Box-Muller transform.
    ///
    /// Draws `u1` then `u2` with [`uniform`](Self::uniform) and returns
    /// `sqrt(-2 ln u1) * cos(2 pi u2)`, computed in `S` (with `2 pi` rounded to
    /// `S`). The second Box-Muller value, `sqrt(-2 ln u1) * sin(2 pi u2)`, is
    /// *not* cached: every call consumes exactly two uniforms, so a GPU thread
    /// can reproduce any draw without carrying state between calls.
    ///
    /// `f32` evaluates `ln` and `cos` with [`crate::math`] (Cephes'
    /// polynomials, about one unit in the last place; the CPU vectorises
    /// them over many draws), `f64` with the standard library.
    #[inline]
    pub fn normal<S: Real>(&mut self) -> S {
        match S::PRECISION {
            Precision::F32 => S::from_f64(normal_impl::<f32>(self) as f64),
            Precision::F64 => S::from_f64(normal_impl::<f64>(self)),
        }
    }

    /// An exponential draw with rate 1 (mean 1): `-ln(u)` for one
    /// [`uniform`](Self::uniform) `u`, computed in `S`.
    #[inline]
    pub fn exponential<S: Real>(&mut self) -> S {
        match S::PRECISION {
            Precision::F32 => S::from_f64(exponential_impl::<f32>(self) as f64),
            Precision::F64 => S::from_f64(exponential_impl::<f64>(self)),
        }
    }

    /// A gamma draw with shape `a` and scale 1 (mean `a`, variance `a`),
    /// computed in `S`.
    ///
    /// For `a >= 1`: Marsaglia & Tsang (2000), "A simple method for generating
    /// gamma variables". With `d = a - 1/3` and `c = 1 / sqrt(9 d)`, each
    /// attempt draws [`normal`](Self::normal) values `x` (two uniforms each)
    /// until `v = 1 + c x > 0`, sets `v = v^3`, then draws one uniform `u`;
    /// it returns `d v` if `u < 1 - 0.0331 x^4` or
    /// `ln u < x^2 / 2 + d (1 - v + ln v)`, and otherwise starts a new attempt.
    ///
    /// For `0 < a < 1`: first a complete draw `g` of shape `a + 1` as above,
    /// then one uniform `u`; the result is `g * u^(1/a)` (which may underflow
    /// to 0 for very small `a`, as the true distribution nearly does).
    ///
    /// `a <= 0` or NaN gives NaN (check parameters before sampling).
    #[inline]
    pub fn gamma<S: Real>(&mut self, a: S) -> S {
        match S::PRECISION {
            Precision::F32 => S::from_f64(gamma_impl::<f32>(self, a.to_f64() as f32) as f64),
            Precision::F64 => S::from_f64(gamma_impl::<f64>(self, a.to_f64())),
        }
    }

    /// A binomial draw: the number of successes in `n` trials of probability
    /// `p`. Exact (no normal approximation), computed in `S`.
    ///
    /// `n == 0` or `p <= 0` (or NaN) gives 0 and `p >= 1` gives `n`, without
    /// drawing. Otherwise, with `p' = min(p, 1 - p)` (for `p > 0.5` the draw is
    /// made for `1 - p` and `n - k` returned):
    /// - if `n p' < 30`: inversion by sequential search from ONE uniform `u`:
    ///   `k = 0`, `prob = (1 - p')^n` (as `exp(n ln(1 - p'))`, with `ln(1 - p')`
    ///   evaluated accurately from `ln`), `cdf = prob`; while `u > cdf` (and
    ///   `k < n`, `k < 1000`): `k += 1`, `prob *= s (n + 1) / k - s` with
    ///   `s = p' / (1 - p')`, `cdf += prob`;
    /// - otherwise BTRD, Hörmann (1993), "The generation of binomial random
    ///   variates": each attempt draws one uniform `v` and, unless it is
    ///   accepted at once by the squeeze `v <= 0.86 v_r`, a second uniform.
    ///   Two details differ from the paper without changing the distribution:
    ///   a `k` outside `[0, n]` from the first squeeze (impossible for
    ///   `n p' >= 30`) starts a new attempt, and the final acceptance test is
    ///   rearranged so that no term grows with `n` (the paper's form loses all
    ///   accuracy in `f32` for `n` in the millions).
    #[inline]
    pub fn binomial<S: Real>(&mut self, n: u32, p: S) -> u32 {
        match S::PRECISION {
            Precision::F32 => binomial_impl::<f32>(self, n, p.to_f64() as f32),
            Precision::F64 => binomial_impl::<f64>(self, n, p.to_f64()),
        }
    }

    /// A Poisson draw with mean `lambda`, computed in `S`.
    ///
    /// `lambda <= 0` (or NaN) gives 0 without drawing; `lambda = +inf` gives
    /// `u32::MAX`; results saturate at `u32::MAX`.
    /// - `lambda < 30`: inversion by sequential search from ONE uniform `u`:
    ///   `k = 0`, `prob = exp(-lambda)`, `cdf = prob`; while `u > cdf` (and
    ///   `k < 1000`, a cap that only guards against rounding):
    ///   `k += 1`, `prob *= lambda / k`, `cdf += prob`.
    /// - `lambda >= 30`: PTRS, Hörmann (1993), "The transformed rejection method
    ///   for generating Poisson random variables": each attempt draws `U` then
    ///   `V` (two uniforms). The final test compares with `ln P(k)` written as
    ///   `(k + 1 - lambda) + k ln(1 + (lambda - k - 1)/(k + 1)) - ln(k + 1)/2
    ///   - ln(sqrt(2 pi)) - fc(k)` (Stirling with its exact correction `fc`),
    ///   which keeps `f32` accurate for large `lambda`.
    #[inline(always)]
    pub fn poisson<S: Real>(&mut self, lambda: S) -> u32 {
        match S::PRECISION {
            Precision::F32 => poisson_impl::<f32>(self, lambda.to_f64() as f32),
            Precision::F64 => poisson_impl::<f64>(self, lambda.to_f64()),
        }
    }
}

/// The streams of elements `first..first + L` at one step with their
/// first Philox blocks computed at once ([`philox4x32_10_lanes`]):
/// [`lane`](Self::lane) equals [`RngStream::new`] for each element, and is
/// cheaper when every element draws.
///
/// ```
/// use snn_core::rng::{RngStream, StreamLanes};
/// let lanes = StreamLanes::<16>::new(42, 7, 100, 32);
/// let (mut a, mut b) = (lanes.lane(5), RngStream::new(42, 7, 100, 37));
/// assert_eq!(a.next_u32(), b.next_u32());
/// ```
#[derive(Clone, Debug)]
pub struct StreamLanes<const L: usize> {
    key: [u32; 2],
    ctr: [u32; 3],
    words: [[u32; L]; 4],
}

/// [`StreamLanes`] of sixteen elements.
pub type SixteenStreams = StreamLanes<16>;

impl<const L: usize> StreamLanes<L> {
    /// A placeholder before the first [`new`](Self::new) (all zeros: not
    /// the streams of any elements).
    pub const EMPTY: StreamLanes<L> = StreamLanes {
        key: [0; 2],
        ctr: [0; 3],
        words: [[0; L]; 4],
    };

    /// The streams of elements `first..first + L` of `stream` at `step` under `seed`.
    #[inline]
    pub fn new(seed: u64, stream: u32, step: u32, first: u32) -> StreamLanes<L> {
        let key = [seed as u32, (seed >> 32) as u32];
        let elements: [u32; L] = std::array::from_fn(|k| first.wrapping_add(k as u32));
        let words = philox4x32_10_lanes([elements, [step; L], [stream; L], [0; L]], key);
        StreamLanes {
            key,
            ctr: [first, step, stream],
            words,
        }
    }

    /// The stream of element `first + lane` (`lane < L`).
    #[inline(always)]
    pub fn lane(&self, lane: usize) -> RngStream {
        let w = &self.words;
        RngStream {
            key: self.key,
            ctr: [
                self.ctr[0].wrapping_add(lane as u32),
                self.ctr[1],
                self.ctr[2],
                1,
            ],
            buf: [w[0][lane], w[1][lane], w[2][lane], w[3][lane]],
            pos: 0,
        }
    }
}

/// [`philox4x32_10`], outlined: the refill of [`RngStream::next_u32`].
#[inline(never)]
fn next_block(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    philox4x32_10(ctr, key)
}

/// Maps one `u32` to a uniform `f32` in the open interval (0, 1):
/// `((x >> 9) + 0.5) * 2^-23`, exact in `f32`. The smallest value is `2^-24`
/// (for `x < 512`), the largest `1 - 2^-24`.
#[inline]
pub fn u32_to_uniform_f32(x: u32) -> f32 {
    ((x >> 9) as f32 + 0.5) * (1.0 / 8_388_608.0)
}

/// Maps 64 random bits to a uniform `f64` in the open interval (0, 1):
/// `((x >> 12) + 0.5) * 2^-52`, exact in `f64`. The smallest value is `2^-53`,
/// the largest `1 - 2^-53`. [`RngStream::uniform`] passes `hi << 32 | lo` for
/// two consecutive `u32` draws `hi`, `lo`.
#[inline]
pub fn u64_to_uniform_f64(x: u64) -> f64 {
    ((x >> 12) as f64 + 0.5) * (1.0 / 4_503_599_627_370_496.0)
}

/// The floating-point operations the distributions use, each evaluated in the
/// type itself (so an `f32` draw uses `f32` arithmetic, as a `float` GPU
/// kernel does). `ln`, `exp`, `cos` and `powf` (gamma with shape below 1)
/// are [`crate::math`]'s, which `rng.h` repeats in C, so every backend
/// draws the same bits.
trait Float: Real + crate::math::Elementary {
    fn sqrt(self) -> Self;
    fn powf(self, e: Self) -> Self;
    fn floor(self) -> Self;
    fn abs(self) -> Self;
    /// `sqrt(-2 ln u1) * cos(2 pi u2)` (see [`RngStream::normal`]).
    fn box_muller(u1: Self, u2: Self) -> Self;
    /// Runs `f` with this thread's Poisson [`InversionTable`] for `Self`.
    fn with_inversion_table<R>(f: impl FnOnce(&mut InversionTable<Self>) -> R) -> R;
}

/// Box-Muller in `f64` with [`crate::math`]'s `ln` and `cos` (`f32` uses
/// [`crate::math::box_muller_f32`]).
#[inline(always)]
fn box_muller_f64(u1: f64, u2: f64) -> f64 {
    (-2.0 * crate::math::ln_f64(u1)).sqrt()
        * crate::math::cos_box_muller_f64(std::f64::consts::TAU * u2)
}

macro_rules! impl_float {
    ($t:ty, $box_muller:path) => {
        impl Float for $t {
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn powf(self, e: Self) -> Self {
                crate::math::Powers::powf(self, e)
            }
            #[inline(always)]
            fn floor(self) -> Self {
                <$t>::floor(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn box_muller(u1: Self, u2: Self) -> Self {
                $box_muller(u1, u2)
            }
            #[inline(always)]
            fn with_inversion_table<R>(f: impl FnOnce(&mut InversionTable<Self>) -> R) -> R {
                // A fixed-size table: nothing to drop, so the thread-local
                // needs no destructor registration and is a plain access.
                thread_local! {
                    static TABLE: std::cell::UnsafeCell<InversionTable<$t>> =
                        const {
                            std::cell::UnsafeCell::new(InversionTable {
                                lambda_bits: None,
                                prob: 0.0,
                                cdf: [0.0; TABLE_LEN],
                                len: 0,
                                guide: [0; GUIDE_LEN],
                            })
                        };
                }
                let table = TABLE.with(|t| t.get());
                // SAFETY: `table` is this thread's table, alive as long as
                // the thread. It is only reached through this function,
                // whose callers (the Poisson draw) never call it again from
                // `f`, so this is the only reference while `f` runs.
                f(unsafe { &mut *table })
            }
        }
    };
}
impl_float!(f32, crate::math::box_muller_f32);
impl_float!(f64, box_muller_f64);

/// A constant rounded to `F`.
#[inline(always)]
fn c<F: Real>(x: f64) -> F {
    F::from_f64(x)
}

/// An integer converted to `F` with a single rounding (as a C cast does).
#[inline(always)]
fn fi<F: Real>(x: u64) -> F {
    F::from_f64(x as f64)
}

/// `x > 0`; false for NaN.
#[inline(always)]
fn is_positive<F: Real>(x: F) -> bool {
    x > F::ZERO
}

/// A non-negative float converted to `u32`, saturating (NaN gives 0).
#[inline(always)]
fn to_u32<F: Real>(x: F) -> u32 {
    x.to_f64() as u32
}

/// `ln(1 + x)` for `x > -1`, accurate also for tiny `x`, using only `ln`
/// (Goldberg 1991, "What every computer scientist should know about
/// floating-point arithmetic", theorem 4). Must not be reassociated by the
/// compiler (no fast-math on the GPU for this expression).
#[inline]
fn ln_1p<F: Float>(x: F) -> F {
    let one = c::<F>(1.0);
    let u = one + x;
    if u == one {
        x
    } else {
        u.ln() * x / (u - one)
    }
}

/// `fc(k) = ln k! - (k + 1/2) ln(k + 1) + (k + 1) - ln sqrt(2 pi)`: the
/// correction term of Stirling's formula, tabulated for `k < 10`
/// (Hörmann 1993, BTRD; the same table as Boost's `binomial_distribution`).
const STIRLING_FC: [f64; 10] = [
    0.081_061_466_795_327_26,
    0.041_340_695_955_409_29,
    0.027_677_925_684_998_34,
    0.020_790_672_103_765_09,
    0.016_644_691_189_821_19,
    0.013_876_128_823_070_75,
    0.011_896_709_945_891_77,
    0.010_411_265_261_972_09,
    0.009_255_462_182_712_733,
    0.008_330_563_433_362_87,
];

/// `ln sqrt(2 pi)`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// The Stirling correction `fc(k)` (see [`STIRLING_FC`]) for an integral
/// `k >= 0` held in `F`: the table below 10, else the series
/// `(1/12 - (1/360 - 1/1260 / (k+1)^2) / (k+1)^2) / (k+1)`.
#[inline]
fn stirling_fc<F: Float>(k: F) -> F {
    if k < c(10.0) {
        c(STIRLING_FC[k.to_f64() as usize])
    } else {
        let ikp1 = c::<F>(1.0) / (k + c(1.0));
        let ikp1_2 = ikp1 * ikp1;
        (c::<F>(1.0 / 12.0) - (c::<F>(1.0 / 360.0) - c::<F>(1.0 / 1260.0) * ikp1_2) * ikp1_2) * ikp1
    }
}

fn normal_impl<F: Float>(rng: &mut RngStream) -> F {
    let u1: F = rng.uniform();
    let u2: F = rng.uniform();
    F::box_muller(u1, u2)
}

fn exponential_impl<F: Float>(rng: &mut RngStream) -> F {
    -rng.uniform::<F>().ln()
}

fn gamma_impl<F: Float>(rng: &mut RngStream, a: F) -> F {
    let one = c::<F>(1.0);
    if !is_positive(a) {
        return c(f64::NAN);
    }
    if a < one {
        let g = gamma_marsaglia_tsang(rng, a + one);
        let u: F = rng.uniform();
        return g * u.powf(one / a);
    }
    gamma_marsaglia_tsang(rng, a)
}

/// Marsaglia & Tsang (2000) for shape `a >= 1`.
fn gamma_marsaglia_tsang<F: Float>(rng: &mut RngStream, a: F) -> F {
    let one = c::<F>(1.0);
    let d = a - c(1.0 / 3.0);
    let cc = one / (c::<F>(9.0) * d).sqrt();
    loop {
        let (x, v) = loop {
            let x: F = normal_impl(rng);
            let v = one + cc * x;
            if v > F::ZERO {
                break (x, v);
            }
        };
        let v = v * v * v;
        let u: F = rng.uniform();
        let x2 = x * x;
        if u < one - c::<F>(0.0331) * x2 * x2 {
            return d * v;
        }
        if u.ln() < c::<F>(0.5) * x2 + d * (one - v + v.ln()) {
            return d * v;
        }
    }
}

/// Cap on the sequential-search loops of the inversion methods; the mean is
/// below 30 there, so reaching 1000 would need rounding gone wrong.
const INVERSION_CAP: u32 = 1000;

fn binomial_impl<F: Float>(rng: &mut RngStream, n: u32, p: F) -> u32 {
    let one = c::<F>(1.0);
    if n == 0 || !is_positive(p) {
        return 0;
    }
    if p >= one {
        return n;
    }
    if p > c(0.5) {
        n - binomial_low_p(rng, n, one - p)
    } else {
        binomial_low_p(rng, n, p)
    }
}

/// Binomial draw for `0 < p <= 1/2`.
fn binomial_low_p<F: Float>(rng: &mut RngStream, n: u32, p: F) -> u32 {
    let one = c::<F>(1.0);
    let nf: F = fi(n as u64);
    if nf * p < c(30.0) {
        let s = p / (one - p);
        let a = (nf + one) * s;
        let mut prob = (nf * ln_1p(-p)).exp();
        let mut cdf = prob;
        let u: F = rng.uniform();
        let mut k = 0u32;
        while u > cdf && k < n && k < INVERSION_CAP {
            k += 1;
            prob *= a / fi(k as u64) - s;
            cdf += prob;
        }
        k
    } else {
        binomial_btrd(rng, n, p)
    }
}

/// BTRD (Hörmann 1993) for `n p >= 30`, `p <= 1/2`; variable names follow the
/// paper (and Boost's implementation of it).
fn binomial_btrd<F: Float>(rng: &mut RngStream, n: u32, p: F) -> u32 {
    let one = c::<F>(1.0);
    let half = c::<F>(0.5);
    let nf: F = fi(n as u64);
    let q = one - p;
    let m = to_u32(((nf + one) * p).floor()).min(n);
    let r = p / q;
    let nr = (nf + one) * r;
    let npq = nf * p * q;
    let sqrt_npq = npq.sqrt();
    let b = c::<F>(1.15) + c::<F>(2.53) * sqrt_npq;
    let a = c::<F>(-0.0873) + c::<F>(0.0248) * b + c::<F>(0.01) * p;
    let cc = nf * p + half;
    let alpha = (c::<F>(2.83) + c::<F>(5.1) / b) * sqrt_npq;
    let v_r = c::<F>(0.92) - c::<F>(4.2) / b;
    let u_rv_r = c::<F>(0.86) * v_r;
    let two_a = c::<F>(2.0) * a;
    let mf: F = fi(m as u64);
    loop {
        // Step 1: the squeeze region, one uniform.
        let mut v: F = rng.uniform();
        let u;
        if v <= u_rv_r {
            let u = v / v_r - c(0.43);
            let kf = ((two_a / (half - u.abs()) + b) * u + cc).floor();
            if kf >= F::ZERO && kf <= nf {
                return to_u32(kf).min(n);
            }
            continue;
        }
        // Step 2: a second uniform.
        if v >= v_r {
            u = rng.uniform::<F>() - half;
        } else {
            let w = v / v_r - c(0.93);
            u = (if w < F::ZERO { -half } else { half }) - w;
            v = rng.uniform::<F>() * v_r;
        }
        let us = half - u.abs();
        let kf = ((two_a / us + b) * u + cc).floor();
        if !(kf >= F::ZERO && kf <= nf) {
            continue;
        }
        let k = to_u32(kf);
        if k > n {
            continue;
        }
        v = v * alpha / (a / (us * us) + b);
        let km = k.abs_diff(m);
        // Step 3.1: recursive evaluation of f(k) / f(m) near the mode.
        if km <= 15 {
            let mut f = one;
            if m < k {
                for i in m + 1..=k {
                    f *= nr / fi(i as u64) - r;
                }
            } else if m > k {
                for i in k + 1..=m {
                    v *= nr / fi(i as u64) - r;
                }
            }
            if v <= f {
                return k;
            }
            continue;
        }
        // Step 3.2: squeeze on ln v.
        v = v.ln();
        let kmf: F = fi(km as u64);
        let rho = (kmf / npq) * (((kmf / c(3.0) + c(0.625)) * kmf + c(1.0 / 6.0)) / npq + half);
        let t = -kmf * kmf / (c::<F>(2.0) * npq);
        if v < t - rho {
            return k;
        }
        if v > t + rho {
            continue;
        }
        // Steps 3.3-3.4: the final comparison with ln f(k) / f(m). Hörmann's
        // expression `h + (n+1) ln(nm/nk) + (k+1/2) ln(nk r/(k+1)) - fc(k) - fc(n-k)`
        // with `h = (m+1/2) ln((m+1)/(r nm)) + fc(m) + fc(n-m)` is rearranged
        // (exactly, in real arithmetic) into terms that stay small when `n` is
        // large, so that f32 keeps its accuracy: with d = k - m,
        // (n-m+1/2) ln(1 + d/(n-k+1)) - (m+1/2) ln(1 + d/(m+1))
        //   + d ln(1 + ((n+2) p - (k+1)) / ((k+1) q)) + fc(m) + fc(n-m) - fc(k) - fc(n-k).
        let d = if k >= m { kmf } else { -kmf };
        let kf: F = fi(k as u64);
        let nk: F = fi(n as u64 - k as u64 + 1);
        let n_m: F = fi(n as u64 - m as u64);
        let n_k: F = fi(n as u64 - k as u64);
        let ln_f_ratio = (n_m + half) * ln_1p(d / nk) - (mf + half) * ln_1p(d / (mf + one))
            + d * ln_1p(((nf + c(2.0)) * p - (kf + one)) / ((kf + one) * q))
            + stirling_fc(mf)
            + stirling_fc(n_m)
            - stirling_fc(kf)
            - stirling_fc(n_k);
        if v <= ln_f_ratio {
            return k;
        }
    }
}

#[inline(always)]
fn poisson_impl<F: Float>(rng: &mut RngStream, lambda: F) -> u32 {
    if !is_positive(lambda) {
        return 0;
    }
    if lambda.to_f64() == f64::INFINITY {
        return u32::MAX;
    }
    if lambda < c(30.0) {
        let (u, bucket) = uniform_with_bucket::<F>(rng);
        F::with_inversion_table(|t| t.inversion(lambda, u, bucket))
    } else {
        // On a copy of the stream: the rare path does not take the
        // address of the caller's stream (which can then stay in registers).
        let mut r = rng.clone();
        let k = poisson_ptrs(&mut r, lambda);
        *rng = r;
        k
    }
}

/// A [`RngStream::uniform`] draw `u` and its guide-table bucket
/// `floor(u * GUIDE_LEN)`, read off the raw bits (the top 8 bits of the
/// first `u32`: both uniform mappings keep them as the leading bits)
/// instead of from the float, which shortens the draw's dependency chain.
#[inline(always)]
fn uniform_with_bucket<F: Float>(rng: &mut RngStream) -> (F, usize) {
    const _: () = assert!(GUIDE_LEN == 256, "the bucket is the top 8 bits");
    match F::PRECISION {
        Precision::F32 => {
            let x = rng.next_u32();
            (
                F::from_f64(u32_to_uniform_f32(x) as f64),
                (x >> 24) as usize,
            )
        }
        Precision::F64 => {
            let hi = rng.next_u32();
            let lo = rng.next_u32() as u64;
            let u = u64_to_uniform_f64(((hi as u64) << 32) | lo);
            (F::from_f64(u), (hi >> 24) as usize)
        }
    }
}

/// The cumulative probabilities of Poisson inversion for one `lambda`,
/// computed as the inversion loop computes them (`prob_0 = exp(-lambda)`,
/// `prob_k = prob_{k-1} * (lambda / k)`, `cdf_k = cdf_{k-1} + prob_k`, in
/// `F`), extended as far as draws have needed. Inverting against the table
/// gives the loop's result bit for bit (the GPU kernels run the loop), but
/// a network drawing with the same `lambda` for every element and step
/// (e.g. `PoissonExp` background input) computes `exp` and the divisions
/// once per thread instead of once per draw.
struct InversionTable<F> {
    /// Bits of the `lambda` the table is for (as `f64`).
    lambda_bits: Option<u64>,
    /// The last `prob_k` (that of `cdf[len - 1]`).
    prob: F,
    /// `cdf_0..cdf_{len - 1}`; the rest is unused.
    cdf: [F; TABLE_LEN],
    len: usize,
    /// `guide[b]`: how many of the first [`HEAD`](InversionTable::HEAD)
    /// entries are below `b / GUIDE_LEN`, where a search for a `u` in
    /// `[b / GUIDE_LEN, (b + 1) / GUIDE_LEN)` can start (Chen & Asau's
    /// guide table).
    guide: [u8; GUIDE_LEN],
}

/// Buckets of an [`InversionTable`]'s guide table.
const GUIDE_LEN: usize = 256;

/// Entries an [`InversionTable`] can hold: every `k` the inversion loop can
/// return (`0..=INVERSION_CAP`).
const TABLE_LEN: usize = INVERSION_CAP as usize + 1;

impl<F: Float> InversionTable<F> {
    /// Entries computed when the table is (re)built; draws below
    /// `cdf[HEAD - 1]` (nearly all, for the small `lambda` of background
    /// input) start from the guide table and rarely need a step of search.
    const HEAD: usize = 16;

    /// The smallest `k` with `u <= cdf_k`, at most [`INVERSION_CAP`];
    /// `b` is `floor(u * GUIDE_LEN)`.
    #[inline(always)]
    fn inversion(&mut self, lambda: F, u: F, b: usize) -> u32 {
        if self.lambda_bits != Some(lambda.to_f64().to_bits()) {
            self.rebuild(lambda);
        }
        // `cdf` never decreases (it adds non-negative terms), so every entry
        // before `guide[b]` is below `b / GUIDE_LEN <= u`: the first entry
        // at or above `u` is found by scanning on from there.
        let mut k = self.guide[b] as usize;
        if k < Self::HEAD {
            // The first step without a branch: whether `u` is past the
            // bucket's first entry is a coin flip, the rest rarely happens.
            k += (u > self.cdf[k]) as usize;
        }
        while k < Self::HEAD && u > self.cdf[k] {
            k += 1;
        }
        if k < Self::HEAD {
            k as u32
        } else {
            self.search_tail(lambda, u)
        }
    }

    /// Recomputes the first [`HEAD`](Self::HEAD) entries for a new `lambda`.
    #[cold]
    #[inline(never)]
    fn rebuild(&mut self, lambda: F) {
        self.lambda_bits = Some(lambda.to_f64().to_bits());
        self.prob = (-lambda).exp();
        self.cdf[0] = self.prob;
        self.len = 1;
        while self.len < Self::HEAD {
            self.extend(lambda);
        }
        for (b, g) in self.guide.iter_mut().enumerate() {
            let lower = b as f64 / GUIDE_LEN as f64;
            *g = self.cdf[..Self::HEAD]
                .iter()
                .take_while(|c| c.to_f64() < lower)
                .count() as u8;
        }
    }

    /// The inversion loop beyond the head, extending the table as needed.
    #[inline(never)]
    fn search_tail(&mut self, lambda: F, u: F) -> u32 {
        let mut k = Self::HEAD - 1;
        while u > self.cdf[k] && k < INVERSION_CAP as usize {
            k += 1;
            if k == self.len {
                self.extend(lambda);
            }
        }
        k as u32
    }

    /// Appends the next entry, as the inversion loop computes it.
    #[inline]
    fn extend(&mut self, lambda: F) {
        let k = self.len;
        self.prob *= lambda / fi(k as u64);
        self.cdf[k] = self.cdf[k - 1] + self.prob;
        self.len += 1;
    }
}

/// PTRS (Hörmann 1993) for `lambda >= 30`.
#[inline(never)]
fn poisson_ptrs<F: Float>(rng: &mut RngStream, lambda: F) -> u32 {
    let one = c::<F>(1.0);
    let half = c::<F>(0.5);
    let slam = lambda.sqrt();
    let b = c::<F>(0.931) + c::<F>(2.53) * slam;
    let a = c::<F>(-0.059) + c::<F>(0.02483) * b;
    let inv_alpha = c::<F>(1.1239) + c::<F>(1.1328) / (b - c(3.4));
    let v_r = c::<F>(0.9277) - c::<F>(3.6224) / (b - c(2.0));
    let two_a = c::<F>(2.0) * a;
    loop {
        let u = rng.uniform::<F>() - half;
        let v: F = rng.uniform();
        let us = half - u.abs();
        let kf = ((two_a / us + b) * u + lambda + c(0.43)).floor();
        if us >= c(0.07) && v <= v_r {
            return to_u32(kf);
        }
        if kf < F::ZERO || (us < c(0.013) && v > us) {
            continue;
        }
        let lhs = (v * inv_alpha / (a / (us * us) + b)).ln();
        let kp1 = kf + one;
        let ln_pk = (kp1 - lambda) + kf * ln_1p((lambda - kp1) / kp1)
            - half * kp1.ln()
            - c(LN_SQRT_2PI)
            - stirling_fc(kf);
        if lhs <= ln_pk {
            return to_u32(kf);
        }
    }
}

#[cfg(test)]
mod tests;
