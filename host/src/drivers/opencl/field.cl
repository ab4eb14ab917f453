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
    uint qh = mul_hi(q, (uint)F_P);
    uint r = hi - qh;
    return hi < qh ? r + (uint)F_P : r;
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

static inline vt FN(v_mul)(vt a, vt b)
{
    vt lo = a * b, hi = mul_hi(a, b);
    vt q = lo * (vt)F_MU;
    vt qh = mul_hi(q, (vt)F_P);
    vt r = hi - qh;
    return hi < qh ? r + (vt)F_P : r;
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
