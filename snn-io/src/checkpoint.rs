//! The checkpoint file format: a [`SimState`] in a self-checking binary
//! file, written atomically.
//!
//! [`save_checkpoint`] writes a temporary file next to the target, flushes
//! it to disk and renames it over the target, so an interrupted save (a
//! crash, a full disk, a killed job) never destroys the previous
//! checkpoint. [`load_checkpoint`] checks the magic bytes, the format
//! version, the length and the CRC-32 checksum before decoding anything.
//! [`encode_checkpoint`] and [`decode_checkpoint`] do the same in memory.
//!
//! ```
//! use snn_core::prelude::*;
//! let state = SimState {
//!     step: 1000,
//!     dt: 0.1,
//!     seed: 42,
//!     precision: Precision::F32,
//!     populations: vec![],
//!     synapse_groups: vec![],
//!     postsynaptic_targets: vec![],
//!     current_sources: vec![],
//!     var_recordings: vec![],
//! };
//! let dir = std::env::temp_dir().join(format!("snn_ckpt_doc_{}", std::process::id()));
//! let path = dir.join("run/state.snnckpt");
//! snn_io::save_checkpoint(&path, &state).unwrap();
//! assert_eq!(snn_io::load_checkpoint(&path).unwrap(), state);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! # Layout
//!
//! All integers are little-endian whatever the machine; floating-point
//! values are stored as their IEEE-754 bits (`to_bits`), so every value,
//! NaN payloads and `-0.0` included, reads back bit for bit.
//!
//! | offset     | size | field                                                    |
//! |------------|------|----------------------------------------------------------|
//! | 0          | 8    | magic bytes `SNNCKPT\0`                                  |
//! | 8          | 4    | format version, `u32` ([`CHECKPOINT_VERSION`])           |
//! | 12         | 8    | payload length `n` in bytes, `u64`                       |
//! | 20         | `n`  | payload: the [`SimState`], encoded as below              |
//! | 20 + `n`   | 4    | CRC-32 (IEEE, as `crc32fast`) of bytes `0 .. 20 + n`, `u32` |
//!
//! The file ends right after the checksum. Readers check, in this order:
//! magic, version (so a file from a future version is reported as such,
//! not as damaged), length, checksum, then decode the payload, which must
//! be used up exactly.
//!
//! Payload encodings of the building blocks:
//!
//! | type               | encoding                                                 |
//! |--------------------|----------------------------------------------------------|
//! | `u8`/`u16`/`u32`/`u64`, `i32`/`i64` | fixed width, little-endian              |
//! | `f32`, `f64`       | `to_bits()` as `u32` / `u64`                             |
//! | `bool`             | `u8`: 0 or 1                                             |
//! | string             | `u32` byte length, then UTF-8 bytes                      |
//! | `Vec<T>`           | `u64` element count, then the elements                   |
//! | `Option<T>`        | `u8` tag: 0 = `None`; 1 = `Some`, then the value         |
//! | `[T; 2]`           | the two values                                           |
//! | [`Precision`]      | `u8`: 0 = `F32`, 1 = `F64`                               |
//! | [`VarArray`]       | `u8` type tag, then as `Vec` of the element type; tags: 0 `F32`, 1 `F64`, 2 `I32`, 3 `U32`, 4 `I64`, 5 `U64`, 6 `U8`, 7 `U16`, 8 `Bool` |
//!
//! The structures, fields in this order:
//!
//! | structure                 | fields                                                                                  |
//! |---------------------------|-----------------------------------------------------------------------------------------|
//! | [`SimState`]              | `step` u64, `dt` f64, `seed` u64, `precision`, `populations` Vec, `synapse_groups` Vec, `postsynaptic_targets` Vec, `current_sources` Vec, `var_recordings` Vec |
//! | [`PopulationState`]       | `name` string, `vars` Vec\<VarArray\>, `egps` Vec\<Vec\<f64\>\>, `spike_times` Option\<[VarArray; 2]\>, `recent_spikes` Vec\<Vec\<u32\>\>, `recording` Option\<SpikeRecordingState\> |
//! | [`SpikeRecordingState`]   | `on` bool, `steps` Vec\<u64\>, `ids` Vec\<u32\>                                          |
//! | [`SynapseGroupState`]     | `name` string, `connectivity`, `wu_vars`, `pre_vars`, `post_vars` Vec\<VarArray\>, `egps` Vec\<Vec\<f64\>\>, `event_times` Option\<[VarArray; 2]\>, `recent_events` Vec\<Vec\<u32\>\> |
//! | [`SparseConnectivity`]    | `num_pre` u32, `num_post` u32, `row_ptr` Vec\<u64\>, `ind` Vec\<u32\>                    |
//! | [`PostsynapticState`]     | `vars` Vec\<VarArray\>, `ring` VarArray                                                  |
//! | [`CurrentSourceState`]    | `name` string, `vars` Vec\<VarArray\>, `egps` Vec\<Vec\<f64\>\>                          |
//! | [`RecordedVar`]           | `times` Vec\<f64\>, `neurons` Vec\<u32\>, `values` Vec\<f64\>                            |
//!
//! Decoding checks the structure only (tags, lengths, UTF-8); whether a
//! state fits a network is [`SimState::check_fits`], run when the state is
//! loaded into a simulation. A length is checked against the bytes that
//! are left before anything is allocated, so a damaged or malicious file
//! gives an error, never a panic or a huge allocation.
//!
//! Any change to the layout must bump [`CHECKPOINT_VERSION`].

