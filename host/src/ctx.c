/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <assert.h>
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

static loom_status open_device(loom_ctx *ctx, const loom_device_info *info, const loom_device_spec *spec,
                               unsigned cpu_threads)
{
    for (size_t d = 0; d < loom_driver_count; d++) {
        const loom_driver *drv = loom_drivers[d];
        if (drv->kind != info->kind || strcmp(drv->name, info->backend) != 0)
            continue;
        loom_device *dev = &ctx->devices[ctx->n_devices];
        memset(dev, 0, sizeof *dev);
        dev->info = *info;
        dev->spec = *spec;
        /* The config names the device: its id is what every message and report uses. */
        snprintf(dev->info.id, sizeof dev->info.id, "%s", spec->id);
        /* The CPU driver sizes its thread pool from info.threads when it opens. */
        if (info->kind == LOOM_DEVICE_CPU)
            dev->info.threads = cpu_threads;
        if (spec->memory_limit && (dev->info.memory_bytes == 0 || spec->memory_limit < dev->info.memory_bytes))
            dev->info.memory_bytes = spec->memory_limit;
        dev->driver = drv;
        loom_status s = drv->open(dev);
        if (s != LOOM_OK)
            return s;
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

/*
 * Opens the picked devices. CPU devices share the cores: one with `threads:` gets that many, the
 * others split what is left (or take cpu.threads each); more threads in all than cores is an
 * error when there are several CPU devices, since they would only slow each other down.
 */
static loom_status open_all(loom_ctx *ctx, const loom_config *cfg, const loom_device_info *const *pick,
                            const loom_device_spec *specs, size_t n)
{
    unsigned n_cpu = 0, n_fixed = 0, fixed_threads = 0, cores = 1;
    for (size_t i = 0; i < n; i++)
        if (pick[i]->kind == LOOM_DEVICE_CPU) {
            n_cpu++;
            if (specs[i].threads) {
                n_fixed++;
                fixed_threads += specs[i].threads;
            }
            if (pick[i]->compute_units > cores)
                cores = pick[i]->compute_units;
        }
    if (n_cpu > 1 && fixed_threads > cores)
        return loom_fail(LOOM_ERR_CONFIG,
                         "%s: the CPU devices ask for %u threads in all, more than the %u cores of this machine "
                         "(they would share the cores and each run slower); expected at most %u in all",
                         cfg->source, fixed_threads, cores, cores);
    unsigned shared = 1;
    if (n_cpu > n_fixed) {
        unsigned left = cores > fixed_threads ? cores - fixed_threads : 0;
        if (n_fixed && left < n_cpu - n_fixed)
            return loom_fail(LOOM_ERR_CONFIG,
                             "%s: the CPU devices with 'threads' take %u of the %u cores, leaving %u for the %u "
                             "without; expected at least one core each", cfg->source, fixed_threads, cores, left,
                             n_cpu - n_fixed);
        char source[300];
        snprintf(source, sizeof source, "%s: cpu.threads", cfg->source);
        unsigned want = cfg->cpu_threads > 0 ? (unsigned)cfg->cpu_threads : 0;
        /* $LOOM_THREADS over the file, for programs that use the library directly (the CLI has
         * already folded it, and --threads, into cfg->cpu_threads). */
        const char *env = getenv("LOOM_THREADS");
        if (env && env[0]) {
            char *end = NULL;
            unsigned long v = strtoul(env, &end, 10);
            if (!end || *end || env[0] == '-' || v == 0 || v > 4096)
                return loom_fail(LOOM_ERR_CONFIG, "LOOM_THREADS='%s' is not a thread count; expected 1..4096", env);
            want = (unsigned)v;
            snprintf(source, sizeof source, "LOOM_THREADS");
        }
        LOOM_TRY(loom_cpu_threads_plan(&shared, want, n_cpu - n_fixed, n_fixed ? left : cores, source));
    }
    for (size_t i = 0; i < n; i++)
        LOOM_TRY(open_device(ctx, pick[i], &specs[i], specs[i].threads ? specs[i].threads : shared));
    return LOOM_OK;
}

static int contains(const char *hay, const char *needle) { return !needle[0] || strstr(hay, needle) != NULL; }

/* Does discovered device `d` fit the entry's kind, backend and name filters? */
static int spec_accepts(const loom_device_spec *spec, const loom_device_info *d)
{
    return d->kind == spec->kind && (!spec->backend[0] || strcmp(d->backend, spec->backend) == 0) &&
           contains(d->name, spec->match) && contains(d->name, spec->platform);
}

/* "0000:1B:00.0" and "1b:00.0" are the same address. */
static int same_pci(const char *a, const char *b)
{
    unsigned da = 0, ba, sa, fa, db = 0, bb, sb, fb;
    if (sscanf(a, "%x:%x:%x.%x", &da, &ba, &sa, &fa) != 4 && sscanf(a, "%x:%x.%x", &ba, &sa, &fa) != 3)
        return 0;
    if (sscanf(b, "%x:%x:%x.%x", &db, &bb, &sb, &fb) != 4 && sscanf(b, "%x:%x.%x", &bb, &sb, &fb) != 3)
        return 0;
    return da == db && ba == bb && sa == sb && fa == fb;
}

/*
 * Finds the discovered device for one `devices:` entry: by PCI address, else by index among the
 * devices the entry accepts, else the one whose discovered id is the entry's id, else the first
 * accepted one not taken yet. The CPU can back several entries (they split its cores); any other
 * device backs at most one.
 */
static const loom_device_info *match_spec(const loom_config *cfg, const loom_device_spec *spec,
                                          const loom_device_info *found, size_t n, const int *taken,
                                          loom_status *err)
{
    *err = LOOM_OK;
    const loom_device_info *hit = NULL;
    size_t idx = 0;
    int reusable = spec->kind == LOOM_DEVICE_CPU;
    for (size_t i = 0; i < n && !hit; i++) {
        if (!spec_accepts(spec, &found[i]))
            continue;
        if (spec->pci[0]) {
            if (same_pci(found[i].pci_bus_id, spec->pci))
                hit = &found[i];
        } else if (spec->index >= 0) {
            if ((int)idx++ == spec->index)
                hit = &found[i];
        }
    }
    if (!hit && !spec->pci[0] && spec->index < 0) {
        for (size_t i = 0; i < n && !hit; i++)
            if (spec_accepts(spec, &found[i]) && strcmp(found[i].id, spec->id) == 0)
                hit = &found[i];
        for (size_t i = 0; i < n && !hit; i++)
            if (spec_accepts(spec, &found[i]) && (reusable || !taken[i]))
                hit = &found[i];
    }
    if (hit && !reusable && taken[hit - found]) {
        *err = loom_fail(LOOM_ERR_CONFIG, "%s:%u: device '%s' picks %s (%s), which an earlier entry already "
                         "uses; expected each %s once (use 'index' or 'pci' to pick another)",
                         cfg->source, spec->line, spec->id, hit->id, hit->name, loom_device_kind_name(spec->kind));
        return NULL;
    }
    return hit;
}

/* "device 'gpu3' not found; 2 GPUs present (...)" with the discovery note for the kind. */
static loom_status not_found(const loom_config *cfg, const loom_device_spec *spec, const loom_device_info *found,
                             size_t n, const char *notes)
{
    size_t same_kind = 0;
    for (size_t i = 0; i < n; i++)
        same_kind += found[i].kind == spec->kind;
    char why[256] = "";
    const char *kn = loom_device_kind_name(spec->kind);
    const char *line = strstr(notes, kn);
    if (line && line[strlen(kn)] == ':') {
        const char *end = strchr(line, '\n');
        snprintf(why, sizeof why, " (%.*s)", (int)(end ? end - line : (long)strlen(line)), line);
    }
    char filter[200] = "";
    if (spec->backend[0] || spec->pci[0] || spec->index >= 0 || spec->match[0] || spec->platform[0]) {
        size_t o = 0;
        o += (size_t)snprintf(filter + o, sizeof filter - o, " matching");
        if (spec->backend[0] && o < sizeof filter)
            o += (size_t)snprintf(filter + o, sizeof filter - o, " backend %s", spec->backend);
        if (spec->pci[0] && o < sizeof filter)
            o += (size_t)snprintf(filter + o, sizeof filter - o, " pci %s", spec->pci);
        if (spec->index >= 0 && o < sizeof filter)
            o += (size_t)snprintf(filter + o, sizeof filter - o, " index %d", spec->index);
        if (spec->match[0] && o < sizeof filter)
            o += (size_t)snprintf(filter + o, sizeof filter - o, " name ~ '%s'", spec->match);
        if (spec->platform[0] && o < sizeof filter)
            snprintf(filter + o, sizeof filter - o, " platform ~ '%s'", spec->platform);
    }
    return loom_fail(LOOM_ERR_NOT_FOUND,
                     "%s:%u: device '%s' not found%s; %zu %s present%s (mark it 'optional: true' to run without it)",
                     cfg->source, spec->line, spec->id, filter, same_kind, kind_plural(spec->kind, same_kind), why);
}

/* The scheduler section with the defaults of docs/config.md. */
static void resolve_settings(loom_sched_settings *ss, const loom_config *cfg)
{
    const loom_sched_config *sc = &cfg->sched;
    memset(ss, 0, sizeof *ss);
    ss->policy = sc->policy >= 0 ? (loom_sched_policy)sc->policy : LOOM_POLICY_HYBRID;
    ss->partition = sc->partition >= 0 ? (loom_partition_kind)sc->partition : LOOM_PARTITION_DYNAMIC;
    ss->chunk_rows = sc->chunk_rows > 0 ? (size_t)sc->chunk_rows : 0;
    ss->threshold = sc->rebalance_threshold >= 0 ? sc->rebalance_threshold : 0.25;
    ss->hysteresis = sc->hysteresis >= 0 ? sc->hysteresis : (ss->threshold < 0.1 ? ss->threshold : 0.1);
    if (ss->hysteresis > ss->threshold)
        ss->hysteresis = ss->threshold;
    ss->deadline_s = sc->deadline_ms > 0 ? sc->deadline_ms / 1000.0 : 0.0;
    ss->retries = sc->retries >= 0 ? (unsigned)sc->retries : 3;
    ss->backoff_s = (sc->backoff_ms >= 0 ? sc->backoff_ms : 100) / 1000.0;
    ss->max_gpus = sc->max_gpus > 0 ? (unsigned)sc->max_gpus : 0;
    ss->multi_gpu = sc->multi_gpu >= 0 ? (loom_multi_gpu_mode)sc->multi_gpu : LOOM_MULTI_GPU_EXCHANGE;
    for (int st = 0; st < LOOM_STAGE_COUNT; st++) {
        ss->n_route[st] = sc->n_route[st];
        memcpy(ss->route[st], sc->route[st], sizeof ss->route[st]);
    }
    snprintf(ss->model_path, sizeof ss->model_path, "%s", sc->model);
    snprintf(ss->source, sizeof ss->source, "%s", cfg->source);
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
    loom_device_spec *specs = calloc(LOOM_CTX_MAX_DEVICES, sizeof *specs);
    loom_status s = LOOM_OK;
    if (!ctx || !found || !specs) {
        s = loom_fail(LOOM_ERR_NO_MEMORY, "out of memory creating a context");
        goto done;
    }
    size_t n = 0, n_pick = 0;
    const loom_device_info *pick[LOOM_CTX_MAX_DEVICES];
    static_assert(LOOM_CONFIG_MAX_DEVICES <= LOOM_CTX_MAX_DEVICES, "a context holds every configured device");
    char notes[1024];
    if ((s = apply_simd(cfg)) != LOOM_OK)
        goto done;
    if ((s = loom_devices_discover(found, LOOM_CTX_MAX_DEVICES, &n, notes, sizeof notes)) != LOOM_OK)
        goto done;

    if (cfg->devices_auto) {
        for (size_t i = 0; i < n && n_pick < LOOM_CTX_MAX_DEVICES; i++) {
            if (found[i].opt_in)
                continue;
            loom_device_spec *spec = &specs[n_pick];
            memset(spec, 0, sizeof *spec);
            snprintf(spec->id, sizeof spec->id, "%s", found[i].id);
            spec->kind = found[i].kind;
            spec->index = -1;
            pick[n_pick++] = &found[i];
        }
    } else {
        int taken[LOOM_CTX_MAX_DEVICES] = {0};
        for (size_t j = 0; j < cfg->n_devices && s == LOOM_OK; j++) {
            const loom_device_spec *spec = &cfg->devices[j];
            const loom_device_info *hit = match_spec(cfg, spec, found, n, taken, &s);
            if (s != LOOM_OK)
                break;
            if (!hit && !spec->optional) {
                s = not_found(cfg, spec, found, n, notes);
            } else if (hit) {
                taken[hit - found] = 1;
                specs[n_pick] = *spec;
                pick[n_pick++] = hit;
            }
        }
        if (s == LOOM_OK && n_pick == 0)
            s = loom_fail(LOOM_ERR_CONFIG, "%s: none of the configured devices is present", cfg->source);
    }
    if (s == LOOM_OK)
        s = open_all(ctx, cfg, pick, specs, n_pick);
    if (s == LOOM_OK) {
        resolve_settings(&ctx->settings, cfg);
        s = loom_ctx_sched_open(ctx);
    }
done:
    free(found);
    free(specs);
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
    loom_ctx_sched_close(ctx);
    for (size_t i = 0; i < ctx->n_devices; i++)
        ctx->devices[i].driver->close(&ctx->devices[i]);
    free(ctx);
}

size_t loom_ctx_device_count(const loom_ctx *ctx) { return ctx->n_devices; }

const loom_device_info *loom_ctx_device(const loom_ctx *ctx, size_t i)
{
    return i < ctx->n_devices ? &ctx->devices[i].info : NULL;
}
