/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fpga-sim-bench: the FPGA figures of docs/benchmarks.md and docs/fpga.md, from the Verilator
 * model of the RTL kernel (sim/). Each workload is a kernel job driven through the register map,
 * as a driver does. It reports what the RTL does per clock (clocks per permutation, latency) and
 * how fast Verilator runs it (clocks per second of this host). It then projects that onto a card
 * at the design clock: permutations/s and GB/s of rows hashed, against the PCIe bandwidth of the
 * Alveo U250 (PCIe Gen3 x16) and U55C (Gen3 x16 or Gen4 x8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal/cpu_info.h"
#include "internal/timer.h"
#include "loom/poseidon2.h"
#include "loom_fpga_regs.h"
#include "loom_fpga_sim.h"
#include "loom_git_commit.h"

/* PCIe, one direction: 8 GT/s x 16 lanes (Gen3 x16) and 16 GT/s x 8 (Gen4 x8) both carry
 * 128 Gbit/s with 128b/130b coding = 15.75 GB/s before packet overhead. */
#define PCIE_GEN3X16_GBPS 15.75
#define PCIE_GEN4X8_GBPS 15.75

typedef struct {
    char name[48], note[96];
    uint32_t rows, row_len, mode;
    double rd_stall, wr_stall;
    uint64_t perms, clocks, latency;
    double bytes_in, seconds;
} result;

static result res[16];
static int n_res;

static int die(const char *what, const char *err)
{
    fprintf(stderr, "fpga-sim-bench: %s: %s\n", what, err);
    return 1;
}

static void usage(FILE *to)
{
    fprintf(to, "Usage: fpga-sim-bench [--json] [--output FILE] [--quick] [--mhz F]\n\n"
                "Runs hashing and compression jobs on the Verilator model of the RTL kernel and prints clocks per\n"
                "permutation, latency, simulation speed, and the throughput projected for a card at F MHz (default:\n"
                "the design clock of the spec) against PCIe. --quick uses small jobs (a smoke run).\n");
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* One job on a fresh model; checks a few digests against the CPU. Returns 0 or prints why not. */
static int run(result *r, unsigned quick_div)
{
    loom_fpga_sim_opts o = {.rd_stall = r->rd_stall, .wr_stall = r->wr_stall, .req_stall = r->rd_stall, .seed = 1};
    loom_fpga_sim *sim = NULL;
    char err[512];
    if (loom_fpga_sim_create(&sim, &o, err, sizeof err) != 0)
        return die("model", err);
    r->rows /= quick_div;
    const int compress = r->mode == LOOM_FPGA_MODE_COMPRESS;
    const size_t words_per_item = compress ? 16 : r->row_len;
    const size_t in_words = (size_t)r->rows * words_per_item;
    uint32_t *in = malloc(in_words * sizeof *in);
    loom_digest *out = malloc((size_t)r->rows * sizeof *out);
    if (!in || !out)
        return die("memory", "out of host memory");
    uint64_t seed = 42;
    for (size_t i = 0; i < in_words; i++)
        in[i] = (uint32_t)(rng_next(&seed) % 0x78000001u);
    const uint64_t src = 0, dst = (in_words * 4 + 63) & ~63ull;
    int rc = 0;
    const uint32_t regs[][2] = {{LOOM_FPGA_REG_SRC_LO, (uint32_t)src}, {LOOM_FPGA_REG_SRC_HI, 0},
                                {LOOM_FPGA_REG_DST_LO, (uint32_t)dst}, {LOOM_FPGA_REG_DST_HI, (uint32_t)(dst >> 32)},
                                {LOOM_FPGA_REG_N_ROWS, r->rows},      {LOOM_FPGA_REG_ROW_LEN, r->row_len},
                                {LOOM_FPGA_REG_MODE, r->mode}};
    if (loom_fpga_sim_mem_write(sim, src, in, in_words * 4) != 0)
        rc = die("copy in", loom_fpga_sim_error(sim));
    for (size_t i = 0; i < sizeof regs / sizeof regs[0] && rc == 0; i++)
        if (loom_fpga_sim_reg_write(sim, regs[i][0], regs[i][1]) != 0)
            rc = die("register write", loom_fpga_sim_error(sim));
    loom_fpga_sim_counters_clear(sim);
    double t0 = loom_now();
    int done = 0;
    if (rc == 0 && (loom_fpga_sim_reg_write(sim, LOOM_FPGA_REG_CTRL, LOOM_FPGA_CTRL_AP_START) != 0 ||
                    loom_fpga_sim_run_until_done(sim, 1ull << 40, &done, NULL) != 0 || !done))
        rc = die("job", loom_fpga_sim_error(sim));
    r->seconds = loom_now() - t0;
    loom_fpga_sim_counters c;
    loom_fpga_sim_counters_get(sim, &c);
    r->perms = c.perms_in;
    r->clocks = c.busy_cycles;
    r->latency = c.latency_max;
    r->bytes_in = (double)in_words * 4;
    if (rc == 0 && loom_fpga_sim_mem_read(sim, dst, out, (size_t)r->rows * sizeof *out) != 0)
        rc = die("copy out", loom_fpga_sim_error(sim));
    const loom_poseidon2 *perm = NULL;
    if (loom_poseidon2_get(&perm, LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 16) != LOOM_OK)
        rc = die("perm", loom_last_error());
    for (uint32_t i = 0; i < r->rows && rc == 0; i += 1 + r->rows / 7) {
        loom_digest want = compress ? loom_poseidon2_compress(perm, (const loom_digest *)in + 2 * i,
                                                              (const loom_digest *)in + 2 * i + 1)
                                    : loom_poseidon2_hash(perm, in + (size_t)i * r->row_len, r->row_len);
        if (memcmp(&want, &out[i], sizeof want) != 0) {
            fprintf(stderr, "fpga-sim-bench: %s: digest %u differs from the CPU reference\n", r->name, i);
            rc = 1;
        }
    }
    free(in);
    free(out);
    loom_fpga_sim_destroy(sim);
    return rc;
}

static void add(const char *name, uint32_t rows, uint32_t row_len, uint32_t mode, double stall, const char *note)
{
    result *r = &res[n_res++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->note, sizeof r->note, "%s", note);
    r->rows = rows, r->row_len = row_len, r->mode = mode, r->rd_stall = stall, r->wr_stall = stall;
}

int main(int argc, char **argv)
{
    int json = 0, quick = 0;
    double mhz = LOOM_FPGA_TARGET_CLOCK_MHZ;
    const char *out_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--output") && i + 1 < argc)
            out_path = argv[++i];
        else if (!strcmp(argv[i], "--mhz") && i + 1 < argc) {
            char *end;
            mhz = strtod(argv[++i], &end);
            if (*end || mhz <= 0) {
                fprintf(stderr, "fpga-sim-bench: --mhz '%s' is not a positive number\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "fpga-sim-bench: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    const uint32_t slots = LOOM_FPGA_CONTEXT_SLOTS;
    add("hash, 8-word rows", 16384, 8, LOOM_FPGA_MODE_HASH, 0, "one permutation per row");
    add("hash, 64-word rows", 4 * slots, 64, LOOM_FPGA_MODE_HASH, 0, "8 blocks per row, rows interleaved");
    add("hash, 64-word rows, few", 128, 64, LOOM_FPGA_MODE_HASH, 0, "fewer rows than the latency: bubbles");
    add("compress (Merkle level)", 16384, 0, LOOM_FPGA_MODE_COMPRESS, 0, "64 bytes in per permutation");
    add("hash, 64-word rows, stalls", 4 * slots, 64, LOOM_FPGA_MODE_HASH, 0.2,
        "memory holds data back 20% of clocks");
    for (int i = 0; i < n_res; i++) {
        /* --quick shrinks the big jobs; the small one stays as it is (it is about latency). */
        unsigned div = quick && res[i].rows > 1024 ? 8 : 1;
        if (run(&res[i], div) != 0)
            return 1;
    }

    loom_cpu_facts facts;
    loom_cpu_facts_get(&facts);
    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    loom_fpga_sim_info fi;
    loom_fpga_sim_info_get(&fi);

    FILE *outs[2] = {json ? stdout : NULL, out_path ? fopen(out_path, "w") : NULL};
    if (out_path && !outs[1])
        return die("cannot write", out_path);
    for (int o = 0; o < 2; o++) {
        FILE *to = outs[o];
        if (!to)
            continue;
        fprintf(to, "{\"commit\": \"%s\", \"date\": \"%s\", \"host_cpu\": \"%s\", \"kernel\": \"%s\", \"perm\": "
                    "\"%s\", \"perm_latency\": %u, \"context_slots\": %u, \"clock_mhz\": %.1f, \"quick\": %s, "
                    "\"pcie_gen3x16_gbps\": %.2f, \"pcie_gen4x8_gbps\": %.2f, \"results\": [",
                LOOM_GIT_COMMIT, date, facts.model, fi.kernel, fi.perm, fi.perm_latency, fi.context_slots, mhz,
                quick ? "true" : "false", PCIE_GEN3X16_GBPS, PCIE_GEN4X8_GBPS);
        for (int i = 0; i < n_res; i++) {
            const result *r = &res[i];
            double cpp = (double)r->clocks / (double)r->perms, secs_card = (double)r->clocks / (mhz * 1e6);
            fprintf(to,
                    "%s\n  {\"name\": \"%s\", \"rows\": %u, \"row_len\": %u, \"stall\": %.2f, \"permutations\": %llu, "
                    "\"clocks\": %llu, \"clocks_per_perm\": %.4f, \"latency\": %llu, \"sim_seconds\": %.3f, "
                    "\"sim_clocks_per_s\": %.0f, \"card_perms_per_s\": %.4g, \"card_input_gbps\": %.3f}",
                    i ? "," : "", r->name, r->rows, r->row_len, r->rd_stall, (unsigned long long)r->perms,
                    (unsigned long long)r->clocks, cpp, (unsigned long long)r->latency, r->seconds,
                    (double)r->clocks / r->seconds, (double)r->perms / secs_card, r->bytes_in / secs_card / 1e9);
        }
        fprintf(to, "\n]}\n");
    }
    if (outs[1])
        fclose(outs[1]);
    if (!json) {
        printf("fpga-sim-bench - commit %s - %s - host %s%s\n", LOOM_GIT_COMMIT, date, facts.model,
               quick ? " - QUICK" : "");
        printf("model: %s (%s), pipeline latency %u clocks (spec), %u context slots; card projected at %.0f MHz\n\n",
               fi.kernel, fi.perm, fi.perm_latency, fi.context_slots, mhz);
        printf("%-28s %7s %9s %10s %8s %7s %9s %12s %12s %9s %7s\n", "job", "rows", "perms", "clocks", "clk/perm",
               "latency", "sim s", "sim clk/s", "card Mperm/s", "card GB/s", "/PCIe");
        for (int i = 0; i < n_res; i++) {
            const result *r = &res[i];
            double secs_card = (double)r->clocks / (mhz * 1e6), gbps = r->bytes_in / secs_card / 1e9;
            printf("%-28s %7u %9llu %10llu %8.3f %7llu %9.2f %12.0f %12.1f %9.2f %7.2f\n", r->name, r->rows,
                   (unsigned long long)r->perms, (unsigned long long)r->clocks,
                   (double)r->clocks / (double)r->perms, (unsigned long long)r->latency, r->seconds,
                   (double)r->clocks / r->seconds, (double)r->perms / secs_card / 1e6, gbps,
                   gbps / PCIE_GEN3X16_GBPS);
        }
        printf("\nclocks: the job's clocks from ap_start to ap_done (fill and drain included). card GB/s: input\n"
               "bytes per second at %.0f MHz; /PCIe: that against %.2f GB/s, the raw one-way rate of PCIe Gen3 x16\n"
               "(Alveo U250; U55C: Gen3 x16 or Gen4 x8, the same %.2f GB/s).\n",
               mhz, PCIE_GEN3X16_GBPS, PCIE_GEN4X8_GBPS);
    }
    return 0;
}
