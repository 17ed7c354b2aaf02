# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docker_daemon: daemon.json merged and written only when the whole new content is JSON
that dockerd reads the same way; a symlink kept; backups never share a name."""

import json
import os

import pytest

from ansible_collections.confine.hardening.plugins.modules import docker_daemon as m

from conftest import FakeModule, run_main


def run(tmp_path, settings, check_mode=False, path=None):
    params = dict(path=str(path or tmp_path / 'daemon.json'), settings=settings, backup_dir=str(tmp_path / 'backups'))
    return m.run(FakeModule(params, check_mode))


def snapshot(tmp_path):
    out = {}
    for dirpath, _dirs, files in os.walk(str(tmp_path)):
        for name in files:
            path = os.path.join(dirpath, name)
            out[path] = open(path, 'rb').read() if not os.path.islink(path) else 'link:' + os.readlink(path)
    return out


def test_settings_are_merged_and_a_null_removes_a_key(tmp_path):
    (tmp_path / 'daemon.json').write_text('{"log-driver": "journald", "debug": true}')
    result = run(tmp_path, {'seccomp-profile': '/etc/docker/seccomp/web.json', 'debug': None})
    assert result['changed'] and result['existed']
    assert json.loads((tmp_path / 'daemon.json').read_text()) == {
        'log-driver': 'journald', 'seccomp-profile': '/etc/docker/seccomp/web.json'}
    assert not run(tmp_path, {'seccomp-profile': '/etc/docker/seccomp/web.json'})['changed']


@pytest.mark.parametrize('text, key', [
    ('{"a": NaN}', 'NaN is not JSON'),
    ('{"a": {"b": -Infinity}}', '-Infinity is not JSON'),
    ('{"a": [1e400]}', 'the key a[0] is inf'),
    ('{"a\\ud800": 1}', 'a key that is not valid Unicode (a lone surrogate): a\\ud800'),
    ('{"log-opts": {"tag": "\\udfff"}}', 'the key log-opts.tag holds a string that is not valid Unicode'),
    ('{"a": 1, "a": 2}', "the key 'a' appears more than once"),
    ('{"a": ' * 5000 + '1' + '}' * 5000, 'it is nested too deeply to read'),
    ('{"a": ' * 70 + '1' + '}' * 70, 'is nested more than 64 levels deep'),
    ('{"a": 1' + '0' * 5000 + '}', 'is not valid JSON'),
    ('\xff\xfe', 'is not valid JSON'),
    ('[1, 2]', 'holds a JSON list, not an object'),
])
# issue 11 item 14 (NaN, Infinity, lone surrogates), item 21 (deep nesting)
def test_hostile_daemon_json_is_refused_in_one_sentence_and_nothing_is_touched(tmp_path, text, key):
    (tmp_path / 'daemon.json').write_bytes(text.encode('utf-8', 'surrogatepass') if not text.startswith('\xff')
                                           else b'\xff\xfe')
    before = snapshot(tmp_path)
    with pytest.raises(m.DaemonError) as err:
        run(tmp_path, {'seccomp-profile': '/etc/docker/seccomp/web.json'})
    assert key in str(err.value) and str(err.value).endswith('nothing was changed')
    assert '\n' not in str(err.value) and len(str(err.value)) < 2000
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize('settings, key', [
    ({'a': float('nan')}, 'settings.a is nan'),
    ({'a': {'b': [float('inf')]}}, 'settings.a.b[0] is inf'),
    ({'a': '\ud800'}, 'settings.a holds a string that is not valid Unicode'),
    ({'\ud800': 1}, 'settings has a key that is not valid Unicode'),
    ({'a': {1: 2}}, "settings.a has the key 1, which is not a string"),
    ({'a': {'b': set()}}, 'settings.a.b is a set, which JSON has no form for'),
])
# issue 11 item 14: the surrogate used to be written, then the task failed and the undo information was lost
def test_settings_that_cannot_be_json_are_refused_before_any_write(tmp_path, settings, key):
    (tmp_path / 'daemon.json').write_text('{"debug": true}\n')
    before = snapshot(tmp_path)
    with pytest.raises(m.DaemonError) as err:
        run(tmp_path, settings)
    assert key in str(err.value) and str(err.value).endswith('nothing was changed')
    assert snapshot(tmp_path) == before and not (tmp_path / 'backups').exists()


# issue 11 item 10
def test_a_symlinked_daemon_json_is_written_through_and_stays_a_link(tmp_path):
    real = tmp_path / 'conf' / 'daemon.json'
    real.parent.mkdir()
    real.write_text('{"debug": true}\n')
    link = tmp_path / 'daemon.json'
    os.symlink(str(real), str(link))
    result = run(tmp_path, {'seccomp-profile': '/x.json'})
    assert result['changed'] and result['link_target'] == str(real)
    assert os.path.islink(str(link)) and os.readlink(str(link)) == str(real)
    assert json.loads(real.read_text()) == {'debug': True, 'seccomp-profile': '/x.json'}
    assert open(result['backup_file']).read() == '{"debug": true}\n'
    assert [n for n in os.listdir(str(real.parent)) if n.endswith('.tmp')] == []


# issue 11 item 10
def test_a_dangling_or_special_daemon_json_is_refused(tmp_path):
    link = tmp_path / 'daemon.json'
    os.symlink(str(tmp_path / 'missing.json'), str(link))
    with pytest.raises(m.DaemonError, match=r'^path: .*daemon.json is a symlink to .*missing.json, which does not '
                                            r'exist .*nothing was changed$'):
        run(tmp_path, {'debug': True})
    assert os.path.islink(str(link)) and not (tmp_path / 'missing.json').exists()
    os.unlink(str(link))
    os.mkfifo(str(link))
    with pytest.raises(m.DaemonError, match=r'daemon.json is a FIFO, not a regular file'):
        run(tmp_path, {'debug': True})


# issue 11 item 11
def test_two_changes_within_a_second_keep_two_backups(tmp_path, monkeypatch):
    monkeypatch.setattr(m.fileio, 'backup_path', lambda p: p + '.2026-01-01@00:00:00~')
    (tmp_path / 'daemon.json').write_text('{"v": 1}\n')
    first = run(tmp_path, {'v': 2})['backup_file']
    second = run(tmp_path, {'v': 3})['backup_file']
    assert first != second
    assert json.loads(open(first).read()) == {'v': 1} and json.loads(open(second).read()) == {'v': 2}


def test_check_mode_writes_nothing(tmp_path):
    (tmp_path / 'daemon.json').write_text('{"v": 1}\n')
    before = snapshot(tmp_path)
    result = run(tmp_path, {'v': 2}, check_mode=True)
    assert result['changed'] and snapshot(tmp_path) == before


def test_main_merges_through_the_argument_spec_and_shows_the_diff(tmp_path):
    path = tmp_path / 'daemon.json'
    path.write_text('{"debug": true}\n')
    args = {'path': str(path), 'settings': {'log-driver': 'journald'}, 'backup_dir': str(tmp_path / 'backups')}
    planned = run_main(m, args, check_mode=True, diff=True)
    assert planned['changed'] and 'backup_file' not in planned and path.read_text() == '{"debug": true}\n'
    assert planned['diff'] == {'before_header': str(path), 'after_header': str(path), 'before': '{"debug": true}\n',
                               'after': '{\n  "debug": true,\n  "log-driver": "journald"\n}\n'}
    done = run_main(m, args)
    assert done['changed'] and done['existed'] and 'diff' not in done
    assert open(done['backup_file']).read() == '{"debug": true}\n'
    assert run_main(m, args)['changed'] is False


def test_main_fails_in_one_sentence(tmp_path):
    assert run_main(m, {'path': str(tmp_path / 'daemon.json')}) == {
        'failed': True, 'msg': 'missing required arguments: settings'}
    (tmp_path / 'daemon.json').write_text('[1]')
    failed = run_main(m, {'path': str(tmp_path / 'daemon.json'), 'settings': {'debug': True}})
    assert failed == {'failed': True, 'msg': '%s holds a JSON list, not an object; fix it by hand; nothing was changed'
                      % (tmp_path / 'daemon.json')}


def test_a_failed_write_returns_only_what_undo_needs(tmp_path, monkeypatch):
    (tmp_path / 'daemon.json').write_text('{"v": 1}\n')

    def refuse(path, data, mode=0o644):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(m.fileio, 'write_atomic', refuse)
    failed = run_main(m, {'path': str(tmp_path / 'daemon.json'), 'settings': {'v': 2},
                          'backup_dir': str(tmp_path / 'backups')})
    assert sorted(failed) == ['backup_file', 'existed', 'failed', 'msg'] and failed['existed'] is True
    assert failed['msg'].endswith('No space left on device; the file was not changed')


# The role checks dockerd's security options at the end of a run; when daemon.json did not
# change, the merge's own module run asks dockerd for them, and a restart's wait does otherwise.
def test_security_options_are_asked_only_when_nothing_changed_and_a_strange_answer_reads_as_none(tmp_path):
    path = tmp_path / 'daemon.json'
    path.write_text('{"seccomp-profile": "/etc/docker/seccomp/web.json"}\n')
    os.chmod(str(path), 0o644)
    options = '["name=apparmor","name=seccomp,profile=/etc/docker/seccomp/web.json"]\n'
    answers = {'ok': (0, options, ''), 'down': (1, '', 'Cannot connect to the Docker daemon'),
               'text': (0, 'not json', ''), 'object': (0, '{"a": 1}', ''), 'mixed': (0, '["a", 1]', ''),
               'deep': (0, '[' * 100000 + ']' * 100000, '')}
    settings = {'seccomp-profile': '/etc/docker/seccomp/web.json'}
    for name, answer in answers.items():
        module = FakeModule(dict(path=str(path), settings=settings, backup_dir=str(tmp_path / 'b'),
                                 security_options=True), bins={'docker': '/usr/bin/docker'},
                            responder=lambda args, answer=answer: answer)
        result = m.run(module)
        assert not result['changed'], name
        assert module.commands == [['/usr/bin/docker', 'info', '--format', '{{json .SecurityOptions}}']], name
        want = json.loads(options) if name == 'ok' else None
        assert result['security_options'] == want, name
    # a change means a restart first: nothing is asked; without the option, nothing is returned
    module = FakeModule(dict(path=str(path), settings={'log-driver': 'journald'}, backup_dir=str(tmp_path / 'b'),
                             security_options=True), bins={'docker': '/usr/bin/docker'},
                        responder=lambda args: (0, options, ''))
    result = m.run(module)
    assert result['changed'] and result['security_options'] is None and module.commands == []
    module = FakeModule(dict(path=str(path), settings={}, backup_dir=str(tmp_path / 'b'), security_options=False))
    assert 'security_options' not in m.run(module) and module.commands == []
    # no docker binary
    module = FakeModule(dict(path=str(path), settings={}, backup_dir=str(tmp_path / 'b'), security_options=True),
                        bins={'docker': None})
    assert m.run(module)['security_options'] is None
