#!/usr/bin/env bash
# bench/lab_guest_options.sh [CONFIG ...]: boot the Debian 12 lab host once per CONFIG (env
# assignments for lab/up.sh, e.g. "LAB_SMP=2 LAB_MITIGATIONS=auto"), one after another, and
# time the same guest work in each: python start-up and imports, 200 fork+exec, a CPU loop,
# 100000 clock reads, and eight Ansible `stat` module runs over one ssh connection (what a
# role task costs). Medians need repeats: pass a CONFIG twice to run it twice.
# Default: the two-vCPU guest with the kernel's mitigations beside the lab default.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export ANSIBLE_CONFIG=$root/ansible.cfg PATH=$root/.venv/bin:$PATH
(($#)) || set -- "LAB_SMP=2 LAB_MITIGATIONS=auto" "LAB_SMP=1 LAB_MITIGATIONS=off"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/guest.sh" <<'G'
t() { local s=$(date +%s%N); "$@" >/dev/null 2>&1; echo "  $(( ($(date +%s%N) - s) / 1000000 )) ms  $*"; }
echo "  clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource), $(nproc) vCPU"
t python3 -c pass
t python3 -c 'import json,subprocess,shlex,tempfile,hashlib,locale,platform,typing,dataclasses,inspect'
t sh -c 'for i in $(seq 200); do /bin/true; done'
t python3 -c 'sum(i*i for i in range(2000000))'
t python3 -c 'import time;[time.time() for _ in range(100000)]'
G
# shellcheck source=bench/lab_bench.sh
source "$root/bench/lab_bench.sh"
bench_stats_play "$work"
cat >"$work/in-lab.sh" <<'I'
#!/usr/bin/env bash
set -euo pipefail
# shellcheck source=bench/lab_bench.sh
source "$BENCH_ROOT/bench/lab_bench.sh"
bench_inventory
echo "  boot to ssh and systemd up: $(cat "$LAB_RUN/boot-seconds" 2>/dev/null || echo ?) s"
ssh -F "$LAB_SSH_CONFIG" lab bash -s <"$BENCH_WORK/guest.sh"
s=$(date +%s%N)
ansible-playbook -i "$LAB_RUN/bench-inv.yml" "$BENCH_WORK/stats.yml" >/dev/null
echo "  $(( ($(date +%s%N) - s) / 1000000 )) ms  eight stat module runs"
I
chmod +x "$work/in-lab.sh"
for cfg in "$@"; do
  echo "== $cfg"
  # shellcheck disable=SC2086 # CONFIG is a list of assignments
  env $cfg BENCH_ROOT="$root" BENCH_WORK="$work" LAB_NAME=bench-guest lab/with-lab.sh "$work/in-lab.sh" 2>&1 | grep -v '^\[lab'
done
