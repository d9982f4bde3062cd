//! The lane form of neuron code (`sim` and `threshold`) and of synapse code
//! (`on_pre_spike`, `on_post_spike`, `on_pre_event`), rewritten to run on
//! `snn_core::lanes::WIDTH` neurons or synapses at once (the CPU backend's
//! vector path).
//!
//! Every value becomes a `Lanes` (one per neuron; literals and parameters
//! are splats, by the operator impls of `snn_core::lanes`), every condition
//! a `Mask`. Control flow is executed under masks, as a SIMD compiler does:
//! - every statement runs under the mask of its region; an assignment in a
//!   region is a select (`x = __select(m, new, x)`), so the lanes outside
//!   keep their values;
//! - `if c { A } else { B }`: `A` under `m & c`, `B` under `m & !c`, each
//!   skipped when its mask is empty; in value position both sides are
//!   evaluated and selected;
//! - `for`, `while` and `loop` run until no lane is active (loop counts may
//!   differ per lane); `break` and `continue` clear the lanes that take
//!   them from the loop's (iteration's) masks.
//!
//! Each lane thus does the scalar path's operations on its values, in the
//! same order, and gets the same bits. Code outside the subset handled here
//! (random draws, ids, indexing, `return`, explicit `f32`/`f64`, bit
//! operators) gets no lane form ([`lane_body`] returns
//! why) and runs on the scalar path.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use snn_dsl::MathFn;
use syn::{BinOp, Block, Expr, Ident, Lit, Local, Pat, Stmt, UnOp};

/// Why a method has no lane form.
pub type Unsupported = String;

/// Environment calls of neuron code with a lane form.
const NEURON_ENV_CALLS: &[&str] = &["t", "dt", "isyn"];

/// Environment calls of synapse code with a lane form (besides
/// `env.add_to_post(x)`, a statement).
const SYNAPSE_ENV_CALLS: &[&str] = &[
    "t",
    "dt",
    "st_pre",
    "prev_st_pre",
    "set_pre",
    "prev_set_pre",
    "st_post",
    "prev_st_post",
];

/// Which environment the lowered code runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaneEnv {
    /// `snn_core::lanes::NeuronLaneEnv`.
    Neuron,
    /// `snn_core::lanes::SynapseLaneEnv`: spike times per lane, and
    /// `env.add_to_post(x)` at most once, outside loops.
    Synapse,
}

