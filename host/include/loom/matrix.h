/* SPDX-License-Identifier: Apache-2.0 */
/* loom/matrix.h - row-major matrices of canonical field elements, and reading/writing them. */
#ifndef LOOM_MATRIX_H
#define LOOM_MATRIX_H

#include <stddef.h>
#include <stdint.h>

#include "loom/field.h"
#include "loom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A read-only view of a contiguous row-major matrix: element (r, c) is data[r * cols + c]. */
typedef struct {
    const uint32_t *data;
    size_t rows;
    size_t cols;
} loom_matrix_view;

/* The shape of a matrix, for verifiers that do not hold its data. */
typedef struct {
    size_t rows;
    size_t cols;
} loom_matrix_dims;

/*
 * Reads a raw matrix file: little-endian u32, row-major, rows x cols, every value canonical for
 * `f`. *out is allocated with malloc (free it with free()). Errors, each with a message naming
 * the file: LOOM_ERR_IO (cannot open or read), LOOM_ERR_SIZE (file size is not rows*cols*4, or
 * rows/cols zero or overflowing), LOOM_ERR_NOT_CANONICAL (the first value >= p, with its row and
 * column). Nothing is allocated on failure.
 */
LOOM_MUST_USE loom_status loom_matrix_read_file(const loom_field *f, uint32_t **out, const char *path,
                                                size_t rows, size_t cols);

/*
 * Writes n u32 values little-endian to `path` atomically: the data goes to a temporary file in
 * the same folder that is renamed over `path` only once fully written, so a failure never leaves
 * a partial file. LOOM_ERR_IO with the OS reason on failure.
 */
LOOM_MUST_USE loom_status loom_matrix_write_file(const char *path, const uint32_t *data, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* LOOM_MATRIX_H */
