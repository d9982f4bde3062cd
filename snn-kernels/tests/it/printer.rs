//! The printer on test models (`tests/models`): the exact output for each
//! feature (type inference, no-promotion casts, shadowing, ternaries, loops,
//! evaluation order, math), error messages, the inlining exit, and every
//! printed body compiling as strict C99.

use crate::common::{check_syntax, stub_body, stub_source};
use crate::models::*;
use snn_core::dsl::{EnvCall, Method};
use snn_core::ir::{BinOp, Block, Expr, IrType, Lit, MethodIr, Place, Stmt};
use snn_core::model::{FieldDesc, FieldKind, Model, ModelDesc, ModelKind};
use snn_core::Precision::{F32, F64};
use snn_kernels::cgen::{method_to_c, CodeCtx, Exit, Problem};

/// `s` without the indentation common to its lines after the first (as in
/// an indented multi-line string literal), as lines.
fn dedent(s: &str) -> Vec<String> {
    let lines: Vec<&str> = s.trim().lines().collect();
    let indent = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.to_string()
            } else {
                l.get(indent..).unwrap_or("").to_string()
            }
        })
        .collect()
}

/// Asserts that `body` is `expected` (an indented multi-line literal).
#[track_caller]
fn assert_body(body: &str, expected: &str) {
    let got: Vec<String> = body.trim().lines().map(str::to_string).collect();
    let want = dedent(expected);
    assert!(
        got == want,
        "printed:\n{body}\nexpected:\n{expected}\nfirst difference at line {}",
        got.iter()
            .zip(&want)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()))
            + 1
    );
}

#[test]
fn every_test_model_compiles_as_c99_in_both_precisions() {
    for desc in [
        Shadow::DESC,
        Infer::DESC,
        Ints::DESC,
        Loops::DESC,
        Order::DESC,
        Maths::DESC,
    ] {
        for p in [F32, F64] {
            check_syntax(&format!("{}_{p:?}", desc.name), &stub_source(desc, p));
        }
    }
}

#[test]
fn shadowed_lets_get_fresh_names() {
    // Also `a_1`, which would collide with the first renaming of `a`.
    assert_body(
        &stub_body(Shadow::DESC, Method::Sim, F32),
        "{
            float l_a = m_x;
            float l_a_1 = l_a + 1.0f;
            if (l_a_1 > 2.0f) {
                float l_a_2 = l_a_1 * 2.0f;
                m_x = l_a_2;
            }
            float l_a_1_1 = l_a_1;
            float l_a_3 = l_a_1_1 - 0.5f;
            m_x += l_a_3;
        }",
    );
}

#[test]
fn types_are_inferred_like_rustc() {
    // `0.1` is unconstrained: f64 (rustc's fallback), then cast; `2.5 as f32` is an
    // f32 literal; `m + 5` stays u8; `late` gets its type from the later assignment.
    let expected = "{
        double l_k = 0.1;
        float l_c = (float)l_k;
        int l_n = 3;
        unsigned char l_m = 200u;
        unsigned char l_j = (unsigned char)(l_m + 5u);
        float l_q = 2.5f;
        snn_u64 l_wide = (snn_u64)m_c * ((snn_u64)4u);
        float l_late;
        l_late = m_x * 2.0f;
        float l_neg = -1.5f;
        unsigned int l_idx = m_c + 1u;
        m_n = (unsigned char)((unsigned char)(l_j / 2u) + (unsigned char)(m_n % 3u));
        m_x = l_c + l_late + l_q + (float)l_n + (float)l_j + l_neg + (float)l_wide + (float)l_idx;
    }";
    assert_body(&stub_body(Infer::DESC, Method::Sim, F32), expected);
    // In f64, Scalar is double; the f32 locals stay float and are converted.
    let body = stub_body(Infer::DESC, Method::Sim, F64);
    for line in [
        "double l_k = 0.1;",
        "double l_c = l_k;",
        "float l_q = 2.5f;",
        "double l_late;",
        "l_late = m_x * 2.0;",
        "m_x = l_c + l_late + (double)l_q + (double)l_n + (double)l_j + (double)l_neg + \
         (double)l_wide + (double)l_idx;",
    ] {
        assert!(body.contains(line), "{line} not in\n{body}");
    }
}

