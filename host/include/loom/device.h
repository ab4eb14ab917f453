/* SPDX-License-Identifier: Apache-2.0 */
/* loom/device.h - what Loom knows about each device it can run work on. */
#ifndef LOOM_DEVICE_H
#define LOOM_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "loom/config.h"
#include "loom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A discovered device. `id` is the name every command, the YAML and every message use. */
typedef struct {
    char id[LOOM_DEVICE_ID_MAX];   /* "cpu0", "gpu1", ... */
    loom_device_kind kind;
    char backend[16];              /* "cpu", "cuda", "xrt", "opencl", "fpga_sim" */
    char name[128];                /* model name */
    unsigned compute_units;        /* CPU: logical cores; GPU: SMs; ... */
    unsigned threads;              /* CPU: worker threads this device uses */
    uint64_t memory_bytes;         /* memory the device can use (CPU: physical RAM) */
    char simd_in_use[16];          /* CPU: SIMD level the kernels use ("scalar", ...) */
    char simd_available[64];       /* CPU: levels the processor supports, comma-separated */
    char pci_bus_id[32];           /* GPU: "0000:1b:00.0" */
    unsigned cc_major, cc_minor;   /* GPU: compute capability */
    unsigned clock_mhz;            /* GPU: SM clock */
    uint64_t l2_bytes;             /* GPU: L2 cache */
    unsigned peer_mask;            /* GPU: bit j set = direct (NVLink / PCIe P2P) access to gpu<j> */
    int ordinal;                   /* index within its backend (CUDA device number, ...) */
    int opt_in;                    /* 1: used only when a config lists it (simulated cards, OpenCL
                                      CPU devices); `devices: auto` skips it */
} loom_device_info;

/*
 * Discovers every device this build can drive. Fills up to `max` records and sets *n to the
 * number found (the CPU is always there). For each device kind found empty, a line of `notes`
 * (may be NULL) says why ("gpu: this build has no CUDA driver").
 */
LOOM_MUST_USE loom_status loom_devices_discover(loom_device_info *out, size_t max, size_t *n, char *notes,
                                                size_t notes_len);

#ifdef __cplusplus
}
#endif
#endif /* LOOM_DEVICE_H */
