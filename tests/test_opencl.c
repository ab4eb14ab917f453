/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OpenCL driver against the CPU reference, bit for bit: DFT, inverse DFT and coset LDE
 * (natural and bit-reversed rows) at every size 2^0..2^12 and widths 1, 7, 16, 33; leaf hashing
 * over one to three views at widths 1..24 and beyond; compression; both fields and every width-16
 * Poseidon2 instance; commit roots through a context; the program cache (hit, and a corrupt
 * entry rebuilt); precompiled binaries (round trip, and clear errors for foreign or broken
 * files); a broken kernel source reporting the compiler's log.
 *
 * Without an OpenCL device it prints "SKIPPED: ..." and exits 77. With --expect-no-platform (run
 * with OCL_ICD_VENDORS naming an empty folder) it checks instead that discovery finds zero
 * devices and says why, and that a context still opens.
 */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/opencl/opencl_internal.h"
#include "internal/ctx.h"
#include "internal/merkle_internal.h"
#include "internal/poseidon2_ref.h"
#include "loom/ntt.h"
#include "test_util.h"

static loom_device cl, cpu;
static char tmpdir[256];

static uint32_t *rand_matrix(test_rng *rng, size_t n, uint32_t p)
{
    uint32_t *m = malloc(n * sizeof *m + 4);
    for (size_t i = 0; i < n; i++)
        m[i] = test_element(rng, p);
    return m;
}

/* Opens the OpenCL device `info` (with `binary` as its config's program binary, or none). */
static loom_status open_cl(loom_device *dev, const loom_device_info *info, const char *binary)
{
    memset(dev, 0, sizeof *dev);
    dev->info = *info;
    dev->driver = &loom_driver_opencl;
    snprintf(dev->spec.id, sizeof dev->spec.id, "%s", info->id);
    dev->spec.kind = LOOM_DEVICE_OPENCL;
    if (binary) {
        snprintf(dev->spec.binary, sizeof dev->spec.binary, "%.255s", binary);
        dev->spec.line = 7;
    }
    return loom_driver_opencl.open(dev);
}

/* ------------------------------------------------------------------ NTT */

static void test_dft(void **state)
{
    (void)state;
    test_rng rng = {test_seed()};
    static const size_t widths[] = {1, 7, 16, 33};
    for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++) {
        const loom_field *f = loom_field_get((loom_field_id)fi);
        for (unsigned logn = 0; logn <= 12; logn++)
            for (size_t wi = 0; wi < 4; wi++) {
                const size_t n = (size_t)1 << logn, cols = widths[wi];
                for (int inv = 0; inv < 2; inv++) {
                    uint32_t *want = rand_matrix(&rng, n * cols, f->p), *got = malloc(n * cols * 4 + 4);
                    memcpy(got, want, n * cols * 4);
                    assert_int_equal(inv ? loom_idft_batch(f, want, n, cols) : loom_dft_batch(f, want, n, cols),
                                     LOOM_OK);
                    if (loom_opencl_dft(&cl, f, got, n, cols, inv) != LOOM_OK)
                        fail_msg("%s", loom_last_error());
                    if (memcmp(want, got, n * cols * 4) != 0)
                        fail_msg("%s %s 2^%u x %zu differs from the CPU", f->name, inv ? "inverse DFT" : "DFT",
                                 logn, cols);
                    free(want), free(got);
                }
            }
    }
}

static void check_lde(const loom_field *f, test_rng *rng, unsigned logn, size_t cols, unsigned bits, uint32_t shift,
                      int bitrev)
{
    const size_t n = (size_t)1 << logn, N = n << bits;
    uint32_t *in = rand_matrix(rng, n * cols, f->p);
    uint32_t *want = malloc(N * cols * 4 + 4), *got = malloc(N * cols * 4 + 4);
    assert_int_equal(cpu.driver->ops->coset_lde(&cpu, want, f, in, n, cols, bits, shift, bitrev), LOOM_OK);
    memset(got, 0xff, N * cols * 4);
    if (cl.driver->ops->coset_lde(&cl, got, f, in, n, cols, bits, shift, bitrev) != LOOM_OK)
        fail_msg("%s", loom_last_error());
    if (memcmp(want, got, N * cols * 4) != 0)
        fail_msg("%s LDE 2^%u x %zu by 2^%u (bitrev %d, shift %u) differs from the CPU", f->name, logn, cols, bits,
                 bitrev, shift);
    free(in), free(want), free(got);
}

