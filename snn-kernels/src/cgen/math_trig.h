/* ---- snn circular and hyperbolic functions (snn_kernels::cgen::PRELUDE) ----
 * sin, cos, tan, asin, acos, atan, atan2, sinh, cosh and tanh in float and
 * double: snn_core::math::Trig's and Hyperbolic's Rust code (trig.rs,
 * hyperbolic.rs) with the same operations in the same order (no fused
 * multiply-add), so every backend computes the same bits. Cephes'
 * algorithms (S. Moshier); sin, cos and tan reduce by pi/4 in four parts
 * and give NaN beyond |x| = 2^23 (float) or 2^52 (double). Needs math.h
 * (bit casts, snn_exp_*, snn_exp_m1_f64). Keep the two in step: snn-gpu's
 * tests compare them bit for bit. */

/* v with its sign bit flipped where x's is set. */
SNN_FN float snn_xor_sign_f32(float v, float x) {
    return SNN_F32_OF(SNN_F32_BITS(v) ^ (SNN_F32_BITS(x) & 0x80000000u));
}

/* r = ax - j pi/4 for ax >= 0, j even (math::trig's reduce_f32); returns j & 7. */
SNN_FN unsigned int snn_trig_reduce_f32(float ax, float *r) {
    unsigned int j = snn_f32_to_u32(ax * 1.2732395f);
    j += j & 1u;
    const float y = (float)j;
    *r = (((ax - y * 0.785400390625f) - y * -2.226792275905609e-6f)
          - y * -4.353069016360678e-10f) - y * 3.111685984834994e-14f;
    return j & 7u;
}

/* sin r and cos r for |r| <= pi/4, z = r^2. */
SNN_FN float snn_sin_poly_f32(float r, float z) {
    return ((-1.9515296e-4f * z + 8.332161e-3f) * z - 1.6666655e-1f) * z * r + r;
}
SNN_FN float snn_cos_poly_f32(float z) {
    return ((2.4433157e-5f * z - 1.3887316e-3f) * z + 4.1666646e-2f) * z * z - 0.5f * z + 1.0f;
}

SNN_FN float snn_sin_f32(float x) {
    const float ax = fabs(x);
    float r;
    const unsigned int j = snn_trig_reduce_f32(ax, &r);
    const float z = r * r;
    const float v0 = (j & 2u) != 0u ? snn_cos_poly_f32(z) : snn_sin_poly_f32(r, z);
    const float v1 = (j & 4u) != 0u ? -v0 : v0;
    const float v = snn_xor_sign_f32(v1, x);
    return ax <= 8388608.0f ? v : SNN_NAN_F32;
}

SNN_FN float snn_cos_f32(float x) {
    const float ax = fabs(x);
    float r;
    const unsigned int j = snn_trig_reduce_f32(ax, &r);
    const float z = r * r;
    const float v0 = (j == 2u || j == 6u) ? snn_sin_poly_f32(r, z) : snn_cos_poly_f32(z);
    const float v = (j == 2u || j == 4u) ? -v0 : v0;
    return ax <= 8388608.0f ? v : SNN_NAN_F32;
}

SNN_FN float snn_tan_f32(float x) {
    const float ax = fabs(x);
    float r;
    const unsigned int j = snn_trig_reduce_f32(ax, &r);
    const float z = r * r;
    const float s = (((((9.38540185543e-3f * z + 3.11992232697e-3f) * z + 2.44301354525e-2f) * z
                       + 5.34112807005e-2f) * z + 1.33387994085e-1f) * z + 3.33331568548e-1f)
                    * z * r;
    const float t = s + r;
    const float e = s - (t - r);
    const float u = -1.0f / t;
    const float v0 = (j & 2u) != 0u ? u + u * (u * e) : t;
    const float v = snn_xor_sign_f32(v0, x);
    return ax <= 8388608.0f ? v : SNN_NAN_F32;
}

/* asin s for 0 <= s <= 1/2, z = s^2. */
SNN_FN float snn_asin_poly_f32(float s, float z) {
    return ((((4.2163199048e-2f * z + 2.4181311049e-2f) * z + 4.5470025998e-2f) * z
             + 7.4953002686e-2f) * z + 1.6666752422e-1f) * z * s + s;
}

