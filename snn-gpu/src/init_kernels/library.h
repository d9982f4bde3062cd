
/* ---- snn device initialisation (snn_gpu::init_kernels) ---- */
#define SNN_INIT_GID ((snn_u64)GROUP_ID * (snn_u64)LOCAL_SIZE + (snn_u64)LOCAL_ID)

/* A uniform integer in 0..range from one u32 (uniform_index of snn_core::connectivity). */
SNN_FN unsigned int snn_init_index(snn_rng *rng, unsigned int range)
{
    return (unsigned int)(((snn_u64)snn_rng_next_u32(rng) * (snn_u64)range) >> 32);
}

SNN_FN void snn_init_sift(GLOBAL unsigned int *a, unsigned int root, unsigned int end)
{
    for (;;) {
        unsigned int child = 2u * root + 1u;
        unsigned int t;
        if (child >= end) {
            return;
        }
        if (child + 1u < end && a[child] < a[child + 1u]) {
            child += 1u;
        }
        if (!(a[root] < a[child])) {
            return;
        }
        t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

/* Sorts a[0..n] ascending in place (heap sort: no recursion, no scratch). */
SNN_FN void snn_init_sort(GLOBAL unsigned int *a, unsigned int n)
{
    unsigned int i, t;
    if (n < 2u) {
        return;
    }
    for (i = n / 2u; i > 0u; --i) {
        snn_init_sift(a, i - 1u, n);
    }
    for (i = n - 1u; i > 0u; --i) {
        t = a[0];
        a[0] = a[i];
        a[i] = t;
        snn_init_sift(a, 0u, i);
    }
}

/* Ends row i of true length len: a row longer than the stride is flagged
 * (meta[0]: the largest such length) and cut; the row is sorted. */
SNN_FN void snn_init_finish_row(GLOBAL unsigned int *row_length, GLOBAL unsigned int *row,
                                unsigned int i, unsigned int len, unsigned int stride,
                                GLOBAL unsigned int *meta)
{
    if (len > stride) {
        ATOMIC_MAX_U32(&meta[0], len);
        len = stride;
    }
    snn_init_sort(row, len);
    row_length[i] = len;
}

/* env.add_synapse(j) of a connectivity snippet. */
SNN_FN void snn_init_push(GLOBAL unsigned int *row, unsigned int stride, unsigned int num_post,
                          unsigned int *len, unsigned int *bad, unsigned int j)
{
    if (j >= num_post) {
        *bad = 1u;
    }
    if (*len < stride) {
        row[*len] = j;
    }
    *len += 1u;
}

/* row_offset = exclusive prefix sum of row_length (mod 2^32: the CSR
 * position as the host's `as u32`), meta[2..4] = the total; one work-group. */
KERNEL void snn_init_row_offsets(GLOBAL const unsigned int *row_length,
                                 GLOBAL unsigned int *row_offset, unsigned int n,
                                 GLOBAL unsigned int *meta)
{
    SHARED snn_u64 part[256];
    const unsigned int t = LOCAL_ID;
    const snn_u64 chunk = ((snn_u64)n + (snn_u64)LOCAL_SIZE - 1u) / (snn_u64)LOCAL_SIZE;
    const snn_u64 lo0 = (snn_u64)t * chunk;
    const snn_u64 lo = lo0 < (snn_u64)n ? lo0 : (snn_u64)n;
    const snn_u64 hi = lo + chunk < (snn_u64)n ? lo + chunk : (snn_u64)n;
    snn_u64 i, s = 0u;
    for (i = lo; i < hi; ++i) {
        s += row_length[i];
    }
    part[t] = s;
    BARRIER();
    if (t == 0u) {
        snn_u64 acc = 0u;
        unsigned int k;
        for (k = 0u; k < LOCAL_SIZE; ++k) {
            const snn_u64 v = part[k];
            part[k] = acc;
            acc += v;
        }
        meta[2] = (unsigned int)acc;
        meta[3] = (unsigned int)(acc >> 32);
    }
    BARRIER();
    s = part[t];
    for (i = lo; i < hi; ++i) {
        row_offset[i] = (unsigned int)s;
        s += row_length[i];
    }
}

KERNEL void snn_init_conn_one_to_one(GLOBAL unsigned int *row_length, GLOBAL unsigned int *ind,
                                     unsigned int num_pre, unsigned int stride)
{
    const snn_u64 i = SNN_INIT_GID;
    if (i >= (snn_u64)num_pre) {
        return;
    }
    row_length[i] = 1u;
    ind[i * stride] = (unsigned int)i;
}

/* Rows of len = num_post - excl targets: 0..num_post without i if excl. */
KERNEL void snn_init_conn_all_to_all(GLOBAL unsigned int *row_length, GLOBAL unsigned int *ind,
                                     unsigned int num_pre, unsigned int len, unsigned int stride,
                                     unsigned int excl)
{
    const snn_u64 idx = SNN_INIT_GID;
    if (idx >= (snn_u64)num_pre * stride) {
        return;
    }
    {
        const unsigned int row = (unsigned int)(idx / stride);
        const unsigned int k = (unsigned int)(idx % stride);
        if (k == 0u) {
            row_length[row] = len;
        }
        if (k < len) {
            ind[idx] = (excl != 0u && k >= row) ? k + 1u : k;
        }
    }
}

/* Rows of known length (fixed: every row `fixed_len`, else row_length[i])
 * of uniform draws from 0..num_post (without i if excl), sorted
 * (fixed number post, fixed total number). */
KERNEL void snn_init_conn_draw_rows(GLOBAL unsigned int *row_length, GLOBAL unsigned int *ind,
                                    unsigned int num_pre, unsigned int num_post,
                                    unsigned int stride, snn_u64 seed, unsigned int stream,
                                    unsigned int fixed, unsigned int fixed_len,
                                    unsigned int excl, GLOBAL unsigned int *meta)
{
    const snn_u64 gid = SNN_INIT_GID;
    if (gid >= (snn_u64)num_pre) {
        return;
    }
    {
        const unsigned int i = (unsigned int)gid;
        const unsigned int len = fixed != 0u ? fixed_len : row_length[i];
        GLOBAL unsigned int *row = ind + (snn_u64)i * stride;
        snn_rng rng = snn_rng_new(seed, stream, 0u, i);
        unsigned int t;
        for (t = 0u; t < len; ++t) {
            unsigned int x;
            if (excl != 0u) {
                x = snn_init_index(&rng, num_post - 1u);
                x = x >= i ? x + 1u : x;
            } else {
                x = snn_init_index(&rng, num_post);
            }
            if (t < stride) {
                row[t] = x;
            }
        }
        snn_init_finish_row(row_length, row, i, len, stride, meta);
    }
}

/* Fixed number pre, first pass: column j appends itself to the rows of its
 * n sources (row_length must be zero before; it counts past the stride). */
KERNEL void snn_init_conn_fixed_number_pre(GLOBAL unsigned int *row_length,
                                           GLOBAL unsigned int *ind, unsigned int num_pre,
                                           unsigned int num_post, unsigned int stride,
                                           snn_u64 seed, unsigned int stream, unsigned int n,
                                           unsigned int excl)
{
    const snn_u64 gid = SNN_INIT_GID;
    if (gid >= (snn_u64)num_post) {
        return;
    }
    {
        const unsigned int j = (unsigned int)gid;
        snn_rng rng = snn_rng_new(seed, stream, 0u, j);
        unsigned int t;
        for (t = 0u; t < n; ++t) {
            unsigned int i, slot;
            if (excl != 0u) {
                i = snn_init_index(&rng, num_pre - 1u);
                i = i >= j ? i + 1u : i;
            } else {
                i = snn_init_index(&rng, num_pre);
            }
            slot = ATOMIC_INC_U32(&row_length[i]);
            if (slot < stride) {
                ind[(snn_u64)i * stride + slot] = j;
            }
        }
    }
}

/* Second pass: cuts (flagging) and sorts every row. */
KERNEL void snn_init_conn_sort_rows(GLOBAL unsigned int *row_length, GLOBAL unsigned int *ind,
                                    unsigned int num_pre, unsigned int stride,
                                    GLOBAL unsigned int *meta)
{
    const snn_u64 gid = SNN_INIT_GID;
    if (gid >= (snn_u64)num_pre) {
        return;
    }
    snn_init_finish_row(row_length, ind + gid * stride, (unsigned int)gid,
                        row_length[gid], stride, meta);
}
