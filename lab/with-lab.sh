#!/usr/bin/env bash
# with-lab.sh CMD [ARGS...]: boot a lab VM (of LAB_PLATFORM, default debian12), run
# CMD with LAB_SSH_CONFIG, LAB_PORT, LAB_RUN (and LAB_NAME, LAB_CACHE, LAB_PLATFORM)
# exported, then always tear the VM down and exit with CMD's status. A VM never outlives the command that started it: the
# teardown runs on exit, INT, TERM and HUP, and a watchdog tears down if this
# script itself is killed with SIGKILL.
# Without LAB_NAME or LAB_RUN, each run gets its own run dir (with-lab-<pid>), so
# several can run at once.
set -euo pipefail
if (($# == 0)); then
  echo "usage: lab/with-lab.sh CMD [ARGS...]" >&2
  exit 2
fi
if [[ -z ${LAB_RUN:-} && -z ${LAB_NAME:-} ]]; then
  LAB_NAME=with-lab-$$
fi
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
export LAB_NAME LAB_RUN LAB_CACHE LAB_PLATFORM
# Never tear down a VM that some other command started.
if pid_is_vm "$(cat "$LAB_RUN/pid" 2>/dev/null || true)" "$LAB_RUN"; then
  die "a lab VM already runs in $LAB_RUN; pick another LAB_NAME (or none)"
fi

# Watchdog: in its own session, so it survives whatever kills this script; if
# this script dies without its teardown (SIGKILL), it stops CMD and the VM.
# shellcheck disable=SC2016 # $1, $2 and $3 are the inner shell's
setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done
  if p=$(cat "$3/cmd.pid" 2>/dev/null); then kill -TERM "$p" 2>/dev/null; fi
  exec "$2"' watchdog "$$" "$LAB_DIR/down.sh" "$LAB_RUN" </dev/null >/dev/null 2>&1 &
watchdog=$!
child=
# shellcheck disable=SC2317 # only called by the EXIT trap
teardown() {
  local rc=$? i
  trap - EXIT INT TERM HUP
  if [[ -n $child ]]; then # CMD is still running: TERM, KILL after 10 s
    kill -TERM "$child" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$child" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  kill "$watchdog" 2>/dev/null || true
  "$LAB_DIR/down.sh" || rc=$((rc ? rc : 1))
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

"$LAB_DIR/up.sh" >&2
LAB_SSH_CONFIG=$LAB_RUN/ssh_config
LAB_PORT=$(cat "$LAB_RUN/port")
export LAB_SSH_CONFIG LAB_PORT

# CMD runs in the background so a signal to this script is handled at once (wait
# returns); it keeps our stdin when there is one.
if { : <&0; } 2>/dev/null; then
  "$@" <&0 &
else
  "$@" </dev/null &
fi
child=$!
echo "$child" >"$LAB_RUN/cmd.pid"
rc=0
wait "$child" || rc=$?
child=
exit "$rc"
