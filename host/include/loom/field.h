/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loom/field.h - 31-bit prime fields p = r * 2^k + 1 with Montgomery arithmetic (R = 2^32).
 *
 * Every value that crosses this API is CANONICAL: an integer in [0, p). Montgomery form is an
 * internal detail of each backend.
 */
#ifndef LOOM_FIELD_H
#define LOOM_FIELD_H

#include <stddef.h>
#include <stdint.h>

#include "loom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LOOM_FIELD_BABYBEAR = 0,  /* p = 15 * 2^27 + 1 = 0x78000001 */
    LOOM_FIELD_KOALABEAR = 1, /* p = 127 * 2^24 + 1 = 0x7f000001 */
} loom_field_id;

#define LOOM_FIELD_COUNT 2
#define LOOM_MAX_TWO_ADICITY 27

/* The parameter table of one field. Read-only; obtained from loom_field_get(). */
typedef struct {
    loom_field_id id;
    const char *name;          /* "babybear", "koalabear" */
    uint32_t p;                /* the prime */
    uint32_t mu;               /* p^-1 mod 2^32 */
    uint32_t r_mod_p;          /* 2^32 mod p (Montgomery form of 1) */
    uint32_t r2_mod_p;         /* 2^64 mod p */
    uint32_t generator;        /* generator of F_p^* (Plonky3 Field::GENERATOR) */
    unsigned two_adicity;      /* largest k with 2^k | p - 1 */
    unsigned sbox_degree;      /* Poseidon2 S-box exponent: 7 (BabyBear), 3 (KoalaBear) */
    /* two_adic_generators[k], k = 0..two_adicity: Plonky3's primitive 2^k-th root of unity. */
    uint32_t two_adic_generators[LOOM_MAX_TWO_ADICITY + 1];
} loom_field;

/* The table for `id`, or NULL if `id` is not a known field. */
const loom_field *loom_field_get(loom_field_id id);

/*
 * Looks a field up by name ("babybear", "koalabear"; case-sensitive).
 * Returns LOOM_ERR_NOT_FOUND (with a message listing the known names) for any other name.
 */
LOOM_MUST_USE loom_status loom_field_by_name(const loom_field **out, const char *name);

/* Canonical arithmetic. Inputs must be canonical; outputs are canonical. */
uint32_t loom_field_add(const loom_field *f, uint32_t a, uint32_t b);
uint32_t loom_field_sub(const loom_field *f, uint32_t a, uint32_t b);
uint32_t loom_field_neg(const loom_field *f, uint32_t a);
uint32_t loom_field_mul(const loom_field *f, uint32_t a, uint32_t b);
uint32_t loom_field_pow(const loom_field *f, uint32_t a, uint64_t e);
/* Multiplicative inverse; loom_field_inv(f, 0) returns 0. */
uint32_t loom_field_inv(const loom_field *f, uint32_t a);

/* Montgomery conversions (x -> x * 2^32 mod p and back), for callers that keep data in that form. */
uint32_t loom_field_to_monty(const loom_field *f, uint32_t a);
uint32_t loom_field_from_monty(const loom_field *f, uint32_t a);

/*
 * Checks that all n values are canonical. On failure returns LOOM_ERR_NOT_CANONICAL, stores the
 * first offending index in *bad_index (if not NULL) and sets a message naming index and value.
 */
LOOM_MUST_USE loom_status loom_field_check_canonical(const loom_field *f, const uint32_t *v, size_t n,
                                                     size_t *bad_index);

#ifdef __cplusplus
}
#endif
#endif /* LOOM_FIELD_H */
