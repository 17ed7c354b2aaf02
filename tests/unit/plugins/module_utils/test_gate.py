# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The promotion gate on events parsed from real record lines: an event is explained only
when the spec now holds the rule its suggestion adds, or an ignore pattern matches; the
decision waits for the observation time and refuses while anything is unexplained."""

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _aare as aare
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
    # as apparmor_parser compiles them: /** needs one character, escapes are literal, unknown variables match nothing
    ('/srv/**', '/srv/', False), ('/srv/\\*\\*', '/srv/**', True), ('/srv/\\*\\*', '/srv/ab', False),
    ('/srv/{a,b}', '/srv/{a,b}', False), ('/srv/\\{a,b\\}', '/srv/{a,b}', True), ('/srv/\\{a,b\\}', '/srv/a', False),
    ('@{HOME}/.cfg', '/home/u/.cfg', True), ('@{HOME}/.cfg', '/root/.cfg', True), ('@{NOPE}/x', '/x', False),
    ('/srv/\\@\\{HOME\\}', '/srv/@{HOME}', True), ('/srv/[', '/srv/[', False),
])
def test_apparmor_globs(pattern, path, match):
    assert bool(aare.glob_matcher(pattern).match(path)) is match


def test_decision():
    day = 86400.0
    stage, promoted, why, decision = gate.decide(None, None, 1000.0, day, [], [], [])
    assert (stage, promoted, decision) == ('observe', False, 'started') and 'observation starts now' in why and '1d' in why
    stage, promoted, why, decision = gate.decide('observe', 0.0, 3600.0, day, [], [], [])
    assert (stage, promoted, decision) == ('observe', False, 'observing') and why.startswith('observed for 1h of 1d')
    bad = [{'kind': 'seccomp', 'syscall': 'mount', 'exe': '/usr/bin/python3.11', 'count': 3}]
    stage, promoted, why, decision = gate.decide('observe', 0.0, 2 * day, day, bad, [], [])
    assert (stage, promoted, decision) == ('observe', False, 'held')
    assert why == '1 unexplained event since observation began: seccomp mount by /usr/bin/python3.11 (3 times)'
    stage, promoted, why, decision = gate.decide('observe', 0.0, 2 * day, day, [], [{}], [{}, {}])
    assert (stage, promoted, decision) == ('enforce', True, 'promoted') and '(1 accepted, 2 ignored): promoted' in why
    assert gate.decide('enforce', 0.0, 1.0, day, bad, [], [])[::3] == ('enforce', 'enforced')
    assert all(gate.decide(*args)[3] in gate.DECISIONS for args in (
        (None, None, 1.0, day, [], [], []), ('enforce', 0.0, 1.0, day, [], [], [])))


def test_tallies_per_apparmor_profile_and_seccomp_as_a_whole():
    aa = {'kind': 'apparmor', 'profile': 'web//child', 'count': 4}
    sc = {'kind': 'seccomp', 'profile': '', 'count': 2}
    got = gate.tallies([aa, dict(aa, profile='web', count=1), sc], [sc], [])
    assert got == [
        {'kind': 'apparmor', 'profile': 'web', 'class': 'unexplained', 'events': 2, 'occurrences': 5},
        {'kind': 'seccomp', 'profile': '', 'class': 'accepted', 'events': 1, 'occurrences': 2},
        {'kind': 'seccomp', 'profile': '', 'class': 'unexplained', 'events': 1, 'occurrences': 2}]


# ---------------------------------------------------------------------------
# issue 11 item 4: the gate treats a suggestion as explaining only the event it came from
# ---------------------------------------------------------------------------


def _event(name, mask='rw', profile='web'):
    line = ('type=AVC msg=audit(1795468675.652:300): apparmor="ALLOWED" operation="open" profile="%s" '
            'name=%s pid=1 comm="app" requested_mask="%s" denied_mask="%s" fsuid=0 ouid=0'
            % (profile, name.encode('utf-8').hex().upper(), mask, mask))
    return audit.Collector().feed([line]).results()[0]


@pytest.mark.parametrize('name', ['/srv/**', '/srv/{a,b}', '/srv/[ab]', '/srv/@{HOME}', '/srv/x?', '/srv/a b'])
def test_an_accepted_suggestion_explains_its_own_event_and_no_other(name):
    # issue 11 item 4: merged, the suggestion for a file named with glob characters explains that file only
    event = _event(name)
    spec = dict(audit.suggestions([event])['apparmor']['web'], name='web', preset='service')
    assert gate.sort_events([event], [], [spec], [])[1] == [event]
    others = [_event(n) for n in ('/srv/a', '/srv/b', '/srv/secret', '/srv/xy', '/srv/HOME')]
    unexplained, accepted, _s = gate.sort_events(others, [], [spec], [])
    assert accepted == [] and len(unexplained) == len(others)


@pytest.mark.parametrize('name', ['/srv/{a,b}', '/srv/[ab]', '/srv/@{HOME}'])
def test_the_unescaped_name_as_a_rule_does_not_explain_the_literal_event(name):
    # issue 11 item 4: before, the gate counted a rule equal to the unescaped name as accepted, though
    # AppArmor reads it as a glob that does not match the file (enforce would block it) and matches others
    event = _event(name)
    spec = {'name': 'web', 'files': [{'path': name, 'perms': 'rw'}]}
    unexplained, accepted, _s = gate.sort_events([event], [], [spec], [])
    assert unexplained == [event] and accepted == []


def test_deny_rules_of_the_spec_and_its_preset_win():
    # issue 11 item 4: "as AppArmor would": a deny rule takes the permission away whatever allows it
    event = _event('/proc/sysrq-trigger', 'w')
    spec = {'name': 'web', 'preset': 'container-default', 'files': [{'path': '/proc/sysrq-trigger', 'perms': 'w'}]}
    assert gate.sort_events([event], [], [spec], [])[0] == [event]
    spec = {'name': 'web', 'files': [{'path': '/srv/**', 'perms': 'rw'}, {'path': '/srv/x', 'perms': 'w', 'deny': True}]}
    assert gate.sort_events([_event('/srv/x')], [], [spec], [])[1] == []
    assert len(gate.sort_events([_event('/srv/y')], [], [spec], [])[1]) == 1
    # the preset's own allow rules count: container-default allows every other file
    assert len(gate.sort_events([_event('/srv/y')], [], [{'name': 'web', 'preset': 'container-default'}], [])[1]) == 1


def test_permissions_are_the_union_of_the_matching_rules_and_owner_rules_do_not_count():
    event = _event('/srv/data', 'rwc')
    split = {'name': 'web', 'files': [{'path': '/srv/*', 'perms': 'r'}, {'path': '/srv/data', 'perms': 'w'}]}
    assert len(gate.sort_events([event], [], [split], [])[1]) == 1
    owner = {'name': 'web', 'files': [{'path': '/srv/*', 'perms': 'rw', 'owner': True}]}
    assert gate.sort_events([event], [], [owner], [])[1] == []
    odd = _event('/srv/data', 'rN')     # a mask letter the gate does not know explains nothing
    assert gate.sort_events([odd], [], [{'name': 'web', 'files': [{'path': '/**', 'perms': 'rwlkm'}]}], [])[1] == []


@pytest.mark.parametrize('spec', [
    {'name': 'web', 'files': 'not a list'}, {'name': 'web', 'files': ['/srv/**']},
    {'name': 'web', 'files': [{'path': 5, 'perms': 'rw'}]}, {'name': 'web', 'files': [{'path': '/srv/**', 'perms': 7}]},
    {'name': 'web', 'capabilities': ['net_admin']}, {'name': 'web', 'network': 'inet'},
    {'name': 'web', 'preset': 'nonsense', 'files': [{'path': '/srv/[', 'perms': 'rw'}]},
    {'name': 'web', 'files': [{'path': '/srv/{' * 60 + 'a' + '}' * 60, 'perms': 'rw'}]},
])
def test_a_malformed_spec_explains_nothing_and_raises_nothing(spec, events):
    # issue 11 item 21: no traceback for any input
    unexplained, accepted, _s = gate.sort_events(events + [_event('/srv/x')], [{'syscalls': 'mount'}, 'x'], [spec, 7],
                                                 [{'name': 5}, 'x'])
    assert accepted == [] and len(unexplained) == 6


def parser_regex(pcre):
    """apparmor_parser's expression (its dialect: a bare ? is a literal '?', \\xHH a byte) in Python."""
    import re
    out, i = [], 0
    while i < len(pcre):
        char = pcre[i]
        if char == '\\' and pcre[i + 1:i + 2] == 'x':
            out.append(pcre[i:i + 4])
            i += 4
        elif char == '\\':
            out.append(re.escape(pcre[i + 1]))
            i += 2
        else:
            out.append('\\?' if char == '?' else char)
            i += 1
    return re.compile('^(?:%s)$' % ''.join(out), re.S)


