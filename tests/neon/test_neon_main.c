/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NEON kernel table against the scalar reference, bit for bit. A standalone program (no
 * cmocka, no libyaml) so that CI can cross-compile it statically for aarch64 with nothing but
 * the cross libc, and run it under qemu-user (tests/neon/run.sh). Prints one line per check and
 * ends with "N passed, M failed"; the exit status is 0 only when M is 0.
 *
 * Sizes are small on purpose: under qemu every permutation costs ~100x native time.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS for the guard-page buffers */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/kernels.h"
#include "loom/field.h"
#include "loom/poseidon2.h"

static unsigned n_pass, n_fail;

static void check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "ok  " : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (ok)
        n_pass++;
    else
        n_fail++;
}

/* ---- Deterministic inputs: splitmix64 from a fixed (printed) seed. ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A value in [0, p), one time in four one of the edge values 0, 1, 2, p - 2, p - 1. */
static uint32_t rand_elem(uint32_t p)
{
    const uint64_t r = rng_next();
    if ((r & 3) == 0) {
        const uint32_t edge[5] = {0, 1, 2, p - 2, p - 1};
        return edge[(r >> 2) % 5];
    }
    return (uint32_t)((r >> 8) % p);
}

/* Random elements; the first ones are 0, 1, p - 1 so every length >= 3 meets them. */
static void fill(uint32_t *x, size_t n, uint32_t p)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rand_elem(p);
    const uint32_t lead[3] = {0, 1, p - 1};
    for (size_t i = 0; i < n && i < 3; i++)
        x[(i * 5) % n] = lead[i];
}

/* Index of the first difference, or -1. */
static long first_diff(const uint32_t *a, const uint32_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return (long)i;
    return -1;
}

/*
 * n words whose end touches an inaccessible page, so a kernel that reads or writes past the last
 * element faults instead of passing by luck (the sponge's partial final block must not read past
 * the row). Falls back to malloc where mmap fails.
 */
typedef struct {
    void *map;
    size_t map_len;
    uint32_t *p;
} guarded;

static uint32_t *guarded_alloc(guarded *g, size_t n)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t bytes = n * sizeof(uint32_t), data_pages = (bytes + page - 1) / page;
    g->map_len = (data_pages + 1) * page;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED || mprotect((char *)g->map + data_pages * page, page, PROT_NONE) != 0) {
        g->map = NULL;
        g->p = malloc(bytes ? bytes : 1);
        return g->p;
    }
    g->p = (uint32_t *)((char *)g->map + data_pages * page - bytes);
    return g->p;
}

static void guarded_free(guarded *g)
{
    if (g->map)
        munmap(g->map, g->map_len);
    else
        free(g->p);
}

static const loom_cpu_kernels *S = &loom_kernels_scalar, *N = &loom_kernels_neon;

/* ---- Field array kernels. ---- */

static const size_t lengths[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 100};
#define N_LENGTHS (sizeof lengths / sizeof lengths[0])
#define MAXLEN 100

