//! Unit tests of `connectivity`.

use super::quantiles::{
    binomial_upper_quantile_exact, binomial_upper_quantile_normal, ln_binomial_pmf,
};
use super::*;
use proptest::prelude::*;

const SEED: u64 = 0x5EED_1234_ABCD;

fn build(c: &Connectivity, pre: u32, post: u32, same: bool, seed: u64) -> SparseConnectivity {
    let sc = c.build(pre, post, same, seed, 7).unwrap();
    sc.check().unwrap();
    sc
}

/// Exact pmf of Binomial(n, p) for small n (product formula).
fn exact_pmf(n: u64, p: f64) -> Vec<f64> {
    let mut coef = 1.0f64;
    (0..=n)
        .map(|k| {
            if k > 0 {
                coef = coef * (n - k + 1) as f64 / k as f64;
            }
            coef * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32)
        })
        .collect()
}

/// Smallest k with P(X > k) <= alpha, by summing the exact tail from the top.
fn exact_upper_quantile(alpha: f64, n: u64, p: f64) -> (u64, Vec<f64>) {
    let pmf = exact_pmf(n, p);
    let mut tails = vec![0.0; n as usize + 1];
    for k in (0..n as usize).rev() {
        tails[k] = tails[k + 1] + pmf[k + 1];
    }
    let k = (0..=n).find(|&k| tails[k as usize] <= alpha).unwrap();
    (k, tails)
}

#[test]
fn pmf_matches_exact_small_cases() {
    for n in [1u64, 2, 5, 17, 40] {
        for p in [0.01, 0.3, 0.5, 0.77] {
            let exact = exact_pmf(n, p);
            for k in 0..=n {
                let got = ln_binomial_pmf(k, n, p).exp();
                let want = exact[k as usize];
                assert!(
                    (got - want).abs() <= 1e-12 * want,
                    "n={n} p={p} k={k}: {got} vs {want}"
                );
            }
        }
    }
    // Large n: pmf at the mode ~ 1 / sqrt(2 pi n p q).
    let n = 1_000_000_000u64;
    let v = ln_binomial_pmf(n / 2, n, 0.5).exp();
    let approx = 1.0 / (2.0 * std::f64::consts::PI * n as f64 * 0.25).sqrt();
    assert!((v / approx - 1.0).abs() < 1e-8);
}

#[test]
fn quantile_matches_exact_small_cases() {
    for n in [0u64, 1, 2, 3, 5, 10, 30, 60] {
        for p in [0.0, 1e-6, 0.01, 0.1, 0.3, 0.5, 0.9, 0.999, 1.0] {
            for alpha in [0.9, 0.5, 0.1, 1e-2, 1e-4, 1e-8, 1e-12] {
                let got = binomial_upper_quantile(alpha, n, p);
                let want = if n == 0 || p == 0.0 {
                    0
                } else if p == 1.0 {
                    n
                } else {
                    let (k, tails) = exact_upper_quantile(alpha, n, p);
                    // The remainder bound may over-count the tail by
                    // alpha * 1e-3: one more is allowed only at a near-tie.
                    if got == k + 1 {
                        assert!(tails[k as usize] > alpha * (1.0 - 2e-3));
                        got
                    } else {
                        k
                    }
                };
                assert_eq!(got, want, "n={n} p={p} alpha={alpha}");
            }
        }
    }
    // Inverse CDF form.
    assert_eq!(binomial_inverse_cdf(0.5, 10, 0.5), 5);
    assert_eq!(binomial_inverse_cdf(0.0, 10, 0.5), 0);
    assert_eq!(binomial_inverse_cdf(1.0, 10, 0.5), 10);
    // P(X <= 0) = 0.5^10 ~ 0.00098 >= 0.0009.
    assert_eq!(binomial_inverse_cdf(0.0009, 10, 0.5), 0);
    assert_eq!(binomial_inverse_cdf(0.001, 10, 0.5), 1);
}

