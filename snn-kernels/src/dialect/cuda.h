/* ---- snn CUDA prelude (snn_kernels::dialect) ----
 * The kernel macros of the portable dialect, for NVRTC (CUDA C++). */
#define KERNEL extern "C" __global__
#define GLOBAL
#define DEVICE __device__
#define SHARED __shared__
#define LOCAL_ID ((unsigned int)threadIdx.x)
#define GROUP_ID ((unsigned int)blockIdx.x)
#define LOCAL_SIZE ((unsigned int)blockDim.x)
#define BARRIER() __syncthreads()
/* Atomics on global memory; the *_ADD_* forms return nothing. */
#define ATOMIC_ADD_F32(p, v) ((void)atomicAdd((p), (v)))
#define ATOMIC_ADD_F64(p, v) ((void)atomicAdd((p), (v)))
#define ATOMIC_OR_U32(p, v) ((void)atomicOr((p), (v)))
#define ATOMIC_MAX_U32(p, v) ((void)atomicMax((p), (v)))
/* Returns the old value. */
#define ATOMIC_CAS_U32(p, cmp, v) atomicCAS((p), (cmp), (v))
/* A double from its bits. */
#define SNN_F64_FROM_BITS(b) __longlong_as_double((long long)(b))
/* Returns the old value. */
#define ATOMIC_INC_U32(p) atomicAdd((p), 1u)
/* Atomics on shared memory (same functions in CUDA). */
#define ATOMIC_INC_U32_SHARED(p) atomicAdd((p), 1u)
