//! The init program: registering work (which fixed kernels it needs, and
//! the generated, per-model ones), compiling it, and the launch helpers.

use super::args::DelayCheckArgs;
use super::conn::{fixed_total_row_lengths, ConnOp, ConnectivityKernel, Shape};
use super::source::{
    float_name, storage_type, store_expr, suffix, width_kernels, Dist, Layout, FIXED_PROBABILITY,
    LIBRARY,
};
use super::var::{RaggedRows, VarInitKernel, VarOp};
use super::{InitError, SnippetCode, SnippetSource, INIT_BLOCK_SIZE, META_WORDS};
use crate::device::{Arg, Device, LaunchDims};
use snn_core::connectivity::{Connectivity, ConnectivitySnippetDyn};
use snn_core::dsl::{EnvCall, Method};
use snn_core::init::VarInit;
use snn_core::ir::IrType;
use snn_core::model::{FieldDesc, FieldKind, ModelDesc};
use snn_core::var::VarArray;
use snn_core::Precision;
use snn_kernels::cgen::rand_call;
use snn_kernels::cgen::{indent, method_to_c, CType, CodeCtx, EnvPrinter, Exit};
use snn_kernels::dialect::{program, Dialect};
use std::collections::HashMap;
use std::sync::Arc;

/// Builds a connectivity on the host, with the reason: its [`ConnOp`] and
/// exact stride.
type HostConn<'a> = dyn Fn(String) -> Result<(ConnOp, u32), InitError> + 'a;

/// A low-level [`InitError::InvalidConnectivity`] (group left empty).
fn invalid_connectivity(reason: String) -> InitError {
    InitError::InvalidConnectivity {
        group: String::new(),
        reason,
    }
}

/// `rule` built on the host (validated like [`Connectivity::build`]), with
/// the `reason` it is not built on the device, and its exact stride.
fn host_connectivity(
    rule: &Connectivity,
    shape: Shape,
    seed: u64,
    stream: u32,
    reason: String,
) -> Result<(ConnOp, u32), InitError> {
    let conn = rule
        .build(
            shape.num_pre,
            shape.num_post,
            shape.same_population,
            seed,
            stream,
        )
        .map_err(invalid_connectivity)?;
    let max = conn.max_row_length();
    Ok((ConnOp::Host { conn, reason }, max))
}

/// The delay check of one storage type, registered with an [`InitProgram`].
#[derive(Clone, Debug)]
pub struct DelayCheck {
    /// The kernel's name.
    pub(super) kernel: String,
}

/// The kernels of a device initialisation: register work, then compile.
#[derive(Clone, Debug)]
pub struct InitProgram {
    precision: Precision,
    device_f64: bool,
    uses_f64: bool,
    body: String,
    /// Kernel names emitted (fixed names) and texts (generated snippets, with `@NAME@`).
    names: HashMap<String, String>,
    count: usize,
}

impl InitProgram {
    /// An empty program for a network of `precision` on a device with
    /// (`device_f64`) or without `double` support. Work needing `double`
    /// falls back to the host on a device without it.
    pub fn new(precision: Precision, device_f64: bool) -> Self {
        let mut body = String::from(LIBRARY);
        for w in [1, 2, 4, 8] {
            body.push_str(&width_kernels(w));
        }
        InitProgram {
            precision,
            device_f64,
            uses_f64: precision == Precision::F64,
            body,
            names: HashMap::new(),
            count: 0,
        }
    }

    /// Whether the program uses `double` (it is assembled with `double`
    /// enabled then).
    pub fn uses_f64(&self) -> bool {
        self.uses_f64
    }

    /// The complete program in `dialect` (preludes, RNG, kernels).
    pub fn source(&self, dialect: Dialect) -> String {
        let p = if self.uses_f64 {
            Precision::F64
        } else {
            self.precision
        };
        program(dialect, p, &self.body)
    }

