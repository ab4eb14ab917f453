// SPDX-License-Identifier: Apache-2.0
// Tunables of the HLS Poseidon2 kernel, all in one place. Each can be overridden with -D (the
// C-simulation tests also build a small configuration, so that group and tile boundaries are
// crossed with few rows). docs/fpga-hls-xrt.md explains how they trade area for throughput.
#ifndef LOOM_HLS_KERNEL_CONFIG_H
#define LOOM_HLS_KERNEL_CONFIG_H

// Rows whose sponges are in flight together ("lanes"). Block k+1 of a row needs the permutation
// of block k, so two permutations of one row are exactly LANES loop iterations apart: LANES must
// be at least the permutation pipeline's latency in cycles for the sponge loop to keep II=1
// (about 700 cycles at 300 MHz for BabyBear, estimated; the HLS schedule report gives the real
// figure). The DEPENDENCE pragma states this distance, so a LANES below the latency raises the II
// rather than producing wrong hardware. Cost: LANES x 16 words of sponge state, 2 x LANES x
// TILE_BLOCKS x 8 words of transpose buffer. A call with fewer than LANES rows runs at
// n_rows / LANES of the peak (the remaining lanes are bubbles).
#ifndef LOOM_HLS_LANES
#define LOOM_HLS_LANES 1024
#endif

// Blocks (8 elements each) of every lane's row fetched per tile: the length of each burst from
// device memory is about TILE_BLOCKS / 2 + 1 words of 512 bits. Must be even (two blocks per word).
#ifndef LOOM_HLS_TILE_BLOCKS
#define LOOM_HLS_TILE_BLOCKS 8
#endif

// FIFO depths between the dataflow processes (words: 512-bit input words; items: permutation
// inputs; digests: permutation outputs on their way to memory).
#ifndef LOOM_HLS_DEPTH_WORDS
#define LOOM_HLS_DEPTH_WORDS 64
#endif
#ifndef LOOM_HLS_DEPTH_ITEMS
#define LOOM_HLS_DEPTH_ITEMS 32
#endif
#ifndef LOOM_HLS_DEPTH_DIGESTS
#define LOOM_HLS_DEPTH_DIGESTS 64
#endif

// AXI master settings (beats of 512 bits; transactions in flight).
#define LOOM_HLS_MAX_BURST 64
#define LOOM_HLS_OUTSTANDING 32

// The kernel's modes (the `mode` argument).
#define LOOM_HLS_MODE_HASH 0u
#define LOOM_HLS_MODE_COMPRESS 1u

static_assert(LOOM_HLS_LANES >= 1, "LOOM_HLS_LANES must be at least 1");
static_assert(LOOM_HLS_TILE_BLOCKS >= 2 && LOOM_HLS_TILE_BLOCKS % 2 == 0, "LOOM_HLS_TILE_BLOCKS must be even");

#endif
