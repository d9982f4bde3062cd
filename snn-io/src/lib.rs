//! Getting simulation data out, and back in: spike trains and recorded
//! variables as NumPy `.npy` / `.npz` files and CSV, and checkpoints of a
//! whole simulation state ([`save_checkpoint`]), with loaders that read
//! them back exactly (times as `f64`, ids as `u32`; CSV times are written
//! with Rust's shortest round-trip formatting).
//!
//! # Layouts
//!
//! Spikes of a population `P` ([`SpikeRecord`]: spike times in ms,
//! non-decreasing, and neuron ids within the population):
//!
//! - `.npy` ([`save_spikes_npy`]): two files in a directory,
//!   `spikes_P_times.npy` (`float64`, ms) and `spikes_P_ids.npy` (`uint32`);
//!   in Python `np.load("spikes_P_times.npy")`.
//! - `.npz` ([`save_spikes_npz`]): one archive for several populations,
//!   arrays `P.times` (`float64`) and `P.ids` (`uint32`) per population;
//!   `d = np.load("spikes.npz"); d["P.times"]`.
//! - CSV ([`save_spikes_csv`]): header `population,time_ms,neuron`, one row
//!   per spike, populations one after the other;
//!   `pandas.read_csv("spikes.csv")`.
//!
//! A recorded variable ([`RecordedVar`]: `T` samples of `N` neurons):
//!
//! - `.npz` ([`save_var_npz`]): `times` (`float64`, `[T]`, ms), `neurons`
//!   (`uint32`, `[N]`), `values` (`float64`, `[T, N]`, C order: row `t`
//!   holds sample `t` of every neuron);
//! - CSV ([`save_var_csv`]): header `time_ms,n<i>,...` naming the sampled
//!   neurons, one row per sample.
//!
//! ```
//! use snn_core::recording::SpikeRecord;
//! let dir = std::env::temp_dir().join(format!("snn_io_doc_{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let spikes = SpikeRecord { times: vec![0.1, 0.1, 2.5], ids: vec![3, 7, 3] };
//! let path = dir.join("spikes.npz");
//! snn_io::save_spikes_npz(&path, &[("Exc", &spikes)]).unwrap();
//! let back = snn_io::load_spikes_npz(&path).unwrap();
//! assert_eq!(back, vec![("Exc".to_string(), spikes)]);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! # Checkpoints
//!
//! [`save_checkpoint`] and [`load_checkpoint`] write and read the complete
//! state of a simulation ([`SimState`](snn_core::state::SimState), from
//! `Simulation::save_state`) as one binary file: magic bytes `SNNCKPT\0`,
//! a format version ([`CHECKPOINT_VERSION`]), the payload length, the
//! payload (every field of the state, little-endian) and a CRC-32 checksum.
//! Saving is atomic (temporary file, `sync_all`, rename), so an
//! interrupted save leaves the previous checkpoint intact; loading checks
//! magic, version, length and checksum and reports damage as typed errors
//! ([`IoError::NotACheckpoint`], [`IoError::UnsupportedVersion`],
//! [`IoError::Truncated`], [`IoError::ChecksumMismatch`],
//! [`IoError::Corrupt`]) naming the file. The layout, field by field, is
//! in the [`checkpoint`] module.

#![forbid(unsafe_code)]

pub mod checkpoint;