#[test]
fn quantile_normal_branch_is_a_close_upper_bound() {
    // Variances below the switch, so the exact branch is the reference.
    for (n, p) in [
        (4_000_000_000u64, 0.5),
        (1_000_000_000_000, 1e-3),
        (100_000_000, 0.9),
    ] {
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        for alpha in [1e-4, 1e-10, 1e-14] {
            let exact = binomial_upper_quantile_exact(alpha, n, p);
            let normal = binomial_upper_quantile_normal(alpha, n, p);
            assert!(normal >= exact, "n={n} p={p} alpha={alpha}");
            assert!(
                (normal - exact) as f64 <= 2e-4 * sd + 20.0,
                "n={n} p={p} alpha={alpha}: {normal} vs {exact}"
            );
        }
    }
    // The switch itself.
    let n = 1u64 << 42;
    let k = binomial_upper_quantile(1e-6, n, 0.5);
    let sd = (n as f64 * 0.25).sqrt();
    assert!(k as f64 > n as f64 * 0.5 + 4.7 * sd && (k as f64) < n as f64 * 0.5 + 5.0 * sd);
}

#[test]
fn deterministic_rules_are_exact() {
    let sc = build(&Connectivity::OneToOne, 10, 10, true, SEED);
    assert_eq!(sc.row_ptr, (0..=10).collect::<Vec<u64>>());
    assert_eq!(sc.ind, (0..10).collect::<Vec<u32>>());
    assert_eq!(Connectivity::OneToOne.max_row_length(10, 10, true), 1);
    assert_eq!(Connectivity::OneToOne.max_col_length(10, 10, true), 1);

    let all = Connectivity::AllToAll { autapses: true };
    let sc = build(&all, 3, 4, false, SEED);
    assert_eq!(sc.num_synapses(), 12);
    for i in 0..3 {
        assert_eq!(sc.row(i), &[0, 1, 2, 3]);
    }
    assert_eq!(all.max_row_length(3, 4, false), 4);
    assert_eq!(all.max_col_length(3, 4, false), 3);

    let no_self = Connectivity::AllToAll { autapses: false };
    let sc = build(&no_self, 4, 4, true, SEED);
    assert_eq!(sc.row(0), &[1, 2, 3]);
    assert_eq!(sc.row(2), &[0, 1, 3]);
    assert_eq!(sc.num_synapses(), 12);
    assert_eq!(no_self.max_row_length(4, 4, true), 3);
    // Autapses only matter within one population.
    assert_eq!(build(&no_self, 4, 4, false, SEED).num_synapses(), 16);
    assert_eq!(no_self.max_row_length(4, 4, false), 4);

    // Empty populations.
    let sc = build(
        &Connectivity::FixedProbability {
            p: 0.5,
            autapses: true,
        },
        0,
        5,
        false,
        SEED,
    );
    assert_eq!(sc, SparseConnectivity::empty(0, 5));
}

