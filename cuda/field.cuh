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
#else
#define LOOM_HD inline
#endif

namespace loom_cuda {

struct field_params {
    uint32_t p;
    uint32_t mu;   // p^-1 mod 2^32
    uint32_t one;  // 2^32 mod p: 1 in Montgomery form
};

LOOM_HD uint32_t umulhi(uint32_t a, uint32_t b)
{
#if defined(__CUDA_ARCH__)
    return __umulhi(a, b);
#else
    return (uint32_t)(((uint64_t)a * b) >> 32);
#endif
}

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

// a * b * 2^-32 mod p for a, b < p: q = (a*b) mu mod 2^32; (a*b - q p) / 2^32 lies in (-p, p).
LOOM_HD uint32_t mont_mul(uint32_t a, uint32_t b, uint32_t p, uint32_t mu)
{
    uint32_t lo = a * b;
    uint32_t hi = umulhi(a, b);
    uint32_t q = lo * mu;
    uint32_t qp_hi = umulhi(q, p);
    // lo == (q*p) mod 2^32, so the low halves cancel exactly and only the high halves remain.
    // r + p wraps below r exactly when hi < qp_hi: the correction is one add-and-min.
    uint32_t r = hi - qp_hi;
    return umin(r, r + p);
}

// a * b * 2^-32 mod p for a < 2^32 (a need not be reduced: x - y + p is fine) and a constant b < p
// given with bmu = b * mu mod 2^32: q = a * bmu comes from one product instead of two, so the
// whole is 3 multiplications. a * b < 2^32 p, so (a*b - q p) / 2^32 lies in (-p, p) again.
LOOM_HD uint32_t mont_mul_c(uint32_t a, uint32_t b, uint32_t bmu, uint32_t p)
{
    uint32_t q = a * bmu;
    uint32_t hi = umulhi(a, b);
    uint32_t qp_hi = umulhi(q, p);
    uint32_t r = hi - qp_hi;
    return umin(r, r + p);
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