pub use checkpoint::{
    decode_checkpoint, encode_checkpoint, load_checkpoint, save_checkpoint, CHECKPOINT_MAGIC,
    CHECKPOINT_VERSION,
};
use npyz::WriterBuilder;
use snn_core::recording::SpikeRecord;
use snn_core::sim::RecordedVar;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// What can go wrong saving or loading.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IoError {
    /// The file system refused (missing file, permissions, disk full).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file exists but is not what the loader expects.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, e.g. "array `E.ids` missing" or "line 3: bad time".
        reason: String,
    },
    /// The data given to a save function is inconsistent.
    #[error("{0}")]
    InvalidData(String),
    /// The bytes do not start with the checkpoint magic bytes
    /// ([`CHECKPOINT_MAGIC`]): not a checkpoint file at all.
    #[error(
        "{}not an snn checkpoint: a checkpoint starts with the bytes \"SNNCKPT\\0\", \
         this one with \"{}\"",
        at(.path),
        .found.escape_ascii()
    )]
    NotACheckpoint {
        /// The file, where known.
        path: Option<PathBuf>,
        /// Its first (up to 8) bytes.
        found: Vec<u8>,
    },
    /// A checkpoint of a format version this build cannot read.
    #[error(
        "{}checkpoint format version {found} is not supported: this snn-io reads version \
         {supported}{}",
        at(.path),
        newer_hint(.found, .supported)
    )]
    UnsupportedVersion {
        /// The file, where known.
        path: Option<PathBuf>,
        /// The version in the file.
        found: u32,
        /// The version this build reads ([`CHECKPOINT_VERSION`]).
        supported: u32,
    },
    /// A checkpoint that ends early: the file is shorter than its header
    /// says, or the payload ends in the middle of `what`.
    #[error(
        "{}checkpoint is truncated: {what} needs {expected} bytes, only {found} there. {}",
        at(.path),
        truncated_hint(.what)
    )]
    Truncated {
        /// The file, where known.
        path: Option<PathBuf>,
        /// What was being read: "file", "header",
        /// `` "populations[0] `E`, vars[1] (type tag)" ``, ...
        what: String,
        /// Bytes needed (the whole file's length for "file").
        expected: u64,
        /// Bytes there.
        found: u64,
    },
    /// The checksum stored in a checkpoint does not match its contents.
    #[error(
        "{}checkpoint checksum mismatch: stored CRC-32 {stored:#010x}, computed {computed:#010x}; \
         the file was damaged after it was written (disk, transfer or edit): use another copy",
        at(.path)
    )]
    ChecksumMismatch {
        /// The file, where known.
        path: Option<PathBuf>,
        /// The checksum in the file.
        stored: u32,
        /// The checksum of the bytes before it.
        computed: u32,
    },
    /// A checkpoint whose checksum matches but whose contents are not a
    /// valid encoding (unknown tag, invalid UTF-8, trailing bytes): written
    /// by something other than this crate's encoder.
    #[error("{}corrupt checkpoint: {what}: {reason}", at(.path))]
    Corrupt {
        /// The file, where known.
        path: Option<PathBuf>,
        /// Where: `"populations[0], name"`, `"file"`, ...
        what: String,
        /// What is wrong.
        reason: String,
    },
}

/// Why a checkpoint may be truncated, and what to do.
fn truncated_hint(what: &str) -> &'static str {
    if what.starts_with("file") || what.starts_with("header") {
        "Was the write or a copy interrupted? save_checkpoint replaces a checkpoint only once \
         the new one is complete, so use the previous checkpoint or save again"
    } else {
        "The checksum matches, so the file was written this way: not by this crate's encoder, \
         or by a faulty one"
    }
}

/// What to do about a version from the future.
fn newer_hint(found: &u32, supported: &u32) -> &'static str {
    if found > supported {
        " (the file was written by a newer snn-io: load it with that version)"
    } else {
        ""
    }
}

/// `"<path>: "`, or nothing without a path.
fn at(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|p| format!("{}: ", p.display()))
        .unwrap_or_default()
}

