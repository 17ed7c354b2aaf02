# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The promotion gate module on a record and a log of real record lines: observation
starts, waits, refuses with the events and suggestions, promotes once the suggestions are
in the spec, holds back when the kernel lost records during the stage, and refuses bad
input with one sentence naming the option."""

import json
import os

import pytest
from conftest import FakeModule, run_main

from ansible_collections.confine.hardening.plugins.module_utils import _audit_sources as sources
from ansible_collections.confine.hardening.plugins.modules import promotion_gate as m

T0 = 1795468000.0       # the stage began
LOG = [
    'type=AVC msg=audit(1795467000.000:100): apparmor="ALLOWED" operation="open" profile="web" '
    'name="/etc/before-the-stage" pid=1 comm="python3" requested_mask="r" denied_mask="r" fsuid=0 ouid=0',
    'type=AVC msg=audit(1795468675.652:237): apparmor="ALLOWED" operation="open" profile="web" '
    'name="/srv/cache/data.db" pid=1728 comm="python3" requested_mask="wc" denied_mask="wc" fsuid=0 ouid=0',
    'type=AVC msg=audit(1795468675.700:238): apparmor="ALLOWED" operation="capable" profile="web" pid=1728 '
    'comm="python3" capability=12  capname="net_admin"',
    'type=AVC msg=audit(1795468675.800:239): apparmor="ALLOWED" operation="open" profile="other" '
    'name="/etc/shadow" pid=9 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0',
]


def fake(params, lost=None):
    """The shared FakeModule; auditctl -s says the kernel lost ``lost`` records (None: it fails)."""
    def auditctl(args):
        if lost is None:
            return 1, '', 'no auditctl here'
        return 0, 'enabled 1\nlost %d\nbacklog 0\n' % lost, ''
    return FakeModule(params, responder=auditctl)


@pytest.fixture
def host(tmp_path, monkeypatch):
    log = tmp_path / 'audit.log'
    log.write_text('\n'.join(LOG) + '\n')
    record = tmp_path / 'record.fact'
    monkeypatch.setattr(sources, 'which', lambda name: '/usr/sbin/' + name)
    return log, record


def params(host, **kw):
    log, record = host
    p = dict(stage='auto', record=str(record), observe_min='1h', seccomp_profiles=[],
             apparmor_profiles=[{'name': 'web', 'preset': 'service', 'attach': '/usr/bin/web'}], ignore=[],
             source='file', log_path=str(log), max_events=50)
    p.update(kw)
    return p


def write_record(host, **kw):
    rec = dict(stage='observe', stage_since='2026-11-23T21:06:40+00:00')    # T0
    rec.update(kw)
    host[1].write_text(json.dumps(rec))


def test_a_host_without_a_record_starts_observing(host):
    result = m.run(fake(params(host)), now=T0)
    assert (result['stage'], result['promoted']) == ('observe', False)
    assert result['reason'].startswith('observation starts now')


def test_unexplained_events_hold_the_host_in_observe_with_suggestions(host):
    write_record(host)
    result = m.run(fake(params(host)), now=T0 + 7200)
    assert (result['stage'], result['promoted']) == ('observe', False)
    assert result['reason'].startswith('2 unexplained events since observation began: web: ')
    assert sorted(e.get('name') or e.get('capname') for e in result['events']) == ['/srv/cache/data.db', 'net_admin']
    assert result['suggestions']['apparmor']['web'] == {'files': [{'path': '/srv/cache/data.db', 'perms': 'w'}],
                                                        'capabilities': {'allow': ['net_admin']}}
    assert result['counts']['unexplained'] == 2 and result['observed_seconds'] == 7200


def test_accepted_suggestions_promote_after_the_observation_time(host):
    write_record(host)
    first = m.run(fake(params(host)), now=T0 + 7200)
    spec = dict(params(host)['apparmor_profiles'][0], **first['suggestions']['apparmor']['web'])
    early = m.run(fake(params(host, apparmor_profiles=[spec], observe_min='1d')), now=T0 + 7200)
    assert (early['stage'], early['reason']) == ('observe', 'observed for 2h of 1d; no unexplained events so far')
    result = m.run(fake(params(host, apparmor_profiles=[spec])), now=T0 + 7200)
    assert (result['stage'], result['promoted']) == ('enforce', True)
    assert result['reason'] == 'observed for 2h with no unexplained events (2 accepted, 0 ignored): promoted'


def test_ignore_patterns_promote_too(host):
    write_record(host)
    ignore = [{'profile': 'web', 'name': '/srv/cache/*'}, {'capname': 'net_*'}]
    result = m.run(fake(params(host, ignore=ignore)), now=T0 + 7200)
    assert result['promoted'] and result['counts']['ignored'] == 2


def test_records_lost_during_the_stage_hold_promotion_back(host):
    boot = m.fileio.read_text(m.BOOT_ID).strip()
    write_record(host, audit_lost_at_stage_start={'lost': 4, 'boot_id': boot})
    ignore = [{'kind': '*'}]
    steady = m.run(fake(params(host, ignore=ignore), lost=4), now=T0 + 7200)
    assert steady['promoted'] and steady['audit_lost'] == 4
    lost = m.run(fake(params(host, ignore=ignore), lost=9), now=T0 + 7200)
    assert (lost['stage'], lost['promoted']) == ('observe', False)
    assert 'dropped audit records' in lost['reason'] and lost['source']['lost_during_stage'] == 5
    # after a reboot the counter starts again: all it counts is lost
    write_record(host, audit_lost_at_stage_start={'lost': 500, 'boot_id': 'another-boot'})
    rebooted = m.run(fake(params(host, ignore=ignore), lost=300), now=T0 + 7200)
    assert not rebooted['promoted'] and rebooted['source']['lost_during_stage'] == 300


def test_a_promoted_host_stays_and_fixed_stages_are_reported(host):
    write_record(host, stage='enforce')
    assert m.run(fake(params(host)), now=T0 + 10)['stage'] == 'enforce'
    fixed = m.run(fake(params(host, stage='observe')), now=T0 + 10)
    assert fixed['stage'] == 'observe' and fixed['events'] == []      # a new observe stage begins
    write_record(host)
    fixed = m.run(fake(params(host, stage='observe')), now=T0 + 10)
    assert fixed['stage'] == 'observe' and fixed['counts']['unexplained'] == 2


@pytest.mark.parametrize('kw, words', [
    ({'observe_min': 'soon'}, 'observe_min: '),
    ({'source': 'auditd'}, 'log_path: only used with source=file'),
    ({'ignore': [{}]}, 'ignore[0]: an empty pattern would ignore every event'),
])
def test_bad_input_is_one_sentence_naming_the_option(host, kw, words):
    with pytest.raises(m.GateError) as err:
        m.run(fake(params(host, **kw)), now=T0)
    assert str(err.value).startswith(words)


# ---------------------------------------------------------------------------
# issue 11 items 4 and 21
# ---------------------------------------------------------------------------

HOSTILE = ('type=AVC msg=audit(1795468676.000:400): apparmor="ALLOWED" operation="open" profile="web" '
           'name="%s" pid=1728 comm="python3" requested_mask="w" denied_mask="w" fsuid=0 ouid=0')


def test_a_hostile_name_promotes_only_with_its_literal_rule(host):
    # issue 11 item 4: the workload opened a file literally named /srv/[ab]; merged, the suggestion
    # explains that file and not /srv/a, which the workload opens next
    log, _record = host
    log.write_text(HOSTILE % '/srv/[ab]' + '\n')
    write_record(host)
    first = m.run(fake(params(host)), now=T0 + 7200)
    assert first['suggestions']['apparmor']['web'] == {'files': [{'path': '/srv/\\[ab\\]', 'perms': 'w'}]}
    spec = dict(params(host)['apparmor_profiles'][0], **first['suggestions']['apparmor']['web'])
    assert m.run(fake(params(host, apparmor_profiles=[spec])), now=T0 + 7200)['promoted']
    log.write_text(HOSTILE % '/srv/[ab]' + '\n' + HOSTILE.replace(':400', ':401') % '/srv/a' + '\n')
    held = m.run(fake(params(host, apparmor_profiles=[spec])), now=T0 + 7200)
    assert not held['promoted'] and [e['name'] for e in held['events']] == ['/srv/a']
    # the name itself as a rule is a glob that does not match the file: enforce would block it
    unescaped = dict(params(host)['apparmor_profiles'][0], files=[{'path': '/srv/[ab]', 'perms': 'w'}])
    result = m.run(fake(params(host, apparmor_profiles=[unescaped])), now=T0 + 7200)
    assert [e['name'] for e in result['events']] == ['/srv/[ab]']


def test_a_record_that_is_a_fifo_is_one_sentence(host, tmp_path):
    # issue 11 item 21 (and 17: read_bytes never blocks)
    fifo = tmp_path / 'record.fifo'
    os.mkfifo(str(fifo))
    with pytest.raises(m.GateError) as err:
        m.run(fake(params(host, record=str(fifo))), now=T0)
    assert str(err.value) == 'record: %s is a FIFO, not a regular file; give the governance record file' % fifo


@pytest.mark.parametrize('record', [
    {'stage': ['observe'], 'stage_since': '2026-11-23T21:06:40+00:00'},
    {'stage': 'observe', 'stage_since': ['x']}, {'stage': 'observe', 'stage_since': 5},
    {'stage': 'observe', 'stage_since': '9' * 400}, {'stage': 'observe', 'stage_since': '99999999999999999999'},
    {'stage': 'observe', 'stage_since': '2026-11-23T21:06:40+00:00', 'audit_lost_at_stage_start': {'lost': 'many'}},
    {'stage': 'observe', 'stage_since': '2026-11-23T21:06:40+00:00', 'audit_lost_at_stage_start': {'lost': True}},
    {'stage': 'observe', 'stage_since': '2026-11-23T21:06:40+00:00', 'audit_lost_at_stage_start': [1]},
])
def test_hostile_record_values_are_no_traceback(host, record):
    # issue 11 item 21: the record is untrusted input
    host[1].write_text(json.dumps(record))
    result = m.run(fake(params(host), lost=3), now=T0 + 7200)
    assert result['stage'] == 'observe' and not result['promoted']


@pytest.mark.parametrize('kw, words', [
    ({'observe_min': '9' * 400}, "observe_min: '" + '9' * 57),
    ({'observe_min': '99999999999999d'}, "observe_min: '99999999999999d' is too long to be a duration"),
    ({'max_events': -1}, 'max_events: -1 is negative; give 0 or more'),
])
def test_huge_or_negative_numbers_are_one_sentence(host, kw, words):
    # issue 11 item 21: human_duration(inf) raised OverflowError
    with pytest.raises(m.GateError) as err:
        m.run(fake(params(host, **kw)), now=T0)
    assert str(err.value).startswith(words)


def test_a_log_path_that_is_a_fifo_is_refused_at_once(host, tmp_path):
    # issue 11 item 17: the gate reads the log as profile_events does
    fifo = tmp_path / 'log.fifo'
    os.mkfifo(str(fifo))
    write_record(host)
    with pytest.raises(m.GateError) as err:
        m.run(fake(params(host, log_path=str(fifo))), now=T0 + 7200)
    assert str(err.value) == ('source: log_path: %s cannot be read (it is a FIFO, not a regular file); without the '
                              'audit records the gate cannot promote' % fifo)


def test_main_runs_through_the_argument_spec(tmp_path):
    """main() as Ansible calls it: a host without a record starts observing; bad input is the
    module's sentence, prefixed with 'promotion gate: '."""
    record = str(tmp_path / 'record.fact')
    result = run_main(m, {'stage': 'observe', 'record': record})
    assert 'failed' not in result and (result['stage'], result['promoted']) == ('observe', False)
    assert result['reason'] == 'stage observe, as configured (host_hardening_stage)'
    failed = run_main(m, {'stage': 'auto', 'record': record, 'ignore': [{}]})
    assert failed['failed'] is True
    assert failed['msg'] == 'promotion gate: ignore[0]: an empty pattern would ignore every event'
    refused = run_main(m, {'stage': 'sometime'})
    assert refused['failed'] is True and 'observe, enforce, auto' in refused['msg']
