/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/test_poseidon2_rng.c - Plonky3's random-constant Poseidon2 known answers.
 *
 * Expected values: /work/shared/kat/poseidon2_{babybear,koalabear}_kat.txt, sections
 * [test_poseidon2_width_16_random] and [test_poseidon2_width_24_random], which transcribe
 * Plonky3 @ 5dc50e51436a811c62443e336f766015fecc9217, {baby-bear,koala-bear}/src/poseidon2.rs
 * (mod tests). Each permutation there is
 *     Poseidon2{BabyBear,KoalaBear}::<W>::new_from_rng_128(&mut Xoroshiro128Plus::seed_from_u64(1))
 * and the inputs go through new_array (reduced mod p; all of them are already < p).
 *
 * PRNG reference vectors: rust-random/rngs, rand_xoshiro/src/splitmix64.rs (test `reference`) and
 * rand_xoshiro/src/xoroshiro128plus.rs (test `reference`; values from Vigna's reference code).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "loom/field.h"
#include "loom/poseidon2.h"
#include "p3_rng.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- PRNG streams ---- */

/* rand_xoshiro/src/splitmix64.rs, `fn reference`: SplitMix64::seed_from_u64(1477776061723855037),
 * the first 10 of its 50 next_u64() values. */
static void test_splitmix64_reference(void **state)
{
    (void)state;
    static const uint64_t expected[] = {
        UINT64_C(1985237415132408290),  UINT64_C(2979275885539914483),
        UINT64_C(13511426838097143398), UINT64_C(8488337342461049707),
        UINT64_C(15141737807933549159), UINT64_C(17093170987380407015),
        UINT64_C(16389528042912955399), UINT64_C(13177319091862933652),
        UINT64_C(10841969400225389492), UINT64_C(17094824097954834098),
    };
    p3_splitmix64 rng;
    p3_splitmix64_seed(&rng, UINT64_C(1477776061723855037));
    for (size_t i = 0; i < ARRAY_LEN(expected); i++)
        assert_int_equal(p3_splitmix64_next_u64(&rng), expected[i]);
}

/* rand_xoshiro/src/xoroshiro128plus.rs, `fn reference`: from_seed([1,0,0,0,0,0,0,0,2,0,...,0]). */
static void test_xoroshiro128plus_reference(void **state)
{
    (void)state;
    static const uint64_t expected[] = {
        UINT64_C(3),
        UINT64_C(412333834243),
        UINT64_C(2360170716294286339),
        UINT64_C(9295852285959843169),
        UINT64_C(2797080929874688578),
        UINT64_C(6019711933173041966),
        UINT64_C(3076529664176959358),
        UINT64_C(3521761819100106140),
        UINT64_C(7493067640054542992),
        UINT64_C(920801338098114767),
    };
    const uint8_t seed[16] = {1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};
    p3_xoroshiro128plus rng;
    p3_xoroshiro128plus_from_seed(&rng, seed);
    for (size_t i = 0; i < ARRAY_LEN(expected); i++)
        assert_int_equal(p3_xoroshiro128plus_next_u64(&rng), expected[i]);
}

/*
 * Structural properties from upstream (no published numbers): seed_from_u64 = from_seed of two
 * little-endian SplitMix64 words; an all-zero seed maps to seed_from_u64(0) (rand_xoshiro test
 * `zero_seed_maps_to_seed_from_u64_zero`); next_u32 is the high half of next_u64.
 */
static void test_xoroshiro128plus_seeding(void **state)
{
    (void)state;
    p3_splitmix64 sm;
    p3_splitmix64_seed(&sm, 1);
    const uint64_t w0 = p3_splitmix64_next_u64(&sm), w1 = p3_splitmix64_next_u64(&sm);

    p3_xoroshiro128plus a;
    p3_xoroshiro128plus_seed_from_u64(&a, 1);
    assert_int_equal(a.s0, w0);
    assert_int_equal(a.s1, w1);

    const uint8_t zero[16] = {0};
    p3_xoroshiro128plus z, z0;
    p3_xoroshiro128plus_from_seed(&z, zero);
    p3_xoroshiro128plus_seed_from_u64(&z0, 0);
    assert_int_equal(z.s0, z0.s0);
    assert_int_equal(z.s1, z0.s1);
    assert_true(z.s0 != 0 || z.s1 != 0);

    p3_xoroshiro128plus b = a;
    for (int i = 0; i < 8; i++)
        assert_int_equal(p3_xoroshiro128plus_next_u32(&a), p3_xoroshiro128plus_next_u64(&b) >> 32);
}

/* ---- round numbers ---- */

/* The kat files name R_P = 13 / 21 (BabyBear 16 / 24) and 20 / 23 (KoalaBear 16 / 24); R_F = 8. */
static void test_round_numbers(void **state)
{
    (void)state;
    static const struct {
        loom_field_id field;
        unsigned width, rounds_p;
    } cases[] = {
        {LOOM_FIELD_BABYBEAR, 16, 13},
        {LOOM_FIELD_BABYBEAR, 24, 21},
        {LOOM_FIELD_KOALABEAR, 16, 20},
        {LOOM_FIELD_KOALABEAR, 24, 23},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        p3_random_perm rp;
        assert_int_equal(p3_poseidon2_from_rng(&rp, cases[i].field, cases[i].width, 1), LOOM_OK);
        assert_int_equal(rp.perm.rounds_f, 8);
        assert_int_equal(rp.perm.rounds_p, cases[i].rounds_p);
        assert_int_equal(rp.draws, 8 * cases[i].width + cases[i].rounds_p);
    }
    unsigned rf, rp;
    assert_int_equal(p3_round_numbers_128(&rf, &rp, 20, 7), LOOM_ERR_UNSUPPORTED);
    p3_random_perm bad;
    assert_int_equal(p3_poseidon2_from_rng(&bad, LOOM_FIELD_BABYBEAR, 20, 1), LOOM_ERR_NOT_FOUND);
}

/* ---- known answers ---- */

typedef struct {
    const char *what;
    loom_field_id field;
    unsigned width;
    const uint32_t *input;
    const uint32_t *expected;
} kat_case;

static const uint32_t input16[16] = {
    894848333, 1437655012, 1200606629, 1690012884, 71131202,   1749206695, 1717947831, 120589055,
    19776022,  42382981,   1831865506, 724844064,  171220207,  1299207443, 227047920,  1783754913,
};

/* babybear [test_poseidon2_width_24_random] input (differs from the KoalaBear one). */
static const uint32_t bb_input24[24] = {
    886409618,  1327899896, 1902407911, 591953491,  648428576,  1844789031,
    1198336108, 355597330,  1799586834, 59617783,   790334801,  1968791836,
    559272107,  31054313,   1042221543, 474748436,  135686258,  263665994,
    1962340735, 1741539604, 449439011,  1131357108, 50869465,   1589724894,
};

static const uint32_t kb_input24[24] = {
    886409618,  1327899896, 1902407911, 591953491,  648428576,  1844789031,
    1198336108, 355597330,  1799586834, 59617783,   790334801,  1968791836,
    559272107,  31054313,   1042221543, 474748436,  135686258,  263665994,
    1962340735, 1741539604, 2026927696, 449439011,  1131357108, 50869465,
};

static const uint32_t bb_expected16[16] = {
    1255099308, 941729227,  93609187,   112406640,  492658670,  1824768948, 812517469,  1055381989,
    670973674,  1407235524, 891397172,  1003245378, 1381303998, 1564172645, 1399931635, 1005462965,
};

static const uint32_t bb_expected24[24] = {
    249424342,  562262148,  757431114,  354243402,  57767055,   976981973,
    1393169022, 1774550827, 1527742125, 1019514605, 1776327602, 266236737,
    1412355182, 1070239213, 426390978,  1775539440, 1527732214, 1101406020,
    1417710778, 1699632661, 413672313,  820348291,  1067197851, 1669055675,
};

static const uint32_t kb_expected16[16] = {
    652590279, 1200629963, 1013089423, 1840372851, 19101828,   561050015,  1714865585, 994637181,
    498949829, 729884572,  1957973925, 263012103,  535029297,  2121808603, 964663675,  1473622080,
};

static const uint32_t kb_expected24[24] = {
    3825456,    486989921,  613714063,  282152282,  1027154688, 1171655681,
    879344953,  1090688809, 1960721991, 1604199242, 1329947150, 1535171244,
    781646521,  1156559780, 1875690339, 368140677,  457503063,  304208551,
    1919757655, 835116474,  1293372648, 1254825008, 810923913,  1773631109,
};

static const kat_case kat_bb16 = {"babybear-16", LOOM_FIELD_BABYBEAR, 16, input16, bb_expected16};
static const kat_case kat_bb24 = {"babybear-24", LOOM_FIELD_BABYBEAR, 24, bb_input24, bb_expected24};
static const kat_case kat_kb16 = {"koalabear-16", LOOM_FIELD_KOALABEAR, 16, input16, kb_expected16};
static const kat_case kat_kb24 = {"koalabear-24", LOOM_FIELD_KOALABEAR, 24, kb_input24, kb_expected24};

/* Permutes the case's input (reduced mod p, as new_array does) with `perm` into `state`. */
static void permute_input(const loom_poseidon2 *perm, const kat_case *k, uint32_t *state)
{
    const loom_field *f = loom_field_get(k->field);
    assert_non_null(f);
    for (unsigned i = 0; i < k->width; i++)
        state[i] = k->input[i] % f->p;
    loom_poseidon2_permute(perm, state);
}

static void run_kat(const kat_case *k)
{
    p3_random_perm rp;
    assert_int_equal(p3_poseidon2_from_rng(&rp, k->field, k->width, 1), LOOM_OK);
    uint32_t state[LOOM_POSEIDON2_MAX_WIDTH];
    permute_input(&rp.perm, k, state);
    for (unsigned i = 0; i < k->width; i++) {
        if (state[i] != k->expected[i])
            print_error("%s: word %u is %u, expected %u\n", k->what, i, state[i], k->expected[i]);
        assert_int_equal(state[i], k->expected[i]);
    }
}

static void test_kat_babybear_16(void **state) { (void)state; run_kat(&kat_bb16); }
static void test_kat_babybear_24(void **state) { (void)state; run_kat(&kat_bb24); }
static void test_kat_koalabear_16(void **state) { (void)state; run_kat(&kat_kb16); }
static void test_kat_koalabear_24(void **state) { (void)state; run_kat(&kat_kb24); }

/*
 * The known answers really pin the drawn constants: changing any one of them (first initial
 * external constant, last internal constant, last terminal external constant), or reading the
 * sampled 31-bit value as canonical instead of as Montgomery form, changes the output.
 */
static int output_matches(const loom_poseidon2 *perm, const kat_case *k)
{
    uint32_t state[LOOM_POSEIDON2_MAX_WIDTH];
    permute_input(perm, k, state);
    return memcmp(state, k->expected, k->width * sizeof state[0]) == 0;
}

static void test_kat_sensitivity(void **state)
{
    (void)state;
    const kat_case *cases[] = {&kat_bb16, &kat_bb24, &kat_kb16, &kat_kb24};
    for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
        const kat_case *k = cases[c];
        const loom_field *f = loom_field_get(k->field);
        p3_random_perm rp;
        assert_int_equal(p3_poseidon2_from_rng(&rp, k->field, k->width, 1), LOOM_OK);
        assert_true(output_matches(&rp.perm, k));

        uint32_t *targets[] = {&rp.rc_ext_initial[0], &rp.rc_internal[rp.perm.rounds_p - 1],
                               &rp.rc_ext_final[4 * k->width - 1]};
        for (size_t t = 0; t < ARRAY_LEN(targets); t++) {
            const uint32_t saved = *targets[t];
            *targets[t] = loom_field_add(f, saved, 1);
            assert_false(output_matches(&rp.perm, k));
            *targets[t] = saved;
        }
        assert_true(output_matches(&rp.perm, k));

        /* Canonical instead of Montgomery reading of every draw: to_monty(c) is the raw draw. */
        for (unsigned i = 0; i < 4 * k->width; i++) {
            rp.rc_ext_initial[i] = loom_field_to_monty(f, rp.rc_ext_initial[i]);
            rp.rc_ext_final[i] = loom_field_to_monty(f, rp.rc_ext_final[i]);
        }
        for (unsigned i = 0; i < rp.perm.rounds_p; i++)
            rp.rc_internal[i] = loom_field_to_monty(f, rp.rc_internal[i]);
        assert_false(output_matches(&rp.perm, k));

        /* Another seed gives another instance. */
        p3_random_perm other;
        assert_int_equal(p3_poseidon2_from_rng(&other, k->field, k->width, 2), LOOM_OK);
        assert_false(output_matches(&other.perm, k));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splitmix64_reference),
        cmocka_unit_test(test_xoroshiro128plus_reference),
        cmocka_unit_test(test_xoroshiro128plus_seeding),
        cmocka_unit_test(test_round_numbers),
        cmocka_unit_test(test_kat_babybear_16),
        cmocka_unit_test(test_kat_babybear_24),
        cmocka_unit_test(test_kat_koalabear_16),
        cmocka_unit_test(test_kat_koalabear_24),
        cmocka_unit_test(test_kat_sensitivity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
