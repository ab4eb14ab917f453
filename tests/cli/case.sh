#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One CLI test case: case.sh RC STDOUT_RE STDERR_RE ABSENT_FILE -- COMMAND ARGS...
# Runs the command; fails unless it exits with RC, stdout matches STDOUT_RE, stderr matches
# STDERR_RE (extended regexes, '-' = no check) and ABSENT_FILE ('-' = none) does not exist after.
set -u
want_rc=$1 out_re=$2 err_re=$3 absent=$4
shift 4
[ "$1" = "--" ] && shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
[ "$absent" != "-" ] && rm -f "$absent"
"$@" >"$out" 2>"$err"
rc=$?
fail=0
if [ "$rc" != "$want_rc" ]; then echo "FAIL: exit code $rc, expected $want_rc"; fail=1; fi
if [ "$out_re" != "-" ] && ! grep -Eq -- "$out_re" "$out"; then echo "FAIL: stdout does not match /$out_re/"; fail=1; fi
if [ "$err_re" != "-" ] && ! grep -Eq -- "$err_re" "$err"; then echo "FAIL: stderr does not match /$err_re/"; fail=1; fi
if [ "$absent" != "-" ] && ls "$absent"* >/dev/null 2>&1; then echo "FAIL: '$absent' (or a temporary of it) was left behind"; fail=1; fi
if [ $fail = 1 ]; then
  echo "command: $*"
  echo "--- stdout"; head -c 4000 "$out"
  echo "--- stderr"; head -c 4000 "$err"
fi
exit $fail
