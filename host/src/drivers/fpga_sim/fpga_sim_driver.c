/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated FPGA card: the Verilator model of the RTL kernel (sim/, libloom_fpga_sim.so),
 * driven exactly as a card is: rows copied into device memory, the arguments written to the
 * kernel's registers (loom_fpga_regs.h, generated from rtl/spec/), ap_start, wait for ap_done,
 * digests read back. The model library is loaded at run time, so libloom does not depend on it.
 *
 * The device is opt-in: a config must list it (`kind: fpga, backend: fpga_sim`); `devices: auto`
 * skips it, since a simulated card is thousands of times slower than the CPU.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/driver.h"
#include "loom_fpga_regs.h"
#include "loom_fpga_sim.h"

/* The model library's entry points (sim/loom_fpga_sim.h). */
typedef struct {
    void (*info_get)(loom_fpga_sim_info *);
    int (*create)(loom_fpga_sim **, const loom_fpga_sim_opts *, char *, size_t);
    void (*destroy)(loom_fpga_sim *);
    const char *(*error)(const loom_fpga_sim *);
    uint64_t (*mem_size)(const loom_fpga_sim *);
    int (*mem_write)(loom_fpga_sim *, uint64_t, const void *, size_t);
    int (*mem_read)(loom_fpga_sim *, uint64_t, void *, size_t);
    int (*reg_write)(loom_fpga_sim *, uint32_t, uint32_t);
    int (*reg_read)(loom_fpga_sim *, uint32_t, uint32_t *);
    int (*run_until_done)(loom_fpga_sim *, uint64_t, int *, uint64_t *);
} sim_api;

static sim_api api;
static char api_why[512];
static int api_ok;
static pthread_once_t api_once = PTHREAD_ONCE_INIT;

static void *sym(void *so, const char *name, int *ok)
{
    void *p = dlsym(so, name);
    if (!p && *ok) {
        snprintf(api_why, sizeof api_why, "the model library lacks %s", name);
        *ok = 0;
    }
    return p;
}

/* Loads libloom_fpga_sim.so once: $LOOM_FPGA_SIM_LIB, else the build tree, else the install folder. */
static void api_load(void)
{
    const char *env = getenv("LOOM_FPGA_SIM_LIB");
    const char *paths[3] = {env && env[0] ? env : NULL, LOOM_FPGA_SIM_LIB_BUILD, LOOM_FPGA_SIM_LIB_INSTALLED};
    void *so = NULL;
    size_t used = 0;
    for (size_t i = 0; i < 3 && !so; i++) {
        if (!paths[i])
            continue;
        so = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
        if (!so && used < sizeof api_why)
            used += (size_t)snprintf(api_why + used, sizeof api_why - used, "%s%s", used ? "; " : "", dlerror());
        if (env && env[0] && i == 0 && !so)
            return; /* a library named by the user must be the one used */
    }
    if (!so)
        return;
    int ok = 1;
    *(void **)&api.info_get = sym(so, "loom_fpga_sim_info_get", &ok);
    *(void **)&api.create = sym(so, "loom_fpga_sim_create", &ok);
    *(void **)&api.destroy = sym(so, "loom_fpga_sim_destroy", &ok);
    *(void **)&api.error = sym(so, "loom_fpga_sim_error", &ok);
    *(void **)&api.mem_size = sym(so, "loom_fpga_sim_mem_size", &ok);
    *(void **)&api.mem_write = sym(so, "loom_fpga_sim_mem_write", &ok);
    *(void **)&api.mem_read = sym(so, "loom_fpga_sim_mem_read", &ok);
    *(void **)&api.reg_write = sym(so, "loom_fpga_sim_reg_write", &ok);
    *(void **)&api.reg_read = sym(so, "loom_fpga_sim_reg_read", &ok);
    *(void **)&api.run_until_done = sym(so, "loom_fpga_sim_run_until_done", &ok);
    api_ok = ok;
}

static int api_ready(void)
{
    pthread_once(&api_once, api_load);
    return api_ok;
}

typedef struct {
    loom_fpga_sim *sim;
    pthread_mutex_t lock;   /* one job at a time, like the one kernel of a card */
    uint64_t mem_bytes;
    loom_fpga_sim_info info;
    uint32_t *pack;         /* host staging buffer for one chunk of rows */
    size_t pack_words;
} sim_impl;

static loom_status fpga_sim_discover(loom_device_info *out, size_t max, size_t *n, char *why, size_t why_len)
{
    *n = 0;
    if (!api_ready()) {
        snprintf(why, why_len, "cannot load the RTL model (libloom_fpga_sim.so): %s", api_why);
        return LOOM_OK;
    }
    if (max == 0)
        return LOOM_OK;
    loom_fpga_sim_info fi;
    api.info_get(&fi);
    loom_device_info *d = &out[0];
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "fpgasim0");
    d->kind = LOOM_DEVICE_FPGA;
    snprintf(d->backend, sizeof d->backend, "fpga_sim");
    snprintf(d->name, sizeof d->name, "Verilator model of %s (%s, %u-clock pipeline)", fi.kernel, fi.perm,
             fi.perm_latency);
    d->compute_units = 1;
    d->clock_mhz = fi.target_mhz;
    d->opt_in = 1;
    *n = 1;
    return LOOM_OK;
}

