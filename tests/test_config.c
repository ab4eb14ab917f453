/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the YAML configuration parser: the schema, every error with its position, loading. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* opendir, mkstemp, unlink */
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loom/config.h"

#ifndef LOOM_CONFIGS_DIR
#define LOOM_CONFIGS_DIR "configs"
#endif

/* ---- helpers ---- */

static loom_config *parse_ok(const char *text)
{
    loom_config *cfg = NULL;
    loom_status st = loom_config_parse(&cfg, text, strlen(text), "t.yaml");
    if (st != LOOM_OK)
        fail_msg("expected success, got %s: %s\n--- input ---\n%s", loom_status_name(st), loom_last_error(), text);
    assert_non_null(cfg);
    return cfg;
}

/* Parses `text` (as source "t.yaml"), expects LOOM_ERR_CONFIG, and checks that the message holds
 * every NULL-terminated fragment. */
static void expect_error(const char *text, ...)
{
    loom_config *cfg = (loom_config *)0x1;
    loom_clear_error();
    loom_status st = loom_config_parse(&cfg, text, strlen(text), "t.yaml");
    if (st != LOOM_ERR_CONFIG)
        fail_msg("expected LOOM_ERR_CONFIG, got %s (%s)\n--- input ---\n%s", loom_status_name(st),
                 loom_last_error(), text);
    assert_null(cfg);
    const char *msg = loom_last_error();
    va_list ap;
    va_start(ap, text);
    for (const char *want; (want = va_arg(ap, const char *)) != NULL;) {
        if (!strstr(msg, want)) {
            va_end(ap);
            fail_msg("error message\n  %s\nlacks\n  %s\n--- input ---\n%s", msg, want, text);
        }
    }
    va_end(ap);
}

#define EXPECT_ERROR(text, ...) expect_error((text), __VA_ARGS__, (const char *)NULL)

/* ---- valid input ---- */

static void test_default_parses(void **state)
{
    (void)state;
    loom_config *cfg = NULL;
    assert_int_equal(loom_config_load_default(&cfg), LOOM_OK);
    assert_int_equal(cfg->version, 1);
    assert_string_equal(cfg->field, "babybear");
    assert_string_equal(cfg->perm, "plonky3");
    assert_int_equal(cfg->log_blowup, 1);
    assert_int_equal(cfg->cpu_threads, -1);
    assert_int_equal(cfg->devices_auto, 1);
    assert_int_equal(cfg->n_devices, 0);
    assert_string_equal(cfg->source, "<embedded default>");
    loom_config_free(cfg);

    const char *text = loom_config_default_text();
    assert_non_null(text);
    assert_non_null(strstr(text, "version: 1"));
}

static void test_minimal_leaves_unset(void **state)
{
    (void)state;
    loom_config *cfg = parse_ok("version: 1\n");
    assert_int_equal(cfg->version, 1);
    assert_string_equal(cfg->field, "");
    assert_string_equal(cfg->perm, "");
    assert_int_equal(cfg->log_blowup, -1);
    assert_int_equal(cfg->cpu_threads, -1);
    assert_int_equal(cfg->devices_auto, 1); /* no devices key means auto */
    assert_int_equal(cfg->n_devices, 0);
    assert_string_equal(cfg->source, "t.yaml");
    loom_config_free(cfg);

    /* sections with every key commented out are empty, not errors */
    cfg = parse_ok("version: 1\njob:\n  # field: babybear\ncpu: ~\n");
    assert_string_equal(cfg->field, "");
    assert_int_equal(cfg->cpu_threads, -1);
    loom_config_free(cfg);
}

