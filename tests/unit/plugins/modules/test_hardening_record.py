# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The governance record: hashes taken on the host, installed_at kept while a profile is
unchanged, backups carried over, and byte-identical output on an idempotent run."""

import hashlib
import json
import os

import pytest

from ansible_collections.confine.hardening.plugins.modules import hardening_record as m

from conftest import FakeModule, run_main


def results(tmp_path, text='profile'):
    web = tmp_path / 'web.json'
    web.write_text('{}\n')
    aa = tmp_path / 'web-aa'
    aa.write_text(text)
    seccomp = [{'name': 'web', 'state': 'present', 'mode': 'enforce', 'preset': 'hardened', 'owner': 'team',
                'source': 'git', 'backup_files': [], 'files': [{'path': str(web), 'target': 'docker'}]}]
    apparmor = [{'name': 'web-aa', 'state': 'present', 'mode': 'complain', 'kernel_mode': 'complain',
                 'path': str(aa), 'owner': 'team', 'source': 'git', 'backup_file': str(tmp_path / 'bak')},
                {'name': 'gone', 'state': 'absent', 'path': str(tmp_path / 'gone')}]
    return seccomp, apparmor


def params(seccomp, apparmor):
    return {'stage': 'observe', 'collection_version': '0.1.0', 'seccomp': seccomp, 'apparmor': apparmor,
            'runtime': {'docker_default_seccomp': 'web'}}


def test_record_lists_profiles_with_hashes_taken_on_the_host(tmp_path):
    seccomp, apparmor = results(tmp_path)
    record = m.build(params(seccomp, apparmor), {})[0]
    assert [(p['kind'], p['name']) for p in record['profiles']] == [('apparmor', 'web-aa'), ('seccomp', 'web')]
    aa, sc = record['profiles']
    assert aa['files'] == [{'path': str(tmp_path / 'web-aa'), 'target': 'apparmor',
                            'sha256': hashlib.sha256(b'profile').hexdigest()}]
    assert aa['backup'] == [str(tmp_path / 'bak')] and aa['kernel_mode'] == 'complain' and aa['stage'] == 'observe'
    assert sc['targets'] == ['docker'] and sc['owner'] == 'team' and sc['preset'] == 'hardened'
    assert record['collection'] == {'name': 'confine.hardening', 'version': '0.1.0'}
    assert record['runtime'] == {'docker_default_seccomp': 'web'}


def test_unchanged_profiles_keep_installed_at_and_the_record_is_identical(tmp_path, monkeypatch):
    seccomp, apparmor = results(tmp_path)
    monkeypatch.setattr(m, 'now', lambda: '2026-01-01T00:00:00+00:00')
    first = m.build(params(seccomp, apparmor), {})[0]
    monkeypatch.setattr(m, 'now', lambda: '2026-02-02T00:00:00+00:00')
    apparmor[0]['backup_file'] = None        # an idempotent run makes no backup
    again = m.build(params(seccomp, apparmor), json.loads(json.dumps(first)))[0]
    assert json.dumps(again, sort_keys=True) == json.dumps(first, sort_keys=True)
    (tmp_path / 'web-aa').write_text('changed')
    third = m.build(params(seccomp, apparmor), again)[0]
    aa, sc = third['profiles']
    assert aa['installed_at'] == '2026-02-02T00:00:00+00:00' and sc['installed_at'] == '2026-01-01T00:00:00+00:00'
    assert aa['backup'] == [str(tmp_path / 'bak')] and third['updated_at'] == '2026-02-02T00:00:00+00:00'


def test_stage_since_is_kept_while_the_stage_stays_and_moves_with_it(tmp_path, monkeypatch):
    seccomp, apparmor = results(tmp_path)
    monkeypatch.setattr(m, 'now', lambda: '2026-01-01T00:00:00+00:00')
    first = m.build(params(seccomp, apparmor), {})[0]
    monkeypatch.setattr(m, 'now', lambda: '2026-01-03T00:00:00+00:00')
    again = m.build(params(seccomp, apparmor), first)[0]
    assert again['stage_since'] == '2026-01-01T00:00:00+00:00'
    enforce = dict(params(seccomp, apparmor), stage='enforce')
    promoted = m.build(enforce, again)[0]
    assert promoted['stage'] == 'enforce' and promoted['stage_since'] == '2026-01-03T00:00:00+00:00'


def test_a_changing_run_writes_a_fresh_undo_log_and_an_idle_run_keeps_it(tmp_path):
    seccomp, apparmor = results(tmp_path)
    seccomp[0].update(changed=True, created=[str(tmp_path / 'web.json')], replaced=[])
    apparmor[0].update(changed=True, existed=True, disabled_before=False, kernel_mode_before='enforce')
    docker = {'changed': True, 'existed': True, 'path': '/etc/docker/daemon.json',
              'backup_file': '/var/lib/confine/docker/daemon.json.2026-01-01@00:00:00'}
    record, fresh = m.build(dict(params(seccomp, apparmor), docker=docker), {})
    assert fresh
    assert [(i['kind'], i['existed'], i['backup']) for i in record['undo']] == [
        ('seccomp', False, None), ('apparmor', True, str(tmp_path / 'bak')),
        ('docker', True, '/var/lib/confine/docker/daemon.json.2026-01-01@00:00:00')]
    for r in seccomp + apparmor:
        r['changed'] = False
    again, fresh = m.build(params(seccomp, apparmor), json.loads(json.dumps(record)))
    assert not fresh and again['undo'] == record['undo'] and again['updated_at'] == record['updated_at']


def test_the_previous_record_is_copied_and_joins_the_undo_log(tmp_path):
    path = tmp_path / 'facts.d' / 'confine_hardening.fact'
    record = {'undo': [{'kind': 'seccomp', 'path': '/x', 'existed': False, 'backup': None, 'changed_file': True}]}
    m.add_record_undo(record, str(path), b'{"old": 1}', str(tmp_path / 'bak'), check_mode=False)
    item = record['undo'][-1]
    assert item['kind'] == 'record' and item['existed'] and item['path'] == str(path)
    assert open(item['backup'], 'rb').read() == b'{"old": 1}'
    first = {'undo': [dict(record['undo'][0])]}
    m.add_record_undo(first, str(path), None, str(tmp_path / 'bak2'), check_mode=False)
    assert first['undo'][-1] == {'kind': 'record', 'name': 'confine_hardening.fact', 'path': str(path),
                                 'existed': False, 'backup': None, 'changed_file': True}


def test_the_lost_record_counter_is_kept_from_the_start_of_the_stage(tmp_path):
    seccomp, apparmor = results(tmp_path)
    first = m.build(dict(params(seccomp, apparmor), audit_lost=3, boot_id='b1'), {})[0]
    later = m.build(dict(params(seccomp, apparmor), audit_lost=9, boot_id='b1'), first)[0]
    assert first['audit_lost_at_stage_start'] == later['audit_lost_at_stage_start'] == {'lost': 3, 'boot_id': 'b1'}
    promoted = m.build(dict(params(seccomp, apparmor), stage='enforce', audit_lost=9, boot_id='b2'), later)[0]
    assert promoted['audit_lost_at_stage_start'] == {'lost': 9, 'boot_id': 'b2'}


def full_params(tmp_path, **kw):
    p = dict(path=str(tmp_path / 'facts.d' / 'confine_hardening.fact'), stage='enforce', collection_version='0.2.0',
             seccomp=[], apparmor=[], runtime={}, docker={}, kubelet={}, extra={}, audit_lost=None, boot_id=None,
             backup_dir=str(tmp_path / 'record'), lock_timeout=5)
    p.update(kw)
    return p


@pytest.mark.parametrize('field, value, message', [
    ('seccomp', [{}], 'seccomp[0].name must be a profile name'),
    ('seccomp', ['web'], 'seccomp[0] must be a result of confine.hardening.seccomp_profile (a mapping), not a str'),
    ('seccomp', [{'name': '../x'}], "seccomp[0].name must be a profile name"),
    ('seccomp', [{'name': 'web', 'files': {'a': 1}}], 'seccomp[0].files must be a list, not a dict'),
    ('seccomp', [{'name': 'web', 'files': [{'target': 'docker'}]}], 'seccomp[0].files[0] must be a mapping with a path'),
    ('seccomp', [{'name': 'web', 'created': '/x'}], 'seccomp[0].created must be a list of paths'),
    ('apparmor', [{'name': 'web'}], 'apparmor[0].profile_file must be the path of the profile file'),
    ('apparmor', [{'name': 'web', 'path': '/x', 'backup_file': 5}], 'apparmor[0].backup_file must be a path'),
    ('docker', {'path': ['/x']}, 'docker.path must be a path'),
    ('runtime', {'a': float('nan')}, 'runtime.a is nan'),
    ('extra', {'gate': {'why': '\ud800'}}, 'extra.gate.why holds a string that is not valid Unicode'),
])
# issue 11 item 21: hardening_record given seccomp: [{}] (and other shapes) fails in one sentence
def test_results_of_the_wrong_shape_fail_in_one_sentence_naming_the_field(tmp_path, field, value, message):
    with pytest.raises(m.RecordError) as err:
        m.run(FakeModule(full_params(tmp_path, **{field: value})))
    assert str(err.value).startswith(message) and '\n' not in str(err.value)
    assert not (tmp_path / 'facts.d').exists()


def test_a_previous_record_of_the_wrong_shape_is_replaced_with_a_warning(tmp_path):
    path = tmp_path / 'facts.d' / 'confine_hardening.fact'
    path.parent.mkdir()
    path.write_text(json.dumps({'profiles': 5, 'runtime': [1], 'undo': 'x', 'stage': 'enforce', 'stage_since': 7}))
    mod = FakeModule(full_params(tmp_path))
    result = m.run(mod)
    assert result['record']['profiles'] == [] and result['record']['undo'] == []
    assert sorted(w.split(' is a ')[0] for w in mod.warnings) == [
        "the previous record's profiles", "the previous record's runtime", "the previous record's stage_since",
        "the previous record's undo"]
    for text in ('[' * 100000, '{"a": NaN', '\ud800'):
        path.write_text(text, errors='surrogatepass')
        assert m.run(FakeModule(full_params(tmp_path)))['changed']


# issue 11 item 11
def test_two_records_within_a_second_keep_two_backups(tmp_path, monkeypatch):
    monkeypatch.setattr(m.fileio, 'backup_path', lambda p: p + '.2026-01-01@00:00:00~')
    path = str(tmp_path / 'facts.d' / 'confine_hardening.fact')
    backups = []
    for version in ('old-1', 'old-2'):
        record = {'undo': [{'kind': 'seccomp', 'path': '/x'}]}
        m.add_record_undo(record, path, version.encode(), str(tmp_path / 'record'), check_mode=False)
        backups.append(record['undo'][-1]['backup'])
    assert backups[0] != backups[1] and [open(b).read() for b in backups] == ['old-1', 'old-2']


# issue 11 item 8: the rollback removes a file the run made only while it still has this hash
def test_every_undo_item_carries_the_hash_of_its_file_as_the_run_left_it(tmp_path):
    seccomp, apparmor = results(tmp_path)
    seccomp[0].update(changed=True, created=[str(tmp_path / 'web.json')], replaced=[])
    record, _fresh = m.build(params(seccomp, []), {})
    assert record['undo'][0]['sha256'] == hashlib.sha256(b'{}\n').hexdigest()


# issue 11 item 10
def test_a_symlinked_record_is_written_through(tmp_path):
    real = tmp_path / 'elsewhere' / 'record.json'
    real.parent.mkdir()
    real.write_text('{}')
    link = tmp_path / 'facts.d' / 'confine_hardening.fact'
    link.parent.mkdir()
    os.symlink(str(real), str(link))
    m.run(FakeModule(full_params(tmp_path)))
    assert os.path.islink(str(link)) and json.loads(real.read_text())['stage'] == 'enforce'


def test_check_mode_writes_nothing(tmp_path):
    seccomp, apparmor = results(tmp_path)
    seccomp[0].update(changed=True, created=[str(tmp_path / 'web.json')], replaced=[])
    (tmp_path / 'facts.d').mkdir()
    (tmp_path / 'facts.d' / 'confine_hardening.fact').write_text('{}')
    listing = sorted(os.listdir(str(tmp_path)))
    result = m.run(FakeModule(full_params(tmp_path, seccomp=seccomp), check_mode=True))
    assert result['changed'] and sorted(os.listdir(str(tmp_path))) == listing
    assert (tmp_path / 'facts.d' / 'confine_hardening.fact').read_text() == '{}'


# issue 11 item 21
def test_a_previous_record_with_nan_or_odd_profiles_is_replaced_not_a_traceback(tmp_path):
    path = tmp_path / 'facts.d' / 'confine_hardening.fact'
    path.parent.mkdir()
    path.write_text('{"profiles": [{"kind": "seccomp", "name": ["x"]}, {"kind": "seccomp", "name": "web", '
                    '"installed_at": NaN}], "stage": "enforce"}')
    mod = FakeModule(full_params(tmp_path))
    result = m.run(mod)
    assert result['changed'] and 'cannot be written back as JSON (record.profiles[1].installed_at is nan' in mod.warnings[0]
    json.loads(path.read_text())


def test_main_writes_the_record_through_the_argument_spec(tmp_path):
    seccomp, apparmor = results(tmp_path)
    args = dict(path=str(tmp_path / 'facts.d' / 'confine_hardening.fact'), stage='observe', collection_version='0.2.0',
                seccomp=seccomp, apparmor=apparmor, backup_dir=str(tmp_path / 'record'))
    planned = run_main(m, args, check_mode=True, diff=True)
    assert planned['changed'] and planned['diff']['before'] == '' and not os.path.exists(args['path'])
    written = run_main(m, args)
    assert written['changed'] and json.loads(open(args['path']).read()) == written['record']
    assert written['record']['stage'] == 'observe' and 'diff' not in written
    assert run_main(m, args)['changed'] is False


def test_main_fails_in_one_sentence(tmp_path, monkeypatch):
    args = dict(path=str(tmp_path / 'r.fact'), stage='observe', collection_version='0.2.0')
    assert run_main(m, dict(args, stage='later'))['msg'].startswith('value of stage must be one of: observe, enforce')
    assert run_main(m, dict(args, seccomp=[{}])) == {
        'failed': True, 'msg': "seccomp[0].name must be a profile name (letters, digits, \".\", \"_\", \"-\"), not None"}

    class Held(object):
        def __init__(self, *args):
            pass

        def __enter__(self):
            raise m.lock.LockTimeout(110, '%s: another process kept the governance record locked for more than 60 '
                                          'seconds' % tmp_path)

        def __exit__(self, *exc):
            return False
    monkeypatch.setattr(m.lock, 'dir_lock', Held)
    assert run_main(m, args) == {'failed': True, 'msg': 'lock_timeout: %s: another process kept the governance record '
                                                        'locked for more than 60 seconds' % tmp_path}


def test_main_returns_the_warnings_of_the_module(tmp_path):
    path = tmp_path / 'r.fact'
    path.write_text('[1, 2]')
    args = dict(path=str(path), stage='observe', collection_version='0.2.0', backup_dir=str(tmp_path / 'record'))
    result = run_main(m, args)
    assert result['changed'] and result['warnings'] == [
        'the previous record %s is not a JSON object; it is replaced (its copy is kept in %s)' % (path, tmp_path / 'record')]
    assert 'warnings' not in run_main(m, args)


def test_the_record_directory_is_made_when_missing_but_not_in_check_mode(tmp_path):
    params = full_params(tmp_path)
    params['path'] = str(tmp_path / 'facts.d' / 'confine_hardening.fact')
    mod = FakeModule(params, check_mode=True)
    m.locked_run(mod)
    assert not (tmp_path / 'facts.d').exists()
    m.locked_run(FakeModule(params))
    assert (tmp_path / 'facts.d' / 'confine_hardening.fact').is_file()
    assert os.stat(tmp_path / 'facts.d').st_mode & 0o777 == 0o755


def test_a_runtime_default_profile_records_the_default_it_follows_and_others_do_not(tmp_path):
    seccomp, apparmor = results(tmp_path)
    source = {'runtime': 'docker', 'version': '26.1.5', 'how': 'auto', 'note': None}
    seccomp.append(dict(seccomp[0], name='rd', preset='runtime-default', runtime_default='docker-26',
                        runtime_default_source=source))
    record = m.build(params(seccomp, apparmor), {})[0]
    entries = dict((p['name'], p) for p in record['profiles'])
    assert entries['rd']['runtime_default'] == 'docker-26' and entries['rd']['runtime_default_source'] == source
    assert 'runtime_default' not in entries['web']
