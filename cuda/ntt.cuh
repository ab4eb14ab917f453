// SPDX-License-Identifier: Apache-2.0
// Batched radix-2 NTT passes on column-major data (column c of length n = 2^logn at data + c * ld).
//
// Forward transforms are DIF (natural order in, bit-reversed out, stages from the top down);
// inverse ones are DIT (bit-reversed in, natural out, stages from the bottom up). Twiddles:
// tw[h + j] = w_{2h}^j in Montgomery form for every half-size h = 2^s < table size, so the table
// of a larger size holds every smaller one, and tw[1] is 1.
//
// A pass runs K consecutive stages [s_lo, s_lo + K). Those stages only mix elements that agree
// outside bits [s_lo, s_lo + K) of their index: a group of T = 2^K elements (index t) at stride
// L = 2^s_lo, offset lo < L. Inside a block of M = T L elements the pass is one step of the
// four-step algorithm:
//   DIF: a size-T DIF along t with the size-T twiddles only, then the element at position t
//        times w_M^(lo * bitrev_K(t));
//   DIT: the element at position t times w_M^(lo * bitrev_K(t)), then a size-T DIT along t.
// So a butterfly never needs more than the first T entries of the table (cache-resident), and
// the lo-dependent factor costs one product per element instead of one per butterfly. Those
// first entries also come as Shoup pairs (shoup_pair, 8 bytes an entry, NTT_SHOUP_ENTRIES), which
// make a butterfly's product 4 multiply-pipe slots instead of 5.
//
// One thread block holds G = 2^log_g groups with consecutive lo (G <= L), so that global reads
// and writes are runs of G words. Inside, each thread keeps E = 16 elements in registers and runs
// up to 4 stages on them (a round) before trading through shared memory: 3 rounds for K = 12, so
// 2 barriers a pass instead of one per stage. Where a round's accesses coalesce it loads from or
// stores to global memory itself (both ends of a strided pass, one end of a contiguous one; see
// "the phases of a pass" below), so a 2-round strided pass touches shared memory once.
//
// The pass code is LOOM_HD, written per thread with explicit barriers between phases, so that
// tests/test_cuda_host.cpp runs the very same index and twiddle logic on the CPU (phase by phase,
// thread by thread) against the CPU reference, in CI, where there is no GPU.
#pragma once
#include <stddef.h>

#include "field.cuh"

