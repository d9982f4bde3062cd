/* ---- snn powers, roots and logarithms (snn_kernels::cgen::PRELUDE) ----
 * exp2, log2, log10, ln_1p, powf, powi, cbrt and hypot in float and double:
 * snn_core::math::Powers' Rust code (powers.rs) with the same operations in
 * the same order (no fused multiply-add), so every backend computes the
 * same bits. Needs math.h (bit casts, snn_scale_*). Keep the two in step:
 * snn-gpu's tests compare them bit for bit. */

/* A value and its rounding error (a double word). */
typedef struct { float h, l; } snn_dw_f32;

/* a + b exactly (two-sum); for |a| >= |b| (fast two-sum). */
SNN_FN snn_dw_f32 snn_two_sum_f32(float a, float b) {
    snn_dw_f32 r;
    const float bb = (r.h = a + b) - a;
    r.l = (a - (r.h - bb)) + (b - bb);
    return r;
}
SNN_FN snn_dw_f32 snn_fast_two_sum_f32(float a, float b) {
    snn_dw_f32 r;
    r.h = a + b;
    r.l = b - (r.h - a);
    return r;
}

/* a * b exactly (Dekker, factors split by clearing their low 12 bits). */
SNN_FN snn_dw_f32 snn_two_prod_f32(float a, float b) {
    snn_dw_f32 r;
    const float ah = SNN_F32_OF(SNN_F32_BITS(a) & 0xfffff000u);
    const float bh = SNN_F32_OF(SNN_F32_BITS(b) & 0xfffff000u);
    const float al = a - ah, bl = b - bh;
    r.h = a * b;
    r.l = ((ah * bh - r.h) + ah * bl + al * bh) + al * bl;
    return r;
}

/* log2 x of a positive finite x as h + l (math::powers' log2_parts_f32). */
SNN_FN snn_dw_f32 snn_log2_parts_f32(float x) {
    const float k_hi = 2.88539f, k_lo = 3.851926e-8f, c1_hi = 9.617967e-1f, c1_lo = -7.028462e-9f;
    const bool sub = x < 1.17549435082228750797e-38f;
    const float xs = sub ? x * 16777216.0f : x;
    const unsigned int bits = SNN_F32_BITS(xs);
    const int e0 = (int)((bits >> 23) & 0xffu) - 126 - (sub ? 24 : 0);
    const float m0 = SNN_F32_OF((bits & 0x007fffffu) | 0x3f000000u);
    const bool low = m0 < 0.70710678118654752440f;
    const float e = (float)(e0 - (low ? 1 : 0));
    const float m = low ? m0 + m0 : m0;
    const float a = m - 1.0f;
    const snn_dw_f32 b = snn_two_sum_f32(m, 1.0f);
    const float s = a / b.h;
    const snn_dw_f32 p = snn_two_prod_f32(s, b.h);
    const float ds = (((a - p.h) - p.l) - s * b.l) / b.h;
    const snn_dw_f32 z = snn_two_prod_f32(s, s);
    const snn_dw_f32 t = snn_two_prod_f32(z.h, s);
    const float dt = t.l + z.l * s;
    const snn_dw_f32 h0 = snn_two_prod_f32(k_hi, s);
    const snn_dw_f32 u = snn_two_prod_f32(c1_hi, t.h);
    const float du = u.l + (c1_hi * dt + c1_lo * t.h);
    const float rest = ((((2.2195308e-1f * z.h + 2.6230818e-1f) * z.h + 3.205989e-1f) * z.h
                         + 4.1219857e-1f) * z.h + 5.7707804e-1f) * z.h * t.h;
    const snn_dw_f32 h1 = snn_two_sum_f32(h0.h, u.h);
    const float l = h1.l + (h0.l + (du + (rest + (k_hi * (ds + z.h * ds) + k_lo * s))));
    const snn_dw_f32 h2 = snn_two_sum_f32(e, h1.h);
    return snn_fast_two_sum_f32(h2.h, h2.l + l);
}