static void test_lde(void **state)
{
    (void)state;
    test_rng rng = {test_seed() + 1};
    static const size_t widths[] = {1, 7, 16, 33};
    for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++) {
        const loom_field *f = loom_field_get((loom_field_id)fi);
        for (unsigned logn = 0; logn <= 12; logn++)
            for (size_t wi = 0; wi < 4; wi++) {
                const unsigned bits = (logn + (unsigned)wi) % 4;
                const uint32_t shift = test_element(&rng, f->p);
                check_lde(f, &rng, logn, widths[wi], bits, shift, (int)(wi & 1));
                check_lde(f, &rng, logn, widths[wi], bits ? 0 : 1, f->generator, (int)!(wi & 1));
            }
        /* the bounds of the shift: 0 (only c_0 survives) and 1 (a plain LDE) */
        check_lde(f, &rng, 5, 3, 2, 0, 0);
        check_lde(f, &rng, 5, 3, 2, 1, 1);
    }
}

static void test_lde_kat(void **state)
{
    (void)state;
    /* shared/kat/dft_convention.txt: coset_lde([1, 2, 3, 4], added_bits 1, shift 31), bit-reversed */
    const loom_field *bb = loom_field_get(LOOM_FIELD_BABYBEAR);
    const uint32_t in[4] = {1, 2, 3, 4};
    const uint32_t want[8] = {812971946, 1200293019, 1200264158, 813002729,
                              1583136595, 377777163, 1514882761, 550735333};
    uint32_t got[8];
    assert_int_equal(cl.driver->ops->coset_lde(&cl, got, bb, in, 4, 1, 1, 31, 1), LOOM_OK);
    assert_memory_equal(got, want, sizeof want);
}

static void test_bad_args(void **state)
{
    (void)state;
    const loom_field *f = loom_field_get(LOOM_FIELD_KOALABEAR);
    uint32_t buf[64] = {0};
    assert_int_equal(cl.driver->ops->coset_lde(&cl, buf, f, buf + 32, 3, 1, 0, 1, 0), LOOM_ERR_SIZE);
    assert_non_null(strstr(loom_last_error(), "not a power of two"));
    assert_int_equal(cl.driver->ops->coset_lde(&cl, buf, f, buf + 32, (size_t)1 << 20, 1, 5, 1, 0), LOOM_ERR_SIZE);
    assert_non_null(strstr(loom_last_error(), "two-adicity"));
    assert_int_equal(cl.driver->ops->coset_lde(&cl, buf, f, buf + 32, 4, 1, 0, f->p, 0), LOOM_ERR_INVALID_ARG);
    const loom_poseidon2 *w24;
    assert_int_equal(loom_poseidon2_get(&w24, LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 24), LOOM_OK);
    loom_digest d[2];
    assert_int_equal(cl.driver->ops->compress(&cl, d, w24, d, 1), LOOM_ERR_UNSUPPORTED);
    assert_non_null(strstr(loom_last_error(), "babybear-plonky3-24"));
}

/* ------------------------------------------------------------------ Poseidon2 */

