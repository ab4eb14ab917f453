/* SPDX-License-Identifier: Apache-2.0 */
/* The scheduler's parts: see internal/scheduler.h and docs/scheduler.md. */
#include "internal/scheduler.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal/timer.h"

/* ---- static prior ---- */

static double min100(double v) { return v < 100.0 ? v : 100.0; }

double loom_prior_score(const loom_device_info *d)
{
    double kind;
    int virtual_dev = strcmp(d->backend, "fpga_sim") == 0 || (d->kind == LOOM_DEVICE_OPENCL && d->opt_in);
    switch (d->kind) {
    case LOOM_DEVICE_GPU: kind = 100; break;
    case LOOM_DEVICE_FPGA: kind = 80; break;
    case LOOM_DEVICE_OPENCL: kind = 50; break; /* an integrated or unknown OpenCL accelerator */
    case LOOM_DEVICE_CPU:
    default: kind = 10; break;
    }
    if (virtual_dev)
        kind = 30;
    static const struct {
        const char *name;
        double score;
    } backends[] = {{"cuda", 100}, {"xrt", 80}, {"opencl", 60}, {"cpu", 40}, {"fpga_sim", 10}};
    double backend = 0;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(d->backend, backends[i].name) == 0)
            backend = backends[i].score;
    double memory = min100(10.0 * (double)d->memory_bytes / (double)(1ull << 30));
    double units = min100(d->compute_units / 20.0);
    return 0.4 * kind + 0.2 * backend + 0.2 * memory + 0.2 * units;
}

/* ---- partitions ---- */

void loom_partition_equal(loom_range *out, size_t n, size_t total, size_t align)
{
    if (align == 0)
        align = 1;
    size_t blocks = (total + align - 1) / align, start = 0;
    for (size_t i = 0; i < n; i++) {
        size_t b = blocks / n + (i < blocks % n);
        size_t count = b * align;
        if (start + count > total)
            count = total - start;
        out[i] = (loom_range){start, count};
        start += count;
    }
}

loom_status loom_partition_proportional(loom_range *out, const double *w, size_t n, size_t total, size_t align)
{
    if (align == 0)
        align = 1;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(w[i] >= 0) || isinf(w[i]))
            return loom_fail(LOOM_ERR_INVALID_ARG, "weight %zu is %g; expected a finite number >= 0", i, w[i]);
        sum += w[i];
    }
    if (n == 0 || sum <= 0)
        return loom_fail(LOOM_ERR_INVALID_ARG, "proportional split over %zu devices with weights summing to %g; "
                         "expected at least one weight above 0", n, sum);
    /* Largest remainder over whole blocks: each share is floor or ceil of its ideal block count. */
    size_t blocks = (total + align - 1) / align, given = 0;
    size_t *b = calloc(n ? n : 1, sizeof *b);
    double *rem = calloc(n ? n : 1, sizeof *rem);
    if (!b || !rem) {
        free(b);
        free(rem);
        return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for a partition");
    }
    for (size_t i = 0; i < n; i++) {
        double ideal = (double)blocks * w[i] / sum;
        b[i] = (size_t)floor(ideal);
        rem[i] = w[i] > 0 ? ideal - (double)b[i] : -1.0;
        given += b[i];
    }
    while (given < blocks) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (rem[i] > rem[best])
                best = i;
        b[best]++;
        rem[best] = -1.0;
        given++;
    }
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        size_t count = b[i] * align;
        if (start + count > total)
            count = total - start;
        out[i] = (loom_range){start, count};
        start += count;
    }
    free(b);
    free(rem);
    return LOOM_OK;
}

/* ---- the balancer ---- */

int loom_balance_step(loom_balancer *b, const double *finish, size_t n, size_t *from, size_t *to)
{
    if (n < 2)
        return 0;
    size_t hi = 0, lo = 0;
    for (size_t i = 1; i < n; i++) {
        if (finish[i] > finish[hi])
            hi = i;
        if (finish[i] < finish[lo])
            lo = i;
    }
    if (finish[hi] <= 0)
        return b->moving = 0;
    double gap = (finish[hi] - finish[lo]) / finish[hi];
    if (b->moving ? gap < b->threshold - b->hysteresis : gap <= b->threshold)
        return b->moving = 0;
    b->moving = 1;
    *from = hi;
    *to = lo;
    return 1;
}

