/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_option opts[] = {
    {"input", 1, "FILE", "trace file: raw little-endian u32, canonical, row-major, N x W"},
    {"rows", 1, "N", "rows of the input (a power of two)"},
    {"cols", 1, "W", "columns (with --input, or of the random trace)"},
    {"log-rows", 1, "K", "random trace of 2^K rows instead of --input"},
    {"seed", 1, "S", "seed of the random trace (default 1); shard i uses S + i"},
    {"shards", 1, "M", "commit M independent random traces (default 1)"},
    {"log-blowup", 1, "B", "LDE blowup 2^B, 0..8 (default: config, else 1)"},
    {"field", 1, "NAME", "babybear | koalabear (default: config, else babybear)"},
    {"perm", 1, "NAME", "plonky3 | sp1 Poseidon2 instance (default: config, else plonky3)"},
    {"config", 1, "FILE", "device configuration (default: $LOOM_CONFIG, else built-in)"},
    {"device", 1, "ID", "run every stage on this device (e.g. cpu0, gpu0); default: the scheduler routes"},
    {"threads", 1, "N", "CPU worker threads (default: $LOOM_THREADS, config, else one per core)"},
    {"multi-gpu", 1, "MODE", "exchange | chain | off: how GPUs share one trace (default: config, else exchange)"},
    {"json", 0, NULL, "print one JSON object on stdout"},
};

