// SPDX-License-Identifier: Apache-2.0
// A lazy word v < 2^InBits (InBits <= LazyBits) to canonical v mod p, latency 2, no multiplier.
// With p = r * 2^k + 1: t = v >> k, q = floor(t / r) (a small table: t has InBits - k bits),
// then v - q p = (t mod r) * 2^k + (v mod 2^k) - q lies in [-q, p - 2]: add p if negative.
module loom_p2_reduce #(
  parameter int unsigned InBits = loom_p2_pkg::LazyBits
) (
  input  logic                              clk_i,
  input  logic [InBits-1:0]                 v_i,
  output logic [loom_p2_pkg::FieldBits-1:0] r_o
);
  localparam int unsigned FieldBits = loom_p2_pkg::FieldBits;
  localparam int unsigned FieldK = loom_p2_consts_pkg::FieldK;
  localparam logic [31:0] FieldP = loom_p2_consts_pkg::FieldP;
  localparam logic [31:0] FieldR = loom_p2_consts_pkg::FieldR;
  localparam int unsigned TBits = InBits - FieldK;
  localparam int unsigned QBits = TBits;
  localparam int unsigned RA = $clog2(FieldR + 1);

  if (InBits > loom_p2_pkg::LazyBits || InBits <= FieldK) begin : g_bad_width
    $error("loom_p2_reduce: InBits must be in (k, LazyBits]");
  end

  // Stage 1: the quotient estimate.
  logic [TBits-1:0]  t;
  logic [QBits-1:0]  q_q;
  logic [InBits-1:0] v_q;
  assign t = v_i[InBits-1:FieldK];
  always_ff @(posedge clk_i) begin
    q_q <= QBits'(t / TBits'(FieldR));
    v_q <= v_i;
  end

  // Stage 2: v - q p and the correction.
  logic [InBits:0] qp, r;
  logic [FieldBits-1:0] r_p;
  // q * r with r = 2^RA - 1 as a shift and a subtraction (no constant multiplier to map to a DSP).
  assign qp = ((((InBits+1)'(q_q) << RA) - (InBits+1)'(q_q)) << FieldK) + (InBits+1)'(q_q);
  assign r = {1'b0, v_q} - qp;
  assign r_p = r[FieldBits-1:0] + FieldP[FieldBits-1:0];
  logic [FieldBits-1:0] r_q;
  always_ff @(posedge clk_i) begin
    r_q <= r[InBits] ? r_p : r[FieldBits-1:0];
  end
  assign r_o = r_q;
endmodule