static void test_hash_rows(void **state)
{
    (void)state;
    test_rng rng = {test_seed() + 2};
    for (size_t i = 0; i < loom_poseidon2_count(); i++) {
        const loom_poseidon2 *perm = loom_poseidon2_at(i);
        if (perm->width != 16)
            continue;
        const loom_field *f = loom_field_get(perm->field);
        for (size_t width = 1; width <= 70; width += width < 24 ? 1 : 23) {
            const size_t rows = 1 + (width * 37) % 90, row0 = width % 5;
            /* the width split over up to three views: all in one, then two, then three parts */
            for (size_t nv = 1; nv <= 3 && nv <= width; nv++) {
                size_t cols[3] = {width, 0, 0};
                if (nv == 2)
                    cols[0] = width / 2, cols[1] = width - width / 2;
                if (nv == 3)
                    cols[0] = 1, cols[1] = (width - 1) / 2, cols[2] = width - 1 - (width - 1) / 2;
                uint32_t *data[3];
                loom_matrix_view v[3];
                for (size_t k = 0; k < nv; k++) {
                    data[k] = rand_matrix(&rng, (rows + row0) * cols[k], f->p);
                    v[k] = (loom_matrix_view){data[k], rows + row0, cols[k]};
                }
                loom_digest *want = malloc(rows * sizeof *want), *got = malloc(rows * sizeof *got);
                assert_int_equal(loom_cpu_hash_rows(NULL, perm, want, v, nv, row0, rows), LOOM_OK);
                if (cl.driver->ops->hash_rows(&cl, got, perm, v, nv, row0, rows) != LOOM_OK)
                    fail_msg("%s", loom_last_error());
                if (memcmp(want, got, rows * sizeof *want) != 0)
                    fail_msg("%s: leaf hash of %zu rows x %zu columns in %zu views differs from the CPU",
                             perm->name, rows, width, nv);
                free(want), free(got);
                for (size_t k = 0; k < nv; k++)
                    free(data[k]);
            }
        }
    }
}

static void test_hash_kat(void **state)
{
    (void)state;
    /* shared/kat/merkle_sponge_spec.txt: hash([0..9]) with default_babybear_poseidon2_16 */
    const loom_poseidon2 *perm;
    assert_int_equal(loom_poseidon2_get(&perm, LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 16), LOOM_OK);
    uint32_t row[10];
    for (uint32_t i = 0; i < 10; i++)
        row[i] = i;
    loom_matrix_view v = {row, 1, 10};
    loom_digest d;
    assert_int_equal(cl.driver->ops->hash_rows(&cl, &d, perm, &v, 1, 0, 1), LOOM_OK);
    const uint32_t want[8] = {109871766, 1072162525, 734734822, 1779529182,
                              851455702, 1097548423, 803475089, 1040688773};
    assert_memory_equal(d.v, want, sizeof want);
}

static void test_compress(void **state)
{
    (void)state;
    test_rng rng = {test_seed() + 3};
    static const size_t counts[] = {1, 2, 3, 63, 64, 65, 1000};
    for (size_t i = 0; i < loom_poseidon2_count(); i++) {
        const loom_poseidon2 *perm = loom_poseidon2_at(i);
        if (perm->width != 16)
            continue;
        const loom_field *f = loom_field_get(perm->field);
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            const size_t n = counts[c];
            loom_digest *in = (loom_digest *)rand_matrix(&rng, 2 * n * 8, f->p);
            loom_digest *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
            loom_ref_compress_level(perm, want, in, n);
            if (cl.driver->ops->compress(&cl, got, perm, in, n) != LOOM_OK)
                fail_msg("%s", loom_last_error());
            if (memcmp(want, got, n * sizeof *want) != 0)
                fail_msg("%s: compression of %zu pairs differs from the CPU", perm->name, n);
            free(in), free(want), free(got);
        }
    }
}

/* ------------------------------------------------------------------ commit through a context */

