# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module's target half: validation with the real apparmor_parser, ownership checks,
check/diff mode, idempotence, disabled/absent, rollback and the no-AppArmor message.

This machine's kernel has no AppArmor, so the kernel side (securityfs and what
``apparmor_parser -r`` loads) is a small fake here: FakeKernel reads the profile
name and flags from the file the module asks it to load.  The real kernel is
exercised on the lab host (molecule/default verify)."""

import os
import re
import shutil

import pytest

from conftest import FakeModule as SharedFakeModule, run_main

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_host as aa_host
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as a
from ansible_collections.confine.hardening.plugins.modules import apparmor_profile as m

PARSER = shutil.which('apparmor_parser') or '/usr/sbin/apparmor_parser'
pytestmark = pytest.mark.skipif(not os.path.exists(PARSER), reason='apparmor_parser is not installed')


class FakeKernel(object):
    """securityfs as the module sees it, and what apparmor_parser -r would load."""

    def __init__(self, root):
        self.root = root
        self.fs = root / 'securityfs'
        (self.fs / 'apparmor').mkdir(parents=True)
        self.enabled = root / 'enabled'
        self.enabled.write_text('Y\n')
        self.profiles = {}
        self.fail_load = False
        self.write()

    def write(self):
        (self.fs / 'apparmor' / 'profiles').write_text(
            ''.join('%s (%s)\n' % item for item in sorted(self.profiles.items())))

    def load(self, path):
        if self.fail_load:
            return 1, '', 'apparmor_parser: Unable to replace "x".  Permission denied; attempted to load a profile while confined?\n'
        text = open(path).read()
        name = re.search(r'^profile (\S+)', text, re.M).group(1)
        self.profiles[name] = 'complain' if re.search(r'flags=\([^)]*complain', text) else 'enforce'
        self.write()
        return 0, '', ''

    def remove(self):
        name = (self.fs / 'apparmor' / '.remove').read_text()
        self.profiles.pop(name, None)
        self.write()


def FakeModule(params, kernel, check_mode=False, diff=False):  # pylint: disable=invalid-name
    """The shared FakeModule, with this machine's apparmor_parser and the fake kernel behind ``-r``."""
    def responder(args):
        if args[0] == PARSER and args[1] == '-r':
            return kernel.load(args[-1])
        return None     # run for real
    return SharedFakeModule(params, check_mode=check_mode, diff=diff, bins={'apparmor_parser': PARSER},
                            responder=responder, kernel=kernel)


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    k = FakeKernel(tmp_path)
    monkeypatch.setattr(aa_host, 'SECURITYFS', str(k.fs))
    monkeypatch.setattr(aa_host, 'ENABLED', str(k.enabled))
    monkeypatch.setattr(aa_host, 'CACHE_GLOB', str(tmp_path / 'cache' / '*' / '%s'))
    real_unload = aa_host.unload

    def unload(name, securityfs=None):
        real_unload(name, securityfs)
        k.remove()
    monkeypatch.setattr(aa_host, 'unload', unload)
    monkeypatch.setattr(aa_host, '_USERNS', {})
    (tmp_path / 'apparmor.d').mkdir()
    return k


def params(root, **kw):
    p = dict((key, opt.get('default')) for key, opt in m.argument_spec().items())
    p.update(apparmor_dir=str(root / 'apparmor.d'), backup_dir=str(root / 'backups'), name='web',
             preset='container-default', owner='platform-team')
    p.update(kw)
    return p


def run(kernel, check_mode=False, diff=False, **kw):
    mod = FakeModule(params(kernel.root, **kw), kernel, check_mode=check_mode, diff=diff)
    return m.run(mod), mod


def profile_path(kernel, name='web'):
    return kernel.root / 'apparmor.d' / name


