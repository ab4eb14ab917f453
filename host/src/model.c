/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The measured performance model: units per second per (stage, device id, log size), a moving
 * average of what the devices did. `loom calibrate` fills it from short benchmarks and saves it;
 * jobs update it as they run; the scheduler reads it instead of the static prior once it has
 * data. The file is a small YAML document read with libyaml's event API, so an error can name
 * the line and column:
 *
 *   version: 1
 *   entries:
 *     - {stage: hash, device: cpu0, log_size: 16, rate: 1.25e6, samples: 3}
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "internal/scheduler.h"

#define ALPHA 0.25
#define MAX_ENTRIES 4096

typedef struct {
    loom_stage st;
    char dev[LOOM_DEVICE_ID_MAX];
    unsigned log_size;
    double rate;
    unsigned samples;
} entry;

struct loom_model {
    pthread_mutex_t lock;
    entry *e;
    size_t n, cap;
};

loom_status loom_model_create(loom_model **out)
{
    loom_model *m = calloc(1, sizeof *m);
    if (!m)
        return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory for the performance model");
    pthread_mutex_init(&m->lock, NULL);
    *out = m;
    return LOOM_OK;
}

void loom_model_free(loom_model *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m->e);
    free(m);
}

static const char *stage_name(loom_stage st) { return st == LOOM_MODEL_COMMIT ? "commit" : loom_stage_name(st); }

static entry *find_locked(loom_model *m, loom_stage st, const char *dev, unsigned log_size)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].st == st && m->e[i].log_size == log_size && strcmp(m->e[i].dev, dev) == 0)
            return &m->e[i];
    return NULL;
}

static entry *add_locked(loom_model *m, loom_stage st, const char *dev, unsigned log_size)
{
    if (m->n == m->cap) {
        if (m->cap >= MAX_ENTRIES)
            return NULL;
        size_t cap = m->cap ? 2 * m->cap : 32;
        entry *e = realloc(m->e, cap * sizeof *e);
        if (!e)
            return NULL;
        m->e = e;
        m->cap = cap;
    }
    entry *e = &m->e[m->n++];
    memset(e, 0, sizeof *e);
    e->st = st;
    snprintf(e->dev, sizeof e->dev, "%s", dev);
    e->log_size = log_size;
    return e;
}

void loom_model_observe(loom_model *m, loom_stage st, const char *dev, unsigned log_size, double units,
                        double seconds)
{
    if (!m || !(units > 0) || !(seconds > 0))
        return;
    double r = units / seconds;
    pthread_mutex_lock(&m->lock);
    entry *e = find_locked(m, st, dev, log_size);
    if (!e)
        e = add_locked(m, st, dev, log_size);
    if (e) {
        e->rate = e->samples ? (1 - ALPHA) * e->rate + ALPHA * r : r;
        e->samples++;
    }
    pthread_mutex_unlock(&m->lock);
}

double loom_model_rate(loom_model *m, loom_stage st, const char *dev, unsigned log_size)
{
    if (!m)
        return 0;
    pthread_mutex_lock(&m->lock);
    double rate = 0;
    unsigned best = ~0u;
    for (size_t i = 0; i < m->n; i++) {
        const entry *e = &m->e[i];
        if (e->st != st || strcmp(e->dev, dev) != 0)
            continue;
        unsigned d = e->log_size > log_size ? e->log_size - log_size : log_size - e->log_size;
        if (d < best) {
            best = d;
            rate = e->rate;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return rate;
}

size_t loom_model_count(loom_model *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->n;
    pthread_mutex_unlock(&m->lock);
    return n;
}

loom_status loom_model_save(loom_model *m, const char *path)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return loom_fail(LOOM_ERR_IO, "cannot write the performance model to '%s': %s", tmp, strerror(errno));
    fprintf(f, "# Loom performance model: units per second per (stage, device, log2 size).\n"
               "# Written by `loom calibrate`; read through `scheduler: {model: FILE}`. Units: lde = columns,\n"
               "# hash = rows, compress = digest pairs.\nversion: 1\nentries:\n");
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n; i++)
        fprintf(f, "  - {stage: %s, device: %s, log_size: %u, rate: %.6g, samples: %u}\n", stage_name(m->e[i].st),
                m->e[i].dev, m->e[i].log_size, m->e[i].rate, m->e[i].samples);
    if (m->n == 0)
        fprintf(f, "  []\n");
    pthread_mutex_unlock(&m->lock);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        return loom_fail(LOOM_ERR_IO, "cannot write the performance model to '%s'", tmp);
    }
    if (rename(tmp, path) != 0) {
        int err = errno;
        remove(tmp);
        return loom_fail(LOOM_ERR_IO, "cannot write the performance model to '%s': %s", path, strerror(err));
    }
    return LOOM_OK;
}