static void test_commit_roots(void **state)
{
    (void)state;
    char yaml[256];
    snprintf(yaml, sizeof yaml, "version: 1\ndevices:\n  - id: cpu0\n    kind: cpu\n  - id: %s\n    kind: opencl\n",
             cl.info.id);
    loom_config *cfg;
    assert_int_equal(loom_config_parse(&cfg, yaml, strlen(yaml), "<test_opencl>"), LOOM_OK);
    loom_ctx *ctx;
    if (loom_ctx_create(&ctx, cfg) != LOOM_OK)
        fail_msg("%s", loom_last_error());
    loom_config_free(cfg);
    test_rng rng = {test_seed() + 4};
    static const size_t shapes[][2] = {{64, 5}, {16, 9}, {64, 1}, {1, 3}, {32, 8}, {16, 2}};
    for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++)
        for (int pf = 0; pf < 2; pf++)
            for (unsigned b = 0; b <= 2; b++) {
                const loom_field *f = loom_field_get((loom_field_id)fi);
                uint32_t *d[6];
                loom_matrix_view v[6];
                size_t nt = b == 1 ? 6 : 1; /* one trace, or six of several heights (injection) */
                for (size_t t = 0; t < nt; t++) {
                    size_t rows = nt == 1 ? (size_t)1 << (6 + 2 * b) : shapes[t][0];
                    size_t cols = nt == 1 ? 16 + 17 * b : shapes[t][1];
                    d[t] = rand_matrix(&rng, rows * cols, f->p);
                    v[t] = (loom_matrix_view){d[t], rows, cols};
                }
                loom_commit_params pc = {(loom_field_id)fi, (loom_perm_family)pf, b, "cpu0"};
                loom_commit_params pg = pc;
                pg.device = cl.info.id;
                loom_digest want, got;
                assert_int_equal(loom_commit(ctx, &want, NULL, &pc, v, nt), LOOM_OK);
                if (loom_commit(ctx, &got, NULL, &pg, v, nt) != LOOM_OK)
                    fail_msg("commit on %s: %s", cl.info.id, loom_last_error());
                if (memcmp(&want, &got, sizeof want) != 0)
                    fail_msg("%s root differs from the CPU root: %s, family %d, blowup %u, %zu traces", cl.info.id,
                             f->name, pf, b, nt);
                for (size_t t = 0; t < nt; t++)
                    free(d[t]);
            }
    /* The reference commit of shared/kat/merkle_sponge_spec.txt (KoalaBear, SP1), on the device. */
    uint32_t e[12];
    for (uint32_t i = 0; i < 12; i++)
        e[i] = i + 1;
    loom_matrix_view v = {e, 4, 3};
    loom_commit_params p = {LOOM_FIELD_KOALABEAR, LOOM_PERM_SP1, 1, cl.info.id};
    loom_digest root;
    assert_int_equal(loom_commit(ctx, &root, NULL, &p, &v, 1), LOOM_OK);
    const uint32_t want[8] = {1054447952, 141047440, 336740667, 1411747757, 30030221, 1846671317, 653383314, 615268379};
    assert_memory_equal(root.v, want, sizeof want);
    loom_ctx_destroy(ctx);
}

/* The root on the CPU alone. */
static loom_status cpu_root(loom_digest *root, const loom_commit_params *p, const loom_matrix_view *v, size_t n)
{
    static loom_ctx *cpu_ctx;
    if (!cpu_ctx) {
        static const char yaml[] = "version: 1\ndevices:\n  - id: cpu0\n    kind: cpu\n";
        loom_config *cfg;
        LOOM_TRY(loom_config_parse(&cfg, yaml, strlen(yaml), "<cpu only>"));
        loom_status s = loom_ctx_create(&cpu_ctx, cfg);
        loom_config_free(cfg);
        LOOM_TRY(s);
    }
    loom_commit_params pc = *p;
    pc.device = "cpu0";
    return loom_commit(cpu_ctx, root, NULL, &pc, v, n);
}

/* A commit through the scheduler on a context made from `yaml` equals the CPU reference's root;
 * returns the report. */
static void commit_matches(const char *yaml, const char *source, loom_commit_report *rep, uint64_t seed)
{
    loom_config *cfg;
    if (loom_config_parse(&cfg, yaml, strlen(yaml), source) != LOOM_OK)
        fail_msg("%s", loom_last_error());
    loom_ctx *ctx;
    if (loom_ctx_create(&ctx, cfg) != LOOM_OK)
        fail_msg("%s: %s", source, loom_last_error());
    loom_config_free(cfg);
    test_rng rng = {test_seed() + seed};
    for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++) {
        const loom_field *f = loom_field_get((loom_field_id)fi);
        uint32_t *m = rand_matrix(&rng, 512 * 24, f->p), *m2 = rand_matrix(&rng, 128 * 5, f->p);
        loom_matrix_view v[2] = {{m, 512, 24}, {m2, 128, 5}};
        loom_commit_params p = {(loom_field_id)fi, (loom_perm_family)fi, 1, NULL};
        loom_digest want, got;
        assert_int_equal(cpu_root(&want, &p, v, 2), LOOM_OK);
        memset(rep, 0, sizeof *rep);
        if (loom_commit(ctx, &got, rep, &p, v, 2) != LOOM_OK)
            fail_msg("%s: commit: %s", source, loom_last_error());
        if (memcmp(&want, &got, sizeof want) != 0)
            fail_msg("%s: the root differs from the CPU reference (%s)", source, f->name);
        free(m), free(m2);
    }
    loom_ctx_destroy(ctx);
}

