/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The commit job: TwoAdicFriPcs::commit, spread over the context's devices.
 *
 * Three stages, each routed on its own (scheduler.route, the devices' `stages`, and which ops a
 * driver has): the coset LDE (split by columns), leaf hashing (split by rows) and the Merkle
 * compression levels (split by pairs). Each stage runs through the scheduler's executor: one
 * worker per device, chunks pulled from a queue or assigned in proportion to measured speed, a
 * failed or late chunk re-run on another device. Every chunk writes a disjoint, deterministic
 * part of the output, so the root never depends on who ran what.
 *
 * A device that can run the whole commit by itself (a GPU: the trace crosses the bus once and
 * only the root comes back) takes whole jobs when it is the best LDE device: one commit, or, for
 * a batch of shards, shards pulled from a queue by every such device.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/ctx.h"
#include "internal/merkle_internal.h"
#include "internal/scheduler.h"
#include "internal/timer.h"

#define LOOM_MAX_LOG_BLOWUP 8

static const loom_device_kind default_route[LOOM_STAGE_COUNT][LOOM_ROUTE_MAX] = {
    [LOOM_STAGE_LDE] = {LOOM_DEVICE_GPU, LOOM_DEVICE_OPENCL, LOOM_DEVICE_CPU},
    [LOOM_STAGE_HASH] = {LOOM_DEVICE_FPGA, LOOM_DEVICE_GPU, LOOM_DEVICE_OPENCL, LOOM_DEVICE_CPU},
    [LOOM_STAGE_COMPRESS] = {LOOM_DEVICE_GPU, LOOM_DEVICE_FPGA, LOOM_DEVICE_OPENCL, LOOM_DEVICE_CPU},
};
static const size_t default_route_len[LOOM_STAGE_COUNT] = {3, 4, 4};

static int has_op(const loom_device *d, loom_stage st)
{
    const loom_device_ops *o = d->driver->ops;
    switch (st) {
    case LOOM_STAGE_LDE: return o->coset_lde != NULL;
    case LOOM_STAGE_HASH: return o->hash_rows != NULL;
    case LOOM_STAGE_COMPRESS: return o->compress != NULL;
    case LOOM_STAGE_COUNT: break;
    }
    return 0;
}

static int allows(const loom_device *d, loom_stage st) { return !d->spec.stages || (d->spec.stages & (1u << st)); }

/* ---- one commit ---- */

typedef struct {
    loom_ctx *ctx;
    const loom_field *f;
    const loom_poseidon2 *perm;
    loom_commit_report *rep;
    pthread_mutex_t lock; /* guards rep while workers run */
    unsigned log_blowup;
    unsigned log_rows; /* of the largest trace: the size that keys the device selection */
    loom_device *devs[LOOM_STAGE_COUNT][LOOM_CTX_MAX_DEVICES];
    size_t n_devs[LOOM_STAGE_COUNT];
    /* the stage being run */
    const loom_matrix_view *trace;
    uint32_t *lde;
    loom_digest *out;
    const loom_matrix_view *views;
    size_t n_views, row0, width;
    const loom_digest *in;
} commit_job;

static size_t slot_of(const commit_job *j, const loom_device *dev) { return (size_t)(dev - j->ctx->devices); }

static void account(commit_job *j, const loom_device *dev, loom_stage st, double dt, size_t count)
{
    size_t slot = slot_of(j, dev);
    pthread_mutex_lock(&j->lock);
    loom_commit_report *rep = j->rep;
    if (slot < rep->n_devices) {
        rep->devices[slot].busy_s += dt;
        if (st == LOOM_STAGE_LDE)
            rep->devices[slot].lde_columns += count;
        else if (st == LOOM_STAGE_HASH)
            rep->devices[slot].rows_hashed += count;
        else
            rep->devices[slot].compressions += count;
    }
    if (st == LOOM_STAGE_HASH)
        rep->permutations += (uint64_t)count * ((j->width + LOOM_SPONGE_RATE - 1) / LOOM_SPONGE_RATE);
    else if (st == LOOM_STAGE_COMPRESS)
        rep->permutations += count;
    pthread_mutex_unlock(&j->lock);
}

/* Columns [c0, c0 + k) of the trace: extended on `dev`, written into the LDE matrix. Several
 * devices: each extends a block of columns, gathered into and scattered from a private buffer. */
