/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int find(const cli_args *a, const char *name, size_t len)
{
    for (size_t i = 0; i < a->n_options; i++)
        if (strlen(a->options[i].name) == len && strncmp(a->options[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

void cli_help(const cli_args *a, FILE *to)
{
    fprintf(to, "Usage:\n%s\n\n%s\n\nOptions:\n", a->usage, a->about);
    for (size_t i = 0; i < a->n_options; i++) {
        const cli_option *o = &a->options[i];
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->takes_value ? " " : "",
                 o->takes_value ? o->value_name : "");
        fprintf(to, "  %-24s %s\n", left, o->help);
    }
    fprintf(to, "  %-24s %s\n", "--help", "show this help and exit");
}

int cli_parse(cli_args *a, int argc, char **argv)
{
    memset(a->value, 0, sizeof a->value);
    memset(a->given, 0, sizeof a->given);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_help(a, stdout);
            return -1;
        }
        if (strncmp(arg, "--", 2) != 0)
            return cli_usage_error(a->command, "unexpected argument '%s'", arg);
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int k = find(a, name, len);
        if (k < 0)
            return cli_usage_error(a->command, "unknown option '%.*s'", (int)len + 2, arg);
        if (a->given[k])
            return cli_usage_error(a->command, "option '--%s' given twice", a->options[k].name);
        a->given[k] = 1;
        if (a->options[k].takes_value) {
            if (eq) {
                a->value[k] = eq + 1;
            } else if (i + 1 < argc) {
                a->value[k] = argv[++i];
            } else {
                return cli_usage_error(a->command, "option '--%s' needs a value (%s)", a->options[k].name,
                                       a->options[k].value_name);
            }
        } else if (eq) {
            return cli_usage_error(a->command, "option '--%s' takes no value", a->options[k].name);
        }
    }
    return 0;
}

const char *cli_get(const cli_args *a, const char *name)
{
    int k = find(a, name, strlen(name));
    return k >= 0 ? a->value[k] : NULL;
}

int cli_flag(const cli_args *a, const char *name)
{
    int k = find(a, name, strlen(name));
    return k >= 0 && a->given[k];
}

int cli_u64(const cli_args *a, const char *name, uint64_t *out, uint64_t min, uint64_t max)
{
    const char *v = cli_get(a, name);
    if (!v)
        return cli_usage_error(a->command, "--%s is required", name);
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 0);
    if (v[0] == '\0' || v[0] == '-' || *end != '\0' || errno == ERANGE)
        return cli_usage_error(a->command, "--%s '%s' is not a non-negative integer", name, v);
    if (x < min || x > max)
        return cli_usage_error(a->command, "--%s %llu is out of range; expected %llu..%llu", name, x,
                               (unsigned long long)min, (unsigned long long)max);
    *out = x;
    return 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "loom %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see 'loom %s --help')\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

int cli_fail(const char *cmd, loom_status s)
{
    const char *msg = loom_last_error();
    fprintf(stderr, "loom %s: %s\n", cmd, msg[0] ? msg : loom_status_str(s));
    switch (s) {
    case LOOM_ERR_NO_MEMORY:
    case LOOM_ERR_DEVICE:
    case LOOM_ERR_INTERNAL:
        return EXIT_RUN;
    default:
        return EXIT_USAGE;
    }
}

#define CLI_MAX_THREADS 4096

/* --threads (commands that have it) > $LOOM_THREADS > cpu.threads of the config > one per core. */
static int resolve_threads(cli_job *job, const cli_args *a)
{
    const char *given = cli_get(a, "threads");
    /* `loom bench --threads all` sweeps thread counts itself. */
    if (given && strcmp(a->command, "bench") == 0 && strcmp(given, "all") == 0)
        given = NULL;
    if (given) {
        uint64_t n;
        int rc = cli_u64(a, "threads", &n, 1, CLI_MAX_THREADS);
        if (rc)
            return rc;
        job->threads = (unsigned)n;
    } else if (getenv("LOOM_THREADS") && getenv("LOOM_THREADS")[0]) {
        const char *env = getenv("LOOM_THREADS");
        char *end;
        errno = 0;
        unsigned long long n = strtoull(env, &end, 10);
        if (env[0] < '0' || env[0] > '9' || *end || errno == ERANGE || n < 1 || n > CLI_MAX_THREADS)
            return cli_usage_error(a->command, "LOOM_THREADS='%s' is not a thread count; expected 1..%d", env,
                                   CLI_MAX_THREADS);
        job->threads = (unsigned)n;
    } else {
        job->threads = job->cfg->cpu_threads > 0 ? (unsigned)job->cfg->cpu_threads : 0;
    }
    job->cfg->cpu_threads = (int)job->threads;
    /* Folded into the config, with --threads over it: the library must not read it again. */
    unsetenv("LOOM_THREADS");
    return 0;
}

static int job_resolve(cli_job *job, const cli_args *a)
{
    int rc;
    const char *path = cli_get(a, "config");
    if (!path)
        path = getenv("LOOM_CONFIG");
    loom_status s = path && path[0] ? loom_config_load(&job->cfg, path) : loom_config_load_default(&job->cfg);
    if (s != LOOM_OK)
        return cli_fail(a->command, s);

    const char *field = cli_get(a, "field");
    if (!field)
        field = job->cfg->field[0] ? job->cfg->field : "babybear";
    if ((s = loom_field_by_name(&job->field, field)) != LOOM_OK)
        return cli_fail(a->command, s);

    job->perm_name = cli_get(a, "perm");
    if (!job->perm_name)
        job->perm_name = job->cfg->perm[0] ? job->cfg->perm : "plonky3";
    if ((s = loom_perm_family_by_name(&job->perm, job->perm_name)) != LOOM_OK)
        return cli_fail(a->command, s);

    if ((rc = resolve_threads(job, a)) != 0)
        return rc;

    job->log_blowup = job->cfg->log_blowup >= 0 ? (unsigned)job->cfg->log_blowup : 1;
    if (cli_get(a, "log-blowup")) {
        uint64_t b;
        rc = cli_u64(a, "log-blowup", &b, 0, 8);
        if (rc)
            return rc;
        job->log_blowup = (unsigned)b;
    }
    return 0;
}

int cli_job_resolve(cli_job *job, const cli_args *a)
{
    memset(job, 0, sizeof *job);
    int rc = job_resolve(job, a);
    if (rc)
        cli_job_free(job); /* the caller only frees a job that resolved */
    return rc;
}

void cli_job_free(cli_job *job)
{
    loom_config_free(job->cfg);
    job->cfg = NULL;
}

static int progress_shown;

void cli_progress(const char *what, size_t done, size_t total)
{
    if (!isatty(STDERR_FILENO))
        return;
    fprintf(stderr, "\r%s %zu/%zu", what, done, total);
    fflush(stderr);
    progress_shown = 1;
}

void cli_progress_end(void)
{
    if (progress_shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
        progress_shown = 0;
    }
}

void json_str(FILE *to, const char *s)
{
    fputc('"', to);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(to, "\\%c", c);
        else if (c < 0x20)
            fprintf(to, "\\u%04x", c);
        else
            fputc(c, to);
    }
    fputc('"', to);
}

void json_digest(FILE *to, const loom_digest *d)
{
    fputc('[', to);
    for (int i = 0; i < LOOM_DIGEST_WORDS; i++)
        fprintf(to, "%s%u", i ? ", " : "", d->v[i]);
    fputc(']', to);
}

uint32_t cli_rng_element(cli_rng *r, uint32_t p)
{
    for (;;) {
        uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        uint32_t v = (uint32_t)(z >> 33); /* 31 bits */
        if (v < p)
            return v;
    }
}
