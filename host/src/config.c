/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The YAML configuration parser (schema version 1, see loom/config.h and docs/config.md).
 *
 * Two stages. First, libyaml's event API builds a small private tree of the one document, so
 * that every node keeps its position and the checks can look at keys in any order (a missing
 * `version` is only known at the end of a mapping). The event API, rather than
 * yaml_parser_load, lets us refuse aliases at the place they are written (the document API
 * silently shares the anchored node, which can even make a node its own child) and stop on
 * absurd nesting before building anything big. Second, the tree is checked against per-section
 * key tables; later schema versions add keys by adding table rows.
 *
 * Every error is LOOM_ERR_CONFIG "SOURCE:LINE:COL: what is wrong; what was expected".
 */
#include "loom/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "internal/common.h"

/* Generated at build time from configs/default.yaml (cmake/EmbedFile.cmake); NUL-terminated. */
extern const char loom_default_config_yaml[];
extern const size_t loom_default_config_yaml_len;

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Schema version 1 nests three levels deep; anything far deeper is junk, and refusing it early
 * bounds the work done on hostile input. */
#define MAX_DEPTH 32
/* A real configuration has a few hundred nodes at most; this bounds memory for junk input. */
#define MAX_NODES 65536
/* Configuration files are small; a bigger file is almost certainly the wrong file. */
#define MAX_FILE_BYTES (1u << 20)

#define SUPPORTED_VERSION 1

const char *loom_device_kind_name(loom_device_kind k)
{
    switch (k) {
    case LOOM_DEVICE_CPU: return "cpu";
    case LOOM_DEVICE_GPU: return "gpu";
    case LOOM_DEVICE_FPGA: return "fpga";
    case LOOM_DEVICE_OPENCL: return "opencl";
    }
    return "unknown";
}

const char *loom_stage_name(loom_stage st)
{
    switch (st) {
    case LOOM_STAGE_LDE: return "lde";
    case LOOM_STAGE_HASH: return "hash";
    case LOOM_STAGE_COMPRESS: return "compress";
    case LOOM_STAGE_COUNT: break;
    }
    return "unknown";
}

/* ---- the document tree ---- */

typedef enum { NODE_SCALAR, NODE_SEQUENCE, NODE_MAPPING } node_type;

typedef struct {
    node_type type;
    unsigned line, col; /* 1-based */
    char *value;        /* scalars: NUL-terminated copy; may also contain NULs ("\0" escapes) */
    size_t len;
    int plain;          /* unquoted scalar: only these can be integers, booleans or null */
    size_t first_child; /* index + 1 of the first child, 0 if none; mappings: key, value, ... */
    size_t last_child;
    size_t next;        /* index + 1 of the next sibling, 0 if none */
    size_t n_children;
} ynode;

typedef struct {
    const char *source;
    ynode *nodes;
    size_t n_nodes, cap_nodes;
    loom_config *cfg;
    size_t dev_index;                          /* the `devices` entry being checked */
    unsigned id_line[LOOM_CONFIG_MAX_DEVICES]; /* where each id was written, for duplicates */
} pctx;

static const ynode *child(const pctx *c, size_t idx1) { return idx1 ? &c->nodes[idx1 - 1] : NULL; }

static unsigned clamp_pos(size_t v)
{
    return v >= (size_t)0xfffffffeu ? 0xffffffffu : (unsigned)v + 1;
}

static loom_status fail_pos(const pctx *c, unsigned line, unsigned col, const char *fmt, ...)
    LOOM_PRINTF(4, 5);

static loom_status fail_pos(const pctx *c, unsigned line, unsigned col, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return loom_fail(LOOM_ERR_CONFIG, "%s:%u:%u: %s", c->source, line, col, msg);
}

#define fail_at(c, node, ...) fail_pos((c), (node)->line, (node)->col, __VA_ARGS__)

/* Quotes user text for a message: bounded, and with control bytes replaced so that a binary
 * file cannot garble the terminal. */
static const char *shown(const char *s, size_t len, char buf[64])
{
    size_t max = 40, n = len < max ? len : max;
    /* don't cut a UTF-8 sequence in half */
    if (n < len)
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        buf[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    if (n < len) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static loom_status add_node(pctx *c, node_type type, const yaml_event_t *ev, size_t parent1, size_t *idx1)
{
    if (c->n_nodes >= MAX_NODES)
        return fail_pos(c, clamp_pos(ev->start_mark.line), clamp_pos(ev->start_mark.column),
                        "more than %d YAML nodes; expected a small configuration file", MAX_NODES);
    if (c->n_nodes == c->cap_nodes) {
        size_t cap = c->cap_nodes ? c->cap_nodes * 2 : 64;
        ynode *p = realloc(c->nodes, cap * sizeof *p);
        if (!p)
            return loom_fail(LOOM_ERR_NO_MEMORY, "%s: out of memory while reading the configuration",
                             c->source);
        c->nodes = p;
        c->cap_nodes = cap;
    }
    ynode *n = &c->nodes[c->n_nodes];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->line = clamp_pos(ev->start_mark.line);
    n->col = clamp_pos(ev->start_mark.column);
    if (type == NODE_SCALAR) {
        n->len = ev->data.scalar.length;
        n->value = malloc(n->len + 1);
        if (!n->value)
            return loom_fail(LOOM_ERR_NO_MEMORY, "%s: out of memory while reading the configuration",
                             c->source);
        memcpy(n->value, ev->data.scalar.value, n->len);
        n->value[n->len] = '\0';
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    }
    *idx1 = ++c->n_nodes;
    if (parent1) {
        ynode *p = &c->nodes[parent1 - 1];
        if (p->last_child)
            c->nodes[p->last_child - 1].next = *idx1;
        else
            p->first_child = *idx1;
        p->last_child = *idx1;
        p->n_children++;
    }
    return LOOM_OK;
}

static void free_tree(pctx *c)
{
    for (size_t i = 0; i < c->n_nodes; i++)
        free(c->nodes[i].value);
    free(c->nodes);
    c->nodes = NULL;
    c->n_nodes = c->cap_nodes = 0;
}

static loom_status syntax_error(const pctx *c, const yaml_parser_t *p, const char *text, size_t len)
{
    const char *problem = p->problem ? p->problem : "unknown problem";
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return loom_fail(LOOM_ERR_NO_MEMORY, "%s: out of memory while parsing the configuration",
                         c->source);
    case YAML_READER_ERROR: {
        /* The reader reports a byte offset, not a mark: count lines and characters ourselves. */
        size_t off = p->problem_offset < len ? p->problem_offset : len;
        unsigned line = 1, col = 1;
        for (size_t i = 0; i < off; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
                col++;
            }
        }
        if (p->problem_value != -1)
            return fail_pos(c, line, col, "invalid text: %s (#%X); expected UTF-8 YAML text", problem,
                            (unsigned)p->problem_value);
        return fail_pos(c, line, col, "invalid text: %s; expected UTF-8 YAML text", problem);
    }
    default:
        break;
    }
    unsigned line = clamp_pos(p->problem_mark.line), col = clamp_pos(p->problem_mark.column);
    if (p->context)
        return fail_pos(c, line, col, "YAML syntax error: %s (%s at %u:%u)", problem, p->context,
                        clamp_pos(p->context_mark.line), clamp_pos(p->context_mark.column));
    return fail_pos(c, line, col, "YAML syntax error: %s", problem);
}

