/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CPU device: the kernels at the active SIMD level (cpu/kernels.h, ntt_rows.h) on a pool of
 * worker threads the device owns. Every op splits its work into independent pieces (rows of a
 * layer, ranges of rows to hash, ranges of node pairs), so results are bit-identical at any
 * thread count and at any level; the scalar, single-thread run is the reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/kernels.h"
#include "cpu/pool.h"
#include "internal/cpu_info.h"
#include "internal/driver.h"
#include "internal/merkle_internal.h"
#include "ntt_rows.h"

typedef struct {
    loom_pool *pool;
} cpu_impl;

static loom_status cpu_discover(loom_device_info *out, size_t max, size_t *n, char *why, size_t why_len)
{
    (void)why, (void)why_len;
    *n = 0;
    if (max == 0)
        return LOOM_OK;
    loom_cpu_facts facts;
    loom_cpu_facts_get(&facts);
    loom_device_info *d = &out[0];
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "cpu0");
    d->kind = LOOM_DEVICE_CPU;
    snprintf(d->backend, sizeof d->backend, "cpu");
    snprintf(d->name, sizeof d->name, "%s", facts.model);
    d->compute_units = facts.logical_cores;
    d->threads = facts.logical_cores ? facts.logical_cores : 1; /* the context may set fewer before open */
    d->memory_bytes = facts.memory_bytes;
    snprintf(d->simd_in_use, sizeof d->simd_in_use, "%s", loom_cpu_kernels_active()->name);
    /* The levels this process can switch to: the CPU runs them and this build has them. */
    size_t used = 0;
    for (unsigned l = 0; l < LOOM_SIMD_LEVELS; l++)
        if (loom_cpu_kernels_for((loom_simd_level)l) && used < sizeof d->simd_available)
            used += (size_t)snprintf(d->simd_available + used, sizeof d->simd_available - used, "%s%s",
                                     used ? "," : "", loom_simd_name((loom_simd_level)l));
    *n = 1;
    return LOOM_OK;
}

static loom_status cpu_open(loom_device *dev)
{
    cpu_impl *impl = calloc(1, sizeof *impl);
    if (!impl)
        return loom_fail(LOOM_ERR_NO_MEMORY, "%s: out of memory", dev->info.id);
    if (dev->info.threads == 0)
        dev->info.threads = dev->info.compute_units ? dev->info.compute_units : 1;
    loom_status s = loom_pool_create(&impl->pool, dev->info.threads);
    if (s != LOOM_OK) {
        free(impl);
        return s;
    }
    dev->impl = impl;
    return LOOM_OK;
}

static void cpu_close(loom_device *dev)
{
    cpu_impl *impl = dev->impl;
    if (impl)
        loom_pool_destroy(impl->pool);
    free(impl);
    dev->impl = NULL;
}

static loom_pool *pool_of(loom_device *dev) { return dev && dev->impl ? ((cpu_impl *)dev->impl)->pool : NULL; }

static loom_status cpu_coset_lde(loom_device *dev, uint32_t *out, const loom_field *f, const uint32_t *in,
                                 size_t rows, size_t cols, unsigned added_bits, uint32_t shift, int bit_reverse)
{
    loom_pool *pool = pool_of(dev);
    LOOM_TRY(loom_coset_lde_batch_pool(pool, f, out, in, rows, cols, added_bits, shift));
    if (bit_reverse)
        LOOM_TRY(loom_bit_reverse_rows_pool(pool, out, rows << added_bits, cols));
    return LOOM_OK;
}

/* Range sizes: a handful per thread so that uneven cores even out, but not so small that
 * handing one out costs more than it does (a row of 64 values is 8 permutations, ~2 us). */
#define HASH_MIN_ROWS 64
#define COMPRESS_MIN_PAIRS 256

static size_t chunk_for(const loom_pool *pool, size_t n, size_t min)
{
    size_t parts = (size_t)loom_pool_threads(pool) * 4, c = (n + parts - 1) / parts;
    return c < min ? min : c;
}

typedef struct {
    loom_digest *out;
    const loom_poseidon2 *perm;
    const loom_matrix_view *views;
    size_t n_views, row0;
    const loom_digest *in;
} hash_job;

static void hash_range(void *arg, size_t b, size_t e, unsigned worker)
{
    (void)worker;
    const hash_job *j = arg;
    /* Cannot fail: the views were checked by the tree builder. */
    (void)loom_cpu_hash_rows(NULL, j->perm, j->out + b, j->views, j->n_views, j->row0 + b, e - b);
}

static void compress_range(void *arg, size_t b, size_t e, unsigned worker)
{
    (void)worker;
    const hash_job *j = arg;
    (void)loom_cpu_compress(NULL, j->perm, j->out + b, j->in + 2 * b, e - b);
}

static loom_status cpu_hash_rows(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm,
                                 const loom_matrix_view *views, size_t n_views, size_t row0, size_t count)
{
    loom_pool *pool = pool_of(dev);
    hash_job j = {out, perm, views, n_views, row0, NULL};
    loom_pool_for(pool, count, chunk_for(pool, count, HASH_MIN_ROWS), hash_range, &j);
    return LOOM_OK;
}

static loom_status cpu_compress(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm, const loom_digest *in,
                                size_t n_out)
{
    loom_pool *pool = pool_of(dev);
    hash_job j = {out, perm, NULL, 0, 0, in};
    loom_pool_for(pool, n_out, chunk_for(pool, n_out, COMPRESS_MIN_PAIRS), compress_range, &j);
    return LOOM_OK;
}

static const loom_device_ops cpu_ops = {
    .coset_lde = cpu_coset_lde,
    .hash_rows = cpu_hash_rows,
    .compress = cpu_compress,
};

const loom_driver loom_driver_cpu = {
    .name = "cpu",
    .kind = LOOM_DEVICE_CPU,
    .discover = cpu_discover,
    .open = cpu_open,
    .close = cpu_close,
    .ops = &cpu_ops,
};
