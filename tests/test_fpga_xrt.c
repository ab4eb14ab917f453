/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Alveo (XRT) driver, as far as it runs without a card: discovery's reason and silence, the
 * xclbin checks on synthetic xclbins (built here from XRT's <xclbin.h> structures), open()'s
 * errors, and the argument / row packing helpers. `test_fpga_xrt --card` runs the kernel on a
 * card against the CPU (LOOM_XRT_XCLBIN names the xclbin) and skips with "SKIPPED: no Alveo card"
 * where there is none.
 */
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <xclbin.h>

#include "drivers/xrt/xrt_internal.h"
#include "internal/driver.h"
#include "loom/device.h"
#include "test_util.h"

static char tmpdir[256];

static void path_in_tmp(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", tmpdir, name);
}

/* ---- synthetic xclbins */

typedef struct {
    uint32_t kind;
    const void *data;
    size_t len;
} section;

typedef struct {
    const char *magic;   /* 8 bytes written as the magic */
    uint16_t mode;       /* XCLBIN_MODE */
    int64_t length_adj;  /* added to m_length (positive: claims more than the file has) */
    int bad_offset;      /* 1: the last section points past the end */
    int n_sections_override; /* -1: the real count */
} xclbin_opts;

static const xclbin_opts plain = {"xclbin2", XCLBIN_FLAT, 0, 0, -1};

/* Writes header, section table and 8-byte aligned sections, as v++ lays them out. */
static void write_xclbin(const char *path, const xclbin_opts *o, const section *s, size_t n)
{
    const size_t head = offsetof(struct axlf, m_sections) + (n ? n : 1) * sizeof(struct axlf_section_header);
    size_t total = head;
    for (size_t i = 0; i < n; i++)
        total = (total + 7) / 8 * 8 + s[i].len;
    unsigned char *buf = calloc(1, total);
    assert_non_null(buf);
    struct axlf *a = (struct axlf *)buf;
    memcpy(a->m_magic, o->magic, 8);
    a->m_signature_length = -1;
    memset(a->reserved, 0xff, sizeof a->reserved);
    a->m_header.m_length = (uint64_t)((int64_t)total + o->length_adj);
    a->m_header.m_versionMajor = 2;
    a->m_header.m_versionMinor = 14;
    a->m_header.m_mode = o->mode;
    snprintf((char *)a->m_header.m_platformVBNV, sizeof a->m_header.m_platformVBNV,
             "xilinx_u250_gen3x16_xdma_shell_4_1");
    a->m_header.m_numSections = o->n_sections_override >= 0 ? (uint32_t)o->n_sections_override : (uint32_t)n;
    size_t off = head;
    for (size_t i = 0; i < n; i++) {
        off = (off + 7) / 8 * 8;
        struct axlf_section_header *sh = &a->m_sections[i];
        sh->m_sectionKind = s[i].kind;
        snprintf(sh->m_sectionName, sizeof sh->m_sectionName, "s%zu", i);
        sh->m_sectionOffset = off;
        sh->m_sectionSize = s[i].len;
        if (o->bad_offset && i + 1 == n)
            sh->m_sectionOffset = total + 64;
        memcpy(buf + off, s[i].data, s[i].len);
        off += s[i].len;
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, total, f), total);
    assert_int_equal(fclose(f), 0);
    free(buf);
}

/* An IP_LAYOUT with the given "kernel:instance" names (IP_KERNEL) and one memory controller. */
static size_t ip_layout(unsigned char *buf, size_t cap, const char *const *names, size_t n, int32_t count_adj)
{
    const size_t len = offsetof(struct ip_layout, m_ip_data) + (n + 1) * sizeof(struct ip_data);
    assert_true(len <= cap);
    memset(buf, 0, len);
    struct ip_layout *l = (struct ip_layout *)buf;
    l->m_count = (int32_t)(n + 1) + count_adj;
    struct ip_data *d = &l->m_ip_data[0];
    d->m_type = IP_MEM_DDR4;
    snprintf((char *)d->m_name, sizeof d->m_name, "MEM_DDR4");
    for (size_t i = 0; i < n; i++) {
        d = &l->m_ip_data[i + 1];
        d->m_type = IP_KERNEL;
        d->properties = AP_CTRL_CHAIN << IP_CONTROL_SHIFT;
        d->m_base_address = 0x1800000 + 0x10000 * i;
        snprintf((char *)d->m_name, sizeof d->m_name, "%s", names[i]);
    }
    return len;
}

