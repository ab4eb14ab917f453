/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CPU device's multicore and SIMD paths: the thread pool runs every index exactly once, the
 * split NTT / LDE / bit reversal equal the single-thread ones bit for bit, and loom_commit gives
 * the same root at every thread count and at every SIMD level this machine runs (levels it does
 * not run are reported SKIPPED, never passed silently).
 */
#include <stdatomic.h>
#include <string.h>

#include "test_util.h"

#include "cpu/kernels.h"
#include "cpu/pool.h"
#include "loom/loom.h"
#include "ntt_rows.h"

/* ---- the pool */

typedef struct {
    atomic_uint *hits;
    unsigned threads;
    atomic_uint bad_worker;
} count_arg;

static void count_range(void *p, size_t b, size_t e, unsigned worker)
{
    count_arg *a = p;
    if (worker >= a->threads)
        atomic_fetch_add(&a->bad_worker, 1);
    for (size_t i = b; i < e; i++)
        atomic_fetch_add(&a->hits[i], 1);
}

static void test_pool_every_index_once(void **state)
{
    (void)state;
    static const unsigned threads[] = {1, 2, 3, 4, 7, 16};
    static const size_t sizes[] = {0, 1, 2, 3, 7, 64, 1000, 4097};
    static const size_t chunks[] = {0, 1, 3, 100, 5000};
    atomic_uint *hits = calloc(4097, sizeof *hits);
    assert_non_null(hits);
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        loom_pool *pool = NULL;
        assert_int_equal(loom_pool_create(&pool, threads[t]), LOOM_OK);
        assert_int_equal(loom_pool_threads(pool), threads[t]);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++)
                for (int rep = 0; rep < 3; rep++) { /* the same pool again: no state left behind */
                    for (size_t i = 0; i < sizes[s]; i++)
                        atomic_store(&hits[i], 0);
                    count_arg a = {.hits = hits, .threads = threads[t]};
                    loom_pool_for(pool, sizes[s], chunks[c], count_range, &a);
                    for (size_t i = 0; i < sizes[s]; i++)
                        if (atomic_load(&hits[i]) != 1)
                            fail_msg("threads %u, n %zu, chunk %zu: index %zu ran %u times", threads[t], sizes[s],
                                     chunks[c], i, atomic_load(&hits[i]));
                    assert_int_equal(atomic_load(&a.bad_worker), 0);
                }
        loom_pool_destroy(pool);
    }
    free(hits);
}

typedef struct {
    loom_pool *pool;
    atomic_uint *hits;
} nest_arg;

static void inner(void *p, size_t b, size_t e, unsigned worker)
{
    (void)worker;
    atomic_uint *hits = p;
    for (size_t i = b; i < e; i++)
        atomic_fetch_add(&hits[i], 1);
}

static void outer(void *p, size_t b, size_t e, unsigned worker)
{
    (void)worker;
    nest_arg *a = p;
    for (size_t i = b; i < e; i++)
        loom_pool_for(a->pool, 10, 1, inner, a->hits + 10 * i);
}

/* A loop started from inside a loop runs inline instead of waiting on busy workers forever. */
static void test_pool_nested(void **state)
{
    (void)state;
    loom_pool *pool = NULL;
    assert_int_equal(loom_pool_create(&pool, 4), LOOM_OK);
    atomic_uint hits[200];
    for (size_t i = 0; i < 200; i++)
        atomic_store(&hits[i], 0);
    nest_arg a = {pool, hits};
    loom_pool_for(pool, 20, 1, outer, &a);
    for (size_t i = 0; i < 200; i++)
        assert_int_equal(atomic_load(&hits[i]), 1);
    loom_pool_destroy(pool);
    assert_int_equal(loom_pool_create(&pool, 0), LOOM_ERR_INVALID_ARG);
}

