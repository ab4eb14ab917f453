/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NTT row loops for the avx2 level (CMake gives this file only that level's flags): the
 * template's index loops around the intrinsic butterflies of cpu/ntt_x86.h, written against the
 * 8-lane primitives below (the arithmetic of cpu/avx2.c).
 */
#include <immintrin.h>
#include <stdint.h>

typedef __m256i nvec;
#define NV_LANES 8u
#define NV_INLINE static inline __attribute__((always_inline))

NV_INLINE nvec nv_set1(uint32_t x) { return _mm256_set1_epi32((int)x); }
NV_INLINE nvec nv_loadu(const uint32_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
NV_INLINE void nv_storeu(uint32_t *p, nvec x) { _mm256_storeu_si256((__m256i *)p, x); }

/* a + b < 2p < 2^32; if the sum is below p, sum - p wraps to a value above it: min picks. */
NV_INLINE nvec nv_add(nvec a, nvec b, nvec P)
{
    const nvec t = _mm256_add_epi32(a, b);
    return _mm256_min_epu32(t, _mm256_sub_epi32(t, P));
}

/* a - b wraps to a value above p exactly when a < b; adding p back brings it under p. */
NV_INLINE nvec nv_sub(nvec a, nvec b, nvec P)
{
    const nvec t = _mm256_sub_epi32(a, b);
    return _mm256_min_epu32(t, _mm256_add_epi32(t, P));
}

/* The odd 32-bit lanes moved down into the even positions (vpmuludq reads only those). */
NV_INLINE nvec nv_odd_down(nvec x) { return _mm256_castps_si256(_mm256_movehdup_ps(_mm256_castsi256_ps(x))); }

/*
 * a * w 2^-32 mod p for canonical a and a broadcast Montgomery-form w (W; WMU = w mu mod 2^32).
 * q = lo32(a w) mu = a (w mu) mod 2^32, so q comes straight from a and WMU, in parallel with
 * a w; then hi32(a w) - hi32(q p), exact since the low halves agree, in (-p, p), and one
 * conditional +p (as a min) makes it canonical: monty_mul's value.
 */
NV_INLINE nvec nv_mul_w(nvec a, nvec W, nvec WMU, nvec P)
{
    const nvec ao = nv_odd_down(a);
    const nvec pe = _mm256_mul_epu32(a, W), po = _mm256_mul_epu32(ao, W);
    const nvec qe = _mm256_mul_epu32(a, WMU), qo = _mm256_mul_epu32(ao, WMU);
    const nvec qpe = _mm256_mul_epu32(qe, P), qpo = _mm256_mul_epu32(qo, P);
    const nvec xhi = _mm256_blend_epi32(nv_odd_down(pe), po, 0xaa);
    const nvec qphi = _mm256_blend_epi32(nv_odd_down(qpe), qpo, 0xaa);
    const nvec t = _mm256_sub_epi32(xhi, qphi);
    return _mm256_min_epu32(t, _mm256_add_epi32(t, P));
}

#define NTT_ROWS_TABLE loom_ntt_rows_avx2
#define NTT_ROWS_NAME "avx2"
#define NTT_ROWS_KERNELS "cpu/ntt_x86.h"
#include "cpu/ntt_template.h"