static size_t clocks(unsigned char *buf, size_t cap)
{
    const size_t len = offsetof(struct clock_freq_topology, m_clock_freq) + 2 * sizeof(struct clock_freq);
    assert_true(len <= cap);
    memset(buf, 0, len);
    struct clock_freq_topology *t = (struct clock_freq_topology *)buf;
    t->m_count = 2;
    t->m_clock_freq[0].m_freq_Mhz = 500;
    t->m_clock_freq[0].m_type = CT_SYSTEM;
    t->m_clock_freq[1].m_freq_Mhz = 300;
    t->m_clock_freq[1].m_type = CT_KERNEL;
    return len;
}

static const char *const good_kernels[] = {"loom_p2_hash:loom_p2_hash_1", "other_k:other_k_1",
                                           "loom_p2_hash:loom_p2_hash_2"};

/* A valid xclbin for the Loom kernel at `path`, with `mode`. */
static void write_good(const char *path, uint16_t mode)
{
    unsigned char ip[1024], clk[512];
    const section s[] = {{IP_LAYOUT, ip, ip_layout(ip, sizeof ip, good_kernels, 3, 0)},
                         {CLOCK_FREQ_TOPOLOGY, clk, clocks(clk, sizeof clk)}};
    xclbin_opts o = plain;
    o.mode = mode;
    write_xclbin(path, &o, s, 2);
}

static void expect_error(loom_status got, loom_status want, const char *needle)
{
    if (got != want || !strstr(loom_last_error(), needle))
        fail_msg("status %s, message \"%s\"; expected %s with \"%s\"", loom_status_name(got), loom_last_error(),
                 loom_status_name(want), needle);
}

static void test_xclbin_valid(void **state)
{
    (void)state;
    char p[300];
    path_in_tmp(p, sizeof p, "good.xclbin");
    write_good(p, XCLBIN_FLAT);
    loom_xclbin_info xi;
    assert_int_equal(loom_xrt_xclbin_check(&xi, p, LOOM_XRT_KERNEL), LOOM_OK);
    assert_int_equal(xi.compute_units, 2);
    assert_int_equal(xi.mode, XCLBIN_FLAT);
    assert_int_equal(xi.kernel_mhz, 300);
    assert_string_equal(xi.platform, "xilinx_u250_gen3x16_xdma_shell_4_1");
    assert_string_equal(xi.kernels, "loom_p2_hash, other_k");
    assert_string_equal(loom_xrt_xclbin_mode_name(xi.mode), "hw");
    /* The same file asked for another kernel: found once. */
    assert_int_equal(loom_xrt_xclbin_check(&xi, p, "other_k"), LOOM_OK);
    assert_int_equal(xi.compute_units, 1);
    /* A kernel whose name is a prefix of one present is not present. */
    expect_error(loom_xrt_xclbin_check(&xi, p, "loom_p2"), LOOM_ERR_NOT_FOUND, "has no kernel 'loom_p2'");
}

static void test_xclbin_not_an_xclbin(void **state)
{
    (void)state;
    char p[300];
    loom_xclbin_info xi;
    path_in_tmp(p, sizeof p, "absent.xclbin");
    expect_error(loom_xrt_xclbin_check(&xi, p, LOOM_XRT_KERNEL), LOOM_ERR_IO, "cannot open xclbin");
    assert_non_null(strstr(loom_last_error(), "No such file"));

    path_in_tmp(p, sizeof p, "text.xclbin");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    for (int i = 0; i < 40; i++)
        fputs("hello world, not a bitstream\n", f);
    fclose(f);
    expect_error(loom_xrt_xclbin_check(&xi, p, LOOM_XRT_KERNEL), LOOM_ERR_FORMAT, "starts with \"hello wo\"");
    assert_non_null(strstr(loom_last_error(), "\"xclbin2\""));

    path_in_tmp(p, sizeof p, "short.xclbin");
    f = fopen(p, "w");
    fputs("xclbin2", f);
    fclose(f);
    expect_error(loom_xrt_xclbin_check(&xi, p, LOOM_XRT_KERNEL), LOOM_ERR_FORMAT, "shorter than the 456-byte");

    /* The older magic is not this format. */
    unsigned char ip[1024];
    const section s[] = {{IP_LAYOUT, ip, ip_layout(ip, sizeof ip, good_kernels, 1, 0)}};
    xclbin_opts o = plain;
    o.magic = "xclbin0";
    path_in_tmp(p, sizeof p, "old.xclbin");
    write_xclbin(p, &o, s, 1);
    expect_error(loom_xrt_xclbin_check(&xi, p, LOOM_XRT_KERNEL), LOOM_ERR_FORMAT, "starts with \"xclbin0");
}

