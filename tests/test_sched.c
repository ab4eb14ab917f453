/* SPDX-License-Identifier: Apache-2.0 */
/* The scheduler's parts: partitions, balancer, injection, model, scores, the executor and selection. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "internal/scheduler.h"
#include "internal/timer.h"
#include "test_util.h"

/* ---- partitions ---- */

static void check_cover(const loom_range *r, size_t n, size_t total)
{
    size_t next = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r[i].start, next); /* contiguous, in order: every unit exactly once */
        next += r[i].count;
    }
    assert_int_equal(next, total);
}

static void test_partition_equal(void **state)
{
    (void)state;
    static const size_t totals[] = {0, 1, 2, 3, 7, 31, 64, 97, 1000, 65536, 1u << 24};
    static const size_t aligns[] = {1, 4, 64};
    loom_range r[17];
    for (size_t n = 1; n <= 17; n++)
        for (size_t t = 0; t < sizeof totals / sizeof totals[0]; t++)
            for (size_t a = 0; a < 3; a++) {
                size_t total = totals[t], align = aligns[a];
                loom_partition_equal(r, n, total, align);
                check_cover(r, n, total);
                size_t lo = SIZE_MAX, hi = 0;
                for (size_t i = 0; i < n; i++) {
                    if (r[i].start + r[i].count < total)
                        assert_int_equal(r[i].count % align, 0); /* only the end may be short */
                    size_t chunks = (r[i].count + align - 1) / align;
                    if (chunks < lo)
                        lo = chunks;
                    if (chunks > hi)
                        hi = chunks;
                }
                assert_true(hi - lo <= 1); /* within one chunk of each other */
            }
}

static void test_partition_proportional(void **state)
{
    (void)state;
    static const size_t totals[] = {0, 1, 5, 97, 1000, 4099, 65536, 1u << 24};
    static const size_t aligns[] = {1, 8, 256};
    uint64_t seed = test_seed();
    test_rng rng = {seed};
    loom_range r[17];
    double w[17];
    for (int trial = 0; trial < 40; trial++)
        for (size_t n = 1; n <= 17; n++)
            for (size_t t = 0; t < sizeof totals / sizeof totals[0]; t++)
                for (size_t a = 0; a < 3; a++) {
                    double sum = 0;
                    for (size_t i = 0; i < n; i++) {
                        w[i] = (double)(test_next(&rng) % 1000) / 10.0; /* zero now and then */
                        sum += w[i];
                    }
                    if (sum == 0) {
                        w[0] = 1;
                        sum = 1;
                    }
                    size_t total = totals[t], align = aligns[a];
                    assert_int_equal(loom_partition_proportional(r, w, n, total, align), LOOM_OK);
                    check_cover(r, n, total);
                    size_t blocks = (total + align - 1) / align;
                    for (size_t i = 0; i < n; i++) {
                        double ideal = (double)blocks * w[i] / sum; /* in chunks */
                        double got = (double)((r[i].count + align - 1) / align);
                        if (fabs(got - ideal) >= 1.0 + 1e-9)
                            fail_msg("seed %llu: n %zu total %zu align %zu: device %zu got %g chunks, ideal %g",
                                     (unsigned long long)seed, n, total, align, i, got, ideal);
                        if (w[i] == 0)
                            assert_int_equal(r[i].count, 0);
                    }
                }
    double zero[3] = {0, 0, 0}, neg[2] = {1, -1};
    assert_int_equal(loom_partition_proportional(r, zero, 3, 10, 1), LOOM_ERR_INVALID_ARG);
    assert_non_null(strstr(loom_last_error(), "at least one weight above 0"));
    assert_int_equal(loom_partition_proportional(r, neg, 2, 10, 1), LOOM_ERR_INVALID_ARG);
    double nanw[2] = {1, NAN};
    assert_int_equal(loom_partition_proportional(r, nanw, 2, 10, 1), LOOM_ERR_INVALID_ARG);
}

/* ---- the balancer ---- */