/// Result of this crate's functions.
pub type Result<T> = std::result::Result<T, IoError>;

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> IoError + '_ {
    move |source| IoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn format_err(path: &Path, reason: impl std::fmt::Display) -> IoError {
    IoError::Format {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn check_spikes(name: &str, s: &SpikeRecord) -> Result<()> {
    if s.times.len() != s.ids.len() {
        return Err(IoError::InvalidData(format!(
            "population `{name}`: {} spike times but {} neuron ids",
            s.times.len(),
            s.ids.len()
        )));
    }
    Ok(())
}

fn check_var(v: &RecordedVar) -> Result<()> {
    if v.values.len() != v.times.len() * v.neurons.len() {
        return Err(IoError::InvalidData(format!(
            "recorded variable: {} values for {} samples of {} neurons",
            v.values.len(),
            v.times.len(),
            v.neurons.len()
        )));
    }
    Ok(())
}

/// Writes one array as `.npy` data to `w`.
fn write_npy<T, W>(w: W, shape: &[u64], data: &[T]) -> std::io::Result<()>
where
    T: npyz::AutoSerialize + Copy,
    W: Write,
{
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(w)
        .begin_nd()?;
    writer.extend(data.iter().copied())?;
    writer.finish()
}

/// Reads one `.npy` array of element type `T` with `dims` dimensions.
fn read_npy<T: npyz::Deserialize, R: Read>(
    r: R,
    path: &Path,
    what: &str,
    dims: usize,
) -> Result<(Vec<u64>, Vec<T>)> {
    let npy = npyz::NpyFile::new(r).map_err(|e| format_err(path, format!("{what}: {e}")))?;
    let shape = npy.shape().to_vec();
    if shape.len() != dims {
        return Err(format_err(
            path,
            format!("{what}: expected {dims} dimension(s), found shape {shape:?}"),
        ));
    }
    let data = npy
        .into_vec::<T>()
        .map_err(|e| format_err(path, format!("{what}: {e}")))?;
    Ok((shape, data))
}

/// Writes `<dir>/spikes_<population>_times.npy` (`float64`, ms) and
/// `<dir>/spikes_<population>_ids.npy` (`uint32`), creating `dir`.
pub fn save_spikes_npy(
    dir: impl AsRef<Path>,
    population: &str,
    spikes: &SpikeRecord,
) -> Result<()> {
    let dir = dir.as_ref();
    check_spikes(population, spikes)?;
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let n = spikes.len() as u64;
    let times = dir.join(format!("spikes_{population}_times.npy"));
    let ids = dir.join(format!("spikes_{population}_ids.npy"));
    let create = |p: &Path| File::create(p).map(BufWriter::new).map_err(io_err(p));
    write_npy(create(&times)?, &[n], &spikes.times).map_err(io_err(&times))?;
    write_npy(create(&ids)?, &[n], &spikes.ids).map_err(io_err(&ids))?;
    Ok(())
}

/// Reads what [`save_spikes_npy`] wrote.
pub fn load_spikes_npy(dir: impl AsRef<Path>, population: &str) -> Result<SpikeRecord> {
    let dir = dir.as_ref();
    let read = |suffix: &str| -> Result<(PathBuf, File)> {
        let p = dir.join(format!("spikes_{population}_{suffix}.npy"));
        let f = File::open(&p).map_err(io_err(&p))?;
        Ok((p, f))
    };
    let (tp, tf) = read("times")?;
    let (_, times) = read_npy::<f64, _>(BufReader::new(tf), &tp, "spike times", 1)?;
    let (ip, idf) = read("ids")?;
    let (_, ids) = read_npy::<u32, _>(BufReader::new(idf), &ip, "neuron ids", 1)?;
    if times.len() != ids.len() {
        return Err(format_err(
            &ip,
            format!(
                "{} neuron ids but {} spike times in {}",
                ids.len(),
                times.len(),
                tp.display()
            ),
        ));
    }
    Ok(SpikeRecord { times, ids })
}

/// Adds one `.npy` entry `name` to a zip archive being written.
fn zip_npy<T, W>(
    zip: &mut zip::ZipWriter<W>,
    path: &Path,
    name: &str,
    shape: &[u64],
    data: &[T],
) -> Result<()>
where
    T: npyz::AutoSerialize + Copy,
    W: Write + Seek,
{
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(data.len() as u64 * std::mem::size_of::<T>() as u64 >= u32::MAX as u64 / 2);
    zip.start_file(format!("{name}.npy"), options)
        .map_err(|e| format_err(path, e))?;
    write_npy(&mut *zip, shape, data).map_err(io_err(path))
}

/// Writes an `.npz` archive: creates `path`, lets `f` add the arrays, then
/// writes the zip directory and flushes.
fn write_npz(
    path: &Path,
    f: impl FnOnce(&mut zip::ZipWriter<BufWriter<File>>) -> Result<()>,
) -> Result<()> {
    let file = File::create(path).map_err(io_err(path))?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(file));
    f(&mut zip)?;
    let mut w = zip.finish().map_err(|e| format_err(path, e))?;
    w.flush().map_err(io_err(path))
}

/// An opened `.npz` archive with typed array access.
struct Npz {
    path: PathBuf,
    zip: zip::ZipArchive<BufReader<File>>,
}

impl Npz {
    fn open(path: &Path) -> Result<Npz> {
        let file = File::open(path).map_err(io_err(path))?;
        let zip = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| format_err(path, format!("not an .npz (zip) archive: {e}")))?;
        Ok(Npz {
            path: path.to_path_buf(),
            zip,
        })
    }
    /// Names of the arrays, in archive order.
    fn names(&self) -> Vec<String> {
        self.zip
            .file_names()
            .filter_map(|n| n.strip_suffix(".npy").map(str::to_string))
            .collect()
    }
    fn array<T: npyz::Deserialize>(
        &mut self,
        name: &str,
        dims: usize,
    ) -> Result<(Vec<u64>, Vec<T>)> {
        let entry = self
            .zip
            .by_name(&format!("{name}.npy"))
            .map_err(|_| format_err(&self.path, format!("array `{name}` missing")))?;
        read_npy(entry, &self.path, &format!("array `{name}`"), dims)
    }
}

