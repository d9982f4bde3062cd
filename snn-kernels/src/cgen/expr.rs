//! Printing of typed expressions as C, with C precedence, Rust's
//! no-promotion rule and Rust's evaluation order (see the module docs of
//! [`super`]).
//!
//! [`Printer::pure`] prints an expression that needs no statements;
//! [`Printer::value`] prints any expression, first emitting the statements
//! that sequence side effects or compute an `if` value with statements
//! (see [`needs_lowering`]) into the current statement position.

use super::literal::{self, float_value};
use super::types::{CType, EKind, Solved, TBlock, TExpr, TyVar};
use super::{env_sig, CodeCtx, EnvArg, Problem};
use snn_core::dsl::{EnvCall, MathFn};
use snn_core::ir::{BinOp, UnOp};

/// Precedence of primary expressions (names, literals, calls, `a[i]`, `( )`).
pub(crate) const PRIMARY: u8 = 16;
/// Precedence of unary operators and casts.
pub(crate) const UNARY: u8 = 15;
/// Precedence of `?:`.
pub(crate) const TERNARY: u8 = 3;

/// A printed expression.
#[derive(Clone, Debug)]
pub(crate) struct P {
    /// The C text.
    pub text: String,
    /// Its C precedence (higher binds tighter).
    pub prec: u8,
    /// The operator, when the text is a binary operation.
    pub op: Option<BinOp>,
}

impl P {
    pub fn primary(text: impl Into<String>) -> P {
        P {
            text: text.into(),
            prec: PRIMARY,
            op: None,
        }
    }

    fn unary(text: String) -> P {
        P {
            text,
            prec: UNARY,
            op: None,
        }
    }

    /// A literal's text: negative numbers are unary expressions.
    fn literal(text: String) -> P {
        if text.starts_with('-') {
            P::unary(text)
        } else {
            P::primary(text)
        }
    }

    /// Text from outside (field and environment closures): kept as is when
    /// it is clearly primary, else parenthesised.
    pub fn external(text: String) -> P {
        if is_primary_text(&text) {
            P::primary(text)
        } else {
            P::primary(format!("({text})"))
        }
    }

    /// The text as an operand of a unary operator or a cast.
    pub fn as_unary_operand(&self) -> String {
        if self.prec >= UNARY && !self.text.starts_with('-') {
            self.text.clone()
        } else {
            format!("({})", self.text)
        }
    }
}

/// True if `s` is a C primary expression (or postfix chain): a name, a
/// number, `name[...]`, `f(...)`, `a.b`, `a->b`, or fully parenthesised.
fn is_primary_text(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() {
        return false;
    }
    if b[0] == b'(' {
        // Fully parenthesised?
        let mut depth = 0i32;
        for (i, &c) in b.iter().enumerate() {
            match c {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return i == b.len() - 1;
                    }
                }
                _ => {}
            }
        }
        return false;
    }
    let number = b[0].is_ascii_digit();
    if !(number || b[0].is_ascii_alphabetic() || b[0] == b'_') {
        return false;
    }
    let mut depth = 0i32;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'(' | b'[' => depth += 1,
            b')' | b']' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ if depth > 0 => {}
            _ if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' => {}
            b'-' if b.get(i + 1) == Some(&b'>') && !number => i += 1,
            b'-' | b'+' if number && matches!(b[i - 1], b'e' | b'E') => {}
            _ => return false,
        }
        i += 1;
    }
    depth == 0
}

/// C precedence of a binary operator.
fn prec(op: BinOp) -> u8 {
    match op {
        BinOp::Mul | BinOp::Div | BinOp::Rem => 13,
        BinOp::Add | BinOp::Sub => 12,
        BinOp::Shl | BinOp::Shr => 11,
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 10,
        BinOp::Eq | BinOp::Ne => 9,
        BinOp::BitAnd => 8,
        BinOp::BitXor => 7,
        BinOp::BitOr => 6,
        BinOp::And => 5,
        BinOp::Or => 4,
    }
}

fn is_bitwise(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::Shl | BinOp::Shr
    )
}

fn is_comparison(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
    )
}

fn is_arithmetic(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
    )
}