static void test_xclbin_damaged(void **state)
{
    (void)state;
    char p[300];
    loom_xclbin_info xi;
    unsigned char ip[1024];
    const section s[] = {{IP_LAYOUT, ip, ip_layout(ip, sizeof ip, good_kernels, 1, 0)}};

    xclbin_opts o = plain;
    o.length_adj = 4096;
    path_in_tmp(p, sizeof p, "truncated.xclbin");
    write_xclbin(p, &o, s, 1);
    expect_error(loom_xrt_xclbin_check(&xi, p, LOOM_XRT_KERNEL), LOOM_ERR_FORMAT, "is truncated");

    o = plain;
    o.bad_offset = 1;
    path_in_tmp(p, sizeof p, "badsection.xclbin");
    write_xclbin(p, &o, s, 1);
    expect_error(loom_xrt_xclbin_check(&xi, p, LOOM_XRT_KERNEL), LOOM_ERR_FORMAT, "outside the file");

    o = plain;
    o.n_sections_override = 0;
    path_in_tmp(p, sizeof p, "nosections.xclbin");
    write_xclbin(p, &o, s, 1);
    expect_error(loom_xrt_xclbin_check(&xi, p, LOOM_XRT_KERNEL), LOOM_ERR_FORMAT, "0 sections");

    o = plain;
    o.n_sections_override = 1000;
    path_in_tmp(p, sizeof p, "manysections.xclbin");
    write_xclbin(p, &o, s, 1);
    expect_error(loom_xrt_xclbin_check(&xi, p, LOOM_XRT_KERNEL), LOOM_ERR_FORMAT, "section headers end at byte");

    const section over[] = {{IP_LAYOUT, ip, ip_layout(ip, sizeof ip, good_kernels, 1, 50)}};
    path_in_tmp(p, sizeof p, "ipcount.xclbin");
    write_xclbin(p, &plain, over, 1);
    expect_error(loom_xrt_xclbin_check(&xi, p, LOOM_XRT_KERNEL), LOOM_ERR_FORMAT, "IP_LAYOUT says 52 entries");
}

static void test_xclbin_no_kernel(void **state)
{
    (void)state;
    char p[300];
    loom_xclbin_info xi;
    unsigned char ip[1024], clk[512];
    const char *const others[] = {"vadd:vadd_1", "vadd:vadd_2", "mmult:mmult_1"};
    const section s[] = {{IP_LAYOUT, ip, ip_layout(ip, sizeof ip, others, 3, 0)}};
    path_in_tmp(p, sizeof p, "vadd.xclbin");
    write_xclbin(p, &plain, s, 1);
    expect_error(loom_xrt_xclbin_check(&xi, p, LOOM_XRT_KERNEL), LOOM_ERR_NOT_FOUND,
                 "has no kernel 'loom_p2_hash'; its kernels: vadd, mmult");

    const section none[] = {{CLOCK_FREQ_TOPOLOGY, clk, clocks(clk, sizeof clk)}};
    path_in_tmp(p, sizeof p, "noip.xclbin");
    write_xclbin(p, &plain, none, 1);
    expect_error(loom_xrt_xclbin_check(&xi, p, LOOM_XRT_KERNEL), LOOM_ERR_NOT_FOUND, "no IP_LAYOUT section");
}

/* ---- discovery and open without a card */

/* Runs XRT discovery with stdout and stderr sent to a file; returns how many bytes it printed. */
static long discover_quietly(size_t *n, char *why, size_t why_len)
{
    char p[300];
    path_in_tmp(p, sizeof p, "discover.out");
    fflush(stdout);
    fflush(stderr);
    int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0600), keep1 = dup(1), keep2 = dup(2);
    assert_true(fd >= 0 && keep1 >= 0 && keep2 >= 0);
    dup2(fd, 1);
    dup2(fd, 2);
    loom_device_info info[8];
    loom_status s = loom_driver_xrt.discover(info, 8, n, why, why_len);
    fflush(stdout);
    fflush(stderr);
    dup2(keep1, 1);
    dup2(keep2, 2);
    close(keep1);
    close(keep2);
    long printed = lseek(fd, 0, SEEK_END);
    close(fd);
    assert_int_equal(s, LOOM_OK);
    for (size_t i = 0; i < *n; i++) {
        assert_int_equal(info[i].kind, LOOM_DEVICE_FPGA);
        assert_string_equal(info[i].backend, "xrt");
        char id[16];
        snprintf(id, sizeof id, "fpga%zu", i);
        assert_string_equal(info[i].id, id);
    }
    return printed;
}

