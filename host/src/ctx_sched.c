/* SPDX-License-Identifier: Apache-2.0 */
/* The context's scheduler: the glue between the commit job and internal/scheduler.h. */
#include <stdio.h>
#include <string.h>

#include "internal/scheduler.h"

loom_status loom_ctx_sched_open(loom_ctx *ctx)
{
    loom_model *model = NULL;
    if (ctx->settings.model_path[0]) {
        loom_status s = loom_model_load(&model, ctx->settings.model_path);
        if (s != LOOM_OK)
            return loom_fail(s, "%s: scheduler.model: %s", ctx->settings.source, loom_last_error());
    }
    return loom_sched_create(&ctx->sched, ctx->devices, ctx->n_devices, model);
}

void loom_ctx_sched_close(loom_ctx *ctx)
{
    loom_sched_free(ctx->sched);
    ctx->sched = NULL;
}

int loom_ctx_device_usable(loom_ctx *ctx, size_t slot) { return loom_sched_usable(ctx->sched, slot); }

void loom_ctx_device_lock(loom_ctx *ctx, size_t slot) { loom_sched_job_begin(ctx->sched, slot); }
void loom_ctx_device_unlock(loom_ctx *ctx, size_t slot) { loom_sched_job_end(ctx->sched, slot); }

void loom_ctx_device_failed(loom_ctx *ctx, size_t slot, loom_status s)
{
    (void)s;
    loom_sched_failed(ctx->sched, slot, ctx->settings.backoff_s);
}

/*
 * Which of the stage's devices share its work (the primaries, first in `out`, *n_primary of them)
 * and which stand by for failed chunks (the rest). devs come in route order.
 *
 * With a measured rate for every candidate, devices join the primaries fastest first, and only
 * while one chunk on a device takes less time than the whole stage on the devices already chosen:
 * a device that would still be on its first chunk when the others have finished everything only
 * makes the stage later. Without a full model the route's order decides: the devices of its first
 * kind present are the primaries. scheduler.max_gpus caps the GPUs among the primaries.
 */
static size_t choose(loom_ctx *ctx, loom_stage st, loom_device *const *devs, size_t n, size_t total, size_t chunk,
                     unsigned log_size, loom_device **out, size_t *n_primary)
{
    double rate[LOOM_CTX_MAX_DEVICES];
    size_t order[LOOM_CTX_MAX_DEVICES];
    int all = 1, is_primary[LOOM_CTX_MAX_DEVICES] = {0};
    for (size_t i = 0; i < n; i++) {
        rate[i] = loom_model_rate(loom_sched_model(ctx->sched), st, devs[i]->info.id, log_size);
        if (devs[i]->spec.weight > 0)
            rate[i] *= devs[i]->spec.weight;
        all &= rate[i] > 0;
        order[i] = i;
    }
    size_t k = 0, gpus = 0;
    if (!all) {
        for (size_t i = 0; i < n; i++) {
            if (devs[i]->info.kind != devs[0]->info.kind)
                continue;
            if (devs[i]->info.kind == LOOM_DEVICE_GPU && ctx->settings.max_gpus && gpus == ctx->settings.max_gpus)
                continue;
            gpus += devs[i]->info.kind == LOOM_DEVICE_GPU;
            is_primary[i] = 1;
            k++;
        }
    } else {
        for (size_t a = 1; a < n; a++) /* by rate, fastest first (insertion sort: n is small) */
            for (size_t b = a; b > 0 && rate[order[b]] > rate[order[b - 1]]; b--) {
                size_t t = order[b];
                order[b] = order[b - 1];
                order[b - 1] = t;
            }
        double sum = 0;
        for (size_t o = 0; o < n; o++) {
            size_t i = order[o];
            if (devs[i]->info.kind == LOOM_DEVICE_GPU && ctx->settings.max_gpus && gpus == ctx->settings.max_gpus)
                continue;
            double one_chunk = (double)(chunk < total ? chunk : total) / rate[i];
            if (k > 0 && one_chunk >= (double)total / sum)
                continue;
            sum += rate[i];
            gpus += devs[i]->info.kind == LOOM_DEVICE_GPU;
            is_primary[i] = 1;
            k++;
        }
    }
    /* primaries then fallbacks, each in route order (the tie-break of the queue) */
    size_t m = 0;
    for (int pass = 1; pass >= 0; pass--)
        for (size_t i = 0; i < n; i++)
            if (is_primary[i] == pass)
                out[m++] = devs[i];
    *n_primary = k;
    return m;
}

static loom_status run(loom_ctx *ctx, int stage, loom_device *const *devs, size_t n, size_t n_primary, size_t total,
                       size_t chunk, unsigned log_size, loom_partition_kind strategy, loom_chunk_fn fn, void *arg)
{
    size_t slots[LOOM_CTX_MAX_DEVICES];
    for (size_t i = 0; i < n; i++)
        slots[i] = (size_t)(devs[i] - ctx->devices);
    const loom_sched_settings *ss = &ctx->settings;
    loom_exec_plan plan = {
        .strategy = strategy,
        .total = total,
        .align = 1,
        .chunk = chunk,
        .deadline_s = ss->deadline_s,
        .retries = ss->retries,
        .backoff_s = ss->backoff_s,
        .threshold = ss->threshold,
        .hysteresis = ss->hysteresis,
        .stage = stage,
        .log_size = log_size,
        .n_primary = n_primary,
    };
    return loom_exec_run(ctx->sched, devs, slots, n, &plan, fn, arg, NULL);
}

loom_status loom_ctx_run_stage(loom_ctx *ctx, loom_stage st, loom_device *const *devs, size_t n, size_t total,
                               unsigned log_size, loom_chunk_fn fn, void *arg)
{
    /* Chunks: the configured size, else about four per device but not below a floor that keeps
     * the per-chunk overhead (a thread hand-off, a transfer) small against the work. */
    size_t chunk = ctx->settings.chunk_rows;
    if (st == LOOM_STAGE_LDE) {
        chunk = (total + 2 * n - 1) / (2 * n); /* columns: a couple of blocks per device */
    } else if (chunk == 0) {
        chunk = (total + 4 * n - 1) / (4 * n);
        if (chunk < 1024)
            chunk = 1024;
    }
    loom_device *use[LOOM_CTX_MAX_DEVICES];
    size_t n_primary = 0;
    size_t k = choose(ctx, st, devs, n, total, chunk, log_size, use, &n_primary);
    if (n_primary == 1 && (st == LOOM_STAGE_LDE || ctx->settings.chunk_rows == 0))
        chunk = total; /* one device: one call, no hand-offs (and no column gather for the LDE) */
    return run(ctx, (int)st, use, k, n_primary, total, chunk, log_size, ctx->settings.partition, fn, arg);
}

loom_status loom_ctx_run_units(loom_ctx *ctx, loom_device *const *devs, size_t n, size_t total, size_t chunk,
                               loom_chunk_fn fn, void *arg)
{
    return run(ctx, -1, devs, n, n, total, chunk, 0, LOOM_PARTITION_DYNAMIC, fn, arg);
}