def test_install_loads_in_the_mode_and_reads_it_back_then_no_change(kernel):
    result, mod = run(kernel, mode='complain')
    assert result['changed'] is True and result['kernel_mode'] == 'complain'
    assert result['kernel_mode_before'] is None
    text = profile_path(kernel).read_text()
    assert a.is_ours(text) and 'flags=(attach_disconnected,mediate_deleted,complain)' in text
    assert oct(os.stat(str(profile_path(kernel))).st_mode & 0o777) == '0o644'
    assert [c[:2] for c in mod.commands if c[0] == PARSER] == [[PARSER, '-QK'], [PARSER, '-r']]
    again, mod = run(kernel, mode='complain')
    assert again['changed'] is False and again['kernel_mode'] == 'complain'
    # An idempotent run does not even parse: the file on disk is the validated one.
    assert not [c for c in mod.commands if c[0] == PARSER]


def test_complain_enforce_complain_each_change_once(kernel):
    run(kernel, mode='complain')
    for mode in ('enforce', 'complain', 'enforce'):
        first, dummy = run(kernel, mode=mode)
        second, dummy = run(kernel, mode=mode)
        assert (first['changed'], second['changed']) == (True, False)
        assert kernel.profiles['web'] == mode


def test_kernel_state_alone_is_a_change(kernel):
    run(kernel, mode='enforce')
    kernel.profiles['web'] = 'complain'      # someone ran apparmor_parser -C by hand
    kernel.write()
    result, dummy = run(kernel, mode='enforce')
    assert result['changed'] is True and result['kernel_mode_before'] == 'complain'
    assert kernel.profiles['web'] == 'enforce'


def test_check_mode_and_diff_change_nothing(kernel):
    result, mod = run(kernel, check_mode=True, diff=True, mode='complain')
    assert result['changed'] is True
    assert not profile_path(kernel).exists() and kernel.profiles == {}
    file_diff, kernel_diff = result['diff']
    assert file_diff['before'] == '' and 'profile web flags=' in file_diff['after']
    assert kernel_diff == {'before_header': 'kernel', 'after_header': 'kernel', 'before': '',
                           'after': 'web (complain)\n'}
    # check mode still proves the profile parses
    assert [c[:2] for c in mod.commands if c[0] == PARSER] == [[PARSER, '-QK']]


def test_syntax_error_names_the_parser_message_and_line_and_changes_nothing(kernel):
    run(kernel, mode='enforce')
    before = profile_path(kernel).read_bytes()
    with pytest.raises(m.ProfileError) as err:
        run(kernel, mode='complain', extra_rules=['this is not a rule,'])
    msg = str(err.value)
    assert 'apparmor_parser rejected the profile; nothing was installed or loaded' in msg
    assert str(profile_path(kernel)) in msg and 'line' in msg and 'this is not a rule,' in msg
    assert profile_path(kernel).read_bytes() == before and kernel.profiles == {'web': 'enforce'}


def test_failed_load_puts_the_previous_file_back(kernel):
    run(kernel, mode='enforce')
    before = profile_path(kernel).read_bytes()
    kernel.fail_load = True
    with pytest.raises(m.ProfileError) as err:
        run(kernel, mode='complain')
    assert 'apparmor_parser -r failed' in str(err.value) and 'previous file was put back' in str(err.value)
    assert profile_path(kernel).read_bytes() == before and kernel.profiles == {'web': 'enforce'}


def test_failed_first_load_leaves_no_file(kernel):
    kernel.fail_load = True
    with pytest.raises(m.ProfileError):
        run(kernel)
    assert not profile_path(kernel).exists()


def test_foreign_file_is_not_replaced_without_force(kernel):
    profile_path(kernel).write_text('profile web {\n}\n')
    with pytest.raises(m.ProfileError) as err:
        run(kernel)
    assert '%s exists and was not installed by confine.hardening' % profile_path(kernel) in str(err.value)
    assert 'belongs to no package' in str(err.value) and 'force: true' in str(err.value)
    assert profile_path(kernel).read_text() == 'profile web {\n}\n' and kernel.profiles == {}
    result, dummy = run(kernel, force=True, backup=True)
    assert result['changed'] and a.is_ours(profile_path(kernel).read_text())
    assert open(result['backup_file']).read() == 'profile web {\n}\n'
    assert not result['backup_file'].startswith(str(kernel.root / 'apparmor.d'))


