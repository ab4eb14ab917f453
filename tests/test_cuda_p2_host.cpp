// SPDX-License-Identifier: Apache-2.0
// The GPU Poseidon2 (cuda/poseidon2.cuh) compiled as plain C++ and run on the host against the
// scalar reference, bit for bit, for every built-in instance: no GPU needed. The constants go
// through p2_fill_consts, the function loom_cuda_load_perm uploads with, and each instance runs
// the template instance the kernels' launch macros pick for it. The layers are also checked on
// their own against the definitions, with states at the bounds (all p - 1) where the lazy
// reductions are tightest.
#include <string.h>

#include "loom/field.h"
#include "loom/poseidon2.h"
#include "poseidon2.cuh"
extern "C" {  // C headers without C++ guards (Debian's cmocka.h has none either)
#include "internal/poseidon2_ref.h"
#include "test_util.h"
}

using namespace loom_cuda;

#define BB_P 0x78000001u
#define BB_MU 0x88000001u
#define KB_P 0x7f000001u
#define KB_MU 0x81000001u

typedef void (*permute_fn)(uint32_t *s, const p2_consts &c);

template <int W, int RP, int DEG, bool LEGACY, uint32_t P, uint32_t MU>
static void run(uint32_t *s, const p2_consts &c)
{
    uint32_t x[W];
    for (int i = 0; i < W; i++)
        x[i] = s[i];
    permute<W, RP, DEG, LEGACY, P, MU>(x, c);
    for (int i = 0; i < W; i++)
        s[i] = x[i];
}

// The template instance loom_cuda.cu's P2_LAUNCH_ANY launches for `perm`, or NULL for none.
static permute_fn pick(const loom_poseidon2 *perm)
{
    const bool bb = perm->field == LOOM_FIELD_BABYBEAR;
    if (perm->width == 24)
        return perm->legacy_internal ? NULL : bb ? run<24, 21, 7, false, BB_P, BB_MU> : run<24, 23, 3, false, KB_P, KB_MU>;
    if (bb)
        return perm->legacy_internal ? run<16, 13, 7, true, BB_P, BB_MU> : run<16, 13, 7, false, BB_P, BB_MU>;
    return perm->legacy_internal ? run<16, 20, 3, true, KB_P, KB_MU> : run<16, 20, 3, false, KB_P, KB_MU>;
}

static uint32_t ref_mul(uint32_t a, uint32_t b, uint32_t p) { return (uint32_t)((uint64_t)a * b % p); }

// The GPU path on canonical values: into Montgomery form, permute, out (as the kernels do).
static void gpu_permute(const loom_poseidon2 *perm, permute_fn fn, const p2_consts &c, uint32_t *s)
{
    const loom_field *f = loom_field_get(perm->field);
    for (unsigned i = 0; i < perm->width; i++)
        s[i] = mont_mul(s[i], f->r2_mod_p, f->p, f->mu);
    fn(s, c);
    for (unsigned i = 0; i < perm->width; i++)
        s[i] = mont_mul(s[i], 1u, f->p, f->mu);
}

static void fill(p2_consts &c, const loom_poseidon2 *perm)
{
    const loom_field *f = loom_field_get(perm->field);
    const loom_poseidon2_monty *m = loom_poseidon2_monty_consts(perm);
    assert_non_null(m);
    p2_fill_consts(c, perm->width, perm->rounds_p, perm->legacy_internal != 0, f->p, f->mu, m->ext_initial,
                   m->internal, m->ext_final, m->diag);
}

static void test_permute_matches_reference(void **state)
{
    (void)state;
    test_rng rng = {test_seed() ^ 0xc0dau};
    assert_int_equal(loom_poseidon2_count(), 6);
    for (size_t k = 0; k < loom_poseidon2_count(); k++) {
        const loom_poseidon2 *perm = loom_poseidon2_at(k);
        const loom_field *f = loom_field_get(perm->field);
        permute_fn fn = pick(perm);
        assert_non_null(fn);
        const unsigned want_rp = perm->field == LOOM_FIELD_BABYBEAR ? (perm->width == 16 ? 13 : 21)
                                                                    : (perm->width == 16 ? 20 : 23);
        assert_int_equal(perm->rounds_p, want_rp);  // what the template instance hard-codes
        assert_int_equal(perm->rounds_f, 8);
        p2_consts c;
        fill(c, perm);
        for (int n = 0; n < 3000; n++) {
            uint32_t in[24], want[24], got[24];
            for (unsigned i = 0; i < perm->width; i++)
                in[i] = n == 0 ? 0 : n == 1 ? f->p - 1 : test_element(&rng, f->p);
            memcpy(want, in, sizeof in);
            memcpy(got, in, sizeof in);
            loom_poseidon2_permute(perm, want);
            gpu_permute(perm, fn, c, got);
            if (memcmp(want, got, perm->width * sizeof(uint32_t)) != 0) {
                fprintf(stderr, "%s: state %d differs at word 0: got %u, want %u\n", perm->name, n, got[0], want[0]);
                fail();
            }
        }
    }
}