/* Reads the whole stream into c->nodes; *root1 is the document's root (index + 1), 0 if the
 * stream holds no document. */
static loom_status build_tree(pctx *c, const char *text, size_t len, size_t *root1)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return loom_fail(LOOM_ERR_NO_MEMORY, "%s: out of memory while creating the YAML parser", c->source);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    size_t stack[MAX_DEPTH];
    size_t depth = 0, documents = 0;
    loom_status st = LOOM_OK;
    *root1 = 0;
    for (int done = 0; !done && st == LOOM_OK;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            st = syntax_error(c, &parser, text, len);
            break;
        }
        unsigned line = clamp_pos(ev.start_mark.line), col = clamp_pos(ev.start_mark.column);
        const char *tag = NULL;
        const char *anchor = NULL;
        node_type type = NODE_SCALAR;
        int opens = 0;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1)
                st = fail_pos(c, line, col, "a second YAML document; expected exactly one document");
            break;
        case YAML_ALIAS_EVENT:
            anchor = (const char *)ev.data.alias.anchor;
            st = fail_pos(c, line, col, "alias '*%s' is not supported; expected the value written out in full",
                          anchor ? anchor : "");
            break;
        case YAML_SCALAR_EVENT:
            tag = (const char *)ev.data.scalar.tag;
            opens = -1;
            break;
        case YAML_SEQUENCE_START_EVENT:
            tag = (const char *)ev.data.sequence_start.tag;
            type = NODE_SEQUENCE;
            opens = 1;
            break;
        case YAML_MAPPING_START_EVENT:
            tag = (const char *)ev.data.mapping_start.tag;
            type = NODE_MAPPING;
            opens = 1;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0)
                depth--;
            break;
        default:
            break;
        }
        if (st == LOOM_OK && opens != 0) {
            size_t idx1 = 0;
            if (tag) {
                /* Tags change a value's type behind the schema's back; version 1 needs none. */
                char b[64];
                st = fail_pos(c, line, col, "YAML tag '%s' is not supported; expected untagged values",
                              shown(tag, strlen(tag), b));
            } else if (opens > 0 && depth >= MAX_DEPTH) {
                st = fail_pos(c, line, col, "nesting deeper than %d levels; expected the shallow layout of "
                              "schema version 1", MAX_DEPTH);
            } else {
                st = add_node(c, type, &ev, depth ? stack[depth - 1] : 0, &idx1);
                if (st == LOOM_OK && depth == 0)
                    *root1 = idx1;
                if (st == LOOM_OK && opens > 0)
                    stack[depth++] = idx1;
            }
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return st;
}

/* ---- scalar helpers ---- */

static int is_null(const ynode *n)
{
    if (n->type != NODE_SCALAR || !n->plain)
        return 0;
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    for (size_t i = 0; i < ARRAY_LEN(nulls); i++)
        if (n->len == strlen(nulls[i]) && memcmp(n->value, nulls[i], n->len) == 0)
            return 1;
    return 0;
}

static int scalar_is(const ynode *n, const char *s)
{
    return n->type == NODE_SCALAR && n->len == strlen(s) && memcmp(n->value, s, n->len) == 0;
}

static const char *type_desc(const ynode *n)
{
    if (n->type == NODE_MAPPING)
        return "a mapping";
    if (n->type == NODE_SEQUENCE)
        return "a sequence";
    return is_null(n) ? "empty" : "a scalar";
}

/* "PATH is a sequence; expected X" for a wrong type, "invalid PATH 'v'; expected X" otherwise. */
static loom_status bad_value(const pctx *c, const ynode *n, const char *path, const char *expected)
{
    if (n->type != NODE_SCALAR || is_null(n))
        return fail_at(c, n, "%s is %s; expected %s", path, type_desc(n), expected);
    char b[64];
    return fail_at(c, n, "invalid %s '%s'%s; expected %s", path, shown(n->value, n->len, b),
                   n->plain ? "" : " (a quoted string)", expected);
}

/* Decimal only, no sign other than '-', no leading zeros (YAML 1.1 reads 010 as octal 8), no
 * '_' separators, no trailing junk; anything beyond ~1e15 counts as out of range. */
static int strict_int(const ynode *n, long long *out)
{
    if (n->type != NODE_SCALAR || !n->plain || n->len == 0)
        return 0;
    const char *s = n->value, *end = n->value + n->len;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (s == end || (*s == '0' && end - s > 1))
        return 0;
    long long v = 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        if (v > 1000000000000000LL)
            return 0;
        v = v * 10 + (*s - '0');
    }
    *out = neg ? -v : v;
    return 1;
}