/* 2^(h + l) for |l| <= ulp(h) (math::powers' exp2_parts_f32). */
SNN_FN float snn_exp2_parts_f32(float h, float l) {
    const float hc = snn_clamp_f32(h, -152.0f, 129.0f);
    const float lc = hc == h ? l : 0.0f;
    const float big = hc + 12582912.0f;
    const float z = big - 12582912.0f;
    const int n = (int)SNN_F32_BITS(big) - 0x4b400000;
    const float r = (hc - z) + lc;
    const float q = ((((((1.5252734e-5f * r + 1.540353e-4f) * r + 1.3333558e-3f) * r
                        + 9.618129e-3f) * r + 5.550411e-2f) * r + 2.402265e-1f) * r
                     + 0.6931472f) * r;
    return snn_scale_f32(1.0f + q, n);
}

SNN_FN float snn_exp2_f32(float x) { return snn_exp2_parts_f32(x, 0.0f); }

SNN_FN float snn_log2_f32(float x) {
    const snn_dw_f32 t = snn_log2_parts_f32(x);
    const float v = t.h + t.l;
    return snn_log_specials_f32(x, v);
}

SNN_FN float snn_log10_f32(float x) {
    const snn_dw_f32 t = snn_log2_parts_f32(x);
    const snn_dw_f32 p = snn_two_prod_f32(t.h, 0.30103f);
    const float v = p.h + (p.l + (t.h * -1.4320989e-8f + t.l * 0.30103f));
    return snn_log_specials_f32(x, v);
}

SNN_FN float snn_ln_1p_f32(float x) {
    const snn_dw_f32 u = snn_two_sum_f32(1.0f, x);
    const snn_dw_f32 t = snn_log2_parts_f32(u.h);
    const float l = t.l + u.l / u.h * 1.442695f;
    const snn_dw_f32 p = snn_two_prod_f32(t.h, 0.6931472f);
    const float v = p.h + (p.l + (t.h * -1.9046542e-9f + l * 0.6931472f));
    return (x != x || x < -1.0f) ? SNN_NAN_F32
         : x == -1.0f ? -SNN_INF_F32
         : (x == SNN_INF_F32 || u.h == 1.0f) ? x : v;
}

SNN_FN float snn_powf_f32(float x, float y) {
    const float ax = fabs(x);
    const snn_dw_f32 lg = snn_log2_parts_f32(ax);
    const snn_dw_f32 w = snn_two_prod_f32(y, lg.h);
    const float p0 = snn_exp2_parts_f32(w.h, w.l + y * lg.l);
    const bool yint = trunc(y) == y;
    const bool odd = yint && trunc(0.5f * y) != 0.5f * y;
    const float edge = (ax == 0.0f) == (y < 0.0f) ? SNN_INF_F32 : 0.0f;
    const float p = (ax == 0.0f || ax == SNN_INF_F32) ? edge : p0;
    const float v = odd ? copysign(p, x) : p;
    return (y == 0.0f || x == 1.0f) ? 1.0f
         : (x != x || y != y) ? SNN_NAN_F32
         : fabs(y) == SNN_INF_F32 ? (ax == 1.0f ? 1.0f
                                     : (ax > 1.0f) == (y > 0.0f) ? SNN_INF_F32 : 0.0f)
         : (x < 0.0f && !yint && ax != SNN_INF_F32) ? SNN_NAN_F32 : v;
}

/* x^n by repeated squaring: Rust's powi (LLVM's __powisf2), bit for bit. */
SNN_FN float snn_powi_f32(float x, int n) {
    float a = x, r = 1.0f;
    int b = n;
    for (;;) {
        if (b & 1) { r *= a; }
        b /= 2;
        if (b == 0) { break; }
        a *= a;
    }
    return n < 0 ? 1.0f / r : r;
}