SNN_FN float snn_asin_f32(float x) {
    const float a = fabs(x);
    const bool big = a > 0.5f;
    const float zb = 0.5f * (1.0f - a);
    const float z = big ? zb : a * a;
    const float s = big ? sqrt(zb) : a;
    const float p = snn_asin_poly_f32(s, z);
    const float v0 = big ? 1.5707964f - (p + p) : p;
    const float v = snn_xor_sign_f32(v0, x);
    return a <= 1.0f ? v : SNN_NAN_F32;
}

SNN_FN float snn_acos_f32(float x) {
    const bool low = x < -0.5f;
    const bool high = x > 0.5f;
    const float zl = 0.5f * (1.0f + x);
    const float zh = 0.5f * (1.0f - x);
    const float s = low ? sqrt(zl) : high ? sqrt(zh) : x;
    const float p = snn_asin_poly_f32(s, s * s);
    const float v = low ? 3.1415927f - 2.0f * p : high ? 2.0f * p : 1.5707964f - p;
    return fabs(x) <= 1.0f ? v : SNN_NAN_F32;
}

/* atan a for a >= 0 or NaN. */
SNN_FN float snn_atan_abs_f32(float a) {
    const bool big = a > 2.414213562373095f;
    const bool mid = a > 0.414213562373095f;
    const float t = big ? -(1.0f / a) : mid ? (a - 1.0f) / (a + 1.0f) : a;
    const float y = big ? 1.5707964f : mid ? 0.7853982f : 0.0f;
    const float more = big ? -4.371139e-8f : mid ? -2.1855695e-8f : 0.0f;
    const float z = t * t;
    return y + (((((8.05374449538e-2f * z - 1.38776856032e-1f) * z + 1.99777106478e-1f) * z
                  - 3.33329491539e-1f) * z * t + t) + more);
}

SNN_FN float snn_atan_f32(float x) { return snn_xor_sign_f32(snn_atan_abs_f32(fabs(x)), x); }

SNN_FN float snn_atan2_f32(float y, float x) {
    const bool xneg = (SNN_F32_BITS(x) >> 31) != 0u;
    const bool zeros = y == 0.0f && x == 0.0f;
    const bool infs = fabs(y) == SNN_INF_F32 && fabs(x) == SNN_INF_F32;
    const float q = zeros ? snn_xor_sign_f32(snn_xor_sign_f32(0.0f, y), x)
                  : infs ? snn_xor_sign_f32(snn_xor_sign_f32(1.0f, y), x)
                  : y / x;
    const float a = snn_atan_f32(q);
    const float w = snn_xor_sign_f32(3.1415927f, y);
    return xneg ? w + a : a;
}

SNN_FN float snn_sinh_f32(float x) {
    const float a = fabs(x);
    const float z = a * a;
    const float small = ((2.03721912945e-4f * z + 8.33028376239e-3f) * z + 1.66667160211e-1f)
                        * z * a + a;
    const float e = snn_exp_f32(a);
    const float mid = 0.5f * e - 0.5f / e;
    const float h = snn_exp_f32(0.5f * a);
    const float big = (0.5f * h) * h;
    const float v = a >= 88.02969f ? big : a > 1.0f ? mid : small;
    return snn_xor_sign_f32(v, x);
}

SNN_FN float snn_cosh_f32(float x) {
    const float a = fabs(x);
    const float e = snn_exp_f32(a);
    const float mid = 0.5f * e + 0.5f / e;
    const float h = snn_exp_f32(0.5f * a);
    const float big = (0.5f * h) * h;
    return a >= 88.02969f ? big : mid;
}

SNN_FN float snn_tanh_f32(float x) {
    const float a = fabs(x);
    const float z = a * a;
    const float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f)
                          * z + 1.33314422036e-1f) * z - 3.33332819422e-1f) * z * a + a;
    const float big = 1.0f - 2.0f / (snn_exp_f32(a + a) + 1.0f);
    const float v = a >= 0.625f ? big : small;
    return snn_xor_sign_f32(v, x);
}

#ifndef SNN_NO_DOUBLE
SNN_FN double snn_xor_sign_f64(double v, double x) {
    return SNN_F64_OF(SNN_F64_BITS(v) ^ (SNN_F64_BITS(x) & ((snn_u64)1u << 63)));
}

