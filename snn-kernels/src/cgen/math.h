/* ---- snn elementary functions (snn_kernels::cgen::PRELUDE) ----
 * exp, exp_m1 and ln in float and double, and the cosines of the random
 * draws' Box-Muller transform: snn_core::math's Rust code with the
 * same operations in the same order (no fused multiply-add: the hosts
 * compile with contraction off), so every backend computes the same bits.
 * Keep the two in step: snn-gpu's tests compare them bit for bit. */
#if defined(__OPENCL_VERSION__)
#define SNN_F32_BITS(x) as_uint(x)
#define SNN_F32_OF(b) as_float(b)
#elif defined(__CUDACC__)
#define SNN_F32_BITS(x) __float_as_uint(x)
#define SNN_F32_OF(b) __uint_as_float(b)
#else
SNN_FN unsigned int snn_f32_bits(float x) { union { float f; unsigned int u; } v; v.f = x; return v.u; }
SNN_FN float snn_f32_of(unsigned int b) { union { float f; unsigned int u; } v; v.u = b; return v.f; }
#define SNN_F32_BITS(x) snn_f32_bits(x)
#define SNN_F32_OF(b) snn_f32_of(b)
#endif

/* 2^k for -126 <= k <= 127; y * 2^n for |n| <= 252, rounded once. */
SNN_FN float snn_pow2_f32(int k) { return SNN_F32_OF((unsigned int)(k + 127) << 23); }
SNN_FN float snn_scale_f32(float y, int n) {
    const int n1 = n / 2;
    return y * snn_pow2_f32(n1) * snn_pow2_f32(n - n1);
}

SNN_FN float snn_exp_f32(float x) {
    const float maxlog = 88.72284f, minlog = -103.97208f;
    const float xc = snn_clamp_f32(x, minlog, maxlog);
    /* round(x / ln 2), ties to even (Rust reads n from the sum's bits) */
    const float big = 1.442695f * xc + 12582912.0f;
    const float z = big - 12582912.0f;
    const int n = (int)z;
    float r = xc - z * 0.6933594f;
    r = r - z * -2.1219444e-4f;
    const float rr = r * r;
    const float p = ((((1.9875691e-4f * r + 1.39819995e-3f) * r + 8.333452e-3f) * r
                      + 4.1665796e-2f) * r + 1.6666665e-1f) * r + 0.5f;
    const float y = p * rr + r + 1.0f;
    const float e = snn_scale_f32(y, n);
    return x > maxlog ? SNN_INF_F32 : x < minlog ? 0.0f : e;
}

SNN_FN float snn_exp_m1_f32(float x) {
    const float p = (((((((2.7557319e-6f * x + 2.4801587e-5f) * x + 1.984127e-4f) * x
                         + 1.3888889e-3f) * x + 8.33333333e-3f) * x + 4.1666667e-2f) * x
                      + 1.6666667e-1f) * x + 0.5f) * (x * x);
    const float small = x + p;
    const float large = snn_exp_f32(x) - 1.0f;
    return x == 0.0f ? x : (x >= -0.5f && x <= 0.5f) ? small : large;
}

/* ln of a positive normal finite float (snn_core::math::ln_f32; the f32
 * Box-Muller transform of rng.h). */
SNN_FN float snn_ln_normal_f32(float x) {
    const unsigned int bits = SNN_F32_BITS(x);
    const int e0 = (int)((bits >> 23) & 0xffu) - 126;
    const float m = SNN_F32_OF((bits & 0x007fffffu) | 0x3f000000u);
    const bool low = m < 0.70710678118654752440f;
    const float e = (float)(e0 - (low ? 1 : 0));
    const float f = low ? m + m - 1.0f : m - 1.0f;
    const float z = f * f;
    float y = 7.0376836e-2f;
    y = y * f - 1.151461e-1f;
    y = y * f + 1.1676999e-1f;
    y = y * f - 1.2420141e-1f;
    y = y * f + 1.4249323e-1f;
    y = y * f - 1.6668058e-1f;
    y = y * f + 2.0000715e-1f;
    y = y * f - 2.4999994e-1f;
    y = y * f + 3.333333e-1f;
    y = y * f * z;
    y += -2.1219444e-4f * e;
    y += -0.5f * z;
    return (f + y) + 0.6933594f * e;
}

/* v, a logarithm computed for a positive finite x, with the special values
 * of Rust's logarithms (math::log_specials_f32). */
