//! C types of the dialect, and type inference of a method body.
//!
//! The IR ([`snn_core::ir`]) is untyped: literals are kept as written and
//! `let` bindings may omit their type. [`Builder`] turns a method body into a
//! *typed tree* ([`TExpr`], [`TStmt`], [`TBlock`]) whose every expression and
//! binding carries a type variable, and solves the variables by unification,
//! the way rustc does for the subset:
//!
//! - operands of arithmetic, bitwise and comparison operators have one type
//!   (shifts excepted: the shift amount is independent), the result has the
//!   left operand's type (`bool` for comparisons and `&&`/`||`);
//! - an assignment unifies the place and the value, a `let` its binding and
//!   initialiser (or declared type), a `for` loop variable its range bounds;
//! - an unsuffixed literal is a variable of class `{float}` or `{integer}`,
//!   resolved by these constraints from anywhere in the method; left
//!   unconstrained it falls back like rustc's: `{float}` to `f64`,
//!   `{integer}` to `i32`;
//! - `lit as T` types the literal `T` directly when the classes agree
//!   (rustc's cast expectation: `1.5 as f32` is an `f32` literal, `300 as u8`
//!   a `u8` one), also through unary minus;
//! - fields have their declared types, environment calls the signatures of
//!   [`super::env_sig`], float methods those of Rust's `f32`/`f64`.
//!
//! `Scalar` is resolved to `f32`/`f64` by the precision before inference
//! (natively, `Scalar` is a type alias, so model code that compiles in both
//! precisions never needs to tell them apart).

use super::{env_sig, EnvArg, Problem};
use snn_core::dsl::{EnvCall, MathFn};
use snn_core::ir::{BinOp, Block, Expr, IrType, Lit, Place, Stmt, UnOp};
use snn_core::model::{FieldDesc, FieldKind, ModelDesc};
use snn_core::Precision;
use std::collections::HashSet;

/// A concrete type of model code, with `Scalar` resolved by the precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CType {
    /// `f32`: C `float`.
    F32,
    /// `f64`: C `double`.
    F64,
    /// `i32`: C `int`.
    I32,
    /// `u32`: C `unsigned int`.
    U32,
    /// `i64`: `snn_i64` (a typedef of the prelude: `long` in OpenCL C, `long long` elsewhere).
    I64,
    /// `u64`: `snn_u64` (`ulong` in OpenCL C, `unsigned long long` elsewhere).
    U64,
    /// `u8`: C `unsigned char`.
    U8,
    /// `u16`: C `unsigned short`.
    U16,
    /// `usize`: C `unsigned int` (32-bit in kernels).
    Usize,
    /// `bool`: C `bool` (built in in OpenCL C and C++, `<stdbool.h>` in C99).
    Bool,
    /// `()`: the result of environment calls without a value (`void`).
    Void,
}

impl CType {
    /// The concrete type of an IR type in a precision.
    pub fn from_ir(ty: IrType, precision: Precision) -> CType {
        match ty {
            IrType::Scalar => match precision {
                Precision::F32 => CType::F32,
                Precision::F64 => CType::F64,
            },
            IrType::F32 => CType::F32,
            IrType::F64 => CType::F64,
            IrType::I32 => CType::I32,
            IrType::U32 => CType::U32,
            IrType::I64 => CType::I64,
            IrType::U64 => CType::U64,
            IrType::U8 => CType::U8,
            IrType::U16 => CType::U16,
            IrType::Usize => CType::Usize,
            IrType::Bool => CType::Bool,
        }
    }

