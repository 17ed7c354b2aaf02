#!/usr/bin/env bash
# Stop the daemons that scripts/engine-up.sh started (and only those): the
# pids recorded in /run/confine/{dockerd,containerd}.pid. dockerd goes first.
set -euo pipefail

STATE_DIR=/run/confine
WAIT_SECS=${CONFINE_ENGINE_WAIT:-30}

log() { printf 'engine-down: %s\n' "$*" >&2; }

stop_one() {  # stop_one NAME EXPECTED_COMM
  local name=$1 comm=$2 pidfile=$STATE_DIR/$1.pid pid i
  if [[ ! -f $pidfile ]]; then
    log "$name: not started by engine-up (no $pidfile), leaving it alone"
    return 0
  fi
  pid=$(tr -dc '0-9' <"$pidfile")
  if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null; then
    log "$name: pid ${pid:-?} not running; removing stale $pidfile"
    rm -f "$pidfile"
    return 0
  fi
  # Guard against a recycled pid.
  if [[ $(cat "/proc/$pid/comm" 2>/dev/null) != "$comm" ]]; then
    log "$name: pid $pid is now '$(cat "/proc/$pid/comm" 2>/dev/null)', not $comm; removing stale $pidfile"
    rm -f "$pidfile"
    return 0
  fi
  log "$name: stopping pid $pid"
  kill -TERM "$pid"
  for ((i = 0; i < WAIT_SECS * 2; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: pid $pid ignored SIGTERM for ${WAIT_SECS}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
  log "$name: stopped"
}

if [[ $(id -u) -ne 0 ]]; then
  echo "engine-down: ERROR: must run as root." >&2
  exit 1
fi
stop_one dockerd dockerd
stop_one containerd containerd
rm -f "$STATE_DIR/dockerd.own.pid"
