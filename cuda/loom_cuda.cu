// SPDX-License-Identifier: Apache-2.0
// The CUDA backend's kernels and their host-side orchestration, behind the C interface of
// loom_cuda.h. Data on the device is column-major (column c of an M-row matrix at c * M), the
// layout the NTT wants; the leaf sponge then reads row i of every column with coalesced loads.
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "loom_cuda.h"
#include "ntt.cuh"
#include "poseidon2.cuh"

using namespace loom_cuda;

namespace loom_cuda {
__constant__ p2_consts c_p2[LOOM_CUDA_P2_SLOTS];
}

#define BB_P 0x78000001u
#define BB_MU 0x88000001u
#define KB_P 0x7f000001u
#define KB_MU 0x81000001u
#define CHUNK_COLS 8  // columns extended at a time: one sponge block
// Poseidon2 kernels: one thread a permutation, 128 threads a block. Width 16 uses 48 registers
// and width 24 64 (ptxas -v, sm_90); the launch bounds ask for 4 and 2 blocks an SM.
#define P2_THREADS 128

// ------------------------------------------------------------------ errors

static void set_err(char *err, size_t len, const char *what, const char *file, int line, cudaError_t e)
{
    if (err && len)
        snprintf(err, len, "%s failed at %s:%d: %s (%s)", what, file, line, cudaGetErrorString(e), cudaGetErrorName(e));
}

// Records the failing expression, file and line; the caller's cleanup runs through `done`.
#define CUDA_OK(expr)                                                                              \
    do {                                                                                           \
        cudaError_t e_ = (expr);                                                                   \
        if (e_ != cudaSuccess) {                                                                   \
            set_err(err, err_len, #expr, __FILE__, __LINE__, e_);                                  \
            rc = e_ == cudaErrorMemoryAllocation ? LOOM_CUDA_NO_MEMORY : LOOM_CUDA_ERR;            \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)
#define LAUNCH_OK() CUDA_OK(cudaGetLastError())

// LOOM_CUDA_OK, or LOOM_CUDA_ERR with the last launch's error recorded against `what`.
static int launch_status(const char *what, const char *file, int line, char *err, size_t err_len)
{
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess)
        return LOOM_CUDA_OK;
    set_err(err, err_len, what, file, line, e);
    return LOOM_CUDA_ERR;
}

// ------------------------------------------------------------------ kernels

struct gens_t {
    uint32_t g[28];  // Montgomery form of the 2^k-th root (or its inverse), k = 0..27
};

// tw[h + j] = w_{2h}^j (Montgomery form) for every h = 2^s < n; tw[0] unused.
__global__ void twiddle_kernel(uint32_t *tw, size_t n, gens_t gens, uint32_t one, field_params f)
{
    size_t x = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (x == 0 || x >= n)
        return;
    tw[x] = twiddle_entry(x, gens.g, one, f);
}

// The rounds' twiddles as Shoup pairs: sh[x] = shoup_pair(tw[x]) for x < NTT_SHOUP_ENTRIES.
__global__ void shoup_kernel(uint64_t *sh, gens_t gens, uint32_t one, field_params f)
{
    unsigned x = blockIdx.x * blockDim.x + threadIdx.x;
    if (x < NTT_SHOUP_ENTRIES)
        sh[x] = x == 0 ? 0 : shoup_pair(twiddle_entry(x, gens.g, one, f), f.p, f.mu);
}

// The LDE's coset factors shift^j / n (Montgomery form) as two tables, so that the NTT pass that
// applies them reads 4096 + n / 4096 words instead of n: coef[j] = shift^j / n for j < 4096 and
// coef[4096 + j] = shift^(4096 j) for j < n_hi; pows[b] = shift^(2^b) (Montgomery form).
__global__ void coset_coef_kernel(uint32_t *coef, size_t n_hi, gens_t pows, uint32_t inv_n_m, field_params f)
{
    size_t x = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (x >= 4096 + n_hi)
        return;
    const bool lo = x < 4096;
    const size_t j = lo ? x : (x - 4096) << 12;
    uint32_t acc = lo ? inv_n_m : f.one;
    for (unsigned b = 0; (j >> b) != 0; b++)
        if ((j >> b) & 1)
            acc = mont_mul(acc, pows.g[b], f.p, f.mu);
    coef[x] = acc;
}

// dst[c * ld + i] = src[r(i) * src_ld + c] for c < k, r(i) = bitrev(i) if bitrev else i: row-major
// chunk to column-major, optionally gathering in bit-reversed order. A thread takes a whole row
// piece (k <= CHUNK_COLS words, one or two sectors read once), and the writes are coalesced.
__global__ void gather_kernel(uint32_t *dst, size_t ld, const uint32_t *src, size_t n, unsigned logn, unsigned k,
                              int bitrev, size_t src_ld)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    const uint32_t *row = src + (bitrev ? brev32((uint32_t)i, logn) : i) * src_ld;
    for (unsigned c = 0; c < k; c++)
        dst[c * ld + i] = __ldg(row + c);
}

// dst (row-major, m x k) row i = src column-major row r(i), r = bitrev when `natural`
// (the DIF output is bit-reversed; natural order needs the reversal undone).
__global__ void transpose_out_kernel(uint32_t *dst, const uint32_t *src, size_t ld, size_t m, unsigned logm,
                                     unsigned k, int natural)
{
    size_t x = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (x >= m * k)
        return;
    size_t i = x / k, c = x % k;
    size_t r = natural ? brev32((uint32_t)i, logm) : i;
    dst[x] = src[c * ld + r];
}

template <int W, int RP, int DEG, bool LEGACY, uint32_t P, uint32_t MU>
__global__ void __launch_bounds__(P2_THREADS, W == 24 ? 2 : 4) permute_many_kernel(uint32_t *states, size_t n, int slot)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    uint32_t s[W];
    const uint32_t r2 = P == BB_P ? 1172168163u : 402124772u;
#pragma unroll
    for (int k = 0; k < W; k++)
        s[k] = mont_mul(states[i * W + k], r2, P, MU);
    permute<W, RP, DEG, LEGACY, P, MU>(s, c_p2[slot]);
#pragma unroll
    for (int k = 0; k < W; k++)
        states[i * W + k] = mont_mul(s[k], 1u, P, MU);
}

// Sponge absorption of m columns (lde[first .. first + m), column-major, ld) into rate
// positions pos .. pos + m - 1 of every row's state (Montgomery form, 16 words a row), then the
// permutation if `perm` (the block is full, or it is the last one).
template <int W, int RP, int DEG, bool LEGACY, uint32_t P, uint32_t MU>
__global__ void __launch_bounds__(P2_THREADS, W == 24 ? 2 : 4) absorb_kernel(uint32_t *state, const uint32_t *lde, size_t ld, size_t m_rows, unsigned first,
                              unsigned pos, unsigned m, int perm, int slot)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= m_rows)
        return;
    const uint32_t r2 = P == BB_P ? 1172168163u : 402124772u;
    uint4 *row = reinterpret_cast<uint4 *>(state + i * 16);
    uint32_t s[16];
#pragma unroll
    for (int q = 0; q < 4; q++) {
        uint4 v = row[q];
        s[4 * q] = v.x, s[4 * q + 1] = v.y, s[4 * q + 2] = v.z, s[4 * q + 3] = v.w;
    }
#pragma unroll
    for (unsigned c = 0; c < 8; c++)
        if (c >= pos && c < pos + m)
            s[c] = mont_mul(lde[(size_t)(first + c - pos) * ld + i], r2, P, MU);
    if (perm)
        permute<W, RP, DEG, LEGACY, P, MU>(s, c_p2[slot]);
#pragma unroll
    for (int q = 0; q < 4; q++)
        row[q] = make_uint4(s[4 * q], s[4 * q + 1], s[4 * q + 2], s[4 * q + 3]);
}

// digests[i] = the canonical rate part of state row i.
__global__ void digest_kernel(uint32_t *digests, const uint32_t *state, size_t n, field_params f)
{
    size_t x = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (x >= n * 8)
        return;
    size_t i = x / 8, c = x % 8;
    digests[x] = mont_mul(state[i * 16 + c], 1u, f.p, f.mu);
}

// out[i] = compress(a + i * as, b + i * bs): 8-word canonical digests. out may equal a only when
// as == 8 (each thread then reads and writes its own digest).
template <int W, int RP, int DEG, bool LEGACY, uint32_t P, uint32_t MU>
__global__ void __launch_bounds__(P2_THREADS, W == 24 ? 2 : 4) compress_kernel(uint32_t *out, const uint32_t *a, size_t as, const uint32_t *b, size_t bs, size_t n,
                                int slot)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    const uint32_t r2 = P == BB_P ? 1172168163u : 402124772u;
    uint32_t s[16];
#pragma unroll
    for (int k = 0; k < 8; k++) {
        s[k] = mont_mul(a[i * as + k], r2, P, MU);
        s[8 + k] = mont_mul(b[i * bs + k], r2, P, MU);
    }
    permute<W, RP, DEG, LEGACY, P, MU>(s, c_p2[slot]);
#pragma unroll
    for (int k = 0; k < 8; k++)
        out[i * 8 + k] = mont_mul(s[k], 1u, P, MU);
}

// out[i] = sponge(row i of a row-major matrix of `cols` columns).
template <int W, int RP, int DEG, bool LEGACY, uint32_t P, uint32_t MU>
__global__ void hash_rowmajor_kernel(uint32_t *out, const uint32_t *m, size_t rows, size_t cols, int slot)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= rows)
        return;
    const uint32_t r2 = P == BB_P ? 1172168163u : 402124772u;
    uint32_t s[16];
#pragma unroll
    for (int k = 0; k < 16; k++)
        s[k] = 0;
    const uint32_t *row = m + i * cols;
    for (size_t c0 = 0; c0 < cols; c0 += 8) {
#pragma unroll
        for (int k = 0; k < 8; k++)
            if (c0 + k < cols)
                s[k] = mont_mul(row[c0 + k], r2, P, MU);
        permute<W, RP, DEG, LEGACY, P, MU>(s, c_p2[slot]);
    }
#pragma unroll
    for (int k = 0; k < 8; k++)
        out[i * 8 + k] = mont_mul(s[k], 1u, P, MU);
}

// Width-16 instances: the ones a sponge or compression uses.
#define P2_LAUNCH16(perm, KERNEL, grid, block, stream, ...)                                                      \
    do {                                                                                                       \
        if ((perm)->babybear && !(perm)->legacy)                                                               \
            KERNEL<16, 13, 7, false, BB_P, BB_MU><<<(grid), (block), 0, (stream)>>>(__VA_ARGS__);              \
        else if ((perm)->babybear)                                                                             \
            KERNEL<16, 13, 7, true, BB_P, BB_MU><<<(grid), (block), 0, (stream)>>>(__VA_ARGS__);               \
        else if (!(perm)->legacy)                                                                              \
            KERNEL<16, 20, 3, false, KB_P, KB_MU><<<(grid), (block), 0, (stream)>>>(__VA_ARGS__);              \
        else                                                                                                   \
            KERNEL<16, 20, 3, true, KB_P, KB_MU><<<(grid), (block), 0, (stream)>>>(__VA_ARGS__);               \
    } while (0)

#define P2_LAUNCH_ANY(perm, KERNEL, grid, block, stream, ...)                                                    \
    do {                                                                                                       \
        if ((perm)->width == 24 && (perm)->babybear)                                                           \
            KERNEL<24, 21, 7, false, BB_P, BB_MU><<<(grid), (block), 0, (stream)>>>(__VA_ARGS__);              \
        else if ((perm)->width == 24)                                                                          \
            KERNEL<24, 23, 3, false, KB_P, KB_MU><<<(grid), (block), 0, (stream)>>>(__VA_ARGS__);              \
        else                                                                                                   \
            P2_LAUNCH16(perm, KERNEL, grid, block, stream, __VA_ARGS__);                                       \
    } while (0)

static inline unsigned blocks_for(size_t n, unsigned threads) { return (unsigned)((n + threads - 1) / threads); }

// ------------------------------------------------------------------ device state

// Buffers a job keeps between calls (pinned host memory is slow to allocate), grown on demand.
enum { BUF_STATE, BUF_LDE, BUF_COEF, BUF_LAYER, BUF_NEXT, BUF_INJ, BUF_IN0, BUF_IN1, BUF_TRACE, BUF_COUNT };
enum { PIN_0, PIN_1, PIN_COUNT };

struct loom_cuda_dev {
    int ordinal;
    size_t mem_limit;
    cudaStream_t comp, copy;
    uint32_t *tw[2], *itw[2];  // forward / inverse twiddles per field (0 KoalaBear, 1 BabyBear)
    unsigned tw_log[2], itw_log[2];
    uint64_t *sh[2], *ish[2];  // their first NTT_SHOUP_ENTRIES entries as Shoup pairs
    void *buf[BUF_COUNT];
    size_t buf_bytes[BUF_COUNT];
    void *pin[PIN_COUNT];
    size_t pin_bytes[PIN_COUNT];
};

