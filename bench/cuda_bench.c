/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loom-cuda-bench: the GPU figures of docs/benchmarks.md, measured in one run. It first measures
 * the device-to-device copy bandwidth (bytes read + written), then sets each kernel's bytes
 * against it. Times are per operation, the mean of several runs after a warm-up, taken with CUDA
 * events on device-resident data, except the end-to-end commit, which starts from host memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal/ctx.h"
#include "internal/poseidon2_ref.h"
#include "internal/timer.h"
#include "loom_cuda.h"
#include "loom_git_commit.h"

loom_cuda_dev *loom_cuda_device_handle(loom_device *dev);

typedef struct {
    char name[64], size[48], note[96];
    double seconds, value;
    const char *unit;
} row;

static row rows[32];
static int n_rows;

static void add(const char *name, const char *size, double seconds, double value, const char *unit, const char *note)
{
    row *r = &rows[n_rows++];
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->size, sizeof r->size, "%s", size);
    snprintf(r->note, sizeof r->note, "%s", note ? note : "");
    r->seconds = seconds, r->value = value, r->unit = unit;
}

static const char *const parts[] = {"butterfly", "ntt", "lde", "poseidon2", "merkle", "commit"};
static unsigned only = ~0u; /* bit i: parts[i] runs */

static int runs(const char *part)
{
    for (unsigned i = 0; i < sizeof parts / sizeof *parts; i++)
        if (!strcmp(parts[i], part))
            return (only >> i) & 1;
    return 0;
}

/* Parses --only's list into `only`; 0 on success. */
static int parse_only(const char *list)
{
    only = 0;
    const char *s = list;
    while (*s) {
        size_t len = strcspn(s, ",");
        unsigned i = 0;
        while (i < sizeof parts / sizeof *parts && (strlen(parts[i]) != len || strncmp(parts[i], s, len)))
            i++;
        if (i == sizeof parts / sizeof *parts) {
            fprintf(stderr, "loom-cuda-bench: --only: unknown part '%.*s' (expected butterfly, ntt, lde, poseidon2, merkle, commit)\n",
                    (int)len, s);
            return -1;
        }
        only |= 1u << i;
        s += len + (s[len] == ',');
    }
    return only ? 0 : -1;
}

static int die(const char *what, const char *err)
{
    fprintf(stderr, "loom-cuda-bench: %s: %s\n", what, err);
    return 1;
}

static void usage(FILE *to)
{
    fprintf(to, "Usage: loom-cuda-bench [--json] [--output FILE] [--quick] [--device ID] [--ntt-sweep]\n"
                "                       [--only LIST]\n\n"
                "Measures the GPU: copy bandwidth, the NTT butterfly's arithmetic rate (registers only, and\n"
                "what the NTT and LDE below would take at it), NTT 2^24 x 32, coset LDE 2^24 -> 2^25 x 32,\n"
                "Poseidon2 permutations/s, Merkle commit of 2^20 x 32, and 'loom commit' of 2^22 x 64 (blowup\n"
                "2) from host memory. --quick uses small sizes (a smoke run, not for the record).\n"
                "--only LIST: a comma-separated subset of butterfly,ntt,lde,poseidon2,merkle,commit (the copy\n"
                "always runs: the other figures are set against it); for profilers and quick comparisons.\n");
}

