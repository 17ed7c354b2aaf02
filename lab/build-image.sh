#!/usr/bin/env bash
# Build (or reuse) the lab host image of a platform (platforms.sh: debian12, the
# default, or debian13): Debian from Debian packages, with systemd, sshd, AppArmor,
# auditd, Python 3, Docker and containerd (and podman on debian13), as a raw ext4
# disk plus the kernel and initrd to boot it with QEMU's -kernel. No loop devices:
# the filesystem is made from a directory with `mkfs.ext4 -d`.
#
# Output: $LAB_CACHE/<key>/{disk.raw,vmlinuz,initrd.img,ssh_host_ed25519_key.pub,...}
# and `ready`, present only once the whole image is there (the directory is built
# under another name and renamed into place). Prints that directory on stdout;
# progress goes to stderr. <key> hashes the recipe: the platform with its suite,
# architecture, package list and units (platforms.sh), this script, rootfs-overlay/
# (and rootfs-overlay.PLATFORM/ if there is one) and the public half of the lab's
# ssh key; two platforms never share a key (the platform's name is in it).
#
# Env: LAB_PLATFORM (default debian12), LAB_CACHE (default /var/cache/confine-lab),
# LAB_MIRROR (default: the mirror the machine's apt sources name for the platform's
# suite, else for the machine's own suite; not part of the key).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lab_platform "$LAB_PLATFORM"
SUITE=$P_SUITE
DISK_SIZE=4G
KEEP=2 # cached images kept per platform (the most recently used ones)
PACKAGES=("${P_PACKAGES[@]}")
ENABLE=("${P_ENABLE[@]}")
OVERLAYS=(rootfs-overlay) # copied in this order; a platform's own one last
[[ -d $LAB_DIR/rootfs-overlay.$P_NAME ]] && OVERLAYS+=("rootfs-overlay.$P_NAME")

need debootstrap:debootstrap mkfs.ext4:e2fsprogs ssh-keygen:openssh-client \
  flock:util-linux setsid:util-linux sha256sum:coreutils \
  /usr/share/keyrings/debian-archive-keyring.gpg:debian-archive-keyring
[[ $(id -u) == 0 ]] || die "build-image.sh needs root (debootstrap, chroot)"
host_arch=$(dpkg --print-architecture)
case $P_BUILD in
  debootstrap)
    [[ $P_ARCH == "$host_arch" ]] ||
      die "platform $P_NAME is $P_ARCH and built by debootstrap, which needs this machine's own architecture ($host_arch)"
    ;;
  unpack)
    # cpio and gzip for the initramfs, depmod and modprobe for the module list, python3 to
    # byte-compile the image's Python (the same 3.11 as bookworm's; see unpack_configure)
    need cpio:cpio gzip:gzip depmod:kmod modprobe:kmod dpkg-deb:dpkg apt-get:apt \
      /usr/bin/python3:python3 mountpoint:util-linux
    ;;
  *) die "platform $P_NAME: unknown P_BUILD '$P_BUILD' (debootstrap or unpack)" ;;
esac

# The first mirror of the machine's apt sources that names the platform's suite,
# else the first that names the machine's own suite (not -security): Debian serves
# every suite from the same mirror.
detect_mirror() {
  local suite own
  # shellcheck disable=SC1091 # the machine's, read at run time
  own=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  for suite in "$SUITE" ${own:+"$own"}; do mirror_for "$suite"; done
  echo http://deb.debian.org/debian
}
mirror_for() {
  local f suite=$1
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk -v suite="$suite" '
      function flush() { if (ok && uri != "") { print uri; found = 1; exit } ok = 0; uri = "" }
      /^[ \t]*$/ { flush(); next }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
      END { if (!found) flush() }' "$f"
  done
  [[ -f /etc/apt/sources.list ]] &&
    awk -v suite="$suite" '$1 == "deb" { sub(/\[[^]]*\] */, ""); if ($3 == suite) print $2 }' \
      /etc/apt/sources.list
  return 0
}
MIRROR=${LAB_MIRROR:-$(detect_mirror | awk "NR == 1")}

mkdir -p "$LAB_CACHE"
chmod 0755 "$LAB_CACHE"

