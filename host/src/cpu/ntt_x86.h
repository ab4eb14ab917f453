/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NTT row butterflies with explicit x86 intrinsics, written for any lane count;
 * ntt_template.h includes it (through NTT_ROWS_KERNELS) in place of its plain C bfly2, bfly4 and
 * scale_impl, and keeps its own index loops. The including file defines first:
 *
 *   nvec, NV_LANES (8 or 16), nv_set1, nv_loadu, nv_storeu,
 *   nv_add / nv_sub  (canonical in, canonical out: the unsigned-min trick of avx2.c),
 *   nv_mul_w(a, W, WMU, P): Montgomery product a * w with broadcast W = w and WMU = w * mu
 *                           (mod 2^32), canonical out.
 *
 * Same arithmetic as the scalar loops (monty_mul / mod_add / mod_sub on canonical values have
 * a unique canonical result), so every level agrees bit for bit. Each twiddle is broadcast once
 * per call, i.e. once per row pair (bfly2) or row quadruple (bfly4); NV_LANES columns per step,
 * the scalar loop of the template's arithmetic for the remaining columns.
 */
#ifndef LOOM_CPU_NTT_X86_H
#define LOOM_CPU_NTT_X86_H

/* a, b <- a + w*b, a - w*b (neg: a - w*b, a + w*b); unit: w = 1. See ntt_template.h. */
NTT_INLINE void bfly2(uint32_t *restrict a, uint32_t *restrict b, size_t cols, uint32_t w, int unit, int neg,
                      uint32_t p, uint32_t mu)
{
    const nvec P = nv_set1(p), W = nv_set1(w), WMU = nv_set1(w * mu);
    size_t c = 0;
    for (; c + NV_LANES <= cols; c += NV_LANES) {
        const nvec x = nv_loadu(a + c), y = nv_loadu(b + c);
        const nvec t = unit ? y : nv_mul_w(y, W, WMU, P);
        const nvec s = nv_add(x, t, P), d = nv_sub(x, t, P);
        nv_storeu(a + c, neg ? d : s);
        nv_storeu(b + c, neg ? s : d);
    }
    for (; c < cols; c++) {
        uint32_t x = a[c], t = unit ? b[c] : monty_mul(b[c], w, p, mu);
        a[c] = neg ? mod_sub(x, t, p) : mod_add(x, t, p);
        b[c] = neg ? mod_add(x, t, p) : mod_sub(x, t, p);
    }
}

/* Two DIT layers on rows r0..r3 (see ntt_template.h for w1, w2, w3, unit, neg12, neg3). */
NTT_INLINE void bfly4(uint32_t *restrict r0, uint32_t *restrict r1, uint32_t *restrict r2, uint32_t *restrict r3,
                      size_t cols, uint32_t w1, uint32_t w2, uint32_t w3, int unit, int neg12, int neg3,
                      uint32_t p, uint32_t mu)
{
    const nvec P = nv_set1(p);
    const nvec W1 = nv_set1(w1), W1MU = nv_set1(w1 * mu);
    const nvec W2 = nv_set1(w2), W2MU = nv_set1(w2 * mu);
    const nvec W3 = nv_set1(w3), W3MU = nv_set1(w3 * mu);
    size_t c = 0;
    for (; c + NV_LANES <= cols; c += NV_LANES) {
        nvec x0 = nv_loadu(r0 + c), x1 = nv_loadu(r1 + c), x2 = nv_loadu(r2 + c), x3 = nv_loadu(r3 + c);
        if (!unit) {
            x1 = nv_mul_w(x1, W1, W1MU, P);
            x3 = nv_mul_w(x3, W1, W1MU, P);
        }
        const nvec s01 = nv_add(x0, x1, P), d01 = nv_sub(x0, x1, P);
        const nvec s23 = nv_add(x2, x3, P), d23 = nv_sub(x2, x3, P);
        const nvec y0 = neg12 ? d01 : s01, y1 = neg12 ? s01 : d01;
        nvec y2 = neg12 ? d23 : s23;
        const nvec y3 = nv_mul_w(neg12 ? s23 : d23, W3, W3MU, P);
        if (!unit)
            y2 = nv_mul_w(y2, W2, W2MU, P);
        const nvec s02 = nv_add(y0, y2, P), d02 = nv_sub(y0, y2, P);
        const nvec s13 = nv_add(y1, y3, P), d13 = nv_sub(y1, y3, P);
        nv_storeu(r0 + c, neg12 ? d02 : s02);
        nv_storeu(r2 + c, neg12 ? s02 : d02);
        nv_storeu(r1 + c, neg3 ? d13 : s13);
        nv_storeu(r3 + c, neg3 ? s13 : d13);
    }
    for (; c < cols; c++) {
        uint32_t x0 = r0[c], x1 = r1[c], x2 = r2[c], x3 = r3[c];
        if (!unit) {
            x1 = monty_mul(x1, w1, p, mu);
            x3 = monty_mul(x3, w1, p, mu);
        }
        uint32_t y0 = neg12 ? mod_sub(x0, x1, p) : mod_add(x0, x1, p);
        uint32_t y1 = neg12 ? mod_add(x0, x1, p) : mod_sub(x0, x1, p);
        uint32_t y2 = neg12 ? mod_sub(x2, x3, p) : mod_add(x2, x3, p);
        uint32_t y3 = neg12 ? mod_add(x2, x3, p) : mod_sub(x2, x3, p);
        if (!unit)
            y2 = monty_mul(y2, w2, p, mu);
        y3 = monty_mul(y3, w3, p, mu);
        r0[c] = neg12 ? mod_sub(y0, y2, p) : mod_add(y0, y2, p);
        r2[c] = neg12 ? mod_add(y0, y2, p) : mod_sub(y0, y2, p);
        r1[c] = neg3 ? mod_sub(y1, y3, p) : mod_add(y1, y3, p);
        r3[c] = neg3 ? mod_add(y1, y3, p) : mod_sub(y1, y3, p);
    }
}

/* out[i] = in[i] * w (Montgomery product), i < len; out may equal in. */
NTT_INLINE void scale_impl(uint32_t *out, const uint32_t *in, size_t len, uint32_t w, uint32_t p, uint32_t mu)
{
    const nvec P = nv_set1(p), W = nv_set1(w), WMU = nv_set1(w * mu);
    size_t i = 0;
    for (; i + NV_LANES <= len; i += NV_LANES)
        nv_storeu(out + i, nv_mul_w(nv_loadu(in + i), W, WMU, P));
    for (; i < len; i++)
        out[i] = monty_mul(in[i], w, p, mu);
}

#endif /* LOOM_CPU_NTT_X86_H */
