#!/usr/bin/env bash
# Build the static seccomp probe and a tiny busybox rootfs around it, then
# import it as confine/probe:latest into Docker and into containerd namespace
# "confine". Work that is already done and up to date is skipped: the stamp
# build/images.stamp holds a hash of probe.c + this script (+ busybox), and
# both engines must still have the image.
#
# Outputs:
#   build/probe              static probe binary (also used on the host/bwrap)
#   build/rootfs/            the image rootfs
#   build/ctr-image-ref      the image reference containerd registered
#   build/images.stamp       hash of the inputs of the last successful run
#
# Needs the engines running: scripts/engine-up.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${CONFINE_BUILD_DIR:-$ROOT/build}
SRC=$HERE/probe/probe.c
IMAGE=confine/probe:latest
CTR_NS=confine
DOCKER=/usr/bin/docker          # /usr/local/bin/docker is a different CLI
CTR=(ctr --address /run/containerd/containerd.sock -n "$CTR_NS")
BUSYBOX=/bin/busybox
FORCE=0
[[ ${1:-} == --force ]] && FORCE=1

log() { printf 'images: %s\n' "$*" >&2; }
die() { printf 'images: ERROR: %s\n' "$*" >&2; exit 1; }

[[ -f $SRC ]] || die "probe source $SRC not found."
[[ -x $BUSYBOX ]] || die "$BUSYBOX missing: apt-get install -y busybox-static."
command -v gcc >/dev/null || die "gcc missing."
[[ -x $DOCKER ]] || die "$DOCKER missing: run scripts/engine-up.sh."
command -v ctr >/dev/null || die "ctr missing: run scripts/engine-up.sh."

mkdir -p "$BUILD"
# Serialise concurrent callers (parallel test sessions).
exec 8>"$BUILD/.images.lock"
flock -w 300 8 || die "could not lock $BUILD/.images.lock within 300s."
want_hash=$(cat "$SRC" "${BASH_SOURCE[0]}" "$BUSYBOX" | sha256sum | cut -d' ' -f1)
have_hash=$(cat "$BUILD/images.stamp" 2>/dev/null || true)

docker_has_image() { "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; }
ctr_ref() { cat "$BUILD/ctr-image-ref" 2>/dev/null || true; }
ctr_has_image() {
  local ref; ref=$(ctr_ref)
  [[ -n $ref ]] && "${CTR[@]}" images ls -q 2>/dev/null | grep -qxF "$ref"
}

if [[ $FORCE == 0 && $want_hash == "$have_hash" && -x $BUILD/probe && -f $BUILD/probe-rootfs.tar ]] \
   && docker_has_image && ctr_has_image; then
  log "up to date (probe, $IMAGE in docker and containerd:$CTR_NS)"
  echo "ctr image ref: $(ctr_ref)"
  exit 0
fi

# 1. static probe --------------------------------------------------------
log "building $BUILD/probe"
gcc -O2 -Wall -static -pthread -o "$BUILD/probe.tmp" "$SRC"
mv -f "$BUILD/probe.tmp" "$BUILD/probe"
"$BUILD/probe" personality >/dev/null || die "the freshly built probe does not run."

# 2. rootfs ---------------------------------------------------------------
log "assembling rootfs in $BUILD/rootfs"
rm -rf "$BUILD/rootfs"
mkdir -p "$BUILD"/rootfs/{bin,etc,tmp,proc,sys,dev,root}
install -m 0755 "$BUSYBOX" "$BUILD/rootfs/bin/busybox"
for app in sh true cat grep; do
  ln -s busybox "$BUILD/rootfs/bin/$app"
done
install -m 0755 "$BUILD/probe" "$BUILD/rootfs/probe"
chmod 1777 "$BUILD/rootfs/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
  >"$BUILD/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$BUILD/rootfs/etc/group"
chmod 0644 "$BUILD/rootfs/etc/passwd" "$BUILD/rootfs/etc/group"

# 3. docker ---------------------------------------------------------------
log "importing into docker as $IMAGE"
# The tar is kept: Molecule's prepare step imports the same rootfs on the lab host.
tar -C "$BUILD/rootfs" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime=@0 -cf "$BUILD/probe-rootfs.tar" .
"$DOCKER" import "$BUILD/probe-rootfs.tar" "$IMAGE" >/dev/null

# 4. containerd -----------------------------------------------------------
snapshotter=$(cat /run/confine/ctr-snapshotter 2>/dev/null || echo overlayfs)
log "importing into containerd namespace $CTR_NS (snapshotter $snapshotter)"
import_out=$("$DOCKER" save "$IMAGE" \
  | "${CTR[@]}" images import --snapshotter "$snapshotter" - 2>&1) \
  || die "ctr images import failed: $import_out"
printf '%s\n' "$import_out" >&2
# ctr prints "unpacking docker.io/confine/probe:latest (sha256:...)...done".
ref=$(printf '%s\n' "$import_out" | sed -n 's/^unpacking \([^ ]*\) (.*/\1/p' | head -n1)
if [[ -z $ref ]]; then
  ref=$("${CTR[@]}" images ls -q | grep -E '(^|/)confine/probe:latest$' | head -n1 || true)
fi
[[ -n $ref ]] || die "could not determine the image reference containerd registered."
printf '%s\n' "$ref" >"$BUILD/ctr-image-ref"

# 5. end-to-end check that `ctr run` works with the recorded snapshotter; fall
#    back to the native snapshotter (and record that) if overlayfs does not.
ctr_selfcheck() {  # ctr_selfcheck SNAPSHOTTER
  local id="confine-selfcheck-$$-$1" out
  out=$("${CTR[@]}" run --rm --snapshotter "$1" "$ref" "$id" /probe personality 2>&1) \
    && [[ $out == *'"personality": "OK"'* ]] && return 0
  log "ctr run with snapshotter $1 failed: $out"
  "${CTR[@]}" tasks delete -f "$id" >/dev/null 2>&1 || true
  "${CTR[@]}" containers delete "$id" >/dev/null 2>&1 || true
  return 1
}
if ! ctr_selfcheck "$snapshotter"; then
  if [[ $snapshotter == native ]] || ! ctr_selfcheck native; then
    die "ctr run of $ref fails with snapshotters $snapshotter and native."
  fi
  mkdir -p /run/confine && echo native >/run/confine/ctr-snapshotter
  log "overlayfs does not work for ctr run here; recorded 'native' in /run/confine/ctr-snapshotter"
fi
echo "ctr image ref: $ref"

printf '%s\n' "$want_hash" >"$BUILD/images.stamp"
log "done"