SNN_FN float snn_log_specials_f32(float x, float v) {
    return (x != x || x < 0.0f) ? SNN_NAN_F32
         : x == 0.0f ? -SNN_INF_F32
         : x == SNN_INF_F32 ? x : v;
}

SNN_FN float snn_ln_f32(float x) {
    const bool sub = x < 1.17549435082228750797e-38f;
    const float xs = sub ? x * 33554432.0f : x;
    const float l = snn_ln_normal_f32(xs) - (sub ? 17.32868f : 0.0f);
    return snn_log_specials_f32(x, l);
}

/* The cosine of the Box-Muller transform, for |x| < 8192
 * (math::cos_box_muller_f32: Cephes' cosf, a three-part reduction;
 * math_trig.h's snn_cos_f32 is the general cosine). */
SNN_FN float snn_cos_box_muller_f32(float x)
{
    const float ax = fabs(x);
    unsigned int j = snn_f32_to_u32(ax * 1.2732395f);
    float y, r, z, sn, cs, v;
    j += j & 1u;
    y = (float)j;
    j &= 7u;
    r = ((ax - y * 0.78515625f) - y * 2.4187565e-4f) - y * 3.774895e-8f;
    z = r * r;
    sn = ((-1.9515296e-4f * z + 8.332161e-3f) * z - 1.6666655e-1f) * z * r + r;
    cs = ((2.4433157e-5f * z - 1.3887316e-3f) * z + 4.1666646e-2f) * z * z - 0.5f * z + 1.0f;
    v = (j == 2u || j == 6u) ? sn : cs;
    return (j == 2u || j == 4u) ? -v : v;
}

#ifndef SNN_NO_DOUBLE
#if defined(__OPENCL_VERSION__)
#define SNN_F64_BITS(x) as_ulong(x)
#define SNN_F64_OF(b) as_double(b)
#elif defined(__CUDACC__)
#define SNN_F64_BITS(x) ((snn_u64)__double_as_longlong(x))
#define SNN_F64_OF(b) __longlong_as_double((long long)(b))
#else
SNN_FN snn_u64 snn_f64_bits(double x) { union { double f; snn_u64 u; } v; v.f = x; return v.u; }
SNN_FN double snn_f64_of(snn_u64 b) { union { double f; snn_u64 u; } v; v.u = b; return v.f; }
#define SNN_F64_BITS(x) snn_f64_bits(x)
#define SNN_F64_OF(b) snn_f64_of(b)
#endif

/* 2^k for -1022 <= k <= 1023; y * 2^n for |n| <= 2044, rounded once. */
SNN_FN double snn_pow2_f64(int k) { return SNN_F64_OF((snn_u64)(k + 1023) << 52); }
SNN_FN double snn_scale_f64(double y, int n) {
    const int n1 = n / 2;
    return y * snn_pow2_f64(n1) * snn_pow2_f64(n - n1);
}

SNN_FN double snn_exp_f64(double x) {
    const double maxlog = 709.782712893384, minlog = -745.1332191019411;
    const double xc = snn_clamp_f64(x, minlog, maxlog);
    const double big = 1.4426950408889634 * xc + 6755399441055744.0;
    const double px = big - 6755399441055744.0;
    const int n = (int)px;
    double r = xc - px * 6.93145751953125e-1;
    r = r - px * 1.4286068203094172e-6;
    const double rr = r * r;
    const double p = r * ((1.2617719307481059e-4 * rr + 3.0299440770744196e-2) * rr + 1.0);
    const double q = ((3.0019850513866446e-6 * rr + 2.524483403496841e-3) * rr
                      + 2.2726554820815503e-1) * rr + 2.0;
    const double y = 1.0 + 2.0 * (p / (q - p));
    const double e = snn_scale_f64(y, n);
    return x > maxlog ? SNN_INF_F64 : x < minlog ? 0.0 : e;
}

