/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NVIDIA GPU device: discovery through the CUDA runtime (CUDA_VISIBLE_DEVICES respected),
 * and the ops table over the kernels of cuda/loom_cuda.cu. Without a GPU or driver, discovery
 * reports zero GPUs and why; nothing else runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/driver.h"
#include "internal/params.h"
#include "internal/poseidon2_ref.h"
#include "loom_cuda.h"

static loom_status cuda_fail(int rc, const char *what, const char *err)
{
    loom_status s = rc == LOOM_CUDA_NO_MEMORY ? LOOM_ERR_NO_MEMORY
                    : rc == LOOM_CUDA_BAD_ARG ? LOOM_ERR_UNSUPPORTED
                                              : LOOM_ERR_DEVICE;
    return loom_fail(s, "%s: %s", what, err[0] ? err : "CUDA error");
}

static loom_status cuda_discover(loom_device_info *out, size_t max, size_t *n, char *why, size_t why_len)
{
    int count = 0;
    *n = 0;
    loom_cuda_count(&count, why, why_len);
    for (int i = 0; i < count && *n < max; i++) {
        loom_cuda_info ci;
        char err[256] = "";
        if (loom_cuda_info_get(i, &ci, err, sizeof err) != LOOM_CUDA_OK) {
            snprintf(why, why_len, "GPU %d: %s", i, err);
            continue;
        }
        loom_device_info *d = &out[*n];
        memset(d, 0, sizeof *d);
        snprintf(d->id, sizeof d->id, "gpu%d", i);
        d->kind = LOOM_DEVICE_GPU;
        snprintf(d->backend, sizeof d->backend, "cuda");
        snprintf(d->name, sizeof d->name, "%s", ci.name);
        d->compute_units = (unsigned)ci.sm_count;
        d->memory_bytes = ci.total_mem;
        snprintf(d->pci_bus_id, sizeof d->pci_bus_id, "%s", ci.pci_bus_id);
        d->cc_major = (unsigned)ci.cc_major, d->cc_minor = (unsigned)ci.cc_minor;
        d->clock_mhz = (unsigned)(ci.clock_khz / 1000);
        d->l2_bytes = ci.l2_bytes;
        d->peer_mask = ci.peer_mask;
        d->ordinal = i;
        (*n)++;
    }
    return LOOM_OK;
}

typedef struct {
    loom_cuda_dev *dev;
} cuda_impl;

/* The kernels' view of a field and of a built-in Poseidon2 instance. */
static loom_cuda_field cfield(const loom_field *f)
{
    loom_cuda_field c = {f->p, f->mu, f->r_mod_p, f->r2_mod_p, f->two_adicity, f->two_adic_generators};
    return c;
}

static loom_status cperm(loom_cuda_perm *out, const loom_poseidon2 *perm)
{
    const loom_poseidon2_monty *m = loom_poseidon2_monty_consts(perm);
    if (!m)
        return loom_fail(LOOM_ERR_UNSUPPORTED, "the GPU runs only the built-in Poseidon2 instances");
    size_t slot = 0;
    while (slot < loom_poseidon2_count() && loom_poseidon2_at(slot) != perm)
        slot++;
    *out = (loom_cuda_perm){(int)slot, perm->field == LOOM_FIELD_BABYBEAR, perm->width, perm->rounds_p,
                            perm->legacy_internal, m->ext_initial, m->internal, m->ext_final, m->diag};
    return LOOM_OK;
}

static loom_status cuda_open(loom_device *dev)
{
    cuda_impl *impl = calloc(1, sizeof *impl);
    char err[512] = "";
    if (!impl)
        return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory opening %s", dev->info.id);
    /* The YAML's memory_limit (0: 90% of the free memory) bounds every allocation of the device. */
    int rc = loom_cuda_open(&impl->dev, dev->info.ordinal, (size_t)dev->spec.memory_limit, err, sizeof err);
    for (size_t i = 0; rc == LOOM_CUDA_OK && i < loom_poseidon2_count(); i++) {
        loom_cuda_perm cp;
        if (cperm(&cp, loom_poseidon2_at(i)) == LOOM_OK)
            rc = loom_cuda_load_perm(impl->dev, &cp, err, sizeof err);
    }
    if (rc != LOOM_CUDA_OK) {
        loom_cuda_close(impl->dev);
        free(impl);
        char what[64];
        snprintf(what, sizeof what, "opening %s", dev->info.id);
        return cuda_fail(rc, what, err);
    }
    dev->impl = impl;
    return LOOM_OK;
}

