/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/test_ntt.c - the CPU reference NTT (loom/ntt.h) against Plonky3's conventions.
 *
 * Known answers: /work/shared/kat/dft_convention.txt (Plonky3 @ 5dc50e51, dft/src/naive.rs test
 * `basic`, plus vectors derived there by an independent Python reference for both fields).
 * Everything else compares the fast transforms with references that share no code with them:
 * loom_dft_naive (O(n^2)), Horner evaluation at s * w^i, and barycentric evaluation of the
 * interpolating polynomial.
 *
 * Random inputs come from SplitMix64 seeded with LOOM_TEST_SEED (environment, decimal or 0x hex)
 * or a fixed default; the seed is printed so that a failure replays.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loom/field.h"
#include "loom/ntt.h"
#include "loom/status.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const loom_field_id FIELDS[] = {LOOM_FIELD_BABYBEAR, LOOM_FIELD_KOALABEAR};

/* ---- PRNG */

static uint64_t g_seed = UINT64_C(0x6c6f6f6d2d6e7474); /* "loom-ntt" */

typedef struct {
    uint64_t s;
} rng;

/* Each test gets its own stream so that it replays alone. */
static rng rng_for(uint64_t test_tag)
{
    rng r = {g_seed ^ (test_tag * UINT64_C(0x9e3779b97f4a7c15))};
    return r;
}

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint32_t rng_elem(rng *r, const loom_field *f) { return (uint32_t)(rng_next(r) % f->p); }

static uint32_t rng_nonzero(rng *r, const loom_field *f) { return 1 + (uint32_t)(rng_next(r) % (f->p - 1)); }

static void fill_random(rng *r, const loom_field *f, uint32_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = rng_elem(r, f);
}

/* ---- helpers */

static uint32_t *xalloc(size_t words)
{
    uint32_t *p = malloc((words ? words : 1) * sizeof *p);
    assert_non_null(p);
    return p;
}

static uint32_t *xdup(const uint32_t *v, size_t words)
{
    uint32_t *p = xalloc(words);
    memcpy(p, v, words * sizeof *p);
    return p;
}

/* Fails with the first differing position, as (row, col) of a rows x cols matrix. */
static void check_matrix_eq(const uint32_t *got, const uint32_t *want, size_t rows, size_t cols, const char *what,
                            const loom_field *f)
{
    for (size_t i = 0; i < rows * cols; i++) {
        if (got[i] != want[i]) {
            print_error("%s (%s, %zu x %zu, seed 0x%016llx): row %zu col %zu: got %u, expected %u\n", what, f->name,
                        rows, cols, (unsigned long long)g_seed, i / cols, i % cols, got[i], want[i]);
            fail();
        }
    }
}

static void get_col(uint32_t *dst, const uint32_t *m, size_t rows, size_t cols, size_t c)
{
    for (size_t r = 0; r < rows; r++)
        dst[r] = m[r * cols + c];
}

static unsigned log2_of(size_t n)
{
    unsigned k = 0;
    while (((size_t)1 << k) < n)
        k++;
    return k;
}

/* The DFT of each column with loom_dft_naive. */
static void naive_dft_matrix(const loom_field *f, uint32_t *out, const uint32_t *in, size_t rows, size_t cols)
{
    uint32_t *a = xalloc(rows), *b = xalloc(rows);
    for (size_t c = 0; c < cols; c++) {
        get_col(a, in, rows, cols, c);
        assert_int_equal(loom_dft_naive(f, b, a, rows), LOOM_OK);
        for (size_t r = 0; r < rows; r++)
            out[r * cols + c] = b[r];
    }
    free(a);
    free(b);
}

/* idft(v) = dft(v) / n with rows 1..n-1 reversed (dft_convention.txt), with the naive DFT. */
static void naive_idft_col(const loom_field *f, uint32_t *out, const uint32_t *in, size_t n)
{
    uint32_t *t = xalloc(n);
    assert_int_equal(loom_dft_naive(f, t, in, n), LOOM_OK);
    uint32_t inv_n = loom_field_inv(f, (uint32_t)(n % f->p));
    for (size_t i = 0; i < n; i++)
        out[i] = loom_field_mul(f, t[i ? n - i : 0], inv_n);
    free(t);
}

static uint32_t horner(const loom_field *f, const uint32_t *c, size_t n, size_t stride, uint32_t x)
{
    uint32_t acc = 0;
    for (size_t j = n; j-- > 0;)
        acc = loom_field_add(f, loom_field_mul(f, acc, x), c[j * stride]);
    return acc;
}

/*
 * The polynomial of degree < n through (w^k, v_k), w = g_n, evaluated at x:
 * f(x) = (x^n - 1)/n * sum_k v_k w^k / (x - w^k) off the subgroup, v_k on it.
 */
static uint32_t interpolate_at(const loom_field *f, const uint32_t *v, size_t n, size_t stride, uint32_t x)
{
    uint32_t w = f->two_adic_generators[log2_of(n)];
    uint32_t xn1 = loom_field_sub(f, loom_field_pow(f, x, n), 1);
    uint32_t wk = 1, sum = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t d = loom_field_sub(f, x, wk);
        if (d == 0)
            return v[k * stride];
        sum = loom_field_add(f, sum, loom_field_mul(f, loom_field_mul(f, v[k * stride], wk), loom_field_inv(f, d)));
        wk = loom_field_mul(f, wk, w);
    }
    return loom_field_mul(f, loom_field_mul(f, xn1, loom_field_inv(f, (uint32_t)(n % f->p))), sum);
}