/* ---- loading: a small state machine over libyaml events ---- */

typedef struct {
    const char *path;
    yaml_parser_t p;
    yaml_event_t ev;
    int have;
} reader;

static loom_status bad(reader *r, const char *what)
{
    return loom_fail(LOOM_ERR_CONFIG, "%s:%zu:%zu: %s", r->path, r->ev.start_mark.line + 1,
                     r->ev.start_mark.column + 1, what);
}

static loom_status next(reader *r)
{
    if (r->have)
        yaml_event_delete(&r->ev);
    r->have = 0;
    if (!yaml_parser_parse(&r->p, &r->ev))
        return loom_fail(LOOM_ERR_CONFIG, "%s:%zu:%zu: YAML syntax error: %s", r->path, r->p.problem_mark.line + 1,
                         r->p.problem_mark.column + 1, r->p.problem ? r->p.problem : "unknown");
    r->have = 1;
    return LOOM_OK;
}

static int is_scalar(const reader *r, const char *s)
{
    return r->ev.type == YAML_SCALAR_EVENT && strcmp((const char *)r->ev.data.scalar.value, s) == 0;
}

static loom_status number(reader *r, const char *key, double lo, double hi, double *out)
{
    LOOM_TRY(next(r));
    if (r->ev.type == YAML_SCALAR_EVENT) {
        const char *v = (const char *)r->ev.data.scalar.value;
        char *end = NULL;
        errno = 0;
        double d = strtod(v, &end);
        if (v[0] && end && *end == '\0' && errno == 0 && strspn(v, "0123456789.eE+-") == strlen(v) && d >= lo &&
            d <= hi) {
            *out = d;
            return LOOM_OK;
        }
    }
    char msg[128];
    snprintf(msg, sizeof msg, "invalid %s; expected a number from %g to %g", key, lo, hi);
    return bad(r, msg);
}

