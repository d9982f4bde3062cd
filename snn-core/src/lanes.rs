//! Model code over [`WIDTH`] elements at once: the vector path of the CPU
//! backend.
//!
//! The model macros emit, besides the scalar methods, a *lane* form of a
//! neuron model's `sim` and `threshold` and of a weight-update model's
//! synapse code where every value is a [`Lanes`] (one value per neuron or
//! synapse of a group of [`WIDTH`]), conditions are [`Mask`]s,
//! assignments under a condition are selects and loops run until no lane
//! is active (`snn-macros/src/lanes.rs`). Every operation here applies the
//! scalar operation to each lane in a loop the compiler vectorises (inside
//! the backend's AVX-512 / AVX2 copies of the element loop), so each lane
//! computes exactly the bits of the scalar path: IEEE operations, and each
//! float method (`x.exp()`, `x.max(y)`, ...) as the scalar method of each
//! lane, which the compiler vectorises where it is branch-free
//! ([`crate::math`]'s functions are).
//!
//! The `__`-prefixed functions are the emitted code's vocabulary; they are
//! public only for the macros.

// Lane loops index several arrays by the same `l`, the shape the compiler
// vectorises.
#![allow(clippy::needless_range_loop)]

use crate::Real;
use std::ops::{Add, AddAssign, BitAnd, BitOr, Div, Mul, MulAssign, Neg, Not, Rem, Sub, SubAssign};

/// Elements per lane group (sixteen `f32` fill one AVX-512 register).
pub const WIDTH: usize = 16;

/// One value per lane.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(transparent)]
pub struct Lanes<T>(pub [T; WIDTH]);

/// One condition per lane.
pub type Mask = Lanes<bool>;

impl<T: Copy> Lanes<T> {
    /// `x` in every lane.
    #[inline(always)]
    pub fn splat(x: T) -> Self {
        Lanes([x; WIDTH])
    }

    /// `f` of each lane.
    #[inline(always)]
    pub fn map<U: Copy + Default>(self, f: impl Fn(T) -> U) -> Lanes<U> {
        // A default-filled array (not `[f(lane 0); WIDTH]`): the compiler
        // vectorises long functions (`powf`) only in this form.
        let mut out = [U::default(); WIDTH];
        for l in 0..WIDTH {
            out[l] = f(self.0[l]);
        }
        Lanes(out)
    }

    /// `f` of each pair of lanes.
    #[inline(always)]
    pub fn zip<U: Copy, V: Copy + Default>(self, o: Lanes<U>, f: impl Fn(T, U) -> V) -> Lanes<V> {
        let mut out = [V::default(); WIDTH];
        for l in 0..WIDTH {
            out[l] = f(self.0[l], o.0[l]);
        }
        Lanes(out)
    }

    /// `f` of each triple of lanes.
    #[inline(always)]
    pub fn zip3<U: Copy, V: Copy, W: Copy + Default>(
        self,
        o: Lanes<U>,
        p: Lanes<V>,
        f: impl Fn(T, U, V) -> W,
    ) -> Lanes<W> {
        let mut out = [W::default(); WIDTH];
        for l in 0..WIDTH {
            out[l] = f(self.0[l], o.0[l], p.0[l]);
        }
        Lanes(out)
    }

    /// Lanes `0..n` from `src[base..base + n]`, the others `fill`.
    #[inline(always)]
    pub fn load(src: &[T], base: usize, n: usize, fill: T) -> Self {
        if n == WIDTH {
            return Lanes(src[base..base + WIDTH].try_into().expect("WIDTH elements"));
        }
        let mut out = [fill; WIDTH];
        out[..n].copy_from_slice(&src[base..base + n]);
        Lanes(out)
    }

    /// Writes lanes `0..n` to `dst[base..base + n]`.
    #[inline(always)]
    pub fn store(self, dst: &mut [T], base: usize, n: usize) {
        dst[base..base + n].copy_from_slice(&self.0[..n]);
    }