static loom_status fpga_sim_open(loom_device *dev)
{
    if (!api_ready())
        return loom_fail(LOOM_ERR_DEVICE, "%s: cannot load the RTL model (libloom_fpga_sim.so): %s", dev->info.id,
                         api_why);
    sim_impl *impl = calloc(1, sizeof *impl);
    if (!impl)
        return loom_fail(LOOM_ERR_NO_MEMORY, "%s: out of memory", dev->info.id);
    char err[512] = "";
    if (api.create(&impl->sim, NULL, err, sizeof err) != 0) {
        free(impl);
        return loom_fail(LOOM_ERR_DEVICE, "%s: cannot start the RTL model: %s", dev->info.id, err);
    }
    pthread_mutex_init(&impl->lock, NULL);
    impl->mem_bytes = api.mem_size(impl->sim);
    api.info_get(&impl->info);
    dev->info.memory_bytes = impl->mem_bytes;
    dev->impl = impl;
    return LOOM_OK;
}

static void fpga_sim_close(loom_device *dev)
{
    sim_impl *impl = dev->impl;
    if (!impl)
        return;
    api.destroy(impl->sim);
    pthread_mutex_destroy(&impl->lock);
    free(impl->pack);
    free(impl);
    dev->impl = NULL;
}

static loom_status sim_fail(const loom_device *dev, const sim_impl *impl, const char *what)
{
    return loom_fail(LOOM_ERR_DEVICE, "%s: %s: %s", dev->info.id, what, api.error(impl->sim));
}

static loom_status check_perm(const loom_device *dev, const sim_impl *impl, const loom_poseidon2 *perm)
{
    if (strcmp(perm->name, impl->info.perm) != 0)
        return loom_fail(LOOM_ERR_UNSUPPORTED, "%s: the RTL implements %s only; this job uses %s", dev->info.id,
                         impl->info.perm, perm->name);
    return LOOM_OK;
}

/* One kernel run, as on a card: arguments, ap_start, wait for the job, ap_done read (and so cleared). */
static loom_status run_job(const loom_device *dev, sim_impl *impl, uint64_t src, uint64_t dst, uint32_t n,
                           uint32_t row_len, uint32_t mode, uint64_t blocks_per_row)
{
    const struct {
        uint32_t off, val;
    } regs[] = {
        {LOOM_FPGA_REG_SRC_LO, (uint32_t)src},        {LOOM_FPGA_REG_SRC_HI, (uint32_t)(src >> 32)},
        {LOOM_FPGA_REG_DST_LO, (uint32_t)dst},        {LOOM_FPGA_REG_DST_HI, (uint32_t)(dst >> 32)},
        {LOOM_FPGA_REG_N_ROWS, n},                    {LOOM_FPGA_REG_ROW_LEN, row_len},
        {LOOM_FPGA_REG_MODE, mode},                   {LOOM_FPGA_REG_CTRL, LOOM_FPGA_CTRL_AP_START},
    };
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
        if (api.reg_write(impl->sim, regs[i].off, regs[i].val) != 0)
            return sim_fail(dev, impl, "register write");
    /* Generous: every permutation several clocks, plus a pipeline drain per block of a row. */
    uint64_t limit = 8 * ((uint64_t)n * blocks_per_row + blocks_per_row * (LOOM_FPGA_PERM_LATENCY + 64)) + 100000;
    int done = 0;
    uint64_t used = 0;
    if (api.run_until_done(impl->sim, limit, &done, &used) != 0)
        return sim_fail(dev, impl, "kernel run");
    if (!done)
        return loom_fail(LOOM_ERR_DEVICE, "%s: the kernel did not finish a job of %u items within %llu clocks",
                         dev->info.id, n, (unsigned long long)limit);
    uint32_t ctrl = 0;
    if (api.reg_read(impl->sim, LOOM_FPGA_REG_CTRL, &ctrl) != 0)
        return sim_fail(dev, impl, "register read");
    if (!(ctrl & LOOM_FPGA_CTRL_AP_DONE) || !(ctrl & LOOM_FPGA_CTRL_AP_IDLE))
        return loom_fail(LOOM_ERR_DEVICE, "%s: after the job CTRL is 0x%x; expected ap_done and ap_idle set",
                         dev->info.id, ctrl);
    return LOOM_OK;
}

static uint64_t align64(uint64_t x) { return (x + 63) & ~(uint64_t)63; }

