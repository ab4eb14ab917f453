/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Alveo FPGA cards through XRT: discovery (fpga0, fpga1, ...), loading the xclbin a config entry
 * names, and the hash_rows / compress ops on the loom_p2_hash kernel (hls/ or rtl/). Rows are
 * packed into a device buffer, two launches in flight: while the card hashes one chunk the host
 * packs and copies the next. Without a card, discovery reports zero FPGAs and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xclbin.h>

#include "drivers/xrt/xrt_internal.h"
#include "drivers/xrt/xrt_shim.h"
#include "internal/driver.h"

typedef struct {
    loom_xrt_buf *src, *dst;
    loom_xrt_run *run; /* NULL when idle */
    size_t first, n;   /* digests the run produces: out[first .. first + n) */
    size_t dst_bytes;
    uint64_t perms;
} xrt_slot;

typedef struct {
    loom_xrt_dev *dev;
    const loom_poseidon2 *perm; /* the instance the xclbin computes (found by the self-test) */
    xrt_slot slots[2];
} xrt_impl;

static loom_status shim_fail(int rc, const loom_device *dev, const char *err)
{
    return loom_fail(rc == LOOM_XRT_NO_MEMORY ? LOOM_ERR_NO_MEMORY : LOOM_ERR_DEVICE, "%s: %s", dev->info.id, err);
}

static loom_status xrt_discover(loom_device_info *out, size_t max, size_t *n, char *why, size_t why_len)
{
    *n = 0;
    char err[512] = "";
    if (loom_xrt_env_prepare(loom_xrt_coreutil_dir(), err, sizeof err) != LOOM_OK) {
        snprintf(why, why_len, "XRT cannot start: %s", err);
        return LOOM_OK;
    }
    unsigned count = 0;
    if (loom_xrt_count(&count, err, sizeof err) != LOOM_XRT_OK || count == 0) {
        snprintf(why, why_len, "XRT found no Alveo card (%s)", err[0] ? err : "none enumerated");
        return LOOM_OK;
    }
    for (unsigned i = 0; i < count && *n < max; i++) {
        loom_xrt_card card;
        if (loom_xrt_card_info(i, &card, err, sizeof err) != LOOM_XRT_OK) {
            snprintf(why, why_len, "card %u: %s", i, err);
            continue;
        }
        loom_device_info *d = &out[*n];
        memset(d, 0, sizeof *d);
        snprintf(d->id, sizeof d->id, "fpga%u", i);
        d->kind = LOOM_DEVICE_FPGA;
        snprintf(d->backend, sizeof d->backend, "xrt");
        snprintf(d->name, sizeof d->name, "%s", card.name);
        snprintf(d->pci_bus_id, sizeof d->pci_bus_id, "%s", card.bdf);
        d->clock_mhz = card.clock_mhz;
        d->ordinal = (int)i;
        (*n)++;
    }
    return LOOM_OK;
}

/* "fpga0" or "config line 12: fpga0", for messages about the device's configuration. */
static void where(char *buf, size_t len, const loom_device *dev)
{
    if (dev->spec.line)
        snprintf(buf, len, "config line %u: %s", dev->spec.line, dev->info.id);
    else
        snprintf(buf, len, "%s", dev->info.id);
}

static loom_status ensure_buf(loom_device *dev, loom_xrt_buf **b, size_t bytes, int arg)
{
    xrt_impl *impl = dev->impl;
    if (*b && loom_xrt_buf_size(*b) >= bytes)
        return LOOM_OK;
    if (*b)
        loom_xrt_buf_free(*b);
    *b = NULL;
    char err[512] = "";
    int rc = loom_xrt_buf_alloc(impl->dev, b, bytes < 4096 ? 4096 : bytes, arg, err, sizeof err);
    return rc ? shim_fail(rc, dev, err) : LOOM_OK;
}

