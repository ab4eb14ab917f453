/* SPDX-License-Identifier: Apache-2.0 */
/* Known-answer tests: Plonky3's and SP1's published permutation tests (shared/kat/), and the
 * derived sponge / compression vectors of merkle_sponge_spec.txt. */
#include <string.h>

#include "loom/poseidon2.h"
#include "test_util.h"

static const loom_poseidon2 *get(const char *name)
{
    const loom_poseidon2 *p = NULL;
    assert_int_equal(loom_poseidon2_by_name(&p, name), LOOM_OK);
    return p;
}

static void check_perm(const char *name, const uint32_t *in, const uint32_t *expect)
{
    const loom_poseidon2 *p = get(name);
    uint32_t s[LOOM_POSEIDON2_MAX_WIDTH];
    memcpy(s, in, p->width * sizeof *s);
    loom_poseidon2_permute(p, s);
    assert_memory_equal(s, expect, p->width * sizeof *s);
}

static const uint32_t in16[16] = {894848333, 1437655012, 1200606629, 1690012884, 71131202,  1749206695,
                                  1717947831, 120589055,  19776022,   42382981,   1831865506, 724844064,
                                  171220207,  1299207443, 227047920,  1783754913};
/* 2026927696 >= p: Plonky3's BabyBear::new_array reduces it mod p (2026927696 - p = 13661775). */
static const uint32_t in24_raw[24] = {886409618, 1327899896, 1902407911, 591953491,  648428576,  1844789031,
                                      1198336108, 355597330,  1799586834, 59617783,   790334801,  1968791836,
                                      559272107,  31054313,   1042221543, 474748436,  135686258,  263665994,
                                      1962340735, 1741539604, 2026927696, 449439011,  1131357108, 50869465};

static void reduce(uint32_t *out, const uint32_t *in, size_t n, uint32_t p)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] % p;
}

static void test_plonky3_babybear(void **state)
{
    (void)state;
    static const uint32_t e16[16] = {516096821,  90309867,   1101817252, 1660784290, 360715097, 1789519026,
                                     1788910906, 563338433,  319524748,  1741414159, 1650859320, 894311162,
                                     1121347488, 1692793758, 1052633829, 1344246938};
    static const uint32_t e24[24] = {882297297, 1264077610, 512812497, 782602970,  867738552,  1251075457,
                                     309180082, 340784773,  524041877, 351272188,  404451680,  15001466,
                                     322926653, 1773004150, 1718440818, 674682955, 1154713225, 1719133502,
                                     324232301, 1005243141, 443371079, 268735940,  770060019,  718377682};
    check_perm("babybear-plonky3-16", in16, e16);
    uint32_t in24[24];
    reduce(in24, in24_raw, 24, 0x78000001u);
    check_perm("babybear-plonky3-24", in24, e24);
}

static void test_plonky3_koalabear(void **state)
{
    (void)state;
    static const uint32_t e16[16] = {1934285469, 604889435,  133449501,  1026180808, 1830659359, 176667110,
                                     1391183747, 351743874,  1238264085, 1292768839, 2023573270, 1201586780,
                                     1360691759, 1230682461, 748270449,  651545025};
    static const uint32_t e24[24] = {382801106, 82839311,   1503190615, 1987418517, 854076995,  1862291425,
                                     262755189, 1050814217, 722724562,  741265943,  1026879332, 754316749,
                                     1966025564, 1518878196, 502200188, 1368172258, 845459257,  1711434837,
                                     724453836, 171032289,  655223446,  1098636135, 407832555,  1707498914};
    check_perm("koalabear-plonky3-16", in16, e16);
    uint32_t in24[24];
    reduce(in24, in24_raw, 24, 0x7f000001u);
    check_perm("koalabear-plonky3-24", in24, e24);
    /* derived: perm24([0..23]) */
    static const uint32_t d24[24] = {723511737,  87131171,   587052829,  1323145575, 949917837, 2060493993,
                                     234724110,  834906887,  306751607,  1771020267, 329216878, 823818173,
                                     765507096,  1447982946, 605505945,  247386051,  1223069940, 354661286,
                                     233493652,  2075130821, 1961191294, 313483662,  1701936810, 1815724394};
    uint32_t iota[24];
    for (int i = 0; i < 24; i++)
        iota[i] = (uint32_t)i;
    check_perm("koalabear-plonky3-24", iota, d24);
}

static void test_sp1(void **state)
{
    (void)state;
    static const uint32_t zero[16] = {0};
    /* SP1 v5 TestPoseidonBabyBear2 and SP1 v6 TestPoseidonKoalaBear2 (gnark-ffi main.go) */
    static const uint32_t bb[16] = {348670919,  1568590631, 1535107508, 186917780, 587749971, 1827585060,
                                    1218809104, 691692291,  1480664293, 1491566329, 366224457, 490018300,
                                    732772134,  560796067,  484676252,  405025962};
    static const uint32_t kb[16] = {145589356,  1876041682, 1734203622, 499355069,  673349476,  595701365,
                                    270340205,  131707822,  1236787881, 1085405948, 2065733208, 1999012278,
                                    2062318124, 1616707536, 324813015,  749520722};
    check_perm("babybear-sp1-16", zero, bb);
    check_perm("koalabear-sp1-16", zero, kb);
}

static void check_digest(loom_digest d, const uint32_t *e) { assert_memory_equal(d.v, e, sizeof d.v); }

