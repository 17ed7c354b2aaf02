"""The seccomp engine end to end: ansible-playbook installs the profiles with
confine.hardening.seccomp_profile, then the real consumers load them.

Every "blocked" claim is checked against a baseline that has all capabilities and
no seccomp filter, so an EPERM here can only come from the profile.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402  pylint: disable=wrong-import-position


# Calls the hardened preset must block (with the syscall numbers on x86_64 for
# the audit records of log mode).
HARDENED_BLOCKS = ['unshare_user', 'clone_newuser', 'clone_newns', 'mount', 'umount2', 'pivot_root', 'ptrace',
                   'process_vm_readv', 'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open',
                   'userfaultfd', 'setns', 'unshare_net', 'reboot', 'open_by_handle_at', 'io_uring_setup']
MUST_WORK = ['thread', 'fork', 'vfork', 'file_io', 'chmod', 'mkdir', 'personality']
X86_64_NR = {'unshare': 272, 'mount': 165, 'ptrace': 101, 'keyctl': 250, 'bpf': 321}
PROFILES = {
    'hardened': {'preset': 'hardened'},
    'no-exec': {'preset': 'no-exec'},
    'runtime-default': {'preset': 'runtime-default'},
    'hardened-log': {'preset': 'hardened', 'mode': 'log'},
    'hardened-procs': {'preset': 'hardened', 'preset_options': {'deny_processes': True}},
}


def tree(root: Path) -> dict:
    """Every file under the install root (the playbook's bookkeeping files excluded) with its bytes."""
    out = {}
    for path in sorted(root.rglob('*')):
        if path.is_file() and path.name not in ('vars.json', 'results.json'):
            out[str(path)] = path.read_bytes()
    return out


@pytest.fixture(scope='module')
def env():
    h.ensure_environment()


@pytest.fixture(scope='module')
def installed(env, tmp_path_factory):
    root = tmp_path_factory.mktemp('seccomp-root')
    rc, results, out = h.install_profiles(root, PROFILES)
    assert rc == 0, out
    for name in PROFILES:
        assert results[name]['changed'] is True, (name, results[name])
    return root, results


def docker_file(root, name):
    return str(root / 'docker' / (name + '.json'))


def kubelet_file(root, name):
    return str(root / 'kubelet' / 'seccomp' / 'profiles' / (name + '.json'))


def bpf_file(root, name):
    return str(root / 'bwrap' / (name + '.x86_64.bpf'))


@pytest.fixture(scope='module')
def docker_baseline(env):
    base = h.run_docker([], seccomp='unconfined', caps_all=True)
    assert base['seccomp'] == 0
    for test in HARDENED_BLOCKS:
        assert base['results'][test] != 'EPERM', (test, base['results'][test])
    return base


# --- install ---------------------------------------------------------------------------------

def test_files_installed_with_hashes_and_modes(installed):
    from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_layout as layout
    from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci
    root, results = installed
    for name in PROFILES:
        res = results[name]
        for entry in res['files']:
            data = Path(entry['path']).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry['sha256']
            st = os.stat(entry['path'])
            assert oct(st.st_mode & 0o777) == '0o644' and st.st_uid == 0 and st.st_gid == 0
        assert {e['target'] for e in res['files']} == {'docker', 'kubelet', 'containerd', 'bwrap'}
        text = Path(docker_file(root, name)).read_text()
        # laid out for runc (_seccomp_layout), read back as the profile the module decided
        assert text.endswith('}\n') and oci.parse_rendered(text) == res['profile']
        assert json.loads(text) == layout.lay_out(res['profile'])
        assert Path(kubelet_file(root, name)).read_text() == text


def test_second_run_reports_no_change(installed):
    root, _results = installed
    before = tree(root)
    rc, results, out = h.install_profiles(root, PROFILES)
    assert rc == 0, out
    assert [n for n in PROFILES if results[n]['changed']] == []
    assert tree(root) == before


def test_check_mode_predicts_and_writes_nothing(installed, tmp_path):
    rc, results, out = h.install_profiles(tmp_path, {'hardened': PROFILES['hardened']}, check=True)
    assert rc == 0, out
    assert results['hardened']['changed'] is True
    assert tree(tmp_path) == {}


# --- hardened ----------------------------------------------------------------------------------

def test_hardened_under_docker(installed, docker_baseline):
    root = installed[0]
    got = h.run_docker([], seccomp=docker_file(root, 'hardened'), caps_all=True)
    assert got['seccomp'] == 2
    for test in HARDENED_BLOCKS:
        assert got['results'][test] == 'EPERM', test
    assert got['results']['clone3'] == 'ENOSYS'
    for test in MUST_WORK:
        assert got['results'][test] == 'OK', test


def test_kubelet_path_file_under_containerd(installed):
    root = installed[0]
    base = h.run_ctr([], None, privileged=True)
    got = h.run_ctr([], kubelet_file(root, 'hardened'), privileged=True)
    assert base['seccomp'] == 0 and got['seccomp'] == 2
    for test in HARDENED_BLOCKS:
        assert base['results'][test] != 'EPERM', test
        assert got['results'][test] == 'EPERM', test
    for test in MUST_WORK:
        assert got['results'][test] == 'OK', test


def test_bwrap_program(installed):
    root = installed[0]
    base = h.run_bwrap([], None, cap_all=True)
    got = h.run_bwrap([], bpf_file(root, 'hardened'), cap_all=True)
    assert got['seccomp'] == 2
    for test in HARDENED_BLOCKS:
        assert base['results'][test] != 'EPERM', test
        assert got['results'][test] == 'EPERM', test
    for test in MUST_WORK:
        assert got['results'][test] == 'OK', test


@pytest.mark.parametrize('consumer', ['docker', 'ctr', 'bwrap'])
def test_deny_processes_refuses_fork_and_vfork_while_threads_start(installed, consumer):
    """Issue 13 item 2, on this kernel: the entrypoint starts (runc and bwrap exec it, no new
    process), a thread starts (glibc's clone3 gets ENOSYS and falls back to clone with
    CLONE_THREAD), fork and vfork are refused with EPERM, and what hardened blocks stays blocked."""
    root = installed[0]
    run = {'docker': lambda f: h.run_docker([], seccomp=f, caps_all=True),
           'ctr': lambda f: h.run_ctr([], f, privileged=True),
           'bwrap': lambda f: h.run_bwrap([], f, cap_all=True)}[consumer]
    path = bpf_file(root, 'hardened-procs') if consumer == 'bwrap' else docker_file(root, 'hardened-procs')
    got = run(path)
    assert got['seccomp'] == 2
    assert got['results']['fork'] == got['results']['vfork'] == 'EPERM'
    assert got['results']['thread'] == 'OK' and got['results']['clone3'] == 'ENOSYS'
    # the unshare probes fork a child first: that fork is what is refused now
    assert {t: r for t, r in got['results'].items() if t in HARDENED_BLOCKS and r != 'EPERM'} == {
        'unshare_user': 'SETUP:EPERM', 'unshare_net': 'SETUP:EPERM'}
    assert [t for t in MUST_WORK if t not in ('fork', 'vfork') and got['results'][t] != 'OK'] == []
    plain = run(bpf_file(root, 'hardened') if consumer == 'bwrap' else docker_file(root, 'hardened'))
    assert plain['results']['fork'] == plain['results']['vfork'] == 'OK'


# --- no-exec -----------------------------------------------------------------------------------

def test_no_exec_blocks_execve_and_the_probe_keeps_running(installed):
    root = installed[0]
    base = h.run_local([])
    assert base['results']['execve'] == 'EACCES'     # allowed: /etc/passwd is just not executable
    got = h.run_local([], bpf_file=bpf_file(root, 'no-exec'))
    assert got['seccomp'] == 2
    assert got['results']['execve'] == 'EPERM' and got['results']['execveat'] == 'EPERM'
    for test in MUST_WORK:
        assert got['results'][test] == 'OK', test    # and every later test still ran


def test_no_exec_profile_also_stops_the_runtime_exec(installed):
    """Documented limit: runc applies the filter before it execs the entrypoint."""
    root = installed[0]
    with pytest.raises(h.ProbeError) as err:
        h.run_docker(['fork'], seccomp=docker_file(root, 'no-exec'))
    assert 'operation not permitted' in str(err.value).lower()


# --- runtime-default ---------------------------------------------------------------------------

def test_runtime_default_matches_dockers_builtin_for_every_probe(installed):
    root = installed[0]
    builtin = h.run_docker([])
    ours = h.run_docker([], seccomp=docker_file(root, 'runtime-default'))
    assert builtin['seccomp'] == ours['seccomp'] == 2
    assert ours['results'] == builtin['results']
    assert len(ours['results']) >= 30


# --- log mode ----------------------------------------------------------------------------------

def test_log_mode_blocks_nothing_and_the_kernel_logs_what_enforce_would_block(installed, docker_baseline):
    root = installed[0]
    tests = ['unshare_user', 'mount', 'ptrace', 'keyctl', 'bpf']
    time.sleep(5.5)     # the kernel prints at most 10 audit records per 5 s without auditd
    marker = h.kernel_log_marker('log-mode')
    got = h.run_docker(tests, seccomp=docker_file(root, 'hardened-log'), caps_all=True)
    assert got['seccomp'] == 2
    for test in tests:
        assert got['results'][test] == docker_baseline['results'][test] != 'EPERM', test
    deadline = time.time() + 10
    seen = set()
    while time.time() < deadline and len(seen) < len(X86_64_NR):
        for line in h.kernel_log_since(marker, settle=0.5):
            if 'type=1326' in line and 'comm="probe"' in line and 'code=0x7ffc0000' in line:
                for name, nr in X86_64_NR.items():
                    if ' syscall=%d ' % nr in line:
                        seen.add(name)
    assert seen == set(X86_64_NR), seen


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize('spec,words', [
    ({'preset': 'hardened', 'syscalls': [{'names': ['not_a_syscall_at_all']}]},
     "syscalls[0].names[0]: 'not_a_syscall_at_all' is not a syscall on any declared architecture"),
    ({'preset': 'hardened', 'syscalls': [{'names': ['chmod'], 'action': 'SCMP_ACT_SOMETIMES'}]},
     'SCMP_ACT_SOMETIMES'),
    ({'preset': 'hardened', 'syscalls': [{'names': ['chmod'], 'args': [{'index': 7, 'op': 'SCMP_CMP_EQ'}]}]},
     'syscalls[0].args[0].index: 7 is out of range (0-5)'),
    ({'preset': 'hardened', 'architectures': ['SCMP_ARCH_PDP11']},
     'SCMP_ARCH_PDP11'),
])
def test_bad_spec_names_the_field_and_changes_nothing(installed, spec, words):
    root = installed[0]
    before = tree(root)
    rc, results, out = h.install_profiles(root, {'hardened': spec})
    assert rc != 0, out
    res = results['hardened']
    assert res.get('failed') is True
    assert words in res['msg'], res['msg']
    assert '\n' not in res['msg']
    assert tree(root) == before


def _ioctl_rules(n):
    return [{'names': ['ioctl'], 'action': 'SCMP_ACT_ERRNO', 'errno': 1,
             'args': [{'index': 1, 'value': 0x1000 + i, 'value_two': 0, 'op': 'SCMP_CMP_EQ'}]} for i in range(n)]


def test_bpf_length_limit_is_the_real_consumers(env, tmp_path):
    """issue 11 item 18: the module's count for a JSON profile is what runc loads: docker runs
    the last profile the module accepts (4096 instructions) and refuses the first it refuses."""
    import subprocess
    from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as L
    from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci
    from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as s
    backend = L.load('ctypes')
    arches = ['SCMP_ARCH_X86_64']
    n = 4060
    while backend.consumer_length('SCMP_ACT_ALLOW', None, arches, _ioctl_rules(n + 1)) <= L.BPF_MAXINSNS:
        n += 1
    assert backend.consumer_length('SCMP_ACT_ALLOW', None, arches, _ioctl_rules(n)) == L.BPF_MAXINSNS
    outcome = {}
    for count in (n, n + 1):
        rules = _ioctl_rules(count)
        profile = s.to_oci('SCMP_ACT_ALLOW', None, arches, rules)
        path = tmp_path / ('p%d.json' % count)
        path.write_text(oci.canonical_json(profile))
        proc = subprocess.run([h.DOCKER, 'run', '--rm', '--network', 'none', '--security-opt', 'seccomp=%s' % path,
                               h.IMAGE, '/bin/true'], capture_output=True, text=True, timeout=120, check=False)
        outcome[count] = (proc.returncode, proc.stderr)
    assert outcome[n][0] == 0, outcome[n]
    assert outcome[n + 1][0] != 0 and 'error loading seccomp filter' in outcome[n + 1][1], outcome[n + 1]