    /// Writes the lanes `l < n` set in `keep` to `dst[base + l]`.
    #[inline(always)]
    pub fn store_where(self, dst: &mut [T], base: usize, n: usize, keep: Mask) {
        for (l, d) in dst[base..base + n].iter_mut().enumerate() {
            if keep.0[l] {
                *d = self.0[l];
            }
        }
    }

    /// Lane `l` from `src[at[l]]` for `l < at.len()` (`1 <= at.len() <=
    /// WIDTH`), the others a copy of lane 0.
    #[inline(always)]
    pub fn gather(src: &[T], at: &[usize]) -> Self {
        let mut out = [src[at[0]]; WIDTH];
        for (o, &i) in out.iter_mut().zip(at) {
            *o = src[i];
        }
        Lanes(out)
    }

    /// Writes lane `l` to `dst[at[l]]` for `l < at.len()`.
    #[inline(always)]
    pub fn scatter(self, dst: &mut [T], at: &[usize]) {
        for (l, &i) in at.iter().enumerate() {
            dst[i] = self.0[l];
        }
    }
}

impl Mask {
    /// True when some lane is set.
    #[inline(always)]
    pub fn any(self) -> bool {
        self.0.iter().fold(false, |a, &b| a | b)
    }

    /// Bit `l` set when lane `l` is.
    #[inline(always)]
    pub fn bits(self) -> u32 {
        (0..WIDTH).fold(0, |b, l| b | (self.0[l] as u32) << l)
    }
}

/// What a lane form did with its lanes: bit `l` of each mask is lane `l`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LaneOutcome {
    /// Lanes that crossed the threshold.
    pub crossed: u32,
    /// Lanes handed back unfinished, their state unchanged ([`SPILL_AFTER`]).
    pub spilled: u32,
}

/// A loop of the lane form hands the lanes it still runs to the caller
/// (which runs them again, gathered with other such lanes: see
/// [`NeuronBehaviour::sim_lanes`](crate::model::NeuronBehaviour::sim_lanes))
/// when, at the start of an iteration after the first [`SPILL_AFTER`],
/// at most [`SPILL_LANES`] lanes still loop: a few neurons that need many
/// iterations (an adaptive solver near a spike) then no longer hold up the
/// others.
pub const SPILL_AFTER: usize = 2;

/// See [`SPILL_AFTER`].
pub const SPILL_LANES: u32 = 4;

/// True when the lane form should spill the lanes of `looping` before
/// iteration `iteration` (0-based) of a loop ([`SPILL_AFTER`]).
#[inline(always)]
pub fn __spill_now(spill: bool, iteration: usize, looping: Mask) -> bool {
    spill && iteration >= SPILL_AFTER && looping.bits().count_ones() <= SPILL_LANES
}

/// Per-lane `a` where `m` is set, else `b`.
#[inline(always)]
pub fn __select<T: Copy>(m: Mask, a: impl IntoLanes<T>, b: impl IntoLanes<T>) -> Lanes<T> {
    let (a, b) = (a.into_lanes(), b.into_lanes());
    let mut out = b.0;
    for l in 0..WIDTH {
        if m.0[l] {
            out[l] = a.0[l];
        }
    }
    Lanes(out)
}

/// `x.exp_m1()` per lane, with the same bits as the scalar method: for
/// `f32`, where no lane is within 0.5 of zero, only the `exp(x) - 1` half
/// of [`exp_m1_f32`](crate::math::exp_m1_f32) is computed (the other half,
/// a Taylor polynomial, is what the scalar method would select nowhere).
/// Hodgkin-Huxley rate functions call `exp_m1` three times per evaluation,
/// mostly far from zero.
#[inline(always)]
pub fn __exp_m1<T: LaneExpM1>(x: impl IntoLanes<T>) -> Lanes<T> {
    T::exp_m1_lanes(__lanes(x))
}