/* ---- known answers */

/* dft/src/naive.rs, test `basic`: columns 5+4x, 2+3x, 0 evaluated on {1, -1}. */
static void test_plonky3_kat_babybear(void **state)
{
    (void)state;
    const loom_field *f = loom_field_get(LOOM_FIELD_BABYBEAR);
    const uint32_t pm1 = f->p - 1;
    const uint32_t want[] = {9, 5, 0, 1, pm1, 0};
    uint32_t m[] = {5, 2, 0, 4, 3, 0};
    assert_int_equal(loom_dft_batch(f, m, 2, 3), LOOM_OK);
    check_matrix_eq(m, want, 2, 3, "Plonky3 naive.rs basic, dft_batch", f);

    uint32_t m2[] = {5, 2, 0, 4, 3, 0}, naive[6];
    naive_dft_matrix(f, naive, m2, 2, 3);
    check_matrix_eq(naive, want, 2, 3, "Plonky3 naive.rs basic, loom_dft_naive", f);

    assert_int_equal(loom_idft_batch(f, m, 2, 3), LOOM_OK);
    check_matrix_eq(m, m2, 2, 3, "Plonky3 naive.rs basic, idft back", f);
}

typedef struct {
    loom_field_id id;
    uint32_t shift; /* Field::GENERATOR, what TwoAdicFriPcs::commit passes */
    uint32_t dft[4];
    uint32_t lde[8];
    uint32_t lde_bitrev[8];
} derived_kat;

static const derived_kat DERIVED[] = {
    {LOOM_FIELD_BABYBEAR,
     31,
     {10, 569722814, 2013265919, 1443543103},
     {812971946, 1583136595, 1200264158, 1514882761, 1200293019, 377777163, 813002729, 550735333},
     {812971946, 1200293019, 1200264158, 813002729, 1583136595, 377777163, 1514882761, 550735333}},
    {LOOM_FIELD_KOALABEAR,
     3,
     {10, 33423356, 2130706431, 2097283073},
     {200540131, 1446305711, 1930166277, 1928489745, 1930166298, 834805838, 200540170, 51811582},
     {200540131, 1930166298, 1930166277, 200540170, 1446305711, 834805838, 1928489745, 51811582}},
};

static void test_derived_vectors(void **state)
{
    (void)state;
    for (size_t k = 0; k < ARRAY_LEN(DERIVED); k++) {
        const derived_kat *d = &DERIVED[k];
        const loom_field *f = loom_field_get(d->id);
        assert_int_equal(f->generator, d->shift);
        const uint32_t x[4] = {1, 2, 3, 4};
        uint32_t out[8];

        assert_int_equal(loom_dft_naive(f, out, x, 4), LOOM_OK);
        check_matrix_eq(out, d->dft, 4, 1, "naive_dft([1,2,3,4])", f);

        memcpy(out, x, sizeof x);
        assert_int_equal(loom_dft_batch(f, out, 4, 1), LOOM_OK);
        check_matrix_eq(out, d->dft, 4, 1, "dft_batch([1,2,3,4])", f);

        assert_int_equal(loom_coset_lde_batch(f, out, x, 4, 1, 1, d->shift), LOOM_OK);
        check_matrix_eq(out, d->lde, 8, 1, "coset_lde([1,2,3,4], 1, GENERATOR)", f);

        assert_int_equal(loom_bit_reverse_rows(out, 8, 1), LOOM_OK);
        check_matrix_eq(out, d->lde_bitrev, 8, 1, "bit_reverse_rows(coset_lde(...))", f);

        /* The same columns side by side in a 3-wide matrix (column 1 zero, column 2 doubled). */
        uint32_t in3[12], out3[24];
        for (size_t r = 0; r < 4; r++) {
            in3[3 * r] = x[r];
            in3[3 * r + 1] = 0;
            in3[3 * r + 2] = loom_field_add(f, x[r], x[r]);
        }
        assert_int_equal(loom_coset_lde_batch(f, out3, in3, 4, 3, 1, d->shift), LOOM_OK);
        for (size_t r = 0; r < 8; r++) {
            assert_int_equal(out3[3 * r], d->lde[r]);
            assert_int_equal(out3[3 * r + 1], 0);
            assert_int_equal(out3[3 * r + 2], loom_field_add(f, d->lde[r], d->lde[r]));
        }
    }
}

/* ---- forward / inverse against the naive DFT */

static void test_dft_vs_naive_all_sizes(void **state)
{
    (void)state;
    rng r = rng_for(1);
    static const size_t widths[] = {1, 3, 7};
    for (size_t fi = 0; fi < ARRAY_LEN(FIELDS); fi++) {
        const loom_field *f = loom_field_get(FIELDS[fi]);
        for (unsigned k = 0; k <= 12; k++) {
            size_t n = (size_t)1 << k;
            /* The naive reference is O(n^2) per column: fewer columns at the top sizes. */
            size_t nw = k <= 10 ? 3 : (k == 11 ? 2 : 1);
            for (size_t wi = 0; wi < nw; wi++) {
                size_t cols = widths[wi];
                uint32_t *m = xalloc(n * cols), *want = xalloc(n * cols);
                fill_random(&r, f, m, n * cols);
                naive_dft_matrix(f, want, m, n, cols);
                assert_int_equal(loom_dft_batch(f, m, n, cols), LOOM_OK);
                check_matrix_eq(m, want, n, cols, "dft_batch vs loom_dft_naive", f);
                free(m);
                free(want);
            }
        }
    }
}

