//! Printing of literals and named constants so that a C compiler reads back
//! exactly the value rustc gives them.
//!
//! Float literals are parsed from their digits with `str::parse::<f32>` /
//! `<f64>` (correctly rounded, like rustc's own parsing of a literal of that
//! type) and printed as the shortest decimal that round-trips in that type
//! (Rust's `{:?}`), always with a `.` or an exponent, and an `f` suffix for
//! `f32`: `0.04f`, `1e-45f`, `16777216.0f`, `3.4028235e38f`, `0.1`.
//! Infinities and NaN are the prelude macros `SNN_INF_F32`, `SNN_NAN_F32`,
//! `SNN_INF_F64`, `SNN_NAN_F64`.
//!
//! Integer literals: `i32` plain (`42`), `u32`/`usize`/`u8`/`u16` with a `u`
//! suffix (`42u`; arithmetic on `u8`/`u16` is cast back anyway), `i64`/`u64`
//! cast to the prelude typedefs (`((snn_i64)42)`, `((snn_u64)42u)`) since
//! neither `L` nor `LL` suffixes are portable between OpenCL C and CUDA.
//! The most negative values are written `(-2147483647 - 1)` and
//! `(-((snn_i64)9223372036854775807) - 1)`.

use super::types::CType;
use super::Problem;

/// A C literal for an `f32` value (prelude macros for infinities and NaN).
pub fn f32_literal(v: f32) -> String {
    if v.is_nan() {
        "SNN_NAN_F32".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "SNN_INF_F32".into()
        } else {
            "(-SNN_INF_F32)".into()
        }
    } else {
        format!("{}f", decimal(format!("{v:?}")))
    }
}

/// A C literal for an `f64` value (prelude macros for infinities and NaN).
pub fn f64_literal(v: f64) -> String {
    if v.is_nan() {
        "SNN_NAN_F64".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "SNN_INF_F64".into()
        } else {
            "(-SNN_INF_F64)".into()
        }
    } else {
        decimal(format!("{v:?}"))
    }
}