#[test]
fn fixed_probability_statistics() {
    let (npre, npost, p) = (500u32, 400u32, 0.1);
    let c = Connectivity::FixedProbability { p, autapses: true };
    let sc = build(&c, npre, npost, false, SEED);
    // Total ~ Binomial(200000, 0.1): mean 20000, sd 134.2; 5 sd = 671.
    let total = sc.num_synapses() as f64;
    assert!((total - 20_000.0).abs() < 671.0, "total {total}");
    // Row degrees ~ Binomial(400, 0.1): mean 40, variance 36. The sample
    // variance of 500 rows has sd ~ sqrt(2 * 36^2 / 499) = 2.28; 5 sd = 11.4.
    let lens: Vec<f64> = sc.row_lengths().iter().map(|&l| l as f64).collect();
    let mean = lens.iter().sum::<f64>() / npre as f64;
    let var = lens.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (npre - 1) as f64;
    assert!(
        (mean - 40.0).abs() < 5.0 * (36.0f64 / 500.0).sqrt(),
        "mean {mean}"
    );
    assert!((var - 36.0).abs() < 11.4, "var {var}");
    // Targets uniform: chi-square of in-degrees against their mean, 399
    // degrees of freedom (in-degrees are binomial, so the statistic is
    // about 0.9 * 399 = 359); 399 + 5 * sqrt(2 * 399) = 540.
    assert!(chi_square(&sc.in_degrees()) < 540.0);
    // No multapses: rows strictly increasing.
    for i in 0..npre {
        assert!(sc.row(i).windows(2).all(|w| w[0] < w[1]));
    }

    // Without autapses in one population.
    let c = Connectivity::FixedProbability {
        p: 0.2,
        autapses: false,
    };
    let sc = build(&c, 300, 300, true, SEED);
    for i in 0..300 {
        assert!(!sc.row(i).contains(&i), "autapse in row {i}");
    }
    // Total ~ Binomial(300 * 299, 0.2): mean 17940, sd 119.8; 5 sd = 599.
    assert!((sc.num_synapses() as f64 - 17_940.0).abs() < 599.0);

    // Edge probabilities.
    let none = Connectivity::FixedProbability {
        p: 0.0,
        autapses: true,
    };
    assert_eq!(build(&none, 20, 30, false, SEED).num_synapses(), 0);
    assert_eq!(none.max_row_length(20, 30, false), 0);
    let full = Connectivity::FixedProbability {
        p: 1.0,
        autapses: false,
    };
    let all = Connectivity::AllToAll { autapses: false };
    assert_eq!(
        build(&full, 20, 20, true, SEED),
        build(&all, 20, 20, true, SEED)
    );
    assert_eq!(full.max_row_length(20, 20, true), 19);
}

/// Chi-square statistic of counts against their mean.
fn chi_square(counts: &[u32]) -> f64 {
    let e = counts.iter().map(|&c| c as f64).sum::<f64>() / counts.len() as f64;
    counts.iter().map(|&c| (c as f64 - e).powi(2) / e).sum()
}

#[test]
fn fixed_number_post_statistics() {
    let c = Connectivity::FixedNumberPost {
        n: 40,
        autapses: true,
    };
    let sc = build(&c, 300, 250, false, SEED);
    assert!(sc.row_lengths().iter().all(|&l| l == 40));
    // 12000 uniform draws into 250 bins: chi-square with 249 degrees of
    // freedom; 249 + 5 * sqrt(498) = 361.
    assert!(chi_square(&sc.in_degrees()) < 361.0);

    let c = Connectivity::FixedNumberPost {
        n: 50,
        autapses: false,
    };
    let sc = build(&c, 200, 200, true, SEED);
    assert!(sc.row_lengths().iter().all(|&l| l == 50));
    for i in 0..200 {
        assert!(!sc.row(i).contains(&i));
    }
    // 10000 draws into 200 bins (each column misses only its own row):
    // 199 + 5 * sqrt(398) = 299.
    assert!(chi_square(&sc.in_degrees()) < 299.0);
    // Multapses are allowed: n > num_post still works.
    let c = Connectivity::FixedNumberPost {
        n: 30,
        autapses: false,
    };
    let sc = build(&c, 2, 2, true, SEED);
    assert_eq!(sc.row(0), &[1; 30]);
    assert_eq!(sc.row(1), &[0; 30]);
}

#[test]
fn fixed_number_pre_statistics() {
    let c = Connectivity::FixedNumberPre {
        n: 30,
        autapses: true,
    };
    let sc = build(&c, 200, 300, false, SEED);
    assert!(sc.in_degrees().iter().all(|&d| d == 30));
    // 9000 uniform source draws into 200 rows: 199 + 5 * sqrt(398) = 299.
    assert!(chi_square(&sc.row_lengths()) < 299.0);

    let c = Connectivity::FixedNumberPre {
        n: 25,
        autapses: false,
    };
    let sc = build(&c, 150, 150, true, SEED);
    assert!(sc.in_degrees().iter().all(|&d| d == 25));
    for i in 0..150 {
        assert!(!sc.row(i).contains(&i));
    }
}

