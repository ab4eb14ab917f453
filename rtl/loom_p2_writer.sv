// SPDX-License-Identifier: Apache-2.0
// Writes a job's digests to device memory: digest i (8 u32) at dst + 32 i, in the order they
// come from the sponge. A hash job with row_len 0 writes the all-zero digest (the sponge of no
// input) for every row without the sponge. done_o pulses when the last write is accepted (at
// once for a job of no rows).
module loom_p2_writer (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         start_i,
  input  logic [63:0]  dst_i,
  input  logic [31:0]  n_i,
  input  logic         zero_i,
  output logic         busy_o,
  output logic         done_o,
  // Digests from the sponge (AXI4-Stream)
  input  logic         s_tvalid_i,
  output logic         s_tready_o,
  input  logic [255:0] s_tdata_i,
  // Memory write port
  output logic         wr_valid_o,
  input  logic         wr_ready_i,
  output logic [63:0]  wr_addr_o,
  output logic [255:0] wr_data_o
);
  logic        active_q, zero_q, done_q;
  logic [63:0] addr_q;
  logic [31:0] left_q;
  logic        wr_fire;

  assign wr_valid_o = active_q && (zero_q || s_tvalid_i);
  assign wr_addr_o = addr_q;
  assign wr_data_o = zero_q ? '0 : s_tdata_i;
  assign s_tready_o = active_q && !zero_q && wr_ready_i;
  assign wr_fire = wr_valid_o && wr_ready_i;
  assign busy_o = active_q;
  assign done_o = done_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q <= 1'b0;
      zero_q <= 1'b0;
      done_q <= 1'b0;
      addr_q <= '0;
      left_q <= '0;
    end else begin
      done_q <= 1'b0;
      if (start_i) begin
        zero_q <= zero_i;
        addr_q <= dst_i;
        left_q <= n_i;
        active_q <= n_i != '0;
        done_q <= n_i == '0;
      end else if (wr_fire) begin
        addr_q <= addr_q + 64'd32;
        left_q <= left_q - 32'd1;
        if (left_q == 32'd1) begin
          active_q <= 1'b0;
          done_q <= 1'b1;
        end
      end
    end
  end
endmodule
