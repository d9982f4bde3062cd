//! Model metadata and the traits the model macros implement.
//!
//! A model is described twice, from one definition:
//! - [`ModelDesc`]: names, kinds and types of its fields and the IR of its
//!   methods ([`crate::ir`]), shared by every backend (the GPU kernel
//!   generator prints the IR as C);
//! - a per-element *state* struct (`__<Model>State<S>`, generated) holding one
//!   element's parameters and variables, on which the CPU backend runs the
//!   model's methods natively, in `f32` or `f64`.

use crate::dsl::{EnvCall, Method};
use crate::ir::{Expr, IrType, MethodIr};
use crate::real::Real;
use crate::rng::RngStream;
use crate::var::{VarElem, VarSlice, VarSliceMut};

/// What kind of model a [`ModelDesc`] describes (the DSL's model kinds).
pub use snn_dsl::ModelKind;

/// What a model field is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// `#[param]`: one value per population / group, read-only in model code.
    Param,
    /// `#[derived(expr)]`: computed once on the host from parameters and `dt`.
    Derived,
    /// `#[var]`: one value per element (neuron, synapse, ...), read-write.
    Var,
    /// `#[egp]`: an extra global parameter, an array shared by the population,
    /// indexed in model code (`self.spike_times[i]`).
    Egp,
    /// `#[neuron_var]`: read-only reference to a variable of the neuron
    /// population a postsynaptic model or current source acts on, bound by name.
    NeuronVar,
    /// The postsynaptic input accumulator of a postsynaptic model (`self.in_syn`),
    /// per target neuron, zero-initialised; implicit in every postsynaptic model.
    InSyn,
    /// `#[pre_var]` (weight update): one value per presynaptic neuron, owned
    /// by the synapse group; written by `pre_spike`, read by synapse code.
    PreVar,
    /// `#[post_var]` (weight update): one value per postsynaptic neuron, owned
    /// by the synapse group; written by `post_spike`, read by synapse code.
    PostVar,
    /// `#[pre_neuron_var]` / `#[pre_neuron_var(name)]` (weight update):
    /// read-only reference to a variable of the presynaptic neuron.
    PreNeuronVar,
    /// `#[post_neuron_var]` / `#[post_neuron_var(name)]` (weight update):
    /// read-only reference to a variable of the postsynaptic neuron.
    PostNeuronVar,
    /// `#[input]` (neuron models): a synaptic input port, GeNN's additional
    /// input variable. Read-only in model code; each step it holds the sum of
    /// what the postsynaptic models and current sources aimed at it
    /// (`.target_port(name)`) injected this step, 0 when nothing targets it.
    Input,
}

/// A declared constraint on a parameter, checked when a population or group is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Constraint {
    /// Any finite value.
    Finite,
    /// `#[param(positive)]`: finite and > 0.
    Positive,
    /// `#[param(non_negative)]`: finite and >= 0.
    NonNegative,
}

impl Constraint {
    /// Checks a value; `Err` holds the reason ("must be > 0").
    pub fn check(self, value: f64) -> Result<(), &'static str> {
        if !value.is_finite() {
            return Err("must be finite");
        }
        match self {
            Constraint::Finite => Ok(()),
            Constraint::Positive if value > 0.0 => Ok(()),
            Constraint::Positive => Err("must be > 0"),
            Constraint::NonNegative if value >= 0.0 => Ok(()),
            Constraint::NonNegative => Err("must be >= 0"),
        }
    }
}

/// One field of a model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldDesc {
    /// Field name as written in the model struct.
    pub name: &'static str,
    /// What the field is.
    pub kind: FieldKind,
    /// Element type (`Scalar` follows the network precision).
    pub ty: IrType,
    /// Constraint on parameter values (always `Finite` for non-parameters).
    pub constraint: Constraint,
    /// For neuron-variable references (`NeuronVar`, `PreNeuronVar`,
    /// `PostNeuronVar`): the name of the referenced neuron variable (the
    /// field name unless renamed, as in `#[pre_neuron_var(v)] v_pre`);
    /// otherwise the field name.
    pub bind: &'static str,
}

/// Everything backends need to know about a model.
#[derive(Clone, Copy, Debug)]
pub struct ModelDesc {
    /// The model's type name.
    pub name: &'static str,
    /// The kind of model.
    pub kind: ModelKind,
    /// Fields in declaration order (postsynaptic models start with `in_syn`).
    pub fields: &'static [FieldDesc],
    /// The translated methods.
    pub methods: &'static [MethodIr],
    /// Neuron models: emit a spike only when the threshold condition becomes
    /// true (it was false before `sim`), GeNN's auto-refractory behaviour.
    pub auto_refractory: bool,
}

