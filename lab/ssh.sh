#!/usr/bin/env bash
# Run a command on the lab VM as root (an interactive shell without one):
#   lab/ssh.sh 'aa-status --json'
# Uses LAB_SSH_CONFIG (set by with-lab.sh), else $LAB_RUN/ssh_config.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

cfg=${LAB_SSH_CONFIG:-$LAB_RUN/ssh_config}
[[ -f $cfg ]] || die "no lab is up in $LAB_RUN (no $cfg); start one with lab/up.sh"
exec ssh -F "$cfg" lab "$@"
