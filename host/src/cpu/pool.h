/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small fixed thread pool for the CPU device: N - 1 parked workers plus the calling thread,
 * and one operation, a parallel for over [0, n) in chunks. Workers are created once (a call
 * allocates nothing and creates no thread) and joined by loom_pool_destroy.
 *
 * Chunks are claimed dynamically from a shared counter, so a slow core (or one the OS lends to
 * someone else) does not hold up the rest; which thread runs a chunk is therefore not fixed,
 * and every user writes results that do not depend on it (bit-identical at any thread count).
 */
#ifndef LOOM_CPU_POOL_H
#define LOOM_CPU_POOL_H

#include "internal/common.h"

typedef struct loom_pool loom_pool;

/* fn runs on [begin, end), a chunk of the range; `worker` < loom_pool_threads() names the thread
 * running it (0 is the caller), for per-thread scratch. */
typedef void (*loom_pool_fn)(void *arg, size_t begin, size_t end, unsigned worker);

/* threads >= 1 (1: no workers, every loop runs on the caller). */
LOOM_HIDDEN loom_status loom_pool_create(loom_pool **out, unsigned threads);
LOOM_HIDDEN void loom_pool_destroy(loom_pool *pool);
/* 1 for a NULL pool. */
LOOM_HIDDEN unsigned loom_pool_threads(const loom_pool *pool);

/*
 * Runs fn over [0, n) in chunks of `chunk` indices (the last may be shorter; 0 picks about four
 * chunks per thread) and returns when all are done. pool may be NULL (runs inline). Safe to call
 * from several threads (calls take turns) and from inside fn (the nested loop runs inline on
 * that thread rather than waiting for workers that are busy with the outer one).
 */
LOOM_HIDDEN void loom_pool_for(loom_pool *pool, size_t n, size_t chunk, loom_pool_fn fn, void *arg);

/*
 * Worker threads for each of `n_devices` CPU devices given a requested count (0 = share the
 * machine's `cores` evenly, at least one each). Several devices asking for more than `cores`
 * together is LOOM_ERR_CONFIG: they would time-slice one socket and each run slower than its
 * share (see docs/config.md). One device may be given more threads than cores (tests do).
 * `source` names the setting in the message.
 */
LOOM_HIDDEN loom_status loom_cpu_threads_plan(unsigned *per_device, unsigned requested, unsigned n_devices,
                                              unsigned cores, const char *source);

#endif
