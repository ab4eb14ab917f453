# SPDX-License-Identifier: Apache-2.0
# Sourced by the GPU-machine scripts (run-gpu-checks.sh, profile-ntt.sh) from the repository root:
# unpacks the Debian packages carried in .debs/ (libyaml, cmocka; that machine has no -dev
# packages) under /opt/deps, never into /, and sets `prefix` (cmake arguments) and the pkg-config
# and loader paths to find them there. Also sets `out`, the folder for logs and results.
out=${OUT:-build-gpu/out}
mkdir -p "$out"
prefix=""
if ls .debs/*.deb >/dev/null 2>&1; then
  mkdir -p /opt/deps && for f in .debs/*.deb; do dpkg -x "$f" /opt/deps; done
  prefix="-DCMAKE_PREFIX_PATH=/opt/deps/usr"
  # The packages' .pc files say prefix=/usr: make pkg-config resolve them under /opt/deps.
  export PKG_CONFIG_SYSROOT_DIR=/opt/deps PKG_CONFIG_PATH=/opt/deps/usr/lib/x86_64-linux-gnu/pkgconfig
  export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
fi
