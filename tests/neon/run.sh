#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# CTest `neon_qemu`: cross-compiles tests/neon/test_neon_main.c with the NEON kernels for aarch64
# (static, so qemu-user needs no aarch64 sysroot) and runs it under qemu-aarch64; on a Linux
# aarch64 host it builds natively and runs directly. Passes only when the program exits 0 AND its
# last line reads "N passed, 0 failed". Exits 77 (CTest SKIP_RETURN_CODE) with a "SKIPPED: ..."
# line when the cross toolchain or qemu is missing.
#   usage: run.sh SOURCE_ROOT WORK_DIR
#   env:   LOOM_AARCH64_CC (compiler), LOOM_QEMU_AARCH64 (runner), LOOM_NEON_WERROR=1 (-Werror),
#          LOOM_NEON_SEED (seed passed to the program)
set -u
src=$1
work=$2
skip() {
    echo "SKIPPED: $* (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
    exit 77
}

if [ "$(uname -s)" = Linux ] && [ "$(uname -m)" = aarch64 ]; then
    # Native: the host C library is enough; static linking would need libc.a, which is optional.
    cc=${LOOM_AARCH64_CC:-cc}
    runner=
    ldflags=
else
    cc=${LOOM_AARCH64_CC:-aarch64-linux-gnu-gcc}
    runner=${LOOM_QEMU_AARCH64:-qemu-aarch64}
    ldflags=-static
    command -v "$cc" >/dev/null 2>&1 || skip "$cc not found"
    command -v "$runner" >/dev/null 2>&1 || skip "$runner not found"
fi

mkdir -p "$work" || exit 1
# The compiler without its C library (gcc-aarch64-linux-gnu installed with --no-install-recommends)
# cannot link anything: report that as the missing package rather than as a kernel failure.
printf 'int main(void) { return 0; }\n' >"$work/probe.c"
"$cc" $ldflags "$work/probe.c" -o "$work/probe" >/dev/null 2>&1 || skip "$cc cannot link a static program (no aarch64 libc)"

werror=
[ "${LOOM_NEON_WERROR:-0}" = 1 ] && werror=-Werror
h=$src/host/src
# shellcheck disable=SC2086  # $ldflags and $werror are empty or one flag
"$cc" -std=c17 -O2 -march=armv8-a -Wall -Wextra $werror -D_POSIX_C_SOURCE=200809L -DLOOM_HAVE_KERNELS_NEON \
    -I"$src/host/include" -I"$h" $ldflags \
    "$h/status.c" "$h/field.c" "$h/params_data.c" "$h/poseidon2.c" "$h/cpu_info.c" \
    "$h/cpu/dispatch.c" "$h/cpu/scalar.c" "$h/cpu/neon.c" "$src/tests/neon/test_neon_main.c" \
    -lpthread -o "$work/test_neon" || { echo "FAILED: cross-compiling the NEON test"; exit 1; }

# LOOM_SIMD is cleared so the dispatch check sees the default choice.
if [ -n "$runner" ]; then
    env -u LOOM_SIMD "$runner" "$work/test_neon" ${LOOM_NEON_SEED:-} >"$work/output.txt" 2>&1
else
    env -u LOOM_SIMD "$work/test_neon" ${LOOM_NEON_SEED:-} >"$work/output.txt" 2>&1
fi
rc=$?
cat "$work/output.txt"
if [ "$rc" -ne 0 ]; then
    echo "FAILED: test_neon exited with $rc"
    exit 1
fi
tail -n 1 "$work/output.txt" | grep -Eq '^[0-9]+ passed, 0 failed$' || { echo "FAILED: no final 'N passed, 0 failed' line"; exit 1; }
exit 0
