"""What differs on Debian 13 (kernel 6.12, AppArmor 4.1, Docker 26, containerd 1.7, podman 5),
on the lab host after harden.yml with this scenario's inventory (molecule.yml).

- hardening_facts reports the AppArmor parser's version and ABI files, and the runtimes' versions;
- the profiles pin abi/3.0, so a container under container-default still creates unix sockets
  (under abi/4.0 a bare `network,` would no longer cover them);
- runtime-default follows each runtime's own default at the version the host runs: probe by
  probe, ours equals Docker 26's builtin (`--security-opt seccomp=builtin`), containerd 1.7's own
  default (`ctr run --seccomp` without a profile file) and podman 5's (its seccomp.json);
- the governance record names the default each runtime-default profile follows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / 'molecule' / 'shared'))

# pylint: disable=wrong-import-position
from labtest import CTR_IMAGE, IMAGE, PODMAN_IMAGE  # noqa: E402

RECORD = '/etc/ansible/facts.d/confine_hardening.fact'
# the lab host's own Python, mounted read-only into the probe image (a busybox rootfs)
MOUNTS = '-v /usr:/usr:ro -v /lib:/lib:ro -v /lib64:/lib64:ro'
UNIX = ("/usr/bin/python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.bind('/tmp/s'); "
        "print('unix ok')\"")


def probe_all(host, cmd):
    got = host.run('%s /probe' % cmd)
    assert got.rc == 0, (cmd, got.stdout, got.stderr)
    out = json.loads(got.stdout.strip().splitlines()[-1])
    assert len(out['results']) >= 30, out
    return out


def record(host):
    return json.loads(host.file(RECORD).content_string)


@pytest.fixture(scope='module')
def facts(host):
    got = host.ansible('confine.hardening.hardening_facts', check=False)
    assert not got.get('failed'), got
    return got['ansible_facts']['confine_hardening_host']


def test_facts_report_apparmor_4_and_the_runtimes_versions(host, facts):
    assert facts['apparmor']['parser_version'].startswith('4.'), facts['apparmor']
    assert '4.0' in ' '.join(facts['apparmor']['abi']['files']), facts['apparmor']
    assert facts['runtimes']['docker']['version'].startswith('26.'), facts['runtimes']
    assert facts['runtimes']['containerd']['version'].startswith('1.7.'), facts['runtimes']
    assert facts['runtimes']['podman']['version'].startswith('5.'), facts['runtimes']


def test_profiles_pin_abi_3_and_a_container_default_container_still_makes_unix_sockets(host):
    assert host.file('/etc/apparmor.d/confine-container').content_string.count('abi <abi/3.0>,') == 1
    base = 'docker run --rm --network none %s' % MOUNTS
    got = host.run('%s --security-opt apparmor=confine-container %s %s' % (base, IMAGE, UNIX))
    assert got.rc == 0 and 'unix ok' in got.stdout, (got.stdout, got.stderr)
    label = host.check_output('%s --security-opt apparmor=confine-container %s cat /proc/self/attr/current'
                              % (base, IMAGE))
    assert label.startswith('confine-container (enforce)'), label


def test_the_record_names_the_default_each_runtime_default_profile_follows(host):
    follows = dict((p['name'], p.get('runtime_default')) for p in record(host)['profiles'] if p['kind'] == 'seccomp')
    assert follows['rd-docker'] == 'docker-26', follows
    assert follows['rd-containerd'].startswith('containerd-1.7'), follows
    assert follows['rd-podman'] == 'podman-5', follows
    versions = record(host)['runtime']['versions']
    assert versions['docker'].startswith('26.') and versions['containerd'].startswith('1.7.'), versions
    assert versions['podman'].startswith('5.') and versions['libseccomp'].startswith('2.6'), versions
    assert versions['apparmor_parser'].startswith('4.1'), versions
    assert '4.0' in ' '.join(versions['apparmor_abi']['files']), versions


def test_runtime_default_equals_docker_26s_builtin_probe_by_probe(host):
    run = 'docker run --rm --network none'
    builtin = probe_all(host, '%s --security-opt seccomp=builtin %s' % (run, IMAGE))
    ours = probe_all(host, '%s --security-opt seccomp=/etc/docker/seccomp/rd-docker.json %s' % (run, IMAGE))
    assert builtin['seccomp'] == ours['seccomp'] == 2
    assert ours['results'] == builtin['results']
    # what moved since Docker 20.10: io_uring is denied by Docker 26's own default
    assert builtin['results']['io_uring_setup'] == 'EPERM'


def test_runtime_default_equals_containerd_17s_own_default_probe_by_probe(host):
    run = 'ctr -n confine run --rm --seccomp'
    own = probe_all(host, '%s %s confine-d13-own' % (run, CTR_IMAGE))
    ours = probe_all(host, '%s --seccomp-profile /etc/containerd/seccomp/rd-containerd.json %s confine-d13-ours'
                     % (run, CTR_IMAGE))
    assert own['seccomp'] == ours['seccomp'] == 2
    assert ours['results'] == own['results']


def test_runtime_default_equals_podman_5s_default_probe_by_probe(host):
    # podman's own default is its seccomp.json (the role's drop-in makes `web` the host-wide one)
    run = 'podman run --rm --network none --security-opt seccomp='
    own = probe_all(host, '%s/usr/share/containers/seccomp.json %s' % (run, PODMAN_IMAGE))
    ours = probe_all(host, '%s/etc/containers/seccomp/rd-podman.json %s' % (run, PODMAN_IMAGE))
    assert own['seccomp'] == ours['seccomp'] == 2
    assert ours['results'] == own['results']
    # podman answers what it refuses with ENOSYS, and lets mount through to the capabilities
    assert 'ENOSYS' in own['results'].values()


def test_podmans_host_wide_default_is_the_role_s_profile(host):
    info = json.loads(host.check_output('podman info --format json'))
    assert info['host']['security']['seccompProfilePath'] == '/etc/containers/seccomp/web.json'
    got = probe_all(host, 'podman run --rm --network none %s' % PODMAN_IMAGE)
    assert got['seccomp'] == 2 and got['results']['keyctl'] == 'EPERM'