/// [`__exp_m1`] for one precision.
pub trait LaneExpM1: Copy + Default {
    /// `exp_m1` of each lane.
    fn exp_m1_lanes(x: Lanes<Self>) -> Lanes<Self>;
}

impl LaneExpM1 for f32 {
    #[inline(always)]
    fn exp_m1_lanes(x: Lanes<f32>) -> Lanes<f32> {
        // Without short-circuit: a compare and a mask test.
        let mut near_zero = false;
        for l in 0..WIDTH {
            near_zero |= x.0[l].abs() <= 0.5;
        }
        if near_zero {
            x.map(crate::math::exp_m1_f32)
        } else {
            // `exp_m1_f32`'s `large`, which it returns for `|x| > 0.5` and NaN.
            x.map(|x| crate::math::exp_f32(x) - 1.0)
        }
    }
}

impl LaneExpM1 for f64 {
    #[inline(always)]
    fn exp_m1_lanes(x: Lanes<f64>) -> Lanes<f64> {
        x.map(crate::math::exp_m1_f64)
    }
}

/// A lane value or a value for every lane.
pub trait IntoLanes<T> {
    /// As lanes.
    fn into_lanes(self) -> Lanes<T>;
}

impl<T: Copy> IntoLanes<T> for Lanes<T> {
    #[inline(always)]
    fn into_lanes(self) -> Lanes<T> {
        self
    }
}

/// `x` as lanes (a splat when `x` is one value).
#[inline(always)]
pub fn __lanes<T: Copy>(x: impl IntoLanes<T>) -> Lanes<T> {
    x.into_lanes()
}

/// `c` as a mask (a splat when `c` is a `bool`).
#[inline(always)]
pub fn __mask(c: impl IntoLanes<bool>) -> Mask {
    c.into_lanes()
}

/// `a & b` of masks or `bool`s.
#[inline(always)]
pub fn __and(a: impl IntoLanes<bool>, b: impl IntoLanes<bool>) -> Mask {
    a.into_lanes().zip(b.into_lanes(), |a, b| a & b)
}

/// `a | b` of masks or `bool`s.
#[inline(always)]
pub fn __or(a: impl IntoLanes<bool>, b: impl IntoLanes<bool>) -> Mask {
    a.into_lanes().zip(b.into_lanes(), |a, b| a | b)
}

/// `a & !b` of masks or `bool`s.
#[inline(always)]
pub fn __and_not(a: impl IntoLanes<bool>, b: impl IntoLanes<bool>) -> Mask {
    a.into_lanes().zip(b.into_lanes(), |a, b| a & !b)
}

macro_rules! comparisons {
    ($($f:ident $op:tt),*) => {$(
        #[doc = concat!("Per-lane `a ", stringify!($op), " b`.")]
        #[inline(always)]
        pub fn $f<T: Copy + PartialOrd>(a: impl IntoLanes<T>, b: impl IntoLanes<T>) -> Mask {
            a.into_lanes().zip(b.into_lanes(), |a, b| a $op b)
        }
    )*};
}
comparisons!(__lt <, __le <=, __gt >, __ge >=, __eq ==, __ne !=);

/// A numeric cast per lane (`x as T`).
pub trait LaneCast<T> {
    /// `self as T` in each lane.
    fn lane_cast(self) -> Lanes<T>;
}

/// `x as T` per lane.
#[inline(always)]
pub fn __cast<T, X: LaneCast<T>>(x: X) -> Lanes<T> {
    x.lane_cast()
}

