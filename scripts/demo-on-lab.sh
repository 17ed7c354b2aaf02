#!/usr/bin/env bash
# Runs inside lab/with-lab.sh: LAB_RUN, LAB_PORT and LAB_SSH_CONFIG describe the VM.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
inv=$LAB_RUN/inventory.yml
cat >"$inv" <<INV
all:
  hosts:
    lab:
      ansible_port: $LAB_PORT
      ansible_ssh_private_key_file: ${LAB_CACHE:-/var/cache/confine-lab}/ssh/id_ed25519
      ansible_ssh_common_args: >-
        -o UserKnownHostsFile=$LAB_RUN/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes
INV
echo "== 3/4 ansible-playbook harden.yml =="
ansible-playbook -i inventory/lab.yml -i "$inv" harden.yml
echo "== 4/4 verifying on the lab host =="
ansible-playbook -i inventory/lab.yml -i "$inv" tests/integration/playbooks/import_probe.yml >/dev/null
"$root/.venv/bin/python" scripts/demo_report.py --ssh-config "$LAB_SSH_CONFIG"
