// SPDX-License-Identifier: Apache-2.0
// The four dataflow processes of the kernel, connected by hls::stream FIFOs:
//
//   fetch ──words──> transpose ──items──> sponge ──digests──> store
//
// fetch      reads 512-bit words of device memory in bursts, one lane's row segment at a time.
// transpose  regroups them (a ping-pong buffer) so that consecutive items belong to different
//            rows: block b of every lane of a group, then block b + 1, ...
// sponge     absorbs one item per clock into its lane's state and permutes (II=1); the lane's
//            previous permutation is LANES items back, far enough for the pipeline to finish it.
// store      packs digests two per word and writes them in row order.
//
// Hash mode walks the matrix in groups of LANES consecutive rows, and each group in tiles of
// TILE_BLOCKS blocks (8 elements) per row. Compress mode is one item per digest pair, no regrouping.
// Every process derives the same walk from (n_rows, row_len, mode), so item counts always agree.
// Each process keeps INLINE off: inlined into the top, it would stop being a dataflow process.
#ifndef LOOM_P2_STAGES_H
#define LOOM_P2_STAGES_H

#include <cstdint>

#include "kernel_config.h"
#include "loom_hls_stream.h"
#include "loom_p2_hash.h"
#include "loom_p2_perm.h"

namespace loom_hls {

constexpr uint32_t LANES = LOOM_HLS_LANES;
constexpr uint32_t TILE_BLOCKS = LOOM_HLS_TILE_BLOCKS;
constexpr uint32_t TILE_ELEMS = TILE_BLOCKS * 8;
constexpr uint32_t TILE_ROWS = TILE_ELEMS / 16;  // 16-element rows of one lane's tile in the buffer

// One permutation's input: the first n words overwrite the state (n = 1..8 in hash mode, 16 when
// compressing); `first` starts from the zero state, `last` emits the digest, `valid` is clear for
// the bubbles of lanes past the last row.
struct p2_item {
    uint32_t v[16];
    uint8_t n;
    bool first;
    bool last;
    bool valid;
};

struct p2_digest {
    uint32_t v[8];
};

struct geometry {
    uint32_t n_rows, row_len;
    uint32_t blocks;  // per row: ceil(row_len / 8)
    uint32_t groups;  // ceil(n_rows / LANES)
    uint32_t tiles;   // per group: ceil(blocks / TILE_BLOCKS)

    uint64_t tile_count() const { return (uint64_t)groups * tiles; }
    uint32_t lanes_of(uint32_t g) const
    {
        const uint32_t left = n_rows - g * LANES;
        return left < LANES ? left : LANES;
    }
    uint32_t len_of(uint32_t t) const  // elements of each row in tile t
    {
        const uint32_t left = row_len - t * TILE_ELEMS;
        return left < TILE_ELEMS ? left : TILE_ELEMS;
    }
    uint64_t start(uint32_t g, uint32_t t) const  // element index of lane 0's segment of tile t
    {
        return ((uint64_t)g * LANES) * row_len + (uint64_t)t * TILE_ELEMS;
    }
};

inline geometry make_geometry(uint32_t n_rows, uint32_t row_len)
{
#pragma HLS INLINE
    geometry ge;
    ge.n_rows = n_rows;
    ge.row_len = row_len;
    ge.blocks = (uint32_t)(((uint64_t)row_len + 7) / 8);
    ge.groups = (uint32_t)(((uint64_t)n_rows + LANES - 1) / LANES);
    ge.tiles = (ge.blocks + TILE_BLOCKS - 1) / TILE_BLOCKS;
    return ge;
}

// Next tile in walk order: the tiles of group g, then group g + 1.
inline void next_tile(const geometry &ge, uint32_t &g, uint32_t &t)
{
#pragma HLS INLINE
    if (t + 1 == ge.tiles) {
        t = 0;
        g++;
    } else {
        t++;
    }
}

inline void fetch(const loom_w512 *src, hls::stream<loom_w512> &words, uint32_t n_rows, uint32_t row_len,
                  uint32_t mode)
{
#pragma HLS INLINE off
    if (mode == LOOM_HLS_MODE_COMPRESS) {
    fetch_pairs:
        for (uint32_t i = 0; i < n_rows; i++) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 1048576
            words.write(src[i]);
        }
        return;
    }
    if (mode != LOOM_HLS_MODE_HASH)
        return;
    const geometry ge = make_geometry(n_rows, row_len);
    uint32_t g = 0, t = 0;
fetch_tiles:
    for (uint64_t k = 0; k < ge.tile_count(); k++) {
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 4096
        const uint32_t gl = ge.lanes_of(g), len = ge.len_of(t);
        uint64_t s = ge.start(g, t);
        uint64_t w = s / 16, w_last = (s + len - 1) / 16;
        uint32_t lane = 0;
        // Each lane's segment [s, s + len) as whole words; the word shared by two neighbouring
        // segments is read twice.
    fetch_words:
        while (lane < gl) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 5120
            words.write(src[w]);
            if (w == w_last) {
                lane++;
                s += row_len;
                w = s / 16;
                w_last = (s + len - 1) / 16;
            } else {
                w++;
            }
        }
        next_tile(ge, g, t);
    }
}