/* ---- fault injection ---- */

loom_status loom_inject_parse(loom_inject *out, size_t *n, const char *text)
{
    *n = 0;
    const char *expected = "entries <device-id>:<n>, <device-id>:<n>+ or <device-id>:<n>:slow separated by commas, "
                           "n >= 1";
    const char *p = text;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char entry[96];
        if (len == 0 || len >= sizeof entry)
            return loom_fail(LOOM_ERR_INVALID_ARG, "LOOM_INJECT_FAULT: entry '%.*s' is malformed; expected %s",
                             (int)(len < 60 ? len : 60), p, expected);
        memcpy(entry, p, len);
        entry[len] = '\0';
        if (*n == LOOM_INJECT_MAX)
            return loom_fail(LOOM_ERR_INVALID_ARG, "LOOM_INJECT_FAULT: more than %d entries", LOOM_INJECT_MAX);
        loom_inject *e = &out[*n];
        char *colon = strchr(entry, ':');
        if (!colon || colon == entry || (size_t)(colon - entry) >= sizeof e->dev)
            return loom_fail(LOOM_ERR_INVALID_ARG, "LOOM_INJECT_FAULT: entry '%s' is malformed; expected %s", entry,
                             expected);
        memcpy(e->dev, entry, (size_t)(colon - entry));
        e->dev[colon - entry] = '\0';
        char *num = colon + 1, *rest = NULL;
        errno = 0;
        unsigned long long v = (*num >= '0' && *num <= '9') ? strtoull(num, &rest, 10) : 0;
        if (v == 0 || errno)
            return loom_fail(LOOM_ERR_INVALID_ARG, "LOOM_INJECT_FAULT: entry '%s' has no chunk number >= 1; expected %s",
                             entry, expected);
        e->n = v;
        if (*rest == '\0')
            e->mode = LOOM_INJECT_ONCE;
        else if (strcmp(rest, "+") == 0)
            e->mode = LOOM_INJECT_FROM;
        else if (strcmp(rest, ":slow") == 0)
            e->mode = LOOM_INJECT_SLOW;
        else
            return loom_fail(LOOM_ERR_INVALID_ARG, "LOOM_INJECT_FAULT: entry '%s' ends in '%s'; expected %s", entry,
                             rest, expected);
        (*n)++;
        p = end ? end + 1 : NULL;
    }
    return LOOM_OK;
}

/* ---- per-context state ---- */

#define LOAD_WINDOW_S 10.0
#define LOAD_SPANS 64

typedef struct {
    /* health */
    unsigned failures;
    double rest_until;
    /* load */
    unsigned long long tasks;
    unsigned active;
    double busy_s;
    double span_start[LOAD_SPANS], span_end[LOAD_SPANS];
    size_t span_next;
    double running_since[8]; /* starts of running tasks (a device runs one at a time per run) */
    double job_t0;           /* start of the whole job holding the device (loom_sched_job_begin) */
    double pick;             /* loom_sched_select's scratch, under s->lock */
    /* injection */
    unsigned long long chunks_started;
    /* held while the device runs a chunk: jobs in flight at once (shards) share devices */
    pthread_mutex_t run_lock;
} dev_state;

struct loom_sched {
    pthread_mutex_t lock;
    loom_device *devs;
    size_t n;
    dev_state *st;
    loom_model *model;
    loom_inject inject[LOOM_INJECT_MAX];
    size_t n_inject;
};

loom_status loom_sched_create(loom_sched **out, loom_device *devs, size_t n, loom_model *model)
{
    *out = NULL;
    loom_sched *s = calloc(1, sizeof *s);
    if (!s || !(s->st = calloc(n ? n : 1, sizeof *s->st))) {
        free(s);
        loom_model_free(model);
        return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for the scheduler");
    }
    s->devs = devs;
    s->n = n;
    pthread_mutex_init(&s->lock, NULL);
    for (size_t i = 0; i < n; i++)
        pthread_mutex_init(&s->st[i].run_lock, NULL);
    s->model = model;
    loom_status st = LOOM_OK;
    if (!s->model)
        st = loom_model_create(&s->model);
    const char *env = getenv("LOOM_INJECT_FAULT");
    if (st == LOOM_OK && env && env[0])
        st = loom_inject_parse(s->inject, &s->n_inject, env);
    for (size_t i = 0; st == LOOM_OK && i < s->n_inject; i++) {
        size_t d = 0;
        while (d < n && strcmp(devs[d].info.id, s->inject[i].dev) != 0)
            d++;
        if (d == n) {
            char ids[256] = "";
            for (size_t k = 0; k < n; k++)
                snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", k ? ", " : "", devs[k].info.id);
            st = loom_fail(LOOM_ERR_INVALID_ARG, "LOOM_INJECT_FAULT names device '%s', which is not in this "
                           "context; present: %s", s->inject[i].dev, ids);
        }
    }
    if (st != LOOM_OK) {
        loom_sched_free(s);
        return st;
    }
    *out = s;
    return LOOM_OK;
}

