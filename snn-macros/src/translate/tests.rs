//! Unit tests of `translate`.

use super::*;

const ENV_CALLS: &[EnvCall] = &[EnvCall::Dt, EnvCall::AddToPost, EnvCall::RandUniform];

/// Local variables that [`run`] declares around the body, so that the
/// tests can translate expressions over free variables.
const FREE: &[&str] = &[
    "a", "b", "c", "d", "i", "n", "p", "q", "s", "x", "y", "z", "lo", "hi", "type",
];

/// Translates `body` with core path `c`, environment parameter `env`, and
/// the local variables [`FREE`] in scope.
fn run(body: &str) -> syn::Result<Translated> {
    run_in_scope(body, FREE)
}

/// Translates `body` like [`run`], with only `outer` in scope.
fn run_in_scope(body: &str, outer: &[&str]) -> syn::Result<Translated> {
    let core = quote!(c);
    let env: syn::Ident = syn::parse_str("env").unwrap();
    let ctx = TranslateCtx {
        core: &core,
        env_param: Some(&env),
        env_calls: ENV_CALLS,
        what: "neuron model `Lif`, method `sim`",
    };
    let block: syn::Block = syn::parse_str(body).unwrap();
    translate_in_scope(&block, &ctx, outer)
}

/// Token text with the `::core::option::Option::` paths shortened.
fn norm(tokens: &TokenStream) -> String {
    tokens
        .to_string()
        .replace(":: core :: option :: Option :: ", "")
}

/// The translated block of `body`, normalised.
fn gen(body: &str) -> String {
    match run(body) {
        Ok(t) => norm(&t.block),
        Err(e) => panic!("unexpected error for {body}: {e}"),
    }
}

/// The messages of all errors of `body`.
fn errors(body: &str) -> Vec<String> {
    match run(body) {
        Ok(t) => panic!("expected an error for {body}, got {}", t.block),
        Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
    }
}

/// Asserts that `body` gives exactly one error mentioning `needle`.
fn assert_error(body: &str, needle: &str) {
    let errs = errors(body);
    assert_eq!(errs.len(), 1, "{body}: {errs:?}");
    assert!(
        errs[0].contains(needle),
        "{body}: {:?} lacks {needle:?}",
        errs[0]
    );
    assert!(
        errs[0].contains("(in neuron model `Lif`, method `sim`)"),
        "{errs:?}"
    );
}

