//! Everything saved is read back exactly (npy, npz, CSV; spikes and
//! recorded variables), property-tested over arbitrary records; bad files
//! and inconsistent data give typed errors naming the file and the problem.

use proptest::prelude::*;
use snn_core::recording::SpikeRecord;
use snn_core::sim::RecordedVar;
use snn_io::*;
use std::path::PathBuf;

/// A fresh directory for one test.
fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("snn_io_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn spikes(n: usize, seed: u64) -> SpikeRecord {
    let mut times = Vec::new();
    let mut ids = Vec::new();
    let mut t = 0.0;
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    for _ in 0..n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        t += (x >> 60) as f64 * 0.1;
        times.push(t);
        ids.push((x >> 33) as u32);
    }
    SpikeRecord { times, ids }
}

fn var() -> RecordedVar {
    RecordedVar {
        times: vec![0.1, 0.2, 0.30000000000000004],
        neurons: vec![0, 5],
        values: vec![-65.0, -64.5, f64::MIN_POSITIVE, 1e300, -0.0, 1.0 / 3.0],
    }
}

#[test]
fn spikes_npy_roundtrip_and_numpy_header() {
    let d = tmp("npy");
    let s = spikes(1000, 1);
    save_spikes_npy(&d, "L23E", &s).unwrap();
    assert_eq!(load_spikes_npy(&d, "L23E").unwrap(), s);
    let bytes = std::fs::read(d.join("spikes_L23E_times.npy")).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY", "not an .npy file");
    let header = String::from_utf8_lossy(&bytes[10..80]).replace(' ', "");
    assert!(
        header.contains("'descr':'<f8'") && header.contains("(1000,)"),
        "{header}"
    );
    let ids = std::fs::read(d.join("spikes_L23E_ids.npy")).unwrap();
    let header = String::from_utf8_lossy(&ids[10..80]).replace(' ', "");
    assert!(header.contains("'descr':'<u4'"), "{header}");
}

#[test]
fn spikes_npz_and_csv_roundtrip_several_populations() {
    let d = tmp("multi");
    let (a, b, empty) = (spikes(300, 2), spikes(7, 3), SpikeRecord::default());
    // Names with the separators of both formats.
    let pops = [("E.1", &a), ("I, fast \"PV\"", &b), ("silent", &empty)];
    let npz = d.join("spikes.npz");
    save_spikes_npz(&npz, &pops).unwrap();
    let back = load_spikes_npz(&npz).unwrap();
    let want: Vec<(String, SpikeRecord)> = pops
        .iter()
        .map(|(n, s)| (n.to_string(), (*s).clone()))
        .collect();
    assert_eq!(back, want);
    let csv = d.join("spikes.csv");
    save_spikes_csv(&csv, &pops).unwrap();
    // CSV has no rows for a silent population: it is absent when read back.
    assert_eq!(load_spikes_csv(&csv).unwrap(), want[..2].to_vec());
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("population,time_ms,neuron\n"), "{text}");
}

#[test]
fn recorded_var_roundtrip() {
    let d = tmp("var");
    let v = var();
    save_var_npz(d.join("v.npz"), &v).unwrap();
    assert_eq!(load_var_npz(d.join("v.npz")).unwrap(), v);
    save_var_csv(d.join("v.csv"), &v).unwrap();
    let back = load_var_csv(d.join("v.csv")).unwrap();
    assert_eq!(back.times, v.times);
    assert_eq!(back.neurons, v.neurons);
    // Bit-exact, including -0.0.
    let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&back.values), bits(&v.values));
    let text = std::fs::read_to_string(d.join("v.csv")).unwrap();
    assert!(text.starts_with("time_ms,n0,n5\n"), "{text}");
}

#[test]
fn inconsistent_data_is_rejected_before_writing() {
    let d = tmp("invalid");
    let bad = SpikeRecord {
        times: vec![1.0, 2.0],
        ids: vec![1],
    };
    let e = save_spikes_npz(d.join("x.npz"), &[("Exc", &bad)]).unwrap_err();
    assert!(matches!(e, IoError::InvalidData(_)), "{e:?}");
    assert!(
        e.to_string()
            .contains("`Exc`: 2 spike times but 1 neuron ids"),
        "{e}"
    );
    assert!(!d.join("x.npz").exists());
    let mut v = var();
    v.values.pop();
    let e = save_var_csv(d.join("v.csv"), &v).unwrap_err();
    assert!(
        e.to_string()
            .contains("5 values for 3 samples of 2 neurons"),
        "{e}"
    );
}