static void test_full_valid(void **state)
{
    (void)state;
    const char *text = "# a full file\n"                /* 1 */
                       "version: 1\n"                   /* 2 */
                       "job:\n"                         /* 3 */
                       "  field: koalabear\n"           /* 4 */
                       "  perm: sp1\n"                  /* 5 */
                       "  log_blowup: 8\n"              /* 6 */
                       "cpu:\n"                         /* 7 */
                       "  threads: 4096\n"              /* 8 */
                       "devices:\n"                     /* 9 */
                       "  - id: cpu0\n"                 /* 10 */
                       "    kind: cpu\n"                /* 11 */
                       "  - id: gpu0\n"                 /* 12 */
                       "    kind: gpu\n"                /* 13 */
                       "    optional: true\n"           /* 14 */
                       "  - kind: fpga\n"               /* 15 */
                       "    id: u55c_0\n"               /* 16 */
                       "    optional: no\n"             /* 17 */
                       "  - {id: ocl, kind: opencl, optional: YES}\n"; /* 18 */
    loom_config *cfg = parse_ok(text);
    assert_string_equal(cfg->field, "koalabear");
    assert_string_equal(cfg->perm, "sp1");
    assert_int_equal(cfg->log_blowup, 8);
    assert_int_equal(cfg->cpu_threads, 4096);
    assert_int_equal(cfg->devices_auto, 0);
    assert_int_equal(cfg->n_devices, 4);

    assert_string_equal(cfg->devices[0].id, "cpu0");
    assert_int_equal(cfg->devices[0].kind, LOOM_DEVICE_CPU);
    assert_int_equal(cfg->devices[0].optional, 0);
    assert_int_equal(cfg->devices[0].line, 10);

    assert_string_equal(cfg->devices[1].id, "gpu0");
    assert_int_equal(cfg->devices[1].kind, LOOM_DEVICE_GPU);
    assert_int_equal(cfg->devices[1].optional, 1);
    assert_int_equal(cfg->devices[1].line, 12);

    assert_string_equal(cfg->devices[2].id, "u55c_0");
    assert_int_equal(cfg->devices[2].kind, LOOM_DEVICE_FPGA);
    assert_int_equal(cfg->devices[2].optional, 0);
    assert_int_equal(cfg->devices[2].line, 15);

    assert_string_equal(cfg->devices[3].id, "ocl");
    assert_int_equal(cfg->devices[3].kind, LOOM_DEVICE_OPENCL);
    assert_int_equal(cfg->devices[3].optional, 1);
    assert_int_equal(cfg->devices[3].line, 18);
    loom_config_free(cfg);
}

static void test_flow_style_and_limits(void **state)
{
    (void)state;
    loom_config *cfg = parse_ok("{version: 1, cpu: {threads: 0}, job: {log_blowup: 0, field: 'babybear'},"
                                " devices: [{id: a, kind: cpu}]}");
    assert_int_equal(cfg->cpu_threads, 0);
    assert_int_equal(cfg->log_blowup, 0);
    assert_string_equal(cfg->field, "babybear"); /* strings may be quoted */
    assert_int_equal(cfg->n_devices, 1);
    assert_string_equal(cfg->devices[0].id, "a");
    loom_config_free(cfg);

    /* an id of exactly 31 characters is fine; `devices: "auto"` is auto */
    cfg = parse_ok("version: 1\ndevices:\n  - id: abcdefghijklmnopqrstuvwxyz01234\n    kind: gpu\n");
    assert_string_equal(cfg->devices[0].id, "abcdefghijklmnopqrstuvwxyz01234");
    loom_config_free(cfg);
    cfg = parse_ok("version: 1\ndevices: \"auto\"\n");
    assert_int_equal(cfg->devices_auto, 1);
    loom_config_free(cfg);
}

static void test_max_devices(void **state)
{
    (void)state;
    /* 64 devices parse; a 65th is refused at its own line */
    char *text = malloc(8192);
    assert_non_null(text);
    size_t o = (size_t)sprintf(text, "version: 1\ndevices:\n");
    for (int i = 0; i < LOOM_CONFIG_MAX_DEVICES; i++)
        o += (size_t)sprintf(text + o, "  - {id: d%d, kind: gpu}\n", i);
    loom_config *cfg = parse_ok(text);
    assert_int_equal(cfg->n_devices, LOOM_CONFIG_MAX_DEVICES);
    assert_string_equal(cfg->devices[63].id, "d63");
    assert_int_equal(cfg->devices[63].line, 66);
    loom_config_free(cfg);

    sprintf(text + o, "  - {id: d64, kind: gpu}\n");
    EXPECT_ERROR(text, "t.yaml:67:5: ", "too many devices", "at most 64");
    free(text);
}

static void test_device_kind_name(void **state)
{
    (void)state;
    assert_string_equal(loom_device_kind_name(LOOM_DEVICE_CPU), "cpu");
    assert_string_equal(loom_device_kind_name(LOOM_DEVICE_GPU), "gpu");
    assert_string_equal(loom_device_kind_name(LOOM_DEVICE_FPGA), "fpga");
    assert_string_equal(loom_device_kind_name(LOOM_DEVICE_OPENCL), "opencl");
    assert_string_equal(loom_device_kind_name((loom_device_kind)42), "unknown");
}

/* ---- errors ---- */

static void test_syntax_error(void **state)
{
    (void)state;
    EXPECT_ERROR("version: 1\njob:\n  field: a: b\n",
                 "t.yaml:3:11: YAML syntax error: mapping values are not allowed in this context");
    EXPECT_ERROR("version: 1\njob: [babybear\n", "t.yaml:3:1: YAML syntax error: ", "flow sequence");
    EXPECT_ERROR("version: 1\n\tjob: {}\n", "t.yaml:2:1: YAML syntax error: ", "tab");
    EXPECT_ERROR("version: 1\nfield: 'unterminated\n", "t.yaml:3:1: YAML syntax error: ", "quoted scalar");
}

