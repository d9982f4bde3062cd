//! The checkpoint format: exact round trips (hand-built and random
//! states, NaN bits), a golden encoding, every truncation and every
//! single-byte flip rejected with a typed error, crafted payloads, random
//! bytes that never panic, and atomic saves.

use proptest::prelude::*;
use snn_core::connectivity::SparseConnectivity;
use snn_core::real::Precision;
use snn_core::sim::RecordedVar;
use snn_core::state::{
    CurrentSourceState, PopulationState, PostsynapticState, SimState, SpikeRecordingState,
    SynapseGroupState,
};
use snn_core::var::VarArray;
use snn_io::{
    decode_checkpoint, encode_checkpoint, load_checkpoint, save_checkpoint, IoError,
    CHECKPOINT_MAGIC, CHECKPOINT_VERSION,
};
use std::path::{Path, PathBuf};

/// A fresh directory for one test.
fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("snn_ckpt_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn empty(precision: Precision) -> SimState {
    SimState {
        step: 0,
        dt: 0.1,
        seed: 1,
        precision,
        populations: vec![],
        synapse_groups: vec![],
        postsynaptic_targets: vec![],
        current_sources: vec![],
        var_recordings: vec![],
    }
}

/// A state with every `VarArray` variant, `Some` and `None` options and
/// empty vectors, in precision `p`.
fn sample(p: Precision) -> SimState {
    let real = |xs: &[f64]| match p {
        Precision::F32 => VarArray::F32(xs.iter().map(|&x| x as f32).collect()),
        Precision::F64 => VarArray::F64(xs.to_vec()),
    };
    SimState {
        step: 123_456_789_012,
        dt: 0.1,
        seed: u64::MAX - 3,
        precision: p,
        populations: vec![
            PopulationState {
                name: "Exc ünïcødé".to_string(),
                vars: vec![
                    real(&[-65.0, -64.5, f64::INFINITY, -0.0]),
                    VarArray::I32(vec![i32::MIN, -1, 0, i32::MAX]),
                    VarArray::U32(vec![0, 1, 2, u32::MAX]),
                    VarArray::Bool(vec![true, false, false, true]),
                ],
                egps: vec![vec![1.5, 2.5], vec![]],
                spike_times: Some([real(&[1.0, -1e30, 3.0, 4.0]), real(&[0.5, -1e30, 2.0, 3.5])]),
                recent_spikes: vec![vec![0, 3], vec![], vec![2]],
                recording: Some(SpikeRecordingState {
                    on: true,
                    steps: vec![5, 5, 9],
                    ids: vec![0, 3, 2],
                }),
            },
            PopulationState {
                name: String::new(),
                vars: vec![],
                egps: vec![],
                spike_times: None,
                recent_spikes: vec![],
                recording: None,
            },
            PopulationState {
                name: "Off".to_string(),
                vars: vec![VarArray::U8(vec![]), VarArray::U16(vec![])],
                egps: vec![],
                spike_times: None,
                recent_spikes: vec![vec![]],
                recording: Some(SpikeRecordingState::default()),
            },
        ],
        synapse_groups: vec![
            SynapseGroupState {
                name: "EE".to_string(),
                connectivity: SparseConnectivity {
                    num_pre: 2,
                    num_post: 4,
                    row_ptr: vec![0, 2, 3],
                    ind: vec![1, 3, 0],
                },
                wu_vars: vec![
                    real(&[0.1, 0.2, 0.3]),
                    VarArray::I64(vec![i64::MIN, 0, i64::MAX]),
                    VarArray::U64(vec![0, 7, u64::MAX]),
                ],
                pre_vars: vec![VarArray::U8(vec![0, 255])],
                post_vars: vec![VarArray::U16(vec![0, 1, 65535, 42])],
                egps: vec![vec![f64::MAX, f64::MIN_POSITIVE]],
                event_times: Some([VarArray::F64(vec![1.0, 2.0]), VarArray::F32(vec![])]),
                recent_events: vec![vec![1], vec![0, 1]],
            },
            SynapseGroupState {
                name: "empty".to_string(),
                connectivity: SparseConnectivity {
                    num_pre: 0,
                    num_post: 0,
                    row_ptr: vec![0],
                    ind: vec![],
                },
                wu_vars: vec![],
                pre_vars: vec![],
                post_vars: vec![],
                egps: vec![],
                event_times: None,
                recent_events: vec![],
            },
        ],
        postsynaptic_targets: vec![
            PostsynapticState {
                vars: vec![real(&[0.0, 1.0, 2.0, 3.0])],
                ring: real(&[0.0; 8]),
            },
            PostsynapticState {
                vars: vec![],
                ring: real(&[]),
            },
        ],
        current_sources: vec![CurrentSourceState {
            name: "DC".to_string(),
            vars: vec![VarArray::F64(vec![0.25])],
            egps: vec![vec![], vec![3.0]],
        }],
        var_recordings: vec![
            RecordedVar {
                times: vec![0.1, 0.2],
                neurons: vec![0, 3],
                values: vec![-65.0, -64.0, -63.0, -62.0],
            },
            RecordedVar::default(),
        ],
    }
}

