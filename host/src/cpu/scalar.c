/* SPDX-License-Identifier: Apache-2.0 */
/* The scalar level: the reference every SIMD level is checked against. */
#include "cpu/kernels.h"
#include "internal/monty.h"
#include "internal/poseidon2_ref.h"

static void scalar_add(uint32_t *out, const uint32_t *a, const uint32_t *b, size_t n, uint32_t p)
{
    for (size_t i = 0; i < n; i++)
        out[i] = mod_add(a[i], b[i], p);
}

static void scalar_sub(uint32_t *out, const uint32_t *a, const uint32_t *b, size_t n, uint32_t p)
{
    for (size_t i = 0; i < n; i++)
        out[i] = mod_sub(a[i], b[i], p);
}

static void scalar_mul(uint32_t *out, const uint32_t *a, const uint32_t *b, size_t n, uint32_t p, uint32_t mu)
{
    for (size_t i = 0; i < n; i++)
        out[i] = monty_mul(a[i], b[i], p, mu);
}

static void scalar_sbox(uint32_t *out, const uint32_t *a, size_t n, unsigned degree, uint32_t p, uint32_t mu)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t x = a[i], x2 = monty_mul(x, x, p, mu), x3 = monty_mul(x2, x, p, mu);
        out[i] = degree == 3 ? x3 : monty_mul(x3, monty_mul(x2, x2, p, mu), p, mu);
    }
}

static void scalar_permute_many(const loom_poseidon2 *perm, uint32_t *states, size_t n)
{
    for (size_t i = 0; i < n; i++)
        loom_poseidon2_permute(perm, states + i * perm->width);
}

static void scalar_bfly2_rows(uint32_t *a, uint32_t *b, size_t cols, uint32_t w, int unit, int neg, uint32_t p,
                              uint32_t mu)
{
    for (size_t c = 0; c < cols; c++) {
        uint32_t x = a[c], t = unit ? b[c] : monty_mul(b[c], w, p, mu);
        a[c] = neg ? mod_sub(x, t, p) : mod_add(x, t, p);
        b[c] = neg ? mod_add(x, t, p) : mod_sub(x, t, p);
    }
}

static void scalar_scale_row(uint32_t *row, size_t cols, uint32_t s, uint32_t p, uint32_t mu)
{
    for (size_t c = 0; c < cols; c++)
        row[c] = monty_mul(row[c], s, p, mu);
}

const loom_cpu_kernels loom_kernels_scalar = {
    .level = LOOM_SIMD_SCALAR,
    .name = "scalar",
    .lanes = 1,
    .add = scalar_add,
    .sub = scalar_sub,
    .mul = scalar_mul,
    .sbox = scalar_sbox,
    .permute_many = scalar_permute_many,
    .hash_rows = loom_ref_hash_rows,
    .compress = loom_ref_compress_level,
    .bfly2_rows = scalar_bfly2_rows,
    .scale_row = scalar_scale_row,
};