impl ModelDesc {
    /// Fields of one kind, in declaration order.
    pub fn fields_of(&self, kind: FieldKind) -> impl Iterator<Item = &'static FieldDesc> {
        self.fields.iter().filter(move |f| f.kind == kind)
    }
    /// Names of the parameters, in order.
    pub fn param_names(&self) -> Vec<&'static str> {
        self.fields_of(FieldKind::Param).map(|f| f.name).collect()
    }
    /// Names of the state variables, in order.
    pub fn var_names(&self) -> Vec<&'static str> {
        self.fields_of(FieldKind::Var).map(|f| f.name).collect()
    }
    /// Position of a field among the fields of its kind.
    pub fn index_of(&self, kind: FieldKind, name: &str) -> Option<usize> {
        self.fields_of(kind).position(|f| f.name == name)
    }
    /// Position of parameter or derived parameter `f` of this model among
    /// its constants (parameters, then derived parameters: the order of
    /// [`ModelPart::constants`](crate::network::ModelPart::constants)).
    ///
    /// # Panics
    /// With "internal error" when `f` is not a constant of this model (the
    /// callers pass the model's own fields).
    pub fn constant_index(&self, f: &FieldDesc) -> usize {
        let found = match f.kind {
            FieldKind::Param => self.index_of(FieldKind::Param, f.name),
            FieldKind::Derived => self
                .index_of(FieldKind::Derived, f.name)
                .map(|k| self.fields_of(FieldKind::Param).count() + k),
            _ => None,
        };
        found.unwrap_or_else(|| {
            panic!(
                "internal error: `{}` is not a constant of model `{}`",
                f.name, self.name
            )
        })
    }
    /// The `i`-th field of a kind.
    pub fn nth(&self, kind: FieldKind, i: usize) -> Option<&'static FieldDesc> {
        self.fields_of(kind).nth(i)
    }
    /// Checks parameter values against their constraints and that derived
    /// values are finite, reporting the first offending constant.
    pub fn check_constants(&self, params: &[f64], derived: &[f64]) -> Result<(), BadConstant> {
        for (f, &value) in self.fields_of(FieldKind::Param).zip(params) {
            f.constraint.check(value).map_err(|reason| BadConstant {
                name: f.name,
                value,
                derived: false,
                reason,
            })?;
        }
        for (f, &value) in self.fields_of(FieldKind::Derived).zip(derived) {
            if !value.is_finite() {
                return Err(BadConstant {
                    name: f.name,
                    value,
                    derived: true,
                    reason: "is not finite",
                });
            }
        }
        Ok(())
    }
    /// The translated `method`, if the model defines it.
    pub fn method(&self, method: Method) -> Option<&'static MethodIr> {
        self.methods.iter().find(|m| m.method == method)
    }
    /// True when the model defines `method`.
    pub fn has_method(&self, method: Method) -> bool {
        self.method(method).is_some()
    }
    /// True when any method makes environment call `call`.
    pub fn uses_env(&self, call: EnvCall) -> bool {
        self.methods.iter().any(|m| m.uses_env(call))
    }
    /// True when any method makes one of the environment calls `calls`.
    pub fn uses_any(&self, calls: &[EnvCall]) -> bool {
        calls.iter().any(|&c| self.uses_env(c))
    }
    /// True when `method` is defined, writes no field and reads nothing that
    /// differs between the elements it runs on: only literals, parameters,
    /// derived parameters, extra global parameters, `t`, `dt` and the
    /// population sizes (no variable, reference, input, id, spike or event
    /// time, nor random draw). It then gives the same result for every
    /// element of a step, so a backend may evaluate it once per step (the
    /// CPU backend does for `event_threshold`: a dopamine flag read from
    /// an extra global parameter, as in [`DopamineStdp`](crate::builtin::DopamineStdp)).
    pub fn element_independent(&self, method: Method) -> bool {
        let Some(m) = self.method(method) else {
            return false;
        };
        let mut independent = m.writes.is_empty();
        m.body.visit(&mut |e| match e {
            Expr::Field(name) => {
                let kind = self.fields.iter().find(|f| f.name == *name).map(|f| f.kind);
                independent &= matches!(
                    kind,
                    Some(FieldKind::Param | FieldKind::Derived | FieldKind::Egp)
                );
            }
            Expr::Env(call, _) => {
                independent &= matches!(
                    call,
                    EnvCall::T | EnvCall::Dt | EnvCall::NumPre | EnvCall::NumPost
                );
            }
            _ => {}
        });
        independent
    }
}

/// The environment calls that read presynaptic spike times.
pub const PRE_SPIKE_TIMES: [EnvCall; 2] = [EnvCall::StPre, EnvCall::PrevStPre];
/// The environment calls that read postsynaptic spike times.
pub const POST_SPIKE_TIMES: [EnvCall; 2] = [EnvCall::StPost, EnvCall::PrevStPost];
/// The environment calls that read presynaptic event times.
pub const PRE_EVENT_TIMES: [EnvCall; 2] = [EnvCall::SetPre, EnvCall::PrevSetPre];

/// A parameter or derived parameter rejected by [`ModelDesc::check_constants`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BadConstant {
    /// The field's name.
    pub name: &'static str,
    /// Its value.
    pub value: f64,
    /// True for a derived parameter.
    pub derived: bool,
    /// Why it is rejected ("must be > 0", "is not finite", ...).
    pub reason: &'static str,
}

impl BadConstant {
    /// Message for snippets, whose derived parameters are computed without `dt`.
    pub fn snippet_message(&self) -> String {
        if self.derived {
            format!(
                "derived parameter `{}` is {} (snippet derived parameters cannot use dt)",
                self.name, self.value
            )
        } else {
            format!("parameter `{}` = {} {}", self.name, self.value, self.reason)
        }
    }
}

