/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scalar reference Poseidon2 (the one every other backend is checked against). The state is
 * kept in Montgomery form during the permutation; constants are converted once per call from
 * the canonical tables, which is cheap next to the ~560 products of a BabyBear permutation.
 */
#include <pthread.h>
#include <string.h>

#include "cpu/kernels.h"
#include "internal/monty.h"
#include "internal/poseidon2_ref.h"
#include "internal/params.h"

loom_status loom_poseidon2_get(const loom_poseidon2 **out, loom_field_id field, loom_perm_family family,
                               unsigned width)
{
    for (size_t i = 0; i < LOOM_POSEIDON2_SET_COUNT; i++) {
        const loom_poseidon2 *p = &loom_poseidon2_tables[i];
        if (p->field == field && p->family == family && p->width == width) {
            *out = p;
            return LOOM_OK;
        }
    }
    const loom_field *f = loom_field_get(field);
    return loom_fail(LOOM_ERR_NOT_FOUND, "no Poseidon2 instance for field %s, family %s, width %u",
                     f ? f->name : "?", family == LOOM_PERM_SP1 ? "sp1" : "plonky3", width);
}

loom_status loom_poseidon2_by_name(const loom_poseidon2 **out, const char *name)
{
    for (size_t i = 0; i < LOOM_POSEIDON2_SET_COUNT; i++) {
        if (name && strcmp(name, loom_poseidon2_tables[i].name) == 0) {
            *out = &loom_poseidon2_tables[i];
            return LOOM_OK;
        }
    }
    return loom_fail(LOOM_ERR_NOT_FOUND,
                     "unknown Poseidon2 instance '%s'; expected one of: babybear-plonky3-16, "
                     "babybear-plonky3-24, koalabear-plonky3-16, koalabear-plonky3-24, "
                     "babybear-sp1-16, koalabear-sp1-16",
                     name ? name : "(null)");
}

loom_status loom_perm_family_by_name(loom_perm_family *out, const char *name)
{
    if (name && strcmp(name, "plonky3") == 0) {
        *out = LOOM_PERM_PLONKY3;
        return LOOM_OK;
    }
    if (name && strcmp(name, "sp1") == 0) {
        *out = LOOM_PERM_SP1;
        return LOOM_OK;
    }
    return loom_fail(LOOM_ERR_NOT_FOUND, "unknown permutation family '%s'; expected plonky3 or sp1",
                     name ? name : "(null)");
}

size_t loom_poseidon2_count(void) { return LOOM_POSEIDON2_SET_COUNT; }

const loom_poseidon2 *loom_poseidon2_at(size_t i)
{
    return i < LOOM_POSEIDON2_SET_COUNT ? &loom_poseidon2_tables[i] : NULL;
}

/* Montgomery-form copies of each instance's constants, made once per process. */
typedef loom_poseidon2_monty monty_consts;

static monty_consts consts[LOOM_POSEIDON2_SET_COUNT];
static pthread_once_t consts_once = PTHREAD_ONCE_INIT;

static void consts_init(void)
{
    for (size_t k = 0; k < LOOM_POSEIDON2_SET_COUNT; k++) {
        const loom_poseidon2 *perm = &loom_poseidon2_tables[k];
        const loom_field *f = loom_field_get(perm->field);
        const unsigned w = perm->width, n_ext = (perm->rounds_f / 2) * w;
        for (unsigned i = 0; i < n_ext; i++) {
            consts[k].ext_initial[i] = loom_field_to_monty(f, perm->rc_ext_initial[i]);
            consts[k].ext_final[i] = loom_field_to_monty(f, perm->rc_ext_final[i]);
        }
        for (unsigned i = 0; i < perm->rounds_p; i++)
            consts[k].internal[i] = loom_field_to_monty(f, perm->rc_internal[i]);
        for (unsigned i = 0; i < w; i++)
            consts[k].diag[i] = loom_field_to_monty(f, perm->diag[i]);
    }
}

/* The table index of a built-in instance, or LOOM_POSEIDON2_SET_COUNT for a caller-built one
 * (compared by address: subtracting pointers into different objects is undefined). */
static size_t table_index(const loom_poseidon2 *perm)
{
    size_t k = 0;
    while (k < LOOM_POSEIDON2_SET_COUNT && perm != &loom_poseidon2_tables[k])
        k++;
    return k;
}