macro_rules! numeric_lanes {
    ($($t:ty),*) => {$(
        impl IntoLanes<$t> for $t {
            #[inline(always)]
            fn into_lanes(self) -> Lanes<$t> {
                Lanes::splat(self)
            }
        }
        impl Add<Lanes<$t>> for $t {
            type Output = Lanes<$t>;
            #[inline(always)]
            fn add(self, o: Lanes<$t>) -> Lanes<$t> { Lanes::splat(self) + o }
        }
        impl Sub<Lanes<$t>> for $t {
            type Output = Lanes<$t>;
            #[inline(always)]
            fn sub(self, o: Lanes<$t>) -> Lanes<$t> { Lanes::splat(self) - o }
        }
        impl Mul<Lanes<$t>> for $t {
            type Output = Lanes<$t>;
            #[inline(always)]
            fn mul(self, o: Lanes<$t>) -> Lanes<$t> { Lanes::splat(self) * o }
        }
        impl Div<Lanes<$t>> for $t {
            type Output = Lanes<$t>;
            #[inline(always)]
            fn div(self, o: Lanes<$t>) -> Lanes<$t> { Lanes::splat(self) / o }
        }
        numeric_lanes!(@cast $t => f32, f64, i32, u32, i64, u64, u8, u16, usize);
    )*};
    (@cast $from:ty => $($to:ty),*) => {$(
        impl LaneCast<$to> for Lanes<$from> {
            #[inline(always)]
            #[allow(clippy::unnecessary_cast)]
            fn lane_cast(self) -> Lanes<$to> { self.map(|x| x as $to) }
        }
        impl LaneCast<$to> for $from {
            #[inline(always)]
            #[allow(clippy::unnecessary_cast)]
            fn lane_cast(self) -> Lanes<$to> { Lanes::splat(self as $to) }
        }
    )*};
}
numeric_lanes!(f32, f64, i32, u32, i64, u64, u8, u16, usize);

impl IntoLanes<bool> for bool {
    #[inline(always)]
    fn into_lanes(self) -> Mask {
        Lanes::splat(self)
    }
}

macro_rules! lane_ops {
    ($($tr:ident $f:ident $atr:ident $af:ident),*) => {$(
        impl<T: Copy + Default + $tr<Output = T>, R: IntoLanes<T>> $tr<R> for Lanes<T> {
            type Output = Lanes<T>;
            #[inline(always)]
            fn $f(self, o: R) -> Lanes<T> {
                self.zip(o.into_lanes(), |a, b| a.$f(b))
            }
        }
        impl<T: Copy + Default + $tr<Output = T>, R: IntoLanes<T>> $atr<R> for Lanes<T> {
            #[inline(always)]
            fn $af(&mut self, o: R) {
                *self = self.zip(o.into_lanes(), |a, b| a.$f(b));
            }
        }
    )*};
}
lane_ops!(
    Add add AddAssign add_assign,
    Sub sub SubAssign sub_assign,
    Mul mul MulAssign mul_assign
);

impl<T: Copy + Default + Div<Output = T>, R: IntoLanes<T>> Div<R> for Lanes<T> {
    type Output = Lanes<T>;
    #[inline(always)]
    fn div(self, o: R) -> Lanes<T> {
        self.zip(o.into_lanes(), |a, b| a / b)
    }
}

impl<T: Copy + Default + Div<Output = T>, R: IntoLanes<T>> std::ops::DivAssign<R> for Lanes<T> {
    #[inline(always)]
    fn div_assign(&mut self, o: R) {
        *self = *self / o;
    }
}

impl<T: Copy + Default + Rem<Output = T>, R: IntoLanes<T>> Rem<R> for Lanes<T> {
    type Output = Lanes<T>;
    #[inline(always)]
    fn rem(self, o: R) -> Lanes<T> {
        self.zip(o.into_lanes(), |a, b| a % b)
    }
}

impl<T: Copy + Default + Neg<Output = T>> Neg for Lanes<T> {
    type Output = Lanes<T>;
    #[inline(always)]
    fn neg(self) -> Lanes<T> {
        self.map(|a| -a)
    }
}