/// Implemented by the struct macros for the user-facing model type, which
/// holds the parameter values (`f64`).
pub trait Model: Clone + std::fmt::Debug + Send + Sync + 'static {
    /// The model's metadata.
    const DESC: &'static ModelDesc;
    /// Parameter values in declaration order.
    fn param_values(&self) -> Vec<f64>;
    /// Builds the model from parameter values in declaration order.
    fn from_param_values(values: &[f64]) -> Self;
    /// Derived parameter values, in declaration order, from the parameter
    /// values and `dt` (computed in `f64` on the host).
    fn derived_values(params: &[f64], dt: f64) -> Vec<f64>;

    /// Builds the model from `(name, value)` pairs, naming any parameter
    /// that is unknown, repeated or missing.
    ///
    /// ```
    /// use snn_core::builtin::Izhikevich;
    /// use snn_core::model::Model;
    /// let m = Izhikevich::from_named(&[("a", 0.02), ("b", 0.2), ("c", -65.0), ("d", 8.0)]).unwrap();
    /// assert_eq!(m.a, 0.02);
    /// let err = Izhikevich::from_named(&[("a", 0.02), ("b", 0.2), ("c", -65.0)]).unwrap_err();
    /// assert!(err.contains("missing parameter `d`"), "{err}");
    /// ```
    fn from_named(values: &[(&str, f64)]) -> Result<Self, String> {
        let names = Self::DESC.param_names();
        let mut out: Vec<Option<f64>> = vec![None; names.len()];
        for &(name, value) in values {
            let Some(i) = names.iter().position(|n| *n == name) else {
                return Err(format!(
                    "{} `{}` has no parameter `{name}` (parameters: {})",
                    Self::DESC.kind.describe(),
                    Self::DESC.name,
                    names.join(", ")
                ));
            };
            if out[i].replace(value).is_some() {
                return Err(format!("parameter `{name}` given twice"));
            }
        }
        let values: Result<Vec<f64>, String> = out
            .iter()
            .zip(&names)
            .map(|(v, n)| {
                v.ok_or_else(|| {
                    format!(
                        "missing parameter `{n}` of {} `{}`",
                        Self::DESC.kind.describe(),
                        Self::DESC.name
                    )
                })
            })
            .collect();
        Ok(Self::from_param_values(&values?))
    }
}

/// Implemented by the impl-block macros: the translated methods of a model.
pub trait ModelCode {
    /// IR of every translated method.
    const METHODS: &'static [MethodIr];
}

/// Read-only view of an extra global parameter array inside model state.
///
/// Created by the CPU backend only (its constructor is private to this
/// crate), for the duration of one call that runs model code, so safe code
/// never holds one longer than its data; indexing is bounds-checked.
#[derive(Clone, Copy, Debug)]
pub struct EgpRef<S: 'static> {
    data: &'static [S],
}

impl<S> EgpRef<S> {
    /// An empty array.
    pub const EMPTY: EgpRef<S> = EgpRef { data: &[] };

    /// Wraps a slice for the duration of one backend call.
    ///
    /// # Safety
    /// The returned value must not outlive `data`: backends build it inside
    /// the call that runs model code and drop it before `data` can change.
    pub(crate) unsafe fn new(data: &[S]) -> Self {
        // SAFETY: lifetime extension guarded by the caller contract above.
        EgpRef {
            data: unsafe { std::mem::transmute::<&[S], &'static [S]>(data) },
        }
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

impl<S> std::ops::Index<usize> for EgpRef<S> {
    type Output = S;
    #[inline]
    fn index(&self, i: usize) -> &S {
        &self.data[i]
    }
}

/// Where the generated `load` of a state struct reads one element from.
pub struct StateSource<'a, 's, S: Real> {
    /// Parameters then derived parameters, in declaration order, in precision `S`.
    pub params: &'a [S],
    /// The model's own state variables (`#[var]`, and `in_syn` first for
    /// postsynaptic models), element-indexed within the current chunk.
    pub vars: &'a [VarSliceMut<'s>],
    /// Referenced neuron variables (`#[neuron_var]`), element-indexed like `vars`.
    pub refs: &'a [VarSlice<'s>],
    /// Extra global parameters in declaration order.
    pub egps: &'a [EgpRef<S>],
    /// Weight-update synapse code only: the group's `#[pre_var]`s then the
    /// referenced presynaptic neuron variables (`#[pre_neuron_var]`),
    /// indexed by presynaptic neuron. Empty elsewhere.
    pub pre: &'a [VarSlice<'s>],
    /// Weight-update synapse code only: the group's `#[post_var]`s then the
    /// referenced postsynaptic neuron variables, indexed by postsynaptic neuron.
    pub post: &'a [VarSlice<'s>],
}

impl<S: Real> StateSource<'_, '_, S> {
    /// Reads variable `k` of element `i`.
    #[inline(always)]
    pub fn var<T: VarElem>(&self, k: usize, i: usize) -> T {
        T::get_mut(&self.vars[k], i)
    }
    /// Reads referenced neuron variable `k` of element `i`.
    #[inline(always)]
    pub fn neuron_var<T: VarElem>(&self, k: usize, i: usize) -> T {
        T::get(&self.refs[k], i)
    }
    /// Reads entry `k` of [`StateSource::pre`] at presynaptic neuron `i`.
    #[inline(always)]
    pub fn pre_var<T: VarElem>(&self, k: usize, i: usize) -> T {
        T::get(&self.pre[k], i)
    }
    /// Reads entry `k` of [`StateSource::post`] at postsynaptic neuron `i`.
    #[inline(always)]
    pub fn post_var<T: VarElem>(&self, k: usize, i: usize) -> T {
        T::get(&self.post[k], i)
    }
}

