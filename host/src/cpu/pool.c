/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CPU device's thread pool (see pool.h). One mutex and two condition variables: workers
 * sleep on `wake` until the generation counter moves, claim chunks from an atomic counter, and
 * the last one to finish signals `done`. A loop costs one broadcast and one wait, which is
 * microseconds against the milliseconds of the NTT layers and hash ranges it carries.
 */
#include "cpu/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct loom_pool {
    unsigned threads;  /* workers + the caller */
    unsigned started;  /* workers actually created */
    pthread_t *tids;
    pthread_mutex_t call_lock; /* one loop at a time: the job fields below are shared */
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    unsigned long generation;
    unsigned busy; /* workers that have not finished the current loop */
    int stop;
    /* the current loop */
    loom_pool_fn fn;
    void *arg;
    size_t n, chunk;
    atomic_size_t next;
};

typedef struct {
    loom_pool *pool;
    unsigned id;
} worker_arg;

/* Set on pool threads, and on a caller while its loop runs: a nested loop then runs inline. */
static _Thread_local int in_pool_loop;

static void run_chunks(loom_pool *pool, unsigned id)
{
    const size_t n = pool->n, chunk = pool->chunk;
    for (;;) {
        size_t b = atomic_fetch_add_explicit(&pool->next, chunk, memory_order_relaxed);
        if (b >= n)
            break;
        pool->fn(pool->arg, b, b + chunk < n ? b + chunk : n, id);
    }
}

static void *worker_main(void *p)
{
    worker_arg *wa = p;
    loom_pool *pool = wa->pool;
    const unsigned id = wa->id;
    free(wa);
    in_pool_loop = 1;
    unsigned long seen = 0;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (pool->generation == seen && !pool->stop)
            pthread_cond_wait(&pool->wake, &pool->lock);
        if (pool->stop)
            break;
        seen = pool->generation;
        pthread_mutex_unlock(&pool->lock);
        run_chunks(pool, id);
        pthread_mutex_lock(&pool->lock);
        if (--pool->busy == 0)
            pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

loom_status loom_pool_create(loom_pool **out, unsigned threads)
{
    *out = NULL;
    if (threads == 0 || threads > 4096)
        return loom_fail(LOOM_ERR_INVALID_ARG, "thread pool: %u threads; expected 1..4096", threads);
    loom_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return loom_fail(LOOM_ERR_NO_MEMORY, "thread pool: out of memory");
    pool->threads = threads;
    pthread_mutex_init(&pool->call_lock, NULL);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    if (threads > 1 && !(pool->tids = calloc(threads - 1, sizeof *pool->tids))) {
        loom_pool_destroy(pool);
        return loom_fail(LOOM_ERR_NO_MEMORY, "thread pool: out of memory");
    }
    for (unsigned i = 1; i < threads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        int err = wa ? 0 : -1;
        if (wa) {
            *wa = (worker_arg){pool, i};
            err = pthread_create(&pool->tids[i - 1], NULL, worker_main, wa);
            if (err)
                free(wa);
        }
        if (err) {
            unsigned got = pool->started;
            loom_pool_destroy(pool);
            return loom_fail(LOOM_ERR_DEVICE, "thread pool: could not start worker %u of %u (%u running)", i + 1,
                             threads, got + 1);
        }
        pool->started++;
    }
    *out = pool;
    return LOOM_OK;
}

void loom_pool_destroy(loom_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stop = 1;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->started; i++)
        pthread_join(pool->tids[i], NULL);
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    pthread_mutex_destroy(&pool->call_lock);
    free(pool->tids);
    free(pool);
}

unsigned loom_pool_threads(const loom_pool *pool) { return pool ? pool->threads : 1; }

void loom_pool_for(loom_pool *pool, size_t n, size_t chunk, loom_pool_fn fn, void *arg)
{
    if (n == 0)
        return;
    const unsigned threads = loom_pool_threads(pool);
    if (chunk == 0) {
        size_t parts = (size_t)threads * 4;
        chunk = (n + parts - 1) / parts;
    }
    /* One chunk, one thread, or already on a pool thread: no one to hand work to. */
    if (threads == 1 || chunk >= n || in_pool_loop) {
        fn(arg, 0, n, 0);
        return;
    }
    pthread_mutex_lock(&pool->call_lock);
    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->arg = arg;
    pool->n = n;
    pool->chunk = chunk;
    atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
    pool->busy = pool->started;
    pool->generation++;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock); /* the unlock publishes the job to the workers */

    in_pool_loop = 1;
    run_chunks(pool, 0);
    in_pool_loop = 0;

    pthread_mutex_lock(&pool->lock);
    while (pool->busy)
        pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock); /* ...and this lock orders the workers' writes before ours */
    pthread_mutex_unlock(&pool->call_lock);
}

loom_status loom_cpu_threads_plan(unsigned *per_device, unsigned requested, unsigned n_devices, unsigned cores,
                                  const char *source)
{
    if (cores == 0)
        cores = 1;
    if (n_devices == 0) {
        *per_device = requested ? requested : cores;
        return LOOM_OK;
    }
    if (requested == 0) {
        *per_device = cores / n_devices ? cores / n_devices : 1;
        return LOOM_OK;
    }
    if (n_devices > 1 && (unsigned long long)requested * n_devices > cores)
        return loom_fail(LOOM_ERR_CONFIG,
                         "%s: %u CPU devices x %u threads = %llu threads, more than the %u cores of this machine "
                         "(they would share the cores and each run slower); expected at most %u threads each, "
                         "or 0 to share the cores evenly",
                         source, n_devices, requested, (unsigned long long)requested * n_devices, cores,
                         cores / n_devices ? cores / n_devices : 1);
    *per_device = requested;
    return LOOM_OK;
}