SNN_FN double snn_exp_m1_f64(double x) {
    const double ln2_hi = 6.9314718036912382e-1, ln2_lo = 1.9082149292705877e-10;
    const double ax = fabs(x);
    if (x != x) return x;
    if (x > 7.0978271289338397e2) return SNN_INF_F64;
    if (x < -38.816242111356935) return -1.0;
    if (ax < 5.551115123125783e-17) return x;
    int k = 0;
    double r = x, c = 0.0;
    if (ax > 0.34657359027997265) {
        if (ax < 1.0397207708399179) {
            k = x > 0.0 ? 1 : -1;
        } else {
            k = (int)(1.4426950408889634 * x + (x > 0.0 ? 0.5 : -0.5));
        }
        const double t = (double)k;
        const double hi = x - t * ln2_hi;
        const double lo = t * ln2_lo;
        r = hi - lo;
        c = (hi - r) - lo;
    }
    const double hfx = 0.5 * r;
    const double hxs = r * hfx;
    const double r1 = 1.0 + hxs * (-3.333333333333313e-2 + hxs * (1.5873015872548146e-3
                      + hxs * (-7.936507578674879e-5 + hxs * (4.0082178273293624e-6
                      + hxs * -2.0109921818362437e-7))));
    const double t = 3.0 - r1 * hfx;
    double e = hxs * ((r1 - t) / (6.0 - r * t));
    if (k == 0) return r - (r * e - hxs);
    e = (r * (e - c) - c) - hxs;
    if (k == -1) return 0.5 * (r - e) - 0.5;
    if (k == 1) return r < -0.25 ? -2.0 * (e - (r + 0.5)) : 1.0 + 2.0 * (r - e);
    if (k <= -2 || k > 56) return snn_scale_f64(1.0 - (e - r), k) - 1.0;
    if (k < 20) return snn_scale_f64((1.0 - snn_pow2_f64(-k)) - (e - r), k);
    return snn_scale_f64((r - (e + snn_pow2_f64(-k))) + 1.0, k);
}

/* math::log_specials_f64 (see snn_log_specials_f32). */
SNN_FN double snn_log_specials_f64(double x, double v) {
    return (x != x || x < 0.0) ? SNN_NAN_F64
         : x == 0.0 ? -SNN_INF_F64
         : x == SNN_INF_F64 ? x : v;
}

SNN_FN double snn_ln_f64(double x) {
    const bool sub = x < 2.2250738585072014e-308;
    const double xs = sub ? x * 18014398509481984.0 : x;
    const snn_u64 bits = SNN_F64_BITS(xs);
    const int e0 = (int)((bits >> 52) & 0x7ffu) - 1022 - (sub ? 54 : 0);
    const double m = SNN_F64_OF((bits & (((snn_u64)1u << 52) - 1u)) | ((snn_u64)0x3feu << 52));
    const bool low = m < 0.7071067811865476;
    const double e = (double)(e0 - (low ? 1 : 0));
    const double f = low ? m + m - 1.0 : m - 1.0;
    const double z = f * f;
    const double p = ((((1.0187566380458093e-4 * f + 4.97494994976747e-1) * f
                        + 4.705791198788817) * f + 1.4498922534161093e1) * f
                      + 1.7936867850781982e1) * f + 7.708387337558854;
    const double q = ((((f + 1.1287358718916745e1) * f + 4.522791458375322e1) * f
                       + 8.298752669127766e1) * f + 7.115447506185639e1) * f
                     + 2.3125162012676534e1;
    double y = f * (z * p / q);
    y = y - e * 2.1219444005469058e-4;
    y = y - 0.5 * z;
    const double l = (f + y) + e * 0.693359375;
    return snn_log_specials_f64(x, l);
}

/* The cosine of the f64 Box-Muller transform, for |x| < 2^30
 * (math::cos_box_muller_f64, Cephes' cos). */
SNN_FN double snn_cos_box_muller_f64(double x)
{
    const double ax = fabs(x);
    snn_u64 j = snn_f64_to_u64(ax * 1.27323954473516268615);
    double y, r, z, sn, cs, v;
    j += j & 1u;
    y = (double)j;
    j &= 7u;
    r = ((ax - y * 7.85398125648498535156e-1) - y * 3.77489470793079817668e-8)
        - y * 2.69515142907905952645e-15;
    z = r * r;
    sn = (((((1.58962301576546568060e-10 * z - 2.50507477628578072866e-8) * z
             + 2.75573136213857245213e-6) * z - 1.98412698295895385996e-4) * z
           + 8.33333333332211858878e-3) * z - 1.66666666666666307295e-1) * z * r + r;
    cs = (((((-1.13585365213876817300e-11 * z + 2.08757008419747316778e-9) * z
             - 2.75573141792967388112e-7) * z + 2.48015872888517045348e-5) * z
           - 1.38888888888730564116e-3) * z + 4.16666666666665929218e-2) * z * z
         - 0.5 * z + 1.0;
    v = (j == 2u || j == 6u) ? sn : cs;
    return (j == 2u || j == 4u) ? -v : v;
}
#endif
/* ---- end of snn elementary functions ---- */