static void test_discovery(void **state)
{
    (void)state;
    size_t n = 99;
    char why[256] = "";
    long printed = discover_quietly(&n, why, sizeof why);
    assert_int_equal(printed, 0);
    if (n > 0) {
        printf("# %zu Alveo card(s) present: the no-card reason is not checked\n", n);
        return;
    }
    if (!strstr(why, "XRT found no Alveo card (") && !strstr(why, "XRT cannot start: "))
        fail_msg("discovery reason \"%s\"", why);
    /* With no XILINX_XRT of the user's, the driver made its own folder and set it. */
    const char *x = getenv("XILINX_XRT");
    assert_non_null(x);
    char core[600];
    snprintf(core, sizeof core, "%s/lib/libxrt_core.so.2", x);
    assert_int_equal(access(core, R_OK), 0);

    /* The public discovery carries the reason in its notes. */
    loom_device_info all[16];
    char notes[1024];
    assert_int_equal(loom_devices_discover(all, 16, &n, notes, sizeof notes), LOOM_OK);
    assert_non_null(strstr(notes, "fpga: XRT"));
}

static void fpga_device(loom_device *dev, const char *xclbin, unsigned line)
{
    memset(dev, 0, sizeof *dev);
    snprintf(dev->info.id, sizeof dev->info.id, "fpga0");
    dev->info.kind = LOOM_DEVICE_FPGA;
    snprintf(dev->info.backend, sizeof dev->info.backend, "xrt");
    dev->driver = &loom_driver_xrt;
    snprintf(dev->spec.id, sizeof dev->spec.id, "fpga0");
    dev->spec.kind = LOOM_DEVICE_FPGA;
    dev->spec.index = -1;
    dev->spec.line = line;
    assert_true(snprintf(dev->spec.xclbin, sizeof dev->spec.xclbin, "%s", xclbin) < (int)sizeof dev->spec.xclbin);
}

static void test_open_errors(void **state)
{
    (void)state;
    loom_device dev;
    char p[300];
    fpga_device(&dev, "", 0);
    expect_error(loom_driver_xrt.open(&dev), LOOM_ERR_CONFIG, "fpga0: no xclbin given");
    assert_null(dev.impl);

    path_in_tmp(p, sizeof p, "absent.xclbin");
    fpga_device(&dev, p, 12);
    expect_error(loom_driver_xrt.open(&dev), LOOM_ERR_IO, "config line 12: fpga0: cannot open xclbin");

    const char *const others[] = {"vadd:vadd_1"};
    unsigned char ip[1024];
    const section s[] = {{IP_LAYOUT, ip, ip_layout(ip, sizeof ip, others, 1, 0)}};
    path_in_tmp(p, sizeof p, "vadd.xclbin");
    write_xclbin(p, &plain, s, 1);
    fpga_device(&dev, p, 7);
    expect_error(loom_driver_xrt.open(&dev), LOOM_ERR_NOT_FOUND, "config line 7: fpga0: xclbin '");

    if (!getenv("XCL_EMULATION_MODE")) {
        path_in_tmp(p, sizeof p, "emu.xclbin");
        write_good(p, XCLBIN_HW_EMU);
        fpga_device(&dev, p, 0);
        expect_error(loom_driver_xrt.open(&dev), LOOM_ERR_CONFIG, "was built for hw_emu (v++ -t hw_emu)");
    }

    /* A valid file: the card is what fails here (none, or it rejects a bitstream-less xclbin). */
    path_in_tmp(p, sizeof p, "good.xclbin");
    write_good(p, XCLBIN_FLAT);
    fpga_device(&dev, p, 0);
    assert_int_not_equal(loom_driver_xrt.open(&dev), LOOM_OK);
    if (!strstr(loom_last_error(), "fpga0: ") || !strstr(loom_last_error(), "good.xclbin"))
        fail_msg("message \"%s\" does not name the device and the xclbin", loom_last_error());
    assert_null(dev.impl);
}

/* ---- launch arguments and row packing */