    /// Compiles the program on `device` (replacing any earlier program).
    pub fn compile<D: Device>(&self, device: &D, dialect: Dialect) -> Result<(), InitError> {
        if self.uses_f64 && !device.supports_f64() {
            return Err(InitError::NoF64 {
                what: "the initialisation program".into(),
            });
        }
        device.compile(&self.source(dialect))?;
        Ok(())
    }

    /// Adds a kernel of a fixed name once.
    fn add_named(&mut self, name: &str, text: impl FnOnce() -> String) {
        if !self.names.contains_key(name) {
            self.body.push_str(&text());
            self.names.insert(name.to_string(), name.to_string());
        }
    }

    /// Adds a generated kernel (its name written `@NAME@`), reusing an
    /// identical one; returns its name.
    fn add_generated(&mut self, base: &str, text: String) -> String {
        if let Some(name) = self.names.get(&text) {
            return name.clone();
        }
        let name = format!("{base}_{}", self.count);
        self.count += 1;
        self.body.push_str(&text.replace("@NAME@", &name));
        self.names.insert(text, name.clone());
        name
    }

    fn can_draw(&self, draw: Precision) -> bool {
        draw == Precision::F32 || self.device_f64
    }

    /// Registers the initialisation of a variable of IR type `ty` by `init`
    /// in `layout`. `snippets` gives the code of a user snippet.
    pub fn var_init(
        &mut self,
        init: &VarInit,
        ty: IrType,
        layout: Layout,
        snippets: &dyn SnippetSource,
    ) -> VarInitKernel {
        let p = self.precision;
        let draw = snn_core::initial::draw_precision(ty, p);
        let host = |reason: String| VarOp::Host {
            init: init.clone(),
            reason,
        };
        let no_f64 = || {
            format!(
                "a {} variable is drawn in f64, which the device does not support",
                ty.rust_name()
            )
        };
        let (d, params, trials) = match init {
            VarInit::Constant(v) => {
                let mut arr = VarArray::zeros(ty, p, 1);
                arr.set_f64(0, *v);
                let b = arr.to_bytes();
                let bits = match b.len() {
                    1 => b[0] as u64,
                    2 => u16::from_ne_bytes([b[0], b[1]]) as u64,
                    4 => u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as u64,
                    _ => u64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
                };
                let op = VarOp::Fill {
                    width: b.len(),
                    bits,
                };
                return self.var_kernel(ty, layout, op);
            }
            VarInit::Values(_) => {
                let op = host("explicit values are uploaded".into());
                return self.var_kernel(ty, layout, op);
            }
            VarInit::Uniform { min, max } => (Dist::Uniform, [*min, *max, 0.0, 0.0], 0),
            VarInit::Normal { mean, sd } => (Dist::Normal, [*mean, *sd, 0.0, 0.0], 0),
            VarInit::NormalClipped { mean, sd, min, max } => {
                (Dist::NormalClipped, [*mean, *sd, *min, *max], 0)
            }
            VarInit::Exponential { lambda } => (Dist::Exponential, [*lambda, 0.0, 0.0, 0.0], 0),
            VarInit::Gamma { a, b } => (Dist::Gamma, [*a, *b, 0.0, 0.0], 0),
            VarInit::Binomial { n, p } => (Dist::Binomial, [*p, 0.0, 0.0, 0.0], *n),
            VarInit::Snippet(s) => {
                let op = if !self.can_draw(draw) {
                    host(no_f64())
                } else if let Some(code) = snippets.var_init_code(&**s) {
                    match self.var_snippet_kernel(&code, ty, draw, layout) {
                        Ok(kernel) => VarOp::Snippet {
                            kernel,
                            draw,
                            constants: code.constants,
                        },
                        Err(reason) => host(reason),
                    }
                } else {
                    host(format!("the code of snippet `{}` is not known", s.name()))
                };
                return self.var_kernel(ty, layout, op);
            }
        };
        let op = if self.can_draw(draw) {
            VarOp::Random {
                kernel: self.random_kernel(d, ty, draw, layout),
                draw,
                params,
                trials,
            }
        } else {
            host(no_f64())
        };
        self.var_kernel(ty, layout, op)
    }