use crate::{IoError, Result};
use snn_core::connectivity::SparseConnectivity;
use snn_core::real::Precision;
use snn_core::sim::RecordedVar;
use snn_core::state::{
    CurrentSourceState, PopulationState, PostsynapticState, SimState, SpikeRecordingState,
    SynapseGroupState,
};
use snn_core::var::VarArray;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The 8 bytes every checkpoint file starts with.
pub const CHECKPOINT_MAGIC: [u8; 8] = *b"SNNCKPT\0";

/// The format version this crate writes and reads.
pub const CHECKPOINT_VERSION: u32 = 1;

/// Bytes before the payload: magic, version, payload length.
const HEADER_LEN: usize = 8 + 4 + 8;
/// Bytes of the trailing checksum.
const CHECKSUM_LEN: usize = 4;

// ---------------------------------------------------------------- writing

/// Where a [`Writer`] puts its bytes.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

/// Collects the bytes (for [`encode_checkpoint`]).
impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Counts the bytes only: the payload length a file header needs before
/// the payload is streamed.
struct Count(u64);

impl Sink for Count {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len() as u64;
    }
}

/// Streams the bytes to a file through a buffer, keeping their CRC-32 and
/// the first write error (later writes are skipped).
struct FileSink {
    out: std::io::BufWriter<std::fs::File>,
    crc: crc32fast::Hasher,
    error: Option<std::io::Error>,
}

impl Sink for FileSink {
    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            self.crc.update(bytes);
            if let Err(e) = self.out.write_all(bytes) {
                self.error = Some(e);
            }
        }
    }
}

/// Writes little-endian encodings to a [`Sink`].
struct Writer<K: Sink> {
    buf: K,
}