SNN_FN float snn_cbrt_f32(float x) {
    const float ax = fabs(x);
    const bool sub = ax < 1.17549435082228750797e-38f;
    const float xs = sub ? ax * 16777216.0f : ax;
    const unsigned int bits = SNN_F32_BITS(xs);
    const int e = (int)((bits >> 23) & 0xffu) - 127;
    const int q = (e + 381) / 3 - 127;
    const float m = SNN_F32_OF((bits & 0x007fffffu) | ((unsigned int)(127 + e - 3 * q) << 23));
    float y = ((1.627495e-3f * m - 3.402605e-2f) * m + 3.288365e-1f) * m + 7.167346e-1f;
    y = (y + y + m / (y * y)) * 0.33333334f;
    y = (y + y + m / (y * y)) * 0.33333334f;
    const snn_dw_f32 p = snn_two_prod_f32(y, y);
    const snn_dw_f32 c = snn_two_prod_f32(p.h, y);
    const float dc = c.l + p.l * y;
    y = y + ((m - c.h) - dc) / (3.0f * p.h);
    const float r = copysign(snn_scale_f32(y, q - (sub ? 8 : 0)), x);
    return (ax == 0.0f || ax == SNN_INF_F32 || x != x) ? x : r;
}

SNN_FN float snn_hypot_f32(float x, float y) {
    const float ax = fabs(x), ay = fabs(y);
    const float big = ax > ay ? ax : ay;
    const float small = ax > ay ? ay : ax;
    const int e = (int)((SNN_F32_BITS(big) >> 23) & 0xffu) - 127;
    const float b = snn_scale_f32(big, -e), s = snn_scale_f32(small, -e);
    const snn_dw_f32 bb = snn_two_prod_f32(b, b);
    const snn_dw_f32 ss = snn_two_prod_f32(s, s);
    const snn_dw_f32 t = snn_two_sum_f32(bb.h, ss.h);
    const float dt = t.l + (bb.l + ss.l);
    const float r0 = sqrt(t.h);
    const snn_dw_f32 rr = snn_two_prod_f32(r0, r0);
    const float r = r0 + (((t.h - rr.h) - rr.l) + dt) / (r0 + r0);
    const float v = snn_scale_f32(r, e);
    return (ax == SNN_INF_F32 || ay == SNN_INF_F32) ? SNN_INF_F32
         : (x != x || y != y) ? SNN_NAN_F32
         : big == 0.0f ? 0.0f : v;
}

#ifndef SNN_NO_DOUBLE
typedef struct { double h, l; } snn_dw_f64;

SNN_FN snn_dw_f64 snn_two_sum_f64(double a, double b) {
    snn_dw_f64 r;
    const double bb = (r.h = a + b) - a;
    r.l = (a - (r.h - bb)) + (b - bb);
    return r;
}
SNN_FN snn_dw_f64 snn_fast_two_sum_f64(double a, double b) {
    snn_dw_f64 r;
    r.h = a + b;
    r.l = b - (r.h - a);
    return r;
}

/* a * b (Dekker, factors split by clearing their low 27 bits). */
SNN_FN snn_dw_f64 snn_two_prod_f64(double a, double b) {
    snn_dw_f64 r;
    const snn_u64 mask = ~(((snn_u64)1u << 27) - 1u);
    const double ah = SNN_F64_OF(SNN_F64_BITS(a) & mask);
    const double bh = SNN_F64_OF(SNN_F64_BITS(b) & mask);
    const double al = a - ah, bl = b - bh;
    r.h = a * b;
    r.l = ((ah * bh - r.h) + ah * bl + al * bh) + al * bl;
    return r;
}

