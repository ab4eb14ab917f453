/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The driver seam. Each device kind lives in host/src/drivers/<kind>/ and exports one
 * loom_driver: discovery, open/close, and an ops table of the kernels the job pipeline needs.
 * drivers/registry.c lists them; a kind whose toolchain is missing is simply not compiled in,
 * and discovery then says so. Adding a device kind means adding a folder and one line there.
 */
#ifndef LOOM_INTERNAL_DRIVER_H
#define LOOM_INTERNAL_DRIVER_H

#include "internal/common.h"
#include "loom/device.h"
#include "loom/field.h"
#include "loom/loom.h"
#include "loom/matrix.h"
#include "loom/poseidon2.h"

typedef struct loom_device loom_device;

/* Kernels on host-visible buffers. Devices with their own memory copy in and out themselves. */
typedef struct {
    /* out ((rows << added_bits) x cols) = coset LDE of `in` with `shift`, rows bit-reversed if asked. */
    loom_status (*coset_lde)(loom_device *dev, uint32_t *out, const loom_field *f, const uint32_t *in, size_t rows,
                             size_t cols, unsigned added_bits, uint32_t shift, int bit_reverse);
    /* out[i] = sponge(concat of row row0 + i of each view), i < count. */
    loom_status (*hash_rows)(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm,
                             const loom_matrix_view *views, size_t n_views, size_t row0, size_t count);
    /* out[i] = compress(in[2i], in[2i + 1]), i < n_out. */
    loom_status (*compress)(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm, const loom_digest *in,
                            size_t n_out);
    /*
     * Optional (NULL if absent): the whole commit on the device, from host traces to the root,
     * with nothing but the traces and the root crossing the bus. Fills the stage times of `rep`
     * (lde_s, hash_s, compress_s) and the work counters of its device slot `slot`.
     */
    loom_status (*commit)(loom_device *dev, loom_digest *root, loom_commit_report *rep, size_t slot,
                          const loom_field *f, const loom_poseidon2 *perm, const loom_matrix_view *traces,
                          size_t n_traces, unsigned log_blowup);
    /*
     * Optional: one commit over n devices of this driver (n a power of two <= LOOM_MULTI_MAX,
     * traces of one height): columns split across them for the LDE, rows brought together for
     * hashing, a subtree per device. Writes the n subtree roots in row order (the caller
     * compresses the top levels), fills rep's stage times, peer bytes and the counters of each
     * device's slot (slots[i] for devs[i]). `mode` is a loom_multi_gpu_mode.
     */
    loom_status (*commit_multi)(loom_device *const *devs, size_t n, int mode, loom_digest *roots,
                                loom_commit_report *rep, const size_t *slots, const loom_field *f,
                                const loom_poseidon2 *perm, const loom_matrix_view *traces, size_t n_traces,
                                unsigned log_blowup);
} loom_device_ops;

/* The most devices one commit_multi call takes. */
#define LOOM_MULTI_MAX 8

typedef struct loom_driver {
    const char *name;          /* "cpu", "cuda", ... */
    loom_device_kind kind;
    /* Fills up to max records, sets *n. When it finds none, writes the reason to `why`. */
    loom_status (*discover)(loom_device_info *out, size_t max, size_t *n, char *why, size_t why_len);
    loom_status (*open)(loom_device *dev);
    void (*close)(loom_device *dev);
    const loom_device_ops *ops;
} loom_driver;

/* An opened device. */
struct loom_device {
    loom_device_info info;
    loom_device_spec spec;   /* the config entry that picked it (devices: auto: id and kind only,
                                index -1, line 0); drivers read their settings here in open() */
    const loom_driver *driver;
    void *impl;
};

LOOM_HIDDEN extern const loom_driver *const loom_drivers[];
LOOM_HIDDEN extern const size_t loom_driver_count;

LOOM_HIDDEN extern const loom_driver loom_driver_cpu;
#ifdef LOOM_HAVE_CUDA_DRIVER
LOOM_HIDDEN extern const loom_driver loom_driver_cuda;
#endif
#ifdef LOOM_HAVE_FPGA_SIM_DRIVER
LOOM_HIDDEN extern const loom_driver loom_driver_fpga_sim;
#endif
#ifdef LOOM_HAVE_XRT_DRIVER
LOOM_HIDDEN extern const loom_driver loom_driver_xrt;
#endif
#ifdef LOOM_HAVE_OPENCL_DRIVER
LOOM_HIDDEN extern const loom_driver loom_driver_opencl;
#endif

#endif