/* Waits for the slot's run and copies its digests out (out may be NULL when abandoning). */
static loom_status finish(loom_device *dev, xrt_slot *sl, loom_digest *out)
{
    char err[512] = "";
    int rc = loom_xrt_run_finish(sl->run, loom_xrt_timeout_ms(sl->perms), err, sizeof err);
    sl->run = NULL;
    if (rc == LOOM_XRT_OK && out)
        rc = loom_xrt_buf_sync(sl->dst, 0, sl->dst_bytes, err, sizeof err);
    if (rc != LOOM_XRT_OK)
        return shim_fail(rc, dev, err);
    if (out)
        memcpy(out + sl->first, loom_xrt_buf_map(sl->dst), sl->n * sizeof *out);
    return LOOM_OK;
}

/* Fills a source buffer with items first .. first + n - 1 (rows, or digest pairs). */
typedef void (*fill_fn)(const void *ctx, uint32_t *dst, size_t first, size_t n);

typedef struct {
    const loom_matrix_view *views;
    size_t n_views, row0;
} rows_ctx;

static void fill_rows(const void *ctx, uint32_t *dst, size_t first, size_t n)
{
    const rows_ctx *c = ctx;
    loom_xrt_pack_rows(dst, c->views, c->n_views, c->row0 + first, n);
}

static void fill_pairs(const void *ctx, uint32_t *dst, size_t first, size_t n)
{
    memcpy(dst, (const loom_digest *)ctx + 2 * first, n * 2 * sizeof(loom_digest));
}

/* Runs `total` items (rows of `width` elements, or digest pairs) in chunks, two in flight. */
static loom_status run_chunks(loom_device *dev, loom_digest *out, uint32_t mode, size_t total, size_t width,
                              fill_fn fill, const void *ctx)
{
    xrt_impl *impl = dev->impl;
    const int hash = mode == LOOM_XRT_MODE_HASH;
    const size_t item_bytes = hash ? width * sizeof(uint32_t) : 2 * sizeof(loom_digest);
    const size_t chunk = loom_xrt_chunk_rows(item_bytes, LOOM_XRT_CHUNK_BYTES, hash ? LOOM_XRT_LANES : 0);
    const uint64_t perms_per_item = hash ? (width + LOOM_SPONGE_RATE - 1) / LOOM_SPONGE_RATE : 1;
    loom_status s = LOOM_OK;
    size_t k = 0;
    char err[512] = "";
    for (size_t first = 0; first < total; first += chunk, k++) {
        xrt_slot *sl = &impl->slots[k & 1];
        if (sl->run && (s = finish(dev, sl, out)) != LOOM_OK)
            break;
        const size_t n = total - first < chunk ? total - first : chunk;
        loom_xrt_args a;
        if ((s = hash ? loom_xrt_args_hash(&a, n, width) : loom_xrt_args_compress(&a, n)) != LOOM_OK ||
            (s = ensure_buf(dev, &sl->src, a.src_bytes, 0)) != LOOM_OK ||
            (s = ensure_buf(dev, &sl->dst, a.dst_bytes, 1)) != LOOM_OK)
            break;
        uint32_t *map = loom_xrt_buf_map(sl->src);
        fill(ctx, map, first, n);
        /* The kernel reads whole words: keep the padding after the last item deterministic. */
        memset((char *)map + n * item_bytes, 0, a.src_bytes - n * item_bytes);
        int rc = loom_xrt_buf_sync(sl->src, 1, a.src_bytes, err, sizeof err);
        if (rc == LOOM_XRT_OK)
            rc = loom_xrt_run_start(impl->dev, &sl->run, sl->src, sl->dst, a.n_rows, a.row_len, a.mode, err,
                                    sizeof err);
        if (rc != LOOM_XRT_OK) {
            s = shim_fail(rc, dev, err);
            break;
        }
        sl->first = first, sl->n = n, sl->dst_bytes = a.dst_bytes, sl->perms = n * perms_per_item;
    }
    /* Drain in start order; after an error still wait, so no buffer is freed under a running kernel. */
    for (size_t i = 0; i < 2; i++) {
        xrt_slot *sl = &impl->slots[(k + i) & 1];
        if (sl->run) {
            loom_status f = finish(dev, sl, s == LOOM_OK ? out : NULL);
            if (s == LOOM_OK)
                s = f;
        }
    }
    return s;
}

