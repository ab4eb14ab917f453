#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Multi-GPU scaling of `loom commit`: the same multi-shard job on 1, 2, 4, ... of this machine's
# GPUs (CUDA_VISIBLE_DEVICES picks them), and one large commit split over them in both modes
# (--multi-gpu exchange and chain; docs/scheduler.md). Prints a table; with --json FILE also
# writes the figures as JSON. Every root of a job must be the same on any number of GPUs.
#
#   bench/multi_gpu.sh LOOM [--log-rows K] [--cols W] [--shards M] [--large-log-rows K] [--json FILE]
set -euo pipefail
loom=$1; shift
log_rows=22 cols=64 shards=16 large=24 json=""
while [ $# -gt 0 ]; do
  case $1 in
    --log-rows) log_rows=$2; shift 2 ;;
    --cols) cols=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --large-log-rows) large=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    --help|-h) sed -n 3,7p "$0"; exit 0 ;;
    *) echo "multi_gpu.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
n_gpus=$(nvidia-smi -L 2>/dev/null | wc -l)
[ "$n_gpus" -ge 1 ] || { echo "SKIPPED: no GPU (nvidia-smi lists none)"; exit 0; }
field() { grep -o "\"$1\": [0-9.e+-]*" | head -1 | awk '{print $2}'; }
rows=()
k=1
while [ $k -le "$n_gpus" ]; do
  vis=$(seq -s, 0 $((k - 1)))
  out=$(CUDA_VISIBLE_DEVICES=$vis "$loom" commit --log-rows "$log_rows" --cols "$cols" --shards "$shards" --json)
  t=$(echo "$out" | field total_s)
  root=$(echo "$out" | grep -o '"roots": \[\[[0-9, ]*' | head -c 60)
  rows+=("shards $k $t $root")
  for mode in exchange chain; do
    [ $k = 1 ] && [ $mode = chain ] && continue
    out=$(CUDA_VISIBLE_DEVICES=$vis "$loom" commit --log-rows "$large" --cols "$cols" --multi-gpu $mode --json)
    t2=$(echo "$out" | field total_s)
    job=large; [ $k = 1 ] || job=large-$mode
    rows+=("$job $k $t2 $(echo "$out" | grep -o '"root": \[[0-9, ]*' | head -c 60)")
  done
  k=$((k * 2))
done
printf '\n%-15s %5s %10s %8s  %s\n' job gpus seconds speedup "first root (must not change)"
for job in shards large large-exchange large-chain; do
  base=""
  for r in "${rows[@]}"; do
    set -- $r
    [ "$1" = "$job" ] || continue
    [ -n "$base" ] || base=$3
    case $job in large-*) base=$large1 ;; large) large1=$3 ;; esac
    printf '%-15s %5s %10.3f %7.2fx  %s\n' "$1" "$2" "$3" "$(awk -v a="$base" -v b="$3" 'BEGIN { print a / b }')" "${*:4}"
  done
done
if [ -n "$json" ]; then
  {
    printf '{"bench": "multi_gpu", "log_rows": %s, "cols": %s, "shards": %s, "large_log_rows": %s, "runs": [' \
      "$log_rows" "$cols" "$shards" "$large"
    sep=""
    for r in "${rows[@]}"; do
      set -- $r
      printf '%s{"job": "%s", "gpus": %s, "total_s": %s}' "$sep" "$1" "$2" "$3"
      sep=", "
    done
    printf ']}\n'
  } > "$json"
fi
