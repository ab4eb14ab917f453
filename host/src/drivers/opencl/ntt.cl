/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Batched radix-2 NTT passes and the coset-LDE spread for the field F_*.
 *
 * Matrix: batch z, row i, column c at m[z * batch_stride + i * row_stride + c]; every column is
 * one transform of n = 2^logn points, and a work-item carries VL neighbouring columns. A pass
 * runs L consecutive stages of the transform on tiles held in local memory: the stages with
 * blocks 2^K, 2^(K-1), ..., 2^(K-L+1) rows (DIF, top down) or 2^(K-L+1) ... 2^K (DIT, bottom up)
 * pair only rows whose indices differ in bits K-L .. K-1, so one work-group loads the 2^L rows
 * that share the other bits (2^L rows by get_local_size(0) * VL columns), runs the L stages there
 * with a barrier between stages, and writes the tile back. ceil(log2(n) / L) passes make a
 * transform, each one read and one write of the matrix.
 *
 *   DIF (natural order in, bit-reversed out): (a, b) -> (a + b, (a - b) w_2h^j)
 *   DIT (bit-reversed in, natural order out): (a, b) -> (a + w_2h^j b, a - w_2h^j b)
 *
 * tw holds w^k, k < 2^(log_tw - 1), for w the primitive 2^log_tw-th root of unity (or its
 * inverse), in Montgomery form; w_2h^j = tw[j << (log_tw - log2(2h))] for any 2h <= 2^log_tw.
 */

