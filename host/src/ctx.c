/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/kernels.h"
#include "cpu/pool.h"
#include "internal/ctx.h"
#include "loom_git_commit.h"

const char *loom_version_string(void)
{
    static char buf[64];
    if (!buf[0])
        snprintf(buf, sizeof buf, "%d.%d.%d (commit %s)", LOOM_VERSION_MAJOR, LOOM_VERSION_MINOR,
                 LOOM_VERSION_PATCH, LOOM_GIT_COMMIT);
    return buf;
}

static const char *kind_plural(loom_device_kind k, size_t n)
{
    switch (k) {
    case LOOM_DEVICE_CPU: return n == 1 ? "CPU" : "CPUs";
    case LOOM_DEVICE_GPU: return n == 1 ? "GPU" : "GPUs";
    case LOOM_DEVICE_FPGA: return n == 1 ? "FPGA" : "FPGAs";
    case LOOM_DEVICE_OPENCL: return n == 1 ? "OpenCL device" : "OpenCL devices";
    }
    return "devices";
}

static void append(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
    if (!buf || !len)
        return;
    size_t used = strlen(buf);
    if (used + 1 < len)
        snprintf(buf + used, len - used, fmt, a, b);
}

loom_status loom_devices_discover(loom_device_info *out, size_t max, size_t *n, char *notes, size_t notes_len)
{
    if (notes && notes_len)
        notes[0] = '\0';
    *n = 0;
    int kind_seen[4] = {0};
    for (size_t d = 0; d < loom_driver_count; d++) {
        const loom_driver *drv = loom_drivers[d];
        size_t found = 0;
        char why[256] = "";
        loom_status s = drv->discover(out + *n, max - *n, &found, why, sizeof why);
        if (s != LOOM_OK)
            return s;
        kind_seen[drv->kind] = 1;
        if (found == 0)
            append(notes, notes_len, "%s: %s\n", loom_device_kind_name(drv->kind), why[0] ? why : "none found");
        *n += found;
    }
    static const char *missing[4] = {NULL, "this build of Loom has no GPU (CUDA) driver",
                                     "this build of Loom has no FPGA driver",
                                     "this build of Loom has no OpenCL driver"};
    for (int k = 1; k < 4; k++)
        if (!kind_seen[k])
            append(notes, notes_len, "%s: %s\n", loom_device_kind_name((loom_device_kind)k), missing[k]);
    return LOOM_OK;
}

static loom_status open_device(loom_ctx *ctx, const loom_device_info *info, unsigned cpu_threads)
{
    for (size_t d = 0; d < loom_driver_count; d++) {
        const loom_driver *drv = loom_drivers[d];
        if (drv->kind != info->kind || strcmp(drv->name, info->backend) != 0)
            continue;
        loom_device *dev = &ctx->devices[ctx->n_devices];
        dev->info = *info;
        /* The CPU driver sizes its thread pool from info.threads when it opens. */
        if (info->kind == LOOM_DEVICE_CPU)
            dev->info.threads = cpu_threads;
        dev->driver = drv;
        LOOM_TRY(drv->open(dev));
        ctx->n_devices++;
        return LOOM_OK;
    }
    return loom_fail(LOOM_ERR_INTERNAL, "no driver for device '%s' (backend %s)", info->id, info->backend);
}

/*
 * The SIMD level, process-wide (the kernel table is global): $LOOM_SIMD over the config's
 * cpu.simd; with neither, the level stays what it is (the best this CPU runs, unless the program
 * chose one). A level that is misspelt, or that this CPU or build lacks, fails here, naming
 * where it came from, rather than quietly running another level.
 */
static loom_status apply_simd(const loom_config *cfg)
{
    LOOM_TRY(loom_simd_env_status());
    const char *env = getenv("LOOM_SIMD");
    loom_simd_level level = LOOM_SIMD_SCALAR;
    if (env && env[0]) {
        LOOM_TRY(loom_simd_parse(&level, env));
        return loom_simd_select(level);
    }
    if (!cfg->cpu_simd[0])
        return LOOM_OK;
    if (loom_simd_parse(&level, cfg->cpu_simd) != LOOM_OK)
        return loom_fail(LOOM_ERR_CONFIG, "%s: cpu.simd '%s' is not a SIMD level; expected scalar, avx2, avx512 "
                         "or neon", cfg->source, cfg->cpu_simd);
    if (loom_simd_select(level) != LOOM_OK) {
        /* "SIMD level: this CPU has no avx512; available: ..." -> say it was the config. */
        char why[512];
        const char *msg = loom_last_error(), *colon = strstr(msg, ": ");
        snprintf(why, sizeof why, "%s", colon ? colon + 2 : msg);
        return loom_fail(LOOM_ERR_UNSUPPORTED, "%s: cpu.simd: %s", cfg->source, why);
    }
    return LOOM_OK;
}