static loom_status read_entry(reader *r, loom_model *m)
{
    entry e;
    memset(&e, 0, sizeof e);
    int seen = 0; /* bits: stage, device, log_size, rate, samples */
    for (;;) {
        LOOM_TRY(next(r));
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            break;
        if (r->ev.type != YAML_SCALAR_EVENT)
            return bad(r, "expected a key: stage, device, log_size, rate or samples");
        if (is_scalar(r, "stage")) {
            LOOM_TRY(next(r));
            int found = 0;
            for (int st = 0; st <= (int)LOOM_MODEL_COMMIT; st++)
                if (is_scalar(r, stage_name((loom_stage)st))) {
                    e.st = (loom_stage)st;
                    found = 1;
                }
            if (!found)
                return bad(r, "invalid stage; expected lde, hash, compress or commit");
            seen |= 1;
        } else if (is_scalar(r, "device")) {
            LOOM_TRY(next(r));
            if (r->ev.type != YAML_SCALAR_EVENT || r->ev.data.scalar.length == 0 ||
                r->ev.data.scalar.length >= LOOM_DEVICE_ID_MAX)
                return bad(r, "invalid device; expected a device id of at most 31 characters");
            memcpy(e.dev, r->ev.data.scalar.value, r->ev.data.scalar.length + 1);
            seen |= 2;
        } else if (is_scalar(r, "log_size")) {
            double v;
            LOOM_TRY(number(r, "log_size", 0, 40, &v));
            if (v != floor(v))
                return bad(r, "invalid log_size; expected an integer 0..40");
            e.log_size = (unsigned)v;
            seen |= 4;
        } else if (is_scalar(r, "rate")) {
            LOOM_TRY(number(r, "rate", 1e-9, 1e18, &e.rate));
            seen |= 8;
        } else if (is_scalar(r, "samples")) {
            double v;
            LOOM_TRY(number(r, "samples", 0, 4e9, &v));
            e.samples = (unsigned)v;
            seen |= 16;
        } else {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown key '%.40s' in an entry; expected stage, device, log_size, rate, samples",
                     (const char *)r->ev.data.scalar.value);
            return bad(r, msg);
        }
    }
    if ((seen & 15) != 15)
        return bad(r, "an entry needs stage, device, log_size and rate");
    entry *dst = find_locked(m, e.st, e.dev, e.log_size);
    if (!dst)
        dst = add_locked(m, e.st, e.dev, e.log_size);
    if (!dst)
        return loom_fail(LOOM_ERR_CONFIG, "%s: more than %d entries", r->path, MAX_ENTRIES);
    dst->rate = e.rate;
    dst->samples = e.samples ? e.samples : 1;
    return LOOM_OK;
}

static loom_status read_doc(reader *r, loom_model *m)
{
    LOOM_TRY(next(r)); /* stream start */
    LOOM_TRY(next(r));
    if (r->ev.type != YAML_DOCUMENT_START_EVENT)
        return bad(r, "empty file; expected a performance model (version: 1, entries: [...])");
    LOOM_TRY(next(r));
    if (r->ev.type != YAML_MAPPING_START_EVENT)
        return bad(r, "expected a mapping with 'version: 1' and 'entries'");
    int version = 0;
    for (;;) {
        LOOM_TRY(next(r));
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            break;
        if (is_scalar(r, "version")) {
            double v;
            LOOM_TRY(number(r, "version", 0, 1e9, &v));
            if (v != 1)
                return bad(r, "unsupported model version; expected 1");
            version = 1;
        } else if (is_scalar(r, "entries")) {
            LOOM_TRY(next(r));
            if (r->ev.type != YAML_SEQUENCE_START_EVENT)
                return bad(r, "'entries' must be a list");
            for (;;) {
                LOOM_TRY(next(r));
                if (r->ev.type == YAML_SEQUENCE_END_EVENT)
                    break;
                if (r->ev.type != YAML_MAPPING_START_EVENT)
                    return bad(r, "expected an entry {stage, device, log_size, rate, samples}");
                LOOM_TRY(read_entry(r, m));
            }
        } else {
            return bad(r, "unknown key; expected 'version' or 'entries'");
        }
    }
    if (!version)
        return loom_fail(LOOM_ERR_CONFIG, "%s: missing 'version: 1'", r->path);
    return LOOM_OK;
}

loom_status loom_model_load(loom_model **out, const char *path)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return loom_fail(LOOM_ERR_IO, "cannot read the performance model '%s': %s (write one with `loom calibrate "
                         "--out %s`)", path, strerror(errno), path);
    loom_model *m = NULL;
    loom_status s = loom_model_create(&m);
    if (s != LOOM_OK) {
        fclose(f);
        return s;
    }
    reader r = {.path = path};
    yaml_parser_initialize(&r.p);
    yaml_parser_set_input_file(&r.p, f);
    s = read_doc(&r, m);
    if (r.have)
        yaml_event_delete(&r.ev);
    yaml_parser_delete(&r.p);
    fclose(f);
    if (s != LOOM_OK) {
        loom_model_free(m);
        return s;
    }
    *out = m;
    return LOOM_OK;
}
