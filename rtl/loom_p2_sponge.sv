// SPDX-License-Identifier: Apache-2.0
// The sponge and compression controller around the permutation pipeline, with an AXI4-Stream
// input and output that both honour back-pressure.
//
// Input beat: up to 16 words (tdata, word i at bits [32*i +: 32]) that overwrite the first
// tcount words of the state of row context tid; the other words keep that context's state, or
// are zero when tfirst is set. tlast marks a row's last beat: its permutation's first 8 words
// are the digest, sent out in the order the beats came in. So
//   leaf hash (rate 8, overwrite mode): beats of <= 8 words, tfirst on the first, tlast on the last;
//   compression: one beat of 16 words (left || right) with tfirst and tlast.
// A row of several blocks must wait for its previous permutation (PermLatency clocks), so the
// caller interleaves rows (a beat for each of up to Slots rows in turn, loom_p2_reader does this)
// and the pipeline stays full. A beat whose context is still in the pipeline waits (hazard).
// The output FIFO has room for every digest in flight: a tlast beat is only taken while fewer
// than FifoDepth digests are reserved, so a stalled output never loses a permutation.
module loom_p2_sponge #(
  parameter int unsigned Slots = loom_fpga_regs_pkg::SpecContextSlots,
  parameter int unsigned FifoDepth = 512
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // AXI4-Stream in (tuser = {tfirst, tcount})
  input  logic                  s_tvalid_i,
  output logic                  s_tready_o,
  input  logic [loom_p2_consts_pkg::Width*32-1:0] s_tdata_i,
  input  logic                  s_tfirst_i,
  input  logic [4:0]            s_tcount_i,
  input  logic [$clog2(Slots)-1:0] s_tid_i,
  input  logic                  s_tlast_i,
  // AXI4-Stream out: digests
  output logic                  m_tvalid_o,
  input  logic                  m_tready_i,
  output logic [loom_fpga_regs_pkg::SpecDigestWords*32-1:0] m_tdata_o,
  // Observation: a permutation enters / leaves the pipeline (with its output state); a beat
  // waits for its context (hazard) or for output space (credit).
  output logic                  perm_in_o,
  output logic                  perm_out_o,
  output logic [loom_p2_consts_pkg::Width*32-1:0] perm_out_state_o,
  output logic                  hazard_stall_o,
  output logic                  credit_stall_o
);
  localparam int unsigned Width = loom_p2_consts_pkg::Width;
  localparam int unsigned SlotBits = $clog2(Slots);
  localparam int unsigned StateBits = Width * 32;
  localparam int unsigned DigestBits = loom_fpga_regs_pkg::SpecDigestWords * 32;
  localparam int unsigned FB = loom_p2_pkg::FieldBits;
  localparam int unsigned CtxBits = Width * FB;
  localparam int unsigned ResBits = $clog2(FifoDepth + 1);

  if (Slots != (1 << SlotBits)) begin : g_bad_slots
    $error("loom_p2_sponge: Slots must be a power of two");
  end

  // ---- Issue: take a beat when its context is free and, for a last beat, output space is reserved.
  logic [Slots-1:0]   pending_q;
  logic [ResBits-1:0] reserved_q;
  logic hazard, credit_ok, take;
  assign hazard = pending_q[s_tid_i];
  assign credit_ok = !s_tlast_i || (reserved_q != ResBits'(FifoDepth));
  assign s_tready_o = !hazard && credit_ok;
  assign take = s_tvalid_i && s_tready_o;
  assign hazard_stall_o = s_tvalid_i && hazard;
  assign credit_stall_o = s_tvalid_i && !hazard && !credit_ok;

  // Stage A: the beat, and its context read from the store.
  logic                 a_valid_q;
  logic [StateBits-1:0] a_data_q;
  logic                 a_first_q, a_last_q;
  logic [4:0]           a_count_q;
  logic [SlotBits-1:0]  a_tid_q;
  logic [CtxBits-1:0]   ctx_mem_q [Slots];
  logic [CtxBits-1:0]   ctx_rd_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) a_valid_q <= 1'b0;
    else a_valid_q <= take;
  end
  always_ff @(posedge clk_i) begin
    if (take) begin
      a_data_q <= s_tdata_i;
      a_first_q <= s_tfirst_i;
      a_last_q <= s_tlast_i;
      a_count_q <= s_tcount_i;
      a_tid_q <= s_tid_i;
      ctx_rd_q <= ctx_mem_q[s_tid_i];
    end
  end

  logic [StateBits-1:0] perm_in;
  for (genvar i = 0; i < Width; i++) begin : g_absorb
    always_comb begin
      if (5'(i) < a_count_q) perm_in[32*i +: 32] = a_data_q[32*i +: 32];
      else if (a_first_q) perm_in[32*i +: 32] = '0;
      else perm_in[32*i +: 32] = {1'b0, ctx_rd_q[FB*i +: FB]};
    end
  end

  // ---- The permutation.
  logic                 out_valid, out_last;
  logic [StateBits-1:0] out_state;
  logic [SlotBits-1:0]  out_tid;
  loom_p2_permute #(.TagBits(SlotBits + 1)) u_perm (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (a_valid_q),
    .in_state_i  (perm_in),
    .in_tag_i    ({a_tid_q, a_last_q}),
    .out_valid_o (out_valid),
    .out_state_o (out_state),
    .out_tag_o   ({out_tid, out_last})
  );
  assign perm_in_o = a_valid_q;
  assign perm_out_o = out_valid;
  assign perm_out_state_o = out_state;

  // ---- Write-back of a row's state for its next block.
  logic write_back;
  assign write_back = out_valid && !out_last;
  logic [CtxBits-1:0] out_ctx;
  for (genvar i = 0; i < Width; i++) begin : g_ctx
    assign out_ctx[FB*i +: FB] = out_state[32*i +: FB];
  end
  logic unused_out_msb;
  always_comb begin
    unused_out_msb = 1'b0;
    for (int unsigned i = 0; i < Width; i++) unused_out_msb = unused_out_msb ^ out_state[32*i + 31];
  end
  always_ff @(posedge clk_i) begin
    if (write_back) ctx_mem_q[out_tid] <= out_ctx;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pending_q <= '0;
    end else begin
      // A beat is only taken when its own context is not pending, so the two never collide.
      if (write_back) pending_q[out_tid] <= 1'b0;
      if (take && !s_tlast_i) pending_q[s_tid_i] <= 1'b1;
    end
  end

  // ---- Digests out.
  logic fifo_full, m_fire;
  loom_p2_fifo #(.Width(DigestBits), .Depth(FifoDepth)) u_out_fifo (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .push_i  (out_valid && out_last),
    .wdata_i (out_state[DigestBits-1:0]),
    .full_o  (fifo_full),
    .valid_o (m_tvalid_o),
    .ready_i (m_tready_i),
    .rdata_o (m_tdata_o)
  );
  assign m_fire = m_tvalid_o && m_tready_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) reserved_q <= '0;
    else reserved_q <= reserved_q + ResBits'(take && s_tlast_i) - ResBits'(m_fire);
  end

`ifndef SYNTHESIS
  // The reservation makes these impossible; say so loudly if it is ever broken.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
    end else if (out_valid && out_last && fifo_full) begin
      $error("loom_p2_sponge: digest FIFO overflow");
    end
  end
`else
  logic unused_full;
  assign unused_full = fifo_full;
`endif
endmodule
