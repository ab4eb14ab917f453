// SPDX-License-Identifier: Apache-2.0
// The S-box x^7 on a Montgomery-form word: x^2 = x x; x^3 = x^2 x and x^4 = x^2 x^2 side by
// side; x^7 = x^3 x^4. Four products, three deep: latency SboxLatency = 3 MulLatency.
module loom_p2_sbox (
  input  logic                              clk_i,
  input  logic [loom_p2_pkg::FieldBits-1:0] x_i,
  output logic [loom_p2_pkg::FieldBits-1:0] y_o
);
  localparam int unsigned FB = loom_p2_pkg::FieldBits;

  if (loom_p2_consts_pkg::SboxDegree != 7) begin : g_bad_degree
    $error("loom_p2_sbox: implements x^7 only");
  end

  logic [FB-1:0] x2, x_d, x3, x4;
  loom_p2_mont_mul u_x2 (.clk_i (clk_i), .a_i (x_i), .b_i (x_i), .r_o (x2));
  loom_p2_delay #(.Width(FB), .Depth(loom_p2_pkg::MulLatency)) u_x_d (
    .clk_i  (clk_i),
    .rst_ni (1'b1),
    .d_i    (x_i),
    .q_o    (x_d)
  );
  loom_p2_mont_mul u_x3 (.clk_i (clk_i), .a_i (x2), .b_i (x_d), .r_o (x3));
  loom_p2_mont_mul u_x4 (.clk_i (clk_i), .a_i (x2), .b_i (x2), .r_o (x4));
  loom_p2_mont_mul u_x7 (.clk_i (clk_i), .a_i (x3), .b_i (x4), .r_o (y_o));
endmodule