#[test]
fn integer_arithmetic_does_not_promote() {
    let expected = "{
        m_n = (unsigned char)((unsigned char)(m_n << 1) | 1u);
        m_n = (unsigned char)(m_n + 3u);
        m_n = (unsigned char)(~m_n);
        m_w = (unsigned short)((unsigned short)(m_w * 2u) - m_w);
        m_m = (int)((unsigned int)m_m << (m_k & 31));
        m_m = (int)((unsigned int)m_m << 2);
        m_k >>= 1;
        m_big = m_big * ((snn_i64)3) + (snn_i64)m_m;
        m_m = snn_f32_to_i32(m_x * 10000000000.0f);
        m_n = snn_f32_to_u8(m_x);
        m_k = snn_max_u32(snn_min_u32(m_k, 7u), 1u);
        m_m = snn_clamp_i32(snn_abs_i32(m_m), -5, 5) + snn_signum_i32(m_m);
        m_x = -m_x;
    }";
    assert_body(&stub_body(Ints::DESC, Method::Sim, F32), expected);
    let body = stub_body(Ints::DESC, Method::Sim, F64);
    assert!(
        body.contains("m_m = snn_f64_to_i32(m_x * 10000000000.0);"),
        "{body}"
    );
}

#[test]
fn loops() {
    // `250u8..=255` ends at the type's maximum: a cursor and a flag, not `i <= 255`.
    // The exclusive range's end is evaluated once, before the loop.
    let expected = "{
        unsigned int l_s = 0u;
        unsigned char lt_0 = 250u;
        bool lt_1 = lt_0 <= 255u;
        while (lt_1) {
            const unsigned char l_i = lt_0;
            lt_1 = lt_0 < 255u;
            if (lt_1) { lt_0++; }
            l_s += (unsigned int)l_i;
        }
        const unsigned char lt_2 = m_n;
        for (unsigned char l_j = 0u; l_j < lt_2; l_j++) {
            if ((unsigned char)(l_j % 3u) == 0u) {
                continue;
            }
            l_s += (unsigned int)l_j;
            if (l_s > 100000u) {
                break;
            }
        }
        int l_t = 0;
        while (l_t < 10) {
            l_t += 3;
        }
        for (;;) {
            l_t -= 1;
            if (l_t < 5) {
                break;
            }
        }
        m_s = l_s + (unsigned int)l_t;
    }";
    assert_body(&stub_body(Loops::DESC, Method::Sim, F32), expected);
}

#[test]
fn if_values_and_evaluation_order() {
    // Two draws in one operation: the left one first, into a temporary. An
    // `if` value without statements is a ternary; with statements it is an
    // `if` statement before its use; on the right of `&&` it only runs when
    // the left side holds. A `while` condition with statements is evaluated
    // at the top of every turn; a range bound once. A tail `if` without a
    // value is a statement.
    let expected = "{
        const float lt_0 = snn_env_rand_uniform();
        float l_z = lt_0 - snn_env_rand_uniform();
        float l_y = l_z > 0.0f ? l_z : -l_z;
        float lt_1;
        if (l_y > 0.5f) {
            float l_t = l_y * 2.0f;
            lt_1 = l_t + snn_env_rand_normal();
        } else {
            lt_1 = 0.0f;
        }
        float l_w = lt_1;
        bool l_ok = l_y > 0.1f && snn_env_rand_uniform() < 0.5f;
        bool lt_2 = l_y > 0.2f;
        if (lt_2) {
            bool lt_3;
            if (l_y > 0.3f) {
                float l_q = snn_env_rand_uniform();
                lt_3 = l_q > 0.5f;
            } else {
                lt_3 = false;
            }
            lt_2 = lt_3;
        }
        bool l_v = lt_2;
        if (l_z > 0.9f) {
            m_acc = 1.0f;
        } else if (l_z > 0.5f) {
            m_acc = 2.0f;
        } else {
            m_acc = 3.0f;
        }
        const unsigned int lt_4 = snn_env_rand_poisson(0.5f);
        unsigned int l_n = lt_4 + snn_env_rand_binomial(3u, 0.5f);
        int l_k = 0;
        for (;;) {
            const float lt_5 = snn_env_rand_uniform();
            if (!(lt_5 + snn_env_rand_uniform() < 1.0f && l_k < 10)) {
                break;
            }
            l_k += 1;
        }
        const unsigned int lt_6 = snn_env_rand_poisson(2.0f);
        for (unsigned int l__i = 0u; l__i < lt_6; l__i++) {
            l_k += 1;
        }
        snn_env_inject_current(l_w + (l_ok ? 1.0f : 0.0f) + (l_v ? 0.5f : 0.0f) + (float)l_n);
        if (l_k > 3) {
            snn_env_inject_current(1.0f);
        } else {
            snn_env_inject_current(-1.0f);
        }
    }";
    assert_body(&stub_body(Order::DESC, Method::Inject, F32), expected);
}

