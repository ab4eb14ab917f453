// SPDX-License-Identifier: Apache-2.0
// Design figures of the Poseidon2 pipeline: the latency of each block. loom_p2_permute adds them
// up for the whole permutation and stops elaboration if the total differs from the figure in the
// spec (rtl/spec/loom_fpga_kernel.json); the simulation tests measure it.
package loom_p2_pkg;
  // Field words: canonical values < p < 2^31. Lazy sums stay below 2^LazyBits (36 p < 2^37).
  localparam int unsigned FieldBits = 31;
  localparam int unsigned LazyBits = 37;

  // Montgomery product: 2 input/product stages (DSP A/B and M registers), 2 for the partial
  // products' sum (DSP P register and cascade), 2 for the reduction by shifts and adds.
  localparam int unsigned MontRedLatency = 2;
  localparam int unsigned MulLatency = 4 + MontRedLatency;
  // x^7 = x^3 * x^4 with x^3 = x^2 * x and x^4 = x^2 * x^2: three products deep.
  localparam int unsigned SboxLatency = 3 * MulLatency;
  // A lazy word (< 2^LazyBits) to canonical: quotient estimate, then subtract.
  localparam int unsigned RedLatency = 2;
  // M_E (4x4 blocks, then the column sums), plus the next round constant: lazy output.
  localparam int unsigned ExtLinLatency = 4;
  // M_E with constants and the reduction after it.
  localparam int unsigned ExtLayerLatency = ExtLinLatency + RedLatency;
  // Internal round: S-box on word 0 beside the sum and the diagonal, then two stages to combine.
  localparam int unsigned DiagLatency = 2;
  localparam int unsigned IntRoundLatency = SboxLatency + 2;
endpackage
