#!/usr/bin/env bash
# Stop the lab VM of a run dir (SIGTERM, SIGKILL after 10 s) and remove the run dir
# with its overlay disk. Idempotent: nothing to stop is not an error.
# Run dir: $1, else LAB_RUN, else /run/confine-lab/$LAB_NAME (LAB_NAME default lab).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

run=${1:-$LAB_RUN}
[[ $run == /* && $run != / ]] || die "not a run dir: $run"
if [[ ! -e $run ]]; then
  log "no lab in $run; nothing to do"
  exit 0
fi
[[ -f $run/.confine-lab || -z $(ls -A "$run") ]] ||
  die "$run is not a lab run dir (no .confine-lab); not touching it"
stop_vm "$run"
rm -rf --one-file-system "$run"
log "lab $run stopped and removed"
