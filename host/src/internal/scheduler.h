/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scheduler's parts (docs/scheduler.md): static device scores, load statistics, the measured
 * performance model, partitioners, the load balancer, device health with back-off, fault
 * injection, and the parallel executor that runs a stage's chunks over several devices and
 * re-runs a failed or late chunk elsewhere. Each part is usable (and tested) on its own; the
 * context holds one loom_sched for its devices.
 */
#ifndef LOOM_INTERNAL_SCHEDULER_H
#define LOOM_INTERNAL_SCHEDULER_H

#include "internal/ctx.h"

/* ---- static prior ---- */

/*
 * 0..100 before anything is measured: kind 40%, backend 20%, memory 20%, compute units 20%.
 * Kind: discrete GPU 100, FPGA card 80, integrated 50, virtual (simulated card, OpenCL CPU
 * device) 30, CPU 10. Memory: min(100, 10 per GiB). Compute units: min(100, units / 20), as the
 * issue writes it. Backend: cuda 100, xrt 80, opencl 60, cpu 40, fpga_sim 10.
 */
LOOM_HIDDEN double loom_prior_score(const loom_device_info *d);

/* ---- performance model: units per second per (stage, device id, log size) ---- */

/*
 * Besides the stages, the model keeps whole commits on GPUs: extended elements (rows x columns)
 * per second, keyed by the group of devices that ran it (its first device's id, then "*g" for a
 * group of g: "gpu0", "gpu0*2") and the log2 of
 * the extended height. The file names this entry's stage "commit".
 */
#define LOOM_MODEL_COMMIT ((loom_stage)LOOM_STAGE_COUNT)


typedef struct loom_model loom_model;

LOOM_HIDDEN loom_status loom_model_create(loom_model **out);
LOOM_HIDDEN void loom_model_free(loom_model *m);
/* Adds a measurement: `units` done in `seconds`. The rate is a moving average (weight 1/4 for
 * the new sample; the first sample sets it). Thread-safe. */
LOOM_HIDDEN void loom_model_observe(loom_model *m, loom_stage st, const char *dev, unsigned log_size, double units,
                                    double seconds);
/* Units per second at log_size, else at the nearest measured log size; 0 if (st, dev) has none. */
LOOM_HIDDEN double loom_model_rate(loom_model *m, loom_stage st, const char *dev, unsigned log_size);
/* Number of entries. */
LOOM_HIDDEN size_t loom_model_count(loom_model *m);
/* YAML: `version: 1` and `entries: [{stage, device, log_size, rate, samples}]`. Load errors name
 * the file, line and column. */
LOOM_HIDDEN loom_status loom_model_save(loom_model *m, const char *path);
LOOM_HIDDEN loom_status loom_model_load(loom_model **out, const char *path);

/*
 * How many of the candidate GPUs (best first, n a power of two) share one commit of `elems`
 * extended elements at log2 height log_m: the g in 1, 2, 4, ... <= n with the shortest expected
 * time. A group the model has measured takes its measured time. Otherwise T(g) = W / g + (g - 1) o,
 * with the work W and the per-GPU overhead o fitted to the two largest groups measured (one
 * group: o = 0, so all n get tried and measured; none: all n, to measure).
 * (host/src/commit.c)
 */
LOOM_HIDDEN size_t loom_multi_gpu_count(loom_model *model, loom_device *const *cand, size_t n, double elems,
                                        unsigned log_m);

/* ---- partitions of `total` units in multiples of `align` (the last part may be short) ---- */

typedef struct {
    size_t start, count;
} loom_range;

/* n parts as equal as the alignment allows. */
LOOM_HIDDEN void loom_partition_equal(loom_range *out, size_t n, size_t total, size_t align);
/* Shares proportional to w[i] >= 0, each within one align-chunk of the ideal; a zero weight gets
 * nothing. All-zero or negative weights are LOOM_ERR_INVALID_ARG. */
LOOM_HIDDEN loom_status loom_partition_proportional(loom_range *out, const double *w, size_t n, size_t total,
                                                    size_t align);

/* ---- the balancer: decides moves of queued chunks between devices ---- */

typedef struct {
    double threshold;  /* start moving when (max - min) / max of the expected finish times exceeds this */
    double hysteresis; /* stop once it is below threshold - hysteresis */
    int moving;        /* state: between the two */
} loom_balancer;

/*
 * One decision from each device's expected time to finish its queue (queued units / rate):
 * returns 1 and sets *from / *to when a chunk should move from the device that finishes last to
 * the one that finishes first, 0 otherwise. Pure apart from b->moving.
 */
LOOM_HIDDEN int loom_balance_step(loom_balancer *b, const double *finish, size_t n, size_t *from, size_t *to);

/* ---- fault injection: LOOM_INJECT_FAULT=<device-id>:<n>[+|:slow][,...] ---- */

#define LOOM_INJECT_MAX 16
typedef enum { LOOM_INJECT_ONCE, LOOM_INJECT_FROM, LOOM_INJECT_SLOW } loom_inject_mode;
typedef struct {
    char dev[LOOM_DEVICE_ID_MAX];
    unsigned long long n;
    loom_inject_mode mode;
} loom_inject;

