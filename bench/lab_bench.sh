# shellcheck shell=bash
# Sourced by the lab benchmarks (bench/lab_guest_options.sh, bench/lab_pyc_cache.sh): the
# timed Ansible work and the inventory of the benchmark's lab host.

# bench_stats_play DIR: DIR/stats.yml, eight `stat` module runs over one ssh connection
# (what a role task costs)
bench_stats_play() {
  cat >"$1/stats.yml" <<'P'
- hosts: lab
  gather_facts: false
  tasks:
    - ansible.builtin.stat: path=/etc/passwd
      loop: [1, 2, 3, 4, 5, 6, 7, 8]
P
}

# bench_inventory: $LAB_RUN/bench-inv.yml for the host lab/with-lab.sh booted (inside it:
# LAB_RUN and LAB_PORT are set)
bench_inventory() {
  cat >"$LAB_RUN/bench-inv.yml" <<INV
all:
  hosts:
    lab:
      ansible_host: 127.0.0.1
      ansible_user: root
      ansible_python_interpreter: /usr/bin/python3
      ansible_port: $LAB_PORT
      ansible_ssh_private_key_file: ${LAB_CACHE:-/var/cache/confine-lab}/ssh/id_ed25519
      ansible_ssh_common_args: -o UserKnownHostsFile=$LAB_RUN/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes
INV
}
