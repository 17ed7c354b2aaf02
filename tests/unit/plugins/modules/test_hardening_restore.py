# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The undo of a run, end to end on the modules' real results: a run installs a new profile
and replaces another (with backups), and hardening_restore puts every byte back, removes
what the run made, loads AppArmor profiles again in the mode they had, refuses (changing
nothing) when a backup is gone, and applies the undo log kept in the governance record.

The kernel side of AppArmor is a fake (this machine's kernel has no AppArmor); the real
kernel is exercised on the lab hosts (molecule/fleet)."""

import json
import os
import re
import shutil

import pytest
from conftest import FakeModule as SharedFakeModule, run_main

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_host as aa_host
from ansible_collections.confine.hardening.plugins.modules import apparmor_profile as aa
from ansible_collections.confine.hardening.plugins.modules import hardening_record as record_mod
from ansible_collections.confine.hardening.plugins.modules import hardening_restore as m
from ansible_collections.confine.hardening.plugins.modules import seccomp_profile as sc

PARSER = shutil.which('apparmor_parser') or '/usr/sbin/apparmor_parser'


class Kernel(object):
    """securityfs as both modules see it, and what apparmor_parser -r loads."""

    def __init__(self, root):
        self.fs = root / 'securityfs'
        (self.fs / 'apparmor').mkdir(parents=True)
        self.enabled = root / 'enabled'
        self.enabled.write_text('Y\n')
        self.profiles = {}
        self.write()

    def write(self):
        (self.fs / 'apparmor' / 'profiles').write_text(
            ''.join('%s (%s)\n' % item for item in sorted(self.profiles.items())))

    def load(self, path, complain=False):
        text = open(path).read()
        name = re.search(r'^profile (\S+)', text, re.M).group(1)
        complain = complain or re.search(r'flags=\([^)]*complain', text)
        self.profiles[name] = 'complain' if complain else 'enforce'
        self.write()
        return 0, '', ''

    def unload(self, name):
        self.profiles.pop(name, None)
        self.write()


def FakeModule(params, kernel=None, check_mode=False, diff=False):  # pylint: disable=invalid-name
    """The shared FakeModule, with this machine's apparmor_parser and the fake kernel behind ``-r``."""
    def responder(args):
        if args[0] == PARSER and args[1] == '-r':
            return kernel.load(args[-1], complain='-C' in args)
        return None     # run for real
    return SharedFakeModule(params, check_mode=check_mode, diff=diff, bins={'apparmor_parser': PARSER},
                            responder=responder, kernel=kernel)


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    k = Kernel(tmp_path)
    monkeypatch.setattr(aa_host, 'SECURITYFS', str(k.fs))
    monkeypatch.setattr(aa_host, 'CACHE_GLOB', str(tmp_path / 'cache' / '*' / '%s'))
    monkeypatch.setattr(aa_host, 'unload', k.unload)
    monkeypatch.setattr(aa_host, 'ENABLED', str(k.enabled))
    monkeypatch.setattr(aa_host, '_USERNS', {})
    (tmp_path / 'apparmor.d').mkdir()
    return k


def defaults(spec):
    return dict((key, opt.get('default')) for key, opt in spec.items())


def seccomp(root, **kw):
    p = defaults(sc.argument_spec())
    p.update(docker_dir=str(root / 'docker'), kubelet_root=str(root / 'kubelet'), targets=['docker', 'kubelet'],
             state_dir=str(root / 'state'), name='web', preset='hardened', backup=True)
    p.update(kw)
    return sc.run(FakeModule(p))


def apparmor(root, kernel, **kw):
    p = defaults(aa.argument_spec())
    p.update(apparmor_dir=str(root / 'apparmor.d'), backup_dir=str(root / 'backups'), name='web-aa',
             preset='container-default', backup=True)
    p.update(kw)
    return aa.run(FakeModule(p, kernel))


def tree(root, skip=('backups', 'securityfs')):
    """Every file under root but backups and the fake kernel: path -> bytes."""
    out = {}
    for dirpath, dirs, files in os.walk(str(root)):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            if not name.endswith('~') and not re.search(r'\d{4}-\d\d-\d\d@', name):
                path = os.path.join(dirpath, name)
                out[os.path.relpath(path, str(root))] = open(path, 'rb').read()
    return out


ROOT = {}


@pytest.fixture(autouse=True)
def scratch_dirs(tmp_path):
    """Every directory option of hardening_restore points into the test's scratch directory."""
    ROOT['path'] = tmp_path
    yield
    ROOT.clear()


def restore_params(root, **params):
    full = dict(record=None, seccomp=None, apparmor=None, docker=None, kubelet=None,
                docker_daemon_json=str(root / 'daemon.json'), kubelet_config=str(root / 'config.yaml'),
                apparmor_dir=str(root / 'apparmor.d'), state_dir=str(root), lock_timeout=5,
                seccomp_dirs=[str(root / d) for d in ('docker', 'kubelet/seccomp/profiles', 'state')])
    full.update(params)
    return full


def restore(kernel, check_mode=False, diff=False, **params):
    full = restore_params(ROOT['path'], **params)
    return m.run(FakeModule(full, kernel, check_mode=check_mode, diff=diff))


@pytest.mark.skipif(not os.path.exists(PARSER), reason='apparmor_parser is not installed')
def test_a_run_is_undone_byte_for_byte_and_the_kernel_goes_back(tmp_path, kernel):
    seccomp(tmp_path)
    apparmor(tmp_path, kernel, mode='complain')
    before, loaded = tree(tmp_path), dict(kernel.profiles)

    # the run: web gets stricter, api is new, web-aa goes to enforce, api-aa is new
    run_sc = [seccomp(tmp_path, syscalls=[{'names': ['chmod'], 'action': 'SCMP_ACT_ERRNO'}]),
              seccomp(tmp_path, name='api')]
    run_aa = [apparmor(tmp_path, kernel, mode='enforce'), apparmor(tmp_path, kernel, name='api-aa', mode='enforce')]
    assert all(r['changed'] for r in run_sc + run_aa)
    assert tree(tmp_path) != before and kernel.profiles == {'web-aa': 'enforce', 'api-aa': 'enforce'}

    planned = restore(kernel, check_mode=True, diff=True, seccomp=run_sc, apparmor=run_aa)
    assert planned['changed'] and not planned['restored'] and tree(tmp_path) != before
    assert any(d['before_header'].endswith('docker/web.json') for d in planned['diff'])

    result = restore(kernel, seccomp=run_sc, apparmor=run_aa)
    assert result['changed'] and not result['docker_restart_needed']
    assert tree(tmp_path) == before
    assert kernel.profiles == loaded == {'web-aa': 'complain'}
    actions = dict((e['path'], e['action']) for e in result['restored'])
    assert actions[str(tmp_path / 'docker/api.json')] == 'removed'
    assert actions[str(tmp_path / 'docker/web.json')] == 'restored'
    # nothing is left to do
    assert restore(kernel, seccomp=run_sc, apparmor=run_aa)['changed'] is False


def test_a_missing_backup_fails_and_changes_nothing(tmp_path):
    seccomp(tmp_path)
    run_sc = [seccomp(tmp_path, syscalls=[{'names': ['chmod'], 'action': 'SCMP_ACT_ERRNO'}]),
              seccomp(tmp_path, name='api')]
    os.unlink(run_sc[0]['backup_files'][0])
    after = tree(tmp_path)
    with pytest.raises(m.RestoreError, match=r'cannot restore, nothing was changed: the backup .* is gone'):
        restore(None, seccomp=run_sc)
    assert tree(tmp_path) == after


def test_without_backups_a_replaced_file_is_refused(tmp_path):
    seccomp(tmp_path, backup=False)
    run_sc = [seccomp(tmp_path, backup=False, syscalls=[{'names': ['chmod'], 'action': 'SCMP_ACT_ERRNO'}])]
    with pytest.raises(m.RestoreError, match=r'web.json was replaced without a backup \(backup was off\)'):
        restore(None, seccomp=run_sc)


def test_daemon_json_goes_back_and_asks_for_a_restart(tmp_path):
    path = tmp_path / 'daemon.json'
    backup = tmp_path / 'daemon.json.2026-01-01@00:00:00'
    path.write_text('{"seccomp-profile": "/etc/docker/seccomp/web.json"}\n')
    backup.write_text('{"log-driver": "journald"}\n')
    result = restore(None, docker={'changed': True, 'existed': True, 'path': str(path), 'backup_file': str(backup)})
    assert result['docker_restart_needed'] and path.read_text() == '{"log-driver": "journald"}\n'
    made = restore(None, docker={'changed': True, 'existed': False, 'path': str(path)})
    assert made['docker_restart_needed'] and not path.exists()


def test_a_restored_daemon_wide_default_profile_asks_for_a_restart(tmp_path):
    seccomp(tmp_path)
    run_sc = [seccomp(tmp_path, syscalls=[{'names': ['chmod'], 'action': 'SCMP_ACT_ERRNO'}])]
    daemon = tmp_path / 'daemon.json'
    daemon.write_text(json.dumps({'seccomp-profile': str(tmp_path / 'docker/web.json')}))
    assert restore(None, check_mode=True, seccomp=run_sc, docker_daemon_json=str(daemon))['docker_restart_needed']
    assert restore(None, seccomp=run_sc, docker_daemon_json=str(daemon))['docker_restart_needed']
    daemon.write_text('{}')
    run_sc = [seccomp(tmp_path, syscalls=[{'names': ['chmod'], 'action': 'SCMP_ACT_ERRNO'}])]
    assert not restore(None, seccomp=run_sc, docker_daemon_json=str(daemon))['docker_restart_needed']


def test_rollback_from_the_record_goes_one_run_back_each_time(tmp_path, monkeypatch):
    fact = tmp_path / 'facts.d' / 'confine_hardening.fact'
    fact.parent.mkdir()

    def write_record(results):
        previous = record_mod.read_record(str(fact))
        params = {'stage': 'enforce', 'collection_version': '0.1.0', 'seccomp': results, 'apparmor': [],
                  'runtime': {}, 'docker': {}}
        rec, fresh = record_mod.build(params, previous)
        if fresh:
            record_mod.add_record_undo(rec, str(fact), record_mod.fileio.read_bytes(str(fact)),
                                       str(tmp_path / 'backups' / 'record'), False)
        fact.write_text(json.dumps(rec, indent=2, sort_keys=True) + '\n')

    write_record([seccomp(tmp_path)])
    first = tree(tmp_path)
    monkeypatch.setattr(sc.fileio, 'backup_path', lambda p: p + '.2026-01-02@00:00:00~')
    write_record([seccomp(tmp_path, syscalls=[{'names': ['chmod'], 'action': 'SCMP_ACT_ERRNO'}])])
    assert tree(tmp_path) != first
    rolled = restore(None, record=str(fact))
    assert rolled['changed'] and tree(tmp_path) == first
    # one more rollback undoes the first run: its files go, and so does the record
    again = restore(None, record=str(fact))
    assert again['changed'] and not fact.exists() and not (tmp_path / 'docker/web.json').exists()


def test_a_record_without_an_undo_log_is_refused(tmp_path):
    fact = tmp_path / 'r.fact'
    fact.write_text('{"profiles": []}\n')
    with pytest.raises(m.RestoreError, match='has no undo log'):
        restore(None, record=str(fact))
    never = restore(None, record=str(tmp_path / 'none'))
    assert not never['changed'] and 'this host was never hardened, nothing to roll back' in never['msg']


@pytest.mark.skipif(not os.path.exists(PARSER), reason='apparmor_parser is not installed')
def test_an_apparmor_file_replaced_without_a_backup_is_refused(tmp_path, kernel):
    apparmor(tmp_path, kernel, mode='complain', backup=False)
    changed = [apparmor(tmp_path, kernel, mode='enforce', backup=False)]
    assert changed[0]['file_changed'] and 'backup_file' not in changed[0]
    with pytest.raises(m.RestoreError, match=r'web-aa was replaced without a backup'):
        restore(kernel, apparmor=changed)
    # only the mode in the kernel changed (no file write): the undo reloads the file as it is
    kernel.profiles['web-aa'] = 'complain'
    kernel.write()
    relinked = apparmor(tmp_path, kernel, mode='enforce', backup=False)
    assert relinked['changed'] and not relinked['file_changed']
    result = restore(kernel, apparmor=[relinked])
    assert [e['action'] for e in result['restored']] == ['reloaded']


@pytest.mark.skipif(not os.path.exists(PARSER), reason='apparmor_parser is not installed')
def test_a_batch_that_fails_part_way_returns_what_it_applied_and_that_is_undone(tmp_path, kernel, monkeypatch):
    apparmor(tmp_path, kernel, mode='complain')
    before, loaded = tree(tmp_path), dict(kernel.profiles)
    real = kernel.load

    def load(path, complain=False):
        if path.endswith('/zz-fails'):
            return 1, '', 'apparmor_parser: Unable to replace "zz-fails".  Permission denied'
        return real(path, complain)
    kernel.load = load
    p = defaults(aa.argument_spec())
    p.update(apparmor_dir=str(tmp_path / 'apparmor.d'), backup_dir=str(tmp_path / 'backups'), backup=True,
             profiles=[{'name': 'web-aa', 'preset': 'container-default', 'mode': 'enforce'},
                       {'name': 'new-aa', 'preset': 'container-default', 'mode': 'enforce'},
                       {'name': 'zz-fails', 'preset': 'container-default', 'mode': 'enforce'}])
    mod = FakeModule(p, kernel)
    with pytest.raises(aa.ProfileError) as err:
        aa.batch.run_batch(mod, aa.argument_spec(), aa.run, aa.ProfileError)
    applied = err.value.extra['profiles']
    assert [r['name'] for r in applied] == ['web-aa', 'new-aa']
    assert 'profiles changed before it: web-aa, new-aa' in str(err.value)
    restore(kernel, apparmor=applied)
    assert tree(tmp_path) == before and kernel.profiles == loaded


def test_the_kubelet_config_goes_back(tmp_path):
    config = tmp_path / 'config.yaml'
    backup = tmp_path / 'config.yaml.4242.2026-01-01@00:00:00~'
    config.write_text('kind: KubeletConfiguration\nseccompDefault: true\n')
    backup.write_text('kind: KubeletConfiguration\n')
    os.chmod(str(backup), 0o600)
    result = restore(None, kubelet={'changed': True, 'backup': str(backup), 'path': str(config)})
    assert result['restored'][0]['kind'] == 'kubelet' and config.read_text() == 'kind: KubeletConfiguration\n'
    assert oct(os.stat(str(config)).st_mode & 0o777) == '0o600'


def snapshot(root):
    """Every file and link under root (backups and the fake kernel included): path -> bytes or link target."""
    out = {}
    for dirpath, dirs, files in os.walk(str(root)):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            out[path] = ('link:' + os.readlink(path)) if os.path.islink(path) else open(path, 'rb').read()
    return out


def hostile_record(root, items):
    fact = root / 'facts.d' / 'confine_hardening.fact'
    fact.parent.mkdir(exist_ok=True)
    fact.write_text(json.dumps({'undo': items}))
    return fact


@pytest.mark.parametrize('item, reason', [
    ({'kind': 'apparmor', 'name': '../../victim', 'path': '{root}/apparmor.d/../../victim', 'existed': False,
      'changed_file': True}, "its name: '../../victim' is not a valid profile name"),
    ({'kind': 'apparmor', 'name': 'web', 'path': '{root}/victim', 'existed': False, 'changed_file': True},
     'its path {root}/victim is not {root}/apparmor.d/web'),
    ({'kind': 'apparmor', 'name': 'web.dpkg-old', 'path': '{root}/apparmor.d/web.dpkg-old', 'existed': False,
      'changed_file': True}, "ends in '.dpkg-old'"),
    ({'kind': 'seccomp', 'name': 'victim', 'path': '{root}/victim', 'existed': False, 'changed_file': True},
     'its path {root}/victim is not a file of profile victim'),
    ({'kind': 'seccomp', 'name': 'victim', 'path': '{root}/outside/victim.json', 'existed': False,
      'changed_file': True}, 'is outside the directories this module manages for seccomp'),
    ({'kind': 'seccomp', 'name': 'web', 'path': '{root}/docker/web.json', 'existed': True, 'changed_file': True,
      'backup': '{root}/victim'}, 'its backup {root}/victim is outside the backup directories'),
    ({'kind': 'docker', 'name': 'daemon.json', 'path': '{root}/victim', 'existed': False, 'changed_file': True},
     'its path {root}/victim is not docker_daemon_json'),
    ({'kind': 'docker', 'name': 'daemon.json', 'path': '{root}/daemon.json', 'existed': True, 'changed_file': True,
      'backup': '{root}/docker/victim'}, 'is not a backup of {root}/daemon.json'),
    ({'kind': 'kubelet', 'name': 'k', 'path': '{root}/victim', 'existed': False, 'changed_file': True},
     'its path {root}/victim is not kubelet_config'),
    ({'kind': 'record', 'name': 'r', 'path': '{root}/victim', 'existed': False, 'changed_file': True},
     'its path {root}/victim is not the record being rolled back'),
    ({'kind': 'shell', 'path': '{root}/victim'}, "its kind 'shell' is none of"),
    ({'kind': 'seccomp', 'name': 'web', 'path': 'victim'}, "its path 'victim' is not an absolute path"),
    ({'kind': 'seccomp', 'name': 'web', 'path': '{root}/docker/web.json', 'existed': 'no'},
     "its existed is 'no', not true or false"),
    ({'kind': 'seccomp', 'name': 'web', 'path': '{root}/docker/web.json', 'existed': False, 'changed_file': True,
      'sha256': 'x'}, "its sha256 'x' is not a sha256"),
    ('rm -rf /', 'it is a str, not a mapping'),
    ({'kind': 'seccomp', 'name': 'web', 'path': '{root}/docker/web.json', 'existed': False, 'changed_file': True},
     'the undo log has no sha256 for {root}/docker/web.json'),
])
# issue 11 item 8: names and paths read back from the undo log are checked like a spec's
def test_an_undo_item_that_fails_the_checks_is_kept_reported_and_not_applied(tmp_path, item, reason):
    root = tmp_path
    for d in ('docker', 'outside', 'apparmor.d'):
        (root / d).mkdir(exist_ok=True)
    for victim in ('victim', 'outside/victim.json', 'docker/web.json', 'docker/victim', 'apparmor.d/web.dpkg-old'):
        (root / victim).write_text('keep me\n')
    if isinstance(item, dict):
        item = dict((k, v.replace('{root}', str(root)) if isinstance(v, str) else v) for k, v in item.items())
    reason = reason.replace('{root}', str(root)).replace("'", '')     # untrusted values are shown quoted (ascii)
    good = {'kind': 'docker', 'name': 'daemon.json', 'path': str(root / 'daemon.json'), 'existed': False,
            'changed_file': True}
    (root / 'daemon.json').write_text('{"made": "by the run"}\n')
    good['sha256'] = m.fileio.sha256(b'{"made": "by the run"}\n')
    fact = hostile_record(root, [item, good])
    before = snapshot(root)
    mod = FakeModule(restore_params(root, record=str(fact)))
    result = m.run(mod)
    (refused,) = result['refused']
    assert refused['index'] == 0 and reason in refused['reason'].replace("'", ''), refused['reason']
    assert 'undo item 0' in mod.warnings[0] and reason in mod.warnings[0].replace("'", '')
    assert 'items 0, see refused' in result['msg']
    # only the good item was applied: the run's daemon.json is gone, every other file is as it was
    after = snapshot(root)
    assert str(root / 'daemon.json') not in after
    before.pop(str(root / 'daemon.json'))
    assert after == before


# issue 11 item 8 (and 7's rule: a file changed by hand is kept)
def test_a_made_file_edited_since_is_kept_with_a_warning(tmp_path):
    seccomp(tmp_path)
    fact = tmp_path / 'facts.d' / 'confine_hardening.fact'
    fact.parent.mkdir()
    item = {'kind': 'seccomp', 'name': 'web', 'path': str(tmp_path / 'docker/web.json'), 'existed': False,
            'changed_file': True, 'sha256': '0' * 64}
    fact.write_text(json.dumps({'undo': [item]}))
    mod = FakeModule(restore_params(tmp_path, record=str(fact)))
    result = m.run(mod)
    assert (tmp_path / 'docker/web.json').exists() and result['restored'][0]['action'] == 'kept'
    assert 'was changed since it was written' in result['refused'][0]['reason'] and not result['changed']


# issue 11 item 10
def test_a_symlinked_daemon_json_is_restored_through_the_link(tmp_path):
    real = tmp_path / 'conf' / 'daemon.json'
    real.parent.mkdir()
    real.write_text('{"new": 1}\n')
    os.symlink(str(real), str(tmp_path / 'daemon.json'))
    backup = tmp_path / 'docker' / 'daemon.json.2026-01-01@00:00:00.000001'
    backup.parent.mkdir()
    backup.write_text('{"old": 1}\n')
    result = restore(None, docker={'changed': True, 'existed': True, 'path': str(tmp_path / 'daemon.json'),
                                   'backup_file': str(backup)})
    assert result['restored'][0]['action'] == 'restored'
    assert os.path.islink(str(tmp_path / 'daemon.json')) and real.read_text() == '{"old": 1}\n'


@pytest.mark.parametrize('text', ['[' * 100000, '{"undo": [{"kind": NaN}]}', '{"undo": {"a": 1}}', '"\\ud800"',
                                  '{"undo": [{"kind": "seccomp", "name": "\\ud800", "path": "/\\udfff"}]}'])
# issue 11 item 21: any shape of record or undo log gives one sentence or a refusal, never a traceback
def test_a_malformed_record_is_one_sentence_or_a_refusal(tmp_path, text):
    fact = tmp_path / 'facts.d' / 'confine_hardening.fact'
    fact.parent.mkdir()
    fact.write_text(text)
    try:
        result = restore(None, record=str(fact))
    except m.RestoreError as exc:
        assert str(exc).startswith('record: ') and '\n' not in str(exc)
    else:
        assert result['refused'] and not result['changed']
        json.dumps(result, allow_nan=False).encode('utf-8')


@pytest.mark.parametrize('params', [
    {'seccomp': [{'changed': True, 'backup_files': [5], 'replaced': ['/x']}]},
    {'seccomp': [{'changed': True, 'created': 'abc'}]},
    {'apparmor': [{'changed': True, 'existed': 'x', 'profile_file': ['a']}]},
    {'docker': {'changed': True, 'path': 7}},
    {'kubelet': {'changed': True, 'path': '/nonexistent-confine-test/passwd', 'backup': '/nonexistent-confine-test/shadow'}},
])
# issue 11 item 21: results of the wrong shape are one sentence or refused items, never a traceback
def test_results_of_the_wrong_shape_are_one_sentence_or_refused(tmp_path, params):
    before = snapshot(tmp_path)
    try:
        result = restore(None, **params)
    except m.RestoreError as exc:
        assert '\n' not in str(exc) and str(exc).endswith('nothing was changed')
    else:
        assert result['refused'] and not result['changed']
    assert snapshot(tmp_path) == before


# issue 11 items 8 and 11: docker_daemon's own backups, named uniquely, pass the restore's checks
def test_daemon_json_changed_twice_in_one_second_rolls_back_run_by_run(tmp_path, monkeypatch):
    from ansible_collections.confine.hardening.plugins.modules import docker_daemon as dd
    monkeypatch.setattr(dd.fileio, 'backup_path', lambda p: p + '.2026-01-01@00:00:00.000000~')
    daemon = tmp_path / 'custom-daemon.json'
    daemon.write_text('{"v": 1}\n')
    fact = tmp_path / 'facts.d' / 'confine_hardening.fact'
    fact.parent.mkdir()
    for v in (2, 3):
        docker = dd.run(FakeModule(dict(path=str(daemon), settings={'v': v}, backup_dir=str(tmp_path / 'docker'))))
        params = {'stage': 'enforce', 'collection_version': '0.2.0', 'seccomp': [], 'apparmor': [], 'runtime': {},
                  'docker': docker}
        rec, fresh = record_mod.build(params, record_mod.read_record(str(fact)))
        record_mod.add_record_undo(rec, str(fact), record_mod.fileio.read_bytes(str(fact)),
                                   str(tmp_path / 'record'), False)
        fact.write_text(json.dumps(rec))
    first = restore(None, record=str(fact), docker_daemon_json=str(daemon))
    assert not first['refused'] and json.loads(daemon.read_text()) == {'v': 2}
    second = restore(None, record=str(fact), docker_daemon_json=str(daemon))
    assert not second['refused'] and json.loads(daemon.read_text()) == {'v': 1} and not fact.exists()


# main() through the real argument spec (issue 12 item 5)

def main_args(root, **kw):
    args = dict(docker_daemon_json=str(root / 'daemon.json'), kubelet_config=str(root / 'config.yaml'),
                apparmor_dir=str(root / 'apparmor.d'), state_dir=str(root), lock_timeout=5,
                seccomp_dirs=[str(root / 'docker')])
    args.update(kw)
    return args


def test_main_without_a_record_has_nothing_to_roll_back(tmp_path):
    fact = tmp_path / 'facts.d' / 'confine_hardening.fact'
    fact.parent.mkdir()
    result = run_main(m, main_args(tmp_path, record=str(fact)))
    assert not result.get('failed') and result['changed'] is False and result['undo'] == []
    assert result['msg'] == 'no record at %s: this host was never hardened, nothing to roll back' % fact


def test_main_fails_with_one_sentence(tmp_path):
    fact = tmp_path / 'facts.d' / 'confine_hardening.fact'
    fact.parent.mkdir()
    fact.write_text('[')
    result = run_main(m, main_args(tmp_path, record=str(fact)))
    assert result['failed'] is True and result['msg'].startswith('record: %s is not valid JSON (' % fact)
    assert '\n' not in result['msg']


@pytest.mark.parametrize('args,words', [
    ({}, 'one of the following is required: record, seccomp, apparmor, docker, kubelet'),
    ({'record': '/nonexistent-confine-test/r.fact', 'docker': {}}, 'parameters are mutually exclusive: record|docker'),
])
def test_main_checks_the_options_against_the_argument_spec(tmp_path, args, words):
    result = run_main(m, main_args(tmp_path, **args))
    assert result['failed'] is True and words in result['msg'], result['msg']
