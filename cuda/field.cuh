// SPDX-License-Identifier: Apache-2.0
// Monty31 field arithmetic on the GPU (BabyBear, KoalaBear). Values live in [0, p); data arrays
// stay canonical and constants (twiddles, round constants) are kept in Montgomery form, so that
// mont_mul(canonical, constant * 2^32) is the canonical product.
//
// Everything here is LOOM_HD: it compiles for the device under nvcc and as plain C++ with a host
// compiler, so that tests without a GPU (tests/test_cuda_host.cpp) run the kernels' arithmetic
// and index logic against the CPU reference.
#pragma once
#include <stdint.h>

#if defined(__CUDACC__)
#define LOOM_HD __host__ __device__ __forceinline__
#define LOOM_HDC __host__ __device__ constexpr
#else
#define LOOM_HD inline
#define LOOM_HDC constexpr
#endif
#if defined(__CUDA_ARCH__)  // the device pass only: host compilers do not know the pragma
#define LOOM_UNROLL _Pragma("unroll")
#else
#define LOOM_UNROLL
#endif

namespace loom_cuda {

struct field_params {
    uint32_t p;
    uint32_t mu;   // p^-1 mod 2^32
    uint32_t one;  // 2^32 mod p: 1 in Montgomery form
};

LOOM_HD uint32_t umin(uint32_t a, uint32_t b)
{
#if defined(__CUDA_ARCH__)
    return min(a, b);
#else
    return a < b ? a : b;
#endif
}

// The low `bits` bits of i, reversed.
LOOM_HD uint32_t brev32(uint32_t i, unsigned bits)
{
#if defined(__CUDA_ARCH__)
    return bits ? __brev(i) >> (32 - bits) : 0;
#else
    uint32_t r = 0;
    for (unsigned b = 0; b < bits; b++)
        r |= ((i >> b) & 1u) << (bits - 1 - b);
    return r;
#endif
}

// (t + q p) / 2^32 with q = -t p^-1 mod 2^32 (mu = p^-1): an exact division, congruent to
// t 2^-32 and below t / 2^32 + p for any t < 2^64 - 2^32 p; so t < 2^32 p gives [0, 2p). On the
// device the high half of q p + t is one carry chain, which ptxas turns into a single IMAD.HI
// with the 64-bit addend t: with t = a * b from IMAD.WIDE a product is IMAD.WIDE, IMAD, IMAD.HI.
// (Written as hi(a b) - hi(q' p), ptxas fused the subtraction into an IMAD.HI whose addend pair
// had to be built with moves: seven instructions, five of them on the multiply pipe that bounds
// the NTT.)
LOOM_HD uint32_t redc_lazy(uint64_t t, uint32_t p, uint32_t mu)
{
    uint32_t q = (uint32_t)t * (0u - mu);
#if defined(__CUDA_ARCH__)
    uint32_t r;
    asm("{\n\t.reg .u32 lo;\n\tmad.lo.cc.u32 lo, %1, %2, %3;\n\tmadc.hi.u32 %0, %1, %2, %4;\n\t}"
        : "=r"(r)
        : "r"(q), "r"(p), "r"((uint32_t)t), "r"((uint32_t)(t >> 32)));
    return r;
#else
    return (uint32_t)((t + (uint64_t)q * p) >> 32);
#endif
}

// a * b * 2^-32 mod p, canonical, for a < 2^32 and b < p (a need not be reduced: x - y + p is
// fine): a b < 2^32 p, so redc_lazy applies, and x - p wraps above x when x < p.
LOOM_HD uint32_t mont_mul(uint32_t a, uint32_t b, uint32_t p, uint32_t mu)
{
    const uint32_t r = redc_lazy((uint64_t)a * b, p, mu);
    return umin(r, r - p);
}

// a * w mod p, canonical, for any a < 2^32 and a constant w < p given with ws = floor(w 2^32 / p)
// (Shoup; "Faster arithmetic for number-theoretic transforms", J. Symb. Comput. 60, 2014): q =
// hi(a ws) is floor(a w / p) or one less, so a w - q p lies in [0, 2p) and its low 32 bits are
// exact. IMAD.HI, IMAD, IMAD against mont_mul's IMAD.WIDE, IMAD, IMAD.HI: the multiply pipe takes
// two slots for a wide or high product, so 4 slots instead of 5 (H100: 15.6 against 11.7
// products a clock an SM). No Montgomery factor: w is the plain value, not w 2^32.
LOOM_HD uint32_t shoup_mul(uint32_t a, uint32_t w, uint32_t ws, uint32_t p)
{
#if defined(__CUDA_ARCH__)
    const uint32_t q = __umulhi(a, ws);
#else
    const uint32_t q = (uint32_t)(((uint64_t)a * ws) >> 32);
#endif
    const uint32_t r = a * w - q * p;
    return umin(r, r - p);
}

// The Shoup pair of a Montgomery-form constant wm = w 2^32 mod p, packed as w | ws << 32.
LOOM_HD uint64_t shoup_pair(uint32_t wm, uint32_t p, uint32_t mu)
{
    const uint32_t w = mont_mul(wm, 1u, p, mu);
    return (uint64_t)w | ((((uint64_t)w << 32) / p) << 32);
}

LOOM_HD uint32_t mod_add(uint32_t a, uint32_t b, uint32_t p)
{
    uint32_t s = a + b;
    return umin(s, s - p);  // s - p wraps to a large value when s < p
}

LOOM_HD uint32_t mod_sub(uint32_t a, uint32_t b, uint32_t p)
{
    uint32_t d = a - b;
    return umin(d, d + p);  // when a >= b, d + p >= p > d; when a < b, d + p < d (wrapped)
}

// Reduction of a 64-bit sum of canonical values.
LOOM_HD uint32_t mod_reduce64(uint64_t x, uint32_t p) { return (uint32_t)(x % p); }

}  // namespace loom_cuda