/// Expected text of a block with the given statements and tail.
fn block(stmts: TokenStream, tail: Option<TokenStream>) -> String {
    let tail = match tail {
        Some(t) => quote!(Some(&#t)),
        None => quote!(None),
    };
    quote!(c::ir::Block { stmts: &[#stmts], tail: #tail }).to_string()
}

/// Expected text of a block that is just a tail expression.
fn tail(e: TokenStream) -> String {
    block(quote!(), Some(e))
}

/// Expected text of a block with one statement.
fn stmt(s: TokenStream) -> String {
    block(s, None)
}

fn local(name: &str) -> TokenStream {
    quote!(c::ir::Expr::Local(#name))
}

fn field(name: &str) -> TokenStream {
    quote!(c::ir::Expr::Field(#name))
}

fn float(digits: &str) -> TokenStream {
    quote!(c::ir::Expr::Lit(c::ir::Lit::Float(#digits, None)))
}

fn int(digits: &str) -> TokenStream {
    quote!(c::ir::Expr::Lit(c::ir::Lit::Int(#digits, None)))
}

fn bin(op: &str, l: TokenStream, r: TokenStream) -> TokenStream {
    let op = format_ident!("{op}");
    quote!(c::ir::Expr::Binary(c::ir::BinOp::#op, &#l, &#r))
}

// ---------------------------------------------------------------- literals

#[test]
fn float_literals_keep_digits_and_suffix() {
    assert_eq!(gen("{ 0.5 }"), tail(float("0.5")));
    assert_eq!(
        gen("{ 0.5f32 }"),
        tail(quote!(c::ir::Expr::Lit(c::ir::Lit::Float(
            "0.5",
            Some(c::ir::IrType::F32)
        ))))
    );
    assert_eq!(
        gen("{ 1_000.25_f64 }"),
        tail(quote!(c::ir::Expr::Lit(c::ir::Lit::Float(
            "1000.25",
            Some(c::ir::IrType::F64)
        ))))
    );
    assert_eq!(gen("{ 1e-3 }"), tail(float("1e-3")));
    assert_eq!(gen("{ 2.5E+4 }"), tail(float("2.5e4")));
}

#[test]
fn integer_with_float_suffix_is_a_float_literal() {
    assert_eq!(
        gen("{ 1f32 }"),
        tail(quote!(c::ir::Expr::Lit(c::ir::Lit::Float(
            "1",
            Some(c::ir::IrType::F32)
        ))))
    );
}

#[test]
fn integer_and_bool_literals() {
    assert_eq!(gen("{ 42 }"), tail(int("42")));
    assert_eq!(
        gen("{ 1_000u32 }"),
        tail(quote!(c::ir::Expr::Lit(c::ir::Lit::Int(
            "1000",
            Some(c::ir::IrType::U32)
        ))))
    );
    assert_eq!(
        gen("{ 7usize }"),
        tail(quote!(c::ir::Expr::Lit(c::ir::Lit::Int(
            "7",
            Some(c::ir::IrType::Usize)
        ))))
    );
    assert_eq!(gen("{ 0xff }"), tail(int("255")));
    assert_eq!(
        gen("{ true }"),
        tail(quote!(c::ir::Expr::Lit(c::ir::Lit::Bool(true))))
    );
    assert_eq!(
        gen("{ false }"),
        tail(quote!(c::ir::Expr::Lit(c::ir::Lit::Bool(false))))
    );
}

#[test]
fn rejects_other_literals_and_suffixes() {
    assert_error(r#"{ "text" }"#, "only number and boolean literals");
    assert_error("{ 'c' }", "only number and boolean literals");
    assert_error("{ 3i8 }", "literal suffix `i8`");
    assert_error("{ 3u128 }", "literal suffix `u128`");
}

// ------------------------------------------------------- paths and fields

#[test]
fn locals_fields_and_indexing() {
    assert_eq!(gen("{ x }"), tail(local("x")));
    assert_eq!(gen("{ r#type }"), tail(local("type")));
    assert_eq!(gen("{ self.v }"), tail(field("v")));
    let idx = quote!(c::ir::Expr::Index(
        &c::ir::Expr::Field("table"),
        &c::ir::Expr::Local("i")
    ));
    assert_eq!(gen("{ self.table[i] }"), tail(idx));
}

#[test]
fn constants() {
    let cases = [
        (
            "Scalar::consts::PI",
            quote!(c::ir::Expr::Const("PI", c::ir::IrType::Scalar)),
        ),
        (
            "f32::consts::PI",
            quote!(c::ir::Expr::Const("PI", c::ir::IrType::F32)),
        ),
        (
            "std::f64::consts::E",
            quote!(c::ir::Expr::Const("E", c::ir::IrType::F64)),
        ),
        (
            "::core::f32::consts::TAU",
            quote!(c::ir::Expr::Const("TAU", c::ir::IrType::F32)),
        ),
        (
            "f32::INFINITY",
            quote!(c::ir::Expr::Const("INFINITY", c::ir::IrType::F32)),
        ),
        (
            "f64::NEG_INFINITY",
            quote!(c::ir::Expr::Const("NEG_INFINITY", c::ir::IrType::F64)),
        ),
        (
            "Scalar::MAX",
            quote!(c::ir::Expr::Const("MAX", c::ir::IrType::Scalar)),
        ),
        (
            "f32::MIN_POSITIVE",
            quote!(c::ir::Expr::Const("MIN_POSITIVE", c::ir::IrType::F32)),
        ),
        (
            "f32::EPSILON",
            quote!(c::ir::Expr::Const("EPSILON", c::ir::IrType::F32)),
        ),
        (
            "f32::NAN",
            quote!(c::ir::Expr::Const("NAN", c::ir::IrType::F32)),
        ),
        (
            "u32::MAX",
            quote!(c::ir::Expr::Const("MAX", c::ir::IrType::U32)),
        ),
        (
            "std::f32::MAX",
            quote!(c::ir::Expr::Const("MAX", c::ir::IrType::F32)),
        ),
    ];
    for (src, expected) in cases {
        assert_eq!(gen(&format!("{{ {src} }}")), tail(expected), "{src}");
    }
}

#[test]
fn rejects_other_paths() {
    assert_error("{ foo::bar }", "paths are not translatable");
    assert_error("{ f32::consts::NOPE }", "the constant `f32::consts::NOPE`");
    assert_error(
        "{ u32::consts::PI }",
        "integer types only have the constants",
    );
    assert_error("{ u32::EPSILON }", "the constant `u32::EPSILON`");
    assert_error("{ std::Scalar::MAX }", "paths are not translatable");
    assert_error("{ bool::MAX }", "paths are not translatable");
    assert_error("{ <f32 as Foo>::X }", "qualified paths");
    assert_error("{ Vec::<f32>::X }", "generic arguments");
}

#[test]
fn rejects_bad_field_access() {
    assert_error("{ self }", "`self` can only be used to access fields");
    assert_error("{ foo.x }", "field access is only translatable on `self`");
    assert_error("{ self.0 }", "tuple fields");
    assert_error("{ x[1] }", "indexing is only translatable on `self` fields");
    assert_error(
        "{ self.a.b }",
        "field access is only translatable on `self`",
    );
}

// ------------------------------------------------- native constant paths

/// `body` after [`rewrite_scalar_paths`] with `Scalar` = `scalar`, as
/// token text.
fn rewritten(body: &str, scalar: &str) -> String {
    let mut block: syn::Block = syn::parse_str(body).unwrap();
    rewrite_scalar_paths(&mut block, &syn::Ident::new(scalar, Span::call_site()));
    block.to_token_stream().to_string()
}

/// Token text of `body`, for comparisons with [`rewritten`].
fn tokens(body: &str) -> String {
    syn::parse_str::<syn::Block>(body)
        .unwrap()
        .to_token_stream()
        .to_string()
}

#[test]
fn rewrites_scalar_consts_module_paths() {
    assert_eq!(
        rewritten("{ Scalar::consts::PI }", "f32"),
        tokens("{ ::core::f32::consts::PI }")
    );
    assert_eq!(
        rewritten("{ Scalar::consts::PI }", "f64"),
        tokens("{ ::core::f64::consts::PI }")
    );
    assert_eq!(
        rewritten("{ 2.0 * Scalar::consts::FRAC_1_SQRT_2 }", "f64"),
        tokens("{ 2.0 * ::core::f64::consts::FRAC_1_SQRT_2 }")
    );
}

#[test]
fn rewrites_scalar_associated_consts() {
    for name in FLOAT_ASSOC_CONSTS {
        assert_eq!(
            rewritten(&format!("{{ Scalar::{name} }}"), "f32"),
            tokens(&format!("{{ ::core::primitive::f32::{name} }}")),
        );
        assert_eq!(
            rewritten(&format!("{{ Scalar::{name} }}"), "f64"),
            tokens(&format!("{{ ::core::primitive::f64::{name} }}")),
        );
    }
}

#[test]
fn rewrites_f32_and_f64_consts_paths_whatever_the_scalar() {
    for scalar in ["f32", "f64"] {
        assert_eq!(
            rewritten("{ f32::consts::PI + f64::consts::E as f32 }", scalar),
            tokens("{ ::core::f32::consts::PI + ::core::f64::consts::E as f32 }")
        );
    }
}

#[test]
fn rewrites_paths_everywhere_in_the_body() {
    let body = "{
        let w: Scalar = 2.0 * Scalar::consts::TAU / self.period;
        if w < Scalar::EPSILON {
            self.v = (w * f32::consts::FRAC_PI_2 as Scalar).sin().max(Scalar::MIN);
        } else if w > Scalar::MAX {
            return;
        }
        for i in 0..(Scalar::consts::E as u32) {
            self.v += env.rand_poisson(Scalar::consts::LN_2) + i as Scalar;
        }
        while self.v > Scalar::INFINITY { self.v = -Scalar::NAN; }
        let y = if self.v > 0.0 { f64::consts::PI as Scalar } else { self.t[Scalar::MAX as usize] };
        y
    }";
    let expected = "{
        let w: Scalar = 2.0 * ::core::f64::consts::TAU / self.period;
        if w < ::core::primitive::f64::EPSILON {
            self.v = (w * ::core::f32::consts::FRAC_PI_2 as Scalar).sin().max(::core::primitive::f64::MIN);
        } else if w > ::core::primitive::f64::MAX {
            return;
        }
        for i in 0..(::core::f64::consts::E as u32) {
            self.v += env.rand_poisson(::core::f64::consts::LN_2) + i as Scalar;
        }
        while self.v > ::core::primitive::f64::INFINITY { self.v = -::core::primitive::f64::NAN; }
        let y = if self.v > 0.0 { ::core::f64::consts::PI as Scalar } else { self.t[::core::primitive::f64::MAX as usize] };
        y
    }";
    assert_eq!(rewritten(body, "f64"), tokens(expected));
}

#[test]
fn leaves_other_paths_alone() {
    let bodies = [
        "{ std::f32::consts::PI }",
        "{ std::f64::consts::E }",
        "{ core::f32::consts::PI }",
        "{ ::core::f32::consts::PI }",
        "{ ::std::f64::consts::PI }",
        "{ ::core::primitive::f32::MAX }",
        "{ f32::INFINITY + f64::MAX as f32 }",
        "{ u32::MAX as Scalar }",
        "{ std::f32::MAX }",
        "{ x + Scalar::RADIX as Scalar }",
        "{ Scalar::from(1.0f32) }",
        "{ <Scalar>::MAX }",
        "{ <Scalar as Foo>::consts::PI }",
        "{ foo::consts::PI + u32::consts::PI }",
        "{ ::Scalar::MAX + ::f32::consts::PI }",
        "{ Scalar::<f32>::MAX }",
        "{ Scalar::consts::inner::PI }",
        "{ let x: Scalar = 1.0 as Scalar; x }",
        "{ println!(\"{}\", Scalar::consts::PI); }",
    ];
    for body in bodies {
        for scalar in ["f32", "f64"] {
            assert_eq!(rewritten(body, scalar), tokens(body), "{body}");
        }
    }
}

#[test]
fn rewritten_paths_keep_the_span_of_the_original() {
    let mut block: syn::Block = syn::parse_str("{ Scalar::consts::PI }").unwrap();
    rewrite_scalar_paths(&mut block, &syn::Ident::new("f32", Span::call_site()));
    let Some(syn::Stmt::Expr(syn::Expr::Path(p), None)) = block.stmts.first() else {
        panic!("unexpected body {}", block.to_token_stream());
    };
    let spans: Vec<Option<String>> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.span().source_text())
        .collect();
    if spans.iter().all(Option::is_some) {
        let spans: Vec<String> = spans.into_iter().flatten().collect();
        assert_eq!(spans, ["Scalar", "Scalar", "consts", "PI"]);
    }
}

// ------------------------------------------------- local variable scopes

/// The messages of all errors of `body`, translated with no free
/// variables in scope.
fn strict_errors(body: &str) -> Vec<String> {
    match run_in_scope(body, &[]) {
        Ok(t) => panic!("expected an error for {body}, got {}", t.block),
        Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
    }
}

/// Asserts that `body` (with no free variables) gives exactly one error,
/// reporting `name` as undeclared.
fn assert_undeclared(body: &str, name: &str) {
    let errs = strict_errors(body);
    assert_eq!(errs.len(), 1, "{body}: {errs:?}");
    let expected = format!(
        "`{name}` is not a local variable of this method: constants, statics and other \
         items outside the model cannot be translated to GPU code; use a #[param] or \
         #[derived] field instead (in neuron model `Lif`, method `sim`)"
    );
    assert_eq!(errs[0], expected, "{body}");
}

/// Asserts that `body` translates with no free variables in scope.
fn assert_translates(body: &str) {
    if let Err(e) = run_in_scope(body, &[]) {
        panic!("unexpected error for {body}: {e}");
    }
}

#[test]
fn rejects_undeclared_identifiers() {
    assert_undeclared("{ self.v += FOO; }", "FOO");
    assert_undeclared("{ self.v += FOO as Scalar; }", "FOO");
    assert_undeclared("{ self.v = FOO.exp(); }", "FOO");
    assert_undeclared("{ self.v = self.t[IDX]; }", "IDX");
    assert_undeclared("{ for i in 0..N { } }", "N");
    assert_undeclared("{ if ENABLED { self.v = 0.0; } }", "ENABLED");
    assert_undeclared("{ env.add_to_post(G); }", "G");
    assert_undeclared("{ let y = -r#type; }", "r#type");
    // Enum variants and unit structs are items too.
    assert_undeclared("{ let y = None; }", "None");
}

#[test]
fn rejects_assignments_to_undeclared_locals() {
    assert_undeclared("{ x = 1.0; }", "x");
    assert_undeclared("{ COUNTER += 1; }", "COUNTER");
    assert_undeclared("{ (x) = 1.0; }", "x");
}

#[test]
fn rejects_use_before_declaration() {
    assert_undeclared("{ let y = later; let later = 1.0; }", "later");
    assert_undeclared("{ later = 2.0; let later = 1.0; }", "later");
    // A `let` is not in scope in its own initializer.
    assert_undeclared("{ let x = x + 1.0; }", "x");
    assert_undeclared("{ let x: Scalar = if true { x } else { 0.0 }; }", "x");
}

#[test]
fn rejects_use_outside_the_declaring_block() {
    assert_undeclared("{ if self.v > 0.0 { let t = 1.0; } self.v = t; }", "t");
    assert_undeclared(
        "{ if self.v > 0.0 { } else { let t = 1.0; } self.v += t; }",
        "t",
    );
    assert_undeclared(
        "{ if self.v > 0.0 { } else if self.v < 0.0 { let t = 1.0; } t = 0.0; }",
        "t",
    );
    assert_undeclared("{ while self.v > 0.0 { let t = 1.0; } self.v = t; }", "t");
    assert_undeclared("{ loop { let t = 1.0; break; } self.v = t; }", "t");
    assert_undeclared(
        "{ let u = if self.v > 0.0 { let k = 2.0; k } else { 0.0 }; self.v = u * k; }",
        "k",
    );
    // Sibling blocks do not share variables.
    assert_undeclared(
        "{ if self.v > 0.0 { let t = 1.0; } else { self.v = t; } }",
        "t",
    );
}

#[test]
fn loop_variables_are_only_in_scope_in_the_body() {
    assert_translates("{ for i in 0..3 { self.v += i as Scalar; } }");
    assert_undeclared(
        "{ for i in 0..3 { self.v += i as Scalar; } self.v = i as Scalar; }",
        "i",
    );
    assert_undeclared("{ for i in 0..3 { } i = 1; }", "i");
    // Not in its own range either.
    assert_undeclared("{ for i in 0..i { } }", "i");
    // Variables of the body end with each iteration.
    assert_undeclared(
        "{ for i in 0..3 { let t = i; } self.v = t as Scalar; }",
        "t",
    );
}

#[test]
fn declared_locals_translate() {
    assert_translates(
        "{
            let a = 1.0;
            let mut b: Scalar;
            b = a;
            let n: usize;
            n = 3;
            for i in 0..n {
                let t = i as Scalar * b;
                b += t;
                for j in i..n { b += (i + j) as Scalar; }
                if t > a { let u = t; b -= u; } else { b += a; }
            }
            while b > a { b -= a; }
            let c = if b > 0.0 { let d = b * 2.0; d + a } else { a };
            self.v = c;
        }",
    );
    assert_translates("{ let r#type = 1.0; self.v = r#type + r#type; }");
    assert_translates("{ let x = 1.0; self.v = r#x; }");
}

#[test]
fn shadowing_still_works() {
    let one = float("1.0");
    let sum = bin("Add", local("x"), float("1.0"));
    assert_eq!(
        norm(
            &run_in_scope("{ let x = 1.0; let x = x + 1.0; x }", &[])
                .unwrap()
                .block
        ),
        block(
            quote!(
                c::ir::Stmt::Let { name: "x", ty: None, init: Some(&#one) },
                c::ir::Stmt::Let { name: "x", ty: None, init: Some(&#sum) }
            ),
            Some(local("x"))
        )
    );
    // An inner shadow ends with its block; the outer variable stays.
    assert_translates("{ let x = 1.0; if self.v > x { let x = 2.0; self.v = x; } self.v += x; }");
    // A loop variable may shadow an outer variable, which is visible
    // again after the loop (and in the range).
    assert_translates(
        "{ let i = 5; for i in 0..i { self.v += i as Scalar; } self.v += i as Scalar; }",
    );
}

#[test]
fn rejected_patterns_still_declare_their_names() {
    // Only the pattern (and the tuple) are reported, not every later use
    // of `a` and `b`.
    let errs = strict_errors("{ let (a, b) = (1.0, 2.0); self.v = a + b; }");
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[0].contains("must bind a plain identifier"), "{errs:?}");
    let errs = strict_errors("{ for mut i in 0..3 { self.v = i as Scalar; } }");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("a `mut` loop variable"), "{errs:?}");
}

#[test]
fn undeclared_error_spans_the_identifier() {
    let err = run_in_scope("{ let a = 1.0; self.v = a * FOO; }", &[])
        .err()
        .unwrap();
    let tokens = err.to_compile_error();
    if let Some(source) = tokens
        .into_iter()
        .next()
        .and_then(|t| t.span().source_text())
    {
        assert_eq!(source, "FOO");
    }
}

#[test]
fn fields_and_writes_are_collected_in_order() {
    let t =
        run("{ let a = self.x + self.y; self.z = a; self.y += self.x; self.z = 0.0; self.t[0] }")
            .unwrap();
    let names = |v: &[(String, Span)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&t.fields), ["x", "y", "z", "t"]);
    assert_eq!(names(&t.writes), ["z", "y"]);
}

// -------------------------------------------------------------- operators

#[test]
fn unary_binary_parens_and_casts() {
    assert_eq!(
        gen("{ -x }"),
        tail(quote!(c::ir::Expr::Unary(
            c::ir::UnOp::Neg,
            &c::ir::Expr::Local("x")
        )))
    );
    assert_eq!(
        gen("{ !b }"),
        tail(quote!(c::ir::Expr::Unary(
            c::ir::UnOp::Not,
            &c::ir::Expr::Local("b")
        )))
    );
    assert_eq!(
        gen("{ (a + b) * c }"),
        tail(bin("Mul", bin("Add", local("a"), local("b")), local("c")))
    );
    let ops = [
        ("+", "Add"),
        ("-", "Sub"),
        ("*", "Mul"),
        ("/", "Div"),
        ("%", "Rem"),
        ("&&", "And"),
        ("||", "Or"),
        ("&", "BitAnd"),
        ("|", "BitOr"),
        ("^", "BitXor"),
        ("<<", "Shl"),
        (">>", "Shr"),
        ("==", "Eq"),
        ("!=", "Ne"),
        ("<", "Lt"),
        ("<=", "Le"),
        (">", "Gt"),
        (">=", "Ge"),
    ];
    for (src, op) in ops {
        assert_eq!(
            gen(&format!("{{ a {src} b }}")),
            tail(bin(op, local("a"), local("b"))),
            "{src}"
        );
    }
    assert_eq!(
        gen("{ i as Scalar }"),
        tail(quote!(c::ir::Expr::Cast(
            &c::ir::Expr::Local("i"),
            c::ir::IrType::Scalar
        )))
    );
    assert_eq!(
        gen("{ x as u16 }"),
        tail(quote!(c::ir::Expr::Cast(
            &c::ir::Expr::Local("x"),
            c::ir::IrType::U16
        )))
    );
}

#[test]
fn rejects_bad_operators_and_casts() {
    assert_error("{ *x }", "dereferencing (`*x`)");
    assert_error("{ &x }", "references (`&x`)");
    assert_error("{ x as i8 }", "the target of an `as` cast must be one of");
    assert_error(
        "{ x as Vec<f32> }",
        "the target of an `as` cast must be one of",
    );
}

// ---------------------------------------------------------- method calls

#[test]
fn math_methods() {
    assert_eq!(
        gen("{ x.exp() }"),
        tail(quote!(c::ir::Expr::Math(
            c::dsl::MathFn::Exp,
            &[c::ir::Expr::Local("x")]
        )))
    );
    assert_eq!(
        gen("{ (self.v - 1.0).powf(2.0) }"),
        tail(quote!(c::ir::Expr::Math(
            c::dsl::MathFn::Powf,
            &[
                c::ir::Expr::Binary(
                    c::ir::BinOp::Sub,
                    &c::ir::Expr::Field("v"),
                    &c::ir::Expr::Lit(c::ir::Lit::Float("1.0", None))
                ),
                c::ir::Expr::Lit(c::ir::Lit::Float("2.0", None))
            ]
        )))
    );
    assert_eq!(
        gen("{ x.clamp(lo, hi) }"),
        tail(quote!(c::ir::Expr::Math(
            c::dsl::MathFn::Clamp,
            &[
                c::ir::Expr::Local("x"),
                c::ir::Expr::Local("lo"),
                c::ir::Expr::Local("hi")
            ]
        )))
    );
    // Every whitelisted method with its argument count translates.
    for f in MathFn::ALL {
        let args = vec!["y"; f.arity()].join(", ");
        gen(&format!("{{ x.{f}({args}) }}"));
    }
}

#[test]
fn rejects_bad_method_calls() {
    assert_error(
        "{ foo.bar() }",
        "method calls on `foo` are not translatable",
    );
    assert_error("{ foo.bar() }", "only float methods (exp, exp2, exp_m1, ln");
    assert_error("{ (a + b).sum() }", "the method `sum` is not translatable");
    assert_error("{ self.helper() }", "calling methods of `self`");
    assert_error(
        "{ x.powf() }",
        "`powf` takes 1 argument besides the receiver, but 0 were given",
    );
    assert_error(
        "{ x.exp(y) }",
        "`exp` takes 0 arguments besides the receiver, but 1 was given",
    );
    assert_error(
        "{ x.clamp(y) }",
        "`clamp` takes 2 arguments besides the receiver, but 1 was given",
    );
    assert_error("{ x.max::<f32>(y) }", "generic arguments (`::<...>`)");
}

#[test]
fn env_calls() {
    assert_eq!(
        gen("{ env.dt() }"),
        tail(quote!(c::ir::Expr::Env(c::dsl::EnvCall::Dt, &[])))
    );
    assert_eq!(
        gen("{ env.add_to_post(self.g * 2.0); }"),
        stmt(quote!(c::ir::Stmt::Expr(&c::ir::Expr::Env(
            c::dsl::EnvCall::AddToPost,
            &[c::ir::Expr::Binary(
                c::ir::BinOp::Mul,
                &c::ir::Expr::Field("g"),
                &c::ir::Expr::Lit(c::ir::Lit::Float("2.0", None))
            )]
        ))))
    );
}

#[test]
fn rejects_bad_env_use() {
    assert_error(
        "{ env.spike() }",
        "`env.spike` is not an environment method available here: the allowed ones are \
         `env.dt()`, `env.add_to_post(_)`, `env.rand_uniform()`",
    );
    assert_error(
        "{ env.dt(1.0) }",
        "`env.dt` takes 0 arguments, but 1 was given",
    );
    assert_error(
        "{ env.add_to_post() }",
        "`env.add_to_post` takes 1 argument, but 0 were given",
    );
    assert_error(
        "{ env.add_to_post(x, y) }",
        "`env.add_to_post` takes 1 argument, but 2 were given",
    );
    assert_error(
        "{ env }",
        "the environment parameter `env` can only be used as the receiver",
    );
    assert_error("{ env.x }", "field access is only translatable on `self`");
    assert_error("{ let e = env; }", "the environment parameter `env`");
}

#[test]
fn env_without_env_param_is_an_ordinary_name() {
    let core = quote!(c);
    let ctx = TranslateCtx {
        core: &core,
        env_param: None,
        env_calls: &[],
        what: "",
    };
    let body: syn::Block = syn::parse_quote!({ env.dt() });
    let err = translate_body(&body, &ctx).err().unwrap();
    assert!(
        err.to_string()
            .contains("method calls on `env` are not translatable"),
        "{err}"
    );
    let body: syn::Block = syn::parse_quote!({ env });
    let err = translate_body(&body, &ctx).err().unwrap();
    assert!(
        err.to_string()
            .contains("`env` is not a local variable of this method"),
        "{err}"
    );
    let body: syn::Block = syn::parse_quote!({
        let env = 1.0;
        env
    });
    let t = translate_body(&body, &ctx).unwrap();
    let one = float("1.0");
    assert_eq!(
        norm(&t.block),
        block(
            quote!(c::ir::Stmt::Let {
                name: "env",
                ty: None,
                init: Some(&#one)
            }),
            Some(local("env"))
        )
    );
}

#[test]
fn rejects_free_function_calls() {
    assert_error(
        "{ foo(x) }",
        "calls of the function `foo` are not translatable",
    );
    assert_error(
        "{ f32::exp(x) }",
        "write it as a method call on the first argument (`x.exp(...)`)",
    );
    assert_error("{ f32::max(x, y) }", "function-call syntax `f32::max(...)`");
}

// ---------------------------------------------------------- if as value

#[test]
fn if_expression() {
    let expected = tail(quote!(c::ir::Expr::If(
        &c::ir::Expr::Local("c"),
        &c::ir::Block {
            stmts: &[],
            tail: Some(&c::ir::Expr::Local("a"))
        },
        &c::ir::Block {
            stmts: &[],
            tail: Some(&c::ir::Expr::Local("b"))
        }
    )));
    assert_eq!(gen("{ if c { a } else { b } }"), expected);
    // `let x = if ...;`
    assert_eq!(
        gen("{ let x = if c { a } else { b }; }"),
        stmt(quote!(c::ir::Stmt::Let {
            name: "x",
            ty: None,
            init: Some(&c::ir::Expr::If(
                &c::ir::Expr::Local("c"),
                &c::ir::Block {
                    stmts: &[],
                    tail: Some(&c::ir::Expr::Local("a"))
                },
                &c::ir::Block {
                    stmts: &[],
                    tail: Some(&c::ir::Expr::Local("b"))
                }
            ))
        }))
    );
}

#[test]
fn if_expression_else_if_nests_in_a_tail() {
    let expected = tail(quote!(c::ir::Expr::If(
        &c::ir::Expr::Local("p"),
        &c::ir::Block {
            stmts: &[],
            tail: Some(&c::ir::Expr::Local("a"))
        },
        &c::ir::Block {
            stmts: &[],
            tail: Some(&c::ir::Expr::If(
                &c::ir::Expr::Local("q"),
                &c::ir::Block {
                    stmts: &[],
                    tail: Some(&c::ir::Expr::Local("b"))
                },
                &c::ir::Block {
                    stmts: &[],
                    tail: Some(&c::ir::Expr::Local("d"))
                }
            ))
        }
    )));
    assert_eq!(gen("{ if p { a } else if q { b } else { d } }"), expected);
}

#[test]
fn rejects_if_expressions_without_values() {
    assert_error("{ let x = if c { a }; }", "needs an `else` branch");
    assert_error(
        "{ let x = if c { a } else { b; }; }",
        "needs a value in each branch",
    );
    assert_error(
        "{ let x = if let Some(y) = c { a } else { b }; }",
        "`if let` is not translatable",
    );
}

// ------------------------------------------------------------- statements

#[test]
fn let_statements() {
    assert_eq!(
        gen("{ let x = 1.0; }"),
        stmt(quote!(c::ir::Stmt::Let {
            name: "x",
            ty: None,
            init: Some(&c::ir::Expr::Lit(c::ir::Lit::Float("1.0", None)))
        }))
    );
    assert_eq!(
        gen("{ let mut x: f32; }"),
        stmt(quote!(c::ir::Stmt::Let {
            name: "x",
            ty: Some(c::ir::IrType::F32),
            init: None
        }))
    );
    assert_eq!(
        gen("{ let n: usize = 3; }"),
        stmt(quote!(c::ir::Stmt::Let {
            name: "n",
            ty: Some(c::ir::IrType::Usize),
            init: Some(&c::ir::Expr::Lit(c::ir::Lit::Int("3", None)))
        }))
    );
    assert_eq!(
        gen("{ #[allow(unused)] let x: Scalar; }"),
        stmt(quote!(c::ir::Stmt::Let {
            name: "x",
            ty: Some(c::ir::IrType::Scalar),
            init: None
        }))
    );
}

#[test]
fn rejects_bad_lets() {
    assert_error("{ let (a, b) = c; }", "must bind a plain identifier");
    assert_error("{ let _ = x; }", "the pattern `_`");
    assert_error("{ let ref x = y; }", "must bind a plain identifier");
    assert_error(
        "{ let x: Vec<f32> = y; }",
        "the type of a `let` binding must be one of",
    );
    assert_error("{ let x = y else { return; }; }", "`let ... else`");
    assert_error(
        "{ #[cfg(test)] let x = 1; }",
        "attributes other than lint attributes",
    );
}

#[test]
fn assignments() {
    assert_eq!(
        gen("{ self.v = x; }"),
        stmt(quote!(c::ir::Stmt::Assign {
            place: c::ir::Place::Field("v"),
            op: None,
            value: &c::ir::Expr::Local("x")
        }))
    );
    assert_eq!(
        gen("{ x = 1; }"),
        stmt(quote!(c::ir::Stmt::Assign {
            place: c::ir::Place::Local("x"),
            op: None,
            value: &c::ir::Expr::Lit(c::ir::Lit::Int("1", None))
        }))
    );
    let ops = [
        ("+=", "Add"),
        ("-=", "Sub"),
        ("*=", "Mul"),
        ("/=", "Div"),
        ("%=", "Rem"),
        ("&=", "BitAnd"),
        ("|=", "BitOr"),
        ("^=", "BitXor"),
        ("<<=", "Shl"),
        (">>=", "Shr"),
    ];
    for (src, op) in ops {
        let op = format_ident!("{op}");
        assert_eq!(
            gen(&format!("{{ self.v {src} y; }}")),
            stmt(quote!(c::ir::Stmt::Assign {
                place: c::ir::Place::Field("v"),
                op: Some(c::ir::BinOp::#op),
                value: &c::ir::Expr::Local("y")
            })),
            "{src}"
        );
    }
    // A trailing assignment without `;` is still a statement.
    assert_eq!(
        gen("{ self.v = x }"),
        stmt(quote!(c::ir::Stmt::Assign {
            place: c::ir::Place::Field("v"),
            op: None,
            value: &c::ir::Expr::Local("x")
        }))
    );
}

#[test]
fn rejects_bad_assignments() {
    assert_error(
        "{ self.t[0] = 1.0; }",
        "extra global parameter arrays are read-only",
    );
    assert_error("{ *x = 1.0; }", "only local variables and `self` fields");
    assert_error("{ foo.x = 1.0; }", "only local variables and `self` fields");
    assert_error("{ env = 1.0; }", "`env` cannot be assigned");
    assert_error(
        "{ let y = (x = 1.0); }",
        "assignments are only translatable as statements",
    );
    assert_error(
        "{ let y = { x += 1.0 }; }",
        "blocks `{ ... }` used as values",
    );
    assert_error("{ f(x += 1); }", "calls of the function `f`");
    assert_error(
        "{ let y = x + (z += 1); }",
        "compound assignments are only translatable as statements",
    );
}

#[test]
fn expression_statements_and_tails() {
    assert_eq!(
        gen("{ env.dt(); x }"),
        block(
            quote!(c::ir::Stmt::Expr(&c::ir::Expr::Env(
                c::dsl::EnvCall::Dt,
                &[]
            ))),
            Some(local("x"))
        )
    );
    assert_eq!(gen("{ }"), block(quote!(), None));
}

#[test]
fn if_statements() {
    let then = quote!(c::ir::Block {
        stmts: &[c::ir::Stmt::Assign {
            place: c::ir::Place::Field("v"),
            op: None,
            value: &c::ir::Expr::Lit(c::ir::Lit::Float("0.0", None))
        }],
        tail: None
    });
    assert_eq!(
        gen("{ if self.v > 1.0 { self.v = 0.0; } }"),
        stmt(quote!(c::ir::Stmt::If {
            cond: &c::ir::Expr::Binary(c::ir::BinOp::Gt, &c::ir::Expr::Field("v"), &c::ir::Expr::Lit(c::ir::Lit::Float("1.0", None))),
            then: &#then,
            else_: None
        }))
    );
    // else if nests as an if statement inside the else block
    let empty = quote!(c::ir::Block {
        stmts: &[],
        tail: None
    });
    assert_eq!(
        gen("{ if a { } else if b { } else { } }"),
        stmt(quote!(c::ir::Stmt::If {
            cond: &c::ir::Expr::Local("a"),
            then: &#empty,
            else_: Some(&c::ir::Block {
                stmts: &[c::ir::Stmt::If {
                    cond: &c::ir::Expr::Local("b"),
                    then: &#empty,
                    else_: Some(&#empty)
                }],
                tail: None
            })
        }))
    );
}

#[test]
fn trailing_if_without_values_is_a_statement() {
    let expected = stmt(quote!(c::ir::Stmt::If {
        cond: &c::ir::Expr::Local("a"),
        then: &c::ir::Block {
            stmts: &[c::ir::Stmt::Break],
            tail: None
        },
        else_: Some(&c::ir::Block {
            stmts: &[c::ir::Stmt::Expr(&c::ir::Expr::Env(
                c::dsl::EnvCall::Dt,
                &[]
            ))],
            tail: None
        })
    }));
    assert_eq!(gen("{ if a { break } else { env.dt(); } }"), expected);
    let expected = stmt(quote!(c::ir::Stmt::If {
        cond: &c::ir::Expr::Local("a"),
        then: &c::ir::Block {
            stmts: &[c::ir::Stmt::Return(None)],
            tail: None
        },
        else_: None
    }));
    assert_eq!(gen("{ if a { return } }"), expected);
}

#[test]
fn rejects_if_let_statement() {
    assert_error("{ if let Some(x) = y { } }", "`if let` is not translatable");
}

#[test]
fn for_loops() {
    let body = quote!(c::ir::Block {
        stmts: &[c::ir::Stmt::Assign {
            place: c::ir::Place::Local("s"),
            op: Some(c::ir::BinOp::Add),
            value: &c::ir::Expr::Local("i")
        }],
        tail: None
    });
    assert_eq!(
        gen("{ for i in 0..n { s += i; } }"),
        stmt(quote!(c::ir::Stmt::For {
            var: "i", start: &c::ir::Expr::Lit(c::ir::Lit::Int("0", None)), end: &c::ir::Expr::Local("n"),
            inclusive: false, body: &#body
        }))
    );
    assert_eq!(
        gen("{ for i in (1..=n) { s += i; } }"),
        stmt(quote!(c::ir::Stmt::For {
            var: "i", start: &c::ir::Expr::Lit(c::ir::Lit::Int("1", None)), end: &c::ir::Expr::Local("n"),
            inclusive: true, body: &#body
        }))
    );
}

#[test]
fn rejects_bad_for_loops() {
    assert_error(
        "{ for x in v.iter() { } }",
        "only `for x in a..b` and `for x in a..=b`",
    );
    assert_error("{ for i in (0..n).rev() { } }", "only `for x in a..b`");
    assert_error("{ for i in 0.. { } }", "only `for x in a..b`");
    assert_error("{ for (a, b) in 0..n { } }", "must bind a plain identifier");
    assert_error(
        "{ for _ in 0..n { } }",
        "use a named variable such as `_unused`",
    );
    assert_error("{ for mut i in 0..n { } }", "a `mut` loop variable");
    assert_error("{ 'outer: for i in 0..n { } }", "labelled loops");
}

#[test]
fn while_loop_and_jumps() {
    assert_eq!(
        gen("{ while x < 3 { x += 1; continue; } }"),
        stmt(quote!(c::ir::Stmt::While {
            cond: &c::ir::Expr::Binary(
                c::ir::BinOp::Lt,
                &c::ir::Expr::Local("x"),
                &c::ir::Expr::Lit(c::ir::Lit::Int("3", None))
            ),
            body: &c::ir::Block {
                stmts: &[
                    c::ir::Stmt::Assign {
                        place: c::ir::Place::Local("x"),
                        op: Some(c::ir::BinOp::Add),
                        value: &c::ir::Expr::Lit(c::ir::Lit::Int("1", None))
                    },
                    c::ir::Stmt::Continue
                ],
                tail: None
            }
        }))
    );
    assert_eq!(
        gen("{ loop { break; } }"),
        stmt(quote!(c::ir::Stmt::Loop(&c::ir::Block {
            stmts: &[c::ir::Stmt::Break],
            tail: None
        })))
    );
    assert_eq!(
        gen("{ return self.v > 1.0; }"),
        stmt(quote!(c::ir::Stmt::Return(Some(&c::ir::Expr::Binary(
            c::ir::BinOp::Gt,
            &c::ir::Expr::Field("v"),
            &c::ir::Expr::Lit(c::ir::Lit::Float("1.0", None))
        )))))
    );
    assert_eq!(gen("{ return; }"), stmt(quote!(c::ir::Stmt::Return(None))));
    assert_eq!(
        gen("{ return x }"),
        stmt(quote!(c::ir::Stmt::Return(Some(&c::ir::Expr::Local("x")))))
    );
}

#[test]
fn rejects_bad_loops_and_jumps() {
    assert_error(
        "{ while let Some(x) = y { } }",
        "`while let` is not translatable",
    );
    assert_error("{ 'a: loop { } }", "labelled loops");
    assert_error("{ 'a: while c { } }", "labelled loops");
    assert_error("{ loop { break 'a; } }", "`break` with a label");
    assert_error("{ loop { continue 'a; } }", "`continue` with a label");
    assert_error(
        "{ let x = loop { break 1.0; }; }",
        "loops are only translatable as statements",
    );
    assert_error("{ loop { break 1.0; } }", "`break` with a value");
    assert_error("{ let x = a + return; }", "only translatable as statements");
}

// ------------------------------------------------- other rejected syntax

#[test]
fn rejects_other_constructs() {
    let cases = [
        ("{ fn helper() {} }", "items (functions, structs, `use`"),
        ("{ use std::f32; }", "items (functions, structs, `use`"),
        ("{ println!(\"{}\", x); }", "macro invocations (`println!`)"),
        (
            "{ let y = format!(\"\"); }",
            "macro invocations (`format!`)",
        ),
        ("{ let f = |x| x; }", "closures"),
        ("{ let t = (a, b); }", "tuples"),
        ("{ () }", "the unit value `()`"),
        ("{ let a = [1.0, 2.0]; }", "array expressions"),
        ("{ let a = [0.0; 4]; }", "array expressions"),
        ("{ let p = Point { x: 1.0 }; }", "struct expressions"),
        ("{ let r = 0..4; }", "ranges are not translatable"),
        ("{ match x { _ => 1 } }", "`match` is not translatable"),
        ("{ { let x = 1; } }", "nested blocks `{ ... }`"),
        ("{ unsafe { x = 1; } }", "`unsafe` blocks"),
        ("{ let y = unsafe { x }; }", "`unsafe` blocks"),
        ("{ let y = x?; }", "the `?` operator"),
        ("{ let y = x.await; }", "async code"),
        ("{ let y = const { 1 }; }", "`const` blocks"),
    ];
    for (body, needle) in cases {
        assert_error(body, needle);
    }
}

/// Source text covered by each error of `body`. Needs proc-macro2's
/// `span-locations` feature; without it (the default for this crate)
/// spans carry no positions and this returns `None`.
fn error_sources(body: &str) -> Option<Vec<String>> {
    let err = run(body).err().unwrap();
    err.into_iter()
        .map(|e| {
            // `new_spanned` errors cover first..last token; the first
            // token's span starts the covered text.
            let tokens = e.to_compile_error();
            let span = tokens.into_iter().next()?.span();
            span.source_text()
        })
        .collect()
}

#[test]
fn error_spans_point_at_the_offending_code() {
    let body = "{ let a = 1.0; let b = foo(a) + x.bar(); self.q[0] = 2.0; }";
    if let Some(sources) = error_sources(body) {
        assert_eq!(sources, ["foo", "bar", "self"]);
    }
}

#[test]
fn all_errors_are_combined() {
    let body = "{
        let (a, b) = (1, 2);
        self.v = foo(x);
        println!(\"hi\");
        for i in v.iter() { let y = &z; }
        let w = match q { _ => 1 };
        self.u += env.nope();
        x
    }";
    let errs = errors(body);
    // pattern, tuple, foo(), println!, v.iter(), &z, match, env.nope
    assert_eq!(errs.len(), 8, "{errs:#?}");
}

#[test]
fn uses_the_core_path() {
    let core = quote!(::snn_core);
    let ctx = TranslateCtx {
        core: &core,
        env_param: None,
        env_calls: &[],
        what: "test",
    };
    let body: syn::Block = syn::parse_quote!({ self.v });
    let t = translate_body(&body, &ctx).unwrap();
    assert_eq!(
        t.block.to_string(),
        quote!(::snn_core::ir::Block {
            stmts: &[],
            tail: ::core::option::Option::Some(&::snn_core::ir::Expr::Field("v"))
        })
        .to_string()
    );
}

#[test]
fn a_realistic_neuron_body() {
    let t = run("{
        let alpha = (-env.dt() / self.tau_m).exp();
        if self.ref_count > 0 {
            self.ref_count -= 1;
        } else {
            self.v = alpha * self.v + (1.0 - alpha) * (self.v_rest + self.r * self.i_syn);
        }
    }")
    .unwrap();
    let names = |v: &[(String, Span)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&t.writes), ["ref_count", "v"]);
    assert_eq!(
        names(&t.fields),
        ["tau_m", "ref_count", "v", "v_rest", "r", "i_syn"]
    );
}

#[test]
fn math_method_calls_are_rewritten_to_the_one_math_library() {
    let mut body: syn::Block = syn::parse_quote!({
        x.exp() + (x + y).powf(y) + x.powi(2) + x.ln_1p() + x.hypot(y) + x.max(y) + x.exp(y)
    });
    rewrite_elementary_calls(&mut body, &quote::quote!(c));
    let got = norm(&quote::quote!(#body));
    let want = norm(&quote::quote!({
        c::math::Elementary::exp(x)
            + c::math::Powers::powf(x + y, y)
            + c::math::Powers::powi(x, 2)
            + c::math::Powers::ln_1p(x)
            + c::math::Powers::hypot(x, y)
            + x.max(y)
            + x.exp(y)
    }));
    assert_eq!(got, want);
}
