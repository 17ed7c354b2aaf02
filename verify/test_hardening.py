"""The verification suite for your own hosts: point it at your inventory.

    pytest --hosts='ansible://all' --ansible-inventory=INVENTORY verify/

It reads the governance record confine.hardening wrote on each host
(/etc/ansible/facts.d/confine_hardening.fact) and checks that what the record says is
what the host does:

- every profile file is there with the recorded sha256 and mode 0644;
- every AppArmor profile is loaded in the recorded mode, and each container profile labels
  Docker's and podman's containers (`--security-opt apparmor=NAME`) in that mode;
- Docker reports the daemon-wide default profile, when one is set;
- for each runtime present, a probe container per profile runs with a seccomp filter
  (Seccomp: 2) and a non-unconfined AppArmor label; the calls the profile denies fail
  with EPERM, against an all-capabilities unconfined baseline in which they do not, and
  threads, fork and file I/O still work (fork is refused with EPERM where the profile
  refuses new processes; the probe is then the container's entrypoint and reads its label itself).
  Log-mode profiles block nothing.

The container checks need the probe image (tests/integration/probe, imported by
tests/integration/playbooks/import_probe.yml; or set CONFINE_VERIFY_IMAGE and
CONFINE_VERIFY_CTR_IMAGE); without it they are skipped with a message saying so.
"""

from __future__ import annotations

import json
import os
import re

import pytest

RECORD = '/etc/ansible/facts.d/confine_hardening.fact'
IMAGE = os.environ.get('CONFINE_VERIFY_IMAGE', 'confine/probe:latest')
CTR_IMAGE = os.environ.get('CONFINE_VERIFY_CTR_IMAGE', 'docker.io/confine/probe:latest')
CTR_NAMESPACE = os.environ.get('CONFINE_VERIFY_CTR_NAMESPACE', 'confine')
# probe test -> the system call it makes without conditions on its arguments
PROBES = {
    'mount': 'mount', 'umount2': 'umount2', 'pivot_root': 'pivot_root', 'ptrace': 'ptrace',
    'process_vm_readv': 'process_vm_readv', 'keyctl': 'keyctl', 'add_key': 'add_key', 'request_key': 'request_key',
    'bpf': 'bpf', 'perf_event_open': 'perf_event_open', 'userfaultfd': 'userfaultfd', 'setns': 'setns',
    'unshare_user': 'unshare', 'init_module': 'init_module', 'finit_module': 'finit_module',
    'delete_module': 'delete_module', 'kexec_load': 'kexec_load', 'reboot': 'reboot',
    'open_by_handle_at': 'open_by_handle_at', 'io_uring_setup': 'io_uring_setup', 'personality': 'personality',
}
WORK = {'thread': 'clone', 'fork': 'fork', 'file_io': 'openat'}
WORK_OK = dict((test, 'OK') for test in WORK)
LABEL = 'cat /proc/self/attr/current 2>/dev/null || echo none'


@pytest.fixture(scope='module')
def record(host):
    f = host.file(RECORD)
    if not f.exists:
        pytest.fail('%s is missing: this host was not hardened by confine.hardening (or the record step was off)'
                    % RECORD)
    return json.loads(f.content_string)


@pytest.fixture(scope='module')
def apparmor_on(host):
    return host.file('/sys/kernel/security/apparmor/profiles').exists


def loaded(host):
    text = host.file('/sys/kernel/security/apparmor/profiles').content_string
    return dict(line[:-1].rsplit(' (', 1) for line in text.splitlines() if line.endswith(')'))


def probe(host, cmd, tests, profile=None):
    """The probe's JSON and the container's AppArmor label; under a profile that refuses
    new processes, the probe is the entrypoint itself (no shell could start it) and the
    label is the one the probe read of itself (the probe's JSON has it; 'none' without AppArmor)."""
    if profile is not None and refuses_fork(profile):
        got = host.run('%s /probe %s </dev/null' % (cmd, ' '.join(tests)))
        assert got.rc == 0, (cmd, got.stdout, got.stderr)
        result = json.loads(got.stdout.strip().splitlines()[-1])
        return result, result.get('label') or 'none'
    got = host.run('%s sh -c %s </dev/null' % (cmd, "'/probe %s; %s'" % (' '.join(tests), LABEL)))
    assert got.rc == 0, (cmd, got.stdout, got.stderr)
    lines = got.stdout.strip().splitlines()
    return json.loads(lines[-2]), lines[-1]


