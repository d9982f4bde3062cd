//! Integration tests of the GPU runtime: one test binary, one module per topic
//! (linking one binary instead of one per file keeps the suite fast).

mod clock;
mod init_kernels;
mod math;
mod runtime_errors;
