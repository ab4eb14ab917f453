/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Alveo (XRT) driver's internals, visible to its tests: xclbin validation, the XILINX_XRT
 * set-up, kernel argument and row packing. Nothing here needs a card.
 */
#ifndef LOOM_DRIVERS_XRT_INTERNAL_H
#define LOOM_DRIVERS_XRT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "internal/common.h"
#include "loom/matrix.h"

/* The kernel every Loom xclbin holds (hls/loom_p2_hash.cpp; the RTL core has the same name). */
#define LOOM_XRT_KERNEL "loom_p2_hash"
#define LOOM_XRT_MODE_HASH 0u
#define LOOM_XRT_MODE_COMPRESS 1u
/* Rows the kernel interleaves (hls/kernel_config.h LOOM_HLS_LANES): launches are cut at multiples. */
#define LOOM_XRT_LANES 1024u
/* Bytes of input per launch; two launches are in flight (one running, one being filled). */
#define LOOM_XRT_CHUNK_BYTES ((size_t)64 << 20)

/* What an xclbin says about itself. */
typedef struct {
    char platform[65];      /* m_platformVBNV, e.g. "xilinx_u250_gen3x16_xdma_shell_4_1" */
    unsigned mode;          /* enum XCLBIN_MODE: 0 flat (hardware), 4 hw_emu, 5 sw_emu, ... */
    unsigned compute_units; /* instances of the requested kernel */
    unsigned kernel_mhz;    /* the kernel clock from CLOCK_FREQ_TOPOLOGY, 0 if absent */
    char kernels[256];      /* the kernel names in IP_LAYOUT, comma-separated */
} loom_xclbin_info;

/*
 * Checks that `path` is an xclbin (axlf, magic "xclbin2") whose sections lie inside the file and
 * whose IP_LAYOUT holds at least one instance of `kernel`. Reads only the headers and IP_LAYOUT.
 * Errors: LOOM_ERR_IO (cannot open or read), LOOM_ERR_FORMAT (not an xclbin, truncated, a section
 * outside the file), LOOM_ERR_NOT_FOUND (no IP_LAYOUT, or no such kernel: the message lists the
 * kernels there are). Messages name the file.
 */
LOOM_HIDDEN loom_status loom_xrt_xclbin_check(loom_xclbin_info *info, const char *path, const char *kernel);

/* The name of an xclbin mode ("hw", "hw_emu", ...). */
LOOM_HIDDEN const char *loom_xrt_xclbin_mode_name(unsigned mode);

/*
 * Makes XRT able to start. XRT 2.13 loads $XILINX_XRT/lib/libxrt_core.so.2 and refuses to run
 * without XILINX_XRT; Debian installs that library in the multiarch folder. A XILINX_XRT the user
 * set is kept (and checked). Otherwise this points XILINX_XRT at a private folder
 * ($XDG_RUNTIME_DIR/loom-xrt, else ${TMPDIR:-/tmp}/loom-xrt-<uid>, mode 0700, owned by the user)
 * whose lib/libxrt_core.so.2 links to the one beside `coreutil_dir` (the folder of the loaded
 * libxrt_coreutil). Runs once per process; the result is remembered. On failure `why` says what
 * is missing.
 */
LOOM_HIDDEN loom_status loom_xrt_env_prepare(const char *coreutil_dir, char *why, size_t why_len);

/* The work of one kernel launch and its buffer sizes (64-byte multiples: the kernel moves whole
 * 512-bit words). */
typedef struct {
    uint32_t n_rows;    /* rows to hash, or digest pairs to compress */
    uint32_t row_len;   /* elements per row (0 when compressing) */
    uint32_t mode;      /* LOOM_XRT_MODE_* */
    size_t src_bytes;
    size_t dst_bytes;
} loom_xrt_args;

/* Arguments for hashing n_rows rows of row_len elements (row_len >= 1). LOOM_ERR_SIZE when a count
 * does not fit the kernel's 32-bit registers or the buffer size overflows. */
LOOM_HIDDEN loom_status loom_xrt_args_hash(loom_xrt_args *a, size_t n_rows, size_t row_len);

/* Arguments for compressing n_pairs digest pairs. */
LOOM_HIDDEN loom_status loom_xrt_args_compress(loom_xrt_args *a, size_t n_pairs);

/* Rows per launch for rows of row_bytes: what fits budget_bytes (at least one), cut to a multiple
 * of `lanes` when more than that, and at most UINT32_MAX. */
LOOM_HIDDEN size_t loom_xrt_chunk_rows(size_t row_bytes, size_t budget_bytes, size_t lanes);

/* Writes rows row0 .. row0 + count - 1 of the views to dst, each row the concatenation of that row
 * of every view (the leaf input order), rows back to back. The caller checked the row range. */
LOOM_HIDDEN void loom_xrt_pack_rows(uint32_t *dst, const loom_matrix_view *views, size_t n_views, size_t row0,
                                    size_t count);

/* Milliseconds to wait for a launch of `perms` permutations before calling the card hung. */
LOOM_HIDDEN unsigned loom_xrt_timeout_ms(uint64_t perms);

#endif
