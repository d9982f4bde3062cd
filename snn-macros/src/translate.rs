//! Translation of model method bodies into the IR of `snn_core::ir`.
//!
//! [`translate_body`] walks the body of a model method (ordinary Rust, which
//! rustc also type-checks and compiles natively for the CPU backend) and
//! produces tokens of an expression of type `snn_core::ir::Block` that can be
//! used in a `const` initializer. It only checks the *shape* of the code:
//! anything outside the translatable subset documented in `snn_core::ir` is
//! reported as a [`syn::Error`] spanned at the offending code, and all errors
//! of a body are combined into one.
//!
//! A single identifier must name a local variable in scope: one declared by
//! an earlier `let` of the same or an enclosing block, or a `for` loop
//! variable inside its loop body. Anything else (a `const`, a `static`, an
//! enum variant, ...) is an item outside the model and is rejected.
//!
//! [`rewrite_scalar_paths`] adapts the constant paths the translator accepts
//! (`Scalar::consts::PI`, ...) for the native re-emission of a body.
//!
//! The translator is organised as one method per syntax category: blocks,
//! statements (`let`, assignments, `if`, loops, jumps) and expressions
//! (literals, paths and constants, `self` fields, operators, casts, `if`
//! values, method calls).

// The entry points are called by the attribute macros in `lib.rs`.
#![allow(dead_code)]

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use snn_dsl::{EnvCall, MathFn};
use syn::ext::IdentExt;

/// What the translator needs to know about the method being translated.
pub struct TranslateCtx<'a> {
    /// Path to the snn-core crate in generated code, e.g. `::snn_core` (the
    /// translator emits `#core::ir::Expr::...`).
    pub core: &'a TokenStream,
    /// Name of the environment parameter of the method (e.g. `env`), if the
    /// method has one.
    pub env_param: Option<&'a syn::Ident>,
    /// Environment calls the body may make (`Method::env_calls`).
    pub env_calls: &'a [EnvCall],
    /// Human-readable description for messages, e.g. "neuron model `Lif`,
    /// method `sim`".
    pub what: &'a str,
}

/// Result of translating one method body.
pub struct Translated {
    /// Tokens of an expression of type `#core::ir::Block`, usable in a `const`
    /// initializer: nested nodes are `&#core::ir::Expr::...` references,
    /// slices are `&[...]` and names are string literals.
    pub block: TokenStream,
    /// `self` fields assigned to (plain or compound assignment), deduplicated
    /// in first-seen order, each with the span of the field name in its first
    /// assignment.
    pub writes: Vec<(String, Span)>,
    /// Every `self` field read or written, deduplicated in first-seen order,
    /// each with the span of the field name where it first appears.
    pub fields: Vec<(String, Span)>,
}

/// Translates the body of a model method into tokens constructing a
/// `snn_core::ir::Block`.
///
/// Returns every construct outside the translatable subset as one combined
/// error (iterate it to get the individual errors).
pub fn translate_body(block: &syn::Block, ctx: &TranslateCtx) -> syn::Result<Translated> {
    translate_in_scope(block, ctx, &[])
}

/// [`translate_body`] with the local variables `outer` already declared
/// around the body (the unit tests use this to translate expressions over
/// free variables).
fn translate_in_scope(
    block: &syn::Block,
    ctx: &TranslateCtx,
    outer: &[&str],
) -> syn::Result<Translated> {
    let mut t = Translator {
        ctx,
        errors: None,
        writes: Vec::new(),
        fields: Vec::new(),
        scopes: vec![outer.iter().map(|name| (*name).to_owned()).collect()],
    };
    let block = t.block(&block.stmts);
    match t.errors {
        Some(err) => Err(err),
        None => Ok(Translated {
            block,
            writes: t.writes,
            fields: t.fields,
        }),
    }
}

/// Rewrites, in a method body that is re-emitted as native Rust for one
/// precision, the constant paths the translator accepts but rustc does not
/// resolve as written, so that the native code compiles. `scalar` is the
/// type `Scalar` stands for in this emission (`f32` or `f64`):
///
/// - `Scalar::consts::PI` becomes `::core::f32::consts::PI` (with
///   `scalar` = `f32`; any name after `consts`);
/// - `Scalar::INFINITY`, `Scalar::MAX`, ... (the associated constants
///   `INFINITY`, `NEG_INFINITY`, `NAN`, `MAX`, `MIN`, `MIN_POSITIVE`,
///   `EPSILON`) become `::core::primitive::f32::INFINITY`, ... (the
///   associated constants of the primitive type, not the legacy module
///   constants that clippy's `legacy_numeric_constants` flags);
/// - `f32::consts::PI` / `f64::consts::PI` become `::core::f32::consts::PI` /
///   `::core::f64::consts::PI` whatever `scalar` is (rustc rejects
///   `f32::consts::PI` as an ambiguous associated type).
///
/// Every other path is left alone, including `std::f32::consts::PI`,
/// `core::...`, `::core::...`, `f32::INFINITY` and `u32::MAX`, which compile
/// as written. The new path segments carry the span of the path's first
/// segment, so that errors in the native code still point at the user's
/// code. Paths inside macro invocations are not visited.
pub fn rewrite_scalar_paths(block: &mut syn::Block, scalar: &syn::Ident) {
    use syn::visit_mut::VisitMut;

    struct Rewriter<'a> {
        scalar: &'a syn::Ident,
    }

    impl VisitMut for Rewriter<'_> {
        fn visit_expr_path_mut(&mut self, p: &mut syn::ExprPath) {
            syn::visit_mut::visit_expr_path_mut(self, p);
            if p.qself.is_none() {
                if let Some(path) = native_const_path(&p.path, self.scalar) {
                    p.path = path;
                }
            }
        }
    }

    Rewriter { scalar }.visit_block_mut(block);
}

/// The float methods of model code that `snn_core::math` computes, and the
/// trait of each: `(method, number of arguments, trait)`.
const MATH_METHODS: &[(&str, usize, &str)] = &[
    ("exp", 0, "Elementary"),
    ("exp_m1", 0, "Elementary"),
    ("ln", 0, "Elementary"),
    ("exp2", 0, "Powers"),
    ("log2", 0, "Powers"),
    ("log10", 0, "Powers"),
    ("ln_1p", 0, "Powers"),
    ("powf", 1, "Powers"),
    ("powi", 1, "Powers"),
    ("cbrt", 0, "Powers"),
    ("hypot", 1, "Powers"),
    ("sin", 0, "Trig"),
    ("cos", 0, "Trig"),
    ("tan", 0, "Trig"),
    ("asin", 0, "Trig"),
    ("acos", 0, "Trig"),
    ("atan", 0, "Trig"),
    ("atan2", 1, "Trig"),
    ("sinh", 0, "Hyperbolic"),
    ("cosh", 0, "Hyperbolic"),
    ("tanh", 0, "Hyperbolic"),
];

