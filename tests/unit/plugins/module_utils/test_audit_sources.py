# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit sources: detection and its errors, each reader on files made
here (auditd's rotated logs, /dev/kmsg records, journalctl and auditctl faked on PATH),
lost and rate-limited records, max_events, and reading a large log in bounded memory.

The record lines are from the lab host (Debian 12, kernel 6.1, systemd 252, auditd 3.0.9)
with auditd stopped, a complain-mode profile ``evtest`` and an SCMP_ACT_LOG filter."""

import json
import os
import re
import stat
import time
import tracemalloc

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit
from ansible_collections.confine.hardening.plugins.module_utils import _audit_readers as readers
from ansible_collections.confine.hardening.plugins.module_utils import _audit_sources as s
from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp

GS = '\x1d'


def audit_entry(ident, kind, name, usec, message):
    """A journal entry of the audit transport, as ``journalctl -o json`` prints it."""
    return {'_TRANSPORT': 'audit', '_AUDIT_ID': ident, '_AUDIT_TYPE': kind, '_AUDIT_TYPE_NAME': name,
            '_SOURCE_REALTIME_TIMESTAMP': usec, '__REALTIME_TIMESTAMP': str(int(usec) + 2511), 'MESSAGE': message}


def kernel_entry(usec, message):
    return {'_TRANSPORT': 'kernel', '__REALTIME_TIMESTAMP': usec, 'MESSAGE': message}


SECRET = ('apparmor="ALLOWED" operation="open" profile="evtest" name="/tmp/ev/secret-1" pid=%d comm="cat" '
          'requested_mask="r" denied_mask="r" fsuid=0 ouid=0')
PAM = ('pid=615 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg=\'op=PAM:accounting grantors=pam_permit '
       'acct="root" exe="/usr/sbin/sshd" hostname=10.0.2.2 addr=10.0.2.2 terminal=ssh res=success\'')
# journalctl -o json _TRANSPORT=kernel _TRANSPORT=audit on the lab, auditd stopped: the audit
# transport has every record; the kernel transport the few the printk rate limit let through
JOURNAL = [
    audit_entry('91', '1101', 'USER_ACCT', '1795479185084000', 'USER_ACCT ' + PAM),
    kernel_entry('1795479185090988', 'audit: type=1101 audit(1795479185.084:91): ' + PAM),
    audit_entry('97', '1400', 'AVC', '1795479185936000', 'AVC ' + SECRET % 627),
    audit_entry('97', '1300', 'SYSCALL', '1795479185936000',
                'SYSCALL arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7fff8a31fedd a2=0 a3=0 items=0 '
                'ppid=621 pid=627 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=5 '
                'comm="cat" exe="/usr/bin/cat" subj=evtest key=(null)'),
    audit_entry('98', '1400', 'AVC', '1795479186040000',
                'AVC apparmor="ALLOWED" operation="capable" profile="evtest" pid=629 comm="date" capability=25  '
                'capname="sys_time"'),
    audit_entry('102', '1400', 'AVC', '1795479185592000',
                'AVC apparmor="ALLOWED" operation="create" profile="evtest" pid=630 comm="python3" family="inet" '
                'sock_type="dgram" protocol=0 requested_mask="create" denied_mask="create"'),
    audit_entry('105', '1326', 'SECCOMP', '1795479185808000',
                'SECCOMP auid=0 uid=0 gid=0 ses=5 subj=unconfined pid=632 comm="python3" exe="/usr/bin/python3.11" '
                'sig=0 arch=c000003e syscall=39 compat=0 ip=0x7f9bee8b44e7 code=0x7ffc0000'),
    kernel_entry('1795479189354044', 'kauditd_printk_skb: 28 callbacks suppressed'),
    audit_entry('176', '1400', 'AVC', '1795479254532000', 'AVC ' + SECRET % 747),
    kernel_entry('1795479254538709', 'kauditd_printk_skb: 16 callbacks suppressed'),
    kernel_entry('1795479254539353', 'audit: type=1400 audit(1795479254.532:176): ' + SECRET % 747),
    kernel_entry('1795479273954349', 'audit: audit_lost=146 audit_rate_limit=0 audit_backlog_limit=2'),
    kernel_entry('1795479273954470', 'audit: backlog limit exceeded'),
]
# /dev/kmsg on the lab at the same time (as `cat /dev/kmsg` prints the records)
KMSG = [
    '6,194,1109202,-;acpi PNP0A03:00: _OSC: OS supports [ASPM ClockPM Segments MSI HPX-Type3]',
    ' SUBSYSTEM=acpi',
    ' DEVICE=+acpi:PNP0A03:00',
    '5,505,168087767,-;audit: type=1400 audit(1795479185.752:96): apparmor="STATUS" operation="profile_load" '
    'profile="unconfined" name="evtest" pid=624 comm="apparmor_parser"',
    '46,508,168374324,-;systemd-journald[192]: Time jumped backwards, rotating.',
    '4,509,172717907,-;kauditd_printk_skb: 28 callbacks suppressed',
    '4,549,237901526,-;kauditd_printk_skb: 16 callbacks suppressed',
    '5,550,237901602,-;audit: type=1400 audit(1795479254.532:176): ' + SECRET % 747,
    '4,578,257315595,-;audit: audit_lost=146 audit_rate_limit=0 audit_backlog_limit=2',
    '3,579,257315697,-;audit: backlog limit exceeded',
    '5,583,257929308,-;audit: type=1400 audit(1795479274.556:194): ' + SECRET % 782,
    '4,584,268054656,-;kauditd_printk_skb: 95 callbacks suppressed',
]
# auditd's log on the lab (enriched format)
AUDITD = {
    'start': ('type=DAEMON_START msg=audit(1795479298.379:3877): op=start ver=3.0.9 format=enriched '
              'kernel=6.1.0-50-amd64 auid=4294967295 pid=848 uid=0 ses=4294967295 subj=unconfined  res=success'
              + GS + 'AUID="unset" UID="root"'),
    'rotate': ('type=DAEMON_ROTATE msg=audit(1795479303.158:3878): op=rotate-logs auid=0 uid=4294967295 '
               'ses=4294967295 pid=902 subj=unconfined res=success' + GS + 'AUID="root" UID="unset"'),
    'old': ('type=AVC msg=audit(1795479002.052:68): apparmor="ALLOWED" operation="open" profile="evtest" '
            'name="/tmp/ev/old" pid=887 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0'
            + GS + 'FSUID="root" OUID="root"'),
    'mid': ('type=AVC msg=audit(1795479302.052:268): apparmor="ALLOWED" operation="open" profile="evtest" '
            'name="/tmp/ev/secret-1" pid=887 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0'
            + GS + 'FSUID="root" OUID="root"'),
    'new': ('type=AVC msg=audit(1795479304.252:275): apparmor="ALLOWED" operation="open" profile="evtest" '
            'name="/tmp/ev/secret-1" pid=905 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0'
            + GS + 'FSUID="root" OUID="root"'),
    'seccomp': ('type=SECCOMP msg=audit(1795479304.520:276): auid=0 uid=0 gid=0 ses=14 subj=unconfined pid=906 '
                'comm="python3" exe="/usr/bin/python3.11" sig=0 arch=c000003e syscall=39 compat=0 '
                'ip=0x7fe5f1beb4e7 code=0x7ffc0000' + GS + 'AUID="root" UID="root" GID="root" ARCH=x86_64 '
                'SYSCALL=getpid'),
}
AUDITCTL_S = ('enabled 1\nfailure 1\npid 848\nrate_limit 0\nbacklog_limit 8192\nlost %d\nbacklog 0\n'
              'backlog_wait_time 60000\nbacklog_wait_time_actual 0\nloginuid_immutable 0 unlocked\n')


def resolve(arch, nr):
    return libseccomp.load('ctypes').syscall_name(arch, nr)


def write(path, lines):
    path.write_text(''.join(line + '\n' for line in lines))
    return path


def script(path, text):
    path.write_text('#!/bin/sh\n' + text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def host(tmp_path, monkeypatch):
    """An empty host: no tools on PATH, no auditd log, no journal, no kmsg, no processes."""
    (tmp_path / 'bin').mkdir()
    (tmp_path / 'proc').mkdir()
    (tmp_path / 'audit').mkdir()
    monkeypatch.setenv('PATH', str(tmp_path / 'bin'))
    monkeypatch.setattr(s, 'TOOL_DIRS', ())
    monkeypatch.setattr(s, 'AUDIT_LOG', str(tmp_path / 'audit' / 'audit.log'))
    monkeypatch.setattr(s, 'JOURNAL_RUN', str(tmp_path / 'journal'))
    monkeypatch.setattr(s, 'KMSG', str(tmp_path / 'kmsg'))
    monkeypatch.setattr(s, 'PROC', str(tmp_path / 'proc'))
    return tmp_path


def fake_journald(host, entries, rc=0, stderr='', after=''):
    (host / 'journal').mkdir(exist_ok=True)
    data = host / 'journal.json'
    write(data, [json.dumps(e) for e in entries])
    script(host / 'bin' / 'journalctl', 'echo "$@" > %s\n/bin/cat %s\n%s%s\nexit %d\n' % (
        host / 'journalctl.args', data, ('echo "%s" >&2\n' % stderr) if stderr else '', after, rc))


def fake_auditctl(host, lost):
    script(host / 'bin' / 'auditctl', '[ "$1" = -s ] || exit 2\nprintf "%s"\n' % (AUDITCTL_S % lost))


def fake_systemctl(host, state):
    script(host / 'bin' / 'systemctl', 'echo %s\n[ %s = active ]\n' % (state, state))


# ---------------------------------------------------------------------------
# detect()
# ---------------------------------------------------------------------------

def test_detect_errors_name_the_option(host):
    cases = [
        (('file',), 'source: file needs log_path, the log file to read'),
        (('file', str(host / 'nope.log')), 'log_path: %s cannot be read (No such file or directory)'
         % (host / 'nope.log')),
        (('file', str(host)), 'log_path: %s cannot be read' % host),
        (('auditd', str(host / 'x.log')), 'log_path: it is read only with source: file, not with source: auditd'),
        (('auto', str(host / 'x.log')), 'log_path: it is read only with source: file, not with source: auto'),
        (('auditd',), 'source: auditd was asked for but %s is not readable (No such file or directory)'
         % s.AUDIT_LOG),
        (('journald',), 'source: journald was asked for but journalctl is not installed'),
        (('kmsg',), 'source: kmsg was asked for but %s cannot be opened (No such file or directory)' % s.KMSG),
        (('syslog',), "source: 'syslog' is not one of auto, auditd, journald, kmsg, file"),
    ]
    for args, message in cases:
        with pytest.raises(s.SourceError) as err:
            s.detect(*args)
        assert str(err.value).startswith(message), (args, str(err.value))
    script(host / 'bin' / 'journalctl', 'exit 0\n')
    with pytest.raises(s.SourceError, match=r'^source: journald was asked for but systemd-journald is not running '
                                            r'\(.*/journal is missing\)$'):
        s.detect('journald')
    with pytest.raises(s.SourceError) as err:
        s.detect('auto')
    assert str(err.value) == (
        'source: auto found no audit records to read (auditd: %s is not readable (No such file or directory); '
        'journald: systemd-journald is not running (%s is missing); kmsg: %s cannot be opened (No such file or '
        'directory))' % (s.AUDIT_LOG, s.JOURNAL_RUN, s.KMSG))


def test_detect_auto_order(host):
    calls = []

    def run_command(args):
        calls.append(args)
        return (0, 'active\n', '') if state[0] == 'active' else (3, state[0] + '\n', '')

    state = ['active']
    write(host / 'audit' / 'audit.log', [AUDITD['new']])
    fake_journald(host, [])
    write(host / 'kmsg', KMSG)
    fake_systemctl(host, 'active')       # present on PATH; its answer comes from run_command
    assert s.detect('auto', run_command=run_command) == ('auditd', s.AUDIT_LOG)
    assert calls == [['systemctl', 'is-active', 'auditd']]
    state[0] = 'inactive'
    assert s.detect('auto', run_command=run_command) == ('journald', s.JOURNAL_WHERE)
    # asked for by name, a readable log is enough
    assert s.detect('auditd', run_command=run_command) == ('auditd', s.AUDIT_LOG)
    os.remove(str(host / 'bin' / 'journalctl'))
    assert s.detect('auto', run_command=run_command) == ('kmsg', s.KMSG)
    assert s.detect('file', str(host / 'kmsg')) == ('file', str(host / 'kmsg'))


def test_detect_without_systemd_looks_for_the_daemon(host):
    write(host / 'audit' / 'audit.log', [AUDITD['new']])
    write(host / 'kmsg', KMSG)
    (host / 'proc' / '1').mkdir()
    (host / 'proc' / '1' / 'comm').write_text('init\n')
    assert s.detect('auto', run_command=lambda args: pytest.fail('no systemctl to run')) == ('kmsg', s.KMSG)
    (host / 'proc' / '231').mkdir()
    (host / 'proc' / '231' / 'comm').write_text('auditd\n')
    assert s.detect('auto') == ('auditd', s.AUDIT_LOG)
    # systemctl there but systemd not running (a container): its answer is not a unit state
    script(host / 'bin' / 'systemctl', 'echo "System has not been booted with systemd" >&2\nexit 1\n')
    assert s.detect('auto') == ('auditd', s.AUDIT_LOG)
    fake_systemctl(host, 'failed')
    assert s.detect('auto') == ('kmsg', s.KMSG)


# ---------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------

def test_kmsg_records_are_read_until_the_buffer_is_empty(host):
    path = write(host / 'kmsg', KMSG)
    messages = list(readers.read_kmsg(str(path)))
    assert len(messages) == len(KMSG) - 2            # the two continuation lines are not messages
    assert messages[0] == 'acpi PNP0A03:00: _OSC: OS supports [ASPM ClockPM Segments MSI HPX-Type3]'
    assert messages[-1] == 'kauditd_printk_skb: 95 callbacks suppressed'
    fake_auditctl(host, 146)
    got = s.collect('kmsg', resolve=resolve)
    assert (got['source'], got['where']) == ('kmsg', str(path))
    assert [(e['name'], e['count'], e['first'], e['last']) for e in got['events']] == [
        ('/tmp/ev/secret-1', 2, 1795479254.532, 1795479274.556)]
    assert got['counts'] == {'apparmor': 2, 'seccomp': 0, 'by_profile': {'evtest': 2}}
    # nothing but the kernel log: the records the printk rate limit dropped are lost too
    assert got['rate_limited'] is True and got['lost'] == 146 + 28 + 16 + 95
    (warning,) = got['warnings']
    assert warning.startswith('the kernel reported 285 audit records lost or not logged (auditctl -s: lost 146 '
                              'since boot, the kernel logged audit_lost=146 and "backlog limit exceeded", 139 '
                              'kernel log lines dropped by the printk rate limit), so learning and gate results '
                              'may be incomplete; auditd, or journald with its audit socket, keeps the records')


def test_kmsg_reads_the_real_device_without_blocking():
    if not os.access('/dev/kmsg', os.R_OK):
        pytest.skip('/dev/kmsg is not readable here')
    started = time.time()
    try:
        messages = list(readers.read_kmsg('/dev/kmsg'))
    except OSError as exc:
        pytest.skip('/dev/kmsg cannot be read here: %s' % exc)
    assert time.time() - started < 10 and messages
    # messages only: no record prefix, no continuation (dictionary) lines
    assert not [m for m in messages if readers.KMSG_PREFIX_RE.match(m) or re.match(r'^ (SUBSYSTEM|DEVICE)=', m)]


def test_journald_reads_both_transports_and_counts_a_record_once(host):
    fake_journald(host, JOURNAL)
    fake_auditctl(host, 0)
    got = s.collect('journald', since=1795479000.5, resolve=resolve)
    assert (host / 'journalctl.args').read_text().split() == readers.JOURNAL_ARGS + ['--since', '@1795479000']
    assert got['source'] == 'journald'
    assert got['where'] == 'journalctl -o json _TRANSPORT=kernel _TRANSPORT=audit --since @1795479000'
    summary = [(e['kind'], e.get('operation') or e['action'], e.get('name') or e.get('capname') or e.get('family')
                or e['syscall'], e['count']) for e in got['events']]
    assert summary == [('apparmor', 'open', '/tmp/ev/secret-1', 2), ('apparmor', 'capable', 'sys_time', 1),
                       ('apparmor', 'create', 'inet', 1), ('seccomp', 'SCMP_ACT_LOG', 'getpid', 1)]
    secret = got['events'][0]
    assert (secret['first'], secret['last']) == (1795479185.936, 1795479254.532)
    assert got['lines'] == len(JOURNAL) - 1           # the kernel copy of record 176 is dropped
    assert got['counts'] == {'apparmor': 4, 'seccomp': 1, 'by_profile': {'evtest': 4}}
    # the audit transport has what the printk rate limit dropped: only the kernel's own loss counts
    assert got['rate_limited'] is True and got['lost'] == 146
    assert len(got['warnings']) == 1 and 'printk' not in got['warnings'][0]
    assert 'the kernel logged audit_lost=146 and "backlog limit exceeded"' in got['warnings'][0]


def test_journald_audit_socket_without_apparmor_records(host):
    # the audit transport has records (PAM here), none of AppArmor or seccomp: what the printk
    # rate limit suppressed still reached journald, so nothing was lost
    fake_journald(host, JOURNAL[:2] + [JOURNAL[7], JOURNAL[9]])
    got = s.collect('journald')
    assert got['events'] == [] and got['lines'] == 4
    assert got['lost'] is None and got['rate_limited'] is False and got['warnings'] == []


def test_journald_kernel_transport_only(host):
    # journald's audit socket masked: only what the kernel printed
    fake_journald(host, [e for e in JOURNAL if e['_TRANSPORT'] == 'kernel' and 'audit_lost' not in e['MESSAGE']
                         and 'exceeded' not in e['MESSAGE']])
    fake_auditctl(host, 7)
    got = s.collect('journald')
    assert (host / 'journalctl.args').read_text().split() == readers.JOURNAL_ARGS
    assert [(e['name'], e['count']) for e in got['events']] == [('/tmp/ev/secret-1', 1)]
    assert got['lost'] == 7 + 28 + 16 and got['rate_limited'] is True
    assert 'auditctl -s: lost 7 since boot, 44 kernel log lines dropped by the printk rate limit' in got['warnings'][0]


def test_journald_failures(host):
    fake_journald(host, [], rc=1, stderr='Failed to parse timestamp: @bad')
    with pytest.raises(s.SourceError, match=r'^source: journald: journalctl failed \(exit 1\): '
                                            r'Failed to parse timestamp: @bad$'):
        s.collect('journald')
    fake_journald(host, JOURNAL[:3], stderr='Hint: You are currently not seeing messages from other users')
    got = s.collect('journald')
    assert got['warnings'] == ['journalctl said: Hint: You are currently not seeing messages from other users']
    assert got['lost'] is None and got['rate_limited'] is False      # no auditctl, no kernel lines about loss
    # journalctl still running when its output ends is waited for, not killed
    fake_journald(host, JOURNAL[:3], after='/bin/sleep 0.5')
    got = s.collect('journald')
    assert got['warnings'] == [] and got['lines'] == 3


def test_auditd_reads_rotated_logs_oldest_first_and_skips_old_files(host):
    audit_dir = host / 'audit'
    write(audit_dir / 'audit.log.10', [AUDITD['old']])
    write(audit_dir / 'audit.log.2', [AUDITD['start'], AUDITD['old']])
    write(audit_dir / 'audit.log.1', [AUDITD['mid'], AUDITD['rotate']])
    write(audit_dir / 'audit.log', [AUDITD['start'], AUDITD['new'], AUDITD['seccomp']])
    write(audit_dir / 'audit.log.gz', ['not a rotated auditd log'])
    for name, mtime in (('audit.log.10', 1795470000), ('audit.log.2', 1795479000), ('audit.log.1', 1795479303)):
        os.utime(str(audit_dir / name), (mtime, mtime))
    info = {}
    assert len(list(readers.read_auditd(s.AUDIT_LOG, 0.0, info))) == 8
    assert [os.path.basename(p) for p in info['files']] == ['audit.log.10', 'audit.log.2', 'audit.log.1',
                                                            'audit.log']
    info = {}
    expected = [AUDITD[k] for k in ('mid', 'rotate', 'start', 'new', 'seccomp')]
    assert list(readers.read_auditd(s.AUDIT_LOG, 1795479100.0, info)) == expected
    assert [os.path.basename(p) for p in info['files']] == ['audit.log.1', 'audit.log']

    fake_systemctl(host, 'active')
    fake_auditctl(host, 7)
    got = s.collect('auto', since=1795479100.0, resolve=resolve)
    assert (got['source'], got['where']) == ('auditd', s.AUDIT_LOG)
    assert [(e['kind'], e.get('name') or e['syscall'], e['count']) for e in got['events']] == [
        ('apparmor', '/tmp/ev/secret-1', 2), ('seccomp', 'getpid', 1)]
    assert got['lines'] == 5 and got['malformed'] == 0
    # routine auditd records (DAEMON_START, DAEMON_ROTATE) are no sign of loss; auditctl's counter is
    assert got['lost'] == 7 and got['rate_limited'] is True
    assert got['warnings'] == ['the kernel reported 7 audit records lost or not logged (auditctl -s: lost 7 since '
                               'boot), so learning and gate results may be incomplete; see docs/events.md on rate '
                               'limiting']
    fake_auditctl(host, 0)
    got = s.collect('auditd', since=1795479100.0, resolve=resolve)
    assert got['lost'] == 0 and got['rate_limited'] is False and got['warnings'] == []


def test_auditd_asked_for_while_stopped_warns(host):
    write(host / 'audit' / 'audit.log', [AUDITD['new']])
    fake_systemctl(host, 'inactive')
    got = s.collect('auditd')
    assert got['warnings'] == ['auditd is not running, so records since it stopped are in journald or /dev/kmsg, '
                               'not in %s' % s.AUDIT_LOG]
    assert got['lost'] is None and len(got['events']) == 1


def test_auditctl_failure_is_a_warning(host):
    write(host / 'audit' / 'audit.log', [AUDITD['new']])
    script(host / 'bin' / 'auditctl', 'echo "You must be root to run this program." >&2\nexit 4\n')
    got = s.collect('auditd')
    assert 'auditctl -s failed (You must be root to run this program.), so records the kernel lost are not ' \
           'counted' in got['warnings']
    assert got['lost'] is None


def test_file_source_reads_every_format(host):
    auditd = write(host / 'audit.log', [AUDITD['new'], AUDITD['seccomp']])
    dmesg = write(host / 'dmesg.txt', ['[  812.337441] audit: type=1400 audit(1795479254.532:176): ' + SECRET % 747,
                                       '[  813.000001] audit: type=1400 audit(1795479274.556:194): ' + SECRET % 782])
    kmsg = write(host / 'kmsg.txt', KMSG)
    cat = write(host / 'journal.txt', ['audit: type=1400 audit(1795479254.532:176): ' + SECRET % 747])
    js = write(host / 'journal.json', [json.dumps(e) for e in JOURNAL])
    fake_auditctl(host, 99)           # a file may come from another host: the local counter is not asked
    seen = {}
    for path in (auditd, dmesg, kmsg, cat, js):
        got = s.collect('file', log_path=str(path), resolve=resolve)
        assert got['source'] == 'file' and got['where'] == str(path)
        seen[path.name] = dict((e.get('name') or e.get('capname') or e.get('family') or e['syscall'], e['count'])
                               for e in got['events'])
    assert seen == {
        'audit.log': {'/tmp/ev/secret-1': 1, 'getpid': 1},
        'dmesg.txt': {'/tmp/ev/secret-1': 2},
        'kmsg.txt': {'/tmp/ev/secret-1': 2},
        'journal.txt': {'/tmp/ev/secret-1': 1},
        'journal.json': {'/tmp/ev/secret-1': 2, 'sys_time': 1, 'inet': 1, 'getpid': 1},
    }
    assert s.collect('file', log_path=str(kmsg))['lost'] == 146 + 28 + 16 + 95


@pytest.mark.parametrize('line,lost,suppressed,limits', [
    ('audit: rate limit exceeded', None, 0, ['rate limit exceeded']),
    ('[ 99.1] audit: backlog limit exceeded', None, 0, ['backlog limit exceeded']),
    ('kernel: audit: audit_backlog=65537 > audit_backlog_limit=65536', None, 0, ['backlog limit exceeded']),
    ('audit: audit_lost=5 audit_rate_limit=0 audit_backlog_limit=64', 5, 0, []),
    ('kauditd_printk_skb: 12 callbacks suppressed', None, 12, []),
    ('printk: 3 messages suppressed.', None, 3, []),
    ('audit_log_lost: 4 callbacks suppressed', None, 4, []),
    ('net_ratelimit: 40 callbacks suppressed', None, 0, []),
    ('audit: kauditd hold queue overflow', None, 0, ['kauditd queue overflow']),
    # a record that merely names such a thing is no evidence
    ('type=AVC msg=audit(1.0:1): apparmor="DENIED" operation="open" profile="x" name="/audit: rate limit exceeded" '
     'comm="x" requested_mask="r" denied_mask="r"', None, 0, []),
])
def test_loss_evidence(line, lost, suppressed, limits):
    watch = s.LossWatch()
    assert list(watch.scan([line])) == [line]
    assert (watch.audit_lost, watch.suppressed, sorted(watch.limits)) == (lost, suppressed, limits)


def test_loss_evidence_takes_the_highest_counter_and_sums_suppressed(host):
    lines = ['audit: audit_lost=5 audit_rate_limit=0 audit_backlog_limit=64',
             'audit: audit_lost=12 audit_rate_limit=0 audit_backlog_limit=64',
             'audit: audit_lost=9 audit_rate_limit=0 audit_backlog_limit=64',
             'kauditd_printk_skb: 3 callbacks suppressed', 'kauditd_printk_skb: 4 callbacks suppressed',
             'audit: rate limit exceeded']
    got = s.collect('file', log_path=str(write(host / 'k.log', lines)))
    assert got['lost'] == 12 + 7 and got['rate_limited'] is True
    assert 'the kernel logged audit_lost=12 and "rate limit exceeded"' in got['warnings'][0]


def test_auditd_errors_are_evidence_when_in_the_window(host):
    err = ('type=DAEMON_ERR msg=audit(1795479400.000:9): op=write-log-failed auid=0 pid=848 res=failed'
           + GS + 'AUID="root"')
    path = write(host / 'audit.log', [AUDITD['start'], AUDITD['rotate'], err, AUDITD['new']])
    got = s.collect('file', log_path=str(path))
    assert got['rate_limited'] is True and got['lost'] is None
    assert got['warnings'] == ['the kernel reported that audit records were lost (auditd reported DAEMON_ERR: '
                               'op=write-log-failed auid=0 pid=848 res=failed), so learning and gate results may '
                               'be incomplete; see docs/events.md on rate limiting']
    assert s.collect('file', since=1795479500, log_path=str(path))['rate_limited'] is False


def test_profiles_max_events_and_malformed_lines(host):
    lines = [AUDITD['new']] * 3 + [AUDITD['old'], AUDITD['seccomp'],
                                   AUDITD['new'].replace('profile="evtest"', 'profile="web//child"'),
                                   'type=SECCOMP msg=audit(1795479300.120:301): auid=0 uid=0 arch=c000003e syscall=']
    path = write(host / 'audit.log', lines)
    got = s.collect('file', log_path=str(path), max_events=2, resolve=resolve)
    assert got['truncated'] == 2 and len(got['events']) == 2
    assert [e['count'] for e in got['events']] == [3, 1]
    # counts cover the events max_events left out
    assert got['counts'] == {'apparmor': 5, 'seccomp': 1, 'by_profile': {'evtest': 4, 'web//child': 1}}
    assert got['malformed'] == 1
    assert got['warnings'] == [
        '2 of 4 events are left out (max_events=2); the counts cover all of them',
        '1 lines were malformed (AppArmor or seccomp records cut short or broken, or lines longer than 65536 bytes) '
        'and were skipped']
    # seccomp records carry no profile: a profile filter keeps them
    got = s.collect('file', log_path=str(path), profiles=['web'], resolve=resolve)
    assert sorted((e['kind'], e.get('profile')) for e in got['events']) == [('apparmor', 'web//child'),
                                                                            ('seccomp', None)]
    assert got['truncated'] == 0


def test_default_resolver_is_libseccomp_and_its_absence_is_a_warning(host, monkeypatch):
    path = write(host / 'audit.log', [AUDITD['seccomp']])
    got = s.collect('file', log_path=str(path))
    assert [e['syscall'] for e in got['events']] == ['getpid'] and got['warnings'] == []

    def missing(prefer=None):
        raise libseccomp.LibseccompError('libseccomp is not available on this host (install libseccomp2)')
    monkeypatch.setattr(libseccomp, 'load', missing)
    got = s.collect('file', log_path=str(path))
    assert [(e['nr'], e['syscall']) for e in got['events']] == [(39, None)]
    assert got['warnings'] == ['libseccomp is not available on this host (install libseccomp2); seccomp events '
                               'keep their syscall numbers, without names, and no seccomp suggestion is made']
    # no seccomp events, no library needed, no warning
    assert s.collect('file', log_path=str(write(host / 'aa.log', [AUDITD['new']])))['warnings'] == []


def test_a_large_log_is_streamed_in_bounded_memory(host):
    path = host / 'big.log'
    with open(str(path), 'w') as fh:
        for i in range(200000):
            if i % 4 == 0:
                fh.write(AUDITD['new'].replace('pid=905', 'pid=%d' % i) + '\n')
            else:
                fh.write('type=SYSCALL msg=audit(1795479304.252:%d): arch=c000003e syscall=257 success=yes exit=3 '
                         'a0=ffffff9c items=1 ppid=702 pid=%d auid=0 uid=0 comm="cat" exe="/usr/bin/cat" '
                         'subj=evtest key=(null)\n' % (i, i))
    size = path.stat().st_size
    assert size > 30 * 1024 * 1024
    tracemalloc.start()
    try:
        got = s.collect('file', log_path=str(path))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the lines parsed: the 150,000 SYSCALL lines hold no record and are passed over unparsed
    assert got['lines'] == 50000 and got['bytes'] == size
    assert got['counts']['apparmor'] == 50000 and len(got['events']) == 1
    # streamed: the reader holds two chunks, the parser its events and a parse cache of at most
    # 4096 record bodies (here every body differs: its pid)
    assert peak < size / 8, (peak, size)


# ---------------------------------------------------------------------------
# issue 11 items 17 and 21: regular files only, bounded lines, no traceback for any input
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('kind', ['fifo', '/dev/zero', '/dev/urandom', 'directory'])
def test_log_path_that_is_not_a_regular_file_is_refused_at_once(host, kind):
    # issue 11 item 17: a FIFO blocked the open for ever, /dev/zero and /dev/urandom never ended
    import threading
    if kind == 'fifo':
        path = str(host / 'log.fifo')
        os.mkfifo(path)
        # before the fix the open waited for a writer: this one lets the test fail instead of hang
        guard = threading.Timer(10, lambda: os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK)))
        guard.daemon = True
        guard.start()
        what = 'FIFO'
    elif kind == 'directory':
        path, what = str(host / 'audit'), 'directory'
    else:
        path, what = kind, 'character device'
    with pytest.raises(s.SourceError) as err:
        s.collect('file', log_path=path)
    assert str(err.value) == 'log_path: %s cannot be read (it is a %s, not a regular file)' % (path, what)
    if kind == 'fifo':
        guard.cancel()


def test_a_rotated_auditd_log_that_is_a_fifo_is_skipped_with_a_warning(host):
    # issue 11 item 17: the same for auditd's rotated files
    write(host / 'audit' / 'audit.log', [AUDITD['new']])
    os.mkfifo(str(host / 'audit' / 'audit.log.1'))
    got = s.collect('auditd', resolve=lambda arch, nr: None)
    assert got['counts']['apparmor'] == 1
    assert '%s (a FIFO, not a regular file) was skipped: it cannot be read' % (host / 'audit' / 'audit.log.1') \
        in got['warnings']


class CountingFile(object):
    """A binary file that records how much each read asked for."""

    def __init__(self, data):
        import io
        self.fh = io.BytesIO(data)
        self.asked = []

    def readline(self, size=-1):
        self.asked.append(size)
        return self.fh.readline(size)


def test_a_line_longer_than_max_line_is_counted_malformed_without_being_held(host):
    # issue 11 item 17: 10 MB on one line, then a record: read in pieces of at most MAX_LINE + 1 bytes
    data = b'x' * (10 * 1024 * 1024) + b'\n' + AUDITD['new'].encode() + b'\n'
    fh = CountingFile(data)
    lines = list(readers._binary_lines(fh))
    assert lines == [audit.OVERLONG, AUDITD['new']]
    assert max(fh.asked) <= readers.MAX_LINE + 1
    path = host / 'long.log'
    path.write_bytes(data + b'y' * (readers.MAX_LINE + 5))       # and a long last line without a newline
    got = s.collect('file', log_path=str(path), resolve=lambda arch, nr: None)
    # neither long line holds anything a record must (apparmor=, type=SECCOMP, ...): they are
    # no records, passed over unparsed and uncounted; one that does is malformed
    assert (got['lines'], got['malformed'], got['counts']['apparmor']) == (1, 0, 1)
    path.write_bytes(data.replace(b'x' * 20, b'x apparmor="DENIED"', 1) + b'y' * (readers.MAX_LINE + 5) + b' type=SECCOMP')
    got = s.collect('file', log_path=str(path), resolve=lambda arch, nr: None)
    assert (got['lines'], got['malformed'], got['counts']['apparmor']) == (3, 2, 1)
    # a line of exactly MAX_LINE bytes is read
    exact = AUDITD['new'] + ' x=' + 'y' * (readers.MAX_LINE - len(AUDITD['new']) - 3)
    assert list(readers._binary_lines(CountingFile(exact.encode() + b'\n'))) == [exact]


def test_kmsg_lines_longer_than_max_line_are_counted_malformed(host):
    # issue 11 item 17: the ring buffer reader bounds its pending bytes too
    path = host / 'kmsg.txt'
    record = '5,550,237901602,-;audit: type=1400 audit(1795479254.532:176): ' + SECRET % 747
    path.write_bytes(b'6,1,2,-;' + b'z' * (3 * readers.MAX_LINE) + b'\n' + record.encode() + b'\n' + b'q' * (2 * readers.MAX_LINE))
    lines = list(readers.read_kmsg(str(path)))
    assert lines[0] is audit.OVERLONG and lines[2] is audit.OVERLONG and len(lines) == 3
    assert lines[1].startswith('audit: type=1400')


@pytest.mark.parametrize('line', [
    '{"MESSAGE": ' + '[' * 100000 + ']' * 100000 + '}',
    '{"a": ' * 50000 + '1' + '}' * 50000,
    '{"MESSAGE": "audit: type=1400 audit(1.5:1): apparmor=\\"DENIED\\"", "x": ' + '[' * 60000 + ']' * 60000 + '}',
    json.dumps({'MESSAGE': 'AVC apparmor="DENIED"', '_TRANSPORT': 'audit', '_AUDIT_TYPE': '\u00b9\u2074\u2070\u2070',
                '_AUDIT_ID': '\u0661', '_SOURCE_REALTIME_TIMESTAMP': '9' * 5000}),
    json.dumps({'MESSAGE': [999, -1, 'x', [1]], '_TRANSPORT': 'kernel'}),
    json.dumps({'MESSAGE': {'nested': True}}),
])
def test_deeply_nested_or_odd_journal_json_is_no_traceback(host, line):
    # issue 11 item 21: json.loads raised RecursionError; isdigit() passed Unicode digits to int()
    path = write(host / 'journal.json', [line, json.dumps(JOURNAL[0]) if JOURNAL else ''])
    got = s.collect('file', log_path=str(path), resolve=lambda arch, nr: None)
    assert got['lines'] in (1, 2)       # an entry without a usable MESSAGE is no line of the log


@pytest.mark.parametrize('line', [
    'audit: audit_lost=' + '9' * 5000, 'kauditd_printk_skb: ' + '9' * 5000 + ' callbacks suppressed',
    'type=DAEMON_ERR msg=audit(' + '9' * 5000 + '.1:1): x',
])
def test_loss_lines_with_huge_numbers_are_no_traceback(line):
    # issue 11 item 21: int() of more than 4300 digits raised ValueError
    watch = s.LossWatch()
    assert list(watch.scan([line])) == [line]


def test_a_journalctl_that_never_ends_is_stopped(host):
    # issue 11 item 17: the journalctl subprocess has a timeout
    (host / 'journal').mkdir()
    script(host / 'bin' / 'journalctl', 'echo \'{"MESSAGE": "hello"}\'\nexec /bin/sleep 600\n')
    info = {}
    lines = list(readers.read_journald(info=info, journalctl=str(host / 'bin' / 'journalctl'), timeout=1))
    assert info['timed_out'] == 1 and len(lines) <= 1
