/* SPDX-License-Identifier: Apache-2.0 */
/* The scalar reference sponge and compression (poseidon2.c); SIMD levels are checked against them. */
#ifndef LOOM_INTERNAL_POSEIDON2_REF_H
#define LOOM_INTERNAL_POSEIDON2_REF_H

#include "internal/common.h"
#include "loom/poseidon2.h"

LOOM_HIDDEN void loom_ref_hash_rows(const loom_poseidon2 *perm, loom_digest *out, const uint32_t *m, size_t rows,
                                    size_t cols, size_t stride);
LOOM_HIDDEN void loom_ref_compress_level(const loom_poseidon2 *perm, loom_digest *out, const loom_digest *in,
                                         size_t n_out);

/* An instance's constants in Montgomery form (what every kernel adds and multiplies with). */
typedef struct {
    uint32_t ext_initial[4 * LOOM_POSEIDON2_MAX_WIDTH]; /* round r, lane i at [r * width + i] */
    uint32_t internal[32];
    uint32_t ext_final[4 * LOOM_POSEIDON2_MAX_WIDTH];
    uint32_t diag[LOOM_POSEIDON2_MAX_WIDTH];            /* M_I = J + diag(diag) (times 2^-32 if legacy) */
} loom_poseidon2_monty;

/* The Montgomery-form constants of a built-in instance; NULL for a caller-built one. */
LOOM_HIDDEN const loom_poseidon2_monty *loom_poseidon2_monty_consts(const loom_poseidon2 *perm);

#endif