inline void transpose(hls::stream<loom_w512> &words, hls::stream<p2_item> &items, uint32_t n_rows,
                      uint32_t row_len, uint32_t mode)
{
#pragma HLS INLINE off
    if (mode == LOOM_HLS_MODE_COMPRESS) {
    transpose_pairs:
        for (uint32_t i = 0; i < n_rows; i++) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 1048576
            const loom_w512 w = words.read();
            p2_item it;
            for (unsigned j = 0; j < 16; j++) {
#pragma HLS UNROLL
                it.v[j] = w.v[j];
            }
            it.n = 16;
            it.first = it.last = it.valid = true;
            items.write(it);
        }
        return;
    }
    if (mode != LOOM_HLS_MODE_HASH)
        return;
    const geometry ge = make_geometry(n_rows, row_len);
    const uint64_t n_tiles = ge.tile_count();
    // buf[half][bank][lane][row]: element e of a lane's tile is at bank e % 16, row e / 16, so a
    // word (16 elements at any offset) and a block (8 aligned elements) each touch distinct banks.
    // Round k fills half k % 2 with tile k while emitting tile k - 1 from the other half; every
    // element is written before it is read, so the contents between calls do not matter (static:
    // 2 x 16 x LANES x TILE_ROWS words would not belong on a C-simulation stack).
    static uint32_t buf[2][16][LANES][TILE_ROWS];
#pragma HLS ARRAY_PARTITION variable = buf dim = 1 complete
#pragma HLS ARRAY_PARTITION variable = buf dim = 2 complete
#pragma HLS DEPENDENCE variable = buf type = inter dependent = false
    uint32_t g_in = 0, t_in = 0, g_out = 0, t_out = 0;
transpose_tiles:
    for (uint64_t k = 0; k < n_tiles + 1 && n_tiles > 0; k++) {
#pragma HLS LOOP_TRIPCOUNT min = 2 max = 4097
        const bool take = k < n_tiles, give = k > 0;
        const unsigned h_in = (unsigned)(k & 1), h_out = h_in ^ 1u;
        const uint32_t gl_in = take ? ge.lanes_of(g_in) : 0, len_in = ge.len_of(t_in);
        uint64_t s = ge.start(g_in, t_in);
        uint32_t sh = (uint32_t)(s % 16), wk = 0, n_words = (uint32_t)((s + len_in - 1) / 16 - s / 16 + 1);
        uint32_t lane_in = 0;

        const uint32_t gl_out = ge.lanes_of(g_out), len_out = ge.len_of(t_out);
        const uint32_t n_out = give ? LANES * ((len_out + 7) / 8) : 0;
        uint32_t out_i = 0, b_out = 0, lane_out = 0;
    transpose_words:
        while (lane_in < gl_in || out_i < n_out) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 8192
            if (lane_in < gl_in) {
                const loom_w512 w = words.read();
                for (unsigned b = 0; b < 16; b++) {
#pragma HLS UNROLL
                    // Element i of word wk lies at e = 16 * wk + i - sh of the segment.
                    const unsigned i = (b + sh) & 15u;
                    const int row = i >= sh ? (int)wk : (int)wk - 1;
                    if (row >= 0 && (uint32_t)row * 16 + b < len_in)
                        buf[h_in][b][lane_in][row] = w.v[i];
                }
                if (wk + 1 == n_words) {
                    lane_in++;
                    s += row_len;
                    sh = (uint32_t)(s % 16);
                    wk = 0;
                    n_words = (uint32_t)((s + len_in - 1) / 16 - s / 16 + 1);
                } else {
                    wk++;
                }
            }
            if (out_i < n_out) {
                p2_item it;
                for (unsigned j = 0; j < 8; j++) {
#pragma HLS UNROLL
                    it.v[j] = buf[h_out][8 * (b_out & 1) + j][lane_out][b_out / 2];
                    it.v[8 + j] = 0;
                }
                const uint32_t blk = t_out * TILE_BLOCKS + b_out, left = len_out - 8 * b_out;
                it.n = (uint8_t)(left < 8 ? left : 8);
                it.first = blk == 0;
                it.last = blk + 1 == ge.blocks;
                it.valid = lane_out < gl_out;
                items.write(it);
                out_i++;
                if (lane_out + 1 == LANES) {
                    lane_out = 0;
                    b_out++;
                } else {
                    lane_out++;
                }
            }
        }
        if (give)
            next_tile(ge, g_out, t_out);
        if (take)
            next_tile(ge, g_in, t_in);
    }
}

