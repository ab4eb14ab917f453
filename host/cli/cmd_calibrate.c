/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_option opts[] = {
    {"out", 1, "FILE", "write the performance model here (YAML; use it with scheduler: {model: FILE})"},
    {"log-rows", 1, "K[,K...]", "trace sizes to measure, 2^K rows each (default 12,16)"},
    {"cols", 1, "W", "columns of the measured traces (default 32)"},
    {"repeats", 1, "N", "timed runs per device, stage and size (default 3)"},
    {"field", 1, "NAME", "babybear | koalabear (default: config, else babybear)"},
    {"config", 1, "FILE", "device configuration (default: $LOOM_CONFIG, else built-in)"},
    {"threads", 1, "N", "CPU worker threads (default: $LOOM_THREADS, config, else one per core)"},
    {"json", 0, NULL, "print the model as JSON"},
};

int cmd_calibrate(int argc, char **argv)
{
    cli_args a = {.command = "calibrate",
                  .usage = "  loom calibrate [--out FILE] [--log-rows K[,K...]] [--cols W] [--repeats N] [options]",
                  .about = "Runs every stage (LDE, leaf hashing, compression) on every device of the configuration, "
                           "one device\nat a time, and records each one's throughput per (stage, device, size): the "
                           "performance model\nthe scheduler uses instead of the static scores. With --out it is "
                           "saved for later runs\n(scheduler: {model: FILE} in the configuration).",
                  .options = opts,
                  .n_options = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    cli_job job;
    if ((rc = cli_job_resolve(&job, &a)))
        return rc;
    uint64_t cols = 32, repeats = 3;
    unsigned sizes[8] = {12, 16}, n_sizes = 2;
    if ((cli_get(&a, "cols") && (rc = cli_u64(&a, "cols", &cols, 1, 4096))) ||
        (cli_get(&a, "repeats") && (rc = cli_u64(&a, "repeats", &repeats, 1, 1000))))
        goto out;
    if (cli_get(&a, "log-rows")) {
        n_sizes = 0;
        const char *p = cli_get(&a, "log-rows");
        while (*p) {
            char *end;
            unsigned long v = strtoul(p, &end, 10);
            if (end == p || v > 26 || (*end && *end != ',') || n_sizes == 8) {
                rc = cli_usage_error("calibrate", "--log-rows '%s': expected up to 8 sizes 0..26 separated by commas",
                                     cli_get(&a, "log-rows"));
                goto out;
            }
            sizes[n_sizes++] = (unsigned)v;
            p = *end ? end + 1 : end;
        }
    }
    loom_ctx *ctx;
    loom_status s = loom_ctx_create(&ctx, job.cfg);
    if (s != LOOM_OK) {
        rc = cli_fail("calibrate", s);
        goto out;
    }
    for (unsigned k = 0; k < n_sizes && s == LOOM_OK; k++) {
        cli_progress("calibrate: size", k + 1, n_sizes);
        s = loom_calibrate(ctx, job.field->id, sizes[k], (unsigned)cols, (unsigned)repeats);
    }
    cli_progress_end();
    if (s == LOOM_OK && cli_get(&a, "out"))
        s = loom_ctx_save_model(ctx, cli_get(&a, "out"));
    if (s != LOOM_OK) {
        rc = cli_fail("calibrate", s);
    } else {
        size_t n = loom_ctx_device_count(ctx);
        static const char *unit[LOOM_STAGE_COUNT] = {"columns/s", "rows/s", "pairs/s"};
        if (cli_flag(&a, "json"))
            printf("{\"command\": \"calibrate\", \"cols\": %llu, \"entries\": [", (unsigned long long)cols);
        else
            printf("Performance model (%s, %llu columns)%s%s\n  %-12s %-9s %5s %14s %10s\n", job.field->name,
                   (unsigned long long)cols, cli_get(&a, "out") ? " written to " : "",
                   cli_get(&a, "out") ? cli_get(&a, "out") : "", "device", "stage", "log2", "rate", "unit");
        int first = 1;
        for (size_t i = 0; i < n; i++)
            for (unsigned k = 0; k < n_sizes; k++)
                for (int st = 0; st < LOOM_STAGE_COUNT; st++) {
                    unsigned ls = sizes[k] + (st == LOOM_STAGE_HASH); /* the LDE's rows are hashed */
                    loom_device_status ds;
                    if (loom_ctx_device_status(ctx, i, ls, &ds) != LOOM_OK || ds.rate[st] <= 0)
                        continue;
                    if (cli_flag(&a, "json")) {
                        printf("%s\n  {\"device\": ", first ? "" : ",");
                        json_str(stdout, loom_ctx_device(ctx, i)->id);
                        printf(", \"stage\": \"%s\", \"log_size\": %u, \"rate\": %.6g, \"unit\": \"%s\"}",
                               loom_stage_name((loom_stage)st), ls, ds.rate[st], unit[st]);
                    } else {
                        printf("  %-12s %-9s %5u %14.4g %10s\n", loom_ctx_device(ctx, i)->id,
                               loom_stage_name((loom_stage)st), ls, ds.rate[st], unit[st]);
                    }
                    first = 0;
                }
        if (cli_flag(&a, "json"))
            printf("\n]}\n");
    }
    loom_ctx_destroy(ctx);
out:
    cli_job_free(&job);
    return rc;
}
