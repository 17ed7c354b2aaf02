"""The role's two refusals around Docker's daemon.json, on this machine (the role run on
localhost with every path in a scratch directory, AppArmor skipped: this kernel has none):

- a daemon.json that is not valid JSON is reported in one message and left byte for byte as
  it was, and nothing restarts dockerd;
- a daemon-wide default that names no Docker profile stops the run before daemon.json is
  touched, and the run is undone (the profile installed before the check is gone again).

Both used to boot the lab host for a full harden.yml run each; what they check happens on the
controller and in the docker_daemon module before anything reaches dockerd, so a scratch
daemon.json here proves the same."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from _harness import playbook_local

BROKEN = '{"seccomp-profile": "/etc/docker/seccomp/web.json",,}\n'

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the role runs as root')


def harden(tmp_path: Path, **extra) -> subprocess.CompletedProcess:
    variables = {
        'host_hardening_hosts': 'localhost',
        'host_hardening_apparmor_missing': 'skip',
        'host_hardening_apparmor_dir': str(tmp_path / 'apparmor.d'),
        'host_hardening_state_dir': str(tmp_path / 'state'),
        'host_hardening_record_path': str(tmp_path / 'facts.d' / 'confine_hardening.fact'),
        'host_hardening_docker_seccomp_dir': str(tmp_path / 'docker-seccomp'),
        'host_hardening_docker_daemon_json': str(tmp_path / 'daemon.json'),
        'host_hardening_containerd_enabled': False,
        'host_hardening_kubelet_enabled': False,
        'host_hardening_podman_enabled': False,
        'host_hardening_verify_enabled': False,
        'host_hardening_seccomp_profiles': [{'name': 'web', 'preset': 'hardened', 'targets': ['docker']}],
        'host_hardening_docker_default_seccomp': 'web',
    }
    variables.update(extra)
    return playbook_local('harden.yml', variables, tmp_path / 'vars.json', timeout=600)


def dockerd_pid():
    got = subprocess.run(['pgrep', '-x', 'dockerd'], capture_output=True, text=True, check=False)
    return got.stdout.split()


def test_unparsable_daemon_json_is_reported_and_left_alone(tmp_path):
    daemon_json = tmp_path / 'daemon.json'
    daemon_json.write_text(BROKEN)
    before = dockerd_pid()
    got = harden(tmp_path)
    out = got.stdout + got.stderr
    assert got.returncode != 0, out[-3000:]
    assert '%s is not valid JSON' % daemon_json in out and 'nothing was changed' in out, out[-3000:]
    assert daemon_json.read_text() == BROKEN
    assert dockerd_pid() == before


def test_daemon_default_must_be_a_docker_profile(tmp_path):
    daemon_json = tmp_path / 'daemon.json'
    daemon_json.write_text('{"log-level": "warn"}\n')
    got = harden(tmp_path, host_hardening_docker_default_seccomp='nonexistent')
    out = got.stdout + got.stderr
    assert got.returncode != 0 and 'host_hardening_docker_default_seccomp: nonexistent is not a profile' in out, \
        out[-3000:]
    assert daemon_json.read_text() == '{"log-level": "warn"}\n'
    # the profile installed before the check was taken out again by the role's undo
    assert not list((tmp_path / 'docker-seccomp').glob('*.json'))
