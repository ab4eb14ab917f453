// SPDX-License-Identifier: Apache-2.0
// A register slice for a valid/ready stream: data and valid registered, ready registered too (a
// second "skid" register takes the beat that arrives while the output is stalled), so no
// combinational path crosses it in either direction. Full rate.
module loom_p2_skid #(
  parameter int unsigned Width = 32
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             valid_i,
  output logic             ready_o,
  input  logic [Width-1:0] data_i,
  output logic             valid_o,
  input  logic             ready_i,
  output logic [Width-1:0] data_o
);
  logic             out_valid_q, skid_valid_q;
  logic [Width-1:0] out_data_q, skid_data_q;

  assign ready_o = !skid_valid_q;
  assign valid_o = out_valid_q;
  assign data_o = out_data_q;

  logic load_out;
  assign load_out = !out_valid_q || ready_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      out_valid_q <= 1'b0;
      skid_valid_q <= 1'b0;
    end else begin
      if (load_out) out_valid_q <= skid_valid_q || valid_i;
      if (skid_valid_q) begin
        if (ready_i) skid_valid_q <= 1'b0;
      end else if (valid_i && !load_out) begin
        skid_valid_q <= 1'b1;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (load_out) out_data_q <= skid_valid_q ? skid_data_q : data_i;
    if (!skid_valid_q && valid_i && !load_out) skid_data_q <= data_i;
  end
endmodule