static void test_args(void **state)
{
    (void)state;
    loom_xrt_args a;
    assert_int_equal(loom_xrt_args_hash(&a, 3, 10), LOOM_OK);
    assert_int_equal(a.n_rows, 3);
    assert_int_equal(a.row_len, 10);
    assert_int_equal(a.mode, LOOM_XRT_MODE_HASH);
    assert_int_equal(a.src_bytes, 128); /* 120 bytes of rows in whole 64-byte words */
    assert_int_equal(a.dst_bytes, 128); /* 3 digests = 96 bytes */
    assert_int_equal(loom_xrt_args_hash(&a, 4, 16), LOOM_OK);
    assert_int_equal(a.src_bytes, 256);
    assert_int_equal(a.dst_bytes, 128);
    expect_error(loom_xrt_args_hash(&a, 3, 0), LOOM_ERR_SIZE, "rows of 0 elements; expected 1 to 4294967295");
    expect_error(loom_xrt_args_hash(&a, (size_t)UINT32_MAX + 1, 8), LOOM_ERR_SIZE, "4294967296 rows");
    expect_error(loom_xrt_args_hash(&a, 1, (size_t)UINT32_MAX + 1), LOOM_ERR_SIZE, "rows of 4294967296 elements");
    expect_error(loom_xrt_args_hash(&a, (size_t)UINT32_MAX, UINT32_MAX), LOOM_ERR_SIZE, "overflow");

    assert_int_equal(loom_xrt_args_compress(&a, 3), LOOM_OK);
    assert_int_equal(a.mode, LOOM_XRT_MODE_COMPRESS);
    assert_int_equal(a.n_rows, 3);
    assert_int_equal(a.row_len, 0);
    assert_int_equal(a.src_bytes, 192);
    assert_int_equal(a.dst_bytes, 128);
    assert_int_equal(loom_xrt_args_compress(&a, 0), LOOM_OK);
    assert_int_equal(a.src_bytes, 0);
    expect_error(loom_xrt_args_compress(&a, (size_t)UINT32_MAX + 1), LOOM_ERR_SIZE, "4294967296 digest pairs");

    assert_int_equal(loom_xrt_chunk_rows(256, (size_t)64 << 20, 1024), 262144);
    assert_int_equal(loom_xrt_chunk_rows(100, 1000, 1024), 10);                /* fewer than the lanes: as is */
    assert_int_equal(loom_xrt_chunk_rows(100, 300000, 1024), 2048);            /* 3000 cut to 2 x 1024 */
    assert_int_equal(loom_xrt_chunk_rows((size_t)1 << 30, (size_t)64 << 20, 1024), 1); /* a row beyond the budget */
    assert_int_equal(loom_xrt_chunk_rows(4, (size_t)1 << 40, 1024), 4294966272u);  /* 2^32 - 1 cut to lanes */
    assert_int_equal(loom_xrt_chunk_rows(64, 6400, 0), 100);

    assert_int_equal(loom_xrt_timeout_ms(0), 10000);
    assert_true(loom_xrt_timeout_ms(1000000000) > loom_xrt_timeout_ms(1000000));
}

static void test_pack_rows(void **state)
{
    (void)state;
    /* Three views (3, 0 and 5 columns) of 6 rows: element (r, c) of view v = 1000 v + 10 r + c. */
    uint32_t a[6 * 3], c[6 * 5];
    for (uint32_t r = 0; r < 6; r++) {
        for (uint32_t k = 0; k < 3; k++)
            a[r * 3 + k] = 10 * r + k;
        for (uint32_t k = 0; k < 5; k++)
            c[r * 5 + k] = 2000 + 10 * r + k;
    }
    const loom_matrix_view views[3] = {{a, 6, 3}, {NULL, 6, 0}, {c, 6, 5}};
    uint32_t out[3 * 8 + 1];
    out[24] = 0xdeadbeefu;
    loom_xrt_pack_rows(out, views, 3, 2, 3);
    for (uint32_t i = 0; i < 3; i++) {
        const uint32_t r = 2 + i, *row = out + 8 * i;
        for (uint32_t k = 0; k < 3; k++)
            assert_int_equal(row[k], 10 * r + k);
        for (uint32_t k = 0; k < 5; k++)
            assert_int_equal(row[3 + k], 2000 + 10 * r + k);
    }
    assert_int_equal(out[24], 0xdeadbeefu);
}

/* ---- on a card (test_fpga_xrt --card) */

static const char *card_xclbin;

