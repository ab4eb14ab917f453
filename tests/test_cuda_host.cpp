/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/test_cuda_host.cpp - the CUDA NTT kernels' logic, run on the CPU.
 *
 * cuda/ntt.cuh writes each pass per thread, with the barriers between phases explicit, and
 * compiles as plain C++. Here every block of every pass runs phase by phase, thread by thread,
 * exactly as the GPU orders them, and the results are compared bit for bit with the CPU reference
 * (loom/ntt.h): forward DIF against loom_dft_batch (bit-reversed), inverse DIT against the
 * unscaled inverse, and the coset LDE against loom_coset_lde_batch: for blowups 2 and 4 the
 * fused plan (lde_make_plan: the inverse's top stages, the coset factors and the forward's top
 * stages in one pass), for 8 the two transforms (coset factors in the inverse's last pass, zero
 * rows skipped by the forward's first pass). Every pass shape is covered
 * at small sizes by forcing small contiguous passes (kc), so the strided passes, their four-step
 * factors and the groups a block are all exercised without a GPU. test_cuda checks the same on
 * the GPU itself.
 *
 * Random inputs come from test_util.h (seed from LOOM_TEST_SEED, printed).
 */
#include <algorithm>
#include <type_traits>
#include <vector>

extern "C" {  // Debian's cmocka.h has no C++ guards
#include "test_util.h"
}

#include "loom/field.h"
#include "loom/ntt.h"
#include "ntt.cuh"

using namespace loom_cuda;

static field_params params(const loom_field *f) { return field_params{f->p, f->mu, f->r_mod_p}; }

/* The twiddle table of 2^logn (at least 2) entries, built with the kernels' own twiddle_entry. */
static std::vector<uint32_t> twiddles(const loom_field *f, unsigned logn, bool inverse)
{
    uint32_t gens[28] = {0};
    for (unsigned k = 0; k <= f->two_adicity && k < 28; k++) {
        uint32_t w = f->two_adic_generators[k];
        gens[k] = loom_field_to_monty(f, inverse ? loom_field_inv(f, w) : w);
    }
    size_t n = (size_t)1 << (logn ? logn : 1);
    std::vector<uint32_t> tw(n, 0);
    for (size_t x = 1; x < n; x++)
        tw[x] = twiddle_entry(x, gens, f->r_mod_p, params(f));
    return tw;
}

/* The Shoup pairs of a twiddle table's first NTT_SHOUP_ENTRIES entries (shoup_kernel); the
 * table must have at least that many entries. */
static std::vector<uint64_t> shoup_table(const loom_field *f, bool inverse)
{
    const std::vector<uint32_t> tw = twiddles(f, NTT_MAX_K, inverse);
    std::vector<uint64_t> sh(NTT_SHOUP_ENTRIES, 0);
    for (size_t x = 1; x < NTT_SHOUP_ENTRIES; x++) {
        sh[x] = shoup_pair(tw[x], f->p, f->mu);
        /* w is the plain value of tw[x], ws = floor(w 2^32 / p) */
        const uint32_t w = loom_field_from_monty(f, tw[x]);
        if ((uint32_t)sh[x] != w || (sh[x] >> 32) != (((uint64_t)w << 32) / f->p))
            fail_msg("shoup_pair(%u) of %s", (unsigned)x, f->name);
    }
    return sh;
}

/* make_coef's table: shift^j / n for j < 4096, then shift^(4096 j) (Montgomery form). */
static std::vector<uint32_t> coef_table(const loom_field *f, unsigned logn, uint32_t shift)
{
    size_t n = (size_t)1 << logn, hi = n >> 12 ? n >> 12 : 1;
    std::vector<uint32_t> c(4096 + hi);
    uint32_t inv_n = loom_field_inv(f, (uint32_t)(n % f->p));
    for (size_t j = 0; j < 4096; j++)
        c[j] = loom_field_to_monty(f, loom_field_mul(f, loom_field_pow(f, shift, j), inv_n));
    for (size_t j = 0; j < hi; j++)
        c[4096 + j] = loom_field_to_monty(f, loom_field_pow(f, shift, 4096 * j));
    return c;
}

/* One pass, emulated: for each block, each phase (ntt_pass::phase) by every thread, a barrier
 * (the end of the phase) between phases. */
template <bool DIF, int K>
static void emulate_pass(const ntt_args &a, ntt_pass_desc d, size_t cols, bool scale)
{
    typedef ntt_pass<DIF, K> P;
    std::vector<uint32_t> sm(P::smem_words(d.log_g), 0xdeadbeefu);
    const size_t blocks = cols << (a.logn - K - d.log_g);
    const unsigned nt = P::threads(d.log_g);
    const bool strided = d.s_lo != 0;
    assert_true(nt <= ntt_threads_max(K, d.s_lo != 0)); /* launch_k refuses a pass outside the bounds */
    assert_true(!strided || K <= 9);       /* no strided kernels above 9 stages */
    assert_true(!(DIF && scale));          /* only inverses are scaled */
    for (size_t b = 0; b < blocks; b++) {
        const typename P::where w = P::locate(a, d, b);
        for (unsigned p = 0; p < P::phases(strided, scale); p++)
            for (unsigned t = 0; t < nt; t++) {
                if (strided && scale)
                    P::template phase<true, !DIF>(p, a, d, w, sm.data(), t);
                else if (strided)
                    P::template phase<true, false>(p, a, d, w, sm.data(), t);
                else if (scale)
                    P::template phase<false, !DIF>(p, a, d, w, sm.data(), t);
                else
                    P::template phase<false, false>(p, a, d, w, sm.data(), t);
            }
    }
}

/* f(std::integral_constant<int, k>) for the pass sizes the kernels have, 1..NTT_MAX_K. */
template <int K = 1, typename F>
static void with_k(unsigned k, F f)
{
    if constexpr (K <= NTT_MAX_K) {
        if (k == (unsigned)K)
            f(std::integral_constant<int, K>{});
        else
            with_k<K + 1>(k, f);
    } else {
        fail_msg("no pass of %u stages", k);
    }
}

template <bool DIF>
static void emulate_dir(const ntt_args &a, ntt_pass_desc d, size_t cols, bool scale)
{
    with_k(d.k, [&](auto k) { emulate_pass<DIF, decltype(k)::value>(a, d, cols, scale); });
}

/* run_ntt of cuda/loom_cuda.cu, with the passes emulated. */
static void emulate_ntt(uint32_t *data, size_t ld, size_t cols, unsigned logn, bool dif, const uint32_t *tw,
                        const uint64_t *sh, const loom_field *f, size_t n_in, const uint32_t *scale, unsigned kc)
{
    if (logn == 0)
        return;
    const ntt_plan pl = ntt_make_plan(logn, dif, kc);
    unsigned total = 0;
    for (unsigned i = 0; i < pl.count; i++) {
        total += pl.pass[i].k;
        assert_true(pl.pass[i].k <= NTT_MAX_K);
        assert_true(((size_t)pl.pass[i].k == 0) || (((size_t)1 << pl.pass[i].log_g) << pl.pass[i].k) <= NTT_MAX_ELEMS);
        assert_true(pl.pass[i].log_g <= pl.pass[i].s_lo);
    }
    assert_int_equal(total, logn);
    ntt_args a{data, ld, logn, tw, sh, params(f), n_in, scale};
    for (unsigned i = 0; i < pl.count; i++) {
        a.n_in = i == 0 ? n_in : (size_t)1 << logn;
        bool last = i + 1 == pl.count;
        if (dif)
            emulate_dir<true>(a, pl.pass[i], cols, last && scale);
        else
            emulate_dir<false>(a, pl.pass[i], cols, last && scale);
    }
}

/* lde_fused_kernel of cuda/loom_cuda.cu, emulated block by block and phase by phase. */
template <int KI, int BITS>
static void emulate_fused(const ntt_args &ai, const ntt_args &af, ntt_pass_desc di, ntt_pass_desc df, size_t cols)
{
    typedef lde_fused<KI, BITS> L;
    typedef typename L::PI PI;
    typedef typename L::PF PF;
    std::vector<uint32_t> sm(L::smem_words(di.log_g), 0xdeadbeefu);
    const size_t blocks = cols << (ai.logn - KI - di.log_g);
    const unsigned nt = L::threads(di.log_g);
    assert_int_equal(nt, PI::threads(di.log_g));
    for (size_t b = 0; b < blocks; b++) {
        const typename PI::where wi = PI::locate(ai, di, b);
        const typename PF::where wf = PF::locate(af, df, b);
        for (unsigned p = 0; p < L::phases(); p++)
            for (unsigned t = 0; t < nt; t++)
                L::phase(p, ai, af, di, df, wi, wf, sm.data(), t);
    }
}

static void emulate_fused_any(const ntt_args &ai, const ntt_args &af, ntt_pass_desc di, ntt_pass_desc df, size_t cols)
{
    switch (di.k * 10 + (df.k - di.k)) {
#define F_CASE(ki) \
    case ki * 10 + 1: emulate_fused<ki, 1>(ai, af, di, df, cols); break; \
    case ki * 10 + 2: emulate_fused<ki, 2>(ai, af, di, df, cols); break;
        F_CASE(1) F_CASE(2) F_CASE(3) F_CASE(4) F_CASE(5) F_CASE(6) F_CASE(7) F_CASE(8) F_CASE(9)
#undef F_CASE
    default: fail_msg("no fused pass of %u + %u stages", di.k, df.k - di.k);
    }
}

static unsigned g_fused;  /* LDEs that took the fused path */

/* extend_columns of cuda/loom_cuda.cu: the coset LDE of the bit-reversed columns in data (rows
 * 0..2^logn-1 of each, ld = 2^logm), by lde_make_plan. */
static void emulate_lde(uint32_t *data, size_t cols, unsigned logn, unsigned logm, const uint32_t *itw,
                        const uint64_t *ish, const uint32_t *tw, const uint64_t *sh, const uint32_t *coef,
                        const loom_field *f, unsigned kc)
{
    const size_t n = (size_t)1 << logn, m = (size_t)1 << logm;
    const lde_plan lp = lde_make_plan(logn, logm, kc);
    g_fused += lp.fused;
    if (!lp.fused) {
        emulate_ntt(data, m, cols, logn, false, itw, ish, f, n, coef, kc);
        emulate_ntt(data, m, cols, logm, true, tw, sh, f, n, NULL, kc);
        return;
    }
    const ntt_args ai{data, m, logn, itw, ish, params(f), n, coef};
    const ntt_args af{data, m, logm, tw, sh, params(f), m, NULL};
    for (unsigned i = 0; i < lp.inv.count; i++)
        emulate_dir<false>(ai, lp.inv.pass[i], cols, false);
    emulate_fused_any(ai, af, lp.fi, lp.ff, cols);
    for (unsigned i = 0; i < lp.fwd.count; i++)
        emulate_dir<true>(af, lp.fwd.pass[i], cols, false);
}

static const unsigned KCS[] = {0, 1, 2, 3, 4, 5, 7, 9};  // 0: the default plan

static void check_eq(const char *what, const loom_field *f, unsigned logn, unsigned kc, size_t col, size_t row,
                     uint32_t got, uint32_t want)
{
    if (got != want)
        fail_msg("%s (%s, 2^%u, kc %u, seed 0x%016llx): column %zu row %zu: got %u, expected %u", what, f->name, logn,
                 kc, (unsigned long long)test_seed(), col, row, got, want);
}

static void test_forward_inverse(void **state)
{
    (void)state;
    const loom_field_id ids[] = {LOOM_FIELD_BABYBEAR, LOOM_FIELD_KOALABEAR};
    for (loom_field_id id : ids) {
        const loom_field *f = loom_field_get(id);
        const std::vector<uint64_t> sh = shoup_table(f, false), ish = shoup_table(f, true);
        for (unsigned logn = 1; logn <= 15; logn++) {
            const size_t n = (size_t)1 << logn, cols = logn > 12 ? 2 : 3;
            const std::vector<uint32_t> tw = twiddles(f, logn, false), itw = twiddles(f, logn, true);
            test_rng rs = {test_seed() ^ (id * 1000 + logn)};
            std::vector<uint32_t> rowmaj(n * cols), colmaj(n * cols);
            for (size_t i = 0; i < n * cols; i++)
                rowmaj[i] = test_element(&rs, f->p);
            std::vector<uint32_t> ref = rowmaj, iref = rowmaj;
            assert_int_equal(loom_dft_batch(f, ref.data(), n, cols), LOOM_OK);
            assert_int_equal(loom_idft_batch(f, iref.data(), n, cols), LOOM_OK);
            const uint32_t nn = (uint32_t)(n % f->p);
            for (unsigned kc : KCS) {
                if (kc && kc >= logn)
                    continue;
                /* forward: natural in, bit-reversed out */
                for (size_t c = 0; c < cols; c++)
                    for (size_t i = 0; i < n; i++)
                        colmaj[c * n + i] = rowmaj[i * cols + c];
                emulate_ntt(colmaj.data(), n, cols, logn, true, tw.data(), sh.data(), f, n, NULL, kc);
                for (size_t c = 0; c < cols; c++)
                    for (size_t i = 0; i < n; i++)
                        check_eq("forward DIF", f, logn, kc, c, i, colmaj[c * n + i], ref[brev32((uint32_t)i, logn) * cols + c]);
                /* inverse: bit-reversed in, natural out, not divided by n */
                for (size_t c = 0; c < cols; c++)
                    for (size_t i = 0; i < n; i++)
                        colmaj[c * n + i] = rowmaj[brev32((uint32_t)i, logn) * cols + c];
                emulate_ntt(colmaj.data(), n, cols, logn, false, itw.data(), ish.data(), f, n, NULL, kc);
                for (size_t c = 0; c < cols; c++)
                    for (size_t i = 0; i < n; i++)
                        check_eq("inverse DIT", f, logn, kc, c, i, colmaj[c * n + i],
                                 loom_field_mul(f, iref[i * cols + c], nn));
            }
        }
    }
}

static void test_coset_lde(void **state)
{
    (void)state;
    const loom_field_id ids[] = {LOOM_FIELD_BABYBEAR, LOOM_FIELD_KOALABEAR};
    for (loom_field_id id : ids) {
        const loom_field *f = loom_field_get(id);
        const uint32_t shift = f->generator;
        const std::vector<uint64_t> sh = shoup_table(f, false), ish = shoup_table(f, true);
        for (unsigned logn = 0; logn <= 16; logn++) {
            for (unsigned bits = 1; bits <= 3; bits++) {
                if (logn > 14 && bits != 3)  /* 2^16 x 8: the scaled copy's factor step above 4096 */
                    continue;
                const unsigned logm = logn + bits;
                const size_t n = (size_t)1 << logn, m = (size_t)1 << logm, cols = 2;
                const std::vector<uint32_t> tw = twiddles(f, logm, false), itw = twiddles(f, logn, true);
                const std::vector<uint32_t> coef = coef_table(f, logn, shift);
                test_rng rs = {test_seed() ^ (id * 7777 + logn * 10 + bits)};
                std::vector<uint32_t> in(n * cols), ref(m * cols), lde(m * cols);
                for (size_t i = 0; i < n * cols; i++)
                    in[i] = test_element(&rs, f->p);
                assert_int_equal(loom_coset_lde_batch(f, ref.data(), in.data(), n, cols, bits, shift), LOOM_OK);
                for (unsigned kc : KCS) {
                    if ((kc && kc >= logm) || (logn > 14 && kc != 0))
                        continue;
                    /* rows n..m-1 hold garbage: the forward's first pass must not read them */
                    for (size_t i = 0; i < m * cols; i++)
                        lde[i] = 0xfffffff0u;
                    for (size_t c = 0; c < cols; c++)
                        for (size_t i = 0; i < n; i++)
                            lde[c * m + i] = in[brev32((uint32_t)i, logn) * cols + c];
                    emulate_lde(lde.data(), cols, logn, logm, itw.data(), ish.data(), tw.data(), sh.data(), coef.data(), f,
                                kc);
                    if (logn == 0)  /* run_ntt does nothing for one row; the factor is 1 */
                        assert_int_equal(loom_field_from_monty(f, coef[0]), 1);
                    for (size_t c = 0; c < cols; c++)
                        for (size_t i = 0; i < m; i++)
                            check_eq("coset LDE", f, logm, kc, c, i, lde[c * m + i], ref[brev32((uint32_t)i, logm) * cols + c]);
                }
            }
        }
    }
    assert_true(g_fused > 0); /* the fused plan was among those checked */
}

/* The default plans: every stage once, in order; at most 3 passes up to 2^25; 128-byte runs. */
static void test_plans(void **state)
{
    (void)state;
    /* every plan, forced contiguous pass sizes included, within the kernels' launch bounds */
    for (unsigned kc = 0; kc <= NTT_MAX_K; kc++)
        for (unsigned logn = 1; logn <= 27; logn++)
            for (int dif = 0; dif < 2; dif++) {
                const ntt_plan pl = ntt_make_plan(logn, dif != 0, kc);
                for (unsigned i = 0; i < pl.count; i++) {
                    const ntt_pass_desc &d = pl.pass[i];
                    const unsigned per_group = d.k < 4 ? 1u : 1u << (d.k - 4);
                    assert_true((per_group << d.log_g) <= ntt_threads_max(d.k, d.s_lo != 0));
                }
            }
    for (unsigned logn = 1; logn <= 27; logn++) {
        for (int dif = 0; dif < 2; dif++) {
            const ntt_plan pl = ntt_make_plan(logn, dif != 0, 0);
            unsigned total = 0;
            for (unsigned i = 0; i < pl.count; i++) {
                const ntt_pass_desc &d = pl.pass[i];
                total += d.k;
                assert_true(d.k >= 1 && d.k <= NTT_MAX_K);
                assert_true((((size_t)1 << d.log_g) << d.k) <= NTT_MAX_ELEMS);
                if (d.s_lo)  /* strided: 32 groups (128-byte runs), or all of them */
                    assert_true(d.log_g == 5 || d.log_g == d.s_lo);
            }
            assert_int_equal(total, logn);
            if (logn <= 25)
                assert_true(pl.count <= 3);
            /* stages in order: DIF from the top down, DIT from the bottom up */
            unsigned expect = dif ? logn : 0;
            for (unsigned i = 0; i < pl.count; i++) {
                const ntt_pass_desc &d = pl.pass[i];
                if (dif) {
                    assert_int_equal(d.s_lo + d.k, expect);
                    expect = d.s_lo;
                } else {
                    assert_int_equal(d.s_lo, expect);
                    expect += d.k;
                }
            }
        }
    }
}

/* The LDE plans: every stage of both transforms once and in order, the fused pass within a
 * block's limits, fused exactly for blowups 2 and 4 when the inverse has more than one pass. */
static void test_lde_plans(void **state)
{
    (void)state;
    for (unsigned logn = 1; logn <= 26; logn++)
        for (unsigned bits = 1; bits <= 3 && logn + bits <= 27; bits++) {
            const lde_plan lp = lde_make_plan(logn, logn + bits, 0);
            assert_int_equal(lp.fused, bits <= 2 && logn > 11);
            if (!lp.fused)
                continue;
            const unsigned s = lp.fi.s_lo;
            assert_int_equal(lp.ff.s_lo, s);
            assert_int_equal(lp.fi.s_lo + lp.fi.k, logn);
            assert_int_equal(lp.ff.s_lo + lp.ff.k, logn + bits);
            assert_int_equal(lp.fi.log_g, lp.ff.log_g);
            assert_true(lp.fi.k <= 9 && lp.ff.log_g <= s && lp.ff.log_g >= 3);
            assert_true((((size_t)1 << lp.ff.log_g) << lp.ff.k) <= NTT_MAX_ELEMS);
            unsigned expect = 0;  /* the inverse's passes: [0, s) upwards */
            for (unsigned i = 0; i < lp.inv.count; i++) {
                assert_int_equal(lp.inv.pass[i].s_lo, expect);
                expect += lp.inv.pass[i].k;
            }
            assert_int_equal(expect, s);
            for (unsigned i = 0; i < lp.fwd.count; i++) {  /* the forward's: [0, s) downwards */
                assert_int_equal(lp.fwd.pass[i].s_lo + lp.fwd.pass[i].k, expect);
                expect = lp.fwd.pass[i].s_lo;
            }
            assert_int_equal(expect, 0);
            if (logn == 24 && bits == 1)  /* the benchmark's LDE: 2 + 1 + 2 passes */
                assert_int_equal(lp.inv.count + 1 + lp.fwd.count, 5);
        }
}

/* Shared-memory bank conflicts of a pass shape: for each access a warp makes (a round's element
 * j, a copy's element i), the most distinct words that fall in one of the 32 banks. */
template <typename P, unsigned I>
static unsigned round_conflicts(unsigned log_g)
{
    unsigned worst = 0;
    if constexpr (I < P::NR) {
        const unsigned nt = P::threads(log_g);
        for (unsigned w0 = 0; w0 < nt; w0 += 32)
            for (unsigned j = 0; j < P::E; j++) {
                std::vector<uint32_t> words;
                for (unsigned t = w0; t < w0 + 32 && t < nt; t++)
                    words.push_back(P::template round_word<I>(log_g, P::lane_g(log_g, t),
                                                              P::template tbase<I>(P::lane_u(log_g, t)), j));
                for (unsigned bank = 0; bank < 32; bank++) {
                    std::vector<uint32_t> in_bank;
                    for (uint32_t x : words)
                        if (x % 32 == bank && std::find(in_bank.begin(), in_bank.end(), x) == in_bank.end())
                            in_bank.push_back(x);
                    worst = std::max(worst, (unsigned)in_bank.size());
                }
            }
        worst = std::max(worst, round_conflicts<P, I + 1>(log_g));
    }
    return worst;
}

template <typename P>
static unsigned copy_conflicts(void)
{
    unsigned worst = 0;
    for (unsigned w0 = 0; w0 < P::threads(0); w0 += 32)
        for (unsigned i = 0; i < P::E; i++) {
            unsigned per_bank[32] = {0};
            for (unsigned t = w0; t < w0 + 32 && t < P::threads(0); t++)
                worst = std::max(worst, ++per_bank[P::copy_word(0, t, i) % 32]);
        }
    return worst;
}

template <bool DIF, int K>
static void check_conflicts(ntt_pass_desc d)
{
    typedef ntt_pass<DIF, K> P;
    const unsigned r = round_conflicts<P, 0>(d.log_g);
    if (d.s_lo) { /* 32 groups at one t a warp: conflict-free */
        if (r != 1)
            fail_msg("%s pass of %d stages, %u groups: %u-way bank conflicts", DIF ? "DIF" : "DIT", K, 1u << d.log_g, r);
    } else {      /* consecutive t wrap the padding once: at most 2-way, on one bank */
        const unsigned c = copy_conflicts<P>();
        if (r > 2 || c > 2)
            fail_msg("%s contiguous pass of %d stages: %u-way (rounds), %u-way (copies)", DIF ? "DIF" : "DIT", K, r, c);
    }
}

template <bool DIF>
static void check_conflicts_any(ntt_pass_desc d)
{
    with_k(d.k, [&](auto k) { check_conflicts<DIF, decltype(k)::value>(d); });
}

/* Every pass of the default plans from 2^12 to 2^27, and the fused LDE passes' halves, are free of
 * bank conflicts in strided rounds and at most 2-way in contiguous ones. A layout change that
 * breaks this still computes the right values, so only this test sees it. */
static void test_bank_conflicts(void **state)
{
    (void)state;
    for (unsigned logn = 12; logn <= 27; logn++)
        for (int dif = 0; dif < 2; dif++) {
            const ntt_plan pl = ntt_make_plan(logn, dif != 0, 0);
            for (unsigned i = 0; i < pl.count; i++) {
                if (dif)
                    check_conflicts_any<true>(pl.pass[i]);
                else
                    check_conflicts_any<false>(pl.pass[i]);
            }
        }
    /* the 2^24 -> 2^25 LDE's fused pass: inverse 6 stages at 8 elements a thread, forward 7 */
    const lde_plan lp = lde_make_plan(24, 25, 0);
    assert_true(lp.fused && lp.fi.k == 6 && lp.ff.k == 7);
    typedef lde_fused<6, 1> L;
    const unsigned ci = round_conflicts<L::PI, 0>(lp.fi.log_g), cf = round_conflicts<L::PF, 0>(lp.ff.log_g);
    assert_int_equal(ci, 1);
    assert_int_equal(cf, 1);
}

int main(void)
{
    test_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plans),
        cmocka_unit_test(test_forward_inverse),
        cmocka_unit_test(test_coset_lde),
        cmocka_unit_test(test_lde_plans),
        cmocka_unit_test(test_bank_conflicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
