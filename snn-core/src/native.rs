//! Type-erased runners of model code: one object per model type and kind,
//! holding the monomorphised loops over a block of elements in `f32` and `f64`.
//!
//! The network stores models as metadata plus these runners, so populations
//! of different models live side by side; dispatch is one virtual call per
//! block and step, the per-element loops are monomorphic and inlined.

use crate::dsl::Method;
use crate::lanes::{LaneAt, LaneGroup, Lanes, Mask, NeuronLaneEnv, SynapseLaneEnv, WIDTH};
use crate::model::{
    CurrentSourceBehaviour, CurrentSourceEnv, CurrentSourceModel, EgpRef, NeuronBehaviour,
    NeuronEnv, NeuronModel, PendingAdds, PostsynapticBehaviour, PostsynapticEnv, PostsynapticModel,
    PrecisionStates, SpikeTimes, StateIo, StateSource, WeightUpdateBehaviour, WeightUpdateEnv,
    WeightUpdateModel,
};
use crate::real::Real;
use crate::rng::{RngStream, StreamLanes};
use crate::var::{ColumnPrefetch, VarSlice, VarSliceMut};
use std::marker::PhantomData;
use std::sync::Arc;

/// The extra global parameters of one part (population, group, current
/// source) as its model code sees them, borrowed from the backend's
/// storage for as long as this value lives. The views inside are private
/// to this crate: model code reads them, nothing outside can keep one.
pub struct Egps<'a, S: 'static> {
    refs: Vec<EgpRef<S>>,
    _data: PhantomData<&'a [Vec<S>]>,
}

impl<'a, S: 'static> Egps<'a, S> {
    /// Views of `data` (one array per extra global parameter).
    pub fn new(data: &'a [Vec<S>]) -> Self {
        Egps {
            // SAFETY: the views live in `self`, which borrows `data` for 'a;
            // they are handed only to model code run by this module while
            // `self` is borrowed, and never returned.
            refs: data.iter().map(|e| unsafe { EgpRef::new(e) }).collect(),
            _data: PhantomData,
        }
    }

    /// No extra global parameters.
    pub fn none() -> Self {
        Egps {
            refs: Vec::new(),
            _data: PhantomData,
        }
    }

    fn refs(&self) -> &[EgpRef<S>] {
        &self.refs
    }
}

/// Timing and random-stream context of one block update.
#[derive(Clone, Copy, Debug)]
pub struct StepInfo<S> {
    pub step: u64,
    pub t: S,
    pub dt: S,
    pub seed: u64,
    pub stream: u32,
}

impl<S: Real> StepInfo<S> {
    #[inline(always)]
    fn rng(&self, element: u32) -> RngStream {
        RngStream::new(self.seed, self.stream, self.step as u32, element)
    }
}

/// Arguments of a per-element model loop (neurons, postsynaptic targets, current-source targets).
pub struct ElementArgs<'a, 's, S: Real> {
    pub consts: &'a [S],
    pub egps: &'a Egps<'a, S>,
    pub vars: &'a mut [VarSliceMut<'s>],
    pub refs: &'a [VarSlice<'s>],
    /// Index of the block's first element in its population.
    pub first_id: u32,
    pub len: usize,
    pub info: StepInfo<S>,
}

/// Runs a neuron model over a block.
pub trait NeuronRunner<S: Real>: Send + Sync {
    /// Sim, threshold and reset of every neuron; spiking ids (absolute, ascending) pushed to `spikes`.
    fn update(
        &self,
        a: ElementArgs<'_, '_, S>,
        isyn: &[S],
        auto_refractory: bool,
        vector: bool,
        spikes: &mut Vec<u32>,
    );
    /// True when `update` with `vector` runs the model's lane form
    /// ([`NeuronBehaviour::sim_lanes`]; models that draw have none).
    fn has_lanes(&self) -> bool;
}

/// Runs a postsynaptic model over a block.
pub trait PostsynapticRunner<S: Real>: Send + Sync {
    /// Adds each target's current to `isyn`.
    fn apply_input(&self, a: ElementArgs<'_, '_, S>, isyn: &mut [S]);
    /// Decays the input.
    fn decay(&self, a: ElementArgs<'_, '_, S>);
}

/// Runs a current source over a block.
pub trait CurrentSourceRunner<S: Real>: Send + Sync {
    /// Adds each target's injected current to `isyn`.
    fn inject(&self, a: ElementArgs<'_, '_, S>, isyn: &mut [S]);
}

/// Spike and event times a weight-update group's synapse code reads
/// (as of the end of the previous step), indexed by neuron.
#[derive(Clone, Copy)]
pub struct TimeSrc<'a, S> {
    /// Presynaptic population: latest and previous spike times.
    pub st_pre: &'a [S],
    pub prev_st_pre: &'a [S],
    /// The group's spike-like event times per presynaptic neuron (empty
    /// when the group has no `event_threshold`: then `NO_SPIKE`).
    pub set_pre: &'a [S],
    pub prev_set_pre: &'a [S],
    /// Postsynaptic population (absolute ids).
    pub st_post: &'a [S],
    pub prev_st_post: &'a [S],
}

impl<S: Real> TimeSrc<'_, S> {
    /// The presynaptic half of the times of neuron `pre` (post fields `NO_SPIKE`).
    #[inline(always)]
    fn pre(&self, pre: usize) -> SpikeTimes<S> {
        let (set_pre, prev_set_pre) = if self.set_pre.is_empty() {
            (S::NO_SPIKE, S::NO_SPIKE)
        } else {
            (self.set_pre[pre], self.prev_set_pre[pre])
        };
        SpikeTimes {
            st_pre: self.st_pre[pre],
            prev_st_pre: self.prev_st_pre[pre],
            set_pre,
            prev_set_pre,
            st_post: S::NO_SPIKE,
            prev_st_post: S::NO_SPIKE,
        }
    }
    /// Adds the times of postsynaptic neuron `post` to `t`.
    #[inline(always)]
    fn with_post(&self, mut t: SpikeTimes<S>, post: usize) -> SpikeTimes<S> {
        t.st_post = self.st_post[post];
        t.prev_st_post = self.prev_st_post[post];
        t
    }
}

