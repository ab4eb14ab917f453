// SPDX-License-Identifier: Apache-2.0
// Multiplication by the magnitude of one internal-diagonal entry, with shifts and adds only:
//   IsInv = 0: x * m for m in 1..4, then the excess multiples of p subtracted;
//   IsInv = 1: x * 2^-n. With x = hi 2^n + lo and 2^-k = -r mod p (p = r 2^k + 1):
//              x 2^-n = hi + lo 2^(k-n) 2^-k = hi - r lo 2^(k-n)  (mod p), in (-p, 2^(31-n)),
//              so one conditional +p makes it canonical.
// The sign of the entry is applied by the caller (it adds p - d instead of d). Latency DiagLatency.
module loom_p2_diag_mul #(
  parameter bit          IsInv = 1'b0,
  parameter int unsigned Mag = 1
) (
  input  logic                              clk_i,
  input  logic [loom_p2_pkg::FieldBits-1:0] x_i,
  output logic [loom_p2_pkg::FieldBits-1:0] d_o
);
  localparam int unsigned FB = loom_p2_pkg::FieldBits;
  localparam int unsigned FieldK = loom_p2_consts_pkg::FieldK;
  localparam logic [31:0] FieldP = loom_p2_consts_pkg::FieldP;
  localparam logic [31:0] FieldR = loom_p2_consts_pkg::FieldR;
  localparam int unsigned RA = $clog2(FieldR + 1);

  logic [FB-1:0] d_q;
  if (IsInv) begin : g_inv
    if (Mag < 1 || Mag > FieldK) begin : g_bad_mag
      $error("loom_p2_diag_mul: 2^-n needs 1 <= n <= k");
    end
    logic [FB+1:0] x, hi, lo, lo_r, v, v_q;
    logic [FB-1:0] v_p;
    assign x = (FB+2)'(x_i);
    assign hi = x >> Mag;
    assign lo = x & (FB+2)'((64'd1 << Mag) - 1);
    assign lo_r = ((lo << RA) - lo) << (FieldK - Mag);
    assign v = hi - lo_r;
    assign v_p = v_q[FB-1:0] + FieldP[FB-1:0];
    always_ff @(posedge clk_i) begin
      v_q <= v;
      d_q <= v_q[FB+1] ? v_p[FB-1:0] : v_q[FB-1:0];
    end
  end else begin : g_int
    if (Mag < 1 || Mag > 4) begin : g_bad_mag
      $error("loom_p2_diag_mul: small integers 1..4 only");
    end
    logic [FB+1:0] x, m_q;
    logic [FB-1:0] r;
    assign x = (FB+2)'(x_i);
    always_ff @(posedge clk_i) begin
      m_q <= (Mag == 1) ? x : (Mag == 2) ? x << 1 : (Mag == 3) ? (x << 1) + x : x << 2;
    end
    loom_p2_csub #(.InBits(FB+2), .Mult(Mag)) u_csub (.v_i (m_q), .r_o (r));
    always_ff @(posedge clk_i) d_q <= r;
  end
  assign d_o = d_q;
endmodule
