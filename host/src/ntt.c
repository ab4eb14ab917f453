/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CPU scalar reference of the batched two-adic DFTs declared in loom/ntt.h.
 *
 * Layout: radix-2 decimation in time on whole rows after a bit-reversal of the rows, so the
 * innermost loop always runs over the columns of a row pair (it vectorises across columns once
 * a SIMD backend takes over). Data stays canonical throughout: every twiddle and scale factor is
 * stored in Montgomery form, and monty_mul(canonical, Montgomery) is canonical again.
 *
 * Cache use: the first layers touch only rows inside aligned blocks of 2^k rows, so they run block
 * by block with the block (sized to L2) kept hot; the remaining layers are fused two at a time
 * (a radix-4 step made of two radix-2 layers) to halve the number of passes over memory.
 *
 * Twiddles: one table per (field, log n) of n words, in Montgomery form, with the half-size-h
 * layer's twiddles w_{2h}^j (j < h) at [h, 2h). Because w_{2h} = w_{4h}^2 for Plonky3's generator
 * table, the table of size n is a prefix of every larger one, so any cached table at least as
 * large serves. The inverse transform reads the same table mirrored: w^-j = -w^(h-j) since
 * w^h = -1, and the minus sign is absorbed by swapping the add and the subtract of the butterfly.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal/common.h"
#include "internal/monty.h"
#include "loom/ntt.h"

#if defined(__GNUC__) || defined(__clang__)
#define NTT_INLINE static inline __attribute__((always_inline))
#else
#define NTT_INLINE static inline
#endif

/*
 * Rows per cache block for the first layers: a block of this many bytes stays in L2 (512 KiB to
 * 2 MiB on current server cores) with room to spare for the twiddles.
 */
#ifndef NTT_BLOCK_BYTES
#define NTT_BLOCK_BYTES ((size_t)1 << 17)
#endif

/* Bytes of rows the bit reversal works on at a time (both sides of its swaps); measured best. */
#ifndef NTT_BITREV_BYTES
#define NTT_BITREV_BYTES ((size_t)1 << 17)
#endif

/* ------------------------------------------------------------------ twiddle cache */

static pthread_mutex_t tw_lock = PTHREAD_MUTEX_INITIALIZER;
/* Written once under tw_lock, read without it; never freed (process lifetime). */
static _Atomic(uint32_t *) tw_cache[LOOM_FIELD_COUNT][LOOM_MAX_TWO_ADICITY + 1];

static const uint32_t *tw_lookup(const loom_field *f, unsigned logn, memory_order order)
{
    for (unsigned k = logn; k <= f->two_adicity; k++) {
        uint32_t *t = atomic_load_explicit(&tw_cache[f->id][k], order);
        if (t)
            return t;
    }
    return NULL;
}

static void tw_fill(const loom_field *f, uint32_t *t, unsigned logn)
{
    const uint32_t p = f->p, mu = f->mu;
    const size_t h = (size_t)1 << (logn - 1);
    const uint32_t w = loom_field_to_monty(f, f->two_adic_generators[logn]);
    t[0] = 0; /* unused */
    t[h] = f->r_mod_p;
    for (size_t j = 1; j < h; j++)
        t[h + j] = monty_mul(t[h + j - 1], w, p, mu);
    for (size_t m = h >> 1; m >= 1; m >>= 1)
        for (size_t j = 0; j < m; j++)
            t[m + j] = t[2 * m + 2 * j];
}

/* The twiddle table for transforms of size 2^logn (logn >= 1), computing it on first use. */
static loom_status get_twiddles(const loom_field *f, unsigned logn, const uint32_t **out)
{
    const uint32_t *t = tw_lookup(f, logn, memory_order_acquire);
    if (t) {
        *out = t;
        return LOOM_OK;
    }
    pthread_mutex_lock(&tw_lock);
    t = tw_lookup(f, logn, memory_order_relaxed); /* the lock orders against the writer */
    if (!t) {
        uint32_t *nt = malloc(sizeof(uint32_t) << logn);
        if (!nt) {
            pthread_mutex_unlock(&tw_lock);
            return loom_fail(LOOM_ERR_NO_MEMORY, "ntt: cannot allocate the %zu-byte twiddle table for %s size 2^%u",
                             sizeof(uint32_t) << logn, f->name, logn);
        }
        tw_fill(f, nt, logn);
        atomic_store_explicit(&tw_cache[f->id][logn], nt, memory_order_release);
        t = nt;
    }
    pthread_mutex_unlock(&tw_lock);
    *out = t;
    return LOOM_OK;
}

/* ------------------------------------------------------------------ row kernels */

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

