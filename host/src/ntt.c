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

#include "cpu/kernels.h"
#include "cpu/pool.h"
#include "internal/common.h"
#include "internal/monty.h"
#include "loom/ntt.h"
#include "ntt_rows.h"

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

static inline void swap_rows(uint32_t *restrict a, uint32_t *restrict b, size_t cols)
{
    for (size_t c = 0; c < cols; c++) {
        uint32_t t = a[c];
        a[c] = b[c];
        b[c] = t;
    }
}

/* ------------------------------------------------------------------ the active row loops */

const loom_ntt_rows *loom_ntt_rows_active(void)
{
    /* The NTT follows the level the kernels run at (LOOM_SIMD, cpu.simd, else the best), so that
     * forcing a level forces it everywhere. A level this build has no row loops for (none today)
     * falls back to the scalar loops, which give the same bits. */
    switch (loom_cpu_kernels_active()->level) {
#ifdef LOOM_HAVE_NTT_ROWS_X86
    case LOOM_SIMD_AVX2: return &loom_ntt_rows_avx2;
    case LOOM_SIMD_AVX512: return &loom_ntt_rows_avx512;
#endif
#ifdef LOOM_HAVE_NTT_ROWS_NEON
    case LOOM_SIMD_NEON: return &loom_ntt_rows_neon;
#endif
    default: return &loom_ntt_rows_scalar;
    }
}

/* ------------------------------------------------------------------ bit reversal */

/* Chunks of a parallel loop: at least `min` indices, else about four per thread. */
static size_t chunk_for(const loom_pool *pool, size_t n, size_t min)
{
    size_t parts = (size_t)loom_pool_threads(pool) * 4, c = (n + parts - 1) / parts;
    return c < min ? min : c;
}

typedef struct {
    uint32_t *m;
    size_t cols;
    unsigned logn, b, mid;
} bitrev_job;

/*
 * Row i = (a, m, c) (high b bits, middle, low b bits) trades places with (rev c, rev m, rev a).
 * Taking all a, c for one pair (m, rev m) at a time touches 2^b runs of 2^b consecutive rows on
 * each side, a working set sized to stay in cache, where a plain sweep over i would jump across
 * the whole matrix (and its pages) on every swap. Different middles touch different rows, so
 * threads split the middles.
 */
static void bitrev_middles(void *arg, size_t mi0, size_t mi1, unsigned worker)
{
    (void)worker;
    const bitrev_job *j = arg;
    const size_t side = (size_t)1 << j->b, cols = j->cols;
    const unsigned logn = j->logn, b = j->b;
    for (size_t mi = mi0; mi < mi1; mi++) {
        const size_t mr = (size_t)loom_bitrev(mi, j->mid);
        if (mi > mr)
            continue;
        for (size_t a = 0; a < side; a++) {
            const size_t ra = (size_t)loom_bitrev(a, b);
            for (size_t c = 0; c < side; c++) {
                size_t i = (a << (logn - b)) | (mi << b) | c;
                size_t r = ((size_t)loom_bitrev(c, b) << (logn - b)) | (mr << b) | ra;
                if (mi < mr || i < r)
                    swap_rows(j->m + i * cols, j->m + r * cols, cols);
            }
        }
    }
}

static void bit_reverse_rows(loom_pool *pool, uint32_t *m, size_t n, unsigned logn, size_t cols)
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
    bitrev_job j = {m, cols, logn, b, logn - 2 * b};
    const size_t nmid = (size_t)1 << j.mid;
    loom_pool_for(pool, nmid, chunk_for(pool, nmid, 1), bitrev_middles, &j);
}

/* ------------------------------------------------------------------ the transform */

typedef struct {
    const loom_ntt_rows *rows;
    uint32_t *m;
    size_t cols, h;
    unsigned lb;
    const uint32_t *tw;
    int inv;
    uint32_t scale, p, mu;
} dit_job;

static void dit_blocks(void *arg, size_t b0, size_t b1, unsigned worker)
{
    (void)worker;
    const dit_job *j = arg;
    j->rows->blocks(j->m, j->cols, b0, b1, j->lb, j->tw, j->inv, j->scale, j->p, j->mu);
}

