/* ---- snn RNG (snn_kernels::rng::RNG_SOURCE) ----
 * Philox4x32-10 and the distributions of snn_core::rng, drawing bit for bit
 * what the CPU backend draws (its ln, exp, cos and powf are the prelude's
 * snn_* functions, snn_core::math's twins). Placed after the common prelude
 * (snn_kernels::cgen::PRELUDE), whose SNN_FN, snn_u64, SNN_NO_DOUBLE,
 * SNN_INF_F32 / SNN_NAN_F32 (and F64) and saturating casts snn_f32_to_u32
 * etc. it uses. Valid C99, C++14 (CUDA C++) and OpenCL C 1.2: no function
 * pointers, no recursion, no program-scope arrays, no library calls besides
 * the math functions every dialect overloads for float and double.
 *
 * One Philox call (as in Rust): key = {seed_lo, seed_hi},
 * counter = {element, step, stream, block}; block counts the calls made by
 * one stream value, each call giving four 32-bit values.
 *
 * Each float distribution is written once, as a macro over the float type F
 * and its suffix S (f32 or f64), instantiated for float and, unless
 * SNN_NO_DOUBLE is defined, double. Each mirrors the Float-generic function
 * of snn_core/src/rng.rs (normal_impl, gamma_impl, binomial_btrd, ...)
 * operation by operation:
 * - constants are Rust's c::<F>(x), i.e. x rounded to F: the float literals
 *   below are the shortest decimals of (x as f32), with the f suffix, so no
 *   float expression is promoted to double;
 * - the same operations in the same order (C groups a - b + c like Rust),
 *   every draw in its own statement, so draws happen in Rust's order;
 * - integer-to-float conversions round once (as Rust's x as u64 as f64 as
 *   f32, exact then rounded), float-to-integer ones saturate like Rust's
 *   `as` (prelude helpers);
 * - no FMA contraction (the dialect preludes and tests turn it off).
 * Helpers that are not part of the API are named snn_rng_*. */

/* Exact literals in F: SNN_RNG_L(f32, 0.5) is 0.5f, SNN_RNG_L(f64, 0.5) is 0.5. */
#define SNN_RNG_L_f32(x) x##f
#define SNN_RNG_L_f64(x) x
#define SNN_RNG_L(S, x) SNN_RNG_L_##S(x)

/* Named constants of F: SNN_RNG_C(f32, TAU) is SNN_RNG_C_f32_TAU. The
 * values are those of snn_core/src/rng.rs rounded to F. */
#define SNN_RNG_C(S, NAME) SNN_RNG_C_##S##_##NAME