static void test_card(void **state)
{
    (void)state;
    loom_device dev;
    fpga_device(&dev, card_xclbin, 0);
    assert_int_equal(loom_driver_xrt.open(&dev), LOOM_OK);
    const loom_poseidon2 *perm;
    assert_int_equal(loom_poseidon2_get(&perm, LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 16), LOOM_OK);
    test_rng rng = {test_seed()};
    const uint32_t p = loom_field_get(LOOM_FIELD_BABYBEAR)->p;
    /* Leaves of two matrices side by side, every total width 1..40, row counts across the lanes. */
    for (size_t w = 1; w <= 40; w++) {
        const size_t rows = 1 + test_next(&rng) % 3000, w1 = w / 3, w2 = w - w1;
        uint32_t *m1 = malloc(rows * (w1 ? w1 : 1) * 4), *m2 = malloc(rows * w2 * 4), *cat = malloc(rows * w * 4);
        loom_digest *got = malloc(rows * sizeof *got), *want = malloc(rows * sizeof *want);
        assert_true(m1 && m2 && cat && got && want);
        for (size_t r = 0; r < rows; r++) {
            for (size_t k = 0; k < w1; k++)
                cat[r * w + k] = m1[r * w1 + k] = test_element(&rng, p);
            for (size_t k = 0; k < w2; k++)
                cat[r * w + w1 + k] = m2[r * w2 + k] = test_element(&rng, p);
        }
        const loom_matrix_view views[2] = {{m1, rows, w1}, {m2, rows, w2}};
        const size_t row0 = rows / 3, count = rows - row0;
        assert_int_equal(dev.driver->ops->hash_rows(&dev, got, perm, views, 2, row0, count), LOOM_OK);
        loom_poseidon2_hash_rows(perm, want, cat + row0 * w, count, w, w);
        assert_memory_equal(got, want, count * sizeof *got);
        loom_digest *level = malloc((count / 2 + 1) * sizeof *level);
        assert_non_null(level);
        assert_int_equal(dev.driver->ops->compress(&dev, got, perm, want, count / 2), LOOM_OK);
        loom_poseidon2_compress_level(perm, level, want, count / 2);
        assert_memory_equal(got, level, count / 2 * sizeof *got);
        free(m1), free(m2), free(cat), free(got), free(want), free(level);
    }
    const loom_poseidon2 *kb;
    assert_int_equal(loom_poseidon2_get(&kb, LOOM_FIELD_KOALABEAR, LOOM_PERM_PLONKY3, 16), LOOM_OK);
    loom_digest d[2] = {{{0}}};
    if (kb != perm)
        expect_error(dev.driver->ops->compress(&dev, d, kb, d, 1), LOOM_ERR_UNSUPPORTED, "fpga0 computes");
    loom_driver_xrt.close(&dev);
}

static int make_tmpdir(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/loom-test-xrt-XXXXXX", t && t[0] ? t : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

/* LOOM_TEST_KEEP=1 keeps the synthetic xclbins for a look (the folder is printed). */
static int remove_tmpdir(void **state)
{
    (void)state;
    if (getenv("LOOM_TEST_KEEP")) {
        printf("# synthetic xclbins kept in %s\n", tmpdir);
        return 0;
    }
    static const char *const files[] = {"good.xclbin", "text.xclbin", "short.xclbin", "old.xclbin",
                                        "truncated.xclbin", "badsection.xclbin", "nosections.xclbin",
                                        "manysections.xclbin", "ipcount.xclbin", "vadd.xclbin", "noip.xclbin",
                                        "emu.xclbin", "discover.out"};
    char p[300];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        path_in_tmp(p, sizeof p, files[i]);
        unlink(p);
    }
    return rmdir(tmpdir);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--card") == 0) {
        size_t n = 0;
        char why[256] = "";
        loom_device_info info[8];
        if (loom_driver_xrt.discover(info, 8, &n, why, sizeof why) != LOOM_OK || n == 0) {
            printf("SKIPPED: no Alveo card (%s)\n", why);
            return 77;
        }
        card_xclbin = getenv("LOOM_XRT_XCLBIN");
        if (!card_xclbin || !card_xclbin[0]) {
            printf("SKIPPED: %zu Alveo card(s) but no xclbin: set LOOM_XRT_XCLBIN to a loom_p2.xclbin built for "
                   "%s\n", n, info[0].name);
            return 77;
        }
        const struct CMUnitTest card[] = {cmocka_unit_test(test_card)};
        return cmocka_run_group_tests(card, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xclbin_valid),   cmocka_unit_test(test_xclbin_not_an_xclbin),
        cmocka_unit_test(test_xclbin_damaged), cmocka_unit_test(test_xclbin_no_kernel),
        cmocka_unit_test(test_discovery),      cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_args),           cmocka_unit_test(test_pack_rows),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
