# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit record parser on real record lines from the lab host (auditd's log and the
kernel's own format), malformed and truncated lines, deduplication, syscall names by
the record's arch, and suggestions in the spec format."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as apparmor_spec
from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit
from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as seccomp_spec

GS = '\x1d'
# auditd's log on the lab host (Debian 12, kernel 6.1, auditd 3.0.9)
AUDITD_ALLOWED = ('type=AVC msg=audit(1795468675.652:237): apparmor="ALLOWED" operation="open" '
                  'profile="confine-demo-observe" name="/tmp/confine-aa/secret-1" pid=1728 comm="cat" '
                  'requested_mask="r" denied_mask="r" fsuid=0 ouid=0' + GS + 'FSUID="root" OUID="root"')
AUDITD_DENIED = ('type=AVC msg=audit(1795468675.844:240): apparmor="DENIED" operation="open" '
                 'profile="confine-demo" name="/tmp/confine-aa/plain" pid=1731 comm="sh" requested_mask="wc" '
                 'denied_mask="wc" fsuid=0 ouid=0' + GS + 'FSUID="root" OUID="root"')
AUDITD_MOUNT = ('type=AVC msg=audit(1795468645.500:166): apparmor="DENIED" operation="mount" '
                'info="failed mntpnt match" error=-13 profile="confine-container" name="/tmp/confine-mnt-fmEQEb/" '
                'pid=951 comm="probe" fstype="tmpfs" srcname="none"')
AUDITD_CAP = ('type=AVC msg=audit(1795468200.348:85): apparmor="ALLOWED" operation="capable" profile="cftest" '
              'pid=576 comm="date" capability=25  capname="sys_time"')
AUDITD_STATUS = ('type=AVC msg=audit(1795468209.004:98): apparmor="STATUS" operation="profile_replace" '
                 'profile="unconfined" name="cftest" pid=611 comm="apparmor_parser"')
AUDITD_SECCOMP = ('type=SECCOMP msg=audit(1795468300.120:301): auid=4294967295 uid=0 gid=0 ses=4294967295 '
                  'subj=docker-default pid=2101 comm="probe" exe="/probe" sig=0 arch=c000003e syscall=165 compat=0 '
                  'ip=0x4a3b2c code=0x7ffc0000' + GS + 'AUID="unset" UID="root" GID="root" ARCH=x86_64 SYSCALL=mount')
# the kernel's format (dmesg, journalctl -k)
KMSG_SECCOMP = ('[  812.337441] audit: type=1326 audit(1795468301.001:310): auid=4294967295 uid=0 gid=0 '
                'ses=4294967295 subj=unconfined pid=2200 comm="probe" exe="/probe" sig=0 arch=40000003 syscall=21 '
                'compat=1 ip=0xf7f1 code=0x50000')
JOURNAL_AUDIT = ('Nov 23 21:10:00 lab kernel: audit: type=1400 audit(1795468302.5:311): apparmor="AUDIT" '
                 'operation="open" profile="web" name="/srv/www/index.html" pid=90 comm="web" requested_mask="r" '
                 'fsuid=33 ouid=0')
HEX_NAME = ('type=AVC msg=audit(1795468303.0:312): apparmor="DENIED" operation="open" profile="web" '
            'name=2F7372762F6120622F3132333435 pid=91 comm="web" requested_mask="r" denied_mask="r" fsuid=0 ouid=0')


def test_real_records_of_every_kind_parse():
    allowed, bad = audit.parse_line(AUDITD_ALLOWED)
    assert not bad and allowed['verdict'] == 'ALLOWED' and allowed['profile'] == 'confine-demo-observe'
    assert allowed['name'] == '/tmp/confine-aa/secret-1' and allowed['denied_mask'] == 'r'
    denied = audit.parse_line(AUDITD_DENIED)[0]
    assert denied['verdict'] == 'DENIED' and denied['denied_mask'] == 'wc'
    mount = audit.parse_line(AUDITD_MOUNT)[0]
    assert mount['operation'] == 'mount' and mount['fstype'] == 'tmpfs'
    cap = audit.parse_line(AUDITD_CAP)[0]
    assert cap['capname'] == 'sys_time'
    assert audit.parse_line(AUDITD_STATUS) == (None, False)
    sc = audit.parse_line(AUDITD_SECCOMP)[0]
    assert (sc['arch'], sc['nr'], sc['action'], sc['exe']) == (0xc000003e, 165, 'SCMP_ACT_LOG', '/probe')
    k = audit.parse_line(KMSG_SECCOMP)[0]
    assert (k['arch'], k['nr'], k['action']) == (0x40000003, 21, 'SCMP_ACT_ERRNO')
    j = audit.parse_line(JOURNAL_AUDIT)[0]
    assert j['verdict'] == 'AUDIT' and j['time'] == 1795468302.5
    h = audit.parse_line(HEX_NAME)[0]
    assert h['name'] == '/srv/a b/12345'