    fn var_kernel(&mut self, ty: IrType, layout: Layout, op: VarOp) -> VarInitKernel {
        VarInitKernel {
            ty,
            precision: self.precision,
            layout,
            op,
        }
    }

    /// The kernel of a built-in distribution; returns its name.
    fn random_kernel(&mut self, d: Dist, ty: IrType, draw: Precision, layout: Layout) -> String {
        if draw == Precision::F64 {
            self.uses_f64 = true;
        }
        let out = storage_type(ty, self.precision);
        let s = suffix(draw);
        // Named by the IR type: `bool` and `u8` share a storage type, not a conversion.
        let name = format!(
            "snn_init_var_{}_{s}_{}_{}",
            d.tag(),
            ty.rust_name(),
            layout.tag()
        );
        let f = float_name(draw);
        let store = store_expr(ty, draw, "x");
        self.add_named(&name, || {
            format!(
                "\nKERNEL void {name}(GLOBAL {out} *out, {params}, snn_u64 seed, \
                 unsigned int stream, {f} p0, {f} p1, {f} p2, {f} p3, unsigned int trials)\n{{\n\
                 {prologue}    {{\n        snn_rng rng = snn_rng_new(seed, stream, 0u, element);\n        \
                 {f} x;\n{code}        out[idx] = {store};\n    }}\n}}\n",
                out = out.c_name(),
                params = layout.params(),
                prologue = layout.prologue(),
                code = d.code(f, s),
            )
        });
        name
    }

    /// The kernel of a variable-initialisation snippet (its `init` printed
    /// in `draw`); returns its name, or why it cannot be printed.
    fn var_snippet_kernel(
        &mut self,
        code: &SnippetCode,
        ty: IrType,
        draw: Precision,
        layout: Layout,
    ) -> Result<String, String> {
        let desc = code.desc;
        let method = desc
            .method(Method::Init)
            .ok_or_else(|| format!("snippet `{}` has no `init` method", desc.name))?;
        let s = suffix(draw);
        let env = |call: EnvCall, args: &[String]| -> Result<String, String> {
            match call {
                EnvCall::Id => Ok("element".into()),
                _ => rand_call(call, args, s).ok_or_else(|| "not available here".into()),
            }
        };
        let block = print_method(desc, method, draw, &env, Some("result"))?;
        if draw == Precision::F64 {
            self.uses_f64 = true;
        }
        let out = storage_type(ty, self.precision);
        let f = float_name(draw);
        let text = format!(
            "\nKERNEL void @NAME@(GLOBAL {out} *out, {params}, snn_u64 seed, unsigned int stream, \
             GLOBAL const {f} *sc)\n{{\n{prologue}    {{\n        \
             snn_rng rng = snn_rng_new(seed, stream, 0u, element);\n        {f} result;\n\
             {block}        out[idx] = {store};\n    }}\n}}\n",
            out = out.c_name(),
            params = layout.params(),
            prologue = layout.prologue(),
            block = indent(&block, 2),
            store = store_expr(ty, draw, "result"),
        );
        Ok(self.add_generated(&format!("snn_init_vsnip_{}", layout.tag()), text))
    }

    /// Registers the construction of connectivity `rule` between populations
    /// of `shape` with stream `stream` under `seed`. Validates the rule like
    /// [`Connectivity::build`] ([`InitError::InvalidConnectivity`], group
    /// left empty). Fixed total number draws its row lengths here
    /// (`O(num_pre)`); explicit lists and host fallbacks are built here.
    pub fn connectivity(
        &mut self,
        rule: &Connectivity,
        shape: Shape,
        seed: u64,
        stream: u32,
        snippets: &dyn SnippetSource,
    ) -> Result<ConnectivityKernel, InitError> {
        let Shape {
            num_pre,
            num_post,
            same_population,
        } = shape;
        rule.validate(num_pre, num_post, same_population)
            .map_err(invalid_connectivity)?;
        let (op, stride) = if num_pre == 0 || num_post == 0 {
            (ConnOp::Empty, 0)
        } else {
            let host = |reason: String| host_connectivity(rule, shape, seed, stream, reason);
            self.plan_rule(rule, shape, seed, stream, snippets, &host)?
        };
        Ok(ConnectivityKernel {
            shape,
            seed,
            stream,
            stride: stride.max(1),
            op,
        })
    }