    /// The C spelling.
    pub fn c_name(self) -> &'static str {
        match self {
            CType::F32 => "float",
            CType::F64 => "double",
            CType::I32 => "int",
            CType::U32 | CType::Usize => "unsigned int",
            CType::I64 => "snn_i64",
            CType::U64 => "snn_u64",
            CType::U8 => "unsigned char",
            CType::U16 => "unsigned short",
            CType::Bool => "bool",
            CType::Void => "void",
        }
    }

    /// The Rust spelling, for messages.
    pub fn rust_name(self) -> &'static str {
        match self {
            CType::F32 => "f32",
            CType::F64 => "f64",
            CType::I32 => "i32",
            CType::U32 => "u32",
            CType::I64 => "i64",
            CType::U64 => "u64",
            CType::U8 => "u8",
            CType::U16 => "u16",
            CType::Usize => "usize",
            CType::Bool => "bool",
            CType::Void => "()",
        }
    }

    /// `f32` or `f64`.
    pub fn is_float(self) -> bool {
        matches!(self, CType::F32 | CType::F64)
    }

    /// An integer type (not `bool`).
    pub fn is_int(self) -> bool {
        matches!(
            self,
            CType::I32
                | CType::U32
                | CType::I64
                | CType::U64
                | CType::U8
                | CType::U16
                | CType::Usize
        )
    }

    /// A signed integer type.
    pub fn is_signed_int(self) -> bool {
        matches!(self, CType::I32 | CType::I64)
    }

    /// `u8` or `u16`: C promotes these to `int` in arithmetic.
    pub fn is_small_int(self) -> bool {
        matches!(self, CType::U8 | CType::U16)
    }

    /// Width in bits of a numeric type in kernels (`usize` is 32-bit).
    pub fn bits(self) -> u32 {
        match self {
            CType::U8 => 8,
            CType::U16 => 16,
            CType::F32 | CType::I32 | CType::U32 | CType::Usize => 32,
            CType::F64 | CType::I64 | CType::U64 => 64,
            CType::Bool => 1,
            CType::Void => 0,
        }
    }

    /// Suffix of the prelude helpers for this type (`snn_min_u8`, `snn_f32_to_i32`);
    /// `usize` uses the `u32` helpers.
    pub fn helper_suffix(self) -> &'static str {
        match self {
            CType::Usize => "u32",
            other => other.rust_name(),
        }
    }
}

/// A type variable of the inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TyVar(usize);

/// What a type variable may still become.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Anything (a `let` without type and initialiser, ...).
    Any,
    /// A float type (an unsuffixed float literal).
    Float,
    /// An integer type (an unsuffixed integer literal).
    Int,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    parent: usize,
    class: Class,
    ty: Option<CType>,
}

/// Union-find over type variables.
#[derive(Default)]
pub(crate) struct Types {
    slots: Vec<Slot>,
}

impl Types {
    fn fresh(&mut self, class: Class, ty: Option<CType>) -> TyVar {
        let i = self.slots.len();
        self.slots.push(Slot {
            parent: i,
            class,
            ty,
        });
        TyVar(i)
    }

    /// A variable bound to `ty`.
    pub fn known(&mut self, ty: CType) -> TyVar {
        self.fresh(Class::Any, Some(ty))
    }

    fn find(&mut self, v: TyVar) -> usize {
        let mut root = v.0;
        while self.slots[root].parent != root {
            root = self.slots[root].parent;
        }
        let mut i = v.0;
        while self.slots[i].parent != root {
            let next = self.slots[i].parent;
            self.slots[i].parent = root;
            i = next;
        }
        root
    }

    fn describe(&self, root: usize) -> String {
        let s = self.slots[root];
        match (s.ty, s.class) {
            (Some(t), _) => format!("`{}`", t.rust_name()),
            (None, Class::Float) => "a float literal".into(),
            (None, Class::Int) => "an integer literal".into(),
            (None, Class::Any) => "an unknown type".into(),
        }
    }

    fn fits(class: Class, ty: CType) -> bool {
        match class {
            Class::Any => true,
            Class::Float => ty.is_float(),
            Class::Int => ty.is_int(),
        }
    }

