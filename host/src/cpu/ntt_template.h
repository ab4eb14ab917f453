/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NTT row loops as a template: a file defines NTT_ROWS_TABLE (the table's symbol) and
 * NTT_ROWS_NAME (its level) and includes this once; CMake compiles each such file with only its
 * level's instruction-set flags. Plain C loops over the columns of a row, written so that the
 * compiler vectorises them (restrict rows, the direction and the unit twiddle hoisted out of the
 * column loop by constant-folded instantiations), unless the file supplies its own column loops
 * through NTT_ROWS_KERNELS (AVX2 does: cpu/ntt_x86.h). See ntt_rows.h for what each function does.
 */
#if !defined(NTT_ROWS_TABLE) || !defined(NTT_ROWS_NAME)
#error "define NTT_ROWS_TABLE and NTT_ROWS_NAME before including ntt_template.h"
#endif

#include "internal/monty.h"
#include "ntt_rows.h"

#if defined(__GNUC__) || defined(__clang__)
#define NTT_INLINE static inline __attribute__((always_inline))
#else
#define NTT_INLINE static inline
#endif

/*
 * monty_mul (internal/monty.h) with the reduction's subtract and compare done on the high 32-bit
 * halves: the low halves of a*b and q*p are equal by construction, so a*b < q*p exactly when the
 * high halves compare so. Same value, but every lane operation after the two products is 32-bit,
 * which vectorises without 64-bit compares (AVX2 has no unsigned 64-bit compare).
 */
NTT_INLINE uint32_t ntt_mul(uint32_t a, uint32_t b, uint32_t p, uint32_t mu)
{
    uint64_t t = (uint64_t)a * b;
    uint32_t q = (uint32_t)t * mu;
    uint32_t th = (uint32_t)(t >> 32), qh = (uint32_t)(((uint64_t)q * p) >> 32);
    uint32_t r = th - qh;
    return th < qh ? r + p : r;
}
#define monty_mul ntt_mul

/*
 * A level with hand-written vector loops (ntt_avx2.c, ntt_avx512.c) names a header in
 * NTT_ROWS_KERNELS that supplies bfly2, bfly4 and scale_impl with the semantics below; the
 * index loops after them are shared by every level.
 */
#ifdef NTT_ROWS_KERNELS
#include NTT_ROWS_KERNELS
#else
/*
 * a, b <- a + w*b, a - w*b; with neg the twiddle is -w, which only swaps the add and the
 * subtract. w in Montgomery form; unit means w = 1 (no product).
 */
NTT_INLINE void bfly2(uint32_t *restrict a, uint32_t *restrict b, size_t cols, uint32_t w, int unit, int neg,
                      uint32_t p, uint32_t mu)
{
    for (size_t c = 0; c < cols; c++) {
        uint32_t x = a[c], t = unit ? b[c] : monty_mul(b[c], w, p, mu);
        a[c] = neg ? mod_sub(x, t, p) : mod_add(x, t, p);
        b[c] = neg ? mod_add(x, t, p) : mod_sub(x, t, p);
    }
}

/*
 * Two DIT layers on rows r0..r3 (h apart): the half-h layer on (r0,r1), (r2,r3) with w1, then the
 * half-2h layer on (r0,r2) with w2 and (r1,r3) with w3. unit: w1 = w2 = 1 (the j = 0 group).
 * neg12 / neg3: the twiddles are the negations of w1, w2 / w3.
 */
NTT_INLINE void bfly4(uint32_t *restrict r0, uint32_t *restrict r1, uint32_t *restrict r2, uint32_t *restrict r3,
                      size_t cols, uint32_t w1, uint32_t w2, uint32_t w3, int unit, int neg12, int neg3,
                      uint32_t p, uint32_t mu)
{
    for (size_t c = 0; c < cols; c++) {
        uint32_t x0 = r0[c], x1 = r1[c], x2 = r2[c], x3 = r3[c];
        if (!unit) {
            x1 = monty_mul(x1, w1, p, mu);
            x3 = monty_mul(x3, w1, p, mu);
        }
        uint32_t y0 = neg12 ? mod_sub(x0, x1, p) : mod_add(x0, x1, p);
        uint32_t y1 = neg12 ? mod_add(x0, x1, p) : mod_sub(x0, x1, p);
        uint32_t y2 = neg12 ? mod_sub(x2, x3, p) : mod_add(x2, x3, p);
        uint32_t y3 = neg12 ? mod_add(x2, x3, p) : mod_sub(x2, x3, p);
        if (!unit)
            y2 = monty_mul(y2, w2, p, mu);
        y3 = monty_mul(y3, w3, p, mu);
        r0[c] = neg12 ? mod_sub(y0, y2, p) : mod_add(y0, y2, p);
        r2[c] = neg12 ? mod_add(y0, y2, p) : mod_sub(y0, y2, p);
        r1[c] = neg3 ? mod_sub(y1, y3, p) : mod_add(y1, y3, p);
        r3[c] = neg3 ? mod_add(y1, y3, p) : mod_sub(y1, y3, p);
    }
}

NTT_INLINE void scale_impl(uint32_t *out, const uint32_t *in, size_t len, uint32_t w, uint32_t p, uint32_t mu)
{
    for (size_t i = 0; i < len; i++)
        out[i] = monty_mul(in[i], w, p, mu);
}

#endif /* NTT_ROWS_KERNELS */

/* Butterflies [k0, k1) of one layer of half size h (see ntt_rows.h). */
NTT_INLINE void r2_impl(uint32_t *m, size_t cols, size_t h, size_t k0, size_t k1, const uint32_t *tw, int inv,
                        uint32_t p, uint32_t mu)
{
    const size_t hc = h * cols;
    size_t base = (k0 / h) * 2 * h, j = k0 % h;
    for (size_t k = k0; k < k1; k++) {
        uint32_t *a = m + (base + j) * cols;
        if (j == 0)
            bfly2(a, a + hc, cols, 0, 1, 0, p, mu);
        else
            bfly2(a, a + hc, cols, inv ? tw[2 * h - j] : tw[h + j], 0, inv, p, mu);
        if (++j == h) {
            j = 0;
            base += 2 * h;
        }
    }
}

/* 4-row groups [k0, k1) of the layers of half size h and 2h (see ntt_rows.h). */
NTT_INLINE void r4_impl(uint32_t *m, size_t cols, size_t h, size_t k0, size_t k1, const uint32_t *tw, int inv,
                        uint32_t p, uint32_t mu)
{
    const size_t hc = h * cols;
    size_t base = (k0 / h) * 4 * h, j = k0 % h;
    for (size_t k = k0; k < k1; k++) {
        uint32_t *q = m + (base + j) * cols;
        if (j == 0) {
            /* w_{2h}^0 = w_{4h}^0 = 1, and w_{4h}^h (a 4th root of unity) for the last pair. */
            bfly4(q, q + hc, q + 2 * hc, q + 3 * hc, cols, 0, 0, tw[3 * h], 1, 0, inv, p, mu);
        } else {
            uint32_t w1 = inv ? tw[2 * h - j] : tw[h + j];
            uint32_t w2 = inv ? tw[4 * h - j] : tw[2 * h + j];
            uint32_t w3 = inv ? tw[3 * h - j] : tw[3 * h + j];
            bfly4(q, q + hc, q + 2 * hc, q + 3 * hc, cols, w1, w2, w3, 0, inv, inv, p, mu);
        }
        if (++j == h) {
            j = 0;
            base += 4 * h;
        }
    }
}

NTT_INLINE void blocks_impl(uint32_t *m, size_t cols, size_t b0, size_t b1, unsigned lb, const uint32_t *tw,
                            int inv, uint32_t scale, uint32_t p, uint32_t mu)
{
    const size_t bsz = (size_t)1 << lb;
    for (size_t blk = b0; blk < b1; blk++) {
        uint32_t *b = m + blk * bsz * cols;
        if (scale)
            scale_impl(b, b, bsz * cols, scale, p, mu);
        /* Group indices of the block's rows: bsz / 4 groups (r4) or bsz / 2 butterflies (r2) a block. */
        unsigned l = 0;
        for (; l + 1 < lb; l += 2)
            r4_impl(b, cols, (size_t)1 << l, 0, bsz / 4, tw, inv, p, mu);
        if (l < lb)
            r2_impl(b, cols, (size_t)1 << l, 0, bsz / 2, tw, inv, p, mu);
    }
}

/*
 * Instantiations with a constant direction, and with cols = 1 so that a single column gets a
 * loop over the butterflies rather than a one-trip loop over columns.
 */
#define NTT_DISPATCH(impl, ...)                                                                                   \
    do {                                                                                                          \
        if (cols == 1) {                                                                                          \
            if (inv)                                                                                              \
                impl(m, 1, __VA_ARGS__, 1, p, mu);                                                                \
            else                                                                                                  \
                impl(m, 1, __VA_ARGS__, 0, p, mu);                                                                \
        } else {                                                                                                  \
            if (inv)                                                                                              \
                impl(m, cols, __VA_ARGS__, 1, p, mu);                                                             \
            else                                                                                                  \
                impl(m, cols, __VA_ARGS__, 0, p, mu);                                                             \
        }                                                                                                         \
    } while (0)

static void rows_r2(uint32_t *m, size_t cols, size_t h, size_t k0, size_t k1, const uint32_t *tw, int inv,
                    uint32_t p, uint32_t mu)
{
    NTT_DISPATCH(r2_impl, h, k0, k1, tw);
}

static void rows_r4(uint32_t *m, size_t cols, size_t h, size_t k0, size_t k1, const uint32_t *tw, int inv,
                    uint32_t p, uint32_t mu)
{
    NTT_DISPATCH(r4_impl, h, k0, k1, tw);
}

/* blocks_impl takes `scale` after `inv`: a small wrapper keeps the dispatch macro uniform. */
NTT_INLINE void blocks_inv_last(uint32_t *m, size_t cols, size_t b0, size_t b1, unsigned lb, const uint32_t *tw,
                                uint32_t scale, int inv, uint32_t p, uint32_t mu)
{
    blocks_impl(m, cols, b0, b1, lb, tw, inv, scale, p, mu);
}

static void rows_blocks(uint32_t *m, size_t cols, size_t b0, size_t b1, unsigned lb, const uint32_t *tw, int inv,
                        uint32_t scale, uint32_t p, uint32_t mu)
{
    NTT_DISPATCH(blocks_inv_last, b0, b1, lb, tw, scale);
}

static void rows_scale(uint32_t *out, const uint32_t *in, size_t len, uint32_t w, uint32_t p, uint32_t mu)
{
    scale_impl(out, in, len, w, p, mu);
}

const loom_ntt_rows NTT_ROWS_TABLE = {
    .name = NTT_ROWS_NAME,
    .blocks = rows_blocks,
    .r4 = rows_r4,
    .r2 = rows_r2,
    .scale = rows_scale,
};