/* Parses the variable's text into up to LOOM_INJECT_MAX entries. */
LOOM_HIDDEN loom_status loom_inject_parse(loom_inject *out, size_t *n, const char *text);

/* ---- the scheduler of one context ---- */

typedef struct loom_sched loom_sched;

/* For a context's devices; reads LOOM_INJECT_FAULT. `model` is adopted (may be NULL: one is made). */
LOOM_HIDDEN loom_status loom_sched_create(loom_sched **out, loom_device *devs, size_t n, loom_model *model);
LOOM_HIDDEN void loom_sched_free(loom_sched *s);
LOOM_HIDDEN loom_model *loom_sched_model(loom_sched *s);

/* A device runs one chunk at a time, whichever job (shard) it belongs to: the executor holds this
 * lock around each chunk, and whole-job calls take it too. */
LOOM_HIDDEN void loom_sched_device_lock(loom_sched *s, size_t slot);
LOOM_HIDDEN void loom_sched_device_unlock(loom_sched *s, size_t slot);

/* Health: usable unless resting after a failure; each failure doubles the rest (capped at 64x). */
LOOM_HIDDEN int loom_sched_usable(loom_sched *s, size_t slot);
LOOM_HIDDEN void loom_sched_failed(loom_sched *s, size_t slot, double backoff_s);
LOOM_HIDDEN unsigned loom_sched_failures(loom_sched *s, size_t slot);

/* Load: tasks, running tasks, busy seconds; utilisation 0..1 over the last `window_s` seconds. */
typedef struct {
    unsigned long long tasks;
    unsigned active;
    double busy_s;
    double avg_s;
    double utilisation;
} loom_load;
LOOM_HIDDEN void loom_sched_load(loom_sched *s, size_t slot, loom_load *out);

/* Score of a device for a stage: the model's rate normalised (fastest measured = 100) when the
 * model has one for every device, else the static prior; times the config weight. */
LOOM_HIDDEN double loom_sched_score(loom_sched *s, size_t slot, loom_stage st, unsigned log_size);

/*
 * Selection (issue 5). The pick value of a device for a stage is score x (1 - utilisation), the
 * utilisation clamped to 0..1: an idle device keeps its score, a fully busy one has 0. A device
 * resting after a failure (or a slot the scheduler lacks) has 0 and is never selected.
 */
LOOM_HIDDEN double loom_sched_pick_value(loom_sched *s, size_t slot, loom_stage st, unsigned log_size);
/*
 * Writes to out the best min(k, n) of the n candidate slots (distinct) by pick value, best first;
 * equal values keep the candidates' order. Resting devices are left out, so fewer may come back:
 * returns how many were written. The load is read once, under the scheduler's lock; no allocation.
 */
LOOM_HIDDEN size_t loom_sched_select(loom_sched *s, loom_stage st, unsigned log_size, const size_t *cand, size_t n,
                                     size_t k, size_t *out);

/*
 * Load accounting of one task on a device, on the loom_now() clock: begin marks it running from
 * t0 (utilisation counts it up to now), end records the span t0..t1. The executor calls these
 * around each chunk; tests call them with past times to make a device look busy.
 */
LOOM_HIDDEN void loom_sched_task_begin(loom_sched *s, size_t slot, double t0);
LOOM_HIDDEN void loom_sched_task_end(loom_sched *s, size_t slot, double t0, double t1);

/* A whole job outside the executor (a whole commit): holds the device as the executor does around
 * a chunk, and counts the job in the device's load as one task. */
LOOM_HIDDEN void loom_sched_job_begin(loom_sched *s, size_t slot);
LOOM_HIDDEN void loom_sched_job_end(loom_sched *s, size_t slot);


/* ---- the executor ---- */

typedef struct {
    loom_partition_kind strategy;
    size_t total;      /* units */
    size_t align;      /* chunk boundaries are multiples of this (>= 1) */
    size_t chunk;      /* units per chunk; 0 = about four chunks per device */
    double deadline_s; /* 0 = none */
    unsigned retries;  /* re-runs of one chunk before the run fails */
    double backoff_s;
    double threshold, hysteresis; /* the balancer's, for equal / proportional */
    int stage;         /* loom_stage to feed the model, or -1 */
    unsigned log_size;
    size_t n_primary;  /* devs[0..n_primary) share the work; the others are fallbacks that take
                          failed chunks, or everything while every primary rests; 0 = all */
} loom_exec_plan;

/* What each device did in one run. */
typedef struct {
    size_t chunks, units, failures;
    double busy_s;
} loom_exec_device;

/*
 * Runs plan->total units over devs (slots[i] is devs[i]'s slot in the scheduler), calling
 * fn(arg, devs[i], i, start, count) from one worker thread per device. Returns after every
 * attempt has returned (a late attempt past its deadline too). A failed or late chunk goes to
 * another usable device; the run fails only when a chunk has run out of retries or devices, with
 * a message naming the chunk, the devices tried and the last error. `out` (may be NULL) gets n
 * records.
 */
LOOM_HIDDEN loom_status loom_exec_run(loom_sched *s, loom_device *const *devs, const size_t *slots, size_t n,
                                      const loom_exec_plan *plan, loom_chunk_fn fn, void *arg,
                                      loom_exec_device *out);

#endif