const loom_poseidon2_monty *loom_poseidon2_monty_consts(const loom_poseidon2 *perm)
{
    const size_t k = table_index(perm);
    if (k >= LOOM_POSEIDON2_SET_COUNT)
        return NULL;
    pthread_once(&consts_once, consts_init);
    return &consts[k];
}

#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

static ALWAYS_INLINE uint32_t sbox(uint32_t x, unsigned degree, uint32_t p, uint32_t mu)
{
    uint32_t x2 = monty_mul(x, x, p, mu);
    uint32_t x3 = monty_mul(x2, x, p, mu);
    if (degree == 3)
        return x3;
    uint32_t x4 = monty_mul(x2, x2, p, mu);
    return monty_mul(x3, x4, p, mu); /* x^7 */
}

/* M_E: the 4x4 MDSMat4 on each chunk, then add the column sums of the chunks (Plonky3 order). */
static ALWAYS_INLINE void external_layer(uint32_t *s, unsigned width, uint32_t p)
{
    for (unsigned c = 0; c < width; c += 4) {
        uint32_t *x = s + c;
        uint32_t t01 = mod_add(x[0], x[1], p);
        uint32_t t23 = mod_add(x[2], x[3], p);
        uint32_t t0123 = mod_add(t01, t23, p);
        uint32_t t01123 = mod_add(t0123, x[1], p);
        uint32_t t01233 = mod_add(t0123, x[3], p);
        uint32_t x3 = mod_add(t01233, mod_add(x[0], x[0], p), p);
        uint32_t x1 = mod_add(t01123, mod_add(x[2], x[2], p), p);
        uint32_t x0 = mod_add(t01123, t01, p);
        uint32_t x2 = mod_add(t01233, t23, p);
        x[0] = x0, x[1] = x1, x[2] = x2, x[3] = x3;
    }
    uint32_t sums[4] = {0, 0, 0, 0};
    for (unsigned k = 0; k < 4; k++)
        for (unsigned c = 0; c < width; c += 4)
            sums[k] = mod_add(sums[k], s[c + k], p);
    for (unsigned i = 0; i < width; i++)
        s[i] = mod_add(s[i], sums[i & 3], p);
}

/* The permutation on a Montgomery-form state. Inlined into one function per instance so that p,
 * mu, the width and the S-box degree are compile-time constants. */
static ALWAYS_INLINE void permute_core(const monty_consts *c, uint32_t *s, const unsigned w, const unsigned half_f,
                                       const unsigned rounds_p,
                                       const unsigned deg, const int legacy, const uint32_t p, const uint32_t mu)
{
    external_layer(s, w, p);
    for (unsigned r = 0; r < half_f; r++) {
        for (unsigned i = 0; i < w; i++)
            s[i] = sbox(mod_add(s[i], c->ext_initial[r * w + i], p), deg, p, mu);
        external_layer(s, w, p);
    }
    for (unsigned r = 0; r < rounds_p; r++) {
        s[0] = sbox(mod_add(s[0], c->internal[r], p), deg, p, mu);
        uint64_t sum = 0;
        for (unsigned i = 0; i < w; i++)
            sum += s[i];
        uint32_t total = mod_reduce64(sum, p);
        for (unsigned i = 0; i < w; i++) {
            uint32_t v = mod_add(total, monty_mul(c->diag[i], s[i], p, mu), p);
            /* The legacy layer's extra factor 2^-32 is one more Montgomery reduction. */
            s[i] = legacy ? monty_reduce(v, p, mu) : v;
        }
    }
    for (unsigned r = 0; r < half_f; r++) {
        for (unsigned i = 0; i < w; i++)
            s[i] = sbox(mod_add(s[i], c->ext_final[r * w + i], p), deg, p, mu);
        external_layer(s, w, p);
    }
}

#define BB_P 0x78000001u
#define BB_MU 0x88000001u
#define KB_P 0x7f000001u
#define KB_MU 0x81000001u