/// Loading and storing one element's state (generated by the struct macros).
///
/// Weight-update models have three views of their state: a synapse
/// ([`StateIo::load_synapse`]: synapse variables at the synapse, pre/post
/// variables and neuron references at its two neurons), a presynaptic
/// neuron ([`StateIo::load_pre`]: `src.vars` are the `#[pre_var]`s and
/// `src.refs` the `#[pre_neuron_var]`s) and a postsynaptic neuron
/// ([`StateIo::load_post`]). Fields outside a view hold default values;
/// the macros reject code that reads them.
///
/// Per-element loops over a block go through [`StateIo::columns`] instead
/// of [`StateIo::load`]: the variable arrays are resolved to typed slices
/// and the parameters read once per block, not once per element.
pub trait StateIo<S: Real>: Sized {
    /// A block's typed columns ([`StateIo::columns`]).
    type Columns<'c>;
    /// Reads element `i`.
    fn load(src: &StateSource<'_, '_, S>, i: usize) -> Self;
    /// Writes element `i`'s variables (and `in_syn`) back.
    fn store(&self, vars: &mut [VarSliceMut<'_>], i: usize);
    /// Resolves the columns of a block of `len` elements once: parameters
    /// and extra global parameters into a template state, variables
    /// (`vars`, as in [`StateSource::vars`]) and references (`refs`) into
    /// typed slices of `len` elements.
    fn columns<'c>(
        params: &[S],
        egps: &[EgpRef<S>],
        vars: &'c mut [VarSliceMut<'_>],
        refs: &'c [VarSlice<'_>],
        len: usize,
    ) -> Self::Columns<'c>;
    /// Reads element `i` of resolved columns (as [`load`](Self::load)).
    fn load_at(cols: &Self::Columns<'_>, i: usize) -> Self;
    /// Reads synapse `i` from presynaptic neuron `pre` to postsynaptic
    /// neuron `post` (as [`load_synapse`](Self::load_synapse)), with the
    /// synapse variables and parameters from resolved columns and the
    /// presynaptic and postsynaptic ones from `src`.
    fn load_synapse_at(
        cols: &Self::Columns<'_>,
        src: &StateSource<'_, '_, S>,
        i: usize,
        pre: usize,
        post: usize,
    ) -> Self;
    /// Writes element `i`'s variables back into resolved columns (as [`store`](Self::store)).
    fn store_at(&self, cols: &mut Self::Columns<'_>, i: usize);
    /// Reads synapse `i` from presynaptic neuron `pre` to postsynaptic neuron `post`.
    #[inline(always)]
    fn load_synapse(src: &StateSource<'_, '_, S>, i: usize, pre: usize, post: usize) -> Self {
        let _ = (pre, post);
        Self::load(src, i)
    }
    /// Reads the presynaptic view of neuron `i` (weight-update models).
    #[inline(always)]
    fn load_pre(src: &StateSource<'_, '_, S>, i: usize) -> Self {
        Self::load(src, i)
    }
    /// Reads the postsynaptic view of neuron `i` (weight-update models).
    #[inline(always)]
    fn load_post(src: &StateSource<'_, '_, S>, i: usize) -> Self {
        Self::load(src, i)
    }
    /// Writes the `#[pre_var]`s of neuron `i` back.
    #[inline(always)]
    fn store_pre(&self, vars: &mut [VarSliceMut<'_>], i: usize) {
        let _ = (vars, i);
    }
    /// Writes the `#[post_var]`s of neuron `i` back.
    #[inline(always)]
    fn store_post(&self, vars: &mut [VarSliceMut<'_>], i: usize) {
        let _ = (vars, i);
    }
}

/// Environment of neuron model code: time, step, input current, random draws.
pub struct NeuronEnv<S: Real> {
    pub(crate) t: S,
    pub(crate) dt: S,
    pub(crate) isyn: S,
    pub(crate) id: u32,
    pub(crate) rng: RngStream,
}

/// Environment of postsynaptic model code: like [`NeuronEnv`] plus `inject_current`.
pub struct PostsynapticEnv<S: Real> {
    pub(crate) t: S,
    pub(crate) dt: S,
    pub(crate) id: u32,
    pub(crate) injected: S,
    pub(crate) rng: RngStream,
}

/// Environment of current-source code: like [`PostsynapticEnv`].
pub type CurrentSourceEnv<S> = PostsynapticEnv<S>;

/// Environment of variable-initialisation snippet code: element id and random draws.
pub struct InitEnv<S: Real> {
    pub(crate) id: u32,
    pub(crate) rng: RngStream,
    pub(crate) _s: std::marker::PhantomData<S>,
}

/// Environment of connectivity-snippet code building one row.
pub struct RowBuildEnv<S: Real> {
    pub(crate) id_pre: u32,
    pub(crate) num_pre: u32,
    pub(crate) num_post: u32,
    pub(crate) targets: Vec<u32>,
    pub(crate) rng: RngStream,
    pub(crate) _s: std::marker::PhantomData<S>,
}

/// Environment of weight-update code on a presynaptic spike.
pub struct WeightUpdateEnv<'a, S: Real> {
    pub(crate) t: S,
    pub(crate) dt: S,
    pub(crate) id_pre: u32,
    pub(crate) id_post: u32,
    /// Postsynaptic input of the target block, indexed by `id_post - post_offset`.
    pub(crate) in_syn: &'a mut [S],
    /// Dendritic-delay ring of the target block, slot-major
    /// (`slot * in_syn.len() + post`).
    pub(crate) ring: &'a mut [S],
    pub(crate) ring_slots: u32,
    pub(crate) ring_head: u32,
    pub(crate) post_offset: u32,
    /// Largest requested dendritic delay that did not fit the ring, if any.
    pub(crate) delay_overflow: Option<u32>,
    /// When set, additions are queued here as `(index, value)` and applied
    /// in order by [`PendingAdds::apply`] instead of at once (the CPU
    /// backend's synapse loops; see there).
    pub(crate) pending: Option<&'a mut PendingAdds<S>>,
    pub(crate) rng: RngStream,
    /// Spike times of the two neurons ([`SpikeTimes`]).
    pub(crate) times: SpikeTimes<S>,
}

/// The spike and spike-like-event times weight-update code can read
/// ([`Real::NO_SPIKE`] before the first one).
///
/// Each is the time (`step * dt`) of the step in which the neuron spiked
/// (or its event condition held), as of the end of the previous step: in
/// `on_pre_spike` for a spike of step `s - 1`, `st_pre` is `(s - 1) * dt`
/// and `prev_st_pre` the spike before it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpikeTimes<S> {
    /// Latest spike of the presynaptic neuron.
    pub st_pre: S,
    /// The presynaptic spike before `st_pre`.
    pub prev_st_pre: S,
    /// Latest spike-like event of the presynaptic neuron (this group's `event_threshold`).
    pub set_pre: S,
    /// The presynaptic event before `set_pre`.
    pub prev_set_pre: S,
    /// Latest spike of the postsynaptic neuron.
    pub st_post: S,
    /// The postsynaptic spike before `st_post`.
    pub prev_st_post: S,
}

impl<S: Real> SpikeTimes<S> {
    /// No spikes yet.
    pub const NONE: SpikeTimes<S> = SpikeTimes {
        st_pre: S::NO_SPIKE,
        prev_st_pre: S::NO_SPIKE,
        set_pre: S::NO_SPIKE,
        prev_set_pre: S::NO_SPIKE,
        st_post: S::NO_SPIKE,
        prev_st_post: S::NO_SPIKE,
    };
}

/// Integer types usable as a dendritic delay in `add_to_post_delay`.
pub trait DelaySteps: Copy {
    /// The delay in timesteps.
    fn steps(self) -> u32;
}
macro_rules! delay_steps {
    ($($t:ty),*) => {$(impl DelaySteps for $t {
        #[inline(always)]
        fn steps(self) -> u32 { self as u32 }
    })*};
}
delay_steps!(u8, u16, u32, i32, usize);

/// Random draws, shared by every environment (the GPU runtime implements the same names).
macro_rules! env_random {
    () => {
        /// A uniform draw in (0, 1).
        #[inline]
        pub fn rand_uniform(&mut self) -> S {
            self.rng.uniform()
        }
        /// A standard normal draw.
        #[inline]
        pub fn rand_normal(&mut self) -> S {
            self.rng.normal()
        }
        /// An exponential draw with rate 1.
        #[inline]
        pub fn rand_exponential(&mut self) -> S {
            self.rng.exponential()
        }
        /// A Poisson draw with mean `lambda`.
        #[inline]
        pub fn rand_poisson(&mut self, lambda: S) -> u32 {
            self.rng.poisson(lambda)
        }
        /// A gamma draw with shape `a` and scale 1.
        #[inline]
        pub fn rand_gamma(&mut self, a: S) -> S {
            self.rng.gamma(a)
        }
        /// A binomial draw: successes in `n` trials of probability `p`.
        #[inline]
        pub fn rand_binomial(&mut self, n: u32, p: S) -> u32 {
            self.rng.binomial(n, p)
        }
    };
}

/// Time accessors shared by the simulation environments.
macro_rules! env_time {
    () => {
        /// Time at the start of this step (ms).
        #[inline(always)]
        pub fn t(&self) -> S {
            self.t
        }
        /// The timestep (ms).
        #[inline(always)]
        pub fn dt(&self) -> S {
            self.dt
        }
    };
}

impl<S: Real> NeuronEnv<S> {
    env_time!();
    env_random!();
    /// Total input current this step: postsynaptic models plus current sources.
    #[inline(always)]
    pub fn isyn(&self) -> S {
        self.isyn
    }
    /// Index of the neuron in its population.
    #[inline(always)]
    pub fn id(&self) -> u32 {
        self.id
    }
}

impl<S: Real> PostsynapticEnv<S> {
    env_time!();
    env_random!();
    /// Adds `i` to the target neuron's input current this step.
    #[inline(always)]
    pub fn inject_current(&mut self, i: S) {
        self.injected += i;
    }
    /// Index of the target neuron in its population.
    #[inline(always)]
    pub fn id(&self) -> u32 {
        self.id
    }
}

impl<S: Real> InitEnv<S> {
    env_random!();
    /// Index of the element being initialised.
    #[inline(always)]
    pub fn id(&self) -> u32 {
        self.id
    }
}

impl<S: Real> RowBuildEnv<S> {
    env_random!();
    /// The presynaptic neuron whose row is being built.
    #[inline(always)]
    pub fn id_pre(&self) -> u32 {
        self.id_pre
    }
    /// Size of the presynaptic population.
    #[inline(always)]
    pub fn num_pre(&self) -> u32 {
        self.num_pre
    }
    /// Size of the postsynaptic population.
    #[inline(always)]
    pub fn num_post(&self) -> u32 {
        self.num_post
    }
    /// Adds a synapse to postsynaptic neuron `j` (any order; multapses allowed).
    #[inline(always)]
    pub fn add_synapse(&mut self, j: u32) {
        self.targets.push(j);
    }
}

impl<S: Real> WeightUpdateEnv<'_, S> {
    env_time!();
    env_random!();
    /// Index of the presynaptic neuron.
    #[inline(always)]
    pub fn id_pre(&self) -> u32 {
        self.id_pre
    }
    /// Index of the postsynaptic neuron.
    #[inline(always)]
    pub fn id_post(&self) -> u32 {
        self.id_post
    }
    /// Time of the presynaptic neuron's latest spike ([`SpikeTimes`]).
    #[inline(always)]
    pub fn st_pre(&self) -> S {
        self.times.st_pre
    }
    /// Time of the presynaptic spike before the latest.
    #[inline(always)]
    pub fn prev_st_pre(&self) -> S {
        self.times.prev_st_pre
    }
    /// Time of the presynaptic neuron's latest spike-like event.
    #[inline(always)]
    pub fn set_pre(&self) -> S {
        self.times.set_pre
    }
    /// Time of the presynaptic spike-like event before the latest.
    #[inline(always)]
    pub fn prev_set_pre(&self) -> S {
        self.times.prev_set_pre
    }
    /// Time of the postsynaptic neuron's latest spike.
    #[inline(always)]
    pub fn st_post(&self) -> S {
        self.times.st_post
    }
    /// Time of the postsynaptic spike before the latest.
    #[inline(always)]
    pub fn prev_st_post(&self) -> S {
        self.times.prev_st_post
    }
    /// Adds `x` to the postsynaptic input of the target (seen by its
    /// postsynaptic model in this step's neuron update).
    #[inline(always)]
    pub fn add_to_post(&mut self, x: S) {
        let j = self.id_post - self.post_offset;
        if self.ring_slots == 0 {
            self.add_at(j, x);
        } else {
            self.add_at(self.ring_head * self.in_syn.len() as u32 + j, x);
        }
    }
    /// Adds `x` to the postsynaptic input of the target `delay` steps later
    /// (a dendritic delay). A delay above the group's maximum is not applied
    /// and makes the step fail with [`Error::DelayOverflow`](crate::Error).
    #[inline(always)]
    pub fn add_to_post_delay(&mut self, x: S, delay: impl DelaySteps) {
        let j = self.id_post - self.post_offset;
        let delay = delay.steps();
        if delay >= self.ring_slots {
            // Reported as an error by the backend after this step.
            self.delay_overflow = self.delay_overflow.max(Some(delay));
            return;
        }
        // head < slots and delay < slots: one conditional subtraction
        // instead of a division.
        let mut slot = self.ring_head + delay;
        if slot >= self.ring_slots {
            slot -= self.ring_slots;
        }
        self.add_at(slot * self.in_syn.len() as u32 + j, x);
    }

    /// Adds `x` at `index` of the ring (or of `in_syn` without one), now or
    /// through the pending queue. Indices fit `u32`: the network builder
    /// limits a ring to `2^32 - 1` entries (`slots * targets`).
    #[inline(always)]
    fn add_at(&mut self, index: u32, x: S) {
        let target = if self.ring_slots == 0 {
            &mut *self.in_syn
        } else {
            &mut *self.ring
        };
        match self.pending.as_deref_mut() {
            Some(p) => p.push(target, index, x),
            None => target[index as usize] += x,
        }
    }
}