/// The C text of `p` as the left (`right == false`) or right operand of
/// `parent`: parenthesised where C's precedence requires it, and where
/// compilers warn about mixing (bit operations with other operators,
/// comparisons of comparisons, `&&` inside `||`).
fn operand(p: &P, parent: BinOp, right: bool) -> String {
    let pp = prec(parent);
    let paren = p.prec < pp
        || match p.op {
            None => false,
            Some(child) => {
                (p.prec == pp && right)
                    || ((is_bitwise(parent) || is_bitwise(child)) && (child != parent || right))
                    || (is_comparison(parent) && is_comparison(child))
                    || (parent == BinOp::Or && child == BinOp::And)
            }
        };
    if paren {
        format!("({})", p.text)
    } else {
        p.text.clone()
    }
}

/// The C symbol of a binary operator (the same as Rust's).
fn symbol(op: BinOp) -> &'static str {
    super::types::op_symbol(op)
}

/// True if evaluating `e` has side effects: an environment call that is not
/// pure, or an `if` value with statements (conservatively).
pub(crate) fn has_effects(e: &TExpr) -> bool {
    match &e.kind {
        EKind::Float(_)
        | EKind::Int(_)
        | EKind::Bool(_)
        | EKind::Local(_)
        | EKind::Field(_)
        | EKind::Const(_) => false,
        EKind::Index(_, x) | EKind::Unary(_, x) | EKind::Cast(x) => has_effects(x),
        EKind::Binary(_, a, b) => has_effects(a) || has_effects(b),
        EKind::Math(_, args) => args.iter().any(has_effects),
        EKind::Env(call, args) => !env_sig(*call).pure || args.iter().any(has_effects),
        EKind::If(c, t, f) => {
            !t.stmts.is_empty()
                || !f.stmts.is_empty()
                || has_effects(c)
                || tail_has(t, has_effects)
                || tail_has(f, has_effects)
        }
    }
}

fn tail_has(b: &TBlock, f: fn(&TExpr) -> bool) -> bool {
    b.tail.as_ref().is_some_and(f)
}

/// True if `e` cannot be printed as one C expression with Rust's meaning:
/// it holds an `if` value whose branches have statements, or two operands of
/// one operation (or arguments of one call) with side effects, whose order
/// C leaves unspecified.
pub(crate) fn needs_lowering(e: &TExpr) -> bool {
    match &e.kind {
        EKind::If(c, t, f) => {
            !t.stmts.is_empty()
                || !f.stmts.is_empty()
                || needs_lowering(c)
                || tail_has(t, needs_lowering)
                || tail_has(f, needs_lowering)
        }
        // `&&` and `||` are sequence points in C.
        EKind::Binary(BinOp::And | BinOp::Or, a, b) => needs_lowering(a) || needs_lowering(b),
        EKind::Binary(_, a, b) => {
            needs_lowering(a) || needs_lowering(b) || (has_effects(a) && has_effects(b))
        }
        EKind::Math(_, args) | EKind::Env(_, args) => {
            args.iter().any(needs_lowering) || args.iter().filter(|a| has_effects(a)).count() >= 2
        }
        EKind::Index(_, x) | EKind::Unary(_, x) | EKind::Cast(x) => needs_lowering(x),
        _ => false,
    }
}

/// True for literals and constants (values nothing can change).
pub(crate) fn is_constant(e: &TExpr) -> bool {
    match &e.kind {
        EKind::Float(_) | EKind::Int(_) | EKind::Bool(_) | EKind::Const(_) => true,
        EKind::Unary(UnOp::Neg, x) => is_constant(x),
        _ => false,
    }
}

/// The printer of one method body.
pub(crate) struct Printer<'c, 'a> {
    pub ctx: &'c CodeCtx<'a>,
    types: &'c Solved,
    /// Lines printed so far.
    pub out: String,
    /// Current indentation level.
    pub indent: usize,
    temps: usize,
    /// The method's return type.
    pub returns: Option<CType>,
    /// Whether an early exit jumped to the [`super::Exit::Goto`] label.
    pub goto_used: bool,
}

