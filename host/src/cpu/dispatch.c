/* SPDX-License-Identifier: Apache-2.0 */
/* Picks the SIMD level once: $LOOM_SIMD, else the best this CPU runs. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/kernels.h"
#include "internal/cpu_info.h"

static const char *const names[LOOM_SIMD_LEVELS] = {"scalar", "avx2", "avx512", "neon"};

static const loom_cpu_kernels *compiled(loom_simd_level level)
{
    switch (level) {
    case LOOM_SIMD_SCALAR: return &loom_kernels_scalar;
#ifdef LOOM_HAVE_KERNELS_AVX2
    case LOOM_SIMD_AVX2: return &loom_kernels_avx2;
#endif
#ifdef LOOM_HAVE_KERNELS_AVX512
    case LOOM_SIMD_AVX512: return &loom_kernels_avx512;
#endif
#ifdef LOOM_HAVE_KERNELS_NEON
    case LOOM_SIMD_NEON: return &loom_kernels_neon;
#endif
    default: return NULL;
    }
}

static loom_cpu_facts facts;
static pthread_once_t facts_once = PTHREAD_ONCE_INIT;

static void facts_init(void) { loom_cpu_facts_get(&facts); }

static int cpu_runs(loom_simd_level level)
{
    pthread_once(&facts_once, facts_init);
    switch (level) {
    case LOOM_SIMD_SCALAR: return 1;
    case LOOM_SIMD_AVX2: return facts.has_avx2;
    case LOOM_SIMD_AVX512: return facts.has_avx512;
    case LOOM_SIMD_NEON: return facts.has_neon;
    }
    return 0;
}

const loom_cpu_kernels *loom_cpu_kernels_for(loom_simd_level level)
{
    if ((unsigned)level >= LOOM_SIMD_LEVELS || !cpu_runs(level))
        return NULL;
    return compiled(level);
}

loom_simd_level loom_simd_best(void)
{
    static const loom_simd_level order[] = {LOOM_SIMD_AVX512, LOOM_SIMD_AVX2, LOOM_SIMD_NEON};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (loom_cpu_kernels_for(order[i]))
            return order[i];
    return LOOM_SIMD_SCALAR;
}

const char *loom_simd_name(loom_simd_level level)
{
    return (unsigned)level < LOOM_SIMD_LEVELS ? names[level] : "unknown";
}

loom_status loom_simd_parse(loom_simd_level *out, const char *name)
{
    for (unsigned i = 0; i < LOOM_SIMD_LEVELS; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *out = (loom_simd_level)i;
            return LOOM_OK;
        }
    return loom_fail(LOOM_ERR_NOT_FOUND, "unknown SIMD level '%s'; expected one of: scalar, avx2, avx512, neon",
                     name ? name : "(null)");
}

static _Atomic(const loom_cpu_kernels *) active;

static loom_status unsupported(loom_simd_level level, const char *how)
{
    char avail[64] = "scalar";
    for (unsigned i = 1; i < LOOM_SIMD_LEVELS; i++)
        if (loom_cpu_kernels_for((loom_simd_level)i)) {
            strcat(avail, ", ");
            strcat(avail, names[i]);
        }
    if (!cpu_runs(level))
        return loom_fail(LOOM_ERR_UNSUPPORTED, "%s: this CPU has no %s; available: %s", how, names[level], avail);
    return loom_fail(LOOM_ERR_UNSUPPORTED, "%s: this build of Loom has no %s kernels; available: %s", how,
                     names[level], avail);
}

loom_status loom_simd_env_status(void)
{
    const char *env = getenv("LOOM_SIMD");
    if (!env || !env[0])
        return LOOM_OK;
    loom_simd_level level = LOOM_SIMD_SCALAR;
    if (loom_simd_parse(&level, env) != LOOM_OK)
        return loom_fail(LOOM_ERR_CONFIG, "LOOM_SIMD='%s' is not a SIMD level; expected scalar, avx2, avx512 or neon",
                         env);
    return loom_cpu_kernels_for(level) ? LOOM_OK : unsupported(level, "LOOM_SIMD");
}

const loom_cpu_kernels *loom_cpu_kernels_active(void)
{
    const loom_cpu_kernels *k = atomic_load_explicit(&active, memory_order_acquire);
    if (k)
        return k;
    const char *env = getenv("LOOM_SIMD");
    loom_simd_level level = loom_simd_best();
    if (env && env[0]) {
        loom_simd_level want = LOOM_SIMD_SCALAR;
        /* An invalid LOOM_SIMD is reported by loom_simd_env_status() (called when a context is
         * created); kernels called directly fall back to the scalar reference rather than guess. */
        level = loom_simd_parse(&want, env) == LOOM_OK && loom_cpu_kernels_for(want) ? want : LOOM_SIMD_SCALAR;
    }
    k = loom_cpu_kernels_for(level);
    atomic_store_explicit(&active, k, memory_order_release);
    return k;
}

loom_status loom_simd_select(loom_simd_level level)
{
    if ((unsigned)level >= LOOM_SIMD_LEVELS)
        return loom_fail(LOOM_ERR_INVALID_ARG, "unknown SIMD level %d", (int)level);
    const loom_cpu_kernels *k = loom_cpu_kernels_for(level);
    if (!k)
        return unsupported(level, "SIMD level");
    atomic_store_explicit(&active, k, memory_order_release);
    return LOOM_OK;
}