static void test_sponge_and_compress(void **state)
{
    (void)state;
    uint32_t x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (uint32_t)i;
    const loom_poseidon2 *bb = get("babybear-plonky3-16"), *kb = get("koalabear-plonky3-16");
    static const uint32_t zero8[8] = {0};
    check_digest(loom_poseidon2_hash(bb, x, 0), zero8);
    static const uint32_t bb8[8] = {458038305, 257183205, 1951318676, 729287742, 1357995677, 631765864, 502434224, 1170329282};
    static const uint32_t bb10[8] = {109871766, 1072162525, 734734822, 1779529182, 851455702, 1097548423, 803475089, 1040688773};
    static const uint32_t bb16[8] = {568621648, 260560799, 1787535874, 764831861, 341748543, 546488453, 1028837269, 1917944385};
    static const uint32_t bbc[8] = {1906786279, 1737026427, 1959749225, 700325316, 1638050605, 1021608788, 1726691001, 1761127344};
    check_digest(loom_poseidon2_hash(bb, x, 8), bb8);
    check_digest(loom_poseidon2_hash(bb, x, 10), bb10);
    check_digest(loom_poseidon2_hash(bb, x, 16), bb16);
    loom_digest l, r;
    memcpy(l.v, x, 32);
    memcpy(r.v, x + 8, 32);
    check_digest(loom_poseidon2_compress(bb, &l, &r), bbc);

    static const uint32_t kb8[8] = {966837595, 1699035679, 1922113316, 2023906830, 809021653, 1488168764, 817789182, 1446614690};
    static const uint32_t kb10[8] = {1829332974, 214160157, 1782021503, 830518975, 1989553459, 380686147, 1207176859, 1206790484};
    static const uint32_t kb16[8] = {2093465132, 1938411931, 339653216, 887899196, 588109084, 84644453, 365237898, 96671732};
    static const uint32_t kbc[8] = {1259554834, 663463928, 1989430097, 476523442, 836740795, 1803459961, 1229318262, 2023956904};
    check_digest(loom_poseidon2_hash(kb, x, 0), zero8);
    check_digest(loom_poseidon2_hash(kb, x, 8), kb8);
    check_digest(loom_poseidon2_hash(kb, x, 10), kb10);
    check_digest(loom_poseidon2_hash(kb, x, 16), kb16);
    check_digest(loom_poseidon2_compress(kb, &l, &r), kbc);

    static const uint32_t sbb8[8] = {1555239580, 128631211, 1684116930, 960411431, 1807324752, 830205910, 570023255, 721299314};
    static const uint32_t skb8[8] = {554843011, 566956948, 1693752766, 1645718800, 1671679848, 2065086371, 1491476345, 865861139};
    check_digest(loom_poseidon2_hash(get("babybear-sp1-16"), x, 8), sbb8);
    check_digest(loom_poseidon2_hash(get("koalabear-sp1-16"), x, 8), skb8);
}

static void test_hash_rows_and_levels(void **state)
{
    (void)state;
    test_rng rng = {test_seed()};
    const loom_poseidon2 *p = get("babybear-plonky3-16");
    for (size_t cols = 1; cols <= 24; cols++) {
        uint32_t m[5 * 24 + 3];
        size_t stride = cols + 3;
        for (size_t i = 0; i < 5 * stride && i < sizeof m / 4; i++)
            m[i] = test_element(&rng, 0x78000001u);
        loom_digest out[5];
        loom_poseidon2_hash_rows(p, out, m, 4, cols, stride);
        for (size_t r = 0; r < 4; r++) {
            loom_digest d = loom_poseidon2_hash(p, m + r * stride, cols);
            assert_memory_equal(&d, &out[r], sizeof d);
        }
    }
    loom_digest in[8], out[4];
    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 8; k++)
            in[i].v[k] = test_element(&rng, 0x78000001u);
    loom_poseidon2_compress_level(p, out, in, 4);
    for (int i = 0; i < 4; i++) {
        loom_digest d = loom_poseidon2_compress(p, &in[2 * i], &in[2 * i + 1]);
        assert_memory_equal(&d, &out[i], sizeof d);
    }
}

static void test_lookup(void **state)
{
    (void)state;
    const loom_poseidon2 *p;
    assert_int_equal(loom_poseidon2_get(&p, LOOM_FIELD_KOALABEAR, LOOM_PERM_SP1, 16), LOOM_OK);
    assert_string_equal(p->name, "koalabear-sp1-16");
    assert_int_equal(loom_poseidon2_get(&p, LOOM_FIELD_BABYBEAR, LOOM_PERM_SP1, 24), LOOM_ERR_NOT_FOUND);
    assert_non_null(strstr(loom_last_error(), "width 24"));
    assert_int_equal(loom_poseidon2_by_name(&p, "babybear-16"), LOOM_ERR_NOT_FOUND);
    loom_perm_family fam;
    assert_int_equal(loom_perm_family_by_name(&fam, "sp1"), LOOM_OK);
    assert_int_equal(fam, LOOM_PERM_SP1);
    assert_int_equal(loom_perm_family_by_name(&fam, "SP1"), LOOM_ERR_NOT_FOUND);
    assert_int_equal(loom_poseidon2_count(), 6);
    assert_null(loom_poseidon2_at(6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plonky3_babybear),    cmocka_unit_test(test_plonky3_koalabear),
        cmocka_unit_test(test_sp1),                 cmocka_unit_test(test_sponge_and_compress),
        cmocka_unit_test(test_hash_rows_and_levels), cmocka_unit_test(test_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