CLONE_THREAD = 0x00010000
# probe tests that fork a child before the call they test
FORK_FIRST = ('unshare_user',)


def refuses_fork(profile):
    """Whether the profile refuses new processes: libc forks with clone (there is no fork
    call on arm64 and riscv64), so what counts is a deny of clone - whole, or when its flags
    lack CLONE_THREAD (preset_options.deny_processes; flags in argument 1 on s390x)."""
    if profile.get('defaultAction') != 'SCMP_ACT_ALLOW':
        return False
    for r in profile.get('syscalls') or []:
        if r.get('action') != 'SCMP_ACT_ERRNO' or 'clone' not in (r.get('names') or []):
            continue
        args = r.get('args') or []
        if plain(r) or (len(args) == 1 and args[0].get('index') in (0, 1) and args[0].get('value') == CLONE_THREAD
                        and not args[0].get('valueTwo') and args[0].get('op') == 'SCMP_CMP_MASKED_EQ'):
            return True
    return False


def refused(result, errno_name, profile, test):
    """Whether a probe result is the profile's refusal: its errno, or, for a test that forks
    first under a profile that refuses new processes, that fork refused (SETUP:EPERM)."""
    return result == errno_name or (test in FORK_FIRST and refuses_fork(profile) and result == 'SETUP:EPERM')


def work(profile):
    """{probe test: result} for the normal work under ``profile``: threads and file I/O
    work; fork too, unless the profile refuses new processes (then EPERM)."""
    return dict(WORK_OK, fork='EPERM' if refuses_fork(profile) else 'OK')


def expected_blocked(profile):
    """Probe tests whose call the profile refuses with EPERM whatever the arguments, or None
    when the probe cannot run under it (an allowlist without execve) or the default is not EPERM."""
    rules = profile.get('syscalls') or []
    named = set(n for r in rules for n in r.get('names') or [])
    default = profile.get('defaultAction')
    if default == 'SCMP_ACT_ALLOW':
        calls = set(n for r in rules if r.get('action') == 'SCMP_ACT_ERRNO' and r.get('errnoRet', 1) == 1
                    and not r.get('args') for n in r.get('names') or [])
    elif default == 'SCMP_ACT_ERRNO' and profile.get('defaultErrnoRet', 1) == 1:
        allowed = set(n for r in rules if r.get('action') == 'SCMP_ACT_ALLOW' and not r.get('args')
                      for n in r.get('names') or [])
        if 'execve' not in allowed:
            return None
        calls = set(PROBES.values()) - named
    else:
        return None
    return sorted(t for t, call in PROBES.items() if call in calls)


def seccomp_files(record, target):
    for p in record['profiles']:
        if p['kind'] == 'seccomp':
            for f in p['files']:
                if f.get('target') == target:
                    yield p, f['path']


def test_record_is_from_confine_hardening(record):
    assert record['collection']['name'] == 'confine.hardening' and record['profiles']


def test_every_profile_file_has_the_recorded_hash_and_mode(host, record):
    wrong = []
    for p in record['profiles']:
        for f in p['files']:
            got = host.file(f['path'])
            if not got.exists or got.sha256sum != f['sha256'] or got.mode != 0o644:
                wrong.append('%s %s: %s' % (p['kind'], p['name'], f['path']))
    assert not wrong, 'files that differ from the record: %s' % '; '.join(wrong)


def test_apparmor_profiles_are_loaded_in_the_recorded_mode(host, record, apparmor_on):
    profiles = [p for p in record['profiles'] if p['kind'] == 'apparmor']
    if not profiles:
        pytest.skip('no AppArmor profiles in the record')
    assert apparmor_on, 'the record lists AppArmor profiles but AppArmor is not enabled on this host'
    kernel = loaded(host)
    want = dict((p['name'], None if p['mode'] == 'disabled' else p['mode']) for p in profiles)
    assert dict((n, kernel.get(n)) for n in want) == want


