/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/p3_rng.h - test support: Plonky3's "random constants" Poseidon2 instances.
 *
 * Plonky3's unit tests `test_poseidon2_width_{16,24}_random` (baby-bear/src/poseidon2.rs and
 * koala-bear/src/poseidon2.rs, mod tests) build their permutation with
 *
 *     Poseidon2{BabyBear,KoalaBear}::<W>::new_from_rng_128(&mut Xoroshiro128Plus::seed_from_u64(1))
 *
 * To reproduce those known answers in C this module re-implements, from the upstream semantics
 * (own code, nothing copied):
 *
 *   1. rand_xoshiro's Xoroshiro128Plus (rust-random/rngs, rand_xoshiro/src/xoroshiro128plus.rs and
 *      the iteration macro in rand_xoshiro/src/common.rs), including its own `seed_from_u64`, which
 *      overrides rand_core's default (PCG32-based) expansion with SplitMix64
 *      (rand_xoshiro/src/splitmix64.rs): the 16-byte seed is filled little-endian from two
 *      successive SplitMix64 next_u64() outputs, so s0 = first output, s1 = second output.
 *   2. The StandardUniform sampler of MontyField31 (Plonky3 monty-31/src/monty_31.rs).
 *   3. The draw order of Poseidon2::new_from_rng_128 / new_from_rng (Plonky3 poseidon2/src/lib.rs,
 *      poseidon2/src/external.rs) and the round numbers of poseidon2/src/round_numbers.rs.
 *
 * Only for tests: Xoroshiro128+ is not a cryptographic generator.
 */
#ifndef LOOM_TESTS_P3_RNG_H
#define LOOM_TESTS_P3_RNG_H

#include <stdint.h>

#include "loom/field.h"
#include "loom/poseidon2.h"
#include "loom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- SplitMix64 (rand_xoshiro/src/splitmix64.rs) ---- */

typedef struct {
    uint64_t x;
} p3_splitmix64;

/* SplitMix64::seed_from_u64: the state is the seed itself (from_seed of its little-endian bytes). */
void p3_splitmix64_seed(p3_splitmix64 *rng, uint64_t seed);
/* SplitMix64::next_u64 (Vigna's splitmix64.c: add the golden gamma, then the 30/27/31 finalizer). */
uint64_t p3_splitmix64_next_u64(p3_splitmix64 *rng);

/* ---- Xoroshiro128+ (rand_xoshiro/src/xoroshiro128plus.rs) ---- */

typedef struct {
    uint64_t s0, s1;
} p3_xoroshiro128plus;

/*
 * Xoroshiro128Plus::from_seed: s0, s1 = the two little-endian u64 words of the 16 bytes. An
 * all-zero seed is replaced by seed_from_u64(0), as upstream does.
 */
void p3_xoroshiro128plus_from_seed(p3_xoroshiro128plus *rng, const uint8_t seed[16]);
/* Xoroshiro128Plus::seed_from_u64: seeded from SplitMix64(seed) (NOT rand_core's PCG32 default). */
void p3_xoroshiro128plus_seed_from_u64(p3_xoroshiro128plus *rng, uint64_t seed);
/* next_u64: returns s0 + s1 (wrapping), then steps the state (rotations 24 and 37, shift 16). */
uint64_t p3_xoroshiro128plus_next_u64(p3_xoroshiro128plus *rng);
/* next_u32: the UPPER 32 bits of one next_u64 (upstream avoids the weak low bits). */
uint32_t p3_xoroshiro128plus_next_u32(p3_xoroshiro128plus *rng);

/* ---- MontyField31 StandardUniform (monty-31/src/monty_31.rs) ---- */

/*
 * One `rng.random::<MontyField31>()`: draws next_u32() >> 1 until the 31-bit value is < p, and
 * takes that value as the element's MONTGOMERY form (MontyField31::new_monty), i.e. the element
 * is v * 2^-32 mod p. Returns the canonical value of that element. If `rejected` is not NULL it
 * is incremented once per discarded draw.
 */
uint32_t p3_sample_monty31(p3_xoroshiro128plus *rng, const loom_field *f, unsigned *rejected);

/* ---- Poseidon2::new_from_rng_128 ---- */

#define P3_RNG_MAX_ROUNDS_F 8
#define P3_RNG_MAX_ROUNDS_P 32

/*
 * A Poseidon2 instance with PRNG-drawn constants. `perm` points into this struct's own arrays,
 * so the struct must not be copied by value (fill it in place; pass it by pointer).
 */
typedef struct {
    loom_poseidon2 perm;
    uint32_t rc_ext_initial[(P3_RNG_MAX_ROUNDS_F / 2) * LOOM_POSEIDON2_MAX_WIDTH];
    uint32_t rc_ext_final[(P3_RNG_MAX_ROUNDS_F / 2) * LOOM_POSEIDON2_MAX_WIDTH];
    uint32_t rc_internal[P3_RNG_MAX_ROUNDS_P];
    uint32_t diag[LOOM_POSEIDON2_MAX_WIDTH];
    char name[48];
    unsigned draws;    /* field elements drawn (== constants produced) */
    unsigned rejected; /* 31-bit draws discarded by the sampler's rejection step */
} p3_random_perm;

/*
 * poseidon2_round_numbers_128 (Plonky3 poseidon2/src/round_numbers.rs) for 31-bit fields:
 * (rounds_f, rounds_p) for (width, S-box degree). LOOM_ERR_UNSUPPORTED if the table has no entry.
 */
LOOM_MUST_USE loom_status p3_round_numbers_128(unsigned *rounds_f, unsigned *rounds_p, unsigned width,
                                               unsigned sbox_degree);

/*
 * Equivalent of Poseidon2{BabyBear,KoalaBear}::<width>::new_from_rng_128(
 * &mut Xoroshiro128Plus::seed_from_u64(seed)). Round numbers from p3_round_numbers_128 (they do
 * not touch the RNG); then, in this order, rounds_f/2 initial external rows of `width` elements,
 * rounds_f/2 terminal external rows, rounds_p internal constants, every element drawn with
 * p3_sample_monty31. The internal layer (diagonal) is the one of Loom's default Plonky3 instance of
 * the same field and width: upstream builds both with the same Poseidon2{BabyBear,KoalaBear}<W>
 * type, whose internal layer is fixed by the type, not by the constants.
 */
LOOM_MUST_USE loom_status p3_poseidon2_from_rng(p3_random_perm *out, loom_field_id field,
                                                unsigned width, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif /* LOOM_TESTS_P3_RNG_H */
