# SPDX-License-Identifier: Apache-2.0
# Included from tests/CMakeLists.txt. `neon_qemu`: the NEON kernels (host/src/cpu/neon.c) against
# the scalar table, cross-compiled for aarch64 at test time and run under qemu-aarch64 (natively
# on an aarch64 Linux host). It needs only aarch64-linux-gnu-gcc with the aarch64 libc and
# qemu-user, no aarch64 cmocka or libyaml; without them it reports itself skipped (exit 77).
add_test(NAME neon_qemu COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/run.sh ${PROJECT_SOURCE_DIR}
                                   ${CMAKE_CURRENT_BINARY_DIR}/neon_qemu)
set_tests_properties(neon_qemu PROPERTIES SKIP_RETURN_CODE 77 LABELS "unit" TIMEOUT 300)
if(LOOM_WERROR)
  set_tests_properties(neon_qemu PROPERTIES ENVIRONMENT "LOOM_NEON_WERROR=1")
endif()
