/* snn_step_time in f32 (snn_kernels::network::clock): (float)((double)step * dt)
 * with dt's bits. With double: that expression. Without (OpenCL in f32):
 * the same two roundings to nearest even in integer arithmetic, the product
 * to a double (snn_mul_f64_bits) and that double to a float
 * (snn_f64_bits_to_f32). Normal numbers only: times below FLT_MIN give 0,
 * above FLT_MAX infinity (never for a simulation's times). */
#ifdef SNN_F64_FROM_BITS
SNN_FN float snn_step_time(snn_u64 step, snn_u64 dt_bits)
{
    return (float)((double)step * SNN_F64_FROM_BITS(dt_bits));
}
#else
/* Bit `k` of the 128-bit hi:lo. */
SNN_FN unsigned int snn_bit128(snn_u64 hi, snn_u64 lo, int k)
{
    return (unsigned int)((k >= 64 ? hi >> (k - 64) : lo >> k) & 1u);
}

/* Whether any bit of hi:lo below bit `k` is set. */
SNN_FN bool snn_any_below128(snn_u64 hi, snn_u64 lo, int k)
{
    if (k <= 0) return false;
    if (k < 64) return (lo & ((((snn_u64)1) << k) - 1u)) != 0u;
    if (k == 64) return lo != 0u;
    return lo != 0u || (hi & ((((snn_u64)1) << (k - 64)) - 1u)) != 0u;
}

/* The bits of the double nearest step * dt (dt a positive normal double,
 * given by its bits; the product below 2^1024). */
SNN_FN snn_u64 snn_mul_f64_bits(snn_u64 step, snn_u64 dt_bits)
{
    const int dexp = (int)((dt_bits >> 52) & 0x7ffu);
    const snn_u64 m = (dt_bits & ((((snn_u64)1) << 52) - 1u)) | (((snn_u64)1) << 52);
    int e = dexp - 1075; /* dt = m * 2^e */
    if (step == 0u || dexp == 0) return 0u;
    const snn_u64 lo = step * m;
    const snn_u64 hi = mul_hi(step, m);
    const int len = hi != 0u ? 128 - (int)clz(hi) : 64 - (int)clz(lo);
    /* The product rounded to 53 bits: q * 2^e. */
    snn_u64 q = lo;
    if (len > 53) {
        const int sh = len - 53;
        q = sh >= 64 ? hi >> (sh - 64) : (lo >> sh) | (hi << (64 - sh));
        if (snn_bit128(hi, lo, sh - 1) && (snn_any_below128(hi, lo, sh - 1) || (q & 1u))) {
            q += 1u;
        }
        e += sh;
        if (q == (((snn_u64)1) << 53)) {
            q >>= 1;
            e += 1;
        }
    } else {
        const int n = 53 - len;
        q <<= n;
        e -= n;
    }
    return ((snn_u64)(e + 1075) << 52) | (q & ((((snn_u64)1) << 52) - 1u));
}

/* The float nearest the double with bits `b` (positive). */
SNN_FN float snn_f64_bits_to_f32(snn_u64 b)
{
    const int dexp = (int)((b >> 52) & 0x7ffu);
    if (dexp == 0) return 0.0f;
    const snn_u64 q = (b & ((((snn_u64)1) << 52) - 1u)) | (((snn_u64)1) << 52);
    unsigned int f = (unsigned int)(q >> 29);
    if (((q >> 28) & 1u) && ((q & ((((snn_u64)1) << 28) - 1u)) != 0u || (f & 1u))) {
        f += 1u;
    }
    int biased = dexp - 1023 + 127;
    if (f == (1u << 24)) {
        f >>= 1;
        biased += 1;
    }
    if (biased <= 0) return 0.0f;
    if (biased >= 255) return as_float(0x7f800000u);
    return as_float(((unsigned int)biased << 23) | (f & 0x7fffffu));
}

SNN_FN float snn_step_time(snn_u64 step, snn_u64 dt_bits)
{
    return snn_f64_bits_to_f32(snn_mul_f64_bits(step, dt_bits));
}
#endif

