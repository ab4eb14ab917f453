/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the C tests: cmocka, and a seeded PRNG whose seed is printed so failures replay. */
#ifndef LOOM_TEST_UTIL_H
#define LOOM_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

typedef struct {
    uint64_t s;
} test_rng;

/* The seed: $LOOM_TEST_SEED if set, else a fixed default; printed once per test binary. */
static inline uint64_t test_seed(void)
{
    static uint64_t seed;
    static int init;
    if (!init) {
        const char *e = getenv("LOOM_TEST_SEED");
        seed = e ? strtoull(e, NULL, 0) : 0x10037u;
        printf("# random seed %llu (set LOOM_TEST_SEED to replay another)\n", (unsigned long long)seed);
        init = 1;
    }
    return seed;
}

static inline uint64_t test_next(test_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A canonical element, with the bounds 0, 1, p-1 over-represented. */
static inline uint32_t test_element(test_rng *r, uint32_t p)
{
    uint64_t x = test_next(r);
    switch (x & 15) {
    case 0: return 0;
    case 1: return 1;
    case 2: return p - 1;
    default: return (uint32_t)((x >> 8) % p);
    }
}

#endif
