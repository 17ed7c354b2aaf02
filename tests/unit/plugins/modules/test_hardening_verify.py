# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hardening_verify: the host against its governance record in one call (playbooks/verify.yml).
The record is on the host, so it is hostile input: every field of it is tried with what a
changed record could hold."""

import hashlib
import json
import os

import pytest

from ansible_collections.confine.hardening.plugins.modules import hardening_verify as m

from conftest import FakeModule, run_main


@pytest.fixture
def host(tmp_path, monkeypatch):
    """Two profile files, an AppArmor profile loaded in enforce (a scratch securityfs), a record."""
    (tmp_path / 'security' / 'apparmor').mkdir(parents=True)
    (tmp_path / 'security' / 'apparmor' / 'profiles').write_text('web (enforce)\nold (complain)\n')
    monkeypatch.setattr(m.aa_host, 'SECURITYFS', str(tmp_path / 'security'))
    files = {}
    for name, text in (('web.json', '{"defaultAction": "SCMP_ACT_ERRNO"}\n'), ('web', 'profile web {}\n')):
        path = tmp_path / name
        path.write_text(text)
        os.chmod(str(path), 0o644)
        files[name] = {'path': str(path), 'sha256': hashlib.sha256(text.encode()).hexdigest()}
    record = {'profiles': [{'kind': 'seccomp', 'name': 'web', 'mode': 'enforce', 'files': [files['web.json']]},
                           {'kind': 'apparmor', 'name': 'web', 'mode': 'enforce', 'files': [files['web']]},
                           {'kind': 'apparmor', 'name': 'gone', 'mode': 'disabled', 'files': []}],
              'runtime': {}}
    tmp_path.joinpath('record.fact').write_text(json.dumps(record))
    return tmp_path, record


def write(tmp_path, record):
    tmp_path.joinpath('record.fact').write_text(json.dumps(record))
    return {'record': str(tmp_path / 'record.fact')}


def test_a_matching_host_passes_in_one_call(host):
    tmp_path, record = host
    result = run_main(m, write(tmp_path, record), check_mode=True)
    assert result['changed'] is False and result['problems'] == []
    assert result['checked'] == {'files': 2, 'apparmor': 2, 'docker_default': None}
    assert result['msg'] == 'the host matches its record: 2 files, 2 AppArmor profiles'


def test_every_difference_is_named_not_only_the_first(host):
    tmp_path, record = host
    (tmp_path / 'web.json').write_text('changed by hand\n')
    os.chmod(str(tmp_path / 'web'), 0o666)
    (tmp_path / 'security' / 'apparmor' / 'profiles').write_text('web (complain)\ngone (enforce)\n')
    result = run_main(m, write(tmp_path, record))
    assert result['failed'] and result['msg'].startswith('4 differences from the record: ')
    assert result['problems'] == [
        '%s differs from the record (seccomp profile web): its sha256 is not the recorded one' % (tmp_path / 'web.json'),
        '%s differs from the record (apparmor profile web): its mode is 0666, not 0644' % (tmp_path / 'web'),
        'AppArmor profile web is not loaded in enforce mode (the kernel: complain)',
        'AppArmor profile gone is not loaded in disabled mode: the kernel has it in enforce']


def test_a_fifo_or_device_where_a_file_is_recorded_is_a_difference_and_never_read(host):
    tmp_path, record = host
    fifo = tmp_path / 'fifo'
    os.mkfifo(str(fifo))
    record['profiles'][0]['files'] = [{'path': str(fifo), 'sha256': 'x'}, {'path': '/dev/zero', 'sha256': 'x'},
                                      {'path': str(tmp_path), 'sha256': 'x'}, {'path': str(tmp_path / 'no'), 'sha256': 'x'}]
    problems = run_main(m, write(tmp_path, record))['problems']
    assert problems == ['%s differs from the record (seccomp profile web): %s is a FIFO, not a regular file' % (fifo, fifo),
                        '/dev/zero differs from the record (seccomp profile web): /dev/zero is a character device, '
                        'not a regular file',
                        '%s differs from the record (seccomp profile web): %s is a directory, not a regular file'
                        % (tmp_path, tmp_path),
                        '%s differs from the record (seccomp profile web): it is missing' % (tmp_path / 'no')]


@pytest.mark.parametrize('entry', [None, 'web', 7, {'sha256': 'x'}, {'path': 'relative/web.json'}, {'path': ['a']},
                                   {'path': '\x1b[2Jweb', 'sha256': 'x'}])
def test_malformed_file_entries_are_differences_not_tracebacks(host, entry):
    tmp_path, record = host
    record['profiles'][0]['files'] = [entry]
    result = run_main(m, write(tmp_path, record))
    assert result['failed'] and len(result['problems']) == 1
    assert '\x1b' not in result['msg']


@pytest.mark.parametrize('text,msg', [
    ('not json', 'is missing, unreadable or not a JSON object'),
    ('[]', 'is missing, unreadable or not a JSON object'),
    ('{"profiles": {}}', 'has no list of profiles'),
])
def test_a_record_that_cannot_be_read_fails_in_one_sentence(tmp_path, text, msg):
    (tmp_path / 'record.fact').write_text(text)
    result = run_main(m, {'record': str(tmp_path / 'record.fact')})
    assert result['failed'] and msg in result['msg'] and result['msg'].startswith('record: ')
    assert 'is missing' in run_main(m, {'record': str(tmp_path / 'none')})['msg']
    os.mkfifo(str(tmp_path / 'fifo'))
    assert run_main(m, {'record': str(tmp_path / 'fifo')})['msg'] == (
        'record: %s is a FIFO, not a regular file; nothing was changed' % (tmp_path / 'fifo'))


def test_the_docker_default_is_asked_of_docker_info(host):
    tmp_path, record = host
    record['runtime'] = {'docker_default_seccomp': 'web'}
    write(tmp_path, record)
    answers = []

    def docker(args):
        assert args == ['/usr/bin/docker', 'info', '--format', '{{json .SecurityOptions}}']
        return answers.pop(0)
    module = FakeModule({'record': str(tmp_path / 'record.fact'), 'docker': True},
                        bins={'docker': '/usr/bin/docker'}, responder=docker)
    answers.append((0, json.dumps(['name=apparmor', 'name=seccomp,profile=/etc/docker/seccomp/web.json']), ''))
    assert m.run(module)['checked']['docker_default'] == 'web'
    answers.append((0, json.dumps(['name=seccomp,profile=builtin']), ''))
    with pytest.raises(m.ModuleError) as err:
        m.run(module)
    assert err.value.extra['problems'] == ['docker info does not report web as the default seccomp profile']
    answers.append((1, '', 'Cannot connect to the Docker daemon'))
    with pytest.raises(m.ModuleError) as err:
        m.run(module)
    assert 'docker info failed (Cannot connect to the Docker daemon)' in err.value.msg


@pytest.mark.parametrize('hostile', ['../x', 'web.json$|.*', '', 7, None, ['web']])
def test_a_docker_default_of_another_form_is_not_asked_for(host, hostile):
    """A changed record cannot turn the check into a regular expression that matches anything."""
    tmp_path, record = host
    record['runtime'] = {'docker_default_seccomp': hostile}
    module = FakeModule({'record': write(tmp_path, record)['record'], 'docker': True}, bins={'docker': None},
                        responder=lambda args: pytest.fail('docker was asked: %r' % (args,)))
    assert m.run(module)['checked']['docker_default'] is None


def test_inspect_reports_named_profiles_whether_or_not_the_record_lists_them(host):
    tmp_path, record = host
    (tmp_path / 'seccomp').mkdir()
    (tmp_path / 'seccomp' / 'other.json').write_text('{}')
    os.mkfifo(str(tmp_path / 'seccomp' / 'fifo.json'))
    args = dict(write(tmp_path, record), inspect={
        'seccomp': [record['profiles'][0]['files'][0]['path'].replace('web.json', 'seccomp/web.json'),
                    str(tmp_path / 'seccomp' / 'other.json'), str(tmp_path / 'seccomp' / 'fifo.json')],
        'apparmor': ['web', 'old', 'absent']})
    # the recorded seccomp file is not in a seccomp directory in this fixture: list it from one
    (tmp_path / 'seccomp' / 'web.json').write_bytes((tmp_path / 'web.json').read_bytes())
    record['profiles'][0]['files'][0]['path'] = str(tmp_path / 'seccomp' / 'web.json')
    args = dict(args, **write(tmp_path, record))
    res = run_main(m, args)
    seccomp = res['inspected']['seccomp']
    assert seccomp[str(tmp_path / 'seccomp' / 'web.json')] == {
        'present': True, 'sha256': record['profiles'][0]['files'][0]['sha256'], 'mode': 'enforce', 'recorded': True}
    assert seccomp[str(tmp_path / 'seccomp' / 'other.json')]['recorded'] is False
    assert seccomp[str(tmp_path / 'seccomp' / 'other.json')]['mode'] == 'unknown'
    assert seccomp[str(tmp_path / 'seccomp' / 'fifo.json')]['present'] is False      # never opened for reading
    aa = res['inspected']['apparmor']
    assert aa['web'] == {'loaded': 'enforce', 'sha256': record['profiles'][1]['files'][0]['sha256'], 'recorded': True}
    assert aa['old'] == {'loaded': 'complain', 'sha256': None, 'recorded': False}
    assert aa['absent']['loaded'] is None


def test_inspect_refuses_a_path_outside_a_seccomp_directory(host):
    tmp_path, record = host
    res = run_main(m, dict(write(tmp_path, record), inspect={'seccomp': ['/etc/shadow']}))
    assert res['failed'] and 'inspect.seccomp: /etc/shadow is not an absolute, normalised path in a seccomp' in res['msg']
    res = run_main(m, dict(write(tmp_path, record), inspect={'seccomp': ['/var/lib/kubelet/seccomp/../../x']}))
    assert res['failed']


def test_without_fail_on_difference_a_missing_record_and_differences_are_results(host, tmp_path):
    res = run_main(m, {'record': str(tmp_path / 'none.fact'), 'fail_on_difference': False,
                       'inspect': {'apparmor': ['web']}})
    assert not res.get('failed') and res['record_found'] is False and res['inspected']['apparmor']['web']['recorded'] is False
    root, record = host
    (root / 'web.json').write_text('changed')
    res = run_main(m, dict(write(root, record), fail_on_difference=False))
    assert not res.get('failed') and res['problems'] and res['record_found']
