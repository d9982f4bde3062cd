//! Connectivity: what an [`InitProgram`](super::InitProgram)(super::InitProgram) registered
//! for one synapse group's rows, and building them.

use super::args::SortRows;
use super::args::{AllToAll, DrawRows, FixedNumberPre, FixedProbability, OneToOne, RowOffsets};
use super::program::{launch, upload_floats};
use super::{InitError, META_WORDS, SCAN_THREADS};
use crate::device::{Arg, Device, LaunchDims};
use snn_core::connectivity::{ConnectivitySnippetDyn, SparseConnectivity};
use snn_core::rng::RngStream;
use snn_core::Precision;
use std::sync::Arc;

/// The populations a connectivity joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Presynaptic neurons (rows).
    pub num_pre: u32,
    /// Postsynaptic neurons (columns).
    pub num_post: u32,
    /// Whether pre and post are one population (autapses matter).
    pub same_population: bool,
}

/// How a [`ConnectivityKernel`] builds its rows.
#[derive(Clone, Debug)]
pub(super) enum ConnOp {
    /// No synapses.
    Empty,
    OneToOne,
    /// Every row: `0..num_post`, without `i` if `excl`.
    AllToAll {
        excl: bool,
    },
    FixedProbability {
        ln_q: f64,
        excl: bool,
    },
    FixedNumberPost {
        n: u32,
        excl: bool,
    },
    FixedNumberPre {
        n: u32,
        excl: bool,
    },
    /// Row lengths drawn on the host.
    FixedNumberTotal {
        lengths: Vec<u32>,
    },
    Snippet {
        kernel: String,
        constants: Vec<f64>,
        snippet: Arc<dyn ConnectivitySnippetDyn>,
    },
    /// Built on the host and uploaded.
    Host {
        conn: SparseConnectivity,
        reason: String,
    },
}

/// Device buffers of one ragged connectivity.
pub struct ConnBuffers<'a, B> {
    /// `u32[num_pre]`: row lengths.
    pub row_length: &'a B,
    /// `u32[num_pre * stride]`: targets.
    pub ind: &'a B,
    /// `u32[num_pre]`: CSR position of each row's first synapse (mod 2^32).
    pub row_offset: &'a B,
    /// `u32[META_WORDS]`: status words (see [`META_WORDS`]).
    pub meta: &'a B,
}

/// The construction of one connectivity, registered with an [`InitProgram`](super::InitProgram).
#[derive(Clone, Debug)]
pub struct ConnectivityKernel {
    /// The populations it joins.
    pub(super) shape: Shape,
    /// The network's seed.
    pub(super) seed: u64,
    /// The group's connectivity stream.
    pub(super) stream: u32,
    /// The analytical stride (at least 1).
    pub(super) stride: u32,
    /// What it does.
    pub(super) op: ConnOp,
}

impl ConnectivityKernel {
    /// The ragged stride to allocate `ind` with (at least 1): see the module docs.
    pub fn stride(&self) -> u32 {
        self.stride
    }

