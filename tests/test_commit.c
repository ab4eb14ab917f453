/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "loom/loom.h"
#include "test_util.h"

static loom_ctx *ctx;

static int setup(void **state)
{
    (void)state;
    return loom_ctx_create(&ctx, NULL) == LOOM_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    loom_ctx_destroy(ctx);
    return 0;
}

/* shared/kat/merkle_sponge_spec.txt "Reference commit examples": 4x3, E[r][c] = 3r+c+1, blowup 1. */
static void test_reference_commits(void **state)
{
    (void)state;
    uint32_t e[12];
    for (uint32_t r = 0; r < 4; r++)
        for (uint32_t c = 0; c < 3; c++)
            e[3 * r + c] = 3 * r + c + 1;
    static const struct {
        loom_field_id f;
        loom_perm_family p;
        uint32_t root[8];
    } cases[] = {
        {LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, {909485373, 1418142165, 442560074, 1116996006, 233656064, 836647449, 572574795, 1965068526}},
        {LOOM_FIELD_BABYBEAR, LOOM_PERM_SP1, {1314206058, 1189366365, 204683156, 921308446, 50088845, 536826296, 1197136048, 56182991}},
        {LOOM_FIELD_KOALABEAR, LOOM_PERM_PLONKY3, {919837700, 1054332979, 1961324481, 937547721, 215717770, 1795501513, 1811854441, 553340774}},
        {LOOM_FIELD_KOALABEAR, LOOM_PERM_SP1, {1054447952, 141047440, 336740667, 1411747757, 30030221, 1846671317, 653383314, 615268379}},
    };
    loom_matrix_view v = {e, 4, 3};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        loom_commit_params params = {cases[i].f, cases[i].p, 1, NULL};
        loom_digest root;
        loom_commit_report rep;
        assert_int_equal(loom_commit(ctx, &root, &rep, &params, &v, 1), LOOM_OK);
        assert_memory_equal(root.v, cases[i].root, sizeof root.v);
        assert_int_equal(rep.lde_rows, 8);
        /* 8 leaves of 3 columns: 8 absorptions, then 4 + 2 + 1 compressions */
        assert_int_equal(rep.permutations, 8 + 7);
        assert_string_equal(rep.devices[0].id, "cpu0");
    }
}

/* The commit equals its definition composed from the public pieces, for several traces at once. */
static void test_commit_is_lde_bitrev_tree(void **state)
{
    (void)state;
    test_rng rng = {test_seed()};
    for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++) {
        const loom_field *f = loom_field_get((loom_field_id)fi);
        for (unsigned blowup = 0; blowup <= 2; blowup++) {
            static const size_t shapes[3][2] = {{32, 7}, {8, 17}, {32, 1}};
            uint32_t *tr[3], *lde[3];
            loom_matrix_view tv[3], lv[3];
            for (int m = 0; m < 3; m++) {
                size_t rows = shapes[m][0], cols = shapes[m][1];
                tr[m] = malloc(rows * cols * 4);
                lde[m] = malloc((rows << blowup) * cols * 4);
                for (size_t i = 0; i < rows * cols; i++)
                    tr[m][i] = test_element(&rng, f->p);
                assert_int_equal(loom_coset_lde_batch(f, lde[m], tr[m], rows, cols, blowup, f->generator), LOOM_OK);
                assert_int_equal(loom_bit_reverse_rows(lde[m], rows << blowup, cols), LOOM_OK);
                tv[m] = (loom_matrix_view){tr[m], rows, cols};
                lv[m] = (loom_matrix_view){lde[m], rows << blowup, cols};
            }
            const loom_poseidon2 *perm;
            assert_int_equal(loom_poseidon2_get(&perm, f->id, LOOM_PERM_PLONKY3, 16), LOOM_OK);
            loom_merkle_tree *t;
            assert_int_equal(loom_merkle_tree_build(&t, perm, lv, 3), LOOM_OK);
            loom_digest want = loom_merkle_tree_root(t), got;
            loom_merkle_tree_free(t);
            loom_commit_params params = {f->id, LOOM_PERM_PLONKY3, blowup, NULL};
            assert_int_equal(loom_commit(ctx, &got, NULL, &params, tv, 3), LOOM_OK);
            assert_memory_equal(&got, &want, sizeof got);
            for (int m = 0; m < 3; m++) {
                free(tr[m]);
                free(lde[m]);
            }
        }
    }
}