static cudaError_t dev_buf(loom_cuda_dev *d, int which, size_t bytes, uint32_t **out)
{
    if (d->buf_bytes[which] < bytes) {
        cudaFree(d->buf[which]);
        d->buf[which] = nullptr;
        d->buf_bytes[which] = 0;
        cudaError_t e = cudaMalloc(&d->buf[which], bytes);
        if (e != cudaSuccess)
            return e;
        d->buf_bytes[which] = bytes;
    }
    *out = (uint32_t *)d->buf[which];
    return cudaSuccess;
}

static cudaError_t pin_buf(loom_cuda_dev *d, int which, size_t bytes, uint32_t **out)
{
    if (d->pin_bytes[which] < bytes) {
        cudaFreeHost(d->pin[which]);
        d->pin[which] = nullptr;
        d->pin_bytes[which] = 0;
        cudaError_t e = cudaMallocHost(&d->pin[which], bytes);
        if (e != cudaSuccess)
            return e;
        d->pin_bytes[which] = bytes;
    }
    *out = (uint32_t *)d->pin[which];
    return cudaSuccess;
}

static field_params fparams(const loom_cuda_field *f) { return field_params{f->p, f->mu, f->r_mod_p}; }

static uint32_t host_mont_mul(uint32_t a, uint32_t b, uint32_t p, uint32_t mu)
{
    uint64_t x = (uint64_t)a * b;
    uint32_t q = (uint32_t)x * mu;
    uint64_t u = (uint64_t)q * p;
    uint32_t hi = (uint32_t)((x - u) >> 32);
    return x < u ? hi + p : hi;
}
static uint32_t to_m(const loom_cuda_field *f, uint32_t x) { return host_mont_mul(x, f->r2_mod_p, f->p, f->mu); }
static uint32_t host_pow(const loom_cuda_field *f, uint32_t a, uint64_t e)
{
    uint32_t base = to_m(f, a), acc = f->r_mod_p;
    while (e) {
        if (e & 1)
            acc = host_mont_mul(acc, base, f->p, f->mu);
        base = host_mont_mul(base, base, f->p, f->mu);
        e >>= 1;
    }
    return host_mont_mul(acc, 1, f->p, f->mu);
}

// A transform's twiddles: the Montgomery-form table (four-step factors) and the Shoup pairs of
// its first NTT_SHOUP_ENTRIES entries (butterflies).
struct ntt_tw {
    const uint32_t *tw = nullptr;
    const uint64_t *sh = nullptr;
};

// The twiddle tables for size 2^logn (forward or inverse), grown on demand and kept.
static int get_twiddles(loom_cuda_dev *d, const loom_cuda_field *f, unsigned logn, int inverse, ntt_tw *out,
                        char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    const int fi = f->p == BB_P;
    uint32_t **slot = inverse ? &d->itw[fi] : &d->tw[fi];
    uint64_t **sh = inverse ? &d->ish[fi] : &d->sh[fi];
    unsigned *have = inverse ? &d->itw_log[fi] : &d->tw_log[fi];
    uint32_t *t = NULL;
    gens_t g;
    if (*sh && *slot && *have >= logn) {
        out->tw = *slot, out->sh = *sh;
        return LOOM_CUDA_OK;
    }
    memset(&g, 0, sizeof g);
    for (unsigned k = 0; k <= f->two_adicity && k < 28; k++) {
        uint32_t w = f->two_adic_generators[k];
        if (inverse)
            w = host_pow(f, w, (uint64_t)f->p - 2);
        g.g[k] = to_m(f, w);
    }
    if (!*sh) {
        uint64_t *s = NULL;
        CUDA_OK(cudaMalloc(&s, NTT_SHOUP_ENTRIES * sizeof(uint64_t)));
        shoup_kernel<<<blocks_for(NTT_SHOUP_ENTRIES, 256), 256, 0, d->comp>>>(s, g, f->r_mod_p, fparams(f));
        *sh = s;
        LAUNCH_OK();
        CUDA_OK(cudaStreamSynchronize(d->comp));
    }
    if (!*slot || *have < logn) {
        if (logn < 10)
            logn = 10;  // small tables are cheap; this avoids regrowing for every small size
        if (logn > f->two_adicity)
            logn = f->two_adicity;
        size_t n = (size_t)1 << logn;
        CUDA_OK(cudaMalloc(&t, n * sizeof(uint32_t)));
        twiddle_kernel<<<blocks_for(n, 256), 256, 0, d->comp>>>(t, n, g, f->r_mod_p, fparams(f));
        LAUNCH_OK();
        CUDA_OK(cudaStreamSynchronize(d->comp));
        if (*slot)
            cudaFree(*slot);
        *slot = t;
        *have = logn;
        t = NULL;
    }
    out->tw = *slot;
    out->sh = *sh;
done:
    cudaFree(t);
    return rc;
}

// NTT passes. Threads a block: at most ntt_threads_max(K, STRIDED). Registers: at 64, the DIT passes spilled or recomputed
// addresses (the 2^11 contiguous DIT pass, capped at 64 as if it had 1024 threads, ran 150
// instructions an element against the DIF's 63, ncu on H200); at 128 (no bound) they took 86-96
// and ran at a quarter occupancy: so DIT blocks ask for 80 registers' worth of residency (3
// blocks of 256 threads allow 85), DIF ones for 64, which they fit.
constexpr unsigned ntt_min_blocks(bool dif, int k, bool strided)
{
    return std::max(1u, 65536u / (ntt_threads_max(k, strided) * (dif ? 64u : 80u)));
}

// A pass's phases (ntt_pass::phase), a barrier between consecutive ones. STRIDED passes (s_lo >
// 0) load and store in their first and last rounds; contiguous ones have one copy through shared
// memory. Passes of 10 stages or more are always contiguous (ntt_make_plan).
template <bool DIF, int K, bool STRIDED, bool SCALE>
__global__ void __launch_bounds__(ntt_threads_max(K, STRIDED), ntt_min_blocks(DIF, K, STRIDED))
    ntt_kernel(ntt_args a, ntt_pass_desc d)
{
    extern __shared__ uint32_t ntt_sm[];
    using P = ntt_pass<DIF, K>;
    const auto w = P::locate(a, d, blockIdx.x);
#pragma unroll
    for (unsigned p = 0; p < P::phases(STRIDED, SCALE); p++) {
        if (p)
            __syncthreads();
        P::template phase<STRIDED, SCALE>(p, a, d, w, ntt_sm, threadIdx.x);
    }
}

template <bool DIF, int K, bool STRIDED, bool SCALE>
static cudaError_t launch_ks(const ntt_args &a, ntt_pass_desc d, size_t cols, cudaStream_t st)
{
    using P = ntt_pass<DIF, K>;
    const size_t smem = P::phases(STRIDED, SCALE) > 1 ? P::smem_words(d.log_g) * sizeof(uint32_t) : 0;
    if (smem > 48 * 1024) {  // above the default limit a kernel must opt in
        cudaError_t e = cudaFuncSetAttribute(ntt_kernel<DIF, K, STRIDED, SCALE>,
                                             cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
        if (e != cudaSuccess)
            return e;
    }
    if (P::threads(d.log_g) > ntt_threads_max(K, STRIDED))  // a plan outside the launch bounds
        return cudaErrorInvalidConfiguration;
    const size_t blocks = cols << (a.logn - K - d.log_g);
    ntt_kernel<DIF, K, STRIDED, SCALE><<<(unsigned)blocks, P::threads(d.log_g), smem, st>>>(a, d);
    return cudaGetLastError();
}

// The kernel of a pass: strided or contiguous, and for inverses with or without the LDE's coset
// factors (a compile-time choice, so that the passes without them carry none of their code).
template <bool DIF, int K, bool STRIDED>
static cudaError_t launch_kss(const ntt_args &a, ntt_pass_desc d, size_t cols, bool scale, cudaStream_t st)
{
    if constexpr (!DIF)
        if (scale)
            return launch_ks<DIF, K, STRIDED, true>(a, d, cols, st);
    return launch_ks<DIF, K, STRIDED, false>(a, d, cols, st);
}

template <bool DIF, int K>
static cudaError_t launch_k(const ntt_args &a, ntt_pass_desc d, size_t cols, bool scale, cudaStream_t st)
{
    if (d.s_lo == 0)
        return launch_kss<DIF, K, false>(a, d, cols, scale, st);
    if constexpr (K <= 9)
        return launch_kss<DIF, K, true>(a, d, cols, scale, st);
    return cudaErrorInvalidConfiguration;  // no plan makes a strided pass of 10 stages or more
}

template <bool DIF>
static cudaError_t launch_dir(const ntt_args &a, ntt_pass_desc d, size_t cols, bool scale, cudaStream_t st)
{
    switch (d.k) {
#define LOOM_NTT_K(k) \
    case k: return launch_k<DIF, k>(a, d, cols, scale, st);
    LOOM_NTT_K(1) LOOM_NTT_K(2) LOOM_NTT_K(3) LOOM_NTT_K(4) LOOM_NTT_K(5) LOOM_NTT_K(6) LOOM_NTT_K(7)
    LOOM_NTT_K(8) LOOM_NTT_K(9) LOOM_NTT_K(10) LOOM_NTT_K(11) LOOM_NTT_K(12) LOOM_NTT_K(13)
#undef LOOM_NTT_K
    default: return cudaErrorInvalidValue;
    }
}

// The coset LDE's fused middle pass (lde_fused in ntt.cuh): the inverse half's rounds in region A,
// the middle phase (the inverse's last round, the coset factors and the forward's first round in
// registers) into region B, the forward half's other rounds. Threads are those of the forward
// half, 2^(KI + BITS - 4) a group and at most 32 groups.
template <int KI, int BITS>
__global__ void __launch_bounds__(KI + BITS <= 7 ? 256 : KI + BITS == 8 ? 512 : 1024, KI + BITS <= 7 ? 4 : 1)
    lde_fused_kernel(ntt_args ai, ntt_args af, ntt_pass_desc di, ntt_pass_desc df)
{
    extern __shared__ uint32_t ntt_sm[];
    using L = lde_fused<KI, BITS>;
    const auto wi = L::PI::locate(ai, di, blockIdx.x);
    const auto wf = L::PF::locate(af, df, blockIdx.x);
#pragma unroll
    for (unsigned p = 0; p < L::phases(); p++) {
        if (p)
            __syncthreads();
        L::phase(p, ai, af, di, df, wi, wf, ntt_sm, threadIdx.x);
    }
}

template <int KI, int BITS>
static cudaError_t launch_fused_k(const ntt_args &ai, const ntt_args &af, ntt_pass_desc di, ntt_pass_desc df,
                                  size_t cols, cudaStream_t st)
{
    using L = lde_fused<KI, BITS>;
    const size_t smem = L::smem_words(di.log_g) * sizeof(uint32_t);
    if (smem > 48 * 1024) {
        cudaError_t e =
            cudaFuncSetAttribute(lde_fused_kernel<KI, BITS>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
        if (e != cudaSuccess)
            return e;
    }
    const size_t blocks = cols << (ai.logn - KI - di.log_g);
    lde_fused_kernel<KI, BITS><<<(unsigned)blocks, L::threads(di.log_g), smem, st>>>(ai, af, di, df);
    return cudaGetLastError();
}

static cudaError_t launch_fused(const ntt_args &ai, const ntt_args &af, ntt_pass_desc di, ntt_pass_desc df,
                                size_t cols, cudaStream_t st)
{
    switch (di.k * 10 + (df.k - di.k)) {
#define LOOM_FUSED_K(k)                                                      \
    case k * 10 + 1: return launch_fused_k<k, 1>(ai, af, di, df, cols, st); \
    case k * 10 + 2: return launch_fused_k<k, 2>(ai, af, di, df, cols, st);
    LOOM_FUSED_K(1) LOOM_FUSED_K(2) LOOM_FUSED_K(3) LOOM_FUSED_K(4) LOOM_FUSED_K(5) LOOM_FUSED_K(6) LOOM_FUSED_K(7)
    LOOM_FUSED_K(8) LOOM_FUSED_K(9)
#undef LOOM_FUSED_K
    default: return cudaErrorInvalidValue;
    }
}

static unsigned g_ntt_kc;  // 0: the default contiguous pass size; the sweep benchmark tries others

// The passes of `pl` (stages of a 2^logn transform, all of them or the lowest ones); the other
// arguments as run_ntt's below.
static int run_plan(const ntt_plan &pl, uint32_t *data, size_t ld, size_t cols, unsigned logn, int dif, ntt_tw tw,
                    const loom_cuda_field *f, cudaStream_t st, size_t n_in, const uint32_t *scale, char *err,
                    size_t err_len)
{
    ntt_args a{data, ld, logn, tw.tw, tw.sh, fparams(f), n_in, scale};
    for (unsigned i = 0; i < pl.count; i++) {
        const bool last = i + 1 == pl.count;
        a.n_in = i == 0 ? n_in : (size_t)1 << logn;
        cudaError_t e = dif ? launch_dir<true>(a, pl.pass[i], cols, last && scale, st)
                            : launch_dir<false>(a, pl.pass[i], cols, last && scale, st);
        if (e != cudaSuccess) {
            set_err(err, err_len, "ntt_kernel", __FILE__, __LINE__, e);
            return LOOM_CUDA_ERR;
        }
    }
    return LOOM_CUDA_OK;
}

// A 2^logn transform of `cols` columns: DIF (forward twiddles) or DIT (inverse twiddles). Elements
// >= n_in of each column are taken as zero without being read; `scale` (NULL or the coset factor
// table of make_coef) multiplies the output of the last pass.
static int run_ntt(uint32_t *data, size_t ld, size_t cols, unsigned logn, int dif, ntt_tw tw,
                   const loom_cuda_field *f, cudaStream_t st, size_t n_in, const uint32_t *scale, char *err,
                   size_t err_len)
{
    if (logn == 0 || cols == 0)
        return LOOM_CUDA_OK;
    return run_plan(ntt_make_plan(logn, dif != 0, g_ntt_kc), data, ld, cols, logn, dif, tw, f, st, n_in, scale, err,
                    err_len);
}

static int check_perm16(const loom_cuda_perm *perm, char *err, size_t err_len)
{
    if (!perm || perm->width != 16 || perm->slot < 0 || perm->slot >= LOOM_CUDA_P2_SLOTS) {
        snprintf(err, err_len, "the GPU sponge and compression need a width-16 Poseidon2 instance");
        return LOOM_CUDA_BAD_ARG;
    }
    return LOOM_CUDA_OK;
}

// ------------------------------------------------------------------ C interface

extern "C" int loom_cuda_count(int *n, char *why, size_t why_len)
{
    *n = 0;
    cudaError_t e = cudaGetDeviceCount(n);
    if (e != cudaSuccess) {
        *n = 0;
        if (why && why_len)
            snprintf(why, why_len, "%s (%s)",
                     e == cudaErrorNoDevice             ? "no CUDA GPU visible"
                     : e == cudaErrorInsufficientDriver ? "no NVIDIA driver (libcuda) on this machine"
                                                        : "CUDA runtime cannot start",
                     cudaGetErrorName(e));
        cudaGetLastError();
        return LOOM_CUDA_OK;
    }
    if (*n == 0 && why && why_len)
        snprintf(why, why_len, "no CUDA GPU visible (CUDA_VISIBLE_DEVICES=%s)",
                 getenv("CUDA_VISIBLE_DEVICES") ? getenv("CUDA_VISIBLE_DEVICES") : "unset");
    return LOOM_CUDA_OK;
}

extern "C" int loom_cuda_info_get(int ordinal, loom_cuda_info *out, char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    cudaDeviceProp prop;
    int count = 0;
    memset(out, 0, sizeof *out);
    CUDA_OK(cudaGetDeviceProperties(&prop, ordinal));
    snprintf(out->name, sizeof out->name, "%.127s", prop.name);
    CUDA_OK(cudaDeviceGetPCIBusId(out->pci_bus_id, sizeof out->pci_bus_id, ordinal));
    out->cc_major = prop.major, out->cc_minor = prop.minor;
    out->sm_count = prop.multiProcessorCount;
    CUDA_OK(cudaDeviceGetAttribute(&out->clock_khz, cudaDevAttrClockRate, ordinal));
    CUDA_OK(cudaDeviceGetAttribute(&out->mem_clock_khz, cudaDevAttrMemoryClockRate, ordinal));
    CUDA_OK(cudaDeviceGetAttribute(&out->mem_bus_bits, cudaDevAttrGlobalMemoryBusWidth, ordinal));
    out->total_mem = prop.totalGlobalMem;
    out->l2_bytes = (size_t)prop.l2CacheSize;
    CUDA_OK(cudaGetDeviceCount(&count));
    for (int j = 0; j < count && j < 32; j++) {
        int can = 0;
        if (j != ordinal && cudaDeviceCanAccessPeer(&can, ordinal, j) == cudaSuccess && can)
            out->peer_mask |= 1u << j;
    }
    {
        int prev = 0;
        CUDA_OK(cudaGetDevice(&prev));
        CUDA_OK(cudaSetDevice(ordinal));
        size_t free_b = 0, total_b = 0;
        CUDA_OK(cudaMemGetInfo(&free_b, &total_b));
        out->free_mem = free_b;
        CUDA_OK(cudaSetDevice(prev));
    }
done:
    return rc;
}

extern "C" int loom_cuda_open(loom_cuda_dev **out, int ordinal, size_t mem_limit, char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    loom_cuda_dev *d = (loom_cuda_dev *)calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, err_len, "out of host memory");
        return LOOM_CUDA_NO_MEMORY;
    }
    d->ordinal = ordinal;
    CUDA_OK(cudaSetDevice(ordinal));
    CUDA_OK(cudaStreamCreateWithFlags(&d->comp, cudaStreamNonBlocking));
    CUDA_OK(cudaStreamCreateWithFlags(&d->copy, cudaStreamNonBlocking));
    {
        size_t free_b = 0, total_b = 0;
        CUDA_OK(cudaMemGetInfo(&free_b, &total_b));
        d->mem_limit = mem_limit ? std::min(mem_limit, free_b) : free_b / 10 * 9;
    }
    *out = d;
    return LOOM_CUDA_OK;
done:
    loom_cuda_close(d);
    return rc;
}

