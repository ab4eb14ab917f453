// SPDX-License-Identifier: Apache-2.0
// v mod p for v < Mult * p (Mult <= 4), combinational: subtract p, 2p and 3p in parallel and keep
// the smallest result that is not negative. For sums of a few canonical words, where a
// quotient estimate would cost a stage more.
module loom_p2_csub #(
  parameter int unsigned InBits = 34,
  parameter int unsigned Mult = 4
) (
  input  logic [InBits-1:0]                 v_i,
  output logic [loom_p2_pkg::FieldBits-1:0] r_o
);
  localparam int unsigned FieldBits = loom_p2_pkg::FieldBits;
  localparam logic [31:0] FieldP = loom_p2_consts_pkg::FieldP;

  if (Mult < 1 || Mult > 4) begin : g_bad_mult
    $error("loom_p2_csub: Mult must be 1..4");
  end

  logic [InBits:0] d [4];
  always_comb begin
    for (int unsigned m = 0; m < 4; m++) begin
      d[m] = {1'b0, v_i} - (InBits+1)'(64'(FieldP) * 64'(m));
    end
    r_o = v_i[FieldBits-1:0];
    for (int unsigned m = 1; m < Mult; m++) begin
      if (!d[m][InBits]) r_o = d[m][FieldBits-1:0];
    end
  end
endmodule