    /// How `rule` (valid, both populations non-empty) is built, and its
    /// analytical stride; `host` builds it on the host with a reason.
    fn plan_rule(
        &mut self,
        rule: &Connectivity,
        shape: Shape,
        seed: u64,
        stream: u32,
        snippets: &dyn SnippetSource,
        host: &HostConn<'_>,
    ) -> Result<(ConnOp, u32), InitError> {
        let Shape {
            num_pre,
            num_post,
            same_population,
        } = shape;
        let excl = |autapses: bool| same_population && !autapses;
        let bound = rule.max_row_length(num_pre, num_post, same_population);
        Ok(match rule {
            Connectivity::OneToOne => (ConnOp::OneToOne, 1),
            Connectivity::AllToAll { autapses } => (
                ConnOp::AllToAll {
                    excl: excl(*autapses),
                },
                num_post - excl(*autapses) as u32,
            ),
            Connectivity::FixedProbability { p, autapses } => {
                let e = excl(*autapses);
                if *p >= 1.0 {
                    (ConnOp::AllToAll { excl: e }, num_post - e as u32)
                } else if *p <= 0.0 {
                    (ConnOp::Empty, 0)
                } else if !self.device_f64 {
                    host("fixed probability needs f64, which the device does not support".into())?
                } else {
                    self.uses_f64 = true;
                    self.add_named("snn_init_conn_fixed_probability", || {
                        FIXED_PROBABILITY.to_string()
                    });
                    (
                        ConnOp::FixedProbability {
                            ln_q: (-p).ln_1p(),
                            excl: e,
                        },
                        bound,
                    )
                }
            }
            Connectivity::FixedNumberPost { n, autapses } => (
                ConnOp::FixedNumberPost {
                    n: *n,
                    excl: excl(*autapses),
                },
                *n,
            ),
            Connectivity::FixedNumberPre { n, autapses } => (
                ConnOp::FixedNumberPre {
                    n: *n,
                    excl: excl(*autapses),
                },
                bound,
            ),
            Connectivity::FixedNumberTotal { n } => {
                let lengths = fixed_total_row_lengths(*n as u32, num_pre, seed, stream);
                let max = lengths.iter().copied().max().unwrap_or(0);
                (ConnOp::FixedNumberTotal { lengths }, max)
            }
            Connectivity::Explicit { .. } => {
                host("explicit synapse lists are built on the host".into())?
            }
            Connectivity::Snippet(s) => self.plan_conn_snippet(s, bound, snippets, host)?,
        })
    }

    /// How a connectivity snippet is built: by its printed `row_build` on
    /// the device, else on the host.
    fn plan_conn_snippet(
        &mut self,
        s: &Arc<dyn ConnectivitySnippetDyn>,
        bound: u32,
        snippets: &dyn SnippetSource,
        host: &HostConn<'_>,
    ) -> Result<(ConnOp, u32), InitError> {
        Ok(if !self.device_f64 {
            host(format!(
                "connectivity snippet `{}` is built in f64, which the device does \
                 not support",
                s.name()
            ))?
        } else if let Some(code) = snippets.connectivity_code(&**s) {
            match self.conn_snippet_kernel(&code) {
                Ok(kernel) => (
                    ConnOp::Snippet {
                        kernel,
                        constants: code.constants,
                        snippet: Arc::clone(s),
                    },
                    bound,
                ),
                Err(reason) => host(reason)?,
            }
        } else {
            host(format!("the code of snippet `{}` is not known", s.name()))?
        })
    }