static loom_status parse_int(const pctx *c, const ynode *n, const char *path, int lo, int hi, int *out)
{
    long long v;
    if (strict_int(n, &v) && v >= lo && v <= hi) {
        *out = (int)v;
        return LOOM_OK;
    }
    char expected[64];
    snprintf(expected, sizeof expected, "an integer %d..%d", lo, hi);
    return bad_value(c, n, path, expected);
}

/* YAML 1.1's spellings of true and false, minus the single letters and on/off, which are too
 * easy to write by accident. */
static loom_status parse_bool(const pctx *c, const ynode *n, const char *path, int *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO"};
    if (n->type == NODE_SCALAR && n->plain) {
        for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
            if (scalar_is(n, yes[i])) {
                *out = 1;
                return LOOM_OK;
            }
            if (scalar_is(n, no[i])) {
                *out = 0;
                return LOOM_OK;
            }
        }
    }
    return bad_value(c, n, path, "a boolean: true, false, yes or no");
}

/* A non-empty string of at most size - 1 bytes without NULs (file names, filters). */
static loom_status parse_string(const pctx *c, const ynode *n, const char *path, char *buf, size_t size)
{
    char expected[64];
    snprintf(expected, sizeof expected, "a non-empty string of at most %zu characters", size - 1);
    if (n->type != NODE_SCALAR || is_null(n) || n->len == 0 || memchr(n->value, '\0', n->len))
        return bad_value(c, n, path, expected);
    if (n->len > size - 1) {
        char b[64];
        return fail_at(c, n, "%s '%s' is %zu characters long; expected %s", path, shown(n->value, n->len, b),
                       n->len, expected);
    }
    memcpy(buf, n->value, n->len + 1);
    return LOOM_OK;
}

/* A plain decimal number (integer or fraction, optional exponent) in [lo, hi]. */
static loom_status parse_double(const pctx *c, const ynode *n, const char *path, double lo, double hi,
                                double *out)
{
    if (n->type == NODE_SCALAR && n->plain && n->len > 0 && n->len < 64) {
        char tmp[64];
        memcpy(tmp, n->value, n->len);
        tmp[n->len] = '\0';
        char *end = NULL;
        errno = 0;
        double v = strtod(tmp, &end);
        /* strtod also takes "nan", "inf" and hex floats: insist on digits and a dot or exponent only */
        int plain_digits = strspn(tmp, "0123456789.eE+-") == n->len;
        if (plain_digits && end == tmp + n->len && errno == 0 && v >= lo && v <= hi) {
            *out = v;
            return LOOM_OK;
        }
    }
    char expected[96];
    snprintf(expected, sizeof expected, "a number from %g to %g", lo, hi);
    return bad_value(c, n, path, expected);
}

/* Bytes: an integer with an optional unit K, M, G or T, with or without "B" / "iB" (all binary,
 * 1K = 1024). 0 means unset. */
static loom_status parse_bytes(const pctx *c, const ynode *n, const char *path, unsigned long long *out)
{
    const char *expected = "a byte count such as 4096, 512MiB, 8GiB or 1T (K/M/G/T are powers of 1024)";
    if (n->type != NODE_SCALAR || !n->plain || n->len == 0 || n->len > 32)
        return bad_value(c, n, path, expected);
    const char *s = n->value, *end = n->value + n->len;
    unsigned long long v = 0;
    size_t digits = 0;
    while (s < end && *s >= '0' && *s <= '9') {
        if (v > (1ull << 50))
            return bad_value(c, n, path, expected);
        v = v * 10 + (unsigned)(*s++ - '0');
        digits++;
    }
    if (digits == 0 || (digits > 1 && n->value[0] == '0'))
        return bad_value(c, n, path, expected);
    unsigned shift = 0;
    if (s < end) {
        switch (*s) {
        case 'K': case 'k': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        case 'T': shift = 40; break;
        default: return bad_value(c, n, path, expected);
        }
        s++;
        if (s < end && *s == 'i')
            s++;
        if (s < end && *s == 'B')
            s++;
        if (s != end)
            return bad_value(c, n, path, expected);
    }
    if (shift && v > (~0ull >> shift))
        return bad_value(c, n, path, expected);
    *out = v << shift;
    return LOOM_OK;
}