static void test_commit_errors(void **state)
{
    (void)state;
    uint32_t e[24] = {0};
    loom_digest root;
    loom_commit_params params = {LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 1, NULL};
    loom_matrix_view v = {e, 6, 4};
    assert_int_equal(loom_commit(ctx, &root, NULL, &params, &v, 1), LOOM_ERR_SIZE);
    assert_non_null(strstr(loom_last_error(), "power of two"));
    v.rows = 4;
    e[13] = 0x78000001u;
    assert_int_equal(loom_commit(ctx, &root, NULL, &params, &v, 1), LOOM_ERR_NOT_CANONICAL);
    assert_non_null(strstr(loom_last_error(), "row 3, column 1"));
    e[13] = 0;
    {
        /* A large trace is scanned by several threads: the first bad value is still the one
         * named, wherever the parts split, and one in the last element is found. */
        size_t rows = (size_t)1 << 20, cols = 8, n = rows * cols;
        uint32_t *t = calloc(n, sizeof *t);
        assert_non_null(t);
        loom_matrix_view lv = {t, rows, cols};
        const size_t at[][2] = {{n - 1, 0}, {3000001, 7000000}, {5, 6000000}, {4194303, 4194304}};
        for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
            t[at[k][0]] = 0x78000001u + (uint32_t)k;
            if (at[k][1])
                t[at[k][1]] = 0xffffffffu;
            char want[64];
            snprintf(want, sizeof want, "value %u at row %zu, column %zu", 0x78000001u + (unsigned)k,
                     at[k][0] / cols, at[k][0] % cols);
            assert_int_equal(loom_commit(ctx, &root, NULL, &params, &lv, 1), LOOM_ERR_NOT_CANONICAL);
            if (!strstr(loom_last_error(), want))
                fail_msg("'%s' does not say '%s'", loom_last_error(), want);
            t[at[k][0]] = 0;
            if (at[k][1])
                t[at[k][1]] = 0;
        }
        free(t);
    }
    params.log_blowup = 9;
    assert_int_equal(loom_commit(ctx, &root, NULL, &params, &v, 1), LOOM_ERR_INVALID_ARG);
    params.log_blowup = 1;
    params.field = (loom_field_id)5;
    assert_int_equal(loom_commit(ctx, &root, NULL, &params, &v, 1), LOOM_ERR_INVALID_ARG);
    params.field = LOOM_FIELD_KOALABEAR;
    static uint32_t big;
    loom_matrix_view huge = {&big, (size_t)1 << 24, 1}; /* 2^24 * 2 exceeds KoalaBear's 2^24: rejected before reading */
    assert_int_equal(loom_commit(ctx, &root, NULL, &params, &huge, 1), LOOM_ERR_SIZE);
    assert_non_null(strstr(loom_last_error(), "two-adicity"));
}

static void test_ctx_devices(void **state)
{
    (void)state;
    assert_true(loom_ctx_device_count(ctx) >= 1);
    const loom_device_info *d = loom_ctx_device(ctx, 0);
    assert_string_equal(d->id, "cpu0");
    assert_int_equal(d->kind, LOOM_DEVICE_CPU);
    assert_true(d->compute_units >= 1);
    assert_null(loom_ctx_device(ctx, 99));

    /* A listed device that is absent is an error naming the line, unless optional. */
    const char *yaml = "version: 1\ndevices:\n  - id: cpu0\n    kind: cpu\n  - id: gpu99\n    kind: gpu\n    index: 99\n";
    loom_config *cfg;
    assert_int_equal(loom_config_parse(&cfg, yaml, strlen(yaml), "mix.yaml"), LOOM_OK);
    loom_ctx *c2 = NULL;
    assert_int_equal(loom_ctx_create(&c2, cfg), LOOM_ERR_NOT_FOUND);
    assert_non_null(strstr(loom_last_error(), "mix.yaml:5"));
    assert_non_null(strstr(loom_last_error(), "'gpu99' not found matching index 99"));
    loom_config_free(cfg);
    const char *yaml2 = "version: 1\ndevices:\n  - id: cpu0\n    kind: cpu\n  - id: gpu99\n    kind: gpu\n    index: 99\n    optional: true\n";
    assert_int_equal(loom_config_parse(&cfg, yaml2, strlen(yaml2), "mix.yaml"), LOOM_OK);
    assert_int_equal(loom_ctx_create(&c2, cfg), LOOM_OK);
    assert_int_equal(loom_ctx_device_count(c2), 1); /* cpu0 only: an absent optional device is skipped */
    loom_ctx_destroy(c2);
    loom_config_free(cfg);
}