static void test_balancer_moves_and_settles(void **state)
{
    (void)state;
    loom_balancer b = {0.25, 0.1, 0};
    size_t from, to;
    double even[3] = {10, 10, 10};
    assert_int_equal(loom_balance_step(&b, even, 3, &from, &to), 0);
    double skew[3] = {20, 10, 5};
    assert_int_equal(loom_balance_step(&b, skew, 3, &from, &to), 1);
    assert_int_equal(from, 0);
    assert_int_equal(to, 2);

    /* Queues of unit chunks on devices of rates 1, 2 and 4, all on device 0 at first: moving one
     * chunk at a time converges, with a bounded number of moves. */
    double rate[3] = {1, 2, 4};
    int q[3] = {70, 0, 0};
    b = (loom_balancer){0.25, 0.1, 0};
    int moves = 0;
    for (int tick = 0; tick < 1000; tick++) {
        double fin[3];
        for (int i = 0; i < 3; i++)
            fin[i] = q[i] / rate[i];
        if (!loom_balance_step(&b, fin, 3, &from, &to))
            break;
        q[from]--, q[to]++;
        moves++;
    }
    assert_true(moves > 0 && moves < 70);
    double fin[3];
    for (int i = 0; i < 3; i++)
        fin[i] = q[i] / rate[i];
    assert_int_equal(loom_balance_step(&b, fin, 3, &from, &to), 0); /* settled */

    /* Steady load: every device drains at its own rate and work arrives in proportion; over
     * many ticks the balancer must not move chunks back and forth. */
    int back_and_forth = 0, last_from = -1, last_to = -1;
    moves = 0;
    for (int tick = 0; tick < 5000; tick++) {
        for (int i = 0; i < 3; i++)
            q[i] += (int)rate[i]; /* arrivals proportional to speed */
        for (int i = 0; i < 3; i++)
            q[i] -= q[i] >= (int)rate[i] ? (int)rate[i] : q[i];
        for (int i = 0; i < 3; i++)
            fin[i] = q[i] / rate[i];
        if (loom_balance_step(&b, fin, 3, &from, &to)) {
            moves++;
            if ((int)from == last_to && (int)to == last_from)
                back_and_forth++;
            last_from = (int)from, last_to = (int)to;
            q[from]--, q[to]++;
        }
    }
    assert_int_equal(back_and_forth, 0);
    assert_true(moves <= 3);
}

static void test_balancer_hysteresis(void **state)
{
    (void)state;
    /* A gap between threshold - hysteresis and threshold: no move from rest, but a move in
     * progress continues until the gap falls below threshold - hysteresis. */
    loom_balancer b = {0.3, 0.1, 0};
    size_t from, to;
    double mid[2] = {10, 7.5}; /* gap 0.25 */
    assert_int_equal(loom_balance_step(&b, mid, 2, &from, &to), 0);
    double big[2] = {10, 5}; /* gap 0.5 */
    assert_int_equal(loom_balance_step(&b, big, 2, &from, &to), 1);
    assert_int_equal(loom_balance_step(&b, mid, 2, &from, &to), 1); /* still moving */
    double small[2] = {10, 8.5}; /* gap 0.15 < 0.2 */
    assert_int_equal(loom_balance_step(&b, small, 2, &from, &to), 0);
    assert_int_equal(loom_balance_step(&b, mid, 2, &from, &to), 0); /* at rest again */
}

/* ---- fault injection ---- */

static void test_inject_parse(void **state)
{
    (void)state;
    loom_inject e[LOOM_INJECT_MAX];
    size_t n;
    assert_int_equal(loom_inject_parse(e, &n, "cpu0:3,fpga_sim0:1+,gpu1:2:slow"), LOOM_OK);
    assert_int_equal(n, 3);
    assert_string_equal(e[0].dev, "cpu0");
    assert_true(e[0].n == 3 && e[0].mode == LOOM_INJECT_ONCE);
    assert_string_equal(e[1].dev, "fpga_sim0");
    assert_true(e[1].n == 1 && e[1].mode == LOOM_INJECT_FROM);
    assert_true(e[2].n == 2 && e[2].mode == LOOM_INJECT_SLOW);
    static const char *bad[] = {"cpu0", "cpu0:", "cpu0:0", ":3", "cpu0:3x", "cpu0:3:fast", "cpu0:3,,cpu1:1",
                                "cpu0:-1", "averyveryveryveryverylongdeviceidthatdoesnotfit:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (loom_inject_parse(e, &n, bad[i]) != LOOM_ERR_INVALID_ARG)
            fail_msg("'%s' was accepted", bad[i]);
        assert_non_null(strstr(loom_last_error(), "LOOM_INJECT_FAULT"));
    }
}

/* ---- model ---- */