extern "C" void loom_cuda_close(loom_cuda_dev *d)
{
    if (!d)
        return;
    cudaSetDevice(d->ordinal);
    for (int i = 0; i < 2; i++) {
        cudaFree(d->tw[i]);
        cudaFree(d->itw[i]);
        cudaFree(d->sh[i]);
        cudaFree(d->ish[i]);
    }
    for (int i = 0; i < BUF_COUNT; i++)
        cudaFree(d->buf[i]);
    for (int i = 0; i < PIN_COUNT; i++)
        cudaFreeHost(d->pin[i]);
    if (d->comp)
        cudaStreamDestroy(d->comp);
    if (d->copy)
        cudaStreamDestroy(d->copy);
    free(d);
}

extern "C" int loom_cuda_load_perm(loom_cuda_dev *d, const loom_cuda_perm *perm, char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    static const unsigned rp_bb[2] = {13, 21}, rp_kb[2] = {20, 23};
    unsigned want = perm->babybear ? rp_bb[perm->width == 24] : rp_kb[perm->width == 24];
    if (perm->slot < 0 || perm->slot >= LOOM_CUDA_P2_SLOTS || (perm->width != 16 && perm->width != 24) ||
        perm->rounds_p != want || (perm->legacy && perm->width != 16)) {
        snprintf(err, err_len, "Poseidon2 instance (width %u, %u internal rounds) has no GPU kernel", perm->width,
                 perm->rounds_p);
        return LOOM_CUDA_BAD_ARG;
    }
    p2_consts c;
    p2_fill_consts(c, perm->width, perm->rounds_p, perm->legacy != 0, perm->babybear ? BB_P : KB_P,
                   perm->babybear ? BB_MU : KB_MU, perm->ext_initial, perm->internal, perm->ext_final, perm->diag);
    CUDA_OK(cudaSetDevice(d->ordinal));
    CUDA_OK(cudaMemcpyToSymbol(c_p2, &c, sizeof c, perm->slot * sizeof c));
done:
    return rc;
}

// Extends `k` columns already gathered (bit-reversed, rows 0..n-1 of each) in `lde` (ld = m), by
// lde_make_plan: for blowups 2 and 4, the inverse DIT's passes below stage s, the fused pass
// (the inverse's top stages, the coset factors, the forward's top stages), the forward DIF's
// passes below s; otherwise an inverse DIT whose last pass applies the coset factors, then a
// forward DIF whose first pass takes rows n..m-1 as zero without reading them. The result is
// bit-reversed.
static int extend_columns(loom_cuda_dev *d, uint32_t *lde, size_t m, unsigned logn, unsigned logm, unsigned k,
                          const uint32_t *coef, ntt_tw itw, ntt_tw tw, const loom_cuda_field *f,
                          char *err, size_t err_len)
{
    const size_t n = (size_t)1 << logn;
    const lde_plan lp = lde_make_plan(logn, logm, g_ntt_kc);
    if (k == 0)
        return LOOM_CUDA_OK;
    if (!lp.fused) {
        int rc = run_ntt(lde, m, k, logn, 0, itw, f, d->comp, n, coef, err, err_len);
        if (rc)
            return rc;
        return run_ntt(lde, m, k, logm, 1, tw, f, d->comp, n, NULL, err, err_len);
    }
    int rc = run_plan(lp.inv, lde, m, k, logn, 0, itw, f, d->comp, n, NULL, err, err_len);
    if (rc)
        return rc;
    const ntt_args ai{lde, m, logn, itw.tw, itw.sh, fparams(f), n, coef};
    const ntt_args af{lde, m, logm, tw.tw, tw.sh, fparams(f), m, NULL};
    cudaError_t e = launch_fused(ai, af, lp.fi, lp.ff, k, d->comp);
    if (e != cudaSuccess) {
        set_err(err, err_len, "lde_fused_kernel", __FILE__, __LINE__, e);
        return LOOM_CUDA_ERR;
    }
    return run_plan(lp.fwd, lde, m, k, logm, 1, tw, f, d->comp, m, NULL, err, err_len);
}

// Words of make_coef's table for 2^logn rows.
static size_t coef_words(unsigned logn) { return 4096 + std::max<size_t>(1, ((size_t)1 << logn) >> 12); }

// The coset factor table (coset_coef_kernel) of shift for 2^logn rows, on the device.
static int make_coef(loom_cuda_dev *d, uint32_t *coef, const loom_cuda_field *f, unsigned logn, uint32_t shift,
                     char *err, size_t err_len)
{
    gens_t pows;
    memset(&pows, 0, sizeof pows);
    uint32_t s = shift;
    for (unsigned b = 0; b < 28; b++) {
        pows.g[b] = to_m(f, s);
        s = host_mont_mul(to_m(f, s), s, f->p, f->mu);  // canonical s^2
    }
    uint32_t inv_n = host_pow(f, (uint32_t)(((uint64_t)1 << logn) % f->p), (uint64_t)f->p - 2);
    const size_t words = coef_words(logn);
    coset_coef_kernel<<<blocks_for(words, 256), 256, 0, d->comp>>>(coef, words - 4096, pows, to_m(f, inv_n), fparams(f));
    return launch_status("coset_coef_kernel", __FILE__, __LINE__, err, err_len);
}

static unsigned log2_exact(size_t x)
{
    unsigned k = 0;
    while (((size_t)1 << k) < x)
        k++;
    return k;
}

// Host threads that gather and copy for the GPU: the cores, up to 16. Gathering 8 columns out of a
// row-major trace is bound by the host cores, not by its memory: `loom commit` of 2^22 x 64 from
// host took 232, 172 and 126 ms with 4, 8 and 16 threads on a 16-core H200 host
// (loom-cuda-bench --only commit, the count forced for the measurement).
static unsigned host_threads() { return std::max(1u, std::min(std::thread::hardware_concurrency(), 16u)); }

// Runs part(lo, hi) over [0, n) split across host_threads() threads, one per `grain` items at
// least: one core moving memory runs well below the host-to-device copy it feeds.
template <typename F>
static void host_parallel(size_t n, size_t grain, F part)
{
    unsigned nt = (unsigned)std::min<size_t>(host_threads(), n / grain + 1);
    if (nt <= 1) {
        part(0, n);
        return;
    }
    std::vector<std::thread> pool;
    size_t step = (n + nt - 1) / nt;
    for (unsigned t = 0; t < nt; t++)
        pool.emplace_back(part, std::min(n, t * step), std::min(n, (t + 1) * step));
    for (auto &th : pool)
        th.join();
}

// Copies columns [c0, c0 + k) of a row-major host matrix into a row-major n x k staging buffer.
// A full chunk (k = CHUNK_COLS) copies a row with a fixed-size memcpy, which the compiler inlines
// as two 16-byte moves; with k known only at run time it was a library call a row.
static void host_gather(uint32_t *dst, const uint32_t *src, size_t n, size_t cols, size_t c0, unsigned k)
{
    host_parallel(n, 65536, [=](size_t lo, size_t hi) {
        if (k == CHUNK_COLS) {
            for (size_t i = lo; i < hi; i++)
                memcpy(dst + i * CHUNK_COLS, src + i * cols + c0, CHUNK_COLS * sizeof(uint32_t));
        } else {
            for (size_t i = lo; i < hi; i++)
                memcpy(dst + i * k, src + i * cols + c0, k * sizeof(uint32_t));
        }
    });
}