static void cuda_close(loom_device *dev)
{
    cuda_impl *impl = dev->impl;
    if (impl) {
        loom_cuda_close(impl->dev);
        free(impl);
    }
    dev->impl = NULL;
}

static loom_status cuda_coset_lde(loom_device *dev, uint32_t *out, const loom_field *f, const uint32_t *in,
                                  size_t rows, size_t cols, unsigned added_bits, uint32_t shift, int bit_reverse)
{
    cuda_impl *impl = dev->impl;
    char err[512] = "";
    if (!loom_is_pow2(rows) || loom_log2_exact(rows) + added_bits > f->two_adicity)
        return loom_fail(LOOM_ERR_SIZE, "%s: LDE of %zu rows by 2^%u is not supported for %s", dev->info.id, rows,
                         added_bits, f->name);
    if (shift >= f->p)
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: coset shift %u is not canonical", dev->info.id, shift);
    loom_cuda_field cf = cfield(f);
    int rc = loom_cuda_coset_lde(impl->dev, out, &cf, in, rows, cols, added_bits, shift, bit_reverse, err, sizeof err);
    return rc ? cuda_fail(rc, dev->info.id, err) : LOOM_OK;
}

static loom_status cuda_hash_rows(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm,
                                  const loom_matrix_view *views, size_t n_views, size_t row0, size_t count)
{
    cuda_impl *impl = dev->impl;
    char err[512] = "";
    loom_cuda_perm cp;
    LOOM_TRY(cperm(&cp, perm));
    loom_cuda_matrix mats[LOOM_MERKLE_MAX_MATRICES];
    if (n_views > LOOM_MERKLE_MAX_MATRICES)
        return loom_fail(LOOM_ERR_INVALID_ARG, "too many matrices in one leaf (%zu)", n_views);
    for (size_t i = 0; i < n_views; i++)
        mats[i] = (loom_cuda_matrix){views[i].data, views[i].rows, views[i].cols};
    int rc = loom_cuda_hash_rows(impl->dev, out[0].v, &cp, mats, n_views, row0, count, err, sizeof err);
    return rc ? cuda_fail(rc, dev->info.id, err) : LOOM_OK;
}

static loom_status cuda_compress(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm, const loom_digest *in,
                                 size_t n_out)
{
    cuda_impl *impl = dev->impl;
    char err[512] = "";
    loom_cuda_perm cp;
    LOOM_TRY(cperm(&cp, perm));
    int rc = loom_cuda_compress(impl->dev, out[0].v, &cp, in[0].v, n_out, err, sizeof err);
    return rc ? cuda_fail(rc, dev->info.id, err) : LOOM_OK;
}

static loom_status cuda_commit(loom_device *dev, loom_digest *root, loom_commit_report *rep, size_t slot,
                               const loom_field *f, const loom_poseidon2 *perm, const loom_matrix_view *traces,
                               size_t n_traces, unsigned log_blowup)
{
    cuda_impl *impl = dev->impl;
    char err[512] = "";
    loom_cuda_perm cp;
    LOOM_TRY(cperm(&cp, perm));
    loom_cuda_matrix mats[LOOM_MERKLE_MAX_MATRICES];
    for (size_t i = 0; i < n_traces; i++)
        mats[i] = (loom_cuda_matrix){traces[i].data, traces[i].rows, traces[i].cols};
    loom_cuda_field cf = cfield(f);
    loom_cuda_stats st;
    int rc = loom_cuda_commit(impl->dev, root->v, &st, &cf, &cp, mats, n_traces, log_blowup, f->generator, err,
                              sizeof err);
    if (rc)
        return cuda_fail(rc, dev->info.id, err);
    rep->lde_s += st.lde_s;
    rep->hash_s += st.hash_s;
    rep->compress_s += st.tree_s;
    rep->bytes_h2d += st.bytes_h2d;
    rep->permutations += st.permutations;
    uint64_t compressions = 0;
    for (size_t i = 0; i < n_traces; i++) {
        rep->lde_rows += (uint64_t)traces[i].rows << log_blowup;
        rep->devices[slot].lde_columns += traces[i].cols;
    }
    size_t height = 0;
    for (size_t i = 0; i < n_traces; i++)
        if (traces[i].rows > height)
            height = traces[i].rows;
    height <<= log_blowup;
    for (size_t len = height / 2; len >= 1; len /= 2)
        compressions += len;
    rep->devices[slot].rows_hashed += height;
    rep->devices[slot].compressions += compressions;
    rep->devices[slot].busy_s += st.total_s;
    return LOOM_OK;
}

