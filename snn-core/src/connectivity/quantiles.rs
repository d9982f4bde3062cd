//! Quantiles of the binomial distribution: the analytical upper bounds of
//! row and column lengths (the GPU backends' ragged strides).

/// Above this variance `n p (1 - p)`, [`binomial_upper_quantile`] uses a
/// normal approximation instead of summing probabilities (the exact sum takes
/// about ten standard deviations of steps).
const EXACT_QUANTILE_MAX_VARIANCE: f64 = 1e10;

/// Inverse CDF of `Binomial(n, p)`: the smallest `k` with `P(X <= k) >= q`.
///
/// Computed as [`binomial_upper_quantile`]`(1 - q, n, p)`; for `q` very close
/// to 1 call that directly with an accurately computed `1 - q`.
pub fn binomial_inverse_cdf(q: f64, n: u64, p: f64) -> u64 {
    binomial_upper_quantile(1.0 - q, n, p)
}

/// The smallest `k` with `P(X > k) <= alpha` for `X ~ Binomial(n, p)`.
///
/// Method: when the variance `n p (1 - p)` is at most 1e10, exact summation:
/// the probability at the mode comes from Loader's saddle-point formula (as R's
/// `dbinom`, accurate for any `n`), the others by the ratio recurrence in log
/// space; probabilities are summed from the right tail, whose remainder beyond
/// the last term is bounded by a geometric series and counted in full, so any
/// rounding makes the result larger (a safe bound), never smaller. Beyond
/// that variance: a normal approximation with continuity and Cornish-Fisher
/// skewness corrections plus a margin of `1e-4 sd + 16`, which exceeds the
/// neglected terms (of order `1 / sd` there) by far.
///
/// `p` outside `(0, 1)` is clamped; `alpha >= 1` gives 0, `alpha <= 0` gives `n`.
pub fn binomial_upper_quantile(alpha: f64, n: u64, p: f64) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 || alpha >= 1.0 {
        return 0;
    }
    if p >= 1.0 || alpha <= 0.0 || alpha.is_nan() {
        return n;
    }
    let q = 1.0 - p;
    if n as f64 * p * q > EXACT_QUANTILE_MAX_VARIANCE {
        binomial_upper_quantile_normal(alpha, n, p)
    } else {
        binomial_upper_quantile_exact(alpha, n, p)
    }
}

/// Exact-summation branch of [`binomial_upper_quantile`] (`0 < p < 1`, `0 < alpha < 1`).
pub(super) fn binomial_upper_quantile_exact(alpha: f64, n: u64, p: f64) -> u64 {
    let ln_p = p.ln();
    let ln_q = (-p).ln_1p();
    let ln_odds = ln_p - ln_q;
    let mode = (((n as f64 + 1.0) * p).floor() as u64).min(n);
    let ln_pmf_mode = ln_binomial_pmf(mode, n, p);

    // Walk right from the mode, keeping pmf(mode..=last).
    let mut pmf = Vec::new();
    let mut ln_pmf = ln_pmf_mode;
    let mut j = mode;
    let remainder = loop {
        pmf.push(ln_pmf.exp());
        if j == n {
            break 0.0;
        }
        // pmf(j + 1) / pmf(j), at most 1 right of the mode and decreasing.
        let ln_ratio = ((n - j) as f64 / (j + 1) as f64).ln() + ln_odds;
        let ratio = ln_ratio.exp();
        if ratio < 1.0 {
            // P(X > j) <= pmf(j) * ratio / (1 - ratio).
            let bound = ln_pmf.exp() * ratio / (1.0 - ratio);
            if bound <= alpha * 1e-3 {
                break bound;
            }
        }
        ln_pmf += ln_ratio;
        j += 1;
    };

    // tail = P(X > k), from k = last down.
    let mut k = j;
    let mut tail = remainder;
    while k > mode {
        let t = tail + pmf[(k - mode) as usize];
        if t > alpha {
            return k;
        }
        tail = t;
        k -= 1;
    }
    // Left of the mode (only for large alpha).
    let mut ln_pmf = ln_pmf_mode;
    while k > 0 {
        let t = tail + ln_pmf.exp();
        if t > alpha {
            return k;
        }
        tail = t;
        ln_pmf += (k as f64 / (n - k + 1) as f64).ln() - ln_odds;
        k -= 1;
    }
    0
}