/* r = ax - j pi/4 (math::trig's reduce_f64); returns j & 7. */
SNN_FN snn_u64 snn_trig_reduce_f64(double ax, double *r) {
    snn_u64 j = snn_f64_to_u64(ax * 1.27323954473516268615);
    j += j & 1u;
    const double y = (double)j;
    *r = (((ax - y * 7.853981629014015e-1) - y * 4.960467869796759e-10)
          - y * 2.8605943548317875e-18) - y * 8.223128468162129e-27;
    return j & 7u;
}

SNN_FN double snn_sin_poly_f64(double r, double z) {
    return (((((1.58962301576546568060e-10 * z - 2.50507477628578072866e-8) * z
               + 2.75573136213857245213e-6) * z - 1.98412698295895385996e-4) * z
             + 8.33333333332211858878e-3) * z - 1.66666666666666307295e-1) * z * r + r;
}
SNN_FN double snn_cos_poly_f64(double z) {
    return (((((-1.13585365213876817300e-11 * z + 2.08757008419747316778e-9) * z
               - 2.75573141792967388112e-7) * z + 2.48015872888517045348e-5) * z
             - 1.38888888888730564116e-3) * z + 4.16666666666665929218e-2) * z * z
           - 0.5 * z + 1.0;
}

SNN_FN double snn_sin_f64(double x) {
    const double ax = fabs(x);
    double r;
    const snn_u64 j = snn_trig_reduce_f64(ax, &r);
    const double z = r * r;
    const double v0 = (j & 2u) != 0u ? snn_cos_poly_f64(z) : snn_sin_poly_f64(r, z);
    const double v1 = (j & 4u) != 0u ? -v0 : v0;
    const double v = snn_xor_sign_f64(v1, x);
    return ax <= 4503599627370496.0 ? v : SNN_NAN_F64;
}

SNN_FN double snn_cos_f64(double x) {
    const double ax = fabs(x);
    double r;
    const snn_u64 j = snn_trig_reduce_f64(ax, &r);
    const double z = r * r;
    const double v0 = (j == 2u || j == 6u) ? snn_sin_poly_f64(r, z) : snn_cos_poly_f64(z);
    const double v = (j == 2u || j == 4u) ? -v0 : v0;
    return ax <= 4503599627370496.0 ? v : SNN_NAN_F64;
}

SNN_FN double snn_tan_f64(double x) {
    const double ax = fabs(x);
    double r;
    const snn_u64 j = snn_trig_reduce_f64(ax, &r);
    const double z = r * r;
    const double p = ((-1.30936939181383777646e4 * z + 1.15351664838587416140e6) * z
                      - 1.79565251976484877988e7) * z;
    const double q = (((z + 1.36812963470692954678e4) * z - 1.32089234440210967447e6) * z
                      + 2.50083801823357915839e7) * z - 5.38695755929454629881e7;
    const double s = r * (p / q);
    const double t = r + s;
    const double e = s - (t - r);
    const double u = -1.0 / t;
    const double v0 = (j & 2u) != 0u ? u + u * (u * e) : t;
    const double v = snn_xor_sign_f64(v0, x);
    return ax <= 4503599627370496.0 ? v : SNN_NAN_F64;
}

SNN_FN double snn_asin_f64(double x) {
    const double morebits = 6.123233995736765886130e-17;
    const double a = fabs(x);
    const double w = 1.0 - a;
    const double p = w
        * ((((2.967721961301243206100e-3 * w - 5.634242780008963776856e-1) * w
             + 6.968710824104713396794e0) * w - 2.556901049652824852289e1) * w
           + 2.853665548261061424989e1)
        / ((((w - 2.194779531642920639778e1) * w + 1.470656354026814941758e2) * w
            - 3.838770957603691357202e2) * w + 3.424398657913078477438e2);
    const double s = sqrt(w + w);
    const double big = ((7.85398163397448309616e-1 - s) - (s * p - morebits))
                       + 7.85398163397448309616e-1;
    const double z = a * a;
    const double r = z
        * (((((4.253011369004428248960e-3 * z - 6.019598008014123785661e-1) * z
              + 5.444622390564711410273e0) * z - 1.626247967210700244449e1) * z
            + 1.956261983317594739197e1) * z - 8.198089802484824371615e0)
        / (((((z - 1.474091372988853791896e1) * z + 7.049610280856842141659e1) * z
             - 1.471791292232726029859e2) * z + 1.395105614657485689735e2) * z
           - 4.918853881490881290097e1);
    const double small = a * r + a;
    const double v0 = a > 0.625 ? big : small;
    const double v = snn_xor_sign_f64(v0, x);
    return a <= 1.0 ? v : SNN_NAN_F64;
}