/*
 * Wide rows shrink the cache block to a few rows, so the fused layers after the blocked ones run
 * at small sizes too; each block/remaining-layer parity combination shows up in this sweep.
 * Only a few columns are checked against the naive DFT.
 */
static void test_dft_wide_vs_naive(void **state)
{
    (void)state;
    rng r = rng_for(2);
    static const size_t widths[] = {1000, 5000, 20000};
    for (size_t fi = 0; fi < ARRAY_LEN(FIELDS); fi++) {
        const loom_field *f = loom_field_get(FIELDS[fi]);
        for (size_t wi = 0; wi < ARRAY_LEN(widths); wi++) {
            size_t cols = widths[wi];
            for (unsigned k = 1; k <= (wi == 0 ? 9u : 6u); k++) {
                size_t n = (size_t)1 << k;
                uint32_t *m = xalloc(n * cols);
                fill_random(&r, f, m, n * cols);
                uint32_t *orig = xdup(m, n * cols);
                assert_int_equal(loom_dft_batch(f, m, n, cols), LOOM_OK);
                uint32_t *a = xalloc(n), *b = xalloc(n), *got = xalloc(n);
                const size_t probe[] = {0, 1, cols / 2, cols - 1};
                for (size_t q = 0; q < ARRAY_LEN(probe); q++) {
                    get_col(a, orig, n, cols, probe[q]);
                    assert_int_equal(loom_dft_naive(f, b, a, n), LOOM_OK);
                    get_col(got, m, n, cols, probe[q]);
                    check_matrix_eq(got, b, n, 1, "wide dft_batch column vs loom_dft_naive", f);
                }
                assert_int_equal(loom_idft_batch(f, m, n, cols), LOOM_OK);
                check_matrix_eq(m, orig, n, cols, "wide idft(dft(x))", f);
                free(a);
                free(b);
                free(got);
                free(m);
                free(orig);
            }
        }
    }
}

/* Inputs at the bounds 0, 1, p-1: every output must still be canonical and exact. */
static void test_dft_bounds(void **state)
{
    (void)state;
    rng r = rng_for(3);
    for (size_t fi = 0; fi < ARRAY_LEN(FIELDS); fi++) {
        const loom_field *f = loom_field_get(FIELDS[fi]);
        const uint32_t vals[] = {0, 1, f->p - 1};
        for (unsigned k = 0; k <= 10; k++) {
            size_t n = (size_t)1 << k, cols = 5;
            uint32_t *m = xalloc(n * cols), *want = xalloc(n * cols);
            for (size_t i = 0; i < n; i++) {
                m[i * cols + 0] = f->p - 1;                         /* all p-1 */
                m[i * cols + 1] = 1;                                /* all ones */
                m[i * cols + 2] = 0;                                /* all zero */
                m[i * cols + 3] = (i & 1) ? f->p - 1 : 1;           /* alternating */
                m[i * cols + 4] = vals[rng_next(&r) % 3];           /* random mix of the bounds */
            }
            naive_dft_matrix(f, want, m, n, cols);
            uint32_t *orig = xdup(m, n * cols);
            assert_int_equal(loom_dft_batch(f, m, n, cols), LOOM_OK);
            check_matrix_eq(m, want, n, cols, "dft_batch at the bounds", f);
            /* all ones -> (n, 0, ..., 0) */
            assert_int_equal(m[1], (uint32_t)(n % f->p));
            for (size_t i = 1; i < n; i++)
                assert_int_equal(m[i * cols + 1], 0);
            assert_int_equal(loom_idft_batch(f, m, n, cols), LOOM_OK);
            check_matrix_eq(m, orig, n, cols, "idft(dft(x)) at the bounds", f);
            free(m);
            free(want);
            free(orig);
        }
    }
}

static void test_idft_vs_naive(void **state)
{
    (void)state;
    rng r = rng_for(4);
    for (size_t fi = 0; fi < ARRAY_LEN(FIELDS); fi++) {
        const loom_field *f = loom_field_get(FIELDS[fi]);
        for (unsigned k = 0; k <= 10; k++) {
            size_t n = (size_t)1 << k, cols = 3;
            uint32_t *m = xalloc(n * cols), *want = xalloc(n * cols), *a = xalloc(n), *b = xalloc(n);
            fill_random(&r, f, m, n * cols);
            for (size_t c = 0; c < cols; c++) {
                get_col(a, m, n, cols, c);
                naive_idft_col(f, b, a, n);
                for (size_t i = 0; i < n; i++)
                    want[i * cols + c] = b[i];
            }
            assert_int_equal(loom_idft_batch(f, m, n, cols), LOOM_OK);
            check_matrix_eq(m, want, n, cols, "idft_batch vs naive", f);
            free(m);
            free(want);
            free(a);
            free(b);
        }
    }
}

