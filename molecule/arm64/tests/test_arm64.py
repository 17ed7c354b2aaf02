"""The seccomp proof on an aarch64 kernel (the debian12-arm64 lab host; molecule.yml).

The profiles converge.yml installed on the guest with confine.hardening.seccomp_profile
(architectures from the guest itself: aarch64 with its compat arch arm) are loaded by the
real consumers there - runc under `docker run --security-opt seccomp=FILE` and under
`ctr run --seccomp-profile FILE`, and bwrap with the compiled NAME.aarch64.bpf - with the
probe built for arm64 (/probe) and for 32-bit arm (/probe32, which reaches the kernel through
the compat table, so it meets the filter's SCMP_ARCH_ARM part). What each blocks is compared
with the same spec installed by the same module on this machine's x86_64 and run by Docker
here, side by side. Then the guest's own audit records: profile_events names them by the
aarch64 and arm tables, the promotion gate decides on them, and playbooks/learn.yml learns a
small server there, which serves under the learned profile enforced.

"Blocked" means: the result is EPERM, ENOSYS or SIGSYS and differs from the same probe with
no filter and every capability (the baseline), so it can only come from the profile.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(PROJECT / 'molecule' / 'shared'))
sys.path.insert(0, str(PROJECT / 'tests' / 'integration'))

# pylint: disable=wrong-import-position
import _harness as h  # noqa: E402
from labtest import CTR_IMAGE, IMAGE, PLAIN, probe_result, run_module  # noqa: E402

CONVERGE = yaml.safe_load((Path(__file__).resolve().parents[1] / 'converge.yml').read_text())[0]['vars']
PROBES = {'aarch64': '/probe', 'arm': '/probe32'}
# the escape surfaces of the x86_64 proof (tests/integration/test_seccomp_profiles.py) and
# the normal work every profile here must leave working
ESCAPES = ['unshare_user', 'clone_newuser', 'clone_newns', 'mount', 'umount2', 'pivot_root', 'ptrace',
           'process_vm_readv', 'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd',
           'setns', 'unshare_net', 'reboot', 'open_by_handle_at', 'io_uring_setup']
NORMAL = ['thread', 'fork', 'vfork', 'file_io', 'chmod', 'mkdir', 'tcp']
BLOCKED = ('EPERM', 'ENOSYS', 'SIGSYS')
DOCKER_DIR = '/etc/docker/seccomp'


def lines(result):
    assert result.rc == 0, (result.stdout, result.stderr)
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{')]


def both(host, cmd_prefix, profile_opts=''):
    """The arm64 and the arm probe, one after the other in one container; {arch: probe JSON}."""
    script = '%s; %s' % (PROBES['aarch64'], PROBES['arm'])
    got = lines(host.run("%s %s %s sh -c '%s' </dev/null" % (cmd_prefix, profile_opts, IMAGE, script)))
    assert len(got) == 2, got
    return dict(zip(PROBES, got))


def docker(host, profile, caps_all=True):
    """Both probes under ``profile``: None = Docker's built-in default, 'unconfined' = no filter,
    else the name of a profile in DOCKER_DIR."""
    opts = '--rm --network none'
    if profile is not None:
        opts += ' --security-opt seccomp=%s' % (profile if profile == 'unconfined' else '%s/%s.json' % (DOCKER_DIR, profile))
    if caps_all:
        opts += ' --cap-add ALL'
    return both(host, 'docker run', opts)


def ctr(host, profile):
    """Both probes under containerd's runc, privileged (every capability), with the profile from
    containerd's directory, or with no filter at all (profile None)."""
    opts = '--rm --privileged'
    if profile:
        opts += ' --seccomp --seccomp-profile /etc/containerd/seccomp/%s.json' % profile
    script = '%s; %s' % (PROBES['aarch64'], PROBES['arm'])
    got = lines(host.run("ctr -n confine run %s %s confine-%s-%d sh -c '%s' </dev/null"
                         % (opts, CTR_IMAGE, profile or 'none', time.time_ns(), script)))
    assert len(got) == 2, got
    return dict(zip(PROBES, got))


