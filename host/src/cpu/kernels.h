/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CPU kernels at several SIMD levels, side by side (scalar.c, avx2.c, avx512.c, neon.c). Every
 * level exports one loom_cpu_kernels table with the same functions; scalar is always built and
 * is the reference the others are tested against, bit for bit. The level is chosen once at
 * start-up from CPUID (no -march=native anywhere), or forced with LOOM_SIMD / the config.
 *
 * Conventions for every function below:
 *   - p, mu: the field's prime and p^-1 mod 2^32 (see loom_field); values in [0, p).
 *   - "Montgomery product" means a * b * 2^-32 mod p; a canonical value times a Montgomery-form
 *     constant is canonical.
 *   - Arrays may have any length n (including 0 and lengths that are not a multiple of the lane
 *     count); out may alias an input exactly (out == a), never partially.
 */
#ifndef LOOM_CPU_KERNELS_H
#define LOOM_CPU_KERNELS_H

#include "internal/common.h"
#include "loom/poseidon2.h"

typedef enum {
    LOOM_SIMD_SCALAR = 0,
    LOOM_SIMD_AVX2 = 1,
    LOOM_SIMD_AVX512 = 2,
    LOOM_SIMD_NEON = 3,
} loom_simd_level;

#define LOOM_SIMD_LEVELS 4

typedef struct {
    loom_simd_level level;
    const char *name;  /* "scalar", "avx2", "avx512", "neon" */
    unsigned lanes;    /* 32-bit lanes per vector: 1, 8, 16, 4 */

    /* Packed field arithmetic on arrays. */
    void (*add)(uint32_t *out, const uint32_t *a, const uint32_t *b, size_t n, uint32_t p);
    void (*sub)(uint32_t *out, const uint32_t *a, const uint32_t *b, size_t n, uint32_t p);
    void (*mul)(uint32_t *out, const uint32_t *a, const uint32_t *b, size_t n, uint32_t p, uint32_t mu);
    /* out[i] = a[i]^degree in Montgomery arithmetic (degree 3 or 7; a in Montgomery form). */
    void (*sbox)(uint32_t *out, const uint32_t *a, size_t n, unsigned degree, uint32_t p, uint32_t mu);

    /* Poseidon2 on n independent states stored one after another (n * perm->width words). */
    void (*permute_many)(const loom_poseidon2 *perm, uint32_t *states, size_t n);
    /* out[r] = sponge hash of row r (cols values; rows start `stride` words apart), r < rows. */
    void (*hash_rows)(const loom_poseidon2 *perm, loom_digest *out, const uint32_t *m, size_t rows, size_t cols,
                      size_t stride);
    /* out[i] = compress(in[2i], in[2i + 1]), i < n_out. */
    void (*compress)(const loom_poseidon2 *perm, loom_digest *out, const loom_digest *in, size_t n_out);

    /*
     * NTT butterflies across two whole rows of `cols` values (the NTT vectorises across columns):
     *   t = unit ? b : b * w (Montgomery product, w in Montgomery form)
     *   neg == 0: a, b <- a + t, a - t        neg == 1: a, b <- a - t, a + t
     */
    void (*bfly2_rows)(uint32_t *a, uint32_t *b, size_t cols, uint32_t w, int unit, int neg, uint32_t p,
                       uint32_t mu);
    /* row[i] = row[i] * s (Montgomery product) for i < cols. */
    void (*scale_row)(uint32_t *row, size_t cols, uint32_t s, uint32_t p, uint32_t mu);
} loom_cpu_kernels;

/* The table of `level` if this build has it AND this CPU runs it, else NULL. */
LOOM_HIDDEN const loom_cpu_kernels *loom_cpu_kernels_for(loom_simd_level level);

/* The best level this CPU runs ("best" = most lanes). */
LOOM_HIDDEN loom_simd_level loom_simd_best(void);

/* "scalar" | "avx2" | "avx512" | "neon" -> level; LOOM_ERR_NOT_FOUND for anything else. */
LOOM_HIDDEN loom_status loom_simd_parse(loom_simd_level *out, const char *name);
LOOM_HIDDEN const char *loom_simd_name(loom_simd_level level);

/*
 * The process-wide active table: chosen on first use from $LOOM_SIMD if set (an unknown or
 * unsupported value makes the first fallible Loom call that needs it fail with a clear message),
 * else the best level. loom_simd_select() changes it (config `cpu: {simd: ...}`); it fails with
 * LOOM_ERR_UNSUPPORTED ("this CPU has no avx512; available: scalar, avx2") for a level the CPU
 * lacks or the build does not include.
 */
LOOM_HIDDEN const loom_cpu_kernels *loom_cpu_kernels_active(void);
LOOM_HIDDEN loom_status loom_simd_select(loom_simd_level level);
/* Checks $LOOM_SIMD; LOOM_OK if unset or valid and supported. */
LOOM_HIDDEN loom_status loom_simd_env_status(void);

/* The per-level tables (each defined in its own file, compiled with that level's flags). */
LOOM_HIDDEN extern const loom_cpu_kernels loom_kernels_scalar;
LOOM_HIDDEN extern const loom_cpu_kernels loom_kernels_avx2;
LOOM_HIDDEN extern const loom_cpu_kernels loom_kernels_avx512;
LOOM_HIDDEN extern const loom_cpu_kernels loom_kernels_neon;

#endif
