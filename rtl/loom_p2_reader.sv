// SPDX-License-Identifier: Apache-2.0
// Reads a job's input from device memory and turns it into sponge beats (loom_p2_sponge).
//
// Hash mode: rows are row_len u32 each, row-major from src. Rows go in groups of up to Slots
// rows; within a group, block b (8 words, fewer for the last) of every row is read before
// block b + 1 of any, so consecutive beats belong to different rows and a row's next block
// comes Slots beats after its previous one: the permutation pipeline stays full. Context slot
// = row index within its group. Addresses are kept by additions only (no multiplier).
// Compress mode: pair i is 16 words at src + 64 i, one beat each.
//
// The memory port takes requests (byte address, word count 1..16) and answers in order, one
// response per request with the words from bit 0 up. Each request's beat description waits in
// a small FIFO for its data; requests stop when MetaDepth are outstanding.
module loom_p2_reader #(
  parameter int unsigned Slots = loom_fpga_regs_pkg::SpecContextSlots,
  parameter int unsigned MetaDepth = 32
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  // Job start (arguments valid with start_i)
  input  logic                       start_i,
  input  logic                       compress_i,
  input  logic [63:0]                src_i,
  input  logic [31:0]                n_rows_i,
  input  logic [31:0]                row_len_i,
  output logic                       busy_o,
  // Memory read port
  output logic                       rd_req_valid_o,
  input  logic                       rd_req_ready_i,
  output logic [63:0]                rd_req_addr_o,
  output logic [4:0]                 rd_req_words_o,
  input  logic                       rd_rsp_valid_i,
  output logic                       rd_rsp_ready_o,
  input  logic [511:0]               rd_rsp_data_i,
  // Beats to the sponge
  output logic                       m_tvalid_o,
  input  logic                       m_tready_i,
  output logic [511:0]               m_tdata_o,
  output logic                       m_tfirst_o,
  output logic [4:0]                 m_tcount_o,
  output logic [$clog2(Slots)-1:0]   m_tid_o,
  output logic                       m_tlast_o
);
  localparam int unsigned SlotBits = $clog2(Slots);
  localparam int unsigned MetaBits = 1 + 1 + 5 + SlotBits;
  localparam int unsigned MetaAW = $clog2(MetaDepth);

  logic        active_q, compress_q;
  logic [63:0] row_bytes_q, group_base_q, block_base_q, addr_q;
  logic [31:0] rows_left_q;      // rows of this and later groups
  logic [SlotBits:0] group_q;    // rows in this group
  logic [SlotBits:0] j_q;        // row within the group
  logic [28:0] b_q, nb_q;        // block of the row, blocks per row
  logic [3:0]  last_words_q;     // words in a row's last block, 1..8

  logic last_block, req_fire, meta_full;
  logic [4:0] words;
  assign last_block = b_q == nb_q - 1'b1;
  assign words = compress_q ? 5'd16 : (last_block ? {1'b0, last_words_q} : 5'd8);
  assign rd_req_valid_o = active_q && !meta_full;
  assign rd_req_addr_o = addr_q;
  assign rd_req_words_o = words;
  assign req_fire = rd_req_valid_o && rd_req_ready_i;
  assign busy_o = active_q;

  logic [SlotBits:0] n_group_first;
  assign n_group_first = (n_rows_i < 32'(Slots)) ? n_rows_i[SlotBits:0] : (SlotBits+1)'(Slots);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q <= 1'b0;
      compress_q <= 1'b0;
      row_bytes_q <= '0;
      group_base_q <= '0;
      block_base_q <= '0;
      addr_q <= '0;
      rows_left_q <= '0;
      group_q <= '0;
      j_q <= '0;
      b_q <= '0;
      nb_q <= '0;
      last_words_q <= '0;
    end else if (start_i) begin
      compress_q <= compress_i;
      row_bytes_q <= {30'b0, row_len_i, 2'b00};
      group_base_q <= src_i;
      block_base_q <= src_i;
      addr_q <= src_i;
      rows_left_q <= n_rows_i;
      group_q <= n_group_first;
      j_q <= '0;
      b_q <= '0;
      nb_q <= 29'((33'(row_len_i) + 33'd7) >> 3);
      last_words_q <= 4'(((row_len_i - 32'd1) & 32'd7) + 32'd1);
      active_q <= (n_rows_i != '0) && (compress_i || row_len_i != '0);
    end else if (req_fire) begin
      if (compress_q) begin
        addr_q <= addr_q + 64'd64;
        rows_left_q <= rows_left_q - 32'd1;
        if (rows_left_q == 32'd1) active_q <= 1'b0;
      end else if (j_q + 1'b1 < group_q) begin
        j_q <= j_q + 1'b1;
        addr_q <= addr_q + row_bytes_q;
      end else if (!last_block) begin
        j_q <= '0;
        b_q <= b_q + 1'b1;
        block_base_q <= block_base_q + 64'd32;
        addr_q <= block_base_q + 64'd32;
      end else begin
        // Next group: Slots rows further on.
        j_q <= '0;
        b_q <= '0;
        rows_left_q <= rows_left_q - 32'(group_q);
        group_q <= (rows_left_q - 32'(group_q) < 32'(Slots)) ? (SlotBits+1)'(rows_left_q - 32'(group_q))
                                                               : (SlotBits+1)'(Slots);
        group_base_q <= group_base_q + (row_bytes_q << SlotBits);
        block_base_q <= group_base_q + (row_bytes_q << SlotBits);
        addr_q <= group_base_q + (row_bytes_q << SlotBits);
        if (rows_left_q == 32'(group_q)) active_q <= 1'b0;
      end
    end
  end

  // Beat descriptions, in request order.
  logic [MetaBits-1:0] meta_mem_q [MetaDepth];
  logic [MetaAW-1:0]   meta_wr_q, meta_rd_q;
  logic [MetaAW:0]     meta_cnt_q;
  logic [MetaBits-1:0] meta_in, meta_out;
  logic                meta_valid, beat_fire;
  assign meta_in = compress_q ? {1'b1, 1'b1, 5'd16, SlotBits'(0)}
                              : {b_q == '0, last_block, words, SlotBits'(j_q)};
  assign meta_full = meta_cnt_q == (MetaAW+1)'(MetaDepth);
  assign meta_valid = meta_cnt_q != '0;
  assign meta_out = meta_mem_q[meta_rd_q];

  always_ff @(posedge clk_i) begin
    if (req_fire) meta_mem_q[meta_wr_q] <= meta_in;
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      meta_wr_q <= '0;
      meta_rd_q <= '0;
      meta_cnt_q <= '0;
    end else begin
      if (req_fire) meta_wr_q <= meta_wr_q + 1'b1;
      if (beat_fire) meta_rd_q <= meta_rd_q + 1'b1;
      meta_cnt_q <= meta_cnt_q + (MetaAW+1)'(req_fire) - (MetaAW+1)'(beat_fire);
    end
  end

  // A response and its description make a beat.
  assign m_tvalid_o = rd_rsp_valid_i && meta_valid;
  assign rd_rsp_ready_o = m_tready_i && meta_valid;
  assign beat_fire = m_tvalid_o && m_tready_i;
  assign m_tdata_o = rd_rsp_data_i;
  assign {m_tfirst_o, m_tlast_o, m_tcount_o, m_tid_o} = meta_out;
endmodule
