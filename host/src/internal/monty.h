/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scalar Montgomery arithmetic shared by the CPU reference paths. Values are either canonical
 * or in Montgomery form (x * 2^32 mod p); both live in [0, p). A product of a canonical value
 * and a Montgomery-form constant is canonical, which lets the NTT keep data canonical and only
 * the twiddles in Montgomery form.
 */
#ifndef LOOM_INTERNAL_MONTY_H
#define LOOM_INTERNAL_MONTY_H

#include <stdint.h>

/* (x * 2^-32) mod p for x < p * 2^32. */
static inline uint32_t monty_reduce(uint64_t x, uint32_t p, uint32_t mu)
{
    uint32_t q = (uint32_t)x * mu;
    uint64_t u = (uint64_t)q * p;
    /* x == u (mod 2^32), so x - u is an exact multiple of 2^32 (possibly negative). */
    uint32_t hi = (uint32_t)((x - u) >> 32);
    return x < u ? hi + p : hi;
}

static inline uint32_t monty_mul(uint32_t a, uint32_t b, uint32_t p, uint32_t mu)
{
    return monty_reduce((uint64_t)a * b, p, mu);
}

static inline uint32_t mod_add(uint32_t a, uint32_t b, uint32_t p)
{
    uint32_t s = a + b; /* < 2^32 since a, b < p < 2^31 */
    return s >= p ? s - p : s;
}

static inline uint32_t mod_sub(uint32_t a, uint32_t b, uint32_t p)
{
    uint32_t d = a - b;
    return a < b ? d + p : d;
}

/* Reduces a 64-bit sum of canonical values (any size) to [0, p). */
static inline uint32_t mod_reduce64(uint64_t x, uint32_t p)
{
    return (uint32_t)(x % p);
}

#endif /* LOOM_INTERNAL_MONTY_H */
