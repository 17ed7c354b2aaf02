# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module's target half: validation with libseccomp, files, check/diff mode, absent."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
from conftest import FakeModule, run_main

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci
from ansible_collections.confine.hardening.plugins.modules import seccomp_profile as m


def defaults(spec):
    out = {}
    for key, opt in spec.items():
        out[key] = opt.get('default')
    return out


@pytest.fixture
def root(tmp_path):
    return tmp_path


def params(root, **kw):
    p = defaults(m.argument_spec())
    p.update(docker_dir=str(root / 'docker'), kubelet_root=str(root / 'kubelet'),
             containerd_dir=str(root / 'containerd'), bwrap_dir=str(root / 'bwrap'),
             state_dir=str(root / 'state'), name='web', preset='hardened')
    p.update(kw)
    return p


def snapshot(root):
    out = {}
    for dirpath, _dirs, files in os.walk(str(root)):
        for name in files:
            path = os.path.join(dirpath, name)
            out[path] = open(path, 'rb').read()
    return out


def test_install_every_target_then_no_change(root):
    mod = FakeModule(params(root, targets=['docker', 'kubelet', 'containerd', 'bwrap']))
    result = m.run(mod)
    assert result['changed'] is True
    paths = sorted(f['path'] for f in result['files'])
    assert paths == sorted([str(root / 'docker/web.json'), str(root / 'kubelet/seccomp/profiles/web.json'),
                            str(root / 'containerd/web.json'), str(root / 'bwrap/web.x86_64.bpf')])
    text = open(str(root / 'docker/web.json')).read()
    assert text == oci.canonical_json(result['profile'])
    assert result['sha256'][str(root / 'docker/web.json')] == __import__('hashlib').sha256(text.encode()).hexdigest()
    manifest = json.load(open(str(root / 'state/web.json')))
    assert sorted(manifest['files']) == paths and manifest['preset'] == 'hardened'
    again = m.run(FakeModule(params(root, targets=['docker', 'kubelet', 'containerd', 'bwrap'])))
    assert again['changed'] is False


def test_check_mode_and_diff_write_nothing(root):
    result = m.run(FakeModule(params(root), check_mode=True, diff=True))
    assert result['changed'] is True
    assert snapshot(root) == {}
    (diff,) = [d for d in result['diff'] if d['after_header'].endswith('docker/web.json')]
    assert diff['before'] == '' and '"defaultAction": "SCMP_ACT_ALLOW"' in diff['after']


@pytest.mark.parametrize('kw,words', [
    ({'syscalls': [{'names': ['definitely_not_a_call'], 'action': 'SCMP_ACT_ERRNO'}]},
     "syscalls[0].names[0]: 'definitely_not_a_call' is not a syscall on any declared architecture"),
    ({'architectures': ['SCMP_ARCH_LOONGARCH64']}, 'SCMP_ARCH_LOONGARCH64'),
    ({'name': '../evil'}, "name: '../evil' is not a valid profile name"),
])
def test_bad_input_changes_nothing(root, kw, words):
    first = m.run(FakeModule(params(root, targets=['docker', 'bwrap'])))
    assert first['changed']
    before = snapshot(root)
    with pytest.raises(m.ProfileError) as err:
        m.run(FakeModule(params(root, targets=['docker', 'bwrap'], **kw)))
    assert words in str(err.value)
    assert snapshot(root) == before


def test_content_from_a_template_is_checked_and_canonicalised(root):
    content = json.dumps({'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64'],
                          'syscalls': [{'names': ['ptrace'], 'action': 'SCMP_ACT_ERRNO'}]})
    result = m.run(FakeModule(params(root, content=content)))
    assert open(str(root / 'docker/web.json')).read() == oci.canonical_json(result['profile'])
    with pytest.raises(m.ProfileError) as err:
        m.run(FakeModule(params(root, content=content.replace('ptrace', 'ptrace_me'))))
    assert "'ptrace_me'" in str(err.value)


def test_partial_arch_gap_is_a_warning_naming_the_field(root):
    mod = FakeModule(params(root, syscalls=[{'names': ['chmod', 'vm86'], 'action': 'SCMP_ACT_ERRNO'}]))
    result = m.run(mod)
    assert result['changed']
    assert any(w.startswith('syscalls[0].names[1]') and "'vm86'" in w for w in mod.warnings), mod.warnings
    assert 'vm86' in result['missing_on_arch']['SCMP_ARCH_X86_64']