// The layers alone, on states at the bounds and random ones, against the definitions computed
// with 64-bit remainders (values are Montgomery forms; the layers are linear, so the check is
// the same on them).
template <int W, bool LEGACY, uint32_t P, uint32_t MU>
static void check_layers(const loom_poseidon2 *perm, test_rng *rng)
{
    p2_consts c;
    fill(c, perm);
    const uint32_t r_inv = mont_mul(1u, 1u, P, MU);  // 2^-32 mod p
    for (int n = 0; n < 2000; n++) {
        uint32_t s[W], e[W], want_i[W], want_e[W];
        for (int i = 0; i < W; i++)
            s[i] = n == 0 ? P - 1 : n == 1 ? 0 : test_element(rng, P);
        // M_I: s_i' = sum + V_i s_i, times 2^-32 when legacy (V_i = diag, canonical; the state's
        // Montgomery factor carries through).
        uint64_t sum = 0;
        for (int i = 0; i < W; i++)
            sum += s[i];
        for (int i = 0; i < W; i++) {
            uint32_t v = (uint32_t)((sum + ref_mul(perm->diag[i], s[i], P)) % P);
            want_i[i] = LEGACY ? ref_mul(v, r_inv, P) : v;
        }
        memcpy(e, s, sizeof s);
        internal_layer<W, LEGACY, P, MU>(s, c.diag);
        assert_memory_equal(s, want_i, sizeof s);
        // M_E = circ(2 M4, M4, ..., M4) by blocks.
        static const uint32_t m4[4][4] = {{2, 3, 1, 1}, {1, 2, 3, 1}, {1, 1, 2, 3}, {3, 1, 1, 2}};
        for (int i = 0; i < W; i++) {
            uint64_t acc = 0;
            for (int j = 0; j < W; j++)
                acc += (uint64_t)m4[i % 4][j % 4] * (i / 4 == j / 4 ? 2 : 1) * e[j];
            want_e[i] = (uint32_t)(acc % P);
        }
        external_layer<W, P>(e);
        assert_memory_equal(e, want_e, sizeof e);
    }
}

static void test_layers_at_bounds(void **state)
{
    (void)state;
    test_rng rng = {test_seed() ^ 0x1a7eu};
    const loom_poseidon2 *p;
    assert_int_equal(loom_poseidon2_get(&p, LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 16), LOOM_OK);
    check_layers<16, false, BB_P, BB_MU>(p, &rng);
    assert_int_equal(loom_poseidon2_get(&p, LOOM_FIELD_BABYBEAR, LOOM_PERM_PLONKY3, 24), LOOM_OK);
    check_layers<24, false, BB_P, BB_MU>(p, &rng);
    assert_int_equal(loom_poseidon2_get(&p, LOOM_FIELD_KOALABEAR, LOOM_PERM_PLONKY3, 16), LOOM_OK);
    check_layers<16, false, KB_P, KB_MU>(p, &rng);
    assert_int_equal(loom_poseidon2_get(&p, LOOM_FIELD_KOALABEAR, LOOM_PERM_PLONKY3, 24), LOOM_OK);
    check_layers<24, false, KB_P, KB_MU>(p, &rng);
    assert_int_equal(loom_poseidon2_get(&p, LOOM_FIELD_BABYBEAR, LOOM_PERM_SP1, 16), LOOM_OK);
    check_layers<16, true, BB_P, BB_MU>(p, &rng);
    assert_int_equal(loom_poseidon2_get(&p, LOOM_FIELD_KOALABEAR, LOOM_PERM_SP1, 16), LOOM_OK);
    check_layers<16, true, KB_P, KB_MU>(p, &rng);
}

// Products and S-boxes at the operand bounds they are used with (one operand below 2p).
template <uint32_t P, uint32_t MU, int DEG>
static void check_products(test_rng *rng)
{
    const uint32_t r_inv = mont_mul(1u, 1u, P, MU);  // 2^-32 mod p
    for (int n = 0; n < 20000; n++) {
        uint32_t a = n < 4 ? 2 * P - 1 - (uint32_t)n : test_element(rng, P) + (n & 1 ? P : 0);  // [0, 2p)
        uint32_t b = n < 4 ? P - 1 - (uint32_t)(n >> 1) : test_element(rng, P);
        uint32_t lazy = mul_lazy<P, MU>(a, b);
        assert_true(lazy < 2 * P);
        assert_int_equal((mul<P, MU>(a, b)), ref_mul(ref_mul(a % P, b, P), r_inv, P));
        // sbox in Montgomery form: (x R)^DEG R^(1-DEG) = x^DEG R.
        uint32_t want = b;
        for (int d = 1; d < DEG; d++)
            want = ref_mul(ref_mul(want, b, P), r_inv, P);
        assert_int_equal((sbox<P, MU, DEG>(b)), want);
    }
}

static void test_products_at_bounds(void **state)
{
    (void)state;
    test_rng rng = {test_seed() ^ 0x9a9au};
    check_products<BB_P, BB_MU, 7>(&rng);
    check_products<KB_P, KB_MU, 3>(&rng);
    check_products<KB_P, KB_MU, 7>(&rng);
    check_products<BB_P, BB_MU, 3>(&rng);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_products_at_bounds),
        cmocka_unit_test(test_layers_at_bounds),
        cmocka_unit_test(test_permute_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