def test_same_profile_name_in_another_file_is_refused(kernel):
    other = kernel.root / 'apparmor.d' / 'usr.bin.web'
    other.write_text('profile web /usr/bin/web flags=(complain) {\n}\n')
    with pytest.raises(m.ProfileError) as err:
        run(kernel)
    assert 'profile web is already declared in %s' % other in str(err.value)
    assert not profile_path(kernel).exists()


def test_loaded_profile_without_our_file_is_refused(kernel):
    kernel.profiles['docker-default'] = 'enforce'
    kernel.write()
    with pytest.raises(m.ProfileError) as err:
        run(kernel, name='docker-default')
    assert 'a profile named docker-default is loaded in the kernel (enforce mode)' in str(err.value)
    assert not profile_path(kernel, 'docker-default').exists()


def test_disabled_unloads_and_links_then_enabling_removes_the_link(kernel):
    run(kernel, mode='enforce')
    result, dummy = run(kernel, mode='disabled')
    link = kernel.root / 'apparmor.d' / 'disable' / 'web'
    assert result['changed'] and result['kernel_mode'] is None and kernel.profiles == {}
    assert os.readlink(str(link)) == str(profile_path(kernel))
    assert run(kernel, mode='disabled')[0]['changed'] is False
    result, dummy = run(kernel, mode='complain')
    assert result['changed'] and not os.path.lexists(str(link)) and kernel.profiles == {'web': 'complain'}


def test_absent_unloads_and_removes_file_link_and_cache(kernel):
    run(kernel, mode='disabled')
    run(kernel, mode='enforce')
    cache = kernel.root / 'cache' / 'abc123.0' / 'web'
    cache.parent.mkdir(parents=True)
    cache.write_text('binary')
    result, dummy = run(kernel, state='absent', backup=True)
    assert result['changed'] and result['kernel_mode_before'] == 'enforce' and result['kernel_mode'] is None
    assert not profile_path(kernel).exists() and not cache.exists() and kernel.profiles == {}
    assert a.is_ours(open(result['backup_file']).read())
    assert run(kernel, state='absent')[0]['changed'] is False


def test_absent_leaves_foreign_profiles_alone(kernel):
    profile_path(kernel).write_text('profile web {\n}\n')
    with pytest.raises(m.ProfileError) as err:
        run(kernel, state='absent')
    assert 'set force: true to remove it' in str(err.value) and profile_path(kernel).exists()
    kernel.profiles['docker-default'] = 'enforce'
    kernel.write()
    result, mod = run(kernel, state='absent', name='docker-default')
    assert result['changed'] is False and kernel.profiles == {'docker-default': 'enforce'}
    assert 'left loaded' in mod.warnings[0]


@pytest.mark.parametrize('setup,words', [
    (lambda k: k.enabled.unlink(), 'the kernel has no AppArmor'),
    (lambda k: k.enabled.write_text('N\n'), 'built into the kernel but disabled'),
    (lambda k: (k.fs / 'apparmor' / 'profiles').unlink(), 'securityfs is not mounted'),
])
def test_no_apparmor_is_one_clear_message_and_nothing_changes(kernel, setup, words):
    setup(kernel)
    with pytest.raises(m.ProfileError) as err:
        run(kernel)
    assert str(err.value).startswith('AppArmor is not available on this host: ') and words in str(err.value)
    assert err.value.extra['apparmor_available'] is False
    assert not profile_path(kernel).exists()


def test_absent_works_without_apparmor(kernel):
    run(kernel)
    kernel.enabled.unlink()
    result, dummy = run(kernel, state='absent')
    assert result['changed'] and not profile_path(kernel).exists() and result['apparmor_available'] is False


def test_userns_rules_are_left_out_with_a_warning_on_a_parser_before_4(kernel):
    result, mod = run(kernel, preset='container-strict')
    text = profile_path(kernel).read_text()
    assert result['userns_supported'] is False and 'userns,' not in text and a.USERNS_NOTE in text
    assert any('userns rules were left out' in w for w in mod.warnings)


