/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loom_fpga_sim.h - the Verilator model of the Loom FPGA hashing kernel (rtl/loom_p2_kernel.sv)
 * behind a small C API: a device-memory model the kernel reads and writes through its memory
 * ports, register reads and writes through its AXI4-Lite port, a clock, counters, and an
 * optional VCD trace. It is what the fpga_sim driver drives exactly as it would drive a card,
 * and what the RTL tests use directly.
 *
 * The library is libloom_fpga_sim.so, built from sim/ (sim/model/). libloom does not link it:
 * the fpga_sim driver loads it at run time, so the names below are also the dlsym() names.
 *
 * Every call that can fail returns 0 on success and -1 on failure; loom_fpga_sim_error() then
 * says what went wrong. A simulation is not thread-safe: one thread at a time.
 */
#ifndef LOOM_FPGA_SIM_H
#define LOOM_FPGA_SIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LOOM_FPGA_SIM_BUILDING) && (defined(__GNUC__) || defined(__clang__))
#define LOOM_FPGA_SIM_API __attribute__((visibility("default")))
#else
#define LOOM_FPGA_SIM_API
#endif

typedef struct loom_fpga_sim loom_fpga_sim;

/* How the device memory behaves. Zero fields take the defaults. */
typedef struct {
    uint64_t mem_bytes;     /* device memory size; default 64 MiB (allocated lazily by the OS) */
    unsigned rd_latency;    /* clocks from a read request to its data; default 16 */
    double rd_stall;        /* chance per clock that read data is held back (0..1) */
    double wr_stall;        /* chance per clock that a write is refused (0..1) */
    double req_stall;       /* chance per clock that a read request is refused (0..1) */
    uint64_t seed;          /* for the stalls */
    const char *trace_path; /* VCD file to write, or NULL: then $LOOM_SIM_TRACE, if set */
} loom_fpga_sim_opts;

/* What happened since the model was created or loom_fpga_sim_counters_clear() was called. */
typedef struct {
    uint64_t cycles;              /* clocks simulated */
    uint64_t busy_cycles;         /* clocks with a job running */
    uint64_t jobs_done;           /* jobs finished (ap_done events) */
    uint64_t perms_in;            /* permutations entered into the pipeline */
    uint64_t perms_out;           /* permutations that came out */
    uint64_t latency_min;         /* clocks from in to out, smallest and largest seen */
    uint64_t latency_max;
    uint64_t first_in_cycle;      /* clock of the first and last permutation entered */
    uint64_t last_in_cycle;
    uint64_t longest_in_run;      /* most consecutive clocks that each entered a permutation */
    uint64_t rd_requests;         /* memory read requests and the words they asked for */
    uint64_t rd_words;
    uint64_t wr_digests;          /* 32-byte digests written */
    uint64_t rd_stall_cycles;     /* clocks the memory held read data back (injected stalls) */
    uint64_t req_stall_cycles;    /* clocks the memory refused a read request (injected) */
    uint64_t wr_stall_cycles;     /* clocks the memory refused a write (injected) */
    uint64_t hazard_stall_cycles; /* clocks a beat waited for its row's previous permutation */
    uint64_t credit_stall_cycles; /* clocks a beat waited for room in the digest FIFO */
} loom_fpga_sim_counters;

/* Fixed facts of the model, from the spec and the RTL. */
typedef struct {
    const char *kernel;      /* "loom_poseidon2" */
    const char *perm;        /* the Poseidon2 instance in the RTL, e.g. "babybear-plonky3-16" */
    unsigned perm_latency;   /* clocks, as documented in the spec */
    unsigned context_slots;  /* rows interleaved at once */
    unsigned target_mhz;     /* the clock the RTL is designed for */
    int trace_built;         /* 1 if this build can write VCD traces */
} loom_fpga_sim_info;

LOOM_FPGA_SIM_API void loom_fpga_sim_info_get(loom_fpga_sim_info *out);

/* Creates a model, in reset for a few clocks and then idle. `opts` may be NULL. On failure
 * *out is NULL and `err` (if not NULL) holds the reason. */
LOOM_FPGA_SIM_API int loom_fpga_sim_create(loom_fpga_sim **out, const loom_fpga_sim_opts *opts, char *err,
                                           size_t err_len);
LOOM_FPGA_SIM_API void loom_fpga_sim_destroy(loom_fpga_sim *sim);

/* The message of the last failed call on `sim`. */
LOOM_FPGA_SIM_API const char *loom_fpga_sim_error(const loom_fpga_sim *sim);

/* Changes the stall chances (see loom_fpga_sim_opts) and reseeds them. */
LOOM_FPGA_SIM_API int loom_fpga_sim_set_stalls(loom_fpga_sim *sim, double rd_stall, double wr_stall,
                                               double req_stall, uint64_t seed);

LOOM_FPGA_SIM_API uint64_t loom_fpga_sim_mem_size(const loom_fpga_sim *sim);
/* Host access to device memory (no clocks pass): bytes at [addr, addr + n). */
LOOM_FPGA_SIM_API int loom_fpga_sim_mem_write(loom_fpga_sim *sim, uint64_t addr, const void *data, size_t n);
LOOM_FPGA_SIM_API int loom_fpga_sim_mem_read(loom_fpga_sim *sim, uint64_t addr, void *data, size_t n);

/* One AXI4-Lite write or read of a 32-bit register (a few clocks each). */
LOOM_FPGA_SIM_API int loom_fpga_sim_reg_write(loom_fpga_sim *sim, uint32_t offset, uint32_t value);
LOOM_FPGA_SIM_API int loom_fpga_sim_reg_read(loom_fpga_sim *sim, uint32_t offset, uint32_t *value);

/* Runs `cycles` clocks. Fails if the kernel touched memory outside the device memory. */
LOOM_FPGA_SIM_API int loom_fpga_sim_step(loom_fpga_sim *sim, uint64_t cycles);

/*
 * Runs until a job has finished (the kernel's ap_done event) since the previous return of this
 * call, at most `max_cycles` clocks. Sets *done to 1 if it finished, 0 if the limit came first;
 * *used (may be NULL) to the clocks run. ap_done stays set in CTRL until it is read.
 */
LOOM_FPGA_SIM_API int loom_fpga_sim_run_until_done(loom_fpga_sim *sim, uint64_t max_cycles, int *done,
                                                   uint64_t *used);

/* The level of the kernel's interrupt line (GIE, IER and ISR decide it). */
LOOM_FPGA_SIM_API int loom_fpga_sim_interrupt(const loom_fpga_sim *sim);

/* Holds reset for `cycles` clocks (at least 1), as a card's reset would: the kernel's state and
 * the memory requests in flight are dropped; device memory keeps its contents. */
LOOM_FPGA_SIM_API int loom_fpga_sim_reset(loom_fpga_sim *sim, unsigned cycles);

LOOM_FPGA_SIM_API void loom_fpga_sim_counters_get(const loom_fpga_sim *sim, loom_fpga_sim_counters *out);
LOOM_FPGA_SIM_API void loom_fpga_sim_counters_clear(loom_fpga_sim *sim);

/* Records the 16-word output state of every permutation leaving the pipeline, in order, into
 * states[16 * i], up to `cap` states (NULL / 0 stops recording). *count, while recording, is the
 * number seen (it may exceed `cap`). For tests of the permutation itself. */
LOOM_FPGA_SIM_API void loom_fpga_sim_monitor(loom_fpga_sim *sim, uint32_t *states, size_t cap, size_t *count);

#ifdef __cplusplus
}
#endif
#endif /* LOOM_FPGA_SIM_H */