/// Arguments of weight-update synapse code over one target block.
pub struct SynapseArgs<'a, 's, S: Real> {
    pub consts: &'a [S],
    pub egps: &'a Egps<'a, S>,
    /// Per-synapse variables of the block's sub-matrix.
    pub vars: &'a mut [VarSliceMut<'s>],
    /// The group's `#[pre_var]`s then the presynaptic neuron references,
    /// indexed by presynaptic neuron (empty when the model has none).
    pub pre: &'a [VarSlice<'s>],
    /// Likewise for the postsynaptic side (absolute postsynaptic ids).
    pub post: &'a [VarSlice<'s>],
    /// Spike times, when the model's synapse code reads any.
    pub times: Option<TimeSrc<'a, S>>,
    /// Presynaptic spikes or events (ascending); for `on_post_spikes`, the
    /// block's postsynaptic spikes (absolute ids, ascending).
    pub spikes: &'a [u32],
    /// Block sub-matrix rows: synapses of row `i` are `row_ptr[i]..row_ptr[i + 1]`.
    pub row_ptr: &'a [u32],
    /// Block-relative target of each synapse.
    pub ind: &'a [u16],
    pub post_offset: u32,
    pub in_syn: &'a mut [S],
    pub ring: &'a mut [S],
    pub ring_slots: u32,
    pub info: StepInfo<S>,
    /// The Philox key of the synapse code's draws ([`RngStream::synapse`]).
    pub key: [u32; 2],
    /// Whether the model writes synapse variables (else stores are skipped).
    pub store: bool,
    /// Queue for the additions into `in_syn` / `ring` (the caller applies
    /// it once the synapse code of every group into the input has run).
    pub pending: &'a mut PendingAdds<S>,
    /// Run the lane form of synapse code where the model has one
    /// ([`WeightUpdateBehaviour::synapse_lanes`]); the same bits either way.
    pub lanes: bool,
}

/// The column-wise view of a block's sub-matrix: the synapses into block
/// neuron `j` are `col_ptr[j]..col_ptr[j + 1]` of `syn` (position in the
/// row-major sub-matrix) and `pre` (their presynaptic neuron), ascending in
/// presynaptic neuron.
pub struct ColView {
    pub col_ptr: Vec<u32>,
    pub syn: Vec<u32>,
    pub pre: Vec<u32>,
}

impl ColView {
    /// Builds the column view of a block-relative CSR sub-matrix with `len` targets.
    pub fn new(row_ptr: &[u32], ind: &[u16], len: usize) -> ColView {
        let mut col_ptr = vec![0u32; len + 1];
        for &j in ind {
            col_ptr[j as usize + 1] += 1;
        }
        for j in 0..len {
            col_ptr[j + 1] += col_ptr[j];
        }
        let mut next: Vec<u32> = col_ptr[..len].to_vec();
        let mut syn = vec![0u32; ind.len()];
        let mut pre = vec![0u32; ind.len()];
        for (i, w) in row_ptr.windows(2).enumerate() {
            for (k, &j) in ind
                .iter()
                .enumerate()
                .take(w[1] as usize)
                .skip(w[0] as usize)
            {
                let j = j as usize;
                let at = next[j] as usize;
                syn[at] = k as u32;
                pre[at] = i as u32;
                next[j] += 1;
            }
        }
        ColView { col_ptr, syn, pre }
    }
}

/// Which per-neuron weight-update code runs ([`WeightUpdateRunner::neuron_side`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideCode {
    /// `pre_spike` on the presynaptic view.
    PreSpike,
    /// `post_spike` on the postsynaptic view.
    PostSpike,
}

/// Arguments of per-neuron weight-update code (presynaptic or postsynaptic view).
pub struct SideArgs<'a, 's, S: Real> {
    pub consts: &'a [S],
    pub egps: &'a Egps<'a, S>,
    /// The side's `#[pre_var]`s (`#[post_var]`s), indexed by neuron.
    pub vars: &'a mut [VarSliceMut<'s>],
    /// The side's neuron-variable references, indexed by neuron.
    pub refs: &'a [VarSlice<'s>],
    /// Latest / previous spike time of the side's population.
    pub st: &'a [S],
    pub prev_st: &'a [S],
    /// Presynaptic side only: the group's event times (empty: `NO_SPIKE`).
    pub set: &'a [S],
    pub prev_set: &'a [S],
    pub info: StepInfo<S>,
}

impl<S: Real> SideArgs<'_, '_, S> {
    #[inline(always)]
    fn times(&self, code: SideCode, i: usize) -> SpikeTimes<S> {
        let mut t = SpikeTimes::NONE;
        match code {
            SideCode::PreSpike => {
                t.st_pre = self.st[i];
                t.prev_st_pre = self.prev_st[i];
                if !self.set.is_empty() {
                    t.set_pre = self.set[i];
                    t.prev_set_pre = self.prev_set[i];
                }
            }
            SideCode::PostSpike => {
                t.st_post = self.st[i];
                t.prev_st_post = self.prev_st[i];
            }
        }
        t
    }
}

/// Runs a weight-update model's code over a block's synapses or over neurons.
pub trait WeightUpdateRunner<S: Real>: Send + Sync {
    /// Runs `on_pre_spike` (or, with `event`, `on_pre_event`) on every
    /// synapse of the rows in `a.spikes`; returns the largest dendritic delay
    /// that did not fit the ring, if any.
    fn on_pre(&self, a: SynapseArgs<'_, '_, S>, event: bool) -> Option<u32>;
    /// Runs `on_post_spike` on every synapse of the columns of `a.spikes`.
    fn on_post_spikes(&self, a: SynapseArgs<'_, '_, S>, col: &ColView);
    /// Runs `synapse_dynamics` on every synapse of the block.
    fn synapse_dynamics(&self, a: SynapseArgs<'_, '_, S>) -> Option<u32>;
    /// Runs `pre_spike` / `post_spike` on each neuron of `ids`.
    fn neuron_side(&self, a: SideArgs<'_, '_, S>, code: SideCode, ids: &[u32]);
    /// Evaluates `event_threshold` on neurons `0..n`, pushing those where it holds.
    fn event_threshold(&self, a: SideArgs<'_, '_, S>, n: usize, out: &mut Vec<u32>);
}

/// The runner of model type `M` (`fn() -> M` keeps it `Send + Sync`),
/// with facts about the model's code found once from its IR (a walk of
/// the IR per block and step would cost more than a small block's work).
struct Runner<M> {
    /// Bit `method as u32` set when `method` makes random draws.
    draws: u32,
    /// `event_threshold` gives the same result for every presynaptic neuron
    /// ([`ModelDesc::element_independent`](crate::model::ModelDesc::element_independent)).
    uniform_event_threshold: bool,
    model: PhantomData<fn() -> M>,
}