/* One layer of half size h on rows [lo, hi) (a multiple of 2h). */
NTT_INLINE void layer_r2(uint32_t *m, size_t cols, size_t lo, size_t hi, size_t h, const uint32_t *tw, int inv,
                         uint32_t p, uint32_t mu)
{
    const size_t hc = h * cols;
    for (size_t base = lo; base < hi; base += 2 * h) {
        uint32_t *a = m + base * cols;
        bfly2(a, a + hc, cols, 0, 1, 0, p, mu);
        for (size_t j = 1; j < h; j++) {
            uint32_t w = inv ? tw[2 * h - j] : tw[h + j];
            bfly2(a + j * cols, a + hc + j * cols, cols, w, 0, inv, p, mu);
        }
    }
}

/* The layers of half size h and 2h together on rows [lo, hi) (a multiple of 4h). */
NTT_INLINE void layer_r4(uint32_t *m, size_t cols, size_t lo, size_t hi, size_t h, const uint32_t *tw, int inv,
                         uint32_t p, uint32_t mu)
{
    const size_t hc = h * cols;
    for (size_t base = lo; base < hi; base += 4 * h) {
        uint32_t *r0 = m + base * cols;
        /* j = 0: w_{2h}^0 = w_{4h}^0 = 1, and w_{4h}^h (a 4th root of unity) for the last pair. */
        bfly4(r0, r0 + hc, r0 + 2 * hc, r0 + 3 * hc, cols, 0, 0, tw[3 * h], 1, 0, inv, p, mu);
        for (size_t j = 1; j < h; j++) {
            uint32_t w1 = inv ? tw[2 * h - j] : tw[h + j];
            uint32_t w2 = inv ? tw[4 * h - j] : tw[2 * h + j];
            uint32_t w3 = inv ? tw[3 * h - j] : tw[3 * h + j];
            uint32_t *q = r0 + j * cols;
            bfly4(q, q + hc, q + 2 * hc, q + 3 * hc, cols, w1, w2, w3, 0, inv, inv, p, mu);
        }
    }
}

static inline void swap_rows(uint32_t *restrict a, uint32_t *restrict b, size_t cols)
{
    for (size_t c = 0; c < cols; c++) {
        uint32_t t = a[c];
        a[c] = b[c];
        b[c] = t;
    }
}

/*
 * Row i = (a, m, c) (high b bits, middle, low b bits) trades places with (rev c, rev m, rev a).
 * Taking all a, c for one pair (m, rev m) at a time touches 2^b runs of 2^b consecutive rows on
 * each side, a working set sized to stay in cache, where a plain sweep over i would jump across
 * the whole matrix (and its pages) on every swap.
 */
static void bit_reverse_rows(uint32_t *m, size_t n, unsigned logn, size_t cols)
{
    const size_t row_bytes = cols * sizeof(uint32_t);
    unsigned b = 0;
    while (2 * (b + 1) <= logn && ((size_t)8 << (2 * b)) * row_bytes <= NTT_BITREV_BYTES)
        b++;
    if (b < 2 || n * row_bytes <= NTT_BITREV_BYTES) {
        for (size_t i = 1; i + 1 < n; i++) {
            size_t r = (size_t)loom_bitrev(i, logn);
            if (i < r)
                swap_rows(m + i * cols, m + r * cols, cols);
        }
        return;
    }
    const unsigned mid = logn - 2 * b;
    const size_t side = (size_t)1 << b, nmid = (size_t)1 << mid;
    for (size_t mi = 0; mi < nmid; mi++) {
        const size_t mr = (size_t)loom_bitrev(mi, mid);
        if (mi > mr)
            continue;
        for (size_t a = 0; a < side; a++) {
            const size_t ra = (size_t)loom_bitrev(a, b);
            for (size_t c = 0; c < side; c++) {
                size_t i = (a << (logn - b)) | (mi << b) | c;
                size_t r = ((size_t)loom_bitrev(c, b) << (logn - b)) | (mr << b) | ra;
                if (mi < mr || i < r)
                    swap_rows(m + i * cols, m + r * cols, cols);
            }
        }
    }
}

static void scale_const(uint32_t *v, size_t len, uint32_t w, uint32_t p, uint32_t mu)
{
    for (size_t i = 0; i < len; i++)
        v[i] = monty_mul(v[i], w, p, mu);
}

/* Row j *= start * step^j (both in Montgomery form). */
static void scale_powers(uint32_t *m, size_t n, size_t cols, uint32_t start, uint32_t step, uint32_t p,
                         uint32_t mu)
{
    uint32_t w = start;
    for (size_t j = 0; j < n; j++) {
        scale_const(m + j * cols, cols, w, p, mu);
        w = monty_mul(w, step, p, mu);
    }
}