static void test_roundtrips(void **state)
{
    (void)state;
    rng r = rng_for(5);
    static const size_t widths[] = {1, 2, 3, 16, 33};
    for (size_t fi = 0; fi < ARRAY_LEN(FIELDS); fi++) {
        const loom_field *f = loom_field_get(FIELDS[fi]);
        for (unsigned k = 0; k <= 16; k++) {
            for (size_t wi = 0; wi < ARRAY_LEN(widths); wi++) {
                size_t n = (size_t)1 << k, cols = widths[wi];
                if (k > 13 && cols > 3)
                    continue;
                uint32_t *m = xalloc(n * cols);
                fill_random(&r, f, m, n * cols);
                uint32_t *orig = xdup(m, n * cols);
                assert_int_equal(loom_dft_batch(f, m, n, cols), LOOM_OK);
                assert_int_equal(loom_idft_batch(f, m, n, cols), LOOM_OK);
                check_matrix_eq(m, orig, n, cols, "idft(dft(x))", f);
                assert_int_equal(loom_idft_batch(f, m, n, cols), LOOM_OK);
                assert_int_equal(loom_dft_batch(f, m, n, cols), LOOM_OK);
                check_matrix_eq(m, orig, n, cols, "dft(idft(x))", f);

                uint32_t s = (k & 1) ? f->generator : rng_nonzero(&r, f);
                assert_int_equal(loom_coset_dft_batch(f, m, n, cols, s), LOOM_OK);
                assert_int_equal(loom_coset_idft_batch(f, m, n, cols, s), LOOM_OK);
                check_matrix_eq(m, orig, n, cols, "coset_idft(coset_dft(x, s), s)", f);
                assert_int_equal(loom_coset_idft_batch(f, m, n, cols, s), LOOM_OK);
                assert_int_equal(loom_coset_dft_batch(f, m, n, cols, s), LOOM_OK);
                check_matrix_eq(m, orig, n, cols, "coset_dft(coset_idft(x, s), s)", f);
                free(m);
                free(orig);
            }
        }
    }
}

/* coset_dft: out[i] = sum_j c_j (s w^i)^j, by Horner; coset_idft: idft then c_j * s^-j. */
static void test_coset_dft_vs_eval(void **state)
{
    (void)state;
    rng r = rng_for(6);
    for (size_t fi = 0; fi < ARRAY_LEN(FIELDS); fi++) {
        const loom_field *f = loom_field_get(FIELDS[fi]);
        for (unsigned k = 0; k <= 9; k++) {
            size_t n = (size_t)1 << k, cols = 3;
            const uint32_t shifts[] = {f->generator, rng_nonzero(&r, f), 1, 0, f->p - 1};
            for (size_t si = 0; si < ARRAY_LEN(shifts); si++) {
                uint32_t s = shifts[si];
                uint32_t *m = xalloc(n * cols), *want = xalloc(n * cols);
                fill_random(&r, f, m, n * cols);
                uint32_t w = f->two_adic_generators[k], x = s; /* x = s w^i */
                for (size_t i = 0; i < n; i++) {
                    for (size_t c = 0; c < cols; c++)
                        want[i * cols + c] = horner(f, m + c, n, cols, x);
                    x = loom_field_mul(f, x, w);
                }
                uint32_t *coeffs = xdup(m, n * cols);
                assert_int_equal(loom_coset_dft_batch(f, m, n, cols, s), LOOM_OK);
                check_matrix_eq(m, want, n, cols, "coset_dft vs Horner at s*w^i", f);

                if (s != 0) {
                    /* coset_idft(v, s) = idft(v), then coefficient j * s^-j, with the naive idft. */
                    uint32_t *a = xalloc(n), *b = xalloc(n);
                    uint32_t *ref = xalloc(n * cols);
                    uint32_t sinv = loom_field_inv(f, s);
                    for (size_t c = 0; c < cols; c++) {
                        get_col(a, want, n, cols, c);
                        naive_idft_col(f, b, a, n);
                        uint32_t sp = 1;
                        for (size_t j = 0; j < n; j++) {
                            ref[j * cols + c] = loom_field_mul(f, b[j], sp);
                            sp = loom_field_mul(f, sp, sinv);
                        }
                    }
                    check_matrix_eq(ref, coeffs, n, cols, "naive coset idft reference", f);
                    assert_int_equal(loom_coset_idft_batch(f, m, n, cols, s), LOOM_OK);
                    check_matrix_eq(m, ref, n, cols, "coset_idft vs naive reference", f);
                    free(a);
                    free(b);
                    free(ref);
                }
                free(m);
                free(want);
                free(coeffs);
            }
        }
    }
}

/* ---- coset LDE */

/* idft, coefficient j * s^j, zero-pad to n << bits, dft -- all with the naive DFT. */
static void naive_lde(const loom_field *f, uint32_t *out, const uint32_t *in, size_t n, size_t cols, unsigned bits,
                      uint32_t s)
{
    size_t big = n << bits;
    uint32_t *a = xalloc(n), *c = xalloc(big), *e = xalloc(big);
    for (size_t col = 0; col < cols; col++) {
        get_col(a, in, n, cols, col);
        naive_idft_col(f, c, a, n);
        uint32_t sp = 1;
        for (size_t j = 0; j < n; j++) {
            c[j] = loom_field_mul(f, c[j], sp);
            sp = loom_field_mul(f, sp, s);
        }
        memset(c + n, 0, (big - n) * sizeof *c);
        assert_int_equal(loom_dft_naive(f, e, c, big), LOOM_OK);
        for (size_t i = 0; i < big; i++)
            out[i * cols + col] = e[i];
    }
    free(a);
    free(c);
    free(e);
}

