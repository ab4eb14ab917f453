/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LOOM_INTERNAL_CTX_H
#define LOOM_INTERNAL_CTX_H

#include "internal/driver.h"
#include "loom/loom.h"

#define LOOM_CTX_MAX_DEVICES 64

struct loom_ctx {
    size_t n_devices;
    loom_device devices[LOOM_CTX_MAX_DEVICES];
};

#endif
