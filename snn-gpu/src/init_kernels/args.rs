//! The launch arguments of the fixed kernels (`library.h`,
//! `fixed_probability.h`, `fill_scatter.h`), each defined once: a struct per
//! kernel whose fields are the kernel's C parameters, in order and by name.
//! [`args`](RowOffsets::args) turns it into the launch's [`Arg`] list; the
//! tests parse every fixed kernel's C signature from the `.h` text and check
//! the names and kinds (buffer, `u32`, `u64`, `float`, `double`) against
//! these definitions, so the two cannot drift apart silently.

use crate::device::Arg;

/// A value passed as one kernel argument.
pub(super) trait IntoArg<'a, B> {
    /// The launch argument.
    fn arg(&self) -> Arg<'a, B>;
}

impl<'a, B> IntoArg<'a, B> for &'a B {
    fn arg(&self) -> Arg<'a, B> {
        Arg::Buffer(self)
    }
}

impl<'a, B> IntoArg<'a, B> for u32 {
    fn arg(&self) -> Arg<'a, B> {
        Arg::U32(*self)
    }
}

impl<'a, B> IntoArg<'a, B> for u64 {
    fn arg(&self) -> Arg<'a, B> {
        Arg::U64(*self)
    }
}

impl<'a, B> IntoArg<'a, B> for f64 {
    fn arg(&self) -> Arg<'a, B> {
        Arg::F64(*self)
    }
}

/// The fill value of a fill kernel: `bits` of an element of `width` bytes,
/// passed as `unsigned int` (widths 1, 2, 4) or `snn_u64` (width 8), as the
/// `@VALUE@` of `fill_scatter.h`.
#[derive(Clone, Copy, Debug)]
pub(super) struct FillValue {
    /// Element width in bytes.
    pub(super) width: usize,
    /// The element's bit pattern.
    pub(super) bits: u64,
}

impl<'a, B> IntoArg<'a, B> for FillValue {
    fn arg(&self) -> Arg<'a, B> {
        if self.width == 8 {
            Arg::U64(self.bits)
        } else {
            Arg::U32(self.bits as u32)
        }
    }
}