/// The lane form of a method body: the statements of `body` (whose
/// environment parameter is `env`) in precision `prec`, run under the
/// all-lanes mask; a value-returning body (`threshold`) gives a `Mask`.
/// `lanes` is the path of `snn_core::lanes`. The body must have passed
/// [`check_precision_free`] before its `Scalar` paths were rewritten.
///
/// With `spill` (the name of a `bool` parameter of the lane method, for a
/// body without a value), loops may hand lanes back when that parameter
/// is true (`snn_core::lanes::SPILL_AFTER`): the body then gives the mask
/// of the lanes it left unfinished, whose results the caller discards.
pub fn lane_body(
    body: &Block,
    kind: LaneEnv,
    env: Option<&Ident>,
    prec: &Ident,
    lanes: &TokenStream,
    spill: Option<&Ident>,
) -> Result<TokenStream, Unsupported> {
    let mut l = Lowering {
        kind,
        added: false,
        env: env.cloned(),
        prec: prec.clone(),
        lanes: lanes.clone(),
        masks: Vec::new(),
        loops: Vec::new(),
        fresh: 0,
        spill: spill.map(|flag| (flag.clone(), Ident::new("__spilled", Span::mixed_site()))),
    };
    let top = l.fresh("__m");
    l.masks.push(top.clone());
    let (stmts, tail) = split_tail(&body.stmts);
    let mut out = quote!(let mut #top = #lanes::Mask::splat(true););
    if let Some((_, spilled)) = &l.spill {
        out.extend(quote!(let mut #spilled = #lanes::Mask::splat(false);));
    }
    for s in stmts {
        out.extend(l.stmt(s)?);
    }
    match (tail, &l.spill) {
        (Some(_), Some(_)) => return Err("returns a value from a body that may spill".into()),
        (Some(e), None) => {
            let v = l.expr(e)?;
            out.extend(quote!(#lanes::__mask(#v)));
        }
        (None, Some((_, spilled))) => out.extend(quote!(let _ = #top; #spilled)),
        (None, None) => out.extend(quote!(let _ = #top;)),
    }
    Ok(out)
}

/// Rejects bodies that name `f32`/`f64` or carry float suffixes: the lane
/// form types every float as the precision (splats would mix types).
pub fn check_precision_free(body: &Block) -> Result<(), Unsupported> {
    let text = body.to_token_stream().to_string();
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')) {
        if word == "f32" || word == "f64" || word.ends_with("f32") || word.ends_with("f64") {
            return Err(format!(
                "names `{word}` (only `Scalar` floats have a lane form)"
            ));
        }
    }
    Ok(())
}

/// The statements before a trailing value expression, and that expression.
fn split_tail(stmts: &[Stmt]) -> (&[Stmt], Option<&Expr>) {
    match stmts.last() {
        Some(Stmt::Expr(e, None)) if !is_control(e) => (&stmts[..stmts.len() - 1], Some(e)),
        _ => (stmts, None),
    }
}

/// True for statement-like expressions (`if`, loops, blocks).
fn is_control(e: &Expr) -> bool {
    matches!(
        e,
        Expr::If(_) | Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) | Expr::Block(_)
    )
}

/// A loop being lowered: the positions in the mask stack of its loop mask
/// (lanes still looping) and iteration mask (lanes active this iteration).
struct LoopMasks {
    lm: usize,
    im: usize,
}

struct Lowering {
    kind: LaneEnv,
    /// Synapse code: `env.add_to_post` was lowered.
    added: bool,
    env: Option<Ident>,
    prec: Ident,
    lanes: TokenStream,
    /// Region masks, outermost first; the last is the current one.
    masks: Vec<Ident>,
    loops: Vec<LoopMasks>,
    fresh: usize,
    /// With spilling: the method's flag parameter and the spilled mask.
    spill: Option<(Ident, Ident)>,
}

impl Lowering {
    fn fresh(&mut self, prefix: &str) -> Ident {
        self.fresh += 1;
        format_ident!("{}{}", prefix, self.fresh, span = Span::mixed_site())
    }

    fn mask(&self) -> &Ident {
        self.masks.last().expect("a region mask")
    }

    /// Statements of a block in a new scope under the current mask.
    fn block(&mut self, b: &Block) -> Result<TokenStream, Unsupported> {
        let mut out = TokenStream::new();
        for s in &b.stmts {
            out.extend(self.stmt(s)?);
        }
        Ok(quote!({ #out }))
    }

    fn stmt(&mut self, s: &Stmt) -> Result<TokenStream, Unsupported> {
        match s {
            Stmt::Local(local) => self.local(local),
            Stmt::Expr(e, _) => self.stmt_expr(e),
            Stmt::Item(_) | Stmt::Macro(_) => Err("contains an item or a macro".into()),
        }
    }

    fn local(&mut self, local: &Local) -> Result<TokenStream, Unsupported> {
        let lanes = self.lanes.clone();
        let (pat, ty) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some(self.lane_type(&pt.ty)?)),
            p => (p, None),
        };
        let Pat::Ident(pi) = pat else {
            return Err("binds a pattern".into());
        };
        if pi.by_ref.is_some() || pi.subpat.is_some() {
            return Err("binds by reference".into());
        }
        let name = &pi.ident;
        let ty_tokens = ty.as_ref().map(|t| quote!(: #t));
        let init = match (&local.init, &ty) {
            (Some(init), _) => {
                if init.diverge.is_some() {
                    return Err("uses `let ... else`".into());
                }
                let v = self.expr(&init.expr)?;
                quote!(#lanes::__lanes(#v))
            }
            (None, Some(_)) => quote!(#lanes::Lanes::splat(::core::default::Default::default())),
            (None, None) => return Err("declares a local without type or value".into()),
        };
        Ok(quote!(let mut #name #ty_tokens = #init;))
    }

    /// `Lanes<T>` for a local's type (`Scalar` is the precision).
    fn lane_type(&self, ty: &syn::Type) -> Result<TokenStream, Unsupported> {
        let (lanes, prec) = (&self.lanes, &self.prec);
        let syn::Type::Path(tp) = ty else {
            return Err("declares a local of a non-numeric type".into());
        };
        let Some(id) = tp.path.get_ident() else {
            return Err("declares a local of a path type".into());
        };
        Ok(match id.to_string().as_str() {
            "Scalar" => quote!(#lanes::Lanes<#prec>),
            "i32" | "u32" | "i64" | "u64" | "u8" | "u16" | "usize" | "bool" => {
                quote!(#lanes::Lanes<#id>)
            }
            other => return Err(format!("declares a local of type `{other}`")),
        })
    }

    fn stmt_expr(&mut self, e: &Expr) -> Result<TokenStream, Unsupported> {
        let lanes = self.lanes.clone();
        let m = self.mask().clone();
        match e {
            Expr::Assign(a) => {
                let place = self.place(&a.left)?;
                let v = self.expr(&a.right)?;
                Ok(quote!(#place = #lanes::__select(#m, #v, #place);))
            }
            Expr::Binary(b) if compound_op(&b.op).is_some() => {
                let place = self.place(&b.left)?;
                let v = self.expr(&b.right)?;
                let op = compound_op(&b.op).expect("checked");
                Ok(quote!(#place = #lanes::__select(#m, #place #op #v, #place);))
            }
            Expr::If(i) => self.if_stmt(i),
            Expr::Block(b) if b.label.is_none() => self.block(&b.block),
            Expr::ForLoop(f) => self.for_loop(f),
            Expr::While(w) => {
                if w.label.is_some() {
                    return Err("uses a labelled loop".into());
                }
                let c = self.expr(&w.cond)?;
                self.lane_loop(Some(c), &w.body, TokenStream::new(), TokenStream::new())
            }
            Expr::Loop(l) => {
                if l.label.is_some() {
                    return Err("uses a labelled loop".into());
                }
                self.lane_loop(None, &l.body, TokenStream::new(), TokenStream::new())
            }
            Expr::Break(b) => {
                if b.label.is_some() || b.expr.is_some() {
                    return Err("breaks with a label or a value".into());
                }
                let lm = self.loops.last().ok_or("breaks outside a loop")?.lm;
                Ok(self.clear_from(lm))
            }
            Expr::Continue(c) => {
                if c.label.is_some() {
                    return Err("continues a labelled loop".into());
                }
                let im = self.loops.last().ok_or("continues outside a loop")?.im;
                Ok(self.clear_from(im))
            }
            Expr::Paren(p) => self.stmt_expr(&p.expr),
            Expr::Group(g) => self.stmt_expr(&g.expr),
            Expr::MethodCall(mc) if self.is_env_call(mc, "add_to_post") => self.add_to_post(mc),
            _ => Err(format!(
                "has the statement `{}`",
                e.to_token_stream()
                    .to_string()
                    .chars()
                    .take(40)
                    .collect::<String>()
            )),
        }
    }

    /// True when `m` is `env.<name>(..)`.
    fn is_env_call(&self, m: &syn::ExprMethodCall, name: &str) -> bool {
        matches!((&self.env, &*m.receiver), (Some(env), Expr::Path(p)) if p.path.is_ident(env))
            && m.method == name
    }

    /// `env.add_to_post(x)` in synapse code: recorded under the current
    /// mask, for the runner to add after the group. Once per lane at most
    /// (a second call, or one in a loop, would sum in another order than
    /// the scalar path's).
    fn add_to_post(&mut self, mc: &syn::ExprMethodCall) -> Result<TokenStream, Unsupported> {
        if self.kind != LaneEnv::Synapse || mc.args.len() != 1 {
            return Err("calls `env.add_to_post`".into());
        }
        if !self.loops.is_empty() {
            return Err("calls `env.add_to_post` in a loop".into());
        }
        if self.added {
            return Err("calls `env.add_to_post` twice".into());
        }
        self.added = true;
        let (lanes, m, env) = (self.lanes.clone(), self.mask().clone(), self.env.clone());
        let v = self.expr(&mc.args[0])?;
        Ok(quote!(#env.__add_to_post(#m, #lanes::__lanes(#v));))
    }

    /// Clears the current lanes from the masks at `from..` of the stack
    /// (`break`: from the loop mask; `continue`: from the iteration mask).
    fn clear_from(&mut self, from: usize) -> TokenStream {
        let lanes = &self.lanes;
        let taken = format_ident!("__taken", span = Span::mixed_site());
        let cur = self.mask();
        let clears = self.masks[from..]
            .iter()
            .map(|mk| quote!(#mk = #lanes::__and_not(#mk, #taken);));
        quote!({ let #taken = #cur; #( #clears )* })
    }

    /// A statement `if`: each branch under its mask, skipped when empty.
    fn if_stmt(&mut self, i: &syn::ExprIf) -> Result<TokenStream, Unsupported> {
        let lanes = self.lanes.clone();
        let outer = self.mask().clone();
        let c = self.expr(&i.cond)?;
        let cond = self.fresh("__c");
        let (mt, me) = (self.fresh("__m"), self.fresh("__m"));
        self.masks.push(mt.clone());
        let then = self.block(&i.then_branch);
        self.masks.pop();
        let then = then?;
        let mut out = quote! {
            let #cond = #lanes::__mask(#c);
            let mut #mt = #lanes::__and(#outer, #cond);
            if #mt.any() #then
        };
        if let Some((_, e)) = &i.else_branch {
            self.masks.push(me.clone());
            let els = self.stmt_expr(e);
            self.masks.pop();
            let els = els?;
            out.extend(quote! {
                let mut #me = #lanes::__and_not(#outer, #cond);
                if #me.any() { #els }
            });
        }
        // Masks cleared by `break`/`continue` inside the branches were
        // cleared in the enclosing masks too.
        Ok(quote!({ #out }))
    }

    /// `for i in a..b` / `a..=b`: a counter per lane, a loop until no lane
    /// has a next value.
    fn for_loop(&mut self, f: &syn::ExprForLoop) -> Result<TokenStream, Unsupported> {
        let lanes = self.lanes.clone();
        if f.label.is_some() {
            return Err("uses a labelled loop".into());
        }
        let var = match &*f.pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => pi.ident.clone(),
            Pat::Wild(_) => self.fresh("__i"),
            _ => return Err("binds a pattern in `for`".into()),
        };
        let Expr::Range(r) = &*f.expr else {
            return Err("loops over something other than a range".into());
        };
        let (Some(from), Some(to)) = (&r.start, &r.end) else {
            return Err("loops over an open range".into());
        };
        let (from, to) = (self.expr(from)?, self.expr(to)?);
        let end = self.fresh("__end");
        let cmp = match r.limits {
            syn::RangeLimits::HalfOpen(_) => quote!(#lanes::__lt),
            syn::RangeLimits::Closed(_) => quote!(#lanes::__le),
        };
        let counter = self.fresh("__n");
        let cond = quote!(#cmp(#counter, #end));
        // The counter is the loop variable, immutable in the body.
        let head = quote!(let #var = #counter;);
        let step = quote!(#counter = #counter + 1;);
        let body = self.lane_loop(Some(cond), &f.body, head, step)?;
        Ok(quote!({
            let mut #counter = #lanes::__lanes(#from);
            let #end = #lanes::__lanes(#to);
            #body
        }))
    }

    /// A loop under masks: each iteration, the lanes still looping where
    /// `cond` holds run `head`, `body` and `step`; it ends when none is left.
    fn lane_loop(
        &mut self,
        cond: Option<TokenStream>,
        body: &Block,
        head: TokenStream,
        step: TokenStream,
    ) -> Result<TokenStream, Unsupported> {
        let lanes = self.lanes.clone();
        let outer = self.mask().clone();
        let (lm, im) = (self.fresh("__lm"), self.fresh("__im"));
        let base = self.masks.len();
        self.masks.push(lm.clone());
        self.masks.push(im.clone());
        self.loops.push(LoopMasks {
            lm: base,
            im: base + 1,
        });
        let lowered = self.block(body);
        self.loops.pop();
        self.masks.truncate(base);
        let lowered = lowered?;
        let narrow = cond.map(|c| quote!(#lm = #lanes::__and(#lm, #c);));
        // Spilling: the lanes still looping leave every region up to the
        // function's.
        let (counter, spill) = match self.spill.clone() {
            Some((flag, spilled)) => {
                let it = self.fresh("__it");
                let clears = self.masks[..base]
                    .iter()
                    .chain([&lm])
                    .map(|mk| quote!(#mk = #lanes::__and_not(#mk, #spilled);));
                let spill = quote! {
                    if #lanes::__spill_now(#flag, #it, #lm) {
                        #spilled = #lanes::__or(#spilled, #lm);
                        #( #clears )*
                        break;
                    }
                    #it += 1;
                };
                (quote!(let mut #it: usize = 0;), spill)
            }
            None => (TokenStream::new(), TokenStream::new()),
        };
        Ok(quote!({
            let mut #lm = #outer;
            #counter
            loop {
                #narrow
                if !#lm.any() {
                    break;
                }
                #spill
                let mut #im = #lm;
                #head
                #lowered
                let _ = #im;
                #step
            }
        }))
    }

    /// An assignable place: a local or `self.field`.
    fn place(&self, e: &Expr) -> Result<TokenStream, Unsupported> {
        match e {
            Expr::Group(g) => self.place(&g.expr),
            Expr::Path(p) if p.path.get_ident().is_some() => Ok(p.to_token_stream()),
            Expr::Field(f) if matches!(&*f.base, Expr::Path(p) if p.path.is_ident("self")) => {
                Ok(f.to_token_stream())
            }
            _ => Err("assigns to something other than a local or a field".into()),
        }
    }

    /// A value expression.
    fn expr(&mut self, e: &Expr) -> Result<TokenStream, Unsupported> {
        let lanes = self.lanes.clone();
        Ok(match e {
            Expr::Lit(l) => self.lit(&l.lit)?,
            Expr::Path(p) if p.qself.is_none() => {
                if p.path.is_ident("self") {
                    return Err("uses `self` as a value".into());
                }
                p.to_token_stream()
            }
            Expr::Field(f) => {
                if !matches!(&*f.base, Expr::Path(p) if p.path.is_ident("self")) {
                    return Err("reads a field of something other than `self`".into());
                }
                f.to_token_stream()
            }
            Expr::Paren(p) => {
                let v = self.expr(&p.expr)?;
                quote!((#v))
            }
            // Invisible delimiters around a `macro_rules!` fragment.
            Expr::Group(g) => {
                let v = self.expr(&g.expr)?;
                quote!((#v))
            }
            Expr::Unary(u) => {
                let v = self.expr(&u.expr)?;
                match u.op {
                    UnOp::Neg(_) => quote!((-#v)),
                    UnOp::Not(_) => quote!((!#lanes::__lanes(#v))),
                    _ => return Err("dereferences".into()),
                }
            }
            Expr::Binary(b) => self.binary(b)?,
            Expr::Cast(c) => {
                let v = self.expr(&c.expr)?;
                let ty = &c.ty;
                let ty = if ty.to_token_stream().to_string() == "Scalar" {
                    self.prec.to_token_stream()
                } else {
                    quote!(#ty)
                };
                quote!(#lanes::__cast::<#ty, _>(#v))
            }
            Expr::MethodCall(m) => self.method_call(m)?,
            Expr::If(i) => {
                let c = self.expr(&i.cond)?;
                let then = self.value_block(&i.then_branch)?;
                let Some((_, els)) = &i.else_branch else {
                    return Err("uses `if` without `else` as a value".into());
                };
                let els = self.expr(els)?;
                quote!(#lanes::__select(#lanes::__mask(#c), #then, #els))
            }
            Expr::Block(b) if b.label.is_none() => self.value_block(&b.block)?,
            _ => {
                return Err(format!(
                    "has the expression `{}`",
                    e.to_token_stream()
                        .to_string()
                        .chars()
                        .take(40)
                        .collect::<String>()
                ))
            }
        })
    }

    /// A block in value position: `let`s and a value, all lanes evaluated.
    fn value_block(&mut self, b: &Block) -> Result<TokenStream, Unsupported> {
        let (stmts, tail) = split_tail(&b.stmts);
        let tail = tail.ok_or("has a block without a value in value position")?;
        let mut out = TokenStream::new();
        for s in stmts {
            match s {
                Stmt::Local(l) => out.extend(self.local(l)?),
                _ => return Err("has a statement inside a value block".into()),
            }
        }
        let v = self.expr(tail)?;
        Ok(quote!({ #out #v }))
    }

    fn binary(&mut self, b: &syn::ExprBinary) -> Result<TokenStream, Unsupported> {
        let lanes = self.lanes.clone();
        let (l, r) = (self.expr(&b.left)?, self.expr(&b.right)?);
        let f = match b.op {
            BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_) | BinOp::Div(_) | BinOp::Rem(_) => {
                let op = &b.op;
                // A lane operand on the left takes any right operand.
                return Ok(quote!((#lanes::__lanes(#l) #op #r)));
            }
            BinOp::Lt(_) => "__lt",
            BinOp::Le(_) => "__le",
            BinOp::Gt(_) => "__gt",
            BinOp::Ge(_) => "__ge",
            BinOp::Eq(_) => "__eq",
            BinOp::Ne(_) => "__ne",
            BinOp::And(_) => "__and",
            BinOp::Or(_) => "__or",
            _ => return Err(format!("uses the operator `{}`", b.op.to_token_stream())),
        };
        let f = Ident::new(f, Span::call_site());
        Ok(quote!(#lanes::#f(#l, #r)))
    }

    fn method_call(&mut self, m: &syn::ExprMethodCall) -> Result<TokenStream, Unsupported> {
        let lanes = self.lanes.clone();
        let name = m.method.to_string();
        if m.turbofish.is_some() {
            return Err("calls a method with a turbofish".into());
        }
        if let (Some(env), Expr::Path(p)) = (&self.env, &*m.receiver) {
            if p.path.is_ident(env) {
                let calls = match self.kind {
                    LaneEnv::Neuron => NEURON_ENV_CALLS,
                    LaneEnv::Synapse => SYNAPSE_ENV_CALLS,
                };
                if !calls.contains(&name.as_str()) || !m.args.is_empty() {
                    return Err(format!("calls `env.{name}`"));
                }
                return Ok(m.to_token_stream());
            }
        }
        let Some(f) = MathFn::from_name(&name) else {
            return Err(format!("calls the method `{name}`"));
        };
        if m.args.len() != f.arity() {
            return Err(format!("calls `{name}` with {} arguments", m.args.len()));
        }
        // The scalar method on each lane (rewritten afterwards like the
        // scalar code: `exp` into `Elementary::exp`, ...).
        let recv = self.expr(&m.receiver)?;
        let args = m
            .args
            .iter()
            .map(|a| self.expr(a).map(|v| quote!(#lanes::__lanes(#v))))
            .collect::<Result<Vec<_>, _>>()?;
        let method = &m.method;
        let x = format_ident!("__x", span = Span::mixed_site());
        let ys: Vec<Ident> = (0..args.len())
            .map(|k| format_ident!("__y{}", k, span = Span::mixed_site()))
            .collect();
        let recv = quote!(#lanes::__lanes(#recv));
        // The closures are inlined whatever their size: the compiler
        // vectorises the lane loop only around an inlined body (`powf`
        // stayed a call per lane otherwise).
        Ok(match args.as_slice() {
            // A shortcut for whole lane groups, the same bits.
            [] if name == "exp_m1" => quote!(#lanes::__exp_m1(#recv)),
            [] => quote!(#recv.map(#[inline(always)] |#x| #x.#method())),
            [a] => quote!(#recv.zip(#a, #[inline(always)] |#x, #(#ys),*| #x.#method(#(#ys),*))),
            [a, b] => {
                quote!(#recv.zip3(#a, #b, #[inline(always)] |#x, #(#ys),*| #x.#method(#(#ys),*)))
            }
            _ => return Err(format!("calls `{name}` with {} arguments", args.len())),
        })
    }

    fn lit(&self, l: &Lit) -> Result<TokenStream, Unsupported> {
        match l {
            Lit::Float(f) => {
                if !f.suffix().is_empty() {
                    return Err("has a float literal with a suffix".into());
                }
                let text = format!("{}{}", f.base10_digits(), self.prec);
                Ok(syn::LitFloat::new(&text, f.span()).to_token_stream())
            }
            Lit::Int(_) | Lit::Bool(_) => Ok(l.to_token_stream()),
            _ => Err("has a literal that is not a number".into()),
        }
    }
}

/// The operator of a compound assignment (`+=` gives `+`).
fn compound_op(op: &BinOp) -> Option<TokenStream> {
    Some(match op {
        BinOp::AddAssign(_) => quote!(+),
        BinOp::SubAssign(_) => quote!(-),
        BinOp::MulAssign(_) => quote!(*),
        BinOp::DivAssign(_) => quote!(/),
        BinOp::RemAssign(_) => quote!(%),
        _ => return None,
    })
}

/// `parse_quote` of an empty block, for tests.
#[cfg(test)]
fn parse_body(src: &str) -> Block {
    syn::parse_str(src).expect("a block")
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn lower_in(kind: LaneEnv, src: &str) -> Result<String, Unsupported> {
        let env: Ident = parse_quote!(env);
        let prec: Ident = parse_quote!(f32);
        let body = parse_body(src);
        check_precision_free(&body)?;
        lane_body(&body, kind, Some(&env), &prec, &quote!(L), None).map(|t| t.to_string())
    }

    fn lower(src: &str) -> Result<String, Unsupported> {
        lower_in(LaneEnv::Neuron, src)
    }

    #[test]
    fn synapse_code_adds_to_its_target_once_under_its_mask() {
        let out = lower_in(
            LaneEnv::Synapse,
            "{ if env.st_post() > 0.0 { env.add_to_post(self.g); } self.g -= 0.1; }",
        )
        .unwrap();
        assert!(out.contains("env . __add_to_post (__m"), "{out}");
        assert!(out.contains("env . st_post ()"), "{out}");
        for (src, why) in [
            (
                "{ env.add_to_post(self.g); env.add_to_post(self.g); }",
                "twice",
            ),
            (
                "{ while self.g < 1.0 { env.add_to_post(self.g); self.g += 1.0; } }",
                "in a loop",
            ),
            ("{ env.add_to_post_delay(self.g, 2); }", "add_to_post_delay"),
            ("{ self.g = env.id_post() as Scalar; }", "env.id_post"),
        ] {
            let err = lower_in(LaneEnv::Synapse, src).unwrap_err();
            assert!(err.contains(why), "{src}: {err}");
        }
        // Neuron code neither adds to a target nor reads spike times.
        assert!(lower("{ env.add_to_post(self.v); }").is_err());
        assert!(lower("{ self.v = env.st_pre(); }").is_err());
    }

    #[test]
    fn assignments_become_selects_and_literals_get_the_precision() {
        let out = lower("{ let a = 0.5; self.v += a * env.isyn(); }").unwrap();
        assert!(out.contains("0.5f32"), "{out}");
        assert!(out.contains("self . v = L :: __select"), "{out}");
        assert!(out.contains("env . isyn ()"), "{out}");
    }

    #[test]
    fn branches_and_loops_run_under_masks() {
        let out = lower(
            "{ let n = self.n as i32; for _k in 0..n { if self.v > 1.0 { self.v = 0.0; break; } } }",
        )
        .unwrap();
        assert!(out.contains("L :: __cast :: < i32 , _ >"), "{out}");
        assert!(out.contains("__and_not"), "{out}");
        assert!(out.contains(". any ()"), "{out}");
    }

    #[test]
    fn loops_may_spill_their_last_lanes() {
        let (env, prec, flag): (Ident, Ident, Ident) =
            (parse_quote!(env), parse_quote!(f32), parse_quote!(spill));
        let body = parse_body("{ while self.v < 1.0 { self.v += 0.1; } }");
        let out = lane_body(
            &body,
            LaneEnv::Neuron,
            Some(&env),
            &prec,
            &quote!(L),
            Some(&flag),
        )
        .unwrap()
        .to_string();
        assert!(out.contains("L :: __spill_now (spill"), "{out}");
        assert!(out.ends_with("__spilled"), "{out}");
        let without = lower("{ while self.v < 1.0 { self.v += 0.1; } }").unwrap();
        assert!(!without.contains("spill"), "{without}");
        let valued = lane_body(
            &parse_body("{ self.v > 1.0 }"),
            LaneEnv::Neuron,
            None,
            &prec,
            &quote!(L),
            Some(&flag),
        );
        assert!(valued.is_err());
    }

    #[test]
    fn thresholds_give_masks() {
        let out = lower("{ self.v >= self.v_thresh }").unwrap();
        assert!(
            out.ends_with("L :: __mask (L :: __ge (self . v , self . v_thresh))"),
            "{out}"
        );
    }

    #[test]
    fn code_outside_the_subset_has_no_lane_form() {
        for (src, why) in [
            ("{ self.v = env.rand_uniform(); }", "env.rand_uniform"),
            ("{ let x: f64 = 1.0; }", "f64"),
            ("{ self.v = 1.0f32; }", "f32"),
            ("{ return; }", "statement"),
            ("{ self.v = self.e[0]; }", "expression"),
            ("{ self.v = self.v.len(); }", "len"),
            ("{ let k = 1 << 3; }", "<<"),
        ] {
            let e = lower(src).unwrap_err();
            assert!(e.contains(why), "{src}: {e}");
        }
    }
}