// memcpy of a large block, split over threads in 4 MiB pieces at least.
static void host_copy(void *dst, const void *src, size_t len)
{
    host_parallel(len, (size_t)4 << 20, [=](size_t lo, size_t hi) {
        memcpy((char *)dst + lo, (const char *)src + lo, hi - lo);
    });
}

extern "C" int loom_cuda_coset_lde(loom_cuda_dev *d, uint32_t *out, const loom_cuda_field *f, const uint32_t *in,
                                   size_t rows, size_t cols, unsigned added_bits, uint32_t shift, int bit_reverse,
                                   char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    const unsigned logn = log2_exact(rows), logm = logn + added_bits;
    const size_t m = rows << added_bits;
    uint32_t *dev_in = NULL, *lde = NULL, *coef = NULL, *dev_out = NULL, *pin = NULL, *pout = NULL;
    ntt_tw tw, itw;
    CUDA_OK(cudaSetDevice(d->ordinal));
    if ((rc = get_twiddles(d, f, logm, 0, &tw, err, err_len)) || (rc = get_twiddles(d, f, logn, 1, &itw, err, err_len)))
        goto done;
    CUDA_OK(cudaMalloc(&dev_in, rows * CHUNK_COLS * sizeof(uint32_t)));
    CUDA_OK(cudaMalloc(&lde, m * CHUNK_COLS * sizeof(uint32_t)));
    CUDA_OK(cudaMalloc(&dev_out, m * CHUNK_COLS * sizeof(uint32_t)));
    CUDA_OK(cudaMalloc(&coef, coef_words(logn) * sizeof(uint32_t)));
    CUDA_OK(cudaMallocHost(&pin, rows * CHUNK_COLS * sizeof(uint32_t)));
    CUDA_OK(cudaMallocHost(&pout, m * CHUNK_COLS * sizeof(uint32_t)));
    if ((rc = make_coef(d, coef, f, logn, shift, err, err_len)))
        goto done;
    for (size_t c0 = 0; c0 < cols; c0 += CHUNK_COLS) {
        unsigned k = (unsigned)std::min<size_t>(CHUNK_COLS, cols - c0);
        host_gather(pin, in, rows, cols, c0, k);
        CUDA_OK(cudaMemcpyAsync(dev_in, pin, rows * k * sizeof(uint32_t), cudaMemcpyHostToDevice, d->comp));
        gather_kernel<<<blocks_for(rows, 256), 256, 0, d->comp>>>(lde, m, dev_in, rows, logn, k, 1, k);
        LAUNCH_OK();
        if ((rc = extend_columns(d, lde, m, logn, logm, k, coef, itw, tw, f, err, err_len)))
            goto done;
        transpose_out_kernel<<<blocks_for(m * k, 256), 256, 0, d->comp>>>(dev_out, lde, m, m, logm, k, !bit_reverse);
        LAUNCH_OK();
        CUDA_OK(cudaMemcpyAsync(pout, dev_out, m * k * sizeof(uint32_t), cudaMemcpyDeviceToHost, d->comp));
        CUDA_OK(cudaStreamSynchronize(d->comp));
        for (size_t i = 0; i < m; i++)
            memcpy(out + i * cols + c0, pout + i * k, k * sizeof(uint32_t));
    }
done:
    cudaFree(dev_in), cudaFree(lde), cudaFree(dev_out), cudaFree(coef);
    cudaFreeHost(pin), cudaFreeHost(pout);
    return rc;
}

extern "C" int loom_cuda_hash_rows(loom_cuda_dev *d, uint32_t *out, const loom_cuda_perm *perm,
                                   const loom_cuda_matrix *mats, size_t n_mats, size_t row0, size_t count, char *err,
                                   size_t err_len)
{
    int rc = check_perm16(perm, err, err_len);
    if (rc)
        return rc;
    size_t width = 0;
    for (size_t m = 0; m < n_mats; m++)
        width += mats[m].cols;
    uint32_t *pin = NULL, *dev_in = NULL, *dev_out = NULL;
    CUDA_OK(cudaSetDevice(d->ordinal));
    CUDA_OK(cudaMallocHost(&pin, count * width * sizeof(uint32_t) + 4));
    CUDA_OK(cudaMalloc(&dev_in, count * width * sizeof(uint32_t) + 4));
    CUDA_OK(cudaMalloc(&dev_out, count * 8 * sizeof(uint32_t)));
    for (size_t i = 0; i < count; i++) {
        size_t off = 0;
        for (size_t m = 0; m < n_mats; m++) {
            memcpy(pin + i * width + off, mats[m].data + (row0 + i) * mats[m].cols, mats[m].cols * sizeof(uint32_t));
            off += mats[m].cols;
        }
    }
    CUDA_OK(cudaMemcpyAsync(dev_in, pin, count * width * sizeof(uint32_t), cudaMemcpyHostToDevice, d->comp));
    if (count)
        P2_LAUNCH16(perm, hash_rowmajor_kernel, blocks_for(count, 128), 128, d->comp, dev_out, dev_in, count, width,
                    perm->slot);
    LAUNCH_OK();
    CUDA_OK(cudaMemcpyAsync(out, dev_out, count * 8 * sizeof(uint32_t), cudaMemcpyDeviceToHost, d->comp));
    CUDA_OK(cudaStreamSynchronize(d->comp));
done:
    cudaFreeHost(pin), cudaFree(dev_in), cudaFree(dev_out);
    return rc;
}

extern "C" int loom_cuda_compress(loom_cuda_dev *d, uint32_t *out, const loom_cuda_perm *perm, const uint32_t *in,
                                  size_t n_out, char *err, size_t err_len)
{
    int rc = check_perm16(perm, err, err_len);
    if (rc)
        return rc;
    uint32_t *dev = NULL, *dev_out = NULL;  /* separate output: thread i's output overlaps thread i/2's input */
    CUDA_OK(cudaSetDevice(d->ordinal));
    CUDA_OK(cudaMalloc(&dev, n_out * 16 * sizeof(uint32_t) + 4));
    CUDA_OK(cudaMalloc(&dev_out, n_out * 8 * sizeof(uint32_t) + 4));
    CUDA_OK(cudaMemcpyAsync(dev, in, n_out * 16 * sizeof(uint32_t), cudaMemcpyHostToDevice, d->comp));
    if (n_out)
        P2_LAUNCH16(perm, compress_kernel, blocks_for(n_out, 128), 128, d->comp, dev_out, dev, 16, dev + 8, 16, n_out,
                    perm->slot);
    LAUNCH_OK();
    CUDA_OK(cudaMemcpyAsync(out, dev_out, n_out * 8 * sizeof(uint32_t), cudaMemcpyDeviceToHost, d->comp));
    CUDA_OK(cudaStreamSynchronize(d->comp));
done:
    cudaFree(dev), cudaFree(dev_out);
    return rc;
}

// ------------------------------------------------------------------ the commit

namespace {

struct commit_bufs {
    uint32_t *state = nullptr;     // m_max x 16, Montgomery form
    uint32_t *lde = nullptr;       // m_max x CHUNK_COLS, column-major
    uint32_t *dev_in[2] = {nullptr, nullptr};
    uint32_t *pin[2] = {nullptr, nullptr};
    uint32_t *coef = nullptr;      // n_max
    uint32_t *layer = nullptr;     // m_max x 8 digests
    uint32_t *next = nullptr;      // m_max / 2 x 8
    uint32_t *inj = nullptr;       // m_max / 2 x 8
    size_t pin_bytes = 0;          // bytes of each pinned staging buffer
    cudaEvent_t copied[2] = {nullptr, nullptr}, consumed[2] = {nullptr, nullptr};
    cudaEvent_t staged[2] = {nullptr, nullptr};  // the DMA out of pin[s] is done
    std::vector<cudaEvent_t> marks;  // pairs around timed regions on the compute stream
    std::vector<int> mark_kind;      // 0 lde, 1 hash, 2 tree
    size_t room = 0;                 // device bytes left in the budget for a whole-trace copy
};

}  // namespace

static int mark(commit_bufs &b, cudaStream_t st, int kind, char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    cudaEvent_t e;
    CUDA_OK(cudaEventCreate(&e));
    CUDA_OK(cudaEventRecord(e, st));
    b.marks.push_back(e);
    b.mark_kind.push_back(kind);
done:
    return rc;
}

// Absorbs k columns (column-major at src, leading dimension ld) into `rows` sponge states,
// starting at rate position pos, permuting whenever a block of 8 fills; counts permutations.
static int absorb_cols(const loom_cuda_perm *perm, cudaStream_t st, uint32_t *state, const uint32_t *src, size_t ld,
                       size_t rows, unsigned k, unsigned pos, uint64_t *perms, char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    for (unsigned first = 0; first < k;) {
        const unsigned take = std::min(k - first, 8 - pos);
        const int full = pos + take == 8;
        P2_LAUNCH16(perm, absorb_kernel, blocks_for(rows, 128), 128, st, state, src, ld, rows, first, pos, take, full,
                    perm->slot);
        LAUNCH_OK();
        if (full)
            *perms += rows;
        first += take;
        pos = (pos + take) % 8;
    }
done:
    return rc;
}

// The sponge's padding permutation when the last block is partial (pos_end != 0; overwrite mode
// leaves the other rate words as they are), then the digests of `rows` states.
static int finish_leaves(const loom_cuda_perm *perm, const loom_cuda_field *f, cudaStream_t st, uint32_t *state,
                         uint32_t *digests, size_t rows, unsigned pos_end, uint64_t *perms, char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    if (pos_end != 0) {
        P2_LAUNCH16(perm, absorb_kernel, blocks_for(rows, 128), 128, st, state, state, rows, rows, 0, pos_end, 0, 1,
                    perm->slot);
        LAUNCH_OK();
        *perms += rows;
    }
    digest_kernel<<<blocks_for(rows * 8, 256), 256, 0, st>>>(digests, state, rows, fparams(f));
    LAUNCH_OK();
done:
    return rc;
}

