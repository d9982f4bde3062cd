//! Fixed kernel source (the `.h` files next to this module) and the
//! helpers that print the generated, per-model kernels' pieces.

use snn_core::ir::IrType;
use snn_core::Precision;
use snn_kernels::cgen::CType;
use snn_kernels::network::elem_bytes;

/// Helpers and the kernels every init program has (no `double`): `library.h`.
pub(super) const LIBRARY: &str = include_str!("library.h");

/// The fixed-probability kernel (needs `double`): `fixed_probability.h`.
pub(super) const FIXED_PROBABILITY: &str = include_str!("fixed_probability.h");

/// The fill and scatter kernels of one element width (`fill_scatter.h`), a
/// template: `@T@` is the element type, `@S@` its name suffix, `@VALUE@`
/// the type of the fill value (see [`width_kernels`]).
pub(super) const FILL_SCATTER: &str = include_str!("fill_scatter.h");

/// How elements of a variable are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// One element per index (neurons, postsynaptic targets).
    Dense,
    /// Synapses in ragged rows: row `i`, position `k` at `i * stride + k`,
    /// keyed by CSR position; padding slots are left untouched.
    Ragged,
}

impl Layout {
    /// The layout's name in kernel names and messages.
    pub(super) fn tag(self) -> &'static str {
        match self {
            Layout::Dense => "dense",
            Layout::Ragged => "ragged",
        }
    }
    /// The C parameters of the layout in a variable kernel.
    pub(super) fn params(self) -> &'static str {
        match self {
            Layout::Dense => "unsigned int n",
            Layout::Ragged => {
                "GLOBAL const unsigned int *row_length, GLOBAL const unsigned int *row_offset, \
                 unsigned int num_pre, unsigned int stride"
            }
        }
    }
    /// Declares `idx` (the slot written) and `element` (the RNG element).
    pub(super) fn prologue(self) -> &'static str {
        match self {
            Layout::Dense => {
                "    const snn_u64 idx = SNN_INIT_GID;\n    unsigned int element;\n    \
                 if (idx >= (snn_u64)n) {\n        return;\n    }\n    \
                 element = (unsigned int)idx;\n"
            }
            Layout::Ragged => {
                "    const snn_u64 idx = SNN_INIT_GID;\n    unsigned int element;\n    \
                 if (idx >= (snn_u64)num_pre * stride) {\n        return;\n    }\n    {\n        \
                 const unsigned int row = (unsigned int)(idx / stride);\n        \
                 const unsigned int k = (unsigned int)(idx % stride);\n        \
                 if (k >= row_length[row]) {\n            return;\n        }\n        \
                 element = row_offset[row] + k;\n    }\n"
            }
        }
    }
}

/// The C storage type of a variable of IR type `ty` (`bool` as `unsigned char`).
pub fn storage_type(ty: IrType, precision: Precision) -> CType {
    match CType::from_ir(ty, precision) {
        CType::Bool => CType::U8,
        CType::Usize => CType::U32,
        t => t,
    }
}

/// Bytes per element of a variable of IR type `ty`.
pub fn storage_bytes(ty: IrType, precision: Precision) -> usize {
    elem_bytes(storage_type(ty, precision))
}

/// The unsigned C type of `width` bytes, and its name suffix.
pub(super) fn width_type(width: usize) -> (&'static str, &'static str) {
    match width {
        1 => ("unsigned char", "u8"),
        2 => ("unsigned short", "u16"),
        4 => ("unsigned int", "u32"),
        _ => ("snn_u64", "u64"),
    }
}

/// Fill and scatter kernels of one element width.
pub(super) fn width_kernels(width: usize) -> String {
    let (t, s) = width_type(width);
    let value = if width == 8 {
        "snn_u64"
    } else {
        "unsigned int"
    };
    FILL_SCATTER
        .replace("@T@", t)
        .replace("@S@", s)
        .replace("@VALUE@", value)
}

/// The built-in random distributions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Dist {
    /// `VarInit::Uniform`.
    Uniform,
    /// `VarInit::Normal`.
    Normal,
    /// `VarInit::NormalClipped`.
    NormalClipped,
    /// `VarInit::Exponential`.
    Exponential,
    /// `VarInit::Gamma`.
    Gamma,
    /// `VarInit::Binomial`.
    Binomial,
}

impl Dist {
    /// The distribution's name in kernel names.
    pub(super) fn tag(self) -> &'static str {
        match self {
            Dist::Uniform => "uniform",
            Dist::Normal => "normal",
            Dist::NormalClipped => "normal_clipped",
            Dist::Exponential => "exponential",
            Dist::Gamma => "gamma",
            Dist::Binomial => "binomial",
        }
    }
    /// Statements setting `x` (C type `f`, suffix `s`) from `p0..p3`,
    /// `trials` and `rng`, as `VarInit::sample` computes it.
    pub(super) fn code(self, f: &str, s: &str) -> String {
        match self {
            Dist::Uniform => format!("        x = p0 + (p1 - p0) * snn_uniform_{s}(&rng);\n"),
            Dist::Normal => format!("        x = p0 + p1 * snn_normal_{s}(&rng);\n"),
            Dist::NormalClipped => format!(
                "        for (;;) {{\n            x = p0 + p1 * snn_normal_{s}(&rng);\n            \
                 if (x >= p2 && x <= p3) {{\n                break;\n            }}\n        }}\n"
            ),
            Dist::Exponential => format!("        x = snn_exponential_{s}(&rng) / p0;\n"),
            Dist::Gamma => format!("        x = p1 * snn_gamma_{s}(&rng, p0);\n"),
            Dist::Binomial => format!("        x = ({f})snn_binomial_{s}(&rng, trials, p0);\n"),
        }
    }
}

/// The name suffix of precision `p` (`f32`, `f64`).
pub(super) fn suffix(p: Precision) -> &'static str {
    match p {
        Precision::F32 => "f32",
        Precision::F64 => "f64",
    }
}

/// The C float type of precision `p`.
pub(super) fn float_name(p: Precision) -> &'static str {
    match p {
        Precision::F32 => "float",
        Precision::F64 => "double",
    }
}

/// C expression storing the draw `x` (of precision `draw`) in a variable of
/// type `ty`, like `VarArray::set_f64` (Rust's `as`).
pub(super) fn store_expr(ty: IrType, draw: Precision, x: &str) -> String {
    match ty {
        IrType::Scalar => x.to_string(),
        IrType::F32 if draw == Precision::F32 => x.to_string(),
        IrType::F32 => format!("(float){x}"),
        IrType::F64 => x.to_string(),
        IrType::I32 => format!("snn_f64_to_i32({x})"),
        IrType::U32 | IrType::Usize => format!("snn_f64_to_u32({x})"),
        IrType::I64 => format!("snn_f64_to_i64({x})"),
        IrType::U64 => format!("snn_f64_to_u64({x})"),
        IrType::U8 if draw == Precision::F32 => format!("snn_f32_to_u8({x})"),
        IrType::U16 if draw == Precision::F32 => format!("snn_f32_to_u16({x})"),
        IrType::Bool if draw == Precision::F32 => format!("(unsigned char)({x} != 0.0f)"),
        IrType::U8 => format!("snn_f64_to_u8({x})"),
        IrType::U16 => format!("snn_f64_to_u16({x})"),
        IrType::Bool => format!("(unsigned char)({x} != 0.0)"),
    }
}