/// Writes the spikes of several populations to one `.npz` archive: arrays
/// `<population>.times` (`float64`, ms) and `<population>.ids` (`uint32`).
/// `path` is anything path-like (`&str`, `&Path`, `PathBuf`, ...), as for
/// every function here.
///
/// ```no_run
/// # fn main() -> Result<(), snn_io::IoError> {
/// let spikes = snn_core::recording::SpikeRecord { times: vec![0.1, 2.5], ids: vec![3, 0] };
/// snn_io::save_spikes_npz("spikes.npz", &[("E", &spikes)])?;
/// let back = snn_io::load_spikes_npz("spikes.npz")?;
/// assert_eq!(back[0].1.ids, [3, 0]);
/// # Ok(())
/// # }
/// ```
pub fn save_spikes_npz(path: impl AsRef<Path>, populations: &[(&str, &SpikeRecord)]) -> Result<()> {
    let path = path.as_ref();
    for (name, s) in populations {
        check_spikes(name, s)?;
    }
    write_npz(path, |zip| {
        for (name, s) in populations {
            let n = s.len() as u64;
            zip_npy(zip, path, &format!("{name}.times"), &[n], &s.times)?;
            zip_npy(zip, path, &format!("{name}.ids"), &[n], &s.ids)?;
        }
        Ok(())
    })
}

/// Reads what [`save_spikes_npz`] wrote, populations in archive order.
pub fn load_spikes_npz(path: impl AsRef<Path>) -> Result<Vec<(String, SpikeRecord)>> {
    let path = path.as_ref();
    let mut npz = Npz::open(path)?;
    let pops: Vec<String> = npz
        .names()
        .iter()
        .filter_map(|n| n.strip_suffix(".times").map(str::to_string))
        .collect();
    let mut out = Vec::new();
    for p in pops {
        let (_, times) = npz.array::<f64>(&format!("{p}.times"), 1)?;
        let (_, ids) = npz.array::<u32>(&format!("{p}.ids"), 1)?;
        if times.len() != ids.len() {
            return Err(format_err(
                path,
                format!(
                    "population `{p}`: {} times but {} ids",
                    times.len(),
                    ids.len()
                ),
            ));
        }
        out.push((p, SpikeRecord { times, ids }));
    }
    Ok(out)
}

/// Writes the spikes of several populations as CSV:
/// `population,time_ms,neuron`, one row per spike.
pub fn save_spikes_csv(path: impl AsRef<Path>, populations: &[(&str, &SpikeRecord)]) -> Result<()> {
    let path = path.as_ref();
    for (name, s) in populations {
        check_spikes(name, s)?;
    }
    let mut w = csv::Writer::from_path(path).map_err(|e| csv_err(path, e))?;
    let mut write = || -> std::result::Result<(), csv::Error> {
        w.write_record(["population", "time_ms", "neuron"])?;
        for (name, s) in populations {
            for (t, i) in s.times.iter().zip(&s.ids) {
                w.write_record([name, t.to_string().as_str(), i.to_string().as_str()])?;
            }
        }
        w.flush()?;
        Ok(())
    };
    write().map_err(|e| csv_err(path, e))
}

fn csv_err(path: &Path, e: csv::Error) -> IoError {
    if e.is_io_error() {
        match e.into_kind() {
            csv::ErrorKind::Io(source) => IoError::Io {
                path: path.to_path_buf(),
                source,
            },
            other => format_err(path, format!("{other:?}")),
        }
    } else {
        format_err(path, e)
    }
}

/// Parses field `k` of a CSV record, naming the line on failure.
fn field<T: std::str::FromStr>(
    path: &Path,
    rec: &csv::StringRecord,
    k: usize,
    what: &str,
) -> Result<T> {
    let line = rec.position().map_or(0, |p| p.line());
    let s = rec
        .get(k)
        .ok_or_else(|| format_err(path, format!("line {line}: missing {what}")))?;
    s.trim()
        .parse()
        .map_err(|_| format_err(path, format!("line {line}: bad {what} `{s}`")))
}

