/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loom bench: the main operations on the CPU reference path, as a table or JSON. Each figure is
 * the best of several timed repetitions after a warm-up (so one noisy repetition does not count),
 * and every run records the device, commit and date it was taken on.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "internal/cpu_info.h"
#include "internal/timer.h"

typedef struct {
    char name[64];
    char size[48];
    double seconds;   /* best time of one repetition */
    double work;      /* units of work in one repetition */
    const char *unit; /* what `work` counts */
} result;

typedef struct {
    result r[32];
    size_t n;
    double min_time;
} bench;

/* Runs fn until min_time has passed (at least 3 repetitions after one warm-up); keeps the best. */
static double best_of(double min_time, void (*fn)(void *), void *arg)
{
    fn(arg);
    double best = 1e300, spent = 0;
    for (int reps = 0; reps < 3 || spent < min_time; reps++) {
        double t0 = loom_now();
        fn(arg);
        double dt = loom_now() - t0;
        spent += dt;
        if (dt < best)
            best = dt;
        if (reps > 1000)
            break;
    }
    return best;
}

typedef struct {
    const loom_poseidon2 *perm;
    uint32_t state[LOOM_POSEIDON2_MAX_WIDTH];
    size_t count;
} perm_arg;

static void run_perms(void *p)
{
    perm_arg *a = p;
    for (size_t i = 0; i < a->count; i++)
        loom_poseidon2_permute(a->perm, a->state);
}

typedef struct {
    const loom_field *f;
    uint32_t *data, *out;
    size_t rows, cols;
    unsigned blowup;
    loom_status s;
} ntt_arg;

static void run_dft(void *p)
{
    ntt_arg *a = p;
    if (a->s == LOOM_OK)
        a->s = loom_dft_batch(a->f, a->data, a->rows, a->cols);
}

static void run_lde(void *p)
{
    ntt_arg *a = p;
    if (a->s == LOOM_OK)
        a->s = loom_coset_lde_batch(a->f, a->out, a->data, a->rows, a->cols, a->blowup, a->f->generator);
}

typedef struct {
    loom_ctx *ctx;
    loom_commit_params params;
    loom_matrix_view view;
    loom_digest root;
    loom_status s;
} commit_arg;

static void run_commit(void *p)
{
    commit_arg *a = p;
    if (a->s == LOOM_OK)
        a->s = loom_commit(a->ctx, &a->root, NULL, &a->params, &a->view, 1);
}

static void add(bench *b, const char *name, const char *size, double seconds, double work, const char *unit)
{
    if (b->n >= sizeof b->r / sizeof b->r[0])
        return;
    result *r = &b->r[b->n++];
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->size, sizeof r->size, "%s", size);
    r->seconds = seconds, r->work = work, r->unit = unit;
}

static uint32_t *random_matrix(const loom_field *f, size_t n, uint64_t seed)
{
    uint32_t *m = malloc(n * sizeof *m);
    cli_rng rng = {seed};
    for (size_t i = 0; m && i < n; i++)
        m[i] = cli_rng_element(&rng, f->p);
    return m;
}

static const cli_option opts[] = {
    {"json", 0, NULL, "print the results as one JSON object"},
    {"output", 1, "FILE", "also write the JSON to FILE"},
    {"quick", 0, NULL, "small sizes (a smoke run of a few seconds, not for the record)"},
    {"min-time", 1, "SEC", "time each operation for at least SEC seconds (default 1)"},
    {"config", 1, "FILE", "device configuration (default: $LOOM_CONFIG, else built-in)"},
};

static void write_json(FILE *to, const bench *b, const loom_cpu_facts *cpu, const char *date, int quick)
{
    fprintf(to, "{\"loom\": ");
    json_str(to, loom_version_string());
    fprintf(to, ", \"date\": \"%s\", \"device\": {\"id\": \"cpu0\", \"name\": ", date);
    json_str(to, cpu->model);
    fprintf(to, ", \"logical_cores\": %u, \"threads_used\": 1, \"simd\": \"scalar\"}, \"quick\": %s,\n \"results\": [",
            cpu->logical_cores, quick ? "true" : "false");
    for (size_t i = 0; i < b->n; i++) {
        const result *r = &b->r[i];
        fprintf(to, "%s\n  {\"name\": \"%s\", \"size\": \"%s\", \"seconds\": %.6g, \"work\": %.6g, \"unit\": \"%s\", "
                    "\"per_second\": %.6g}",
                i ? "," : "", r->name, r->size, r->seconds, r->work, r->unit, r->work / r->seconds);
    }
    fprintf(to, "\n]}\n");
}