impl<M: crate::model::Model> Runner<M> {
    fn new() -> Self {
        let draws = Method::ALL
            .iter()
            .filter(|&&m| M::DESC.method(m).is_some_and(|ir| ir.draws()))
            .fold(0, |bits, &m| bits | 1 << m as u32);
        Runner {
            draws,
            uniform_event_threshold: M::DESC.element_independent(Method::EventThreshold),
            model: PhantomData,
        }
    }

    /// True when `method` of `M` makes random draws.
    fn draws(&self, method: Method) -> bool {
        self.draws & (1 << method as u32) != 0
    }

    /// True when synapse code `method` runs in lanes: the model has its
    /// lane form, it makes no draws, and `a` asks for lanes.
    fn synapse_lanes<S: PrecisionStates>(&self, a: &SynapseArgs<'_, '_, S>, method: Method) -> bool
    where
        M: WeightUpdateModel,
    {
        let bits = <S::WeightUpdate<M> as WeightUpdateBehaviour<S>>::LANE_METHODS;
        a.lanes && bits & (1 << method as u32) != 0 && !self.draws(method)
    }
}

/// A computation that [`wide`] compiles for wider vectors. `run` must be
/// `#[inline(always)]` (a closure cannot be), so that each target-feature
/// copy in [`wide`] gets the whole loop inlined, model code included.
trait Wide {
    /// What the computation returns.
    type Out;
    /// Runs it.
    fn run(self) -> Self::Out;
}

/// Runs `k` compiled for AVX-512 or AVX2 when the CPU has them (detected
/// at run time, as for [`philox4x32_10_lanes`](crate::rng::philox4x32_10_lanes)),
/// so that element loops use the wider vectors. Each lane does the same
/// IEEE operations as a scalar loop (Rust fuses no multiply-adds), so
/// every path gives the same bits.
#[inline(always)]
fn wide<K: Wide>(k: K) -> K::Out {
    crate::math::dispatch_by_cpu!(wide_avx512(k), wide_avx2(k), k.run())
}

/// [`wide`] for AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn wide_avx512<K: Wide>(k: K) -> K::Out {
    k.run()
}

/// [`wide`] for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn wide_avx2<K: Wide>(k: K) -> K::Out {
    k.run()
}

/// Elements whose random streams [`element_loop`] sets up together.
const LANES: usize = 32;

/// What [`element_loop`] does to one loaded element: `run(state, element
/// index, id, rng)`, model code with its environment. A trait rather than
/// a closure so that it is inlined into [`wide`]'s copies.
trait ElementOp<S: Real, St> {
    /// Cuts the per-element slices to the block's `len` elements, in the
    /// loop's own function (so that the compiler knows their length there
    /// and needs no bounds checks in the loop).
    fn fit(&mut self, len: usize);
    /// Runs the model code on element `i` (id `id`, random stream `rng`).
    fn run(&mut self, st: &mut St, i: usize, id: u32, rng: RngStream);
}

/// Runs `op` on every element of a block ([`element_loop`]), compiled for
/// the widest vectors the CPU has ([`wide`]), in one of two loops: with
/// and without random draws (in each, the streams' buffer state is a
/// compile-time constant).
#[inline(always)]
fn for_each_element<S: Real, St: StateIo<S>>(
    a: ElementArgs<'_, '_, S>,
    draws: bool,
    op: impl ElementOp<S, St>,
) {
    if draws {
        wide(ElementLoop::<_, _, _, true>(a, op, PhantomData))
    } else {
        wide(ElementLoop::<_, _, _, false>(a, op, PhantomData))
    }
}

/// [`element_loop`] as a [`Wide`] computation.
struct ElementLoop<'a, 's, S: Real, St, Op, const DRAWS: bool>(
    ElementArgs<'a, 's, S>,
    Op,
    PhantomData<fn() -> St>,
);

impl<S: Real, St: StateIo<S>, Op: ElementOp<S, St>, const DRAWS: bool> Wide
    for ElementLoop<'_, '_, S, St, Op, DRAWS>
{
    type Out = ();
    #[inline(always)]
    fn run(self) {
        element_loop::<S, St, Op, DRAWS>(self.0, self.1)
    }
}

/// Loads each element of a block, runs `op` on it and stores it back: the
/// loop shared by every per-element model kind. The block's columns are
/// resolved once ([`StateIo::columns`]). `rng` is the element's random
/// stream; when the code draws (`DRAWS`), the streams' first blocks are
/// computed [`LANES`] elements at a time ([`StreamLanes`], the same
/// numbers).
#[inline(always)]
fn element_loop<S: Real, St: StateIo<S>, Op: ElementOp<S, St>, const DRAWS: bool>(
    a: ElementArgs<'_, '_, S>,
    mut op: Op,
) {
    let info = a.info;
    op.fit(a.len);
    let mut cols = St::columns(a.consts, a.egps.refs(), a.vars, a.refs, a.len);
    if !DRAWS {
        for i in 0..a.len {
            let id = a.first_id + i as u32;
            let mut st = St::load_at(&cols, i);
            op.run(&mut st, i, id, info.rng(id));
            st.store_at(&mut cols, i);
        }
        return;
    }
    // The streams of LANES elements, then those elements in a loop without
    // calls (when the code draws no more than the first block holds), which
    // the compiler can vectorise: indices below `a.len` need no bounds
    // checks, so the loop has a single exit.
    for base in (0..a.len).step_by(LANES) {
        let first = a.first_id + base as u32;
        let lanes = StreamLanes::<LANES>::new(info.seed, info.stream, info.step as u32, first);
        for i in base..(base + LANES).min(a.len) {
            let lane = (i - base) % LANES;
            let mut st = St::load_at(&cols, i);
            op.run(&mut st, i, first + lane as u32, lanes.lane(lane));
            st.store_at(&mut cols, i);
        }
    }
}

/// The neuron update of one element (a model that draws): `sim`, the
/// threshold test and `reset`; spiking ids into `spikes`.
struct NeuronStep<'a, S> {
    info: StepInfo<S>,
    isyn: &'a [S],
    auto_refractory: bool,
    spikes: &'a mut Vec<u32>,
}

impl<S: Real, St: NeuronBehaviour<S>> ElementOp<S, St> for NeuronStep<'_, S> {
    #[inline(always)]
    fn fit(&mut self, len: usize) {
        self.isyn = &self.isyn[..len];
    }
    #[inline(always)]
    fn run(&mut self, st: &mut St, i: usize, id: u32, rng: RngStream) {
        let mut env = NeuronEnv {
            t: self.info.t,
            dt: self.info.dt,
            isyn: self.isyn[i],
            id,
            rng,
        };
        let was_above = self.auto_refractory && st.threshold(&env);
        st.sim(&mut env);
        if st.threshold(&env) && !was_above {
            st.reset(&mut env);
            self.spikes.push(id);
        }
    }
}

