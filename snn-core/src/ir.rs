//! The translatable subset of Rust, as a small typed-later IR.
//!
//! The model macros parse each model method body (ordinary Rust, also compiled
//! natively for the CPU backend) into this IR at compile time, rejecting
//! anything outside the subset with a spanned compile error. The GPU kernel
//! generator prints the IR as C; it knows the field types from the model's
//! [`FieldDesc`](crate::model::FieldDesc)s and the network's precision, so
//! literals get the right suffix and locals the right C type.
//!
//! Everything is `'static` so the macros can emit the IR as constants.
//!
//! The subset: `let` (with or without a type), assignment and compound
//! assignment to locals and `self` fields, arithmetic, comparisons, logic,
//! bit operations, `as` casts between numeric types, `if`/`else` (statements
//! and expressions), `for i in a..b` / `a..=b`, `while`, `loop`, `break`,
//! `continue`, `return`, float methods (`exp`, `ln`, `powf`, `max`, ...),
//! float constants (`Scalar::consts::PI`, `f32::INFINITY`, ...), indexing of
//! extra-global-parameter arrays, and calls on the environment parameter
//! (`env.dt()`, `env.add_to_post(x)`, `env.rand_uniform()`, ...).
//!
//! The names of the DSL (methods, environment calls, float methods) are the
//! enums of [`crate::dsl`].

use crate::dsl::{EnvCall, MathFn, Method};

/// A type in model code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IrType {
    /// The network's precision (`float` or `double` in C).
    Scalar,
    /// `f32` / `float`.
    F32,
    /// `f64` / `double`.
    F64,
    /// `i32` / `int`.
    I32,
    /// `u32` / `unsigned int`.
    U32,
    /// `i64` / `long long`.
    I64,
    /// `u64` / `unsigned long long`.
    U64,
    /// `u8` / `unsigned char`.
    U8,
    /// `u16` / `unsigned short`.
    U16,
    /// `usize` (index arithmetic; `unsigned int` in kernels).
    Usize,
    /// `bool`.
    Bool,
}

impl IrType {
    /// Parses a Rust type name of the subset (`Scalar`, `f32`, `u8`, ...).
    pub fn from_rust_name(name: &str) -> Option<IrType> {
        Some(match name {
            "Scalar" => IrType::Scalar,
            "f32" => IrType::F32,
            "f64" => IrType::F64,
            "i32" => IrType::I32,
            "u32" => IrType::U32,
            "i64" => IrType::I64,
            "u64" => IrType::U64,
            "u8" => IrType::U8,
            "u16" => IrType::U16,
            "usize" => IrType::Usize,
            "bool" => IrType::Bool,
            _ => return None,
        })
    }

    /// The Rust spelling of this type.
    pub fn rust_name(self) -> &'static str {
        match self {
            IrType::Scalar => "Scalar",
            IrType::F32 => "f32",
            IrType::F64 => "f64",
            IrType::I32 => "i32",
            IrType::U32 => "u32",
            IrType::I64 => "i64",
            IrType::U64 => "u64",
            IrType::U8 => "u8",
            IrType::U16 => "u16",
            IrType::Usize => "usize",
            IrType::Bool => "bool",
        }
    }

    /// True for `Scalar`, `f32` and `f64`.
    pub fn is_float(self) -> bool {
        matches!(self, IrType::Scalar | IrType::F32 | IrType::F64)
    }
}

