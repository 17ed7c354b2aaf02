"""Verify on the lab host: the AppArmor profiles harden.yml installed are the expected
bytes, loaded in the mode asked for, and the kernel, Docker and containerd apply them.

Complain mode is checked to be a true dry run: an access the profile denies, by an
explicit deny rule or because no rule allows it, goes through and the kernel logs
apparmor="ALLOWED"; the same access under the enforcing twin is blocked and logged
apparmor="DENIED". The module's own behaviour on a real kernel (mode switches, absent,
a syntax error, a foreign profile) is driven through Ansible from here.
"""

from __future__ import annotations

import hashlib
import secrets
import sys
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(PROJECT / 'collections'))
sys.path.insert(0, str(PROJECT / 'molecule' / 'shared'))

# pylint: disable=wrong-import-position
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as spec_mod  # noqa: E402
from labtest import (  # noqa: E402
    CTR_IMAGE, IMAGE, AuditLog, check_complain_is_a_dry_run, check_enforce_blocks, loaded, probe_result, run_module)

PROFILES = yaml.safe_load((PROJECT / 'inventory' / 'group_vars' / 'all.yml').read_text())[
    'host_hardening_apparmor_profiles']
MODULE = 'confine.hardening.apparmor_profile'


def aa_module(host, **args):
    return run_module(host, MODULE, **args)


@pytest.fixture(scope='module')
def workdir(host):
    path = '/tmp/confine-aa'
    host.run_expect([0], 'mkdir -p %s' % path)
    return path


@pytest.mark.parametrize('spec', PROFILES, ids=[p['name'] for p in PROFILES])
def test_profile_files_have_the_expected_bytes_and_the_kernel_the_mode(host, spec):
    user = dict((k, v) for k, v in spec.items() if k in spec_mod.SPEC_KEYS)
    # The lab's parser is AppArmor 3.0, so userns rules are left out there.
    want = spec_mod.render(user, features={'userns': False}, owner=spec.get('owner'), source=spec.get('source'))
    f = host.file('/etc/apparmor.d/%s' % spec['name'])
    assert f.exists and f.mode == 0o644 and f.user == 'root' and f.group == 'root'
    assert f.sha256sum == hashlib.sha256(want.encode()).hexdigest()
    assert loaded(host)[spec['name']] == spec.get('mode', 'enforce')


def test_complain_blocks_nothing_and_logs_allowed_for_explicit_and_implicit_denials(host, workdir):
    check_complain_is_a_dry_run(host, 'confine-demo-observe', workdir)


def test_enforce_blocks_the_same_accesses_and_logs_denied(host, workdir):
    check_enforce_blocks(host, 'confine-demo', workdir)


def docker_run(host, profile, cmd, privileged=True):
    opts = '--rm --network none --security-opt apparmor=%s%s' % (profile, ' --privileged' if privileged else '')
    return host.run('docker run %s %s %s </dev/null' % (opts, IMAGE, cmd))


def mount_result(result):
    return probe_result(result, 'mount')


SYSRQ = "sh -c 'echo h > /proc/sysrq-trigger && echo written'"


def test_docker_container_runs_under_the_profile_which_blocks_sysrq_and_mount(host):
    label = docker_run(host, 'confine-container', 'cat /proc/self/attr/current', privileged=False)
    assert label.stdout.strip() == 'confine-container (enforce)'
    # Controls: unconfined and privileged, the same calls succeed, so the failures
    # below come from the profile, not from capabilities or read-only mounts.
    assert mount_result(docker_run(host, 'unconfined', '/probe mount')) == 'OK'
    assert docker_run(host, 'unconfined', SYSRQ).stdout.strip() == 'written'
    log = AuditLog(host)
    assert mount_result(docker_run(host, 'confine-container', '/probe mount')) == 'EACCES'
    sysrq = docker_run(host, 'confine-container', SYSRQ)
    assert 'written' not in sysrq.stdout and 'Permission denied' in sysrq.stderr
    assert log.apparmor('DENIED', 'confine-container', 'operation="mount"')
    assert log.apparmor('DENIED', 'confine-container', 'name="/proc/sysrq-trigger"')


def test_docker_container_under_the_complain_profile_is_not_blocked(host):
    label = docker_run(host, 'confine-container-observe', 'cat /proc/self/attr/current', privileged=False)
    assert label.stdout.strip() == 'confine-container-observe (complain)'
    log = AuditLog(host)
    assert mount_result(docker_run(host, 'confine-container-observe', '/probe mount')) == 'OK'
    assert docker_run(host, 'confine-container-observe', SYSRQ).stdout.strip() == 'written'
    assert log.apparmor('ALLOWED', 'confine-container-observe', 'operation="mount"')
    assert log.apparmor('ALLOWED', 'confine-container-observe', 'name="/proc/sysrq-trigger"')


