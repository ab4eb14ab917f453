/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LOOM_INTERNAL_CPU_INFO_H
#define LOOM_INTERNAL_CPU_INFO_H

#include "internal/common.h"

typedef struct {
    char model[128];
    unsigned logical_cores;
    uint64_t memory_bytes;
    int has_avx2;     /* CPU and OS support (XSAVE state enabled) */
    int has_avx512;   /* AVX-512 F + BW + DQ + VL, with OS support */
    int has_neon;
} loom_cpu_facts;

LOOM_HIDDEN void loom_cpu_facts_get(loom_cpu_facts *out);

#endif
