#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# loom calibrate writes a model that a config can load: loom devices then shows measured rates,
# and a commit through it gives the same root. calibrate.sh LOOM WORK_DIR
set -eu
loom=$1 work=$2
mkdir -p "$work"
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
rm -f model.yaml
"$loom" calibrate --log-rows 6,8 --cols 4 --repeats 1 --out model.yaml > table.txt || fail "calibrate failed"
grep -q "cpu0 .*hash .* 9 " table.txt || fail "no hash rate at 2^9 rows in the table: $(cat table.txt)"
grep -q "stage: lde, device: cpu0, log_size: 8" model.yaml || fail "model.yaml lacks the LDE entry: $(cat model.yaml)"
printf 'version: 1\nscheduler:\n  model: %s\n' "$work/model.yaml" > with-model.yaml
"$loom" devices --config with-model.yaml | grep -q "measured (model" || fail "loom devices does not show the model"
a=$("$loom" commit --config with-model.yaml --log-rows 8 --cols 4 --json | grep -o '"root": \[[^]]*\]')
b=$("$loom" commit --log-rows 8 --cols 4 --json | grep -o '"root": \[[^]]*\]')
[ "$a" = "$b" ] || fail "root with the model $a, without $b"
# a model file that is missing or malformed is an error that says where
printf 'version: 1\nscheduler:\n  model: %s\n' "$work/none.yaml" > missing.yaml
set +e
msg=$("$loom" commit --config missing.yaml --log-rows 4 2>&1); rc=$?
set -e
[ $rc -ne 0 ] && echo "$msg" | grep -q "loom calibrate" || fail "missing model: rc $rc, $msg"
printf 'version: 1\nentries:\n  - {stage: lde, device: cpu0, log_size: x, rate: 1}\n' > bad-model.yaml
printf 'version: 1\nscheduler:\n  model: %s\n' "$work/bad-model.yaml" > bad.yaml
set +e
msg=$("$loom" devices --config bad.yaml 2>&1); rc=$?
set -e
[ $rc -ne 0 ] && echo "$msg" | grep -q "bad-model.yaml:3:" || fail "bad model: rc $rc, $msg"
set +e
"$loom" calibrate --log-rows 99 >/dev/null 2>&1; rc=$?
set -e
[ $rc = 2 ] || fail "--log-rows 99: exit $rc, expected 2"
echo "calibrate: all checks passed"