/* Opens the picked devices, CPU devices with their share of the cores. */
static loom_status open_all(loom_ctx *ctx, const loom_config *cfg, const loom_device_info *const *pick, size_t n)
{
    unsigned n_cpu = 0, cores = 1;
    for (size_t i = 0; i < n; i++)
        if (pick[i]->kind == LOOM_DEVICE_CPU) {
            n_cpu++;
            if (pick[i]->compute_units > cores)
                cores = pick[i]->compute_units;
        }
    char source[300];
    snprintf(source, sizeof source, "%s: cpu.threads", cfg->source);
    unsigned threads = 1;
    LOOM_TRY(loom_cpu_threads_plan(&threads, cfg->cpu_threads > 0 ? (unsigned)cfg->cpu_threads : 0, n_cpu, cores,
                                   source));
    for (size_t i = 0; i < n; i++)
        LOOM_TRY(open_device(ctx, pick[i], threads));
    return LOOM_OK;
}

loom_status loom_ctx_create(loom_ctx **out, const loom_config *cfg)
{
    loom_config *own = NULL;
    if (!cfg) {
        LOOM_TRY(loom_config_load_default(&own));
        cfg = own;
    }
    loom_ctx *ctx = calloc(1, sizeof *ctx);
    loom_device_info *found = calloc(LOOM_CTX_MAX_DEVICES, sizeof *found);
    loom_status s = LOOM_OK;
    if (!ctx || !found) {
        s = loom_fail(LOOM_ERR_NO_MEMORY, "out of memory creating a context");
        goto done;
    }
    size_t n = 0, n_pick = 0;
    const loom_device_info *pick[LOOM_CTX_MAX_DEVICES];
    char notes[1024];
    if ((s = apply_simd(cfg)) != LOOM_OK)
        goto done;
    if ((s = loom_devices_discover(found, LOOM_CTX_MAX_DEVICES, &n, notes, sizeof notes)) != LOOM_OK)
        goto done;

    if (cfg->devices_auto) {
        for (size_t i = 0; i < n; i++)
            if (!found[i].opt_in) /* simulated cards and the like: only when a config lists them */
                pick[n_pick++] = &found[i];
    } else {
        for (size_t j = 0; j < cfg->n_devices && s == LOOM_OK; j++) {
            const loom_device_spec *spec = &cfg->devices[j];
            const loom_device_info *hit = NULL;
            size_t same_kind = 0;
            for (size_t i = 0; i < n; i++) {
                same_kind += found[i].kind == spec->kind;
                if (strcmp(found[i].id, spec->id) == 0)
                    hit = &found[i];
            }
            /* An entry that names its driver takes the first such device not taken yet
             * (`{id: fpga0, kind: fpga, backend: fpga_sim}` is the simulated card fpgasim0). */
            for (size_t i = 0; i < n && !hit && spec->backend[0]; i++) {
                int taken = 0;
                for (size_t k = 0; k < n_pick; k++)
                    taken |= pick[k] == &found[i];
                if (!taken && found[i].kind == spec->kind && strcmp(found[i].backend, spec->backend) == 0)
                    hit = &found[i];
            }
            if (hit && hit->kind != spec->kind) {
                s = loom_fail(LOOM_ERR_CONFIG, "%s:%u: device '%s' is a %s, but the config says kind: %s",
                              cfg->source, spec->line, spec->id, loom_device_kind_name(hit->kind),
                              loom_device_kind_name(spec->kind));
            } else if (!hit && !spec->optional) {
                /* Say why a kind is missing, from the discovery notes, when there is one. */
                char why[256] = "";
                const char *kn = loom_device_kind_name(spec->kind);
                const char *line = strstr(notes, kn);
                if (line && line[strlen(kn)] == ':') {
                    const char *end = strchr(line, '\n');
                    snprintf(why, sizeof why, " (%.*s)", (int)(end ? end - line : (long)strlen(line)), line);
                }
                s = loom_fail(LOOM_ERR_NOT_FOUND,
                              "%s:%u: device '%s' not found; %zu %s present%s (mark it 'optional: true' to "
                              "run without it)",
                              cfg->source, spec->line, spec->id, same_kind, kind_plural(spec->kind, same_kind), why);
            } else if (hit) {
                pick[n_pick++] = hit;
            }
        }
        if (s == LOOM_OK && n_pick == 0)
            s = loom_fail(LOOM_ERR_CONFIG, "%s: none of the configured devices is present", cfg->source);
    }
    if (s == LOOM_OK)
        s = open_all(ctx, cfg, pick, n_pick);
done:
    free(found);
    loom_config_free(own);
    if (s != LOOM_OK) {
        loom_ctx_destroy(ctx);
        return s;
    }
    *out = ctx;
    return LOOM_OK;
}

void loom_ctx_destroy(loom_ctx *ctx)
{
    if (!ctx)
        return;
    for (size_t i = 0; i < ctx->n_devices; i++)
        ctx->devices[i].driver->close(&ctx->devices[i]);
    free(ctx);
}

size_t loom_ctx_device_count(const loom_ctx *ctx) { return ctx->n_devices; }

const loom_device_info *loom_ctx_device(const loom_ctx *ctx, size_t i)
{
    return i < ctx->n_devices ? &ctx->devices[i].info : NULL;
}
