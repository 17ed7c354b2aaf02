# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The users' verify suite (verify/test_hardening.py) reads each installed seccomp profile to
know what the probe must see: these are its decisions for profiles the module really renders."""

import importlib.util
import json
from pathlib import Path

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as s

SUITE = Path(__file__).resolve().parents[3] / 'verify' / 'test_hardening.py'
_SPEC = importlib.util.spec_from_file_location('confine_verify_suite', SUITE)
suite = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(suite)
HOST = {'machine': 'x86_64', 'kernel': '6.1.0-25-amd64'}


def rendered(spec):
    """The profile as the suite reads it from the host: the file's text, laid out for runc."""
    return suite.as_written(json.loads(oci.canonical_json(s.build_profile(spec, HOST)[0])))


def test_the_suite_reads_the_laid_out_file_as_the_profile_built():
    built = s.build_profile({'preset': 'hardened', 'preset_options': {'deny_processes': True}}, HOST)[0]
    laid = json.loads(oci.canonical_json(built))
    assert laid != built and suite.as_written(laid) == built
    assert 'mount' in suite.expected_blocked(suite.as_written(laid)) and 'mount' not in suite.expected_blocked(laid)
    # a partition that misses a value is conditional rules, as written
    gap = dict(laid, syscalls=[r for r in laid['syscalls'] if not r.get('args') or r['args'][0]['op'] != 'SCMP_CMP_GE'])
    assert suite.as_written(gap) == gap


@pytest.mark.parametrize('spec,refuses', [
    ({'preset': 'hardened', 'preset_options': {'deny_processes': True}}, True),
    ({'preset': 'no-exec', 'preset_options': {'deny_processes': True}}, True),
    ({'preset': 'hardened'}, False),
    ({'preset': 'hardened', 'preset_options': {'deny_processes': True}, 'mode': 'log'}, False),   # logs only
    ({'preset': 'runtime-default'}, False),
    ({'preset': 'allowlist', 'syscalls': [{'names': ['fork'], 'action': 'SCMP_ACT_ALLOW'}]}, False),
    # a deny of fork alone does not stop glibc, which forks with clone
    ({'preset': 'hardened', 'syscalls': [{'names': ['fork', 'vfork'], 'action': 'SCMP_ACT_ERRNO'}]}, False),
    ({'preset': 'no-exec', 'preset_options': {'deny_fork': True}}, True),
])
def test_a_profile_that_refuses_new_processes_is_told_apart(spec, refuses):
    profile = rendered(spec)
    assert suite.refuses_fork(profile) is refuses
    assert suite.work(profile) == {'thread': 'OK', 'file_io': 'OK', 'fork': 'EPERM' if refuses else 'OK'}


@pytest.mark.parametrize('host', [{'machine': 'aarch64', 'kernel': '6.1.0'}, {'machine': 'riscv64', 'kernel': '6.1.0'},
                                  {'machine': 's390x', 'kernel': '6.1.0'}])
def test_deny_processes_is_seen_where_the_architecture_has_no_fork_call(host):
    spec = {'preset': 'hardened', 'preset_options': {'deny_processes': True}}
    assert suite.refuses_fork(s.build_profile(spec, host)[0])
    assert not suite.refuses_fork(s.build_profile({'preset': 'hardened'}, host)[0])


def test_the_probes_own_refused_fork_counts_as_refused_only_where_forks_are_refused():
    procs = rendered({'preset': 'hardened', 'preset_options': {'deny_processes': True}})
    plain = rendered({'preset': 'hardened'})
    assert suite.refused('SETUP:EPERM', 'EPERM', procs, 'unshare_user') and suite.refused('EPERM', 'EPERM', procs, 'mount')
    assert not suite.refused('SETUP:EPERM', 'EPERM', plain, 'unshare_user')
    assert not suite.refused('SETUP:EPERM', 'EPERM', procs, 'mount')     # mount forks nothing first
    assert not suite.refused('OK', 'EPERM', procs, 'unshare_user')