impl<T: Copy + Default + Not<Output = T>> Not for Lanes<T> {
    type Output = Lanes<T>;
    #[inline(always)]
    fn not(self) -> Lanes<T> {
        self.map(|a| !a)
    }
}

impl<R: IntoLanes<bool>> BitAnd<R> for Mask {
    type Output = Mask;
    #[inline(always)]
    fn bitand(self, o: R) -> Mask {
        __and(self, o)
    }
}

impl<R: IntoLanes<bool>> BitOr<R> for Mask {
    type Output = Mask;
    #[inline(always)]
    fn bitor(self, o: R) -> Mask {
        __or(self, o)
    }
}

/// The environment of the lane form of neuron code: `env.t()`, `env.dt()`
/// and `env.isyn()` per lane (the vector path runs only models that make
/// no random draws and read no ids).
pub struct NeuronLaneEnv<S: Real> {
    pub(crate) t: S,
    pub(crate) dt: S,
    pub(crate) isyn: Lanes<S>,
}

impl<S: Real> NeuronLaneEnv<S> {
    /// Time at the start of the step.
    #[inline(always)]
    pub fn t(&self) -> Lanes<S> {
        Lanes::splat(self.t)
    }
    /// The step.
    #[inline(always)]
    pub fn dt(&self) -> Lanes<S> {
        Lanes::splat(self.dt)
    }
    /// The synaptic input current of each lane.
    #[inline(always)]
    pub fn isyn(&self) -> Lanes<S> {
        self.isyn
    }
}

/// The environment of the lane form of synapse code (`on_pre_spike`,
/// `on_post_spike`, `on_pre_event`): the step's time, each lane's spike
/// times, and the additions to the targets' input that the code made
/// (the runner applies them after the group, in lane order, so the sums
/// have the scalar path's bits). The vector path runs only synapse code
/// that makes no random draws, reads no ids and adds to its target at most
/// once, outside loops.
pub struct SynapseLaneEnv<S: Real> {
    pub(crate) t: S,
    pub(crate) dt: S,
    pub(crate) st_pre: Lanes<S>,
    pub(crate) prev_st_pre: Lanes<S>,
    pub(crate) set_pre: Lanes<S>,
    pub(crate) prev_set_pre: Lanes<S>,
    pub(crate) st_post: Lanes<S>,
    pub(crate) prev_st_post: Lanes<S>,
    /// What each lane added to its target (where `added`).
    pub(crate) add: Lanes<S>,
    pub(crate) added: Mask,
}

