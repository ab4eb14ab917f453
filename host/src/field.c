/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "internal/monty.h"
#include "internal/params.h"

const loom_field *loom_field_get(loom_field_id id)
{
    if ((unsigned)id >= LOOM_FIELD_COUNT)
        return NULL;
    return &loom_field_tables[id];
}

loom_status loom_field_by_name(const loom_field **out, const char *name)
{
    for (unsigned i = 0; i < LOOM_FIELD_COUNT; i++) {
        if (name && strcmp(name, loom_field_tables[i].name) == 0) {
            *out = &loom_field_tables[i];
            return LOOM_OK;
        }
    }
    return loom_fail(LOOM_ERR_NOT_FOUND, "unknown field '%s'; expected one of: babybear, koalabear",
                     name ? name : "(null)");
}

uint32_t loom_field_add(const loom_field *f, uint32_t a, uint32_t b) { return mod_add(a, b, f->p); }

uint32_t loom_field_sub(const loom_field *f, uint32_t a, uint32_t b) { return mod_sub(a, b, f->p); }

uint32_t loom_field_neg(const loom_field *f, uint32_t a) { return a ? f->p - a : 0; }

uint32_t loom_field_to_monty(const loom_field *f, uint32_t a)
{
    return monty_mul(a, f->r2_mod_p, f->p, f->mu);
}

uint32_t loom_field_from_monty(const loom_field *f, uint32_t a) { return monty_reduce(a, f->p, f->mu); }

uint32_t loom_field_mul(const loom_field *f, uint32_t a, uint32_t b)
{
    /* canonical * Montgomery-form = canonical */
    return monty_mul(a, loom_field_to_monty(f, b), f->p, f->mu);
}

uint32_t loom_field_pow(const loom_field *f, uint32_t a, uint64_t e)
{
    uint32_t base = loom_field_to_monty(f, a), acc = f->r_mod_p;
    while (e) {
        if (e & 1)
            acc = monty_mul(acc, base, f->p, f->mu);
        base = monty_mul(base, base, f->p, f->mu);
        e >>= 1;
    }
    return loom_field_from_monty(f, acc);
}

uint32_t loom_field_inv(const loom_field *f, uint32_t a) { return loom_field_pow(f, a, (uint64_t)f->p - 2); }

loom_status loom_field_check_canonical(const loom_field *f, const uint32_t *v, size_t n, size_t *bad_index)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i] >= f->p) {
            if (bad_index)
                *bad_index = i;
            return loom_fail(LOOM_ERR_NOT_CANONICAL,
                             "element %zu is %u, which is >= p = %u (%s); values must be canonical",
                             i, v[i], f->p, f->name);
        }
    }
    return LOOM_OK;
}
