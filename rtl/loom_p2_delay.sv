// SPDX-License-Identifier: Apache-2.0
// A fixed delay of Depth clocks (Depth = 0: a wire). Without reset, so that synthesis can map it
// to shift-register LUTs (SRL32); with ResetValue enabled (Reset = 1) every stage is cleared,
// which the valid bits of the pipeline need.
module loom_p2_delay #(
  parameter int unsigned Width = 1,
  parameter int unsigned Depth = 1,
  parameter bit          Reset = 1'b0
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic [Width-1:0] d_i,
  output logic [Width-1:0] q_o
);
  if (Depth == 0) begin : g_wire
    assign q_o = d_i;
    logic unused_clk_rst;
    assign unused_clk_rst = clk_i ^ rst_ni;
  end else begin : g_line
    // Stage i at bits [i*Width +: Width]; stage 0 is the newest.
    logic [Depth*Width-1:0] line_q;
    if (Reset) begin : g_reset
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) line_q <= '0;
        else line_q <= (Depth*Width)'({line_q, d_i});
      end
    end else begin : g_plain
      logic unused_rst;
      assign unused_rst = rst_ni;
      always_ff @(posedge clk_i) line_q <= (Depth*Width)'({line_q, d_i});
    end
    assign q_o = line_q[(Depth-1)*Width +: Width];
  end
endmodule
