/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "loom/field.h"
#include "test_util.h"

static uint32_t ref_mul(uint32_t a, uint32_t b, uint32_t p) { return (uint32_t)((uint64_t)a * b % p); }

static void test_tables(void **state)
{
    (void)state;
    const loom_field *bb = loom_field_get(LOOM_FIELD_BABYBEAR), *kb = loom_field_get(LOOM_FIELD_KOALABEAR);
    assert_int_equal(bb->p, 0x78000001u);
    assert_int_equal(kb->p, 0x7f000001u);
    assert_null(loom_field_get((loom_field_id)7));
    const loom_field *fs[2] = {bb, kb};
    for (int i = 0; i < 2; i++) {
        const loom_field *f = fs[i];
        assert_int_equal((uint32_t)(f->p * f->mu), 1u);
        assert_int_equal(f->r_mod_p, (uint32_t)((1ull << 32) % f->p));
        /* two_adic_generators[k] has order exactly 2^k */
        for (unsigned k = 1; k <= f->two_adicity; k++) {
            uint32_t g = f->two_adic_generators[k];
            assert_int_equal(loom_field_pow(f, g, 1ull << k), 1u);
            assert_int_equal(loom_field_pow(f, g, 1ull << (k - 1)), f->p - 1);
            assert_int_equal(loom_field_mul(f, g, g), f->two_adic_generators[k - 1]);
        }
        /* the generator generates: g^((p-1)/q) != 1 for each prime q of p - 1 = r * 2^k */
        uint32_t r = (f->p - 1) >> f->two_adicity;
        assert_int_not_equal(loom_field_pow(f, f->generator, (f->p - 1) / 2), 1u);
        assert_int_not_equal(loom_field_pow(f, f->generator, (f->p - 1) / r), 1u);
        if (r == 15) {
            assert_int_not_equal(loom_field_pow(f, f->generator, (f->p - 1) / 3), 1u);
            assert_int_not_equal(loom_field_pow(f, f->generator, (f->p - 1) / 5), 1u);
        }
    }
}

static void test_mul_kat(void **state)
{
    (void)state;
    /* baby_bear.rs / koala_bear.rs: 0x34167c58 * 0x61f3207b */
    assert_int_equal(loom_field_mul(loom_field_get(LOOM_FIELD_BABYBEAR), 0x34167c58u, 0x61f3207bu), 0x1b5c8046u);
    assert_int_equal(loom_field_mul(loom_field_get(LOOM_FIELD_KOALABEAR), 0x34167c58u, 0x61f3207bu), 0x54b46b81u);
}

static void test_random_against_u64(void **state)
{
    (void)state;
    test_rng rng = {test_seed()};
    for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++) {
        const loom_field *f = loom_field_get((loom_field_id)fi);
        for (int i = 0; i < 200000; i++) {
            uint32_t a = test_element(&rng, f->p), b = test_element(&rng, f->p);
            assert_int_equal(loom_field_mul(f, a, b), ref_mul(a, b, f->p));
            assert_int_equal(loom_field_add(f, a, b), (uint32_t)(((uint64_t)a + b) % f->p));
            assert_int_equal(loom_field_sub(f, a, b), (uint32_t)(((uint64_t)a + f->p - b) % f->p));
            assert_int_equal(loom_field_from_monty(f, loom_field_to_monty(f, a)), a);
            assert_int_equal(loom_field_to_monty(f, a), (uint32_t)(((uint64_t)a << 32) % f->p));
            if (a) {
                assert_int_equal(ref_mul(a, loom_field_inv(f, a), f->p), 1u);
            }
        }
        assert_int_equal(loom_field_inv(f, 0), 0u);
        assert_int_equal(loom_field_neg(f, 0), 0u);
        assert_int_equal(loom_field_neg(f, 1), f->p - 1);
    }
}

static void test_by_name_and_canonical(void **state)
{
    (void)state;
    const loom_field *f;
    assert_int_equal(loom_field_by_name(&f, "koalabear"), LOOM_OK);
    assert_int_equal(f->id, LOOM_FIELD_KOALABEAR);
    assert_int_equal(loom_field_by_name(&f, "goldilocks"), LOOM_ERR_NOT_FOUND);
    assert_non_null(strstr(loom_last_error(), "goldilocks"));
    uint32_t v[4] = {0, 5, f->p, 7};
    size_t bad = 99;
    assert_int_equal(loom_field_check_canonical(f, v, 4, &bad), LOOM_ERR_NOT_CANONICAL);
    assert_int_equal(bad, 2);
    assert_non_null(strstr(loom_last_error(), ">= p"));
    v[2] = f->p - 1;
    assert_int_equal(loom_field_check_canonical(f, v, 4, &bad), LOOM_OK);
}

static void test_status_strings(void **state)
{
    (void)state;
    assert_string_equal(loom_status_name(LOOM_ERR_SIZE), "LOOM_ERR_SIZE");
    assert_string_equal(loom_status_str(LOOM_OK), "ok");
    assert_string_equal(loom_status_str((loom_status)999), "unknown status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),          cmocka_unit_test(test_mul_kat),
        cmocka_unit_test(test_random_against_u64), cmocka_unit_test(test_by_name_and_canonical),
        cmocka_unit_test(test_status_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
