// SPDX-License-Identifier: Apache-2.0
// Montgomery reduction t -> t * 2^-32 mod p, canonical, for t < p * 2^32, with no multiplier.
// For p = r * 2^k + 1 with r = 2^a - 1 and mu = p^-1 mod 2^32 = 2^31 + 2^k + 1 (BabyBear:
// r = 15, k = 27; KoalaBear: r = 127, k = 24):
//   q = t * mu mod 2^32 = t + (t << k) + (t << 31) mod 2^32  (only the top 32-k bits need adds)
//   floor(q * p / 2^32) = floor((q * r + (q >> k)) / 2^(32-k)),  q * r = (q << a) - q
//   result = floor(t / 2^32) - floor(q * p / 2^32), plus p if negative
// (t - q p is a multiple of 2^32, so the low halves cancel with no borrow.) Latency 2.
module loom_p2_mont_red
#(
  parameter int unsigned TBits = 62
) (
  input  logic                 clk_i,
  input  logic [TBits-1:0]     t_i,
  output logic [loom_p2_pkg::FieldBits-1:0] r_o
);
  localparam int unsigned FieldBits = loom_p2_pkg::FieldBits;
  localparam int unsigned FieldK = loom_p2_consts_pkg::FieldK;
  localparam logic [31:0] FieldP = loom_p2_consts_pkg::FieldP;
  localparam logic [31:0] FieldR = loom_p2_consts_pkg::FieldR;
  localparam logic [31:0] MontyMu = loom_p2_consts_pkg::MontyMu;
  localparam int unsigned RA = $clog2(FieldR + 1);   // r = 2^RA - 1
  localparam int unsigned HiBits = TBits - 32;

  if (FieldR + 1 != (32'd1 << RA) || MontyMu != (32'h80000001 | (32'd1 << FieldK))) begin : g_bad_field
    $error("loom_p2_mont_red: needs p = (2^a - 1) * 2^k + 1 and mu = 2^31 + 2^k + 1");
  end

  logic [31:0]      t_lo, q;
  logic [31+RA:0]   q_r;
  logic [31+RA:0]   qp_sum;
  logic [31:0]      qp_hi_d, qp_hi_q;
  logic [HiBits-1:0] t_hi_q;

  assign t_lo = t_i[31:0];
  assign q = t_lo + (t_lo << FieldK) + (t_lo << 31);
  assign q_r = {q, RA'(0)} - {RA'(0), q};
  assign qp_sum = q_r + {RA'(0), 32'(q >> FieldK)};
  assign qp_hi_d = 32'(qp_sum >> (32 - FieldK));

  always_ff @(posedge clk_i) begin
    qp_hi_q <= qp_hi_d;
    t_hi_q <= t_i[TBits-1:32];
  end

  // t_hi - qp_hi lies in (-p, p): 32 bits with the sign in bit 31.
  logic [31:0] diff;
  logic [FieldBits-1:0] diff_p;
  logic [FieldBits-1:0] r_q;
  assign diff = 32'(t_hi_q) - qp_hi_q;
  assign diff_p = diff[FieldBits-1:0] + FieldP[FieldBits-1:0];
  always_ff @(posedge clk_i) begin
    r_q <= diff[31] ? diff_p : diff[FieldBits-1:0];
  end
  assign r_o = r_q;
endmodule