// Digests of one group of equal-height traces: sponge over their concatenated columns, fed one
// extended 8-column chunk at a time while the next chunk's columns are gathered and copied.
static int group_digests(loom_cuda_dev *d, commit_bufs &b, uint32_t *out, const loom_cuda_field *f,
                         const loom_cuda_perm *perm, const loom_cuda_matrix *const *group, size_t n_group,
                         unsigned log_blowup, uint32_t shift, loom_cuda_stats *st, size_t *chunk_no, char *err,
                         size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    const size_t n = group[0]->rows, m = n << log_blowup;
    const unsigned logn = log2_exact(n), logm = logn + log_blowup;
    ntt_tw tw, itw;
    unsigned pos = 0;
    if ((rc = get_twiddles(d, f, logm, 0, &tw, err, err_len)) || (rc = get_twiddles(d, f, logn, 1, &itw, err, err_len)))
        return rc;
    if ((rc = make_coef(d, b.coef, f, logn, shift, err, err_len)))
        return rc;
    CUDA_OK(cudaMemsetAsync(b.state, 0, m * 16 * sizeof(uint32_t), d->comp));
    for (size_t t = 0; t < n_group; t++) {
        const loom_cuda_matrix *tr = group[t];
        // When the trace fits the budget, one contiguous copy of it (row-major) and the column
        // gather on the device beat gathering 32-byte pieces on the host for every chunk.
        const size_t trace_bytes = n * tr->cols * sizeof(uint32_t);
        uint32_t *whole = NULL;
        if (b.room >= trace_bytes && dev_buf(d, BUF_TRACE, trace_bytes, &whole) == cudaSuccess) {
            CUDA_OK(cudaEventSynchronize(b.consumed[0]));
            CUDA_OK(cudaEventSynchronize(b.consumed[1]));
            // The trace goes up in slices through the two pinned staging buffers: host threads
            // copy slice k into one while the DMA engine moves slice k - 1 out of the other.
            // Pinning the caller's pages in place (cudaHostRegister) costs more than this whole
            // copy, and a copy from pageable memory goes through the driver's small staging.
            const char *host = (const char *)tr->data;
            for (size_t off = 0, k = 0; off < trace_bytes; off += b.pin_bytes, k++) {
                const int s = (int)(k % 2);
                const size_t len = std::min(b.pin_bytes, trace_bytes - off);
                CUDA_OK(cudaEventSynchronize(b.staged[s]));
                host_copy(b.pin[s], host + off, len);
                CUDA_OK(cudaMemcpyAsync((char *)whole + off, b.pin[s], len, cudaMemcpyHostToDevice, d->copy));
                CUDA_OK(cudaEventRecord(b.staged[s], d->copy));
            }
            // The chunk path below refills the same staging buffers: wait for the last slices.
            CUDA_OK(cudaEventSynchronize(b.staged[0]));
            CUDA_OK(cudaEventSynchronize(b.staged[1]));
            st->bytes_h2d += trace_bytes;
        }
        for (size_t c0 = 0; c0 < tr->cols; c0 += CHUNK_COLS) {
            const unsigned k = (unsigned)std::min<size_t>(CHUNK_COLS, tr->cols - c0);
            if (whole) {
                if ((rc = mark(b, d->comp, 0, err, err_len)))
                    goto done;
                gather_kernel<<<blocks_for(n, 256), 256, 0, d->comp>>>(b.lde, m, whole + c0, n, logn, k, 1,
                                                                          tr->cols);
                LAUNCH_OK();
            } else {
            const int s = (int)(*chunk_no % 2);
            (*chunk_no)++;
            // The buffers of slot s were last used two chunks ago; wait until that chunk's
            // gather kernel has read them, then refill while the GPU works on the previous chunk.
            CUDA_OK(cudaEventSynchronize(b.consumed[s]));
            host_gather(b.pin[s], tr->data, n, tr->cols, c0, k);
            CUDA_OK(cudaMemcpyAsync(b.dev_in[s], b.pin[s], n * k * sizeof(uint32_t), cudaMemcpyHostToDevice, d->copy));
            CUDA_OK(cudaEventRecord(b.copied[s], d->copy));
            st->bytes_h2d += n * k * sizeof(uint32_t);
            CUDA_OK(cudaStreamWaitEvent(d->comp, b.copied[s], 0));
            if ((rc = mark(b, d->comp, 0, err, err_len)))
                goto done;
            gather_kernel<<<blocks_for(n, 256), 256, 0, d->comp>>>(b.lde, m, b.dev_in[s], n, logn, k, 1, k);
            LAUNCH_OK();
            CUDA_OK(cudaEventRecord(b.consumed[s], d->comp));
            }
            if (whole)
                CUDA_OK(cudaEventRecord(b.consumed[0], d->comp));
            if ((rc = extend_columns(d, b.lde, m, logn, logm, k, b.coef, itw, tw, f, err, err_len)))
                goto done;
            if ((rc = mark(b, d->comp, 0, err, err_len)) || (rc = mark(b, d->comp, 1, err, err_len)))
                goto done;
            if ((rc = absorb_cols(perm, d->comp, b.state, b.lde, m, m, k, pos, &st->permutations, err, err_len)))
                goto done;
            pos = (pos + k) % 8;
            if ((rc = mark(b, d->comp, 1, err, err_len)))
                goto done;
        }
    }
    if ((rc = mark(b, d->comp, 1, err, err_len)))
        goto done;
    if ((rc = finish_leaves(perm, f, d->comp, b.state, out, m, pos, &st->permutations, err, err_len)) ||
        (rc = mark(b, d->comp, 1, err, err_len)))
        goto done;
done:
    return rc;
}

extern "C" int loom_cuda_commit(loom_cuda_dev *d, uint32_t root[8], loom_cuda_stats *stats, const loom_cuda_field *f,
                                const loom_cuda_perm *perm, const loom_cuda_matrix *traces, size_t n_traces,
                                unsigned log_blowup, uint32_t shift, char *err, size_t err_len)
{
    int rc = check_perm16(perm, err, err_len);
    if (rc)
        return rc;
    loom_cuda_stats local;
    loom_cuda_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    {
        // Traces of one height take the chunk pipeline of the multi-GPU commit with one device:
        // host threads gather chunk k + 1 while the GPU extends and absorbs chunk k, which beat
        // staging the whole trace first (140 ms against 258 ms for 2^22 x 64 on an H100 VM,
        // docs/benchmarks.md). Mixed heights keep the path below (the injection rule).
        bool one_height = n_traces > 0;
        for (size_t t = 0; t < n_traces; t++)
            one_height &= traces[t].rows == traces[0].rows;
        if (one_height) {
            loom_cuda_multi_stats ms;
            rc = loom_cuda_commit_multi(&d, 1, LOOM_CUDA_MULTI_EXCHANGE, root, &ms, f, perm, traces, n_traces,
                                        log_blowup, shift, err, err_len);
            st->lde_s = ms.lde_s, st->hash_s = ms.hash_s, st->tree_s = ms.tree_s, st->total_s = ms.total_s;
            st->bytes_h2d = ms.bytes_h2d, st->permutations = ms.permutations;
            return rc;
        }
    }
    commit_bufs b;
    cudaEvent_t t0 = nullptr, t1 = nullptr;
    std::vector<const loom_cuda_matrix *> order(n_traces);
    for (size_t i = 0; i < n_traces; i++)
        order[i] = &traces[i];
    std::stable_sort(order.begin(), order.end(),
                     [](const loom_cuda_matrix *a, const loom_cuda_matrix *c) { return a->rows > c->rows; });
    const size_t n_max = order[0]->rows, m_max = n_max << log_blowup;
    const unsigned depth = log2_exact(m_max);
    size_t next_trace = 0, chunk_no = 0;
    const size_t need = m_max * (16 + CHUNK_COLS + 8 + 4 + 4) * sizeof(uint32_t) +
                        (2 * CHUNK_COLS + 1) * n_max * sizeof(uint32_t);
    CUDA_OK(cudaSetDevice(d->ordinal));
    if (need > d->mem_limit) {
        snprintf(err, err_len,
                 "a commit of %zu extended rows needs %zu MiB of GPU memory; the budget is %zu MiB (raise "
                 "memory_limit or use fewer rows)",
                 m_max, need >> 20, d->mem_limit >> 20);
        return LOOM_CUDA_NO_MEMORY;
    }
    b.room = d->mem_limit - need;
    CUDA_OK(cudaEventCreate(&t0));
    CUDA_OK(cudaEventCreate(&t1));
    CUDA_OK(cudaEventRecord(t0, d->comp));
    CUDA_OK(dev_buf(d, BUF_STATE, m_max * 16 * sizeof(uint32_t), &b.state));
    CUDA_OK(dev_buf(d, BUF_LDE, m_max * CHUNK_COLS * sizeof(uint32_t), &b.lde));
    CUDA_OK(dev_buf(d, BUF_COEF, coef_words(log2_exact(n_max)) * sizeof(uint32_t), &b.coef));
    CUDA_OK(dev_buf(d, BUF_LAYER, m_max * 8 * sizeof(uint32_t), &b.layer));
    CUDA_OK(dev_buf(d, BUF_NEXT, std::max<size_t>(m_max / 2, 1) * 8 * sizeof(uint32_t), &b.next));
    CUDA_OK(dev_buf(d, BUF_INJ, std::max<size_t>(m_max / 2, 1) * 8 * sizeof(uint32_t), &b.inj));
    {
        // Staging: each buffer holds one chunk of columns, and at least min(largest trace, 64 MiB)
        // so that whole traces go up in large slices.
        size_t trace_max = 0;
        for (size_t i = 0; i < n_traces; i++)
            trace_max = std::max(trace_max, traces[i].rows * traces[i].cols * sizeof(uint32_t));
        b.pin_bytes = std::max(n_max * CHUNK_COLS * sizeof(uint32_t), std::min(trace_max, (size_t)64 << 20));
    }
    for (int s = 0; s < 2; s++) {
        CUDA_OK(dev_buf(d, BUF_IN0 + s, n_max * CHUNK_COLS * sizeof(uint32_t), &b.dev_in[s]));
        CUDA_OK(pin_buf(d, PIN_0 + s, b.pin_bytes, &b.pin[s]));
        CUDA_OK(cudaEventCreateWithFlags(&b.copied[s], cudaEventDisableTiming));
        CUDA_OK(cudaEventCreateWithFlags(&b.consumed[s], cudaEventDisableTiming));
        CUDA_OK(cudaEventCreateWithFlags(&b.staged[s], cudaEventDisableTiming));
        CUDA_OK(cudaEventRecord(b.consumed[s], d->comp));
        CUDA_OK(cudaEventRecord(b.staged[s], d->copy));
    }
    {
        // Leaves: the tallest group.
        size_t g0 = 0;
        while (next_trace < n_traces && order[next_trace]->rows == n_max)
            next_trace++;
        if ((rc = group_digests(d, b, b.layer, f, perm, order.data() + g0, next_trace - g0, log_blowup, shift, st,
                                &chunk_no, err, err_len)))
            goto done;
        // Levels, injecting shorter groups where their extended height equals the level's length.
        uint32_t *cur = b.layer, *nxt = b.next;
        for (unsigned lv = 1; lv <= depth; lv++) {
            size_t len = m_max >> lv;
            if ((rc = mark(b, d->comp, 2, err, err_len)))
                goto done;
            P2_LAUNCH16(perm, compress_kernel, blocks_for(len, 128), 128, d->comp, nxt, cur, 16, cur + 8, 16, len,
                        perm->slot);
            LAUNCH_OK();
            st->permutations += len;
            if ((rc = mark(b, d->comp, 2, err, err_len)))
                goto done;
            size_t g = next_trace;
            while (next_trace < n_traces && (order[next_trace]->rows << log_blowup) == len)
                next_trace++;
            if (next_trace > g) {
                if ((rc = group_digests(d, b, b.inj, f, perm, order.data() + g, next_trace - g, log_blowup, shift, st,
                                        &chunk_no, err, err_len)))
                    goto done;
                if ((rc = mark(b, d->comp, 2, err, err_len)))
                    goto done;
                P2_LAUNCH16(perm, compress_kernel, blocks_for(len, 128), 128, d->comp, nxt, nxt, 8, b.inj, 8, len,
                            perm->slot);
                LAUNCH_OK();
                st->permutations += len;
                if ((rc = mark(b, d->comp, 2, err, err_len)))
                    goto done;
            }
            // layer (m_max digests) and next (m_max / 2) alternate; both hold any level >= 1.
            std::swap(cur, nxt);
        }
        CUDA_OK(cudaMemcpyAsync(root, cur, 8 * sizeof(uint32_t), cudaMemcpyDeviceToHost, d->comp));
        CUDA_OK(cudaEventRecord(t1, d->comp));
        CUDA_OK(cudaStreamSynchronize(d->comp));
        CUDA_OK(cudaStreamSynchronize(d->copy));
        float ms = 0;
        CUDA_OK(cudaEventElapsedTime(&ms, t0, t1));
        st->total_s = ms * 1e-3;
        for (size_t i = 0; i + 1 < b.marks.size(); i += 2) {
            CUDA_OK(cudaEventElapsedTime(&ms, b.marks[i], b.marks[i + 1]));
            double sec = ms * 1e-3;
            (b.mark_kind[i] == 0 ? st->lde_s : b.mark_kind[i] == 1 ? st->hash_s : st->tree_s) += sec;
        }
    }
done:
    cudaStreamSynchronize(d->comp);
    cudaStreamSynchronize(d->copy);
    for (cudaEvent_t e : b.marks)
        cudaEventDestroy(e);
    for (int s = 0; s < 2; s++) {
        if (b.copied[s])
            cudaEventDestroy(b.copied[s]);
        if (b.consumed[s])
            cudaEventDestroy(b.consumed[s]);
        if (b.staged[s])
            cudaEventDestroy(b.staged[s]);
    }
    if (t0)
        cudaEventDestroy(t0);
    if (t1)
        cudaEventDestroy(t1);
    return rc;
}

// ------------------------------------------------------------------ one commit over several GPUs

namespace {

// The device threads of a multi-GPU commit meet here between rounds; a failure releases everyone.
class host_barrier {
  public:
    explicit host_barrier(int n) : n_(n) {}
    bool wait()  // false once some thread has failed
    {
        std::unique_lock<std::mutex> l(m_);
        if (failed_)
            return false;
        const unsigned long gen = gen_;
        if (++count_ == n_) {
            count_ = 0;
            gen_++;
            cv_.notify_all();
            return true;
        }
        cv_.wait(l, [&] { return gen_ != gen || failed_; });
        return !failed_;
    }
    void fail()
    {
        std::lock_guard<std::mutex> l(m_);
        failed_ = true;
        cv_.notify_all();
    }