void loom_sched_free(loom_sched *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    for (size_t i = 0; i < s->n; i++)
        pthread_mutex_destroy(&s->st[i].run_lock);
    loom_model_free(s->model);
    free(s->st);
    free(s);
}

loom_model *loom_sched_model(loom_sched *s) { return s->model; }

void loom_sched_device_lock(loom_sched *s, size_t slot) { pthread_mutex_lock(&s->st[slot].run_lock); }
void loom_sched_device_unlock(loom_sched *s, size_t slot) { pthread_mutex_unlock(&s->st[slot].run_lock); }

int loom_sched_usable(loom_sched *s, size_t slot)
{
    pthread_mutex_lock(&s->lock);
    int ok = slot < s->n && loom_now() >= s->st[slot].rest_until;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

static void failed_locked(loom_sched *s, size_t slot, double backoff_s)
{
    dev_state *d = &s->st[slot];
    d->failures++;
    unsigned shift = d->failures - 1 < 6 ? d->failures - 1 : 6;
    d->rest_until = loom_now() + backoff_s * (double)(1u << shift);
}

void loom_sched_failed(loom_sched *s, size_t slot, double backoff_s)
{
    pthread_mutex_lock(&s->lock);
    if (slot < s->n)
        failed_locked(s, slot, backoff_s);
    pthread_mutex_unlock(&s->lock);
}

/* The scheduler's state is shared by every executor run in flight (shards): read and write it
 * under s->lock. Lock order: a run's own lock, then s->lock, never the other way. */
static double rest_until(loom_sched *s, size_t slot)
{
    pthread_mutex_lock(&s->lock);
    double r = s->st[slot].rest_until;
    pthread_mutex_unlock(&s->lock);
    return r;
}

static void clear_failures(loom_sched *s, size_t slot)
{
    pthread_mutex_lock(&s->lock);
    s->st[slot].failures = 0;
    pthread_mutex_unlock(&s->lock);
}

unsigned loom_sched_failures(loom_sched *s, size_t slot)
{
    pthread_mutex_lock(&s->lock);
    unsigned f = slot < s->n ? s->st[slot].failures : 0;
    pthread_mutex_unlock(&s->lock);
    return f;
}

static double utilisation_locked(const dev_state *d, double now)
{
    double from = now - LOAD_WINDOW_S, busy = 0;
    for (size_t i = 0; i < LOAD_SPANS; i++) {
        double a = d->span_start[i], b = d->span_end[i];
        if (b <= a || b <= from)
            continue;
        busy += b - (a > from ? a : from);
    }
    for (unsigned i = 0; i < d->active && i < 8; i++)
        busy += now - (d->running_since[i] > from ? d->running_since[i] : from);
    double u = busy / LOAD_WINDOW_S;
    return u > 1.0 ? 1.0 : u;
}

void loom_sched_load(loom_sched *s, size_t slot, loom_load *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->lock);
    if (slot < s->n) {
        const dev_state *d = &s->st[slot];
        out->tasks = d->tasks;
        out->active = d->active;
        out->busy_s = d->busy_s;
        out->avg_s = d->tasks ? d->busy_s / (double)d->tasks : 0.0;
        out->utilisation = utilisation_locked(d, loom_now());
    }
    pthread_mutex_unlock(&s->lock);
}

void loom_sched_task_begin(loom_sched *s, size_t slot, double t0)
{
    pthread_mutex_lock(&s->lock);
    dev_state *d = &s->st[slot];
    if (d->active < 8)
        d->running_since[d->active] = t0;
    d->active++;
    pthread_mutex_unlock(&s->lock);
}

