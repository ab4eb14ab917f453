/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NEON level (AArch64 Advanced SIMD): 4 x 32-bit lanes. Advanced SIMD is part of the AArch64
 * baseline, so this file needs no extra compiler flags; dispatch.c enables it when the build
 * defines LOOM_HAVE_KERNELS_NEON and cpu_info reports has_neon (always, on aarch64).
 *
 * Every function is bit-identical to scalar.c: each vector operation below returns the unique
 * canonical value in [0, p) that its scalar counterpart in monty.h returns, and the Poseidon2
 * bodies apply them in the same order as poseidon2.c (modular sums are order-independent, so
 * the internal layer's running sum may be formed as a chain of modular additions).
 *
 * Layout of the Poseidon2 kernels (as in the x86 levels): 4 independent states side by side,
 * vector i holds word i of every state (lane j = state j), so a permutation needs no cross-lane
 * work; 4x4 transposes happen once on the way in and out.
 */
#include <arm_neon.h>
#include <string.h>

#include "cpu/kernels.h"
#include "internal/monty.h"
#include "internal/poseidon2_ref.h"

#define NI static inline __attribute__((always_inline))

typedef uint32x4_t vec;
#define LANES 4u

/* ---- Field primitives (canonical in [0, p) in and out; p < 2^31). ---- */

/* a + b < 2p < 2^32; if the sum is below p, sum - p wraps to a value above it: min picks. */
NI vec v_add(vec a, vec b, vec P)
{
    const vec t = vaddq_u32(a, b);
    return vminq_u32(t, vsubq_u32(t, P));
}

/* a - b wraps to a value >= 2^32 - p > p exactly when a < b; adding p brings it under p. */
NI vec v_sub(vec a, vec b, vec P)
{
    const vec t = vsubq_u32(a, b);
    return vminq_u32(t, vaddq_u32(t, P));
}

/*
 * Montgomery product a b 2^-32 mod p, with b_mu = b mu mod 2^32 supplied (a broadcast constant's
 * b_mu is computed once). This is the signed "doubling high half" form of Plonky3's NEON path
 * (monty-31/src/aarch64_neon/packing.rs), re-derived here:
 *   C = a b < p^2 and Q = q p with q = lo32(C mu) taken as signed, so C == Q (mod 2^32) and
 *   C - Q = k 2^32 with k == a b 2^-32 (mod p) and -p < k < p.
 *   vqdmulhq gives floor(2 X / 2^32) = floor(X / 2^31) for X = C and X = Q (no saturation: that
 *   needs both operands -2^31, and a, b, p are all below 2^31). The low 31 bits of C and Q
 *   agree, so the two floors differ by exactly (C - Q) / 2^31 = 2k, and a halving subtraction
 *   yields k with no overflow. k < 0 exactly when c_hi < qp_hi; then add p.
 * All four multiplies are 32-bit lane operations: no widening or lane shuffles.
 */
NI vec v_mul_pre(vec a, vec b, vec b_mu, vec P)
{
    const int32x4_t as = vreinterpretq_s32_u32(a);
    const int32x4_t c_hi = vqdmulhq_s32(as, vreinterpretq_s32_u32(b));
    const int32x4_t q = vmulq_s32(as, vreinterpretq_s32_u32(b_mu));
    const int32x4_t qp_hi = vqdmulhq_s32(q, vreinterpretq_s32_u32(P));
    const vec d = vreinterpretq_u32_s32(vhsubq_s32(c_hi, qp_hi));
    const vec under = vcltq_s32(c_hi, qp_hi); /* all-ones where k < 0 */
    return vaddq_u32(d, vandq_u32(under, P));
}

NI vec v_mul(vec a, vec b, vec P, vec MU) { return v_mul_pre(a, b, vmulq_u32(b, MU), P); }

/* x^3 or x^7 exactly as scalar.c forms them (x2, x3 = x2 x, x4 = x2^2, x7 = x3 x4). */
NI vec v_sbox(vec x, const unsigned degree, vec P, vec MU)
{
    const vec x2 = v_mul(x, x, P, MU), x3 = v_mul(x2, x, P, MU);
    if (degree == 3)
        return x3;
    return v_mul(x3, v_mul(x2, x2, P, MU), P, MU);
}

/* ---- Array kernels: vector main loop, scalar tail (the reference functions of monty.h). ---- */

static void neon_add(uint32_t *out, const uint32_t *a, const uint32_t *b, size_t n, uint32_t p)
{
    const vec P = vdupq_n_u32(p);
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        vst1q_u32(out + i, v_add(vld1q_u32(a + i), vld1q_u32(b + i), P));
    for (; i < n; i++)
        out[i] = mod_add(a[i], b[i], p);
}

static void neon_sub(uint32_t *out, const uint32_t *a, const uint32_t *b, size_t n, uint32_t p)
{
    const vec P = vdupq_n_u32(p);
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        vst1q_u32(out + i, v_sub(vld1q_u32(a + i), vld1q_u32(b + i), P));
    for (; i < n; i++)
        out[i] = mod_sub(a[i], b[i], p);
}

static void neon_mul(uint32_t *out, const uint32_t *a, const uint32_t *b, size_t n, uint32_t p, uint32_t mu)
{
    const vec P = vdupq_n_u32(p), MU = vdupq_n_u32(mu);
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        vst1q_u32(out + i, v_mul(vld1q_u32(a + i), vld1q_u32(b + i), P, MU));
    for (; i < n; i++)
        out[i] = monty_mul(a[i], b[i], p, mu);
}

static void neon_sbox(uint32_t *out, const uint32_t *a, size_t n, unsigned degree, uint32_t p, uint32_t mu)
{
    const vec P = vdupq_n_u32(p), MU = vdupq_n_u32(mu);
    size_t i = 0;
    /* Two loops so the degree is a constant inside each. */
    if (degree == 3)
        for (; i + LANES <= n; i += LANES)
            vst1q_u32(out + i, v_sbox(vld1q_u32(a + i), 3, P, MU));
    else
        for (; i + LANES <= n; i += LANES)
            vst1q_u32(out + i, v_sbox(vld1q_u32(a + i), 7, P, MU));
    for (; i < n; i++) {
        uint32_t x = a[i], x2 = monty_mul(x, x, p, mu), x3 = monty_mul(x2, x, p, mu);
        out[i] = degree == 3 ? x3 : monty_mul(x3, monty_mul(x2, x2, p, mu), p, mu);
    }
}

static void neon_bfly2_rows(uint32_t *a, uint32_t *b, size_t cols, uint32_t w, int unit, int neg, uint32_t p,
                            uint32_t mu)
{
    const vec P = vdupq_n_u32(p), W = vdupq_n_u32(w), W_MU = vdupq_n_u32(w * mu);
    size_t c = 0;
    for (; c + LANES <= cols; c += LANES) {
        const vec x = vld1q_u32(a + c), y = vld1q_u32(b + c);
        const vec t = unit ? y : v_mul_pre(y, W, W_MU, P);
        const vec s = v_add(x, t, P), d = v_sub(x, t, P);
        vst1q_u32(a + c, neg ? d : s);
        vst1q_u32(b + c, neg ? s : d);
    }
    for (; c < cols; c++) {
        uint32_t x = a[c], t = unit ? b[c] : monty_mul(b[c], w, p, mu);
        a[c] = neg ? mod_sub(x, t, p) : mod_add(x, t, p);
        b[c] = neg ? mod_add(x, t, p) : mod_sub(x, t, p);
    }
}

static void neon_scale_row(uint32_t *row, size_t cols, uint32_t s, uint32_t p, uint32_t mu)
{
    const vec P = vdupq_n_u32(p), S = vdupq_n_u32(s), S_MU = vdupq_n_u32(s * mu);
    size_t c = 0;
    for (; c + LANES <= cols; c += LANES)
        vst1q_u32(row + c, v_mul_pre(vld1q_u32(row + c), S, S_MU, P));
    for (; c < cols; c++)
        row[c] = monty_mul(row[c], s, p, mu);
}

/* ---- Transposes between 4 rows in memory and 4 column vectors. ---- */

/* In place: r[i] lane j <- r[j] lane i. */
NI void transpose4x4(vec r[4])
{
    /* t0 = r0[0] r1[0] r0[2] r1[2], t1 = r0[1] r1[1] r0[3] r1[3]; t2, t3 the same for r2, r3.
     * The 64-bit halves of (t0, t2) then hold words 0 and 2 of all four rows, (t1, t3) 1 and 3. */
    const uint64x2_t t0 = vreinterpretq_u64_u32(vtrn1q_u32(r[0], r[1]));
    const uint64x2_t t1 = vreinterpretq_u64_u32(vtrn2q_u32(r[0], r[1]));
    const uint64x2_t t2 = vreinterpretq_u64_u32(vtrn1q_u32(r[2], r[3]));
    const uint64x2_t t3 = vreinterpretq_u64_u32(vtrn2q_u32(r[2], r[3]));
    r[0] = vreinterpretq_u32_u64(vtrn1q_u64(t0, t2));
    r[1] = vreinterpretq_u32_u64(vtrn1q_u64(t1, t3));
    r[2] = vreinterpretq_u32_u64(vtrn2q_u64(t0, t2));
    r[3] = vreinterpretq_u32_u64(vtrn2q_u64(t1, t3));
}

/*
 * dst[i] lane j = base[j * stride + i] for i < k; dst[i >= k] untouched (the sponge's overwrite
 * mode relies on that). Reads nothing outside base[j * stride + 0 .. k - 1], so a partial last
 * block at the very end of a buffer cannot fault: whole groups of 4 words use vector loads and a
 * transpose, the remaining 1..3 words are gathered lane by lane.
 */
NI void load_cols(vec *dst, const uint32_t *base, size_t stride, unsigned k)
{
    unsigned i = 0;
    for (; i + 4 <= k; i += 4) {
        vec r[4];
        for (unsigned j = 0; j < 4; j++)
            r[j] = vld1q_u32(base + j * stride + i);
        transpose4x4(r);
        for (unsigned j = 0; j < 4; j++)
            dst[i + j] = r[j];
    }
    for (; i < k; i++) {
        vec v = vdupq_n_u32(base[i]);
        v = vld1q_lane_u32(base + stride + i, v, 1);
        v = vld1q_lane_u32(base + 2 * stride + i, v, 2);
        dst[i] = vld1q_lane_u32(base + 3 * stride + i, v, 3);
    }
}

/* base[j * stride + i] = src[i] lane j for i < k (k a multiple of 4). */
NI void store_cols(uint32_t *base, size_t stride, const vec *src, unsigned k)
{
    for (unsigned i = 0; i < k; i += 4) {
        vec r[4] = {src[i], src[i + 1], src[i + 2], src[i + 3]};
        transpose4x4(r);
        for (unsigned j = 0; j < 4; j++)
            vst1q_u32(base + j * stride + i, r[j]);
    }
}

/* ---- Poseidon2 on 4 states at once. ---- */

/* M_E: MDSMat4 on each chunk of 4 words (Plonky3's addition order, as poseidon2.c), then the
 * chunk column sums. */
NI void ext_layer(vec *s, const unsigned w, const vec P)
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
 * The permutation on canonical inputs: into Montgomery form (times R^2, one Montgomery product),
 * the rounds of poseidon2.c's permute_core, out of Montgomery form (times 1). Always inlined into
 * one function per instance, so the width, round count, S-box degree, legacy flag and field are
 * constants there.
 *
 * The internal layer uses a general Montgomery product by each diagonal entry (with its b mu
 * precomputed once per call), exactly as the reference does; the legacy layer's extra 2^-32 is a
 * Montgomery product by 1 (= monty_reduce of a value below p).
 */
NI void perm_core(vec *s, const loom_poseidon2_monty *c, const unsigned w, const unsigned rounds_p,
                  const unsigned deg, const int legacy, const uint32_t p, const uint32_t mu, const uint32_t r2)
{
    const vec P = vdupq_n_u32(p), MU = vdupq_n_u32(mu);
    const vec ONE = vdupq_n_u32(1), ONE_MU = vdupq_n_u32(mu);
    uint32_t diag_mu[LOOM_POSEIDON2_MAX_WIDTH];
    for (unsigned i = 0; i < w; i++)
        diag_mu[i] = c->diag[i] * mu;
    {
        const vec R2 = vdupq_n_u32(r2), R2_MU = vdupq_n_u32(r2 * mu);
#pragma GCC unroll 24
        for (unsigned i = 0; i < w; i++)
            s[i] = v_mul_pre(s[i], R2, R2_MU, P);
    }
    ext_layer(s, w, P);
    for (unsigned r = 0; r < 4; r++) {
#pragma GCC unroll 24
        for (unsigned i = 0; i < w; i++)
            s[i] = v_sbox(v_add(s[i], vld1q_dup_u32(&c->ext_initial[r * w + i]), P), deg, P, MU);
        ext_layer(s, w, P);
    }
    for (unsigned r = 0; r < rounds_p; r++) {
        /* Sum s1.. while s0's S-box (the serial chain) is in flight: it does not need the new s0. */
        vec part = s[1];
#pragma GCC unroll 24
        for (unsigned i = 2; i < w; i++)
            part = v_add(part, s[i], P);
        s[0] = v_sbox(v_add(s[0], vld1q_dup_u32(&c->internal[r]), P), deg, P, MU);
        const vec sum = v_add(part, s[0], P);
#pragma GCC unroll 24
        for (unsigned i = 0; i < w; i++) {
            const vec v = v_add(sum, v_mul_pre(s[i], vld1q_dup_u32(&c->diag[i]), vld1q_dup_u32(&diag_mu[i]), P), P);
            s[i] = legacy ? v_mul_pre(v, ONE, ONE_MU, P) : v;
        }
    }
    for (unsigned r = 0; r < 4; r++) {
#pragma GCC unroll 24
        for (unsigned i = 0; i < w; i++)
            s[i] = v_sbox(v_add(s[i], vld1q_dup_u32(&c->ext_final[r * w + i]), P), deg, P, MU);
        ext_layer(s, w, P);
    }
#pragma GCC unroll 24
    for (unsigned i = 0; i < w; i++)
        s[i] = v_mul_pre(s[i], ONE, ONE_MU, P);
}

#define N_BB_P 0x78000001u
#define N_BB_MU 0x88000001u
#define N_BB_R2 1172168163u /* 2^64 mod p */
#define N_KB_P 0x7f000001u
#define N_KB_MU 0x81000001u
#define N_KB_R2 402124772u

typedef void (*neon_perm_fn)(vec *s, const loom_poseidon2_monty *c);

#define N_PERM(name, w, rp, deg, legacy, P_, MU_, R2_)                                             \
    static __attribute__((noinline)) void name(vec *s, const loom_poseidon2_monty *c)              \
    {                                                                                              \
        perm_core(s, c, w, rp, deg, legacy, P_, MU_, R2_);                                         \
    }
N_PERM(perm_bb16, 16, 13, 7, 0, N_BB_P, N_BB_MU, N_BB_R2)
N_PERM(perm_bb24, 24, 21, 7, 0, N_BB_P, N_BB_MU, N_BB_R2)
N_PERM(perm_kb16, 16, 20, 3, 0, N_KB_P, N_KB_MU, N_KB_R2)
N_PERM(perm_kb24, 24, 23, 3, 0, N_KB_P, N_KB_MU, N_KB_R2)
N_PERM(perm_bb16_legacy, 16, 13, 7, 1, N_BB_P, N_BB_MU, N_BB_R2)
N_PERM(perm_kb16_legacy, 16, 20, 3, 1, N_KB_P, N_KB_MU, N_KB_R2)

/*
 * The specialised body for a built-in instance, or NULL (a caller-built instance, whose
 * Montgomery constants do not exist, or a shape no body here matches): the caller then runs the
 * scalar reference. Every parameter a body hard-codes is checked against the instance, including
 * the field's constants, so a future table entry of another shape falls back, never miscomputes.
 */
static neon_perm_fn neon_pick(const loom_poseidon2 *perm, const loom_poseidon2_monty **consts)
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
        uint32_t p, mu, r2;
        neon_perm_fn fn;
    } bodies[] = {
        {LOOM_FIELD_BABYBEAR, 16, 13, 7, 0, N_BB_P, N_BB_MU, N_BB_R2, perm_bb16},
        {LOOM_FIELD_BABYBEAR, 24, 21, 7, 0, N_BB_P, N_BB_MU, N_BB_R2, perm_bb24},
        {LOOM_FIELD_KOALABEAR, 16, 20, 3, 0, N_KB_P, N_KB_MU, N_KB_R2, perm_kb16},
        {LOOM_FIELD_KOALABEAR, 24, 23, 3, 0, N_KB_P, N_KB_MU, N_KB_R2, perm_kb24},
        {LOOM_FIELD_BABYBEAR, 16, 13, 7, 1, N_BB_P, N_BB_MU, N_BB_R2, perm_bb16_legacy},
        {LOOM_FIELD_KOALABEAR, 16, 20, 3, 1, N_KB_P, N_KB_MU, N_KB_R2, perm_kb16_legacy},
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        if (bodies[i].field == perm->field && bodies[i].width == perm->width && bodies[i].rounds_p == perm->rounds_p &&
            bodies[i].deg == perm->sbox_degree && bodies[i].legacy == (perm->legacy_internal != 0) &&
            bodies[i].p == f->p && bodies[i].mu == f->mu && bodies[i].r2 == f->r2_mod_p)
            return bodies[i].fn;
    return NULL;
}

