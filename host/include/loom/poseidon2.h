/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loom/poseidon2.h - Poseidon2 permutations, the leaf sponge and 2-to-1 compression, exactly as
 * Plonky3 (PaddingFreeSponge<Perm, 16, 8, 8>, TruncatedPermutation<Perm, 2, 8, 16>).
 *
 * Parameter sets are data, selected by (field, family, width) or by name:
 *   babybear-plonky3-16, babybear-plonky3-24, koalabear-plonky3-16, koalabear-plonky3-24
 *       Plonky3's default_{babybear,koalabear}_poseidon2_{16,24} (KoalaBear: v0.5.0+ constants).
 *   babybear-sp1-16   SP1 v5's inner_perm (RC_16_30 constants, legacy Montgomery-scaled internal layer).
 *   koalabear-sp1-16  SP1 v6's KoalaPerm (today's constants, legacy internal layer).
 */
#ifndef LOOM_POSEIDON2_H
#define LOOM_POSEIDON2_H

#include <stddef.h>
#include <stdint.h>

#include "loom/field.h"
#include "loom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LOOM_PERM_PLONKY3 = 0, /* Plonky3's default instance */
    LOOM_PERM_SP1 = 1,     /* SP1's own instance (v5 BabyBear, v6 KoalaBear) */
} loom_perm_family;

#define LOOM_POSEIDON2_MAX_WIDTH 24
#define LOOM_DIGEST_WORDS 8
#define LOOM_SPONGE_RATE 8

/* One Poseidon2 instance. Read-only; all constants canonical. */
typedef struct {
    const char *name;              /* e.g. "babybear-plonky3-16" */
    loom_field_id field;
    loom_perm_family family;
    unsigned width;                /* 16 or 24 */
    unsigned rounds_f;             /* external rounds, half before and half after: 8 */
    unsigned rounds_p;             /* internal rounds */
    unsigned sbox_degree;          /* 7 or 3 */
    int legacy_internal;           /* 1: internal layer scaled by 2^-32 (SP1 / Plonky3 2024) */
    const uint32_t *rc_ext_initial; /* (rounds_f / 2) * width */
    const uint32_t *rc_internal;    /* rounds_p */
    const uint32_t *rc_ext_final;   /* (rounds_f / 2) * width */
    const uint32_t *diag;           /* width: M_I = J + diag(diag) (times 2^-32 if legacy) */
} loom_poseidon2;

/* An 8-element digest (canonical). */
typedef struct {
    uint32_t v[LOOM_DIGEST_WORDS];
} loom_digest;

/* Finds the instance for (field, family, width). LOOM_ERR_NOT_FOUND if there is none. */
LOOM_MUST_USE loom_status loom_poseidon2_get(const loom_poseidon2 **out, loom_field_id field,
                                             loom_perm_family family, unsigned width);

/* Finds an instance by name (see the list above). LOOM_ERR_NOT_FOUND lists the known names. */
LOOM_MUST_USE loom_status loom_poseidon2_by_name(const loom_poseidon2 **out, const char *name);

/* Parses a family name: "plonky3" or "sp1". */
LOOM_MUST_USE loom_status loom_perm_family_by_name(loom_perm_family *out, const char *name);

/* The number of instances and the i-th one, for listing. */
size_t loom_poseidon2_count(void);
const loom_poseidon2 *loom_poseidon2_at(size_t i);

/*
 * Permutes `state` (perm->width canonical values) in place. Inputs must be canonical. `perm` is
 * one of the built-in instances or a caller-built one with width 16 or 24, rounds_f <= 8 and
 * rounds_p <= 32 (larger instances are not supported).
 */
void loom_poseidon2_permute(const loom_poseidon2 *perm, uint32_t *state);

/*
 * The leaf hash of n canonical elements: PaddingFreeSponge with rate 8 in overwrite mode, no
 * padding; n == 0 gives the all-zero digest. Requires a width-16 instance.
 */
loom_digest loom_poseidon2_hash(const loom_poseidon2 *perm, const uint32_t *in, size_t n);

/* 2-to-1 compression: the first 8 words of perm(left || right). Requires a width-16 instance. */
loom_digest loom_poseidon2_compress(const loom_poseidon2 *perm, const loom_digest *left,
                                    const loom_digest *right);

/*
 * Hashes `rows` rows of a row-major matrix (`cols` columns, row stride `stride` elements):
 * out[i] = hash(row i). Caller-owned output of `rows` digests; no allocation.
 */
void loom_poseidon2_hash_rows(const loom_poseidon2 *perm, loom_digest *out, const uint32_t *m,
                              size_t rows, size_t cols, size_t stride);

/* One Merkle level: out[i] = compress(in[2i], in[2i+1]) for i < n_out. */
void loom_poseidon2_compress_level(const loom_poseidon2 *perm, loom_digest *out, const loom_digest *in,
                                   size_t n_out);

#ifdef __cplusplus
}
#endif
#endif /* LOOM_POSEIDON2_H */
