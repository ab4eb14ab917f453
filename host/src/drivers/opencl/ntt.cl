/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Batched NTT passes for the field F_*, with the coset LDE's scaling folded into the first pass.
 *
 * Matrix: batch z, row i, column c at m[z * batch_stride + i * row_stride + c]; every column is
 * one transform of n = 2^logn points, and a work-item carries VL neighbouring columns. A pass
 * runs L consecutive stages of the transform on tiles held in local memory: the stages with
 * blocks 2^K, 2^(K-1), ..., 2^(K-L+1) rows (DIF, top down) or 2^(K-L+1) ... 2^K (DIT, bottom up)
 * pair only rows whose indices differ in bits K-L .. K-1, so one work-group loads the 2^L rows
 * that share the other bits (2^L rows by get_local_size(0) * VL columns), runs the L stages
 * there, two at a time (radix 4) with a barrier between steps, and writes the tile back.
 * ceil(log2(n) / L) passes make a transform, each one read and one write of the matrix.
 *
 *   DIF (natural order in, bit-reversed out): (a, b) -> (a + b, (a - b) w_2h^j)
 *   DIT (bit-reversed in, natural order out): (a, b) -> (a + w_2h^j b, a - w_2h^j b)
 *
 * tw holds w^k, k < 2^(log_tw - 1), for w the primitive 2^log_tw-th root of unity (or its
 * inverse), in Montgomery form; w_2h^j = tw[j << (log_tw - log2(2h))] for any 2h <= 2^log_tw.
 *
 * The first pass of a transform may read its input from `src` instead of m (`mode`):
 *   LOAD_PLAIN    m itself;
 *   LOAD_BITREV   row i of m is row rev(i) of src (the DFT: natural order into a DIT);
 *   LOAD_LDE      the coset LDE's spread (host/src/ntt.c explains the layout). src (n x w) holds n
 *                 times the coefficients in bit-reversed order (a DIF inverse transform of the
 *                 evaluations), spow[j] = s^j / n, N = n 2^bits, w_N the 2^log2(N)-th root. m is
 *                 the n x (w 2^bits) matrix whose row i, block t is src row i * spow[rev(i)] *
 *                 w_N^(t rev(i)); a DIT transform of it is the LDE in natural row order;
 *   LOAD_LDE_REV  the same for bit-reversed rows: batch u (an n x w block) row j is src row
 *                 rev(j) * spow[j] * w_N^(rev_bits(u) j); a DIF of each block gives the LDE with
 *                 its rows bit-reversed.
 * No pass of its own for either, so an LDE costs the passes of its two transforms and nothing more.
 */
#define LOAD_PLAIN 0u
#define LOAD_BITREV 1u
#define LOAD_LDE 2u
#define LOAD_LDE_REV 3u

static inline void FN(bfly_dit)(vt *a, vt *b, vt w)
{
    const vt wb = FN(v_mul)(*b, w);
    *b = FN(v_sub)(*a, wb);
    *a = FN(v_add)(*a, wb);
}

static inline void FN(bfly_dif)(vt *a, vt *b, vt w)
{
    const vt d = FN(v_sub)(*a, *b);
    *a = FN(v_add)(*a, *b);
    *b = FN(v_mul)(d, w);
}

/* w_N^e, e < N = 2^logN, from the table of the first half of the powers of w_T (T >= N). */
static inline uint FN(tw_pow)(global const uint *tw, uint log_tw, uint logN, uint e)
{
    const uint half_n = logN ? 1u << (logN - 1u) : 0u;
    const uint hi = logN && e >= half_n;
    const uint v = tw[(hi ? e - half_n : e) << (log_tw - logN)];
    return hi ? (uint)F_P - v : v; /* w_N^(N/2) = -1; v != 0 */
}

/* Row i (VL columns from c) of the first pass's input (see LOAD_* above). */
static inline vt FN(load_first)(uint mode, global const uint *src, global const uint *spow, global const uint *tw,
                                uint log_tw, uint logn, uint bits, uint w, uint i, uint c, uint row_stride,
                                uint cols, uint batch)
{
    const uint logN = logn + bits;
    if (mode == LOAD_BITREV)
        return vload_row(src + (ulong)loom_bitrev(i, logn) * row_stride, c, cols);
    if (mode == LOAD_LDE_REV) {
        const uint f = FN(f_mul)(spow[i], FN(tw_pow)(tw, log_tw, logN, loom_bitrev(batch, bits) * i));
        return FN(v_mul)(vload_row(src + (ulong)loom_bitrev(i, logn) * w, c, w), (vt)f);
    }
    /* LOAD_LDE: wide column c is block t = c / w, column c % w of src. A work-item past the row
     * (the last group of a narrow matrix) has t >= 2^bits, so t * ri >= N would index past the
     * twiddle table in tw_pow; its lanes are dropped anyway. */
    if (c >= cols)
        return (vt)0u;
    const uint ri = loom_bitrev(i, logn), sp = spow[ri];
    global const uint *row = src + (ulong)i * w;
    const uint t = c / w, cc = c - t * w;
    if (cc + VL <= w || (t + 1u) * w >= cols) /* all lanes in one block (lanes past the row are dropped) */
        return FN(v_mul)(vload_row(row, cc, w), (vt)FN(f_mul)(sp, FN(tw_pow)(tw, log_tw, logN, t * ri)));
    uint lanes[VL];
    for (uint l = 0; l < VL; l++) { /* the lanes cross into the next block */
        const uint cl = c + l, tl = cl / w;
        lanes[l] = cl < cols ? FN(f_mul)(row[cl - tl * w], FN(f_mul)(sp, FN(tw_pow)(tw, log_tw, logN, tl * ri))) : 0u;
    }
    return VLOAD(lanes);
}

