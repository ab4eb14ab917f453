// SPDX-License-Identifier: Apache-2.0
// The kernel top: Poseidon2 leaf hashing of a row range (mode 0) or one Merkle level (mode 1).
// Interface and register map: loom_p2_hash.h. Structure: loom_p2_stages.h.
#include "loom_p2_hash.h"

#include "kernel_config.h"
#include "loom_p2_stages.h"

extern "C" void loom_p2_hash(const loom_w512 *src, loom_w512 *dst, uint32_t n_rows, uint32_t row_len,
                             uint32_t mode)
{
    // Two bundles: reads and writes go to separate AXI masters (and memory banks, hls/*.cfg).
#pragma HLS INTERFACE mode = m_axi port = src bundle = gmem0 offset = slave depth = 4096 \
    max_read_burst_length = LOOM_HLS_MAX_BURST num_read_outstanding = LOOM_HLS_OUTSTANDING \
    max_write_burst_length = 2 num_write_outstanding = 1
#pragma HLS INTERFACE mode = m_axi port = dst bundle = gmem1 offset = slave depth = 4096 \
    max_write_burst_length = LOOM_HLS_MAX_BURST num_write_outstanding = LOOM_HLS_OUTSTANDING \
    max_read_burst_length = 2 num_read_outstanding = 1
    // Offsets pinned to the shared register map (the Vitis defaults, written out).
#pragma HLS INTERFACE mode = s_axilite port = src offset = 0x10 bundle = control
#pragma HLS INTERFACE mode = s_axilite port = dst offset = 0x1C bundle = control
#pragma HLS INTERFACE mode = s_axilite port = n_rows offset = 0x28 bundle = control
#pragma HLS INTERFACE mode = s_axilite port = row_len offset = 0x30 bundle = control
#pragma HLS INTERFACE mode = s_axilite port = mode offset = 0x38 bundle = control
#pragma HLS INTERFACE mode = s_axilite port = return bundle = control
#pragma HLS INTERFACE mode = ap_ctrl_chain port = return bundle = control
#pragma HLS DATAFLOW

    hls::stream<loom_w512> words("words");
#pragma HLS STREAM variable = words depth = LOOM_HLS_DEPTH_WORDS
    hls::stream<loom_hls::p2_item> items("items");
#pragma HLS STREAM variable = items depth = LOOM_HLS_DEPTH_ITEMS
    hls::stream<loom_hls::p2_digest> digests("digests");
#pragma HLS STREAM variable = digests depth = LOOM_HLS_DEPTH_DIGESTS

    loom_hls::fetch(src, words, n_rows, row_len, mode);
    loom_hls::transpose(words, items, n_rows, row_len, mode);
    loom_hls::sponge(items, digests, n_rows, row_len, mode);
    loom_hls::store(digests, dst, n_rows, row_len, mode);
}
