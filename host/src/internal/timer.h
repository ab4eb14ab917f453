/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LOOM_INTERNAL_TIMER_H
#define LOOM_INTERNAL_TIMER_H

#include <time.h>

static inline double loom_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