/// Defines the argument struct of a kernel: its fields are the C
/// parameters in order; `PARAMS` names them and `args` lists them.
macro_rules! kernel_args {
    ($(
        $(#[$doc:meta])*
        $name:ident { $($field:ident: $ty:ty),* $(,)? }
    )*) => {$(
        $(#[$doc])*
        pub(super) struct $name<'a, B> {
            $(
                #[doc = concat!("The C parameter `", stringify!($field), "`.")]
                pub(super) $field: $ty,
            )*
        }

        impl<'a, B> $name<'a, B> {
            /// The C parameter names, in order.
            #[cfg_attr(not(test), allow(dead_code))]
            pub(super) const PARAMS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The launch arguments, in the order of the C signature.
            pub(super) fn args(&self) -> Vec<Arg<'a, B>> {
                vec![$(IntoArg::<'a, B>::arg(&self.$field)),*]
            }
        }
    )*};
}

kernel_args! {
    /// `snn_init_row_offsets` (`library.h`).
    RowOffsets { row_length: &'a B, row_offset: &'a B, n: u32, meta: &'a B }
    /// `snn_init_conn_one_to_one` (`library.h`).
    OneToOne { row_length: &'a B, ind: &'a B, num_pre: u32, stride: u32 }
    /// `snn_init_conn_all_to_all` (`library.h`).
    AllToAll { row_length: &'a B, ind: &'a B, num_pre: u32, len: u32, stride: u32, excl: u32 }
    /// `snn_init_conn_draw_rows` (`library.h`).
    DrawRows {
        row_length: &'a B, ind: &'a B, num_pre: u32, num_post: u32, stride: u32, seed: u64,
        stream: u32, fixed: u32, fixed_len: u32, excl: u32, meta: &'a B,
    }
    /// `snn_init_conn_fixed_number_pre` (`library.h`).
    FixedNumberPre {
        row_length: &'a B, ind: &'a B, num_pre: u32, num_post: u32, stride: u32, seed: u64,
        stream: u32, n: u32, excl: u32,
    }
    /// `snn_init_conn_sort_rows` (`library.h`).
    SortRows { row_length: &'a B, ind: &'a B, num_pre: u32, stride: u32, meta: &'a B }
    /// `snn_init_conn_fixed_probability` (`fixed_probability.h`).
    FixedProbability {
        row_length: &'a B, ind: &'a B, num_pre: u32, num_post: u32, stride: u32, seed: u64,
        stream: u32, ln_q: f64, excl: u32, meta: &'a B,
    }
    /// `snn_init_fill_dense_{u8,u16,u32,u64}` (`fill_scatter.h`).
    FillDense { out: &'a B, n: u32, value: FillValue }
    /// `snn_init_fill_ragged_{u8,u16,u32,u64}` (`fill_scatter.h`).
    FillRagged { out: &'a B, row_length: &'a B, num_pre: u32, stride: u32, value: FillValue }
    /// `snn_init_scatter_{u8,u16,u32,u64}` (`fill_scatter.h`).
    Scatter {
        out: &'a B, csr: &'a B, row_length: &'a B, row_offset: &'a B, num_pre: u32,
        stride: u32,
    }
    /// `snn_init_delay_check_{f32,f64,i32,...}`, generated per storage type
    /// by [`InitProgram::delay_check`](super::InitProgram::delay_check).
    DelayCheckArgs {
        v: &'a B, row_length: &'a B, num_pre: u32, stride: u32, max_delay: u32, meta: &'a B,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init_kernels::source::{
        width_kernels, width_type, FILL_SCATTER, FIXED_PROBABILITY, LIBRARY,
    };

    /// The kind of an argument or C parameter.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Kind {
        Buffer,
        U32,
        U64,
        F32,
        F64,
    }

    /// The kind of a launch argument.
    fn kind_of_arg(a: &Arg<'_, ()>) -> Kind {
        match a {
            Arg::Buffer(_) => Kind::Buffer,
            Arg::U32(_) => Kind::U32,
            Arg::U64(_) => Kind::U64,
            Arg::F32(_) => Kind::F32,
            Arg::F64(_) => Kind::F64,
        }
    }

    /// The kind of a C parameter declaration's type.
    fn kind_of_c(ty: &str) -> Kind {
        if ty.contains('*') {
            return Kind::Buffer;
        }
        match ty.split_whitespace().collect::<Vec<_>>().join(" ").as_str() {
            "unsigned int" => Kind::U32,
            "snn_u64" => Kind::U64,
            "float" => Kind::F32,
            "double" => Kind::F64,
            other => panic!("unexpected C parameter type `{other}`"),
        }
    }

    /// The parameters (name, kind) of `KERNEL void name(...)` in `source`.
    fn signature(source: &str, name: &str) -> Vec<(String, Kind)> {
        let head = format!("KERNEL void {name}(");
        let mut found = source.match_indices(&head);
        let (start, _) = found.next().unwrap_or_else(|| panic!("no kernel `{name}`"));
        assert!(found.next().is_none(), "kernel `{name}` defined twice");
        let rest = &source[start + head.len()..];
        let params = &rest[..rest.find(')').expect("closing parenthesis")];
        params
            .split(',')
            .map(|p| {
                let p = p.trim();
                let split = p
                    .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .expect("a type before the name");
                (p[split + 1..].to_string(), kind_of_c(&p[..=split]))
            })
            .collect()
    }

    /// Checks `args` and `names` against the C signature of `name` in `source`.
    fn check(source: &str, name: &str, names: &[&str], args: Vec<Arg<'_, ()>>) {
        let c = signature(source, name);
        let rust: Vec<(String, Kind)> = names
            .iter()
            .map(|n| n.to_string())
            .zip(args.iter().map(kind_of_arg))
            .collect();
        assert_eq!(names.len(), args.len(), "{name}: names and arguments");
        assert_eq!(rust, c, "{name}: launch arguments vs the C signature");
    }

    #[test]
    fn fixed_kernel_arguments_match_their_c_signatures() {
        let b = ();
        let lib = LIBRARY;
        let args = RowOffsets {
            row_length: &b,
            row_offset: &b,
            n: 0,
            meta: &b,
        };
        check(
            lib,
            "snn_init_row_offsets",
            RowOffsets::<()>::PARAMS,
            args.args(),
        );
        let args = OneToOne {
            row_length: &b,
            ind: &b,
            num_pre: 0,
            stride: 0,
        };
        check(
            lib,
            "snn_init_conn_one_to_one",
            OneToOne::<()>::PARAMS,
            args.args(),
        );
        let args = AllToAll {
            row_length: &b,
            ind: &b,
            num_pre: 0,
            len: 0,
            stride: 0,
            excl: 0,
        };
        check(
            lib,
            "snn_init_conn_all_to_all",
            AllToAll::<()>::PARAMS,
            args.args(),
        );
    }

    #[test]
    fn row_drawing_kernel_arguments_match_their_c_signatures() {
        let b = ();
        let lib = LIBRARY;
        let args = DrawRows {
            row_length: &b,
            ind: &b,
            num_pre: 0,
            num_post: 0,
            stride: 0,
            seed: 0,
            stream: 0,
            fixed: 0,
            fixed_len: 0,
            excl: 0,
            meta: &b,
        };
        check(
            lib,
            "snn_init_conn_draw_rows",
            DrawRows::<()>::PARAMS,
            args.args(),
        );
        let args = FixedNumberPre {
            row_length: &b,
            ind: &b,
            num_pre: 0,
            num_post: 0,
            stride: 0,
            seed: 0,
            stream: 0,
            n: 0,
            excl: 0,
        };
        let params = FixedNumberPre::<()>::PARAMS;
        check(lib, "snn_init_conn_fixed_number_pre", params, args.args());
        let args = SortRows {
            row_length: &b,
            ind: &b,
            num_pre: 0,
            stride: 0,
            meta: &b,
        };
        check(
            lib,
            "snn_init_conn_sort_rows",
            SortRows::<()>::PARAMS,
            args.args(),
        );
        let args = FixedProbability {
            row_length: &b,
            ind: &b,
            num_pre: 0,
            num_post: 0,
            stride: 0,
            seed: 0,
            stream: 0,
            ln_q: 0.0,
            excl: 0,
            meta: &b,
        };
        let params = FixedProbability::<()>::PARAMS;
        check(
            FIXED_PROBABILITY,
            "snn_init_conn_fixed_probability",
            params,
            args.args(),
        );
    }

    #[test]
    fn fill_and_scatter_arguments_match_their_c_signatures() {
        assert!(FILL_SCATTER.contains("@VALUE@"));
        let b = ();
        for width in [1, 2, 4, 8] {
            let text = width_kernels(width);
            let (_, s) = width_type(width);
            let value = FillValue { width, bits: 0 };
            let args = FillDense {
                out: &b,
                n: 0,
                value,
            };
            let name = format!("snn_init_fill_dense_{s}");
            check(&text, &name, FillDense::<()>::PARAMS, args.args());
            let args = FillRagged {
                out: &b,
                row_length: &b,
                num_pre: 0,
                stride: 0,
                value,
            };
            let name = format!("snn_init_fill_ragged_{s}");
            check(&text, &name, FillRagged::<()>::PARAMS, args.args());
            let args = Scatter {
                out: &b,
                csr: &b,
                row_length: &b,
                row_offset: &b,
                num_pre: 0,
                stride: 0,
            };
            let name = format!("snn_init_scatter_{s}");
            check(&text, &name, Scatter::<()>::PARAMS, args.args());
        }
    }

    #[test]
    fn the_signature_parser_sees_a_mismatch() {
        let c = signature(
            "KERNEL void k(GLOBAL const unsigned int *a, snn_u64 b, double c)\n{}",
            "k",
        );
        let kinds: Vec<Kind> = c.iter().map(|p| p.1).collect();
        assert_eq!(kinds, [Kind::Buffer, Kind::U64, Kind::F64]);
        let names: Vec<&str> = c.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn delay_check_arguments_match_the_generated_c_signatures() {
        use crate::init_kernels::InitProgram;
        use snn_core::ir::IrType;
        use snn_core::Precision;
        use snn_kernels::dialect::Dialect;
        let b = ();
        let mut prog = InitProgram::new(Precision::F32, true);
        let types = [
            IrType::Scalar,
            IrType::F64,
            IrType::I32,
            IrType::U32,
            IrType::U64,
        ];
        let checks: Vec<_> = types
            .iter()
            .map(|&ty| prog.delay_check(ty).expect("a delay check"))
            .collect();
        let source = prog.source(Dialect::OpenCl);
        for dc in checks {
            let args = DelayCheckArgs {
                v: &b,
                row_length: &b,
                num_pre: 0,
                stride: 0,
                max_delay: 0,
                meta: &b,
            };
            let params = DelayCheckArgs::<()>::PARAMS;
            check(&source, &dc.kernel, params, args.args());
        }
    }
}