int cmd_commit(int argc, char **argv)
{
    cli_args a = {.command = "commit",
                  .usage = "  loom commit --input FILE --rows N --cols W [options]\n"
                           "  loom commit [--log-rows K] [--cols W] [--seed S] [--shards M] [options]",
                  .about = "Commits trace matrices exactly as Plonky3's TwoAdicFriPcs::commit: coset LDE with "
                           "shift = the field's\nGENERATOR, rows bit-reversed, then a Poseidon2 MerkleTreeMmcs. "
                           "Prints the Merkle root (8 canonical\nintegers) and where the time went. Without "
                           "--input it commits random traces (default 2^16 x 64).",
                  .options = opts,
                  .n_options = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    const char *input = cli_get(&a, "input");
    if (input && (cli_get(&a, "log-rows") || cli_get(&a, "shards") || cli_get(&a, "seed")))
        return cli_usage_error("commit", "--input cannot be combined with --log-rows, --seed or --shards");
    if (!input && cli_get(&a, "rows"))
        return cli_usage_error("commit", "--rows needs --input (use --log-rows K for random traces)");

    cli_job job;
    if ((rc = cli_job_resolve(&job, &a)))
        return rc;
    const loom_field *f = job.field;
    uint64_t rows = 0, cols = 64, shards = 1, seed = 1, log_rows = 16;
    if (input) {
        if ((rc = cli_u64(&a, "rows", &rows, 1, 1ull << 40)) || (rc = cli_u64(&a, "cols", &cols, 1, 1u << 20)))
            goto out;
        if (!loom_is_pow2_u64(rows)) {
            rc = cli_usage_error("commit", "--rows %llu is not a power of two; Plonky3's PCS commits traces of "
                                           "power-of-two height",
                                 (unsigned long long)rows);
            goto out;
        }
    } else {
        if ((cli_get(&a, "log-rows") && (rc = cli_u64(&a, "log-rows", &log_rows, 0, f->two_adicity))) ||
            (cli_get(&a, "cols") && (rc = cli_u64(&a, "cols", &cols, 1, 1u << 20))) ||
            (cli_get(&a, "shards") && (rc = cli_u64(&a, "shards", &shards, 1, 1u << 20))) ||
            (cli_get(&a, "seed") && (rc = cli_u64(&a, "seed", &seed, 0, UINT64_MAX))))
            goto out;
        rows = 1ull << log_rows;
    }
    if (loom_log2_u64(rows) + job.log_blowup > f->two_adicity) {
        rc = cli_usage_error("commit", "2^%u rows with --log-blowup %u exceeds %s's two-adicity (2^%u rows at most)",
                             loom_log2_u64(rows), job.log_blowup, f->name, f->two_adicity);
        goto out;
    }

    const char *multi = cli_get(&a, "multi-gpu");
    if (multi) {
        int mode = -1;
        for (int m = 0; m <= LOOM_MULTI_GPU_OFF; m++)
            if (strcmp(multi, loom_multi_gpu_name((loom_multi_gpu_mode)m)) == 0)
                mode = m;
        if (mode < 0) {
            rc = cli_usage_error("commit", "--multi-gpu '%s' is not a mode; expected exchange, chain or off", multi);
            goto out;
        }
        job.cfg->sched.multi_gpu = mode;
    }

    loom_ctx *ctx;
    loom_status s = loom_ctx_create(&ctx, job.cfg);
    if (s != LOOM_OK) {
        rc = cli_fail("commit", s);
        goto out;
    }
    loom_clear_error(); /* so a bare out-of-memory below is not reported with an older message */
    loom_commit_params params = {f->id, job.perm, job.log_blowup, cli_get(&a, "device")};
    loom_digest *roots = calloc(shards, sizeof *roots);
    loom_commit_report total, rep;
    memset(&total, 0, sizeof total);
    uint32_t *trace = NULL;
    if (!roots) {
        s = LOOM_ERR_NO_MEMORY;
        goto done;
    }
    /* Random shards are made a group at a time and committed together, so that devices that take
     * whole shards (GPUs) have several in flight; the group is bounded to 8 GiB of traces. */
    uint64_t shard_bytes = rows * cols * sizeof(uint32_t), group = 1;
    if (!input) {
        group = shards < 16 ? shards : 16;
        while (group > 1 && group * shard_bytes > (8ull << 30))
            group--;
    }
    if (input) {
        if ((s = loom_matrix_read_file(f, &trace, input, rows, cols)) != LOOM_OK)
            goto done;
    } else if (!(trace = malloc(group * rows * cols * sizeof *trace))) {
        s = LOOM_ERR_NO_MEMORY;
        goto done;
    }
    loom_matrix_view views[16];
    total.n_devices = 0;
    double wall = 0;
    for (uint64_t m0 = 0; m0 < shards; m0 += group) {
        uint64_t g = shards - m0 < group ? shards - m0 : group;
        for (uint64_t k = 0; k < g; k++) {
            uint32_t *t = trace + k * rows * cols;
            if (!input) {
                cli_rng rng = {seed + m0 + k};
                for (size_t i = 0; i < rows * cols; i++)
                    t[i] = cli_rng_element(&rng, f->p);
            }
            views[k] = (loom_matrix_view){t, rows, cols};
        }
        if (shards > 1)
            cli_progress("commit: shard", m0 + g, shards);
        if ((s = loom_commit_batch(ctx, &roots[m0], &rep, &params, views, g)) != LOOM_OK)
            break;
        wall += rep.total_s;
        total.lde_s += rep.lde_s, total.hash_s += rep.hash_s, total.compress_s += rep.compress_s;
        total.lde_rows += rep.lde_rows, total.permutations += rep.permutations;
        total.bytes_peer += rep.bytes_peer;
        if (rep.multi_gpus > total.multi_gpus)
            total.multi_gpus = rep.multi_gpus, total.multi_mode = rep.multi_mode;
        total.n_devices = rep.n_devices;
        for (size_t d = 0; d < rep.n_devices; d++) {
            memcpy(total.devices[d].id, rep.devices[d].id, sizeof total.devices[d].id);
            total.devices[d].lde_columns += rep.devices[d].lde_columns;
            total.devices[d].rows_hashed += rep.devices[d].rows_hashed;
            total.devices[d].compressions += rep.devices[d].compressions;
            total.devices[d].busy_s += rep.devices[d].busy_s;
        }
    }
    total.total_s = wall;
    cli_progress_end();
done:
    if (s != LOOM_OK) {
        rc = cli_fail("commit", s);
    } else if (cli_flag(&a, "json")) {
        printf("{\"command\": \"commit\", \"field\": \"%s\", \"perm\": \"%s\", \"rows\": %llu, \"cols\": %llu, "
               "\"log_blowup\": %u, \"shards\": %llu, ",
               f->name, job.perm_name, (unsigned long long)rows, (unsigned long long)cols, job.log_blowup,
               (unsigned long long)shards);
        printf("\"input\": ");
        if (input)
            json_str(stdout, input);
        else
            printf("{\"random\": true, \"seed\": %llu}", (unsigned long long)seed);
        printf(", \"config\": ");
        json_str(stdout, job.cfg->source);
        printf(",\n \"root\": ");
        json_digest(stdout, &roots[0]);
        printf(",\n \"roots\": [");
        for (uint64_t m = 0; m < shards; m++) {
            printf("%s", m ? ", " : "");
            json_digest(stdout, &roots[m]);
        }
        printf("],\n \"stages\": {\"lde_s\": %.6f, \"hash_s\": %.6f, \"compress_s\": %.6f, \"total_s\": %.6f},\n",
               total.lde_s, total.hash_s, total.compress_s, total.total_s);
        printf(" \"lde_rows\": %llu, \"permutations\": %llu, \"multi_gpus\": %u, \"multi_mode\": \"%s\", "
               "\"bytes_peer\": %llu,\n \"devices\": [",
               (unsigned long long)total.lde_rows, (unsigned long long)total.permutations, total.multi_gpus,
               total.multi_gpus > 1 ? loom_multi_gpu_name((loom_multi_gpu_mode)total.multi_mode) : "none",
               (unsigned long long)total.bytes_peer);
        for (size_t d = 0; d < total.n_devices; d++)
            printf("%s{\"id\": \"%s\", \"lde_columns\": %llu, \"rows_hashed\": %llu, \"compressions\": %llu, "
                   "\"busy_s\": %.6f}",
                   d ? ", " : "", total.devices[d].id, (unsigned long long)total.devices[d].lde_columns,
                   (unsigned long long)total.devices[d].rows_hashed,
                   (unsigned long long)total.devices[d].compressions, total.devices[d].busy_s);
        printf("]}\n");
    } else {
        printf("commit: %s, Poseidon2 %s, %llu shard%s of %llu x %llu, blowup 2^%u (%s)\n", f->name, job.perm_name,
               (unsigned long long)shards, shards == 1 ? "" : "s", (unsigned long long)rows,
               (unsigned long long)cols, job.log_blowup, input ? input : "random");
        for (uint64_t m = 0; m < shards && m < 8; m++) {
            printf(shards == 1 ? "root:" : "root[%llu]:", (unsigned long long)m);
            for (int i = 0; i < LOOM_DIGEST_WORDS; i++)
                printf(" %u", roots[m].v[i]);
            printf("\n");
        }
        if (shards > 8)
            printf("... (%llu roots; --json prints all)\n", (unsigned long long)shards);
        printf("stages: lde %.3f s, leaf hash %.3f s, compress %.3f s, total %.3f s (%llu permutations, %.2f "
               "Mperm/s)\n",
               total.lde_s, total.hash_s, total.compress_s, total.total_s, (unsigned long long)total.permutations,
               total.hash_s + total.compress_s > 0 ? total.permutations / (total.hash_s + total.compress_s) / 1e6
                                                   : 0.0);
        if (total.multi_gpus > 1)
            printf("one trace over %u GPUs (%s): %.1f MiB copied between them\n", total.multi_gpus,
                   loom_multi_gpu_name((loom_multi_gpu_mode)total.multi_mode), total.bytes_peer / 1048576.0);
        for (size_t d = 0; d < total.n_devices; d++)
            printf("device %s: %llu columns extended, %llu rows hashed, %llu compressions, busy %.3f s\n",
                   total.devices[d].id, (unsigned long long)total.devices[d].lde_columns,
                   (unsigned long long)total.devices[d].rows_hashed,
                   (unsigned long long)total.devices[d].compressions, total.devices[d].busy_s);
    }
    free(trace);
    free(roots);
    loom_ctx_destroy(ctx);
out:
    cli_job_free(&job);
    return rc;
}