static void test_threads_plan(void **state)
{
    (void)state;
    unsigned t = 0;
    assert_int_equal(loom_cpu_threads_plan(&t, 0, 1, 16, "x"), LOOM_OK);
    assert_int_equal(t, 16);
    assert_int_equal(loom_cpu_threads_plan(&t, 0, 2, 16, "x"), LOOM_OK);
    assert_int_equal(t, 8);
    assert_int_equal(loom_cpu_threads_plan(&t, 0, 3, 2, "x"), LOOM_OK);
    assert_int_equal(t, 1);
    assert_int_equal(loom_cpu_threads_plan(&t, 7, 1, 2, "x"), LOOM_OK); /* one device: as asked */
    assert_int_equal(t, 7);
    assert_int_equal(loom_cpu_threads_plan(&t, 8, 2, 16, "x"), LOOM_OK);
    assert_int_equal(t, 8);
    assert_int_equal(loom_cpu_threads_plan(&t, 9, 2, 16, "cfg.yaml: cpu.threads"), LOOM_ERR_CONFIG);
    assert_non_null(strstr(loom_last_error(), "cfg.yaml: cpu.threads: 2 CPU devices x 9 threads = 18 threads, "
                                              "more than the 16 cores"));
}

/* ---- the split transforms equal the single-thread ones */

static uint32_t *random_matrix(test_rng *r, uint32_t p, size_t n)
{
    uint32_t *m = malloc((n ? n : 1) * sizeof *m);
    assert_non_null(m);
    for (size_t i = 0; i < n; i++)
        m[i] = test_element(r, p);
    return m;
}

