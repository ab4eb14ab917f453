/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loom bench: the main operations on the CPU, at every SIMD level and thread count asked for,
 * side by side in one run, as a table or JSON. Each figure is the best of several timed
 * repetitions after a warm-up (so one noisy repetition does not count), and every run records
 * the device, commit and date it was taken on.
 *
 * Rows are grouped by operation; within one, every level x thread count, so the table reads as a
 * comparison: rate per core (how good the kernels are) and, for the all-core rows, the speed-up
 * over the same level on one thread (how well the work splits).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cpu/kernels.h"
#include "cpu/pool.h"
#include "internal/cpu_info.h"
#include "internal/timer.h"
#include "ntt_rows.h"

#define MAX_RESULTS 128
#define MAX_THREAD_COUNTS 2

typedef struct {
    char name[64];
    char size[48];
    const char *simd;
    unsigned threads;
    double seconds;   /* best time of one repetition */
    double work;      /* units of work in one repetition */
    const char *unit; /* what `work` counts */
    double speedup;   /* over the same operation and level on 1 thread; 0 if not measured */
} result;

typedef struct {
    result r[MAX_RESULTS];
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

/* ---- the operations */

typedef struct {
    const loom_poseidon2 *perm;
    uint32_t state[LOOM_POSEIDON2_MAX_WIDTH];
    size_t count;
} perm_arg;

/* One permutation at a time through the public call: latency of a single state. */
static void run_perms(void *p)
{
    perm_arg *a = p;
    for (size_t i = 0; i < a->count; i++)
        loom_poseidon2_permute(a->perm, a->state);
}

typedef struct {
    loom_pool *pool;
    const loom_poseidon2 *perm;
    uint32_t *states;
    size_t n;
} many_arg;

static void many_range(void *p, size_t b, size_t e, unsigned worker)
{
    (void)worker;
    many_arg *a = p;
    loom_cpu_kernels_active()->permute_many(a->perm, a->states + b * a->perm->width, e - b);
}

/* Independent states through the active level's permute_many, split across the pool. */
static void run_many(void *p)
{
    many_arg *a = p;
    loom_pool_for(a->pool, a->n, 0, many_range, a);
}

typedef struct {
    loom_pool *pool;
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
        a->s = loom_dft_batch_pool(a->pool, a->f, a->data, a->rows, a->cols);
}

static void run_lde(void *p)
{
    ntt_arg *a = p;
    if (a->s == LOOM_OK)
        a->s = loom_coset_lde_batch_pool(a->pool, a->f, a->out, a->data, a->rows, a->cols, a->blowup,
                                         a->f->generator);
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

static void add(bench *b, const char *name, const char *size, const char *simd, unsigned threads, double seconds,
                double work, const char *unit)
{
    if (b->n >= MAX_RESULTS)
        return;
    result *r = &b->r[b->n++];
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->size, sizeof r->size, "%s", size);
    r->simd = simd, r->threads = threads, r->seconds = seconds, r->work = work, r->unit = unit, r->speedup = 0;
    /* Rates, not times: the batched rows give each thread its own share of states. The 1-thread
     * row of the same operation and level was measured just before. */
    for (size_t i = b->n - 1; threads > 1 && i-- > 0;)
        if (b->r[i].threads == 1 && strcmp(b->r[i].name, name) == 0 && strcmp(b->r[i].simd, simd) == 0) {
            r->speedup = (work / seconds) / (b->r[i].work / b->r[i].seconds);
            break;
        }
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
    {"simd", 1, "LEVEL|all", "scalar | avx2 | avx512 | neon, or all this CPU runs (default: all, or "
                             "$LOOM_SIMD / cpu.simd when set)"},
    {"threads", 1, "N|all", "CPU threads; all = 1 and every core (default: all, or $LOOM_THREADS / "
                            "cpu.threads when set)"},
    {"config", 1, "FILE", "device configuration (default: $LOOM_CONFIG, else built-in)"},
};

static void write_json(FILE *to, const bench *b, const loom_cpu_facts *cpu, const char *date, int quick,
                       const loom_simd_level *levels, size_t n_levels)
{
    fprintf(to, "{\"loom\": ");
    json_str(to, loom_version_string());
    fprintf(to, ", \"date\": \"%s\", \"device\": {\"id\": \"cpu0\", \"name\": ", date);
    json_str(to, cpu->model);
    fprintf(to, ", \"logical_cores\": %u, \"simd_levels\": [", cpu->logical_cores);
    for (size_t i = 0; i < n_levels; i++)
        fprintf(to, "%s\"%s\"", i ? ", " : "", loom_simd_name(levels[i]));
    fprintf(to, "]}, \"quick\": %s,\n \"results\": [", quick ? "true" : "false");
    for (size_t i = 0; i < b->n; i++) {
        const result *r = &b->r[i];
        double rate = r->work / r->seconds;
        fprintf(to, "%s\n  {\"name\": \"%s\", \"size\": \"%s\", \"simd\": \"%s\", \"threads\": %u, \"seconds\": %.6g, "
                    "\"work\": %.6g, \"unit\": \"%s\", \"per_second\": %.6g, \"per_second_per_core\": %.6g",
                i ? "," : "", r->name, r->size, r->simd, r->threads, r->seconds, r->work, r->unit, rate,
                rate / r->threads);
        if (r->speedup > 0)
            fprintf(to, ", \"speedup_vs_1_thread\": %.3f", r->speedup);
        fprintf(to, "}");
    }
    fprintf(to, "\n]}\n");
}

static void fmt_rate(char *buf, size_t len, double rate, const char *unit)
{
    if (strcmp(unit, "perm") == 0)
        snprintf(buf, len, "%.2f Mperm/s", rate / 1e6);
    else
        snprintf(buf, len, "%.1f M%s/s", rate / 1e6, unit);
}

static void write_table(const bench *b, const loom_cpu_facts *cpu, const char *date, int quick)
{
    printf("loom bench — %s — %s — %s, %u logical cores%s\n", loom_version_string(), date, cpu->model,
           cpu->logical_cores, quick ? " — QUICK (not for the record)" : "");
    printf("%-30s %-7s %7s %-24s %11s %24s %24s %8s\n", "operation", "simd", "threads", "size", "time", "rate",
           "per core", "scaling");
    for (size_t i = 0; i < b->n; i++) {
        const result *r = &b->r[i];
        double rate = r->work / r->seconds;
        char t[32], rt[48], pc[48], sc[16] = "";
        if (r->seconds < 1e-3)
            snprintf(t, sizeof t, "%.2f us", r->seconds * 1e6);
        else
            snprintf(t, sizeof t, "%.3f ms", r->seconds * 1e3);
        fmt_rate(rt, sizeof rt, rate, r->unit);
        fmt_rate(pc, sizeof pc, rate / r->threads, r->unit);
        if (r->speedup > 0)
            snprintf(sc, sizeof sc, "%.2fx", r->speedup);
        printf("%-30s %-7s %7u %-24s %11s %24s %24s %8s\n", r->name, r->simd, r->threads, r->size, t, rt, pc, sc);
    }
}

/* --simd: one level, or every level this CPU runs (the default; one level when LOOM_SIMD or
 * cpu.simd already forced it at context creation). */
static int pick_levels(const char *arg, const loom_config *cfg, loom_simd_level *levels, size_t *n)
{
    *n = 0;
    const char *env = getenv("LOOM_SIMD");
    if (!arg && ((env && env[0]) || cfg->cpu_simd[0])) {
        levels[(*n)++] = loom_cpu_kernels_active()->level; /* the context applied it */
        return 0;
    }
    if (!arg || strcmp(arg, "all") == 0) {
        for (unsigned l = 0; l < LOOM_SIMD_LEVELS; l++)
            if (loom_cpu_kernels_for((loom_simd_level)l))
                levels[(*n)++] = (loom_simd_level)l;
        return 0;
    }
    loom_simd_level l;
    loom_status s = loom_simd_parse(&l, arg);
    if (s == LOOM_OK)
        s = loom_simd_select(l); /* checks this CPU and build have it */
    if (s != LOOM_OK)
        return cli_usage_error("bench", "--simd: %s", loom_last_error());
    levels[(*n)++] = l;
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    cli_args a = {.command = "bench",
                  .usage = "  loom bench [--json] [--output FILE] [--quick] [--min-time SEC] [--simd LEVEL|all] "
                           "[--threads N|all]",
                  .about = "Measures the main operations on this machine, at each SIMD level and thread count, "
                           "side by side:\nPoseidon2 permutations/s (every instance one at a time, and width 16 "
                           "batched per level),\nNTT (BabyBear 2^20 x 16 and x 64 forward), coset LDE (2^20 x 64, "
                           "blowup 2) and 'loom commit'\n(2^16 and 2^20 x 64, blowup 2). Each figure is the best of several "
                           "repetitions. Record figures in\ndocs/benchmarks.md.",
                  .options = opts,
                  .n_options = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    bench *b = calloc(1, sizeof *b);
    if (!b) {
        fprintf(stderr, "loom bench: out of memory\n");
        return EXIT_RUN;
    }
    b->min_time = 1.0;
    if (cli_get(&a, "min-time")) {
        char *end;
        b->min_time = strtod(cli_get(&a, "min-time"), &end);
        if (*end || b->min_time < 0 || b->min_time > 3600) {
            free(b);
            return cli_usage_error("bench", "--min-time '%s' is not a number of seconds in 0..3600",
                                   cli_get(&a, "min-time"));
        }
    }
    const int quick = cli_flag(&a, "quick");
    cli_job job;
    if ((rc = cli_job_resolve(&job, &a))) {
        free(b);
        return rc;
    }
    loom_cpu_facts cpu;
    loom_cpu_facts_get(&cpu);
    const unsigned cores = cpu.logical_cores ? cpu.logical_cores : 1;

    /* Thread counts: --threads N (or LOOM_THREADS / cpu.threads, resolved into job.threads), else
     * 1 and every core. */
    unsigned counts[MAX_THREAD_COUNTS];
    size_t n_counts = 0;
    const char *targ = cli_get(&a, "threads");
    if (job.threads && !(targ && strcmp(targ, "all") == 0)) {
        counts[n_counts++] = job.threads;
    } else {
        counts[n_counts++] = 1;
        if (cores > 1)
            counts[n_counts++] = cores;
    }

    /* One context per thread count (each CPU device owns a pool of that size), made before the
     * levels are picked so that a bad LOOM_SIMD or cpu.simd fails here with its message. */
    loom_ctx *ctx[MAX_THREAD_COUNTS] = {0};
    loom_pool *pool[MAX_THREAD_COUNTS] = {0};
    loom_status s = LOOM_OK;
    for (size_t i = 0; i < n_counts && s == LOOM_OK; i++) {
        job.cfg->cpu_threads = (int)counts[i];
        s = loom_ctx_create(&ctx[i], job.cfg);
        if (s == LOOM_OK)
            s = loom_pool_create(&pool[i], counts[i]);
    }
    loom_simd_level levels[LOOM_SIMD_LEVELS];
    size_t n_levels = 0;
    if (s == LOOM_OK)
        rc = pick_levels(cli_get(&a, "simd"), job.cfg, levels, &n_levels);
    if (s != LOOM_OK || rc) {
        if (s != LOOM_OK)
            rc = cli_fail("bench", s);
        goto out;
    }

    const loom_field *bb = loom_field_get(LOOM_FIELD_BABYBEAR);
    const size_t log_n = quick ? 12 : 20, cols = 64;
    const size_t rows = (size_t)1 << log_n;
    const size_t commit_log = quick ? 10 : 20;
    /* The issue-2 baseline sizes (NTT 2^20 x 16, commit 2^16 x 64) beside the larger ones. */
    const size_t ntt_cols[2] = {16, 64};
    const size_t commit_logs[2] = {quick ? 8 : 16, commit_log};
    const size_t n_steps = 6 * n_levels * n_counts + 1;
    size_t step = 0;
    char size[48], name[64];

    /* Every built-in instance, one permutation at a time (the public call; level-independent). */
    cli_progress("bench: step", ++step, n_steps);
    for (size_t i = 0; i < loom_poseidon2_count(); i++) {
        perm_arg pa = {.perm = loom_poseidon2_at(i), .count = quick ? 1000 : 20000};
        for (unsigned k = 0; k < pa.perm->width; k++)
            pa.state[k] = k;
        double t = best_of(b->min_time, run_perms, &pa);
        snprintf(name, sizeof name, "poseidon2 %s", pa.perm->name);
        add(b, name, "1 state at a time", "scalar", 1, t, (double)pa.count, "perm"); /* the reference call */
    }

    /* Width 16, batched: permute_many over independent states at each level. */
    const loom_poseidon2 *p16 = NULL;
    if ((s = loom_poseidon2_get(&p16, LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 16)) != LOOM_OK) {
        rc = cli_fail("bench", s);
        goto out;
    }
    const size_t per_thread = quick ? 256 : 4096;
    uint32_t *states = random_matrix(bb, per_thread * cores * 16, 9);
    uint32_t *data = random_matrix(bb, rows * cols, 7);
    uint32_t *out = malloc((rows << 1) * cols * sizeof *out);
    uint32_t *trace = random_matrix(bb, ((size_t)1 << commit_log) * cols, 8);
    if (!states || !data || !out || !trace) {
        fprintf(stderr, "loom bench: out of memory\n");
        rc = EXIT_RUN;
        goto free_data;
    }
    for (size_t l = 0; l < n_levels; l++) {
        (void)loom_simd_select(levels[l]); /* checked above */
        for (size_t c = 0; c < n_counts; c++) {
            cli_progress("bench: step", ++step, n_steps);
            many_arg ma = {pool[c], p16, states, per_thread * counts[c]};
            double t = best_of(b->min_time, run_many, &ma);
            snprintf(size, sizeof size, "%zu states", ma.n);
            add(b, "poseidon2 babybear w16 batch", size, loom_simd_name(levels[l]), counts[c], t, (double)ma.n, "perm");
        }
    }
    for (size_t w = 0; w < 2; w++)
        for (size_t l = 0; l < n_levels && s == LOOM_OK; l++) {
            (void)loom_simd_select(levels[l]);
            for (size_t c = 0; c < n_counts && s == LOOM_OK; c++) {
                cli_progress("bench: step", ++step, n_steps);
                ntt_arg na = {.pool = pool[c], .f = bb, .data = data, .rows = rows, .cols = ntt_cols[w], .s = LOOM_OK};
                double t = best_of(b->min_time, run_dft, &na);
                s = na.s;
                snprintf(size, sizeof size, "2^%zu x %zu", log_n, ntt_cols[w]);
                add(b, "ntt forward babybear", size, loom_simd_name(levels[l]), counts[c], t,
                    (double)(rows / 2) * log_n * ntt_cols[w], "butterfly");
            }
        }
    for (size_t l = 0; l < n_levels && s == LOOM_OK; l++) {
        (void)loom_simd_select(levels[l]);
        for (size_t c = 0; c < n_counts && s == LOOM_OK; c++) {
            cli_progress("bench: step", ++step, n_steps);
            ntt_arg la = {.pool = pool[c], .f = bb, .data = data, .out = out, .rows = rows, .cols = cols,
                          .blowup = 1, .s = LOOM_OK};
            double t = best_of(b->min_time, run_lde, &la);
            s = la.s;
            snprintf(size, sizeof size, "2^%zu x %zu -> 2^%zu", log_n, cols, log_n + 1);
            add(b, "coset lde babybear", size, loom_simd_name(levels[l]), counts[c], t, (double)(rows << 1) * cols,
                "output element");
        }
    }
    for (size_t z = 0; z < 2; z++)
        for (size_t l = 0; l < n_levels && s == LOOM_OK; l++) {
            (void)loom_simd_select(levels[l]);
            for (size_t c = 0; c < n_counts && s == LOOM_OK; c++) {
                cli_progress("bench: step", ++step, n_steps);
                commit_arg ca = {.ctx = ctx[c], .params = {LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 1, "cpu0"},
                                 .view = {trace, (size_t)1 << commit_logs[z], cols}, .s = LOOM_OK};
                double t = best_of(b->min_time, run_commit, &ca);
                s = ca.s;
                snprintf(size, sizeof size, "2^%zu x %zu, blowup 2", commit_logs[z], cols);
                add(b, "commit babybear plonky3", size, loom_simd_name(levels[l]), counts[c], t,
                    (double)((size_t)1 << commit_logs[z]) * cols, "trace element");
            }
        }
    cli_progress_end();
    if (s != LOOM_OK) {
        rc = cli_fail("bench", s);
        goto free_data;
    }

    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (cli_flag(&a, "json"))
        write_json(stdout, b, &cpu, date, quick, levels, n_levels);
    else
        write_table(b, &cpu, date, quick);
    if (cli_get(&a, "output")) {
        FILE *fp = fopen(cli_get(&a, "output"), "w");
        if (!fp) {
            fprintf(stderr, "loom bench: cannot write '%s'\n", cli_get(&a, "output"));
            rc = EXIT_USAGE;
        } else {
            write_json(fp, b, &cpu, date, quick, levels, n_levels);
            if (fclose(fp) != 0)
                rc = EXIT_RUN;
        }
    }
free_data:
    free(states);
    free(data);
    free(out);
    free(trace);
out:
    for (size_t i = 0; i < n_counts; i++) {
        loom_pool_destroy(pool[i]);
        loom_ctx_destroy(ctx[i]);
    }
    cli_job_free(&job);
    free(b);
    return rc;
}
