/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The commit job: TwoAdicFriPcs::commit. Every stage goes through a device's ops table, so the
 * scheduler can later route stages to other devices; today the first device of the context runs
 * them all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/ctx.h"
#include "internal/merkle_internal.h"
#include "internal/timer.h"

#define LOOM_MAX_LOG_BLOWUP 8

typedef struct {
    loom_device *dev;
    loom_commit_report *rep;
    size_t slot;
} job;

static loom_status job_hash(void *ctx, const loom_poseidon2 *perm, loom_digest *out, const loom_matrix_view *views,
                            size_t n, size_t row0, size_t count)
{
    job *j = ctx;
    double t0 = loom_now();
    loom_status s = j->dev->driver->ops->hash_rows(j->dev, out, perm, views, n, row0, count);
    double dt = loom_now() - t0;
    size_t width = 0;
    for (size_t i = 0; i < n; i++)
        width += views[i].cols;
    j->rep->hash_s += dt;
    j->rep->permutations += (uint64_t)count * ((width + LOOM_SPONGE_RATE - 1) / LOOM_SPONGE_RATE);
    j->rep->devices[j->slot].rows_hashed += count;
    j->rep->devices[j->slot].busy_s += dt;
    return s;
}

static loom_status job_compress(void *ctx, const loom_poseidon2 *perm, loom_digest *out, const loom_digest *in,
                                size_t n_out)
{
    job *j = ctx;
    double t0 = loom_now();
    loom_status s = j->dev->driver->ops->compress(j->dev, out, perm, in, n_out);
    double dt = loom_now() - t0;
    j->rep->compress_s += dt;
    j->rep->permutations += n_out;
    j->rep->devices[j->slot].compressions += n_out;
    j->rep->devices[j->slot].busy_s += dt;
    return s;
}

static loom_status check_inputs(const loom_field *f, const loom_commit_params *params,
                                const loom_matrix_view *traces, size_t n_traces)
{
    if (params->log_blowup > LOOM_MAX_LOG_BLOWUP)
        return loom_fail(LOOM_ERR_INVALID_ARG, "log_blowup %u is out of range; expected 0..%d", params->log_blowup,
                         LOOM_MAX_LOG_BLOWUP);
    if (!traces || n_traces == 0 || n_traces > LOOM_MERKLE_MAX_MATRICES)
        return loom_fail(LOOM_ERR_INVALID_ARG, "a commit needs 1..%d trace matrices, got %zu",
                         LOOM_MERKLE_MAX_MATRICES, n_traces);
    for (size_t t = 0; t < n_traces; t++) {
        const loom_matrix_view *v = &traces[t];
        if (!v->data || v->cols == 0)
            return loom_fail(LOOM_ERR_INVALID_ARG, "trace %zu has no data or no columns", t);
        if (!loom_is_pow2(v->rows))
            return loom_fail(LOOM_ERR_SIZE, "trace %zu has %zu rows; the row count must be a power of two", t,
                             v->rows);
        unsigned log_n = loom_log2_exact(v->rows);
        if (log_n + params->log_blowup > f->two_adicity)
            return loom_fail(LOOM_ERR_SIZE,
                             "trace %zu: 2^%u rows with log_blowup %u gives 2^%u rows, beyond %s's two-adicity "
                             "(at most 2^%u)",
                             t, log_n, params->log_blowup, log_n + params->log_blowup, f->name, f->two_adicity);
        for (size_t i = 0; i < v->rows * v->cols; i++)
            if (v->data[i] >= f->p)
                return loom_fail(LOOM_ERR_NOT_CANONICAL,
                                 "trace %zu: value %u at row %zu, column %zu is >= p = %u (%s)", t, v->data[i],
                                 i / v->cols, i % v->cols, f->p, f->name);
    }
    return LOOM_OK;
}