def test_complain_warns_about_plain_deny_in_the_local_include(kernel):
    local = kernel.root / 'apparmor.d' / 'local'
    local.mkdir()
    (local / 'web').write_text('deny /srv/secret r,\n')
    dummy, mod = run(kernel, mode='complain')
    assert any('blocks even in complain mode' in w for w in mod.warnings)


@pytest.mark.parametrize('content,words', [
    ('profile web {\n}\n', 'must start with the line'),
    (a.MARKER + '\nprofile other {\n}\n', 'does not declare a profile named web'),
])
def test_content_from_a_custom_template_is_checked(kernel, content, words):
    with pytest.raises(m.ProfileError) as err:
        run(kernel, content=content)
    assert str(err.value).startswith('content: ') and words in str(err.value)


def test_spec_errors_name_the_field_without_the_action_plugin(kernel):
    with pytest.raises(m.ProfileError) as err:
        run(kernel, files=[{'path': 'relative', 'perms': 'r', 'deny': None, 'audit': None, 'quiet': None,
                            'exec': None, 'owner': None}])
    assert str(err.value).startswith('files[0].path: ') and err.value.extra['field'] == 'files[0].path'
    assert not profile_path(kernel).exists()


def test_parse_loaded_and_declares():
    assert aa_host.parse_loaded('docker-default (enforce)\n/usr/bin/man (complain)\nweb//child (enforce)\n') == {
        'docker-default': 'enforce', '/usr/bin/man': 'complain', 'web//child': 'enforce'}
    assert aa_host.declares('profile web /usr/bin/web flags=(complain) {\n', 'web')
    assert aa_host.declares('  profile "web" {\n', 'web')
    assert not aa_host.declares('profile webapp {\n', 'web')
    assert not aa_host.declares('# profile web {\n', 'web')


def batch(kernel, profiles, check_mode=False, **kw):
    p = params(kernel.root, **kw)
    p.update(name=None, preset=None, profiles=profiles)
    mod = FakeModule(p, kernel, check_mode=check_mode)
    return m.batch.run_batch(mod, m.argument_spec(), m.run, m.ProfileError), mod


def test_batch_installs_many_in_one_call_and_a_rerun_runs_no_parser(kernel):
    profiles = [{'name': 'a', 'preset': 'container-default', 'mode': 'complain'},
                {'name': 'b', 'preset': 'container-strict'},
                {'name': 'c', 'preset': 'service', 'attach': '/usr/bin/c'}]
    result, mod = batch(kernel, profiles, owner='team')
    assert result['changed'] is True and [r['name'] for r in result['profiles']] == ['a', 'b', 'c']
    assert kernel.profiles == {'a': 'complain', 'b': 'enforce', 'c': 'enforce'}
    # each profile parsed once (planning), then loaded; the apply pass does not parse again
    parses = [c for c in mod.commands if c[:2] == [PARSER, '-QK']]
    assert len(parses) == 3 and len([c for c in mod.commands if c[:2] == [PARSER, '-r']]) == 3
    assert '# owner: team' in profile_path(kernel, 'b').read_text()
    again, mod = batch(kernel, profiles, owner='team')
    assert again['changed'] is False and not [c for c in mod.commands if c[0] == PARSER and c[1] != '--version']


def test_batch_with_one_bad_profile_changes_nothing(kernel):
    profiles = [{'name': 'a', 'preset': 'container-default'},
                {'name': 'b', 'preset': 'container-default', 'extra_rules': ['not a rule,']}]
    with pytest.raises(m.ProfileError) as err:
        batch(kernel, profiles)
    assert str(err.value).startswith('profiles[1] (b): apparmor_parser rejected the profile')
    assert 'nothing was changed' in str(err.value)
    assert not profile_path(kernel, 'a').exists() and kernel.profiles == {}


@pytest.mark.parametrize('profiles,words', [
    ([{'name': 'a'}, {'name': 'a'}], 'profiles: a listed more than once'),
    (['a'], 'profiles[0]: must be a mapping'),
    ([{'name': 'a', 'mode': 'loud'}], 'profiles[0] (a): value of mode must be one of'),
    ([{'preset': 'container-default'}], 'profiles[0] (None): name: None is not a valid profile name'),
])
def test_batch_errors_name_the_item(kernel, profiles, words):
    with pytest.raises(m.ProfileError) as err:
        batch(kernel, profiles)
    assert str(err.value).startswith(words)