static loom_status lde_chunk(void *arg, loom_device *dev, size_t dev_index, size_t c0, size_t k)
{
    (void)dev_index;
    commit_job *j = arg;
    const loom_matrix_view *t = j->trace;
    size_t rows = t->rows, cols = t->cols, ext = rows << j->log_blowup;
    double t0 = loom_now();
    loom_status s;
    if (c0 == 0 && k == cols) {
        s = dev->driver->ops->coset_lde(dev, j->lde, j->f, t->data, rows, cols, j->log_blowup, j->f->generator, 1);
    } else {
        uint32_t *in = malloc(rows * k * sizeof *in), *out = malloc(ext * k * sizeof *out);
        if (!in || !out) {
            free(in);
            free(out);
            return loom_fail(LOOM_ERR_NO_MEMORY, "%s: out of memory for a %zu x %zu column block", dev->info.id,
                             ext, k);
        }
        for (size_t r = 0; r < rows; r++)
            memcpy(in + r * k, t->data + r * cols + c0, k * sizeof *in);
        s = dev->driver->ops->coset_lde(dev, out, j->f, in, rows, k, j->log_blowup, j->f->generator, 1);
        if (s == LOOM_OK)
            for (size_t r = 0; r < ext; r++)
                memcpy(j->lde + r * cols + c0, out + r * k, k * sizeof *out);
        free(in);
        free(out);
    }
    if (s == LOOM_OK)
        account(j, dev, LOOM_STAGE_LDE, loom_now() - t0, k);
    return s;
}

static loom_status hash_chunk(void *arg, loom_device *dev, size_t dev_index, size_t start, size_t count)
{
    (void)dev_index;
    commit_job *j = arg;
    double t0 = loom_now();
    loom_status s = dev->driver->ops->hash_rows(dev, j->out + start, j->perm, j->views, j->n_views, j->row0 + start,
                                                count);
    if (s == LOOM_OK)
        account(j, dev, LOOM_STAGE_HASH, loom_now() - t0, count);
    return s;
}

static loom_status compress_chunk(void *arg, loom_device *dev, size_t dev_index, size_t start, size_t count)
{
    (void)dev_index;
    commit_job *j = arg;
    double t0 = loom_now();
    loom_status s = dev->driver->ops->compress(dev, j->out + start, j->perm, j->in + 2 * start, count);
    if (s == LOOM_OK)
        account(j, dev, LOOM_STAGE_COMPRESS, loom_now() - t0, count);
    return s;
}

/* Runs `total` units of stage `st` over the stage's devices through the scheduler. */
static loom_status run_stage(commit_job *j, loom_stage st, size_t total, unsigned log_size, loom_chunk_fn fn)
{
    if (total == 0)
        return LOOM_OK;
    return loom_ctx_run_stage(j->ctx, st, j->devs[st], j->n_devs[st], total, log_size, fn, j);
}

static loom_status job_hash(void *ctx, const loom_poseidon2 *perm, loom_digest *out, const loom_matrix_view *views,
                            size_t n, size_t row0, size_t count)
{
    commit_job *j = ctx;
    (void)perm;
    j->out = out, j->views = views, j->n_views = n, j->row0 = row0, j->width = 0;
    for (size_t i = 0; i < n; i++)
        j->width += views[i].cols;
    double t0 = loom_now();
    loom_status s = run_stage(j, LOOM_STAGE_HASH, count, loom_log2_exact(views[0].rows), hash_chunk);
    j->rep->hash_s += loom_now() - t0;
    return s;
}

static loom_status job_compress(void *ctx, const loom_poseidon2 *perm, loom_digest *out, const loom_digest *in,
                                size_t n_out)
{
    commit_job *j = ctx;
    (void)perm;
    j->out = out, j->in = in;
    double t0 = loom_now();
    loom_status s = run_stage(j, LOOM_STAGE_COMPRESS, n_out, loom_log2_exact(n_out), compress_chunk);
    j->rep->compress_s += loom_now() - t0;
    return s;
}

/* ---- input check ---- */

typedef struct {
    const uint32_t *d;
    size_t n;
    uint32_t p;
    size_t bad; /* index of the first value >= p in d[0..n), SIZE_MAX if none */
} scan_part;

/* Blocks of 4096 reduced to their maximum (a loop the compiler vectorises), and searched only
 * when the maximum is out of range. */
static void *scan_part_run(void *arg)
{
    scan_part *s = arg;
    s->bad = SIZE_MAX;
    for (size_t b = 0; b < s->n; b += 4096) {
        size_t e = s->n - b < 4096 ? s->n : b + 4096;
        uint32_t mx = 0;
        for (size_t i = b; i < e; i++)
            mx = s->d[i] > mx ? s->d[i] : mx;
        if (mx >= s->p)
            for (size_t i = b; i < e; i++)
                if (s->d[i] >= s->p) {
                    s->bad = i;
                    return NULL;
                }
    }
    return NULL;
}

/*
 * The index of the first value >= p, or SIZE_MAX. A trace of 2^22 x 64 is 1 GiB: one core scans
 * it in about 0.1-0.2 s, more than the GPU needs for the whole commit, so large traces are
 * scanned by up to 8 threads.
 */