/// Turns the invisible groups of `macro_rules!` fragments (`$e:expr`) in
/// native model code into parentheses. rustc does not keep the precedence
/// of such a group once a proc macro re-emits it (rust-lang/rust#67062):
/// `a + $e` with `$e = b + c` would compile as `(a + b) + c`, while the IR
/// (and so every kernel) and the lane form compute `a + (b + c)`, which
/// rounds differently.
pub fn rewrite_groups_as_parens(block: &mut syn::Block) {
    use syn::visit_mut::VisitMut;

    struct Rewriter;

    impl VisitMut for Rewriter {
        fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, e);
            if let syn::Expr::Group(g) = e {
                *e = syn::Expr::Paren(syn::ExprParen {
                    attrs: std::mem::take(&mut g.attrs),
                    paren_token: syn::token::Paren(g.group_token.span),
                    expr: g.expr.clone(),
                });
            }
        }
    }

    Rewriter.visit_block_mut(block);
}

/// Rewrites the calls of [`MATH_METHODS`] in native model code, `x.exp()`,
/// `x.powf(y)`, `y.atan2(x)`, `x.tanh()`, ..., into
/// `<core>::math::Elementary::exp(x)`, `<core>::math::Powers::powf(x, y)`,
/// `<core>::math::Trig::atan2(y, x)` and so on: the functions every backend
/// computes the same bits of (the C printer prints their C twins). Calls
/// inside macro invocations are not visited.
pub fn rewrite_elementary_calls(block: &mut syn::Block, core: &proc_macro2::TokenStream) {
    use syn::visit_mut::VisitMut;

    struct Rewriter<'a> {
        core: &'a proc_macro2::TokenStream,
    }

    impl VisitMut for Rewriter<'_> {
        fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, e);
            let syn::Expr::MethodCall(m) = e else {
                return;
            };
            let name = m.method.to_string();
            let Some(&(_, _, tr)) = MATH_METHODS
                .iter()
                .find(|&&(n, arity, _)| n == name && arity == m.args.len())
            else {
                return;
            };
            if m.turbofish.is_some() {
                return;
            }
            let recv = match &*m.receiver {
                syn::Expr::Paren(p) => &p.expr,
                r => r,
            };
            let mut args = m.args.clone();
            args.insert(0, recv.clone());
            let (core, method) = (self.core, &m.method);
            let tr = syn::Ident::new(tr, method.span());
            *e = syn::parse_quote_spanned!(method.span()=>
                #core::math::#tr::#method(#args)
            );
        }
    }

    Rewriter { core }.visit_block_mut(block);
}

/// The native replacement of a constant path, for [`rewrite_scalar_paths`];
/// `None` if `path` is to be left alone.
fn native_const_path(path: &syn::Path, scalar: &syn::Ident) -> Option<syn::Path> {
    if path.leading_colon.is_some() || path.segments.iter().any(|s| !s.arguments.is_none()) {
        return None;
    }
    let segs: Vec<&syn::Ident> = path.segments.iter().map(|s| &s.ident).collect();
    let span = segs.first()?.span();
    let ident = |name: &str| syn::Ident::new(name, span);
    let scalar = ident(&scalar.unraw().to_string());
    let new_path = |segments: Vec<syn::Ident>| syn::Path {
        leading_colon: Some(syn::Token![::](span)),
        segments: segments.into_iter().map(syn::PathSegment::from).collect(),
    };
    match segs.as_slice() {
        [ty, consts, name] if *consts == "consts" => {
            let ty = if *ty == "Scalar" {
                scalar
            } else if *ty == "f32" || *ty == "f64" {
                (*ty).clone()
            } else {
                return None;
            };
            Some(new_path(vec![
                ident("core"),
                ty,
                (*consts).clone(),
                (*name).clone(),
            ]))
        }
        [ty, name]
            if *ty == "Scalar" && FLOAT_ASSOC_CONSTS.contains(&name.to_string().as_str()) =>
        {
            Some(new_path(vec![
                ident("core"),
                ident("primitive"),
                scalar,
                (*name).clone(),
            ]))
        }
        _ => None,
    }
}

/// Constants of the `f32::consts` / `f64::consts` modules.
const FLOAT_MODULE_CONSTS: &[&str] = &[
    "PI",
    "TAU",
    "E",
    "SQRT_2",
    "FRAC_1_SQRT_2",
    "LN_2",
    "LN_10",
    "LOG2_E",
    "LOG2_10",
    "LOG10_E",
    "LOG10_2",
    "FRAC_PI_2",
    "FRAC_PI_3",
    "FRAC_PI_4",
    "FRAC_PI_6",
    "FRAC_PI_8",
    "FRAC_1_PI",
    "FRAC_2_PI",
    "FRAC_2_SQRT_PI",
];

/// Associated constants of the float types (`f32::INFINITY`, ...).
const FLOAT_ASSOC_CONSTS: &[&str] = &[
    "INFINITY",
    "NEG_INFINITY",
    "NAN",
    "MAX",
    "MIN",
    "MIN_POSITIVE",
    "EPSILON",
];

/// Associated constants of the integer types (`u32::MAX`, ...).
const INT_ASSOC_CONSTS: &[&str] = &["MAX", "MIN"];

/// The type names of the subset (`snn_core::ir::IrType`), with the variant
/// each one maps to.
const IR_TYPES: &[(&str, &str)] = &[
    ("Scalar", "Scalar"),
    ("f32", "F32"),
    ("f64", "F64"),
    ("i32", "I32"),
    ("u32", "U32"),
    ("i64", "I64"),
    ("u64", "U64"),
    ("u8", "U8"),
    ("u16", "U16"),
    ("usize", "Usize"),
    ("bool", "Bool"),
];

/// The `IrType` variant name of a Rust type name of the subset.
fn ir_type_variant(name: &str) -> Option<&'static str> {
    IR_TYPES
        .iter()
        .find(|(rust, _)| *rust == name)
        .map(|(_, variant)| *variant)
}

/// True for the float type names of the subset.
fn is_float_type(name: &str) -> bool {
    matches!(name, "Scalar" | "f32" | "f64")
}