/* The report's slot of the OpenCL device. */
static size_t cl_slot(const loom_commit_report *rep, const char *id)
{
    for (size_t i = 0; i < LOOM_REPORT_MAX_DEVICES; i++)
        if (strcmp(rep->devices[i].id, id) == 0)
            return i;
    fail_msg("device %s is not in the report", id);
    return 0;
}

/*
 * configs/opencl-pocl.yaml through the scheduler, then the same device given every stage it can
 * run: the roots equal the CPU's, and the report shows the OpenCL device did the work.
 */
static void test_config_file(void **state)
{
    (void)state;
    char *yaml = NULL;
    size_t len = 0;
    FILE *fp = fopen(LOOM_CONFIGS_DIR "/opencl-pocl.yaml", "rb");
    assert_non_null(fp);
    yaml = calloc(1, 1 << 16);
    len = fread(yaml, 1, (1 << 16) - 1, fp);
    fclose(fp);
    assert_true(len > 0);
    loom_commit_report rep;
    commit_matches(yaml, "configs/opencl-pocl.yaml", &rep, 6);
    free(yaml);

    char forced[512];
    snprintf(forced, sizeof forced,
             "version: 1\ndevices:\n  - id: cpu0\n    kind: cpu\n    stages: [compress]\n"
             "  - id: pocl\n    kind: opencl\n    match: \"%s\"\n    stages: [lde, hash]\n",
             cl.info.name);
    commit_matches(forced, "<lde and hash on OpenCL>", &rep, 7);
    size_t k = cl_slot(&rep, "pocl");
    assert_true(rep.devices[k].lde_columns > 0 && rep.devices[k].rows_hashed > 0);
    snprintf(forced, sizeof forced,
             "version: 1\ndevices:\n  - id: cpu0\n    kind: cpu\n    stages: [lde, hash]\n"
             "  - id: pocl\n    kind: opencl\n    match: \"%s\"\n    stages: [compress]\n",
             cl.info.name);
    commit_matches(forced, "<compress on OpenCL>", &rep, 8);
    k = cl_slot(&rep, "pocl");
    assert_true(rep.devices[k].compressions > 0);
}

/* ------------------------------------------------------------------ program cache and binaries */

static size_t count_bin_files(const char *dir, char *last, size_t last_len)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s/*.bin 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    char line[512];
    while (p && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(last, last_len, "%s", line);
        n++;
    }
    if (p)
        pclose(p);
    return n;
}

/* A small LDE on `dev` equals the CPU's. */
static void lde_agrees(loom_device *dev)
{
    const loom_field *f = loom_field_get(LOOM_FIELD_BABYBEAR);
    test_rng rng = {test_seed() + 5};
    uint32_t *in = rand_matrix(&rng, 64 * 5, f->p), want[128 * 5], got[128 * 5];
    assert_int_equal(cpu.driver->ops->coset_lde(&cpu, want, f, in, 64, 5, 1, 31, 1), LOOM_OK);
    if (dev->driver->ops->coset_lde(dev, got, f, in, 64, 5, 1, 31, 1) != LOOM_OK)
        fail_msg("%s", loom_last_error());
    assert_memory_equal(want, got, sizeof want);
    free(in);
}