static void test_invalid_text(void **state)
{
    (void)state;
    EXPECT_ERROR("version: 1\njob:\n  field: \xff\xfe\n", "t.yaml:3:10: invalid text: ", "UTF-8");
    EXPECT_ERROR("version: 1\x01\n", "t.yaml:1:11: invalid text: control characters");
    /* an embedded NUL byte is part of `len`, not the end of the text */
    loom_config *cfg = NULL;
    assert_int_equal(loom_config_parse(&cfg, "version: 1\n\0junk", 17, "t.yaml"), LOOM_ERR_CONFIG);
    assert_null(cfg);
    assert_non_null(strstr(loom_last_error(), "t.yaml:2:1: invalid text"));
}

static void test_empty(void **state)
{
    (void)state;
    const char *want = "t.yaml: empty configuration; expected a mapping with at least 'version: 1'";
    EXPECT_ERROR("", want);
    EXPECT_ERROR("# only a comment\n\n", want);
    EXPECT_ERROR("---\n", want);
    EXPECT_ERROR("~\n", want);
    loom_config *cfg = NULL;
    assert_int_equal(loom_config_parse(&cfg, NULL, 0, "t.yaml"), LOOM_ERR_CONFIG);
    assert_non_null(strstr(loom_last_error(), want));
}

static void test_top_level_not_mapping(void **state)
{
    (void)state;
    EXPECT_ERROR("- version\n- 1\n", "t.yaml:1:1: top level is a sequence; expected a mapping",
                 "'version: 1'");
    EXPECT_ERROR("\nversion 1\n", "t.yaml:2:1: top level is a scalar; expected a mapping");
}

static void test_version(void **state)
{
    (void)state;
    EXPECT_ERROR("# c\njob:\n  field: babybear\n", "t.yaml:2:1: missing required key 'version'",
                 "expected 'version: 1'");
    EXPECT_ERROR("{}", "t.yaml:1:1: missing required key 'version'");
    EXPECT_ERROR("version: 2\n", "t.yaml:1:10: unsupported configuration version 2; expected 1");
    /* the version is judged before the keys a newer schema might add */
    EXPECT_ERROR("routing: x\nversion: 2\n", "t.yaml:2:10: unsupported configuration version 2");
    EXPECT_ERROR("version: one\n", "t.yaml:1:10: invalid version 'one'; expected the integer 1");
    EXPECT_ERROR("version: \"1\"\n", "t.yaml:1:10: invalid version '1' (a quoted string)", "integer 1");
    EXPECT_ERROR("version: 1.0\n", "t.yaml:1:10: invalid version '1.0'");
    EXPECT_ERROR("version:\n", "t.yaml:1:9: version is empty; expected the integer 1");
    EXPECT_ERROR("version: [1]\n", "t.yaml:1:10: version is a sequence; expected the integer 1");
}

static void test_unknown_keys(void **state)
{
    (void)state;
    EXPECT_ERROR("version: 1\njob:\n  feild: babybear\n",
                 "t.yaml:3:3: unknown key 'feild' in 'job'; expected one of: field, perm, log_blowup");
    EXPECT_ERROR("version: 1\nverbose: true\n",
                 "t.yaml:2:1: unknown key 'verbose' at the top level; expected one of: version, job, cpu, scheduler, devices");
    EXPECT_ERROR("version: 1\ncpu:\n  thread: 4\n", "t.yaml:3:3: unknown key 'thread' in 'cpu'; expected one of: threads");
    EXPECT_ERROR("version: 1\ndevices:\n  - id: gpu0\n    kind: gpu\n    memory: 80\n",
                 "t.yaml:5:5: unknown key 'memory' in a 'devices' entry; expected one of: id, kind, backend, index, pci, optional, threads, memory_limit");
    EXPECT_ERROR("version: 1\n[a, b]: c\n", "t.yaml:2:1: a sequence used as a key at the top level");
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    EXPECT_ERROR("version: 1\njob:\n  field: babybear\n  field: koalabear\n",
                 "t.yaml:4:3: duplicate key 'field' in 'job' (first defined at line 3)");
    EXPECT_ERROR("version: 1\nversion: 1\n", "t.yaml:2:1: duplicate key 'version' at the top level (first defined at line 1)");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: cpu, kind: gpu}\n",
                 "t.yaml:3:24: duplicate key 'kind' in a 'devices' entry (first defined at line 3)");
}