/// The list of subset type names, for messages.
fn type_names() -> String {
    IR_TYPES
        .iter()
        .map(|(rust, _)| format!("`{rust}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The list of whitelisted float methods, for messages.
fn math_method_names() -> String {
    MathFn::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `IrType` variant name of a subset type written in Rust code.
fn type_name_of(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Paren(p) => type_name_of(&p.elem),
        syn::Type::Group(g) => type_name_of(&g.elem),
        syn::Type::Path(p) if p.qself.is_none() => single_ident(&p.path).map(|id| id.to_string()),
        _ => None,
    }
}

/// The identifier of a path that is a single plain identifier (no leading
/// `::`, no generic arguments).
fn single_ident(path: &syn::Path) -> Option<&syn::Ident> {
    if path.leading_colon.is_none()
        && path.segments.len() == 1
        && path.segments[0].arguments.is_none()
    {
        Some(&path.segments[0].ident)
    } else {
        None
    }
}

/// The identifier of an expression that is a single plain identifier path.
fn expr_ident(e: &syn::Expr) -> Option<&syn::Ident> {
    match e {
        syn::Expr::Path(p) if p.qself.is_none() => single_ident(&p.path),
        syn::Expr::Paren(p) => expr_ident(&p.expr),
        syn::Expr::Group(g) => expr_ident(&g.expr),
        _ => None,
    }
}

/// True if `e` is the `self` receiver.
fn is_self(e: &syn::Expr) -> bool {
    expr_ident(e).is_some_and(|id| id == "self")
}

/// True if `e` has a value when it ends a block without a semicolon (as
/// opposed to assignments, loops and jumps, which are statements even there).
fn is_value_expr(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Assign(_)
        | syn::Expr::ForLoop(_)
        | syn::Expr::While(_)
        | syn::Expr::Loop(_)
        | syn::Expr::Break(_)
        | syn::Expr::Continue(_)
        | syn::Expr::Return(_)
        // Rejected as nested blocks rather than as block values.
        | syn::Expr::Block(_)
        | syn::Expr::Unsafe(_) => false,
        syn::Expr::Binary(b) => compound_assign_op(&b.op).is_none(),
        syn::Expr::If(i) => if_has_value(i),
        _ => true,
    }
}

/// True if `block` ends in an expression that gives the block a value.
fn block_has_value(block: &syn::Block) -> bool {
    matches!(block.stmts.last(), Some(syn::Stmt::Expr(e, None)) if is_value_expr(e))
}

/// True if an `if` has an `else` and all its branches have values.
fn if_has_value(i: &syn::ExprIf) -> bool {
    let Some((_, else_branch)) = &i.else_branch else {
        return false;
    };
    block_has_value(&i.then_branch)
        && match &**else_branch {
            syn::Expr::Block(b) => block_has_value(&b.block),
            syn::Expr::If(nested) => if_has_value(nested),
            _ => false,
        }
}

/// The `BinOp` variant name of a non-assigning binary operator.
fn binary_op(op: &syn::BinOp) -> Option<&'static str> {
    use syn::BinOp as B;
    Some(match op {
        B::Add(_) => "Add",
        B::Sub(_) => "Sub",
        B::Mul(_) => "Mul",
        B::Div(_) => "Div",
        B::Rem(_) => "Rem",
        B::And(_) => "And",
        B::Or(_) => "Or",
        B::BitAnd(_) => "BitAnd",
        B::BitOr(_) => "BitOr",
        B::BitXor(_) => "BitXor",
        B::Shl(_) => "Shl",
        B::Shr(_) => "Shr",
        B::Eq(_) => "Eq",
        B::Ne(_) => "Ne",
        B::Lt(_) => "Lt",
        B::Le(_) => "Le",
        B::Gt(_) => "Gt",
        B::Ge(_) => "Ge",
        _ => return None,
    })
}

/// The `BinOp` variant name of a compound assignment operator (`+=` is `Add`).
fn compound_assign_op(op: &syn::BinOp) -> Option<&'static str> {
    use syn::BinOp as B;
    Some(match op {
        B::AddAssign(_) => "Add",
        B::SubAssign(_) => "Sub",
        B::MulAssign(_) => "Mul",
        B::DivAssign(_) => "Div",
        B::RemAssign(_) => "Rem",
        B::BitAndAssign(_) => "BitAnd",
        B::BitOrAssign(_) => "BitOr",
        B::BitXorAssign(_) => "BitXor",
        B::ShlAssign(_) => "Shl",
        B::ShrAssign(_) => "Shr",
        _ => return None,
    })
}

