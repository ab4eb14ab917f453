/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Poseidon2 width 16 for the field F_*: the leaf sponge (rate 8, overwrite mode, no padding) and
 * 2-to-1 compression, as host/src/poseidon2.c. A work-item runs VL permutations at once, one per
 * lane, the states in private memory (registers), every loop unrolled: the round count
 * F_ROUNDS_P and the S-box degree F_SBOX_DEG are compile-time constants of the field's program.
 *
 * rc: the instance's constants in Montgomery form: [0, 64) the initial external rounds (round r,
 * lane i at 16 r + i), [64, 64 + RP) the internal rounds, then 64 final external, 16 diagonal
 * entries of M_I, and one factor k that scales the sum of the internal layer. Plonky3's layer is
 * s_i <- sum + d_i s_i (k = Montgomery 1, d_i as is); SP1's legacy layer multiplies all of that
 * by 2^-32, which is the same as sum * 2^-32 + (d_i 2^-32) s_i: k = 1 (a plain Montgomery
 * reduction) and d_i pre-scaled by the driver. One kernel serves both at one product per round.
 */
#define P2_RC_INTERNAL 64
#define P2_RC_FINAL (64 + F_ROUNDS_P)
#define P2_RC_DIAG (128 + F_ROUNDS_P)
#define P2_RC_SUM_SCALE (144 + F_ROUNDS_P)

static inline vt FN(p2_sbox)(vt x)
{
    const vt x2 = FN(v_mul)(x, x);
    const vt x3 = FN(v_mul)(x2, x);
#if F_SBOX_DEG == 3
    return x3;
#else
    const vt x4 = FN(v_mul)(x2, x2);
    return FN(v_mul)(x3, x4); /* x^7 */
#endif
}

/* M_E: the 4x4 matrix on each chunk of four, then each lane adds the sum of its position. */
static inline void FN(p2_external)(vt *s)
{
#pragma unroll
    for (int c = 0; c < 16; c += 4) {
        const vt t01 = FN(v_add)(s[c], s[c + 1]);
        const vt t23 = FN(v_add)(s[c + 2], s[c + 3]);
        const vt t0123 = FN(v_add)(t01, t23);
        const vt t01123 = FN(v_add)(t0123, s[c + 1]);
        const vt t01233 = FN(v_add)(t0123, s[c + 3]);
        const vt x3 = FN(v_add)(t01233, FN(v_add)(s[c], s[c]));
        const vt x1 = FN(v_add)(t01123, FN(v_add)(s[c + 2], s[c + 2]));
        const vt x0 = FN(v_add)(t01123, t01);
        const vt x2 = FN(v_add)(t01233, t23);
        s[c] = x0, s[c + 1] = x1, s[c + 2] = x2, s[c + 3] = x3;
    }
#pragma unroll
    for (int k = 0; k < 4; k++) {
        const vt sum = FN(v_add)(FN(v_add)(s[k], s[4 + k]), FN(v_add)(s[8 + k], s[12 + k]));
#pragma unroll
        for (int c = 0; c < 16; c += 4)
            s[c + k] = FN(v_add)(s[c + k], sum);
    }
}

/* The permutation on Montgomery-form states. */
static inline void FN(p2_permute)(vt *s, constant uint *rc)
{
    FN(p2_external)(s);
#pragma unroll
    for (int r = 0; r < 4; r++) {
#pragma unroll
        for (int i = 0; i < 16; i++)
            s[i] = FN(p2_sbox)(FN(v_add)(s[i], (vt)rc[16 * r + i]));
        FN(p2_external)(s);
    }
    const vt k = (vt)rc[P2_RC_SUM_SCALE];
#pragma unroll
    for (int r = 0; r < F_ROUNDS_P; r++) {
        s[0] = FN(p2_sbox)(FN(v_add)(s[0], (vt)rc[P2_RC_INTERNAL + r]));
        vt sum = s[0];
#pragma unroll
        for (int i = 1; i < 16; i++)
            sum = FN(v_add)(sum, s[i]);
        sum = FN(v_mul)(sum, k);
#pragma unroll
        for (int i = 0; i < 16; i++)
            s[i] = FN(v_add)(sum, FN(v_mul)((vt)rc[P2_RC_DIAG + i], s[i]));
    }
#pragma unroll
    for (int r = 0; r < 4; r++) {
#pragma unroll
        for (int i = 0; i < 16; i++)
            s[i] = FN(p2_sbox)(FN(v_add)(s[i], (vt)rc[P2_RC_FINAL + 16 * r + i]));
        FN(p2_external)(s);
    }
}

/*
 * out[i] = the first 8 words of the sponge over row i of m (count rows of `cols` words), absorbing
 * `rate` words per permutation into state words 0 .. rate-1 (overwrite mode): rate 8 is the leaf
 * hash, rate 16 with cols 16 is compression (one permutation of left || right).
 */
kernel void FN(p2_rows)(global uint *out, global const uint *m, uint cols, uint rate, uint count, constant uint *rc)
{
    const uint row0 = get_global_id(0) * VL;
    ulong src[VL];
#pragma unroll
    for (uint l = 0; l < VL; l++)
        src[l] = (ulong)min(row0 + l, count - 1u) * cols; /* lanes past the end repeat the last row */
    vt s[16];
#pragma unroll
    for (int i = 0; i < 16; i++)
        s[i] = (vt)0u;
    for (uint off = 0; off < cols; off += rate) {
#pragma unroll
        for (uint i = 0; i < 16; i++) {
            if (i < rate && off + i < cols) {
                uint lanes[VL];
#pragma unroll
                for (uint l = 0; l < VL; l++)
                    lanes[l] = m[src[l] + off + i];
                s[i] = FN(v_mul)(VLOAD(lanes), (vt)F_R2);
            }
        }
        FN(p2_permute)(s, rc);
    }
#pragma unroll
    for (int i = 0; i < 8; i++) {
        uint lanes[VL];
        VSTORE(FN(v_mul)(s[i], (vt)1u), lanes);
#pragma unroll
        for (uint l = 0; l < VL; l++)
            if (row0 + l < count)
                out[(ulong)(row0 + l) * 8u + i] = lanes[l];
    }
}
