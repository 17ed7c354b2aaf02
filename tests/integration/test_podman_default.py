"""podman on this machine: ``podman run --security-opt seccomp=FILE`` enforces a profile, and the
drop-in confine.hardening.podman_containers_conf writes (run through ansible, as the role runs it)
makes that profile podman's host-wide default at the next invocation, with no restart; state
absent with the written file's sha256 takes it out again, and podman is back to its own default.

Skipped where podman is not installed (``apt-get install podman``) or the probe rootfs tarball
``build/probe-rootfs.tar`` (tests/integration/images.sh) is missing. The drop-in goes into the
real ``/etc/containers/containers.conf.d`` under a name of its own and is removed at the end.

On this machine podman 4.3 asks runc for RLIMIT_NOFILE and RLIMIT_NPROC above the hard limits
the (nested) host grants, which runc cannot set; every ``podman run`` here passes ulimits the
host allows.
"""

import json
import os
import shutil
import subprocess
import uuid

import pytest

from _harness import BUILD_DIR, HERE, playbook_local

PODMAN = shutil.which('podman')
TARBALL = BUILD_DIR / 'probe-rootfs.tar'
IMAGE = 'localhost/confine/probe:latest'
PLAYBOOK = HERE / 'playbooks' / 'podman_conf.yml'
DROP_IN_DIR = '/etc/containers/containers.conf.d'
ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024']
PROFILE = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [
    {'names': ['personality'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38},
    {'names': ['keyctl'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1}]}

pytestmark = [
    pytest.mark.skipif(PODMAN is None, reason='podman is not installed (apt-get install podman)'),
    pytest.mark.skipif(os.geteuid() != 0, reason='needs root (podman as root, /etc/containers)'),
]


def sh(*cmd, check=True):
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=120, check=False,
                          stdin=subprocess.DEVNULL)
    if check:
        assert proc.returncode == 0, (cmd, proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope='module')
def image():
    if not TARBALL.exists():
        pytest.skip('%s is missing: run tests/integration/images.sh' % TARBALL)
    if sh(PODMAN, 'image', 'exists', IMAGE, check=False).returncode != 0:
        sh(PODMAN, 'import', str(TARBALL), IMAGE)
    return IMAGE


def probe(image, *opts):
    got = sh(PODMAN, 'run', '--rm', '--network', 'none', *ULIMITS, *opts, image, '/probe', 'personality', 'keyctl')
    return json.loads(got.stdout.strip().splitlines()[-1])


def module(args, tmp_path, check=False):
    """Run the module on localhost through ansible-playbook (its real argument spec and AnsibleModule)."""
    results, varfile = tmp_path / 'result.json', tmp_path / 'vars.json'
    if results.exists():
        results.unlink()
    proc = playbook_local(PLAYBOOK, {'confine_args': args, 'confine_results': str(results)}, varfile,
                          *(['--check', '--diff'] if check else []))
    assert results.exists(), proc.stdout + proc.stderr
    return json.loads(results.read_text())


def default_profile():
    info = json.loads(sh(PODMAN, 'info', '--format', 'json').stdout)
    return info['host']['security']['seccompProfilePath']


def test_the_drop_in_makes_the_profile_podmans_default_and_absent_takes_it_out(tmp_path, image):
    profile = tmp_path / 'we"ird\\name ].json'       # the path is quoted in TOML, not trusted
    profile.write_text(json.dumps(PROFILE))
    drop_in = os.path.join(DROP_IN_DIR, '99-confine-itest-%s.conf' % uuid.uuid4().hex[:8])
    before = default_profile()
    base = probe(image, '--security-opt', 'seccomp=unconfined')
    assert base['seccomp'] == 0 and base['results']['personality'] == 'OK'
    # the per-container option enforces the file
    explicit = probe(image, '--security-opt', 'seccomp=%s' % profile)
    assert explicit['seccomp'] == 2 and explicit['results'] == {'personality': 'ENOSYS', 'keyctl': 'EPERM'}
    try:
        args = {'path': drop_in, 'seccomp_profile': str(profile), 'backup_dir': str(tmp_path / 'backups')}
        check = module(args, tmp_path, check=True)
        assert check.get('changed') and not os.path.exists(drop_in), check
        written = module(args, tmp_path)
        assert written['changed'] and not written['existed'], written
        assert not module(args, tmp_path)['changed']                 # idempotent
        # read at the next invocation: no daemon, no restart
        assert default_profile() == str(profile)
        default = probe(image)
        assert default['seccomp'] == 2 and default['results'] == {'personality': 'ENOSYS', 'keyctl': 'EPERM'}
        # absent without the sha256 keeps the file; with it, the file goes
        kept = module({'path': drop_in, 'state': 'absent', 'backup_dir': str(tmp_path / 'backups')}, tmp_path)
        assert not kept['changed'] and os.path.exists(drop_in) and kept['refused'], kept
        gone = module({'path': drop_in, 'state': 'absent', 'sha256': written['sha256'],
                       'backup_dir': str(tmp_path / 'backups')}, tmp_path)
        assert gone['changed'] and not os.path.exists(drop_in), gone
        assert default_profile() == before
        assert probe(image)['results']['personality'] == 'OK'     # podman's own default allows it
    finally:
        if os.path.exists(drop_in):
            os.unlink(drop_in)
