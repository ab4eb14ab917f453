#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One call on a GPU machine: build with CUDA, run the whole test suite (the GPU tests included),
# compute-sanitizer memcheck on the GPU tests, then the GPU benchmarks; a short table comes last.
#
#   cuda/run-gpu-checks.sh [--quick] [--multi]     (from the repository root)
#
# --quick: small benchmark sizes. --multi: after the tests, the multi-GPU scaling benchmark
# (bench/multi_gpu.sh) instead of memcheck and the single-GPU benchmarks.
#
# Libraries the GPU machine lacks (libyaml, cmocka) can be carried as Debian packages in .debs/:
#   (cd .debs && apt-get download libyaml-0-2 libyaml-dev libcmocka0 libcmocka-dev)
# They are unpacked under /opt/deps, never into /.
set -uo pipefail
cd "$(dirname "$0")/.."
export NCCL_NVLS_ENABLE=0   # NVLink multicast stays off on shared machines
quick=0 multi=0
for a in "$@"; do
  case $a in
    --quick) quick=1 ;;
    --multi) multi=1 ;;
    *) echo "run-gpu-checks.sh: unknown option '$a' (expected --quick, --multi)" >&2; exit 2 ;;
  esac
done
. cuda/gpu-deps.sh
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv,noheader | tee "$out/gpu.txt"
step() { printf '\n==== %s\n' "$*"; }

step build
rm -f build-gpu/CMakeCache.txt   # a fresh configure each call; compiled objects are kept
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOOM_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 $prefix \
  >"$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-gpu -j"$(nproc)" >"$out/build.log" 2>&1 || { grep -E "error|FAILED" "$out/build.log" | head -30; exit 1; }
grep -iE "spill|warning" "$out/build.log" | head -10

step "tests (all, GPU included)"
ctest --test-dir build-gpu --output-on-failure -j8 2>&1 | tee "$out/ctest.log" | tail -15
tests_rc=${PIPESTATUS[0]}
grep -E "GPU tests on|SKIPPED" build-gpu/Testing/Temporary/LastTest.log | head -3

if [ $multi = 1 ]; then
  step "multi-GPU scaling"
  bench/multi_gpu.sh build-gpu/loom --json "$out/multi-gpu.json" | tee "$out/multi-gpu.txt"
  multi_rc=${PIPESTATUS[0]}
  build-gpu/loom devices | tee "$out/devices.txt"
  step summary
  printf '%-28s %s\n' "tests" "$([ "$tests_rc" = 0 ] && echo passed || echo FAILED)" \
    "multi-GPU benchmark" "$([ "$multi_rc" = 0 ] && echo ran || echo FAILED)"
  [ "$tests_rc" = 0 ] && [ "$multi_rc" = 0 ]
  exit
fi

step "compute-sanitizer memcheck (GPU tests, quick sizes)"
san_rc=0
if command -v compute-sanitizer >/dev/null; then
  LOOM_TEST_QUICK=1 compute-sanitizer --tool memcheck --leak-check full --error-exitcode 9 build-gpu/tests/test_cuda \
    >"$out/memcheck.log" 2>&1
  san_rc=$?
  tail -4 "$out/memcheck.log"
else
  echo "compute-sanitizer not found"
fi

step benchmarks
bench_args=()
[ $quick = 1 ] && bench_args+=(--quick)
build-gpu/loom-cuda-bench "${bench_args[@]}" --ntt-sweep | tee "$out/ntt-sweep.txt"
build-gpu/loom-cuda-bench "${bench_args[@]}" --output "$out/cuda-bench.json" | tee "$out/cuda-bench.txt"
bench_rc=${PIPESTATUS[0]}
build-gpu/loom devices | tee "$out/devices.txt"

step summary
printf '%-28s %s\n' "tests" "$([ "$tests_rc" = 0 ] && echo passed || echo FAILED)" \
  "compute-sanitizer memcheck" "$([ "$san_rc" = 0 ] && echo clean || echo "FAILED ($san_rc)")" \
  "benchmarks" "$([ "$bench_rc" = 0 ] && echo ran || echo FAILED)"
cat "$out/cuda-bench.txt"
[ "$tests_rc" = 0 ] && [ "$san_rc" = 0 ] && [ "$bench_rc" = 0 ]