impl<K: Sink> Writer<K> {
    fn u8(&mut self, x: u8) {
        self.buf.put(&[x]);
    }
    fn u32(&mut self, x: u32) {
        self.buf.put(&x.to_le_bytes());
    }
    fn u64(&mut self, x: u64) {
        self.buf.put(&x.to_le_bytes());
    }
    fn f64(&mut self, x: f64) {
        self.u64(x.to_bits());
    }
    fn bool(&mut self, x: bool) {
        self.u8(x as u8);
    }
    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    fn str(&mut self, s: &str) {
        let n = u32::try_from(s.len()).expect("checkpoint: a name longer than 4 GiB");
        self.u32(n);
        self.buf.put(s.as_bytes());
    }
    /// A vector of fixed-width values: count, then each value's bytes
    /// (encoded a chunk at a time).
    fn prim<T: Copy, const N: usize>(&mut self, xs: &[T], bytes: impl Fn(T) -> [u8; N]) {
        self.len(xs.len());
        let mut chunk = Vec::with_capacity(N * 4096.min(xs.len()));
        for part in xs.chunks(4096) {
            chunk.clear();
            for &x in part {
                chunk.extend_from_slice(&bytes(x));
            }
            self.buf.put(&chunk);
        }
    }
    fn vec_f64(&mut self, xs: &[f64]) {
        self.prim(xs, |x| x.to_bits().to_le_bytes());
    }
    fn vec_u32(&mut self, xs: &[u32]) {
        self.prim(xs, u32::to_le_bytes);
    }
    fn vec_u64(&mut self, xs: &[u64]) {
        self.prim(xs, u64::to_le_bytes);
    }
    fn var(&mut self, a: &VarArray) {
        match a {
            VarArray::F32(v) => {
                self.u8(0);
                self.prim(v, |x| x.to_bits().to_le_bytes())
            }
            VarArray::F64(v) => {
                self.u8(1);
                self.vec_f64(v)
            }
            VarArray::I32(v) => {
                self.u8(2);
                self.prim(v, i32::to_le_bytes)
            }
            VarArray::U32(v) => {
                self.u8(3);
                self.vec_u32(v)
            }
            VarArray::I64(v) => {
                self.u8(4);
                self.prim(v, i64::to_le_bytes)
            }
            VarArray::U64(v) => {
                self.u8(5);
                self.vec_u64(v)
            }
            VarArray::U8(v) => {
                self.u8(6);
                self.prim(v, |x| [x])
            }
            VarArray::U16(v) => {
                self.u8(7);
                self.prim(v, u16::to_le_bytes)
            }
            VarArray::Bool(v) => {
                self.u8(8);
                self.prim(v, |x| [x as u8])
            }
        }
    }
    fn vars(&mut self, xs: &[VarArray]) {
        self.len(xs.len());
        xs.iter().for_each(|a| self.var(a));
    }
    fn egps(&mut self, xs: &[Vec<f64>]) {
        self.len(xs.len());
        xs.iter().for_each(|e| self.vec_f64(e));
    }
    fn queue(&mut self, xs: &[Vec<u32>]) {
        self.len(xs.len());
        xs.iter().for_each(|q| self.vec_u32(q));
    }
    fn times(&mut self, t: &Option<[VarArray; 2]>) {
        match t {
            None => self.u8(0),
            Some([a, b]) => {
                self.u8(1);
                self.var(a);
                self.var(b);
            }
        }
    }
    fn state(&mut self, s: &SimState) {
        self.u64(s.step);
        self.f64(s.dt);
        self.u64(s.seed);
        self.u8(match s.precision {
            Precision::F32 => 0,
            Precision::F64 => 1,
        });
        self.len(s.populations.len());
        for p in &s.populations {
            self.str(&p.name);
            self.vars(&p.vars);
            self.egps(&p.egps);
            self.times(&p.spike_times);
            self.queue(&p.recent_spikes);
            match &p.recording {
                None => self.u8(0),
                Some(r) => {
                    self.u8(1);
                    self.bool(r.on);
                    self.vec_u64(&r.steps);
                    self.vec_u32(&r.ids);
                }
            }
        }
        self.len(s.synapse_groups.len());
        for g in &s.synapse_groups {
            self.str(&g.name);
            let c = &g.connectivity;
            self.u32(c.num_pre);
            self.u32(c.num_post);
            self.vec_u64(&c.row_ptr);
            self.vec_u32(&c.ind);
            self.vars(&g.wu_vars);
            self.vars(&g.pre_vars);
            self.vars(&g.post_vars);
            self.egps(&g.egps);
            self.times(&g.event_times);
            self.queue(&g.recent_events);
        }
        self.len(s.postsynaptic_targets.len());
        for t in &s.postsynaptic_targets {
            self.vars(&t.vars);
            self.var(&t.ring);
        }
        self.len(s.current_sources.len());
        for c in &s.current_sources {
            self.str(&c.name);
            self.vars(&c.vars);
            self.egps(&c.egps);
        }
        self.len(s.var_recordings.len());
        for r in &s.var_recordings {
            self.vec_f64(&r.times);
            self.vec_u32(&r.neurons);
            self.vec_f64(&r.values);
        }
    }
}