#[test]
fn bad_files_give_errors_naming_file_and_problem() {
    let d = tmp("badfiles");
    // Missing file.
    let e = load_spikes_npz(d.join("missing.npz")).unwrap_err();
    assert!(
        matches!(e, IoError::Io { .. }) && e.to_string().contains("missing.npz"),
        "{e}"
    );
    // Not a zip archive.
    std::fs::write(d.join("junk.npz"), b"hello").unwrap();
    let e = load_var_npz(d.join("junk.npz")).unwrap_err();
    assert!(matches!(e, IoError::Format { .. }), "{e:?}");
    assert!(e.to_string().contains("not an .npz"), "{e}");
    // Truncated archive.
    save_spikes_npz(d.join("s.npz"), &[("E", &spikes(100, 4))]).unwrap();
    let bytes = std::fs::read(d.join("s.npz")).unwrap();
    std::fs::write(d.join("t.npz"), &bytes[..bytes.len() / 2]).unwrap();
    let e = load_spikes_npz(d.join("t.npz")).unwrap_err();
    assert!(matches!(e, IoError::Format { .. }), "{e:?}");
    // A spikes archive read as a variable: names the missing array.
    let e = load_var_npz(d.join("s.npz")).unwrap_err();
    assert!(e.to_string().contains("array `times` missing"), "{e}");
    // Truncated .npy.
    save_spikes_npy(&d, "P", &spikes(100, 5)).unwrap();
    let p = d.join("spikes_P_ids.npy");
    let b = std::fs::read(&p).unwrap();
    std::fs::write(&p, &b[..b.len() - 10]).unwrap();
    let e = load_spikes_npy(&d, "P").unwrap_err();
    assert!(e.to_string().contains("spikes_P_ids.npy"), "{e}");
    // CSV: wrong header, bad number with its line.
    std::fs::write(d.join("h.csv"), "pop,t,id\nE,1,2\n").unwrap();
    let e = load_spikes_csv(d.join("h.csv")).unwrap_err();
    assert!(e.to_string().contains("header must be"), "{e}");
    std::fs::write(
        d.join("n.csv"),
        "population,time_ms,neuron\nE,1.5,2\nE,x,3\n",
    )
    .unwrap();
    let e = load_spikes_csv(d.join("n.csv")).unwrap_err();
    assert!(e.to_string().contains("line 3: bad time `x`"), "{e}");
    std::fs::write(d.join("c.csv"), "time_ms,n0,v1\n0.1,1,2\n").unwrap();
    let e = load_var_csv(d.join("c.csv")).unwrap_err();
    assert!(e.to_string().contains("column `v1`"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_spike_record_roundtrips(
        raw in proptest::collection::vec((any::<f64>(), any::<u32>()), 0..200),
        name in "[A-Za-z0-9_., ]{1,12}",
    ) {
        let s = SpikeRecord {
            times: raw.iter().map(|x| x.0).collect(),
            ids: raw.iter().map(|x| x.1).collect(),
        };
        let d = tmp("prop");
        save_spikes_npz(d.join("p.npz"), &[(&name, &s)]).unwrap();
        let back = load_spikes_npz(d.join("p.npz")).unwrap();
        prop_assert_eq!(back.len(), 1);
        let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(&back[0].0, &name);
        prop_assert_eq!(bits(&back[0].1.times), bits(&s.times));
        prop_assert_eq!(&back[0].1.ids, &s.ids);
        if !s.is_empty() {
            save_spikes_csv(d.join("p.csv"), &[(&name, &s)]).unwrap();
            let back = load_spikes_csv(d.join("p.csv")).unwrap();
            // Text keeps every value except the sign and payload of a NaN.
            let same = |x: f64, y: f64| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
            prop_assert!(back[0].1.times.iter().zip(&s.times).all(|(x, y)| same(*x, *y)));
            prop_assert_eq!(back[0].1.times.len(), s.times.len());
            prop_assert_eq!(&back[0].1.ids, &s.ids);
        }
    }
}
