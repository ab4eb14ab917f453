// SPDX-License-Identifier: Apache-2.0
// The Loom FPGA hashing kernel: Poseidon2 leaf hashing of a row range, or one Merkle level of
// compressions, driven through an ap_ctrl_hs register map (loom_p2_regs) exactly as the HLS
// kernel and the XRT / fpga_sim drivers expect (rtl/spec/loom_fpga_kernel.json, docs/fpga.md).
//
//   regs --start--> reader --beats--> [skid] --> sponge (permutation pipeline) --> writer
//                     |  memory read port                               memory write port |
//
// Device memory is reached through two simple ports: reads (byte address + word count, answered
// in order) and writes (one 32-byte digest each). On a card an AXI4 master adapter sits behind
// them; in simulation the Verilator harness (sim/) serves them, with stalls on both.
// The dbg_* outputs only observe (permutations in and out, stalls); they drive nothing.
module loom_p2_kernel (
  input  logic                                       clk_i,
  input  logic                                       rst_ni,
  // AXI4-Lite control
  input  logic                                       s_axil_awvalid_i,
  output logic                                       s_axil_awready_o,
  input  logic [loom_fpga_regs_pkg::RegAddrBits-1:0] s_axil_awaddr_i,
  input  logic                                       s_axil_wvalid_i,
  output logic                                       s_axil_wready_o,
  input  logic [31:0]                                s_axil_wdata_i,
  input  logic [3:0]                                 s_axil_wstrb_i,
  output logic                                       s_axil_bvalid_o,
  input  logic                                       s_axil_bready_i,
  output logic [1:0]                                 s_axil_bresp_o,
  input  logic                                       s_axil_arvalid_i,
  output logic                                       s_axil_arready_o,
  input  logic [loom_fpga_regs_pkg::RegAddrBits-1:0] s_axil_araddr_i,
  output logic                                       s_axil_rvalid_o,
  input  logic                                       s_axil_rready_i,
  output logic [31:0]                                s_axil_rdata_o,
  output logic [1:0]                                 s_axil_rresp_o,
  output logic                                       interrupt_o,
  // Device memory: reads
  output logic                                       mem_rd_req_valid_o,
  input  logic                                       mem_rd_req_ready_i,
  output logic [63:0]                                mem_rd_req_addr_o,
  output logic [4:0]                                 mem_rd_req_words_o,
  input  logic                                       mem_rd_rsp_valid_i,
  output logic                                       mem_rd_rsp_ready_o,
  input  logic [511:0]                               mem_rd_rsp_data_i,
  // Device memory: writes
  output logic                                       mem_wr_valid_o,
  input  logic                                       mem_wr_ready_i,
  output logic [63:0]                                mem_wr_addr_o,
  output logic [255:0]                               mem_wr_data_o,
  // Observation
  output logic                                       dbg_busy_o,
  output logic                                       dbg_done_o,
  output logic                                       dbg_perm_in_o,
  output logic                                       dbg_perm_out_o,
  output logic [511:0]                               dbg_perm_out_state_o,
  output logic                                       dbg_hazard_stall_o,
  output logic                                       dbg_credit_stall_o
);
  localparam int unsigned Slots = loom_fpga_regs_pkg::SpecContextSlots;
  localparam int unsigned SlotBits = $clog2(Slots);
  localparam int unsigned BeatBits = 512 + 1 + 5 + SlotBits + 1;

  if (loom_p2_consts_pkg::Width != 16 || loom_fpga_regs_pkg::SpecDigestWords != 8) begin : g_bad_shape
    $error("loom_p2_kernel: the memory ports are laid out for width 16 and 8-word digests");
  end

  // ---- Control.
  logic        busy_q, start, done;
  logic [63:0] src, dst;
  logic [31:0] n_rows, row_len, mode;
  loom_p2_regs u_regs (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .s_awvalid_i (s_axil_awvalid_i),
    .s_awready_o (s_axil_awready_o),
    .s_awaddr_i  (s_axil_awaddr_i),
    .s_wvalid_i  (s_axil_wvalid_i),
    .s_wready_o  (s_axil_wready_o),
    .s_wdata_i   (s_axil_wdata_i),
    .s_wstrb_i   (s_axil_wstrb_i),
    .s_bvalid_o  (s_axil_bvalid_o),
    .s_bready_i  (s_axil_bready_i),
    .s_bresp_o   (s_axil_bresp_o),
    .s_arvalid_i (s_axil_arvalid_i),
    .s_arready_o (s_axil_arready_o),
    .s_araddr_i  (s_axil_araddr_i),
    .s_rvalid_o  (s_axil_rvalid_o),
    .s_rready_i  (s_axil_rready_i),
    .s_rdata_o   (s_axil_rdata_o),
    .s_rresp_o   (s_axil_rresp_o),
    .idle_i      (!busy_q),
    .done_i      (done),
    .start_o     (start),
    .src_o       (src),
    .dst_o       (dst),
    .n_rows_o    (n_rows),
    .row_len_o   (row_len),
    .mode_o      (mode),
    .interrupt_o (interrupt_o)
  );

  // A mode the kernel does not know finishes at once and writes nothing.
  logic is_hash, is_compress, known_mode;
  assign is_hash = mode == loom_fpga_regs_pkg::ModeHash;
  assign is_compress = mode == loom_fpga_regs_pkg::ModeCompress;
  assign known_mode = is_hash || is_compress;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) busy_q <= 1'b0;
    else if (start) busy_q <= 1'b1;
    else if (done) busy_q <= 1'b0;
  end
  assign dbg_busy_o = busy_q;
  assign dbg_done_o = done;

  // ---- Reader -> register slice -> sponge -> writer.
  logic                reader_busy;
  logic                rb_valid, rb_ready, rb_first, rb_last;
  logic [511:0]        rb_data;
  logic [4:0]          rb_count;
  logic [SlotBits-1:0] rb_tid;
  loom_p2_reader #(.Slots(Slots)) u_reader (
    .clk_i          (clk_i),
    .rst_ni         (rst_ni),
    .start_i        (start),
    .compress_i     (is_compress),
    .src_i          (src),
    .n_rows_i       (known_mode ? n_rows : 32'd0),
    .row_len_i      (row_len),
    .busy_o         (reader_busy),
    .rd_req_valid_o (mem_rd_req_valid_o),
    .rd_req_ready_i (mem_rd_req_ready_i),
    .rd_req_addr_o  (mem_rd_req_addr_o),
    .rd_req_words_o (mem_rd_req_words_o),
    .rd_rsp_valid_i (mem_rd_rsp_valid_i),
    .rd_rsp_ready_o (mem_rd_rsp_ready_o),
    .rd_rsp_data_i  (mem_rd_rsp_data_i),
    .m_tvalid_o     (rb_valid),
    .m_tready_i     (rb_ready),
    .m_tdata_o      (rb_data),
    .m_tfirst_o     (rb_first),
    .m_tcount_o     (rb_count),
    .m_tid_o        (rb_tid),
    .m_tlast_o      (rb_last)
  );
  logic unused_reader_busy;
  assign unused_reader_busy = reader_busy;

  logic                sb_valid, sb_ready, sb_first, sb_last;
  logic [511:0]        sb_data;
  logic [4:0]          sb_count;
  logic [SlotBits-1:0] sb_tid;
  loom_p2_skid #(.Width(BeatBits)) u_skid (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .valid_i (rb_valid),
    .ready_o (rb_ready),
    .data_i  ({rb_data, rb_first, rb_count, rb_tid, rb_last}),
    .valid_o (sb_valid),
    .ready_i (sb_ready),
    .data_o  ({sb_data, sb_first, sb_count, sb_tid, sb_last})
  );

  logic         dg_valid, dg_ready;
  logic [255:0] dg_data;
  loom_p2_sponge #(.Slots(Slots)) u_sponge (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .s_tvalid_i       (sb_valid),
    .s_tready_o       (sb_ready),
    .s_tdata_i        (sb_data),
    .s_tfirst_i       (sb_first),
    .s_tcount_i       (sb_count),
    .s_tid_i          (sb_tid),
    .s_tlast_i        (sb_last),
    .m_tvalid_o       (dg_valid),
    .m_tready_i       (dg_ready),
    .m_tdata_o        (dg_data),
    .perm_in_o        (dbg_perm_in_o),
    .perm_out_o       (dbg_perm_out_o),
    .perm_out_state_o (dbg_perm_out_state_o),
    .hazard_stall_o   (dbg_hazard_stall_o),
    .credit_stall_o   (dbg_credit_stall_o)
  );

  logic writer_busy;
  loom_p2_writer u_writer (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .start_i    (start),
    .dst_i      (dst),
    .n_i        (known_mode ? n_rows : 32'd0),
    .zero_i     (is_hash && row_len == '0),
    .busy_o     (writer_busy),
    .done_o     (done),
    .s_tvalid_i (dg_valid),
    .s_tready_o (dg_ready),
    .s_tdata_i  (dg_data),
    .wr_valid_o (mem_wr_valid_o),
    .wr_ready_i (mem_wr_ready_i),
    .wr_addr_o  (mem_wr_addr_o),
    .wr_data_o  (mem_wr_data_o)
  );
  logic unused_writer_busy;
  assign unused_writer_busy = writer_busy;
endmodule