namespace loom_cuda {


#define NTT_MAX_K 13          // stages one pass can run (a 2^14 contiguous pass, 1024 threads at 64
                              // registers, spilled on sm_80 and ran slowest in the sweep: 5.6 ms)
#define NTT_MAX_ELEMS 16384   // elements a block holds (G * T): 1024 threads of 16 elements
#define NTT_SHOUP_ENTRIES (1u << NTT_MAX_K)  // entries of a Shoup table: the rounds read tw[x] for x < T

LOOM_HD uint32_t ld_tw(const uint32_t *p)
{
#if defined(__CUDA_ARCH__)
    return __ldg(p);
#else
    return *p;
#endif
}

LOOM_HD uint64_t ld_tw64(const uint64_t *p)
{
#if defined(__CUDA_ARCH__)
    return __ldg((const unsigned long long *)p);
#else
    return *p;
#endif
}

LOOM_HD uint32_t ld_stream(const uint32_t *p)
{
#if defined(__CUDA_ARCH__)
    return __ldcg(p);
#else
    return *p;
#endif
}

LOOM_HD void st_stream(uint32_t *p, uint32_t v)
{
#if defined(__CUDA_ARCH__)
    __stcg(p, v);
#else
    *p = v;
#endif
}

// Entry x (1 <= x < table size) of the twiddle table: w_{2h}^j with h = 2^s <= x < 2h, j = x - h.
// gens[k]: the primitive 2^k-th root (or its inverse) in Montgomery form.
LOOM_HD uint32_t twiddle_entry(size_t x, const uint32_t *gens, uint32_t one, field_params f)
{
    unsigned s = 0;
    while (((size_t)2 << s) <= x)
        s++;
    size_t j = x - ((size_t)1 << s);
    uint32_t base = gens[s + 1], acc = one;
    while (j) {
        if (j & 1)
            acc = mont_mul(acc, base, f.p, f.mu);
        base = mont_mul(base, base, f.p, f.mu);
        j >>= 1;
    }
    return acc;
}

// w_M^e (Montgomery form) for e < M = 2^logM from the table: w_M^e = tw[M/2 + e] for e < M/2 and
// -w_M^(e - M/2) above. Past 2^12 it is split as w_M^(e mod 4096) * w_(M/4096)^(e / 4096), so
// the reads stay in the first M/2 + 4096 and M/8192 + M/8192 entries: two cache-friendly loads.
LOOM_HD uint32_t root_pow(const uint32_t *tw, unsigned logM, uint32_t e, field_params f)
{
    uint32_t v, neg;
    if (logM <= 12) {
        const uint32_t half = (1u << logM) >> 1;
        v = ld_tw(tw + half + (e & (half - 1)));
        neg = e & half;
    } else {
        const uint32_t h1 = 1u << (logM - 13);
        const uint32_t e1 = e >> 12;
        v = mont_mul(ld_tw(tw + ((size_t)1 << (logM - 1)) + (e & 4095)), ld_tw(tw + h1 + (e1 & (h1 - 1))), f.p, f.mu);
        neg = e1 & h1;
    }
    return neg ? f.p - v : v;
}

// What every pass of one transform shares.
struct ntt_args {
    uint32_t *data;        // column c at data + c * ld
    size_t ld;
    unsigned logn;
    const uint32_t *tw;    // forward (DIF) or inverse (DIT) table, at least 2^logn entries
    const uint64_t *sh;    // shoup_pair(tw[x]) for x < NTT_SHOUP_ENTRIES: the rounds' twiddles
    field_params f;
    size_t n_in;           // elements >= n_in of a column are zero and are not read (LDE padding)
    const uint32_t *scale; // NULL, or the last pass multiplies element i by
                           // scale[i mod 4096] * scale[4096 + i / 4096] (LDE coset factors)
};

// v times the LDE's coset factor of coefficient gi (< 2^logn <= 2^27, the fields' two-adicity): scale[gi mod 4096] * scale[4096 + gi / 4096].
LOOM_HD uint32_t coset_scale(const ntt_args &a, uint32_t gi, uint32_t v)
{
    const uint32_t c = mont_mul(ld_tw(a.scale + (gi & 4095)), ld_tw(a.scale + 4096 + (gi >> 12)), a.f.p, a.f.mu);
    return mont_mul(v, c, a.f.p, a.f.mu);
}

// One pass shape: stages [s_lo, s_lo + k), blocks of 2^log_g groups.
struct ntt_pass_desc {
    unsigned s_lo, k, log_g;
};

struct ntt_plan {
    unsigned count;
    ntt_pass_desc pass[4];  // in execution order
};

// Threads a block of a K-stage pass can have in the plans below: a strided pass (K <= 9) holds up
// to 32 groups of 2^K elements, 16 a thread; a contiguous one holds one group. The kernels' launch
// bounds come from it, so that a 2^11 contiguous pass (128 threads) is not held to the registers
// of a 1024-thread block.
LOOM_HDC unsigned ntt_threads_max(int k, bool strided)
{
    const unsigned per_group = k > 4 ? 1u << (k - 4) : 1u, t = strided ? 32u * per_group : per_group;
    return t < 32u ? 32u : t;  // bounds of at least a warp
}

// The pass plan of a 2^logn transform: one pass up to 2^11; above that a contiguous pass of kc
// = 10 stages and strided passes of at most 9 stages, balanced, with 32 groups a block (128-byte
// runs). Measured on an H100 (loom-cuda-bench --ntt-sweep, docs/benchmarks.md): strided passes
// with 8 or 16 groups (32- or 64-byte runs) ran at half the speed, and passes whose blocks hold
// more than 2^11 elements lose more to barriers (one or two blocks an SM) than a third pass over
// memory costs. Since strided passes load and store in their rounds (no copies through shared
// memory) they are the cheaper kind, and kc = 10 beat 11 on an H200: 2^24 is 10 + 7 + 7 (3.98
// against 4.02 ms), 2^25 10 + 8 + 7 (8.46 against 8.86). kc != 0 forces the contiguous pass size
// (the sweep benchmark and the tests use it).
inline ntt_plan ntt_make_plan(unsigned logn, bool dif, unsigned kc)
{
    ntt_plan pl{};
    if (kc == 0 || kc > NTT_MAX_K)
        kc = logn <= 11 ? 11 : 10;
    if (logn <= kc) {
        pl.count = 1;
        pl.pass[0] = ntt_pass_desc{0, logn, 0};
        return pl;
    }
    const unsigned rest = logn - kc, nstr = (rest + 8) / 9;
    ntt_pass_desc str[3];
    unsigned s_lo = kc;
    for (unsigned i = 0; i < nstr; i++) {  // from the low stages up
        unsigned k = rest / nstr + (i < rest % nstr ? 1 : 0);
        unsigned log_g = 0;
        while (log_g < 5 && log_g < s_lo && ((size_t)2 << log_g) << k <= NTT_MAX_ELEMS)
            log_g++;
        str[i] = ntt_pass_desc{s_lo, k, log_g};
        s_lo += k;
    }
    pl.count = nstr + 1;
    if (dif) {  // stages descend: strided passes from the top, the contiguous pass last
        for (unsigned i = 0; i < nstr; i++)
            pl.pass[i] = str[nstr - 1 - i];
        pl.pass[nstr] = ntt_pass_desc{0, kc, 0};
    } else {
        pl.pass[0] = ntt_pass_desc{0, kc, 0};
        for (unsigned i = 0; i < nstr; i++)
            pl.pass[1 + i] = str[i];
    }
    return pl;
}

// RMAX: stages a round keeps in registers at most (E = 2^RMAX elements a thread); lde_fused's
// inverse half runs with fewer, so that both halves have the same threads.
template <bool DIF, int K, int RMAX = 4>
struct ntt_pass {
    static_assert(K > 0 && K <= NTT_MAX_K && RMAX > 0 && RMAX <= 4, "pass size");
    static constexpr unsigned T = 1u << K;
    static constexpr unsigned R = K < RMAX ? K : RMAX;  // stages a round keeps in registers
    static constexpr unsigned E = 1u << R;        // elements a thread holds
    static constexpr unsigned NR = (K + R - 1) / R;
    static_assert(NR <= 6, "round_at runs at most 6 rounds");

