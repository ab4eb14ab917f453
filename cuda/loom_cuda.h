/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The C interface of the CUDA kernels (cuda/loom_cuda.cu). Nothing C++ crosses it: every call
 * returns 0 on success or a non-zero code, with a message in the caller's err buffer that names
 * the CUDA call, file, line and the CUDA error.
 */
#ifndef LOOM_CUDA_H
#define LOOM_CUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { LOOM_CUDA_OK = 0, LOOM_CUDA_ERR = 1, LOOM_CUDA_NO_MEMORY = 2, LOOM_CUDA_BAD_ARG = 3 };

typedef struct {
    char name[128];
    char pci_bus_id[32];
    int cc_major, cc_minor;
    int sm_count;
    int clock_khz, mem_clock_khz, mem_bus_bits;
    size_t total_mem, free_mem;
    size_t l2_bytes;
    unsigned peer_mask;   /* bit j set: peer access to device j is possible */
} loom_cuda_info;

/* Number of visible GPUs (respects CUDA_VISIBLE_DEVICES). With none, *n = 0 and `why` says why. */
int loom_cuda_count(int *n, char *why, size_t why_len);
int loom_cuda_info_get(int ordinal, loom_cuda_info *out, char *err, size_t err_len);

/* A field as the kernels need it (all canonical except where noted). */
typedef struct {
    uint32_t p, mu, r_mod_p, r2_mod_p;
    unsigned two_adicity;
    const uint32_t *two_adic_generators; /* two_adicity + 1 entries */
} loom_cuda_field;

/* A Poseidon2 instance: shape and its Montgomery-form constants. */
typedef struct {
    int slot;            /* 0..7: where its constants live on the device */
    int babybear;        /* 1 BabyBear, 0 KoalaBear */
    unsigned width;      /* 16 or 24 */
    unsigned rounds_p;
    int legacy;
    const uint32_t *ext_initial, *internal, *ext_final, *diag; /* Montgomery form */
} loom_cuda_perm;

typedef struct {
    const uint32_t *data; /* host, row-major, canonical */
    size_t rows, cols;
} loom_cuda_matrix;

typedef struct {
    double lde_s;        /* LDE kernels */
    double hash_s;       /* sponge absorption + digests */
    double tree_s;       /* compression levels */
    double total_s;      /* wall time of the call */
    uint64_t bytes_h2d;
    uint64_t permutations;
} loom_cuda_stats;

typedef struct loom_cuda_dev loom_cuda_dev;

/* Opens a device; mem_limit 0 means 90% of its free memory. */
int loom_cuda_open(loom_cuda_dev **out, int ordinal, size_t mem_limit, char *err, size_t err_len);
void loom_cuda_close(loom_cuda_dev *dev);
int loom_cuda_load_perm(loom_cuda_dev *dev, const loom_cuda_perm *perm, char *err, size_t err_len);

/* out (host, (rows << added_bits) x cols row-major) = coset LDE of in, rows bit-reversed if asked. */
int loom_cuda_coset_lde(loom_cuda_dev *dev, uint32_t *out, const loom_cuda_field *f, const uint32_t *in, size_t rows,
                        size_t cols, unsigned added_bits, uint32_t shift, int bit_reverse, char *err, size_t err_len);
/* out[i] (8 words) = sponge(concat of row row0 + i of each matrix), i < count. */
int loom_cuda_hash_rows(loom_cuda_dev *dev, uint32_t *out, const loom_cuda_perm *perm, const loom_cuda_matrix *mats,
                        size_t n_mats, size_t row0, size_t count, char *err, size_t err_len);
/* out[i] = compress(in[2i], in[2i + 1]) (8-word digests), i < n_out. */
int loom_cuda_compress(loom_cuda_dev *dev, uint32_t *out, const loom_cuda_perm *perm, const uint32_t *in,
                       size_t n_out, char *err, size_t err_len);
/*
 * The whole commit on the device: coset LDE (shift) of every trace, rows bit-reversed, leaf
 * sponge, Merkle levels with injection; only the root (8 words) comes back. Traces are streamed
 * 8 columns at a time, so the device holds one chunk of the extension plus a 64-byte sponge
 * state per row, however wide the traces are.
 */
int loom_cuda_commit(loom_cuda_dev *dev, uint32_t root[8], loom_cuda_stats *stats, const loom_cuda_field *f,
                     const loom_cuda_perm *perm, const loom_cuda_matrix *traces, size_t n_traces,
                     unsigned log_blowup, uint32_t shift, char *err, size_t err_len);