impl<M: NeuronModel, S: PrecisionStates> NeuronRunner<S> for Runner<M> {
    fn has_lanes(&self) -> bool {
        <S::Neuron<M> as NeuronBehaviour<S>>::LANES
            && !self.draws(Method::Sim)
            && !self.draws(Method::Reset)
    }

    fn update(
        &self,
        a: ElementArgs<'_, '_, S>,
        isyn: &[S],
        auto_refractory: bool,
        vector: bool,
        spikes: &mut Vec<u32>,
    ) {
        let draws = self.draws(Method::Sim) || self.draws(Method::Reset);
        if !draws {
            let pass = TwoPass::<S, S::Neuron<M>> {
                a,
                isyn,
                auto_refractory,
                lanes: vector && NeuronRunner::<S>::has_lanes(self),
                spikes,
                state: PhantomData,
            };
            return wide(pass);
        }
        let op = NeuronStep {
            info: a.info,
            isyn,
            auto_refractory,
            spikes,
        };
        for_each_element::<S, S::Neuron<M>>(a, true, op);
    }
}

/// Neurons per chunk of [`neuron_update_two_pass`].
const NEURON_CHUNK: usize = 64;

/// [`neuron_update_two_pass`] as a [`Wide`] computation.
struct TwoPass<'a, 's, S: Real, St> {
    a: ElementArgs<'a, 's, S>,
    isyn: &'a [S],
    auto_refractory: bool,
    /// Run the model's lane form ([`NeuronBehaviour::sim_lanes`]).
    lanes: bool,
    spikes: &'a mut Vec<u32>,
    state: PhantomData<fn() -> St>,
}

impl<S: Real, St: StateIo<S> + NeuronBehaviour<S>> Wide for TwoPass<'_, '_, S, St> {
    type Out = ();
    #[inline(always)]
    fn run(self) {
        let TwoPass {
            a,
            isyn,
            auto_refractory,
            lanes,
            spikes,
            ..
        } = self;
        if lanes {
            neuron_update_two_pass::<S, St, true>(a, isyn, auto_refractory, spikes)
        } else {
            neuron_update_two_pass::<S, St, false>(a, isyn, auto_refractory, spikes)
        }
    }
}

/// The neuron update of a model that makes no random draws, in two passes
/// per chunk of [`NEURON_CHUNK`] neurons: `sim` and the threshold test on
/// every neuron (a loop without calls or pushes, which the compiler can
/// vectorise), then `reset` and the spike on the neurons that crossed.
/// The same arithmetic on each neuron as the one-pass loop, in the same
/// order: `reset` sees the state `sim` left (stored and loaded back, which
/// is exact) and an environment equal to `sim`'s (a fresh random stream
/// either way, as neither draws). With `LANES`, the first pass is the
/// model's lane form ([`crate::lanes`]), [`WIDTH`] neurons per call, with
/// the same bits.
#[inline(always)]
fn neuron_update_two_pass<S: Real, St: StateIo<S> + NeuronBehaviour<S>, const LANES: bool>(
    a: ElementArgs<'_, '_, S>,
    isyn: &[S],
    auto_refractory: bool,
    spikes: &mut Vec<u32>,
) {
    let info = a.info;
    // Indices below `a.len` need no further bounds checks (the columns are
    // `a.len` long): a loop without them has a single exit, which the
    // compiler vectorises without a scalar remainder.
    let isyn = &isyn[..a.len];
    let env = |i: usize, id: u32| NeuronEnv {
        t: info.t,
        dt: info.dt,
        isyn: isyn[i],
        id,
        rng: info.rng(id),
    };
    let mut cols = St::columns(a.consts, a.egps.refs(), a.vars, a.refs, a.len);
    let end = |base: usize| (base + NEURON_CHUNK).min(a.len);
    let first_spike = spikes.len();
    let lane_env = |isyn: Lanes<S>| NeuronLaneEnv {
        t: info.t,
        dt: info.dt,
        isyn,
    };
    let mut reset = |cols: &mut St::Columns<'_>, i: usize| {
        let id = a.first_id + i as u32;
        let mut st = St::load_at(cols, i);
        st.reset(&mut env(i, id));
        st.store_at(cols, i);
        spikes.push(id);
    };
    // Neurons the lane form spilled, run again gathered after the chunks.
    let mut spilled: Vec<usize> = Vec::new();
    for base in (0..a.len).step_by(NEURON_CHUNK) {
        if LANES {
            // Bit l: neuron base + l crossed.
            let mut crossed = 0u64;
            for g in (base..end(base)).step_by(WIDTH) {
                let n = (a.len - g).min(WIDTH);
                let env = lane_env(Lanes::load(isyn, g, n, isyn[g]));
                let out = St::sim_lanes(&mut cols, g, n, &env, auto_refractory);
                crossed |= (out.crossed as u64) << (g - base);
                let mut bits = out.spilled;
                while bits != 0 {
                    spilled.push(g + bits.trailing_zeros() as usize);
                    bits &= bits - 1;
                }
            }
            while crossed != 0 {
                let i = base + crossed.trailing_zeros() as usize;
                crossed &= crossed - 1;
                reset(&mut cols, i);
            }
            continue;
        }
        // One byte (0 or 1) per neuron: eight of them are tested at once.
        let mut crossed = [0u8; NEURON_CHUNK];
        for i in base..end(base) {
            let mut env = env(i, a.first_id + i as u32);
            let mut st = St::load_at(&cols, i);
            let was_above = auto_refractory && st.threshold(&env);
            st.sim(&mut env);
            crossed[(i - base) % NEURON_CHUNK] = (st.threshold(&env) & !was_above) as u8;
            st.store_at(&mut cols, i);
        }
        for (w, word) in crossed.chunks_exact(8).enumerate() {
            let mut bytes = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            while bytes != 0 {
                let i = base + 8 * w + bytes.trailing_zeros() as usize / 8;
                bytes &= bytes - 1;
                reset(&mut cols, i);
            }
        }
    }
    if spilled.is_empty() {
        return;
    }
    // The spilled neurons, WIDTH at a time, each loop to its end.
    for at in spilled.chunks(WIDTH) {
        let env = lane_env(Lanes::gather(isyn, at));
        let mut bits = St::sim_lanes_at(&mut cols, at, &env, auto_refractory);
        while bits != 0 {
            reset(&mut cols, at[bits.trailing_zeros() as usize]);
            bits &= bits - 1;
        }
    }
    spikes[first_spike..].sort_unstable();
}

