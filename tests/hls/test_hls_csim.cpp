// SPDX-License-Identifier: Apache-2.0
// C simulation of the HLS Poseidon2 kernel (hls/), compiled with g++: the kernel's own source runs
// as plain C++ and its digests are compared with libloom's CPU path. One main() that returns the
// number of errors (Vitis test-bench style), run by ctest.
//
// Covers: the published / derived known-answer vectors (shared/kat), random rows of widths 1..40
// (and a few wider ones that cross tiles) against loom_poseidon2_hash_rows, compression against
// loom_poseidon2_compress_level, and edge cases (n_rows = 0, row_len = 0, 1, 8, 9, 16, 17, values
// 0 and p - 1, an unknown mode). Every call also checks that nothing past the digests was written
// and that every FIFO between the dataflow processes was drained (a count mismatch there would
// hang the hardware).
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernel_config.h"
#include "loom/poseidon2.h"
#include "loom_hls_stream.h"
#include "loom_p2_consts.h"
#include "loom_p2_hash.h"

static unsigned errors;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            errors++;                                                                              \
            std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                              \
            std::fprintf(stderr, __VA_ARGS__);                                                     \
            std::fputc('\n', stderr);                                                              \
        }                                                                                          \
    } while (0)

static const uint32_t CANARY = 0xdeadbeefu;
static const uint32_t P = loom_p2c::P;