# ---------------------------------------------------------------------------
# issue 11: the module's own inputs under attack
# ---------------------------------------------------------------------------

def test_result_has_profile_file_not_path_so_ansible_keeps_mode_and_state(kernel):
    # issue 11 item 20 (the Ansible side is tests/integration/test_action_plugins.py)
    result, dummy = run(kernel, mode='complain')
    assert 'path' not in result and result['profile_file'] == str(profile_path(kernel))
    assert result['mode'] == 'complain' and result['state'] == 'present'
    batch_result, dummy = batch(kernel, [{'name': 'a', 'preset': 'container-default', 'mode': 'enforce'}])
    (item,) = batch_result['profiles']
    assert 'path' not in batch_result and 'path' not in item
    assert item['profile_file'] == str(profile_path(kernel, 'a')) and item['mode'] == 'enforce'


def test_undo_items_read_profile_file_and_the_old_path_key(kernel):
    # issue 11 item 20: the undo log is built from the renamed key (and still from old results)
    from ansible_collections.confine.hardening.plugins.module_utils import _undo
    result, dummy = run(kernel)
    (item,) = _undo.from_results(apparmor=[result])
    assert item['path'] == str(profile_path(kernel)) and item['existed'] is False
    old = dict(result, path=result.pop('profile_file'))
    assert _undo.from_results(apparmor=[old])[0]['path'] == str(profile_path(kernel))


@pytest.mark.parametrize('name', ['web.orig', 'web.dpkg-old', 'web.rpmsave', 'web~', 'unconfined', '../x', 'a b'])
def test_names_pass_the_shared_name_check(kernel, name):
    # issue 11 item 6 (module side)
    with pytest.raises(m.ProfileError) as err:
        run(kernel, name=name)
    assert str(err.value).startswith('name: ') and err.value.extra['field'] == 'name'
    assert os.listdir(str(kernel.root / 'apparmor.d')) == []


def test_absent_still_removes_a_legacy_name_the_check_refuses_now(kernel):
    path = profile_path(kernel, 'web.orig')
    path.write_text(a.MARKER + '\nprofile web.orig {\n}\n')
    result, dummy = run(kernel, name='web.orig', state='absent')
    assert result['changed'] and not path.exists()


def two_backups_within_a_second(kernel):
    run(kernel, mode='enforce', backup=True)
    first, dummy = run(kernel, mode='complain', backup=True)
    second, dummy = run(kernel, mode='enforce', backup=True)
    return first, second


def test_two_changes_within_a_second_keep_two_backups(kernel):
    # issue 11 item 11 (AppArmor backups)
    first, second = two_backups_within_a_second(kernel)
    assert first['backup_file'] != second['backup_file']
    assert '# mode: enforce' in open(first['backup_file']).read()
    assert '# mode: complain' in open(second['backup_file']).read()


def test_backup_dir_inside_apparmor_dir_is_refused(kernel):
    with pytest.raises(m.ProfileError) as err:
        run(kernel, backup=True, backup_dir=str(kernel.root / 'apparmor.d' / 'bak'))
    assert str(err.value).startswith('backup_dir: ') and 'boot-time loader' in str(err.value)
    assert not profile_path(kernel).exists()


def test_unwritable_backup_dir_fails_before_anything_changes(kernel):
    run(kernel, mode='enforce')
    before = profile_path(kernel).read_bytes()
    blocker = kernel.root / 'file'
    blocker.write_text('x')
    with pytest.raises(m.ProfileError) as err:
        run(kernel, mode='complain', backup=True, backup_dir=str(blocker / 'sub'))
    assert str(err.value).startswith('backup_dir: cannot write a backup of web') and 'nothing was changed' in str(err.value)
    assert profile_path(kernel).read_bytes() == before and kernel.profiles == {'web': 'enforce'}