static void test_wrong_types(void **state)
{
    (void)state;
    EXPECT_ERROR("version: 1\njob:\n  field: [babybear]\n",
                 "t.yaml:3:10: job.field is a sequence; expected one of: babybear, koalabear");
    EXPECT_ERROR("version: 1\njob:\n  perm: {a: 1}\n", "t.yaml:3:9: job.perm is a mapping; expected one of: plonky3, sp1");
    EXPECT_ERROR("version: 1\njob: babybear\n",
                 "t.yaml:2:6: 'job' is a scalar; expected a mapping with keys from: field, perm, log_blowup");
    EXPECT_ERROR("version: 1\ncpu:\n  - threads: 2\n", "t.yaml:3:3: 'cpu' is a sequence; expected a mapping");
    EXPECT_ERROR("version: 1\njob:\n  field:\n", "t.yaml:3:9: job.field is empty; expected one of");
}

static void test_field_and_perm(void **state)
{
    (void)state;
    EXPECT_ERROR("version: 1\njob:\n  field: goldilocks\n",
                 "t.yaml:3:10: invalid job.field 'goldilocks'; expected one of: babybear, koalabear");
    EXPECT_ERROR("version: 1\njob:\n  field: BabyBear\n", "t.yaml:3:10: invalid job.field 'BabyBear'");
    EXPECT_ERROR("version: 1\njob:\n  perm: poseidon\n",
                 "t.yaml:3:9: invalid job.perm 'poseidon'; expected one of: plonky3, sp1");
}

static void test_log_blowup(void **state)
{
    (void)state;
    static const char *const bad[] = {"9", "-1", "1x", "1.0", "01", "0x1", "+1", "1_0", "99999999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128], want[96];
        snprintf(text, sizeof text, "version: 1\njob:\n  log_blowup: %s\n", bad[i]);
        snprintf(want, sizeof want, "t.yaml:3:15: invalid job.log_blowup '%s'", bad[i]);
        EXPECT_ERROR(text, want, "expected an integer 0..8");
    }
    EXPECT_ERROR("version: 1\njob:\n  log_blowup: '1'\n", "t.yaml:3:15: invalid job.log_blowup '1' (a quoted string)");
    EXPECT_ERROR("version: 1\njob:\n  log_blowup: ~\n", "t.yaml:3:15: job.log_blowup is empty; expected an integer 0..8");
}

static void test_cpu_threads(void **state)
{
    (void)state;
    EXPECT_ERROR("version: 1\ncpu:\n  threads: 4097\n",
                 "t.yaml:3:12: invalid cpu.threads '4097'; expected an integer 0..4096");
    EXPECT_ERROR("version: 1\ncpu:\n  threads: -1\n", "t.yaml:3:12: invalid cpu.threads '-1'");
    EXPECT_ERROR("version: 1\ncpu:\n  threads: all\n", "t.yaml:3:12: invalid cpu.threads 'all'");
    EXPECT_ERROR("version: 1\ncpu:\n  threads: 18446744073709551617\n",
                 "t.yaml:3:12: invalid cpu.threads '18446744073709551617'; expected an integer 0..4096");
    EXPECT_ERROR("version: 1\ncpu:\n  threads: 8 cores\n", "t.yaml:3:12: invalid cpu.threads '8 cores'");
}

static void test_devices_value(void **state)
{
    (void)state;
    const char *exp = "expected 'auto' or a list of devices";
    EXPECT_ERROR("version: 1\ndevices: all\n", "t.yaml:2:10: invalid devices 'all'", exp);
    EXPECT_ERROR("version: 1\ndevices: {id: cpu0, kind: cpu}\n", "t.yaml:2:10: devices is a mapping", exp);
    EXPECT_ERROR("version: 1\ndevices: []\n", "t.yaml:2:10: 'devices' is an empty list", exp);
    EXPECT_ERROR("version: 1\ndevices:\n", "t.yaml:2:9: devices is empty", exp);
    EXPECT_ERROR("version: 1\ndevices:\n  - cpu0\n",
                 "t.yaml:3:5: devices[0] is a scalar; expected a mapping with 'id' and 'kind'");
}

static void test_device_entries(void **state)
{
    (void)state;
    EXPECT_ERROR("version: 1\ndevices:\n  - id: cpu0\n    kind: cpu\n  - kind: gpu\n    optional: true\n",
                 "t.yaml:5:5: device entry is missing 'id'; expected both 'id' and 'kind'");
    EXPECT_ERROR("version: 1\ndevices:\n  - id: gpu0\n", "t.yaml:3:5: device entry is missing 'kind'");
    EXPECT_ERROR("version: 1\ndevices:\n  - id: GPU0\n    kind: gpu\n",
                 "t.yaml:3:9: invalid device id 'GPU0'; expected a name matching [a-z][a-z0-9_]*");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: 0gpu, kind: gpu}\n", "t.yaml:3:10: invalid device id '0gpu'");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: gpu-0, kind: gpu}\n", "t.yaml:3:10: invalid device id 'gpu-0'");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: \"\", kind: gpu}\n", "t.yaml:3:10: invalid device id ''");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: [a], kind: gpu}\n", "t.yaml:3:10: devices[0].id is a sequence");
    EXPECT_ERROR("version: 1\ndevices:\n  - id: abcdefghijklmnopqrstuvwxyz012345\n    kind: gpu\n",
                 "t.yaml:3:9: device id 'abcdefghijklmnopqrstuvwxyz012345' is 32 characters long; expected at most 31");
    EXPECT_ERROR("version: 1\ndevices:\n  - id: cpu0\n    kind: cpu\n  - id: tpu0\n    kind: tpu\n",
                 "t.yaml:6:11: invalid devices[1].kind 'tpu'; expected one of: cpu, gpu, fpga, opencl");
}