@pytest.mark.parametrize('line', [
    'type=SECCOMP msg=audit(1795468300.120:301): auid=0 uid=0 arch=c000003e syscall=',      # truncated
    'type=SECCOMP msg=audit(1795468300.120:301): arch=zz syscall=1 code=0x7ffc0000',         # bad hex
    'audit: type=1400 audit(1795468675.652:237): operation="open" profile="x"',              # no verdict
    'type=AVC msg=audit(1795468675.652:237): apparmor="DENIED" operation="open" profile="x',  # cut mid-quote
])
def test_malformed_and_truncated_lines_are_skipped_and_counted(line):
    collector = audit.Collector().feed([line, AUDITD_ALLOWED])
    assert collector.skipped == 1 and collector.lines == 2
    assert [e['profile'] for e in collector.results()] == ['confine-demo-observe']


def test_other_lines_are_ignored_without_counting():
    lines = ['', 'garbage \x00\xff', 'type=SYSCALL msg=audit(1795468675.652:237): arch=c000003e syscall=257',
             'type=AVC msg=audit(1.0:1): avc:  denied  { read } for  pid=1 comm="x" scontext=u:r:x']
    collector = audit.Collector().feed(lines)
    assert collector.skipped == 0 and collector.results() == []


def test_dedupe_count_since_and_profile_filter():
    lines = [AUDITD_ALLOWED] * 3 + [AUDITD_DENIED, AUDITD_MOUNT, AUDITD_SECCOMP, AUDITD_SECCOMP]
    events = audit.Collector(since=1795468600, profiles=['confine-demo-observe', 'confine-demo']).feed(lines).results()
    assert [(e['kind'], e.get('profile'), e['count']) for e in events] == [
        ('apparmor', 'confine-demo-observe', 3), ('apparmor', 'confine-demo', 1)]
    everything = audit.Collector().feed(lines).results()
    assert len(everything) == 4 and everything[0]['count'] == 3


def test_streams_a_large_log_in_bounded_memory():
    # 200 000 lines through a file object: only the distinct events are kept
    def lines():
        for i in range(200000):
            yield AUDITD_ALLOWED if i % 2 else 'type=SYSCALL msg=audit(1795468675.652:%d): arch=c000003e' % i
    collector = audit.Collector().feed(lines())
    assert collector.lines == 200000 and len(collector.events) == 1
    assert collector.results()[0]['count'] == 100000


def test_syscall_numbers_are_named_by_the_records_arch():
    backend = libseccomp.load('ctypes')
    events = audit.Collector().feed(io.StringIO('\n'.join([AUDITD_SECCOMP, KMSG_SECCOMP]) + '\n')).results(
        backend.syscall_name)
    named = dict((e['arch'], e['syscall']) for e in events)
    # x86_64 nr 165 is mount; on i386 (40000003) nr 21 is mount too, but a different number
    assert named == {'c000003e': 'mount', '40000003': 'mount'}
    assert backend.syscall_name(0xc000003e, 99999) is None


def test_suggestions_are_spec_additions():
    events = audit.Collector().feed([AUDITD_ALLOWED, AUDITD_DENIED, AUDITD_CAP, HEX_NAME, AUDITD_SECCOMP]).results(
        libseccomp.load('ctypes').syscall_name)
    got = audit.suggestions(events)
    assert got['apparmor']['confine-demo-observe'] == {'files': [{'path': '/tmp/confine-aa/secret-1', 'perms': 'r'}]}
    assert got['apparmor']['confine-demo'] == {'files': [{'path': '/tmp/confine-aa/plain', 'perms': 'w'}]}
    assert got['apparmor']['cftest'] == {'capabilities': {'allow': ['sys_time']}}
    assert got['apparmor']['web'] == {'files': [{'path': '/srv/a?b/[0-9]*', 'perms': 'r'}]}
    assert got['seccomp'] == {'syscalls': [{'names': ['mount'], 'action': 'SCMP_ACT_ALLOW'}]}
    # merged as is into a spec, each suggestion renders and parses
    for name, extra in got['apparmor'].items():
        text = apparmor_spec.render(dict(extra, name=name, preset='container-default'))
        assert all(rule['path'] in text for rule in extra.get('files', []))
    seccomp_spec.build_profile({'preset': 'allowlist', 'syscalls': got['seccomp']['syscalls']},
                               {'machine': 'x86_64', 'kernel': '6.1'})


@pytest.mark.parametrize('path,glob', [
    ('/proc/1234/status', '@{PROC}/@{pid}/status'),
    ('/var/cache/app/session-3f9a0c1d2e.tmp', '/var/cache/app/session-*.tmp'),
    ('/srv/www/index.html', '/srv/www/index.html'),
])
def test_glob_path(path, glob):
    assert audit.glob_path(path) == glob
