# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""podman_containers_conf: the drop-in names the profile as a TOML string a TOML reader gives back
byte for byte, whatever the path holds; a path that cannot be written safely is refused with one
sentence and nothing changes; check and diff mode; backups; absent removes only the file it wrote;
the undo item puts the host back through hardening_restore."""

import json
import os
import tomllib

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _podman_conf as conf
from ansible_collections.confine.hardening.plugins.modules import hardening_record
from ansible_collections.confine.hardening.plugins.modules import hardening_restore
from ansible_collections.confine.hardening.plugins.modules import podman_containers_conf as m

from conftest import FakeModule, run_main

PROFILE = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': []}


def setup(tmp_path, name='web.json'):
    (tmp_path / 'seccomp').mkdir(exist_ok=True)
    (tmp_path / 'conf.d').mkdir(exist_ok=True)
    profile = tmp_path / 'seccomp' / name
    profile.write_text(json.dumps(PROFILE))
    return str(profile)


def params(tmp_path, profile=None, **kw):
    out = dict(path=str(tmp_path / 'conf.d' / '50-confine-hardening.conf'), seccomp_profile=profile, state='present',
               sha256=None, backup_dir=str(tmp_path / 'backups'))
    out.update(kw)
    return out


def run(tmp_path, profile=None, check_mode=False, diff=False, **kw):
    module = FakeModule(params(tmp_path, profile, **kw), check_mode, diff)
    result = m.run(module)
    result['warnings'] = module.warnings
    return result


def snapshot(tmp_path):
    out = {}
    for dirpath, _dirs, files in os.walk(str(tmp_path)):
        for name in files:
            path = os.path.join(dirpath, name)
            out[path] = open(path, 'rb').read() if not os.path.islink(path) else 'link:' + os.readlink(path)
    return out


def test_the_drop_in_sets_the_default_and_a_second_run_changes_nothing(tmp_path):
    profile = setup(tmp_path)
    result = run(tmp_path, profile)
    path = tmp_path / 'conf.d' / '50-confine-hardening.conf'
    assert result['changed'] and not result['existed'] and 'backup_file' not in result
    assert tomllib.loads(path.read_text()) == {'containers': {'seccomp_profile': profile}}
    assert result['sha256'] == fileio.sha256(path.read_bytes()) and oct(path.stat().st_mode & 0o777) == '0o644'
    again = run(tmp_path, profile)
    assert not again['changed'] and again['sha256'] == result['sha256'] and again['existed']


@pytest.mark.parametrize('name', ['we"ird.json', 'back\\slash.json', ']x[.json', "q'uote.json", 'a"""b.json',
                                  'x = "y"\\.json', '#comment.json', 'un\u00efcode\u2028.json', '\\u0041.json',
                                  '[containers].json'])
def test_a_hostile_profile_path_is_quoted_so_toml_reads_back_the_same_path(tmp_path, name):
    profile = setup(tmp_path, name)
    run(tmp_path, profile)
    text = (tmp_path / 'conf.d' / '50-confine-hardening.conf').read_text()
    assert tomllib.loads(text) == {'containers': {'seccomp_profile': profile}}
    assert text.count('\n') == 4          # two comment lines, the table, the key: nothing injected


