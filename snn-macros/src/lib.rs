//! Attribute macros that turn annotated Rust structs and impl blocks into `snn`
//! models. This crate is thin: field/method parsing and code generation live in
//! `model`, translation of method bodies to the GPU-portable IR in
//! `translate`, and the per-kind rules in `kinds`; all three are plain
//! modules with unit tests.
//!
//! Each attribute goes on both the model struct and its impl block (the `snn`
//! crate's documentation has this example compiled and run):
//!
//! ```text
//! #[neuron_model]
//! pub struct Leaky {
//!     #[param(positive)] tau: Scalar,
//!     #[derived((-dt / tau).exp())] decay: Scalar,
//!     #[var] v: Scalar,
//! }
//! #[neuron_model]
//! impl Leaky {
//!     fn sim(&mut self, env: &mut NeuronEnv) { self.v = self.v * self.decay + env.isyn(); }
//!     fn threshold(&self, env: &NeuronEnv) -> bool { self.v > 1.0 }
//!     fn reset(&mut self, env: &mut NeuronEnv) { self.v = 0.0; }
//! }
//! ```

#![forbid(unsafe_code)]

mod kinds;
mod lanes;
mod model;
mod state;
mod translate;

use kinds::ModelKind;
use proc_macro::TokenStream;

/// Defines a neuron model (fields: `#[param]`, `#[derived(expr)]`, `#[var]`,
/// `#[egp]`, `#[input]` (a synaptic input port, read-only); methods: `sim`, `threshold`, `reset`). Option:
/// `#[neuron_model(auto_refractory = false)]`.
#[proc_macro_attribute]
pub fn neuron_model(args: TokenStream, input: TokenStream) -> TokenStream {
    model::expand(ModelKind::Neuron, args.into(), input.into()).into()
}

/// Defines a postsynaptic model (fields: `#[param]`, `#[derived(expr)]`,
/// `#[var]`, `#[neuron_var]`, plus the implicit `in_syn`; methods:
/// `apply_input`, `decay`).
#[proc_macro_attribute]
pub fn postsynaptic_model(args: TokenStream, input: TokenStream) -> TokenStream {
    model::expand(ModelKind::Postsynaptic, args.into(), input.into()).into()
}

/// Defines a current-source model (fields: `#[param]`, `#[derived(expr)]`,
/// `#[var]`, `#[egp]`, `#[neuron_var]`; method: `inject`).
#[proc_macro_attribute]
pub fn current_source_model(args: TokenStream, input: TokenStream) -> TokenStream {
    model::expand(ModelKind::CurrentSource, args.into(), input.into()).into()
}

/// Defines a weight-update model (fields: `#[param]`, `#[derived(expr)]`,
/// `#[var]` per synapse, `#[egp]`; method: `on_pre_spike`).
#[proc_macro_attribute]
pub fn weight_update_model(args: TokenStream, input: TokenStream) -> TokenStream {
    model::expand(ModelKind::WeightUpdate, args.into(), input.into()).into()
}

/// Defines a variable-initialisation snippet (fields: `#[param]`,
/// `#[derived(expr)]`; method: `fn init(&self, env: &mut InitEnv) -> Scalar`).
#[proc_macro_attribute]
pub fn var_init_snippet(args: TokenStream, input: TokenStream) -> TokenStream {
    model::expand(ModelKind::VarInit, args.into(), input.into()).into()
}

/// Defines a connectivity snippet (fields: `#[param]`, `#[derived(expr)]`;
/// method: `fn row_build(&self, env: &mut RowBuildEnv)` calling
/// `env.add_synapse(j)` for each target of row `env.id_pre()`). The required
/// option `max_row_length = expr` bounds the row length, from the parameters
/// by name and `num_pre`, `num_post` (`u32`).
#[proc_macro_attribute]
pub fn connectivity_snippet(args: TokenStream, input: TokenStream) -> TokenStream {
    model::expand(ModelKind::Connectivity, args.into(), input.into()).into()
}
