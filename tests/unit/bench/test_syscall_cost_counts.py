# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/syscall_cost.py's deterministic figures: each hot call, with the arguments the benchmark
program makes it with, is allowed by every profile (or the program could not run under it),
and the counts and cache flags come from the compiled programs."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / 'bench'))

import syscall_cost as bench  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.confine.hardening.plugins.module_utils import _bpf as bpf  # noqa: E402
from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp  # noqa: E402
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci  # noqa: E402


@pytest.mark.parametrize('name', ['allow-all', 'runtime-default', 'hardened', 'hardened-deny-processes'])
def test_every_hot_call_is_allowed_by_every_profile(backend, name):
    prog = _program(backend, bench.rendered(name))
    for call, made in bench.CALL_ARGS.items():
        verdicts = [bpf.run(prog, backend.resolve('SCMP_ARCH_X86_64', n), bench.X86_64, a)[0] for n, a in made]
        if call == 'clone' and verdicts[0] != bpf.SECCOMP_RET_ALLOW:
            verdicts = verdicts[1:]       # clone3 refused: glibc falls back to clone
        assert all(v == bpf.SECCOMP_RET_ALLOW for v in verdicts), (name, call, verdicts)


def test_the_counts_say_what_the_cache_skips(backend):
    floor = bench.count(bench.rendered('allow-all'), backend)
    assert all(cached for _n, cached in floor.values())
    docker = bench.count(bench.rendered('runtime-default'), backend)
    assert docker['getppid'][1] and not docker['clone'][1]     # clone is filtered by its flags
    assert docker['read'][0] < docker['epoll_wait'][0]         # a linear chain, by syscall number
    assert bench.count(None, backend)['read'] == (0, True)     # unconfined: no filter


def test_runc_lays_out_a_long_profile_as_a_tree(backend):
    """runc 1.2 and later ask libseccomp for its binary tree once a profile names more than 32
    calls; a short one keeps the default list, as runc 1.1 and crun keep it always."""
    hardened = bench.rendered('hardened')
    assert bench.runc_layout(hardened) == libseccomp.OPTIMIZE_BINARY_TREE
    short = {'defaultAction': 'SCMP_ACT_ERRNO', 'architectures': ['SCMP_ARCH_X86_64'],
             'syscalls': [{'names': ['read', 'write'], 'action': 'SCMP_ACT_ALLOW'}]}
    assert bench.runc_layout(short) == libseccomp.OPTIMIZE_PRIORITY
    assert bench.runc_layout(None) == libseccomp.OPTIMIZE_PRIORITY
    linear = bench.count(hardened, backend)
    tree = bench.count(hardened, backend, libseccomp.OPTIMIZE_BINARY_TREE)
    # a default-allow list: every allowed call walks past every denied one; the tree does not
    plain = ('getppid', 'read', 'write', 'fcntl', 'futex', 'epoll_wait')
    assert len(set(linear[c][0] for c in plain)) == 1
    assert all(tree[c][0] < linear[c][0] for c in plain)
    # the layout never changes what the kernel may cache: that is the profile's decision
    assert all(tree[c][1] == linear[c][1] for c in bench.CALLS)


def _program(backend, profile, optimize=libseccomp.OPTIMIZE_PRIORITY):
    return backend.compile_bpf(profile['defaultAction'], profile.get('defaultErrnoRet') or 1, profile['architectures'],
                               oci.profile_rules(profile), optimize=optimize, keep_native=True)


def _walk(backend, prog, call):
    name, args = bench.CALL_ARGS[call][0]
    return bpf.run(prog, backend.resolve('SCMP_ARCH_X86_64', name), bench.X86_64, args)[1]


def test_the_default_list_puts_argument_rules_last_and_walks_x32_too(backend):
    """What docs/benchmarks.md says of libseccomp's default layout (runc 1.1, crun), on the
    profile as written: an allowed call with no rule of its own
    walks every rule to the default; a call with argument rules comes after every rule without;
    and x32 shares x86_64's audit arch, so its rules are in the same list and double the walk."""
    hardened = bench.rendered('hardened')
    plain = [n for e in hardened['syscalls'] if not e.get('args') for n in e['names']
             if backend.resolve('SCMP_ARCH_X86_64', n) >= 0]
    prog = _program(backend, hardened)
    getppid = _walk(backend, prog, 'getppid')
    assert getppid > 2 * len(plain) - 2 * 4      # both lists, less the few calls x32 lacks
    assert _walk(backend, prog, 'socket_nofamily') > getppid
    alone = _program(backend, dict(hardened, architectures=['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']))
    assert len(plain) < _walk(backend, alone, 'getppid') < getppid * 0.6