static void test_device_optional(void **state)
{
    (void)state;
    static const char *const bad[] = {"maybe", "1", "on", "off", "y", "'true'"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "version: 1\ndevices:\n  - id: gpu0\n    kind: gpu\n    optional: %s\n", bad[i]);
        EXPECT_ERROR(text, "t.yaml:5:15: invalid devices[0].optional", "expected a boolean: true, false, yes or no");
    }
}

static void test_duplicate_device_id(void **state)
{
    (void)state;
    EXPECT_ERROR("version: 1\n"
                 "devices:\n"
                 "  - id: cpu0\n"
                 "    kind: cpu\n"
                 "  - kind: gpu\n"
                 "    optional: true\n"
                 "    id: gpu0\n"
                 "  - id: gpu0\n"
                 "    kind: gpu\n",
                 "t.yaml:8:9: duplicate device id 'gpu0' (first defined at line 7)");
}

static void test_yaml_features_refused(void **state)
{
    (void)state;
    EXPECT_ERROR("version: 1\njob:\n  field: &f babybear\n  perm: *f\n",
                 "t.yaml:4:9: alias '*f' is not supported; expected the value written out in full");
    EXPECT_ERROR("version: !!int 1\n", "t.yaml:1:10: YAML tag 'tag:yaml.org,2002:int' is not supported");
    EXPECT_ERROR("version: 1\n---\nversion: 1\n", "t.yaml:2:1: a second YAML document; expected exactly one");
    /* a self-referencing anchor must not loop */
    EXPECT_ERROR("version: 1\ndevices: &d [*d]\n", "t.yaml:2:14: alias '*d' is not supported");
}

static void test_deep_nesting(void **state)
{
    (void)state;
    size_t depth = 100000;
    char *text = malloc(2 * depth + 32);
    assert_non_null(text);
    size_t o = (size_t)sprintf(text, "version: 1\nx: ");
    memset(text + o, '[', depth);
    memset(text + o + depth, ']', depth);
    text[o + 2 * depth] = '\0';
    EXPECT_ERROR(text, "t.yaml:2:", "nesting deeper than");
    /* block style too */
    o = (size_t)sprintf(text, "version: 1\n");
    for (int i = 0; i < 40; i++)
        o += (size_t)sprintf(text + o, "%*sk:\n", i, "");
    EXPECT_ERROR(text, "nesting deeper than");
    free(text);
}

/* Every prefix of a valid file, and some junk, must give either success or a positioned
 * LOOM_ERR_CONFIG, never a crash (run under valgrind or ASan to make this bite). */
static void test_truncation_and_junk(void **state)
{
    (void)state;
    const char *full = "version: 1\njob:\n  field: babybear\n  perm: 'sp1'\n  log_blowup: 2\ncpu: {threads: 4}\n"
                       "devices:\n  - id: cpu0\n    kind: cpu\n  - {id: g, kind: \"gpu\", optional: yes}\n";
    size_t n = strlen(full);
    for (size_t len = 0; len <= n; len++) {
        loom_config *cfg = NULL;
        loom_status st = loom_config_parse(&cfg, full, len, "t.yaml");
        if (st == LOOM_OK) {
            assert_non_null(cfg);
            assert_int_equal(cfg->version, 1);
            loom_config_free(cfg);
        } else {
            assert_int_equal(st, LOOM_ERR_CONFIG);
            assert_null(cfg);
            assert_memory_equal(loom_last_error(), "t.yaml:", 7);
        }
    }
    unsigned seed = 12345;
    char junk[512];
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)(round % (int)sizeof junk);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            /* half the rounds draw from YAML's punctuation to get past the reader */
            junk[i] = round & 1 ? (char)(seed >> 16) : "ab1 :-[]{},&*!|>'\"#?\n\n  \t%@`"[(seed >> 16) % 28];
        }
        loom_config *cfg = NULL;
        loom_status st = loom_config_parse(&cfg, junk, len, "t.yaml");
        assert_true(st == LOOM_OK || st == LOOM_ERR_CONFIG);
        if (st == LOOM_OK)
            loom_config_free(cfg);
        else
            assert_null(cfg);
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    assert_int_equal(loom_config_parse(NULL, "version: 1\n", 11, "t.yaml"), LOOM_ERR_INVALID_ARG);
    loom_config *cfg = NULL;
    assert_int_equal(loom_config_parse(&cfg, NULL, 5, "t.yaml"), LOOM_ERR_INVALID_ARG);
    assert_null(cfg);
    assert_int_equal(loom_config_load(&cfg, NULL), LOOM_ERR_INVALID_ARG);
    /* a NULL source still gives a usable message */
    assert_int_equal(loom_config_parse(&cfg, "version: 3\n", 11, NULL), LOOM_ERR_CONFIG);
    assert_non_null(strstr(loom_last_error(), ":1:10: unsupported configuration version 3"));
    loom_config_free(NULL);
}