static void test_coset_lde_vs_naive_pipeline(void **state)
{
    (void)state;
    rng r = rng_for(7);
    for (size_t fi = 0; fi < ARRAY_LEN(FIELDS); fi++) {
        const loom_field *f = loom_field_get(FIELDS[fi]);
        for (unsigned k = 0; k <= 7; k++) {
            for (unsigned bits = 0; bits <= 3; bits++) {
                size_t n = (size_t)1 << k, big = n << bits, cols = (k + bits) % 2 ? 3 : 2;
                const uint32_t shifts[] = {f->generator, rng_nonzero(&r, f), 1};
                for (size_t si = 0; si < ARRAY_LEN(shifts); si++) {
                    uint32_t *in = xalloc(n * cols), *out = xalloc(big * cols), *want = xalloc(big * cols);
                    fill_random(&r, f, in, n * cols);
                    uint32_t *in_copy = xdup(in, n * cols);
                    for (size_t i = 0; i < big * cols; i++)
                        out[i] = (uint32_t)rng_next(&r); /* garbage: the LDE must overwrite all of it */
                    naive_lde(f, want, in, n, cols, bits, shifts[si]);
                    assert_int_equal(loom_coset_lde_batch(f, out, in, n, cols, bits, shifts[si]), LOOM_OK);
                    check_matrix_eq(out, want, big, cols, "coset_lde vs naive idft/shift/pad/dft", f);
                    check_matrix_eq(in, in_copy, n, cols, "coset_lde left its input alone", f);
                    free(in);
                    free(out);
                    free(want);
                    free(in_copy);
                }
            }
        }
    }
}

/* out[i] = f(s * w'^i) for f the interpolant of the input on H, by barycentric evaluation. */
static void test_coset_lde_vs_interpolation(void **state)
{
    (void)state;
    rng r = rng_for(8);
    for (size_t fi = 0; fi < ARRAY_LEN(FIELDS); fi++) {
        const loom_field *f = loom_field_get(FIELDS[fi]);
        static const unsigned ks[] = {0, 1, 2, 5, 8, 11};
        for (size_t ki = 0; ki < ARRAY_LEN(ks); ki++) {
            for (unsigned bits = 0; bits <= 3; bits++) {
                unsigned k = ks[ki];
                size_t n = (size_t)1 << k, big = n << bits, cols = 2;
                uint32_t s = (bits & 1) ? f->generator : rng_nonzero(&r, f);
                if (bits == 2)
                    s = 1; /* points on H itself show up: there f must reproduce the input */
                uint32_t *in = xalloc(n * cols), *out = xalloc(big * cols);
                fill_random(&r, f, in, n * cols);
                assert_int_equal(loom_coset_lde_batch(f, out, in, n, cols, bits, s), LOOM_OK);
                uint32_t wbig = f->two_adic_generators[k + bits];
                size_t samples = big <= 64 ? big : 24;
                for (size_t q = 0; q < samples; q++) {
                    size_t i = big <= 64 ? q : (q < 4 ? q * (big / 4) : (size_t)(rng_next(&r) % big));
                    uint32_t x = loom_field_mul(f, s, loom_field_pow(f, wbig, i));
                    for (size_t c = 0; c < cols; c++) {
                        uint32_t want = interpolate_at(f, in + c, n, cols, x);
                        if (out[i * cols + c] != want) {
                            print_error("coset_lde vs interpolation (%s, n 2^%u, bits %u, shift %u, seed 0x%016llx): "
                                        "row %zu col %zu: got %u, expected %u\n",
                                        f->name, k, bits, s, (unsigned long long)g_seed, i, c, out[i * cols + c],
                                        want);
                            fail();
                        }
                    }
                }
                free(in);
                free(out);
            }
        }
    }
}

static void test_coset_lde_special_cases(void **state)
{
    (void)state;
    rng r = rng_for(9);
    for (size_t fi = 0; fi < ARRAY_LEN(FIELDS); fi++) {
        const loom_field *f = loom_field_get(FIELDS[fi]);
        /* shift 0: every point is 0, so every output is f(0) = c_0. */
        for (unsigned k = 0; k <= 6; k++) {
            for (unsigned bits = 0; bits <= 3; bits++) {
                size_t n = (size_t)1 << k, big = n << bits, cols = 3;
                uint32_t *in = xalloc(n * cols), *out = xalloc(big * cols), *c0 = xalloc(n * cols);
                fill_random(&r, f, in, n * cols);
                memcpy(c0, in, n * cols * sizeof *in);
                assert_int_equal(loom_idft_batch(f, c0, n, cols), LOOM_OK);
                assert_int_equal(loom_coset_lde_batch(f, out, in, n, cols, bits, 0), LOOM_OK);
                for (size_t i = 0; i < big; i++)
                    for (size_t c = 0; c < cols; c++)
                        assert_int_equal(out[i * cols + c], c0[c]);
                /* shift 1, no added bits: the input comes back. */
                assert_int_equal(loom_coset_lde_batch(f, out, in, n, cols, 0, 1), LOOM_OK);
                check_matrix_eq(out, in, n, cols, "coset_lde(x, 0, 1) == x", f);
                /* shift 1: the even rows (bits >= 1) are the input again. */
                assert_int_equal(loom_coset_lde_batch(f, out, in, n, cols, bits, 1), LOOM_OK);
                for (size_t i = 0; i < n; i++)
                    for (size_t c = 0; c < cols; c++)
                        assert_int_equal(out[(i << bits) * cols + c], in[i * cols + c]);
                free(in);
                free(out);
                free(c0);
            }
        }
        /* rows = 1: a constant; the LDE repeats it, up to the full two-adicity. */
        uint32_t one[2] = {rng_elem(&r, f), rng_elem(&r, f)};
        size_t big = (size_t)1 << 12;
        uint32_t *out = xalloc(big * 2);
        assert_int_equal(loom_coset_lde_batch(f, out, one, 1, 2, 12, f->generator), LOOM_OK);
        for (size_t i = 0; i < big; i++) {
            assert_int_equal(out[2 * i], one[0]);
            assert_int_equal(out[2 * i + 1], one[1]);
        }
        free(out);
    }
}

