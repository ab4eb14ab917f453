/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LOOM_CLI_H
#define LOOM_CLI_H

#include <stdio.h>

#include "loom/loom.h"

/* Exit codes: 0 success, 1 a failure while running, 2 bad usage or bad input. */
enum { EXIT_OK = 0, EXIT_RUN = 1, EXIT_USAGE = 2 };

typedef struct {
    const char *name;  /* long name without dashes */
    int takes_value;
    const char *value_name;
    const char *help;
} cli_option;

typedef struct {
    const char *command;  /* "commit" */
    const char *usage;    /* one or more usage lines */
    const char *about;    /* a paragraph */
    const cli_option *options;
    size_t n_options;
    const char *value[32];
    int given[32];
} cli_args;

/*
 * Parses argv (after the command word) against the command's options. Accepts --name value and
 * --name=value. Prints help and returns -1 for --help (exit 0); prints an error naming the
 * option and returns EXIT_USAGE on a mistake; returns 0 on success.
 */
int cli_parse(cli_args *a, int argc, char **argv);
void cli_help(const cli_args *a, FILE *to);
const char *cli_get(const cli_args *a, const char *name);
int cli_flag(const cli_args *a, const char *name);

/* Strict number parsing; on error print "loom CMD: --NAME: ..." and return EXIT_USAGE. */
int cli_u64(const cli_args *a, const char *name, uint64_t *out, uint64_t min, uint64_t max);

/* Reports a library failure ("loom CMD: <message>") and returns the exit code for its status. */
int cli_fail(const char *cmd, loom_status s);
int cli_usage_error(const char *cmd, const char *fmt, ...) LOOM_PRINTF(2, 3);

/* The job settings every command shares, resolved: command line > LOOM_CONFIG file > built-in default. */
typedef struct {
    loom_config *cfg;
    const loom_field *field;
    loom_perm_family perm;
    const char *perm_name;
    unsigned log_blowup;
    /* CPU worker threads: --threads > $LOOM_THREADS > config cpu.threads > 0 (one per core).
     * Written back into cfg->cpu_threads, which is what loom_ctx_create reads. */
    unsigned threads;
} cli_job;

int cli_job_resolve(cli_job *job, const cli_args *a);
void cli_job_free(cli_job *job);

/* Progress on stderr, only when it is a terminal. */
void cli_progress(const char *what, size_t done, size_t total);
void cli_progress_end(void);

/* JSON helpers. */
void json_str(FILE *to, const char *s);
void json_digest(FILE *to, const loom_digest *d);

/* A deterministic uniform canonical-element generator (splitmix64 + rejection). */
typedef struct {
    uint64_t state;
} cli_rng;
uint32_t cli_rng_element(cli_rng *r, uint32_t p);

static inline int loom_is_pow2_u64(uint64_t x) { return x && !(x & (x - 1)); }
static inline unsigned loom_log2_u64(uint64_t x)
{
    unsigned k = 0;
    while ((1ull << k) < x)
        k++;
    return k;
}

int cmd_devices(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_ntt(int argc, char **argv);
int cmd_hash(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_config(int argc, char **argv);

#endif
