/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "cli.h"

static const cli_option opts[] = {
    {"json", 0, NULL, "print {\"devices\": [...]} as JSON"},
    {"config", 1, "FILE", "use the devices of this configuration (default: $LOOM_CONFIG, else built-in: auto)"},
    {"threads", 1, "N", "CPU worker threads (default: $LOOM_THREADS, config cpu.threads, else one per core)"},
};

int cmd_devices(int argc, char **argv)
{
    cli_args a = {.command = "devices",
                  .usage = "  loom devices [--json] [--config FILE] [--threads N]",
                  .about = "Lists the devices a job would use: every discovered device for 'devices: auto', or "
                           "the ones\nthe configuration lists (a listed device that is absent is an error unless "
                           "marked optional).\nThe id column is the name commands, configs and messages use. The "
                           "score is the scheduler's\nstatic prior (0-100, from kind, backend, memory and compute "
                           "units); with a measured model\n(scheduler: {model: FILE}, written by loom calibrate) the "
                           "measured rates and scores follow. --json also gives\neach device's pick value, score x (1 - "
                           "utilisation), by which jobs choose devices (in a new\nprocess nothing has run yet, so "
                           "it equals the score).",
                  .options = opts,
                  .n_options = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    cli_job job;
    if ((rc = cli_job_resolve(&job, &a)))
        return rc;
    loom_ctx *ctx;
    loom_status s = loom_ctx_create(&ctx, job.cfg);
    if (s != LOOM_OK) {
        cli_job_free(&job);
        return cli_fail("devices", s);
    }
    char notes[1024];
    loom_device_info all[64];
    size_t n_all;
    s = loom_devices_discover(all, 64, &n_all, notes, sizeof notes);
    if (s != LOOM_OK) {
        loom_ctx_destroy(ctx);
        cli_job_free(&job);
        return cli_fail("devices", s);
    }
    size_t n = loom_ctx_device_count(ctx);
    if (cli_flag(&a, "json")) {
        printf("{\"config\": ");
        json_str(stdout, job.cfg->source);
        printf(", \"devices\": [");
        for (size_t i = 0; i < n; i++) {
            const loom_device_info *d = loom_ctx_device(ctx, i);
            printf("%s\n  {\"id\": ", i ? "," : "");
            json_str(stdout, d->id);
            printf(", \"kind\": \"%s\", \"backend\": ", loom_device_kind_name(d->kind));
            json_str(stdout, d->backend);
            printf(", \"name\": ");
            json_str(stdout, d->name);
            printf(", \"compute_units\": %u, \"threads\": %u, \"memory_bytes\": %llu", d->compute_units,
                   d->threads, (unsigned long long)d->memory_bytes);
            loom_device_status ds;
            if (loom_ctx_device_status(ctx, i, 20, &ds) == LOOM_OK) {
                printf(", \"prior_score\": %.2f, \"score\": {", ds.prior_score);
                for (int st = 0; st < LOOM_STAGE_COUNT; st++)
                    printf("%s\"%s\": %.2f", st ? ", " : "", loom_stage_name((loom_stage)st), ds.score[st]);
                printf("}, \"measured_rate_2^20\": {");
                for (int st = 0; st < LOOM_STAGE_COUNT; st++)
                    printf("%s\"%s\": %.6g", st ? ", " : "", loom_stage_name((loom_stage)st), ds.rate[st]);
                printf("}, \"pick\": {");
                for (int st = 0; st < LOOM_STAGE_COUNT; st++)
                    printf("%s\"%s\": %.2f", st ? ", " : "", loom_stage_name((loom_stage)st), ds.pick[st]);
                printf("}, \"utilisation\": %.3f, \"healthy\": %s", ds.utilisation, ds.usable ? "true" : "false");
            }
            if (d->kind == LOOM_DEVICE_CPU) {
                printf(", \"simd\": ");
                json_str(stdout, d->simd_in_use);
                printf(", \"simd_available\": [");
                char avail[64];
                snprintf(avail, sizeof avail, "%s", d->simd_available);
                int first = 1;
                for (char *tok = strtok(avail, ","); tok; tok = strtok(NULL, ","), first = 0) {
                    printf("%s", first ? "" : ", ");
                    json_str(stdout, tok);
                }
                printf("]");
            }
            if (d->kind == LOOM_DEVICE_GPU) {
                printf(", \"compute_capability\": \"%u.%u\", \"clock_mhz\": %u, \"l2_bytes\": %llu, \"pci_bus_id\": ",
                       d->cc_major, d->cc_minor, d->clock_mhz, (unsigned long long)d->l2_bytes);
                json_str(stdout, d->pci_bus_id);
                printf(", \"peers\": [");
                for (unsigned j = 0, first = 1; j < 32; j++)
                    if (d->peer_mask & (1u << j)) {
                        printf("%s\"gpu%u\"", first ? "" : ", ", j);
                        first = 0;
                    }
                printf("]");
            }
            printf("}");
        }
        printf("\n], \"notes\": [");
        int first = 1;
        for (char *line = strtok(notes, "\n"); line; line = strtok(NULL, "\n"), first = 0) {
            printf("%s", first ? "" : ", ");
            json_str(stdout, line);
        }
        printf("]}\n");
    } else {
        printf("Devices (config: %s)\n", job.cfg->source);
        printf("  %-8s %-6s %-8s %6s %8s %10s %6s  %s\n", "id", "kind", "backend", "units", "threads", "memory",
               "score", "name");
        for (size_t i = 0; i < n; i++) {
            const loom_device_info *d = loom_ctx_device(ctx, i);
            loom_device_status ds = {0};
            if (loom_ctx_device_status(ctx, i, 20, &ds) != LOOM_OK)
                memset(&ds, 0, sizeof ds);
            printf("  %-8s %-6s %-8s %6u %8u %7.1f GiB %6.1f  %s\n", d->id, loom_device_kind_name(d->kind),
                   d->backend, d->compute_units, d->threads, (double)d->memory_bytes / (1024.0 * 1024 * 1024),
                   ds.prior_score, d->name);
            if (ds.rate[LOOM_STAGE_LDE] > 0 || ds.rate[LOOM_STAGE_HASH] > 0 || ds.rate[LOOM_STAGE_COMPRESS] > 0)
                printf("  %-8s measured (model, 2^20): lde %.4g columns/s, hash %.4g rows/s, compress %.4g pairs/s; "
                       "scores %.0f / %.0f / %.0f\n", "", ds.rate[LOOM_STAGE_LDE], ds.rate[LOOM_STAGE_HASH],
                       ds.rate[LOOM_STAGE_COMPRESS], ds.score[LOOM_STAGE_LDE], ds.score[LOOM_STAGE_HASH],
                       ds.score[LOOM_STAGE_COMPRESS]);
            if (d->kind == LOOM_DEVICE_GPU) {
                char peers[128] = "none";
                for (unsigned j = 0, n = 0; j < 32; j++)
                    if (d->peer_mask & (1u << j))
                        n += (unsigned)snprintf(peers + (n ? n : 0), sizeof peers - n, "%sgpu%u", n ? "," : "", j);
                printf("  %-8s sm_%u%u, %u MHz, L2 %llu MiB, PCI %s, peer access: %s\n", "", d->cc_major, d->cc_minor,
                       d->clock_mhz, (unsigned long long)(d->l2_bytes >> 20), d->pci_bus_id, peers);
            }
            if (d->kind == LOOM_DEVICE_CPU)
                printf("  %-8s SIMD in use: %s; available: %s; %u worker thread%s on %u logical cores\n", "",
                       d->simd_in_use, d->simd_available, d->threads, d->threads == 1 ? "" : "s", d->compute_units);
        }
        int header = 0;
        for (size_t k = 0; k < n_all; k++)
            if (all[k].opt_in && job.cfg->devices_auto) {
                if (!header++)
                    printf("Available when a configuration lists them (simulated or sharing the CPU):\n");
                printf("  %-8s %-6s %-8s %s\n", all[k].id, loom_device_kind_name(all[k].kind), all[k].backend,
                       all[k].name);
            }
        if (notes[0])
            printf("Not present:\n");
        for (char *line = strtok(notes, "\n"); line; line = strtok(NULL, "\n"))
            printf("  %s\n", line);
    }
    loom_ctx_destroy(ctx);
    cli_job_free(&job);
    return EXIT_OK;
}