/* ---- bit reversal */

/* Up to 2^17 rows and up to 2000 columns, so that both the plain sweep and the cache-blocked
 * order (odd and even numbers of middle bits) are compared with a bit-by-bit reversal. */
static void test_bit_reverse_rows(void **state)
{
    (void)state;
    for (unsigned k = 0; k <= 17; k++) {
        size_t n = (size_t)1 << k;
        static const size_t widths[] = {1, 3, 8, 2000};
        for (size_t wi = 0; wi < ARRAY_LEN(widths); wi++) {
            size_t cols = widths[wi];
            if ((k > 12 && cols > 3) || (k > 8 && cols > 8))
                continue;
            uint32_t *m = xalloc(n * cols);
            for (size_t i = 0; i < n * cols; i++)
                m[i] = (uint32_t)i;
            assert_int_equal(loom_bit_reverse_rows(m, n, cols), LOOM_OK);
            for (size_t i = 0; i < n; i++) {
                /* independent bit reversal: bit b of i goes to bit k-1-b */
                size_t rev = 0;
                for (unsigned b = 0; b < k; b++)
                    rev |= ((i >> b) & 1) << (k - 1 - b);
                for (size_t c = 0; c < cols; c++)
                    assert_int_equal(m[i * cols + c], (uint32_t)(rev * cols + c));
            }
            assert_int_equal(loom_bit_reverse_rows(m, n, cols), LOOM_OK);
            for (size_t i = 0; i < n * cols; i++)
                assert_int_equal(m[i], (uint32_t)i);
            free(m);
        }
    }
}

/* ---- large sizes */

static void test_large_roundtrip(void **state)
{
    (void)state;
    rng r = rng_for(10);
    const loom_field *f = loom_field_get(LOOM_FIELD_BABYBEAR);
    size_t n = (size_t)1 << 20;
    uint32_t *m = xalloc(n);
    fill_random(&r, f, m, n);
    uint32_t *orig = xdup(m, n);
    assert_int_equal(loom_dft_batch(f, m, n, 1), LOOM_OK);
    /* spot checks of the forward result by Horner */
    uint32_t w = f->two_adic_generators[20];
    for (size_t q = 0; q < 3; q++) {
        size_t i = q == 0 ? n - 1 : (size_t)(rng_next(&r) % n);
        assert_int_equal(m[i], horner(f, orig, n, 1, loom_field_pow(f, w, i)));
    }
    assert_int_equal(loom_idft_batch(f, m, n, 1), LOOM_OK);
    check_matrix_eq(m, orig, n, 1, "idft(dft(x)) at 2^20", f);
    uint32_t s = f->generator;
    assert_int_equal(loom_coset_dft_batch(f, m, n, 1, s), LOOM_OK);
    assert_int_equal(loom_coset_idft_batch(f, m, n, 1, s), LOOM_OK);
    check_matrix_eq(m, orig, n, 1, "coset_idft(coset_dft(x)) at 2^20", f);
    free(m);
    free(orig);
}

/* 2^16 x 4 against Horner evaluation at a sample of output rows. */
static void test_large_dft_sampled(void **state)
{
    (void)state;
    rng r = rng_for(11);
    for (size_t fi = 0; fi < ARRAY_LEN(FIELDS); fi++) {
        const loom_field *f = loom_field_get(FIELDS[fi]);
        size_t n = (size_t)1 << 16, cols = 4;
        uint32_t *m = xalloc(n * cols);
        fill_random(&r, f, m, n * cols);
        uint32_t *orig = xdup(m, n * cols);
        assert_int_equal(loom_dft_batch(f, m, n, cols), LOOM_OK);
        uint32_t w = f->two_adic_generators[16];
        for (size_t q = 0; q < 20; q++) {
            size_t i = q < 4 ? (size_t[]){0, 1, n / 2, n - 1}[q] : (size_t)(rng_next(&r) % n);
            uint32_t x = loom_field_pow(f, w, i);
            for (size_t c = 0; c < cols; c++) {
                uint32_t want = horner(f, orig + c, n, cols, x);
                if (m[i * cols + c] != want) {
                    print_error("dft 2^16 x 4 (%s, seed 0x%016llx): row %zu col %zu: got %u, expected %u\n", f->name,
                                (unsigned long long)g_seed, i, c, m[i * cols + c], want);
                    fail();
                }
            }
        }
        free(m);
        free(orig);
    }
}

/* ---- concurrency: the first use of a twiddle table from several threads at once */