/*
 * One commit over several GPUs (docs/scheduler.md, "One trace over several GPUs"). The traces
 * (all of one height) are split by columns for the LDE, 8-column chunks dealt to the devices in
 * turn; the extended rows are then brought together for hashing, and each device builds the
 * subtree of one equal row range. `roots` gets n subtree roots (8 words each, in row order); the
 * caller compresses the top log2(n) levels. n is a power of two, 1..LOOM_CUDA_MULTI_MAX, and the
 * extended height at least n. Handles may share one GPU (peer copies are then device copies).
 *
 * LOOM_CUDA_MULTI_EXCHANGE: after each round of n chunks, every device sends each other device the
 * row slice that device hashes (peer copies: NVLink / PCIe peer-to-peer, or through the host where
 * the GPUs cannot reach each other); (n - 1) / n of the extension crosses between GPUs.
 * LOOM_CUDA_MULTI_CHAIN: each device extends a contiguous block of columns and keeps it; the sponge
 * states then travel from device to device in row blocks (64 bytes a row a hop), pipelined so that
 * device i absorbs block b while device i + 1 absorbs block b - 1; the last device's digests go back
 * to their row owners. It moves fewer bytes but keeps a device's whole column block in memory.
 */
#define LOOM_CUDA_MULTI_MAX 8
enum { LOOM_CUDA_MULTI_EXCHANGE = 0, LOOM_CUDA_MULTI_CHAIN = 1 };

typedef struct {
    double total_s;                          /* wall time of the call */
    double busy_s[LOOM_CUDA_MULTI_MAX];      /* kernel time of each device (LDE, sponge, tree) */
    double peer_s[LOOM_CUDA_MULTI_MAX];      /* time of each device's outgoing peer copies */
    uint64_t columns[LOOM_CUDA_MULTI_MAX];   /* columns each device extended */
    double lde_s, hash_s, tree_s;            /* kernel time by stage, summed over the devices */
    uint64_t bytes_h2d, bytes_peer, permutations;
} loom_cuda_multi_stats;

int loom_cuda_commit_multi(loom_cuda_dev *const *devs, int n, int mode, uint32_t *roots,
                           loom_cuda_multi_stats *stats, const loom_cuda_field *f, const loom_cuda_perm *perm,
                           const loom_cuda_matrix *traces, size_t n_traces, unsigned log_blowup, uint32_t shift,
                           char *err, size_t err_len);

/* Benchmarks on device-resident data (no transfers in the timed region). */
int loom_cuda_bench_permute(loom_cuda_dev *dev, const loom_cuda_perm *perm, size_t n, int iters, double *seconds,
                            char *err, size_t err_len);
/* Forward NTT (DIF, natural -> bit-reversed) of `cols` columns of 2^logn; seconds per transform, and
 * the number of passes over the data it makes. */
int loom_cuda_bench_ntt(loom_cuda_dev *dev, const loom_cuda_field *f, unsigned logn, size_t cols, int iters,
                        double *seconds, unsigned *passes, char *err, size_t err_len);
/* Coset LDE of `cols` columns 2^logn -> 2^(logn + bits), data on the device: seconds per LDE. */
int loom_cuda_bench_lde(loom_cuda_dev *dev, const loom_cuda_field *f, unsigned logn, unsigned bits, size_t cols,
                        int iters, double *seconds, char *err, size_t err_len);
/* Leaf sponge over `cols` device-resident columns of `rows` rows, then every Merkle level. */
int loom_cuda_bench_merkle(loom_cuda_dev *dev, const loom_cuda_perm *perm, size_t rows, size_t cols, int iters,
                           double *seconds, char *err, size_t err_len);
/* Pinned host-to-device copy of `bytes`: seconds per copy. */
int loom_cuda_bench_h2d(loom_cuda_dev *dev, size_t bytes, int iters, double *seconds, char *err, size_t err_len);
/* Prints the time of each NTT pass for several pass shapes (tuning aid). */
int loom_cuda_bench_ntt_sweep(loom_cuda_dev *dev, const loom_cuda_field *f, unsigned logn, size_t cols, char *err,
                              size_t err_len);
/* DIF butterflies on registers only (no memory), the NTT's (Shoup twiddle products) when `shoup`,
 * else with Montgomery products: seconds per launch of `butterflies` of them. Their rate is the
 * arithmetic ceiling of the NTT and LDE figures. */
int loom_cuda_bench_butterfly(loom_cuda_dev *dev, const loom_cuda_field *f, int shoup, int iters, double *seconds,
                              double *butterflies, char *err, size_t err_len);
/* Device-to-device copy of `bytes`: seconds per copy. */
int loom_cuda_bench_copy(loom_cuda_dev *dev, size_t bytes, int iters, double *seconds, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif
#endif /* LOOM_CUDA_H */