/* Several CPU devices share the cores; the config's ids name them; oversubscription is refused. */
static void test_ctx_cpu_devices(void **state)
{
    (void)state;
    unsigned cores = loom_ctx_device(ctx, 0)->compute_units;
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "version: 1\ndevices:\n  - {id: big, kind: cpu, threads: %u}\n  - {id: small, kind: cpu}\n",
             cores > 1 ? cores - 1 : 1);
    loom_config *cfg;
    loom_ctx *c2 = NULL;
    assert_int_equal(loom_config_parse(&cfg, yaml, strlen(yaml), "cpus.yaml"), LOOM_OK);
    if (cores > 1) {
        assert_int_equal(loom_ctx_create(&c2, cfg), LOOM_OK);
        assert_int_equal(loom_ctx_device_count(c2), 2);
        assert_string_equal(loom_ctx_device(c2, 0)->id, "big");
        assert_int_equal(loom_ctx_device(c2, 0)->threads, cores - 1);
        assert_string_equal(loom_ctx_device(c2, 1)->id, "small");
        assert_int_equal(loom_ctx_device(c2, 1)->threads, 1);
        assert_int_equal(loom_ctx_device(c2, 1)->kind, LOOM_DEVICE_CPU);
        loom_ctx_destroy(c2);
    } else {
        /* one core: 'big' takes it and leaves none for 'small' */
        assert_int_equal(loom_ctx_create(&c2, cfg), LOOM_ERR_CONFIG);
    }
    loom_config_free(cfg);

    snprintf(yaml, sizeof yaml, "version: 1\ndevices:\n  - {id: a, kind: cpu, threads: %u}\n"
             "  - {id: b, kind: cpu, threads: 1}\n", cores);
    assert_int_equal(loom_config_parse(&cfg, yaml, strlen(yaml), "cpus.yaml"), LOOM_OK);
    assert_int_equal(loom_ctx_create(&c2, cfg), LOOM_ERR_CONFIG);
    assert_non_null(strstr(loom_last_error(), "more than the"));
    loom_config_free(cfg);

    /* A filter nothing matches is "not found" and says which filter. */
    const char *y3 = "version: 1\ndevices:\n  - {id: c, kind: cpu, match: NoSuchCpuModel}\n";
    assert_int_equal(loom_config_parse(&cfg, y3, strlen(y3), "cpus.yaml"), LOOM_OK);
    assert_int_equal(loom_ctx_create(&c2, cfg), LOOM_ERR_NOT_FOUND);
    assert_non_null(strstr(loom_last_error(), "cpus.yaml:3: device 'c' not found matching name ~ 'NoSuchCpuModel'"));
    loom_config_free(cfg);

    /* $LOOM_THREADS reaches programs that use the library directly, over the file's cpu.threads */
    const char *y4 = "version: 1\ncpu: {threads: 2}\ndevices: [{id: c, kind: cpu}]\n";
    assert_int_equal(loom_config_parse(&cfg, y4, strlen(y4), "t.yaml"), LOOM_OK);
    setenv("LOOM_THREADS", "1", 1);
    assert_int_equal(loom_ctx_create(&c2, cfg), LOOM_OK);
    assert_int_equal(loom_ctx_device(c2, 0)->threads, 1);
    loom_ctx_destroy(c2);
    setenv("LOOM_THREADS", "lots", 1);
    assert_int_equal(loom_ctx_create(&c2, cfg), LOOM_ERR_CONFIG);
    assert_non_null(strstr(loom_last_error(), "LOOM_THREADS='lots'"));
    unsetenv("LOOM_THREADS");
    loom_config_free(cfg);
}

/* policy single picks by score x (1 - utilisation): of two equal devices, the idle one. */
static void test_single_picks_idle_device(void **state)
{
    (void)state;
    if (loom_ctx_device(ctx, 0)->compute_units < 2) {
        print_message("SKIPPED: two one-thread CPU devices need two cores\n");
        skip();
    }
    const char *yaml = "version: 1\nscheduler: {policy: single}\ndevices:\n  - {id: a, kind: cpu, threads: 1}\n"
                       "  - {id: b, kind: cpu, threads: 1}\n";
    loom_config *cfg;
    loom_ctx *c2;
    assert_int_equal(loom_config_parse(&cfg, yaml, strlen(yaml), "single.yaml"), LOOM_OK);
    assert_int_equal(loom_ctx_create(&c2, cfg), LOOM_OK);
    uint32_t e[64 * 4];
    for (uint32_t i = 0; i < 64 * 4; i++)
        e[i] = i * 7919u % 2013265921u;
    loom_matrix_view v = {e, 64, 4};
    loom_commit_params params = {LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 1, NULL};
    loom_digest r1, r2;
    loom_commit_report rep;
    /* idle and equal: the first; then it has been busy, so the other */
    assert_int_equal(loom_commit(c2, &r1, &rep, &params, &v, 1), LOOM_OK);
    assert_true(rep.devices[0].busy_s > 0 && rep.devices[1].busy_s == 0);
    assert_int_equal(loom_commit(c2, &r2, &rep, &params, &v, 1), LOOM_OK);
    assert_true(rep.devices[0].busy_s == 0 && rep.devices[1].busy_s > 0);
    assert_memory_equal(r1.v, r2.v, sizeof r1.v);
    loom_device_status ds;
    assert_int_equal(loom_ctx_device_status(c2, 0, 6, &ds), LOOM_OK);
    assert_true(ds.utilisation > 0 && ds.pick[LOOM_STAGE_LDE] < ds.score[LOOM_STAGE_LDE]);
    loom_ctx_destroy(c2);
    loom_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_commits),
        cmocka_unit_test(test_commit_is_lde_bitrev_tree),
        cmocka_unit_test(test_commit_errors),
        cmocka_unit_test(test_ctx_devices),
        cmocka_unit_test(test_ctx_cpu_devices),
        cmocka_unit_test(test_single_picks_idle_device),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