void loom_sched_task_end(loom_sched *s, size_t slot, double t0, double t1)
{
    pthread_mutex_lock(&s->lock);
    dev_state *d = &s->st[slot];
    for (unsigned i = 0; i < d->active && i < 8; i++)
        if (d->running_since[i] == t0) {
            d->running_since[i] = d->running_since[(d->active < 8 ? d->active : 8) - 1];
            break;
        }
    d->active--;
    d->tasks++;
    d->busy_s += t1 - t0;
    d->span_start[d->span_next] = t0;
    d->span_end[d->span_next] = t1;
    d->span_next = (d->span_next + 1) % LOAD_SPANS;
    pthread_mutex_unlock(&s->lock);
}

void loom_sched_job_begin(loom_sched *s, size_t slot)
{
    loom_sched_device_lock(s, slot);
    s->st[slot].job_t0 = loom_now(); /* the holder of the device lock owns job_t0 */
    loom_sched_task_begin(s, slot, s->st[slot].job_t0);
}

void loom_sched_job_end(loom_sched *s, size_t slot)
{
    loom_sched_task_end(s, slot, s->st[slot].job_t0, loom_now());
    loom_sched_device_unlock(s, slot);
}

/* The fastest measured rate of the stage when the model has one for every device, else 0. */
static double best_rate(loom_sched *s, loom_stage st, unsigned log_size)
{
    double best = 0;
    for (size_t i = 0; i < s->n; i++) {
        double r = loom_model_rate(s->model, st, s->devs[i].info.id, log_size);
        if (r <= 0)
            return 0;
        if (r > best)
            best = r;
    }
    return best;
}

/* The score, given best_rate(). */
static double score_of(loom_sched *s, size_t slot, loom_stage st, unsigned log_size, double best)
{
    double weight = s->devs[slot].spec.weight > 0 ? s->devs[slot].spec.weight : 1.0;
    if (best > 0)
        return weight * 100.0 * loom_model_rate(s->model, st, s->devs[slot].info.id, log_size) / best;
    return weight * loom_prior_score(&s->devs[slot].info);
}

double loom_sched_score(loom_sched *s, size_t slot, loom_stage st, unsigned log_size)
{
    return score_of(s, slot, st, log_size, best_rate(s, st, log_size));
}

/* score x (1 - utilisation) at `now`, or -1 for a resting device; with s->lock held. */
static double pick_locked(loom_sched *s, size_t slot, double score, double now)
{
    const dev_state *d = &s->st[slot];
    if (now < d->rest_until)
        return -1;
    double u = utilisation_locked(d, now);
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    return score * (1.0 - u);
}

double loom_sched_pick_value(loom_sched *s, size_t slot, loom_stage st, unsigned log_size)
{
    if (slot >= s->n)
        return 0;
    double score = loom_sched_score(s, slot, st, log_size);
    pthread_mutex_lock(&s->lock);
    double v = pick_locked(s, slot, score, loom_now());
    pthread_mutex_unlock(&s->lock);
    return v > 0 ? v : 0;
}

size_t loom_sched_select(loom_sched *s, loom_stage st, unsigned log_size, const size_t *cand, size_t n, size_t k,
                         size_t *out)
{
    if (k > n)
        k = n;
    if (k == 0)
        return 0;
    /* Lock order: s->lock, then the model's (the model never takes s->lock). */
    pthread_mutex_lock(&s->lock);
    double now = loom_now(), best = best_rate(s, st, log_size);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t slot = cand[i];
        if (slot >= s->n)
            continue;
        double v = pick_locked(s, slot, score_of(s, slot, st, log_size, best), now);
        if (v < 0)
            continue;
        s->st[slot].pick = v;
        /* insert after every kept candidate at least as good (stable), if it makes the best k */
        size_t p = m;
        while (p > 0 && s->st[out[p - 1]].pick < v)
            p--;
        if (p == k)
            continue;
        if (m < k)
            m++;
        for (size_t q = m - 1; q > p; q--)
            out[q] = out[q - 1];
        out[p] = slot;
    }
    pthread_mutex_unlock(&s->lock);
    return m;
}

/* ---- the executor ---- */

typedef struct {
    loom_range r;
    unsigned attempts;
    int done;
    int running;                    /* attempts in flight */
    double started;                 /* of the newest attempt */
    int dup;                        /* a second attempt was queued after the deadline */
    int in_retry;                   /* in the retry list */
    size_t dev;                     /* the device of the newest attempt */
    unsigned long long tried;       /* bit i: devs[i] ran it and failed or was late */
    unsigned long long ever;        /* the same, never cleared (for the message) */
} chunk_state;

