//! Frames arbitrary bytes as a checkpoint payload (valid magic, version,
//! length and CRC-32), so that every input reaches the payload decoder,
//! which the checksum shields from `checkpoint_decode`'s random bytes.
//! Must never panic; what decodes must re-encode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    let mut file = snn_io::CHECKPOINT_MAGIC.to_vec();
    file.extend_from_slice(&snn_io::CHECKPOINT_VERSION.to_le_bytes());
    file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    file.extend_from_slice(payload);
    let crc = crc32fast::hash(&file);
    file.extend_from_slice(&crc.to_le_bytes());
    if let Ok(state) = snn_io::decode_checkpoint(&file) {
        assert_eq!(
            snn_io::encode_checkpoint(&state),
            file,
            "decode then encode changed the bytes"
        );
    }
});
