//! Printing model method bodies ([`snn_core::ir`]) as C.
//!
//! One dialect serves CUDA (NVRTC, C++) and OpenCL C 1.2: plain C99
//! statements and expressions, C types (`float`, `int`, `unsigned char`,
//! `bool`, and the typedefs `snn_i64`/`snn_u64`), math functions by the
//! overloaded names both OpenCL C and CUDA C++ provide for `float` and
//! `double` where those are IEEE operations (`sqrt`, `fmin`, `floor`,
//! ...), and helpers of [`PRELUDE`] elsewhere: the twins of
//! `snn_core::math` (`snn_exp_f32`, `snn_sin_f32`, ...) and the helpers
//! where C and Rust differ (`snn_f32_to_i32`, `snn_clamp_f32`, ...). The
//! printed code does not depend on the backend: what differs (how a field or
//! an environment call is reached) comes from the closures of [`CodeCtx`].
//!
//! # Semantics kept from Rust
//!
//! - **Types** are inferred like rustc does for the subset (see `types.rs`):
//!   every local gets its Rust type, unsuffixed literals the type rustc gives
//!   them (falling back to `f64` / `i32` when nothing constrains them).
//! - **Literals** are printed so that C reads exactly rustc's value (see
//!   `literal.rs`): `0.04f`, `1e-45f`, `16777216.0f`, `0.1`.
//! - **No implicit promotion**: arithmetic on two operands of one Rust type
//!   stays in that type. Float literals carry the `f` suffix in `f32` code,
//!   integer literals the `u` suffix when unsigned, and every arithmetic,
//!   bitwise or shift result of type `u8`/`u16` (which C promotes to `int`)
//!   is cast back: `(unsigned char)(l_a + l_b)`; compound assignments on
//!   them are printed `x = (unsigned char)(x + y)`.
//! - **Evaluation order**: C leaves the order of operands of `+`, of function
//!   arguments, ... unspecified, Rust evaluates left to right. When two
//!   operands of one operation have side effects (random draws, or an `if`
//!   value with statements), the earlier ones are evaluated first into
//!   `const` temporaries (`lt_0`, `lt_1`, ...), so the draws happen in Rust's
//!   order. An `if` used as a value prints as `c ? a : b`, or, when a branch
//!   has statements, as an `if` statement assigning a temporary before the
//!   statement that uses it (conditional operands, such as the right-hand
//!   side of `&&`, are then lowered to `if` statements too, so nothing runs
//!   that Rust would not run).
//! - **`as` casts** are C casts, except float-to-integer casts, which Rust
//!   defines to truncate, saturate at the integer type's bounds and map NaN
//!   to 0 (C leaves these undefined): they call the prelude helpers
//!   `snn_f32_to_i32(x)`, `snn_f64_to_u8(x)`, ... (`usize` uses the `u32` ones).
//! - **Shifts**: Rust (release) masks the shift amount to the type's width;
//!   C leaves larger amounts undefined, so non-literal amounts are masked
//!   (`l_a << (l_n & 31)`), and a left shift of a signed value is done in the
//!   unsigned type (`(int)((unsigned int)l_a << 3)`), which is defined in C.
//!   Float `%` is `fmod` (what Rust's `%` computes).
//! - **Locals** get C names `l_<name>`; a `let` that shadows an earlier
//!   binding anywhere in the method gets a fresh name `l_<name>_1`, `_2`, ...
//!   (C would see the old binding's name in its own initialiser otherwise).
//!   Printer temporaries are `lt_<n>`. Kernel code around the printed block
//!   must not use the prefixes `l_` and `lt_`.
//! - **`for`** loops evaluate the range bounds once, before the loop (like
//!   Rust); `a..=b` is printed so that it stops after `b` even when `b` is the
//!   type's maximum.
//!
//! # Float methods
//!
//! | Rust | C |
//! |---|---|
//! | `exp exp_m1 ln exp2 log2 log10 ln_1p powf cbrt hypot` | `snn_exp_f32(x)`, `snn_ln_1p_f32(x)`, `snn_powf_f32(x, y)`, ... (`_f64` in `f64`): the prelude's twins of `snn_core::math::{Elementary, Powers}` (`math.h`, `math_powers.h`) |
//! | `sin cos tan asin acos atan atan2 sinh cosh tanh` | `snn_sin_f32(x)`, ..., `snn_atan2_f32(y, x)`, ..., `snn_tanh_f32(x)` (`_f64` in `f64`): the prelude's twins of `snn_core::math::{Trig, Hyperbolic}` (`math_trig.h`) |
//! | `sqrt floor ceil round trunc` | same name; Rust's `round` rounds half away from zero like C's |
//! | `abs`, `mul_add` | `fabs`, `fma` |
//! | `min`, `max` | `fmin`, `fmax` |
//! | `is_nan`, `is_finite` | `isnan`, `isfinite` |
//! | `recip` | `1.0f / x` |
//! | `to_degrees`, `to_radians` | `x * c` with Rust's constant `c` (`57.29578f`, ...) |
//! | `powi(n)` | `snn_powi_f32(x, n)` (`math_powers.h`: repeated squaring, like LLVM's `__powisf2`, and `snn_core::math::Powers::powi`) |
//! | `signum` | `snn_signum_f32(x)` (`NaN` stays `NaN`, `±0` gives `±1`) |
//! | `clamp(lo, hi)` | `snn_clamp_f32(x, lo, hi)` (Rust's order of comparisons: `NaN` stays `NaN`) |
//! | `fract` | `snn_fract_f32(x)` (`x - trunc(x)`) |
//!
//! On integers: `min`, `max`, `clamp` -> `snn_min_u8(a, b)`, ...;
//! `abs`, `signum` (signed types) -> `snn_abs_i32(x)`, `snn_signum_i64(x)`
//! (`abs(i32::MIN)` wraps, as in a Rust release build).
//!
//! Constants: `PI`, `E`, `MAX`, `EPSILON`, ... are exact literals;
//! `INFINITY`, `NEG_INFINITY`, `NAN` are the prelude macros `SNN_INF_F32`,
//! `(-SNN_INF_F32)`, `SNN_NAN_F32` (and `_F64`).
//!
//! # Environment calls
//!
//! Their types, as in `snn_core::model` ([`env_sig`]; which methods may
//! make which calls is [`Method::env_calls`]):
//!
//! | call | arguments | result |
//! |---|---|---|
//! | `t()`, `dt()`, `isyn()` | | `Scalar` |
//! | `id()`, `id_pre()`, `id_post()`, `num_pre()`, `num_post()` | | `u32` |
//! | `rand_uniform()`, `rand_normal()`, `rand_exponential()` | | `Scalar` |
//! | `rand_gamma(a)` | `Scalar` | `Scalar` |
//! | `rand_poisson(lambda)` | `Scalar` | `u32` |
//! | `rand_binomial(n, p)` | `u32`, `Scalar` | `u32` |
//! | `inject_current(i)`, `add_to_post(x)` | `Scalar` | `()` |
//! | `add_to_post_delay(x, d)` | `Scalar`, any integer (passed as `unsigned int`) | `()` |
//! | `add_synapse(j)` | `u32` | `()` |
//!
//! How a call is printed is up to [`CodeCtx::env`]; the random draws and the
//! calls without a result are the ones with side effects.
//!
//! # Not reproduced
//!
//! Integer overflow of `+ - *` (Rust panics in debug builds and wraps in
//! release; signed overflow is undefined in C), division by zero and
//! `MIN / -1` (Rust panics), and out-of-bounds indexing of extra global
//! parameters (Rust panics) are not checked. `usize` is 32-bit in kernels.
//! `exp`, `exp_m1`, `ln`, `exp2`, `log2`, `log10`, `ln_1p`, `powf`, `powi`,
//! `cbrt`, `hypot`, `sin`, `cos`, `tan`, `asin`, `acos`, `atan`, `atan2`,
//! `sinh`, `cosh` and `tanh` print as the prelude's `snn_exp_f32` ...
//! (`math.h`, `math_powers.h`, `math_trig.h`), the C twins of
//! `snn_core::math`, so they give the CPU backend's bits on every device.