#[test]
fn sort_targets_equals_sort_unstable() {
    let mut rng = RngStream::new(1, 2, 3, 4);
    for (len, range) in [
        (0usize, 1u32),
        (1, 5),
        (63, 100),
        (64, 100),
        (500, 21_915),
        (5000, 1 << 16),
        (300, (1 << 16) + 1),
        (1000, 2),
    ] {
        let mut v: Vec<u32> = (0..len)
            .map(|_| uniform_index(rng.next_u32(), range))
            .collect();
        let mut want = v.clone();
        want.sort_unstable();
        sort_targets(&mut v, range);
        assert_eq!(v, want, "len {len}, range {range}");
    }
}

#[test]
fn fixed_number_total_statistics() {
    let (n, npre, npost) = (100_000u64, 500u32, 200u32);
    let c = Connectivity::FixedNumberTotal { n };
    let sc = build(&c, npre, npost, false, SEED);
    assert_eq!(sc.num_synapses(), n);
    // Row lengths: multinomial, each Binomial(1e5, 1/500) with variance
    // 199.6; the sample variance about the exact mean 200 has expectation
    // 500 * 199.6 / 499 = 200.0 and sd ~ sqrt(2 / 499) * 200 = 12.7; 5 sd = 63.
    let lens = sc.row_lengths();
    let var = lens
        .iter()
        .map(|&l| (l as f64 - 200.0).powi(2))
        .sum::<f64>()
        / 499.0;
    assert!((var - 200.0).abs() < 63.0, "var {var}");
    // Targets: 1e5 uniform draws into 200 bins: 199 + 5 * sqrt(398) = 299.
    assert!(chi_square(&sc.in_degrees()) < 299.0);
    // A single row takes everything.
    let sc = build(
        &Connectivity::FixedNumberTotal { n: 50 },
        1,
        10,
        false,
        SEED,
    );
    assert_eq!(sc.row_lengths(), vec![50]);
    assert_eq!(
        Connectivity::FixedNumberTotal { n: 50 }.max_row_length(1, 10, false),
        50
    );
}

fn random_rules() -> Vec<(Connectivity, u32, u32, bool)> {
    vec![
        (
            Connectivity::FixedProbability {
                p: 0.05,
                autapses: true,
            },
            200,
            300,
            false,
        ),
        (
            Connectivity::FixedProbability {
                p: 0.3,
                autapses: false,
            },
            120,
            120,
            true,
        ),
        (
            Connectivity::FixedProbability {
                p: 0.001,
                autapses: true,
            },
            1000,
            1000,
            false,
        ),
        (
            Connectivity::FixedNumberPost {
                n: 20,
                autapses: true,
            },
            150,
            100,
            false,
        ),
        (
            Connectivity::FixedNumberPost {
                n: 10,
                autapses: false,
            },
            100,
            100,
            true,
        ),
        (
            Connectivity::FixedNumberPre {
                n: 15,
                autapses: true,
            },
            100,
            150,
            false,
        ),
        (
            Connectivity::FixedNumberPre {
                n: 10,
                autapses: false,
            },
            90,
            90,
            true,
        ),
        (Connectivity::FixedNumberTotal { n: 5000 }, 100, 80, false),
        (Connectivity::FixedNumberTotal { n: 10 }, 1000, 5, false),
    ]
}

