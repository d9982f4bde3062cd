//! Type-erased runners of model code: one object per model type and kind,
//! holding the monomorphised loops over a block of elements in `f32` and `f64`.
//!
//! The network stores models as metadata plus these runners, so populations
//! of different models live side by side; dispatch is one virtual call per
//! block and step, the per-element loops are monomorphic and inlined.

use crate::model::{
    CurrentSourceBehaviour, CurrentSourceEnv, CurrentSourceModel, EgpRef, NeuronBehaviour,
    NeuronEnv, NeuronModel, PostsynapticBehaviour, PostsynapticEnv, PostsynapticModel,
    PrecisionStates, SpikeTimes, StateIo, StateSource, WeightUpdateBehaviour, WeightUpdateEnv,
    WeightUpdateModel,
};
use crate::real::Real;
use crate::rng::RngStream;
use crate::var::{VarSlice, VarSliceMut};
use std::marker::PhantomData;
use std::sync::Arc;

/// Timing and random-stream context of one block update.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StepInfo<S> {
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
pub(crate) struct ElementArgs<'a, 's, S: Real> {
    pub consts: &'a [S],
    pub egps: &'a [EgpRef<S>],
    pub vars: &'a mut [VarSliceMut<'s>],
    pub refs: &'a [VarSlice<'s>],
    /// Index of the block's first element in its population.
    pub first_id: u32,
    pub len: usize,
    pub info: StepInfo<S>,
}

/// Runs a neuron model over a block.
pub(crate) trait NeuronRunner<S: Real>: Send + Sync {
    /// Sim, threshold and reset of every neuron; spiking ids (absolute, ascending) pushed to `spikes`.
    fn update(
        &self,
        a: ElementArgs<'_, '_, S>,
        isyn: &[S],
        auto_refractory: bool,
        spikes: &mut Vec<u32>,
    );
}

/// Runs a postsynaptic model over a block.
pub(crate) trait PostsynapticRunner<S: Real>: Send + Sync {
    /// Adds each target's current to `isyn`.
    fn apply_input(&self, a: ElementArgs<'_, '_, S>, isyn: &mut [S]);
    /// Decays the input.
    fn decay(&self, a: ElementArgs<'_, '_, S>);
}

/// Runs a current source over a block.
pub(crate) trait CurrentSourceRunner<S: Real>: Send + Sync {
    /// Adds each target's injected current to `isyn`.
    fn inject(&self, a: ElementArgs<'_, '_, S>, isyn: &mut [S]);
}

/// Arguments of a weight-update spike propagation into one target block.
pub(crate) struct SynapseArgs<'a, 's, S: Real> {
    pub consts: &'a [S],
    pub egps: &'a [EgpRef<S>],
    /// Per-synapse variables of the block's sub-matrix.
    pub vars: &'a mut [VarSliceMut<'s>],
    /// Presynaptic spikes (ascending).
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
    /// Whether the model writes synapse variables (else stores are skipped).
    pub store: bool,
}

/// Runs a weight-update model's spike code over a block's synapses.
pub(crate) trait WeightUpdateRunner<S: Real>: Send + Sync {
    /// Processes every presynaptic spike; returns the largest dendritic delay
    /// that did not fit the ring, if any.
    fn on_pre_spikes(&self, a: SynapseArgs<'_, '_, S>) -> Option<u32>;
}

/// The runner of model type `M` (`fn() -> M` keeps it `Send + Sync`).
struct Runner<M>(PhantomData<fn() -> M>);

impl<M> Runner<M> {
    fn new() -> Self {
        Runner(PhantomData)
    }
}

/// Loads each element of a block, runs `f(state, element index, id)` on it
/// and stores it back: the loop shared by every per-element model kind.
#[inline(always)]
fn for_each_element<S: Real, St: StateIo<S>>(
    a: ElementArgs<'_, '_, S>,
    mut f: impl FnMut(&mut St, usize, u32),
) {
    for i in 0..a.len {
        let src = StateSource {
            params: a.consts,
            vars: a.vars,
            refs: a.refs,
            egps: a.egps,
            pre: &[],
            post: &[],
        };
        let mut st = St::load(&src, i);
        f(&mut st, i, a.first_id + i as u32);
        st.store(a.vars, i);
    }
}

