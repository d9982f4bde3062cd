//! Integration tests of the CUDA host: one test binary, one module per topic
//! (linking one binary instead of one per file keeps the suite fast).

mod gpu;
mod nvrtc;