static void check_split_ops(loom_simd_level level)
{
    const loom_field *f = loom_field_get(LOOM_FIELD_BABYBEAR);
    test_rng rng = {test_seed() ^ 0x9a11};
    static const unsigned threads[] = {2, 3, 7};
    loom_pool *pools[3];
    for (size_t t = 0; t < 3; t++)
        assert_int_equal(loom_pool_create(&pools[t], threads[t]), LOOM_OK);
    /* Big enough for the blocked bit reversal, several cache blocks and split later layers;
     * odd column counts for the scalar tails of the vector loops. */
    static const struct {
        unsigned log_rows;
        size_t cols;
        unsigned added_bits;
    } cases[] = {{0, 5, 1}, {1, 3, 0}, {3, 1, 2}, {8, 7, 1}, {12, 64, 1}, {11, 33, 3}, {14, 9, 0}, {16, 1, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const size_t rows = (size_t)1 << cases[k].log_rows, cols = cases[k].cols, big = rows << cases[k].added_bits;
        uint32_t *in = random_matrix(&rng, f->p, rows * cols);
        uint32_t *ref = malloc(big * cols * sizeof *ref), *got = malloc(big * cols * sizeof *got);
        assert_non_null(ref);
        assert_non_null(got);
        /* Reference: scalar rows, caller only. */
        assert_int_equal(loom_simd_select(LOOM_SIMD_SCALAR), LOOM_OK);
        for (int shift_kind = 0; shift_kind < 2; shift_kind++) {
            uint32_t shift = shift_kind ? f->generator : 0;
            assert_int_equal(loom_simd_select(LOOM_SIMD_SCALAR), LOOM_OK);
            assert_int_equal(loom_coset_lde_batch_pool(NULL, f, ref, in, rows, cols, cases[k].added_bits, shift),
                             LOOM_OK);
            assert_int_equal(loom_simd_select(level), LOOM_OK);
            for (size_t t = 0; t < 4; t++) {
                loom_pool *pool = t ? pools[t - 1] : NULL;
                memset(got, 0xff, big * cols * sizeof *got);
                assert_int_equal(loom_coset_lde_batch_pool(pool, f, got, in, rows, cols, cases[k].added_bits, shift),
                                 LOOM_OK);
                if (memcmp(ref, got, big * cols * sizeof *got) != 0)
                    fail_msg("coset LDE 2^%u x %zu, blowup 2^%u, shift %u, %s, %u threads differs from scalar, 1 "
                             "thread", cases[k].log_rows, cols, cases[k].added_bits, shift, loom_simd_name(level),
                             loom_pool_threads(pool));
            }
        }
        /* Forward DFT and bit reversal, in place. */
        assert_int_equal(loom_simd_select(LOOM_SIMD_SCALAR), LOOM_OK);
        memcpy(ref, in, rows * cols * sizeof *ref);
        assert_int_equal(loom_dft_batch_pool(NULL, f, ref, rows, cols), LOOM_OK);
        assert_int_equal(loom_simd_select(level), LOOM_OK);
        for (size_t t = 0; t < 4; t++) {
            loom_pool *pool = t ? pools[t - 1] : NULL;
            memcpy(got, in, rows * cols * sizeof *got);
            assert_int_equal(loom_dft_batch_pool(pool, f, got, rows, cols), LOOM_OK);
            if (memcmp(ref, got, rows * cols * sizeof *got) != 0)
                fail_msg("DFT 2^%u x %zu, %s, %u threads differs from scalar, 1 thread", cases[k].log_rows, cols,
                         loom_simd_name(level), loom_pool_threads(pool));
        }
        memcpy(ref, in, rows * cols * sizeof *ref);
        assert_int_equal(loom_bit_reverse_rows(ref, rows, cols), LOOM_OK);
        for (size_t t = 1; t < 4; t++) {
            memcpy(got, in, rows * cols * sizeof *got);
            assert_int_equal(loom_bit_reverse_rows_pool(pools[t - 1], got, rows, cols), LOOM_OK);
            assert_memory_equal(ref, got, rows * cols * sizeof *got);
        }
        free(in);
        free(ref);
        free(got);
    }
    for (size_t t = 0; t < 3; t++)
        loom_pool_destroy(pools[t]);
}

/* ---- loom_commit: the same root at every thread count and level */

static loom_ctx *ctx_with_threads(unsigned threads)
{
    loom_config *cfg = NULL;
    assert_int_equal(loom_config_load_default(&cfg), LOOM_OK);
    cfg->cpu_threads = (int)threads;
    loom_ctx *ctx = NULL;
    assert_int_equal(loom_ctx_create(&ctx, cfg), LOOM_OK);
    loom_config_free(cfg);
    assert_int_equal(loom_ctx_device(ctx, 0)->threads, threads);
    return ctx;
}

static void check_commit_roots(loom_simd_level level)
{
    const loom_field *f = loom_field_get(LOOM_FIELD_BABYBEAR);
    test_rng rng = {test_seed() ^ 0xc0111};
    /* Two traces of different heights: the tree injects the short one mid-way. */
    const size_t rows0 = (size_t)1 << 12, cols0 = 19, rows1 = (size_t)1 << 9, cols1 = 8;
    uint32_t *t0 = random_matrix(&rng, f->p, rows0 * cols0), *t1 = random_matrix(&rng, f->p, rows1 * cols1);
    loom_matrix_view traces[2] = {{t0, rows0, cols0}, {t1, rows1, cols1}};
    for (unsigned log_blowup = 1; log_blowup <= 2; log_blowup++) {
        loom_commit_params params = {LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, log_blowup, "cpu0"};
        loom_digest ref, got;
        assert_int_equal(loom_simd_select(LOOM_SIMD_SCALAR), LOOM_OK);
        loom_ctx *one = ctx_with_threads(1);
        assert_int_equal(loom_commit(one, &ref, NULL, &params, traces, 2), LOOM_OK);
        loom_ctx_destroy(one);
        /* And the Merkle reference that does not go through the device at all. */
        assert_int_equal(loom_simd_select(level), LOOM_OK);
        static const unsigned threads[] = {1, 2, 3, 7};
        for (size_t t = 0; t < 4; t++) {
            loom_ctx *ctx = ctx_with_threads(threads[t]);
            assert_int_equal(loom_commit(ctx, &got, NULL, &params, traces, 2), LOOM_OK);
            loom_ctx_destroy(ctx);
            if (memcmp(&ref, &got, sizeof ref) != 0)
                fail_msg("commit root at %s, %u threads, blowup 2^%u differs from scalar, 1 thread",
                         loom_simd_name(level), threads[t], log_blowup);
        }
    }
    free(t0);
    free(t1);
}

static void run_level(loom_simd_level level)
{
    if (!loom_cpu_kernels_for(level)) {
        printf("SKIPPED: SIMD level %s: this CPU or build does not run it\n", loom_simd_name(level));
        skip();
    }
    check_split_ops(level);
    check_commit_roots(level);
    assert_int_equal(loom_simd_select(loom_simd_best()), LOOM_OK);
}

static void test_level_scalar(void **state) { (void)state, run_level(LOOM_SIMD_SCALAR); }
static void test_level_avx2(void **state) { (void)state, run_level(LOOM_SIMD_AVX2); }
static void test_level_avx512(void **state) { (void)state, run_level(LOOM_SIMD_AVX512); }
static void test_level_neon(void **state) { (void)state, run_level(LOOM_SIMD_NEON); }

/* The NTT row loops follow the active level (so forcing scalar really runs scalar loops). */
static void test_rows_follow_level(void **state)
{
    (void)state;
    for (unsigned l = 0; l < LOOM_SIMD_LEVELS; l++) {
        if (!loom_cpu_kernels_for((loom_simd_level)l))
            continue;
        assert_int_equal(loom_simd_select((loom_simd_level)l), LOOM_OK);
        assert_string_equal(loom_ntt_rows_active()->name, loom_simd_name((loom_simd_level)l));
    }
    assert_int_equal(loom_simd_select(loom_simd_best()), LOOM_OK);
}

/* cpu.simd in the config: a level this CPU lacks fails context creation, naming the source. */
static void test_config_simd(void **state)
{
    if (getenv("LOOM_SIMD") && getenv("LOOM_SIMD")[0]) {
        /* LOOM_SIMD overrides cpu.simd by design, so the config cannot be what is tested. */
        print_message("SKIPPED: LOOM_SIMD is set, and it overrides the config's cpu.simd\n");
        skip();
    }
    (void)state;
#if defined(__aarch64__)
    const char *absent = "avx512";
#else
    const char *absent = "neon";
#endif
    char text[128];
    snprintf(text, sizeof text, "version: 1\ncpu:\n  simd: %s\n", absent);
    loom_config *cfg = NULL;
    assert_int_equal(loom_config_parse(&cfg, text, strlen(text), "absent.yaml"), LOOM_OK);
    assert_string_equal(cfg->cpu_simd, absent);
    loom_ctx *ctx = NULL;
    assert_int_not_equal(loom_ctx_create(&ctx, cfg), LOOM_OK);
    char want[64];
    snprintf(want, sizeof want, "this CPU has no %s", absent);
    if (!strstr(loom_last_error(), "absent.yaml: cpu.simd: ") || !strstr(loom_last_error(), want))
        fail_msg("unexpected message: %s", loom_last_error());
    loom_config_free(cfg);

    const char *bad = "version: 1\ncpu: {simd: sse9}\n";
    assert_int_equal(loom_config_parse(&cfg, bad, strlen(bad), "bad.yaml"), LOOM_ERR_CONFIG);
    assert_non_null(strstr(loom_last_error(), "bad.yaml:2:13: invalid cpu.simd 'sse9'"));

    /* scalar always runs, and the context reports it. */
    const char *sc = "version: 1\ncpu: {simd: scalar, threads: 3}\n";
    assert_int_equal(loom_config_parse(&cfg, sc, strlen(sc), "scalar.yaml"), LOOM_OK);
    assert_int_equal(loom_ctx_create(&ctx, cfg), LOOM_OK);
    assert_string_equal(loom_ctx_device(ctx, 0)->simd_in_use, "scalar");
    assert_int_equal(loom_ctx_device(ctx, 0)->threads, 3);
    loom_ctx_destroy(ctx);
    loom_config_free(cfg);
    assert_int_equal(loom_simd_select(loom_simd_best()), LOOM_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_every_index_once),
        cmocka_unit_test(test_pool_nested),
        cmocka_unit_test(test_threads_plan),
        cmocka_unit_test(test_rows_follow_level),
        cmocka_unit_test(test_config_simd),
        cmocka_unit_test(test_level_scalar),
        cmocka_unit_test(test_level_avx2),
        cmocka_unit_test(test_level_avx512),
        cmocka_unit_test(test_level_neon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
