"""Verify on the lab host what the host_hardening role wires beyond the profile files:
the governance record, the stages, Docker's daemon-wide default (and its rollback when
dockerd will not start), and the kubelet's seccompDefault.

Several tests run harden.yml again with extra variables, through ansible-playbook and the
scenario's own inventory, as a user would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path


PROJECT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(PROJECT / 'molecule' / 'shared'))

# pylint: disable=wrong-import-position
from labtest import loaded  # noqa: E402

RECORD = '/etc/ansible/facts.d/confine_hardening.fact'
DAEMON_JSON = '/etc/docker/daemon.json'
# Molecule forces colour on; these runs are read by the tests, so they go without.
PLAIN = dict(os.environ, ANSIBLE_FORCE_COLOR='0', ANSIBLE_NOCOLOR='1')


def harden(host, **extra):
    runner = host.backend.ansible_runner
    cmd = ['ansible-playbook', '-i', runner.inventory_file, str(PROJECT / 'harden.yml')]
    if extra:
        cmd += ['-e', json.dumps(extra)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=900, cwd=str(PROJECT), env=PLAIN)
    return proc.returncode, re.sub(r'\x1b\[[0-9;]*m', '', proc.stdout + proc.stderr)


def recap(output):
    line = [x for x in output.splitlines() if x.startswith('lab ') and 'ok=' in x][-1]
    return dict(part.split('=') for part in line.split(':', 1)[1].split())


def record(host):
    return json.loads(host.file(RECORD).content_string)


def test_governance_record_lists_every_profile_with_hashes_that_match(host):
    rec = record(host)
    assert rec['collection']['name'] == 'confine.hardening' and rec['stage'] == 'enforce'
    kinds = sorted((p['kind'], p['name']) for p in rec['profiles'])
    assert ('seccomp', 'web') in kinds and ('apparmor', 'confine-container') in kinds
    for profile in rec['profiles']:
        assert profile['owner'] == 'platform-team' and profile['installed_at'] and profile['mode']
        for f in profile['files']:
            assert host.file(f['path']).sha256sum == f['sha256'], f['path']
    assert rec['runtime']['docker_default_seccomp'] == 'web'
    web = rec['runtime']['security_contexts']['seccomp']['web']
    assert web == {'seccompProfile': {'type': 'Localhost', 'localhostProfile': 'profiles/web.json'}}
    # the next run reads it back as a local fact
    facts = host.ansible('setup', 'filter=ansible_local', check=False)['ansible_facts']['ansible_local']
    assert facts['confine_hardening']['profiles'] == rec['profiles']


def test_kubelet_config_gets_seccomp_default_and_keeps_its_keys(host):
    text = host.file('/var/lib/kubelet/config.yaml').content_string
    assert 'seccompDefault: true' in text.splitlines()
    assert 'cgroupDriver: systemd' in text and 'kind: KubeletConfiguration' in text


def run_verify_playbook(host):
    runner = host.backend.ansible_runner
    proc = subprocess.run(['ansible-playbook', '-i', runner.inventory_file, str(PROJECT / 'playbooks' / 'verify.yml')],
                          capture_output=True, text=True, check=False, timeout=600, cwd=str(PROJECT), env=PLAIN)
    return proc.returncode, re.sub(r'\x1b\[[0-9;]*m', '', proc.stdout + proc.stderr)


def test_verify_playbook_passes_and_catches_a_changed_file(host):
    rc, out = run_verify_playbook(host)
    assert rc == 0, out[-3000:]
    path = '/etc/containerd/seccomp/web.json'
    original = host.file(path).content_string
    host.run_expect([0], "printf ' ' >> %s" % path)
    try:
        rc, out = run_verify_playbook(host)
        assert rc != 0 and '%s differs from the record (seccomp profile web)' % path in out
    finally:
        host.run_expect([0], "printf '%%s' '%s' > %s" % (original, path))
    assert host.file(path).content_string == original


# One run in the observe stage with the daemon-wide default dropped, then one run back:
# two claims share the two runs (each run of harden.yml costs about a minute here).
def test_observe_stage_logs_instead_of_blocking_and_a_dropped_default_leaves_daemon_json_then_both_come_back(host):
    rc, out = harden(host, host_hardening_stage='observe', host_hardening_docker_default_seccomp='')
    assert rc == 0, out[-3000:]
    modes = loaded(host)
    assert modes['confine-container'] == 'complain'            # no mode of its own: follows the stage
    assert modes['confine-container-observe'] == 'complain'
    web = json.loads(host.file('/etc/docker/seccomp/web.json').content_string)
    actions = {r['action'] for r in web['syscalls']}
    assert 'SCMP_ACT_LOG' in actions and 'SCMP_ACT_ERRNO' not in actions
    assert record(host)['stage'] == 'observe'
    # the dropped daemon-wide default is out of daemon.json and dockerd was restarted without it
    assert 'seccomp-profile' not in json.loads(host.file(DAEMON_JSON).content_string)
    options = json.loads(host.check_output("docker info --format '{{json .SecurityOptions}}'"))
    assert 'name=seccomp,profile=default' in options, options
    assert record(host)['runtime']['docker_default_seccomp'] == ''

    rc, out = harden(host)
    assert rc == 0, out[-3000:]
    assert loaded(host)['confine-container'] == 'enforce' and record(host)['stage'] == 'enforce'
    web = json.loads(host.file('/etc/docker/seccomp/web.json').content_string)
    assert 'SCMP_ACT_ERRNO' in {r['action'] for r in web['syscalls']}
    assert json.loads(host.file(DAEMON_JSON).content_string)['seccomp-profile'] == '/etc/docker/seccomp/web.json'
    assert record(host)['runtime']['docker_default_seccomp'] == 'web'
    options = json.loads(host.check_output("docker info --format '{{json .SecurityOptions}}'"))
    assert 'name=seccomp,profile=/etc/docker/seccomp/web.json' in options, options