SNN_FN snn_dw_f64 snn_log2_parts_f64(double x) {
    const double k_hi = 2.8853900817779268, k_lo = 4.0710547481862066e-17;
    const double c1_hi = 0.9617966939259756, c1_lo = 5.0577616648125907e-17;
    const bool sub = x < 2.2250738585072014e-308;
    const double xs = sub ? x * 18014398509481984.0 : x;
    const snn_u64 bits = SNN_F64_BITS(xs);
    const int e0 = (int)((bits >> 52) & 0x7ffu) - 1022 - (sub ? 54 : 0);
    const double m0 = SNN_F64_OF((bits & (((snn_u64)1u << 52) - 1u)) | ((snn_u64)0x3feu << 52));
    const bool low = m0 < 0.7071067811865476;
    const double e = (double)(e0 - (low ? 1 : 0));
    const double m = low ? m0 + m0 : m0;
    const double a = m - 1.0;
    const snn_dw_f64 b = snn_two_sum_f64(m, 1.0);
    const double s = a / b.h;
    const snn_dw_f64 p = snn_two_prod_f64(s, b.h);
    const double ds = (((a - p.h) - p.l) - s * b.l) / b.h;
    const snn_dw_f64 z = snn_two_prod_f64(s, s);
    const snn_dw_f64 t = snn_two_prod_f64(z.h, s);
    const double dt = t.l + z.l * s;
    const snn_dw_f64 h0 = snn_two_prod_f64(k_hi, s);
    const snn_dw_f64 u = snn_two_prod_f64(c1_hi, t.h);
    const double du = u.l + (c1_hi * dt + c1_lo * t.h);
    const double zz = z.h;
    const double rest = (((((((((0.12545174268599682 * zz + 0.1373995277037108) * zz
                                + 0.15186263588304877) * zz + 0.16972882833987804) * zz
                              + 0.19235933878519512) * zz + 0.22195308321368667) * zz
                            + 0.2623081892525388) * zz + 0.3205988979753252) * zz
                          + 0.4121985831111324) * zz + 0.5770780163555853) * zz * t.h;
    const snn_dw_f64 h1 = snn_two_sum_f64(h0.h, u.h);
    const double l = h1.l + (h0.l + (du + (rest + (k_hi * (ds + zz * ds) + k_lo * s))));
    const snn_dw_f64 h2 = snn_two_sum_f64(e, h1.h);
    return snn_fast_two_sum_f64(h2.h, h2.l + l);
}

SNN_FN double snn_exp2_parts_f64(double h, double l) {
    const double hc = snn_clamp_f64(h, -1077.0, 1025.0);
    const double lc = hc == h ? l : 0.0;
    const double big = hc + 6755399441055744.0;
    const double z = big - 6755399441055744.0;
    const int n = (int)(unsigned int)(SNN_F64_BITS(big) & 0xffffffffu);
    const double r = (hc - z) + lc;
    const double q = ((((((((((((1.3691488853904128e-12 * r + 2.5678435993488206e-11) * r
                               + 4.4455382718708116e-10) * r + 7.054911620801123e-9) * r
                             + 1.01780860092397e-7) * r + 1.321548679014431e-6) * r
                           + 1.5252733804059841e-5) * r + 1.540353039338161e-4) * r
                         + 1.3333558146428443e-3) * r + 9.618129107628477e-3) * r
                       + 5.550410866482158e-2) * r + 2.4022650695910072e-1) * r
                     + 0.6931471805599453) * r;
    return snn_scale_f64(1.0 + q, n);
}

SNN_FN double snn_exp2_f64(double x) { return snn_exp2_parts_f64(x, 0.0); }

SNN_FN double snn_log2_f64(double x) {
    const snn_dw_f64 t = snn_log2_parts_f64(x);
    const double v = t.h + t.l;
    return snn_log_specials_f64(x, v);
}

SNN_FN double snn_log10_f64(double x) {
    const snn_dw_f64 t = snn_log2_parts_f64(x);
    const snn_dw_f64 p = snn_two_prod_f64(t.h, 0.3010299956639812);
    const double v = p.h + (p.l + (t.h * -2.8037281277851704e-18 + t.l * 0.3010299956639812));
    return snn_log_specials_f64(x, v);
}

SNN_FN double snn_ln_1p_f64(double x) {
    const snn_dw_f64 u = snn_two_sum_f64(1.0, x);
    const snn_dw_f64 t = snn_log2_parts_f64(u.h);
    const double l = t.l + u.l / u.h * 1.4426950408889634;
    const snn_dw_f64 p = snn_two_prod_f64(t.h, 0.6931471805599453);
    const double v = p.h + (p.l + (t.h * 2.3190468138462996e-17 + l * 0.6931471805599453));
    return (x != x || x < -1.0) ? SNN_NAN_F64
         : x == -1.0 ? -SNN_INF_F64
         : (x == SNN_INF_F64 || u.h == 1.0) ? x : v;
}

