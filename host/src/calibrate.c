/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `loom calibrate`: short runs of every stage on every device, one device at a time, through the
 * same executor the jobs use, so the model learns exactly what a job would see (transfers to and
 * from a device's own memory included).
 */
#include <stdlib.h>
#include <string.h>

#include "internal/scheduler.h"

typedef struct {
    const loom_field *f;
    const loom_poseidon2 *perm;
    const uint32_t *in;
    uint32_t *lde;
    size_t rows, cols;
    loom_digest *digests, *out;
} calib;

static loom_status lde_fn(void *arg, loom_device *dev, size_t i, size_t start, size_t count)
{
    (void)i;
    calib *c = arg;
    if (start != 0 || count != c->cols)
        return loom_fail(LOOM_ERR_INTERNAL, "calibration runs the LDE in one chunk");
    return dev->driver->ops->coset_lde(dev, c->lde, c->f, c->in, c->rows, c->cols, 1, c->f->generator, 1);
}

static loom_status hash_fn(void *arg, loom_device *dev, size_t i, size_t start, size_t count)
{
    (void)i;
    calib *c = arg;
    loom_matrix_view v = {c->lde, 2 * c->rows, c->cols};
    return dev->driver->ops->hash_rows(dev, c->digests + start, c->perm, &v, 1, start, count);
}

static loom_status compress_fn(void *arg, loom_device *dev, size_t i, size_t start, size_t count)
{
    (void)i;
    calib *c = arg;
    return dev->driver->ops->compress(dev, c->out + start, c->perm, c->digests + 2 * start, count);
}

loom_status loom_calibrate(loom_ctx *ctx, loom_field_id field, unsigned log_rows, unsigned cols, unsigned repeats)
{
    const loom_field *f = loom_field_get(field);
    if (!ctx || !f)
        return loom_fail(LOOM_ERR_INVALID_ARG, "loom_calibrate: a context and a known field are required");
    if (log_rows + 1 > f->two_adicity || log_rows > 26 || cols == 0 || cols > 4096 || repeats == 0)
        return loom_fail(LOOM_ERR_INVALID_ARG, "loom_calibrate: 2^%u rows x %u columns, %u repeats; expected log "
                         "rows 0..26, 1..4096 columns and at least one repeat", log_rows, cols, repeats);
    const loom_poseidon2 *perm;
    LOOM_TRY(loom_poseidon2_get(&perm, field, LOOM_PERM_PLONKY3, 16));
    calib c = {f, perm, NULL, NULL, (size_t)1 << log_rows, cols, NULL, NULL};
    uint32_t *in = malloc(c.rows * cols * sizeof *in);
    c.lde = malloc(2 * c.rows * cols * sizeof *c.lde);
    c.digests = malloc(2 * c.rows * sizeof *c.digests);
    c.out = malloc(c.rows * sizeof *c.out);
    loom_status s = LOOM_OK;
    if (!in || !c.lde || !c.digests || !c.out) {
        s = loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for a 2^%u x %u calibration", log_rows, cols);
        goto done;
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < c.rows * cols; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        in[i] = (uint32_t)(x % f->p);
    }
    c.in = in;
    for (size_t d = 0; d < ctx->n_devices && s == LOOM_OK; d++) {
        loom_device *dev = &ctx->devices[d];
        loom_device *one[1] = {dev};
        size_t slot[1] = {d};
        const loom_device_ops *o = dev->driver->ops;
        struct {
            loom_stage st;
            int have;
            size_t units;
            unsigned log_size;
            loom_chunk_fn fn;
        } runs[] = {
            {LOOM_STAGE_LDE, o->coset_lde != NULL, cols, log_rows, lde_fn},
            {LOOM_STAGE_HASH, o->hash_rows != NULL, 2 * c.rows, log_rows + 1, hash_fn},
            {LOOM_STAGE_COMPRESS, o->compress != NULL, c.rows, log_rows, compress_fn},
        };
        /* hashing needs LDE rows: with no LDE on this device, the data is whatever is there */
        memset(c.lde, 0, 2 * c.rows * cols * sizeof *c.lde);
        memset(c.digests, 0, 2 * c.rows * sizeof *c.digests);
        for (size_t r = 0; r < sizeof runs / sizeof runs[0] && s == LOOM_OK; r++) {
            if (!runs[r].have)
                continue;
            loom_exec_plan plan = {.strategy = LOOM_PARTITION_DYNAMIC, .total = runs[r].units, .align = 1,
                                   .chunk = runs[r].units, .retries = 0, .backoff_s = 0,
                                   .stage = (int)runs[r].st, .log_size = runs[r].log_size};
            /* one untimed run first: it builds programs, twiddles and device buffers */
            plan.stage = -1;
            s = loom_exec_run(ctx->sched, one, slot, 1, &plan, runs[r].fn, &c, NULL);
            plan.stage = (int)runs[r].st;
            for (unsigned k = 0; k < repeats && s == LOOM_OK; k++)
                s = loom_exec_run(ctx->sched, one, slot, 1, &plan, runs[r].fn, &c, NULL);
            if (s != LOOM_OK)
                s = loom_fail(s, "calibrating %s on %s: %s", loom_stage_name(runs[r].st), dev->info.id,
                              loom_last_error());
        }
    }
done:
    free(in);
    free(c.lde);
    free(c.digests);
    free(c.out);
    return s;
}

loom_status loom_ctx_save_model(loom_ctx *ctx, const char *path)
{
    if (!ctx || !path)
        return loom_fail(LOOM_ERR_INVALID_ARG, "loom_ctx_save_model: ctx and path are required");
    return loom_model_save(loom_sched_model(ctx->sched), path);
}

loom_status loom_ctx_device_status(loom_ctx *ctx, size_t i, unsigned log_size, loom_device_status *out)
{
    if (!ctx || !out || i >= ctx->n_devices)
        return loom_fail(LOOM_ERR_INVALID_ARG, "loom_ctx_device_status: no device %zu", i);
    memset(out, 0, sizeof *out);
    out->prior_score = loom_prior_score(&ctx->devices[i].info);
    for (int st = 0; st < LOOM_STAGE_COUNT; st++) {
        out->rate[st] = loom_model_rate(loom_sched_model(ctx->sched), (loom_stage)st, ctx->devices[i].info.id, log_size);
        out->score[st] = loom_sched_score(ctx->sched, i, (loom_stage)st, log_size);
        out->pick[st] = loom_sched_pick_value(ctx->sched, i, (loom_stage)st, log_size);
    }
    loom_load l;
    loom_sched_load(ctx->sched, i, &l);
    out->utilisation = l.utilisation;
    out->tasks = l.tasks;
    out->failures = loom_sched_failures(ctx->sched, i);
    out->usable = loom_sched_usable(ctx->sched, i);
    return LOOM_OK;
}