#[test]
fn bounds_hold_over_many_seeds_and_are_tight() {
    for (c, npre, npost, same) in random_rules() {
        let row_bound = c.max_row_length(npre, npost, same);
        let col_bound = c.max_col_length(npre, npost, same);
        let mut max_row = 0;
        let mut max_col = 0;
        for seed in 0..50 {
            let sc = build(&c, npre, npost, same, seed);
            max_row = max_row.max(sc.max_row_length());
            max_col = max_col.max(sc.column_view().max_col_length());
        }
        assert!(max_row <= row_bound, "{c:?}: row {max_row} > {row_bound}");
        assert!(max_col <= col_bound, "{c:?}: col {max_col} > {col_bound}");
        // Not absurdly loose: the bound is a ~4-6 sd quantile.
        assert!(
            row_bound <= 2 * max_row + 10,
            "{c:?}: row bound {row_bound} vs {max_row}"
        );
        assert!(
            col_bound <= 2 * max_col + 10,
            "{c:?}: col bound {col_bound} vs {max_col}"
        );
    }
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let pool = |t| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap()
    };
    let (one, eight) = (pool(1), pool(8));
    let mut rules = random_rules();
    rules.push((Connectivity::AllToAll { autapses: false }, 70, 70, true));
    rules.push((
        Connectivity::Explicit {
            pre: vec![3, 1, 3, 0, 1, 3],
            post: vec![2, 2, 0, 1, 2, 2],
        },
        4,
        3,
        false,
    ));
    for (c, npre, npost, same) in rules {
        let a = one.install(|| c.build(npre, npost, same, SEED, 3).unwrap());
        let b = eight.install(|| c.build(npre, npost, same, SEED, 3).unwrap());
        assert_eq!(a, b, "{c:?}");
    }
}

#[test]
fn seeds_and_streams_change_the_result() {
    for (c, npre, npost, same) in random_rules() {
        let a = c.build(npre, npost, same, 1, 0).unwrap();
        assert_eq!(a, c.build(npre, npost, same, 1, 0).unwrap());
        assert_ne!(a, c.build(npre, npost, same, 2, 0).unwrap(), "{c:?}");
        assert_ne!(a, c.build(npre, npost, same, 1, 1).unwrap(), "{c:?}");
    }
}

#[test]
fn column_view_is_consistent() {
    let c = Connectivity::FixedNumberPost {
        n: 7,
        autapses: true,
    };
    let sc = build(&c, 50, 20, false, SEED);
    let cv = sc.column_view();
    assert_eq!(cv.num_cols(), 20);
    assert_eq!(cv.rows.len() as u64, sc.num_synapses());
    let degrees = sc.in_degrees();
    let mut seen = vec![false; sc.ind.len()];
    for j in 0..20 {
        assert_eq!(cv.column(j).len() as u32, degrees[j as usize]);
        let rows = cv.column(j);
        let pos = cv.column_csr_positions(j);
        for (&i, &s) in rows.iter().zip(pos) {
            assert_eq!(sc.ind[s as usize], j);
            assert!(sc.row_ptr[i as usize] <= s && s < sc.row_ptr[i as usize + 1]);
            assert!(!seen[s as usize]);
            seen[s as usize] = true;
        }
        assert!(pos.windows(2).all(|w| w[0] < w[1]));
    }
    assert!(seen.iter().all(|&s| s));
}

