"""Helpers the lab scenarios' verify tests share (molecule/*/tests): the kernel's loaded
AppArmor profiles, the audit records written during a test, and one module run through the
ansible CLI against the scenario's own inventory."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import tempfile
from pathlib import Path

AUDIT_LOG = '/var/log/audit/audit.log'
IMAGE = 'confine/probe:latest'
CTR_IMAGE = 'docker.io/confine/probe:latest'
PODMAN_IMAGE = 'localhost/confine/probe:latest'
# Molecule sets ANSIBLE_FORCE_COLOR for its own output; the CLI runs here print plain text
PLAIN = dict(os.environ, ANSIBLE_FORCE_COLOR='0', ANSIBLE_NOCOLOR='1')
ANSI = re.compile(r'\x1b\[[0-9;]*m')


def loaded(host):
    """{profile name: mode} as the kernel shows it."""
    out = {}
    for line in host.file('/sys/kernel/security/apparmor/profiles').content_string.splitlines():
        name, mode = line.rsplit(' (', 1)
        out[name] = mode.rstrip(')')
    return out


class AuditLog:
    """The audit.log lines written after construction."""

    def __init__(self, host):
        self.host = host
        self.start = int(host.check_output('wc -l < %s' % AUDIT_LOG))

    def apparmor(self, verdict, profile, needle):
        lines = self.host.check_output('tail -n +%d %s' % (self.start + 1, AUDIT_LOG)).splitlines()
        return [line for line in lines if 'apparmor="%s"' % verdict in line
                and 'profile="%s"' % profile in line and needle in line]


def run_module(host, module, **args):
    """Run ``module`` through the ansible CLI: its result, with failed set from the exit code
    (ansible exits 2 when the task failed; the --tree file holds the module's result) and
    warnings from the CLI's own "[WARNING]: " lines (ansible-core 2.19 keeps them out of the
    --tree file)."""
    runner = host.backend.ansible_runner
    with tempfile.TemporaryDirectory() as tree:
        proc = subprocess.run(['ansible', '-i', runner.inventory_file, host.backend.host, '-m', module,
                               '-a', json.dumps(args), '--tree', tree], capture_output=True, text=True,
                              check=False, timeout=600, env=PLAIN)
        assert proc.returncode in (0, 2), (proc.returncode, proc.stdout, proc.stderr)
        result = json.loads((Path(tree) / host.backend.host).read_text())
    result['failed'] = proc.returncode == 2
    result.setdefault('warnings', warnings(proc.stderr))
    return result


def warnings(stderr):
    """The "[WARNING]: " messages in ``stderr``, a message's indented continuation lines joined to it."""
    out, open_ = [], False
    for line in ANSI.sub('', stderr).splitlines():
        if line.startswith('[WARNING]: '):
            out.append(line[len('[WARNING]: '):])
            open_ = True
        elif open_ and line.startswith(' ') and line.strip():
            out[-1] += ' ' + line.strip()
        else:
            open_ = False
    return out


def probe_result(result, test):
    """One probe's result from the probe image's JSON line (the run must have succeeded)."""
    assert result.rc == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])['results'][test]


def secret_and_plain(host, workdir):
    """Two new files under ``workdir``: one an explicit deny rule covers (secret-*), one no
    rule lets the profile write (plain-*); and the token in both names."""
    token = secrets.token_hex(4)
    secret, plain = '%s/secret-%s' % (workdir, token), '%s/plain-%s' % (workdir, token)
    host.run_expect([0], 'mkdir -p %s && echo s > %s && echo p > %s' % (workdir, secret, plain))
    return token, secret, plain


def check_complain_is_a_dry_run(host, profile, workdir):
    """Under the complain profile (files /tmp/confine-aa/** r, audit deny secret-* r), the
    explicit denial (reading the secret) and the implicit one (writing) both go through, and
    the kernel logs each as ALLOWED, never DENIED."""
    token, secret, plain = secret_and_plain(host, workdir)
    log = AuditLog(host)
    read = host.run('aa-exec -p %s -- cat %s' % (profile, secret))
    write = host.run("aa-exec -p %s -- sh -c 'echo w > %s'" % (profile, plain))
    assert (read.rc, read.stdout.strip()) == (0, 's'), read.stderr
    assert write.rc == 0, write.stderr
    assert log.apparmor('ALLOWED', profile, 'name="%s"' % secret)
    assert log.apparmor('ALLOWED', profile, 'name="%s"' % plain)
    assert not log.apparmor('DENIED', profile, token)


def check_enforce_blocks(host, profile, workdir):
    """The same accesses under the enforcing twin are refused and logged DENIED, while what
    the profile allows (reading the plain file) still works."""
    _token, secret, plain = secret_and_plain(host, workdir)
    log = AuditLog(host)
    read = host.run('aa-exec -p %s -- cat %s' % (profile, secret))
    write = host.run("aa-exec -p %s -- sh -c 'echo w > %s'" % (profile, plain))
    allowed = host.run('aa-exec -p %s -- cat %s' % (profile, plain))
    assert read.rc != 0 and 'Permission denied' in read.stderr
    assert write.rc != 0 and 'Permission denied' in write.stderr
    assert (allowed.rc, allowed.stdout.strip()) == (0, 'p'), allowed.stderr
    assert log.apparmor('DENIED', profile, 'name="%s"' % secret)
    assert log.apparmor('DENIED', profile, 'name="%s"' % plain)
    assert host.file(plain).content_string == 'p\n'
