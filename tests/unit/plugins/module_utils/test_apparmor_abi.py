# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``abi`` line a profile renders (issue 19, AppArmor 4): which ABI each rule kind needs,
the one-sentence refusals, and every preset and mode parsed by both real parsers: this
machine's AppArmor 3.0.8 and Debian 13's AppArmor 4.1, fetched and unpacked by
tests/unit/apparmor4.sh (those tests skip when the Debian mirror is unreachable)."""

import os
import shutil
import subprocess

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_abi as abi_mod
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_host as aa_host
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as a
from ansible_collections.confine.hardening.plugins.module_utils._common import SpecError

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, '..', '..', 'apparmor4.sh')
PARSER3 = shutil.which('apparmor_parser') or '/usr/sbin/apparmor_parser'
USERNS_SPEC = {'name': 'sandbox', 'preset': 'service', 'attach': '/usr/bin/unshare', 'userns': [{}]}
# What Debian 12 (AppArmor 3.0.8, kernel 6.1) and Debian 13 (4.1, kernel 6.12) offer, as abi_facts says.
HOST3 = {'parser_version': '3.0.8', 'abis': ['3.0'], 'kernel': {'userns': False}}
HOST4 = {'parser_version': '4.1.0', 'abis': ['3.0', '4.0'], 'kernel': {'userns': True, 'io_uring': True}}


@pytest.fixture(scope='module')
def parser4():
    """The unpacked AppArmor 4.1 parser (the wrapper script's path; the script keeps it in
    $APPARMOR4_DIR, default /tmp/confine-apparmor4, for the next run)."""
    proc = subprocess.run(['sh', SCRIPT], capture_output=True, text=True, check=False, timeout=600)
    if proc.returncode != 0:
        pytest.skip('AppArmor 4.1 is not available: %s' % proc.stderr.strip())
    return proc.stdout.strip()


def abi4_file(parser4):
    """Debian 13's abi/4.0: the kernel features the 4.1 parser is told the kernel has."""
    return os.path.join(os.path.dirname(parser4), 'root', 'etc', 'apparmor.d', 'abi', '4.0')


def parse(parser, text, tmp_path, *args):
    path = tmp_path / 'profile'
    path.write_text(text)
    proc = subprocess.run([parser, '-QK'] + list(args) + [str(path)], capture_output=True, text=True, check=False,
                          timeout=120)
    return proc.returncode, '\n'.join(line for line in (proc.stderr + proc.stdout).splitlines()
                                      if not line.startswith('Cache read/write disabled'))


def enforced(parser4, text, tmp_path):
    """4.1's -QK against a kernel with abi/4.0's features: (rc, the warnings about rules it would not enforce)."""
    rc, out = parse(parser4, text, tmp_path, '--kernel-features', abi4_file(parser4), '--warn=rule-not-enforced')
    return rc, [line for line in out.splitlines() if 'not enforced' in line]


# ---------------------------------------------------------------------------
# ABI selection and the refusals (pure)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('kind, abi', [('userns', 'abi/4.0')])
def test_each_rule_kind_renders_the_lowest_abi_that_has_it(kind, abi):
    assert abi_mod.RULE_ABI[kind][0] == abi
    assert a.layout({'name': 'p', kind: [{}]})['abi'] == abi
    assert abi_mod.needed_abi({'name': 'p', kind: [{'deny': True}]}) == (abi, kind)


@pytest.mark.parametrize('preset', a.PRESETS)
def test_presets_pin_abi_3_0_even_with_the_strict_presets_userns_rule(preset):
    spec = {'name': 'p', 'preset': preset, 'attach': '/usr/bin/x'}
    assert a.layout(spec)['abi'] == 'abi/3.0' and abi_mod.needed_abi(spec) == ('abi/3.0', None)


def test_an_explicit_abi_wins_but_must_have_the_rules():
    assert a.layout({'name': 'p', 'abi': 'abi/4.0'})['abi'] == 'abi/4.0'
    assert a.layout({'name': 'p', 'abi': 'abi/kernel-5.4-vanilla'})['abi'] == 'abi/kernel-5.4-vanilla'
    with pytest.raises(SpecError) as err:
        a.layout({'name': 'p', 'abi': 'abi/3.0', 'userns': [{}]})
    assert str(err.value) == ('userns: needs AppArmor ABI 4.0, but the spec pins abi: abi/3.0 (leave abi out to '
                              'get the lowest ABI that has it)') and err.value.field == 'userns'


def test_an_explicit_abi_3_0_is_kept_by_user_spec():
    assert a.user_spec({'name': 'p', 'abi': 'abi/3.0'})['abi'] == 'abi/3.0'
    assert 'abi' not in a.user_spec({'name': 'p', 'abi': None})


def test_under_abi_4_a_bare_network_rule_keeps_covering_unix_sockets():
    rules = a.layout({'name': 'p', 'preset': 'container-default', 'userns': [{}]})['rules']
    assert rules.index('unix,') == rules.index('network,') + 1
    rules = a.layout({'name': 'p', 'abi': 'abi/4.0', 'network': [{'family': 'unix', 'type': 'stream', 'deny': True},
                                                                 {'family': 'inet'}, {'type': 'raw'}]})['rules']
    assert 'audit deny unix type=stream,' in rules and [r for r in rules if r.startswith(('unix', 'audit deny unix'))] \
        == ['audit deny unix type=stream,']
    assert 'unix,' not in a.layout({'name': 'p', 'preset': 'container-default'})['rules']