/* ---- files ---- */

static void test_load_missing_file(void **state)
{
    (void)state;
    loom_config *cfg = (loom_config *)0x1;
    assert_int_equal(loom_config_load(&cfg, "/nonexistent/loom.yaml"), LOOM_ERR_IO);
    assert_null(cfg);
    assert_non_null(strstr(loom_last_error(), "cannot read config '/nonexistent/loom.yaml': No such file"));
    assert_int_equal(loom_config_load(&cfg, "/"), LOOM_ERR_IO); /* a directory */
    assert_non_null(strstr(loom_last_error(), "cannot read config '/'"));
}

static char *write_temp(const char *text, size_t len)
{
    char *path = strdup("/tmp/loom_test_config_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void test_load_file(void **state)
{
    (void)state;
    const char *text = "version: 1\njob:\n  field: koalabear\n  log_blowup: 3\n";
    char *path = write_temp(text, strlen(text));
    loom_config *cfg = NULL;
    assert_int_equal(loom_config_load(&cfg, path), LOOM_OK);
    assert_string_equal(cfg->field, "koalabear");
    assert_int_equal(cfg->log_blowup, 3);
    assert_string_equal(cfg->source, path);
    loom_config_free(cfg);
    unlink(path);
    free(path);

    /* messages name the file */
    text = "version: 1\njob:\n  feild: x\n";
    path = write_temp(text, strlen(text));
    assert_int_equal(loom_config_load(&cfg, path), LOOM_ERR_CONFIG);
    char want[96];
    snprintf(want, sizeof want, "%s:3:3: unknown key 'feild'", path);
    assert_non_null(strstr(loom_last_error(), want));
    unlink(path);
    free(path);

    /* more than 1 MiB is refused before parsing (this one is valid YAML, all comments) */
    size_t big = (1u << 20) + 100;
    char *buf = malloc(big);
    assert_non_null(buf);
    memset(buf, '#', big);
    for (size_t i = 79; i < big; i += 80)
        buf[i] = '\n';
    memcpy(buf, "version: 1\n", 11);
    path = write_temp(buf, big);
    free(buf);
    assert_int_equal(loom_config_load(&cfg, path), LOOM_ERR_CONFIG);
    assert_null(cfg);
    assert_non_null(strstr(loom_last_error(), "larger than"));
    assert_non_null(strstr(loom_last_error(), "1 MiB"));
    unlink(path);
    free(path);
}

/* ---- schema: device selection keys and the scheduler section ---- */

static void test_device_selection_keys(void **state)
{
    (void)state;
    loom_config *cfg = parse_ok("version: 1\n"
                                "devices:\n"
                                "  - {id: big, kind: cpu, threads: 2, weight: 2.5, stages: [hash, compress]}\n"
                                "  - {id: g1, kind: gpu, backend: cuda, index: 1, memory_limit: 8GiB}\n"
                                "  - {id: g2, kind: gpu, pci: \"1B:00.0\", memory_limit: 512M, optional: true}\n"
                                "  - {id: f, kind: fpga, backend: xrt, xclbin: k.xclbin, pci: 0000:af:00.1}\n"
                                "  - {id: s, kind: fpga, backend: fpga_sim, stages: hash}\n"
                                "  - {id: c, kind: opencl, platform: Portable, match: cpu, binary: p.bin}\n");
    assert_int_equal(cfg->n_devices, 6);
    const loom_device_spec *d = cfg->devices;
    assert_int_equal(d[0].threads, 2);
    assert_true(d[0].weight == 2.5);
    assert_int_equal(d[0].stages, (1u << LOOM_STAGE_HASH) | (1u << LOOM_STAGE_COMPRESS));
    assert_int_equal(d[0].index, -1);
    assert_string_equal(d[1].backend, "cuda");
    assert_int_equal(d[1].index, 1);
    assert_true(d[1].memory_limit == 8ull << 30);
    assert_string_equal(d[2].pci, "0000:1b:00.0");
    assert_true(d[2].memory_limit == 512ull << 20);
    assert_string_equal(d[3].xclbin, "k.xclbin");
    assert_string_equal(d[3].pci, "0000:af:00.1");
    assert_int_equal(d[4].stages, 1u << LOOM_STAGE_HASH);
    assert_string_equal(d[5].platform, "Portable");
    assert_string_equal(d[5].match, "cpu");
    assert_string_equal(d[5].binary, "p.bin");
    assert_true(d[5].weight == 0.0);
    assert_true(d[5].memory_limit == 0);
    loom_config_free(cfg);
}

static void test_device_selection_errors(void **state)
{
    (void)state;
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: gpu, backend: xrt}\n", "t.yaml:3:5:",
                 "backend 'xrt' drives fpga devices", "kind: gpu");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: gpu, backend: rocm}\n", "t.yaml:3:33:",
                 "devices[0].backend 'rocm'", "cpu, cuda, xrt, fpga_sim, opencl");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: gpu, index: 1, pci: 1b:00.0}\n",
                 "both 'index' and 'pci'");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: gpu, pci: 1b:00}\n", "t.yaml:3:29:",
                 "devices[0].pci '1b:00'", "a PCI address");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: gpu, threads: 4}\n", "'threads' applies to kind: cpu");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: gpu, memory_limit: 8 GB}\n", "t.yaml:3:38:",
                 "devices[0].memory_limit '8 GB'", "a byte count");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: gpu, memory_limit: 8XB}\n", "memory_limit '8XB'");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: gpu, memory_limit: 99999999999T}\n", "memory_limit");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: cpu, weight: 0}\n", "devices[0].weight '0'",
                 "above 0");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: cpu, weight: nan}\n", "devices[0].weight 'nan'");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: cpu, stages: [hash, hash]}\n", "lists 'hash' twice");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: cpu, stages: [ntt]}\n", "devices[0].stages 'ntt'",
                 "lde, hash, compress");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: cpu, stages: []}\n", "devices[0].stages");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: gpu, xclbin: k.xclbin}\n", "'xclbin' applies to FPGA");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: fpga, backend: fpga_sim, xclbin: k}\n",
                 "'xclbin' applies to FPGA");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: cpu, binary: p.bin}\n", "'binary' applies to kind: opencl");
    EXPECT_ERROR("version: 1\ndevices:\n  - {id: a, kind: opencl, binary: \"\"}\n", "devices[0].binary",
                 "non-empty string");
}