def test_dropping_a_target_removes_its_file_and_absent_removes_all(root):
    m.run(FakeModule(params(root, targets=['docker', 'containerd'])))
    result = m.run(FakeModule(params(root, targets=['docker'])))
    assert result['changed'] and not os.path.exists(str(root / 'containerd/web.json'))
    result = m.run(FakeModule(params(root, state='absent', targets=['kubelet'])))
    assert result['changed'] and result['paths'] == [str(root / 'docker/web.json')]
    assert snapshot(root) == {}
    assert m.run(FakeModule(params(root, state='absent')))['changed'] is False


def test_log_mode_file(root):
    result = m.run(FakeModule(params(root, mode='log', preset='runtime-default')))
    profile = json.load(open(str(root / 'docker/web.json')))
    assert profile['defaultAction'] == 'SCMP_ACT_LOG' and result['mode'] == 'log'


def batch(root, profiles, check_mode=False):
    p = params(root, name=None, preset=None, profiles=profiles)
    mod = FakeModule(p, check_mode=check_mode)
    return m.batch.run_batch(mod, m.argument_spec(), m.run, m.ProfileError)


def test_batch_installs_many_then_no_change(root):
    profiles = [{'name': 'a', 'preset': 'hardened'}, {'name': 'b', 'preset': 'runtime-default', 'mode': 'log',
                                                      'targets': ['docker', 'kubelet']}]
    result = batch(root, profiles)
    assert result['changed'] is True and [r['name'] for r in result['profiles']] == ['a', 'b']
    assert (root / 'docker/a.json').exists() and (root / 'kubelet/seccomp/profiles/b.json').exists()
    assert '"SCMP_ACT_LOG"' in (root / 'docker/b.json').read_text()
    assert batch(root, profiles)['changed'] is False


def test_batch_with_one_bad_profile_writes_nothing(root):
    profiles = [{'name': 'a', 'preset': 'hardened'},
                {'name': 'b', 'preset': 'allowlist', 'syscalls': [{'names': ['fooo'], 'action': 'SCMP_ACT_ALLOW'}]}]
    with pytest.raises(m.ProfileError) as err:
        batch(root, profiles)
    assert str(err.value).startswith("profiles[1] (b): syscalls[0].names[0]: 'fooo' is not a syscall")
    assert snapshot(root) == {}


# --- issue 11: the record is untrusted, state_dir, backups, undo, kernel limits ----------

def write_record(root, files, name='web', **extra):
    path = root / 'state' / (name + '.json')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict({'name': name, 'kind': 'seccomp', 'files': files}, **extra)))
    return path


def victim(root):
    path = root / 'outside' / 'precious'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('keep me')
    return path


@pytest.mark.parametrize('state', ['present', 'absent'])
def test_record_listing_a_file_outside_the_managed_dirs_never_deletes_it(root, state):
    # issue 11 item 7
    target = victim(root)
    sha = __import__('hashlib').sha256(b'keep me').hexdigest()
    other = root / 'docker' / 'other.json'           # inside docker_dir, but another profile's file
    other.parent.mkdir(parents=True)
    other.write_text('keep me')
    write_record(root, {str(target): sha, str(other): sha, str(root / 'docker' / '..' / 'outside' / 'precious'): sha})
    mod = FakeModule(params(root, state=state))
    m.run(mod)
    assert target.read_text() == 'keep me' and other.read_text() == 'keep me'
    assert any('outside the directories this module manages' in w for w in mod.warnings), mod.warnings
    assert any('is not a file this module installs' in w for w in mod.warnings), mod.warnings


PRECIOUS = '@PRECIOUS@'     # a file outside the managed dirs (never a real system file: a regression would delete it)


@pytest.mark.parametrize('files', [[PRECIOUS], 'x', 5, None, {'a': 1}, {PRECIOUS: None}])
def test_record_of_another_shape_is_ignored_with_a_warning(root, tmp_path_factory, files):
    # issue 11 item 7 and item 21 ("a record whose files is a list")
    precious = tmp_path_factory.mktemp('elsewhere') / 'precious'
    precious.write_text('not yours')
    files = json.loads(json.dumps(files).replace(PRECIOUS, str(precious)))
    write_record(root, files)
    mod = FakeModule(params(root))
    result = m.run(mod)
    assert result['changed'] and (root / 'docker/web.json').exists()
    assert precious.read_text() == 'not yours'
    m.run(FakeModule(params(root, state='absent')))
    assert not (root / 'docker/web.json').exists()


