#!/usr/bin/env bash
# bench/lab_pyc_cache.sh [REPS]: what the lab image's bytecode cache for zip imports
# (lab/rootfs-overlay/usr/lib/python3/dist-packages/confine_lab_pyc.py) saves per Ansible
# module run. Boots one Debian 12 lab host and runs eight `stat` module runs over one ssh
# connection REPS times (default 3) with the cache and REPS times without it (its .pth file
# moved aside), alternating, after one untimed run that fills the cache. Prints each run and
# the medians, and the number of cache entries (the sources compiled once instead of every run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export ANSIBLE_CONFIG=$root/ansible.cfg PATH=$root/.venv/bin:$PATH
reps=${1:-3}
[[ $reps =~ ^[1-9][0-9]?$ ]] || { echo "REPS must be a number from 1 to 99" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/lab_bench.sh
source "$root/bench/lab_bench.sh"
bench_stats_play "$work"
cat >"$work/in-lab.sh" <<'I'
#!/usr/bin/env bash
set -euo pipefail
# shellcheck source=bench/lab_bench.sh
source "$BENCH_ROOT/bench/lab_bench.sh"
bench_inventory
pth=/usr/lib/python3/dist-packages/confine_lab_pyc.pth
g() { ssh -F "$LAB_SSH_CONFIG" lab "$@"; }
run() {
  local s
  s=$(date +%s%N)
  ansible-playbook -i "$LAB_RUN/bench-inv.yml" "$BENCH_WORK/stats.yml" >/dev/null
  echo $(( ($(date +%s%N) - s) / 1000000 ))
}
g test -f "$pth" || { echo "this lab image has no $pth" >&2; exit 1; }
run >/dev/null
on=() off=()
for ((i = 0; i < REPS; i++)); do
  g mv "$pth" "$pth.off"
  off+=("$(run)")
  g mv "$pth.off" "$pth"
  on+=("$(run)")
  echo "  rep $((i + 1)): without the cache ${off[-1]} ms, with it ${on[-1]} ms (eight stat module runs)"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
m_off=$(median "${off[@]}") m_on=$(median "${on[@]}")
echo "  median: without ${m_off} ms, with ${m_on} ms, ratio $(awk -v a="$m_on" -v b="$m_off" 'BEGIN {printf "%.2f", a / b}')"
echo "  cache entries: $(g 'ls /var/cache/confine-lab-pyc | wc -l') compiled sources"
I
chmod +x "$work/in-lab.sh"
BENCH_ROOT="$root" BENCH_WORK="$work" REPS=$reps LAB_NAME=bench-pyc lab/with-lab.sh "$work/in-lab.sh" 2>&1 | grep -v '^\[lab'