static void dit_r4(void *arg, size_t k0, size_t k1, unsigned worker)
{
    (void)worker;
    const dit_job *j = arg;
    j->rows->r4(j->m, j->cols, j->h, k0, k1, j->tw, j->inv, j->p, j->mu);
}

static void dit_r2(void *arg, size_t k0, size_t k1, unsigned worker)
{
    (void)worker;
    const dit_job *j = arg;
    j->rows->r2(j->m, j->cols, j->h, k0, k1, j->tw, j->inv, j->p, j->mu);
}

/* Rows a chunk of a parallel pass should at least cover: enough bytes that handing it to a
 * thread costs far less than the work, and whole cache lines at its ends. */
#define NTT_MIN_CHUNK_BYTES ((size_t)1 << 16)

/*
 * Bit-reverse the rows, then all logn DIT layers: the forward DFT (natural order in and out), or
 * with inv the DFT with w^-1. scale != 0 (Montgomery form) multiplies every value by it while the
 * block is in cache, which folds 1/n into the idft without a pass of its own.
 *
 * Threads split rows, never columns: each thread's rows are whole, so the column loop keeps its
 * full vector width and no two threads share a cache line, whatever the thread count. The cache
 * blocks of the first layers are independent; every later layer (pair) is a parallel loop over
 * its butterfly groups, and the loop's return is the barrier between layers.
 */
static loom_status dit(loom_pool *pool, const loom_field *f, uint32_t *m, size_t n, unsigned logn, size_t cols,
                       int inv, uint32_t scale)
{
    dit_job j = {.rows = loom_ntt_rows_active(), .m = m, .cols = cols, .inv = inv, .scale = scale, .p = f->p,
                 .mu = f->mu};
    LOOM_TRY(get_twiddles(f, logn, &j.tw));
    bit_reverse_rows(pool, m, n, logn, cols);

    const size_t row_bytes = cols * sizeof(uint32_t);
    unsigned lb = 0;
    while (lb < logn && ((size_t)2 << lb) * row_bytes <= NTT_BLOCK_BYTES)
        lb++;
    j.lb = lb;
    const size_t nblocks = n >> lb;
    loom_pool_for(pool, nblocks, chunk_for(pool, nblocks, 1), dit_blocks, &j);

    /* Groups of 4 (or 2) rows per chunk: at least NTT_MIN_CHUNK_BYTES of rows. */
    const size_t min_rows = (NTT_MIN_CHUNK_BYTES + row_bytes - 1) / row_bytes;
    unsigned l = lb;
    for (; l + 1 < logn; l += 2) {
        j.h = (size_t)1 << l;
        loom_pool_for(pool, n / 4, chunk_for(pool, n / 4, (min_rows + 3) / 4), dit_r4, &j);
    }
    if (l < logn) {
        j.h = (size_t)1 << l;
        loom_pool_for(pool, n / 2, chunk_for(pool, n / 2, (min_rows + 1) / 2), dit_r2, &j);
    }
    return LOOM_OK;
}