static void join_names(const char *const *names, size_t n, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < size; i++) {
        int w = snprintf(buf + o, size - o, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

/* A string value from a fixed list; any quoting style is fine since these are plain words. */
static loom_status parse_enum(const pctx *c, const ynode *n, const char *path, const char *const *allowed,
                              size_t n_allowed, size_t *index)
{
    if (n->type == NODE_SCALAR && !is_null(n)) {
        for (size_t i = 0; i < n_allowed; i++) {
            if (scalar_is(n, allowed[i])) {
                *index = i;
                return LOOM_OK;
            }
        }
    }
    char list[256], expected[280];
    join_names(allowed, n_allowed, list, sizeof list);
    snprintf(expected, sizeof expected, "one of: %s", list);
    return bad_value(c, n, path, expected);
}

/* ---- table-driven mappings ---- */

typedef loom_status (*apply_fn)(pctx *c, const ynode *value, void *target);

typedef struct {
    const char *name;
    apply_fn apply;
} key_rule;

#define MAX_RULES 16

/* Checks every key of `map` against `rules` (unknown and duplicate keys are errors) and applies
 * the matching rule to each value, in document order. seen[i] is left pointing at the key node
 * of rules[i], or NULL if the key is absent, so callers can check required keys. */
static loom_status walk_mapping(pctx *c, const ynode *map, const char *where, const key_rule *rules,
                                size_t n_rules, void *target, const ynode **seen)
{
    for (size_t i = 0; i < n_rules; i++)
        seen[i] = NULL;
    const ynode *k = child(c, map->first_child);
    while (k) {
        const ynode *v = child(c, k->next);
        char b[64];
        if (k->type != NODE_SCALAR)
            return fail_at(c, k, "%s used as a key %s; expected a key name", type_desc(k), where);
        size_t i = 0;
        while (i < n_rules && !scalar_is(k, rules[i].name))
            i++;
        if (i == n_rules) {
            const char *names[MAX_RULES];
            for (size_t j = 0; j < n_rules; j++)
                names[j] = rules[j].name;
            char list[256];
            join_names(names, n_rules, list, sizeof list);
            return fail_at(c, k, "unknown key '%s' %s; expected one of: %s", shown(k->value, k->len, b), where,
                           list);
        }
        if (seen[i])
            return fail_at(c, k, "duplicate key '%s' %s (first defined at line %u); expected each key once",
                           rules[i].name, where, seen[i]->line);
        seen[i] = k;
        if (!v) /* libyaml always pairs keys with values; defensive */
            return fail_at(c, k, "key '%s' has no value; expected a value", rules[i].name);
        LOOM_TRY(rules[i].apply(c, v, target));
        k = child(c, v->next);
    }
    return LOOM_OK;
}

/* Sections may be written empty (`job:` with every key commented out) and mean "no settings". */
static loom_status walk_section(pctx *c, const ynode *n, const char *name, const char *where,
                                const key_rule *rules, size_t n_rules, void *target)
{
    if (is_null(n))
        return LOOM_OK;
    if (n->type != NODE_MAPPING) {
        const char *names[MAX_RULES];
        for (size_t j = 0; j < n_rules; j++)
            names[j] = rules[j].name;
        char list[256];
        join_names(names, n_rules, list, sizeof list);
        return fail_at(c, n, "'%s' is %s; expected a mapping with keys from: %s", name, type_desc(n), list);
    }
    const ynode *seen[MAX_RULES];
    return walk_mapping(c, n, where, rules, n_rules, target, seen);
}

/* ---- job ---- */

static const char *const field_names[] = {"babybear", "koalabear"};
static const char *const perm_names[] = {"plonky3", "sp1"};

static loom_status apply_field(pctx *c, const ynode *v, void *target)
{
    loom_config *cfg = target;
    size_t i = 0;
    LOOM_TRY(parse_enum(c, v, "job.field", field_names, ARRAY_LEN(field_names), &i));
    snprintf(cfg->field, sizeof cfg->field, "%s", field_names[i]);
    return LOOM_OK;
}

static loom_status apply_perm(pctx *c, const ynode *v, void *target)
{
    loom_config *cfg = target;
    size_t i = 0;
    LOOM_TRY(parse_enum(c, v, "job.perm", perm_names, ARRAY_LEN(perm_names), &i));
    snprintf(cfg->perm, sizeof cfg->perm, "%s", perm_names[i]);
    return LOOM_OK;
}

static loom_status apply_log_blowup(pctx *c, const ynode *v, void *target)
{
    loom_config *cfg = target;
    return parse_int(c, v, "job.log_blowup", 0, 8, &cfg->log_blowup);
}

static const key_rule job_rules[] = {
    {"field", apply_field},
    {"perm", apply_perm},
    {"log_blowup", apply_log_blowup},
};

static loom_status apply_job(pctx *c, const ynode *v, void *target)
{
    return walk_section(c, v, "job", "in 'job'", job_rules, ARRAY_LEN(job_rules), target);
}

/* ---- cpu ---- */

static loom_status apply_cpu_threads(pctx *c, const ynode *v, void *target)
{
    loom_config *cfg = target;
    return parse_int(c, v, "cpu.threads", 0, 4096, &cfg->cpu_threads);
}

/* Only the spelling is checked here: whether this CPU runs the level is known where the
 * configuration is used (loom_ctx_create), so a file can be checked on another machine. */
static const char *const simd_names[] = {"scalar", "avx2", "avx512", "neon"};

static loom_status apply_cpu_simd(pctx *c, const ynode *v, void *target)
{
    loom_config *cfg = target;
    size_t i = 0;
    LOOM_TRY(parse_enum(c, v, "cpu.simd", simd_names, ARRAY_LEN(simd_names), &i));
    snprintf(cfg->cpu_simd, sizeof cfg->cpu_simd, "%s", simd_names[i]);
    return LOOM_OK;
}

static const key_rule cpu_rules[] = {
    {"threads", apply_cpu_threads},
    {"simd", apply_cpu_simd},
};

static loom_status apply_cpu(pctx *c, const ynode *v, void *target)
{
    return walk_section(c, v, "cpu", "in 'cpu'", cpu_rules, ARRAY_LEN(cpu_rules), target);
}

/* ---- devices ---- */

static const char *const kind_names[] = {"cpu", "gpu", "fpga", "opencl"}; /* loom_device_kind order */

static loom_status apply_dev_id(pctx *c, const ynode *v, void *target)
{
    loom_device_spec *spec = target;
    char path[48], b[64];
    snprintf(path, sizeof path, "devices[%zu].id", c->dev_index);
    const char *expected = "a name matching [a-z][a-z0-9_]* of at most 31 characters";
    if (v->type != NODE_SCALAR || is_null(v))
        return bad_value(c, v, path, expected);
    if (v->len > LOOM_DEVICE_ID_MAX - 1)
        return fail_at(c, v, "device id '%s' is %zu characters long; expected at most %d",
                       shown(v->value, v->len, b), v->len, LOOM_DEVICE_ID_MAX - 1);
    int ok = v->value[0] >= 'a' && v->value[0] <= 'z';
    for (size_t i = 1; ok && i < v->len; i++) {
        char ch = v->value[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
    }
    if (!ok)
        return fail_at(c, v, "invalid device id '%s'; expected %s", shown(v->value, v->len, b), expected);
    for (size_t j = 0; j < c->dev_index; j++)
        if (strcmp(c->cfg->devices[j].id, v->value) == 0)
            return fail_at(c, v, "duplicate device id '%s' (first defined at line %u); expected unique ids",
                           v->value, c->id_line[j]);
    memcpy(spec->id, v->value, v->len + 1);
    c->id_line[c->dev_index] = v->line;
    return LOOM_OK;
}

static loom_status apply_dev_kind(pctx *c, const ynode *v, void *target)
{
    loom_device_spec *spec = target;
    char path[48];
    snprintf(path, sizeof path, "devices[%zu].kind", c->dev_index);
    size_t i = 0;
    LOOM_TRY(parse_enum(c, v, path, kind_names, ARRAY_LEN(kind_names), &i));
    spec->kind = (loom_device_kind)i;
    return LOOM_OK;
}

static loom_status apply_dev_optional(pctx *c, const ynode *v, void *target)
{
    loom_device_spec *spec = target;
    char path[48];
    snprintf(path, sizeof path, "devices[%zu].optional", c->dev_index);
    return parse_bool(c, v, path, &spec->optional);
}

static const char *const backend_names[] = {"cpu", "cuda", "xrt", "fpga_sim", "opencl"};
/* The kind each backend drives, in backend_names order. */
static const loom_device_kind backend_kinds[] = {LOOM_DEVICE_CPU, LOOM_DEVICE_GPU, LOOM_DEVICE_FPGA,
                                                 LOOM_DEVICE_FPGA, LOOM_DEVICE_OPENCL};

#define DEV_PATH(path, key) snprintf(path, sizeof path, "devices[%zu]." key, c->dev_index)

static loom_status apply_dev_backend(pctx *c, const ynode *v, void *target)
{
    loom_device_spec *spec = target;
    char path[48];
    DEV_PATH(path, "backend");
    size_t i = 0;
    LOOM_TRY(parse_enum(c, v, path, backend_names, ARRAY_LEN(backend_names), &i));
    snprintf(spec->backend, sizeof spec->backend, "%s", backend_names[i]);
    return LOOM_OK;
}

static loom_status apply_dev_index(pctx *c, const ynode *v, void *target)
{
    loom_device_spec *spec = target;
    char path[48];
    DEV_PATH(path, "index");
    return parse_int(c, v, path, 0, 1023, &spec->index);
}

/* PCI addresses as lspci / nvidia-smi / xbutil print them: [DDDD:]BB:DD.F, hex digits. */
static loom_status apply_dev_pci(pctx *c, const ynode *v, void *target)
{
    loom_device_spec *spec = target;
    char path[48];
    DEV_PATH(path, "pci");
    const char *expected = "a PCI address such as 0000:1b:00.0 or 1b:00.0";
    if (v->type != NODE_SCALAR || is_null(v) || v->len >= sizeof spec->pci)
        return bad_value(c, v, path, expected);
    unsigned dom = 0, bus, d, fn;
    char tail;
    int ok = sscanf(v->value, "%4x:%2x:%2x.%1x%c", &dom, &bus, &d, &fn, &tail) == 4;
    if (!ok) {
        dom = 0;
        ok = sscanf(v->value, "%2x:%2x.%1x%c", &bus, &d, &fn, &tail) == 3;
    }
    if (!ok || d > 0x1f || fn > 7 || strspn(v->value, "0123456789abcdefABCDEF:.") != v->len)
        return bad_value(c, v, path, expected);
    /* Canonical form, lower case, so that it compares equal to what discovery reports. */
    snprintf(spec->pci, sizeof spec->pci, "%04x:%02x:%02x.%x", dom, bus, d, fn);
    return LOOM_OK;
}

static loom_status apply_dev_threads(pctx *c, const ynode *v, void *target)
{
    loom_device_spec *spec = target;
    char path[48];
    DEV_PATH(path, "threads");
    int t = 0;
    LOOM_TRY(parse_int(c, v, path, 0, 4096, &t));
    spec->threads = (unsigned)t;
    return LOOM_OK;
}

static loom_status apply_dev_memory_limit(pctx *c, const ynode *v, void *target)
{
    loom_device_spec *spec = target;
    char path[48];
    DEV_PATH(path, "memory_limit");
    return parse_bytes(c, v, path, &spec->memory_limit);
}

static loom_status apply_dev_weight(pctx *c, const ynode *v, void *target)
{
    loom_device_spec *spec = target;
    char path[48];
    DEV_PATH(path, "weight");
    LOOM_TRY(parse_double(c, v, path, 0.0, 1000.0, &spec->weight));
    if (spec->weight <= 0.0)
        return bad_value(c, v, path, "a number above 0 and at most 1000 (leave the device out instead of 0)");
    return LOOM_OK;
}

static const char *const stage_names[] = {"lde", "hash", "compress"}; /* loom_stage order */

/* A list of words from `names` (or one word), as a bit mask; duplicates are an error. */
static loom_status parse_word_list(const pctx *c, const ynode *v, const char *path, const char *const *names,
                                   size_t n_names, size_t max, unsigned *mask, size_t *order, size_t *n_order)
{
    char list[128], expected[200];
    join_names(names, n_names, list, sizeof list);
    snprintf(expected, sizeof expected, "a list of: %s", list);
    *mask = 0;
    *n_order = 0;
    if (v->type == NODE_SCALAR && !is_null(v)) { /* one word without brackets */
        size_t i = 0;
        LOOM_TRY(parse_enum(c, v, path, names, n_names, &i));
        *mask = 1u << i;
        order[(*n_order)++] = i;
        return LOOM_OK;
    }
    if (v->type != NODE_SEQUENCE || v->n_children == 0)
        return bad_value(c, v, path, expected);
    for (const ynode *e = child(c, v->first_child); e; e = child(c, e->next)) {
        size_t i = 0;
        LOOM_TRY(parse_enum(c, e, path, names, n_names, &i));
        if (*mask & (1u << i))
            return fail_at(c, e, "%s lists '%s' twice; expected each at most once", path, names[i]);
        if (*n_order == max)
            return fail_at(c, e, "%s has more than %zu entries", path, max);
        *mask |= 1u << i;
        order[(*n_order)++] = i;
    }
    return LOOM_OK;
}

static loom_status apply_dev_stages(pctx *c, const ynode *v, void *target)
{
    loom_device_spec *spec = target;
    char path[48];
    DEV_PATH(path, "stages");
    size_t order[LOOM_STAGE_COUNT], n = 0;
    return parse_word_list(c, v, path, stage_names, ARRAY_LEN(stage_names), LOOM_STAGE_COUNT, &spec->stages,
                           order, &n);
}

#define DEV_STRING_RULE(field)                                                                  \
    static loom_status apply_dev_##field(pctx *c, const ynode *v, void *target)                 \
    {                                                                                           \
        loom_device_spec *spec = target;                                                        \
        char path[48];                                                                          \
        DEV_PATH(path, #field);                                                                 \
        return parse_string(c, v, path, spec->field, sizeof spec->field);                       \
    }
DEV_STRING_RULE(xclbin)
DEV_STRING_RULE(platform)
DEV_STRING_RULE(match)
DEV_STRING_RULE(binary)

enum { DEV_RULE_ID, DEV_RULE_KIND }; /* rows of device_rules that are required */

static const key_rule device_rules[] = {
    [DEV_RULE_ID] = {"id", apply_dev_id},
    [DEV_RULE_KIND] = {"kind", apply_dev_kind},
    {"backend", apply_dev_backend},
    {"index", apply_dev_index},
    {"pci", apply_dev_pci},
    {"optional", apply_dev_optional},
    {"threads", apply_dev_threads},
    {"memory_limit", apply_dev_memory_limit},
    {"weight", apply_dev_weight},
    {"stages", apply_dev_stages},
    {"xclbin", apply_dev_xclbin},
    {"platform", apply_dev_platform},
    {"match", apply_dev_match},
    {"binary", apply_dev_binary},
};

/* Keys that only make sense for some kinds or backends: an error elsewhere, so that a typo'd
 * kind does not silently drop settings. */
static loom_status check_device_entry(pctx *c, const ynode *entry, const loom_device_spec *spec)
{
    const char *kn = loom_device_kind_name(spec->kind);
    if (spec->backend[0]) {
        size_t b = 0;
        while (b < ARRAY_LEN(backend_names) && strcmp(backend_names[b], spec->backend) != 0)
            b++;
        if (backend_kinds[b] != spec->kind)
            return fail_at(c, entry, "device '%s': backend '%s' drives %s devices, but the entry says kind: %s",
                           spec->id, spec->backend, loom_device_kind_name(backend_kinds[b]), kn);
    }
    if (spec->threads && spec->kind != LOOM_DEVICE_CPU)
        return fail_at(c, entry, "device '%s': 'threads' applies to kind: cpu only (this is a %s)", spec->id, kn);
    if (spec->xclbin[0] && !(spec->kind == LOOM_DEVICE_FPGA && strcmp(spec->backend, "fpga_sim") != 0))
        return fail_at(c, entry, "device '%s': 'xclbin' applies to FPGA cards (kind: fpga, backend: xrt) only",
                       spec->id);
    if ((spec->platform[0] || spec->binary[0]) && spec->kind != LOOM_DEVICE_OPENCL)
        return fail_at(c, entry, "device '%s': '%s' applies to kind: opencl only (this is a %s)", spec->id,
                       spec->platform[0] ? "platform" : "binary", kn);
    if (spec->index >= 0 && spec->pci[0])
        return fail_at(c, entry, "device '%s' has both 'index' and 'pci'; expected one way to pick the device",
                       spec->id);
    return LOOM_OK;
}

static loom_status apply_devices(pctx *c, const ynode *v, void *target)
{
    loom_config *cfg = target;
    const char *expected = "'auto' or a list of devices (each with 'id' and 'kind')";
    if (v->type == NODE_SCALAR && scalar_is(v, "auto")) {
        cfg->devices_auto = 1;
        cfg->n_devices = 0;
        return LOOM_OK;
    }
    if (v->type != NODE_SEQUENCE)
        return bad_value(c, v, "devices", expected);
    if (v->n_children == 0)
        return fail_at(c, v, "'devices' is an empty list; expected %s", expected);
    cfg->devices_auto = 0;
    cfg->n_devices = 0;
    size_t i = 0;
    for (const ynode *e = child(c, v->first_child); e; e = child(c, e->next), i++) {
        if (i >= LOOM_CONFIG_MAX_DEVICES)
            return fail_at(c, e, "too many devices (more than %d); expected at most %d entries",
                           LOOM_CONFIG_MAX_DEVICES, LOOM_CONFIG_MAX_DEVICES);
        if (e->type != NODE_MAPPING)
            return fail_at(c, e, "devices[%zu] is %s; expected a mapping with 'id' and 'kind'", i, type_desc(e));
        loom_device_spec *spec = &cfg->devices[i];
        memset(spec, 0, sizeof *spec);
        spec->index = -1;
        spec->line = e->line;
        c->dev_index = i;
        const ynode *seen[ARRAY_LEN(device_rules)];
        LOOM_TRY(walk_mapping(c, e, "in a 'devices' entry", device_rules, ARRAY_LEN(device_rules), spec, seen));
        for (size_t r = 0; r <= DEV_RULE_KIND; r++)
            if (!seen[r])
                return fail_at(c, e, "device entry is missing '%s'; expected both 'id' and 'kind'",
                               device_rules[r].name);
        LOOM_TRY(check_device_entry(c, e, spec));
        cfg->n_devices = i + 1;
    }
    return LOOM_OK;
}

/* ---- scheduler ---- */

static const char *const policy_names[] = {"hybrid", "single"};              /* loom_sched_policy order */
static const char *const partition_names[] = {"dynamic", "equal", "proportional"}; /* loom_partition_kind */
static const char *const multi_gpu_names[] = {"exchange", "chain", "off"};      /* loom_multi_gpu_mode */

const char *loom_multi_gpu_name(loom_multi_gpu_mode m)
{
    return (unsigned)m < ARRAY_LEN(multi_gpu_names) ? multi_gpu_names[m] : "?";
}

static loom_status apply_sched_multi_gpu(pctx *c, const ynode *v, void *target)
{
    loom_sched_config *sc = target;
    size_t i = 0;
    LOOM_TRY(parse_enum(c, v, "scheduler.multi_gpu", multi_gpu_names, ARRAY_LEN(multi_gpu_names), &i));
    sc->multi_gpu = (int)i;
    return LOOM_OK;
}

static loom_status apply_sched_policy(pctx *c, const ynode *v, void *target)
{
    loom_sched_config *sc = target;
    size_t i = 0;
    LOOM_TRY(parse_enum(c, v, "scheduler.policy", policy_names, ARRAY_LEN(policy_names), &i));
    sc->policy = (int)i;
    return LOOM_OK;
}

static loom_status apply_sched_partition(pctx *c, const ynode *v, void *target)
{
    loom_sched_config *sc = target;
    size_t i = 0;
    LOOM_TRY(parse_enum(c, v, "scheduler.partition", partition_names, ARRAY_LEN(partition_names), &i));
    sc->partition = (int)i;
    return LOOM_OK;
}

static loom_status apply_sched_chunk_rows(pctx *c, const ynode *v, void *target)
{
    loom_sched_config *sc = target;
    int r = 0;
    LOOM_TRY(parse_int(c, v, "scheduler.chunk_rows", 0, 1 << 30, &r));
    sc->chunk_rows = r;
    return LOOM_OK;
}

static loom_status apply_sched_threshold(pctx *c, const ynode *v, void *target)
{
    loom_sched_config *sc = target;
    return parse_double(c, v, "scheduler.rebalance_threshold", 0.0, 1.0, &sc->rebalance_threshold);
}

static loom_status apply_sched_hysteresis(pctx *c, const ynode *v, void *target)
{
    loom_sched_config *sc = target;
    return parse_double(c, v, "scheduler.hysteresis", 0.0, 1.0, &sc->hysteresis);
}

static loom_status apply_sched_deadline(pctx *c, const ynode *v, void *target)
{
    loom_sched_config *sc = target;
    return parse_int(c, v, "scheduler.deadline_ms", 0, 86400000, &sc->deadline_ms);
}

static loom_status apply_sched_retries(pctx *c, const ynode *v, void *target)
{
    loom_sched_config *sc = target;
    return parse_int(c, v, "scheduler.retries", 0, 100, &sc->retries);
}

static loom_status apply_sched_backoff(pctx *c, const ynode *v, void *target)
{
    loom_sched_config *sc = target;
    return parse_int(c, v, "scheduler.backoff_ms", 0, 3600000, &sc->backoff_ms);
}

static loom_status apply_sched_max_gpus(pctx *c, const ynode *v, void *target)
{
    loom_sched_config *sc = target;
    return parse_int(c, v, "scheduler.max_gpus", 0, LOOM_CONFIG_MAX_DEVICES, &sc->max_gpus);
}

static loom_status apply_sched_model(pctx *c, const ynode *v, void *target)
{
    loom_sched_config *sc = target;
    return parse_string(c, v, "scheduler.model", sc->model, sizeof sc->model);
}

static loom_status apply_route_stage(pctx *c, const ynode *v, loom_sched_config *sc, loom_stage st)
{
    char path[48];
    snprintf(path, sizeof path, "scheduler.route.%s", loom_stage_name(st));
    size_t order[LOOM_ROUTE_MAX], n = 0;
    unsigned mask = 0;
    LOOM_TRY(parse_word_list(c, v, path, kind_names, ARRAY_LEN(kind_names), LOOM_ROUTE_MAX, &mask, order, &n));
    for (size_t i = 0; i < n; i++)
        sc->route[st][i] = (loom_device_kind)order[i];
    sc->n_route[st] = n;
    return LOOM_OK;
}

static loom_status apply_route_lde(pctx *c, const ynode *v, void *t) { return apply_route_stage(c, v, t, LOOM_STAGE_LDE); }
static loom_status apply_route_hash(pctx *c, const ynode *v, void *t) { return apply_route_stage(c, v, t, LOOM_STAGE_HASH); }
static loom_status apply_route_compress(pctx *c, const ynode *v, void *t)
{
    return apply_route_stage(c, v, t, LOOM_STAGE_COMPRESS);
}

static const key_rule route_rules[] = {
    {"lde", apply_route_lde},
    {"hash", apply_route_hash},
    {"compress", apply_route_compress},
};

static loom_status apply_sched_route(pctx *c, const ynode *v, void *target)
{
    loom_sched_config *sc = target;
    sc->route_line = v->line;
    return walk_section(c, v, "scheduler.route", "in 'scheduler.route'", route_rules, ARRAY_LEN(route_rules), sc);
}

static const key_rule sched_rules[] = {
    {"policy", apply_sched_policy},
    {"partition", apply_sched_partition},
    {"chunk_rows", apply_sched_chunk_rows},
    {"rebalance_threshold", apply_sched_threshold},
    {"hysteresis", apply_sched_hysteresis},
    {"deadline_ms", apply_sched_deadline},
    {"retries", apply_sched_retries},
    {"backoff_ms", apply_sched_backoff},
    {"model", apply_sched_model},
    {"max_gpus", apply_sched_max_gpus},
    {"multi_gpu", apply_sched_multi_gpu},
    {"route", apply_sched_route},
};

static loom_status apply_sched(pctx *c, const ynode *v, void *target)
{
    loom_config *cfg = target;
    LOOM_TRY(walk_section(c, v, "scheduler", "in 'scheduler'", sched_rules, ARRAY_LEN(sched_rules), &cfg->sched));
    const loom_sched_config *sc = &cfg->sched;
    if (sc->rebalance_threshold >= 0 && sc->hysteresis > sc->rebalance_threshold)
        return fail_at(c, v, "scheduler.hysteresis %g is above rebalance_threshold %g; expected hysteresis <= "
                       "threshold (moving stops at threshold - hysteresis)", sc->hysteresis,
                       sc->rebalance_threshold);
    return LOOM_OK;
}

/* ---- top level ---- */

static loom_status apply_version(pctx *c, const ynode *v, void *target)
{
    loom_config *cfg = target;
    long long ver;
    if (!strict_int(v, &ver))
        return bad_value(c, v, "version", "the integer 1");
    if (ver != SUPPORTED_VERSION)
        return fail_at(c, v, "unsupported configuration version %lld; expected %d (the only version this "
                       "build reads)", ver, SUPPORTED_VERSION);
    cfg->version = (int)ver;
    return LOOM_OK;
}

static const key_rule root_rules[] = {
    {"version", apply_version},
    {"job", apply_job},
    {"cpu", apply_cpu},
    {"scheduler", apply_sched},
    {"devices", apply_devices},
};

static loom_status check_root(pctx *c, const ynode *root)
{
    if (!root || is_null(root))
        return loom_fail(LOOM_ERR_CONFIG, "%s: empty configuration; expected a mapping with at least 'version: 1'",
                         c->source);
    if (root->type != NODE_MAPPING)
        return fail_at(c, root, "top level is %s; expected a mapping with at least 'version: 1'",
                       type_desc(root));
    /* The version decides how everything else reads, so judge it before any other key: a file
     * for a newer schema should say "unsupported version", not "unknown key". */
    const ynode *version = NULL;
    for (const ynode *k = child(c, root->first_child); k && !version;) {
        const ynode *v = child(c, k->next);
        if (!v)
            break;
        if (scalar_is(k, "version"))
            version = v;
        k = child(c, v->next);
    }
    if (!version)
        return fail_at(c, root, "missing required key 'version'; expected 'version: 1' at the top level");
    LOOM_TRY(apply_version(c, version, c->cfg));
    const ynode *seen[ARRAY_LEN(root_rules)];
    return walk_mapping(c, root, "at the top level", root_rules, ARRAY_LEN(root_rules), c->cfg, seen);
}

/* ---- public API ---- */

loom_status loom_config_parse(loom_config **out, const char *text, size_t len, const char *source)
{
    if (!out)
        return loom_fail(LOOM_ERR_INVALID_ARG, "loom_config_parse: out is NULL");
    *out = NULL;
    if (!source)
        source = "<config>";
    if (!text && len)
        return loom_fail(LOOM_ERR_INVALID_ARG, "loom_config_parse: text is NULL but len is %zu", len);

    pctx c = {.source = source};
    c.cfg = calloc(1, sizeof *c.cfg);
    if (!c.cfg)
        return loom_fail(LOOM_ERR_NO_MEMORY, "%s: out of memory", source);
    snprintf(c.cfg->source, sizeof c.cfg->source, "%s", source);
    c.cfg->log_blowup = -1;
    c.cfg->cpu_threads = -1;
    c.cfg->devices_auto = 1;
    loom_sched_config *sc = &c.cfg->sched;
    sc->policy = sc->partition = sc->deadline_ms = sc->retries = sc->backoff_ms = sc->max_gpus = sc->multi_gpu = -1;
    sc->chunk_rows = -1;
    sc->rebalance_threshold = sc->hysteresis = -1.0;

    size_t root1 = 0;
    loom_status st = build_tree(&c, text ? text : "", len, &root1);
    if (st == LOOM_OK)
        st = check_root(&c, child(&c, root1));
    free_tree(&c);
    if (st != LOOM_OK) {
        free(c.cfg);
        return st;
    }
    *out = c.cfg;
    return LOOM_OK;
}

loom_status loom_config_load(loom_config **out, const char *path)
{
    if (!out)
        return loom_fail(LOOM_ERR_INVALID_ARG, "loom_config_load: out is NULL");
    *out = NULL;
    if (!path)
        return loom_fail(LOOM_ERR_INVALID_ARG, "loom_config_load: path is NULL");
    FILE *f = fopen(path, "rb");
    if (!f)
        return loom_fail(LOOM_ERR_IO, "cannot read config '%s': %s", path, strerror(errno));

    /* Read in chunks rather than trusting the file size, so pipes and /dev/stdin work too; one
     * byte past the limit is enough to know the file is too big. */
    char *buf = NULL;
    size_t n = 0, cap = 0;
    loom_status st = LOOM_OK;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            if (ncap > MAX_FILE_BYTES + 1)
                ncap = MAX_FILE_BYTES + 1;
            char *p = realloc(buf, ncap);
            if (!p) {
                st = loom_fail(LOOM_ERR_NO_MEMORY, "cannot read config '%s': out of memory", path);
                break;
            }
            buf = p;
            cap = ncap;
        }
        errno = 0;
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > MAX_FILE_BYTES) {
            st = loom_fail(LOOM_ERR_CONFIG, "%s: file is larger than %u bytes (1 MiB); expected a small YAML "
                           "configuration", path, MAX_FILE_BYTES);
            break;
        }
        if (got == 0 || n < cap) {
            if (ferror(f)) {
                int err = errno;
                st = loom_fail(LOOM_ERR_IO, "cannot read config '%s': %s", path,
                               err ? strerror(err) : "read error");
                break;
            }
            if (feof(f))
                break;
        }
    }
    fclose(f);
    if (st == LOOM_OK)
        st = loom_config_parse(out, buf, n, path);
    free(buf);
    return st;
}

loom_status loom_config_load_default(loom_config **out)
{
    return loom_config_parse(out, loom_default_config_yaml, loom_default_config_yaml_len, "<embedded default>");
}

const char *loom_config_default_text(void) { return loom_default_config_yaml; }

void loom_config_free(loom_config *cfg) { free(cfg); }