/// Additions to a postsynaptic input (`in_syn` or its dendritic-delay
/// ring) queued as `(index, value)` and applied in order.
///
/// A synapse loop that adds straight into a large ring waits for each
/// target's cache line in turn; the per-synapse model code between two
/// additions keeps few of those misses in flight. Queuing the additions and
/// applying them in a tight loop, with the cache line of an addition a few
/// places ahead prefetched, overlaps the misses. The order of additions is
/// kept, so sums are bit-identical to adding at once.
#[derive(Debug, Default)]
pub struct PendingAdds<S> {
    adds: Vec<(u32, S)>,
}

impl<S: Real> PendingAdds<S> {
    /// Queued additions are applied once this many are waiting.
    const FLUSH_AT: usize = 4096;
    /// How many additions ahead the applying loop prefetches.
    const PREFETCH_AHEAD: usize = 128;

    /// Queues `target[index] += x`, applying the queue into `target` when full.
    #[inline(always)]
    pub fn push(&mut self, target: &mut [S], index: u32, x: S) {
        self.adds.push((index, x));
        if self.adds.len() >= Self::FLUSH_AT {
            self.apply(target);
        }
    }

    /// Queues `target[index] += x` for each of `adds` (a row's), applying
    /// the queue into `target` when full.
    #[inline(always)]
    pub fn extend(&mut self, target: &mut [S], adds: impl Iterator<Item = (u32, S)>) {
        self.adds.extend(adds);
        if self.adds.len() >= Self::FLUSH_AT {
            self.apply(target);
        }
    }