typedef struct {
    const loom_field *f;
    unsigned logn;
    uint64_t seed;
    uint32_t *result;
    loom_status st;
    int roundtrip_ok;
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *j = arg;
    size_t n = (size_t)1 << j->logn;
    rng r = {j->seed};
    uint32_t *m = malloc(n * sizeof *m), *orig = malloc(n * sizeof *m);
    if (!m || !orig) {
        j->st = LOOM_ERR_NO_MEMORY;
        free(m);
        free(orig);
        return NULL;
    }
    fill_random(&r, j->f, m, n);
    memcpy(orig, m, n * sizeof *m);
    j->st = loom_dft_batch(j->f, m, n, 1);
    memcpy(j->result, m, n * sizeof *m);
    if (j->st == LOOM_OK)
        j->st = loom_idft_batch(j->f, m, n, 1);
    j->roundtrip_ok = memcmp(m, orig, n * sizeof *m) == 0;
    free(m);
    free(orig);
    return NULL;
}

/*
 * Runs first in the group, on KoalaBear sizes 2^17..2^18 that no earlier test touched, so the
 * threads race to build the tables. Same-seed threads must agree with each other and with a
 * later single-threaded run.
 */
static void test_concurrent_first_use(void **state)
{
    (void)state;
    enum { NT = 6 };
    const loom_field *f = loom_field_get(LOOM_FIELD_KOALABEAR);
    thread_job jobs[NT];
    pthread_t th[NT];
    for (int t = 0; t < NT; t++) {
        jobs[t] = (thread_job){f, 17u + (unsigned)(t & 1), g_seed + (uint64_t)(t & 1), NULL, LOOM_OK, 0};
        jobs[t].result = xalloc((size_t)1 << jobs[t].logn);
    }
    for (int t = 0; t < NT; t++)
        assert_int_equal(pthread_create(&th[t], NULL, thread_main, &jobs[t]), 0);
    for (int t = 0; t < NT; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < NT; t++) {
        assert_int_equal(jobs[t].st, LOOM_OK);
        assert_true(jobs[t].roundtrip_ok);
        size_t n = (size_t)1 << jobs[t].logn;
        if (t >= 2)
            check_matrix_eq(jobs[t].result, jobs[t & 1].result, n, 1, "same dft from another thread", f);
    }
    thread_job again = {f, 17, g_seed, xalloc((size_t)1 << 17), LOOM_OK, 0};
    thread_main(&again);
    check_matrix_eq(again.result, jobs[0].result, (size_t)1 << 17, 1, "threaded vs single-threaded dft", f);
    /* and a Horner spot check of the threaded result */
    rng r = {g_seed};
    uint32_t *in = xalloc((size_t)1 << 17);
    fill_random(&r, f, in, (size_t)1 << 17);
    uint32_t x = loom_field_pow(f, f->two_adic_generators[17], 12345);
    assert_int_equal(jobs[0].result[12345], horner(f, in, (size_t)1 << 17, 1, x));
    free(in);
    free(again.result);
    for (int t = 0; t < NT; t++)
        free(jobs[t].result);
}

/* ---- errors and trivial sizes */

#define EXPECT_FAIL(call, status, needle)                                                                             \
    do {                                                                                                              \
        loom_clear_error();                                                                                           \
        assert_int_equal((call), (status));                                                                           \
        assert_true(strlen(loom_last_error()) > 0);                                                                   \
        if (!strstr(loom_last_error(), (needle))) {                                                                   \
            print_error("message '%s' does not mention '%s'\n", loom_last_error(), (needle));                        \
            fail();                                                                                                   \
        }                                                                                                             \
    } while (0)

