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
    record = m.build(params(seccomp, apparmor), {})
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
    first = m.build(params(seccomp, apparmor), {})
    monkeypatch.setattr(m, 'now', lambda: '2026-02-02T00:00:00+00:00')
    apparmor[0]['backup_file'] = None        # an idempotent run makes no backup
    again = m.build(params(seccomp, apparmor), json.loads(json.dumps(first)))
    assert json.dumps(again, sort_keys=True) == json.dumps(first, sort_keys=True)
    (tmp_path / 'web-aa').write_text('changed')
    third = m.build(params(seccomp, apparmor), again)
    aa, sc = third['profiles']
    assert aa['installed_at'] == '2026-02-02T00:00:00+00:00' and sc['installed_at'] == '2026-01-01T00:00:00+00:00'
    assert aa['backup'] == [str(tmp_path / 'bak')] and third['updated_at'] == '2026-02-02T00:00:00+00:00'