static void test_cache(void **state)
{
    (void)state;
    char dir[300], old[512] = "", entry[512] = "";
    const char *prev = getenv("LOOM_CACHE_DIR");
    if (prev)
        snprintf(old, sizeof old, "%s", prev);
    snprintf(dir, sizeof dir, "%s/cache", tmpdir);
    setenv("LOOM_CACHE_DIR", dir, 1);
    char cl_dir[320];
    loom_opencl_cache_dir(cl_dir, sizeof cl_dir);
    assert_string_equal(cl_dir, strcat(strcpy((char[320]){0}, dir), "/opencl"));

    loom_device d;
    assert_int_equal(open_cl(&d, &cl.info, NULL), LOOM_OK);
    assert_string_equal(loom_opencl_program_origin(&d), "none"); /* built at the first operation */
    lde_agrees(&d);
    assert_string_equal(loom_opencl_program_origin(&d), "source");
    loom_driver_opencl.close(&d);
    assert_int_equal(count_bin_files(cl_dir, entry, sizeof entry), 1);

    assert_int_equal(open_cl(&d, &cl.info, NULL), LOOM_OK);
    assert_int_equal(loom_opencl_prepare(&d), LOOM_OK);
    assert_string_equal(loom_opencl_program_origin(&d), "cache");
    lde_agrees(&d);
    loom_driver_opencl.close(&d);

    /* A corrupt entry (here: its binary overwritten with garbage) is rebuilt, not fatal. */
    FILE *fp = fopen(entry, "r+b");
    assert_non_null(fp);
    struct stat st;
    assert_int_equal(stat(entry, &st), 0);
    fseek(fp, st.st_size / 2, SEEK_SET);
    for (long i = st.st_size / 2; i < st.st_size; i++)
        fputc((int)(i * 131 % 251), fp);
    fclose(fp);
    assert_int_equal(open_cl(&d, &cl.info, NULL), LOOM_OK);
    if (loom_opencl_prepare(&d) != LOOM_OK)
        fail_msg("a corrupt cache entry failed the build: %s", loom_last_error());
    assert_string_equal(loom_opencl_program_origin(&d), "source");
    lde_agrees(&d);
    loom_driver_opencl.close(&d);
    /* ... and rewritten: the next open loads it again. A truncated entry is rebuilt as well. */
    assert_int_equal(open_cl(&d, &cl.info, NULL), LOOM_OK);
    assert_int_equal(loom_opencl_prepare(&d), LOOM_OK);
    assert_string_equal(loom_opencl_program_origin(&d), "cache");
    loom_driver_opencl.close(&d);
    assert_int_equal(truncate(entry, 30), 0);
    assert_int_equal(open_cl(&d, &cl.info, NULL), LOOM_OK);
    assert_int_equal(loom_opencl_prepare(&d), LOOM_OK);
    assert_string_equal(loom_opencl_program_origin(&d), "source");
    loom_driver_opencl.close(&d);

    if (old[0])
        setenv("LOOM_CACHE_DIR", old, 1);
    else
        unsetenv("LOOM_CACHE_DIR");
}

/* A program binary for the device that is not Loom's: one trivial kernel. */
static void write_foreign_binary(const char *path)
{
    cl_platform_id plat;
    cl_device_id devs[64];
    cl_uint np = 0, nd = 0;
    assert_int_equal(clGetPlatformIDs(1, &plat, &np), CL_SUCCESS);
    assert_int_equal(clGetDeviceIDs(plat, CL_DEVICE_TYPE_ALL, 64, devs, &nd), CL_SUCCESS);
    cl_int e;
    cl_context ctx = clCreateContext(NULL, 1, &devs[0], NULL, NULL, &e);
    assert_int_equal(e, CL_SUCCESS);
    const char *src = "kernel void other(global uint *x) { x[get_global_id(0)] += 1u; }";
    cl_program p = clCreateProgramWithSource(ctx, 1, &src, NULL, &e);
    assert_int_equal(e, CL_SUCCESS);
    assert_int_equal(clBuildProgram(p, 1, &devs[0], "", NULL, NULL), CL_SUCCESS);
    size_t sz = 0;
    assert_int_equal(clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof sz, &sz, NULL), CL_SUCCESS);
    unsigned char *bin = malloc(sz);
    unsigned char *bins[1] = {bin};
    assert_int_equal(clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL), CL_SUCCESS);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bin, 1, sz, fp), sz);
    fclose(fp);
    free(bin);
    clReleaseProgram(p);
    clReleaseContext(ctx);
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    *len = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc(*len);
    assert_int_equal(fread(b, 1, *len, fp), *len);
    fclose(fp);
    return b;
}

static void write_all(const char *path, const void *b, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(b, 1, len, fp), len);
    fclose(fp);
}