@pytest.mark.parametrize('content', [b'[1, 2]', b'not json', b'{"files": ' * 5000, b'\xff\xfe', b'{"name": "../x"}'])
def test_garbage_record_is_rewritten_not_trusted(root, content):
    # issue 11 item 7
    (root / 'state').mkdir()
    (root / 'state' / 'web.json').write_bytes(content)
    mod = FakeModule(params(root))
    assert m.run(mod)['changed']
    assert json.load(open(str(root / 'state/web.json')))['name'] == 'web'
    assert mod.warnings


def test_record_that_is_a_fifo_is_one_sentence(root):
    (root / 'state').mkdir()
    os.mkfifo(str(root / 'state' / 'web.json'))
    with pytest.raises(m.ProfileError) as err:
        m.run(FakeModule(params(root)))
    assert str(err.value).startswith('state_dir: the record ') and 'FIFO' in str(err.value)


def test_absent_keeps_a_file_edited_by_hand_and_warns(root):
    # issue 11 item 7: an administrator's edit is never deleted without a word
    m.run(FakeModule(params(root, targets=['docker', 'containerd'])))
    edited = root / 'docker' / 'web.json'
    edited.write_text(edited.read_text().replace('SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'))
    mod = FakeModule(params(root, state='absent'))
    result = m.run(mod)
    assert edited.exists() and not (root / 'containerd' / 'web.json').exists()
    assert result['kept'] == [str(edited)]
    assert any('was changed since this module wrote it' in w for w in mod.warnings), mod.warnings
    assert not (root / 'state' / 'web.json').exists()


def test_absent_without_a_record_keeps_the_files_and_warns(root):
    # issue 11 item 7
    m.run(FakeModule(params(root)))
    os.unlink(str(root / 'state' / 'web.json'))
    mod = FakeModule(params(root, state='absent'))
    result = m.run(mod)
    assert (root / 'docker' / 'web.json').exists() and result['changed'] is False
    assert result['kept'] == [str(root / 'docker' / 'web.json')]
    assert any('there is no record of profile' in w for w in mod.warnings)


def test_a_dropped_target_edited_by_hand_is_kept(root):
    # issue 11 item 7
    m.run(FakeModule(params(root, targets=['docker', 'containerd'])))
    (root / 'containerd' / 'web.json').write_text('{}')
    mod = FakeModule(params(root, targets=['docker']))
    m.run(mod)
    assert (root / 'containerd' / 'web.json').read_text() == '{}'
    assert any('containerd/web.json was changed' in w for w in mod.warnings)


@pytest.mark.parametrize('where', ['docker', 'docker/sub', 'kubelet/seccomp/profiles', 'kubelet/seccomp', 'bwrap',
                                   'containerd', '.'])
def test_state_dir_overlapping_a_profile_dir_is_refused(root, where):
    # issue 11 item 9
    with pytest.raises(m.ProfileError) as err:
        m.run(FakeModule(params(root, state_dir=os.path.normpath(str(root / where)))))
    text = str(err.value)
    assert text.startswith('state_dir: ') and 'overlaps' in text
    assert any(o in text for o in ('docker_dir', 'kubelet_root', 'bwrap_dir', 'containerd_dir'))
    assert snapshot(root) == {}


def test_two_backups_within_one_second_never_collide(root):
    # issue 11 item 11
    m.run(FakeModule(params(root, backup=True)))
    first = (root / 'docker' / 'web.json').read_bytes()
    r1 = m.run(FakeModule(params(root, backup=True, mode='log')))
    second = (root / 'docker' / 'web.json').read_bytes()
    r2 = m.run(FakeModule(params(root, backup=True)))
    backups = [b for b in r1['backup_files'] + r2['backup_files'] if b.startswith(str(root / 'docker'))]
    assert len(backups) == 2 and len(set(backups)) == 2
    assert sorted(open(b, 'rb').read() for b in backups) == sorted([first, second])