def bwrap(host, profile):
    """Both probes under bwrap (every capability), with NAME.aarch64.bpf on fd 9 or none."""
    out = {}
    for arch, probe in PROBES.items():
        seccomp = ' --seccomp 9 9</etc/confine/seccomp/%s.aarch64.bpf' % profile if profile else ''
        cmd = ('bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --ro-bind /root/probe-rootfs%s /tmp/probe '
               '--cap-add ALL%s /tmp/probe </dev/null' % (probe, seccomp))
        (out[arch],) = lines(host.run(cmd))
    return out


def blocked(got, base):
    return sorted(t for t, r in got['results'].items() if r in BLOCKED and base['results'][t] != r)


@pytest.fixture(scope='module')
def baseline(host):
    base = docker(host, 'unconfined')
    for arch in PROBES:
        assert base[arch]['seccomp'] == 0
        assert [t for t in ESCAPES if base[arch]['results'][t] == 'EPERM'] == [], arch
        assert [t for t in NORMAL if base[arch]['results'][t] != 'OK'] == [], arch
    return base


@pytest.fixture(scope='module')
def x86_64():
    """The same specs on this machine (x86_64), installed by the same module, run by Docker here:
    {profile: (blocked tests, results)}."""
    h.ensure_environment()
    specs = {'hardened': {'preset': 'hardened'},
             'node': {'preset': 'allowlist', 'syscalls': [
                 {'names': CONVERGE['arm64_node_names'] + CONVERGE['arm64_probe_names'], 'action': 'SCMP_ACT_ALLOW'}]}}
    with tempfile.TemporaryDirectory() as tmp:
        rc, _results, out = h.install_profiles(Path(tmp), specs)
        assert rc == 0, out
        base = h.run_docker([], seccomp='unconfined', caps_all=True)
        out = {}
        for name in specs:
            got = h.run_docker([], seccomp=str(Path(tmp) / 'docker' / (name + '.json')), caps_all=True)
            out[name] = (blocked(got, base), got)
    return out


# --- what the module wrote for an arm64 host ---------------------------------------------------

def test_the_guest_is_aarch64_and_the_profiles_cover_aarch64_and_arm(host):
    assert host.check_output('uname -m') == 'aarch64'
    for name in ('arm-hardened', 'arm-node', 'arm-runtime-default'):
        profile = json.loads(host.file('%s/%s.json' % (DOCKER_DIR, name)).content_string)
        assert profile['architectures'] == ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], name
    assert host.file('/etc/confine/seccomp/arm-hardened.aarch64.bpf').size > 0
    assert not host.file('/etc/confine/seccomp/arm-hardened.x86_64.bpf').exists


def test_names_arm64_lacks_are_warnings_and_the_profile_still_installs(host):
    """The node spec, written on x86_64, as it is: arch_prctl (x86 only) is left out, names one
    arm table lacks are skipped there, and the profile is what the guest already has."""
    spec = {'name': 'arm-node', 'preset': 'allowlist',
            'syscalls': [{'names': CONVERGE['arm64_node_names'] + CONVERGE['arm64_probe_names'],
                          'action': 'SCMP_ACT_ALLOW'}], 'targets': ['docker', 'containerd', 'bwrap']}
    result = run_module(host, 'confine.hardening.seccomp_profile', **spec)
    assert not result['failed'] and result['changed'] is False, result
    warnings = result.get('warnings', [])
    assert any("'arch_prctl' is not a call on any declared architecture (SCMP_ARCH_AARCH64, SCMP_ARCH_ARM), "
               "only on" in w for w in warnings), warnings
    assert any("'mmap2'" in w and 'not on SCMP_ARCH_AARCH64' in w for w in warnings), warnings
    assert any("'newfstatat'" in w and 'not on SCMP_ARCH_ARM' in w for w in warnings), warnings
    assert 'arch_prctl' not in host.file('%s/arm-node.json' % DOCKER_DIR).content_string