static void test_model(void **state)
{
    (void)state;
    loom_model *m;
    assert_int_equal(loom_model_create(&m), LOOM_OK);
    assert_true(loom_model_rate(m, LOOM_STAGE_HASH, "cpu0", 16) == 0);
    loom_model_observe(m, LOOM_STAGE_HASH, "cpu0", 16, 1000, 1.0);
    assert_true(loom_model_rate(m, LOOM_STAGE_HASH, "cpu0", 16) == 1000);
    loom_model_observe(m, LOOM_STAGE_HASH, "cpu0", 16, 2000, 1.0); /* moving average, weight 1/4 */
    assert_true(fabs(loom_model_rate(m, LOOM_STAGE_HASH, "cpu0", 16) - 1250) < 1e-9);
    loom_model_observe(m, LOOM_STAGE_HASH, "cpu0", 20, 8000, 1.0);
    assert_true(loom_model_rate(m, LOOM_STAGE_HASH, "cpu0", 19) == 8000); /* nearest size */
    assert_true(loom_model_rate(m, LOOM_STAGE_HASH, "cpu0", 10) == 1250);
    assert_true(loom_model_rate(m, LOOM_STAGE_LDE, "cpu0", 16) == 0);
    assert_true(loom_model_rate(m, LOOM_STAGE_HASH, "gpu0", 16) == 0);
    loom_model_observe(m, LOOM_STAGE_LDE, "gpu0", 24, 32, 0.004);
    loom_model_observe(m, LOOM_MODEL_COMMIT, "gpu0*2", 25, 2e9, 0.5); /* the whole-commit entries */

    char path[] = "/tmp/loom_model_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(loom_model_save(m, path), LOOM_OK);
    loom_model *back;
    assert_int_equal(loom_model_load(&back, path), LOOM_OK);
    assert_int_equal(loom_model_count(back), 4);
    assert_true(fabs(loom_model_rate(back, LOOM_STAGE_HASH, "cpu0", 16) - 1250) < 1e-3);
    assert_true(fabs(loom_model_rate(back, LOOM_MODEL_COMMIT, "gpu0*2", 25) - 4e9) < 1);
    assert_true(fabs(loom_model_rate(back, LOOM_STAGE_LDE, "gpu0", 24) - 8000) < 1e-3);
    loom_model_free(back);
    loom_model_free(m);

    /* errors name the line and column */
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"version: 1\nentries:\n  - {stage: ntt, device: a, log_size: 3, rate: 1}\n", ":3:13: invalid stage"},
        {"version: 1\nentries:\n  - {stage: lde, device: a, log_size: 3, rate: -1}\n", ":3:48: invalid rate"},
        {"version: 1\nentries:\n  - {stage: lde, device: a, rate: 5}\n", ":3:36: an entry needs"},
        {"version: 1\nentries:\n  - {stage: lde, device: a, log_size: 3, rate: 1, speed: 2}\n",
         ":3:51: unknown key 'speed'"},
        {"version: 2\nentries: []\n", ":1:10: unsupported model version"},
        {"entries: []\n", "missing 'version: 1'"},
        {"version: 1\nentries: [\n", "YAML syntax error"},
        {"", "empty file"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        fputs(bad[i].text, f);
        fclose(f);
        assert_int_equal(loom_model_load(&back, path), LOOM_ERR_CONFIG);
        if (!strstr(loom_last_error(), bad[i].want) || !strstr(loom_last_error(), path))
            fail_msg("model file %zu: message '%s' lacks '%s'", i, loom_last_error(), bad[i].want);
    }
    unlink(path);
    assert_int_equal(loom_model_load(&back, path), LOOM_ERR_IO);
    assert_non_null(strstr(loom_last_error(), "loom calibrate"));
}

/* ---- how many GPUs share one commit ---- */

