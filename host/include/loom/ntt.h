/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loom/ntt.h - batched two-adic DFTs over the columns of a row-major matrix, with Plonky3's
 * conventions (shared/kat/dft_convention.txt):
 *
 *   dft:        out[i] = sum_j c_j * w^(i*j),  w = two_adic_generator(log2(rows)), natural order
 *   idft:       the inverse (dft with w^-1, divided by rows)
 *   coset_dft:  out[i] = sum_j c_j * (s * w^i)^j
 *   coset_idft: idft, then coefficient j multiplied by s^-j
 *   coset_lde:  idft (evaluations on the subgroup), zero-pad to rows << added_bits, coset_dft(s)
 *
 * Each column of the rows x cols matrix is one polynomial; `rows` must be a power of two with
 * log2(rows) (log2(rows) + added_bits for the LDE) at most the field's two-adicity. Values in
 * and out are canonical. Twiddles are computed once per (field, size) and cached for the life of
 * the process (thread-safe). None of these calls allocates beyond that cache.
 */
#ifndef LOOM_NTT_H
#define LOOM_NTT_H

#include <stddef.h>
#include <stdint.h>

#include "loom/field.h"
#include "loom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* In-place forward DFT of every column. LOOM_ERR_SIZE if rows is not a power of two or too large. */
LOOM_MUST_USE loom_status loom_dft_batch(const loom_field *f, uint32_t *m, size_t rows, size_t cols);

/* In-place inverse DFT of every column. */
LOOM_MUST_USE loom_status loom_idft_batch(const loom_field *f, uint32_t *m, size_t rows, size_t cols);

/* In-place coset DFT with shift s (s = 1 is the plain DFT). */
LOOM_MUST_USE loom_status loom_coset_dft_batch(const loom_field *f, uint32_t *m, size_t rows, size_t cols,
                                               uint32_t shift);

/* In-place coset inverse DFT with shift s (s must be non-zero). */
LOOM_MUST_USE loom_status loom_coset_idft_batch(const loom_field *f, uint32_t *m, size_t rows, size_t cols,
                                                uint32_t shift);

/*
 * Coset low-degree extension: `in` holds evaluations on the subgroup of size `rows`; `out`
 * (caller-owned, (rows << added_bits) x cols, may not alias `in`) receives the evaluations of
 * the same polynomials on the coset s * <w'>, |<w'>| = rows << added_bits, in natural order.
 */
LOOM_MUST_USE loom_status loom_coset_lde_batch(const loom_field *f, uint32_t *out, const uint32_t *in,
                                               size_t rows, size_t cols, unsigned added_bits,
                                               uint32_t shift);

/* Permutes the rows into bit-reversed order (row i <-> row bitrev(i)). rows: a power of two. */
LOOM_MUST_USE loom_status loom_bit_reverse_rows(uint32_t *m, size_t rows, size_t cols);

/* The naive O(n^2) DFT of one column (the test reference); out and in may not alias. */
LOOM_MUST_USE loom_status loom_dft_naive(const loom_field *f, uint32_t *out, const uint32_t *in, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* LOOM_NTT_H */