@pytest.mark.parametrize('kind', ['fifo', 'chardev', 'directory'])
@pytest.mark.parametrize('state', ['present', 'absent'])
def test_a_special_file_at_the_profile_path_is_one_sentence_and_never_blocks(kernel, kind, state):
    # a FIFO would block a plain open(); a device would be read without end
    path = str(profile_path(kernel))
    if kind == 'fifo':
        os.mkfifo(path)
    elif kind == 'chardev':
        if os.geteuid() != 0:
            pytest.skip('mknod needs root')
        os.mknod(path, 0o600 | __import__('stat').S_IFCHR, os.makedev(1, 5))     # like /dev/zero
    else:
        os.mkdir(path)
    with pytest.raises(m.ProfileError) as err:
        run(kernel, state=state)
    assert str(err.value).startswith(path + ' is a ') and 'not a regular file' in str(err.value)
    assert '\n' not in str(err.value) and os.path.lexists(path) and kernel.profiles == {}


def test_a_fifo_as_the_local_include_or_in_the_cache_does_not_block(kernel):
    local = kernel.root / 'apparmor.d' / 'local'
    local.mkdir()
    os.mkfifo(str(local / 'web'))
    result, dummy = run(kernel, mode='complain')
    assert result['changed'] and kernel.profiles == {'web': 'complain'}
    cache = kernel.root / 'cache' / 'abc.0'
    cache.mkdir(parents=True)
    os.mkfifo(str(cache / 'web'))
    result, mod = run(kernel, state='absent')
    assert result['changed'] and not profile_path(kernel).exists()
    assert os.path.lexists(str(cache / 'web')) and any('not a regular file' in w for w in mod.warnings)


def test_a_fifo_in_the_profile_directory_is_skipped_when_looking_for_other_declarations(kernel):
    os.mkfifo(str(kernel.root / 'apparmor.d' / 'other'))
    result, dummy = run(kernel)
    assert result['changed'] and kernel.profiles == {'web': 'enforce'}


def test_a_fifo_as_the_kernels_profile_list_is_one_sentence(kernel):
    profiles = kernel.fs / 'apparmor' / 'profiles'
    profiles.unlink()
    os.mkfifo(str(profiles))
    with pytest.raises(m.ProfileError) as err:
        run(kernel)
    assert 'is a FIFO, not a regular file' in str(err.value)


@pytest.mark.parametrize('key', ['apparmor_dir', 'backup_dir'])
def test_relative_directories_are_refused(kernel, key):
    with pytest.raises(m.ProfileError) as err:
        run(kernel, **{key: 'relative/dir'})
    assert str(err.value) == "%s: 'relative/dir' is not an absolute path" % key


def content(body, name='web', extra=''):
    return '%s\nabi <abi/3.0>,\ninclude <tunables/global>\nprofile %s {\n%s}\n%s' % (a.MARKER, name, body, extra)


@pytest.mark.parametrize('text,words', [
    # a second profile: apparmor_parser -r would load (or replace) it too
    (content('  /x r,\n', extra='profile docker-default /** {\n  /** rwlkmix,\n}\n'),
     'must declare exactly one profile, web, but it declares docker-default, web'),
    (content('  /x r,\n', extra='/usr/bin/foo {\n}\n'), 'declares /usr/bin/foo, web'),
    (content('  include "/etc/shadow"\n'), "line 5 includes '/etc/shadow', which is outside the AppArmor policy"),
    (content('  include <abstractions/../../../tmp/x>\n'), 'outside the AppArmor policy directory'),
    (content('  #include <../x>\n'), 'outside the AppArmor policy directory'),
    (content('  /x r,\x00\n'), 'contains a NUL character'),
])
def test_template_content_is_one_profile_with_the_declared_name(kernel, text, words):
    with pytest.raises(m.ProfileError) as err:
        run(kernel, content=text)
    assert str(err.value).startswith('content: ') and words in str(err.value)
    assert not profile_path(kernel).exists() and kernel.profiles == {}


def test_template_content_with_a_child_profile_and_a_hat_is_accepted(kernel):
    text = content('  /x r,\n  ^hat {\n    /y r,\n  }\n  profile child {\n    /z r,\n  }\n')
    result, dummy = run(kernel, content=text)
    assert result['changed'] and profile_path(kernel).read_text() == text


