//! Printing of typed statements and blocks as C.

use super::expr::{has_effects, is_constant, needs_lowering, Printer, P};
use super::types::{CType, TBlock, TExpr, TPlace, TStmt, TyVar};
use super::{Exit, Problem};
use snn_core::ir::BinOp;

/// What to do with the value (tail expression) of a block.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Tail<'t> {
    /// Evaluate it as an expression statement.
    Discard,
    /// It is the method's value.
    Return,
    /// Assign it to this variable.
    Assign(&'t str),
}

impl Printer<'_, '_> {
    /// Prints the method body as a block (and the exit label, if used).
    pub fn method_body(&mut self, body: &TBlock) -> Result<(), Problem> {
        self.line("{");
        self.indent += 1;
        let tail = if self.returns.is_some() {
            Tail::Return
        } else {
            Tail::Discard
        };
        self.block_contents(body, tail)?;
        self.indent -= 1;
        self.line("}");
        if let (true, Exit::Goto { label, .. }) = (self.goto_used, self.ctx.exit) {
            self.line(format!("{label}: ;"));
        }
        Ok(())
    }

    /// The printed code.
    pub fn finish(self) -> String {
        self.out
    }

    /// Prints the statements of a block (without braces), then its value as `tail` says.
    pub fn block_contents(&mut self, b: &TBlock, tail: Tail) -> Result<(), Problem> {
        for s in &b.stmts {
            self.stmt(s)?;
        }
        if let Some(e) = &b.tail {
            match tail {
                Tail::Discard => self.expr_stmt(e)?,
                Tail::Return => self.method_value(e)?,
                Tail::Assign(var) => {
                    let p = self.value(e)?;
                    self.line(format!("{var} = {};", p.text));
                }
            }
        }
        Ok(())
    }

    /// Prints `{ contents }` after `head` (`if (c)`, `for (...)`, ...).
    fn braced(&mut self, head: String, b: &TBlock) -> Result<(), Problem> {
        self.line(format!("{head} {{"));
        self.indent += 1;
        self.block_contents(b, Tail::Discard)?;
        self.indent -= 1;
        self.line("}");
        Ok(())
    }

    fn stmt(&mut self, s: &TStmt) -> Result<(), Problem> {
        match s {
            TStmt::Let { name, ty, init } => self.let_stmt(name, *ty, init.as_ref()),
            TStmt::Assign { place, op, value } => self.assign(place, *op, value),
            TStmt::Expr(e) => self.expr_stmt(e),
            TStmt::If { cond, then, else_ } => self.if_stmt(cond, then, else_.as_ref()),
            TStmt::For {
                var,
                ty,
                start,
                end,
                inclusive,
                body,
            } => self.for_stmt(var, *ty, start, end, *inclusive, body),
            TStmt::While { cond, body } => self.while_stmt(cond, body),
            TStmt::Loop(body) => self.braced("for (;;)".into(), body),
            TStmt::Break => {
                self.line("break;");
                Ok(())
            }
            TStmt::Continue => {
                self.line("continue;");
                Ok(())
            }
            TStmt::Return(v) => self.return_stmt(v.as_ref()),
        }
    }

    fn let_stmt(&mut self, name: &str, ty: TyVar, init: Option<&TExpr>) -> Result<(), Problem> {
        let t = self.tyv(ty)?;
        if t == CType::Void {
            return Err(Problem::Type(format!(
                "the local bound as `{name}` would hold `()`"
            )));
        }
        match init {
            Some(e) => {
                let p = self.value(e)?;
                self.line(format!("{} {name} = {};", t.c_name(), p.text));
            }
            None => self.line(format!("{} {name};", t.c_name())),
        }
        Ok(())
    }

    fn assign(&mut self, place: &TPlace, op: Option<BinOp>, value: &TExpr) -> Result<(), Problem> {
        let t = self.tyv(place.ty())?;
        let target = match place {
            TPlace::Local(name, _) => P::primary(name.clone()),
            TPlace::Field(f, _) => self.field_text(f),
        };
        let pv = self.value(value)?;
        let Some(op) = op else {
            self.line(format!("{} = {};", target.text, pv.text));
            return Ok(());
        };
        let tv = self.ty(value)?;
        // Validates the operation and handles fmod, shifts and small types.
        let full = self.binary_typed(op, t, tv, target.clone(), pv.clone(), value)?;
        let plain = match op {
            // Unmasked, and not a left shift of a signed value.
            BinOp::Shl | BinOp::Shr => {
                let promoted_or_signed =
                    t.is_small_int() || (op == BinOp::Shl && t.is_signed_int());
                !promoted_or_signed && literal_below(value, t.bits())
            }
            BinOp::Rem if t.is_float() => false,
            _ => !t.is_small_int(),
        };
        if plain {
            let sym = super::types::op_symbol(op);
            self.line(format!("{} {sym}= {};", target.text, pv.text));
        } else {
            self.line(format!("{} = {};", target.text, full.text));
        }
        Ok(())
    }

    /// An expression evaluated for its effect.
    fn expr_stmt(&mut self, e: &TExpr) -> Result<(), Problem> {
        if let super::types::EKind::If(c, t, f) = &e.kind {
            return self.if_stmt(c, t, Some(f));
        }
        let ty = self.ty(e)?;
        let p = self.value(e)?;
        if ty == CType::Void {
            self.line(format!("{};", p.text));
        } else {
            self.line(format!("(void)({});", p.text));
        }
        Ok(())
    }