def test_container_strict_allows_only_declared_writes(host):
    got = docker_run(host, 'confine-container-strict',
                     "sh -c 'cat /proc/self/attr/current; echo x > /tmp/f && cat /tmp/f; echo y > /etc/f; echo rc=$?'",
                     privileged=False)
    assert got.stdout.split() == ['confine-container-strict', '(enforce)', 'x', 'rc=1'], (got.stdout, got.stderr)
    assert 'Permission denied' in got.stderr
    assert mount_result(docker_run(host, 'confine-container-strict', '/probe mount')) == 'EACCES'


def test_containerd_container_runs_under_the_profile(host):
    cid = 'verify-aa-%s' % secrets.token_hex(4)
    label = host.run('ctr -n confine run --rm --apparmor-profile confine-container %s %s cat /proc/self/attr/current '
                     '</dev/null' % (CTR_IMAGE, cid))
    assert label.stdout.strip() == 'confine-container (enforce)', label.stderr
    got = host.run('ctr -n confine run --rm --privileged --apparmor-profile confine-container %s %s-m /probe mount '
                   '</dev/null' % (CTR_IMAGE, cid))
    assert mount_result(got) == 'EACCES'


def test_mode_switches_report_changed_once_and_absent_leaves_nothing(host):
    spec = {'name': 'confine-switch', 'preset': 'container-default', 'owner': 'verify'}
    for mode in ('complain', 'enforce', 'complain'):
        first = aa_module(host, mode=mode, **spec)
        second = aa_module(host, mode=mode, **spec)
        assert not first.get('failed') and not second.get('failed'), (first, second)
        assert (first['changed'], second['changed']) == (True, False), mode
        assert first['kernel_mode'] == mode and loaded(host)['confine-switch'] == mode
    gone = aa_module(host, state='absent', **spec)
    assert gone['changed'] is True and gone['kernel_mode_before'] == 'complain'
    assert not host.file('/etc/apparmor.d/confine-switch').exists
    assert 'confine-switch' not in loaded(host)
    assert host.run('ls /var/cache/apparmor/*/confine-switch').rc != 0
    assert aa_module(host, state='absent', **spec)['changed'] is False


def test_disabled_unloads_and_survives_in_the_disable_link(host):
    spec = {'name': 'confine-disable', 'preset': 'service', 'attach': '/usr/local/bin/confine-nothing'}
    assert aa_module(host, mode='enforce', **spec)['kernel_mode'] == 'enforce'
    got = aa_module(host, mode='disabled', **spec)
    assert got['changed'] is True and got['kernel_mode'] is None
    assert 'confine-disable' not in loaded(host)
    link = host.file('/etc/apparmor.d/disable/confine-disable')
    assert link.is_symlink and link.linked_to == '/etc/apparmor.d/confine-disable'
    assert aa_module(host, mode='disabled', **spec)['changed'] is False
    assert aa_module(host, state='absent', **spec)['changed'] is True
    assert not link.exists and not host.file('/etc/apparmor.d/confine-disable').exists


def test_syntax_error_keeps_the_previous_version_loaded(host):
    spec = {'name': 'confine-syntax', 'preset': 'container-default'}
    assert aa_module(host, mode='enforce', **spec)['kernel_mode'] == 'enforce'
    before = host.file('/etc/apparmor.d/confine-syntax').sha256sum
    bad = aa_module(host, mode='complain', extra_rules=['this is not a rule,'], **spec)
    assert bad.get('failed') is True
    assert 'apparmor_parser rejected the profile; nothing was installed or loaded' in bad['msg']
    assert 'syntax error' in bad['msg'] and 'this is not a rule,' in bad['msg']
    assert host.file('/etc/apparmor.d/confine-syntax').sha256sum == before
    assert loaded(host)['confine-syntax'] == 'enforce'
    assert aa_module(host, state='absent', **spec)['changed'] is True


def test_profiles_it_did_not_install_are_not_replaced(host):
    # docker-default is loaded by dockerd from memory: there is no file of ours.
    assert loaded(host).get('docker-default') == 'enforce'
    clash = aa_module(host, name='docker-default', preset='container-default')
    assert clash.get('failed') is True and 'a profile named docker-default is loaded in the kernel' in clash['msg']
    host.run_expect([0], "printf 'profile confine-foreign {\\n}\\n' > /etc/apparmor.d/confine-foreign")
    foreign = aa_module(host, name='confine-foreign', preset='container-default')
    assert foreign.get('failed') is True
    assert '/etc/apparmor.d/confine-foreign exists and was not installed by confine.hardening' in foreign['msg']
    assert host.file('/etc/apparmor.d/confine-foreign').content_string == 'profile confine-foreign {\n}\n'
    host.run_expect([0], 'rm -f /etc/apparmor.d/confine-foreign')