def test_a_deny_of_fork_warns_that_clone_forks_on_arm64_and_that_is_what_happens(host, baseline):
    """A deny-list naming fork and vfork: arm64 has neither (glibc forks with clone there), arm
    has both. The module warns, names the architecture and says clone stays allowed; on the
    guest the arm64 probe still forks, and the arm probe's vfork (its own syscall there) is
    refused through the compat table."""
    spec = {'name': 'arm-nofork', 'preset': 'hardened', 'targets': ['docker'],
            'syscalls': [{'names': ['fork', 'vfork'], 'action': 'SCMP_ACT_ERRNO'}]}
    result = run_module(host, 'confine.hardening.seccomp_profile', **spec)
    assert not result['failed'], result
    warnings = result.get('warnings', [])
    assert any("'fork', 'vfork' not on SCMP_ARCH_AARCH64; the rule is skipped there" in w for w in warnings), warnings
    lost = [w for w in warnings if 'does not hold on SCMP_ARCH_AARCH64' in w]
    assert len(lost) == 2 and all("'clone'" in w and 'CLONE_THREAD' in w for w in lost), warnings
    assert result['missing_on_arch'] == {'SCMP_ARCH_AARCH64': ['fork', 'vfork']}
    got = docker(host, 'arm-nofork')
    assert got['aarch64']['results']['fork'] == got['aarch64']['results']['vfork'] == 'OK'
    assert got['arm']['results']['vfork'] == 'EPERM'
    assert got['arm']['results']['fork'] == 'OK'     # glibc forks with clone on arm too
    assert blocked(got['aarch64'], baseline['aarch64']) == blocked(docker(host, 'arm-hardened')['aarch64'],
                                                                   baseline['aarch64'])


# --- the profiles under the real consumers -------------------------------------------------------

def test_hardened_under_docker_blocks_on_arm64_and_arm_what_it_blocks_on_x86_64(host, baseline, x86_64):
    got = docker(host, 'arm-hardened')
    x86_blocked, x86 = x86_64['hardened']
    assert set(ESCAPES) <= set(x86_blocked)
    for arch in PROBES:
        assert got[arch]['seccomp'] == 2
        assert blocked(got[arch], baseline[arch]) == x86_blocked, arch
        assert [t for t in NORMAL if got[arch]['results'][t] != 'OK'] == [], arch
    assert got['aarch64']['results']['clone3'] == x86['results']['clone3'] == 'ENOSYS'


def test_hardened_under_containerd_runc(host):
    base = ctr(host, None)
    got = ctr(host, 'arm-hardened')
    for arch in PROBES:
        assert base[arch]['seccomp'] == 0 and got[arch]['seccomp'] == 2
        assert set(ESCAPES) <= set(blocked(got[arch], base[arch])), arch
        # no network namespace set-up under plain ctr: tcp on loopback is what the baseline says
        assert [t for t in NORMAL if got[arch]['results'][t] != base[arch]['results'][t]] == [], arch


def test_hardened_bpf_program_under_bwrap_covers_the_compat_table_too(host):
    base = bwrap(host, None)
    got = bwrap(host, 'arm-hardened')
    for arch in PROBES:
        assert got[arch]['seccomp'] == 2
        assert set(ESCAPES) <= set(blocked(got[arch], base[arch])), arch
        assert [t for t in NORMAL if got[arch]['results'][t] != 'OK'] == [], arch


def test_runtime_default_is_dockers_own_default_on_arm64(host):
    builtin = docker(host, None, caps_all=False)
    ours = docker(host, 'arm-runtime-default', caps_all=False)
    for arch in PROBES:
        assert builtin[arch]['seccomp'] == ours[arch]['seccomp'] == 2
        assert ours[arch]['results'] == builtin[arch]['results'], arch
        assert len(ours[arch]['results']) >= 36