static void test_multi_gpu_count(void **state)
{
    (void)state;
    loom_device gpus[4];
    loom_device *cand[4];
    memset(gpus, 0, sizeof gpus);
    for (int i = 0; i < 4; i++) {
        snprintf(gpus[i].info.id, sizeof gpus[i].info.id, "gpu%d", i);
        gpus[i].info.kind = LOOM_DEVICE_GPU;
        cand[i] = &gpus[i];
    }
    const double elems = 1e9; /* extended elements of the job */
    static const struct {
        double t1, t2, t4; /* measured seconds of 1, 2, 4 GPUs (0: not measured) */
        size_t want;
        const char *why;
    } cases[] = {
        {0, 0, 0, 4, "nothing measured: all, to measure"},
        {1.0, 0, 0, 4, "one GPU measured, no overhead known: try more"},
        {1.0, 0.5, 0, 4, "2 GPUs scale perfectly: o = 0, so 4"},
        {1.0, 0.9, 0, 2, "o = 0.4 s: T(4) = 0.25 + 1.2 > 0.9"},
        {1.0, 1.5, 0, 1, "the split costs more than it saves"},
        {1.0, 0.6, 0.45, 4, "all measured: the fastest"},
        {1.0, 0.6, 0.7, 2, "all measured: 4 is slower than 2"},
        {0, 0.5, 0, 4, "only 2 measured: W = 1 s, o = 0, so 4"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        loom_model *m;
        assert_int_equal(loom_model_create(&m), LOOM_OK);
        if (cases[c].t1 > 0)
            loom_model_observe(m, LOOM_MODEL_COMMIT, "gpu0", 24, elems, cases[c].t1);
        if (cases[c].t2 > 0)
            loom_model_observe(m, LOOM_MODEL_COMMIT, "gpu0*2", 24, elems, cases[c].t2);
        if (cases[c].t4 > 0)
            loom_model_observe(m, LOOM_MODEL_COMMIT, "gpu0*4", 24, elems, cases[c].t4);
        size_t got = loom_multi_gpu_count(m, cand, 4, elems, 24);
        if (got != cases[c].want)
            fail_msg("case %zu (%s): %zu GPUs, expected %zu", c, cases[c].why, got, cases[c].want);
        /* capped by the candidates */
        assert_true(loom_multi_gpu_count(m, cand, 2, elems, 24) <= 2);
        loom_model_free(m);
    }
}

/* ---- scores ---- */

static void test_prior_scores(void **state)
{
    (void)state;
    loom_device_info gpu = {.kind = LOOM_DEVICE_GPU, .backend = "cuda", .compute_units = 132,
                            .memory_bytes = 80ull << 30};
    /* kind 100 x .4 + backend 100 x .2 + memory min(100, 800) x .2 + units 132/20 x .2 */
    assert_true(fabs(loom_prior_score(&gpu) - (40 + 20 + 20 + 0.2 * 6.6)) < 1e-9);
    loom_device_info cpu = {.kind = LOOM_DEVICE_CPU, .backend = "cpu", .compute_units = 2,
                            .memory_bytes = 2ull << 30};
    assert_true(fabs(loom_prior_score(&cpu) - (4 + 8 + 0.2 * 20 + 0.2 * 0.1)) < 1e-9);
    loom_device_info fpga = {.kind = LOOM_DEVICE_FPGA, .backend = "xrt", .compute_units = 1,
                             .memory_bytes = 64ull << 30};
    assert_true(fabs(loom_prior_score(&fpga) - (32 + 16 + 20 + 0.2 * 0.05)) < 1e-9);
    loom_device_info sim = {.kind = LOOM_DEVICE_FPGA, .backend = "fpga_sim", .compute_units = 1, .opt_in = 1};
    assert_true(fabs(loom_prior_score(&sim) - (12 + 2 + 0 + 0.2 * 0.05)) < 1e-9);
    loom_device_info pocl = {.kind = LOOM_DEVICE_OPENCL, .backend = "opencl", .compute_units = 2, .opt_in = 1};
    assert_true(fabs(loom_prior_score(&pocl) - (12 + 12 + 0 + 0.02)) < 1e-9);
    /* ranked: GPU > FPGA card > CPU */
    assert_true(loom_prior_score(&gpu) > loom_prior_score(&fpga));
    assert_true(loom_prior_score(&fpga) > loom_prior_score(&cpu));
}

/* ---- the executor, on fake devices ---- */

#define FAKE_DEVS 3
static loom_device fake[FAKE_DEVS];
static unsigned fake_rests[FAKE_DEVS]; /* failures the scheduler recorded per device in the last run */
static size_t fake_n_primary;          /* plan.n_primary of the next run (0: all) */

typedef struct {
    uint32_t *out;
    double delay_s[FAKE_DEVS]; /* per unit */
    int fail_always[FAKE_DEVS];
    size_t calls[FAKE_DEVS];
    pthread_mutex_t lock;
} fake_job;

static uint32_t value_of(size_t u) { return (uint32_t)(u * 2654435761u + 7); }

static loom_status fake_fn(void *arg, loom_device *dev, size_t i, size_t start, size_t count)
{
    fake_job *j = arg;
    size_t d = (size_t)(dev - fake);
    pthread_mutex_lock(&j->lock);
    j->calls[d]++;
    pthread_mutex_unlock(&j->lock);
    (void)i;
    if (j->fail_always[d])
        return loom_fail(LOOM_ERR_DEVICE, "%s: the card fell off the bus", dev->info.id);
    double until = loom_now() + j->delay_s[d] * (double)count;
    while (loom_now() < until)
        nanosleep(&(struct timespec){0, 200000}, NULL);
    /* A late attempt and its re-run write the same values to the same place, by design; atomic
     * stores say so to ThreadSanitizer. */
    for (size_t u = start; u < start + count; u++)
        __atomic_store_n(&j->out[u], value_of(u), __ATOMIC_RELAXED);
    return LOOM_OK;
}

static void fake_init(void)
{
    static const char *ids[FAKE_DEVS] = {"fast", "mid", "slow"};
    for (int i = 0; i < FAKE_DEVS; i++) {
        memset(&fake[i], 0, sizeof fake[i]);
        snprintf(fake[i].info.id, sizeof fake[i].info.id, "%s", ids[i]);
        fake[i].info.kind = LOOM_DEVICE_CPU;
        snprintf(fake[i].info.backend, sizeof fake[i].info.backend, "cpu");
        fake[i].info.compute_units = 1;
    }
}

/* Runs `total` units with the given strategy and injection; returns the status, checks the output. */
static loom_status run_fake(const char *inject, loom_partition_kind strategy, size_t total, double deadline_s,
                            fake_job *j, loom_exec_device *rep)
{
    fake_init();
    if (inject)
        setenv("LOOM_INJECT_FAULT", inject, 1);
    else
        unsetenv("LOOM_INJECT_FAULT");
    loom_sched *s;
    loom_status st = loom_sched_create(&s, fake, FAKE_DEVS, NULL);
    unsetenv("LOOM_INJECT_FAULT");
    if (st != LOOM_OK)
        return st;
    j->out = calloc(total ? total : 1, sizeof *j->out);
    pthread_mutex_init(&j->lock, NULL);
    loom_device *devs[FAKE_DEVS] = {&fake[0], &fake[1], &fake[2]};
    size_t slots[FAKE_DEVS] = {0, 1, 2};
    loom_exec_plan plan = {.strategy = strategy, .total = total, .align = 1, .chunk = 16, .deadline_s = deadline_s,
                           .retries = 3, .backoff_s = 0.001, .threshold = 0.25, .hysteresis = 0.1, .stage = -1,
                           .n_primary = fake_n_primary};
    st = loom_exec_run(s, devs, slots, FAKE_DEVS, &plan, fake_fn, j, rep);
    if (st == LOOM_OK)
        for (size_t u = 0; u < total; u++)
            if (j->out[u] != value_of(u))
                fail_msg("unit %zu not written (inject %s, strategy %d)", u, inject ? inject : "none", strategy);
    free(j->out);
    pthread_mutex_destroy(&j->lock);
    for (int d = 0; d < FAKE_DEVS; d++)
        fake_rests[d] = loom_sched_failures(s, (size_t)d);
    loom_sched_free(s);
    return st;
}

static void test_exec_strategies(void **state)
{
    (void)state;
    for (int strat = 0; strat < 3; strat++) {
        for (size_t total = 0; total < 300; total += 37) {
            fake_job j = {0};
            loom_exec_device rep[FAKE_DEVS];
            assert_int_equal(run_fake(NULL, (loom_partition_kind)strat, total, 0, &j, rep), LOOM_OK);
            size_t units = 0;
            for (int d = 0; d < FAKE_DEVS; d++)
                units += rep[d].units;
            assert_int_equal(units, total);
        }
    }
    /* dynamic: the fast device takes more chunks than the slow one */
    fake_job j = {.delay_s = {0.00001, 0.0001, 0.0005}};
    loom_exec_device rep[FAKE_DEVS];
    assert_int_equal(run_fake(NULL, LOOM_PARTITION_DYNAMIC, 640, 0, &j, rep), LOOM_OK);
    assert_true(rep[0].units > rep[2].units);
    /* equal split with a slow device: the balancer moves its queued chunks to the others */
    fake_job j2 = {.delay_s = {0.00001, 0.00001, 0.002}};
    assert_int_equal(run_fake(NULL, LOOM_PARTITION_EQUAL, 960, 0, &j2, rep), LOOM_OK);
    assert_true(rep[2].units < 320);
}

static void test_exec_faults(void **state)
{
    (void)state;
    loom_exec_device rep[FAKE_DEVS];
    /* each device fails one chunk in turn: the run completes, the failure is counted; when all
     * three fail the same chunk once, they try it again after their back-off */
    static const char *once[] = {"fast:1", "mid:2", "slow:1", "fast:1,slow:2", "fast:1,mid:1,slow:1"};
    for (int strat = 0; strat < 3; strat++)
        for (size_t i = 0; i < sizeof once / sizeof once[0]; i++) {
            /* chunks of a few ms, so that every device starts one before the queue runs dry */
            fake_job j = {.delay_s = {0.0002, 0.0002, 0.0002}};
            loom_status st = run_fake(once[i], (loom_partition_kind)strat, 200, 0, &j, rep);
            if (st != LOOM_OK)
                fail_msg("strategy %d, LOOM_INJECT_FAULT=%s: %s", strat, once[i], loom_last_error());
            size_t failures = 0;
            for (int d = 0; d < FAKE_DEVS; d++)
                failures += rep[d].failures;
            if (failures < 1)
                fail_msg("strategy %d, LOOM_INJECT_FAULT=%s: no failure recorded (%zu/%zu/%zu chunks)", strat, once[i], rep[0].chunks, rep[1].chunks, rep[2].chunks);
        }
    /* a device that fails every chunk from its 2nd on (removed mid-run) */
    for (int strat = 0; strat < 3; strat++) {
        fake_job j = {.delay_s = {0.0001, 0.0001, 0.0001}};
        assert_int_equal(run_fake("mid:2+", (loom_partition_kind)strat, 400, 0, &j, rep), LOOM_OK);
        assert_true(rep[1].chunks <= 1);
    }
    /* every device fails: an error naming the chunk, the devices and the last error */
    fake_job j = {.fail_always = {1, 1, 1}};
    assert_int_equal(run_fake(NULL, LOOM_PARTITION_DYNAMIC, 100, 0, &j, rep), LOOM_ERR_DEVICE);
    const char *msg = loom_last_error();
    assert_non_null(strstr(msg, "chunk "));
    assert_non_null(strstr(msg, "fell off the bus"));
    assert_non_null(strstr(msg, "fast") && strstr(msg, "mid") && strstr(msg, "slow") ? msg : NULL);
    /* a bad injection spec, or one naming an absent device, is refused */
    fake_job j3 = {0};
    assert_int_equal(run_fake("nosuch:1", LOOM_PARTITION_DYNAMIC, 10, 0, &j3, rep), LOOM_ERR_INVALID_ARG);
    assert_non_null(strstr(loom_last_error(), "'nosuch'"));
}

static void test_exec_deadline(void **state)
{
    (void)state;
    loom_exec_device rep[FAKE_DEVS];
    /* the slow device's first chunk overruns a 50 ms deadline: someone else runs it too */
    fake_job j = {.delay_s = {0.0002, 0.0002, 0.0002}};
    assert_int_equal(run_fake("slow:1:slow", LOOM_PARTITION_DYNAMIC, 200, 0.05, &j, rep), LOOM_OK);
    assert_int_equal(fake_rests[2], 1);               /* the late device was marked unhealthy */
    assert_true(rep[0].chunks + rep[1].chunks >= 12); /* and the others did (nearly) everything */
    assert_int_equal(fake_rests[0] + fake_rests[1], 0);
    /* without a deadline nobody is blamed */
    fake_job j2 = {.delay_s = {0.0002, 0.0002, 0.0002}};
    assert_int_equal(run_fake("slow:1:slow", LOOM_PARTITION_DYNAMIC, 200, 0, &j2, rep), LOOM_OK);
    assert_int_equal(fake_rests[2], 0);
}

/* Fallback devices take nothing while a primary works, and everything once the primaries fail. */
static void test_exec_fallbacks(void **state)
{
    (void)state;
    loom_exec_device rep[FAKE_DEVS];
    for (int strat = 0; strat < 3; strat++) {
        fake_n_primary = 1;
        fake_job j = {.delay_s = {0.00005, 0.00005, 0.00005}};
        assert_int_equal(run_fake(NULL, (loom_partition_kind)strat, 300, 0, &j, rep), LOOM_OK);
        assert_int_equal(rep[0].units, 300);
        assert_int_equal(rep[1].chunks + rep[2].chunks, 0);
        fake_job j2 = {.delay_s = {0.00005, 0.00005, 0.00005}};
        assert_int_equal(run_fake("fast:1+", (loom_partition_kind)strat, 300, 0, &j2, rep), LOOM_OK);
        assert_int_equal(rep[0].units, 0);
        assert_int_equal(rep[1].units + rep[2].units, 300);
        fake_n_primary = 2; /* one of two primaries fails for good: the other primary takes over */
        fake_job j3 = {.delay_s = {0.00005, 0.00005, 0.00005}};
        assert_int_equal(run_fake("fast:1+", (loom_partition_kind)strat, 300, 0, &j3, rep), LOOM_OK);
        assert_int_equal(rep[1].units + rep[2].units, 300);
        fake_n_primary = 0;
    }
}

/* ---- selection: score x (1 - utilisation) ---- */

/* The fake devices (equal priors) with weights w, in a fresh scheduler. */
static loom_sched *select_sched(double w0, double w1, double w2)
{
    fake_init();
    fake[0].spec.weight = w0, fake[1].spec.weight = w1, fake[2].spec.weight = w2;
    unsetenv("LOOM_INJECT_FAULT");
    loom_sched *s;
    assert_int_equal(loom_sched_create(&s, fake, FAKE_DEVS, NULL), LOOM_OK);
    return s;
}

static void assert_order(const size_t *got, size_t n_got, const size_t *want, size_t n_want)
{
    assert_int_equal(n_got, n_want);
    for (size_t i = 0; i < n_want; i++)
        if (got[i] != want[i])
            fail_msg("place %zu: slot %zu, want slot %zu", i, got[i], want[i]);
}

static void test_select_idle_by_score(void **state)
{
    (void)state;
    loom_sched *s = select_sched(1, 3, 2);
    double p = loom_prior_score(&fake[0].info);
    const size_t all[3] = {0, 1, 2};
    size_t out[8];
    for (int st = 0; st < LOOM_STAGE_COUNT; st++)
        for (size_t i = 0; i < 3; i++) /* idle: the pick value is the score */
            assert_true(fabs(loom_sched_pick_value(s, i, (loom_stage)st, 12) -
                             loom_sched_score(s, i, (loom_stage)st, 12)) < 1e-9);
    assert_true(fabs(loom_sched_pick_value(s, 1, LOOM_STAGE_LDE, 12) - 3 * p) < 1e-9);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 3, out), (size_t[]){1, 2, 0}, 3);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_HASH, 12, all, 3, 1, out), (size_t[]){1}, 1);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 2, out), (size_t[]){1, 2}, 2);
    /* k > n: every candidate, once; a subset of candidates; none */
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 8, out), (size_t[]){1, 2, 0}, 3);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, (size_t[]){0, 2}, 2, 8, out), (size_t[]){2, 0}, 2);
    assert_int_equal(loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 0, 8, out), 0);
    assert_int_equal(loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 0, out), 0);
    /* a measured model for every device replaces the prior: the fastest (x weight) leads */
    loom_model *m = loom_sched_model(s);
    loom_model_observe(m, LOOM_STAGE_HASH, "fast", 12, 1000, 1.0);
    loom_model_observe(m, LOOM_STAGE_HASH, "mid", 12, 100, 1.0);
    loom_model_observe(m, LOOM_STAGE_HASH, "slow", 12, 600, 1.0);
    /* scores: fast 1 x 100, mid 3 x 10, slow 2 x 60 */
    assert_order(out, loom_sched_select(s, LOOM_STAGE_HASH, 12, all, 3, 3, out), (size_t[]){2, 0, 1}, 3);
    assert_true(fabs(loom_sched_pick_value(s, 2, LOOM_STAGE_HASH, 12) - 120) < 1e-9);
    loom_sched_free(s);
}