fn post_env<S: Real>(info: &StepInfo<S>, id: u32, rng: RngStream) -> PostsynapticEnv<S> {
    PostsynapticEnv {
        t: info.t,
        dt: info.dt,
        id,
        injected: S::ZERO,
        rng,
    }
}

/// `apply_input` of one element, its current into `isyn`.
struct ApplyInput<'a, S> {
    info: StepInfo<S>,
    isyn: &'a mut [S],
}

impl<S: Real, St: PostsynapticBehaviour<S>> ElementOp<S, St> for ApplyInput<'_, S> {
    #[inline(always)]
    fn fit(&mut self, len: usize) {
        self.isyn = &mut std::mem::take(&mut self.isyn)[..len];
    }
    #[inline(always)]
    fn run(&mut self, st: &mut St, i: usize, id: u32, rng: RngStream) {
        let mut env = post_env(&self.info, id, rng);
        st.apply_input(&mut env);
        self.isyn[i] += env.injected;
    }
}

/// `decay` of one element.
struct Decay<S>(StepInfo<S>);

impl<S: Real, St: PostsynapticBehaviour<S>> ElementOp<S, St> for Decay<S> {
    #[inline(always)]
    fn fit(&mut self, _: usize) {}
    #[inline(always)]
    fn run(&mut self, st: &mut St, _: usize, id: u32, rng: RngStream) {
        st.decay(&mut post_env(&self.0, id, rng));
    }
}

/// `inject` of one element, its current into `isyn`.
struct Inject<'a, S> {
    info: StepInfo<S>,
    isyn: &'a mut [S],
}

impl<S: Real, St: CurrentSourceBehaviour<S>> ElementOp<S, St> for Inject<'_, S> {
    #[inline(always)]
    fn fit(&mut self, len: usize) {
        self.isyn = &mut std::mem::take(&mut self.isyn)[..len];
    }
    #[inline(always)]
    fn run(&mut self, st: &mut St, i: usize, id: u32, rng: RngStream) {
        let mut env: CurrentSourceEnv<S> = post_env(&self.info, id, rng);
        st.inject(&mut env);
        self.isyn[i] += env.injected;
    }
}

impl<M: PostsynapticModel, S: PrecisionStates> PostsynapticRunner<S> for Runner<M> {
    fn apply_input(&self, a: ElementArgs<'_, '_, S>, isyn: &mut [S]) {
        let op = ApplyInput { info: a.info, isyn };
        let draws = self.draws(Method::ApplyInput);
        for_each_element::<S, S::Postsynaptic<M>>(a, draws, op);
    }

    fn decay(&self, a: ElementArgs<'_, '_, S>) {
        let op = Decay(a.info);
        for_each_element::<S, S::Postsynaptic<M>>(a, self.draws(Method::Decay), op);
    }
}

impl<M: CurrentSourceModel, S: PrecisionStates> CurrentSourceRunner<S> for Runner<M> {
    fn inject(&self, a: ElementArgs<'_, '_, S>, isyn: &mut [S]) {
        let op = Inject { info: a.info, isyn };
        let draws = self.draws(Method::Inject);
        for_each_element::<S, S::CurrentSource<M>>(a, draws, op);
    }
}

/// Runs `f` on synapse `k` (from `pre` to block target `a.ind[k]`): loads
/// its synapse view (synapse variables from the block's resolved `cols`),
/// builds the environment (random stream [`RngStream::synapse`] of
/// `(pre, post, step)`), stores it back.
/// Returns a dendritic delay that did not fit the ring, if any.
#[inline(always)]
fn visit_synapse<S: Real, St: StateIo<S>, const TIMES: bool>(
    a: &mut SynapseArgs<'_, '_, S>,
    cols: &mut St::Columns<'_>,
    k: usize,
    pre: u32,
    head: u32,
    times: SpikeTimes<S>,
    f: impl FnOnce(&mut St, &mut WeightUpdateEnv<'_, S>),
) -> Option<u32> {
    let id_post = a.post_offset + a.ind[k] as u32;
    let src = StateSource {
        params: a.consts,
        vars: &[],
        refs: &[],
        egps: a.egps.refs(),
        pre: a.pre,
        post: a.post,
    };
    let mut st = St::load_synapse_at(cols, &src, k, pre as usize, id_post as usize);
    let times = match &a.times {
        Some(ts) if TIMES => ts.with_post(times, id_post as usize),
        _ => times,
    };
    let mut env = WeightUpdateEnv {
        t: a.info.t,
        dt: a.info.dt,
        id_pre: pre,
        id_post,
        in_syn: a.in_syn,
        ring: a.ring,
        ring_slots: a.ring_slots,
        ring_head: head,
        post_offset: a.post_offset,
        delay_overflow: None,
        pending: Some(&mut *a.pending),
        rng: RngStream::synapse(a.key, a.info.step as u32, pre, id_post),
        times,
    };
    f(&mut st, &mut env);
    let overflow = env.delay_overflow;
    if a.store {
        st.store_at(cols, k);
    }
    overflow
}

/// Takes the synapse variables out of `a` and resolves them into typed
/// columns ([`StateIo::columns`]) for [`visit_synapse`].
macro_rules! synapse_columns {
    ($a:ident, $st:ty, $vars:ident, $cols:ident) => {
        let $vars = std::mem::take(&mut $a.vars);
        let n = $a.ind.len();
        let mut $cols = <$st as StateIo<S>>::columns($a.consts, $a.egps.refs(), $vars, &[], n);
    };
}

/// The ring slot of step `step`'s additions without delay (0 without a ring).
#[inline(always)]
pub fn ring_head(step: u64, ring_slots: u32) -> u32 {
    if ring_slots > 0 {
        (step % ring_slots as u64) as u32
    } else {
        0
    }
}

/// Presynaptic times of row `pre` (`NONE` when the model reads none).
#[inline(always)]
fn row_times<S: Real, const TIMES: bool>(a: &SynapseArgs<'_, '_, S>, pre: u32) -> SpikeTimes<S> {
    match &a.times {
        Some(ts) if TIMES => ts.pre(pre as usize),
        _ => SpikeTimes::NONE,
    }
}

/// The rows of `a.spikes` through `on_pre_spike` (`on_pre_event` with
/// `EVENT`; `method` is that one); monomorphic in whether spike times are
/// read, so the plain spike propagation loop carries no time lookups. With
/// `LANES`, rows of at least [`MIN_LANE_SYNAPSES`] run the lane form,
/// [`WIDTH`] synapses at a time ([`synapse_lane_group`]).
#[inline(always)]
fn pre_rows<
    S: PrecisionStates,
    M: WeightUpdateModel,
    const EVENT: bool,
    const TIMES: bool,
    const LANES: bool,
>(
    a: &mut SynapseArgs<'_, '_, S>,
    method: Method,
) -> Option<u32> {
    let head = ring_head(a.info.step, a.ring_slots);
    let mut overflow = None;
    let prefetch = ColumnPrefetch::new(a.vars);
    synapse_columns!(a, S::WeightUpdate<M>, vars, cols);
    for (s, &pre) in a.spikes.iter().enumerate() {
        // Rows start at scattered places: while this row runs, bring in
        // the row pointer two spikes ahead and the start of the next row.
        if let Some(&ahead) = a.spikes.get(s + 2) {
            crate::var::prefetch(a.row_ptr, ahead as usize);
        }
        if let Some(&next) = a.spikes.get(s + 1) {
            let start = a.row_ptr[next as usize] as usize;
            crate::var::prefetch(a.ind, start);
            prefetch.prefetch(start);
        }
        let (lo, hi) = (
            a.row_ptr[pre as usize] as usize,
            a.row_ptr[pre as usize + 1] as usize,
        );
        let times = row_times::<S, TIMES>(a, pre);
        if LANES && hi - lo >= MIN_LANE_SYNAPSES {
            for base in (lo..hi).step_by(WIDTH) {
                let n = (hi - base).min(WIDTH);
                let mut post = [0; WIDTH];
                for (l, p) in post.iter_mut().enumerate() {
                    *p = (a.post_offset + a.ind[base + l.min(n - 1)] as u32) as usize;
                }
                let group = LaneGroup {
                    at: LaneAt::Run { base, n },
                    pre: [pre as usize; WIDTH],
                    post,
                    store: a.store,
                };
                synapse_lane_group::<S, S::WeightUpdate<M>>(a, &mut cols, method, &group, n, head);
            }
            continue;
        }
        for k in lo..hi {
            let o = visit_synapse::<S, S::WeightUpdate<M>, TIMES>(
                a,
                &mut cols,
                k,
                pre,
                head,
                times,
                |st, env| {
                    if EVENT {
                        st.on_pre_event(env)
                    } else {
                        st.on_pre_spike(env)
                    }
                },
            );
            if o.is_some() {
                overflow = overflow.max(o);
            }
        }
    }
    overflow
}

/// Rows or columns shorter than this run synapse code on the scalar path
/// even where the lane form is chosen (a group of a few lanes costs about
/// as much as a full one).
const MIN_LANE_SYNAPSES: usize = 4;

/// [`pre_rows`] with lanes, as a [`Wide`] computation.
struct PreRowLanes<'x, 'a, 's, S: Real, M>(
    &'x mut SynapseArgs<'a, 's, S>,
    Method,
    PhantomData<fn() -> M>,
);