static size_t first_not_canonical(const uint32_t *d, size_t n, uint32_t p)
{
    enum { MAX_SCAN_THREADS = 8 };
    scan_part part[MAX_SCAN_THREADS];
    pthread_t th[MAX_SCAN_THREADS];
    int started[MAX_SCAN_THREADS] = {0};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t k = n < ((size_t)1 << 22) || cpus < 2 ? 1 : (size_t)(cpus < MAX_SCAN_THREADS ? cpus : MAX_SCAN_THREADS);
    size_t step = (n + k - 1) / k;
    for (size_t t = 0; t < k; t++) {
        size_t lo = t * step < n ? t * step : n, hi = lo + step < n ? lo + step : n;
        part[t] = (scan_part){d + lo, hi - lo, p, SIZE_MAX};
        started[t] = t > 0 && pthread_create(&th[t], NULL, scan_part_run, &part[t]) == 0;
    }
    for (size_t t = 0; t < k; t++)
        if (!started[t])
            scan_part_run(&part[t]); /* part 0, and any a thread could not be had for */
    size_t bad = SIZE_MAX;
    for (size_t t = 0; t < k; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        if (bad == SIZE_MAX && part[t].bad != SIZE_MAX)
            bad = t * step + part[t].bad;
    }
    return bad;
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
        size_t i = first_not_canonical(v->data, v->rows * v->cols, f->p);
        if (i != SIZE_MAX)
            return loom_fail(LOOM_ERR_NOT_CANONICAL, "trace %zu: value %u at row %zu, column %zu is >= p = %u (%s)", t,
                             v->data[i], i / v->cols, i % v->cols, f->p, f->name);
    }
    return LOOM_OK;
}

static loom_status find_device(loom_ctx *ctx, const char *id, size_t *slot)
{
    for (size_t i = 0; i < ctx->n_devices; i++)
        if (strcmp(ctx->devices[i].info.id, id) == 0) {
            *slot = i;
            return LOOM_OK;
        }
    char ids[256] = "";
    for (size_t i = 0; i < ctx->n_devices; i++)
        snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", i ? ", " : "", ctx->devices[i].info.id);
    return loom_fail(LOOM_ERR_NOT_FOUND, "device '%s' is not in this context; present: %s", id, ids);
}

/*
 * The devices of each stage: the route's kinds in order, and within a kind the best first by
 * score x (1 - utilisation) (loom_sched_select; ties keep the context's order); only devices that
 * have the stage's op, allow the stage, and are not resting after a failure. The first LDE device
 * is the one that takes whole commits, so a busy GPU is passed over for an idle one. With `only`,
 * that one device runs everything.
 */
static loom_status plan_stages(commit_job *j, const loom_device *only)
{
    loom_ctx *ctx = j->ctx;
    for (int st = 0; st < LOOM_STAGE_COUNT; st++) {
        size_t n = 0;
        if (only) {
            /* A stage the device has no op for (an FPGA has no LDE) goes to the first device
             * that has one. */
            loom_device *d = (loom_device *)only;
            for (size_t i = 0; i < ctx->n_devices && !has_op(d, (loom_stage)st); i++)
                d = &ctx->devices[i];
            if (!has_op(d, (loom_stage)st))
                return loom_fail(LOOM_ERR_UNSUPPORTED, "device '%s' (%s) cannot run the %s stage, and no device "
                                 "in this context can", only->info.id, only->info.backend,
                                 loom_stage_name((loom_stage)st));
            j->devs[st][n++] = d;
        } else {
            const loom_sched_settings *ss = &ctx->settings;
            size_t nr = ss->n_route[st] ? ss->n_route[st] : default_route_len[st];
            const loom_device_kind *route = ss->n_route[st] ? ss->route[st] : default_route[st];
            /* the size of the stage's work: LDE by trace rows, hashing by extended rows, the
             * first compression level by pairs */
            unsigned log_size = j->log_rows + (st == LOOM_STAGE_LDE ? 0 : j->log_blowup);
            if (st == LOOM_STAGE_COMPRESS && log_size > 0)
                log_size--;
            for (size_t r = 0; r < nr; r++) {
                size_t cand[LOOM_CTX_MAX_DEVICES], best[LOOM_CTX_MAX_DEVICES], m = 0;
                for (size_t i = 0; i < ctx->n_devices; i++) {
                    loom_device *d = &ctx->devices[i];
                    if (d->info.kind == route[r] && has_op(d, (loom_stage)st) && allows(d, (loom_stage)st))
                        cand[m++] = i;
                }
                m = loom_sched_select(ctx->sched, (loom_stage)st, log_size, cand, m, m, best); /* resting: left out */
                for (size_t i = 0; i < m; i++)
                    j->devs[st][n++] = &ctx->devices[best[i]];
            }
            if (n == 0)
                return loom_fail(LOOM_ERR_DEVICE, "no usable device can run the %s stage (route, 'stages' and the "
                                 "devices' health leave none); expected at least one, e.g. the CPU",
                                 loom_stage_name((loom_stage)st));
        }
        j->n_devs[st] = n;
    }
    return LOOM_OK;
}

