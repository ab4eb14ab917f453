/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "internal/merkle_internal.h"

struct loom_merkle_tree {
    const loom_poseidon2 *perm;
    size_t n_mats;
    loom_matrix_view mats[LOOM_MERKLE_MAX_MATRICES]; /* commit order */
    unsigned depth;
    size_t opening_len;
    loom_digest *digests;      /* all layers, leaves first */
    size_t layer_off[65];      /* layer k starts at digests + layer_off[k] */
};

/* Overwrite-mode sponge fed one element at a time, so a leaf can span several matrices. */
typedef struct {
    uint32_t s[LOOM_POSEIDON2_MAX_WIDTH];
    unsigned pos;
} sponge;

static void sponge_absorb(sponge *sp, const loom_poseidon2 *perm, const uint32_t *v, size_t n)
{
    while (n) {
        size_t k = LOOM_SPONGE_RATE - sp->pos;
        if (k > n)
            k = n;
        memcpy(sp->s + sp->pos, v, k * sizeof *v);
        sp->pos += (unsigned)k;
        v += k;
        n -= k;
        if (sp->pos == LOOM_SPONGE_RATE) {
            loom_poseidon2_permute(perm, sp->s);
            sp->pos = 0;
        }
    }
}

static loom_digest sponge_squeeze(sponge *sp, const loom_poseidon2 *perm)
{
    if (sp->pos) /* a partial block: the unwritten rate words keep their previous values */
        loom_poseidon2_permute(perm, sp->s);
    loom_digest d;
    memcpy(d.v, sp->s, sizeof d.v);
    return d;
}

loom_status loom_cpu_hash_rows(void *ctx, const loom_poseidon2 *perm, loom_digest *out,
                               const loom_matrix_view *views, size_t n, size_t row0, size_t count)
{
    (void)ctx;
    if (n == 1) {
        loom_poseidon2_hash_rows(perm, out, views[0].data + row0 * views[0].cols, count, views[0].cols,
                                 views[0].cols);
        return LOOM_OK;
    }
    for (size_t i = 0; i < count; i++) {
        sponge sp = {{0}, 0};
        for (size_t m = 0; m < n; m++)
            sponge_absorb(&sp, perm, views[m].data + (row0 + i) * views[m].cols, views[m].cols);
        out[i] = sponge_squeeze(&sp, perm);
    }
    return LOOM_OK;
}

loom_status loom_cpu_compress(void *ctx, const loom_poseidon2 *perm, loom_digest *out, const loom_digest *in,
                              size_t n_out)
{
    (void)ctx;
    loom_poseidon2_compress_level(perm, out, in, n_out);
    return LOOM_OK;
}

static loom_status check_perm(const loom_poseidon2 *perm)
{
    if (!perm || perm->width != 16)
        return loom_fail(LOOM_ERR_INVALID_ARG, "Merkle trees need a width-16 Poseidon2 instance, got %s",
                         perm ? perm->name : "none");
    return LOOM_OK;
}

