# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The profile_events module on a file of real record lines from the lab host: events,
counts, suggestions in the profile modules' spec format, kinds and profiles, max_events,
its error sentences, and the whole module run as Ansible runs it (check mode included)."""

import json
import os
import subprocess
import sys

import pytest
from conftest import FakeModule, run_main

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as apparmor_spec
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as seccomp_spec
from ansible_collections.confine.hardening.plugins.modules import profile_events as m

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
GS = '\x1d'
# auditd's log on the lab host (Debian 12, kernel 6.1, auditd 3.0.9): a complain-mode profile
# (ALLOWED), an enforced one (DENIED), a capability, a socket and an SCMP_ACT_LOG filter
LINES = [
    'type=DAEMON_START msg=audit(1795479298.379:3877): op=start ver=3.0.9 format=enriched kernel=6.1.0-50-amd64 '
    'auid=4294967295 pid=848 uid=0 ses=4294967295 subj=unconfined  res=success' + GS + 'AUID="unset" UID="root"',
    'type=AVC msg=audit(1795479302.052:268): apparmor="ALLOWED" operation="open" profile="evtest" '
    'name="/tmp/ev/secret-1" pid=887 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0'
    + GS + 'FSUID="root" OUID="root"',
    'type=SYSCALL msg=audit(1795479302.052:268): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c '
    'a1=7ffc2a7e0edd a2=0 a3=0 items=1 ppid=702 pid=887 auid=0 uid=0 gid=0 comm="cat" exe="/usr/bin/cat" '
    'subj=evtest key=(null)',
    'type=AVC msg=audit(1795479304.252:275): apparmor="ALLOWED" operation="open" profile="evtest" '
    'name="/tmp/ev/secret-1" pid=905 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0'
    + GS + 'FSUID="root" OUID="root"',
    'type=AVC msg=audit(1795479305.040:280): apparmor="ALLOWED" operation="capable" profile="evtest" pid=629 '
    'comm="date" capability=25  capname="sys_time"',
    'type=AVC msg=audit(1795479305.592:282): apparmor="ALLOWED" operation="create" profile="evtest" pid=630 '
    'comm="python3" family="inet" sock_type="dgram" protocol=0 requested_mask="create" denied_mask="create"',
    'type=AVC msg=audit(1795479306.844:290): apparmor="DENIED" operation="open" profile="confine-demo" '
    'name="/tmp/confine-aa/plain" pid=1731 comm="sh" requested_mask="wc" denied_mask="wc" fsuid=0 ouid=0'
    + GS + 'FSUID="root" OUID="root"',
    'type=SECCOMP msg=audit(1795479304.520:276): auid=0 uid=0 gid=0 ses=14 subj=unconfined pid=906 '
    'comm="python3" exe="/usr/bin/python3.11" sig=0 arch=c000003e syscall=39 compat=0 ip=0x7fe5f1beb4e7 '
    'code=0x7ffc0000' + GS + 'AUID="root" UID="root" GID="root" ARCH=x86_64 SYSCALL=getpid',
    'type=SECCOMP msg=audit(1795479304.530:277): auid=0 uid=0 gid=0 ses=14 subj=unconfined pid=906 '
    'comm="python3" exe="/usr/bin/python3.11" sig=0 arch=c000003e syscall=63 compat=0 ip=0x7fe5f1be9b07 '
    'code=0x7ffc0000' + GS + 'AUID="root" UID="root" GID="root" ARCH=x86_64 SYSCALL=uname',
]


def no_command(args):
    raise AssertionError('a file source runs no command: %r' % (args,))


def fake(params, check_mode=False):
    """The shared FakeModule, which must run no command."""
    return FakeModule(params, check_mode=check_mode, responder=no_command)


def params(**kw):
    p = dict((key, opt.get('default')) for key, opt in m.argument_spec().items())
    p.update(kw)
    return p


@pytest.fixture
def log(tmp_path):
    path = tmp_path / 'audit.log'
    path.write_text(''.join(line + '\n' for line in LINES))
    return str(path)


def test_file_source_events_counts_and_suggestions(log):
    mod = fake(params(source='file', log_path=log))
    result = m.run(mod)
    assert result['changed'] is False and mod.warnings == []
    assert (result['source'], result['where'], result['since'], result['since_iso']) == ('file', log, 0.0, None)
    # the 9 lines but the SYSCALL one, which holds no record: it is passed over unparsed
    assert (result['lines'], result['malformed'], result['rate_limited'], result['lost']) == (8, 0, False, None)
    assert result['bytes'] == os.path.getsize(log)
    first = result['events'][0]
    assert (first['verdict'], first['profile'], first['name'], first['count'], first['first'], first['last']) == (
        'ALLOWED', 'evtest', '/tmp/ev/secret-1', 2, 1795479302.052, 1795479304.252)
    assert sorted((e['kind'], e.get('syscall')) for e in result['events'] if e['kind'] == 'seccomp') == [
        ('seccomp', 'getpid'), ('seccomp', 'uname')]
    assert len(result['events']) == 6 and result['truncated'] == 0
    assert result['counts'] == {'apparmor': 5, 'seccomp': 2, 'by_profile': {'evtest': 4, 'confine-demo': 1}}
    assert result['suggestions'] == {
        'apparmor': {
            'evtest': {'files': [{'path': '/tmp/ev/secret-1', 'perms': 'r'}],
                       'capabilities': {'allow': ['sys_time']},
                       'network': [{'family': 'inet', 'type': 'dgram'}]},
            'confine-demo': {'files': [{'path': '/tmp/confine-aa/plain', 'perms': 'w'}]},
        },
        'seccomp': {'syscalls': [{'names': ['getpid', 'uname'], 'action': 'SCMP_ACT_ALLOW'}]},
    }
    # fed back, the suggestions are valid specs for the profile modules
    text = apparmor_spec.render(dict(result['suggestions']['apparmor']['evtest'], name='evtest', preset='service',
                                     attach='/usr/bin/cat'))
    assert '/tmp/ev/secret-1 r,' in text and 'capability sys_time,' in text and 'network inet dgram,' in text
    seccomp_spec.build_profile({'preset': 'allowlist', 'syscalls': result['suggestions']['seccomp']['syscalls']},
                               {'machine': 'x86_64', 'kernel': '6.1'})


def test_since_kinds_profiles_and_max_events(log):
    result = m.run(fake(params(source='file', log_path=log, since='1795479304.3')))
    assert result['since'] == 1795479304.3 and result['since_iso'] == '2026-11-24T00:15:04Z'
    assert [e['count'] for e in result['events'] if e.get('name') == '/tmp/ev/secret-1'] == []
    assert result['counts']['apparmor'] == 3
    # a duration is counted back from now
    result = m.run(fake(params(source='file', log_path=log, since='2h')), now=1795479304.3 + 7200)
    assert result['since'] == 1795479304.3 and result['counts']['apparmor'] == 3

    result = m.run(fake(params(source='file', log_path=log, kinds=['seccomp'])))
    assert {e['kind'] for e in result['events']} == {'seccomp'}
    assert result['counts'] == {'apparmor': 0, 'seccomp': 2, 'by_profile': {}}
    assert result['suggestions'] == {'apparmor': {}, 'seccomp': {'syscalls': [{'names': ['getpid', 'uname'],
                                                                               'action': 'SCMP_ACT_ALLOW'}]}}

    result = m.run(fake(params(source='file', log_path=log, kinds=['apparmor'], profiles=['confine-demo'])))
    assert [(e['profile'], e['verdict']) for e in result['events']] == [('confine-demo', 'DENIED')]
    assert list(result['suggestions']) == ['apparmor'] and list(result['suggestions']['apparmor']) == ['confine-demo']

    mod = fake(params(source='file', log_path=log, max_events=2))
    result = m.run(mod)
    assert len(result['events']) == 2 and result['truncated'] == 4
    # counts and suggestions still cover all six events
    assert result['counts']['apparmor'] == 5 and 'seccomp' in result['suggestions']
    assert mod.warnings == ['4 of 6 events are left out (max_events=2); counts and suggestions cover all of them']
    assert m.run(fake(params(source='file', log_path=log, max_events=0)))['events'] == []


@pytest.mark.parametrize('kw,message', [
    (dict(source='file'), 'source: file needs log_path, the log file to read'),
    (dict(source='kmsg', log_path='/tmp/x.log'),
     'log_path: it is read only with source: file, not with source: kmsg; drop log_path or set source: file'),
    (dict(source='file', log_path='/nonexistent/audit.log'),
     'log_path: /nonexistent/audit.log cannot be read (No such file or directory)'),
    (dict(source='file', log_path='LOG', since='last tuesday'),
     "since: 'last tuesday' is not a time: give epoch seconds (1795468675), an ISO 8601 time "
     "(2026-11-24T10:00:00Z, UTC when no offset is given) or a duration ago (30s, 15m, 2h, 1d, 1h30m)"),
    (dict(source='file', log_path='LOG', kinds=[]), 'kinds: name at least one of apparmor, seccomp'),
    (dict(source='file', log_path='LOG', max_events=-1), 'max_events: -1 is negative; give 0 or more'),
])
def test_errors_are_one_sentence_naming_the_option(log, kw, message):
    if kw.get('log_path') == 'LOG':
        kw['log_path'] = log
    with pytest.raises(m.EventsError) as err:
        m.run(fake(params(**kw)))
    assert str(err.value) == message


def run_module(tmp_path, args):
    """The module as Ansible runs it: a Python process given its arguments in a file."""
    argfile = tmp_path / 'args.json'
    argfile.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'collections'))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, 'plugins', 'modules', 'profile_events.py'),
                           str(argfile)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(tmp_path),
                          timeout=120, check=False)
    return proc.returncode, json.loads(proc.stdout.decode('utf-8'))


def test_the_module_process_in_check_mode(tmp_path, log):
    before = open(log, 'rb').read()
    rc, result = run_module(tmp_path, {'source': 'file', 'log_path': log, 'since': '2026-11-24T00:15:04Z',
                                       '_ansible_check_mode': True})
    assert rc == 0 and result['changed'] is False and 'failed' not in result
    assert result['since'] == 1795479304.0 and result['since_iso'] == '2026-11-24T00:15:04Z'
    assert result['counts'] == {'apparmor': 4, 'seccomp': 2, 'by_profile': {'evtest': 3, 'confine-demo': 1}}
    assert result['suggestions']['seccomp'] == {'syscalls': [{'names': ['getpid', 'uname'],
                                                              'action': 'SCMP_ACT_ALLOW'}]}
    assert open(log, 'rb').read() == before


def test_the_module_process_warns_of_lost_records(tmp_path):
    path = tmp_path / 'kmsg.txt'
    path.write_text('4,509,172717907,-;kauditd_printk_skb: 28 callbacks suppressed\n'
                    '5,550,237901602,-;audit: type=1400 audit(1795479254.532:176): apparmor="ALLOWED" operation="open" '
                    'profile="evtest" name="/tmp/ev/secret-1" pid=747 comm="cat" requested_mask="r" denied_mask="r" '
                    'fsuid=0 ouid=0\n')
    rc, result = run_module(tmp_path, {'source': 'file', 'log_path': str(path)})
    assert rc == 0 and result['rate_limited'] is True and result['lost'] == 28
    assert 'the kernel reported 28 audit records lost or not logged' in json.dumps(result['warnings'])


def test_the_module_process_fails_with_the_sentence(tmp_path):
    rc, result = run_module(tmp_path, {'source': 'file'})
    assert rc == 1 and result['failed'] is True
    assert result['msg'] == 'source: file needs log_path, the log file to read'
    rc, result = run_module(tmp_path, {'source': 'syslog'})
    assert rc == 1 and 'source' in result['msg'] and 'auto, auditd, journald, kmsg, file' in result['msg']


# ---------------------------------------------------------------------------
# issue 11 items 4, 17, 19, 21
# ---------------------------------------------------------------------------

def test_the_result_has_no_key_ansible_reserves(log):
    # issue 11 item 19: "skipped" made Ansible show the task as skipped (and `is skipped` true)
    import yaml
    result = m.run(fake(params(source='file', log_path=log)))
    assert 'skipped' not in result and result['malformed'] == 0
    documented = yaml.safe_load(m.RETURN)
    assert 'skipped' not in documented and 'malformed' in documented
    assert set(result) - {'changed'} == set(documented)


def test_the_module_process_is_not_shown_as_skipped(tmp_path, log):
    # issue 11 item 19, as Ansible sees the result
    rc, result = run_module(tmp_path, {'source': 'file', 'log_path': log})
    assert rc == 0 and 'skipped' not in result and result['malformed'] == 0


@pytest.mark.parametrize('kind', ['fifo', '/dev/zero', '/dev/urandom'])
def test_the_module_process_refuses_a_log_path_that_is_not_a_regular_file_at_once(tmp_path, kind):
    # issue 11 item 17: it never returned (the timeout of run_module catches a hang)
    path = kind
    if kind == 'fifo':
        path = str(tmp_path / 'log.fifo')
        os.mkfifo(path)
    rc, result = run_module(tmp_path, {'source': 'file', 'log_path': path})
    what = 'FIFO' if kind == 'fifo' else 'character device'
    assert rc == 1 and result['msg'] == 'log_path: %s cannot be read (it is a %s, not a regular file)' % (path, what)


@pytest.mark.parametrize('since', ['99999999999999999999', '9' * 400, '9' * 400 + 'd', '2026-13-45T99:00:00Z'])
def test_the_module_process_gives_one_sentence_for_a_huge_since(tmp_path, log, since):
    # issue 11 item 21: since: "99999999999999999999" was a traceback
    rc, result = run_module(tmp_path, {'source': 'file', 'log_path': log, 'since': since})
    assert rc == 1 and result['msg'].startswith('since: ') and 'Traceback' not in json.dumps(result)
    assert 'is not a time' in result['msg'] or 'is not a valid time' in result['msg']


def test_hostile_names_are_suggested_literally_and_unsayable_ones_with_a_warning(tmp_path):
    # issue 11 item 4, end to end: the workload opened files named /srv/** and /srv/a<newline>b
    path = tmp_path / 'audit.log'
    path.write_text(
        'type=AVC msg=audit(1795479302.052:268): apparmor="ALLOWED" operation="open" profile="web" '
        'name="/srv/**" pid=887 comm="app" requested_mask="w" denied_mask="w" fsuid=0 ouid=0\n'
        'type=AVC msg=audit(1795479302.053:269): apparmor="ALLOWED" operation="open" profile="web" '
        'name=2F7372762F610A62 pid=887 comm="app" requested_mask="r" denied_mask="r" fsuid=0 ouid=0\n'
        'type=AVC msg=audit(1795479302.054:270): apparmor="ALLOWED" operation="open" profile="web" name="/x"' + ' a' * 40000
        + ' "unterminated\n' + 'y' * (100 * 1024) + '\n')
    mod = fake(params(source='file', log_path=str(path)))
    result = m.run(mod)
    assert result['suggestions']['apparmor'] == {'web': {'files': [{'path': '/srv/\\*\\*', 'perms': 'w'}]}}
    # the unterminated record is malformed; the 100 KiB line of y holds no record (passed over)
    assert (result['lines'], result['malformed']) == (3, 1)
    assert mod.warnings[0].startswith("1 events get no suggestion: the name, capability or network family they log "
                                      "cannot be written as a rule (for example '/srv/a\\nb')")
    text = apparmor_spec.render(dict(result['suggestions']['apparmor']['web'], name='web', preset='service',
                                     attach='/usr/bin/app'))
    assert '"/srv/\\*\\*" w,' in text


def test_main_runs_through_the_argument_spec(log):
    """main() as Ansible calls it: the argument spec fills the defaults, run_module the failure."""
    result = run_main(m, {'source': 'file', 'log_path': log, 'kinds': ['seccomp']})
    assert 'failed' not in result and result['changed'] is False and result['source'] == 'file'
    assert result['counts'] == {'apparmor': 0, 'seccomp': 2, 'by_profile': {}}
    failed = run_main(m, {'source': 'file', 'log_path': log, 'max_events': -1})
    assert failed['failed'] is True and failed['msg'] == 'max_events: -1 is negative; give 0 or more'
    refused = run_main(m, {'source': 'syslog'})
    assert refused['failed'] is True and 'auto, auditd, journald, kmsg, file' in refused['msg']
