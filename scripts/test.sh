#!/usr/bin/env bash
# make test: every test, one emulated guest at a time (the default, TEST_LANES=serial):
#
#   set-up (Debian packages, the lab's among them, the venv, the engines, the probe image);
#   lint, sanity, unit and integration on the machine itself, and beside them, in the
#   background, the three lab images (Debian 13, Debian 12, arm64: debootstrap and the arm64
#   unpack run natively, no guest, and the host checks use one core of the two);
#   the Molecule debian13 scenario; the Molecule arm64 scenario (the seccomp proof on an
#   aarch64 kernel); tests/lab (the converge-failure scenario); the fleet scenario (two
#   guests); the Molecule default scenario (one guest).
#
# One after another is the faster order on this machine kind (two cores, guests under
# software emulation): measured on clean clones, 2748 s with the stages in two lanes side by
# side and 1725 s one after another, since the emulated guests beside each other, and
# beside the host's own stages, each ran two to three times slower (docs/testing.md, "Measured
# times"). TEST_LANES=parallel still runs them in two lanes: the lab lane (background: the
# Debian 12 image, then the default scenario) beside the host lane (the rest, in the order
# above); the lab lane's output then goes to build/logs/lab.log, each line starting with the
# seconds since make test started, and is printed whole when it ends.
#
# Each stage's time is printed as "== STAGE: N s (ok|FAILED)" and summed up at the end; the
# Molecule stages print their ten slowest tests (pytest --durations=10). A
# failed stage does not stop the ones after it. Exit status: 0 only if every stage passed.
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

case ${TEST_LANES:-serial} in
  serial | parallel) ;;
  *)
    echo "make test: TEST_LANES must be serial (the default) or parallel, not '${TEST_LANES}'" >&2
    exit 2
    ;;
esac

# Set-up, alone: nothing else runs while apt-get, pip and the engines start.
stage setup make --no-print-directory deps venv images || exit 1

lab_lane() {
  local failed=0
  stage lab-image-debian12 make --no-print-directory lab-image PLATFORM=debian12 || return 1
  stage molecule-default env PYTEST_ADDOPTS=--durations=10 .venv/bin/molecule test || failed=1
  return "$failed"
}

host_checks() {
  local failed=0
  stage lint make --no-print-directory lint || failed=1
  stage sanity make --no-print-directory sanity || failed=1
  stage unit make --no-print-directory unit || failed=1
  stage integration make --no-print-directory integration || failed=1
  return "$failed"
}

# the three lab images, one after another; debootstrap and the arm64 unpack run natively (no
# guest), so in the serial order they run beside the host checks, which use one core of two
images_lane() {
  local failed=0
  stage lab-image-debian13 make --no-print-directory lab-image PLATFORM=debian13 || failed=1
  stage lab-image-debian12 make --no-print-directory lab-image PLATFORM=debian12 || failed=1
  stage lab-image-debian12-arm64 make --no-print-directory lab-image PLATFORM=debian12-arm64 || failed=1
  return "$failed"
}

image_ok() { # image_ok PLATFORM: whether the images lane built it
  grep -q "^== lab-image-$1: .*(ok)" "$summary"
}

scenarios() {
  local failed=0
  if image_ok debian13; then
    stage molecule-debian13 env PYTEST_ADDOPTS=--durations=10 .venv/bin/molecule test -s debian13 || failed=1
  else
    failed=1
  fi
  # the arm64 guest under qemu-system-aarch64
  if image_ok debian12-arm64; then
    stage molecule-arm64 env PYTEST_ADDOPTS=--durations=10 .venv/bin/molecule test -s arm64 || failed=1
  else
    failed=1
  fi
  stage lab-lifecycle .venv/bin/pytest -q tests/lab || failed=1
  stage molecule-fleet env PYTEST_ADDOPTS=--durations=10 .venv/bin/molecule test -s fleet || failed=1
  return "$failed"
}

host_lane() { # TEST_LANES=parallel: the host checks, the Debian 13 and arm64 images, the scenarios
  local failed=0
  host_checks || failed=1
  stage lab-image-debian13 make --no-print-directory lab-image PLATFORM=debian13 || failed=1
  stage lab-image-debian12-arm64 make --no-print-directory lab-image PLATFORM=debian12-arm64 || failed=1
  scenarios || failed=1
  return "$failed"
}

serial_lanes() {
  local failed=0
  # the images beside the host checks; their output, stamped, is printed when they are done
  rm -f "$logs/images.rc"
  { images_lane; echo $? >"$logs/images.rc"; } 2>&1 | stamp >"$logs/images.log" &
  local images_pid=$!
  echo "== lab images: building in the background beside the host checks (output in $logs/images.log)"
  host_checks || failed=1
  echo "== host checks done; waiting for the lab images"
  wait "$images_pid"
  echo "== lab images output ($logs/images.log; each line: when it is printed here, then when it happened):"
  cat "$logs/images.log"
  [[ $(cat "$logs/images.rc" 2>/dev/null || echo 1) == 0 ]] || failed=1
  scenarios || failed=1
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
# each line of output carries the seconds since make test started (the stages' own steps,
# Molecule's among them, print no times of their own)
stamp() {
  while IFS= read -r line; do printf '%5d %s\n' $((SECONDS - start)) "$line"; done
}

if [[ ${TEST_LANES:-serial} == serial ]]; then
  # the lanes' exit statuses go through files, since the pipeline's parts are subshells
  rm -f "$logs/host.rc" "$logs/lab.rc"
  { serial_lanes; echo $? >"$logs/host.rc"; lab_lane; echo $? >"$logs/lab.rc"; } 2>&1 | stamp
  host_rc=$(cat "$logs/host.rc" 2>/dev/null || echo 1)
  lab_rc=$(cat "$logs/lab.rc" 2>/dev/null || echo 1)
else
  # each line of the lab lane's log carries the seconds since make test started; the lane's
  # exit status goes through a file, since the background job is the pipeline's last part
  rm -f "$logs/lab.rc"
  { echo "$BASHPID" >"$logs/lab.pid"; lab_lane; echo $? >"$logs/lab.rc"; } 2>&1 | stamp >"$logs/lab.log" &
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