int cmd_bench(int argc, char **argv)
{
    cli_args a = {.command = "bench",
                  .usage = "  loom bench [--json] [--output FILE] [--quick] [--min-time SEC]",
                  .about = "Measures the main operations on this machine: Poseidon2 permutations/s (every "
                           "instance), NTT\n(BabyBear 2^20 x 16 forward), coset LDE (2^16 x 64, blowup 2) and "
                           "'loom commit' (2^16 x 64,\nblowup 2). Each figure is the best of several "
                           "repetitions. Record figures in docs/benchmarks.md.",
                  .options = opts,
                  .n_options = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    bench b = {.n = 0, .min_time = 1.0};
    if (cli_get(&a, "min-time")) {
        char *end;
        b.min_time = strtod(cli_get(&a, "min-time"), &end);
        if (*end || b.min_time < 0 || b.min_time > 3600)
            return cli_usage_error("bench", "--min-time '%s' is not a number of seconds in 0..3600",
                                   cli_get(&a, "min-time"));
    }
    const int quick = cli_flag(&a, "quick");
    cli_job job;
    if ((rc = cli_job_resolve(&job, &a)))
        return rc;
    loom_ctx *ctx;
    loom_status s = loom_ctx_create(&ctx, job.cfg);
    if (s != LOOM_OK) {
        cli_job_free(&job);
        return cli_fail("bench", s);
    }
    const size_t steps = loom_poseidon2_count() + 3;
    size_t step = 0;

    for (size_t i = 0; i < loom_poseidon2_count(); i++) {
        cli_progress("bench: step", ++step, steps);
        perm_arg pa = {.perm = loom_poseidon2_at(i), .count = quick ? 1000 : 20000};
        for (unsigned k = 0; k < pa.perm->width; k++)
            pa.state[k] = k;
        double t = best_of(b.min_time, run_perms, &pa);
        char name[64];
        snprintf(name, sizeof name, "poseidon2 %s", pa.perm->name);
        add(&b, name, "1 thread", t, (double)pa.count, "perm");
    }

    const loom_field *bb = loom_field_get(LOOM_FIELD_BABYBEAR);
    size_t log_n = quick ? 14 : 20, cols = 16;
    ntt_arg na = {.f = bb, .rows = (size_t)1 << log_n, .cols = cols, .s = LOOM_OK};
    na.data = random_matrix(bb, na.rows * cols, 7);
    cli_progress("bench: step", ++step, steps);
    if (na.data) {
        double t = best_of(b.min_time, run_dft, &na);
        char size[48];
        snprintf(size, sizeof size, "2^%zu x %zu", log_n, cols);
        add(&b, "ntt forward babybear", size, t, (double)(na.rows / 2) * log_n * cols, "butterfly");
    }
    free(na.data);

    size_t lde_log = quick ? 10 : 16, lde_cols = 64;
    ntt_arg la = {.f = bb, .rows = (size_t)1 << lde_log, .cols = lde_cols, .blowup = 1, .s = LOOM_OK};
    la.data = random_matrix(bb, la.rows * lde_cols, 8);
    la.out = malloc((la.rows << 1) * lde_cols * sizeof *la.out);
    cli_progress("bench: step", ++step, steps);
    if (la.data && la.out) {
        double t = best_of(b.min_time, run_lde, &la);
        char size[48];
        snprintf(size, sizeof size, "2^%zu x %zu -> 2^%zu", lde_log, lde_cols, lde_log + 1);
        add(&b, "coset lde babybear", size, t, (double)(la.rows << 1) * lde_cols, "output element");
    }
    free(la.out);

    commit_arg ca = {.ctx = ctx, .params = {LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 1}, .s = LOOM_OK};
    ca.view = (loom_matrix_view){la.data, la.rows, lde_cols};
    cli_progress("bench: step", ++step, steps);
    if (la.data) {
        double t = best_of(b.min_time, run_commit, &ca);
        char size[48];
        snprintf(size, sizeof size, "2^%zu x %zu, blowup 2", lde_log, lde_cols);
        add(&b, "commit babybear plonky3", size, t, (double)la.rows * lde_cols, "trace element");
    }
    free(la.data);
    cli_progress_end();

    if (!na.data || !la.data || la.s != LOOM_OK || na.s != LOOM_OK || ca.s != LOOM_OK) {
        loom_ctx_destroy(ctx);
        cli_job_free(&job);
        if (na.s != LOOM_OK || la.s != LOOM_OK || ca.s != LOOM_OK)
            return cli_fail("bench", na.s != LOOM_OK ? na.s : la.s != LOOM_OK ? la.s : ca.s);
        fprintf(stderr, "loom bench: out of memory\n");
        return EXIT_RUN;
    }

    loom_cpu_facts cpu;
    loom_cpu_facts_get(&cpu);
    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);

    if (cli_flag(&a, "json")) {
        write_json(stdout, &b, &cpu, date, quick);
    } else {
        printf("loom bench — %s — %s — %s, 1 thread, scalar%s\n", loom_version_string(), date, cpu.model,
               quick ? " — QUICK (not for the record)" : "");
        printf("%-34s %-26s %12s %16s\n", "operation", "size", "time", "rate");
        for (size_t i = 0; i < b.n; i++) {
            const result *r = &b.r[i];
            double rate = r->work / r->seconds;
            char t[32], rt[48];
            if (r->seconds < 1e-3)
                snprintf(t, sizeof t, "%.2f us", r->seconds * 1e6);
            else
                snprintf(t, sizeof t, "%.3f ms", r->seconds * 1e3);
            if (strcmp(r->unit, "perm") == 0)
                snprintf(rt, sizeof rt, "%.0f ns/perm", 1e9 / rate);
            else
                snprintf(rt, sizeof rt, "%.1f M%s/s", rate / 1e6, r->unit);
            printf("%-34s %-26s %12s %16s\n", r->name, r->size, t, rt);
        }
    }
    if (cli_get(&a, "output")) {
        FILE *fp = fopen(cli_get(&a, "output"), "w");
        if (!fp) {
            fprintf(stderr, "loom bench: cannot write '%s'\n", cli_get(&a, "output"));
            rc = EXIT_USAGE;
        } else {
            write_json(fp, &b, &cpu, date, quick);
            if (fclose(fp) != 0)
                rc = EXIT_RUN;
        }
    }
    loom_ctx_destroy(ctx);
    cli_job_free(&job);
    return rc;
}
