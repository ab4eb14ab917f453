// SPDX-License-Identifier: Apache-2.0
// Poseidon2 on the GPU: one thread per permutation, the state in registers, every loop unrolled
// for one instance (width, rounds, S-box degree, prime are template parameters), round constants
// read uniformly from __constant__ memory (a broadcast per warp).
#pragma once
#include "field.cuh"

namespace loom_cuda {

// Montgomery-form constants of one instance (same layout as the host's loom_poseidon2_monty).
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

template <uint32_t P, uint32_t MU, int DEG>
LOOM_HD uint32_t sbox(uint32_t x)
{
    uint32_t x2 = mont_mul(x, x, P, MU);
    uint32_t x3 = mont_mul(x2, x, P, MU);
    if (DEG == 3)
        return x3;
    uint32_t x4 = mont_mul(x2, x2, P, MU);
    return mont_mul(x3, x4, P, MU);
}

template <int W, uint32_t P>
LOOM_HD void external_layer(uint32_t (&s)[W])
{
#pragma unroll
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
#pragma unroll
    for (int k = 0; k < 4; k++) {
        uint64_t acc = 0;
#pragma unroll
        for (int c = 0; c < W; c += 4)
            acc += s[c + k];
        sums[k] = mod_reduce64(acc, P);
    }
#pragma unroll
    for (int i = 0; i < W; i++)
        s[i] = mod_add(s[i], sums[i & 3], P);
}

// The permutation on a Montgomery-form state.
template <int W, int RP, int DEG, bool LEGACY, uint32_t P, uint32_t MU>
LOOM_HD void permute(uint32_t (&s)[W], const p2_consts &c)
{
    external_layer<W, P>(s);
#pragma unroll
    for (int r = 0; r < 4; r++) {
#pragma unroll
        for (int i = 0; i < W; i++)
            s[i] = sbox<P, MU, DEG>(mod_add(s[i], c.ext_initial[r * W + i], P));
        external_layer<W, P>(s);
    }
#pragma unroll
    for (int r = 0; r < RP; r++) {
        s[0] = sbox<P, MU, DEG>(mod_add(s[0], c.internal[r], P));
        uint64_t acc = 0;
#pragma unroll
        for (int i = 0; i < W; i++)
            acc += s[i];
        uint32_t total = mod_reduce64(acc, P);
#pragma unroll
        for (int i = 0; i < W; i++) {
            uint32_t v = mod_add(total, mont_mul(c.diag[i], s[i], P, MU), P);
            s[i] = LEGACY ? mont_mul(v, 1u, P, MU) : v;
        }
    }
#pragma unroll
    for (int r = 0; r < 4; r++) {
#pragma unroll
        for (int i = 0; i < W; i++)
            s[i] = sbox<P, MU, DEG>(mod_add(s[i], c.ext_final[r * W + i], P));
        external_layer<W, P>(s);
    }
}

}  // namespace loom_cuda