    /// The row-building kernel of a connectivity snippet (in `f64`).
    fn conn_snippet_kernel(&mut self, code: &SnippetCode) -> Result<String, String> {
        let desc = code.desc;
        let method = desc
            .method(Method::RowBuild)
            .ok_or_else(|| format!("snippet `{}` has no `row_build` method", desc.name))?;
        let env = |call: EnvCall, args: &[String]| -> Result<String, String> {
            match call {
                EnvCall::IdPre => Ok("id_pre".into()),
                EnvCall::NumPre => Ok("num_pre".into()),
                EnvCall::NumPost => Ok("num_post".into()),
                EnvCall::AddSynapse => Ok(format!(
                    "snn_init_push(row, stride, num_post, &len, &bad, {})",
                    args[0]
                )),
                _ => rand_call(call, args, "f64").ok_or_else(|| "not available here".into()),
            }
        };
        let block = print_method(desc, method, Precision::F64, &env, None)?;
        self.uses_f64 = true;
        let text = format!(
            "\nKERNEL void @NAME@(GLOBAL unsigned int *row_length, GLOBAL unsigned int *ind, \
             unsigned int num_pre, unsigned int num_post, unsigned int stride, snn_u64 seed, \
             unsigned int stream, GLOBAL const double *sc, GLOBAL unsigned int *meta)\n{{\n    \
             const snn_u64 gid = SNN_INIT_GID;\n    if (gid >= (snn_u64)num_pre) {{\n        \
             return;\n    }}\n    {{\n        const unsigned int id_pre = (unsigned int)gid;\n        \
             GLOBAL unsigned int *row = ind + (snn_u64)id_pre * stride;\n        \
             unsigned int len = 0u;\n        unsigned int bad = 0u;\n        \
             snn_rng rng = snn_rng_new(seed, stream, 0u, id_pre);\n{block}        \
             if (bad != 0u) {{\n            ATOMIC_MAX_U32(&meta[1], 4294967295u - id_pre);\n        \
             }}\n        snn_init_finish_row(row_length, row, id_pre, len, stride, meta);\n    }}\n}}\n",
            block = indent(&block, 2),
        );
        Ok(self.add_generated("snn_init_csnip", text))
    }

    /// Registers the check of a dendritic-delay variable of IR type `ty`
    /// (storage type) against the group's maximum, on the ragged layout.
    pub fn delay_check(&mut self, ty: IrType) -> Result<DelayCheck, InitError> {
        let t = storage_type(ty, self.precision);
        if t == CType::F64 {
            if !self.device_f64 {
                return Err(InitError::NoF64 {
                    what: "an f64 dendritic-delay variable".into(),
                });
            }
            self.uses_f64 = true;
        }
        let name = format!("snn_init_delay_check_{}", t.rust_name());
        let check = match t {
            CType::F32 | CType::F64 => format!(
                "if (d != d) {{\n                if (!signbit(d)) {{\n                    \
                 ATOMIC_MAX_U32(&meta[5], 1u);\n                }}\n            }} else if (d > \
                 ({c})max_delay) {{\n                ATOMIC_MAX_U32(&meta[4], snn_min_u32(\
                 snn_{s}_to_u32(d), 4294967294u) + 1u);\n            }}\n",
                c = t.c_name(),
                s = t.rust_name()
            ),
            CType::I32 | CType::I64 => "if ((snn_i64)d > (snn_i64)max_delay) {\n                \
                 ATOMIC_MAX_U32(&meta[4], (unsigned int)snn_min_u64((snn_u64)d, 4294967294u) \
                 + 1u);\n            }\n"
                .to_string(),
            _ => "if ((snn_u64)d > (snn_u64)max_delay) {\n                \
                 ATOMIC_MAX_U32(&meta[4], (unsigned int)snn_min_u64((snn_u64)d, 4294967294u) \
                 + 1u);\n            }\n"
                .to_string(),
        };
        self.add_named(&name, || {
            format!(
                "\nKERNEL void {name}(GLOBAL const {c} *v, GLOBAL const unsigned int *row_length, \
                 unsigned int num_pre, unsigned int stride, unsigned int max_delay, \
                 GLOBAL unsigned int *meta)\n{{\n    const snn_u64 idx = SNN_INIT_GID;\n    \
                 if (idx < (snn_u64)num_pre * stride && (unsigned int)(idx % stride) < \
                 row_length[idx / stride]) {{\n        const {c} d = v[idx];\n        {{\n            \
                 {check}        }}\n    }}\n}}\n",
                c = t.c_name()
            )
        });
        Ok(DelayCheck { kernel: name })
    }
}

