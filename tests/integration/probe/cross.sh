#!/usr/bin/env bash
# Build the probe (probe.c) for arm64 and for 32-bit arm (armhf), static, with Debian's
# cross compilers (gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf; scripts/install-deps.sh
# installs them): build/probe-aarch64 and build/probe-armhf, for the arm64 lab host
# (molecule/arm64). A binary newer than probe.c and this script is kept.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${CONFINE_BUILD_DIR:-$(cd "$HERE/../../.." && pwd)/build}
mkdir -p "$BUILD"
for pair in aarch64:aarch64-linux-gnu-gcc armhf:arm-linux-gnueabihf-gcc; do
  arch=${pair%%:*} cc=${pair#*:} out=$BUILD/probe-${pair%%:*}
  command -v "$cc" >/dev/null || { echo "cross.sh: $cc is missing (make deps installs it)" >&2; exit 1; }
  if [[ -x $out && $out -nt $HERE/probe.c && $out -nt ${BASH_SOURCE[0]} ]]; then
    continue
  fi
  "$cc" -O2 -Wall -Werror -static -pthread -o "$out.tmp" "$HERE/probe.c"
  mv -f "$out.tmp" "$out"
  echo "cross.sh: built $out ($arch)" >&2
done
