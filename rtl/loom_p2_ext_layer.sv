// SPDX-License-Identifier: Apache-2.0
// The external linear layer M_E of Poseidon2 (Plonky3's MDSMat4 on each block of four words, then
// each word plus the column sums of the blocks), plus one constant per word (the next round's
// constants, or zero), reduced to a canonical word. Latency ExtLayerLatency.
//
//   L1  t01 = x0 + x1, t23 = x2 + x3
//   L2  y0 = 2 t01 + t23 + x1, y1 = t01 + t23 + x1 + 2 x2,
//       y2 = t01 + 2 t23 + x3, y3 = t01 + t23 + x3 + 2 x0           (y < 7p)
//   L3  sums[k] = sum over blocks of y[4b + k]  (< 28p);  y' = y + c  (< 8p)
//   L4  z = y' + sums[i mod 4]                                        (< 36p < 2^37)
//   then loom_p2_reduce (Montgomery form kept) or, with FromMonty, loom_p2_mont_red (which leaves
//   Montgomery form: the last layer of the permutation).
module loom_p2_ext_layer #(
  parameter logic [loom_p2_consts_pkg::Width*32-1:0] Rc = '0,
  parameter bit FromMonty = 1'b0
) (
  input  logic                                                         clk_i,
  input  logic [loom_p2_consts_pkg::Width*loom_p2_pkg::FieldBits-1:0] x_i,
  output logic [loom_p2_consts_pkg::Width*loom_p2_pkg::FieldBits-1:0] y_o
);
  localparam int unsigned Width = loom_p2_consts_pkg::Width;
  localparam int unsigned Blocks = Width / 4;
  localparam int unsigned FB = loom_p2_pkg::FieldBits;
  localparam int unsigned LazyBits = loom_p2_pkg::LazyBits;

  if (Width % 4 != 0) begin : g_bad_width
    $error("loom_p2_ext_layer: the width must be a multiple of 4");
  end

  // L1
  logic [FB:0]   t01_q [Blocks];
  logic [FB:0]   t23_q [Blocks];
  logic [FB-1:0] x_q   [Width];
  // L2, L3, L4
  logic [FB+2:0]     m_q    [Width];
  logic [FB+3:0]     mc_q   [Width];
  logic [LazyBits-1:0] sum_q [4];
  logic [LazyBits-1:0] z_q   [Width];

  for (genvar b = 0; b < Blocks; b++) begin : g_block
    logic [FB-1:0] x0, x1, x2, x3;
    assign x0 = x_i[(4*b+0)*FB +: FB];
    assign x1 = x_i[(4*b+1)*FB +: FB];
    assign x2 = x_i[(4*b+2)*FB +: FB];
    assign x3 = x_i[(4*b+3)*FB +: FB];
    always_ff @(posedge clk_i) begin
      t01_q[b] <= {1'b0, x0} + {1'b0, x1};
      t23_q[b] <= {1'b0, x2} + {1'b0, x3};
      x_q[4*b+0] <= x0;
      x_q[4*b+1] <= x1;
      x_q[4*b+2] <= x2;
      x_q[4*b+3] <= x3;
    end
    logic [FB+2:0] t01, t23, d0, d1, d2, d3;
    assign t01 = (FB+3)'(t01_q[b]);
    assign t23 = (FB+3)'(t23_q[b]);
    assign d0 = (FB+3)'(x_q[4*b+0]);
    assign d1 = (FB+3)'(x_q[4*b+1]);
    assign d2 = (FB+3)'(x_q[4*b+2]);
    assign d3 = (FB+3)'(x_q[4*b+3]);
    always_ff @(posedge clk_i) begin
      m_q[4*b+0] <= (t01 << 1) + t23 + d1;
      m_q[4*b+1] <= t01 + t23 + d1 + (d2 << 1);
      m_q[4*b+2] <= t01 + (t23 << 1) + d3;
      m_q[4*b+3] <= t01 + t23 + d3 + (d0 << 1);
    end
  end

  logic [LazyBits-1:0] sum_d [4];
  always_comb begin
    for (int unsigned k = 0; k < 4; k++) begin
      sum_d[k] = '0;
      for (int unsigned b = 0; b < Blocks; b++) sum_d[k] = sum_d[k] + LazyBits'(m_q[4*b+k]);
    end
  end
  always_ff @(posedge clk_i) begin
    for (int unsigned k = 0; k < 4; k++) sum_q[k] <= sum_d[k];
  end

  for (genvar i = 0; i < Width; i++) begin : g_word
    always_ff @(posedge clk_i) begin
      mc_q[i] <= (FB+4)'(m_q[i]) + (FB+4)'(Rc[32*i +: 32]);
      z_q[i] <= LazyBits'(mc_q[i]) + sum_q[i % 4];
    end
    if (FromMonty) begin : g_mont
      loom_p2_mont_red #(.TBits(LazyBits)) u_red (
        .clk_i (clk_i),
        .t_i   (z_q[i]),
        .r_o   (y_o[i*FB +: FB])
      );
    end else begin : g_red
      loom_p2_reduce #(.InBits(LazyBits)) u_red (
        .clk_i (clk_i),
        .v_i   (z_q[i]),
        .r_o   (y_o[i*FB +: FB])
      );
    end
  end
endmodule
