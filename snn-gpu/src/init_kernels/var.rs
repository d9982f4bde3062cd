//! Variable initialisation: what an [`InitProgram`](super::InitProgram)(super::InitProgram)
//! registered for one variable, and running it.

use super::args::{FillDense, FillRagged, FillValue, Scatter};
use super::program::{float_arg, launch, upload_floats};
use super::source::{storage_bytes, width_type, Layout};
use super::InitError;
use crate::device::{Arg, Device};
use snn_core::init::VarInit;
use snn_core::ir::IrType;
use snn_core::Precision;

/// How a [`VarInitKernel`] initialises its variable.
#[derive(Clone, Debug)]
pub(super) enum VarOp {
    /// Every element gets these bits (of the storage width).
    Fill { width: usize, bits: u64 },
    /// A built-in distribution.
    Random {
        kernel: String,
        draw: Precision,
        params: [f64; 4],
        trials: u32,
    },
    /// A user snippet's printed code.
    Snippet {
        kernel: String,
        draw: Precision,
        constants: Vec<f64>,
    },
    /// Computed on the host (`VarInit::fill`) and uploaded.
    Host { init: VarInit, reason: String },
}

/// The elements a [`VarInitKernel`] writes.
pub enum Target<'a, B> {
    /// `n` elements, element `i` at index `i`.
    Dense {
        /// Number of elements.
        n: u32,
    },
    /// The synapses of a ragged connectivity.
    Ragged(RaggedRows<'a, B>),
}

/// A ragged connectivity on the device, as built by [`ConnectivityKernel::build`](super::ConnectivityKernel::build).
pub struct RaggedRows<'a, B> {
    /// Row lengths (`u32[num_pre]`).
    pub row_length: &'a B,
    /// CSR position of each row's first synapse, modulo 2^32 (`u32[num_pre]`).
    pub row_offset: &'a B,
    /// Number of rows.
    pub num_pre: u32,
    /// The stride (slots per row, at least 1).
    pub stride: u32,
    /// Number of synapses (the sum of the row lengths).
    pub num_synapses: u64,
}

/// The initialisation of one variable, registered with an [`InitProgram`](super::InitProgram).
#[derive(Clone, Debug)]
pub struct VarInitKernel {
    /// The variable's IR type.
    pub(super) ty: IrType,
    /// The network precision.
    pub(super) precision: Precision,
    /// The layout it was registered for.
    pub(super) layout: Layout,
    /// What it does.
    pub(super) op: VarOp,
}

