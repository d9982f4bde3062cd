//! Decodes arbitrary bytes as a checkpoint: must never panic, and what
//! decodes must re-encode to the same bytes (the encoding is canonical).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = snn_io::decode_checkpoint(data) {
        let bytes = snn_io::encode_checkpoint(&state);
        assert_eq!(bytes, data, "decode then encode changed the bytes");
        let again = snn_io::decode_checkpoint(&bytes).expect("a fresh encoding decodes");
        // Compare bit for bit: NaN != NaN would fail a `==` check.
        assert_eq!(snn_io::encode_checkpoint(&again), bytes);
    }
});