typedef struct {
    loom_sched *s;
    loom_device *const *devs;
    const size_t *slots;
    size_t n, n_primary;
    const loom_exec_plan *plan;
    loom_chunk_fn fn;
    void *arg;
    loom_exec_device *out;

    pthread_mutex_t lock;
    pthread_cond_t cond;
    chunk_state *chunks;
    size_t n_chunks, n_done;
    /* queues of chunk indices: one per device (equal / proportional) or one shared (dynamic) */
    size_t **q;
    size_t *q_len, *q_head, q_cap;
    size_t *retry;  /* chunks to re-run, taken first by any device that has not failed them */
    size_t n_retry;
    loom_balancer bal;
    double *rate;   /* expected units / s per device, for the balancer */
    int stop;
    loom_status err;
    char err_msg[512];
} exec_run;

static int shared_queue(const exec_run *x) { return x->plan->strategy == LOOM_PARTITION_DYNAMIC; }

static void push_retry_locked(exec_run *x, size_t c)
{
    if (!x->chunks[c].in_retry && !x->chunks[c].done) {
        x->chunks[c].in_retry = 1;
        x->retry[x->n_retry++] = c;
    }
}

static size_t queued_units(const exec_run *x, size_t i)
{
    size_t u = 0;
    for (size_t k = x->q_head[i]; k < x->q_len[i]; k++)
        u += x->chunks[x->q[i][k]].r.count;
    return u;
}

/* Moves queued chunks from the device that would finish last to the one that finishes first. */
static void rebalance_locked(exec_run *x)
{
    if (shared_queue(x) || x->n < 2)
        return;
    for (int moves = 0; moves < 4; moves++) {
        double finish[64];
        size_t n = x->n < 64 ? x->n : 64;
        for (size_t i = 0; i < n; i++) {
            int usable = i < x->n_primary && loom_now() >= rest_until(x->s, x->slots[i]);
            finish[i] = usable ? (double)queued_units(x, i) / x->rate[i] : 1e300;
        }
        size_t from, to;
        if (!loom_balance_step(&x->bal, finish, n, &from, &to) || x->q_head[from] == x->q_len[from])
            return;
        if (finish[to] >= 1e300)
            return;
        /* the last queued chunk of `from` goes to the end of `to`'s queue */
        size_t c = x->q[from][--x->q_len[from]];
        x->q[to][x->q_len[to]++] = c;
    }
}

/* Picks the next chunk for device i, or returns 0. */
/* Whether a primary device may work now (fallbacks only step in when none may). */
static int primary_usable_locked(const exec_run *x)
{
    double now = loom_now();
    for (size_t p = 0; p < x->n_primary; p++)
        if (now >= rest_until(x->s, x->slots[p]))
            return 1;
    return 0;
}

static int next_chunk_locked(exec_run *x, size_t i, size_t *c)
{
    for (size_t k = 0; k < x->n_retry; k++) {
        size_t ci = x->retry[k];
        if (x->chunks[ci].done) {
            x->chunks[ci].in_retry = 0;
            x->retry[k--] = x->retry[--x->n_retry];
            continue;
        }
        if (!(x->chunks[ci].tried & (1ull << (i & 63)))) {
            *c = ci;
            x->chunks[ci].in_retry = 0;
            x->retry[k] = x->retry[--x->n_retry];
            return 1;
        }
    }
    if (i >= x->n_primary && primary_usable_locked(x))
        return 0; /* a fallback: only re-runs, unless every primary device is resting */
    size_t qi = shared_queue(x) ? 0 : i;
    if (!shared_queue(x) && x->q_head[qi] == x->q_len[qi])
        rebalance_locked(x);
    while (x->q_head[qi] < x->q_len[qi]) {
        size_t ci = x->q[qi][x->q_head[qi]++];
        if (!x->chunks[ci].done) {
            *c = ci;
            return 1;
        }
    }
    return 0;
}

/* Chunks still queued for a device that is resting go where others can take them. */
static void spill_queue_locked(exec_run *x, size_t i)
{
    if (shared_queue(x))
        return;
    while (x->q_head[i] < x->q_len[i])
        push_retry_locked(x, x->q[i][--x->q_len[i]]);
}

