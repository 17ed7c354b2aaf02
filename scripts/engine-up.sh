#!/usr/bin/env bash
# Idempotently start containerd and the Docker engine on a machine without
# systemd as PID 1. Daemons started here record their pid under /run/confine/
# so scripts/engine-down.sh can stop exactly what we started.
#
# Snapshotter: containerd's default overlayfs snapshotter works for `ctr run`
# on the reference machine (Debian 12, kernel 6.18, / on ext4), so
# `--snapshotter native` is NOT needed there. detect_snapshotter() re-checks on
# every run (real overlay mount under /var/lib/containerd + plugin status) and
# records "overlayfs" or "native" in /run/confine/ctr-snapshotter, which
# tests/integration/images.sh and _harness.py read (images.sh additionally
# verifies with a real `ctr run` and falls back to native if needed).
set -euo pipefail

STATE_DIR=/run/confine
CONTAINERD_SOCK=/run/containerd/containerd.sock
CONTAINERD_LOG=/var/log/confine-containerd.log
DOCKERD_LOG=/var/log/confine-dockerd.log
DOCKER=/usr/bin/docker          # /usr/local/bin/docker is a different CLI
WAIT_SECS=${CONFINE_ENGINE_WAIT:-60}

log() { printf 'engine-up: %s\n' "$*" >&2; }

fail() {  # fail LOGFILE SENTENCE
  local logfile=$1; shift
  if [[ -f $logfile ]]; then
    echo "---- last 30 lines of $logfile ----" >&2
    tail -n 30 "$logfile" >&2 || true
    echo "----" >&2
  fi
  echo "engine-up: ERROR: $*" >&2
  exit 1
}

ensure_binaries() {
  if command -v containerd >/dev/null && command -v dockerd >/dev/null \
     && command -v runc >/dev/null && [[ -x $DOCKER ]]; then
    return 0
  fi
  log "containerd/dockerd/runc missing: installing docker.io containerd runc"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y docker.io containerd runc; then
    apt-get update
    apt-get install -y docker.io containerd runc
  fi
}

# Check the socket first: without it `ctr version` blocks ~10 s in its dial.
containerd_up() {
  [[ -S $CONTAINERD_SOCK ]] \
    && timeout 10 ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1
}
dockerd_up() {
  [[ -S /var/run/docker.sock ]] \
    && timeout 10 "$DOCKER" -H unix:///var/run/docker.sock info >/dev/null 2>&1
}

WAIT_WHY=
wait_for() {  # wait_for CHECK_FN PID: until CHECK_FN succeeds, PID dies or time is up
  local fn=$1 pid=$2 deadline=$((SECONDS + WAIT_SECS))
  WAIT_WHY="did not answer within ${WAIT_SECS}s"
  while ((SECONDS < deadline)); do
    if "$fn"; then return 0; fi
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      WAIT_WHY="exited during startup"
      return 1
    fi
    sleep 0.5
  done
  "$fn"
}

# Probe whether containerd's default snapshotter (overlayfs) can actually mount
# here: try a real overlay mount in a scratch directory on the same filesystem
# as containerd's root. Result is written to $STATE_DIR/ctr-snapshotter.
detect_snapshotter() {
  local root=/var/lib/containerd/confine-overlay-check
  local result=native
  rm -rf "$root"
  mkdir -p "$root"/{lower,upper,work,merged}
  echo ok >"$root/lower/f"
  if mount -t overlay overlay \
       -o "lowerdir=$root/lower,upperdir=$root/upper,workdir=$root/work" \
       "$root/merged" 2>/dev/null; then
    if [[ $(cat "$root/merged/f" 2>/dev/null) == ok ]]; then
      result=overlayfs
    fi
    umount "$root/merged" || true
  fi
  rm -rf "$root"
  # containerd itself must also have loaded the overlayfs snapshotter plugin.
  if [[ $result == overlayfs ]] && ! ctr --address "$CONTAINERD_SOCK" plugins ls 2>/dev/null \
        | awk '$1=="io.containerd.snapshotter.v1" && $2=="overlayfs" && $NF=="ok"{f=1} END{exit !f}'; then
    result=native
  fi
  echo "$result" >"$STATE_DIR/ctr-snapshotter"
  log "containerd snapshotter for ctr run: $result"
}

# start_daemon NAME LOG CHECK WHAT CMD...: unless CHECK already succeeds, start CMD in
# the background (pid in $STATE_DIR/NAME.pid) and wait for CHECK; if it never
# answers, stop it and fail with the end of LOG and one sentence naming WHAT.
start_daemon() {
  local name=$1 logfile=$2 check=$3 what=$4
  shift 4
  if "$check"; then
    log "$name already answering"
    return 0
  fi
  log "starting $name (log: $logfile)"
  echo "==== engine-up: starting $name at $(date -u +%FT%TZ) ====" >>"$logfile"
  setsid "$@" >>"$logfile" 2>&1 </dev/null 8>&- &
  local pid=$!
  echo "$pid" >"$STATE_DIR/$name.pid"
  if ! wait_for "$check" "$pid"; then
    kill "$pid" 2>/dev/null || true
    rm -f "$STATE_DIR/$name.pid"
    fail "$logfile" "$name (pid $pid) $WAIT_WHY: $what never answered."
  fi
  log "$name up (pid $pid)"
}

start_containerd() {
  mkdir -p /run/containerd
  start_daemon containerd "$CONTAINERD_LOG" containerd_up "'ctr version' on $CONTAINERD_SOCK" \
    containerd --address "$CONTAINERD_SOCK"
}

start_dockerd() {
  start_daemon dockerd "$DOCKERD_LOG" dockerd_up "'$DOCKER info'" \
    dockerd --iptables=false --bridge=none --storage-driver=vfs \
    --containerd="$CONTAINERD_SOCK" --pidfile="$STATE_DIR/dockerd.own.pid"
}

main() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "engine-up: ERROR: must run as root." >&2
    exit 1
  fi
  mkdir -p "$STATE_DIR"
  # Serialise concurrent callers (e.g. parallel test sessions).
  exec 8>"$STATE_DIR/engine-up.lock"
  flock -w 180 8 || { echo "engine-up: ERROR: could not lock $STATE_DIR/engine-up.lock within 180s." >&2; exit 1; }
  ensure_binaries
  start_containerd
  detect_snapshotter
  start_dockerd
}

main "$@"
