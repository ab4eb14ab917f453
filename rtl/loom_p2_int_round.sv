// SPDX-License-Identifier: Apache-2.0
// One internal round of Poseidon2 on a Montgomery-form state whose word 0 already holds its
// round constant:  y = x0^7;  out_i = (y + sum_{j>0} x_j) + V_i x_i'  with x_0' = y, i.e.
//   out_0 = part - y           (V_0 = -2: sum + V_0 y = part + y - 2y)
//   out_i = part + y +- |V_i| x_i   (i > 0), part = sum_{j>0} x_j
// The S-box on word 0 runs beside the sum of the other words and their diagonal products (shifts
// and adds, loom_p2_diag_mul); those wait in delay lines (shift-register LUTs) for the S-box.
// NextRc (one constant per word, or zero) is added on the way out: the next internal round's
// constant to word 0, or after the last internal round the first final external round's.
// Latency IntRoundLatency = SboxLatency + 2.
module loom_p2_int_round #(
  parameter logic [loom_p2_consts_pkg::Width*32-1:0] NextRc = '0
) (
  input  logic                                                         clk_i,
  input  logic [loom_p2_consts_pkg::Width*loom_p2_pkg::FieldBits-1:0] x_i,
  output logic [loom_p2_consts_pkg::Width*loom_p2_pkg::FieldBits-1:0] y_o
);
  localparam int unsigned Width = loom_p2_consts_pkg::Width;
  localparam int unsigned FB = loom_p2_pkg::FieldBits;
  localparam int unsigned SboxLatency = loom_p2_pkg::SboxLatency;
  localparam int unsigned DiagLatency = loom_p2_pkg::DiagLatency;
  localparam int unsigned RedLatency = loom_p2_pkg::RedLatency;
  localparam logic [31:0] FieldP = loom_p2_consts_pkg::FieldP;
  localparam int unsigned TreeLevels = $clog2(Width - 1);
  localparam int unsigned PartLatency = TreeLevels + RedLatency;
  localparam int unsigned SumBits = FB + TreeLevels;

  if (loom_p2_consts_pkg::DiagNeg[0] != 1'b1 || loom_p2_consts_pkg::DiagIsInv[0] != 1'b0 ||
      loom_p2_consts_pkg::DiagMag[7:0] != 8'd2) begin : g_bad_v0
    $error("loom_p2_int_round: expects V_0 = -2");
  end
  if (PartLatency > SboxLatency || DiagLatency > SboxLatency) begin : g_bad_latency
    $error("loom_p2_int_round: the sum and the diagonal must finish before the S-box");
  end

  // The S-box on word 0.
  logic [FB-1:0] y;
  loom_p2_sbox u_sbox (.clk_i (clk_i), .x_i (x_i[0 +: FB]), .y_o (y));

  // part = sum of words 1..Width-1: an adder tree (one level per stage), then a reduction.
  localparam int unsigned Leaves = 1 << TreeLevels;
  // Nodes of level l are tree_q[Leaves - (Leaves >> l) + n], n < Leaves >> (l + 1).
  logic [SumBits-1:0] tree_q [Leaves-1];
  for (genvar l = 0; l < TreeLevels; l++) begin : g_level
    localparam int unsigned N = Leaves >> (l + 1);
    localparam int unsigned Base = Leaves - (Leaves >> l);
    localparam int unsigned PrevBase = (l == 0) ? 0 : Leaves - (Leaves >> (l - 1));
    for (genvar n = 0; n < N; n++) begin : g_node
      logic [SumBits-1:0] a, b;
      if (l == 0) begin : g_leaf
        assign a = (2*n + 1 < Width) ? SumBits'(x_i[((2*n + 1) % Width)*FB +: FB]) : '0;
        assign b = (2*n + 2 < Width) ? SumBits'(x_i[((2*n + 2) % Width)*FB +: FB]) : '0;
      end else begin : g_inner
        assign a = tree_q[PrevBase + 2*n];
        assign b = tree_q[PrevBase + 2*n + 1];
      end
      always_ff @(posedge clk_i) tree_q[Base + n] <= a + b;
    end
  end
  logic [FB-1:0] part, part_d;
  loom_p2_reduce #(.InBits(SumBits)) u_part_red (
    .clk_i (clk_i),
    .v_i   (tree_q[Leaves - 2]),
    .r_o   (part)
  );
  loom_p2_delay #(.Width(FB), .Depth(SboxLatency - PartLatency)) u_part_d (
    .clk_i  (clk_i),
    .rst_ni (1'b1),
    .d_i    (part),
    .q_o    (part_d)
  );

  // Combine: F1 sums (< 4p), F2 reduces.
  logic [FB+2:0] v_q [Width];
  logic [FB-1:0] r   [Width];
  logic [FB-1:0] out_q [Width];

  always_ff @(posedge clk_i) begin
    v_q[0] <= (FB+3)'(part_d) + (FB+3)'(FieldP) - (FB+3)'(y) + (FB+3)'(NextRc[0 +: 32]);
  end

  for (genvar i = 1; i < Width; i++) begin : g_word
    logic [FB-1:0] d, d_d, term;
    loom_p2_diag_mul #(
      .IsInv (loom_p2_consts_pkg::DiagIsInv[i]),
      .Mag   (32'(loom_p2_consts_pkg::DiagMag[8*i +: 8]))
    ) u_diag (
      .clk_i (clk_i),
      .x_i   (x_i[i*FB +: FB]),
      .d_o   (d)
    );
    loom_p2_delay #(.Width(FB), .Depth(SboxLatency - DiagLatency)) u_d_d (
      .clk_i  (clk_i),
      .rst_ni (1'b1),
      .d_i    (d),
      .q_o    (d_d)
    );
    if (loom_p2_consts_pkg::DiagNeg[i]) begin : g_neg
      assign term = FB'(FieldP - 32'(d_d));
    end else begin : g_pos
      assign term = d_d;
    end
    always_ff @(posedge clk_i) begin
      v_q[i] <= (FB+3)'(part_d) + (FB+3)'(y) + (FB+3)'(term) + (FB+3)'(NextRc[32*i +: 32]);
    end
  end

  for (genvar i = 0; i < Width; i++) begin : g_out
    loom_p2_csub #(.InBits(FB+3), .Mult(4)) u_csub (.v_i (v_q[i]), .r_o (r[i]));
    always_ff @(posedge clk_i) out_q[i] <= r[i];
    assign y_o[i*FB +: FB] = out_q[i];
  end
endmodule