# The recipe, hashed into the cache key.
manifest() {
  local f o
  printf 'platform %s\narch %s\n' "$P_NAME" "$P_ARCH"
  printf 'suite %s\nvariant minbase\ndisk-size %s\n' "$SUITE" "$DISK_SIZE"
  printf 'packages %s\n' "$(printf '%s\n' "${PACKAGES[@]}" | sort | tr '\n' ' ')"
  printf 'enable %s\n' "${ENABLE[*]}"
  printf 'build %s\n' "$P_BUILD"
  printf 'script %s\n' "$(sha256sum <"$LAB_DIR/build-image.sh" | cut -d' ' -f1)"
  if [[ $P_BUILD == unpack ]]; then
    (cd "$LAB_DIR/unpack" && find . -type f -print0 | LC_ALL=C sort -z |
      xargs -0 -r sha256sum | sed 's/^/unpack /')
  fi
  for o in "${OVERLAYS[@]}"; do
    (cd "$LAB_DIR/$o" && find . -type f -print0 | LC_ALL=C sort -z |
      xargs -0 -r sha256sum | sed "s/^/${o#rootfs-} /")
  done
  printf 'authorized-key %s\n' "$(cut -d' ' -f1,2 "$LAB_KEY.pub")"
}

# Fast path: the image for this recipe is there.
if [[ -f $LAB_KEY && -f $LAB_KEY.pub ]]; then
  key=$(manifest | sha256sum | cut -c1-16)
  if [[ -f $LAB_CACHE/$key/ready ]]; then
    touch "$LAB_CACHE/$key/last-used"
    log "image $key is cached: $LAB_CACHE/$key"
    echo "$LAB_CACHE/$key"
    exit 0
  fi
fi

# One build at a time per cache dir.
exec 9>"$LAB_CACHE/.lock"
if ! flock -n 9; then
  log "another build holds $LAB_CACHE/.lock; waiting for it (at most 30 min)"
  flock -w 1800 9 || die "timed out waiting for $LAB_CACHE/.lock"
fi

# The lab's ssh key: made once per cache dir, kept beside the images. Its public
# half is in the key, so a new key pair means a new image (the old one would not
# let it in), and an existing pair never causes a rebuild.
if [[ ! -f $LAB_KEY || ! -f $LAB_KEY.pub ]]; then
  mkdir -p "$(dirname "$LAB_KEY")"
  chmod 0700 "$(dirname "$LAB_KEY")"
  rm -f "$LAB_KEY" "$LAB_KEY.pub"
  ssh-keygen -q -t ed25519 -N '' -C confine-lab -f "$LAB_KEY"
  log "made the lab ssh key $LAB_KEY"
fi

key=$(manifest | sha256sum | cut -c1-16)
out=$LAB_CACHE/$key
if [[ -f $out/ready ]]; then # built by the build we waited for
  touch "$out/last-used"
  log "image $key is cached: $out"
  echo "$out"
  exit 0
fi

