// SPDX-License-Identifier: Apache-2.0
// The kernel's AXI4-Lite register file with ap_ctrl_hs control, laid out by the spec
// (rtl/spec/loom_fpga_kernel.json -> loom_fpga_regs_pkg):
//   CTRL: ap_start (set by writing 1, cleared when the kernel takes the job), ap_done (clear on
//         read), ap_idle, ap_ready (clear on read); GIE, IER, ISR (write 1 to toggle);
//   the arguments src, dst (64-bit, lo/hi words), n_rows, row_len, mode, with byte strobes.
// A job starts (start_o) when ap_start is set and the kernel is idle; the arguments are then
// the registers' values at that clock (the kernel copies them), and ap_ready says so.
module loom_p2_regs (
  input  logic                                   clk_i,
  input  logic                                   rst_ni,
  // AXI4-Lite slave
  input  logic                                   s_awvalid_i,
  output logic                                   s_awready_o,
  input  logic [loom_fpga_regs_pkg::RegAddrBits-1:0] s_awaddr_i,
  input  logic                                   s_wvalid_i,
  output logic                                   s_wready_o,
  input  logic [31:0]                            s_wdata_i,
  input  logic [3:0]                             s_wstrb_i,
  output logic                                   s_bvalid_o,
  input  logic                                   s_bready_i,
  output logic [1:0]                             s_bresp_o,
  input  logic                                   s_arvalid_i,
  output logic                                   s_arready_o,
  input  logic [loom_fpga_regs_pkg::RegAddrBits-1:0] s_araddr_i,
  output logic                                   s_rvalid_o,
  input  logic                                   s_rready_i,
  output logic [31:0]                            s_rdata_o,
  output logic [1:0]                             s_rresp_o,
  // To and from the kernel
  input  logic                                   idle_i,
  input  logic                                   done_i,
  output logic                                   start_o,
  output logic [63:0]                            src_o,
  output logic [63:0]                            dst_o,
  output logic [31:0]                            n_rows_o,
  output logic [31:0]                            row_len_o,
  output logic [31:0]                            mode_o,
  output logic                                   interrupt_o
);
  localparam int unsigned AW = loom_fpga_regs_pkg::RegAddrBits;

  logic        ap_start_q, ap_done_q, ap_ready_q, gie_q;
  logic [1:0]  ier_q, isr_q;
  logic [31:0] src_lo_q, src_hi_q, dst_lo_q, dst_hi_q, n_rows_q, row_len_q, mode_q;

  // Write channel: address and data together, one response each.
  logic          bvalid_q, wr_fire;
  logic [AW-1:0] waddr;
  assign wr_fire = s_awvalid_i && s_wvalid_i && !bvalid_q;
  assign s_awready_o = wr_fire;
  assign s_wready_o = wr_fire;
  assign s_bvalid_o = bvalid_q;
  assign s_bresp_o = 2'b00;
  assign waddr = {s_awaddr_i[AW-1:2], 2'b00};

  // Read channel: one outstanding read; clear-on-read takes effect when the address is taken.
  logic          rvalid_q, rd_fire;
  logic [31:0]   rdata_q, rdata_d;
  logic [AW-1:0] raddr;
  assign s_arready_o = !rvalid_q;
  assign rd_fire = s_arvalid_i && !rvalid_q;
  assign s_rvalid_o = rvalid_q;
  assign s_rdata_o = rdata_q;
  assign s_rresp_o = 2'b00;
  assign raddr = {s_araddr_i[AW-1:2], 2'b00};
  logic unused_addr_lsb;   // registers are 32-bit words: the byte offset within one is ignored
  assign unused_addr_lsb = ^{s_awaddr_i[1:0], s_araddr_i[1:0]};

  logic ctrl_read;
  assign ctrl_read = rd_fire && raddr == loom_fpga_regs_pkg::RegCtrl;
  assign start_o = ap_start_q && idle_i;

  always_comb begin
    rdata_d = '0;
    unique case (raddr)
      loom_fpga_regs_pkg::RegCtrl: begin
        rdata_d[loom_fpga_regs_pkg::CtrlApStartBit] = ap_start_q;
        rdata_d[loom_fpga_regs_pkg::CtrlApDoneBit] = ap_done_q;
        rdata_d[loom_fpga_regs_pkg::CtrlApIdleBit] = idle_i;
        rdata_d[loom_fpga_regs_pkg::CtrlApReadyBit] = ap_ready_q;
      end
      loom_fpga_regs_pkg::RegGie: rdata_d[loom_fpga_regs_pkg::GieEnableBit] = gie_q;
      loom_fpga_regs_pkg::RegIer: rdata_d[1:0] = ier_q;
      loom_fpga_regs_pkg::RegIsr: rdata_d[1:0] = isr_q;
      loom_fpga_regs_pkg::RegSrcLo: rdata_d = src_lo_q;
      loom_fpga_regs_pkg::RegSrcHi: rdata_d = src_hi_q;
      loom_fpga_regs_pkg::RegDstLo: rdata_d = dst_lo_q;
      loom_fpga_regs_pkg::RegDstHi: rdata_d = dst_hi_q;
      loom_fpga_regs_pkg::RegNRows: rdata_d = n_rows_q;
      loom_fpga_regs_pkg::RegRowLen: rdata_d = row_len_q;
      loom_fpga_regs_pkg::RegMode: rdata_d = mode_q;
      default: rdata_d = '0;
    endcase
  end

  // Byte strobes: a written register becomes (old & ~wmask) | (wdata & wmask).
  logic [31:0] wmask, wbits;
  assign wmask = {{8{s_wstrb_i[3]}}, {8{s_wstrb_i[2]}}, {8{s_wstrb_i[1]}}, {8{s_wstrb_i[0]}}};
  assign wbits = s_wdata_i & wmask;

  logic [1:0] isr_toggle, isr_events;
  always_comb begin
    isr_toggle = (wr_fire && s_wstrb_i[0] && waddr == loom_fpga_regs_pkg::RegIsr) ? s_wdata_i[1:0] : 2'b00;
    isr_events = '0;
    isr_events[loom_fpga_regs_pkg::IsrDoneBit] = done_i && ier_q[loom_fpga_regs_pkg::IerDoneBit];
    isr_events[loom_fpga_regs_pkg::IsrReadyBit] = start_o && ier_q[loom_fpga_regs_pkg::IerReadyBit];
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bvalid_q <= 1'b0;
      rvalid_q <= 1'b0;
      rdata_q <= '0;
      ap_start_q <= 1'b0;
      ap_done_q <= 1'b0;
      ap_ready_q <= 1'b0;
      gie_q <= 1'b0;
      ier_q <= '0;
      isr_q <= '0;
      src_lo_q <= '0;
      src_hi_q <= '0;
      dst_lo_q <= '0;
      dst_hi_q <= '0;
      n_rows_q <= '0;
      row_len_q <= '0;
      mode_q <= '0;
    end else begin
      if (wr_fire) bvalid_q <= 1'b1;
      else if (s_bready_i) bvalid_q <= 1'b0;
      if (rd_fire) begin
        rvalid_q <= 1'b1;
        rdata_q <= rdata_d;
      end else if (s_rready_i) begin
        rvalid_q <= 1'b0;
      end

      // ap_start: set by a write of 1; cleared when the job is taken.
      if (start_o) ap_start_q <= 1'b0;
      else if (wr_fire && waddr == loom_fpga_regs_pkg::RegCtrl && s_wstrb_i[0] &&
               s_wdata_i[loom_fpga_regs_pkg::CtrlApStartBit]) ap_start_q <= 1'b1;
      // ap_done and ap_ready: set by the event, cleared by a read of CTRL (an event wins).
      ap_done_q <= done_i || (ap_done_q && !ctrl_read);
      ap_ready_q <= start_o || (ap_ready_q && !ctrl_read);

      if (wr_fire && s_wstrb_i[0]) begin
        if (waddr == loom_fpga_regs_pkg::RegGie) gie_q <= s_wdata_i[loom_fpga_regs_pkg::GieEnableBit];
        if (waddr == loom_fpga_regs_pkg::RegIer) ier_q <= s_wdata_i[1:0];
      end
      isr_q <= (isr_q ^ isr_toggle) | isr_events;

      if (wr_fire) begin
        unique case (waddr)
          loom_fpga_regs_pkg::RegSrcLo: src_lo_q <= (src_lo_q & ~wmask) | wbits;
          loom_fpga_regs_pkg::RegSrcHi: src_hi_q <= (src_hi_q & ~wmask) | wbits;
          loom_fpga_regs_pkg::RegDstLo: dst_lo_q <= (dst_lo_q & ~wmask) | wbits;
          loom_fpga_regs_pkg::RegDstHi: dst_hi_q <= (dst_hi_q & ~wmask) | wbits;
          loom_fpga_regs_pkg::RegNRows: n_rows_q <= (n_rows_q & ~wmask) | wbits;
          loom_fpga_regs_pkg::RegRowLen: row_len_q <= (row_len_q & ~wmask) | wbits;
          loom_fpga_regs_pkg::RegMode: mode_q <= (mode_q & ~wmask) | wbits;
          default: ;
        endcase
      end
    end
  end

  assign src_o = {src_hi_q, src_lo_q};
  assign dst_o = {dst_hi_q, dst_lo_q};
  assign n_rows_o = n_rows_q;
  assign row_len_o = row_len_q;
  assign mode_o = mode_q;
  assign interrupt_o = gie_q && (isr_q != '0);
endmodule