@pytest.mark.parametrize('profile, words', [
    ('/etc/containers/seccomp/a\nseccomp_profile = "/x".json', 'holds a control character'),
    ('/etc/containers/seccomp/a\r.json', 'holds a control character'),
    ('/etc/containers/seccomp/a\x00.json', 'holds a control character'),
    ('/etc/containers/seccomp/a\t.json', 'holds a control character'),
    ('/etc/containers/seccomp/a\x7f.json', 'holds a control character'),
    ('/etc/containers/seccomp/a\x85.json', 'holds a control character'),
    ('/etc/containers/seccomp/a\ud800.json', 'is not valid Unicode'),
    ('relative/web.json', 'is not an absolute path'),
    ('/etc/containers/seccomp/../shadow', 'is not a normalised path'),
    ('/etc/containers//seccomp/web.json', 'is not a normalised path'),
])
def test_a_profile_path_that_cannot_be_written_safely_is_refused_and_nothing_changes(tmp_path, profile, words):
    setup(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(m.ModuleError) as err:
        run(tmp_path, profile)
    assert str(err.value).startswith('seccomp_profile: ') and words in str(err.value)
    assert '\n' not in str(err.value) and snapshot(tmp_path) == before


@pytest.mark.parametrize('path, words', [
    ('{root}/conf.d/50-confine-hardening.toml', 'does not end in .conf'),
    ('{root}/conf.d/a\n.conf', 'holds a control character'),
    ('conf.d/x.conf', 'is not an absolute path'),
])
def test_a_bad_drop_in_path_is_refused(tmp_path, path, words):
    profile = setup(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(m.ModuleError) as err:
        run(tmp_path, profile, path=path.format(root=tmp_path))
    assert str(err.value).startswith('path: ') and words in str(err.value) and snapshot(tmp_path) == before


def test_a_symlink_or_a_fifo_at_the_drop_in_path_is_refused(tmp_path):
    profile = setup(tmp_path)
    path = tmp_path / 'conf.d' / '50-confine-hardening.conf'
    (tmp_path / 'target.conf').write_text('[containers]\n')
    path.symlink_to(tmp_path / 'target.conf')
    with pytest.raises(m.ModuleError, match='is a symlink'):
        run(tmp_path, profile)
    path.unlink()
    os.mkfifo(str(path))
    with pytest.raises(m.ModuleError, match='is a FIFO'):
        run(tmp_path, profile)


@pytest.mark.parametrize('content, words', [
    (None, 'does not exist'),
    ('{"defaultAction": NaN}', 'is not valid JSON'),
    ('[1]', 'holds a JSON list'),
    ('', 'is not valid JSON'),
])
def test_a_missing_or_broken_profile_is_refused_since_podman_would_fail_every_container(tmp_path, content, words):
    setup(tmp_path)
    profile = tmp_path / 'seccomp' / 'other.json'
    if content is not None:
        profile.write_text(content)
    before = snapshot(tmp_path)
    with pytest.raises(m.ModuleError) as err:
        run(tmp_path, str(profile))
    assert words in str(err.value) and snapshot(tmp_path) == before


def test_check_mode_reports_the_change_and_the_diff_and_writes_nothing(tmp_path):
    profile = setup(tmp_path)
    missing = str(tmp_path / 'seccomp' / 'not-yet.json')
    before = snapshot(tmp_path)
    result = run(tmp_path, missing, check_mode=True, diff=True)
    assert result['changed'] and snapshot(tmp_path) == before
    assert 'does not exist yet' in result['warnings'][0]
    assert result['diff']['before'] == '' and 'not-yet.json' in result['diff']['after']
    run(tmp_path, profile)
    result = run(tmp_path, profile, check_mode=True, diff=True)
    assert not result['changed'] and 'diff' not in result


def test_a_change_keeps_a_backup_of_the_previous_file(tmp_path):
    profile = setup(tmp_path)
    path = tmp_path / 'conf.d' / '50-confine-hardening.conf'
    path.write_text('[containers]\nseccomp_profile = "/usr/share/containers/seccomp.json"\n')
    path.chmod(0o600)
    result = run(tmp_path, profile, diff=True)
    assert result['existed'] and os.path.dirname(result['backup_file']) == str(tmp_path / 'backups')
    assert open(result['backup_file']).read().endswith('seccomp.json"\n')
    assert fileio.original_of(os.path.basename(result['backup_file'])) == '50-confine-hardening.conf'
    assert '/usr/share/containers/seccomp.json' in result['diff']['before']
    assert oct(path.stat().st_mode & 0o777) == '0o644'


def test_a_later_drop_in_that_sets_the_key_too_is_warned_about(tmp_path):
    profile = setup(tmp_path)
    (tmp_path / 'conf.d' / '90-site.conf').write_text('[containers]\n  seccomp_profile = "/x.json"\n')
    (tmp_path / 'conf.d' / '95-other.conf').write_text('[containers]\nlog_driver = "journald"\n')
    (tmp_path / 'conf.d' / '10-early.conf').write_text('[containers]\nseccomp_profile = "/y.json"\n')
    result = run(tmp_path, profile)
    assert result['overridden_by'] == [str(tmp_path / 'conf.d' / '90-site.conf')]
    assert '90-site.conf' in result['warnings'][0]


def test_absent_removes_only_the_file_it_wrote(tmp_path):
    profile = setup(tmp_path)
    path = tmp_path / 'conf.d' / '50-confine-hardening.conf'
    written = run(tmp_path, profile)
    # no hash given: kept
    kept = run(tmp_path, state='absent')
    assert not kept['changed'] and path.exists() and 'without the sha256' in kept['refused']
    # a foreign file (changed by hand): kept, warned about
    path.write_text('[containers]\nseccomp_profile = "/mine.json"\n')
    before = snapshot(tmp_path)
    foreign = run(tmp_path, state='absent', sha256=written['sha256'])
    assert not foreign['changed'] and snapshot(tmp_path) == before
    assert 'was changed since it was written' in foreign['warnings'][0]
    # the file as written: removed (check mode first), a backup kept for the undo
    written = run(tmp_path, profile)
    planned = run(tmp_path, state='absent', sha256=written['sha256'], check_mode=True, diff=True)
    assert planned['changed'] and path.exists() and planned['diff']['after'] == ''
    gone = run(tmp_path, state='absent', sha256=written['sha256'])
    assert gone['changed'] and not path.exists() and gone['sha256'] is None
    assert open(gone['backup_file'], 'rb').read() == conf.render(profile)
    assert not run(tmp_path, state='absent', sha256=written['sha256'])['changed']


def restore_params(tmp_path, **kw):
    out = dict(record=None, seccomp=None, apparmor=None, docker=None, kubelet=None, podman=None,
               docker_daemon_json=str(tmp_path / 'daemon.json'), kubelet_config=str(tmp_path / 'config.yaml'),
               podman_containers_conf=str(tmp_path / 'conf.d' / '50-confine-hardening.conf'),
               apparmor_dir=str(tmp_path / 'apparmor.d'), seccomp_dirs=[str(tmp_path / 'seccomp')],
               state_dir=str(tmp_path), lock_timeout=5)
    out.update(kw)
    return out


def test_hardening_restore_puts_the_previous_file_back_or_removes_the_one_the_run_made(tmp_path):
    profile = setup(tmp_path)
    path = tmp_path / 'conf.d' / '50-confine-hardening.conf'
    made = run(tmp_path, profile)
    assert conf.undo_items(made) == [{'kind': 'podman', 'name': 'containers.conf', 'path': str(path),
                                      'existed': False, 'backup': None, 'changed_file': True}]
    undone = hardening_restore.run(FakeModule(restore_params(tmp_path, podman=made)))
    assert not path.exists() and [e['action'] for e in undone['restored']] == ['removed']
    assert not undone['docker_restart_needed']
    path.write_text('[containers]\nseccomp_profile = "/usr/share/containers/seccomp.json"\n')
    old = path.read_bytes()
    replaced = run(tmp_path, profile)
    assert conf.undo_items(run(tmp_path, profile)) == []     # no change, nothing to undo
    planned = hardening_restore.run(FakeModule(restore_params(tmp_path, podman=replaced), check_mode=True))
    assert planned['changed'] and path.read_bytes() == conf.render(profile)
    hardening_restore.run(FakeModule(restore_params(tmp_path, podman=replaced)))
    assert path.read_bytes() == old


def test_hardening_restore_refuses_a_podman_item_outside_its_one_path(tmp_path):
    setup(tmp_path)
    victim = tmp_path / 'conf.d' / 'victim.conf'
    victim.write_text('keep')
    result = hardening_restore.run(FakeModule(restore_params(
        tmp_path, podman={'changed': True, 'existed': False, 'path': str(victim)})))
    assert victim.exists() and 'is not podman_containers_conf' in result['refused'][0]['reason']
    backup = tmp_path / 'podman' / 'victim.conf.2026-12-02@10:00:00.000001'
    backup.parent.mkdir()
    backup.write_text('x')
    result = hardening_restore.run(FakeModule(restore_params(tmp_path, podman={
        'changed': True, 'existed': True, 'path': str(tmp_path / 'conf.d' / '50-confine-hardening.conf'),
        'backup_file': str(backup)})))
    assert 'is not a backup of' in result['refused'][0]['reason']


def test_main_runs_through_the_argument_spec(tmp_path):
    profile = setup(tmp_path)
    result = run_main(m, params(tmp_path, profile), diff=True)
    assert result['changed'] and not result.get('failed'), result
    failed = run_main(m, params(tmp_path, None))
    assert failed['failed'] and 'seccomp_profile' in failed['msg']
    failed = run_main(m, params(tmp_path, '/etc/containers/seccomp/a\nb.json'))
    assert failed['failed'] and failed['msg'].startswith('seccomp_profile: ') and '\n' not in failed['msg']


def test_the_record_keeps_the_undo_item_with_its_hash_and_the_rollback_applies_it(tmp_path):
    profile = setup(tmp_path)
    path = tmp_path / 'conf.d' / '50-confine-hardening.conf'
    fact = tmp_path / 'facts.d' / 'confine_hardening.fact'
    fact.parent.mkdir()
    made = run(tmp_path, profile)
    module = FakeModule({'path': str(fact), 'stage': 'enforce', 'collection_version': '0.1.0', 'seccomp': [],
                         'apparmor': [], 'runtime': {'podman_default_seccomp': 'web'}, 'docker': {}, 'kubelet': {},
                         'podman': made, 'backup_dir': str(tmp_path / 'record'), 'extra': {}, 'audit_lost': None,
                         'boot_id': None, 'lock_timeout': 5})
    record = hardening_record.run(module)['record']
    assert record['undo'][0] == {'kind': 'podman', 'name': 'containers.conf', 'path': str(path), 'existed': False,
                                 'backup': None, 'changed_file': True, 'sha256': made['sha256']}
    # edited by hand since: the rollback keeps it (and goes back past the record, which it made)
    saved = fact.read_bytes()
    path.write_text('[containers]\n')
    kept = hardening_restore.run(FakeModule(restore_params(tmp_path, record=str(fact))))
    assert path.exists() and 'was changed since it was written' in kept['refused'][0]['reason']
    path.write_bytes(conf.render(profile))
    fact.write_bytes(saved)
    rolled = hardening_restore.run(FakeModule(restore_params(tmp_path, record=str(fact))))
    assert not path.exists() and not fact.exists(), rolled


def test_a_podman_result_of_the_wrong_shape_is_one_sentence_in_the_record(tmp_path):
    module = FakeModule({'path': str(tmp_path / 'r.fact'), 'stage': 'enforce', 'collection_version': '0.1.0',
                         'seccomp': [], 'apparmor': [], 'runtime': {}, 'docker': {}, 'kubelet': {},
                         'podman': {'changed': True, 'path': ['/etc/passwd']}, 'backup_dir': str(tmp_path / 'b'),
                         'extra': {}, 'audit_lost': None, 'boot_id': None, 'lock_timeout': 5})
    with pytest.raises(hardening_record.RecordError, match='podman.path must be a path'):
        hardening_record.run(module)