loom_status loom_commit(loom_ctx *ctx, loom_digest *root, loom_commit_report *report,
                        const loom_commit_params *params, const loom_matrix_view *traces, size_t n_traces)
{
    if (!ctx || !root || !params)
        return loom_fail(LOOM_ERR_INVALID_ARG, "loom_commit: ctx, root and params are required");
    const loom_field *f = loom_field_get(params->field);
    if (!f)
        return loom_fail(LOOM_ERR_INVALID_ARG, "loom_commit: unknown field id %d", (int)params->field);
    const loom_poseidon2 *perm;
    LOOM_TRY(loom_poseidon2_get(&perm, params->field, params->perm, 16));
    LOOM_TRY(check_inputs(f, params, traces, n_traces));
    if (ctx->n_devices == 0)
        return loom_fail(LOOM_ERR_DEVICE, "the context has no device");

    loom_commit_report local;
    loom_commit_report *rep = report ? report : &local;
    memset(rep, 0, sizeof *rep);
    rep->n_devices = ctx->n_devices < LOOM_REPORT_MAX_DEVICES ? ctx->n_devices : LOOM_REPORT_MAX_DEVICES;
    for (size_t i = 0; i < rep->n_devices; i++)
        memcpy(rep->devices[i].id, ctx->devices[i].info.id, sizeof rep->devices[i].id);

    /* Until the scheduler routes stages, one device runs the whole job: the one asked for, else
     * the first GPU (it has the whole-commit op), else the first device (the CPU). */
    size_t slot = 0;
    if (params->device) {
        while (slot < ctx->n_devices && strcmp(ctx->devices[slot].info.id, params->device) != 0)
            slot++;
        if (slot == ctx->n_devices) {
            char ids[256] = "";
            for (size_t i = 0; i < ctx->n_devices; i++)
                snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", i ? ", " : "", ctx->devices[i].info.id);
            return loom_fail(LOOM_ERR_NOT_FOUND, "device '%s' is not in this context; present: %s", params->device, ids);
        }
    } else {
        for (size_t i = 0; i < ctx->n_devices; i++)
            if (ctx->devices[i].info.kind == LOOM_DEVICE_GPU) {
                slot = i;
                break;
            }
    }
    loom_device *dev = &ctx->devices[slot];
    double t_start = loom_now();
    if (dev->driver->ops->commit) {
        loom_status cs = dev->driver->ops->commit(dev, root, rep, slot, f, perm, traces, n_traces, params->log_blowup);
        rep->total_s = loom_now() - t_start;
        return cs;
    }
    job j = {dev, rep, slot};
    /* A device without the LDE (an FPGA hashes only) leaves it to the first device that has it. */
    size_t lde_slot = slot;
    if (!dev->driver->ops->coset_lde) {
        lde_slot = 0;
        while (lde_slot < ctx->n_devices && !ctx->devices[lde_slot].driver->ops->coset_lde)
            lde_slot++;
        if (lde_slot == ctx->n_devices)
            return loom_fail(LOOM_ERR_UNSUPPORTED, "device '%s' cannot run the coset LDE and no device in this "
                             "context can", dev->info.id);
    }
    loom_device *lde_dev = &ctx->devices[lde_slot];
    loom_status s = LOOM_OK;
    uint32_t *lde[LOOM_MERKLE_MAX_MATRICES] = {0};
    loom_matrix_view views[LOOM_MERKLE_MAX_MATRICES];
    for (size_t t = 0; t < n_traces && s == LOOM_OK; t++) {
        size_t rows = traces[t].rows << params->log_blowup, cols = traces[t].cols;
        lde[t] = malloc(rows * cols * sizeof(uint32_t));
        if (!lde[t]) {
            s = loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for the %zu x %zu extension of trace %zu", rows, cols, t);
            break;
        }
        double t0 = loom_now();
        s = lde_dev->driver->ops->coset_lde(lde_dev, lde[t], f, traces[t].data, traces[t].rows, cols,
                                            params->log_blowup, f->generator, 1);
        double dt = loom_now() - t0;
        rep->lde_s += dt;
        rep->lde_rows += rows;
        rep->devices[lde_slot].lde_columns += cols;
        rep->devices[lde_slot].busy_s += dt;
        views[t] = (loom_matrix_view){lde[t], rows, cols};
    }
    if (s == LOOM_OK) {
        const loom_merkle_hasher hasher = {&j, job_hash, job_compress};
        loom_merkle_tree *tree = NULL;
        s = loom_merkle_tree_build_with(&tree, perm, views, n_traces, &hasher);
        if (s == LOOM_OK)
            *root = loom_merkle_tree_root(tree);
        loom_merkle_tree_free(tree);
    }
    for (size_t t = 0; t < n_traces; t++)
        free(lde[t]);
    rep->total_s = loom_now() - t_start;
    return s;
}