/* Row j *= start * step^j (both in Montgomery form). */
static void scale_powers(const loom_ntt_rows *rows, uint32_t *m, size_t n, size_t cols, uint32_t start,
                         uint32_t step, uint32_t p, uint32_t mu)
{
    uint32_t w = start;
    for (size_t j = 0; j < n; j++) {
        rows->scale(m + j * cols, m + j * cols, cols, w, p, mu);
        w = monty_mul(w, step, p, mu);
    }
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

loom_status loom_dft_batch_pool(loom_pool *pool, const loom_field *f, uint32_t *m, size_t rows, size_t cols)
{
    unsigned logn = 0;
    LOOM_TRY(check_matrix("loom_dft_batch", f, m, "m", rows, cols, 0, &logn));
    if (cols == 0 || rows == 1)
        return LOOM_OK;
    return dit(pool, f, m, rows, logn, cols, 0, 0);
}

loom_status loom_dft_batch(const loom_field *f, uint32_t *m, size_t rows, size_t cols)
{
    return loom_dft_batch_pool(NULL, f, m, rows, cols);
}

loom_status loom_idft_batch(const loom_field *f, uint32_t *m, size_t rows, size_t cols)
{
    unsigned logn = 0;
    LOOM_TRY(check_matrix("loom_idft_batch", f, m, "m", rows, cols, 0, &logn));
    if (cols == 0 || rows == 1)
        return LOOM_OK;
    return dit(NULL, f, m, rows, logn, cols, 1, inv_monty(f, rows));
}

loom_status loom_coset_dft_batch(const loom_field *f, uint32_t *m, size_t rows, size_t cols, uint32_t shift)
{
    unsigned logn = 0;
    LOOM_TRY(check_matrix("loom_coset_dft_batch", f, m, "m", rows, cols, 0, &logn));
    LOOM_TRY(check_shift("loom_coset_dft_batch", f, shift, 0));
    if (cols == 0 || rows == 1) /* c_0 * s^0 */
        return LOOM_OK;
    if (shift != 1)
        scale_powers(loom_ntt_rows_active(), m, rows, cols, f->r_mod_p, loom_field_to_monty(f, shift), f->p,
                     f->mu);
    return dit(NULL, f, m, rows, logn, cols, 0, 0);
}

loom_status loom_coset_idft_batch(const loom_field *f, uint32_t *m, size_t rows, size_t cols, uint32_t shift)
{
    unsigned logn = 0;
    LOOM_TRY(check_matrix("loom_coset_idft_batch", f, m, "m", rows, cols, 0, &logn));
    LOOM_TRY(check_shift("loom_coset_idft_batch", f, shift, 1));
    if (cols == 0 || rows == 1)
        return LOOM_OK;
    LOOM_TRY(dit(NULL, f, m, rows, logn, cols, 1, 0));
    /* 1/n rides along with the s^-j pass. */
    scale_powers(loom_ntt_rows_active(), m, rows, cols, inv_monty(f, rows), inv_monty(f, shift), f->p, f->mu);
    return LOOM_OK;
}

typedef struct {
    const loom_ntt_rows *rows;
    const loom_field *f;
    uint32_t *out;
    const uint32_t *in;
    size_t cols, blocks, wide;
    uint32_t shift, g, inv_n;
} lde_job;

static void lde_copy(void *arg, size_t r0, size_t r1, unsigned worker)
{
    (void)worker;
    const lde_job *j = arg;
    memcpy(j->out + r0 * j->cols, j->in + r0 * j->cols, (r1 - r0) * j->cols * sizeof *j->out);
}

/* Wide rows [j0, j1): block t of wide row j = coefficient row j * s^j w'^(t j) / n. */
static void lde_spread(void *arg, size_t j0, size_t j1, unsigned worker)
{
    (void)worker;
    const lde_job *jb = arg;
    const loom_field *f = jb->f;
    const uint32_t p = f->p, mu = f->mu;
    /* Field values are exact, so starting each chunk from a power gives the very same factors
     * as stepping through every row. */
    const uint32_t s_m = loom_field_to_monty(f, jb->shift), g_m = loom_field_to_monty(f, jb->g);
    uint32_t base = monty_mul(loom_field_to_monty(f, loom_field_pow(f, jb->shift, j0)), jb->inv_n, p, mu);
    uint32_t step = loom_field_to_monty(f, loom_field_pow(f, jb->g, j0));
    for (size_t j = j0; j < j1; j++) {
        const uint32_t *src = jb->out + j * jb->cols;
        uint32_t *dst = jb->out + j * jb->wide;
        uint32_t w = base;
        for (size_t t = 1; t < jb->blocks; t++) {
            w = monty_mul(w, step, p, mu);
            jb->rows->scale(dst + t * jb->cols, src, jb->cols, w, p, mu);
        }
        jb->rows->scale(dst, src, jb->cols, base, p, mu); /* last: for j = 0 it overwrites src */
        base = monty_mul(base, s_m, p, mu);
        step = monty_mul(step, g_m, p, mu);
    }
}

typedef struct {
    const lde_job *job;
    size_t lo; /* the round covers rows [lo, 2 lo) */
} lde_round;

static void lde_spread_round(void *arg, size_t i0, size_t i1, unsigned worker)
{
    const lde_round *r = arg;
    lde_spread((void *)r->job, r->lo + i0, r->lo + i1, worker);
}

/*
 * The LDE as 2^b coset DFTs of size n, one per t < 2^b, with shifts s * w'^t (w' the generator of
 * order N = n * 2^b): out[t + 2^b r] = f(s w'^t w_n^r) = f(s w'^(t + 2^b r)). Seen as an n x
 * (cols << b) matrix whose row r is out's rows 2^b r .. 2^b r + 2^b - 1, all of them are one DFT
 * of size n, so no zero padding and no transform of size N is needed, and the result lands in
 * natural order. Its input, wide row j, block t, is c_j (s w'^t)^j / n.
 */
loom_status loom_coset_lde_batch_pool(loom_pool *pool, const loom_field *f, uint32_t *out, const uint32_t *in,
                                      size_t rows, size_t cols, unsigned added_bits, uint32_t shift)
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
    lde_job jb = {.rows = loom_ntt_rows_active(), .f = f, .out = out, .in = in, .cols = cols, .blocks = blocks,
                  .wide = wide, .shift = shift, .g = f->two_adic_generators[logn + added_bits],
                  .inv_n = inv_monty(f, rows)};
    const size_t min_rows = (NTT_MIN_CHUNK_BYTES + cols * sizeof(uint32_t) - 1) / (cols * sizeof(uint32_t));

    loom_pool_for(pool, rows, chunk_for(pool, rows, min_rows), lde_copy, &jb);
    if (rows > 1)
        LOOM_TRY(dit(pool, f, out, rows, logn, cols, 1, 0));

    if (shift == 0) { /* (0 * w'^t)^j = [j == 0] */
        uint32_t *c0 = out;
        for (size_t t = 1; t < blocks; t++)
            jb.rows->scale(out + t * cols, c0, cols, jb.inv_n, p, mu);
        jb.rows->scale(c0, c0, cols, jb.inv_n, p, mu);
        memset(out + wide, 0, (rows - 1) * wide * sizeof *out);
    } else if (added_bits == 0) {
        /* Wide row j is coefficient row j: every row scales in place, independently. */
        loom_pool_for(pool, rows, chunk_for(pool, rows, min_rows), lde_spread, &jb);
    } else {
        /*
         * The spread runs in place: wide row j covers coefficient rows 2^b j .. 2^b j + 2^b - 1,
         * so it may only be written once those are read. Rounds over [n/2, n), [n/4, n/2), ...,
         * [1, 2), then row 0: a round [lo, 2 lo) writes rows >= 2 lo, all read by earlier
         * rounds, and reads only rows no one writes until later. Row 0 writes its own block 0
         * last (lde_spread's order).
         */
        for (size_t hi = rows; hi > 1; hi /= 2) {
            lde_round r = {&jb, hi / 2};
            loom_pool_for(pool, hi / 2, chunk_for(pool, hi / 2, min_rows), lde_spread_round, &r);
        }
        lde_spread(&jb, 0, 1, 0);
    }
    if (rows > 1)
        LOOM_TRY(dit(pool, f, out, rows, logn, wide, 0, 0));
    return LOOM_OK;
}

loom_status loom_coset_lde_batch(const loom_field *f, uint32_t *out, const uint32_t *in, size_t rows, size_t cols,
                                 unsigned added_bits, uint32_t shift)
{
    return loom_coset_lde_batch_pool(NULL, f, out, in, rows, cols, added_bits, shift);
}

loom_status loom_bit_reverse_rows_pool(loom_pool *pool, uint32_t *m, size_t rows, size_t cols)
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
        bit_reverse_rows(pool, m, rows, loom_log2_exact(rows), cols);
    return LOOM_OK;
}

loom_status loom_bit_reverse_rows(uint32_t *m, size_t rows, size_t cols)
{
    return loom_bit_reverse_rows_pool(NULL, m, rows, cols);
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