    /// Makes `a` and `b` the same type; `Err` describes both when they differ.
    pub fn unify(&mut self, a: TyVar, b: TyVar) -> Result<(), String> {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return Ok(());
        }
        let (sa, sb) = (self.slots[ra], self.slots[rb]);
        let mismatch = || format!("{} and {}", self.describe(ra), self.describe(rb));
        let ty = match (sa.ty, sb.ty) {
            (Some(x), Some(y)) if x != y => return Err(mismatch()),
            (x, y) => x.or(y),
        };
        let class = match (sa.class, sb.class) {
            (Class::Any, c) | (c, Class::Any) => c,
            (x, y) if x == y => x,
            _ => return Err(mismatch()),
        };
        if let Some(t) = ty {
            if !Self::fits(class, t) {
                return Err(mismatch());
            }
        }
        self.slots[rb].parent = ra;
        self.slots[ra].class = class;
        self.slots[ra].ty = ty;
        Ok(())
    }

    /// Binds `v` to `ty` when it is an unbound variable of a class that admits `ty`.
    fn hint(&mut self, v: TyVar, ty: CType) {
        let r = self.find(v);
        let s = self.slots[r];
        if s.ty.is_none() && s.class != Class::Any && Self::fits(s.class, ty) {
            self.slots[r].ty = Some(ty);
        }
    }

    /// The solution: every variable's type, literals falling back to `f64` / `i32`.
    pub fn solve(mut self) -> Solved {
        let n = self.slots.len();
        let tys = (0..n)
            .map(|i| {
                let r = self.find(TyVar(i));
                let s = self.slots[r];
                s.ty.or(match s.class {
                    Class::Float => Some(CType::F64),
                    Class::Int => Some(CType::I32),
                    Class::Any => None,
                })
            })
            .collect();
        Solved { tys }
    }
}

/// The solved types of a method.
pub(crate) struct Solved {
    tys: Vec<Option<CType>>,
}

impl Solved {
    /// The type of a variable; `None` if nothing determined it.
    pub fn get(&self, v: TyVar) -> Option<CType> {
        self.tys[v.0]
    }
}

/// A typed expression.
#[derive(Debug)]
pub(crate) struct TExpr {
    pub kind: EKind,
    pub ty: TyVar,
}

