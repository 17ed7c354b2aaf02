# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_metrics: the node exporter's text-file from a report and a record - the values, the names
Prometheus's conventions want, and hostile label values that stay inside their sample (read back
by a parser of the text format here, and by the real ``promtool check metrics`` where it is
installed: scripts/install-deps.sh puts it on the project's machines)."""

import re
import shutil
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.confine.hardening.plugins.module_utils import _metrics as metrics

RECORD = {'updated_at': '2026-12-01T10:00:00+00:00', 'profiles': [
    {'kind': 'seccomp', 'name': 'web', 'mode': 'enforce', 'targets': ['containerd', 'docker', 'kubelet'], 'files': []},
    {'kind': 'apparmor', 'name': 'confine-web', 'mode': 'complain', 'targets': ['kernel'], 'files': []}]}
REPORT = {'stage': 'observe', 'stage_since': '2026-12-01T09:00:00+00:00', 'decision_code': 'held', 'failure': None,
          'undone': [], 'event_source': {'rate_limited': True, 'lost_during_stage': 3},
          'tallies': [{'kind': 'apparmor', 'profile': 'confine-web', 'class': 'unexplained', 'events': 2,
                       'occurrences': 9},
                      {'kind': 'seccomp', 'profile': '', 'class': 'accepted', 'events': 1, 'occurrences': 4}]}
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)')


def parse(text):
    """{(name, ((label, value), ...)): value} of the text format; fails on anything else."""
    out, typed = {}, {}
    assert text.endswith('\n')
    for line in text[:-1].split('\n'):
        if line.startswith('# HELP ') or line.startswith('# TYPE '):
            parts = line.split(' ', 3)
            if parts[1] == 'TYPE':
                assert parts[3] in ('gauge', 'counter') and parts[2] not in typed
                typed[parts[2]] = parts[3]
            continue
        m = SAMPLE.match(line)
        assert m, line
        labels, rest = [], m.group(3) or ''
        while rest:
            lm = LABEL.match(rest)
            assert lm, (line, rest)
            raw = lm.group(2)
            labels.append((lm.group(1), re.sub(r'\\(.)', lambda x: '\n' if x.group(1) == 'n' else x.group(1), raw)))
            rest = rest[lm.end():]
        assert m.group(1) in typed and (m.group(1), tuple(labels)) not in out, line     # typed, no duplicate series
        out[(m.group(1), tuple(labels))] = float(m.group(4))
    return out, typed


def test_the_values_of_a_held_host_in_observe():
    got, typed = parse(metrics.render(REPORT, RECORD, {('seccomp', 'web'): True}, 1765188000.0))
    # label names in order, as the node exporter serves them
    assert got[('confine_profile_info', (('kind', 'seccomp'), ('mode', 'enforce'), ('name', 'web'),
                                         ('runtime', 'docker')))] == 1
    assert got[('confine_profile_info', (('kind', 'apparmor'), ('mode', 'complain'), ('name', 'confine-web'),
                                         ('runtime', 'kernel')))] == 1
    assert got[('confine_profile_files_match', (('kind', 'seccomp'), ('name', 'web')))] == 1
    assert got[('confine_profile_files_match', (('kind', 'apparmor'), ('name', 'confine-web')))] == 0
    assert got[('confine_stage', (('stage', 'observe'),))] == 1 and got[('confine_stage', (('stage', 'enforce'),))] == 0
    assert [k[1][0][1] for k, v in got.items() if k[0] == 'confine_gate_decision' and v == 1] == ['held']
    assert got[('confine_last_run_outcome', (('outcome', 'ok'),))] == 1
    assert got[('confine_last_run_timestamp_seconds', ())] == 1765188000.0
    assert got[('confine_last_change_timestamp_seconds', ())] == 1796119200.0   # 2026-12-01T10:00Z
    assert got[('confine_stage_since_timestamp_seconds', ())] == 1796115600.0   # 09:00Z
    assert got[('confine_events_total', (('class', 'unexplained'), ('kind', 'apparmor'), ('profile', 'confine-web')))] == 9
    assert got[('confine_events_total', (('class', 'accepted'), ('kind', 'seccomp')))] == 4
    assert got[('confine_events_total', (('class', 'unexplained'), ('kind', 'seccomp')))] == 0
    assert got[('confine_kernel_records_lost_total', ())] == 3 and got[('confine_event_source_rate_limited', ())] == 1
    # Prometheus's conventions: the prefix, counters end in _total, nothing else does
    assert all(n.startswith('confine_') and (n.endswith('_total') == (t == 'counter')) for n, t in typed.items())


