"""AppArmor 4.1 on the Debian 13 kernel (6.12), on the lab host after harden.yml with this
scenario's inventory (molecule.yml):

- every preset loads in enforce mode and the kernel refuses what it denies (container-default:
  a privileged mount; container-strict: a write outside its declared paths; service: a read
  an explicit deny rule covers), each logged apparmor="DENIED";
- complain is still a true dry run on 4.1: an explicit deny rule and a missing allow both let
  the access through, logged apparmor="ALLOWED" (the same checks as on Debian 12);
- userns rules (the profile renders abi/4.0 for them): `unshare -U` in a program confined by
  `userns,` creates the namespace, and under `deny userns,` it is refused and logged;
- podman applies AppArmor profiles with `--security-opt apparmor=NAME`.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(PROJECT / 'molecule' / 'shared'))

# pylint: disable=wrong-import-position
from labtest import (  # noqa: E402
    IMAGE, PODMAN_IMAGE, AuditLog, check_complain_is_a_dry_run, check_enforce_blocks, loaded, probe_result)

WORKDIR = '/tmp/confine-aa'
MODES = {'confine-container': 'enforce', 'confine-container-observe': 'complain',
         'confine-container-strict': 'enforce', 'confine-demo': 'enforce', 'confine-demo-observe': 'complain',
         'confine-userns-allow': 'enforce', 'confine-userns-deny': 'enforce',
         'single-binary': 'enforce', 'single-binary-observe': 'complain'}


def container(host, engine, profile, cmd, privileged=False):
    """``cmd`` in a container under the AppArmor ``profile``; privileged, also without seccomp
    (podman keeps the host-wide default seccomp profile, which refuses mount, even then), so
    that what refuses a call can only be AppArmor."""
    image = PODMAN_IMAGE if engine == 'podman' else IMAGE
    opts = '--rm --network none --security-opt apparmor=%s' % profile
    if privileged:
        opts += ' --privileged --security-opt seccomp=unconfined'
    return host.run('%s run %s %s %s </dev/null' % (engine, opts, image, cmd))


def test_every_profile_is_loaded_in_its_mode(host):
    kernel = loaded(host)
    assert dict((name, kernel.get(name)) for name in MODES) == MODES


def test_container_default_enforcing_refuses_a_privileged_mount(host):
    assert probe_result(container(host, 'docker', 'unconfined', '/probe mount', privileged=True), 'mount') == 'OK'
    log = AuditLog(host)
    got = container(host, 'docker', 'confine-container', '/probe mount', privileged=True)
    assert probe_result(got, 'mount') == 'EACCES'
    assert log.apparmor('DENIED', 'confine-container', 'operation="mount"')


def test_container_strict_enforcing_refuses_writes_outside_its_declared_paths(host):
    log = AuditLog(host)
    got = container(host, 'docker', 'confine-container-strict',
                    "sh -c 'cat /proc/self/attr/current; echo x > /tmp/f && cat /tmp/f; echo y > /etc/f; echo rc=$?'")
    assert got.stdout.split() == ['confine-container-strict', '(enforce)', 'x', 'rc=1'], (got.stdout, got.stderr)
    assert log.apparmor('DENIED', 'confine-container-strict', 'name="/etc/f"')


def test_service_enforcing_refuses_what_its_explicit_deny_and_missing_allow_cover(host):
    check_enforce_blocks(host, 'confine-demo', WORKDIR)


def test_complain_is_a_dry_run_for_explicit_and_implicit_denials_on_apparmor_4(host):
    check_complain_is_a_dry_run(host, 'confine-demo-observe', WORKDIR)


def test_userns_rules_allow_and_deny_unshare_as_the_spec_says(host):
    allow = host.file('/etc/apparmor.d/confine-userns-allow').content_string
    deny = host.file('/etc/apparmor.d/confine-userns-deny').content_string
    assert 'abi <abi/4.0>,' in allow and '\n  userns,\n' in allow, allow
    assert 'abi <abi/4.0>,' in deny and '\n  audit deny userns,\n' in deny, deny
    # control: unconfined, root creates a user namespace
    assert host.run('unshare -U true').rc == 0
    allowed = host.run('aa-exec -p confine-userns-allow -- unshare -U true')
    assert allowed.rc == 0, allowed.stderr
    log = AuditLog(host)
    denied = host.run('aa-exec -p confine-userns-deny -- unshare -U true')
    assert denied.rc != 0 and 'unshare failed' in denied.stderr, (denied.rc, denied.stderr)
    assert log.apparmor('DENIED', 'confine-userns-deny', 'operation="userns_create"')
    assert not log.apparmor('DENIED', 'confine-userns-allow', 'userns_create')


def test_podman_applies_apparmor_profiles_by_name(host):
    label = container(host, 'podman', 'confine-container', 'cat /proc/self/attr/current')
    assert label.stdout.strip() == 'confine-container (enforce)', (label.stdout, label.stderr)
    # control: the same privileged container unconfined mounts
    assert probe_result(container(host, 'podman', 'unconfined', '/probe mount', privileged=True), 'mount') == 'OK'
    log = AuditLog(host)
    assert probe_result(container(host, 'podman', 'confine-container', '/probe mount', privileged=True),
                        'mount') == 'EACCES'
    assert log.apparmor('DENIED', 'confine-container', 'operation="mount"')
    # the complain twin lets the same mount through
    assert probe_result(container(host, 'podman', 'confine-container-observe', '/probe mount', privileged=True),
                        'mount') == 'OK'
    assert log.apparmor('ALLOWED', 'confine-container-observe', 'operation="mount"')
