// SPDX-License-Identifier: Apache-2.0
// Montgomery arithmetic and the width-16 Poseidon2 permutation for HLS, on the constants of
// loom_p2_consts.h (generated at build time from libloom's table). Every function is inlined and
// every round unrolled: called from a loop pipelined at II=1, the whole permutation becomes one
// pipeline that accepts a new state each clock. The arithmetic is the host reference's
// (host/src/poseidon2.c), step for step, so results are bit-identical.
#ifndef LOOM_P2_PERM_H
#define LOOM_P2_PERM_H

#include <cstdint>

#include "loom_p2_consts.h"

namespace loom_hls {

using loom_p2c::P;

// (x * 2^-32) mod p for x < p * 2^32. With p = r*2^k + 1 the products by MU and P are constant
// multiplications that synthesis turns into shifts and adds (no DSP).
inline uint32_t monty_reduce(uint64_t x)
{
#pragma HLS INLINE
    const uint32_t q = (uint32_t)x * loom_p2c::MU;
    const uint64_t u = (uint64_t)q * P;
    const uint32_t hi = (uint32_t)((x - u) >> 32);
    return x < u ? hi + P : hi;
}

inline uint32_t mont_mul(uint32_t a, uint32_t b)
{
#pragma HLS INLINE
    return monty_reduce((uint64_t)a * b);
}

inline uint32_t mod_add(uint32_t a, uint32_t b)
{
#pragma HLS INLINE
    const uint32_t s = a + b;  // < 2^32: a, b < p < 2^31
    return s >= P ? s - P : s;
}

inline uint32_t to_monty(uint32_t a)
{
#pragma HLS INLINE
    return mont_mul(a, loom_p2c::R2);
}

inline uint32_t from_monty(uint32_t a)
{
#pragma HLS INLINE
    return monty_reduce(a);
}

// x^7 (depth 3 products) or x^3 (depth 2).
inline uint32_t sbox(uint32_t x)
{
#pragma HLS INLINE
    const uint32_t x2 = mont_mul(x, x);
    const uint32_t x3 = mont_mul(x2, x);
    if (loom_p2c::SBOX_DEGREE == 3)
        return x3;
    const uint32_t x4 = mont_mul(x2, x2);
    return mont_mul(x3, x4);
}

// M_E: Plonky3's 4x4 MDSMat4 on each chunk of four, then each word plus its column's sum.
inline void external_layer(uint32_t s[16])
{
#pragma HLS INLINE
ext_chunks:
    for (unsigned c = 0; c < 16; c += 4) {
#pragma HLS UNROLL
        uint32_t *x = s + c;
        const uint32_t t01 = mod_add(x[0], x[1]);
        const uint32_t t23 = mod_add(x[2], x[3]);
        const uint32_t t0123 = mod_add(t01, t23);
        const uint32_t t01123 = mod_add(t0123, x[1]);
        const uint32_t t01233 = mod_add(t0123, x[3]);
        const uint32_t y3 = mod_add(t01233, mod_add(x[0], x[0]));
        const uint32_t y1 = mod_add(t01123, mod_add(x[2], x[2]));
        const uint32_t y0 = mod_add(t01123, t01);
        const uint32_t y2 = mod_add(t01233, t23);
        x[0] = y0;
        x[1] = y1;
        x[2] = y2;
        x[3] = y3;
    }
    uint32_t sums[4];
#pragma HLS ARRAY_PARTITION variable = sums complete
ext_sums:
    for (unsigned k = 0; k < 4; k++) {
#pragma HLS UNROLL
        sums[k] = mod_add(mod_add(s[k], s[4 + k]), mod_add(s[8 + k], s[12 + k]));
    }
ext_add:
    for (unsigned i = 0; i < 16; i++) {
#pragma HLS UNROLL
        s[i] = mod_add(s[i], sums[i & 3]);
    }
}

// One internal round: S-box on word 0 only, then M_I = J + diag(DIAG): s_i <- sum + DIAG_i * s_i.
inline void internal_round(uint32_t s[16], uint32_t rc)
{
#pragma HLS INLINE
    s[0] = sbox(mod_add(s[0], rc));
    // Balanced tree of modular additions (the reference reduces a 64-bit sum: same value mod p).
    uint32_t t8[8], t4[4];
#pragma HLS ARRAY_PARTITION variable = t8 complete
#pragma HLS ARRAY_PARTITION variable = t4 complete
    for (unsigned i = 0; i < 8; i++) {
#pragma HLS UNROLL
        t8[i] = mod_add(s[2 * i], s[2 * i + 1]);
    }
    for (unsigned i = 0; i < 4; i++) {
#pragma HLS UNROLL
        t4[i] = mod_add(t8[2 * i], t8[2 * i + 1]);
    }
    const uint32_t total = mod_add(mod_add(t4[0], t4[1]), mod_add(t4[2], t4[3]));
int_diag:
    for (unsigned i = 0; i < 16; i++) {
#pragma HLS UNROLL
        const uint32_t v = mod_add(total, mont_mul(loom_p2c::DIAG[i], s[i]));
        // The legacy layer's extra factor 2^-32 is one more Montgomery reduction.
        s[i] = loom_p2c::LEGACY_INTERNAL ? monty_reduce(v) : v;
    }
}

// The permutation of a state in Montgomery form.
inline void permute(uint32_t s[16])
{
#pragma HLS INLINE
    external_layer(s);
rounds_initial:
    for (unsigned r = 0; r < loom_p2c::HALF_F; r++) {
#pragma HLS UNROLL
        for (unsigned i = 0; i < 16; i++) {
#pragma HLS UNROLL
            s[i] = sbox(mod_add(s[i], loom_p2c::EXT_INITIAL[r][i]));
        }
        external_layer(s);
    }
rounds_internal:
    for (unsigned r = 0; r < loom_p2c::ROUNDS_P; r++) {
#pragma HLS UNROLL
        internal_round(s, loom_p2c::INTERNAL[r]);
    }
rounds_final:
    for (unsigned r = 0; r < loom_p2c::HALF_F; r++) {
#pragma HLS UNROLL
        for (unsigned i = 0; i < 16; i++) {
#pragma HLS UNROLL
            s[i] = sbox(mod_add(s[i], loom_p2c::EXT_FINAL[r][i]));
        }
        external_layer(s);
    }
}

static_assert(loom_p2c::WIDTH == 16, "the HLS kernel is the width-16 permutation");

}  // namespace loom_hls

#endif