GLOBS = ['/srv/**', '/srv/*', '/srv/a/*', '/srv/b*/c', '/srv/[^a]x', '@{PROC}/@{pid}/status', '@{HOME}/.cfg', '@{run}/x',
         '/etc/{passwd,group}', '/dev/tty[0-9]', '/tmp/x?', '/srv/\\*\\*', '/srv/a\\[b\\]', '/s/a.b+c(d)|e$f^g',
         '/srv/\\{a,b\\}', '/srv/\\@\\{HOME\\}', '/x/\\\\y', '/srv/a b', '/srv/**/z', '/srv/{a,b{c,d}}/*', '/**',
         '@{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/**',
         '@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}', '/srv/x\\?']
NAMES = ['/srv/', '/srv/a', '/srv/a/b', '/srv/**', '/srv/ab', '/srv/bx/c', '/srv/b/c', '/srv/ax', '/srv/bx', '/srv/x?',
         '/proc/123/status', '/proc/0/status', '/proc/self/status', '/home/u/.cfg', '/root/.cfg', '/home//.cfg',
         '/run/x', '/var/run/x', '/etc/passwd', '/etc/group', '/dev/tty5', '/dev/ttyx', '/tmp/xa', '/tmp/x/',
         '/srv/a[b]', '/s/a.b+c(d)|e$f^g', '/srv/{a,b}', '/srv/@{HOME}', '/x/\\y', '/srv/a b', '/srv/q/z', '/srv/z',
         '/srv/a/1', '/srv/c/q', '/srv/bd/q', '/a', '/', '/proc/1/x', '/proc/sys/x', '/proc/sys/kernel/shmmax',
         '/proc/sys/kernel/a', '/proc/sys/kernel/ab', '/proc/sys/kernel/abc', '/proc/12345/x', '/proc/sysrq-trigger/x',
         '/srv/xa']


