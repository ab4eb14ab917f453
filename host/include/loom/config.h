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
 *   scheduler:                 # optional: how a job's work is spread over the devices
 *     policy: hybrid           #   hybrid (route each stage by expected finish time) | single
 *     partition: dynamic       #   equal | proportional | dynamic (a queue devices pull from)
 *     chunk_rows: 0            #   rows (or columns) per chunk; 0 = chosen from the job size
 *     rebalance_threshold: 0.25 #  utilisation gap that moves queued chunks (0..1)
 *     hysteresis: 0.1          #   moving stops below threshold - hysteresis
 *     deadline_ms: 0           #   a chunk running longer is re-run elsewhere; 0 = no deadline
 *     retries: 3               #   re-runs of a failed chunk on other devices
 *     backoff_ms: 100          #   first back-off of a device that failed (doubles, capped)
 *     model: perf-model.yaml   #   measured performance model (written by `loom calibrate`)
 *     max_gpus: 0              #   at most this many GPUs per job; 0 = chosen from the model
 *     route:                   #   per stage: device kinds to try, in order of preference
 *       lde: [gpu, opencl, cpu]
 *       hash: [fpga, gpu, opencl, cpu]
 *       compress: [gpu, fpga, opencl, cpu]
 *   devices: auto              # "auto" (discover everything, CPU always there) or a list:
 *   # devices:
 *   #   - id: cpu0             #   the name used by every command and message; [a-z][a-z0-9_]*
 *   #     kind: cpu            #   cpu | gpu | fpga | opencl
 *   #     backend: cuda        #   cpu | cuda | xrt | fpga_sim | opencl (default: any of the kind)
 *   #     index: 0             #   the index-th device of that kind (and backend)
 *   #     pci: "0000:1b:00.0"  #   or the device at this PCI address
 *   #     optional: false      #   true: a device that is absent is skipped instead of an error
 *   #     threads: 4           #   CPU: worker threads of this device (0 = its share of the cores)
 *   #     memory_limit: 8GiB   #   bytes this device may use (K/M/G/T[i]B suffixes); 0 = free memory
 *   #     weight: 1.0          #   multiplies the device's score and proportional share (> 0)
 *   #     stages: [lde, hash, compress]  # the stages this device may run (default: all it can)
 *   #     xclbin: k.xclbin     #   FPGA (xrt): the bitstream container to load
 *   #     platform: Portable   #   OpenCL: a substring of the platform name
 *   #     match: GeForce       #   a substring of the device name
 *   #     binary: prog.bin     #   OpenCL: a precompiled program binary instead of source
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

/* Job stages the scheduler routes (the bits of loom_device_spec.stages). */
typedef enum {
    LOOM_STAGE_LDE = 0,
    LOOM_STAGE_HASH = 1,
    LOOM_STAGE_COMPRESS = 2,
    LOOM_STAGE_COUNT = 3,
} loom_stage;

/* "lde", "hash", "compress" */
const char *loom_stage_name(loom_stage s);

/* One device entry of the `devices:` list. Unset values: empty string, -1 or 0 as noted. */
typedef struct {
    char id[LOOM_DEVICE_ID_MAX];
    loom_device_kind kind;
    char backend[16];      /* "" = any backend of the kind */
    int index;             /* -1 if unset */
    char pci[32];          /* "" if unset */
    int optional;          /* 1 if absent is allowed */
    unsigned threads;      /* CPU: worker threads; 0 = its share of the cores */
    unsigned long long memory_limit; /* bytes; 0 = unset */
    double weight;         /* 0 = unset (1) */
    unsigned stages;       /* bit (1 << loom_stage) per allowed stage; 0 = unset (all it can run) */
    char xclbin[256];      /* FPGA (xrt) */
    char platform[64];     /* OpenCL platform-name filter */
    char match[64];        /* device-name filter */
    char binary[256];      /* OpenCL program binary */
    unsigned line;         /* 1-based line of the entry in the source, for messages (0: none) */
} loom_device_spec;

#define LOOM_ROUTE_MAX 4

typedef enum {
    LOOM_POLICY_HYBRID = 0,
    LOOM_POLICY_SINGLE = 1,
} loom_sched_policy;

typedef enum {
    LOOM_PARTITION_DYNAMIC = 0,
    LOOM_PARTITION_EQUAL = 1,
    LOOM_PARTITION_PROPORTIONAL = 2,
} loom_partition_kind;

/* How several GPUs share one trace (scheduler.multi_gpu; docs/scheduler.md). */
typedef enum {
    LOOM_MULTI_GPU_EXCHANGE = 0, /* row slices exchanged between GPUs after each round of columns */
    LOOM_MULTI_GPU_CHAIN = 1,    /* sponge states passed from GPU to GPU in row blocks */
    LOOM_MULTI_GPU_OFF = 2,      /* one GPU a trace */
} loom_multi_gpu_mode;

/* "exchange", "chain", "off" */
const char *loom_multi_gpu_name(loom_multi_gpu_mode m);

/* The `scheduler:` section. Unset values: -1 (numbers), "" (strings), 0 route entries. */
typedef struct {
    int policy;                 /* loom_sched_policy, -1 unset */
    int partition;              /* loom_partition_kind, -1 unset */
    long long chunk_rows;       /* -1 unset, 0 auto */
    double rebalance_threshold; /* -1 unset */
    double hysteresis;          /* -1 unset */
    int deadline_ms;            /* -1 unset, 0 none */
    int retries;                /* -1 unset */
    int backoff_ms;             /* -1 unset */
    int max_gpus;               /* -1 unset, 0 auto */
    int multi_gpu;              /* loom_multi_gpu_mode, -1 unset */
    char model[256];            /* "" unset */
    unsigned route_line;        /* where `route` was written (0: absent) */
    size_t n_route[LOOM_STAGE_COUNT];
    loom_device_kind route[LOOM_STAGE_COUNT][LOOM_ROUTE_MAX];
} loom_sched_config;

/* A parsed configuration. Unset values: empty string, -1. */
typedef struct {
    char source[256];  /* file name, or "<embedded default>" */
    int version;
    char field[16];    /* "" if unset */
    char perm[16];     /* "" if unset */
    int log_blowup;    /* -1 if unset */
    int cpu_threads;   /* -1 if unset, 0 = one per core */
    char cpu_simd[16]; /* "" if unset, else "scalar", "avx2", "avx512" or "neon" */
    loom_sched_config sched;
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
