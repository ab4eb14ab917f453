/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CUDA driver against the CPU reference, bit for bit. Without a GPU this program prints
 * "SKIPPED: ..." with the reason and exits 77, which ctest reports as a skipped test.
 */
#include <string.h>

#include "internal/ctx.h"
#include "test_util.h"

/* LOOM_TEST_QUICK=1 (used under compute-sanitizer, which is slow) leaves out the large sizes. */
static int quick(void) { return getenv("LOOM_TEST_QUICK") != NULL; }

static loom_ctx *ctx;
static loom_device *gpu, *cpu;

static uint32_t *rand_matrix(test_rng *rng, size_t n, uint32_t p)
{
    uint32_t *m = malloc(n * sizeof *m + 4);
    for (size_t i = 0; i < n; i++)
        m[i] = test_element(rng, p);
    return m;
}

static void check_lde(const loom_field *f, test_rng *rng, unsigned logn, size_t cols, unsigned bits, int bitrev)
{
    size_t n = (size_t)1 << logn, m = n << bits;
    uint32_t *in = rand_matrix(rng, n * cols, f->p);
    uint32_t *want = malloc(m * cols * 4 + 4), *got = malloc(m * cols * 4 + 4);
    uint32_t shift = test_element(rng, f->p - 1) + 1;
    assert_int_equal(cpu->driver->ops->coset_lde(cpu, want, f, in, n, cols, bits, shift, bitrev), LOOM_OK);
    memset(got, 0xff, m * cols * 4);
    assert_int_equal(gpu->driver->ops->coset_lde(gpu, got, f, in, n, cols, bits, shift, bitrev), LOOM_OK);
    if (memcmp(want, got, m * cols * 4) != 0)
        fail_msg("%s LDE 2^%u x %zu by 2^%u (bitrev %d, shift %u) differs from the CPU", f->name, logn, cols, bits,
                 bitrev, shift);
    free(in), free(want), free(got);
}

static void test_lde_all_sizes(void **state)
{
    (void)state;
    test_rng rng = {test_seed()};
    static const size_t widths[] = {1, 3, 8, 9, 17, 64};
    for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++) {
        const loom_field *f = loom_field_get((loom_field_id)fi);
        for (unsigned logn = 0; logn <= (quick() ? 12u : 20u); logn++) {
            size_t cols = widths[logn % 6];
            if (logn > 16 && cols > 8)
                cols = 8;
            check_lde(f, &rng, logn, cols, logn % 4, (logn & 1) == 0);
            check_lde(f, &rng, logn, 1 + logn % 5, 0, 1);
        }
    }
}

static void test_lde_large(void **state)
{
    (void)state;
    if (quick())
        skip();
    test_rng rng = {test_seed() + 1};
    const loom_field *bb = loom_field_get(LOOM_FIELD_BABYBEAR), *kb = loom_field_get(LOOM_FIELD_KOALABEAR);
    check_lde(bb, &rng, 24, 1, 1, 1); /* 2^24 -> 2^25 */
    check_lde(kb, &rng, 24, 1, 0, 1); /* KoalaBear's largest size */
    check_lde(kb, &rng, 22, 3, 2, 0);
}

static void test_hash_and_compress(void **state)
{
    (void)state;
    test_rng rng = {test_seed() + 2};
    for (size_t i = 0; i < loom_poseidon2_count(); i++) {
        const loom_poseidon2 *perm = loom_poseidon2_at(i);
        if (perm->width != 16)
            continue;
        const loom_field *f = loom_field_get(perm->field);
        for (size_t cols = 1; cols <= 64; cols += (cols < 17 ? 1 : 15)) {
            size_t rows = 1 + (cols * 37) % 300;
            uint32_t *m = rand_matrix(&rng, rows * cols, f->p), *m2 = rand_matrix(&rng, rows * 3, f->p);
            loom_matrix_view v[2] = {{m, rows, cols}, {m2, rows, 3}};
            loom_digest *want = malloc(rows * sizeof *want), *got = malloc(rows * sizeof *got);
            for (size_t nv = 1; nv <= 2; nv++) {
                assert_int_equal(cpu->driver->ops->hash_rows(cpu, want, perm, v, nv, 0, rows), LOOM_OK);
                assert_int_equal(gpu->driver->ops->hash_rows(gpu, got, perm, v, nv, 0, rows), LOOM_OK);
                if (memcmp(want, got, rows * sizeof *want) != 0)
                    fail_msg("%s: GPU leaf hash of %zu x %zu (+%zu views) differs", perm->name, rows, cols, nv - 1);
            }
            size_t n_out = rows / 2;
            if (n_out) {
                assert_int_equal(cpu->driver->ops->compress(cpu, want, perm, got, n_out), LOOM_OK);
                assert_int_equal(gpu->driver->ops->compress(gpu, got + rows - n_out, perm, got, n_out), LOOM_OK);
                if (memcmp(want, got + rows - n_out, n_out * sizeof *want) != 0)
                    fail_msg("%s: GPU compression of %zu pairs differs", perm->name, n_out);
            }
            free(m), free(m2), free(want), free(got);
        }
    }
}