/*
 * Bit-reverse the rows, then all logn DIT layers: the forward DFT (natural order in and out), or
 * with inv the DFT with w^-1. scale != 0 (Montgomery form) multiplies every value by it while the
 * block is in cache, which folds 1/n into the idft without a pass of its own.
 */
NTT_INLINE void dit_impl(uint32_t *m, size_t n, unsigned logn, size_t cols, const uint32_t *tw, int inv,
                         uint32_t scale, uint32_t p, uint32_t mu)
{
    bit_reverse_rows(m, n, logn, cols);

    unsigned lb = 0;
    while (lb < logn && ((size_t)2 << lb) * cols * sizeof(uint32_t) <= NTT_BLOCK_BYTES)
        lb++;
    const size_t bsz = (size_t)1 << lb;

    for (size_t blk = 0; blk < n; blk += bsz) {
        if (scale)
            scale_const(m + blk * cols, bsz * cols, scale, p, mu);
        unsigned l = 0;
        for (; l + 1 < lb; l += 2)
            layer_r4(m, cols, blk, blk + bsz, (size_t)1 << l, tw, inv, p, mu);
        if (l < lb)
            layer_r2(m, cols, blk, blk + bsz, (size_t)1 << l, tw, inv, p, mu);
    }
    unsigned l = lb;
    for (; l + 1 < logn; l += 2)
        layer_r4(m, cols, 0, n, (size_t)1 << l, tw, inv, p, mu);
    if (l < logn)
        layer_r2(m, cols, 0, n, (size_t)1 << l, tw, inv, p, mu);
}

/* Instantiates the kernels with constant direction, and with cols = 1 so that a single column
 * gets a loop over the butterflies rather than a one-trip loop over columns. n >= 2. */
static loom_status dit(const loom_field *f, uint32_t *m, size_t n, unsigned logn, size_t cols, int inv,
                       uint32_t scale)
{
    const uint32_t *tw = NULL;
    LOOM_TRY(get_twiddles(f, logn, &tw));
    const uint32_t p = f->p, mu = f->mu;
    if (cols == 1) {
        if (inv)
            dit_impl(m, n, logn, 1, tw, 1, scale, p, mu);
        else
            dit_impl(m, n, logn, 1, tw, 0, scale, p, mu);
    } else {
        if (inv)
            dit_impl(m, n, logn, cols, tw, 1, scale, p, mu);
        else
            dit_impl(m, n, logn, cols, tw, 0, scale, p, mu);
    }
    return LOOM_OK;
}

/* ------------------------------------------------------------------ argument checks */

static loom_status check_field(const char *fn, const loom_field *f)
{
    if (!f)
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: field is NULL; expected a table from loom_field_get()", fn);
    if ((unsigned)f->id >= LOOM_FIELD_COUNT || f->two_adicity > LOOM_MAX_TWO_ADICITY)
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: field id %d is unknown; expected a table from loom_field_get()",
                         fn, (int)f->id);
    return LOOM_OK;
}

/*
 * rows a power of two with log2(rows) + added_bits <= two-adicity, (rows << added_bits) * cols
 * words addressable, and m non-NULL unless the matrix is empty. *logn = log2(rows).
 */
static loom_status check_matrix(const char *fn, const loom_field *f, const void *m, const char *mname, size_t rows,
                                size_t cols, unsigned added_bits, unsigned *logn)
{
    LOOM_TRY(check_field(fn, f));
    if (!loom_is_pow2(rows))
        return loom_fail(LOOM_ERR_SIZE, "%s: rows = %zu is not a power of two; expected rows = 2^k, k = 0..%u (%s)",
                         fn, rows, f->two_adicity, f->name);
    unsigned k = loom_log2_exact(rows);
    if (k > f->two_adicity)
        return loom_fail(LOOM_ERR_SIZE, "%s: rows = 2^%u exceeds the two-adicity of %s; expected rows <= 2^%u", fn, k,
                         f->name, f->two_adicity);
    if (added_bits > f->two_adicity - k)
        return loom_fail(LOOM_ERR_SIZE,
                         "%s: rows = 2^%u with added_bits = %u gives 2^%u output rows, beyond the two-adicity of "
                         "%s; expected log2(rows) + added_bits <= %u",
                         fn, k, added_bits, k + added_bits, f->name, f->two_adicity);
    size_t big = rows << added_bits;
    if (cols != 0 && big > SIZE_MAX / sizeof(uint32_t) / cols)
        return loom_fail(LOOM_ERR_SIZE, "%s: %zu rows x %zu cols overflows the address space", fn, big, cols);
    if (!m && cols != 0)
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: %s is NULL for a %zu x %zu matrix; expected a buffer of %zu words",
                         fn, mname, big, cols, big * cols);
    *logn = k;
    return LOOM_OK;
}