static void neon_permute_many(const loom_poseidon2 *perm, uint32_t *states, size_t n)
{
    const loom_poseidon2_monty *c;
    const neon_perm_fn fn = neon_pick(perm, &c);
    const unsigned w = perm->width;
    size_t i = 0;
    if (fn) {
        for (; i + LANES <= n; i += LANES) {
            vec s[LOOM_POSEIDON2_MAX_WIDTH];
            uint32_t *base = states + i * w;
            load_cols(s, base, w, w);
            fn(s, c);
            store_cols(base, w, s, w);
        }
    }
    for (; i < n; i++)
        loom_poseidon2_permute(perm, states + i * w);
}

static void neon_hash_rows(const loom_poseidon2 *perm, loom_digest *out, const uint32_t *m, size_t rows,
                           size_t cols, size_t stride)
{
    const loom_poseidon2_monty *c;
    const neon_perm_fn fn = neon_pick(perm, &c);
    size_t r = 0;
    if (fn) {
        for (; r + LANES <= rows; r += LANES) {
            vec s[LOOM_POSEIDON2_MAX_WIDTH];
            for (unsigned i = 0; i < perm->width; i++)
                s[i] = vdupq_n_u32(0);
            /* Overwrite mode: a block of k < 8 values replaces words 0..k-1 only; the rest of
             * the rate keeps the previous permutation's output. */
            for (size_t off = 0; off < cols; off += LOOM_SPONGE_RATE) {
                const size_t k = cols - off < LOOM_SPONGE_RATE ? cols - off : LOOM_SPONGE_RATE;
                load_cols(s, m + r * stride + off, stride, (unsigned)k);
                fn(s, c);
            }
            store_cols((uint32_t *)(out + r), LOOM_DIGEST_WORDS, s, LOOM_DIGEST_WORDS);
        }
    }
    if (r < rows)
        loom_ref_hash_rows(perm, out + r, m + r * stride, rows - r, cols, stride);
}