/// Encodes `state` as a checkpoint file's bytes (layout in the
/// [module docs](self)).
///
/// # Panics
///
/// If a name is longer than 4 GiB.
pub fn encode_checkpoint(state: &SimState) -> Vec<u8> {
    let mut w = Writer {
        buf: Vec::with_capacity(HEADER_LEN + payload_len(state) as usize + CHECKSUM_LEN),
    };
    header(&mut w, state);
    w.state(state);
    let crc = crc32fast::hash(&w.buf);
    w.u32(crc);
    w.buf
}

/// Bytes of the payload encoding `state`.
fn payload_len(state: &SimState) -> u64 {
    let mut count = Writer { buf: Count(0) };
    count.state(state);
    count.buf.0
}

/// Writes the header of a checkpoint of `state`.
fn header<K: Sink>(w: &mut Writer<K>, state: &SimState) {
    w.buf.put(&CHECKPOINT_MAGIC);
    w.u32(CHECKPOINT_VERSION);
    w.u64(payload_len(state));
}

/// Streams the checkpoint of `state` to `file` (no copy of the encoding in
/// memory).
fn write_checkpoint(file: std::fs::File, state: &SimState) -> std::io::Result<()> {
    let mut w = Writer {
        buf: FileSink {
            out: std::io::BufWriter::with_capacity(1 << 20, file),
            crc: crc32fast::Hasher::new(),
            error: None,
        },
    };
    header(&mut w, state);
    w.state(state);
    let FileSink {
        mut out,
        crc,
        error,
    } = w.buf;
    if let Some(e) = error {
        return Err(e);
    }
    out.write_all(&crc.finalize().to_le_bytes())?;
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}

// ---------------------------------------------------------------- reading

