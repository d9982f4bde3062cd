//! Integration tests of snn-io: one test binary, one module per topic
//! (linking one binary instead of one per file keeps the suite fast).

mod checkpoint;
mod roundtrip;
