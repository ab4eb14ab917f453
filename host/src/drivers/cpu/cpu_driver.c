/* SPDX-License-Identifier: Apache-2.0 */
/* The CPU device: the scalar reference kernels every other device is checked against. */
#include <stdio.h>
#include <string.h>

#include "internal/cpu_info.h"
#include "internal/driver.h"
#include "internal/merkle_internal.h"
#include "loom/ntt.h"

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
    d->threads = 1; /* the reference kernels are single-threaded */
    d->memory_bytes = facts.memory_bytes;
    snprintf(d->simd_in_use, sizeof d->simd_in_use, "scalar");
    snprintf(d->simd_available, sizeof d->simd_available, "scalar%s%s%s", facts.has_avx2 ? ",avx2" : "",
             facts.has_avx512 ? ",avx512" : "", facts.has_neon ? ",neon" : "");
    *n = 1;
    return LOOM_OK;
}

static loom_status cpu_open(loom_device *dev)
{
    dev->impl = NULL;
    return LOOM_OK;
}

static void cpu_close(loom_device *dev) { (void)dev; }

static loom_status cpu_coset_lde(loom_device *dev, uint32_t *out, const loom_field *f, const uint32_t *in,
                                 size_t rows, size_t cols, unsigned added_bits, uint32_t shift, int bit_reverse)
{
    (void)dev;
    LOOM_TRY(loom_coset_lde_batch(f, out, in, rows, cols, added_bits, shift));
    if (bit_reverse)
        LOOM_TRY(loom_bit_reverse_rows(out, rows << added_bits, cols));
    return LOOM_OK;
}

static loom_status cpu_hash_rows(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm,
                                 const loom_matrix_view *views, size_t n_views, size_t row0, size_t count)
{
    (void)dev;
    return loom_cpu_hash_rows(NULL, perm, out, views, n_views, row0, count);
}

static loom_status cpu_compress(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm, const loom_digest *in,
                                size_t n_out)
{
    (void)dev;
    return loom_cpu_compress(NULL, perm, out, in, n_out);
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