def test_failed_load_whose_undo_fails_says_which_file_is_not_back(kernel, monkeypatch):
    # issue 11 item 12: never "the previous file was put back" when it was not
    run(kernel, mode='enforce')
    kernel.fail_load = True
    real = m.fileio.write_atomic
    calls = []

    def write_once(path, data, mode=0o644):
        calls.append(path)
        if len(calls) > 1:
            raise OSError(28, 'No space left on device')
        return real(path, data, mode)
    monkeypatch.setattr(m.fileio, 'write_atomic', write_once)
    with pytest.raises(m.ProfileError) as err:
        run(kernel, mode='complain')
    msg = str(err.value)
    assert 'apparmor_parser -r failed' in msg and 'was put back' not in msg
    assert 'the change could not be fully undone: %s (No space left on device) could not be put back' % (
        profile_path(kernel)) in msg


def test_incomplete_undo_from_the_file_set_is_not_reported_as_put_back(kernel, monkeypatch):
    # issue 11 item 12: FileSet.apply raising IncompleteUndo, and the retry failing too
    path = str(profile_path(kernel))

    def apply(self, backup=False):
        raise m.fileio.IncompleteUndo(OSError(28, 'No space left on device'), [(path, 'No space left on device')])
    monkeypatch.setattr(m.fileio.FileSet, 'apply', apply)
    profile_path(kernel).write_text(a.MARKER + '\nprofile web {\n}\n')
    before = profile_path(kernel).read_bytes()

    def no_space(*args, **kw):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(m.fileio, 'write_atomic', no_space)
    with pytest.raises(m.ProfileError) as err:
        run(kernel, mode='complain')
    msg = str(err.value)
    assert msg == ('[Errno 28] No space left on device; the change could not be fully undone: %s (No space left on '
                   'device) could not be put back' % path)
    assert profile_path(kernel).read_bytes() == before


@pytest.mark.parametrize('options,field', [
    ({'owner': 'team\ud800'}, 'owner'),
    ({'content': a.MARKER + '\nprofile web {\n}\n# \ud800\n'}, 'content'),
    ({'files': [{'path': '/srv/\udcff', 'perms': 'r'}]}, 'files[0].path'),
])
def test_a_lone_surrogate_in_any_option_is_one_sentence_naming_it(kernel, options, field):
    # JSON "\ud800" reaches the module as a lone surrogate, which cannot be written as UTF-8
    with pytest.raises(m.ProfileError) as err:
        run(kernel, **options)
    assert str(err.value).startswith('%s: contains a character that cannot be written as UTF-8' % field)
    assert not profile_path(kernel).exists()


# main() through the real argument spec (issue 12 item 5)

def main_args(kernel, **kw):
    args = dict(name='web', preset='container-default', apparmor_dir=str(kernel.root / 'apparmor.d'),
                backup_dir=str(kernel.root / 'backups'))
    args.update(kw)
    return args


def test_main_in_check_mode_parses_and_changes_nothing(kernel):
    result = run_main(m, main_args(kernel, mode='complain'), check_mode=True, diff=True)
    assert not result.get('failed'), result
    assert result['changed'] is True and result['name'] == 'web' and result['mode'] == 'complain'
    assert result['profile_file'] == str(profile_path(kernel)) and not profile_path(kernel).exists()
    assert 'profile web flags=' in result['diff'][0]['after'] and kernel.profiles == {}


def test_main_fails_with_one_sentence_naming_the_profile_and_field(kernel):
    result = run_main(m, main_args(kernel, files=[{'path': 'relative', 'perms': 'r'}]))
    assert result['failed'] is True and result['name'] == 'web' and result['field'] == 'files[0].path'
    assert result['msg'] == ("AppArmor profile 'web': files[0].path: 'relative' is not an absolute path (it must "
                             "start with / or a variable such as @{HOME})")
    assert not profile_path(kernel).exists()


