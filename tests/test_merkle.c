/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "loom/merkle.h"
#include "test_util.h"

static const loom_poseidon2 *get(const char *name)
{
    const loom_poseidon2 *p = NULL;
    assert_int_equal(loom_poseidon2_by_name(&p, name), LOOM_OK);
    return p;
}

static uint32_t m8[64], m8b[24], m2[4];

static int setup(void **state)
{
    (void)state;
    for (uint32_t r = 0; r < 8; r++) {
        for (uint32_t c = 0; c < 8; c++)
            m8[8 * r + c] = 8 * r + c;
        for (uint32_t c = 0; c < 3; c++)
            m8b[3 * r + c] = 1000 + 3 * r + c;
    }
    for (uint32_t r = 0; r < 2; r++)
        for (uint32_t c = 0; c < 2; c++)
            m2[2 * r + c] = 5000 + 2 * r + c;
    return 0;
}

static void check_root(const char *perm, const loom_matrix_view *v, size_t n, const uint32_t *expect)
{
    loom_merkle_tree *t = NULL;
    assert_int_equal(loom_merkle_tree_build(&t, get(perm), v, n), LOOM_OK);
    loom_digest root = loom_merkle_tree_root(t);
    assert_memory_equal(root.v, expect, sizeof root.v);
    loom_merkle_tree_free(t);
}

/* The derived vectors of shared/kat/merkle_sponge_spec.txt. */
static void test_derived_roots(void **state)
{
    (void)state;
    loom_matrix_view a = {m8, 8, 8}, b = {m8b, 8, 3}, c = {m2, 2, 2};
    static const uint32_t r8[8] = {905628760, 1742190476, 812779998, 1447543655, 1666260516, 1656157965, 316919892, 999209925};
    static const uint32_t r8b[8] = {50369855, 1245956990, 361493495, 599402189, 159481421, 955197303, 1239327850, 1248026544};
    static const uint32_t r28[8] = {573542182, 801637538, 1513483258, 677345294, 957971100, 599887801, 722300777, 520734097};
    static const uint32_t sp1[8] = {1991243805, 277646241, 1568817055, 1858155107, 707594790, 558952122, 125019145, 608528560};
    static const uint32_t kb[8] = {860877802, 501203933, 769028552, 1842886308, 1310487125, 138924061, 92511631, 2130221791};
    static const uint32_t kbsp1[8] = {1742413176, 2053125435, 643753450, 194714896, 986380954, 218043352, 350569809, 554483764};
    check_root("babybear-plonky3-16", &a, 1, r8);
    loom_matrix_view ab[2] = {a, b}, ca[2] = {c, a};
    check_root("babybear-plonky3-16", ab, 2, r8b);
    check_root("babybear-plonky3-16", ca, 2, r28);
    check_root("babybear-sp1-16", &a, 1, sp1);
    check_root("koalabear-plonky3-16", &a, 1, kb);
    check_root("koalabear-sp1-16", &a, 1, kbsp1);
}

