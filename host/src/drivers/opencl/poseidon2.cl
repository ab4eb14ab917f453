/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Poseidon2 width 16 for the field F_*, the leaf sponge (rate 8, overwrite mode, no padding) and
 * 2-to-1 compression, as host/src/poseidon2.c. One work-item per row (or pair), the state in
 * private memory (registers), every loop unrolled: the round count F_ROUNDS_P and S-box degree
 * F_SBOX_DEG are compile-time constants of the field's program.
 *
 * rc: the instance's constants in Montgomery form, [0, 64) initial external rounds (round r,
 * lane i at 16 r + i), [64, 64 + RP) internal rounds, then 64 final external, then the 16
 * diagonal entries of M_I. The legacy internal layer (SP1) multiplies by an extra 2^-32, one
 * more Montgomery reduction: a separate kernel, so the choice is not made per element.
 */
#define P2_RC_INTERNAL 64
#define P2_RC_FINAL (64 + F_ROUNDS_P)
#define P2_RC_DIAG (128 + F_ROUNDS_P)

static inline uint FN(p2_sbox)(uint x)
{
    const uint x2 = FN(f_mul)(x, x);
    const uint x3 = FN(f_mul)(x2, x);
#if F_SBOX_DEG == 3
    return x3;
#else
    const uint x4 = FN(f_mul)(x2, x2);
    return FN(f_mul)(x3, x4); /* x^7 */
#endif
}

/* M_E: the 4x4 matrix on each chunk of four, then each lane adds the sum of its position. */
static inline void FN(p2_external)(uint *s)
{
#pragma unroll
    for (int c = 0; c < 16; c += 4) {
        const uint t01 = FN(f_add)(s[c], s[c + 1]);
        const uint t23 = FN(f_add)(s[c + 2], s[c + 3]);
        const uint t0123 = FN(f_add)(t01, t23);
        const uint t01123 = FN(f_add)(t0123, s[c + 1]);
        const uint t01233 = FN(f_add)(t0123, s[c + 3]);
        const uint x3 = FN(f_add)(t01233, FN(f_add)(s[c], s[c]));
        const uint x1 = FN(f_add)(t01123, FN(f_add)(s[c + 2], s[c + 2]));
        const uint x0 = FN(f_add)(t01123, t01);
        const uint x2 = FN(f_add)(t01233, t23);
        s[c] = x0, s[c + 1] = x1, s[c + 2] = x2, s[c + 3] = x3;
    }
#pragma unroll
    for (int k = 0; k < 4; k++) {
        const uint sum = FN(f_add)(FN(f_add)(s[k], s[4 + k]), FN(f_add)(s[8 + k], s[12 + k]));
#pragma unroll
        for (int c = 0; c < 16; c += 4)
            s[c + k] = FN(f_add)(s[c + k], sum);
    }
}

/* The permutation on a Montgomery-form state. */
static inline void FN(p2_permute)(uint *s, constant uint *rc, const int legacy)
{
    FN(p2_external)(s);
#pragma unroll
    for (int r = 0; r < 4; r++) {
#pragma unroll
        for (int i = 0; i < 16; i++)
            s[i] = FN(p2_sbox)(FN(f_add)(s[i], rc[16 * r + i]));
        FN(p2_external)(s);
    }
#pragma unroll
    for (int r = 0; r < F_ROUNDS_P; r++) {
        s[0] = FN(p2_sbox)(FN(f_add)(s[0], rc[P2_RC_INTERNAL + r]));
        uint sum = s[0];
#pragma unroll
        for (int i = 1; i < 16; i++)
            sum = FN(f_add)(sum, s[i]);
#pragma unroll
        for (int i = 0; i < 16; i++) {
            const uint v = FN(f_add)(sum, FN(f_mul)(rc[P2_RC_DIAG + i], s[i]));
            s[i] = legacy ? FN(f_mul)(v, 1u) : v;
        }
    }
#pragma unroll
    for (int r = 0; r < 4; r++) {
#pragma unroll
        for (int i = 0; i < 16; i++)
            s[i] = FN(p2_sbox)(FN(f_add)(s[i], rc[P2_RC_FINAL + 16 * r + i]));
        FN(p2_external)(s);
    }
}

/* out[i] = sponge(row i of m), i < count; m is count x cols, row-major. */
static inline void FN(p2_hash_body)(global uint *out, global const uint *m, uint cols, uint count, constant uint *rc,
                               const int legacy)
{
    const uint gid = get_global_id(0);
    const uint row = min(gid, count - 1u); /* padding work-items hash the last row again */
    global const uint *src = m + (ulong)row * cols;
    uint s[16];
#pragma unroll
    for (int i = 0; i < 16; i++)
        s[i] = 0u;
    for (uint off = 0; off < cols; off += 8u) {
#pragma unroll
        for (uint i = 0; i < 8u; i++)
            if (off + i < cols)
                s[i] = FN(f_mul)(src[off + i], (uint)F_R2);
        FN(p2_permute)(s, rc, legacy);
    }
    if (gid < count) {
#pragma unroll
        for (int i = 0; i < 8; i++)
            out[(ulong)gid * 8u + i] = FN(f_mul)(s[i], 1u);
    }
}

/* out[i] = the first 8 words of perm(in[2i] || in[2i+1]), i < count. */
static inline void FN(p2_compress_body)(global uint *out, global const uint *in, uint count, constant uint *rc,
                                   const int legacy)
{
    const uint gid = get_global_id(0);
    global const uint *src = in + (ulong)min(gid, count - 1u) * 16u;
    uint s[16];
#pragma unroll
    for (int i = 0; i < 16; i++)
        s[i] = FN(f_mul)(src[i], (uint)F_R2);
    FN(p2_permute)(s, rc, legacy);
    if (gid < count) {
#pragma unroll
        for (int i = 0; i < 8; i++)
            out[(ulong)gid * 8u + i] = FN(f_mul)(s[i], 1u);
    }
}

kernel void FN(p2_hash_rows)(global uint *out, global const uint *m, uint cols, uint count, constant uint *rc)
{
    FN(p2_hash_body)(out, m, cols, count, rc, 0);
}

kernel void FN(p2_hash_rows_legacy)(global uint *out, global const uint *m, uint cols, uint count, constant uint *rc)
{
    FN(p2_hash_body)(out, m, cols, count, rc, 1);
}

kernel void FN(p2_compress)(global uint *out, global const uint *in, uint count, constant uint *rc)
{
    FN(p2_compress_body)(out, in, count, rc, 0);
}

kernel void FN(p2_compress_legacy)(global uint *out, global const uint *in, uint count, constant uint *rc)
{
    FN(p2_compress_body)(out, in, count, rc, 1);
}