static void test_scheduler_section(void **state)
{
    (void)state;
    loom_config *cfg = parse_ok("version: 1\n");
    assert_int_equal(cfg->sched.policy, -1);
    assert_int_equal(cfg->sched.partition, -1);
    assert_true(cfg->sched.chunk_rows == -1);
    assert_true(cfg->sched.rebalance_threshold < 0);
    assert_int_equal(cfg->sched.n_route[LOOM_STAGE_HASH], 0);
    loom_config_free(cfg);

    cfg = parse_ok("version: 1\n"
                   "scheduler:\n"
                   "  policy: single\n"
                   "  partition: proportional\n"
                   "  chunk_rows: 4096\n"
                   "  rebalance_threshold: 0.3\n"
                   "  hysteresis: 0.05\n"
                   "  deadline_ms: 2000\n"
                   "  retries: 2\n"
                   "  backoff_ms: 50\n"
                   "  max_gpus: 4\n"
                   "  multi_gpu: chain\n"
                   "  model: m.yaml\n"
                   "  route:\n"
                   "    lde: [gpu, cpu]\n"
                   "    hash: [fpga, gpu, opencl, cpu]\n"
                   "    compress: cpu\n");
    const loom_sched_config *sc = &cfg->sched;
    assert_int_equal(sc->policy, LOOM_POLICY_SINGLE);
    assert_int_equal(sc->partition, LOOM_PARTITION_PROPORTIONAL);
    assert_true(sc->chunk_rows == 4096);
    assert_true(sc->rebalance_threshold == 0.3 && sc->hysteresis == 0.05);
    assert_int_equal(sc->deadline_ms, 2000);
    assert_int_equal(sc->retries, 2);
    assert_int_equal(sc->backoff_ms, 50);
    assert_int_equal(sc->max_gpus, 4);
    assert_int_equal(sc->multi_gpu, LOOM_MULTI_GPU_CHAIN);
    assert_string_equal(sc->model, "m.yaml");
    assert_int_equal(sc->route_line, 15);
    assert_int_equal(sc->n_route[LOOM_STAGE_LDE], 2);
    assert_int_equal(sc->route[LOOM_STAGE_LDE][0], LOOM_DEVICE_GPU);
    assert_int_equal(sc->route[LOOM_STAGE_LDE][1], LOOM_DEVICE_CPU);
    assert_int_equal(sc->n_route[LOOM_STAGE_HASH], 4);
    assert_int_equal(sc->route[LOOM_STAGE_HASH][0], LOOM_DEVICE_FPGA);
    assert_int_equal(sc->n_route[LOOM_STAGE_COMPRESS], 1);
    assert_int_equal(sc->route[LOOM_STAGE_COMPRESS][0], LOOM_DEVICE_CPU);
    loom_config_free(cfg);

    EXPECT_ERROR("version: 1\nscheduler:\n  partition: greedy\n", "t.yaml:3:14:", "scheduler.partition 'greedy'",
                 "dynamic, equal, proportional");
    EXPECT_ERROR("version: 1\nscheduler:\n  multi_gpu: ring\n", "t.yaml:3:14:", "scheduler.multi_gpu 'ring'",
                 "exchange, chain, off");
    EXPECT_ERROR("version: 1\nscheduler:\n  policy: fast\n", "scheduler.policy 'fast'", "hybrid, single");
    EXPECT_ERROR("version: 1\nscheduler:\n  rebalance_threshold: 1.5\n", "rebalance_threshold '1.5'",
                 "a number from 0 to 1");
    EXPECT_ERROR("version: 1\nscheduler:\n  rebalance_threshold: 0.1\n  hysteresis: 0.2\n",
                 "hysteresis 0.2 is above rebalance_threshold 0.1");
    EXPECT_ERROR("version: 1\nscheduler:\n  retries: -1\n", "scheduler.retries '-1'", "0..100");
    EXPECT_ERROR("version: 1\nscheduler:\n  route:\n    ntt: [gpu]\n", "t.yaml:4:5:", "unknown key 'ntt'",
                 "lde, hash, compress");
    EXPECT_ERROR("version: 1\nscheduler:\n  route:\n    hash: [fpga, tpu]\n", "t.yaml:4:18:",
                 "scheduler.route.hash 'tpu'", "cpu, gpu, fpga, opencl");
    EXPECT_ERROR("version: 1\nscheduler:\n  route:\n    hash: [cpu, cpu]\n", "lists 'cpu' twice");
    EXPECT_ERROR("version: 1\nscheduler:\n  chunk: 5\n", "unknown key 'chunk' in 'scheduler'", "chunk_rows");
    EXPECT_ERROR("version: 1\nscheduler: [1]\n", "'scheduler' is a sequence");
}