    /// Applies every queued addition into `target`, in order, and empties the queue.
    pub fn apply(&mut self, target: &mut [S]) {
        let adds = &self.adds;
        for &(i, _) in adds.iter().take(Self::PREFETCH_AHEAD) {
            crate::var::prefetch(target, i as usize);
        }
        for (k, &(i, x)) in adds.iter().enumerate() {
            if let Some(&(ahead, _)) = adds.get(k + Self::PREFETCH_AHEAD) {
                crate::var::prefetch(target, ahead as usize);
            }
            target[i as usize] += x;
        }
        self.adds.clear();
    }
}

/// Neuron model behaviour on one neuron's state, run natively by the CPU backend.
pub trait NeuronBehaviour<S: Real>: StateIo<S> {
    /// Integrates the state over one step.
    fn sim(&mut self, _env: &mut NeuronEnv<S>) {}
    /// True when the neuron spikes.
    fn threshold(&self, _env: &NeuronEnv<S>) -> bool {
        false
    }
    /// Applied after a spike.
    fn reset(&mut self, _env: &mut NeuronEnv<S>) {}
    /// True when the model macros emitted the lane form of `sim` and
    /// `threshold` ([`crate::lanes`]): [`sim_lanes`](Self::sim_lanes) runs
    /// them on [`WIDTH`](crate::lanes::WIDTH) neurons at once.
    const LANES: bool = false;
    /// Why the model has no lane form (which method, what in it is
    /// outside the lane subset), when it has none.
    const NO_LANES: &'static str = "";
    /// `sim` on neurons `base..base + n` of `cols` (`1 <= n <= WIDTH`), with
    /// the same bits as the scalar methods; bit `l` of the outcome's masks
    /// is neuron `base + l`: `crossed`, those that crossed the threshold
    /// (and were not above it before, with `auto_refractory`); `spilled`,
    /// those whose loops still ran when few lanes did
    /// ([`SPILL_AFTER`](crate::lanes::SPILL_AFTER)): their state is left
    /// as it was, for [`sim_lanes_at`](Self::sim_lanes_at) (or the scalar
    /// methods) to run. Without a lane form it does nothing and returns
    /// empty masks.
    fn sim_lanes(
        _cols: &mut Self::Columns<'_>,
        _base: usize,
        _n: usize,
        _env: &crate::lanes::NeuronLaneEnv<S>,
        _auto_refractory: bool,
    ) -> crate::lanes::LaneOutcome {
        crate::lanes::LaneOutcome::default()
    }
    /// `sim` on the neurons `at` of `cols` (`1 <= at.len() <= WIDTH`,
    /// distinct), to the end of every loop: the mask of those that crossed,
    /// as [`sim_lanes`](Self::sim_lanes). Without a lane form it does
    /// nothing and returns 0.
    fn sim_lanes_at(
        _cols: &mut Self::Columns<'_>,
        _at: &[usize],
        _env: &crate::lanes::NeuronLaneEnv<S>,
        _auto_refractory: bool,
    ) -> u32 {
        0
    }
}

