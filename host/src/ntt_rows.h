/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NTT's row loops, compiled once per SIMD level (cpu/ntt_scalar.c, ntt_avx2.c, ntt_avx512.c,
 * ntt_neon.c all include cpu/ntt_template.h with only their own instruction-set flags). The loops
 * run across the columns of whole rows. The scalar, AVX-512 and NEON builds are plain C that the
 * compiler vectorises for the file's flags; the AVX2 build replaces the three column loops with
 * intrinsics (cpu/ntt_x86.h), checked bit for bit against scalar by test_ntt and
 * test_cpu_parallel. ntt.c picks the table of the active level (loom_cpu_kernels_active) at
 * each call.
 *
 * Every loop works on an index range so that ntt.c can split a layer across the CPU device's
 * threads: the ranges touch disjoint rows, and each row's result does not depend on who ran it.
 */
#ifndef LOOM_NTT_ROWS_H
#define LOOM_NTT_ROWS_H

#include "internal/common.h"
#include "loom/ntt.h"

struct loom_pool;

typedef struct {
    const char *name; /* the SIMD level it was compiled for */
    /*
     * Blocks [b0, b1) of 2^lb rows each: multiply by `scale` first when it is non-zero
     * (Montgomery form), then DIT layers 0..lb-1 inside the block (the block stays in cache).
     */
    void (*blocks)(uint32_t *m, size_t cols, size_t b0, size_t b1, unsigned lb, const uint32_t *tw, int inv,
                   uint32_t scale, uint32_t p, uint32_t mu);
    /* The layers of half size h and 2h fused, on 4-row groups [k0, k1) of the n / 4 groups:
     * group k is rows base + j + {0, h, 2h, 3h} with base = (k / h) * 4h, j = k mod h. */
    void (*r4)(uint32_t *m, size_t cols, size_t h, size_t k0, size_t k1, const uint32_t *tw, int inv, uint32_t p,
               uint32_t mu);
    /* One layer of half size h on butterflies [k0, k1) of the n / 2 (rows base + j, base + j + h
     * with base = (k / h) * 2h, j = k mod h). */
    void (*r2)(uint32_t *m, size_t cols, size_t h, size_t k0, size_t k1, const uint32_t *tw, int inv, uint32_t p,
               uint32_t mu);
    /* out[i] = in[i] * w (Montgomery product), i < len; out may equal in. */
    void (*scale)(uint32_t *out, const uint32_t *in, size_t len, uint32_t w, uint32_t p, uint32_t mu);
} loom_ntt_rows;

LOOM_HIDDEN extern const loom_ntt_rows loom_ntt_rows_scalar;
LOOM_HIDDEN extern const loom_ntt_rows loom_ntt_rows_avx2;
LOOM_HIDDEN extern const loom_ntt_rows loom_ntt_rows_avx512;
LOOM_HIDDEN extern const loom_ntt_rows loom_ntt_rows_neon;

/* The table ntt.c uses now: the active SIMD level's, scalar where this build has none for it. */
LOOM_HIDDEN const loom_ntt_rows *loom_ntt_rows_active(void);

/*
 * The CPU device's entry points: as the public functions of loom/ntt.h (same checks, same
 * results bit for bit), with the work split across `pool`'s threads (NULL: the caller only).
 */
LOOM_HIDDEN loom_status loom_dft_batch_pool(struct loom_pool *pool, const loom_field *f, uint32_t *m, size_t rows,
                                            size_t cols);
LOOM_HIDDEN loom_status loom_coset_lde_batch_pool(struct loom_pool *pool, const loom_field *f, uint32_t *out,
                                                  const uint32_t *in, size_t rows, size_t cols, unsigned added_bits,
                                                  uint32_t shift);
LOOM_HIDDEN loom_status loom_bit_reverse_rows_pool(struct loom_pool *pool, uint32_t *m, size_t rows, size_t cols);

#endif