def test_node_style_allowlist_blocks_what_it_blocks_on_x86_64_and_the_work_goes_on(host, baseline, x86_64):
    got = docker(host, 'arm-node')
    x86_blocked, _x86 = x86_64['node']
    for arch in PROBES:
        assert got[arch]['seccomp'] == 2
        assert [t for t in NORMAL if got[arch]['results'][t] != 'OK'] == [], arch
        assert blocked(got[arch], baseline[arch]) == x86_blocked, arch
    # an allowlist blocks every escape whose call is not on its list
    assert {'unshare_user', 'mount', 'ptrace', 'keyctl', 'bpf', 'setns', 'reboot'} <= set(x86_blocked)


# --- audit records on arm64 ---------------------------------------------------------------------

def since(host):
    return host.check_output('date +%s.%N')


def test_profile_events_names_the_records_by_the_aarch64_and_arm_tables(host):
    start = since(host)
    got = docker(host, 'arm-hardened-log')
    for arch in PROBES:
        assert got[arch]['results']['mount'] != 'EPERM' and got[arch]['results']['ptrace'] != 'EPERM'
    result = run_module(host, 'confine.hardening.profile_events', since=start, kinds=['seccomp'], max_events=5000)
    assert not result['failed'] and result['source'] == 'auditd', result
    named = {(e['arch'], e['syscall']) for e in result['events'] if e['action'] == 'SCMP_ACT_LOG'}
    # mount is 40 on aarch64 and 21 on arm, unshare 97 and 337: named by each arch's own table
    for call in ('mount', 'unshare', 'ptrace', 'keyctl', 'bpf', 'umount2'):
        assert ('c00000b7', call) in named and ('40000028', call) in named, call
    nrs = {(e['arch'], e['syscall']): e['nr'] for e in result['events']}
    assert nrs[('c00000b7', 'mount')] == 40 and nrs[('40000028', 'mount')] == 21
    assert nrs[('c00000b7', 'unshare')] == 97 and nrs[('40000028', 'unshare')] == 337


def test_promotion_gate_decides_on_arm64_records(host):
    """A log-mode allowlist observing the probe: the gate holds the host in observe with the
    aarch64 names as suggestions (mkdirat, not mkdir), and promotes once they are merged."""
    record = '/var/lib/confine-gate-arm64/record.fact'
    host.run_expect([0], 'rm -rf /var/lib/confine-gate-arm64 && mkdir -p /var/lib/confine-gate-arm64')
    names = sorted(set(CONVERGE['arm64_node_names'] + CONVERGE['arm64_probe_names']) - {'mkdirat', 'unlinkat'})
    spec = {'name': 'arm-gate', 'preset': 'allowlist', 'mode': 'log',
            'syscalls': [{'names': names, 'action': 'SCMP_ACT_ALLOW'}]}
    installed = run_module(host, 'confine.hardening.seccomp_profile', targets=['docker'], **spec)
    assert not installed['failed'], installed
    first = run_module(host, 'confine.hardening.promotion_gate', stage='auto', record=record, observe_min='0',
                       seccomp_profiles=[spec])
    assert not first['failed'] and first['stage'] == 'observe', first
    # the role writes the record; here the stage begins now, by the guest's clock
    began = float(since(host)) - 1
    written = run_module(host, 'ansible.builtin.copy', dest=record, content=json.dumps(
        {'stage': 'observe', 'stage_since': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(began))}))
    assert not written['failed'], written
    observed = host.run("docker run --rm --network none --security-opt seccomp=%s/arm-gate.json %s /probe mkdir"
                        " file_io </dev/null" % (DOCKER_DIR, IMAGE))
    assert probe_result(observed, 'mkdir') == probe_result(observed, 'file_io') == 'OK'
    held = run_module(host, 'confine.hardening.promotion_gate', stage='auto', record=record, observe_min='0',
                      seccomp_profiles=[spec])
    assert not held['failed'] and held['stage'] == 'observe' and held['promoted'] is False, held
    suggested = held['suggestions']['seccomp']['syscalls'][0]['names']
    assert {'mkdirat', 'unlinkat'} <= set(suggested) and 'mkdir' not in suggested, suggested
    spec['syscalls'].append({'names': suggested, 'action': 'SCMP_ACT_ALLOW'})
    promoted = run_module(host, 'confine.hardening.promotion_gate', stage='auto', record=record, observe_min='0',
                          seccomp_profiles=[spec])
    assert not promoted['failed'] and promoted['stage'] == 'enforce' and promoted['promoted'] is True, promoted