impl VarInitKernel {
    /// Why the values are computed on the host, or `None` when a kernel
    /// computes them.
    pub fn host_reason(&self) -> Option<&str> {
        match &self.op {
            VarOp::Host { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The layout it was registered for.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Initialises `out` (the variable's buffer, storage type of its IR
    /// type: [`storage_type`](super::storage_type)) over `target`, with the variable's `stream` id
    /// under the network's `seed`. The program must be compiled.
    ///
    /// Launches are asynchronous, except that host values and snippet
    /// constants are uploaded (blocking) and waited for before returning.
    /// `Values` initialisers are checked against the number of elements
    /// ([`InitError::InvalidVarInit`] with empty owner and variable).
    pub fn run<D: Device>(
        &self,
        device: &D,
        out: &D::Buffer,
        target: &Target<'_, D::Buffer>,
        seed: u64,
        stream: u32,
    ) -> Result<(), InitError> {
        let layout = match target {
            Target::Dense { .. } => Layout::Dense,
            Target::Ragged(_) => Layout::Ragged,
        };
        if layout != self.layout {
            return Err(InitError::Usage(format!(
                "a variable kernel registered for the {} layout run on the {} layout",
                self.layout.tag(),
                layout.tag()
            )));
        }
        match &self.op {
            VarOp::Fill { width, bits } => {
                let value = FillValue {
                    width: *width,
                    bits: *bits,
                };
                run_fill(device, out, target, value)
            }
            VarOp::Random {
                kernel,
                draw,
                params,
                trials,
            } => {
                let mut args = generated_args(out, target, seed, stream);
                args.extend(params.iter().map(|&x| float_arg(*draw, x)));
                args.push(Arg::U32(*trials));
                launch(device, kernel, work(target), &args)
            }
            VarOp::Snippet {
                kernel,
                draw,
                constants,
            } => {
                let consts = upload_floats(device, *draw, constants)?;
                let mut args = generated_args(out, target, seed, stream);
                args.push(Arg::Buffer(&consts));
                launch(device, kernel, work(target), &args)?;
                device.synchronize()?;
                Ok(())
            }
            VarOp::Host { init, .. } => self.run_host(device, init, out, target, seed, stream),
        }
    }

    /// Computes the values on the host (`VarInit::fill`) and uploads them
    /// (scattered from CSR order on the ragged layout); waits.
    fn run_host<D: Device>(
        &self,
        device: &D,
        init: &VarInit,
        out: &D::Buffer,
        target: &Target<'_, D::Buffer>,
        seed: u64,
        stream: u32,
    ) -> Result<(), InitError> {
        let num_elements = match target {
            Target::Dense { n } => *n as u64,
            Target::Ragged(r) => r.num_synapses,
        };
        let n = usize::try_from(num_elements)
            .map_err(|_| InitError::TooLarge(format!("{num_elements} elements")))?;
        init.validate(n)
            .map_err(|reason| InitError::InvalidVarInit {
                owner: String::new(),
                var: String::new(),
                reason,
            })?;
        let bytes = host_var_values(init, self.ty, self.precision, n, seed, stream).to_bytes();
        match target {
            Target::Dense { .. } => device.write(out, 0, &bytes)?,
            Target::Ragged(r) => {
                let width = storage_bytes(self.ty, self.precision);
                let csr = device.alloc_zeroed(bytes.len())?;
                device.write(&csr, 0, &bytes)?;
                let (_, s) = width_type(width);
                let args = Scatter {
                    out,
                    csr: &csr,
                    row_length: r.row_length,
                    row_offset: r.row_offset,
                    num_pre: r.num_pre,
                    stride: r.stride,
                };
                let name = format!("snn_init_scatter_{s}");
                launch(device, &name, work(target), &args.args())?;
                device.synchronize()?;
            }
        }
        Ok(())
    }
}

/// The number of threads of a variable kernel on `target`.
fn work<B>(target: &Target<'_, B>) -> u64 {
    match target {
        Target::Dense { n } => *n as u64,
        Target::Ragged(r) => r.num_pre as u64 * r.stride as u64,
    }
}

/// The leading arguments of a generated variable kernel (distribution or
/// snippet): `out`, the parameters of the layout ([`Layout::params`]),
/// `seed`, `stream`.
fn generated_args<'a, B>(
    out: &'a B,
    target: &Target<'a, B>,
    seed: u64,
    stream: u32,
) -> Vec<Arg<'a, B>> {
    let mut args = vec![Arg::Buffer(out)];
    match target {
        Target::Dense { n } => args.push(Arg::U32(*n)),
        Target::Ragged(r) => args.extend([
            Arg::Buffer(r.row_length),
            Arg::Buffer(r.row_offset),
            Arg::U32(r.num_pre),
            Arg::U32(r.stride),
        ]),
    }
    args.extend([Arg::U64(seed), Arg::U32(stream)]);
    args
}

/// Fills every element of `target` in `out` with `value`.
fn run_fill<D: Device>(
    device: &D,
    out: &D::Buffer,
    target: &Target<'_, D::Buffer>,
    value: FillValue,
) -> Result<(), InitError> {
    let (_, s) = width_type(value.width);
    match target {
        Target::Dense { n } => {
            let args = FillDense { out, n: *n, value };
            let name = format!("snn_init_fill_dense_{s}");
            launch(device, &name, work(target), &args.args())
        }
        Target::Ragged(r) => {
            let args = FillRagged {
                out,
                row_length: r.row_length,
                num_pre: r.num_pre,
                stride: r.stride,
                value,
            };
            let name = format!("snn_init_fill_ragged_{s}");
            launch(device, &name, work(target), &args.args())
        }
    }
}

/// The initial values of a variable as `InitialState` computes them
/// (the host path, used where the device cannot draw them).
pub use snn_core::initial::var_values as host_var_values;