/// A literal, kept as written so every backend parses it exactly like rustc.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lit {
    /// A float literal: its digits without suffix (`"0.04"`, `"1e-3"`) and its
    /// suffix type if any (`0.5f32` -> `Some(F32)`).
    Float(&'static str, Option<IrType>),
    /// An integer literal: its digits without suffix and its suffix type if any.
    Int(&'static str, Option<IrType>),
    /// `true` / `false`.
    Bool(bool),
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `!x`
    Not,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    /// `^`
    BitXor,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// An expression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Expr {
    /// A literal.
    Lit(Lit),
    /// A local variable (a `let` binding or a loop variable).
    Local(&'static str),
    /// A field of the model: `self.name` (parameter, derived parameter,
    /// state variable, extra global parameter or referenced neuron variable).
    Field(&'static str),
    /// Indexing an extra-global-parameter array: `self.name[index]`.
    Index(&'static Expr, &'static Expr),
    /// A unary operation.
    Unary(UnOp, &'static Expr),
    /// A binary operation.
    Binary(BinOp, &'static Expr, &'static Expr),
    /// `expr as Type`.
    Cast(&'static Expr, IrType),
    /// A method on a number, receiver first: `x.powf(y)` is
    /// `Math(MathFn::Powf, [x, y])`.
    Math(MathFn, &'static [Expr]),
    /// A numeric constant: `("PI", Scalar)` for `Scalar::consts::PI`,
    /// `("INFINITY", F32)` for `f32::INFINITY`. Names are Rust's.
    Const(&'static str, IrType),
    /// A call on the environment parameter: `env.add_to_post(x)` is
    /// `Env(EnvCall::AddToPost, [x])`.
    Env(EnvCall, &'static [Expr]),
    /// `if cond { a } else { b }` used as a value.
    If(&'static Expr, &'static Block, &'static Block),
}

/// An assignable place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Place {
    /// A local variable.
    Local(&'static str),
    /// A model field (`self.name`); only state variables may be written.
    Field(&'static str),
}

/// A statement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stmt {
    /// `let name[: ty] [= init];`
    Let {
        /// Binding name.
        name: &'static str,
        /// Declared type, if written.
        ty: Option<IrType>,
        /// Initialiser, if any.
        init: Option<&'static Expr>,
    },
    /// `place = value;` or `place op= value;`
    Assign {
        /// What is assigned.
        place: Place,
        /// `Some(op)` for compound assignment (`+=` is `Some(Add)`).
        op: Option<BinOp>,
        /// The assigned value.
        value: &'static Expr,
    },
    /// An expression evaluated for its effect (usually an environment call).
    Expr(&'static Expr),
    /// `if cond { then } else { else_ }` as a statement (`else if` nests).
    If {
        /// Condition.
        cond: &'static Expr,
        /// Then branch.
        then: &'static Block,
        /// Else branch, if any.
        else_: Option<&'static Block>,
    },
    /// `for var in start..end { body }` (or `..=` when `inclusive`).
    For {
        /// Loop variable.
        var: &'static str,
        /// Start of the range.
        start: &'static Expr,
        /// End of the range.
        end: &'static Expr,
        /// True for `start..=end`.
        inclusive: bool,
        /// Loop body.
        body: &'static Block,
    },
    /// `while cond { body }`
    While {
        /// Condition.
        cond: &'static Expr,
        /// Loop body.
        body: &'static Block,
    },
    /// `loop { body }`
    Loop(&'static Block),
    /// `break;`
    Break,
    /// `continue;`
    Continue,
    /// `return [value];`
    Return(Option<&'static Expr>),
}

/// A block: statements and an optional tail expression (the block's value).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Block {
    /// The statements in order.
    pub stmts: &'static [Stmt],
    /// The value of the block, if it has one (e.g. `threshold`'s `bool`).
    pub tail: Option<&'static Expr>,
}

/// One translated model method.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MethodIr {
    /// Which method (`sim`, `threshold`, `on_pre_spike`, ...).
    pub method: Method,
    /// The body.
    pub body: Block,
    /// The `self` fields the body assigns to.
    pub writes: &'static [&'static str],
}

impl Expr {
    /// Calls `f` on this expression and every sub-expression (pre-order).
    pub fn visit(&'static self, f: &mut dyn FnMut(&'static Expr)) {
        f(self);
        match self {
            Expr::Lit(_) | Expr::Local(_) | Expr::Field(_) | Expr::Const(..) => {}
            Expr::Index(a, b) | Expr::Binary(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            Expr::Unary(_, a) | Expr::Cast(a, _) => a.visit(f),
            Expr::Math(_, args) | Expr::Env(_, args) => args.iter().for_each(|a| a.visit(f)),
            Expr::If(c, a, b) => {
                c.visit(f);
                a.visit(f);
                b.visit(f);
            }
        }
    }
}

impl Block {
    /// Calls `f` on every expression in the block, nested blocks included.
    pub fn visit(&'static self, f: &mut dyn FnMut(&'static Expr)) {
        for s in self.stmts {
            match s {
                Stmt::Let { init, .. } => {
                    if let Some(e) = init {
                        e.visit(f)
                    }
                }
                Stmt::Assign { value, .. } => value.visit(f),
                Stmt::Expr(e) => e.visit(f),
                Stmt::If { cond, then, else_ } => {
                    cond.visit(f);
                    then.visit(f);
                    if let Some(b) = else_ {
                        b.visit(f);
                    }
                }
                Stmt::For {
                    start, end, body, ..
                } => {
                    start.visit(f);
                    end.visit(f);
                    body.visit(f);
                }
                Stmt::While { cond, body } => {
                    cond.visit(f);
                    body.visit(f);
                }
                Stmt::Loop(body) => body.visit(f),
                Stmt::Break | Stmt::Continue => {}
                Stmt::Return(e) => {
                    if let Some(e) = e {
                        e.visit(f)
                    }
                }
            }
        }
        if let Some(e) = self.tail {
            e.visit(f);
        }
    }
}

impl MethodIr {
    /// True when the body makes environment call `call` anywhere.
    pub fn uses_env(&'static self, call: EnvCall) -> bool {
        self.uses_env_where(|c| c == call)
    }

    /// True when the body makes an environment call for which `pred` holds.
    pub fn uses_env_where(&'static self, mut pred: impl FnMut(EnvCall) -> bool) -> bool {
        let mut found = false;
        self.body.visit(&mut |e| {
            if let Expr::Env(c, _) = e {
                found |= pred(*c);
            }
        });
        found
    }

    /// True when the body makes random draws ([`EnvCall::is_random`]).
    pub fn draws(&'static self) -> bool {
        self.uses_env_where(EnvCall::is_random)
    }
}