struct rng {
    uint64_t s;
    uint64_t next()
    {
        uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // A canonical element, with 0, 1 and p - 1 over-represented.
    uint32_t element()
    {
        const uint64_t x = next();
        switch (x & 15) {
        case 0: return 0;
        case 1: return 1;
        case 2: return P - 1;
        default: return (uint32_t)((x >> 8) % P);
        }
    }
};

static const loom_poseidon2 *perm;

// Runs the kernel on `in` and returns its n_rows digests. Also checks that the words after the
// digests kept their canary, that an odd count zeroes the unused half word, and that the FIFOs
// were drained.
static std::vector<loom_digest> run(const std::vector<uint32_t> &in, uint32_t n_rows, uint32_t row_len,
                                    uint32_t mode, const char *what)
{
    std::vector<loom_w512> src((in.size() + 15) / 16 + 1);
    for (auto &w : src)
        for (auto &x : w.v)
            x = 0xffffffffu;  // not canonical: a read past the data would spoil a digest
    if (!in.empty())
        std::memcpy(src.data(), in.data(), in.size() * sizeof in[0]);
    const bool writes = mode == LOOM_HLS_MODE_HASH || mode == LOOM_HLS_MODE_COMPRESS;
    const size_t words_out = writes ? (n_rows + 1) / 2 : 0;
    std::vector<loom_w512> dst(words_out + 2);
    for (auto &w : dst)
        for (auto &x : w.v)
            x = CANARY;

    const unsigned long stream_errors = loom_hls_stream_errors();
    loom_p2_hash(src.data(), dst.data(), n_rows, row_len, mode);
    CHECK(loom_hls_stream_errors() == stream_errors, "%s: a FIFO was read while empty or left holding data", what);

    for (size_t w = words_out; w < dst.size(); w++)
        for (unsigned j = 0; j < 16; j++)
            CHECK(dst[w].v[j] == CANARY, "%s: word %zu past the %" PRIu32 " digests was written", what, w, n_rows);
    if (writes && (n_rows & 1))
        for (unsigned j = 8; j < 16; j++)
            CHECK(dst[words_out - 1].v[j] == 0, "%s: unused half of the last word is %#x, expected 0", what,
                  dst[words_out - 1].v[j]);
    std::vector<loom_digest> out(writes ? n_rows : 0);
    for (size_t i = 0; i < out.size(); i++)
        std::memcpy(out[i].v, &dst[i / 2].v[8 * (i & 1)], sizeof out[i].v);
    return out;
}

static void expect_digest(const loom_digest &got, const uint32_t *want, const char *what, size_t row)
{
    if (std::memcmp(got.v, want, sizeof got.v) != 0) {
        errors++;
        std::fprintf(stderr, "FAIL %s, digest %zu:\n  got ", what, row);
        for (unsigned j = 0; j < 8; j++)
            std::fprintf(stderr, " %u", got.v[j]);
        std::fprintf(stderr, "\n  want");
        for (unsigned j = 0; j < 8; j++)
            std::fprintf(stderr, " %u", want[j]);
        std::fputc('\n', stderr);
    }
}

// Rows of width row_len against the CPU path (libloom).
static void check_rows(const std::vector<uint32_t> &m, uint32_t n_rows, uint32_t row_len, const char *what)
{
    std::vector<loom_digest> want(n_rows);
    if (n_rows)
        loom_poseidon2_hash_rows(perm, want.data(), m.data(), n_rows, row_len, row_len);
    const std::vector<loom_digest> got = run(m, n_rows, row_len, LOOM_HLS_MODE_HASH, what);
    for (uint32_t i = 0; i < n_rows && i < got.size(); i++)
        expect_digest(got[i], want[i].v, what, i);
}

static void check_pairs(const std::vector<uint32_t> &in, uint32_t n_out, const char *what)
{
    std::vector<loom_digest> want(n_out);
    if (n_out)
        loom_poseidon2_compress_level(perm, want.data(), reinterpret_cast<const loom_digest *>(in.data()), n_out);
    const std::vector<loom_digest> got = run(in, n_out, 0, LOOM_HLS_MODE_COMPRESS, what);
    for (uint32_t i = 0; i < n_out && i < got.size(); i++)
        expect_digest(got[i], want[i].v, what, i);
}

// Known answers (shared/kat/merkle_sponge_spec.txt, poseidon2_*_kat.txt) for the instances the
// kernel is built for in CI.
struct kat {
    const char *instance;
    uint32_t hash8[8], hash10[8], hash16[8], compress[8];
    uint32_t perm_out[8];  // first 8 words of Plonky3's published perm(PERM_IN) test
};
static const uint32_t PERM_IN[16] = {894848333, 1437655012, 1200606629, 1690012884, 71131202,   1749206695,
                                     1717947831, 120589055, 19776022,   42382981,   1831865506, 724844064,
                                     171220207,  1299207443, 227047920, 1783754913};
static const kat KATS[] = {
    {"babybear-plonky3-16",
     {458038305, 257183205, 1951318676, 729287742, 1357995677, 631765864, 502434224, 1170329282},
     {109871766, 1072162525, 734734822, 1779529182, 851455702, 1097548423, 803475089, 1040688773},
     {568621648, 260560799, 1787535874, 764831861, 341748543, 546488453, 1028837269, 1917944385},
     {1906786279, 1737026427, 1959749225, 700325316, 1638050605, 1021608788, 1726691001, 1761127344},
     {516096821, 90309867, 1101817252, 1660784290, 360715097, 1789519026, 1788910906, 563338433}},
    {"koalabear-plonky3-16",
     {966837595, 1699035679, 1922113316, 2023906830, 809021653, 1488168764, 817789182, 1446614690},
     {1829332974, 214160157, 1782021503, 830518975, 1989553459, 380686147, 1207176859, 1206790484},
     {2093465132, 1938411931, 339653216, 887899196, 588109084, 84644453, 365237898, 96671732},
     {1259554834, 663463928, 1989430097, 476523442, 836740795, 1803459961, 1229318262, 2023956904},
     {1934285469, 604889435, 133449501, 1026180808, 1830659359, 176667110, 1391183747, 351743874}},
};

static void test_kat()
{
    const kat *k = nullptr;
    for (const kat &c : KATS)
        if (std::strcmp(c.instance, LOOM_P2_INSTANCE) == 0)
            k = &c;
    CHECK(k, "no known-answer vectors in this test bench for %s", LOOM_P2_INSTANCE);
    if (!k)
        return;
    std::vector<uint32_t> iota(16);
    for (uint32_t i = 0; i < 16; i++)
        iota[i] = i;
    // hash([0..n)) for n = 8, 10, 16: one row of n elements.
    const struct {
        uint32_t n;
        const uint32_t *want;
    } rows[] = {{8, k->hash8}, {10, k->hash10}, {16, k->hash16}};
    for (const auto &r : rows) {
        char what[64];
        std::snprintf(what, sizeof what, "KAT hash([0..%u))", r.n);
        std::vector<uint32_t> m(iota.begin(), iota.begin() + r.n);
        const auto got = run(m, 1, r.n, LOOM_HLS_MODE_HASH, what);
        if (got.size() == 1)
            expect_digest(got[0], r.want, what, 0);
    }
    auto got = run(iota, 1, 0, LOOM_HLS_MODE_COMPRESS, "KAT compress([0..8), [8..16))");
    if (got.size() == 1)
        expect_digest(got[0], k->compress, "KAT compress([0..8), [8..16))", 0);
    // compress(a, b) is the first half of perm(a || b): Plonky3's published permutation test.
    std::vector<uint32_t> pin(PERM_IN, PERM_IN + 16);
    got = run(pin, 1, 0, LOOM_HLS_MODE_COMPRESS, "KAT Plonky3 permutation test");
    if (got.size() == 1)
        expect_digest(got[0], k->perm_out, "KAT Plonky3 permutation test", 0);
    static const uint32_t zero[8] = {0};
    got = run({}, 3, 0, LOOM_HLS_MODE_HASH, "KAT hash([]) (row_len 0)");
    for (size_t i = 0; i < got.size(); i++)
        expect_digest(got[i], zero, "KAT hash([]) (row_len 0)", i);
}

static std::vector<uint32_t> random_matrix(rng &r, size_t n)
{
    std::vector<uint32_t> m(n);
    for (auto &x : m)
        x = r.element();
    return m;
}

static void test_random_rows(rng &r)
{
    const uint32_t lanes = LOOM_HLS_LANES;
    for (uint32_t w = 1; w <= 40; w++) {
        // Row counts around the group size as well as small ones.
        const uint32_t counts[] = {1 + (uint32_t)(r.next() % 37), lanes + 1 + (uint32_t)(r.next() % 5)};
        for (uint32_t n : counts) {
            if (n > 4096)
                continue;
            char what[64];
            std::snprintf(what, sizeof what, "random %u rows x %u", n, w);
            check_rows(random_matrix(r, (size_t)n * w), n, w, what);
        }
    }
    // Wider rows: several tiles per row with the default tile, odd tails.
    const uint32_t wide[] = {63, 64, 65, 100, 129, 137};
    for (uint32_t w : wide) {
        const uint32_t n = 1 + (uint32_t)(r.next() % 23);
        char what[64];
        std::snprintf(what, sizeof what, "random %u rows x %u", n, w);
        check_rows(random_matrix(r, (size_t)n * w), n, w, what);
    }
}

static void test_compress(rng &r)
{
    const uint32_t counts[] = {1, 2, 3, 7, 64, LOOM_HLS_LANES + 3, 1 + (uint32_t)(r.next() % 200)};
    for (uint32_t n : counts) {
        char what[64];
        std::snprintf(what, sizeof what, "compress %u pairs", n);
        check_pairs(random_matrix(r, (size_t)n * 16), n, what);
    }
}

static void test_edges(rng &r)
{
    // Nothing is read or written for zero rows, in either mode, nor for an unknown mode.
    run({}, 0, 5, LOOM_HLS_MODE_HASH, "hash n_rows = 0");
    run({}, 0, 0, LOOM_HLS_MODE_COMPRESS, "compress n_rows = 0");
    std::vector<uint32_t> some = random_matrix(r, 64);
    auto got = run(some, 4, 16, 2, "mode 2");
    CHECK(got.empty(), "mode 2 returned digests");
    got = run(some, 4, 16, 0xffffffffu, "mode 0xffffffff");

    const uint32_t lens[] = {1, 8, 9, 16, 17};
    const uint32_t n = 2 * LOOM_HLS_LANES + 1 < 64 ? 2 * LOOM_HLS_LANES + 1 : 37;
    for (uint32_t len : lens) {
        char what[64];
        std::snprintf(what, sizeof what, "edge %u rows x %u", n, len);
        check_rows(random_matrix(r, (size_t)n * len), n, len, what);
        std::vector<uint32_t> top((size_t)n * len, P - 1), zero((size_t)n * len, 0);
        std::snprintf(what, sizeof what, "edge %u rows x %u of p - 1", n, len);
        check_rows(top, n, len, what);
        std::snprintf(what, sizeof what, "edge %u rows x %u of 0", n, len);
        check_rows(zero, n, len, what);
    }
    std::vector<uint32_t> tops(16 * 5, P - 1);
    check_pairs(tops, 5, "compress pairs of p - 1");
}

int main()
{
    if (loom_poseidon2_by_name(&perm, LOOM_P2_INSTANCE) != LOOM_OK) {
        std::fprintf(stderr, "%s\n", loom_last_error());
        return 1;
    }
    const char *e = std::getenv("LOOM_TEST_SEED");
    const uint64_t seed = e ? std::strtoull(e, nullptr, 0) : 0x10037u;
    std::printf("# HLS C simulation: %s, LANES %u, TILE_BLOCKS %u\n", LOOM_P2_INSTANCE, (unsigned)LOOM_HLS_LANES,
                (unsigned)LOOM_HLS_TILE_BLOCKS);
    std::printf("# random seed %" PRIu64 " (set LOOM_TEST_SEED to replay another)\n", seed);
    rng r{seed};
    test_kat();
    test_random_rows(r);
    test_compress(r);
    test_edges(r);
    std::printf("%s: %u error%s\n", errors ? "FAILED" : "PASSED", errors, errors == 1 ? "" : "s");
    return errors > 255 ? 255 : (int)errors;
}