# unmount_under DIR: lazily unmount whatever an interrupted chroot left mounted.
unmount_under() {
  local m
  awk -v d="$1/" 'index($5 "/", d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
# remove_tree DIR: unmount, then delete without crossing into other filesystems.
remove_tree() {
  [[ -e $1 ]] || return 0
  unmount_under "$1"
  rm -rf --one-file-system "$1"
}

# Leftovers of interrupted builds (we hold the lock, so none is running).
for d in "$LAB_CACHE"/.tmp-* "$out"; do
  [[ -e $d ]] || continue
  log "removing the unfinished build $d"
  remove_tree "$d"
done

tmp=$LAB_CACHE/.tmp-$key-$$
root=$tmp/rootfs
buildlog=$LAB_CACHE/build-$key.log
phase_pid=
done_ok=
cleanup() {
  local rc=$?
  if [[ -n $phase_pid ]]; then
    kill -TERM -- "-$phase_pid" "$phase_pid" 2>/dev/null || true
    wait "$phase_pid" 2>/dev/null || true
  fi
  if [[ -z $done_ok ]]; then
    remove_tree "$tmp"
    ((rc)) || rc=1
    log "build of image $key did not finish; nothing was left in the cache"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# run_phase NAME STATUS_FN CMD...: run CMD (in its own session, output to the build
# log) with a heartbeat line every 15 s; on failure show the log's end and stop.
run_phase() {
  local name=$1 status=$2 t0=$SECONDS next=15 rc=0
  shift 2
  log "$name ..."
  printf '\n===== %s: %s\n' "$name" "$*" >>"$buildlog"
  if declare -F "$1" >/dev/null; then # a function of this script: a subshell
    ("$@") >>"$buildlog" 2>&1 </dev/null 9>&- &
  else # a command: its own session, so stopping it stops its children too
    setsid "$@" >>"$buildlog" 2>&1 </dev/null 9>&- &
  fi
  phase_pid=$!
  while kill -0 "$phase_pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS - t0 >= next)); then
      log "$name: still running, $((SECONDS - t0))s elapsed; $($status)"
      next=$((next + 15))
    fi
  done
  wait "$phase_pid" || rc=$?
  phase_pid=
  if ((rc)); then
    printf '%s\n' "----- last 40 lines of $buildlog:" >&2
    tail -n 40 "$buildlog" >&2
    printf '%s\n' "-----" >&2
    die "$name failed (exit $rc), so the lab image was not built; the full log is $buildlog."
  fi
  log "$name: done in $((SECONDS - t0))s"
  printf '%s %s\n' "$name" "$((SECONDS - t0))" >>"$tmp/build-times"
}
last_log_line() { tail -n 1 "$buildlog" | cut -c1-90; }
root_size() { du -sh "$root" 2>/dev/null | cut -f1 | sed 's/^/rootfs /'; }
disk_size() { du -sh "$tmp/disk.raw" 2>/dev/null | cut -f1 | sed 's/^/written /'; }

t_build=$SECONDS
mkdir -p "$tmp"
: >"$buildlog"
log "building image $key ($P_NAME: Debian $SUITE $P_ARCH from $MIRROR; log: $buildlog)"
manifest >"$tmp/manifest"
echo "$P_NAME" >"$tmp/platform"

# overlay_and_keys: the files of rootfs-overlay/ (then the platform's own), root-owned and
# 0644; root's authorized key (the lab's); one ssh host key made for this image, whose
# public half goes beside the image.
overlay_and_keys() {
  local f rel o
  for o in "${OVERLAYS[@]}"; do
    (cd "$LAB_DIR/$o" && find . -type f) | while read -r f; do
      rel=${f#./}
      install -D -o root -g root -m 0644 "$LAB_DIR/$o/$rel" "$root/$rel"
    done
  done
  install -d -m 0700 "$root/root/.ssh"
  install -m 0600 "$LAB_KEY.pub" "$root/root/.ssh/authorized_keys"
  rm -f "$root"/etc/ssh/ssh_host_*
  ssh-keygen -q -t ed25519 -N '' -C root@lab -f "$root/etc/ssh/ssh_host_ed25519_key"
  cp "$root/etc/ssh/ssh_host_ed25519_key.pub" "$tmp/ssh_host_ed25519_key.pub"
}

configure() {
  set -euo pipefail
  # Root logs in with the lab key only (its password stays locked).
  overlay_and_keys
  # A fresh machine-id on every boot. An empty file makes each boot a first boot:
  # the first-boot wizard would ask for a locale on the console, so it is masked.
  : >"$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  ln -s /etc/machine-id "$root/var/lib/dbus/machine-id"
  chroot "$root" systemctl mask systemd-firstboot.service
  chroot "$root" systemctl enable "${ENABLE[@]}"
  # dhclient writes it at boot; do not ship the build machine's resolver.
  : >"$root/etc/resolv.conf"
  rm -f "$root"/var/cache/apt/archives/*.deb
  # shellcheck disable=SC2016 # dpkg-query's own ${...} fields
  chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"$tmp/packages.txt"
  local k i
  k=("$root"/boot/vmlinuz-*) i=("$root"/boot/initrd.img-*)
  [[ ${#k[@]} == 1 && -f ${k[0]} && ${#i[@]} == 1 && -f ${i[0]} ]] ||
    { echo "expected one kernel and one initrd in $root/boot: ${k[*]} ${i[*]}"; return 1; }
  cp "${k[0]}" "$tmp/vmlinuz"
  cp "${i[0]}" "$tmp/initrd.img"
  basename "${k[0]}" >"$tmp/kernel-version"
}
# --- P_BUILD=unpack: any architecture, nothing emulated ------------------------------------
# apt, in a directory of its own and with an empty dpkg database, resolves the named
# packages and the suite's Essential ones for P_ARCH and downloads them; each package's
# files are unpacked into the root (merged /usr, as debootstrap makes it) and its control
# record goes into the image's dpkg database, marked installed. No maintainer script runs,
# so what they would do for this image is done by unpack_configure: the users and groups,
# the awk alternative, the module index, the Python bytecode.
unpack_packages() {
  set -euo pipefail
  local a=$tmp/apt deb
  mkdir -p "$a"/lists/partial "$a"/archives/partial "$root"/usr/{bin,sbin,lib} "$root/var/lib/dpkg"
  ln -s usr/bin "$root/bin"
  ln -s usr/sbin "$root/sbin"
  ln -s usr/lib "$root/lib"
  : >"$a/status"
  cat >"$a/apt.conf" <<APT
APT::Architecture "$P_ARCH";
APT::Architectures { "$P_ARCH"; };
APT::Install-Recommends "false";
Acquire::Languages "none";
Dir::State "$a";
Dir::State::status "$a/status";
Dir::State::Lists "$a/lists";
Dir::Cache "$a";
Dir::Cache::archives "$a/archives";
Dir::Etc::SourceList "$a/sources.list";
Dir::Etc::SourceParts "$a/none";
Dir::Etc::Preferences "$a/none";
Dir::Etc::PreferencesParts "$a/none";
APT
  mkdir -p "$a/none"
  echo "deb [arch=$P_ARCH signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" \
    >"$a/sources.list"
  export APT_CONFIG=$a/apt.conf
  apt-get -q update
  local essential
  mapfile -t essential < <(/usr/lib/apt/apt-helper cat-file "$a"/lists/*_binary-"${P_ARCH}"_Packages* |
    awk '/^Package:/ { p = $2 } /^Essential: yes/ { print p }' | sort -u)
  ((${#essential[@]} > 10)) || { echo "the $SUITE $P_ARCH index names only ${#essential[@]} Essential packages"; return 1; }
  echo "Essential in $SUITE/$P_ARCH: ${essential[*]}"
  apt-get -q -y --download-only install "${essential[@]}" "${PACKAGES[@]}"
  for deb in "$a"/archives/*.deb; do
    dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$root"
    { dpkg-deb -f "$deb" | sed '/^Package:/a Status: install ok installed'; echo; } >>"$root/var/lib/dpkg/status"
    # shellcheck disable=SC2016 # dpkg-deb's own ${...} fields
    dpkg-deb -W --showformat '${Package} ${Version}\n' "$deb" >>"$tmp/packages.txt"
  done
  echo "unpacked $(wc -l <"$tmp/packages.txt") packages"
  rm -rf "$a"
}

unpack_configure() {
  set -euo pipefail
  overlay_and_keys
  # users and groups as base-passwd's postinst makes them, plus what the daemons here need:
  # sshd's privilege separation user and docker's group; root has no password (key only;
  # '*', not '!': with no PAM, sshd refuses a locked account even its key)
  install -m 0644 "$root/usr/share/base-passwd/passwd.master" "$root/etc/passwd"
  install -m 0644 "$root/usr/share/base-passwd/group.master" "$root/etc/group"
  echo 'sshd:x:100:65534::/run/sshd:/usr/sbin/nologin' >>"$root/etc/passwd"
  echo 'docker:x:999:' >>"$root/etc/group"
  awk -F: '{ print $1 ":*:19000:0:99999:7:::" }' "$root/etc/passwd" >"$root/etc/shadow"
  awk -F: '{ print $1 ":*::" }' "$root/etc/group" >"$root/etc/gshadow"
  chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
  chgrp 42 "$root/etc/shadow" "$root/etc/gshadow" # shadow's group in base-passwd
  [[ -e $root/usr/bin/awk ]] || ln -s mawk "$root/usr/bin/awk"
  # configuration files that postinst scripts copy from the package's own defaults
  install -m 0644 "$root/usr/share/openssh/sshd_config" "$root/etc/ssh/sshd_config"
  : >"$root/etc/machine-id"
  : >"$root/etc/resolv.conf" # the init writes QEMU's resolver
  install -D -m 0755 "$LAB_DIR/unpack/init" "$root/usr/lib/confine-lab/init"
  install -D -m 0644 "$LAB_DIR/unpack/daemon.json" "$root/etc/docker/daemon.json"
  local k ver
  k=("$root"/boot/vmlinuz-*)
  [[ ${#k[@]} == 1 && -f ${k[0]} ]] || { echo "expected one kernel in $root/boot: ${k[*]}"; return 1; }
  ver=${k[0]##*/vmlinuz-}
  depmod -b "$root" "$ver"
  # bookworm's python3 is 3.11, as this machine's /usr/bin/python3 (same bytecode format):
  # compiled here, the guest's first imports do not compile under emulation
  local py
  py=$(basename "$(readlink -f "$root/usr/bin/python3")")
  [[ $py == "$(basename "$(readlink -f /usr/bin/python3)")" ]] ||
    { echo "the image's python3 is $py, this machine's is not: no bytecode compiled"; py=; }
  if [[ -n $py ]]; then
    /usr/bin/python3 -m compileall -q -j0 -s "$root" -p / "$root/usr/lib/$py" "$root/usr/lib/python3/dist-packages" ||
      echo "compileall reported errors (files that do not compile stay uncompiled)"
  fi
  # the initramfs: busybox, the disk, ext4, network and entropy drivers, lab/unpack/initramfs-init
  local ird=$tmp/initramfs m
  mkdir -p "$ird"/{bin,dev,proc,sys,newroot,lib/modules}
  install -m 0755 "$root/usr/bin/busybox" "$ird/bin/busybox"
  for m in sh mount umount insmod sleep mkdir switch_root cat echo poweroff; do ln -s busybox "$ird/bin/$m"; done
  install -m 0755 "$LAB_DIR/unpack/initramfs-init" "$ird/init"
  modprobe -d "$root" -S "$ver" -a --show-depends virtio_pci virtio_blk ext4 virtio_net virtio-rng |
    awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r m; do
      install -m 0644 "$m" "$ird/lib/modules/${m##*/}"
      echo "${m##*/}" >>"$ird/modules"
    done
  (cd "$ird" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -1 >"$tmp/initrd.img"
  rm -rf "$ird"
  cp "${k[0]}" "$tmp/vmlinuz"
  echo "vmlinuz-$ver" >"$tmp/kernel-version"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root/boot/System.map-$ver"
}

case $P_BUILD in
  debootstrap)
    include=$(IFS=,; echo "${PACKAGES[*]}")
    run_phase debootstrap last_log_line \
      debootstrap --variant=minbase --arch="$P_ARCH" --components=main --include="$include" \
      "$SUITE" "$root" "$MIRROR"
    run_phase configure last_log_line configure
    ;;
  unpack)
    run_phase unpack root_size unpack_packages
    run_phase configure last_log_line unpack_configure
    ;;
esac

run_phase mkfs disk_size \
  mkfs.ext4 -q -F -L lab-root -d "$root" "$tmp/disk.raw" "$DISK_SIZE"
rootfs_size=$(du -sh "$root" | cut -f1)
remove_tree "$root"

{
  echo "built $(date -u +%FT%TZ) from $MIRROR"
  echo "rootfs $rootfs_size; disk.raw $DISK_SIZE apparent, $(du -sh "$tmp/disk.raw" | cut -f1) allocated"
  echo "total build $((SECONDS - t_build))s"
} >"$tmp/info"
cp "$buildlog" "$tmp/build.log"
touch "$tmp/last-used"
date -u +%FT%TZ >"$tmp/ready"
mv -T "$tmp" "$out"
done_ok=1
log "image $key ready in $((SECONDS - t_build))s: $out ($(sed -n 2p "$out/info"))"

# Keep the $KEEP most recently used images of this platform (an image from before
# platforms has no platform file: it was debian12's).
mapfile -t old < <(
  for d in "$LAB_CACHE"/*/ready; do
    [[ -f $d ]] || continue
    d=${d%/ready}
    [[ $(cat "$d/platform" 2>/dev/null || echo debian12) == "$P_NAME" ]] || continue
    printf '%s %s\n' "$(stat -c %Y "$d/last-used" 2>/dev/null || stat -c %Y "$d/ready")" "$d"
  done | sort -rn | tail -n +$((KEEP + 1)) | cut -d' ' -f2-
)
for d in "${old[@]}"; do
  [[ $d == "$out" ]] && continue
  log "pruning the old image $d"
  remove_tree "$d"
done
rm -f "$buildlog"
echo "$out"