impl<S: PrecisionStates, M: WeightUpdateModel> Wide for PreRowLanes<'_, '_, '_, S, M> {
    type Out = Option<u32>;
    #[inline(always)]
    fn run(self) -> Option<u32> {
        let PreRowLanes(a, method, _) = self;
        // The lane form adds without dendritic delays: nothing overflows.
        match (method == Method::OnPreEvent, a.times.is_some()) {
            (false, false) => pre_rows::<S, M, false, false, true>(a, method),
            (false, true) => pre_rows::<S, M, false, true, true>(a, method),
            (true, false) => pre_rows::<S, M, true, false, true>(a, method),
            (true, true) => pre_rows::<S, M, true, true, true>(a, method),
        }
    }
}

/// The columns of the postsynaptic spikes `a.spikes` through
/// `on_post_spike`; with `LANES`, columns of at least
/// [`MIN_LANE_SYNAPSES`] run its lane form, [`WIDTH`] synapses at a time.
#[inline(always)]
fn post_columns<S: PrecisionStates, M: WeightUpdateModel, const LANES: bool>(
    a: &mut SynapseArgs<'_, '_, S>,
    col: &ColView,
) {
    let head = ring_head(a.info.step, a.ring_slots);
    synapse_columns!(a, S::WeightUpdate<M>, vars, cols);
    for &post in a.spikes {
        let j = (post - a.post_offset) as usize;
        let (lo, hi) = (col.col_ptr[j] as usize, col.col_ptr[j + 1] as usize);
        if LANES && hi - lo >= MIN_LANE_SYNAPSES {
            for base in (lo..hi).step_by(WIDTH) {
                let n = (hi - base).min(WIDTH);
                let (mut at, mut pre) = ([0; WIDTH], [0; WIDTH]);
                for l in 0..WIDTH {
                    let c = base + l.min(n - 1);
                    (at[l], pre[l]) = (col.syn[c] as usize, col.pre[c] as usize);
                }
                let group = LaneGroup {
                    at: LaneAt::At(&at[..n]),
                    pre,
                    post: [post as usize; WIDTH],
                    store: a.store,
                };
                let method = Method::OnPostSpike;
                synapse_lane_group::<S, S::WeightUpdate<M>>(a, &mut cols, method, &group, n, head);
            }
            continue;
        }
        for c in lo..hi {
            let pre = col.pre[c];
            let times = row_times::<S, true>(a, pre);
            visit_synapse::<S, S::WeightUpdate<M>, true>(
                a,
                &mut cols,
                col.syn[c] as usize,
                pre,
                head,
                times,
                |st: &mut S::WeightUpdate<M>, env| st.on_post_spike(env),
            );
        }
    }
}

/// [`post_columns`] as a [`Wide`] computation.
struct PostColumns<'x, 'a, 's, S: Real, M, const LANES: bool>(
    &'x mut SynapseArgs<'a, 's, S>,
    &'x ColView,
    PhantomData<fn() -> M>,
);

impl<S: PrecisionStates, M: WeightUpdateModel, const LANES: bool> Wide
    for PostColumns<'_, '_, '_, S, M, LANES>
{
    type Out = ();
    #[inline(always)]
    fn run(self) {
        post_columns::<S, M, LANES>(self.0, self.1)
    }
}