/// Frames `payload` as a checkpoint file of `version` with a valid
/// checksum.
fn frame(version: u32, payload: &[u8]) -> Vec<u8> {
    let mut b = CHECKPOINT_MAGIC.to_vec();
    b.extend_from_slice(&version.to_le_bytes());
    b.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    b.extend_from_slice(payload);
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

/// The payload of a valid encoding.
fn payload(bytes: &[u8]) -> &[u8] {
    &bytes[20..bytes.len() - 4]
}

#[test]
fn round_trip_every_variant_f32_and_f64() {
    for p in [Precision::F32, Precision::F64] {
        let s = sample(p);
        let bytes = encode_checkpoint(&s);
        assert_eq!(decode_checkpoint(&bytes).unwrap(), s, "{p:?}");
        // Deterministic: the same state, the same bytes.
        assert_eq!(encode_checkpoint(&s), bytes);
    }
    let e = empty(Precision::F64);
    assert_eq!(decode_checkpoint(&encode_checkpoint(&e)).unwrap(), e);
}

#[test]
fn nan_and_special_float_bits_survive() {
    let f32s = [
        f32::NAN,
        f32::from_bits(0x7fc0_1234),
        f32::from_bits(0xffa0_0001), // negative signalling NaN
        -0.0,
        f32::NEG_INFINITY,
        f32::from_bits(1), // smallest subnormal
    ];
    let f64s = [
        f64::NAN,
        f64::from_bits(0x7ff8_dead_beef_0001),
        f64::from_bits(0xfff0_0000_0000_0001),
        -0.0,
        f64::INFINITY,
        f64::from_bits(1),
    ];
    let mut s = empty(Precision::F32);
    s.dt = f64::from_bits(0x7ff8_0000_0000_0042);
    s.current_sources.push(CurrentSourceState {
        name: "nan".to_string(),
        vars: vec![VarArray::F32(f32s.to_vec()), VarArray::F64(f64s.to_vec())],
        egps: vec![f64s.to_vec()],
    });
    s.var_recordings.push(RecordedVar {
        times: f64s.to_vec(),
        neurons: vec![0],
        values: f64s.to_vec(),
    });
    let bytes = encode_checkpoint(&s);
    let back = decode_checkpoint(&bytes).unwrap();
    assert_eq!(back.dt.to_bits(), s.dt.to_bits());
    let cs = &back.current_sources[0];
    match (&cs.vars[0], &cs.vars[1]) {
        (VarArray::F32(a), VarArray::F64(b)) => {
            let bits32: Vec<u32> = a.iter().map(|x| x.to_bits()).collect();
            let bits64: Vec<u64> = b.iter().map(|x| x.to_bits()).collect();
            assert_eq!(bits32, f32s.map(f32::to_bits).to_vec());
            assert_eq!(bits64, f64s.map(f64::to_bits).to_vec());
        }
        other => panic!("wrong variants {other:?}"),
    }
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&cs.egps[0]), bits(&f64s));
    assert_eq!(bits(&back.var_recordings[0].values), bits(&f64s));
    assert_eq!(encode_checkpoint(&back), bytes);
}