/*
 * Hashes [0..9] and compresses ([0..7], [8..15]) on the card and finds the width-16 instance that
 * gives the same digests: an xclbin does not say which constants it was built with, and a wrong
 * or broken kernel is better caught here than in a commitment root.
 */
static loom_status self_test(loom_device *dev, const char *xclbin)
{
    xrt_impl *impl = dev->impl;
    uint32_t row[10];
    loom_digest pair[2], got[2];
    for (uint32_t i = 0; i < 10; i++)
        row[i] = i;
    for (uint32_t i = 0; i < 16; i++)
        pair[i / 8].v[i % 8] = i;
    const loom_matrix_view v = {row, 1, 10};
    const rows_ctx rc = {&v, 1, 0};
    LOOM_TRY(run_chunks(dev, &got[0], LOOM_XRT_MODE_HASH, 1, 10, fill_rows, &rc));
    LOOM_TRY(run_chunks(dev, &got[1], LOOM_XRT_MODE_COMPRESS, 1, 0, fill_pairs, pair));
    for (size_t i = 0; i < loom_poseidon2_count(); i++) {
        const loom_poseidon2 *p = loom_poseidon2_at(i);
        if (p->width != 16)
            continue;
        const loom_digest h = loom_poseidon2_hash(p, row, 10), c = loom_poseidon2_compress(p, &pair[0], &pair[1]);
        if (memcmp(&h, &got[0], sizeof h) == 0 && memcmp(&c, &got[1], sizeof c) == 0) {
            impl->perm = p;
            return LOOM_OK;
        }
    }
    char w[96];
    where(w, sizeof w, dev);
    return loom_fail(LOOM_ERR_DEVICE, "%s: the kernel in '%s' failed its self-test: hash(0..9) = [%u, %u, ...] "
                     "matches none of Loom's width-16 Poseidon2 instances (built from other constants, or a "
                     "faulty card)", w, xclbin, got[0].v[0], got[0].v[1]);
}

static void xrt_close(loom_device *dev)
{
    xrt_impl *impl = dev->impl;
    if (!impl)
        return;
    for (int i = 0; i < 2; i++) {
        xrt_slot *sl = &impl->slots[i];
        if (sl->run)
            (void)finish(dev, sl, NULL);
        if (sl->src)
            loom_xrt_buf_free(sl->src);
        if (sl->dst)
            loom_xrt_buf_free(sl->dst);
    }
    if (impl->dev)
        loom_xrt_close(impl->dev);
    free(impl);
    dev->impl = NULL;
}