impl<'c, 'a> Printer<'c, 'a> {
    pub fn new(ctx: &'c CodeCtx<'a>, types: &'c Solved, returns: Option<CType>) -> Self {
        Printer {
            ctx,
            types,
            out: String::new(),
            indent: 0,
            temps: 0,
            returns,
            goto_used: false,
        }
    }

    /// Appends one line at the current indentation.
    pub fn line(&mut self, s: impl AsRef<str>) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(s.as_ref());
        self.out.push('\n');
    }

    /// The type of a variable.
    pub fn tyv(&self, v: TyVar) -> Result<CType, Problem> {
        self.types.get(v).ok_or_else(|| {
            Problem::Type(
                "a type cannot be inferred (a `let` without type or value that is never \
                 assigned?): add a type annotation"
                    .into(),
            )
        })
    }

    /// The type of an expression.
    pub fn ty(&self, e: &TExpr) -> Result<CType, Problem> {
        self.tyv(e.ty)
    }

    /// A fresh temporary name.
    pub fn temp(&mut self) -> String {
        let t = format!("lt_{}", self.temps);
        self.temps += 1;
        t
    }

    /// Evaluates `p` (of type `ty`) into a `const` temporary now.
    pub fn materialize(&mut self, p: P, ty: CType) -> Result<P, Problem> {
        if ty == CType::Void {
            return Err(Problem::Type(
                "a call without a result used as a value".into(),
            ));
        }
        let t = self.temp();
        self.line(format!("const {} {t} = {};", ty.c_name(), p.text));
        Ok(P::primary(t))
    }

    /// The text of a field, as given by the context.
    pub fn field_text(&self, f: &snn_core::model::FieldDesc) -> P {
        P::external((self.ctx.field)(f))
    }

    // ------------------------------------------------------------------
    // Expressions without statements
    // ------------------------------------------------------------------

    /// Prints an expression for which [`needs_lowering`] is false.
    pub fn pure(&mut self, e: &TExpr) -> Result<P, Problem> {
        let ty = self.ty(e)?;
        Ok(match &e.kind {
            EKind::Float(d) => P::literal(literal::float_literal(d, ty)?),
            EKind::Int(d) => P::literal(literal::int_literal(d, ty)?),
            EKind::Bool(b) => P::primary(if *b { "true" } else { "false" }),
            EKind::Local(name) => P::primary(name.clone()),
            EKind::Field(f) => self.field_text(f),
            EKind::Index(f, idx) => {
                let i = self.pure(idx)?;
                self.index(f, i)
            }
            EKind::Unary(op, x) => {
                if let (UnOp::Neg, EKind::Int(d)) = (op, &x.kind) {
                    if let Some(min) = literal::negated_min(d, ty) {
                        return Ok(P::primary(min));
                    }
                }
                let p = self.pure(x)?;
                self.unary(*op, ty, p)?
            }
            EKind::Binary(op, a, b) => {
                let pa = self.pure(a)?;
                let pb = self.pure(b)?;
                self.binary(*op, a, b, pa, pb)?
            }
            EKind::Cast(x) => {
                let from = self.ty(x)?;
                let p = self.pure(x)?;
                self.cast(from, ty, p)?
            }
            EKind::Math(name, args) => {
                let ps = args
                    .iter()
                    .map(|a| self.pure(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let recv = self.ty(&args[0])?;
                self.math(*name, recv, ps)?
            }
            EKind::Const(name) => P::literal(literal::constant(name, ty).ok_or_else(|| {
                Problem::Unsupported(format!(
                    "the constant `{}::{name}` has no C translation",
                    ty.rust_name()
                ))
            })?),
            EKind::Env(name, args) => {
                let ps = args
                    .iter()
                    .map(|a| self.pure(a))
                    .collect::<Result<Vec<_>, _>>()?;
                self.env(*name, args, ps, ty)?
            }
            EKind::If(c, t, f) => {
                let pc = self.pure(c)?;
                let (Some(a), Some(b)) = (&t.tail, &f.tail) else {
                    unreachable!("checked by the builder")
                };
                let pa = self.pure(a)?;
                let pb = self.pure(b)?;
                ternary(pc, pa, pb)
            }
        })
    }

    // ------------------------------------------------------------------
    // Expressions with statements (sequencing)
    // ------------------------------------------------------------------

    /// Prints any expression: the statements it needs first (see
    /// [`needs_lowering`]), then returns the expression to use.
    pub fn value(&mut self, e: &TExpr) -> Result<P, Problem> {
        if !needs_lowering(e) {
            return self.pure(e);
        }
        let ty = self.ty(e)?;
        match &e.kind {
            EKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                let pa = self.value(a)?;
                if !needs_lowering(b) {
                    let pb = self.pure(b)?;
                    return self.binary(*op, a, b, pa, pb);
                }
                // `a && b` with statements in `b`: run them only when `a` holds.
                let t = self.temp();
                self.line(format!("bool {t} = {};", pa.text));
                let not = if *op == BinOp::And { "" } else { "!" };
                self.line(format!("if ({not}{t}) {{"));
                self.indent += 1;
                let pb = self.value(b)?;
                self.line(format!("{t} = {};", pb.text));
                self.indent -= 1;
                self.line("}");
                Ok(P::primary(t))
            }
            EKind::Binary(op, a, b) => {
                let mut ps = self.values_in_order(&[a, b])?;
                let pb = ps.pop().expect("two operands");
                let pa = ps.pop().expect("two operands");
                self.binary(*op, a, b, pa, pb)
            }
            EKind::Unary(op, x) => {
                let p = self.value(x)?;
                self.unary(*op, ty, p)
            }
            EKind::Cast(x) => {
                let from = self.ty(x)?;
                let p = self.value(x)?;
                self.cast(from, ty, p)
            }
            EKind::Index(f, idx) => {
                let i = self.value(idx)?;
                Ok(self.index(f, i))
            }
            EKind::Math(name, args) => {
                let refs: Vec<&TExpr> = args.iter().collect();
                let ps = self.values_in_order(&refs)?;
                let recv = self.ty(&args[0])?;
                self.math(*name, recv, ps)
            }
            EKind::Env(name, args) => {
                let refs: Vec<&TExpr> = args.iter().collect();
                let ps = self.values_in_order(&refs)?;
                self.env(*name, args, ps, ty)
            }
            EKind::If(c, t, f) => {
                let pc = self.value(c)?;
                let simple = t.stmts.is_empty()
                    && f.stmts.is_empty()
                    && !tail_has(t, needs_lowering)
                    && !tail_has(f, needs_lowering);
                if simple {
                    let (Some(a), Some(b)) = (&t.tail, &f.tail) else {
                        unreachable!("checked by the builder")
                    };
                    let pa = self.pure(a)?;
                    let pb = self.pure(b)?;
                    return Ok(ternary(pc, pa, pb));
                }
                if ty == CType::Void {
                    return Err(Problem::Type(
                        "an `if` without a value used as a value".into(),
                    ));
                }
                let tmp = self.temp();
                self.line(format!("{} {tmp};", ty.c_name()));
                self.line(format!("if ({}) {{", pc.text));
                self.indent += 1;
                self.block_contents(t, super::stmt::Tail::Assign(&tmp))?;
                self.indent -= 1;
                self.line("} else {");
                self.indent += 1;
                self.block_contents(f, super::stmt::Tail::Assign(&tmp))?;
                self.indent -= 1;
                self.line("}");
                Ok(P::primary(tmp))
            }
            _ => self.pure(e),
        }
    }

    /// Prints operands that Rust evaluates left to right: an operand whose
    /// later siblings have side effects (or statements) is evaluated into a
    /// temporary first, unless it is a constant.
    fn values_in_order(&mut self, args: &[&TExpr]) -> Result<Vec<P>, Problem> {
        let mut out = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let p = self.value(a)?;
            let later = &args[i + 1..];
            let p = if !is_constant(a) && later.iter().any(|l| has_effects(l) || needs_lowering(l))
            {
                let ty = self.ty(a)?;
                self.materialize(p, ty)?
            } else {
                p
            };
            out.push(p);
        }
        Ok(out)
    }

    // ------------------------------------------------------------------
    // Combining printed operands
    // ------------------------------------------------------------------

    fn index(&self, f: &snn_core::model::FieldDesc, i: P) -> P {
        let base = self.field_text(f);
        P::primary(format!("{}[{}]", base.text, i.text))
    }

    /// `op x` of type `ty`.
    fn unary(&self, op: UnOp, ty: CType, p: P) -> Result<P, Problem> {
        let x = p.as_unary_operand();
        match op {
            UnOp::Neg if ty.is_float() || ty.is_signed_int() => Ok(P::unary(format!("-{x}"))),
            UnOp::Neg => Err(Problem::Type(format!("unary `-` on `{}`", ty.rust_name()))),
            UnOp::Not if ty == CType::Bool => Ok(P::unary(format!("!{x}"))),
            UnOp::Not if ty.is_int() => Ok(self.cast_back(ty, P::unary(format!("~{x}")))),
            UnOp::Not => Err(Problem::Type(format!("`!` on `{}`", ty.rust_name()))),
        }
    }

    /// Casts an arithmetic result of a small integer type back to it (C
    /// computes it in `int`).
    fn cast_back(&self, ty: CType, p: P) -> P {
        if ty.is_small_int() {
            P::unary(format!("({})({})", ty.c_name(), p.text))
        } else {
            p
        }
    }

    /// `a op b`, `a` and `b` printed from the expressions `ea`, `eb`.
    pub fn binary(&self, op: BinOp, ea: &TExpr, eb: &TExpr, pa: P, pb: P) -> Result<P, Problem> {
        let ta = self.ty(ea)?;
        let tb = self.ty(eb)?;
        self.binary_typed(op, ta, tb, pa, pb, eb)
    }

    /// `a op b` with operand types `ta`, `tb`; `eb` is the right operand (for
    /// shift amounts that are literals).
    pub fn binary_typed(
        &self,
        op: BinOp,
        ta: CType,
        tb: CType,
        pa: P,
        pb: P,
        eb: &TExpr,
    ) -> Result<P, Problem> {
        let bad = || {
            Problem::Type(format!(
                "`{}` on `{}` and `{}`",
                symbol(op),
                ta.rust_name(),
                tb.rust_name()
            ))
        };
        let plain = |pa: &P, pb: &P| P {
            text: format!(
                "{} {} {}",
                operand(pa, op, false),
                symbol(op),
                operand(pb, op, true)
            ),
            prec: prec(op),
            op: Some(op),
        };
        match op {
            BinOp::And | BinOp::Or => {
                if ta != CType::Bool {
                    return Err(bad());
                }
                Ok(plain(&pa, &pb))
            }
            _ if is_comparison(op) => {
                if ta == CType::Void {
                    return Err(bad());
                }
                Ok(plain(&pa, &pb))
            }
            BinOp::Rem if ta.is_float() => {
                Ok(P::primary(format!("fmod({}, {})", pa.text, pb.text)))
            }
            _ if is_arithmetic(op) => {
                if !(ta.is_float() || ta.is_int()) {
                    return Err(bad());
                }
                Ok(self.cast_back(ta, plain(&pa, &pb)))
            }
            BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor => {
                if !(ta.is_int() || ta == CType::Bool) {
                    return Err(bad());
                }
                Ok(self.cast_back(ta, plain(&pa, &pb)))
            }
            _ => {
                // Shifts: the amount is masked to the width (Rust release
                // semantics) unless it is a literal below the width.
                if !ta.is_int() || !tb.is_int() {
                    return Err(bad());
                }
                let bits = ta.bits();
                let literal_ok = match &eb.kind {
                    EKind::Int(d) => d.parse::<u64>().is_ok_and(|v| v < u64::from(bits)),
                    _ => false,
                };
                let amount = if literal_ok {
                    pb
                } else {
                    P::primary(format!(
                        "({} & {})",
                        operand(&pb, BinOp::BitAnd, false),
                        bits - 1
                    ))
                };
                if op == BinOp::Shl && ta.is_signed_int() {
                    let unsigned = if ta == CType::I32 {
                        "unsigned int"
                    } else {
                        "snn_u64"
                    };
                    let shifted = P {
                        text: format!(
                            "({unsigned}){} << {}",
                            pa.as_unary_operand(),
                            operand(&amount, op, true)
                        ),
                        prec: prec(op),
                        op: Some(op),
                    };
                    return Ok(P::unary(format!("({})({})", ta.c_name(), shifted.text)));
                }
                Ok(self.cast_back(ta, plain(&pa, &amount)))
            }
        }
    }

    /// `x as to`, `x` of type `from`.
    fn cast(&self, from: CType, to: CType, p: P) -> Result<P, Problem> {
        // `u32 as usize` and back are the same C type.
        if from.c_name() == to.c_name() {
            return Ok(p);
        }
        let bad = || {
            Problem::Type(format!(
                "cast from `{}` to `{}`",
                from.rust_name(),
                to.rust_name()
            ))
        };
        if from == CType::Void || to == CType::Void || to == CType::Bool {
            return Err(bad());
        }
        if from.is_float() && to.is_int() {
            return Ok(P::primary(format!(
                "snn_{}_to_{}({})",
                from.rust_name(),
                to.helper_suffix(),
                p.text
            )));
        }
        if from == CType::Bool && to.is_float() {
            return Err(bad());
        }
        Ok(P::unary(format!(
            "({}){}",
            to.c_name(),
            p.as_unary_operand()
        )))
    }

    /// A float (or integer) method call; `recv` is the receiver's type.
    fn math(&self, f: MathFn, recv: CType, args: Vec<P>) -> Result<P, Problem> {
        let call = |c: &str, args: &[P]| {
            let list: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
            P::primary(format!("{c}({})", list.join(", ")))
        };
        let bad = || Problem::Type(format!("the method `.{f}()` on `{}`", recv.rust_name()));
        if recv.is_int() {
            let s = recv.helper_suffix();
            return match f {
                MathFn::Min | MathFn::Max | MathFn::Clamp => {
                    Ok(call(&format!("snn_{f}_{s}"), &args))
                }
                MathFn::Abs | MathFn::Signum if recv.is_signed_int() => {
                    Ok(call(&format!("snn_{f}_{s}"), &args))
                }
                // The float methods.
                _ => Err(bad()),
            };
        }
        if !recv.is_float() {
            return Err(bad());
        }
        let s = recv.rust_name();
        let times = |c: f64, x: &P| {
            let c = P::literal(float_value(c, recv));
            P {
                text: format!(
                    "{} * {}",
                    operand(x, BinOp::Mul, false),
                    operand(&c, BinOp::Mul, true)
                ),
                prec: prec(BinOp::Mul),
                op: Some(BinOp::Mul),
            }
        };
        Ok(match math_c(f) {
            MathC::Direct(c) => call(c, &args),
            MathC::Helper => call(&format!("snn_{f}_{s}"), &args),
            MathC::Recip => {
                let one = P::literal(float_value(1.0, recv));
                P {
                    text: format!("{} / {}", one.text, operand(&args[0], BinOp::Div, true)),
                    prec: prec(BinOp::Div),
                    op: Some(BinOp::Div),
                }
            }
            // Rust's constants (core::f32::to_degrees etc.), rounded once.
            MathC::ToDegrees => match recv {
                CType::F32 => {
                    let c: f32 = "57.2957795130823208767981548141051703"
                        .parse()
                        .expect("a float literal");
                    times(f64::from(c), &args[0])
                }
                _ => times(180.0f64 / std::f64::consts::PI, &args[0]),
            },
            MathC::ToRadians => match recv {
                CType::F32 => times(f64::from(std::f32::consts::PI / 180.0f32), &args[0]),
                _ => times(std::f64::consts::PI / 180.0f64, &args[0]),
            },
        })
    }

    /// An environment call; `ty` is its result type.
    fn env(&self, call: EnvCall, args: &[TExpr], ps: Vec<P>, ty: CType) -> Result<P, Problem> {
        let sig = env_sig(call);
        let mut texts = Vec::with_capacity(ps.len());
        for ((p, a), want) in ps.into_iter().zip(args).zip(sig.args) {
            let t = self.ty(a)?;
            let text = match want {
                EnvArg::DelaySteps if t != CType::U32 => {
                    format!("(unsigned int){}", p.as_unary_operand())
                }
                _ => p.text,
            };
            texts.push(text);
        }
        let text = (self.ctx.env)(call, &texts)
            .map_err(|reason| Problem::UnknownEnvCall { call, reason })?;
        Ok(if ty == CType::Void {
            P::primary(text)
        } else {
            P::external(text)
        })
    }
}

