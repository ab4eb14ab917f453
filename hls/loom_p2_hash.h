// SPDX-License-Identifier: Apache-2.0
// The HLS Poseidon2 kernel's interface, shared by the kernel, its C-simulation test bench and the
// documentation of the XRT driver (docs/fpga-hls-xrt.md).
//
// loom_p2_hash(src, dst, n_rows, row_len, mode)
//   mode 0 (hash rows): src holds n_rows x row_len canonical u32, row-major and contiguous;
//     dst[i] = sponge(row i) (PaddingFreeSponge: width 16, rate 8, overwrite mode, no padding;
//     exactly loom_poseidon2_hash). row_len 0 gives zero digests (the empty hash).
//   mode 1 (compress pairs): src holds 2 x n_rows digests; dst[i] = compress(src[2i], src[2i+1]).
//   any other mode: nothing is read or written.
//   Digests are 8 canonical u32, packed two per 512-bit word; for odd n_rows the upper half of the
//   last word is written as zeros. Both buffers are read / written as whole 512-bit words, so they
//   must be allocated in multiples of 64 bytes (the XRT driver rounds up).
// AXI-Lite register map (Vitis layout; the RTL core uses the same offsets): 0x00 control
// (ap_start, ap_done, ap_idle, ap_ready, ap_continue), 0x04 GIE, 0x08 IER, 0x0C ISR, 0x10/0x14 src,
// 0x1C/0x20 dst, 0x28 n_rows, 0x30 row_len, 0x38 mode.
#ifndef LOOM_P2_HASH_H
#define LOOM_P2_HASH_H

#include <cstdint>

// One 512-bit AXI beat: 16 field elements, element 0 in the low bits (little-endian memory).
struct loom_w512 {
    uint32_t v[16];
};

extern "C" void loom_p2_hash(const loom_w512 *src, loom_w512 *dst, uint32_t n_rows, uint32_t row_len,
                             uint32_t mode);

#endif
