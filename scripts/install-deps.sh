#!/usr/bin/env bash
# Install the Debian packages the tests and the demo need, once.  Safe to re-run:
# it installs only what is missing.  Needs root (the project's machines run as root).
set -euo pipefail
packages=(
  docker.io containerd runc        # the runtimes the profiles are proven against
  podman                           # podman --security-opt seccomp=FILE and its containers.conf default
  bubblewrap                       # bwrap --seccomp consumer
  libseccomp2 python3-seccomp seccomp libseccomp-dev   # libseccomp, its binding, scmp_sys_resolver
  busybox-static gcc libc6-dev     # the probe image: a static probe on a busybox rootfs
  rsync git shellcheck make        # sanity copy, ansible-test, shell lint
  apparmor                         # apparmor_parser -QK checks rendered profiles (no kernel support needed)
  qemu-system-x86 qemu-utils       # the lab hosts (lab/up.sh)
  debootstrap e2fsprogs openssh-client debian-archive-keyring   # their images (lab/build-image.sh)
  qemu-system-arm cpio kmod        # the arm64 lab host: qemu-system-aarch64, its initramfs and module list
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross  # its probes
  chromium                         # headless, renders the fleet report's HTML page (molecule/fleet)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js runs the documented allowlist example; any node on PATH will do.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
# promtool (Debian's prometheus package) checks the node metrics' text-file. Only the tool is
# taken from the package: installing it would start a Prometheus server beside the tests.
PROMTOOL=/usr/local/bin/promtool
need_promtool=0
command -v promtool >/dev/null 2>&1 || need_promtool=1
if [ ${#missing[@]} -eq 0 ] && [ $need_promtool -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: these Debian packages are missing and installing them needs root: ${missing[*]}" \
    "$([ $need_promtool -eq 0 ] || echo '(and promtool, from prometheus)')" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ $need_promtool -eq 1 ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root prometheus >/dev/null)
  dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
  install -m 0755 "$tmp/usr/bin/promtool" "$PROMTOOL.tmp" && mv "$PROMTOOL.tmp" "$PROMTOOL"
  rm -rf "$tmp"
  echo "install-deps: promtool $("$PROMTOOL" --version 2>&1 | head -1 | awk '{print $3}') from Debian's prometheus package"
fi
