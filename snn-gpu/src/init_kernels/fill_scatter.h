
KERNEL void snn_init_fill_dense_@S@(GLOBAL @T@ *out, unsigned int n, @VALUE@ value)
{
    const snn_u64 idx = SNN_INIT_GID;
    if (idx < (snn_u64)n) {
        out[idx] = (@T@)value;
    }
}

KERNEL void snn_init_fill_ragged_@S@(GLOBAL @T@ *out, GLOBAL const unsigned int *row_length,
                                    unsigned int num_pre, unsigned int stride, @VALUE@ value)
{
    const snn_u64 idx = SNN_INIT_GID;
    if (idx < (snn_u64)num_pre * stride && (unsigned int)(idx % stride) < row_length[idx / stride]) {
        out[idx] = (@T@)value;
    }
}

/* out[i * stride + k] = csr[row_offset[i] + k] for k < row_length[i]. */
KERNEL void snn_init_scatter_@S@(GLOBAL @T@ *out, GLOBAL const @T@ *csr,
                                GLOBAL const unsigned int *row_length,
                                GLOBAL const unsigned int *row_offset, unsigned int num_pre,
                                unsigned int stride)
{
    const snn_u64 idx = SNN_INIT_GID;
    if (idx < (snn_u64)num_pre * stride) {
        const unsigned int row = (unsigned int)(idx / stride);
        const unsigned int k = (unsigned int)(idx % stride);
        if (k < row_length[row]) {
            out[idx] = csr[(snn_u64)row_offset[row] + k];
        }
    }
}
