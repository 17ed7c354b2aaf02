#!/usr/bin/env bash
# `make demo`: build (or reuse) the lab image, boot the lab host, harden it with
# harden.yml, show what was installed, loaded and verified, and stop the host.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
echo "== 1/4 lab image (built from Debian packages the first time: a few minutes) =="
lab/build-image.sh
echo "== 2/4 booting the lab host (software emulation: about 40 s) =="
LAB_NAME=demo exec lab/with-lab.sh bash scripts/demo-on-lab.sh