/// The typed expression kinds (see [`snn_core::ir::Expr`]).
#[derive(Debug)]
pub(crate) enum EKind {
    /// Float literal digits.
    Float(&'static str),
    /// Integer literal digits.
    Int(&'static str),
    Bool(bool),
    /// A local, by its C name.
    Local(String),
    Field(&'static FieldDesc),
    /// An extra-global-parameter array element.
    Index(&'static FieldDesc, Box<TExpr>),
    Unary(UnOp, Box<TExpr>),
    Binary(BinOp, Box<TExpr>, Box<TExpr>),
    /// `x as T`; `T` is the node's type.
    Cast(Box<TExpr>),
    /// A float (or integer) method, receiver first.
    Math(MathFn, Vec<TExpr>),
    /// A named constant of the node's type.
    Const(&'static str),
    Env(EnvCall, Vec<TExpr>),
    If(Box<TExpr>, Box<TBlock>, Box<TBlock>),
}

/// A typed block.
#[derive(Debug)]
pub(crate) struct TBlock {
    pub stmts: Vec<TStmt>,
    pub tail: Option<TExpr>,
}

/// An assignable place.
#[derive(Debug)]
pub(crate) enum TPlace {
    /// A local: C name and type.
    Local(String, TyVar),
    /// A state variable (or `in_syn`).
    Field(&'static FieldDesc, TyVar),
}

impl TPlace {
    pub fn ty(&self) -> TyVar {
        match self {
            TPlace::Local(_, t) | TPlace::Field(_, t) => *t,
        }
    }
}

/// A typed statement (see [`snn_core::ir::Stmt`]); names are C names.
#[derive(Debug)]
pub(crate) enum TStmt {
    Let {
        name: String,
        ty: TyVar,
        init: Option<TExpr>,
    },
    Assign {
        place: TPlace,
        op: Option<BinOp>,
        value: TExpr,
    },
    Expr(TExpr),
    If {
        cond: TExpr,
        then: TBlock,
        else_: Option<TBlock>,
    },
    For {
        var: String,
        ty: TyVar,
        start: TExpr,
        end: TExpr,
        inclusive: bool,
        body: TBlock,
    },
    While {
        cond: TExpr,
        body: TBlock,
    },
    Loop(TBlock),
    Break,
    Continue,
    Return(Option<TExpr>),
}

/// Prefix of the C names of locals.
pub(crate) const LOCAL_PREFIX: &str = "l_";

/// Signatures of the float methods of the subset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MathSig {
    /// `x.f()` of the receiver's type.
    Unary,
    /// `x.f(y)`, `y` and the result of the receiver's type.
    Binary,
    /// `x.f(y, z)`, all of the receiver's type.
    Ternary,
    /// `x.powi(n: i32)`.
    Powi,
    /// `x.is_nan()` / `x.is_finite()`: `bool`.
    Predicate,
}

/// The signature of a float method.
pub(crate) const fn math_sig(f: MathFn) -> MathSig {
    use MathFn::*;
    match f {
        Exp | Exp2 | ExpM1 | Ln | Log10 | Log2 | Ln1p | Sqrt | Cbrt | Abs | Signum | Sin | Cos
        | Tan | Asin | Acos | Atan | Sinh | Cosh | Tanh | Floor | Ceil | Round | Trunc | Fract
        | Recip | ToDegrees | ToRadians => MathSig::Unary,
        Powf | Min | Max | Atan2 | Hypot => MathSig::Binary,
        Clamp | MulAdd => MathSig::Ternary,
        Powi => MathSig::Powi,
        IsNan | IsFinite => MathSig::Predicate,
    }
}

/// Builds the typed tree of a method body and collects the type constraints.
pub(crate) struct Builder {
    precision: Precision,
    model: &'static ModelDesc,
    pub types: Types,
    /// Locals in scope: Rust name, C name, type; innermost scope last.
    scopes: Vec<Vec<(&'static str, String, TyVar)>>,
    /// C names given out so far (every binding gets a fresh one).
    used: HashSet<String>,
    /// The method's return type, if it returns a value.
    pub ret: Option<TyVar>,
}

impl Builder {
    /// A builder for a method of `model` returning `ret` (`None`: `()`).
    pub fn new(model: &'static ModelDesc, precision: Precision, ret: Option<CType>) -> Builder {
        let mut types = Types::default();
        let ret = ret.map(|t| types.known(t));
        Builder {
            precision,
            model,
            types,
            scopes: Vec::new(),
            used: HashSet::new(),
            ret,
        }
    }

    fn ir(&mut self, ty: IrType) -> TyVar {
        let t = CType::from_ir(ty, self.precision);
        self.types.known(t)
    }

    fn unify(&mut self, a: TyVar, b: TyVar, what: impl FnOnce() -> String) -> Result<(), Problem> {
        self.types
            .unify(a, b)
            .map_err(|both| Problem::Type(format!("{}: mismatched types {both}", what())))
    }

    fn field(&self, name: &str) -> Result<&'static FieldDesc, Problem> {
        self.model
            .fields
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| Problem::UnknownField(name.to_string()))
    }

    /// Declares a binding in the innermost scope under a fresh C name.
    fn declare(&mut self, name: &'static str, ty: TyVar) -> String {
        let base = format!("{LOCAL_PREFIX}{name}");
        let mut c_name = base.clone();
        let mut k = 0;
        while self.used.contains(&c_name) {
            k += 1;
            c_name = format!("{base}_{k}");
        }
        self.used.insert(c_name.clone());
        self.scopes
            .last_mut()
            .expect("a scope is open while building")
            .push((name, c_name.clone(), ty));
        c_name
    }

    fn lookup(&self, name: &str) -> Result<(String, TyVar), Problem> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(n, _, _)| *n == name)
            .map(|(_, c, t)| (c.clone(), *t))
            .ok_or_else(|| Problem::UnknownLocal(name.to_string()))
    }

    /// Builds the method body.
    pub fn body(&mut self, body: &Block) -> Result<TBlock, Problem> {
        let b = self.block(body)?;
        if let (Some(ret), Some(tail)) = (self.ret, &b.tail) {
            self.unify(tail.ty, ret, || "the value of the method".into())?;
        }
        Ok(b)
    }

    fn block(&mut self, b: &Block) -> Result<TBlock, Problem> {
        self.scopes.push(Vec::new());
        let out = self.block_in_scope(b);
        self.scopes.pop();
        out
    }

    fn block_in_scope(&mut self, b: &Block) -> Result<TBlock, Problem> {
        let stmts = b
            .stmts
            .iter()
            .map(|s| self.stmt(s))
            .collect::<Result<Vec<_>, _>>()?;
        let tail = b.tail.map(|e| self.expr(e)).transpose()?;
        Ok(TBlock { stmts, tail })
    }

    fn stmt(&mut self, s: &Stmt) -> Result<TStmt, Problem> {
        Ok(match *s {
            Stmt::Let { name, ty, init } => {
                let init = init.map(|e| self.expr(e)).transpose()?;
                let var = match ty {
                    Some(t) => self.ir(t),
                    None => self.types.fresh(Class::Any, None),
                };
                if let Some(init) = &init {
                    self.unify(var, init.ty, || format!("`let {name}`"))?;
                }
                let name = self.declare(name, var);
                TStmt::Let {
                    name,
                    ty: var,
                    init,
                }
            }
            Stmt::Assign { place, op, value } => {
                let value = self.expr(value)?;
                let place = match place {
                    Place::Local(name) => {
                        let (c, t) = self.lookup(name)?;
                        TPlace::Local(c, t)
                    }
                    Place::Field(name) => {
                        let f = self.field(name)?;
                        // `#[pre_var]`s / `#[post_var]`s are written by
                        // `pre_spike` / `post_spike` (the model macros check
                        // which method writes what).
                        let writable = matches!(
                            f.kind,
                            FieldKind::Var
                                | FieldKind::InSyn
                                | FieldKind::PreVar
                                | FieldKind::PostVar
                        );
                        if !writable {
                            return Err(Problem::Unsupported(format!(
                                "`self.{name}` is assigned, but only state variables \
                                 (#[var], #[pre_var], #[post_var]) and `in_syn` can be written"
                            )));
                        }
                        let t = self.ir(f.ty);
                        TPlace::Field(f, t)
                    }
                };
                match op {
                    Some(BinOp::Shl | BinOp::Shr) => {}
                    Some(BinOp::And | BinOp::Or) | Some(BinOp::Eq | BinOp::Ne) => {
                        return Err(Problem::Unsupported(format!(
                            "compound assignment with `{op:?}`"
                        )))
                    }
                    Some(BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) => {
                        return Err(Problem::Unsupported(format!(
                            "compound assignment with `{op:?}`"
                        )))
                    }
                    _ => self.unify(place.ty(), value.ty, || "assignment".into())?,
                }
                TStmt::Assign { place, op, value }
            }
            Stmt::Expr(e) => TStmt::Expr(self.expr(e)?),
            Stmt::If { cond, then, else_ } => {
                let cond = self.condition(cond, "`if` condition")?;
                let then = self.block(then)?;
                let else_ = else_.map(|b| self.block(b)).transpose()?;
                TStmt::If { cond, then, else_ }
            }
            Stmt::For {
                var,
                start,
                end,
                inclusive,
                body,
            } => {
                let start = self.expr(start)?;
                let end = self.expr(end)?;
                self.unify(start.ty, end.ty, || format!("range of `for {var}`"))?;
                let ty = start.ty;
                self.scopes.push(Vec::new());
                let c_var = self.declare(var, ty);
                let body = self.block(body);
                self.scopes.pop();
                TStmt::For {
                    var: c_var,
                    ty,
                    start,
                    end,
                    inclusive,
                    body: body?,
                }
            }
            Stmt::While { cond, body } => {
                let cond = self.condition(cond, "`while` condition")?;
                TStmt::While {
                    cond,
                    body: self.block(body)?,
                }
            }
            Stmt::Loop(body) => TStmt::Loop(self.block(body)?),
            Stmt::Break => TStmt::Break,
            Stmt::Continue => TStmt::Continue,
            Stmt::Return(value) => {
                let value = value.map(|e| self.expr(e)).transpose()?;
                match (&value, self.ret) {
                    (Some(v), Some(ret)) => {
                        self.unify(v.ty, ret, || "returned value".into())?;
                    }
                    (None, None) => {}
                    (Some(_), None) => {
                        return Err(Problem::Type(
                            "`return` with a value in a method that returns `()`".into(),
                        ))
                    }
                    (None, Some(_)) => {
                        return Err(Problem::Type(
                            "`return` without a value in a method that returns a value".into(),
                        ))
                    }
                }
                TStmt::Return(value)
            }
        })
    }

    fn condition(&mut self, e: &Expr, what: &str) -> Result<TExpr, Problem> {
        let c = self.expr(e)?;
        let b = self.types.known(CType::Bool);
        self.unify(c.ty, b, || what.to_string())?;
        Ok(c)
    }

    fn node(&mut self, kind: EKind, ty: TyVar) -> TExpr {
        TExpr { kind, ty }
    }

    fn expr(&mut self, e: &Expr) -> Result<TExpr, Problem> {
        Ok(match *e {
            Expr::Lit(Lit::Float(digits, suffix)) => {
                let ty = match suffix {
                    Some(t) if t.is_float() => self.ir(t),
                    Some(t) => {
                        return Err(Problem::Type(format!(
                            "float literal `{digits}` with suffix `{}`",
                            t.rust_name()
                        )))
                    }
                    None => self.types.fresh(Class::Float, None),
                };
                self.node(EKind::Float(digits), ty)
            }
            Expr::Lit(Lit::Int(digits, suffix)) => {
                let ty = match suffix {
                    Some(IrType::Bool) => {
                        return Err(Problem::Type(format!(
                            "integer literal `{digits}` with suffix `bool`"
                        )))
                    }
                    Some(t) => self.ir(t),
                    None => self.types.fresh(Class::Int, None),
                };
                self.node(EKind::Int(digits), ty)
            }
            Expr::Lit(Lit::Bool(b)) => {
                let ty = self.types.known(CType::Bool);
                self.node(EKind::Bool(b), ty)
            }
            Expr::Local(name) => {
                let (c, t) = self.lookup(name)?;
                self.node(EKind::Local(c), t)
            }
            Expr::Field(name) => {
                let f = self.field(name)?;
                if f.kind == FieldKind::Egp {
                    return Err(Problem::Type(format!(
                        "`self.{name}` is an extra global parameter array: index it \
                         (`self.{name}[i]`)"
                    )));
                }
                let ty = self.ir(f.ty);
                self.node(EKind::Field(f), ty)
            }
            Expr::Index(base, index) => {
                let Expr::Field(name) = *base else {
                    return Err(Problem::Unsupported(
                        "indexing something other than an extra global parameter".into(),
                    ));
                };
                let f = self.field(name)?;
                if f.kind != FieldKind::Egp {
                    return Err(Problem::Type(format!(
                        "`self.{name}` is indexed but is not an extra global parameter array"
                    )));
                }
                let index = self.expr(index)?;
                let usize_ty = self.types.known(CType::Usize);
                self.unify(index.ty, usize_ty, || format!("index of `self.{name}`"))?;
                let ty = self.ir(f.ty);
                self.node(EKind::Index(f, Box::new(index)), ty)
            }
            Expr::Unary(op, x) => {
                let x = self.expr(x)?;
                let ty = x.ty;
                self.node(EKind::Unary(op, Box::new(x)), ty)
            }
            Expr::Binary(op, a, b) => {
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                let what = || format!("operands of `{}`", op_symbol(op));
                let ty = match op {
                    BinOp::Shl | BinOp::Shr => a.ty,
                    BinOp::And | BinOp::Or => {
                        let t = self.types.known(CType::Bool);
                        self.unify(a.ty, t, what)?;
                        self.unify(b.ty, t, what)?;
                        t
                    }
                    BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                        self.unify(a.ty, b.ty, what)?;
                        self.types.known(CType::Bool)
                    }
                    _ => {
                        self.unify(a.ty, b.ty, what)?;
                        a.ty
                    }
                };
                self.node(EKind::Binary(op, Box::new(a), Box::new(b)), ty)
            }
            Expr::Cast(x, target) => {
                let x = self.expr(x)?;
                let ty = self.ir(target);
                // rustc types a literal operand of `as` by the target when the classes agree.
                let mut lit = &x;
                while let EKind::Unary(UnOp::Neg, inner) = &lit.kind {
                    lit = inner;
                }
                if matches!(lit.kind, EKind::Float(_) | EKind::Int(_)) {
                    let t = CType::from_ir(target, self.precision);
                    self.types.hint(lit.ty, t);
                }
                self.node(EKind::Cast(Box::new(x)), ty)
            }
            Expr::Math(name, args) => {
                let sig = math_sig(name);
                let args = args
                    .iter()
                    .map(|a| self.expr(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let want = match sig {
                    MathSig::Unary | MathSig::Predicate => 1,
                    MathSig::Binary | MathSig::Powi => 2,
                    MathSig::Ternary => 3,
                };
                if args.len() != want {
                    return Err(Problem::Type(format!(
                        "`.{name}()` takes {} argument(s) besides the receiver, got {}",
                        want - 1,
                        args.len().saturating_sub(1)
                    )));
                }
                let recv = args[0].ty;
                let what = || format!("arguments of `.{name}()`");
                match sig {
                    MathSig::Binary | MathSig::Ternary => {
                        for a in &args[1..] {
                            self.unify(recv, a.ty, what)?;
                        }
                    }
                    MathSig::Powi => {
                        let i = self.types.known(CType::I32);
                        self.unify(args[1].ty, i, what)?;
                    }
                    MathSig::Unary | MathSig::Predicate => {}
                }
                let ty = if sig == MathSig::Predicate {
                    self.types.known(CType::Bool)
                } else {
                    recv
                };
                self.node(EKind::Math(name, args), ty)
            }
            Expr::Const(name, ty) => {
                let ty = self.ir(ty);
                self.node(EKind::Const(name), ty)
            }
            Expr::Env(name, args) => {
                let sig = env_sig(name);
                if args.len() != sig.args.len() {
                    return Err(Problem::Type(format!(
                        "`env.{name}()` takes {} argument(s), got {}",
                        sig.args.len(),
                        args.len()
                    )));
                }
                let mut targs = Vec::with_capacity(args.len());
                for (a, want) in args.iter().zip(sig.args) {
                    let a = self.expr(a)?;
                    let what = || format!("argument of `env.{name}()`");
                    match want {
                        EnvArg::Scalar => {
                            let t = self.ir(IrType::Scalar);
                            self.unify(a.ty, t, what)?;
                        }
                        EnvArg::U32 => {
                            let t = self.types.known(CType::U32);
                            self.unify(a.ty, t, what)?;
                        }
                        EnvArg::DelaySteps => {
                            // `impl DelaySteps`: any integer type (an unsuffixed
                            // literal falls back to `i32`, like rustc).
                            let t = self.types.fresh(Class::Int, None);
                            self.unify(a.ty, t, what)?;
                        }
                    }
                    targs.push(a);
                }
                let ty = match sig.returns {
                    Some(t) => self.ir(t),
                    None => self.types.known(CType::Void),
                };
                self.node(EKind::Env(name, targs), ty)
            }
            Expr::If(cond, then, else_) => {
                let cond = self.condition(cond, "`if` condition")?;
                let then = self.block(then)?;
                let else_ = self.block(else_)?;
                let (Some(a), Some(b)) = (&then.tail, &else_.tail) else {
                    return Err(Problem::Type(
                        "an `if` used as a value needs a value in both branches".into(),
                    ));
                };
                let ty = a.ty;
                self.unify(a.ty, b.ty, || "branches of an `if` value".into())?;
                self.node(
                    EKind::If(Box::new(cond), Box::new(then), Box::new(else_)),
                    ty,
                )
            }
        })
    }
}

/// The Rust symbol of a binary operator.
pub(crate) fn op_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Rem => "%",
        BinOp::And => "&&",
        BinOp::Or => "||",
        BinOp::BitAnd => "&",
        BinOp::BitOr => "|",
        BinOp::BitXor => "^",
        BinOp::Shl => "<<",
        BinOp::Shr => ">>",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
    }
}