#[test]
fn validation_names_the_fault() {
    let err = |c: Connectivity, pre, post, same| c.validate(pre, post, same).unwrap_err();
    assert!(err(
        Connectivity::FixedProbability {
            p: 1.5,
            autapses: true
        },
        5,
        5,
        false
    )
    .contains("1.5 is not in [0, 1]"));
    assert!(err(
        Connectivity::FixedProbability {
            p: f64::NAN,
            autapses: true
        },
        5,
        5,
        false
    )
    .contains("NaN"));
    assert!(err(Connectivity::OneToOne, 5, 6, false).contains("5 presynaptic and 6 postsynaptic"));
    assert!(err(Connectivity::AllToAll { autapses: true }, 5, 6, true).contains("same population"));
    assert!(err(
        Connectivity::FixedNumberPost {
            n: 3,
            autapses: false
        },
        1,
        1,
        true
    )
    .contains("autapses excluded"));
    assert!(Connectivity::FixedNumberPost {
        n: 3,
        autapses: true
    }
    .validate(1, 1, true)
    .is_ok());
    assert!(Connectivity::FixedNumberPost {
        n: 3,
        autapses: false
    }
    .validate(1, 1, false)
    .is_ok());
    assert!(Connectivity::FixedNumberPost {
        n: 0,
        autapses: false
    }
    .validate(1, 1, true)
    .is_ok());
    assert!(err(
        Connectivity::FixedNumberPost {
            n: 3,
            autapses: true
        },
        4,
        0,
        false
    )
    .contains("no allowed target"));
    assert!(err(
        Connectivity::FixedNumberPre {
            n: 3,
            autapses: false
        },
        1,
        1,
        true
    )
    .contains("no allowed source"));
    assert!(err(Connectivity::FixedNumberTotal { n: 10 }, 0, 5, false).contains("10 synapses"));
    assert!(err(Connectivity::FixedNumberTotal { n: 1 << 33 }, 5, 5, false).contains("supported"));
    assert!(err(
        Connectivity::FixedNumberPre {
            n: u32::MAX,
            autapses: true
        },
        1,
        4,
        false
    )
    .contains("supported"));

    let mut post: Vec<u32> = (0..32).collect();
    post[17] = 40;
    let pre = vec![0u32; 32];
    assert_eq!(
        err(
            Connectivity::Explicit {
                pre: pre.clone(),
                post
            },
            1,
            32,
            false
        ),
        "synapse 17: post index 40 is out of range for 32 postsynaptic neurons"
    );
    assert!(err(
        Connectivity::Explicit {
            pre: pre.clone(),
            post: vec![0; 3]
        },
        1,
        32,
        false
    )
    .contains("32 presynaptic but 3 postsynaptic"));
    assert_eq!(
        err(
            Connectivity::Explicit {
                pre: vec![0, 2],
                post: vec![0, 0]
            },
            2,
            1,
            false
        ),
        "synapse 1: pre index 2 is out of range for 2 presynaptic neurons"
    );
    // build validates too.
    assert!(Connectivity::OneToOne.build(3, 4, false, 0, 0).is_err());
}

#[test]
fn explicit_order_is_stable() {
    let pre = vec![1, 0, 1, 1, 0];
    let post = vec![5, 2, 3, 5, 2];
    let (sc, order) = SparseConnectivity::from_pairs(2, 6, &pre, &post).unwrap();
    assert_eq!(sc.row(0), &[2, 2]);
    assert_eq!(sc.row(1), &[3, 5, 5]);
    assert_eq!(order, vec![1, 4, 2, 0, 3]);
    let c = Connectivity::Explicit { pre, post };
    assert_eq!(c.max_row_length(2, 6, false), 3);
    assert_eq!(c.max_col_length(2, 6, false), 2);
}

/// Any built-in rule with random parameters: `(rule, num_pre, num_post,
/// same_population)`. Sizes include 0 and 1; probabilities include the
/// exact 0 and 1; fixed numbers may exceed the population (drawn with
/// replacement).
fn any_rule() -> impl Strategy<Value = (Connectivity, u32, u32, bool)> {
    let sizes = (0u32..40, 0u32..40, any::<bool>()).prop_map(|(a, b, same)| {
        if same {
            (a, a, true)
        } else {
            (a, b, false)
        }
    });
    (sizes, any::<bool>()).prop_flat_map(|((a, b, same), autapses)| {
        let p = prop_oneof![Just(0.0), Just(1.0), 0.0f64..=1.0];
        let explicit = (
            Just(a),
            Just(b),
            proptest::collection::vec((0..a.max(1), 0..b.max(1)), 0..120),
        )
            .prop_map(|(a, b, pairs)| {
                // Pairs only exist when both sides have neurons.
                let pairs: Vec<(u32, u32)> = if a == 0 || b == 0 { vec![] } else { pairs };
                Connectivity::Explicit {
                    pre: pairs.iter().map(|p| p.0).collect(),
                    post: pairs.iter().map(|p| p.1).collect(),
                }
            });
        let rule = prop_oneof![
            Just(Connectivity::OneToOne),
            Just(Connectivity::AllToAll { autapses }),
            p.prop_map(move |p| Connectivity::FixedProbability { p, autapses }),
            (0u32..60).prop_map(move |n| Connectivity::FixedNumberPost { n, autapses }),
            (0u32..60).prop_map(move |n| Connectivity::FixedNumberPre { n, autapses }),
            (0u64..2000).prop_map(|n| Connectivity::FixedNumberTotal { n }),
            explicit,
        ];
        (rule, Just(a), Just(b), Just(same))
    })
}