/// Normal-approximation branch of [`binomial_upper_quantile`], for large variance.
pub(super) fn binomial_upper_quantile_normal(alpha: f64, n: u64, p: f64) -> u64 {
    let mean = n as f64 * p;
    let sd = (mean * (1.0 - p)).sqrt();
    let z = normal_upper_quantile(alpha);
    let skew = (1.0 - 2.0 * p) / sd;
    let z_cf = z + (z * z - 1.0) * skew / 6.0;
    let k = (mean + z_cf * sd + 0.5 + 1e-4 * sd + 16.0).ceil();
    if k >= n as f64 {
        n
    } else {
        k.max(0.0) as u64
    }
}

/// `z` with `P(Z > z) = alpha` for a standard normal `Z` (Acklam's rational
/// approximation, relative error below 1.2e-9).
fn normal_upper_quantile(alpha: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    // Lower-tail quantile of probability `x`, for x <= 0.5.
    let lower = |x: f64| -> f64 {
        if x < 0.02425 {
            let r = (-2.0 * x.ln()).sqrt();
            (((((C[0] * r + C[1]) * r + C[2]) * r + C[3]) * r + C[4]) * r + C[5])
                / ((((D[0] * r + D[1]) * r + D[2]) * r + D[3]) * r + 1.0)
        } else {
            let r = x - 0.5;
            let s = r * r;
            (((((A[0] * s + A[1]) * s + A[2]) * s + A[3]) * s + A[4]) * s + A[5]) * r
                / (((((B[0] * s + B[1]) * s + B[2]) * s + B[3]) * s + B[4]) * s + 1.0)
        }
    };
    if alpha <= 0.5 {
        -lower(alpha)
    } else {
        lower(1.0 - alpha)
    }
}

/// `ln P(X = k)` for `X ~ Binomial(n, p)`, `0 < p < 1`, by Loader's
/// saddle-point formula (Loader 2000, "Fast and accurate computation of
/// binomial probabilities"), accurate to near machine precision for any `n`.
pub(super) fn ln_binomial_pmf(k: u64, n: u64, p: f64) -> f64 {
    let q = 1.0 - p;
    if k == 0 {
        return n as f64 * (-p).ln_1p();
    }
    if k == n {
        return n as f64 * p.ln();
    }
    let (nf, kf) = (n as f64, k as f64);
    let rest = nf - kf;
    let ln_core = stirling_error(nf)
        - stirling_error(kf)
        - stirling_error(rest)
        - deviance(kf, nf * p)
        - deviance(rest, nf * q);
    ln_core + 0.5 * (nf / (2.0 * std::f64::consts::PI * kf * rest)).ln()
}

/// Stirling's error `ln(x!) - ((x + 1/2) ln x - x + ln(2 pi) / 2)` for a
/// positive integer `x`.
fn stirling_error(x: f64) -> f64 {
    if x <= 15.0 {
        let ln_fact: f64 = (2..=x as u64).map(|i| (i as f64).ln()).sum();
        ln_fact - ((x + 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln())
    } else {
        let x2 = x * x;
        (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - 1.0 / (1680.0 * x2)) / x2) / x2) / x
    }
}

/// Loader's deviance term `x ln(x / m) + m - x`, computed stably when `x` is near `m`.
fn deviance(x: f64, m: f64) -> f64 {
    if (x - m).abs() < 0.1 * (x + m) {
        let v = (x - m) / (x + m);
        let mut sum = (x - m) * v;
        let mut ej = 2.0 * x * v;
        let v2 = v * v;
        for j in 1..1000 {
            ej *= v2;
            let next = sum + ej / (2 * j + 1) as f64;
            if next == sum {
                break;
            }
            sum = next;
        }
        sum
    } else {
        x * (x / m).ln() + m - x
    }
}