/// Makes sure a number printed by `{:?}` reads as a floating constant in C.
fn decimal(s: String) -> String {
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// The C literal of a float value of type `ty` (`f32` or `f64`), given in `f64`
/// (rounded to `f32` first for `f32`).
pub(crate) fn float_value(v: f64, ty: CType) -> String {
    match ty {
        CType::F32 => f32_literal(v as f32),
        _ => f64_literal(v),
    }
}

/// The C literal of the float literal `digits` of type `ty`.
pub(crate) fn float_literal(digits: &str, ty: CType) -> Result<String, Problem> {
    let bad = || Problem::Unsupported(format!("the float literal `{digits}` cannot be parsed"));
    Ok(match ty {
        CType::F32 => f32_literal(digits.parse::<f32>().map_err(|_| bad())?),
        CType::F64 => f64_literal(digits.parse::<f64>().map_err(|_| bad())?),
        other => {
            return Err(Problem::Type(format!(
                "float literal `{digits}` used as `{}`",
                other.rust_name()
            )))
        }
    })
}

/// The largest value of an integer type (kernels: `usize` is 32-bit).
pub(crate) fn int_max(ty: CType) -> u128 {
    match ty {
        CType::I32 => i32::MAX as u128,
        CType::U32 | CType::Usize => u32::MAX as u128,
        CType::I64 => i64::MAX as u128,
        CType::U64 => u64::MAX as u128,
        CType::U8 => u8::MAX as u128,
        CType::U16 => u16::MAX as u128,
        _ => 0,
    }
}

/// The C literal of the non-negative integer `value` of integer type `ty`.
pub(crate) fn int_value(value: u128, ty: CType) -> Result<String, Problem> {
    if value > int_max(ty) {
        return Err(Problem::Type(format!(
            "the literal `{value}` does not fit in `{}`",
            ty.rust_name()
        )));
    }
    Ok(match ty {
        CType::I32 => format!("{value}"),
        CType::U32 | CType::Usize | CType::U8 | CType::U16 => format!("{value}u"),
        CType::I64 => format!("((snn_i64){value})"),
        CType::U64 => format!("((snn_u64){value}u)"),
        other => {
            return Err(Problem::Type(format!(
                "integer literal `{value}` used as `{}`",
                other.rust_name()
            )))
        }
    })
}

/// The C literal of the integer literal `digits` of type `ty` (a float type
/// is allowed too: `1f32` is an integer token with a float suffix).
pub(crate) fn int_literal(digits: &str, ty: CType) -> Result<String, Problem> {
    if ty.is_float() {
        return float_literal(digits, ty);
    }
    let value: u128 = digits.parse().map_err(|_| {
        Problem::Unsupported(format!("the integer literal `{digits}` is too large"))
    })?;
    int_value(value, ty)
}

/// `-(digits)` for a signed integer type when `digits` is the magnitude of
/// the type's minimum, which has no positive literal: `(-2147483647 - 1)`.
pub(crate) fn negated_min(digits: &str, ty: CType) -> Option<String> {
    let value: u128 = digits.parse().ok()?;
    match ty {
        CType::I32 if value == 1 << 31 => Some(int_min(ty)),
        CType::I64 if value == 1 << 63 => Some(int_min(ty)),
        _ => None,
    }
}

/// The smallest value of an integer type, as C.
pub(crate) fn int_min(ty: CType) -> String {
    match ty {
        CType::I32 => "(-2147483647 - 1)".into(),
        CType::I64 => "(-((snn_i64)9223372036854775807) - 1)".into(),
        CType::U64 => "((snn_u64)0u)".into(),
        _ => "0u".into(),
    }
}

/// A named constant (`Expr::Const`) of type `ty` as C, or `None` if the name
/// is unknown for the type.
pub(crate) fn constant(name: &str, ty: CType) -> Option<String> {
    macro_rules! float_consts {
        ($t:ident, $lit:ident) => {{
            use std::$t::consts as c;
            let v: $t = match name {
                "PI" => c::PI,
                "TAU" => c::TAU,
                "E" => c::E,
                "SQRT_2" => c::SQRT_2,
                "FRAC_1_SQRT_2" => c::FRAC_1_SQRT_2,
                "LN_2" => c::LN_2,
                "LN_10" => c::LN_10,
                "LOG2_E" => c::LOG2_E,
                "LOG2_10" => c::LOG2_10,
                "LOG10_E" => c::LOG10_E,
                "LOG10_2" => c::LOG10_2,
                "FRAC_PI_2" => c::FRAC_PI_2,
                "FRAC_PI_3" => c::FRAC_PI_3,
                "FRAC_PI_4" => c::FRAC_PI_4,
                "FRAC_PI_6" => c::FRAC_PI_6,
                "FRAC_PI_8" => c::FRAC_PI_8,
                "FRAC_1_PI" => c::FRAC_1_PI,
                "FRAC_2_PI" => c::FRAC_2_PI,
                "FRAC_2_SQRT_PI" => c::FRAC_2_SQRT_PI,
                "INFINITY" => $t::INFINITY,
                "NEG_INFINITY" => $t::NEG_INFINITY,
                "NAN" => $t::NAN,
                "MAX" => $t::MAX,
                "MIN" => $t::MIN,
                "MIN_POSITIVE" => $t::MIN_POSITIVE,
                "EPSILON" => $t::EPSILON,
                _ => return None,
            };
            Some($lit(v))
        }};
    }
    match ty {
        CType::F32 => float_consts!(f32, f32_literal),
        CType::F64 => float_consts!(f64, f64_literal),
        t if t.is_int() => match name {
            "MAX" => int_value(int_max(t), t).ok(),
            "MIN" => Some(int_min(t)),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_literals_are_shortest_round_trips() {
        assert_eq!(float_literal("0.1", CType::F32).unwrap(), "0.1f");
        assert_eq!(float_literal("0.04", CType::F32).unwrap(), "0.04f");
        assert_eq!(float_literal("1e-3", CType::F32).unwrap(), "0.001f");
        assert_eq!(float_literal("30.0", CType::F32).unwrap(), "30.0f");
        assert_eq!(float_literal("1", CType::F32).unwrap(), "1.0f");
        // 2^24 + 1 is not an f32: rounds (to even) to 2^24.
        assert_eq!(
            float_literal("16777217.0", CType::F32).unwrap(),
            "16777216.0f"
        );
        // Smallest subnormal, and something below half of it.
        assert_eq!(float_literal("1e-45", CType::F32).unwrap(), "1e-45f");
        assert_eq!(float_literal("1e-46", CType::F32).unwrap(), "0.0f");
        assert_eq!(
            float_literal("3.4028235e38", CType::F32).unwrap(),
            "3.4028235e38f"
        );
        assert_eq!(float_literal("1e39", CType::F32).unwrap(), "SNN_INF_F32");
        for digits in [
            "0.1",
            "0.04",
            "1e-45",
            "3.4028235e38",
            "16777217.0",
            "2.5e4",
        ] {
            let want: f32 = digits.parse().unwrap();
            let printed = float_literal(digits, CType::F32).unwrap();
            let back: f32 = printed.trim_end_matches('f').parse().unwrap();
            assert_eq!(back.to_bits(), want.to_bits(), "{digits} -> {printed}");
        }
    }

    #[test]
    fn f64_literals_are_shortest_round_trips() {
        assert_eq!(float_literal("0.1", CType::F64).unwrap(), "0.1");
        assert_eq!(float_literal("1", CType::F64).unwrap(), "1.0");
        assert_eq!(
            float_literal("16777217.0", CType::F64).unwrap(),
            "16777217.0"
        );
        assert_eq!(float_literal("5e-324", CType::F64).unwrap(), "5e-324");
        assert_eq!(
            float_literal("1.7976931348623157e308", CType::F64).unwrap(),
            "1.7976931348623157e308"
        );
        assert_eq!(float_literal("1e400", CType::F64).unwrap(), "SNN_INF_F64");
        // More digits than needed are shortened to the shortest round trip.
        assert_eq!(
            float_literal("0.1000000000000000055511151231257827", CType::F64).unwrap(),
            "0.1"
        );
    }

    #[test]
    fn float_literal_of_non_float_type_is_an_error() {
        assert!(float_literal("1.0", CType::I32).is_err());
    }

    #[test]
    fn integer_literals() {
        assert_eq!(int_literal("42", CType::I32).unwrap(), "42");
        assert_eq!(int_literal("42", CType::U32).unwrap(), "42u");
        assert_eq!(int_literal("255", CType::U8).unwrap(), "255u");
        assert!(int_literal("256", CType::U8).is_err());
        assert!(int_literal("2147483648", CType::I32).is_err());
        assert_eq!(int_literal("42", CType::I64).unwrap(), "((snn_i64)42)");
        assert_eq!(
            int_literal("18446744073709551615", CType::U64).unwrap(),
            "((snn_u64)18446744073709551615u)"
        );
        assert_eq!(int_literal("3", CType::F32).unwrap(), "3.0f");
        assert_eq!(
            negated_min("2147483648", CType::I32).unwrap(),
            "(-2147483647 - 1)"
        );
        assert_eq!(negated_min("2147483647", CType::I32), None);
    }

    #[test]
    fn constants() {
        assert_eq!(constant("PI", CType::F32).unwrap(), "3.1415927f");
        assert_eq!(constant("PI", CType::F64).unwrap(), "3.141592653589793");
        assert_eq!(constant("INFINITY", CType::F32).unwrap(), "SNN_INF_F32");
        assert_eq!(
            constant("NEG_INFINITY", CType::F64).unwrap(),
            "(-SNN_INF_F64)"
        );
        assert_eq!(constant("NAN", CType::F32).unwrap(), "SNN_NAN_F32");
        assert_eq!(constant("MAX", CType::F32).unwrap(), "3.4028235e38f");
        assert_eq!(constant("MIN", CType::F32).unwrap(), "-3.4028235e38f");
        assert_eq!(
            constant("MIN_POSITIVE", CType::F32).unwrap(),
            "1.1754944e-38f"
        );
        assert_eq!(
            constant("EPSILON", CType::F64).unwrap(),
            "2.220446049250313e-16"
        );
        assert_eq!(constant("MAX", CType::U8).unwrap(), "255u");
        assert_eq!(constant("MIN", CType::I32).unwrap(), "(-2147483647 - 1)");
        assert_eq!(constant("MAX", CType::Usize).unwrap(), "4294967295u");
        assert_eq!(constant("NOPE", CType::F32), None);
        assert_eq!(constant("PI", CType::I32), None);
    }
}