/// Reads what [`save_spikes_csv`] wrote, populations in order of first
/// appearance.
pub fn load_spikes_csv(path: impl AsRef<Path>) -> Result<Vec<(String, SpikeRecord)>> {
    let path = path.as_ref();
    let mut r = csv::Reader::from_path(path).map_err(|e| csv_err(path, e))?;
    let header = r.headers().map_err(|e| csv_err(path, e))?.clone();
    if header.iter().collect::<Vec<_>>() != ["population", "time_ms", "neuron"] {
        return Err(format_err(
            path,
            format!(
                "header must be `population,time_ms,neuron`, found `{}`",
                header.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    }
    let mut out: Vec<(String, SpikeRecord)> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| csv_err(path, e))?;
        let pop: String = field(path, &rec, 0, "population")?;
        let t: f64 = field(path, &rec, 1, "time")?;
        let id: u32 = field(path, &rec, 2, "neuron id")?;
        let k = match out.iter().position(|(p, _)| *p == pop) {
            Some(k) => k,
            None => {
                out.push((pop, SpikeRecord::default()));
                out.len() - 1
            }
        };
        out[k].1.times.push(t);
        out[k].1.ids.push(id);
    }
    Ok(out)
}

/// Writes a recorded variable as `.npz`: `times` `[T]`, `neurons` `[N]`,
/// `values` `[T, N]`.
pub fn save_var_npz(path: impl AsRef<Path>, var: &RecordedVar) -> Result<()> {
    let path = path.as_ref();
    check_var(var)?;
    let (t, n) = (var.times.len() as u64, var.neurons.len() as u64);
    write_npz(path, |zip| {
        zip_npy(zip, path, "times", &[t], &var.times)?;
        zip_npy(zip, path, "neurons", &[n], &var.neurons)?;
        zip_npy(zip, path, "values", &[t, n], &var.values)
    })
}

/// Reads what [`save_var_npz`] wrote.
pub fn load_var_npz(path: impl AsRef<Path>) -> Result<RecordedVar> {
    let path = path.as_ref();
    let mut npz = Npz::open(path)?;
    let (_, times) = npz.array::<f64>("times", 1)?;
    let (_, neurons) = npz.array::<u32>("neurons", 1)?;
    let (shape, values) = npz.array::<f64>("values", 2)?;
    if shape != [times.len() as u64, neurons.len() as u64] {
        return Err(format_err(
            path,
            format!(
                "array `values` has shape {shape:?}, expected [{}, {}] (samples, neurons)",
                times.len(),
                neurons.len()
            ),
        ));
    }
    Ok(RecordedVar {
        times,
        neurons,
        values,
    })
}

/// Writes a recorded variable as CSV: header `time_ms,n<i>,...`, one row per sample.
pub fn save_var_csv(path: impl AsRef<Path>, var: &RecordedVar) -> Result<()> {
    let path = path.as_ref();
    check_var(var)?;
    let mut w = csv::Writer::from_path(path).map_err(|e| csv_err(path, e))?;
    let n = var.neurons.len();
    let mut write = || -> std::result::Result<(), csv::Error> {
        let header: Vec<String> = std::iter::once("time_ms".to_string())
            .chain(var.neurons.iter().map(|i| format!("n{i}")))
            .collect();
        w.write_record(&header)?;
        for (k, t) in var.times.iter().enumerate() {
            let row: Vec<String> = std::iter::once(t.to_string())
                .chain(var.values[k * n..(k + 1) * n].iter().map(|x| x.to_string()))
                .collect();
            w.write_record(&row)?;
        }
        w.flush()?;
        Ok(())
    };
    write().map_err(|e| csv_err(path, e))
}

/// Reads what [`save_var_csv`] wrote.
pub fn load_var_csv(path: impl AsRef<Path>) -> Result<RecordedVar> {
    let path = path.as_ref();
    let mut r = csv::Reader::from_path(path).map_err(|e| csv_err(path, e))?;
    let header = r.headers().map_err(|e| csv_err(path, e))?.clone();
    if header.get(0) != Some("time_ms") {
        return Err(format_err(path, "the first column must be `time_ms`"));
    }
    let neurons = header
        .iter()
        .skip(1)
        .map(|h| {
            h.strip_prefix('n')
                .and_then(|x| x.parse().ok())
                .ok_or_else(|| format_err(path, format!("column `{h}` is not `n<neuron id>`")))
        })
        .collect::<Result<Vec<u32>>>()?;
    let mut out = RecordedVar {
        times: Vec::new(),
        neurons,
        values: Vec::new(),
    };
    for rec in r.records() {
        let rec = rec.map_err(|e| csv_err(path, e))?;
        out.times.push(field(path, &rec, 0, "time")?);
        for k in 0..out.neurons.len() {
            out.values.push(field(path, &rec, k + 1, "value")?);
        }
    }
    Ok(out)
}
