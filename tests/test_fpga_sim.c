/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RTL kernel under Verilator (sim/loom_fpga_sim.h) and the fpga_sim driver over it:
 * permutation and sponge known-answer tests through the pipeline; random rows and compressions
 * against the CPU reference; random stalls on the memory ports; a reset in the middle of a job;
 * the register map (ap_ctrl_hs, interrupts); the measured initiation interval and latency.
 */
#include <string.h>

#include "internal/driver.h"
#include "internal/merkle_internal.h"
#include "loom/poseidon2.h"
#include "loom_fpga_regs.h"
#include "loom_fpga_sim.h"
#include "test_util.h"

#define BB_P 0x78000001u

static const loom_poseidon2 *bb16(void)
{
    const loom_poseidon2 *p = NULL;
    assert_int_equal(loom_poseidon2_get(&p, LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 16), LOOM_OK);
    return p;
}

static loom_fpga_sim *sim_new(const loom_fpga_sim_opts *o)
{
    loom_fpga_sim *s = NULL;
    char err[512] = "";
    if (loom_fpga_sim_create(&s, o, err, sizeof err) != 0)
        fail_msg("loom_fpga_sim_create: %s", err);
    return s;
}

#define SIM_OK(sim, expr)                                                                          \
    do {                                                                                           \
        if ((expr) != 0)                                                                           \
            fail_msg("%s: %s", #expr, loom_fpga_sim_error(sim));                                   \
    } while (0)

static void wr(loom_fpga_sim *s, uint32_t off, uint32_t v) { SIM_OK(s, loom_fpga_sim_reg_write(s, off, v)); }

static uint32_t rd(loom_fpga_sim *s, uint32_t off)
{
    uint32_t v = 0;
    SIM_OK(s, loom_fpga_sim_reg_read(s, off, &v));
    return v;
}

/* Writes the arguments and starts a job (the registers, as a driver does). */
static void start_job(loom_fpga_sim *s, uint64_t src, uint64_t dst, uint32_t n, uint32_t row_len, uint32_t mode)
{
    wr(s, LOOM_FPGA_REG_SRC_LO, (uint32_t)src);
    wr(s, LOOM_FPGA_REG_SRC_HI, (uint32_t)(src >> 32));
    wr(s, LOOM_FPGA_REG_DST_LO, (uint32_t)dst);
    wr(s, LOOM_FPGA_REG_DST_HI, (uint32_t)(dst >> 32));
    wr(s, LOOM_FPGA_REG_N_ROWS, n);
    wr(s, LOOM_FPGA_REG_ROW_LEN, row_len);
    wr(s, LOOM_FPGA_REG_MODE, mode);
    wr(s, LOOM_FPGA_REG_CTRL, LOOM_FPGA_CTRL_AP_START);
}

static void wait_done(loom_fpga_sim *s, uint64_t limit)
{
    int done = 0;
    SIM_OK(s, loom_fpga_sim_run_until_done(s, limit, &done, NULL));
    assert_true(done);
    uint32_t ctrl = rd(s, LOOM_FPGA_REG_CTRL);
    assert_true(ctrl & LOOM_FPGA_CTRL_AP_DONE);
    assert_true(ctrl & LOOM_FPGA_CTRL_AP_IDLE);
}

/* Hashes `n` rows of `w` words (row-major in `m`) on the simulated kernel, digests to `out`. */
static void sim_hash(loom_fpga_sim *s, loom_digest *out, const uint32_t *m, uint32_t n, uint32_t w)
{
    const uint64_t src = 0x1000, dst = 0x1000 + (((uint64_t)n * w * 4 + 63) & ~63ull);
    if (n && w)
        SIM_OK(s, loom_fpga_sim_mem_write(s, src, m, (size_t)n * w * 4));
    start_job(s, src, dst, n, w, LOOM_FPGA_MODE_HASH);
    wait_done(s, 2000000);
    if (n)
        SIM_OK(s, loom_fpga_sim_mem_read(s, dst, out, (size_t)n * sizeof *out));
}

static void sim_compress(loom_fpga_sim *s, loom_digest *out, const loom_digest *in, uint32_t n)
{
    const uint64_t src = 0x40, dst = 0x40 + (uint64_t)n * 64 + 64;
    SIM_OK(s, loom_fpga_sim_mem_write(s, src, in, (size_t)n * 64));
    start_job(s, src, dst, n, 0, LOOM_FPGA_MODE_COMPRESS);
    wait_done(s, 2000000);
    SIM_OK(s, loom_fpga_sim_mem_read(s, dst, out, (size_t)n * sizeof *out));
}

static void random_rows(test_rng *r, uint32_t *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        m[i] = test_element(r, BB_P);
}

static void cpu_hash(loom_digest *out, const uint32_t *m, size_t n, size_t w)
{
    for (size_t i = 0; i < n; i++)
        out[i] = loom_poseidon2_hash(bb16(), m + i * w, w);
}

/* ---- The model's facts match the spec and the host's tables. */
static void test_info(void **state)
{
    (void)state;
    loom_fpga_sim_info fi;
    loom_fpga_sim_info_get(&fi);
    assert_string_equal(fi.perm, bb16()->name);
    assert_string_equal(fi.kernel, LOOM_FPGA_KERNEL_NAME);
    assert_int_equal(fi.perm_latency, LOOM_FPGA_PERM_LATENCY);
    assert_int_equal(fi.context_slots, LOOM_FPGA_CONTEXT_SLOTS);
}

/* ---- Plonky3's published width-16 test and the derived perm([0..15]), through the pipeline:
 * a compression of (left || right) = the input, with the full 16-word output state observed. */
static void test_permutation_kat(void **state)
{
    (void)state;
    static const uint32_t in[2][16] = {
        {894848333, 1437655012, 1200606629, 1690012884, 71131202, 1749206695, 1717947831, 120589055, 19776022,
         42382981, 1831865506, 724844064, 171220207, 1299207443, 227047920, 1783754913},
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}};
    static const uint32_t expect[2][16] = {
        {516096821, 90309867, 1101817252, 1660784290, 360715097, 1789519026, 1788910906, 563338433, 319524748,
         1741414159, 1650859320, 894311162, 1121347488, 1692793758, 1052633829, 1344246938},
        {1906786279, 1737026427, 1959749225, 700325316, 1638050605, 1021608788, 1726691001, 1761127344, 1552405120,
         417318995, 36799261, 1215172152, 614923223, 1300746575, 957311597, 304856115}};
    loom_fpga_sim *s = sim_new(NULL);
    uint32_t states[2 * 16];
    size_t seen = 0;
    loom_fpga_sim_monitor(s, states, 2, &seen);
    loom_digest out[2];
    sim_compress(s, out, (const loom_digest *)in, 2);
    assert_int_equal(seen, 2);
    for (int k = 0; k < 2; k++) {
        assert_memory_equal(states + 16 * k, expect[k], sizeof expect[k]);
        assert_memory_equal(out[k].v, expect[k], sizeof out[k].v);
    }
    loom_fpga_sim_destroy(s);
}