#define SNN_RNG_C_f32_INF SNN_INF_F32
#define SNN_RNG_C_f32_NAN SNN_NAN_F32
#define SNN_RNG_C_f32_TAU 6.2831855f             /* 2 pi */
#define SNN_RNG_C_f32_THIRD 0.33333334f          /* 1 / 3 */
#define SNN_RNG_C_f32_MT_C 0.0331f               /* Marsaglia-Tsang squeeze */
#define SNN_RNG_C_f32_INV_6 0.16666667f          /* 1 / 6 */
#define SNN_RNG_C_f32_INV_12 0.083333336f        /* 1 / 12 */
#define SNN_RNG_C_f32_INV_360 0.0027777778f      /* 1 / 360 */
#define SNN_RNG_C_f32_INV_1260 0.0007936508f     /* 1 / 1260 */
#define SNN_RNG_C_f32_LN_SQRT_2PI 0.9189385f     /* ln sqrt(2 pi) */
#define SNN_RNG_C_f32_FC0 0.08106147f            /* STIRLING_FC[0..10] */
#define SNN_RNG_C_f32_FC1 0.041340698f
#define SNN_RNG_C_f32_FC2 0.027677925f
#define SNN_RNG_C_f32_FC3 0.020790672f
#define SNN_RNG_C_f32_FC4 0.016644692f
#define SNN_RNG_C_f32_FC5 0.013876129f
#define SNN_RNG_C_f32_FC6 0.01189671f
#define SNN_RNG_C_f32_FC7 0.010411265f
#define SNN_RNG_C_f32_FC8 0.009255462f
#define SNN_RNG_C_f32_FC9 0.008330563f
#define SNN_RNG_C_f32_BTRD_B0 1.15f              /* BTRD setup, Hormann 1993 */
#define SNN_RNG_C_f32_BTRD_B1 2.53f
#define SNN_RNG_C_f32_BTRD_A0 (-0.0873f)
#define SNN_RNG_C_f32_BTRD_A1 0.0248f
#define SNN_RNG_C_f32_BTRD_A2 0.01f
#define SNN_RNG_C_f32_BTRD_AL0 2.83f
#define SNN_RNG_C_f32_BTRD_AL1 5.1f
#define SNN_RNG_C_f32_BTRD_VR0 0.92f
#define SNN_RNG_C_f32_BTRD_VR1 4.2f
#define SNN_RNG_C_f32_BTRD_UR 0.86f
#define SNN_RNG_C_f32_BTRD_U0 0.43f
#define SNN_RNG_C_f32_BTRD_W0 0.93f
#define SNN_RNG_C_f32_PTRS_B0 0.931f             /* PTRS setup, Hormann 1993 */
#define SNN_RNG_C_f32_PTRS_B1 2.53f
#define SNN_RNG_C_f32_PTRS_A0 (-0.059f)
#define SNN_RNG_C_f32_PTRS_A1 0.02483f
#define SNN_RNG_C_f32_PTRS_IA0 1.1239f
#define SNN_RNG_C_f32_PTRS_IA1 1.1328f
#define SNN_RNG_C_f32_PTRS_IA2 3.4f
#define SNN_RNG_C_f32_PTRS_VR0 0.9277f
#define SNN_RNG_C_f32_PTRS_VR1 3.6224f
#define SNN_RNG_C_f32_PTRS_K0 0.43f
#define SNN_RNG_C_f32_PTRS_US0 0.07f
#define SNN_RNG_C_f32_PTRS_US1 0.013f

#define SNN_RNG_C_f64_INF SNN_INF_F64
#define SNN_RNG_C_f64_NAN SNN_NAN_F64
#define SNN_RNG_C_f64_TAU 6.283185307179586
#define SNN_RNG_C_f64_THIRD 0.3333333333333333
#define SNN_RNG_C_f64_MT_C 0.0331
#define SNN_RNG_C_f64_INV_6 0.16666666666666666
#define SNN_RNG_C_f64_INV_12 0.08333333333333333
#define SNN_RNG_C_f64_INV_360 0.002777777777777778
#define SNN_RNG_C_f64_INV_1260 0.0007936507936507937
#define SNN_RNG_C_f64_LN_SQRT_2PI 0.9189385332046728
#define SNN_RNG_C_f64_FC0 0.08106146679532726
#define SNN_RNG_C_f64_FC1 0.04134069595540929
#define SNN_RNG_C_f64_FC2 0.02767792568499834
#define SNN_RNG_C_f64_FC3 0.02079067210376509
#define SNN_RNG_C_f64_FC4 0.01664469118982119
#define SNN_RNG_C_f64_FC5 0.01387612882307075
#define SNN_RNG_C_f64_FC6 0.01189670994589177
#define SNN_RNG_C_f64_FC7 0.01041126526197209
#define SNN_RNG_C_f64_FC8 0.009255462182712733
#define SNN_RNG_C_f64_FC9 0.00833056343336287
#define SNN_RNG_C_f64_BTRD_B0 1.15
#define SNN_RNG_C_f64_BTRD_B1 2.53
#define SNN_RNG_C_f64_BTRD_A0 (-0.0873)
#define SNN_RNG_C_f64_BTRD_A1 0.0248
#define SNN_RNG_C_f64_BTRD_A2 0.01
#define SNN_RNG_C_f64_BTRD_AL0 2.83
#define SNN_RNG_C_f64_BTRD_AL1 5.1
#define SNN_RNG_C_f64_BTRD_VR0 0.92
#define SNN_RNG_C_f64_BTRD_VR1 4.2
#define SNN_RNG_C_f64_BTRD_UR 0.86
#define SNN_RNG_C_f64_BTRD_U0 0.43
#define SNN_RNG_C_f64_BTRD_W0 0.93
#define SNN_RNG_C_f64_PTRS_B0 0.931
#define SNN_RNG_C_f64_PTRS_B1 2.53
#define SNN_RNG_C_f64_PTRS_A0 (-0.059)
#define SNN_RNG_C_f64_PTRS_A1 0.02483
#define SNN_RNG_C_f64_PTRS_IA0 1.1239
#define SNN_RNG_C_f64_PTRS_IA1 1.1328
#define SNN_RNG_C_f64_PTRS_IA2 3.4
#define SNN_RNG_C_f64_PTRS_VR0 0.9277
#define SNN_RNG_C_f64_PTRS_VR1 3.6224
#define SNN_RNG_C_f64_PTRS_K0 0.43
#define SNN_RNG_C_f64_PTRS_US0 0.07
#define SNN_RNG_C_f64_PTRS_US1 0.013