def test_the_host_refusals_are_one_sentence_naming_the_field():
    assert abi_mod.host_problem(USERNS_SPEC, 'abi/4.0', HOST3) == (
        "userns: needs AppArmor ABI 4.0; this host's apparmor_parser 3.0.8 has only abi/3.0")
    assert abi_mod.host_problem({'name': 'p', 'abi': 'abi/4.0'}, 'abi/4.0', HOST3) == (
        "abi: abi/4.0 is not on this host; its apparmor_parser 3.0.8 has only abi/3.0")
    no_userns = dict(HOST4, kernel={'userns': False})
    assert abi_mod.host_problem(USERNS_SPEC, 'abi/4.0', no_userns) == (
        "userns: this host's kernel does not mediate userns rules (features/namespaces/mask has no userns_create), "
        "so the rule would not be enforced")
    assert abi_mod.host_problem(USERNS_SPEC, 'abi/4.0', HOST4) is None
    assert abi_mod.host_problem(USERNS_SPEC, 'abi/4.0', dict(no_userns, kernel=None)) is None  # nothing to enforce
    assert abi_mod.host_problem({'name': 'p', 'preset': 'container-strict'}, 'abi/3.0', HOST3) is None


def test_the_preset_userns_rule_is_left_out_where_it_would_not_be_enforced():
    spec = {'name': 'c', 'preset': 'container-strict'}
    assert a.USERNS_ABI_NOTE % 'abi/3.0' in a.render(spec, features={'userns': True})
    assert '  audit deny userns,\n' in a.render(dict(spec, abi='abi/4.0'), features={'userns': True})
    assert '  userns,\n' in a.render(USERNS_SPEC, features={'userns': True})


# ---------------------------------------------------------------------------
# Both real parsers
# ---------------------------------------------------------------------------

def every_preset_and_mode():
    for preset in a.PRESETS:
        for mode in ('enforce', 'complain'):
            yield {'name': 'p-%s' % preset, 'preset': preset, 'mode': mode, 'attach': '/usr/bin/x'}


@pytest.mark.skipif(not os.path.exists(PARSER3), reason='apparmor_parser is not installed')
@pytest.mark.parametrize('spec', list(every_preset_and_mode()), ids=lambda s: '%s-%s' % (s['preset'], s['mode']))
def test_every_preset_and_mode_parses_with_3_0_and_4_1(spec, parser4, tmp_path):
    # as the module renders it on each host: 3.0.8 has no userns, 4.1 does
    text3 = a.render(spec, features={'userns': False})
    text4 = a.render(spec, features={'userns': True})
    assert 'abi <abi/3.0>,' in text3 and 'abi <abi/3.0>,' in text4
    assert parse(PARSER3, text3, tmp_path) == (0, '')
    assert parse(parser4, text4, tmp_path) == (0, '')
    # on a 4.x kernel nothing the profile says goes unenforced (the userns rule was left out, not ignored)
    assert enforced(parser4, text4, tmp_path) == (0, [])
    # and under abi/4.0 (the unix rule beside network) too
    assert enforced(parser4, a.render(dict(spec, abi='abi/4.0'), features={'userns': True}), tmp_path) == (0, [])


def test_a_userns_spec_is_accepted_and_enforced_by_4_1(parser4, tmp_path):
    for rules in ([{}], [{'deny': True}], [{'audit': True}]):
        text = a.render(dict(USERNS_SPEC, userns=rules), features={'userns': True})
        assert 'abi <abi/4.0>,' in text
        assert enforced(parser4, text, tmp_path) == (0, [])


def test_userns_under_abi_3_0_is_what_4_1_would_silently_not_enforce(parser4, tmp_path):
    # why a userns rule raises the ABI: the same rule under abi/3.0 parses but is not enforced
    text = a.render(USERNS_SPEC, features={'userns': True}).replace('abi <abi/4.0>,', 'abi <abi/3.0>,')
    rc, warnings = enforced(parser4, text, tmp_path)
    assert rc == 0 and any('userns rules not enforced' in w for w in warnings)


@pytest.mark.skipif(not os.path.exists(PARSER3), reason='apparmor_parser is not installed')
def test_a_userns_spec_is_refused_in_one_sentence_for_3_0_8(tmp_path, monkeypatch):
    text = a.render(USERNS_SPEC, features={'userns': True})
    rc, out = parse(PARSER3, text, tmp_path)
    assert rc != 0 and "Could not open 'abi/4.0'" in out      # what the parser alone would say
    mod = type('Mod', (), {'run_command': staticmethod(_run)})()
    monkeypatch.setattr(aa_host, '_USERNS', {})
    host = aa_host.abi_facts(mod, PARSER3, available=False)
    if host['parser_version'] != '3.0.8':
        pytest.skip('this machine has apparmor_parser %s, not 3.0.8' % host['parser_version'])
    assert abi_mod.host_problem(USERNS_SPEC, 'abi/4.0', host) == (
        "userns: needs AppArmor ABI 4.0; this host's apparmor_parser 3.0.8 has only abi/3.0")


def _run(args):
    proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr
