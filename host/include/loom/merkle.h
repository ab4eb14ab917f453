/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loom/merkle.h - Plonky3's MerkleTreeMmcs (arity 2) over Poseidon2: leaf = sponge hash of the
 * concatenated rows of the tallest matrices, node = 2-to-1 compression, and shorter matrices
 * injected at the level whose length equals their height:
 *     layer[k+1][i] = c(c(layer[k][2i], layer[k][2i+1]), h(row i of the matrices of that height))
 * Heights must be powers of two. Matrices of equal height keep their commit order.
 */
#ifndef LOOM_MERKLE_H
#define LOOM_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "loom/matrix.h"
#include "loom/poseidon2.h"
#include "loom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LOOM_MERKLE_MAX_MATRICES 256

typedef struct loom_merkle_tree loom_merkle_tree;

/*
 * Builds the tree of n_mats matrices (1..LOOM_MERKLE_MAX_MATRICES) with a width-16 permutation.
 * The tree keeps the views, not copies: the matrices must outlive it (openings read them).
 * Errors: LOOM_ERR_SIZE (a height that is not a power of two, an empty matrix), LOOM_ERR_INVALID_ARG
 * (no matrices, a permutation that is not width 16), LOOM_ERR_NO_MEMORY.
 */
LOOM_MUST_USE loom_status loom_merkle_tree_build(loom_merkle_tree **out, const loom_poseidon2 *perm,
                                                 const loom_matrix_view *mats, size_t n_mats);

void loom_merkle_tree_free(loom_merkle_tree *tree);

loom_digest loom_merkle_tree_root(const loom_merkle_tree *tree);

/* log2 of the tallest height: the number of sibling digests in an opening. */
unsigned loom_merkle_tree_depth(const loom_merkle_tree *tree);

/* The number of u32 values an opening's rows take: the sum of all matrices' widths. */
size_t loom_merkle_tree_opening_len(const loom_merkle_tree *tree);

/*
 * Opens leaf `index` (< tallest height): rows_out receives, in commit order, row
 * index >> (depth - log2(height)) of every matrix; path_out the depth sibling digests from the
 * leaf up. LOOM_ERR_SIZE if a buffer is too small, LOOM_ERR_INVALID_ARG if index is out of range.
 */
LOOM_MUST_USE loom_status loom_merkle_tree_open(const loom_merkle_tree *tree, uint32_t *rows_out,
                                                size_t rows_len, loom_digest *path_out, size_t path_len,
                                                size_t index);

/*
 * Checks an opening against `root`: returns LOOM_OK if it verifies, LOOM_ERR_VERIFY if not, and
 * LOOM_ERR_SIZE / LOOM_ERR_INVALID_ARG if the shapes are inconsistent (message says which).
 */
LOOM_MUST_USE loom_status loom_merkle_verify(const loom_poseidon2 *perm, const loom_digest *root,
                                             const loom_matrix_dims *dims, size_t n_mats,
                                             const uint32_t *rows, size_t rows_len, const loom_digest *path,
                                             size_t path_len, size_t index);

#ifdef __cplusplus
}
#endif
#endif /* LOOM_MERKLE_H */