/// `n` followed by `noun`, pluralised unless `n` is 1 ("1 argument",
/// "0 arguments").
fn count_of(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// "was" for 1, "were" otherwise.
fn was_were(n: usize) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

/// The names bound by a pattern (unraw), in order. Used to declare the
/// variables of a rejected pattern anyway, so that their uses are not
/// reported a second time as undeclared.
fn pat_names(pat: &syn::Pat, out: &mut Vec<String>) {
    use syn::Pat as P;
    match pat {
        P::Ident(p) => {
            out.push(p.ident.unraw().to_string());
            if let Some((_, sub)) = &p.subpat {
                pat_names(sub, out);
            }
        }
        P::Type(p) => pat_names(&p.pat, out),
        P::Paren(p) => pat_names(&p.pat, out),
        P::Reference(p) => pat_names(&p.pat, out),
        P::Tuple(p) => p.elems.iter().for_each(|e| pat_names(e, out)),
        P::TupleStruct(p) => p.elems.iter().for_each(|e| pat_names(e, out)),
        P::Slice(p) => p.elems.iter().for_each(|e| pat_names(e, out)),
        P::Or(p) => p.cases.iter().for_each(|e| pat_names(e, out)),
        P::Struct(p) => p.fields.iter().for_each(|f| pat_names(&f.pat, out)),
        _ => {}
    }
}

/// A string literal token for a name in the generated IR.
fn name_lit(name: &str) -> Literal {
    Literal::string(name)
}

/// Tokens of a value of a DSL enum (`EnvCall`, `MathFn`, `Method`; named
/// `ty`) through the core crate's re-export, e.g. `::snn_core::dsl::EnvCall::Dt`.
/// The variant's name is its derived `Debug` text.
pub fn dsl_value(core: &TokenStream, ty: &str, value: impl std::fmt::Debug) -> TokenStream {
    let ty = format_ident!("{ty}");
    let variant = format_ident!("{value:?}");
    quote!(#core::dsl::#ty::#variant)
}

/// What one statement of a block translates to.
enum StmtOut {
    /// A `Stmt`.
    Stmt(TokenStream),
    /// The block's tail expression.
    Tail(TokenStream),
}

/// The walker: collects errors and the `self` fields seen.
struct Translator<'c, 'a> {
    ctx: &'c TranslateCtx<'a>,
    errors: Option<syn::Error>,
    writes: Vec<(String, Span)>,
    fields: Vec<(String, Span)>,
    /// The local variables in scope (unraw names), one list per enclosing
    /// block or loop, innermost last.
    scopes: Vec<Vec<String>>,
}

impl Translator<'_, '_> {
    // ----------------------------------------------------------------------
    // Errors and bookkeeping
    // ----------------------------------------------------------------------

    /// Records an error spanning `node`. Returns placeholder tokens so the
    /// walk can go on and report further errors (the output is discarded).
    fn error(&mut self, node: impl ToTokens, msg: impl std::fmt::Display) -> TokenStream {
        let err = syn::Error::new_spanned(node, self.message(msg));
        self.push_error(err)
    }

    /// `msg` with the description of the method appended.
    fn message(&self, msg: impl std::fmt::Display) -> String {
        if self.ctx.what.is_empty() {
            msg.to_string()
        } else {
            format!("{msg} (in {})", self.ctx.what)
        }
    }

    /// Adds `err` to the collected errors; returns placeholder tokens.
    fn push_error(&mut self, err: syn::Error) -> TokenStream {
        match &mut self.errors {
            Some(all) => all.combine(err),
            None => self.errors = Some(err),
        }
        TokenStream::new()
    }

    /// Rejects attributes other than lint attributes (`#[allow(...)]`, ...).
    fn check_attrs(&mut self, attrs: &[syn::Attribute]) {
        for attr in attrs {
            let lint = ["allow", "expect", "warn", "deny", "forbid"]
                .iter()
                .any(|name| attr.path().is_ident(name));
            if !lint {
                self.error(
                    attr,
                    "attributes other than lint attributes (`#[allow(...)]`) are not \
                     translatable to GPU code: remove the attribute",
                );
            }
        }
    }

    /// Notes a `self` field access.
    fn record_field(&mut self, name: &str, span: Span, write: bool) {
        if write && !self.writes.iter().any(|(n, _)| n == name) {
            self.writes.push((name.to_owned(), span));
        }
        if !self.fields.iter().any(|(n, _)| n == name) {
            self.fields.push((name.to_owned(), span));
        }
    }

    /// The `self` field named by `self.name`, if `e` is such an access.
    fn self_field<'e>(&self, e: &'e syn::ExprField) -> Option<&'e syn::Ident> {
        match &e.member {
            syn::Member::Named(name) if is_self(&e.base) => Some(name),
            _ => None,
        }
    }

    /// True if `e` is the environment parameter.
    fn is_env(&self, e: &syn::Expr) -> bool {
        match (self.ctx.env_param, expr_ident(e)) {
            (Some(env), Some(id)) => id == env,
            _ => false,
        }
    }

    /// Declares the local variables bound by `pat` in the innermost scope.
    fn declare(&mut self, pat: &syn::Pat) {
        let mut names = Vec::new();
        pat_names(pat, &mut names);
        self.scopes
            .last_mut()
            .expect("a scope is always open while translating")
            .extend(names);
    }

    /// True if a local variable `id` is in scope.
    fn is_declared(&self, id: &syn::Ident) -> bool {
        let name = id.unraw().to_string();
        self.scopes.iter().flatten().any(|n| *n == name)
    }

    /// Runs `f` in a new innermost scope.
    fn scoped<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        self.scopes.push(Vec::new());
        let out = f(self);
        self.scopes.pop();
        out
    }

    /// Reports `id` (spanned at `node`) as a name that is not a local
    /// variable in scope.
    fn undeclared(&mut self, node: impl ToTokens, id: &syn::Ident) -> TokenStream {
        self.error(
            node,
            format!(
                "`{id}` is not a local variable of this method: constants, statics and other \
                 items outside the model cannot be translated to GPU code; use a #[param] or \
                 #[derived] field instead"
            ),
        )
    }

    /// The name of the environment parameter, for messages.
    fn env_name(&self) -> String {
        self.ctx
            .env_param
            .map_or_else(|| "env".to_owned(), |env| env.to_string())
    }

    // ----------------------------------------------------------------------
    // Blocks and statements
    // ----------------------------------------------------------------------

    /// Translates a `{ ... }` block into a `Block`; the variables it declares
    /// are local to it.
    fn block(&mut self, stmts: &[syn::Stmt]) -> TokenStream {
        self.scoped(|t| t.block_stmts(stmts))
    }

    /// Translates the statements of a block in the current scope.
    fn block_stmts(&mut self, stmts: &[syn::Stmt]) -> TokenStream {
        let core = self.ctx.core;
        let mut out = Vec::new();
        let mut tail = None;
        for (i, stmt) in stmts.iter().enumerate() {
            let last = i + 1 == stmts.len();
            match self.stmt(stmt, last) {
                StmtOut::Stmt(s) => out.push(s),
                StmtOut::Tail(e) => tail = Some(e),
            }
        }
        let tail = match tail {
            Some(e) => quote!(::core::option::Option::Some(&#e)),
            None => quote!(::core::option::Option::None),
        };
        quote!(#core::ir::Block { stmts: &[#(#out),*], tail: #tail })
    }

    /// Translates one statement; `last` is true for the final statement of
    /// its block (where an expression without `;` is the block's value).
    fn stmt(&mut self, stmt: &syn::Stmt, last: bool) -> StmtOut {
        match stmt {
            syn::Stmt::Local(local) => StmtOut::Stmt(self.let_stmt(local)),
            syn::Stmt::Item(item) => StmtOut::Stmt(self.error(
                item,
                "items (functions, structs, `use`, consts, ...) inside a model method are \
                 not translatable to GPU code: define them outside the model, or write \
                 the code inline",
            )),
            syn::Stmt::Macro(m) => StmtOut::Stmt(self.macro_error(&m.mac)),
            syn::Stmt::Expr(e, semi) => {
                if last && semi.is_none() && is_value_expr(e) {
                    StmtOut::Tail(self.expr(e))
                } else {
                    StmtOut::Stmt(self.expr_stmt(e))
                }
            }
        }
    }

    /// Translates `let name[: ty] [= init];`. The name is in scope after the
    /// statement (not in its initializer).
    fn let_stmt(&mut self, local: &syn::Local) -> TokenStream {
        let core = self.ctx.core;
        self.check_attrs(&local.attrs);
        let (pat, ty) = match &local.pat {
            syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            pat => (pat, None),
        };
        let name = self.binding_name(pat, "`let` bindings");
        let ty = match ty {
            Some(ty) => {
                let ty = self.ir_type(ty, "the type of a `let` binding");
                quote!(::core::option::Option::Some(#ty))
            }
            None => quote!(::core::option::Option::None),
        };
        let init = match &local.init {
            Some(init) => {
                if let Some((else_token, diverge)) = &init.diverge {
                    self.error(
                        quote!(#else_token #diverge),
                        "`let ... else` is not translatable to GPU code: use a plain `let` \
                         and an `if`",
                    );
                }
                let e = self.expr(&init.expr);
                quote!(::core::option::Option::Some(&#e))
            }
            None => quote!(::core::option::Option::None),
        };
        self.declare(&local.pat);
        quote!(#core::ir::Stmt::Let { name: #name, ty: #ty, init: #init })
    }

    /// The name bound by an identifier pattern (of `let` or `for`), as a
    /// string literal; `what` names the construct for messages.
    fn binding_name(&mut self, pat: &syn::Pat, what: &str) -> TokenStream {
        match pat {
            syn::Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                name_lit(&p.ident.unraw().to_string()).into_token_stream()
            }
            syn::Pat::Wild(_) => self.error(
                pat,
                format!(
                    "the pattern `_` is not translatable to GPU code: {what} need a name; \
                     use a named variable such as `_unused`"
                ),
            ),
            _ => self.error(
                pat,
                format!(
                    "this pattern is not translatable to GPU code: {what} must bind a plain \
                     identifier (no tuples, structs, `ref` or `@` patterns)"
                ),
            ),
        }
    }

    /// Translates an expression used as a statement (with or without `;`).
    fn expr_stmt(&mut self, e: &syn::Expr) -> TokenStream {
        let core = self.ctx.core;
        match e {
            syn::Expr::Assign(a) => {
                self.check_attrs(&a.attrs);
                self.assign(&a.left, None, &a.right)
            }
            syn::Expr::Binary(b) if compound_assign_op(&b.op).is_some() => {
                self.check_attrs(&b.attrs);
                self.assign(&b.left, compound_assign_op(&b.op), &b.right)
            }
            syn::Expr::If(i) => self.if_stmt(i),
            syn::Expr::ForLoop(f) => self.for_stmt(f),
            syn::Expr::While(w) => self.while_stmt(w),
            syn::Expr::Loop(l) => self.loop_stmt(l),
            syn::Expr::Break(b) => self.break_stmt(b),
            syn::Expr::Continue(c) => self.continue_stmt(c),
            syn::Expr::Return(r) => self.return_stmt(r),
            syn::Expr::Block(b) => self.error(
                b,
                "nested blocks `{ ... }` are not translatable to GPU code: move the \
                 statements into the enclosing block (renaming variables if needed)",
            ),
            syn::Expr::Unsafe(u) => self.error(
                u,
                "`unsafe` blocks are not translatable to GPU code: model code must be safe \
                 Rust",
            ),
            _ => {
                let e = self.expr(e);
                quote!(#core::ir::Stmt::Expr(&#e))
            }
        }
    }

    /// Translates `place = value` (`op` is `None`) or `place op= value`.
    fn assign(&mut self, place: &syn::Expr, op: Option<&str>, value: &syn::Expr) -> TokenStream {
        let core = self.ctx.core;
        let place = self.place(place);
        let op = match op {
            Some(op) => {
                let op = format_ident!("{op}");
                quote!(::core::option::Option::Some(#core::ir::BinOp::#op))
            }
            None => quote!(::core::option::Option::None),
        };
        let value = self.expr(value);
        quote!(#core::ir::Stmt::Assign { place: #place, op: #op, value: &#value })
    }

    /// Translates the left-hand side of an assignment into a `Place`.
    fn place(&mut self, e: &syn::Expr) -> TokenStream {
        let core = self.ctx.core;
        match e {
            syn::Expr::Paren(p) => self.place(&p.expr),
            syn::Expr::Group(g) => self.place(&g.expr),
            syn::Expr::Field(f) => match self.self_field(f) {
                Some(name) => {
                    let name_str = name.unraw().to_string();
                    self.record_field(&name_str, name.span(), true);
                    let lit = name_lit(&name_str);
                    quote!(#core::ir::Place::Field(#lit))
                }
                None => self.error(
                    e,
                    "only local variables and `self` fields (`self.v`) can be assigned in \
                     GPU code",
                ),
            },
            syn::Expr::Index(i) => self.error(
                i,
                "assigning to an element (`a[i] = ...`) is not translatable to GPU code: \
                 extra global parameter arrays are read-only in model code",
            ),
            _ => match expr_ident(e) {
                Some(id) if id == "self" || self.is_env(e) => self.error(
                    e,
                    format!("`{id}` cannot be assigned: assign to a local or a `self` field"),
                ),
                Some(id) if !self.is_declared(id) => self.undeclared(e, id),
                Some(id) => {
                    let lit = name_lit(&id.unraw().to_string());
                    quote!(#core::ir::Place::Local(#lit))
                }
                None => self.error(
                    e,
                    "only local variables and `self` fields (`self.v`) can be assigned in \
                     GPU code",
                ),
            },
        }
    }

    /// Translates an `if` statement (`else if` nests as an `if` statement in
    /// the `else` block).
    fn if_stmt(&mut self, i: &syn::ExprIf) -> TokenStream {
        let core = self.ctx.core;
        self.check_attrs(&i.attrs);
        let cond = self.condition(&i.cond, "if");
        let then = self.block(&i.then_branch.stmts);
        let else_ = match &i.else_branch {
            None => quote!(::core::option::Option::None),
            Some((_, else_branch)) => {
                let block = match &**else_branch {
                    syn::Expr::If(nested) => {
                        let nested = self.if_stmt(nested);
                        quote!(#core::ir::Block {
                            stmts: &[#nested],
                            tail: ::core::option::Option::None
                        })
                    }
                    other => self.else_block(other),
                };
                quote!(::core::option::Option::Some(&#block))
            }
        };
        quote!(#core::ir::Stmt::If { cond: &#cond, then: &#then, else_: #else_ })
    }

    /// Translates the plain block after `else`.
    fn else_block(&mut self, e: &syn::Expr) -> TokenStream {
        match e {
            syn::Expr::Block(b) if b.label.is_none() => {
                self.check_attrs(&b.attrs);
                self.block(&b.block.stmts)
            }
            _ => self.error(e, "expected a block or `if` after `else`"),
        }
    }

    /// Translates the condition of `if` / `while`, rejecting `let` patterns.
    fn condition(&mut self, cond: &syn::Expr, keyword: &str) -> TokenStream {
        match cond {
            syn::Expr::Let(l) => self.error(
                l,
                format!(
                    "`{keyword} let` is not translatable to GPU code: use a plain `{keyword}` \
                     with a boolean condition"
                ),
            ),
            _ => self.expr(cond),
        }
    }

    /// Rejects a loop label.
    fn check_label(&mut self, label: Option<&syn::Label>) {
        if let Some(label) = label {
            self.error(
                label,
                "labelled loops are not translatable to GPU code: restructure the loops \
                 (e.g. with a flag variable) and use plain `break`/`continue`",
            );
        }
    }

    /// Translates `for var in start..end { body }` (or `..=`). The range is
    /// translated outside the loop variable's scope, the body inside it.
    fn for_stmt(&mut self, f: &syn::ExprForLoop) -> TokenStream {
        let core = self.ctx.core;
        self.check_attrs(&f.attrs);
        self.check_label(f.label.as_ref());
        let var = match &*f.pat {
            syn::Pat::Ident(p) if p.mutability.is_some() => self.error(
                p,
                "a `mut` loop variable is not translatable to GPU code: copy it into a \
                 `let mut` variable inside the loop",
            ),
            pat => self.binding_name(pat, "`for` loop variables"),
        };
        let mut range = &*f.expr;
        while let syn::Expr::Paren(syn::ExprParen { expr, .. })
        | syn::Expr::Group(syn::ExprGroup { expr, .. }) = range
        {
            range = expr;
        }
        let (start, end, inclusive) = match range {
            syn::Expr::Range(syn::ExprRange {
                start: Some(start),
                limits,
                end: Some(end),
                ..
            }) => {
                let inclusive = matches!(limits, syn::RangeLimits::Closed(_));
                (self.expr(start), self.expr(end), inclusive)
            }
            _ => {
                self.error(
                    &f.expr,
                    "only `for x in a..b` and `for x in a..=b` loops are translatable to GPU \
                     code (no iterators, adapters like `.rev()`/`.step_by()` or open \
                     ranges): use a `while` loop for anything else",
                );
                (TokenStream::new(), TokenStream::new(), false)
            }
        };
        let body = self.scoped(|t| {
            t.declare(&f.pat);
            t.block(&f.body.stmts)
        });
        quote!(#core::ir::Stmt::For {
            var: #var,
            start: &#start,
            end: &#end,
            inclusive: #inclusive,
            body: &#body
        })
    }

    /// Translates `while cond { body }`.
    fn while_stmt(&mut self, w: &syn::ExprWhile) -> TokenStream {
        let core = self.ctx.core;
        self.check_attrs(&w.attrs);
        self.check_label(w.label.as_ref());
        let cond = self.condition(&w.cond, "while");
        let body = self.block(&w.body.stmts);
        quote!(#core::ir::Stmt::While { cond: &#cond, body: &#body })
    }

    /// Translates `loop { body }`.
    fn loop_stmt(&mut self, l: &syn::ExprLoop) -> TokenStream {
        let core = self.ctx.core;
        self.check_attrs(&l.attrs);
        self.check_label(l.label.as_ref());
        let body = self.block(&l.body.stmts);
        quote!(#core::ir::Stmt::Loop(&#body))
    }

    /// Translates `break` (no label, no value).
    fn break_stmt(&mut self, b: &syn::ExprBreak) -> TokenStream {
        let core = self.ctx.core;
        if let Some(label) = &b.label {
            self.error(
                label,
                "`break` with a label is not translatable to GPU code: use a plain `break`",
            );
        }
        if let Some(value) = &b.expr {
            self.error(
                value,
                "`break` with a value is not translatable to GPU code: assign the value to \
                 a variable declared before the loop, then `break`",
            );
        }
        quote!(#core::ir::Stmt::Break)
    }

    /// Translates `continue` (no label).
    fn continue_stmt(&mut self, c: &syn::ExprContinue) -> TokenStream {
        let core = self.ctx.core;
        if let Some(label) = &c.label {
            self.error(
                label,
                "`continue` with a label is not translatable to GPU code: use a plain \
                 `continue`",
            );
        }
        quote!(#core::ir::Stmt::Continue)
    }

    /// Translates `return` / `return value`.
    fn return_stmt(&mut self, r: &syn::ExprReturn) -> TokenStream {
        let core = self.ctx.core;
        let value = match &r.expr {
            Some(e) => {
                let e = self.expr(e);
                quote!(::core::option::Option::Some(&#e))
            }
            None => quote!(::core::option::Option::None),
        };
        quote!(#core::ir::Stmt::Return(#value))
    }

    // ----------------------------------------------------------------------
    // Expressions
    // ----------------------------------------------------------------------

    /// Translates an expression into an `Expr`.
    fn expr(&mut self, e: &syn::Expr) -> TokenStream {
        match e {
            syn::Expr::Lit(l) => self.lit(&l.lit),
            syn::Expr::Path(p) => self.path_expr(p),
            syn::Expr::Field(f) => self.field(f),
            syn::Expr::Index(i) => self.index(i),
            syn::Expr::Unary(u) => self.unary(u),
            syn::Expr::Binary(b) => self.binary(b),
            syn::Expr::Paren(p) => self.expr(&p.expr),
            syn::Expr::Group(g) => self.expr(&g.expr),
            syn::Expr::Cast(c) => self.cast(c),
            syn::Expr::If(i) => self.if_expr(i),
            syn::Expr::MethodCall(m) => self.method_call(m),
            other => self.reject_expr(other),
        }
    }

    /// Reports an expression kind outside the subset.
    fn reject_expr(&mut self, e: &syn::Expr) -> TokenStream {
        use syn::Expr as E;
        let msg = match e {
            E::Call(c) => return self.call_error(c),
            E::Macro(m) => return self.macro_error(&m.mac),
            E::Closure(_) => {
                "closures are not translatable to GPU code: write the computation inline".to_owned()
            }
            E::Reference(_) | E::RawAddr(_) => {
                "references (`&x`) are not translatable to GPU code: use the value directly"
                    .to_owned()
            }
            E::Tuple(t) if t.elems.is_empty() => {
                "the unit value `()` is not translatable to GPU code: leave it out".to_owned()
            }
            E::Tuple(_) => {
                "tuples are not translatable to GPU code: use separate variables".to_owned()
            }
            E::Array(_) | E::Repeat(_) => {
                "array expressions are not translatable to GPU code: use separate variables, \
                 or an extra global parameter array (`self.table[i]`)"
                    .to_owned()
            }
            E::Struct(_) => {
                "struct expressions are not translatable to GPU code: use separate variables"
                    .to_owned()
            }
            E::Range(_) => "ranges are not translatable to GPU code outside the iterator of \
                            a `for` loop (`for i in a..b`)"
                .to_owned(),
            E::Match(_) => {
                "`match` is not translatable to GPU code: use `if` / `else if` / `else`".to_owned()
            }
            E::Block(_) => "blocks `{ ... }` used as values are not translatable to GPU code: \
                            compute the value into a variable first"
                .to_owned(),
            E::Unsafe(_) => {
                "`unsafe` blocks are not translatable to GPU code: model code must be safe Rust"
                    .to_owned()
            }
            E::Try(_) => "the `?` operator is not translatable to GPU code: model code cannot \
                          fail; handle the case with `if`"
                .to_owned(),
            E::Await(_) | E::Async(_) => {
                "async code (`async`, `.await`) is not translatable to GPU code".to_owned()
            }
            E::TryBlock(_) => "`try` blocks are not translatable to GPU code".to_owned(),
            E::Let(_) => "`let` expressions (`if let`, `while let`, `let` chains) are not \
                          translatable to GPU code: use boolean conditions"
                .to_owned(),
            E::Assign(_) => "assignments are only translatable as statements (`x = y;`), not \
                             inside expressions"
                .to_owned(),
            E::ForLoop(_) | E::While(_) | E::Loop(_) => {
                "loops are only translatable as statements, not as values: assign the result \
                 to a variable declared before the loop"
                    .to_owned()
            }
            E::Break(_) | E::Continue(_) | E::Return(_) => {
                "`break`, `continue` and `return` are only translatable as statements, not \
                 inside expressions"
                    .to_owned()
            }
            E::Const(_) => "`const` blocks are not translatable to GPU code: compute the value \
                            in a derived parameter"
                .to_owned(),
            E::Infer(_) => "`_` is not translatable to GPU code".to_owned(),
            _ => "this expression is not translatable to GPU code (see `snn_core::ir` for the \
                  translatable subset of Rust)"
                .to_owned(),
        };
        self.error(e, msg)
    }

    /// Reports a free-function call, with a hint for `f32::exp(x)`-style
    /// calls of whitelisted float methods.
    fn call_error(&mut self, c: &syn::ExprCall) -> TokenStream {
        let func = &c.func;
        let name = match &**func {
            syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        match name {
            Some(name) if MathFn::from_name(&name).is_some() => self.error(
                c,
                format!(
                    "function-call syntax `{}(...)` is not translatable to GPU code: write \
                     it as a method call on the first argument (`x.{name}(...)`)",
                    quote!(#func).to_string().replace(' ', "")
                ),
            ),
            Some(name) => self.error(
                c,
                format!(
                    "calls of the function `{name}` are not translatable to GPU code: only \
                     float methods (`x.exp()`, `x.powf(y)`, ...) and calls on the environment \
                     parameter `{}` are allowed; write the computation inline",
                    self.env_name()
                ),
            ),
            None => self.error(
                c,
                format!(
                    "function calls are not translatable to GPU code: only float methods \
                     (`x.exp()`, `x.powf(y)`, ...) and calls on the environment parameter \
                     `{}` are allowed",
                    self.env_name()
                ),
            ),
        }
    }

    /// Reports a macro invocation.
    fn macro_error(&mut self, mac: &syn::Macro) -> TokenStream {
        let name = mac
            .path
            .segments
            .last()
            .map_or_else(String::new, |s| s.ident.to_string());
        self.error(
            mac,
            format!(
                "macro invocations (`{name}!`) are not translatable to GPU code: remove it \
                 (for debugging output use the CPU backend only, outside model methods)"
            ),
        )
    }

    /// Translates a literal into `Expr::Lit`.
    fn lit(&mut self, lit: &syn::Lit) -> TokenStream {
        let core = self.ctx.core;
        let lit = match lit {
            syn::Lit::Bool(b) => {
                let value = b.value;
                quote!(#core::ir::Lit::Bool(#value))
            }
            syn::Lit::Float(f) => {
                let digits = name_lit(f.base10_digits());
                let suffix = self.lit_suffix(lit, f.suffix(), true);
                quote!(#core::ir::Lit::Float(#digits, #suffix))
            }
            syn::Lit::Int(i) => {
                let digits = name_lit(i.base10_digits());
                // `1f32` is a float literal to rustc.
                let kind = if is_float_type(i.suffix()) {
                    quote!(Float)
                } else {
                    quote!(Int)
                };
                let suffix = self.lit_suffix(lit, i.suffix(), is_float_type(i.suffix()));
                quote!(#core::ir::Lit::#kind(#digits, #suffix))
            }
            _ => self.error(
                lit,
                "only number and boolean literals are translatable to GPU code (no strings, \
                 characters or bytes)",
            ),
        };
        quote!(#core::ir::Expr::Lit(#lit))
    }

    /// Translates a literal suffix into `Option<IrType>`.
    fn lit_suffix(&mut self, lit: &syn::Lit, suffix: &str, float: bool) -> TokenStream {
        let core = self.ctx.core;
        if suffix.is_empty() {
            return quote!(::core::option::Option::None);
        }
        let allowed = if float {
            is_float_type(suffix)
        } else {
            ir_type_variant(suffix).is_some() && suffix != "bool" && !is_float_type(suffix)
        };
        match ir_type_variant(suffix) {
            Some(variant) if allowed => {
                let variant = format_ident!("{variant}");
                quote!(::core::option::Option::Some(#core::ir::IrType::#variant))
            }
            _ => self.error(
                lit,
                format!(
                    "the literal suffix `{suffix}` is not translatable to GPU code: use one of \
                     {}",
                    if float {
                        "`f32`, `f64`"
                    } else {
                        "`i32`, `u32`, `i64`, `u64`, `u8`, `u16`, `usize`, `f32`, `f64`"
                    }
                ),
            ),
        }
    }

    /// Translates a path: a local variable in scope or a numeric constant.
    fn path_expr(&mut self, p: &syn::ExprPath) -> TokenStream {
        let core = self.ctx.core;
        if p.qself.is_some() {
            return self.error(
                p,
                "qualified paths (`<T as Trait>::x`) are not translatable to GPU code",
            );
        }
        if let Some(id) = single_ident(&p.path) {
            if id == "self" {
                return self.error(
                    p,
                    "`self` can only be used to access fields (`self.v`) in GPU code: methods \
                     of the model cannot be called and `self` cannot be passed around",
                );
            }
            if self.ctx.env_param.is_some_and(|env| id == env) {
                return self.error(
                    p,
                    format!(
                        "the environment parameter `{id}` can only be used as the receiver of \
                         a call (e.g. `{id}.dt()`)"
                    ),
                );
            }
            if !self.is_declared(id) {
                return self.undeclared(p, id);
            }
            let lit = name_lit(&id.unraw().to_string());
            return quote!(#core::ir::Expr::Local(#lit));
        }
        self.constant(&p.path)
    }

    /// Translates a constant path (`f32::consts::PI`, `Scalar::MAX`, ...) into
    /// `Expr::Const`.
    fn constant(&mut self, path: &syn::Path) -> TokenStream {
        let core = self.ctx.core;
        if let Some(args) = path.segments.iter().find(|s| !s.arguments.is_none()) {
            return self.error(
                args,
                "generic arguments in paths are not translatable to GPU code",
            );
        }
        let mut segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        // `std::f32::...` / `core::f32::...`
        let std_prefix = segs.len() >= 3 && (segs[0] == "std" || segs[0] == "core");
        if std_prefix {
            segs.remove(0);
        }
        let known_type = ir_type_variant(&segs[0]).is_some()
            && segs[0] != "bool"
            && !(std_prefix && segs[0] == "Scalar")
            && (std_prefix || path.leading_colon.is_none());
        let (ty, name, ok) = match segs.as_slice() {
            [ty, consts, name] if known_type && consts == "consts" => (
                ty,
                name,
                is_float_type(ty) && FLOAT_MODULE_CONSTS.contains(&name.as_str()),
            ),
            [ty, name] if known_type => {
                let table = if is_float_type(ty) {
                    FLOAT_ASSOC_CONSTS
                } else {
                    INT_ASSOC_CONSTS
                };
                (ty, name, table.contains(&name.as_str()))
            }
            _ => {
                return self.error(
                    path,
                    "paths are not translatable to GPU code unless they are a local variable \
                     or a numeric constant such as `Scalar::consts::PI`, `f32::INFINITY` or \
                     `u32::MAX`",
                )
            }
        };
        if !ok {
            let shown = quote!(#path).to_string().replace(' ', "");
            let allowed = if is_float_type(ty) {
                format!(
                    "use a `consts` constant (`{ty}::consts::PI`, `E`, `TAU`, `SQRT_2`, \
                     `LN_2`, ...) or an associated constant (`{ty}::INFINITY`, \
                     `NEG_INFINITY`, `NAN`, `MAX`, `MIN`, `MIN_POSITIVE`, `EPSILON`)"
                )
            } else {
                format!("integer types only have the constants `{ty}::MAX` and `{ty}::MIN`")
            };
            return self.error(
                path,
                format!("the constant `{shown}` is not translatable to GPU code: {allowed}"),
            );
        }
        let variant = format_ident!("{}", ir_type_variant(ty).unwrap_or("Scalar"));
        let name = name_lit(name);
        quote!(#core::ir::Expr::Const(#name, #core::ir::IrType::#variant))
    }

    /// Translates `self.name` into `Expr::Field`.
    fn field(&mut self, f: &syn::ExprField) -> TokenStream {
        let core = self.ctx.core;
        match (self.self_field(f), &f.member) {
            (Some(name), _) => {
                let name_str = name.unraw().to_string();
                self.record_field(&name_str, name.span(), false);
                let lit = name_lit(&name_str);
                quote!(#core::ir::Expr::Field(#lit))
            }
            (None, syn::Member::Unnamed(_)) => self.error(
                f,
                "tuple fields (`x.0`) are not translatable to GPU code: use named fields of \
                 `self`",
            ),
            (None, syn::Member::Named(_)) => self.error(
                f,
                "field access is only translatable on `self` (`self.v`): other values have \
                 no fields in GPU code",
            ),
        }
    }

    /// Translates `self.name[index]` into `Expr::Index`.
    fn index(&mut self, i: &syn::ExprIndex) -> TokenStream {
        let core = self.ctx.core;
        let mut base = &*i.expr;
        while let syn::Expr::Paren(syn::ExprParen { expr, .. }) = base {
            base = expr;
        }
        let base = match base {
            syn::Expr::Field(f) if self.self_field(f).is_some() => self.field(f),
            _ => {
                return self.error(
                    i,
                    "indexing is only translatable on `self` fields (extra global parameter \
                     arrays, `self.table[i]`)",
                )
            }
        };
        let index = self.expr(&i.index);
        quote!(#core::ir::Expr::Index(&#base, &#index))
    }

    /// Translates `-x` / `!x` into `Expr::Unary`.
    fn unary(&mut self, u: &syn::ExprUnary) -> TokenStream {
        let core = self.ctx.core;
        let op = match u.op {
            syn::UnOp::Neg(_) => quote!(Neg),
            syn::UnOp::Not(_) => quote!(Not),
            syn::UnOp::Deref(_) => {
                return self.error(
                    u,
                    "dereferencing (`*x`) is not translatable to GPU code: use the value \
                     directly",
                )
            }
            _ => return self.error(u, "this unary operator is not translatable to GPU code"),
        };
        let operand = self.expr(&u.expr);
        quote!(#core::ir::Expr::Unary(#core::ir::UnOp::#op, &#operand))
    }

    /// Translates a binary operation into `Expr::Binary`.
    fn binary(&mut self, b: &syn::ExprBinary) -> TokenStream {
        let core = self.ctx.core;
        let Some(op) = binary_op(&b.op) else {
            return if compound_assign_op(&b.op).is_some() {
                self.error(
                    b,
                    "compound assignments are only translatable as statements (`x += y;`), \
                     not inside expressions",
                )
            } else {
                self.error(b.op, "this binary operator is not translatable to GPU code")
            };
        };
        let op = format_ident!("{op}");
        let left = self.expr(&b.left);
        let right = self.expr(&b.right);
        quote!(#core::ir::Expr::Binary(#core::ir::BinOp::#op, &#left, &#right))
    }

    /// Translates `e as T` into `Expr::Cast`.
    fn cast(&mut self, c: &syn::ExprCast) -> TokenStream {
        let core = self.ctx.core;
        let e = self.expr(&c.expr);
        let ty = self.ir_type(&c.ty, "the target of an `as` cast");
        quote!(#core::ir::Expr::Cast(&#e, #ty))
    }

    /// Translates a subset type name into `IrType`.
    fn ir_type(&mut self, ty: &syn::Type, what: &str) -> TokenStream {
        let core = self.ctx.core;
        match type_name_of(ty).as_deref().and_then(ir_type_variant) {
            Some(variant) => {
                let variant = format_ident!("{variant}");
                quote!(#core::ir::IrType::#variant)
            }
            None => self.error(
                ty,
                format!(
                    "this type is not translatable to GPU code: {what} must be one of {}",
                    type_names()
                ),
            ),
        }
    }

    /// Translates `if c { a } else { b }` used as a value into `Expr::If`.
    fn if_expr(&mut self, i: &syn::ExprIf) -> TokenStream {
        let core = self.ctx.core;
        self.check_attrs(&i.attrs);
        let cond = self.condition(&i.cond, "if");
        if !block_has_value(&i.then_branch) {
            self.error(
                &i.then_branch,
                "an `if` used as a value needs a value in each branch (an expression without \
                 `;` at the end)",
            );
        }
        let then = self.block(&i.then_branch.stmts);
        let else_ = match &i.else_branch {
            None => self.error(
                i,
                "an `if` used as a value needs an `else` branch: add `else { ... }`",
            ),
            Some((_, else_branch)) => match &**else_branch {
                syn::Expr::If(nested) => {
                    let nested = self.if_expr(nested);
                    quote!(#core::ir::Block {
                        stmts: &[],
                        tail: ::core::option::Option::Some(&#nested)
                    })
                }
                syn::Expr::Block(b) if !block_has_value(&b.block) => self.error(
                    b,
                    "an `if` used as a value needs a value in each branch (an expression \
                     without `;` at the end)",
                ),
                other => self.else_block(other),
            },
        };
        quote!(#core::ir::Expr::If(&#cond, &#then, &#else_))
    }

    /// Translates a method call: a float method (`Expr::Math`) or a call on
    /// the environment parameter (`Expr::Env`).
    fn method_call(&mut self, m: &syn::ExprMethodCall) -> TokenStream {
        let core = self.ctx.core;
        let name = m.method.unraw().to_string();
        if let Some(turbofish) = &m.turbofish {
            return self.error(
                turbofish,
                "generic arguments (`::<...>`) on method calls are not translatable to GPU code",
            );
        }
        if self.is_env(&m.receiver) {
            return self.env_call(m, &name);
        }
        if is_self(&m.receiver) {
            return self.error(
                m,
                format!(
                    "calling methods of `self` (`self.{name}(...)`) is not translatable to GPU \
                     code: write the computation inline, or use a derived parameter"
                ),
            );
        }
        let Some(math) = MathFn::from_name(&name) else {
            let on = match expr_ident(&m.receiver) {
                Some(id) => format!("method calls on `{id}` are"),
                None => format!("the method `{name}` is"),
            };
            return self.error(
                &m.method,
                format!(
                    "{on} not translatable to GPU code (`.{name}(...)`): only float methods \
                     ({}) and calls on the environment parameter `{}` are allowed",
                    math_method_names(),
                    self.env_name()
                ),
            );
        };
        let arity = math.arity();
        if m.args.len() != arity {
            self.error(
                m,
                format!(
                    "`{name}` takes {} besides the receiver, but {} {} given",
                    count_of(arity, "argument"),
                    m.args.len(),
                    was_were(m.args.len())
                ),
            );
        }
        let receiver = self.expr(&m.receiver);
        let args: Vec<_> = m.args.iter().map(|a| self.expr(a)).collect();
        let math = dsl_value(core, "MathFn", math);
        quote!(#core::ir::Expr::Math(#math, &[#receiver #(, #args)*]))
    }

    /// Translates `env.name(args)` into `Expr::Env`, checking the name and
    /// the argument count against the context.
    fn env_call(&mut self, m: &syn::ExprMethodCall, name: &str) -> TokenStream {
        let core = self.ctx.core;
        let env = self.env_name();
        let available = EnvCall::from_name(name).filter(|c| self.ctx.env_calls.contains(c));
        let Some(call) = available else {
            let allowed = if self.ctx.env_calls.is_empty() {
                "none are available here".to_owned()
            } else {
                let list: Vec<String> = self
                    .ctx
                    .env_calls
                    .iter()
                    .map(|c| {
                        let args = vec!["_"; c.arity()].join(", ");
                        format!("`{env}.{c}({args})`")
                    })
                    .collect();
                format!("the allowed ones are {}", list.join(", "))
            };
            return self.error(
                &m.method,
                format!("`{env}.{name}` is not an environment method available here: {allowed}"),
            );
        };
        if call.arity() != m.args.len() {
            self.error(
                m,
                format!(
                    "`{env}.{name}` takes {}, but {} {} given",
                    count_of(call.arity(), "argument"),
                    m.args.len(),
                    was_were(m.args.len())
                ),
            );
        }
        let args: Vec<_> = m.args.iter().map(|a| self.expr(a)).collect();
        let call = dsl_value(core, "EnvCall", call);
        quote!(#core::ir::Expr::Env(#call, &[#(#args),*]))
    }
}

#[cfg(test)]
mod tests;