def test_incomplete_undo_says_which_file_was_not_put_back(root, monkeypatch):
    # issue 11 item 12
    def broken(self, backup=False):
        raise m.fileio.IncompleteUndo(OSError(28, 'No space left on device'),
                                      [(str(root / 'docker/web.json'), 'No space left on device')])
    monkeypatch.setattr(m.fileio.FileSet, 'apply', broken)
    with pytest.raises(m.ProfileError) as err:
        m.run(FakeModule(params(root)))
    text = str(err.value)
    assert 'every file was put back' not in text
    assert 'docker/web.json (No space left on device) could not be put back' in text
    assert err.value.extra['not_restored'] == [str(root / 'docker/web.json')]


def many_arg_rules(n):
    return [{'names': ['ioctl'], 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 1, 'value': 0x1000 + i, 'op': 'SCMP_CMP_EQ'}]}
            for i in range(n)]


@pytest.mark.parametrize('targets,words', [
    (['docker'], 'the filter runc builds from this profile'),
    (['bwrap'], 'the bwrap program for SCMP_ARCH_X86_64'),
])
def test_filter_longer_than_the_kernel_loads_is_refused(root, targets, words):
    # issue 11 item 18: 4100 argument rules are ~4130 instructions (docker refuses >4096, measured)
    with pytest.raises(m.ProfileError) as err:
        m.run(FakeModule(params(root, targets=targets, architectures=['x86_64'], syscalls=many_arg_rules(4100))))
    assert str(err.value).startswith('syscalls: ') and words in str(err.value) and 'at most 4096' in str(err.value)
    assert snapshot(root) == {}


def test_the_layout_gives_way_where_only_it_would_take_the_filter_over_the_limit(root):
    """_seccomp_layout's pairs add instructions to denied calls: a profile that fits as written
    but not laid out is written as written (plain), never refused for the collection's own layout."""
    backend = m.libseccomp.load('ctypes')
    host = {'machine': os.uname()[4], 'kernel': os.uname()[2]}

    def length(n, laid_out):
        prof = m.spec_mod.build_profile({'preset': 'hardened', 'architectures': ['x86_64'],
                                         'syscalls': many_arg_rules(n)}, host)[0]
        rules = m.oci.profile_rules(json.loads(oci.canonical_json(prof, laid_out)))
        return backend.consumer_length('SCMP_ACT_ALLOW', None, prof['architectures'], rules)
    # the most ioctl rules that fit as written: one instruction a rule, so start from one count
    low = 4000 + m.libseccomp.BPF_MAXINSNS - length(4000, False)
    while length(low, False) > m.libseccomp.BPF_MAXINSNS:
        low -= 1
    while length(low + 1, False) <= m.libseccomp.BPF_MAXINSNS:
        low += 1
    assert length(low, True) > m.libseccomp.BPF_MAXINSNS >= length(low, False)
    result = m.run(FakeModule(params(root, preset='hardened', architectures=['x86_64'], targets=['docker'],
                                     syscalls=many_arg_rules(low))))
    text = (root / 'docker' / 'web.json').read_text()
    assert result['changed'] and text == oci.canonical_json(result['profile'], laid_out=False) != oci.canonical_json(
        result['profile'])


def test_filter_just_under_the_limit_is_installed(root):
    # issue 11 item 18: 4062 ioctl rules on x86_64 with default ALLOW = 4091 instructions, which docker ran (measured)
    result = m.run(FakeModule(params(root, preset=None, architectures=['x86_64'], syscalls=many_arg_rules(4062))))
    assert result['changed']


def test_action_the_kernel_does_not_offer_is_refused(root, tmp_path, monkeypatch):
    # issue 11 item 18 (actions per kernel)
    avail = tmp_path / 'actions_avail'
    avail.write_text('kill_process kill_thread trap errno trace allow\n')
    monkeypatch.setattr(m, 'ACTIONS_AVAIL', str(avail))
    with pytest.raises(m.ProfileError) as err:
        m.run(FakeModule(params(root, mode='log')))
    assert 'SCMP_ACT_LOG is not supported by this host\'s kernel' in str(err.value)
    assert str(err.value).startswith('profile.syscalls[')
    monkeypatch.setattr(m, 'ACTIONS_AVAIL', str(tmp_path / 'missing'))
    mod = FakeModule(params(root))
    assert m.run(mod)['changed'] and any('actions were not checked' in w for w in mod.warnings)