static loom_status check_shift(const char *fn, const loom_field *f, uint32_t shift, int nonzero)
{
    if (shift >= f->p)
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: shift = %u is not canonical; expected shift < p = %u (%s)", fn,
                         shift, f->p, f->name);
    if (nonzero && shift == 0)
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: shift is 0, which has no inverse; expected a non-zero shift", fn);
    return LOOM_OK;
}

static int ranges_overlap(const void *a, size_t abytes, const void *b, size_t bbytes)
{
    uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
    return a0 < b0 + bbytes && b0 < a0 + abytes;
}

static uint32_t inv_monty(const loom_field *f, uint64_t x)
{
    return loom_field_to_monty(f, loom_field_inv(f, (uint32_t)(x % f->p)));
}

/* ------------------------------------------------------------------ public API */

loom_status loom_dft_batch(const loom_field *f, uint32_t *m, size_t rows, size_t cols)
{
    unsigned logn = 0;
    LOOM_TRY(check_matrix("loom_dft_batch", f, m, "m", rows, cols, 0, &logn));
    if (cols == 0 || rows == 1)
        return LOOM_OK;
    return dit(f, m, rows, logn, cols, 0, 0);
}

loom_status loom_idft_batch(const loom_field *f, uint32_t *m, size_t rows, size_t cols)
{
    unsigned logn = 0;
    LOOM_TRY(check_matrix("loom_idft_batch", f, m, "m", rows, cols, 0, &logn));
    if (cols == 0 || rows == 1)
        return LOOM_OK;
    return dit(f, m, rows, logn, cols, 1, inv_monty(f, rows));
}

loom_status loom_coset_dft_batch(const loom_field *f, uint32_t *m, size_t rows, size_t cols, uint32_t shift)
{
    unsigned logn = 0;
    LOOM_TRY(check_matrix("loom_coset_dft_batch", f, m, "m", rows, cols, 0, &logn));
    LOOM_TRY(check_shift("loom_coset_dft_batch", f, shift, 0));
    if (cols == 0 || rows == 1) /* c_0 * s^0 */
        return LOOM_OK;
    if (shift != 1)
        scale_powers(m, rows, cols, f->r_mod_p, loom_field_to_monty(f, shift), f->p, f->mu);
    return dit(f, m, rows, logn, cols, 0, 0);
}

loom_status loom_coset_idft_batch(const loom_field *f, uint32_t *m, size_t rows, size_t cols, uint32_t shift)
{
    unsigned logn = 0;
    LOOM_TRY(check_matrix("loom_coset_idft_batch", f, m, "m", rows, cols, 0, &logn));
    LOOM_TRY(check_shift("loom_coset_idft_batch", f, shift, 1));
    if (cols == 0 || rows == 1)
        return LOOM_OK;
    LOOM_TRY(dit(f, m, rows, logn, cols, 1, 0));
    /* 1/n rides along with the s^-j pass. */
    scale_powers(m, rows, cols, inv_monty(f, rows), inv_monty(f, shift), f->p, f->mu);
    return LOOM_OK;
}

/*
 * The LDE as 2^b coset DFTs of size n, one per t < 2^b, with shifts s * w'^t (w' the generator of
 * order N = n * 2^b): out[t + 2^b r] = f(s w'^t w_n^r) = f(s w'^(t + 2^b r)). Seen as an n x
 * (cols << b) matrix whose row r is out's rows 2^b r .. 2^b r + 2^b - 1, all of them are one DFT
 * of size n, so no zero padding and no transform of size N is needed, and the result lands in
 * natural order. Its input, wide row j, block t, is c_j (s w'^t)^j / n.
 */