macro_rules! lane_times {
    ($($(#[$doc:meta])* $f:ident),*) => {$(
        $(#[$doc])*
        #[inline(always)]
        pub fn $f(&self) -> Lanes<S> {
            self.$f
        }
    )*};
}

impl<S: Real> SynapseLaneEnv<S> {
    /// Time at the start of the step.
    #[inline(always)]
    pub fn t(&self) -> Lanes<S> {
        Lanes::splat(self.t)
    }
    /// The step.
    #[inline(always)]
    pub fn dt(&self) -> Lanes<S> {
        Lanes::splat(self.dt)
    }
    lane_times!(
        /// Latest presynaptic spike of each lane.
        st_pre,
        /// The presynaptic spike before it.
        prev_st_pre,
        /// Latest presynaptic spike-like event.
        set_pre,
        /// The presynaptic event before it.
        prev_set_pre,
        /// Latest postsynaptic spike.
        st_post,
        /// The postsynaptic spike before it.
        prev_st_post
    );
    /// `env.add_to_post(x)` on the lanes of `m`.
    #[inline(always)]
    pub fn __add_to_post(&mut self, m: Mask, x: impl IntoLanes<S>) {
        self.add = __select(m, x, self.add);
        self.added = __or(self.added, m);
    }
}

/// The synapses a lane group of synapse code runs on: `n` consecutive
/// ones from `base` (a row), or those at `at` (a column).
#[derive(Clone, Copy, Debug)]
pub enum LaneAt<'a> {
    /// Synapses `base..base + n` (`1 <= n <= WIDTH`).
    Run {
        /// The first synapse.
        base: usize,
        /// How many.
        n: usize,
    },
    /// The synapses at these positions (`1 <= at.len() <= WIDTH`, distinct).
    At(&'a [usize]),
}

/// One lane group of synapse code: where its synapses are, the
/// presynaptic and postsynaptic neuron of each lane (lanes past the
/// group's size repeat a valid one), and whether the code's writes are
/// stored (the plan's `writes`).
#[derive(Clone, Copy, Debug)]
pub struct LaneGroup<'a> {
    /// The synapses.
    pub at: LaneAt<'a>,
    /// Presynaptic neuron of each lane.
    pub pre: [usize; WIDTH],
    /// Postsynaptic neuron (absolute id) of each lane.
    pub post: [usize; WIDTH],
    /// Store the synapse variables afterwards.
    pub store: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::Elementary;

    #[test]
    fn exp_m1_of_lane_groups_gives_the_scalar_bits() {
        // Groups far from zero (the shortcut) and with a lane near it; the
        // edges of the Taylor range, zeros, NaN, infinities, overflow.
        let far: Vec<f32> = (0..WIDTH).map(|l| -40.0 + 5.3 * l as f32).collect();
        let edges = [
            0.5,
            -0.5,
            0.500_000_06,
            -0.500_000_06,
            0.0,
            -0.0,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            89.0,
            -104.0,
            1e-30,
        ];
        for &edge in &edges {
            for at in [0, 7, WIDTH - 1] {
                let mut x = far.clone();
                x[at] = edge;
                let lanes = Lanes::<f32>(x.clone().try_into().unwrap());
                let got = __exp_m1(lanes);
                for l in 0..WIDTH {
                    assert_eq!(
                        got.0[l].to_bits(),
                        Elementary::exp_m1(x[l]).to_bits(),
                        "{}",
                        x[l]
                    );
                }
            }
        }
        let x = Lanes::<f64>(std::array::from_fn(|l| -0.8 + 0.1 * l as f64));
        let got = __exp_m1(x);
        for l in 0..WIDTH {
            assert_eq!(got.0[l].to_bits(), Elementary::exp_m1(x.0[l]).to_bits());
        }
    }

    #[test]
    fn lanes_compute_the_scalar_bits() {
        let x = Lanes(std::array::from_fn(|l| l as f32 * 0.37 - 3.1));
        let y = (x * 2.5f32 - 1.0f32).map(f32::exp) / (1.0f32 + x.map(f32::abs));
        for l in 0..WIDTH {
            let s = x.0[l];
            assert_eq!(
                y.0[l].to_bits(),
                ((s * 2.5 - 1.0).exp() / (1.0 + s.abs())).to_bits()
            );
        }
        let m = __lt(x, 0.0f32);
        let z = __select(m, x, 7.0f32);
        assert_eq!(z.0[0], x.0[0]);
        assert_eq!(z.0[WIDTH - 1], 7.0);
        assert_eq!(
            m.bits().count_ones() as usize,
            (0..WIDTH).filter(|&l| x.0[l] < 0.0).count()
        );
        assert!(m.any() && !__and_not(m, m).any());
    }

    #[test]
    fn partial_groups_load_and_store_their_lanes_only() {
        let src: Vec<f64> = (0..20).map(f64::from).collect();
        let l = Lanes::load(&src, 16, 4, -1.0);
        assert_eq!(&l.0[..5], &[16.0, 17.0, 18.0, 19.0, -1.0]);
        let mut dst = vec![0.0; 20];
        (l + 1.0).store(&mut dst, 16, 4);
        assert_eq!(&dst[15..], &[0.0, 17.0, 18.0, 19.0, 20.0]);
        let i: Lanes<i32> = __cast(l);
        assert_eq!(i.0[3], 19);
    }
}