static void test_arrays(const loom_field *f)
{
    const uint32_t p = f->p, mu = f->mu;
    for (size_t li = 0; li < N_LENGTHS; li++) {
        const size_t n = lengths[li];
        uint32_t a[MAXLEN], b[MAXLEN], want[MAXLEN], got[MAXLEN], alias[MAXLEN];
        fill(a, n, p);
        fill(b, n, p);
        /* b's edge values sit at other positions than a's, so 0 * (p-1) etc. also occur. */
        if (n > 1) {
            b[1] = p - 1;
            a[n - 1] = p - 1;
            b[n - 1] = p - 1;
        }
        long d;
        int ok;

        S->add(want, a, b, n, p);
        N->add(got, a, b, n, p);
        memcpy(alias, a, n * sizeof *a);
        N->add(alias, alias, b, n, p); /* out == a */
        d = first_diff(want, got, n);
        ok = d < 0 && first_diff(want, alias, n) < 0;
        check(ok, "%s add n=%zu%s", f->name, n, d >= 0 ? " (mismatch)" : "");

        S->sub(want, a, b, n, p);
        N->sub(got, a, b, n, p);
        memcpy(alias, b, n * sizeof *b);
        N->sub(alias, a, alias, n, p); /* out == b */
        ok = first_diff(want, got, n) < 0 && first_diff(want, alias, n) < 0;
        check(ok, "%s sub n=%zu", f->name, n);

        S->mul(want, a, b, n, p, mu);
        N->mul(got, a, b, n, p, mu);
        memcpy(alias, a, n * sizeof *a);
        N->mul(alias, alias, b, n, p, mu);
        ok = first_diff(want, got, n) < 0 && first_diff(want, alias, n) < 0;
        check(ok, "%s mul n=%zu", f->name, n);

        for (unsigned deg = 3; deg <= 7; deg += 4) {
            S->sbox(want, a, n, deg, p, mu);
            N->sbox(got, a, n, deg, p, mu);
            memcpy(alias, a, n * sizeof *a);
            N->sbox(alias, alias, n, deg, p, mu);
            ok = first_diff(want, got, n) < 0 && first_diff(want, alias, n) < 0;
            check(ok, "%s sbox%u n=%zu", f->name, deg, n);
        }

        const uint32_t scales[3] = {rand_elem(p), 0, p - 1};
        for (unsigned si = 0; si < 3; si++) {
            memcpy(want, a, n * sizeof *a);
            memcpy(got, a, n * sizeof *a);
            S->scale_row(want, n, scales[si], p, mu);
            N->scale_row(got, n, scales[si], p, mu);
            check(first_diff(want, got, n) < 0, "%s scale_row n=%zu s=%" PRIu32, f->name, n, scales[si]);
        }

        for (int unit = 0; unit <= 1; unit++)
            for (int neg = 0; neg <= 1; neg++) {
                const uint32_t w = unit ? rand_elem(p) : (neg ? p - 1 : rand_elem(p));
                uint32_t wa[MAXLEN], wb[MAXLEN], ga[MAXLEN], gb[MAXLEN];
                memcpy(wa, a, n * sizeof *a);
                memcpy(wb, b, n * sizeof *b);
                memcpy(ga, a, n * sizeof *a);
                memcpy(gb, b, n * sizeof *b);
                S->bfly2_rows(wa, wb, n, w, unit, neg, p, mu);
                N->bfly2_rows(ga, gb, n, w, unit, neg, p, mu);
                ok = first_diff(wa, ga, n) < 0 && first_diff(wb, gb, n) < 0;
                check(ok, "%s bfly2_rows n=%zu unit=%d neg=%d w=%" PRIu32, f->name, n, unit, neg, w);
            }
    }
}

/* ---- Poseidon2 kernels. ---- */

static void test_permute_many(const loom_poseidon2 *perm)
{
    const loom_field *f = loom_field_get(perm->field);
    static const size_t ns[] = {0, 1, 3, 4, 5, 7, 8, 9};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        const size_t n = ns[k], words = n * perm->width;
        guarded gw, gg;
        uint32_t *want = guarded_alloc(&gw, words), *got = guarded_alloc(&gg, words);
        fill(want, words, f->p);
        memcpy(got, want, words * sizeof *want);
        S->permute_many(perm, want, n);
        N->permute_many(perm, got, n);
        const long d = first_diff(want, got, words);
        check(d < 0, "%s permute_many n=%zu%s", perm->name, n, d >= 0 ? " (mismatch)" : "");
        guarded_free(&gw);
        guarded_free(&gg);
    }
}