/// Runs the lane form of synapse code `method` on `group` (its first `n`
/// lanes are synapses): the spike times of each lane, the model code, then
/// the additions to the targets in lane order (the scalar path's order).
#[inline(always)]
fn synapse_lane_group<S: Real, St: WeightUpdateBehaviour<S>>(
    a: &mut SynapseArgs<'_, '_, S>,
    cols: &mut St::Columns<'_>,
    method: Method,
    group: &LaneGroup<'_>,
    n: usize,
    head: u32,
) {
    let none = Lanes::splat(S::NO_SPIKE);
    let mut env = SynapseLaneEnv {
        t: a.info.t,
        dt: a.info.dt,
        st_pre: none,
        prev_st_pre: none,
        set_pre: none,
        prev_set_pre: none,
        st_post: none,
        prev_st_post: none,
        add: Lanes::splat(S::ZERO),
        added: Mask::splat(false),
    };
    if let Some(ts) = &a.times {
        for l in 0..WIDTH {
            let t = ts.with_post(ts.pre(group.pre[l]), group.post[l]);
            env.st_pre.0[l] = t.st_pre;
            env.prev_st_pre.0[l] = t.prev_st_pre;
            env.set_pre.0[l] = t.set_pre;
            env.prev_set_pre.0[l] = t.prev_set_pre;
            env.st_post.0[l] = t.st_post;
            env.prev_st_post.0[l] = t.prev_st_post;
        }
    }
    let src = StateSource {
        params: a.consts,
        vars: &[],
        refs: &[],
        egps: a.egps.refs(),
        pre: a.pre,
        post: a.post,
    };
    St::synapse_lanes(method, cols, &src, group, &mut env);
    let len = a.in_syn.len() as u32;
    for l in 0..n {
        if env.added.0[l] {
            let j = group.post[l] as u32 - a.post_offset;
            if a.ring_slots == 0 {
                a.pending.push(a.in_syn, j, env.add.0[l]);
            } else {
                a.pending.push(a.ring, head * len + j, env.add.0[l]);
            }
        }
    }
}

/// Loads the presynaptic (`PreSpike`) or postsynaptic view of neuron `i`.
#[inline(always)]
fn load_side<S: Real, St: StateIo<S>>(a: &SideArgs<'_, '_, S>, code: SideCode, i: usize) -> St {
    let src = StateSource {
        params: a.consts,
        vars: a.vars,
        refs: a.refs,
        egps: a.egps.refs(),
        pre: &[],
        post: &[],
    };
    match code {
        SideCode::PreSpike => St::load_pre(&src, i),
        SideCode::PostSpike => St::load_post(&src, i),
    }
}

#[inline(always)]
fn side_env<S: Real>(
    a: &SideArgs<'_, '_, S>,
    code: SideCode,
    i: u32,
) -> WeightUpdateEnv<'static, S> {
    let (id_pre, id_post) = match code {
        SideCode::PreSpike => (i, 0),
        SideCode::PostSpike => (0, i),
    };
    WeightUpdateEnv {
        t: a.info.t,
        dt: a.info.dt,
        id_pre,
        id_post,
        in_syn: &mut [],
        ring: &mut [],
        ring_slots: 0,
        ring_head: 0,
        post_offset: 0,
        delay_overflow: None,
        pending: None,
        rng: a.info.rng(i),
        times: a.times(code, i as usize),
    }
}

impl<M: WeightUpdateModel, S: PrecisionStates> WeightUpdateRunner<S> for Runner<M> {
    fn on_pre(&self, mut a: SynapseArgs<'_, '_, S>, event: bool) -> Option<u32> {
        let method = if event {
            Method::OnPreEvent
        } else {
            Method::OnPreSpike
        };
        if self.synapse_lanes(&a, method) {
            return wide(PreRowLanes::<S, M>(&mut a, method, PhantomData));
        }
        match (event, a.times.is_some()) {
            (false, false) => pre_rows::<S, M, false, false, false>(&mut a, method),
            (false, true) => pre_rows::<S, M, false, true, false>(&mut a, method),
            (true, false) => pre_rows::<S, M, true, false, false>(&mut a, method),
            (true, true) => pre_rows::<S, M, true, true, false>(&mut a, method),
        }
    }

    fn on_post_spikes(&self, mut a: SynapseArgs<'_, '_, S>, col: &ColView) {
        if self.synapse_lanes(&a, Method::OnPostSpike) {
            wide(PostColumns::<S, M, true>(&mut a, col, PhantomData));
        } else {
            post_columns::<S, M, false>(&mut a, col);
        }
    }

    fn synapse_dynamics(&self, mut a: SynapseArgs<'_, '_, S>) -> Option<u32> {
        let head = ring_head(a.info.step, a.ring_slots);
        let mut overflow = None;
        synapse_columns!(a, S::WeightUpdate<M>, vars, cols);
        for pre in 0..a.row_ptr.len() - 1 {
            let (lo, hi) = (a.row_ptr[pre] as usize, a.row_ptr[pre + 1] as usize);
            if lo == hi {
                continue;
            }
            let times = row_times::<S, true>(&a, pre as u32);
            for k in lo..hi {
                let o = visit_synapse::<S, S::WeightUpdate<M>, true>(
                    &mut a,
                    &mut cols,
                    k,
                    pre as u32,
                    head,
                    times,
                    |st: &mut S::WeightUpdate<M>, env| st.synapse_dynamics(env),
                );
                if o.is_some() {
                    overflow = overflow.max(o);
                }
            }
        }
        overflow
    }

    fn neuron_side(&self, a: SideArgs<'_, '_, S>, code: SideCode, ids: &[u32]) {
        for &i in ids {
            let mut st: S::WeightUpdate<M> = load_side(&a, code, i as usize);
            let mut env = side_env(&a, code, i);
            match code {
                SideCode::PreSpike => {
                    st.pre_spike(&mut env);
                    st.store_pre(a.vars, i as usize);
                }
                SideCode::PostSpike => {
                    st.post_spike(&mut env);
                    st.store_post(a.vars, i as usize);
                }
            }
        }
    }

    fn event_threshold(&self, a: SideArgs<'_, '_, S>, n: usize, out: &mut Vec<u32>) {
        if self.uniform_event_threshold {
            // The same for every neuron: evaluated once (on neuron 0).
            if n > 0 {
                let st: S::WeightUpdate<M> = load_side(&a, SideCode::PreSpike, 0);
                if st.event_threshold(&side_env(&a, SideCode::PreSpike, 0)) {
                    out.extend(0..n as u32);
                }
            }
            return;
        }
        for i in 0..n {
            let st: S::WeightUpdate<M> = load_side(&a, SideCode::PreSpike, i);
            let env = side_env(&a, SideCode::PreSpike, i as u32);
            if st.event_threshold(&env) {
                out.push(i as u32);
            }
        }
    }
}