/* ---- The sponge vectors of shared/kat/merkle_sponge_spec.txt, and the empty row. */
static void test_sponge_kat(void **state)
{
    (void)state;
    static const uint32_t h8[8] = {458038305, 257183205, 1951318676, 729287742, 1357995677, 631765864, 502434224,
                                   1170329282};
    static const uint32_t h10[8] = {109871766, 1072162525, 734734822, 1779529182, 851455702, 1097548423, 803475089,
                                    1040688773};
    static const uint32_t h16[8] = {568621648, 260560799, 1787535874, 764831861, 341748543, 546488453, 1028837269,
                                    1917944385};
    uint32_t iota[16];
    for (uint32_t i = 0; i < 16; i++)
        iota[i] = i;
    loom_fpga_sim *s = sim_new(NULL);
    loom_digest d;
    sim_hash(s, &d, iota, 1, 8);
    assert_memory_equal(d.v, h8, sizeof h8);
    sim_hash(s, &d, iota, 1, 10);
    assert_memory_equal(d.v, h10, sizeof h10);
    sim_hash(s, &d, iota, 1, 16);
    assert_memory_equal(d.v, h16, sizeof h16);
    /* row_len 0: the kernel writes the zero digest (the sponge of nothing) without permuting. */
    loom_digest z[3];
    memset(z, 0xff, sizeof z);
    SIM_OK(s, loom_fpga_sim_mem_write(s, 0x1000, z, sizeof z));
    loom_fpga_sim_counters_clear(s);
    sim_hash(s, z, NULL, 3, 0);
    loom_digest zero = {{0}};
    for (int i = 0; i < 3; i++)
        assert_memory_equal(&z[i], &zero, sizeof zero);
    loom_fpga_sim_counters c;
    loom_fpga_sim_counters_get(s, &c);
    assert_int_equal(c.perms_in, 0);
    loom_fpga_sim_destroy(s);
}