/// The exact bytes of a small state: the format is little-endian whatever
/// the machine, and changes to it are deliberate (bump the version).
#[test]
fn golden_encoding() {
    let mut s = empty(Precision::F64);
    s.step = 0x0102_0304_0506_0708;
    s.dt = 0.5;
    s.seed = 7;
    s.populations.push(PopulationState {
        name: "P".to_string(),
        vars: vec![VarArray::U16(vec![0x0a0b])],
        egps: vec![],
        spike_times: None,
        recent_spikes: vec![],
        recording: None,
    });
    let mut expected_payload: Vec<u8> = vec![];
    expected_payload.extend([8, 7, 6, 5, 4, 3, 2, 1]); // step
    expected_payload.extend([0, 0, 0, 0, 0, 0, 0xe0, 0x3f]); // dt = 0.5
    expected_payload.extend([7, 0, 0, 0, 0, 0, 0, 0]); // seed
    expected_payload.push(1); // F64
    expected_payload.extend([1, 0, 0, 0, 0, 0, 0, 0]); // 1 population
    expected_payload.extend([1, 0, 0, 0, b'P']); // name
    expected_payload.extend([1, 0, 0, 0, 0, 0, 0, 0]); // 1 var
    expected_payload.extend([7, 1, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0x0a]); // U16 [0x0a0b]
    expected_payload.extend([0; 8]); // egps
    expected_payload.push(0); // spike_times: None
    expected_payload.extend([0; 8]); // recent_spikes
    expected_payload.push(0); // recording: None
    for _ in 0..4 {
        expected_payload.extend([0; 8]); // groups, targets, sources, recordings
    }
    let bytes = encode_checkpoint(&s);
    assert_eq!(&bytes[..8], b"SNNCKPT\0");
    assert_eq!(&bytes[8..12], &[1, 0, 0, 0]);
    assert_eq!(
        &bytes[12..20],
        &(expected_payload.len() as u64).to_le_bytes()
    );
    assert_eq!(payload(&bytes), &expected_payload[..]);
    assert_eq!(bytes, frame(1, &expected_payload));
    assert_eq!(CHECKPOINT_VERSION, 1);
}

fn is_truncated_or_not_checkpoint(e: &IoError) -> bool {
    matches!(
        e,
        IoError::Truncated { .. } | IoError::NotACheckpoint { .. }
    )
}

#[test]
fn every_truncation_is_rejected() {
    let bytes = encode_checkpoint(&sample(Precision::F32));
    for n in 0..bytes.len() {
        let e = decode_checkpoint(&bytes[..n]).unwrap_err();
        assert!(matches!(e, IoError::Truncated { .. }), "prefix {n}: {e:?}");
        let msg = e.to_string();
        assert!(msg.contains("truncated"), "{msg}");
        if n >= 20 {
            assert!(
                msg.contains(&bytes.len().to_string()) && msg.contains(&n.to_string()),
                "prefix {n}: {msg}"
            );
        }
    }
}

#[test]
fn truncations_of_a_big_state_are_rejected() {
    let mut s = sample(Precision::F64);
    s.synapse_groups[0].connectivity.ind = (0..100_000).collect();
    s.synapse_groups[0].wu_vars = vec![VarArray::F64(vec![0.5; 100_000])];
    let bytes = encode_checkpoint(&s);
    assert_eq!(decode_checkpoint(&bytes).unwrap(), s);
    for n in (0..bytes.len())
        .step_by(997)
        .chain(bytes.len() - 64..bytes.len())
    {
        let e = decode_checkpoint(&bytes[..n]).unwrap_err();
        assert!(is_truncated_or_not_checkpoint(&e), "prefix {n}: {e:?}");
    }
}

#[test]
fn every_single_byte_flip_is_rejected() {
    let bytes = encode_checkpoint(&sample(Precision::F64));
    for k in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[k] ^= mask;
            let e = decode_checkpoint(&b).unwrap_err();
            let ok = match k {
                0..=7 => matches!(e, IoError::NotACheckpoint { .. }),
                8..=11 => matches!(e, IoError::UnsupportedVersion { .. }),
                12..=19 => matches!(
                    e,
                    IoError::Truncated { .. } | IoError::ChecksumMismatch { .. }
                ),
                _ => matches!(e, IoError::ChecksumMismatch { .. }),
            };
            assert!(ok, "byte {k} ^ {mask:#x}: {e:?}");
        }
    }
}