mod expr;
mod literal;
mod stmt;
mod types;

pub use literal::{f32_literal, f64_literal};
pub use types::CType;

use snn_core::dsl::{EnvCall, Method, ReturnType};
use snn_core::ir::{IrType, MethodIr};
use snn_core::model::{FieldDesc, ModelDesc};
use snn_core::Precision;

/// Everything the printer needs to know besides the method.
pub struct CodeCtx<'a> {
    /// The network's precision (`Scalar` is `float` or `double`).
    pub precision: Precision,
    /// How to print each model field: given the field, the C expression to
    /// use, e.g. `l_v` for a variable held in a register, `5.0e-1f` for a
    /// parameter substituted as a constant, `d_spike_times` for an extra
    /// global parameter's array (indexed as `d_spike_times[i]`). State
    /// variables and `in_syn` must be lvalues. Anything but an identifier, a
    /// number, a call or an indexed name is put in parentheses.
    pub field: &'a dyn Fn(&FieldDesc) -> String,
    /// How to print each environment call: the call and the already printed
    /// arguments (complete C expressions, converted to the parameter types of
    /// [`env_sig`]) to a C expression (a statement expression for calls
    /// without a result, e.g. `isyn += x`), or `Err(reason)` if the call is not
    /// available here.
    pub env: &'a EnvPrinter<'a>,
    /// The model (field types, names for messages).
    pub model: &'static ModelDesc,
    /// How `return` leaves the printed code.
    pub exit: Exit<'a>,
}

