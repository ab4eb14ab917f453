/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AVX2 level: 8 x 32-bit lanes. Compiled with -mavx2 only; dispatch.c calls it only when
 * CPUID reports AVX2. The kernels themselves live in x86_packed.h (shared with AVX-512); this
 * file supplies the vector primitives they are written against.
 */
#include <immintrin.h>

#include "cpu/x86_packed.h"

typedef __m256i vec;
#define LANES 8u

XI vec v_set1(uint32_t x) { return _mm256_set1_epi32((int)x); }
XI vec v_zero(void) { return _mm256_setzero_si256(); }
XI vec v_loadu(const uint32_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
XI void v_storeu(uint32_t *p, vec x) { _mm256_storeu_si256((__m256i *)p, x); }

/* a + b < 2p < 2^32; if the sum is below p, sum - p wraps to a value above it: min picks. */
XI vec v_add(vec a, vec b, vec P)
{
    const vec t = _mm256_add_epi32(a, b);
    return _mm256_min_epu32(t, _mm256_sub_epi32(t, P));
}

/* a - b wraps to a value above p exactly when a < b; adding p back brings it under p. */
XI vec v_sub(vec a, vec b, vec P)
{
    const vec t = _mm256_sub_epi32(a, b);
    return _mm256_min_epu32(t, _mm256_add_epi32(t, P));
}

/* The odd 32-bit lanes moved down into the even positions (vpmuludq reads only those). */
XI vec odd_down(vec x) { return _mm256_castps_si256(_mm256_movehdup_ps(_mm256_castsi256_ps(x))); }

/*
 * Montgomery reduction of the 64-bit products in the even (pe) and odd (po) 64-bit lanes: the
 * same arithmetic as monty_reduce(). q = lo32(x) * mu, and hi32(x) - hi32(q p) is exact because
 * the low halves agree; it lies in (-p, p), so one conditional +p (again as a min) finishes.
 */
XI vec monty_reduce_pair(vec pe, vec po, vec P, vec MU)
{
    const vec qe = _mm256_mul_epu32(pe, MU), qo = _mm256_mul_epu32(po, MU);
    const vec qpe = _mm256_mul_epu32(qe, P), qpo = _mm256_mul_epu32(qo, P);
    /* hi32 of each 64-bit product into its own 32-bit lane: even lanes via movshdup, odd ones
     * are already in place. */
    const vec xhi = _mm256_blend_epi32(odd_down(pe), po, 0xaa);
    const vec qphi = _mm256_blend_epi32(odd_down(qpe), qpo, 0xaa);
    const vec t = _mm256_sub_epi32(xhi, qphi);
    return _mm256_min_epu32(t, _mm256_add_epi32(t, P));
}

XI vec v_mul(vec a, vec b, vec P, vec MU)
{
    return monty_reduce_pair(_mm256_mul_epu32(a, b), _mm256_mul_epu32(odd_down(a), odd_down(b)), P, MU);
}

/* b is a broadcast constant: its odd lanes already equal its even ones, one shuffle saved. */
XI vec v_mul_c(vec a, vec b, vec P, vec MU)
{
    return monty_reduce_pair(_mm256_mul_epu32(a, b), _mm256_mul_epu32(odd_down(a), b), P, MU);
}

XI vec v_srli(vec x, unsigned n) { return _mm256_srli_epi32(x, (int)n); }
XI vec v_slli(vec x, unsigned n) { return _mm256_slli_epi32(x, (int)n); }
XI vec v_and(vec a, vec b) { return _mm256_and_si256(a, b); }
XI vec v_sub_raw(vec a, vec b) { return _mm256_sub_epi32(a, b); }

/* (sum + x 2^j) 2^-32 mod p for canonical sum, x and j < 32: the 64-bit value stays below
 * p 2^32, so it is a valid input to one Montgomery reduction. Even lanes are zero-extended by
 * clearing the odd words, odd lanes by a 64-bit shift down. */
XI vec v_shl_add_reduce(vec sum, vec x, unsigned j, vec P, vec MU)
{
    const vec z = _mm256_setzero_si256();
    const vec xe = _mm256_slli_epi64(_mm256_blend_epi32(x, z, 0xaa), (int)j);
    const vec xo = _mm256_slli_epi64(_mm256_srli_epi64(x, 32), (int)j);
    const vec e = _mm256_add_epi64(xe, _mm256_blend_epi32(sum, z, 0xaa));
    const vec o = _mm256_add_epi64(xo, _mm256_srli_epi64(sum, 32));
    return monty_reduce_pair(e, o, P, MU);
}

XI void load_cols(vec *dst, const uint32_t *base, size_t stride, unsigned k)
{
    __m256i r[8];
    load8x8(r, base, stride, k);
    for (unsigned i = 0; i < k && i < 8; i++)
        dst[i] = r[i];
}

XI void store_cols(uint32_t *base, size_t stride, const vec *src)
{
    __m256i r[8];
    for (unsigned i = 0; i < 8; i++)
        r[i] = src[i];
    store8x8(base, stride, r);
}

#define LOOM_X86_TABLE loom_kernels_avx2
#define LOOM_X86_LEVEL LOOM_SIMD_AVX2
#define LOOM_X86_NAME "avx2"
#include "cpu/x86_packed.h"