static void fail_run_locked(exec_run *x, size_t c, loom_status st, const char *why)
{
    if (x->stop)
        return;
    x->stop = 1;
    x->err = st;
    char tried[256] = "";
    for (size_t i = 0; i < x->n && i < 64; i++)
        if (x->chunks[c].ever & (1ull << i))
            snprintf(tried + strlen(tried), sizeof tried - strlen(tried), "%s%s", tried[0] ? ", " : "",
                     x->devs[i]->info.id);
    snprintf(x->err_msg, sizeof x->err_msg, "chunk %zu (units %zu..%zu) failed on %s after %u attempts: %s", c,
             x->chunks[c].r.start, x->chunks[c].r.start + x->chunks[c].r.count, tried[0] ? tried : "no device",
             x->chunks[c].attempts, why);
    pthread_cond_broadcast(&x->cond);
}

/* Whether some device that has not failed chunk c may still take it. */
static int someone_left_locked(const exec_run *x, size_t c)
{
    for (size_t i = 0; i < x->n; i++)
        if (!(x->chunks[c].tried & (1ull << (i & 63))))
            return 1;
    return 0;
}

typedef struct {
    exec_run *x;
    size_t i;
} worker_arg;

static int inject_locked(exec_run *x, size_t i, int *slow)
{
    loom_sched *s = x->s;
    pthread_mutex_lock(&s->lock);
    unsigned long long k = ++s->st[x->slots[i]].chunks_started;
    pthread_mutex_unlock(&s->lock);
    *slow = 0;
    for (size_t e = 0; e < s->n_inject; e++) {
        const loom_inject *in = &s->inject[e];
        if (strcmp(in->dev, x->devs[i]->info.id) != 0)
            continue;
        if ((in->mode == LOOM_INJECT_ONCE && k == in->n) || (in->mode == LOOM_INJECT_FROM && k >= in->n))
            return 1;
        if (in->mode == LOOM_INJECT_SLOW && k == in->n)
            *slow = 1;
    }
    return 0;
}

static void *worker(void *p)
{
    worker_arg *wa = p;
    exec_run *x = wa->x;
    size_t i = wa->i, slot = x->slots[i];
    const loom_exec_plan *plan = x->plan;
    pthread_mutex_lock(&x->lock);
    for (;;) {
        if (x->stop || x->n_done == x->n_chunks)
            break;
        double now = loom_now();
        double rest = rest_until(x->s, slot);
        if (now < rest) {
            spill_queue_locked(x, i);
            pthread_cond_broadcast(&x->cond);
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            double wake = (rest - now) < 0.05 ? rest - now : 0.05;
            ts.tv_nsec += (long)(wake * 1e9);
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&x->cond, &x->lock, &ts);
            continue;
        }
        size_t c;
        if (!next_chunk_locked(x, i, &c)) {
            /* nothing for this device now; chunks may come back (a failure elsewhere) */
            pthread_cond_wait(&x->cond, &x->lock);
            continue;
        }
        chunk_state *ch = &x->chunks[c];
        ch->attempts++;
        ch->running++;
        ch->started = loom_now();
        ch->dev = i;
        int slow = 0;
        int injected = inject_locked(x, i, &slow);
        pthread_mutex_unlock(&x->lock);

        loom_sched_device_lock(x->s, slot);
        double t0 = loom_now();
        pthread_mutex_lock(&x->lock);
        ch->started = t0; /* the deadline counts from when the device is ours, not from the wait */
        pthread_mutex_unlock(&x->lock);
        loom_sched_task_begin(x->s, slot, t0);
        loom_status st;
        char why[256] = "";
        if (injected) {
            st = loom_fail(LOOM_ERR_DEVICE, "%s: injected fault (LOOM_INJECT_FAULT)", x->devs[i]->info.id);
        } else {
            if (slow) {
                double until = loom_now() + (plan->deadline_s > 0 ? 2.0 * plan->deadline_s : 0.2);
                while (loom_now() < until) {
                    struct timespec ts = {0, 5000000};
                    nanosleep(&ts, NULL);
                }
            }
            st = x->fn(x->arg, x->devs[i], i, ch->r.start, ch->r.count);
        }
        if (st != LOOM_OK)
            snprintf(why, sizeof why, "%s", loom_last_error());
        double t1 = loom_now();
        loom_sched_task_end(x->s, slot, t0, t1);
        loom_sched_device_unlock(x->s, slot);

        pthread_mutex_lock(&x->lock);
        ch->running--;
        if (x->out) {
            x->out[i].busy_s += t1 - t0;
            if (st != LOOM_OK)
                x->out[i].failures++;
        }
        if (st == LOOM_OK) {
            /* success clears the device's record, unless this was an attempt that ran late */
            if (!(ch->tried & (1ull << (i & 63))))
                clear_failures(x->s, slot);
            if (!ch->done) {
                ch->done = 1;
                x->n_done++;
                if (x->out) {
                    x->out[i].chunks++;
                    x->out[i].units += ch->r.count;
                }
                if (plan->stage >= 0 && x->s->model)
                    loom_model_observe(x->s->model, (loom_stage)plan->stage, x->devs[i]->info.id, plan->log_size,
                                       (double)ch->r.count, t1 - t0);
            }
        } else if (!ch->done) {
            ch->tried |= 1ull << (i & 63);
            ch->ever |= 1ull << (i & 63);
            loom_sched_failed(x->s, slot, plan->backoff_s);
            spill_queue_locked(x, i);
            if (ch->attempts > plan->retries) {
                fail_run_locked(x, c, st, why);
            } else {
                /* Every device has failed it: the fault may have been passing, so the devices
                 * try again after their back-off, until the retries run out. */
                if (!someone_left_locked(x, c))
                    ch->tried = 0;
                if (!ch->dup || ch->running == 0)
                    push_retry_locked(x, c);
            }
        }
        pthread_cond_broadcast(&x->cond);
    }
    pthread_mutex_unlock(&x->lock);
    return NULL;
}