static void test_errors(void **state)
{
    (void)state;
    const loom_field *bb = loom_field_get(LOOM_FIELD_BABYBEAR), *kb = loom_field_get(LOOM_FIELD_KOALABEAR);
    uint32_t buf[16] = {1, 2, 3, 4, 5, 6, 7, 8}, out[64];

    EXPECT_FAIL(loom_dft_batch(bb, buf, 3, 1), LOOM_ERR_SIZE, "power of two");
    EXPECT_FAIL(loom_idft_batch(kb, buf, 3, 1), LOOM_ERR_SIZE, "power of two");
    EXPECT_FAIL(loom_dft_batch(bb, buf, 0, 1), LOOM_ERR_SIZE, "power of two");
    EXPECT_FAIL(loom_coset_dft_batch(bb, buf, 12, 1, 31), LOOM_ERR_SIZE, "power of two");
    /* Checked before the buffer is touched, so a small buffer is safe here. */
    EXPECT_FAIL(loom_dft_batch(kb, buf, (size_t)1 << 25, 1), LOOM_ERR_SIZE, "two-adicity");
    EXPECT_FAIL(loom_idft_batch(bb, buf, (size_t)1 << 28, 1), LOOM_ERR_SIZE, "two-adicity");
    EXPECT_FAIL(loom_coset_lde_batch(kb, out, buf, (size_t)1 << 22, 1, 3, 3), LOOM_ERR_SIZE, "added_bits");
    EXPECT_FAIL(loom_coset_lde_batch(kb, out, buf, (size_t)1 << 24, 1, 1, 3), LOOM_ERR_SIZE, "added_bits");
    EXPECT_FAIL(loom_coset_lde_batch(bb, out, buf, 4, 1, 200, 31), LOOM_ERR_SIZE, "added_bits");
    EXPECT_FAIL(loom_coset_lde_batch(bb, out, buf, 6, 1, 1, 31), LOOM_ERR_SIZE, "power of two");
    EXPECT_FAIL(loom_dft_batch(bb, buf, 4, SIZE_MAX / 2), LOOM_ERR_SIZE, "overflow");

    EXPECT_FAIL(loom_dft_batch(bb, NULL, 4, 1), LOOM_ERR_INVALID_ARG, "NULL");
    EXPECT_FAIL(loom_dft_batch(NULL, buf, 4, 1), LOOM_ERR_INVALID_ARG, "field");
    EXPECT_FAIL(loom_coset_lde_batch(bb, NULL, buf, 4, 1, 1, 31), LOOM_ERR_INVALID_ARG, "NULL");
    EXPECT_FAIL(loom_coset_lde_batch(bb, out, NULL, 4, 1, 1, 31), LOOM_ERR_INVALID_ARG, "NULL");
    EXPECT_FAIL(loom_coset_idft_batch(bb, buf, 4, 1, 0), LOOM_ERR_INVALID_ARG, "shift");
    EXPECT_FAIL(loom_coset_idft_batch(kb, buf, 4, 1, kb->p), LOOM_ERR_INVALID_ARG, "canonical");
    EXPECT_FAIL(loom_coset_dft_batch(bb, buf, 4, 1, bb->p + 5), LOOM_ERR_INVALID_ARG, "canonical");
    EXPECT_FAIL(loom_coset_lde_batch(bb, buf, buf, 4, 1, 1, 31), LOOM_ERR_INVALID_ARG, "overlap");
    EXPECT_FAIL(loom_coset_lde_batch(bb, buf + 2, buf, 4, 1, 1, 31), LOOM_ERR_INVALID_ARG, "overlap");
    EXPECT_FAIL(loom_dft_naive(bb, out, buf, 3), LOOM_ERR_SIZE, "power of two");
    EXPECT_FAIL(loom_dft_naive(kb, out, buf, (size_t)1 << 25), LOOM_ERR_SIZE, "two-adicity");
    EXPECT_FAIL(loom_dft_naive(bb, buf, buf, 4), LOOM_ERR_INVALID_ARG, "overlap");
    EXPECT_FAIL(loom_dft_naive(bb, NULL, buf, 4), LOOM_ERR_INVALID_ARG, "NULL");
    EXPECT_FAIL(loom_bit_reverse_rows(buf, 6, 1), LOOM_ERR_SIZE, "power of two");
    EXPECT_FAIL(loom_bit_reverse_rows(NULL, 8, 2), LOOM_ERR_INVALID_ARG, "NULL");

    /* The failures left the buffer alone. */
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(buf[i], i + 1);
}

static void test_trivial_sizes(void **state)
{
    (void)state;
    for (size_t fi = 0; fi < ARRAY_LEN(FIELDS); fi++) {
        const loom_field *f = loom_field_get(FIELDS[fi]);
        /* cols = 0 is a no-op, even with no buffer. */
        assert_int_equal(loom_dft_batch(f, NULL, 8, 0), LOOM_OK);
        assert_int_equal(loom_idft_batch(f, NULL, 8, 0), LOOM_OK);
        assert_int_equal(loom_coset_dft_batch(f, NULL, 8, 0, 7), LOOM_OK);
        assert_int_equal(loom_coset_idft_batch(f, NULL, 8, 0, 7), LOOM_OK);
        assert_int_equal(loom_coset_lde_batch(f, NULL, NULL, 8, 0, 2, 7), LOOM_OK);
        assert_int_equal(loom_bit_reverse_rows(NULL, 8, 0), LOOM_OK);
        /* rows = 1: the identity, for any shift. */
        uint32_t v[3] = {0, 1, f->p - 1};
        assert_int_equal(loom_dft_batch(f, v, 1, 3), LOOM_OK);
        assert_int_equal(loom_idft_batch(f, v, 1, 3), LOOM_OK);
        assert_int_equal(loom_coset_dft_batch(f, v, 1, 3, 5), LOOM_OK);
        assert_int_equal(loom_coset_idft_batch(f, v, 1, 3, 5), LOOM_OK);
        assert_int_equal(loom_bit_reverse_rows(v, 1, 3), LOOM_OK);
        assert_int_equal(v[0], 0);
        assert_int_equal(v[1], 1);
        assert_int_equal(v[2], f->p - 1);
        /* the largest size is accepted (validation only: cols = 0) */
        assert_int_equal(loom_dft_batch(f, NULL, (size_t)1 << f->two_adicity, 0), LOOM_OK);
    }
}

int main(void)
{
    const char *env = getenv("LOOM_TEST_SEED");
    if (env && *env)
        g_seed = strtoull(env, NULL, 0);
    print_message("test_ntt: seed 0x%016llx (set LOOM_TEST_SEED to replay)\n", (unsigned long long)g_seed);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_first_use), /* first: it needs twiddle tables not yet built */
        cmocka_unit_test(test_plonky3_kat_babybear),
        cmocka_unit_test(test_derived_vectors),
        cmocka_unit_test(test_dft_vs_naive_all_sizes),
        cmocka_unit_test(test_dft_wide_vs_naive),
        cmocka_unit_test(test_dft_bounds),
        cmocka_unit_test(test_idft_vs_naive),
        cmocka_unit_test(test_roundtrips),
        cmocka_unit_test(test_coset_dft_vs_eval),
        cmocka_unit_test(test_coset_lde_vs_naive_pipeline),
        cmocka_unit_test(test_coset_lde_vs_interpolation),
        cmocka_unit_test(test_coset_lde_special_cases),
        cmocka_unit_test(test_bit_reverse_rows),
        cmocka_unit_test(test_large_roundtrip),
        cmocka_unit_test(test_large_dft_sampled),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_trivial_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