static void report_init(loom_ctx *ctx, loom_commit_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->n_devices = ctx->n_devices < LOOM_REPORT_MAX_DEVICES ? ctx->n_devices : LOOM_REPORT_MAX_DEVICES;
    for (size_t i = 0; i < rep->n_devices; i++)
        memcpy(rep->devices[i].id, ctx->devices[i].info.id, sizeof rep->devices[i].id);
}

/* The split path: each stage over its devices, through host memory. */
static loom_status commit_split(commit_job *j, loom_digest *root, const loom_matrix_view *traces, size_t n_traces)
{
    loom_status s = LOOM_OK;
    uint32_t *lde[LOOM_MERKLE_MAX_MATRICES] = {0};
    loom_matrix_view views[LOOM_MERKLE_MAX_MATRICES];
    for (size_t t = 0; t < n_traces && s == LOOM_OK; t++) {
        size_t rows = traces[t].rows << j->log_blowup, cols = traces[t].cols;
        lde[t] = malloc(rows * cols * sizeof(uint32_t));
        if (!lde[t]) {
            s = loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for the %zu x %zu extension of trace %zu", rows, cols, t);
            break;
        }
        j->trace = &traces[t];
        j->lde = lde[t];
        double t0 = loom_now();
        s = run_stage(j, LOOM_STAGE_LDE, cols, loom_log2_exact(traces[t].rows), lde_chunk);
        j->rep->lde_s += loom_now() - t0;
        j->rep->lde_rows += rows;
        views[t] = (loom_matrix_view){lde[t], rows, cols};
    }
    if (s == LOOM_OK) {
        const loom_merkle_hasher hasher = {j, job_hash, job_compress};
        loom_merkle_tree *tree = NULL;
        s = loom_merkle_tree_build_with(&tree, j->perm, views, n_traces, &hasher);
        if (s == LOOM_OK)
            *root = loom_merkle_tree_root(tree);
        loom_merkle_tree_free(tree);
    }
    for (size_t t = 0; t < n_traces; t++)
        free(lde[t]);
    return s;
}

/* Extended elements (rows x columns after the blowup) of a commit: the size the model keys. */
static double extended_elements(const loom_matrix_view *traces, size_t n_traces, unsigned log_blowup)
{
    double e = 0;
    for (size_t t = 0; t < n_traces; t++)
        e += (double)(traces[t].rows << log_blowup) * (double)traces[t].cols;
    return e;
}

/* The whole commit on one device that can do it alone (ops->commit). */
static loom_status commit_whole(loom_ctx *ctx, loom_device *dev, loom_digest *root, loom_commit_report *rep,
                                const loom_field *f, const loom_poseidon2 *perm, const loom_matrix_view *traces,
                                size_t n_traces, unsigned log_blowup)
{
    size_t slot = (size_t)(dev - ctx->devices);
    double t0 = loom_now();
    loom_status s = dev->driver->ops->commit(dev, root, rep, slot, f, perm, traces, n_traces, log_blowup);
    double dt = loom_now() - t0;
    if (s == LOOM_OK && slot < rep->n_devices && rep->devices[slot].busy_s == 0)
        rep->devices[slot].busy_s = dt;
    if (s == LOOM_OK) { /* what one device alone does, for the choice of a multi-GPU group */
        size_t height = 0;
        for (size_t t = 0; t < n_traces; t++)
            height = traces[t].rows > height ? traces[t].rows : height;
        loom_model_observe(loom_sched_model(ctx->sched), LOOM_MODEL_COMMIT, dev->info.id,
                           loom_log2_exact(height << log_blowup), extended_elements(traces, n_traces, log_blowup), dt);
    }
    return s;
}

/* commit_whole with the device held, for calls outside the executor (which holds it itself). */
static loom_status commit_whole_held(loom_ctx *ctx, loom_device *dev, loom_digest *root, loom_commit_report *rep,
                                     const loom_field *f, const loom_poseidon2 *perm,
                                     const loom_matrix_view *traces, size_t n_traces, unsigned log_blowup)
{
    size_t slot = (size_t)(dev - ctx->devices);
    loom_ctx_device_lock(ctx, slot);
    loom_status s = commit_whole(ctx, dev, root, rep, f, perm, traces, n_traces, log_blowup);
    loom_ctx_device_unlock(ctx, slot);
    return s;
}

