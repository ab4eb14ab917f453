/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loom/loom.h - the Loom SDK: the umbrella header, the context and the commit job.
 *
 * Conventions for the whole API:
 *   - Every exported symbol starts with loom_. Every fallible call returns loom_status (never
 *     ignore it: the compiler warns); loom_last_error() then says what was wrong and what was
 *     expected. Pure arithmetic returns values.
 *   - Argument order: the context first, then outputs, then inputs; each length comes right
 *     after its pointer.
 *   - Field elements are canonical u32 (0 <= v < p) at every boundary.
 *   - Batch calls take caller-owned buffers and do not allocate; calls that must allocate
 *     (trees, contexts, jobs) say so.
 */
#ifndef LOOM_LOOM_H
#define LOOM_LOOM_H

#include <stddef.h>
#include <stdint.h>

#include "loom/config.h"
#include "loom/device.h"
#include "loom/field.h"
#include "loom/matrix.h"
#include "loom/merkle.h"
#include "loom/ntt.h"
#include "loom/poseidon2.h"
#include "loom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LOOM_VERSION_MAJOR 0
#define LOOM_VERSION_MINOR 1
#define LOOM_VERSION_PATCH 0

/* "0.1.0 (commit abcdef123456)" */
const char *loom_version_string(void);

/* The devices a job may use, opened from a configuration. Opaque. */
typedef struct loom_ctx loom_ctx;

/*
 * Creates a context from `cfg` (NULL: the built-in default, which uses every discovered device).
 * With an explicit device list, each listed device must be present unless marked optional:
 * LOOM_ERR_NOT_FOUND "config.yaml:7: device 'gpu0' not found; 0 GPUs present (...)".
 */
LOOM_MUST_USE loom_status loom_ctx_create(loom_ctx **out, const loom_config *cfg);
void loom_ctx_destroy(loom_ctx *ctx);

/* The devices the context opened, in order (the CPU device is always among them). */
size_t loom_ctx_device_count(const loom_ctx *ctx);
const loom_device_info *loom_ctx_device(const loom_ctx *ctx, size_t i);

/* What a commit computes. */
typedef struct {
    loom_field_id field;       /* LOOM_FIELD_BABYBEAR or LOOM_FIELD_KOALABEAR */
    loom_perm_family perm;     /* LOOM_PERM_PLONKY3 or LOOM_PERM_SP1 (width 16) */
    unsigned log_blowup;       /* LDE blowup 2^log_blowup, 0..8 */
    const char *device;        /* run every stage on this device id ("gpu0"); NULL: the scheduler routes */
} loom_commit_params;

#define LOOM_REPORT_MAX_DEVICES 64

/* Where a commit spent its time and which device did what. */
typedef struct {
    double lde_s;          /* coset LDE + bit reversal, all traces */
    double hash_s;         /* leaf hashing (and injected rows) */
    double compress_s;     /* Merkle compression levels */
    uint64_t bytes_h2d;
    double total_s;
    uint64_t lde_rows;     /* rows of the committed (extended) matrices */
    uint64_t permutations; /* Poseidon2 permutations */
    unsigned multi_gpus;   /* GPUs that shared one trace (0: no trace was split over GPUs) */
    int multi_mode;        /* the loom_multi_gpu_mode they used */
    uint64_t bytes_peer;   /* bytes copied between GPUs */
    size_t n_devices;
    struct {
        char id[LOOM_DEVICE_ID_MAX];
        uint64_t lde_columns;   /* columns extended */
        uint64_t rows_hashed;   /* leaf rows hashed */
        uint64_t compressions;  /* 2-to-1 compressions */
        double busy_s;
    } devices[LOOM_REPORT_MAX_DEVICES];
} loom_commit_report;

/*
 * Commits n_traces trace matrices (evaluations on the subgroup of size `rows`; each height a
 * power of two, log2(rows) + log_blowup <= the field's two-adicity) exactly as Plonky3's
 * TwoAdicFriPcs::commit: coset LDE with shift = the field's GENERATOR, rows bit-reversed, one
 * MerkleTreeMmcs over all of them. Writes the root; fills `report` if not NULL. Allocates the
 * extended matrices for the duration of the call. Inputs must be canonical (checked:
 * LOOM_ERR_NOT_CANONICAL names the trace, row and column).
 */
LOOM_MUST_USE loom_status loom_commit(loom_ctx *ctx, loom_digest *root, loom_commit_report *report,
                                      const loom_commit_params *params, const loom_matrix_view *traces,
                                      size_t n_traces);

/*
 * Commits n_shards independent single-matrix traces, roots[i] for shards[i], each exactly as
 * loom_commit would. Devices that can run a whole commit alone (GPUs) pull shards from a queue,
 * so several are in flight at once; otherwise the shards run one after another, each spread over
 * the devices. `report` (may be NULL) sums the per-device work of all shards; its stage times
 * are device-seconds summed over shards, and total_s is the wall time of the batch.
 */
LOOM_MUST_USE loom_status loom_commit_batch(loom_ctx *ctx, loom_digest *roots, loom_commit_report *report,
                                            const loom_commit_params *params, const loom_matrix_view *shards,
                                            size_t n_shards);

/* The scheduler's view of a device. */
typedef struct {
    double prior_score;                   /* 0..100 from the device's properties */
    double rate[LOOM_STAGE_COUNT];        /* measured units/s at the log size asked (0: no data);
                                             lde: columns, hash: rows, compress: pairs */
    double score[LOOM_STAGE_COUNT];       /* what the scheduler ranks by: measured when every device
                                             has data for the stage, else the prior; x weight */
    double pick[LOOM_STAGE_COUNT];        /* what device selection ranks by: score x (1 - utilisation),
                                             0 while resting */
    double utilisation;                   /* 0..1 over the last 10 s */
    unsigned long long tasks;             /* chunks run */
    unsigned failures;                    /* consecutive failures (0: healthy) */
    int usable;                           /* 0 while resting after a failure */
} loom_device_status;

LOOM_MUST_USE loom_status loom_ctx_device_status(loom_ctx *ctx, size_t i, unsigned log_size,
                                                 loom_device_status *out);

/*
 * Measures every device of the context on every stage it can run (LDE of 2^log_rows x cols,
 * hashing 2^(log_rows + 1) rows, compressing 2^log_rows pairs), each `repeats` times, and feeds
 * the context's performance model. loom_ctx_save_model writes the model (YAML) for
 * `scheduler: {model: FILE}`.
 */
LOOM_MUST_USE loom_status loom_calibrate(loom_ctx *ctx, loom_field_id field, unsigned log_rows, unsigned cols,
                                         unsigned repeats);
LOOM_MUST_USE loom_status loom_ctx_save_model(loom_ctx *ctx, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* LOOM_LOOM_H */