loom_status loom_coset_lde_batch(const loom_field *f, uint32_t *out, const uint32_t *in, size_t rows, size_t cols,
                                 unsigned added_bits, uint32_t shift)
{
    static const char fn[] = "loom_coset_lde_batch";
    unsigned logn = 0;
    LOOM_TRY(check_matrix(fn, f, in, "in", rows, cols, 0, &logn));
    LOOM_TRY(check_matrix(fn, f, out, "out", rows, cols, added_bits, &logn));
    LOOM_TRY(check_shift(fn, f, shift, 0));
    if (cols == 0)
        return LOOM_OK;
    const size_t blocks = (size_t)1 << added_bits, wide = cols << added_bits;
    if (ranges_overlap(out, rows * wide * sizeof *out, in, rows * cols * sizeof *in))
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: out and in overlap; expected separate buffers", fn);
    const uint32_t p = f->p, mu = f->mu;

    memcpy(out, in, rows * cols * sizeof *out);
    if (rows > 1)
        LOOM_TRY(dit(f, out, rows, logn, cols, 1, 0));

    const uint32_t inv_n = inv_monty(f, rows);
    /*
     * Spread coefficient row j (at row j) to wide row j (at row 2^b j), j descending: every
     * destination then lies above the coefficient rows still unread, and for j = 0 (or b = 0,
     * where they coincide) block 0 is written last and in place.
     */
    if (shift == 0) { /* (0 * w'^t)^j = [j == 0] */
        uint32_t *c0 = out;
        for (size_t t = 1; t < blocks; t++)
            for (size_t c = 0; c < cols; c++)
                out[t * cols + c] = monty_mul(c0[c], inv_n, p, mu);
        scale_const(c0, cols, inv_n, p, mu);
        memset(out + wide, 0, (rows - 1) * wide * sizeof *out);
    } else {
        const uint32_t g = f->two_adic_generators[logn + added_bits];
        const uint32_t s_inv = inv_monty(f, shift), g_inv = inv_monty(f, g);
        /* base = s^j / n, step = w'^j, both at j = rows - 1, stepped down with the inverses. */
        uint32_t base = monty_mul(loom_field_to_monty(f, loom_field_pow(f, shift, rows - 1)), inv_n, p, mu);
        uint32_t step = loom_field_to_monty(f, loom_field_pow(f, g, rows - 1));
        for (size_t j = rows; j-- > 0;) {
            const uint32_t *src = out + j * cols;
            uint32_t *dst = out + j * wide;
            uint32_t w = base;
            for (size_t t = 1; t < blocks; t++) {
                w = monty_mul(w, step, p, mu);
                uint32_t *d = dst + t * cols;
                for (size_t c = 0; c < cols; c++)
                    d[c] = monty_mul(src[c], w, p, mu);
            }
            for (size_t c = 0; c < cols; c++)
                dst[c] = monty_mul(src[c], base, p, mu);
            base = monty_mul(base, s_inv, p, mu);
            step = monty_mul(step, g_inv, p, mu);
        }
    }
    if (rows > 1)
        LOOM_TRY(dit(f, out, rows, logn, wide, 0, 0));
    return LOOM_OK;
}

loom_status loom_bit_reverse_rows(uint32_t *m, size_t rows, size_t cols)
{
    if (!loom_is_pow2(rows))
        return loom_fail(LOOM_ERR_SIZE, "loom_bit_reverse_rows: rows = %zu is not a power of two; expected rows = 2^k",
                         rows);
    if (cols != 0 && rows > SIZE_MAX / sizeof(uint32_t) / cols)
        return loom_fail(LOOM_ERR_SIZE, "loom_bit_reverse_rows: %zu rows x %zu cols overflows the address space", rows,
                         cols);
    if (!m && cols != 0)
        return loom_fail(LOOM_ERR_INVALID_ARG,
                         "loom_bit_reverse_rows: m is NULL for a %zu x %zu matrix; expected a buffer of %zu words",
                         rows, cols, rows * cols);
    if (cols != 0)
        bit_reverse_rows(m, rows, loom_log2_exact(rows), cols);
    return LOOM_OK;
}

loom_status loom_dft_naive(const loom_field *f, uint32_t *out, const uint32_t *in, size_t n)
{
    static const char fn[] = "loom_dft_naive";
    unsigned logn = 0;
    LOOM_TRY(check_matrix(fn, f, in, "in", n, 1, 0, &logn));
    LOOM_TRY(check_matrix(fn, f, out, "out", n, 1, 0, &logn));
    if (ranges_overlap(out, n * sizeof *out, in, n * sizeof *in))
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: out and in overlap; expected separate buffers", fn);
    const uint32_t p = f->p, mu = f->mu;
    const uint32_t w = loom_field_to_monty(f, f->two_adic_generators[logn]);
    uint32_t wi = f->r_mod_p; /* w^i */
    for (size_t i = 0; i < n; i++) {
        uint32_t x = f->r_mod_p, acc = 0; /* x = w^(i j) */
        for (size_t j = 0; j < n; j++) {
            acc = mod_add(acc, monty_mul(in[j], x, p, mu), p);
            x = monty_mul(x, wi, p, mu);
        }
        out[i] = acc;
        wi = monty_mul(wi, w, p, mu);
    }
    return LOOM_OK;
}
