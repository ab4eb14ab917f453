/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The body shared by the x86 SIMD levels (avx2.c, avx512.c). It is written once against a small
 * set of vector primitives that the including file defines first, so the AVX-512 level (which
 * cannot run on every development machine) executes exactly the logic the AVX2 level is tested
 * with; only the primitives differ. Each including file is compiled with its own -m flags and
 * everything here is static, so the two copies never mix.
 *
 * The including file provides:
 *   vec, LANES (8 or 16), v_set1, v_zero, v_loadu, v_storeu,
 *   v_add / v_sub  (canonical in, canonical out),
 *   v_mul          (Montgomery product of canonical values, canonical out),
 *   v_mul_c        (the same, with a broadcast constant as second operand),
 *   v_srli, v_slli, v_and, v_sub_raw (plain 32-bit lane shifts, and, wrapping subtraction),
 *   v_shl_add_reduce(sum, x, j): (sum + x 2^j) 2^-32 mod p, the sum formed in 64 bits,
 *   load_cols(dst, base, stride, k): dst[i] lane j = base[j * stride + i] for i < k <= 8;
 *                  dst[i >= k] untouched; reads nothing past base[j * stride + k - 1],
 *   store_cols(base, stride, src):   base[j * stride + i] = src[i] lane j for i < 8,
 *   and LOOM_X86_TABLE / LOOM_X86_LEVEL / LOOM_X86_NAME for the exported table.
 *
 * Layout of the Poseidon2 kernels: LANES independent states side by side, vector i holds word i
 * of every state (lane j = state j). A permutation then needs no cross-lane work at all; the
 * transposes happen once on the way in and out (load_cols / store_cols).
 */
#ifndef LOOM_CPU_X86_PACKED_H
#define LOOM_CPU_X86_PACKED_H

#include <immintrin.h>
#include <string.h>

#include "cpu/kernels.h"
#include "internal/monty.h"
#include "internal/poseidon2_ref.h"

#define XI static inline __attribute__((always_inline))

/* ---- 8x8 transposes of 32-bit words, used by both levels (AVX2 is a subset of both). ---- */