inline void sponge(hls::stream<p2_item> &items, hls::stream<p2_digest> &digests, uint32_t n_rows,
                   uint32_t row_len, uint32_t mode)
{
#pragma HLS INLINE off
    uint64_t total;
    if (mode == LOOM_HLS_MODE_COMPRESS) {
        total = n_rows;
    } else if (mode == LOOM_HLS_MODE_HASH) {
        const geometry ge = make_geometry(n_rows, row_len);
        total = (uint64_t)ge.groups * LANES * ge.blocks;
    } else {
        return;
    }
    // Sponge states in Montgomery form, one per lane. Read and written by iterations exactly LANES
    // apart: the DEPENDENCE pragma gives the scheduler that distance.
    static uint32_t state[LANES][16];
#pragma HLS ARRAY_PARTITION variable = state dim = 2 complete
#pragma HLS DEPENDENCE variable = state type = inter direction = RAW dependent = true distance = LOOM_HLS_LANES
    uint32_t lane = 0;
sponge_perms:
    for (uint64_t i = 0; i < total; i++) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 8388608
        const p2_item it = items.read();
        uint32_t s[16];
#pragma HLS ARRAY_PARTITION variable = s complete
        for (unsigned j = 0; j < 16; j++) {
#pragma HLS UNROLL
            const uint32_t kept = it.first ? 0u : state[lane][j];
            s[j] = j < it.n ? to_monty(it.v[j]) : kept;
        }
        if (it.valid) {
            permute(s);
            for (unsigned j = 0; j < 16; j++) {
#pragma HLS UNROLL
                state[lane][j] = s[j];
            }
            if (it.last) {
                p2_digest d;
                for (unsigned j = 0; j < 8; j++) {
#pragma HLS UNROLL
                    d.v[j] = from_monty(s[j]);
                }
                digests.write(d);
            }
        }
        lane = lane + 1 == LANES ? 0 : lane + 1;
    }
}

inline void store(hls::stream<p2_digest> &digests, loom_w512 *dst, uint32_t n_rows, uint32_t row_len,
                  uint32_t mode)
{
#pragma HLS INLINE off
    if (mode != LOOM_HLS_MODE_HASH && mode != LOOM_HLS_MODE_COMPRESS)
        return;
    // Rows of no elements hash to zero without a permutation: nothing comes down the stream.
    const bool empty_rows = mode == LOOM_HLS_MODE_HASH && row_len == 0;
    loom_w512 w;
store_digests:
    for (uint32_t i = 0; i < n_rows; i++) {
#pragma HLS PIPELINE II = 1
#pragma HLS LOOP_TRIPCOUNT min = 1 max = 1048576
        p2_digest d = {};
        if (!empty_rows)
            d = digests.read();
        const unsigned half = i & 1u;
        for (unsigned j = 0; j < 8; j++) {
#pragma HLS UNROLL
            w.v[8 * half + j] = d.v[j];
            if (!half)
                w.v[8 + j] = 0;
        }
        if (half || i + 1 == n_rows)
            dst[i / 2] = w;
    }
}

}  // namespace loom_hls

#endif
