/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal/cpu_info.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static void x86_facts(loom_cpu_facts *out)
{
    unsigned a, b, c, d;
    unsigned max_ext = __get_cpuid_max(0x80000000u, NULL);
    if (max_ext >= 0x80000004u) {
        unsigned *w = (unsigned *)out->model;
        for (unsigned leaf = 0; leaf < 3; leaf++) {
            __cpuid(0x80000002u + leaf, a, b, c, d);
            w[4 * leaf + 0] = a, w[4 * leaf + 1] = b, w[4 * leaf + 2] = c, w[4 * leaf + 3] = d;
        }
        out->model[48] = '\0';
    }
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    int osxsave = (c >> 27) & 1;
    if (!osxsave)
        return;
    uint64_t xcr0 = xgetbv0();
    int ymm_os = (xcr0 & 0x6) == 0x6;     /* SSE and AVX state */
    int zmm_os = (xcr0 & 0xe6) == 0xe6;   /* plus opmask and both ZMM halves */
    if (__get_cpuid_max(0, NULL) < 7)
        return;
    __cpuid_count(7, 0, a, b, c, d);
    out->has_avx2 = ymm_os && ((b >> 5) & 1);
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    out->has_avx512 = zmm_os && f && dq && bw && vl;
}
#endif

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t'))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    memmove(s, s + i, strlen(s + i) + 1);
}

/* /proc/cpuinfo names the model where CPUID cannot (Arm, or a hypervisor hiding the brand). */
static void proc_model(char *model, size_t len)
{
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (!fp)
        return;
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model", 5) == 0 ||
            strncmp(line, "Hardware", 8) == 0) {
            snprintf(model, len, "%s", colon + 1);
            break;
        }
    }
    fclose(fp);
}

void loom_cpu_facts_get(loom_cpu_facts *out)
{
    memset(out, 0, sizeof *out);
#if defined(__x86_64__) || defined(__i386__)
    x86_facts(out);
#elif defined(__aarch64__)
    out->has_neon = 1; /* Advanced SIMD is mandatory on AArch64 */
#endif
    trim(out->model);
    if (out->model[0] == '\0')
        proc_model(out->model, sizeof out->model);
    trim(out->model);
    if (out->model[0] == '\0')
        snprintf(out->model, sizeof out->model, "unknown CPU");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    out->logical_cores = n > 0 ? (unsigned)n : 1;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    out->memory_bytes = (pages > 0 && page > 0) ? (uint64_t)pages * (uint64_t)page : 0;
}