/* In place: r[i] lane j <- r[j] lane i. */
XI void transpose8x8(__m256i r[8])
{
    const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    const __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
    const __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
    /* u0: words 0 | 4 of rows 0..3; u1: 1 | 5; u2: 2 | 6; u3: 3 | 7; u4..u7 the same for rows 4..7 */
    const __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    const __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    const __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    const __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
    r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
    r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
    r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
    r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
    r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
    r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
    r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

/* r[i] lane j = base[j * stride + i] for i < k; lanes of words >= k are zero. A partial block
 * (k < 8) uses a masked load, which never touches (or faults on) the words past the row. */
XI void load8x8(__m256i r[8], const uint32_t *base, size_t stride, unsigned k)
{
    if (k >= 8) {
        for (unsigned j = 0; j < 8; j++)
            r[j] = _mm256_loadu_si256((const __m256i *)(base + j * stride));
    } else {
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        for (unsigned j = 0; j < 8; j++)
            r[j] = _mm256_maskload_epi32((const int *)(base + j * stride), mask);
    }
    transpose8x8(r);
}

/* base[j * stride + i] = r[i] lane j, i < 8 (r is clobbered). */
XI void store8x8(uint32_t *base, size_t stride, __m256i r[8])
{
    transpose8x8(r);
    for (unsigned j = 0; j < 8; j++)
        _mm256_storeu_si256((__m256i *)(base + j * stride), r[j]);
}

#endif /* LOOM_CPU_X86_PACKED_H */

/* ---- The level body: included once per level after its primitives (no include guard). ---- */
#ifdef LOOM_X86_TABLE

/* ---- Array kernels: vector main loop, scalar tail (the reference functions of monty.h). ---- */

static void x_add(uint32_t *out, const uint32_t *a, const uint32_t *b, size_t n, uint32_t p)
{
    const vec P = v_set1(p);
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        v_storeu(out + i, v_add(v_loadu(a + i), v_loadu(b + i), P));
    for (; i < n; i++)
        out[i] = mod_add(a[i], b[i], p);
}

static void x_sub(uint32_t *out, const uint32_t *a, const uint32_t *b, size_t n, uint32_t p)
{
    const vec P = v_set1(p);
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        v_storeu(out + i, v_sub(v_loadu(a + i), v_loadu(b + i), P));
    for (; i < n; i++)
        out[i] = mod_sub(a[i], b[i], p);
}

static void x_mul(uint32_t *out, const uint32_t *a, const uint32_t *b, size_t n, uint32_t p, uint32_t mu)
{
    const vec P = v_set1(p), MU = v_set1(mu);
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        v_storeu(out + i, v_mul(v_loadu(a + i), v_loadu(b + i), P, MU));
    for (; i < n; i++)
        out[i] = monty_mul(a[i], b[i], p, mu);
}

/* x^3 or x^7 (x2, x3 = x2 x, x4 = x2^2, x7 = x3 x4: depth 3). */
XI vec v_sbox(vec x, unsigned degree, vec P, vec MU)
{
    const vec x2 = v_mul(x, x, P, MU), x3 = v_mul(x2, x, P, MU);
    if (degree == 3)
        return x3;
    return v_mul(x3, v_mul(x2, x2, P, MU), P, MU);
}

static void x_sbox(uint32_t *out, const uint32_t *a, size_t n, unsigned degree, uint32_t p, uint32_t mu)
{
    const vec P = v_set1(p), MU = v_set1(mu);
    size_t i = 0;
    if (degree == 3)
        for (; i + LANES <= n; i += LANES)
            v_storeu(out + i, v_sbox(v_loadu(a + i), 3, P, MU));
    else
        for (; i + LANES <= n; i += LANES)
            v_storeu(out + i, v_sbox(v_loadu(a + i), 7, P, MU));
    for (; i < n; i++) {
        uint32_t x = a[i], x2 = monty_mul(x, x, p, mu), x3 = monty_mul(x2, x, p, mu);
        out[i] = degree == 3 ? x3 : monty_mul(x3, monty_mul(x2, x2, p, mu), p, mu);
    }
}

static void x_bfly2_rows(uint32_t *a, uint32_t *b, size_t cols, uint32_t w, int unit, int neg, uint32_t p,
                         uint32_t mu)
{
    const vec P = v_set1(p), MU = v_set1(mu), W = v_set1(w);
    size_t c = 0;
    for (; c + LANES <= cols; c += LANES) {
        const vec x = v_loadu(a + c), y = v_loadu(b + c);
        const vec t = unit ? y : v_mul_c(y, W, P, MU);
        const vec s = v_add(x, t, P), d = v_sub(x, t, P);
        v_storeu(a + c, neg ? d : s);
        v_storeu(b + c, neg ? s : d);
    }
    for (; c < cols; c++) {
        uint32_t x = a[c], t = unit ? b[c] : monty_mul(b[c], w, p, mu);
        a[c] = neg ? mod_sub(x, t, p) : mod_add(x, t, p);
        b[c] = neg ? mod_add(x, t, p) : mod_sub(x, t, p);
    }
}

static void x_scale_row(uint32_t *row, size_t cols, uint32_t s, uint32_t p, uint32_t mu)
{
    const vec P = v_set1(p), MU = v_set1(mu), S = v_set1(s);
    size_t c = 0;
    for (; c + LANES <= cols; c += LANES)
        v_storeu(row + c, v_mul_c(v_loadu(row + c), S, P, MU));
    for (; c < cols; c++)
        row[c] = monty_mul(row[c], s, p, mu);
}

/* ---- Poseidon2 on LANES states at once. ---- */

/* M_E: MDSMat4 on each chunk of 4 words (Plonky3's addition order), then the chunk column sums. */
XI void ext_layer(vec *s, const unsigned w, const vec P)
{
#pragma GCC unroll 6
    for (unsigned c = 0; c < w; c += 4) {
        vec *x = s + c;
        const vec t01 = v_add(x[0], x[1], P), t23 = v_add(x[2], x[3], P);
        const vec t0123 = v_add(t01, t23, P);
        const vec t01123 = v_add(t0123, x[1], P), t01233 = v_add(t0123, x[3], P);
        const vec y3 = v_add(t01233, v_add(x[0], x[0], P), P);
        const vec y1 = v_add(t01123, v_add(x[2], x[2], P), P);
        x[0] = v_add(t01123, t01, P);
        x[2] = v_add(t01233, t23, P);
        x[1] = y1;
        x[3] = y3;
    }
    vec sums[4];
#pragma GCC unroll 4
    for (unsigned k = 0; k < 4; k++) {
        sums[k] = s[k];
#pragma GCC unroll 6
        for (unsigned c = 4; c < w; c += 4)
            sums[k] = v_add(sums[k], s[c + k], P);
    }
#pragma GCC unroll 24
    for (unsigned i = 0; i < w; i++)
        s[i] = v_add(s[i], sums[i & 3], P);
}

/*
 * The internal diagonal without general products. Every built-in diagonal entry is one of
 *   +-c, c in 1..4          (code +-c):         c * x by modular additions;
 *   +-2^-n, 1 <= n <= k     (code +-(100 + n)): with x = hi 2^n + lo and 2^-k = -r (p = r 2^k + 1),
 *                           x 2^-n = hi - lo r 2^(k-n), both terms already in [0, p);
 *   +-2^j (legacy layer)    (code +-(200 + j)): folded into the reduction by 2^-32 that the
 *                           legacy layer ends with: (sum + 2^j x) < p 2^32 is one Montgomery
 *                           reduction, no product at all.
 * A negative entry becomes a subtraction from the sum. Multiplying by a field constant commutes
 * with Montgomery form, so the codes describe the canonical diagonal. x_pick() checks each table
 * against perm->diag, so a wrong or changed table falls back to the scalar path, never a wrong
 * answer.
 */
typedef signed short diag_code;

static const diag_code diag_bb16[16] = {-2, 1, 2, 101, 3, 4, -101, -3, -4, 108, 102, 103, 127, -108, -104, -127};
static const diag_code diag_bb24[24] = {-2,   1,    2,    101,  3,    4,    -101, -3,   -4,   108,  102,  103,
                                        104,  107,  109,  127,  -108, -102, -103, -104, -105, -106, -107, -127};
static const diag_code diag_kb16[16] = {-2, 1, 2, 101, 3, 4, -101, -3, -4, 108, 103, 124, -108, -103, -104, -124};
static const diag_code diag_kb24[24] = {-2,   1,    2,    101,  3,    4,    -101, -3,   -4,   108,  102,  103,
                                        104,  105,  106,  124,  -108, -103, -104, -105, -106, -107, -109, -124};
static const diag_code diag_legacy16[16] = {-201, 200, 201, 202, 203, 204, 205, 206,
                                            207, 208, 209, 210, 211, 212, 213, 215};

/* Whether `code` stands for the canonical value `want` in a layer of this kind (the legacy body
 * only understands +-2^j codes, the other bodies only the rest), for x_pick's check. */
static int diag_code_ok(diag_code code, int legacy, uint32_t want, uint32_t p, unsigned k)
{
    const unsigned a = (unsigned)(code < 0 ? -code : code);
    uint64_t v;
    if (legacy) {
        if (a < 200 || a > 230)
            return 0;
        v = (1ull << (a - 200)) % p;
    } else if (a >= 1 && a <= 4) {
        v = a;
    } else if (a > 100 && a <= 100 + k) {
        v = 1; /* 2^-n by n halvings */
        for (unsigned i = 0; i < a - 100; i++)
            v = (v & 1) ? (v + p) / 2 : v / 2;
    } else {
        return 0;
    }
    return (code < 0 ? (uint32_t)((p - v) % p) : (uint32_t)v) == want;
}

/* |code| times x (canonical in and out); a = |code| is a constant after inlining. */
XI vec diag_apply(vec x, const unsigned a, const unsigned k, const unsigned r_shift, const vec P)
{
    if (a == 1)
        return x;
    if (a == 2)
        return v_add(x, x, P);
    if (a == 3)
        return v_add(v_add(x, x, P), x, P);
    if (a == 4) {
        const vec t = v_add(x, x, P);
        return v_add(t, t, P);
    }
    /* 2^-n: hi - lo * r * 2^(k-n), where r = 2^r_shift - 1 (15 = 2^4 - 1, 127 = 2^7 - 1), so the
     * product is two shifts and a subtraction: lo r 2^(k-n) < r 2^k = p - 1. */
    const unsigned n = a - 100;
    const vec hi = v_srli(x, n), lo = v_and(x, v_set1((1u << n) - 1u));
    const vec t = v_sub_raw(v_slli(lo, k - n + r_shift), v_slli(lo, k - n));
    return v_sub(hi, t, P);
}

/*
 * The permutation on canonical inputs: convert to Montgomery form, run the rounds, convert back.
 * Always inlined into one function per instance, so the width, round counts, S-box degree, the
 * legacy flag and the field are constants there.
 */
XI void perm_core(vec *s, const loom_poseidon2_monty *c, const diag_code *dc, const unsigned w,
                  const unsigned rounds_p, const unsigned deg, const int legacy, const uint32_t p, const uint32_t mu,
                  const uint32_t r2, const unsigned k, const unsigned r_shift)
{
    const vec P = v_set1(p), MU = v_set1(mu);
    {
        const vec R2 = v_set1(r2);
#pragma GCC unroll 24
        for (unsigned i = 0; i < w; i++)
            s[i] = v_mul_c(s[i], R2, P, MU);
    }
    ext_layer(s, w, P);
    for (unsigned r = 0; r < 4; r++) {
#pragma GCC unroll 24
        for (unsigned i = 0; i < w; i++)
            s[i] = v_sbox(v_add(s[i], v_set1(c->ext_initial[r * w + i]), P), deg, P, MU);
        ext_layer(s, w, P);
    }
    for (unsigned r = 0; r < rounds_p; r++) {
        /* Sum s1.. while s0's S-box (the serial chain) is in flight: it does not depend on the
         * new s0. */
        vec part = s[1];
#pragma GCC unroll 24
        for (unsigned i = 2; i < w; i++)
            part = v_add(part, s[i], P);
        const vec s0 = v_sbox(v_add(s[0], v_set1(c->internal[r]), P), deg, P, MU);
        const vec sum = v_add(part, s0, P);
        s[0] = s0;
        if (!legacy) {
#pragma GCC unroll 24
            for (unsigned i = 0; i < w; i++) {
                const vec d = diag_apply(s[i], (unsigned)(dc[i] < 0 ? -dc[i] : dc[i]), k, r_shift, P);
                s[i] = dc[i] < 0 ? v_sub(sum, d, P) : v_add(sum, d, P);
            }
        } else {
            /* (sum + V_i s_i) 2^-32: positive 2^j entries go straight into the reduction; a
             * negative one (-2 at i = 0) is subtracted first, then reduced alone. */
#pragma GCC unroll 24
            for (unsigned i = 0; i < w; i++) {
                const unsigned j = (unsigned)(dc[i] < 0 ? -dc[i] : dc[i]) - 200;
                if (dc[i] > 0) {
                    s[i] = v_shl_add_reduce(sum, s[i], j, P, MU);
                } else {
                    vec t = s[i];
                    for (unsigned b = 0; b < j; b++)
                        t = v_add(t, t, P);
                    s[i] = v_shl_add_reduce(v_sub(sum, t, P), v_zero(), 0, P, MU);
                }
            }
        }
    }
    for (unsigned r = 0; r < 4; r++) {
#pragma GCC unroll 24
        for (unsigned i = 0; i < w; i++)
            s[i] = v_sbox(v_add(s[i], v_set1(c->ext_final[r * w + i]), P), deg, P, MU);
        ext_layer(s, w, P);
    }
#pragma GCC unroll 24
    for (unsigned i = 0; i < w; i++)
        s[i] = v_shl_add_reduce(s[i], v_zero(), 0, P, MU); /* out of Montgomery form */
}

#define X_BB_P 0x78000001u
#define X_BB_MU 0x88000001u
#define X_BB_R2 1172168163u
#define X_KB_P 0x7f000001u
#define X_KB_MU 0x81000001u
#define X_KB_R2 402124772u

typedef void (*x_perm_fn)(vec *s, const loom_poseidon2_monty *c);

#define X_PERM(name, dc, w, rp, deg, legacy, P_, MU_, R2_, K_, RS_)                               \
    static __attribute__((noinline)) void name(vec *s, const loom_poseidon2_monty *c)              \
    {                                                                                              \
        perm_core(s, c, dc, w, rp, deg, legacy, P_, MU_, R2_, K_, RS_);                            \
    }
X_PERM(perm_bb16, diag_bb16, 16, 13, 7, 0, X_BB_P, X_BB_MU, X_BB_R2, 27, 4)
X_PERM(perm_bb24, diag_bb24, 24, 21, 7, 0, X_BB_P, X_BB_MU, X_BB_R2, 27, 4)
X_PERM(perm_kb16, diag_kb16, 16, 20, 3, 0, X_KB_P, X_KB_MU, X_KB_R2, 24, 7)
X_PERM(perm_kb24, diag_kb24, 24, 23, 3, 0, X_KB_P, X_KB_MU, X_KB_R2, 24, 7)
X_PERM(perm_bb16_legacy, diag_legacy16, 16, 13, 7, 1, X_BB_P, X_BB_MU, X_BB_R2, 27, 4)
X_PERM(perm_kb16_legacy, diag_legacy16, 16, 20, 3, 1, X_KB_P, X_KB_MU, X_KB_R2, 24, 7)

/*
 * The specialised body for a built-in instance, or NULL (caller-built instance, or one whose
 * shape no body here matches): the caller then runs the scalar reference. Every parameter the
 * body hard-codes is checked, so a future table entry with other round counts falls back too.
 */
static x_perm_fn x_pick(const loom_poseidon2 *perm, const loom_poseidon2_monty **consts)
{
    *consts = loom_poseidon2_monty_consts(perm);
    if (!*consts || perm->rounds_f != 8)
        return NULL;
    const loom_field *f = loom_field_get(perm->field);
    if (!f)
        return NULL;
    static const struct {
        loom_field_id field;
        unsigned width, rounds_p, deg;
        int legacy;
        const diag_code *dc;
        x_perm_fn fn;
    } bodies[] = {
        {LOOM_FIELD_BABYBEAR, 16, 13, 7, 0, diag_bb16, perm_bb16},
        {LOOM_FIELD_BABYBEAR, 24, 21, 7, 0, diag_bb24, perm_bb24},
        {LOOM_FIELD_KOALABEAR, 16, 20, 3, 0, diag_kb16, perm_kb16},
        {LOOM_FIELD_KOALABEAR, 24, 23, 3, 0, diag_kb24, perm_kb24},
        {LOOM_FIELD_BABYBEAR, 16, 13, 7, 1, diag_legacy16, perm_bb16_legacy},
        {LOOM_FIELD_KOALABEAR, 16, 20, 3, 1, diag_legacy16, perm_kb16_legacy},
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        if (bodies[i].field != perm->field || bodies[i].width != perm->width || bodies[i].rounds_p != perm->rounds_p ||
            bodies[i].deg != perm->sbox_degree || bodies[i].legacy != (perm->legacy_internal != 0))
            continue;
        for (unsigned j = 0; j < perm->width; j++)
            if (!diag_code_ok(bodies[i].dc[j], bodies[i].legacy, perm->diag[j], f->p, f->two_adicity))
                return NULL;
        return bodies[i].fn;
    }
    return NULL;
}

static void x_permute_many(const loom_poseidon2 *perm, uint32_t *states, size_t n)
{
    const loom_poseidon2_monty *c;
    const x_perm_fn fn = x_pick(perm, &c);
    const unsigned w = perm->width;
    size_t i = 0;
    if (fn) {
        for (; i + LANES <= n; i += LANES) {
            vec s[LOOM_POSEIDON2_MAX_WIDTH];
            uint32_t *base = states + i * w;
            for (unsigned h = 0; h < w; h += 8)
                load_cols(s + h, base + h, w, 8);
            fn(s, c);
            for (unsigned h = 0; h < w; h += 8)
                store_cols(base + h, w, s + h);
        }
    }
    for (; i < n; i++)
        loom_poseidon2_permute(perm, states + i * w);
}

static void x_hash_rows(const loom_poseidon2 *perm, loom_digest *out, const uint32_t *m, size_t rows, size_t cols,
                        size_t stride)
{
    const loom_poseidon2_monty *c;
    const x_perm_fn fn = x_pick(perm, &c);
    size_t r = 0;
    if (fn) {
        for (; r + LANES <= rows; r += LANES) {
            vec s[LOOM_POSEIDON2_MAX_WIDTH];
            for (unsigned i = 0; i < perm->width; i++)
                s[i] = v_zero();
            /* Overwrite mode: a block of k < 8 values replaces words 0..k-1 only; the rest of
             * the rate keeps the previous permutation's output. */
            for (size_t off = 0; off < cols; off += LOOM_SPONGE_RATE) {
                const size_t k = cols - off < LOOM_SPONGE_RATE ? cols - off : LOOM_SPONGE_RATE;
                load_cols(s, m + r * stride + off, stride, (unsigned)k);
                fn(s, c);
            }
            store_cols((uint32_t *)(out + r), LOOM_DIGEST_WORDS, s);
        }
    }
    if (r < rows)
        loom_ref_hash_rows(perm, out + r, m + r * stride, rows - r, cols, stride);
}

static void x_compress(const loom_poseidon2 *perm, loom_digest *out, const loom_digest *in, size_t n_out)
{
    const loom_poseidon2_monty *c;
    const x_perm_fn fn = x_pick(perm, &c);
    size_t i = 0;
    if (fn) {
        for (; i + LANES <= n_out; i += LANES) {
            vec s[LOOM_POSEIDON2_MAX_WIDTH];
            /* in[2i] || in[2i + 1] are 16 consecutive words: a width-16 state, zero-extended. */
            const uint32_t *base = (const uint32_t *)(in + 2 * i);
            load_cols(s, base, 2 * LOOM_DIGEST_WORDS, 8);
            load_cols(s + 8, base + 8, 2 * LOOM_DIGEST_WORDS, 8);
            for (unsigned j = 16; j < perm->width; j++)
                s[j] = v_zero();
            fn(s, c);
            store_cols((uint32_t *)(out + i), LOOM_DIGEST_WORDS, s);
        }
    }
    if (i < n_out)
        loom_ref_compress_level(perm, out + i, in + 2 * i, n_out - i);
}

const loom_cpu_kernels LOOM_X86_TABLE = {
    .level = LOOM_X86_LEVEL,
    .name = LOOM_X86_NAME,
    .lanes = LANES,
    .add = x_add,
    .sub = x_sub,
    .mul = x_mul,
    .sbox = x_sbox,
    .permute_many = x_permute_many,
    .hash_rows = x_hash_rows,
    .compress = x_compress,
    .bfly2_rows = x_bfly2_rows,
    .scale_row = x_scale_row,
};

#endif /* LOOM_X86_TABLE */