    // Round i covers t-bits [b0(i), b0(i) + rb(i)); DIF rounds go from the top bit down.
    static LOOM_HDC unsigned rb(unsigned i) { return (K + NR - 1 - i) / NR; }  // balanced, larger first
    static LOOM_HDC unsigned b0(unsigned i)
    {
        unsigned lo = 0;
        if (DIF) {
            lo = K;
            for (unsigned r = 0; r <= i; r++)
                lo -= rb(r);
        } else {
            for (unsigned r = 0; r < i; r++)
                lo += rb(r);
        }
        return lo;
    }
    // A round of fewer than R bits gives the thread's other index bits to the t-bits just above
    // the round (or just below it at the top), so every thread still holds E elements.
    static LOOM_HDC unsigned xbits(unsigned i) { return R - rb(i); }
    static LOOM_HDC unsigned xpos(unsigned i)
    {
        return b0(i) + rb(i) + xbits(i) <= K ? b0(i) + rb(i) : b0(i) - xbits(i);
    }
    // t-bits of a thread's element j in round I. The round's constants are bound as constexpr
    // first: written as jt(i, j) calling b0(i) in the unrolled loops, nvcc left b0's loop (and
    // rb's division by NR) in the last DIT round of a 2^11 pass, run for every element: 74
    // divisions and 80 small loops, 2.4x the instructions of the DIF pass (SASS, sm_90).
    template <unsigned I>
    static LOOM_HDC uint32_t jt(unsigned j)
    {
        constexpr unsigned RB = rb(I), B0 = b0(I), XP = xpos(I);
        return ((j & ((1u << RB) - 1)) << B0) | ((j >> RB) << XP);
    }
    // t-bits that come from the thread index in round i.
    static LOOM_HDC uint32_t free_mask(unsigned i)
    {
        return (T - 1) & ~(((1u << rb(i)) - 1) << b0(i)) & ~(((1u << xbits(i)) - 1) << xpos(i));
    }

    static LOOM_HD unsigned threads(unsigned log_g) { return (T / E) << log_g; }
    // Shared-memory words a block needs; group g lives at g * S, S odd. In a round the lanes of a
    // warp are 32 groups at the same t (strided passes) or 32 values of the thread's free t-bits
    // in one group (contiguous ones): an odd S keeps the first free of bank conflicts, the padding
    // (one word in 16) the second and the contiguous passes' copies.
    static LOOM_HD uint32_t stride(unsigned) { return (T + (T >> 4)) | 1u; }
    static LOOM_HD size_t smem_words(unsigned log_g) { return (size_t)stride(log_g) << log_g; }
    static LOOM_HD uint32_t sm_at(uint32_t t, uint32_t g, uint32_t S) { return g * S + t + (t >> 4); }
    // sm_at(t0 + u, g, S) - sm_at(t0, g, S) for t0 and u with disjoint bits: neither carries into
    // the other's part of the padding, so the offsets of a thread's E elements are constants.
    static LOOM_HDC uint32_t pad(uint32_t u) { return u + (u >> 4); }

