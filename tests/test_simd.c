/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every SIMD level against the scalar reference, bit for bit: the array kernels, the batched
 * Poseidon2 entry points (all built-in instances, batch sizes around the lane counts, rows of
 * every width with partial sponge blocks) and the permutation KATs run through permute_many.
 * A level this CPU or build lacks is reported as SKIPPED by cmocka, never as a pass.
 */
#include <string.h>

#include "cpu/kernels.h"
#include "loom/field.h"
#include "loom/poseidon2.h"
#include "test_util.h"

static const loom_simd_level level_ids[LOOM_SIMD_LEVELS] = {LOOM_SIMD_SCALAR, LOOM_SIMD_AVX2, LOOM_SIMD_AVX512,
                                                            LOOM_SIMD_NEON};

static const loom_cpu_kernels *ref(void) { return &loom_kernels_scalar; }

/* The table under test, or a cmocka skip (which ends the test) if this CPU/build lacks it. */
static const loom_cpu_kernels *need(void **state)
{
    const loom_simd_level level = *(const loom_simd_level *)*state;
    const loom_cpu_kernels *k = loom_cpu_kernels_for(level);
    if (!k) {
        print_message("SKIPPED: level %s not supported by this CPU/build\n", loom_simd_name(level));
        skip();
    }
    assert_int_equal(k->level, level);
    assert_string_equal(k->name, loom_simd_name(level));
    return k;
}

static const loom_field *field(loom_field_id id)
{
    const loom_field *f = loom_field_get(id);
    assert_non_null(f);
    return f;
}

static void fill(test_rng *rng, uint32_t *v, size_t n, uint32_t p)
{
    for (size_t i = 0; i < n; i++)
        v[i] = test_element(rng, p);
}

#define GUARD 8u
#define POISON 0xdeadbeefu

/* Lengths 0..40 and 1000. */
static size_t arith_len(size_t i) { return i <= 40 ? i : 1000; }
#define ARITH_LENS 42

/* ---- add / sub / mul / sbox ---- */

static void test_arith(void **state)
{
    const loom_cpu_kernels *k = need(state), *r = ref();
    test_rng rng = {test_seed() ^ 0xa5u};
    static uint32_t a[1000 + GUARD], b[1000 + GUARD], want[1000 + GUARD], got[1000 + GUARD], alias[1000 + GUARD];
    for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++) {
        const loom_field *f = field((loom_field_id)fi);
        const uint32_t p = f->p, mu = f->mu;
        for (size_t li = 0; li < ARITH_LENS; li++) {
            const size_t n = arith_len(li);
            fill(&rng, a, n, p);
            fill(&rng, b, n, p);
            /* The bounds explicitly, including the largest product (p-1)^2. */
            const uint32_t edge[9][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, p - 1}, {p - 1, 0}, {1, p - 1},
                                         {p - 1, 1}, {p - 1, p - 1}};
            for (size_t i = 0; i < n && i < 9; i++)
                a[i] = edge[i][0], b[i] = edge[i][1];
            if (n > 9)
                a[n - 1] = b[n - 1] = p - 1;
            for (int op = 0; op < 5; op++) {
                for (size_t i = 0; i < n + GUARD; i++)
                    want[i] = got[i] = POISON;
                switch (op) {
                case 0: r->add(want, a, b, n, p), k->add(got, a, b, n, p); break;
                case 1: r->sub(want, a, b, n, p), k->sub(got, a, b, n, p); break;
                case 2: r->mul(want, a, b, n, p, mu), k->mul(got, a, b, n, p, mu); break;
                case 3: r->sbox(want, a, n, 3, p, mu), k->sbox(got, a, n, 3, p, mu); break;
                case 4: r->sbox(want, a, n, 7, p, mu), k->sbox(got, a, n, 7, p, mu); break;
                }
                if (memcmp(want, got, (n + GUARD) * sizeof *got) != 0)
                    print_message("%s: op %d differs, field %s, n %zu\n", k->name, op, f->name, n);
                assert_memory_equal(want, got, (n + GUARD) * sizeof *got);
                /* out == a is allowed */
                memcpy(alias, a, n * sizeof *a);
                switch (op) {
                case 0: k->add(alias, alias, b, n, p); break;
                case 1: k->sub(alias, alias, b, n, p); break;
                case 2: k->mul(alias, alias, b, n, p, mu); break;
                case 3: k->sbox(alias, alias, n, 3, p, mu); break;
                case 4: k->sbox(alias, alias, n, 7, p, mu); break;
                }
                assert_memory_equal(want, alias, n * sizeof *alias);
            }
        }
    }
}