def test_the_gate_reads_globs_as_apparmor_parser_compiles_them(tmp_path):
    # issue 11 item 4: "matches it as AppArmor would", checked against the parser's own expressions
    import shutil
    import subprocess
    from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as apparmor_spec
    if not shutil.which('apparmor_parser'):
        pytest.skip('apparmor_parser is not installed')
    profile = tmp_path / 'xcheck'
    profile.write_text('include <tunables/global>\nprofile xcheck {\n%s}\n'
                       % ''.join('  %s r,\n' % apparmor_spec.quote('path', g) for g in GLOBS))
    proc = subprocess.run(['apparmor_parser', '-QK', '-D', 'rule-exprs', str(profile)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    theirs = dict(line[len('aare: '):].split('   ->   ', 1) for line in proc.stderr.splitlines()
                  if line.startswith('aare: ') and '   ->   ' in line)
    for glob in GLOBS:
        expanded = aare._filter_slashes(aare.expand_variables(glob))
        assert expanded in theirs, (glob, expanded)
        parser, mine, nfa = parser_regex(theirs[expanded]), aare.aare_regex(glob), aare.GlobMatcher(glob)
        for name in NAMES:
            assert bool(mine.match(name)) == bool(parser.match(name)) == nfa.match(name), (glob, name)


def test_a_long_hostile_name_against_a_glob_of_many_stars_takes_linear_time():
    # issue 11 items 4 and 17: the workload chooses the name; Python's backtracking re took
    # polynomial time (hours) on this pair. A child process whose timeout only catches a hang.
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    code = ('import sys; sys.path.insert(0, %r); import conftest\n'
            'from ansible_collections.confine.hardening.plugins.module_utils import _gate as gate\n'
            'spec = {"name": "web", "files": [{"path": "/srv/*a*a*a*a*a*a*b", "perms": "rw"}]}\n'
            'event = {"kind": "apparmor", "verdict": "ALLOWED", "profile": "web", "operation": "open",\n'
            '         "name": "/srv/" + "a" * 4000, "denied_mask": "r", "count": 1}\n'
            'print(gate.sort_events([event], [], [spec], [])[1])\n') % (root,)
    proc = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == '[]', proc.stderr
    assert aare.GlobMatcher('/srv/*a*b').match('/srv/xxaxxb') and not aare.GlobMatcher('/srv/*a*b').match('/srv/a')
    assert not aare.GlobMatcher('/srv/**').match('/srv/' + 'x' * (aare.MAX_NAME + 1))


def test_a_deny_among_extra_rules_explains_nothing_for_the_profile():
    # a deny the gate cannot read must not let it promote into a denial enforce would make
    event = {'kind': 'apparmor', 'profile': 'svc', 'name': '/srv/data/a', 'denied_mask': 'r', 'operation': 'open'}
    spec = {'name': 'svc', 'preset': 'service', 'attach': '/usr/bin/svc', 'files': [{'path': '/srv/data/**', 'perms': 'r'}]}
    assert gate.apparmor_accepted(event, spec)
    assert not gate.apparmor_accepted(event, dict(spec, extra_rules=['audit deny /srv/data/a r,']))
    assert gate.apparmor_accepted(event, dict(spec, extra_rules=['signal (send) peer=unconfined,']))