    // Scatters the bits of x into the set bits of MASK (lowest first).
    template <uint32_t MASK>
    static LOOM_HD uint32_t deposit(uint32_t x)
    {
        uint32_t r = 0;
        unsigned c = 0;
LOOM_UNROLL
        for (unsigned p = 0; p < (unsigned)K; p++)
            if ((MASK >> p) & 1u) {
                r |= ((x >> c) & 1u) << p;
                c++;
            }
        return r;
    }

    struct where {
        uint32_t *col;  // the block's column
        size_t base;    // index of (t = 0, g = 0) in the column: hi * M + lo0
        uint32_t lo0;
    };

    static LOOM_HD where locate(const ntt_args &a, ntt_pass_desc d, size_t block)
    {
        const unsigned per_col_log = a.logn - K - d.log_g;  // blocks a column, as a power of two
        const size_t col = block >> per_col_log, b = block & (((size_t)1 << per_col_log) - 1);
        const unsigned lo_log = d.s_lo - d.log_g;           // blocks across lo
        where w;
        w.col = a.data + col * a.ld;
        w.lo0 = (uint32_t)(b & (((size_t)1 << lo_log) - 1)) << d.log_g;
        w.base = ((b >> lo_log) << (d.s_lo + K)) + w.lo0;
        return w;
    }

    // ---- the phases of a pass
    //
    // A thread is group g = tid mod G (lanes take consecutive groups, so that a strided pass's
    // global accesses are runs of G words) and u = tid / G; in round I it holds the E elements
    // t = tbase<I>(u) + jt<I>(j). The rounds trade through shared memory. A round whose elements
    // make coalesced global accesses also loads or stores them itself: in a strided pass every
    // round does (the lanes are consecutive groups), so the first round loads and the last one
    // stores; in a contiguous pass only a round that keeps the top t-bits in registers does (the
    // lanes are consecutive t), which is the DIF's first and the DIT's last, and the other end
    // takes a copy through shared memory. Each fused end saves a shared-memory store, load and
    // barrier an element: a strided pass of 2 rounds goes global, round, shared, round, global.
    // An inverse pass that applies the LDE's coset factors (scale) keeps its store unfused: in the
    // last round ptxas hoisted the factor table's loads among the butterflies and spilled.
    static LOOM_HDC bool in_fused(bool strided) { return strided || DIF; }
    static LOOM_HDC bool out_fused(bool strided, bool scale) { return (strided || !DIF) && !scale; }
    // Phases of a pass, with a barrier between consecutive ones.
    static LOOM_HDC unsigned phases(bool strided, bool scale)
    {
        return NR + !in_fused(strided) + !out_fused(strided, scale);
    }

    static LOOM_HD uint32_t lane_g(unsigned log_g, unsigned tid) { return tid & ((1u << log_g) - 1); }
    static LOOM_HD uint32_t lane_u(unsigned log_g, unsigned tid) { return tid >> log_g; }
    template <unsigned I>
    static LOOM_HD uint32_t tbase(uint32_t u) { return deposit<free_mask(I)>(u & ((T / E) - 1)); }  // u < T / E
    // The shared-memory word of element j of round I for group g and t-base tb (tb and jt<I>(j)
    // have disjoint bits, so the padded index splits into a thread part and a constant).
    template <unsigned I>
    static LOOM_HD uint32_t round_word(unsigned log_g, uint32_t g, uint32_t tb, unsigned j)
    {
        return sm_at(tb, g, stride(log_g)) + pad(jt<I>(j));
    }

    // The four-step factors w_M^(lo bitrev_K(t)) of t = tb + j, j < E (tb a multiple of E): the
    // elements of a DIT's first round and a DIF's last, which keep the low R t-bits. bitrev_K(t)
    // is bitrev_K(tb) + bitrev_R(j) 2^(K - R), so the factors are B W^bitrev_R(j), B = w_M^(lo
    // bitrev_K(tb)) and W = w_M^(lo 2^(K - R)): two table reads and E products a thread.
    static LOOM_HD void apply_factors(const ntt_args &a, ntt_pass_desc d, uint32_t lo, uint32_t tb, uint32_t (&v)[E])
    {
        const unsigned logM = d.s_lo + K;
        const uint32_t w = root_pow(a.tw, logM, lo << (K - R), a.f);
        uint32_t x = root_pow(a.tw, logM, lo * brev32(tb, K), a.f);
        LOOM_UNROLL
        for (unsigned j = 0; j < E; j++) {  // x = B W^j
            const unsigned i = brev32(j, R);
            v[i] = mont_mul(v[i], x, a.f.p, a.f.mu);
            if (j + 1 < E)
                x = mont_mul(x, w, a.f.p, a.f.mu);
        }
    }
    template <unsigned I>
    static LOOM_HDC bool low_round() { return b0(I) == 0 && xpos(I) == rb(I); }  // jt<I>(j) == j

