# SPDX-License-Identifier: Apache-2.0
# The RTL sources in compilation order (packages first), for every tool that reads them: the
# lint test and the yosys script (rtl/CMakeLists.txt) and the Verilator model (sim/model/).
# LOOM_RTL_GEN_DIR must name the folder with the two generated packages.
set(LOOM_RTL_SOURCES
  ${LOOM_RTL_GEN_DIR}/loom_p2_consts_pkg.sv
  ${LOOM_RTL_GEN_DIR}/loom_fpga_regs_pkg.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_pkg.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_delay.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_mont_red.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_mont_mul.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_reduce.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_csub.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_sbox.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_diag_mul.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_ext_layer.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_int_round.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_permute.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_fifo.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_skid.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_sponge.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_reader.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_writer.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_regs.sv
  ${CMAKE_CURRENT_LIST_DIR}/loom_p2_kernel.sv)