  private:
    std::mutex m_;
    std::condition_variable cv_;
    int n_, count_ = 0;
    unsigned long gen_ = 0;
    bool failed_ = false;
};

struct chunk_ref {
    const loom_cuda_matrix *tr;
    size_t c0;
    unsigned k;
};

enum { MK_LDE, MK_HASH, MK_TREE, MK_PEER };

struct multi_dev {
    loom_cuda_dev *d = nullptr;
    uint32_t *state = nullptr;  // Montgomery-form sponge states of the rows this device absorbs
    uint32_t *lde = nullptr;    // exchange: one extended chunk (m x 8); chain: the device's whole block
    uint32_t *recv = nullptr;   // exchange: the other devices' row slices of a round (n x 8 x mN)
    uint32_t *layer = nullptr, *next = nullptr, *coef = nullptr;
    uint32_t *dev_in[2] = {nullptr, nullptr}, *pin[2] = {nullptr, nullptr};
    ntt_tw tw, itw;
    cudaEvent_t copied[2] = {nullptr, nullptr}, consumed[2] = {nullptr, nullptr};
    cudaEvent_t sent = nullptr, absorbed = nullptr, leaves = nullptr;
    std::vector<cudaEvent_t> marks;  // pairs around timed work on the compute stream
    std::vector<int> kinds;
    size_t lo = 0, hi = 0;  // chain: this device's chunks
    uint64_t perms = 0, h2d = 0, peer = 0, cols = 0;
    int rc = LOOM_CUDA_OK;
    char err[512] = "";
};

struct multi_job {
    int n = 0, mode = 0;
    size_t rows = 0, m = 0, mN = 0, mb = 0;  // trace rows, extended rows, rows a device hashes, chain block
    unsigned logn = 0, logm = 0;
    const loom_cuda_field *f = nullptr;
    const loom_cuda_perm *perm = nullptr;
    std::vector<multi_dev> dev;
    std::vector<chunk_ref> chunks;
    std::vector<unsigned> pos;  // pos[q]: the rate position where chunk q starts; pos[C]: after the last
    std::vector<cudaEvent_t> block_ev;  // chain: [i * blocks + b], device i's state block b has left
};

}  // namespace

static int mmark(multi_dev &md, int kind)
{
    int rc = LOOM_CUDA_OK;
    char *err = md.err;
    const size_t err_len = sizeof md.err;
    cudaEvent_t e = nullptr;
    CUDA_OK(cudaEventCreate(&e));
    md.marks.push_back(e);
    md.kinds.push_back(kind);
    CUDA_OK(cudaEventRecord(e, md.d->comp));
done:
    return rc;
}


// Uploads chunk c (the slot_no-th chunk this device loads) and extends it into dst (ld m,
// bit-reversed rows), on the device's streams; call with the device current.
static int load_chunk(multi_job &j, multi_dev &md, const chunk_ref &c, size_t slot_no, uint32_t *dst)
{
    int rc = LOOM_CUDA_OK;
    char *err = md.err;
    const size_t err_len = sizeof md.err;
    loom_cuda_dev *d = md.d;
    const int s = (int)(slot_no % 2);
    const size_t bytes = j.rows * c.k * sizeof(uint32_t);
    CUDA_OK(cudaEventSynchronize(md.copied[s]));  // the copy out of pin[s] two chunks ago is done
    host_gather(md.pin[s], c.tr->data, j.rows, c.tr->cols, c.c0, c.k);
    CUDA_OK(cudaStreamWaitEvent(d->copy, md.consumed[s], 0));  // and dev_in[s] has been read
    CUDA_OK(cudaMemcpyAsync(md.dev_in[s], md.pin[s], bytes, cudaMemcpyHostToDevice, d->copy));
    CUDA_OK(cudaEventRecord(md.copied[s], d->copy));
    md.h2d += bytes;
    md.cols += c.k;
    CUDA_OK(cudaStreamWaitEvent(d->comp, md.copied[s], 0));
    if ((rc = mmark(md, MK_LDE)))
        goto done;
    gather_kernel<<<blocks_for(j.rows, 256), 256, 0, d->comp>>>(dst, j.m, md.dev_in[s], j.rows, j.logn, c.k, 1, c.k);
    LAUNCH_OK();
    CUDA_OK(cudaEventRecord(md.consumed[s], d->comp));
    if ((rc = extend_columns(d, dst, j.m, j.logn, j.logm, c.k, md.coef, md.itw, md.tw, j.f, err, err_len)))
        goto done;
    rc = mmark(md, MK_LDE);
done:
    return rc;
}

// The subtree over mN digests at `leaves` (on md's device): the levels alternate between next
// and layer (the leaves are dead once the first level is made; in chain mode the last device's
// own leaves sit past the first mN / 4 digests of layer). *root points at the root on the device.
static int subtree(multi_job &j, multi_dev &md, const uint32_t *leaves, const uint32_t **root)
{
    int rc = LOOM_CUDA_OK;
    char *err = md.err;
    const size_t err_len = sizeof md.err;
    const uint32_t *cur = leaves;
    uint32_t *bufs[2] = {md.next, md.layer};
    if ((rc = mmark(md, MK_TREE)))
        goto done;
    for (size_t len = j.mN / 2, lv = 0; len >= 1; len /= 2, lv++) {
        uint32_t *out = bufs[lv % 2];
        P2_LAUNCH16(j.perm, compress_kernel, blocks_for(len, 128), 128, md.d->comp, out, cur, 16, cur + 8, 16, len,
                    j.perm->slot);
        LAUNCH_OK();
        md.perms += len;
        cur = out;
    }
    rc = mmark(md, MK_TREE);
    *root = cur;
done:
    return rc;
}


// Exchange mode, device i: round r extends chunk r n + i, sends every device its row slice, then
// absorbs the round's n chunks for its own rows.
static void exchange_worker(multi_job *jp, int i, host_barrier *bar, uint32_t *roots)
{
    multi_job &j = *jp;
    multi_dev &md = j.dev[i];
    loom_cuda_dev *d = md.d;
    int rc = LOOM_CUDA_OK;
    char *err = md.err;
    const size_t err_len = sizeof md.err;
    const size_t C = j.chunks.size(), n = (size_t)j.n, rounds = (C + n - 1) / n;
    CUDA_OK(cudaSetDevice(d->ordinal));
    for (size_t r = 0; r < rounds; r++) {
        const size_t q = r * n + i;
        if (q < C && (rc = load_chunk(j, md, j.chunks[q], r, md.lde)))
            goto done;
        if (q < C && n > 1) {
            // The receivers must have absorbed the previous round out of their slot for us.
            for (size_t o = 0; o < n; o++)
                if (o != (size_t)i)
                    CUDA_OK(cudaStreamWaitEvent(d->comp, j.dev[o].absorbed, 0));
            if ((rc = mmark(md, MK_PEER)))
                goto done;
            for (size_t o = 0; o < n; o++) {
                if (o == (size_t)i)
                    continue;
                for (unsigned c = 0; c < j.chunks[q].k; c++)
                    CUDA_OK(cudaMemcpyPeerAsync(j.dev[o].recv + ((size_t)i * 8 + c) * j.mN, j.dev[o].d->ordinal,
                                                md.lde + (size_t)c * j.m + o * j.mN, d->ordinal,
                                                j.mN * sizeof(uint32_t), d->comp));
                md.peer += (uint64_t)j.chunks[q].k * j.mN * sizeof(uint32_t);
            }
            if ((rc = mmark(md, MK_PEER)))
                goto done;
        }
        CUDA_OK(cudaEventRecord(md.sent, d->comp));
        if (!bar->wait())
            return;
        for (size_t o = 0; o < n; o++)
            if (o != (size_t)i)
                CUDA_OK(cudaStreamWaitEvent(d->comp, j.dev[o].sent, 0));
        if ((rc = mmark(md, MK_HASH)))
            goto done;
        for (size_t o = 0; o < n && r * n + o < C; o++) {
            const size_t q2 = r * n + o;
            const bool mine = o == (size_t)i;
            const uint32_t *src = mine ? md.lde + (size_t)i * j.mN : md.recv + o * 8 * j.mN;
            if ((rc = absorb_cols(j.perm, d->comp, md.state, src, mine ? j.m : j.mN, j.mN, j.chunks[q2].k, j.pos[q2],
                                  &md.perms, err, err_len)))
                goto done;
        }
        if ((rc = mmark(md, MK_HASH)))
            goto done;
        CUDA_OK(cudaEventRecord(md.absorbed, d->comp));
        if (!bar->wait())
            return;
    }
    if ((rc = mmark(md, MK_HASH)) ||
        (rc = finish_leaves(j.perm, j.f, d->comp, md.state, md.layer, j.mN, j.pos.back(), &md.perms, err, err_len)) ||
        (rc = mmark(md, MK_HASH)))
        goto done;
    {
        const uint32_t *root = nullptr;
        if ((rc = subtree(j, md, md.layer, &root)))
            goto done;
        CUDA_OK(cudaMemcpyAsync(roots + (size_t)i * 8, root, 8 * sizeof(uint32_t), cudaMemcpyDeviceToHost, d->comp));
    }
done:
    if (rc) {
        md.rc = rc;
        bar->fail();
    }
}

// Chain mode, device i, first part: extend its block of chunks into md.lde.
static void chain_worker(multi_job *jp, int i)
{
    multi_job &j = *jp;
    multi_dev &md = j.dev[i];
    int rc = LOOM_CUDA_OK;
    char *err = md.err;
    const size_t err_len = sizeof md.err;
    CUDA_OK(cudaSetDevice(md.d->ordinal));
    for (size_t u = md.lo; u < md.hi && rc == LOOM_CUDA_OK; u++)
        rc = load_chunk(j, md, j.chunks[u], u - md.lo, md.lde + (u - md.lo) * 8 * j.m);
done:
    md.rc = rc;
}

// Chain mode, second part (one host thread issues it all): row block b passes through devices
// 0 .. n-1 in turn, each absorbing its columns; the last device digests it.
static int chain_pipeline(multi_job &j, uint32_t *roots, int *failed)
{
    int rc = LOOM_CUDA_OK;
    const size_t n = (size_t)j.n, blocks = j.m / j.mb;
    multi_dev &last = j.dev[n - 1];
    for (size_t b = 0; b < blocks; b++)
        for (size_t i = 0; i < n; i++) {
            multi_dev &md = j.dev[i];
            char *err = md.err;
            const size_t err_len = sizeof md.err;
            *failed = (int)i;
            uint32_t *st = md.state + b * j.mb * 16;
            CUDA_OK(cudaSetDevice(md.d->ordinal));
            if (i > 0)
                CUDA_OK(cudaStreamWaitEvent(md.d->comp, j.block_ev[(i - 1) * blocks + b], 0));
            if ((rc = mmark(md, MK_HASH)))
                goto done;
            for (size_t u = md.lo; u < md.hi; u++)
                if ((rc = absorb_cols(j.perm, md.d->comp, st, md.lde + (u - md.lo) * 8 * j.m + b * j.mb, j.m, j.mb,
                                      j.chunks[u].k, j.pos[u], &md.perms, err, err_len)))
                    goto done;
            if (i + 1 == n && (rc = finish_leaves(j.perm, j.f, md.d->comp, st, md.layer + b * j.mb * 8, j.mb,
                                                  j.pos.back(), &md.perms, err, err_len)))
                goto done;
            if ((rc = mmark(md, MK_HASH)))
                goto done;
            if (i + 1 < n) {
                if ((rc = mmark(md, MK_PEER)))
                    goto done;
                CUDA_OK(cudaMemcpyPeerAsync(j.dev[i + 1].state + b * j.mb * 16, j.dev[i + 1].d->ordinal, st,
                                            md.d->ordinal, j.mb * 16 * sizeof(uint32_t), md.d->comp));
                md.peer += j.mb * 16 * sizeof(uint32_t);
                if ((rc = mmark(md, MK_PEER)))
                    goto done;
                CUDA_OK(cudaEventRecord(j.block_ev[i * blocks + b], md.d->comp));
            }
        }
    {
        // The last device holds every digest: each row owner gets its slice, then its subtree.
        char *err = last.err;
        const size_t err_len = sizeof last.err;
        *failed = (int)(n - 1);
        CUDA_OK(cudaSetDevice(last.d->ordinal));
        if (n > 1 && (rc = mmark(last, MK_PEER)))
            goto done;
        for (size_t i = 0; i + 1 < n; i++) {
            CUDA_OK(cudaMemcpyPeerAsync(j.dev[i].layer, j.dev[i].d->ordinal, last.layer + i * j.mN * 8,
                                        last.d->ordinal, j.mN * 8 * sizeof(uint32_t), last.d->comp));
            last.peer += j.mN * 8 * sizeof(uint32_t);
        }
        if (n > 1 && (rc = mmark(last, MK_PEER)))
            goto done;
        CUDA_OK(cudaEventRecord(last.leaves, last.d->comp));
    }
    {
        std::vector<const uint32_t *> root(n);
        for (size_t i = 0; i < n; i++) {
            multi_dev &md = j.dev[i];
            char *err = md.err;
            const size_t err_len = sizeof md.err;
            *failed = (int)i;
            CUDA_OK(cudaSetDevice(md.d->ordinal));
            if (i + 1 < n)
                CUDA_OK(cudaStreamWaitEvent(md.d->comp, last.leaves, 0));
            if ((rc = subtree(j, md, i + 1 < n ? md.layer : md.layer + i * j.mN * 8, &root[i])))
                goto done;
        }
        // Only now the copies back: one into pageable memory returns when it is done.
        for (size_t i = 0; i < n; i++) {
            multi_dev &md = j.dev[i];
            char *err = md.err;
            const size_t err_len = sizeof md.err;
            *failed = (int)i;
            CUDA_OK(cudaSetDevice(md.d->ordinal));
            CUDA_OK(cudaMemcpyAsync(roots + i * 8, root[i], 8 * sizeof(uint32_t), cudaMemcpyDeviceToHost,
                                    md.d->comp));
        }
    }
done:
    return rc;
}