/* The device that takes whole commits, if any: the first LDE device, when it can (a GPU). */
static loom_device *whole_device(const commit_job *j)
{
    if (j->n_devs[LOOM_STAGE_LDE] == 0)
        return NULL;
    loom_device *d = j->devs[LOOM_STAGE_LDE][0];
    if (!d->driver->ops->commit)
        return NULL;
    /* It must be allowed every stage, since it would run them all. */
    for (int st = 0; st < LOOM_STAGE_COUNT; st++)
        if (!allows(d, (loom_stage)st))
            return NULL;
    return d;
}

/* ---- one trace over several GPUs ---- */

/* The model's key for a group: its first device's id, and "*g" for g > 1 ("gpu0", "gpu0*2"). */
static void group_key(char *out, size_t len, loom_device *const *devs, size_t g)
{
    if (g == 1)
        snprintf(out, len, "%s", devs[0]->info.id);
    else
        snprintf(out, len, "%.24s*%u", devs[0]->info.id, (unsigned)(g & 0xff));
}

/* loom_multi_gpu_count (internal/scheduler.h). */
size_t loom_multi_gpu_count(loom_model *model, loom_device *const *cand, size_t n, double elems, unsigned log_m)
{
    double t[LOOM_MULTI_MAX + 1] = {0};
    size_t ga = 0, gb = 0, gmax = 1;
    for (size_t g = 1; g <= n; g *= 2) {
        char key[LOOM_DEVICE_ID_MAX];
        group_key(key, sizeof key, cand, g);
        double rate = loom_model_rate(model, LOOM_MODEL_COMMIT, key, log_m);
        t[g] = rate > 0 ? elems / rate : 0;
        if (t[g] > 0)
            ga = gb, gb = g;
        gmax = g;
    }
    if (gb == 0)
        return gmax;
    double w, o = 0;
    if (ga == 0) {
        w = t[gb] * (double)gb;
    } else { /* t = w / g + (g - 1) o at ga and gb */
        double a1 = 1.0 / (double)ga, b1 = (double)ga - 1, a2 = 1.0 / (double)gb, b2 = (double)gb - 1;
        double det = a1 * b2 - a2 * b1;
        w = (t[ga] * b2 - t[gb] * b1) / det;
        o = (a1 * t[gb] - a2 * t[ga]) / det;
        if (o < 0)
            o = 0;
        if (w <= 0)
            w = t[gb] * (double)gb;
    }
    size_t best = 1;
    double best_t = 0;
    for (size_t g = 1; g <= gmax; g *= 2) {
        double tg = t[g] > 0 ? t[g] : w / (double)g + (double)(g - 1) * o;
        if (g == 1 || tg < best_t)
            best = g, best_t = tg;
    }
    return best;
}

/*
 * The GPUs that share this commit, best first: the LDE devices of `whole`'s driver that can run
 * it alone and are allowed every stage, up to max_gpus and the driver's limit, when the traces
 * have one height and multi_gpu is not off; how many of them from multi_gpu_count. 0 or 1: none.
 */
static size_t multi_gpu_group(commit_job *j, const loom_device *whole, const loom_matrix_view *traces,
                              size_t n_traces, loom_device **out)
{
    loom_ctx *ctx = j->ctx;
    if (ctx->settings.multi_gpu == LOOM_MULTI_GPU_OFF || !whole->driver->ops->commit_multi)
        return 0;
    for (size_t t = 0; t < n_traces; t++)
        if (traces[t].rows != traces[0].rows)
            return 0;
    size_t n = 0, cap = ctx->settings.max_gpus ? ctx->settings.max_gpus : LOOM_MULTI_MAX;
    if (cap > LOOM_MULTI_MAX)
        cap = LOOM_MULTI_MAX;
    for (size_t i = 0; i < j->n_devs[LOOM_STAGE_LDE] && n < cap; i++) {
        loom_device *d = j->devs[LOOM_STAGE_LDE][i];
        int all = d->driver == whole->driver;
        for (int st = 0; st < LOOM_STAGE_COUNT; st++)
            all &= allows(d, (loom_stage)st);
        if (all)
            out[n++] = d;
    }
    const size_t m = traces[0].rows << j->log_blowup;
    while (n > 1 && (n & (n - 1))) /* a power of two, each with at least one row */
        n--;
    while (n > 1 && m < n)
        n /= 2;
    if (n < 2)
        return 0;
    return loom_multi_gpu_count(loom_sched_model(ctx->sched), out, n, extended_elements(traces, n_traces, j->log_blowup),
                                loom_log2_exact(m));
}