static void test_select_busy_and_ties(void **state)
{
    (void)state;
    const size_t all[3] = {0, 1, 2};
    size_t out[3];
    /* equal scores: the candidates' order, whichever it is */
    loom_sched *s = select_sched(1, 1, 1);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 3, out), (size_t[]){0, 1, 2}, 3);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, (size_t[]){2, 0, 1}, 3, 3, out),
                 (size_t[]){2, 0, 1}, 3);
    /* equally busy: still a tie */
    double now = loom_now();
    loom_sched_task_begin(s, 0, now - 2);
    loom_sched_task_end(s, 0, now - 2, now - 1);
    loom_sched_task_begin(s, 2, now - 2);
    loom_sched_task_end(s, 2, now - 2, now - 1);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, (size_t[]){2, 0, 1}, 3, 2, out), (size_t[]){1, 2}, 2);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 3, out), (size_t[]){1, 0, 2}, 3);
    loom_sched_free(s);

    /* the best device, busy 8 s of the last 10 (a task still running), drops below idle slower ones */
    s = select_sched(1, 3, 2);
    double p = loom_prior_score(&fake[0].info);
    now = loom_now();
    loom_sched_task_begin(s, 1, now - 8);
    double v = loom_sched_pick_value(s, 1, LOOM_STAGE_LDE, 12);
    assert_true(v > 3 * p * 0.19 && v < 3 * p * 0.2 + 1e-9); /* 3p x (1 - 0.8), a little less as time runs */
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 3, out), (size_t[]){2, 0, 1}, 3);
    /* finished: its 8 s stay in the window */
    loom_sched_task_end(s, 1, now - 8, loom_now());
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 3, out), (size_t[]){2, 0, 1}, 3);
    /* half busy: 3p x 0.5 = 1.5p sits between 2p and p */
    loom_sched_free(s);
    s = select_sched(1, 3, 2);
    now = loom_now();
    loom_sched_task_begin(s, 1, now - 5);
    loom_sched_task_end(s, 1, now - 5, now);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 3, out), (size_t[]){2, 1, 0}, 3);
    /* busier than the window (overlapping tasks): utilisation is clamped at 1, the value at 0, and
     * the device is still a candidate, last */
    loom_sched_task_begin(s, 2, now - 30);
    loom_sched_task_begin(s, 2, now - 30);
    assert_true(loom_sched_pick_value(s, 2, LOOM_STAGE_LDE, 12) == 0);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 3, out), (size_t[]){1, 0, 2}, 3);
    loom_sched_free(s);
}