/// Postsynaptic model behaviour on one target neuron's state.
pub trait PostsynapticBehaviour<S: Real>: StateIo<S> {
    /// Turns the input (`self.in_syn`) into current via `env.inject_current`.
    fn apply_input(&mut self, _env: &mut PostsynapticEnv<S>) {}
    /// Decays the input after the neuron update.
    fn decay(&mut self, _env: &mut PostsynapticEnv<S>) {}
}

/// Current-source behaviour on one neuron's state.
pub trait CurrentSourceBehaviour<S: Real>: StateIo<S> {
    /// Injects current via `env.inject_current`.
    fn inject(&mut self, _env: &mut CurrentSourceEnv<S>) {}
}

/// Weight-update behaviour: synapse code on one synapse's state, and
/// per-neuron code on the presynaptic / postsynaptic views
/// ([`StateIo::load_pre`], [`StateIo::load_post`]).
pub trait WeightUpdateBehaviour<S: Real>: StateIo<S> {
    /// Synapse code: every synapse of a presynaptic neuron that spiked.
    fn on_pre_spike(&mut self, _env: &mut WeightUpdateEnv<'_, S>) {}
    /// Synapse code: every synapse into a postsynaptic neuron that spiked
    /// (GeNN's learn-post code, through the column-wise view).
    fn on_post_spike(&mut self, _env: &mut WeightUpdateEnv<'_, S>) {}
    /// Synapse code: every synapse of a presynaptic neuron whose
    /// `event_threshold` held (a spike-like event).
    fn on_pre_event(&mut self, _env: &mut WeightUpdateEnv<'_, S>) {}
    /// Synapse code: every synapse, every step.
    fn synapse_dynamics(&mut self, _env: &mut WeightUpdateEnv<'_, S>) {}
    /// Presynaptic view: true when the presynaptic neuron emits a
    /// spike-like event for this group (evaluated after its update).
    fn event_threshold(&self, _env: &WeightUpdateEnv<'_, S>) -> bool {
        false
    }
    /// Presynaptic view: once per presynaptic spike, after the neuron update.
    fn pre_spike(&mut self, _env: &mut WeightUpdateEnv<'_, S>) {}
    /// Postsynaptic view: once per postsynaptic spike, after the neuron update.
    fn post_spike(&mut self, _env: &mut WeightUpdateEnv<'_, S>) {}
    /// Bit `m as u32` set for each synapse-code method `m` (`on_pre_spike`,
    /// `on_post_spike`, `on_pre_event`) the model macros emitted a lane form
    /// of ([`crate::lanes`]), which [`synapse_lanes`](Self::synapse_lanes) runs.
    const LANE_METHODS: u32 = 0;
    /// Why a synapse-code method has no lane form, for the first such one.
    const NO_LANES: &'static str = "";
    /// The lane form of `method` on the synapses of `group`, with the same
    /// bits as the scalar method on each; the additions to the targets'
    /// input are left in `env` for the caller. Does nothing for a method
    /// without a lane form.
    fn synapse_lanes(
        _method: crate::dsl::Method,
        _cols: &mut Self::Columns<'_>,
        _src: &StateSource<'_, '_, S>,
        _group: &crate::lanes::LaneGroup<'_>,
        _env: &mut crate::lanes::SynapseLaneEnv<S>,
    ) {
    }
}

/// Variable-initialisation snippet behaviour.
pub trait VarInitBehaviour<S: Real>: StateIo<S> {
    /// The initial value of one element.
    fn init(&self, env: &mut InitEnv<S>) -> S;
}

/// Connectivity-snippet behaviour: builds one row.
pub trait RowBuildBehaviour<S: Real>: StateIo<S> {
    /// Calls `env.add_synapse(j)` for every target of row `env.id_pre()`.
    fn row_build(&self, _env: &mut RowBuildEnv<S>) {}
}

/// A neuron model (implemented by `#[neuron_model]`).
pub trait NeuronModel: Model {
    /// Per-neuron state in `f32`.
    type State32: NeuronBehaviour<f32>;
    /// Per-neuron state in `f64`.
    type State64: NeuronBehaviour<f64>;
}

/// A postsynaptic model (implemented by `#[postsynaptic_model]`).
pub trait PostsynapticModel: Model {
    /// Per-target state in `f32`.
    type State32: PostsynapticBehaviour<f32>;
    /// Per-target state in `f64`.
    type State64: PostsynapticBehaviour<f64>;
}

/// A current-source model (implemented by `#[current_source_model]`).
pub trait CurrentSourceModel: Model {
    /// Per-neuron state in `f32`.
    type State32: CurrentSourceBehaviour<f32>;
    /// Per-neuron state in `f64`.
    type State64: CurrentSourceBehaviour<f64>;
}

/// A weight-update model (implemented by `#[weight_update_model]`).
pub trait WeightUpdateModel: Model {
    /// Per-synapse state in `f32`.
    type State32: WeightUpdateBehaviour<f32>;
    /// Per-synapse state in `f64`.
    type State64: WeightUpdateBehaviour<f64>;
}

/// A variable-initialisation snippet (implemented by `#[var_init_snippet]`).
pub trait VarInitModel: Model {
    /// State in `f32`.
    type State32: VarInitBehaviour<f32>;
    /// State in `f64`.
    type State64: VarInitBehaviour<f64>;
}

/// A connectivity snippet (implemented by `#[connectivity_snippet]`).
pub trait ConnectivityModel: Model {
    /// State in `f32`.
    type State32: RowBuildBehaviour<f32>;
    /// State in `f64`.
    type State64: RowBuildBehaviour<f64>;
    /// Upper bound of the row length (from the `max_row_length` option).
    fn max_row_length(params: &[f64], num_pre: u32, num_post: u32) -> u32;
}

/// Picks the state type of a model for a precision: `f32` -> `State32`, `f64` -> `State64`.
///
/// Lets backends be written once, generic over the precision.
pub trait PrecisionStates: Real {
    /// Neuron state.
    type Neuron<M: NeuronModel>: NeuronBehaviour<Self>;
    /// Postsynaptic state.
    type Postsynaptic<M: PostsynapticModel>: PostsynapticBehaviour<Self>;
    /// Current-source state.
    type CurrentSource<M: CurrentSourceModel>: CurrentSourceBehaviour<Self>;
    /// Weight-update state.
    type WeightUpdate<M: WeightUpdateModel>: WeightUpdateBehaviour<Self>;
    /// Variable-initialisation snippet state.
    type VarInit<M: VarInitModel>: VarInitBehaviour<Self>;
    /// Connectivity snippet state.
    type Connectivity<M: ConnectivityModel>: RowBuildBehaviour<Self>;
}

impl PrecisionStates for f32 {
    type Neuron<M: NeuronModel> = M::State32;
    type Postsynaptic<M: PostsynapticModel> = M::State32;
    type CurrentSource<M: CurrentSourceModel> = M::State32;
    type WeightUpdate<M: WeightUpdateModel> = M::State32;
    type VarInit<M: VarInitModel> = M::State32;
    type Connectivity<M: ConnectivityModel> = M::State32;
}

impl PrecisionStates for f64 {
    type Neuron<M: NeuronModel> = M::State64;
    type Postsynaptic<M: PostsynapticModel> = M::State64;
    type CurrentSource<M: CurrentSourceModel> = M::State64;
    type WeightUpdate<M: WeightUpdateModel> = M::State64;
    type VarInit<M: VarInitModel> = M::State64;
    type Connectivity<M: ConnectivityModel> = M::State64;
}

/// Compile-time check emitted by the impl macros for every `self.x` read
/// (`write == false`) and assignment (`write == true`) in `method`.
///
/// Weight-update models have views: `pre_spike` and `event_threshold` see
/// only constants, EGPs, `#[pre_var]`s (written by `pre_spike`) and
/// `#[pre_neuron_var]`s; `post_spike` likewise on the postsynaptic side;
/// synapse code reads everything and writes only `#[var]`s. Elsewhere,
/// `#[var]`s and `in_syn` are writable. Unknown names pass (rustc reports them).
pub const fn field_access_ok(
    fields: &[FieldDesc],
    name: &str,
    method: Method,
    write: bool,
) -> bool {
    let mut i = 0;
    while i < fields.len() {
        let f = &fields[i];
        if const_str_eq(f.name, name) {
            use FieldKind::*;
            let constant = matches!(f.kind, Param | Derived | Egp);
            return if matches!(method, Method::PreSpike | Method::EventThreshold) {
                if write {
                    matches!(f.kind, PreVar)
                } else {
                    constant || matches!(f.kind, PreVar | PreNeuronVar)
                }
            } else if matches!(method, Method::PostSpike) {
                if write {
                    matches!(f.kind, PostVar)
                } else {
                    constant || matches!(f.kind, PostVar | PostNeuronVar)
                }
            } else if write {
                matches!(f.kind, Var | InSyn)
            } else {
                true
            };
        }
        i += 1;
    }
    true
}

const fn const_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::builtin::Lif;
    use crate::model::{FieldKind, Model};

    #[test]
    fn constants_are_parameters_then_derived_parameters() {
        let m = Lif::DESC;
        let params = m.fields_of(FieldKind::Param).count();
        for (k, f) in m.fields_of(FieldKind::Param).enumerate() {
            assert_eq!(m.constant_index(f), k);
        }
        for (k, f) in m.fields_of(FieldKind::Derived).enumerate() {
            assert_eq!(m.constant_index(f), params + k);
        }
    }

    #[test]
    #[should_panic(expected = "internal error: `v` is not a constant of model `Lif`")]
    fn a_variable_has_no_constant_index() {
        // It once printed as constant 0 without a word.
        let m = Lif::DESC;
        m.constant_index(m.nth(FieldKind::Var, 0).unwrap());
    }
}