/* One commit over the group: each device builds a subtree, the host compresses the top. */
static loom_status commit_multi_held(commit_job *j, loom_device *const *grp, size_t g, loom_digest *root,
                                     const loom_matrix_view *traces, size_t n_traces)
{
    loom_ctx *ctx = j->ctx;
    size_t slots[LOOM_MULTI_MAX], order[LOOM_MULTI_MAX];
    for (size_t i = 0; i < g; i++)
        slots[i] = order[i] = (size_t)(grp[i] - ctx->devices);
    /* Held in slot order, so that two jobs taking overlapping groups cannot deadlock. */
    for (size_t a = 1; a < g; a++)
        for (size_t b = a; b > 0 && order[b] < order[b - 1]; b--) {
            size_t t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    for (size_t i = 0; i < g; i++)
        loom_ctx_device_lock(ctx, order[i]);
    loom_digest sub[LOOM_MULTI_MAX];
    double t0 = loom_now();
    loom_status s = grp[0]->driver->ops->commit_multi(grp, g, (int)ctx->settings.multi_gpu, sub, j->rep, slots, j->f,
                                                      j->perm, traces, n_traces, j->log_blowup);
    double dt = loom_now() - t0;
    for (size_t i = g; i-- > 0;)
        loom_ctx_device_unlock(ctx, order[i]);
    if (s != LOOM_OK)
        return s;
    for (size_t len = g / 2; len >= 1; len /= 2) /* the top of the tree */
        for (size_t i = 0; i < len; i++)
            sub[i] = loom_poseidon2_compress(j->perm, &sub[2 * i], &sub[2 * i + 1]);
    j->rep->permutations += g - 1; /* as a single-GPU commit counts them */
    *root = sub[0];
    j->rep->multi_gpus = (unsigned)g;
    j->rep->multi_mode = (int)ctx->settings.multi_gpu;
    char key[LOOM_DEVICE_ID_MAX];
    group_key(key, sizeof key, grp, g);
    loom_model_observe(loom_sched_model(ctx->sched), LOOM_MODEL_COMMIT, key,
                       loom_log2_exact(traces[0].rows << j->log_blowup),
                       extended_elements(traces, n_traces, j->log_blowup), dt);
    return LOOM_OK;
}

static loom_status commit_one(loom_ctx *ctx, loom_digest *root, loom_commit_report *rep,
                              const loom_commit_params *params, const loom_field *f, const loom_poseidon2 *perm,
                              const loom_matrix_view *traces, size_t n_traces)
{
    commit_job *j = calloc(1, sizeof *j);
    if (!j)
        return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for a commit job");
    j->ctx = ctx, j->f = f, j->perm = perm, j->rep = rep, j->log_blowup = params->log_blowup;
    for (size_t t = 0; t < n_traces; t++)
        if (loom_log2_exact(traces[t].rows) > j->log_rows)
            j->log_rows = loom_log2_exact(traces[t].rows);
    pthread_mutex_init(&j->lock, NULL);
    loom_status s = LOOM_OK;
    const loom_device *only = NULL;
    if (params->device) {
        size_t slot = 0;
        s = find_device(ctx, params->device, &slot);
        only = &ctx->devices[slot];
    } else if (ctx->settings.policy == LOOM_POLICY_SINGLE) {
        /* one device for everything: the best GPU by score x (1 - utilisation) for the LDE, else
         * the best device that has an LDE; when all of them rest, the first GPU, else the first
         * device */
        size_t gpus[LOOM_CTX_MAX_DEVICES], ldes[LOOM_CTX_MAX_DEVICES], ng = 0, nl = 0, best;
        for (size_t i = 0; i < ctx->n_devices; i++)
            if (has_op(&ctx->devices[i], LOOM_STAGE_LDE)) {
                ldes[nl++] = i;
                if (ctx->devices[i].info.kind == LOOM_DEVICE_GPU)
                    gpus[ng++] = i;
            }
        if (loom_sched_select(ctx->sched, LOOM_STAGE_LDE, j->log_rows, gpus, ng, 1, &best) == 1 ||
            loom_sched_select(ctx->sched, LOOM_STAGE_LDE, j->log_rows, ldes, nl, 1, &best) == 1) {
            only = &ctx->devices[best];
        } else {
            only = &ctx->devices[0];
            for (size_t i = 0; i < ctx->n_devices; i++)
                if (ctx->devices[i].info.kind == LOOM_DEVICE_GPU) {
                    only = &ctx->devices[i];
                    break;
                }
        }
    }
    if (s == LOOM_OK)
        s = plan_stages(j, only);
    if (s == LOOM_OK) {
        loom_device *whole = whole_device(j);
        loom_device *grp[LOOM_MULTI_MAX];
        size_t g = whole && !only ? multi_gpu_group(j, whole, traces, n_traces, grp) : 0;
        if (g >= 2) {
            s = commit_multi_held(j, grp, g, root, traces, n_traces);
            if (s != LOOM_OK && s != LOOM_ERR_INVALID_ARG && s != LOOM_ERR_NOT_CANONICAL) {
                /* The group could not do it (a device failed, or a budget was too small): the
                 * best GPU alone, then the stages, as below. The root is the same either way. */
                report_init(ctx, rep);
                g = 0;
            }
        }
        if (g >= 2) {
            /* done, or an error no other device would avoid */
        } else if (whole) {
            s = commit_whole_held(ctx, whole, root, rep, f, perm, traces, n_traces, params->log_blowup);
            if (s != LOOM_OK && !only && s != LOOM_ERR_INVALID_ARG && s != LOOM_ERR_NOT_CANONICAL) {
                /* The device could not do the job alone: a failing device rests; one whose memory
                 * budget is too small does not. Either way the devices do it stage by stage. */
                if (s == LOOM_ERR_DEVICE || s == LOOM_ERR_INTERNAL)
                    loom_ctx_device_failed(ctx, (size_t)(whole - ctx->devices), s);
                report_init(ctx, rep);
                s = plan_stages(j, NULL);
                if (s == LOOM_OK && whole_device(j) && whole_device(j) != whole)
                    s = commit_whole_held(ctx, whole_device(j), root, rep, f, perm, traces, n_traces,
                                          params->log_blowup);
                else if (s == LOOM_OK)
                    s = commit_split(j, root, traces, n_traces);
            }
        } else {
            s = commit_split(j, root, traces, n_traces);
        }
    }
    pthread_mutex_destroy(&j->lock);
    free(j);
    return s;
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
    report_init(ctx, rep);
    double t_start = loom_now();
    loom_status s = commit_one(ctx, root, rep, params, f, perm, traces, n_traces);
    rep->total_s = loom_now() - t_start;
    return s;
}

/* ---- many shards ---- */

typedef struct {
    loom_ctx *ctx;
    const loom_commit_params *params;
    const loom_field *f;
    const loom_poseidon2 *perm;
    const loom_matrix_view *shards;
    loom_digest *roots;
    loom_commit_report *reps; /* one per shard */
} batch_job;

static loom_status shard_chunk(void *arg, loom_device *dev, size_t dev_index, size_t start, size_t count)
{
    (void)dev_index;
    batch_job *b = arg;
    for (size_t i = start; i < start + count; i++) {
        report_init(b->ctx, &b->reps[i]);
        double t0 = loom_now();
        LOOM_TRY(commit_whole(b->ctx, dev, &b->roots[i], &b->reps[i], b->f, b->perm, &b->shards[i], 1,
                              b->params->log_blowup));
        b->reps[i].total_s = loom_now() - t0;
    }
    return LOOM_OK;
}

static void report_add(loom_commit_report *sum, const loom_commit_report *r)
{
    sum->lde_s += r->lde_s, sum->hash_s += r->hash_s, sum->compress_s += r->compress_s;
    sum->bytes_h2d += r->bytes_h2d, sum->lde_rows += r->lde_rows, sum->permutations += r->permutations;
    sum->bytes_peer += r->bytes_peer;
    if (r->multi_gpus > sum->multi_gpus)
        sum->multi_gpus = r->multi_gpus, sum->multi_mode = r->multi_mode;
    for (size_t d = 0; d < r->n_devices && d < sum->n_devices; d++) {
        sum->devices[d].lde_columns += r->devices[d].lde_columns;
        sum->devices[d].rows_hashed += r->devices[d].rows_hashed;
        sum->devices[d].compressions += r->devices[d].compressions;
        sum->devices[d].busy_s += r->devices[d].busy_s;
    }
}

/*
 * Shards in flight at once, each spread over the devices stage by stage: while the hashing
 * devices work on shard k, the LDE devices can start shard k + 1. Each device still runs one
 * chunk at a time (the executor holds it), so the shards only fill each other's idle time.
 */
#define PIPELINE_DEPTH 2

typedef struct {
    loom_ctx *ctx;
    const loom_commit_params *params;
    const loom_field *f;
    const loom_poseidon2 *perm;
    const loom_matrix_view *shards;
    loom_digest *roots;
    loom_commit_report *reps;
    size_t n_shards, next;
    pthread_mutex_t lock;
    loom_status err;
    char msg[1024];
} pipe_job;

static void *pipe_worker(void *arg)
{
    pipe_job *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->err == LOOM_OK ? p->next++ : p->n_shards;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n_shards)
            return NULL;
        report_init(p->ctx, &p->reps[i]);
        loom_status s = commit_one(p->ctx, &p->roots[i], &p->reps[i], p->params, p->f, p->perm, &p->shards[i], 1);
        if (s != LOOM_OK) {
            pthread_mutex_lock(&p->lock);
            if (p->err == LOOM_OK) {
                p->err = s;
                snprintf(p->msg, sizeof p->msg, "shard %zu: %s", i, loom_last_error());
            }
            pthread_mutex_unlock(&p->lock);
        }
    }
}

