//! Distances in units in the last place, for the tests of the math
//! library's error bounds.

/// Units in the last place between `got` and `want`, in the
/// representation's integer order: 0 for two NaNs, `u64::MAX` for a NaN
/// and a number.
pub(crate) fn ulps64(got: f64, want: f64) -> u64 {
    if got == want || (got.is_nan() && want.is_nan()) {
        return 0;
    }
    if got.is_nan() || want.is_nan() {
        return u64::MAX;
    }
    let key = |x: f64| {
        let b = x.to_bits() as i64;
        if b < 0 {
            i64::MIN - b
        } else {
            b
        }
    };
    key(got).abs_diff(key(want))
}

/// [`ulps64`] for `f32`.
pub(crate) fn ulps32(got: f32, want: f32) -> u64 {
    if got == want || (got.is_nan() && want.is_nan()) {
        return 0;
    }
    if got.is_nan() || want.is_nan() {
        return u64::MAX;
    }
    let key = |x: f32| {
        let b = x.to_bits() as i32;
        if b < 0 {
            i32::MIN - b
        } else {
            b
        }
    };
    key(got).abs_diff(key(want)) as u64
}