/* ---- bfly2_rows / scale_row ---- */

static void test_rows(void **state)
{
    const loom_cpu_kernels *k = need(state), *r = ref();
    test_rng rng = {test_seed() ^ 0x5au};
    uint32_t a0[40 + GUARD], b0[40 + GUARD], a1[40 + GUARD], b1[40 + GUARD], a2[40 + GUARD], b2[40 + GUARD];
    for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++) {
        const loom_field *f = field((loom_field_id)fi);
        const uint32_t p = f->p, mu = f->mu;
        for (size_t cols = 0; cols <= 40; cols++) {
            for (int unit = 0; unit <= 1; unit++)
                for (int neg = 0; neg <= 1; neg++) {
                    fill(&rng, a0, cols, p);
                    fill(&rng, b0, cols, p);
                    for (size_t i = cols; i < cols + GUARD; i++)
                        a0[i] = b0[i] = POISON;
                    const uint32_t w = (cols & 3) == 0 ? p - 1 : test_element(&rng, p);
                    memcpy(a1, a0, sizeof a0), memcpy(b1, b0, sizeof b0);
                    memcpy(a2, a0, sizeof a0), memcpy(b2, b0, sizeof b0);
                    r->bfly2_rows(a1, b1, cols, w, unit, neg, p, mu);
                    k->bfly2_rows(a2, b2, cols, w, unit, neg, p, mu);
                    assert_memory_equal(a1, a2, sizeof a1);
                    assert_memory_equal(b1, b2, sizeof b1);
                }
            fill(&rng, a0, cols, p);
            for (size_t i = cols; i < cols + GUARD; i++)
                a0[i] = POISON;
            const uint32_t s = test_element(&rng, p);
            memcpy(a1, a0, sizeof a0), memcpy(a2, a0, sizeof a0);
            r->scale_row(a1, cols, s, p, mu);
            k->scale_row(a2, cols, s, p, mu);
            assert_memory_equal(a1, a2, sizeof a1);
        }
    }
}

/* ---- permute_many ---- */

static void test_permute_many(void **state)
{
    const loom_cpu_kernels *k = need(state), *r = ref();
    test_rng rng = {test_seed() ^ 0x77u};
    static const size_t counts[] = {1, 7, 8, 9, 15, 16, 17, 33};
    static uint32_t want[33 * LOOM_POSEIDON2_MAX_WIDTH + GUARD], got[33 * LOOM_POSEIDON2_MAX_WIDTH + GUARD];
    for (size_t pi = 0; pi < loom_poseidon2_count(); pi++) {
        const loom_poseidon2 *perm = loom_poseidon2_at(pi);
        const uint32_t p = field(perm->field)->p;
        for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
            const size_t n = counts[ci], words = n * perm->width;
            fill(&rng, want, words, p);
            for (size_t i = words; i < words + GUARD; i++)
                want[i] = POISON;
            memcpy(got, want, (words + GUARD) * sizeof *got);
            r->permute_many(perm, want, n);
            k->permute_many(perm, got, n);
            if (memcmp(want, got, (words + GUARD) * sizeof *got) != 0)
                print_message("%s: permute_many differs for %s, n %zu\n", k->name, perm->name, n);
            assert_memory_equal(want, got, (words + GUARD) * sizeof *got);
        }
    }
}

/* ---- the published permutation KATs, through permute_many (17 copies: vector + tail) ---- */

static const uint32_t kat_in16[16] = {894848333, 1437655012, 1200606629, 1690012884, 71131202,  1749206695,
                                      1717947831, 120589055,  19776022,   42382981,   1831865506, 724844064,
                                      171220207,  1299207443, 227047920,  1783754913};
/* 2026927696 >= p (BabyBear): reduced mod p before use, as Plonky3's new_array does. */
static const uint32_t kat_in24[24] = {886409618, 1327899896, 1902407911, 591953491,  648428576,  1844789031,
                                      1198336108, 355597330,  1799586834, 59617783,   790334801,  1968791836,
                                      559272107,  31054313,   1042221543, 474748436,  135686258,  263665994,
                                      1962340735, 1741539604, 2026927696, 449439011,  1131357108, 50869465};
static const uint32_t kat_zero[16] = {0};