def test_a_failed_and_undone_run_and_no_record():
    report = dict(REPORT, failure='dockerd did not come back', undone=[{'path': '/etc/docker/daemon.json'}],
                  decision_code='configured', stage='enforce')
    got, _typed = parse(metrics.render(report, {}, {}, 1.0))
    assert got[('confine_last_run_outcome', (('outcome', 'failed_undone'),))] == 1
    assert got[('confine_last_run_outcome', (('outcome', 'ok'),))] == 0
    assert got[('confine_last_run_files_undone', ())] == 1
    assert str(got[('confine_last_change_timestamp_seconds', ())]) == 'nan'
    assert not [k for k in got if k[0].startswith('confine_profile_')]


def test_a_record_naming_a_profile_twice_gives_one_series():
    twice = dict(RECORD, profiles=RECORD['profiles'] + [dict(RECORD['profiles'][0], mode='log')])
    text = metrics.render(REPORT, twice, {('seccomp', 'web'): True}, 1.0)
    assert text.count('confine_profile_files_match{kind="seccomp",name="web"}') == 1
    parse(text)


def test_a_report_of_the_wrong_shapes_gives_zeros_not_an_error():
    hostile = {'stage': ['x'], 'tallies': [None, {'kind': 'seccomp', 'class': 'unexplained', 'occurrences': -5},
                                           {'kind': 'apparmor', 'class': 'nope'}], 'event_source': 'x', 'undone': 7}
    got, _typed = parse(metrics.render(hostile, {'profiles': [None, {'name': 3}], 'updated_at': 5}, {}, 0))
    assert got[('confine_events_total', (('class', 'unexplained'), ('kind', 'seccomp')))] == 0
    assert got[('confine_last_run_files_undone', ())] == 0
    # numbers, strings and lists where lists, strings and mappings belong
    odd = {'profiles': 5, 'stage': 'enforce'}
    for record in (odd, {'profiles': [{'kind': ['x'], 'name': 'web', 'targets': 'docker', 'mode': 3}]}):
        got, _typed = parse(metrics.render({'tallies': 7, 'stage': {}, 'failure': 'x'}, record, {}, 0))
        assert not [k for k in got if k[0] == 'confine_profile_info' and len(k[1][3][1]) == 1]


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=300), mode=st.text(max_size=20))
def test_hostile_label_values_stay_inside_their_sample(name, mode):
    record = {'profiles': [{'kind': 'apparmor', 'name': name, 'mode': mode, 'targets': ['kernel'], 'files': []}]}
    report = dict(REPORT, tallies=[{'kind': 'apparmor', 'profile': name, 'class': 'accepted', 'occurrences': 1}])
    got, _typed = parse(metrics.render(report, record, {}, 0))
    clean = ''.join(c for c in name[:metrics.MAX_LABEL] if c >= ' ' or c == '\n').encode('utf-8', 'replace').decode()
    assert got[('confine_events_total', (('class', 'accepted'), ('kind', 'apparmor'), ('profile', clean)))] == 1


@pytest.mark.skipif(not shutil.which('promtool'), reason='promtool is not installed (scripts/install-deps.sh)')
def test_promtool_finds_no_problem():
    hostile = dict(REPORT, tallies=REPORT['tallies'] + [{'kind': 'apparmor', 'profile': 'a"b\\c\nd', 'class': 'ignored',
                                                         'occurrences': 2}])
    for report in (REPORT, hostile, {}):
        text = metrics.render(report, RECORD, {}, 1765188000.0)
        proc = subprocess.run(['promtool', 'check', 'metrics'], input=text, capture_output=True, text=True, timeout=60,
                              check=False)
        assert proc.returncode == 0 and not proc.stdout.strip() and not proc.stderr.strip(), (proc.stdout, proc.stderr)