/// How a `return` (and the value of a method that returns one) leaves the
/// printed block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit<'a> {
    /// The block is the body of a C function: `return [value];`, and the
    /// value of the block is `return value;`.
    Return,
    /// The block is inlined into a kernel: the value goes into the variable
    /// `result` (which the caller declares; required for methods returning a
    /// value), and an early `return` jumps to `label`, which the printer
    /// places right after the block (`label: ;`) when it is used. Labels
    /// have function scope in C: use a fresh one per inlined method.
    Goto {
        /// Variable receiving the method's value.
        result: Option<&'a str>,
        /// Label after the block.
        label: &'a str,
    },
}

/// The printer of environment calls of a [`CodeCtx`]: call and printed
/// arguments to C, or `Err(reason)`.
pub type EnvPrinter<'a> = dyn Fn(EnvCall, &[String]) -> Result<String, String> + 'a;

/// A code generation failure, naming the model and method.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("cannot generate GPU code for {kind} `{model}`, method `{method}`: {problem}")]
pub struct CodegenError {
    /// What the model is ("neuron model", ...).
    pub kind: &'static str,
    /// The model's name.
    pub model: String,
    /// The method.
    pub method: Method,
    /// What went wrong.
    pub problem: Problem,
}

/// What went wrong in a [`CodegenError`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Problem {
    /// An environment call the context does not provide.
    #[error("the environment call `env.{call}()` is not available: {reason}")]
    UnknownEnvCall {
        /// The call.
        call: EnvCall,
        /// Why (from [`CodeCtx::env`]).
        reason: String,
    },
    /// `self.name` names no field of the model.
    #[error("the model has no field `self.{0}`")]
    UnknownField(String),
    /// A local variable that is not in scope (malformed IR).
    #[error("`{0}` is not a local variable in scope")]
    UnknownLocal(String),
    /// Types that do not fit together, or that could not be inferred.
    #[error("type error: {0}")]
    Type(String),
    /// Something the printer cannot express.
    #[error("{0}")]
    Unsupported(String),
}

/// Parameter types of environment calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvArg {
    /// `Scalar`.
    Scalar,
    /// `u32`.
    U32,
    /// Any integer type (`impl DelaySteps`), converted to `unsigned int`.
    DelaySteps,
}

/// The signature of an environment call in C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvSig {
    /// Parameter types.
    pub args: &'static [EnvArg],
    /// Result type; `None` for `()`.
    pub returns: Option<IrType>,
    /// False for calls with side effects (random draws, calls without a result).
    pub pure: bool,
}

/// The signature of environment call `call` (see the table in the module docs).
pub const fn env_sig(call: EnvCall) -> EnvSig {
    use EnvArg::*;
    const S: Option<IrType> = Some(IrType::Scalar);
    const U: Option<IrType> = Some(IrType::U32);
    let (args, returns, pure): (&'static [EnvArg], _, _) = match call {
        EnvCall::T | EnvCall::Dt | EnvCall::Isyn => (&[], S, true),
        EnvCall::Id | EnvCall::IdPre | EnvCall::IdPost => (&[], U, true),
        EnvCall::NumPre | EnvCall::NumPost => (&[], U, true),
        EnvCall::StPre | EnvCall::PrevStPre | EnvCall::SetPre | EnvCall::PrevSetPre => {
            (&[], S, true)
        }
        EnvCall::StPost | EnvCall::PrevStPost => (&[], S, true),
        EnvCall::RandUniform | EnvCall::RandNormal | EnvCall::RandExponential => (&[], S, false),
        EnvCall::RandGamma => (&[Scalar], S, false),
        EnvCall::RandPoisson => (&[Scalar], U, false),
        EnvCall::RandBinomial => (&[U32, Scalar], U, false),
        EnvCall::InjectCurrent | EnvCall::AddToPost => (&[Scalar], None, false),
        EnvCall::AddToPostDelay => (&[Scalar, DelaySteps], None, false),
        EnvCall::AddSynapse => (&[U32], None, false),
    };
    EnvSig {
        args,
        returns,
        pure,
    }
}