int main(int argc, char **argv)
{
    int json = 0, quick = 0, sweep = 0;
    const char *out_path = NULL, *want = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--ntt-sweep"))
            sweep = 1;
        else if (!strcmp(argv[i], "--output") && i + 1 < argc)
            out_path = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            if (parse_only(argv[++i])) {
                usage(stderr);
                return 2;
            }
        } else if (!strcmp(argv[i], "--device") && i + 1 < argc)
            want = argv[++i];
        else if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "loom-cuda-bench: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    loom_ctx *ctx;
    if (loom_ctx_create(&ctx, NULL) != LOOM_OK)
        return die("context", loom_last_error());
    loom_device *gpu = NULL;
    for (size_t i = 0; i < ctx->n_devices && !gpu; i++)
        if (ctx->devices[i].info.kind == LOOM_DEVICE_GPU && (!want || !strcmp(want, ctx->devices[i].info.id)))
            gpu = &ctx->devices[i];
    if (!gpu) {
        char notes[1024] = "";
        loom_device_info all[64];
        size_t n;
        if (loom_devices_discover(all, 64, &n, notes, sizeof notes) != LOOM_OK)
            snprintf(notes, sizeof notes, "%s", loom_last_error());
        fprintf(stderr, "loom-cuda-bench: no GPU%s%s: %s\n", want ? " named " : "", want ? want : "", notes);
        loom_ctx_destroy(ctx);
        return 2;
    }
    loom_cuda_dev *dev = loom_cuda_device_handle(gpu);
    const loom_field *bb = loom_field_get(LOOM_FIELD_BABYBEAR);
    loom_cuda_field cf = {bb->p, bb->mu, bb->r_mod_p, bb->r2_mod_p, bb->two_adicity, bb->two_adic_generators};
    char err[512] = "", size[48], note[96];
    double t;
    const int iters = quick ? 3 : 10;
    if (sweep) {
        int rc = loom_cuda_bench_ntt_sweep(dev, &cf, quick ? 20 : 24, quick ? 8 : 32, err, sizeof err);
        if (!rc)
            rc = loom_cuda_bench_ntt_sweep(dev, &cf, quick ? 21 : 25, quick ? 8 : 32, err, sizeof err);
        loom_ctx_destroy(ctx);
        return rc ? die("ntt sweep", err) : 0;
    }

    size_t copy_bytes = quick ? (size_t)256 << 20 : (size_t)2 << 30;
    if (loom_cuda_bench_copy(dev, copy_bytes, iters, &t, err, sizeof err))
        return die("copy", err);
    const double copy_bw = 2.0 * copy_bytes / t;
    snprintf(size, sizeof size, "%zu MiB", copy_bytes >> 20);
    add("d2d copy", size, t, copy_bw / 1e12, "TB/s", "bytes read + written: the ceiling below");

    unsigned logn = quick ? 20 : 24;
    size_t cols = quick ? 8 : 32;
    unsigned passes;
    if (runs("butterfly")) {
        /* Butterflies of the NTT (2^(logn-1) logn a column) and of the LDE (inverse 2^logn, forward
         * 2^(logn+1), the zero-padded top stage included), at the measured rate. */
        const double ntt_b = (double)cols * ((double)((size_t)1 << (logn - 1)) * logn);
        const double lde_b = ntt_b + (double)cols * ((double)((size_t)1 << logn) * (logn + 1));
        for (int shoup = 1; shoup >= 0; shoup--) {
            double count, rate;
            if (loom_cuda_bench_butterfly(dev, &cf, shoup, iters, &t, &count, err, sizeof err))
                return die("butterfly", err);
            rate = count / t;
            snprintf(size, sizeof size, "%.3g, registers only", count);
            snprintf(note, sizeof note, "at this rate: ntt %.2f ms, lde %.2f ms", ntt_b / rate * 1e3, lde_b / rate * 1e3);
            add(shoup ? "dif butterfly shoup (ntt's)" : "dif butterfly montgomery", size, t, rate / 1e9, "Gbfly/s", note);
        }
    }
    if (runs("ntt")) {
        if (loom_cuda_bench_ntt(dev, &cf, logn, cols, iters, &t, &passes, err, sizeof err))
            return die("ntt", err);
        double bytes = (double)passes * 2 * (double)((cols * 4) << logn);
        snprintf(size, sizeof size, "2^%u x %zu", logn, cols);
        snprintf(note, sizeof note, "%u passes: %.1f TB/s = %.0f%% of copy", passes, bytes / t / 1e12,
                 100 * bytes / t / copy_bw);
        add("ntt forward babybear", size, t, 0, "", note);
    }

    if (runs("lde")) {
        if (loom_cuda_bench_lde(dev, &cf, logn, 1, cols, iters, &t, err, sizeof err))
            return die("lde", err);
        double floor_bytes = 3.0 * (double)((cols * 4) << logn); /* read n, write 2n */
        snprintf(size, sizeof size, "2^%u -> 2^%u x %zu", logn, logn + 1, cols);
        snprintf(note, sizeof note, "floor (read in, write out) at copy rate: %.2f ms", floor_bytes / copy_bw * 1e3);
        add("coset lde babybear", size, t, 0, "", note);
    }

    size_t n_perm = quick ? (size_t)1 << 18 : (size_t)1 << 24;
    for (size_t i = 0; i < loom_poseidon2_count() && runs("poseidon2"); i++) {
        const loom_poseidon2 *perm = loom_poseidon2_at(i);
        const loom_poseidon2_monty *m = loom_poseidon2_monty_consts(perm);
        loom_cuda_perm cp = {(int)i, perm->field == LOOM_FIELD_BABYBEAR, perm->width, perm->rounds_p,
                             perm->legacy_internal, m->ext_initial, m->internal, m->ext_final, m->diag};
        if (loom_cuda_bench_permute(dev, &cp, n_perm, iters, &t, err, sizeof err))
            return die("poseidon2", err);
        char name[64];
        snprintf(name, sizeof name, "poseidon2 %s", perm->name);
        snprintf(size, sizeof size, "2^%u states", quick ? 18 : 24);
        add(name, size, t, n_perm / t / 1e9, "Gperm/s", NULL);
    }

    const loom_poseidon2 *p16;
    if (loom_poseidon2_get(&p16, LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 16) != LOOM_OK)
        return die("poseidon2", loom_last_error());
    const loom_poseidon2_monty *m16 = loom_poseidon2_monty_consts(p16);
    loom_cuda_perm cp16 = {0, 1, 16, p16->rounds_p, 0, m16->ext_initial, m16->internal, m16->ext_final, m16->diag};
    for (size_t i = 0; i < loom_poseidon2_count(); i++)
        if (loom_poseidon2_at(i) == p16)
            cp16.slot = (int)i;
    size_t mrows = quick ? (size_t)1 << 16 : (size_t)1 << 20, mcols = 32;
    if (runs("merkle")) {
        if (loom_cuda_bench_merkle(dev, &cp16, mrows, mcols, iters, &t, err, sizeof err))
            return die("merkle", err);
        snprintf(size, sizeof size, "2^%u x %zu", quick ? 16 : 20, mcols);
        snprintf(note, sizeof note, "%.2f Gperm/s incl. the tree", (double)mrows * (mcols / 8 + 1) / t / 1e9);
        add("merkle commit babybear", size, t, 0, "", note);
    }

    /* End to end from host memory. */
    if (runs("commit")) {
        size_t erows = quick ? (size_t)1 << 16 : (size_t)1 << 22, ecols = quick ? 16 : 64;
        uint32_t *trace = malloc(erows * ecols * sizeof *trace);
        if (!trace)
            return die("commit", "out of host memory");
        uint64_t s = 1;
        for (size_t i = 0; i < erows * ecols; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            trace[i] = (uint32_t)(s >> 33) % bb->p;
    }
    loom_matrix_view v = {trace, erows, ecols};
    loom_commit_params params = {LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 1, gpu->info.id};
    loom_commit_report rep;
    loom_digest root;
    if (loom_commit(ctx, &root, &rep, &params, &v, 1) != LOOM_OK) /* warm-up: twiddles, pinned pools */
        return die("commit", loom_last_error());
    double best = 1e30;
    for (int i = 0; i < (quick ? 2 : 5); i++) {
        double t0 = loom_now();
        if (loom_commit(ctx, &root, &rep, &params, &v, 1) != LOOM_OK)
            return die("commit", loom_last_error());
        double dt = loom_now() - t0;
        if (dt < best)
            best = dt;
    }
    size_t h2d_bytes = erows * ecols * 4;
    if (loom_cuda_bench_h2d(dev, h2d_bytes, iters, &t, err, sizeof err))
        return die("h2d", err);
    double h2d_bw = h2d_bytes / t, compute = rep.lde_s + rep.hash_s + rep.compress_s;
    snprintf(size, sizeof size, "2^%u x %zu, blowup 2", quick ? 16 : 22, ecols);
    snprintf(note, sizeof note, "pinned h2d %.1f GB/s; got %.1f GB/s; gpu busy %.1f ms", h2d_bw / 1e9,
             h2d_bytes / best / 1e9, compute * 1e3);
    add("commit from host", size, best, h2d_bytes / best / 1e9, "GB/s", note);
    double hidden = (t + compute - best) / t;
    snprintf(note, sizeof note, "copy alone %.1f ms, compute %.1f ms, wall %.1f ms", t * 1e3, compute * 1e3,
             best * 1e3);
    add("transfer hidden", size, best, 100 * (hidden < 0 ? 0 : hidden > 1 ? 1 : hidden), "%", note);

    /* The same trace over two GPUs, both modes (loom_cuda_commit_multi). With one GPU the second
     * is another handle on it: the figure is then the cost of splitting, not a speedup. */
    {
        int n_gpus = 0;
        char why[256];
        if (loom_cuda_count(&n_gpus, why, sizeof why) || n_gpus < 1)
            return die("GPU count", why);
        const int second = n_gpus > 1 ? (gpu->info.ordinal + 1) % n_gpus : gpu->info.ordinal;
        loom_cuda_dev *dev2 = NULL;
        if (loom_cuda_open(&dev2, second, 0, err, sizeof err) || loom_cuda_load_perm(dev2, &cp16, err, sizeof err))
            return die("second GPU handle", err);
        loom_cuda_matrix mat = {trace, erows, ecols};
        for (int g = 1; g <= 2; g++)
            for (int mode = 0; mode < (g == 1 ? 1 : 2); mode++) {
                loom_cuda_dev *devs[2] = {dev, dev2};
                uint32_t sub[16];
                loom_cuda_multi_stats ms;
                double bt = 1e30;
                for (int i = 0; i < (quick ? 2 : 4); i++) { /* the first warms up */
                    double t0 = loom_now();
                    if (loom_cuda_commit_multi(devs, g, mode, sub, &ms, &cf, &cp16, &mat, 1, 1, bb->generator, err,
                                               sizeof err))
                        return die("multi-GPU commit", err);
                    const double dt = loom_now() - t0;
                    if (i > 0 && dt < bt)
                        bt = dt;
                }
                char name[64];
                snprintf(name, sizeof name, "commit over %d %s%s", g, g == 1 ? "GPU" : n_gpus > 1 ? "GPUs" : "handles",
                         g == 1 ? "" : mode ? " (chain)" : " (exchange)");
                snprintf(note, sizeof note, "%.0f MiB between GPUs (%.1f ms of copies); busy %.1f + %.1f ms",
                         ms.bytes_peer / 1048576.0, (ms.peer_s[0] + ms.peer_s[1]) * 1e3, ms.busy_s[0] * 1e3,
                         ms.busy_s[1] * 1e3);
                add(name, size, bt, bt > 0 ? best / bt : 0, "x vs commit", note);
            }
        loom_cuda_close(dev2);
    }
    free(trace);
    }

    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    FILE *outs[2] = {json ? stdout : NULL, out_path ? fopen(out_path, "w") : NULL};
    if (out_path && !outs[1])
        return die("output", out_path);
    for (int o = 0; o < 2; o++) {
        FILE *to = outs[o];
        if (!to)
            continue;
        fprintf(to, "{\"commit\": \"%s\", \"date\": \"%s\", \"device\": {\"id\": \"%s\", \"name\": \"%s\", \"sms\": %u, "
                    "\"cc\": \"%u.%u\"}, \"quick\": %s, \"results\": [",
                LOOM_GIT_COMMIT, date, gpu->info.id, gpu->info.name, gpu->info.compute_units, gpu->info.cc_major,
                gpu->info.cc_minor, quick ? "true" : "false");
        for (int i = 0; i < n_rows; i++)
            fprintf(to, "%s\n  {\"name\": \"%s\", \"size\": \"%s\", \"ms\": %.4f, \"value\": %.4f, \"unit\": \"%s\", "
                        "\"note\": \"%s\"}",
                    i ? "," : "", rows[i].name, rows[i].size, rows[i].seconds * 1e3, rows[i].value, rows[i].unit,
                    rows[i].note);
        fprintf(to, "\n]}\n");
    }
    if (outs[1])
        fclose(outs[1]);
    if (!json) {
        printf("loom-cuda-bench — commit %s — %s — %s (%u SMs, sm_%u%u)%s\n", LOOM_GIT_COMMIT, date, gpu->info.name,
               gpu->info.compute_units, gpu->info.cc_major, gpu->info.cc_minor, quick ? " — QUICK" : "");
        printf("%-30s %-24s %10s %12s  %s\n", "operation", "size", "ms", "rate", "note");
        for (int i = 0; i < n_rows; i++) {
            char rate[32] = "";
            if (rows[i].unit[0])
                snprintf(rate, sizeof rate, "%.2f %s", rows[i].value, rows[i].unit);
            printf("%-30s %-24s %10.3f %12s  %s\n", rows[i].name, rows[i].size, rows[i].seconds * 1e3, rate,
                   rows[i].note);
        }
    }
    loom_ctx_destroy(ctx);
    return 0;
}