/* A tree of random matrices of mixed heights; every leaf opens and verifies, tampering fails. */
static void test_openings(void **state)
{
    (void)state;
    test_rng rng = {test_seed() + 1};
    const loom_poseidon2 *perm = get("koalabear-plonky3-16");
    const uint32_t p = 0x7f000001u;
    static const size_t shapes[][2] = {{16, 5}, {4, 9}, {16, 1}, {1, 3}, {8, 8}, {4, 2}};
    const size_t n = sizeof shapes / sizeof shapes[0];
    uint32_t *data[6];
    loom_matrix_view v[6];
    loom_matrix_dims dims[6];
    for (size_t m = 0; m < n; m++) {
        data[m] = malloc(shapes[m][0] * shapes[m][1] * 4);
        for (size_t i = 0; i < shapes[m][0] * shapes[m][1]; i++)
            data[m][i] = test_element(&rng, p);
        v[m] = (loom_matrix_view){data[m], shapes[m][0], shapes[m][1]};
        dims[m] = (loom_matrix_dims){shapes[m][0], shapes[m][1]};
    }
    loom_merkle_tree *t;
    assert_int_equal(loom_merkle_tree_build(&t, perm, v, n), LOOM_OK);
    assert_int_equal(loom_merkle_tree_depth(t), 4);
    size_t len = loom_merkle_tree_opening_len(t);
    assert_int_equal(len, 5 + 9 + 1 + 3 + 8 + 2);
    loom_digest root = loom_merkle_tree_root(t), path[4];
    uint32_t rows[28];
    for (size_t idx = 0; idx < 16; idx++) {
        assert_int_equal(loom_merkle_tree_open(t, rows, len, path, 4, idx), LOOM_OK);
        /* the opened row of matrix 1 (height 4) is row idx >> 2 */
        assert_memory_equal(rows + 5, data[1] + (idx >> 2) * 9, 9 * 4);
        assert_int_equal(loom_merkle_verify(perm, &root, dims, n, rows, len, path, 4, idx), LOOM_OK);
        /* any changed value, sibling or index breaks it */
        for (size_t k = 0; k < len; k++) {
            rows[k] = (rows[k] + 1) % p;
            assert_int_equal(loom_merkle_verify(perm, &root, dims, n, rows, len, path, 4, idx), LOOM_ERR_VERIFY);
            rows[k] = (rows[k] + p - 1) % p;
        }
        for (size_t k = 0; k < 4; k++) {
            path[k].v[k] ^= 1;
            assert_int_equal(loom_merkle_verify(perm, &root, dims, n, rows, len, path, 4, idx), LOOM_ERR_VERIFY);
            path[k].v[k] ^= 1;
        }
        assert_int_equal(loom_merkle_verify(perm, &root, dims, n, rows, len, path, 4, idx ^ 1), LOOM_ERR_VERIFY);
    }
    /* a single-matrix tree of height 1: depth 0, the root is the leaf hash */
    loom_merkle_tree *t1;
    loom_matrix_view one = {data[3], 1, 3};
    assert_int_equal(loom_merkle_tree_build(&t1, perm, &one, 1), LOOM_OK);
    loom_digest leaf = loom_poseidon2_hash(perm, data[3], 3), r1 = loom_merkle_tree_root(t1);
    assert_memory_equal(&leaf, &r1, sizeof leaf);
    loom_merkle_tree_free(t1);
    /* shape errors */
    assert_int_equal(loom_merkle_tree_open(t, rows, len, path, 4, 16), LOOM_ERR_INVALID_ARG);
    assert_int_equal(loom_merkle_tree_open(t, rows, len - 1, path, 4, 0), LOOM_ERR_SIZE);
    assert_int_equal(loom_merkle_verify(perm, &root, dims, n, rows, len, path, 3, 0), LOOM_ERR_SIZE);
    loom_merkle_tree_free(t);
    for (size_t m = 0; m < n; m++)
        free(data[m]);
}

static void test_build_errors(void **state)
{
    (void)state;
    loom_merkle_tree *t = NULL;
    loom_matrix_view bad = {m8, 6, 8};
    assert_int_equal(loom_merkle_tree_build(&t, get("babybear-plonky3-16"), &bad, 1), LOOM_ERR_SIZE);
    assert_non_null(strstr(loom_last_error(), "power-of-two"));
    loom_matrix_view ok = {m8, 8, 8};
    assert_int_equal(loom_merkle_tree_build(&t, get("babybear-plonky3-24"), &ok, 1), LOOM_ERR_INVALID_ARG);
    assert_int_equal(loom_merkle_tree_build(&t, get("babybear-plonky3-16"), &ok, 0), LOOM_ERR_INVALID_ARG);
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derived_roots),
        cmocka_unit_test(test_openings),
        cmocka_unit_test(test_build_errors),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