    // Round I's elements from global memory (its first phase). Addresses are a 64-bit base a
    // thread plus 32-bit steps (a block spans at most 2^27 words), and only blocks that reach n_in
    // check each element; elements >= n_in are zero (LDE padding) and are not read. DIT passes
    // apply the four-step factors here.
    template <unsigned I>
    static LOOM_HD void load_global(const ntt_args &a, ntt_pass_desc d, const where &w, uint32_t g, uint32_t tb,
                                    uint32_t (&v)[E])
    {
        const uint32_t off0 = (tb << d.s_lo) + g;
        const uint32_t *src = w.col + w.base + off0;
        const size_t span = ((size_t)(T - 1) << d.s_lo) + (1u << d.log_g);  // the block's last index + 1
        if (w.base + span <= a.n_in) {
            LOOM_UNROLL
            for (unsigned j = 0; j < E; j++)
                v[j] = ld_stream(src + (jt<I>(j) << d.s_lo));
        } else {
            const size_t room = a.n_in > w.base ? a.n_in - w.base : 0;
            const uint32_t lim = (uint32_t)(room < span ? room : span);
            LOOM_UNROLL
            for (unsigned j = 0; j < E; j++)
                v[j] = off0 + (jt<I>(j) << d.s_lo) < lim ? ld_stream(src + (jt<I>(j) << d.s_lo)) : 0u;
        }
        if (!DIF && d.s_lo) {
            static_assert(DIF || I != 0 || low_round<I>(), "a DIT's first round keeps the low t-bits");
            apply_factors(a, d, w.lo0 + g, tb, v);
        }
    }

    // Round I's elements to global memory (its last phase). DIF passes apply the four-step
    // factors here.
    template <unsigned I>
    static LOOM_HD void store_global(const ntt_args &a, ntt_pass_desc d, const where &w, uint32_t g, uint32_t tb,
                                     uint32_t (&v)[E])
    {
        const uint32_t off0 = (tb << d.s_lo) + g;
        if (DIF && d.s_lo) {
            static_assert(!DIF || I != NR - 1 || low_round<I>(), "a DIF's last round keeps the low t-bits");
            apply_factors(a, d, w.lo0 + g, tb, v);
        }
        uint32_t *dst = w.col + w.base + off0;
        LOOM_UNROLL
        for (unsigned j = 0; j < E; j++)
            st_stream(dst + (jt<I>(j) << d.s_lo), v[j]);
    }

    template <unsigned I>
    static LOOM_HD void load_shared(const uint32_t *sm, unsigned log_g, uint32_t g, uint32_t tb, uint32_t (&v)[E])
    {
        LOOM_UNROLL
        for (unsigned j = 0; j < E; j++)
            v[j] = sm[round_word<I>(log_g, g, tb, j)];
    }

    template <unsigned I>
    static LOOM_HD void store_shared(uint32_t *sm, unsigned log_g, uint32_t g, uint32_t tb, const uint32_t (&v)[E])
    {
        LOOM_UNROLL
        for (unsigned j = 0; j < E; j++)
            sm[round_word<I>(log_g, g, tb, j)] = v[j];
    }

    // Round I's rb(I) stages on the thread's E elements, in registers.
    template <unsigned I>
    static LOOM_HD void butterflies(const ntt_args &a, uint32_t tb, uint32_t (&v)[E])
    {
        constexpr unsigned RB = rb(I), B0 = b0(I);
        const uint32_t p = a.f.p;
LOOM_UNROLL
        for (unsigned s = 0; s < RB; s++) {
            const unsigned q = DIF ? RB - 1 - s : s;  // register bit of this stage
            const unsigned b = B0 + q;                // its t-bit: pairs t and t + 2^b
            // In a round that keeps the low t-bits (B0 = 0) the thread's own t-bits are all above
            // b, so t mod hr is jt's part alone, known at compile time, and w^0 = 1 needs no product.
            const uint32_t hr = 1u << b, tmask = hr - 1, tlow = B0 == 0 ? 0u : tb & tmask;
LOOM_UNROLL
            for (unsigned j = 0; j < E; j++) {
                if (j & (1u << q))
                    continue;
                const unsigned j2 = j | (1u << q);
                const bool one = b == 0 || (B0 == 0 && (jt<I>(j) & tmask) == 0);
                // w_{2hr}^(t mod hr) as a Shoup pair: the same expression for every j with equal
                // low bits, so the compiler loads each distinct twiddle once. tlow and jt's bits are
                // disjoint: written as a sum (not an or), the constant part becomes the load's
                // immediate offset instead of a 64-bit address product (IMAD.WIDE) a load.
                const uint64_t w = one ? 0u : ld_tw64(a.sh + (hr + tlow) + (jt<I>(j) & tmask));
                const uint32_t wl = (uint32_t)w, wh = (uint32_t)(w >> 32);
                const uint32_t x = v[j], y = v[j2];
                if (DIF) {
                    v[j] = mod_add(x, y, p);
                    // x - y + p < 2p needs no reduction before the product.
                    v[j2] = one ? mod_sub(x, y, p) : shoup_mul(x - y + p, wl, wh, p);
                } else {
                    const uint32_t yw = one ? y : shoup_mul(y, wl, wh, p);
                    v[j] = mod_add(x, yw, p);
                    v[j2] = mod_sub(x, yw, p);
                }
            }
        }
    }