@pytest.mark.parametrize('args,words', [
    ({'files': [{'perms': 'r'}]}, 'missing required arguments: path found in files'),
    ({'mode': 'loud'}, 'value of mode must be one of: complain, enforce, disabled, got: loud'),
    ({'profiles': [{'name': 'api'}]}, 'parameters are mutually exclusive: name|profiles'),
])
def test_main_checks_the_options_against_the_argument_spec(kernel, args, words):
    result = run_main(m, main_args(kernel, **args))
    assert result['failed'] is True and words in result['msg'], result['msg']


def test_main_without_apparmor_says_so(kernel):
    kernel.enabled.unlink()
    result = run_main(m, main_args(kernel))
    assert result['failed'] is True and result['apparmor_available'] is False
    assert result['msg'].startswith("AppArmor profile 'web': AppArmor is not available on this host: the kernel has "
                                    "no AppArmor")


# ---------------------------------------------------------------------------
# issue 19: the profile's ABI on the host (AppArmor 3.0.8 here; a 4.x host faked)
# ---------------------------------------------------------------------------

def test_a_userns_spec_fails_in_one_sentence_on_apparmor_3_and_nothing_changes(kernel, monkeypatch):
    monkeypatch.setattr(aa_host, 'ABI_DIR', str(kernel.root / 'abi'))
    (kernel.root / 'abi').mkdir()
    (kernel.root / 'abi' / '3.0').write_text('')
    with pytest.raises(m.ModuleError) as err:
        run(kernel, preset='service', attach='/usr/bin/unshare', userns=[{}])
    version = aa_host.parser_version(SharedFakeModule({}), PARSER)
    assert str(err.value) == ("userns: needs AppArmor ABI 4.0; this host's apparmor_parser %s has only abi/3.0; "
                              "nothing was installed or loaded" % version)
    assert err.value.extra['field'] == 'userns' and not profile_path(kernel).exists() and kernel.profiles == {}


def test_a_userns_spec_fails_where_the_kernel_does_not_mediate_userns(kernel, monkeypatch):
    monkeypatch.setattr(aa_host, 'ABI_DIR', str(kernel.root / 'abi'))
    (kernel.root / 'abi').mkdir()
    (kernel.root / 'abi' / '4.0').write_text('')
    (kernel.fs / 'apparmor' / 'features' / 'namespaces').mkdir(parents=True)
    (kernel.fs / 'apparmor' / 'features' / 'namespaces' / 'mask').write_text('\n')
    with pytest.raises(m.ModuleError) as err:
        run(kernel, preset='service', attach='/usr/bin/unshare', userns=[{'deny': True}])
    assert str(err.value).startswith("userns: this host's kernel does not mediate userns rules "
                                     "(features/namespaces/mask has no userns_create)")
    assert not profile_path(kernel).exists()


def test_an_explicit_abi_the_host_lacks_fails_naming_abi(kernel, monkeypatch):
    monkeypatch.setattr(aa_host, 'ABI_DIR', str(kernel.root / 'abi'))
    with pytest.raises(m.ModuleError) as err:
        run(kernel, abi='abi/4.0')
    assert str(err.value).startswith('abi: abi/4.0 is not on this host; its apparmor_parser ')
    assert err.value.extra['field'] == 'abi' and not profile_path(kernel).exists()


def test_an_idempotent_run_still_runs_no_parser(kernel, monkeypatch):
    # the ABI checks ask the parser for its version only to word a failure
    run(kernel, preset='container-default')
    monkeypatch.setattr(aa_host, '_USERNS', {})
    result, mod = run(kernel, preset='container-default')
    assert result['changed'] is False and [c for c in mod.commands if c[0] == PARSER] == []


def test_content_without_an_abi_line_is_checked_against_the_spec(kernel):
    text = '%s\nprofile web {\n  userns,\n}\n' % a.MARKER
    with pytest.raises(m.ModuleError) as err:
        run(kernel, preset=None, abi='abi/3.0', userns=[{}], content=text)
    assert str(err.value).startswith('userns: needs AppArmor ABI 4.0, but the spec pins abi: abi/3.0')
    assert not profile_path(kernel).exists()
