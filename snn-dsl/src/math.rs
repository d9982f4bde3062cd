//! The float methods model code may call.

named_enum! {
    /// A method on a number that model code may call (`x.exp()`,
    /// `x.powf(y)`, ...), by its Rust name; the semantics are Rust's. Its
    /// arguments besides the receiver: [`MathFn::arity`].
    pub enum MathFn {
        /// `x.exp()`
        Exp = "exp",
        /// `x.exp2()`
        Exp2 = "exp2",
        /// `x.exp_m1()`
        ExpM1 = "exp_m1",
        /// `x.ln()`
        Ln = "ln",
        /// `x.log10()`
        Log10 = "log10",
        /// `x.log2()`
        Log2 = "log2",
        /// `x.ln_1p()`
        Ln1p = "ln_1p",
        /// `x.sqrt()`
        Sqrt = "sqrt",
        /// `x.cbrt()`
        Cbrt = "cbrt",
        /// `x.powf(y)`
        Powf = "powf",
        /// `x.powi(n)`, `n: i32`
        Powi = "powi",
        /// `x.abs()` (floats and signed integers)
        Abs = "abs",
        /// `x.signum()` (floats and signed integers)
        Signum = "signum",
        /// `x.min(y)` (floats and integers)
        Min = "min",
        /// `x.max(y)` (floats and integers)
        Max = "max",
        /// `x.clamp(lo, hi)` (floats and integers)
        Clamp = "clamp",
        /// `x.sin()`
        Sin = "sin",
        /// `x.cos()`
        Cos = "cos",
        /// `x.tan()`
        Tan = "tan",
        /// `x.asin()`
        Asin = "asin",
        /// `x.acos()`
        Acos = "acos",
        /// `x.atan()`
        Atan = "atan",
        /// `y.atan2(x)`
        Atan2 = "atan2",
        /// `x.sinh()`
        Sinh = "sinh",
        /// `x.cosh()`
        Cosh = "cosh",
        /// `x.tanh()`
        Tanh = "tanh",
        /// `x.floor()`
        Floor = "floor",
        /// `x.ceil()`
        Ceil = "ceil",
        /// `x.round()`
        Round = "round",
        /// `x.trunc()`
        Trunc = "trunc",
        /// `x.fract()`
        Fract = "fract",
        /// `x.mul_add(a, b)`: `x * a + b`, rounded once
        MulAdd = "mul_add",
        /// `x.hypot(y)`
        Hypot = "hypot",
        /// `x.recip()`
        Recip = "recip",
        /// `x.is_nan()`
        IsNan = "is_nan",
        /// `x.is_finite()`
        IsFinite = "is_finite",
        /// `x.to_degrees()`
        ToDegrees = "to_degrees",
        /// `x.to_radians()`
        ToRadians = "to_radians",
    }
}

impl MathFn {
    /// The number of arguments besides the receiver (`x.powf(y)`: 1). The
    /// IR holds the receiver first, then these.
    pub const fn arity(self) -> usize {
        match self {
            MathFn::Powf
            | MathFn::Powi
            | MathFn::Min
            | MathFn::Max
            | MathFn::Atan2
            | MathFn::Hypot => 1,
            MathFn::Clamp | MathFn::MulAdd => 2,
            MathFn::Exp
            | MathFn::Exp2
            | MathFn::ExpM1
            | MathFn::Ln
            | MathFn::Log10
            | MathFn::Log2
            | MathFn::Ln1p
            | MathFn::Sqrt
            | MathFn::Cbrt
            | MathFn::Abs
            | MathFn::Signum
            | MathFn::Sin
            | MathFn::Cos
            | MathFn::Tan
            | MathFn::Asin
            | MathFn::Acos
            | MathFn::Atan
            | MathFn::Sinh
            | MathFn::Cosh
            | MathFn::Tanh
            | MathFn::Floor
            | MathFn::Ceil
            | MathFn::Round
            | MathFn::Trunc
            | MathFn::Fract
            | MathFn::Recip
            | MathFn::IsNan
            | MathFn::IsFinite
            | MathFn::ToDegrees
            | MathFn::ToRadians => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &f in MathFn::ALL {
            assert_eq!(MathFn::from_name(f.name()), Some(f));
            assert_eq!(f.to_string(), f.name());
        }
        assert_eq!(MathFn::from_name("log"), None);
        assert_eq!(MathFn::from_name("Exp"), None);
        assert_eq!(MathFn::ALL.len(), 38);
    }

    #[test]
    fn arities() {
        let with = |n: usize| -> Vec<&str> {
            MathFn::ALL
                .iter()
                .filter(|f| f.arity() == n)
                .map(|f| f.name())
                .collect()
        };
        assert_eq!(with(1), ["powf", "powi", "min", "max", "atan2", "hypot"]);
        assert_eq!(with(2), ["clamp", "mul_add"]);
        assert_eq!(with(0).len(), 30);
    }
}