/* Commit order, tallest first, stable among equal heights (Plonky3 sorts the same way). */
static void sort_by_height(unsigned *order, const size_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        order[i] = (unsigned)i;
    for (size_t i = 1; i < n; i++) {
        unsigned v = order[i];
        size_t j = i;
        while (j > 0 && rows[order[j - 1]] < rows[v]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}

loom_status loom_merkle_tree_build_with(loom_merkle_tree **out, const loom_poseidon2 *perm,
                                        const loom_matrix_view *mats, size_t n_mats, const loom_merkle_hasher *h)
{
    LOOM_TRY(check_perm(perm));
    if (!out || !mats || n_mats == 0 || n_mats > LOOM_MERKLE_MAX_MATRICES)
        return loom_fail(LOOM_ERR_INVALID_ARG, "a Merkle tree needs 1..%d matrices, got %zu",
                         LOOM_MERKLE_MAX_MATRICES, n_mats);
    size_t rows[LOOM_MERKLE_MAX_MATRICES];
    for (size_t m = 0; m < n_mats; m++) {
        if (!loom_is_pow2(mats[m].rows) || mats[m].cols == 0 || !mats[m].data)
            return loom_fail(LOOM_ERR_SIZE,
                             "matrix %zu is %zu x %zu; Merkle commitment needs a power-of-two height and at "
                             "least one column",
                             m, mats[m].rows, mats[m].cols);
        rows[m] = mats[m].rows;
    }
    unsigned order[LOOM_MERKLE_MAX_MATRICES];
    sort_by_height(order, rows, n_mats);
    const size_t height = rows[order[0]];

    loom_merkle_tree *t = calloc(1, sizeof *t);
    if (!t)
        return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for a Merkle tree");
    t->perm = perm;
    t->n_mats = n_mats;
    memcpy(t->mats, mats, n_mats * sizeof *mats);
    t->depth = loom_log2_exact(height);
    for (size_t m = 0; m < n_mats; m++)
        t->opening_len += mats[m].cols;
    size_t total = 0;
    for (unsigned k = 0; k <= t->depth; k++) {
        t->layer_off[k] = total;
        total += height >> k;
    }
    t->digests = malloc(total * sizeof *t->digests);
    if (!t->digests) {
        free(t);
        return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for a Merkle tree of %zu leaves", height);
    }

    /* Views of one height, in sorted order: order[next .. next+k) all have height `len`. */
    loom_matrix_view group[LOOM_MERKLE_MAX_MATRICES];
    size_t next = 0, k = 0;
    while (next < n_mats && rows[order[next]] == height)
        group[k++] = mats[order[next++]];
    loom_status s = h->hash_rows(h->ctx, perm, t->digests, group, k, 0, height);

    loom_digest *inject = NULL;
    for (unsigned lv = 1; s == LOOM_OK && lv <= t->depth; lv++) {
        size_t len = height >> lv;
        loom_digest *dst = t->digests + t->layer_off[lv];
        s = h->compress(h->ctx, perm, dst, t->digests + t->layer_off[lv - 1], len);
        k = 0;
        while (s == LOOM_OK && next < n_mats && rows[order[next]] == len)
            group[k++] = mats[order[next++]];
        if (s != LOOM_OK || k == 0)
            continue;
        if (!inject && !(inject = malloc(2 * len * sizeof *inject))) {
            s = loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for Merkle injection");
            break;
        }
        /* Interleave (node, injected-row digest) pairs so one compress call does the level. */
        s = h->hash_rows(h->ctx, perm, inject + len, group, k, 0, len);
        for (size_t i = 0; s == LOOM_OK && i < len; i++) {
            inject[2 * i] = dst[i];
            inject[2 * i + 1] = inject[len + i];
        }
        /* In place: step i writes slots 2i and 2i+1, which hold injected digests len + j with
         * j <= i only, all read already. */
        if (s == LOOM_OK)
            s = h->compress(h->ctx, perm, dst, inject, len);
    }
    free(inject);
    if (s != LOOM_OK) {
        loom_merkle_tree_free(t);
        return s;
    }
    *out = t;
    return LOOM_OK;
}

loom_status loom_merkle_tree_build(loom_merkle_tree **out, const loom_poseidon2 *perm, const loom_matrix_view *mats,
                                   size_t n_mats)
{
    const loom_merkle_hasher cpu = {NULL, loom_cpu_hash_rows, loom_cpu_compress};
    return loom_merkle_tree_build_with(out, perm, mats, n_mats, &cpu);
}

void loom_merkle_tree_free(loom_merkle_tree *tree)
{
    if (!tree)
        return;
    free(tree->digests);
    free(tree);
}

loom_digest loom_merkle_tree_root(const loom_merkle_tree *tree) { return tree->digests[tree->layer_off[tree->depth]]; }

unsigned loom_merkle_tree_depth(const loom_merkle_tree *tree) { return tree->depth; }

size_t loom_merkle_tree_opening_len(const loom_merkle_tree *tree) { return tree->opening_len; }

loom_status loom_merkle_tree_open(const loom_merkle_tree *tree, uint32_t *rows_out, size_t rows_len,
                                  loom_digest *path_out, size_t path_len, size_t index)
{
    size_t height = (size_t)1 << tree->depth;
    if (index >= height)
        return loom_fail(LOOM_ERR_INVALID_ARG, "opening index %zu out of range; the tree has %zu leaves", index,
                         height);
    if (rows_len < tree->opening_len || path_len < tree->depth)
        return loom_fail(LOOM_ERR_SIZE, "opening buffers too small: %zu values and %zu digests, need %zu and %u",
                         rows_len, path_len, tree->opening_len, tree->depth);
    size_t off = 0;
    for (size_t m = 0; m < tree->n_mats; m++) {
        const loom_matrix_view *v = &tree->mats[m];
        size_t r = index >> (tree->depth - loom_log2_exact(v->rows));
        memcpy(rows_out + off, v->data + r * v->cols, v->cols * sizeof *rows_out);
        off += v->cols;
    }
    for (unsigned k = 0; k < tree->depth; k++)
        path_out[k] = tree->digests[tree->layer_off[k] + ((index >> k) ^ 1)];
    return LOOM_OK;
}

loom_status loom_merkle_verify(const loom_poseidon2 *perm, const loom_digest *root, const loom_matrix_dims *dims,
                               size_t n_mats, const uint32_t *rows, size_t rows_len, const loom_digest *path,
                               size_t path_len, size_t index)
{
    LOOM_TRY(check_perm(perm));
    if (!dims || n_mats == 0 || n_mats > LOOM_MERKLE_MAX_MATRICES)
        return loom_fail(LOOM_ERR_INVALID_ARG, "verification needs 1..%d matrix shapes, got %zu",
                         LOOM_MERKLE_MAX_MATRICES, n_mats);
    size_t heights[LOOM_MERKLE_MAX_MATRICES], offs[LOOM_MERKLE_MAX_MATRICES], total = 0;
    for (size_t m = 0; m < n_mats; m++) {
        if (!loom_is_pow2(dims[m].rows) || dims[m].cols == 0)
            return loom_fail(LOOM_ERR_SIZE, "matrix %zu is %zu x %zu; need a power-of-two height and columns", m,
                             dims[m].rows, dims[m].cols);
        heights[m] = dims[m].rows;
        offs[m] = total;
        total += dims[m].cols;
    }
    unsigned order[LOOM_MERKLE_MAX_MATRICES];
    sort_by_height(order, heights, n_mats);
    const size_t height = heights[order[0]];
    const unsigned depth = loom_log2_exact(height);
    if (rows_len != total || path_len != depth)
        return loom_fail(LOOM_ERR_SIZE, "opening has %zu values and %zu siblings; the shapes need %zu and %u",
                         rows_len, path_len, total, depth);
    if (index >= height)
        return loom_fail(LOOM_ERR_INVALID_ARG, "opening index %zu out of range; the tree has %zu leaves", index,
                         height);

    size_t next = 0;
    sponge sp = {{0}, 0};
    while (next < n_mats && heights[order[next]] == height) {
        unsigned m = order[next++];
        sponge_absorb(&sp, perm, rows + offs[m], dims[m].cols);
    }
    loom_digest cur = sponge_squeeze(&sp, perm);
    for (unsigned k = 0; k < depth; k++) {
        cur = ((index >> k) & 1) ? loom_poseidon2_compress(perm, &path[k], &cur)
                                 : loom_poseidon2_compress(perm, &cur, &path[k]);
        size_t len = height >> (k + 1);
        if (next < n_mats && heights[order[next]] == len) {
            sponge inj = {{0}, 0};
            while (next < n_mats && heights[order[next]] == len) {
                unsigned m = order[next++];
                sponge_absorb(&inj, perm, rows + offs[m], dims[m].cols);
            }
            loom_digest d = sponge_squeeze(&inj, perm);
            cur = loom_poseidon2_compress(perm, &cur, &d);
        }
    }
    if (memcmp(&cur, root, sizeof cur) != 0)
        return loom_fail(LOOM_ERR_VERIFY, "Merkle opening of leaf %zu does not match the root", index);
    return LOOM_OK;
}