proptest! {
    /// Every built-in rule either is rejected by `validate` (and then
    /// by `build`, with the same message) or builds well-formed rows
    /// with the counts it promises, deterministically.
    #[test]
    fn every_rule_builds_well_formed_rows(
        (c, num_pre, num_post, same) in any_rule(),
        seed in any::<u64>(),
        stream in 0u32..8,
    ) {
        let built = c.build(num_pre, num_post, same, seed, stream);
        if let Err(reason) = c.validate(num_pre, num_post, same) {
            prop_assert_eq!(built, Err(reason));
            return Ok(());
        }
        let sc = built.unwrap();
        // Well-formed CSR, checked here directly (not only by check()).
        prop_assert_eq!(sc.num_pre, num_pre);
        prop_assert_eq!(sc.num_post, num_post);
        prop_assert_eq!(sc.row_ptr.len(), num_pre as usize + 1);
        prop_assert_eq!(sc.row_ptr[0], 0);
        prop_assert_eq!(*sc.row_ptr.last().unwrap(), sc.ind.len() as u64);
        prop_assert!(sc.row_ptr.windows(2).all(|w| w[0] <= w[1]), "row_ptr decreases");
        prop_assert!(sc.check().is_ok());
        for i in 0..num_pre {
            let row = sc.row(i);
            prop_assert!(row.windows(2).all(|w| w[0] <= w[1]), "row {} unsorted", i);
            prop_assert!(row.iter().all(|&j| j < num_post), "row {} out of range", i);
        }
        let excl = same && matches!(
            c,
            Connectivity::AllToAll { autapses: false }
                | Connectivity::FixedProbability { autapses: false, .. }
                | Connectivity::FixedNumberPost { autapses: false, .. }
                | Connectivity::FixedNumberPre { autapses: false, .. }
        );
        if excl {
            for i in 0..num_pre {
                prop_assert!(!sc.row(i).contains(&i), "autapse {} -> {}", i, i);
            }
        }
        // The counts each rule promises.
        let rows = sc.row_lengths();
        let cols = sc.in_degrees();
        let empty = num_pre == 0 || num_post == 0;
        match &c {
            Connectivity::OneToOne => {
                prop_assert_eq!(&sc.ind, &(0..num_pre).collect::<Vec<u32>>());
                prop_assert!(rows.iter().all(|&l| l == 1));
            }
            Connectivity::AllToAll { .. } => {
                for i in 0..num_pre {
                    let want: Vec<u32> =
                        (0..num_post).filter(|&j| !(excl && j == i)).collect();
                    prop_assert_eq!(sc.row(i), &want[..]);
                }
            }
            Connectivity::FixedProbability { p, .. } => {
                for i in 0..num_pre {
                    // No multapses: strictly increasing rows.
                    prop_assert!(sc.row(i).windows(2).all(|w| w[0] < w[1]));
                    let full = num_post - (excl as u32);
                    if *p == 0.0 {
                        prop_assert!(sc.row(i).is_empty());
                    } else if *p == 1.0 {
                        prop_assert_eq!(sc.row(i).len() as u32, full);
                    }
                }
            }
            Connectivity::FixedNumberPost { n, .. } => {
                let n = if empty { 0 } else { *n };
                prop_assert!(rows.iter().all(|&l| l == n), "rows {:?}", rows);
            }
            Connectivity::FixedNumberPre { n, .. } => {
                let n = if empty { 0 } else { *n };
                prop_assert!(cols.iter().all(|&l| l == n), "columns {:?}", cols);
            }
            Connectivity::FixedNumberTotal { n } => {
                let n = if empty { 0 } else { *n };
                prop_assert_eq!(sc.num_synapses(), n);
            }
            Connectivity::Explicit { pre, post } => {
                let mut want: Vec<(u32, u32)> =
                    pre.iter().copied().zip(post.iter().copied()).collect();
                want.sort_unstable();
                let got: Vec<(u32, u32)> = (0..num_pre)
                    .flat_map(|i| sc.row(i).iter().map(move |&j| (i, j)))
                    .collect();
                prop_assert_eq!(got, want);
            }
            Connectivity::Snippet(_) => unreachable!(),
        }
        // Deterministic bounds are exact upper bounds.
        if !matches!(
            c,
            Connectivity::FixedProbability { .. }
                | Connectivity::FixedNumberPre { .. }
                | Connectivity::FixedNumberTotal { .. }
        ) {
            prop_assert!(sc.max_row_length() <= c.max_row_length(num_pre, num_post, same));
        }
        if !matches!(
            c,
            Connectivity::FixedProbability { .. }
                | Connectivity::FixedNumberPost { .. }
                | Connectivity::FixedNumberTotal { .. }
        ) {
            let longest_col = cols.iter().copied().max().unwrap_or(0);
            prop_assert!(longest_col <= c.max_col_length(num_pre, num_post, same));
        }
        // The column view holds every synapse once, pointing back at it.
        let view = sc.column_view();
        prop_assert_eq!(view.rows.len(), sc.ind.len());
        for j in 0..num_post {
            for (&i, &pos) in view.column(j).iter().zip(view.column_csr_positions(j)) {
                prop_assert_eq!(sc.ind[pos as usize], j);
                prop_assert!(sc.row_ptr[i as usize] <= pos && pos < sc.row_ptr[i as usize + 1]);
            }
        }
        // Same seed and stream: same rows.
        prop_assert_eq!(c.build(num_pre, num_post, same, seed, stream).unwrap(), sc);
    }
}