static const struct {
    const char *name;
    const uint32_t *in;
    uint32_t out[LOOM_POSEIDON2_MAX_WIDTH];
} kats[] = {
    {"babybear-plonky3-16", kat_in16,
     {516096821, 90309867, 1101817252, 1660784290, 360715097, 1789519026, 1788910906, 563338433, 319524748,
      1741414159, 1650859320, 894311162, 1121347488, 1692793758, 1052633829, 1344246938}},
    {"babybear-plonky3-24", kat_in24,
     {882297297, 1264077610, 512812497, 782602970, 867738552, 1251075457, 309180082, 340784773,
      524041877, 351272188, 404451680, 15001466,  322926653, 1773004150, 1718440818, 674682955,
      1154713225, 1719133502, 324232301, 1005243141, 443371079, 268735940, 770060019, 718377682}},
    {"koalabear-plonky3-16", kat_in16,
     {1934285469, 604889435, 133449501, 1026180808, 1830659359, 176667110, 1391183747, 351743874, 1238264085,
      1292768839, 2023573270, 1201586780, 1360691759, 1230682461, 748270449, 651545025}},
    {"koalabear-plonky3-24", kat_in24,
     {382801106, 82839311, 1503190615, 1987418517, 854076995, 1862291425, 262755189, 1050814217,
      722724562, 741265943, 1026879332, 754316749, 1966025564, 1518878196, 502200188, 1368172258,
      845459257, 1711434837, 724453836, 171032289, 655223446, 1098636135, 407832555, 1707498914}},
    {"babybear-sp1-16", kat_zero,
     {348670919, 1568590631, 1535107508, 186917780, 587749971, 1827585060, 1218809104, 691692291, 1480664293,
      1491566329, 366224457, 490018300, 732772134, 560796067, 484676252, 405025962}},
    {"koalabear-sp1-16", kat_zero,
     {145589356, 1876041682, 1734203622, 499355069, 673349476, 595701365, 270340205, 131707822, 1236787881,
      1085405948, 2065733208, 1999012278, 2062318124, 1616707536, 324813015, 749520722}},
};

static void test_kat(void **state)
{
    const loom_cpu_kernels *k = need(state);
    enum { COPIES = 17 };
    static uint32_t s[COPIES * LOOM_POSEIDON2_MAX_WIDTH];
    for (size_t ki = 0; ki < sizeof kats / sizeof kats[0]; ki++) {
        const loom_poseidon2 *perm = NULL;
        assert_int_equal(loom_poseidon2_by_name(&perm, kats[ki].name), LOOM_OK);
        const uint32_t p = field(perm->field)->p, w = perm->width;
        for (size_t c = 0; c < COPIES; c++)
            for (size_t i = 0; i < w; i++)
                s[c * w + i] = kats[ki].in[i] % p;
        k->permute_many(perm, s, COPIES);
        for (size_t c = 0; c < COPIES; c++) {
            if (memcmp(s + c * w, kats[ki].out, w * sizeof *s) != 0)
                print_message("%s: KAT %s differs in copy %zu\n", k->name, kats[ki].name, c);
            assert_memory_equal(s + c * w, kats[ki].out, w * sizeof *s);
        }
    }
    /* The brief's spot check, spelled out. */
    const loom_poseidon2 *bb = NULL;
    assert_int_equal(loom_poseidon2_by_name(&bb, "babybear-plonky3-16"), LOOM_OK);
    uint32_t one[16];
    memcpy(one, kat_in16, sizeof one);
    k->permute_many(bb, one, 1);
    assert_int_equal(one[0], 516096821u);
    assert_int_equal(one[15], 1344246938u);
}

/* ---- hash_rows ---- */

static void test_hash_rows(void **state)
{
    const loom_cpu_kernels *k = need(state), *r = ref();
    test_rng rng = {test_seed() ^ 0x99u};
    static const size_t row_counts[] = {1, 7, 8, 9, 15, 16, 17};
    enum { MAX_ROWS = 17, MAX_COLS = 64, MAX_STRIDE = MAX_COLS + 5 };
    static uint32_t m[MAX_ROWS * MAX_STRIDE];
    loom_digest want[MAX_ROWS + 1], got[MAX_ROWS + 1];
    for (size_t pi = 0; pi < loom_poseidon2_count(); pi++) {
        const loom_poseidon2 *perm = loom_poseidon2_at(pi);
        const uint32_t p = field(perm->field)->p;
        for (size_t cols = 0; cols <= 25; cols++) {
            const size_t c = cols == 25 ? 64 : cols;
            for (size_t extra = 0; extra <= 5; extra += 5) {
                const size_t stride = c + extra;
                for (size_t ri = 0; ri < sizeof row_counts / sizeof row_counts[0]; ri++) {
                    const size_t rows = row_counts[ri];
                    /* The gap between rows holds values >= p: a kernel that reads past a row's
                     * end (e.g. a partial block loaded in full) gets a different digest. */
                    for (size_t i = 0; i < rows * stride; i++)
                        m[i] = (i % stride) < c ? test_element(&rng, p) : POISON;
                    memset(want, 0xa5, sizeof want);
                    memset(got, 0xa5, sizeof got);
                    r->hash_rows(perm, want, m, rows, c, stride);
                    k->hash_rows(perm, got, m, rows, c, stride);
                    if (memcmp(want, got, sizeof want) != 0)
                        print_message("%s: hash_rows differs for %s, rows %zu, cols %zu, stride %zu\n", k->name,
                                      perm->name, rows, c, stride);
                    assert_memory_equal(want, got, sizeof want);
                }
            }
        }
    }
}

