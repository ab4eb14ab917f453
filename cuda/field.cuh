// SPDX-License-Identifier: Apache-2.0
// Monty31 field arithmetic on the GPU (BabyBear, KoalaBear). Values live in [0, p); data arrays
// stay canonical and constants (twiddles, round constants) are kept in Montgomery form, so that
// mont_mul(canonical, constant * 2^32) is the canonical product.
#pragma once
#include <stdint.h>

namespace loom_cuda {

struct field_params {
    uint32_t p;
    uint32_t mu;   // p^-1 mod 2^32
    uint32_t one;  // 2^32 mod p: 1 in Montgomery form
};

// a * b * 2^-32 mod p for a, b < p: q = (a*b) mu mod 2^32; (a*b - q p) / 2^32 lies in (-p, p).
__device__ __forceinline__ uint32_t mont_mul(uint32_t a, uint32_t b, uint32_t p, uint32_t mu)
{
    uint32_t lo = a * b;
    uint32_t hi = __umulhi(a, b);
    uint32_t q = lo * mu;
    uint32_t qp_hi = __umulhi(q, p);
    // lo == (q*p) mod 2^32, so the low halves cancel exactly and only the high halves remain.
    uint32_t r = hi - qp_hi;
    return hi < qp_hi ? r + p : r;
}

__device__ __forceinline__ uint32_t mod_add(uint32_t a, uint32_t b, uint32_t p)
{
    uint32_t s = a + b;
    return min(s, s - p);  // s - p wraps to a large value when s < p
}

__device__ __forceinline__ uint32_t mod_sub(uint32_t a, uint32_t b, uint32_t p)
{
    uint32_t d = a - b;
    return min(d, d + p);  // when a >= b, d + p >= p > d; when a < b, d + p < d (wrapped)
}

// Reduction of a 64-bit sum of canonical values.
__device__ __forceinline__ uint32_t mod_reduce64(uint64_t x, uint32_t p) { return (uint32_t)(x % p); }

}  // namespace loom_cuda