static loom_status hash_chunk(loom_device *dev, sim_impl *impl, loom_digest *out, const loom_matrix_view *views,
                              size_t n_views, size_t row0, size_t rows, size_t width)
{
    uint32_t *p = impl->pack;
    for (size_t r = 0; r < rows; r++)
        for (size_t v = 0; v < n_views; v++) {
            const size_t c = views[v].cols;
            memcpy(p, views[v].data + (row0 + r) * c, c * sizeof *p);
            p += c;
        }
    const uint64_t src = 0, bytes = (uint64_t)rows * width * 4, dst = align64(bytes);
    if (api.mem_write(impl->sim, src, impl->pack, bytes) != 0)
        return sim_fail(dev, impl, "copy to device memory");
    LOOM_TRY(run_job(dev, impl, src, dst, (uint32_t)rows, (uint32_t)width, LOOM_FPGA_MODE_HASH,
                     (width + LOOM_FPGA_RATE - 1) / LOOM_FPGA_RATE));
    if (api.mem_read(impl->sim, dst, out, rows * sizeof *out) != 0)
        return sim_fail(dev, impl, "copy from device memory");
    return LOOM_OK;
}

static loom_status fpga_sim_hash_rows(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm,
                                      const loom_matrix_view *views, size_t n_views, size_t row0, size_t count)
{
    sim_impl *impl = dev->impl;
    LOOM_TRY(check_perm(dev, impl, perm));
    size_t width = 0;
    for (size_t v = 0; v < n_views; v++)
        width += views[v].cols;
    if (count == 0)
        return LOOM_OK;
    if (width == 0) {
        /* The sponge of nothing is the zero digest: no permutation, nothing for the card to do. */
        memset(out, 0, count * sizeof *out);
        return LOOM_OK;
    }
    if (width > UINT32_MAX)
        return loom_fail(LOOM_ERR_SIZE, "%s: rows of %zu elements; the kernel's ROW_LEN register holds at most %u",
                         dev->info.id, width, UINT32_MAX);
    /* Rows per run: the rows and their digests must fit the device memory together. */
    uint64_t per_row = (uint64_t)width * 4 + sizeof(loom_digest);
    uint64_t fit = (impl->mem_bytes - 64) / per_row;
    if (fit == 0)
        return loom_fail(LOOM_ERR_SIZE, "%s: one row of %zu elements does not fit the %llu-byte device memory",
                         dev->info.id, width, (unsigned long long)impl->mem_bytes);
    size_t chunk = (size_t)(fit < UINT32_MAX ? fit : UINT32_MAX);
    if (chunk > count)
        chunk = count;

    pthread_mutex_lock(&impl->lock);
    loom_status s = LOOM_OK;
    if (impl->pack_words < chunk * width) {
        free(impl->pack);
        impl->pack = malloc(chunk * width * sizeof *impl->pack);
        impl->pack_words = impl->pack ? chunk * width : 0;
        if (!impl->pack)
            s = loom_fail(LOOM_ERR_NO_MEMORY, "%s: out of memory staging %zu rows", dev->info.id, chunk);
    }
    for (size_t done = 0; done < count && s == LOOM_OK; done += chunk) {
        size_t rows = count - done < chunk ? count - done : chunk;
        s = hash_chunk(dev, impl, out + done, views, n_views, row0 + done, rows, width);
    }
    pthread_mutex_unlock(&impl->lock);
    return s;
}

static loom_status fpga_sim_compress(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm,
                                     const loom_digest *in, size_t n_out)
{
    sim_impl *impl = dev->impl;
    LOOM_TRY(check_perm(dev, impl, perm));
    uint64_t fit = (impl->mem_bytes - 64) / (3 * sizeof(loom_digest));
    size_t chunk = (size_t)(fit < UINT32_MAX ? fit : UINT32_MAX);
    pthread_mutex_lock(&impl->lock);
    loom_status s = LOOM_OK;
    for (size_t done = 0; done < n_out && s == LOOM_OK; done += chunk) {
        size_t n = n_out - done < chunk ? n_out - done : chunk;
        const uint64_t src = 0, bytes = (uint64_t)n * 2 * sizeof(loom_digest), dst = align64(bytes);
        if (api.mem_write(impl->sim, src, in + 2 * done, bytes) != 0) {
            s = sim_fail(dev, impl, "copy to device memory");
            break;
        }
        s = run_job(dev, impl, src, dst, (uint32_t)n, 0, LOOM_FPGA_MODE_COMPRESS, 1);
        if (s == LOOM_OK && api.mem_read(impl->sim, dst, out + done, n * sizeof *out) != 0)
            s = sim_fail(dev, impl, "copy from device memory");
    }
    pthread_mutex_unlock(&impl->lock);
    return s;
}

static const loom_device_ops fpga_sim_ops = {
    .coset_lde = NULL, /* not an FPGA operation */
    .hash_rows = fpga_sim_hash_rows,
    .compress = fpga_sim_compress,
};

const loom_driver loom_driver_fpga_sim = {
    .name = "fpga_sim",
    .kind = LOOM_DEVICE_FPGA,
    .discover = fpga_sim_discover,
    .open = fpga_sim_open,
    .close = fpga_sim_close,
    .ops = &fpga_sim_ops,
};
