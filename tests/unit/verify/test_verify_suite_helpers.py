# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The users' verify suite (verify/test_hardening.py) reads each installed seccomp profile to
know what the probe must see: these are its decisions for profiles the module really renders."""

import importlib.util
from pathlib import Path

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as s

SUITE = Path(__file__).resolve().parents[3] / 'verify' / 'test_hardening.py'
_SPEC = importlib.util.spec_from_file_location('confine_verify_suite', SUITE)
suite = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(suite)
HOST = {'machine': 'x86_64', 'kernel': '6.1.0-25-amd64'}


def rendered(spec):
    return s.build_profile(spec, HOST)[0]


@pytest.mark.parametrize('spec,refuses', [
    ({'preset': 'hardened', 'preset_options': {'deny_processes': True}}, True),
    ({'preset': 'no-exec', 'preset_options': {'deny_processes': True}}, True),
    ({'preset': 'hardened'}, False),
    ({'preset': 'hardened', 'preset_options': {'deny_processes': True}, 'mode': 'log'}, False),   # logs only
    ({'preset': 'runtime-default'}, False),
    ({'preset': 'allowlist', 'syscalls': [{'names': ['fork'], 'action': 'SCMP_ACT_ALLOW'}]}, False),
])
def test_a_profile_that_refuses_new_processes_is_told_apart(spec, refuses):
    profile = rendered(spec)
    assert suite.refuses_fork(profile) is refuses
    assert suite.work(profile) == {'thread': 'OK', 'file_io': 'OK', 'fork': 'EPERM' if refuses else 'OK'}


def test_the_probes_own_refused_fork_counts_as_refused_only_where_forks_are_refused():
    procs = rendered({'preset': 'hardened', 'preset_options': {'deny_processes': True}})
    plain = rendered({'preset': 'hardened'})
    assert suite.refused('SETUP:EPERM', 'EPERM', procs) and suite.refused('EPERM', 'EPERM', procs)
    assert not suite.refused('SETUP:EPERM', 'EPERM', plain) and not suite.refused('OK', 'EPERM', procs)