/// How a float method is printed in C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MathC {
    /// A C math function of the same arguments (`exp`, `pow`, `fmin`, ...).
    Direct(&'static str),
    /// The prelude helper `snn_<name>_<type>` (`snn_clamp_f32`, ...).
    Helper,
    /// `1.0f / x`.
    Recip,
    /// `x * c` with Rust's constant `c`.
    ToDegrees,
    /// `x * c` with Rust's constant `c`.
    ToRadians,
}

/// How float method `f` is printed (the table in the module docs of [`super`]).
fn math_c(f: MathFn) -> MathC {
    use MathFn::*;
    match f {
        Sqrt | Floor | Ceil | Round | Trunc => MathC::Direct(f.name()),
        // snn_core::math's functions, the same bits as the CPU's.
        Exp | ExpM1 | Ln => MathC::Helper,
        Exp2 | Log2 | Log10 | Ln1p | Powf | Powi | Cbrt | Hypot => MathC::Helper,
        Sin | Cos | Tan | Asin | Acos | Atan | Atan2 | Sinh | Cosh | Tanh => MathC::Helper,
        Abs => MathC::Direct("fabs"),
        Min => MathC::Direct("fmin"),
        Max => MathC::Direct("fmax"),
        MulAdd => MathC::Direct("fma"),
        IsNan => MathC::Direct("isnan"),
        IsFinite => MathC::Direct("isfinite"),
        Signum | Clamp | Fract => MathC::Helper,
        Recip => MathC::Recip,
        ToDegrees => MathC::ToDegrees,
        ToRadians => MathC::ToRadians,
    }
}

