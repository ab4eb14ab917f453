/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loom/config.h - the YAML description of a server's device mix and of job defaults (libyaml).
 *
 * Schema version 1 (docs/config.md is the reference; configs/ holds examples):
 *
 *   version: 1                 # required, must be 1
 *   job:                       # optional: defaults for jobs (the command line overrides them)
 *     field: babybear          #   babybear | koalabear
 *     perm: plonky3            #   plonky3 | sp1
 *     log_blowup: 1            #   0..8
 *   cpu:                       # optional
 *     threads: 0               #   worker threads per CPU device, 0 = share the cores
 *     simd: avx2               #   scalar | avx2 | avx512 | neon; absent = the best this CPU runs
 *   devices: auto              # "auto" (discover everything, CPU always there) or a list:
 *   # devices:
 *   #   - id: cpu0             #   the name used by every command and message; [a-z][a-z0-9_]*
 *   #     kind: cpu            #   cpu | gpu | fpga | opencl
 *   #     optional: false      #   true: a device that is absent is skipped instead of an error
 *   #     backend: fpga_sim    #   the driver: cpu | cuda | xrt | fpga_sim | opencl (absent: any)
 *
 * Any error (malformed YAML, an unknown key, a wrong type or value, a duplicate id) returns
 * LOOM_ERR_CONFIG with a message "SOURCE:LINE:COLUMN: what is wrong; what was expected".
 */
#ifndef LOOM_CONFIG_H
#define LOOM_CONFIG_H

#include <stddef.h>

#include "loom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LOOM_CONFIG_MAX_DEVICES 64
#define LOOM_DEVICE_ID_MAX 32

typedef enum {
    LOOM_DEVICE_CPU = 0,
    LOOM_DEVICE_GPU = 1,
    LOOM_DEVICE_FPGA = 2,
    LOOM_DEVICE_OPENCL = 3,
} loom_device_kind;

/* "cpu", "gpu", "fpga", "opencl" */
const char *loom_device_kind_name(loom_device_kind k);

/* One device entry of the `devices:` list. */
typedef struct {
    char id[LOOM_DEVICE_ID_MAX];
    loom_device_kind kind;
    int optional;     /* 1 if absent is allowed */
    unsigned line;    /* 1-based line of the entry in the source, for messages */
    char backend[16]; /* "" = any; "cpu", "cuda", "xrt", "fpga_sim", "opencl" */
} loom_device_spec;

/* A parsed configuration. Unset values: empty string, -1. */
typedef struct {
    char source[256];  /* file name, or "<embedded default>" */
    int version;
    char field[16];    /* "" if unset */
    char perm[16];     /* "" if unset */
    int log_blowup;    /* -1 if unset */
    int cpu_threads;   /* -1 if unset, 0 = one per core */
    char cpu_simd[16]; /* "" if unset, else "scalar", "avx2", "avx512" or "neon" */
    int devices_auto;  /* 1 for `devices: auto` (or no devices key) */
    size_t n_devices;
    loom_device_spec devices[LOOM_CONFIG_MAX_DEVICES];
} loom_config;

/* Parses YAML text; `source` names it in messages. On success *out must be freed with loom_config_free. */
LOOM_MUST_USE loom_status loom_config_parse(loom_config **out, const char *text, size_t len, const char *source);

/* Reads and parses a file. A missing or unreadable file is LOOM_ERR_IO with the OS reason. */
LOOM_MUST_USE loom_status loom_config_load(loom_config **out, const char *path);

/* Parses the default built into the library (configs/default.yaml at build time). */
LOOM_MUST_USE loom_status loom_config_load_default(loom_config **out);

/* The text of the built-in default. */
const char *loom_config_default_text(void);

void loom_config_free(loom_config *cfg);

#ifdef __cplusplus
}
#endif
#endif /* LOOM_CONFIG_H */