/* Watches deadlines: a chunk running past it is queued again for another device, whose own
 * device is rested. Runs on the calling thread while the workers work. */
static void watch(exec_run *x)
{
    pthread_mutex_lock(&x->lock);
    while (!x->stop && x->n_done < x->n_chunks) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&x->cond, &x->lock, &ts);
        if (x->plan->deadline_s <= 0)
            continue;
        double now = loom_now();
        for (size_t c = 0; c < x->n_chunks; c++) {
            chunk_state *ch = &x->chunks[c];
            if (ch->done || ch->dup || ch->running == 0 || now - ch->started <= x->plan->deadline_s)
                continue;
            /* the device running it is late: rest it, and let another device run the chunk too */
            ch->dup = 1;
            ch->tried |= 1ull << (ch->dev & 63);
            ch->ever |= 1ull << (ch->dev & 63);
            loom_sched_failed(x->s, x->slots[ch->dev], x->plan->backoff_s);
            spill_queue_locked(x, ch->dev);
            if (someone_left_locked(x, c))
                push_retry_locked(x, c);
            pthread_cond_broadcast(&x->cond);
        }
    }
    pthread_mutex_unlock(&x->lock);
}

loom_status loom_exec_run(loom_sched *s, loom_device *const *devs, const size_t *slots, size_t n,
                          const loom_exec_plan *plan, loom_chunk_fn fn, void *arg, loom_exec_device *out)
{
    if (out)
        memset(out, 0, n * sizeof *out);
    if (plan->total == 0)
        return LOOM_OK;
    if (n == 0)
        return loom_fail(LOOM_ERR_DEVICE, "no device to run %zu units on", plan->total);
    if (n > 64)
        n = 64;
    size_t align = plan->align ? plan->align : 1;
    size_t chunk = plan->chunk;
    if (chunk == 0)
        chunk = (plan->total + 4 * n - 1) / (4 * n);
    chunk = (chunk + align - 1) / align * align;
    if (chunk == 0)
        chunk = align;

    exec_run x;
    memset(&x, 0, sizeof x);
    x.s = s, x.devs = devs, x.slots = slots, x.n = n, x.plan = plan, x.fn = fn, x.arg = arg, x.out = out;
    x.n_primary = plan->n_primary && plan->n_primary < n ? plan->n_primary : n;
    x.bal = (loom_balancer){plan->threshold, plan->hysteresis, 0};
    x.n_chunks = 0;
    loom_status st = LOOM_OK;

    /* The device parts (equal / proportional), then each part cut into chunks. */
    loom_range *parts = calloc(n, sizeof *parts);
    x.rate = calloc(n, sizeof *x.rate);
    if (!parts || !x.rate) {
        st = loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for the executor");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        double r = plan->stage >= 0 ? loom_model_rate(s->model, (loom_stage)plan->stage, devs[i]->info.id,
                                                      plan->log_size)
                                    : 0;
        double w = devs[i]->spec.weight > 0 ? devs[i]->spec.weight : 1.0;
        x.rate[i] = (r > 0 ? r : loom_prior_score(&devs[i]->info)) * w;
    }
    /* only the primary devices get shares; fallbacks start with empty queues */
    if (plan->strategy == LOOM_PARTITION_PROPORTIONAL)
        st = loom_partition_proportional(parts, x.rate, x.n_primary, plan->total, align);
    else if (plan->strategy == LOOM_PARTITION_EQUAL)
        loom_partition_equal(parts, x.n_primary, plan->total, align);
    else
        parts[0] = (loom_range){0, plan->total};
    if (st != LOOM_OK)
        goto out;
    size_t max_chunks = (plan->total + chunk - 1) / chunk + n;
    x.chunks = calloc(max_chunks, sizeof *x.chunks);
    x.q = calloc(n, sizeof *x.q);
    x.q_len = calloc(n, sizeof *x.q_len);
    x.q_head = calloc(n, sizeof *x.q_head);
    x.retry = calloc(max_chunks, sizeof *x.retry);
    if (!x.chunks || !x.q || !x.q_len || !x.q_head || !x.retry) {
        st = loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for the executor");
        goto out;
    }
    size_t n_queues = shared_queue(&x) ? 1 : x.n_primary;
    for (size_t qi = 0; qi < n_queues; qi++) {
        if (!(x.q[qi] = calloc(max_chunks, sizeof **x.q))) {
            st = loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for the executor");
            goto out;
        }
        for (size_t u = parts[qi].start; u < parts[qi].start + parts[qi].count; u += chunk) {
            size_t cnt = parts[qi].start + parts[qi].count - u < chunk ? parts[qi].start + parts[qi].count - u : chunk;
            x.chunks[x.n_chunks].r = (loom_range){u, cnt};
            x.q[qi][x.q_len[qi]++] = x.n_chunks++;
        }
    }
    if (!shared_queue(&x)) /* the balancer may move any chunk to any queue */
        for (size_t qi = 0; qi < n; qi++) {
            size_t *grown = realloc(x.q[qi], (x.n_chunks + 1) * sizeof **x.q);
            if (!grown) {
                st = loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for the executor");
                goto out;
            }
            x.q[qi] = grown;
        }

    pthread_mutex_init(&x.lock, NULL);
    pthread_cond_init(&x.cond, NULL);
    pthread_t th[64];
    worker_arg wa[64];
    size_t started = 0;
    for (size_t i = 0; i < n; i++) {
        wa[i] = (worker_arg){&x, i};
        if (pthread_create(&th[i], NULL, worker, &wa[i]) != 0) {
            pthread_mutex_lock(&x.lock);
            if (!x.stop) {
                x.stop = 1;
                x.err = LOOM_ERR_INTERNAL;
                snprintf(x.err_msg, sizeof x.err_msg, "cannot start a worker thread for %s", devs[i]->info.id);
            }
            pthread_cond_broadcast(&x.cond);
            pthread_mutex_unlock(&x.lock);
            break;
        }
        started++;
    }
    watch(&x);
    pthread_mutex_lock(&x.lock);
    x.stop = x.stop || x.n_done == x.n_chunks;
    pthread_cond_broadcast(&x.cond);
    pthread_mutex_unlock(&x.lock);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_cond_destroy(&x.cond);
    pthread_mutex_destroy(&x.lock);
    if (x.err != LOOM_OK)
        st = loom_fail(x.err, "%s", x.err_msg);
    else if (x.n_done != x.n_chunks)
        st = loom_fail(LOOM_ERR_INTERNAL, "the executor stopped with %zu of %zu chunks done", x.n_done, x.n_chunks);
out:
    if (x.q)
        for (size_t qi = 0; qi < n; qi++)
            free(x.q[qi]);
    free(x.q);
    free(x.q_len);
    free(x.q_head);
    free(x.retry);
    free(x.chunks);
    free(x.rate);
    free(parts);
    return st;
}
