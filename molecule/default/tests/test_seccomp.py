"""Verify on the lab host: the seccomp profiles harden.yml installed are the expected
bytes, and Docker and containerd really enforce them.

The expected content is computed here, on the controller, from the same inventory
specs with the collection's own spec model and this machine's libseccomp - not read back
from the host - so a wrong file on the host fails the test.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(PROJECT / 'collections'))

# pylint: disable=wrong-import-position
from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp  # noqa: E402
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci  # noqa: E402
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_presets as presets  # noqa: E402
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as spec_mod  # noqa: E402
from ansible_collections.confine.hardening.plugins.modules import seccomp_profile as module  # noqa: E402

PROFILES = yaml.safe_load((PROJECT / 'inventory' / 'group_vars' / 'all.yml').read_text())['host_hardening_seccomp_profiles']
PATHS = {
    'docker': '/etc/docker/seccomp/{name}.json',
    'kubelet': '/var/lib/kubelet/seccomp/profiles/{name}.json',
    'containerd': '/etc/containerd/seccomp/{name}.json',
}
IMAGE = 'confine/probe:latest'
CTR_IMAGE = 'docker.io/confine/probe:latest'
BLOCKED = ['unshare_user', 'clone_newuser', 'mount', 'ptrace', 'keyctl', 'bpf', 'setns']
WORKS = ['thread', 'fork', 'file_io']
X86_64_NR = {'unshare': 272, 'mount': 165, 'ptrace': 101, 'keyctl': 250, 'bpf': 321, 'setns': 308}


def profile(name):
    return next(p for p in PROFILES if p['name'] == name)


@pytest.fixture(scope='module')
def expected(host):
    """{profile name: expected canonical JSON text} for this host's arch and kernel."""
    facts = {'machine': host.check_output('uname -m'), 'kernel': host.check_output('uname -r')}
    backend = libseccomp.load('ctypes')
    out = {}
    for spec in PROFILES:
        user = dict((k, v) for k, v in spec.items() if k in spec_mod.SPEC_KEYS and k != 'name')
        prof, _info = spec_mod.build_profile(user, facts)
        prof, _missing, _warn, _progs = module.check_with_libseccomp(
            backend, prof, module.user_name_fields(user), presets.preset_names(user))
        out[spec['name']] = oci.canonical_json(prof)
    return out


def probe(host, runner, *tests):
    cmd = '%s /probe %s' % (runner, ' '.join(tests))
    result = host.run(cmd)
    assert result.rc == 0, (cmd, result.stdout, result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def docker(host, seccomp=None, caps_all=False, tests=()):
    opts = ['--rm', '--network', 'none']
    if seccomp:
        opts += ['--security-opt', 'seccomp=' + seccomp]
    if caps_all:
        opts += ['--cap-add', 'ALL']
    return probe(host, 'docker run %s %s' % (' '.join(opts), IMAGE), *tests)


def ctr(host, seccomp=None, tests=()):
    opts = ['--rm', '--privileged']
    if seccomp:
        opts += ['--seccomp', '--seccomp-profile', seccomp]
    cid = 'verify-%s' % hashlib.sha256(repr((seccomp, tests)).encode()).hexdigest()[:12]
    return probe(host, 'ctr -n confine run %s %s %s' % (' '.join(opts), CTR_IMAGE, cid), *tests)


@pytest.fixture(scope='module')
def docker_baseline(host):
    base = docker(host, seccomp='unconfined', caps_all=True, tests=BLOCKED + WORKS)
    assert base['seccomp'] == 0
    assert [t for t in BLOCKED if base['results'][t] == 'EPERM'] == []
    return base


@pytest.mark.parametrize('spec', PROFILES, ids=[p['name'] for p in PROFILES])
def test_profile_files_have_the_expected_bytes_and_modes(host, expected, spec):
    want = hashlib.sha256(expected[spec['name']].encode()).hexdigest()
    for target in spec['targets']:
        if target == 'bwrap':
            continue
        f = host.file(PATHS[target].format(name=spec['name']))
        assert f.exists and f.is_file, f.path
        assert f.mode == 0o644 and f.user == 'root' and f.group == 'root', f.path
        assert f.sha256sum == want, f.path


def test_bwrap_program_is_installed(host):
    f = host.file('/etc/confine/seccomp/web.x86_64.bpf')
    assert f.exists and f.mode == 0o644 and f.size % 8 == 0 and f.size > 0


def test_state_record_lists_the_installed_files(host, expected):
    record = json.loads(host.file('/var/lib/confine/seccomp/web.json').content_string)
    want = hashlib.sha256(expected['web'].encode()).hexdigest()
    assert record['files']['/etc/docker/seccomp/web.json'] == want
    assert record['owner'] == 'platform-team' and record['preset'] == 'hardened'


def test_docker_enforces_hardened(host, docker_baseline):
    got = docker(host, seccomp=PATHS['docker'].format(name='web'), caps_all=True, tests=BLOCKED + WORKS)
    assert got['seccomp'] == 2
    assert {t: got['results'][t] for t in BLOCKED} == dict.fromkeys(BLOCKED, 'EPERM')
    assert {t: got['results'][t] for t in WORKS} == dict.fromkeys(WORKS, 'OK')


def test_daemon_wide_default_applies_to_containers_that_name_no_profile(host, docker_baseline):
    # The inventory makes `web` (hardened) dockerd's default. Docker's built-in default
    # lets an all-capabilities container mount and unshare; the hardened default does not.
    # (Our runtime-default against Docker's built-in one is compared probe by probe in
    # tests/integration, on the same Docker version.)
    options = host.check_output("docker info --format '{{json .SecurityOptions}}'")
    assert 'name=seccomp,profile=/etc/docker/seccomp/web.json' in json.loads(options)
    got = docker(host, caps_all=True, tests=BLOCKED + WORKS)
    assert got['seccomp'] == 2
    assert {t: got['results'][t] for t in BLOCKED} == dict.fromkeys(BLOCKED, 'EPERM')
    assert {t: got['results'][t] for t in WORKS} == dict.fromkeys(WORKS, 'OK')


def test_containerd_enforces_the_kubelet_path_file(host):
    base = ctr(host, tests=BLOCKED + WORKS)
    got = ctr(host, seccomp=PATHS['kubelet'].format(name='web'), tests=BLOCKED + WORKS)
    assert base['seccomp'] == 0 and got['seccomp'] == 2
    for test in BLOCKED:
        assert base['results'][test] != 'EPERM' and got['results'][test] == 'EPERM', test
    assert {t: got['results'][t] for t in WORKS} == dict.fromkeys(WORKS, 'OK')


def test_log_mode_blocks_nothing_and_auditd_records_the_would_be_denials(host, docker_baseline):
    log = '/var/log/audit/audit.log'
    before = int(host.check_output('wc -l < %s' % log))
    got = docker(host, seccomp=PATHS['docker'].format(name='web-observe'), caps_all=True, tests=BLOCKED)
    assert got['seccomp'] == 2
    assert got['results'] == {t: docker_baseline['results'][t] for t in BLOCKED}
    new = host.check_output('tail -n +%d %s' % (before + 1, log)).splitlines()
    seen = set()
    for line in new:
        if line.startswith('type=SECCOMP') and 'comm="probe"' in line and 'code=0x7ffc0000' in line:
            for name, nr in X86_64_NR.items():
                if ' syscall=%d ' % nr in line:
                    seen.add(name)
    assert seen == set(X86_64_NR), (seen, new[-20:])