/* ---- Random rows of every width 1..40 (row counts up to 100) on the kernel, equal to the CPU. */
static void test_random_rows(void **state)
{
    (void)state;
    test_rng r = {test_seed() ^ 0x51};
    loom_fpga_sim *s = sim_new(NULL);
    uint32_t *m = malloc(100 * 40 * sizeof *m);
    loom_digest got[100], want[100];
    assert_non_null(m);
    for (uint32_t w = 1; w <= 40; w++) {
        uint32_t n = (w % 8 == 1 || w == 40) ? 100 : 1 + (uint32_t)(test_next(&r) % 24);
        random_rows(&r, m, (size_t)n * w);
        sim_hash(s, got, m, n, w);
        cpu_hash(want, m, n, w);
        for (uint32_t i = 0; i < n; i++)
            if (memcmp(&got[i], &want[i], sizeof got[i]) != 0)
                fail_msg("width %u, row %u of %u: the kernel's digest differs from the CPU's", w, i, n);
    }
    free(m);
    loom_fpga_sim_destroy(s);
}

/* ---- Compression mode, random pairs, against loom_poseidon2_compress_level. */
static void test_random_compress(void **state)
{
    (void)state;
    test_rng r = {test_seed() ^ 0xc0};
    loom_fpga_sim *s = sim_new(NULL);
    loom_digest in[2 * 100], got[100], want[100];
    for (uint32_t n = 1; n <= 100; n += 33) {
        random_rows(&r, in[0].v, 2 * 8 * (size_t)n);
        sim_compress(s, got, in, n);
        loom_poseidon2_compress_level(bb16(), want, in, n);
        assert_memory_equal(got, want, n * sizeof *got);
    }
    loom_fpga_sim_destroy(s);
}

/* ---- Random stalls on read data, read requests and writes: nothing lost, nothing reordered.
 * More rows than context slots (two groups) and a write port that stalls often enough to fill
 * the digest FIFO, so both back-pressure paths are taken. */
