# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bookmarks: each reading of auditd's log reads only what was written since the last one, and
counts as if it had read everything since the stage began; rotation, truncation, a log rotated
away, a record still being written, and a bookmark that is hostile (generated) or of another
stage. Counts, not times: ``bookmark.bytes_read`` and ``records_read`` say what was read."""

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.confine.hardening.plugins.module_utils import _audit_sources as s

from test_audit_sources import AUDITD, fake_auditctl, fake_systemctl, host  # noqa: F401  pylint: disable=unused-import

SINCE = 1795479000.0


def record(i):
    """A distinct AppArmor record (its file name), at a time after SINCE."""
    stamp = '17954793%02d.%03d' % (10 + i // 1000 % 80, i % 1000)
    return AUDITD['new'].replace('secret-1', 'secret-%d' % (i % 7)).replace('1795479304.252', stamp)


def append(path, first, n):
    with open(str(path), 'a') as fh:
        fh.write(''.join(record(i) + '\n' for i in range(first, first + n)))


def run(host_dir, **kw):
    return s.collect('auditd', since=SINCE, resolve=lambda arch, nr: None,
                     bookmark=str(host_dir / 'state' / 'bookmark.json'), **kw)


def total(got):
    return sum(e['count'] for e in got['events'])


def prepare(host_dir, n=300):
    fake_systemctl(host_dir, 'active')
    fake_auditctl(host_dir, 0)
    (host_dir / 'state').mkdir(exist_ok=True)
    append(host_dir / 'audit' / 'audit.log', 0, n)


def test_the_second_run_reads_only_what_was_appended_and_counts_everything(host):
    prepare(host, 3000)
    first = run(host)
    assert first['bookmark'] == {'path': str(host / 'state' / 'bookmark.json'), 'resumed': False,
                                 'bytes_read': os.path.getsize(str(host / 'audit' / 'audit.log')), 'records_read': 3000}
    assert total(first) == 3000
    size = os.path.getsize(str(host / 'audit' / 'audit.log'))
    append(host / 'audit' / 'audit.log', 3000, 1000)
    second = run(host)
    assert second['bookmark']['resumed'] and second['bookmark']['records_read'] == 1000
    assert second['bookmark']['bytes_read'] == os.path.getsize(str(host / 'audit' / 'audit.log')) - size
    assert total(second) == 4000 and second['lines'] == 4000 and second['warnings'] == []
    assert sorted((e['name'], e['count']) for e in second['events']) == sorted(
        (e['name'], e['count']) for e in s.collect('auditd', since=SINCE, resolve=lambda a, n: None)['events'])
    # nothing new: nothing read, the same counts
    third = run(host)
    assert third['bookmark']['bytes_read'] == 0 and total(third) == 4000


def test_check_mode_reads_the_bookmark_and_leaves_it(host):
    prepare(host)
    run(host)
    before = (host / 'state' / 'bookmark.json').read_bytes()
    append(host / 'audit' / 'audit.log', 300, 10)
    assert total(run(host, save_bookmark=False)) == 310
    assert (host / 'state' / 'bookmark.json').read_bytes() == before


def test_a_rotation_resumes_in_the_rotated_file_then_reads_the_new_one(host):
    prepare(host)
    run(host)
    append(host / 'audit' / 'audit.log', 300, 50)        # after the last run, before the rotation
    os.rename(str(host / 'audit' / 'audit.log'), str(host / 'audit' / 'audit.log.1'))
    append(host / 'audit' / 'audit.log', 350, 20)
    got = run(host)
    assert got['bookmark']['records_read'] == 70 and total(got) == 370 and got['warnings'] == []


def test_a_truncated_log_is_reported_and_read_from_its_start(host):
    prepare(host)
    run(host)
    (host / 'audit' / 'audit.log').write_text('')
    append(host / 'audit' / 'audit.log', 300, 5)
    got = run(host)
    assert total(got) == 305
    assert [w for w in got['warnings'] if 'truncated' in w], got['warnings']


def test_a_log_rotated_away_is_reported_and_the_files_here_are_read(host):
    prepare(host)
    run(host)
    os.unlink(str(host / 'audit' / 'audit.log'))
    append(host / 'audit' / 'audit.log', 300, 5)
    got = run(host)
    assert total(got) == 305
    assert [w for w in got['warnings'] if 'rotated away' in w], got['warnings']


def test_a_record_still_being_written_is_read_once_when_whole(host):
    prepare(host, 10)
    with open(str(host / 'audit' / 'audit.log'), 'a') as fh:
        fh.write(record(10)[:60])                          # no newline yet
    got = run(host)
    assert total(got) == 10 and got['malformed'] == 0
    with open(str(host / 'audit' / 'audit.log'), 'a') as fh:
        fh.write(record(10)[60:] + '\n')
    got = run(host)
    assert total(got) == 11 and got['malformed'] == 0 and got['bookmark']['records_read'] == 1


def test_another_stage_or_other_profiles_start_over_without_a_warning(host):
    prepare(host)
    run(host)
    later = s.collect('auditd', since=SINCE + 1, resolve=lambda a, n: None,
                      bookmark=str(host / 'state' / 'bookmark.json'))
    assert not later['bookmark']['resumed'] and later['warnings'] == []
    other = s.collect('auditd', since=SINCE + 1, profiles=['web'], resolve=lambda a, n: None,
                      bookmark=str(host / 'state' / 'bookmark.json'))
    assert not other['bookmark']['resumed']


def test_a_bookmark_that_is_a_fifo_or_not_json_is_reported_and_not_used(host):
    prepare(host)
    path = host / 'state' / 'bookmark.json'
    os.mkfifo(str(path))
    got = run(host, save_bookmark=False)
    assert total(got) == 300 and 'bookmark: ' in got['warnings'][0] and 'FIFO' in got['warnings'][0]
    os.unlink(str(path))
    path.write_text('{"version": 1, "of"')
    got = run(host)
    assert total(got) == 300 and got['warnings'][0].endswith('is not JSON; read from the start of the stage')


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 2 ** 70), st.floats(allow_nan=True), st.text(max_size=8))


def _nested(inner):
    return st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3))


FIELDS = st.recursive(SCALARS, _nested, max_leaves=8)


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.sampled_from(['files', 'events', 'malformed', 'lines', 'loss', 'event', 'file']), FIELDS)
def test_a_hostile_bookmark_field_never_widens_or_breaks_the_counts(host, field, value):
    """A field of any other form: the bookmark is not used (one sentence), the counts are a full read's."""
    if not (host / 'audit' / 'audit.log').exists():
        prepare(host)
    path = host / 'state' / 'bookmark.json'
    if path.exists():
        path.unlink()
    run(host)
    state = json.loads(path.read_text())
    if field == 'event':
        state['events'][0][sorted(state['events'][0])[0]] = value
    elif field == 'file':
        state['files'][0]['offset'] = value
    else:
        state[field] = value
    path.write_text(json.dumps(state))
    got = run(host, save_bookmark=False)
    if got['bookmark']['resumed']:
        # of the form after all (another count, time or file list): the counts are the bookmark's
        # plus what the log files it does not name hold; a read never raises, and reads every
        # file it cannot place (a hostile bookmark can make the gate count more, see docs/security.md)
        assert got['bookmark']['records_read'] in (0, 300), got['bookmark']
    else:
        assert total(got) == 300, got['warnings']
        assert got['warnings'] and got['warnings'][0].startswith('bookmark: '), got['warnings']