@pytest.fixture(scope='module')
def docker(host):
    if not host.exists('docker') or host.run('docker info --format "{{.ServerVersion}}"').rc != 0:
        pytest.skip('no running Docker on this host')
    if host.run('docker image inspect %s' % IMAGE).rc != 0:
        pytest.skip('the probe image %s is not on this host (see this file\'s docstring)' % IMAGE)
    base, label = probe(host, 'docker run --rm --network none --cap-add ALL --cap-drop SYS_RESOURCE '
                              '--security-opt seccomp=unconfined --security-opt apparmor=unconfined ' + IMAGE,
                        sorted(PROBES) + sorted(WORK))
    return base


def test_docker_reports_the_daemon_wide_default(host, record, docker):
    name = (record.get('runtime') or {}).get('docker_default_seccomp')
    if not name:
        pytest.skip('no daemon-wide default in the record')
    options = json.loads(host.check_output("docker info --format '{{json .SecurityOptions}}'"))
    assert [o for o in options if o.startswith('name=seccomp,profile=') and o.endswith('/%s.json' % name)], options


def unconfined(label):
    """No AppArmor confinement: no label, or a profile in mode unconfined (AppArmor 4 loads
    such profiles, e.g. Debian 13's `runc (unconfined)`)."""
    return label in ('unconfined', 'none') or label.endswith(' (unconfined)')


def check_seccomp(record_entry, blocked, base, got, label, apparmor_on, profile):
    assert got['seccomp'] == 2, 'no seccomp filter in the container'
    if apparmor_on:
        assert not unconfined(label), 'the probe container ran without an AppArmor label (%s)' % label
    if record_entry.get('mode') == 'log':
        # (the container's AppArmor profile may refuse some calls with EACCES; seccomp says EPERM)
        stopped = [t for t, r in got['results'].items() if r == 'EPERM' and base['results'][t] != 'EPERM']
        assert not stopped, '%s: log mode blocked %s' % (record_entry['name'], ', '.join(stopped))
        return
    for test in blocked:
        if base['results'][test] != 'EPERM':
            assert refused(got['results'][test], 'EPERM', profile, test), '%s: %s is not blocked' % (
                record_entry['name'], test)
    for test, want in work(profile).items():
        assert got['results'][test] == want, '%s: %s gives %s under the profile, not %s' % (
            record_entry['name'], test, got['results'][test], want)


def test_seccomp_profiles_are_enforced_by_docker(host, record, docker, apparmor_on):
    checked = 0
    for entry, path in seccomp_files(record, 'docker'):
        profile = as_written(json.loads(host.file(path).content_string))
        blocked = expected_blocked(profile)
        if blocked is None:
            continue      # the probe cannot start under it
        got, label = probe(host, 'docker run --rm --network none --cap-add ALL --cap-drop SYS_RESOURCE '
                                 '--security-opt seccomp=%s %s' % (path, IMAGE), sorted(PROBES) + sorted(WORK), profile)
        check_seccomp(entry, blocked, docker, got, label, apparmor_on, profile)
        checked += 1
    if not checked:
        pytest.skip('no seccomp profile for Docker the probe can run under')


def container_profiles(host, record):
    for p in record['profiles']:
        if p['kind'] == 'apparmor' and p['mode'] in ('enforce', 'complain'):
            text = host.file(p['files'][0]['path']).content_string
            if re.search(r'^profile \S+( flags=\([^)]*\))? \{$', text, re.M):
                yield p


def test_apparmor_container_profiles_label_docker_containers(host, record, docker, apparmor_on):
    profiles = list(container_profiles(host, record))
    if not profiles or not apparmor_on:
        pytest.skip('no AppArmor container profiles, or no AppArmor')
    for p in profiles:
        got = host.check_output('docker run --rm --network none --security-opt apparmor=%s %s %s </dev/null'
                                % (p['name'], IMAGE, LABEL))
        assert got.strip() == '%s (%s)' % (p['name'], p['mode'])


