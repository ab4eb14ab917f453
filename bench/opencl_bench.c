/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loom-opencl-bench: what the OpenCL route costs against Loom's own CPU path on the same
 * machine. With PoCL both run on the same cores, so the ratio is the price of going through
 * OpenCL (PoCL's compiler and work-group scheduling against hand-written SIMD rows), not a
 * hardware difference. On a GPU's OpenCL driver the same program compares that GPU to the CPU.
 *
 * Each figure is the best of several runs after a warm-up, host memory to host memory (the
 * OpenCL side includes its copies, as a caller of the ops pays them). The CPU side runs at the
 * active SIMD level (LOOM_SIMD picks another) on all cores (--threads N for fewer).
 *
 * --write-binary FILE writes the device's program binary, the file a config's `binary:` names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/kernels.h"
#include "cpu/pool.h"
#include "drivers/opencl/opencl_internal.h"
#include "internal/cpu_info.h"
#include "internal/timer.h"
#include "loom_git_commit.h"
#include "ntt_rows.h"

typedef struct {
    char op[48], size[32];
    double cpu_s, cl_s, work; /* work: butterflies or permutations per run */
    double cpu_busy, cl_busy;  /* processor seconds of the best runs */
    const char *unit;
} row;

static row rows[64];
static int n_rows;
static double min_time = 1.0;
static const char *only;

typedef loom_status (*run_fn)(void *arg);

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best time of fn over at least 3 runs and min_time seconds, after a warm-up run; *busy: the
 * processor time (all threads) of that run, which other load on the machine disturbs less. */
static loom_status best_time(run_fn fn, void *arg, double *best, double *busy)
{
    LOOM_TRY(fn(arg));
    double spent = 0;
    *best = 1e30;
    for (int i = 0; i < 3 || spent < min_time; i++) {
        double t0 = loom_now(), c0 = cpu_now();
        LOOM_TRY(fn(arg));
        double dt = loom_now() - t0, dc = cpu_now() - c0;
        spent += dt;
        if (dt < *best)
            *best = dt, *busy = dc;
        if (i >= 50)
            break;
    }
    return LOOM_OK;
}

typedef struct {
    loom_pool *pool;
    loom_device *dev, *cpu;
    const loom_field *f;
    const loom_poseidon2 *perm;
    uint32_t *m, *out;
    size_t rows, cols;
    loom_digest *dig, *dout;
} job;

static loom_status cpu_dft(void *a)
{
    job *j = a;
    return loom_dft_batch_pool(j->pool, j->f, j->m, j->rows, j->cols);
}

static loom_status cl_dft(void *a)
{
    job *j = a;
    return loom_opencl_dft(j->dev, j->f, j->m, j->rows, j->cols, 0);
}

static loom_status cpu_lde(void *a)
{
    job *j = a;
    return j->cpu->driver->ops->coset_lde(j->cpu, j->out, j->f, j->m, j->rows, j->cols, 1, j->f->generator, 1);
}

static loom_status cl_lde(void *a)
{
    job *j = a;
    return j->dev->driver->ops->coset_lde(j->dev, j->out, j->f, j->m, j->rows, j->cols, 1, j->f->generator, 1);
}

static loom_status cpu_compress(void *a)
{
    job *j = a;
    return j->cpu->driver->ops->compress(j->cpu, j->dout, j->perm, j->dig, j->rows);
}

static loom_status cl_compress(void *a)
{
    job *j = a;
    return j->dev->driver->ops->compress(j->dev, j->dout, j->perm, j->dig, j->rows);
}

static loom_status cpu_hash(void *a)
{
    job *j = a;
    loom_matrix_view v = {j->m, j->rows, j->cols};
    return j->cpu->driver->ops->hash_rows(j->cpu, j->dout, j->perm, &v, 1, 0, j->rows);
}

static loom_status cl_hash(void *a)
{
    job *j = a;
    loom_matrix_view v = {j->m, j->rows, j->cols};
    return j->dev->driver->ops->hash_rows(j->dev, j->dout, j->perm, &v, 1, 0, j->rows);
}

static int measure(const char *op, const char *size, run_fn cpu, run_fn cl, job *j, double work, const char *unit)
{
    if (only && !strstr(op, only))
        return 0;
    row *r = &rows[n_rows++];
    snprintf(r->op, sizeof r->op, "%s", op);
    snprintf(r->size, sizeof r->size, "%s", size);
    r->work = work, r->unit = unit;
    if (best_time(cpu, j, &r->cpu_s, &r->cpu_busy) != LOOM_OK || best_time(cl, j, &r->cl_s, &r->cl_busy) != LOOM_OK) {
        fprintf(stderr, "loom-opencl-bench: %s %s: %s\n", op, size, loom_last_error());
        return 1;
    }
    fprintf(stderr, "  %-28s %-14s cpu %9.3f ms (busy %9.3f)  opencl %9.3f ms (busy %9.3f)\n", op, size,
            r->cpu_s * 1e3, r->cpu_busy * 1e3, r->cl_s * 1e3, r->cl_busy * 1e3);
    return 0;
}

static void usage(FILE *to)
{
    fprintf(to, "Usage: loom-opencl-bench [--json] [--output FILE] [--quick] [--device clN] [--threads N]\n"
                "                         [--min-time S] [--write-binary FILE]\n\n"
                "Compares the OpenCL device (default: the first) with Loom's CPU path on this machine: forward NTT\n"
                "and coset LDE (blowup 2, bit-reversed rows) of 2^16..2^20 rows x 16..64 columns, and Poseidon2\n"
                "width 16 (compression and leaf hashing) in permutations/s. --quick runs small sizes only.\n"
                "--write-binary FILE writes the device's program binary (for a config's 'binary:') and exits.\n");
}

int main(int argc, char **argv)
{
    int json = 0, quick = 0;
    unsigned threads = 0;
    const char *out_path = NULL, *want = NULL, *binary = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--only") && v)
            only = v, i++;
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--quick"))
            quick = 1;
        else if (!strcmp(a, "--output") && v)
            out_path = v, i++;
        else if (!strcmp(a, "--device") && v)
            want = v, i++;
        else if (!strcmp(a, "--write-binary") && v)
            binary = v, i++;
        else if (!strcmp(a, "--threads") && v)
            threads = (unsigned)strtoul(v, NULL, 10), i++;
        else if (!strcmp(a, "--min-time") && v)
            min_time = strtod(v, NULL), i++;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "loom-opencl-bench: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }

    loom_device_info infos[16];
    size_t n = 0;
    char why[256] = "";
    if (loom_driver_opencl.discover(infos, 16, &n, why, sizeof why) != LOOM_OK || n == 0) {
        fprintf(stderr, "loom-opencl-bench: no OpenCL device: %s\n", why[0] ? why : loom_last_error());
        return 1;
    }
    size_t pick = 0;
    while (want && pick < n && strcmp(infos[pick].id, want) != 0)
        pick++;
    if (pick == n) {
        fprintf(stderr, "loom-opencl-bench: no OpenCL device '%s' (%zu present, the first is %s)\n", want, n,
                infos[0].id);
        return 2;
    }
    loom_device dev = {.info = infos[pick], .driver = &loom_driver_opencl};
    if (loom_driver_opencl.open(&dev) != LOOM_OK) {
        fprintf(stderr, "loom-opencl-bench: %s\n", loom_last_error());
        return 1;
    }
    double t0 = loom_now();
    if (loom_opencl_prepare(&dev) != LOOM_OK) {
        fprintf(stderr, "loom-opencl-bench: %s\n", loom_last_error());
        return 1;
    }
    const double prepare_s = loom_now() - t0;
    if (binary) {
        if (loom_opencl_write_binary(&dev, binary) != LOOM_OK) {
            fprintf(stderr, "loom-opencl-bench: %s\n", loom_last_error());
            return 1;
        }
        printf("wrote the program binary of %s (%s) to %s\n", dev.info.id, dev.info.name, binary);
        loom_driver_opencl.close(&dev);
        return 0;
    }

    loom_cpu_facts facts;
    loom_cpu_facts_get(&facts);
    loom_device cpu = {.driver = &loom_driver_cpu};
    size_t nc = 0;
    if (loom_driver_cpu.discover(&cpu.info, 1, &nc, why, sizeof why) != LOOM_OK || nc != 1) {
        fprintf(stderr, "loom-opencl-bench: no CPU device\n");
        return 1;
    }
    if (threads)
        cpu.info.threads = threads;
    loom_pool *pool = NULL;
    if (loom_driver_cpu.open(&cpu) != LOOM_OK || loom_pool_create(&pool, cpu.info.threads) != LOOM_OK) {
        fprintf(stderr, "loom-opencl-bench: %s\n", loom_last_error());
        return 1;
    }
    fprintf(stderr, "loom-opencl-bench: %s (%s) against cpu0 (%s, %s, %u threads); program ready in %.2f s (%s)\n",
            dev.info.id, dev.info.name, facts.model, loom_cpu_kernels_active()->name, cpu.info.threads, prepare_s,
            loom_opencl_program_origin(&dev));

    const loom_field *bb = loom_field_get(LOOM_FIELD_BABYBEAR);
    const unsigned logs_full[] = {16, 18, 20}, logs_quick[] = {10, 12};
    const size_t widths_full[] = {16, 32, 64}, widths_quick[] = {16};
    const unsigned *logs = quick ? logs_quick : logs_full;
    const size_t *widths = quick ? widths_quick : widths_full;
    const size_t n_logs = quick ? 2 : 3, n_widths = quick ? 1 : 3;
    int rc = 0;
    uint64_t x = 0x243f6a8885a308d3ull;
    for (size_t li = 0; li < n_logs && !rc; li++)
        for (size_t wi = 0; wi < n_widths && !rc; wi++) {
            const size_t r = (size_t)1 << logs[li], c = widths[wi];
            job j = {pool, &dev, &cpu, bb, NULL, malloc(r * c * 4), malloc(2 * r * c * 4), r, c, NULL, NULL};
            if (!j.m || !j.out) {
                fprintf(stderr, "loom-opencl-bench: out of memory\n");
                return 1;
            }
            for (size_t i = 0; i < r * c; i++) {
                x = x * 6364136223846793005ull + 1442695040888963407ull;
                j.m[i] = (uint32_t)((x >> 33) % bb->p);
            }
            char size[32];
            snprintf(size, sizeof size, "2^%u x %zu", logs[li], c);
            const double bfly = (double)c * (double)(r / 2) * logs[li];
            rc = measure("NTT babybear", size, cpu_dft, cl_dft, &j, bfly, "Mbfly/s");
            if (!rc) /* rate: output elements (2 r c) per second */
                rc = measure("coset LDE babybear x2 bitrev", size, cpu_lde, cl_lde, &j, 2.0 * (double)(r * c),
                             "Melem/s");
            free(j.m), free(j.out);
        }
    for (int fi = 0; fi < LOOM_FIELD_COUNT && !rc; fi++) {
        const loom_field *f = loom_field_get((loom_field_id)fi);
        job j = {pool, &dev, &cpu, f, NULL, NULL, NULL, (size_t)1 << (quick ? 12 : 18), 16, NULL, NULL};
        if (loom_poseidon2_get(&j.perm, f->id, LOOM_PERM_PLONKY3, 16) != LOOM_OK)
            return 1;
        j.dig = malloc(2 * j.rows * sizeof *j.dig);
        j.dout = malloc(j.rows * sizeof *j.dout);
        j.m = malloc(j.rows * j.cols * 4);
        for (size_t i = 0; i < 2 * j.rows * 8; i++)
            j.dig[0].v[i] = (uint32_t)(i * 2654435761u % f->p);
        for (size_t i = 0; i < j.rows * j.cols; i++)
            j.m[i] = (uint32_t)(i * 40503u % f->p);
        char op[48], size[32];
        snprintf(op, sizeof op, "Poseidon2 compress %s", f->name);
        snprintf(size, sizeof size, "2^%u pairs", quick ? 12 : 18);
        rc = measure(op, size, cpu_compress, cl_compress, &j, (double)j.rows, "Mperm/s");
        snprintf(op, sizeof op, "Poseidon2 leaf hash %s", f->name);
        snprintf(size, sizeof size, "2^%u x 16", quick ? 12 : 18);
        if (!rc)
            rc = measure(op, size, cpu_hash, cl_hash, &j, 2.0 * (double)j.rows, "Mperm/s");
        free(j.dig), free(j.dout), free(j.m);
    }
    if (rc)
        return rc;

    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    FILE *outs[2] = {json ? stdout : NULL, out_path ? fopen(out_path, "w") : NULL};
    if (out_path && !outs[1]) {
        fprintf(stderr, "loom-opencl-bench: cannot write %s\n", out_path);
        return 1;
    }
    for (int o = 0; o < 2; o++) {
        FILE *to = outs[o];
        if (!to)
            continue;
        fprintf(to,
                "{\"commit\": \"%s\", \"date\": \"%s\", \"opencl_device\": {\"id\": \"%s\", \"name\": \"%s\", "
                "\"compute_units\": %u}, \"cpu\": {\"model\": \"%s\", \"simd\": \"%s\", \"threads\": %u}, "
                "\"program_ready_s\": %.3f, \"program_origin\": \"%s\", \"quick\": %s, \"results\": [",
                LOOM_GIT_COMMIT, date, dev.info.id, dev.info.name, dev.info.compute_units, facts.model,
                loom_cpu_kernels_active()->name, cpu.info.threads, prepare_s, loom_opencl_program_origin(&dev),
                quick ? "true" : "false");
        for (int i = 0; i < n_rows; i++)
            fprintf(to,
                    "%s\n  {\"op\": \"%s\", \"size\": \"%s\", \"cpu_ms\": %.4f, \"opencl_ms\": %.4f, "
                    "\"cpu_busy_ms\": %.4f, \"opencl_busy_ms\": %.4f, "
                    "\"cpu_rate\": %.3f, \"opencl_rate\": %.3f, \"unit\": \"%s\", \"opencl_over_cpu\": %.3f}",
                    i ? "," : "", rows[i].op, rows[i].size, rows[i].cpu_s * 1e3, rows[i].cl_s * 1e3,
                    rows[i].cpu_busy * 1e3, rows[i].cl_busy * 1e3,
                    rows[i].work / rows[i].cpu_s / 1e6, rows[i].work / rows[i].cl_s / 1e6, rows[i].unit,
                    rows[i].cl_s / rows[i].cpu_s);
        fprintf(to, "\n]}\n");
    }
    if (outs[1])
        fclose(outs[1]);
    if (!json) {
        printf("loom-opencl-bench — commit %s — %s\nOpenCL: %s %s (%u compute units); CPU: %s, %s, %u threads\n",
               LOOM_GIT_COMMIT, date, dev.info.id, dev.info.name, dev.info.compute_units, facts.model,
               loom_cpu_kernels_active()->name, cpu.info.threads);
        printf("%-30s %-14s %11s %11s %9s %13s %13s\n", "operation", "size", "cpu ms", "opencl ms", "cl/cpu",
               "cpu rate", "opencl rate");
        for (int i = 0; i < n_rows; i++)
            printf("%-30s %-14s %11.3f %11.3f %8.2fx %7.1f %-5s %7.1f %-5s\n", rows[i].op, rows[i].size,
                   rows[i].cpu_s * 1e3, rows[i].cl_s * 1e3, rows[i].cl_s / rows[i].cpu_s,
                   rows[i].work / rows[i].cpu_s / 1e6, rows[i].unit, rows[i].work / rows[i].cl_s / 1e6, rows[i].unit);
    }
    loom_pool_destroy(pool);
    loom_driver_cpu.close(&cpu);
    loom_driver_opencl.close(&dev);
    return 0;
}
