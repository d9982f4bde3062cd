/* ---- snn common prelude (snn_kernels::cgen::PRELUDE) ----
 * Types, constants and helpers used by model code printed by snn_kernels::cgen,
 * in the dialect shared by OpenCL C 1.2, CUDA C++ (NVRTC) and C99. */
#if !defined(__OPENCL_VERSION__) && !defined(__CUDACC__)
/* A host compiler (tests): math functions overloaded for float, as in OpenCL C and CUDA. */
#if defined(__cplusplus)
#include <math.h>
#else
#include <stdbool.h>
#include <tgmath.h>
#endif
#endif

#ifndef SNN_FN
#if defined(__CUDACC__)
#define SNN_FN static __device__ __forceinline__
#else
/* unused: not every helper is used by every program (clang warns in OpenCL C). */
#define SNN_FN static inline __attribute__((unused))
#endif
#endif

#if defined(__OPENCL_VERSION__)
typedef long snn_i64;
typedef ulong snn_u64;
#else
typedef long long snn_i64;
typedef unsigned long long snn_u64;
#endif

#ifndef SNN_INF_F32
#if defined(__CUDACC__)
#define SNN_INF_F32 __int_as_float(0x7f800000)
#define SNN_NAN_F32 __int_as_float(0x7fc00000)
#define SNN_INF_F64 __longlong_as_double(0x7ff0000000000000LL)
#define SNN_NAN_F64 __longlong_as_double(0x7ff8000000000000LL)
#else
#define SNN_INF_F32 INFINITY
#define SNN_NAN_F32 NAN
#define SNN_INF_F64 ((double)INFINITY)
#define SNN_NAN_F64 ((double)NAN)
#endif
#endif

/* Rust's `as` from float to integer: truncate, saturate, NaN -> 0. */
#define SNN_DEF_F2I(F, T, NAME, LO, HI, MIN, MAX) \
    SNN_FN T NAME(F x) { \
        return x != x ? (T)0 : x <= (LO) ? (MIN) : x >= (HI) ? (MAX) : (T)x; \
    }

/* Integer min/max/clamp (Rust's Ord::clamp), abs/signum of signed types (wrapping). */
#define SNN_DEF_INT(T, S) \
    SNN_FN T snn_min_##S(T a, T b) { return b < a ? b : a; } \
    SNN_FN T snn_max_##S(T a, T b) { return a < b ? b : a; } \
    SNN_FN T snn_clamp_##S(T x, T lo, T hi) { return x < lo ? lo : x > hi ? hi : x; }
#define SNN_DEF_SIGNED(T, U, S) \
    SNN_FN T snn_abs_##S(T x) { return x < 0 ? (T)((U)0 - (U)x) : x; } \
    SNN_FN T snn_signum_##S(T x) { return (T)((x > 0) - (x < 0)); }

/* Float helpers where C and Rust differ. */
#define SNN_DEF_FLOAT(F, S, ONE) \
    SNN_FN F snn_signum_##S(F x) { return x != x ? x : copysign(ONE, x); } \
    SNN_FN F snn_clamp_##S(F x, F lo, F hi) { \
        if (x < lo) { x = lo; } \
        if (x > hi) { x = hi; } \
        return x; \
    } \
    SNN_FN F snn_fract_##S(F x) { return x - trunc(x); }

SNN_DEF_INT(int, i32)
SNN_DEF_INT(unsigned int, u32)
SNN_DEF_INT(snn_i64, i64)
SNN_DEF_INT(snn_u64, u64)
SNN_DEF_INT(unsigned char, u8)
SNN_DEF_INT(unsigned short, u16)
SNN_DEF_SIGNED(int, unsigned int, i32)
SNN_DEF_SIGNED(snn_i64, snn_u64, i64)

SNN_DEF_FLOAT(float, f32, 1.0f)
SNN_DEF_F2I(float, int, snn_f32_to_i32, -2147483648.0f, 2147483648.0f, (-2147483647 - 1), 2147483647)
SNN_DEF_F2I(float, unsigned int, snn_f32_to_u32, 0.0f, 4294967296.0f, 0u, 4294967295u)
SNN_DEF_F2I(float, snn_i64, snn_f32_to_i64, -9223372036854775808.0f, 9223372036854775808.0f,
            (-((snn_i64)9223372036854775807) - 1), ((snn_i64)9223372036854775807))
SNN_DEF_F2I(float, snn_u64, snn_f32_to_u64, 0.0f, 18446744073709551616.0f,
            ((snn_u64)0u), ((snn_u64)18446744073709551615u))
SNN_DEF_F2I(float, unsigned char, snn_f32_to_u8, 0.0f, 256.0f, 0u, 255u)
SNN_DEF_F2I(float, unsigned short, snn_f32_to_u16, 0.0f, 65536.0f, 0u, 65535u)

#ifndef SNN_NO_DOUBLE
SNN_DEF_FLOAT(double, f64, 1.0)
SNN_DEF_F2I(double, int, snn_f64_to_i32, -2147483648.0, 2147483648.0, (-2147483647 - 1), 2147483647)
SNN_DEF_F2I(double, unsigned int, snn_f64_to_u32, 0.0, 4294967296.0, 0u, 4294967295u)
SNN_DEF_F2I(double, snn_i64, snn_f64_to_i64, -9223372036854775808.0, 9223372036854775808.0,
            (-((snn_i64)9223372036854775807) - 1), ((snn_i64)9223372036854775807))
SNN_DEF_F2I(double, snn_u64, snn_f64_to_u64, 0.0, 18446744073709551616.0,
            ((snn_u64)0u), ((snn_u64)18446744073709551615u))
SNN_DEF_F2I(double, unsigned char, snn_f64_to_u8, 0.0, 256.0, 0u, 255u)
SNN_DEF_F2I(double, unsigned short, snn_f64_to_u16, 0.0, 65536.0, 0u, 65535u)
#endif
/* ---- end of snn common prelude ---- */