def test_seccomp_and_apparmor_profiles_are_enforced_by_containerd(host, record, apparmor_on):
    if not host.exists('ctr') or host.run('ctr -n %s images ls -q | grep -qx %s' % (CTR_NAMESPACE, CTR_IMAGE)).rc:
        pytest.skip('no ctr, or the probe image %s is not in containerd namespace %s' % (CTR_IMAGE, CTR_NAMESPACE))
    base, _label = probe(host, 'ctr -n %s run --rm --privileged %s verify-base' % (CTR_NAMESPACE, CTR_IMAGE),
                         sorted(PROBES) + sorted(WORK))
    aa = next(iter(container_profiles(host, record)), None) if apparmor_on else None
    checked = 0
    for i, (entry, path) in enumerate(seccomp_files(record, 'kubelet')):
        profile = as_written(json.loads(host.file(path).content_string))
        blocked = expected_blocked(profile)
        if blocked is None:
            continue
        opts = '--seccomp --seccomp-profile %s' % path
        if aa:
            opts += ' --apparmor-profile %s' % aa['name']
        got, label = probe(host, 'ctr -n %s run --rm --privileged %s %s verify-%d' % (CTR_NAMESPACE, opts, CTR_IMAGE, i),
                           sorted(PROBES) + sorted(WORK), profile)
        check_seccomp(entry, blocked, base, got, label, apparmor_on, profile)
        if aa:
            assert label == '%s (%s)' % (aa['name'], aa['mode'])
        checked += 1
    if not checked:
        pytest.skip('no seccomp profile for the kubelet the probe can run under')


# podman (issue 19 item 5): the probe image must be in podman's store as PODMAN_IMAGE
# (`podman import build/probe-rootfs.tar localhost/confine/probe:latest`).
PODMAN_IMAGE = os.environ.get('CONFINE_VERIFY_PODMAN_IMAGE', 'localhost/confine/probe:latest')
# more `podman run` options the host needs (for example ulimits where the host's hard limits are low)
PODMAN_OPTS = os.environ.get('CONFINE_VERIFY_PODMAN_OPTS', '')


def _part(rule):
    """('EQ', v) or ('GE', v) when the rule's one condition is argument 0 == v or >= v."""
    args = rule.get('args') or []
    if len(args) != 1 or args[0].get('index') != 0 or args[0].get('valueTwo'):
        return None
    op = {'SCMP_CMP_EQ': 'EQ', 'SCMP_CMP_GE': 'GE'}.get(args[0].get('op'))
    return (op, args[0].get('value') or 0) if op else None


def as_written(profile):
    """The installed profile with each unconditional denial confine.hardening wrote as rules for
    argument 0 == 0, ..., == K-1 and >= K (its _seccomp_layout: between them every call, one
    rule after another) back as the one rule it is."""
    rules, out = profile.get('syscalls') or [], []
    i = 0
    while i < len(rules):
        j = i
        while j < len(rules) and _part(rules[j]) == ('EQ', j - i) and \
                dict(rules[j], args=None) == dict(rules[i], args=None):
            j += 1
        if j > i and j < len(rules) and _part(rules[j]) == ('GE', j - i) and \
                dict(rules[j], args=None) == dict(rules[i], args=None):
            out.append(dict((k, v) for k, v in rules[i].items() if k != 'args'))
            i = j + 1
            continue
        out.append(rules[i])
        i += 1
    return dict(profile, syscalls=out)


def plain(rule):
    """A rule that applies whatever the arguments, capabilities and architecture."""
    return not rule.get('args') and not rule.get('includes') and not rule.get('excludes')