static void commit_both(const loom_commit_params *base, const loom_matrix_view *v, size_t n)
{
    loom_commit_params pc = *base, pg = *base;
    pc.device = cpu->info.id;
    pg.device = gpu->info.id;
    loom_digest want, got;
    assert_int_equal(loom_commit(ctx, &want, NULL, &pc, v, n), LOOM_OK);
    loom_commit_report rep;
    if (loom_commit(ctx, &got, &rep, &pg, v, n) != LOOM_OK)
        fail_msg("GPU commit failed: %s", loom_last_error());
    if (memcmp(&want, &got, sizeof want) != 0)
        fail_msg("GPU root differs from the CPU root: field %d perm %d blowup %u, %zu traces, first %zu x %zu",
                 (int)base->field, (int)base->perm, base->log_blowup, n, v[0].rows, v[0].cols);
}

static void test_commit_roots(void **state)
{
    (void)state;
    test_rng rng = {test_seed() + 3};
    static const size_t widths[] = {1, 7, 8, 9, 16, 33, 64};
    for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++) {
        const loom_field *f = loom_field_get((loom_field_id)fi);
        for (int pf = 0; pf < 2; pf++) {
            for (unsigned logn = 0; logn <= 14; logn += 2) {
                size_t cols = widths[(logn / 2 + pf) % 7];
                uint32_t *m = rand_matrix(&rng, ((size_t)1 << logn) * cols, f->p);
                loom_matrix_view v = {m, (size_t)1 << logn, cols};
                loom_commit_params p = {(loom_field_id)fi, (loom_perm_family)pf, logn % 4, NULL};
                commit_both(&p, &v, 1);
                free(m);
            }
            /* several traces of several heights: the injection rule */
            static const size_t shapes[][2] = {{64, 5}, {16, 9}, {64, 1}, {1, 3}, {32, 8}, {16, 2}};
            uint32_t *d[6];
            loom_matrix_view v[6];
            for (int t = 0; t < 6; t++) {
                d[t] = rand_matrix(&rng, shapes[t][0] * shapes[t][1], f->p);
                v[t] = (loom_matrix_view){d[t], shapes[t][0], shapes[t][1]};
            }
            for (unsigned b = 0; b <= 2; b++) {
                loom_commit_params p = {(loom_field_id)fi, (loom_perm_family)pf, b, NULL};
                commit_both(&p, v, 6);
            }
            for (int t = 0; t < 6; t++)
                free(d[t]);
        }
    }
    /* The reference commit of shared/kat/merkle_sponge_spec.txt, on the GPU. */
    uint32_t e[12];
    for (uint32_t i = 0; i < 12; i++)
        e[i] = i + 1;
    loom_matrix_view v = {e, 4, 3};
    loom_commit_params p = {LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 1, gpu->info.id};
    loom_digest root;
    assert_int_equal(loom_commit(ctx, &root, NULL, &p, &v, 1), LOOM_OK);
    static const uint32_t want[8] = {909485373, 1418142165, 442560074, 1116996006,
                                     233656064, 836647449,  572574795, 1965068526};
    assert_memory_equal(root.v, want, sizeof want);
}

static void test_commit_larger(void **state)
{
    (void)state;
    if (quick())
        skip();
    test_rng rng = {test_seed() + 4};
    const loom_field *f = loom_field_get(LOOM_FIELD_BABYBEAR);
    size_t rows = (size_t)1 << 18, cols = 32;
    uint32_t *m = rand_matrix(&rng, rows * cols, f->p);
    loom_matrix_view v = {m, rows, cols};
    loom_commit_params p = {LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 1, NULL};
    commit_both(&p, &v, 1);
    free(m);
}

/*
 * GPUs for the multi-GPU commit: the machine's, and where it has fewer than `want`, more handles
 * on its GPUs (each with its own streams and buffers; the peer copies between two handles of one
 * GPU are device copies), so that the splitting, the exchange and the chain run on any GPU
 * machine. The scheduler is rebuilt for the added devices.
 */
static size_t gpu_group(size_t want)
{
    size_t have = 0;
    for (size_t i = 0; i < ctx->n_devices; i++)
        have += ctx->devices[i].info.kind == LOOM_DEVICE_GPU;
    size_t real = have;
    while (have < want) {
        loom_device *d = &ctx->devices[ctx->n_devices];
        const loom_device *src = NULL;
        for (size_t i = 0, k = 0; i < ctx->n_devices && !src; i++)
            if (ctx->devices[i].info.kind == LOOM_DEVICE_GPU && k++ == have % real)
                src = &ctx->devices[i];
        if (!src)
            fail_msg("no GPU in the context to open a second handle on");
        char id[LOOM_DEVICE_ID_MAX];
        snprintf(id, sizeof id, "%.20s_h%zu", src->info.id, have);
        *d = *src;
        d->impl = NULL;
        memcpy(d->info.id, id, sizeof id);
        if (d->driver->open(d) != LOOM_OK)
            fail_msg("cannot open a second handle on %s: %s", src->info.id, loom_last_error());
        ctx->n_devices++;
        have++;
    }
    loom_ctx_sched_close(ctx);
    assert_int_equal(loom_ctx_sched_open(ctx), LOOM_OK);
    return real;
}