static void test_select_resting(void **state)
{
    (void)state;
    const size_t all[3] = {0, 1, 2};
    size_t out[3];
    loom_sched *s = select_sched(1, 3, 2);
    /* a resting device has value 0 and is left out, however good */
    loom_sched_failed(s, 1, 60.0);
    assert_true(loom_sched_pick_value(s, 1, LOOM_STAGE_LDE, 12) == 0);
    assert_true(loom_sched_score(s, 1, LOOM_STAGE_LDE, 12) > 0);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 3, out), (size_t[]){2, 0}, 2);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 1, out), (size_t[]){2}, 1);
    assert_int_equal(loom_sched_select(s, LOOM_STAGE_LDE, 12, (size_t[]){1}, 1, 1, out), 0);
    /* a slot the scheduler does not have is neither */
    assert_true(loom_sched_pick_value(s, 7, LOOM_STAGE_LDE, 12) == 0);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, (size_t[]){7, 0}, 2, 2, out), (size_t[]){0}, 1);
    loom_sched_free(s);
}

/* The executor's and a whole job's own accounting move the selection: the device that worked
 * longer in the last 10 s goes last. */
static void test_select_after_real_work(void **state)
{
    (void)state;
    loom_sched *s = select_sched(1, 1, 1);
    fake_job j = {.delay_s = {0.001, 0.001, 0.001}};
    j.out = calloc(20, sizeof *j.out);
    pthread_mutex_init(&j.lock, NULL);
    loom_device *devs[1] = {&fake[0]};
    size_t slots[1] = {0};
    loom_exec_plan plan = {.strategy = LOOM_PARTITION_DYNAMIC, .total = 20, .align = 1, .chunk = 5, .retries = 1,
                           .backoff_s = 0.001, .stage = -1};
    assert_int_equal(loom_exec_run(s, devs, slots, 1, &plan, fake_fn, &j, NULL), LOOM_OK);
    free(j.out);
    pthread_mutex_destroy(&j.lock);
    const size_t all[3] = {0, 1, 2};
    size_t out[3];
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 3, out), (size_t[]){1, 2, 0}, 3);
    /* a whole job on slot 1, longer than slot 0's chunks together */
    loom_load l0;
    loom_sched_load(s, 0, &l0);
    assert_true(l0.busy_s >= 0.02 && l0.tasks == 4);
    loom_sched_job_begin(s, 1);
    double until = loom_now() + l0.busy_s + 0.02;
    while (loom_now() < until)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    loom_sched_job_end(s, 1);
    loom_load l1;
    loom_sched_load(s, 1, &l1);
    assert_int_equal(l1.tasks, 1);
    assert_order(out, loom_sched_select(s, LOOM_STAGE_LDE, 12, all, 3, 3, out), (size_t[]){2, 0, 1}, 3);
    loom_sched_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partition_equal),
        cmocka_unit_test(test_partition_proportional),
        cmocka_unit_test(test_balancer_moves_and_settles),
        cmocka_unit_test(test_balancer_hysteresis),
        cmocka_unit_test(test_inject_parse),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_multi_gpu_count),
        cmocka_unit_test(test_prior_scores),
        cmocka_unit_test(test_exec_strategies),
        cmocka_unit_test(test_exec_faults),
        cmocka_unit_test(test_exec_deadline),
        cmocka_unit_test(test_exec_fallbacks),
        cmocka_unit_test(test_select_idle_by_score),
        cmocka_unit_test(test_select_busy_and_ties),
        cmocka_unit_test(test_select_resting),
        cmocka_unit_test(test_select_after_real_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
