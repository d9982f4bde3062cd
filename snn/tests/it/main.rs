//! Integration tests of the facade crate: one test binary, one module per
//! topic (linking one binary instead of one per file keeps the suite fast).

// The examples' model files each include the examples' shared statistics
// (`examples/common/stats.rs`), as each example is a crate of its own; the
// tests that include two of those models load it twice.
#![allow(clippy::duplicate_mod)]

mod common;

mod adex_patterns;
mod backends_agree;
mod bad_input;
mod bad_input_runtime;
mod balanced_adex;
mod checkpoint;
mod checkpoint_layouts;
mod cobahh;
mod compile_errors;
mod determinism;
mod examples_cli;
mod graph_replay;
mod hh_integrators;
mod hh_reference;
mod izhikevich_patterns;
mod kernel_compile;
mod lif_closed_form;
mod microcircuit;
mod model_library;
mod pavlovian;
mod plasticity;
mod ports;
mod recording;
mod snippets;
mod static_synapse;
mod synapse_semantics;
mod timing;
mod vector_path;