static void expect_binary_error(const char *path, loom_status want, const char *what)
{
    loom_device d;
    loom_status s = open_cl(&d, &cl.info, path);
    if (s != want)
        fail_msg("binary '%s' (%s): got %s, expected %s: %s", path, what, loom_status_name(s), loom_status_name(want),
                 loom_last_error());
    const char *msg = loom_last_error();
    printf("# %s: %s\n", what, msg);
    assert_non_null(strstr(msg, path));
    assert_non_null(strstr(msg, cl.info.id));
    assert_non_null(strstr(msg, "config line 7"));
}

static void test_binary(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/loom-kernels.bin", tmpdir);
    assert_int_equal(loom_opencl_write_binary(&cl, path), LOOM_OK);
    loom_device d;
    if (open_cl(&d, &cl.info, path) != LOOM_OK)
        fail_msg("%s", loom_last_error());
    assert_string_equal(loom_opencl_program_origin(&d), "binary");
    lde_agrees(&d);
    loom_driver_opencl.close(&d);

    /* Not a binary of this device at all, a binary of another program, a missing file. */
    char bad[300];
    snprintf(bad, sizeof bad, "%s/garbage.bin", tmpdir);
    FILE *fp = fopen(bad, "wb");
    for (int i = 0; i < 4096; i++)
        fputc((i * 7919) & 0xff, fp);
    fclose(fp);
    expect_binary_error(bad, LOOM_ERR_CONFIG, "garbage");
    assert_non_null(strstr(loom_last_error(), "does not match OpenCL device"));

    snprintf(bad, sizeof bad, "%s/foreign.bin", tmpdir);
    write_foreign_binary(bad);
    expect_binary_error(bad, LOOM_ERR_CONFIG, "another program");
    assert_non_null(strstr(loom_last_error(), "has no kernel"));

    snprintf(bad, sizeof bad, "%s/absent.bin", tmpdir);
    expect_binary_error(bad, LOOM_ERR_IO, "missing file");

    /* Loom's own file, written for another device (its key says so), or damaged. */
    size_t len = 0;
    unsigned char *bin = read_all(path, &len);
    unsigned char *dev_line = NULL;
    for (size_t i = 0; i + 9 < len && !dev_line; i++)
        if (memcmp(bin + i, "\ndevice: ", 9) == 0)
            dev_line = bin + i + 1;
    assert_non_null(dev_line);
    dev_line[8] ^= 0x20; /* the device name's first letter in the other case */
    snprintf(bad, sizeof bad, "%s/other-device.bin", tmpdir);
    write_all(bad, bin, len);
    expect_binary_error(bad, LOOM_ERR_CONFIG, "another device");
    assert_non_null(strstr(loom_last_error(), "it was built for device"));
    dev_line[8] ^= 0x20;
    bin[len - 100] ^= 1;
    snprintf(bad, sizeof bad, "%s/damaged.bin", tmpdir);
    write_all(bad, bin, len);
    expect_binary_error(bad, LOOM_ERR_CONFIG, "damaged");
    assert_non_null(strstr(loom_last_error(), "damaged"));
    write_all(bad, bin, len / 2);
    expect_binary_error(bad, LOOM_ERR_CONFIG, "truncated");
    free(bin);
}

static void test_build_failure(void **state)
{
    (void)state;
    const char *src = "kernel void broken(global uint *x)\n{\n    x[0] = loom_undeclared_thing + 1u;\n}\n";
    loom_status s = loom_opencl_build_check(&cl, src, "");
    assert_int_equal(s, LOOM_ERR_DEVICE);
    const char *msg = loom_last_error();
    printf("# %s\n", msg);
    assert_non_null(strstr(msg, "compiler log"));
    assert_non_null(strstr(msg, "loom_undeclared_thing")); /* the compiler's own words */
    assert_int_equal(loom_opencl_build_check(&cl, "kernel void fine(global uint *x) { x[0] = 1u; }", ""), LOOM_OK);
}

/* ------------------------------------------------------------------ no platform */

