"""`make demo`'s summary: what harden.yml installed on the lab host, and proof from the
host's own Docker and containerd that each profile does what it says.

The records the module keeps on the host (/var/lib/confine/seccomp/NAME.json) say what
was installed; every file is hashed again on the host. Each profile's proof runs the
static probe under the profile and under a baseline with every capability and no
filter: a call counts as blocked only when the baseline could make it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys

IMAGE = 'confine/probe:latest'
CTR_IMAGE = 'docker.io/confine/probe:latest'
SHOWN = ['unshare_user', 'clone_newuser', 'mount', 'ptrace', 'keyctl', 'bpf', 'userfaultfd', 'setns']
WORK = ['thread', 'fork', 'file_io']


class Lab:
    def __init__(self, ssh_config: str):
        self.ssh = ['ssh', '-F', ssh_config, 'lab']

    def run(self, cmd: str, timeout: int = 180) -> str:
        proc = subprocess.run(self.ssh + [cmd], capture_output=True, text=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise RuntimeError('on the lab host, %r failed (%d): %s' % (cmd, proc.returncode, proc.stderr.strip()))
        return proc.stdout

    def probe(self, runner: str) -> dict:
        out = self.run('%s /probe %s' % (runner, ' '.join(SHOWN + WORK)))
        return json.loads(out.strip().splitlines()[-1])

    def docker(self, seccomp: str, caps_all: bool = True) -> dict:
        caps = '--cap-add ALL ' if caps_all else ''
        return self.probe('docker run --rm --network none %s--security-opt seccomp=%s %s'
                          % (caps, shlex.quote(seccomp), IMAGE))

    def ctr(self, seccomp: str | None, name: str) -> dict:
        opts = '--seccomp --seccomp-profile %s ' % shlex.quote(seccomp) if seccomp else ''
        return self.probe('ctr -n confine run --rm --privileged %s%s demo-%s' % (opts, CTR_IMAGE, name))


def blocked(base: dict, got: dict) -> list[str]:
    return [t for t in SHOWN if got['results'][t] == 'EPERM' and base['results'][t] != 'EPERM']


def works(got: dict) -> bool:
    return all(got['results'][t] == 'OK' for t in WORK)


def verdict(record: dict, base: dict, got: dict) -> tuple[bool, str]:
    stopped = blocked(base, got)
    if got['seccomp'] != 2:
        return False, 'no seccomp filter in the container'
    if record.get('mode') == 'log':
        if stopped:
            return False, 'log mode blocked %s' % ', '.join(stopped)
        return True, 'nothing blocked (log mode: the kernel records what enforce would block)'
    if not stopped or not works(got):
        return False, 'blocked %s; normal work %s' % (stopped or 'nothing', 'works' if works(got) else 'FAILS')
    return True, 'blocked %s; threads, fork, file I/O work' % ', '.join(stopped)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--ssh-config', required=True)
    lab = Lab(parser.parse_args().ssh_config)
    names = lab.run('ls /var/lib/confine/seccomp').split()
    records = [json.loads(lab.run('cat /var/lib/confine/seccomp/%s' % shlex.quote(n))) for n in names]
    print('\n== confine.hardening on %s: seccomp profiles ==\n' % lab.run('hostname').strip())
    docker_base = lab.docker('unconfined')
    ctr_base = lab.ctr(None, 'baseline')
    proven = 0
    for record in records:
        print('%s  (preset %s, mode %s, owner %s)' % (record['name'], record['preset'], record['mode'],
                                                      record['owner']))
        files = sorted(record['files'].items())
        sums = dict(line.split()[::-1] for line in lab.run('sha256sum %s' % ' '.join(p for p, _h in files))
                    .splitlines())
        intact = all(sums[p] == h for p, h in files)
        for path, digest in files:
            print('  %-58s sha256 %s %s' % (path, digest[:16], 'ok' if sums[path] == digest else 'CHANGED'))
        docker_file = next((p for p, _h in files if p.startswith('/etc/docker/')), None)
        kubelet_file = next((p for p, _h in files if '/seccomp/profiles/' in p), None)
        ok = intact
        if docker_file:
            good, text = verdict(record, docker_base, lab.docker(docker_file))
            ok = ok and good
            print('  proof  docker run --security-opt seccomp=%s -> %s' % (docker_file, text))
        if kubelet_file and record['mode'] != 'log':
            good, text = verdict(record, ctr_base, lab.ctr(kubelet_file, record['name']))
            ok = ok and good
            print('  proof  ctr run --seccomp-profile %s -> %s' % (kubelet_file, text))
        proven += 1 if ok else 0
        print()
    print('%d profiles installed, %d verified on the host.' % (len(records), proven))
    return 0 if proven == len(records) else 1


if __name__ == '__main__':
    sys.exit(main())
