"""Cost of an idempotent re-run of harden.yml: many profiles against one of each.

Runs against a lab host (inside lab/with-lab.sh, which exports LAB_RUN and LAB_PORT, or
against a running `make lab-up` VM with LAB_RUN set). Two inventories differ only in
their profile lists:

  small: 1 seccomp profile (hardened; docker, kubelet, containerd) + 1 AppArmor profile
  large: 50 seccomp profiles of the same kind + 20 AppArmor profiles (container-default)

Both are converged once (not timed), then each is re-run REPS times, alternating small
and large so that a noisy neighbour hits both alike. Every timed run must report
changed=0. Prints the medians and the ratio, and writes them into docs/benchmarks.md
between the markers of this benchmark.

    lab/with-lab.sh .venv/bin/python bench/rerun_cost.py [--reps 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / 'docs' / 'benchmarks.md'
BEGIN, END = '<!-- rerun_cost:begin -->', '<!-- rerun_cost:end -->'


def profiles(seccomp: int, apparmor: int) -> dict:
    return {
        'host_hardening_seccomp_profiles': [
            {'name': 'bench-s%02d' % i, 'preset': 'hardened', 'targets': ['docker', 'kubelet', 'containerd'],
             'owner': 'bench'} for i in range(seccomp)],
        'host_hardening_apparmor_profiles': [
            {'name': 'bench-a%02d' % i, 'preset': 'container-default', 'owner': 'bench'} for i in range(apparmor)],
    }


def inventory(tmp: Path) -> Path:
    run = os.environ['LAB_RUN']
    port = Path(run, 'port').read_text().strip()
    cache = os.environ.get('LAB_CACHE', '/var/cache/confine-lab')
    path = tmp / 'inventory.yml'
    path.write_text(json.dumps({'all': {'hosts': {'lab': {
        'ansible_host': '127.0.0.1', 'ansible_port': int(port), 'ansible_user': 'root',
        'ansible_python_interpreter': '/usr/bin/python3',
        'ansible_ssh_private_key_file': cache + '/ssh/id_ed25519',
        'ansible_ssh_common_args': '-o UserKnownHostsFile=%s/known_hosts -o StrictHostKeyChecking=yes '
                                   '-o IdentitiesOnly=yes -o ControlMaster=auto -o ControlPersist=120s' % run,
    }}}}))
    return path


def harden(inv: Path, varfile: Path) -> tuple[float, str]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    start = time.monotonic()
    proc = subprocess.run([str(ROOT / '.venv' / 'bin' / 'ansible-playbook'), '-i', str(inv), '-e', '@%s' % varfile,
                           str(ROOT / 'harden.yml')], capture_output=True, text=True, env=env, cwd=str(ROOT),
                          check=False, timeout=1800)
    took = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit('harden.yml failed:\n' + proc.stdout[-4000:] + proc.stderr[-2000:])
    changed = re.findall(r'^lab\s+:.*changed=(\d+)', proc.stdout, re.M)
    return took, changed[-1] if changed else '?'


def write_doc(text: str) -> None:
    doc = DOC.read_text() if DOC.exists() else '# Benchmarks\n\n%s\n%s\n' % (BEGIN, END)
    if BEGIN not in doc:
        doc += '\n%s\n%s\n' % (BEGIN, END)
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(head + BEGIN + '\n' + text + END + tail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--reps', type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inv = inventory(tmp)
        sets = {'small': profiles(1, 1), 'large': profiles(50, 20)}
        files = {}
        for name, data in sets.items():
            # each set keeps its own governance record, so alternating them changes nothing
            data['host_hardening_record_path'] = '/etc/ansible/facts.d/confine_bench_%s.fact' % name
            files[name] = tmp / ('%s.json' % name)
            files[name].write_text(json.dumps(data))
        # first converge of each (installs); then one untimed re-run to settle caches
        for name in ('small', 'large'):
            took, _changed = harden(inv, files[name])
            print('converge %-5s %.1f s' % (name, took), flush=True)
        times = {'small': [], 'large': []}
        for rep in range(args.reps):
            for name in (('small', 'large') if rep % 2 == 0 else ('large', 'small')):
                took, changed = harden(inv, files[name])
                if changed != '0':
                    sys.exit('the re-run of %s reported changed=%s; an idempotent run must change nothing'
                             % (name, changed))
                times[name].append(took)
                print('re-run   %-5s %.1f s' % (name, took), flush=True)
    small, large = statistics.median(times['small']), statistics.median(times['large'])
    ratio = large / small
    stamp = time.strftime('%Y-%m-%d')
    text = (
        '| re-run of harden.yml (idempotent, changed=0) | runs | median | all runs |\n'
        '|---|---|---|---|\n'
        '| 1 seccomp + 1 AppArmor profile | %d | %.1f s | %s |\n'
        '| 50 seccomp + 20 AppArmor profiles | %d | %.1f s | %s |\n\n'
        '**Ratio large / small: %.2f** (target: at most 2). Measured %s on the lab host (Debian 12 VM, '
        'software emulation, 2 vCPUs) from a 2-core controller, alternating the two sets; reproduce with '
        '`make bench-rerun`.\n'
        % (len(times['small']), small, ', '.join('%.1f' % t for t in times['small']),
           len(times['large']), large, ', '.join('%.1f' % t for t in times['large']), ratio, stamp))
    print('\n' + text)
    write_doc(text)
    return 0 if ratio <= 2 else 1


if __name__ == '__main__':
    sys.exit(main())
