//! Integration tests of kernel generation: one test binary, one module per topic
//! (linking one binary instead of one per file keeps the suite fast).

mod common;
mod models;

mod compile_builtins;
mod execution;
mod literals;
mod opencl_syntax;
mod printer;
mod rng_c;
