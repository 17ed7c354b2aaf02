# The lab platforms, one row each (sourced by lib.sh, not run). LAB_PLATFORM picks
# one (default debian12). lab_platform NAME sets, for that platform:
#   P_NAME      the platform's name (part of the image's cache key)
#   P_SUITE     the Debian suite debootstrap installs
#   P_ARCH      the Debian architecture (debootstrap --arch)
#   P_KERNEL    the kernel package
#   P_QEMU      the QEMU binary, and P_QEMU_PKG the Debian package that has it
#   P_MACHINE   extra QEMU arguments for the machine type (array; empty: QEMU's default)
#   P_CONSOLE   the guest's serial console (console= on the kernel command line)
#   P_PACKAGES  every package debootstrap installs beside its minbase (array)
#   P_ENABLE    the units enabled in the image (array)
#   P_BUILD     how the image is made: debootstrap (the machine's own architecture: the
#               packages are installed and configured by dpkg, systemd is init) or unpack
#               (any architecture: the packages' files are unpacked on this machine, with
#               no maintainer script run and no emulation; lab/unpack/init starts the
#               daemons, and an initramfs made here loads the kernel's disk drivers)
#   P_CPU       the -cpu model under software emulation (LAB_CPU overrides it)
# What goes into the image (name, suite, arch, packages, units) is written to the
# image's manifest, so it is part of the cache key; the boot settings are not (this
# file is not hashed: a new field that changes the image must go into the manifest).
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this

LAB_PLATFORM=${LAB_PLATFORM:-debian12}
LAB_PLATFORMS=(debian12 debian13 debian12-arm64)

lab_platform() {
  local base=(
    systemd-sysv udev dbus kmod
    openssh-server ca-certificates
    python3 python3-seccomp
    apparmor apparmor-utils auditd
    iproute2 ifupdown isc-dhcp-client
    busybox-static strace e2fsprogs procps
  )
  P_NAME=$1 P_ARCH=amd64 P_KERNEL=linux-image-amd64
  P_QEMU=qemu-system-x86_64 P_QEMU_PKG=qemu-system-x86 P_MACHINE=() P_CONSOLE=ttyS0
  P_BUILD=debootstrap P_CPU=max
  P_ENABLE=(ssh.service networking.service apparmor.service auditd.service
    containerd.service docker.service docker.socket)
  case $1 in
    debian12) # Debian 12: kernel 6.1, AppArmor 3.0, Docker 20.10, containerd 1.6
      P_SUITE=bookworm
      # and Prometheus's node exporter, which serves the role's metrics (its text-file collector)
      P_PACKAGES=("$P_KERNEL" "${base[@]}" docker.io containerd runc prometheus-node-exporter)
      P_ENABLE+=(prometheus-node-exporter.service)
      ;;
    debian13) # Debian 13: kernel 6.12, AppArmor 4.1, Docker 26.1, containerd 1.7, podman 5.4
      P_SUITE=trixie
      # docker.io no longer has the docker command (docker-cli has). debootstrap
      # installs Depends only, so what `apt-get install podman` brings by default
      # for rootful containers is named: crun, conmon, netavark, aardvark-dns,
      # catatonit (podman's --init) and nftables (Debian's netavark runs `nft` for
      # podman's default bridge network; without it only --network none/host work).
      P_PACKAGES=("$P_KERNEL" "${base[@]}" docker.io docker-cli containerd runc
        podman crun conmon netavark aardvark-dns catatonit nftables)
      ;;
    debian12-arm64) # Debian 12 on aarch64 (kernel 6.1, Docker 20.10, containerd 1.6), emulated
      # Unpacked, not debootstrapped: debootstrap's second stage runs every maintainer script
      # under qemu-user and took 18 minutes here (docs/testing.md). Essential packages are
      # added by the build (whatever the suite marks Essential), so only the rest is named.
      P_SUITE=bookworm P_ARCH=arm64 P_KERNEL=linux-image-arm64 P_BUILD=unpack
      P_QEMU=qemu-system-aarch64 P_QEMU_PKG=qemu-system-arm P_MACHINE=(-M virt)
      P_CONSOLE=ttyAMA0 P_ENABLE=()
      # pointer authentication with QEMU's own cheap algorithm, not the architected QARMA5,
      # which is much slower to emulate; the guest still signs and checks its pointers
      P_CPU=max,pauth-impdef=on
      P_PACKAGES=("$P_KERNEL" tini kmod mount openssh-server ca-certificates python3 python3-seccomp
        apparmor auditd iproute2 busybox-static strace procps docker.io containerd runc bubblewrap)
      ;;
    *) die "unknown lab platform '$1' (LAB_PLATFORM); known: ${LAB_PLATFORMS[*]}" ;;
  esac
}