/// Reads little-endian values from a byte slice, checking every length
/// against the bytes left and naming what it was reading on failure.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Where in the structure the reader is, e.g. populations[2] `E`, vars[1].
    scope: Vec<String>,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    /// `what` within the current scope, for error messages.
    fn name(&self, what: &str) -> String {
        let mut s = self.scope.join(", ");
        if !what.is_empty() {
            if !s.is_empty() {
                s.push_str(", ");
            }
            s.push_str(what);
        }
        if s.is_empty() {
            s.push_str("payload");
        }
        s
    }
    /// `what` qualified by `part`: "vars (length)", or "length" alone.
    fn sub(what: &str, part: &str) -> String {
        if what.is_empty() {
            part.to_string()
        } else {
            format!("{what} ({part})")
        }
    }
    fn truncated(&self, what: &str, expected: u64) -> IoError {
        IoError::Truncated {
            path: None,
            what: self.name(what),
            expected,
            found: self.remaining() as u64,
        }
    }
    fn corrupt(&self, what: &str, reason: impl Into<String>) -> IoError {
        IoError::Corrupt {
            path: None,
            what: self.name(what),
            reason: reason.into(),
        }
    }
    /// Runs `f` with `part` pushed on the scope.
    fn within<T>(&mut self, part: String, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.scope.push(part);
        let r = f(self)?;
        self.scope.pop();
        Ok(r)
    }
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.truncated(what, n as u64));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }
    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        self.array(what).map(u32::from_le_bytes)
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        self.array(what).map(u64::from_le_bytes)
    }
    fn f64(&mut self, what: &str) -> Result<f64> {
        self.u64(what).map(f64::from_bits)
    }
    /// A tag byte that must be below `n`.
    fn tag(&mut self, what: &str, n: u8, meaning: &str) -> Result<u8> {
        let t = self.u8(what)?;
        if t >= n {
            return Err(self.corrupt(what, format!("unknown tag {t} (expected {meaning})")));
        }
        Ok(t)
    }
    fn bool(&mut self, what: &str) -> Result<bool> {
        Ok(self.tag(what, 2, "0 or 1 for a bool")? == 1)
    }
    fn option(&mut self, what: &str) -> Result<bool> {
        Ok(self.tag(what, 2, "0 = None or 1 = Some")? == 1)
    }
    /// An element count, checked against the bytes left given that every
    /// element takes at least `min_bytes` (at least 1).
    fn len(&mut self, what: &str, min_bytes: usize) -> Result<usize> {
        let n = self.u64(&Self::sub(what, "length"))?;
        let fits = self.remaining() / min_bytes.max(1);
        if n > fits as u64 {
            let needed = n.saturating_mul(min_bytes as u64);
            return Err(self.truncated(&Self::sub(what, &format!("{n} elements")), needed));
        }
        Ok(n as usize)
    }
    fn str(&mut self, what: &str) -> Result<String> {
        let n = self.u32(&Self::sub(what, "length"))? as usize;
        let bytes = self.take(n, what)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|e| self.corrupt(what, format!("invalid UTF-8: {e}")))
    }
    /// A vector of fixed-width values.
    fn prim<T, const N: usize>(&mut self, what: &str, f: impl Fn([u8; N]) -> T) -> Result<Vec<T>> {
        let n = self.len(what, N)?;
        let bytes = self.take(n * N, what)?;
        Ok(bytes
            .chunks_exact(N)
            .map(|c| {
                let mut a = [0; N];
                a.copy_from_slice(c);
                f(a)
            })
            .collect())
    }
    fn vec_f64(&mut self, what: &str) -> Result<Vec<f64>> {
        self.prim(what, |b| f64::from_bits(u64::from_le_bytes(b)))
    }
    fn vec_u32(&mut self, what: &str) -> Result<Vec<u32>> {
        self.prim(what, u32::from_le_bytes)
    }
    fn vec_u64(&mut self, what: &str) -> Result<Vec<u64>> {
        self.prim(what, u64::from_le_bytes)
    }
    /// A vector of composite values, each at least `min_bytes` long,
    /// reading element `i` within the scope `"{what}[{i}]"`.
    fn seq<T>(
        &mut self,
        what: &str,
        min_bytes: usize,
        mut item: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<Vec<T>> {
        let n = self.len(what, min_bytes)?;
        let mut out = Vec::with_capacity(n.min(1024));
        for i in 0..n {
            out.push(self.within(format!("{what}[{i}]"), &mut item)?);
        }
        Ok(out)
    }
    fn var(&mut self, what: &str) -> Result<VarArray> {
        let tag = self.u8(&Self::sub(what, "type tag"))?;
        Ok(match tag {
            0 => VarArray::F32(self.prim(what, |b| f32::from_bits(u32::from_le_bytes(b)))?),
            1 => VarArray::F64(self.vec_f64(what)?),
            2 => VarArray::I32(self.prim(what, i32::from_le_bytes)?),
            3 => VarArray::U32(self.vec_u32(what)?),
            4 => VarArray::I64(self.prim(what, i64::from_le_bytes)?),
            5 => VarArray::U64(self.vec_u64(what)?),
            6 => VarArray::U8(self.prim(what, |[b]| b)?),
            7 => VarArray::U16(self.prim(what, u16::from_le_bytes)?),
            8 => {
                let bytes = self.prim(what, |[b]| b)?;
                if let Some(k) = bytes.iter().position(|&b| b > 1) {
                    return Err(self.corrupt(
                        what,
                        format!("bool value {k} is {} (expected 0 or 1)", bytes[k]),
                    ));
                }
                VarArray::Bool(bytes.into_iter().map(|b| b == 1).collect())
            }
            t => {
                return Err(self.corrupt(
                    what,
                    format!("unknown variable type tag {t} (expected 0 to 8)"),
                ))
            }
        })
    }
    fn vars(&mut self, what: &str) -> Result<Vec<VarArray>> {
        // An array is at least a tag and a length: 9 bytes.
        self.seq(what, 9, |r| r.var(""))
    }
    fn egps(&mut self) -> Result<Vec<Vec<f64>>> {
        self.seq("egps", 8, |r| r.vec_f64(""))
    }
    fn queue(&mut self, what: &str) -> Result<Vec<Vec<u32>>> {
        self.seq(what, 8, |r| r.vec_u32(""))
    }
    fn times(&mut self, what: &str) -> Result<Option<[VarArray; 2]>> {
        if !self.option(what)? {
            return Ok(None);
        }
        let latest = self.var(&format!("{what}[0]"))?;
        let previous = self.var(&format!("{what}[1]"))?;
        Ok(Some([latest, previous]))
    }
    /// Reads a name and puts it into the innermost scope.
    fn named(&mut self) -> Result<String> {
        let name = self.str("name")?;
        if let Some(s) = self.scope.last_mut() {
            *s = format!("{s} `{name}`");
        }
        Ok(name)
    }
    fn population(&mut self) -> Result<PopulationState> {
        Ok(PopulationState {
            name: self.named()?,
            vars: self.vars("vars")?,
            egps: self.egps()?,
            spike_times: self.times("spike_times")?,
            recent_spikes: self.queue("recent_spikes")?,
            recording: if self.option("recording")? {
                Some(SpikeRecordingState {
                    on: self.bool("recording.on")?,
                    steps: self.vec_u64("recording.steps")?,
                    ids: self.vec_u32("recording.ids")?,
                })
            } else {
                None
            },
        })
    }
    fn synapse_group(&mut self) -> Result<SynapseGroupState> {
        Ok(SynapseGroupState {
            name: self.named()?,
            connectivity: SparseConnectivity {
                num_pre: self.u32("connectivity.num_pre")?,
                num_post: self.u32("connectivity.num_post")?,
                row_ptr: self.vec_u64("connectivity.row_ptr")?,
                ind: self.vec_u32("connectivity.ind")?,
            },
            wu_vars: self.vars("wu_vars")?,
            pre_vars: self.vars("pre_vars")?,
            post_vars: self.vars("post_vars")?,
            egps: self.egps()?,
            event_times: self.times("event_times")?,
            recent_events: self.queue("recent_events")?,
        })
    }
    fn state(&mut self) -> Result<SimState> {
        Ok(SimState {
            step: self.u64("step")?,
            dt: self.f64("dt")?,
            seed: self.u64("seed")?,
            precision: match self.tag("precision", 2, "0 = F32 or 1 = F64")? {
                0 => Precision::F32,
                _ => Precision::F64,
            },
            // Minimum encoded sizes: name length + 3 vector lengths + 2 tags.
            populations: self.seq("populations", 4 + 3 * 8 + 2, Self::population)?,
            // Name length, num_pre/num_post, 7 vector lengths, 1 tag.
            synapse_groups: self.seq("synapse_groups", 4 + 8 + 7 * 8 + 1, Self::synapse_group)?,
            postsynaptic_targets: self.seq("postsynaptic_targets", 8 + 9, |r| {
                Ok(PostsynapticState {
                    vars: r.vars("vars")?,
                    ring: r.var("ring")?,
                })
            })?,
            current_sources: self.seq("current_sources", 4 + 2 * 8, |r| {
                Ok(CurrentSourceState {
                    name: r.named()?,
                    vars: r.vars("vars")?,
                    egps: r.egps()?,
                })
            })?,
            var_recordings: self.seq("var_recordings", 3 * 8, |r| {
                Ok(RecordedVar {
                    times: r.vec_f64("times")?,
                    neurons: r.vec_u32("neurons")?,
                    values: r.vec_f64("values")?,
                })
            })?,
        })
    }
}

