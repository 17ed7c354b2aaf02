# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The governance record: hashes taken on the host, installed_at kept while a profile is
unchanged, backups carried over, and byte-identical output on an idempotent run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from ansible_collections.confine.hardening.plugins.modules import hardening_record as m


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