/* ---- compress ---- */

static void test_compress(void **state)
{
    const loom_cpu_kernels *k = need(state), *r = ref();
    test_rng rng = {test_seed() ^ 0x33u};
    static loom_digest in[2 * 33], want[34], got[34];
    for (size_t pi = 0; pi < loom_poseidon2_count(); pi++) {
        const loom_poseidon2 *perm = loom_poseidon2_at(pi);
        const uint32_t p = field(perm->field)->p;
        for (size_t n = 0; n <= 33; n++) {
            for (size_t i = 0; i < 2 * n; i++)
                fill(&rng, in[i].v, LOOM_DIGEST_WORDS, p);
            memset(want, 0x5a, sizeof want);
            memset(got, 0x5a, sizeof got);
            r->compress(perm, want, in, n);
            k->compress(perm, got, in, n);
            if (memcmp(want, got, sizeof want) != 0)
                print_message("%s: compress differs for %s, n_out %zu\n", k->name, perm->name, n);
            assert_memory_equal(want, got, sizeof want);
        }
    }
}

/* ---- an instance built by the caller (no precomputed constants): the scalar fallback ---- */

static void test_caller_instance(void **state)
{
    const loom_cpu_kernels *k = need(state), *r = ref();
    test_rng rng = {test_seed() ^ 0x11u};
    for (size_t pi = 0; pi < loom_poseidon2_count(); pi++) {
        const loom_poseidon2 *builtin = loom_poseidon2_at(pi);
        const loom_poseidon2 copy = *builtin; /* same numbers, not a table entry */
        const uint32_t p = field(builtin->field)->p;
        uint32_t want[17 * LOOM_POSEIDON2_MAX_WIDTH], got[17 * LOOM_POSEIDON2_MAX_WIDTH];
        fill(&rng, want, 17 * builtin->width, p);
        memcpy(got, want, sizeof want);
        r->permute_many(builtin, want, 17);
        k->permute_many(&copy, got, 17);
        assert_memory_equal(want, got, 17 * builtin->width * sizeof *got);

        uint32_t m[17 * 11];
        fill(&rng, m, 17 * 11, p);
        loom_digest dw[17], dg[17];
        r->hash_rows(builtin, dw, m, 17, 11, 11);
        k->hash_rows(&copy, dg, m, 17, 11, 11);
        assert_memory_equal(dw, dg, sizeof dw);
        loom_digest in[34];
        for (size_t i = 0; i < 34; i++)
            fill(&rng, in[i].v, LOOM_DIGEST_WORDS, p);
        r->compress(builtin, dw, in, 17);
        k->compress(&copy, dg, in, 17);
        assert_memory_equal(dw, dg, sizeof dw);
    }
}

/* One cmocka test per (check, level), named e.g. "permute_many/avx2". */
#define ONE(fn, lv, lvname) {#fn "/" lvname, fn, NULL, NULL, (void *)&level_ids[lv]}
#define PER_LEVEL(fn)                                                                                              \
    ONE(fn, LOOM_SIMD_SCALAR, "scalar"), ONE(fn, LOOM_SIMD_AVX2, "avx2"), ONE(fn, LOOM_SIMD_AVX512, "avx512"),    \
        ONE(fn, LOOM_SIMD_NEON, "neon")

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        PER_LEVEL(test_arith),        PER_LEVEL(test_rows),     PER_LEVEL(test_permute_many),
        PER_LEVEL(test_kat),          PER_LEVEL(test_hash_rows), PER_LEVEL(test_compress),
        PER_LEVEL(test_caller_instance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
