// SPDX-License-Identifier: Apache-2.0
// Pipelined Montgomery product a * b * 2^-32 mod p, canonical out; one product per clock,
// latency MulLatency. Needs a * b < p * 2^32: b canonical, a < 2^ABits with ABits <= 32 (the
// input conversion feeds any u32).
//
// The 31 x 31 product is tiled for two DSP48E2 slices (27 x 18 signed = 26 x 17 unsigned):
//   a = a_hi * 2^26 + a_lo, b = b_hi * 2^17 + b_lo
//   a * b = a_lo * b_lo  +  (a_lo * b_hi) << 17  +  (a_hi * b) << 26
// The first two are DSP products (the second's 17-bit shift is the DSP cascade's PCIN >> 17);
// a_hi has only ABits - 26 bits, so a_hi * b is a few shifted adds in LUTs, not a third DSP.
// The reduction is loom_p2_mont_red: shifts and adds only.
module loom_p2_mont_mul
#(
  parameter int unsigned ABits = loom_p2_pkg::FieldBits
) (
  input  logic                 clk_i,
  input  logic [ABits-1:0]     a_i,
  input  logic [loom_p2_pkg::FieldBits-1:0] b_i,
  output logic [loom_p2_pkg::FieldBits-1:0] r_o
);
  localparam int unsigned FieldBits = loom_p2_pkg::FieldBits;
  localparam int unsigned ALoBits = 26;
  localparam int unsigned BLoBits = 17;
  localparam int unsigned AHiBits = ABits - ALoBits;
  localparam int unsigned BHiBits = FieldBits - BLoBits;
  localparam int unsigned TBits = ABits + FieldBits;

  // Stage 1: operand registers (DSP A/B registers).
  logic [ABits-1:0]     a_q;
  logic [FieldBits-1:0] b_q;
  always_ff @(posedge clk_i) begin
    a_q <= a_i;
    b_q <= b_i;
  end

  // Stage 2: partial products (DSP M registers; the LUT product beside them).
  logic [ALoBits-1:0] a_lo;
  logic [AHiBits-1:0] a_hi;
  logic [BLoBits-1:0] b_lo;
  logic [BHiBits-1:0] b_hi;
  assign {a_hi, a_lo} = a_q;
  assign {b_hi, b_lo} = b_q;

  logic [ALoBits+BLoBits-1:0]   p0_q;
  logic [ALoBits+BHiBits-1:0]   p1_q;
  logic [AHiBits+FieldBits-1:0] p2_d, p2_q;
  always_comb begin
    p2_d = '0;
    for (int unsigned i = 0; i < AHiBits; i++) begin
      if (a_hi[i]) p2_d = p2_d + ((AHiBits+FieldBits)'(b_q) << i);
    end
  end
  always_ff @(posedge clk_i) begin
    p0_q <= a_lo * b_lo;
    p1_q <= a_lo * b_hi;
    p2_q <= p2_d;
  end

  // Stage 3: the two DSP products summed (cascade, DSP P register); stage 4: plus the LUT part.
  logic [TBits-1:0] s_q, t_q;
  logic [AHiBits+FieldBits-1:0] p2_dq;
  always_ff @(posedge clk_i) begin
    s_q <= TBits'(p0_q) + (TBits'(p1_q) << BLoBits);
    p2_dq <= p2_q;
    t_q <= s_q + (TBits'(p2_dq) << ALoBits);
  end

  // Stages 5-6: Montgomery reduction.
  loom_p2_mont_red #(.TBits(TBits)) u_red (
    .clk_i (clk_i),
    .t_i (t_q),
    .r_o   (r_o)
  );
endmodule