impl DelayCheck {
    /// Checks the values of a ragged delay variable `v` against `max`:
    /// `Some(delay)` when the largest value exceeds it, as `InitialState`
    /// reports (the value truncated like `as u64`, saturated at
    /// `u32::MAX - 1`). Waits for the result.
    pub fn run<D: Device>(
        &self,
        device: &D,
        v: &D::Buffer,
        rows: &RaggedRows<'_, D::Buffer>,
        max: u32,
        meta: &D::Buffer,
    ) -> Result<Option<u64>, InitError> {
        device.zero(meta)?;
        let args = DelayCheckArgs {
            v,
            row_length: rows.row_length,
            num_pre: rows.num_pre,
            stride: rows.stride,
            max_delay: max,
            meta,
        };
        let work = rows.num_pre as u64 * rows.stride as u64;
        launch(device, &self.kernel, work, &args.args())?;
        let mut raw = [0u8; META_WORDS * 4];
        device.read(meta, 0, &mut raw)?;
        let word = |k: usize| {
            u32::from_ne_bytes([raw[4 * k], raw[4 * k + 1], raw[4 * k + 2], raw[4 * k + 3]])
        };
        // A positive NaN is the host's maximum (`total_cmp`) and never "too large".
        if word(5) != 0 || word(4) == 0 {
            return Ok(None);
        }
        Ok(Some(word(4) as u64 - 1))
    }
}

/// Prints `method` of `desc` in `precision` with the constants in `sc[..]`.
fn print_method(
    desc: &'static ModelDesc,
    method: &snn_core::ir::MethodIr,
    precision: Precision,
    env: &EnvPrinter<'_>,
    result: Option<&str>,
) -> Result<String, String> {
    let field = |f: &FieldDesc| match f.kind {
        FieldKind::Param | FieldKind::Derived => format!("sc[{}]", desc.constant_index(f)),
        // Snippets have no other fields; the printer reports what it cannot use.
        _ => format!("snn_init_no_field_{}", f.name),
    };
    let ctx = CodeCtx {
        precision,
        field: &field,
        env,
        model: desc,
        exit: Exit::Goto {
            result,
            label: "snn_init_end",
        },
    };
    method_to_c(method, &ctx).map_err(|e| e.to_string())
}

/// A float argument in precision `p`.
pub(super) fn float_arg<'a, B>(p: Precision, x: f64) -> Arg<'a, B> {
    match p {
        Precision::F32 => Arg::F32(x as f32),
        Precision::F64 => Arg::F64(x),
    }
}

/// A buffer holding `values` in precision `p` (at least one element).
pub(super) fn upload_floats<D: Device>(
    device: &D,
    p: Precision,
    values: &[f64],
) -> Result<D::Buffer, InitError> {
    let bytes: Vec<u8> = match p {
        Precision::F32 => values
            .iter()
            .flat_map(|&x| (x as f32).to_ne_bytes())
            .collect(),
        Precision::F64 => values.iter().flat_map(|&x| x.to_ne_bytes()).collect(),
    };
    let buf = device.alloc_zeroed(bytes.len().max(8))?;
    device.write(&buf, 0, &bytes)?;
    Ok(buf)
}

/// Launches `name` on `work` threads in blocks of [`INIT_BLOCK_SIZE`].
pub(super) fn launch<D: Device>(
    device: &D,
    name: &str,
    work: u64,
    args: &[Arg<'_, D::Buffer>],
) -> Result<(), InitError> {
    let blocks = work.div_ceil(INIT_BLOCK_SIZE as u64).max(1);
    let blocks = u32::try_from(blocks)
        .map_err(|_| InitError::TooLarge(format!("{name}: {work} threads")))?;
    device.launch(
        name,
        LaunchDims {
            blocks,
            threads: INIT_BLOCK_SIZE,
        },
        args,
    )?;
    Ok(())
}