    /// The value of the method (the tail of its body).
    fn method_value(&mut self, e: &TExpr) -> Result<(), Problem> {
        let p = self.value(e)?;
        match self.ctx.exit {
            Exit::Return => self.line(format!("return {};", p.text)),
            Exit::Goto { result, .. } => {
                let r = result_var(result)?;
                self.line(format!("{r} = {};", p.text));
            }
        }
        Ok(())
    }

    fn return_stmt(&mut self, v: Option<&TExpr>) -> Result<(), Problem> {
        match self.ctx.exit {
            Exit::Return => match v {
                Some(e) => {
                    let p = self.value(e)?;
                    self.line(format!("return {};", p.text));
                }
                None => self.line("return;"),
            },
            Exit::Goto { result, label } => {
                if let Some(e) = v {
                    let r = result_var(result)?;
                    let p = self.value(e)?;
                    self.line(format!("{r} = {};", p.text));
                }
                self.line(format!("goto {label};"));
                self.goto_used = true;
            }
        }
        Ok(())
    }

    fn if_stmt(
        &mut self,
        cond: &TExpr,
        then: &TBlock,
        else_: Option<&TBlock>,
    ) -> Result<(), Problem> {
        let pc = self.value(cond)?;
        self.line(format!("if ({}) {{", pc.text));
        self.indent += 1;
        self.block_contents(then, Tail::Discard)?;
        self.indent -= 1;
        let mut else_ = else_;
        loop {
            match else_ {
                None => {
                    self.line("}");
                    return Ok(());
                }
                Some(b) => match (b.stmts.as_slice(), &b.tail) {
                    // `else if`, when the condition needs no statements.
                    (
                        [TStmt::If {
                            cond,
                            then,
                            else_: e2,
                        }],
                        None,
                    ) if !needs_lowering(cond) => {
                        let pc = self.pure(cond)?;
                        self.line(format!("}} else if ({}) {{", pc.text));
                        self.indent += 1;
                        self.block_contents(then, Tail::Discard)?;
                        self.indent -= 1;
                        else_ = e2.as_ref();
                    }
                    _ => {
                        self.line("} else {");
                        self.indent += 1;
                        self.block_contents(b, Tail::Discard)?;
                        self.indent -= 1;
                        self.line("}");
                        return Ok(());
                    }
                },
            }
        }
    }

    /// `for var in start..end` / `start..=end`: the bounds are evaluated once,
    /// in order, before the loop.
    fn for_stmt(
        &mut self,
        var: &str,
        ty: TyVar,
        start: &TExpr,
        end: &TExpr,
        inclusive: bool,
        body: &TBlock,
    ) -> Result<(), Problem> {
        let t = self.tyv(ty)?;
        if !t.is_int() {
            return Err(Problem::Type(format!(
                "`for` over a range of `{}`: only integer ranges can be iterated",
                t.rust_name()
            )));
        }
        let c = t.c_name();
        let mut ps = self.value(start)?;
        if !is_constant(start) && (has_effects(end) || needs_lowering(end)) {
            ps = self.materialize(ps, t)?;
        }
        let mut pe = self.value(end)?;
        if !is_constant(end) {
            pe = self.materialize(pe, t)?;
        }
        if !inclusive {
            return self.braced(
                format!(
                    "for ({c} {var} = {}; {var} < {}; {var}++)",
                    ps.text, pe.text
                ),
                body,
            );
        }
        // `a..=b`: a cursor and a "more" flag, so that `b == MAX` terminates
        // and `continue` still advances.
        let cur = self.temp();
        let more = self.temp();
        self.line(format!("{c} {cur} = {};", ps.text));
        self.line(format!("bool {more} = {cur} <= {};", pe.text));
        self.line(format!("while ({more}) {{"));
        self.indent += 1;
        self.line(format!("const {c} {var} = {cur};"));
        self.line(format!("{more} = {cur} < {};", pe.text));
        self.line(format!("if ({more}) {{ {cur}++; }}"));
        self.block_contents(body, Tail::Discard)?;
        self.indent -= 1;
        self.line("}");
        Ok(())
    }

    fn while_stmt(&mut self, cond: &TExpr, body: &TBlock) -> Result<(), Problem> {
        if !needs_lowering(cond) {
            let pc = self.pure(cond)?;
            return self.braced(format!("while ({})", pc.text), body);
        }
        // The condition needs statements: evaluate it at the top of each turn.
        self.line("for (;;) {");
        self.indent += 1;
        let pc = self.value(cond)?;
        self.line(format!("if (!({})) {{", pc.text));
        self.line("    break;");
        self.line("}");
        self.block_contents(body, Tail::Discard)?;
        self.indent -= 1;
        self.line("}");
        Ok(())
    }
}

/// True if `e` is an integer literal below `bits` (a shift amount that needs no mask).
fn literal_below(e: &TExpr, bits: u32) -> bool {
    match &e.kind {
        super::types::EKind::Int(d) => d.parse::<u64>().is_ok_and(|v| v < u64::from(bits)),
        _ => false,
    }
}

/// The result variable of [`Exit::Goto`], required for methods with a value.
fn result_var(result: Option<&str>) -> Result<&str, Problem> {
    result.ok_or_else(|| {
        Problem::Unsupported(
            "the method returns a value but `Exit::Goto` has no result variable".into(),
        )
    })
}
