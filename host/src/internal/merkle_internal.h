/* SPDX-License-Identifier: Apache-2.0 */
/* The tree builder, parameterised by who does the hashing (the CPU reference, or a device). */
#ifndef LOOM_INTERNAL_MERKLE_H
#define LOOM_INTERNAL_MERKLE_H

#include "internal/common.h"
#include "loom/merkle.h"

/*
 * The two kernels a tree needs. hash_rows: out[i] = sponge(concat of row (row0 + i) of each of the
 * n views), i < count. compress: out[i] = c(in[2i], in[2i+1]), i < n_out.
 */
typedef struct {
    void *ctx;
    loom_status (*hash_rows)(void *ctx, const loom_poseidon2 *perm, loom_digest *out,
                             const loom_matrix_view *views, size_t n, size_t row0, size_t count);
    loom_status (*compress)(void *ctx, const loom_poseidon2 *perm, loom_digest *out, const loom_digest *in,
                            size_t n_out);
} loom_merkle_hasher;

/* Builds a tree with `h` doing the hashing. */
LOOM_HIDDEN loom_status loom_merkle_tree_build_with(loom_merkle_tree **out, const loom_poseidon2 *perm,
                                                    const loom_matrix_view *mats, size_t n_mats,
                                                    const loom_merkle_hasher *h);

/* The CPU reference kernels (scalar, single thread). */
LOOM_HIDDEN loom_status loom_cpu_hash_rows(void *ctx, const loom_poseidon2 *perm, loom_digest *out,
                                           const loom_matrix_view *views, size_t n, size_t row0, size_t count);
LOOM_HIDDEN loom_status loom_cpu_compress(void *ctx, const loom_poseidon2 *perm, loom_digest *out,
                                          const loom_digest *in, size_t n_out);

#endif