/// The return type of a model method: `bool` for a neuron's `threshold`
/// and a weight update's `event_threshold`, `Scalar` for a snippet's
/// `init`, `None` (`()`) otherwise.
pub fn method_return_type(method: Method) -> Option<IrType> {
    method.returns().map(|r| match r {
        ReturnType::Bool => IrType::Bool,
        ReturnType::Scalar => IrType::Scalar,
    })
}

/// Prints the body of `method` of `ctx.model` as a C block (`{ ... }`, four
/// spaces per level, ending in a newline).
///
/// The method's return type is [`method_return_type`]. With
/// [`Exit::Return`] the block is a function body: its value (if any) is
/// `return`ed. The block's value in a method returning `()` is an
/// expression statement.
///
/// ```
/// use snn_core::builtin::Lif;
/// use snn_core::model::{FieldKind, Model};
/// use snn_kernels::cgen::{method_to_c, CodeCtx, Exit};
///
/// let field = |f: &snn_core::model::FieldDesc| match f.kind {
///     FieldKind::Var => format!("l_{}", f.name),
///     _ => format!("p_{}", f.name),
/// };
/// let env = |call: snn_core::dsl::EnvCall, _args: &[String]| Ok(format!("env_{call}"));
/// let ctx = CodeCtx {
///     precision: snn_core::Precision::F32,
///     field: &field,
///     env: &env,
///     model: Lif::DESC,
///     exit: Exit::Return,
/// };
/// let threshold = Lif::DESC.method(snn_core::dsl::Method::Threshold).unwrap();
/// let c = method_to_c(threshold, &ctx).unwrap();
/// assert_eq!(c, "{\n    return l_refrac_time <= 0.0f && l_v >= p_v_thresh;\n}\n");
/// ```
pub fn method_to_c(method: &MethodIr, ctx: &CodeCtx) -> Result<String, CodegenError> {
    let err = |problem| CodegenError {
        kind: ctx.model.kind.describe(),
        model: ctx.model.name.to_string(),
        method: method.method,
        problem,
    };
    let ret = method_return_type(method.method).map(|t| CType::from_ir(t, ctx.precision));
    let mut builder = types::Builder::new(ctx.model, ctx.precision, ret);
    let body = builder.body(&method.body).map_err(err)?;
    let solved = builder.types.solve();
    let mut printer = expr::Printer::new(ctx, &solved, ret);
    printer.method_body(&body).map_err(err)?;
    Ok(printer.finish())
}

/// The C of a random draw of model code from the stream `rng`, in
/// precision suffix `s` (`f32`, `f64`); `None` for the other calls.
pub fn rand_call(call: EnvCall, args: &[String], s: &str) -> Option<String> {
    Some(match call {
        EnvCall::RandUniform => format!("snn_uniform_{s}(&rng)"),
        EnvCall::RandNormal => format!("snn_normal_{s}(&rng)"),
        EnvCall::RandExponential => format!("snn_exponential_{s}(&rng)"),
        EnvCall::RandGamma => format!("snn_gamma_{s}(&rng, {})", args[0]),
        EnvCall::RandPoisson => format!("snn_poisson_{s}(&rng, {})", args[0]),
        EnvCall::RandBinomial => format!("snn_binomial_{s}(&rng, {}, {})", args[0], args[1]),
        _ => return None,
    })
}

/// `code` with every non-empty line indented by `levels` times four spaces
/// (how printed blocks are placed into generated kernels).
pub fn indent(code: &str, levels: usize) -> String {
    let pad = "    ".repeat(levels);
    code.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}

/// C source of the helpers and macros the printed code uses, in the common
/// dialect. Include it after the backend's own prelude, which may define
/// first:
///
/// - `SNN_FN`: qualifiers of helper functions (default `static inline
///   __attribute__((unused))`, and
///   `static __device__ __forceinline__` under `__CUDACC__`);
/// - `SNN_INF_F32`, `SNN_NAN_F32`, `SNN_INF_F64`, `SNN_NAN_F64` (defaults:
///   `INFINITY`/`NAN`, or CUDA's bit casts under `__CUDACC__`);
/// - `SNN_NO_DOUBLE`, to leave out the `double` helpers (OpenCL devices
///   without `cl_khr_fp64`; the OpenCL prelude enables that extension
///   otherwise).
///
/// Under a plain C compiler (neither `__OPENCL_VERSION__` nor `__CUDACC__`
/// defined) it includes `<stdbool.h>` and `<tgmath.h>`, so that `sqrt(x)` of
/// a `float` is `sqrtf` as in OpenCL C and CUDA C++.
pub const PRELUDE: &str = concat!(
    include_str!("prelude.h"),
    include_str!("math.h"),
    include_str!("math_powers.h"),
    include_str!("math_trig.h")
);
