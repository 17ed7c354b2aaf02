#!/usr/bin/env bash
# make test: every test, in two lanes that run side by side on the machine's two cores.
#
#   lab lane (background): the Debian 12 lab image, then the Molecule default scenario (one
#     emulated one-vCPU guest, which keeps about one core busy);
#   host lane (foreground): lint, sanity, unit, integration and the Debian 13 lab image on
#     the machine itself, then the Molecule debian13 scenario, tests/lab and the fleet
#     scenario (their guests run beside the lab lane's: by then the host lane's own work is
#     done; the fleet's two guests come last, when the default scenario is nearly through).
#
# Set-up that both lanes need (Debian packages, the lab's among them, the venv, the
# engines, the probe image) runs first, on its own, so no two apt-get runs meet. The lab lane's output goes to
# build/logs/lab.log and is printed whole when it ends; each stage's time is printed as
# "== STAGE: N s (ok|FAILED)" and summed up at the end; each line of lab.log starts with the
# seconds since make test started. Exit status: 0 only if every
# stage of both lanes passed. TEST_LANES=serial runs everything one stage after another
# (for a machine with one core, or to time the stages alone).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
logs=build/logs
mkdir -p "$logs"
summary=$logs/stages.txt
: >"$summary"
start=$SECONDS

stage() { # stage NAME CMD...: run CMD, record its time and result
  local name=$1 t0=$SECONDS rc
  shift
  echo "== $name: start"
  "$@"
  rc=$?
  local line
  line=$(printf '== %s: %d s (%s)' "$name" $((SECONDS - t0)) "$([[ $rc == 0 ]] && echo ok || echo "FAILED, exit $rc")")
  echo "$line"
  echo "$line" >>"$summary"
  return "$rc"
}

# Set-up, alone: nothing else runs while apt-get, pip and the engines start.
stage setup make --no-print-directory deps venv images || exit 1

lab_lane() {
  local failed=0
  stage lab-image-debian12 make --no-print-directory lab-image PLATFORM=debian12 || return 1
  stage molecule-default .venv/bin/molecule test || failed=1
  return "$failed"
}

host_lane() {
  local failed=0
  stage lint make --no-print-directory lint || failed=1
  stage sanity make --no-print-directory sanity || failed=1
  stage unit make --no-print-directory unit || failed=1
  stage integration make --no-print-directory integration || failed=1
  # the Debian 13 image (debootstrap runs natively, beside the lab lane's guest), then the
  # scenarios whose guests run beside the lab lane's
  if stage lab-image-debian13 make --no-print-directory lab-image PLATFORM=debian13; then
    stage molecule-debian13 .venv/bin/molecule test -s debian13 || failed=1
  else
    failed=1
  fi
  stage lab-lifecycle .venv/bin/pytest -q tests/lab || failed=1
  stage molecule-fleet .venv/bin/molecule test -s fleet || failed=1
  return "$failed"
}

# shellcheck disable=SC2317 # called from the trap below
stop_lab_lane() {
  local pid
  pid=$(cat "$logs/lab.pid" 2>/dev/null) || return 0
  pkill -TERM -P "$pid" 2>/dev/null
  kill -TERM "$pid" 2>/dev/null
}

export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg"
if [[ ${TEST_LANES:-parallel} == serial ]]; then
  host_lane
  host_rc=$?
  lab_lane
  lab_rc=$?
else
  # each line of the lab lane's log carries the seconds since make test started; the lane's
  # exit status goes through a file, since the background job is the pipeline's last part
  rm -f "$logs/lab.rc"
  { echo "$BASHPID" >"$logs/lab.pid"; lab_lane; echo $? >"$logs/lab.rc"; } 2>&1 |
    while IFS= read -r line; do printf '%5d %s\n' $((SECONDS - start)) "$line"; done >"$logs/lab.log" &
  lab_pid=$!
  # an interrupted make test stops the lab lane too (the lab's own watchdogs stop its guests)
  trap 'stop_lab_lane; exit 130' INT TERM HUP
  echo "== lab lane: started in the background (output in $logs/lab.log)"
  host_lane
  host_rc=$?
  echo "== host lane done; waiting for the lab lane"
  wait "$lab_pid"
  lab_rc=$(cat "$logs/lab.rc" 2>/dev/null || echo 1)
  trap - INT TERM HUP
  echo "== lab lane output ($logs/lab.log):"
  cat "$logs/lab.log"
fi

echo "== stage times (s)"
cat "$summary"
printf '== make test: %d s\n' $((SECONDS - start))
if [[ $host_rc == 0 && $lab_rc == 0 ]]; then
  echo "== make test: every stage passed"
  exit 0
fi
echo "== make test: FAILED (host lane exit $host_rc, lab lane exit $lab_rc)"
exit 1