#[test]
fn math_methods_and_constants() {
    let expected = "{
        float l_x = m_x;
        float l_a = snn_exp_f32(l_x) + snn_exp2_f32(l_x) + snn_exp_m1_f32(l_x) + snn_ln_f32(l_x) + snn_log10_f32(l_x) + snn_log2_f32(l_x) + snn_ln_1p_f32(l_x);
        float l_b = sqrt(l_x) + snn_cbrt_f32(l_x) + snn_powf_f32(l_x, 1.5f) + snn_powi_f32(l_x, 3) + fabs(l_x) + snn_signum_f32(l_x);
        float l_c = fmin(l_x, 1.0f) + fmax(l_x, 0.0f) + snn_clamp_f32(l_x, -1.0f, 1.0f);
        float l_d = snn_sin_f32(l_x) + snn_cos_f32(l_x) + snn_tan_f32(l_x) + snn_asin_f32(l_x) + snn_acos_f32(l_x) + snn_atan_f32(l_x) + snn_atan2_f32(l_x, 2.0f);
        float l_e = snn_sinh_f32(l_x) + snn_cosh_f32(l_x) + snn_tanh_f32(l_x);
        float l_f = floor(l_x) + ceil(l_x) + round(l_x) + trunc(l_x) + snn_fract_f32(l_x);
        float l_g = fma(l_x, 2.0f, 1.0f) + snn_hypot_f32(l_x, 3.0f) + 1.0f / l_x + l_x * 57.29578f + l_x * 0.017453292f;
        float l_h = 3.1415927f + 2.7182817f + 1.1920929e-7f - 3.4028235e38f * 0.0f + 0.70710677f;
        bool l_fin = isfinite(l_a + l_b) && !isnan(l_c + l_d);
        m_ok = (l_fin ? 1u : 0u) + 4294967295u / 4294967295u + ((unsigned int)(-2147483647 - 1) >> 31);
        m_x = l_a + l_b + l_c + l_d + l_e + l_f + l_g + l_h + fmod(l_x, 0.75f);
        if (m_x > SNN_INF_F32 || m_x < (-SNN_INF_F32)) {
            m_x = SNN_NAN_F32;
        }
    }";
    assert_body(&stub_body(Maths::DESC, Method::Sim, F32), expected);
    let body = stub_body(Maths::DESC, Method::Sim, F64);
    for part in [
        "snn_powi_f64(l_x, 3)",
        "snn_powf_f64(l_x, 1.5)",
        "snn_ln_1p_f64(l_x)",
        "l_x * 57.29577951308232",
        "l_x * 0.017453292519943295",
        "3.141592653589793 + 2.718281828459045 + 2.220446049250313e-16 - \
         1.7976931348623157e308 * 0.0",
        "SNN_NAN_F64",
    ] {
        assert!(body.contains(part), "{part} not in\n{body}");
    }
}

#[test]
fn value_methods_return_their_value() {
    assert_body(
        &stub_body(Maths::DESC, Method::Threshold, F32),
        "{
            if (m_x > 100.0f) {
                return true;
            }
            return m_ok > 1u;
        }",
    );
}

/// A context printing fields as `f_<name>` and env calls as `e_<name>(...)`.
fn print_with(desc: &'static ModelDesc, method: Method, exit: Exit) -> Result<String, String> {
    let field = |f: &FieldDesc| format!("f_{}", f.name);
    let env = |call: EnvCall, args: &[String]| Ok(format!("e_{call}({})", args.join(", ")));
    let ctx = CodeCtx {
        precision: F32,
        field: &field,
        env: &env,
        model: desc,
        exit,
    };
    method_to_c(desc.method(method).unwrap(), &ctx).map_err(|e| e.to_string())
}

#[test]
fn inlined_methods_jump_to_a_label() {
    let exit = Exit::Goto {
        result: Some("spike"),
        label: "end_threshold_0",
    };
    assert_body(
        &print_with(Maths::DESC, Method::Threshold, exit).unwrap(),
        "{
            if (f_x > 100.0f) {
                spike = true;
                goto end_threshold_0;
            }
            spike = f_ok > 1u;
        }
        end_threshold_0: ;",
    );
    // Without an early return there is no label.
    let body = print_with(snn_core::builtin::Lif::DESC, Method::Threshold, exit).unwrap();
    assert_body(
        &body,
        "{\n    spike = f_refrac_time <= 0.0f && f_v >= f_v_thresh;\n}",
    );
    // A value needs a result variable.
    let err = print_with(
        Maths::DESC,
        Method::Threshold,
        Exit::Goto {
            result: None,
            label: "x",
        },
    )
    .unwrap_err();
    assert!(err.contains("no result variable"), "{err}");
}