static void neon_compress(const loom_poseidon2 *perm, loom_digest *out, const loom_digest *in, size_t n_out)
{
    const loom_poseidon2_monty *c;
    const neon_perm_fn fn = neon_pick(perm, &c);
    size_t i = 0;
    if (fn) {
        for (; i + LANES <= n_out; i += LANES) {
            vec s[LOOM_POSEIDON2_MAX_WIDTH];
            /* in[2i] || in[2i + 1] are 16 consecutive words: a width-16 state, zero-extended. */
            load_cols(s, (const uint32_t *)(in + 2 * i), 2 * LOOM_DIGEST_WORDS, 2 * LOOM_DIGEST_WORDS);
            for (unsigned j = 2 * LOOM_DIGEST_WORDS; j < perm->width; j++)
                s[j] = vdupq_n_u32(0);
            fn(s, c);
            store_cols((uint32_t *)(out + i), LOOM_DIGEST_WORDS, s, LOOM_DIGEST_WORDS);
        }
    }
    if (i < n_out)
        loom_ref_compress_level(perm, out + i, in + 2 * i, n_out - i);
}

const loom_cpu_kernels loom_kernels_neon = {
    .level = LOOM_SIMD_NEON,
    .name = "neon",
    .lanes = LANES,
    .add = neon_add,
    .sub = neon_sub,
    .mul = neon_mul,
    .sbox = neon_sbox,
    .permute_many = neon_permute_many,
    .hash_rows = neon_hash_rows,
    .compress = neon_compress,
    .bfly2_rows = neon_bfly2_rows,
    .scale_row = neon_scale_row,
};
