#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A commit spread over the devices of CONFIG must give the single-CPU root: as configured, with a
# fault injected into each device in turn, with each device removed mid-run (it fails every chunk
# from its 2nd on), and for a batch of shards. At least two devices must have done some of the
# work (with a route that makes a kind the fallback, its devices only step in on failures).
# mixed.sh LOOM CONFIG REFERENCE_CONFIG
set -eu
loom=$1 cfg=$2 ref_cfg=$3
fail() { echo "FAIL: $*"; exit 1; }
args="--log-rows 12 --cols 16 --seed 5 --json"
root() { grep -o '"root": \[[^]]*\]' | head -1; }

ref=$("$loom" commit --config "$ref_cfg" $args | root)
[ -n "$ref" ] || fail "no root from the reference run"
# Which device takes which chunk depends on timing: on a loaded machine one worker can empty the
# queue before the other starts, so "two devices did work" gets three tries; the root, none.
for try in 1 2 3; do
  out=$("$loom" commit --config "$cfg" $args) || fail "commit with $cfg failed"
  got=$(echo "$out" | root)
  [ "$got" = "$ref" ] || fail "root with $cfg: $got, want $ref"
  busy=$(echo "$out" | grep -o '"busy_s": [0-9.]*' | awk '$2 > 0' | wc -l)
  [ "$busy" -ge 2 ] && break
done
ids=$(echo "$out" | grep -o '{"id": "[a-z0-9_]*", "lde_columns"' | sed 's/{"id": "\([a-z0-9_]*\)".*/\1/')
[ "$(echo "$ids" | wc -w)" -ge 2 ] || fail "expected several devices in $cfg, got: $ids"
[ "$busy" -ge 2 ] || fail "fewer than two devices did work in 3 runs: $(echo "$out" | grep -o '"devices": .*')"
echo "ok: $cfg gives the reference root; devices: $(echo $ids); $busy of them did work"

for id in $ids; do
  for spec in "$id:2" "$id:2+"; do
    got=$(LOOM_INJECT_FAULT=$spec "$loom" commit --config "$cfg" $args | root) || fail "LOOM_INJECT_FAULT=$spec: commit failed"
    [ "$got" = "$ref" ] || fail "LOOM_INJECT_FAULT=$spec: root $got, want $ref"
    echo "ok: LOOM_INJECT_FAULT=$spec gives the reference root"
  done
done

# a batch of shards
want=$("$loom" commit --config "$ref_cfg" --log-rows 8 --cols 5 --shards 3 --json | grep -o '"roots": .*\]\]')
got=$("$loom" commit --config "$cfg" --log-rows 8 --cols 5 --shards 3 --json | grep -o '"roots": .*\]\]')
[ "$got" = "$want" ] || fail "shard roots differ: $got, want $want"
first=$(echo $ids | awk '{print $1}')
got=$(LOOM_INJECT_FAULT=$first:3 "$loom" commit --config "$cfg" --log-rows 8 --cols 5 --shards 3 --json | grep -o '"roots": .*\]\]')
[ "$got" = "$want" ] || fail "shard roots with LOOM_INJECT_FAULT=$first:3 differ: $got, want $want"
echo "ok: a batch of 3 shards gives the reference roots, also with a fault in $first"

# a bad injection spec, and one naming an absent device, are usage errors that say so
set +e
msg=$(LOOM_INJECT_FAULT=nosuch:1 "$loom" commit --config "$cfg" $args 2>&1 >/dev/null); rc=$?
set -e
[ $rc -ne 0 ] || fail "LOOM_INJECT_FAULT=nosuch:1 was accepted"
echo "$msg" | grep -q "nosuch" || fail "message does not name the device: $msg"
echo "mixed: all checks passed"
