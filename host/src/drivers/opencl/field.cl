/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Montgomery arithmetic (R = 2^32) for the prime F_P = r * 2^k + 1, MU = F_P^-1 mod 2^32, on
 * single values (f_*) and on VL lanes (v_*). Values are canonical or in Montgomery form, always
 * in [0, p): a product of a canonical value and a Montgomery-form constant is canonical again,
 * so the NTT keeps data canonical and only twiddles and scale factors in Montgomery form (as
 * host/src/ntt.c does).
 */

static inline uint FN(f_add)(uint a, uint b)
{
    uint s = a + b; /* < 2^32: a, b < p < 2^31 */
    return min(s, s - (uint)F_P); /* s - p wraps above s exactly when s < p */
}

static inline uint FN(f_sub)(uint a, uint b)
{
    uint d = a - b;
    return min(d, d + (uint)F_P); /* a < b: d wrapped, d + p < d */
}

/* a * b * 2^-32 mod p for a * b < p * 2^32. */
static inline uint FN(f_mul)(uint a, uint b)
{
    uint lo = a * b, hi = mul_hi(a, b);
    uint q = lo * (uint)F_MU;
    /* q * p == lo (mod 2^32), so (a b - q p) / 2^32 = hi - hi32(q p) exactly, in (-p, p). */
    uint r = hi - mul_hi(q, (uint)F_P);
    return min(r, r + (uint)F_P); /* r wrapped exactly when r + p < r */
}

static inline vt FN(v_add)(vt a, vt b)
{
    vt s = a + b;
    return min(s, s - (vt)F_P);
}

static inline vt FN(v_sub)(vt a, vt b)
{
    vt d = a - b;
    return min(d, d + (vt)F_P);
}

/* The products through 64-bit lanes: compilers turn a widened 32 x 32 product into the SIMD
 * unsigned multiply (vpmuludq), where a vector mul_hi became four 16-bit products on PoCL. */
static inline vt FN(v_mul)(vt a, vt b)
{
    const vtw t = WIDEN(a) * WIDEN(b);
    const vt q = NARROW(t) * (vt)F_MU;
    const vtw u = WIDEN(q) * (vtw)F_P;
    const vt r = NARROW(t >> 32) - NARROW(u >> 32); /* in (-p, p) */
    return min(r, r + (vt)F_P);
}

/* m[i] *= factor (Montgomery form), i < n; VL words per work-item. */
kernel void FN(scale)(global uint *m, ulong n, uint factor)
{
    const ulong i = get_global_id(0) * (ulong)VL;
    if (i + VL <= n)
        VSTORE(FN(v_mul)(VLOAD(m + i), (vt)factor), m + i);
    else if (i < n)
        vstore_part(FN(v_mul)(vload_part(m + i, (uint)(n - i)), (vt)factor), m + i, (uint)(n - i));
}