extern "C" int loom_cuda_commit_multi(loom_cuda_dev *const *devs, int n, int mode, uint32_t *roots,
                                      loom_cuda_multi_stats *stats, const loom_cuda_field *f,
                                      const loom_cuda_perm *perm, const loom_cuda_matrix *traces, size_t n_traces,
                                      unsigned log_blowup, uint32_t shift, char *err, size_t err_len)
{
    int rc = check_perm16(perm, err, err_len);
    if (rc)
        return rc;
    if (n < 1 || n > LOOM_CUDA_MULTI_MAX || (n & (n - 1)) || !devs || !roots || !traces || n_traces == 0 ||
        (mode != LOOM_CUDA_MULTI_EXCHANGE && mode != LOOM_CUDA_MULTI_CHAIN)) {
        snprintf(err, err_len, "a multi-GPU commit needs 1, 2, 4 or 8 devices, traces and a mode (got %d devices, "
                 "%zu traces, mode %d)", n, n_traces, mode);
        return LOOM_CUDA_BAD_ARG;
    }
    for (size_t t = 0; t < n_traces; t++)
        if (traces[t].rows != traces[0].rows || traces[t].rows == 0 || traces[t].cols == 0) {
            snprintf(err, err_len, "a multi-GPU commit takes traces of one height (trace %zu has %zu rows, trace 0 "
                     "%zu); commit mixed heights on one GPU", t, traces[t].rows, traces[0].rows);
            return LOOM_CUDA_BAD_ARG;
        }
    loom_cuda_multi_stats local;
    loom_cuda_multi_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    const auto t_start = std::chrono::steady_clock::now();
    multi_job j;
    j.n = n, j.mode = mode, j.f = f, j.perm = perm;
    j.rows = traces[0].rows, j.m = j.rows << log_blowup, j.logn = log2_exact(j.rows), j.logm = j.logn + log_blowup;
    j.mN = j.m / (size_t)n;
    if (j.mN == 0) {
        snprintf(err, err_len, "%zu extended rows cannot be split over %d GPUs", j.m, n);
        return LOOM_CUDA_BAD_ARG;
    }
    // Chain blocks: about 8 per device so that the pipeline's fill and drain stay short, but not
    // below 4096 rows a kernel.
    j.mb = std::max<size_t>(j.m / (8 * (size_t)n), std::min<size_t>(j.m, 4096));
    {
        unsigned pos = 0;
        for (size_t t = 0; t < n_traces; t++)
            for (size_t c0 = 0; c0 < traces[t].cols; c0 += CHUNK_COLS) {
                const unsigned k = (unsigned)std::min<size_t>(CHUNK_COLS, traces[t].cols - c0);
                j.chunks.push_back(chunk_ref{&traces[t], c0, k});
                j.pos.push_back(pos);
                pos = (pos + k) % 8;
            }
        j.pos.push_back(pos);
    }
    const size_t C = j.chunks.size(), blocks = j.m / j.mb;
    j.dev.resize((size_t)n);
    int failed = -1;  // the device whose message err gets
    // Peer access both ways between distinct GPUs that allow it; the others copy through the host.
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) {
            int can = 0;
            const int oa = devs[a]->ordinal, ob = devs[b]->ordinal;
            if (oa == ob || cudaDeviceCanAccessPeer(&can, oa, ob) != cudaSuccess || !can)
                continue;
            CUDA_OK(cudaSetDevice(oa));
            cudaError_t e = cudaDeviceEnablePeerAccess(ob, 0);
            if (e == cudaErrorPeerAccessAlreadyEnabled)
                cudaGetLastError();
            else
                CUDA_OK(e);
        }
    for (int i = 0; i < n; i++) {
        multi_dev &md = j.dev[(size_t)i];
        loom_cuda_dev *d = md.d = devs[i];
        failed = i;
        // Chunks: dealt in turn (exchange), or a contiguous block per device (chain).
        md.lo = C * (size_t)i / (size_t)n, md.hi = C * (size_t)(i + 1) / (size_t)n;
        const size_t own = mode == LOOM_CUDA_MULTI_CHAIN ? md.hi - md.lo : 1;
        const size_t state_rows = mode == LOOM_CUDA_MULTI_CHAIN ? j.m : j.mN;
        const size_t layer_rows = mode == LOOM_CUDA_MULTI_CHAIN && i == n - 1 ? j.m : j.mN;
        const size_t recv_words = mode == LOOM_CUDA_MULTI_EXCHANGE && n > 1 ? (size_t)n * 8 * j.mN : 0;
        const size_t words = state_rows * 16 + std::max<size_t>(own, 1) * 8 * j.m + recv_words + layer_rows * 8 +
                             std::max<size_t>(j.mN / 2, 1) * 8 + coef_words(j.logn) + 2 * j.rows * CHUNK_COLS;
        if (words * sizeof(uint32_t) > d->mem_limit) {
            snprintf(err, err_len, "GPU %d: a %s commit over %d GPU(s) of %zu extended rows needs %zu MiB there; "
                     "the budget is %zu MiB (raise memory_limit, use more GPUs%s)", d->ordinal,
                     n == 1 ? "one-GPU" : mode == LOOM_CUDA_MULTI_CHAIN ? "chained" : "exchanging", n, j.m,
                     (words * sizeof(uint32_t)) >> 20, d->mem_limit >> 20,
                     mode == LOOM_CUDA_MULTI_CHAIN ? " or the exchange mode" : "");
            return LOOM_CUDA_NO_MEMORY;
        }
        CUDA_OK(cudaSetDevice(d->ordinal));
        if ((rc = get_twiddles(d, f, j.logm, 0, &md.tw, err, err_len)) ||
            (rc = get_twiddles(d, f, j.logn, 1, &md.itw, err, err_len)))
            goto done;
        CUDA_OK(dev_buf(d, BUF_STATE, state_rows * 16 * sizeof(uint32_t), &md.state));
        CUDA_OK(dev_buf(d, BUF_LDE, std::max<size_t>(own, 1) * 8 * j.m * sizeof(uint32_t), &md.lde));
        if (recv_words)
            CUDA_OK(dev_buf(d, BUF_TRACE, recv_words * sizeof(uint32_t), &md.recv));
        CUDA_OK(dev_buf(d, BUF_LAYER, layer_rows * 8 * sizeof(uint32_t), &md.layer));
        CUDA_OK(dev_buf(d, BUF_NEXT, std::max<size_t>(j.mN / 2, 1) * 8 * sizeof(uint32_t), &md.next));
        CUDA_OK(dev_buf(d, BUF_COEF, coef_words(j.logn) * sizeof(uint32_t), &md.coef));
        for (int s = 0; s < 2; s++) {
            CUDA_OK(dev_buf(d, BUF_IN0 + s, j.rows * CHUNK_COLS * sizeof(uint32_t), &md.dev_in[s]));
            CUDA_OK(pin_buf(d, PIN_0 + s, j.rows * CHUNK_COLS * sizeof(uint32_t), &md.pin[s]));
            CUDA_OK(cudaEventCreateWithFlags(&md.copied[s], cudaEventDisableTiming));
            CUDA_OK(cudaEventCreateWithFlags(&md.consumed[s], cudaEventDisableTiming));
            CUDA_OK(cudaEventRecord(md.copied[s], d->copy));
            CUDA_OK(cudaEventRecord(md.consumed[s], d->comp));
        }
        CUDA_OK(cudaEventCreateWithFlags(&md.sent, cudaEventDisableTiming));
        CUDA_OK(cudaEventCreateWithFlags(&md.absorbed, cudaEventDisableTiming));
        CUDA_OK(cudaEventCreateWithFlags(&md.leaves, cudaEventDisableTiming));
        CUDA_OK(cudaEventRecord(md.absorbed, d->comp));
        if ((rc = make_coef(d, md.coef, f, j.logn, shift, err, err_len)))
            goto done;
        // Exchange: each device's states start empty. Chain: device 0's do; the others are
        // overwritten block by block by the states that come down the chain.
        if (mode == LOOM_CUDA_MULTI_EXCHANGE || i == 0)
            CUDA_OK(cudaMemsetAsync(md.state, 0, state_rows * 16 * sizeof(uint32_t), d->comp));
    }
    if (mode == LOOM_CUDA_MULTI_CHAIN) {
        // An event is recorded on a stream of the device it was created on: device i records
        // [i * blocks, (i + 1) * blocks). (Created all on one device, every record on another GPU
        // failed with an invalid resource handle; handles on one GPU never showed it.)
        j.block_ev.assign((size_t)n * blocks, nullptr);
        for (int i = 0; i < n; i++) {
            CUDA_OK(cudaSetDevice(j.dev[i].d->ordinal));
            for (size_t b = 0; b < blocks; b++)
                CUDA_OK(cudaEventCreateWithFlags(&j.block_ev[(size_t)i * blocks + b], cudaEventDisableTiming));
        }
    }
    failed = -1;
    {
        std::vector<std::thread> th;
        host_barrier bar(n);
        for (int i = 0; i < n; i++) {
            if (mode == LOOM_CUDA_MULTI_EXCHANGE)
                th.emplace_back(exchange_worker, &j, i, &bar, roots);
            else
                th.emplace_back(chain_worker, &j, i);
        }
        for (auto &t : th)
            t.join();
        for (int i = 0; i < n && !rc; i++)
            if (j.dev[(size_t)i].rc) {
                rc = j.dev[(size_t)i].rc;
                failed = i;
            }
        if (!rc && mode == LOOM_CUDA_MULTI_CHAIN)
            rc = chain_pipeline(j, roots, &failed);
        if (rc)
            goto done;
    }
    for (int i = 0; i < n; i++) {
        multi_dev &md = j.dev[(size_t)i];
        failed = i;
        CUDA_OK(cudaSetDevice(md.d->ordinal));
        CUDA_OK(cudaStreamSynchronize(md.d->comp));
        CUDA_OK(cudaStreamSynchronize(md.d->copy));
    }
    failed = -1;
    for (int i = 0; i < n; i++) {
        multi_dev &md = j.dev[(size_t)i];
        for (size_t k = 0; k + 1 < md.marks.size(); k += 2) {
            float ms = 0;
            CUDA_OK(cudaEventElapsedTime(&ms, md.marks[k], md.marks[k + 1]));
            const double sec = ms * 1e-3;
            switch (md.kinds[k]) {
            case MK_LDE: st->lde_s += sec, st->busy_s[i] += sec; break;
            case MK_HASH: st->hash_s += sec, st->busy_s[i] += sec; break;
            case MK_TREE: st->tree_s += sec, st->busy_s[i] += sec; break;
            default: st->peer_s[i] += sec; break;
            }
        }
        st->bytes_h2d += md.h2d, st->bytes_peer += md.peer, st->permutations += md.perms;
        st->columns[i] = md.cols;
    }
    st->total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
done:
    if (rc && failed >= 0 && j.dev[(size_t)failed].err[0]) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", j.dev[(size_t)failed].err);
        snprintf(err, err_len, "GPU %d: %s", j.dev[(size_t)failed].d->ordinal, msg);
    }
    for (auto &md : j.dev) {
        if (!md.d)
            continue;
        cudaSetDevice(md.d->ordinal);
        cudaStreamSynchronize(md.d->comp);
        cudaStreamSynchronize(md.d->copy);
        for (cudaEvent_t e : md.marks)
            cudaEventDestroy(e);
        for (cudaEvent_t e : {md.copied[0], md.copied[1], md.consumed[0], md.consumed[1], md.sent, md.absorbed,
                              md.leaves})
            if (e)
                cudaEventDestroy(e);
    }
    for (cudaEvent_t e : j.block_ev)
        if (e)
            cudaEventDestroy(e);
    return rc;
}

// ------------------------------------------------------------------ benchmarks

__global__ void fill_kernel(uint32_t *x, size_t n, uint32_t p)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        x[i] = (uint32_t)((i * 2654435761ull + 12345) % p);
}

template <typename F>
static int time_it(loom_cuda_dev *d, int iters, double *seconds, F &&body, char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    cudaEvent_t a = nullptr, z = nullptr;
    float ms = 0;
    CUDA_OK(cudaEventCreate(&a));
    CUDA_OK(cudaEventCreate(&z));
    if ((rc = body()))  // warm-up
        goto done;
    CUDA_OK(cudaStreamSynchronize(d->comp));
    CUDA_OK(cudaEventRecord(a, d->comp));
    for (int i = 0; i < iters; i++)
        if ((rc = body()))
            goto done;
    CUDA_OK(cudaEventRecord(z, d->comp));
    CUDA_OK(cudaEventSynchronize(z));
    CUDA_OK(cudaEventElapsedTime(&ms, a, z));
    *seconds = ms * 1e-3 / iters;
done:
    if (a)
        cudaEventDestroy(a);
    if (z)
        cudaEventDestroy(z);
    return rc;
}

