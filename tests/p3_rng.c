/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/p3_rng.c - Xoroshiro128+ / SplitMix64 / MontyField31 sampling / new_from_rng_128, so the
 * tests can rebuild Plonky3's random-constant Poseidon2 instances. See p3_rng.h for which upstream
 * file each piece follows. Written from the upstream semantics; no upstream code is copied.
 */
#include "p3_rng.h"

#include <stdio.h>
#include <string.h>

static inline uint64_t rotl64(uint64_t x, unsigned k) { return (x << k) | (x >> (64u - k)); }

/* ---- SplitMix64: rand_xoshiro/src/splitmix64.rs ---- */

void p3_splitmix64_seed(p3_splitmix64 *rng, uint64_t seed) { rng->x = seed; }

uint64_t p3_splitmix64_next_u64(p3_splitmix64 *rng)
{
    rng->x += UINT64_C(0x9e3779b97f4a7c15);
    uint64_t z = rng->x;
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* ---- Xoroshiro128+: rand_xoshiro/src/xoroshiro128plus.rs, rand_xoshiro/src/common.rs ---- */

static uint64_t read_le64(const uint8_t *b)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static void write_le64(uint8_t *b, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

void p3_xoroshiro128plus_from_seed(p3_xoroshiro128plus *rng, const uint8_t seed[16])
{
    int all_zero = 1;
    for (unsigned i = 0; i < 16; i++)
        all_zero &= seed[i] == 0;
    if (all_zero) { /* upstream: an all-zero seed is mapped to seed_from_u64(0) */
        p3_xoroshiro128plus_seed_from_u64(rng, 0);
        return;
    }
    rng->s0 = read_le64(seed);
    rng->s1 = read_le64(seed + 8);
}

void p3_xoroshiro128plus_seed_from_u64(p3_xoroshiro128plus *rng, uint64_t seed)
{
    /*
     * rand_xoshiro overrides SeedableRng::seed_from_u64 ("from_splitmix"): a SplitMix64 seeded
     * with `seed` fills the 16-byte seed through from_rng, i.e. fill_bytes, which writes whole
     * next_u64() words little-endian; from_seed then reads them back (and would apply its
     * zero-seed fallback, as upstream).
     */
    p3_splitmix64 sm;
    p3_splitmix64_seed(&sm, seed);
    uint8_t bytes[16];
    write_le64(bytes, p3_splitmix64_next_u64(&sm));
    write_le64(bytes + 8, p3_splitmix64_next_u64(&sm));
    p3_xoroshiro128plus_from_seed(rng, bytes);
}

uint64_t p3_xoroshiro128plus_next_u64(p3_xoroshiro128plus *rng)
{
    const uint64_t out = rng->s0 + rng->s1;
    uint64_t s0 = rng->s0, s1 = rng->s1 ^ rng->s0;
    rng->s0 = rotl64(s0, 24) ^ s1 ^ (s1 << 16);
    rng->s1 = rotl64(s1, 37);
    return out;
}

uint32_t p3_xoroshiro128plus_next_u32(p3_xoroshiro128plus *rng)
{
    return (uint32_t)(p3_xoroshiro128plus_next_u64(rng) >> 32);
}

/* ---- MontyField31 StandardUniform: monty-31/src/monty_31.rs ---- */

uint32_t p3_sample_monty31(p3_xoroshiro128plus *rng, const loom_field *f, unsigned *rejected)
{
    for (;;) {
        uint32_t v = p3_xoroshiro128plus_next_u32(rng) >> 1;
        if (v < f->p)
            return loom_field_from_monty(f, v); /* v is the Montgomery form: element = v / 2^32 */
        if (rejected)
            (*rejected)++;
    }
}

/* ---- Poseidon2::new_from_rng_128: poseidon2/src/lib.rs, external.rs, round_numbers.rs ---- */

loom_status p3_round_numbers_128(unsigned *rounds_f, unsigned *rounds_p, unsigned width,
                                 unsigned sbox_degree)
{
    /* The 31-bit-prime rows of Plonky3's table, for the widths Loom supports; R_F is always 8. */
    static const struct {
        unsigned width, degree, rounds_p;
    } table[] = {
        {16, 3, 20}, {16, 5, 14}, {16, 7, 13}, {16, 9, 13}, {16, 11, 13},
        {24, 3, 23}, {24, 5, 22}, {24, 7, 21}, {24, 9, 21}, {24, 11, 21},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (table[i].width == width && table[i].degree == sbox_degree) {
            *rounds_f = 8;
            *rounds_p = table[i].rounds_p;
            return LOOM_OK;
        }
    }
    return LOOM_ERR_UNSUPPORTED;
}

loom_status p3_poseidon2_from_rng(p3_random_perm *out, loom_field_id field, unsigned width,
                                  uint64_t seed)
{
    if (!out)
        return LOOM_ERR_INVALID_ARG;
    const loom_field *f = loom_field_get(field);
    if (!f)
        return LOOM_ERR_INVALID_ARG;

    /* Same field and width => same Poseidon2{BabyBear,KoalaBear}<W> type => same internal layer. */
    const loom_poseidon2 *def = NULL;
    loom_status st = loom_poseidon2_get(&def, field, LOOM_PERM_PLONKY3, width);
    if (st != LOOM_OK)
        return st;
    if (def->legacy_internal || def->sbox_degree != f->sbox_degree)
        return LOOM_ERR_INTERNAL;

    unsigned rounds_f = 0, rounds_p = 0;
    st = p3_round_numbers_128(&rounds_f, &rounds_p, width, f->sbox_degree);
    if (st != LOOM_OK)
        return st;
    if (rounds_f > P3_RNG_MAX_ROUNDS_F || rounds_p > P3_RNG_MAX_ROUNDS_P ||
        width > LOOM_POSEIDON2_MAX_WIDTH)
        return LOOM_ERR_SIZE;

    memset(out, 0, sizeof *out);
    p3_xoroshiro128plus rng;
    p3_xoroshiro128plus_seed_from_u64(&rng, seed);

    /*
     * ExternalLayerConstants::new_from_rng(rounds_f, rng): rounds_f/2 samples of [F; WIDTH] for
     * the initial rounds, then rounds_f/2 for the terminal rounds. rand's StandardUniform for
     * [T; N] is array::from_fn(|_| rng.random()), i.e. element 0 first. Then new_from_rng takes
     * rounds_p scalar samples for the internal rounds.
     */
    const unsigned half_f = rounds_f / 2;
    for (unsigned i = 0; i < half_f * width; i++)
        out->rc_ext_initial[i] = p3_sample_monty31(&rng, f, &out->rejected);
    for (unsigned i = 0; i < half_f * width; i++)
        out->rc_ext_final[i] = p3_sample_monty31(&rng, f, &out->rejected);
    for (unsigned i = 0; i < rounds_p; i++)
        out->rc_internal[i] = p3_sample_monty31(&rng, f, &out->rejected);
    out->draws = 2 * half_f * width + rounds_p;

    memcpy(out->diag, def->diag, width * sizeof out->diag[0]);
    snprintf(out->name, sizeof out->name, "%s-p3rng-%u-seed%llu", f->name, width,
             (unsigned long long)seed);

    out->perm = (loom_poseidon2){
        .name = out->name,
        .field = field,
        .family = LOOM_PERM_PLONKY3,
        .width = width,
        .rounds_f = rounds_f,
        .rounds_p = rounds_p,
        .sbox_degree = f->sbox_degree,
        .legacy_internal = 0,
        .rc_ext_initial = out->rc_ext_initial,
        .rc_internal = out->rc_internal,
        .rc_ext_final = out->rc_ext_final,
        .diag = out->diag,
    };
    return LOOM_OK;
}