/// Decodes a checkpoint file's bytes: checks magic, version, length and
/// checksum, then decodes the payload. Never panics, whatever the bytes;
/// errors are [`IoError::NotACheckpoint`], [`IoError::UnsupportedVersion`],
/// [`IoError::Truncated`], [`IoError::ChecksumMismatch`] and
/// [`IoError::Corrupt`] (without a path: [`load_checkpoint`] adds it).
pub fn decode_checkpoint(bytes: &[u8]) -> Result<SimState> {
    let len = bytes.len();
    let truncated = |what: &str, expected: usize| IoError::Truncated {
        path: None,
        what: what.to_string(),
        expected: expected as u64,
        found: len as u64,
    };
    let magic = &bytes[..len.min(CHECKPOINT_MAGIC.len())];
    if magic != &CHECKPOINT_MAGIC[..magic.len()] {
        return Err(IoError::NotACheckpoint {
            path: None,
            found: magic.to_vec(),
        });
    }
    if len < 12 {
        return Err(truncated("header", HEADER_LEN));
    }
    let mut header = Reader {
        buf: &bytes[..len.min(HEADER_LEN)],
        pos: 8,
        scope: vec!["header".to_string()],
    };
    let version = header.u32("version")?;
    if version != CHECKPOINT_VERSION {
        return Err(IoError::UnsupportedVersion {
            path: None,
            found: version,
            supported: CHECKPOINT_VERSION,
        });
    }
    if len < HEADER_LEN {
        return Err(truncated("header", HEADER_LEN));
    }
    let payload = header.u64("payload length")?;
    let total = payload.saturating_add((HEADER_LEN + CHECKSUM_LEN) as u64);
    if (len as u64) < total {
        return Err(IoError::Truncated {
            path: None,
            what: format!("file (the header announces a payload of {payload} bytes)"),
            expected: total,
            found: len as u64,
        });
    }
    // total <= len: the conversions below are exact.
    let end = total as usize - CHECKSUM_LEN;
    let mut stored = [0; 4];
    stored.copy_from_slice(&bytes[end..end + CHECKSUM_LEN]);
    let stored = u32::from_le_bytes(stored);
    let computed = crc32fast::hash(&bytes[..end]);
    if stored != computed {
        return Err(IoError::ChecksumMismatch {
            path: None,
            stored,
            computed,
        });
    }
    if len as u64 > total {
        return Err(IoError::Corrupt {
            path: None,
            what: "file".to_string(),
            reason: format!(
                "{} bytes after the checksum (the header announces {total} bytes in all)",
                len as u64 - total
            ),
        });
    }
    let mut r = Reader {
        buf: &bytes[HEADER_LEN..end],
        pos: 0,
        scope: Vec::new(),
    };
    let state = r.state()?;
    if r.remaining() > 0 {
        return Err(r.corrupt(
            "",
            format!("{} bytes left over after the state", r.remaining()),
        ));
    }
    Ok(state)
}

