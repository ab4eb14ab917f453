/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OpenCL driver's entry points beyond the ops table, for tests, the benchmark and tools
 * (not installed, not part of the public API).
 */
#ifndef LOOM_OPENCL_INTERNAL_H
#define LOOM_OPENCL_INTERNAL_H

#include "internal/driver.h"

/*
 * In-place batched DFT (inverse = 0) or inverse DFT (inverse = 1) of the columns of a row-major
 * rows x cols matrix on the device, the semantics of loom_dft_batch / loom_idft_batch.
 */
LOOM_HIDDEN loom_status loom_opencl_dft(loom_device *dev, const loom_field *f, uint32_t *m, size_t rows, size_t cols,
                                        int inverse);

/*
 * Builds `source` with `options` for the device and throws the program away: LOOM_OK, or
 * LOOM_ERR_DEVICE with the compiler's log in the message (what a broken kernel source reports).
 */
LOOM_HIDDEN loom_status loom_opencl_build_check(loom_device *dev, const char *source, const char *options);

/*
 * Writes the device's program binary (built from Loom's sources, or loaded) to `path`: the file
 * a config names with `binary:` to skip compilation on a machine with the same device.
 */
LOOM_HIDDEN loom_status loom_opencl_write_binary(loom_device *dev, const char *path);

/* Where the device's program came from: "none" (not built yet), "source", "cache" or "binary". */
LOOM_HIDDEN const char *loom_opencl_program_origin(const loom_device *dev);

/* Builds (or loads) the device's program now instead of at its first operation. */
LOOM_HIDDEN loom_status loom_opencl_prepare(loom_device *dev);

/* The folder of the on-disk program cache (see docs/opencl.md); "" when there is none. */
LOOM_HIDDEN void loom_opencl_cache_dir(char *out, size_t len);

#endif
