#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The NTT work loop on a GPU machine, in one call: build loom-cuda-bench and test_cuda, run the
# GPU tests, time the NTT and the LDE (loom-cuda-bench --only ntt,lde), count the SASS
# instructions of each NTT pass kernel, and with --ncu profile the passes of the benchmark's
# forward NTT (2^24 x 32) and coset LDE (2^24 -> 2^25 x 32) with Nsight Compute: per pass, time,
# DRAM and SM throughput, occupancy, issue activity. Full reports land in $OUT.
#
#   cuda/profile-ntt.sh [--ncu] [--no-test]   (from the repository root; carry .debs as
#                                               run-gpu-checks.sh says)
set -uo pipefail
use_ncu=0 run_tests=1
for a in "$@"; do
  case $a in
    --ncu) use_ncu=1 ;;
    --no-test) run_tests=0 ;;
    *) echo "profile-ntt.sh: unknown option '$a' (expected --ncu, --no-test)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
. cuda/gpu-deps.sh
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv,noheader
rm -f build-gpu/CMakeCache.txt
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOOM_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 $prefix \
  >"$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-gpu -j"$(nproc)" --target loom-cuda-bench test_cuda >"$out/build.log" 2>&1 ||
  { grep -E "error|FAILED" "$out/build.log" | head -30; exit 1; }
grep -iE "spill" "$out/build.log" | head -5
rc=0
if [ $run_tests = 1 ]; then
  build-gpu/tests/test_cuda >"$out/test_cuda.log" 2>&1 || rc=1
  grep -E "PASSED|FAILED|GPU tests" "$out/test_cuda.log" | head -8
fi
build-gpu/loom-cuda-bench --only ntt,lde | tee "$out/bench.txt" | tail -3
[ "${NTT_SWEEP:-0}" = 1 ] && build-gpu/loom-cuda-bench --ntt-sweep | tee "$out/sweep.txt"
# SASS instructions per NTT pass kernel (static count, and the share of the main kinds).
obj=$(find build-gpu -name 'loom_cuda.cu.o' | head -1)
if command -v cuobjdump >/dev/null && [ -n "$obj" ]; then
  cuobjdump -sass "$obj" >"$out/sass.txt" 2>/dev/null
  awk '/Function : .*ntt_kernel/ {name=$3; n[name]=0} /^ +\/\*[0-9a-f]+\*\/ +[A-Z@]/ {if (name!="") {n[name]++; op=$2; if (op ~ /^@/) op=$3; sub(/\..*/, "", op); c[name "," op]++}} /^ +\.\.\.\.\.\.\.\./ {name=""}
       END {for (k in n) {printf "%-60s %6d ", k, n[k]; for (o in c) {split(o, q, ","); if (q[1]==k && c[o] * 20 > n[k]) printf " %s:%d", q[2], c[o]} printf "\n"}}' \
    "$out/sass.txt" | sort | grep -E "ILb1ELi(7|11|12)E|ILb0ELi(7|11|12)E" | sed -E 's/_Z10ntt_kernelILb([01])ELi([0-9]+)E[^ ]*/dif=\1 K=\2/'
fi
[ $use_ncu = 1 ] || exit $rc
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
[ -n "$ncu" ] || { echo "profile-ntt.sh: ncu not found"; exit 1; }
# With --only, the bench's first pass kernels are the warm-up run's passes: 3 for the NTT, 5 for
# the LDE (the inverse's two lower passes, the fused pass, the forward's two lower passes).
parts=${NTT_PROFILE_PARTS:-ntt:3 lde:5}
for part in $parts; do
  name=${part%%:*} count=${part##*:}
  "$ncu" --kernel-name "regex:ntt_kernel|lde_fused_kernel" --launch-count "$count" \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section ComputeWorkloadAnalysis \
    --section WarpStateStats --section InstructionStats \
    --metrics sm__inst_executed_pipe_alu.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_fma.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_fmaheavy.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_lsu.avg.pct_of_peak_sustained_active,sm__pipe_alu_cycles_active.avg.pct_of_peak_sustained_active,sm__pipe_fma_cycles_active.avg.pct_of_peak_sustained_active,sm__pipe_fmaheavy_cycles_active.avg.pct_of_peak_sustained_active,sm__pipe_shared_cycles_active.avg.pct_of_peak_sustained_active \
    -o "$out/$name" -f build-gpu/loom-cuda-bench --only "$name" >"$out/ncu-$name.log" 2>&1 || rc=1
  tail -2 "$out/ncu-$name.log"
  "$ncu" -i "$out/$name.ncu-rep" --page raw --csv >"$out/$name-raw.csv" 2>&1
  rm -f "$out/$name.ncu-rep"
  echo "==== $name"
  python3 - "$out/$name-raw.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
h = rows[0]
col = {n: i for i, n in enumerate(h)}
def v(r, n):
    try:
        return float(r[col[n]].replace(",", ""))
    except (KeyError, ValueError):
        return float("nan")
for r in rows[2:]:
    name = r[col["Kernel Name"]].split("(")[0].replace("void ", "")
    print(f"{name:22} {v(r, 'gpu__time_duration.sum'):7.3f} ms  inst {v(r, 'smsp__inst_executed.sum'):.3e}"
          f"  issue {v(r, 'sm__issue_active.avg.pct_of_peak_sustained_elapsed'):4.1f}%"
          f"  occ {v(r, 'sm__warps_active.avg.pct_of_peak_sustained_active'):4.1f}%"
          f"  dram {v(r, 'dram__throughput.avg.pct_of_peak_sustained_elapsed'):4.1f}%")
    pipes = [(n.split('__')[1].split('.')[0], float(r[i])) for n, i in col.items()
             if n.startswith('sm__') and 'pipe_' in n and n.endswith('pct_of_peak_sustained_active') and '.avg.' in n
             and r[i] not in ('', 'n/a') and float(r[i]) > 3]
    stalls = sorted([(float(r[i]), n.replace('smsp__average_warps_issue_stalled_', '').replace('_per_issue_active.ratio', ''))
                     for n, i in col.items() if n.startswith('smsp__average_warps_issue_stalled_') and n.endswith('_per_issue_active.ratio')], reverse=True)[:6]
    print("    pipes", " ".join(f"{a}:{b:.0f}" for a, b in sorted(pipes)))
    print("    stalls", " ".join(f"{b}:{a:.2f}" for a, b in stalls))
PY
done
exit $rc