static int digests_equal(const loom_digest *a, const loom_digest *b, size_t n)
{
    return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

static void test_hash_rows(const loom_poseidon2 *perm)
{
    const loom_field *f = loom_field_get(perm->field);
    static const size_t row_counts[] = {1, 3, 4, 5, 7, 8, 9};
    static const size_t col_counts[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
                                        14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 64};
    for (size_t ci = 0; ci < sizeof col_counts / sizeof col_counts[0]; ci++) {
        const size_t cols = col_counts[ci];
        /* Each column count with a dense matrix and with padding between rows (stride > cols:
         * the padding holds random values a kernel must not absorb). */
        for (size_t pad = 0; pad <= 3; pad += 3) {
            const size_t stride = cols + pad;
            int ok = 1;
            for (size_t ri = 0; ri < sizeof row_counts / sizeof row_counts[0]; ri++) {
                const size_t rows = row_counts[ri], words = (rows - 1) * stride + cols;
                guarded gm;
                uint32_t *m = guarded_alloc(&gm, words);
                fill(m, words, f->p);
                loom_digest want[9], got[9];
                memset(got, 0xa5, sizeof got);
                S->hash_rows(perm, want, m, rows, cols, stride);
                N->hash_rows(perm, got, m, rows, cols, stride);
                if (!digests_equal(want, got, rows)) {
                    ok = 0;
                    printf("     mismatch at rows=%zu\n", rows);
                }
                guarded_free(&gm);
            }
            check(ok, "%s hash_rows cols=%zu stride=%zu rows=1,3,4,5,7,8,9", perm->name, cols, stride);
        }
    }
}

static void test_compress(const loom_poseidon2 *perm)
{
    const loom_field *f = loom_field_get(perm->field);
    for (size_t n_out = 0; n_out <= 9; n_out++) {
        loom_digest in[18], want[9], got[9];
        fill((uint32_t *)in, 2 * n_out * LOOM_DIGEST_WORDS, f->p);
        memset(got, 0xa5, sizeof got);
        S->compress(perm, want, in, n_out);
        N->compress(perm, got, in, n_out);
        /* Nothing past n_out may be written. */
        int ok = digests_equal(want, got, n_out);
        for (size_t i = n_out; i < 9; i++)
            ok = ok && got[i].v[0] == 0xa5a5a5a5u;
        check(ok, "%s compress n_out=%zu", perm->name, n_out);
    }
}

/* Plonky3's test vector (babybear-plonky3-16), run through the NEON body: the input sits in lane
 * 2 of a group of 4 states, the others random. */
static void test_kat(void)
{
    const loom_poseidon2 *perm = NULL;
    if (loom_poseidon2_by_name(&perm, "babybear-plonky3-16") != LOOM_OK) {
        check(0, "KAT: babybear-plonky3-16 not found");
        return;
    }
    static const uint32_t in[16] = {894848333, 1437655012, 1200606629, 1690012884, 71131202,  1749206695,
                                    1717947831, 120589055, 19776022,   42382981,   1831865506, 724844064,
                                    171220207, 1299207443, 227047920,  1783754913};
    uint32_t st[4 * 16];
    fill(st, 4 * 16, 0x78000001u);
    memcpy(st + 2 * 16, in, sizeof in);
    N->permute_many(perm, st, 4);
    const uint32_t *out = st + 2 * 16;
    check(out[0] == 516096821u && out[15] == 1344246938u,
          "KAT babybear-plonky3-16 via neon permute_many: out[0]=%" PRIu32 " out[15]=%" PRIu32, out[0], out[15]);
}

static void test_dispatch(void)
{
    check(N->level == LOOM_SIMD_NEON && N->lanes == 4 && strcmp(N->name, "neon") == 0,
          "table: level=%d lanes=%u name=%s", (int)N->level, N->lanes, N->name);
#if defined(__aarch64__)
    const loom_simd_level best = loom_simd_best();
    check(best == LOOM_SIMD_NEON, "dispatch: loom_simd_best() = %s (want neon)", loom_simd_name(best));
    check(loom_cpu_kernels_for(LOOM_SIMD_NEON) == N, "dispatch: loom_cpu_kernels_for(neon) is loom_kernels_neon");
    const char *env = getenv("LOOM_SIMD");
    if (!env || !env[0])
        check(loom_cpu_kernels_active() == N, "dispatch: active table is neon");
#endif
}

int main(int argc, char **argv)
{
    uint64_t seed = 0x4c4f4f4d4e454f4eull; /* "LOOMNEON" */
    if (argc > 1)
        seed = strtoull(argv[1], NULL, 0);
    setvbuf(stdout, NULL, _IOLBF, 0); /* a crash under qemu still shows the check it was in */
    rng_state = seed;
    printf("seed 0x%016" PRIx64 " (pass another as argv[1])\n", seed);

    test_dispatch();
    for (loom_field_id id = 0; id < LOOM_FIELD_COUNT; id++)
        test_arrays(loom_field_get(id));
    test_kat();
    for (size_t i = 0; i < loom_poseidon2_count(); i++) {
        const loom_poseidon2 *perm = loom_poseidon2_at(i);
        test_permute_many(perm);
        test_hash_rows(perm);
        test_compress(perm);
    }
    printf("%u passed, %u failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
