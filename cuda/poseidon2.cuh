// SPDX-License-Identifier: Apache-2.0
// Poseidon2 on the GPU: one thread per permutation, the state in registers, every loop unrolled
// for one instance (width, rounds, S-box degree, prime are template parameters), round constants
// read uniformly from __constant__ memory (a broadcast per warp).
//
// The state is in Montgomery form and canonical ([0, p)) between rounds. Inside a round values
// are left partly reduced where a bound allows it; each such place says why the bound holds.
// Both primes satisfy p = r 2^k + 1 < 2^31, so a sum of two canonical values fits in 32 bits and
// a 64-bit sum of up to 24 canonical values is below 2^36.
#pragma once
#include "field.cuh"

namespace loom_cuda {

// Montgomery-form constants of one instance (same layout as the host's loom_poseidon2_monty),
// except `diag` for a legacy instance, which is canonical: see internal_layer. Fill it with
// p2_fill_consts, never by hand.
struct p2_consts {
    uint32_t ext_initial[4 * 24];
    uint32_t internal[32];
    uint32_t ext_final[4 * 24];
    uint32_t diag[24];
};

// The instances the host uploads once per device, indexed like the host's table (the
// __constant__ array itself lives in loom_cuda.cu: without relocatable device code a
// __constant__ symbol belongs to one translation unit).
#define LOOM_CUDA_P2_SLOTS 8

// ---------------------------------------------------------------- Montgomery products
// R = 2^32. redc_lazy (field.cuh) with the instance's constants: for t < p R it gives t R^-1 in
// [0, 2p) as IMAD, IMAD.HI after the product's IMAD.WIDE, and one conditional subtraction
// (p2_reduce) makes it canonical.
template <uint32_t P, uint32_t MU>
LOOM_HD uint32_t redc_lazy(uint64_t t) { return redc_lazy(t, P, MU); }

// [0, 2p) -> [0, p): x - p wraps to a large value when x < p.
template <uint32_t P>
LOOM_HD uint32_t p2_reduce(uint32_t x) { return umin(x, x - P); }

// a b R^-1 in [0, 2p) when a b < p R (e.g. a < 2p, b < p).
template <uint32_t P, uint32_t MU>
LOOM_HD uint32_t mul_lazy(uint32_t a, uint32_t b) { return redc_lazy<P, MU>((uint64_t)a * b); }

// a b R^-1 in [0, p) when a b < p R.
template <uint32_t P, uint32_t MU>
LOOM_HD uint32_t mul(uint32_t a, uint32_t b) { return p2_reduce<P>(mul_lazy<P, MU>(a, b)); }

// x^DEG for canonical x, canonical result. A value below 2p times a canonical one keeps
// a b < 2p^2 < p R (2p < R); two values below 2p would not (4 p^2 > p R). So x^7 goes
// x^2 (lazy), x^3 = x^2 x (reduced), x^6 = (x^3)^2 (lazy), x^7 = x^6 x: two reductions, where
// x^7 = x^3 x^4 needs three (x^2 before squaring it, x^4 to meet a lazy x^3, and x^7).
template <uint32_t P, uint32_t MU, int DEG>
LOOM_HD uint32_t sbox(uint32_t x)
{
    uint32_t x2 = mul_lazy<P, MU>(x, x);  // < 2p
    uint32_t x3 = mul<P, MU>(x2, x);
    if (DEG == 3)
        return x3;
    uint32_t x6 = mul_lazy<P, MU>(x3, x3);  // < 2p
    return mul<P, MU>(x6, x);
}

// ---------------------------------------------------------------- linear layers
// M_E: the 4x4 MDSMat4 on each chunk of 4, then each word plus its column's sum over the
// chunks (Plonky3's order). Every sum is of two canonical values, so mod_add is exact.
template <int W, uint32_t P>
LOOM_HD void external_layer(uint32_t (&s)[W])
{
LOOM_UNROLL
    for (int c = 0; c < W; c += 4) {
        uint32_t t01 = mod_add(s[c], s[c + 1], P);
        uint32_t t23 = mod_add(s[c + 2], s[c + 3], P);
        uint32_t t0123 = mod_add(t01, t23, P);
        uint32_t t01123 = mod_add(t0123, s[c + 1], P);
        uint32_t t01233 = mod_add(t0123, s[c + 3], P);
        uint32_t x3 = mod_add(t01233, mod_add(s[c], s[c], P), P);
        uint32_t x1 = mod_add(t01123, mod_add(s[c + 2], s[c + 2], P), P);
        uint32_t x0 = mod_add(t01123, t01, P);
        uint32_t x2 = mod_add(t01233, t23, P);
        s[c] = x0, s[c + 1] = x1, s[c + 2] = x2, s[c + 3] = x3;
    }
    uint32_t sums[4];
LOOM_UNROLL
    for (int k = 0; k < 4; k++) {
        sums[k] = s[k];
LOOM_UNROLL
        for (int c = 4; c < W; c += 4)
            sums[k] = mod_add(sums[k], s[c + k], P);
    }
LOOM_UNROLL
    for (int i = 0; i < W; i++)
        s[i] = mod_add(s[i], sums[i & 3], P);
}

// M_I: s_i <- sum + V_i s_i (Plonky3), or (sum + V_i s_i) R^-1 (the legacy SP1 layer), each
// word one redc of t_i = D_i s_i + X, where:
//   legacy:  D_i = V_i (canonical; p2_fill_consts stores it so), X = the 64-bit sum itself,
//            so redc gives (V_i s_i + sum) R^-1 directly.
//   Plonky3: D_i = V_i R (Montgomery form), X = any value congruent to sum R, so redc gives
//            V_i s_i + sum. With sum = hi 2^32 + lo (hi < 2^4), X = lo (R mod p) + hi (R^2 mod p):
//            R mod p = 2^32 - 2p is below 2^28 for both primes, so X < 2^60 + 2^4 p.
// Bound: t_i < p^2 + max(X) < p^2 + 2^60 + 2^36 < p R (p^2 < 2^62, p R > 2^62.9), so each
// result is in [0, 2p) and one conditional subtraction makes it canonical. Plonky3's diagonal
// (small integers and +-2^-n) is not special-cased: with the sum folded into the product, a word
// costs 4 instructions, while 2^-n by shifts (hi - lo r 2^(k-n)) plus the add is 6, and 2 only
// for V_i = 1. So one code path serves every instance and any diagonal table.
template <int W, bool LEGACY, uint32_t P, uint32_t MU>
LOOM_HD void internal_layer(uint32_t (&s)[W], const uint32_t *diag)
{
    uint64_t sum = 0;  // < W p < 2^36
LOOM_UNROLL
    for (int i = 0; i < W; i++)
        sum += s[i];
    uint64_t x = sum;
    if (!LEGACY) {
        constexpr uint32_t r1 = (uint32_t)((1ull << 32) % P);
        constexpr uint32_t r2 = (uint32_t)((uint64_t)r1 * r1 % P);
        static_assert(r1 < (1u << 28), "R mod p must be below 2^28 for the bound above");
        x = (uint64_t)(uint32_t)sum * r1 + (uint64_t)(uint32_t)(sum >> 32) * r2;
    }
LOOM_UNROLL
    for (int i = 0; i < W; i++)
        s[i] = p2_reduce<P>(redc_lazy<P, MU>((uint64_t)diag[i] * s[i] + x));
}

// The permutation on a Montgomery-form state (canonical in and out).
template <int W, int RP, int DEG, bool LEGACY, uint32_t P, uint32_t MU>
LOOM_HD void permute(uint32_t (&s)[W], const p2_consts &c)
{
    static_assert(P < (1u << 31), "sums of two canonical values must fit in 32 bits");
    external_layer<W, P>(s);
LOOM_UNROLL
    for (int r = 0; r < 4; r++) {
LOOM_UNROLL
        for (int i = 0; i < W; i++)
            s[i] = sbox<P, MU, DEG>(mod_add(s[i], c.ext_initial[r * W + i], P));
        external_layer<W, P>(s);
    }
LOOM_UNROLL
    for (int r = 0; r < RP; r++) {
        s[0] = sbox<P, MU, DEG>(mod_add(s[0], c.internal[r], P));
        internal_layer<W, LEGACY, P, MU>(s, c.diag);
    }
LOOM_UNROLL
    for (int r = 0; r < 4; r++) {
LOOM_UNROLL
        for (int i = 0; i < W; i++)
            s[i] = sbox<P, MU, DEG>(mod_add(s[i], c.ext_final[r * W + i], P));
        external_layer<W, P>(s);
    }
}

// Host side: the device copy of an instance from the host's Montgomery-form tables
// (loom_poseidon2_monty, width words a round), as loom_cuda_load_perm uploads it. The legacy
// diagonal goes in canonical form (diag_m R^-1), which internal_layer relies on.
inline void p2_fill_consts(p2_consts &c, unsigned width, unsigned rounds_p, bool legacy, uint32_t p, uint32_t mu,
                           const uint32_t *ext_initial, const uint32_t *internal, const uint32_t *ext_final,
                           const uint32_t *diag)
{
    c = p2_consts{};
    for (unsigned i = 0; i < 4 * width; i++) {
        c.ext_initial[i] = ext_initial[i];
        c.ext_final[i] = ext_final[i];
    }
    for (unsigned i = 0; i < rounds_p; i++)
        c.internal[i] = internal[i];
    for (unsigned i = 0; i < width; i++)
        c.diag[i] = legacy ? mont_mul(diag[i], 1u, p, mu) : diag[i];
}

}  // namespace loom_cuda
