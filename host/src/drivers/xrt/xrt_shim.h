/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A C face on XRT's native C++ API (xrt_shim.cpp). XRT throws C++ exceptions, including from what
 * looks like its C API; every function here catches them all and returns a code, with XRT's
 * message in `err`. Nothing C++ crosses this boundary.
 */
#ifndef LOOM_DRIVERS_XRT_SHIM_H
#define LOOM_DRIVERS_XRT_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "internal/common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    LOOM_XRT_OK = 0,
    LOOM_XRT_ERR = 1,       /* XRT reported an error (message in err) */
    LOOM_XRT_NO_MEMORY = 2, /* host or device buffer allocation failed */
    LOOM_XRT_TIMEOUT = 3,   /* a run did not finish in time (it was aborted) */
};

typedef struct loom_xrt_dev loom_xrt_dev;
typedef struct loom_xrt_buf loom_xrt_buf;
typedef struct loom_xrt_run loom_xrt_run;

typedef struct {
    char name[128];      /* the shell, e.g. "xilinx_u250_gen3x16_xdma_shell_4_1" */
    char bdf[32];        /* PCI address "0000:af:00.1" */
    unsigned clock_mhz;  /* highest kernel clock the shell offers */
} loom_xrt_card;

/* The folder libxrt_coreutil was loaded from ("" if unknown). */
LOOM_HIDDEN const char *loom_xrt_coreutil_dir(void);

/* Number of cards XRT sees. With none, err says why (XRT's message for device 0). */
LOOM_HIDDEN int loom_xrt_count(unsigned *n, char *err, size_t err_len);

LOOM_HIDDEN int loom_xrt_card_info(unsigned index, loom_xrt_card *out, char *err, size_t err_len);

/* Opens the card by PCI address (bdf non-empty) or index, loads the xclbin, opens the kernel. */
LOOM_HIDDEN int loom_xrt_open(loom_xrt_dev **out, const char *bdf, unsigned index, const char *xclbin,
                              const char *kernel, char *err, size_t err_len);
LOOM_HIDDEN void loom_xrt_close(loom_xrt_dev *d);

/* A device buffer of `bytes` in the memory bank of kernel argument `arg`, mapped into the host. */
LOOM_HIDDEN int loom_xrt_buf_alloc(loom_xrt_dev *d, loom_xrt_buf **out, size_t bytes, int arg, char *err,
                                   size_t err_len);
LOOM_HIDDEN void *loom_xrt_buf_map(loom_xrt_buf *b);
LOOM_HIDDEN size_t loom_xrt_buf_size(const loom_xrt_buf *b);
/* Copies the first `bytes` to the card (to_device != 0) or back. */
LOOM_HIDDEN int loom_xrt_buf_sync(loom_xrt_buf *b, int to_device, size_t bytes, char *err, size_t err_len);
LOOM_HIDDEN void loom_xrt_buf_free(loom_xrt_buf *b);

/* Starts loom_p2_hash(src, dst, n_rows, row_len, mode). */
LOOM_HIDDEN int loom_xrt_run_start(loom_xrt_dev *d, loom_xrt_run **out, loom_xrt_buf *src, loom_xrt_buf *dst,
                                   uint32_t n_rows, uint32_t row_len, uint32_t mode, char *err, size_t err_len);
/* Waits up to timeout_ms; on timeout aborts the run and returns LOOM_XRT_TIMEOUT. Frees the run. */
LOOM_HIDDEN int loom_xrt_run_finish(loom_xrt_run *r, unsigned timeout_ms, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif
#endif