// Seconds per cudaMemcpyAsync of `bytes` from src to dst, on the compute stream.
static int time_copy(loom_cuda_dev *d, void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, int iters,
                     double *seconds, char *err, size_t err_len)
{
    return time_it(
        d, iters, seconds,
        [&]() -> int {
            cudaError_t e = cudaMemcpyAsync(dst, src, bytes, kind, d->comp);
            if (e != cudaSuccess) {
                set_err(err, err_len, "cudaMemcpyAsync", __FILE__, __LINE__, e);
                return LOOM_CUDA_ERR;
            }
            return LOOM_CUDA_OK;
        },
        err, err_len);
}

extern "C" int loom_cuda_bench_permute(loom_cuda_dev *d, const loom_cuda_perm *perm, size_t n, int iters,
                                       double *seconds, char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    uint32_t *x = NULL;
    const uint32_t p = perm->babybear ? BB_P : KB_P;
    CUDA_OK(cudaSetDevice(d->ordinal));
    CUDA_OK(cudaMalloc(&x, n * perm->width * sizeof(uint32_t)));
    fill_kernel<<<blocks_for(n * perm->width, 256), 256, 0, d->comp>>>(x, n * perm->width, p);
    LAUNCH_OK();
    rc = time_it(
        d, iters, seconds,
        [&]() -> int {
            P2_LAUNCH_ANY(perm, permute_many_kernel, blocks_for(n, 128), 128, d->comp, x, n, perm->slot);
            return launch_status("permute_many_kernel", __FILE__, __LINE__, err, err_len);
        },
        err, err_len);
done:
    cudaFree(x);
    return rc;
}

extern "C" int loom_cuda_bench_ntt(loom_cuda_dev *d, const loom_cuda_field *f, unsigned logn, size_t cols, int iters,
                                   double *seconds, unsigned *passes, char *err, size_t err_len)
{
    *passes = ntt_make_plan(logn, true, g_ntt_kc).count;
    int rc = LOOM_CUDA_OK;
    uint32_t *x = NULL;
    ntt_tw tw;
    const size_t n = (size_t)1 << logn;
    CUDA_OK(cudaSetDevice(d->ordinal));
    if ((rc = get_twiddles(d, f, logn, 0, &tw, err, err_len)))
        goto done;
    CUDA_OK(cudaMalloc(&x, n * cols * sizeof(uint32_t)));
    fill_kernel<<<blocks_for(n * cols, 256), 256, 0, d->comp>>>(x, n * cols, f->p);
    LAUNCH_OK();
    rc = time_it(
        d, iters, seconds, [&]() -> int { return run_ntt(x, n, cols, logn, 1, tw, f, d->comp, n, NULL, err, err_len); }, err,
        err_len);
done:
    cudaFree(x);
    return rc;
}

// DIF butterflies (x, y) -> (x + y, (x - y) w) on registers only, 8 independent chains a thread,
// the twiddle product Shoup's (shoup != 0, the NTT's) or Montgomery's: the arithmetic ceiling of
// the NTT passes, which run the same butterfly plus loads, stores and four-step factors.
template <bool SHOUP>
__global__ void butterfly_kernel(uint32_t *out, uint32_t w, uint32_t ws, uint32_t wm, field_params f, int iters)
{
    uint32_t x[8], y[8];
    for (int i = 0; i < 8; i++)
        x[i] = (threadIdx.x * 8 + i) % f.p, y[i] = (blockIdx.x + i) % f.p;
    for (int it = 0; it < iters; it++) {
#pragma unroll
        for (int i = 0; i < 8; i++) {
            const uint32_t a = mod_add(x[i], y[i], f.p), d = x[i] - y[i] + f.p;
            y[i] = SHOUP ? shoup_mul(d, w, ws, f.p) : mont_mul(d, wm, f.p, f.mu);
            x[i] = a;
        }
    }
    uint32_t acc = 0;
    for (int i = 0; i < 8; i++)
        acc ^= x[i] ^ y[i];
    out[(size_t)blockIdx.x * blockDim.x + threadIdx.x] = acc;
}

extern "C" int loom_cuda_bench_butterfly(loom_cuda_dev *d, const loom_cuda_field *f, int shoup, int iters,
                                         double *seconds, double *butterflies, char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    uint32_t *out = NULL;
    int sms = 0;
    const int threads = 256, loops = 4096;
    const uint32_t w = 0x12345678u % f->p, wm = to_m(f, w), ws = (uint32_t)(((uint64_t)w << 32) / f->p);
    CUDA_OK(cudaSetDevice(d->ordinal));
    CUDA_OK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, d->ordinal));
    CUDA_OK(cudaMalloc(&out, (size_t)sms * 8 * threads * sizeof(uint32_t)));
    rc = time_it(
        d, iters, seconds,
        [&]() -> int {
            if (shoup)
                butterfly_kernel<true><<<sms * 8, threads, 0, d->comp>>>(out, w, ws, wm, fparams(f), loops);
            else
                butterfly_kernel<false><<<sms * 8, threads, 0, d->comp>>>(out, w, ws, wm, fparams(f), loops);
            return launch_status("butterfly_kernel", __FILE__, __LINE__, err, err_len);
        },
        err, err_len);
    *butterflies = (double)sms * 8 * threads * loops * 8;
done:
    cudaFree(out);
    return rc;
}

extern "C" int loom_cuda_bench_copy(loom_cuda_dev *d, size_t bytes, int iters, double *seconds, char *err,
                                    size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    void *a = NULL, *z = NULL;
    CUDA_OK(cudaSetDevice(d->ordinal));
    CUDA_OK(cudaMalloc(&a, bytes));
    CUDA_OK(cudaMalloc(&z, bytes));
    CUDA_OK(cudaMemsetAsync(a, 1, bytes, d->comp));
    rc = time_copy(d, z, a, bytes, cudaMemcpyDeviceToDevice, iters, seconds, err, err_len);
done:
    cudaFree(a), cudaFree(z);
    return rc;
}

extern "C" int loom_cuda_bench_lde(loom_cuda_dev *d, const loom_cuda_field *f, unsigned logn, unsigned bits,
                                   size_t cols, int iters, double *seconds, char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    uint32_t *x = NULL, *coef = NULL;
    ntt_tw tw, itw;
    const size_t n = (size_t)1 << logn, m = n << bits;
    CUDA_OK(cudaSetDevice(d->ordinal));
    if ((rc = get_twiddles(d, f, logn + bits, 0, &tw, err, err_len)) ||
        (rc = get_twiddles(d, f, logn, 1, &itw, err, err_len)))
        goto done;
    CUDA_OK(cudaMalloc(&x, m * cols * sizeof(uint32_t)));
    CUDA_OK(cudaMalloc(&coef, coef_words(logn) * sizeof(uint32_t)));
    fill_kernel<<<blocks_for(m * cols, 256), 256, 0, d->comp>>>(x, m * cols, f->p);
    LAUNCH_OK();
    if ((rc = make_coef(d, coef, f, logn, 31, err, err_len)))
        goto done;
    rc = time_it(
        d, iters, seconds,
        [&]() -> int { return extend_columns(d, x, m, logn, logn + bits, (unsigned)cols, coef, itw, tw, f, err, err_len); },
        err, err_len);
done:
    cudaFree(x), cudaFree(coef);
    return rc;
}

extern "C" int loom_cuda_bench_merkle(loom_cuda_dev *d, const loom_cuda_perm *perm, size_t rows, size_t cols,
                                      int iters, double *seconds, char *err, size_t err_len)
{
    int rc = check_perm16(perm, err, err_len);
    if (rc)
        return rc;
    uint32_t *lde = NULL, *state = NULL, *a = NULL, *b = NULL;
    const uint32_t p = perm->babybear ? BB_P : KB_P;
    const field_params fp{p, perm->babybear ? BB_MU : KB_MU, perm->babybear ? 268435454u : 33554430u};
    CUDA_OK(cudaSetDevice(d->ordinal));
    CUDA_OK(cudaMalloc(&lde, rows * cols * sizeof(uint32_t)));
    CUDA_OK(cudaMalloc(&state, rows * 16 * sizeof(uint32_t)));
    CUDA_OK(cudaMalloc(&a, rows * 8 * sizeof(uint32_t)));
    CUDA_OK(cudaMalloc(&b, rows * 8 * sizeof(uint32_t)));
    fill_kernel<<<blocks_for(rows * cols, 256), 256, 0, d->comp>>>(lde, rows * cols, p);
    LAUNCH_OK();
    rc = time_it(
        d, iters, seconds,
        [&]() -> int {
            cudaMemsetAsync(state, 0, rows * 16 * sizeof(uint32_t), d->comp);
            for (size_t c0 = 0; c0 < cols; c0 += 8) {
                unsigned k = (unsigned)std::min<size_t>(8, cols - c0);
                P2_LAUNCH16(perm, absorb_kernel, blocks_for(rows, 128), 128, d->comp, state, lde, rows, rows,
                            (unsigned)c0, 0u, k, 1, perm->slot);
            }
            digest_kernel<<<blocks_for(rows * 8, 256), 256, 0, d->comp>>>(a, state, rows, fp);
            uint32_t *cur = a, *nxt = b;
            for (size_t len = rows / 2; len >= 1; len /= 2) {
                P2_LAUNCH16(perm, compress_kernel, blocks_for(len, 128), 128, d->comp, nxt, cur, 16, cur + 8, 16, len,
                            perm->slot);
                std::swap(cur, nxt);
            }
            return launch_status("merkle kernels", __FILE__, __LINE__, err, err_len);
        },
        err, err_len);
done:
    cudaFree(lde), cudaFree(state), cudaFree(a), cudaFree(b);
    return rc;
}

extern "C" int loom_cuda_bench_h2d(loom_cuda_dev *d, size_t bytes, int iters, double *seconds, char *err,
                                   size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    void *h = NULL, *z = NULL;
    CUDA_OK(cudaSetDevice(d->ordinal));
    CUDA_OK(cudaMallocHost(&h, bytes));
    CUDA_OK(cudaMalloc(&z, bytes));
    memset(h, 1, bytes);
    rc = time_copy(d, z, h, bytes, cudaMemcpyHostToDevice, iters, seconds, err, err_len);
done:
    cudaFreeHost(h), cudaFree(z);
    return rc;
}

// Times each pass of a forward NTT on its own, for each size of the contiguous pass, and prints
// a table: the measurements behind the default plan of ntt_make_plan.
extern "C" int loom_cuda_bench_ntt_sweep(loom_cuda_dev *d, const loom_cuda_field *f, unsigned logn, size_t cols,
                                         char *err, size_t err_len)
{
    int rc = LOOM_CUDA_OK;
    uint32_t *x = NULL;
    ntt_tw tw;
    const size_t n = (size_t)1 << logn;
    CUDA_OK(cudaSetDevice(d->ordinal));
    if ((rc = get_twiddles(d, f, logn, 0, &tw, err, err_len)))
        goto done;
    CUDA_OK(cudaMalloc(&x, n * cols * sizeof(uint32_t)));
    fill_kernel<<<blocks_for(n * cols, 256), 256, 0, d->comp>>>(x, n * cols, f->p);
    LAUNCH_OK();
    printf("ntt sweep: 2^%u x %zu forward (DIF), ms per pass in execution order (k/groups a block)\n", logn, cols);
    for (unsigned kc = 10; kc <= NTT_MAX_K; kc++) {
        const ntt_plan pl = ntt_make_plan(logn, true, kc);
        printf("  kc=%-2u:", kc);
        double sum = 0;
        for (unsigned i = 0; i < pl.count; i++) {
            const ntt_pass_desc pd = pl.pass[i];
            const ntt_args a{x, n, logn, tw.tw, tw.sh, fparams(f), n, NULL};
            double t = 0;
            rc = time_it(
                d, 5, &t,
                [&]() -> int {
                    cudaError_t e = launch_dir<true>(a, pd, cols, false, d->comp);
                    if (e != cudaSuccess) {
                        set_err(err, err_len, "ntt_kernel", __FILE__, __LINE__, e);
                        return LOOM_CUDA_ERR;
                    }
                    return LOOM_CUDA_OK;
                },
                err, err_len);
            if (rc)
                goto done;
            printf("  %2u/%-2u %7.3f", pd.k, 1u << pd.log_g, t * 1e3);
            sum += t;
        }
        printf("  = %7.3f ms\n", sum * 1e3);
        if (kc >= logn)
            break;
    }
done:
    cudaFree(x);
    return rc;
}
