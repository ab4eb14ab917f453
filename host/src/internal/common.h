/* SPDX-License-Identifier: Apache-2.0 */
/* Internal helpers shared by every host source file. Not installed. */
#ifndef LOOM_INTERNAL_COMMON_H
#define LOOM_INTERNAL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "loom/status.h"

#if defined(__GNUC__) || defined(__clang__)
#define LOOM_HIDDEN __attribute__((visibility("hidden")))
#else
#define LOOM_HIDDEN
#endif

/* Sets this thread's last-error message and returns `s`, so failures read `return loom_fail(...)`. */
LOOM_HIDDEN loom_status loom_fail(loom_status s, const char *fmt, ...) LOOM_PRINTF(2, 3);

#define LOOM_TRY(expr)                                                                             \
    do {                                                                                           \
        loom_status loom_try_s_ = (expr);                                                          \
        if (loom_try_s_ != LOOM_OK)                                                                \
            return loom_try_s_;                                                                    \
    } while (0)

static inline int loom_is_pow2(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

static inline unsigned loom_log2_exact(uint64_t x)
{
    unsigned k = 0;
    while ((1ull << k) < x)
        k++;
    return k;
}

/* Reverses the low `bits` bits of i. */
static inline uint64_t loom_bitrev(uint64_t i, unsigned bits)
{
    if (bits == 0)
        return 0;
    i = ((i >> 1) & 0x5555555555555555ull) | ((i & 0x5555555555555555ull) << 1);
    i = ((i >> 2) & 0x3333333333333333ull) | ((i & 0x3333333333333333ull) << 2);
    i = ((i >> 4) & 0x0f0f0f0f0f0f0f0full) | ((i & 0x0f0f0f0f0f0f0f0full) << 4);
    i = ((i >> 8) & 0x00ff00ff00ff00ffull) | ((i & 0x00ff00ff00ff00ffull) << 8);
    i = ((i >> 16) & 0x0000ffff0000ffffull) | ((i & 0x0000ffff0000ffffull) << 16);
    i = (i >> 32) | (i << 32);
    return i >> (64 - bits);
}

#endif /* LOOM_INTERNAL_COMMON_H */