/* One trace (or several of one height) over 2 and 4 GPUs, both modes, against the CPU root. */
static void test_commit_multi(void **state)
{
    (void)state;
    test_rng rng = {test_seed() + 5};
    size_t real = gpu_group(4);
    printf("# multi-GPU commits over %zu GPU(s)%s\n", real, real < 4 ? " plus extra handles on them" : "");
    static const size_t widths[] = {1, 8, 9, 20, 33, 64};
    for (int mode = LOOM_MULTI_GPU_EXCHANGE; mode <= LOOM_MULTI_GPU_CHAIN; mode++)
        for (unsigned g = 2; g <= 4; g *= 2) {
            ctx->settings.multi_gpu = (loom_multi_gpu_mode)mode;
            ctx->settings.max_gpus = g;
            for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++) {
                const loom_field *f = loom_field_get((loom_field_id)fi);
                for (unsigned logn = 0; logn <= (quick() ? 10u : 16u); logn += 2) {
                    unsigned bits = (logn / 2 + g) % 3;
                    if (((size_t)1 << (logn + bits)) < g)
                        bits = 2;
                    size_t rows = (size_t)1 << logn, n_tr = 1 + logn % 3;
                    uint32_t *d[3];
                    loom_matrix_view v[3];
                    for (size_t t = 0; t < n_tr; t++) {
                        size_t cols = widths[(logn / 2 + t + (size_t)mode) % 6];
                        d[t] = rand_matrix(&rng, rows * cols, f->p);
                        v[t] = (loom_matrix_view){d[t], rows, cols};
                    }
                    loom_commit_params pc = {(loom_field_id)fi, (loom_perm_family)(logn / 2 % 2), bits, cpu->info.id};
                    loom_commit_params pg = pc;
                    pg.device = NULL;
                    loom_digest want, got;
                    loom_commit_report rep;
                    assert_int_equal(loom_commit(ctx, &want, NULL, &pc, v, n_tr), LOOM_OK);
                    /* A fresh model: with nothing measured the whole group takes the job (the
                     * choice itself is test_sched's test_multi_gpu_count). */
                    loom_ctx_sched_close(ctx);
                    assert_int_equal(loom_ctx_sched_open(ctx), LOOM_OK);
                    if (loom_commit(ctx, &got, &rep, &pg, v, n_tr) != LOOM_OK)
                        fail_msg("multi-GPU commit failed: %s", loom_last_error());
                    if (rep.multi_gpus != g)
                        fail_msg("the commit of 2^%u x %zu (blowup 2^%u) ran on %u GPU(s), expected %u (%s)", logn,
                                 v[0].cols, bits, rep.multi_gpus, g, loom_multi_gpu_name((loom_multi_gpu_mode)mode));
                    if (memcmp(&want, &got, sizeof want) != 0)
                        fail_msg("%s root over %u GPUs differs from the CPU: %s, 2^%u rows, %zu traces, blowup 2^%u",
                                 loom_multi_gpu_name((loom_multi_gpu_mode)mode), g, f->name, logn, n_tr, bits);
                    for (size_t t = 0; t < n_tr; t++)
                        free(d[t]);
                }
            }
        }
    ctx->settings.multi_gpu = LOOM_MULTI_GPU_EXCHANGE;
    ctx->settings.max_gpus = 0;
}

int main(void)
{
    if (loom_ctx_create(&ctx, NULL) != LOOM_OK) {
        printf("FAILED: cannot create a context: %s\n", loom_last_error());
        return 1;
    }
    for (size_t i = 0; i < ctx->n_devices; i++) {
        if (!gpu && ctx->devices[i].info.kind == LOOM_DEVICE_GPU)
            gpu = &ctx->devices[i];
        if (!cpu && ctx->devices[i].info.kind == LOOM_DEVICE_CPU)
            cpu = &ctx->devices[i];
    }
    if (!gpu) {
        char notes[1024] = "";
        loom_device_info all[64];
        size_t n;
        if (loom_devices_discover(all, 64, &n, notes, sizeof notes) != LOOM_OK)
            snprintf(notes, sizeof notes, "%s", loom_last_error());
        printf("SKIPPED: no GPU, so the CUDA tests did not run (%s)\n", notes);
        loom_ctx_destroy(ctx);
        return 77;
    }
    printf("# GPU tests on %s: %s, %u SMs\n", gpu->info.id, gpu->info.name, gpu->info.compute_units);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lde_all_sizes),   cmocka_unit_test(test_lde_large),
        cmocka_unit_test(test_hash_and_compress), cmocka_unit_test(test_commit_roots),
        cmocka_unit_test(test_commit_larger),
        /* last: it adds GPU handles to the context */
        cmocka_unit_test(test_commit_multi),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    loom_ctx_destroy(ctx);
    return rc;
}