SNN_FN double snn_acos_f64(double x) {
    const double morebits = 6.123233995736765886130e-17;
    const bool high = x > 0.5;
    const double a = snn_asin_f64(high ? sqrt(0.5 - 0.5 * x) : x);
    return high ? 2.0 * a : ((7.85398163397448309616e-1 - a) + morebits) + 7.85398163397448309616e-1;
}

/* atan a for a >= 0 or NaN. */
SNN_FN double snn_atan_abs_f64(double a) {
    const double morebits = 6.123233995736765886130e-17;
    const bool big = a > 2.41421356237309504880;
    const bool mid = a > 0.66;
    const double t = big ? -(1.0 / a) : mid ? (a - 1.0) / (a + 1.0) : a;
    const double y = big ? 1.57079632679489661923 : mid ? 7.85398163397448309616e-1 : 0.0;
    const double more = big ? morebits : mid ? 0.5 * morebits : 0.0;
    const double z0 = t * t;
    const double z = z0
        * ((((-8.750608600031904122785e-1 * z0 - 1.615753718733365076637e1) * z0
             - 7.500855792314704667340e1) * z0 - 1.228866684490136173410e2) * z0
           - 6.485021904942025371773e1)
        / (((((z0 + 2.485846490142306297962e1) * z0 + 1.650270098316988542046e2) * z0
             + 4.328810604912902668951e2) * z0 + 4.853903996359136964868e2) * z0
           + 1.945506571482613964425e2);
    return y + ((t * z + t) + more);
}

SNN_FN double snn_atan_f64(double x) { return snn_xor_sign_f64(snn_atan_abs_f64(fabs(x)), x); }

SNN_FN double snn_atan2_f64(double y, double x) {
    const bool xneg = (SNN_F64_BITS(x) >> 63) != 0u;
    const bool zeros = y == 0.0 && x == 0.0;
    const bool infs = fabs(y) == SNN_INF_F64 && fabs(x) == SNN_INF_F64;
    const double q = zeros ? snn_xor_sign_f64(snn_xor_sign_f64(0.0, y), x)
                   : infs ? snn_xor_sign_f64(snn_xor_sign_f64(1.0, y), x)
                   : y / x;
    const double a = snn_atan_f64(q);
    const double w = snn_xor_sign_f64(3.14159265358979323846, y);
    return xneg ? w + a : a;
}

SNN_FN double snn_sinh_f64(double x) {
    const double a = fabs(x);
    const double z = a * a;
    const double small = a + a * z
        * ((((-7.89474443963537015605e-1 * z - 1.63725857525983828727e2) * z
             - 1.15614435765005216044e4) * z - 3.51754964808151394800e5)
           / (((z - 2.77711081420602794433e2) * z + 3.61578279834431989373e4) * z
              - 2.11052978884890840399e6));
    const double t = snn_exp_m1_f64(a);
    const double mid = 0.5 * (t + t / (t + 1.0));
    const double h = snn_exp_f64(0.5 * a);
    const double big = (0.5 * h) * h;
    const double v = a >= 709.0895657128241 ? big : a > 1.0 ? mid : small;
    return snn_xor_sign_f64(v, x);
}

SNN_FN double snn_cosh_f64(double x) {
    const double a = fabs(x);
    const double e = snn_exp_f64(a);
    const double mid = 0.5 * e + 0.5 / e;
    const double h = snn_exp_f64(0.5 * a);
    const double big = (0.5 * h) * h;
    return a >= 709.0895657128241 ? big : mid;
}

SNN_FN double snn_tanh_f64(double x) {
    const double a = fabs(x);
    const double z = a * a;
    const double small = a + a * z
        * (((-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z
            - 1.61468768441708447952e3)
           / (((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z
              + 4.84406305325125486048e3));
    const double big = 1.0 - 2.0 / (snn_exp_f64(a + a) + 1.0);
    const double v = a >= 0.625 ? big : small;
    return snn_xor_sign_f64(v, x);
}
#endif
/* ---- end of snn circular and hyperbolic functions ---- */