#[test]
fn future_version_is_unsupported_before_the_checksum_is_checked() {
    let mut bytes = encode_checkpoint(&sample(Precision::F32));
    bytes[8..12].copy_from_slice(&7u32.to_le_bytes());
    // The checksum no longer matches either: the version error wins.
    let e = decode_checkpoint(&bytes).unwrap_err();
    match &e {
        IoError::UnsupportedVersion {
            path,
            found,
            supported,
        } => {
            assert_eq!((path, *found, *supported), (&None, 7, CHECKPOINT_VERSION));
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("version 7") && msg.contains("reads version 1") && msg.contains("newer"),
        "{msg}"
    );
    // A consistent file of a future version, too.
    let e = decode_checkpoint(&frame(2, b"whatever")).unwrap_err();
    assert!(
        matches!(e, IoError::UnsupportedVersion { found: 2, .. }),
        "{e:?}"
    );
    // Version 0 (never written): no "newer" hint.
    let msg = decode_checkpoint(&frame(0, b"")).unwrap_err().to_string();
    assert!(msg.contains("version 0") && !msg.contains("newer"), "{msg}");
}

#[test]
fn bad_magic_is_not_a_checkpoint() {
    for bytes in [
        &b"PK\x03\x04 this is a zip"[..],
        b"\x93NUMPY",
        b"X",
        b"SNNCKPT\x01\x01\0\0\0",
    ] {
        let e = decode_checkpoint(bytes).unwrap_err();
        assert!(matches!(e, IoError::NotACheckpoint { .. }), "{e:?}");
        assert!(e.to_string().contains("not an snn checkpoint"), "{e}");
    }
    let e = decode_checkpoint(b"\x93NUMPY\x01\x00").unwrap_err();
    assert!(e.to_string().contains("\\x93NUMPY\\x01\\x00"), "{e}");
    // A prefix of the magic (an interrupted write): truncated.
    let e = decode_checkpoint(b"SNNC").unwrap_err();
    assert!(
        matches!(
            e,
            IoError::Truncated {
                expected: 20,
                found: 4,
                ..
            }
        ),
        "{e:?}"
    );
    let e = decode_checkpoint(b"").unwrap_err();
    assert!(matches!(e, IoError::Truncated { found: 0, .. }), "{e:?}");
}

#[test]
fn checksum_mismatch_names_both_values() {
    let mut bytes = encode_checkpoint(&sample(Precision::F32));
    let k = bytes.len() / 2;
    bytes[k] ^= 0x10;
    let n = bytes.len();
    let stored = u32::from_le_bytes(bytes[n - 4..].try_into().unwrap());
    let computed = crc32fast::hash(&bytes[..n - 4]);
    let e = decode_checkpoint(&bytes).unwrap_err();
    match &e {
        IoError::ChecksumMismatch {
            stored: s,
            computed: c,
            ..
        } => assert_eq!((*s, *c), (stored, computed)),
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("{stored:#010x}")) && msg.contains(&format!("{computed:#010x}")),
        "{msg}"
    );
}

/// Replaces the first occurrence of `from` in `payload` by `to`.
fn patch(payload: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let k = payload
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern in payload");
    let mut p = payload[..k].to_vec();
    p.extend_from_slice(to);
    p.extend_from_slice(&payload[k + from.len()..]);
    p
}