def test_learn_yml_on_arm64_learns_a_server_that_serves_under_the_learned_profile(host):
    runner = host.backend.ansible_runner
    out_dir = tempfile.mkdtemp(prefix='confine-learned-arm64-')
    # the guest host has python3, not wget
    get = "python3 -c 'import urllib.request as u; print(u.urlopen(\"http://127.0.0.1:18081/index.html\", timeout=10).read().decode(), end=\"\")'"
    extra = {
        'learn_name': 'arm-httpd', 'learn_image': IMAGE,
        'learn_docker_args': ['--network', 'host'],
        'learn_command': ['/bin/httpd', '-f', '-p', '127.0.0.1:18081', '-h', '/www'],
        # the server starts slowly under emulation with every call logged: the first request waits for it
        'learn_exercise': ['for i in $(seq 60); do %s && exit 0; sleep 1; done; exit 1' % get, get], 'learn_seconds': 3, 'learn_stop_seconds': 2,
        'learn_output_dir': out_dir, 'learn_install': True,
    }
    proc = subprocess.run(['ansible-playbook', '-i', runner.inventory_file, str(PROJECT / 'playbooks/learn.yml'),
                           '-e', json.dumps(extra)], capture_output=True, text=True, check=False, timeout=900,
                          cwd=str(PROJECT), env=PLAIN)
    out = re.sub(r'\x1b\[[0-9;]*m', '', proc.stdout + proc.stderr)
    assert proc.returncode == 0, out[-4000:]
    spec = yaml.safe_load(open(os.path.join(out_dir, 'arm-httpd.seccomp.yml'), encoding='utf-8'))
    names = spec['syscalls'][0]['names']
    # named by the aarch64 table: openat, never open (arm64 has no open)
    assert {'accept', 'bind', 'listen', 'execve', 'openat'} <= set(names), names
    assert 'open' not in names, names
    assert not {'mount', 'ptrace', 'unshare', 'bpf'} & set(names), names
    # the learned profile, enforced: the same server serves; a call it never made is refused
    host.run('docker rm -f confine-arm-httpd')
    try:
        run = host.run('docker run -d --name confine-arm-httpd --network host --security-opt seccomp=%s/arm-httpd.json'
                       ' %s /bin/httpd -f -p 127.0.0.1:18081 -h /www' % (DOCKER_DIR, IMAGE))
        assert run.rc == 0, run.stderr
        for _attempt in range(30):
            answer = host.run(get)
            if answer.rc == 0:
                break
            time.sleep(1)
        assert answer.rc == 0 and answer.stdout == 'ok\n', (answer.stdout, answer.stderr)
        # calls the server never made, that need no privilege: they work with no filter, and the
        # learned profile refuses them (the probe's own start-up calls are what httpd's were)
        calls = 'keyctl add_key io_uring_setup'
        free = host.run('docker run --rm --network none --security-opt seccomp=unconfined %s /probe %s </dev/null'
                        % (IMAGE, calls))
        refused = host.run('docker exec confine-arm-httpd /probe %s </dev/null' % calls)
        for test in calls.split():
            assert probe_result(free, test) != 'EPERM', free.stdout
            assert probe_result(refused, test) == 'EPERM', refused.stdout
    finally:
        host.run('docker rm -f confine-arm-httpd')