def expected_errnos(profile):
    """{probe test: errno name} for the calls the profile refuses with ERRNO whatever the arguments (the
    profile's errno, ENOSYS for podman's own), or None when the probe cannot run under it or it refuses
    nothing by ERRNO (its default is log, kill, trap)."""
    import errno as errno_mod
    rules = profile.get('syscalls') or []
    default = profile.get('defaultAction')
    calls = {}
    if default == 'SCMP_ACT_ALLOW':
        other = set(n for r in rules if r.get('action') != 'SCMP_ACT_ERRNO' or not plain(r) for n in r.get('names') or [])
        for r in rules:
            if r.get('action') == 'SCMP_ACT_ERRNO' and plain(r):
                calls.update((n, r.get('errnoRet', 1)) for n in r.get('names') or [] if n not in other)
    elif default == 'SCMP_ACT_ERRNO':
        allowed = set(n for r in rules if r.get('action') == 'SCMP_ACT_ALLOW' and plain(r) for n in r.get('names') or [])
        if 'execve' not in allowed:
            return None
        named = set(n for r in rules for n in r.get('names') or [])
        calls = dict((c, profile.get('defaultErrnoRet', 1)) for c in PROBES.values() if c not in named)
    else:
        return None
    return dict((t, errno_mod.errorcode.get(calls[c], 'E%d' % calls[c])) for t, c in PROBES.items() if c in calls)


def test_seccomp_profiles_are_enforced_by_podman(host, record, apparmor_on):
    if not host.exists('podman'):
        pytest.skip('podman is not installed on this host')
    if host.run('podman image exists %s' % PODMAN_IMAGE).rc != 0:
        pytest.skip('the probe image %s is not in podman\'s store (podman import build/probe-rootfs.tar %s)'
                    % (PODMAN_IMAGE, PODMAN_IMAGE))
    run = 'podman run --rm --network none --cap-add ALL --cap-drop SYS_RESOURCE %s' % PODMAN_OPTS
    base, _label = probe(host, '%s --security-opt seccomp=unconfined --security-opt apparmor=unconfined %s'
                         % (run, PODMAN_IMAGE), sorted(PROBES) + sorted(WORK))
    checked = 0
    for entry, path in seccomp_files(record, 'podman'):
        profile = as_written(json.loads(host.file(path).content_string))
        want = expected_errnos(profile)
        if want is None:
            continue      # the probe cannot start under it, or it refuses nothing by errno
        got, label = probe(host, '%s --security-opt seccomp=%s %s' % (run, path, PODMAN_IMAGE),
                           sorted(PROBES) + sorted(WORK), profile)
        assert got['seccomp'] == 2, '%s: no seccomp filter in the podman container' % entry['name']
        if apparmor_on:
            assert not unconfined(label), 'the podman probe container ran without an AppArmor label (%s)' % label
        if entry.get('mode') == 'log':
            stopped = [t for t, r in got['results'].items()
                       if r != base['results'][t] and r not in ('OK', 'EACCES')]
            assert not stopped, '%s: log mode blocked %s under podman' % (entry['name'], ', '.join(stopped))
        else:
            wrong = ['%s (%s, not %s)' % (t, got['results'][t], e) for t, e in sorted(want.items())
                     if base['results'][t] != e and not refused(got['results'][t], e, profile, t)]
            assert not wrong, '%s: not refused as the profile says under podman: %s' % (entry['name'], ', '.join(wrong))
        for test, result in work(profile).items():
            assert got['results'][test] == result, '%s: %s gives %s under podman, not %s' % (
                entry['name'], test, got['results'][test], result)
        checked += 1
    if not checked:
        pytest.skip('no seccomp profile for podman the probe can run under')


def test_apparmor_container_profiles_label_podman_containers(host, record, apparmor_on):
    profiles = list(container_profiles(host, record))
    if not profiles or not apparmor_on or not host.exists('podman'):
        pytest.skip('no AppArmor container profiles, no AppArmor, or no podman')
    if host.run('podman image exists %s' % PODMAN_IMAGE).rc != 0:
        pytest.skip('the probe image %s is not in podman\'s store' % PODMAN_IMAGE)
    for p in profiles:
        got = host.check_output('podman run --rm --network none %s --security-opt apparmor=%s %s %s </dev/null'
                                % (PODMAN_OPTS, p['name'], PODMAN_IMAGE, LABEL))
        assert got.strip() == '%s (%s)' % (p['name'], p['mode'])