fn corrupt_parts(e: &IoError) -> (&str, &str) {
    match e {
        IoError::Corrupt { what, reason, .. } => (what, reason),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn crafted_payloads_with_valid_checksums_are_corrupt() {
    let s = sample(Precision::F32);
    let bytes = encode_checkpoint(&s);
    let p = payload(&bytes);

    // Invalid UTF-8 in a name.
    let bad = patch(p, b"EE", b"E\xff");
    let e = decode_checkpoint(&frame(1, &bad)).unwrap_err();
    let (what, reason) = corrupt_parts(&e);
    assert!(
        what.contains("synapse_groups[0]") && what.contains("name"),
        "{what}"
    );
    assert!(reason.contains("invalid UTF-8"), "{reason}");

    // Unknown VarArray type tag: the first var of population 0 (F32, tag 0).
    let name = "Exc ünïcødé".as_bytes();
    let mut from = name.to_vec();
    from.extend([4, 0, 0, 0, 0, 0, 0, 0, 0]); // 4 vars, then tag 0
    let mut to = name.to_vec();
    to.extend([4, 0, 0, 0, 0, 0, 0, 0, 9]);
    let e = decode_checkpoint(&frame(1, &patch(p, &from, &to))).unwrap_err();
    let (what, reason) = corrupt_parts(&e);
    assert!(
        what.contains("populations[0] `Exc ünïcødé`, vars[0]"),
        "{what}"
    );
    assert!(reason.contains("unknown variable type tag 9"), "{reason}");
    assert!(e.to_string().contains("corrupt checkpoint"), "{e}");

    // Precision tag 2.
    let mut bad = p.to_vec();
    bad[24] = 2;
    let e = decode_checkpoint(&frame(1, &bad)).unwrap_err();
    let (what, reason) = corrupt_parts(&e);
    assert_eq!(what, "precision");
    assert!(reason.contains("unknown tag 2"), "{reason}");

    // Bool value 2 in a Bool array.
    let e = decode_checkpoint(&frame(
        1,
        &patch(
            p,
            &[8, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1],
            &[8, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 1],
        ),
    ))
    .unwrap_err();
    let (what, reason) = corrupt_parts(&e);
    assert!(what.contains("vars[3]"), "{what}");
    assert!(reason.contains("bool value 2 is 2"), "{reason}");

    // Option tag 5 (population 1's spike_times, after name "" and two
    // empty vectors).
    let mut e1 = empty(Precision::F32);
    e1.populations.push(s.populations[1].clone());
    let b1 = encode_checkpoint(&e1);
    let mut bad = payload(&b1).to_vec();
    let k = 25 + 8 + 4 + 8 + 8;
    assert_eq!(bad[k], 0);
    bad[k] = 5;
    let e = decode_checkpoint(&frame(1, &bad)).unwrap_err();
    let (what, reason) = corrupt_parts(&e);
    assert_eq!(what, "populations[0] ``, spike_times");
    assert!(reason.contains("unknown tag 5"), "{reason}");

    // Bytes left after the state.
    let mut bad = p.to_vec();
    bad.extend([0, 0, 0]);
    let e = decode_checkpoint(&frame(1, &bad)).unwrap_err();
    let (what, reason) = corrupt_parts(&e);
    assert_eq!(what, "payload");
    assert!(reason.contains("3 bytes left over"), "{reason}");

    // Bytes after the checksum.
    let mut bad = bytes.clone();
    bad.extend([1, 2]);
    let e = decode_checkpoint(&bad).unwrap_err();
    let (what, reason) = corrupt_parts(&e);
    assert_eq!(what, "file");
    assert!(reason.contains("2 bytes after the checksum"), "{reason}");
}

#[test]
fn absurd_lengths_in_the_payload_are_truncated_without_allocating() {
    let s = sample(Precision::F64);
    let bytes = encode_checkpoint(&s);
    let p = payload(&bytes);
    // connectivity.ind of group "EE": 3 elements -> u64::MAX elements.
    let from = [3u8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0];
    let mut to = u64::MAX.to_le_bytes().to_vec();
    to.extend(&from[8..]);
    let e = decode_checkpoint(&frame(1, &patch(p, &from, &to))).unwrap_err();
    match &e {
        IoError::Truncated {
            what,
            expected,
            found,
            ..
        } => {
            assert!(
                what.contains("synapse_groups[0] `EE`, connectivity.ind")
                    && what.contains(&format!("{} elements", u64::MAX)),
                "{what}"
            );
            assert_eq!(*expected, u64::MAX);
            assert!(*found < p.len() as u64);
        }
        other => panic!("{other:?}"),
    }
    // A population count of 2^62.
    let mut bad = p.to_vec();
    bad[25..33].copy_from_slice(&(1u64 << 62).to_le_bytes());
    let e = decode_checkpoint(&frame(1, &bad)).unwrap_err();
    assert!(
        matches!(&e, IoError::Truncated { what, .. } if what.starts_with("populations")),
        "{e:?}"
    );
    // A name length of 4 GiB - 1.
    let mut bad = p.to_vec();
    bad[33..37].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = decode_checkpoint(&frame(1, &bad)).unwrap_err();
    assert!(
        matches!(&e, IoError::Truncated { what, expected, .. }
            if what == "populations[0], name" && *expected == u32::MAX as u64),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("needs {} bytes", u32::MAX)) && msg.contains("checksum matches"),
        "{msg}"
    );
    // A payload length of u64::MAX in the header.
    let mut bad = bytes.clone();
    bad[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
    let e = decode_checkpoint(&bad).unwrap_err();
    assert!(
        matches!(
            e,
            IoError::Truncated {
                expected: u64::MAX,
                ..
            }
        ),
        "{e:?}"
    );
}

fn arb_vec<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(s, 0..5)
}

fn arb_var() -> impl Strategy<Value = VarArray> {
    prop_oneof![
        arb_vec(any::<f32>()).prop_map(VarArray::F32),
        arb_vec(any::<f64>()).prop_map(VarArray::F64),
        arb_vec(any::<i32>()).prop_map(VarArray::I32),
        arb_vec(any::<u32>()).prop_map(VarArray::U32),
        arb_vec(any::<i64>()).prop_map(VarArray::I64),
        arb_vec(any::<u64>()).prop_map(VarArray::U64),
        arb_vec(any::<u8>()).prop_map(VarArray::U8),
        arb_vec(any::<u16>()).prop_map(VarArray::U16),
        arb_vec(any::<bool>()).prop_map(VarArray::Bool),
    ]
}

fn arb_times() -> impl Strategy<Value = Option<[VarArray; 2]>> {
    prop::option::of((arb_var(), arb_var()).prop_map(|(a, b)| [a, b]))
}

fn arb_state() -> impl Strategy<Value = SimState> {
    let pop = (
        ".{0,8}",
        arb_vec(arb_var()),
        arb_vec(arb_vec(any::<f64>())),
        arb_times(),
        arb_vec(arb_vec(any::<u32>())),
        prop::option::of(
            (any::<bool>(), arb_vec(any::<u64>()), arb_vec(any::<u32>()))
                .prop_map(|(on, steps, ids)| SpikeRecordingState { on, steps, ids }),
        ),
    )
        .prop_map(
            |(name, vars, egps, spike_times, recent_spikes, recording)| PopulationState {
                name,
                vars,
                egps,
                spike_times,
                recent_spikes,
                recording,
            },
        );
    let conn = (
        any::<u32>(),
        any::<u32>(),
        arb_vec(any::<u64>()),
        arb_vec(any::<u32>()),
    )
        .prop_map(|(num_pre, num_post, row_ptr, ind)| SparseConnectivity {
            num_pre,
            num_post,
            row_ptr,
            ind,
        });
    let group = (
        ".{0,8}",
        conn,
        arb_vec(arb_var()),
        arb_vec(arb_var()),
        arb_vec(arb_var()),
        arb_vec(arb_vec(any::<f64>())),
        arb_times(),
        arb_vec(arb_vec(any::<u32>())),
    )
        .prop_map(
            |(
                name,
                connectivity,
                wu_vars,
                pre_vars,
                post_vars,
                egps,
                event_times,
                recent_events,
            )| {
                SynapseGroupState {
                    name,
                    connectivity,
                    wu_vars,
                    pre_vars,
                    post_vars,
                    egps,
                    event_times,
                    recent_events,
                }
            },
        );
    let target =
        (arb_vec(arb_var()), arb_var()).prop_map(|(vars, ring)| PostsynapticState { vars, ring });
    let source = (".{0,8}", arb_vec(arb_var()), arb_vec(arb_vec(any::<f64>())))
        .prop_map(|(name, vars, egps)| CurrentSourceState { name, vars, egps });
    let rec = (
        arb_vec(any::<f64>()),
        arb_vec(any::<u32>()),
        arb_vec(any::<f64>()),
    )
        .prop_map(|(times, neurons, values)| RecordedVar {
            times,
            neurons,
            values,
        });
    (
        (any::<u64>(), any::<f64>(), any::<u64>(), any::<bool>()),
        prop::collection::vec(pop, 0..3),
        prop::collection::vec(group, 0..3),
        prop::collection::vec(target, 0..3),
        prop::collection::vec(source, 0..3),
        prop::collection::vec(rec, 0..3),
    )
        .prop_map(
            |((step, dt, seed, f64p), populations, synapse_groups, targets, sources, recs)| {
                SimState {
                    step,
                    dt,
                    seed,
                    precision: if f64p { Precision::F64 } else { Precision::F32 },
                    populations,
                    synapse_groups,
                    postsynaptic_targets: targets,
                    current_sources: sources,
                    var_recordings: recs,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random states round-trip exactly: bit for bit always, and equal
    /// where no NaN makes `==` fail.
    #[test]
    fn random_states_round_trip(s in arb_state()) {
        let bytes = encode_checkpoint(&s);
        let back = decode_checkpoint(&bytes).unwrap();
        prop_assert_eq!(encode_checkpoint(&back), bytes);
        // `s == s` fails only with a NaN somewhere.
        if s.clone() == s {
            prop_assert_eq!(back, s);
        }
    }

    /// Random bytes never panic, with or without a valid header.
    #[test]
    fn random_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..200)) {
        prop_assert!(decode_checkpoint(&b).is_err());
        let mut h = CHECKPOINT_MAGIC.to_vec();
        h.extend_from_slice(&b);
        let _ = decode_checkpoint(&h);
    }

    /// Random payloads with a valid frame reach the payload decoder, which
    /// never panics.
    #[test]
    fn random_framed_payloads_never_panic(b in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_checkpoint(&frame(CHECKPOINT_VERSION, &b));
    }

    /// Small random edits of a valid payload (with a fixed-up checksum)
    /// decode or fail cleanly.
    #[test]
    fn mutated_payloads_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = encode_checkpoint(&sample(Precision::F32));
        let mut p = payload(&bytes).to_vec();
        for (i, v) in edits {
            let k = i.index(p.len());
            p[k] = v;
        }
        let _ = decode_checkpoint(&frame(1, &p));
        let _ = decode_checkpoint(&frame(1, &p[..cut.index(p.len())]));
    }
}

fn read_dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn save_and_load_create_the_directory() {
    let dir = tmp("create");
    let path = dir.join("a/b/state.snnckpt");
    let s = sample(Precision::F64);
    save_checkpoint(&path, &s).unwrap();
    assert_eq!(load_checkpoint(&path).unwrap(), s);
    assert_eq!(std::fs::read(&path).unwrap(), encode_checkpoint(&s));
    // Overwrite with another state.
    let s2 = sample(Precision::F32);
    save_checkpoint(&path, &s2).unwrap();
    assert_eq!(load_checkpoint(&path).unwrap(), s2);
    // No temporary files left behind.
    assert_eq!(read_dir_names(&dir.join("a/b")), ["state.snnckpt"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn large_arrays_stream_to_the_same_bytes() {
    // Arrays longer than the writer's 4096-element chunks.
    let dir = tmp("large");
    let path = dir.join("big.snnckpt");
    let mut s = sample(Precision::F32);
    s.var_recordings.push(snn_core::sim::RecordedVar {
        times: (0..10_001).map(|i| i as f64 * 0.5).collect(),
        neurons: (0..3).collect(),
        values: (0..30_003).map(|i| (i as f64).sin()).collect(),
    });
    save_checkpoint(&path, &s).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), encode_checkpoint(&s));
    assert_eq!(load_checkpoint(&path).unwrap(), s);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_crash_mid_write_keeps_the_previous_checkpoint() {
    let dir = tmp("crash");
    let path = dir.join("state.snnckpt");
    let a = sample(Precision::F32);
    save_checkpoint(&path, &a).unwrap();
    // A save of B killed mid-write leaves a partial temporary file.
    let b = sample(Precision::F64);
    let partial = &encode_checkpoint(&b)[..100];
    std::fs::write(dir.join("state.snnckpt.tmp-99999-0"), partial).unwrap();
    assert_eq!(load_checkpoint(&path).unwrap(), a);
    // The next save succeeds regardless.
    save_checkpoint(&path, &b).unwrap();
    assert_eq!(load_checkpoint(&path).unwrap(), b);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_save_changes_nothing_and_cleans_up() {
    let dir = tmp("fail");
    let path = dir.join("state.snnckpt");
    let a = sample(Precision::F32);
    save_checkpoint(&path, &a).unwrap();
    // The rename target is a directory: the save fails at the rename.
    let target = dir.join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), b"keep").unwrap();
    let e = save_checkpoint(&target, &sample(Precision::F64)).unwrap_err();
    match &e {
        IoError::Io { path, .. } => assert_eq!(path, &target),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("taken"), "{e}");
    // The temporary file is gone, the directory and the other checkpoint
    // are untouched.
    assert_eq!(read_dir_names(&dir), ["state.snnckpt", "taken"]);
    assert_eq!(read_dir_names(&target), ["inside"]);
    assert_eq!(load_checkpoint(&path).unwrap(), a);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_truncated_checkpoint_file_is_rejected_naming_the_file() {
    let dir = tmp("truncated");
    let path = dir.join("cut.snnckpt");
    let bytes = encode_checkpoint(&sample(Precision::F32));
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let e = load_checkpoint(&path).unwrap_err();
    match &e {
        IoError::Truncated {
            path: p,
            expected,
            found,
            ..
        } => {
            assert_eq!(p.as_deref(), Some(path.as_path()));
            assert_eq!(
                (*expected, *found),
                (bytes.len() as u64, bytes.len() as u64 / 2)
            );
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{}: ", path.display()))
            && msg.contains("truncated")
            && msg.contains("interrupted")
            && msg.contains("previous checkpoint"),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn load_errors_name_the_file() {
    let dir = tmp("names");
    let check = |name: &str, bytes: &[u8], expect: &dyn Fn(&IoError) -> bool, needle: &str| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let e = load_checkpoint(&path).unwrap_err();
        assert!(expect(&e), "{name}: {e:?}");
        let msg = e.to_string();
        assert!(
            msg.starts_with(&path.display().to_string()) && msg.contains(needle),
            "{msg}"
        );
    };
    let good = encode_checkpoint(&sample(Precision::F64));
    check(
        "spikes.npz",
        b"PK\x03\x04....",
        &|e| matches!(e, IoError::NotACheckpoint { path: Some(_), .. }),
        "not an snn checkpoint",
    );
    let mut future = good.clone();
    future[8] = 3;
    check(
        "future.snnckpt",
        &future,
        &|e| {
            matches!(
                e,
                IoError::UnsupportedVersion {
                    found: 3,
                    supported: 1,
                    path: Some(_)
                }
            )
        },
        "version 3",
    );
    let mut flipped = good.clone();
    flipped[40] ^= 4;
    check(
        "flipped.snnckpt",
        &flipped,
        &|e| matches!(e, IoError::ChecksumMismatch { path: Some(_), .. }),
        "checksum mismatch",
    );
    let mut p = payload(&good).to_vec();
    p.push(0);
    check(
        "trailing.snnckpt",
        &frame(1, &p),
        &|e| matches!(e, IoError::Corrupt { path: Some(_), .. }),
        "1 bytes left over",
    );
    // A missing file: an I/O error naming it.
    let missing = dir.join("missing.snnckpt");
    let e = load_checkpoint(&missing).unwrap_err();
    assert!(matches!(e, IoError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("missing.snnckpt"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The fuzz targets' seed corpora are current: `checkpoint_decode/seed`
/// is the encoding of [`sample`], `checkpoint_payload/seed` its payload
/// (see fuzz/README.md). Regenerate them after a format change with
/// `SNN_WRITE_FUZZ_SEED=1 cargo test -p snn-io --test checkpoint fuzz_seed`.
#[test]
fn fuzz_seeds_are_current_encodings() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let bytes = encode_checkpoint(&sample(Precision::F32));
    let seeds = [
        (corpus.join("checkpoint_decode/seed"), &bytes[..]),
        (corpus.join("checkpoint_payload/seed"), payload(&bytes)),
    ];
    for (path, expected) in seeds {
        if std::env::var_os("SNN_WRITE_FUZZ_SEED").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, expected).unwrap();
        }
        if !path.exists() {
            continue; // a packaged crate without the repository around it
        }
        assert!(
            std::fs::read(&path).unwrap() == expected,
            "stale {}: regenerate it with SNN_WRITE_FUZZ_SEED=1",
            path.display()
        );
    }
}
