// SPDX-License-Identifier: Apache-2.0
// Batched radix-2 NTT passes on column-major data (column c of length n = 2^logn at data + c * ld).
//
// A pass runs k consecutive stages in shared memory. Stage s pairs elements i and i + 2^s, so
// stages [s_lo, s_lo + k) only mix elements that agree outside bits [s_lo, s_lo + k): a group of
// T = 2^k elements strided by L = 2^s_lo. One block loads G groups with consecutive low offsets
// (G = min(L, 32)), so that a warp reads runs of 32 consecutive words (128 bytes, a full DRAM
// burst) instead of single words at a large stride, runs the k stages, and writes them back.
//
// Twiddles: tw[h + j] = w_{2h}^j in Montgomery form for every half-size h = 2^s (so the table of
// a larger size holds every smaller one). DIT pairs (a, b) -> (a + w b, a - w b); DIF pairs
// (a, b) -> (a + b, (a - b) w).
#pragma once
#include "field.cuh"

namespace loom_cuda {

#define NTT_MAX_PASS_LOG 12     // stages of the contiguous pass (stride 1): 2^12 elements a group
#define NTT_MAX_STRIDED_LOG 8   // stages of a strided pass: 2^8 elements a group, 32 groups a block
#define NTT_GROUPS 32           // groups a block when the stride allows: 128-byte runs
#define NTT_THREADS 256
#define NTT_BATCH 8             // global loads a thread issues before using any

template <bool DIF>
__global__ void __launch_bounds__(512) ntt_pass(uint32_t *data, size_t ld, unsigned logn, unsigned s_lo,
                                                        unsigned k, const uint32_t *__restrict__ tw, field_params f)
{
    extern __shared__ uint32_t sm[];
    const uint32_t p = f.p, mu = f.mu;
    const size_t n = (size_t)1 << logn;
    const uint32_t T = 1u << k, L = 1u << s_lo;
    const unsigned log_g = s_lo < 5 ? s_lo : 5;  // G = min(L, NTT_GROUPS = 32): a power of two, so
    const uint32_t G = 1u << log_g, gmask = G - 1;  // index splits are shifts and masks, not divisions
    // Block -> (column, hi, lo0): lo0 in steps of G below L, hi above bit s_lo + k.
    const size_t lo_blocks = L / G;
    const size_t blocks_per_col = n / ((size_t)T * G);
    const size_t col = blockIdx.x / blocks_per_col;
    const size_t b = blockIdx.x % blocks_per_col;
    const size_t lo0 = (b % lo_blocks) * G;
    const size_t hi = b / lo_blocks;
    uint32_t *base = data + col * ld + hi * (size_t)T * L + lo0;

    // Twiddle of a butterfly: j = a L + lo (a = t mod hr, lo = lo0 + g), and since
    // w_{2h}^L = w_{2hr} (the generator table is consistent), w_{2h}^j = w_{2hr}^a * w_{2h}^lo.
    // w_{2hr}^a comes from the first 2^k words of the table (small, cache-resident); w_{2h}^lo is
    // one value per (stage, group), read once into shared memory. Reading w_{2h}^j directly would
    // touch a new DRAM sector per butterfly in the late passes.
    __shared__ uint32_t bases[NTT_MAX_PASS_LOG][NTT_GROUPS];
    if (threadIdx.x < k * G) {
        unsigned r = threadIdx.x >> log_g, g = threadIdx.x & gmask;
        bases[r][g] = tw[((size_t)1 << r) * L + lo0 + g];
    }
    // Eight loads in flight per thread before the first shared-memory store: a load followed by
    // its dependent store each iteration keeps one load in flight a warp, about 1 TB/s.
    const uint32_t TG = T * G;
    for (uint32_t e0 = threadIdx.x; e0 < TG; e0 += NTT_BATCH * blockDim.x) {
        uint32_t v[NTT_BATCH];
#pragma unroll
        for (int j = 0; j < NTT_BATCH; j++) {
            uint32_t e = e0 + j * blockDim.x;
            if (e < TG)
                v[j] = __ldcg(base + (size_t)(e >> log_g) * L + (e & gmask));
        }
#pragma unroll
        for (int j = 0; j < NTT_BATCH; j++) {
            uint32_t e = e0 + j * blockDim.x;
            if (e < TG)
                sm[e] = v[j];
        }
    }
    __syncthreads();
    const uint32_t half = T / 2 * G;
    for (unsigned step = 0; step < k; step++) {
        const unsigned r = DIF ? k - 1 - step : step;  // DIF runs its stages from the top down
        const uint32_t hr = 1u << r;
        for (uint32_t u = threadIdx.x; u < half; u += blockDim.x) {
            uint32_t g = u & gmask, q = u >> log_g;
            uint32_t t = ((q >> r) << (r + 1)) | (q & (hr - 1));
            uint32_t ia = t * G + g, ib = (t + hr) * G + g;
            uint32_t a_idx = t & (hr - 1);
            uint32_t w = a_idx ? tw[hr + a_idx] : f.one;  // tw[hr] = w^0 = 1 in Montgomery form
            if (L > 1)
                w = mont_mul(w, bases[r][g], p, mu);
            uint32_t a = sm[ia], bb = sm[ib];
            if (DIF) {
                sm[ia] = mod_add(a, bb, p);
                sm[ib] = mont_mul(mod_sub(a, bb, p), w, p, mu);
            } else {
                uint32_t t2 = mont_mul(bb, w, p, mu);
                sm[ia] = mod_add(a, t2, p);
                sm[ib] = mod_sub(a, t2, p);
            }
        }
        __syncthreads();
    }
    for (uint32_t e = threadIdx.x; e < TG; e += blockDim.x) {
        uint32_t g = e & gmask, t = e >> log_g;
        __stcg(base + (size_t)t * L + g, sm[e]);
    }
}

}  // namespace loom_cuda