static loom_status xrt_open(loom_device *dev)
{
    const loom_device_spec *sp = &dev->spec;
    char w[96];
    where(w, sizeof w, dev);
    if (!sp->xclbin[0])
        return loom_fail(LOOM_ERR_CONFIG, "%s: no xclbin given; an FPGA entry needs `xclbin: path/to/loom_p2.xclbin` "
                         "(built by the loom_hls_xclbin_<card> target, docs/fpga-hls-xrt.md)", w);
    loom_xclbin_info xi;
    loom_status s = loom_xrt_xclbin_check(&xi, sp->xclbin, LOOM_XRT_KERNEL);
    if (s != LOOM_OK) {
        char msg[768];
        snprintf(msg, sizeof msg, "%s", loom_last_error());
        return loom_fail(s, "%s: %s", w, msg);
    }
    const int emu = xi.mode == XCLBIN_HW_EMU || xi.mode == XCLBIN_SW_EMU || xi.mode == XCLBIN_HW_EMU_PR;
    const char *emu_env = getenv("XCL_EMULATION_MODE");
    if (emu && !(emu_env && emu_env[0]))
        return loom_fail(LOOM_ERR_CONFIG, "%s: xclbin '%s' was built for %s (v++ -t %s); link it with -t hw for a "
                         "card, or run under Vitis with XCL_EMULATION_MODE set",
                         w, sp->xclbin, loom_xrt_xclbin_mode_name(xi.mode), loom_xrt_xclbin_mode_name(xi.mode));

    char err[512] = "";
    if (loom_xrt_env_prepare(loom_xrt_coreutil_dir(), err, sizeof err) != LOOM_OK)
        return loom_fail(LOOM_ERR_UNSUPPORTED, "%s: XRT cannot start: %s", w, err);
    xrt_impl *impl = calloc(1, sizeof *impl);
    if (!impl)
        return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory opening %s", dev->info.id);
    dev->impl = impl;
    int rc = loom_xrt_open(&impl->dev, sp->pci, (unsigned)dev->info.ordinal, sp->xclbin, LOOM_XRT_KERNEL, err,
                           sizeof err);
    if (rc != LOOM_XRT_OK) {
        xrt_close(dev);
        return loom_fail(rc == LOOM_XRT_NO_MEMORY ? LOOM_ERR_NO_MEMORY : LOOM_ERR_DEVICE, "%s: %s (xclbin '%s', %s)",
                         w, err, sp->xclbin, xi.platform);
    }
    if ((s = self_test(dev, sp->xclbin)) != LOOM_OK) {
        xrt_close(dev);
        return s;
    }
    dev->info.compute_units = xi.compute_units;
    if (xi.kernel_mhz)
        dev->info.clock_mhz = xi.kernel_mhz;
    return LOOM_OK;
}

static loom_status check_perm(const loom_device *dev, const loom_poseidon2 *perm)
{
    const xrt_impl *impl = dev->impl;
    if (perm != impl->perm)
        return loom_fail(LOOM_ERR_UNSUPPORTED, "%s computes %s (the constants its xclbin was built with), not %s",
                         dev->info.id, impl->perm->name, perm->name);
    return LOOM_OK;
}

static loom_status xrt_hash_rows(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm,
                                 const loom_matrix_view *views, size_t n_views, size_t row0, size_t count)
{
    LOOM_TRY(check_perm(dev, perm));
    size_t width = 0;
    for (size_t i = 0; i < n_views; i++) {
        if (row0 > views[i].rows || count > views[i].rows - row0)
            return loom_fail(LOOM_ERR_INVALID_ARG, "%s: rows %zu..%zu of a matrix of %zu rows", dev->info.id, row0,
                             row0 + count, views[i].rows);
        width += views[i].cols;
    }
    if (count == 0)
        return LOOM_OK;
    if (width == 0) {
        memset(out, 0, count * sizeof *out); /* the empty hash */
        return LOOM_OK;
    }
    const rows_ctx c = {views, n_views, row0};
    return run_chunks(dev, out, LOOM_XRT_MODE_HASH, count, width, fill_rows, &c);
}

static loom_status xrt_compress(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm, const loom_digest *in,
                                size_t n_out)
{
    LOOM_TRY(check_perm(dev, perm));
    return n_out ? run_chunks(dev, out, LOOM_XRT_MODE_COMPRESS, n_out, 0, fill_pairs, in) : LOOM_OK;
}

static const loom_device_ops xrt_ops = {
    .coset_lde = NULL,
    .hash_rows = xrt_hash_rows,
    .compress = xrt_compress,
    .commit = NULL,
};

const loom_driver loom_driver_xrt = {
    .name = "xrt",
    .kind = LOOM_DEVICE_FPGA,
    .discover = xrt_discover,
    .open = xrt_open,
    .close = xrt_close,
    .ops = &xrt_ops,
};