static void test_stalls(void **state)
{
    (void)state;
    test_rng r = {test_seed() ^ 0x5a11};
    loom_fpga_sim_opts o = {.rd_stall = 0.3, .wr_stall = 0.3, .req_stall = 0.2, .rd_latency = 40, .seed = 7};
    loom_fpga_sim *s = sim_new(&o);
    const uint32_t n = LOOM_FPGA_CONTEXT_SLOTS + 77, w = 19;
    uint32_t *m = malloc((size_t)n * w * sizeof *m);
    loom_digest *got = malloc(n * sizeof *got), *want = malloc(n * sizeof *want);
    assert_true(m && got && want);
    random_rows(&r, m, (size_t)n * w);
    cpu_hash(want, m, n, w);
    sim_hash(s, got, m, n, w);
    assert_memory_equal(got, want, n * sizeof *got);
    loom_fpga_sim_counters c;
    loom_fpga_sim_counters_get(s, &c);
    assert_true(c.rd_stall_cycles > 0 && c.wr_stall_cycles > 0 && c.req_stall_cycles > 0);
    assert_int_equal(c.perms_in, (uint64_t)n * 3);
    assert_int_equal(c.perms_out, c.perms_in);

    /* Single-block rows against a write port that takes one digest in ten clocks: the FIFO fills
     * and the sponge must hold beats back (credit stalls) rather than lose digests. */
    SIM_OK(s, loom_fpga_sim_set_stalls(s, 0.1, 0.9, 0.0, 11));
    const uint32_t n2 = 1500, w2 = 5;
    uint32_t *m2 = malloc((size_t)n2 * w2 * sizeof *m2);
    loom_digest *got2 = malloc(n2 * sizeof *got2), *want2 = malloc(n2 * sizeof *want2);
    assert_true(m2 && got2 && want2);
    random_rows(&r, m2, (size_t)n2 * w2);
    cpu_hash(want2, m2, n2, w2);
    loom_fpga_sim_counters_clear(s);
    sim_hash(s, got2, m2, n2, w2);
    assert_memory_equal(got2, want2, n2 * sizeof *got2);
    loom_fpga_sim_counters_get(s, &c);
    assert_true(c.credit_stall_cycles > 0);

    /* Compression under stalls. */
    SIM_OK(s, loom_fpga_sim_set_stalls(s, 0.4, 0.4, 0.4, 13));
    loom_digest in[2 * 64], cg[64], cw[64];
    random_rows(&r, in[0].v, 2 * 8 * 64);
    sim_compress(s, cg, in, 64);
    loom_poseidon2_compress_level(bb16(), cw, in, 64);
    assert_memory_equal(cg, cw, sizeof cg);
    free(m), free(got), free(want), free(m2), free(got2), free(want2);
    loom_fpga_sim_destroy(s);
}

/* ---- A reset in the middle of a job: the kernel comes back idle and the next job is right. */
static void test_reset_mid_stream(void **state)
{
    (void)state;
    test_rng r = {test_seed() ^ 0x7e5e7};
    loom_fpga_sim_opts o = {.rd_stall = 0.2, .wr_stall = 0.2, .seed = 3};
    loom_fpga_sim *s = sim_new(&o);
    const uint32_t n = 300, w = 27;
    uint32_t *m = malloc((size_t)n * w * sizeof *m);
    loom_digest *got = malloc(n * sizeof *got), *want = malloc(n * sizeof *want);
    assert_true(m && got && want);
    random_rows(&r, m, (size_t)n * w);
    cpu_hash(want, m, n, w);

    SIM_OK(s, loom_fpga_sim_mem_write(s, 0x1000, m, (size_t)n * w * 4));
    start_job(s, 0x1000, 0x100000, n, w, LOOM_FPGA_MODE_HASH);
    SIM_OK(s, loom_fpga_sim_step(s, 700)); /* mid-stream: reads, permutations and writes in flight */
    loom_fpga_sim_counters c;
    loom_fpga_sim_counters_get(s, &c);
    assert_true(c.perms_in > 0 && c.perms_in < (uint64_t)n * 4);
    SIM_OK(s, loom_fpga_sim_reset(s, 3));
    uint32_t ctrl = rd(s, LOOM_FPGA_REG_CTRL);
    assert_int_equal(ctrl, LOOM_FPGA_CTRL_AP_IDLE); /* idle, nothing started, nothing done */
    assert_int_equal(rd(s, LOOM_FPGA_REG_N_ROWS), 0);

    sim_hash(s, got, m, n, w);
    assert_memory_equal(got, want, n * sizeof *got);
    free(m), free(got), free(want);
    loom_fpga_sim_destroy(s);
}