macro_rules! runner_set {
    ($(#[$doc:meta])* $name:ident, $model:ident, $runner:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            pub f32: Arc<dyn $runner<f32>>,
            pub f64: Arc<dyn $runner<f64>>,
        }
        impl $name {
            /// The runners of model type `M`.
            pub fn of<M: $model>() -> Self {
                $name {
                    f32: Arc::new(Runner::<M>::new()),
                    f64: Arc::new(Runner::<M>::new()),
                }
            }
        }
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }
    };
}

runner_set!(
    /// Neuron runners in both precisions.
    NeuronRunners, NeuronModel, NeuronRunner
);
runner_set!(
    /// Postsynaptic runners in both precisions.
    PostsynapticRunners, PostsynapticModel, PostsynapticRunner
);
runner_set!(
    /// Current-source runners in both precisions.
    CurrentSourceRunners, CurrentSourceModel, CurrentSourceRunner
);
runner_set!(
    /// Weight-update runners in both precisions.
    WeightUpdateRunners, WeightUpdateModel, WeightUpdateRunner
);

/// Picks the runner of the simulation's precision.
pub trait CpuReal: PrecisionStates {
    fn neuron(r: &NeuronRunners) -> &dyn NeuronRunner<Self>;
    fn postsynaptic(r: &PostsynapticRunners) -> &dyn PostsynapticRunner<Self>;
    fn current_source(r: &CurrentSourceRunners) -> &dyn CurrentSourceRunner<Self>;
    fn weight_update(r: &WeightUpdateRunners) -> &dyn WeightUpdateRunner<Self>;
}

macro_rules! cpu_real {
    ($t:ident) => {
        impl CpuReal for $t {
            fn neuron(r: &NeuronRunners) -> &dyn NeuronRunner<Self> {
                &*r.$t
            }
            fn postsynaptic(r: &PostsynapticRunners) -> &dyn PostsynapticRunner<Self> {
                &*r.$t
            }
            fn current_source(r: &CurrentSourceRunners) -> &dyn CurrentSourceRunner<Self> {
                &*r.$t
            }
            fn weight_update(r: &WeightUpdateRunners) -> &dyn WeightUpdateRunner<Self> {
                &*r.$t
            }
        }
    };
}
cpu_real!(f32);
cpu_real!(f64);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::{GaussianNoise, Izhikevich};

    /// A compiled path of [`wide`].
    #[derive(Clone, Copy, Debug)]
    enum Path {
        Portable,
        #[cfg(target_arch = "x86_64")]
        Avx2,
        #[cfg(target_arch = "x86_64")]
        Avx512,
    }

    /// The paths this CPU can run.
    fn paths() -> Vec<Path> {
        let mut paths = vec![Path::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                paths.push(Path::Avx2);
            }
            if std::is_x86_feature_detected!("avx512f") {
                paths.push(Path::Avx512);
            }
        }
        paths
    }

    /// Runs `k` on `path`.
    fn run<K: Wide>(path: Path, k: K) -> K::Out {
        match path {
            Path::Portable => k.run(),
            // SAFETY: `paths` lists the path only when the CPU has AVX2.
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => unsafe { wide_avx2(k) },
            // SAFETY: `paths` lists the path only when the CPU has AVX-512F.
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => unsafe { wide_avx512(k) },
        }
    }

    /// Elements of the test block: not a multiple of the chunk sizes.
    const N: usize = 203;

    /// Ten steps of Izhikevich neurons (two passes, no draws) and of a
    /// Gaussian noise source (draws) on `path`: the bits of `v`, `u` and
    /// the injected currents, and the spikes.
    fn block_on(path: Path) -> (Vec<u32>, Vec<u32>) {
        let (mut v, mut u): (Vec<f32>, Vec<f32>) = (0..N)
            .map(|i| (-70.0 + (i % 37) as f32 * 2.7, -14.0 + (i % 11) as f32 * 0.3))
            .unzip();
        let (mut bits, mut spikes) = (Vec::new(), Vec::new());
        for step in 0..10 {
            let info = StepInfo {
                step,
                t: step as f32,
                dt: 1.0,
                seed: 11,
                stream: 7,
            };
            let mut isyn = vec![0.0f32; N];
            let egps = Egps::none();
            let noise = ElementArgs {
                consts: &[2.0, 3.0],
                egps: &egps,
                vars: &mut [],
                refs: &[],
                first_id: 5,
                len: N,
                info,
            };
            let op = Inject {
                info,
                isyn: &mut isyn,
            };
            type Noise = <f32 as PrecisionStates>::CurrentSource<GaussianNoise>;
            run(
                path,
                ElementLoop::<f32, Noise, _, true>(noise, op, PhantomData),
            );
            let mut vars = [VarSliceMut::F32(&mut v), VarSliceMut::F32(&mut u)];
            let neurons = ElementArgs {
                consts: &[0.02, 0.2, -65.0, 8.0],
                egps: &egps,
                vars: &mut vars,
                refs: &[],
                first_id: 5,
                len: N,
                info,
            };
            let pass = TwoPass::<f32, <f32 as PrecisionStates>::Neuron<Izhikevich>> {
                a: neurons,
                isyn: &isyn,
                auto_refractory: false,
                lanes: false,
                spikes: &mut spikes,
                state: PhantomData,
            };
            run(path, pass);
            bits.extend(isyn.iter().chain(&v).chain(&u).map(|x| x.to_bits()));
        }
        (bits, spikes)
    }

    #[test]
    fn every_compiled_path_of_the_element_loops_gives_the_same_bits() {
        let reference = block_on(Path::Portable);
        assert!(!reference.1.is_empty(), "the test block should spike");
        for path in paths() {
            assert!(
                block_on(path) == reference,
                "{path:?} differs from the portable path"
            );
        }
    }

    #[test]
    fn column_view_lists_each_target_in_presynaptic_order() {
        // Rows: 0 -> {1, 2}, 1 -> {}, 2 -> {0, 2}, 3 -> {2, 2} (a multapse).
        let row_ptr = [0u32, 2, 2, 4, 6];
        let ind = [1u16, 2, 0, 2, 2, 2];
        let col = ColView::new(&row_ptr, &ind, 4);
        assert_eq!(col.col_ptr, vec![0, 1, 2, 6, 6]);
        assert_eq!(col.syn, vec![2, 0, 1, 3, 4, 5]);
        assert_eq!(col.pre, vec![2, 0, 0, 2, 3, 3]);
    }
}
