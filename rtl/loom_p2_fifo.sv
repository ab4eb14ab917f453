// SPDX-License-Identifier: Apache-2.0
// A FIFO in block RAM (one synchronous read port) with a two-entry output buffer, so that the
// output is registered and full rate: one push and one pop per clock. The writer must not push
// when full (loom_p2_sponge reserves space before it issues); full_o is there to check that.
module loom_p2_fifo #(
  parameter int unsigned Width = 32,
  parameter int unsigned Depth = 512
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             push_i,
  input  logic [Width-1:0] wdata_i,
  output logic             full_o,
  output logic             valid_o,
  input  logic             ready_i,
  output logic [Width-1:0] rdata_o
);
  localparam int unsigned AW = $clog2(Depth);

  if (Depth != (1 << AW) || Depth < 2) begin : g_bad_depth
    $error("loom_p2_fifo: Depth must be a power of two >= 2");
  end

  logic [Width-1:0] mem_q [Depth];
  logic [AW-1:0]    wr_ptr_q, rd_ptr_q;
  logic [AW:0]      ram_cnt_q;   // written, not yet read out of the RAM
  logic             rd_pend_q;   // a RAM read is in flight: its data is in ram_rdata_q now
  logic [Width-1:0] ram_rdata_q;
  logic [1:0]       ob_cnt_q;
  logic [Width-1:0] ob_q [2];

  logic pop, rd_en;
  logic [1:0] ob_after_pop;
  assign pop = valid_o && ready_i;
  assign ob_after_pop = ob_cnt_q - {1'b0, pop};
  assign rd_en = (ram_cnt_q != '0) && (ob_after_pop + {1'b0, rd_pend_q} < 2'd2);

  always_ff @(posedge clk_i) begin
    if (push_i) mem_q[wr_ptr_q] <= wdata_i;
    if (rd_en) ram_rdata_q <= mem_q[rd_ptr_q];
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_ptr_q <= '0;
      rd_ptr_q <= '0;
      ram_cnt_q <= '0;
      rd_pend_q <= 1'b0;
      ob_cnt_q <= '0;
    end else begin
      if (push_i) wr_ptr_q <= wr_ptr_q + 1'b1;
      if (rd_en) rd_ptr_q <= rd_ptr_q + 1'b1;
      ram_cnt_q <= ram_cnt_q + (AW+1)'(push_i) - (AW+1)'(rd_en);
      rd_pend_q <= rd_en;
      ob_cnt_q <= ob_after_pop + {1'b0, rd_pend_q};
    end
  end

  always_ff @(posedge clk_i) begin
    if (pop) ob_q[0] <= ob_q[1];
    if (rd_pend_q) ob_q[ob_after_pop[0]] <= ram_rdata_q;
  end

  assign valid_o = ob_cnt_q != '0;
  assign rdata_o = ob_q[0];
  assign full_o = ram_cnt_q == (AW+1)'(Depth);
endmodule