/* ------------------------------------------------------------ generator */

/* The state of one stream: the fields of snn_core::rng::RngStream. */
typedef struct {
    unsigned int key[2]; /* {seed_lo, seed_hi} */
    unsigned int ctr[4]; /* {element, step, stream, block}: the next Philox call */
    unsigned int buf[4]; /* the four values of the last call */
    unsigned int pos;    /* the next value of buf to return; 4: none left */
} snn_rng;

/* Philox4x32 with 10 rounds (Salmon et al. 2011, Random123): out = f(ctr, key). */
SNN_FN void snn_philox4x32_10(const unsigned int ctr[4], const unsigned int key[2],
                              unsigned int out[4])
{
    unsigned int c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    unsigned int k0 = key[0], k1 = key[1];
    int i;
    for (i = 0; i < 10; ++i) {
        snn_u64 p0, p1;
        if (i > 0) {
            k0 += 0x9E3779B9u; /* unsigned: wraps like Rust's wrapping_add */
            k1 += 0xBB67AE85u;
        }
        p0 = (snn_u64)0xD2511F53u * c0;
        p1 = (snn_u64)0xCD9E8D57u * c2;
        /* c = {hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0}, reading the old c1, c3 */
        c0 = (unsigned int)(p1 >> 32) ^ c1 ^ k0;
        c1 = (unsigned int)p1;
        c2 = (unsigned int)(p0 >> 32) ^ c3 ^ k1;
        c3 = (unsigned int)p0;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* The stream for element at timestep step of stream stream under seed (RngStream::new). */
SNN_FN snn_rng snn_rng_new(snn_u64 seed, unsigned int stream, unsigned int step,
                           unsigned int element)
{
    snn_rng r;
    r.key[0] = (unsigned int)seed;
    r.key[1] = (unsigned int)(seed >> 32);
    r.ctr[0] = element;
    r.ctr[1] = step;
    r.ctr[2] = stream;
    r.ctr[3] = 0u;
    r.buf[0] = 0u;
    r.buf[1] = 0u;
    r.buf[2] = 0u;
    r.buf[3] = 0u;
    r.pos = 4u;
    return r;
}

/* The stream of synapse code for pre -> post at step under the derived key
   (key0, key1) (RngStream::synapse; the key is computed on the host). */
SNN_FN snn_rng snn_rng_synapse(unsigned int key0, unsigned int key1, unsigned int step,
                               unsigned int pre, unsigned int post)
{
    snn_rng r;
    r.key[0] = key0;
    r.key[1] = key1;
    r.ctr[0] = post;
    r.ctr[1] = step;
    r.ctr[2] = pre;
    r.ctr[3] = 0u;
    r.buf[0] = 0u;
    r.buf[1] = 0u;
    r.buf[2] = 0u;
    r.buf[3] = 0u;
    r.pos = 4u;
    return r;
}

/* The next raw 32-bit value (RngStream::next_u32). */
SNN_FN unsigned int snn_rng_next_u32(snn_rng *r)
{
    unsigned int x;
    if (r->pos == 4u) {
        snn_philox4x32_10(r->ctr, r->key, r->buf);
        r->ctr[3] += 1u;
        r->pos = 0u;
    }
    /* constant indices only, so that a GPU compiler keeps buf in registers */
    x = r->pos == 0u ? r->buf[0] : r->pos == 1u ? r->buf[1] : r->pos == 2u ? r->buf[2] : r->buf[3];
    r->pos += 1u;
    return x;
}

/* Uniform in (0, 1) from one value x: ((x >> 9) + 0.5) * 2^-23, exact (u32_to_uniform_f32). */
SNN_FN float snn_uniform_f32(snn_rng *r)
{
    return ((float)(snn_rng_next_u32(r) >> 9) + 0.5f) * 1.1920928955078125e-7f;
}

/* Box-Muller of one pair (math::box_muller_f32; rng's box_muller_f64), with
 * the prelude's ln and cos (math.h). */
#define SNN_RNG_BOX_MULLER_f32(u1, u2) \
    (sqrt(-2.0f * snn_ln_normal_f32(u1)) * snn_cos_box_muller_f32(SNN_RNG_C_f32_TAU * (u2)))
#define SNN_RNG_BOX_MULLER_f64(u1, u2) \
    (sqrt(-2.0 * snn_ln_f64(u1)) * snn_cos_box_muller_f64(SNN_RNG_C_f64_TAU * (u2)))

#ifndef SNN_NO_DOUBLE
/* Uniform in (0, 1) from hi then lo: ((hi << 20 | lo >> 12) + 0.5) * 2^-52, exact
 * (u64_to_uniform_f64 of hi << 32 | lo). */
SNN_FN double snn_uniform_f64(snn_rng *r)
{
    const snn_u64 hi = snn_rng_next_u32(r);
    const snn_u64 lo = snn_rng_next_u32(r);
    return ((double)(((hi << 32) | lo) >> 12) + 0.5) * 2.220446049250313080847263336181640625e-16;
}
#endif

/* ------------------------------------------------------- distributions */

/* Helpers, normal, exponential and gamma in F (S: f32 or f64). */
#define SNN_RNG_DEF_CONTINUOUS(F, S) \
    /* ln(1 + x) for x > -1, accurate also for tiny x, from log alone (ln_1p). */ \
    SNN_FN F snn_rng_ln_1p_##S(F x) \
    { \
        const F one = SNN_RNG_L(S, 1.0); \
        const F u = one + x; \
        return u == one ? x : snn_ln_##S(u) * x / (u - one); \
    } \
    /* Stirling correction fc(k) of an integral k >= 0: table below 10, else series (stirling_fc). */ \
    SNN_FN F snn_rng_stirling_fc_##S(F k) \
    { \
        const F one = SNN_RNG_L(S, 1.0); \
        F ikp1, ikp1_2; \
        if (k < SNN_RNG_L(S, 10.0)) { \
            switch (snn_##S##_to_u32(k)) { \
            case 0u: return SNN_RNG_C(S, FC0); \
            case 1u: return SNN_RNG_C(S, FC1); \
            case 2u: return SNN_RNG_C(S, FC2); \
            case 3u: return SNN_RNG_C(S, FC3); \
            case 4u: return SNN_RNG_C(S, FC4); \
            case 5u: return SNN_RNG_C(S, FC5); \
            case 6u: return SNN_RNG_C(S, FC6); \
            case 7u: return SNN_RNG_C(S, FC7); \
            case 8u: return SNN_RNG_C(S, FC8); \
            default: return SNN_RNG_C(S, FC9); \
            } \
        } \
        ikp1 = one / (k + one); \
        ikp1_2 = ikp1 * ikp1; \
        return (SNN_RNG_C(S, INV_12) \
                - (SNN_RNG_C(S, INV_360) - SNN_RNG_C(S, INV_1260) * ikp1_2) * ikp1_2) * ikp1; \
    } \
    /* Standard normal by Box-Muller from u1 then u2, no cached second value (normal_impl). */ \
    SNN_FN F snn_normal_##S(snn_rng *rng) \
    { \
        const F u1 = snn_uniform_##S(rng); \
        const F u2 = snn_uniform_##S(rng); \
        return SNN_RNG_BOX_MULLER_##S(u1, u2); \
    } \
    /* Exponential with rate 1: -ln(u) (exponential_impl). */ \
    SNN_FN F snn_exponential_##S(snn_rng *rng) \
    { \
        return -snn_ln_##S(snn_uniform_##S(rng)); \
    } \
    /* Gamma of shape a >= 1 by Marsaglia & Tsang 2000 (gamma_marsaglia_tsang). */ \
    SNN_FN F snn_rng_gamma_mt_##S(snn_rng *rng, F a) \
    { \
        const F one = SNN_RNG_L(S, 1.0); \
        const F d = a - SNN_RNG_C(S, THIRD); \
        const F c = one / sqrt(SNN_RNG_L(S, 9.0) * d); \
        for (;;) { \
            F x, v, u, x2; \
            do { \
                x = snn_normal_##S(rng); \
                v = one + c * x; \
            } while (!(v > SNN_RNG_L(S, 0.0))); \
            v = v * v * v; \
            u = snn_uniform_##S(rng); \
            x2 = x * x; \
            if (u < one - SNN_RNG_C(S, MT_C) * x2 * x2) { \
                return d * v; \
            } \
            if (snn_ln_##S(u) < SNN_RNG_L(S, 0.5) * x2 + d * (one - v + snn_ln_##S(v))) { \
                return d * v; \
            } \
        } \
    } \
    /* Gamma of shape a, scale 1; a < 1: g(a + 1) * u^(1/a); a <= 0 or NaN: NaN (gamma_impl). */ \
    SNN_FN F snn_gamma_##S(snn_rng *rng, F a) \
    { \
        const F one = SNN_RNG_L(S, 1.0); \
        if (!(a > SNN_RNG_L(S, 0.0))) { \
            return SNN_RNG_C(S, NAN); \
        } \
        if (a < one) { \
            const F g = snn_rng_gamma_mt_##S(rng, a + one); \
            const F u = snn_uniform_##S(rng); \
            return g * snn_powf_##S(u, one / a); \
        } \
        return snn_rng_gamma_mt_##S(rng, a); \
    }

/* Binomial in F (S: f32 or f64); needs SNN_RNG_DEF_CONTINUOUS(F, S). */
#define SNN_RNG_DEF_BINOMIAL(F, S) \
    /* Binomial by BTRD (Hormann 1993) for n p >= 30, p <= 1/2 (binomial_btrd). */ \
    SNN_FN unsigned int snn_rng_binomial_btrd_##S(snn_rng *rng, unsigned int n, F p) \
    { \
        const F zero = SNN_RNG_L(S, 0.0); \
        const F one = SNN_RNG_L(S, 1.0); \
        const F hf = SNN_RNG_L(S, 0.5); \
        const F nf = (F)n; \
        const F q = one - p; \
        const unsigned int m = snn_min_u32(snn_##S##_to_u32(floor((nf + one) * p)), n); \
        const F r = p / q; \
        const F nr = (nf + one) * r; \
        const F npq = nf * p * q; \
        const F sqrt_npq = sqrt(npq); \
        const F b = SNN_RNG_C(S, BTRD_B0) + SNN_RNG_C(S, BTRD_B1) * sqrt_npq; \
        const F a = SNN_RNG_C(S, BTRD_A0) + SNN_RNG_C(S, BTRD_A1) * b + SNN_RNG_C(S, BTRD_A2) * p; \
        const F c = nf * p + hf; \
        const F alpha = (SNN_RNG_C(S, BTRD_AL0) + SNN_RNG_C(S, BTRD_AL1) / b) * sqrt_npq; \
        const F v_r = SNN_RNG_C(S, BTRD_VR0) - SNN_RNG_C(S, BTRD_VR1) / b; \
        const F u_rv_r = SNN_RNG_C(S, BTRD_UR) * v_r; \
        const F two_a = SNN_RNG_L(S, 2.0) * a; \
        const F mf = (F)m; \
        for (;;) { \
            F v = snn_uniform_##S(rng); \
            F u, us, kf, fk, kmf, d, nk, n_m, n_k, rho, t, ln_f_ratio; \
            unsigned int k, km; \
            /* Step 1: the squeeze region, one uniform. */ \
            if (v <= u_rv_r) { \
                u = v / v_r - SNN_RNG_C(S, BTRD_U0); \
                kf = floor((two_a / (hf - fabs(u)) + b) * u + c); \
                if (kf >= zero && kf <= nf) { \
                    return snn_min_u32(snn_##S##_to_u32(kf), n); \
                } \
                continue; \
            } \
            /* Step 2: a second uniform. */ \
            if (v >= v_r) { \
                u = snn_uniform_##S(rng) - hf; \
            } else { \
                const F w = v / v_r - SNN_RNG_C(S, BTRD_W0); \
                u = (w < zero ? -hf : hf) - w; \
                v = snn_uniform_##S(rng) * v_r; \
            } \
            us = hf - fabs(u); \
            kf = floor((two_a / us + b) * u + c); \
            if (!(kf >= zero && kf <= nf)) { \
                continue; \
            } \
            k = snn_##S##_to_u32(kf); \
            if (k > n) { \
                continue; \
            } \
            v = v * alpha / (a / (us * us) + b); \
            km = k > m ? k - m : m - k; \
            /* Step 3.1: recursive evaluation of f(k) / f(m) near the mode. */ \
            if (km <= 15u) { \
                F f = one; \
                unsigned int i; \
                if (m < k) { \
                    i = m; /* i = m + 1 ..= k, safe for k = UINT_MAX */ \
                    while (i < k) { \
                        ++i; \
                        f *= nr / (F)i - r; \
                    } \
                } else if (m > k) { \
                    i = k; \
                    while (i < m) { \
                        ++i; \
                        v *= nr / (F)i - r; \
                    } \
                } \
                if (v <= f) { \
                    return k; \
                } \
                continue; \
            } \
            /* Step 3.2: squeeze on ln v. */ \
            v = snn_ln_##S(v); \
            kmf = (F)km; \
            rho = (kmf / npq) \
                  * (((kmf / SNN_RNG_L(S, 3.0) + SNN_RNG_L(S, 0.625)) * kmf + SNN_RNG_C(S, INV_6)) / npq \
                     + hf); \
            t = -kmf * kmf / (SNN_RNG_L(S, 2.0) * npq); \
            if (v < t - rho) { \
                return k; \
            } \
            if (v > t + rho) { \
                continue; \
            } \
            /* Steps 3.3-3.4: ln f(k) / f(m), rearranged so that no term grows with n. */ \
            d = k >= m ? kmf : -kmf; \
            fk = (F)k; \
            nk = (F)((snn_u64)n - (snn_u64)k + 1u); \
            n_m = (F)(n - m); \
            n_k = (F)(n - k); \
            ln_f_ratio = (n_m + hf) * snn_rng_ln_1p_##S(d / nk) \
                         - (mf + hf) * snn_rng_ln_1p_##S(d / (mf + one)) \
                         + d * snn_rng_ln_1p_##S(((nf + SNN_RNG_L(S, 2.0)) * p - (fk + one)) \
                                                 / ((fk + one) * q)) \
                         + snn_rng_stirling_fc_##S(mf) \
                         + snn_rng_stirling_fc_##S(n_m) \
                         - snn_rng_stirling_fc_##S(fk) \
                         - snn_rng_stirling_fc_##S(n_k); \
            if (v <= ln_f_ratio) { \
                return k; \
            } \
        } \
    } \
    /* Binomial for 0 < p <= 1/2: inversion from one uniform if n p < 30, else BTRD \
     * (binomial_low_p). */ \
    SNN_FN unsigned int snn_rng_binomial_low_p_##S(snn_rng *rng, unsigned int n, F p) \
    { \
        const F one = SNN_RNG_L(S, 1.0); \
        const F nf = (F)n; \
        if (nf * p < SNN_RNG_L(S, 30.0)) { \
            const F s = p / (one - p); \
            const F a = (nf + one) * s; \
            F prob = snn_exp_##S(nf * snn_rng_ln_1p_##S(-p)); \
            F cdf = prob; \
            const F u = snn_uniform_##S(rng); \
            unsigned int k = 0u; \
            while (u > cdf && k < n && k < 1000u) { \
                ++k; \
                prob *= a / (F)k - s; \
                cdf += prob; \
            } \
            return k; \
        } \
        return snn_rng_binomial_btrd_##S(rng, n, p); \
    } \
    /* Successes in n trials of probability p; n = 0 or p <= 0 or NaN: 0, p >= 1: n, \
     * both without drawing; p > 1/2: n - draw(1 - p) (binomial_impl). */ \
    SNN_FN unsigned int snn_binomial_##S(snn_rng *rng, unsigned int n, F p) \
    { \
        const F one = SNN_RNG_L(S, 1.0); \
        if (n == 0u || !(p > SNN_RNG_L(S, 0.0))) { \
            return 0u; \
        } \
        if (p >= one) { \
            return n; \
        } \
        if (p > SNN_RNG_L(S, 0.5)) { \
            return n - snn_rng_binomial_low_p_##S(rng, n, one - p); \
        } \
        return snn_rng_binomial_low_p_##S(rng, n, p); \
    }

/* Poisson in F (S: f32 or f64); needs SNN_RNG_DEF_CONTINUOUS(F, S). */
#define SNN_RNG_DEF_POISSON(F, S) \
    /* Poisson by PTRS (Hormann 1993) for lambda >= 30: U then V per attempt (poisson_ptrs). */ \
    SNN_FN unsigned int snn_rng_poisson_ptrs_##S(snn_rng *rng, F lambda) \
    { \
        const F zero = SNN_RNG_L(S, 0.0); \
        const F one = SNN_RNG_L(S, 1.0); \
        const F hf = SNN_RNG_L(S, 0.5); \
        const F slam = sqrt(lambda); \
        const F b = SNN_RNG_C(S, PTRS_B0) + SNN_RNG_C(S, PTRS_B1) * slam; \
        const F a = SNN_RNG_C(S, PTRS_A0) + SNN_RNG_C(S, PTRS_A1) * b; \
        const F inv_alpha = SNN_RNG_C(S, PTRS_IA0) + SNN_RNG_C(S, PTRS_IA1) / (b - SNN_RNG_C(S, PTRS_IA2)); \
        const F v_r = SNN_RNG_C(S, PTRS_VR0) - SNN_RNG_C(S, PTRS_VR1) / (b - SNN_RNG_L(S, 2.0)); \
        const F two_a = SNN_RNG_L(S, 2.0) * a; \
        for (;;) { \
            const F u = snn_uniform_##S(rng) - hf; \
            const F v = snn_uniform_##S(rng); \
            const F us = hf - fabs(u); \
            const F kf = floor((two_a / us + b) * u + lambda + SNN_RNG_C(S, PTRS_K0)); \
            F lhs, kp1, ln_pk; \
            if (us >= SNN_RNG_C(S, PTRS_US0) && v <= v_r) { \
                return snn_##S##_to_u32(kf); \
            } \
            if (kf < zero || (us < SNN_RNG_C(S, PTRS_US1) && v > us)) { \
                continue; \
            } \
            lhs = snn_ln_##S(v * inv_alpha / (a / (us * us) + b)); \
            kp1 = kf + one; \
            ln_pk = (kp1 - lambda) + kf * snn_rng_ln_1p_##S((lambda - kp1) / kp1) \
                    - hf * snn_ln_##S(kp1) \
                    - SNN_RNG_C(S, LN_SQRT_2PI) \
                    - snn_rng_stirling_fc_##S(kf); \
            if (lhs <= ln_pk) { \
                return snn_##S##_to_u32(kf); \
            } \
        } \
    } \
    /* Poisson of mean lambda: <= 0 or NaN: 0 without drawing, +inf: UINT_MAX; inversion \
     * from one uniform below 30, else PTRS; saturates at UINT_MAX (poisson_impl). */ \
    SNN_FN unsigned int snn_poisson_##S(snn_rng *rng, F lambda) \
    { \
        if (!(lambda > SNN_RNG_L(S, 0.0))) { \
            return 0u; \
        } \
        if (lambda == SNN_RNG_C(S, INF)) { \
            return 4294967295u; \
        } \
        if (lambda < SNN_RNG_L(S, 30.0)) { \
            const F u = snn_uniform_##S(rng); \
            unsigned int k = 0u; \
            F prob = snn_exp_##S(-lambda); \
            F cdf = prob; \
            while (u > cdf && k < 1000u) { \
                ++k; \
                prob *= lambda / (F)k; \
                cdf += prob; \
            } \
            return k; \
        } \
        return snn_rng_poisson_ptrs_##S(rng, lambda); \
    }

SNN_RNG_DEF_CONTINUOUS(float, f32)
SNN_RNG_DEF_BINOMIAL(float, f32)
SNN_RNG_DEF_POISSON(float, f32)

#ifndef SNN_NO_DOUBLE
SNN_RNG_DEF_CONTINUOUS(double, f64)
SNN_RNG_DEF_BINOMIAL(double, f64)
SNN_RNG_DEF_POISSON(double, f64)
#endif
/* ---- end of snn RNG ---- */
