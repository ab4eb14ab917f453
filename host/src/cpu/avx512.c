/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AVX-512 level: 16 x 32-bit lanes. Compiled with -mavx512f -mavx512bw -mavx512dq
 * -mavx512vl; dispatch.c calls it only when CPUID (and XCR0) report AVX-512. The kernels live in
 * x86_packed.h (shared with AVX2, where they are tested on every x86 machine); this file
 * supplies the 512-bit primitives, which mirror avx2.c one for one.
 */
#include <immintrin.h>

#include "cpu/x86_packed.h"

typedef __m512i vec;
#define LANES 16u

XI vec v_set1(uint32_t x) { return _mm512_set1_epi32((int)x); }
XI vec v_zero(void) { return _mm512_setzero_si512(); }
XI vec v_loadu(const uint32_t *p) { return _mm512_loadu_si512((const void *)p); }
XI void v_storeu(uint32_t *p, vec x) { _mm512_storeu_si512((void *)p, x); }

/* a + b < 2p < 2^32; if the sum is below p, sum - p wraps to a value above it: min picks. */
XI vec v_add(vec a, vec b, vec P)
{
    const vec t = _mm512_add_epi32(a, b);
    return _mm512_min_epu32(t, _mm512_sub_epi32(t, P));
}

/* a - b wraps to a value above p exactly when a < b; adding p back brings it under p. */
XI vec v_sub(vec a, vec b, vec P)
{
    const vec t = _mm512_sub_epi32(a, b);
    return _mm512_min_epu32(t, _mm512_add_epi32(t, P));
}

/* The odd 32-bit lanes moved down into the even positions (vpmuludq reads only those). */
XI vec odd_down(vec x) { return _mm512_castps_si512(_mm512_movehdup_ps(_mm512_castsi512_ps(x))); }

/* Montgomery reduction of the even / odd 64-bit products: see avx2.c (same arithmetic as
 * monty_reduce()). The merge of the high halves is one masked movshdup into the odd vector. */
XI vec monty_reduce_pair(vec pe, vec po, vec P, vec MU)
{
    const vec qe = _mm512_mul_epu32(pe, MU), qo = _mm512_mul_epu32(po, MU);
    const vec qpe = _mm512_mul_epu32(qe, P), qpo = _mm512_mul_epu32(qo, P);
    const vec xhi = _mm512_castps_si512(
        _mm512_mask_movehdup_ps(_mm512_castsi512_ps(po), (__mmask16)0x5555, _mm512_castsi512_ps(pe)));
    const vec qphi = _mm512_castps_si512(
        _mm512_mask_movehdup_ps(_mm512_castsi512_ps(qpo), (__mmask16)0x5555, _mm512_castsi512_ps(qpe)));
    const vec t = _mm512_sub_epi32(xhi, qphi);
    return _mm512_min_epu32(t, _mm512_add_epi32(t, P));
}

XI vec v_mul(vec a, vec b, vec P, vec MU)
{
    return monty_reduce_pair(_mm512_mul_epu32(a, b), _mm512_mul_epu32(odd_down(a), odd_down(b)), P, MU);
}

/* b is a broadcast constant: its odd lanes already equal its even ones, one shuffle saved. */
XI vec v_mul_c(vec a, vec b, vec P, vec MU)
{
    return monty_reduce_pair(_mm512_mul_epu32(a, b), _mm512_mul_epu32(odd_down(a), b), P, MU);
}

XI vec v_srli(vec x, unsigned n) { return _mm512_srli_epi32(x, n); }
XI vec v_slli(vec x, unsigned n) { return _mm512_slli_epi32(x, n); }
XI vec v_and(vec a, vec b) { return _mm512_and_si512(a, b); }
XI vec v_sub_raw(vec a, vec b) { return _mm512_sub_epi32(a, b); }

/* (sum + x 2^j) 2^-32 mod p: see avx2.c. Even lanes zero-extended by a masked move that clears
 * the odd words, odd lanes by a 64-bit shift down. */
XI vec v_shl_add_reduce(vec sum, vec x, unsigned j, vec P, vec MU)
{
    const __mmask16 even = (__mmask16)0x5555;
    const vec xe = _mm512_slli_epi64(_mm512_maskz_mov_epi32(even, x), j);
    const vec xo = _mm512_slli_epi64(_mm512_srli_epi64(x, 32), j);
    const vec e = _mm512_add_epi64(xe, _mm512_maskz_mov_epi32(even, sum));
    const vec o = _mm512_add_epi64(xo, _mm512_srli_epi64(sum, 32));
    return monty_reduce_pair(e, o, P, MU);
}

/* 16 rows = two 8x8 blocks (rows 0..7 -> low 256 bits, rows 8..15 -> high 256 bits). */
XI void load_cols(vec *dst, const uint32_t *base, size_t stride, unsigned k)
{
    __m256i lo[8], hi[8];
    load8x8(lo, base, stride, k);
    load8x8(hi, base + 8 * stride, stride, k);
    for (unsigned i = 0; i < k && i < 8; i++)
        dst[i] = _mm512_inserti64x4(_mm512_castsi256_si512(lo[i]), hi[i], 1);
}

XI void store_cols(uint32_t *base, size_t stride, const vec *src)
{
    __m256i lo[8], hi[8];
    for (unsigned i = 0; i < 8; i++) {
        lo[i] = _mm512_castsi512_si256(src[i]);
        hi[i] = _mm512_extracti64x4_epi64(src[i], 1);
    }
    store8x8(base, stride, lo);
    store8x8(base + 8 * stride, stride, hi);
}

#define LOOM_X86_TABLE loom_kernels_avx512
#define LOOM_X86_LEVEL LOOM_SIMD_AVX512
#define LOOM_X86_NAME "avx512"
#include "cpu/x86_packed.h"
