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


@pytest.fixture(scope='module')
def backend():
    try:
        return libseccomp.load('ctypes')
    except libseccomp.LibseccompError as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize('name', ['allow-all', 'runtime-default', 'hardened', 'hardened-deny-processes'])
def test_every_hot_call_is_allowed_by_every_profile(backend, name):
    profile = bench.rendered(name)
    prog = backend.compile_bpf(profile['defaultAction'], profile.get('defaultErrnoRet') or 1,
                               profile['architectures'], oci.profile_rules(profile),
                               optimize=libseccomp.OPTIMIZE_PRIORITY, keep_native=True)
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
