/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NTT row loops for the avx512 level (CMake gives this file only that level's flags): the
 * template's index loops around the intrinsic butterflies of cpu/ntt_x86.h at 16 lanes, with the
 * same arithmetic as the 8-lane AVX2 primitives of ntt_avx2.c.
 */
#include <immintrin.h>
#include <stdint.h>

typedef __m512i nvec;
#define NV_LANES 16u
#define NV_INLINE static inline __attribute__((always_inline))

NV_INLINE nvec nv_set1(uint32_t x) { return _mm512_set1_epi32((int)x); }
NV_INLINE nvec nv_loadu(const uint32_t *p) { return _mm512_loadu_si512((const void *)p); }
NV_INLINE void nv_storeu(uint32_t *p, nvec x) { _mm512_storeu_si512((void *)p, x); }

/* a + b < 2p < 2^32; if the sum is below p, sum - p wraps to a value above it: min picks. */
NV_INLINE nvec nv_add(nvec a, nvec b, nvec P)
{
    const nvec t = _mm512_add_epi32(a, b);
    return _mm512_min_epu32(t, _mm512_sub_epi32(t, P));
}

/* a - b wraps to a value above p exactly when a < b; adding p back brings it under p. */
NV_INLINE nvec nv_sub(nvec a, nvec b, nvec P)
{
    const nvec t = _mm512_sub_epi32(a, b);
    return _mm512_min_epu32(t, _mm512_add_epi32(t, P));
}

/* The odd 32-bit lanes moved down into the even positions (vpmuludq reads only those). */
NV_INLINE nvec nv_odd_down(nvec x) { return _mm512_srli_epi64(x, 32); }

/* a * w 2^-32 mod p, canonical: see nv_mul_w in ntt_avx2.c for the derivation. Mask 0xaaaa
 * takes the odd lanes from the second operand (the products of the odd lanes, high halves in
 * place) and the even lanes from the first (the even products' high halves, moved down). */
NV_INLINE nvec nv_mul_w(nvec a, nvec W, nvec WMU, nvec P)
{
    const nvec ao = nv_odd_down(a);
    const nvec pe = _mm512_mul_epu32(a, W), po = _mm512_mul_epu32(ao, W);
    const nvec qe = _mm512_mul_epu32(a, WMU), qo = _mm512_mul_epu32(ao, WMU);
    const nvec qpe = _mm512_mul_epu32(qe, P), qpo = _mm512_mul_epu32(qo, P);
    const nvec xhi = _mm512_mask_blend_epi32((__mmask16)0xaaaa, nv_odd_down(pe), po);
    const nvec qphi = _mm512_mask_blend_epi32((__mmask16)0xaaaa, nv_odd_down(qpe), qpo);
    const nvec t = _mm512_sub_epi32(xhi, qphi);
    return _mm512_min_epu32(t, _mm512_add_epi32(t, P));
}

#define NTT_ROWS_TABLE loom_ntt_rows_avx512
#define NTT_ROWS_NAME "avx512"
#define NTT_ROWS_KERNELS "cpu/ntt_x86.h"
#include "cpu/ntt_template.h"
