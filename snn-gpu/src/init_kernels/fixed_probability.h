
/* One fixed-probability row by geometric skipping (fixed_probability_row of
 * snn_core::connectivity), in double; ln_q = ln(1 - p) from the host. */
KERNEL void snn_init_conn_fixed_probability(GLOBAL unsigned int *row_length,
                                            GLOBAL unsigned int *ind, unsigned int num_pre,
                                            unsigned int num_post, unsigned int stride,
                                            snn_u64 seed, unsigned int stream, double ln_q,
                                            unsigned int excl, GLOBAL unsigned int *meta)
{
    const snn_u64 gid = SNN_INIT_GID;
    if (gid >= (snn_u64)num_pre) {
        return;
    }
    {
        const unsigned int i = (unsigned int)gid;
        GLOBAL unsigned int *row = ind + (snn_u64)i * stride;
        snn_rng rng = snn_rng_new(seed, stream, 0u, i);
        unsigned int len = 0u;
        snn_u64 j = 0u;
        for (;;) {
            const double u = snn_uniform_f64(&rng);
            const double gap = floor(snn_ln_f64(u) / ln_q);
            if (gap >= (double)((snn_u64)num_post - j)) {
                break;
            }
            j += snn_f64_to_u64(gap);
            if (!(excl != 0u && (unsigned int)j == i)) {
                if (len < stride) {
                    row[len] = (unsigned int)j;
                }
                len += 1u;
            }
            j += 1u;
        }
        if (len > stride) {
            ATOMIC_MAX_U32(&meta[0], len);
            len = stride;
        }
        row_length[i] = len;
    }
}