impl<M: NeuronModel, S: PrecisionStates> NeuronRunner<S> for Runner<M> {
    fn update(
        &self,
        a: ElementArgs<'_, '_, S>,
        isyn: &[S],
        auto_refractory: bool,
        spikes: &mut Vec<u32>,
    ) {
        let info = a.info;
        for_each_element(a, |st: &mut S::Neuron<M>, i, id| {
            let mut env = NeuronEnv {
                t: info.t,
                dt: info.dt,
                isyn: isyn[i],
                id,
                rng: info.rng(id),
            };
            let was_above = auto_refractory && st.threshold(&env);
            st.sim(&mut env);
            if st.threshold(&env) && !was_above {
                st.reset(&mut env);
                spikes.push(id);
            }
        });
    }
}

fn post_env<S: Real>(info: &StepInfo<S>, id: u32) -> PostsynapticEnv<S> {
    PostsynapticEnv {
        t: info.t,
        dt: info.dt,
        id,
        injected: S::ZERO,
        rng: info.rng(id),
    }
}

impl<M: PostsynapticModel, S: PrecisionStates> PostsynapticRunner<S> for Runner<M> {
    fn apply_input(&self, a: ElementArgs<'_, '_, S>, isyn: &mut [S]) {
        let info = a.info;
        for_each_element(a, |st: &mut S::Postsynaptic<M>, i, id| {
            let mut env = post_env(&info, id);
            st.apply_input(&mut env);
            isyn[i] += env.injected;
        });
    }

    fn decay(&self, a: ElementArgs<'_, '_, S>) {
        let info = a.info;
        for_each_element(a, |st: &mut S::Postsynaptic<M>, _, id| {
            st.decay(&mut post_env(&info, id));
        });
    }
}

impl<M: CurrentSourceModel, S: PrecisionStates> CurrentSourceRunner<S> for Runner<M> {
    fn inject(&self, a: ElementArgs<'_, '_, S>, isyn: &mut [S]) {
        let info = a.info;
        for_each_element(a, |st: &mut S::CurrentSource<M>, i, id| {
            let mut env: CurrentSourceEnv<S> = post_env(&info, id);
            st.inject(&mut env);
            isyn[i] += env.injected;
        });
    }
}

impl<M: WeightUpdateModel, S: PrecisionStates> WeightUpdateRunner<S> for Runner<M> {
    fn on_pre_spikes(&self, a: SynapseArgs<'_, '_, S>) -> Option<u32> {
        let head = if a.ring_slots > 0 {
            (a.info.step % a.ring_slots as u64) as u32
        } else {
            0
        };
        let mut overflow = None;
        for &pre in a.spikes {
            let (lo, hi) = (
                a.row_ptr[pre as usize] as usize,
                a.row_ptr[pre as usize + 1] as usize,
            );
            for k in lo..hi {
                let src = StateSource {
                    params: a.consts,
                    vars: a.vars,
                    refs: &[],
                    egps: a.egps,
                    pre: &[],
                    post: &[],
                };
                let mut st = <S::WeightUpdate<M> as StateIo<S>>::load(&src, k);
                let id_post = a.post_offset + a.ind[k] as u32;
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
                    rng: RngStream::new(a.info.seed, a.info.stream, a.info.step as u32, id_post)
                        .with_block_offset(pre),
                    times: SpikeTimes::NONE,
                };
                st.on_pre_spike(&mut env);
                if let Some(d) = env.delay_overflow {
                    overflow = overflow.max(Some(d));
                }
                if a.store {
                    st.store(a.vars, k);
                }
            }
        }
        overflow
    }
}

macro_rules! runner_set {
    ($(#[$doc:meta])* $name:ident, $model:ident, $runner:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub(crate) struct $name {
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
pub(crate) trait CpuReal: PrecisionStates {
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