static void test_all_example_configs_parse(void **state)
{
    (void)state;
    DIR *d = opendir(LOOM_CONFIGS_DIR);
    if (!d)
        fail_msg("cannot open configs directory '%s'", LOOM_CONFIGS_DIR);
    int n = 0, saw_cpu_only = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", LOOM_CONFIGS_DIR, e->d_name);
        loom_config *cfg = NULL;
        loom_status st = loom_config_load(&cfg, path);
        if (st != LOOM_OK) {
            closedir(d);
            fail_msg("%s does not parse: %s", path, loom_last_error());
        }
        assert_int_equal(cfg->version, 1);
        if (strcmp(e->d_name, "cpu-only.yaml") == 0) {
            saw_cpu_only = 1;
            assert_int_equal(cfg->devices_auto, 0);
            assert_int_equal(cfg->n_devices, 1);
            assert_string_equal(cfg->devices[0].id, "cpu0");
            assert_int_equal(cfg->devices[0].kind, LOOM_DEVICE_CPU);
        }
        loom_config_free(cfg);
        n++;
    }
    closedir(d);
    assert_true(n >= 2); /* default.yaml and cpu-only.yaml at least */
    assert_true(saw_cpu_only);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_parses),
        cmocka_unit_test(test_minimal_leaves_unset),
        cmocka_unit_test(test_full_valid),
        cmocka_unit_test(test_flow_style_and_limits),
        cmocka_unit_test(test_max_devices),
        cmocka_unit_test(test_device_kind_name),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_invalid_text),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_top_level_not_mapping),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_field_and_perm),
        cmocka_unit_test(test_log_blowup),
        cmocka_unit_test(test_cpu_threads),
        cmocka_unit_test(test_devices_value),
        cmocka_unit_test(test_device_entries),
        cmocka_unit_test(test_device_optional),
        cmocka_unit_test(test_duplicate_device_id),
        cmocka_unit_test(test_yaml_features_refused),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_truncation_and_junk),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_device_selection_keys),
        cmocka_unit_test(test_device_selection_errors),
        cmocka_unit_test(test_scheduler_section),
        cmocka_unit_test(test_all_example_configs_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
