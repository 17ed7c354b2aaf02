"""A host without AppArmor (this machine's kernel has none): the role fails the host with
one message naming the variable, or skips AppArmor when host_hardening_apparmor_missing
says so; the module itself fails with one sentence; and nothing is written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from _harness import ansible_local, playbook_local

pytestmark = pytest.mark.skipif(os.path.exists('/sys/kernel/security/apparmor/profiles'),
                                reason='this host has AppArmor')


def harden(tmp_path: Path, missing: str) -> subprocess.CompletedProcess:
    variables = {
        'host_hardening_hosts': 'localhost',
        'host_hardening_seccomp_enabled': False,
        'host_hardening_apparmor_missing': missing,
        'host_hardening_apparmor_dir': str(tmp_path / 'apparmor.d'),
        'host_hardening_state_dir': str(tmp_path / 'state'),
        'host_hardening_record_enabled': False,
        'host_hardening_containerd_enabled': False,
        'host_hardening_apparmor_profiles': [{'name': 'web', 'preset': 'container-default'}],
    }
    return playbook_local('harden.yml', variables, tmp_path / 'vars.json')


def test_role_fails_the_host_with_one_message(tmp_path):
    got = harden(tmp_path, 'fail')
    assert got.returncode != 0
    assert ('AppArmor is not available on localhost: the kernel has no AppArmor '
            '(/sys/module/apparmor/parameters/enabled is missing). Set host_hardening_apparmor_missing=skip to skip '
            'it on such hosts.') in got.stdout
    assert not (tmp_path / 'apparmor.d').exists() and not (tmp_path / 'state').exists()


def test_role_skips_apparmor_when_told(tmp_path):
    got = harden(tmp_path, 'skip')
    assert got.returncode == 0, got.stdout
    assert 'AppArmor skipped on localhost: the kernel has no AppArmor' in got.stdout
    assert 'failed=0' in got.stdout
    assert not (tmp_path / 'apparmor.d').exists()


def test_module_says_why_in_one_sentence(tmp_path):
    args = {'name': 'web', 'preset': 'container-default', 'apparmor_dir': str(tmp_path)}
    got = ansible_local('ansible', 'localhost', '-m', 'confine.hardening.apparmor_profile', '-a', json.dumps(args))
    assert got.returncode != 0
    assert ("AppArmor profile 'web': AppArmor is not available on this host: the kernel has no AppArmor "
            "(/sys/module/apparmor/parameters/enabled is missing)") in got.stdout
    assert '"apparmor_available": false' in got.stdout
    assert list(tmp_path.iterdir()) == []