static inline void FN(ntt_pass)(global uint *m, global const uint *tw, uint log_tw, uint K, uint L,
                                uint row_stride, uint cols, ulong batch_stride, local uint *tile_words,
                                const int dit)
{
    local vt *tile = (local vt *)tile_words;
    const uint xg = get_local_size(0), ty = get_local_size(1);
    const uint x = get_local_id(0), y = get_local_id(1);
    const uint c = (get_group_id(0) * xg + x) * VL;
    const uint g = get_group_id(1);
    const uint lo = K - L;
    const uint low = g & ((1u << lo) - 1u);
    const uint base = ((g >> lo) << K) | low;
    const uint rows = 1u << L, half_n = rows >> 1;
    global uint *mb = m + (ulong)get_group_id(2) * batch_stride;

    const uint load_iters = (rows + ty - 1u) / ty;
    for (uint it = 0; it < load_iters; it++) {
        const uint t = it * ty + y;
        if (t < rows)
            tile[t * xg + x] = vload_row(mb + (ulong)(base + (t << lo)) * row_stride, c, cols);
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    const uint bfly_iters = (half_n + ty - 1u) / ty;
    for (uint s = 0; s < L; s++) {
        const uint lh = dit ? s : L - 1u - s; /* log2 of the half block, in tile rows */
        const uint hl = 1u << lh;
        const uint shift = log_tw - (lo + lh + 1u);
        for (uint it = 0; it < bfly_iters; it++) {
            const uint q = it * ty + y;
            if (q < half_n) {
                const uint jl = q & (hl - 1u);
                const uint t0 = ((q >> lh) << (lh + 1u)) | jl, t1 = t0 + hl;
                const vt w = (vt)tw[((jl << lo) | low) << shift];
                const vt a = tile[t0 * xg + x], b = tile[t1 * xg + x];
                if (dit) {
                    const vt wb = FN(v_mul)(b, w);
                    tile[t0 * xg + x] = FN(v_add)(a, wb);
                    tile[t1 * xg + x] = FN(v_sub)(a, wb);
                } else {
                    tile[t0 * xg + x] = FN(v_add)(a, b);
                    tile[t1 * xg + x] = FN(v_mul)(FN(v_sub)(a, b), w);
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (uint it = 0; it < load_iters; it++) {
        const uint t = it * ty + y;
        if (t < rows)
            vstore_row(tile[t * xg + x], mb + (ulong)(base + (t << lo)) * row_stride, c, cols);
    }
}

kernel void FN(ntt_dif)(global uint *m, global const uint *tw, uint log_tw, uint K, uint L, uint row_stride,
                        uint cols, ulong batch_stride, local uint *tile)
{
    FN(ntt_pass)(m, tw, log_tw, K, L, row_stride, cols, batch_stride, tile, 0);
}

kernel void FN(ntt_dit)(global uint *m, global const uint *tw, uint log_tw, uint K, uint L, uint row_stride,
                        uint cols, ulong batch_stride, local uint *tile)
{
    FN(ntt_pass)(m, tw, log_tw, K, L, row_stride, cols, batch_stride, tile, 1);
}

/* out[k] = start * base^k (Montgomery form), k < n; sq[i] = base^(2^i), i < bits. */
kernel void FN(powers)(global uint *out, uint n, uint start, constant uint *sq, uint bits)
{
    const uint k = get_global_id(0);
    uint r = start;
    for (uint i = 0; i < bits; i++) {
        const uint f = FN(f_mul)(r, sq[i]);
        r = (k >> i) & 1u ? f : r;
    }
    if (k < n)
        out[k] = r;
}

/*
 * The LDE's middle step (host/src/ntt.c explains the layout). coef (n x cols) holds n times the
 * coefficients in bit-reversed order (a DIF inverse transform of the evaluations): coef row i is
 * n c_rev(i). spow[j] = s^j / n. With N = n 2^bits and w_N the 2^log2(N)-th root:
 *
 *   natural:  out row (i 2^bits + t) = coef row i * spow[rev(i)] * w_N^(t rev(i)), then a DIT
 *             transform of the n x (cols 2^bits) matrix gives the coset LDE in natural order;
 *   bitrev:   out row (u n + j) = coef row rev(j) * spow[j] * w_N^(rev_bits(u) j), then a DIF
 *             transform of each n x cols block u gives it in bit-reversed order.
 *
 * One work-item per (output row, VL columns); the factor is the same across a row.
 */
static inline uint FN(tw_pow)(global const uint *tw, uint log_tw, uint logN, uint e)
{
    /* w_N^e, e < N, from a table of the first half of the powers of w_T (T = 2^log_tw >= N). */
    const uint half_n = logN ? 1u << (logN - 1u) : 0u;
    const uint hi = logN && e >= half_n;
    const uint v = tw[(hi ? e - half_n : e) << (log_tw - logN)];
    return hi ? (uint)F_P - v : v; /* w_N^(N/2) = -1; v != 0 */
}

static inline void FN(spread)(global uint *out, global const uint *coef, global const uint *spow,
                              global const uint *tw, uint log_tw, uint logn, uint bits, uint cols, const int bitrev)
{
    const uint logN = logn + bits;
    if (get_global_id(1) >= (1u << logN))
        return;
    const uint c = get_global_id(0) * VL, R = get_global_id(1);
    uint src, e, sp;
    if (bitrev) {
        const uint u = R >> logn, j = R & ((1u << logn) - 1u);
        src = loom_bitrev(j, logn);
        sp = spow[j];
        e = loom_bitrev(u, bits) * j;
    } else {
        const uint i = R >> bits, t = R & ((1u << bits) - 1u);
        const uint ri = loom_bitrev(i, logn);
        src = i;
        sp = spow[ri];
        e = t * ri;
    }
    const uint factor = FN(f_mul)(sp, FN(tw_pow)(tw, log_tw, logN, e));
    const vt v = vload_row(coef + (ulong)src * cols, c, cols);
    vstore_row(FN(v_mul)(v, (vt)factor), out + (ulong)R * cols, c, cols);
}

kernel void FN(lde_spread)(global uint *out, global const uint *coef, global const uint *spow, global const uint *tw,
                           uint log_tw, uint logn, uint bits, uint cols)
{
    FN(spread)(out, coef, spow, tw, log_tw, logn, bits, cols, 0);
}

kernel void FN(lde_spread_bitrev)(global uint *out, global const uint *coef, global const uint *spow,
                                  global const uint *tw, uint log_tw, uint logn, uint bits, uint cols)
{
    FN(spread)(out, coef, spow, tw, log_tw, logn, bits, cols, 1);
}