    // Round I as a phase: its elements from global memory (IN) or shared memory, the butterflies,
    // back to global memory (OUT) or shared memory.
    template <unsigned I, bool IN, bool OUT>
    static LOOM_HD void round(const ntt_args &a, ntt_pass_desc d, const where &w, uint32_t *sm, unsigned tid)
    {
        const uint32_t g = lane_g(d.log_g, tid), tb = tbase<I>(lane_u(d.log_g, tid));
        uint32_t v[E];
        if constexpr (IN)
            load_global<I>(a, d, w, g, tb, v);
        else
            load_shared<I>(sm, d.log_g, g, tb, v);
        butterflies<I>(a, tb, v);
        if constexpr (OUT)
            store_global<I>(a, d, w, g, tb, v);
        else
            store_shared<I>(sm, d.log_g, g, tb, v);
    }

    // Round i (run time, constant once the caller's loop is unrolled); the first round loads from
    // global memory if IN, the last stores to it if OUT.
    template <bool IN, bool OUT>
    static LOOM_HD void round_at(unsigned i, const ntt_args &a, ntt_pass_desc d, const where &w, uint32_t *sm,
                                 unsigned tid)
    {
        switch (i) {
#define LOOM_ROUND_CASE(n) \
        case n: if constexpr (NR > n) round<n, IN && n == 0, OUT && n == NR - 1>(a, d, w, sm, tid); break;
        LOOM_ROUND_CASE(0) LOOM_ROUND_CASE(1) LOOM_ROUND_CASE(2) LOOM_ROUND_CASE(3) LOOM_ROUND_CASE(4)
        LOOM_ROUND_CASE(5)
#undef LOOM_ROUND_CASE
        default: break;
        }
    }

    // The copies of an unfused end: thread (g, t0 = u) takes elements t = t0 + i T/E, coalesced
    // (runs of G words, or of consecutive t in a contiguous pass): into shared memory for a
    // contiguous DIT's first round, or out of it after a contiguous DIF's last round or a scaled
    // inverse's, with the coset factors (SCALED).
    static LOOM_HD void copy_in(const ntt_args &a, const where &w, uint32_t *sm, unsigned tid)
    {
        constexpr uint32_t tstep = T / E;  // contiguous passes only (G = 1)
        const uint32_t *src = w.col + w.base + tid;
        uint32_t v[E];
        if (w.base + T <= a.n_in) {  // offsets are constants, immediate in the loads
            LOOM_UNROLL
            for (unsigned i = 0; i < E; i++)
                v[i] = ld_stream(src + i * tstep);
        } else {  // elements >= n_in are zero (LDE padding) and are not read
            const size_t room = a.n_in > w.base ? a.n_in - w.base : 0;
            LOOM_UNROLL
            for (unsigned i = 0; i < E; i++)
                v[i] = tid + i * tstep < room ? ld_stream(src + i * tstep) : 0u;
        }
        LOOM_UNROLL
        for (unsigned i = 0; i < E; i++)
            sm[copy_word(0, tid, i)] = v[i];
    }