void loom_poseidon2_permute(const loom_poseidon2 *perm, uint32_t *state)
{
    pthread_once(&consts_once, consts_init);
    const size_t k = table_index(perm);
    const loom_field *f = loom_field_get(perm->field);
    const uint32_t p = f->p, mu = f->mu, r2 = f->r2_mod_p;
    uint32_t s[LOOM_POSEIDON2_MAX_WIDTH];
    for (unsigned i = 0; i < perm->width; i++)
        s[i] = monty_mul(state[i], r2, p, mu);

    if (k < LOOM_POSEIDON2_SET_COUNT) {
        const monty_consts *c = &consts[k];
        /* One specialised body per instance; the order is the table order in params_data.c. */
        if (perm->field == LOOM_FIELD_BABYBEAR && perm->width == 16 && !perm->legacy_internal)
            permute_core(c, s, 16, 4, 13, 7, 0, BB_P, BB_MU);
        else if (perm->field == LOOM_FIELD_BABYBEAR && perm->width == 24 && !perm->legacy_internal)
            permute_core(c, s, 24, 4, 21, 7, 0, BB_P, BB_MU);
        else if (perm->field == LOOM_FIELD_KOALABEAR && perm->width == 16 && !perm->legacy_internal)
            permute_core(c, s, 16, 4, 20, 3, 0, KB_P, KB_MU);
        else if (perm->field == LOOM_FIELD_KOALABEAR && perm->width == 24 && !perm->legacy_internal)
            permute_core(c, s, 24, 4, 23, 3, 0, KB_P, KB_MU);
        else if (perm->field == LOOM_FIELD_BABYBEAR && perm->width == 16)
            permute_core(c, s, 16, 4, 13, 7, 1, BB_P, BB_MU);
        else
            permute_core(c, s, 16, 4, 20, 3, 1, KB_P, KB_MU);
    } else {
        /* An instance built by the caller (not in the tables): convert its constants here. */
        monty_consts c;
        const unsigned w = perm->width, n_ext = (perm->rounds_f / 2) * w;
        for (unsigned i = 0; i < n_ext; i++) {
            c.ext_initial[i] = monty_mul(perm->rc_ext_initial[i], r2, p, mu);
            c.ext_final[i] = monty_mul(perm->rc_ext_final[i], r2, p, mu);
        }
        for (unsigned i = 0; i < perm->rounds_p && i < 32; i++)
            c.internal[i] = monty_mul(perm->rc_internal[i], r2, p, mu);
        for (unsigned i = 0; i < w; i++)
            c.diag[i] = monty_mul(perm->diag[i], r2, p, mu);
        permute_core(&c, s, w, perm->rounds_f / 2, perm->rounds_p, perm->sbox_degree, perm->legacy_internal, p, mu);
    }
    for (unsigned i = 0; i < perm->width; i++)
        state[i] = monty_reduce(s[i], p, mu);
}

loom_digest loom_poseidon2_hash(const loom_poseidon2 *perm, const uint32_t *in, size_t n)
{
    uint32_t s[LOOM_POSEIDON2_MAX_WIDTH] = {0};
    for (size_t off = 0; off < n; off += LOOM_SPONGE_RATE) {
        size_t k = n - off < LOOM_SPONGE_RATE ? n - off : LOOM_SPONGE_RATE;
        memcpy(s, in + off, k * sizeof *s);
        loom_poseidon2_permute(perm, s);
    }
    loom_digest d;
    memcpy(d.v, s, sizeof d.v);
    return d;
}

loom_digest loom_poseidon2_compress(const loom_poseidon2 *perm, const loom_digest *left,
                                    const loom_digest *right)
{
    uint32_t s[LOOM_POSEIDON2_MAX_WIDTH] = {0};
    memcpy(s, left->v, sizeof left->v);
    memcpy(s + LOOM_DIGEST_WORDS, right->v, sizeof right->v);
    loom_poseidon2_permute(perm, s);
    loom_digest d;
    memcpy(d.v, s, sizeof d.v);
    return d;
}

void loom_ref_hash_rows(const loom_poseidon2 *perm, loom_digest *out, const uint32_t *m, size_t rows, size_t cols,
                        size_t stride)
{
    for (size_t r = 0; r < rows; r++)
        out[r] = loom_poseidon2_hash(perm, m + r * stride, cols);
}

void loom_ref_compress_level(const loom_poseidon2 *perm, loom_digest *out, const loom_digest *in, size_t n_out)
{
    for (size_t i = 0; i < n_out; i++)
        out[i] = loom_poseidon2_compress(perm, &in[2 * i], &in[2 * i + 1]);
}

/* The batch entry points run on the active SIMD level (bit-identical to the reference above). */
void loom_poseidon2_hash_rows(const loom_poseidon2 *perm, loom_digest *out, const uint32_t *m, size_t rows,
                              size_t cols, size_t stride)
{
    loom_cpu_kernels_active()->hash_rows(perm, out, m, rows, cols, stride);
}

void loom_poseidon2_compress_level(const loom_poseidon2 *perm, loom_digest *out, const loom_digest *in,
                                   size_t n_out)
{
    loom_cpu_kernels_active()->compress(perm, out, in, n_out);
}
