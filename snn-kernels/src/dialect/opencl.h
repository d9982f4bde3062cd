/* ---- snn OpenCL prelude (snn_kernels::dialect) ----
 * The kernel macros of the portable dialect, for OpenCL C 1.2. */
#pragma OPENCL FP_CONTRACT OFF
#ifdef SNN_USE_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable
#else
#define SNN_NO_DOUBLE
#endif
#define KERNEL __kernel
#define GLOBAL __global
#define DEVICE
#define SHARED __local
#define LOCAL_ID ((unsigned int)get_local_id(0))
#define GROUP_ID ((unsigned int)get_group_id(0))
#define LOCAL_SIZE ((unsigned int)get_local_size(0))
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)
/* OpenCL 1.2 has no float atomic add: compare-and-swap loops. */
inline void snn_atomic_add_f32(volatile __global float *p, float v) {
    union { unsigned int u; float f; } old, upd;
    do {
        old.f = *p;
        upd.f = old.f + v;
    } while (atomic_cmpxchg((volatile __global unsigned int *)p, old.u, upd.u) != old.u);
}
#ifdef SNN_USE_DOUBLE
inline void snn_atomic_add_f64(volatile __global double *p, double v) {
    union { ulong u; double f; } old, upd;
    do {
        old.f = *p;
        upd.f = old.f + v;
    } while (atom_cmpxchg((volatile __global ulong *)p, old.u, upd.u) != old.u);
}
#define ATOMIC_ADD_F64(p, v) snn_atomic_add_f64((p), (v))
/* A double from its bits. */
#define SNN_F64_FROM_BITS(b) as_double((ulong)(b))
#endif
#define ATOMIC_ADD_F32(p, v) snn_atomic_add_f32((p), (v))
#define ATOMIC_OR_U32(p, v) ((void)atomic_or((p), (v)))
#define ATOMIC_MAX_U32(p, v) ((void)atomic_max((p), (v)))
/* Returns the old value. */
#define ATOMIC_CAS_U32(p, cmp, v) atomic_cmpxchg((p), (cmp), (v))
/* Returns the old value. */
#define ATOMIC_INC_U32(p) atomic_inc(p)
#define ATOMIC_INC_U32_SHARED(p) atomic_inc(p)
