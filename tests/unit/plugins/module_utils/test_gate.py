# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The promotion gate on events parsed from real record lines: an event is explained only
when the spec now holds the rule its suggestion adds, or an ignore pattern matches; the
decision waits for the observation time and refuses while anything is unexplained."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit
from ansible_collections.confine.hardening.plugins.module_utils import _gate as gate

GS = '\x1d'
LINES = [
    # complain mode let these through: what enforce would block
    'type=AVC msg=audit(1795468675.652:237): apparmor="ALLOWED" operation="open" profile="web" '
    'name="/srv/cache/item-1234/data.db" pid=1728 comm="python3" requested_mask="wc" denied_mask="wc" '
    'fsuid=0 ouid=0' + GS + 'FSUID="root" OUID="root"',
    'type=AVC msg=audit(1795468675.700:238): apparmor="ALLOWED" operation="capable" profile="web" pid=1728 '
    'comm="python3" capability=12  capname="net_admin"',
    'type=AVC msg=audit(1795468675.800:239): apparmor="ALLOWED" operation="create" profile="web" pid=1728 '
    'comm="python3" family="packet" sock_type="raw" protocol=768 requested_mask="create" denied_mask="create"',
    'type=AVC msg=audit(1795468675.900:240): apparmor="ALLOWED" operation="open" profile="web" '
    'name="/usr/share/zoneinfo/UTC" pid=1728 comm="python3" requested_mask="r" denied_mask="r" fsuid=0 ouid=0',
    # seccomp log mode
    'type=SECCOMP msg=audit(1795468676.000:241): auid=4294967295 uid=0 gid=0 ses=4294967295 subj=web pid=1728 '
    'comm="python3" exe="/usr/bin/python3.11" sig=0 arch=c000003e syscall=165 compat=0 ip=0x4a3b2c code=0x7ffc0000',
    # another profile enforcing: not the gate's business
    'type=SECCOMP msg=audit(1795468676.100:242): auid=4294967295 uid=0 gid=0 ses=4294967295 subj=x pid=9 '
    'comm="probe" exe="/probe" sig=0 arch=c000003e syscall=101 compat=0 ip=0x4a3b2c code=0x50001',
    # a record of an enforcing profile's STATUS change, and a truncated line
    'type=AVC msg=audit(1795468676.2:243): apparmor="STATUS" operation="profile_replace" profile="unconfined" '
    'name="web" pid=611 comm="apparmor_parser"',
    'type=AVC msg=audit(1795468676.3:244): apparmor="ALLOWED" operation="op',
]


@pytest.fixture
def events():
    names = {165: 'mount', 101: 'ptrace'}
    return audit.Collector(profiles=['web']).feed(LINES).results(lambda arch, nr: names.get(nr))


def test_nothing_is_explained_by_an_empty_spec(events):
    unexplained, accepted, skipped = gate.sort_events(events, [], [{'name': 'web'}], [])
    kinds = sorted(e.get('capname') or e.get('family') or e.get('syscall') or e['name'] for e in unexplained)
    assert kinds == ['/srv/cache/item-1234/data.db', '/usr/share/zoneinfo/UTC', 'mount', 'net_admin', 'packet']
    assert accepted == [] and skipped == []


def test_accepting_the_suggestions_explains_exactly_those_events(events):
    unexplained, _a, _s = gate.sort_events(events, [], [{'name': 'web'}], [])
    suggested = audit.suggestions(unexplained)
    web = dict(suggested['apparmor']['web'], name='web', preset='service')
    seccomp = [{'name': 'web', 'preset': 'allowlist', 'syscalls': suggested['seccomp']['syscalls']}]
    unexplained, accepted, skipped = gate.sort_events(events, seccomp, [web], [])
    assert unexplained == [] and len(accepted) == 5 and skipped == []


def test_a_rule_too_narrow_does_not_explain(events):
    narrow = {'name': 'web', 'files': [{'path': '/srv/cache/**', 'perms': 'r'}],
              'capabilities': {'allow': ['net_raw']}, 'network': [{'family': 'inet'}]}
    unexplained, accepted, _s = gate.sort_events(events, [{'syscalls': [{'names': ['mount'],
                                                                         'action': 'SCMP_ACT_ERRNO'}]}], [narrow], [])
    assert len(unexplained) == 5 and accepted == []
    wide = {'name': 'web', 'files': [{'path': '/srv/cache/**', 'perms': 'rw'}, {'path': '/usr/share/zoneinfo/*',
                                                                                'perms': 'r'}],
            'capabilities': {'allow': ['net_admin']}, 'network': [{'family': 'packet', 'type': 'raw'}]}
    unexplained, accepted, _s = gate.sort_events(events, [], [wide], [])
    assert [e['syscall'] for e in unexplained] == ['mount'] and len(accepted) == 4


def test_ignore_patterns_match_every_field_they_name(events):
    patterns = [{'profile': 'web', 'name': '/usr/share/zoneinfo/*'}, {'syscall': 'mo*', 'comm': 'python3'},
                {'capname': 'net_admin', 'comm': 'nginx'}]
    unexplained, _a, skipped = gate.sort_events(events, [], [{'name': 'web'}], patterns)
    assert sorted(e.get('name') or e.get('syscall') for e in skipped) == ['/usr/share/zoneinfo/UTC', 'mount']
    assert len(unexplained) == 3


@pytest.mark.parametrize('pattern, path, match', [
    ('/srv/**', '/srv/a/b/c', True), ('/srv/*', '/srv/a/b', False), ('/srv/*', '/srv/a', True),
    ('/etc/{passwd,group}', '/etc/group', True), ('/etc/{passwd,group}', '/etc/shadow', False),
    ('@{PROC}/@{pid}/status', '/proc/123/status', True), ('/dev/tty[0-9]', '/dev/tty5', True),
    ('/tmp/x?', '/tmp/x/', False),
])
def test_apparmor_globs(pattern, path, match):
    assert bool(gate.apparmor_glob_re(pattern).match(path)) is match


def test_decision():
    day = 86400.0
    stage, promoted, why = gate.decide(None, None, 1000.0, day, [], [], [])
    assert (stage, promoted) == ('observe', False) and 'observation starts now' in why and '1d' in why
    stage, promoted, why = gate.decide('observe', 0.0, 3600.0, day, [], [], [])
    assert (stage, promoted) == ('observe', False) and why.startswith('observed for 1h of 1d')
    bad = [{'kind': 'seccomp', 'syscall': 'mount', 'exe': '/usr/bin/python3.11', 'count': 3}]
    stage, promoted, why = gate.decide('observe', 0.0, 2 * day, day, bad, [], [])
    assert (stage, promoted) == ('observe', False)
    assert why == '1 unexplained event since observation began: seccomp mount by /usr/bin/python3.11 (3 times)'
    stage, promoted, why = gate.decide('observe', 0.0, 2 * day, day, [], [{}], [{}, {}])
    assert (stage, promoted) == ('enforce', True) and '(1 accepted, 2 ignored): promoted' in why
    assert gate.decide('enforce', 0.0, 1.0, day, bad, [], [])[:2] == ('enforce', False)