/* ---- The register map: arguments read back, ap_ctrl_hs bits, interrupts. */
static void test_registers(void **state)
{
    (void)state;
    loom_fpga_sim *s = sim_new(NULL);
    assert_int_equal(rd(s, LOOM_FPGA_REG_CTRL), LOOM_FPGA_CTRL_AP_IDLE);
    const uint32_t args[][2] = {{LOOM_FPGA_REG_SRC_LO, 0x89abcdefu}, {LOOM_FPGA_REG_SRC_HI, 0x01234567u},
                                {LOOM_FPGA_REG_DST_LO, 0x11223344u}, {LOOM_FPGA_REG_DST_HI, 0x55667788u},
                                {LOOM_FPGA_REG_N_ROWS, 12345u},      {LOOM_FPGA_REG_ROW_LEN, 678u},
                                {LOOM_FPGA_REG_MODE, 1u}};
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
        wr(s, args[i][0], args[i][1]);
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
        assert_int_equal(rd(s, args[i][0]), args[i][1]);
    assert_int_equal(rd(s, 0x3c), 0); /* no register there */

    /* Interrupt on done; a small job. */
    uint32_t row[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    SIM_OK(s, loom_fpga_sim_mem_write(s, 0x100, row, sizeof row));
    wr(s, LOOM_FPGA_REG_GIE, LOOM_FPGA_GIE_ENABLE);
    wr(s, LOOM_FPGA_REG_IER, LOOM_FPGA_IER_DONE);
    assert_int_equal(loom_fpga_sim_interrupt(s), 0);
    start_job(s, 0x100, 0x200, 1, 12, LOOM_FPGA_MODE_HASH);
    /* The kernel took the job: ap_start is back to 0, ap_ready is set until read, not idle. */
    uint32_t ctrl = rd(s, LOOM_FPGA_REG_CTRL);
    assert_int_equal(ctrl & (LOOM_FPGA_CTRL_AP_START | LOOM_FPGA_CTRL_AP_READY | LOOM_FPGA_CTRL_AP_IDLE),
                     LOOM_FPGA_CTRL_AP_READY);
    assert_int_equal(rd(s, LOOM_FPGA_REG_CTRL) & LOOM_FPGA_CTRL_AP_READY, 0);
    int done = 0;
    SIM_OK(s, loom_fpga_sim_run_until_done(s, 100000, &done, NULL));
    assert_true(done);
    assert_int_equal(loom_fpga_sim_interrupt(s), 1);
    assert_int_equal(rd(s, LOOM_FPGA_REG_ISR), LOOM_FPGA_ISR_DONE);
    ctrl = rd(s, LOOM_FPGA_REG_CTRL);
    assert_int_equal(ctrl, LOOM_FPGA_CTRL_AP_DONE | LOOM_FPGA_CTRL_AP_IDLE);
    assert_int_equal(rd(s, LOOM_FPGA_REG_CTRL), LOOM_FPGA_CTRL_AP_IDLE); /* ap_done cleared by the read */
    wr(s, LOOM_FPGA_REG_ISR, LOOM_FPGA_ISR_DONE);                         /* toggle: clears it */
    assert_int_equal(rd(s, LOOM_FPGA_REG_ISR), 0);
    assert_int_equal(loom_fpga_sim_interrupt(s), 0);
    loom_digest d;
    SIM_OK(s, loom_fpga_sim_mem_read(s, 0x200, &d, sizeof d));
    loom_digest want = loom_poseidon2_hash(bb16(), row, 12);
    assert_memory_equal(&d, &want, sizeof d);

    /* A mode the kernel does not know finishes at once and writes nothing. */
    loom_digest before, after;
    SIM_OK(s, loom_fpga_sim_mem_read(s, 0x400, &before, sizeof before));
    start_job(s, 0x100, 0x400, 1, 12, 7);
    wait_done(s, 1000);
    SIM_OK(s, loom_fpga_sim_mem_read(s, 0x400, &after, sizeof after));
    assert_memory_equal(&before, &after, sizeof before);
    /* Zero rows: done at once. */
    start_job(s, 0x100, 0x400, 0, 12, LOOM_FPGA_MODE_HASH);
    wait_done(s, 1000);
    loom_fpga_sim_destroy(s);
}

/* ---- One permutation per clock, and the documented latency, measured on the pipeline. */
static void test_ii_and_latency(void **state)
{
    (void)state;
    test_rng r = {test_seed() ^ 0x11};
    loom_fpga_sim *s = sim_new(NULL);
    /* One permutation alone: its latency. */
    uint32_t row[8];
    random_rows(&r, row, 8);
    loom_digest d;
    loom_fpga_sim_counters c;
    loom_fpga_sim_counters_clear(s);
    sim_hash(s, &d, row, 1, 8);
    loom_fpga_sim_counters_get(s, &c);
    assert_int_equal(c.perms_in, 1);
    assert_int_equal(c.latency_min, LOOM_FPGA_PERM_LATENCY);
    assert_int_equal(c.latency_max, LOOM_FPGA_PERM_LATENCY);

    /* A full group of 3-block rows: each row's next block comes one group (Slots clocks) after its
     * previous one, later than the latency, so the pipeline takes a state on every clock. */
    const uint32_t n = LOOM_FPGA_CONTEXT_SLOTS, w = 24;
    uint32_t *m = malloc((size_t)n * w * sizeof *m);
    loom_digest *got = malloc(n * sizeof *got), *want = malloc(n * sizeof *want);
    assert_true(m && got && want);
    random_rows(&r, m, (size_t)n * w);
    loom_fpga_sim_counters_clear(s);
    sim_hash(s, got, m, n, w);
    cpu_hash(want, m, n, w);
    assert_memory_equal(got, want, n * sizeof *got);
    loom_fpga_sim_counters_get(s, &c);
    printf("# %llu permutations in %llu clocks from first to last, longest run %llu, latency %llu..%llu, "
           "%llu hazard stalls\n",
           (unsigned long long)c.perms_in, (unsigned long long)(c.last_in_cycle - c.first_in_cycle + 1),
           (unsigned long long)c.longest_in_run, (unsigned long long)c.latency_min,
           (unsigned long long)c.latency_max, (unsigned long long)c.hazard_stall_cycles);
    assert_int_equal(c.perms_in, 3ull * n);
    assert_int_equal(c.longest_in_run, 3ull * n);                      /* initiation interval 1 */
    assert_int_equal(c.last_in_cycle - c.first_in_cycle + 1, 3ull * n);
    assert_int_equal(c.latency_min, LOOM_FPGA_PERM_LATENCY);
    assert_int_equal(c.latency_max, LOOM_FPGA_PERM_LATENCY);
    assert_int_equal(c.hazard_stall_cycles, 0);
    free(m), free(got), free(want);
    loom_fpga_sim_destroy(s);
}

/* ---- The fpga_sim driver: discovery, random rows split over several views, compression, a
 * Merkle root of shared/kat through it, and an instance the RTL does not have. */
static const loom_driver *find_driver(void)
{
    for (size_t i = 0; i < loom_driver_count; i++)
        if (strcmp(loom_drivers[i]->name, "fpga_sim") == 0)
            return loom_drivers[i];
    fail_msg("this build has no fpga_sim driver");
    return NULL;
}

static loom_status dev_hash(void *ctx, const loom_poseidon2 *perm, loom_digest *out, const loom_matrix_view *views,
                            size_t n, size_t row0, size_t count)
{
    loom_device *dev = ctx;
    return dev->driver->ops->hash_rows(dev, out, perm, views, n, row0, count);
}

static loom_status dev_compress(void *ctx, const loom_poseidon2 *perm, loom_digest *out, const loom_digest *in,
                                size_t n_out)
{
    loom_device *dev = ctx;
    return dev->driver->ops->compress(dev, out, perm, in, n_out);
}

static void test_driver(void **state)
{
    (void)state;
    const loom_driver *drv = find_driver();
    loom_device_info info[2];
    size_t n = 0;
    char why[256] = "";
    assert_int_equal(drv->discover(info, 2, &n, why, sizeof why), LOOM_OK);
    if (n != 1)
        fail_msg("fpga_sim discovery found %zu devices: %s", n, why);
    assert_string_equal(info[0].id, "fpgasim0");
    assert_string_equal(info[0].backend, "fpga_sim");
    assert_int_equal(info[0].kind, LOOM_DEVICE_FPGA);
    assert_int_equal(info[0].opt_in, 1);
    assert_null(drv->ops->coset_lde);
    loom_device dev = {.info = info[0], .driver = drv};
    assert_int_equal(drv->open(&dev), LOOM_OK);

    test_rng r = {test_seed() ^ 0xd21};
    uint32_t *a = malloc(100 * 40 * sizeof *a), *b = malloc(100 * 40 * sizeof *b), *row = malloc(80 * sizeof *row);
    loom_digest got[100], want[100];
    assert_true(a && b && row);
    for (int t = 0; t < 8; t++) {
        size_t rows = 1 + test_next(&r) % 100, ca = 1 + test_next(&r) % 40, cb = test_next(&r) % 41;
        size_t row0 = test_next(&r) % rows, count = rows - row0;
        random_rows(&r, a, rows * ca);
        random_rows(&r, b, rows * cb);
        loom_matrix_view v[2] = {{a, rows, ca}, {b, rows, cb}};
        size_t nv = cb ? 2 : 1;
        assert_int_equal(drv->ops->hash_rows(&dev, got, bb16(), v, nv, row0, count), LOOM_OK);
        for (size_t i = 0; i < count; i++) {
            memcpy(row, a + (row0 + i) * ca, ca * sizeof *row);
            memcpy(row + ca, b + (row0 + i) * cb, cb * sizeof *row);
            want[i] = loom_poseidon2_hash(bb16(), row, ca + (nv == 2 ? cb : 0));
        }
        if (memcmp(got, want, count * sizeof *got) != 0)
            fail_msg("driver: %zu rows from %zu of widths %zu + %zu differ from the CPU", count, row0, ca, cb);
    }
    /* Width 0: the zero digest for every row. */
    loom_matrix_view empty = {a, 5, 0};
    memset(got, 0xff, sizeof got);
    assert_int_equal(drv->ops->hash_rows(&dev, got, bb16(), &empty, 1, 0, 5), LOOM_OK);
    loom_digest zero = {{0}};
    for (int i = 0; i < 5; i++)
        assert_memory_equal(&got[i], &zero, sizeof zero);

    loom_digest in[2 * 37];
    random_rows(&r, in[0].v, 2 * 8 * 37);
    assert_int_equal(drv->ops->compress(&dev, got, bb16(), in, 37), LOOM_OK);
    loom_poseidon2_compress_level(bb16(), want, in, 37);
    assert_memory_equal(got, want, 37 * sizeof *got);

    /* merkle_root([M8]) of shared/kat/merkle_sponge_spec.txt, every hash on the simulated card. */
    uint32_t m8[64];
    for (uint32_t i = 0; i < 64; i++)
        m8[i] = i;
    static const uint32_t r8[8] = {905628760, 1742190476, 812779998, 1447543655, 1666260516, 1656157965,
                                   316919892, 999209925};
    loom_matrix_view mv = {m8, 8, 8};
    loom_merkle_hasher h = {&dev, dev_hash, dev_compress};
    loom_merkle_tree *tree = NULL;
    assert_int_equal(loom_merkle_tree_build_with(&tree, bb16(), &mv, 1, &h), LOOM_OK);
    loom_digest root = loom_merkle_tree_root(tree);
    assert_memory_equal(root.v, r8, sizeof r8);
    loom_merkle_tree_free(tree);

    /* Another instance: refused, with the reason. */
    const loom_poseidon2 *kb = NULL;
    assert_int_equal(loom_poseidon2_by_name(&kb, "koalabear-plonky3-16"), LOOM_OK);
    loom_matrix_view one = {a, 1, 3};
    assert_int_equal(drv->ops->hash_rows(&dev, got, kb, &one, 1, 0, 1), LOOM_ERR_UNSUPPORTED);
    assert_non_null(strstr(loom_last_error(), "implements babybear-plonky3-16 only"));
    assert_int_equal(drv->ops->compress(&dev, got, kb, in, 1), LOOM_ERR_UNSUPPORTED);

    drv->close(&dev);
    free(a), free(b), free(row);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_permutation_kat),
        cmocka_unit_test(test_sponge_kat),
        cmocka_unit_test(test_random_rows),
        cmocka_unit_test(test_random_compress),
        cmocka_unit_test(test_stalls),
        cmocka_unit_test(test_reset_mid_stream),
        cmocka_unit_test(test_registers),
        cmocka_unit_test(test_ii_and_latency),
        cmocka_unit_test(test_driver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