#[test]
fn unknown_env_calls_name_model_method_and_call() {
    // The stub environment only allows what the kind allows: build a context
    // that refuses `rand_normal`.
    let field = |f: &FieldDesc| format!("f_{}", f.name);
    let env = |call: EnvCall, args: &[String]| {
        if call == EnvCall::RandNormal {
            Err("no random numbers on this backend".to_string())
        } else {
            Ok(format!("e_{call}({})", args.join(", ")))
        }
    };
    let desc = snn_core::builtin::GaussianNoise::DESC;
    let ctx = CodeCtx {
        precision: F32,
        field: &field,
        env: &env,
        model: desc,
        exit: Exit::Return,
    };
    let err = method_to_c(desc.method(Method::Inject).unwrap(), &ctx).unwrap_err();
    assert_eq!(err.model, "GaussianNoise");
    assert_eq!(err.method, Method::Inject);
    assert!(matches!(err.problem, Problem::UnknownEnvCall { .. }));
    assert_eq!(
        err.to_string(),
        "cannot generate GPU code for current-source model `GaussianNoise`, method `inject`: \
         the environment call `env.rand_normal()` is not available: no random numbers on this \
         backend"
    );
}

// Hand-written IR for errors the macros would not let through.

const V: FieldDesc = FieldDesc {
    name: "v",
    kind: FieldKind::Var,
    ty: IrType::Scalar,
    constraint: snn_core::model::Constraint::Finite,
    bind: "v",
};
const P: FieldDesc = FieldDesc {
    name: "p",
    kind: FieldKind::Param,
    ty: IrType::Scalar,
    constraint: snn_core::model::Constraint::Finite,
    bind: "p",
};
const ONE: Expr = Expr::Lit(Lit::Float("1.0", None));
const TWO: Expr = Expr::Lit(Lit::Int("2", None));

fn sim_of(name: &'static str, stmts: &'static [Stmt]) -> &'static ModelDesc {
    let methods: &'static [MethodIr] = Box::leak(Box::new([MethodIr {
        method: Method::Sim,
        body: Block { stmts, tail: None },
        writes: &[],
    }]));
    Box::leak(Box::new(ModelDesc {
        name,
        kind: ModelKind::Neuron,
        fields: &[V, P],
        methods,
        auto_refractory: true,
    }))
}

fn error_of(desc: &'static ModelDesc) -> String {
    print_with(desc, Method::Sim, Exit::Return).unwrap_err()
}

#[test]
fn errors_name_the_model_method_and_problem() {
    let unknown_field = sim_of(
        "UnknownField",
        &[Stmt::Assign {
            place: Place::Field("w"),
            op: None,
            value: &ONE,
        }],
    );
    assert_eq!(
        error_of(unknown_field),
        "cannot generate GPU code for neuron model `UnknownField`, method `sim`: the model has \
         no field `self.w`"
    );
    let mismatch = sim_of(
        "Mismatch",
        &[Stmt::Assign {
            place: Place::Field("v"),
            op: None,
            value: &Expr::Binary(BinOp::Add, &ONE, &TWO),
        }],
    );
    let msg = error_of(mismatch);
    assert!(
        msg.contains(
            "type error: operands of `+`: mismatched types a float literal and an integer literal"
        ),
        "{msg}"
    );
    let param = sim_of(
        "WritesParam",
        &[Stmt::Assign {
            place: Place::Field("p"),
            op: None,
            value: &ONE,
        }],
    );
    assert!(
        error_of(param).contains("only state variables"),
        "{}",
        error_of(param)
    );
    let uninferable = sim_of(
        "NoType",
        &[Stmt::Let {
            name: "x",
            ty: None,
            init: None,
        }],
    );
    assert!(
        error_of(uninferable).contains("cannot be inferred"),
        "{}",
        error_of(uninferable)
    );
    // Malformed IR (the macros check arities): a call without its argument.
    let bad_env = sim_of("BadEnv", &[Stmt::Expr(&Expr::Env(EnvCall::AddToPost, &[]))]);
    assert!(
        error_of(bad_env).contains("`env.add_to_post()` takes 1 argument(s), got 0"),
        "{}",
        error_of(bad_env)
    );
    let float_bits = sim_of(
        "FloatBits",
        &[Stmt::Assign {
            place: Place::Field("v"),
            op: Some(BinOp::BitAnd),
            value: &ONE,
        }],
    );
    assert!(
        error_of(float_bits).contains("`&` on `f32` and `f32`"),
        "{}",
        error_of(float_bits)
    );
    let wide = sim_of(
        "WideLiteral",
        &[Stmt::Let {
            name: "x",
            ty: Some(IrType::U8),
            init: Some(&Expr::Lit(Lit::Int("256", None))),
        }],
    );
    assert!(
        error_of(wide).contains("does not fit in `u8`"),
        "{}",
        error_of(wide)
    );
}