    template <bool STRIDED, bool SCALED>
    static LOOM_HD void copy_out(const ntt_args &a, ntt_pass_desc d, const where &w, const uint32_t *sm, unsigned tid)
    {
        constexpr uint32_t tstep = T / E;
        const uint32_t off0 = (lane_u(d.log_g, tid) << d.s_lo) + lane_g(d.log_g, tid);
        uint32_t *dst = w.col + w.base + off0;
        uint32_t v[E];
        LOOM_UNROLL
        for (unsigned i = 0; i < E; i++)
            v[i] = sm[copy_word(d.log_g, tid, i)];
        if (SCALED)
            scale_chain(a, (uint32_t)w.base + off0, tstep << d.s_lo, v);
        LOOM_UNROLL
        for (unsigned i = 0; i < E; i++)  // a contiguous pass's offsets are constants, immediate in the stores
            st_stream(dst + (STRIDED ? (i * tstep) << d.s_lo : i * tstep), v[i]);
    }
    // v[i] times the coset factor of coefficient g0 + i delta (delta a power of two below n): c_i
    // = c_0 D^i with D = shift^delta, one product an element and three table reads a thread.
    // (Two reads an element, as coset_scale, made ptxas hoist them all and spill.) D is
    // scale[4096 + delta / 4096], or scale[delta] = shift^delta / n times n.
    static LOOM_HD void scale_chain(const ntt_args &a, uint32_t g0, uint32_t delta, uint32_t (&v)[E])
    {
        const uint32_t p = a.f.p, mu = a.f.mu;
        uint32_t c = mont_mul(ld_tw(a.scale + (g0 & 4095)), ld_tw(a.scale + 4096 + (g0 >> 12)), p, mu), dm;
        if (delta >= 4096) {
            dm = ld_tw(a.scale + 4096 + (delta >> 12));
        } else {
            uint32_t nm = a.f.one;  // n in Montgomery form
            for (unsigned b = 0; b < a.logn; b++)
                nm = mod_add(nm, nm, p);
            dm = mont_mul(ld_tw(a.scale + delta), nm, p, mu);
        }
        LOOM_UNROLL
        for (unsigned i = 0; i < E; i++) {
            v[i] = mont_mul(v[i], c, p, mu);
            if (i + 1 < E)
                c = mont_mul(c, dm, p, mu);
        }
    }
    // The shared-memory word of a copy's element i for thread tid.
    static LOOM_HD uint32_t copy_word(unsigned log_g, unsigned tid, unsigned i)
    {
        return sm_at(lane_u(log_g, tid), lane_g(log_g, tid), stride(log_g)) + pad(i * (T / E));
    }

    // Phase p of a pass (STRIDED: s_lo > 0; SCALE: the LDE's coset factors on the output of an
    // inverse), for thread tid; a barrier must separate consecutive phases. Both are known at
    // compile time, so that each kernel carries only its own code.
    template <bool STRIDED, bool SCALE>
    static LOOM_HD void phase(unsigned p, const ntt_args &a, ntt_pass_desc d, const where &w, uint32_t *sm,
                              unsigned tid)
    {
        static_assert(!(DIF && SCALE), "only inverses are scaled");
        constexpr bool IN = in_fused(STRIDED), OUT = out_fused(STRIDED, SCALE);
        if (!IN) {
            if (p == 0) {
                copy_in(a, w, sm, tid);
                return;
            }
            p--;
        }
        if (p < NR)
            round_at<IN, OUT>(p, a, d, w, sm, tid);
        else if (!OUT)
            copy_out<STRIDED, SCALE>(a, d, w, sm, tid);
    }
};

// The coset LDE 2^logn -> 2^logm as passes: the inverse's passes below stage s, one fused pass
// (lde_fused: the inverse's stages [s, logn), the coset factors, the forward's stages [s, logm)),
// then the forward's passes below s. Without the fusion (blowups other than 2 and 4, or an inverse
// of one pass) it is the two whole transforms, the coset factors in the inverse's last pass.
struct lde_plan {
    bool fused;
    ntt_plan inv, fwd;      // passes in execution order (below s when fused)
    ntt_pass_desc fi, ff;   // the fused pass's inverse and forward halves: same s_lo and log_g
};

inline lde_plan lde_make_plan(unsigned logn, unsigned logm, unsigned kc)
{
    lde_plan lp{};
    // The inverse's contiguous pass keeps 11 stages by default, so that the fused pass of 2^24 ->
    // 2^25 is 6 + 7 stages (256 threads): with the NTT's 10 it was 7 + 8 (512 threads), and the
    // LDE took 14.45 ms against 12.79 (H200). The forward's passes below it take the default.
    lp.inv = ntt_make_plan(logn, false, kc ? kc : 11);
    const unsigned bits = logm - logn;
    if (lp.inv.count < 2 || bits < 1 || bits > 2) {
        lp.fwd = ntt_make_plan(logm, true, kc);
        return lp;
    }
    const ntt_pass_desc top = lp.inv.pass[lp.inv.count - 1];
    const unsigned s = top.s_lo, kf = top.k + bits;
    unsigned log_g = 0;
    while (log_g < 5 && log_g < s && ((size_t)2 << log_g) << kf <= NTT_MAX_ELEMS)
        log_g++;
    lp.fused = true;
    lp.inv.count--;
    lp.fwd = ntt_make_plan(s, true, kc);
    lp.fi = ntt_pass_desc{s, top.k, log_g};
    lp.ff = ntt_pass_desc{s, kf, log_g};
    return lp;
}

// The fused pass of lde_plan. A group (lo < 2^s) is 2^KI coefficients-to-be at stride 2^s in the
// inverse and 2^KF = 2^(KI + BITS) outputs at the same stride in the forward, the upper ones
// starting as zero padding. Both halves are strided ntt_passes with the same threads (the inverse
// keeps 2^(4 - BITS) elements a thread) and phases:
//   - the inverse's rounds but its last, the first loading from global memory with the four-step
//     factors, in shared-memory region A;
//   - the middle phase: the inverse's last round (the top t-bits in registers), the coset factors
//     (ntt_args::scale of the inverse), and the forward's first round, whose registers hold the
//     same t-bits plus the BITS zero bits above them: the bridge between the halves is a register
//     permutation, with no shared memory or barrier; into region B;
//   - the forward's other rounds, the last storing to global memory with its four-step factors.
// Against the two passes it replaces it reads 2^KI words a group once instead of twice and writes
// them once instead of twice.
template <int KI, int BITS>
struct lde_fused {
    static constexpr int KF = KI + BITS;
    using PI = ntt_pass<false, KI, 4 - BITS>;
    using PF = ntt_pass<true, KF>;
    static constexpr unsigned LI = PI::NR - 1;  // the inverse's last round
    static_assert(PI::T / PI::E == PF::T / PF::E, "both halves have the same threads");
    static_assert(PI::free_mask(LI) == PF::free_mask(0), "the middle phase's rounds share their free t-bits");