static loom_status pipeline(loom_ctx *ctx, loom_digest *roots, loom_commit_report *rep, const loom_commit_params *params,
                            const loom_field *f, const loom_poseidon2 *perm, const loom_matrix_view *shards,
                            size_t n_shards)
{
    pipe_job p = {ctx, params, f, perm, shards, roots, calloc(n_shards, sizeof(loom_commit_report)), n_shards, 0,
                  PTHREAD_MUTEX_INITIALIZER, LOOM_OK, ""};
    if (!p.reps)
        return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for %zu shard reports", n_shards);
    pthread_t th[PIPELINE_DEPTH];
    size_t started = 0;
    for (size_t t = 0; t < PIPELINE_DEPTH && t < n_shards; t++)
        if (pthread_create(&th[t], NULL, pipe_worker, &p) == 0)
            started++;
    if (started == 0)
        pipe_worker(&p); /* no thread to be had: one shard after another on this one */
    for (size_t t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    for (size_t i = 0; i < n_shards && p.err == LOOM_OK; i++)
        report_add(rep, &p.reps[i]);
    free(p.reps);
    pthread_mutex_destroy(&p.lock);
    return p.err == LOOM_OK ? LOOM_OK : loom_fail(p.err, "%s", p.msg);
}

loom_status loom_commit_batch(loom_ctx *ctx, loom_digest *roots, loom_commit_report *report,
                              const loom_commit_params *params, const loom_matrix_view *shards, size_t n_shards)
{
    if (!ctx || !roots || !params || (!shards && n_shards))
        return loom_fail(LOOM_ERR_INVALID_ARG, "loom_commit_batch: ctx, roots, params and shards are required");
    const loom_field *f = loom_field_get(params->field);
    if (!f)
        return loom_fail(LOOM_ERR_INVALID_ARG, "loom_commit_batch: unknown field id %d", (int)params->field);
    const loom_poseidon2 *perm;
    LOOM_TRY(loom_poseidon2_get(&perm, params->field, params->perm, 16));
    for (size_t i = 0; i < n_shards; i++) {
        loom_status s = check_inputs(f, params, &shards[i], 1);
        if (s != LOOM_OK)
            return loom_fail(s, "shard %zu: %s", i, loom_last_error());
    }
    loom_commit_report local;
    loom_commit_report *rep = report ? report : &local;
    report_init(ctx, rep);
    double t_start = loom_now();

    /* Devices that take whole shards: every usable whole-commit device allowed all stages, unless
     * one device or one-device policy was asked for. */
    loom_device *whole[LOOM_CTX_MAX_DEVICES];
    size_t n_whole = 0;
    if (!params->device && ctx->settings.policy == LOOM_POLICY_HYBRID && n_shards > 1)
        for (size_t i = 0; i < ctx->n_devices; i++) {
            loom_device *d = &ctx->devices[i];
            if (d->driver->ops->commit && allows(d, LOOM_STAGE_LDE) && allows(d, LOOM_STAGE_HASH) &&
                allows(d, LOOM_STAGE_COMPRESS) && loom_ctx_device_usable(ctx, i))
                whole[n_whole++] = d;
        }
    loom_status s = LOOM_OK;
    if (n_whole > 1) {
        loom_commit_report *reps = calloc(n_shards, sizeof *reps);
        if (!reps)
            return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for %zu shard reports", n_shards);
        batch_job b = {ctx, params, f, perm, shards, roots, reps};
        s = loom_ctx_run_units(ctx, whole, n_whole, n_shards, 1, shard_chunk, &b);
        for (size_t i = 0; i < n_shards && s == LOOM_OK; i++)
            report_add(rep, &reps[i]);
        free(reps);
    } else if (!params->device && ctx->settings.policy == LOOM_POLICY_HYBRID && n_shards > 1 &&
               ctx->n_devices > 1) {
        s = pipeline(ctx, roots, rep, params, f, perm, shards, n_shards);
    } else {
        for (size_t i = 0; i < n_shards && s == LOOM_OK; i++) {
            loom_commit_report r;
            report_init(ctx, &r);
            s = commit_one(ctx, &roots[i], &r, params, f, perm, &shards[i], 1);
            report_add(rep, &r);
        }
    }
    rep->total_s = loom_now() - t_start;
    return s;
}
