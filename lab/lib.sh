#!/usr/bin/env bash
# Helpers shared by the lab scripts (sourced, not run). Nothing in here changes what
# goes into the image: that is all in build-image.sh and rootfs-overlay/, which is
# why this file is not part of the image's cache key.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this

PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_CACHE=${LAB_CACHE:-/var/cache/confine-lab}
LAB_NAME=${LAB_NAME:-lab}
LAB_RUN=${LAB_RUN:-/run/confine-lab/$LAB_NAME}
LAB_KEY=$LAB_CACHE/ssh/id_ed25519
# The platform table (lab_platform NAME; LAB_PLATFORM, default debian12). Its values
# for the image go into the manifest, so they are in the key without this file.
# shellcheck source-path=SCRIPTDIR source=platforms.sh
source "$LAB_DIR/platforms.sh"

lab_t0=$(date +%s)

# log MSG...: one progress line on stderr (stdout is kept for results).
log() { printf '[lab %4ss] %s\n' "$(($(date +%s) - lab_t0))" "$*" >&2; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }

# need CMD:PACKAGE...: install the Debian packages whose command is missing.
need() {
  local pair cmd pkg missing=()
  for pair in "$@"; do
    cmd=${pair%%:*} pkg=${pair#*:}
    if [[ $cmd == /* ]]; then [[ -e $cmd ]] && continue
    else command -v "$cmd" >/dev/null 2>&1 && continue; fi
    missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  [[ $(id -u) == 0 ]] || die "missing packages ${missing[*]} and not root to install them"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } ||
    die "could not install ${missing[*]}"
}

# pid_is_vm PID RUNDIR: true if PID is alive and is the qemu of RUNDIR (its
# command line names RUNDIR's overlay), so a recycled pid is never killed.
pid_is_vm() {
  local pid=$1 run=$2
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$run/disk.qcow2"
}

# stop_vm RUNDIR: SIGTERM the VM of RUNDIR, SIGKILL after 10 s. Quiet if none.
stop_vm() {
  local run=$1 pid i
  pid=$(cat "$run/pid" 2>/dev/null || true)
  pid_is_vm "$pid" "$run" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    pid_is_vm "$pid" "$run" || break
    sleep 0.1
  done
  if pid_is_vm "$pid" "$run"; then
    log "VM $pid ignored SIGTERM for 10 s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      pid_is_vm "$pid" "$run" || break
      sleep 0.1
    done
    pid_is_vm "$pid" "$run" && die "VM $pid of $run would not die"
  fi
  # QEMU daemonized, so init reaps it; wait (briefly) until it has, so no
  # <defunct> qemu is left in the process list when we return.
  for ((i = 0; i < 100; i++)); do
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] || break
    sleep 0.1
  done
  return 0
}