# --- journald: the last entry's cursor -------------------------------------------------------

JOURNALCTL = r'''#!/usr/bin/python3
import json, sys
args = sys.argv[1:]
open(%(log)r, 'a').write(' '.join(args) + '\n')
cursor = [a.split('=', 1)[1] for a in args if a.startswith('--after-cursor=')]
lines = open(%(data)r).read().splitlines()
if cursor:
    found = [i for i, l in enumerate(lines) if json.loads(l)['__CURSOR'] == cursor[0]]
    if not found:
        sys.stderr.write('Failed to seek to cursor: Invalid argument\n')
        sys.exit(1)
    lines = lines[found[0] + 1:]
print('\n'.join(lines))
'''


def journal(host_dir, first, n):
    with open(str(host_dir / 'journal.json'), 'a') as fh:
        for i in range(first, first + n):
            usec = 1795479310000000 + i * 1000
            fh.write(json.dumps({'_TRANSPORT': 'kernel', '__REALTIME_TIMESTAMP': str(usec),
                                 '__CURSOR': 's=%032x;i=%x' % (7, i + 1), 'MESSAGE': 'audit: type=1400 audit(%d.%03d:%d): '
                                 % (usec // 1000000, usec % 1000000 // 1000, i) + AUDITD['new'].split('): ', 1)[1]})
                     + '\n')


def fake_journalctl(host_dir):
    path = host_dir / 'bin' / 'journalctl'
    path.write_text(JOURNALCTL % {'log': str(host_dir / 'journalctl.args'), 'data': str(host_dir / 'journal.json')})
    path.chmod(0o755)
    (host_dir / 'journal').mkdir(exist_ok=True)


def test_journald_resumes_after_the_last_cursor_and_a_lost_cursor_reads_again(host):
    prepare(host, 0)
    fake_journalctl(host)
    journal(host, 0, 40)
    args = dict(since=SINCE, resolve=lambda a, n: None, bookmark=str(host / 'state' / 'bookmark.json'))
    got = s.collect('journald', **args)
    assert total(got) == 40 and not got['bookmark']['resumed']
    journal(host, 40, 5)
    got = s.collect('journald', **args)
    assert got['bookmark']['resumed'] and got['bookmark']['records_read'] == 5 and total(got) == 45
    assert '--after-cursor=s=%032x;i=%x' % (7, 40) in (host / 'journalctl.args').read_text().splitlines()[-1]
    # the journal was vacuumed: the cursor is gone; read again from the stage's start, no double count
    (host / 'journal.json').write_text('')
    journal(host, 100, 3)
    state = json.loads((host / 'state' / 'bookmark.json').read_text())
    state['cursor'] = 's=%032x;i=%x' % (7, 999)
    (host / 'state' / 'bookmark.json').write_text(json.dumps(state))
    got = s.collect('journald', **args)
    assert total(got) == 3 and [w for w in got['warnings'] if 'did not take the cursor' in w], got['warnings']


# --- the kernel ring buffer: the last sequence number ----------------------------------------

def kmsg(host_dir, first, n, keep_from=None):
    lines = []
    for i in range(first, first + n):
        lines.append('5,%d,%d,-;audit: type=1400 audit(17954793%02d.000:%d): %s' % (
            i, 1000 + i, 10 + i % 80, i, AUDITD['new'].split('): ', 1)[1].replace('secret-1', 'k-%d' % (i % 3))))
    old = [line for line in (host_dir / 'kmsg').read_text().split('\n') if line] if (host_dir / 'kmsg').exists() else []
    kept = [line for line in old if keep_from is None or int(line.split(',')[1]) >= keep_from]
    (host_dir / 'kmsg').write_text(''.join(line + '\n' for line in kept + lines))


def test_kmsg_resumes_after_the_last_sequence_and_says_what_the_buffer_overwrote(host, monkeypatch):
    prepare(host, 0)
    (host / 'boot_id').write_text('1f0e5c3a-8b0d-4a44-9d36-0c6a0e8f1b2a\n')
    monkeypatch.setattr(s, 'BOOT_ID', str(host / 'boot_id'))
    kmsg(host, 1, 20)
    args = dict(since=SINCE, resolve=lambda a, n: None, bookmark=str(host / 'state' / 'bookmark.json'))
    assert total(s.collect('kmsg', **args)) == 20
    kmsg(host, 21, 4)
    got = s.collect('kmsg', **args)
    assert got['bookmark']['records_read'] == 4 and total(got) == 24 and got['warnings'] == []
    # the ring buffer wrapped: records 25 to 29 were overwritten before this run
    kmsg(host, 30, 2, keep_from=30)
    got = s.collect('kmsg', **args)
    assert total(got) == 26
    assert 'the kernel ring buffer no longer holds records 25 to 29 (overwritten since the last run): they are not ' \
           'counted' in got['warnings']
    # a reboot: sequence numbers start again; the new boot's records are all read
    (host / 'boot_id').write_text('2a0e5c3a-8b0d-4a44-9d36-0c6a0e8f1b2a\n')
    (host / 'kmsg').write_text('')
    kmsg(host, 1, 3)
    assert total(s.collect('kmsg', **args)) == 29
