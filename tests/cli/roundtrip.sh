#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# File-level checks of 'loom ntt' and 'loom hash': roundtrips and known digests.
# roundtrip.sh LOOM FIXTURE_DIR WORK_DIR
set -eu
loom=$1 fx=$2 work=$3
mkdir -p "$work"
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }

# dft then inverse dft gives back the input, for both fields and a coset shift
for field in babybear koalabear; do
  "$loom" ntt --field $field --input "$fx/rand_64x5.bin" --rows 64 --cols 5 --output f.bin
  cmp -s f.bin "$fx/rand_64x5.bin" && fail "$field: forward DFT left the data unchanged"
  "$loom" ntt --field $field --input f.bin --rows 64 --cols 5 --inverse --output b.bin
  cmp f.bin b.bin >/dev/null && fail "$field: inverse equals forward"
  cmp b.bin "$fx/rand_64x5.bin" || fail "$field: idft(dft(x)) != x"
  "$loom" ntt --field $field --input "$fx/rand_64x5.bin" --rows 64 --cols 5 --coset-shift 7 --output f.bin
  "$loom" ntt --field $field --input f.bin --rows 64 --cols 5 --coset-shift 7 --inverse --output b.bin
  cmp b.bin "$fx/rand_64x5.bin" || fail "$field: coset idft(coset dft(x)) != x"
done

# The coset LDE of [1,2,3,4] (dft_convention.txt), bit-reversed, BabyBear shift 31
printf '\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00' > v.bin
"$loom" ntt --input v.bin --rows 4 --cols 1 --log-blowup 1 --coset-shift 31 --bit-reverse --output l.bin
got=$(od -An -tu4 -v l.bin | xargs)
want="812971946 1200293019 1200264158 813002729 1583136595 377777163 1514882761 550735333"
[ "$got" = "$want" ] || fail "coset LDE: got [$got], want [$want]"

# hash([0..7]) from merkle_sponge_spec.txt is the digest of row 0 of M8 (M8[r][c] = 8r + c)
"$loom" hash --input "$fx/m8.bin" --rows 8 --cols 8 --output h.bin
[ "$(stat -c %s h.bin)" = 256 ] || fail "hash output is not 8 digests of 32 bytes"
got=$(od -An -tu4 -v -N32 h.bin | xargs)
want="458038305 257183205 1951318676 729287742 1357995677 631765864 502434224 1170329282"
[ "$got" = "$want" ] || fail "hash: got [$got], want [$want]"
"$loom" hash --perm sp1 --input "$fx/m8.bin" --rows 8 --cols 8 --output h.bin
got=$(od -An -tu4 -v -N32 h.bin | xargs)
want="1555239580 128631211 1684116930 960411431 1807324752 830205910 570023255 721299314"
[ "$got" = "$want" ] || fail "hash --perm sp1: got [$got], want [$want]"
echo "roundtrip: all checks passed"