static loom_status cuda_commit_multi(loom_device *const *devs, size_t n, int mode, loom_digest *roots,
                                     loom_commit_report *rep, const size_t *slots, const loom_field *f,
                                     const loom_poseidon2 *perm, const loom_matrix_view *traces, size_t n_traces,
                                     unsigned log_blowup)
{
    char err[512] = "";
    loom_cuda_perm cp;
    LOOM_TRY(cperm(&cp, perm));
    if (n == 0 || n > LOOM_CUDA_MULTI_MAX || n_traces > LOOM_MERKLE_MAX_MATRICES)
        return loom_fail(LOOM_ERR_INVALID_ARG, "a multi-GPU commit takes 1..%d GPUs and 1..%d traces (got %zu, %zu)",
                         LOOM_CUDA_MULTI_MAX, LOOM_MERKLE_MAX_MATRICES, n, n_traces);
    loom_cuda_dev *h[LOOM_CUDA_MULTI_MAX];
    for (size_t i = 0; i < n; i++) {
        if (devs[i]->driver != &loom_driver_cuda || !devs[i]->impl)
            return loom_fail(LOOM_ERR_INVALID_ARG, "%s is not an open CUDA device", devs[i]->info.id);
        h[i] = ((cuda_impl *)devs[i]->impl)->dev;
    }
    loom_cuda_matrix mats[LOOM_MERKLE_MAX_MATRICES];
    for (size_t i = 0; i < n_traces; i++)
        mats[i] = (loom_cuda_matrix){traces[i].data, traces[i].rows, traces[i].cols};
    loom_cuda_field cf = cfield(f);
    loom_cuda_multi_stats st;
    int rc = loom_cuda_commit_multi(h, (int)n, mode == LOOM_MULTI_GPU_CHAIN ? LOOM_CUDA_MULTI_CHAIN
                                                                          : LOOM_CUDA_MULTI_EXCHANGE,
                                    roots[0].v, &st, &cf, &cp, mats, n_traces, log_blowup, f->generator, err,
                                    sizeof err);
    if (rc)
        return cuda_fail(rc, devs[0]->info.id, err);
    const size_t m = traces[0].rows << log_blowup;
    rep->lde_s += st.lde_s;
    rep->hash_s += st.hash_s;
    rep->compress_s += st.tree_s;
    rep->bytes_h2d += st.bytes_h2d;
    rep->bytes_peer += st.bytes_peer;
    rep->permutations += st.permutations;
    rep->lde_rows += (uint64_t)m * n_traces;
    for (size_t i = 0; i < n; i++) {
        if (slots[i] >= rep->n_devices)
            continue;
        rep->devices[slots[i]].lde_columns += st.columns[i];
        rep->devices[slots[i]].rows_hashed += m / n;
        rep->devices[slots[i]].compressions += m / n - 1;
        rep->devices[slots[i]].busy_s += st.busy_s[i];
    }
    return LOOM_OK;
}

static const loom_device_ops cuda_ops = {
    .coset_lde = cuda_coset_lde,
    .hash_rows = cuda_hash_rows,
    .compress = cuda_compress,
    .commit = cuda_commit,
    .commit_multi = cuda_commit_multi,
};

const loom_driver loom_driver_cuda = {
    .name = "cuda",
    .kind = LOOM_DEVICE_GPU,
    .discover = cuda_discover,
    .open = cuda_open,
    .close = cuda_close,
    .ops = &cuda_ops,
};

/* For the GPU tests and benchmarks (not part of the public API). */
loom_cuda_dev *loom_cuda_device_handle(loom_device *dev);
loom_cuda_dev *loom_cuda_device_handle(loom_device *dev)
{
    return dev && dev->driver == &loom_driver_cuda && dev->impl ? ((cuda_impl *)dev->impl)->dev : NULL;
}
