/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LOOM_INTERNAL_CTX_H
#define LOOM_INTERNAL_CTX_H

#include "internal/driver.h"
#include "loom/loom.h"

#define LOOM_CTX_MAX_DEVICES 64

/* The scheduler section of the config with every default applied (docs/config.md). */
typedef struct {
    loom_sched_policy policy;
    loom_partition_kind partition;
    size_t chunk_rows;     /* 0 = from the job size */
    double threshold, hysteresis;
    double deadline_s;     /* 0 = none */
    unsigned retries;
    double backoff_s;
    unsigned max_gpus;     /* 0 = from the model */
    loom_multi_gpu_mode multi_gpu;
    size_t n_route[LOOM_STAGE_COUNT]; /* 0 = the built-in route */
    loom_device_kind route[LOOM_STAGE_COUNT][LOOM_ROUTE_MAX];
    char model_path[256];
    char source[256];      /* the config's name, for messages */
} loom_sched_settings;

struct loom_sched;

struct loom_ctx {
    size_t n_devices;
    loom_device devices[LOOM_CTX_MAX_DEVICES];
    loom_sched_settings settings;
    struct loom_sched *sched;  /* health, load, fault injection and the performance model */
};

/* Creates ctx->sched for the opened devices and settings (loads the model file if named); frees it. */
LOOM_HIDDEN loom_status loom_ctx_sched_open(loom_ctx *ctx);
LOOM_HIDDEN void loom_ctx_sched_close(loom_ctx *ctx);

/* Work on units [start, start + count) on `dev`; dev_index is its place in the list given. */
typedef loom_status (*loom_chunk_fn)(void *arg, loom_device *dev, size_t dev_index, size_t start, size_t count);

/*
 * Runs `total` units of stage `st` (columns for the LDE, rows, pairs) over `devs` through the
 * scheduler's executor with the context's settings; log_size keys the performance model.
 */
LOOM_HIDDEN loom_status loom_ctx_run_stage(loom_ctx *ctx, loom_stage st, loom_device *const *devs, size_t n,
                                           size_t total, unsigned log_size, loom_chunk_fn fn, void *arg);

/* The same for units that are whole jobs (shards), `chunk` at a time, pulled from one queue. */
LOOM_HIDDEN loom_status loom_ctx_run_units(loom_ctx *ctx, loom_device *const *devs, size_t n, size_t total,
                                           size_t chunk, loom_chunk_fn fn, void *arg);

/* Whether device `slot` may be given work now (not resting after a failure). */
LOOM_HIDDEN int loom_ctx_device_usable(loom_ctx *ctx, size_t slot);

/* Exclusive use of device `slot` for a call outside the executor (a whole commit); the call
 * counts in the device's load as one task. */
LOOM_HIDDEN void loom_ctx_device_lock(loom_ctx *ctx, size_t slot);
LOOM_HIDDEN void loom_ctx_device_unlock(loom_ctx *ctx, size_t slot);

/* Records that device `slot` failed a whole job with status `s` (it rests, with back-off). */
LOOM_HIDDEN void loom_ctx_device_failed(loom_ctx *ctx, size_t slot, loom_status s);

#endif