@pytest.mark.parametrize('kw,words', [
    ({'content': '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "flags": 5}'},
     'profile.flags: must be a list'),
    ({'content': '[' * 100000 + ']' * 100000}, 'template: the rendered profile is nested too deeply'),
    ({'syscalls': [{'names': ['socket'], 'action': 'SCMP_ACT_ALLOW',
                    'args': [{'index': 0, 'value': 1, 'op': 'SCMP_CMP_EQ'}]}]},
     'syscalls[0].action: has args and the same action as the default action (SCMP_ACT_ALLOW)'),
    ({'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_ERRNO', 'errno': 4095}]},
     'syscalls[0].errno: 4095 is out of range (1-4094: libseccomp'),
    ({'owner': 'x' * 17000}, 'owner: is 17000 characters long; at most 1024'),
    ({'owner': 'a\nb'}, 'owner: contains the unprintable character'),
    ({'preset': None, 'base': 'hardened'}, 'base: must be a mapping, got str'),
    ({'preset': None, 'base': {'base': 'hardened'}}, 'base.base: must be a mapping, got str'),
    ({'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}]}, 'syscalls[0].action: SCMP_ACT_NOTIFY needs a listener'),
    ({'name': 'web\n'}, "name: 'web\\n' is not a valid profile name"),
])
def test_bad_input_is_one_sentence_naming_the_field(root, kw, words):
    # issue 11 item 21
    with pytest.raises(m.ProfileError) as err:
        m.run(FakeModule(params(root, **kw)))
    assert str(err.value).startswith(words.split(':')[0] + ':') and words in str(err.value), str(err.value)
    assert '\n' not in str(err.value)
    assert snapshot(root) == {}