    static LOOM_HD unsigned threads(unsigned log_g) { return PF::threads(log_g); }
    static LOOM_HD size_t smem_words(unsigned log_g) { return PI::smem_words(log_g) + PF::smem_words(log_g); }
    static LOOM_HDC unsigned phases() { return PI::NR + PF::NR - 1; }

    // The inverse's register holding the forward's register j of the middle phase, or E_I if that
    // element is padding (t >= 2^KI).
    static LOOM_HDC unsigned from_inverse(unsigned j)
    {
        for (unsigned i = 0; i < PI::E; i++)
            if (PI::template jt<LI>(i) == PF::template jt<0>(j))
                return i;
        return PI::E;
    }

    static LOOM_HD void middle(const ntt_args &ai, const ntt_args &af, ntt_pass_desc di, ntt_pass_desc df,
                               const typename PI::where &wi, const typename PF::where &wf, uint32_t *sm, unsigned tid)
    {
        const uint32_t g = PI::lane_g(di.log_g, tid), tb = PI::template tbase<LI>(PI::lane_u(di.log_g, tid));
        uint32_t vi[PI::E], vf[PF::E];
        if constexpr (LI == 0)
            PI::template load_global<0>(ai, di, wi, g, tb, vi);
        else
            PI::template load_shared<LI>(sm, di.log_g, g, tb, vi);
        PI::template butterflies<LI>(ai, tb, vi);
        LOOM_UNROLL
        for (unsigned j = 0; j < PF::E; j++) {
            const unsigned i = from_inverse(j);
            // gi: the coefficient's index in the column
            vf[j] = i < PI::E ? coset_scale(ai, (uint32_t)wi.base + ((tb + PI::template jt<LI>(i)) << di.s_lo) + g,
                                            vi[i < PI::E ? i : 0])
                              : 0u;
        }
        PF::template butterflies<0>(af, tb, vf);
        if constexpr (PF::NR == 1)
            PF::template store_global<0>(af, df, wf, g, tb, vf);
        else
            PF::template store_shared<0>(sm + PI::smem_words(di.log_g), df.log_g, g, tb, vf);
    }

    // Phase p for thread tid; a barrier must separate consecutive phases.
    static LOOM_HD void phase(unsigned p, const ntt_args &ai, const ntt_args &af, ntt_pass_desc di, ntt_pass_desc df,
                              const typename PI::where &wi, const typename PF::where &wf, uint32_t *sm, unsigned tid)
    {
        if constexpr (LI > 0)
            if (p < LI) {
                PI::template round_at<true, false>(p, ai, di, wi, sm, tid);
                return;
            }
        if (p == LI)
            middle(ai, af, di, df, wi, wf, sm, tid);
        else
            PF::template round_at<false, true>(p - LI, af, df, wf, sm + PI::smem_words(di.log_g), tid);
    }
};

}  // namespace loom_cuda