static inline void FN(ntt_pass)(global uint *m, global const uint *tw, uint log_tw, uint K, uint L,
                                uint row_stride, uint cols, ulong batch_stride, local uint *tile_words,
                                uint mode, global const uint *src, global const uint *spow, uint logn, uint bits,
                                uint w, const int dit)
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
            tile[t * xg + x] = mode == LOAD_PLAIN
                                   ? vload_row(mb + (ulong)(base + (t << lo)) * row_stride, c, cols)
                                   : FN(load_first)(mode, src, spow, tw, log_tw, logn, bits, w, base + (t << lo), c,
                                                    row_stride, cols, get_group_id(2));
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    /* Two stages at a time (radix 4: four rows in registers, half the tile traffic and barriers),
     * and one radix-2 stage when L is odd: first for DIT, last for DIF, keeping the stage order. */
    const uint odd = L & 1u;
    const uint r2_iters = (half_n + ty - 1u) / ty, r4_iters = (rows / 4u + ty - 1u) / ty;
    for (uint s = 0; s < L;) {
        const int radix2 = odd && (dit ? s == 0 : s == L - 1u);
        /* lh: log2 of the smaller half block of this step, in tile rows */
        const uint lh = dit ? s : L - s - (radix2 ? 1u : 2u);
        const uint hl = 1u << lh;
        const uint sh1 = log_tw - (lo + lh + 1u); /* twiddle shift for blocks of 2 hl rows */
        if (radix2) {
            for (uint it = 0; it < r2_iters; it++) {
                const uint q = it * ty + y;
                if (q < half_n) {
                    const uint jl = q & (hl - 1u);
                    const uint t0 = ((q >> lh) << (lh + 1u)) | jl, t1 = t0 + hl;
                    const vt w = (vt)tw[((jl << lo) | low) << sh1];
                    vt a = tile[t0 * xg + x], b = tile[t1 * xg + x];
                    if (dit)
                        FN(bfly_dit)(&a, &b, w);
                    else
                        FN(bfly_dif)(&a, &b, w);
                    tile[t0 * xg + x] = a, tile[t1 * xg + x] = b;
                }
            }
            s += 1u;
        } else {
            for (uint it = 0; it < r4_iters; it++) {
                const uint q = it * ty + y;
                if (q < rows / 4u) {
                    const uint jl = q & (hl - 1u);
                    const uint t0 = ((q >> lh) << (lh + 2u)) | jl;
                    /* blocks of 2 hl rows: twiddle j; blocks of 4 hl: j and j + hl */
                    const vt w1 = (vt)tw[((jl << lo) | low) << sh1];
                    const vt w2 = (vt)tw[((jl << lo) | low) << (sh1 - 1u)];
                    const vt w3 = (vt)tw[(((jl + hl) << lo) | low) << (sh1 - 1u)];
                    vt a = tile[t0 * xg + x], b = tile[(t0 + hl) * xg + x];
                    vt c = tile[(t0 + 2u * hl) * xg + x], d = tile[(t0 + 3u * hl) * xg + x];
                    if (dit) {
                        FN(bfly_dit)(&a, &b, w1);
                        FN(bfly_dit)(&c, &d, w1);
                        FN(bfly_dit)(&a, &c, w2);
                        FN(bfly_dit)(&b, &d, w3);
                    } else {
                        FN(bfly_dif)(&a, &c, w2);
                        FN(bfly_dif)(&b, &d, w3);
                        FN(bfly_dif)(&a, &b, w1);
                        FN(bfly_dif)(&c, &d, w1);
                    }
                    tile[t0 * xg + x] = a, tile[(t0 + hl) * xg + x] = b;
                    tile[(t0 + 2u * hl) * xg + x] = c, tile[(t0 + 3u * hl) * xg + x] = d;
                }
            }
            s += 2u;
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
                        uint cols, ulong batch_stride, local uint *tile, uint mode, global const uint *src,
                        global const uint *spow, uint logn, uint bits, uint w)
{
    FN(ntt_pass)(m, tw, log_tw, K, L, row_stride, cols, batch_stride, tile, mode, src, spow, logn, bits, w, 0);
}

kernel void FN(ntt_dit)(global uint *m, global const uint *tw, uint log_tw, uint K, uint L, uint row_stride,
                        uint cols, ulong batch_stride, local uint *tile, uint mode, global const uint *src,
                        global const uint *spow, uint logn, uint bits, uint w)
{
    FN(ntt_pass)(m, tw, log_tw, K, L, row_stride, cols, batch_stride, tile, mode, src, spow, logn, bits, w, 1);
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