def test_log_mode_turns_notify_into_log(root):
    # issue 11 item 21: log mode is a dry run, NOTIFY without a listener would fail calls with ENOSYS
    result = m.run(FakeModule(params(root, mode='log', syscalls=[{'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}])))
    assert all(r['action'] == 'SCMP_ACT_LOG' for r in result['profile']['syscalls'])


def test_architecture_order_does_not_change_the_profile(root):
    # issue 11 item 21: [x86, x86_64] and [x86_64, x86] are one profile and one program
    one = m.run(FakeModule(params(root, targets=['docker', 'bwrap'], architectures=['x86', 'x86_64'])))
    two = m.run(FakeModule(params(root, targets=['docker', 'bwrap'], architectures=['SCMP_ARCH_X86_64', 'x86', 'x86'])))
    assert two['changed'] is False and one['sha256'] == two['sha256']
    assert one['architectures'] == ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']
    assert [f['path'] for f in one['files'] if f['target'] == 'bwrap'] == [str(root / 'bwrap/web.x86_64.bpf')]


def test_result_has_no_key_ansible_gives_another_meaning(root):
    # issue 11 "results use no key Ansible reserves": no path (exit_json would add file attributes), no skipped
    for kw in ({}, {'state': 'absent'}):
        result = m.run(FakeModule(params(root, **kw)))
        assert not set(result) & {'path', 'dest', 'skipped', 'uid', 'gid', 'size'}, sorted(result)


@pytest.mark.parametrize('kind', ['fifo', 'directory'])
def test_special_file_at_a_target_path_is_one_sentence(root, kind, monkeypatch, capsys):
    # issue 11 item 21: through main(), as Ansible runs it: one sentence, no traceback
    (root / 'docker').mkdir()
    target = root / 'docker' / 'web.json'
    os.mkfifo(str(target)) if kind == 'fifo' else target.mkdir()
    args = dict(params(root), _ansible_check_mode=False)
    args = dict((k, v) for k, v in args.items() if v is not None)
    monkeypatch.setattr('sys.argv', ['seccomp_profile', json.dumps({'ANSIBLE_MODULE_ARGS': args})])
    from ansible.module_utils import basic
    monkeypatch.setattr(basic, '_ANSIBLE_ARGS', None)
    with pytest.raises(SystemExit):
        m.main()
    out = json.loads(capsys.readouterr().out)
    assert out['failed'] and out['msg'].startswith("seccomp profile 'web': ") and 'not a regular file' in out['msg']
    assert 'Traceback' not in out['msg'] and '\n' not in out['msg']


# --- main(), through the module's own argument spec (issue 12) ---------------------------

def main_args(root, **kw):
    args = dict(docker_dir=str(root / 'docker'), kubelet_root=str(root / 'kubelet'),
                containerd_dir=str(root / 'containerd'), bwrap_dir=str(root / 'bwrap'),
                state_dir=str(root / 'state'))
    args.update(kw)
    return args


def test_main_installs_then_changes_nothing(root):
    args = main_args(root, name='web', preset='hardened', targets=['docker', 'bwrap'])
    first = run_main(m, args)
    assert first['changed'] is True and not first.get('failed')
    assert first['paths'][0] == str(root / 'docker' / 'web.json')
    assert (root / 'docker' / 'web.json').read_text() == oci.canonical_json(first['profile'])
    again = run_main(m, args, check_mode=True, diff=True)
    assert again['changed'] is False and 'diff' not in again


def test_main_batch_and_its_failures_are_labelled(root):
    args = main_args(root, profiles=[{'name': 'a', 'preset': 'hardened'}, {'name': 'b', 'mode': 'log', 'preset': 'hardened'}])
    result = run_main(m, args)
    assert result['changed'] is True and [p['name'] for p in result['profiles']] == ['a', 'b']
    bad = run_main(m, main_args(root, profiles=[{'name': 'a', 'preset': 'hardened'}, {'name': 'b', 'mode': 'loud'}]))
    assert bad['failed'] and bad['msg'].startswith('seccomp profiles: profiles[1] (b): value of mode must be one of')


@pytest.mark.parametrize('kw,msg', [
    ({'name': 'web', 'mode': 'loud'}, 'value of mode must be one of: enforce, log, got: loud'),
    ({'preset': 'hardened'}, 'one of the following is required: name, profiles'),
    ({'name': '../web', 'preset': 'hardened'}, "seccomp profile '../web': name: '../web' is not a valid profile name"),
    ({'name': 'web', 'preset': 'hardened', 'remove': ['chmod']},
     "seccomp profile 'web': remove[0]: 'chmod' is not named by any rule of the preset or base"),
])
def test_main_failures_are_one_sentence(root, kw, msg):
    result = run_main(m, main_args(root, **kw))
    assert result['failed'] is True and result['msg'].startswith(msg) and '\n' not in result['msg']
    assert not (root / 'docker').exists()


ARM64 = ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']


def test_a_deny_arm64_lacks_installs_with_a_warning_naming_the_arch_and_what_stays_open(root):
    """fork is not a call on arm64: the deny is skipped there, the profile still installs, and
    the warning says that clone, which forks there, stays allowed."""
    mod = FakeModule(params(root, architectures=ARM64, targets=['docker', 'bwrap'],
                            syscalls=[{'names': ['fork'], 'action': 'SCMP_ACT_ERRNO'}]))
    result = m.run(mod)
    assert result['changed'] and result['missing_on_arch'] == {'SCMP_ARCH_AARCH64': ['fork']}
    assert sorted(os.listdir(str(root / 'bwrap'))) == ['web.aarch64.bpf']
    (skipped,) = [w for w in mod.warnings if 'skipped there' in w]
    assert skipped == "syscalls[0].names[0]: 'fork' not on SCMP_ARCH_AARCH64; the rule is skipped there"
    (lost,) = [w for w in mod.warnings if 'does not hold' in w]
    assert lost.startswith("syscalls[0].names[0]: the deny of 'fork' does not hold on SCMP_ARCH_AARCH64: "
                           "there the same work is done by 'clone'")
    assert 'CLONE_THREAD' in lost and "'clone3'" not in lost    # hardened refuses clone3 (ENOSYS)


def test_no_lost_deny_warning_when_the_same_work_is_denied_too(root):
    mod = FakeModule(params(root, architectures=ARM64, targets=['docker'],
                            syscalls=[{'names': ['open', 'openat', 'openat2'], 'action': 'SCMP_ACT_ERRNO'}]))
    m.run(mod)
    assert [w for w in mod.warnings if 'does not hold' in w] == []
    assert any("'open' not on SCMP_ARCH_AARCH64" in w for w in mod.warnings)


def test_an_allowlist_never_warns_of_a_lost_deny(root):
    """In an allowlist nothing unnamed is allowed: a name that is missing on arm64 costs nothing."""
    mod = FakeModule(params(root, architectures=ARM64, preset='allowlist', targets=['docker'],
                            syscalls=[{'names': ['read', 'write', 'exit_group', 'open'], 'action': 'SCMP_ACT_ALLOW'}]))
    m.run(mod)
    assert [w for w in mod.warnings if 'does not hold' in w] == []


@pytest.mark.parametrize('arch', ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_ARM'])
def test_every_same_work_deny_is_called_out_exactly_where_its_twins_stay_allowed(root, arch):
    """Generated: each name of SAME_WORK denied alone, on each arch, in the hardened preset
    (which refuses a few twins itself: clone3, umount2). The lost-deny warning comes exactly when the name is
    missing on the arch and a twin exists there (libseccomp's own tables say which), and it
    names every such twin."""
    from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp
    from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as spec_mod
    backend = libseccomp.load('ctypes')
    seen = 0
    for i, (name, twins) in enumerate(sorted(spec_mod.SAME_WORK.items())):
        if backend.resolve(arch, name) < 0:
            continue    # denied on an arch that lacks it alone: refused (tested above)
        # the arch has it: no lost-deny warning; now the same deny on [arch, a twin-only arch]
        mod = FakeModule(params(root / str(i), name='p%d' % i, architectures=[arch], targets=['docker'],
                                syscalls=[{'names': [name], 'action': 'SCMP_ACT_ERRNO'}]))
        m.run(mod)
        assert [w for w in mod.warnings if 'does not hold' in w] == [], (arch, name)
    for i, (name, twins) in enumerate(sorted(spec_mod.SAME_WORK.items())):
        if backend.resolve(arch, name) >= 0 or backend.resolve('SCMP_ARCH_X86', name) < 0:
            continue
        mod = FakeModule(params(root / ('x%d' % i), name='x%d' % i, architectures=[arch, 'SCMP_ARCH_X86'],
                                targets=['docker'], syscalls=[{'names': [name], 'action': 'SCMP_ACT_ERRNO'}]))
        profile = m.run(mod)['profile']
        # a twin is open when it exists on the arch and no rule of the profile refuses it whole
        # (hardened's clone rule refuses only namespace flags: clone itself stays open)
        refused = {n for e in profile['syscalls'] if e['action'] not in ('SCMP_ACT_ALLOW', 'SCMP_ACT_LOG')
                   and not e.get('args') for n in e['names']}
        open_twins = [t for t in twins if backend.resolve(arch, t) >= 0 and t not in refused]
        lost = [w for w in mod.warnings if 'does not hold on %s' % arch in w]
        assert bool(lost) == bool(open_twins), (arch, name, mod.warnings)
        for twin in open_twins:
            assert repr(twin) in lost[0], (arch, name, lost)
        seen += bool(lost)
    if arch in ('SCMP_ARCH_AARCH64', 'SCMP_ARCH_RISCV64'):
        assert seen >= 20, seen     # the newer tables lack most of the list


@pytest.mark.parametrize('preset,action,name', [
    ('allowlist', 'SCMP_ACT_ALLOW', 'arch_prctl'),     # in every x86_64 allowlist; no arm table has it
    ('hardened', 'SCMP_ACT_ERRNO', 'iopl'),            # a deny-list name of x86 only
])
def test_a_call_only_other_architectures_have_is_left_out_with_a_warning(root, preset, action, name):
    """One spec for a mixed fleet: on an arm64 host a call of x86 only cannot be made at all, so
    the rule is left out (never widened), the warning says where the call exists, and the
    profile installs."""
    mod = FakeModule(params(root, architectures=ARM64, preset=preset, targets=['docker', 'bwrap'],
                            syscalls=[{'names': ['read', 'write', 'exit_group', name], 'action': action}]))
    result = m.run(mod)
    assert result['changed']
    assert name not in json.dumps(result['profile'])
    (warning,) = [w for w in mod.warnings if repr(name) in w]
    assert warning.startswith("syscalls[0].names[3]: %r is not a call on any declared architecture "
                              "(SCMP_ARCH_AARCH64, SCMP_ARCH_ARM), only on " % name)
    assert 'SCMP_ARCH_X86_64' in warning and warning.endswith('the rule is left out of this profile')


def test_a_deny_left_out_on_arm64_alone_still_says_what_stays_open(root):
    mod = FakeModule(params(root, architectures=['SCMP_ARCH_AARCH64'], targets=['docker'],
                            syscalls=[{'names': ['fork'], 'action': 'SCMP_ACT_ERRNO'}]))
    result = m.run(mod)
    assert 'fork' not in json.dumps(result['profile'])
    assert any('left out of this profile' in w for w in mod.warnings)
    assert any("the deny of 'fork' does not hold on SCMP_ARCH_AARCH64" in w and "'clone'" in w for w in mod.warnings)
