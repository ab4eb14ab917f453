/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Field-independent helpers of Loom's OpenCL kernels. The program is this file, then field.cl,
 * ntt.cl and poseidon2.cl once per field, each time after a block of #defines that the driver
 * generates from the field and Poseidon2 tables (F_SUFFIX, F_P, F_MU, F_R2, F_SBOX_DEG,
 * F_ROUNDS_P): OpenCL C has no templates, so token pasting gives every function and kernel its
 * field's name (ntt_dif_babybear, p2_compress_koalabear, ...).
 */
#define LOOM_CAT_(a, b) a##_##b
#define LOOM_CAT(a, b) LOOM_CAT_(a, b)
#define FN(name) LOOM_CAT(name, F_SUFFIX)

/* The low `bits` bits of i, reversed (bits <= 32). */
static inline uint loom_bitrev(uint i, uint bits)
{
    i = ((i >> 1) & 0x55555555u) | ((i & 0x55555555u) << 1);
    i = ((i >> 2) & 0x33333333u) | ((i & 0x33333333u) << 2);
    i = ((i >> 4) & 0x0f0f0f0fu) | ((i & 0x0f0f0f0fu) << 4);
    i = ((i >> 8) & 0x00ff00ffu) | ((i & 0x00ff00ffu) << 8);
    i = (i >> 16) | (i << 16);
    return bits ? i >> (32 - bits) : 0u;
}

/* Identifies the sources a binary was built from (LOOM_CL_SOURCE_ID is defined by the driver). */
kernel void loom_source_id(global uint *out)
{
    out[0] = (uint)(LOOM_CL_SOURCE_ID & 0xffffffffu);
    out[1] = (uint)(LOOM_CL_SOURCE_ID >> 32);
}

/* out row i = in row rev(i) (rows = 2^logn, `cols` words each): the order change around a transform. */
kernel void loom_bitrev_rows(global uint *out, global const uint *in, uint logn, uint cols)
{
    const uint c = get_global_id(0), i = get_global_id(1);
    if (c < cols && i < (1u << logn))
        out[(ulong)i * cols + c] = in[(ulong)loom_bitrev(i, logn) * cols + c];
}