static int expect_no_platform(void)
{
    loom_device_info infos[8];
    size_t n = 99;
    char why[256] = "";
    if (loom_driver_opencl.discover(infos, 8, &n, why, sizeof why) != LOOM_OK || n != 0) {
        printf("FAILED: discovery with OCL_ICD_VENDORS=%s found %zu devices (%s)\n", getenv("OCL_ICD_VENDORS"), n,
               loom_last_error());
        return 1;
    }
    if (!strstr(why, "no OpenCL platform")) {
        printf("FAILED: the reason does not say there is no platform: '%s'\n", why);
        return 1;
    }
    char notes[1024];
    loom_device_info all[64];
    if (loom_devices_discover(all, 64, &n, notes, sizeof notes) != LOOM_OK || !strstr(notes, "opencl: no OpenCL")) {
        printf("FAILED: loom_devices_discover notes lack the reason: '%s'\n", notes);
        return 1;
    }
    loom_ctx *ctx;
    if (loom_ctx_create(&ctx, NULL) != LOOM_OK) {
        printf("FAILED: no context without OpenCL: %s\n", loom_last_error());
        return 1;
    }
    loom_ctx_destroy(ctx);
    printf("OK: zero OpenCL devices; reason: %s\n", why);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--expect-no-platform") == 0)
        return expect_no_platform();
    loom_device_info infos[16];
    size_t n = 0;
    char why[256] = "";
    if (loom_driver_opencl.discover(infos, 16, &n, why, sizeof why) != LOOM_OK) {
        printf("FAILED: OpenCL discovery: %s\n", loom_last_error());
        return 1;
    }
    if (n == 0) {
        printf("SKIPPED: no OpenCL device, so the OpenCL tests did not run (%s)\n", why);
        return 77;
    }
    if (open_cl(&cl, &infos[0], NULL) != LOOM_OK) {
        printf("FAILED: cannot open %s: %s\n", infos[0].id, loom_last_error());
        return 1;
    }
    loom_device_info ci;
    size_t nc = 0;
    cpu.driver = &loom_driver_cpu;
    if (loom_driver_cpu.discover(&ci, 1, &nc, why, sizeof why) != LOOM_OK || nc != 1 ||
        (cpu.info = ci, loom_driver_cpu.open(&cpu)) != LOOM_OK) {
        printf("FAILED: cannot open the CPU device: %s\n", loom_last_error());
        return 1;
    }

    snprintf(tmpdir, sizeof tmpdir, "%s/loom-test-opencl-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        printf("FAILED: cannot create a temporary folder\n");
        return 1;
    }
    printf("# OpenCL tests on %s: %s, %u compute units, %.1f GiB%s\n", cl.info.id, cl.info.name,
           cl.info.compute_units, (double)cl.info.memory_bytes / (1 << 30), cl.info.opt_in ? " (opt-in)" : "");
    if (loom_opencl_prepare(&cl) != LOOM_OK) {
        printf("FAILED: building the kernels on %s: %s\n", cl.info.id, loom_last_error());
        return 1;
    }
    printf("# program from %s\n", loom_opencl_program_origin(&cl));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dft),        cmocka_unit_test(test_lde),        cmocka_unit_test(test_lde_kat),
        cmocka_unit_test(test_bad_args),   cmocka_unit_test(test_hash_rows),  cmocka_unit_test(test_hash_kat),
        cmocka_unit_test(test_compress),   cmocka_unit_test(test_commit_roots), cmocka_unit_test(test_config_file),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_binary),     cmocka_unit_test(test_build_failure),
    };
    /* --only a,b,...: just the named tests (the valgrind run of the NTT kernels takes test_dft,test_lde) */
    const char *only = argc > 2 && strcmp(argv[1], "--only") == 0 ? argv[2] : NULL;
    struct CMUnitTest picked[sizeof tests / sizeof tests[0]];
    size_t np = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        const size_t len = strlen(tests[i].name);
        for (const char *p = only; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
            if (strcspn(p, ",") == len && strncmp(p, tests[i].name, len) == 0) {
                picked[np++] = tests[i];
                break;
            }
        }
    }
    if (only && np == 0) {
        printf("FAILED: --only %s names no test\n", only);
        return 1;
    }
    int rc = only ? _cmocka_run_group_tests("test_opencl", picked, np, NULL, NULL)
                  : cmocka_run_group_tests(tests, NULL, NULL);
    loom_driver_opencl.close(&cl);
    loom_driver_cpu.close(&cpu);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", tmpdir);
    return rc;
}