/// `c ? a : b`.
fn ternary(c: P, a: P, b: P) -> P {
    let wrap = |p: &P| {
        if p.prec <= TERNARY {
            format!("({})", p.text)
        } else {
            p.text.clone()
        }
    };
    P {
        text: format!("{} ? {} : {}", wrap(&c), wrap(&a), wrap(&b)),
        prec: TERNARY,
        op: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_text_detection() {
        for s in [
            "l_v",
            "5",
            "5.0e-1f",
            "1e+30",
            "d_v[id]",
            "f(a, b)",
            "st->v",
            "p.v",
            "(a + b)",
            "g(x)[i + 1]",
        ] {
            assert!(is_primary_text(s), "{s}");
        }
        for s in [
            "",
            "-1.0f",
            "a + b",
            "(a) + (b)",
            "*p",
            "a-b",
            "e-1",
            "(float)x",
            "isyn += x",
            "a ? b : c",
        ] {
            assert!(!is_primary_text(s), "{s}");
        }
    }

    #[test]
    fn operands_get_parentheses_where_c_needs_them() {
        let bin = |op: BinOp, t: &str| P {
            text: t.into(),
            prec: prec(op),
            op: Some(op),
        };
        let add = bin(BinOp::Add, "a + b");
        assert_eq!(operand(&add, BinOp::Mul, false), "(a + b)");
        assert_eq!(operand(&add, BinOp::Add, false), "a + b");
        assert_eq!(operand(&add, BinOp::Sub, true), "(a + b)");
        assert_eq!(operand(&add, BinOp::Lt, false), "a + b");
        assert_eq!(operand(&add, BinOp::BitAnd, false), "(a + b)");
        let and = bin(BinOp::BitAnd, "a & b");
        assert_eq!(operand(&and, BinOp::Eq, false), "(a & b)");
        assert_eq!(operand(&and, BinOp::BitAnd, false), "a & b");
        let lt = bin(BinOp::Lt, "a < b");
        assert_eq!(operand(&lt, BinOp::Eq, false), "(a < b)");
        assert_eq!(operand(&lt, BinOp::And, false), "a < b");
        let land = bin(BinOp::And, "a && b");
        assert_eq!(operand(&land, BinOp::Or, false), "(a && b)");
        let t = ternary(P::primary("c"), P::primary("a"), P::primary("b"));
        assert_eq!(operand(&t, BinOp::Add, false), "(c ? a : b)");
    }
}