    /// Why the connectivity is built on the host, or `None` when kernels build it.
    pub fn host_reason(&self) -> Option<&str> {
        match &self.op {
            ConnOp::Host { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// Builds the rows into `bufs` with `stride` slots per row (`ind` must
    /// hold `num_pre * stride` words), computes the row offsets, waits and
    /// returns the number of synapses. The program must be compiled.
    ///
    /// Errors: [`InitError::RowOverflow`] when a row is longer than
    /// `stride` (rebuild with `needed`); [`InitError::InvalidConnectivity`]
    /// (group left empty) when a snippet adds an out-of-range target, with
    /// the host's message.
    pub fn build<D: Device>(
        &self,
        device: &D,
        bufs: &ConnBuffers<'_, D::Buffer>,
        stride: u32,
    ) -> Result<u64, InitError> {
        if stride == 0 {
            return Err(InitError::Usage("a ragged stride of 0".into()));
        }
        device.zero(bufs.meta)?;
        // Snippet constants, kept until the launches are done.
        let temp = self.build_rows(device, bufs, stride)?;
        let row_offsets = RowOffsets {
            row_length: bufs.row_length,
            row_offset: bufs.row_offset,
            n: self.shape.num_pre,
            meta: bufs.meta,
        };
        let dims = LaunchDims {
            blocks: 1,
            threads: SCAN_THREADS,
        };
        device.launch("snn_init_row_offsets", dims, &row_offsets.args())?;
        let mut raw = [0u8; META_WORDS * 4];
        device.read(bufs.meta, 0, &mut raw)?;
        drop(temp);
        self.check_meta(&raw, stride)
    }

    /// Launches the kernels (or uploads the host rows) that write the row
    /// lengths and targets; returns a buffer the launches still read.
    fn build_rows<D: Device>(
        &self,
        device: &D,
        bufs: &ConnBuffers<'_, D::Buffer>,
        stride: u32,
    ) -> Result<Option<D::Buffer>, InitError> {
        let Shape {
            num_pre, num_post, ..
        } = self.shape;
        let (seed, stream) = (self.seed, self.stream);
        let rows = num_pre as u64;
        let (row_length, ind, meta) = (bufs.row_length, bufs.ind, bufs.meta);
        let draw_rows = |fixed: Option<u32>, excl: bool| {
            let args = DrawRows {
                row_length,
                ind,
                num_pre,
                num_post,
                stride,
                seed,
                stream,
                fixed: fixed.is_some() as u32,
                fixed_len: fixed.unwrap_or(0),
                excl: excl as u32,
                meta,
            };
            launch(device, "snn_init_conn_draw_rows", rows, &args.args())
        };
        match &self.op {
            ConnOp::Empty => device.zero(bufs.row_length)?,
            ConnOp::OneToOne => {
                let args = OneToOne {
                    row_length,
                    ind,
                    num_pre,
                    stride,
                };
                launch(device, "snn_init_conn_one_to_one", rows, &args.args())?
            }
            ConnOp::AllToAll { excl } => {
                let len = num_post - *excl as u32;
                if len > stride {
                    return Err(InitError::RowOverflow {
                        needed: len,
                        stride,
                    });
                }
                let args = AllToAll {
                    row_length,
                    ind,
                    num_pre,
                    len,
                    stride,
                    excl: *excl as u32,
                };
                let work = rows * stride as u64;
                launch(device, "snn_init_conn_all_to_all", work, &args.args())?
            }
            ConnOp::FixedProbability { ln_q, excl } => {
                let args = FixedProbability {
                    row_length,
                    ind,
                    num_pre,
                    num_post,
                    stride,
                    seed,
                    stream,
                    ln_q: *ln_q,
                    excl: *excl as u32,
                    meta,
                };
                launch(
                    device,
                    "snn_init_conn_fixed_probability",
                    rows,
                    &args.args(),
                )?
            }
            ConnOp::FixedNumberPost { n, excl } => draw_rows(Some(*n), *excl)?,
            ConnOp::FixedNumberPre { n, excl } => {
                self.fixed_number_pre(device, bufs, stride, *n, *excl)?
            }
            ConnOp::FixedNumberTotal { lengths } => {
                device.write(bufs.row_length, 0, bytemuck::cast_slice(lengths))?;
                draw_rows(None, false)?;
            }
            ConnOp::Snippet {
                kernel, constants, ..
            } => {
                return self
                    .run_snippet(device, bufs, stride, kernel, constants)
                    .map(Some)
            }
            ConnOp::Host { conn, .. } => upload_host_rows(device, bufs, conn, num_pre, stride)?,
        }
        Ok(None)
    }

    /// Launches snippet kernel `kernel` with its `constants`; returns the
    /// constants' buffer, which the launch still reads.
    fn run_snippet<D: Device>(
        &self,
        device: &D,
        bufs: &ConnBuffers<'_, D::Buffer>,
        stride: u32,
        kernel: &str,
        constants: &[f64],
    ) -> Result<D::Buffer, InitError> {
        let consts = upload_floats(device, Precision::F64, constants)?;
        // The generated signature of `InitProgram::conn_snippet_kernel`.
        let args = [
            Arg::Buffer(bufs.row_length),
            Arg::Buffer(bufs.ind),
            Arg::U32(self.shape.num_pre),
            Arg::U32(self.shape.num_post),
            Arg::U32(stride),
            Arg::U64(self.seed),
            Arg::U32(self.stream),
            Arg::Buffer(&consts),
            Arg::Buffer(bufs.meta),
        ];
        launch(device, kernel, self.shape.num_pre as u64, &args)?;
        Ok(consts)
    }

    /// Fixed number pre: columns append themselves to their sources' rows,
    /// then the rows are cut and sorted.
    fn fixed_number_pre<D: Device>(
        &self,
        device: &D,
        bufs: &ConnBuffers<'_, D::Buffer>,
        stride: u32,
        n: u32,
        excl: bool,
    ) -> Result<(), InitError> {
        let Shape {
            num_pre, num_post, ..
        } = self.shape;
        device.zero(bufs.row_length)?;
        let args = FixedNumberPre {
            row_length: bufs.row_length,
            ind: bufs.ind,
            num_pre,
            num_post,
            stride,
            seed: self.seed,
            stream: self.stream,
            n,
            excl: excl as u32,
        };
        let name = "snn_init_conn_fixed_number_pre";
        launch(device, name, num_post as u64, &args.args())?;
        let args = SortRows {
            row_length: bufs.row_length,
            ind: bufs.ind,
            num_pre,
            stride,
            meta: bufs.meta,
        };
        launch(
            device,
            "snn_init_conn_sort_rows",
            num_pre as u64,
            &args.args(),
        )
    }

    /// The number of synapses from the status words `raw` (see
    /// [`META_WORDS`]), or the error they report.
    fn check_meta(&self, raw: &[u8], stride: u32) -> Result<u64, InitError> {
        let meta: Vec<u32> = raw
            .chunks_exact(4)
            .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if meta[1] != 0 {
            let row = u32::MAX - meta[1];
            return Err(InitError::InvalidConnectivity {
                group: String::new(),
                reason: self.out_of_range_message(row),
            });
        }
        if meta[0] != 0 {
            return Err(InitError::RowOverflow {
                needed: meta[0],
                stride,
            });
        }
        Ok(meta[2] as u64 | (meta[3] as u64) << 32)
    }

    /// The host's message for row `row` of a snippet adding an out-of-range
    /// target: the row is rebuilt on the host to name the target.
    fn out_of_range_message(&self, row: u32) -> String {
        let Shape {
            num_pre, num_post, ..
        } = self.shape;
        let ConnOp::Snippet { snippet, .. } = &self.op else {
            return format!("row {row} has a target out of range for {num_post} neurons");
        };
        let mut targets = Vec::new();
        let mut rng = RngStream::new(self.seed, self.stream, 0, row);
        snippet.build_row(row, num_pre, num_post, &mut rng, &mut targets);
        targets.sort_unstable();
        let j = targets
            .iter()
            .copied()
            .find(|&j| j >= num_post)
            .unwrap_or(num_post);
        format!(
            "{}: row {row} adds a synapse to postsynaptic neuron {j}, out of range for \
             {num_post} neurons",
            snippet.name()
        )
    }
}

/// Row lengths of fixed total number, drawn on the host as the CPU draws
/// them (`O(num_pre)` work). `num_pre >= 1`.
pub use snn_core::connectivity::multinomial_row_lengths as fixed_total_row_lengths;

/// Writes the rows of a host-built connectivity into `bufs` (ragged, with
/// `stride` slots per row) of `num_pre` rows.
fn upload_host_rows<D: Device>(
    device: &D,
    bufs: &ConnBuffers<'_, D::Buffer>,
    conn: &SparseConnectivity,
    num_pre: u32,
    stride: u32,
) -> Result<(), InitError> {
    let lengths = conn.row_lengths();
    let needed = lengths.iter().copied().max().unwrap_or(0);
    if needed > stride {
        return Err(InitError::RowOverflow { needed, stride });
    }
    let mut ind = vec![0u32; num_pre as usize * stride as usize];
    for i in 0..num_pre {
        let start = i as usize * stride as usize;
        let row = conn.row(i);
        ind[start..start + row.len()].copy_from_slice(row);
    }
    device.write(bufs.row_length, 0, bytemuck::cast_slice(&lengths))?;
    device.write(bufs.ind, 0, bytemuck::cast_slice(&ind))?;
    Ok(())
}
