"""`make demo`'s summary: what harden.yml installed on the lab host, and proof from the
host's own Docker and containerd that each profile does what it says (seccomp), and
that each AppArmor profile is loaded in its mode and confines a container (AppArmor).

The records the module keeps on the host (/var/lib/confine/seccomp/NAME.json) say what
was installed; every file is hashed again on the host. Each profile's proof runs the
static probe under the profile and under a baseline with every capability and no
filter: a call counts as blocked only when the baseline could make it.
"""

from __future__ import annotations

import argparse
import json
import re
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


MARKER = '# Managed by confine.hardening.'


def apparmor_report(lab: Lab) -> tuple[int, int]:
    """Each profile file of ours: the mode the file asks for, the mode the kernel shows,
    and for container profiles (no attachment) what a privileged container may do."""
    paths = lab.run("grep -l -x -F -e '%s Do not edit: changes are overwritten on the next run.' "
                    "/etc/apparmor.d/* || true" % MARKER).split()
    kernel = dict(line[:-1].rsplit(' (', 1) for line in
                  lab.run('cat /sys/kernel/security/apparmor/profiles').splitlines())
    print('== AppArmor profiles ==\n')
    proven = 0
    for path in paths:
        name = path.rsplit('/', 1)[1]
        text = lab.run('cat %s' % shlex.quote(path))
        head = dict(line[2:].split(': ', 1) for line in text.splitlines() if line.startswith('# ') and ': ' in line)
        want = head.get('mode', 'enforce')
        digest = lab.run('sha256sum %s' % shlex.quote(path)).split()[0]
        have = kernel.get(name, 'not loaded')
        ok = have == (want if want != 'disabled' else 'not loaded')
        print('%s  (mode %s, owner %s)' % (name, want, head.get('owner', '-')))
        print('  %-58s sha256 %s' % (path, digest[:16]))
        print('  kernel: %s %s' % (have, 'ok' if ok else 'MISMATCH'))
        # A profile without an attachment path is a container profile.
        container = re.search(r'^profile \S+( flags=\([^)]*\))? \{$', text, re.M) is not None
        if want in ('enforce', 'complain') and container:
            run = 'docker run --rm --network none --privileged --security-opt apparmor=%s %s' % (name, IMAGE)
            label = lab.run('%s cat /proc/self/attr/current' % run).strip()
            start = int(lab.run('wc -l < /var/log/audit/audit.log'))
            mount = json.loads(lab.run('%s /probe mount' % run).strip().splitlines()[-1])['results']['mount']
            verdicts = re.findall(r'apparmor="([A-Z]+)" operation="mount" .*profile="%s"' % re.escape(name),
                                  lab.run('tail -n +%d /var/log/audit/audit.log' % (start + 1)))
            expect = ('EACCES', 'DENIED') if want == 'enforce' else ('OK', 'ALLOWED')
            good = label == '%s (%s)' % (name, want) and (mount, verdicts[:1]) == (expect[0], [expect[1]])
            ok = ok and good
            print('  proof  docker run --privileged --security-opt apparmor=%s -> label "%s", mount %s, '
                  'audit apparmor="%s" %s' % (name, label, mount, verdicts[0] if verdicts else 'none',
                                              'ok' if good else 'UNEXPECTED'))
        elif want != 'disabled':
            attach = re.search(r'^profile \S+ (\S+)', text, re.M)
            print('  confines %s' % (attach.group(1) if attach else '-'))
        proven += 1 if ok else 0
        print()
    return len(paths), proven


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
    aa_total, aa_proven = apparmor_report(lab)
    print('%d seccomp profiles installed, %d verified on the host; %d AppArmor profiles installed, %d verified.'
          % (len(records), proven, aa_total, aa_proven))
    return 0 if proven == len(records) and aa_proven == aa_total else 1


if __name__ == '__main__':
    sys.exit(main())
