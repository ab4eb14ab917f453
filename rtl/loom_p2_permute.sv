// SPDX-License-Identifier: Apache-2.0
// The Poseidon2 permutation (width 16, Plonky3's round structure), fully pipelined: a new state
// may enter on every clock and leaves PermLatency clocks later, in order, with its tag. There is
// no stall: the caller only issues what it can take back (loom_p2_sponge counts credits).
// Words in and out are canonical u32 (like loom_poseidon2_permute); inside, the state is in
// Montgomery form. Inputs >= p are reduced mod p on the way in, as the host reference does.
//
//   to Montgomery (16 products by 2^64 mod p)                         MulLatency
//   M_E + RC_ext_initial[0]                                           ExtLayerLatency
//   4 x (S-box, M_E + next constants)                                 4 (SboxLatency + ExtLayerLatency)
//   RoundsP x internal round (word 0's constant added by the layer before) RoundsP IntRoundLatency
//   4 x (S-box, M_E + next constants); the last M_E leaves Montgomery form  4 (SboxLatency + ExtLayerLatency)
module loom_p2_permute #(
  parameter int unsigned TagBits = 1
) (
  input  logic                                     clk_i,
  input  logic                                     rst_ni,
  input  logic                                     in_valid_i,
  input  logic [loom_p2_consts_pkg::Width*32-1:0] in_state_i,
  input  logic [TagBits-1:0]                       in_tag_i,
  output logic                                     out_valid_o,
  output logic [loom_p2_consts_pkg::Width*32-1:0] out_state_o,
  output logic [TagBits-1:0]                       out_tag_o
);
  localparam int unsigned Width = loom_p2_consts_pkg::Width;
  localparam int unsigned HalfF = loom_p2_consts_pkg::RoundsF / 2;
  localparam int unsigned RoundsP = loom_p2_consts_pkg::RoundsP;
  localparam int unsigned FB = loom_p2_pkg::FieldBits;
  localparam int unsigned SW = Width * FB;
  localparam int unsigned RcW = Width * 32;
  localparam int unsigned ExtRound = loom_p2_pkg::SboxLatency + loom_p2_pkg::ExtLayerLatency;
  localparam int unsigned PermLatency = loom_p2_pkg::MulLatency + loom_p2_pkg::ExtLayerLatency
                                      + HalfF * ExtRound + RoundsP * loom_p2_pkg::IntRoundLatency
                                      + HalfF * ExtRound;

  if (PermLatency != loom_fpga_regs_pkg::SpecPermLatency) begin : g_bad_latency
    $error("loom_p2_permute: the pipeline's latency differs from perm_latency_cycles in the spec");
  end
  if (Width != loom_fpga_regs_pkg::SpecWidth) begin : g_bad_width
    $error("loom_p2_permute: the width differs from the spec's");
  end

  // Round constants of word 0 only (the internal rounds'), as a full-width constant vector.
  function automatic logic [RcW-1:0] word0(input logic [31:0] c);
    word0 = {{(RcW-32){1'b0}}, c};
  endfunction

  // To Montgomery form.
  logic [SW-1:0] monty;
  for (genvar i = 0; i < Width; i++) begin : g_to_monty
    loom_p2_mont_mul #(.ABits(32)) u_mul (
      .clk_i (clk_i),
      .a_i   (in_state_i[32*i +: 32]),
      .b_i   (FB'(loom_p2_consts_pkg::MontyR2)),
      .r_o   (monty[i*FB +: FB])
    );
  end

  // The state between layers: stage s of the chain at bits [s*SW +: SW].
  //   0: after the first M_E; 1..HalfF: after each initial round; then one per internal round;
  //   then one per final round.
  localparam int unsigned Stages = 1 + HalfF + RoundsP + HalfF;
  logic [Stages*SW-1:0] chain;

  loom_p2_ext_layer #(.Rc(loom_p2_consts_pkg::RcExtInitial[0 +: RcW])) u_first_layer (
    .clk_i (clk_i),
    .x_i   (monty),
    .y_o   (chain[0 +: SW])
  );

  // Initial and final external rounds: S-box on every word, then M_E with the next constants.
  // (Indices in branches not taken are wrapped so that every select stays in range.)
  for (genvar r = 0; r < 2 * HalfF; r++) begin : g_ext
    localparam int unsigned InStage = (r < HalfF) ? r : r + RoundsP;
    localparam logic [RcW-1:0] Next =
        (r + 1 < HalfF)  ? loom_p2_consts_pkg::RcExtInitial[((r + 1) % HalfF) * RcW +: RcW] :
        (r + 1 == HalfF) ? word0(loom_p2_consts_pkg::RcInternal[0 +: 32]) :
        (r + 1 < 2 * HalfF) ? loom_p2_consts_pkg::RcExtFinal[((r + 1) % HalfF) * RcW +: RcW] : '0;
    logic [SW-1:0] boxed;
    for (genvar i = 0; i < Width; i++) begin : g_sbox
      loom_p2_sbox u_sbox (
        .clk_i (clk_i),
        .x_i   (chain[InStage*SW + i*FB +: FB]),
        .y_o   (boxed[i*FB +: FB])
      );
    end
    loom_p2_ext_layer #(.Rc(Next), .FromMonty(r + 1 == 2 * HalfF)) u_layer (
      .clk_i (clk_i),
      .x_i   (boxed),
      .y_o   (chain[(InStage + 1)*SW +: SW])
    );
  end

  // Internal rounds.
  for (genvar r = 0; r < RoundsP; r++) begin : g_int
    localparam logic [RcW-1:0] Next =
        (r + 1 < RoundsP) ? word0(loom_p2_consts_pkg::RcInternal[((r + 1) % RoundsP)*32 +: 32])
                          : loom_p2_consts_pkg::RcExtFinal[0 +: RcW];
    loom_p2_int_round #(.NextRc(Next)) u_round (
      .clk_i (clk_i),
      .x_i   (chain[(HalfF + r)*SW +: SW]),
      .y_o   (chain[(HalfF + 1 + r)*SW +: SW])
    );
  end

  for (genvar i = 0; i < Width; i++) begin : g_out
    assign out_state_o[32*i +: 32] = {1'b0, chain[(Stages - 1)*SW + i*FB +: FB]};
  end

  // Valid and tag travel beside the state.
  loom_p2_delay #(.Width(1), .Depth(PermLatency), .Reset(1'b1)) u_valid (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .d_i    (in_valid_i),
    .q_o    (out_valid_o)
  );
  loom_p2_delay #(.Width(TagBits), .Depth(PermLatency)) u_tag (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .d_i    (in_tag_i),
    .q_o    (out_tag_o)
  );
endmodule