proptest! {
    #[test]
    fn explicit_round_trips(
        (num_pre, num_post, pairs) in (1u32..40, 1u32..40).prop_flat_map(|(a, b)| {
            (Just(a), Just(b), proptest::collection::vec((0..a, 0..b), 0..200))
        })
    ) {
        let pre: Vec<u32> = pairs.iter().map(|p| p.0).collect();
        let post: Vec<u32> = pairs.iter().map(|p| p.1).collect();
        let (sc, order) = SparseConnectivity::from_pairs(num_pre, num_post, &pre, &post).unwrap();
        prop_assert!(sc.check().is_ok());
        prop_assert_eq!(order.len(), pairs.len());
        // order is a permutation mapping CSR positions to list entries.
        let mut sorted_order = order.clone();
        sorted_order.sort_unstable();
        prop_assert_eq!(sorted_order, (0..pairs.len() as u32).collect::<Vec<_>>());
        let mut recovered = Vec::new();
        for i in 0..num_pre {
            for (k, &j) in sc.row(i).iter().enumerate() {
                let s = sc.row_ptr[i as usize] as usize + k;
                prop_assert_eq!(pairs[order[s] as usize], (i, j));
                recovered.push((i, j));
            }
        }
        let mut expected = pairs.clone();
        expected.sort_unstable();
        prop_assert_eq!(recovered, expected);
        // Connectivity::build gives the same rows.
        let built = Connectivity::Explicit { pre, post }.build(num_pre, num_post, false, 0, 0).unwrap();
        prop_assert_eq!(built, sc);
    }
}