SNN_FN double snn_powf_f64(double x, double y) {
    const double ax = fabs(x);
    const snn_dw_f64 lg = snn_log2_parts_f64(ax);
    const snn_dw_f64 w = snn_two_prod_f64(y, lg.h);
    const double p0 = snn_exp2_parts_f64(w.h, w.l + y * lg.l);
    const bool yint = trunc(y) == y;
    const bool odd = yint && trunc(0.5 * y) != 0.5 * y;
    const double edge = (ax == 0.0) == (y < 0.0) ? SNN_INF_F64 : 0.0;
    const double p = (ax == 0.0 || ax == SNN_INF_F64) ? edge : p0;
    const double v = odd ? copysign(p, x) : p;
    return (y == 0.0 || x == 1.0) ? 1.0
         : (x != x || y != y) ? SNN_NAN_F64
         : fabs(y) == SNN_INF_F64 ? (ax == 1.0 ? 1.0
                                     : (ax > 1.0) == (y > 0.0) ? SNN_INF_F64 : 0.0)
         : (x < 0.0 && !yint && ax != SNN_INF_F64) ? SNN_NAN_F64 : v;
}

/* x^n by repeated squaring: Rust's powi (LLVM's __powidf2), bit for bit. */
SNN_FN double snn_powi_f64(double x, int n) {
    double a = x, r = 1.0;
    int b = n;
    for (;;) {
        if (b & 1) { r *= a; }
        b /= 2;
        if (b == 0) { break; }
        a *= a;
    }
    return n < 0 ? 1.0 / r : r;
}

SNN_FN double snn_cbrt_f64(double x) {
    const double ax = fabs(x);
    const bool sub = ax < 2.2250738585072014e-308;
    const double xs = sub ? ax * 18014398509481984.0 : ax;
    const snn_u64 bits = SNN_F64_BITS(xs);
    const int e = (int)((bits >> 52) & 0x7ffu) - 1023;
    const int q = (e + 3069) / 3 - 1023;
    const double m = SNN_F64_OF((bits & (((snn_u64)1u << 52) - 1u))
                                | ((snn_u64)(1023 + e - 3 * q) << 52));
    double y = ((1.627495e-3 * m - 3.402605e-2) * m + 3.288365e-1) * m + 7.167346e-1;
    y = (y + y + m / (y * y)) * 0.3333333333333333;
    y = (y + y + m / (y * y)) * 0.3333333333333333;
    y = (y + y + m / (y * y)) * 0.3333333333333333;
    const snn_dw_f64 p = snn_two_prod_f64(y, y);
    const snn_dw_f64 c = snn_two_prod_f64(p.h, y);
    const double dc = c.l + p.l * y;
    y = y + ((m - c.h) - dc) / (3.0 * p.h);
    const double r = copysign(snn_scale_f64(y, q - (sub ? 18 : 0)), x);
    return (ax == 0.0 || ax == SNN_INF_F64 || x != x) ? x : r;
}

SNN_FN double snn_hypot_f64(double x, double y) {
    const double ax = fabs(x), ay = fabs(y);
    const double big = ax > ay ? ax : ay;
    const double small = ax > ay ? ay : ax;
    const int e = (int)((SNN_F64_BITS(big) >> 52) & 0x7ffu) - 1023;
    const double b = snn_scale_f64(big, -e), s = snn_scale_f64(small, -e);
    const snn_dw_f64 bb = snn_two_prod_f64(b, b);
    const snn_dw_f64 ss = snn_two_prod_f64(s, s);
    const snn_dw_f64 t = snn_two_sum_f64(bb.h, ss.h);
    const double dt = t.l + (bb.l + ss.l);
    const double r0 = sqrt(t.h);
    const snn_dw_f64 rr = snn_two_prod_f64(r0, r0);
    const double r = r0 + (((t.h - rr.h) - rr.l) + dt) / (r0 + r0);
    const double v = snn_scale_f64(r, e);
    return (ax == SNN_INF_F64 || ay == SNN_INF_F64) ? SNN_INF_F64
         : (x != x || y != y) ? SNN_NAN_F64
         : big == 0.0 ? 0.0 : v;
}
#endif
/* ---- end of snn powers, roots and logarithms ---- */