// ---------------------------------------------------------------- files

/// Puts `path` into a checkpoint error that has none.
fn with_path(e: IoError, file: &Path) -> IoError {
    let mut e = e;
    match &mut e {
        IoError::NotACheckpoint { path, .. }
        | IoError::UnsupportedVersion { path, .. }
        | IoError::Truncated { path, .. }
        | IoError::ChecksumMismatch { path, .. }
        | IoError::Corrupt { path, .. } => {
            path.get_or_insert_with(|| file.to_path_buf());
        }
        _ => {}
    }
    e
}

/// Distinguishes the temporary files of concurrent saves in one process.
static SAVE_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Writes `state` to `path` atomically, creating the parent directory if
/// needed: the checkpoint goes to a temporary file `<name>.tmp-<pid>-<n>`
/// in the same directory, which is flushed to disk (`sync_all`) and then
/// renamed over `path` (on Unix the directory is synced too, best effort).
/// An interrupted or failed save leaves any previous checkpoint at `path`
/// as it was; on error the temporary file is removed.
pub fn save_checkpoint(path: impl AsRef<Path>, state: &SimState) -> Result<()> {
    let path = path.as_ref();
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| IoError::Io { path: p, source }
    };
    let name = path.file_name().ok_or_else(|| {
        io(path)(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a checkpoint path must name a file",
        ))
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let n = SAVE_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp_name = name.to_os_string();
    tmp_name.push(format!(".tmp-{}-{n}", std::process::id()));
    let tmp: PathBuf = dir.join(tmp_name);
    let write = || -> Result<()> {
        let f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        write_checkpoint(f, state).map_err(io(&tmp))?;
        std::fs::rename(&tmp, path).map_err(io(path))
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        // Makes the rename itself durable; some file systems refuse, and
        // the checkpoint is complete either way.
        let _ = d.sync_all();
    }
    Ok(())
}

/// Reads a checkpoint that [`save_checkpoint`] wrote. Errors name the
/// file: [`IoError::Io`] when it cannot be read, otherwise those of
/// [`decode_checkpoint`].
pub fn load_checkpoint(path: impl AsRef<Path>) -> Result<SimState> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| IoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_checkpoint(&bytes).map_err(|e| with_path(e, path))
}
