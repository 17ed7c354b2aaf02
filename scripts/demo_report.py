"""`make demo`'s summary: what playbooks/demo.yml installed, and proof from the real
runtimes that each profile does what it says.

For every profile the static probe (tests/integration/probe) runs under the profile and
under a baseline with every capability and no filter; a call counts as blocked by the
profile only when the baseline could make it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests' / 'integration'))
import _harness as h  # noqa: E402  pylint: disable=wrong-import-position

SHOWN = ['unshare_user', 'clone_newuser', 'mount', 'ptrace', 'keyctl', 'bpf', 'userfaultfd', 'setns',
         'io_uring_setup', 'execve']
WORK = ['thread', 'fork', 'file_io']


def blocked(base: dict, got: dict) -> list[str]:
    return [t for t in SHOWN if got['results'].get(t) in ('EPERM', 'ENOSYS') and
            base['results'].get(t) not in ('EPERM', 'ENOSYS')]


def works(got: dict) -> bool:
    return all(got['results'].get(t) == 'OK' for t in WORK)


def main() -> int:
    installed = json.loads((ROOT / 'build' / 'demo-root' / 'installed.json').read_text())
    print('\n== confine.hardening demo: seccomp profiles ==\n')
    docker_base = h.run_docker([], seccomp='unconfined', caps_all=True)
    local_base = h.run_local([])
    failures = 0
    for spec, res in installed:
        print('%s  (preset %s, mode %s, owner %s)' % (spec['name'], res.get('preset'), res.get('mode'),
                                                      res.get('owner')))
        for entry in res['files']:
            print('  %-10s %s  sha256 %s' % (entry['target'], entry['path'], entry['sha256'][:16]))
        files = {e['target']: e['path'] for e in res['files']}
        if 'docker' in files:
            got = h.run_docker([], seccomp=files['docker'], caps_all=True)
            how = 'docker run --security-opt seccomp=...'
            base = docker_base
        else:
            got = h.run_local([], bpf_file=files['bwrap'])
            how = 'probe --load-bpf (the kernel, in-process)'
            base = local_base
        stopped = blocked(base, got)
        if res.get('mode') == 'log':
            ok = not stopped and got['seccomp'] == 2
            verdict = 'log mode: nothing blocked, kernel logs the would-be denials' if ok else 'UNEXPECTED'
        else:
            ok = bool(stopped) and got['seccomp'] == 2 and works(got)
            verdict = 'blocked: %s; threads, fork, file I/O work' % ', '.join(stopped) if ok else 'UNEXPECTED'
        failures += 0 if ok else 1
        print('  proof      %s -> Seccomp: %s; %s\n' % (how, got['seccomp'], verdict))
    print('%d profiles installed, %d proven.' % (len(installed), len(installed) - failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
